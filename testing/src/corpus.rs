//! The dishonest-prover corpus: one builder per named cheat against the margin circuit (small
//! profile), each with the constraint that must stop it and where.
//!
//! A cheat is a witness (and, where the cheat needs a publisher's help, a public input) that a
//! prover with its own code could produce: a [`Forged`] circuit's plan of forgeries
//! (`zkmargin_circuits::forgery`) changes witness values only, never the constraint system (the
//! pinned verifying keys prove it). Each [`Cheat`] names the item that stops it in the words of
//! `zkmargin audit` and `docs/CIRCUIT.md` (`arith/row`, `select/count`, `lookup: range table`,
//! `copy: public input`, ...) and the region (or the part of the statement) where MockProver
//! reports it (`attribution`).
//!
//! "The publisher's help" means the instance commits to the cheating leaf (a vault or venue
//! published it, or the cheater is one): only the constraint under test can object then.
//!
//! `testing/tests/dishonest.rs` runs every cheat against MockProver, `testing/tests/mutation.rs`
//! shows that every named constraint stops at least one cheat that gets through without it, and
//! `prover/tests/real_proof.rs` runs the cheap ones against the real prover.

use ff::{Field, PrimeField};
use zkmargin_circuits::circuit::{Forged, MarginCircuit};
use zkmargin_circuits::forgery::{Forgery, Quotient, Slot};
use zkmargin_circuits::gadgets::leaf::Tree;
use zkmargin_circuits::hash::{self, account_key, account_tag, poseidon, root_from_path, Fp};
use zkmargin_circuits::instance::{InstanceLayout, PublicStatement};
use zkmargin_circuits::margin::{self, Book, Kind, Position, Side};
use zkmargin_circuits::portfolio::{InstrumentKey, RiskRow, UnderlyingMargin, SCENARIOS};
use zkmargin_circuits::profile::{Profile, SMALL};
use zkmargin_circuits::units::PPM;
use zkmargin_circuits::witness::{AccountWitness, RiskOpening};

use crate::fixtures::{
    fixture, fixture_in, fixture_with, listed_instruments, listed_neighbours, other_position,
    position, sample_book, sample_table, Fixture, OTHER_BALANCES, OTHER_INDEX, OTHER_SALT,
    OTHER_SK, PROVER_INDEX,
};

/// The profile the corpus runs in (the cheapest).
pub const PROFILE: Profile = SMALL;

/// A dishonest proving attempt: the prover's circuit (witness included) and the instance the
/// verifier rebuilds.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub circuit: Forged,
    pub instance: Vec<Fp>,
}

/// One named cheat.
#[derive(Clone, Copy, Debug)]
pub struct Cheat {
    /// Short name, used by tests and `docs/CIRCUIT.md`.
    pub name: &'static str,
    /// What the dishonest prover tries.
    pub tries: &'static str,
    /// The audit item that stops it (`gate/constraint`, `lookup: range table` or a
    /// `copy: ...` class).
    pub stopped_by: &'static str,
    /// Where MockProver reports it: text found in the failing region's name or in its part.
    pub at: &'static str,
    pub build: fn() -> Attempt,
    /// Cheap enough to run against the real prover in CI.
    pub real_prover: bool,
}

// --- Builders. ---

fn honest() -> Fixture {
    fixture(PROFILE)
}

/// The honest proof of the sample book (every cheat must fail where this passes).
pub fn honest_attempt() -> Attempt {
    forged(vec![])
}

fn attempt_with(
    statement: &PublicStatement,
    witness: &AccountWitness,
    plan: Vec<Forgery>,
    instance: Vec<Fp>,
) -> Attempt {
    let circuit = MarginCircuit::new(statement.clone(), witness.clone());
    Attempt {
        circuit: Forged { circuit, plan },
        instance,
    }
}

/// The fixture's own witness against its own instance: honest, unless the fixture's book or
/// published roots are the cheat (a book the engine calls insolvent, a leaf a colluding venue
/// published).
fn as_proven(f: &Fixture) -> Attempt {
    attempt_with(&f.statement, &f.witness, vec![], f.statement.to_instance())
}

fn forged(plan: Vec<Forgery>) -> Attempt {
    let f = honest();
    claimed(&f, plan)
}

fn with_witness(edit: impl FnOnce(&mut AccountWitness, &Fixture)) -> Attempt {
    let f = honest();
    let mut w = f.witness.clone();
    edit(&mut w, &f);
    attempt_with(&f.statement, &w, vec![], f.statement.to_instance())
}

/// The honest witness against an instance built from an edited statement (a venue's
/// instance builder that let the edit through, or a publisher that published it).
fn with_statement(edit: impl FnOnce(&mut PublicStatement, &Fixture)) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    edit(&mut statement, &f);
    attempt_with(&statement, &f.witness, vec![], statement.to_instance())
}

fn with_instance(edit: impl FnOnce(&mut Vec<Fp>, InstanceLayout)) -> Attempt {
    let f = honest();
    let mut instance = f.statement.to_instance();
    edit(&mut instance, InstanceLayout::new(PROFILE));
    attempt_with(&f.statement, &f.witness, vec![], instance)
}

fn pow2(n: u64) -> Fp {
    Fp::from(2).pow_vartime([n])
}

/// Chain 0's amount of BTC replaced by `value` in the leaf, with a published root that
/// commits to it (with the honest value it is the honest proof: the control of the cheats
/// built on it).
pub fn published_balance(value: Fp) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    let w = &f.witness;
    let mut amounts: Vec<Fp> = w.balances[0].iter().map(|&x| Fp::from(x)).collect();
    amounts[0] = value;
    let message = hash::collateral_message_of_words(
        account_key(w.sk),
        statement.chain_ids[0],
        &hash::collateral_words(&amounts),
        w.chain_openings[0].salt,
    );
    let leaf = poseidon(&message);
    statement.chain_roots[0] = root_from_path(leaf, w.idx, &w.chain_openings[0].path);
    let plan = vec![Forgery::Balance {
        chain: 0,
        asset: 0,
        value,
    }];
    attempt_with(&statement, w, plan, statement.to_instance())
}

/// Field `field` of venue `venue`'s slot `slot` replaced by `value` in the leaf, with a
/// published root that commits to it (with the honest value, the honest proof).
pub fn published_slot_field(venue: usize, slot: usize, field: usize, value: Fp) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    let w = &f.witness;
    let mut fields: Vec<[Fp; 6]> = w.positions[venue].iter().map(hash::slot_fields).collect();
    fields[slot][field] = value;
    let words: Vec<Fp> = fields.iter().map(hash::slot_word).collect();
    let message = hash::position_message_of_words(
        account_key(w.sk),
        statement.venue_ids[venue],
        &words,
        w.venue_openings[venue].salt,
    );
    let leaf = poseidon(&message);
    statement.venue_roots[venue] = root_from_path(leaf, w.idx, &w.venue_openings[venue].path);
    let plan = vec![Forgery::SlotField {
        venue,
        slot,
        field,
        value,
    }];
    attempt_with(&statement, w, plan, statement.to_instance())
}

