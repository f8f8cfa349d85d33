//! `--publisher KEY`: the risk publisher's public key, as `zkmargin` takes it: a key file
//! (`zkmargin publisher keygen` writes `publisher.pub`) or its 64 hex digits.

use std::path::Path;

use zkmargin_formats::publisher_key::{parse_public_hex, read_public, PublisherKey};

/// The largest key file read (a real one is about a hundred bytes).
const KEY_FILE_LIMIT: u64 = 64 << 10;

pub fn parse_publisher(text: &str) -> Result<PublisherKey, String> {
    let path = Path::new(text);
    if path.is_file() {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size > KEY_FILE_LIMIT {
            return Err(format!(
                "{text}: is larger than {KEY_FILE_LIMIT} bytes: not a key file"
            ));
        }
        let content =
            std::fs::read_to_string(path).map_err(|e| format!("{text}: cannot read: {e}"))?;
        return read_public(&content, text).map_err(|e| e.to_string());
    }
    parse_public_hex(text).map_err(|reason| format!("--publisher: {reason}"))
}
