//! The embedded backend: one SQLite file in WAL mode.
//!
//! Durability: `synchronous = FULL` makes every COMMIT reach the disk (WAL plus fsync) before
//! it returns, so an acknowledged charge survives a crash of the process or the machine.
//! Throughput comes from committing many charges in one transaction (the gateway's writer
//! batches them), not from weakening that. Writes take the database lock up front
//! (`BEGIN IMMEDIATE`), so two writers, even in two processes, never interleave.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{LineRow, OrderRow, SnapshotRow};
use super::schema::{statements, MIGRATIONS, MIGRATIONS_TABLE};
use super::{bigint, money_text, sql};
use super::{
    LedgerTx, LineRecord, LineState, OrderRecord, SnapshotRecord, StorageError, Store, Work,
};

/// How long a writer waits for another process's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn db(e: rusqlite::Error) -> StorageError {
    match e {
        rusqlite::Error::SqliteFailure(code, _)
            if code.code == rusqlite::ErrorCode::DatabaseBusy
                || code.code == rusqlite::ErrorCode::DatabaseLocked =>
        {
            StorageError::Conflict(e.to_string())
        }
        other => StorageError::Database(other.to_string()),
    }
}

/// SQLite reads `$1` as a named parameter; `?1` is the numbered one.
fn numbered(statement: &str) -> String {
    statement.replace('$', "?")
}

pub struct SqliteStore {
    conn: Connection,
    path: String,
}

impl SqliteStore {
    pub fn open(path: &str) -> Result<SqliteStore, StorageError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Database(format!(
                "{path}: cannot use WAL mode (journal mode {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_string(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StorageError> {
        self.conn.execute_batch(MIGRATIONS_TABLE).map_err(db)?;
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
        let result = (|| {
            let applied: i64 = self
                .conn
                .query_row(sql::APPLIED_VERSION, [], |r| r.get(0))
                .map_err(db)?;
            for (version, migration) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
                for statement in statements(migration) {
                    self.conn.execute_batch(statement).map_err(db)?;
                }
                self.conn
                    .execute(&numbered(sql::RECORD_VERSION), params![version, now()])
                    .map_err(db)?;
            }
            Ok(())
        })();
        self.finish(result)
    }

    /// Commits on success, rolls back on failure.
    fn finish(&mut self, result: Result<(), StorageError>) -> Result<(), StorageError> {
        match result {
            Ok(()) => self.conn.execute_batch("COMMIT").map_err(db),
            Err(e) => {
                // The rollback's own failure would hide the cause; the cause is what matters.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

fn now() -> i64 {
    bigint(crate::clock::now())
}

impl Store for SqliteStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        // One writer per file at a time (the lock is taken at BEGIN): a busy database is
        // retried by busy_timeout inside SQLite, so one attempt is enough here.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
        let result = work(&mut SqliteTx { conn: &self.conn });
        self.finish(result)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }
}

struct SqliteTx<'a> {
    conn: &'a Connection,
}

impl SqliteTx<'_> {
    fn line(
        &mut self,
        statement: &str,
        venue: &str,
        key: &str,
    ) -> Result<Option<LineState>, StorageError> {
        let row = self
            .conn
            .prepare_cached(&numbered(statement))
            .map_err(db)?
            .query_row(params![venue, key], |r| {
                Ok(LineRow {
                    nullifier: r.get(0)?,
                    certificate: r.get(1)?,
                    epoch: r.get(2)?,
                    level_ppm: r.get(3)?,
                    allowance: r.get(4)?,
                    valid_until: r.get(5)?,
                    spent: r.get(6)?,
                    tag: r.get(7)?,
                })
            })
            .optional()
            .map_err(db)?;
        row.map(|r| r.into_state(venue)).transpose()
    }

    fn execute(
        &mut self,
        statement: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(&numbered(statement))
            .map_err(db)?
            .execute(values)
            .map_err(db)?;
        Ok(())
    }
}

impl LedgerTx for SqliteTx<'_> {
    fn find_order(&mut self, venue: &str, id: &str) -> Result<Option<OrderRecord>, StorageError> {
        let row = self
            .conn
            .prepare_cached(&numbered(sql::FIND_ORDER))
            .map_err(db)?
            .query_row(params![venue, id], |r| {
                Ok(OrderRow {
                    tag: r.get(0)?,
                    request: r.get(1)?,
                    nullifier: r.get(2)?,
                    charge: r.get(3)?,
                    accepted: r.get(4)?,
                    remaining: r.get(5)?,
                    reason: r.get(6)?,
                    answered_at: r.get(7)?,
                })
            })
            .optional()
            .map_err(db)?;
        row.map(|r| r.into_record(venue, id)).transpose()
    }

    fn insert_order(&mut self, o: &OrderRecord) -> Result<(), StorageError> {
        self.execute(
            sql::INSERT_ORDER,
            params![
                o.venue,
                o.id,
                o.tag,
                o.request,
                o.nullifier,
                money_text(o.charge),
                o.accepted as i64,
                money_text(o.remaining),
                o.reason,
                bigint(o.answered_at)
            ],
        )
    }

    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError> {
        // BEGIN IMMEDIATE already holds the database's write lock: no row lock needed.
        self.line(sql::LINE_FOR_TAG, venue, tag)
    }

    fn set_spent(&mut self, venue: &str, nullifier: &str, spent: u128) -> Result<(), StorageError> {
        self.execute(sql::SET_SPENT, params![venue, nullifier, money_text(spent)])
    }

    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError> {
        self.conn
            .prepare_cached(&numbered(sql::NULLIFIER_HOLDER))
            .map_err(db)?
            .query_row(params![nullifier], |r| r.get(0))
            .optional()
            .map_err(db)
    }

    fn insert_nullifier(
        &mut self,
        nullifier: &str,
        certificate: &str,
        epoch: u64,
        venue: &str,
    ) -> Result<(), StorageError> {
        self.execute(
            sql::INSERT_NULLIFIER,
            params![nullifier, certificate, bigint(epoch), venue],
        )
    }

    fn find_line(
        &mut self,
        venue: &str,
        nullifier: &str,
    ) -> Result<Option<LineState>, StorageError> {
        self.line(sql::FIND_LINE, venue, nullifier)
    }

    fn insert_line(&mut self, l: &LineRecord, admitted_at: u64) -> Result<(), StorageError> {
        self.execute(
            sql::INSERT_LINE,
            params![
                l.venue,
                l.nullifier,
                l.certificate,
                l.tag,
                bigint(l.epoch),
                bigint(l.level_ppm),
                money_text(l.allowance),
                bigint(l.valid_until),
                bigint(admitted_at)
            ],
        )?;
        self.execute(sql::INSERT_SPENT, params![l.venue, l.nullifier])
    }

    fn put_snapshot(&mut self, s: &SnapshotRecord) -> Result<(), StorageError> {
        self.execute(
            sql::PUT_SNAPSHOT,
            params![
                bigint(s.epoch),
                s.digest,
                bigint(s.valid_until),
                s.body,
                bigint(s.received_at)
            ],
        )
    }

    fn latest_snapshot(&mut self) -> Result<Option<SnapshotRecord>, StorageError> {
        let row = self
            .conn
            .prepare_cached(sql::LATEST_SNAPSHOT)
            .map_err(db)?
            .query_row([], |r| {
                Ok(SnapshotRow {
                    epoch: r.get(0)?,
                    digest: r.get(1)?,
                    valid_until: r.get(2)?,
                    body: r.get(3)?,
                    received_at: r.get(4)?,
                })
            })
            .optional()
            .map_err(db)?;
        row.map(SnapshotRow::into_record).transpose()
    }
}
