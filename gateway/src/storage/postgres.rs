//! The shared backend: PostgreSQL, for several gateway processes or venues on one ledger.
//! Its driver ([`PgDriver`]) prepares each statement once per connection and binds a batch's
//! columns as arrays; the ledger's row operations are `driver::Tx`'s.
//!
//! Transactions run at READ COMMITTED with row locks: the lines a batch spends are locked
//! (`FOR UPDATE` on their `spent` rows, in the order of their nullifiers) before anything of
//! them is read for a decision, so two processes charging one line queue on that row, and the
//! second reads the first's committed `spent` and orders. Races that a lock cannot order (two
//! processes inserting the same order id or nullifier at once) end in a unique violation; those, serialization
//! failures and deadlocks are conflicts, and the whole transaction is run again, where the
//! winner's row is then seen. Commits wait for the server's WAL flush (the server's
//! `synchronous_commit`, on by default), so an acknowledged charge is durable.
//!
//! Every batch operation is one statement whatever the batch's size (`= ANY($n)` to read,
//! `UNNEST` of one array per column to write): a batch of charges costs about ten round
//! trips, not three per order.

use std::collections::HashMap;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement, Transaction};

use super::driver::{migrate, Driver, OnRow, Param, Tx};
use super::rows::{cell_error, Cells};
use super::{retry, StorageError, Store, Work};

/// An arbitrary constant naming the migration lock among PostgreSQL's advisory locks.
const MIGRATION_LOCK: i64 = 0x7a6b_6d61_7267_696e;

fn db(e: postgres::Error) -> StorageError {
    let conflict = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::UNIQUE_VIOLATION,
    ];
    match e.code() {
        Some(code) if conflict.contains(code) => StorageError::Conflict(e.to_string()),
        _ => StorageError::Database(e.to_string()),
    }
}

/// The URL without its password, for logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Statements prepared on one connection, each once (a round trip saved per query).
type Prepared = HashMap<&'static str, Statement>;

pub struct PgStore {
    url: String,
    client: Client,
    statements: Prepared,
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, StorageError> {
        let client = Client::connect(url, NoTls).map_err(|e| {
            StorageError::Database(format!("cannot connect to {}: {e}", redacted(url)))
        })?;
        let mut store = PgStore {
            url: url.to_string(),
            client,
            statements: HashMap::new(),
        };
        let now = crate::clock::now();
        store.attempt(false, &mut |driver| {
            // Two processes starting together: the second waits here, then finds the work
            // done.
            let lock = [Param::Int(Some(MIGRATION_LOCK))];
            driver.execute("SELECT pg_advisory_xact_lock($1)", &lock)?;
            migrate(driver, now)
        })?;
        Ok(store)
    }

    /// Runs `work` in one transaction, `read_only` or not, on a live connection (a fresh
    /// one after the old one broke: the server restarted, say).
    fn attempt(
        &mut self,
        read_only: bool,
        work: &mut dyn FnMut(&mut PgDriver) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        if self.client.is_closed() {
            self.client = Client::connect(&self.url, NoTls).map_err(|e| {
                StorageError::Database(format!("cannot reconnect to {}: {e}", redacted(&self.url)))
            })?;
            self.statements.clear();
        }
        let mut tx = self
            .client
            .build_transaction()
            .read_only(read_only)
            .start()
            .map_err(db)?;
        work(&mut PgDriver {
            tx: &mut tx,
            statements: &mut self.statements,
        })?;
        tx.commit().map_err(db)
    }
}

impl Store for PgStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        retry(|| self.attempt(false, &mut |driver| work(&mut Tx(driver))))
    }

    fn read(&mut self, work: &mut Work) -> Result<(), StorageError> {
        retry(|| self.attempt(true, &mut |driver| work(&mut Tx(driver))))
    }

    fn describe(&self) -> String {
        redacted(&self.url)
    }
}

/// The PostgreSQL driver: each statement prepared once per connection, batches bound as
/// arrays.
pub struct PgDriver<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    statements: &'a mut Prepared,
}

impl PgDriver<'_, '_> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StorageError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(db)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// A parameter as PostgreSQL binds it.
fn bound<'a>(param: &'a Param) -> &'a (dyn ToSql + Sync) {
    match param {
        Param::Text(value) => value,
        Param::Int(value) => value,
        Param::Texts(values) => values,
        Param::Ints(values) => values,
    }
}

impl Driver for PgDriver<'_, '_> {
    const ARRAYS: bool = true;

    fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<(), StorageError> {
        let statement = self.statement(sql)?;
        let params: Vec<_> = params.iter().map(bound).collect();
        self.tx.execute(&statement, &params).map_err(db)?;
        Ok(())
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param],
        row: &mut OnRow,
    ) -> Result<(), StorageError> {
        let statement = self.statement(sql)?;
        let params: Vec<_> = params.iter().map(bound).collect();
        for r in self.tx.query(&statement, &params).map_err(db)? {
            row(&r)?;
        }
        Ok(())
    }

    fn script(&mut self, sql: &str) -> Result<(), StorageError> {
        self.tx.batch_execute(sql).map_err(db)
    }
}

impl Cells for postgres::Row {
    fn text(&self, i: usize) -> Result<Option<String>, StorageError> {
        self.try_get(i)
            .map_err(|e| cell_error(column_name(self, i), e))
    }

    fn int(&self, i: usize) -> Result<Option<i64>, StorageError> {
        self.try_get(i)
            .map_err(|e| cell_error(column_name(self, i), e))
    }
}

fn column_name(row: &postgres::Row, i: usize) -> &str {
    row.columns().get(i).map_or("?", |c| c.name())
}
