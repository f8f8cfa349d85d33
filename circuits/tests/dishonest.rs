//! The margin circuit against dishonest provers (MockProver): for every constraint of the
//! statement, a witness or an instance that tries the cheat it stops, and must fail.
//!
//! Each test names the cheat. "Recomputed root" means the test also publishes a root that
//! commits to the cheating leaf, so that only the constraint under test can object.

use ff::{Field, PrimeField};
use halo2_proofs::dev::MockProver;
use zkmargin_circuits::circuit::{MarginCircuit, Tamper};
use zkmargin_circuits::fixtures::{
    fixture, fixture_with, position, sample_book, Fixture, OTHER_BALANCES, OTHER_INDEX, OTHER_SALT,
    OTHER_SK, PROVER_INDEX,
};
use zkmargin_circuits::gadgets::slot::SlotTamper;
use zkmargin_circuits::hash::{self, account_key, account_tag, poseidon, root_from_path, Fp};
use zkmargin_circuits::instance::{InstanceLayout, PublicStatement};
use zkmargin_circuits::margin::{self, Book, Kind, Order, Side};
use zkmargin_circuits::profile::{Profile, SMALL};
use zkmargin_circuits::witness::AccountWitness;

const P: Profile = SMALL;

/// Whether MockProver accepts `witness` (with `tamper`) for the prover's copy of the
/// statement, against the instance built from `instance_statement`.
fn accepts_with(
    statement: &PublicStatement,
    witness: &AccountWitness,
    tamper: Tamper,
    instance: Vec<Fp>,
) -> bool {
    let mut circuit = MarginCircuit::new(statement.clone(), witness.clone());
    circuit.tamper = tamper;
    MockProver::run(P.k, &circuit, vec![instance])
        .unwrap()
        .verify()
        .is_ok()
}

fn accepts(f: &Fixture, tamper: Tamper) -> bool {
    accepts_with(&f.statement, &f.witness, tamper, f.statement.to_instance())
}

fn accepts_witness(f: &Fixture, witness: &AccountWitness) -> bool {
    accepts_with(
        &f.statement,
        witness,
        Tamper::default(),
        f.statement.to_instance(),
    )
}

fn accepts_instance(f: &Fixture, instance: Vec<Fp>) -> bool {
    accepts_with(&f.statement, &f.witness, Tamper::default(), instance)
}

fn layout() -> InstanceLayout {
    InstanceLayout::new(P)
}

fn slot_tamper(venue: usize, slot: usize, tamper: SlotTamper) -> Tamper {
    Tamper {
        slots: vec![((venue, slot), tamper)],
        ..Default::default()
    }
}

#[test]
fn honest_book_is_accepted() {
    let f = fixture(P);
    assert!(
        margin::evaluate(&f.statement.params, &f.witness.book(), None, 1_000_000)
            .unwrap()
            .solvent
    );
    assert!(accepts(&f, Tamper::default()));
}

// --- Out-of-range and wrapped amounts (range checks on leaf fields). ---

/// Replaces chain 0's amount of `asset` by `value` in the leaf and publishes the root of the
/// cheating leaf, so only the amount's range check stands in the way.
fn cheat_balance(value: Fp) -> bool {
    let f = fixture(P);
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
    accepts_with(&statement, w, tamper, statement.to_instance())
}

#[test]
fn a_balance_of_2_pow_64_is_rejected() {
    assert!(!cheat_balance(Fp::from(2).pow_vartime([64])));
    // The same harness accepts the honest largest balance below the bound... as a control,
    // the honest amount itself passes:
    assert!(cheat_balance(Fp::from(2_000_000_000)));
}

#[test]
fn a_negative_balance_wrapping_the_field_is_rejected() {
    assert!(!cheat_balance(-Fp::ONE));
    assert!(!cheat_balance(-Fp::from(1_000_000_000)));
}

/// Replaces field `field` of venue 0's slot 0 by `value` in the leaf, with the cheating root.
fn cheat_slot_field(field: usize, value: Fp) -> bool {
    let f = fixture(P);
    let mut statement = f.statement.clone();
    let w = &f.witness;
    let mut message = hash::position_leaf_message(
        account_key(w.sk),
        statement.venue_ids[0],
        &w.positions[0],
        w.venue_openings[0].salt,
    );
    message[3 + field] = value;
    let leaf = poseidon(&message);
    statement.venue_roots[0] = root_from_path(leaf, w.idx, &w.venue_openings[0].path);
    let tamper = Tamper {
        slot_fields: vec![((0, 0, field), value)],
        ..Default::default()
    };
    accepts_with(&statement, w, tamper, statement.to_instance())
}

