//! zkmargin's verifier side.
