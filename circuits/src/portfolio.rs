//! Portfolio margin (statement version 3): the publisher's risk table and the margin of a whole
//! book, netted across every venue, under its sixteen scenarios.
//!
//! The publisher publishes, for every instrument listed at any venue in the epoch, one row of
//! the risk table (SPAN's risk array): the instrument's key, its `mark` (the value of one unit
//! long, pUSD = 1e-12 USD) and its `vector` (the profit and loss of one unit long in each of
//! [`SCENARIOS`] scenarios, pUSD, already multiplied by the scenario's cover). The rows are the
//! leaves of a Poseidon Merkle tree whose root is a public input (`hash::risk_leaf`). This
//! module defines the table, its checks, and the margin rules over it, in plain integers:
//!
//! ```text
//! T[a][s] = sum over positions j on underlying a of  -q_j * vector_j[s]     (e9 x pUSD)
//! scan[a] = max(0, max over s of ceil(T[a][s] / 1e15))                       uusd
//! som[a]  = ceil(som_ppm[a] * sum over short options on a of |q| P_a / 1e17)
//! cont[a] = ceil(contingency_ppm[a] * sum over perpetuals on a of |q| P_a / 1e17)
//! mm[a]   = max(scan[a], som[a]) + cont[a];   mm = sum over a of mm[a]
//! long option:  + floor(q mark (1e6 - upnl_haircut) / 1e21)  in equity
//! short option: - ceil(|q| mark / 1e15)                       in equity
//! ```
//!
//! Bounds, each checked where the table is read ([`RiskTable::check`]) and range-checked in the
//! circuit (`gadgets::portfolio`): `0 <= mark < 2^62`, `|vector[s]| < 2^62`, `|q| < 2^64`. So
//! one position's `|q vector[s]| < 2^126`, and a sum over at most 512 slots stays below
//! `2^135`: more than an `i128` holds, so a scenario total is kept exactly as
//! `units * 1e15 + rest` ([`ScenarioTotal`]), never as one wide integer.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::muldiv::{mul_div_ceil, mul_div_floor};
pub use crate::position::InstrumentKey;
use crate::position::{Kind, MarginError, Position, Side};
use crate::units::{PPM, PRICE_BITS, TIME_BITS, VALUE_DIVISOR};

/// Scenarios per row (SPAN's sixteen).
pub const SCENARIOS: usize = 16;
/// A vector entry is `|v| < 2^62` pUSD.
pub const VECTOR_BITS: u32 = 62;
/// A mark is `0 <= mark < 2^62` pUSD.
pub const MARK_BITS: u32 = 62;
/// `e9 x pUSD` (1e-21 USD) to uusd (1e-6 USD).
pub const SCAN_DIVISOR: u128 = 1_000_000_000_000_000;
/// `e9 x pUSD x ppm` to uusd: `1e21 x 1e6 / 1e6`. Reached as `1e17` then `1e4` (both floors),
/// since `floor(floor(x / a) / b) = floor(x / (a b))` for positive integers.
pub const OPTION_VALUE_DIVISOR: u128 = 1_000_000_000_000_000_000_000;

/// What one scenario does to the underlying: a spot move in thirds of the scan range, a vol
/// shock, and the cover (ppm) the scenario's profit and loss is multiplied by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// The spot move, in thirds of the asset's scan range `r_a` (`-9..=9`).
    pub thirds: i64,
    pub vol: VolShock,
    /// 1e6 = 100%.
    pub cover_ppm: u64,
}

/// The implied volatility in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VolShock {
    Up,
    Down,
    Unchanged,
}

/// SPAN's sixteen scenarios in DESIGN.md's order: within a row `+` before `-`, `up` before
/// `down`; the extreme moves of three scan ranges are covered at 35%.
pub const SCENARIO_GRID: [Scenario; SCENARIOS] = {
    const fn s(thirds: i64, vol: VolShock, cover_ppm: u64) -> Scenario {
        Scenario {
            thirds,
            vol,
            cover_ppm,
        }
    }
    use VolShock::{Down, Unchanged, Up};
    const FULL: u64 = 1_000_000;
    const EXTREME: u64 = 350_000;
    [
        s(0, Up, FULL),
        s(0, Down, FULL),
        s(1, Up, FULL),
        s(1, Down, FULL),
        s(-1, Up, FULL),
        s(-1, Down, FULL),
        s(2, Up, FULL),
        s(2, Down, FULL),
        s(-2, Up, FULL),
        s(-2, Down, FULL),
        s(3, Up, FULL),
        s(3, Down, FULL),
        s(-3, Up, FULL),
        s(-3, Down, FULL),
        s(9, Unchanged, EXTREME),
        s(-9, Unchanged, EXTREME),
    ]
};

