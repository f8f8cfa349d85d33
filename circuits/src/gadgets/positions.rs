//! Positions: a venue's leaf slots, each valued by the slot gadget (`slot`).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | fields | six cells per slot, valued by `slot` | |
//! | word | `w = kind + 2^2 underlying + 2^10 side + 2^11 size + 2^75 price + 2^123 expiry` of the same six cells (`leaf::word`, three `arith` rows), hashed into the leaf | a leaf that hashes one size while the margin values another |
//! | presence | a slot's kind zero unless the leaf is present | positions where the tree holds 0 |
//! | value | `slot::assign_slot`: the slot's row of the risk table, its equity terms, its exposure routed into the scenario sums (`portfolio`) | |
//!
//! A slot's word is unique because the slot gadget bounds every limb below its width (163
//! bits in all, below `2^254 < p`, so the word is one integer with one decomposition):
//!
//! | limb | offset | width | bounded by (`slot`) | a shifted word it stops |
//! |---|---|---|---|---|
//! | kind | 0 | 2 | `kind = perp + 2 call + 3 put`, flags boolean, at most one: `kind <= 3` | `kind + 4` beside `underlying - 1` |
//! | underlying | 2 | 8 | `underlying < A` (`log2(A) <= 4` bits) | `underlying + 2^8` beside `side - 1` |
//! | side | 10 | 1 | `side is boolean` | `side + 2` beside `size - 1` |
//! | size | 11 | 64 | `size < 2^64` | `size + 2^64` beside `price - 1` |
//! | price | 75 | 48 | `price < 2^48` | `price + 2^48` beside `expiry - 1` |
//! | expiry | 123 | 40 | `expiry < 2^40` | an expiry of `2^40` or more (nothing above it) |
//!
//! None of these checks is new with the packed leaf: the valuation needed them all already.

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::leaf::word;
use super::portfolio::ScenarioSums;
use super::publics::Publics;
use super::risk_row::{witness_in_rows, RowConstants};
use super::slot::{assign_slot, slot_witness, SlotCells, SlotContext};
use super::solvency::Totals;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::hash::{Fp, SLOT_SHIFTS};
use crate::margin::Position;
use crate::profile::Profile;
use crate::witness::RiskOpening;

/// The public parameters a venue's slots are valued under, as the prover knows them.
pub struct Valuation<'a> {
    pub profile: Profile,
    pub publics: &'a Publics,
    /// The padded prices (e8), for the witness.
    pub prices: Value<&'a [u64]>,
    /// The domain tag 7 of risk rows.
    pub risk_domain: &'a Cell,
}

impl Valuation<'_> {
    /// The context of a slot.
    fn context(&self) -> SlotContext<'_> {
        let publics = self.publics;
        SlotContext {
            profile: self.profile,
            keyed_prices: &publics.keyed_prices,
            last_asset: &publics.last_asset,
            one_minus_upnl_haircut: &publics.one_minus_upnl_haircut,
            row: RowConstants {
                domain: self.risk_domain,
                root: &publics.risk_root,
            },
        }
    }
}

/// Lays out venue `venue`'s slots (`positions`, one per slot, with their risk-table openings),
/// each kind zero unless `present`, each valued into `totals` and routed into `sums`; returns
/// their words, the contents of the venue's leaf.
#[allow(clippy::too_many_arguments)]
pub fn slots(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    valuation: &Valuation<'_>,
    venue: usize,
    present: &Cell,
    positions: Value<(Vec<Position>, Vec<RiskOpening>)>,
    totals: &mut Totals,
    sums: &mut ScenarioSums,
) -> Result<Vec<Cell>, Error> {
    let arith = &chips.arith;
    let p = valuation.profile;
    let mut words = Vec::with_capacity(p.positions);
    for s in 0..p.positions {
        let name = format!("venue {venue} slot {s}");
        let held = positions
            .as_ref()
            .map(|(slots, openings)| (slots[s], &openings[s]));
        let position = held.map(|(pos, _)| pos);
        let cells = witness_in_rows(
            arith,
            layouter,
            &format!("{name}: field"),
            (0..6).map(|i| position.map(|pos| Fp::from(pos.fields()[i]))),
        )?;
        let slot = SlotCells {
            kind: cells[0].clone(),
            underlying: cells[1].clone(),
            side: cells[2].clone(),
            size: cells[3].clone(),
            price: cells[4].clone(),
            expiry: cells[5].clone(),
        };
        let kind_check = format!("{name}: kind is zero unless present");
        arith.assert_zero_unless(layouter, &kind_check, present, &slot.kind)?;
        let witness = valuation
            .prices
            .zip(held)
            .map(|(prices, (pos, opening))| slot_witness(prices, &pos, opening));
        let ctx = valuation.context();
        let (terms, exposure) = assign_slot(chips, layouter, &name, &slot, &ctx, witness)?;
        totals.add_slot(chips, layouter, &terms)?;
        sums.add_slot(chips, layouter, &name, &exposure)?;
        let limbs: Vec<&Cell> = cells.iter().collect();
        let word_name = format!("{name}: word");
        words.push(word(arith, layouter, &word_name, &limbs, &SLOT_SHIFTS)?);
    }
    Ok(words)
}
