//! The framing of zkmargin's binary files (the certificate and the per-order proof envelope):
//! eight bytes of magic, then one bincode value with fixed-width integers, and nothing else.
//!
//! Decoding is exact: the magic, a size limit checked before any allocation, one value, and no
//! byte left over. halo2's `verify_proof` accepts trailing bytes after a valid proof; a file
//! read through this framing cannot carry any.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Largest body accepted (a proof is a few KiB; a certificate adds a few hundred bytes).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Why bytes are not one framed value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("bad magic: not a {0}")]
    Magic(&'static str),
    #[error("larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_fixed_int_encoding()
        .with_limit::<MAX_BODY_BYTES>()
}

/// `magic || bincode(value)`.
pub fn encode<T: Serialize>(magic: &[u8; 8], value: &T) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend(
        bincode::serde::encode_to_vec(value, config()).expect("a file value always encodes"),
    );
    out
}

/// Exactly one value after `magic` (`what` names the kind of file in the error).
pub fn decode<T: DeserializeOwned>(
    magic: &[u8; 8],
    what: &'static str,
    bytes: &[u8],
) -> Result<T, FrameError> {
    if bytes.len() > MAX_BODY_BYTES + magic.len() {
        return Err(FrameError::TooLarge);
    }
    let body = bytes
        .strip_prefix(magic.as_slice())
        .ok_or(FrameError::Magic(what))?;
    let (value, used): (T, usize) = bincode::serde::decode_from_slice(body, config())
        .map_err(|e| FrameError::Decode(e.to_string()))?;
    if used != body.len() {
        return Err(FrameError::Trailing(body.len() - used));
    }
    Ok(value)
}

/// BLAKE2b-256 of a file's bytes: the name a certificate goes by in grants and ledgers.
pub fn file_digest(bytes: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new().hash_length(32).hash(bytes);
    let mut digest = [0u8; 32];
    digest.copy_from_slice(hash.as_bytes());
    digest
}
