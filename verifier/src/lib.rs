//! zkmargin's verifier side, shared by venues and the on-chain adapter: certificates and
//! grants, the proof envelope, the parameters and pinned verifying keys, single and batch
//! verification against an instance the venue rebuilds itself, and the ledger of credit
//! lines. A venue links this crate alone:
//!
//! ```no_run
//! # fn venue(bytes: &[u8], grant: &zkmargin_formats::grant::Grant, expect: &zkmargin_verifier::Expectation<'_>) -> Result<(), Box<dyn std::error::Error>> {
//! use zkmargin_verifier::{ledger::Ledger, VerifierKeys};
//! let keys = VerifierKeys::for_profile(expect.snapshot.profile)?; // warm after the first call
//! let accepted = keys.verify(bytes, grant, expect)?;
//! let mut ledger = Ledger::new();
//! ledger.admit(accepted.line)?;
//! # Ok(()) }
//! ```

pub mod envelope;
pub mod keys;
pub mod ledger;
pub mod params;
pub mod publisher;
pub mod verifier_params;
pub mod verify;

pub use envelope::Envelope;
pub use keys::VerifierKeys;
pub use verify::{Accepted, Expectation, Rejection};