#[test]
fn a_size_of_2_pow_64_is_rejected() {
    assert!(!cheat_slot_field(3, Fp::from(2).pow_vartime([64])));
    assert!(
        cheat_slot_field(3, Fp::from(500_000_000)),
        "control: the honest size passes"
    );
}

#[test]
fn a_negative_size_passed_as_a_huge_positive_is_rejected() {
    // A short of 0.5 written as -0.5 in the field instead of (side = short, size = 0.5).
    assert!(!cheat_slot_field(3, -Fp::from(500_000_000)));
}

#[test]
fn an_entry_price_of_2_pow_48_is_rejected() {
    assert!(!cheat_slot_field(4, Fp::from(2).pow_vartime([48])));
}

#[test]
fn a_kind_outside_0_to_3_is_rejected() {
    assert!(!cheat_slot_field(0, Fp::from(4)));
    assert!(!cheat_slot_field(0, Fp::from(5)));
}

#[test]
fn an_underlying_outside_the_assets_is_rejected() {
    assert!(!cheat_slot_field(1, Fp::from(P.assets as u64)));
}

#[test]
fn a_side_of_two_is_rejected() {
    assert!(!cheat_slot_field(2, Fp::from(2)));
}

#[test]
fn a_perpetual_with_an_expiry_is_rejected() {
    assert!(!cheat_slot_field(5, Fp::from(1_767_229_200)));
}

// --- Public parameters the prover does not get to choose. ---

#[test]
fn a_price_other_than_the_published_one_is_rejected() {
    let f = fixture(P);
    let mut instance = f.statement.to_instance();
    instance[layout().price(0)] += Fp::ONE;
    assert!(!accepts_instance(&f, instance));
}

#[test]
fn collateral_valued_at_a_lower_haircut_than_published_is_rejected() {
    // The haircut is read from the instance, never witnessed: the only way to use a lower one
    // is to claim the larger value it gives, which the division's remainder refuses.
    let f = fixture(P);
    let (x, price) = (f.witness.balances[0][0], f.statement.params.prices[0]);
    let published = f.statement.params.haircuts_ppm[0][0];
    let honest = margin::collateral_value(x, price, published);
    let cheap = margin::collateral_value(x, price, published - 10_000);
    assert!(cheap > honest);
    let cheat = Tamper {
        collateral: vec![((0, 0), (cheap - honest) as i64)],
        ..Default::default()
    };
    assert!(!accepts(&f, cheat));
}

#[test]
fn a_margin_rate_other_than_the_published_one_is_rejected() {
    let f = fixture(P);
    let mut instance = f.statement.to_instance();
    instance[layout().perp_mmr(0, 0)] -= Fp::ONE;
    assert!(!accepts_instance(&f, instance));
}

#[test]
fn a_haircut_above_100_percent_is_rejected() {
    // A haircut of 1e6 + 1 would make (1e6 - h) wrap to p - 1.
    let f = fixture(P);
    let mut statement = f.statement.clone();
    statement.params.haircuts_ppm[3][0] = 1_000_001;
    assert!(!accepts_with(
        &statement,
        &f.witness,
        Tamper::default(),
        statement.to_instance()
    ));
}

#[test]
fn another_assets_price_is_rejected() {
    // Slot (0, 0) is a BTC perp: value it with ETH's record (asset 1, bucket 0).
    let f = fixture(P);
    let cheat = slot_tamper(
        0,
        0,
        SlotTamper {
            choice: Some(P.buckets),
            ..Default::default()
        },
    );
    assert!(!accepts(&f, cheat));
}

#[test]
fn another_venues_rate_for_the_order_is_rejected() {
    // The order is at venue 0; pick the same asset's record of venue 1.
    let f = fixture(P);
    let cheat = slot_tamper(
        P.venues,
        0,
        SlotTamper {
            choice: Some(P.records_per_venue()),
            ..Default::default()
        },
    );
    assert!(!accepts(&f, cheat));
}

#[test]
fn a_wrong_expiry_bucket_is_rejected() {
    // Slot (0, 1) is a short BTC call expiring in one hour (bucket 0): claim bucket 1.
    let f = fixture(P);
    let cheat = slot_tamper(
        0,
        1,
        SlotTamper {
            choice: Some(1),
            ..Default::default()
        },
    );
    assert!(!accepts(&f, cheat));
    // And the long put of venue 1 (7 days, bucket 1) claimed in bucket 0.
    let cheat = slot_tamper(
        1,
        1,
        SlotTamper {
            choice: Some(P.buckets),
            ..Default::default()
        },
    );
    assert!(!accepts(&f, cheat));
}

#[test]
fn a_flipped_price_direction_is_rejected() {
    for (venue, slot) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let f = fixture(P);
        let cheat = slot_tamper(
            venue,
            slot,
            SlotTamper {
                flip_direction: true,
                ..Default::default()
            },
        );
        assert!(!accepts(&f, cheat), "slot ({venue}, {slot})");
    }
}