impl Scenario {
    /// A short label: `+1/3 up`, `-3 (35%)`, ...
    pub fn label(&self) -> String {
        let moved = match self.thirds {
            0 => "0".to_string(),
            t if t % 3 == 0 => format!("{:+}", t / 3),
            t => format!("{:+}/3", t),
        };
        match self.vol {
            VolShock::Up => format!("{moved} up"),
            VolShock::Down => format!("{moved} down"),
            VolShock::Unchanged => format!("{moved} ({}%)", self.cover_ppm / 10_000),
        }
    }
}

/// One row of the risk table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRow {
    pub key: InstrumentKey,
    /// The value of one unit long, pUSD, `< 2^62` (0 for a perpetual).
    pub mark: u64,
    /// The profit and loss of one unit long in each scenario, pUSD, `|v| < 2^62`.
    pub vector: [i64; SCENARIOS],
}

/// Why a risk table cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RiskTableError {
    #[error(
        "the table has {rows} rows, more than the {capacity} leaves of a tree of depth {depth}"
    )]
    TooManyRows {
        rows: usize,
        capacity: u64,
        depth: usize,
    },
    #[error("row {row}: {what}")]
    BadRow { row: usize, what: String },
    #[error("row {row}: its key is not after row {previous}'s (keys must be strictly increasing: underlying, kind, expiry, strike)")]
    OutOfOrder { row: usize, previous: usize },
}

/// The publisher's risk table: rows in leaf order, keys strictly increasing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskTable {
    pub rows: Vec<RiskRow>,
}

impl RiskTable {
    /// Checks what the circuit and the engine rely on: at most `2^depth` rows; keys strictly
    /// increasing (so no instrument has two rows a prover could choose between); every row a
    /// perpetual or an option on one of the `asset_count` listed assets; a perpetual's strike,
    /// expiry and mark 0; an option's strike in `(0, 2^48)` and expiry in `(0, 2^40)`; marks
    /// and vector entries within [`MARK_BITS`] and [`VECTOR_BITS`].
    pub fn check(&self, depth: usize, asset_count: usize) -> Result<(), RiskTableError> {
        let capacity = 1u64 << depth;
        if self.rows.len() as u64 > capacity {
            return Err(RiskTableError::TooManyRows {
                rows: self.rows.len(),
                capacity,
                depth,
            });
        }
        for (i, row) in self.rows.iter().enumerate() {
            let bad = |what: String| RiskTableError::BadRow { row: i, what };
            let key = &row.key;
            if key.underlying >= asset_count {
                return Err(bad(format!(
                    "underlying {} is not a listed asset",
                    key.underlying
                )));
            }
            match key.kind {
                Kind::Empty => return Err(bad("an empty instrument".into())),
                Kind::Perp => {
                    if key.strike != 0 || key.expiry != 0 || row.mark != 0 {
                        return Err(bad(
                            "a perpetual has no strike, no expiry and a mark of 0".into()
                        ));
                    }
                }
                Kind::Call | Kind::Put => {
                    if key.strike == 0 || key.strike >> PRICE_BITS != 0 {
                        return Err(bad(format!("strike {} is not in (0, 2^48)", key.strike)));
                    }
                    if key.expiry == 0 || key.expiry >> TIME_BITS != 0 {
                        return Err(bad(format!("expiry {} is not in (0, 2^40)", key.expiry)));
                    }
                }
            }
            if row.mark >> MARK_BITS != 0 {
                return Err(bad(format!("mark {} is not below 2^62", row.mark)));
            }
            if let Some(s) = row
                .vector
                .iter()
                .position(|v| v.unsigned_abs() >> VECTOR_BITS != 0)
            {
                return Err(bad(format!(
                    "scenario {s}: {} is not within +-2^62",
                    row.vector[s]
                )));
            }
            if i > 0 && self.rows[i - 1].key >= *key {
                return Err(RiskTableError::OutOfOrder {
                    row: i,
                    previous: i - 1,
                });
            }
        }
        Ok(())
    }

