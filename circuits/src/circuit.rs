//! The margin circuit: DESIGN.md's statement.
//!
//! > I own account `idx` in every published tree; the balances and positions those trees hold
//! > for me, valued at the snapshot's prices and haircuts, have equity at least
//! > `level` x maintenance margin, including the order I am now asking this venue to accept.
//!
//! Columns (all chips share them):
//!
//! | column | used by |
//! |---|---|
//! | advice `a0..a2` | Poseidon state; arithmetic, Merkle and select chips (`a`, `b`, `c`) |
//! | advice `a3` | Poseidon partial S-box; arithmetic, Merkle and select chips (`d`) |
//! | advice `a4` | range-check running sums (its own column, so range checks are laid out beside the rest) |
//! | instance | the public inputs (`instance::InstanceLayout`) |
//! | fixed | Poseidon round constants (6), arithmetic coefficients (6), constants (1), range table |
//!
//! The synthesis, in order, and the cheat each part stops:
//!
//! 1. Public inputs are copied from the instance into range-checked cells: prices `< 2^48`,
//!    rates and haircuts `<= 1e6` (both `x` and `1e6 - x` are range-checked), times `< 2^40`,
//!    ids `< 2^32`, level in `[1e6, 1e7]`. A public value outside its bound could make a
//!    product wrap; the verifier's snapshot check refuses it too, this is defence in depth.
//! 2. Parameter records are packed from those cells (`gadgets::record`), one per
//!    (venue, asset, bucket).
//! 3. `account_key = H(1, sk)` and `account_tag = H(2, sk, venue_id)`, the latter equal to
//!    the public tag: the proof is about the secret the venue registered, not another one.
//! 4. The account index is split into `depth` boolean cells, shared by every Merkle path.
//! 5. Each chain: amounts `< 2^64` hashed into `H(3, key, chain_id, x.., salt)`; the tree holds
//!    `present * leaf`, and every amount is zero unless `present`; the path reaches the public
//!    root. Each amount is valued `floor(x P (1e6 - h) / 1e17)`.
//! 6. Each venue: the same with `H(4, key, venue_id, slots.., salt)`, every slot's kind zero
//!    unless `present`, and every slot valued by `gadgets::slot`.
//! 7. The order (public fields, the verifying venue's records) adds its margin.
//! 8. `requirement = ceil(mm level / 1e6)`, and `equity - requirement` is range-checked to
//!    `2^100`: were it negative it would be a field element near `p` and fail.

use ff::PrimeField;
use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Fixed, Instance},
};

use crate::chips::arith::{ArithChip, ArithConfig, ArithInstructions, Cell};
use crate::chips::merkle::{merkle_root, MerkleChip, MerkleConfig};
use crate::chips::poseidon::{HashInstructions, PoseidonChip, PoseidonConfig};
use crate::chips::range::{RangeCheckChip, RangeCheckConfig, RangeInstructions};
use crate::chips::select::{SelectChip, SelectConfig, SelectInstructions};
use crate::gadgets::division::{Division, Rounding};
use crate::gadgets::leaf::Tree;
use crate::gadgets::record;
use crate::gadgets::slot::{
    assign_slot, slot_witness, SlotCells, SlotContext, SlotWitness, VenueRef, QUOTIENT_BITS,
};
use crate::gadgets::Tools;
use crate::hash::{Fp, TAG_ACCOUNT_KEY, TAG_ACCOUNT_TAG, TAG_COLLATERAL_LEAF, TAG_POSITION_LEAF};
use crate::instance::{InstanceLayout, PublicStatement};
use crate::margin::RiskParams;
use crate::profile::Profile;
use crate::units::{
    AMOUNT_BITS, ID_BITS, MAX_LEVEL_PPM, MIN_LEVEL_PPM, PPM, PRICE_BITS, RATE_BITS, TIME_BITS,
    VALUE_BITS, VALUE_DIVISOR,
};
use crate::witness::{AccountWitness, LeafOpening};

/// Bits of the level's distance to its bounds: `1e7 - 1e6 < 2^24`.
const LEVEL_GAP_BITS: usize = 24;

