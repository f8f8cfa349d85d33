//! `POST /v1/orders/{id}/fills` `{"fill_id", "size", "price"}`: the matching engine filled
//! `size` of resting order `id` at `price` (e8; the premium per unit for an option). The
//! ledger makes that part a position at its price and keeps what rests reserved
//! (`crate::ledger`'s rules); answered once committed. The same fill id again gets the
//! stored answer and fills nothing more.
//!
//! 200 `{"accepted", "charge_uusd" (the fill's own charge), "filled_size", "rest_size",
//! "reserved_uusd" (what the rest holds), "remaining_uusd" (the line), "reason"?}`; a fill
//! refused because its charge does not fit the line changes nothing. 404 for an unknown
//! order, 409 for one refused or cancelled, 422 for a size over what rests.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use zkmargin_circuits::units::{AMOUNT_BITS, AMOUNT_DECIMALS, PRICE_BITS, PRICE_DECIMALS};
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::json::ValueReader;

use super::body::{self, ORDER_LIMIT};
use super::counted::{counted, Counters, Fresh};
use super::error::ApiError;
use super::orders::check_id;
use super::App;
use crate::ledger::{FillRequest, Op, Outcome};

const LABEL: &str = "fill";

pub async fn post(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let metrics = &app.metrics;
    let counters = Counters {
        seconds: &metrics.lifecycle_seconds,
        accepted: &metrics.fills_accepted,
        refused: &metrics.fills_refused,
    };
    counted(metrics, counters, fill(&app, id, &headers, body)).await
}

/// The order id of a lifecycle route's path.
pub fn order_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(format!("order id: {e}")))?;
    check_id(&id).map_err(|reason| ApiError::unprocessable(format!("order id: {reason}")))?;
    Ok(id)
}

/// A size, e9, as the requests write them.
pub fn size_text(size: u64) -> String {
    format_scaled(size.into(), AMOUNT_DECIMALS)
}

async fn fill(
    app: &App,
    id: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(serde_json::Value, Fresh), ApiError> {
    let order_id = order_id(id)?;
    let doc = body::json(headers, body, ORDER_LIMIT, LABEL).await?;
    let root = ValueReader::root(LABEL, &doc);
    let top = root.object()?;
    top.only(&["fill_id", "size", "price"])?;
    let fill_id_at = top.req("fill_id")?;
    let fill_id = fill_id_at.str()?;
    check_id(fill_id).map_err(|reason| fill_id_at.err(reason))?;
    let size_at = top.req("size")?;
    let size = size_at.decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
    if size == 0 {
        return Err(size_at.err("must be positive").into());
    }
    let price = top.req("price")?.decimal(PRICE_DECIMALS, PRICE_BITS)?;
    let request = FillRequest {
        order_id,
        fill_id: fill_id.to_string(),
        size,
        price,
        snapshot: app.current()?,
    };
    match app.writer.apply(Op::Fill(request)).await? {
        Outcome::Fill { answer, fresh } => {
            let mut out = serde_json::json!({
                "accepted": answer.accepted,
                "charge_uusd": answer.charge.to_string(),
                "filled_size": size_text(answer.filled_size),
                "rest_size": size_text(answer.rest),
                "reserved_uusd": answer.reserved.to_string(),
                "remaining_uusd": answer.remaining.to_string(),
            });
            if let Some(reason) = answer.reason {
                out["reason"] = reason.into();
            }
            Ok((out, fresh.then_some(answer.accepted)))
        }
        other => Err(ApiError::from_outcome(other)),
    }
}
