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
use zkmargin_circuits::units::{PRICE_BITS, PRICE_DECIMALS, TIME_BITS};

use crate::decimal::format_scaled;
use crate::epoch_params::EpochParams;
use crate::input_error::InputError;
use crate::json::{Json, ObjectReader, ValueReader};
use crate::position::{expiry_error, kind_word, read_kind, read_underlying};

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

/// Reads an instrument's key words from `obj`: `kind`, `underlying` (one of `symbols`), and
/// for an option `strike` (a positive decimal string, USD) and `expiry` (unix seconds), which a
/// perpetual must not have; besides these, `obj` may hold only the keys `extra`.
pub fn read_instrument_key(
    obj: &ObjectReader,
    symbols: &[&str],
    extra: &[&str],
) -> Result<InstrumentKey, InputError> {
    let kind = read_kind(&obj.req("kind")?)?;
    let mut keys = vec!["kind", "underlying"];
    if kind.is_option() {
        keys.extend(["strike", "expiry"]);
    } else if let Some(key) = ["strike", "expiry"].into_iter().find(|k| obj.has(k)) {
        return Err(obj.err(key, "a perpetual has no strike and no expiry"));
    }
    keys.extend(extra);
    obj.only(&keys)?;
    let underlying = read_underlying(&obj.req("underlying")?, symbols)?;
    let (strike, expiry) = if kind.is_option() {
        let strike_at = obj.req("strike")?;
        let strike = strike_at.decimal(PRICE_DECIMALS, PRICE_BITS)?;
        if strike == 0 {
            return Err(strike_at.err("must be positive"));
        }
        (strike, obj.req("expiry")?.uint(TIME_BITS)?)
    } else {
        (0, 0)
    };
    Ok(InstrumentKey {
        underlying,
        kind,
        expiry,
        strike,
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

/// The key words of an option in the files: `kind`, `underlying`, `strike`, `expiry`.
pub fn instrument_key_entries(key: &InstrumentKey, symbols: &[&str]) -> Vec<(String, Json)> {
    let mut entries = vec![
        ("kind".to_string(), Json::str(kind_word(key.kind))),
        (
            "underlying".to_string(),
            Json::str(symbols.get(key.underlying).copied().unwrap_or("?")),
        ),
    ];
    if key.kind.is_option() {
        entries.push((
            "strike".to_string(),
            Json::str(format_scaled(key.strike as i128, PRICE_DECIMALS)),
        ));
        entries.push(("expiry".to_string(), Json::uint(key.expiry)));
    }
    entries
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epoch::{read_epoch, write_epoch};
    use crate::network::read_network;
    use serde_json::{json, Value};

    const DESIGN_EXAMPLE: &str = include_str!("../../examples/design.network.json");
    const EPOCH_EXAMPLE: &str = include_str!("../../examples/parties/epoch.json");

    #[test]
    fn reads_the_examples_and_round_trips() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let btc = &network.portfolio.assets[0];
        assert_eq!(
            (btc.vol_ppm, btc.vol_up_ppm, btc.vol_down_ppm),
            (550_000, 500_000, 250_000)
        );
        assert_eq!(
            (btc.som_ppm, btc.contingency_ppm, btc.scan_ppm),
            (5_000, 1_000, Some(100_000))
        );
        assert!(network.portfolio.instruments.is_empty());
        let epoch = read_epoch(EPOCH_EXAMPLE, "epoch.json").unwrap();
        let call = InstrumentKey {
            underlying: 0,
            kind: Kind::Call,
            expiry: 1_767_312_000,
            strike: 10_000_000_000_000,
        };
        assert_eq!(
            epoch.portfolio.instruments,
            vec![ListedInstrument {
                key: call,
                iv_ppm: 550_000
            }]
        );
        assert!(epoch.portfolio.lists(&call));
        assert!(epoch.portfolio.lists(&InstrumentKey::perp(1)));
        assert!(!epoch.portfolio.lists(&InstrumentKey {
            kind: Kind::Put,
            ..call
        }));
        // Writing is exact: the epoch reads back the same, scan_ppm left out when absent.
        assert_eq!(
            read_epoch(&write_epoch(&epoch), "e.json"),
            Ok(epoch.clone())
        );
        let mut open = epoch.clone();
        open.portfolio.assets[1].scan_ppm = None;
        open.portfolio.instruments.clear();
        let text = write_epoch(&open);
        assert!(!text.contains("instruments"));
        assert_eq!(read_epoch(&text, "e.json"), Ok(open));
    }

    /// Applies `mutate` to DESIGN.md's example network and expects an error at `field`.
    fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
        let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        mutate(&mut value);
        let e = read_network(&value.to_string(), "net.json").expect_err(field);
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("net.json", field),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'));
        e
    }

    fn option(strike: &str, expiry: u64) -> Value {
        json!({"kind": "put", "underlying": "BTC", "strike": strike, "expiry": expiry,
               "iv_ppm": 600_000})
    }

    #[test]
    fn refuses_bad_portfolio_inputs() {
        refused(
            |v| {
                v.as_object_mut().unwrap().remove("portfolio");
            },
            "portfolio",
        );
        let e = refused(
            |v| {
                v["portfolio"].as_object_mut().unwrap().remove("USDC");
            },
            "portfolio.USDC",
        );
        assert!(e.reason.starts_with("missing"), "{e}");
        refused(
            |v| v["portfolio"]["SOL"] = v["portfolio"]["BTC"].clone(),
            "portfolio.SOL",
        );
        refused(
            |v| v["portfolio"]["BTC"]["beta"] = json!(1),
            "portfolio.BTC.beta",
        );
        let e = refused(
            |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(0),
            "portfolio.BTC.vol_ppm",
        );
        assert!(e.reason.contains("must be positive"), "{e}");
        refused(
            |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(-550_000),
            "portfolio.BTC.vol_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["vol_ppm"] = json!("0.55"),
            "portfolio.BTC.vol_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(10_000_001),
            "portfolio.BTC.vol_ppm",
        );
        let e = refused(
            |v| v["portfolio"]["BTC"]["vol_up_ppm"] = json!(1_000_001),
            "portfolio.BTC.vol_up_ppm",
        );
        assert!(e.reason.contains("a vol shock is at most 100%"), "{e}");
        refused(
            |v| v["portfolio"]["BTC"]["vol_down_ppm"] = json!(2_000_000),
            "portfolio.BTC.vol_down_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["vol_down_ppm"] = json!(-1),
            "portfolio.BTC.vol_down_ppm",
        );
        refused(
            |v| {
                v["portfolio"]["BTC"]
                    .as_object_mut()
                    .unwrap()
                    .remove("contingency_ppm");
            },
            "portfolio.BTC.contingency_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["som_ppm"] = json!(1_000_001),
            "portfolio.BTC.som_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["scan_ppm"] = json!(1.5),
            "portfolio.BTC.scan_ppm",
        );

        refused(|v| v["instruments"] = json!({}), "instruments");
        let e = refused(
            |v| v["instruments"] = json!([option("90000", 1_767_225_599)]),
            "instruments[0].expiry",
        );
        assert!(e.reason.contains("before the epoch starts"), "{e}");
        let e = refused(
            |v| v["instruments"] = json!([option("90000", 1_767_225_600 + 31_536_001)]),
            "instruments[0].expiry",
        );
        assert!(e.reason.contains("beyond the last expiry bucket"), "{e}");
        let e = refused(
            |v| {
                v["instruments"] = json!([
                    option("90000", 1_767_312_000),
                    option("90000", 1_767_312_000)
                ])
            },
            "instruments[1]",
        );
        assert!(e.reason.contains("instruments[0] again"), "{e}");
        refused(
            |v| v["instruments"] = json!([option("0", 1_767_312_000)]),
            "instruments[0].strike",
        );
        refused(
            |v| v["instruments"] = json!([option("9.123456789", 1_767_312_000)]),
            "instruments[0].strike",
        );
        let mut perp = option("90000", 1_767_312_000);
        perp["kind"] = json!("perp");
        let e = refused(|v| v["instruments"] = json!([perp]), "instruments[0].kind");
        assert!(e.reason.contains("listed for every asset"), "{e}");
        let mut doge = option("90000", 1_767_312_000);
        doge["underlying"] = json!("DOGE");
        refused(
            |v| v["instruments"] = json!([doge]),
            "instruments[0].underlying",
        );
        let mut no_iv = option("90000", 1_767_312_000);
        no_iv.as_object_mut().unwrap().remove("iv_ppm");
        refused(
            |v| v["instruments"] = json!([no_iv]),
            "instruments[0].iv_ppm",
        );
        let mut zero_iv = option("90000", 1_767_312_000);
        zero_iv["iv_ppm"] = json!(0);
        refused(
            |v| v["instruments"] = json!([zero_iv]),
            "instruments[0].iv_ppm",
        );
        let e = refused(
            |v| v["instruments"] = Value::Array(vec![option("90000", 1_767_312_000); 4097]),
            "instruments",
        );
        assert!(
            e.reason
                .contains("no profile's risk table holds more than 4096"),
            "{e}"
        );
    }

    #[test]
    fn an_epoch_lists_what_its_profile_tables() {
        let mut value: Value = serde_json::from_str(EPOCH_EXAMPLE).unwrap();
        // Small tables 256 rows: 2 perpetuals and 255 options are one too many.
        value["instruments"] = Value::Array(
            (1..=255)
                .map(|i| option(&format!("{}", 1000 * i), 1_767_312_000))
                .collect(),
        );
        let e = read_epoch(&value.to_string(), "epoch.json").unwrap_err();
        assert_eq!(e.field, "instruments");
        assert!(e.reason.contains("257 instruments"), "{e}");
        value["instruments"].as_array_mut().unwrap().pop();
        read_epoch(&value.to_string(), "epoch.json").unwrap();
    }
}
