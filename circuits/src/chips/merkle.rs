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
use crate::forgery;
use crate::hash::Fp;
use crate::mutation::switch;

/// The ordered pair `(left, right)` a level hashes.
pub type OrderedPair = (AssignedCell<Fp, Fp>, AssignedCell<Fp, Fp>);

/// Configuration of [`MerkleChip`].
#[derive(Clone, Debug)]
pub struct MerkleConfig {
    advice: [Column<Advice>; 4],
    q_merkle: Selector,
}

/// What the Merkle chip can do.
pub trait MerkleInstructions {
    /// Orders `(node, sibling)` by `bit`: `(node, sibling)` when 0, `(sibling, node)` when 1.
    /// `name` labels the region.
    fn swap(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        node: &AssignedCell<Fp, Fp>,
        sibling: &AssignedCell<Fp, Fp>,
        bit: &AssignedCell<Fp, Fp>,
    ) -> Result<OrderedPair, Error>;
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
                    (
                        "bit is boolean",
                        switch(
                            "merkle swap/bit is boolean",
                            bit.clone() * (one - bit.clone()),
                        ),
                    ),
                    (
                        "left",
                        switch(
                            "merkle swap/left",
                            left.clone() - node.clone() - bit * (sibling.clone() - node.clone()),
                        ),
                    ),
                    (
                        "right",
                        switch("merkle swap/right", right - (node + sibling - left)),
                    ),
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
        name: &str,
        node: &AssignedCell<Fp, Fp>,
        sibling: &AssignedCell<Fp, Fp>,
        bit: &AssignedCell<Fp, Fp>,
    ) -> Result<OrderedPair, Error> {
        let [a, b, c, d] = self.config.advice;
        layouter.assign_region(
            || name,
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
                let (left, right) = forgery::swap(name, (left, right));
                let left = region.assign_advice(|| "left", d, 0, || left)?;
                let right = region.assign_advice(|| "right", a, 1, || right)?;
                Ok((left, right))
            },
        )
    }
}

