//! The embedded backend: one SQLite file in WAL mode.
//!
//! Durability: `synchronous = FULL` makes every COMMIT reach the disk (WAL plus fsync) before
//! it returns, so an acknowledged charge survives a crash of the process or the machine.
//! Throughput comes from committing many charges in one transaction (the gateway's writer
//! batches them), not from weakening that. Writes take the database lock up front
//! (`BEGIN IMMEDIATE`), so two writers, even in two processes, never interleave.

use rusqlite::{params, Connection};

use super::rows::{
    cell_error, line_state, read_use, text, Cells, FillRow, FillValues, FreezeRow, LineRow,
    OrderRow, OrderValues, SnapshotRow,
};
use super::schema::{statements, MIGRATIONS, MIGRATIONS_TABLE};
use super::{bigint, money_text, sql};
use super::{
    FillRecord, FreezeRecord, LedgerTx, LineRecord, LineState, LineUse, OrderRecord,
    SnapshotRecord, StorageError, Store, Work,
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

/// A row's parameters as an array of references (what `execute_each` and `find_each` take
/// from an iterator: `params!` would borrow a temporary).
macro_rules! refs {
    ($($value:expr),* $(,)?) => {
        [$($value as &dyn rusqlite::ToSql),*]
    };
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

impl SqliteStore {
    /// Runs `work` in a transaction begun with `begin`.
    fn run(&mut self, begin: &str, work: &mut Work) -> Result<(), StorageError> {
        self.conn.execute_batch(begin).map_err(db)?;
        let result = work(&mut SqliteTx { conn: &self.conn });
        self.finish(result)
    }
}

impl Store for SqliteStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        // One writer per file at a time: the lock is taken at BEGIN, where SQLite's busy
        // handler waits for it up to BUSY_TIMEOUT (its own retry); once held, nothing in the
        // transaction can conflict, so the conflict that remains (the lock not had in that
        // time) is answered rather than waited on again.
        self.run("BEGIN IMMEDIATE", work)
    }

    fn read(&mut self, work: &mut Work) -> Result<(), StorageError> {
        // A deferred transaction only reads: in WAL mode it never waits for the writer.
        self.run("BEGIN", work)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path)
    }
}

struct SqliteTx<'a> {
    conn: &'a Connection,
}

