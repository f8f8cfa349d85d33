//! The publisher's portfolio inputs (statement version 3), in `network.json` and `epoch.json`:
//! per asset the implied volatility, its scenario shocks and the two rates of the statement,
//! and the options listed in the epoch. `zkmargin_prover::risk_table` computes the risk table
//! from them; `snapshot.json` publishes only what the statement reads (the rates, the table
//! and its root: see `risk_table`).
//!
//! ```text
//! "portfolio": {"BTC": {"vol_ppm": 550000, "vol_up_ppm": 500000, "vol_down_ppm": 300000,
//!                       "som_ppm": 5000, "contingency_ppm": 1000, "scan_ppm": 150000}, ...},
//! "instruments": [{"kind": "call", "underlying": "BTC", "strike": "100000",
//!                  "expiry": 1767830400, "iv_ppm": 520000}, ...]
//! ```
//!
//! - `portfolio` has an entry for every asset of the epoch, no more.
//! - `vol_ppm`: the asset's implied volatility (annualised, ppm: 550000 is 55%), used for every
//!   option of the asset that `instruments` does not give its own `iv_ppm`; `0 < vol <= 1e7`
//!   (1000%).
//! - `vol_up_ppm`, `vol_down_ppm`: the scenarios' vol shocks at 30 days (DESIGN.md: the vol is
//!   multiplied by `1 + up (30 / max(T, 1))^p` or `max(0, 1 - down (30 / max(T, 1))^p)`),
//!   each `0..=1e6` (a shock over 100% is refused).
//! - `som_ppm`, `contingency_ppm`: the short-option minimum and the perpetual contingency,
//!   `0..=1e6`.
//! - `scan_ppm` (optional): the scan range `r_a`, `0..=1e6`; required unless the publisher
//!   computes it from a risk model (`--risk`), which then replaces it.
//! - `instruments` (optional): the options listed in the epoch besides those the accounts of a
//!   `network.json` hold, each with its implied vol `iv_ppm` (`0 < iv <= 1e7`). A call or a
//!   put, never a perpetual (every asset's perpetual is always listed); strike as in positions
//!   (a decimal string, USD); an expiry not before `valid_from` and within the last expiry
//!   bucket (no position could be held beyond it); each instrument once.
//!
//! In the parties' flow `epoch.json`'s `instruments` are the whole list: `venue build` refuses
//! an option position on an instrument the epoch does not list, and `publish` tables exactly
//! these and every asset's perpetual.

use zkmargin_circuits::margin::{self, Kind};
use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_circuits::profile::{self, Profile};

use crate::epoch_params::EpochParams;
use crate::input_error::InputError;
use crate::instrument::{instrument_key_entries, read_instrument_key};
use crate::json::{Json, ObjectReader, ValueReader};
use crate::position::{expiry_error, read_kind};

/// The largest implied volatility accepted: 1000% (ppm).
pub const MAX_VOL_PPM: u64 = 10_000_000;

/// The keys the portfolio inputs add to `network.json` and `epoch.json`.
pub const PORTFOLIO_KEYS: [&str; 2] = ["portfolio", "instruments"];

/// One asset's portfolio inputs (ppm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetPortfolio {
    pub vol_ppm: u64,
    pub vol_up_ppm: u64,
    pub vol_down_ppm: u64,
    pub som_ppm: u64,
    pub contingency_ppm: u64,
    /// The scan range, when the file gives it (else a risk model computes it).
    pub scan_ppm: Option<u64>,
}

/// An option listed in the epoch with its implied volatility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListedInstrument {
    pub key: InstrumentKey,
    pub iv_ppm: u64,
}

/// The portfolio inputs of an epoch: `assets[a]` in the epoch's asset order, and the listed
/// options in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortfolioModel {
    pub assets: Vec<AssetPortfolio>,
    pub instruments: Vec<ListedInstrument>,
}

impl PortfolioModel {
    /// Whether a position's instrument is listed: every perpetual is, an option when it is in
    /// `instruments`.
    pub fn lists(&self, key: &InstrumentKey) -> bool {
        key.kind == Kind::Perp || self.instruments.iter().any(|i| i.key == *key)
    }
}

/// Whether a risk table of `rows` instruments fits `profile`'s risk depth; the error names
/// `instruments` in `file`.
pub fn check_table_fits(rows: usize, profile: &Profile, file: &str) -> Result<(), InputError> {
    let capacity = 1usize << profile.risk_depth;
    if rows > capacity {
        return Err(InputError::new(
            file,
            "instruments",
            format!(
                "{rows} instruments (every asset's perpetual and every option listed or held) \
                 do not fit profile {}'s risk table (at most 2^{} = {capacity})",
                profile.name, profile.risk_depth
            ),
        ));
    }
    Ok(())
}

/// [`check_table_fits`] for an epoch, whose table is every asset's perpetual and each listed
/// option.
pub fn check_instruments_fit(
    model: &PortfolioModel,
    params: &EpochParams,
    profile: &Profile,
    file: &str,
) -> Result<(), InputError> {
    check_table_fits(params.assets.len() + model.instruments.len(), profile, file)
}

/// The most instruments any profile's risk table holds: a longer list can never be published.
fn most_instruments() -> usize {
    profile::ALL
        .iter()
        .map(|p| 1usize << p.risk_depth)
        .max()
        .unwrap_or(0)
}