    /// The index of an instrument's row (the table's keys are sorted: [`RiskTable::check`]).
    pub fn find(&self, key: &InstrumentKey) -> Option<usize> {
        self.rows.binary_search_by(|row| row.key.cmp(key)).ok()
    }

    /// The row of an instrument.
    pub fn row(&self, key: &InstrumentKey) -> Option<&RiskRow> {
        self.find(key).map(|i| &self.rows[i])
    }
}

/// An asset's portfolio-margin rates, ppm: the scan range the vectors were computed with, the
/// short-option minimum and the contingency on perpetuals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioRates {
    pub scan_ppm: u64,
    pub som_ppm: u64,
    pub contingency_ppm: u64,
}

/// A scenario total `T = units * 1e15 + rest` with `0 <= rest < 1e15`, exact for every sum of
/// at most `2^60` products below `2^126` (`units` stays below `2^127 / 1e15`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioTotal {
    pub units: i128,
    pub rest: i128,
}

impl ScenarioTotal {
    const D: i128 = SCAN_DIVISOR as i128;

    /// Adds one product `x` (`|x| < 2^127`).
    pub fn add(&mut self, x: i128) {
        self.units += x.div_euclid(Self::D);
        self.rest += x.rem_euclid(Self::D);
        self.units += self.rest / Self::D;
        self.rest %= Self::D;
    }

    /// `ceil(T / 1e15)`: the loss of this scenario in uusd (negative for a gain).
    pub fn ceil_uusd(&self) -> i128 {
        self.units + (self.rest > 0) as i128
    }

    /// `floor(T / 1e15)`.
    pub fn floor_uusd(&self) -> i128 {
        self.units
    }
}

impl PartialOrd for ScenarioTotal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ScenarioTotal {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.units, self.rest).cmp(&(other.units, other.rest))
    }
}

/// One position's scenario losses: `-q vector[s]` (e9 x pUSD); `|q v| < 2^64 2^62 = 2^126`.
pub fn position_losses(position: &Position, row: &RiskRow) -> [i128; SCENARIOS] {
    let q = position.signed_size();
    row.vector.map(|v| -q * v as i128)
}

/// The margin of one underlying, uusd.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnderlyingMargin {
    /// `T[a][s]`: the book's loss in each scenario (e9 x pUSD), exact.
    pub losses: [ScenarioTotal; SCENARIOS],
    /// The scenario with the largest loss (the first, on a tie).
    pub worst_scenario: usize,
    /// `max(0, max_s ceil(T[a][s] / 1e15))`.
    pub scan: u128,
    /// The short-option minimum.
    pub som: u128,
    /// The contingency on gross perpetual notional.
    pub contingency: u128,
    /// `max(scan, som) + contingency`.
    pub mm: u128,
    /// Sum of `|q|` of short options on this underlying (e9).
    pub short_option_size: u128,
    /// Sum of `|q|` of perpetuals on this underlying (e9).
    pub perp_size: u128,
    /// Whether any position (or the order) is on this underlying.
    pub exposed: bool,
}

impl UnderlyingMargin {
    /// Adds one position whose row is `row`.
    pub fn add(&mut self, position: &Position, row: &RiskRow) {
        self.exposed = true;
        for (total, loss) in self.losses.iter_mut().zip(position_losses(position, row)) {
            total.add(loss);
        }
        let size = position.size as u128;
        match (position.kind, position.side) {
            (Kind::Perp, _) => self.perp_size += size,
            (Kind::Call | Kind::Put, Side::Short) => self.short_option_size += size,
            _ => {}
        }
    }

