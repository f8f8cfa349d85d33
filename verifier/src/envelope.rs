//! The proof file: a versioned binary envelope (bincode, fixed-width integers).
//!
//! ```text
//! magic "ZKMARGIN" | bincode(Envelope)
//! ```
//!
//! The envelope names everything the proof is about (profile, epoch, snapshot digest, venue,
//! account tag, level, order) so a venue can check each against what it expects before the
//! proof itself. Decoding is exact: the magic, the version, a known profile, the proof length
//! the profile's circuit produces, and no byte left over. halo2's `verify_proof` would accept
//! trailing bytes after a valid proof; this decoder does not.

use serde::{Deserialize, Serialize};
use zkmargin_circuits::margin::Position;
use zkmargin_circuits::profile::Profile;
use zkmargin_formats::binary::{self, FrameError, MAX_BODY_BYTES};

/// First bytes of every proof file.
pub const MAGIC: &[u8; 8] = b"ZKMARGIN";
/// Envelope version this build writes and reads.
pub const VERSION: u16 = 1;
/// Largest envelope accepted (a proof is a few KiB).
pub const MAX_ENVELOPE_BYTES: usize = MAX_BODY_BYTES;

/// A proof and what it claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u16,
    pub profile: String,
    pub epoch: u64,
    pub snapshot_digest: [u8; 32],
    pub venue_id: u64,
    /// The account tag at this venue, canonical little-endian field element.
    pub account_tag: [u8; 32],
    pub level_ppm: u64,
    /// The order (an empty position when none), as valued: a perpetual's price is the
    /// snapshot price.
    pub order: Position,
    pub proof: Vec<u8>,
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
    #[error("unknown profile {0:?}")]
    Profile(String),
}

impl Envelope {
    /// The profile it names (checked by `decode`).
    pub fn profile(&self) -> Option<Profile> {
        Profile::by_name(&self.profile)
    }

    pub fn encode(&self) -> Vec<u8> {
        binary::encode(MAGIC, self)
    }

    /// Decodes exactly one envelope and nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
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
        if envelope.profile().is_none() {
            return Err(EnvelopeError::Profile(envelope.profile));
        }
        Ok(envelope)
    }
}
