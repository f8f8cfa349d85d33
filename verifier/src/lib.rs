//! zkmargin's verifier side, shared by venues and the on-chain adapter: the proof envelope,
//! the parameters and pinned verifying keys, and single and batch verification against an
//! instance the venue rebuilds itself. A venue links this crate alone:
//!
//! ```no_run
//! # fn venue(bytes: &[u8], expect: &zkmargin_verifier::Expectation<'_>) -> Result<(), Box<dyn std::error::Error>> {
//! use zkmargin_verifier::{Envelope, VerifierKeys};
//! let keys = VerifierKeys::for_profile(expect.snapshot.profile)?; // warm after the first call
//! let envelope = Envelope::decode(bytes)?;
//! let statement = keys.verify(&envelope, expect)?;
//! # let _ = statement; Ok(()) }
//! ```

pub mod envelope;
pub mod keys;
pub mod ledger;
pub mod params;
pub mod publisher;
pub mod verify;

pub use envelope::Envelope;
pub use keys::VerifierKeys;
pub use verify::{Expectation, Rejection};
