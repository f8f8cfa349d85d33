//! The publisher's risk table (statement version 3): for every listed instrument its mark and
//! its profit and loss in DESIGN.md's sixteen scenarios (`portfolio::SCENARIO_GRID`), from the
//! portfolio inputs of `network.json` or `epoch.json` (`zkmargin_formats::portfolio`).
//!
//! **Instruments.** Every asset's perpetual, every option of `instruments` at its own implied
//! vol, and (for `network build`) every option an account holds that `instruments` does not
//! list, at its asset's `vol_ppm` ([`with_held`]). Rows are in key order (underlying, kind,
//! expiry, strike), the table's leaf order.
//!
//! **Scan range.** `r_a` (ppm) is the file's `scan_ppm`, or, when the publisher gives a risk
//! model (`--risk`), the risk model's, over the time a certificate must hold plus the time a
//! liquidation takes ([`scan_from_risk`]):
//!
//! ```text
//! r_a = min(1e6, ceil(1e6 (jump_a + z sigma_a sqrt((valid_until - valid_from + liquidation_seconds_a) / 31536000))))
//! ```
//!
//! computed exactly in integers by `risk::ceil_ppm`, the haircuts' ceiling.
//!
//! **Perpetual.** Mark 0; scenario `s` (`n` thirds of the scan range, cover `c` ppm) is exactly
//! `c P n r_a / 3e8` pUSD (P in e8), rounded half away from zero, in integers.
//!
//! **Option.** Black-76 (`black76`), forward = spot, rate 0, `T` in years of 31,536,000 s from
//! `valid_from`. The mark is the price at the spot `P` and the implied vol `s`; scenario `s`
//! prices it at the spot `P (1 + n r_a / 3e6)` (floored at 0: a move of three scan ranges down
//! with `r_a` above 1/3 would make it negative, and the underlying is then worth nothing) and
//! the vol `s up` or `s down`, or `s` unchanged, with DESIGN.md's shocks: with `D` the days to
//! expiry (`T x 365`) and `p = 0.30` below 30 days, `0.13` from 30 days on,
//!
//! ```text
//! up = 1 + vol_up (30 / max(D, 1))^p,   down = max(0, 1 - vol_down (30 / max(D, 1))^p)
//! ```
//!
//! and the entry is `c / 1e6 x (price - mark)`. Marks and entries are rounded to the nearest
//! pUSD (half away from zero). This is the one place floating point enters the product; its
//! precision is `black76`'s (about 1e-15 of the spot), and it is deterministic: the table is
//! the same on every machine.
//!
//! **Bounds.** Marks and entries must stay below `2^62` pUSD (4.6 million USD per unit). A
//! mark is at most `max(P, K)`, and a search over moneyness 0.02 to 4, `s sqrt(T)` from 1e-6
//! to 1e5 and every scenario (shocks up to 3.77x) finds no entry above `1.54 max(P, K)`: with
//! `P, K < 2^48` e8 (2.8 million USD) every row fits, with 6% to spare
//! (`the_largest_inputs_fit_the_tables_bounds`). [`publish_risk`] still checks the finished
//! table with `RiskTable::check` before publishing it.

use zkmargin_circuits::margin::{Kind, Position};
use zkmargin_circuits::portfolio::{
    InstrumentKey, PortfolioRates, RiskRow, RiskTable, RiskTableError, Scenario, VolShock,
    SCENARIO_GRID,
};
use zkmargin_circuits::profile::Profile;
use zkmargin_formats::epoch_params::EpochParams;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::key_path;
use zkmargin_formats::portfolio::{AssetPortfolio, ListedInstrument, PortfolioModel};
use zkmargin_formats::risk::RiskModel;
use zkmargin_formats::risk_table::PublishedRisk;

use crate::black76;
use crate::risk::{ceil_ppm, SECONDS_PER_YEAR};

/// pUSD in one USD.
const PUSD_PER_USD: f64 = 1e12;
/// e8 in one USD.
const E8_PER_USD: f64 = 1e8;
/// Seconds in a day (the vol shocks' `D`).
const SECONDS_PER_DAY: f64 = 86_400.0;

