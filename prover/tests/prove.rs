//! `zkmargin_prover::prove` gives the whole answer: the envelope, the statement a venue
//! rebuilds, the margin report the engine computes and the account tag, and the proof passes
//! the venue's check (decoded once, verified with the verifier's own keys).

use rand::rngs::StdRng;
use rand::SeedableRng;
use zkmargin_circuits::hash::account_tag;
use zkmargin_circuits::margin::{self, Order, Position};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::network::read_network;
use zkmargin_formats::position::parse_order;
use zkmargin_prover::network::build;
use zkmargin_prover::{prove, ProveError, Proved};
use zkmargin_verifier::{Envelope, Expectation, VerifierKeys};

const EXAMPLE: &str = include_str!("../../examples/network.json");

/// The example network on the smallest profile it fits, with fixed draws.
fn example() -> (Snapshot, Vec<Account>) {
    let network = read_network(EXAMPLE, "examples/network.json").unwrap();
    build(&network, None, &mut StdRng::seed_from_u64(7)).unwrap()
}

/// A perpetual order on the first asset, of `size` units.
fn perp_order(snapshot: &Snapshot, size: &str) -> Position {
    let symbol = &snapshot.assets[0].symbol;
    let text = format!(r#"{{"kind": "perp", "underlying": "{symbol}", "size": "{size}"}}"#);
    parse_order(&text, snapshot, "order").unwrap()
}

#[test]
fn prove_returns_the_engines_report_the_tag_and_a_proof_the_venue_accepts() {
    let (snapshot, accounts) = example();
    let venue = 0;
    let level = 1_250_000;
    let order = perp_order(&snapshot, "0.01");
    // The first account solvent with the order.
    let (account, report) = accounts
        .iter()
        .find_map(|account| {
            let report = margin::evaluate(
                &snapshot.risk_params(),
                &account.book,
                Some(&Order {
                    venue,
                    position: order,
                }),
                level,
            )
            .unwrap();
            report.solvent.then_some((account, report))
        })
        .expect("a solvent account in the example network");

    let Proved {
        envelope,
        statement,
        report: proved_report,
        tag,
    } = prove(&snapshot, account, venue, level, Some(order)).unwrap();

    assert_eq!(proved_report, report, "the margin report is the engine's");
    assert_eq!(tag, account_tag(account.sk, snapshot.venues[venue].id));
    assert_eq!(statement.account_tag, tag);
    assert_eq!(statement.level_ppm, level);

    // The venue's side: decode once, verify with its own (warm) keys.
    let decoded = Envelope::decode(&envelope.encode()).unwrap();
    assert_eq!(decoded, envelope);
    let keys = VerifierKeys::for_profile(snapshot.profile).unwrap();
    let expect = Expectation {
        snapshot: &snapshot,
        venue_index: venue,
        tag: Some(tag),
        min_level_ppm: level,
        order: Some(order),
        at: snapshot.valid_from,
    };
    assert_eq!(keys.verify(&decoded, &expect).unwrap(), statement);
}

#[test]
fn an_insolvent_book_is_refused_with_its_report_and_is_not_internal() {
    let (snapshot, accounts) = example();
    let account = &accounts[0];
    let venue = 0;
    // An order far beyond any book: its margin alone exceeds the equity.
    let order = perp_order(&snapshot, "1000000");
    let error = prove(&snapshot, account, venue, 1_000_000, Some(order)).unwrap_err();
    assert!(!error.is_internal());
    match error {
        ProveError::Insolvent { report, .. } => assert!(!report.solvent),
        other => panic!("expected Insolvent, got {other}"),
    }
}
