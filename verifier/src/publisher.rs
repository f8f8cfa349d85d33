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
//! Key files (JSON, like every zkmargin file):
//!
//! ```text
//! publisher.secret  {"format": "zkmargin.publisher-secret/1",
//!                    "secret_key": "<64 hex>", "public_key": "<64 hex>"}      mode 0600
//! publisher.pub     {"format": "zkmargin.publisher-key/1", "public_key": "<64 hex>"}
//! ```

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zkmargin_circuits::input_error::InputError;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::snapshot_json::{
    bytes_from_hex, bytes_to_hex, read_hex_bytes, read_snapshot_file, SnapshotSignature,
};
use zkmargin_circuits::strict_json::{self, shown, At, Json};

/// The `format` of a publisher's secret key file.
pub const SECRET_FORMAT: &str = "zkmargin.publisher-secret/1";
/// The `format` of a publisher's public key file.
pub const PUBLIC_FORMAT: &str = "zkmargin.publisher-key/1";
/// What precedes the digest in the signed message.
pub const SIGNING_CONTEXT: &[u8] = b"zkmargin.snapshot/1 digest:";

/// The message the publisher signs for a snapshot.
pub fn signing_message(digest: &[u8; 32]) -> Vec<u8> {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(digest);
    message
}

/// A publisher's public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublisherKey(VerifyingKey);

impl PublisherKey {
    /// From the 32 bytes of an Ed25519 public key; `None` if they are not a valid point or
    /// a weak (small-order) key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublisherKey> {
        VerifyingKey::from_bytes(bytes)
            .ok()
            .filter(|key| !key.is_weak())
            .map(PublisherKey)
    }

    /// From 64 lower- or upper-case hex digits.
    pub fn from_hex(text: &str) -> Option<PublisherKey> {
        bytes_from_hex::<32>(&text.to_ascii_lowercase()).and_then(|b| Self::from_bytes(&b))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        bytes_to_hex(&self.to_bytes())
    }
}

impl fmt::Debug for PublisherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublisherKey({})", self.to_hex())
    }
}

/// A publisher's signing key. Debug output never shows it.
#[derive(Clone)]
pub struct PublisherSecret(SigningKey);

impl fmt::Debug for PublisherSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublisherSecret(<secret>, public {})",
            self.public().to_hex()
        )
    }
}

impl PublisherSecret {
    /// The key whose secret is these 32 bytes (draw them from a cryptographic generator).
    pub fn from_bytes(secret: &[u8; 32]) -> PublisherSecret {
        PublisherSecret(SigningKey::from_bytes(secret))
    }

    pub fn public(&self) -> PublisherKey {
        PublisherKey(self.0.verifying_key())
    }