/// The scan range of `symbol` from a risk model, or the error naming the risk file's missing
/// asset: `min(1e6, ceil(1e6 (jump + z sigma sqrt((valid_until - valid_from + liquidation) /
/// 31536000))))`, exactly.
pub fn scan_from_risk(
    risk: &RiskModel,
    symbol: &str,
    params: &EpochParams,
) -> Result<u64, InputError> {
    let asset = risk
        .assets
        .iter()
        .find(|a| a.symbol == symbol)
        .ok_or_else(|| {
            InputError::new(
                &risk.file,
                key_path("assets", symbol),
                "missing: the epoch's asset needs an entry in the risk model for its scan range",
            )
        })?;
    // Both times are below 2^40: the horizon is below 2^41.
    let horizon = params.valid_until - params.valid_from + asset.liquidation_seconds;
    Ok(ceil_ppm(asset.jump, risk.z as u128 * asset.sigma as u128, horizon).0)
}

/// Replaces every asset's scan range by the risk model's ([`scan_from_risk`]), as `--risk`
/// replaces the haircuts.
pub fn apply_risk_model(
    portfolio: &mut PortfolioModel,
    params: &EpochParams,
    risk: &RiskModel,
) -> Result<(), InputError> {
    for (inputs, asset) in portfolio.assets.iter_mut().zip(&params.assets) {
        inputs.scan_ppm = Some(scan_from_risk(risk, &asset.symbol, params)?);
    }
    Ok(())
}

/// The published rates per asset; a scan range that neither the file nor a risk model gave
/// is an error naming `file`'s `portfolio.<asset>.scan_ppm`.
pub fn portfolio_rates(
    portfolio: &PortfolioModel,
    params: &EpochParams,
    file: &str,
) -> Result<Vec<PortfolioRates>, InputError> {
    portfolio
        .assets
        .iter()
        .zip(&params.assets)
        .map(|(inputs, asset)| {
            let scan_ppm = inputs.scan_ppm.ok_or_else(|| {
                InputError::new(
                    file,
                    format!("{}.scan_ppm", key_path("portfolio", &asset.symbol)),
                    "missing: give the scan range, or compute it from a risk model with --risk",
                )
            })?;
            Ok(PortfolioRates {
                scan_ppm,
                som_ppm: inputs.som_ppm,
                contingency_ppm: inputs.contingency_ppm,
            })
        })
        .collect()
}

/// The portfolio inputs with every option of `held` that `instruments` does not list added,
/// at its asset's `vol_ppm` (what `network build` tables: the accounts' instruments and the
/// listed ones). Positions on assets outside the model are left to the engine to refuse.
pub fn with_held<'p>(
    portfolio: &PortfolioModel,
    held: impl IntoIterator<Item = &'p Position>,
) -> PortfolioModel {
    let mut out = portfolio.clone();
    for position in held {
        let Some(key) = InstrumentKey::of(position) else {
            continue;
        };
        if out.lists(&key) {
            continue;
        }
        if let Some(asset) = portfolio.assets.get(key.underlying) {
            out.instruments.push(ListedInstrument {
                key,
                iv_ppm: asset.vol_ppm,
            });
        }
    }
    out
}

/// The rows an epoch's table has: every asset's perpetual and every listed option.
pub fn table_rows(portfolio: &PortfolioModel, params: &EpochParams) -> usize {
    params.assets.len() + portfolio.instruments.len()
}

/// The vol multiplier of a scenario for an option `seconds` from expiry (DESIGN.md's shocks).
pub fn vol_multiplier(inputs: &AssetPortfolio, shock: VolShock, seconds: u64) -> f64 {
    let days = (seconds as f64 / SECONDS_PER_DAY).max(1.0);
    let power = if days < 30.0 { 0.30 } else { 0.13 };
    let term = libm::pow(30.0 / days, power);
    let fraction = |ppm: u64| ppm as f64 / 1e6;
    match shock {
        VolShock::Unchanged => 1.0,
        VolShock::Up => 1.0 + fraction(inputs.vol_up_ppm) * term,
        VolShock::Down => (1.0 - fraction(inputs.vol_down_ppm) * term).max(0.0),
    }
}

/// `round(x)` half away from zero into an `i64` (saturating: the table's check refuses what
/// does not fit `2^62`).
fn round_pusd(usd: f64) -> i64 {
    libm::round(usd * PUSD_PER_USD) as i64
}

