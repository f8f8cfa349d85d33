//! The mutation check: every named constraint of the circuit stops at least one cheat of the
//! corpus that gets through without it, so none is dead weight and none is untested.
//!
//! Two ways, which must agree:
//! - attribution: MockProver reports every failing constraint of a witness independently, so
//!   a cheat whose failures all belong to one constraint is accepted by the circuit without
//!   that constraint. This covers every gate constraint but the exempt ones, and the lookup;
//! - switching off (`zkmargin-circuits`' feature `testing`, which this crate turns on): the
//!   constraint is really removed from the constraint system (multiplied by zero in
//!   `configure`), and MockProver accepts the cheat. This covers every constraint of the arith,
//!   Merkle and select chips (`zkmargin_circuits::mutation::SWITCHES`).
//!
//! Exempt, with the reason asserted below: the Poseidon chip's constraints (`full round/*`,
//! `partial rounds/*`, `absorb/*`) and the short range check's `short/shift`: those chips
//! compute the cells these constraints bind themselves, so no witness a prover can choose
//! through their API breaks one alone; instead the chips' own MockProver tests alter each such
//! cell of an honest assignment and see that very constraint refuse it
//! (`cargo test -p zkmargin-circuits --lib chips::`). Every exempt name must be a constraint of
//! the circuit.
//!
//! `merkle swap/bit is boolean` was exempt in version 2 (the account's index bits are also
//! constrained boolean by `arith/row`, "index bit i is boolean"). Since version 3 each slot's
//! risk-table path has index bits of its own that only the Merkle gate keeps boolean, and
//! without it a made-up row opens under the published root
//! (`row-opened-with-an-index-bit-of-no-bit`).

use std::collections::{BTreeMap, BTreeSet};

use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use zkmargin_audit::inspect::describe;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::mutation::{with_off, SWITCHES};
use zkmargin_testing::attribution::failures;
use zkmargin_testing::corpus::{cheat, corpus, honest_attempt, Attempt, PROFILE};

/// Why the Poseidon chip's constraints are exempt.
const POSEIDON: &str = "the Poseidon chip computes these cells itself; its own MockProver tests \
                        alter each (cargo test -p zkmargin-circuits --lib chips::poseidon)";

/// Constraints no corpus cheat can isolate, and why (see the module doc).
const EXEMPT: &[(&str, &str)] = &[
    ("full round/square 0", POSEIDON),
    ("full round/square 1", POSEIDON),
    ("full round/square 2", POSEIDON),
    ("full round/output 0", POSEIDON),
    ("full round/output 1", POSEIDON),
    ("full round/output 2", POSEIDON),
    ("partial rounds/square 1", POSEIDON),
    ("partial rounds/square 2", POSEIDON),
    ("partial rounds/square 3", POSEIDON),
    ("partial rounds/square 4", POSEIDON),
    ("partial rounds/S-box input 2", POSEIDON),
    ("partial rounds/S-box input 3", POSEIDON),
    ("partial rounds/S-box input 4", POSEIDON),
    ("partial rounds/output 0", POSEIDON),
    ("partial rounds/output 1", POSEIDON),
    ("partial rounds/output 2", POSEIDON),
    ("absorb/rate 0", POSEIDON),
    ("absorb/rate 1", POSEIDON),
    ("absorb/capacity", POSEIDON),
    (
        "short/shift",
        "the range-check chip computes the shifted top itself; its own MockProver test alters it \
         (cargo test -p zkmargin-circuits --lib chips::range)",
    ),
];

/// For each named constraint and the lookup, the cheats whose every failure is that item.
fn attribution() -> BTreeMap<String, Vec<&'static str>> {
    let cheats = corpus();
    let results: Vec<(&'static str, BTreeSet<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cheats
            .chunks(cheats.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| {
                            let items = failures(&(c.build)()).into_iter().map(|f| f.item);
                            (c.name, items.collect())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a corpus thread"))
            .collect()
    });
    let mut only: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for (name, items) in results {
        assert!(!items.is_empty(), "{name} is accepted by the full circuit");
        if items.len() == 1 {
            let item = items.into_iter().next().unwrap_or_default();
            only.entry(item).or_default().push(name);
        }
    }
    only
}

fn accepted(attempt: &Attempt) -> bool {
    MockProver::run(PROFILE.k, &attempt.circuit, vec![attempt.instance.clone()])
        .expect("synthesis")
        .verify()
        .is_ok()
}

