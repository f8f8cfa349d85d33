//! The dishonest-prover corpus (`zkmargin_testing::corpus`) against MockProver: every cheat
//! is rejected, and rejected by the constraint `docs/CIRCUIT.md` says stops it, where it says.
//! Controls show that the same harnesses accept the honest witness, so that only the
//! constraint under test objects.
//!
//! Run one cheat: `cargo test --release -p zkmargin-testing --test dishonest -- stale_root`.

use ff::{Field, PrimeField};
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::instance::InstanceLayout;
use zkmargin_circuits::profile::SMALL;
use zkmargin_testing::attribution::{failures, Failure};
use zkmargin_testing::corpus::{
    self, cheat, corpus, honest_attempt, published_balance, published_slot_field,
};
use zkmargin_testing::fixtures::fixture;

/// Runs one cheat and checks its failure.
fn rejected(name: &str) {
    let cheat = cheat(name).unwrap_or_else(|| panic!("no cheat {name:?} in the corpus"));
    let found = failures(&(cheat.build)());
    assert!(!found.is_empty(), "{name}: MockProver accepted the cheat");
    assert!(
        found.iter().any(|f| f.is(cheat.stopped_by, cheat.at)),
        "{name}: expected {:?} at {:?}, MockProver reported:\n{}",
        cheat.stopped_by,
        cheat.at,
        found
            .iter()
            .map(|f| format!("  {} in {} [{}]", f.item, f.region, f.part))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

macro_rules! cheats {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                rejected($name);
            }
        )*

        #[test]
        fn every_cheat_of_the_corpus_has_its_test() {
            let listed = [$($name),*];
            for c in corpus() {
                assert!(listed.contains(&c.name), "{} has no test here", c.name);
            }
            assert_eq!(listed.len(), corpus().len());
        }
    };
}

cheats! {
    inflated_balance => "inflated-balance",
    balance_of_2_pow_64 => "balance-of-2^64",
    amount_carried_into_the_next => "amount-carried-into-the-next",
    size_carried_into_the_price => "size-carried-into-the-price",
    negative_balance_wrapped => "negative-balance-wrapped",
    negative_size_as_huge_positive => "negative-size-as-huge-positive",
    size_of_2_pow_64 => "size-of-2^64",
    entry_price_of_2_pow_48 => "entry-price-of-2^48",
    kind_outside_0_to_3 => "kind-outside-0-to-3",
    underlying_outside_the_assets => "underlying-outside-the-assets",
    position_on_an_unlisted_asset => "position-on-an-unlisted-asset",
    side_of_two => "side-of-two",
    perpetual_with_an_expiry => "perpetual-with-an-expiry",
    position_hidden_in_an_empty_slot => "position-hidden-in-an-empty-slot",
    collateral_where_the_tree_holds_zero => "collateral-where-the-tree-holds-zero",
    another_assets_price => "another-assets-price",
    blended_underlying => "blended-underlying",
    forged_keyed_price => "forged-keyed-price",
    no_underlying => "no-underlying",
    flipped_price_direction => "flipped-price-direction",
    another_instruments_row => "another-instruments-row",
    another_strikes_row => "another-strikes-row",
    another_expirys_row => "another-expirys-row",
    another_kinds_row => "another-kinds-row",
    vector_from_another_epochs_table => "vector-from-another-epochs-table",
    mark_left_out_of_equity => "mark-left-out-of-equity",
    vector_limb_carried_into_the_next => "vector-limb-carried-into-the-next",
    mark_carried_into_the_expiry => "mark-carried-into-the-expiry",
    row_opened_with_an_index_bit_of_no_bit => "row-opened-with-an-index-bit-of-no-bit",
    scenario_sum_skips_a_slot => "scenario-sum-skips-a-slot",
    slot_booked_under_another_underlying => "slot-booked-under-another-underlying",
    maximum_below_a_scenarios_loss => "maximum-below-a-scenarios-loss",
    maximum_below_the_minimum => "maximum-below-the-minimum",
    sizes_moved_between_the_packed_sums => "sizes-moved-between-the-packed-sums",
    stale_root => "stale-root",
    another_venues_root => "another-venues-root",
    another_accounts_leaf => "another-accounts-leaf",
    another_accounts_secret => "another-accounts-secret",
    dropped_position => "dropped-position",
    dropped_venue => "dropped-venue",
    leaf_at_the_wrong_index => "leaf-at-the-wrong-index",
    empty_neighbour_opened_in_one_tree => "empty-neighbour-opened-in-one-tree",
    forged_merkle_node => "forged-merkle-node",
    non_boolean_index_bit => "non-boolean-index-bit",
    short_option_counted_long => "short-option-counted-long",
    collateral_rounded_up => "collateral-rounded-up",
    collateral_at_a_lower_haircut => "collateral-at-a-lower-haircut",
    minimum_rounded_down => "minimum-rounded-down",
    long_option_mark_rounded_up => "long-option-mark-rounded-up",
    short_option_mark_rounded_down => "short-option-mark-rounded-down",
    contingency_rounded_down => "contingency-rounded-down",
    profit_rounded_up => "profit-rounded-up",
    loss_rounded_down => "loss-rounded-down",
    requirement_rounded_down => "requirement-rounded-down",
    price_other_than_published => "price-other-than-published",
    haircut_above_100_percent => "haircut-above-100-percent",
    level_below_the_public_one => "level-below-the-public-one",
    level_below_1x => "level-below-1x",
    level_above_10x => "level-above-10x",
    lines_over_the_headroom => "lines-over-the-headroom",
    line_of_2_pow_100 => "line-of-2^100",
    lines_wrapping_the_field => "lines-wrapping-the-field",
    line_on_a_padding_slot => "line-on-a-padding-slot",
    padding_slot_listed => "padding-slot-listed",
    listed_flags_out_of_order => "listed-flags-out-of-order",
    listed_flag_of_two => "listed-flag-of-two",
    commitment_to_another_venues_tag => "commitment-to-another-venues-tag",
    commitment_to_another_secrets_tag => "commitment-to-another-secrets-tag",
    nullifier_of_another_epoch => "nullifier-of-another-epoch",
    nullifier_of_another_secret => "nullifier-of-another-secret",
    insolvent_book => "insolvent-book",
    one_uusd_short => "one-uusd-short",
}

