//! The dishonest-prover corpus: one builder per named cheat against the margin circuit (small
//! profile), each with the constraint that must stop it and where.
//!
//! A cheat is a witness (and, where the cheat needs a publisher's help, a public input) that a
//! prover with its own code could produce: `circuit::Tamper` and the chips' `*Forge` hooks
//! change witness values only, never the constraint system (the pinned verifying keys prove
//! it). Each [`Cheat`] names the item that stops it in the words of `zkmargin audit` and
//! `docs/CIRCUIT.md` (`arith/row`, `select/count`, `lookup: range table`, `copy: public input`,
//! ...) and the region (or the part of the statement) where MockProver reports it.
//!
//! "The publisher's help" means the instance commits to the cheating leaf (a vault or venue
//! published it, or the cheater is one): only the constraint under test can object then.
//!
//! `circuits/tests/dishonest.rs` runs every cheat against MockProver, `circuits/tests/mutation.rs`
//! shows that every named constraint stops at least one cheat that gets through without it, and
//! `prover/tests/real_proof.rs` runs the cheap ones against the real prover.

use std::sync::OnceLock;

use ff::Field;
use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};

use crate::chips::merkle::SwapForge;
use crate::chips::select::SelectForge;
use crate::circuit::{MarginCircuit, Tamper, Tree};
use crate::fixtures::{
    fixture, fixture_with, other_position, position, sample_book, Fixture, OTHER_BALANCES,
    OTHER_INDEX, OTHER_SALT, OTHER_SK, PROVER_INDEX,
};
use crate::gadgets::record::{RecordFields, INDEX, LOWER, OPTION_FACTOR, PERP_MMR, PRICE, UPPER};
use crate::gadgets::slot::{record_fields, SlotTamper};
use crate::hash::{self, account_key, account_tag, poseidon, root_from_path, Fp};
use crate::inspect::{describe, CircuitReport, CopyClass, RegionInfo};
use crate::instance::{InstanceLayout, PublicStatement};
use crate::margin::{Book, Kind, Position, Side};
use crate::profile::{Profile, SMALL};
use crate::witness::AccountWitness;

/// The profile the corpus runs in (the cheapest).
pub const PROFILE: Profile = SMALL;

/// A dishonest proving attempt: the prover's circuit (witness included) and the instance the
/// verifier rebuilds.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub circuit: MarginCircuit,
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

/// A MockProver failure, named like the audit names things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `gate/constraint`, `lookup: <name>` or `copy: <class>`.
    pub item: String,
    /// The failing region's name (with namespaces), or `row N` outside any region.
    pub region: String,
    /// The part of the statement the region belongs to (see `inspect::RegionInfo::part`).
    pub part: String,
}

impl Failure {
    /// Whether this failure is `item` at `at`.
    pub fn is(&self, item: &str, at: &str) -> bool {
        self.item == item && (self.region.contains(at) || self.part.contains(at))
    }
}

fn report() -> &'static CircuitReport {
    static REPORT: OnceLock<CircuitReport> = OnceLock::new();
    REPORT.get_or_init(|| describe(PROFILE).expect("the small circuit describes itself"))
}

