//! The totals and the solvency check.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | totals | running sums of collateral, upnl credit and debit, and margin (one `arith` row each) | |
//! | requirement | `ceil(mm level / 1e6)` (`division`, rounded up) | a requirement rounded down |
//! | equity | `collateral + credit - debit` | |
//! | solvent | `equity - requirement < 2^100` | an insolvent book: a negative headroom is a field element near `p` |

use halo2_proofs::{circuit::Layouter, plonk::Error};

use super::division::{Division, Rounding};
use super::slot::{SlotTerms, QUOTIENT_BITS};
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::units::{PPM, VALUE_BITS};

/// The running totals of the book.
pub struct Totals {
    pub collateral: Cell,
    pub credit: Cell,
    pub debit: Cell,
    pub mm: Cell,
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
            debit: zero.clone(),
            mm: zero,
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

    /// Adds a slot's margin, and its profit and loss when it has them.
    pub fn add_slot(
        &mut self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        terms: &SlotTerms,
    ) -> Result<(), Error> {
        let arith = &chips.arith;
        self.mm = add(arith, layouter, "mm total", &self.mm, &terms.mm)?;
        if let (Some(credit), Some(debit)) = (&terms.upnl_credit, &terms.upnl_debit) {
            self.credit = add(arith, layouter, "credit total", &self.credit, credit)?;
            self.debit = add(arith, layouter, "debit total", &self.debit, debit)?;
        }
        Ok(())
    }

    /// Constrains `equity >= ceil(mm level / 1e6)`.
    pub fn assert_solvent(
        &self,
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        level: &Cell,
    ) -> Result<(), Error> {
        let (arith, range) = (&chips.arith, &chips.range);
        let scaled = arith.mul(layouter, "mm level", &self.mm, level)?;
        let requirement = Division::new(PPM as u128, Rounding::Ceil, QUOTIENT_BITS).assign(
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
        let headroom = arith.linear(
            layouter,
            "headroom",
            &[(Fp::one(), &equity), (-Fp::one(), &requirement)],
            Fp::zero(),
        )?;
        range.range_check(layouter, "equity >= requirement", &headroom, VALUE_BITS)
    }
}
