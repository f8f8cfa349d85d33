//! Rows as both backends read them (columns in the order of `sql`'s column lists), and their
//! checked conversion to records: a stored value that does not read back is corruption,
//! never silently zero, and never a panic. Each row is read once here, over [`Cells`], the
//! two calls a backend's row offers.

use super::StorageError;
use super::{
    bigint, count_value, money_text, money_value, CancelRecord, FillRecord, FreezeRecord,
    Lifecycle, LineRecord, LineState, LineUse, OrderRecord, SnapshotRecord,
};

fn corrupt(what: &'static str, value: impl ToString) -> StorageError {
    StorageError::Corrupt {
        what,
        value: value.to_string(),
    }
}

/// One row as a backend returns it, its cells read by position without panicking: a cell of
/// another type than asked is [`StorageError::Corrupt`] (a hand-edited or altered table).
pub trait Cells {
    /// A TEXT cell (`None` for NULL).
    fn text(&self, i: usize) -> Result<Option<String>, StorageError>;
    /// A BIGINT cell (`None` for NULL).
    fn int(&self, i: usize) -> Result<Option<i64>, StorageError>;
}

/// The error of a cell that cannot be read as asked.
pub fn cell_error(column: &str, error: impl ToString) -> StorageError {
    corrupt("cell", format!("{column}: {}", error.to_string()))
}

/// A TEXT cell that must not be NULL.
pub fn text(r: &dyn Cells, i: usize, what: &'static str) -> Result<String, StorageError> {
    r.text(i)?.ok_or_else(|| corrupt(what, "NULL"))
}

/// A BIGINT cell that must not be NULL.
fn int(r: &dyn Cells, i: usize, what: &'static str) -> Result<i64, StorageError> {
    r.int(i)?.ok_or_else(|| corrupt(what, "NULL"))
}

/// A line's `spent` and `filled` (`sql::USE_OF`'s columns from `first` on).
pub fn read_use(r: &dyn Cells, first: usize) -> Result<LineUse, StorageError> {
    line_use(
        &text(r, first, "spent amount")?,
        &text(r, first + 1, "filled amount")?,
    )
}

/// A stored size (e9, below 2^64, decimal TEXT like money) back to `u64`.
fn size_value(text: &str, what: &'static str) -> Result<u64, StorageError> {
    u64::try_from(money_value(text, what)?).map_err(|_| corrupt(what, text))
}

/// The columns of `sql::LINE_COLUMNS`.
pub struct LineRow {
    pub nullifier: String,
    pub certificate: String,
    pub epoch: i64,
    pub level_ppm: i64,
    pub allowance: String,
    pub valid_until: i64,
    pub tag: String,
}

impl LineRow {
    pub fn read(r: &dyn Cells) -> Result<LineRow, StorageError> {
        Ok(LineRow {
            nullifier: text(r, 0, "line nullifier")?,
            certificate: text(r, 1, "line certificate")?,
            epoch: int(r, 2, "epoch")?,
            level_ppm: int(r, 3, "level")?,
            allowance: text(r, 4, "allowance")?,
            valid_until: int(r, 5, "valid_until")?,
            tag: text(r, 6, "line tag")?,
        })
    }

    pub fn into_record(self, venue: &str) -> Result<LineRecord, StorageError> {
        Ok(LineRecord {
            venue: venue.to_string(),
            nullifier: self.nullifier,
            certificate: self.certificate,
            tag: self.tag,
            epoch: count_value(self.epoch, "epoch")?,
            level_ppm: count_value(self.level_ppm, "level")?,
            allowance: money_value(&self.allowance, "allowance")?,
            valid_until: count_value(self.valid_until, "valid_until")?,
        })
    }
}

/// The columns of `sql::USE_COLUMNS`: a line's `spent` and `filled`, checked against its
/// allowance when it is known.
pub fn line_use(spent: &str, filled: &str) -> Result<LineUse, StorageError> {
    let used = LineUse {
        spent: money_value(spent, "spent amount")?,
        filled: money_value(filled, "filled amount")?,
    };
    if used.filled > used.spent {
        return Err(corrupt("filled amount above the spent amount", filled));
    }
    Ok(used)
}

/// A line and its use, with the invariant `spent <= allowance` checked.
pub fn line_state(line: LineRecord, used: LineUse) -> Result<LineState, StorageError> {
    if used.spent > line.allowance {
        return Err(corrupt("spent amount above its allowance", used.spent));
    }
    Ok(LineState { line, used })
}

/// The columns of `sql::ORDER_COLUMNS`.
pub struct OrderRow {
    pub id: String,
    pub tag: String,
    pub request: String,
    pub nullifier: Option<String>,
    pub charge: String,
    pub accepted: i64,
    pub remaining: String,
    pub reason: Option<String>,
    pub answered_at: i64,
    pub kind: Option<String>,
    pub symbol: Option<String>,
    pub side: Option<String>,
    pub strike: Option<i64>,
    pub expiry: Option<i64>,
    pub size: Option<String>,
    pub limit: Option<i64>,
    pub rest: Option<String>,
    pub reserved: Option<String>,
    pub filled: Option<String>,
    pub cancelled_at: Option<i64>,
    pub released: Option<String>,
    pub cancel_remaining: Option<String>,
}

