//! zkmargin's prover side.
