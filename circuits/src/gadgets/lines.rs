//! The credit lines of a certificate: one commitment per venue slot, the sum of the lines.
//!
//! For every venue slot `v < V`, with `listed_v` one exactly for the venues the snapshot lists
//! (the first `venue count` slots):
//!
//! ```text
//! tag_v = listed_v H(2, sk, venue_id[v])        c_v = H(5, tag_v, a_v, s_v)
//! ```
//!
//! and `lines = sum_v a_v`, which the solvency gadget subtracts from the headroom.
//!
//! | rows (per slot) | constraint | stops |
//! |---|---|---|
//! | listed | `listed (1 - listed) = 0` | a flag of 2, which doubles a tag |
//! | listed order | `listed_v` zero unless `listed_{v-1}` | a padding slot listed in place of a real venue |
//! | listed count | `sum_v listed_v = venue count` (running sum, public count) | a padding slot listed beside the real ones |
//! | tag | `tag = listed H(2, sk, id)` (Poseidon chip, then `arith` product; `sk` is the key's secret) | a commitment to another venue's tag, or to another secret's |
//! | allowance | `a_v < 2^100` (range table) | a line that wraps the field, so that the sum of the lines is small while one line is huge |
//! | padding | `a_v` zero unless `listed_v` | a line on a padding slot |
//! | commitment | `H(5, tag, a, s) = c_v` (copy to the instance) | a grant that opens another line than the one proven |
//! | sum | `lines = sum_v a_v` (running sum) | |
//!
//! Bound: each `a_v < 2^100`, so `lines < V 2^100 <= 2^103` (V <= 8): the solvency gadget's
//! difference `equity - requirement - lines` is then above `-2^136` as an integer, and a
//! negative one is a field element above `p - 2^136`, which its `2^100` range check refuses.

use ff::PrimeField;
use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::publics::Publics;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::poseidon::HashInstructions;
use crate::chips::range::RangeInstructions;
use crate::hash::{Fp, TAG_ACCOUNT_TAG, TAG_CREDIT_LINE};
use crate::instance::{InstanceLayout, PublicStatement};
use crate::units::LINE_BITS;
use crate::witness::AccountWitness;

/// Lays out the `V` credit lines of the certificate, each commitment equal to its public one,
/// and returns the sum of the lines.
pub fn credit_lines(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    layout: InstanceLayout,
    publics: &Publics,
    sk: &Cell,
    statement: Value<&PublicStatement>,
    witness: Value<&AccountWitness>,
) -> Result<Cell, Error> {
    let (arith, range, hasher) = (&chips.arith, &chips.range, &chips.hasher);
    let venues = layout.profile.venues;
    let tag_domain = arith.constant(layouter, "tag 2", Fp::from(TAG_ACCOUNT_TAG))?;
    let line_domain = arith.constant(layouter, "tag 5", Fp::from(TAG_CREDIT_LINE))?;
    let mut listed_count: Option<Cell> = None;
    let mut lines: Option<Cell> = None;
    let mut previous_listed: Option<Cell> = None;
    for v in 0..venues {
        let name = |what: &str| format!("line {v}: {what}");
        let is_listed = statement.map(|s| Fp::from(u64::from(v < s.venue_count)));
        let listed = arith.witness(layouter, &name("listed"), is_listed)?;
        arith.assert_bool(layouter, &name("listed is boolean"), &listed)?;
        if let Some(previous) = &previous_listed {
            let check = name("listed only after a listed venue");
            arith.assert_zero_unless(layouter, &check, previous, &listed)?;
        }
        let count = name("listed count");
        listed_count = Some(running_sum(arith, layouter, &count, listed_count, &listed)?);

        let id = &publics.venue_ids[v];
        let raw_tag = hasher.hash(
            layouter,
            &name("tag"),
            &[tag_domain.clone(), sk.clone(), id.clone()],
        )?;
        let tag = arith.mul(layouter, &name("tag of a listed venue"), &listed, &raw_tag)?;
        let allowance = witness.map(|w| Fp::from_u128(w.lines[v].allowance));
        let allowance = range.witness_range_checked(
            layouter,
            &name("allowance < 2^100"),
            allowance,
            LINE_BITS,
        )?;
        let padding = name("zero unless listed");
        arith.assert_zero_unless(layouter, &padding, &listed, &allowance)?;
        let salt = arith.witness(layouter, &name("salt"), witness.map(|w| w.lines[v].salt))?;
        let commitment = hasher.hash(
            layouter,
            &name("commitment"),
            &[line_domain.clone(), tag, allowance.clone(), salt],
        )?;
        layouter.constrain_instance(commitment.cell(), chips.instance, layout.commitment(v))?;
        lines = Some(running_sum(
            arith,
            layouter,
            &name("lines"),
            lines,
            &allowance,
        )?);
        previous_listed = Some(listed);
    }
    let listed_count = listed_count.expect("a profile has at least one venue slot");
    arith.assert_linear_zero(
        layouter,
        "listed venues = venue count",
        &[
            (Fp::one(), &listed_count),
            (-Fp::one(), &publics.venue_count),
        ],
        Fp::zero(),
    )?;
    Ok(lines.expect("a profile has at least one venue slot"))
}

/// `total + x` (or `x` itself when there is no total yet).
fn running_sum(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    total: Option<Cell>,
    x: &Cell,
) -> Result<Cell, Error> {
    match total {
        None => Ok(x.clone()),
        Some(total) => arith.linear(
            layouter,
            name,
            &[(Fp::one(), &total), (Fp::one(), x)],
            Fp::zero(),
        ),
    }
}