impl OrderRow {
    pub fn read(r: &dyn Cells) -> Result<OrderRow, StorageError> {
        Ok(OrderRow {
            id: text(r, 0, "order id")?,
            tag: text(r, 1, "order tag")?,
            request: text(r, 2, "order request")?,
            nullifier: r.text(3)?,
            charge: text(r, 4, "charge")?,
            accepted: int(r, 5, "accepted")?,
            remaining: text(r, 6, "remaining amount")?,
            reason: r.text(7)?,
            answered_at: int(r, 8, "answered_at")?,
            kind: r.text(9)?,
            symbol: r.text(10)?,
            side: r.text(11)?,
            strike: r.int(12)?,
            expiry: r.int(13)?,
            size: r.text(14)?,
            limit: r.int(15)?,
            rest: r.text(16)?,
            reserved: r.text(17)?,
            filled: r.text(18)?,
            cancelled_at: r.int(19)?,
            released: r.text(20)?,
            cancel_remaining: r.text(21)?,
        })
    }

    pub fn into_record(self, venue: &str) -> Result<OrderRecord, StorageError> {
        let lifecycle = match self.kind {
            None => None,
            Some(kind) => Some(lifecycle(
                kind,
                self.symbol,
                self.side,
                (self.strike, self.expiry, self.limit),
                (self.size, self.rest, self.reserved, self.filled),
                (self.cancelled_at, self.released, self.cancel_remaining),
            )?),
        };
        Ok(OrderRecord {
            venue: venue.to_string(),
            id: self.id,
            tag: self.tag,
            request: self.request,
            nullifier: self.nullifier,
            charge: money_value(&self.charge, "charge")?,
            accepted: self.accepted != 0,
            remaining: money_value(&self.remaining, "remaining amount")?,
            reason: self.reason,
            answered_at: count_value(self.answered_at, "answered_at")?,
            lifecycle,
        })
    }
}

type Times = (Option<i64>, Option<i64>, Option<i64>);
type Amounts = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);
type Cancel = (Option<i64>, Option<String>, Option<String>);

/// An order's lifecycle columns: all there (a cancel's three together or not at all).
fn lifecycle(
    kind: String,
    symbol: Option<String>,
    side: Option<String>,
    (strike, expiry, limit): Times,
    (size, rest, reserved, filled): Amounts,
    (cancelled_at, released, cancel_remaining): Cancel,
) -> Result<Lifecycle, StorageError> {
    let missing = |what| corrupt(what, "NULL");
    let short = match side.as_deref() {
        Some("long") => false,
        Some("short") => true,
        other => return Err(corrupt("order side", format!("{other:?}"))),
    };
    let size = size_value(&size.ok_or_else(|| missing("order size"))?, "order size")?;
    let rest = size_value(&rest.ok_or_else(|| missing("order rest"))?, "order rest")?;
    if rest > size {
        return Err(corrupt("order rest above its size", rest));
    }
    let cancel = match (cancelled_at, released, cancel_remaining) {
        (None, None, None) => None,
        (Some(at), Some(released), Some(remaining)) => Some(CancelRecord {
            at: count_value(at, "cancelled_at")?,
            released: money_value(&released, "released amount")?,
            remaining: money_value(&remaining, "remaining amount")?,
        }),
        _ => return Err(missing("part of an order's cancel")),
    };
    Ok(Lifecycle {
        kind,
        symbol: symbol.ok_or_else(|| missing("order symbol"))?,
        short,
        strike: count_value(strike.ok_or_else(|| missing("strike"))?, "strike")?,
        expiry: count_value(expiry.ok_or_else(|| missing("expiry"))?, "expiry")?,
        size,
        limit: limit.map(|l| count_value(l, "limit")).transpose()?,
        rest,
        reserved: money_value(&reserved.ok_or_else(|| missing("reserved"))?, "reserved")?,
        filled: money_value(&filled.ok_or_else(|| missing("filled"))?, "filled")?,
        cancel,
    })
}

/// The columns of `sql::FILL_COLUMNS`.
pub struct FillRow {
    pub order_id: String,
    pub fill_id: String,
    pub size: String,
    pub price: i64,
    pub charge: String,
    pub accepted: i64,
    pub rest: String,
    pub reserved: String,
    pub remaining: String,
    pub reason: Option<String>,
    pub answered_at: i64,
}

impl FillRow {
    pub fn read(r: &dyn Cells) -> Result<FillRow, StorageError> {
        Ok(FillRow {
            order_id: text(r, 0, "fill order id")?,
            fill_id: text(r, 1, "fill id")?,
            size: text(r, 2, "fill size")?,
            price: int(r, 3, "fill price")?,
            charge: text(r, 4, "fill charge")?,
            accepted: int(r, 5, "accepted")?,
            rest: text(r, 6, "order rest")?,
            reserved: text(r, 7, "reserved")?,
            remaining: text(r, 8, "remaining amount")?,
            reason: r.text(9)?,
            answered_at: int(r, 10, "answered_at")?,
        })
    }