// --- Controls. ---

#[test]
fn the_honest_book_is_accepted() {
    assert_eq!(failures(&honest_attempt()), vec![]);
}

#[test]
fn the_published_leaf_harnesses_accept_honest_values() {
    // The cheats that publish their own leaf change one value; with the honest value the same
    // harness is the honest proof.
    let f = fixture(SMALL);
    assert_eq!(
        failures(&published_balance(Fp::from(f.witness.balances[0][0]))),
        vec![]
    );
    let fields = f.witness.positions[0][0].fields();
    for (i, value) in fields.iter().enumerate() {
        assert_eq!(
            failures(&published_slot_field(0, 0, i, Fp::from(*value))),
            vec![],
            "field {i}"
        );
    }
    // And the largest values the bounds allow.
    assert_eq!(
        failures(&published_balance(Fp::from(2).pow_vartime([64]) - Fp::ONE))
            .iter()
            .filter(|f| f.part == "chain 0" && f.region.contains("amount 0 < 2^64"))
            .count(),
        0
    );
}

/// The carried-limb cheats keep the packed word, so the leaf and the honest root: no copy to
/// the public roots objects, and the range check of the raised limb does (with the valuation,
/// whose honest quotients no longer fit the forged cells). Every limb that has a neighbour
/// above it is covered: kind, underlying, side, size and price of a slot, and a risk row's
/// vector limb (the key word's own carry, expiry into mark, is the corpus's
/// `mark-carried-into-the-expiry`).
#[test]
fn carried_limbs_keep_the_root_and_fail_their_range_check() {
    let regions = [
        "venue 0 slot 0: kind = perp + 2 call + 3 put",
        "venue 0 slot 0: underlying < A",
        "venue 0 slot 0: side is boolean",
        "venue 0 slot 0: size < 2^64",
        "venue 0 slot 0: price < 2^48",
    ];
    let mut attempts = vec![
        (
            corpus::amount_carried_into_the_next(),
            "chain 0: amount 0 < 2^64",
        ),
        (
            corpus::vector_limb_carried_into_the_next(),
            "venue 1 slot 1: vector 0 < 2^63",
        ),
    ];
    for (field, region) in regions.into_iter().enumerate() {
        attempts.push((corpus::slot_limb_carried_into_the_next(field), region));
    }
    for (attempt, region) in attempts {
        let found = failures(&attempt);
        assert!(
            found.iter().all(|f| f.item != "copy: public input"),
            "{region}: the root moved: {found:?}"
        );
        // A vector limb is no key field: its row's leaf, hence the risk root, stays too.
        if region.contains("vector") {
            assert!(
                found
                    .iter()
                    .all(|f| !f.region.contains("under the risk root")),
                "{region}: the risk root moved: {found:?}"
            );
        }
        assert!(
            found.iter().any(|f| f.region.contains(region)),
            "{region}: not refused there: {found:?}"
        );
    }
}

