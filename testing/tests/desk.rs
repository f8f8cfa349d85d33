//! The desk profile (64 position slots per venue, `k = 16`) against MockProver: the cheapest
//! honest and dishonest subset. The corpus (`dishonest`, `mutation`, `agreement`) runs on the
//! small profile, whose constraint system is the same; each MockProver run of desk checks
//! 2^17 rows, so only what the desk shape adds is checked here: a full venue leaf of 64 slots,
//! each opening its row of a risk table of depth 12, is accepted; a position left out of its
//! last slot breaks the published root; the last slot opening another instrument's row is
//! refused at its root check; and lines one uusd over the headroom of that 256-slot book are
//! refused.

use halo2_proofs::dev::{MockProver, VerifyFailure};
use zkmargin_circuits::circuit::{Forged, MarginCircuit};
use zkmargin_circuits::forgery::{Forgery, Slot};
use zkmargin_circuits::margin::{evaluate, Kind, Position};
use zkmargin_circuits::profile::DESK;
use zkmargin_circuits::units::PPM;
use zkmargin_testing::fixtures::{fixture_with, sample_book, Fixture};

fn mock(f: &Fixture) -> Result<(), Vec<VerifyFailure>> {
    forged(f, vec![])
}

fn forged(f: &Fixture, plan: Vec<Forgery>) -> Result<(), Vec<VerifyFailure>> {
    let circuit = Forged {
        circuit: MarginCircuit::new(f.statement.clone(), f.witness.clone()),
        plan,
    };
    MockProver::run(DESK.k, &circuit, vec![f.statement.to_instance()])
        .expect("the desk circuit synthesises")
        .verify()
}

/// Whether MockProver reports a failed copy into a column of this kind (`Instance`, `Fixed`).
fn copy_into(failures: &[VerifyFailure], kind: &str) -> bool {
    failures.iter().any(|f| match f {
        VerifyFailure::Permutation { column, .. } => column.to_string().contains(kind),
        _ => false,
    })
}

#[test]
fn a_full_desk_book_is_accepted_and_its_cheats_are_not() {
    let book = sample_book(DESK);
    assert_eq!(book.positions[0].len(), DESK.positions, "a full venue leaf");
    assert!(book.positions[0].iter().all(|p| p.kind != Kind::Empty));

    // Honest: the whole headroom as the line of venue 0.
    let bare = fixture_with(DESK, book.clone(), PPM, &[]);
    let report = evaluate(&bare.snapshot.risk_params(), &book, None, PPM).unwrap();
    assert!(report.solvent && report.headroom > 0, "{report:?}");
    let headroom = report.headroom as u128;
    let honest = fixture_with(DESK, book.clone(), PPM, &[headroom]);
    if let Err(failures) = mock(&honest) {
        panic!("the honest desk book is refused: {failures:?}");
    }

    // The last slot's position left out of the leaf: the leaf, hence the root, is not the
    // published one (the root is copied from the instance).
    let mut dropped = honest.clone();
    dropped.witness.positions[0][DESK.positions - 1] = Position::EMPTY;
    let failures = mock(&dropped).expect_err("a dropped position is refused");
    assert!(copy_into(&failures, "Instance"), "{failures:?}");

    // The last slot opens the row of the first slot's instrument (another strike or kind, in
    // the option grid): the leaf hashed from the last slot's own key is under no root.
    let last = DESK.positions - 1;
    let rows = &honest.witness.risk_openings[0];
    assert_ne!(rows[0].row.key, rows[last].row.key);
    let plan = vec![Forgery::RiskOpening {
        slot: Slot::Leaf {
            venue: 0,
            slot: last,
        },
        opening: rows[0].clone(),
    }];
    let failures = forged(&honest, plan).expect_err("another instrument's row is refused");
    let at_the_root = |f: &VerifyFailure| {
        let text = f.to_string();
        text.contains(&format!("venue 0 slot {last}: a held instrument"))
    };
    assert!(failures.iter().any(at_the_root), "{failures:?}");

    // One uusd over the headroom: the difference's range check ends in a copy to the constant
    // zero, which fails.
    let over = fixture_with(DESK, book, PPM, &[headroom + 1]);
    let failures = mock(&over).expect_err("lines over the headroom are refused");
    assert!(copy_into(&failures, "Fixed"), "{failures:?}");
}
