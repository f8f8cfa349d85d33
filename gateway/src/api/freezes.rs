//! `POST /v1/accounts/{tag}/freeze` `{"reason"}`: the venue liquidates the trader of `tag`
//! (DESIGN.md, "The venue gateway", version 2). The nullifier of the tag's line is frozen in
//! the registry every venue on the database shares (`crate::ledger`'s freeze): from the
//! answer on, every gateway on the database refuses new orders of that nullifier, while
//! resting orders still fill and cancel. 200 `{"nullifier", "venue", "reason", "frozen_at"}`
//! after the commit: the freeze that stands (a freeze again, here or at another venue, answers
//! the first and changes nothing); 404 for a tag without a line here.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use zkmargin_formats::json::ValueReader;

use super::accounts::{freeze_json, no_line, tag_of};
use super::body::{self, ORDER_LIMIT};
use super::error::ApiError;
use super::orders::check_id;
use super::App;

const LABEL: &str = "freeze";

pub async fn post(
    State(app): State<Arc<App>>,
    tag: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    match freeze(&app, tag, &headers, body).await {
        Ok((answer, made)) => {
            if made {
                app.metrics.freezes.fetch_add(1, Relaxed);
            }
            Ok(answer)
        }
        Err(e) => {
            e.count(&app.metrics);
            Err(e)
        }
    }
}

async fn freeze(
    app: &App,
    tag: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Json<serde_json::Value>, bool), ApiError> {
    let tag = tag_of(tag)?;
    let doc = body::json(headers, body, ORDER_LIMIT, LABEL).await?;
    let root = ValueReader::root(LABEL, &doc);
    let top = root.object()?;
    top.only(&["reason"])?;
    let reason_at = top.req("reason")?;
    let reason = reason_at.str()?.to_string();
    // The same bounds as an id: one line a venue's operators can read back.
    check_id(&reason).map_err(|e| reason_at.err(e.replace("an id", "a reason")))?;
    let (freeze, made) = app
        .writer
        .freeze_tag(tag, reason)
        .await?
        .ok_or_else(no_line)?;
    Ok((Json(freeze_json(&freeze)), made))
}
