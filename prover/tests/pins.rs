//! Pinned verifying keys and proof lengths: any change to the circuit changes them, and these
//! tests say so. After an intended change, re-measure with
//! `cargo run --release -p zkmargin-prover --example pins` and update
//! `zkmargin_verifier::keys::PINNED_VK_DIGESTS` and `verify::PINNED_PROOF_BYTES` (and say so
//! to the auditors: every venue's key changes).

use zkmargin_circuits::profile::{Profile, DESK, LARGE, SMALL, STANDARD};
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::{
    build_verifying_key_unchecked, pinned_vk_digest, verifying_key, vk_digest, VerifyingKeyError,
};
use zkmargin_verifier::params::{load_or_generate, CommitmentParams};
use zkmargin_verifier::verify::pinned_proof_len;

fn params(profile: Profile) -> CommitmentParams {
    load_or_generate(profile.k).unwrap().0
}

fn check_vk(profile: Profile) {
    let params = params(profile);
    let vk = build_verifying_key_unchecked(&params, profile).unwrap();
    assert_eq!(
        Some(vk_digest(&vk).as_str()),
        pinned_vk_digest(profile),
        "profile {}",
        profile.name
    );
}

#[test]
fn small_verifying_key_is_pinned() {
    check_vk(SMALL);
}

#[test]
fn standard_verifying_key_is_pinned() {
    check_vk(STANDARD);
}

#[test]
fn large_verifying_key_is_pinned() {
    check_vk(LARGE);
}

#[test]
fn desk_verifying_key_is_pinned() {
    check_vk(DESK);
}

#[test]
fn a_changed_circuit_changes_the_digest_and_is_refused() {
    // The small circuit with one tree level fewer: a different layout, hence a different key.
    let changed = Profile {
        depth: SMALL.depth - 1,
        ..SMALL
    };
    let params = params(SMALL);
    let vk = build_verifying_key_unchecked(&params, changed).unwrap();
    assert_ne!(Some(vk_digest(&vk).as_str()), pinned_vk_digest(SMALL));
    assert!(matches!(
        verifying_key(&params, changed),
        Err(VerifyingKeyError::Unpinned { .. })
    ));
}

#[test]
fn small_proof_length_is_pinned() {
    let keys = ProverKeys::for_profile(SMALL).unwrap();
    let f = fixture(SMALL);
    let proof = proof_bytes(&keys, &f.statement, &f.witness).unwrap();
    assert_eq!(Some(proof.len()), pinned_proof_len(SMALL.name));
}