/// Configuration of the margin circuit.
#[derive(Clone, Debug)]
pub struct MarginConfig {
    instance: Column<Instance>,
    /// The fixed column the layouter places constants in.
    constants: Column<Fixed>,
    arith: ArithConfig,
    range: RangeCheckConfig,
    poseidon: PoseidonConfig,
    merkle: MerkleConfig,
    select: SelectConfig,
}

impl MarginConfig {
    /// The constants column (for floor planners driven outside halo2, see `inspect`).
    pub fn constants(&self) -> Column<Fixed> {
        self.constants
    }
}

/// The margin circuit for one profile.
#[derive(Clone, Debug)]
pub struct MarginCircuit {
    pub profile: Profile,
    /// The prover's copy of the public statement (the instance is what binds it).
    pub statement: Value<PublicStatement>,
    pub witness: Value<AccountWitness>,
}

impl MarginCircuit {
    /// The circuit of a profile with no witness (for key generation).
    pub fn blank(profile: Profile) -> MarginCircuit {
        MarginCircuit {
            profile,
            statement: Value::unknown(),
            witness: Value::unknown(),
        }
    }

    /// The circuit for an honest proof.
    pub fn new(statement: PublicStatement, witness: AccountWitness) -> MarginCircuit {
        MarginCircuit {
            profile: statement.profile,
            statement: Value::known(statement),
            witness: Value::known(witness),
        }
    }
}

/// Public cells loaded from the instance.
struct Publics {
    valid_from: Cell,
    one_minus_upnl_haircut: Cell,
    /// `one_minus_haircut[asset][chain]`.
    one_minus_haircut: Vec<Vec<Cell>>,
    prices: Vec<Cell>,
    chain_ids: Vec<Cell>,
    venue_ids: Vec<Cell>,
    venue_index: Cell,
    prover_venue_id: Cell,
    /// `asset count - 1`: the largest underlying a position may name.
    last_asset: Cell,
    level: Cell,
    order: SlotCells,
    /// `records[v]`: venue `v`'s block of `A x B` records.
    records: Vec<Vec<Cell>>,
}

