//! Every error the API answers: a status and a one-line reason, sent as `{"error": reason}`.
//! Bad input is always a 4xx; a 5xx only ever means the gateway itself could not serve
//! (its database is unreachable, say).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use zkmargin_formats::input_error::InputError;

use std::sync::atomic::Ordering::Relaxed;

use crate::ledger::{Outcome, Refusal};
use crate::metrics::Metrics;
use crate::writer::LedgerError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub reason: String,
    /// `Retry-After` in seconds, for a busy answer.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// 503 with `Retry-After`: the gateway has no room for this request now; nothing changed.
    pub fn busy(reason: impl Into<String>, seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason)
        }
    }

    /// Malformed: not JSON, not UTF-8.
    pub fn bad_request(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, reason)
    }

    /// Well-formed but refused: an unknown field, a wrong type, a value out of range.
    pub fn unprocessable(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason)
    }

    /// Not possible in the gateway's present state (no snapshot yet, a nullifier taken).
    pub fn conflict(reason: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, reason)
    }

    pub fn is_client_error(&self) -> bool {
        self.status.is_client_error()
    }

    /// Counts the error in `metrics`: bad input (4xx) or a failure to serve (5xx).
    pub fn count(&self, metrics: &Metrics) {
        let counter = if self.is_client_error() {
            &metrics.requests_invalid
        } else {
            &metrics.requests_failed
        };
        counter.fetch_add(1, Relaxed);
    }

    /// A ledger outcome that is not the route's answer: a refusal (404 no such order, 409 an
    /// order that cannot take it, 422 a request that cannot be charged), or an answer of
    /// another kind (never sent: the writer answers each operation with its own kind).
    pub fn from_outcome(outcome: Outcome) -> ApiError {
        match outcome {
            Outcome::Refused(Refusal::NoOrder(reason)) => {
                ApiError::new(StatusCode::NOT_FOUND, reason)
            }
            Outcome::Refused(Refusal::NotResting(reason)) => ApiError::conflict(reason),
            Outcome::Refused(Refusal::Invalid(reason)) => ApiError::unprocessable(reason),
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the ledger answered with another kind of answer: {other:?}"),
            ),
        }
    }
}

/// A field-level error of a request body: 400 for a JSON syntax error (its "field" is a line
/// and column), 422 for everything else.
impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        if e.reason.starts_with("invalid JSON") {
            ApiError::bad_request(e.to_string())
        } else {
            ApiError::unprocessable(e.to_string())
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.reason })),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
