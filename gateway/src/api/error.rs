//! Every error the API answers: a status and a one-line reason, sent as `{"error": reason}`.
//! Bad input is always a 4xx; a 5xx only ever means the gateway itself could not serve
//! (its database is unreachable, say).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use zkmargin_formats::input_error::InputError;

use crate::writer::LedgerError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub reason: String,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            reason: reason.into(),
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
        (
            self.status,
            Json(serde_json::json!({ "error": self.reason })),
        )
            .into_response()
    }
}
