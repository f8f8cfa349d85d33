//! One batch of ledger operations in one transaction: every row the batch touches is read
//! with one call per kind of row, the lines locked in one global order, the operations
//! applied in the order they came (by [`super::apply_batch`]), and what changed written back with one
//! call per kind of row.
//!
//! The batch runs again from scratch when the backend retries the transaction, so it keeps
//! nothing between runs.

use std::collections::{BTreeSet, HashMap};

use zkmargin_circuits::hash::fp_from_hex;
use zkmargin_formats::hex::digest_from_hex;
use zkmargin_verifier::ledger::CreditLine;

use super::Op;
use crate::storage::{
    FillRecord, FreezeRecord, LedgerTx, LineRecord, LineUse, OrderRecord, StorageError,
};

/// A line the batch holds locked, with its use as the batch changes it.
pub struct Held {
    pub line: LineRecord,
    pub credit: CreditLine,
    pub used: LineUse,
    pub changed: bool,
}

/// Whether an order of the batch is to be inserted, updated or left as stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Stored,
    Changed,
    New,
}

/// Everything the operations of a batch read and change, in memory until the batch ends.
pub struct Batch<'a> {
    pub venue: &'a str,
    pub at: u64,
    /// Locked lines by nullifier.
    pub lines: HashMap<String, Held>,
    /// The nullifier of each charged tag's line.
    pub tag_lines: HashMap<String, String>,
    /// The freezes of the charged tags' lines (read after the lock: a freeze committed before
    /// this batch's charges is seen by them).
    pub frozen: HashMap<String, FreezeRecord>,
    /// Orders by id: as stored (read after the lines were locked), and those this batch adds.
    pub orders: HashMap<String, (OrderRecord, Row)>,
    /// Fills by (order id, fill id): as stored, and those this batch adds.
    pub fills: HashMap<(String, String), FillRecord>,
    pub new_fills: Vec<(String, String)>,
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

impl<'a> Batch<'a> {
    /// Reads and locks what `ops` touch. The lines of charged tags and of filled or cancelled
    /// orders are found first, unlocked (an order's line never changes), then locked in the
    /// order of their nullifiers; the orders and fills are read after the lock, so that they
    /// are what the last writer of those lines committed.
    pub(super) fn load(
        tx: &mut dyn LedgerTx,
        venue: &'a str,
        ops: &[&Op],
        at: u64,
    ) -> Result<Batch<'a>, StorageError> {
        let mut tags = BTreeSet::new();
        let mut ids = BTreeSet::new();
        let mut resting = BTreeSet::new();
        let mut fill_keys = BTreeSet::new();
        for op in ops {
            match op {
                Op::Charge(order) => {
                    tags.insert(order.tag.clone());
                    ids.insert(order.id.as_str());
                }
                Op::Fill(fill) => {
                    resting.insert(fill.order_id.as_str());
                    fill_keys.insert((fill.order_id.as_str(), fill.fill_id.as_str()));
                }
                Op::Cancel(id) => {
                    resting.insert(id.as_str());
                }
            }
        }
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let mut records: HashMap<String, LineRecord> = HashMap::new();
        let mut tag_lines = HashMap::new();
        for line in tx.lines_for_tags(venue, &tags)? {
            tag_lines.insert(line.tag.clone(), line.nullifier.clone());
            records.insert(line.nullifier.clone(), line);
        }
        let resting: Vec<&str> = resting.into_iter().collect();
        let unlocked = tx.find_orders(venue, &resting)?;
        let others: BTreeSet<&str> = unlocked
            .iter()
            .filter_map(|o| o.nullifier.as_deref())
            .filter(|n| !records.contains_key(*n))
            .collect();
        let others: Vec<&str> = others.into_iter().collect();
        for line in tx.lines_of(venue, &others)? {
            records.insert(line.nullifier.clone(), line);
        }
        let mut nullifiers: Vec<&str> = records.keys().map(String::as_str).collect();
        nullifiers.sort_unstable();
        let mut lines = HashMap::new();
        for (nullifier, used) in tx.lock_uses(venue, &nullifiers)? {
            let line = records
                .remove(&nullifier)
                .ok_or_else(|| StorageError::Corrupt {
                    what: "use of a line not asked for",
                    value: nullifier.clone(),
                })?;
            if used.spent > line.allowance {
                return Err(StorageError::Corrupt {
                    what: "spent amount above its allowance",
                    value: used.spent.to_string(),
                });
            }
            let held = Held {
                credit: credit_line(&line)?,
                line,
                used,
                changed: false,
            };
            lines.insert(nullifier, held);
        }
        if let Some(nullifier) = records.keys().next() {
            return Err(StorageError::Corrupt {
                what: "line without its spent row",
                value: nullifier.clone(),
            });
        }
        let charged: Vec<&str> = tag_lines.values().map(String::as_str).collect();
        let frozen = tx
            .frozen(&charged)?
            .into_iter()
            .map(|f| (f.nullifier.clone(), f))
            .collect();
        ids.extend(resting.iter().copied());
        let ids: Vec<&str> = ids.into_iter().collect();
        let orders = tx
            .find_orders(venue, &ids)?
            .into_iter()
            .map(|o| (o.id.clone(), (o, Row::Stored)))
            .collect();
        let fill_keys: Vec<(&str, &str)> = fill_keys.into_iter().collect();
        let fills = tx
            .find_fills(venue, &fill_keys)?
            .into_iter()
            .map(|f| ((f.order_id.clone(), f.fill_id.clone()), f))
            .collect();
        Ok(Batch {
            venue,
            at,
            lines,
            tag_lines,
            frozen,
            orders,
            fills,
            new_fills: Vec::new(),
        })
    }

    /// The locked line of an order read after the lock. An order another writer placed
    /// between the unlocked read and the lock has a line this batch did not lock: the
    /// transaction is run again (it then finds the order before locking).
    pub fn line_of(&mut self, nullifier: &str) -> Result<&mut Held, StorageError> {
        self.lines.get_mut(nullifier).ok_or_else(|| {
            StorageError::Conflict(format!(
                "an order of line {nullifier} appeared after its lines were locked"
            ))
        })
    }

    /// Writes what the batch changed: new orders before their fills (a fill names its order).
    pub(super) fn store(self, tx: &mut dyn LedgerTx) -> Result<(), StorageError> {
        let rows = |kind: Row| -> Vec<OrderRecord> {
            let mut rows: Vec<&OrderRecord> = self
                .orders
                .values()
                .filter(|(_, row)| *row == kind)
                .map(|(order, _)| order)
                .collect();
            rows.sort_by(|a, b| a.id.cmp(&b.id));
            rows.into_iter().cloned().collect()
        };
        tx.insert_orders(&rows(Row::New))?;
        tx.update_lifecycles(&rows(Row::Changed))?;
        let fills: Vec<FillRecord> = self
            .new_fills
            .iter()
            .filter_map(|key| self.fills.get(key).cloned())
            .collect();
        tx.insert_fills(&fills)?;
        let mut uses: Vec<(&str, LineUse)> = self
            .lines
            .iter()
            .filter(|(_, held)| held.changed)
            .map(|(nullifier, held)| (nullifier.as_str(), held.used))
            .collect();
        uses.sort_unstable_by_key(|(nullifier, _)| *nullifier);
        tx.set_uses(self.venue, &uses)
    }
}