/// An implied volatility: a JSON integer of ppm, `0 < v <= MAX_VOL_PPM`.
fn read_vol(at: &ValueReader) -> Result<u64, InputError> {
    let Json::Int(v) = at.value() else {
        return Err(at.err(format!(
            "expected an integer number of ppm (1 to {MAX_VOL_PPM}), found {}",
            at.value().describe()
        )));
    };
    if *v <= 0 {
        return Err(at.err(format!("{v} ppm: an implied volatility must be positive")));
    }
    if *v > MAX_VOL_PPM as i128 {
        return Err(at.err(format!(
            "{v} ppm is out of range (an implied volatility is at most {MAX_VOL_PPM} ppm, 1000%)"
        )));
    }
    Ok(*v as u64)
}

/// A vol shock: a rate of ppm, with a reason that names the 100% bound.
fn read_shock(at: &ValueReader) -> Result<u64, InputError> {
    at.ppm().map_err(|e| {
        at.err(format!(
            "{} (a vol shock is at most 100% = 1000000 ppm)",
            e.reason
        ))
    })
}

fn read_asset(at: &ValueReader) -> Result<AssetPortfolio, InputError> {
    let obj = at.object()?;
    obj.only(&[
        "vol_ppm",
        "vol_up_ppm",
        "vol_down_ppm",
        "som_ppm",
        "contingency_ppm",
        "scan_ppm",
    ])?;
    Ok(AssetPortfolio {
        vol_ppm: read_vol(&obj.req("vol_ppm")?)?,
        vol_up_ppm: read_shock(&obj.req("vol_up_ppm")?)?,
        vol_down_ppm: read_shock(&obj.req("vol_down_ppm")?)?,
        som_ppm: obj.req("som_ppm")?.ppm()?,
        contingency_ppm: obj.req("contingency_ppm")?.ppm()?,
        scan_ppm: obj.opt("scan_ppm").map(|at| at.ppm()).transpose()?,
    })
}

fn read_instrument(at: &ValueReader, params: &EpochParams) -> Result<ListedInstrument, InputError> {
    let obj = at.object()?;
    let symbols: Vec<&str> = params.assets.iter().map(|a| a.symbol.as_str()).collect();
    let kind_at = obj.req("kind")?;
    if read_kind(&kind_at)? == Kind::Perp {
        return Err(kind_at.err("a perpetual is listed for every asset already: list options only"));
    }
    let key = read_instrument_key(&obj, &symbols, &["iv_ppm"])?;
    let expiry_at = obj.req("expiry")?;
    let risk = params.risk_params();
    margin::bucket_index(&risk, key.expiry).map_err(|e| expiry_error(&expiry_at, e, &risk))?;
    Ok(ListedInstrument {
        key,
        iv_ppm: read_vol(&obj.req("iv_ppm")?)?,
    })
}

/// Reads `portfolio` (required) and `instruments` (optional) from the top-level object of
/// `network.json` or `epoch.json`, against the epoch parameters already read.
pub fn read_portfolio(
    top: &ObjectReader,
    params: &EpochParams,
) -> Result<PortfolioModel, InputError> {
    let symbols: Vec<&str> = params.assets.iter().map(|a| a.symbol.as_str()).collect();
    let assets = top
        .req("portfolio")?
        .keyed(
            &symbols,
            "asset",
            "missing: every asset needs its portfolio inputs (vol_ppm, vol_up_ppm, \
             vol_down_ppm, som_ppm, contingency_ppm)",
        )?
        .iter()
        .map(read_asset)
        .collect::<Result<Vec<_>, _>>()?;
    let mut instruments: Vec<ListedInstrument> = Vec::new();
    if let Some(at) = top.opt("instruments") {
        let items = at.items()?;
        let most = most_instruments();
        if items.len() > most {
            return Err(at.err(format!(
                "{} instruments: no profile's risk table holds more than {most}",
                items.len()
            )));
        }
        for item in items {
            let listed = read_instrument(&item, params)?;
            if let Some(j) = instruments.iter().position(|i| i.key == listed.key) {
                return Err(item.err(format!(
                    "lists the instrument of instruments[{j}] again (kind, underlying, strike \
                     and expiry are the same)"
                )));
            }
            instruments.push(listed);
        }
    }
    Ok(PortfolioModel {
        assets,
        instruments,
    })
}

/// The portfolio inputs as JSON entries (`instruments` only when there are some), in the
/// files' order.
pub fn portfolio_entries(model: &PortfolioModel, params: &EpochParams) -> Vec<(String, Json)> {
    let symbols: Vec<&str> = params.assets.iter().map(|a| a.symbol.as_str()).collect();
    let assets = Json::object(symbols.iter().zip(&model.assets).map(|(symbol, a)| {
        let mut entries = vec![
            ("vol_ppm", Json::uint(a.vol_ppm)),
            ("vol_up_ppm", Json::uint(a.vol_up_ppm)),
            ("vol_down_ppm", Json::uint(a.vol_down_ppm)),
            ("som_ppm", Json::uint(a.som_ppm)),
            ("contingency_ppm", Json::uint(a.contingency_ppm)),
        ];
        if let Some(scan) = a.scan_ppm {
            entries.push(("scan_ppm", Json::uint(scan)));
        }
        (symbol.to_string(), Json::object(entries))
    }));
    let mut out = vec![("portfolio".to_string(), assets)];
    if !model.instruments.is_empty() {
        out.push((
            "instruments".to_string(),
            Json::Array(
                model
                    .instruments
                    .iter()
                    .map(|i| {
                        let mut entries = instrument_key_entries(&i.key, &symbols);
                        entries.push(("iv_ppm".to_string(), Json::uint(i.iv_ppm)));
                        Json::Object(entries)
                    })
                    .collect(),
            ),
        ));
    }
    out
}
