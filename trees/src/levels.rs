//! The nodes a set of changed leaves changes, height by height, hashed on every core.
//!
//! A binary tree of depth `d` over leaves at `idx < 2^d`; the node at height `h` and position
//! `p` covers the leaves `p 2^h .. (p+1) 2^h`, and is `H(node(h-1, 2p), node(h-1, 2p+1))`
//! (`circuits::hash::merkle_node`). Nodes no leaf reaches are the empty roots of their height
//! (`circuits::hash::empty_roots`), so a tree is its non-empty nodes.
//!
//! When some leaves change, exactly their ancestors change. At each height the changed nodes
//! are sorted by position; each parent needs its two children, one of which may be unchanged:
//! those siblings are asked of the caller (the store, or nothing for a new tree) in one batch
//! per height, and the parents are hashed in parallel (rayon). The work is the number of
//! changed nodes, at most `d` a changed leaf and fewer where paths meet.

use rayon::prelude::*;
use zkmargin_circuits::hash::{empty_roots, merkle_node, Fp};

/// Nodes that changed, one list per height `0..=depth` (`[0]` the leaves, `[depth]` the root),
/// each sorted by position, with their new values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub heights: Vec<Vec<(u64, Fp)>>,
}

impl Changed {
    /// The new root (the tree's root when no leaf changed is the caller's to keep).
    pub fn root(&self) -> Option<Fp> {
        self.heights.last()?.first().map(|&(_, root)| root)
    }

    /// How many nodes above the leaves were hashed.
    pub fn hashed_nodes(&self) -> usize {
        self.heights.iter().skip(1).map(Vec::len).sum()
    }
}

/// The nodes above `leaves` (distinct positions below `2^depth`, any order, with their new
/// values; a leaf of 0 is an account that holds nothing). `siblings(h, positions)` returns the
/// current values of the unchanged nodes at height `h` at these sorted positions, in order (the
/// empty root of the height where there is none).
pub fn propagate<E>(
    depth: usize,
    mut leaves: Vec<(u64, Fp)>,
    mut siblings: impl FnMut(usize, &[u64]) -> Result<Vec<Fp>, E>,
) -> Result<Changed, E> {
    assert!(
        depth < 64,
        "a tree of depth {depth} does not fit u64 positions"
    );
    leaves.par_sort_unstable_by_key(|&(idx, _)| idx);
    assert!(
        leaves.windows(2).all(|w| w[0].0 != w[1].0),
        "each leaf changes once"
    );
    assert!(
        leaves.last().is_none_or(|&(idx, _)| idx >> depth == 0),
        "leaf positions are below 2^depth"
    );
    let mut heights = vec![leaves];
    for h in 0..depth {
        let level = &heights[h];
        if level.is_empty() {
            heights.push(Vec::new());
            continue;
        }
        // The sibling of each changed node that did not change itself.
        let missing: Vec<u64> = pairs(level)
            .filter_map(|(left, right)| match (left, right) {
                (Some(_), Some(_)) => None,
                (Some((p, _)), None) => Some(p ^ 1),
                (None, Some((p, _))) => Some(p ^ 1),
                (None, None) => unreachable!("a pair has a changed node"),
            })
            .collect();
        let found = siblings(h, &missing)?;
        assert_eq!(found.len(), missing.len(), "one value a sibling");
        let mut found = found.into_iter();
        let children: Vec<(u64, Fp, Fp)> = pairs(level)
            .map(|(left, right)| {
                let mut take = || found.next().expect("counted above");
                match (left, right) {
                    (Some((p, l)), Some((_, r))) => (p >> 1, l, r),
                    (Some((p, l)), None) => (p >> 1, l, take()),
                    (None, Some((p, r))) => (p >> 1, take(), r),
                    (None, None) => unreachable!("a pair has a changed node"),
                }
            })
            .collect();
        let parents: Vec<(u64, Fp)> = children
            .into_par_iter()
            .with_min_len(64)
            .map(|(parent, left, right)| (parent, merkle_node(left, right)))
            .collect();
        heights.push(parents);
    }
    Ok(Changed { heights })
}