/// A perpetual's scenario entry: `c P n r / 3e8` pUSD, half away from zero, exactly.
/// `c <= 1e6`, `P < 2^48`, `|n| <= 9`, `r <= 1e6`: the product is below `2^111`.
pub fn perp_entry(price: u64, scan_ppm: u64, scenario: &Scenario) -> i64 {
    let n = scenario.cover_ppm as i128 * price as i128 * scenario.thirds as i128 * scan_ppm as i128;
    let d = 300_000_000i128;
    ((n.abs() + d / 2) / d * n.signum()) as i64
}

/// The row of one instrument: `price` is the underlying's (e8), `scan_ppm` its scan range,
/// `iv_ppm` the option's implied vol (unused for a perpetual), `valid_from` the epoch's start.
pub fn risk_row(
    key: InstrumentKey,
    iv_ppm: u64,
    inputs: &AssetPortfolio,
    price: u64,
    scan_ppm: u64,
    valid_from: u64,
) -> RiskRow {
    if key.kind == Kind::Perp {
        return RiskRow {
            key,
            mark: 0,
            vector: SCENARIO_GRID.map(|s| perp_entry(price, scan_ppm, &s)),
        };
    }
    let seconds = key.expiry.saturating_sub(valid_from);
    let years = seconds as f64 / SECONDS_PER_YEAR as f64;
    let spot = price as f64 / E8_PER_USD;
    let strike = key.strike as f64 / E8_PER_USD;
    let vol = iv_ppm as f64 / 1e6;
    let mark = black76::price(key.kind, spot, strike, vol, years);
    let vector = SCENARIO_GRID.map(|s| {
        let moved = (spot * (1.0 + s.thirds as f64 * scan_ppm as f64 / 3e6)).max(0.0);
        let shocked = vol * vol_multiplier(inputs, s.vol, seconds);
        let value = black76::price(key.kind, moved, strike, shocked, years);
        round_pusd((value - mark) * (s.cover_ppm as f64 / 1e6))
    });
    RiskRow {
        key,
        mark: round_pusd(mark).max(0) as u64,
        vector,
    }
}

/// The table of `portfolio`'s instruments and every asset's perpetual, in leaf order, at
/// `rates`' scan ranges.
pub fn build_table(
    portfolio: &PortfolioModel,
    params: &EpochParams,
    rates: &[PortfolioRates],
) -> RiskTable {
    let mut listed: Vec<(InstrumentKey, u64)> = (0..params.assets.len())
        .map(|a| (InstrumentKey::perp(a), 0))
        .chain(portfolio.instruments.iter().map(|i| (i.key, i.iv_ppm)))
        .collect();
    listed.sort_by_key(|(key, _)| *key);
    listed.dedup_by_key(|(key, _)| *key);
    RiskTable {
        rows: listed
            .into_iter()
            .map(|(key, iv)| {
                let a = key.underlying;
                risk_row(
                    key,
                    iv,
                    &portfolio.assets[a],
                    params.assets[a].price,
                    rates[a].scan_ppm,
                    params.valid_from,
                )
            })
            .collect(),
    }
}

