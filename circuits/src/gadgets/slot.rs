//! One position slot under statement version 3: its fields bounded, its instrument's row of
//! the risk table opened (`risk_row`), its equity terms (a perpetual's profit and loss, an
//! option's mark), and its exposure handed to the per-underlying scenario sums
//! (`gadgets::portfolio`).
//!
//! Inputs are the slot's six leaf fields `(kind, underlying, side, size, price, expiry)`: the
//! same cells the venue leaf packs into its word (`gadgets::leaf::word`). Every step is one row
//! of the arithmetic chip, one selection or one range check; the table lists each with the
//! cheat it stops and the bound it relies on.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | field bounds | `underlying < A`, `size < 2^64`, `price < 2^48`, `expiry < 2^40`, `side` boolean | sizes or prices beyond the bounds, or "negative" ones near `p` |
//! | listed asset | `last asset - underlying < 2^log2(A)` (both in `[0, A)`, so a "negative" difference is near `p`) | a position on a padding asset (price 0) |
//! | kind flags | `perp, call, put` boolean, their sum boolean, `kind = perp + 2 call + 3 put` | a kind outside 0..=3, a slot counted as two kinds |
//! | empty slot | `underlying, side, size, price` zero unless non-empty; `expiry` zero unless an option | a phantom position hidden in an empty slot |
//! | underlying | one keyed price `a + 2^8 P_a` selected (select chip, one-hot `e_a`), equal to `underlying + 2^8 P`, `P < 2^48` | another asset's price; a slot routed to another underlying's scenario sums (the same `e_a` route it) |
//! | row | the instrument's row of the risk table (`risk_row`) | a row of another instrument, strike, expiry or table |
//! | direction | `P - price = (2 dir - 1) |d|`, `dir` boolean, `|d| < 2^48` | a perpetual's loss booked as a gain |
//! | pnl | `|pnl| = perp size |d|`, `gain = dir xor side`, `profit = gain |pnl|`, `loss = |pnl| - profit` | profit on the wrong side |
//! | marks | `long = is_option - short_option`; `long size mark`, `short_option size mark` | a short option counted long (its mark credited, not owed); a mark left out |
//! | credit | `floor((1e6 - h) (1e4 profit + long size mark) / 1e21)` | rounding in the prover's favour |
//! | debit | `ceil((1e4 loss + short_option size mark) / 1e15)` | rounding in the prover's favour |
//! | exposure | `-q = (2 side - 1) size`; `short_option size + 2^80 perp size` | a short counted long in the scenario sums; a minimum or contingency dodged |
//!
//! A slot holds one kind at most, so at most one of the credit's and the debit's two terms is
//! nonzero, and each term is rounded on its own as DESIGN.md asks: `floor(x (1e6 - h) / 1e17)
//! = floor(1e4 x (1e6 - h) / 1e21)` and `ceil(x / 1e11) = ceil(1e4 x / 1e15)` exactly.
//!
//! Bounds: `|pnl| < 2^64 2^48 = 2^112`, `size mark < 2^64 2^62 = 2^126`; the credit's
//! numerator is below `(2^112 1e4 + 2^126) 2^20 < 2^147` and the debit's below `2^127`: no
//! product wraps, and both quotients are below `2^78`, range-checked to [`QUOTIENT_BITS`].

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::division::{Division, Rounding};
use super::publics::KEYED_PRICE_SHIFT;
use super::risk_row::{open_row, KeyCells, RowCells, RowConstants};
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::chips::select::SelectInstructions;
use crate::hash::Fp;
use crate::margin::{Kind, Position};
use crate::packing::pow2;
use crate::portfolio::{OPTION_VALUE_DIVISOR, SCAN_DIVISOR};
use crate::profile::Profile;
use crate::units::{AMOUNT_BITS, PRICE_BITS, TIME_BITS};
use crate::witness::RiskOpening;

