//! One position slot valued under the public parameters: DESIGN.md's perpetual and option
//! rules, in circuit.
//!
//! Inputs are the slot's six leaf fields `(kind, underlying, side, size, price, expiry)` —
//! the same cells the venue leaf packs into its word (`gadgets::leaf::word`) — and the packed
//! parameter records it may choose from.
//! Every step is one row of the arithmetic chip or one range check; the table lists each with
//! the cheat it stops and the bound it relies on.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | field bounds | `underlying < A`, `size < 2^64`, `price < 2^48`, `expiry < 2^40`, `side` boolean | sizes or prices beyond the bounds, or "negative" ones near `p` |
//! | listed asset | `last asset - underlying < 2^log2(A)` (both in `[0, A)`, so a "negative" difference is near `p`) | a position on a padding asset (price and rates 0): free margin, and a short perpetual's phantom gain |
//! | kind flags | `perp, call, put` boolean, their sum boolean, `kind = perp + 2 call + 3 put` | a kind outside 0..=3, a slot counted as two kinds |
//! | empty slot | `underlying, side, size, price` zero unless non-empty; `expiry` zero unless an option | a phantom position hidden in an empty slot |
//! | record | one record selected (select chip); limbs unpacked and range-checked (`record`) | a price, rate or bucket bound nobody published |
//! | record index | `index = venue A B + underlying B + bucket`, `bucket < B` | another asset's price or another venue's rate |
//! | bucket | `lower <= tte <= upper` with `tte = is_option (expiry - valid_from)` (41-bit gaps) | a cheaper expiry bucket; an expired option |
//! | direction | `P - price = (2 dir - 1) |d|`, `dir` boolean, `|d| < 2^48` | a loss booked as a gain, intrinsic value dropped |
//! | intrinsic | `(call dir + put (1 - dir)) |d|` | an in-the-money option margined as out of the money |
//! | margin | `mm = ceil(size (perp P mmr + short_option ((rate + tau) P + 1e6 intrinsic)) / 1e17)` | a short option treated as long; rounding down |
//! | pnl | `|pnl| = perp size |d|`, `gain = dir xor side`; credit `floor(gain |pnl| (1e6 - h) / 1e17)`, debit `ceil((1 - gain) |pnl| / 1e11)` | profit on the wrong side; rounding in the prover's favour |
//!
//! Bounds: `size (< 2^64) * z (< 2^70) < 2^134`, and `|pnl| (< 2^112) * (1e6 - h) (< 2^20) <
//! 2^132`: every product is far below `p`, so no product wraps; quotients are range-checked to
//! [`QUOTIENT_BITS`] = 100 bits (`division`).

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::division::{Division, Rounding};
use super::record::{self, RecordFields, Unpacked};
use super::SlotInstructions;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::chips::select::SelectInstructions;
use crate::hash::Fp;
use crate::margin::{self, Kind, Position, PositionTerms, RiskParams};
use crate::profile::Profile;
use crate::units::{AMOUNT_BITS, PNL_DIVISOR, PPM, PRICE_BITS, TIME_BITS, VALUE_DIVISOR};

/// Bits of a margin, credit or debit quotient: numerators stay below `2^134`, divisors are at
/// least `1e11 > 2^36`.
pub const QUOTIENT_BITS: usize = 100;

/// The six leaf fields of a slot.
#[derive(Clone, Debug)]
pub struct SlotCells {
    pub kind: Cell,
    pub underlying: Cell,
    pub side: Cell,
    pub size: Cell,
    pub price: Cell,
    pub expiry: Cell,
}

/// The public cells a slot is valued against.
pub struct SlotContext<'a> {
    pub profile: Profile,
    /// The records it may choose from: its venue's block.
    pub records: &'a [Cell],
    /// The venue whose leaf holds the slot.
    pub venue: usize,
    /// `asset count - 1`, in `[0, A)`: the largest underlying a position may name.
    pub last_asset: &'a Cell,
    pub valid_from: &'a Cell,
    /// `1e6 - upnl_haircut`.
    pub one_minus_upnl_haircut: &'a Cell,
}

