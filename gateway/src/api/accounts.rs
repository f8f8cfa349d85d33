//! `GET /v1/accounts/{tag}`: the line a tag spends at this venue, with what its orders hold
//! of it (`spent_uusd`: reserved by resting orders plus filled), what remains, and its
//! nullifier's freeze (`frozen`, null when none).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use zkmargin_circuits::hash::{fp_from_hex, fp_to_hex};
use zkmargin_formats::json::shown;

use super::error::ApiError;
use super::App;
use crate::storage::FreezeRecord;

/// The account tag of a route's path, as lines are stored (`fp_to_hex`).
pub fn tag_of(tag: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(text) = tag.map_err(|e| ApiError::bad_request(format!("tag: {e}")))?;
    let tag = fp_from_hex(&text.to_ascii_lowercase()).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "tag: {} is not an account tag (0x and 64 hex digits)",
            shown(&text)
        ))
    })?;
    Ok(fp_to_hex(&tag))
}

/// 404 for a tag without a line here.
pub fn no_line() -> ApiError {
    ApiError::NotFound("no credit line for this tag".into())
}

/// A freeze as the API shows it.
pub fn freeze_json(freeze: &FreezeRecord) -> serde_json::Value {
    serde_json::json!({
        "nullifier": freeze.nullifier,
        "venue": freeze.venue,
        "reason": freeze.reason,
        "frozen_at": freeze.frozen_at,
    })
}

pub async fn get(
    State(app): State<Arc<App>>,
    tag: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tag = tag_of(tag)?;
    let (state, frozen) = app.reader.account(tag).await?.ok_or_else(no_line)?;
    let line = &state.line;
    Ok(Json(serde_json::json!({
        "epoch": line.epoch,
        "nullifier": line.nullifier,
        "certificate": line.certificate,
        "level_ppm": line.level_ppm,
        "valid_until": line.valid_until,
        "allowance_uusd": line.allowance.to_string(),
        "spent_uusd": state.used.spent.to_string(),
        "reserved_uusd": state.used.reserved().to_string(),
        "filled_uusd": state.used.filled.to_string(),
        "remaining_uusd": (line.allowance - state.used.spent).to_string(),
        "frozen": frozen.as_ref().map(freeze_json),
    })))
}
