//! The durable ledger's rules, written once over any backend's transaction ([`LedgerTx`]).
//!
//! The rule for one charge is the verifier crate's `judge`, the same the in-memory ledger
//! applies; this module only feeds it the line and its `spent` as stored, and stores what it
//! decides. Invariants kept by every transaction here:
//!
//! - **one certificate per nullifier**, across every venue sharing the database;
//! - **never over the line**: `spent` changes only by an accepted charge, which `judge`
//!   accepts only when `spent + charge <= allowance`; the line's row is locked (or the whole
//!   database is, on SQLite) from the read of `spent` to the commit, so no other writer can
//!   act on a stale `spent`;
//! - **one answer per order id**: the answer is stored in the same transaction as the spend,
//!   so after a crash either both exist or neither; a retry gets the stored answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use zkmargin_circuits::charge::order_charge;
use zkmargin_circuits::hash::{fp_from_hex, fp_to_hex, Fp};
use zkmargin_circuits::margin::{Order, RiskParams};
use zkmargin_circuits::units::MIN_LEVEL_PPM;
use zkmargin_formats::hex::digest_from_hex;
use zkmargin_verifier::ledger::{judge, Admission, AdmissionRefusal, ChargeRefusal, CreditLine};

use crate::storage::{LedgerTx, LineRecord, LineState, OrderRecord, StorageError};

/// One order to charge, as the HTTP layer checked it.
#[derive(Clone, Debug)]
pub struct OrderRequest {
    pub id: String,
    pub tag: Fp,
    /// The request's canonical text (`orders::canonical_request`): a retried id must repeat it.
    pub request: String,
    pub order: Order,
    /// The fill, e8 (the default fill already applied).
    pub fill: u64,
    /// The parameters of the snapshot the order was read against.
    pub params: Arc<RiskParams>,
}

/// The answer to one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAnswer {
    pub accepted: bool,
    pub charge: u128,
    pub remaining: u128,
    pub reason: Option<String>,
}

/// What became of one order of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderOutcome {
    Answered(OrderAnswer),
    /// The order cannot be charged at the line's level (nothing stored).
    Invalid(String),
}

/// The verifier's credit line of a stored line (for `judge`).
fn credit_line(line: &LineRecord) -> Result<CreditLine, StorageError> {
    let corrupt = |what, value: &str| StorageError::Corrupt {
        what,
        value: value.to_string(),
    };
    Ok(CreditLine {
        epoch: line.epoch,
        nullifier: fp_from_hex(&line.nullifier)
            .ok_or_else(|| corrupt("nullifier", &line.nullifier))?,
        certificate: digest_from_hex(&line.certificate)
            .ok_or_else(|| corrupt("certificate digest", &line.certificate))?,
        tag: fp_from_hex(&line.tag).ok_or_else(|| corrupt("tag", &line.tag))?,
        allowance: line.allowance,
        level_ppm: line.level_ppm,
        valid_until: line.valid_until,
    })
}

/// A line read in this transaction, with its `spent` as this batch changes it.
struct Held {
    state: LineState,
    credit: CreditLine,
    changed: bool,
}