impl SqliteTx<'_> {
    fn statement(&self, sql: &str) -> Result<rusqlite::CachedStatement<'_>, StorageError> {
        self.conn.prepare_cached(&numbered(sql)).map_err(db)
    }

    fn execute(&mut self, sql: &str, values: &[&dyn rusqlite::ToSql]) -> Result<(), StorageError> {
        self.statement(sql)?.execute(values).map_err(db)?;
        Ok(())
    }

    /// The first row `sql` finds with `values`, read by `read`.
    fn find_one<P: rusqlite::Params, R>(
        &mut self,
        sql: &str,
        values: P,
        read: fn(&dyn Cells) -> Result<R, StorageError>,
    ) -> Result<Option<R>, StorageError> {
        let mut statement = self.statement(sql)?;
        let mut rows = statement.query(values).map_err(db)?;
        match rows.next().map_err(db)? {
            Some(row) => read(row).map(Some),
            None => Ok(None),
        }
    }

    /// Runs the one-row query `sql` once per parameter set, collecting the rows it finds.
    fn find_each<P: rusqlite::Params, R>(
        &mut self,
        sql: &str,
        each: impl IntoIterator<Item = P>,
        read: fn(&dyn Cells) -> Result<R, StorageError>,
    ) -> Result<Vec<R>, StorageError> {
        let mut found = Vec::new();
        for values in each {
            found.extend(self.find_one(sql, values, read)?);
        }
        Ok(found)
    }

    /// Runs `sql` once per parameter set.
    fn execute_each<P: rusqlite::Params>(
        &mut self,
        sql: &str,
        each: impl IntoIterator<Item = P>,
    ) -> Result<(), StorageError> {
        let mut statement = self.statement(sql)?;
        for values in each {
            statement.execute(values).map_err(db)?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        sql: &str,
        venue: &str,
        key: &str,
    ) -> Result<Option<LineRecord>, StorageError> {
        let row = self.find_one(sql, params![venue, key], LineRow::read)?;
        row.map(|r| r.into_record(venue)).transpose()
    }

    /// The line `sql` finds for each of `keys` (a tag or a nullifier), those there are.
    fn lines(
        &mut self,
        sql: &str,
        venue: &str,
        keys: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        let mut lines = Vec::new();
        for key in keys {
            lines.extend(self.line(sql, venue, key)?);
        }
        Ok(lines)
    }

    fn line_use(&mut self, venue: &str, nullifier: &str) -> Result<Option<LineUse>, StorageError> {
        self.find_one(sql::USE_OF, params![venue, nullifier], |r| read_use(r, 0))
    }

    /// A line with its use (a line without its `spent` row is corruption).
    fn state(&mut self, line: Option<LineRecord>) -> Result<Option<LineState>, StorageError> {
        let Some(line) = line else { return Ok(None) };
        let used = self
            .line_use(&line.venue, &line.nullifier)?
            .ok_or_else(|| StorageError::Corrupt {
                what: "line without its spent row",
                value: line.nullifier.clone(),
            })?;
        line_state(line, used).map(Some)
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

impl LedgerTx for SqliteTx<'_> {
    fn find_orders(&mut self, venue: &str, ids: &[&str]) -> Result<Vec<OrderRecord>, StorageError> {
        let each = ids.iter().map(|id| refs![&venue, id]);
        self.find_each(sql::FIND_ORDER, each, OrderRow::read)?
            .into_iter()
            .map(|row| row.into_record(venue))
            .collect()
    }

    fn insert_orders(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let values: Vec<(&str, OrderValues)> = orders
            .iter()
            .map(|o| (o.venue.as_str(), OrderValues::from(o)))
            .collect();
        let each = values.iter().map(|(venue, v)| {
            refs![
                venue,
                &v.id,
                &v.tag,
                &v.request,
                &v.nullifier,
                &v.charge,
                &v.accepted,
                &v.remaining,
                &v.reason,
                &v.answered_at,
                &v.kind,
                &v.symbol,
                &v.side,
                &v.strike,
                &v.expiry,
                &v.size,
                &v.limit,
                &v.rest,
                &v.reserved,
                &v.filled,
                &v.cancelled_at,
                &v.released,
                &v.cancel_remaining
            ]
        });
        self.execute_each(sql::INSERT_ORDER, each)
    }

    fn update_lifecycles(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let values: Vec<(&str, OrderValues)> = orders
            .iter()
            .map(|o| (o.venue.as_str(), OrderValues::from(o)))
            .collect();
        let each = values.iter().map(|(venue, v)| {
            refs![
                venue,
                &v.id,
                &v.rest,
                &v.reserved,
                &v.filled,
                &v.cancelled_at,
                &v.released,
                &v.cancel_remaining
            ]
        });
        self.execute_each(sql::UPDATE_LIFECYCLE, each)
    }

    fn find_fills(
        &mut self,
        venue: &str,
        keys: &[(&str, &str)],
    ) -> Result<Vec<FillRecord>, StorageError> {
        let each = keys.iter().map(|(order, fill)| refs![&venue, order, fill]);
        self.find_each(sql::FIND_FILL, each, FillRow::read)?
            .into_iter()
            .map(|row| row.into_record(venue))
            .collect()
    }

    fn insert_fills(&mut self, fills: &[FillRecord]) -> Result<(), StorageError> {
        let values: Vec<(&str, FillValues)> = fills
            .iter()
            .map(|f| (f.venue.as_str(), FillValues::from(f)))
            .collect();
        let each = values.iter().map(|(venue, v)| {
            refs![
                venue,
                &v.order_id,
                &v.fill_id,
                &v.size,
                &v.price,
                &v.charge,
                &v.accepted,
                &v.rest,
                &v.reserved,
                &v.remaining,
                &v.reason,
                &v.answered_at
            ]
        });
        self.execute_each(sql::INSERT_FILL, each)
    }

    fn lines_for_tags(
        &mut self,
        venue: &str,
        tags: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines(sql::LINE_FOR_TAG, venue, tags)
    }

    fn lines_of(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines(sql::LINE_OF, venue, nullifiers)
    }

    fn lock_uses(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<(String, LineUse)>, StorageError> {
        // BEGIN IMMEDIATE already holds the database's write lock: no row lock needed.
        let mut uses = Vec::new();
        for nullifier in nullifiers {
            if let Some(used) = self.line_use(venue, nullifier)? {
                uses.push((nullifier.to_string(), used));
            }
        }
        Ok(uses)
    }

    fn set_uses(&mut self, venue: &str, uses: &[(&str, LineUse)]) -> Result<(), StorageError> {
        let values: Vec<(&str, String, String)> = uses
            .iter()
            .map(|(n, used)| (*n, money_text(used.spent), money_text(used.filled)))
            .collect();
        let each = values
            .iter()
            .map(|(nullifier, spent, filled)| refs![&venue, nullifier, spent, filled]);
        self.execute_each(sql::SET_USE, each)
    }

    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError> {
        let line = self.line(sql::LINE_FOR_TAG, venue, tag)?;
        self.state(line)
    }

    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError> {
        self.find_one(sql::NULLIFIER_HOLDER, params![nullifier], |r| {
            text(r, 0, "certificate")
        })
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
        let line = self.line(sql::LINE_OF, venue, nullifier)?;
        self.state(line)
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

    fn frozen(&mut self, nullifiers: &[&str]) -> Result<Vec<FreezeRecord>, StorageError> {
        let each = nullifiers.iter().map(|n| refs![n]);
        self.find_each(sql::FROZEN, each, FreezeRow::read)
    }

    fn freeze(&mut self, f: &FreezeRecord) -> Result<(), StorageError> {
        self.execute(
            sql::FREEZE,
            params![f.nullifier, f.venue, f.reason, bigint(f.frozen_at)],
        )
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
        self.find_one(sql::LATEST_SNAPSHOT, [], SnapshotRow::read)
    }
}
