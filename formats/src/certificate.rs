//! The margin certificate file (`certificate.zkm`): a versioned binary envelope of one proof
//! and everything it is public about (DESIGN.md, "Margin certificates" and "Files").
//!
//! ```text
//! magic "ZKMCERT\0" | bincode(Certificate)        (`binary`: fixed-width integers, exact)
//! ```
//!
//! A venue checks each field against what it expects (the snapshot's profile, epoch and
//! digest, the level it demands, the commitment at its index) before it verifies the proof.
//! Decoding is exact: the magic, the version, a known profile, one commitment per venue slot
//! of that profile, every field element canonical, and no byte left over. The proof's length
//! is the verifier's to check (it pins each profile's proof length). The certificate is named
//! by the BLAKE2b-256 of its bytes ([`Certificate::digest_of`]) in grants and ledgers.

use ff::PrimeField;
use serde::{Deserialize, Serialize};
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::profile::Profile;

use crate::binary::{self, FrameError};

/// First bytes of every certificate file.
pub const CERTIFICATE_MAGIC: &[u8; 8] = b"ZKMCERT\0";
/// Certificate version this build writes and reads.
pub const CERTIFICATE_VERSION: u16 = 1;

/// A margin certificate: the proof and its public inputs beyond the snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub version: u16,
    pub profile: String,
    pub epoch: u64,
    pub snapshot_digest: [u8; 32],
    /// The margin level the headroom is certified at, ppm.
    pub level_ppm: u64,
    /// The epoch nullifier `H(6, sk, epoch)`, canonical little-endian.
    pub nullifier: [u8; 32],
    /// `c_v = H(5, tag_v, a_v, s_v)` for every venue slot `v` of the profile.
    pub commitments: Vec<[u8; 32]>,
    pub proof: Vec<u8>,
}

/// Why bytes are not a certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("certificate version {0} is not supported (this build reads {CERTIFICATE_VERSION})")]
    Version(u16),
    #[error("unknown profile {0:?}")]
    Profile(String),
    #[error("{found} commitments for a profile of {expected} venues")]
    Commitments { expected: usize, found: usize },
    #[error("{0} is not a canonical field element")]
    NonCanonical(&'static str),
}

fn canonical(bytes: &[u8; 32]) -> Option<Fp> {
    Option::from(Fp::from_repr(*bytes))
}

impl Certificate {
    /// The profile it names (checked by `decode`).
    pub fn profile(&self) -> Option<Profile> {
        Profile::by_name(&self.profile)
    }

    /// The nullifier as a field element (canonical: checked by `decode`).
    pub fn nullifier(&self) -> Option<Fp> {
        canonical(&self.nullifier)
    }

    /// The commitments as field elements (canonical: checked by `decode`).
    pub fn commitments(&self) -> Option<Vec<Fp>> {
        self.commitments.iter().map(canonical).collect()
    }

    pub fn encode(&self) -> Vec<u8> {
        binary::encode(CERTIFICATE_MAGIC, self)
    }

    /// Decodes exactly one certificate and nothing else.
    pub fn decode(bytes: &[u8]) -> Result<Certificate, CertificateError> {
        let certificate: Certificate =
            binary::decode(CERTIFICATE_MAGIC, "zkmargin certificate", bytes)?;
        if certificate.version != CERTIFICATE_VERSION {
            return Err(CertificateError::Version(certificate.version));
        }
        let Some(profile) = certificate.profile() else {
            return Err(CertificateError::Profile(certificate.profile));
        };
        if certificate.commitments.len() != profile.venues {
            return Err(CertificateError::Commitments {
                expected: profile.venues,
                found: certificate.commitments.len(),
            });
        }
        if certificate.nullifier().is_none() {
            return Err(CertificateError::NonCanonical("the nullifier"));
        }
        if certificate.commitments().is_none() {
            return Err(CertificateError::NonCanonical("a commitment"));
        }
        Ok(certificate)
    }

    /// The certificate's name: BLAKE2b-256 of its file's bytes.
    pub fn digest_of(bytes: &[u8]) -> [u8; 32] {
        binary::file_digest(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::profile::{SMALL, STANDARD};

    fn certificate() -> Certificate {
        Certificate {
            version: CERTIFICATE_VERSION,
            profile: SMALL.name.into(),
            epoch: 4812,
            snapshot_digest: [7; 32],
            level_ppm: 1_500_000,
            nullifier: Fp::from(99).to_repr(),
            commitments: (0..SMALL.venues as u64)
                .map(|v| Fp::from(100 + v).to_repr())
                .collect(),
            proof: vec![0x5a; 3584],
        }
    }

    #[test]
    fn round_trips_and_is_named_by_its_bytes() {
        let bytes = certificate().encode();
        assert_eq!(Certificate::decode(&bytes), Ok(certificate()));
        let mut other = certificate();
        other.level_ppm += 1;
        assert_ne!(
            Certificate::digest_of(&bytes),
            Certificate::digest_of(&other.encode())
        );
    }

    #[test]
    fn a_byte_more_or_less_is_refused() {
        let bytes = certificate().encode();
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Certificate::decode(&longer),
            Err(CertificateError::Frame(FrameError::Trailing(1)))
        );
        for cut in [0, 4, 8, 9, bytes.len() / 2, bytes.len() - 1] {
            assert!(Certificate::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn another_file_kind_is_refused_by_its_magic() {
        let mut bytes = certificate().encode();
        bytes[..8].copy_from_slice(b"ZKMARGIN");
        assert!(matches!(
            Certificate::decode(&bytes),
            Err(CertificateError::Frame(FrameError::Magic(_)))
        ));
    }

    #[test]
    fn header_fields_are_checked() {
        let mut c = certificate();
        c.version = 2;
        assert_eq!(
            Certificate::decode(&c.encode()),
            Err(CertificateError::Version(2))
        );
        let mut c = certificate();
        c.profile = "huge".into();
        assert_eq!(
            Certificate::decode(&c.encode()),
            Err(CertificateError::Profile("huge".into()))
        );
        let mut c = certificate();
        c.profile = STANDARD.name.into();
        assert_eq!(
            Certificate::decode(&c.encode()),
            Err(CertificateError::Commitments {
                expected: STANDARD.venues,
                found: SMALL.venues
            })
        );
        let mut c = certificate();
        c.nullifier = [0xff; 32];
        assert_eq!(
            Certificate::decode(&c.encode()),
            Err(CertificateError::NonCanonical("the nullifier"))
        );
        let mut c = certificate();
        c.commitments[1] = [0xff; 32];
        assert_eq!(
            Certificate::decode(&c.encode()),
            Err(CertificateError::NonCanonical("a commitment"))
        );
    }

    #[test]
    fn an_oversized_file_is_refused_before_decoding() {
        let bytes = vec![0u8; binary::MAX_BODY_BYTES + 9];
        assert_eq!(
            Certificate::decode(&bytes),
            Err(CertificateError::Frame(FrameError::TooLarge))
        );
    }
}
