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

pub mod postgres;
pub mod rows;
pub mod schema;
pub mod sql;
pub mod sqlite;

use std::fmt;

/// A storage failure: the database is unreachable, full, or said something unexpected. Never
/// caused by a request's content (every input is checked before it reaches storage).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Database(String),
    /// A conflict with another writer (PostgreSQL serialization failure, deadlock or unique
    /// violation raced by another process): the transaction is retried from the start.
    #[error("storage conflict: {0}")]
    Conflict(String),
    /// A stored value that does not read back (a hand-edited or corrupted row).
    #[error("storage holds an unreadable {what}: {value:?}")]
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

/// A line with what has been accepted against it. Invariant: `spent <= line.allowance`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineState {
    pub line: LineRecord,
    pub spent: u128,
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
    pub charge: u128,
    pub accepted: bool,
    pub remaining: u128,
    pub reason: Option<String>,
    pub answered_at: u64,
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
pub trait LedgerTx {
    /// The stored answer to order `id` at `venue`.
    fn find_order(&mut self, venue: &str, id: &str) -> Result<Option<OrderRecord>, StorageError>;
    fn insert_order(&mut self, order: &OrderRecord) -> Result<(), StorageError>;
    /// The line `tag` spends at `venue` (the highest epoch), locked against other writers
    /// until the transaction ends.
    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError>;
    fn set_spent(&mut self, venue: &str, nullifier: &str, spent: u128) -> Result<(), StorageError>;
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
    /// On [`StorageError::Conflict`] the backend rolls back and runs `work` again (a bounded
    /// number of times); on any other error it rolls back and returns it.
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError>;
    /// What the database is, for logs (no password).
    fn describe(&self) -> String;
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