/// The root reached from `leaf` through `siblings` (bottom up), ordering each level by the
/// matching cell of `bits`. `name` prefixes the regions' names.
pub fn merkle_root(
    merkle: &impl MerkleInstructions,
    hasher: &impl HashInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    leaf: &AssignedCell<Fp, Fp>,
    siblings: &[AssignedCell<Fp, Fp>],
    bits: &[AssignedCell<Fp, Fp>],
) -> Result<AssignedCell<Fp, Fp>, Error> {
    assert_eq!(siblings.len(), bits.len(), "one index bit per level");
    let mut node = leaf.clone();
    for (level, (sibling, bit)) in siblings.iter().zip(bits).enumerate() {
        let (left, right) = merkle.swap(
            layouter,
            &format!("{name}: merkle swap at height {level}"),
            &node,
            sibling,
            bit,
        )?;
        node = hasher.hash(
            layouter,
            &format!("{name}: node at height {}", level + 1),
            &[left, right],
        )?;
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chips::poseidon::{PoseidonChip, PoseidonConfig};
    use crate::hash::{root_from_path, MerkleTree};
    use halo2_proofs::{
        circuit::{SimpleFloorPlanner, Value},
        dev::MockProver,
        plonk::{Circuit, Instance},
    };

    /// Opens `leaf` with `path` at the index given by `bits` (raw field elements, so a
    /// dishonest test can pass a bit of 2); the root is public.
    #[derive(Clone)]
    struct Open {
        leaf: Fp,
        path: Vec<Fp>,
        bits: Vec<Fp>,
        /// Claim this `left` output in the first level instead of the honest one.
        bad_left: Option<Fp>,
    }

    impl Circuit<Fp> for Open {
        type Config = (
            MerkleConfig,
            PoseidonConfig,
            [Column<Advice>; 4],
            Column<Instance>,
        );
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let advice = [(); 4].map(|_| meta.advice_column());
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            let poseidon = PoseidonChip::configure_on_new_columns(meta);
            (
                MerkleChip::configure(meta, advice),
                poseidon,
                advice,
                instance,
            )
        }
        fn synthesize(
            &self,
            (merkle, poseidon, advice, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let cells = layouter.assign_region(
                || "inputs",
                |mut region| {
                    let mut assign = |i: usize, v: Fp| {
                        region.assign_advice(|| "w", advice[i % 4], i / 4, || Value::known(v))
                    };
                    let leaf = assign(0, self.leaf)?;
                    let mut path = vec![];
                    let mut bits = vec![];
                    for (h, (s, b)) in self.path.iter().zip(&self.bits).enumerate() {
                        path.push(assign(4 + 2 * h, *s)?);
                        bits.push(assign(5 + 2 * h, *b)?);
                    }
                    Ok((leaf, path, bits))
                },
            )?;
            let (leaf, path, bits) = cells;
            let chip = MerkleChip::construct(merkle.clone());
            let hasher = PoseidonChip::construct(poseidon);
            let root = match self.bad_left {
                None => merkle_root(&chip, &hasher, &mut layouter, "open", &leaf, &path, &bits)?,
                Some(bad) => {
                    let [a, b, c, d] = merkle.advice;
                    let (left, right) = layouter.assign_region(
                        || "bad swap",
                        |mut region| {
                            merkle.q_merkle.enable(&mut region, 0)?;
                            leaf.copy_advice(|| "node", &mut region, a, 0)?;
                            path[0].copy_advice(|| "sibling", &mut region, b, 0)?;
                            bits[0].copy_advice(|| "bit", &mut region, c, 0)?;
                            let left =
                                region.assign_advice(|| "left", d, 0, || Value::known(bad))?;
                            let right = region.assign_advice(
                                || "right",
                                a,
                                1,
                                || Value::known(self.leaf + self.path[0] - bad),
                            )?;
                            Ok((left, right))
                        },
                    )?;
                    let mut node = hasher.hash(&mut layouter, "level 1", &[left, right])?;
                    for h in 1..path.len() {
                        let (l, r) = chip.swap(&mut layouter, "swap", &node, &path[h], &bits[h])?;
                        node = hasher.hash(&mut layouter, "level", &[l, r])?;
                    }
                    node
                }
            };
            layouter.constrain_instance(root.cell(), instance, 0)
        }
    }

    fn setup() -> (MerkleTree, u64) {
        let leaves: Vec<(u64, Fp)> = (0..8).map(|i| (i, Fp::from(100 + i))).collect();
        (MerkleTree::new(3, &leaves), 5)
    }

    fn bits(idx: u64) -> Vec<Fp> {
        (0..3).map(|h| Fp::from((idx >> h) & 1)).collect()
    }

    fn accepts(open: Open, root: Fp) -> bool {
        MockProver::run(9, &open, vec![vec![root]])
            .unwrap()
            .verify()
            .is_ok()
    }

    #[test]
    fn the_right_path_reaches_the_root() {
        let (tree, idx) = setup();
        let open = Open {
            leaf: tree.leaf(idx),
            path: tree.path(idx),
            bits: bits(idx),
            bad_left: None,
        };
        assert_eq!(
            root_from_path(tree.leaf(idx), idx, &tree.path(idx)),
            tree.root()
        );
        assert!(accepts(open, tree.root()));
    }

    #[test]
    fn another_index_does_not() {
        let (tree, idx) = setup();
        let open = Open {
            leaf: tree.leaf(idx),
            path: tree.path(idx),
            bits: bits(idx ^ 2),
            bad_left: None,
        };
        assert!(!accepts(open, tree.root()));
    }

    #[test]
    fn a_bit_of_two_is_rejected() {
        let (tree, idx) = setup();
        let mut b = bits(idx);
        b[1] = Fp::from(2);
        let open = Open {
            leaf: tree.leaf(idx),
            path: tree.path(idx),
            bits: b,
            bad_left: None,
        };
        assert!(!accepts(open, tree.root()));
    }

    #[test]
    fn a_swap_that_invents_a_node_is_rejected() {
        let (tree, idx) = setup();
        // idx 5 has bit 0 = 1: left must be the sibling; claim the leaf itself instead.
        let open = Open {
            leaf: tree.leaf(idx),
            path: tree.path(idx),
            bits: bits(idx),
            bad_left: Some(tree.leaf(idx)),
        };
        assert!(!accepts(open, tree.root()));
    }
}
