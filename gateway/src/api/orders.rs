//! `POST /v1/orders` `{"id", "tag", "order": {a network.json position}, "fill"?}`: one order
//! reserving its charge on the trader's credit line at this venue, until it fills
//! (`fills.rs`) or is cancelled (`cancels.rs`).
//!
//! The order is read against the current snapshot (the same grammar as `zkmargin charge
//! --order`), then charged once, by the ledger's writer at the line's level, and reserved
//! (`fill`, when given, is the order's limit: the price it is charged at); an order that
//! cannot be charged is refused there with 422, storing nothing. The answer comes only after
//! the reservation is committed. The same id again gets the stored
//! answer; the same id with another request is refused (`IdReused`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use zkmargin_circuits::charge::default_fill;
use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_circuits::margin::{Kind, Order, Position};
use zkmargin_circuits::units::{PRICE_BITS, PRICE_DECIMALS};
use zkmargin_formats::json::{shown, Json as Doc, ValueReader};
use zkmargin_formats::position::read_position;

use super::body::{self, ORDER_LIMIT};
use super::counted::{counted, Counters, Fresh};
use super::error::ApiError;
use super::App;
use crate::ledger::{Op, OrderRequest, Outcome};

/// The longest order id a venue may use.
const ID_MAX: usize = 128;
const LABEL: &str = "request";

pub async fn post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let metrics = &app.metrics;
    let counters = Counters {
        seconds: &metrics.order_seconds,
        accepted: &metrics.orders_accepted,
        refused: &metrics.orders_refused,
    };
    counted(metrics, counters, charge(&app, &headers, body)).await
}

/// The answer, and what it counts as.
async fn charge(
    app: &App,
    headers: &HeaderMap,
    body: Body,
) -> Result<(serde_json::Value, Fresh), ApiError> {
    let doc = body::json(headers, body, ORDER_LIMIT, LABEL).await?;
    let current = app.current()?;
    let request = read_request(&doc, &current)?;
    match app.writer.apply(Op::Charge(request)).await? {
        Outcome::Order { answer, fresh } => {
            let mut out = serde_json::json!({
                "accepted": answer.accepted,
                "charge_uusd": answer.charge.to_string(),
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

/// An order id (of a request or a path): 1 to [`ID_MAX`] characters, none a control one.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > ID_MAX || id.chars().any(char::is_control) {
        return Err(format!(
            "{} is not an id (1 to {ID_MAX} characters, no control characters)",
            shown(id)
        ));
    }
    Ok(())
}

/// Reads and checks the request against the current snapshot.
fn read_request(doc: &Doc, current: &crate::snapshots::Current) -> Result<OrderRequest, ApiError> {
    let root = ValueReader::root(LABEL, doc);
    let top = root.object()?;
    top.only(&["id", "tag", "order", "fill"])?;
    let id_at = top.req("id")?;
    let id = id_at.str()?;
    check_id(id).map_err(|reason| id_at.err(reason))?;
    let tag = fp_to_hex(&top.req("tag")?.fp()?);
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
    // The charge itself is computed once, by the ledger at the line's level; an order it
    // cannot charge is refused there (422, the same words), storing nothing.
    Ok(OrderRequest {
        id: id.to_string(),
        tag,
        request: canonical_request(
            &position,
            &snapshot.assets[position.underlying].symbol,
            given_fill,
        ),
        order,
        symbol: snapshot.assets[position.underlying].symbol.clone(),
        limit: given_fill,
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