/// Chain 0's amounts 0 and 1 witnessed as `x0 + 2^64` and `x1 - 1`: the packed word
/// `x0 + 2^64 x1 + ..`, hence the leaf and the honest root, stay the same.
pub fn amount_carried_into_the_next() -> Attempt {
    let w = honest().witness;
    let (x0, x1) = (w.balances[0][0], w.balances[0][1]);
    assert!(x1 > 0, "the sample book holds the second asset on chain 0");
    forged(vec![
        Forgery::Balance {
            chain: 0,
            asset: 0,
            value: Fp::from(x0) + pow2(64),
        },
        Forgery::Balance {
            chain: 0,
            asset: 1,
            value: Fp::from(x1 - 1),
        },
    ])
}

/// Venue 0's slot 0 witnessed with field `field` raised by `2^width` and the next field
/// lowered by one: the packed slot word, hence the leaf and the honest root, stay the same.
pub fn slot_limb_carried_into_the_next(field: usize) -> Attempt {
    let fields = hash::slot_fields(&honest().witness.positions[0][0]);
    let width = u64::from(hash::SLOT_WIDTHS[field]);
    let forge = |field: usize, value: Fp| Forgery::SlotField {
        venue: 0,
        slot: 0,
        field,
        value,
    };
    forged(vec![
        forge(field, fields[field] + pow2(width)),
        forge(field + 1, fields[field + 1] - Fp::ONE),
    ])
}

/// The honest sample book with a line of `line` uusd at venue 0, witnessed at `level_ppm` and
/// checked at `checked_ppm`.
fn levels(line: u128, level_ppm: u64, checked_ppm: u64) -> Attempt {
    let prover = fixture_with(PROFILE, sample_book(PROFILE), level_ppm, &[line]);
    let venue = fixture_with(PROFILE, sample_book(PROFILE), checked_ppm, &[line]);
    attempt_with(
        &prover.statement,
        &prover.witness,
        vec![],
        venue.statement.to_instance(),
    )
}

/// The sample book's headroom at `level_ppm` (reference engine), uusd.
pub fn headroom(level_ppm: u64) -> u128 {
    let f = honest();
    let report = margin::evaluate(&f.statement.params, &f.witness.book(), None, level_ppm)
        .expect("the sample book evaluates");
    u128::try_from(report.headroom).expect("the sample book is solvent")
}

/// The honest fixture with its lines replaced by `lines` (the trader's own commitments).
fn with_lines(lines: &[u128]) -> Attempt {
    as_proven(&fixture_with(
        PROFILE,
        sample_book(PROFILE),
        1_000_000,
        lines,
    ))
}

/// The honest witness, with the instance's commitments made by the trader from `tags` (one
/// per venue slot) and its own allowances and salts: `H(5, tag, a, s)`.
fn committed_to(tags: impl Fn(&Fixture) -> Vec<Fp>) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    statement.commitments = tags(&f)
        .iter()
        .zip(&f.witness.lines)
        .map(|(&tag, line)| hash::credit_commitment(tag, line.allowance, line.salt))
        .collect();
    attempt_with(&f.statement, &f.witness, vec![], statement.to_instance())
}

/// The honest lines with venue slots' flags and allowances forged (`listed`, `allowances`:
/// `None` keeps the honest value), the statement listing `venue_count` venues, and commitments
/// the trader made to match: `H(5, listed_v H(2, sk, id_v), a_v, s_v)`.
fn forged_lines(venue_count: usize, listed: &[Option<u64>], allowances: &[Option<Fp>]) -> Attempt {
    let f = honest();
    let w = &f.witness;
    let mut statement = f.statement.clone();
    statement.venue_count = venue_count;
    let mut plan = vec![];
    let mut commitments = vec![];
    for (v, line) in w.lines.iter().enumerate() {
        let flag = listed
            .get(v)
            .copied()
            .flatten()
            .unwrap_or(u64::from(v < venue_count));
        let allowance = allowances
            .get(v)
            .copied()
            .flatten()
            .unwrap_or(Fp::from_u128(line.allowance));
        if listed.get(v).copied().flatten().is_some() {
            plan.push(Forgery::Listed {
                venue: v,
                value: Fp::from(flag),
            });
        }
        if allowances.get(v).copied().flatten().is_some() {
            plan.push(Forgery::Allowance {
                venue: v,
                value: allowance,
            });
        }
        let tag = Fp::from(flag) * account_tag(w.sk, statement.venue_ids[v]);
        let message = [Fp::from(hash::TAG_CREDIT_LINE), tag, allowance, line.salt];
        commitments.push(poseidon(&message));
    }
    statement.commitments = commitments;
    attempt_with(&statement, w, plan, statement.to_instance())
}

/// The prover's venue-0 leaf dropped: claimed absent, every slot empty.
fn drop_venue_zero(w: &mut AccountWitness) {
    w.positions[0] = vec![Position::EMPTY; PROFILE.positions];
    w.venue_openings[0].present = false;
}

/// Every cheat, in the order `docs/CIRCUIT.md` lists them.
pub fn corpus() -> Vec<Cheat> {
    [
        amounts_out_of_range(),
        unlisted_assets(),
        malformed_slots(),
        mis_selected_records(),
        forged_selections(),
        foreign_risk_rows(),
        forged_risk_rows(),
        portfolio_sums(),
        stale_or_foreign_leaves(),
        foreign_secret_and_dropped_leaves(),
        forged_paths(),
        values_rounded_up(),
        charges_rounded_down(),
        published_parameters_and_level(),
        the_lines_and_the_nullifier(),
        insolvent_books(),
    ]
    .concat()
}

