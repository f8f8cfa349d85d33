//! A chain's collateral: the amounts of its leaf, each valued.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | amount | `x < 2^64` | a balance beyond the bound, or a "negative" one near `p`; value moved between two amounts of one word (`x0 + 2^64` beside `x1 - 1`) |
//! | presence | `x` zero unless the leaf is present | collateral where the tree holds 0 |
//! | value | `floor(x P (1e6 - h) / 1e17)` (`division`, rounded down) | collateral rounded up |
//! | words | `e_j = x[3j] + 2^64 x[3j+1] + 2^128 x[3j+2]` of the valued cells (`leaf::word`), hashed into the leaf | a leaf that commits to one amount while the margin values another |
//!
//! A word is unique: its three limbs are each `< 2^64` (the amount check), so it is an integer
//! below `2^192 < p` with one base-`2^64` decomposition; a prover who moves `2^64` units from
//! one amount to the next keeps the word, the leaf and the root, and is stopped by `x < 2^64`.
//!
//! Bound: `x < 2^64`, `P < 2^48`, `1e6 - h <= 1e6 < 2^20`: the numerator is below `2^132`.

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::division::{Division, Rounding};
use super::leaf::word;
use super::publics::Publics;
use super::slot::QUOTIENT_BITS;
use super::solvency::Totals;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::{Fp, AMOUNTS_PER_WORD, AMOUNT_SHIFTS};
use crate::units::{AMOUNT_BITS, VALUE_DIVISOR};

/// Lays out chain `chain`'s amounts (`balances`, one per asset), each zero unless `present`
/// and valued into `totals`; returns the words of the chain's leaf, packed from them.
pub fn amounts(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    publics: &Publics,
    chain: usize,
    present: &Cell,
    balances: Value<Vec<u64>>,
    totals: &mut Totals,
) -> Result<Vec<Cell>, Error> {
    let (arith, range) = (&chips.arith, &chips.range);
    let name = format!("chain {chain}");
    let assets = publics.prices.len();
    let mut amounts = Vec::with_capacity(assets);
    for a in 0..assets {
        let amount = balances.as_ref().map(|b| Fp::from(b[a]));
        let check = format!("{name}: amount {a} < 2^64");
        let x = range.witness_range_checked(layouter, &check, amount, AMOUNT_BITS)?;
        arith.assert_zero_unless(
            layouter,
            &format!("{name}: amount {a} is zero unless present"),
            present,
            &x,
        )?;
        let haircut = &publics.one_minus_haircut[a][chain];
        let valued = format!("{name}: asset {a}");
        let value = collateral_value(chips, layouter, &valued, &x, &publics.prices[a], haircut)?;
        totals.add_collateral(chips, layouter, &value)?;
        amounts.push(x);
    }
    amounts
        .chunks(AMOUNTS_PER_WORD)
        .enumerate()
        .map(|(j, limbs)| {
            let limbs: Vec<&Cell> = limbs.iter().collect();
            let shifts = &AMOUNT_SHIFTS[..limbs.len()];
            word(
                arith,
                layouter,
                &format!("{name}: word {j}"),
                &limbs,
                shifts,
            )
        })
        .collect()
}

/// `floor(x P (1e6 - h) / 1e17)`; `x < 2^64`, `P < 2^48`, `1e6 - h <= 1e6`: below `2^132`.
fn collateral_value(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    amount: &Cell,
    price: &Cell,
    one_minus_haircut: &Cell,
) -> Result<Cell, Error> {
    let arith = &chips.arith;
    let unit_value = arith.mul(
        layouter,
        &format!("{name}: P (1e6 - h)"),
        price,
        one_minus_haircut,
    )?;
    let numerator = arith.mul(
        layouter,
        &format!("{name}: x P (1e6 - h)"),
        amount,
        &unit_value,
    )?;
    Division::new(VALUE_DIVISOR, Rounding::Floor, QUOTIENT_BITS).assign(
        arith,
        &chips.range,
        layouter,
        &format!("{name}: collateral"),
        &numerator,
    )
}