#[test]
fn the_digest_is_bound_by_the_transcript_and_the_epoch_by_the_nullifier() {
    // MockProver checks constraints only: it accepts any digest. The real verifier hashes the
    // whole instance into the transcript (`prover/tests/real_proof.rs`).
    let f = fixture(SMALL);
    let mut attempt = honest_attempt();
    attempt.instance[InstanceLayout::DIGEST_HI] += Fp::ONE;
    assert_eq!(failures(&attempt), vec![]);
    // The epoch enters the nullifier `H(6, sk, epoch)`: another epoch is refused there.
    let mut attempt = honest_attempt();
    attempt.instance[InstanceLayout::EPOCH] += Fp::ONE;
    let found = failures(&attempt);
    assert!(
        found.iter().any(|f| f.region.contains("nullifier")),
        "{found:?}"
    );
    assert_eq!(
        f.statement.to_instance()[InstanceLayout::DIGEST_LO].to_repr()[..16],
        f.snapshot.digest()[..16]
    );
}

#[test]
fn every_profile_has_at_least_two_assets_a_power_of_two() {
    // The underlying is range-checked to `max(1, log2 A)` bits and the keyed price
    // `a + 2^8 P_a` packs it below bit 8: A must be a power of two (the slot gadget asserts it)
    // and at most 256. With a single asset the 1-bit check would admit index 1, left to the
    // listed-asset check alone; no shipped profile is that small.
    for p in zkmargin_circuits::profile::ALL {
        assert!(p.assets >= 2 && p.assets <= 256, "profile {}", p.name);
        assert!(p.assets.is_power_of_two(), "profile {}", p.name);
    }
}

/// These cheats are stopped by their own constraint and by nothing else (without it, the
/// circuit would accept them): every failure MockProver reports is the expected one.
#[test]
fn single_objection_cheats_fail_only_at_their_constraint() {
    for name in [
        "position-on-an-unlisted-asset",
        "lines-over-the-headroom",
        "lines-wrapping-the-field",
        "line-on-a-padding-slot",
        "padding-slot-listed",
        "listed-flags-out-of-order",
        "listed-flag-of-two",
        "mark-carried-into-the-expiry",
        "blended-underlying",
        "no-underlying",
        "row-opened-with-an-index-bit-of-no-bit",
        "maximum-below-a-scenarios-loss",
        "maximum-below-the-minimum",
        "mark-left-out-of-equity",
        "another-strikes-row",
    ] {
        let cheat = cheat(name).unwrap();
        let found = failures(&(cheat.build)());
        assert!(!found.is_empty(), "{name}: accepted");
        // A range check ends in a copy to the constant zero: MockProver reports that copy from
        // both ends, the check's region and the constants column's bare row.
        let constant_side =
            |f: &&Failure| f.item == "copy: constant" && f.region.starts_with("row ");
        for f in found.iter().filter(|f| !constant_side(f)) {
            assert!(
                f.is(cheat.stopped_by, cheat.at),
                "{name}: also fails {} in {} [{}]",
                f.item,
                f.region,
                f.part
            );
        }
    }
}
