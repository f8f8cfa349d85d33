//! The risk publisher's Ed25519 keys and their files. The publisher signs the snapshot digest
//! with its secret key; a venue pins its public key. Signing and verifying are the verifier
//! crate's (`zkmargin_verifier::publisher`), which a venue links.
//!
//! ```text
//! publisher.secret  {"format": "zkmargin.publisher-secret/1",
//!                    "secret_key": "<64 hex>", "public_key": "<64 hex>"}      mode 0600
//! publisher.pub     {"format": "zkmargin.publisher-key/1", "public_key": "<64 hex>"}
//! ```

use std::fmt;

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::hex::{bytes_from_hex, bytes_to_hex, read_hex_bytes};
use crate::input_error::InputError;
use crate::json::{self, shown, Json, ValueReader};

/// The `format` of a publisher's secret key file.
pub const SECRET_FORMAT: &str = "zkmargin.publisher-secret/1";
/// The `format` of a publisher's public key file.
pub const PUBLIC_FORMAT: &str = "zkmargin.publisher-key/1";

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

    /// The Ed25519 key, to verify signatures with.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
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

    /// The Ed25519 key, to sign with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

/// The text of a secret key file.
pub fn write_secret(secret: &PublisherSecret) -> String {
    json::to_pretty(&Json::object([
        ("format", Json::str(SECRET_FORMAT)),
        ("secret_key", Json::str(bytes_to_hex(&secret.0.to_bytes()))),
        ("public_key", Json::str(secret.public().to_hex())),
    ]))
}

/// The text of a public key file.
pub fn write_public(key: &PublisherKey) -> String {
    json::to_pretty(&Json::object([
        ("format", Json::str(PUBLIC_FORMAT)),
        ("public_key", Json::str(key.to_hex())),
    ]))
}

fn read_public_key(at: &ValueReader) -> Result<PublisherKey, InputError> {
    let bytes = read_hex_bytes::<32>(at, "an Ed25519 public key")?;
    PublisherKey::from_bytes(&bytes).ok_or_else(|| at.err("is not a valid Ed25519 public key"))
}

/// Reads a secret key file; its `public_key` must be the secret's.
pub fn read_secret(text: &str, file: &str) -> Result<PublisherSecret, InputError> {
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
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
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
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

    fn secret(byte: u8) -> PublisherSecret {
        PublisherSecret::from_bytes(&[byte; 32])
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
