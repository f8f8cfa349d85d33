//! `DIR/tree.db`: one vault's or venue's tree between epochs, in SQLite (the `rusqlite` crate
//! with its bundled library, as the gateway's ledger).
//!
//! | table | row | holds |
//! |---|---|---|
//! | `meta` | `format`, `root`, `registry`, `present` | `zkmargin.tree-store/1`, the root file of the epoch the store holds (epoch, profile, kind, name, id, assets, accounts, root), the BLAKE2b-256 of the registry file it was built from (hex), and how many accounts have a nonzero leaf |
//! | `account` | one per registered account, by `idx` | `name` (unique), `key`, `holding` (`holding_bytes`), `salt`, `leaf` |
//! | `node` | one per non-empty node at heights `1..depth` | `id = height 2^40 + position`, `value` |
//! | `digest` | one per page of 4096 indices | the 32-byte digests (`holding_bytes::digest`) of the page's accounts, zeros where none |
//!
//! Leaves are the `account` rows' `leaf`; the root is the meta's. A node that equals the empty
//! root of its height has no row. The digest pages let a build find what changed by reading
//! 32 bytes an account, not its row.
//!
//! The store is private (holdings and salts): created with mode 0600 (SQLite gives its journal
//! files the database's mode). A first build writes a new file beside the store and renames it
//! into place once complete; a later build changes the store in one transaction (write-ahead
//! log, synchronous), so a crash leaves the previous epoch's store whole, and readers (an
//! opening, the gateway) see one epoch or the other, never a mix.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ff::PrimeField;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use zkmargin_circuits::hash::Fp;
use zkmargin_formats::hex::{digest_from_hex, digest_to_hex};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::root::{read_root, write_root, RootFile};

/// The store's file inside a tree's directory.
pub const STORE_FILE: &str = "tree.db";
/// The `format` row of `meta`.
pub const STORE_FORMAT: &str = "zkmargin.tree-store/1";
/// Accounts per digest page.
pub const DIGESTS_PER_PAGE: u64 = 4096;
/// Bytes of one digest.
pub const DIGEST_BYTES: usize = 32;
/// Positions take the low 40 bits of a node's id: trees up to depth 40.
pub const MAX_DEPTH: usize = 40;

const SCHEMA: &str = "
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE account (idx INTEGER PRIMARY KEY, name TEXT NOT NULL, key BLOB NOT NULL,
                          holding BLOB NOT NULL, salt BLOB NOT NULL, leaf BLOB NOT NULL);
    CREATE TABLE node (id INTEGER PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE digest (page INTEGER PRIMARY KEY, digests BLOB NOT NULL);
";
/// Made after a first build's rows are in, which sorts the names once.
const NAME_INDEX: &str = "CREATE UNIQUE INDEX account_name ON account(name)";

/// One account's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub idx: u64,
    pub name: String,
    pub key: Fp,
    /// `holding_bytes::encode` of what the tree commits for the account.
    pub holding: Vec<u8>,
    pub salt: Fp,
    pub leaf: Fp,
}

/// An open store; every error names its file (`DIR/tree.db`).
pub struct Store {
    conn: Connection,
    label: String,
}

/// The digest a store keeps of the registry file its epoch was built from: BLAKE2b-256 of the
/// file's bytes (any change to the file, even its spacing, counts as another registry).
pub fn registry_digest(registry_file_bytes: &[u8]) -> [u8; 32] {
    blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkmargin.reg/1\0\0")
        .hash(registry_file_bytes)
        .as_bytes()
        .try_into()
        .expect("a 32-byte digest")
}

/// The store's path in `dir`.
pub fn store_path(dir: &Path) -> PathBuf {
    dir.join(STORE_FILE)
}

fn node_id(height: usize, position: u64) -> i64 {
    debug_assert!(height <= MAX_DEPTH && position >> MAX_DEPTH == 0);
    ((height as i64) << MAX_DEPTH) | position as i64
}

impl Store {
    fn error(&self, field: &str, reason: impl Into<String>) -> InputError {
        InputError::new(&self.label, field, reason)
    }

    /// A SQLite failure: the store cannot be read or written.
    fn sql(&self, e: rusqlite::Error) -> InputError {
        sql_error(&self.label, e)
    }