    /// Computes `scan`, `som`, `contingency`, `mm` and the worst scenario from the sums, at
    /// price `price` (e8) and `rates`. `size * price < 2^73 2^48` fits a `u128`, and
    /// `mul_div_ceil` never forms the product with the rate.
    pub fn finish(&mut self, price: u64, rates: &PortfolioRates) {
        let (worst, largest) =
            self.losses
                .iter()
                .enumerate()
                .fold((0, self.losses[0]), |(w, max), (s, t)| {
                    if *t > max {
                        (s, *t)
                    } else {
                        (w, max)
                    }
                });
        self.worst_scenario = worst;
        self.scan = largest.ceil_uusd().max(0) as u128;
        let notional = |size: u128| size * price as u128;
        self.som = mul_div_ceil(
            notional(self.short_option_size),
            rates.som_ppm as u128,
            VALUE_DIVISOR,
        );
        self.contingency = mul_div_ceil(
            notional(self.perp_size),
            rates.contingency_ppm as u128,
            VALUE_DIVISOR,
        );
        self.mm = self.scan.max(self.som) + self.contingency;
    }
}

/// A long option's value in equity: `floor(q mark (1e6 - upnl_haircut) / 1e21)`, uusd.
/// `q mark < 2^126` fits a `u128`; the division is a floor by 1e17 then by 1e4.
pub fn long_option_value(size: u64, mark: u64, upnl_haircut_ppm: u64) -> u128 {
    let q_mark = size as u128 * mark as u128;
    mul_div_floor(
        q_mark,
        PPM.saturating_sub(upnl_haircut_ppm) as u128,
        VALUE_DIVISOR,
    ) / (OPTION_VALUE_DIVISOR / VALUE_DIVISOR)
}

/// A short option's liability in equity: `ceil(|q| mark / 1e15)`, uusd.
pub fn short_option_liability(size: u64, mark: u64) -> u128 {
    (size as u128 * mark as u128).div_ceil(SCAN_DIVISOR)
}

