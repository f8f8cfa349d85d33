//! The leaf gadget: an account's leaf in a published tree, opened at the account's index. The
//! same gadget opens a chain's collateral leaf and a venue's position leaf; the caller lays
//! out the leaf's contents (amounts or slots, valued as they are witnessed).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | present | `present` boolean | a leaf counted half |
//! | head | `(domain tag, account key, chain or venue id)` (constant, copies) | a leaf of another kind, account or member |
//! | contents | the caller's cells, each zero unless `present` (by the caller) | collateral or positions where the tree holds 0 |
//! | words | each word `sum limb_i 2^shift_i` of the valued cells (`word`, `arith/row`), every limb range-checked to its width by the caller | a leaf that hashes one number while the margin values another |
//! | leaf | `present * H(head.., words.., salt)` | |
//! | path | `depth` Merkle levels ordered by the shared index bits (`chips::merkle`) | a leaf at another index |
//! | root | the root reached equals the public root (copy to the instance) | a leaf the tree does not hold; a stale root |

use ff::Field;

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::merkle::merkle_root;
use crate::chips::poseidon::HashInstructions;
// The tree a leaf sits in is data only (`hash::Tree`), shared with the forgery plan.
use crate::hash::Fp;
pub use crate::hash::Tree;
use crate::witness::LeafOpening;

/// The word `sum limbs[i] 2^shifts[i]` of a leaf message (`hash::pack_word`), built from
/// the very cells that are valued: one `arith` row per three limbs (a lone limb at offset 0 is
/// its own word). Unique only if the caller range-checks every limb below the next offset.
pub fn word(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    limbs: &[&Cell],
    shifts: &[u32],
) -> Result<Cell, Error> {
    assert_eq!(limbs.len(), shifts.len(), "one shift per limb");
    let pow = |shift: u32| Fp::from(2).pow_vartime([u64::from(shift)]);
    let mut terms: Vec<(Fp, &Cell)> = limbs
        .iter()
        .zip(shifts)
        .map(|(c, &s)| (pow(s), *c))
        .collect();
    if let [(k, cell)] = terms[..] {
        if k == Fp::one() {
            return Ok(cell.clone());
        }
    }
    let first: Vec<_> = terms.drain(..terms.len().min(3)).collect();
    let mut acc = arith.linear(layouter, name, &first, Fp::zero())?;
    for row in 2.. {
        if terms.is_empty() {
            break;
        }
        acc = {
            let mut sum = vec![(Fp::one(), &acc)];
            sum.extend(terms.drain(..terms.len().min(2)));
            arith.linear(layouter, &format!("{name} ({row})"), &sum, Fp::zero())?
        };
    }
    Ok(acc)
}

/// What a leaf is opened with, besides its contents.
pub struct LeafHead<'a> {
    pub tree: Tree,
    /// The leaf's domain tag (`hash::TAG_COLLATERAL_LEAF` or `TAG_POSITION_LEAF`).
    pub domain: u64,
    pub key: &'a Cell,
    /// The chain's or the venue's id.
    pub member_id: &'a Cell,
    /// The instance row of the tree's root.
    pub root_row: usize,
    /// How the prover opens the leaf.
    pub opening: Value<LeafOpening>,
}

