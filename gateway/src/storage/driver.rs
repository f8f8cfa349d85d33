//! One ledger over two small drivers. A backend's driver only binds parameters, runs a
//! statement and hands back its rows ([`Driver`]); every row operation of [`LedgerTx`] is
//! written once here, over any driver ([`Tx`]), with the SQL of `sql`, the rows of `rows` and
//! the migrations of `schema`.
//!
//! The one difference kept between the databases is the shape of a batch: a driver that binds
//! arrays ([`Driver::ARRAYS`], PostgreSQL, where a statement is a round trip) runs one
//! statement per kind of row (`= ANY($n)`, `UNNEST` of one array per column); the other
//! (SQLite, where a statement is a function call) runs the single-row form once per row. Both
//! are built from the same rows of parameters ([`Tx::write_rows`], [`Tx::read_rows`]).

use super::rows::{
    line_state, read_use, text, Cells, FillRow, FillValues, FreezeRow, LineRow, OrderRow,
    OrderValues, SnapshotRow,
};
use super::schema::{statements, MIGRATIONS, MIGRATIONS_TABLE};
use super::{bigint, money_text, sql};
use super::{
    FillRecord, FreezeRecord, LedgerTx, LineRecord, LineState, LineUse, OrderRecord,
    SnapshotRecord, StorageError,
};

/// A statement's parameter, as both drivers bind it (`None` is NULL).
#[derive(Clone, Debug)]
pub enum Param<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    /// A column of a batch, for `UNNEST($n::text[])` or `= ANY($n)` (array drivers only).
    Texts(Vec<Option<&'a str>>),
    /// A column of a batch, for `UNNEST($n::bigint[])` (array drivers only).
    Ints(Vec<Option<i64>>),
}

fn t(value: &str) -> Param<'_> {
    Param::Text(Some(value))
}

fn opt(value: &Option<String>) -> Param<'_> {
    Param::Text(value.as_deref())
}

fn int(value: u64) -> Param<'static> {
    Param::Int(Some(bigint(value)))
}

/// What a query hands each row to.
pub type OnRow<'r> = dyn FnMut(&dyn Cells) -> Result<(), StorageError> + 'r;

/// One backend's statements, in the transaction the backend opened.
pub trait Driver {
    /// Whether the driver binds array parameters (then batches run one statement each).
    const ARRAYS: bool;
    /// Runs a statement of `sql` (PostgreSQL's `$n` parameters) with `params`.
    fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<(), StorageError>;
    /// Runs a query, handing each row to `row`.
    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param],
        row: &mut OnRow,
    ) -> Result<(), StorageError>;
    /// Runs one schema statement (no parameters, not prepared).
    fn script(&mut self, sql: &str) -> Result<(), StorageError>;
}

/// A driver lent to a transaction is a driver.
impl<D: Driver> Driver for &mut D {
    const ARRAYS: bool = D::ARRAYS;

    fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<(), StorageError> {
        (**self).execute(sql, params)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param],
        row: &mut OnRow,
    ) -> Result<(), StorageError> {
        (**self).query(sql, params, row)
    }

    fn script(&mut self, sql: &str) -> Result<(), StorageError> {
        (**self).script(sql)
    }
}

/// Applies the migrations not applied yet, in the caller's transaction, which the backend
/// holds alone (PostgreSQL's advisory lock, SQLite's write lock): two processes starting
/// together apply each migration once.
pub fn migrate(driver: &mut impl Driver, now: u64) -> Result<(), StorageError> {
    driver.script(MIGRATIONS_TABLE)?;
    let mut applied = 0;
    driver.query(sql::APPLIED_VERSION, &[], &mut |r| {
        applied = r.int(0)?.unwrap_or(0);
        Ok(())
    })?;
    for (version, migration) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        for statement in statements(migration) {
            driver.script(statement)?;
        }
        let record = [Param::Int(Some(*version)), int(now)];
        driver.execute(sql::RECORD_VERSION, &record)?;
    }
    Ok(())
}

