//! The risk publisher's Ed25519 key and its signature over a snapshot.
//!
//! The publisher signs the snapshot digest (`Snapshot::digest()`, BLAKE2b-256 of the canonical
//! encoding of every public field), prefixed with a fixed context string so that the
//! signature cannot be replayed as a signature of anything else:
//!
//! ```text
//! message = "zkmargin.snapshot/1 digest:" || digest (32 bytes)
//! ```
//!
//! A venue that pins the publisher's public key (`zkmargin verify --publisher KEY`) refuses a
//! snapshot that is unsigned, signed by another key, or changed after signing: a changed field
//! changes the digest, and a digest recomputed to match the change no longer matches the
//! signature. Verification is `verify_strict` (no small-order keys, canonical `s`).
//!
//! The key types and their files are `zkmargin_formats::publisher_key`'s.

use ed25519_dalek::{Signature, Signer};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::publisher_key::{PublisherKey, PublisherSecret};
use zkmargin_formats::snapshot::{read_snapshot_file, SnapshotSignature};

/// What precedes the digest in the signed message.
pub const SIGNING_CONTEXT: &[u8] = b"zkmargin.snapshot/1 digest:";

/// The message the publisher signs for a snapshot.
pub fn signing_message(digest: &[u8; 32]) -> Vec<u8> {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(digest);
    message
}

/// What the publisher does with its secret key: sign a snapshot's digest.
pub trait SignSnapshot {
    /// Signs the snapshot's digest.
    fn sign(&self, snapshot: &Snapshot) -> SnapshotSignature;
}

impl SignSnapshot for PublisherSecret {
    fn sign(&self, snapshot: &Snapshot) -> SnapshotSignature {
        let signature = self
            .signing_key()
            .sign(&signing_message(&snapshot.digest()));
        SnapshotSignature {
            publisher_key: self.public().to_bytes(),
            signature: signature.to_bytes(),
        }
    }
}

/// Why a snapshot's signature is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing: the snapshot is unsigned, so its origin cannot be checked")]
    Missing,
    #[error("is not a valid Ed25519 public key")]
    BadKey,
    #[error(
        "does not verify under publisher_key: the snapshot was changed after it was signed, \
         or the signature is not the publisher's"
    )]
    Invalid,
    #[error("the snapshot was signed by {found}, not by the expected publisher {expected}")]
    OtherPublisher { found: String, expected: String },
}

impl SignatureError {
    /// The snapshot field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            SignatureError::BadKey | SignatureError::OtherPublisher { .. } => "publisher_key",
            SignatureError::Missing | SignatureError::Invalid => "signature",
        }
    }
}

/// Checks that `signature` is a valid signature of the snapshot's digest by the key it names.
pub fn check_signature(
    snapshot: &Snapshot,
    signature: &SnapshotSignature,
) -> Result<PublisherKey, SignatureError> {
    let key = PublisherKey::from_bytes(&signature.publisher_key).ok_or(SignatureError::BadKey)?;
    let sig = Signature::from_bytes(&signature.signature);
    key.verifying_key()
        .verify_strict(&signing_message(&snapshot.digest()), &sig)
        .map_err(|_| SignatureError::Invalid)?;
    Ok(key)
}

/// A snapshot as read from its file, with the publisher's checked signature if it had one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedSnapshot {
    pub snapshot: Snapshot,
    /// The signature; when present, it has been checked against the digest.
    pub signature: Option<SnapshotSignature>,
}

impl SignedSnapshot {
    /// The key that signed the snapshot, if signed.
    pub fn publisher(&self) -> Option<PublisherKey> {
        self.signature
            .as_ref()
            .and_then(|s| PublisherKey::from_bytes(&s.publisher_key))
    }

    /// Requires the snapshot to be signed by `expected`.
    pub fn require_publisher(&self, expected: &PublisherKey) -> Result<(), SignatureError> {
        let signature = self.signature.as_ref().ok_or(SignatureError::Missing)?;
        let found = check_signature(&self.snapshot, signature)?;
        if found != *expected {
            return Err(SignatureError::OtherPublisher {
                found: found.to_hex(),
                expected: expected.to_hex(),
            });
        }
        Ok(())
    }
}

