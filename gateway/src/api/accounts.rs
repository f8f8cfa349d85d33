//! `GET /v1/accounts/{tag}`: the line a tag spends at this venue, with what its orders hold
//! of it (`spent_uusd`: reserved by resting orders plus filled) and what remains.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use zkmargin_circuits::hash::fp_from_hex;
use zkmargin_formats::json::shown;

use super::error::ApiError;
use super::App;
use crate::ledger;

pub async fn get(
    State(app): State<Arc<App>>,
    tag: Result<Path<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path(text) = tag.map_err(|e| ApiError::bad_request(format!("tag: {e}")))?;
    let tag = fp_from_hex(&text.to_ascii_lowercase()).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "tag: {} is not an account tag (0x and 64 hex digits)",
            shown(&text)
        ))
    })?;
    let venue = app.venue.clone();
    let state = app
        .writer
        .run(move |store| {
            let mut state = None;
            store.transaction(&mut |tx| {
                state = ledger::account(tx, &venue, &tag)?;
                Ok(())
            })?;
            Ok(state)
        })
        .await?;
    let state =
        state.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no credit line for this tag"))?;
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
    })))
}
