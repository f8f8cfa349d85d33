//! The portfolio margin in circuit: per underlying, the sixteen scenario sums over every slot of
//! every venue, their maximum, the short-option minimum and the contingency (statement version
//! 3, `portfolio` has the rules in plain integers).
//!
//! Per slot (`add_slot`), with its route `e_a` (one-hot, from the slot's selection), `-q`, its
//! row's vector limbs `u_s = v_s + 2^62` and its packed sizes `z`:
//!
//! | rows | constraint | stops |
//! |---|---|---|
//! | A | `r_a = e_a (-q)` | |
//! | 16 A | `T[a][s] += r_a (u_s - 2^62)` (`mul_offset_add`) | a scenario sum that skips a slot, or books it under another underlying |
//! | A | `Z[a] += e_a z` | a short option or perpetual left out of the minimum or the contingency |
//!
//! Per underlying (`finish`):
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | sizes | `Z = S_short + 2^80 S_perp`, both `< 2^80` | sizes moved between the two sums |
//! | minimum | `som = ceil(som_rate S_short P / 1e17)` | rounding in the prover's favour |
//! | contingency | `cont = ceil(cont_rate S_perp P / 1e17)` | the same |
//! | maximum | `1e15 m - T[a][s] < 2^140` for every `s`, `m - som < 2^100` | a maximum that is not the maximum: `m` below a scenario's loss or below the minimum |
//! | margin | `mm[a] = m + cont`, `mm = sum_a mm[a]` | |
//!
//! `m` is the prover's claim of `max(scan, som)`. The checks make it at least every scenario's
//! loss ceiled (`1e15 m >= T` with `m` an integer is `m >= ceil(T / 1e15)`), at least 0 and at
//! least the minimum; a larger claim only raises the prover's own requirement, so the honest
//! prover claims exactly the maximum, which the reference engine computes.
//!
//! Bounds: `|q| < 2^64` and `|v_s| < 2^62`, so `|r_a v_s| < 2^126` and a sum over at most 512
//! slots `|T| < 2^135`; `S_short, S_perp < 2^73` (512 sizes below `2^64`), so `Z < 2^153`
//! decomposes uniquely; `S P rate < 2^73 2^48 2^20 = 2^141`. An honest `m` is below `2^86`,
//! so `1e15 m - T < 2^50 2^86 + 2^135 < 2^137`; a dishonest `1e15 m < T` makes the difference
//! a field element above `p - 2^135`, which no `2^140` range check passes. `m - som < 2^100`
//! and `som < 2^100` bound `m` to `[0, 2^101)`; `mm < A 2^102 <= 2^106`.

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::division::{Division, Rounding};
use super::publics::Publics;
use super::slot::{SlotExposure, PERP_SIZE_SHIFT, QUOTIENT_BITS};
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::packing::pow2;
use crate::portfolio::{UnderlyingMargin, SCAN_DIVISOR, SCENARIOS, VECTOR_BITS};
use crate::units::{VALUE_BITS, VALUE_DIVISOR};

/// Bits of `1e15 m - T[a][s]` (below `2^137` when honest).
pub const SCAN_GAP_BITS: usize = 140;
/// Bits of a per-underlying sum of sizes (below `2^73`).
pub const SIZE_SUM_BITS: usize = PERP_SIZE_SHIFT;
/// Bits of the minimum's and contingency's quotients (below `2^141 / 1e17 < 2^85`).
pub const MINIMUM_BITS: usize = QUOTIENT_BITS;

/// The running sums of every underlying.
pub struct ScenarioSums {
    /// `losses[a][s]`: `T[a][s]` so far.
    losses: Vec<Vec<Cell>>,
    /// `sizes[a]`: `Z[a]` so far.
    sizes: Vec<Cell>,
}

/// What the prover claims per underlying: its figures from the reference engine.
pub type Claims = Vec<UnderlyingMargin>;