/// Reads `snapshot.json` (see `zkmargin_formats::snapshot::read_snapshot`) and checks its signature if it
/// has one: a signed snapshot whose signature does not verify is refused, naming `file` and
/// the field. An unsigned snapshot is accepted; [`SignedSnapshot::require_publisher`] refuses
/// it when the publisher must be checked.
pub fn read_signed_snapshot(text: &str, file: &str) -> Result<SignedSnapshot, InputError> {
    let (snapshot, signature) = read_snapshot_file(text, file)?;
    if let Some(signature) = &signature {
        check_signature(&snapshot, signature)
            .map_err(|e| InputError::new(file, e.field(), e.to_string()))?;
    }
    Ok(SignedSnapshot {
        snapshot,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_formats::snapshot::write_signed_snapshot;
    use zkmargin_testing::fixtures;

    fn snapshot() -> Snapshot {
        fixtures::fixture(zkmargin_circuits::profile::SMALL).snapshot
    }

    /// A named change to a snapshot.
    type Change = Box<dyn Fn(&mut Snapshot)>;

    fn secret(byte: u8) -> PublisherSecret {
        PublisherSecret::from_bytes(&[byte; 32])
    }

    #[test]
    fn a_signed_snapshot_reads_back_and_names_its_publisher() {
        let s = snapshot();
        let key = secret(1);
        let text = write_signed_snapshot(&s, Some(&key.sign(&s)));
        let signed = read_signed_snapshot(&text, "s.json").unwrap();
        assert_eq!(signed.snapshot, s);
        assert_eq!(signed.publisher(), Some(key.public()));
        assert_eq!(signed.require_publisher(&key.public()), Ok(()));
        let other = secret(2).public();
        assert!(matches!(
            signed.require_publisher(&other),
            Err(SignatureError::OtherPublisher { .. })
        ));
        // Unsigned: readable, but not from any publisher.
        let unsigned = read_signed_snapshot(&write_signed_snapshot(&s, None), "s.json").unwrap();
        assert_eq!(unsigned.publisher(), None);
        assert_eq!(
            unsigned.require_publisher(&key.public()),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_change_after_signing_is_refused_even_with_a_recomputed_digest() {
        let s = snapshot();
        let key = secret(1);
        let signature = key.sign(&s);
        // Every kind of field: a price, a haircut, a rate, a tau, a root, a time, the epoch.
        let changes: Vec<(&str, Change)> = vec![
            ("price", Box::new(|s| s.assets[0].price += 1)),
            ("haircut", Box::new(|s| s.haircuts_ppm[0][0] -= 1)),
            ("perp rate", Box::new(|s| s.perp_mmr_ppm[0][0] += 1)),
            ("option rate", Box::new(|s| s.option_rate_ppm[0] += 1)),
            ("tau", Box::new(|s| s.buckets[0].tau_ppm[0] += 1)),
            ("upnl haircut", Box::new(|s| s.upnl_haircut_ppm += 1)),
            (
                "chain root",
                Box::new(|s| s.chain_roots[0] += zkmargin_circuits::hash::Fp::one()),
            ),
            (
                "venue root",
                Box::new(|s| s.venue_roots[0] += zkmargin_circuits::hash::Fp::one()),
            ),
            ("valid_until", Box::new(|s| s.valid_until += 3600)),
            ("valid_from", Box::new(|s| s.valid_from -= 1)),
            ("epoch", Box::new(|s| s.epoch += 1)),
            ("chain id", Box::new(|s| s.chains[0].id += 1)),
        ];
        for (what, change) in changes {
            let mut changed = s.clone();
            change(&mut changed);
            assert_ne!(changed.digest(), s.digest(), "{what}");
            // Written with a freshly computed digest and the old signature.
            let text = write_signed_snapshot(&changed, Some(&signature));
            let e = read_signed_snapshot(&text, "s.json").unwrap_err();
            assert_eq!(
                (e.file.as_str(), e.field.as_str()),
                ("s.json", "signature"),
                "{what}"
            );
            assert!(
                e.reason.contains("changed after it was signed"),
                "{what}: {e}"
            );
        }
        // A signature by another key under this key's name.
        let mut forged = secret(2).sign(&s);
        forged.publisher_key = key.public().to_bytes();
        let e =
            read_signed_snapshot(&write_signed_snapshot(&s, Some(&forged)), "s.json").unwrap_err();
        assert_eq!(e.field, "signature");
        // A weak key: the identity point (y = 1), of small order.
        let mut bad = signature;
        bad.publisher_key = [0; 32];
        bad.publisher_key[0] = 1;
        let e = read_signed_snapshot(&write_signed_snapshot(&s, Some(&bad)), "s.json").unwrap_err();
        assert_eq!(e.field, "publisher_key");
    }

    #[test]
    fn the_message_is_the_context_and_the_digest() {
        let digest = [3u8; 32];
        let message = signing_message(&digest);
        assert!(message.starts_with(b"zkmargin.snapshot/1 digest:"));
        assert_eq!(&message[message.len() - 32..], &digest);
    }
}
