//! Rows as both backends read them (columns in the order of `sql`'s SELECTs), and their
//! checked conversion to records: a stored value that does not read back is corruption,
//! never silently zero.

use super::StorageError;
use super::{count_value, money_value, LineRecord, LineState, OrderRecord, SnapshotRecord};

/// The columns of `sql::LINE_FOR_TAG` and `sql::FIND_LINE`.
pub struct LineRow {
    pub nullifier: String,
    pub certificate: String,
    pub epoch: i64,
    pub level_ppm: i64,
    pub allowance: String,
    pub valid_until: i64,
    pub spent: String,
    pub tag: String,
}

impl LineRow {
    pub fn into_state(self, venue: &str) -> Result<LineState, StorageError> {
        let line = LineRecord {
            venue: venue.to_string(),
            nullifier: self.nullifier,
            certificate: self.certificate,
            tag: self.tag,
            epoch: count_value(self.epoch, "epoch")?,
            level_ppm: count_value(self.level_ppm, "level")?,
            allowance: money_value(&self.allowance, "allowance")?,
            valid_until: count_value(self.valid_until, "valid_until")?,
        };
        let spent = money_value(&self.spent, "spent amount")?;
        if spent > line.allowance {
            return Err(StorageError::Corrupt {
                what: "spent amount above its allowance",
                value: self.spent,
            });
        }
        Ok(LineState { line, spent })
    }
}

/// The columns of `sql::FIND_ORDER`.
pub struct OrderRow {
    pub tag: String,
    pub request: String,
    pub nullifier: Option<String>,
    pub charge: String,
    pub accepted: i64,
    pub remaining: String,
    pub reason: Option<String>,
    pub answered_at: i64,
}

impl OrderRow {
    pub fn into_record(self, venue: &str, id: &str) -> Result<OrderRecord, StorageError> {
        Ok(OrderRecord {
            venue: venue.to_string(),
            id: id.to_string(),
            tag: self.tag,
            request: self.request,
            nullifier: self.nullifier,
            charge: money_value(&self.charge, "charge")?,
            accepted: self.accepted != 0,
            remaining: money_value(&self.remaining, "remaining amount")?,
            reason: self.reason,
            answered_at: count_value(self.answered_at, "answered_at")?,
        })
    }
}

/// The columns of `sql::LATEST_SNAPSHOT`.
pub struct SnapshotRow {
    pub epoch: i64,
    pub digest: String,
    pub valid_until: i64,
    pub body: String,
    pub received_at: i64,
}

impl SnapshotRow {
    pub fn into_record(self) -> Result<SnapshotRecord, StorageError> {
        Ok(SnapshotRecord {
            epoch: count_value(self.epoch, "epoch")?,
            digest: self.digest,
            valid_until: count_value(self.valid_until, "valid_until")?,
            body: self.body,
            received_at: count_value(self.received_at, "received_at")?,
        })
    }
}
