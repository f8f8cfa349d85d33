//! Forgeries: the witness values a dishonest prover writes, for the dishonest-prover corpus
//! (crate `zkmargin-testing`). Nothing here is part of the product.
//!
//! Without the cargo feature `testing` every hook below is the identity and compiles away; the
//! plan and the [`Forgery`] sites exist only with the feature. A forgery changes the values
//! written into witness cells, never the constraint system: anything it does, a malicious
//! prover could do with its own code (the pinned verifying keys hold with the feature on).
//!
//! A `Forged` circuit (`circuit::Forged`) is a margin circuit with a plan (a list of
//! forgeries). While it synthesizes, the plan sits in a thread-local ([`with_plan`]), and the
//! chips and gadgets consult it at the few points where they choose a witness value: a
//! witnessed cell (`ArithChip::witness`, `RangeCheckChip::witness_range_checked`), a Merkle
//! swap and a selection (the hooks below), a rounded quotient (`Division::assign`) and a
//! slot's witness (`gadgets::slot`) (those two next to their gadget, reading the plan through
//! `quotient_delta` and `find`). Each point finds its site by the name of the region it
//! assigns: the names `zkmargin audit` and the corpus's attribution use.
//!
//! This module names its sites with plain data only (`hash::Tree`, `witness::RiskOpening`)
//! and imports no chip, gadget or circuit: they import it.

use halo2_proofs::circuit::Value;

use crate::hash::Fp;

#[cfg(feature = "testing")]
pub use plan::*;

/// The value to witness in the cell named `region` (the honest `value` unless forged).
#[inline(always)]
pub(crate) fn witness(region: &str, value: Value<Fp>) -> Value<Fp> {
    #[cfg(feature = "testing")]
    return plan::forged_witness(region, value);
    #[cfg(not(feature = "testing"))]
    {
        let _ = region;
        value
    }
}

/// The `(left, right)` to witness in the Merkle swap named `region`.
#[inline(always)]
pub(crate) fn swap(region: &str, pair: (Value<Fp>, Value<Fp>)) -> (Value<Fp>, Value<Fp>) {
    #[cfg(feature = "testing")]
    return plan::forged_swap(region, pair);
    #[cfg(not(feature = "testing"))]
    {
        let _ = region;
        pair
    }
}

/// The choice weight to witness at `row` of the selection named `region`.
#[inline(always)]
pub(crate) fn choice(region: &str, row: usize, weight: Value<Fp>) -> Value<Fp> {
    #[cfg(feature = "testing")]
    return plan::forged_choice(region, row, weight);
    #[cfg(not(feature = "testing"))]
    {
        let _ = (region, row);
        weight
    }
}

/// The last accumulator and count to witness in the selection named `region`.
#[inline(always)]
pub(crate) fn selected(region: &str, last: (Value<Fp>, Value<Fp>)) -> (Value<Fp>, Value<Fp>) {
    #[cfg(feature = "testing")]
    return plan::forged_selected(region, last);
    #[cfg(not(feature = "testing"))]
    {
        let _ = region;
        last
    }
}

#[cfg(feature = "testing")]
mod plan {
    use std::cell::RefCell;

    use halo2_proofs::circuit::Value;

    use crate::hash::{Fp, Tree};
    use crate::witness::RiskOpening;