    pub fn into_record(self, venue: &str) -> Result<FillRecord, StorageError> {
        Ok(FillRecord {
            venue: venue.to_string(),
            order_id: self.order_id,
            fill_id: self.fill_id,
            size: size_value(&self.size, "fill size")?,
            price: count_value(self.price, "fill price")?,
            charge: money_value(&self.charge, "fill charge")?,
            accepted: self.accepted != 0,
            rest: size_value(&self.rest, "order rest")?,
            reserved: money_value(&self.reserved, "reserved")?,
            remaining: money_value(&self.remaining, "remaining amount")?,
            reason: self.reason,
            answered_at: count_value(self.answered_at, "answered_at")?,
        })
    }
}

/// The columns of `sql::FROZEN`.
pub struct FreezeRow {
    pub nullifier: String,
    pub venue: String,
    pub reason: String,
    pub frozen_at: i64,
}

impl FreezeRow {
    pub fn read(r: &dyn Cells) -> Result<FreezeRecord, StorageError> {
        FreezeRow {
            nullifier: text(r, 0, "frozen nullifier")?,
            venue: text(r, 1, "freezing venue")?,
            reason: text(r, 2, "freeze reason")?,
            frozen_at: int(r, 3, "frozen_at")?,
        }
        .into_record()
    }

    pub fn into_record(self) -> Result<FreezeRecord, StorageError> {
        Ok(FreezeRecord {
            nullifier: self.nullifier,
            venue: self.venue,
            reason: self.reason,
            frozen_at: count_value(self.frozen_at, "frozen_at")?,
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
    pub fn read(r: &dyn Cells) -> Result<SnapshotRecord, StorageError> {
        SnapshotRow {
            epoch: int(r, 0, "snapshot epoch")?,
            digest: text(r, 1, "snapshot digest")?,
            valid_until: int(r, 2, "valid_until")?,
            body: text(r, 3, "snapshot body")?,
            received_at: int(r, 4, "received_at")?,
        }
        .into_record()
    }

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

/// An order's columns to store, in the order of `sql::ORDER_COLUMNS`.
pub struct OrderValues {
    pub id: String,
    pub tag: String,
    pub request: String,
    pub nullifier: Option<String>,
    pub charge: String,
    pub accepted: i64,
    pub remaining: String,
    pub reason: Option<String>,
    pub answered_at: i64,
    pub kind: Option<String>,
    pub symbol: Option<String>,
    pub side: Option<String>,
    pub strike: Option<i64>,
    pub expiry: Option<i64>,
    pub size: Option<String>,
    pub limit: Option<i64>,
    pub rest: Option<String>,
    pub reserved: Option<String>,
    pub filled: Option<String>,
    pub cancelled_at: Option<i64>,
    pub released: Option<String>,
    pub cancel_remaining: Option<String>,
}

impl From<&OrderRecord> for OrderValues {
    fn from(o: &OrderRecord) -> OrderValues {
        let l = o.lifecycle.as_ref();
        let c = l.and_then(|l| l.cancel.as_ref());
        OrderValues {
            id: o.id.clone(),
            tag: o.tag.clone(),
            request: o.request.clone(),
            nullifier: o.nullifier.clone(),
            charge: money_text(o.charge),
            accepted: o.accepted as i64,
            remaining: money_text(o.remaining),
            reason: o.reason.clone(),
            answered_at: bigint(o.answered_at),
            kind: l.map(|l| l.kind.clone()),
            symbol: l.map(|l| l.symbol.clone()),
            side: l.map(|l| if l.short { "short" } else { "long" }.to_string()),
            strike: l.map(|l| bigint(l.strike)),
            expiry: l.map(|l| bigint(l.expiry)),
            size: l.map(|l| l.size.to_string()),
            limit: l.and_then(|l| l.limit).map(bigint),
            rest: l.map(|l| l.rest.to_string()),
            reserved: l.map(|l| money_text(l.reserved)),
            filled: l.map(|l| money_text(l.filled)),
            cancelled_at: c.map(|c| bigint(c.at)),
            released: c.map(|c| money_text(c.released)),
            cancel_remaining: c.map(|c| money_text(c.remaining)),
        }
    }
}

/// A fill's columns to store, in the order of `sql::FILL_COLUMNS`.
pub struct FillValues {
    pub order_id: String,
    pub fill_id: String,
    pub size: String,
    pub price: i64,
    pub charge: String,
    pub accepted: i64,
    pub rest: String,
    pub reserved: String,
    pub remaining: String,
    pub reason: Option<String>,
    pub answered_at: i64,
}

impl From<&FillRecord> for FillValues {
    fn from(f: &FillRecord) -> FillValues {
        FillValues {
            order_id: f.order_id.clone(),
            fill_id: f.fill_id.clone(),
            size: f.size.to_string(),
            price: bigint(f.price),
            charge: money_text(f.charge),
            accepted: f.accepted as i64,
            rest: f.rest.to_string(),
            reserved: money_text(f.reserved),
            remaining: money_text(f.remaining),
            reason: f.reason.clone(),
            answered_at: bigint(f.answered_at),
        }
    }
}