/// Reads `Region 12 ('name')`.
fn region_index(text: &str) -> Option<usize> {
    text.strip_prefix("Region ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn region_of(location: &FailureLocation) -> Option<&'static RegionInfo> {
    match location {
        FailureLocation::InRegion { region, .. } => {
            let index = region_index(&region.to_string())?;
            report().regions.iter().find(|r| r.index == index)
        }
        FailureLocation::OutsideRegion { .. } => None,
    }
}

fn site(location: &FailureLocation) -> (String, String) {
    match (region_of(location), location) {
        (Some(r), _) => (r.name.clone(), r.part().to_string()),
        (None, FailureLocation::OutsideRegion { row }) => (format!("row {row}"), String::new()),
        (None, other) => (other.to_string(), String::new()),
    }
}

/// Names a MockProver failure.
pub fn name_failure(failure: &VerifyFailure) -> Failure {
    let r = report();
    match failure {
        VerifyFailure::ConstraintNotSatisfied {
            constraint,
            location,
            ..
        } => {
            // `Constraint 0 ('row') in gate 3 ('arith')`, or `Constraint 1 in gate 0 (...)`.
            let text = constraint.to_string();
            let gate_index: Option<usize> = text
                .split(" in gate ")
                .nth(1)
                .and_then(|g| g.split_whitespace().next())
                .and_then(|g| g.parse().ok());
            let constraint_index: Option<usize> = text
                .strip_prefix("Constraint ")
                .and_then(|c| c.split_whitespace().next())
                .and_then(|c| c.parse().ok());
            let item = gate_index
                .and_then(|g| r.gates.get(g))
                .and_then(|g| {
                    constraint_index
                        .and_then(|c| g.constraints.get(c))
                        .map(|c| g.qualified(c))
                })
                .unwrap_or(text);
            let (region, part) = site(location);
            Failure { item, region, part }
        }
        VerifyFailure::Lookup {
            lookup_index,
            location,
        } => {
            let name = r
                .lookups
                .get(*lookup_index)
                .map_or_else(|| lookup_index.to_string(), |l| l.name.clone());
            let (region, part) = site(location);
            Failure {
                item: format!("lookup: {name}"),
                region,
                part,
            }
        }
        VerifyFailure::Permutation { column, location } => {
            // `Column('Advice', 4)`.
            let text = column.to_string();
            let kind = if text.contains("Instance") {
                'I'
            } else if text.contains("Fixed") {
                'F'
            } else {
                'A'
            };
            let index: String = text
                .rsplit(", ")
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let row = match location {
                FailureLocation::InRegion { offset, .. } => {
                    region_of(location).map(|r| r.first_row + offset)
                }
                FailureLocation::OutsideRegion { row } => Some(*row),
            };
            let class = row
                .and_then(|row| r.copy_cells.get(&(format!("{kind}{index}"), row)))
                .copied()
                .unwrap_or_else(|| match region_of(location) {
                    Some(region) => region_copy_class(region),
                    None => CopyClass::Constant,
                });
            let (region, part) = site(location);
            Failure {
                item: class.name().to_string(),
                region,
                part,
            }
        }
        other => Failure {
            item: format!("{other}"),
            region: String::new(),
            part: String::new(),
        },
    }
}

/// The copy class of cells copied into a region (as `inspect` counts them).
fn region_copy_class(region: &RegionInfo) -> CopyClass {
    let gates: Vec<&str> = report()
        .gates
        .iter()
        .filter(|g| g.selectors.iter().any(|s| region.selectors.contains(s)))
        .map(|g| g.name.as_str())
        .collect();
    if gates.contains(&"arith") {
        CopyClass::ArithOperand
    } else if gates.contains(&"merkle swap") {
        CopyClass::MerkleOperand
    } else if gates.contains(&"select") {
        CopyClass::SelectRecord
    } else if region
        .columns
        .iter()
        .all(|c| c == "A4" || c.starts_with('S'))
    {
        CopyClass::RangeOperand
    } else {
        CopyClass::HashOperand
    }
}

/// Runs MockProver on an attempt and names every failure (empty: accepted).
pub fn failures(attempt: &Attempt) -> Vec<Failure> {
    match MockProver::run(PROFILE.k, &attempt.circuit, vec![attempt.instance.clone()]) {
        Ok(prover) => match prover.verify() {
            Ok(()) => vec![],
            Err(list) => list.iter().map(name_failure).collect(),
        },
        Err(e) => vec![Failure {
            item: format!("synthesis error: {e:?}"),
            region: String::new(),
            part: String::new(),
        }],
    }
}

// --- Builders. ---

fn honest() -> Fixture {
    fixture(PROFILE)
}

/// The honest proof of the sample book (every cheat must fail where this passes).
pub fn honest_attempt() -> Attempt {
    tampered(Tamper::default())
}

fn attempt_with(
    statement: &PublicStatement,
    witness: &AccountWitness,
    tamper: Tamper,
    instance: Vec<Fp>,
) -> Attempt {
    let mut circuit = MarginCircuit::new(statement.clone(), witness.clone());
    circuit.tamper = tamper;
    Attempt { circuit, instance }
}

/// The fixture's own witness against its own instance: honest, unless the fixture's book or
/// published roots are the cheat (a book the engine calls insolvent, a leaf a colluding venue
/// published).
fn as_proven(f: &Fixture) -> Attempt {
    attempt_with(
        &f.statement,
        &f.witness,
        Tamper::default(),
        f.statement.to_instance(),
    )
}

fn tampered(tamper: Tamper) -> Attempt {
    let f = honest();
    attempt_with(&f.statement, &f.witness, tamper, f.statement.to_instance())
}

fn with_witness(edit: impl FnOnce(&mut AccountWitness, &Fixture)) -> Attempt {
    let f = honest();
    let mut w = f.witness.clone();
    edit(&mut w, &f);
    attempt_with(
        &f.statement,
        &w,
        Tamper::default(),
        f.statement.to_instance(),
    )
}

/// The honest witness against an instance built from an edited statement (a venue's
/// instance builder that let the edit through, or a publisher that published it).
fn with_statement(edit: impl FnOnce(&mut PublicStatement, &Fixture)) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    edit(&mut statement, &f);
    attempt_with(
        &statement,
        &f.witness,
        Tamper::default(),
        statement.to_instance(),
    )
}