/// Opens the account's leaf in `head.tree` at the index `index_bits`: `present * H(domain,
/// key, member id, contents.., salt)` must sit there under the public root. `contents` lays
/// out the leaf's contents given the `present` cell, and returns its words in message order.
pub fn open<L: Layouter<Fp>>(
    chips: &Chips,
    layouter: &mut L,
    head: LeafHead<'_>,
    index_bits: &[Cell],
    contents: impl FnOnce(&mut L, &Cell) -> Result<Vec<Cell>, Error>,
) -> Result<(), Error> {
    let (arith, hasher) = (&chips.arith, &chips.hasher);
    let name = head.tree.to_string();
    let n = |step: &str| format!("{name}: {step}");
    let opening = head.opening;
    let flag = opening.as_ref().map(|o| Fp::from(o.present as u64));
    let present = arith.witness(layouter, &n("present"), flag)?;
    arith.assert_bool(layouter, &n("present is boolean"), &present)?;
    let domain = arith.constant(layouter, &n("domain tag"), Fp::from(head.domain))?;
    let mut message = vec![domain, head.key.clone(), head.member_id.clone()];
    message.extend(contents(layouter, &present)?);
    let salt = opening.as_ref().map(|o| o.salt);
    message.push(arith.witness(layouter, &n("salt"), salt)?);
    let leaf = hasher.hash(layouter, &n("leaf"), &message)?;
    let held = arith.mul(layouter, &n("present leaf"), &present, &leaf)?;
    let path = opening.map(|o| o.path);
    let siblings = (0..index_bits.len())
        .map(|h| {
            let sibling = path.as_ref().map(|path| path[h]);
            arith.witness(layouter, &n(&format!("sibling {h}")), sibling)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let root = merkle_root(
        &chips.merkle,
        hasher,
        layouter,
        &name,
        &held,
        &siblings,
        index_bits,
    )?;
    layouter.constrain_instance(root.cell(), chips.instance, head.root_row)
}

#[cfg(test)]
mod tests {
    use halo2_proofs::{
        circuit::SimpleFloorPlanner,
        dev::MockProver,
        plonk::{Circuit, Column, ConstraintSystem, Instance},
    };

    use super::*;
    use crate::chips::arith::{ArithChip, ArithConfig};
    use crate::chips::range::{RangeCheckChip, RangeCheckConfig, RangeInstructions};
    use crate::hash::{pack_word, slot_word, SLOT_SHIFTS, SLOT_WIDTHS};

    /// Six limbs, each range-checked to its slot width, packed into a word that must equal
    /// the public input.
    #[derive(Clone)]
    struct SlotWord {
        limbs: Value<[Fp; 6]>,
    }

    impl Circuit<Fp> for SlotWord {
        type Config = (ArithConfig, RangeCheckConfig, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            SlotWord {
                limbs: Value::unknown(),
            }
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let running_sum = meta.advice_column();
            let range = RangeCheckChip::configure(meta, running_sum);
            let columns = [(); 4].map(|_| meta.advice_column());
            let arith = ArithChip::configure(meta, columns);
            let public = meta.instance_column();
            meta.enable_equality(public);
            let fixed = meta.fixed_column();
            meta.enable_constant(fixed);
            (arith, range, public)
        }

        fn synthesize(
            &self,
            (arith, range, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let (arith, range) = (
                ArithChip::construct(arith),
                RangeCheckChip::construct(range),
            );
            range.load_table(&mut layouter)?;
            let cells = (0..6)
                .map(|i| {
                    let name = format!("limb {i}");
                    let value = self.limbs.map(|limbs| limbs[i]);
                    range.witness_range_checked(
                        &mut layouter,
                        &name,
                        value,
                        SLOT_WIDTHS[i] as usize,
                    )
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let limbs: Vec<&Cell> = cells.iter().collect();
            let w = word(&arith, &mut layouter, "word", &limbs, &SLOT_SHIFTS)?;
            layouter.constrain_instance(w.cell(), instance, 0)
        }
    }

    fn refused(limbs: [Fp; 6], word: Fp) -> bool {
        let circuit = SlotWord {
            limbs: Value::known(limbs),
        };
        MockProver::run(11, &circuit, vec![vec![word]])
            .unwrap()
            .verify()
            .is_err()
    }

    #[test]
    fn the_word_is_the_packed_limbs_and_a_carry_between_limbs_is_refused() {
        let honest = [3, 15, 1, 5, 7, 9].map(Fp::from);
        let w = slot_word(&honest);
        assert!(!refused(honest, w), "honest limbs");
        assert!(refused(honest, w + Fp::one()), "another word");
        for i in 0..5 {
            let mut carried = honest;
            carried[i] += Fp::from(2).pow_vartime([u64::from(SLOT_WIDTHS[i])]);
            carried[i + 1] -= Fp::one();
            assert_eq!(
                pack_word(&carried, &SLOT_SHIFTS),
                w,
                "limb {i}: the same word"
            );
            assert!(refused(carried, w), "limb {i} carried into limb {}", i + 1);
        }
    }
}
