//! zkmargin's on-chain adapter: the certificate registry, a CosmWasm contract (cosmwasm-std 3)
//! that every venue can read and none can rewrite (DESIGN.md, "The on-chain adapter").
//!
//! - `instantiate`: the risk publisher's Ed25519 key, the accepted profiles, an admin, the bond
//!   of an optimistic registration;
//! - `store_params`: the admin uploads each profile's parameters in chunks; the whole is checked
//!   against the verifier crate's pinned digest for the profile's `k`;
//! - `publish_epoch`: the publisher's signed `snapshot.json`, its signature checked over the
//!   snapshot's digest with the chain's `ed25519_verify`; one per epoch;
//! - `register`: a certificate file's bytes: exact decoding, a published epoch current by block
//!   time, an unused nullifier, and the proof verified in the contract;
//! - `register_optimistic` and `challenge`: the same without the proof, with a bond; the proof is
//!   verified when someone challenges, and an invalid one is voided and its bond paid to the
//!   challenger;
//! - queries `certificate {nullifier}` and `epoch {epoch}` (what a venue's gateway reads),
//!   `config` and `params {k}`.
//!
//! The contract is built for `wasm32-unknown-unknown` by `scripts/build-onchain.sh`; its tests
//! (`tests/vm.rs`) run that `.wasm` under `cosmwasm-vm` with its gas meter.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;