impl ScenarioSums {
    /// Every sum at `zero`.
    pub fn new(assets: usize, zero: &Cell) -> ScenarioSums {
        ScenarioSums {
            losses: vec![vec![zero.clone(); SCENARIOS]; assets],
            sizes: vec![zero.clone(); assets],
        }
    }

    /// Adds one slot's exposure, routed to its underlying; `name` is the slot's.
    pub fn add_slot(
        &mut self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        exposure: &SlotExposure,
    ) -> Result<(), Error> {
        let arith = &chips.arith;
        let offset = -pow2(VECTOR_BITS as usize);
        for (a, e) in exposure.route.iter().enumerate() {
            let routed = arith.mul(
                layouter,
                &format!("{name}: -q routed to asset {a}"),
                e,
                &exposure.negated_size,
            )?;
            for (s, limb) in exposure.limbs.iter().enumerate() {
                self.losses[a][s] = arith.mul_offset_add(
                    layouter,
                    &format!("{name}: T[{a}][{s}] += -q v"),
                    &routed,
                    limb,
                    offset,
                    &self.losses[a][s],
                )?;
            }
            self.sizes[a] = arith.mul_add(
                layouter,
                &format!("{name}: sizes of asset {a}"),
                e,
                &exposure.sizes,
                &self.sizes[a],
            )?;
        }
        Ok(())
    }

    /// Each underlying's margin `m + cont` and their sum `mm`; `claims` are the prover's.
    pub fn finish(
        &self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        publics: &Publics,
        claims: Value<&Claims>,
    ) -> Result<Cell, Error> {
        let (arith, range) = (&chips.arith, &chips.range);
        let mut mm: Option<Cell> = None;
        for (a, losses) in self.losses.iter().enumerate() {
            let n = |step: &str| format!("asset {a}: {step}");
            let claim = claims.map(|c| &c[a]);
            let short = range.witness_range_checked(
                layouter,
                &n("short option sizes < 2^80"),
                claim.map(|c| Fp::from_u128(c.short_option_size)),
                SIZE_SUM_BITS,
            )?;
            let perp = range.witness_range_checked(
                layouter,
                &n("perp sizes < 2^80"),
                claim.map(|c| Fp::from_u128(c.perp_size)),
                SIZE_SUM_BITS,
            )?;
            arith.assert_linear_zero(
                layouter,
                &n("sizes = short + 2^80 perp"),
                &[
                    (Fp::one(), &self.sizes[a]),
                    (-Fp::one(), &short),
                    (-pow2(PERP_SIZE_SHIFT), &perp),
                ],
                Fp::zero(),
            )?;
            let price = &publics.prices[a];
            let rated = |layouter: &mut _, what: &str, size: &Cell, rate: &Cell| {
                let notional = arith.mul(layouter, &n(&format!("{what} P")), size, price)?;
                let numerator =
                    arith.mul(layouter, &n(&format!("{what} P rate")), &notional, rate)?;
                Division::new(VALUE_DIVISOR, Rounding::Ceil, MINIMUM_BITS).assign(
                    arith,
                    range,
                    layouter,
                    &n(what),
                    &numerator,
                )
            };
            let som = rated(layouter, "som", &short, &publics.som_rates[a])?;
            let contingency = rated(
                layouter,
                "contingency",
                &perp,
                &publics.contingency_rates[a],
            )?;
            let maximum = arith.witness(
                layouter,
                &n("max(scan, som)"),
                claim.map(|c| Fp::from_u128(c.scan.max(c.som))),
            )?;
            for (s, loss) in losses.iter().enumerate() {
                let gap = arith.linear(
                    layouter,
                    &n(&format!("1e15 m - T[{s}]")),
                    &[(Fp::from_u128(SCAN_DIVISOR), &maximum), (-Fp::one(), loss)],
                    Fp::zero(),
                )?;
                range.range_check(
                    layouter,
                    &n(&format!("m covers scenario {s}")),
                    &gap,
                    SCAN_GAP_BITS,
                )?;
            }
            let above_minimum = arith.linear(
                layouter,
                &n("m - som"),
                &[(Fp::one(), &maximum), (-Fp::one(), &som)],
                Fp::zero(),
            )?;
            range.range_check(layouter, &n("m covers som"), &above_minimum, VALUE_BITS)?;
            let margin_name = n("mm = m + contingency");
            let terms: Vec<(Fp, &Cell)> = match &mm {
                None => vec![(Fp::one(), &maximum), (Fp::one(), &contingency)],
                Some(total) => vec![
                    (Fp::one(), total),
                    (Fp::one(), &maximum),
                    (Fp::one(), &contingency),
                ],
            };
            mm = Some(arith.linear(layouter, &margin_name, &terms, Fp::zero())?);
        }
        Ok(mm.expect("a profile has at least one asset"))
    }
}

