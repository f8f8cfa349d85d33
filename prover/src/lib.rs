//! zkmargin's prover side: keys, the network and party builders, witness building and proof
//! generation (the files themselves are `zkmargin_formats`'). The parameters and the pinned
//! verifying keys are the verifier's (`zkmargin_verifier::params`,
//! `zkmargin_verifier::VerifierKeys`); the prover builds its proving key on them.
//!
//! The entry point is [`prove`]: it values the book, refuses an insolvent one, proves the rest
//! with the profile's warm [`ProverKeys`], checks the proof and returns it whole ([`Proved`]).

mod keys;
pub mod network;
pub mod parties;
pub mod progress;
mod prove;
pub mod risk;
pub mod scenarios;
pub mod vectors;

pub use keys::{ProverKeys, ProvingKeyError};
pub use prove::{
    margin_report, order_at, proof_bytes, proof_bytes_for_circuit, prove, statement, witness_of,
    ProveError, Proved,
};
