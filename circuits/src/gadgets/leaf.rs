//! Leaves: an account's leaf in a published tree, opened at the account's index.

use std::fmt;

/// A published tree: a chain's collateral vault or a venue's position book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    Chain(usize),
    Venue(usize),
}

/// The name the circuit gives the tree's regions: `chain c` or `venue v`.
impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tree::Chain(c) => write!(f, "chain {c}"),
            Tree::Venue(v) => write!(f, "venue {v}"),
        }
    }
}
