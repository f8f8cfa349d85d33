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

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use zkmargin_formats::publisher_key::PublisherKey;

use crate::certificates::Verifier;
use crate::metrics::Metrics;
use crate::reader::Reader;
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
    /// Account reads and the nullifier check, on their own connection.
    pub reader: Reader,
    /// Certificates are verified here, in batches, off the order path.
    pub verifier: Verifier,
    pub metrics: Arc<Metrics>,
    pub snapshot: SnapshotCell,
    /// One permit per request under way (`--max-requests`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// How long a request may take (`--request-timeout-ms`).
    pub request_timeout: Duration,
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
    let routes = public_routes()
        .merge(engine)
        .route("/metrics", get(metrics));
    finish(routes, app)
}

/// The trader-facing routes only, for `--public-listen`.
pub fn public_router(app: Arc<App>) -> Router {
    finish(public_routes(), app)
}

/// The answers for what no route takes, and the bounds of every request.
fn finish(routes: Router<Arc<App>>, app: Arc<App>) -> Router {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), bounded))
        .with_state(app)
}

/// The bounds of every request: at most `--max-requests` under way (one more is answered
/// 503 with `Retry-After` at once, having done nothing), each answered within
/// `--request-timeout-ms` (else 503: an order may still be committed after it, and its
/// retry with the same id gets its answer). `/healthz` and `/metrics` take no place: a
/// venue's monitoring sees a loaded gateway as it is, not as refused.
async fn bounded(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let monitoring = matches!(request.uri().path(), "/healthz" | "/metrics");
    let permit = if monitoring {
        None
    } else {
        match app.in_flight.try_acquire() {
            Ok(permit) => Some(permit),
            Err(_) => {
                let busy = ApiError::Busy("too many requests under way: retry later".into());
                busy.count(&app.metrics);
                return busy.into_response();
            }
        }
    };
    let response = match tokio::time::timeout(app.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let late = ApiError::Unavailable(format!(
                "the request took longer than {} ms: retry it (an order, fill or cancel with \
                 the same id is charged once)",
                app.request_timeout.as_millis()
            ));
            late.count(&app.metrics);
            late.into_response()
        }
    };
    drop(permit);
    response
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
            let mut response = ApiError::Unauthorized(refusal.to_string()).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"zkmargin-gateway engine\""),
            );
            response
        }
    }
}

/// 200 `{"status": "ok", "venue", "epoch"}` while the gateway can charge: its ledger's writer
/// takes jobs and its database answers (one empty read-only transaction on the reads'
/// connection). Otherwise 503 with `"status": "unavailable"` and the reason in `"error"`:
/// every charge would be answered 503 too.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let epoch = app.snapshot.get().map(|s| s.snapshot.epoch);
    let ready = if app.writer.alive() {
        app.reader
            .ping()
            .await
            .map_err(|e| ApiError::from(e).to_string())
    } else {
        Err(WRITER_GONE.to_string())
    };
    health(&app.venue, epoch, ready)
}

const WRITER_GONE: &str = "the ledger's writer stopped: no charge can be committed";

fn health(venue: &str, epoch: Option<u64>, ready: Result<(), String>) -> Response {
    let mut body = serde_json::json!({ "status": "ok", "venue": venue, "epoch": epoch });
    match ready {
        Ok(()) => axum::Json(body).into_response(),
        Err(reason) => {
            body["status"] = "unavailable".into();
            body["error"] = reason.into();
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
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
    ApiError::NotFound("no such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("method not allowed on this endpoint".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer gone (its thread ended: no charge can be committed), `/healthz` is 503.
    #[test]
    fn health_is_503_without_the_writer() {
        let answer = health("deribit", Some(4812), Err(WRITER_GONE.into()));
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(health("deribit", None, Ok(())).status(), StatusCode::OK);
    }
}