/// The columns of `rows` as arrays, after their first `scalars` parameters (the same in every
/// row, such as the venue), which are bound once.
fn columns<'a>(rows: &[Vec<Param<'a>>], scalars: usize) -> Vec<Param<'a>> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let mut out: Vec<Param<'a>> = first.iter().take(scalars).cloned().collect();
    for (c, param) in first.iter().enumerate().skip(scalars) {
        out.push(match param {
            Param::Int(_) => Param::Ints(
                rows.iter()
                    .map(|r| match r.get(c) {
                        Some(Param::Int(v)) => *v,
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Param::Texts(
                rows.iter()
                    .map(|r| match r.get(c) {
                        Some(Param::Text(v)) => *v,
                        _ => None,
                    })
                    .collect(),
            ),
        });
    }
    out
}

/// A transaction's row operations over a driver: the one [`LedgerTx`] of both backends.
pub struct Tx<D>(pub D);

impl<D: Driver> Tx<D> {
    /// Every row of one query, read by `read`.
    fn rows<T>(
        &mut self,
        sql: &'static str,
        params: &[Param],
        read: impl Fn(&dyn Cells) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let mut out = Vec::new();
        self.0.query(sql, params, &mut |r| {
            out.push(read(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Writes `rows`: `one` once per row, or `many` once with the rows' columns as arrays.
    fn write_rows(
        &mut self,
        (one, many): (&'static str, &'static str),
        rows: &[Vec<Param>],
        scalars: usize,
    ) -> Result<(), StorageError> {
        if rows.is_empty() {
            return Ok(());
        }
        if D::ARRAYS {
            return self.0.execute(many, &columns(rows, scalars));
        }
        rows.iter().try_for_each(|row| self.0.execute(one, row))
    }

    /// Writes `records` at their venue: each turned into its stored values, then into the
    /// parameters of `statements` by `params`.
    fn write_records<'r, R, V: From<&'r R>>(
        &mut self,
        statements: (&'static str, &'static str),
        records: &'r [R],
        venue: fn(&R) -> &str,
        params: for<'a> fn(&'a str, &'a V) -> Vec<Param<'a>>,
    ) -> Result<(), StorageError> {
        let values: Vec<V> = records.iter().map(V::from).collect();
        let rows: Vec<_> = records
            .iter()
            .zip(&values)
            .map(|(record, v)| params(venue(record), v))
            .collect();
        self.write_rows(statements, &rows, 1)
    }

    /// Reads the rows `keys` find: `one` once per key, or `many` once with the keys' columns
    /// as arrays.
    fn read_rows<T>(
        &mut self,
        (one, many): (&'static str, &'static str),
        keys: &[Vec<Param>],
        scalars: usize,
        read: impl Fn(&dyn Cells) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if D::ARRAYS {
            return self.rows(many, &columns(keys, scalars), read);
        }
        let mut out = Vec::new();
        for key in keys {
            out.extend(self.rows(one, key, &read)?);
        }
        Ok(out)
    }

    /// The lines of `keys` (tags or nullifiers) at `venue`.
    fn lines(
        &mut self,
        statements: (&'static str, &'static str),
        venue: &str,
        keys: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        let keys: Vec<_> = keys.iter().map(|k| vec![t(venue), t(k)]).collect();
        self.read_rows(statements, &keys, 1, |r| {
            LineRow::read(r)?.into_record(venue)
        })
    }

    /// What the line of `nullifier` at `venue` holds (unlocked).
    fn line_use(&mut self, venue: &str, nullifier: &str) -> Result<Option<LineUse>, StorageError> {
        let params = [t(venue), t(nullifier)];
        Ok(self.rows(sql::USE_OF, &params, |r| read_use(r, 0))?.pop())
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

/// An order's parameters, in the order of `sql::INSERT_ORDER`.
fn order_params<'a>(venue: &'a str, v: &'a OrderValues) -> Vec<Param<'a>> {
    let mut params = Vec::with_capacity(23);
    params.extend([
        t(venue),
        t(&v.id),
        t(&v.tag),
        t(&v.request),
        opt(&v.nullifier),
        t(&v.charge),
        Param::Int(Some(v.accepted)),
        t(&v.remaining),
        opt(&v.reason),
        Param::Int(Some(v.answered_at)),
        opt(&v.kind),
        opt(&v.symbol),
        opt(&v.side),
        Param::Int(v.strike),
        Param::Int(v.expiry),
        opt(&v.size),
        Param::Int(v.limit),
    ]);
    params.extend(lifecycle(v));
    params
}

/// An order's lifecycle parameters, in the order of `sql::UPDATE_LIFECYCLE`.
fn lifecycle_params<'a>(venue: &'a str, v: &'a OrderValues) -> Vec<Param<'a>> {
    let mut params = vec![t(venue), t(&v.id)];
    params.extend(lifecycle(v));
    params
}

/// The columns of an order that change after it is placed, in the order both statements
/// list them last.
fn lifecycle(v: &OrderValues) -> [Param<'_>; 6] {
    [
        opt(&v.rest),
        opt(&v.reserved),
        opt(&v.filled),
        Param::Int(v.cancelled_at),
        opt(&v.released),
        opt(&v.cancel_remaining),
    ]
}

/// A fill's parameters, in the order of `sql::INSERT_FILL`.
fn fill_params<'a>(venue: &'a str, v: &'a FillValues) -> Vec<Param<'a>> {
    vec![
        t(venue),
        t(&v.order_id),
        t(&v.fill_id),
        t(&v.size),
        Param::Int(Some(v.price)),
        t(&v.charge),
        Param::Int(Some(v.accepted)),
        t(&v.rest),
        t(&v.reserved),
        t(&v.remaining),
        opt(&v.reason),
        Param::Int(Some(v.answered_at)),
    ]
}

impl<D: Driver> LedgerTx for Tx<D> {
    fn find_orders(&mut self, venue: &str, ids: &[&str]) -> Result<Vec<OrderRecord>, StorageError> {
        let keys: Vec<_> = ids.iter().map(|id| vec![t(venue), t(id)]).collect();
        self.read_rows((sql::FIND_ORDER, sql::FIND_ORDERS), &keys, 1, |r| {
            OrderRow::read(r)?.into_record(venue)
        })
    }

    fn insert_orders(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let statements = (sql::INSERT_ORDER, sql::INSERT_ORDERS);
        self.write_records(statements, orders, |o| &o.venue, order_params)
    }

    fn update_lifecycles(&mut self, orders: &[OrderRecord]) -> Result<(), StorageError> {
        let statements = (sql::UPDATE_LIFECYCLE, sql::UPDATE_LIFECYCLES);
        self.write_records(statements, orders, |o| &o.venue, lifecycle_params)
    }

    fn find_fills(
        &mut self,
        venue: &str,
        keys: &[(&str, &str)],
    ) -> Result<Vec<FillRecord>, StorageError> {
        let keys: Vec<_> = keys
            .iter()
            .map(|(order, fill)| vec![t(venue), t(order), t(fill)])
            .collect();
        self.read_rows((sql::FIND_FILL, sql::FIND_FILLS), &keys, 1, |r| {
            FillRow::read(r)?.into_record(venue)
        })
    }

    fn insert_fills(&mut self, fills: &[FillRecord]) -> Result<(), StorageError> {
        let statements = (sql::INSERT_FILL, sql::INSERT_FILLS);
        self.write_records(statements, fills, |f| &f.venue, fill_params)
    }

    fn lines_for_tags(
        &mut self,
        venue: &str,
        tags: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines((sql::LINE_FOR_TAG, sql::LINES_FOR_TAGS), venue, tags)
    }

    fn lines_of(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<LineRecord>, StorageError> {
        self.lines((sql::LINE_OF, sql::LINES_OF), venue, nullifiers)
    }

    fn lock_uses(
        &mut self,
        venue: &str,
        nullifiers: &[&str],
    ) -> Result<Vec<(String, LineUse)>, StorageError> {
        if D::ARRAYS {
            // Row locks, taken in the order of the nullifiers (`sql::LOCK_USES`).
            if nullifiers.is_empty() {
                return Ok(Vec::new());
            }
            let keys = Param::Texts(nullifiers.iter().map(|n| Some(*n)).collect());
            return self.rows(sql::LOCK_USES, &[t(venue), keys], |r| {
                Ok((text(r, 0, "spent nullifier")?, read_use(r, 1)?))
            });
        }
        // SQLite: the transaction already holds the database's write lock.
        let mut uses = Vec::new();
        for nullifier in nullifiers {
            if let Some(used) = self.line_use(venue, nullifier)? {
                uses.push((nullifier.to_string(), used));
            }
        }
        Ok(uses)
    }

    fn set_uses(&mut self, venue: &str, uses: &[(&str, LineUse)]) -> Result<(), StorageError> {
        let amounts: Vec<(String, String)> = uses
            .iter()
            .map(|(_, used)| (money_text(used.spent), money_text(used.filled)))
            .collect();
        let rows: Vec<_> = uses
            .iter()
            .zip(&amounts)
            .map(|((nullifier, _), (spent, filled))| {
                vec![t(venue), t(nullifier), t(spent), t(filled)]
            })
            .collect();
        self.write_rows((sql::SET_USE, sql::SET_USES), &rows, 1)
    }

    fn line_for_tag(&mut self, venue: &str, tag: &str) -> Result<Option<LineState>, StorageError> {
        let line = self.lines_for_tags(venue, &[tag])?;
        self.state(line.into_iter().next())
    }

    fn nullifier_holder(&mut self, nullifier: &str) -> Result<Option<String>, StorageError> {
        let holders = self.rows(sql::NULLIFIER_HOLDER, &[t(nullifier)], |r| {
            text(r, 0, "certificate")
        })?;
        Ok(holders.into_iter().next())
    }

    fn insert_nullifier(
        &mut self,
        nullifier: &str,
        certificate: &str,
        epoch: u64,
        venue: &str,
    ) -> Result<(), StorageError> {
        let params = [t(nullifier), t(certificate), int(epoch), t(venue)];
        self.0.execute(sql::INSERT_NULLIFIER, &params)
    }

    fn find_line(
        &mut self,
        venue: &str,
        nullifier: &str,
    ) -> Result<Option<LineState>, StorageError> {
        let line = self.lines_of(venue, &[nullifier])?;
        self.state(line.into_iter().next())
    }

    fn insert_line(&mut self, l: &LineRecord, admitted_at: u64) -> Result<(), StorageError> {
        let allowance = money_text(l.allowance);
        let params = [
            t(&l.venue),
            t(&l.nullifier),
            t(&l.certificate),
            t(&l.tag),
            int(l.epoch),
            int(l.level_ppm),
            t(&allowance),
            int(l.valid_until),
            int(admitted_at),
        ];
        self.0.execute(sql::INSERT_LINE, &params)?;
        self.0
            .execute(sql::INSERT_SPENT, &[t(&l.venue), t(&l.nullifier)])
    }

    fn frozen(&mut self, nullifiers: &[&str]) -> Result<Vec<FreezeRecord>, StorageError> {
        let keys: Vec<_> = nullifiers.iter().map(|n| vec![t(n)]).collect();
        self.read_rows((sql::FROZEN, sql::FROZEN_ANY), &keys, 0, FreezeRow::read)
    }

    fn freeze(&mut self, f: &FreezeRecord) -> Result<(), StorageError> {
        let params = [t(&f.nullifier), t(&f.venue), t(&f.reason), int(f.frozen_at)];
        self.0.execute(sql::FREEZE, &params)
    }

    fn put_snapshot(&mut self, s: &SnapshotRecord) -> Result<(), StorageError> {
        let params = [
            int(s.epoch),
            t(&s.digest),
            int(s.valid_until),
            t(&s.body),
            int(s.received_at),
        ];
        self.0.execute(sql::PUT_SNAPSHOT, &params)
    }

    fn latest_snapshot(&mut self) -> Result<Option<SnapshotRecord>, StorageError> {
        let latest = self.rows(sql::LATEST_SNAPSHOT, &[], SnapshotRow::read)?;
        Ok(latest.into_iter().next())
    }
}