    /// A position slot: slot `slot` of venue `venue`'s leaf.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Slot {
        Leaf { venue: usize, slot: usize },
    }

    impl Slot {
        /// The name the circuit gives the slot's regions.
        pub fn name(&self) -> String {
            match self {
                Slot::Leaf { venue, slot } => format!("venue {venue} slot {slot}"),
            }
        }
    }

    /// A rounded quotient (`gadgets::division`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Quotient {
        /// The collateral value of `asset` on `chain`.
        Collateral { chain: usize, asset: usize },
        /// A slot's credit: a perpetual's haircut profit or a long option's haircut mark.
        Credit(Slot),
        /// A slot's debit: a perpetual's loss or a short option's mark.
        Debit(Slot),
        /// An underlying's short-option minimum.
        Minimum { asset: usize },
        /// An underlying's contingency.
        Contingency { asset: usize },
        /// `ceil(mm level / 1e6)`.
        Requirement,
    }

    impl Quotient {
        fn name(&self) -> String {
            match self {
                Quotient::Collateral { chain, asset } => {
                    format!("chain {chain}: asset {asset}: collateral")
                }
                Quotient::Credit(slot) => format!("{}: credit", slot.name()),
                Quotient::Debit(slot) => format!("{}: debit", slot.name()),
                Quotient::Minimum { asset } => format!("asset {asset}: som"),
                Quotient::Contingency { asset } => format!("asset {asset}: contingency"),
                Quotient::Requirement => "requirement".to_string(),
            }
        }
    }

    /// One forged witness value, named by its site.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Forgery {
        /// Account index bit `bit` witnessed as `value` (in every tree).
        IndexBit { bit: usize, value: Fp },
        /// The raw amount of `asset` on `chain` witnessed as `value` (in the leaf and in the
        /// valuation).
        Balance {
            chain: usize,
            asset: usize,
            value: Fp,
        },
        /// Raw field `field` of venue `venue`'s slot `slot` witnessed as `value` (in the leaf
        /// and in the valuation).
        SlotField {
            venue: usize,
            slot: usize,
            field: usize,
            value: Fp,
        },
        /// `delta` added to a rounded quotient (the remainder follows, so that the division's
        /// row holds and only its range checks can object).
        Quotient { of: Quotient, delta: i64 },
        /// The swap of `tree` at `level` in the order its index bit does not say.
        SwapFlipped { tree: Tree, level: usize },
        /// The swap of `tree` at `level` with the honest left node and `value` on the right.
        SwapRight { tree: Tree, level: usize, value: Fp },
        /// The Merkle swap named `region` (`"venue 0 slot 1: risk: merkle swap at height 0"`,
        /// any path's) witnessed as the pair `(left, right)`.
        SwapAt { region: String, left: Fp, right: Fp },
        /// A slot's underlying selected with these weights on two assets (every other weight
        /// zero), the last count claimed to be 1.
        SelectWeights {
            slot: Slot,
            weights: [(usize, Fp); 2],
        },
        /// A slot's underlying selected honestly, and `value` claimed as the selected keyed
        /// price.
        SelectClaim { slot: Slot, value: Fp },
        /// A slot's row of the risk table opened with this opening instead of its own.
        RiskOpening { slot: Slot, opening: RiskOpening },
        /// A slot's price direction (`price >= entry`) flipped.
        FlippedDirection { slot: Slot },
        /// Any witnessed cell, by the name of its region (`"venue 0 slot 1: mark < 2^62"`,
        /// `"asset 0: max(scan, som)"`, ...), witnessed as `value`.
        Cell { region: String, value: Fp },
        /// Venue slot `venue`'s listed flag witnessed as `value`.
        Listed { venue: usize, value: Fp },
        /// Venue slot `venue`'s credit line witnessed as `value` (in the commitment and the sum).
        Allowance { venue: usize, value: Fp },
    }

    thread_local! {
        static PLAN: RefCell<Vec<Forgery>> = const { RefCell::new(Vec::new()) };
    }

    /// Runs `f` with `plan` installed on this thread.
    pub fn with_plan<T>(plan: &[Forgery], f: impl FnOnce() -> T) -> T {
        let before = PLAN.with(|p| p.replace(plan.to_vec()));
        let out = f();
        PLAN.with(|p| p.replace(before));
        out
    }

    /// The first planned forgery `pick` accepts (the gadgets' accessor to the plan).
    pub(crate) fn find<T>(pick: impl Fn(&Forgery) -> Option<T>) -> Option<T> {
        PLAN.with(|p| p.borrow().iter().find_map(pick))
    }

    pub(super) fn forged_witness(region: &str, value: Value<Fp>) -> Value<Fp> {
        let forged = find(|f| {
            if let Forgery::Cell {
                region: name,
                value,
            } = f
            {
                return (name == region).then_some(*value);
            }
            let (name, value) = match *f {
                Forgery::IndexBit { bit, value } => (format!("index bit {bit}"), value),
                Forgery::Balance {
                    chain,
                    asset,
                    value,
                } => (format!("chain {chain}: amount {asset} < 2^64"), value),
                Forgery::SlotField {
                    venue,
                    slot,
                    field,
                    value,
                } => (format!("venue {venue} slot {slot}: field {field}"), value),
                Forgery::Listed { venue, value } => (format!("line {venue}: listed"), value),
                Forgery::Allowance { venue, value } => {
                    (format!("line {venue}: allowance < 2^100"), value)
                }
                _ => return None,
            };
            (name == region).then_some(value)
        });
        forged.map_or(value, Value::known)
    }

    /// The delta planned for the rounded quotient of the division named `region`
    /// (`Division::assign` applies it).
    pub(crate) fn quotient_delta(region: &str) -> Option<i64> {
        find(|f| match f {
            Forgery::Quotient { of, delta } if of.name() == region => Some(*delta),
            _ => None,
        })
    }

    fn swap_name(tree: &Tree, level: usize) -> String {
        format!("{tree}: merkle swap at height {level}")
    }

    pub(super) fn forged_swap(
        region: &str,
        (left, right): (Value<Fp>, Value<Fp>),
    ) -> (Value<Fp>, Value<Fp>) {
        let forged = find(|f| match f {
            Forgery::SwapFlipped { tree, level } if swap_name(tree, *level) == region => {
                Some((right, left))
            }
            Forgery::SwapRight { tree, level, value } if swap_name(tree, *level) == region => {
                Some((left, Value::known(*value)))
            }
            Forgery::SwapAt {
                region: name,
                left,
                right,
            } if name == region => Some((Value::known(*left), Value::known(*right))),
            _ => None,
        });
        forged.unwrap_or((left, right))
    }

    fn selection_name(slot: &Slot) -> String {
        format!("{}: underlying", slot.name())
    }

    pub(super) fn forged_choice(region: &str, row: usize, weight: Value<Fp>) -> Value<Fp> {
        let forged = find(|f| match f {
            Forgery::SelectWeights { slot, weights } if selection_name(slot) == region => Some(
                weights
                    .iter()
                    .filter(|(at, _)| *at == row)
                    .fold(Fp::zero(), |sum, (_, w)| sum + w),
            ),
            _ => None,
        });
        forged.map_or(weight, Value::known)
    }

    pub(super) fn forged_selected(
        region: &str,
        (acc, cnt): (Value<Fp>, Value<Fp>),
    ) -> (Value<Fp>, Value<Fp>) {
        let forged = find(|f| match f {
            Forgery::SelectWeights { slot, .. } if selection_name(slot) == region => {
                Some((acc, Value::known(Fp::one())))
            }
            Forgery::SelectClaim { slot, value } if selection_name(slot) == region => {
                Some((Value::known(*value), cnt))
            }
            _ => None,
        });
        forged.unwrap_or((acc, cnt))
    }
}
