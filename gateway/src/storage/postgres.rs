//! The shared backend: PostgreSQL, for several gateway processes or venues on one ledger.
//!
//! Transactions run at READ COMMITTED with row locks: the lines a batch spends are locked
//! (`FOR UPDATE` on their `spent` rows, in the order of their nullifiers) before anything of
//! them is read for a decision, so two processes charging one line queue on that row, and the
//! second reads the first's committed `spent` and orders. Races that a lock cannot order (two processes inserting the
//! same order id or nullifier at once) end in a unique violation; those, serialization
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

use super::rows::{
    cell_error, line_state, read_use, text, Cells, FillRow, FillValues, FreezeRow, LineRow,
    OrderRow, OrderValues, SnapshotRow,
};
use super::schema::{statements, MIGRATIONS, MIGRATIONS_TABLE};
use super::{bigint, money_text, retry, sql};
use super::{
    FillRecord, FreezeRecord, LedgerTx, LineRecord, LineState, LineUse, OrderRecord,
    SnapshotRecord, StorageError, Store, Work,
};

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

pub struct PgStore {
    url: String,
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, StorageError> {
        let mut client = Client::connect(url, NoTls).map_err(|e| {
            StorageError::Database(format!("cannot connect to {}: {e}", redacted(url)))
        })?;
        migrate(&mut client)?;
        let statements = prepare(&mut client)?;
        Ok(PgStore {
            url: url.to_string(),
            client,
            statements,
        })
    }

    /// A fresh connection after the old one broke (the server restarted, say).
    fn reconnect(&mut self) -> Result<(), StorageError> {
        let mut client = Client::connect(&self.url, NoTls).map_err(|e| {
            StorageError::Database(format!("cannot reconnect to {}: {e}", redacted(&self.url)))
        })?;
        self.statements = prepare(&mut client)?;
        self.client = client;
        Ok(())
    }
}

fn migrate(client: &mut Client) -> Result<(), StorageError> {
    let mut tx = client.transaction().map_err(db)?;
    // Two processes starting together: the second waits here, then finds the work done.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(db)?;
    tx.batch_execute(MIGRATIONS_TABLE).map_err(db)?;
    let applied = tx
        .query_one(sql::APPLIED_VERSION, &[])
        .map_err(db)?
        .int(0)?
        .unwrap_or(0);
    for (version, migration) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        for statement in statements(migration) {
            tx.batch_execute(statement).map_err(db)?;
        }
        let now = bigint(crate::clock::now());
        tx.execute(sql::RECORD_VERSION, &[version, &now])
            .map_err(db)?;
    }
    tx.commit().map_err(db)
}

/// Every row statement, prepared once per connection (a round trip saved per query).
fn prepare(client: &mut Client) -> Result<HashMap<&'static str, Statement>, StorageError> {
    let all = [
        sql::FIND_ORDERS,
        sql::INSERT_ORDERS,
        sql::UPDATE_LIFECYCLES,
        sql::FIND_FILLS,
        sql::INSERT_FILLS,
        sql::LINES_FOR_TAGS,
        sql::LINES_OF,
        sql::LOCK_USES,
        sql::SET_USES,
        sql::USE_OF,
        sql::FROZEN_ANY,
        sql::FREEZE,
        sql::NULLIFIER_HOLDER,
        sql::INSERT_NULLIFIER,
        sql::INSERT_LINE,
        sql::INSERT_SPENT,
        sql::PUT_SNAPSHOT,
        sql::LATEST_SNAPSHOT,
    ];
    let mut prepared = HashMap::new();
    for statement in all {
        prepared.insert(statement, client.prepare(statement).map_err(db)?);
    }
    Ok(prepared)
}

impl PgStore {
    /// Runs `work` in one transaction, `read_only` or not, on a live connection.
    fn attempt(&mut self, read_only: bool, work: &mut Work) -> Result<(), StorageError> {
        if self.client.is_closed() {
            self.reconnect()?;
        }
        let mut tx = self
            .client
            .build_transaction()
            .read_only(read_only)
            .start()
            .map_err(db)?;
        work(&mut PgTx {
            tx: &mut tx,
            statements: &self.statements,
        })?;
        tx.commit().map_err(db)
    }
}

impl Store for PgStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        retry(|| self.attempt(false, work))
    }

    fn read(&mut self, work: &mut Work) -> Result<(), StorageError> {
        retry(|| self.attempt(true, work))
    }

    fn describe(&self) -> String {
        redacted(&self.url)
    }
}