#[test]
fn every_named_constraint_and_the_lookup_stop_a_cheat_alone() {
    let report = describe(PROFILE).unwrap();
    // No stale exemption: each names a constraint the circuit has, and none is switchable
    // (a switch would let the check remove it for real).
    let items = report.item_names();
    for (item, why) in EXEMPT {
        assert!(
            items.iter().any(|i| i == item),
            "{item} is exempt ({why}) but is no constraint of the circuit"
        );
        assert!(
            !SWITCHES.contains(item),
            "{item} has a switch: take it off the exempt list"
        );
    }
    let only = attribution();
    let mut checked = vec![];
    for gate in &report.gates {
        for c in &gate.constraints {
            let item = gate.qualified(c);
            let through = only.get(&item);
            match EXEMPT.iter().find(|(e, _)| *e == item) {
                Some((_, why)) => assert!(
                    through.is_none(),
                    "{item} is exempt ({why}) but stops {through:?} alone: take it off the list"
                ),
                None => {
                    assert!(
                        through.is_some_and(|t| !t.is_empty()),
                        "without {item} no cheat of the corpus gets through: dead weight, \
                         or a missing cheat"
                    );
                    checked.push((item, through.cloned().unwrap_or_default()));
                }
            }
        }
    }
    for lookup in &report.lookups {
        let item = format!("lookup: {}", lookup.name);
        assert!(
            only.get(&item).is_some_and(|t| !t.is_empty()),
            "without {item} no cheat gets through"
        );
        checked.push((item.clone(), only[&item].clone()));
    }
    // The copy constraints that bind public inputs and constants also stop cheats alone.
    for item in ["copy: public input", "copy: constant"] {
        assert!(only.get(item).is_some_and(|t| !t.is_empty()), "{item}");
        checked.push((item.to_string(), only[item].clone()));
    }
    for (item, cheats) in &checked {
        println!("without {item:<28} through: {}", cheats.join(", "));
    }
}

/// The switches: each constraint really removed, and the cheat attributed to it accepted.
const SWITCHED: &[(&str, &str)] = &[
    ("arith/row", "kind-outside-0-to-3"),
    (
        "merkle swap/bit is boolean",
        "row-opened-with-an-index-bit-of-no-bit",
    ),
    ("merkle swap/left", "empty-neighbour-opened-in-one-tree"),
    ("merkle swap/right", "forged-merkle-node"),
    ("select/choice is boolean", "blended-underlying"),
    ("select/accumulate", "forged-keyed-price"),
    ("select/count", "no-underlying"),
];

#[test]
fn switching_a_constraint_off_lets_its_cheat_through() {
    for (switch, name) in SWITCHED {
        let attempt = (cheat(name).unwrap().build)();
        assert!(!accepted(&attempt), "{name} passes the full circuit");
        let through = with_off(&[switch], || accepted(&attempt));
        assert!(through, "with {switch} off, {name} is still rejected");
        // Switching off only that one: every other switch's cheat still fails.
        for (other, other_name) in SWITCHED.iter().filter(|(s, _)| s != switch) {
            let other_attempt = (cheat(other_name).unwrap().build)();
            assert!(
                !with_off(&[switch], || accepted(&other_attempt)),
                "with {switch} off, {other_name} (stopped by {other}) gets through"
            );
        }
    }
    for switch in SWITCHES {
        assert!(
            SWITCHED.iter().any(|(s, _)| *s == switch),
            "{switch} has no cheat in SWITCHED"
        );
    }
}

#[test]
fn the_account_index_bits_are_checked_twice_and_the_risk_index_bits_once() {
    // The account's index bits are also checked by arith rows ("index bit i is boolean"): with
    // the Merkle gate's check off, a non-boolean account bit is still refused. A risk-table
    // path's bits have only the Merkle gate (the switch test above lets a made-up row through).
    let attempt = (cheat("non-boolean-index-bit").unwrap().build)();
    assert!(!with_off(&["merkle swap/bit is boolean"], || accepted(
        &attempt
    )));
    let found = failures(&attempt);
    assert!(found
        .iter()
        .any(|f| f.is("arith/row", "index bit 0 is boolean")));
}

#[test]
fn switches_change_nothing_until_set() {
    let pinned = |cs: ConstraintSystem<Fp>| format!("{:?}", cs.pinned());
    let configure = || {
        let mut cs = ConstraintSystem::<Fp>::default();
        MarginCircuit::configure(&mut cs);
        cs
    };
    let default = pinned(configure());
    assert_eq!(with_off(&[], || pinned(configure())), default);
    for switch in SWITCHES {
        assert_ne!(
            with_off(&[switch], || pinned(configure())),
            default,
            "{switch}"
        );
    }
    // The honest proof still passes with any one switch off (a switch only removes).
    assert!(with_off(&["select/count"], || accepted(&honest_attempt())));
}