/// What the prover knows about a slot.
#[derive(Clone, Debug, Default)]
pub struct SlotWitness {
    pub position: Option<Position>,
    pub record: RecordFields,
    /// Position of the chosen record in the context's list.
    pub choice: usize,
    pub bucket: usize,
    pub direction: bool,
    pub terms: PositionTerms,
}

/// The terms of a slot.
pub struct SlotTerms {
    pub mm: Cell,
    pub upnl_credit: Cell,
    pub upnl_debit: Cell,
}

/// The record of `(venue, asset, bucket)`, read from padded parameters.
pub fn record_fields(
    params: &RiskParams,
    profile: Profile,
    venue: usize,
    asset: usize,
    bucket: usize,
) -> RecordFields {
    let buckets = &params.buckets;
    RecordFields {
        price: params.prices[asset],
        perp_mmr: params.perp_mmr_ppm[venue][asset],
        option_factor: params.option_rate_ppm[asset] + buckets[bucket].tau_ppm[asset],
        lower: if bucket == 0 {
            0
        } else {
            buckets[bucket - 1].max_seconds + 1
        },
        upper: buckets[bucket].max_seconds,
        index: ((venue * profile.assets + asset) * profile.buckets + bucket) as u64,
    }
}

/// The honest witness of a slot of `venue` (padded parameters). A slot the engine refuses
/// (say, an expired option) gets zero terms, which the circuit will not accept.
pub fn slot_witness(
    params: &RiskParams,
    profile: Profile,
    venue: usize,
    position: &Position,
) -> SlotWitness {
    let terms = margin::position_terms(params, venue, position);
    let asset = position.underlying.min(profile.assets - 1);
    let bucket = terms.as_ref().map_or(0, |t| t.bucket);
    let record = record_fields(params, profile, venue, asset, bucket);
    let local = asset * profile.buckets + bucket;
    SlotWitness {
        position: Some(*position),
        record,
        choice: local,
        bucket,
        direction: params.prices[asset] >= position.price,
        terms: terms.unwrap_or_default(),
    }
}

