//! `zkmargin_prover::prove` and `certify` give the whole answer: the proof file (a one-order
//! certificate with its grant), the statement a venue rebuilds, the margin report the engine
//! computes, the account tag and the order's charge; every grant passes the venue's check.
//! Lines that sum exactly to the headroom certify, one uusd more is refused before proving.
//! Every certificate of one account in one epoch carries the same nullifier, and a ledger
//! takes only the first; two accounts, or two epochs, have different ones.
//!
//! The book is the sample book of `zkmargin_testing::fixtures` on the small profile; the real
//! proofs (a few seconds each) are made once and shared.

use std::sync::{Arc, OnceLock};

use zkmargin_circuits::charge::{default_fill, order_charge};
use zkmargin_circuits::hash::{account_tag, nullifier, Fp};
use zkmargin_circuits::margin::{self, Book, Kind, Order, Position, Side};
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::LeafOpening;
use zkmargin_formats::account::Account;
use zkmargin_formats::certificate::Certificate;
use zkmargin_prover::{certify, margin_report, prove, Certified, ProveError, Proved};
use zkmargin_testing::fixtures::{
    fixture, other_position, position, Fixture, OTHER_BALANCES, OTHER_INDEX, OTHER_SALT, OTHER_SK,
};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal, Ledger};
use zkmargin_verifier::verify::order_within_line;
use zkmargin_verifier::{Accepted, Envelope, Expectation, Rejection, VerifierKeys};

const LEVEL: u64 = 1_000_000;
const VENUE: usize = 0;

struct Net {
    f: Fixture,
    /// The prover's account (the fixture's, as an account file holds it).
    alice: Account,
    /// The fixture's other account (1000 BTC on every chain, a long perp at every venue).
    bob: Account,
    keys: Arc<VerifierKeys>,
}

fn net() -> &'static Net {
    static NET: OnceLock<Net> = OnceLock::new();
    NET.get_or_init(|| {
        std::env::set_var("ZKMARGIN_QUIET", "1");
        let f = fixture(SMALL);
        let s = &f.snapshot;
        let account = |name: &str, sk: Fp, idx: u64, book: Book, chains, venues| Account {
            name: name.into(),
            profile: SMALL,
            epoch: s.epoch,
            snapshot_digest: s.digest(),
            sk,
            idx,
            book,
            chain_openings: chains,
            venue_openings: venues,
        };
        let alice = account(
            "alice",
            f.witness.sk,
            f.witness.idx,
            f.book.clone(),
            f.witness.chain_openings[..s.chains.len()].to_vec(),
            f.witness.venue_openings[..s.venues.len()].to_vec(),
        );
        let opening = |tree: &zkmargin_circuits::hash::MerkleTree| LeafOpening {
            present: true,
            salt: Fp::from(OTHER_SALT),
            path: tree.path(OTHER_INDEX),
        };
        let bob_book = Book {
            balances: vec![OTHER_BALANCES[..s.assets.len()].to_vec(); s.chains.len()],
            positions: vec![vec![other_position()]; s.venues.len()],
        };
        let bob = account(
            "bob",
            Fp::from(OTHER_SK),
            OTHER_INDEX,
            bob_book,
            f.chain_trees.iter().map(opening).collect(),
            f.venue_trees.iter().map(opening).collect(),
        );
        let keys = VerifierKeys::for_profile(SMALL).unwrap();
        Net {
            f,
            alice,
            bob,
            keys,
        }
    })
}

/// A long perpetual of 0.01 BTC (e9 sizes), entered at the snapshot price.
fn order() -> Position {
    let price = net().f.snapshot.assets[0].price;
    position(Kind::Perp, 0, Side::Long, 10_000_000, price, 0)
}

fn headroom() -> u128 {
    let n = net();
    let report = margin_report(&n.f.snapshot, &n.alice, None, LEVEL, None).unwrap();
    assert!(report.headroom > 1_000, "the sample book has headroom");
    report.headroom as u128
}

/// The one-order proof file of `order()` at venue 0.
fn one_order() -> &'static Proved {
    static PROVED: OnceLock<Proved> = OnceLock::new();
    PROVED.get_or_init(|| {
        let n = net();
        prove(&n.f.snapshot, &n.alice, VENUE, LEVEL, Some(order())).unwrap()
    })
}