/// Bits of a credit or debit quotient (at most `2^78`, see the module doc).
pub const QUOTIENT_BITS: usize = 100;

/// Offset of the perpetual sizes in a slot's packed sizes `short_option size + 2^80 perp size`
/// (sums over at most 512 slots stay below `2^73`).
pub const PERP_SIZE_SHIFT: usize = 80;

/// `1e4`: a perpetual's profit or loss (e9 x e8) scaled to an option's `size mark` (e9 x pUSD).
const PNL_TO_MARK: u64 = 10_000;

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
    /// `a + 2^8 P_a` per asset (`gadgets::publics`).
    pub keyed_prices: &'a [Cell],
    /// `asset count - 1`, in `[0, A)`: the largest underlying a position may name.
    pub last_asset: &'a Cell,
    /// `1e6 - upnl_haircut`.
    pub one_minus_upnl_haircut: &'a Cell,
    /// The row opening's shared cells (domain tag, public risk root).
    pub row: RowConstants<'a>,
}

/// What the prover knows about a slot.
#[derive(Clone, Debug)]
pub struct SlotWitness {
    pub position: Position,
    /// The slot's row of the risk table and its path.
    pub opening: RiskOpening,
    /// The price of the slot's underlying, e8.
    pub price: u64,
    /// `price >= entry` (or strike).
    pub direction: bool,
}

/// What a slot adds to the equity.
pub struct SlotTerms {
    /// A perpetual's haircut profit, or a long option's haircut mark.
    pub credit: Cell,
    /// A perpetual's loss, or a short option's mark.
    pub debit: Cell,
}

/// What a slot adds to its underlying's scenario sums.
pub struct SlotExposure {
    /// The one-hot route `e_a` to the slot's underlying (exactly one is 1; asset 0 for an
    /// empty slot, whose size is 0).
    pub route: Vec<Cell>,
    /// `-q = (2 side - 1) size`.
    pub negated_size: Cell,
    /// The vector limbs `u_s = v_s + 2^62` of the slot's row.
    pub limbs: Vec<Cell>,
    /// `short_option size + 2^80 perp size`.
    pub sizes: Cell,
}

/// The honest witness of a slot: its position, its row's opening, and its underlying's price
/// (padded parameters).
pub fn slot_witness(prices: &[u64], position: &Position, opening: &RiskOpening) -> SlotWitness {
    let price = prices[position.underlying.min(prices.len() - 1)];
    SlotWitness {
        position: *position,
        opening: opening.clone(),
        price,
        direction: price >= position.price,
    }
}

/// The prover's witness of the slot named `region`: the honest `w` unless the forgery plan
/// (feature `testing`) forges its row opening or its direction.
#[cfg(feature = "testing")]
fn forged_slot(region: &str, mut w: SlotWitness) -> SlotWitness {
    use crate::forgery::{find, Forgery};

    if let Some(opening) = find(|f| match f {
        Forgery::RiskOpening { slot, opening } if slot.name() == region => Some(opening.clone()),
        _ => None,
    }) {
        w.opening = opening;
    }
    if find(|f| {
        matches!(f, Forgery::FlippedDirection { slot } if slot.name() == region).then_some(())
    })
    .is_some()
    {
        w.direction = !w.direction;
    }
    w
}

/// Without the feature `testing`: the honest witness.
#[cfg(not(feature = "testing"))]
#[inline(always)]
fn forged_slot(_region: &str, w: SlotWitness) -> SlotWitness {
    w
}

fn bits_for(n: usize) -> usize {
    assert!(n.is_power_of_two());
    (n.trailing_zeros() as usize).max(1)
}