fn with_instance(edit: impl FnOnce(&mut Vec<Fp>, InstanceLayout)) -> Attempt {
    let f = honest();
    let mut instance = f.statement.to_instance();
    edit(&mut instance, InstanceLayout::new(PROFILE));
    attempt_with(&f.statement, &f.witness, Tamper::default(), instance)
}

fn slot_tamper(venue: usize, slot: usize, tamper: SlotTamper) -> Tamper {
    Tamper {
        slots: vec![((venue, slot), tamper)],
        ..Default::default()
    }
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
    let mut message = hash::collateral_leaf_message(
        account_key(w.sk),
        statement.chain_ids[0],
        &w.balances[0],
        w.chain_openings[0].salt,
    );
    message[3] = value;
    let leaf = poseidon(&message);
    statement.chain_roots[0] = root_from_path(leaf, w.idx, &w.chain_openings[0].path);
    let tamper = Tamper {
        balances: vec![((0, 0), value)],
        ..Default::default()
    };
    attempt_with(&statement, w, tamper, statement.to_instance())
}

/// Field `field` of venue `venue`'s slot `slot` replaced by `value` in the leaf, with a
/// published root that commits to it (with the honest value, the honest proof).
pub fn published_slot_field(venue: usize, slot: usize, field: usize, value: Fp) -> Attempt {
    let f = honest();
    let mut statement = f.statement.clone();
    let w = &f.witness;
    let mut message = hash::position_leaf_message(
        account_key(w.sk),
        statement.venue_ids[venue],
        &w.positions[venue],
        w.venue_openings[venue].salt,
    );
    message[3 + 6 * slot + field] = value;
    let leaf = poseidon(&message);
    statement.venue_roots[venue] = root_from_path(leaf, w.idx, &w.venue_openings[venue].path);
    let tamper = Tamper {
        slot_fields: vec![((venue, slot, field), value)],
        ..Default::default()
    };
    attempt_with(&statement, w, tamper, statement.to_instance())
}

