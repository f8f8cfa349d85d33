//! `POST /v1/orders` `{"id", "tag", "order": {a network.json position}, "fill"?}`: one order
//! charged against the trader's credit line at this venue.
//!
//! The order is read against the current snapshot (the same grammar as `zkmargin charge
//! --order`), its charge checked computable here, then charged by the ledger's writer at the
//! line's level. The answer comes only after the charge is committed. The same id again gets
//! the stored answer; the same id with another request is refused (`IdReused`).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use zkmargin_circuits::charge::{default_fill, order_charge};
use zkmargin_circuits::margin::{Kind, Order, Position};
use zkmargin_circuits::units::{MIN_LEVEL_PPM, PRICE_BITS, PRICE_DECIMALS};
use zkmargin_formats::json::{shown, Json as Doc, ValueReader};
use zkmargin_formats::position::read_position;

use super::body::{self, ORDER_LIMIT};
use super::error::ApiError;
use super::App;
use crate::ledger::{OrderOutcome, OrderRequest};

/// The longest order id a venue may use.
const ID_MAX: usize = 128;
const LABEL: &str = "request";

pub async fn post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let started = Instant::now();
    let result = charge(&app, &headers, body).await;
    app.metrics
        .order_seconds
        .observe_duration(started.elapsed());
    let metrics = &app.metrics;
    match &result {
        Ok(answer) if answer["accepted"] == true => metrics.orders_accepted.fetch_add(1, Relaxed),
        Ok(_) => metrics.orders_refused.fetch_add(1, Relaxed),
        Err(e) if e.is_client_error() => metrics.requests_invalid.fetch_add(1, Relaxed),
        Err(_) => metrics.requests_failed.fetch_add(1, Relaxed),
    };
    result.map(Json)
}

async fn charge(app: &App, headers: &HeaderMap, body: Body) -> Result<serde_json::Value, ApiError> {
    let doc = body::json(headers, body, ORDER_LIMIT, LABEL).await?;
    let current = app
        .snapshot
        .get()
        .ok_or_else(|| ApiError::conflict("no snapshot yet: POST /v1/snapshots first"))?;
    let request = read_request(&doc, &current)?;
    match app.writer.charge(request).await? {
        OrderOutcome::Answered(answer) => {
            let mut out = serde_json::json!({
                "accepted": answer.accepted,
                "charge_uusd": answer.charge.to_string(),
                "remaining_uusd": answer.remaining.to_string(),
            });
            if let Some(reason) = answer.reason {
                out["reason"] = reason.into();
            }
            Ok(out)
        }
        OrderOutcome::Invalid(reason) => Err(ApiError::unprocessable(reason)),
    }
}

/// Reads and checks the request against the current snapshot.
fn read_request(doc: &Doc, current: &crate::snapshots::Current) -> Result<OrderRequest, ApiError> {
    let root = ValueReader::root(LABEL, doc);
    let top = root.object()?;
    top.only(&["id", "tag", "order", "fill"])?;
    let id_at = top.req("id")?;
    let id = id_at.str()?;
    if id.is_empty() || id.chars().count() > ID_MAX || id.chars().any(char::is_control) {
        return Err(id_at
            .err(format!(
                "{} is not an order id (1 to {ID_MAX} characters, no control characters)",
                shown(id)
            ))
            .into());
    }
    let tag = top.req("tag")?.fp()?;
    let snapshot = &current.snapshot;
    let params = &current.params;
    let position = read_position(&top.req("order")?, &snapshot.assets, params, true)?;
    let order = Order {
        venue: current.venue_index,
        position,
    };
    let given_fill = match top.opt("fill") {
        Some(at) => Some(at.decimal(PRICE_DECIMALS, PRICE_BITS)?),
        None => None,
    };
    let cannot = |e| ApiError::unprocessable(format!("{LABEL}: order: cannot be charged: {e}"));
    let fill = match given_fill {
        Some(fill) => fill,
        None => default_fill(params, &order).map_err(cannot)?,
    };
    // Whatever the line's level, an order the engine refuses here is refused at any level:
    // check it now so that bad input never reaches the ledger.
    order_charge(params, &order, fill, MIN_LEVEL_PPM).map_err(cannot)?;
    Ok(OrderRequest {
        id: id.to_string(),
        tag,
        request: canonical_request(
            &position,
            &snapshot.assets[position.underlying].symbol,
            given_fill,
        ),
        order,
        fill,
        params: Arc::clone(params),
    })
}

/// The request as the client gave it, in one spelling: what a retried id must repeat. A perp
/// order's entry (the snapshot price) and a default fill are left out, so that a retry after
/// the snapshot changed is still the same request.
pub fn canonical_request(position: &Position, symbol: &str, fill: Option<u64>) -> String {
    let kind = match position.kind {
        Kind::Empty => "empty",
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
    };
    let strike = match position.kind {
        Kind::Call | Kind::Put => position.price.to_string(),
        _ => String::new(),
    };
    let fill = fill.map_or_else(|| "default".to_string(), |f| f.to_string());
    format!(
        "{kind}|{symbol}|{}|{strike}|{}|{fill}",
        position.signed_size(),
        position.expiry
    )
}
