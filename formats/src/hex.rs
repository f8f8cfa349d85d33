//! Bytes written as hex digits in files: digests, keys and signatures.

use crate::input_error::InputError;
use crate::json::{shown, ValueReader};

/// A digest as 64 lower-case hex digits.
pub fn digest_to_hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses exactly 64 lower-case hex digits.
pub fn digest_from_hex(text: &str) -> Option<[u8; 32]> {
    bytes_from_hex(text)
}

/// Bytes as lower-case hex digits.
pub fn bytes_to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses exactly `2 * N` lower-case hex digits into `N` bytes.
pub fn bytes_from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Reads `N` bytes written as `2 * N` lower-case hex digits; `what` names them in the error.
pub fn read_hex_bytes<const N: usize>(at: &ValueReader, what: &str) -> Result<[u8; N], InputError> {
    let text = at.str()?;
    bytes_from_hex(text).ok_or_else(|| {
        at.err(format!(
            "{} is not {what} ({} lower-case hex digits)",
            shown(text),
            2 * N
        ))
    })
}

/// Reads a digest field: 64 lower-case hex digits.
pub fn read_digest(at: &ValueReader) -> Result<[u8; 32], InputError> {
    let text = at.str()?;
    digest_from_hex(text).ok_or_else(|| {
        at.err(format!(
            "{} is not a digest (64 lower-case hex digits)",
            shown(text)
        ))
    })
}
