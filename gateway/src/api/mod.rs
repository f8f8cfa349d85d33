//! The HTTP API (DESIGN.md, "The venue gateway"): routes, shared state, and the answers for
//! what no route takes, all JSON.

mod accounts;
mod body;
mod certificates;
pub mod error;
mod orders;
mod snapshots;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use zkmargin_formats::publisher_key::PublisherKey;

use crate::certificates::Verifier;
use crate::metrics::Metrics;
use crate::snapshots::SnapshotCell;
use crate::writer::Writer;
use error::ApiError;

pub use orders::canonical_request;

/// What every request handler shares.
pub struct App {
    /// This gateway's venue, by its name in the snapshot.
    pub venue: String,
    /// The risk publisher whose signature every snapshot must carry.
    pub publisher: PublisherKey,
    pub writer: Writer,
    /// Certificates are verified here, in batches, off the order path.
    pub verifier: Verifier,
    pub metrics: Arc<Metrics>,
    pub snapshot: SnapshotCell,
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/snapshots", post(snapshots::post))
        .route("/v1/certificates", post(certificates::post))
        .route("/v1/orders", post(orders::post))
        .route("/v1/accounts/{tag}", get(accounts::get))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn healthz(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
) -> axum::Json<serde_json::Value> {
    let snapshot = app.snapshot.get();
    axum::Json(serde_json::json!({
        "status": "ok",
        "venue": app.venue,
        "epoch": snapshot.as_ref().map(|s| s.snapshot.epoch),
    }))
}

async fn metrics(axum::extract::State(app): axum::extract::State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.metrics.render(),
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint",
    )
}
