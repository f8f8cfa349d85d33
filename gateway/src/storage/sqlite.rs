//! The embedded backend: one SQLite file in WAL mode. Its driver ([`SqliteDriver`]) binds,
//! runs and reads one row at a time; the ledger's row operations are `driver::Tx`'s.
//!
//! Durability: `synchronous = FULL` makes every COMMIT reach the disk (WAL plus fsync) before
//! it returns, so an acknowledged charge survives a crash of the process or the machine.
//! Throughput comes from committing many charges in one transaction (the gateway's writer
//! batches them), not from weakening that. Writes take the database lock up front
//! (`BEGIN IMMEDIATE`), so two writers, even in two processes, never interleave.

use rusqlite::types::ToSqlOutput;
use rusqlite::Connection;
use rusqlite::TransactionBehavior::{self, Deferred, Immediate};

use super::driver::{migrate, Driver, OnRow, Param, Tx};
use super::rows::{cell_error, Cells};
use super::{StorageError, Store, Work};

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
        // The write lock held from BEGIN IMMEDIATE: another process starting waits, then finds
        // the migrations applied.
        let now = crate::clock::now();
        store.within(Immediate, |mut driver| migrate(&mut driver, now))?;
        Ok(store)
    }

    /// Runs `work` in a transaction begun as `behavior` says: committed when it succeeds,
    /// rolled back when it fails or panics (the transaction is rolled back as it is dropped,
    /// so the connection is never left inside one).
    fn within(
        &mut self,
        behavior: TransactionBehavior,
        work: impl FnOnce(SqliteDriver) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let tx = self.conn.transaction_with_behavior(behavior).map_err(db)?;
        work(SqliteDriver { conn: &tx })?;
        tx.commit().map_err(db)
    }
}

impl Store for SqliteStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        // One writer per file at a time: the lock is taken at BEGIN, where SQLite's busy
        // handler waits for it up to BUSY_TIMEOUT (its own retry); once held, nothing in the
        // transaction can conflict, so the conflict that remains (the lock not had in that
        // time) is answered rather than waited on again.
        self.within(Immediate, |driver| work(&mut Tx(driver)))
    }

    fn read(&mut self, work: &mut Work) -> Result<(), StorageError> {
        // A deferred transaction only reads: in WAL mode it never waits for the writer.
        self.within(Deferred, |driver| work(&mut Tx(driver)))
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }
}

/// The SQLite driver: statements prepared once per connection (`prepare_cached`), one row
/// at a time (no arrays).
pub struct SqliteDriver<'a> {
    conn: &'a Connection,
}

impl SqliteDriver<'_> {
    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StorageError> {
        self.conn.prepare_cached(&numbered(sql)).map_err(db)
    }
}

impl Driver for SqliteDriver<'_> {
    const ARRAYS: bool = false;

    fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<(), StorageError> {
        let mut statement = self.statement(sql)?;
        statement
            .execute(rusqlite::params_from_iter(params))
            .map_err(db)?;
        Ok(())
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param],
        row: &mut OnRow,
    ) -> Result<(), StorageError> {
        let mut statement = self.statement(sql)?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            row(r)?;
        }
        Ok(())
    }

    fn script(&mut self, sql: &str) -> Result<(), StorageError> {
        self.conn.execute_batch(sql).map_err(db)
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Text(value) => value.to_sql(),
            Param::Int(value) => value.to_sql(),
            Param::Texts(_) | Param::Ints(_) => Err(rusqlite::Error::ToSqlConversionFailure(
                "SQLite binds no arrays".into(),
            )),
        }
    }
}

impl Cells for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<Option<String>, StorageError> {
        self.get(i)
            .map_err(|e| cell_error(&format!("column {i}"), e))
    }

    fn int(&self, i: usize) -> Result<Option<i64>, StorageError> {
        self.get(i)
            .map_err(|e| cell_error(&format!("column {i}"), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// A transaction whose work panics leaves no transaction open: the next one runs.
    #[test]
    fn a_panic_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().expect("no temporary directory");
        let path = dir.path().join("ledger.db");
        let mut store = SqliteStore::open(&path.display().to_string()).expect("cannot open");
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            store.transaction(&mut |_| panic!("a bug in the work"))
        }));
        assert!(panicked.is_err());
        let mut latest = Some(None);
        store
            .transaction(&mut |tx| {
                latest = Some(tx.latest_snapshot()?);
                Ok(())
            })
            .expect("the next transaction failed");
        assert_eq!(latest, Some(None));
    }
}
