//! The durable ledger's rules, written once over any backend's transaction ([`LedgerTx`]).
//!
//! The rule for taking from a line is the verifier crate's `judge`, the same the in-memory
//! ledger applies; this module feeds it the line and what the line's orders hold as stored,
//! and stores what it decides. Invariants kept by every transaction here:
//!
//! - **one certificate per nullifier**, across every venue sharing the database;
//! - **never over the line**: what a line's orders hold (reserved by resting orders plus
//!   the charges of their fills) only grows through `judge`, which allows it only up to the
//!   allowance; the line's row is locked (or the whole database is, on SQLite) from the read
//!   of its use to the commit, so no other writer acts on a stale use;
//! - **one answer per id**: an order's, a fill's or a cancel's answer is stored in the same
//!   transaction as the change it makes, so after a crash either both exist or neither; a
//!   retry gets the stored answer, and a cancel releases the rest exactly once.
//!
//! The order lifecycle (DESIGN.md, "The venue gateway", version 2) is in [`rules`]; the
//! batch that loads, locks and writes the rows a group of requests touches in [`batch`].

mod batch;
mod freeze;
mod rules;

use std::sync::Arc;

use zkmargin_circuits::margin::{Order, RiskParams};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal};

use crate::snapshots::Current;
use crate::storage::{FreezeRecord, LedgerTx, LineRecord, LineState, StorageError};

pub use freeze::{freeze_nullifier, freeze_tag};

/// One order to charge, as the HTTP layer checked it.
#[derive(Clone, Debug)]
pub struct OrderRequest {
    pub id: String,
    /// The trader's tag, `fp_to_hex` (as lines are stored).
    pub tag: String,
    /// The request's canonical text (`orders::canonical_request`): a retried id must repeat it.
    pub request: String,
    pub order: Order,
    /// The underlying's symbol (what the order keeps: an index may change with the snapshot).
    pub symbol: String,
    /// The fill the engine named (the order's limit), e8.
    pub limit: Option<u64>,
    /// The fill the order is charged at, e8: the limit, or the default fill.
    pub fill: u64,
    /// The parameters of the snapshot the order was read against.
    pub params: Arc<RiskParams>,
}

/// One fill of a resting order, as the HTTP layer checked it.
#[derive(Clone, Debug)]
pub struct FillRequest {
    pub order_id: String,
    pub fill_id: String,
    /// e9, positive.
    pub size: u64,
    /// e8 (the premium per unit for an option).
    pub price: u64,
    /// The snapshot the fill is charged under.
    pub snapshot: Arc<Current>,
}

/// A change to the ledger, in the order the requests came.
#[derive(Clone, Debug)]
pub enum Op {
    Charge(OrderRequest),
    Fill(FillRequest),
    /// The id of the order to cancel.
    Cancel(String),
}

/// The answer to one order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAnswer {
    pub accepted: bool,
    pub charge: u128,
    pub remaining: u128,
    pub reason: Option<String>,
}

/// The answer to one fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillAnswer {
    pub accepted: bool,
    /// The fill's own charge (what it makes a position).
    pub charge: u128,
    /// The order's size filled so far and what rests, e9.
    pub filled_size: u64,
    pub rest: u64,
    /// What the rest still reserves.
    pub reserved: u128,
    /// What remains of the line.
    pub remaining: u128,
    pub reason: Option<String>,
}

/// The answer to one cancel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelAnswer {
    /// What the cancel gave back to the line (what the rest reserved).
    pub released: u128,
    /// The order's size filled before the cancel, e9.
    pub filled_size: u64,
    /// What remained of the line after it.
    pub remaining: u128,
}

/// Why an operation was not carried out at all (nothing stored; a retry is judged again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No order of that id at this venue.
    NoOrder(String),
    /// The order cannot take this (refused, cancelled, or placed before the lifecycle).
    NotResting(String),
    /// The request cannot be charged (a size over the rest, an order the engine refuses).
    Invalid(String),
}

/// What became of one operation of a batch. `fresh` is false for a stored answer given
/// again (a retried id): what counts events counts only fresh ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Order { answer: OrderAnswer, fresh: bool },
    Fill { answer: FillAnswer, fresh: bool },
    Cancel { answer: CancelAnswer, fresh: bool },
    Refused(Refusal),
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

/// The line `tag` (`fp_to_hex`) spends at `venue`, with what its orders hold, and its
/// nullifier's freeze.
pub fn account(
    tx: &mut dyn LedgerTx,
    venue: &str,
    tag: &str,
) -> Result<Option<(LineState, Option<FreezeRecord>)>, StorageError> {
    let Some(state) = tx.line_for_tag(venue, tag)? else {
        return Ok(None);
    };
    let frozen = tx.frozen(&[&state.line.nullifier])?.pop();
    Ok(Some((state, frozen)))
}

/// Applies `ops` at `venue` at time `at`, in order, in the caller's transaction. Returns one
/// outcome per operation.
pub fn apply_batch(
    tx: &mut dyn LedgerTx,
    venue: &str,
    ops: &[&Op],
    at: u64,
) -> Result<Vec<Outcome>, StorageError> {
    let mut batch = batch::Batch::load(tx, venue, ops, at)?;
    let outcomes = ops
        .iter()
        .map(|op| match op {
            Op::Charge(order) => rules::charge(&mut batch, order),
            Op::Fill(fill) => rules::fill(&mut batch, fill),
            Op::Cancel(id) => rules::cancel(&mut batch, id),
        })
        .collect::<Result<Vec<_>, _>>()?;
    batch.store(tx)?;
    Ok(outcomes)
}
