//! The frozen honest proofs in `tests/vectors` (one per profile, made by
//! `cargo run --release -p zkmargin-prover --example vectors`) still verify against today's
//! parameters and pinned verifying keys, as the venue named in each would verify them at the
//! snapshot's `valid_from`. A failure here means the circuit, a key, the envelope or the
//! instance layout changed: every deployed venue would refuse the proofs of the old build.

use std::path::PathBuf;

use zkmargin_circuits::profile::ALL;
use zkmargin_prover::vectors::{read_vector, vector_files, verify_vector, Outcome};
use zkmargin_verifier::keys::pinned_vk_digest;
use zkmargin_verifier::verify::Rejection;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

#[test]
fn every_profile_has_a_vector_made_under_its_pinned_key() {
    let vectors: Vec<_> = vector_files(&dir())
        .unwrap()
        .iter()
        .map(|f| read_vector(f).unwrap())
        .collect();
    for profile in ALL {
        let v = vectors
            .iter()
            .find(|v| v.profile == profile)
            .unwrap_or_else(|| panic!("no vector for profile {}", profile.name));
        assert_eq!(Some(v.vk_digest.as_str()), pinned_vk_digest(profile));
        assert_eq!(v.at, v.snapshot.valid_from);
    }
}

#[test]
fn frozen_proofs_still_verify() {
    for file in vector_files(&dir()).unwrap() {
        let vector = read_vector(&file).unwrap();
        assert_eq!(
            verify_vector(&vector).unwrap(),
            Outcome::Valid,
            "{}",
            file.display()
        );
    }
}

#[test]
fn a_frozen_proof_is_refused_out_of_its_epoch_or_altered() {
    let file = dir().join("small.vector.json");
    let vector = read_vector(&file).unwrap();
    let mut late = vector.clone();
    late.at = vector.snapshot.valid_until + 1;
    assert!(matches!(
        verify_vector(&late).unwrap(),
        Outcome::Rejected(Rejection::Expired { .. })
    ));
    let mut early = vector.clone();
    early.at = vector.snapshot.valid_from - 1;
    assert!(matches!(
        verify_vector(&early).unwrap(),
        Outcome::Rejected(Rejection::NotYetValid { .. })
    ));
    // The last byte of the proof itself (the certificate file ends with it).
    let mut altered = vector.clone();
    *altered.certificate.last_mut().unwrap() ^= 1;
    assert!(matches!(
        verify_vector(&altered).unwrap(),
        Outcome::Rejected(_)
    ));
    let mut stale = vector;
    stale.vk_digest = "0".repeat(64);
    assert!(matches!(
        verify_vector(&stale).unwrap(),
        Outcome::StaleKey { .. }
    ));
}
