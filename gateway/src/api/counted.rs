//! What every ledger route (orders, fills, cancels) records of an answer: its latency, and
//! whether it was accepted or refused, counted once per id: a retried id's stored answer
//! again is not counted a second time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use axum::Json;

use super::error::ApiError;
use crate::metrics::{Histogram, Metrics};

/// The counters of one route.
pub struct Counters<'a> {
    pub seconds: &'a Histogram,
    /// Fresh answers without `"accepted": false`.
    pub accepted: &'a AtomicU64,
    /// Fresh answers with it.
    pub refused: &'a AtomicU64,
}

/// What an answer counts as: `None` for a stored answer given again (a retried id), else
/// whether it was accepted (the ledger's own outcome, not read back from the JSON).
pub type Fresh = Option<bool>;

/// Runs a route's work, `(answer, fresh)`, and counts it.
pub async fn counted(
    metrics: &Metrics,
    counters: Counters<'_>,
    work: impl std::future::Future<Output = Result<(serde_json::Value, Fresh), ApiError>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let started = Instant::now();
    let result = work.await;
    counters.seconds.observe_duration(started.elapsed());
    match &result {
        Ok((_, None)) => {}
        Ok((_, Some(false))) => {
            counters.refused.fetch_add(1, Relaxed);
        }
        Ok((_, Some(true))) => {
            counters.accepted.fetch_add(1, Relaxed);
        }
        Err(e) => e.count(metrics),
    }
    result.map(|(answer, _)| Json(answer))
}
