//! zkmargin's verifier side, shared by venues and the on-chain adapter: the proof envelope,
//! the pinned verifying keys, and single and batch verification against an instance the venue
//! rebuilds itself.

pub mod envelope;
pub mod keys;
pub mod ledger;
pub mod publisher;
pub mod verify;