// --- Left-out and foreign leaves (Merkle openings and the shared index). ---

#[test]
fn a_left_out_position_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.positions[1][0] = margin::Position::EMPTY; // drop the ETH short with its loss
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn a_left_out_venue_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.positions[0] = vec![margin::Position::EMPTY; P.positions];
    w.venue_openings[0].present = false;
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn an_inflated_balance_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.balances[0][2] += 1;
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn collateral_claimed_where_the_tree_holds_zero_is_rejected() {
    // Chain 1 holds a leaf for the prover; pretend chain 1 holds nothing but keep amounts:
    // the "present" flag is what forces them to zero.
    let f = fixture_with(
        P,
        Book {
            balances: vec![vec![1_000_000_000, 0, 0], vec![]],
            positions: vec![],
        },
        1_000_000,
        None,
    );
    assert!(!f.witness.chain_openings[1].present);
    let mut w = f.witness.clone();
    w.balances[1][2] = 1_000_000_000_000;
    assert!(!accepts_witness(&f, &w));
    assert!(
        accepts_witness(&f, &f.witness),
        "control: the honest zero leaf is accepted"
    );
}

#[test]
fn a_short_option_declared_long_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    assert_eq!(w.positions[0][1].side, Side::Short);
    w.positions[0][1].side = Side::Long;
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn a_leaf_at_the_wrong_index_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.idx = PROVER_INDEX ^ 1;
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn another_accounts_leaf_is_rejected() {
    // The other account (index 6) holds 1000 BTC. Even knowing its amounts and salts, the
    // prover's key is not in its leaves.
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.idx = OTHER_INDEX;
    for c in 0..P.chains {
        w.balances[c] = OTHER_BALANCES.to_vec();
        w.balances[c].resize(P.assets, 0);
        w.chain_openings[c].salt = Fp::from(OTHER_SALT);
        w.chain_openings[c].path = f.chain_trees[c].path(OTHER_INDEX);
    }
    for v in 0..P.venues {
        w.positions[v] = vec![zkmargin_circuits::fixtures::other_position()];
        w.positions[v].resize(P.positions, margin::Position::EMPTY);
        w.venue_openings[v].salt = Fp::from(OTHER_SALT);
        w.venue_openings[v].path = f.venue_trees[v].path(OTHER_INDEX);
    }
    assert!(!accepts_witness(&f, &w));
    // With the other account's secret, the same witness is the other account's honest one,
    // but then the tag is not the prover's.
    w.sk = Fp::from(OTHER_SK);
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn a_swapped_venue_tag_is_rejected() {
    let f = fixture(P);
    let mut instance = f.statement.to_instance();
    instance[layout().account_tag()] = account_tag(f.witness.sk, f.statement.venue_ids[1]);
    assert!(!accepts_instance(&f, instance));
}

#[test]
fn another_secret_is_rejected() {
    let f = fixture(P);
    let mut w = f.witness.clone();
    w.sk += Fp::ONE;
    assert!(!accepts_witness(&f, &w));
}

#[test]
fn a_stale_root_is_rejected() {
    let f = fixture(P);
    let mut instance = f.statement.to_instance();
    instance[layout().venue_root(1)] = hash::empty_roots(P.depth)[P.depth];
    assert!(!accepts_instance(&f, instance));
}

// --- Rounding in the prover's favour, and rounding the wrong way at all. ---

#[test]
fn rounding_collateral_up_is_rejected() {
    let f = fixture(P);
    for delta in [1, -1] {
        let cheat = Tamper {
            collateral: vec![((0, 0), delta)],
            ..Default::default()
        };
        assert!(!accepts(&f, cheat), "collateral quotient {delta:+}");
    }
}

#[test]
fn rounding_margin_down_is_rejected() {
    let f = fixture(P);
    for (venue, slot) in [(0, 0), (0, 1), (1, 0), (P.venues, 0)] {
        let cheat = slot_tamper(
            venue,
            slot,
            SlotTamper {
                mm: -1,
                ..Default::default()
            },
        );
        assert!(!accepts(&f, cheat), "mm of ({venue}, {slot})");
    }
}

#[test]
fn rounding_profit_up_and_losses_down_is_rejected() {
    let f = fixture(P);
    assert!(!accepts(
        &f,
        slot_tamper(
            0,
            0,
            SlotTamper {
                credit: 1,
                ..Default::default()
            }
        )
    ));
    assert!(!accepts(
        &f,
        slot_tamper(
            1,
            0,
            SlotTamper {
                debit: -1,
                ..Default::default()
            }
        )
    ));
}

#[test]
fn rounding_the_requirement_down_is_rejected() {
    let f = fixture(P);
    assert!(!accepts(
        &f,
        Tamper {
            requirement: -1,
            ..Default::default()
        }
    ));
}

// --- Solvency itself, the level and the order. ---

/// A book of only USDC on chain 0 against a 0.1 BTC perp order at venue 0 (mm = 100 USD).
/// With 101010101011 e9 USDC at a 1% haircut the collateral is exactly 100 USD.
fn edge_fixture(usdc: u64) -> Fixture {
    let book = Book {
        balances: vec![vec![0, 0, usdc], vec![]],
        positions: vec![],
    };
    let order = position(Kind::Perp, 0, Side::Long, 100_000_000, 0, 0);
    fixture_with(P, book, 1_000_000, Some(order))
}

#[test]
fn headroom_of_exactly_zero_is_accepted_and_one_uusd_short_is_not() {
    let exact = edge_fixture(101_010_101_011);
    let order = Order {
        venue: 0,
        position: exact.statement.order,
    };
    let report = margin::evaluate(
        &exact.statement.params,
        &exact.witness.book(),
        Some(&order),
        1_000_000,
    )
    .unwrap();
    assert_eq!(
        (report.equity, report.requirement, report.headroom),
        (100_000_000, 100_000_000, 0)
    );
    assert!(accepts(&exact, Tamper::default()));
    let short = edge_fixture(101_010_101_010);
    let report = margin::evaluate(
        &short.statement.params,
        &short.witness.book(),
        Some(&order),
        1_000_000,
    )
    .unwrap();
    assert_eq!(report.headroom, -1);
    assert!(!accepts(&short, Tamper::default()));
}

#[test]
fn an_insolvent_book_is_rejected() {
    let order = position(Kind::Perp, 0, Side::Short, 300_000_000_000, 0, 0); // 300 BTC short
    let f = fixture_with(P, sample_book(P), 1_000_000, Some(order));
    let report = margin::evaluate(
        &f.statement.params,
        &f.witness.book(),
        Some(&Order {
            venue: 0,
            position: f.statement.order,
        }),
        1_000_000,
    )
    .unwrap();
    assert!(!report.solvent);
    assert!(!accepts(&f, Tamper::default()));
}

#[test]
fn a_level_below_the_public_one_is_rejected() {
    // Solvent at 1x (headroom 275k USD on mm 15.4k), not at 10x... is solvent at 10x too;
    // use an order that makes it solvent at 1x but not at 10x.
    let order = position(Kind::Perp, 0, Side::Long, 25_000_000_000, 0, 0); // 25 BTC: mm 25k USD
    let at_one = fixture_with(P, sample_book(P), 1_000_000, Some(order));
    assert!(accepts(&at_one, Tamper::default()));
    let at_ten = fixture_with(P, sample_book(P), 10_000_000, Some(order));
    // The prover computes its witness for 1x but the venue's instance says 10x.
    assert!(!accepts_with(
        &at_one.statement,
        &at_one.witness,
        Tamper::default(),
        at_ten.statement.to_instance()
    ));
}

#[test]
fn a_level_outside_1x_to_10x_is_rejected() {
    for level in [999_999u64, 10_000_001] {
        let f = fixture_with(P, sample_book(P), level, None);
        assert!(!accepts(&f, Tamper::default()), "level {level}");
    }
}

#[test]
fn leaving_out_the_order_is_rejected() {
    // The prover values a book without the 300 BTC order the venue was sent; the venue's
    // instance carries it, and its margin sinks the book.
    let order = position(Kind::Perp, 0, Side::Short, 300_000_000_000, 0, 0);
    let without = fixture_with(P, sample_book(P), 1_000_000, None);
    let with = fixture_with(P, sample_book(P), 1_000_000, Some(order));
    assert!(accepts(&without, Tamper::default()));
    assert!(!accepts_with(
        &without.statement,
        &without.witness,
        Tamper::default(),
        with.statement.to_instance()
    ));
}

#[test]
fn an_order_valued_with_another_underlying_is_rejected() {
    // The instance's order is on BTC; the prover's witness values an ETH order.
    let f = fixture(P);
    let mut instance = f.statement.to_instance();
    instance[layout().order_field(1)] = Fp::ONE;
    assert!(!accepts_instance(&f, instance));
}

#[test]
fn the_epoch_and_digest_are_public() {
    // They are bound by the transcript rather than by a gate: MockProver accepts any value,
    // the real verifier does not (see the prover crate's end-to-end tests).
    let f = fixture(P);
    assert_eq!(
        f.statement.to_instance()[InstanceLayout::EPOCH],
        Fp::from(f.snapshot.epoch)
    );
    assert_eq!(
        f.statement.to_instance()[InstanceLayout::DIGEST_LO].to_repr()[..16],
        f.snapshot.digest()[..16]
    );
}
