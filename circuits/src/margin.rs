//! The reference margin engine: DESIGN.md's integer rules in plain Rust.
//!
//! This module is the one definition of the margin rules. The CLI's report, the witness
//! builder of the circuit and the tests all call it, so the report a trader reads and the
//! statement the circuit proves cannot disagree.
//!
//! Rounding always goes against the prover: values are floored, charges are ceiled, and every
//! term is rounded on its own before it is summed. All arithmetic is exact. DESIGN.md's
//! products reach `2^134` (a short option's `|q| * ((rate + tau) * P + 1e6 * intrinsic)` is
//! below `2^64 * 2^70`; `x * P * (1e6 - haircut)` below `2^64 * 2^48 * 2^20 = 2^132`), more
//! than a `u128` holds, so every `floor`/`ceil(a * b / 1e17)` goes through [`mul_div_floor`] /
//! [`mul_div_ceil`], which never form the full product.

use serde::{Deserialize, Serialize};

use crate::muldiv::{mul_div_ceil, mul_div_floor};
use crate::portfolio::{
    long_option_value, row_of, short_option_liability, PortfolioRates, RiskTable, UnderlyingMargin,
};
pub use crate::position::{Kind, MarginError, Position, Side};
use crate::units::{
    LINE_BITS, MAX_LEVEL_PPM, MAX_RATE_PPM, MIN_LEVEL_PPM, PNL_DIVISOR, PPM, PRICE_BITS,
    VALUE_DIVISOR,
};

/// Prices, strikes and entries are `< 2^48` (`units::PRICE_BITS`).
const PRICE_BOUND: u64 = 1 << PRICE_BITS;

/// One expiry bucket: options with `previous max_seconds < tte <= max_seconds` use `tau_ppm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub max_seconds: u64,
    /// Tau per asset, ppm.
    pub tau_ppm: Vec<u64>,
}

/// The public risk parameters of an epoch, indexed by asset, chain and venue position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskParams {
    /// Price per asset, e8.
    pub prices: Vec<u64>,
    /// `haircuts_ppm[asset][chain]`.
    pub haircuts_ppm: Vec<Vec<u64>>,
    /// `perp_mmr_ppm[venue][asset]`.
    pub perp_mmr_ppm: Vec<Vec<u64>>,
    /// Option margin rate per asset, ppm.
    pub option_rate_ppm: Vec<u64>,
    /// Expiry buckets, `max_seconds` non-decreasing.
    pub buckets: Vec<Bucket>,
    pub upnl_haircut_ppm: u64,
    /// Start of the epoch: option time-to-expiry is measured from here.
    pub valid_from: u64,
    /// Portfolio-margin rates per asset (statement version 3).
    pub portfolio: Vec<PortfolioRates>,
    /// The publisher's risk table (statement version 3).
    pub risk_table: RiskTable,
}

/// What an account holds: `balances[chain][asset]` (e9) and `positions[venue][slot]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    pub balances: Vec<Vec<u64>>,
    pub positions: Vec<Vec<Position>>,
}

/// The order a trader asks a venue to accept. Its entry is the snapshot price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Index of the venue in the snapshot.
    pub venue: usize,
    pub position: Position,
}

/// `values[index]`, or a `MissingParameter` error naming `table`.
fn param(table: &'static str, values: &[u64], index: usize) -> Result<u64, MarginError> {
    values
        .get(index)
        .copied()
        .ok_or(MarginError::MissingParameter { table, index })
}

/// A margin level: `1e6 <= level <= 1e7` (1x to 10x maintenance).
pub(crate) fn checked_level(level_ppm: u64) -> Result<u64, MarginError> {
    if (MIN_LEVEL_PPM..=MAX_LEVEL_PPM).contains(&level_ppm) {
        Ok(level_ppm)
    } else {
        Err(MarginError::OutOfRange {
            what: "level_ppm",
            value: level_ppm,
            bound: "between 1000000 and 10000000",
        })
    }
}

/// A price, strike or entry: `< 2^48`.
pub(crate) fn checked_price(what: &'static str, value: u64) -> Result<u64, MarginError> {
    if value < PRICE_BOUND {
        Ok(value)
    } else {
        Err(MarginError::OutOfRange {
            what,
            value,
            bound: "< 2^48",
        })
    }
}

/// A haircut, margin rate or tau: `<= 1e6`.
fn checked_rate(what: &'static str, value: u64) -> Result<u64, MarginError> {
    if value <= MAX_RATE_PPM {
        Ok(value)
    } else {
        Err(MarginError::OutOfRange {
            what,
            value,
            bound: "<= 1000000 ppm",
        })
    }
}

/// `floor(x * P * (1e6 - haircut) / 1e17)`: the haircut value of a balance, uusd.
///
/// `x * P < 2^64 * 2^64` fits a `u128`; `(x * P) mod 1e17 * (1e6 - haircut) < 2^57 * 2^20` and
/// `(x * P) / 1e17 * (1e6 - haircut) < 2^72 * 2^20`: exact for every `u64` input. A haircut
/// above 1e6 (outside DESIGN.md's bounds; `evaluate` refuses it) values the balance at 0.
pub fn collateral_value(amount: u64, price: u64, haircut_ppm: u64) -> u128 {
    mul_div_floor(
        amount as u128 * price as u128,
        PPM.saturating_sub(haircut_ppm) as u128,
        VALUE_DIVISOR,
    )
}

/// `ceil(n / d)` for `d > 0`.
pub fn ceil_div(n: u128, d: u128) -> u128 {
    n.div_ceil(d)
}

/// The expiry bucket of an option: the first bucket with `tte <= max_seconds`.
pub fn bucket_index(params: &RiskParams, expiry: u64) -> Result<usize, MarginError> {
    if expiry < params.valid_from {
        return Err(MarginError::Expired {
            expiry,
            valid_from: params.valid_from,
        });
    }
    let tte = expiry - params.valid_from;
    params
        .buckets
        .iter()
        .position(|b| tte <= b.max_seconds)
        .ok_or(MarginError::BeyondLastBucket {
            expiry,
            last: params.buckets.last().map_or(0, |b| b.max_seconds),
        })
}

/// Intrinsic value of an option at price `p`, e8: `max(P - K, 0)` for a call,
/// `max(K - P, 0)` for a put, 0 for anything else.
pub fn intrinsic_value(kind: Kind, price: u64, strike: u64) -> u64 {
    match kind {
        Kind::Call => price.saturating_sub(strike),
        Kind::Put => strike.saturating_sub(price),
        _ => 0,
    }
}

/// The margin terms of one position slot at one venue, uusd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionTerms {
    /// Maintenance margin by version 2's per-position rules, ceiled (the standard margin the
    /// portfolio margin is compared with; not what the statement proves).
    pub mm: u128,
    /// Haircut unrealised profit of a perpetual, floored.
    pub upnl_credit: u128,
    /// Unrealised loss of a perpetual, ceiled.
    pub upnl_debit: u128,
    /// The option's expiry bucket (0 for anything but an option).
    pub bucket: usize,
    /// A long option's value in equity, `floor(q mark (1e6 - upnl_haircut) / 1e21)`.
    pub option_value: u128,
    /// A short option's mark as a liability, `ceil(|q| mark / 1e15)`.
    pub option_liability: u128,
}

/// Checks that a slot is well formed: an empty slot is all zero, a perpetual has no expiry,
/// the underlying is a known asset, the entry or strike is `< 2^48`.
pub fn check_position(params: &RiskParams, position: &Position) -> Result<(), MarginError> {
    match position.kind {
        Kind::Empty if *position != Position::EMPTY => Err(MarginError::DirtyEmptySlot),
        Kind::Perp if position.expiry != 0 => Err(MarginError::PerpWithExpiry),
        _ if position.underlying >= params.prices.len() => {
            Err(MarginError::UnknownAsset(position.underlying))
        }
        _ => checked_price("position price", position.price).map(|_| ()),
    }
}

/// The terms of one slot held at venue `venue`.
///
/// Perpetual: `mm = ceil(|q| P mmr / 1e17)`, `pnl = q (P - E)`; a gain is credited at
/// `floor(pnl (1e6 - upnl_haircut) / 1e17)`, a loss debited at `ceil(|pnl| / 1e11)`.
/// Short option: `mm = ceil(|q| ((rate + tau[bucket]) P + 1e6 intrinsic) / 1e17)`.
/// Long option: nothing, and no credit for its value.
pub fn position_terms(
    params: &RiskParams,
    venue: usize,
    position: &Position,
) -> Result<PositionTerms, MarginError> {
    check_position(params, position)?;
    let mmr_row = params
        .perp_mmr_ppm
        .get(venue)
        .ok_or(MarginError::UnknownVenue(venue))?;
    let a = position.underlying;
    if position.kind == Kind::Empty {
        return Ok(PositionTerms::default());
    }
    // Every factor is range-checked here, so that no product below can overflow `u128`.
    let price = checked_price("price", params.prices[a])? as u128;
    let size = position.size as u128;
    match position.kind {
        Kind::Empty => Ok(PositionTerms::default()),
        Kind::Perp => {
            let mmr = checked_rate("perp_mmr_ppm", param("perp_mmr_ppm", mmr_row, a)?)?;
            let upnl_haircut = checked_rate("upnl_haircut_ppm", params.upnl_haircut_ppm)?;
            // |q| * P * mmr < 2^64 * 2^48 * 2^20 = 2^132 does not fit a u128: |q| * P < 2^112
            // does, and mul_div_ceil never forms the product with mmr < 2^20.
            let mm = mul_div_ceil(size * price, mmr as u128, VALUE_DIVISOR);
            let entry = position.price as u128;
            // The trader gains when long and the price rose, or short and it fell.
            let gain = (price >= entry) == (position.side == Side::Long);
            // |pnl| < 2^64 * 2^48 = 2^112; times (1e6 - upnl_haircut) < 2^132, so the credit
            // goes through mul_div_floor.
            let pnl_abs = size * price.abs_diff(entry);
            let (upnl_credit, upnl_debit) = if gain {
                (
                    mul_div_floor(pnl_abs, (PPM - upnl_haircut) as u128, VALUE_DIVISOR),
                    0,
                )
            } else {
                (0, ceil_div(pnl_abs, PNL_DIVISOR))
            };
            Ok(PositionTerms {
                mm,
                upnl_credit,
                upnl_debit,
                ..PositionTerms::default()
            })
        }
        Kind::Call | Kind::Put => {
            let bucket = bucket_index(params, position.expiry)?;
            let mm = match position.side {
                Side::Long => 0,
                Side::Short => {
                    let option_rate = checked_rate(
                        "option_rate_ppm",
                        param("option_rate_ppm", &params.option_rate_ppm, a)?,
                    )?;
                    let tau = checked_rate(
                        "tau_ppm",
                        param("tau_ppm", &params.buckets[bucket].tau_ppm, a)?,
                    )?;
                    let rate = (option_rate + tau) as u128;
                    let intrinsic =
                        intrinsic_value(position.kind, params.prices[a], position.price);
                    // The largest product of the engine: (rate + tau) * P + 1e6 * intrinsic
                    // <= 2e6 * P + 1e6 * max(P, K) < 3e6 * 2^48 < 2^70, times |q| < 2^64 is
                    // < 2^134, beyond u128. mul_div_ceil splits the inner sum at 1e17:
                    // (inner mod 1e17) * |q| < 2^57 * 2^64, (inner / 1e17) * |q| < 2^14 * 2^64.
                    let inner = rate * price + PPM as u128 * intrinsic as u128;
                    mul_div_ceil(inner, size, VALUE_DIVISOR)
                }
            };
            Ok(PositionTerms {
                mm,
                bucket,
                ..PositionTerms::default()
            })
        }
    }
}

