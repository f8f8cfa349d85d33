//! The order lifecycle's rules (DESIGN.md, "The venue gateway", version 2), on a batch's
//! rows in memory. Every charge is `zkmargin_circuits::charge::order_charge` under the
//! snapshot's `RiskParams`, at the line's level.
//!
//! - **An order reserves** its charge (at its limit, or the default fill) when the line has
//!   room for it (`judge`).
//! - **A fill** of size `s` at price `p` makes that part a position: its own charge is
//!   `order_charge` of `s` at `p`, and what rests reserves `order_charge` of the rest at the
//!   order's limit, never more than it reserved before. The line then holds
//!   `filled + fill charge + new reservation` for the order instead of `filled + reservation`:
//!   when that is more (a fill at a worse price than the limit, or the rounding of a charge
//!   cut in two, each part ceiled), the difference must fit the line (`judge`), else the
//!   fill is refused and nothing changes. So what a line's orders hold never exceeds its
//!   allowance.
//! - **A cancel** releases what the rest reserves, once: the cancel is stored on the order,
//!   and a cancel again answers the same and releases nothing.
//!
//! A new order of a frozen nullifier (`POST /v1/accounts/{tag}/freeze` at any venue on the
//! database) is refused; its resting orders still fill and cancel. Refused and cancelled
//! orders take no fill; a fill or cancel of an order placed before the lifecycle existed
//! (charged for good) is refused.

use zkmargin_circuits::charge::{default_fill, order_charge};
use zkmargin_circuits::margin::{Kind, Order, Position, Side};
use zkmargin_circuits::units::MIN_LEVEL_PPM;
use zkmargin_verifier::ledger::{judge, ChargeAnswer, ChargeRefusal};

use super::batch::{Batch, Held, Row};
use super::{CancelAnswer, FillAnswer, FillRequest, OrderAnswer, OrderRequest, Outcome, Refusal};
use crate::snapshots::Current;
use crate::storage::{
    CancelRecord, FillRecord, FreezeRecord, Lifecycle, OrderRecord, StorageError,
};

fn order_answer(record: &OrderRecord) -> OrderAnswer {
    OrderAnswer {
        accepted: record.accepted,
        charge: record.charge,
        remaining: record.remaining,
        reason: record.reason.clone(),
    }
}

fn remaining(held: &Held) -> u128 {
    held.line.allowance - held.used.spent
}

/// `POST /v1/orders`: reserves the order's charge on the tag's line.
pub fn charge(batch: &mut Batch, order: &OrderRequest) -> Result<Outcome, StorageError> {
    let tag = &order.tag;
    let nullifier = batch.tag_lines.get(tag).cloned();
    let level = nullifier
        .as_ref()
        .and_then(|n| batch.lines.get(n))
        .map_or(MIN_LEVEL_PPM, |h| h.line.level_ppm);
    let charge = match order_charge(&order.params, &order.order, order.fill, level) {
        Ok(charge) => charge.total,
        Err(e) => {
            return Ok(Outcome::Refused(Refusal::Invalid(format!(
                "request: order: cannot be charged: {e}"
            ))))
        }
    };
    if let Some((seen, _)) = batch.orders.get(&order.id) {
        let answer = if seen.tag == *tag && seen.request == order.request {
            order_answer(seen)
        } else {
            // Another order under a known id: refused, nothing stored or spent.
            let remaining = nullifier
                .as_ref()
                .and_then(|n| batch.lines.get(n))
                .map_or(0, remaining);
            OrderAnswer {
                accepted: false,
                charge,
                remaining,
                reason: Some(ChargeRefusal::IdReused.to_string()),
            }
        };
        return Ok(Outcome::Order {
            answer,
            fresh: false,
        });
    }
    let at = batch.at;
    let freeze = nullifier
        .as_ref()
        .and_then(|n| batch.frozen.get(n))
        .map(frozen_reason);
    let held = match &nullifier {
        Some(n) => Some(batch.line_of(n)?),
        None => None,
    };
    let answer = match (held, freeze) {
        (Some(held), Some(reason)) => (false, remaining(held), Some(reason)),
        (Some(held), None) => {
            let answer = judge(Some((&held.credit, held.used.spent)), charge, at);
            if answer.accepted {
                held.used.spent += charge;
                held.changed = true;
            }
            judged(answer)
        }
        (None, _) => judged(judge(None, charge, at)),
    };
    let (accepted, remaining, reason) = answer;
    let position = &order.order.position;
    let lifecycle = accepted.then(|| Lifecycle {
        kind: kind_name(position.kind).to_string(),
        symbol: order.symbol.clone(),
        short: position.side == Side::Short,
        strike: if position.kind.is_option() {
            position.price
        } else {
            0
        },
        expiry: position.expiry,
        size: position.size,
        limit: order.limit,
        rest: position.size,
        reserved: charge,
        filled: 0,
        cancel: None,
    });
    let record = OrderRecord {
        venue: batch.venue.to_string(),
        id: order.id.clone(),
        tag: tag.clone(),
        request: order.request.clone(),
        nullifier,
        charge,
        accepted,
        remaining,
        reason,
        answered_at: batch.at,
        lifecycle,
    };
    let answer = order_answer(&record);
    batch.orders.insert(order.id.clone(), (record, Row::New));
    Ok(Outcome::Order {
        answer,
        fresh: true,
    })
}