/// The certificate whose lines sum exactly to the headroom (all but 312 uusd at venue 0).
fn exact() -> &'static Certified {
    static CERTIFIED: OnceLock<Certified> = OnceLock::new();
    CERTIFIED.get_or_init(|| {
        let n = net();
        let h = headroom();
        certify(&n.f.snapshot, &n.alice, LEVEL, &[h - 312, 312]).unwrap()
    })
}

fn expect(snapshot: &Snapshot, venue_index: usize) -> Expectation<'_> {
    Expectation {
        snapshot,
        venue_index,
        tag: None,
        min_level_ppm: LEVEL,
        at: snapshot.valid_from,
    }
}

/// The venue's whole check of a certificate and its grant.
fn accept(certified: &Certified, snapshot: &Snapshot, venue: usize) -> Accepted {
    net()
        .keys
        .verify(
            &certified.bytes,
            &certified.grants[venue],
            &expect(snapshot, venue),
        )
        .unwrap()
}

#[test]
fn prove_returns_the_engines_report_the_tag_the_charge_and_a_file_the_venue_accepts() {
    let n = net();
    let s = &n.f.snapshot;
    let order = order();
    let Proved {
        envelope,
        statement,
        report,
        tag,
        charge,
    } = one_order().clone();

    let as_order = Order {
        venue: VENUE,
        position: order,
    };
    let params = s.risk_params();
    let engine = margin::evaluate(&params, &n.alice.book, Some(&as_order), LEVEL).unwrap();
    assert_eq!(
        report, engine,
        "the margin report is the engine's, with the order"
    );
    let fill = default_fill(&params, &as_order).unwrap();
    let expected_charge = order_charge(&params, &as_order, fill, LEVEL).unwrap().total;
    assert_eq!(charge, expected_charge);
    assert!(charge > 0);
    assert_eq!(tag, account_tag(n.alice.sk, s.venues[VENUE].id));
    assert_eq!(statement.level_ppm, LEVEL);
    assert_eq!(statement.nullifier, nullifier(n.alice.sk, s.epoch));

    // The venue's side: the file decodes exactly once, its grant is the venue's line of
    // exactly the charge, and the certificate verifies with the verifier's own (warm) keys.
    let (decoded, grant) = Envelope::decode(&envelope.encode()).unwrap();
    assert_eq!(decoded, envelope);
    assert_eq!(grant.venue_id, s.venues[VENUE].id);
    assert_eq!(grant.tag, tag);
    assert_eq!(grant.allowance_uusd, charge);
    assert_eq!(
        grant.certificate,
        Certificate::digest_of(&decoded.certificate)
    );
    let mut want = expect(s, VENUE);
    want.tag = Some(tag);
    let accepted = n.keys.verify(&decoded.certificate, &grant, &want).unwrap();
    assert_eq!(accepted.statement, statement);
    assert_eq!(accepted.line.allowance, charge);
    assert_eq!(accepted.line.level_ppm, LEVEL);
    assert_eq!(accepted.line.valid_until, s.valid_until);
    // The order itself fits the line exactly.
    assert_eq!(
        order_within_line(&accepted, s, VENUE, &order, s.valid_from),
        Ok(charge)
    );
}

#[test]
fn an_order_over_the_headroom_is_refused_with_its_report_and_is_not_internal() {
    let n = net();
    // An order far beyond any book: its charge alone exceeds the headroom.
    let mut huge = order();
    huge.size = 1_000_000 * 1_000_000_000;
    let error = prove(&n.f.snapshot, &n.alice, VENUE, LEVEL, Some(huge)).unwrap_err();
    assert!(!error.is_internal());
    match error {
        ProveError::OverHeadroom {
            by, lines, report, ..
        } => {
            assert!(by > 0);
            assert_eq!(by, lines - report.headroom as u128);
        }
        other => panic!("expected OverHeadroom, got {other}"),
    }
    // A venue the snapshot does not list.
    let error = prove(&n.f.snapshot, &n.alice, 2, LEVEL, Some(order())).unwrap_err();
    assert!(!error.is_internal(), "{error}");
}

