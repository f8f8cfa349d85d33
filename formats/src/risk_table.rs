//! The snapshot's portfolio section (statement version 3): per asset the rates the statement
//! reads, the publisher's risk table, and its root.
//!
//! ```text
//! "portfolio": {"BTC": {"scan_ppm": 150000, "som_ppm": 5000, "contingency_ppm": 1000}, ...},
//! "risk_table": [
//!   {"kind": "perp", "underlying": "BTC", "mark_pusd": "0", "vector_pusd": ["...", ...]},
//!   {"kind": "call", "underlying": "BTC", "strike": "100000", "expiry": 1767830400,
//!    "mark_pusd": "4215733512000000", "vector_pusd": ["...", ... 16 in all]}, ...],
//! "roots": {"chains": ..., "venues": ..., "risk_table": "0x..."}
//! ```
//!
//! - `portfolio`: one entry per asset, in any order, each with exactly `scan_ppm` (the scan
//!   range the vectors were computed with), `som_ppm` and `contingency_ppm`, `0..=1e6`. (The
//!   publisher's inputs behind them, the vols and their shocks, are in `network.json` and
//!   `epoch.json`, `portfolio`; the snapshot carries only what its digest covers.)
//! - `risk_table`: the rows in leaf order (keys strictly increasing by underlying, kind,
//!   expiry, strike: `RiskTable::check`), as DESIGN.md writes them: `kind` (`perp`, `call`,
//!   `put`), `underlying` (the asset's symbol), for an option `strike` (a decimal string, USD)
//!   and `expiry` (unix seconds), `mark_pusd` (a whole number of pUSD as a decimal string,
//!   `< 2^62`) and `vector_pusd` (16 such strings, signed, `|v| < 2^62`).
//! - `roots.risk_table`: the root of the table's tree at the profile's `risk_depth`.
//!
//! Reading checks the table (`RiskTable::check` against the profile's risk depth and the
//! listed assets) and that it hashes to the root. That costs one Poseidon hash per row and one
//! per inner node (about 20,000 permutations at 4,096 rows), so a success is remembered in the
//! cache directory (`cache`): a file named by the snapshot's digest holding the BLAKE2b-256 of
//! the table's rows. A later read of the same snapshot with the same rows skips the hashing;
//! any other rows (an altered table under the same digest) are hashed and refused. The cache
//! only ever saves time: a missing, unreadable or unwritable entry means hashing again.

use std::path::{Path, PathBuf};

use zkmargin_circuits::hash::{self, Fp};
use zkmargin_circuits::portfolio::{
    PortfolioRates, RiskRow, RiskTable, RiskTableError, MARK_BITS, SCENARIOS, VECTOR_BITS,
};
use zkmargin_circuits::profile::Profile;

use crate::hex::digest_to_hex;
use crate::input_error::InputError;
use crate::instrument::{instrument_key_entries, read_instrument_key};
use crate::json::{index_path, Json, ValueReader};
use crate::write::write_atomic;

/// The keys of an asset's entry in the snapshot's `portfolio`.
pub const RATE_KEYS: [&str; 3] = ["scan_ppm", "som_ppm", "contingency_ppm"];

/// What a snapshot publishes for the portfolio margin: the rates per asset, the table, and the
/// table's root at the profile's risk depth.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedRisk {
    pub portfolio: Vec<PortfolioRates>,
    pub risk_table: RiskTable,
    pub risk_root: Fp,
}

impl PublishedRisk {
    /// The rates and the table, with the table's root at `depth` computed.
    pub fn new(portfolio: Vec<PortfolioRates>, risk_table: RiskTable, depth: usize) -> Self {
        let risk_root = hash::risk_tree(&risk_table, depth).root();
        PublishedRisk {
            portfolio,
            risk_table,
            risk_root,
        }
    }
}

/// Reads the snapshot's `portfolio`: `{asset: {scan_ppm, som_ppm, contingency_ppm}}` over
/// exactly `symbols`, in their order.
pub fn read_rates(at: &ValueReader, symbols: &[&str]) -> Result<Vec<PortfolioRates>, InputError> {
    at.keyed(
        symbols,
        "asset",
        "missing: every asset needs its scan_ppm, som_ppm and contingency_ppm",
    )?
    .iter()
    .map(|entry| {
        let obj = entry.object()?;
        obj.only(&RATE_KEYS)?;
        Ok(PortfolioRates {
            scan_ppm: obj.req("scan_ppm")?.ppm()?,
            som_ppm: obj.req("som_ppm")?.ppm()?,
            contingency_ppm: obj.req("contingency_ppm")?.ppm()?,
        })
    })
    .collect()
}

/// The rates as the snapshot writes them.
pub fn rates_json(rates: &[PortfolioRates], symbols: &[&str]) -> Json {
    Json::object(symbols.iter().zip(rates).map(|(symbol, r)| {
        (
            symbol.to_string(),
            Json::object([
                ("scan_ppm", Json::uint(r.scan_ppm)),
                ("som_ppm", Json::uint(r.som_ppm)),
                ("contingency_ppm", Json::uint(r.contingency_ppm)),
            ]),
        )
    }))
}

/// A whole number of pUSD (a mark, `signed` false, or a vector entry), below `2^bits`.
fn read_pusd(at: &ValueReader, signed: bool, bits: u32) -> Result<i64, InputError> {
    at.whole(("pUSD", "pUSD"), signed, bits).map(|v| v as i64)
}

