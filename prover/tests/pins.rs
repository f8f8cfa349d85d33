//! Pinned verifying keys, key files, verifier parameters and proof lengths: any change to the
//! circuit changes them, and these tests say so. After an intended change, re-pin with
//! `cargo run --release -p zkmargin-prover --example pins` (it rewrites `verifier/keys/*.vk` and
//! prints the tables of `zkmargin_verifier::keys`, `verifier_params` and `verify`), and say so
//! to the auditors: every venue's key changes.

use zkmargin_circuits::profile::{Profile, DESK, LARGE, SMALL, STANDARD};
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::{
    build_verifying_key_unchecked, check_stored, key_file_bytes, pinned_vk_digest, stored_key_file,
    stored_verifying_key, vk_digest, VerifyingKeyError,
};
use zkmargin_verifier::params::{digest_hex, load_or_generate};
use zkmargin_verifier::verifier_params::{pinned_verifier_digest, VerifierParams};
use zkmargin_verifier::verify::pinned_proof_len;

/// `keygen_vk`'s key is pinned, is the stored file byte for byte, and equals the key read from
/// that file in full (not only its pinned form); the verifier's parameters derived from the
/// same full parameters are pinned.
fn check_keys(profile: Profile) {
    let (params, _) = load_or_generate(profile.k).unwrap();
    let built = build_verifying_key_unchecked(&params, profile).unwrap();
    let name = profile.name;
    assert_eq!(
        Some(vk_digest(&built).as_str()),
        pinned_vk_digest(profile),
        "profile {name}"
    );
    assert_eq!(
        Some(key_file_bytes(&built).as_slice()),
        stored_key_file(profile),
        "profile {name}: keygen_vk's key is the stored file"
    );
    let stored = stored_verifying_key(profile).unwrap();
    assert_eq!(
        format!("{stored:?}"),
        format!("{built:?}"),
        "profile {name}"
    );
    let lean = VerifierParams::file_of(&params).unwrap();
    assert_eq!(
        Some(digest_hex(&lean).as_str()),
        pinned_verifier_digest(profile.k),
        "profile {name}: the verifier's parameters"
    );
}

#[test]
fn small_keys_are_pinned() {
    check_keys(SMALL);
}

#[test]
fn standard_keys_are_pinned() {
    check_keys(STANDARD);
}

#[test]
fn large_keys_are_pinned() {
    check_keys(LARGE);
}

#[test]
fn desk_keys_are_pinned() {
    check_keys(DESK);
}

#[test]
fn a_changed_circuit_changes_the_key_and_the_prover_refuses_it() {
    // The small circuit with one tree level fewer: a different layout, hence a different key.
    let changed = Profile {
        depth: SMALL.depth - 1,
        ..SMALL
    };
    let (params, _) = load_or_generate(SMALL.k).unwrap();
    let vk = build_verifying_key_unchecked(&params, changed).unwrap();
    assert_ne!(Some(vk_digest(&vk).as_str()), pinned_vk_digest(SMALL));
    assert!(matches!(
        check_stored(&vk, changed),
        Err(VerifyingKeyError::DiffersFromStored { .. })
    ));
    let error = ProverKeys::build(changed, params, vk).err().unwrap();
    assert!(error.to_string().contains("not the stored one"), "{error}");
}

#[test]
fn small_proof_length_is_pinned() {
    let keys = ProverKeys::for_profile(SMALL).unwrap();
    let f = fixture(SMALL);
    let proof = proof_bytes(&keys, &f.statement, &f.witness).unwrap();
    assert_eq!(Some(proof.len()), pinned_proof_len(SMALL.name));
}
