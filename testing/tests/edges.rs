//! Soundness edges of the margin circuit, from an independent review (MockProver), beside the
//! corpus (`dishonest.rs`): what an empty slot opens in the risk table (nothing) and what a
//! held one must, one row per perpetual underlying, the claimed maximum at its edges, blended
//! selections, empty leaves, the price direction and every rounding at its edge (credit,
//! debit, minimum, contingency, requirement), the credit lines at the headroom, the venue
//! count, the nullifier and the commitments; and two scans of the layout itself (independent
//! of `inspect`): every instance row but the digest is copied into the circuit, and every
//! assigned advice cell is copied or read by an enabled gate or lookup.
//!
//! Run: `cargo test --release -p zkmargin-testing --test edges`.

use std::collections::{BTreeMap, BTreeSet};

use ff::{Field, PrimeField};
use halo2_proofs::circuit::{SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error, Fixed,
    FloorPlanner, Instance, Selector,
};
use zkmargin_circuits::circuit::{Forged, MarginCircuit};
use zkmargin_circuits::forgery::{Forgery, Quotient, Slot};
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::instance::{InstanceLayout, PublicStatement};
use zkmargin_circuits::margin::{self, Kind, Position, Side};
use zkmargin_circuits::portfolio::{InstrumentKey, RiskRow};
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::witness::{AccountWitness, LeafOpening, RiskOpening};
use zkmargin_testing::attribution::{failures, Failure};
use zkmargin_testing::corpus::Attempt;
use zkmargin_testing::fixtures::{fixture, fixture_with, position, sample_book, Fixture};

const P: zkmargin_circuits::profile::Profile = SMALL;
const BTC: usize = 0;
const LEVEL_1: u64 = 1_000_000;

// --- Harness. ---

fn run(
    statement: &PublicStatement,
    witness: &AccountWitness,
    plan: Vec<Forgery>,
    instance: Vec<Fp>,
) -> Vec<Failure> {
    let circuit = MarginCircuit::new(statement.clone(), witness.clone());
    failures(&Attempt {
        circuit: Forged { circuit, plan },
        instance,
    })
}

/// The fixture's statement and instance with another witness.
fn run_witness(f: &Fixture, w: &AccountWitness) -> Vec<Failure> {
    run(&f.statement, w, vec![], f.statement.to_instance())
}

fn run_fixture(f: &Fixture, plan: Vec<Forgery>) -> Vec<Failure> {
    run(&f.statement, &f.witness, plan, f.statement.to_instance())
}

