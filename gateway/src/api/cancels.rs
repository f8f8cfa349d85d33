//! `POST /v1/orders/{id}/cancel` (an empty body, or `{}`): the matching engine cancelled what
//! rests of order `id`. The ledger releases what the rest reserved, once; answered once
//! committed. A cancel again answers the same and releases nothing.
//!
//! 200 `{"cancelled": true, "released_uusd", "filled_size", "remaining_uusd"}`; 404 for an
//! unknown order, 409 for one that was refused (it holds nothing).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use zkmargin_formats::json::ValueReader;

use super::body::{self, ORDER_LIMIT};
use super::counted::{counted, Counters, Fresh};
use super::error::ApiError;
use super::fills::{order_id, size_text};
use super::App;
use crate::ledger::{Op, Outcome};

const LABEL: &str = "cancel";

pub async fn post(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let metrics = &app.metrics;
    // A cancel is never refused: both counters are the cancels'.
    let counters = Counters {
        seconds: &metrics.lifecycle_seconds,
        accepted: &metrics.cancels,
        refused: &metrics.cancels,
    };
    counted(metrics, counters, cancel(&app, id, &headers, body)).await
}

async fn cancel(
    app: &App,
    id: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(serde_json::Value, Fresh), ApiError> {
    let order_id = order_id(id)?;
    let text = body::text(headers, body, ORDER_LIMIT).await?;
    if !text.trim().is_empty() {
        let doc = body::parse(&text, LABEL)?;
        ValueReader::root(LABEL, &doc).object()?.only(&[])?;
    }
    match app.writer.apply(Op::Cancel(order_id)).await? {
        Outcome::Cancel { answer, fresh } => Ok((
            serde_json::json!({
                "cancelled": true,
                "released_uusd": answer.released.to_string(),
                "filled_size": size_text(answer.filled_size),
                "remaining_uusd": answer.remaining.to_string(),
            }),
            fresh.then_some(true),
        )),
        other => Err(ApiError::from_outcome(other)),
    }
}
