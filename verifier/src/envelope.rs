//! The proof file of `prove --order`: a one-order certificate with that venue's grant inside
//! (DESIGN.md, "Files"), a versioned binary envelope (bincode, fixed-width integers).
//!
//! ```text
//! magic "ZKMARGIN" | bincode(Envelope { version, certificate file bytes, grant file text })
//! ```
//!
//! Decoding is exact: the magic, the version, a certificate that decodes exactly itself
//! (`zkmargin_formats::certificate`), a grant that reads as a `zkmargin.grant/1` file, and no
//! byte left over. halo2's `verify_proof` would accept trailing bytes after a valid proof; this
//! decoder does not.

use serde::{Deserialize, Serialize};
use zkmargin_formats::binary::{self, FrameError, MAX_BODY_BYTES};
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::grant::{read_grant, Grant};

/// First bytes of every proof file.
pub const MAGIC: &[u8; 8] = b"ZKMARGIN";
/// Envelope version this build writes and reads (2: the certificate and its grant).
pub const VERSION: u16 = 2;
/// Largest envelope accepted (a proof is a few KiB).
pub const MAX_ENVELOPE_BYTES: usize = MAX_BODY_BYTES;

/// A one-order certificate and the grant of its venue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u16,
    /// The certificate file's bytes (its digest names it in the grant).
    pub certificate: Vec<u8>,
    /// The grant file's text (`zkmargin.grant/1`).
    pub grant: String,
}

/// Why bytes are not a proof envelope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not a zkmargin proof (bad magic)")]
    Magic,
    #[error("proof file is larger than {MAX_ENVELOPE_BYTES} bytes")]
    TooLarge,
    #[error("cannot decode the envelope: {0}")]
    Decode(String),
    #[error("{0} trailing bytes after the envelope")]
    Trailing(usize),
    #[error("envelope version {0} is not supported (this build reads {VERSION})")]
    Version(u16),
    #[error("the certificate inside: {0}")]
    Certificate(String),
    #[error("the grant inside: {0}")]
    Grant(String),
}

impl Envelope {
    /// The envelope of a certificate file and its grant.
    pub fn new(certificate: Vec<u8>, grant: &Grant) -> Envelope {
        Envelope {
            version: VERSION,
            certificate,
            grant: zkmargin_formats::grant::write_grant(grant),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        binary::encode(MAGIC, self)
    }

    /// Decodes exactly one envelope and nothing else; returns it with its grant read.
    pub fn decode(bytes: &[u8]) -> Result<(Envelope, Grant), EnvelopeError> {
        let envelope: Envelope =
            binary::decode(MAGIC, "zkmargin proof", bytes).map_err(|e| match e {
                FrameError::Magic(_) => EnvelopeError::Magic,
                FrameError::TooLarge => EnvelopeError::TooLarge,
                FrameError::Decode(reason) => EnvelopeError::Decode(reason),
                FrameError::Trailing(n) => EnvelopeError::Trailing(n),
            })?;
        if envelope.version != VERSION {
            return Err(EnvelopeError::Version(envelope.version));
        }
        Certificate::decode(&envelope.certificate)
            .map_err(|e| EnvelopeError::Certificate(e.to_string()))?;
        let grant = read_grant(&envelope.grant, "grant")
            .map_err(|e| EnvelopeError::Grant(e.to_string()))?;
        Ok((envelope, grant))
    }
}