fn show(found: &[Failure]) -> String {
    found
        .iter()
        .map(|f| format!("  {} in {} [{}]", f.item, f.region, f.part))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_accepted(found: &[Failure], what: &str) {
    assert!(found.is_empty(), "{what}: rejected:\n{}", show(found));
}

/// Rejected, and among the failures one is `item` in a region containing `at`.
fn assert_rejected_by(found: &[Failure], item: &str, at: &str, what: &str) {
    assert!(!found.is_empty(), "{what}: MockProver ACCEPTED");
    assert!(
        found.iter().any(|f| f.is(item, at)),
        "{what}: expected {item} at {at:?}, got:\n{}",
        show(found)
    );
}

// --- Controls. ---

#[test]
fn control_honest_sample_is_accepted() {
    assert_accepted(&run_fixture(&fixture(P), vec![]), "honest sample");
}

// --- Risk rows: what an empty slot opens, and the maximum's edges. ---

/// Venue 0's slot 2, empty in the sample book.
const EMPTY_SLOT: Slot = Slot::Leaf { venue: 0, slot: 2 };

/// A row nobody published, with a mark and scenario values near their bounds.
fn garbage_opening() -> RiskOpening {
    RiskOpening {
        row: RiskRow {
            key: InstrumentKey::perp(1),
            mark: (1 << 61) + 12_345,
            vector: std::array::from_fn(|s| if s % 2 == 0 { 1 << 61 } else { -(1 << 61) }),
        },
        index: 5,
        path: (0..P.risk_depth as u64).map(|i| Fp::from(77 + i)).collect(),
    }
}

/// An empty slot opens nothing: any row, under any root, is accepted there and moves no
/// figure (the lines at exactly the headroom still pass, one uusd more still fails).
#[test]
fn an_empty_slot_opens_nothing_whatever_its_row() {
    let h = sample_headroom();
    let plan = || {
        vec![Forgery::RiskOpening {
            slot: EMPTY_SLOT,
            opening: garbage_opening(),
        }]
    };
    let exact = fixture_with(P, sample_book(P), LEVEL_1, &[h, 0]);
    assert_eq!(exact.witness.positions[0][2], Position::EMPTY);
    assert_accepted(
        &run_fixture(&exact, plan()),
        "a garbage row in an empty slot",
    );
    let over = fixture_with(P, sample_book(P), LEVEL_1, &[h + 1, 0]);
    assert_rejected_by(
        &run_fixture(&over, plan()),
        "copy: constant",
        "equity >= requirement + lines",
        "one uusd over the headroom, with a garbage row in an empty slot",
    );
}

/// A held slot must open its row: the empty slot's opening (a row of zeros at index 0) in the
/// short call's slot is refused at the root check.
#[test]
fn a_held_slot_cannot_open_nothing() {
    let found = run_fixture(
        &fixture(P),
        vec![Forgery::RiskOpening {
            slot: Slot::Leaf { venue: 0, slot: 1 },
            opening: RiskOpening::empty(P.risk_depth),
        }],
    );
    assert_rejected_by(
        &found,
        "arith/row",
        "venue 0 slot 1: a held instrument's row is under the risk root",
        "a short call opening nothing",
    );
}

/// A perpetual is one instrument per underlying: two BTC perpetuals at different entries, at
/// two venues, open the same row and net in BTC's sums.
#[test]
fn perpetuals_at_any_entry_open_their_underlyings_one_row() {
    let mut book = sample_book(P);
    book.positions[1].push(position(
        Kind::Perp,
        BTC,
        Side::Short,
        250_000_000,
        104_000 * 100_000_000,
        0,
    ));
    let f = fixture_with(P, book, LEVEL_1, &[]);
    let rows = &f.witness.risk_openings;
    assert_eq!(rows[0][0], rows[1][2], "one row for both perpetuals");
    assert_accepted(&run_fixture(&f, vec![]), "two BTC perpetuals");
}

/// The claimed maximum `m` of an underlying nobody trades (USDC) is 0: a "negative" claim (a
/// field element near `p`) is refused, a larger one only raises the prover's own requirement.
#[test]
fn the_maximum_of_an_untouched_underlying_is_zero_or_more() {
    let f = fixture(P);
    let claim = |value: Fp| {
        vec![Forgery::Cell {
            region: "asset 2: max(scan, som)".into(),
            value,
        }]
    };
    assert_rejected_by(
        &run_fixture(&f, claim(-Fp::ONE)),
        "copy: constant",
        "asset 2: m covers som",
        "m = -1",
    );
    assert_accepted(
        &run_fixture(&f, claim(Fp::from(5))),
        "m = 5 uusd, over-claimed",
    );
    // With the lines at exactly the headroom, the over-claim fails the prover itself.
    let h = sample_headroom();
    let exact = fixture_with(P, sample_book(P), LEVEL_1, &[h, 0]);
    assert_rejected_by(
        &run_fixture(&exact, claim(Fp::ONE)),
        "copy: constant",
        "equity >= requirement + lines",
        "m over-claimed by 1 at the exact headroom",
    );
}

/// `1e15 m >= T` for an integer `m` is `m >= ceil(T / 1e15)`: the honest maximum of BTC (its
/// worst scenario's ceiling) passes and one less fails at that scenario only.
#[test]
fn the_maximum_is_the_worst_scenarios_ceiling() {
    let f = fixture(P);
    let btc = margin::portfolio_margin(&f.statement.params, &f.witness.positions.concat()).unwrap()
        [BTC]
        .clone();
    assert!(btc.scan > btc.som);
    let worst = btc.worst_scenario;
    assert_eq!(btc.scan as i128, btc.losses[worst].ceil_uusd());
    let found = run_fixture(
        &f,
        vec![Forgery::Cell {
            region: "asset 0: max(scan, som)".into(),
            value: Fp::from_u128(btc.scan - 1),
        }],
    );
    let covers: Vec<&Failure> = found
        .iter()
        .filter(|x| x.region.contains("m covers scenario"))
        .collect();
    assert!(!covers.is_empty(), "{}", show(&found));
    for x in covers {
        let s: usize = x.region["asset 0: m covers scenario ".len()..]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            btc.losses[s].ceil_uusd(),
            btc.scan as i128,
            "scenario {s} refuses m - 1 but is not a worst one"
        );
    }
}

