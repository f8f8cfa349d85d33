//! The shared backend: PostgreSQL, for several gateway processes or venues on one ledger.
//!
//! Transactions run at READ COMMITTED with row locks: the line a charge spends is read with
//! `FOR UPDATE`, so two processes charging one line queue on that row, and the second reads
//! the first's committed `spent`. Races that a lock cannot order (two processes inserting the
//! same order id or nullifier at once) end in a unique violation; those, serialization
//! failures and deadlocks are conflicts, and the whole transaction is run again, where the
//! winner's row is then seen. Commits wait for the server's WAL flush (the server's
//! `synchronous_commit`, on by default), so an acknowledged charge is durable.

use std::collections::HashMap;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement, Transaction};

use super::rows::{LineRow, OrderRow, SnapshotRow};
use super::schema::{statements, MIGRATIONS, MIGRATIONS_TABLE};
use super::{bigint, money_text, sql};
use super::{
    LedgerTx, LineRecord, LineState, OrderRecord, SnapshotRecord, StorageError, Store, Work,
};

/// Attempts of one transaction before a conflict is reported as a failure.
const ATTEMPTS: u32 = 20;
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
    let applied: i64 = tx.query_one(sql::APPLIED_VERSION, &[]).map_err(db)?.get(0);
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
        sql::FIND_ORDER,
        sql::INSERT_ORDER,
        sql::LINE_FOR_TAG_LOCKED,
        sql::FIND_LINE,
        sql::SET_SPENT,
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

impl Store for PgStore {
    fn transaction(&mut self, work: &mut Work) -> Result<(), StorageError> {
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            if self.client.is_closed() {
                self.reconnect()?;
            }
            let result = (|| {
                let mut tx = self.client.transaction().map_err(db)?;
                work(&mut PgTx {
                    tx: &mut tx,
                    statements: &self.statements,
                })?;
                tx.commit().map_err(db)
            })();
            match result {
                Err(StorageError::Conflict(reason)) => {
                    // Back off a little, growing, so that the contenders spread out.
                    std::thread::sleep(Duration::from_micros(200 << attempt.min(6)));
                    last = Some(reason);
                }
                other => return other,
            }
        }
        Err(StorageError::Database(format!(
            "gave up after {ATTEMPTS} conflicting attempts: {}",
            last.unwrap_or_default()
        )))
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
    fn statement(&self, sql: &'static str) -> Result<&Statement, StorageError> {
        self.statements
            .get(sql)
            .ok_or_else(|| StorageError::Database(format!("statement not prepared: {sql}")))
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StorageError> {
        let statement = self.statement(sql)?.clone();
        self.tx.query_opt(&statement, values).map_err(db)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<(), StorageError> {
        let statement = self.statement(sql)?.clone();
        self.tx.execute(&statement, values).map_err(db)?;
        Ok(())
    }

    fn line(
        &mut self,
        sql: &'static str,
        venue: &str,
        key: &str,
    ) -> Result<Option<LineState>, StorageError> {
        let row = self.query_opt(sql, &[&venue, &key])?;
        row.map(|r| {
            LineRow {
                nullifier: r.get(0),
                certificate: r.get(1),
                epoch: r.get(2),
                level_ppm: r.get(3),
                allowance: r.get(4),
                valid_until: r.get(5),
                spent: r.get(6),
                tag: r.get(7),
            }
            .into_state(venue)
        })
        .transpose()
    }
}

impl LedgerTx for PgTx<'_, '_> {
    fn find_order(&mut self, venue: &str, id: &str) -> Result<Option<OrderRecord>, StorageError> {
        let row = self.query_opt(sql::FIND_ORDER, &[&venue, &id])?;
        row.map(|r| {
            OrderRow {
                tag: r.get(0),
                request: r.get(1),
                nullifier: r.get(2),
                charge: r.get(3),
                accepted: r.get(4),
                remaining: r.get(5),
                reason: r.get(6),
                answered_at: r.get(7),
            }
            .into_record(venue, id)
        })
        .transpose()
    }

    fn insert_order(&mut self, o: &OrderRecord) -> Result<(), StorageError> {
        self.execute(
            sql::INSERT_ORDER,
            &[
                &o.venue,
                &o.id,
                &o.tag,
                &o.request,
                &o.nullifier,
                &money_text(o.charge),
                &(o.accepted as i64),
                &money_text(o.remaining),
                &o.reason,
                &bigint(o.answered_at),
            ],
        )
    }

    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError> {
        self.line(sql::LINE_FOR_TAG_LOCKED, venue, tag)
    }

    fn set_spent(&mut self, venue: &str, nullifier: &str, spent: u128) -> Result<(), StorageError> {
        self.execute(sql::SET_SPENT, &[&venue, &nullifier, &money_text(spent)])
    }

    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .query_opt(sql::NULLIFIER_HOLDER, &[&nullifier])?
            .map(|r| r.get(0)))
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
        self.line(sql::FIND_LINE, venue, nullifier)
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
        row.map(|r| {
            SnapshotRow {
                epoch: r.get(0),
                digest: r.get(1),
                valid_until: r.get(2),
                body: r.get(3),
                received_at: r.get(4),
            }
            .into_record()
        })
        .transpose()
    }
}