/// The honest sample book, witnessed at `level_ppm` and checked at `checked_ppm`, with an
/// order of `btc` e9 long BTC perp.
fn levels(btc: u64, level_ppm: u64, checked_ppm: u64) -> Attempt {
    let order = position(Kind::Perp, 0, Side::Long, btc, 0, 0);
    let prover = fixture_with(PROFILE, sample_book(PROFILE), level_ppm, Some(order));
    let venue = fixture_with(PROFILE, sample_book(PROFILE), checked_ppm, Some(order));
    attempt_with(
        &prover.statement,
        &prover.witness,
        Tamper::default(),
        venue.statement.to_instance(),
    )
}

/// The prover's venue-0 leaf dropped: claimed absent, every slot empty.
fn drop_venue_zero(w: &mut AccountWitness) {
    w.positions[0] = vec![Position::EMPTY; PROFILE.positions];
    w.venue_openings[0].present = false;
}

/// A record of `(venue, asset)` blended half and half from buckets 0 and 1: `(r0 + r1) / 2`.
/// The sum is even (its lowest limb is twice the price), so the halved field element is the
/// halved integer; its limbs are read off its bits (odd limb sums carry half a unit into the
/// top bit of the limb below).
fn blended_record(f: &Fixture, venue: usize, asset: usize) -> RecordFields {
    let params = &f.statement.params;
    let r0 = record_fields(params, PROFILE, venue, asset, 0);
    let r1 = record_fields(params, PROFILE, venue, asset, 1);
    let packed = (r0.packed() + r1.packed()) * Fp::from(2).invert().unwrap();
    let bytes = ff::PrimeField::to_repr(&packed);
    let bits = |(offset, width): (usize, usize)| -> u64 {
        (0..width).fold(0u64, |acc, i| {
            let bit = offset + i;
            acc | ((((bytes[bit / 8] >> (bit % 8)) & 1) as u64) << i)
        })
    };
    let fields = RecordFields {
        price: bits(PRICE),
        perp_mmr: bits(PERP_MMR),
        option_factor: bits(OPTION_FACTOR),
        lower: bits(LOWER),
        upper: bits(UPPER),
        index: bits(INDEX),
    };
    assert_eq!(
        fields.packed(),
        packed,
        "the blend decomposes into these limbs"
    );
    fields
}