// --- One-hot selection. ---

#[test]
fn selection_weights_two_and_minus_one_are_refused() {
    // 2 r_a - r_b sums to one "choice" and is an affine mix nobody published.
    let found = run_fixture(
        &fixture(P),
        vec![Forgery::SelectWeights {
            slot: Slot::Leaf { venue: 0, slot: 0 },
            weights: [(0, Fp::from(2)), (1, -Fp::ONE)],
        }],
    );
    assert_rejected_by(
        &found,
        "select/choice is boolean",
        "venue 0 slot 0: underlying",
        "weights 2, -1",
    );
}

#[test]
fn selection_of_two_records_is_refused() {
    let found = run_fixture(
        &fixture(P),
        vec![Forgery::SelectWeights {
            slot: Slot::Leaf { venue: 0, slot: 0 },
            weights: [(0, Fp::ONE), (2, Fp::ONE)],
        }],
    );
    assert_rejected_by(
        &found,
        "select/count",
        "venue 0 slot 0: underlying",
        "two records",
    );
}

// --- Empty leaves. ---

/// A book with nothing at venue 1 (its tree holds 0 at the prover's index).
fn no_venue_1() -> Fixture {
    let mut book = sample_book(P);
    book.positions.truncate(1);
    fixture_with(P, book, LEVEL_1, &[])
}

#[test]
fn a_position_at_a_venue_whose_leaf_is_zero_is_refused() {
    let f = no_venue_1();
    assert!(!f.witness.venue_openings[1].present);
    assert_accepted(&run_fixture(&f, vec![]), "control: venue 1 empty");
    // A long BTC perp entered at 50000 (a large gain), claimed at venue 1 whose leaf is 0.
    let mut w = f.witness.clone();
    w.positions[1][0] = position(
        Kind::Perp,
        BTC,
        Side::Long,
        10_000_000_000,
        50_000 * 100_000_000,
        0,
    );
    // With its own row (the BTC perpetual's, which venue 0 holds too).
    w.risk_openings[1][0] = w.risk_openings[0][0].clone();
    let found = run_witness(&f, &w);
    assert_rejected_by(
        &found,
        "arith/row",
        "venue 1 slot 0: kind is zero unless present",
        "perp where the leaf is 0",
    );
    // It is the only thing that objects.
    assert!(
        found
            .iter()
            .all(|x| x.region.contains("kind is zero unless present")),
        "{}",
        show(&found)
    );
}

#[test]
fn collateral_at_a_chain_whose_leaf_is_zero_is_refused() {
    let mut book = sample_book(P);
    book.balances[1] = vec![0, 0, 0];
    let f = fixture_with(P, book, LEVEL_1, &[]);
    assert!(!f.witness.chain_openings[1].present);
    assert_accepted(&run_fixture(&f, vec![]), "control: chain 1 empty");
    let mut w = f.witness.clone();
    w.balances[1][0] = 1_000_000_000;
    let found = run_witness(&f, &w);
    assert_rejected_by(
        &found,
        "arith/row",
        "chain 1: amount 0 is zero unless present",
        "BTC where the leaf is 0",
    );
}

#[test]
fn claiming_present_where_the_leaf_is_zero_is_refused() {
    // present = 1 at an empty venue: the leaf H(4, key, ..) is not 0, the root differs.
    let f = no_venue_1();
    let mut w = f.witness.clone();
    w.venue_openings[1].present = true;
    w.positions[1][0] = position(
        Kind::Perp,
        BTC,
        Side::Long,
        10_000_000_000,
        50_000 * 100_000_000,
        0,
    );
    let found = run_witness(&f, &w);
    assert!(
        found.iter().any(|x| x.item == "copy: public input"),
        "{}",
        show(&found)
    );
}

