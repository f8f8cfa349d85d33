//! Positions: a venue's leaf slots, each valued by the slot gadget (`slot`).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | fields | six cells per slot, valued by `slot` | |
//! | word | `w = kind + 2^2 underlying + 2^10 side + 2^11 size + 2^75 price + 2^123 expiry` of the same six cells (`leaf::word`, three `arith` rows), hashed into the leaf | a leaf that hashes one size while the margin values another |
//! | presence | a slot's kind zero unless the leaf is present | positions where the tree holds 0 |
//! | value | `slot::assign_slot` with the venue's own block of records | |
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
use super::publics::Publics;
use super::slot::{assign_slot, slot_witness, SlotCells, SlotContext};
use super::solvency::Totals;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::hash::{Fp, SLOT_SHIFTS};
use crate::margin::{Position, RiskParams};
use crate::profile::Profile;

/// The public parameters a venue's slots are valued under, as the prover knows them.
pub struct Valuation<'a> {
    pub profile: Profile,
    pub publics: &'a Publics,
    pub params: Value<&'a RiskParams>,
}

impl Valuation<'_> {
    /// The context of a slot choosing among `records`.
    fn context<'b>(&'b self, records: &'b [Cell], venue: usize) -> SlotContext<'b> {
        let publics = self.publics;
        SlotContext {
            profile: self.profile,
            records,
            venue,
            last_asset: &publics.last_asset,
            valid_from: &publics.valid_from,
            one_minus_upnl_haircut: &publics.one_minus_upnl_haircut,
        }
    }
}

/// Lays out venue `venue`'s slots (`positions`, one per slot), each kind zero unless
/// `present`, each valued into `totals`; returns their words, the contents of the venue's
/// leaf.
pub fn slots(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    valuation: &Valuation<'_>,
    venue: usize,
    present: &Cell,
    positions: Value<Vec<Position>>,
    totals: &mut Totals,
) -> Result<Vec<Cell>, Error> {
    let arith = &chips.arith;
    let p = valuation.profile;
    let publics = valuation.publics;
    let mut words = Vec::with_capacity(p.positions);
    for s in 0..p.positions {
        let name = format!("venue {venue} slot {s}");
        let position = positions.as_ref().map(|slots| slots[s]);
        let cells = (0..6)
            .map(|i| {
                let value = position.map(|pos| Fp::from(pos.fields()[i]));
                arith.witness(layouter, &format!("{name}: field {i}"), value)
            })
            .collect::<Result<Vec<_>, Error>>()?;
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
            .params
            .zip(position)
            .map(|(params, pos)| slot_witness(params, p, venue, &pos));
        let ctx = valuation.context(&publics.records[venue], venue);
        let instructions = chips.slot_instructions();
        let terms = assign_slot(
            &instructions,
            layouter,
            &name,
            &slot,
            &ctx,
            witness,
            valuation.params,
        )?;
        totals.add_slot(chips, layouter, &terms)?;
        let limbs: Vec<&Cell> = cells.iter().collect();
        let word_name = format!("{name}: word");
        words.push(word(arith, layouter, &word_name, &limbs, &SLOT_SHIFTS)?);
    }
    Ok(words)
}
