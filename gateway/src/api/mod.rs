//! The HTTP API (DESIGN.md, "The venue gateway"): routes, shared state, and the answers for
//! what no route takes, all JSON.
//!
//! Two routers: [`router`] for `--listen` (every route; the engine's behind its bearer token)
//! and [`public_router`] for `--public-listen` (what a trader may reach: certificates and
//! `/healthz`, nothing else).

mod accounts;
mod body;
mod cancels;
mod certificates;
mod counted;
pub mod error;
mod fills;
mod freezes;
mod orders;
mod snapshots;

use std::sync::Arc;

use std::sync::atomic::Ordering::Relaxed;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use zkmargin_formats::publisher_key::PublisherKey;

use crate::certificates::Verifier;
use crate::metrics::Metrics;
use crate::snapshots::{Current, SnapshotCell};
use crate::token::EngineToken;
use crate::writer::Writer;
use error::ApiError;

pub use orders::canonical_request;

/// What every request handler shares.
pub struct App {
    /// This gateway's venue, by its name in the snapshot.
    pub venue: String,
    /// The risk publisher whose signature every snapshot must carry.
    pub publisher: PublisherKey,
    /// What the matching engine presents on every engine route.
    pub token: EngineToken,
    pub writer: Writer,
    /// Certificates are verified here, in batches, off the order path.
    pub verifier: Verifier,
    pub metrics: Arc<Metrics>,
    pub snapshot: SnapshotCell,
}

impl App {
    /// The snapshot orders are charged under; 409 before the first.
    pub fn current(&self) -> Result<Arc<Current>, ApiError> {
        self.snapshot
            .get()
            .ok_or_else(|| ApiError::conflict("no snapshot yet: POST /v1/snapshots first"))
    }
}

/// Every route, for `--listen`: the engine's routes need its token; certificates, `/healthz`
/// and `/metrics` (counts and latencies, nothing of any account) do not.
pub fn router(app: Arc<App>) -> Router {
    let engine = Router::new()
        .route("/v1/snapshots", post(snapshots::post))
        .route("/v1/orders", post(orders::post))
        .route("/v1/orders/{id}/fills", post(fills::post))
        .route("/v1/orders/{id}/cancel", post(cancels::post))
        .route("/v1/accounts/{tag}", get(accounts::get))
        .route("/v1/accounts/{tag}/freeze", post(freezes::post))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&app), authorize));
    public_routes()
        .merge(engine)
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// The trader-facing routes only, for `--public-listen`.
pub fn public_router(app: Arc<App>) -> Router {
    public_routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

fn public_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/certificates", post(certificates::post))
        .route("/healthz", get(healthz))
}

/// The guard of every engine route: 401 unless the request carries the engine's token. It
/// runs before the route's handler, so a refused request's body is never read and nothing
/// changes.
async fn authorize(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    match app.token.check_header(presented) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            app.metrics.requests_unauthorized.fetch_add(1, Relaxed);
            let mut response =
                ApiError::new(StatusCode::UNAUTHORIZED, refusal.to_string()).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"zkmargin-gateway engine\""),
            );
            response
        }
    }
}

async fn healthz(State(app): State<Arc<App>>) -> axum::Json<serde_json::Value> {
    let snapshot = app.snapshot.get();
    axum::Json(serde_json::json!({
        "status": "ok",
        "venue": app.venue,
        "epoch": snapshot.as_ref().map(|s| s.snapshot.epoch),
    }))
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
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