/// The row of a position's instrument, or the error naming it.
pub fn row_of<'t>(
    table: &'t RiskTable,
    position: &Position,
) -> Result<Option<&'t RiskRow>, MarginError> {
    match InstrumentKey::of(position) {
        None => Ok(None),
        Some(key) => table
            .row(&key)
            .map(Some)
            .ok_or(MarginError::NotInRiskTable(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E9: u64 = 1_000_000_000;

    fn perp_row(underlying: usize, vector: [i64; SCENARIOS]) -> RiskRow {
        RiskRow {
            key: InstrumentKey::perp(underlying),
            mark: 0,
            vector,
        }
    }

    fn position(kind: Kind, side: Side, size: u64, price: u64, expiry: u64) -> Position {
        Position {
            kind,
            underlying: 0,
            side,
            size,
            price,
            expiry,
        }
    }

    #[test]
    fn the_grid_is_designs_order() {
        let labels: Vec<String> = SCENARIO_GRID.iter().map(|s| s.label()).collect();
        assert_eq!(labels[0], "0 up");
        assert_eq!(labels[1], "0 down");
        assert_eq!(labels[2], "+1/3 up");
        assert_eq!(labels[5], "-1/3 down");
        assert_eq!(labels[10], "+1 up");
        assert_eq!(labels[13], "-1 down");
        assert_eq!(labels[14], "+3 (35%)");
        assert_eq!(labels[15], "-3 (35%)");
    }

    #[test]
    fn scenario_totals_are_exact_beyond_i128() {
        // 512 products of -(2^126 - 1): the total is below -2^134, which no i128 holds.
        let x = -((1i128 << 126) - 1);
        let mut t = ScenarioTotal::default();
        for _ in 0..512 {
            t.add(x);
        }
        // T = 512 x = units 1e15 + rest; check by recombining in two halves.
        let d = SCAN_DIVISOR as i128;
        let half = {
            let mut h = ScenarioTotal::default();
            for _ in 0..256 {
                h.add(x);
            }
            h
        };
        assert_eq!(t.units, 2 * half.units + (2 * half.rest) / d);
        assert_eq!(t.rest, (2 * half.rest) % d);
        assert!(t.rest >= 0 && t.rest < d);
        // ceil of a negative total: -2.5 units -> -2; floor -> -3.
        let mut t = ScenarioTotal::default();
        t.add(-5 * d / 2);
        assert_eq!((t.ceil_uusd(), t.floor_uusd()), (-2, -3));
        let mut t = ScenarioTotal::default();
        t.add(5 * d / 2);
        assert_eq!((t.ceil_uusd(), t.floor_uusd()), (3, 2));
        let mut t = ScenarioTotal::default();
        t.add(3 * d);
        assert_eq!((t.ceil_uusd(), t.floor_uusd()), (3, 3));
        // Order: -1 < 0 < 1 (units, rest).
        let (mut a, mut b) = (ScenarioTotal::default(), ScenarioTotal::default());
        a.add(-1);
        b.add(1);
        assert!(a < ScenarioTotal::default() && ScenarioTotal::default() < b);
    }

    #[test]
    fn opposite_perpetuals_net_to_nothing_but_the_contingency() {
        // Long 1 BTC at one venue, short 1 at another: every scenario's loss is 0.
        let mut vector = [0i64; SCENARIOS];
        for (s, v) in vector.iter_mut().enumerate() {
            *v = (s as i64 - 8) * 1_000_000_000_000;
        }
        let row = perp_row(0, vector);
        let mut m = UnderlyingMargin::default();
        m.add(
            &position(Kind::Perp, Side::Long, E9, 9_000_000_000_000, 0),
            &row,
        );
        m.add(
            &position(Kind::Perp, Side::Short, E9, 9_100_000_000_000, 0),
            &row,
        );
        let rates = PortfolioRates {
            scan_ppm: 100_000,
            som_ppm: 0,
            contingency_ppm: 1_000,
        };
        // P = 100000 USD: contingency = ceil(1000 ppm x 2 x 100000 USD) = 200 USD.
        m.finish(10_000_000_000_000, &rates);
        assert_eq!(m.scan, 0);
        assert_eq!(m.som, 0);
        assert_eq!(m.contingency, 200_000_000);
        assert_eq!(m.mm, 200_000_000);
        assert_eq!(m.perp_size, 2 * E9 as u128);
    }

    #[test]
    fn the_worst_scenario_sets_the_scan_and_a_gain_scans_zero() {
        // Long 2 units: vector[3] = -5e12 pUSD (a loss of 5 USD a unit) is the worst:
        // T[3] = -2e9 x -5e12 = 1e22 -> 1e7 uusd.
        let mut vector = [1_000_000_000_000i64; SCENARIOS];
        vector[3] = -5_000_000_000_000;
        vector[9] = -4_000_000_000_000;
        let row = perp_row(0, vector);
        let mut m = UnderlyingMargin::default();
        m.add(&position(Kind::Perp, Side::Long, 2 * E9, 1, 0), &row);
        m.finish(1, &PortfolioRates::default());
        assert_eq!(m.worst_scenario, 3);
        assert_eq!(m.scan, 10_000_000);
        // Every scenario a gain: scan 0, the worst is still the least gain.
        let mut m = UnderlyingMargin::default();
        m.add(
            &position(Kind::Perp, Side::Long, 2 * E9, 1, 0),
            &perp_row(0, [1; SCENARIOS]),
        );
        m.finish(1, &PortfolioRates::default());
        assert_eq!(m.scan, 0);
        // A loss of one e9 x pUSD (1e-21 USD) is ceiled to one uusd.
        let mut m = UnderlyingMargin::default();
        m.add(
            &position(Kind::Perp, Side::Short, 1, 1, 0),
            &perp_row(0, [1; SCENARIOS]),
        );
        m.finish(1, &PortfolioRates::default());
        assert_eq!(m.scan, 1);
    }

    #[test]
    fn the_short_option_minimum_and_contingency_are_ceiled() {
        // Short 1 call at P = 100000 USD, som 5000 ppm: 1e9 x 1e13 x 5000 / 1e17 = 5e8 uusd.
        let mut m = UnderlyingMargin::default();
        let row = RiskRow {
            key: InstrumentKey {
                underlying: 0,
                kind: Kind::Call,
                expiry: 10,
                strike: 1,
            },
            mark: 0,
            vector: [0; SCENARIOS],
        };
        m.add(&position(Kind::Call, Side::Short, E9, 1, 10), &row);
        // A long option adds nothing to the minimum.
        m.add(&position(Kind::Call, Side::Long, E9, 1, 10), &row);
        let rates = PortfolioRates {
            scan_ppm: 0,
            som_ppm: 5_000,
            contingency_ppm: 7,
        };
        m.finish(10_000_000_000_000, &rates);
        assert_eq!(m.som, 500_000_000);
        assert_eq!(m.mm, 500_000_000);
        // One e9 unit at 1 e8 and 1 ppm: 1e-17 of a uusd -> ceil 1.
        let mut m = UnderlyingMargin::default();
        m.add(&position(Kind::Call, Side::Short, 1, 1, 10), &row);
        m.finish(
            1,
            &PortfolioRates {
                scan_ppm: 0,
                som_ppm: 1,
                contingency_ppm: 0,
            },
        );
        assert_eq!(m.som, 1);
    }

    #[test]
    fn option_values_round_against_the_trader() {
        // 1 unit long at a mark of 1500.25 USD, upnl haircut 10%: 1350.225 USD.
        let mark = 1_500_250_000_000_000u64;
        assert_eq!(long_option_value(E9, mark, 100_000), 1_350_225_000);
        assert_eq!(short_option_liability(E9, mark), 1_500_250_000);
        // One e9 unit at 1 pUSD: 1e-21 USD: the value floors to 0, the liability ceils to 1.
        assert_eq!(long_option_value(1, 1, 0), 0);
        assert_eq!(short_option_liability(1, 1), 1);
        // Exact: 1e15 e9 x pUSD is one uusd either way.
        assert_eq!(short_option_liability(1_000, 1_000_000_000_000), 1);
        assert_eq!(long_option_value(1_000, 1_000_000_000_000, 0), 1);
        // The largest: (2^64 - 1) (2^62 - 1) (1e6) does not overflow.
        let big = long_option_value(u64::MAX, (1 << 62) - 1, 0);
        assert_eq!(
            big,
            ((u64::MAX as u128) * ((1u128 << 62) - 1)) / SCAN_DIVISOR
        );
    }

    fn table() -> RiskTable {
        let call = |strike, expiry| RiskRow {
            key: InstrumentKey {
                underlying: 0,
                kind: Kind::Call,
                expiry,
                strike,
            },
            mark: 5,
            vector: [0; SCENARIOS],
        };
        RiskTable {
            rows: vec![
                perp_row(0, [0; SCENARIOS]),
                call(7, 100),
                call(9, 100),
                call(7, 200),
            ],
        }
    }

    #[test]
    fn a_table_in_order_passes_and_finds_its_rows() {
        let t = table();
        t.check(2, 1).unwrap();
        let key = InstrumentKey {
            underlying: 0,
            kind: Kind::Call,
            expiry: 100,
            strike: 9,
        };
        assert_eq!(t.find(&key), Some(2));
        assert_eq!(t.find(&InstrumentKey { strike: 8, ..key }), None);
        let p = position(Kind::Perp, Side::Long, 1, 123, 0);
        assert_eq!(row_of(&t, &p).unwrap(), Some(&t.rows[0]));
        assert_eq!(row_of(&t, &Position::EMPTY).unwrap(), None);
        let put = position(Kind::Put, Side::Long, 1, 7, 100);
        assert!(matches!(
            row_of(&t, &put),
            Err(MarginError::NotInRiskTable(_))
        ));
    }

    #[test]
    fn malformed_tables_are_refused() {
        let refused = |t: RiskTable, depth: usize, assets: usize| t.check(depth, assets).is_err();
        assert!(refused(table(), 1, 1), "5 rows in 2 leaves");
        assert!(refused(table(), 2, 0), "an unlisted underlying");
        let mut t = table();
        t.rows.swap(1, 2);
        assert!(refused(t, 2, 1), "out of order");
        let mut t = table();
        t.rows[2] = t.rows[1].clone();
        assert!(refused(t, 2, 1), "a duplicate key");
        let mut t = table();
        t.rows[0].mark = 1;
        assert!(refused(t, 2, 1), "a perpetual with a mark");
        let mut t = table();
        t.rows[1].mark = 1 << 62;
        assert!(refused(t, 2, 1), "a mark of 2^62");
        let mut t = table();
        t.rows[1].vector[7] = -(1 << 62);
        assert!(refused(t, 2, 1), "a vector entry of -2^62");
        let mut t = table();
        t.rows[1].vector[7] = (1 << 62) - 1;
        t.rows[1].vector[8] = -((1 << 62) - 1);
        t.check(2, 1).unwrap();
        let mut t = table();
        t.rows[1].key.strike = 0;
        assert!(refused(t, 2, 1), "a strike of 0");
        let mut t = table();
        t.rows[1].key.kind = Kind::Empty;
        assert!(refused(t, 2, 1), "an empty instrument");
    }
}