/// What the publisher publishes for `profile`: the rates, the table and its root. `file` (the
/// network or epoch file) is named by errors: a missing scan range, a table that does not fit
/// the profile's risk depth, or an entry beyond `2^62` pUSD.
pub fn publish_risk(
    portfolio: &PortfolioModel,
    params: &EpochParams,
    profile: &Profile,
    file: &str,
) -> Result<PublishedRisk, InputError> {
    zkmargin_formats::portfolio::check_table_fits(table_rows(portfolio, params), profile, file)?;
    let rates = portfolio_rates(portfolio, params, file)?;
    let table = build_table(portfolio, params, &rates);
    table
        .check(profile.risk_depth, params.assets.len())
        .map_err(|e| {
            let what = match &e {
                RiskTableError::BadRow { row, what } => {
                    let key = &table.rows[*row].key;
                    format!(
                        "the {} on {} (strike {} e8, expiry {}): {what}",
                        zkmargin_formats::position::kind_word(key.kind),
                        params.assets[key.underlying].symbol,
                        key.strike,
                        key.expiry
                    )
                }
                other => other.to_string(),
            };
            InputError::new(
                file,
                "instruments",
                format!("the risk table cannot be published: {what}"),
            )
        })?;
    Ok(PublishedRisk::new(rates, table, profile.risk_depth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::margin::Side;
    use zkmargin_circuits::portfolio::{MARK_BITS, SCENARIOS};
    use zkmargin_circuits::profile::SMALL;
    use zkmargin_formats::epoch::read_epoch;
    use zkmargin_formats::risk::read_risk;

    const EPOCH: &str = include_str!("../../examples/parties/epoch.json");
    const RISK: &str = include_str!("../../examples/parties/risk.json");
    /// BTC at 97000.5 USD, e8.
    const BTC: u64 = 9_700_050_000_000;

    fn btc_inputs() -> AssetPortfolio {
        AssetPortfolio {
            vol_ppm: 550_000,
            vol_up_ppm: 500_000,
            vol_down_ppm: 250_000,
            som_ppm: 5_000,
            contingency_ppm: 1_000,
            scan_ppm: Some(100_000),
        }
    }

    #[test]
    fn a_perpetuals_vector_is_exact() {
        let row = risk_row(InstrumentKey::perp(0), 0, &btc_inputs(), BTC, 100_000, 0);
        assert_eq!(row.mark, 0);
        // +1/3 of a 10% range: 97000.5 x 0.1 / 3 = 3233.35 USD exactly.
        assert_eq!(row.vector[2], 3_233_350_000_000_000);
        assert_eq!(row.vector[4], -3_233_350_000_000_000);
        // Vol does not move a perpetual: up and down are the same.
        assert_eq!(row.vector[0..2], [0, 0]);
        assert_eq!(row.vector[10], row.vector[11]);
        // -3 ranges at 35%: 0.35 x 97000.5 x 0.3 = 10185.0525 USD.
        assert_eq!(row.vector[15], -10_185_052_500_000_000);
        // Half away from zero: 1 e8 x 150 ppm / 3e8 = 0.5 pUSD -> 1 and -1; 149 ppm -> 0.
        let tiny = |scan| risk_row(InstrumentKey::perp(0), 0, &btc_inputs(), 1, scan, 0);
        assert_eq!((tiny(150).vector[2], tiny(150).vector[4]), (1, -1));
        assert_eq!((tiny(149).vector[2], tiny(149).vector[4]), (0, 0));
        // The largest: 2^48 - 1 e8 at a 100% range, three ranges at 35%: below 2^62.
        let big = risk_row(
            InstrumentKey::perp(0),
            0,
            &btc_inputs(),
            (1 << 48) - 1,
            1_000_000,
            0,
        );
        assert!(big
            .vector
            .iter()
            .all(|v| v.unsigned_abs() >> MARK_BITS == 0));
    }

    #[test]
    fn vol_shocks_follow_design() {
        let inputs = btc_inputs();
        let day = 86_400;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // One day: (30 / 1)^0.30 = 2.774191114672181.
        assert!(close(
            vol_multiplier(&inputs, VolShock::Up, day),
            2.387_095_557_336_090_6
        ));
        assert!(close(
            vol_multiplier(&inputs, VolShock::Down, day),
            0.306_452_221_331_954_7
        ));
        // Below a day counts as one day (max(T, 1)), at expiry too.
        assert_eq!(
            vol_multiplier(&inputs, VolShock::Up, 0),
            vol_multiplier(&inputs, VolShock::Up, day)
        );
        // 90 days: (30 / 90)^0.13 = 0.8669104475782533.
        assert!(close(
            vol_multiplier(&inputs, VolShock::Up, 90 * day),
            1.433_455_223_789_126_7
        ));
        assert!(close(
            vol_multiplier(&inputs, VolShock::Down, 90 * day),
            0.783_272_388_105_436_6
        ));
        // Exactly 30 days: both powers give 1.
        assert!(close(vol_multiplier(&inputs, VolShock::Up, 30 * day), 1.5));
        assert_eq!(vol_multiplier(&inputs, VolShock::Unchanged, day), 1.0);
        // A shock that would take the vol below 0 leaves it at 0.
        let hard = AssetPortfolio {
            vol_down_ppm: 1_000_000,
            ..inputs
        };
        assert_eq!(vol_multiplier(&hard, VolShock::Down, day), 0.0);
    }

    /// A put 30.5 days out against values computed independently (Python's `math.erfc`, the
    /// same formulas): agreement within 1e-3 USD.
    #[test]
    fn an_options_row_matches_an_independent_computation() {
        let seconds = 30 * 86_400 + 43_200;
        let key = InstrumentKey {
            underlying: 0,
            kind: Kind::Put,
            expiry: 1_000 + seconds,
            strike: 9_000_000_000_000,
        };
        let row = risk_row(key, 600_000, &btc_inputs(), BTC, 100_000, 1_000);
        let near = |got: i64, expected: i64| (got - expected).abs() < 1_000_000_000;
        assert!(near(row.mark as i64, 3_552_831_013_360_516), "{}", row.mark);
        for (s, expected) in [
            (10, 356_180_697_482_861),
            (13, 2_522_633_820_851_206),
            (15, 6_595_159_549_515_348),
            (1, -1_420_508_008_611_458),
        ] {
            assert!(near(row.vector[s], expected), "{s}: {}", row.vector[s]);
        }
        // A put gains when the spot falls, whatever the vol, and the extreme is covered at 35%.
        assert!(row.vector[12] > row.vector[4] && row.vector[4] > 0);
    }

    #[test]
    fn a_spot_shocked_below_zero_is_worth_nothing() {
        // A 50% range: three ranges down would be -150%: the spot is 0 and a put is worth its
        // strike, a call nothing.
        let key = |kind| InstrumentKey {
            underlying: 0,
            kind,
            expiry: 86_400,
            strike: 5_000_000_000_000,
        };
        let put = risk_row(key(Kind::Put), 550_000, &btc_inputs(), BTC, 500_000, 0);
        let strike_pusd = 50_000_000_000_000_000i64;
        let expected = (0.35 * (strike_pusd - put.mark as i64) as f64).round() as i64;
        assert!(
            (put.vector[15] - expected).abs() <= 8,
            "{} {expected}",
            put.vector[15]
        );
        let call = risk_row(key(Kind::Call), 550_000, &btc_inputs(), BTC, 500_000, 0);
        let expected = (-0.35 * call.mark as f64).round() as i64;
        assert!((call.vector[15] - expected).abs() <= 8);
        // At expiry (T = 0) the mark is the intrinsic value: 97000.5 - 50000 USD exactly.
        let now = risk_row(
            key(Kind::Call),
            550_000,
            &btc_inputs(),
            BTC,
            100_000,
            86_400,
        );
        assert_eq!(now.mark, 47_000_500_000_000_000);
    }

    #[test]
    fn the_epoch_tables_its_instruments_and_every_perpetual() {
        let epoch = read_epoch(EPOCH, "epoch.json").unwrap();
        let published = publish_risk(
            &epoch.portfolio,
            &epoch.params,
            &epoch.profile,
            "epoch.json",
        )
        .unwrap();
        let keys: Vec<InstrumentKey> = published.risk_table.rows.iter().map(|r| r.key).collect();
        assert_eq!(
            keys,
            vec![
                InstrumentKey::perp(0),
                epoch.portfolio.instruments[0].key,
                InstrumentKey::perp(1)
            ]
        );
        published.risk_table.check(SMALL.risk_depth, 2).unwrap();
        assert_eq!(
            published.risk_root,
            zkmargin_circuits::hash::risk_tree(&published.risk_table, SMALL.risk_depth).root()
        );
        assert_eq!(published.portfolio[0].scan_ppm, 100_000);
        // Deterministic: the same inputs, the same table.
        let again = publish_risk(
            &epoch.portfolio,
            &epoch.params,
            &epoch.profile,
            "epoch.json",
        )
        .unwrap();
        assert_eq!(again, published);
        // The risk model's scan ranges replace the file's: BTC 1.854 sqrt(7200 / Y) =
        // 28013.84 ppm -> 28014; USDC 0.01 + 0.0618 sqrt(4200 / Y) = 10713.20 -> 10714.
        let mut with_model = epoch.portfolio.clone();
        let risk = read_risk(RISK, "risk.json").unwrap();
        apply_risk_model(&mut with_model, &epoch.params, &risk).unwrap();
        let rates = portfolio_rates(&with_model, &epoch.params, "epoch.json").unwrap();
        assert_eq!((rates[0].scan_ppm, rates[1].scan_ppm), (28_014, 10_714));
        let mut partial = risk.clone();
        partial.assets.truncate(1);
        let e = apply_risk_model(&mut with_model, &epoch.params, &partial).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("risk.json", "assets.USDC")
        );
    }

    /// The module's bound at its extreme: spot and strike at `2^48 - 1` e8, a 100% scan range,
    /// the largest vol (1000%) a day from expiry with a 100% shock up (`3.77x`), every
    /// instrument of the kind fits `2^62` pUSD.
    #[test]
    fn the_largest_inputs_fit_the_tables_bounds() {
        let epoch = read_epoch(EPOCH, "epoch.json").unwrap();
        let mut params = epoch.params.clone();
        params.assets[0].price = (1 << 48) - 1;
        let mut wide = epoch.portfolio.clone();
        wide.assets[0] = AssetPortfolio {
            vol_up_ppm: 1_000_000,
            vol_down_ppm: 1_000_000,
            scan_ppm: Some(1_000_000),
            ..wide.assets[0]
        };
        let listed = |kind, strike, expiry| ListedInstrument {
            key: InstrumentKey {
                underlying: 0,
                kind,
                expiry,
                strike,
            },
            iv_ppm: zkmargin_formats::portfolio::MAX_VOL_PPM,
        };
        let day = params.valid_from + 86_400;
        let year = params.valid_from + 31_536_000;
        wide.instruments = vec![
            listed(Kind::Call, (1 << 48) - 1, day),
            listed(Kind::Call, 1, day),
            listed(Kind::Put, (1 << 48) - 1, day),
            listed(Kind::Call, (1 << 48) - 1, year),
        ];
        let published = publish_risk(&wide, &params, &epoch.profile, "epoch.json").unwrap();
        let largest = published
            .risk_table
            .rows
            .iter()
            .flat_map(|r| r.vector.iter().map(|v| v.unsigned_abs()).chain([r.mark]))
            .max()
            .unwrap();
        assert!(largest < 1 << 62, "{largest}");
        // ... and above 2^61: the bound is not loose by a factor of two.
        assert!(largest > 1 << 61, "{largest}");
    }

    #[test]
    fn held_options_are_listed_at_their_assets_vol() {
        let epoch = read_epoch(EPOCH, "epoch.json").unwrap();
        let listed = epoch.portfolio.instruments[0].key;
        let held = |strike| Position {
            kind: Kind::Put,
            underlying: 0,
            side: Side::Short,
            size: 1,
            price: strike,
            expiry: listed.expiry,
        };
        let positions = [
            held(9_000_000_000_000),
            held(9_000_000_000_000),
            Position {
                kind: Kind::Call,
                price: listed.strike,
                ..held(0)
            },
            Position::EMPTY,
        ];
        let model = with_held(&epoch.portfolio, &positions);
        assert_eq!(
            model.instruments.len(),
            2,
            "one new put, the call already listed"
        );
        assert_eq!(model.instruments[1].iv_ppm, 550_000);
        assert_eq!(table_rows(&model, &epoch.params), 4);
    }

    #[test]
    fn what_cannot_be_published_is_refused() {
        let epoch = read_epoch(EPOCH, "epoch.json").unwrap();
        let mut open = epoch.portfolio.clone();
        open.assets[1].scan_ppm = None;
        let e = publish_risk(&open, &epoch.params, &epoch.profile, "epoch.json").unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("epoch.json", "portfolio.USDC.scan_ppm")
        );
        // A table that does not fit the profile's risk depth.
        let mut many = epoch.portfolio.clone();
        many.instruments = (1..=255)
            .map(|i| ListedInstrument {
                key: InstrumentKey {
                    strike: i * 100_000_000,
                    ..epoch.portfolio.instruments[0].key
                },
                iv_ppm: 1,
            })
            .collect();
        let e = publish_risk(&many, &epoch.params, &epoch.profile, "epoch.json").unwrap_err();
        assert_eq!(e.field, "instruments");
        assert!(e.reason.contains("257 instruments"), "{e}");
        assert_eq!(SCENARIOS, 16);
    }
}
