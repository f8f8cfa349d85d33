//! zkmargin's prover side: parameters and keys, the network and party builders, witness
//! building and proof generation (the files themselves are `zkmargin_formats`').

pub mod keys;
pub mod network;
pub mod params;
pub mod parties;
pub mod progress;
pub mod prove;
pub mod risk;
pub mod scenarios;
pub mod vectors;