use ff::PrimeField;

#[cfg(test)]
mod tests {
    use halo2_proofs::circuit::Value;

    use super::*;
    use crate::gadgets::harness::{failures, witnesses, GadgetTest};
    use crate::hash::vector_limb;
    use crate::margin::{Kind, Position, Side};
    use crate::portfolio::{InstrumentKey, PortfolioRates, RiskRow};

    const K: u32 = 11;
    const PRICES: [u64; 2] = [100_000 * 100_000_000, 3_200 * 100_000_000];

    /// One slot: its position and its row's vector.
    type Held = (Position, [i64; SCENARIOS]);

    /// Slots routed to their underlyings, summed, finished with `claims`; `mm` is bound to
    /// instance row 0.
    #[derive(Clone)]
    struct Sums {
        slots: Vec<Held>,
        rates: [PortfolioRates; 2],
        claims: Claims,
    }

    fn publics(
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        rates: &[PortfolioRates; 2],
    ) -> Result<Publics, Error> {
        let prices = witnesses(chips, layouter, "price", &PRICES.map(Fp::from))?;
        let som = witnesses(
            chips,
            layouter,
            "som rate",
            &rates.map(|r| Fp::from(r.som_ppm)),
        )?;
        let cont = rates.map(|r| Fp::from(r.contingency_ppm));
        let contingency = witnesses(chips, layouter, "contingency rate", &cont)?;
        // The cells `finish` does not read.
        let zero = chips.arith.constant(layouter, "unused", Fp::zero())?;
        Ok(Publics {
            epoch: zero.clone(),
            one_minus_upnl_haircut: zero.clone(),
            one_minus_haircut: vec![],
            prices,
            som_rates: som,
            contingency_rates: contingency,
            chain_ids: vec![],
            venue_ids: vec![],
            venue_count: zero.clone(),
            last_asset: zero.clone(),
            level: zero.clone(),
            risk_root: zero.clone(),
            keyed_prices: vec![],
        })
    }