// --- Direction and rounding edges. ---

#[test]
fn flipped_direction_on_a_losing_short_perp_is_refused() {
    // Venue 1 slot 0: short ETH entered at 3000, price 3200: a loss. Flipping the direction
    // would book it as a gain.
    let found = run_fixture(
        &fixture(P),
        vec![Forgery::FlippedDirection {
            slot: Slot::Leaf { venue: 1, slot: 0 },
        }],
    );
    assert_rejected_by(
        &found,
        "lookup: range table",
        "venue 1 slot 0: |P - price| < 2^48",
        "flipped direction",
    );
}

#[test]
fn at_the_money_direction_is_free_but_harmless() {
    // At P = entry the direction bit is not unique (|d| = 0 satisfies both signs); pnl and
    // intrinsic are 0 either way, so this changes no term. Documented, not a bug.
    let mut book = sample_book(P);
    book.positions[0][0].price = 100_000 * 100_000_000; // BTC perp entered at the price
    let f = fixture_with(P, book, LEVEL_1, &[]);
    for flip in [false, true] {
        let found = run_fixture(
            &f,
            if flip {
                vec![Forgery::FlippedDirection {
                    slot: Slot::Leaf { venue: 0, slot: 0 },
                }]
            } else {
                vec![]
            },
        );
        assert_accepted(&found, &format!("at the money, flip {flip}"));
    }
}

#[test]
fn every_rounding_in_the_provers_favour_is_refused() {
    let f = fixture(P);
    let slot = |venue, slot| Slot::Leaf { venue, slot };
    // (what, quotient, delta, the failing item, its region). A remainder of a multiple of 10
    // bits ends in a copy to the constant 0 (`copy: constant`), any other in the lookup.
    let cases: [(&str, Quotient, i64, &str, &str); 8] = [
        (
            "collateral +1",
            Quotient::Collateral { chain: 1, asset: 2 },
            1,
            "lookup: range table",
            "chain 1: asset 2: collateral: remainder",
        ),
        (
            "perpetual profit +1",
            Quotient::Credit(slot(0, 0)),
            1,
            "copy: constant",
            "venue 0 slot 0: credit: remainder",
        ),
        (
            "long option mark +1",
            Quotient::Credit(slot(1, 1)),
            1,
            "copy: constant",
            "venue 1 slot 1: credit: remainder",
        ),
        (
            "perpetual loss -1",
            Quotient::Debit(slot(1, 0)),
            -1,
            "copy: constant",
            "venue 1 slot 0: debit: remainder",
        ),
        (
            "short option mark -1",
            Quotient::Debit(slot(0, 1)),
            -1,
            "copy: constant",
            "venue 0 slot 1: debit: remainder",
        ),
        (
            "minimum -1",
            Quotient::Minimum { asset: BTC },
            -1,
            "lookup: range table",
            "asset 0: som: remainder",
        ),
        (
            "contingency -1",
            Quotient::Contingency { asset: 1 },
            -1,
            "lookup: range table",
            "asset 1: contingency: remainder",
        ),
        (
            "requirement -1",
            Quotient::Requirement,
            -1,
            "copy: constant",
            "requirement: remainder",
        ),
    ];
    for (what, of, delta, item, at) in cases {
        let found = run_fixture(&f, vec![Forgery::Quotient { of, delta }]);
        assert_rejected_by(&found, item, at, what);
    }
}

// --- Credit lines. ---
//
// `the_order_margin_is_counted` is gone with the order: its certificate equivalent is below
// (an order is now a line of its charge, which is counted like any line).

/// The sample book's headroom at level 1, by the reference engine.
fn sample_headroom() -> u128 {
    let f = fixture_with(P, sample_book(P), LEVEL_1, &[]);
    let report = margin::evaluate(&f.snapshot.risk_params(), &f.book, None, LEVEL_1).unwrap();
    assert!(report.headroom > 0, "the sample book is solvent");
    report.headroom as u128
}

