//! Parameter records: the public parameters a position slot needs, packed into one field
//! element so that one private choice selects all of them at once.
//!
//! For venue `v`, asset `a` and expiry bucket `b`:
//!
//! ```text
//! record = price[a]                          bits   0 ..  48
//!        + 2^48  perp_mmr[v][a]              bits  48 ..  68
//!        + 2^68  (option_rate[a] + tau[b][a]) bits  68 ..  89
//!        + 2^89  lower[b]                    bits  89 .. 130
//!        + 2^130 upper[b]                    bits 130 .. 170
//!        + 2^170 (v A B + a B + b)           bits 170 .. 179
//! ```
//!
//! where `upper[b] = max_seconds[b]` and `lower[b] = max_seconds[b-1] + 1` (0 for `b = 0`), so
//! that bucket `b` holds the times-to-expiry `lower[b] <= tte <= upper[b]`.
//!
//! Unpacking (`unpack`) witnesses the six limbs, range-checks each to its width and checks the
//! weighted sum. Each limb is below its width and the widths do not overlap, so the sum is below
//! `2^179 < p` and the decomposition is unique: a prover cannot shift value between limbs (say,
//! a lower price paid for with a larger rate). This is the check whose absence broke packed-limb
//! solvency proofs elsewhere.

use halo2_proofs::{circuit::Layouter, circuit::Value, plonk::Error};

use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
// The limbs' offsets and widths and the unpacked fields live in `packing` (data only, shared
// with the forgery plan).
pub use crate::packing::{pow2, RecordFields, INDEX, LOWER, OPTION_FACTOR, PERP_MMR, PRICE, UPPER};

/// Record cells after unpacking.
pub struct Unpacked {
    pub price: Cell,
    pub perp_mmr: Cell,
    pub option_factor: Cell,
    pub lower: Cell,
    pub upper: Cell,
    pub index: Cell,
}

/// The public cells a record packs (its index is a constant of the layout).
pub struct RecordCells<'a> {
    pub price: &'a Cell,
    pub perp_mmr: &'a Cell,
    pub option_factor: &'a Cell,
    pub lower: &'a Cell,
    pub upper: &'a Cell,
}

/// Packs record cells: `price + 2^48 mmr + 2^68 factor + 2^89 lower + 2^130 upper + 2^170 index`
/// with `index` a constant of the layout.
pub fn pack(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    cells: &RecordCells<'_>,
    index: u64,
) -> Result<Cell, Error> {
    let low = arith.linear(
        layouter,
        &format!("{name}: price, mmr, option factor"),
        &[
            (Fp::one(), cells.price),
            (pow2(PERP_MMR.0), cells.perp_mmr),
            (pow2(OPTION_FACTOR.0), cells.option_factor),
        ],
        Fp::zero(),
    )?;
    arith.linear(
        layouter,
        &format!("{name}: bounds and index"),
        &[
            (Fp::one(), &low),
            (pow2(LOWER.0), cells.lower),
            (pow2(UPPER.0), cells.upper),
        ],
        pow2(INDEX.0) * Fp::from(index),
    )
}

/// Splits a selected record into range-checked limbs (see the module doc for why this is
/// unique). `fields` is the prover's reading of the record.
pub fn unpack(
    arith: &impl ArithInstructions,
    range: &impl RangeInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    record: &Cell,
    fields: Value<RecordFields>,
) -> Result<Unpacked, Error> {
    let limb =
        |layouter: &mut _, label: &str, (_, bits): (usize, usize), f: fn(&RecordFields) -> u64| {
            range.witness_range_checked(
                layouter,
                &format!("{name}: {label}"),
                fields.map(|r| Fp::from(f(&r))),
                bits,
            )
        };
    let price = limb(layouter, "price", PRICE, |r| r.price)?;
    let perp_mmr = limb(layouter, "perp mmr", PERP_MMR, |r| r.perp_mmr)?;
    let option_factor = limb(layouter, "option factor", OPTION_FACTOR, |r| {
        r.option_factor
    })?;
    let lower = limb(layouter, "lower", LOWER, |r| r.lower)?;
    let upper = limb(layouter, "upper", UPPER, |r| r.upper)?;
    let index = limb(layouter, "index", INDEX, |r| r.index)?;
    let low = arith.linear(
        layouter,
        &format!("{name}: low limbs"),
        &[
            (Fp::one(), &price),
            (pow2(PERP_MMR.0), &perp_mmr),
            (pow2(OPTION_FACTOR.0), &option_factor),
        ],
        Fp::zero(),
    )?;
    let high = arith.linear(
        layouter,
        &format!("{name}: high limbs"),
        &[
            (pow2(LOWER.0), &lower),
            (pow2(UPPER.0), &upper),
            (pow2(INDEX.0), &index),
        ],
        Fp::zero(),
    )?;
    arith.assert_linear_zero(
        layouter,
        &format!("{name}: limbs sum to the record"),
        &[(Fp::one(), &low), (Fp::one(), &high), (-Fp::one(), record)],
        Fp::zero(),
    )?;
    Ok(Unpacked {
        price,
        perp_mmr,
        option_factor,
        lower,
        upper,
        index,
    })
}
