//! Test material of zkmargin, kept out of the product: the sample network (`fixtures`), the
//! dishonest-prover corpus (`corpus`) and the naming of MockProver's failures
//! (`attribution`). It turns on `zkmargin-circuits`' feature `testing` (the forgery plan and
//! the mutation switches); the product crates take it as a dev-dependency only, so a release
//! build compiles none of it.

pub mod attribution;
pub mod corpus;
pub mod fixtures;