    /// The store does not hold what a build wrote: `what` is the first thing found wrong.
    pub fn damaged(&self, what: &str) -> InputError {
        self.error(
            "(store)",
            format!("the store is damaged: {what} (build the tree again into a new directory)"),
        )
    }

    fn fp(&self, bytes: &[u8], what: &str) -> Result<Fp, InputError> {
        let repr: [u8; 32] = bytes.try_into().map_err(|_| self.damaged(what))?;
        Option::from(Fp::from_repr(repr)).ok_or_else(|| self.damaged(what))
    }

    /// A new, empty store at `path` (which must not exist), mode 0600, written without a
    /// journal: the caller renames it into place once complete.
    pub fn create(path: &Path) -> Result<Store, InputError> {
        let label = path.display().to_string();
        create_private(path).map_err(|e| {
            InputError::new(&label, "(store)", format!("cannot create the store: {e}"))
        })?;
        let conn = Connection::open(path).map_err(|e| sql_error(&label, e))?;
        let store = Store { conn, label };
        store
            .conn
            .execute_batch(&format!(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;
                 BEGIN; {SCHEMA}"
            ))
            .map_err(|e| store.sql(e))?;
        store.set_meta("format", STORE_FORMAT)?;
        Ok(store)
    }

    /// Opens an existing store to read (`write` false) or to build the next epoch into, in one
    /// transaction that holds the store's write lock until `commit` (a second build of the same
    /// store is refused while it runs).
    pub fn open(path: &Path, write: bool) -> Result<Store, InputError> {
        let label = path.display().to_string();
        if !path.is_file() {
            return Err(InputError::new(
                &label,
                "(store)",
                "no tree store here (zkmargin vault build or venue build writes it)",
            ));
        }
        let flags = if write {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| sql_error(&label, e))?;
        let store = Store { conn, label };
        // Readers wait a moment for a build's commit; a second build does not wait.
        let wait = if write { 0 } else { 5_000 };
        store
            .conn
            .busy_timeout(Duration::from_millis(wait))
            .map_err(|e| store.sql(e))?;
        let format = store.meta("format")?;
        if format.as_deref() != Some(STORE_FORMAT) {
            return Err(store.error(
                "format",
                format!(
                    "not a tree store of this version (expected {STORE_FORMAT}, found {})",
                    format.as_deref().unwrap_or("none")
                ),
            ));
        }
        if write {
            store
                .conn
                .execute_batch(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
                     PRAGMA cache_size = -65536; BEGIN IMMEDIATE",
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::DatabaseBusy =>
                    {
                        store.error("(store)", "another build is writing this store")
                    }
                    e => store.sql(e),
                })?;
        }
        Ok(store)
    }

    /// Ends a first build: the name index, the write-ahead log from now on, and every byte on
    /// disk before the caller renames the file into place.
    pub fn finish_new(self) -> Result<(), InputError> {
        self.conn
            .execute_batch(&format!("{NAME_INDEX}; COMMIT; PRAGMA journal_mode = WAL;"))
            .map_err(|e| self.sql(e))?;
        let label = self.label.clone();
        self.conn.close().map_err(|(_, e)| sql_error(&label, e))?;
        std::fs::File::open(&label)
            .and_then(|f| f.sync_all())
            .map_err(|e| InputError::new(&label, "(store)", format!("cannot sync the store: {e}")))
    }

    /// Ends a later build: everything it changed, at once.
    pub fn commit(self) -> Result<(), InputError> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.sql(e))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, InputError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), InputError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [key, value],
            )
            .map(drop)
            .map_err(|e| self.sql(e))
    }

    /// The root file of the epoch the store holds (`None` in a first build before its end).
    pub fn root(&self) -> Result<Option<RootFile>, InputError> {
        match self.meta("root")? {
            None => Ok(None),
            Some(text) => read_root(&text, &self.label)
                .map(Some)
                .map_err(|e| self.damaged(&format!("its root record: {}: {}", e.field, e.reason))),
        }
    }

    pub fn set_root(&self, root: &RootFile) -> Result<(), InputError> {
        self.set_meta("root", &write_root(root))
    }

    /// The BLAKE2b-256 of the registry file the store's epoch was built from (`None` for a
    /// store built before it was recorded): a build of only the changed accounts needs the
    /// same registry, since it reads no other account.
    pub fn registry_digest(&self) -> Result<Option<[u8; 32]>, InputError> {
        match self.meta("registry")? {
            None => Ok(None),
            Some(hex) => digest_from_hex(&hex)
                .map(Some)
                .ok_or_else(|| self.damaged("its registry digest")),
        }
    }

    pub fn set_registry_digest(&self, digest: &[u8; 32]) -> Result<(), InputError> {
        self.set_meta("registry", &digest_to_hex(digest))
    }

    /// How many accounts have a nonzero leaf (kept beside the root by every build; counted
    /// from the rows in a store that predates the count).
    pub fn present_accounts(&self) -> Result<usize, InputError> {
        if let Some(text) = self.meta("present")? {
            return text
                .parse()
                .map_err(|_| self.damaged("its count of accounts with a leaf"));
        }
        let count: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM account WHERE leaf != zeroblob(32)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        usize::try_from(count).map_err(|_| self.damaged("a negative count"))
    }

    pub fn set_present_accounts(&self, present: usize) -> Result<(), InputError> {
        self.set_meta("present", &present.to_string())
    }

    /// One digest page (`DIGESTS_PER_PAGE x 32 bytes`, all zero where the store has none).
    pub fn digest_page(&self, page: u64) -> Result<Vec<u8>, InputError> {
        let digests: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT digests FROM digest WHERE page = ?1")
            .map_err(|e| self.sql(e))?
            .query_row([page as i64], |r| r.get(0))
            .optional()
            .map_err(|e| self.sql(e))?;
        let size = DIGESTS_PER_PAGE as usize * DIGEST_BYTES;
        match digests {
            None => Ok(vec![0; size]),
            Some(d) if d.len() == size => Ok(d),
            Some(_) => Err(self.damaged("a digest page")),
        }
    }

    /// Every digest page: `(page, DIGESTS_PER_PAGE x 32 bytes)`, by page.
    pub fn digest_pages(&self) -> Result<Vec<(u64, Vec<u8>)>, InputError> {
        let mut statement = self
            .conn
            .prepare("SELECT page, digests FROM digest ORDER BY page")
            .map_err(|e| self.sql(e))?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(|e| self.sql(e))?;
        let mut pages = Vec::new();
        for row in rows {
            let (page, digests) = row.map_err(|e| self.sql(e))?;
            if page < 0 || digests.len() != DIGESTS_PER_PAGE as usize * DIGEST_BYTES {
                return Err(self.damaged("a digest page"));
            }
            pages.push((page as u64, digests));
        }
        Ok(pages)
    }

    /// Writes a digest page, or removes it when every digest is zero (no account there).
    pub fn put_digest_page(&self, page: u64, digests: &[u8]) -> Result<(), InputError> {
        let result = if digests.iter().all(|&b| b == 0) {
            self.conn
                .execute("DELETE FROM digest WHERE page = ?1", [page as i64])
        } else {
            self.conn.execute(
                "INSERT OR REPLACE INTO digest (page, digests) VALUES (?1, ?2)",
                params![page as i64, digests],
            )
        };
        result.map(drop).map_err(|e| self.sql(e))
    }

    /// Rewrites the rows whose index keeps its name (the name index untouched); returns the
    /// positions in `rows` of those it could not (a new index, or a name that moved), which
    /// the caller deletes and inserts.
    pub fn update_accounts(&self, rows: &[AccountRow]) -> Result<Vec<usize>, InputError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "UPDATE account SET key = ?3, holding = ?4, salt = ?5, leaf = ?6
                 WHERE idx = ?1 AND name = ?2",
            )
            .map_err(|e| self.sql(e))?;
        let mut not_updated = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let updated = statement
                .execute(row_params(row))
                .map_err(|e| self.sql(e))?;
            if updated == 0 {
                not_updated.push(r);
            }
        }
        Ok(not_updated)
    }

    /// Removes the rows of these indices (absent ones are ignored).
    pub fn delete_accounts(&self, indices: &[u64]) -> Result<(), InputError> {
        let mut statement = self
            .conn
            .prepare_cached("DELETE FROM account WHERE idx = ?1")
            .map_err(|e| self.sql(e))?;
        for &idx in indices {
            statement.execute([idx as i64]).map_err(|e| self.sql(e))?;
        }
        Ok(())
    }

    /// Adds rows (their indices and names must be free).
    pub fn insert_accounts<'a>(
        &self,
        rows: impl IntoIterator<Item = &'a AccountRow>,
    ) -> Result<(), InputError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "INSERT INTO account (idx, name, key, holding, salt, leaf)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.sql(e))?;
        for row in rows {
            statement.execute(row_params(row)).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    self.damaged(&format!(
                        "a second row for index {} or name {}",
                        row.idx, row.name
                    ))
                }
                e => self.sql(e),
            })?;
        }
        Ok(())
    }

    fn account_where(
        &self,
        condition: &str,
        value: &dyn rusqlite::ToSql,
    ) -> Result<Option<AccountRow>, InputError> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT idx, name, key, holding, salt, leaf FROM account WHERE {condition} = ?1"
            ))
            .map_err(|e| self.sql(e))?
            .query_row([value], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                ))
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some((idx, name, key, holding, salt, leaf)) = row else {
            return Ok(None);
        };
        Ok(Some(AccountRow {
            idx: u64::try_from(idx).map_err(|_| self.damaged("a negative index"))?,
            name,
            key: self.fp(&key, "an account key")?,
            holding,
            salt: self.fp(&salt, "a salt")?,
            leaf: self.fp(&leaf, "a leaf")?,
        }))
    }

    /// The row of the account registered as `name` (exactly), if any.
    pub fn account_by_name(&self, name: &str) -> Result<Option<AccountRow>, InputError> {
        self.account_where("name", &name)
    }

    /// The leaves at these indices, in order (0 where no account is registered).
    pub fn leaves(&self, indices: &[u64]) -> Result<Vec<Fp>, InputError> {
        let ids = indices.iter().map(|&idx| idx as i64);
        self.values(
            "SELECT leaf FROM account WHERE idx = ?1",
            ids,
            Fp::from(0),
            "a leaf",
        )
    }

    /// The nodes at `height` (`1..depth`) at these positions, in order (`empty` where none).
    pub fn nodes(
        &self,
        height: usize,
        positions: &[u64],
        empty: Fp,
    ) -> Result<Vec<Fp>, InputError> {
        let ids = positions.iter().map(|&p| node_id(height, p));
        self.values("SELECT value FROM node WHERE id = ?1", ids, empty, "a node")
    }

    /// The field element `query` selects for each id, in order (`absent` where no row).
    fn values(
        &self,
        query: &str,
        ids: impl Iterator<Item = i64>,
        absent: Fp,
        what: &str,
    ) -> Result<Vec<Fp>, InputError> {
        let mut statement = self.conn.prepare_cached(query).map_err(|e| self.sql(e))?;
        ids.map(|id| {
            let bytes: Option<Vec<u8>> = statement
                .query_row([id], |r| r.get(0))
                .optional()
                .map_err(|e| self.sql(e))?;
            bytes.map_or(Ok(absent), |b| self.fp(&b, what))
        })
        .collect()
    }

    /// Writes the nodes of one height (`1..depth`): a node equal to `empty` loses its row.
    pub fn put_nodes(
        &self,
        height: usize,
        nodes: &[(u64, Fp)],
        empty: Fp,
    ) -> Result<(), InputError> {
        let mut put = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO node (id, value) VALUES (?1, ?2)")
            .map_err(|e| self.sql(e))?;
        let mut delete = self
            .conn
            .prepare_cached("DELETE FROM node WHERE id = ?1")
            .map_err(|e| self.sql(e))?;
        for &(p, value) in nodes {
            let id = node_id(height, p);
            if value == empty {
                delete.execute([id])
            } else {
                put.execute(params![id, &value.to_repr()[..]])
            }
            .map_err(|e| self.sql(e))?;
        }
        Ok(())
    }
}

/// A row's columns in the order of the statements' parameters `?1` to `?6`: idx, name, key,
/// holding, salt, leaf.
fn row_params(row: &AccountRow) -> (i64, &str, [u8; 32], &[u8], [u8; 32], [u8; 32]) {
    (
        row.idx as i64,
        &row.name,
        row.key.to_repr(),
        &row.holding,
        row.salt.to_repr(),
        row.leaf.to_repr(),
    )
}

fn sql_error(label: &str, e: rusqlite::Error) -> InputError {
    InputError::new(label, "(store)", format!("cannot use the store: {e}"))
}

/// Creates an empty file with mode 0600 (not readable by others, not even for a moment).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}