/// The prover's witness of the slot named `region`: the honest `w` unless the forgery plan
/// (feature `testing`) forges its choice, record, bucket or direction.
#[cfg(feature = "testing")]
fn forged_slot(
    region: &str,
    ctx: &SlotContext<'_>,
    params: &RiskParams,
    mut w: SlotWitness,
) -> SlotWitness {
    use crate::forgery::{find, Forgery, Slot};

    let here = |slot: &Slot| slot.name() == region;
    let profile = ctx.profile;
    if let Some(choice) = find(|f| match f {
        Forgery::Choice { slot, choice } if here(slot) => Some(*choice),
        _ => None,
    }) {
        // Read the chosen record honestly, so that only the index check can object.
        let (venue, local) = (ctx.venue, choice);
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

/// Without the feature `testing`: the honest witness.
#[cfg(not(feature = "testing"))]
#[inline(always)]
fn forged_slot(
    _region: &str,
    _ctx: &SlotContext<'_>,
    _params: &RiskParams,
    w: SlotWitness,
) -> SlotWitness {
    w
}

fn bits_for(n: usize) -> usize {
    assert!(n.is_power_of_two());
    n.trailing_zeros() as usize
}

/// Values the slot; see the module doc for every constraint. The steps run in the table's
/// order, each laying out its rows in turn.
pub fn assign_slot<A: ArithInstructions, R: RangeInstructions, S: SelectInstructions>(
    instructions: &SlotInstructions<'_, A, R, S>,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    slot: &SlotCells,
    ctx: &SlotContext<'_>,
    witness: Value<SlotWitness>,
    params: Value<&RiskParams>,
) -> Result<SlotTerms, Error> {
    let witness = witness
        .zip(params)
        .map(|(w, params)| forged_slot(name, ctx, params, w));
    let valuer = Valuer {
        instructions,
        name,
        slot,
        ctx,
        witness: &witness,
    };
    valuer.field_bounds(layouter)?;
    let kinds = valuer.kinds(layouter)?;
    let record = valuer.record(layouter)?;
    valuer.bucket_bounds(layouter, &kinds, &record)?;
    let direction = valuer.direction(layouter, &record)?;
    let mm = valuer.margin(layouter, &kinds, &record, &direction)?;
    let (upnl_credit, upnl_debit) = valuer.pnl(layouter, &kinds, &direction)?;
    Ok(SlotTerms {
        mm,
        upnl_credit,
        upnl_debit,
    })
}

/// One slot being valued: the chips, the slot's cells and context, the prover's witness.
struct Valuer<'a, A: ArithInstructions, R: RangeInstructions, S: SelectInstructions> {
    instructions: &'a SlotInstructions<'a, A, R, S>,
    name: &'a str,
    slot: &'a SlotCells,
    ctx: &'a SlotContext<'a>,
    witness: &'a Value<SlotWitness>,
}

/// The kind flags of a slot and what follows from them.
struct Kinds {
    perp: Cell,
    call: Cell,
    put: Cell,
    is_option: Cell,
    short_option: Cell,
}

/// The price direction `price >= entry` and the distance `|P - price|`.
struct Direction {
    direction: Cell,
    distance: Cell,
}

const ONE: Fp = Fp::one();

fn fp(v: u64) -> Fp {
    Fp::from(v)
}

impl<A: ArithInstructions, R: RangeInstructions, S: SelectInstructions> Valuer<'_, A, R, S> {
    /// A region name under the slot's.
    fn n(&self, step: &str) -> String {
        format!("{}: {step}", self.name)
    }

    /// Field bounds: `underlying < A` and listed, `size < 2^64`, `price < 2^48`,
    /// `expiry < 2^40`, `side` boolean.
    fn field_bounds(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        let (arith, range, slot) = (self.instructions.arith, self.instructions.range, self.slot);
        let asset_bits = bits_for(self.ctx.profile.assets);
        range.range_check(
            layouter,
            &self.n("underlying < A"),
            &slot.underlying,
            asset_bits,
        )?;
        let listed_headroom = arith.linear(
            layouter,
            &self.n("last asset - underlying"),
            &[(ONE, self.ctx.last_asset), (-ONE, &slot.underlying)],
            Fp::zero(),
        )?;
        range.range_check(
            layouter,
            &self.n("underlying < asset count"),
            &listed_headroom,
            asset_bits,
        )?;
        range.range_check(layouter, &self.n("size < 2^64"), &slot.size, AMOUNT_BITS)?;
        range.range_check(layouter, &self.n("price < 2^48"), &slot.price, PRICE_BITS)?;
        range.range_check(layouter, &self.n("expiry < 2^40"), &slot.expiry, TIME_BITS)?;
        arith.assert_bool(layouter, &self.n("side is boolean"), &slot.side)
    }

    /// Kind flags, and an empty slot is all zero; only options have an expiry.
    fn kinds(&self, layouter: &mut impl Layouter<Fp>) -> Result<Kinds, Error> {
        let (arith, slot) = (self.instructions.arith, self.slot);
        let kind = self
            .witness
            .as_ref()
            .map(|w| w.position.map_or(Kind::Empty, |p| p.kind));
        let flag = |layouter: &mut _, label: &str, k: Kind| -> Result<Cell, Error> {
            let cell =
                arith.witness(layouter, &self.n(label), kind.map(|x| fp((x == k) as u64)))?;
            arith.assert_bool(layouter, &self.n(&format!("{label} is boolean")), &cell)?;
            Ok(cell)
        };
        let perp = flag(layouter, "is perp", Kind::Perp)?;
        let call = flag(layouter, "is call", Kind::Call)?;
        let put = flag(layouter, "is put", Kind::Put)?;
        let non_empty = arith.linear(
            layouter,
            &self.n("is non-empty"),
            &[(ONE, &perp), (ONE, &call), (ONE, &put)],
            Fp::zero(),
        )?;
        arith.assert_bool(layouter, &self.n("one kind at most"), &non_empty)?;
        arith.assert_linear_zero(
            layouter,
            &self.n("kind = perp + 2 call + 3 put"),
            &[
                (ONE, &perp),
                (fp(2), &call),
                (fp(3), &put),
                (-ONE, &slot.kind),
            ],
            Fp::zero(),
        )?;
        for (label, cell) in [
            ("underlying", &slot.underlying),
            ("side", &slot.side),
            ("size", &slot.size),
            ("price", &slot.price),
        ] {
            arith.assert_zero_unless(
                layouter,
                &self.n(&format!("empty slot has no {label}")),
                &non_empty,
                cell,
            )?;
        }
        let is_option = arith.linear(
            layouter,
            &self.n("is option"),
            &[(ONE, &call), (ONE, &put)],
            Fp::zero(),
        )?;
        arith.assert_zero_unless(
            layouter,
            &self.n("only options expire"),
            &is_option,
            &slot.expiry,
        )?;
        let short_option =
            arith.mul(layouter, &self.n("is short option"), &slot.side, &is_option)?;
        Ok(Kinds {
            perp,
            call,
            put,
            is_option,
            short_option,
        })
    }

    /// The parameter record, selected, unpacked, and tied to the underlying and the bucket.
    fn record(&self, layouter: &mut impl Layouter<Fp>) -> Result<Unpacked, Error> {
        let (arith, range, slot) = (self.instructions.arith, self.instructions.range, self.slot);
        let profile = self.ctx.profile;
        let witness = self.witness.as_ref();
        let selected = self.instructions.select.select(
            layouter,
            &self.n("parameter record"),
            self.ctx.records,
            witness.map(|w| w.choice),
        )?;
        let record = record::unpack(
            arith,
            range,
            layouter,
            &self.n("record"),
            &selected,
            witness.map(|w| w.record),
        )?;
        let bucket = range.witness_range_checked(
            layouter,
            &self.n("bucket < B"),
            witness.map(|w| fp(w.bucket as u64)),
            bits_for(profile.buckets).max(1),
        )?;
        let per_venue = fp(profile.records_per_venue() as u64);
        let buckets = fp(profile.buckets as u64);
        let name = self.n("record index = venue A B + underlying B + bucket");
        let terms = [
            (ONE, &record.index),
            (-buckets, &slot.underlying),
            (-ONE, &bucket),
        ];
        let venue = fp(self.ctx.venue as u64);
        arith.assert_linear_zero(layouter, &name, &terms, -(per_venue * venue))?;
        Ok(record)
    }

    /// The expiry bucket: `lower <= tte <= upper`, `tte = 0` for anything but an option.
    fn bucket_bounds(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        record: &Unpacked,
    ) -> Result<(), Error> {
        let (arith, range) = (self.instructions.arith, self.instructions.range);
        let raw_tte = arith.linear(
            layouter,
            &self.n("expiry - valid_from"),
            &[(ONE, &self.slot.expiry), (-ONE, self.ctx.valid_from)],
            Fp::zero(),
        )?;
        let tte = arith.mul(
            layouter,
            &self.n("time to expiry"),
            &kinds.is_option,
            &raw_tte,
        )?;
        let above_lower = arith.linear(
            layouter,
            &self.n("tte - lower"),
            &[(ONE, &tte), (-ONE, &record.lower)],
            Fp::zero(),
        )?;
        range.range_check(
            layouter,
            &self.n("tte >= lower"),
            &above_lower,
            TIME_BITS + 1,
        )?;
        let below_upper = arith.linear(
            layouter,
            &self.n("upper - tte"),
            &[(ONE, &record.upper), (-ONE, &tte)],
            Fp::zero(),
        )?;
        range.range_check(
            layouter,
            &self.n("tte <= upper"),
            &below_upper,
            TIME_BITS + 1,
        )
    }

    /// Direction and distance between the price and the entry or strike:
    /// `P = price + (2 dir - 1) |d|`.
    fn direction(
        &self,
        layouter: &mut impl Layouter<Fp>,
        record: &Unpacked,
    ) -> Result<Direction, Error> {
        let (arith, range, slot) = (self.instructions.arith, self.instructions.range, self.slot);
        let direction_value = self.witness.as_ref().map(|w| w.direction);
        let direction = arith.witness(
            layouter,
            &self.n("price >= entry"),
            direction_value.map(|d| fp(d as u64)),
        )?;
        arith.assert_bool(layouter, &self.n("direction is boolean"), &direction)?;
        let sign = arith.linear(layouter, &self.n("2 dir - 1"), &[(fp(2), &direction)], -ONE)?;
        let distance_value = record
            .price
            .value()
            .zip(slot.price.value())
            .zip(direction_value)
            .map(|((p, e), d)| if d { *p - *e } else { *e - *p });
        let distance = range.witness_range_checked(
            layouter,
            &self.n("|P - price| < 2^48"),
            distance_value,
            PRICE_BITS,
        )?;
        arith.assert_mul_add(
            layouter,
            &self.n("P = price + (2 dir - 1) |d|"),
            &sign,
            &distance,
            &slot.price,
            &record.price,
        )?;
        Ok(Direction {
            direction,
            distance,
        })
    }

    /// Intrinsic value (`|d|` for a call above its strike or a put below it), then the
    /// maintenance margin
    /// `ceil(size (perp P mmr + short_option ((rate + tau) P + 1e6 intrinsic)) / 1e17)`.
    fn margin(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        record: &Unpacked,
        d: &Direction,
    ) -> Result<Cell, Error> {
        let (arith, range) = (self.instructions.arith, self.instructions.range);
        let call_minus_put = arith.linear(
            layouter,
            &self.n("call - put"),
            &[(ONE, &kinds.call), (-ONE, &kinds.put)],
            Fp::zero(),
        )?;
        let in_the_money = arith.mul_add(
            layouter,
            &self.n("in the money"),
            &d.direction,
            &call_minus_put,
            &kinds.put,
        )?;
        let intrinsic = arith.mul(layouter, &self.n("intrinsic"), &d.distance, &in_the_money)?;
        let price_mmr = arith.mul(layouter, &self.n("P mmr"), &record.price, &record.perp_mmr)?;
        let perp_factor = arith.mul(layouter, &self.n("perp P mmr"), &kinds.perp, &price_mmr)?;
        let option_price = arith.mul(
            layouter,
            &self.n("(rate + tau) P"),
            &record.option_factor,
            &record.price,
        )?;
        let option_inner = arith.linear(
            layouter,
            &self.n("(rate + tau) P + 1e6 intrinsic"),
            &[(ONE, &option_price), (fp(PPM), &intrinsic)],
            Fp::zero(),
        )?;
        let factor = arith.mul_add(
            layouter,
            &self.n("margin factor"),
            &kinds.short_option,
            &option_inner,
            &perp_factor,
        )?;
        let numerator = arith.mul(layouter, &self.n("size factor"), &self.slot.size, &factor)?;
        Division::new(VALUE_DIVISOR, Rounding::Ceil, QUOTIENT_BITS).assign(
            arith,
            range,
            layouter,
            &self.n("mm"),
            &numerator,
        )
    }

    /// Unrealised profit and loss of a perpetual: `|pnl| = perp size |d|`,
    /// `gain = dir xor side`; credit `floor(gain |pnl| (1e6 - h) / 1e17)`, debit
    /// `ceil((1 - gain) |pnl| / 1e11)`.
    fn pnl(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        d: &Direction,
    ) -> Result<(Cell, Cell), Error> {
        let (arith, range, slot) = (self.instructions.arith, self.instructions.range, self.slot);
        let size_distance = arith.mul(layouter, &self.n("size |d|"), &slot.size, &d.distance)?;
        let pnl = arith.mul(layouter, &self.n("|pnl|"), &kinds.perp, &size_distance)?;
        let gain = arith.xor(
            layouter,
            &self.n("gain = dir xor short"),
            &d.direction,
            &slot.side,
        )?;
        let profit = arith.mul(layouter, &self.n("profit"), &gain, &pnl)?;
        let credit_numerator = arith.mul(
            layouter,
            &self.n("profit (1e6 - h)"),
            &profit,
            self.ctx.one_minus_upnl_haircut,
        )?;
        let credit = Division::new(VALUE_DIVISOR, Rounding::Floor, QUOTIENT_BITS).assign(
            arith,
            range,
            layouter,
            &self.n("upnl credit"),
            &credit_numerator,
        )?;
        let loss = arith.linear(
            layouter,
            &self.n("loss"),
            &[(ONE, &pnl), (-ONE, &profit)],
            Fp::zero(),
        )?;
        let debit = Division::new(PNL_DIVISOR, Rounding::Ceil, QUOTIENT_BITS).assign(
            arith,
            range,
            layouter,
            &self.n("upnl debit"),
            &loss,
        )?;
        Ok((credit, debit))
    }
}
