//! Certificate verification for `POST /v1/certificates`: the one place the gateway asks the
//! verifier crate whether a certificate and its grant give this venue a credit line.
//!
//! TODO(issue 10, lead): replace the body of [`verify_certificate`] with the verifier crate's
//! certificate API once it lands. It must check, and name in its error the first that fails:
//! the envelope decodes exactly (`Certificate::decode`); its profile, epoch and snapshot
//! digest are the current snapshot's; the grant is for this venue (name and id), names this
//! certificate's digest and nullifier; the grant's commitment `H(5, tag, allowance, salt)` is
//! at this venue's index; the level is within bounds; the snapshot has not lapsed at `at`;
//! and the proof verifies (in a batch with other waiting certificates where it can, with keys
//! built once at start). Everything else (the nullifier registry, the HTTP answers, the
//! metrics) is already wired around this function.

use zkmargin_formats::grant::Grant;
use zkmargin_verifier::ledger::CreditLine;

use crate::snapshots::Current;

/// A verified line: the verifier's `CreditLine` and the certificate's level, which every
/// charge on the line is computed at (carried beside the line until `CreditLine` has it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLine {
    pub line: CreditLine,
    pub level_ppm: u64,
}

/// Verifies `certificate` (the file's bytes) with `grant` for `venue` under `snapshot` at
/// time `at` (unix seconds). The error is the reason for the refusal, shown to the client.
pub fn verify_certificate(
    snapshot: &Current,
    venue: &str,
    certificate: &[u8],
    grant: &Grant,
    at: u64,
) -> Result<VerifiedLine, String> {
    let _ = (snapshot, venue, certificate, grant, at);
    Err("certificate verification not yet wired".to_string())
}
