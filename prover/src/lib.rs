//! zkmargin's prover side: keys, the network and party builders, witness building and proof
//! generation (the files themselves are `zkmargin_formats`'). The parameters and the pinned
//! verifying keys are the verifier's (`zkmargin_verifier::params`,
//! `zkmargin_verifier::VerifierKeys`); the prover builds its proving key on them.
//!
//! The entry point is [`certify`]: it values the book, refuses lines that do not fit its
//! headroom, proves the certificate with the profile's warm [`ProverKeys`], checks it and every
//! grant, and returns them whole ([`Certified`]); [`prove`] is the one-order certificate.

pub mod black76;
mod keys;
pub mod network;
pub mod parties;
pub mod progress;
mod prove;
pub mod risk;
pub mod risk_table;
pub mod scenarios;
pub mod vectors;

pub use keys::{ProverKeys, ProvingKeyError};
pub use prove::{
    allocate, certify, margin_report, proof_bytes, proof_bytes_for_circuit, prove, witness_of,
    Certified, LineRequest, ProveError, Proved,
};