#[test]
fn lines_summing_exactly_to_the_headroom_certify_and_one_uusd_more_is_over_by_one() {
    let n = net();
    let s = &n.f.snapshot;
    let h = headroom();
    let certified = exact();
    assert_eq!(certified.left, 0);
    assert_eq!(certified.grants.len(), s.venues.len());
    for (v, want) in [(0, h - 312), (1, 312)] {
        let accepted = accept(certified, s, v);
        assert_eq!(accepted.line.allowance, want, "venue {v}");
        assert_eq!(accepted.statement, certified.statement);
    }
    // One uusd more, at either venue or in one line: refused before any proving.
    for lines in [[h - 312, 313], [h - 311, 312], [h + 1, 0], [0, h + 1]] {
        match certify(s, &n.alice, LEVEL, &lines) {
            Err(ProveError::OverHeadroom {
                by: 1, lines: l, ..
            }) => assert_eq!(l, h + 1),
            other => panic!("{lines:?}: expected OverHeadroom by 1, got {other:?}"),
        }
    }
    // A line of 2^100 uusd or more, and a line count other than the venues'.
    assert!(matches!(
        certify(s, &n.alice, LEVEL, &[1 << 100, 0]),
        Err(ProveError::LineTooLarge(_))
    ));
    assert!(matches!(
        certify(s, &n.alice, LEVEL, &[0]),
        Err(ProveError::LineCount {
            given: 1,
            venues: 2
        })
    ));
}

#[test]
fn one_accounts_certificates_of_an_epoch_share_a_nullifier_and_a_ledger_takes_one() {
    let n = net();
    let s = &n.f.snapshot;
    let first = exact();
    let proved = one_order();
    let (file, grant) = Envelope::decode(&proved.envelope.encode()).unwrap();
    assert_ne!(file.certificate, first.bytes, "two different certificates");
    assert_eq!(first.statement.nullifier, proved.statement.nullifier);
    assert_eq!(first.statement.nullifier, nullifier(n.alice.sk, s.epoch));

    // Each verifies on its own: only the ledger that sees both can refuse the second.
    let a = accept(first, s, VENUE);
    let b = n
        .keys
        .verify(&file.certificate, &grant, &expect(s, VENUE))
        .unwrap();
    assert_eq!(a.line.nullifier, b.line.nullifier);
    let mut ledger = Ledger::new();
    assert_eq!(ledger.admit(a.line.clone()), Ok(Admission::New));
    assert_eq!(ledger.admit(a.line.clone()), Ok(Admission::Again));
    assert!(matches!(
        ledger.admit(b.line.clone()),
        Err(AdmissionRefusal::NullifierTaken { .. })
    ));
    // The ledger still holds the first line, whole.
    assert_eq!(ledger.view(&a.line.tag).unwrap().line, a.line);
    // The other venue's line of the same certificate shares the nullifier too: a venue that
    // shares the ledger with venue 0 takes the same certificate (Again), not another one.
    let other_venue = accept(first, s, 1);
    assert_eq!(other_venue.line.nullifier, a.line.nullifier);
    assert_eq!(other_venue.line.certificate, a.line.certificate);
}

#[test]
fn two_accounts_or_two_epochs_have_different_nullifiers_and_a_ledger_takes_both() {
    let n = net();
    let s = &n.f.snapshot;
    let alice = exact();
    // Bob, the same epoch, no lines.
    let bob = certify(s, &n.bob, LEVEL, &[0, 0]).unwrap();
    assert_eq!(bob.statement.nullifier, nullifier(n.bob.sk, s.epoch));
    assert_ne!(bob.statement.nullifier, alice.statement.nullifier);
    // Alice, the next epoch (the same books and roots published again).
    let mut next = s.clone();
    next.epoch += 1;
    let later = certify(&next, &n.alice, LEVEL, &[1, 0]).unwrap();
    assert_eq!(later.statement.nullifier, nullifier(n.alice.sk, next.epoch));
    assert_ne!(later.statement.nullifier, alice.statement.nullifier);

    let mut ledger = Ledger::new();
    let a = accept(alice, s, VENUE);
    let b = accept(&bob, s, VENUE);
    let c = accept(&later, &next, VENUE);
    assert_eq!(c.line.epoch, s.epoch + 1);
    for line in [a.line, b.line, c.line.clone()] {
        assert_eq!(ledger.admit(line), Ok(Admission::New));
    }
    // Alice's tag spends her latest epoch's line.
    assert_eq!(ledger.view(&c.line.tag).unwrap().line, c.line);
    // A certificate of one epoch is refused under the other's snapshot.
    assert!(matches!(
        n.keys
            .verify(&later.bytes, &later.grants[VENUE], &expect(s, VENUE)),
        Err(Rejection::Epoch { .. })
    ));
}
