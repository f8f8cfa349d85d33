//! The gateway's durable state, behind one trait with two backends: SQLite (embedded, the
//! default) and PostgreSQL (shared by several gateway processes or venues).
//!
//! A backend only knows how to run a write transaction and a handful of row operations
//! ([`LedgerTx`]); the rules (one certificate per nullifier, `judge` for every charge, one
//! answer per order id) are written once, in `crate::ledger`, over those operations, so the
//! two databases cannot disagree about them.
//!
//! Money is `u128` (allowances are below 2^100, beyond `i64`), stored as canonical decimal
//! TEXT in both databases; times and epochs are below 2^40 and fit `BIGINT`.

pub mod driver;
pub mod postgres;
pub mod rows;
pub mod schema;
pub mod sql;
pub mod sqlite;

use std::fmt;

/// A storage failure: the database is unreachable, full, or said something unexpected. Never
/// caused by a request's content (every input is checked before it reaches storage). The
/// kind travels to the HTTP answer (`api::error`): unavailable or conflicting is 503, corrupt
/// is 500.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Database(String),
    /// A conflict with another writer (PostgreSQL serialization failure, deadlock or unique
    /// violation raced by another process: the transaction is retried from the start,
    /// [`retry`]), or SQLite's lock still held by another process after its busy timeout.
    #[error("storage conflict: {0}")]
    Conflict(String),
    /// A stored value that does not read back (a hand-edited or corrupted row): a cell of
    /// another type, a NULL where a value must be, a value out of range.
    #[error("storage holds a corrupt {what}: {value:?}")]
    Corrupt { what: &'static str, value: String },
    #[error("unsupported database URL {0:?} (use sqlite:PATH or postgres://...)")]
    Url(String),
}

/// One credit line as stored: the verified certificate's line at one venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRecord {
    pub venue: String,
    /// `fp_to_hex` of the nullifier.
    pub nullifier: String,
    /// `digest_to_hex` of the certificate.
    pub certificate: String,
    /// `fp_to_hex` of the trader's tag at this venue.
    pub tag: String,
    pub epoch: u64,
    /// The certificate's level: every charge on the line is computed at it.
    pub level_ppm: u64,
    pub allowance: u128,
    pub valid_until: u64,
}

/// What a line's orders hold of it. Invariants: `filled <= spent <= allowance`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineUse {
    /// Reserved by resting orders plus filled: what the line's orders hold.
    pub spent: u128,
    /// The part of `spent` that fills turned into positions (and the charges accepted before
    /// the order lifecycle, which are positions for good).
    pub filled: u128,
}

impl LineUse {
    /// What resting orders reserve.
    pub fn reserved(&self) -> u128 {
        self.spent - self.filled
    }
}

/// A line with what its orders hold of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineState {
    pub line: LineRecord,
    pub used: LineUse,
}

/// The instrument and state of an accepted order (`None` on a refused order, and on one
/// accepted before the lifecycle existed, which holds its charge for good).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// `perp`, `call` or `put`.
    pub kind: String,
    /// The underlying asset's symbol (its index may change between snapshots).
    pub symbol: String,
    pub short: bool,
    /// The strike of an option, e8 (0 for a perp).
    pub strike: u64,
    /// The expiry of an option, unix seconds (0 for a perp).
    pub expiry: u64,
    /// The order's size, e9.
    pub size: u64,
    /// The fill the order was charged at when the engine named one (its limit), e8.
    pub limit: Option<u64>,
    /// What has not filled, e9. Invariant: `rest <= size`.
    pub rest: u64,
    /// What the unfilled rest holds of the line (0 once cancelled or filled).
    pub reserved: u128,
    /// The charges of its fills.
    pub filled: u128,
    pub cancel: Option<CancelRecord>,
}

/// The answer to a cancel, kept to answer a retry the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CancelRecord {
    pub at: u64,
    /// What the cancel gave back to the line.
    pub released: u128,
    /// What remained of the line after it.
    pub remaining: u128,
}

