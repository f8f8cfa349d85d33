//! Reading a request body: bounded in size before it is read, UTF-8, then strict JSON
//! (the formats crate's reader: duplicate keys refused, errors naming the field).

use axum::body::Body;
use axum::http::{header, HeaderMap};
use zkmargin_formats::json::{self, Json};

use super::error::ApiError;

/// Largest order request: an id, a tag, one position and a fill.
pub const ORDER_LIMIT: usize = 16 << 10;
/// Largest snapshot (real ones are a few hundred KiB at most).
pub const SNAPSHOT_LIMIT: usize = 16 << 20;
/// Largest certificate request (a certificate is a few KiB; base64 adds a third).
pub const CERTIFICATE_LIMIT: usize = 1 << 20;

fn too_large(limit: usize) -> ApiError {
    ApiError::TooLarge(format!("request body is larger than {limit} bytes"))
}

/// How far past its limit a body is still read (and thrown away) before the refusal, so that
/// the client, still sending, reads the 413 rather than a reset connection.
const DRAIN: usize = 1 << 20;

/// The body as text, at most `limit` bytes. A longer body is refused with 413: read to its
/// end when it is at most [`DRAIN`] bytes too long, refused unread when its declared length
/// is longer still, and cut off there when it has no declared length.
pub async fn text(headers: &HeaderMap, body: Body, limit: usize) -> Result<String, ApiError> {
    let cap = limit.saturating_add(DRAIN);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, cap)
        .await
        .map_err(|_| too_large(limit))?;
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::bad_request(format!(
            "request body is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The body parsed as one JSON document; `label` names it in errors.
pub async fn json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    label: &str,
) -> Result<Json, ApiError> {
    let text = text(headers, body, limit).await?;
    parse(&text, label)
}

/// `text` parsed as one JSON document: 400 when it is not JSON (its syntax, a duplicate key).
pub fn parse(text: &str, label: &str) -> Result<Json, ApiError> {
    json::parse(text, label).map_err(|e| ApiError::bad_request(e.to_string()))
}
