//! The Merkle chip: one level of a binary Merkle path.
//!
//! | a        | b       | c   | d    | q_merkle |
//! |----------|---------|-----|------|----------|
//! | node     | sibling | bit | left |    1     |
//! | right    |         |     |      |    0     |
//!
//! Gate `merkle swap`:
//! - `bit is boolean`: `bit (1 - bit) = 0`; a bit of 2 or 1/2 would mix node and sibling;
//! - `left`: `left = node + bit (sibling - node)`: the node goes left when its index bit is 0;
//! - `right`: `right = node + sibling - left`: nothing is invented or dropped.
//!
//! The bits are not witnessed here: they are copied from the one decomposition of the account
//! index that every tree shares, so a leaf cannot be opened at one index in one tree and at
//! another index in the next (the cheat "another account's leaf" or "a leaf at the wrong
//! index"). The hash of `(left, right)` is the next level's node.

use halo2_proofs::{
    circuit::{AssignedCell, Layouter},
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Selector},
    poly::Rotation,
};

use super::poseidon::HashInstructions;
use crate::hash::Fp;

/// Configuration of [`MerkleChip`].
#[derive(Clone, Debug)]
pub struct MerkleConfig {
    advice: [Column<Advice>; 4],
    q_merkle: Selector,
}

/// What the Merkle chip can do.
pub trait MerkleInstructions {
    /// Orders `(node, sibling)` by `bit`: `(node, sibling)` when 0, `(sibling, node)` when 1.
    fn swap(
        &self,
        layouter: &mut impl Layouter<Fp>,
        node: &AssignedCell<Fp, Fp>,
        sibling: &AssignedCell<Fp, Fp>,
        bit: &AssignedCell<Fp, Fp>,
    ) -> Result<(AssignedCell<Fp, Fp>, AssignedCell<Fp, Fp>), Error>;
}

/// The Merkle chip.
#[derive(Clone, Debug)]
pub struct MerkleChip {
    config: MerkleConfig,
}

impl MerkleChip {
    /// Configures the swap gate on four equality-enabled advice columns.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, advice: [Column<Advice>; 4]) -> MerkleConfig {
        for column in advice {
            meta.enable_equality(column);
        }
        let q_merkle = meta.selector();
        meta.create_gate("merkle swap", |meta| {
            let q = meta.query_selector(q_merkle);
            let node = meta.query_advice(advice[0], Rotation::cur());
            let sibling = meta.query_advice(advice[1], Rotation::cur());
            let bit = meta.query_advice(advice[2], Rotation::cur());
            let left = meta.query_advice(advice[3], Rotation::cur());
            let right = meta.query_advice(advice[0], Rotation::next());
            let one = Expression::Constant(Fp::one());
            Constraints::with_selector(
                q,
                [
                    ("bit is boolean", bit.clone() * (one - bit.clone())),
                    (
                        "left",
                        left.clone() - node.clone() - bit * (sibling.clone() - node.clone()),
                    ),
                    ("right", right - (node + sibling - left)),
                ],
            )
        });
        MerkleConfig { advice, q_merkle }
    }

    pub fn construct(config: MerkleConfig) -> Self {
        MerkleChip { config }
    }
}

impl MerkleInstructions for MerkleChip {
    fn swap(
        &self,
        layouter: &mut impl Layouter<Fp>,
        node: &AssignedCell<Fp, Fp>,
        sibling: &AssignedCell<Fp, Fp>,
        bit: &AssignedCell<Fp, Fp>,
    ) -> Result<(AssignedCell<Fp, Fp>, AssignedCell<Fp, Fp>), Error> {
        let [a, b, c, d] = self.config.advice;
        layouter.assign_region(
            || "merkle swap",
            |mut region| {
                self.config.q_merkle.enable(&mut region, 0)?;
                let node = node.copy_advice(|| "node", &mut region, a, 0)?;
                let sibling = sibling.copy_advice(|| "sibling", &mut region, b, 0)?;
                let bit = bit.copy_advice(|| "bit", &mut region, c, 0)?;
                let swap = bit.value().map(|b| *b == Fp::one());
                let n = node.value().copied();
                let s = sibling.value().copied();
                let left = swap
                    .zip(n.zip(s))
                    .map(|(swap, (n, s))| if swap { s } else { n });
                let right = swap
                    .zip(n.zip(s))
                    .map(|(swap, (n, s))| if swap { n } else { s });
                let left = region.assign_advice(|| "left", d, 0, || left)?;
                let right = region.assign_advice(|| "right", a, 1, || right)?;
                Ok((left, right))
            },
        )
    }
}

/// The root reached from `leaf` through `siblings` (bottom up), ordering each level by the
/// matching cell of `bits`.
pub fn merkle_root(
    merkle: &impl MerkleInstructions,
    hasher: &impl HashInstructions,
    layouter: &mut impl Layouter<Fp>,
    leaf: &AssignedCell<Fp, Fp>,
    siblings: &[AssignedCell<Fp, Fp>],
    bits: &[AssignedCell<Fp, Fp>],
) -> Result<AssignedCell<Fp, Fp>, Error> {
    assert_eq!(siblings.len(), bits.len(), "one index bit per level");
    let mut node = leaf.clone();
    for (level, (sibling, bit)) in siblings.iter().zip(bits).enumerate() {
        let (left, right) = merkle.swap(layouter, &node, sibling, bit)?;
        node = hasher.hash(
            layouter,
            &format!("node at height {}", level + 1),
            &[left, right],
        )?;
    }
    Ok(node)
}