/// `judge`'s answer as stored: accepted, what remains, the reason of a refusal.
fn judged(answer: ChargeAnswer) -> (bool, u128, Option<String>) {
    let reason = answer.refusal.as_ref().map(ToString::to_string);
    (answer.accepted, answer.remaining, reason)
}

/// Why an order of a frozen nullifier is refused.
fn frozen_reason(freeze: &FreezeRecord) -> String {
    format!(
        "the trader's certificate is frozen by {} ({}): no new orders, its resting orders \
         may still fill or be cancelled",
        freeze.venue, freeze.reason
    )
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
        Kind::Empty => "empty",
    }
}

/// The line and lifecycle of order `id`, if it can take a fill or a cancel.
fn resting(batch: &Batch, id: &str) -> Result<(String, Lifecycle), Refusal> {
    let (order, _) = batch
        .orders
        .get(id)
        .ok_or_else(|| Refusal::NoOrder(format!("no order {id:?} at this venue")))?;
    if !order.accepted {
        return Err(Refusal::NotResting(format!(
            "order {id:?} was refused: it holds nothing to fill or cancel"
        )));
    }
    match (&order.nullifier, &order.lifecycle) {
        (Some(nullifier), Some(life)) => Ok((nullifier.clone(), life.clone())),
        _ => Err(Refusal::NotResting(format!(
            "order {id:?} was charged before the order lifecycle: its charge stays until its \
             line lapses"
        ))),
    }
}

/// Stores the new lifecycle of order `id` (read from the batch just before).
fn update(batch: &mut Batch, id: &str, life: Lifecycle) -> Result<(), StorageError> {
    let (order, row) = batch
        .orders
        .get_mut(id)
        .ok_or_else(|| StorageError::Database(format!("order {id:?} left its batch")))?;
    order.lifecycle = Some(life);
    if *row == Row::Stored {
        *row = Row::Changed;
    }
    Ok(())
}

/// The order's instrument, `size` of it, under `current` (the underlying found by symbol).
fn order_of(current: &Current, life: &Lifecycle, size: u64) -> Result<Order, String> {
    let underlying = current
        .snapshot
        .assets
        .iter()
        .position(|a| a.symbol == life.symbol)
        .ok_or_else(|| {
            format!(
                "the order's underlying {} is not in the current snapshot",
                life.symbol
            )
        })?;
    let kind = match life.kind.as_str() {
        "perp" => Kind::Perp,
        "call" => Kind::Call,
        "put" => Kind::Put,
        other => return Err(format!("the order's kind {other:?} cannot be filled")),
    };
    Ok(Order {
        venue: current.venue_index,
        position: Position {
            kind,
            underlying,
            side: if life.short { Side::Short } else { Side::Long },
            size,
            // A perpetual's entry is set to the snapshot price by the charge itself.
            price: life.strike,
            expiry: life.expiry,
        },
    })
}

/// What `rest` of the order reserves at its limit (or the default fill), at `level`.
fn reservation(current: &Current, life: &Lifecycle, rest: u64, level: u64) -> Result<u128, String> {
    if rest == 0 {
        return Ok(0);
    }
    let order = order_of(current, life, rest)?;
    let params = &current.params;
    let fill = match life.limit {
        Some(limit) => limit,
        None => default_fill(params, &order).map_err(|e| e.to_string())?,
    };
    order_charge(params, &order, fill, level)
        .map(|c| c.total)
        .map_err(|e| e.to_string())
}