#[test]
fn the_lines_are_counted() {
    // Lines that take exactly the headroom pass; one uusd more fails, and only at the
    // certification check (so every line is in the sum, and nothing else objects).
    let h = sample_headroom();
    let splits: [(&str, [u128; 2]); 3] = [
        ("all at venue 0", [h, 0]),
        ("all at venue 1", [0, h]),
        ("split", [h - h / 3, h / 3]),
    ];
    for (what, lines) in splits {
        let f = fixture_with(P, sample_book(P), LEVEL_1, &lines);
        let report = margin::evaluate(&f.snapshot.risk_params(), &f.book, None, LEVEL_1).unwrap();
        assert_eq!(margin::lines_fit(&report, &lines), Ok(0), "{what}");
        assert_accepted(
            &run_fixture(&f, vec![]),
            &format!("{what}: exactly the headroom"),
        );
        for v in 0..2 {
            let mut over = lines;
            over[v] += 1;
            let g = fixture_with(P, sample_book(P), LEVEL_1, &over);
            assert_eq!(
                margin::lines_fit(&report, &over),
                Err(margin::LinesError::OverHeadroom { by: 1 })
            );
            let what = format!("{what}: one uusd more at venue {v}");
            let found = run_fixture(&g, vec![]);
            assert_rejected_by(
                &found,
                "copy: constant",
                "equity >= requirement + lines",
                &what,
            );
            // The copy to the constant 0 is reported at both ends: in the check's region and
            // at the fixed constant cell, which the floor planner assigns outside any region.
            let at_the_check = |x: &Failure| {
                x.region.contains("equity >= requirement + lines")
                    || (x.item == "copy: constant" && x.region.starts_with("row "))
            };
            let elsewhere: Vec<Failure> =
                found.iter().filter(|x| !at_the_check(x)).cloned().collect();
            assert!(
                elsewhere.is_empty(),
                "{what}: something else objects:\n{}",
                show(&elsewhere)
            );
        }
    }
}

// A line that wraps the field (p - 2^100 beside 2^100 + 10) is the corpus's
// `lines-wrapping-the-field`.

/// The sample network with one venue listed: the book has nothing at venue 1 and the snapshot
/// lists only venue 0, so slot 1 is padding (id 0, the empty root, a zero line with tag 0).
fn one_venue(line: u128) -> Fixture {
    let mut f = no_venue_1();
    f.snapshot.venues.truncate(1);
    f.snapshot.venue_roots.truncate(1);
    f.snapshot.perp_mmr_ppm.truncate(1);
    f.venue_trees.truncate(1);
    f.witness.venue_openings[1] = LeafOpening::empty(P.depth);
    f.witness.lines[0].allowance = line;
    f.statement = PublicStatement::certifying(&f.snapshot, &f.witness, LEVEL_1);
    assert_eq!(f.statement.venue_count, 1);
    f
}

#[test]
fn a_line_on_a_padding_venue_slot_is_refused() {
    let f = one_venue(1_000_000);
    assert_accepted(&run_fixture(&f, vec![]), "control: one venue listed");
    // A line of 1 USD on padding slot 1, committed with the padding tag 0 (what
    // `AccountWitness::commitments` computes past the listed venues).
    let mut w = f.witness.clone();
    w.lines[1].allowance = 1_000_000;
    let mut statement = f.statement.clone();
    statement.commitments = w.commitments(&statement.venue_ids, statement.venue_count);
    let found = run(&statement, &w, vec![], statement.to_instance());
    assert_rejected_by(
        &found,
        "arith/row",
        "line 1: zero unless listed",
        "a line on a padding slot",
    );
    // Listing the padding slot too (its tag then H(2, sk, 0)) breaks the count.
    let found = run(
        &f.statement,
        &f.witness,
        vec![Forgery::Listed {
            venue: 1,
            value: Fp::ONE,
        }],
        f.statement.to_instance(),
    );
    assert_rejected_by(
        &found,
        "arith/row",
        "listed venues = venue count",
        "padding slot listed",
    );
}

// --- Instance binding, checked on the layout itself (independent of `inspect`). ---