    /// Signs the snapshot's digest.
    pub fn sign(&self, snapshot: &Snapshot) -> SnapshotSignature {
        let signature = self.0.sign(&signing_message(&snapshot.digest()));
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
    key.0
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

/// Reads `snapshot.json` (see `snapshot_json::read_snapshot`) and checks its signature if it
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

/// The text of a secret key file.
pub fn write_secret(secret: &PublisherSecret) -> String {
    strict_json::to_pretty(&Json::object([
        ("format", Json::str(SECRET_FORMAT)),
        ("secret_key", Json::str(bytes_to_hex(&secret.0.to_bytes()))),
        ("public_key", Json::str(secret.public().to_hex())),
    ]))
}

/// The text of a public key file.
pub fn write_public(key: &PublisherKey) -> String {
    strict_json::to_pretty(&Json::object([
        ("format", Json::str(PUBLIC_FORMAT)),
        ("public_key", Json::str(key.to_hex())),
    ]))
}

fn read_public_key(at: &At) -> Result<PublisherKey, InputError> {
    let bytes = read_hex_bytes::<32>(at, "an Ed25519 public key")?;
    PublisherKey::from_bytes(&bytes).ok_or_else(|| at.err("is not a valid Ed25519 public key"))
}

/// Reads a secret key file; its `public_key` must be the secret's.
pub fn read_secret(text: &str, file: &str) -> Result<PublisherSecret, InputError> {
    let json = strict_json::parse(text, file)?;
    let root = At::root(file, &json);
    let top = root.object()?;
    top.format(SECRET_FORMAT)?;
    top.only(&["format", "secret_key", "public_key"])?;
    let secret = PublisherSecret::from_bytes(&read_hex_bytes::<32>(
        &top.req("secret_key")?,
        "an Ed25519 secret key",
    )?);
    let public_at = top.req("public_key")?;
    let public = read_public_key(&public_at)?;
    if public != secret.public() {
        return Err(public_at.err("is not the public key of secret_key: the file is corrupted"));
    }
    Ok(secret)
}

/// Reads a public key file. A secret key file is refused (a venue never needs the secret).
pub fn read_public(text: &str, file: &str) -> Result<PublisherKey, InputError> {
    let json = strict_json::parse(text, file)?;
    let root = At::root(file, &json);
    let top = root.object()?;
    let format_at = top.req("format")?;
    if format_at.str()? == SECRET_FORMAT {
        return Err(format_at.err(format!(
            "this is the publisher's secret key file: give the public key ({PUBLIC_FORMAT}) \
             or its 64 hex digits"
        )));
    }
    top.format(PUBLIC_FORMAT)?;
    top.only(&["format", "public_key"])?;
    read_public_key(&top.req("public_key")?)
}

/// A public key given on the command line as 64 hex digits; the error says why not.
pub fn parse_public_hex(text: &str) -> Result<PublisherKey, String> {
    let bytes = bytes_from_hex::<32>(&text.to_ascii_lowercase()).ok_or_else(|| {
        format!(
            "{} is neither 64 hex digits nor a readable key file",
            shown(text)
        )
    })?;
    PublisherKey::from_bytes(&bytes)
        .ok_or_else(|| format!("{} is not a valid Ed25519 public key", shown(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::snapshot_json::write_signed_snapshot;
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

    #[test]
    fn key_files_round_trip_and_are_checked() {
        let key = secret(5);
        let text = write_secret(&key);
        let back = read_secret(&text, "p.secret").unwrap();
        assert_eq!(back.public(), key.public());
        assert!(!format!("{back:?}").contains(&bytes_to_hex(&[5u8; 32])));
        let public = write_public(&key.public());
        assert_eq!(read_public(&public, "p.pub").unwrap(), key.public());
        assert_eq!(
            PublisherKey::from_hex(&key.public().to_hex()),
            Some(key.public())
        );
        assert_eq!(
            PublisherKey::from_hex(&key.public().to_hex().to_uppercase()),
            Some(key.public())
        );
        assert!(parse_public_hex("00").is_err());
        // The secret file where the public one is expected, and the other way round.
        let e = read_public(&text, "p.secret").unwrap_err();
        assert_eq!(e.field, "format");
        let e = read_secret(&public, "p.pub").unwrap_err();
        assert_eq!(e.field, "format");
        // A public key that does not match the secret.
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["public_key"] = serde_json::json!(secret(6).public().to_hex());
        let e = read_secret(&value.to_string(), "p.secret").unwrap_err();
        assert_eq!(e.to_string().split(": ").nth(1), Some("public_key"));
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["secret_key"] = serde_json::json!("xyz");
        let e = read_secret(&value.to_string(), "p.secret").unwrap_err();
        assert_eq!(e.field, "secret_key");
        let mut value: serde_json::Value = serde_json::from_str(&public).unwrap();
        value["extra"] = serde_json::json!(1);
        assert_eq!(
            read_public(&value.to_string(), "p.pub").unwrap_err().field,
            "extra"
        );
        for bad in ["", "{", "[]", "{}"] {
            assert!(read_public(bad, "p.pub").is_err());
            assert!(read_secret(bad, "p.secret").is_err());
        }
    }
}