/// One answered order, as stored: a retry with the same id gets exactly this back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub venue: String,
    pub id: String,
    pub tag: String,
    /// The request's canonical text: a retry must carry the same to get the stored answer.
    pub request: String,
    /// The line charged, when there was one.
    pub nullifier: Option<String>,
    /// The order's charge when placed (what it reserved, if accepted).
    pub charge: u128,
    pub accepted: bool,
    pub remaining: u128,
    pub reason: Option<String>,
    pub answered_at: u64,
    pub lifecycle: Option<Lifecycle>,
}

/// One answered fill of an order, as stored: a retry with the same fill id gets it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRecord {
    pub venue: String,
    pub order_id: String,
    pub fill_id: String,
    /// e9.
    pub size: u64,
    /// e8.
    pub price: u64,
    /// The fill's own charge.
    pub charge: u128,
    pub accepted: bool,
    /// The order's unfilled rest and its reservation after this fill.
    pub rest: u64,
    pub reserved: u128,
    /// What remained of the line after it.
    pub remaining: u128,
    pub reason: Option<String>,
    pub answered_at: u64,
}

/// A frozen nullifier: every venue on the database refuses new orders of its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeRecord {
    pub nullifier: String,
    /// The venue that froze it.
    pub venue: String,
    pub reason: String,
    pub frozen_at: u64,
}

/// A publisher-signed snapshot as received (its text re-checked whenever it is loaded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub epoch: u64,
    /// `digest_to_hex` of the snapshot digest.
    pub digest: String,
    pub valid_until: u64,
    /// The signed `snapshot.json` text.
    pub body: String,
    pub received_at: u64,
}