/// `POST /v1/orders/{id}/fills`: makes `fill.size` of the order a position at `fill.price`.
pub fn fill(batch: &mut Batch, fill: &FillRequest) -> Result<Outcome, StorageError> {
    let key = (fill.order_id.clone(), fill.fill_id.clone());
    if let Some(seen) = batch.fills.get(&key) {
        let answer = if seen.size == fill.size && seen.price == fill.price {
            stored_fill_answer(batch, seen)
        } else {
            let mut answer = stored_fill_answer(batch, seen);
            answer.accepted = false;
            answer.reason = Some("fill id already used for another fill of this order".into());
            answer
        };
        return Ok(Outcome::Fill {
            answer,
            fresh: false,
        });
    }
    let at = batch.at;
    let (nullifier, mut life) = match resting(batch, &fill.order_id) {
        Ok(found) => found,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    if life.cancel.is_some() {
        return Ok(Outcome::Refused(Refusal::NotResting(format!(
            "order {:?} was cancelled: what rested of it was released",
            fill.order_id
        ))));
    }
    if fill.size > life.rest {
        return Ok(Outcome::Refused(Refusal::Invalid(format!(
            "the fill's size ({} e9) exceeds what rests of order {:?} ({} e9)",
            fill.size, fill.order_id, life.rest
        ))));
    }
    let venue = batch.venue.to_string();
    let held = batch.line_of(&nullifier)?;
    let level = held.line.level_ppm;
    let current = &fill.snapshot;
    let charged = order_of(current, &life, fill.size).and_then(|o| {
        order_charge(&current.params, &o, fill.price, level).map_err(|e| e.to_string())
    });
    let charge = match charged {
        Ok(charge) => charge.total,
        Err(e) => {
            return Ok(Outcome::Refused(Refusal::Invalid(format!(
                "the fill cannot be charged: {e}"
            ))))
        }
    };
    let rest = life.rest - fill.size;
    // The rest never reserves more than before; when its charge cannot be computed under
    // this snapshot (an option that expired since), it keeps what it held.
    let reserved =
        reservation(current, &life, rest, level).map_or(life.reserved, |r| r.min(life.reserved));
    // What the line holds for this order, before and after the fill.
    let before = life.reserved;
    let after = charge + reserved;
    let refusal = if after > before {
        let answer = judge(Some((&held.credit, held.used.spent)), after - before, at);
        answer
            .refusal
            .map(|r| format!("the fill's charge does not fit the line: {r}"))
    } else {
        None
    };
    let accepted = refusal.is_none();
    if accepted {
        held.used.spent = held.used.spent + after - before;
        held.used.filled += charge;
        held.changed = true;
        life.rest = rest;
        life.reserved = reserved;
        life.filled += charge;
    }
    let record = FillRecord {
        venue,
        order_id: fill.order_id.clone(),
        fill_id: fill.fill_id.clone(),
        size: fill.size,
        price: fill.price,
        charge,
        accepted,
        rest: life.rest,
        reserved: life.reserved,
        remaining: remaining(held),
        reason: refusal,
        answered_at: at,
    };
    let answer = fill_answer(life.size, &record);
    if accepted {
        update(batch, &fill.order_id, life)?;
    }
    batch.fills.insert(key.clone(), record);
    batch.new_fills.push(key);
    Ok(Outcome::Fill {
        answer,
        fresh: true,
    })
}

fn fill_answer(size: u64, record: &FillRecord) -> FillAnswer {
    FillAnswer {
        accepted: record.accepted,
        charge: record.charge,
        filled_size: size - record.rest,
        rest: record.rest,
        reserved: record.reserved,
        remaining: record.remaining,
        reason: record.reason.clone(),
    }
}

/// A stored fill's answer again (its order is in the batch: a fill is stored with it).
fn stored_fill_answer(batch: &Batch, seen: &FillRecord) -> FillAnswer {
    let size = batch
        .orders
        .get(&seen.order_id)
        .and_then(|(o, _)| o.lifecycle.as_ref())
        .map_or(seen.rest, |l| l.size);
    fill_answer(size, seen)
}

/// `POST /v1/orders/{id}/cancel`: releases what rests of the order, once.
pub fn cancel(batch: &mut Batch, id: &str) -> Result<Outcome, StorageError> {
    let at = batch.at;
    let (nullifier, mut life) = match resting(batch, id) {
        Ok(found) => found,
        Err(refusal) => return Ok(Outcome::Refused(refusal)),
    };
    let filled_size = life.size - life.rest;
    if let Some(done) = &life.cancel {
        return Ok(Outcome::Cancel {
            answer: CancelAnswer {
                released: done.released,
                filled_size,
                remaining: done.remaining,
            },
            fresh: false,
        });
    }
    let held = batch.line_of(&nullifier)?;
    held.used.spent =
        held.used
            .spent
            .checked_sub(life.reserved)
            .ok_or_else(|| StorageError::Corrupt {
                what: "order reserving more than its line's spent amount",
                value: id.to_string(),
            })?;
    held.changed = true;
    let done = CancelRecord {
        at,
        released: life.reserved,
        remaining: remaining(held),
    };
    let answer = CancelAnswer {
        released: done.released,
        filled_size,
        remaining: done.remaining,
    };
    life.reserved = 0;
    life.cancel = Some(done);
    update(batch, id, life)?;
    Ok(Outcome::Cancel {
        answer,
        fresh: true,
    })
}
