//! Every error the API answers, as one enum whose variant is its kind: the status follows
//! from the kind alone ([`ApiError::status`]), never from a message's wording, and one
//! [`IntoResponse`] sends every one as `{"error": reason}`.
//!
//! Bad input is always a 4xx. A 5xx only ever means the gateway itself could not serve: 503
//! (with `Retry-After`) when it is busy, its database unreachable or its writer gone; 500
//! when the ledger holds a corrupt row or the gateway's own code failed, which a retry will
//! not mend.

use std::sync::atomic::Ordering::Relaxed;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use zkmargin_formats::input_error::InputError;

use crate::certificates::RETRY_AFTER_SECONDS;
use crate::ledger::{Outcome, Refusal};
use crate::metrics::Metrics;
use crate::storage::StorageError;
use crate::writer::LedgerError;

#[derive(Debug)]
pub enum ApiError {
    /// Malformed: not JSON, not UTF-8, a path that does not parse. 400.
    BadRequest(String),
    /// An engine route without the engine's token. 401.
    Unauthorized(String),
    /// No such order, line or endpoint. 404.
    NotFound(String),
    /// 405.
    MethodNotAllowed(String),
    /// Not possible in the gateway's present state (no snapshot yet, a nullifier taken, an
    /// order that cannot take it). 409.
    Conflict(String),
    /// 413.
    TooLarge(String),
    /// Well-formed but refused: an unknown field, a wrong type, a value out of range, a
    /// certificate the verifier refuses. 422.
    Unprocessable(String),
    /// No room for this request now; nothing changed. 503 with `Retry-After`.
    Busy(String),
    /// The verifier could not run (its task stopped). 503.
    Unavailable(String),
    /// The ledger could not answer; the status follows its kind.
    Ledger(LedgerError),
}

impl ApiError {
    /// Malformed: not JSON, not UTF-8.
    pub fn bad_request(reason: impl Into<String>) -> ApiError {
        ApiError::BadRequest(reason.into())
    }

    /// Well-formed but refused: an unknown field, a wrong type, a value out of range.
    pub fn unprocessable(reason: impl Into<String>) -> ApiError {
        ApiError::Unprocessable(reason.into())
    }

    /// Not possible in the gateway's present state (no snapshot yet, a nullifier taken).
    pub fn conflict(reason: impl Into<String>) -> ApiError {
        ApiError::Conflict(reason.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Ledger(e) => match e {
                LedgerError::Storage(StorageError::Corrupt { .. }) | LedgerError::Failed(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                LedgerError::Storage(StorageError::Url(_)) => StatusCode::INTERNAL_SERVER_ERROR,
                LedgerError::Storage(StorageError::Database(_) | StorageError::Conflict(_))
                | LedgerError::Busy
                | LedgerError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            },
        }
    }

    /// `Retry-After`, for the answers a retry may mend soon.
    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Busy(_)
            | ApiError::Ledger(LedgerError::Busy)
            | ApiError::Ledger(LedgerError::Storage(StorageError::Conflict(_))) => {
                Some(RETRY_AFTER_SECONDS)
            }
            _ => None,
        }
    }

    fn reason(&self) -> String {
        match self {
            ApiError::BadRequest(r)
            | ApiError::Unauthorized(r)
            | ApiError::NotFound(r)
            | ApiError::MethodNotAllowed(r)
            | ApiError::Conflict(r)
            | ApiError::TooLarge(r)
            | ApiError::Unprocessable(r)
            | ApiError::Busy(r)
            | ApiError::Unavailable(r) => r.clone(),
            ApiError::Ledger(LedgerError::Storage(e @ StorageError::Corrupt { .. })) => {
                format!("the ledger is corrupt: {e}")
            }
            ApiError::Ledger(LedgerError::Storage(e)) => format!("the ledger is unavailable: {e}"),
            ApiError::Ledger(e) => e.to_string(),
        }
    }

    pub fn is_client_error(&self) -> bool {
        self.status().is_client_error()
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
            Outcome::Refused(Refusal::NoOrder(reason)) => ApiError::NotFound(reason),
            Outcome::Refused(Refusal::NotResting(reason)) => ApiError::Conflict(reason),
            Outcome::Refused(Refusal::Invalid(reason)) => ApiError::Unprocessable(reason),
            other => ApiError::Ledger(LedgerError::Failed(format!(
                "the ledger answered with another kind of answer: {other:?}"
            ))),
        }
    }
}

/// A field-level error of a request's content: 422 (a body that is not JSON at all is 400,
/// said where it is parsed: `body::parse`).
impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        ApiError::Unprocessable(e.to_string())
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        ApiError::Ledger(e)
    }
}

/// The reason as answered.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after();
        let mut response =
            (status, Json(serde_json::json!({ "error": self.reason() }))).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(e: StorageError) -> ApiError {
        ApiError::from(LedgerError::Storage(e))
    }

    /// The status follows the kind, whatever the words.
    #[test]
    fn the_status_follows_the_kind() {
        let corrupt = storage(StorageError::Corrupt {
            what: "spent amount",
            value: "invalid JSON".into(),
        });
        assert_eq!(corrupt.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(corrupt.to_string().contains("corrupt"), "{corrupt}");
        let down = storage(StorageError::Database("invalid JSON".into()));
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(down.retry_after(), None);
        let conflict = storage(StorageError::Conflict("serialization".into()));
        assert_eq!(conflict.retry_after(), Some(RETRY_AFTER_SECONDS));
        let busy = ApiError::from(LedgerError::Busy);
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.retry_after(), Some(RETRY_AFTER_SECONDS));
        let failed = ApiError::from(LedgerError::Failed("invalid JSON".into()));
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let input = ApiError::from(InputError::new("request", "id", "invalid JSON: no"));
        assert_eq!(input.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