/// Amounts: inflated, wrapped, out of range.
fn amounts_out_of_range() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "inflated-balance",
            tries: "claim one more unit of USDC on chain 0 than the vault's leaf holds",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.balances[0][2] += 1;
                })
            },
            real_prover: true,
        },
        Cheat {
            name: "balance-of-2^64",
            tries: "a balance one past the 64-bit bound, in a leaf the vault published",
            stopped_by: "lookup: range table",
            at: "chain 0: amount 0 < 2^64",
            build: || published_balance(pow2(64)),
            real_prover: true,
        },
        Cheat {
            name: "amount-carried-into-the-next",
            tries: "2^64 more BTC and one unit less ETH on chain 0: the same packed word, so \
                    the honest leaf and root",
            stopped_by: "lookup: range table",
            at: "chain 0: amount 0 < 2^64",
            build: amount_carried_into_the_next,
            real_prover: false,
        },
        Cheat {
            name: "size-carried-into-the-price",
            tries: "a size 2^64 larger and an entry price one lower: the same packed slot \
                    word, so the honest leaf and root",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: size < 2^64",
            build: || slot_limb_carried_into_the_next(3),
            real_prover: false,
        },
        Cheat {
            name: "negative-balance-wrapped",
            tries: "a balance of -1 BTC, which the field holds as p - 1e9, a huge positive",
            stopped_by: "lookup: range table",
            at: "chain 0: amount 0 < 2^64",
            build: || published_balance(-Fp::from(1_000_000_000)),
            real_prover: false,
        },
        Cheat {
            name: "negative-size-as-huge-positive",
            tries: "a short of 0.5 BTC written as size -0.5 (p - 5e8) instead of side = short",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: size < 2^64",
            build: || published_slot_field(0, 0, 3, -Fp::from(500_000_000)),
            real_prover: false,
        },
        Cheat {
            name: "size-of-2^64",
            tries: "a position size one past the 64-bit bound",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: size < 2^64",
            build: || published_slot_field(0, 0, 3, pow2(64)),
            real_prover: false,
        },
        Cheat {
            name: "entry-price-of-2^48",
            tries: "an entry price one past the 48-bit bound",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: price < 2^48",
            build: || published_slot_field(0, 0, 4, pow2(48)),
            real_prover: false,
        },
        Cheat {
            name: "kind-outside-0-to-3",
            tries: "a slot of kind 4, valued as a perpetual",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: kind = perp + 2 call + 3 put",
            build: || published_slot_field(0, 0, 0, Fp::from(4)),
            real_prover: false,
        },
    ]
}

/// Amounts: underlyings outside the listed assets.
fn unlisted_assets() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "underlying-outside-the-assets",
            tries: "an underlying index equal to the number of assets (a padded, unpriced asset)",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: underlying < A",
            build: || published_slot_field(0, 0, 1, Fp::from(PROFILE.assets as u64)),
            real_prover: false,
        },
        Cheat {
            name: "position-on-an-unlisted-asset",
            tries: "a short perpetual on a padding asset (price 0, rates 0), published by a \
                    colluding venue: no margin, and its entry above the price booked as a gain \
                    that covers a credit line the book cannot cover",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 2: underlying < asset count",
            build: || {
                let unlisted = honest().snapshot.assets.len();
                assert!(
                    unlisted < PROFILE.assets,
                    "the sample snapshot leaves a padding asset"
                );
                let mut book = sample_book(PROFILE);
                book.positions[0].push(position(
                    Kind::Perp,
                    unlisted,
                    Side::Short,
                    1_000_000_000_000_000_000,
                    100_000_000_000_000,
                    0,
                ));
                // A line of 1e12 USD: far beyond the honest book's headroom.
                let line = 1_000_000_000_000_000_000;
                let f = fixture_with(PROFILE, book, 1_000_000, &[line]);
                as_proven(&f)
            },
            real_prover: false,
        },
    ]
}

/// Amounts: slots and leaves holding what their kind or presence forbids.
fn malformed_slots() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "side-of-two",
            tries: "a side of 2, neither long nor short",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: side is boolean",
            build: || published_slot_field(0, 0, 2, Fp::from(2)),
            real_prover: false,
        },
        Cheat {
            name: "perpetual-with-an-expiry",
            tries:
                "a perpetual carrying an expiry (an option's field, in its leaf and its row's key)",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: only options expire",
            build: || published_slot_field(0, 0, 5, Fp::from(1_767_229_200)),
            real_prover: false,
        },
        Cheat {
            name: "position-hidden-in-an-empty-slot",
            tries: "a size in a slot of kind 0, which is valued as nothing",
            stopped_by: "arith/row",
            at: "venue 0 slot 2: empty slot has no size",
            build: || published_slot_field(0, 2, 3, Fp::from(1_000_000_000)),
            real_prover: false,
        },
        Cheat {
            name: "collateral-where-the-tree-holds-zero",
            tries: "1000 USDC on a chain whose vault holds no leaf for the account",
            stopped_by: "arith/row",
            at: "chain 1: amount 2 is zero unless present",
            build: || {
                let book = Book {
                    balances: vec![vec![1_000_000_000, 0, 0], vec![]],
                    positions: vec![],
                };
                let f = fixture_with(PROFILE, book, 1_000_000, &[]);
                let mut w = f.witness.clone();
                w.balances[1][2] = 1_000_000_000_000;
                attempt_with(&f.statement, &w, vec![], f.statement.to_instance())
            },
            real_prover: false,
        },
    ]
}

/// The underlying: another asset's price, a blend, a claim nobody published.
fn mis_selected_records() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "another-assets-price",
            tries: "value the BTC perpetual with ETH's keyed price (its route and its price)",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: keyed price = underlying + 2^8 P",
            build: || {
                let f = honest();
                let eth = f.statement.params.prices[1];
                let slot = Slot::Leaf { venue: 0, slot: 0 };
                let plan = vec![
                    Forgery::SelectWeights {
                        slot,
                        weights: [(0, Fp::ZERO), (1, Fp::ONE)],
                    },
                    Forgery::Cell {
                        region: format!("{}: P < 2^48", slot.name()),
                        value: Fp::from(eth),
                    },
                ];
                claimed(&f, plan)
            },
            real_prover: false,
        },
        Cheat {
            name: "blended-underlying",
            tries: "with ETH's price the mean of BTC's and USDC's, route a long ETH perpetual \
                    half to BTC (where its gains offset a short BTC perpetual's losses) and \
                    half to USDC, with choice weights 1/2 and 1/2: the selected keyed price is \
                    ETH's own, every sum an integer, and lines at the headroom this netting \
                    makes",
            stopped_by: "select/choice is boolean",
            at: "venue 1 slot 0: underlying",
            build: blended_underlying,
            real_prover: true,
        },
    ]
}

/// The book of `blended-underlying`: a short BTC perpetual at venue 0, a long ETH perpetual
/// (2 ETH, an even size: half of it is a whole number of e9 units) at venue 1, with
/// collateral, in a snapshot whose ETH price is the mean of BTC's and USDC's.
fn blend_fixture(lines: &[u128]) -> Fixture {
    let a = |x: u64| x * 1_000_000_000;
    let book = Book {
        balances: vec![vec![0, 0, a(40_000)], vec![]],
        positions: vec![
            vec![position(
                Kind::Perp,
                0,
                Side::Short,
                a(1),
                100_000 * 100_000_000,
                0,
            )],
            vec![position(
                Kind::Perp,
                1,
                Side::Long,
                a(2),
                50_000 * 100_000_000,
                0,
            )],
        ],
    };
    fixture_in(PROFILE, book, PPM, lines, |snapshot| {
        let (btc, usdc) = (snapshot.assets[0].price, snapshot.assets[2].price);
        assert_eq!((btc + usdc) % 2, 0);
        snapshot.assets[1].price = (btc + usdc) / 2;
    })
}

