//! Forgeries: the witness values a dishonest prover writes, for the dishonest-prover corpus
//! (crate `zkmargin-testing`). Nothing here is part of the product.
//!
//! Without the cargo feature `testing` every hook below is the identity and compiles away; the
//! plan, the [`Forgery`] sites and the [`Forged`] circuit exist only with the feature. A
//! forgery changes the values written into witness cells, never the constraint system:
//! anything it does, a malicious prover could do with its own code (the pinned verifying keys
//! hold with the feature on).
//!
//! A [`Forged`] circuit is a margin circuit with a plan (a list of forgeries). While it
//! synthesizes, the plan sits in a thread-local, and the chips and gadgets consult it at the
//! few points where they choose a witness value: a witnessed cell (`ArithChip::witness`,
//! `RangeCheckChip::witness_range_checked`), a rounded quotient (`Division::assign`), a Merkle
//! swap, a selection, and a slot's witness (`gadgets::slot`). Each point finds its site by the
//! name of the region it assigns: the names `zkmargin audit` and the corpus's attribution use.

use halo2_proofs::circuit::Value;

use crate::gadgets::division::Division;
use crate::gadgets::slot::{SlotContext, SlotWitness};
use crate::hash::Fp;
use crate::margin::RiskParams;

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

/// The `(quotient, remainder)` to witness for the division named `region`.
#[inline(always)]
pub(crate) fn division(region: &str, division: &Division, qr: (Fp, Fp)) -> (Fp, Fp) {
    #[cfg(feature = "testing")]
    return plan::forged_division(region, division, qr);
    #[cfg(not(feature = "testing"))]
    {
        let _ = (region, division);
        qr
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

/// The prover's witness of the slot named `region`.
#[inline(always)]
pub(crate) fn slot(
    region: &str,
    ctx: &SlotContext<'_>,
    params: &RiskParams,
    witness: SlotWitness,
) -> SlotWitness {
    #[cfg(feature = "testing")]
    return plan::forged_slot(region, ctx, params, witness);
    #[cfg(not(feature = "testing"))]
    {
        let _ = (region, ctx, params);
        witness
    }
}

#[cfg(feature = "testing")]
mod plan {
    use std::cell::RefCell;

    use ff::PrimeField;
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
    use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

    use crate::circuit::{MarginCircuit, MarginConfig};
    use crate::gadgets::division::{Division, Rounding};
    use crate::gadgets::leaf::Tree;
    use crate::gadgets::record::RecordFields;
    use crate::gadgets::slot::{record_fields, SlotContext, SlotWitness, VenueRef};
    use crate::hash::Fp;
    use crate::margin::RiskParams;

    /// A position slot: slot `slot` of venue `venue`'s leaf, or the order.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Slot {
        Leaf { venue: usize, slot: usize },
        Order,
    }

    impl Slot {
        /// The name the circuit gives the slot's regions.
        pub fn name(&self) -> String {
            match self {
                Slot::Leaf { venue, slot } => format!("venue {venue} slot {slot}"),
                Slot::Order => "order".to_string(),
            }
        }
    }

    /// A rounded quotient (`gadgets::division`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Quotient {
        /// The collateral value of `asset` on `chain`.
        Collateral { chain: usize, asset: usize },
        /// A slot's maintenance margin.
        Margin(Slot),
        /// A perpetual's profit credit.
        Credit(Slot),
        /// A perpetual's loss debit.
        Debit(Slot),
        /// `ceil(mm level / 1e6)`.
        Requirement,
    }

    impl Quotient {
        fn name(&self) -> String {
            match self {
                Quotient::Collateral { chain, asset } => {
                    format!("chain {chain}: asset {asset}: collateral")
                }
                Quotient::Margin(slot) => format!("{}: mm", slot.name()),
                Quotient::Credit(slot) => format!("{}: upnl credit", slot.name()),
                Quotient::Debit(slot) => format!("{}: upnl debit", slot.name()),
                Quotient::Requirement => "requirement".to_string(),
            }
        }
    }

    /// One forged witness value, named by its site.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        /// A slot's record selected with these weights on two records (every other weight
        /// zero), the last count claimed to be 1.
        SelectWeights {
            slot: Slot,
            weights: [(usize, Fp); 2],
        },
        /// A slot's record selected honestly, and `value` claimed as the selected record.
        SelectClaim { slot: Slot, value: Fp },
        /// A slot valued with record `choice` of its list (read honestly from the parameters).
        Choice { slot: Slot, choice: usize },
        /// A slot's selected record unpacked into these limbs.
        Record { slot: Slot, fields: RecordFields },
        /// A slot claimed in expiry bucket `bucket`.
        Bucket { slot: Slot, bucket: usize },
        /// A slot's price direction (`price >= entry`) flipped.
        FlippedDirection { slot: Slot },
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

    /// The first planned forgery `pick` accepts.
    fn find<T>(pick: impl Fn(&Forgery) -> Option<T>) -> Option<T> {
        PLAN.with(|p| p.borrow().iter().find_map(pick))
    }

    /// A margin circuit whose prover follows a forgery plan.
    #[derive(Clone, Debug)]
    pub struct Forged {
        pub circuit: MarginCircuit,
        pub plan: Vec<Forgery>,
    }

    impl Circuit<Fp> for Forged {
        type Config = MarginConfig;
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            Forged {
                circuit: self.circuit.without_witnesses(),
                plan: vec![],
            }
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
            MarginCircuit::configure(meta)
        }

        fn synthesize(
            &self,
            config: MarginConfig,
            layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            with_plan(&self.plan, || self.circuit.synthesize(config, layouter))
        }
    }

    pub(super) fn forged_witness(region: &str, value: Value<Fp>) -> Value<Fp> {
        let forged = find(|f| {
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
                _ => return None,
            };
            (name == region).then_some(value)
        });
        forged.map_or(value, Value::known)
    }

    pub(super) fn forged_division(region: &str, division: &Division, (q, r): (Fp, Fp)) -> (Fp, Fp) {
        let delta = find(|f| match f {
            Forgery::Quotient { of, delta } if of.name() == region => Some(*delta),
            _ => None,
        });
        let Some(delta) = delta else {
            return (q, r);
        };
        let delta = if delta >= 0 {
            Fp::from(delta as u64)
        } else {
            -Fp::from(delta.unsigned_abs())
        };
        let d = Fp::from_u128(division.divisor);
        match division.rounding {
            Rounding::Floor => (q + delta, r - delta * d),
            Rounding::Ceil => (q + delta, r + delta * d),
        }
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
            _ => None,
        });
        forged.unwrap_or((left, right))
    }

    fn selection_name(slot: &Slot) -> String {
        format!("{}: parameter record", slot.name())
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

    pub(super) fn forged_slot(
        region: &str,
        ctx: &SlotContext<'_>,
        params: &RiskParams,
        mut w: SlotWitness,
    ) -> SlotWitness {
        let here = |slot: &Slot| slot.name() == region;
        let profile = ctx.profile;
        if let Some(choice) = find(|f| match f {
            Forgery::Choice { slot, choice } if here(slot) => Some(*choice),
            _ => None,
        }) {
            // Read the chosen record honestly, so that only the index check can object.
            let per_venue = profile.records_per_venue();
            let (venue, local) = match ctx.venue {
                VenueRef::Leaf(v) => (v, choice),
                VenueRef::Order(_) => (choice / per_venue, choice % per_venue),
            };
            w.choice = choice;
            w.record = record_fields(
                params,
                profile,
                venue,
                local / profile.buckets,
                local % profile.buckets,
            );
        }
        if let Some(fields) = find(|f| match f {
            Forgery::Record { slot, fields } if here(slot) => Some(*fields),
            _ => None,
        }) {
            w.record = fields;
        }
        if let Some(bucket) = find(|f| match f {
            Forgery::Bucket { slot, bucket } if here(slot) => Some(*bucket),
            _ => None,
        }) {
            w.bucket = bucket;
        }
        if find(|f| matches!(f, Forgery::FlippedDirection { slot } if here(slot)).then_some(()))
            .is_some()
        {
            w.direction = !w.direction;
        }
        w
    }
}