/// Charges `orders` at `venue` at time `at`, in order, in the caller's transaction. Returns
/// one outcome per order. Runs again from scratch if the transaction is retried.
pub fn charge_batch(
    tx: &mut dyn LedgerTx,
    venue: &str,
    orders: &[OrderRequest],
    at: u64,
) -> Result<Vec<OrderOutcome>, StorageError> {
    // Lock every line the batch touches first, in one global order (sorted tags), so that two
    // processes' batches can never hold one line each while waiting for the other's.
    let tags: Vec<String> = orders.iter().map(|o| fp_to_hex(&o.tag)).collect();
    let mut lines: BTreeMap<&str, Option<Held>> = BTreeMap::new();
    for tag in &tags {
        lines.entry(tag.as_str()).or_insert(None);
    }
    for (tag, held) in lines.iter_mut() {
        if let Some(state) = tx.line_for_tag(venue, tag)? {
            let credit = credit_line(&state.line)?;
            *held = Some(Held {
                state,
                credit,
                changed: false,
            });
        }
    }
    // Ids answered earlier in this same batch (a client retrying before the first answer).
    let mut answered: HashMap<&str, OrderRecord> = HashMap::new();
    let mut outcomes = Vec::with_capacity(orders.len());
    for (order, tag) in orders.iter().zip(&tags) {
        let held = lines.get_mut(tag.as_str()).and_then(Option::as_mut);
        let level = held
            .as_ref()
            .map_or(MIN_LEVEL_PPM, |h| h.state.line.level_ppm);
        let charge = match order_charge(&order.params, &order.order, order.fill, level) {
            Ok(charge) => charge.total,
            Err(e) => {
                outcomes.push(OrderOutcome::Invalid(format!(
                    "the order cannot be charged: {e}"
                )));
                continue;
            }
        };
        let seen = match answered.get(order.id.as_str()) {
            Some(record) => Some(record.clone()),
            None => tx.find_order(venue, &order.id)?,
        };
        if let Some(seen) = seen {
            outcomes.push(OrderOutcome::Answered(replay(
                &seen, order, tag, charge, held,
            )));
            continue;
        }
        let nullifier = held.as_ref().map(|h| h.state.line.nullifier.clone());
        let answer = match held {
            Some(held) => {
                let answer = judge(Some((&held.credit, held.state.spent)), charge, at);
                if answer.accepted {
                    held.state.spent += answer.charge;
                    held.changed = true;
                }
                answer
            }
            None => judge(None, charge, at),
        };
        let record = OrderRecord {
            venue: venue.to_string(),
            id: order.id.clone(),
            tag: tag.clone(),
            request: order.request.clone(),
            nullifier,
            charge: answer.charge,
            accepted: answer.accepted,
            remaining: answer.remaining,
            reason: answer.refusal.as_ref().map(ToString::to_string),
            answered_at: at,
        };
        tx.insert_order(&record)?;
        outcomes.push(OrderOutcome::Answered(answer_of(&record)));
        answered.insert(order.id.as_str(), record);
    }
    for held in lines.values().flatten().filter(|h| h.changed) {
        let line = &held.state.line;
        tx.set_spent(&line.venue, &line.nullifier, held.state.spent)?;
    }
    Ok(outcomes)
}

fn answer_of(record: &OrderRecord) -> OrderAnswer {
    OrderAnswer {
        accepted: record.accepted,
        charge: record.charge,
        remaining: record.remaining,
        reason: record.reason.clone(),
    }
}

/// The answer to an id seen before: the stored answer when the request is the same, else the
/// verifier's `IdReused` refusal (nothing stored, nothing spent).
fn replay(
    seen: &OrderRecord,
    order: &OrderRequest,
    tag: &str,
    charge: u128,
    held: Option<&mut Held>,
) -> OrderAnswer {
    if seen.tag == tag && seen.request == order.request {
        return answer_of(seen);
    }
    let remaining = held.map_or(0, |h| h.state.line.allowance - h.state.spent);
    OrderAnswer {
        accepted: false,
        charge,
        remaining,
        reason: Some(ChargeRefusal::IdReused.to_string()),
    }
}

/// Takes the line of a verified certificate at `line.venue`: one certificate per nullifier
/// across the database; the same certificate again is `Again`.
pub fn admit(
    tx: &mut dyn LedgerTx,
    line: &LineRecord,
    at: u64,
) -> Result<Result<Admission, AdmissionRefusal>, StorageError> {
    match tx.nullifier_holder(&line.nullifier)? {
        Some(holder) if holder != line.certificate => {
            return Ok(Err(AdmissionRefusal::NullifierTaken {
                nullifier: line.nullifier.clone(),
                held_by: holder,
            }))
        }
        Some(_) => {}
        None => tx.insert_nullifier(&line.nullifier, &line.certificate, line.epoch, &line.venue)?,
    }
    if tx.find_line(&line.venue, &line.nullifier)?.is_some() {
        return Ok(Ok(Admission::Again));
    }
    tx.insert_line(line, at)?;
    Ok(Ok(Admission::New))
}

/// The line `tag` spends at `venue`, with what is spent.
pub fn account(
    tx: &mut dyn LedgerTx,
    venue: &str,
    tag: &Fp,
) -> Result<Option<LineState>, StorageError> {
    tx.line_for_tag(venue, &fp_to_hex(tag))
}