fn read_row(at: &ValueReader, symbols: &[&str]) -> Result<RiskRow, InputError> {
    let obj = at.object()?;
    let key = read_instrument_key(&obj, symbols, &["mark_pusd", "vector_pusd"])?;
    let mark = read_pusd(&obj.req("mark_pusd")?, false, MARK_BITS)? as u64;
    let vector_at = obj.req("vector_pusd")?;
    let items = vector_at.items()?;
    if items.len() != SCENARIOS {
        return Err(vector_at.err(format!(
            "{} entries: a vector has one per scenario, {SCENARIOS}",
            items.len()
        )));
    }
    let mut vector = [0i64; SCENARIOS];
    for (v, item) in vector.iter_mut().zip(&items) {
        *v = read_pusd(item, true, VECTOR_BITS)?;
    }
    Ok(RiskRow { key, mark, vector })
}

/// Reads the snapshot's `risk_table` and checks it (`RiskTable::check`) for `profile` and
/// `symbols` (the snapshot's assets). The root is checked separately ([`check_root`]).
pub fn read_risk_table(
    at: &ValueReader,
    symbols: &[&str],
    profile: &Profile,
) -> Result<RiskTable, InputError> {
    let items = at.items()?;
    let capacity = 1usize << profile.risk_depth;
    if items.len() > capacity {
        return Err(at.err(format!(
            "{} rows do not fit profile {} (at most 2^{} = {capacity})",
            items.len(),
            profile.name,
            profile.risk_depth
        )));
    }
    let table = RiskTable {
        rows: items
            .iter()
            .map(|item| read_row(item, symbols))
            .collect::<Result<Vec<_>, _>>()?,
    };
    table
        .check(profile.risk_depth, symbols.len())
        .map_err(|e| match e {
            RiskTableError::BadRow { row, what } => {
                InputError::new(at.file(), index_path(at.path(), row), what)
            }
            RiskTableError::OutOfOrder { row, previous } => InputError::new(
                at.file(),
                index_path(at.path(), row),
                format!(
                    "its key is not after row {previous}'s: rows are in leaf order, keys \
                     strictly increasing by underlying, kind (perp, call, put), expiry, strike"
                ),
            ),
            other => at.err(other.to_string()),
        })?;
    Ok(table)
}

/// The table as the snapshot writes it.
pub fn risk_table_json(table: &RiskTable, symbols: &[&str]) -> Json {
    Json::Array(
        table
            .rows
            .iter()
            .map(|row| {
                let mut entries = instrument_key_entries(&row.key, symbols);
                entries.push(("mark_pusd".into(), Json::str(row.mark.to_string())));
                entries.push((
                    "vector_pusd".into(),
                    Json::Array(
                        row.vector
                            .iter()
                            .map(|v| Json::str(v.to_string()))
                            .collect(),
                    ),
                ));
                Json::Object(entries)
            })
            .collect(),
    )
}

/// BLAKE2b-256 of the table's rows: per row its key fields, mark and vector, 8-byte
/// little-endian each, after the row count. What the cache remembers a checked table by.
pub fn table_hash(table: &RiskTable) -> [u8; 32] {
    let mut state = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkmargin_risktab")
        .to_state();
    state.update(&(table.rows.len() as u64).to_le_bytes());
    for row in &table.rows {
        for field in hash::risk_key_fields(row) {
            state.update(&field.to_le_bytes());
        }
        for v in row.vector {
            state.update(&v.to_le_bytes());
        }
    }
    state.finalize().as_bytes().try_into().expect("32 bytes")
}

/// How [`check_root`] hashes a table: remembering successes in a cache directory, or always.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCheck {
    /// Remember a table that matched its root in this directory (`cache::cache_dir()` by
    /// default), keyed by the snapshot's digest.
    Cached(PathBuf),
    /// Hash every time.
    Always,
}

impl Default for RootCheck {
    fn default() -> Self {
        RootCheck::Cached(crate::cache::cache_dir())
    }
}

/// The cache entry of a snapshot's table.
fn cache_entry(dir: &Path, digest: &[u8; 32]) -> PathBuf {
    dir.join(format!("risk-table-{}.ok", digest_to_hex(digest)))
}

/// Whether the table hashes to `root` at `depth` (`digest` is the snapshot's, which covers
/// the root). Returns `Ok(true)` when a cached check answered, `Ok(false)` when the table was
/// hashed, and `Err(())` when it does not hash to the root.
pub fn check_root(
    table: &RiskTable,
    depth: usize,
    root: &Fp,
    digest: &[u8; 32],
    how: &RootCheck,
) -> Result<bool, ()> {
    let rows = digest_to_hex(&table_hash(table));
    if let RootCheck::Cached(dir) = how {
        let remembered = std::fs::read_to_string(cache_entry(dir, digest)).unwrap_or_default();
        if remembered.trim_end() == rows {
            return Ok(true);
        }
    }
    if hash::risk_tree(table, depth).root() != *root {
        return Err(());
    }
    if let RootCheck::Cached(dir) = how {
        // A cache that cannot be written costs the hashing again next time, nothing more.
        let _ = std::fs::create_dir_all(dir).and_then(|()| {
            write_atomic(
                &cache_entry(dir, digest),
                format!("{rows}\n").as_bytes(),
                None,
            )
        });
    }
    Ok(false)
}