/// `blended-underlying`: the long ETH perpetual's route `e = (1/2, 0, 1/2, 0)` selects
/// `(k_BTC + k_USDC) / 2 = k_ETH` (keyed prices `a + 2^8 P_a` in arithmetic progression), so
/// the accumulator and the count hold; its exposure is booked half under BTC and half under
/// USDC, and the prover claims the figures of that routing, whose lines exceed the honest
/// headroom. Only the choices' booleanity objects.
pub fn blended_underlying() -> Attempt {
    let honest = blend_fixture(&[]);
    let params = &honest.statement.params;
    let report = margin::evaluate(params, &honest.witness.book(), None, PPM).expect("evaluates");
    let short_btc = honest.witness.positions[0][0];
    let long_eth = honest.witness.positions[1][0];
    let row = |p: &Position| {
        params
            .risk_table
            .row(&InstrumentKey::of(p).unwrap())
            .unwrap()
    };
    let half = Position {
        size: long_eth.size / 2,
        ..long_eth
    };
    let mut routed = vec![UnderlyingMargin::default(); PROFILE.assets];
    routed[0].add(&short_btc, row(&short_btc));
    routed[0].add(&half, row(&long_eth));
    routed[2].add(&half, row(&long_eth));
    for (a, m) in routed.iter_mut().enumerate() {
        m.finish(params.prices[a], &params.portfolio[a]);
    }
    let netted: u128 = routed.iter().map(|m| m.mm).sum();
    assert!(
        netted < report.mm,
        "the blend nets the ETH gains against BTC's losses"
    );
    // Level 1: the requirement is the margin; the lines take the headroom the blend makes.
    let line = (report.headroom + (report.mm - netted) as i128) as u128;
    let f = blend_fixture(&[line]);
    let half_weight = Fp::from(2).invert().unwrap();
    let mut plan = vec![Forgery::SelectWeights {
        slot: Slot::Leaf { venue: 1, slot: 0 },
        weights: [(0, half_weight), (2, half_weight)],
    }];
    for (a, m) in routed.iter().enumerate() {
        plan.extend(claims_of(a, &m, maximum(m)));
    }
    claimed(&f, plan)
}

/// `no-underlying`: the short call's choices all 0, so its route is 0 and the selection 0,
/// which `underlying + 2^8 P` matches with BTC's index 0 and `P = 0` (the direction follows);
/// BTC's claims are the book's without the call and the line takes the headroom that makes.
/// Only the count of the choices objects.
pub fn no_underlying() -> Attempt {
    let honest = honest();
    let params = &honest.statement.params;
    let book = honest.witness.positions.concat();
    let held = margins_of(&honest, &book)[0].clone();
    let without: Vec<Position> = book
        .into_iter()
        .filter(|p| *p != honest.witness.positions[0][1])
        .collect();
    let skipped = margins_of(&honest, &without)[0].clone();
    assert!(skipped.mm < held.mm, "the call is BTC's risk");
    let report = margin::evaluate(params, &honest.witness.book(), None, PPM).expect("evaluates");
    let line = (report.headroom + (held.mm - skipped.mm) as i128) as u128;
    let f = fixture_with(PROFILE, sample_book(PROFILE), PPM, &[line]);
    let mut plan = vec![
        Forgery::SelectWeights {
            slot: SHORT_CALL,
            weights: [(0, Fp::ZERO), (1, Fp::ZERO)],
        },
        slot_cell(SHORT_CALL, "P < 2^48", Fp::ZERO),
        Forgery::FlippedDirection { slot: SHORT_CALL },
    ];
    plan.extend(claims_of(0, &skipped, maximum(&skipped)));
    claimed(&f, plan)
}

/// The underlying's price or the direction nobody published.
fn forged_selections() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "forged-keyed-price",
            tries: "claim BTC's keyed price with a price 1000 USD lower",
            stopped_by: "select/accumulate",
            at: "venue 0 slot 0: underlying",
            build: || {
                let f = honest();
                let lower = f.statement.params.prices[0] - 100_000_000_000;
                let slot = Slot::Leaf { venue: 0, slot: 0 };
                let plan = vec![
                    Forgery::SelectClaim {
                        slot,
                        value: Fp::from(lower) * Fp::from(256),
                    },
                    Forgery::Cell {
                        region: format!("{}: P < 2^48", slot.name()),
                        value: Fp::from(lower),
                    },
                ];
                claimed(&f, plan)
            },
            real_prover: false,
        },
        Cheat {
            name: "no-underlying",
            tries: "route the short BTC call to no asset at all (every choice 0: a keyed price \
                    of 0, read as BTC at price 0), so that its scenario losses and its size \
                    enter no sum, and claim lines at the headroom of the book without it",
            stopped_by: "select/count",
            at: "venue 0 slot 1: underlying",
            build: no_underlying,
            real_prover: false,
        },
        Cheat {
            name: "flipped-price-direction",
            tries: "book the long BTC perpetual's gain on the wrong side of the entry",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: |P - price| < 2^48",
            build: || {
                forged(vec![Forgery::FlippedDirection {
                    slot: Slot::Leaf { venue: 0, slot: 0 },
                }])
            },
            real_prover: false,
        },
    ]
}

/// The slot of the sample's short BTC call (strike 95,000, one hour), whose row the risk-row
/// cheats replace.
const SHORT_CALL: Slot = Slot::Leaf { venue: 0, slot: 1 };
/// The slot of the sample's long ETH put.
const LONG_PUT: Slot = Slot::Leaf { venue: 1, slot: 1 };

/// The cell named `step` of `slot`'s regions witnessed as `value`.
fn slot_cell(slot: Slot, step: &str, value: Fp) -> Forgery {
    Forgery::Cell {
        region: format!("{}: {step}", slot.name()),
        value,
    }
}

/// The short call's slot opened with the published row (and path) of `instrument`.
fn call_opens_the_row_of(instrument: Position) -> Attempt {
    let f = honest();
    let opening = RiskOpening::of(&f.snapshot.risk_table, &f.risk_tree, &instrument)
        .expect("a listed instrument")
        .expect("not an empty slot");
    assert_ne!(
        opening.row.key, f.witness.risk_openings[0][1].row.key,
        "another instrument than the call's"
    );
    forged(vec![Forgery::RiskOpening {
        slot: SHORT_CALL,
        opening,
    }])
}