/// Values the slot; see the module doc for every constraint. The steps run in the table's
/// order, each laying out its rows in turn.
pub fn assign_slot(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    slot: &SlotCells,
    ctx: &SlotContext<'_>,
    witness: Value<SlotWitness>,
) -> Result<(SlotTerms, SlotExposure), Error> {
    let witness = witness.map(|w| forged_slot(name, w));
    let valuer = Valuer {
        chips,
        name,
        slot,
        ctx,
        witness: &witness,
    };
    valuer.field_bounds(layouter)?;
    let kinds = valuer.kinds(layouter)?;
    let underlying = valuer.underlying(layouter)?;
    let row = valuer.row(layouter, &kinds)?;
    let direction = valuer.direction(layouter, &underlying.price)?;
    let (profit, loss) = valuer.pnl(layouter, &kinds, &direction)?;
    let terms = valuer.equity(layouter, &kinds, &row, &profit, &loss)?;
    let exposure = valuer.exposure(layouter, &kinds, underlying.route, row.limbs)?;
    Ok((terms, exposure))
}

/// One slot being valued: the chips, the slot's cells and context, the prover's witness.
struct Valuer<'a> {
    chips: &'a Chips,
    name: &'a str,
    slot: &'a SlotCells,
    ctx: &'a SlotContext<'a>,
    witness: &'a Value<SlotWitness>,
}

/// The kind flags of a slot and what follows from them.
struct Kinds {
    perp: Cell,
    non_empty: Cell,
    is_option: Cell,
    short_option: Cell,
}

/// The slot's underlying: its route and its price.
struct Underlying {
    route: Vec<Cell>,
    price: Cell,
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

impl Valuer<'_> {
    /// A region name under the slot's.
    fn n(&self, step: &str) -> String {
        format!("{}: {step}", self.name)
    }