/// The proposed order as the engine values it: a perpetual enters at the snapshot price.
pub fn order_position(params: &RiskParams, order: &Order) -> Result<Position, MarginError> {
    let mut position = order.position;
    if position.kind == Kind::Perp {
        position.price = *params
            .prices
            .get(position.underlying)
            .ok_or(MarginError::UnknownAsset(position.underlying))?;
    }
    Ok(position)
}

/// `ceil(mm * level / 1e6)`. The caller keeps `level <= 1e7` (`evaluate` checks it).
pub fn requirement(mm: u128, level_ppm: u64) -> u128 {
    ceil_div(mm * level_ppm as u128, PPM as u128)
}

/// Why a split of the headroom into credit lines cannot be certified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinesError {
    #[error("a credit line of {0} uusd is not below 2^100")]
    LineTooLarge(u128),
    #[error("the credit lines exceed the headroom by {by} uusd")]
    OverHeadroom { by: u128 },
}

/// DESIGN.md's "certified": every line below `2^100` and `headroom >= sum of the lines`.
/// Returns what the lines leave of the headroom. The sum cannot overflow: at most `V <= 2^10`
/// lines below `2^100` each.
pub fn lines_fit(report: &Report, allowances: &[u128]) -> Result<u128, LinesError> {
    if let Some(&line) = allowances.iter().find(|&&a| a >> LINE_BITS != 0) {
        return Err(LinesError::LineTooLarge(line));
    }
    let lines: u128 = allowances.iter().sum();
    let headroom = report.headroom;
    if headroom < 0 || (headroom as u128) < lines {
        // headroom - lines < 0: the excess is lines - headroom (headroom may be negative).
        let by = (lines as i128 - headroom) as u128;
        return Err(LinesError::OverHeadroom { by });
    }
    Ok(headroom as u128 - lines)
}

/// The figures of one chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFigures {
    /// Haircut value per asset, uusd.
    pub collateral_by_asset: Vec<u128>,
    pub collateral: u128,
}

/// The figures of one venue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueFigures {
    /// The terms of each slot, in leaf order.
    pub slots: Vec<PositionTerms>,
    /// The standard (version 2) margin of the venue's positions.
    pub mm: u128,
    pub upnl_credit: u128,
    pub upnl_debit: u128,
    pub option_value: u128,
    pub option_liability: u128,
}

/// The whole margin report of a book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub chains: Vec<ChainFigures>,
    pub venues: Vec<VenueFigures>,
    /// The proposed order's terms: only its margin counts (it enters at the snapshot price,
    /// so it moves no equity).
    pub order: PositionTerms,
    pub collateral: u128,
    /// Perpetuals' haircut profit.
    pub upnl_credit: u128,
    /// Perpetuals' loss.
    pub upnl_debit: u128,
    /// Long options at their haircut mark.
    pub option_value: u128,
    /// Short options at their mark.
    pub option_liability: u128,
    /// `collateral + upnl_credit - upnl_debit + option_value - option_liability`.
    pub equity: i128,
    /// The portfolio margin: the sum over underlyings of `max(scan, som) + contingency`, the
    /// order included.
    pub mm: u128,
    /// The margin by version 2's per-position rules, the order included, for comparison.
    pub standard_mm: u128,
    /// Per asset of the snapshot: its scenario losses, scan, minimum and contingency.
    pub portfolio: Vec<UnderlyingMargin>,
    pub level_ppm: u64,
    /// `ceil(mm * level / 1e6)`.
    pub requirement: u128,
    /// `equity - requirement`.
    pub headroom: i128,
    /// `equity >= requirement`.
    pub solvent: bool,
}

/// The terms of one slot held at venue `venue` under both rules: version 2's margin and
/// perpetual profit and loss (`position_terms`), and the option's mark in equity from its row
/// of the risk table (an instrument the table does not list is an error).
pub fn slot_terms(
    params: &RiskParams,
    venue: usize,
    position: &Position,
) -> Result<PositionTerms, MarginError> {
    let terms = position_terms(params, venue, position)?;
    let Some(row) = row_of(&params.risk_table, position)? else {
        return Ok(terms);
    };
    let upnl_haircut = checked_rate("upnl_haircut_ppm", params.upnl_haircut_ppm)?;
    Ok(match (position.kind, position.side) {
        (Kind::Call | Kind::Put, Side::Long) => PositionTerms {
            option_value: long_option_value(position.size, row.mark, upnl_haircut),
            ..terms
        },
        (Kind::Call | Kind::Put, Side::Short) => PositionTerms {
            option_liability: short_option_liability(position.size, row.mark),
            ..terms
        },
        _ => terms,
    })
}

/// The portfolio margin of `positions` (each with its row in the risk table), per asset of
/// `params`: the scenario sums netted across venues, then `max(scan, som) + contingency`.
pub fn portfolio_margin<'p>(
    params: &RiskParams,
    positions: impl IntoIterator<Item = &'p Position>,
) -> Result<Vec<UnderlyingMargin>, MarginError> {
    let assets = params.prices.len();
    let mut margins = vec![UnderlyingMargin::default(); assets];
    for position in positions {
        check_position(params, position)?;
        if let Some(row) = row_of(&params.risk_table, position)? {
            margins[position.underlying].add(position, row);
        }
    }
    for (a, margin) in margins.iter_mut().enumerate() {
        let rates = params
            .portfolio
            .get(a)
            .ok_or(MarginError::MissingParameter {
                table: "portfolio",
                index: a,
            })?;
        for (what, rate) in [
            ("som_ppm", rates.som_ppm),
            ("contingency_ppm", rates.contingency_ppm),
        ] {
            checked_rate(what, rate)?;
        }
        margin.finish(checked_price("price", params.prices[a])?, rates);
    }
    Ok(margins)
}