/// The sample's short BTC call opens another instrument's row: stopped where a held
/// instrument's row must be under the public risk root (its key word is the slot's own).
fn foreign_risk_rows() -> Vec<Cheat> {
    let at = "venue 0 slot 1: a held instrument's row is under the risk root";
    vec![
        Cheat {
            name: "another-instruments-row",
            tries: "open the short BTC call's slot with the BTC perpetual's row: no mark owed, \
                    a perpetual's scenario values",
            stopped_by: "arith/row",
            at,
            build: || call_opens_the_row_of(margin_perp(0)),
            real_prover: true,
        },
        Cheat {
            name: "another-strikes-row",
            tries: "open the short call with the row of the 100,000 call (out of the money: a \
                    lower mark, smaller losses when BTC rises)",
            stopped_by: "arith/row",
            at,
            build: || call_opens_the_row_of(listed_neighbours()[0]),
            real_prover: false,
        },
        Cheat {
            name: "another-expirys-row",
            tries: "open the short one-hour call with the row of the 30-day call at its strike",
            stopped_by: "arith/row",
            at,
            build: || call_opens_the_row_of(listed_neighbours()[1]),
            real_prover: false,
        },
        Cheat {
            name: "another-kinds-row",
            tries: "open the short call with the row of the put at its strike and expiry (out \
                    of the money)",
            stopped_by: "arith/row",
            at,
            build: || call_opens_the_row_of(listed_neighbours()[2]),
            real_prover: false,
        },
        Cheat {
            name: "vector-from-another-epochs-table",
            tries: "open the short call with its row and path in last epoch's table, when BTC \
                    was at 90,000 and the call out of the money",
            stopped_by: "arith/row",
            at,
            build: || {
                let f = honest();
                let mut last = f.snapshot.clone();
                last.assets[0].price = 90_000 * 100_000_000;
                let (table, tree) = sample_table(&last, listed_instruments(&f.book).iter());
                let call = &f.witness.positions[0][1];
                let opening = RiskOpening::of(&table, &tree, call)
                    .expect("listed last epoch")
                    .expect("held");
                assert!(opening.row.mark < f.witness.risk_openings[0][1].row.mark);
                forged(vec![Forgery::RiskOpening {
                    slot: SHORT_CALL,
                    opening,
                }])
            },
            real_prover: false,
        },
        Cheat {
            name: "mark-left-out-of-equity",
            tries: "witness the short call's mark as 0, so that equity owes nothing for it",
            stopped_by: "arith/row",
            at,
            build: || forged(vec![slot_cell(SHORT_CALL, "mark < 2^62", Fp::ZERO)]),
            real_prover: true,
        },
    ]
}

/// The BTC perpetual's instrument (any entry: a perpetual is one instrument per underlying).
fn margin_perp(underlying: usize) -> Position {
    position(Kind::Perp, underlying, Side::Long, 1, 1, 0)
}

/// A row of the table whose leaf is the published one but whose cells are not: limbs carried
/// into their neighbours, an index bit that is no bit.
fn forged_risk_rows() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "vector-limb-carried-into-the-next",
            tries: "the long ETH put's first scenario value 2^63 pUSD higher (a huge gain) and \
                    its second one lower: the same vector word, so the published leaf",
            stopped_by: "lookup: range table",
            at: "venue 1 slot 1: vector 0 < 2^63",
            build: vector_limb_carried_into_the_next,
            real_prover: false,
        },
        Cheat {
            name: "mark-carried-into-the-expiry",
            tries: "a short call published (by a colluding venue) with an expiry 2^40 later, \
                    and its mark one pUSD lower: the same key word, so the published row",
            stopped_by: "copy: constant",
            at: "venue 0 slot 1: expiry < 2^40",
            build: || {
                let f = honest();
                let call = f.witness.positions[0][1];
                let mark = f.witness.risk_openings[0][1].row.mark;
                let mut attempt = published_slot_field(0, 1, 5, Fp::from(call.expiry) + pow2(40));
                attempt
                    .circuit
                    .plan
                    .push(slot_cell(SHORT_CALL, "mark < 2^62", Fp::from(mark - 1)));
                attempt
            },
            real_prover: false,
        },
        Cheat {
            name: "row-opened-with-an-index-bit-of-no-bit",
            tries: "open the short call with a made-up row (mark 0, no scenario loss): an index \
                    bit b and a sibling s chosen so that the first level's pair is the real one",
            stopped_by: "merkle swap/bit is boolean",
            at: "venue 0 slot 1: risk: merkle swap at height 0",
            build: made_up_row_through_a_non_boolean_bit,
            real_prover: false,
        },
    ]
}

/// The long put's vector limbs 0 and 1 witnessed as `u_0 + 2^63` and `u_1 - 1`.
pub fn vector_limb_carried_into_the_next() -> Attempt {
    let row = &honest().witness.risk_openings[1][1].row;
    let limb = |s: usize| hash::vector_limb(row.vector[s]);
    forged(vec![
        slot_cell(LONG_PUT, "vector 0 < 2^63", limb(0) + pow2(63)),
        slot_cell(LONG_PUT, "vector 1 < 2^63", limb(1) - Fp::ONE),
    ])
}

/// The short call's slot opens a row nobody published (the call's key, mark 0, every scenario
/// value 0) with the real path but for its first level: index bit `b` and sibling `s` such
/// that the Merkle gate's `left = n + b (s - n)` and `right = n + s - left` are the real pair
/// `(L, R)` for the made-up leaf `n`: `s = L + R - n`, `b = (L - n) / (s - n)`. Only the
/// bit's booleanity objects.
pub fn made_up_row_through_a_non_boolean_bit() -> Attempt {
    let f = honest();
    let real = &f.witness.risk_openings[0][1];
    let made_up = RiskRow {
        key: real.row.key,
        mark: 0,
        vector: [0; SCENARIOS],
    };
    let n = hash::risk_leaf(&made_up);
    let leaf = hash::risk_leaf(&real.row);
    let (l, r) = if real.index & 1 == 0 {
        (leaf, real.path[0])
    } else {
        (real.path[0], leaf)
    };
    let s = l + r - n;
    let b = (l - n) * (s - n).invert().unwrap();
    let mut path = real.path.clone();
    path[0] = s;
    let opening = RiskOpening {
        row: made_up,
        index: real.index,
        path,
    };
    forged(vec![
        Forgery::RiskOpening {
            slot: SHORT_CALL,
            opening,
        },
        slot_cell(SHORT_CALL, "risk index bit 0", b),
        Forgery::SwapAt {
            region: format!("{}: risk: merkle swap at height 0", SHORT_CALL.name()),
            left: l,
            right: r,
        },
    ])
}

/// The honest per-underlying figures of a fixture (the reference engine).
fn margins_of(f: &Fixture, positions: &[Position]) -> Vec<UnderlyingMargin> {
    margin::portfolio_margin(&f.statement.params, positions).expect("the book evaluates")
}

/// The honest `max(scan, som)` of each underlying.
fn maximum(m: &UnderlyingMargin) -> u128 {
    m.scan.max(m.som)
}

/// The prover's claims for `asset` forged to `(maximum, short option sizes, perp sizes)`.
fn claims(asset: usize, maximum: Fp, short: Fp, perp: Fp) -> Vec<Forgery> {
    let cell = |step: &str, value| Forgery::Cell {
        region: format!("asset {asset}: {step}"),
        value,
    };
    vec![
        cell("max(scan, som)", maximum),
        cell("short option sizes < 2^80", short),
        cell("perp sizes < 2^80", perp),
    ]
}