    /// Field bounds: `underlying < A` and listed, `size < 2^64`, `price < 2^48`,
    /// `expiry < 2^40`, `side` boolean.
    fn field_bounds(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        let (arith, range, slot) = (&self.chips.arith, &self.chips.range, self.slot);
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
        let (arith, slot) = (&self.chips.arith, self.slot);
        let kind = self.witness.as_ref().map(|w| w.position.kind);
        let flag = |k: Kind| kind.map(|x| fp((x == k) as u64));
        let labels = ["is perp", "is call", "is put"].map(|l| self.n(l));
        let flags = arith.witness_row(
            layouter,
            &labels,
            &[flag(Kind::Perp), flag(Kind::Call), flag(Kind::Put)],
        )?;
        for (label, cell) in labels.iter().zip(&flags) {
            arith.assert_bool(layouter, &format!("{label} is boolean"), cell)?;
        }
        let (perp, call, put) = (&flags[0], &flags[1], &flags[2]);
        let non_empty = arith.linear(
            layouter,
            &self.n("is non-empty"),
            &[(ONE, perp), (ONE, call), (ONE, put)],
            Fp::zero(),
        )?;
        arith.assert_bool(layouter, &self.n("one kind at most"), &non_empty)?;
        arith.assert_linear_zero(
            layouter,
            &self.n("kind = perp + 2 call + 3 put"),
            &[(ONE, perp), (fp(2), call), (fp(3), put), (-ONE, &slot.kind)],
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
            &[(ONE, call), (ONE, put)],
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
            perp: perp.clone(),
            non_empty,
            is_option,
            short_option,
        })
    }

    /// The underlying's keyed price `a + 2^8 P_a`, selected by a one-hot route, equal to
    /// `underlying + 2^8 P` with `P < 2^48`: with `underlying < A <= 2^8` the decomposition is
    /// unique, so the route, the underlying and the price are one asset's.
    fn underlying(&self, layouter: &mut impl Layouter<Fp>) -> Result<Underlying, Error> {
        let (arith, range) = (&self.chips.arith, &self.chips.range);
        let witness = self.witness.as_ref();
        let selection = self.chips.select.select(
            layouter,
            &self.n("underlying"),
            self.ctx.keyed_prices,
            witness.map(|w| w.position.underlying),
        )?;
        let price = range.witness_range_checked(
            layouter,
            &self.n("P < 2^48"),
            witness.map(|w| fp(w.price)),
            PRICE_BITS,
        )?;
        arith.assert_linear_zero(
            layouter,
            &self.n("keyed price = underlying + 2^8 P"),
            &[
                (ONE, &selection.value),
                (-ONE, &self.slot.underlying),
                (-pow2(KEYED_PRICE_SHIFT as usize), &price),
            ],
            Fp::zero(),
        )?;
        Ok(Underlying {
            route: selection.choices,
            price,
        })
    }

    /// The slot's row of the risk table (`risk_row`).
    fn row(&self, layouter: &mut impl Layouter<Fp>, kinds: &Kinds) -> Result<RowCells, Error> {
        let slot = self.slot;
        let key = KeyCells {
            kind: &slot.kind,
            underlying: &slot.underlying,
            price: &slot.price,
            expiry: &slot.expiry,
            is_option: &kinds.is_option,
            non_empty: &kinds.non_empty,
        };
        let opening = self.witness.as_ref().map(|w| &w.opening);
        open_row(
            self.chips,
            layouter,
            self.name,
            &key,
            &self.ctx.row,
            opening,
            self.ctx.profile.risk_depth,
        )
    }

    /// Direction and distance between the price and the entry or strike:
    /// `P = price + (2 dir - 1) |d|`.
    fn direction(
        &self,
        layouter: &mut impl Layouter<Fp>,
        price: &Cell,
    ) -> Result<Direction, Error> {
        let (arith, range, slot) = (&self.chips.arith, &self.chips.range, self.slot);
        let direction_value = self.witness.as_ref().map(|w| w.direction);
        let direction = arith.witness(
            layouter,
            &self.n("price >= entry"),
            direction_value.map(|d| fp(d as u64)),
        )?;
        arith.assert_bool(layouter, &self.n("direction is boolean"), &direction)?;
        let sign = arith.linear(layouter, &self.n("2 dir - 1"), &[(fp(2), &direction)], -ONE)?;
        let distance_value = price
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
            price,
        )?;
        Ok(Direction {
            direction,
            distance,
        })
    }

    /// A perpetual's profit and loss: `|pnl| = perp size |d|`, `gain = dir xor side`,
    /// `profit = gain |pnl|`, `loss = |pnl| - profit`.
    fn pnl(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        d: &Direction,
    ) -> Result<(Cell, Cell), Error> {
        let (arith, slot) = (&self.chips.arith, self.slot);
        let size_distance = arith.mul(layouter, &self.n("size |d|"), &slot.size, &d.distance)?;
        let pnl = arith.mul(layouter, &self.n("|pnl|"), &kinds.perp, &size_distance)?;
        let gain = arith.xor(
            layouter,
            &self.n("gain = dir xor short"),
            &d.direction,
            &slot.side,
        )?;
        let profit = arith.mul(layouter, &self.n("profit"), &gain, &pnl)?;
        let loss = arith.linear(
            layouter,
            &self.n("loss"),
            &[(ONE, &pnl), (-ONE, &profit)],
            Fp::zero(),
        )?;
        Ok((profit, loss))
    }

    /// The credit `floor((1e6 - h) (1e4 profit + long size mark) / 1e21)` and the debit
    /// `ceil((1e4 loss + short_option size mark) / 1e15)`.
    fn equity(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        row: &RowCells,
        profit: &Cell,
        loss: &Cell,
    ) -> Result<SlotTerms, Error> {
        let (arith, range) = (&self.chips.arith, &self.chips.range);
        let size_mark = arith.mul(layouter, &self.n("size mark"), &self.slot.size, &row.mark)?;
        let long_option = arith.linear(
            layouter,
            &self.n("is long option"),
            &[(ONE, &kinds.is_option), (-ONE, &kinds.short_option)],
            Fp::zero(),
        )?;
        let long_value = arith.mul(
            layouter,
            &self.n("long size mark"),
            &long_option,
            &size_mark,
        )?;
        let short_value = arith.mul(
            layouter,
            &self.n("short size mark"),
            &kinds.short_option,
            &size_mark,
        )?;
        let gross_credit = arith.linear(
            layouter,
            &self.n("1e4 profit + long size mark"),
            &[(fp(PNL_TO_MARK), profit), (ONE, &long_value)],
            Fp::zero(),
        )?;
        let credit_numerator = arith.mul(
            layouter,
            &self.n("credit (1e6 - h)"),
            &gross_credit,
            self.ctx.one_minus_upnl_haircut,
        )?;
        let credit = Division::new(OPTION_VALUE_DIVISOR, Rounding::Floor, QUOTIENT_BITS).assign(
            arith,
            range,
            layouter,
            &self.n("credit"),
            &credit_numerator,
        )?;
        let debit_numerator = arith.linear(
            layouter,
            &self.n("1e4 loss + short size mark"),
            &[(fp(PNL_TO_MARK), loss), (ONE, &short_value)],
            Fp::zero(),
        )?;
        let debit = Division::new(SCAN_DIVISOR, Rounding::Ceil, QUOTIENT_BITS).assign(
            arith,
            range,
            layouter,
            &self.n("debit"),
            &debit_numerator,
        )?;
        Ok(SlotTerms { credit, debit })
    }

    /// The slot's exposure: `-q = 2 side size - size` and the packed sizes
    /// `short_option size + 2^80 perp size`, with the route and the vector limbs.
    fn exposure(
        &self,
        layouter: &mut impl Layouter<Fp>,
        kinds: &Kinds,
        route: Vec<Cell>,
        limbs: Vec<Cell>,
    ) -> Result<SlotExposure, Error> {
        let (arith, slot) = (&self.chips.arith, self.slot);
        let side_size = arith.mul(layouter, &self.n("side size"), &slot.side, &slot.size)?;
        let negated_size = arith.linear(
            layouter,
            &self.n("-q = 2 side size - size"),
            &[(fp(2), &side_size), (-ONE, &slot.size)],
            Fp::zero(),
        )?;
        let short_size = arith.mul(
            layouter,
            &self.n("short option size"),
            &kinds.short_option,
            &slot.size,
        )?;
        let perp_size = arith.mul(layouter, &self.n("perp size"), &kinds.perp, &slot.size)?;
        let sizes = arith.linear(
            layouter,
            &self.n("short option size + 2^80 perp size"),
            &[(ONE, &short_size), (pow2(PERP_SIZE_SHIFT), &perp_size)],
            Fp::zero(),
        )?;
        Ok(SlotExposure {
            route,
            negated_size,
            limbs,
            sizes,
        })
    }
}