impl Circuit<Fp> for MarginCircuit {
    type Config = MarginConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        MarginCircuit::blank(self.profile)
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
        let advice: [Column<Advice>; 5] = [(); 5].map(|_| meta.advice_column());
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let shared = [advice[0], advice[1], advice[2], advice[3]];
        MarginConfig {
            instance,
            constants,
            poseidon: PoseidonChip::configure(meta, [advice[0], advice[1], advice[2]], advice[3]),
            arith: ArithChip::configure(meta, shared),
            merkle: MerkleChip::configure(meta, shared),
            select: SelectChip::configure(meta, shared),
            range: RangeCheckChip::configure(meta, advice[4]),
        }
    }

    fn synthesize(
        &self,
        config: MarginConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let arith = ArithChip::construct(config.arith.clone());
        let range = RangeCheckChip::construct(config.range);
        let select = SelectChip::construct(config.select.clone());
        let hasher = PoseidonChip::construct(config.poseidon.clone());
        let merkle = MerkleChip::construct(config.merkle.clone());
        let tools = Tools {
            arith: &arith,
            range: &range,
            select: &select,
        };
        let layouter = &mut layouter;
        let p = self.profile;
        let layout = InstanceLayout::new(p);
        let instance = config.instance;
        let params: Value<&RiskParams> = self.statement.as_ref().map(|s| &s.params);
        let w = self.witness.as_ref();

        range.load_table(layouter)?;
        let publics = load_publics(&arith, &range, &select, layouter, instance, layout)?;

        // Account key and the venue tag.
        let sk = arith.witness(layouter, "sk", w.map(|w| w.sk))?;
        let key_tag = arith.constant(layouter, "tag 1", Fp::from(TAG_ACCOUNT_KEY))?;
        let key = hasher.hash(layouter, "account key", &[key_tag, sk.clone()])?;
        let venue_tag = arith.constant(layouter, "tag 2", Fp::from(TAG_ACCOUNT_TAG))?;
        let tag = hasher.hash(
            layouter,
            "account tag",
            &[venue_tag, sk, publics.prover_venue_id.clone()],
        )?;
        layouter.constrain_instance(tag.cell(), instance, layout.account_tag())?;

        // The account index, one boolean cell per level, shared by every tree.
        let bits = (0..p.depth)
            .map(|i| {
                let value = w.map(|w| Fp::from((w.idx >> i) & 1));
                let bit = arith.witness(layouter, &format!("index bit {i}"), value)?;
                arith.assert_bool(layouter, &format!("index bit {i} is boolean"), &bit)?;
                Ok(bit)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // A leaf: `present * H(message.., salt)` must sit at the shared index under the root.
        let finish_leaf = |layouter: &mut _,
                           name: &str,
                           present: &Cell,
                           mut message: Vec<Cell>,
                           opening: Value<LeafOpening>,
                           root_row: usize,
                           _tree: Tree| {
            let salt = opening.as_ref().map(|o| o.salt);
            message.push(arith.witness(layouter, &format!("{name}: salt"), salt)?);
            let leaf = hasher.hash(layouter, &format!("{name}: leaf"), &message)?;
            let held = arith.mul(layouter, &format!("{name}: present leaf"), present, &leaf)?;
            let path = opening.map(|o| o.path);
            open_leaf(
                &arith, &merkle, &hasher, layouter, name, &held, path, &bits, instance, root_row,
            )
        };

        let zero = arith.constant(layouter, "zero", Fp::zero())?;
        let mut collateral_total = zero.clone();
        let mut credit_total = zero.clone();
        let mut debit_total = zero.clone();
        let mut mm_total = zero;

        // Collateral, chain by chain.
        for c in 0..p.chains {
            let name = format!("chain {c}");
            let opening = w.map(|w| w.chain_openings[c].clone());
            let (present, mut message) = begin_leaf(
                &arith,
                layouter,
                &name,
                &opening,
                TAG_COLLATERAL_LEAF,
                &key,
                &publics.chain_ids[c],
            )?;
            for a in 0..p.assets {
                let amount = w.map(|w| Fp::from(w.balances[c][a]));
                let x = range.witness_range_checked(
                    layouter,
                    &format!("{name}: amount {a} < 2^64"),
                    amount,
                    AMOUNT_BITS,
                )?;
                arith.assert_zero_unless(
                    layouter,
                    &format!("{name}: amount {a} is zero unless present"),
                    &present,
                    &x,
                )?;
                let value = collateral_value(
                    &arith,
                    &range,
                    layouter,
                    &format!("{name}: asset {a}"),
                    &x,
                    &publics.prices[a],
                    &publics.one_minus_haircut[a][c],
                )?;
                collateral_total = arith.linear(
                    layouter,
                    "collateral total",
                    &[(Fp::one(), &collateral_total), (Fp::one(), &value)],
                    Fp::zero(),
                )?;
                message.push(x);
            }
            finish_leaf(
                layouter,
                &name,
                &present,
                message,
                opening,
                layout.chain_root(c),
                Tree::Chain(c),
            )?;
        }

        // Positions, venue by venue.
        for v in 0..p.venues {
            let name = format!("venue {v}");
            let opening = w.map(|w| w.venue_openings[v].clone());
            let (present, mut message) = begin_leaf(
                &arith,
                layouter,
                &name,
                &opening,
                TAG_POSITION_LEAF,
                &key,
                &publics.venue_ids[v],
            )?;
            for s in 0..p.positions {
                let slot_name = format!("{name} slot {s}");
                let position = w.map(|w| w.positions[v][s]);
                let fields = (0..6)
                    .map(|i| {
                        let value = position.map(|pos| Fp::from(pos.fields()[i]));
                        arith.witness(layouter, &format!("{slot_name}: field {i}"), value)
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                let cells = SlotCells {
                    kind: fields[0].clone(),
                    underlying: fields[1].clone(),
                    side: fields[2].clone(),
                    size: fields[3].clone(),
                    price: fields[4].clone(),
                    expiry: fields[5].clone(),
                };
                arith.assert_zero_unless(
                    layouter,
                    &format!("{slot_name}: kind is zero unless present"),
                    &present,
                    &cells.kind,
                )?;
                let witness = params
                    .zip(position)
                    .map(|(params, pos)| slot_witness(params, p, v, &pos, false));
                let ctx = SlotContext {
                    profile: p,
                    records: &publics.records[v],
                    venue: VenueRef::Leaf(v),
                    last_asset: &publics.last_asset,
                    valid_from: &publics.valid_from,
                    one_minus_upnl_haircut: &publics.one_minus_upnl_haircut,
                    with_pnl: true,
                };
                let terms =
                    assign_slot(&tools, layouter, &slot_name, &cells, &ctx, witness, params)?;
                mm_total = add(&arith, layouter, "mm total", &mm_total, &terms.mm)?;
                if let (Some(credit), Some(debit)) = (&terms.upnl_credit, &terms.upnl_debit) {
                    credit_total = add(&arith, layouter, "credit total", &credit_total, credit)?;
                    debit_total = add(&arith, layouter, "debit total", &debit_total, debit)?;
                }
                message.extend(fields);
            }
            finish_leaf(
                layouter,
                &name,
                &present,
                message,
                opening,
                layout.venue_root(v),
                Tree::Venue(v),
            )?;
        }

        // The order, valued with the verifying venue's records.
        let all_records: Vec<Cell> = publics.records.iter().flatten().cloned().collect();
        let order_witness = self
            .statement
            .as_ref()
            .map(|s| slot_witness(&s.params, p, s.venue_index, &s.order, true));
        let ctx = SlotContext {
            profile: p,
            records: &all_records,
            venue: VenueRef::Order(&publics.venue_index),
            last_asset: &publics.last_asset,
            valid_from: &publics.valid_from,
            one_minus_upnl_haircut: &publics.one_minus_upnl_haircut,
            with_pnl: false,
        };
        let order = assign_slot(
            &tools,
            layouter,
            "order",
            &publics.order,
            &ctx,
            order_witness.map(|w: SlotWitness| w),
            params,
        )?;
        mm_total = add(&arith, layouter, "mm total", &mm_total, &order.mm)?;

        // Solvency: equity >= ceil(mm level / 1e6).
        let scaled = arith.mul(layouter, "mm level", &mm_total, &publics.level)?;
        let requirement = Division::new(PPM as u128, Rounding::Ceil, QUOTIENT_BITS).assign(
            &arith,
            &range,
            layouter,
            "requirement",
            &scaled,
        )?;
        let equity = arith.linear(
            layouter,
            "equity",
            &[
                (Fp::one(), &collateral_total),
                (Fp::one(), &credit_total),
                (-Fp::one(), &debit_total),
            ],
            Fp::zero(),
        )?;
        let headroom = arith.linear(
            layouter,
            "headroom",
            &[(Fp::one(), &equity), (-Fp::one(), &requirement)],
            Fp::zero(),
        )?;
        range.range_check(layouter, "equity >= requirement", &headroom, VALUE_BITS)?;
        Ok(())
    }
}

/// Starts a leaf: its `present` flag (boolean) and the head of its message,
/// `(domain tag, account key, chain or venue id)`.
#[allow(clippy::too_many_arguments)]
fn begin_leaf(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    opening: &Value<LeafOpening>,
    tag: u64,
    key: &Cell,
    member_id: &Cell,
) -> Result<(Cell, Vec<Cell>), Error> {
    let flag = opening.as_ref().map(|o| Fp::from(o.present as u64));
    let present = arith.witness(layouter, &format!("{name}: present"), flag)?;
    arith.assert_bool(layouter, &format!("{name}: present is boolean"), &present)?;
    let tag = arith.constant(layouter, &format!("{name}: domain tag"), Fp::from(tag))?;
    Ok((present, vec![tag, key.clone(), member_id.clone()]))
}

/// Opens `leaf` at the shared index `bits` with the witnessed `path` and constrains the root
/// it reaches to the public root at `root_row`.
#[allow(clippy::too_many_arguments)]
fn open_leaf(
    arith: &impl ArithInstructions,
    merkle: &MerkleChip,
    hasher: &PoseidonChip,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    leaf: &Cell,
    path: Value<Vec<Fp>>,
    bits: &[Cell],
    instance: Column<Instance>,
    root_row: usize,
) -> Result<(), Error> {
    let siblings = (0..bits.len())
        .map(|h| {
            arith.witness(
                layouter,
                &format!("{name}: sibling {h}"),
                path.as_ref().map(|path| path[h]),
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let root = merkle_root(merkle, hasher, layouter, name, leaf, &siblings, bits)?;
    layouter.constrain_instance(root.cell(), instance, root_row)
}

fn add(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    x: &Cell,
    y: &Cell,
) -> Result<Cell, Error> {
    arith.linear(
        layouter,
        name,
        &[(Fp::one(), x), (Fp::one(), y)],
        Fp::zero(),
    )
}

/// `floor(x P (1e6 - h) / 1e17)`; `x < 2^64`, `P < 2^48`, `1e6 - h <= 1e6`: below `2^132`.
#[allow(clippy::too_many_arguments)]
fn collateral_value(
    arith: &impl ArithInstructions,
    range: &impl RangeInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    amount: &Cell,
    price: &Cell,
    one_minus_haircut: &Cell,
) -> Result<Cell, Error> {
    let unit_value = arith.mul(
        layouter,
        &format!("{name}: P (1e6 - h)"),
        price,
        one_minus_haircut,
    )?;
    let numerator = arith.mul(
        layouter,
        &format!("{name}: x P (1e6 - h)"),
        amount,
        &unit_value,
    )?;
    Division::new(VALUE_DIVISOR, Rounding::Floor, QUOTIENT_BITS).assign(
        arith,
        range,
        layouter,
        &format!("{name}: collateral"),
        &numerator,
    )
}

/// Which cell of a loaded ppm a table keeps.
#[derive(Clone, Copy)]
enum PpmSide {
    /// `x` itself (rates).
    Value,
    /// `1e6 - x` (haircuts, which value what is left after them).
    Complement,
}

/// Loads a `rows x cols` table of ppm values row by row (`load_ppm` each, named
/// `"{name} {i} {j}"`, from instance row `row_of(i, j)`), keeping one side of each.
#[allow(clippy::too_many_arguments)]
fn load_ppm_table(
    arith: &impl ArithInstructions,
    range: &impl RangeInstructions,
    layouter: &mut impl Layouter<Fp>,
    instance: Column<Instance>,
    name: &str,
    (rows, cols): (usize, usize),
    row_of: impl Fn(usize, usize) -> usize,
    side: PpmSide,
) -> Result<Vec<Vec<Cell>>, Error> {
    (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    let label = format!("{name} {i} {j}");
                    let (x, complement) =
                        load_ppm(arith, range, layouter, &label, instance, row_of(i, j))?;
                    Ok(match side {
                        PpmSide::Value => x,
                        PpmSide::Complement => complement,
                    })
                })
                .collect()
        })
        .collect()
}

/// Loads a ppm from the instance: `x < 2^20` and `1e6 - x < 2^20`, so `0 <= x <= 1e6`.
/// Returns `(x, 1e6 - x)`.
fn load_ppm(
    arith: &impl ArithInstructions,
    range: &impl RangeInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    instance: Column<Instance>,
    row: usize,
) -> Result<(Cell, Cell), Error> {
    let x = range.public_range_checked(layouter, name, instance, row, RATE_BITS)?;
    let complement = arith.linear(
        layouter,
        &format!("{name}: 1e6 - x"),
        &[(-Fp::one(), &x)],
        Fp::from(PPM),
    )?;
    range.range_check(layouter, &format!("{name} <= 1e6"), &complement, RATE_BITS)?;
    Ok((x, complement))
}

fn load_publics(
    arith: &ArithChip,
    range: &RangeCheckChip,
    select: &SelectChip,
    layouter: &mut impl Layouter<Fp>,
    instance: Column<Instance>,
    layout: InstanceLayout,
) -> Result<Publics, Error> {
    let p = layout.profile;
    let public = |layouter: &mut _, name: &str, row: usize, bits: usize| {
        range.public_range_checked(layouter, name, instance, row, bits)
    };
    let valid_from = public(
        layouter,
        "valid_from",
        InstanceLayout::VALID_FROM,
        TIME_BITS,
    )?;
    let prices = (0..p.assets)
        .map(|a| public(layouter, &format!("price {a}"), layout.price(a), PRICE_BITS))
        .collect::<Result<Vec<_>, Error>>()?;
    let one_minus_haircut = load_ppm_table(
        arith,
        range,
        layouter,
        instance,
        "haircut",
        (p.assets, p.chains),
        |a, c| layout.haircut(a, c),
        PpmSide::Complement,
    )?;
    let perp_mmr = load_ppm_table(
        arith,
        range,
        layouter,
        instance,
        "perp mmr",
        (p.venues, p.assets),
        |v, a| layout.perp_mmr(v, a),
        PpmSide::Value,
    )?;
    let option_rate = (0..p.assets)
        .map(|a| {
            load_ppm(
                arith,
                range,
                layouter,
                &format!("option rate {a}"),
                instance,
                layout.option_rate(a),
            )
            .map(|x| x.0)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let bucket_max = (0..p.buckets)
        .map(|b| {
            public(
                layouter,
                &format!("bucket {b} max"),
                layout.bucket_max(b),
                TIME_BITS,
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let tau = load_ppm_table(
        arith,
        range,
        layouter,
        instance,
        "tau",
        (p.buckets, p.assets),
        |b, a| layout.tau(b, a),
        PpmSide::Value,
    )?;
    let (_, one_minus_upnl_haircut) = load_ppm(
        arith,
        range,
        layouter,
        "upnl haircut",
        instance,
        layout.upnl_haircut(),
    )?;
    let chain_ids = (0..p.chains)
        .map(|c| {
            public(
                layouter,
                &format!("chain id {c}"),
                layout.chain_id(c),
                ID_BITS,
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let venue_ids = (0..p.venues)
        .map(|v| {
            public(
                layouter,
                &format!("venue id {v}"),
                layout.venue_id(v),
                ID_BITS,
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let venue_bits = p.venues.trailing_zeros() as usize;
    let venue_index = public(
        layouter,
        "venue index",
        layout.venue_index(),
        venue_bits.max(1),
    )?;
    let prover_venue_id = public(layouter, "venue id", layout.prover_venue_id(), ID_BITS)?;
    // The id the account tag is hashed with is the id of the venue at `venue index` (the
    // venue whose rates value the order), so no instance can pair one venue's tag with
    // another's rates: select `v + 2^10 id[v]` at `venue index` and split it. Both sides are
    // below 2^10 + 2^(10 + ID_BITS) (index < V <= 2^10, ids < 2^ID_BITS, all range-checked),
    // far below p, and the split of such a number is unique.
    let venue_pack = Fp::from(1 << VENUE_INDEX_PACK_BITS);
    let packed_venues = venue_ids
        .iter()
        .enumerate()
        .map(|(v, id)| {
            arith.linear(
                layouter,
                &format!("venue {v}: index + 2^10 id"),
                &[(venue_pack, id)],
                Fp::from(v as u64),
            )
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let at_venue_index = select.select(
        layouter,
        "venue at venue index",
        &packed_venues,
        venue_index.value().map(|v| small_index(*v)),
    )?;
    arith.assert_linear_zero(
        layouter,
        "venue id = venue_ids[venue index]",
        &[
            (Fp::one(), &at_venue_index),
            (-Fp::one(), &venue_index),
            (-venue_pack, &prover_venue_id),
        ],
        Fp::zero(),
    )?;
    // The listed assets: 1 <= asset count <= A, i.e. last asset = count - 1 in [0, A). A
    // position on a padding asset (price 0, every rate 0) would otherwise be valued for
    // free, and a short perpetual on one booked as a gain.
    let asset_bits = (p.assets.trailing_zeros() as usize).max(1);
    let asset_count = public(
        layouter,
        "asset count",
        layout.asset_count(),
        asset_bits + 1,
    )?;
    let last_asset = arith.linear(
        layouter,
        "last asset = asset count - 1",
        &[(Fp::one(), &asset_count)],
        -Fp::one(),
    )?;
    range.range_check(layouter, "last asset < A", &last_asset, asset_bits)?;
    // Level in [1e6, 1e7].
    let level = public(layouter, "level", layout.level(), LEVEL_GAP_BITS)?;
    let above_min = arith.linear(
        layouter,
        "level - 1e6",
        &[(Fp::one(), &level)],
        -Fp::from(MIN_LEVEL_PPM),
    )?;
    range.range_check(layouter, "level >= 1e6", &above_min, LEVEL_GAP_BITS)?;
    let below_max = arith.linear(
        layouter,
        "1e7 - level",
        &[(-Fp::one(), &level)],
        Fp::from(MAX_LEVEL_PPM),
    )?;
    range.range_check(layouter, "level <= 1e7", &below_max, LEVEL_GAP_BITS)?;
    // The order's fields (the slot gadget checks their finer bounds).
    let order = SlotCells {
        kind: public(layouter, "order kind", layout.order_field(0), 2)?,
        underlying: public(
            layouter,
            "order underlying",
            layout.order_field(1),
            asset_bits,
        )?,
        side: public(layouter, "order side", layout.order_field(2), 1)?,
        size: public(layouter, "order size", layout.order_field(3), AMOUNT_BITS)?,
        price: public(layouter, "order price", layout.order_field(4), PRICE_BITS)?,
        expiry: public(layouter, "order expiry", layout.order_field(5), TIME_BITS)?,
    };

    // Bucket bounds: upper = max_seconds[b], lower = max_seconds[b - 1] + 1 (0 for b = 0).
    let mut lower = vec![arith.constant(layouter, "bucket 0 lower", Fp::zero())?];
    for b in 1..p.buckets {
        lower.push(arith.linear(
            layouter,
            &format!("bucket {b} lower"),
            &[(Fp::one(), &bucket_max[b - 1])],
            Fp::one(),
        )?);
    }
    // Option factor rate[a] + tau[b][a], then one record per (venue, asset, bucket).
    let factors = (0..p.assets)
        .map(|a| {
            (0..p.buckets)
                .map(|b| {
                    arith.linear(
                        layouter,
                        &format!("option factor {a} {b}"),
                        &[(Fp::one(), &option_rate[a]), (Fp::one(), &tau[b][a])],
                        Fp::zero(),
                    )
                })
                .collect::<Result<Vec<_>, Error>>()
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut records = Vec::with_capacity(p.venues);
    for (v, venue_mmr) in perp_mmr.iter().enumerate() {
        let mut block = Vec::with_capacity(p.records_per_venue());
        for a in 0..p.assets {
            for b in 0..p.buckets {
                block.push(record::pack(
                    arith,
                    layouter,
                    &format!("record {v} {a} {b}"),
                    &prices[a],
                    &venue_mmr[a],
                    &factors[a][b],
                    &lower[b],
                    &bucket_max[b],
                    ((v * p.assets + a) * p.buckets + b) as u64,
                )?);
            }
        }
        records.push(block);
    }
    Ok(Publics {
        valid_from,
        one_minus_upnl_haircut,
        one_minus_haircut,
        prices,
        chain_ids,
        venue_ids,
        venue_index,
        prover_venue_id,
        last_asset,
        level,
        order,
        records,
    })
}

/// Bits below a venue id in `v + 2^10 id[v]`: room for any venue index (V <= 2^10).
const VENUE_INDEX_PACK_BITS: u32 = 10;

/// A field element read as a small index, for choosing a witness (a value beyond `usize`
/// chooses nothing, and the selection's constraints then fail).
fn small_index(v: Fp) -> usize {
    let repr = v.to_repr();
    if repr[8..].iter().any(|b| *b != 0) {
        return usize::MAX;
    }
    usize::try_from(u64::from_le_bytes(repr[..8].try_into().expect("8 bytes")))
        .unwrap_or(usize::MAX)
}