/// The prover's claims for `asset`: `maximum`, and the sizes of `m`.
fn claims_of(asset: usize, m: &UnderlyingMargin, maximum: u128) -> Vec<Forgery> {
    claims(
        asset,
        Fp::from_u128(maximum),
        Fp::from_u128(m.short_option_size),
        Fp::from_u128(m.perp_size),
    )
}

/// BTC's honest figures in `f`.
fn btc_margin(f: &Fixture) -> UnderlyingMargin {
    margins_of(f, &f.witness.positions.concat())[0].clone()
}

/// `f`'s own witness and instance with the prover's claims forged by `plan`.
fn claimed(f: &Fixture, plan: Vec<Forgery>) -> Attempt {
    attempt_with(&f.statement, &f.witness, plan, f.statement.to_instance())
}

/// The sample book with BTC's short-option minimum at 50%: the minimum, not a scenario, is
/// BTC's margin.
fn minimum_bound() -> Fixture {
    let mut f = honest();
    f.snapshot.portfolio[0].som_ppm = 500_000;
    f.statement = PublicStatement::certifying(&f.snapshot, &f.witness, f.statement.level_ppm);
    f
}

/// The scenario sums, their maximum, the minimum and the sizes: per underlying.
fn portfolio_sums() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "scenario-sum-skips-a-slot",
            tries: "claim BTC's figures (worst scenario, short-option sizes) as if the short \
                    call were not in the book",
            stopped_by: "copy: constant",
            at: "asset 0: m covers scenario",
            build: || {
                let f = honest();
                let mut without: Vec<Position> = f.witness.positions.concat();
                let held = margins_of(&f, &without)[0].clone();
                without.retain(|p| *p != f.witness.positions[0][1]);
                let skipped = margins_of(&f, &without)[0].clone();
                assert!(maximum(&skipped) < maximum(&held), "the call is BTC's risk");
                let plan = claims_of(0, &skipped, maximum(&skipped));
                claimed(&f, plan)
            },
            real_prover: false,
        },
        Cheat {
            name: "slot-booked-under-another-underlying",
            tries: "route the short BTC call to ETH (its scenario losses into ETH's sums, \
                    valued at ETH's price), where the long put's gains offset them",
            stopped_by: "arith/row",
            at: "venue 0 slot 1: keyed price = underlying + 2^8 P",
            build: || {
                let f = honest();
                let eth = f.statement.params.prices[1];
                forged(vec![
                    Forgery::SelectWeights {
                        slot: SHORT_CALL,
                        weights: [(0, Fp::ZERO), (1, Fp::ONE)],
                    },
                    slot_cell(SHORT_CALL, "P < 2^48", Fp::from(eth)),
                    Forgery::FlippedDirection { slot: SHORT_CALL },
                ])
            },
            real_prover: false,
        },
        Cheat {
            name: "maximum-below-a-scenarios-loss",
            tries: "claim BTC's margin one uusd below its worst scenario's loss",
            stopped_by: "copy: constant",
            at: "asset 0: m covers scenario",
            build: || {
                let f = honest();
                let btc = btc_margin(&f);
                assert!(
                    btc.scan > btc.som,
                    "a scenario, not the minimum, is BTC's margin"
                );
                let plan = claims_of(0, &btc, btc.scan - 1);
                claimed(&f, plan)
            },
            real_prover: true,
        },
        Cheat {
            name: "maximum-below-the-minimum",
            tries: "with BTC's short-option minimum above every scenario's loss, claim BTC's \
                    margin one uusd below the minimum",
            stopped_by: "copy: constant",
            at: "asset 0: m covers som",
            build: || {
                let f = minimum_bound();
                let btc = btc_margin(&f);
                assert!(btc.som > btc.scan + 1, "the minimum is BTC's margin");
                let plan = claims_of(0, &btc, btc.som - 1);
                claimed(&f, plan)
            },
            real_prover: false,
        },
        Cheat {
            name: "sizes-moved-between-the-packed-sums",
            tries: "one e9 unit of BTC perpetual less (a lower contingency), paid for with \
                    2^80 more short-option size: the same packed sum",
            stopped_by: "copy: constant",
            at: "asset 0: short option sizes < 2^80",
            build: || {
                let f = honest();
                let btc = btc_margin(&f);
                let plan = claims(
                    0,
                    Fp::from_u128(maximum(&btc)),
                    Fp::from_u128(btc.short_option_size) + pow2(80),
                    Fp::from_u128(btc.perp_size - 1),
                );
                claimed(&f, plan)
            },
            real_prover: false,
        },
    ]
}

/// Roots and leaves: stale, another venue's, another account's.
fn stale_or_foreign_leaves() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "stale-root",
            tries: "open venue 1 against last epoch's tree, before the losing ETH short was added",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                let current = honest();
                let mut old_book = sample_book(PROFILE);
                old_book.positions[1].remove(0);
                let old = fixture_with(PROFILE, old_book, 1_000_000, &[]);
                attempt_with(
                    &current.statement,
                    &old.witness,
                    vec![],
                    current.statement.to_instance(),
                )
            },
            real_prover: true,
        },
        Cheat {
            name: "another-venues-root",
            tries: "present the venue-1 leaf (a long put and a short perp) as the venue-0 book",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.positions[0] = w.positions[1].clone();
                    w.venue_openings[0] = w.venue_openings[1].clone();
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "another-accounts-leaf",
            tries: "open the rich account at index 6 (1000 BTC) with its amounts, salts and paths",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, f| {
                    w.idx = OTHER_INDEX;
                    for c in 0..PROFILE.chains {
                        w.balances[c] = OTHER_BALANCES.to_vec();
                        w.balances[c].resize(PROFILE.assets, 0);
                        w.chain_openings[c].salt = Fp::from(OTHER_SALT);
                        w.chain_openings[c].path = f.chain_trees[c].path(OTHER_INDEX);
                    }
                    for v in 0..PROFILE.venues {
                        w.positions[v] = vec![other_position()];
                        w.positions[v].resize(PROFILE.positions, Position::EMPTY);
                        w.venue_openings[v].salt = Fp::from(OTHER_SALT);
                        w.venue_openings[v].path = f.venue_trees[v].path(OTHER_INDEX);
                    }
                })
            },
            real_prover: true,
        },
    ]
}