#[cfg(test)]
mod tests {
    use ff::PrimeField;

    use super::*;
    use crate::gadgets::harness::{failures, witnesses, GadgetTest};
    use crate::hash::{risk_tree, MerkleTree};
    use crate::margin::Side;
    use crate::muldiv::mul_div_floor;
    use crate::portfolio::{
        long_option_value, short_option_liability, InstrumentKey, RiskRow, RiskTable,
    };
    use crate::profile::SMALL;
    use crate::units::PPM;

    const K: u32 = 12;
    const PRICES: [u64; 4] = [100_000 * 100_000_000, 3_200 * 100_000_000, 100_000_000, 0];
    const HAIRCUT: u64 = 100_000;
    const EXPIRY: u64 = 1_767_229_200;
    const STRIKE: u64 = 95_000 * 100_000_000;

    fn call(side: Side) -> Position {
        Position {
            kind: Kind::Call,
            underlying: 0,
            side,
            size: 1_500_000_000,
            price: STRIKE,
            expiry: EXPIRY,
        }
    }

    fn perp(side: Side, entry: u64) -> Position {
        Position {
            kind: Kind::Perp,
            underlying: 0,
            side,
            size: 700_000_000,
            price: entry,
            expiry: 0,
        }
    }

    /// The table: BTC's perpetual and the 95,000 call (mark 7,777.123456789012 USD).
    fn rows() -> Vec<RiskRow> {
        let vector = std::array::from_fn(|s| (s as i64 - 6) * 1_234_567_890_123);
        vec![
            RiskRow {
                key: InstrumentKey::perp(0),
                mark: 0,
                vector,
            },
            RiskRow {
                key: InstrumentKey::of(&call(Side::Long)).unwrap(),
                mark: 7_777_123_456_789_012,
                vector,
            },
        ]
    }