/// The row operations of one write transaction. Every call sees the transaction's own
/// earlier writes; the backend makes the whole transaction atomic and durable at commit.
///
/// The charge path works on whole batches (the `*_many` calls take every row of a batch at
/// once), so that a backend behind a network (PostgreSQL) pays one round trip per kind of
/// row rather than per order.
pub trait LedgerTx {
    /// The stored answers of orders `ids` at `venue` (those that exist).
    fn find_orders(&mut self, venue: &str, ids: &[&str]) -> Result<Vec<OrderRecord>, StorageError>;
    fn insert_orders(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError>;
    /// Stores the lifecycle of orders already stored.
    fn update_lifecycles(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError>;
    /// The stored answers of fills `(order id, fill id)` at `venue` (those that exist).
    fn find_fills(
        &mut self,
        venue: &str,
        keys: &[(&str, &str)],
    ) -> Result<Vec<FillRecord>, StorageError>;
    fn insert_fills(&mut self, fills: &[FillRecord]) -> Result<(), StorageError>;
    /// The line each of `tags` spends at `venue` (its highest epoch), unlocked.
    fn lines_for_tags(
        &mut self,
        venue: &str,
        tags: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError>;
    /// The lines of `nullifiers` at `venue`, unlocked.
    fn lines_of(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError>;
    /// What the orders of the lines of `nullifiers` (sorted, distinct) hold, each line locked
    /// against other writers until the transaction ends, in that order (so that two writers
    /// never wait for each other's lines).
    fn lock_uses(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<(String, LineUse)>, StorageError>;
    fn set_uses(&mut self, venue: &str, uses: &[(&str, LineUse)]) -> Result<(), StorageError>;
    /// The line `tag` spends at `venue` (the highest epoch), with its use.
    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError>;
    /// The certificate (digest hex) that holds `nullifier` in the shared registry.
    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError>;
    fn insert_nullifier(
        &mut self,
        nullifier: &str,
        certificate: &str,
        epoch: u64,
        venue: &str,
    ) -> Result<(), StorageError>;
    /// The line of certificate nullifier `nullifier` at `venue`.
    fn find_line(
        &mut self,
        venue: &str,
        nullifier: &str,
    ) -> Result<Option<LineState>, StorageError>;
    /// Inserts a new line with nothing spent.
    fn insert_line(&mut self, line: &LineRecord, admitted_at: u64) -> Result<(), StorageError>;
    /// The freezes of those of `nullifiers` that are frozen.
    fn frozen(&mut self, nullifiers: &[&str]) -> Result<Vec<FreezeRecord>, StorageError>;
    /// Freezes `freeze.nullifier` unless it is frozen already (the first freeze stands).
    fn freeze(&mut self, freeze: &FreezeRecord) -> Result<(), StorageError>;
    /// Inserts or replaces the snapshot of `record.epoch`.
    fn put_snapshot(&mut self, record: &SnapshotRecord) -> Result<(), StorageError>;
    /// The snapshot of the highest epoch.
    fn latest_snapshot(&mut self) -> Result<Option<SnapshotRecord>, StorageError>;
}

/// The work of one transaction. It may run more than once (a conflict retries it from the
/// start), so it must rebuild its results from scratch on every run.
pub type Work<'a> = dyn FnMut(&mut dyn LedgerTx) -> Result<(), StorageError> + 'a;

/// A database holding the gateway's ledger.
pub trait Store: Send {
    /// Runs `work` in one write transaction and commits it durably before returning `Ok`.
    /// PostgreSQL: on [`StorageError::Conflict`] the backend rolls back and runs `work` again
    /// (a bounded number of times, [`retry`]). SQLite takes the database's write lock before
    /// `work` runs (waiting for it up to its busy timeout, SQLite's own retry), so `work`
    /// never conflicts there; a lock not had in that time is returned as a conflict. On any
    /// other error the backend rolls back and returns it.
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError>;
    /// Runs `work` in one read-only transaction: it takes no lock that a writer waits for
    /// (no `FOR UPDATE`, no SQLite write lock) and sees what was committed when it began.
    fn read(&mut self, work: &mut Work) -> Result<(), StorageError>;
    /// What the database is, for logs (no password).
    fn describe(&self) -> String;
}

/// Attempts of one transaction before a conflict is reported as a failure.
const ATTEMPTS: u32 = 20;

/// Runs `attempt` until it ends in something other than a conflict, backing off a little more
/// each time so that contenders spread out; after [`ATTEMPTS`] conflicts, the last one is
/// returned, still a conflict (answered 503 with `Retry-After`).
pub fn retry(mut attempt: impl FnMut() -> Result<(), StorageError>) -> Result<(), StorageError> {
    let mut last = String::new();
    for n in 0..ATTEMPTS {
        match attempt() {
            Err(StorageError::Conflict(reason)) => {
                std::thread::sleep(std::time::Duration::from_micros(200 << n.min(6)));
                last = reason;
            }
            other => return other,
        }
    }
    Err(StorageError::Conflict(format!(
        "gave up after {ATTEMPTS} conflicting attempts: {last}"
    )))
}

/// Opens (creating if needed) the database named by `url` and applies the migrations:
/// `sqlite:PATH` or `postgres://...` / `postgresql://...`.
pub fn open(url: &str) -> Result<Box<dyn Store>, StorageError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        if path.is_empty() {
            return Err(StorageError::Url(url.to_string()));
        }
        return Ok(Box::new(sqlite::SqliteStore::open(path)?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(postgres::PgStore::open(url)?));
    }
    Err(StorageError::Url(url.to_string()))
}

/// Money to its stored text.
pub fn money_text(value: u128) -> String {
    value.to_string()
}

/// Stored money text back to a value; anything but canonical digits is corruption.
pub fn money_value(text: &str, what: &'static str) -> Result<u128, StorageError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u128>().ok())
        .flatten()
        .ok_or_else(|| StorageError::Corrupt {
            what,
            value: text.to_string(),
        })
}

/// A stored BIGINT (never negative: times, epochs and levels are below 2^40) back to `u64`.
pub fn count_value(value: i64, what: &'static str) -> Result<u64, StorageError> {
    u64::try_from(value).map_err(|_| StorageError::Corrupt {
        what,
        value: value.to_string(),
    })
}

/// A `u64` below 2^63 to a BIGINT; every value stored is bounded far below (2^40).
pub fn bigint(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl fmt::Display for LineRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} at {} (epoch {}, {} uusd)",
            self.nullifier, self.venue, self.epoch, self.allowance
        )
    }
}