/// Roots and leaves: another secret, a dropped position or venue, the wrong index.
fn foreign_secret_and_dropped_leaves() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "another-accounts-secret",
            tries: "prove with the rich account's own secret and leaves, under the prover's nullifier and line commitments",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, f| {
                    w.sk = Fp::from(OTHER_SK);
                    w.idx = OTHER_INDEX;
                    for c in 0..PROFILE.chains {
                        w.balances[c] = OTHER_BALANCES.to_vec();
                        w.balances[c].resize(PROFILE.assets, 0);
                        w.chain_openings[c].present = true;
                        w.chain_openings[c].salt = Fp::from(OTHER_SALT);
                        w.chain_openings[c].path = f.chain_trees[c].path(OTHER_INDEX);
                    }
                    for v in 0..PROFILE.venues {
                        w.positions[v] = vec![other_position()];
                        w.positions[v].resize(PROFILE.positions, Position::EMPTY);
                        w.venue_openings[v].present = true;
                        w.venue_openings[v].salt = Fp::from(OTHER_SALT);
                        w.venue_openings[v].path = f.venue_trees[v].path(OTHER_INDEX);
                    }
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "dropped-position",
            tries: "leave the losing ETH short out of the venue-1 leaf",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.positions[1][0] = Position::EMPTY;
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "dropped-venue",
            tries: "claim the account holds nothing at venue 0 (its short call carries margin)",
            stopped_by: "copy: public input",
            at: "row",
            build: || with_witness(|w, _| drop_venue_zero(w)),
            real_prover: false,
        },
        Cheat {
            name: "leaf-at-the-wrong-index",
            tries: "open every tree at index 2, the empty neighbour of the account's index 3",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.idx = PROVER_INDEX ^ 1;
                })
            },
            real_prover: false,
        },
    ]
}

/// Roots and leaves: forged Merkle paths and index bits, a declared side.
fn forged_paths() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "empty-neighbour-opened-in-one-tree",
            tries: "drop venue 0 by opening the empty leaf at index 2 in that tree only, \
                    ordering the first level against the shared index bit",
            stopped_by: "merkle swap/left",
            at: "venue 0: merkle swap at height 0",
            build: || {
                let f = honest();
                let mut w = f.witness.clone();
                drop_venue_zero(&mut w);
                w.venue_openings[0].path = f.venue_trees[0].path(PROVER_INDEX ^ 1);
                let plan = vec![Forgery::SwapFlipped {
                    tree: Tree::Venue(0),
                    level: 0,
                }];
                attempt_with(&f.statement, &w, plan, f.statement.to_instance())
            },
            real_prover: false,
        },
        Cheat {
            name: "forged-merkle-node",
            tries: "drop venue 0: open leaf 0 at the account's index, and write the real leaf \
                    as the first level's right-hand node",
            stopped_by: "merkle swap/right",
            at: "venue 0: merkle swap at height 0",
            build: || {
                let f = honest();
                let mut w = f.witness.clone();
                drop_venue_zero(&mut w);
                let real_leaf = f.venue_trees[0].leaf(PROVER_INDEX);
                let plan = vec![Forgery::SwapRight {
                    tree: Tree::Venue(0),
                    level: 0,
                    value: real_leaf,
                }];
                attempt_with(&f.statement, &w, plan, f.statement.to_instance())
            },
            real_prover: true,
        },
        Cheat {
            name: "non-boolean-index-bit",
            tries: "an index bit of 2, which is no index at all",
            stopped_by: "arith/row",
            at: "index bit 0 is boolean",
            build: || {
                forged(vec![Forgery::IndexBit {
                    bit: 0,
                    value: Fp::from(2),
                }])
            },
            real_prover: false,
        },
        Cheat {
            name: "short-option-counted-long",
            tries: "declare the short BTC call long: its mark credited instead of owed, its \
                    scenario losses booked as gains, no short-option minimum",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.positions[0][1].side = Side::Long;
                })
            },
            real_prover: true,
        },
    ]
}

/// A cheat that moves one rounded quotient by `delta` (the remainder follows, so that only
/// the division's range checks can object).
macro_rules! rounded {
    ($name:expr, $tries:expr, $stopped_by:expr, $at:expr, $of:expr, $delta:expr, $real:expr) => {
        Cheat {
            name: $name,
            tries: $tries,
            stopped_by: $stopped_by,
            at: $at,
            build: || {
                forged(vec![Forgery::Quotient {
                    of: $of,
                    delta: $delta,
                }])
            },
            real_prover: $real,
        }
    };
}

/// Rounding in the prover's favour: values and margins.
fn values_rounded_up() -> Vec<Cheat> {
    vec![
        rounded!(
            "collateral-rounded-up",
            "round chain 0's BTC collateral up by one uusd",
            "lookup: range table",
            "chain 0: asset 0: collateral: remainder",
            Quotient::Collateral { chain: 0, asset: 0 },
            1,
            true
        ),
        Cheat {
            name: "collateral-at-a-lower-haircut",
            tries: "value chain 0's BTC at a haircut 1% below the published one",
            stopped_by: "lookup: range table",
            at: "chain 0: asset 0: collateral: remainder",
            build: || {
                let f = honest();
                let (x, price) = (f.witness.balances[0][0], f.statement.params.prices[0]);
                let published = f.statement.params.haircuts_ppm[0][0];
                let honest_value = zkmargin_circuits::margin::collateral_value(x, price, published);
                let cheap =
                    zkmargin_circuits::margin::collateral_value(x, price, published - 10_000);
                forged(vec![Forgery::Quotient {
                    of: Quotient::Collateral { chain: 0, asset: 0 },
                    delta: (cheap - honest_value) as i64,
                }])
            },
            real_prover: false,
        },
        rounded!(
            "minimum-rounded-down",
            "round BTC's short-option minimum down by one uusd",
            "lookup: range table",
            "asset 0: som: remainder",
            Quotient::Minimum { asset: 0 },
            -1,
            false
        ),
    ]
}

/// Rounding in the prover's favour: profit, loss, option marks, the contingency and the
/// requirement.
fn charges_rounded_down() -> Vec<Cheat> {
    vec![
        rounded!(
            "long-option-mark-rounded-up",
            "round the long ETH put's haircut mark up by one uusd",
            "copy: constant",
            "venue 1 slot 1: credit: remainder",
            Quotient::Credit(Slot::Leaf { venue: 1, slot: 1 }),
            1,
            false
        ),
        rounded!(
            "short-option-mark-rounded-down",
            "round what the short BTC call owes (its mark) down by one uusd",
            "copy: constant",
            "venue 0 slot 1: debit: remainder",
            Quotient::Debit(Slot::Leaf { venue: 0, slot: 1 }),
            -1,
            false
        ),
        rounded!(
            "contingency-rounded-down",
            "round BTC's contingency on perpetual notional down by one uusd",
            "lookup: range table",
            "asset 0: contingency: remainder",
            Quotient::Contingency { asset: 0 },
            -1,
            false
        ),
        rounded!(
            "profit-rounded-up",
            "round the BTC perpetual's profit credit up by one uusd",
            "copy: constant",
            "venue 0 slot 0: credit: remainder",
            Quotient::Credit(Slot::Leaf { venue: 0, slot: 0 }),
            1,
            false
        ),
        rounded!(
            "loss-rounded-down",
            "round the ETH short's loss debit down by one uusd",
            "copy: constant",
            "venue 1 slot 0: debit: remainder",
            Quotient::Debit(Slot::Leaf { venue: 1, slot: 0 }),
            -1,
            false
        ),
        rounded!(
            "requirement-rounded-down",
            "round the requirement ceil(mm level / 1e6) down by one uusd",
            "copy: constant",
            "requirement: remainder",
            Quotient::Requirement,
            -1,
            true
        ),
    ]
}

