//! The totals and the solvency check.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | totals | running sums of collateral, slot credits and debits (one `arith` row each); the margin is the portfolio's (`portfolio`) | |
//! | requirement | `ceil(mm level / 1e6)` (`division`, rounded up) | a requirement rounded down |
//! | equity | `collateral + credit - debit` | |
//! | certified | `equity - requirement - lines < 2^100` | an insolvent book, or lines above the headroom: a negative difference is a field element near `p` |
//!
//! Bounds: the margin is below `2^106` (`portfolio`) and the level below `2^24`, so the
//! requirement is a quotient below `2^110`, range-checked to [`REQUIREMENT_BITS`]; the lines
//! are below `2^103` (`lines`), and the debit is a sum of at most 512 quotients below `2^100`.
//! So the difference is an integer above `-2^112`, and a negative one is a field element above
//! `p - 2^112`, far above the `2^100` the range check allows.

use halo2_proofs::{circuit::Layouter, plonk::Error};

use super::division::{Division, Rounding};
use super::slot::SlotTerms;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::units::{PPM, VALUE_BITS};

/// Bits of the requirement `ceil(mm level / 1e6)`: `mm < 2^106`, `level < 2^24`.
pub const REQUIREMENT_BITS: usize = 110;

/// The running totals of the book.
pub struct Totals {
    pub collateral: Cell,
    pub credit: Cell,
    pub debit: Cell,
}

/// `x + y`, in region `name`.
fn add(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    x: &Cell,
    y: &Cell,
) -> Result<Cell, Error> {
    arith.linear(
        layouter,
        name,
        &[(Fp::one(), x), (Fp::one(), y)],
        Fp::zero(),
    )
}

impl Totals {
    /// Every total at zero (one constant cell).
    pub fn zero(chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<Totals, Error> {
        let zero = chips.arith.constant(layouter, "zero", Fp::zero())?;
        Ok(Totals {
            collateral: zero.clone(),
            credit: zero.clone(),
            debit: zero,
        })
    }

    /// Adds an asset's collateral value.
    pub fn add_collateral(
        &mut self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        value: &Cell,
    ) -> Result<(), Error> {
        let arith = &chips.arith;
        self.collateral = add(arith, layouter, "collateral total", &self.collateral, value)?;
        Ok(())
    }

    /// Adds a slot's credit and debit.
    pub fn add_slot(
        &mut self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        terms: &SlotTerms,
    ) -> Result<(), Error> {
        let arith = &chips.arith;
        self.credit = add(arith, layouter, "credit total", &self.credit, &terms.credit)?;
        self.debit = add(arith, layouter, "debit total", &self.debit, &terms.debit)?;
        Ok(())
    }

    /// Constrains `equity >= ceil(mm level / 1e6) + lines`.
    pub fn assert_certified(
        &self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        mm: &Cell,
        level: &Cell,
        lines: &Cell,
    ) -> Result<(), Error> {
        let (arith, range) = (&chips.arith, &chips.range);
        let scaled = arith.mul(layouter, "mm level", mm, level)?;
        let requirement = Division::new(PPM as u128, Rounding::Ceil, REQUIREMENT_BITS).assign(
            arith,
            range,
            layouter,
            "requirement",
            &scaled,
        )?;
        let equity = arith.linear(
            layouter,
            "equity",
            &[
                (Fp::one(), &self.collateral),
                (Fp::one(), &self.credit),
                (-Fp::one(), &self.debit),
            ],
            Fp::zero(),
        )?;
        let left = arith.linear(
            layouter,
            "headroom - lines",
            &[
                (Fp::one(), &equity),
                (-Fp::one(), &requirement),
                (-Fp::one(), lines),
            ],
            Fp::zero(),
        )?;
        let check = "equity >= requirement + lines";
        range.range_check(layouter, check, &left, VALUE_BITS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::harness::{failures, witnesses, GadgetTest};

    const K: u32 = 11;

    /// The totals `(collateral, credit, debit)`, the margin, the level and the lines, certified.
    #[derive(Clone)]
    struct Certify([u64; 6]);

    impl GadgetTest for Certify {
        fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
            let c = witnesses(chips, layouter, "input", &self.0.map(Fp::from))?;
            let totals = Totals {
                collateral: c[0].clone(),
                credit: c[1].clone(),
                debit: c[2].clone(),
            };
            totals.assert_certified(chips, layouter, &c[3], &c[4], &c[5])
        }
    }

    fn certified(inputs: [u64; 6]) -> bool {
        failures(K, Certify(inputs), vec![]).is_empty()
    }

    #[test]
    fn equity_covers_the_requirement_rounded_up_and_the_lines_to_the_uusd() {
        // Equity 1000 + 50 - 30 = 1020; requirement ceil(333 x 1.5) = ceil(499.5) = 500.
        assert!(certified([1_000, 50, 30, 333, 1_500_000, 520]));
        assert!(!certified([1_000, 50, 30, 333, 1_500_000, 521]));
        // Equity below the requirement: a negative headroom is refused whatever the lines.
        assert!(!certified([100, 0, 30, 333, 1_500_000, 0]));
        // The debit counts: one uusd more of it and the same lines fail.
        assert!(!certified([1_000, 50, 31, 333, 1_500_000, 520]));
    }
}