/// Every cheat, in the order `docs/CIRCUIT.md` lists them.
pub fn corpus() -> Vec<Cheat> {
    vec![
        // --- Amounts: inflated, wrapped, out of range. ---
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
                    that covers an order the book cannot margin",
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
                // 1e5 BTC long: far beyond the honest book's margin.
                let order = position(Kind::Perp, 0, Side::Long, 100_000_000_000_000, 0, 0);
                let f = fixture_with(PROFILE, book, 1_000_000, Some(order));
                as_proven(&f)
            },
            real_prover: false,
        },
        Cheat {
            name: "order-on-an-unlisted-asset",
            tries: "an order on a padding asset, valued at price 0 and rate 0 (no margin)",
            stopped_by: "lookup: range table",
            at: "order: underlying < asset count",
            build: || {
                // `PublicStatement::new` refuses such an order: set it by hand, as a venue's
                // own instance builder that skipped the check would.
                with_statement(|statement, f| {
                    statement.order = position(
                        Kind::Perp,
                        f.snapshot.assets.len(),
                        Side::Long,
                        1_000_000_000_000,
                        0,
                        0,
                    )
                })
            },
            real_prover: false,
        },
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
            tries: "a perpetual carrying an expiry, to pick an expiry bucket",
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
                let f = fixture_with(PROFILE, book, 1_000_000, None);
                let mut w = f.witness.clone();
                w.balances[1][2] = 1_000_000_000_000;
                attempt_with(
                    &f.statement,
                    &w,
                    Tamper::default(),
                    f.statement.to_instance(),
                )
            },
            real_prover: false,
        },
        // --- Parameters: mis-selected price, rate or bucket. ---
        Cheat {
            name: "another-assets-price",
            tries: "value the BTC perpetual with ETH's record (price and rate)",
            stopped_by: "arith/row",
            at: "venue 0 slot 0: record index = venue A B + underlying B + bucket",
            build: || {
                tampered(slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        choice: Some(PROFILE.buckets),
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "another-venues-rate-for-the-order",
            tries: "value the order at venue 0 with venue 1's record for the same asset",
            stopped_by: "arith/row",
            at: "order: record index = venue A B + underlying B + bucket",
            build: || {
                tampered(slot_tamper(
                    PROFILE.venues,
                    0,
                    SlotTamper {
                        choice: Some(PROFILE.records_per_venue()),
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "cheaper-expiry-bucket",
            tries: "margin the one-hour short call with the one-year bucket's record",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 1: tte >= lower",
            build: || {
                tampered(slot_tamper(
                    0,
                    1,
                    SlotTamper {
                        choice: Some(1),
                        bucket: Some(1),
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "blended-parameter-record",
            tries: "choose two records with weight 1/2 each: an average nobody published",
            stopped_by: "select/choice is boolean",
            at: "venue 1 slot 1: parameter record",
            build: || {
                let f = honest();
                let fields = blended_record(&f, 1, 1);
                let local = PROFILE.buckets;
                let half = Fp::from(2).invert().unwrap();
                let tamper = slot_tamper(
                    1,
                    1,
                    SlotTamper {
                        select: SelectForge::Weights([(local, half), (local + 1, half)]),
                        record: Some(fields),
                        bucket: Some(0),
                        ..Default::default()
                    },
                );
                attempt_with(&f.statement, &f.witness, tamper, f.statement.to_instance())
            },
            real_prover: true,
        },
        Cheat {
            name: "forged-parameter-record",
            tries: "claim a record with BTC's price but a perpetual margin rate of 0",
            stopped_by: "select/accumulate",
            at: "venue 0 slot 0: parameter record",
            build: || {
                let f = honest();
                let mut forged = record_fields(&f.statement.params, PROFILE, 0, 0, 0);
                forged.perp_mmr = 0;
                let tamper = slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        select: SelectForge::Claim(forged.packed()),
                        record: Some(forged),
                        ..Default::default()
                    },
                );
                attempt_with(&f.statement, &f.witness, tamper, f.statement.to_instance())
            },
            real_prover: false,
        },
        Cheat {
            name: "no-parameter-record",
            tries: "choose no record at all (an all-zero record: price 0, rates 0)",
            stopped_by: "select/count",
            at: "venue 0 slot 0: parameter record",
            build: || {
                let tamper = slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        select: SelectForge::Weights([(0, Fp::ZERO), (1, Fp::ZERO)]),
                        record: Some(RecordFields::default()),
                        flip_direction: true,
                        ..Default::default()
                    },
                );
                tampered(tamper)
            },
            real_prover: false,
        },
        Cheat {
            name: "flipped-price-direction",
            tries: "book the long BTC perpetual's gain on the wrong side of the entry",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: |P - price| < 2^48",
            build: || {
                tampered(slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        flip_direction: true,
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        // --- Roots and leaves. ---
        Cheat {
            name: "stale-root",
            tries: "open venue 1 against last epoch's tree, before the losing ETH short was added",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                let current = honest();
                let mut old_book = sample_book(PROFILE);
                old_book.positions[1].remove(0);
                let old = fixture_with(PROFILE, old_book, 1_000_000, None);
                attempt_with(
                    &current.statement,
                    &old.witness,
                    Tamper::default(),
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
        Cheat {
            name: "another-accounts-secret",
            tries: "prove with the rich account's own secret and leaves, under the prover's tag",
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
                let tamper = Tamper {
                    merkle: vec![((Tree::Venue(0), 0), SwapForge::FlipOrder)],
                    ..Default::default()
                };
                attempt_with(&f.statement, &w, tamper, f.statement.to_instance())
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
                let tamper = Tamper {
                    merkle: vec![((Tree::Venue(0), 0), SwapForge::Right(real_leaf))],
                    ..Default::default()
                };
                attempt_with(&f.statement, &w, tamper, f.statement.to_instance())
            },
            real_prover: true,
        },
        Cheat {
            name: "non-boolean-index-bit",
            tries: "an index bit of 2, which is no index at all",
            stopped_by: "arith/row",
            at: "index bit 0 is boolean",
            build: || {
                tampered(Tamper {
                    index_bits: vec![(0, Fp::from(2))],
                    ..Default::default()
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "short-option-declared-long",
            tries: "declare the short BTC call long, so that it carries no margin",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                with_witness(|w, _| {
                    w.positions[0][1].side = Side::Long;
                })
            },
            real_prover: true,
        },
        // --- Rounding in the prover's favour. ---
        Cheat {
            name: "collateral-rounded-up",
            tries: "round chain 0's BTC collateral up by one uusd",
            stopped_by: "lookup: range table",
            at: "chain 0: asset 0: collateral: remainder",
            build: || {
                tampered(Tamper {
                    collateral: vec![((0, 0), 1)],
                    ..Default::default()
                })
            },
            real_prover: true,
        },
        Cheat {
            name: "collateral-at-a-lower-haircut",
            tries: "value chain 0's BTC at a haircut 1% below the published one",
            stopped_by: "lookup: range table",
            at: "chain 0: asset 0: collateral: remainder",
            build: || {
                let f = honest();
                let (x, price) = (f.witness.balances[0][0], f.statement.params.prices[0]);
                let published = f.statement.params.haircuts_ppm[0][0];
                let honest_value = crate::margin::collateral_value(x, price, published);
                let cheap = crate::margin::collateral_value(x, price, published - 10_000);
                tampered(Tamper {
                    collateral: vec![((0, 0), (cheap - honest_value) as i64)],
                    ..Default::default()
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "margin-rounded-down",
            tries: "round the BTC perpetual's margin down by one uusd",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: mm: remainder",
            build: || {
                tampered(slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        mm: -1,
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "profit-rounded-up",
            tries: "round the BTC perpetual's profit credit up by one uusd",
            stopped_by: "lookup: range table",
            at: "venue 0 slot 0: upnl credit: remainder",
            build: || {
                tampered(slot_tamper(
                    0,
                    0,
                    SlotTamper {
                        credit: 1,
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "loss-rounded-down",
            tries: "round the ETH short's loss debit down by one uusd",
            stopped_by: "lookup: range table",
            at: "venue 1 slot 0: upnl debit: remainder",
            build: || {
                tampered(slot_tamper(
                    1,
                    0,
                    SlotTamper {
                        debit: -1,
                        ..Default::default()
                    },
                ))
            },
            real_prover: false,
        },
        Cheat {
            name: "requirement-rounded-down",
            tries: "round the requirement ceil(mm level / 1e6) down by one uusd",
            stopped_by: "copy: constant",
            at: "requirement: remainder",
            build: || {
                tampered(Tamper {
                    requirement: -1,
                    ..Default::default()
                })
            },
            real_prover: true,
        },
        // --- Public inputs, the level and the order. ---
        Cheat {
            name: "price-other-than-published",
            tries: "witness the book against a BTC price one unit above the published one",
            stopped_by: "arith/row",
            at: "limbs sum to the record",
            build: || {
                with_instance(|i, l| {
                    i[l.price(0)] -= Fp::ONE;
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "rate-other-than-published",
            tries: "witness the book against a BTC margin rate at venue 0 one ppm below the \
                    published one",
            stopped_by: "arith/row",
            at: "limbs sum to the record",
            build: || {
                with_instance(|i, l| {
                    i[l.perp_mmr(0, 0)] += Fp::ONE;
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
            at: "equity >= requirement",
            build: || levels(25_000_000_000, 1_000_000, 10_000_000),
            real_prover: true,
        },
        Cheat {
            name: "level-below-1x",
            tries: "a level of 0.999999x maintenance",
            stopped_by: "lookup: range table",
            at: "level >= 1e6",
            build: || levels(100_000_000, 999_999, 999_999),
            real_prover: false,
        },
        Cheat {
            name: "level-above-10x",
            tries: "a level of 10.000001x (outside the range the bounds are computed for)",
            stopped_by: "lookup: range table",
            at: "level <= 1e7",
            build: || levels(100_000_000, 10_000_001, 10_000_001),
            real_prover: false,
        },
        Cheat {
            name: "order-left-out",
            tries: "value the book without the 300 BTC short order the venue was sent",
            stopped_by: "arith/row",
            at: "order: kind = perp + 2 call + 3 put",
            build: || {
                let order = position(Kind::Perp, 0, Side::Short, 300_000_000_000, 0, 0);
                let without = fixture_with(PROFILE, sample_book(PROFILE), 1_000_000, None);
                let with = fixture_with(PROFILE, sample_book(PROFILE), 1_000_000, Some(order));
                attempt_with(
                    &without.statement,
                    &without.witness,
                    Tamper::default(),
                    with.statement.to_instance(),
                )
            },
            real_prover: false,
        },
        Cheat {
            name: "order-with-another-underlying",
            tries: "value the BTC order the venue was sent as an ETH order",
            stopped_by: "arith/row",
            at: "order: record index = venue A B + underlying B + bucket",
            build: || {
                with_instance(|i, l| {
                    i[l.order_field(1)] = Fp::ONE;
                })
            },
            real_prover: false,
        },
        Cheat {
            name: "swapped-venue-tag",
            tries: "present the account's tag at venue 1 to venue 0",
            stopped_by: "copy: public input",
            at: "row",
            build: || {
                let f = honest();
                let mut instance = f.statement.to_instance();
                instance[InstanceLayout::new(PROFILE).account_tag()] =
                    account_tag(f.witness.sk, f.statement.venue_ids[1]);
                attempt_with(&f.statement, &f.witness, Tamper::default(), instance)
            },
            real_prover: false,
        },
        Cheat {
            name: "tag-of-another-venue",
            tries: "value the order with venue 1's rates while the tag is the one of venue 0 \
                    (an instance whose venue index and venue id disagree)",
            stopped_by: "arith/row",
            at: "venue id = venue_ids[venue index]",
            build: || {
                let f = honest();
                let mut statement = f.statement.clone();
                statement.venue_index = 1;
                let mut instance = statement.to_instance();
                instance[InstanceLayout::new(PROFILE).prover_venue_id()] =
                    Fp::from(f.statement.venue_ids[0]);
                attempt_with(&statement, &f.witness, Tamper::default(), instance)
            },
            real_prover: false,
        },
        Cheat {
            name: "insolvent-book",
            tries: "prove a book whose 300 BTC short order it cannot margin",
            stopped_by: "copy: constant",
            at: "equity >= requirement",
            build: || {
                let order = position(Kind::Perp, 0, Side::Short, 300_000_000_000, 0, 0);
                let f = fixture_with(PROFILE, sample_book(PROFILE), 1_000_000, Some(order));
                as_proven(&f)
            },
            real_prover: false,
        },
        Cheat {
            name: "one-uusd-short",
            tries: "a book whose equity is one uusd below its requirement",
            stopped_by: "copy: constant",
            at: "equity >= requirement",
            build: || {
                // 101010101010 e9 USDC at a 1% haircut is 99.999999 USD against a 0.1 BTC
                // order's 100 USD of margin.
                let book = Book {
                    balances: vec![vec![0, 0, 101_010_101_010], vec![]],
                    positions: vec![],
                };
                let order = position(Kind::Perp, 0, Side::Long, 100_000_000, 0, 0);
                let f = fixture_with(PROFILE, book, 1_000_000, Some(order));
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