/// Public inputs: the published parameters and the level.
fn published_parameters_and_level() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "price-other-than-published",
            tries: "witness the book against a BTC price one unit above the published one",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: keyed price = underlying + 2^8 P",
            build: || {
                with_instance(|i, l| {
                    i[l.price(0)] -= Fp::ONE;
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "haircut-above-100-percent",
            tries: "a published haircut of 1e6 + 1 ppm, which would make 1e6 - h wrap to p - 1",
            stopped_by: "copy: constant",
            at: "haircut 3 0 <= 1e6",
            build: || {
                with_statement(|statement, _| statement.params.haircuts_ppm[3][0] = 1_000_001)
            },
            real_prover: false,
        },
        Cheat {
            name: "level-below-the-public-one",
            tries: "prove 1x maintenance to a venue that demands 10x",
            stopped_by: "copy: constant",
            at: "equity >= requirement + lines",
            build: || levels(headroom(1_000_000), 1_000_000, 10_000_000),
            real_prover: true,
        },
        Cheat {
            name: "level-below-1x",
            tries: "a level of 0.999999x maintenance",
            stopped_by: "lookup: range table",
            at: "level >= 1e6",
            build: || levels(0, 999_999, 999_999),
            real_prover: false,
        },
        Cheat {
            name: "level-above-10x",
            tries: "a level of 10.000001x (outside the range the bounds are computed for)",
            stopped_by: "lookup: range table",
            at: "level <= 1e7",
            build: || levels(0, 10_000_001, 10_000_001),
            real_prover: false,
        },
    ]
}

/// The certificate: its credit lines, their commitments and the nullifier.
fn the_lines_and_the_nullifier() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "lines-over-the-headroom",
            tries: "lines at the two venues summing to one uusd over the headroom",
            stopped_by: "copy: constant",
            at: "equity >= requirement + lines",
            build: || {
                let headroom = headroom(1_000_000);
                with_lines(&[headroom - 50_000_000, 50_000_001])
            },
            real_prover: true,
        },
        Cheat {
            name: "line-of-2^100",
            tries: "a line of 2^100 uusd at venue 0 (above what any book can hold)",
            stopped_by: "copy: constant",
            at: "line 0: allowance < 2^100",
            build: || with_lines(&[1 << 100, 0]),
            real_prover: false,
        },
        Cheat {
            name: "lines-wrapping-the-field",
            tries: "a line of 2^100 + 10 uusd at venue 0 and one of p - 2^100 at venue 1: the \
                    sum of the lines is 10 uusd",
            stopped_by: "copy: constant",
            at: "allowance < 2^100",
            build: || {
                let big = pow2(100);
                forged_lines(2, &[], &[Some(big + Fp::from(10)), Some(-big)])
            },
            real_prover: false,
        },
        Cheat {
            name: "line-on-a-padding-slot",
            tries: "a snapshot of one venue, and a line of 50 USD on the padding slot beside it",
            stopped_by: "arith/row",
            at: "line 1: zero unless listed",
            build: || forged_lines(1, &[], &[]),
            real_prover: false,
        },
        Cheat {
            name: "padding-slot-listed",
            tries: "a snapshot of one venue, and the padding slot beside it listed with a line",
            stopped_by: "arith/row",
            at: "listed venues = venue count",
            build: || forged_lines(1, &[None, Some(1)], &[]),
            real_prover: false,
        },
        Cheat {
            name: "listed-flags-out-of-order",
            tries: "a snapshot of one venue, its slot unlisted and the padding slot listed",
            stopped_by: "arith/row",
            at: "line 1: listed only after a listed venue",
            build: || forged_lines(1, &[Some(0), Some(1)], &[Some(Fp::ZERO), None]),
            real_prover: false,
        },
        Cheat {
            name: "listed-flag-of-two",
            tries:
                "venue 0 listed twice (flag 2, so its tag doubles) and venue 1 not at all, no lines",
            stopped_by: "arith/row",
            at: "line 0: listed is boolean",
            build: || forged_lines(2, &[Some(2), Some(0)], &[Some(Fp::ZERO), Some(Fp::ZERO)]),
            real_prover: false,
        },
        Cheat {
            name: "commitment-to-another-venues-tag",
            tries: "commit venue 0's line to the account's tag at venue 1",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                committed_to(|f| {
                    let ids = &f.statement.venue_ids;
                    vec![
                        account_tag(f.witness.sk, ids[1]),
                        account_tag(f.witness.sk, ids[1]),
                    ]
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "commitment-to-another-secrets-tag",
            tries: "commit venue 0's line to the tag of another account (a richer one's secret)",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                committed_to(|f| {
                    let ids = &f.statement.venue_ids;
                    let other = Fp::from(OTHER_SK);
                    vec![
                        account_tag(other, ids[0]),
                        account_tag(f.witness.sk, ids[1]),
                    ]
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "nullifier-of-another-epoch",
            tries: "a second certificate in this epoch under the next epoch's nullifier",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                let f = honest();
                with_instance(|i, l| i[l.nullifier()] = hash::nullifier(f.witness.sk, 2))
            },
            real_prover: false,
        },
        Cheat {
            name: "nullifier-of-another-secret",
            tries: "a second certificate in this epoch under another secret's nullifier",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                let epoch = honest().snapshot.epoch;
                with_instance(|i, l| i[l.nullifier()] = hash::nullifier(Fp::from(OTHER_SK), epoch))
            },
            real_prover: false,
        },
    ]
}

/// Insolvent books.
fn insolvent_books() -> Vec<Cheat> {
    vec![
        Cheat {
            name: "insolvent-book",
            tries: "prove a book with a 300 BTC short perpetual it cannot margin",
            stopped_by: "copy: constant",
            at: "equity >= requirement + lines",
            build: || {
                let mut book = sample_book(PROFILE);
                let short = position(Kind::Perp, 0, Side::Short, 300_000_000_000, 0, 0);
                book.positions[1].push(Position {
                    price: 97_000 * 100_000_000,
                    ..short
                });
                let f = fixture_with(PROFILE, book, 1_000_000, &[]);
                as_proven(&f)
            },
            real_prover: false,
        },
        Cheat {
            name: "one-uusd-short",
            tries: "a book whose equity is one uusd below its line",
            stopped_by: "copy: constant",
            at: "equity >= requirement + lines",
            build: || {
                // 101010101010 e9 USDC at a 1% haircut is 99.999999 USD against a line of
                // 100 USD.
                let book = Book {
                    balances: vec![vec![0, 0, 101_010_101_010], vec![]],
                    positions: vec![],
                };
                let f = fixture_with(PROFILE, book, 1_000_000, &[100_000_000]);
                as_proven(&f)
            },
            real_prover: false,
        },
    ]
}

/// The cheat of this name.
pub fn cheat(name: &str) -> Option<Cheat> {
    corpus().into_iter().find(|c| c.name == name)
}
