//! The leaf gadget: an account's leaf in a published tree, opened at the account's index. The
//! same gadget opens a chain's collateral leaf and a venue's position leaf; the caller lays
//! out the leaf's contents (amounts or slots, valued as they are witnessed).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | present | `present` boolean | a leaf counted half |
//! | head | `(domain tag, account key, chain or venue id)` (constant, copies) | a leaf of another kind, account or member |
//! | contents | the caller's cells, each zero unless `present` (by the caller) | collateral or positions where the tree holds 0 |
//! | leaf | `present * H(head.., contents.., salt)` | |
//! | path | `depth` Merkle levels ordered by the shared index bits (`chips::merkle`) | a leaf at another index |
//! | root | the root reached equals the public root (copy to the instance) | a leaf the tree does not hold; a stale root |

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
/// out the leaf's contents given the `present` cell, and returns them in message order.
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