struct PgTx<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    statements: &'a HashMap<&'static str, Statement>,
}

impl PgTx<'_, '_> {
    fn statement(&self, sql: &'static str) -> Result<Statement, StorageError> {
        self.statements
            .get(sql)
            .cloned()
            .ok_or_else(|| StorageError::Database(format!("statement not prepared: {sql}")))
    }

    fn query(
        &mut self,
        sql: &'static str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StorageError> {
        let statement = self.statement(sql)?;
        self.tx.query(&statement, values).map_err(db)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StorageError> {
        let statement = self.statement(sql)?;
        self.tx.query_opt(&statement, values).map_err(db)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<(), StorageError> {
        let statement = self.statement(sql)?;
        self.tx.execute(&statement, values).map_err(db)?;
        Ok(())
    }

    fn lines(
        &mut self,
        sql: &'static str,
        venue: &str,
        keys: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.query(sql, &[&venue, &keys])?
            .iter()
            .map(|r| LineRow::read(r)?.into_record(venue))
            .collect()
    }

    /// A line with its use (a line without its `spent` row is corruption).
    fn state(&mut self, line: Option<LineRecord>) -> Result<Option<LineState>, StorageError> {
        let Some(line) = line else { return Ok(None) };
        let row = self.query_opt(sql::USE_OF, &[&line.venue, &line.nullifier])?;
        let Some(row) = row else {
            return Err(StorageError::Corrupt {
                what: "line without its spent row",
                value: line.nullifier,
            });
        };
        let used = read_use(&row, 0)?;
        line_state(line, used).map(Some)
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

/// One column of a batch, as the array an `UNNEST($n::type[])` takes.
fn column<T, U>(rows: &[T], field: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(field).collect()
}

impl LedgerTx for PgTx<'_, '_> {
    fn find_orders(&mut self, venue: &str, ids: &[&str]) -> Result<Vec<OrderRecord>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.query(sql::FIND_ORDERS, &[&venue, &ids])?
            .iter()
            .map(|r| OrderRow::read(r)?.into_record(venue))
            .collect()
    }

    fn insert_orders(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let Some(first) = orders.first() else {
            return Ok(());
        };
        let v: Vec<OrderValues> = orders.iter().map(OrderValues::from).collect();
        self.execute(
            sql::INSERT_ORDERS,
            &[
                &first.venue,
                &column(&v, |v| v.id.clone()),
                &column(&v, |v| v.tag.clone()),
                &column(&v, |v| v.request.clone()),
                &column(&v, |v| v.nullifier.clone()),
                &column(&v, |v| v.charge.clone()),
                &column(&v, |v| v.accepted),
                &column(&v, |v| v.remaining.clone()),
                &column(&v, |v| v.reason.clone()),
                &column(&v, |v| v.answered_at),
                &column(&v, |v| v.kind.clone()),
                &column(&v, |v| v.symbol.clone()),
                &column(&v, |v| v.side.clone()),
                &column(&v, |v| v.strike),
                &column(&v, |v| v.expiry),
                &column(&v, |v| v.size.clone()),
                &column(&v, |v| v.limit),
                &column(&v, |v| v.rest.clone()),
                &column(&v, |v| v.reserved.clone()),
                &column(&v, |v| v.filled.clone()),
                &column(&v, |v| v.cancelled_at),
                &column(&v, |v| v.released.clone()),
                &column(&v, |v| v.cancel_remaining.clone()),
            ],
        )
    }

    fn update_lifecycles(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let Some(first) = orders.first() else {
            return Ok(());
        };
        let v: Vec<OrderValues> = orders.iter().map(OrderValues::from).collect();
        self.execute(
            sql::UPDATE_LIFECYCLES,
            &[
                &first.venue,
                &column(&v, |v| v.id.clone()),
                &column(&v, |v| v.rest.clone()),
                &column(&v, |v| v.reserved.clone()),
                &column(&v, |v| v.filled.clone()),
                &column(&v, |v| v.cancelled_at),
                &column(&v, |v| v.released.clone()),
                &column(&v, |v| v.cancel_remaining.clone()),
            ],
        )
    }

    fn find_fills(
        &mut self,
        venue: &str,
        keys: &[(&str, &str)],
    ) -> Result<Vec<FillRecord>, StorageError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let orders = column(keys, |k| k.0);
        let fills = column(keys, |k| k.1);
        self.query(sql::FIND_FILLS, &[&venue, &orders, &fills])?
            .iter()
            .map(|r| FillRow::read(r)?.into_record(venue))
            .collect()
    }

    fn insert_fills(&mut self, fills: &[FillRecord]) -> Result<(), StorageError> {
        let Some(first) = fills.first() else {
            return Ok(());
        };
        let v: Vec<FillValues> = fills.iter().map(FillValues::from).collect();
        self.execute(
            sql::INSERT_FILLS,
            &[
                &first.venue,
                &column(&v, |v| v.order_id.clone()),
                &column(&v, |v| v.fill_id.clone()),
                &column(&v, |v| v.size.clone()),
                &column(&v, |v| v.price),
                &column(&v, |v| v.charge.clone()),
                &column(&v, |v| v.accepted),
                &column(&v, |v| v.rest.clone()),
                &column(&v, |v| v.reserved.clone()),
                &column(&v, |v| v.remaining.clone()),
                &column(&v, |v| v.reason.clone()),
                &column(&v, |v| v.answered_at),
            ],
        )
    }

    fn lines_for_tags(
        &mut self,
        venue: &str,
        tags: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines(sql::LINES_FOR_TAGS, venue, tags)
    }

    fn lines_of(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines(sql::LINES_OF, venue, nullifiers)
    }

    fn lock_uses(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<(String, LineUse)>, StorageError> {
        if nullifiers.is_empty() {
            return Ok(Vec::new());
        }
        self.query(sql::LOCK_USES, &[&venue, &nullifiers])?
            .iter()
            .map(|r| Ok((text(r, 0, "spent nullifier")?, read_use(r, 1)?)))
            .collect()
    }

    fn set_uses(&mut self, venue: &str, uses: &[(&str, LineUse)]) -> Result<(), StorageError> {
        if uses.is_empty() {
            return Ok(());
        }
        self.execute(
            sql::SET_USES,
            &[
                &venue,
                &column(uses, |u| u.0),
                &column(uses, |u| money_text(u.1.spent)),
                &column(uses, |u| money_text(u.1.filled)),
            ],
        )
    }

    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError> {
        let line = self.lines(sql::LINES_FOR_TAGS, venue, &[tag])?.pop();
        self.state(line)
    }

    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError> {
        match self.query_opt(sql::NULLIFIER_HOLDER, &[&nullifier])? {
            Some(r) => r.text(0),
            None => Ok(None),
        }
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
            &[&nullifier, &certificate, &bigint(epoch), &venue],
        )
    }

    fn find_line(
        &mut self,
        venue: &str,
        nullifier: &str,
    ) -> Result<Option<LineState>, StorageError> {
        let line = self.lines(sql::LINES_OF, venue, &[nullifier])?.pop();
        self.state(line)
    }

    fn insert_line(&mut self, l: &LineRecord, admitted_at: u64) -> Result<(), StorageError> {
        self.execute(
            sql::INSERT_LINE,
            &[
                &l.venue,
                &l.nullifier,
                &l.certificate,
                &l.tag,
                &bigint(l.epoch),
                &bigint(l.level_ppm),
                &money_text(l.allowance),
                &bigint(l.valid_until),
                &bigint(admitted_at),
            ],
        )?;
        self.execute(sql::INSERT_SPENT, &[&l.venue, &l.nullifier])
    }

    fn frozen(&mut self, nullifiers: &[&str]) -> Result<Vec<FreezeRecord>, StorageError> {
        if nullifiers.is_empty() {
            return Ok(Vec::new());
        }
        self.query(sql::FROZEN_ANY, &[&nullifiers])?
            .iter()
            .map(|r| FreezeRow::read(r))
            .collect()
    }

    fn freeze(&mut self, f: &FreezeRecord) -> Result<(), StorageError> {
        self.execute(
            sql::FREEZE,
            &[&f.nullifier, &f.venue, &f.reason, &bigint(f.frozen_at)],
        )
    }

    fn put_snapshot(&mut self, s: &SnapshotRecord) -> Result<(), StorageError> {
        self.execute(
            sql::PUT_SNAPSHOT,
            &[
                &bigint(s.epoch),
                &s.digest,
                &bigint(s.valid_until),
                &s.body,
                &bigint(s.received_at),
            ],
        )
    }

    fn latest_snapshot(&mut self) -> Result<Option<SnapshotRecord>, StorageError> {
        let row = self.query_opt(sql::LATEST_SNAPSHOT, &[])?;
        row.map(|r| SnapshotRow::read(&r)).transpose()
    }
}