/// The changed nodes of one height grouped by parent: `(left, right)`, each the changed child
/// at that side or `None` where that child did not change.
fn pairs(level: &[(u64, Fp)]) -> impl Iterator<Item = (Option<(u64, Fp)>, Option<(u64, Fp)>)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let &(p, v) = level.get(i)?;
        if p & 1 == 1 {
            i += 1;
            return Some((None, Some((p, v))));
        }
        match level.get(i + 1) {
            Some(&(q, w)) if q == p + 1 => {
                i += 2;
                Some((Some((p, v)), Some((q, w))))
            }
            _ => {
                i += 1;
                Some((Some((p, v)), None))
            }
        }
    })
}

/// The siblings of a new tree: every unchanged node is empty.
pub fn empty_siblings(
    depth: usize,
) -> impl FnMut(usize, &[u64]) -> Result<Vec<Fp>, std::convert::Infallible> {
    let empty = empty_roots(depth);
    move |h, positions| Ok(vec![empty[h]; positions.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use zkmargin_circuits::hash::MerkleTree;

    /// A tree kept as a map of its nodes, updated through `propagate`.
    struct Nodes {
        depth: usize,
        empty: Vec<Fp>,
        nodes: BTreeMap<(usize, u64), Fp>,
    }

    impl Nodes {
        fn apply(&mut self, leaves: Vec<(u64, Fp)>) -> Changed {
            let (nodes, empty) = (&self.nodes, &self.empty);
            let changed = propagate(self.depth, leaves, |h, positions| {
                Ok::<_, ()>(
                    positions
                        .iter()
                        .map(|&p| *nodes.get(&(h, p)).unwrap_or(&empty[h]))
                        .collect(),
                )
            })
            .unwrap();
            for (h, level) in changed.heights.iter().enumerate() {
                for &(p, v) in level {
                    self.nodes.insert((h, p), v);
                }
            }
            changed
        }

        fn root(&self) -> Fp {
            *self
                .nodes
                .get(&(self.depth, 0))
                .unwrap_or(&self.empty[self.depth])
        }
    }

    #[test]
    fn updates_reach_the_root_a_whole_rebuild_reaches() {
        let depth = 6;
        let mut leaves: BTreeMap<u64, Fp> = (0..40u64).map(|i| (i, Fp::from(1000 + i))).collect();
        let mut tree = Nodes {
            depth,
            empty: empty_roots(depth),
            nodes: BTreeMap::new(),
        };
        let first = tree.apply(leaves.iter().map(|(&i, &v)| (i, v)).collect());
        let whole = |leaves: &BTreeMap<u64, Fp>| {
            MerkleTree::new(
                depth,
                &leaves.iter().map(|(&i, &v)| (i, v)).collect::<Vec<_>>(),
            )
            .root()
        };
        assert_eq!(first.root(), Some(whole(&leaves)));
        assert_eq!(tree.root(), whole(&leaves));
        // Changes: two siblings, a lone leaf, a leaf emptied, a leaf far from the others.
        let changes = vec![
            (7, Fp::from(1)),
            (6, Fp::from(2)),
            (21, Fp::from(3)),
            (3, Fp::from(0)),
            (63, Fp::from(9)),
        ];
        for &(i, v) in &changes {
            leaves.insert(i, v);
        }
        let changed = tree.apply(changes);
        assert_eq!(changed.root(), Some(whole(&leaves)));
        // Only the ancestors were hashed: at most depth per leaf, fewer where paths meet.
        assert!(changed.hashed_nodes() <= 5 * depth);
        assert_eq!(
            changed.heights[1]
                .iter()
                .map(|&(p, _)| p)
                .collect::<Vec<_>>(),
            vec![1, 3, 10, 31]
        );
        // No change, no hash.
        let none = tree.apply(Vec::new());
        assert_eq!((none.root(), none.hashed_nodes()), (None, 0));
    }

    #[test]
    fn a_new_tree_needs_no_sibling_but_the_empty_ones() {
        let leaves = vec![(5, Fp::from(22)), (0, Fp::from(11)), (6, Fp::from(33))];
        let changed = propagate(4, leaves.clone(), empty_siblings(4)).unwrap();
        assert_eq!(changed.root(), Some(MerkleTree::new(4, &leaves).root()));
    }
}
