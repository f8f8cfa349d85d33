//! zkmargin's prover side: parameters and keys, network and account files, witness building
//! and proof generation.

pub mod account;
pub mod fsutil;
pub mod keys;
pub mod network;
pub mod params;
pub mod parties;
pub mod progress;
pub mod prove;
pub mod risk;
pub mod scenarios;
pub mod vectors;
