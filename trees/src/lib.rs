//! The vaults' and venues' trees kept between epochs (DESIGN.md, "Epochs at scale").
//!
//! `zkmargin vault build` and `venue build` write their tree into `DIR/tree.db` (`store`) and
//! build the next epoch into the same directory: only the accounts whose holding changed get a
//! new leaf, and only their paths are rehashed (`build`, `levels`), on every core. An account's
//! opening is read from the store on request (`opening`), as the `zkmargin.opening/1` file that
//! `account assemble` reads; the gateway serves the same to the account it belongs to.
//!
//! Hashing is `zkmargin_circuits::hash` (the leaves through `formats::tree::Holding::leaf`, the
//! nodes through `merkle_node`), so a stored tree has the root that `network build` computes
//! for the same holdings and salts.

pub mod build;
pub mod holding_bytes;
pub mod levels;
pub mod opening;
pub mod store;