/// Evaluates a book (and an optional order) under the snapshot's parameters at `level_ppm`.
///
/// Never panics: a book that does not fit the parameters (an unknown chain, asset or venue, a
/// missing rate, an instrument the risk table does not list) or a value outside DESIGN.md's
/// bounds (price `>= 2^48`, a rate above 1e6, a level outside `[1e6, 1e7]`) is an error.
pub fn evaluate(
    params: &RiskParams,
    book: &Book,
    order: Option<&Order>,
    level_ppm: u64,
) -> Result<Report, MarginError> {
    checked_level(level_ppm)?;
    let chains = book
        .balances
        .iter()
        .enumerate()
        .map(|(c, amounts)| {
            let collateral_by_asset = amounts
                .iter()
                .enumerate()
                .map(|(a, &x)| {
                    let price = params
                        .prices
                        .get(a)
                        .copied()
                        .ok_or(MarginError::UnknownAsset(a))?;
                    let haircut = params
                        .haircuts_ppm
                        .get(a)
                        .ok_or(MarginError::MissingParameter {
                            table: "haircuts_ppm",
                            index: a,
                        })?
                        .get(c)
                        .copied()
                        .ok_or(MarginError::UnknownChain(c))?;
                    Ok(collateral_value(
                        x,
                        checked_price("price", price)?,
                        checked_rate("haircut_ppm", haircut)?,
                    ))
                })
                .collect::<Result<Vec<u128>, MarginError>>()?;
            let collateral = collateral_by_asset.iter().sum();
            Ok(ChainFigures {
                collateral_by_asset,
                collateral,
            })
        })
        .collect::<Result<Vec<_>, MarginError>>()?;
    let venues = book
        .positions
        .iter()
        .enumerate()
        .map(|(v, slots)| {
            let slots = slots
                .iter()
                .map(|p| slot_terms(params, v, p))
                .collect::<Result<Vec<_>, _>>()?;
            let sum = |term: fn(&PositionTerms) -> u128| slots.iter().map(term).sum();
            Ok(VenueFigures {
                mm: sum(|t| t.mm),
                upnl_credit: sum(|t| t.upnl_credit),
                upnl_debit: sum(|t| t.upnl_debit),
                option_value: sum(|t| t.option_value),
                option_liability: sum(|t| t.option_liability),
                slots,
            })
        })
        .collect::<Result<Vec<_>, MarginError>>()?;
    let order_position = order.map(|o| order_position(params, o)).transpose()?;
    let order_terms = match (order, &order_position) {
        (Some(order), Some(position)) => {
            let terms = position_terms(params, order.venue, position)?;
            PositionTerms {
                mm: terms.mm,
                bucket: terms.bucket,
                ..PositionTerms::default()
            }
        }
        _ => PositionTerms::default(),
    };
    let held = book.positions.iter().flatten();
    let portfolio = portfolio_margin(params, held.chain(order_position.iter()))?;
    let total = |term: fn(&VenueFigures) -> u128| venues.iter().map(term).sum::<u128>();
    let collateral: u128 = chains.iter().map(|c| c.collateral).sum();
    let upnl_credit = total(|v| v.upnl_credit);
    let upnl_debit = total(|v| v.upnl_debit);
    let option_value = total(|v| v.option_value);
    let option_liability = total(|v| v.option_liability);
    let standard_mm = total(|v| v.mm) + order_terms.mm;
    let mm = portfolio.iter().map(|m| m.mm).sum::<u128>();
    let equity = collateral as i128 + upnl_credit as i128 - upnl_debit as i128
        + option_value as i128
        - option_liability as i128;
    let requirement = requirement(mm, level_ppm);
    let headroom = equity - requirement as i128;
    Ok(Report {
        chains,
        venues,
        order: order_terms,
        collateral,
        upnl_credit,
        upnl_debit,
        option_value,
        option_liability,
        equity,
        mm,
        standard_mm,
        portfolio,
        level_ppm,
        requirement,
        headroom,
        solvent: headroom >= 0,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    //! Every expected value below is worked out by hand in the comments from DESIGN.md's
    //! formulas; none is obtained by calling the function under test a second time.

    use super::*;
    use crate::portfolio::{InstrumentKey, RiskRow, OPTION_VALUE_DIVISOR, SCAN_DIVISOR, SCENARIOS};
    use proptest::prelude::*;

    /// BTC at 97000.5 USD, e8.
    const BTC_PRICE: u64 = 9_700_050_000_000;
    /// USDC at 1 USD, e8.
    const USDC_PRICE: u64 = 100_000_000;
    /// One asset unit, e9.
    const UNIT: u64 = 1_000_000_000;
    /// DESIGN.md's example `valid_from`.
    const T0: u64 = 1_767_225_600;
    const BTC: usize = 0;
    const USDC: usize = 1;
    const ETHEREUM: usize = 0;
    const ARBITRUM: usize = 1;
    const DERIBIT: usize = 0;
    const HYPERLIQUID: usize = 1;
    /// Level 1 x maintenance and 1.5 x maintenance, ppm.
    const LEVEL_1: u64 = 1_000_000;
    const LEVEL_1_5: u64 = 1_500_000;

    /// The risk parameters of DESIGN.md's example network.json.
    fn example_params() -> RiskParams {
        RiskParams {
            prices: vec![BTC_PRICE, USDC_PRICE],
            // [asset][chain]: BTC {ethereum 30000, arbitrum 45000}, USDC {10000, 12000}.
            haircuts_ppm: vec![vec![30_000, 45_000], vec![10_000, 12_000]],
            // [venue][asset]: deribit {BTC 10000, USDC 0}, hyperliquid {BTC 12500, USDC 0}.
            perp_mmr_ppm: vec![vec![10_000, 0], vec![12_500, 0]],
            option_rate_ppm: vec![75_000, 0],
            buckets: vec![
                Bucket {
                    max_seconds: 86_400,
                    tau_ppm: vec![20_000, 0],
                },
                Bucket {
                    max_seconds: 31_536_000,
                    tau_ppm: vec![120_000, 0],
                },
            ],
            upnl_haircut_ppm: 100_000,
            valid_from: T0,
            // BTC: som 0.5%, contingency 0.1%; USDC: nothing.
            portfolio: vec![
                PortfolioRates {
                    scan_ppm: 92_800,
                    som_ppm: 5_000,
                    contingency_ppm: 1_000,
                },
                PortfolioRates::default(),
            ],
            risk_table: example_table(),
        }
    }

    /// USD to pUSD.
    pub(crate) const PUSD: i64 = 1_000_000_000_000;

    /// The BTC perpetual's vector, USD a unit: three scan ranges of about 9000 USD (the
    /// charge's tests use it too).
    pub(crate) const PERP_VECTOR: [i64; SCENARIOS] = [
        0, 0, 3000, 3000, -3000, -3000, 6000, 6000, -6000, -6000, 9000, 9000, -9000, -9000, 9450,
        -9450,
    ];
    /// Alice's call's vector (strike 100000, one day), USD a unit, and its mark, 1200 USD.
    pub(crate) const CALL_VECTOR: [i64; SCENARIOS] = [
        100, -100, 1500, 1300, -700, -800, 3500, 3300, -1100, -1200, 6000, 5800, -1300, -1350,
        8000, -500,
    ];
    const CALL_MARK_USD: u64 = 1_200;

    /// The risk table of the example: the BTC perpetual and Alice's call, in key order.
    fn example_table() -> RiskTable {
        RiskTable {
            rows: vec![
                RiskRow {
                    key: InstrumentKey::perp(BTC),
                    mark: 0,
                    vector: PERP_VECTOR.map(|v| v * PUSD),
                },
                RiskRow {
                    key: InstrumentKey {
                        underlying: BTC,
                        kind: Kind::Call,
                        expiry: 1_767_312_000,
                        strike: 10_000_000_000_000,
                    },
                    mark: CALL_MARK_USD * PUSD as u64,
                    vector: CALL_VECTOR.map(|v| v * PUSD),
                },
            ],
        }
    }

    fn perp(underlying: usize, side: Side, size: u64, entry: u64) -> Position {
        Position {
            kind: Kind::Perp,
            underlying,
            side,
            size,
            price: entry,
            expiry: 0,
        }
    }

    fn option(kind: Kind, side: Side, size: u64, strike: u64, expiry: u64) -> Position {
        Position {
            kind,
            underlying: BTC,
            side,
            size,
            price: strike,
            expiry,
        }
    }

    /// Alice's short call on deribit: -2 BTC, strike 100000, expiry 1767312000 (tte 86400 s).
    fn alice_call() -> Position {
        option(
            Kind::Call,
            Side::Short,
            2 * UNIT,
            10_000_000_000_000,
            1_767_312_000,
        )
    }

    /// Alice's perpetual on hyperliquid: +0.75 BTC entered at 95000.
    fn alice_perp() -> Position {
        perp(BTC, Side::Long, 750_000_000, 9_500_000_000_000)
    }

    /// Alice's book in DESIGN.md's example network.
    fn alice_book() -> Book {
        Book {
            // [chain][asset]: ethereum {BTC 1.5, USDC 20000}, arbitrum {USDC 5000.25}.
            balances: vec![
                vec![1_500_000_000, 20_000 * UNIT],
                vec![0, 5_000_250_000_000],
            ],
            positions: vec![vec![alice_call()], vec![alice_perp()]],
        }
    }

    fn terms(venue: usize, position: Position) -> PositionTerms {
        position_terms(&example_params(), venue, &position).unwrap()
    }

    // ---------------------------------------------------------------- slot encoding

    #[test]
    fn kind_codes_round_trip_and_reject_the_rest() {
        for kind in [Kind::Empty, Kind::Perp, Kind::Call, Kind::Put] {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(Kind::from_code(4), None);
        // Would alias Perp if the code were truncated to 32 bits.
        assert_eq!(Kind::from_code((1 << 32) + 1), None);
        assert_eq!(Kind::from_code(u64::MAX), None);
        assert_eq!(Side::Long.code(), 0);
        assert_eq!(Side::Short.code(), 1);
        assert_eq!(Position::EMPTY.fields(), [0; 6]);
        // (kind 3 = put, underlying 0, side 1 = short, size, strike, expiry)
        let put = option(Kind::Put, Side::Short, 5, 7, 9);
        assert_eq!(put.fields(), [3, 0, 1, 5, 7, 9]);
        assert_eq!(put.signed_size(), -5);
        assert_eq!(alice_perp().signed_size(), 750_000_000);
    }

    // ---------------------------------------------------------------- collateral

    #[test]
    fn collateral_btc_example() {
        // x = 1.5 BTC = 1_500_000_000 e9, P = 97000.5 = 9_700_050_000_000 e8, 1e6 - h = 970_000.
        // x * P = 1.5e9 * 9.7000500e12 = 14_550_075 * 1e15
        // * 970_000 = 14_550_075 * 97 * 1e4 * 1e15 = 1_411_357_275 * 1e19
        // / 1e17 = 141_135_727_500 uusd (exact: 1.5 * 97000.5 * 0.97 = 141135.7275 USD).
        assert_eq!(
            collateral_value(1_500_000_000, BTC_PRICE, 30_000),
            141_135_727_500
        );
        // One e9 unit of BTC: 9_700_050_000_000 * 970_000 = 9_409_048_500_000_000_000
        // / 1e17 = 94.090485 -> floor 94.
        assert_eq!(collateral_value(1, BTC_PRICE, 30_000), 94);
    }

    #[test]
    fn collateral_exact_and_one_below() {
        // 1 USDC at 1 USD, haircut 10000: 1e9 * 1e8 * 990_000 = 9.9e22; / 1e17 = 990_000 exact.
        assert_eq!(collateral_value(UNIT, USDC_PRICE, 10_000), 990_000);
        // One e9 unit less: (1e9 - 1) * 1e8 * 990_000 = 99_999_999_990_100_000_000_000 ... more
        // simply (1e9 - 1) * 99 / 1e5 = 989_999.99901 -> floor 989_999, 1 uusd below.
        assert_eq!(collateral_value(UNIT - 1, USDC_PRICE, 10_000), 989_999);
        // The sharpest case: P = 1 e8, 1e6 - h = 1, so the numerator is x itself.
        // x = 2e17 -> exactly 2; x = 2e17 - 1 -> 1.99999999999999999 -> floor 1.
        assert_eq!(collateral_value(200_000_000_000_000_000, 1, 999_999), 2);
        assert_eq!(collateral_value(199_999_999_999_999_999, 1, 999_999), 1);
        // x = 1e17 - 1 is worth less than 1 uusd: floor 0.
        assert_eq!(collateral_value(99_999_999_999_999_999, 1, 999_999), 0);
    }

    #[test]
    fn collateral_full_haircut_is_worthless() {
        // 1e6 - 1e6 = 0: the product is 0 whatever the balance and the price.
        assert_eq!(collateral_value(u64::MAX, (1 << 48) - 1, 1_000_000), 0);
        assert_eq!(collateral_value(1_500_000_000, BTC_PRICE, 1_000_000), 0);
        // No haircut: 1 BTC = 1e9 * 9.70005e12 * 1e6 / 1e17 = 97_000_500_000 uusd.
        assert_eq!(collateral_value(UNIT, BTC_PRICE, 0), 97_000_500_000);
        assert_eq!(collateral_value(0, BTC_PRICE, 0), 0);
    }

    #[test]
    fn collateral_uses_the_haircut_of_its_own_chain() {
        // 1 USDC on arbitrum (haircut 12000): 1e9 * 1e8 * 988_000 / 1e17 = 988_000.
        // 1 BTC on arbitrum (haircut 45000): 97000.5 * 0.955 = 92635.4775 USD.
        let book = Book {
            balances: vec![vec![0, 0], vec![UNIT, UNIT]],
            positions: vec![],
        };
        let report = evaluate(&example_params(), &book, None, LEVEL_1).unwrap();
        assert_eq!(report.chains[ETHEREUM].collateral, 0);
        assert_eq!(
            report.chains[ARBITRUM].collateral_by_asset,
            vec![92_635_477_500, 988_000]
        );
        assert_eq!(report.collateral, 92_635_477_500 + 988_000);
    }

    // ---------------------------------------------------------------- perpetuals

    #[test]
    fn perp_mm_exact_and_one_over() {
        // Long 1 BTC at 100000 on deribit (mmr 10000), entered at the current price:
        // 1e9 * 1e13 * 1e4 = 1e26; / 1e17 = 1e9 uusd (1000 USD) exactly.
        let mut params = example_params();
        params.prices[BTC] = 10_000_000_000_000;
        let t = position_terms(
            &params,
            DERIBIT,
            &perp(BTC, Side::Long, UNIT, 10_000_000_000_000),
        )
        .unwrap();
        assert_eq!(t.mm, 1_000_000_000);
        // Alice's perp on hyperliquid (mmr 12500): 7.5e8 * 9.70005e12 * 12500
        // = 9.093796875e25; / 1e17 = 909_379_687.5 -> ceil 909_379_688.
        assert_eq!(terms(HYPERLIQUID, alice_perp()).mm, 909_379_688);
        // Numerator one above a multiple of 1e17: P = 1 e8, mmr = 1 ppm, |q| = 1e17 + 1:
        // (1e17 + 1) / 1e17 -> ceil 2; |q| = 1e17 exactly -> 1.
        params.prices[BTC] = 1;
        params.perp_mmr_ppm[DERIBIT][BTC] = 1;
        let mm = |size| {
            position_terms(&params, DERIBIT, &perp(BTC, Side::Short, size, 1))
                .unwrap()
                .mm
        };
        assert_eq!(mm(100_000_000_000_000_001), 2);
        assert_eq!(mm(100_000_000_000_000_000), 1);
        assert_eq!(mm(1), 1);
        assert_eq!(mm(0), 0);
    }

    #[test]
    fn perp_long_gain_is_credited_floored_after_haircut() {
        // Alice: +0.75 BTC from 95000 to 97000.5: pnl = 7.5e8 * 200_050_000_000 = 1.500375e20
        // (1500.375 USD); * (1e6 - 100000) = 1.3503375e26; / 1e17 = 1_350_337_500 uusd.
        let t = terms(HYPERLIQUID, alice_perp());
        assert_eq!((t.upnl_credit, t.upnl_debit), (1_350_337_500, 0));
        // A floored case: +1 e9 unit, entry 97000 (gain 50_000_000 e8):
        // pnl = 5e7; * 900_000 = 4.5e13; / 1e17 = 0.00045 -> floor 0.
        let t = terms(HYPERLIQUID, perp(BTC, Side::Long, 1, 9_700_000_000_000));
        assert_eq!((t.upnl_credit, t.upnl_debit), (0, 0));
    }

    #[test]
    fn perp_short_gains_when_the_price_falls() {
        // -2 BTC entered at 100000, now 97000.5: pnl = -2e9 * (9_700_050_000_000 - 1e13)
        // = 2e9 * 299_950_000_000 = 5.999e20 (5999 USD); * 900_000 / 1e17 = 5_399_100_000.
        let t = terms(
            DERIBIT,
            perp(BTC, Side::Short, 2 * UNIT, 10_000_000_000_000),
        );
        assert_eq!((t.upnl_credit, t.upnl_debit), (5_399_100_000, 0));
        // mm = 2e9 * 9.70005e12 * 1e4 / 1e17 = 1_940_010_000 exactly.
        assert_eq!(t.mm, 1_940_010_000);
        // -1 e9 unit: pnl = 299_950_000_000; * 900_000 = 2.69955e17; / 1e17 -> floor 2.
        let t = terms(DERIBIT, perp(BTC, Side::Short, 1, 10_000_000_000_000));
        assert_eq!((t.upnl_credit, t.upnl_debit), (2, 0));
    }

    #[test]
    fn perp_losses_are_debited_ceiled() {
        // Long 1 e9 unit entered 1 e8 above the price: pnl = -1 (e17 units);
        // ceil(1 / 1e11) = 1 uusd.
        let t = terms(DERIBIT, perp(BTC, Side::Long, 1, BTC_PRICE + 1));
        assert_eq!((t.upnl_credit, t.upnl_debit), (0, 1));
        // Short 1 e9 unit entered 1 e8 below the price: pnl = 1 * -(1) = -1 -> debit 1.
        let t = terms(DERIBIT, perp(BTC, Side::Short, 1, BTC_PRICE - 1));
        assert_eq!((t.upnl_credit, t.upnl_debit), (0, 1));
        // Long 0.75 BTC entered at 100000: |pnl| = 7.5e8 * 299_950_000_000 = 2.249625e20;
        // / 1e11 = 2_249_625_000 uusd exactly (2249.625 USD), no haircut on a loss.
        let t = terms(
            DERIBIT,
            perp(BTC, Side::Long, 750_000_000, 10_000_000_000_000),
        );
        assert_eq!((t.upnl_credit, t.upnl_debit), (0, 2_249_625_000));
        // |pnl| = 1e11 + 1 -> ceil 2: 1 e9 unit with entry 100_000_000_001 e8 below.
        let t = terms(
            DERIBIT,
            perp(BTC, Side::Short, 1, BTC_PRICE - 100_000_000_001),
        );
        assert_eq!(t.upnl_debit, 2);
    }

    #[test]
    fn perp_at_entry_has_no_pnl() {
        for side in [Side::Long, Side::Short] {
            let t = terms(DERIBIT, perp(BTC, side, 3 * UNIT, BTC_PRICE));
            assert_eq!((t.upnl_credit, t.upnl_debit), (0, 0));
            // mm = 3e9 * 9.70005e12 * 1e4 / 1e17 = 2_910_015_000 exactly.
            assert_eq!(t.mm, 2_910_015_000);
            assert_eq!(t.bucket, 0);
        }
    }

    // ---------------------------------------------------------------- options

    #[test]
    fn intrinsic_values() {
        let (p, k) = (10_000_000_000_000, 9_000_000_000_000);
        // Call in the money: P - K = 1e12 e8 (10000 USD); out of the money: 0.
        assert_eq!(intrinsic_value(Kind::Call, p, k), 1_000_000_000_000);
        assert_eq!(intrinsic_value(Kind::Call, k, p), 0);
        // Put in the money: K - P; out of the money: 0.
        assert_eq!(intrinsic_value(Kind::Put, k, p), 1_000_000_000_000);
        assert_eq!(intrinsic_value(Kind::Put, p, k), 0);
        // At the money both are 0; anything but an option has none.
        assert_eq!(intrinsic_value(Kind::Call, p, p), 0);
        assert_eq!(intrinsic_value(Kind::Put, p, p), 0);
        assert_eq!(intrinsic_value(Kind::Perp, p, k), 0);
        assert_eq!(intrinsic_value(Kind::Empty, k, p), 0);
    }

    #[test]
    fn short_call_out_of_the_money() {
        // Alice's call: tte = 1767312000 - 1767225600 = 86400 -> bucket 0 (tau 20000);
        // rate 75000 + 20000 = 95000; P = 97000.5 < K = 100000: intrinsic 0.
        // 2e9 * 95000 * 9_700_050_000_000 = 184_300_950 * 1e19; / 1e17 = 18_430_095_000
        // exactly (2 * 0.095 * 97000.5 = 18430.095 USD).
        let t = terms(DERIBIT, alice_call());
        assert_eq!(
            t,
            PositionTerms {
                mm: 18_430_095_000,
                upnl_credit: 0,
                upnl_debit: 0,
                bucket: 0,
                ..PositionTerms::default()
            }
        );
    }

    #[test]
    fn short_call_in_the_money_with_rate_tau_and_intrinsic() {
        // -2 BTC call, strike 95000, tte 86401 -> bucket 1 (tau 120000): rate 195000.
        // rate * P = 195000 * 9_700_050_000_000 = 1_891_509_750_000_000_000
        // 1e6 * intrinsic = 1e6 * 200_050_000_000 = 200_050_000_000_000_000
        // sum = 2_091_559_750_000_000_000; * 2e9 = 4.1831195e27; / 1e17 = 41_831_195_000
        // (2 * (0.195 * 97000.5 + 2000.5) = 41831.195 USD).
        let strike = 9_500_000_000_000;
        let t = terms(
            DERIBIT,
            option(Kind::Call, Side::Short, 2 * UNIT, strike, T0 + 86_401),
        );
        assert_eq!((t.mm, t.bucket), (41_831_195_000, 1));
        assert_eq!((t.upnl_credit, t.upnl_debit), (0, 0));
        // The same for 1 e9 unit: 2_091_559_750_000_000_000 / 1e17 = 20.9155975 -> ceil 21.
        let t = terms(
            DERIBIT,
            option(Kind::Call, Side::Short, 1, strike, T0 + 86_401),
        );
        assert_eq!(t.mm, 21);
    }

    #[test]
    fn short_put_in_the_money() {
        // -1 BTC put, strike 100000, tte 3600 -> bucket 0: rate 95000.
        // 95000 * 9_700_050_000_000 = 921_504_750_000_000_000
        // 1e6 * (1e13 - 9_700_050_000_000) = 299_950_000_000_000_000
        // sum = 1_221_454_750_000_000_000; * 1e9 / 1e17 = 12_214_547_500 exactly
        // (0.095 * 97000.5 + 2999.5 = 12214.5475 USD).
        let t = terms(
            HYPERLIQUID,
            option(Kind::Put, Side::Short, UNIT, 10_000_000_000_000, T0 + 3_600),
        );
        assert_eq!((t.mm, t.bucket), (12_214_547_500, 0));
        // Out of the money (strike 90000): only the rate: 921_504_750_000_000_000 * 1e9 / 1e17
        // = 9_215_047_500 (0.095 * 97000.5 = 9215.0475 USD).
        let t = terms(
            HYPERLIQUID,
            option(Kind::Put, Side::Short, UNIT, 9_000_000_000_000, T0 + 3_600),
        );
        assert_eq!(t.mm, 9_215_047_500);
    }

    #[test]
    fn long_options_carry_no_margin_and_no_credit() {
        // Deep in the money (call strike 1 e8, put strike 2^48 - 1): still mm 0 and no credit.
        for (kind, strike) in [(Kind::Call, 1), (Kind::Put, (1 << 48) - 1)] {
            let t = terms(
                DERIBIT,
                option(kind, Side::Long, 100 * UNIT, strike, T0 + 100_000),
            );
            assert_eq!(
                t,
                PositionTerms {
                    mm: 0,
                    upnl_credit: 0,
                    upnl_debit: 0,
                    bucket: 1,
                    ..PositionTerms::default()
                }
            );
        }
    }

    #[test]
    fn expiry_bucket_edges() {
        let params = example_params();
        // tte == max_seconds[0] = 86400 is still bucket 0; one second more is bucket 1.
        assert_eq!(bucket_index(&params, T0 + 86_400), Ok(0));
        assert_eq!(bucket_index(&params, T0 + 86_401), Ok(1));
        // Expiring right at valid_from (tte 0) is bucket 0, not expired.
        assert_eq!(bucket_index(&params, T0), Ok(0));
        // The last bucket's bound is inclusive; a second past it is an error.
        assert_eq!(bucket_index(&params, T0 + 31_536_000), Ok(1));
        assert_eq!(
            bucket_index(&params, T0 + 31_536_001),
            Err(MarginError::BeyondLastBucket {
                expiry: T0 + 31_536_001,
                last: 31_536_000,
            })
        );
        // One second before valid_from: expired (tte < 0 is an input error).
        assert_eq!(
            bucket_index(&params, T0 - 1),
            Err(MarginError::Expired {
                expiry: T0 - 1,
                valid_from: T0,
            })
        );
        assert_eq!(
            bucket_index(&params, 0),
            Err(MarginError::Expired {
                expiry: 0,
                valid_from: T0,
            })
        );
        // No buckets at all: everything is beyond the last (reported as 0 s).
        let mut none = params.clone();
        none.buckets.clear();
        assert_eq!(
            bucket_index(&none, T0),
            Err(MarginError::BeyondLastBucket {
                expiry: T0,
                last: 0,
            })
        );
        // A long option beyond the last bucket is an input error too, although its mm is 0.
        assert_eq!(
            position_terms(
                &params,
                DERIBIT,
                &option(Kind::Call, Side::Long, UNIT, 1, T0 + 31_536_001)
            ),
            Err(MarginError::BeyondLastBucket {
                expiry: T0 + 31_536_001,
                last: 31_536_000,
            })
        );
    }

    // ---------------------------------------------------------------- malformed slots

    #[test]
    fn malformed_slots_are_errors() {
        let params = example_params();
        let dirty = Position {
            size: 1,
            ..Position::EMPTY
        };
        assert_eq!(
            position_terms(&params, DERIBIT, &dirty),
            Err(MarginError::DirtyEmptySlot)
        );
        let short_empty = Position {
            side: Side::Short,
            ..Position::EMPTY
        };
        assert_eq!(
            check_position(&params, &short_empty),
            Err(MarginError::DirtyEmptySlot)
        );
        assert_eq!(
            position_terms(&params, DERIBIT, &Position::EMPTY),
            Ok(PositionTerms::default())
        );
        let mut with_expiry = perp(BTC, Side::Long, 1, 1);
        with_expiry.expiry = T0;
        assert_eq!(
            position_terms(&params, DERIBIT, &with_expiry),
            Err(MarginError::PerpWithExpiry)
        );
        assert_eq!(
            position_terms(&params, DERIBIT, &perp(2, Side::Long, 1, 1)),
            Err(MarginError::UnknownAsset(2))
        );
        assert_eq!(
            position_terms(&params, 2, &perp(BTC, Side::Long, 1, 1)),
            Err(MarginError::UnknownVenue(2))
        );
        // An entry or a strike of 2^48 is outside the price bound.
        assert!(matches!(
            position_terms(&params, DERIBIT, &perp(BTC, Side::Long, 1, 1 << 48)),
            Err(MarginError::OutOfRange { value, .. }) if value == 1 << 48
        ));
        assert!(matches!(
            position_terms(
                &params,
                DERIBIT,
                &option(Kind::Put, Side::Short, u64::MAX, u64::MAX, T0)
            ),
            Err(MarginError::OutOfRange { .. })
        ));
    }

    #[test]
    fn parameters_outside_the_bounds_are_errors_not_panics() {
        let book = alice_book();
        let check = |params: &RiskParams, level| evaluate(params, &book, None, level);
        let p = example_params();
        assert!(check(&p, LEVEL_1).is_ok());
        // Level outside [1e6, 1e7].
        for level in [0, 999_999, 10_000_001, u64::MAX] {
            assert!(matches!(
                check(&p, level),
                Err(MarginError::OutOfRange {
                    what: "level_ppm",
                    ..
                })
            ));
        }
        assert!(check(&p, 10_000_000).is_ok());
        // A haircut above 1e6 would underflow `1e6 - haircut`.
        let mut q = p.clone();
        q.haircuts_ppm[USDC][ARBITRUM] = 1_000_001;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange {
                what: "haircut_ppm",
                value: 1_000_001,
                ..
            })
        ));
        // A price of 2^48 or more could overflow a short option's 2^134 budget.
        let mut q = p.clone();
        q.prices[BTC] = u64::MAX;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange { what: "price", .. })
        ));
        let mut q = p.clone();
        q.upnl_haircut_ppm = 2_000_000;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange {
                what: "upnl_haircut_ppm",
                ..
            })
        ));
        let mut q = p.clone();
        q.buckets[0].tau_ppm[BTC] = 1_000_001;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange {
                what: "tau_ppm",
                ..
            })
        ));
        let mut q = p.clone();
        q.option_rate_ppm[BTC] = u64::MAX;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange {
                what: "option_rate_ppm",
                ..
            })
        ));
        let mut q = p.clone();
        q.perp_mmr_ppm[HYPERLIQUID][BTC] = 1_000_001;
        assert!(matches!(
            check(&q, LEVEL_1),
            Err(MarginError::OutOfRange {
                what: "perp_mmr_ppm",
                ..
            })
        ));
        // Tables shorter than the asset list.
        let mut q = p.clone();
        q.perp_mmr_ppm[HYPERLIQUID].truncate(0);
        assert_eq!(
            check(&q, LEVEL_1),
            Err(MarginError::MissingParameter {
                table: "perp_mmr_ppm",
                index: BTC,
            })
        );
        let mut q = p.clone();
        q.option_rate_ppm.clear();
        assert_eq!(
            check(&q, LEVEL_1),
            Err(MarginError::MissingParameter {
                table: "option_rate_ppm",
                index: BTC,
            })
        );
        let mut q = p.clone();
        q.buckets[0].tau_ppm.clear();
        assert_eq!(
            check(&q, LEVEL_1),
            Err(MarginError::MissingParameter {
                table: "tau_ppm",
                index: BTC,
            })
        );
        let mut q = p.clone();
        q.haircuts_ppm.truncate(1);
        assert_eq!(
            check(&q, LEVEL_1),
            Err(MarginError::MissingParameter {
                table: "haircuts_ppm",
                index: USDC,
            })
        );
    }

    #[test]
    fn books_that_do_not_fit_the_snapshot_are_errors_not_panics() {
        let params = example_params();
        // A third chain.
        let book = Book {
            balances: vec![vec![], vec![], vec![1]],
            positions: vec![],
        };
        assert_eq!(
            evaluate(&params, &book, None, LEVEL_1),
            Err(MarginError::UnknownChain(2))
        );
        // A third asset on a chain.
        let book = Book {
            balances: vec![vec![0, 0, 1]],
            positions: vec![],
        };
        assert_eq!(
            evaluate(&params, &book, None, LEVEL_1),
            Err(MarginError::UnknownAsset(2))
        );
        // A third venue.
        let book = Book {
            balances: vec![],
            positions: vec![vec![], vec![], vec![Position::EMPTY]],
        };
        assert_eq!(
            evaluate(&params, &book, None, LEVEL_1),
            Err(MarginError::UnknownVenue(2))
        );
        // An order at an unknown venue or on an unknown asset.
        let order = Order {
            venue: 5,
            position: perp(BTC, Side::Long, UNIT, 0),
        };
        assert_eq!(
            evaluate(&params, &Book::default(), Some(&order), LEVEL_1),
            Err(MarginError::UnknownVenue(5))
        );
        let order = Order {
            venue: DERIBIT,
            position: perp(7, Side::Long, UNIT, 0),
        };
        assert_eq!(
            evaluate(&params, &Book::default(), Some(&order), LEVEL_1),
            Err(MarginError::UnknownAsset(7))
        );
        // Shorter rows than the snapshot are fine: missing amounts and slots are zero.
        let book = Book {
            balances: vec![vec![UNIT]],
            positions: vec![vec![]],
        };
        let report = evaluate(&params, &book, None, LEVEL_1).unwrap();
        // 1 BTC on ethereum: 97000.5 * 0.97 = 94090.485 USD.
        assert_eq!(report.collateral, 94_090_485_000);
        assert_eq!(report.mm, 0);
    }

    // ---------------------------------------------------------------- orders

    #[test]
    fn perp_order_enters_at_the_snapshot_price() {
        let params = example_params();
        // The trader's stated entry (1 e8) is replaced by the snapshot price, so no pnl.
        let order = Order {
            venue: DERIBIT,
            position: perp(BTC, Side::Long, UNIT, 1),
        };
        let position = order_position(&params, &order).unwrap();
        assert_eq!(position.price, BTC_PRICE);
        // Collateral: 1 USDC on ethereum = 990_000 uusd.
        let book = Book {
            balances: vec![vec![0, UNIT]],
            positions: vec![],
        };
        let report = evaluate(&params, &book, Some(&order), LEVEL_1).unwrap();
        // Standard: mm = 1e9 * 9.70005e12 * 10000 / 1e17 = 970_005_000 exactly (1% of 97000.5
        // USD).
        assert_eq!(
            report.order,
            PositionTerms {
                mm: 970_005_000,
                upnl_credit: 0,
                upnl_debit: 0,
                bucket: 0,
                ..PositionTerms::default()
            }
        );
        assert_eq!(report.standard_mm, 970_005_000);
        // Portfolio: T[s] = -1 * PERP_VECTOR[s]: the worst is scenario 15 (-3 ranges, 35%),
        // 9450 USD; contingency 0.1% of 97000.5 = 97.0005 USD; mm = 9_547_000_500.
        assert_eq!(report.portfolio[BTC].worst_scenario, 15);
        assert_eq!(report.portfolio[BTC].scan, 9_450_000_000);
        assert_eq!(report.portfolio[BTC].contingency, 97_000_500);
        assert_eq!(report.mm, 9_547_000_500);
        assert_eq!((report.upnl_credit, report.upnl_debit), (0, 0));
        assert_eq!(report.equity, 990_000);
        // 990_000 - 9_547_000_500 = -9_546_010_500.
        assert_eq!(report.headroom, -9_546_010_500);
        assert!(!report.solvent);
        // A short perp order likewise: same mm, no pnl.
        let order = Order {
            venue: HYPERLIQUID,
            position: perp(BTC, Side::Short, UNIT, (1 << 48) - 1),
        };
        let report = evaluate(&params, &book, Some(&order), LEVEL_1).unwrap();
        // mm = 1e9 * 9.70005e12 * 12500 / 1e17 = 1_212_506_250 exactly.
        assert_eq!(report.order.mm, 1_212_506_250);
        assert_eq!((report.upnl_credit, report.upnl_debit), (0, 0));
    }

    #[test]
    fn option_order_keeps_its_strike() {
        let params = example_params();
        // Short 1 more of Alice's call (strike 100000, tte 86400: bucket 0). Standard: half of
        // the -2 BTC case, 9_215_047_500.
        let order = Order {
            venue: DERIBIT,
            position: option(
                Kind::Call,
                Side::Short,
                UNIT,
                10_000_000_000_000,
                1_767_312_000,
            ),
        };
        assert_eq!(order_position(&params, &order), Ok(order.position));
        let report = evaluate(&params, &alice_book(), Some(&order), LEVEL_1).unwrap();
        assert_eq!((report.order.mm, report.order.bucket), (9_215_047_500, 0));
        // Alice's standard 19_339_474_688 + 9_215_047_500 = 28_554_522_188.
        assert_eq!(report.standard_mm, 28_554_522_188);
        // Portfolio: T = 3 CALL_VECTOR - 0.75 PERP_VECTOR; the worst is scenario 14,
        // 24000 - 7087.5 = 16912.5 USD; som 0.5% of 3 x 97000.5 = 1455.0075 USD, below it;
        // contingency 72_750_375 (below); mm = 16_912_500_000 + 72_750_375 = 16_985_250_375.
        assert_eq!(report.portfolio[BTC].scan, 16_912_500_000);
        assert_eq!(report.portfolio[BTC].som, 1_455_007_500);
        assert_eq!(report.mm, 16_985_250_375);
        // Equity is unchanged by an order: 164_826_312_000 (below).
        assert_eq!(report.equity, 164_826_312_000);
        // Headroom 164_826_312_000 - 16_985_250_375 = 147_841_061_625.
        assert_eq!(report.headroom, 147_841_061_625);
        // A long option order nets against the book: T = CALL_VECTOR - 0.75 PERP_VECTOR, the
        // worst is scenario 15, -500 + 7087.5 = 6587.5 USD; mm = 6_587_500_000 + 72_750_375.
        let long = Order {
            venue: DERIBIT,
            position: Position {
                side: Side::Long,
                ..order.position
            },
        };
        let report = evaluate(&params, &alice_book(), Some(&long), LEVEL_1).unwrap();
        assert_eq!(report.order.mm, 0);
        assert_eq!(report.portfolio[BTC].worst_scenario, 15);
        assert_eq!(report.mm, 6_660_250_375);
        // An order on an instrument the table does not list is refused.
        let unlisted = Order {
            venue: DERIBIT,
            position: option(
                Kind::Call,
                Side::Short,
                UNIT,
                9_500_000_000_000,
                T0 + 86_401,
            ),
        };
        assert!(matches!(
            evaluate(&params, &alice_book(), Some(&unlisted), LEVEL_1),
            Err(MarginError::NotInRiskTable(_))
        ));
    }

    // ---------------------------------------------------------------- requirement

    #[test]
    fn requirement_is_ceiled() {
        // 1.5 x: 19_339_474_688 * 1.5 = 29_009_212_032 exactly.
        assert_eq!(requirement(19_339_474_688, LEVEL_1_5), 29_009_212_032);
        // 1 * 1.5 = 1.5 -> 2; 3 * 1.5 = 4.5 -> 5; 2 * 1.5 = 3.
        assert_eq!(requirement(1, LEVEL_1_5), 2);
        assert_eq!(requirement(3, LEVEL_1_5), 5);
        assert_eq!(requirement(2, LEVEL_1_5), 3);
        // 1 x is the mm itself; 10 x is ten times; 1.000001 x on 1 uusd rounds up to 2.
        assert_eq!(requirement(909_379_688, LEVEL_1), 909_379_688);
        assert_eq!(requirement(909_379_688, 10_000_000), 9_093_796_880);
        assert_eq!(requirement(1, 1_000_001), 2);
        assert_eq!(requirement(0, 10_000_000), 0);
    }

    #[test]
    fn headroom_zero_is_solvent_one_uusd_less_is_not() {
        let params = example_params();
        // Alice's perp alone on hyperliquid: credit 1_350_337_500; portfolio mm: the worst
        // scenario is 15, 0.75 x 9450 = 7087.5 USD, plus the contingency 72_750_375:
        // 7_160_250_375. At 1.5 x: ceil(10_740_375_562.5) = 10_740_375_563.
        // Collateral needed for headroom 0: 10_740_375_563 - 1_350_337_500 = 9_390_038_063.
        // USDC on ethereum is worth floor(x * 1e8 * 990_000 / 1e17) = floor(99 x / 1e5):
        //   x = 9_484_886_932_324: 99 x = 939_003_806_300_076 -> 9_390_038_063.00076
        //   x = 9_484_886_932_323: 99 x = 939_003_806_299_977 -> 9_390_038_062.99977
        let book = |usdc| Book {
            balances: vec![vec![0, usdc]],
            positions: vec![vec![], vec![alice_perp()]],
        };
        let edge = evaluate(&params, &book(9_484_886_932_324), None, LEVEL_1_5).unwrap();
        assert_eq!(edge.mm, 7_160_250_375);
        assert_eq!(edge.collateral, 9_390_038_063);
        assert_eq!(edge.equity, 10_740_375_563);
        assert_eq!(edge.requirement, 10_740_375_563);
        assert_eq!(edge.headroom, 0);
        assert!(edge.solvent);
        let short = evaluate(&params, &book(9_484_886_932_323), None, LEVEL_1_5).unwrap();
        assert_eq!(short.collateral, 9_390_038_062);
        assert_eq!(short.headroom, -1);
        assert!(!short.solvent);
    }

    // ---------------------------------------------------------------- credit lines

    /// Alice's report at 1 x: headroom 155_841_061_625 (alice_in_the_design_example).
    const ALICE_HEADROOM: u128 = 155_841_061_625;

    fn alice_report() -> Report {
        let report = evaluate(&example_params(), &alice_book(), None, LEVEL_1).unwrap();
        assert_eq!(report.headroom, ALICE_HEADROOM as i128);
        report
    }

    #[test]
    fn lines_of_exactly_the_headroom_fit_with_nothing_left() {
        let report = alice_report();
        // No line leaves the whole headroom.
        assert_eq!(lines_fit(&report, &[]), Ok(ALICE_HEADROOM));
        assert_eq!(lines_fit(&report, &[0, 0]), Ok(ALICE_HEADROOM));
        // 100 USD at one venue: 155_841_061_625 - 100_000_000 = 155_741_061_625 left.
        assert_eq!(lines_fit(&report, &[100_000_000, 0]), Ok(155_741_061_625));
        // All of it at one venue, or split 155_841_061_000 + 625: nothing left.
        assert_eq!(lines_fit(&report, &[ALICE_HEADROOM]), Ok(0));
        assert_eq!(lines_fit(&report, &[0, ALICE_HEADROOM]), Ok(0));
        assert_eq!(lines_fit(&report, &[155_841_061_000, 625]), Ok(0));
    }

    #[test]
    fn one_uusd_over_the_headroom_is_over_by_one() {
        let report = alice_report();
        let over = Err(LinesError::OverHeadroom { by: 1 });
        assert_eq!(lines_fit(&report, &[ALICE_HEADROOM + 1]), over);
        assert_eq!(lines_fit(&report, &[155_841_061_000, 626]), over);
        assert_eq!(lines_fit(&report, &[1, ALICE_HEADROOM]), over);
        // About 1000 USD over, across four venues.
        let quarter = (ALICE_HEADROOM + 1_000_000_003) / 4; // 39_210_265_407 exactly
        assert_eq!(quarter * 4, ALICE_HEADROOM + 1_000_000_003);
        assert_eq!(
            lines_fit(&report, &[quarter; 4]),
            Err(LinesError::OverHeadroom { by: 1_000_000_003 })
        );
    }

    #[test]
    fn lines_against_zero_and_negative_headroom() {
        // The book of headroom_zero_is_solvent_one_uusd_less_is_not: headroom 0, then -1.
        let params = example_params();
        let book = |usdc| Book {
            balances: vec![vec![0, usdc]],
            positions: vec![vec![], vec![alice_perp()]],
        };
        let edge = evaluate(&params, &book(9_484_886_932_324), None, LEVEL_1_5).unwrap();
        assert_eq!(edge.headroom, 0);
        assert_eq!(lines_fit(&edge, &[]), Ok(0));
        assert_eq!(lines_fit(&edge, &[0, 0]), Ok(0));
        assert_eq!(
            lines_fit(&edge, &[0, 1]),
            Err(LinesError::OverHeadroom { by: 1 })
        );
        let short = evaluate(&params, &book(9_484_886_932_323), None, LEVEL_1_5).unwrap();
        assert_eq!(short.headroom, -1);
        // An insolvent book certifies nothing, not even zero lines: over by -headroom.
        assert_eq!(
            lines_fit(&short, &[]),
            Err(LinesError::OverHeadroom { by: 1 })
        );
        assert_eq!(
            lines_fit(&short, &[0, 0]),
            Err(LinesError::OverHeadroom { by: 1 })
        );
        // Lines of 5 uusd on headroom -1: 5 - (-1) = 6 over.
        assert_eq!(
            lines_fit(&short, &[2, 3]),
            Err(LinesError::OverHeadroom { by: 6 })
        );
    }

    #[test]
    fn a_line_of_2_pow_100_is_too_large() {
        let report = alice_report();
        let big: u128 = 1 << 100;
        assert_eq!(
            lines_fit(&report, &[big]),
            Err(LinesError::LineTooLarge(big))
        );
        assert_eq!(
            lines_fit(&report, &[0, big]),
            Err(LinesError::LineTooLarge(big))
        );
        // Too large wins over the headroom, and nothing overflows however large the line.
        assert_eq!(
            lines_fit(&report, &[u128::MAX, u128::MAX]),
            Err(LinesError::LineTooLarge(u128::MAX))
        );
        // 2^100 - 1 is a line (just far above Alice's headroom): 2^100 - 1 - 155_841_061_625.
        assert_eq!(
            lines_fit(&report, &[big - 1]),
            Err(LinesError::OverHeadroom {
                by: big - 1 - ALICE_HEADROOM
            })
        );
    }

    // ---------------------------------------------------------------- the example network

    #[test]
    fn alice_in_the_design_example() {
        let report = evaluate(&example_params(), &alice_book(), None, LEVEL_1).unwrap();
        // Collateral:
        //   ethereum BTC  1.5 * 97000.5 * 0.97  = 141135.7275 USD -> 141_135_727_500
        //   ethereum USDC 20000 * 1 * 0.99      =  19800      USD ->  19_800_000_000
        //   arbitrum BTC  0                                        ->               0
        //   arbitrum USDC 5000.25 * 1 * 0.988   =   4940.247  USD ->   4_940_247_000
        assert_eq!(
            report.chains,
            vec![
                ChainFigures {
                    collateral_by_asset: vec![141_135_727_500, 19_800_000_000],
                    collateral: 160_935_727_500,
                },
                ChainFigures {
                    collateral_by_asset: vec![0, 4_940_247_000],
                    collateral: 4_940_247_000,
                },
            ]
        );
        // 160_935_727_500 + 4_940_247_000 = 165_875_974_500.
        assert_eq!(report.collateral, 165_875_974_500);
        // Standard margin (version 2's rules, for comparison):
        // deribit: the short call, mm 18_430_095_000 (short_call_out_of_the_money).
        // hyperliquid: the perp, mm 909_379_688, credit 1_350_337_500 (perp tests above).
        assert_eq!(report.venues[DERIBIT].mm, 18_430_095_000);
        assert_eq!(report.venues[DERIBIT].slots[0].bucket, 0);
        assert_eq!(report.venues[HYPERLIQUID].mm, 909_379_688);
        assert_eq!(report.venues[HYPERLIQUID].upnl_credit, 1_350_337_500);
        assert_eq!(report.upnl_credit, 1_350_337_500);
        assert_eq!(report.upnl_debit, 0);
        // Standard: mm = 18_430_095_000 + 909_379_688 = 19_339_474_688.
        assert_eq!(report.standard_mm, 19_339_474_688);
        // The short call's mark is a liability: ceil(2e9 x 1200e12 / 1e15) = 2_400_000_000.
        assert_eq!(report.venues[DERIBIT].option_liability, 2_400_000_000);
        assert_eq!(
            (report.option_value, report.option_liability),
            (0, 2_400_000_000)
        );
        // equity = 165_875_974_500 + 1_350_337_500 - 2_400_000_000 = 164_826_312_000.
        assert_eq!(report.equity, 164_826_312_000);
        // Portfolio, per scenario T = 2 CALL_VECTOR - 0.75 PERP_VECTOR (USD):
        // 200, -200, 750, 350, 850, 650, 2500, 2100, 2300, 2100, 5250, 4850, 4150, 4050,
        // 8912.5, 6087.5: the worst is scenario 14 (+3 ranges at 35%), 8_912_500_000 uusd.
        let btc = &report.portfolio[BTC];
        assert_eq!(btc.worst_scenario, 14);
        assert_eq!(btc.scan, 8_912_500_000);
        assert_eq!(btc.losses[1].ceil_uusd(), -200_000_000);
        // som = ceil(5000 ppm x 2 x 97000.5 USD) = 970.005 USD; contingency = ceil(1000 ppm x
        // 0.75 x 97000.5) = 72.750375 USD.
        assert_eq!((btc.som, btc.contingency), (970_005_000, 72_750_375));
        assert_eq!(btc.mm, 8_985_250_375);
        assert!(btc.exposed);
        assert!(!report.portfolio[USDC].exposed);
        assert_eq!(report.portfolio[USDC].mm, 0);
        assert_eq!(report.mm, 8_985_250_375);
        assert_eq!(report.requirement, 8_985_250_375);
        // headroom = 164_826_312_000 - 8_985_250_375 = 155_841_061_625.
        assert_eq!(report.headroom, 155_841_061_625);
        assert!(report.solvent);
        assert_eq!(report.order, PositionTerms::default());
        assert_eq!(report.level_ppm, LEVEL_1);

        // At 1.5 x: requirement ceil(13_477_875_562.5) = 13_477_875_563; headroom
        // 164_826_312_000 - 13_477_875_563 = 151_348_436_437.
        let report = evaluate(&example_params(), &alice_book(), None, LEVEL_1_5).unwrap();
        assert_eq!(report.requirement, 13_477_875_563);
        assert_eq!(report.headroom, 151_348_436_437);

        // With a +1 BTC perp order on deribit: T = 2 CALL - 1.75 PERP, the worst is scenario
        // 15, -1000 + 16537.5 = 15537.5 USD; contingency ceil(1000 ppm x 1.75 x 97000.5) =
        // 169_750_875; mm 15_707_250_875; headroom 149_119_061_125. Standard: 20_309_479_688.
        let order = Order {
            venue: DERIBIT,
            position: perp(BTC, Side::Long, UNIT, 0),
        };
        let report = evaluate(&example_params(), &alice_book(), Some(&order), LEVEL_1).unwrap();
        assert_eq!(report.order.mm, 970_005_000);
        assert_eq!(report.standard_mm, 20_309_479_688);
        assert_eq!(report.mm, 15_707_250_875);
        assert_eq!(report.headroom, 149_119_061_125);
    }

    #[test]
    fn the_largest_values_fit() {
        // Every bound at its extreme: amounts 2^64 - 1, prices 2^48 - 1, no haircut, every
        // rate 1e6, level 1e7. The short call with strike 0 has the largest intermediate:
        // (1e6 + 1e6) * P + 1e6 * (P - 0) = 3e6 * (2^48 - 1), times 2^64 - 1: 2^133.52 < 2^134.
        let max_price = (1u64 << 48) - 1;
        let params = RiskParams {
            prices: vec![max_price, max_price],
            haircuts_ppm: vec![vec![0; 2]; 2],
            perp_mmr_ppm: vec![vec![PPM; 2]; 2],
            option_rate_ppm: vec![PPM; 2],
            buckets: vec![Bucket {
                max_seconds: u64::MAX,
                tau_ppm: vec![PPM; 2],
            }],
            upnl_haircut_ppm: 0,
            valid_from: 0,
            portfolio: vec![
                PortfolioRates {
                    scan_ppm: PPM,
                    som_ppm: PPM,
                    contingency_ppm: PPM,
                };
                2
            ],
            // Every instrument of the book and the order, marks and vectors at their bounds
            // (`check` would refuse the zero strikes; the engine does not need it to).
            risk_table: {
                let top = (1i64 << 62) - 1;
                let row = |kind, expiry, strike| RiskRow {
                    key: InstrumentKey {
                        underlying: 1,
                        kind,
                        expiry,
                        strike,
                    },
                    mark: if kind == Kind::Perp { 0 } else { top as u64 },
                    vector: [top; SCENARIOS],
                };
                RiskTable {
                    rows: vec![
                        row(Kind::Perp, 0, 0),
                        row(Kind::Call, 0, 0),
                        row(Kind::Call, u64::MAX, 0),
                        row(Kind::Put, u64::MAX, max_price),
                    ],
                }
            },
        };
        let slot = |kind, side, price, expiry| Position {
            kind,
            underlying: 1,
            side,
            size: u64::MAX,
            price,
            expiry,
        };
        let book = Book {
            balances: vec![vec![u64::MAX; 2]; 2],
            positions: vec![
                vec![
                    slot(Kind::Call, Side::Short, 0, u64::MAX),
                    slot(Kind::Put, Side::Short, max_price, u64::MAX),
                ],
                vec![
                    slot(Kind::Perp, Side::Long, 0, 0),
                    slot(Kind::Perp, Side::Short, max_price, 0),
                ],
            ],
        };
        let order = Order {
            venue: 0,
            position: slot(Kind::Call, Side::Short, 0, 0),
        };
        // inner = 3e6 * (2^48 - 1) = 844_424_930_131_965_000_000 < 2^70;
        // |q| * inner has 134 bits: the high half of the 256-bit product is below 2^6.
        let inner = 3 * PPM as u128 * max_price as u128;
        assert_eq!(inner, 844_424_930_131_965_000_000);
        let (high, _) = wide_mul(u64::MAX as u128, inner);
        assert!((1 << 5..1 << 6).contains(&high));
        let report = evaluate(&params, &book, Some(&order), 10_000_000).unwrap();
        // x * P = (2^64 - 1)(2^48 - 1) = 2^112 - 2^64 - 2^48 + 1
        //       = 5_192_296_858_534_809_181_504_947_642_957_825.
        // Short call: 3e6 * x * P / 1e17 = 3 * x * P / 1e11
        //   = 15_576_890_575_604_427_544_514_842_928_873_475 / 1e11
        //   = 155_768_905_756_044_275_445_148.42928873475 -> ceil ...149.
        assert_eq!(report.order.mm, 155_768_905_756_044_275_445_149);
        assert_eq!(
            report.venues[0].slots[0].mm,
            155_768_905_756_044_275_445_149
        );
        // Collateral, no haircut: x * P * 1e6 / 1e17 = x * P / 1e11
        //   = 51_922_968_585_348_091_815_049.47642957825 -> floor ...049, four times.
        assert_eq!(
            report.chains[0].collateral_by_asset,
            vec![51_922_968_585_348_091_815_049; 2]
        );
        assert_eq!(report.collateral, 4 * 51_922_968_585_348_091_815_049);
        // Long perp entered at 0, mmr 1e6: mm = ceil(x * P / 1e11) = ...050; its gain,
        // no upnl haircut, is floor(x * P / 1e11) = ...049.
        let long_perp = report.venues[1].slots[0];
        assert_eq!(long_perp.mm, 51_922_968_585_348_091_815_050);
        assert_eq!(long_perp.upnl_credit, 51_922_968_585_348_091_815_049);
        // Short perp entered at 2^48 - 1, the price: no pnl.
        assert_eq!(report.venues[1].slots[1].upnl_debit, 0);
        // Portfolio: three shorts and a long of 2^64 - 1 against vectors of 2^62 - 1: every
        // scenario loses 3 (2^64 - 1)(2^62 - 1) = 3 x 2^126 - ..., beyond an i128, kept exactly:
        // ceil(/ 1e15) = 255_211_775_190_703_847_528_356. som = ceil(3 x P) on 2^64 - 1 units
        // = 155_768_905_756_044_275_445_149 (the order's standard mm above); contingency on
        // two perps: 103_845_937_170_696_183_630_099.
        let m = &report.portfolio[1];
        assert_eq!(m.scan, 255_211_775_190_703_847_528_356);
        assert_eq!(m.som, 155_768_905_756_044_275_445_149);
        assert_eq!(m.contingency, 103_845_937_170_696_183_630_099);
        assert_eq!(report.mm, 359_057_712_361_400_031_158_455);
        // Each short option owes ceil((2^64 - 1)(2^62 - 1) / 1e15).
        assert_eq!(report.option_liability, 2 * 85_070_591_730_234_615_842_786);
        assert!(report.mm < 1 << 100);
        assert!(report.collateral < 1 << 100);
        assert_eq!(report.headroom, report.equity - report.requirement as i128);
    }

    #[test]
    fn products_beyond_u128_are_exact() {
        // The same extreme products through the public helpers.
        let x_p = u64::MAX as u128 * ((1u128 << 48) - 1);
        assert_eq!(x_p, 5_192_296_858_534_809_181_504_947_642_957_825);
        assert_eq!(
            collateral_value(u64::MAX, (1 << 48) - 1, 0),
            51_922_968_585_348_091_815_049
        );
        assert_eq!(
            mul_div_ceil(x_p, PPM as u128, VALUE_DIVISOR),
            51_922_968_585_348_091_815_050
        );
        // A haircut above 100% (refused by evaluate) is worth nothing rather than a panic.
        assert_eq!(collateral_value(u64::MAX, (1 << 48) - 1, u64::MAX), 0);
        // Small cases: 7 * 3 / 2 = 10.5 -> 10 and 11; 6 * 3 / 2 = 9 both ways.
        assert_eq!(mul_div_floor(7, 3, 2), 10);
        assert_eq!(mul_div_ceil(7, 3, 2), 11);
        assert_eq!(mul_div_floor(6, 3, 2), 9);
        assert_eq!(mul_div_ceil(6, 3, 2), 9);
        assert_eq!(mul_div_ceil(0, 3, 2), 0);
    }

    #[test]
    fn wide_mul_is_right() {
        // The test oracle itself: (2^128 - 1)^2 = 2^256 - 2^129 + 1 = (2^128 - 2) * 2^128 + 1.
        assert_eq!(wide_mul(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(wide_mul(1 << 64, 1 << 64), (1, 0));
        assert_eq!(wide_mul(1 << 127, 2), (1, 0));
        assert_eq!(wide_mul(12_345, 678), (0, 8_369_910));
        assert_eq!(
            wide_mul(u64::MAX as u128, u64::MAX as u128),
            (0, u64::MAX as u128 * u64::MAX as u128)
        );
    }

    // ---------------------------------------------------------------- properties

    /// Values biased towards the ends of their range.
    fn amount() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just(u64::MAX),
            Just(1),
            any::<u64>(),
            0..1u64 << 40
        ]
    }

    fn price() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0),
            Just((1u64 << 48) - 1),
            0..1u64 << 48,
            0..1u64 << 20
        ]
    }

    fn ppm() -> impl Strategy<Value = u64> {
        prop_oneof![Just(0), Just(PPM), 0..=PPM]
    }

    const ASSETS: usize = 3;
    const CHAINS: usize = 2;
    const VENUES: usize = 2;
    const SLOTS: usize = 3;

    fn params_strategy() -> impl Strategy<Value = RiskParams> {
        (
            prop::collection::vec(price(), ASSETS),
            prop::collection::vec(prop::collection::vec(ppm(), CHAINS), ASSETS),
            prop::collection::vec(prop::collection::vec(ppm(), ASSETS), VENUES),
            prop::collection::vec(ppm(), ASSETS),
            (0..1u64 << 20, 0..1u64 << 30),
            prop::collection::vec(prop::collection::vec(ppm(), ASSETS), 2),
            ppm(),
            0..1u64 << 39,
        )
            .prop_map(
                |(prices, haircuts, mmr, rate, (b0, gap), taus, upnl, valid_from)| RiskParams {
                    prices,
                    haircuts_ppm: haircuts,
                    perp_mmr_ppm: mmr,
                    option_rate_ppm: rate,
                    buckets: vec![
                        Bucket {
                            max_seconds: b0,
                            tau_ppm: taus[0].clone(),
                        },
                        Bucket {
                            max_seconds: b0 + gap,
                            tau_ppm: taus[1].clone(),
                        },
                    ],
                    upnl_haircut_ppm: upnl,
                    valid_from,
                    portfolio: vec![PortfolioRates::default(); ASSETS],
                    risk_table: RiskTable::default(),
                },
            )
    }

    /// Portfolio rates per asset.
    fn portfolio_strategy() -> impl Strategy<Value = Vec<PortfolioRates>> {
        prop::collection::vec(
            (ppm(), ppm(), ppm()).prop_map(|(scan_ppm, som_ppm, contingency_ppm)| PortfolioRates {
                scan_ppm,
                som_ppm,
                contingency_ppm,
            }),
            ASSETS,
        )
    }

    /// Marks and vectors for a table's rows: entries within `2^55` so that the oracle's
    /// scenario sums (7 positions of `2^64 2^55`) fit an `i128`; the exact sums beyond it have
    /// their own test in `portfolio`.
    fn rows_material() -> impl Strategy<Value = Vec<(u64, [i64; SCENARIOS])>> {
        let entry = prop_oneof![
            Just(0i64),
            Just((1 << 55) - 1),
            Just(-(1 << 55) + 1),
            -(1i64 << 55)..1 << 55
        ];
        prop::collection::vec(
            (0..1u64 << 62, prop::array::uniform16(entry)),
            VENUES * SLOTS + 1,
        )
    }

    /// The table listing every instrument of `positions`, in key order, with `material`.
    fn table_for<'p>(
        positions: impl Iterator<Item = &'p Position>,
        material: &[(u64, [i64; SCENARIOS])],
    ) -> RiskTable {
        let mut keys: Vec<InstrumentKey> = positions.filter_map(InstrumentKey::of).collect();
        keys.sort();
        keys.dedup();
        RiskTable {
            rows: keys
                .into_iter()
                .zip(material)
                .map(|(key, &(mark, vector))| RiskRow {
                    key,
                    mark: if key.kind == Kind::Perp { 0 } else { mark },
                    vector,
                })
                .collect(),
        }
    }

    /// A raw slot: kind code, underlying, short?, size, price, tte seed.
    type RawSlot = (u64, usize, bool, u64, u64, u64);

    fn raw_slot() -> impl Strategy<Value = RawSlot> {
        (
            0..4u64,
            0..ASSETS,
            any::<bool>(),
            amount(),
            price(),
            any::<u64>(),
        )
    }

    /// Turns a raw slot into a well-formed one: an option's expiry falls in a bucket.
    fn slot(params: &RiskParams, raw: RawSlot) -> Position {
        let (code, underlying, short, size, price, seed) = raw;
        let kind = Kind::from_code(code).unwrap();
        if kind == Kind::Empty {
            return Position::EMPTY;
        }
        let last = params.buckets.last().unwrap().max_seconds;
        // Hit the bucket edges often.
        let tte = match seed % 4 {
            0 => params.buckets[0].max_seconds,
            1 => (params.buckets[0].max_seconds + 1).min(last),
            2 => last,
            _ => (seed / 4) % (last + 1),
        };
        Position {
            kind,
            underlying,
            side: if short { Side::Short } else { Side::Long },
            size,
            price,
            expiry: if kind.is_option() {
                params.valid_from + tte
            } else {
                0
            },
        }
    }

    /// The full 256-bit product `a * b` as `(high, low)` 128-bit halves, from 64-bit limbs;
    /// tuples compare in the right order. The test oracle for products beyond `u128`.
    fn wide_mul(a: u128, b: u128) -> (u128, u128) {
        const MASK: u128 = u64::MAX as u128;
        let (a1, a0) = (a >> 64, a & MASK);
        let (b1, b0) = (b >> 64, b & MASK);
        let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
        // Below 3 * 2^64: no overflow.
        let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
        let low = (p00 & MASK) | ((mid & MASK) << 64);
        let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
        (high, low)
    }

    /// `q = ceil(a * b / d)`, checked by bracketing in 256 bits: `q d >= a b > (q - 1) d`.
    fn is_ceil(q: u128, a: u128, b: u128, d: u128) -> bool {
        let n = wide_mul(a, b);
        wide_mul(q, d) >= n && (q == 0 || wide_mul(q - 1, d) < n)
    }

    /// `q = floor(a * b / d)`, checked by bracketing in 256 bits: `q d <= a b < (q + 1) d`.
    fn is_floor(q: u128, a: u128, b: u128, d: u128) -> bool {
        let n = wide_mul(a, b);
        wide_mul(q, d) <= n && n < wide_mul(q + 1, d)
    }

    /// `a * b < 2^134`: the high half of the product is below `2^6`.
    fn below_2_134(a: u128, b: u128) -> bool {
        wide_mul(a, b).0 < 1 << 6
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn evaluate_is_total_and_consistent_within_the_bounds(
            params in params_strategy(),
            portfolio in portfolio_strategy(),
            material in rows_material(),
            balances in prop::collection::vec(prop::collection::vec(amount(), ASSETS), CHAINS),
            raw in prop::collection::vec(prop::collection::vec(raw_slot(), SLOTS), VENUES),
            order in prop::option::of((0..VENUES, raw_slot())),
            level in prop_oneof![Just(MIN_LEVEL_PPM), Just(MAX_LEVEL_PPM), MIN_LEVEL_PPM..=MAX_LEVEL_PPM],
        ) {
            let positions: Vec<Vec<Position>> = raw
                .iter()
                .map(|slots| slots.iter().map(|&r| slot(&params, r)).collect())
                .collect();
            let book = Book { balances, positions };
            let order = order.map(|(venue, r)| Order { venue, position: slot(&params, r) });
            let order_position = order.map(|o| order_position(&params, &o).unwrap());
            let held: Vec<Position> =
                book.positions.iter().flatten().chain(order_position.iter()).copied().collect();
            let params = RiskParams {
                portfolio,
                risk_table: table_for(held.iter(), &material),
                ..params
            };
            let report = evaluate(&params, &book, order.as_ref(), level).unwrap();

            // The totals.
            let equity = report.collateral as i128 + report.upnl_credit as i128
                - report.upnl_debit as i128 + report.option_value as i128
                - report.option_liability as i128;
            prop_assert_eq!(report.equity, equity);
            prop_assert_eq!(report.headroom, report.equity - report.requirement as i128);
            prop_assert_eq!(report.solvent, report.headroom >= 0);
            prop_assert_eq!(report.solvent, report.equity >= report.requirement as i128);
            prop_assert_eq!(report.level_ppm, level);
            prop_assert!(is_ceil(report.requirement, report.mm, level as u128, PPM as u128));
            prop_assert_eq!(
                report.collateral,
                report.chains.iter().map(|c| c.collateral).sum::<u128>()
            );
            prop_assert_eq!(
                report.standard_mm,
                report.venues.iter().map(|v| v.mm).sum::<u128>() + report.order.mm
            );
            prop_assert_eq!(report.mm, report.portfolio.iter().map(|m| m.mm).sum::<u128>());

            // The portfolio margin of each underlying, recomputed from the rules: every
            // position of every venue (and the order) on it, netted.
            for (a, m) in report.portfolio.iter().enumerate() {
                let mut totals = [0i128; SCENARIOS];
                let (mut short_options, mut perps) = (0u128, 0u128);
                for p in held.iter().filter(|p| p.kind != Kind::Empty && p.underlying == a) {
                    let row = params.risk_table.row(&InstrumentKey::of(p).unwrap()).unwrap();
                    for (t, v) in totals.iter_mut().zip(row.vector) {
                        *t -= p.signed_size() * v as i128;
                    }
                    match (p.kind, p.side) {
                        (Kind::Perp, _) => perps += p.size as u128,
                        (_, Side::Short) => short_options += p.size as u128,
                        _ => {}
                    }
                }
                let worst = *totals.iter().max().unwrap();
                prop_assert_eq!(totals[m.worst_scenario], worst);
                let d = SCAN_DIVISOR as i128;
                let scan = if worst <= 0 { 0 } else { ((worst + d - 1) / d) as u128 };
                prop_assert_eq!(m.scan, scan);
                let price = params.prices[a] as u128;
                let rates = &params.portfolio[a];
                prop_assert!(is_ceil(m.som, short_options * price, rates.som_ppm as u128, VALUE_DIVISOR));
                prop_assert!(is_ceil(m.contingency, perps * price, rates.contingency_ppm as u128, VALUE_DIVISOR));
                prop_assert_eq!(m.mm, m.scan.max(m.som) + m.contingency);
            }
            prop_assert_eq!(
                report.upnl_credit,
                report.venues.iter().map(|v| v.upnl_credit).sum::<u128>()
            );
            prop_assert_eq!(
                report.upnl_debit,
                report.venues.iter().map(|v| v.upnl_debit).sum::<u128>()
            );
            prop_assert_eq!((report.order.upnl_credit, report.order.upnl_debit), (0, 0));
            for bound in [report.collateral, report.mm, report.requirement] {
                prop_assert!(bound < 1 << 100);
            }

            // Each collateral term is the floor, computed here with checked arithmetic.
            for (c, chain) in report.chains.iter().enumerate() {
                prop_assert_eq!(
                    chain.collateral,
                    chain.collateral_by_asset.iter().sum::<u128>()
                );
                for (a, &value) in chain.collateral_by_asset.iter().enumerate() {
                    let x_p = book.balances[c][a] as u128 * params.prices[a] as u128;
                    let keep = (PPM - params.haircuts_ppm[a][c]) as u128;
                    prop_assert!(below_2_134(x_p, keep));
                    prop_assert!(is_floor(value, x_p, keep, VALUE_DIVISOR));
                }
            }

            // Each slot's terms are the right ceilings and floors, and the largest
            // intermediate stays below 2^134.
            let mut slots: Vec<(usize, Position, PositionTerms, bool)> = Vec::new();
            for (v, venue) in report.venues.iter().enumerate() {
                prop_assert_eq!(venue.slots.len(), book.positions[v].len());
                for (p, t) in book.positions[v].iter().zip(&venue.slots) {
                    slots.push((v, *p, *t, false));
                }
            }
            if let Some(order) = &order {
                let mut p = order.position;
                if p.kind == Kind::Perp {
                    p.price = params.prices[p.underlying];
                }
                slots.push((order.venue, p, report.order, true));
            }
            for (v, p, t, is_order) in slots {
                let a = p.underlying;
                let price = params.prices[a] as u128;
                let size = p.size as u128;
                match p.kind {
                    Kind::Empty => prop_assert_eq!(t, PositionTerms::default()),
                    Kind::Perp => {
                        let mmr = params.perp_mmr_ppm[v][a] as u128;
                        prop_assert!(below_2_134(size * price, mmr));
                        prop_assert!(is_ceil(t.mm, size * price, mmr, VALUE_DIVISOR));
                        // pnl = q (P - E), signed, |pnl| < 2^112.
                        let pnl = p.signed_size() * (price as i128 - p.price as i128);
                        if pnl >= 0 {
                            let keep = (PPM - params.upnl_haircut_ppm) as u128;
                            prop_assert!(is_floor(t.upnl_credit, pnl as u128, keep, VALUE_DIVISOR));
                            prop_assert_eq!(t.upnl_debit, 0);
                        } else {
                            prop_assert!(is_ceil(t.upnl_debit, pnl.unsigned_abs(), 1, PNL_DIVISOR));
                            prop_assert_eq!(t.upnl_credit, 0);
                        }
                    }
                    Kind::Call | Kind::Put => {
                        // The option's mark in equity (the order moves none).
                        let mark = params.risk_table.row(&InstrumentKey::of(&p).unwrap()).unwrap().mark;
                        let q_mark = size * mark as u128;
                        let keep = (PPM - params.upnl_haircut_ppm) as u128;
                        match (p.side, is_order) {
                            (_, true) => prop_assert_eq!((t.option_value, t.option_liability), (0, 0)),
                            (Side::Long, _) => {
                                prop_assert!(is_floor(t.option_value, q_mark, keep, OPTION_VALUE_DIVISOR));
                                prop_assert_eq!(t.option_liability, 0);
                            }
                            (Side::Short, _) => {
                                prop_assert!(is_ceil(t.option_liability, q_mark, 1, SCAN_DIVISOR));
                                prop_assert_eq!(t.option_value, 0);
                            }
                        }
                        let tte = p.expiry - params.valid_from;
                        let b = t.bucket;
                        prop_assert!(tte <= params.buckets[b].max_seconds);
                        prop_assert!(b == 0 || tte > params.buckets[b - 1].max_seconds);
                        prop_assert_eq!((t.upnl_credit, t.upnl_debit), (0, 0));
                        if p.side == Side::Long {
                            prop_assert_eq!(t.mm, 0);
                        } else {
                            let rate = (params.option_rate_ppm[a]
                                + params.buckets[b].tau_ppm[a]) as u128;
                            let intrinsic = if p.kind == Kind::Call {
                                price.saturating_sub(p.price as u128)
                            } else {
                                (p.price as u128).saturating_sub(price)
                            };
                            let inner = rate * price + PPM as u128 * intrinsic;
                            prop_assert!(inner < 1 << 70);
                            // The largest intermediate: |q| * inner < 2^134.
                            prop_assert!(below_2_134(size, inner));
                            prop_assert!(is_ceil(t.mm, size, inner, VALUE_DIVISOR));
                        }
                    }
                }
            }
        }

        #[test]
        fn mul_div_matches_the_256_bit_oracle(
            a in prop_oneof![Just(u128::MAX >> 16), any::<u128>().prop_map(|v| v >> 16), 0..1u128 << 70],
            b in prop_oneof![Just(0u128), Just(PPM as u128), 0..1u128 << 71],
        ) {
            // a < 2^112 and b < 2^71: the bounds every call in the engine keeps.
            let a = a.min((u64::MAX as u128 * u64::MAX as u128) >> 16);
            let floor = mul_div_floor(a, b, VALUE_DIVISOR);
            let ceil = mul_div_ceil(a, b, VALUE_DIVISOR);
            prop_assert!(is_floor(floor, a, b, VALUE_DIVISOR));
            prop_assert!(is_ceil(ceil, a, b, VALUE_DIVISOR));
            prop_assert!(ceil - floor <= 1);
        }

        #[test]
        fn more_collateral_never_lowers_headroom(
            params in params_strategy(),
            chain in 0..CHAINS,
            asset in 0..ASSETS,
            base in 0..1u64 << 62,
            extra in 0..1u64 << 62,
            level in MIN_LEVEL_PPM..=MAX_LEVEL_PPM,
        ) {
            let mut balances = vec![vec![0; ASSETS]; CHAINS];
            balances[chain][asset] = base;
            let low = evaluate(&params, &Book { balances: balances.clone(), positions: vec![] }, None, level).unwrap();
            balances[chain][asset] = base + extra;
            let high = evaluate(&params, &Book { balances, positions: vec![] }, None, level).unwrap();
            prop_assert!(high.headroom >= low.headroom);
        }
    }
}
