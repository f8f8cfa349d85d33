//! `POST /v1/snapshots`: the publisher's signed `snapshot.json`. 204 once stored (and current
//! if it is the highest epoch); 422 for a bad file, digest or signature, or a snapshot that
//! does not list this venue.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::body::{self, SNAPSHOT_LIMIT};
use super::error::ApiError;
use super::App;
use crate::clock;
use crate::snapshots;

pub async fn post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let result = publish(&app, &headers, body).await;
    if let Err(e) = &result {
        e.count(&app.metrics);
    }
    result
}

async fn publish(app: &App, headers: &HeaderMap, body: Body) -> Result<StatusCode, ApiError> {
    let text = body::text(headers, body, SNAPSHOT_LIMIT).await?;
    let current =
        snapshots::check(&text, &app.publisher, &app.venue).map_err(ApiError::unprocessable)?;
    let record = snapshots::record(&current, &text, clock::now());
    app.writer.put_snapshot(record).await?;
    app.verifier.warm(current.snapshot.profile);
    app.snapshot.offer(Arc::new(current));
    Ok(StatusCode::NO_CONTENT)
}