    fn tree() -> MerkleTree {
        risk_tree(&RiskTable { rows: rows() }, SMALL.risk_depth)
    }

    fn opening(position: &Position) -> RiskOpening {
        match InstrumentKey::of(position) {
            None => RiskOpening::empty(SMALL.risk_depth),
            Some(key) => {
                let index = rows().iter().position(|r| r.key == key).unwrap();
                RiskOpening {
                    row: rows()[index].clone(),
                    index: index as u64,
                    path: tree().path(index as u64),
                }
            }
        }
    }

    /// One slot named `venue 0 slot 0`, valued in the sample prices; its credit, debit, `-q`
    /// and packed sizes are bound to instance rows 1..=4 (row 0: the risk root).
    #[derive(Clone)]
    struct Valued {
        fields: [Fp; 6],
        witness: SlotWitness,
    }

    impl GadgetTest for Valued {
        fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
            let f = witnesses(chips, layouter, "field", &self.fields)?;
            let slot = SlotCells {
                kind: f[0].clone(),
                underlying: f[1].clone(),
                side: f[2].clone(),
                size: f[3].clone(),
                price: f[4].clone(),
                expiry: f[5].clone(),
            };
            let keyed: Vec<Fp> = (0..4)
                .map(|a| Fp::from(a as u64) + pow2(KEYED_PRICE_SHIFT as usize) * fp(PRICES[a]))
                .collect();
            let keyed_prices = witnesses(chips, layouter, "keyed price", &keyed)?;
            let last_asset = chips.arith.constant(layouter, "last asset", fp(2))?;
            let haircut = chips
                .arith
                .constant(layouter, "1e6 - h", fp(PPM - HAIRCUT))?;
            let domain = chips.arith.constant(layouter, "tag 7", fp(7))?;
            let root = chips
                .arith
                .public(layouter, "risk root", chips.instance, 0)?;
            let ctx = SlotContext {
                profile: SMALL,
                keyed_prices: &keyed_prices,
                last_asset: &last_asset,
                one_minus_upnl_haircut: &haircut,
                row: RowConstants {
                    domain: &domain,
                    root: &root,
                },
            };
            let witness = Value::known(self.witness.clone());
            let (terms, exposure) =
                assign_slot(chips, layouter, "venue 0 slot 0", &slot, &ctx, witness)?;
            for (row, cell) in [
                terms.credit,
                terms.debit,
                exposure.negated_size,
                exposure.sizes,
            ]
            .iter()
            .enumerate()
            {
                layouter.constrain_instance(cell.cell(), chips.instance, row + 1)?;
            }
            Ok(())
        }
    }

    /// The engine's `(credit, debit)` of a position (DESIGN.md's rules).
    fn terms(p: &Position) -> (u128, u128) {
        let mark = opening(p).row.mark;
        match (p.kind, p.side) {
            (Kind::Empty, _) => (0, 0),
            (Kind::Perp, _) => {
                let pnl = p.signed_size() * (PRICES[0] as i128 - p.price as i128);
                if pnl >= 0 {
                    let credit = mul_div_floor(pnl as u128, (PPM - HAIRCUT) as u128, 1e17 as u128);
                    (credit, 0)
                } else {
                    (0, pnl.unsigned_abs().div_ceil(100_000_000_000))
                }
            }
            (_, Side::Long) => (long_option_value(p.size, mark, HAIRCUT), 0),
            (_, Side::Short) => (0, short_option_liability(p.size, mark)),
        }
    }

    /// The instance of `p`'s honest figures: root, credit, debit, `-q`, packed sizes.
    fn instance(p: &Position, (credit, debit): (u128, u128)) -> Vec<Fp> {
        let size = Fp::from(p.size);
        let negated = if p.side == Side::Short { size } else { -size };
        let short_option = p.kind.is_option() && p.side == Side::Short;
        let sizes = match p.kind {
            Kind::Perp => pow2(PERP_SIZE_SHIFT) * size,
            _ if short_option => size,
            _ => Fp::zero(),
        };
        vec![
            tree().root(),
            Fp::from_u128(credit),
            Fp::from_u128(debit),
            negated,
            sizes,
        ]
    }

    fn value(p: &Position, figures: (u128, u128)) -> Vec<String> {
        let test = Valued {
            fields: p.fields().map(fp),
            witness: slot_witness(&PRICES, p, &opening(p)),
        };
        failures(K, test, instance(p, figures))
    }

    #[test]
    fn every_kind_and_side_is_valued_as_the_engine_values_it() {
        let below = 90_000 * 100_000_000;
        let above = 104_000 * 100_000_000;
        for p in [
            call(Side::Short),
            call(Side::Long),
            perp(Side::Long, below),
            perp(Side::Short, below),
            perp(Side::Long, above),
            perp(Side::Short, above),
            Position::EMPTY,
        ] {
            let figures = terms(&p);
            assert_eq!(
                value(&p, figures),
                Vec::<String>::new(),
                "{p:?} {figures:?}"
            );
        }
        let (_, owed) = terms(&call(Side::Short));
        assert!(owed > 0 && owed % 1_000_000 != 0, "a mark with cents");
    }

    #[test]
    fn a_short_option_counted_long_or_its_mark_left_out_is_refused() {
        let short = call(Side::Short);
        let (credit, _) = terms(&call(Side::Long));
        assert!(credit > 0);
        // Its figures as if it were long: the mark credited, nothing owed.
        assert!(!value(&short, (credit, 0)).is_empty());
        // Its mark left out: nothing owed.
        assert!(!value(&short, (0, 0)).is_empty());
        // And the honest figures pass (the control).
        assert!(value(&short, terms(&short)).is_empty());
    }

    #[test]
    fn credit_and_debit_rounded_in_the_provers_favour_are_refused() {
        // (position, credit raised by, debit lowered by)
        for (p, up, down) in [
            (call(Side::Long), 1, 0),
            (call(Side::Short), 0, 1),
            (perp(Side::Long, 90_000 * 100_000_000), 1, 0),
            (perp(Side::Long, 104_000 * 100_000_000), 0, 1),
        ] {
            let (credit, debit) = terms(&p);
            assert!(value(&p, (credit, debit)).is_empty(), "{p:?}: the control");
            assert!(!value(&p, (credit + up, debit - down)).is_empty(), "{p:?}");
        }
    }

    #[test]
    fn an_expiry_carried_into_the_rows_mark_is_refused_by_its_range_check() {
        // `expiry + 2^40` beside the row's `mark - 1`: the same key word, so the published leaf
        // and root; the slot's expiry bound refuses it.
        let p = call(Side::Short);
        let mut fields = p.fields().map(fp);
        fields[5] += pow2(TIME_BITS);
        let mut opened = opening(&p);
        opened.row.mark -= 1;
        let witness = slot_witness(&PRICES, &p, &opened);
        let test = Valued { fields, witness };
        let figures = (0, short_option_liability(p.size, opened.row.mark));
        let found = failures(K, test, instance(&p, figures));
        assert!(
            found.iter().any(|f| f.contains("expiry < 2^40")),
            "{found:?}"
        );
        assert!(
            found.iter().all(|f| !f.contains("under the risk root")),
            "{found:?}"
        );
    }
}