    impl GadgetTest for Sums {
        fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
            let publics = publics(chips, layouter, &self.rates)?;
            let zero = chips.arith.constant(layouter, "sums start", Fp::zero())?;
            let mut sums = ScenarioSums::new(2, &zero);
            for (j, (p, vector)) in self.slots.iter().enumerate() {
                let route = [0, 1].map(|a| Fp::from((a == p.underlying) as u64));
                let q = Fp::from_u128(p.size as u128);
                let negated = if p.side == Side::Short { q } else { -q };
                let short = (p.kind != Kind::Perp && p.side == Side::Short) as u64;
                let perp = (p.kind == Kind::Perp) as u64;
                let sizes =
                    Fp::from(short * p.size) + pow2(PERP_SIZE_SHIFT) * Fp::from(perp * p.size);
                let exposure = SlotExposure {
                    route: witnesses(chips, layouter, "route", &route)?,
                    negated_size: witnesses(chips, layouter, "-q", &[negated])?.remove(0),
                    limbs: witnesses(chips, layouter, "limb", &vector.map(vector_limb))?,
                    sizes: witnesses(chips, layouter, "sizes", &[sizes])?.remove(0),
                };
                sums.add_slot(chips, layouter, &format!("slot {j}"), &exposure)?;
            }
            let mm = sums.finish(chips, layouter, &publics, Value::known(&self.claims))?;
            layouter.constrain_instance(mm.cell(), chips.instance, 0)
        }
    }

    fn position(kind: Kind, underlying: usize, side: Side, size: u64) -> Position {
        Position {
            kind,
            underlying,
            side,
            size,
            price: 1,
            expiry: (kind != Kind::Perp) as u64,
        }
    }

    /// A vector rising with the scenario index (a call's shape), scaled.
    fn rising(scale: i64) -> [i64; SCENARIOS] {
        std::array::from_fn(|s| (s as i64 - 5) * scale)
    }

    const RATES: PortfolioRates = PortfolioRates {
        scan_ppm: 100_000,
        som_ppm: 5_000,
        contingency_ppm: 1_000,
    };

    /// A short BTC call, a long BTC perpetual (a partial hedge), a short ETH put.
    fn book() -> Vec<Held> {
        vec![
            (
                position(Kind::Call, 0, Side::Short, 1_000_000_000),
                rising(2_000_000_000_123_457),
            ),
            (
                position(Kind::Perp, 0, Side::Long, 400_000_000),
                rising(1_500_000_000_000_000),
            ),
            (
                position(Kind::Put, 1, Side::Short, 3_000_000_000),
                rising(-90_000_000_000_000),
            ),
        ]
    }

    /// The engine's figures of `slots`, booked where `booked_under` says.
    fn engine(
        slots: &[Held],
        rates: &[PortfolioRates; 2],
        booked_under: impl Fn(usize) -> usize,
    ) -> Claims {
        let mut margins = vec![UnderlyingMargin::default(); 2];
        for (j, (p, vector)) in slots.iter().enumerate() {
            let row = RiskRow {
                key: InstrumentKey::perp(p.underlying),
                mark: 0,
                vector: *vector,
            };
            margins[booked_under(j)].add(p, &row);
        }
        for (a, m) in margins.iter_mut().enumerate() {
            m.finish(PRICES[a], &rates[a]);
        }
        margins
    }

    fn honest(slots: &[Held], rates: &[PortfolioRates; 2]) -> Claims {
        engine(slots, rates, |j| slots[j].0.underlying)
    }

    fn total(claims: &Claims) -> Fp {
        Fp::from_u128(claims.iter().map(|m| m.mm).sum())
    }

    fn run(slots: Vec<Held>, rates: [PortfolioRates; 2], claims: Claims, mm: Fp) -> Vec<String> {
        failures(
            K,
            Sums {
                slots,
                rates,
                claims,
            },
            vec![mm],
        )
    }

    #[test]
    fn honest_sums_give_the_engines_margin() {
        let rates = [RATES; 2];
        let claims = honest(&book(), &rates);
        assert!(claims.iter().all(|m| m.scan > 0), "{claims:?}");
        assert!(claims[0].mm > claims[0].scan, "BTC's contingency counts");
        assert!(claims[0].losses[15].rest > 0, "the worst loss is ceiled");
        let mm = total(&claims);
        assert_eq!(run(book(), rates, claims.clone(), mm), Vec::<String>::new());
        // The margin out is the engine's: one uusd less is refused.
        assert!(!run(book(), rates, claims, mm - Fp::one()).is_empty());
    }

    #[test]
    fn a_sum_that_skips_a_slot_or_books_it_under_another_underlying_is_refused() {
        let rates = [RATES; 2];
        let slots = book();
        // Claims as if the short call were not held.
        let skipped = honest(&slots[1..], &rates);
        let found = run(slots.clone(), rates, skipped.clone(), total(&skipped));
        assert!(
            found
                .iter()
                .any(|f| f.contains("asset 0: m covers scenario")),
            "{found:?}"
        );
        // Claims as if the ETH put were booked under BTC.
        let moved = engine(&slots, &rates, |j| {
            if j == 2 {
                0
            } else {
                slots[j].0.underlying
            }
        });
        let found = run(slots, rates, moved.clone(), total(&moved));
        assert!(!found.is_empty());
    }

    /// `claims` with asset `a`'s maximum replaced.
    fn with_maximum(mut claims: Claims, a: usize, m: u128) -> Claims {
        claims[a].scan = m;
        claims[a].som = 0;
        claims[a].mm = m + claims[a].contingency;
        claims
    }

    #[test]
    fn a_maximum_below_a_scenarios_loss_or_below_the_minimum_is_refused() {
        let rates = [RATES; 2];
        let claims = honest(&book(), &rates);
        let btc = claims[0].clone();
        assert!(btc.scan > btc.som);
        let low = with_maximum(claims.clone(), 0, btc.scan - 1);
        let found = run(book(), rates, low.clone(), total(&low));
        let at = format!("asset 0: m covers scenario {}", btc.worst_scenario);
        assert!(found.iter().any(|f| f.contains(&at)), "{found:?}");
        // A larger claim only raises the margin.
        let high = with_maximum(claims, 0, btc.scan + 7);
        assert_eq!(
            run(book(), rates, high.clone(), total(&high)),
            Vec::<String>::new()
        );
        // A minimum of 50%: it, not a scenario, is BTC's margin.
        let rates = [
            PortfolioRates {
                som_ppm: 500_000,
                ..RATES
            },
            RATES,
        ];
        let claims = honest(&book(), &rates);
        let btc = claims[0].clone();
        assert!(btc.som > btc.scan + 1);
        let low = with_maximum(claims, 0, btc.som - 1);
        let found = run(book(), rates, low.clone(), total(&low));
        assert!(
            found.iter().any(|f| f.contains("asset 0: m covers som")),
            "{found:?}"
        );
    }

    #[test]
    fn sizes_moved_between_the_packed_sums_are_refused() {
        // The witnessed sums are u128: 2^80 more short-option size beside one unit less of
        // perpetual is the same packed `Z`, and the short sum's range check refuses it.
        let rates = [RATES; 2];
        let mut claims = honest(&book(), &rates);
        claims[0].short_option_size += 1 << 80;
        claims[0].perp_size -= 1;
        let found = run(book(), rates, claims.clone(), total(&claims));
        assert!(
            found
                .iter()
                .any(|f| f.contains("asset 0: short option sizes < 2^80")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .all(|f| !f.contains("sizes = short + 2^80 perp")),
            "{found:?}"
        );
    }

    #[test]
    fn the_largest_positions_and_values_stay_within_the_bounds() {
        // Eight slots of size 2^64 - 1, every scenario value +-(2^62 - 1), long and short: the
        // sums reach 2^129 and the maximum stays exact.
        let top = (1i64 << 62) - 1;
        let slots: Vec<Held> = (0..8)
            .map(|j| {
                let side = if j % 2 == 0 { Side::Short } else { Side::Long };
                let kind = [Kind::Call, Kind::Perp, Kind::Put, Kind::Perp][j % 4];
                let vector = std::array::from_fn(|s| if (s + j) % 3 == 0 { -top } else { top });
                (position(kind, j % 2, side, u64::MAX), vector)
            })
            .collect();
        let rates = [RATES; 2];
        let claims = honest(&slots, &rates);
        assert!(claims[0].scan > 1 << 70, "{claims:?}");
        assert_eq!(
            run(slots, rates, claims.clone(), total(&claims)),
            Vec::<String>::new()
        );
    }
}