/// Records what a synthesis assigns and copies.
#[derive(Default)]
struct Recorder {
    instance: Vec<Fp>,
    region: Vec<String>,
    current: String,
    /// (column, row) -> (region, annotation).
    advice: BTreeMap<(usize, usize), (String, String)>,
    fixed: BTreeMap<(usize, usize), Fp>,
    /// (selector index, row).
    selectors: BTreeSet<(usize, usize)>,
    /// Cells touched by a copy: (kind, column, row).
    copied: BTreeSet<(u8, usize, usize)>,
}

fn kind(column: &Column<Any>) -> u8 {
    match column.column_type() {
        Any::Advice => b'A',
        Any::Fixed => b'F',
        Any::Instance => b'I',
    }
}

/// `Column::index` is private in halo2_proofs 0.4: read it from the debug form.
fn col<C: std::fmt::Debug>(column: &C) -> usize {
    let text = format!("{column:?}");
    let at = text
        .find("index: ")
        .expect("a column's debug form names its index")
        + 7;
    text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn selector_index(selector: &Selector) -> usize {
    let text = format!("{selector:?}");
    text.trim_start_matches("Selector(")
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn value_of<V: Into<Assigned<Fp>>>(v: Value<V>) -> Option<Fp> {
    let mut out = None;
    v.map(|x| out = Some(x.into().evaluate()));
    out
}

impl Assignment<Fp> for Recorder {
    fn enter_region<NR: Into<String>, N: FnOnce() -> NR>(&mut self, name: N) {
        self.current = name().into();
    }
    fn exit_region(&mut self) {}
    fn enable_selector<A, AR>(&mut self, _: A, selector: &Selector, row: usize) -> Result<(), Error>
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        self.selectors.insert((selector_index(selector), row));
        Ok(())
    }
    fn query_instance(&self, _: Column<Instance>, row: usize) -> Result<Value<Fp>, Error> {
        Ok(Value::known(
            self.instance.get(row).copied().unwrap_or(Fp::ZERO),
        ))
    }
    fn assign_advice<V, VR, A, AR>(
        &mut self,
        annotation: A,
        column: Column<Advice>,
        row: usize,
        _: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        let name = format!("{}/{}", self.region.join("/"), self.current);
        self.advice
            .insert((col(&column), row), (name, annotation().into()));
        Ok(())
    }
    fn assign_fixed<V, VR, A, AR>(
        &mut self,
        _: A,
        column: Column<Fixed>,
        row: usize,
        to: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        if let Some(v) = value_of(to()) {
            self.fixed.insert((col(&column), row), v);
        }
        Ok(())
    }
    fn copy(
        &mut self,
        lc: Column<Any>,
        lr: usize,
        rc: Column<Any>,
        rr: usize,
    ) -> Result<(), Error> {
        self.copied.insert((kind(&lc), col(&lc), lr));
        self.copied.insert((kind(&rc), col(&rc), rr));
        Ok(())
    }
    fn fill_from_row(
        &mut self,
        _: Column<Fixed>,
        _: usize,
        _: Value<Assigned<Fp>>,
    ) -> Result<(), Error> {
        Ok(())
    }
    fn push_namespace<NR: Into<String>, N: FnOnce() -> NR>(&mut self, name: N) {
        self.region.push(name().into());
    }
    fn pop_namespace(&mut self, _: Option<String>) {
        self.region.pop();
    }
}

fn record_layout() -> (Recorder, Fixture) {
    let f = fixture(P);
    let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = MarginCircuit::configure(&mut cs);
    let constants = vec![config.constants()];
    let mut rec = Recorder {
        instance: f.statement.to_instance(),
        ..Default::default()
    };
    SimpleFloorPlanner::synthesize(&mut rec, &circuit, config, constants).unwrap();
    (rec, f)
}

#[test]
fn every_instance_row_but_the_digest_is_copied() {
    let (rec, f) = record_layout();
    let n = InstanceLayout::new(P).len();
    assert_eq!(f.statement.to_instance().len(), n);
    let free: Vec<usize> = (0..n)
        .filter(|r| !rec.copied.contains(&(b'I', 0, *r)))
        .collect();
    // Rows 1, 2 (the digest) enter no constraint: bound only by the transcript. The epoch
    // (row 0) is copied since the certificate: the nullifier hashes it.
    assert_eq!(
        free,
        vec![InstanceLayout::DIGEST_LO, InstanceLayout::DIGEST_HI]
    );
    // And nothing beyond the layout is copied.
    assert!(rec.copied.iter().all(|(k, _, r)| *k != b'I' || *r < n));
}

/// Advice cells neither copied nor read by an enabled gate or lookup (with a nonzero arith
/// coefficient). Selector indices follow creation order (docs/CIRCUIT.md, S0..S8): 0 q_full,
/// 1 q_partial, 2 q_absorb (Poseidon: state A5..A7, S-box cells A8..A14), 3 arith, 4 merkle,
/// 5 select, 6 q_word, 7 q_short, 8 q_shift (range: A4). Fixed columns: F8..F13 are the arith
/// coefficients k_m, k_a, k_b, k_c, k_d, k_0.
#[test]
fn every_assigned_advice_cell_is_copied_or_constrained() {
    let (rec, _) = record_layout();
    let mut covered: BTreeSet<(usize, usize)> = BTreeSet::new();
    let k = |col: usize, row: usize| {
        rec.fixed.get(&(col, row)).copied().unwrap_or(Fp::ZERO) != Fp::ZERO
    };
    for &(s, row) in &rec.selectors {
        let prev = row.wrapping_sub(1);
        match s {
            0..=2 => {
                for c in 5..8 {
                    covered.insert((c, row));
                    covered.insert((c, row + 1));
                }
                // The S-box cells each gate reads: squares (full), squares and S-box inputs
                // (partial), the two message cells (absorb).
                let aux = [3, 7, 2][s];
                for c in 8..8 + aux {
                    covered.insert((c, row));
                }
            }
            3 => {
                let (km, ka, kb, kc, kd) =
                    (k(8, row), k(9, row), k(10, row), k(11, row), k(12, row));
                if km || ka {
                    covered.insert((0, row));
                }
                if km || kb {
                    covered.insert((1, row));
                }
                if kc {
                    covered.insert((2, row));
                }
                if kd {
                    covered.insert((3, row));
                }
            }
            4 => {
                for c in 0..4 {
                    covered.insert((c, row));
                }
                covered.insert((0, row + 1));
            }
            5 => {
                for c in 0..4 {
                    covered.insert((c, row));
                }
                covered.insert((2, row + 1));
                covered.insert((3, row + 1));
            }
            6 => {
                covered.insert((4, row));
                covered.insert((4, row + 1));
            }
            7 => {
                covered.insert((4, row));
            }
            8 => {
                covered.insert((4, prev));
                covered.insert((4, row));
            }
            other => panic!("unexpected selector {other}"),
        }
    }
    // The scan is not vacuous: thousands of cells, and many (the `witness` rows, whose
    // coefficients are all zero) are held by copies alone.
    assert!(
        rec.advice.len() > 10_000,
        "{} advice cells",
        rec.advice.len()
    );
    let copy_only = rec
        .advice
        .iter()
        .filter(|((c, r), (_, ann))| ann != "unused" && !covered.contains(&(*c, *r)))
        .count();
    assert!(copy_only > 100, "{copy_only} cells held by copies alone");
    let loose: Vec<String> = rec
        .advice
        .iter()
        .filter(|((c, r), (_, ann))| {
            ann != "unused" && !covered.contains(&(*c, *r)) && !rec.copied.contains(&(b'A', *c, *r))
        })
        .map(|((c, r), (region, ann))| format!("A{c}@{r} {ann:?} in {region}"))
        .collect();
    assert!(
        loose.is_empty(),
        "{} loose advice cells:\n{}",
        loose.len(),
        loose.join("\n")
    );
}

// --- Instance rows beyond the profile. ---
//
// An order on an unlisted (padding) asset and a venue index that disagrees with the tag's venue
// id were accepted by an earlier per-order circuit; the order, the venue index and the tag have
// left the instance (`order_underlying_outside_the_profile_is_refused` and
// `venue_index_outside_the_profile_is_refused` went with them). Their successors are the venue
// count, the nullifier and the commitments below, and the corpus's `the_lines_and_the_nullifier`.

/// The venue count must be the number of listed slots: 0 and `V + 1` (both within the count's
/// `2V` range) fail `listed venues = venue count`, whatever the listed flags (the honest ones,
/// or every slot listed for `V + 1`), and `2V` fails the count's own range check.
#[test]
fn venue_count_outside_the_snapshot_is_refused() {
    let f = fixture(P);
    let layout = InstanceLayout::new(P);
    assert_eq!(f.statement.venue_count, P.venues);
    for count in [0, P.venues as u64 + 1] {
        let mut instance = f.statement.to_instance();
        instance[layout.venue_count()] = Fp::from(count);
        let found = run(&f.statement, &f.witness, vec![], instance.clone());
        assert_rejected_by(
            &found,
            "arith/row",
            "listed venues = venue count",
            &format!("venue count {count}"),
        );
        // No choice of (boolean, ordered) flags reaches V + 1 or, with the real commitments, 0.
        let all_listed = (0..P.venues)
            .map(|venue| Forgery::Listed {
                venue,
                value: Fp::from(u64::from(count > 0)),
            })
            .collect();
        let found = run(&f.statement, &f.witness, all_listed, instance);
        assert!(
            !found.is_empty(),
            "venue count {count}, flags forged: ACCEPTED"
        );
    }
    let mut instance = f.statement.to_instance();
    instance[layout.venue_count()] = Fp::from(2 * P.venues as u64);
    let found = run(&f.statement, &f.witness, vec![], instance);
    assert_rejected_by(
        &found,
        "lookup: range table",
        "venue count",
        "venue count 2V",
    );
}

/// The nullifier, every commitment and the epoch (which the nullifier hashes) are bound: one
/// of them changed in the instance, with the honest witness, is refused by a copy to it.
#[test]
fn nullifier_commitment_and_epoch_rows_are_bound() {
    let f = fixture(P);
    let layout = InstanceLayout::new(P);
    let mut rows = vec![
        ("nullifier", layout.nullifier()),
        ("epoch", InstanceLayout::EPOCH),
    ];
    for v in 0..P.venues {
        rows.push(("commitment", layout.commitment(v)));
    }
    for (what, row) in rows {
        let mut instance = f.statement.to_instance();
        instance[row] += Fp::ONE;
        let found = run(&f.statement, &f.witness, vec![], instance);
        assert_rejected_by(
            &found,
            "copy: public input",
            "",
            &format!("{what} (row {row}) + 1"),
        );
    }
}

/// The asset count must be in `[1, A]`: 0 (its `count - 1` wraps to `p - 1`) and `A + 1` fail
/// `last asset < A`, and a count below an asset the book holds fails that slot's
/// `underlying < asset count`.
#[test]
fn asset_count_outside_1_to_a_is_refused() {
    let f = fixture(P);
    let layout = InstanceLayout::new(P);
    for count in [0, P.assets as u64 + 1] {
        let mut instance = f.statement.to_instance();
        instance[layout.asset_count()] = Fp::from(count);
        let found = run(&f.statement, &f.witness, vec![], instance);
        assert_rejected_by(
            &found,
            "lookup: range table",
            "last asset < A",
            &format!("asset count {count}"),
        );
    }
    // One asset listed while the book holds ETH (asset 1) at venue 1.
    let mut instance = f.statement.to_instance();
    instance[layout.asset_count()] = Fp::from(1);
    let found = run(&f.statement, &f.witness, vec![], instance);
    assert_rejected_by(
        &found,
        "lookup: range table",
        "venue 1 slot 0: underlying < asset count",
        "asset count 1",
    );
}

#[test]
fn digest_halves_are_canonical_128_bit() {
    let f = fixture(P);
    let i = f.statement.to_instance();
    for row in [InstanceLayout::DIGEST_LO, InstanceLayout::DIGEST_HI] {
        assert!(i[row].to_repr()[16..].iter().all(|b| *b == 0));
    }
}

// A short perpetual on a padding asset published by a colluding venue is the corpus's
// `position-on-an-unlisted-asset`.
