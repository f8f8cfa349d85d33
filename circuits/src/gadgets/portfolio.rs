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
                let numerator = arith.mul(layouter, &n(&format!("{what} P rate")), &notional, rate)?;
                Division::new(VALUE_DIVISOR, Rounding::Ceil, MINIMUM_BITS).assign(
                    arith,
                    range,
                    layouter,
                    &n(what),
                    &numerator,
                )
            };
            let som = rated(layouter, "som", &short, &publics.som_rates[a])?;
            let contingency = rated(layouter, "contingency", &perp, &publics.contingency_rates[a])?;
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
