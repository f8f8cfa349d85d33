//! The verifier's own parameters and keys: a venue gets warm, pinned keys from this crate alone,
//! reads each stored key against its pins, and refuses a damaged or swapped file.

use std::sync::Arc;

use zkmargin_circuits::profile::{ALL, DESK, SMALL, STANDARD};
use zkmargin_verifier::keys::{
    key_file_bytes, pinned_vk_digest, read_key_file, stored_key_file, stored_verifying_key,
    vk_digest, VerifyingKeyError,
};
use zkmargin_verifier::params::{digest_hex, load_or_generate_in, pinned_digest, ParamsSource};
use zkmargin_verifier::verifier_params::{
    load_or_derive, load_or_derive_in, pinned_verifier_digest, VerifierParams, VerifierParamsError,
};
use zkmargin_verifier::VerifierKeys;

#[test]
fn warm_keys_are_read_once_per_process_and_pinned() {
    let first = VerifierKeys::for_profile(SMALL).unwrap();
    let again = VerifierKeys::for_profile(SMALL).unwrap();
    assert!(Arc::ptr_eq(&first, &again), "the second call is warm");
    assert_eq!(first.profile(), SMALL);
    assert_eq!(first.params().k(), SMALL.k);
    assert_eq!(
        Some(vk_digest(first.vk()).as_str()),
        pinned_vk_digest(SMALL)
    );
}

#[test]
fn every_stored_key_reads_with_both_pins() {
    for profile in ALL {
        let vk = stored_verifying_key(profile)
            .unwrap_or_else(|e| panic!("profile {}: {e}", profile.name));
        assert_eq!(Some(vk_digest(&vk).as_str()), pinned_vk_digest(profile));
        // Written again, the key is its file: nothing is lost in reading.
        assert_eq!(
            Some(key_file_bytes(&vk).as_slice()),
            stored_key_file(profile)
        );
    }
}

#[test]
fn a_damaged_key_file_is_refused_by_name() {
    let file = stored_key_file(SMALL).unwrap();
    // A byte of each part: the header, a selector bitmap, the last commitment.
    for at in [1, 20, file.len() - 1] {
        let mut damaged = file.to_vec();
        damaged[at] ^= 1;
        let error = read_key_file(SMALL, &damaged).unwrap_err();
        assert!(
            matches!(error, VerifyingKeyError::FileUnpinned { .. }),
            "byte {at}: {error}"
        );
        let message = error.to_string();
        assert!(
            message.contains("verifier/keys/small.vk") && message.contains("refused"),
            "{message}"
        );
    }
    // Truncated, or with a byte more: the digest no longer matches either.
    assert!(read_key_file(SMALL, &file[..file.len() - 1]).is_err());
    assert!(read_key_file(SMALL, &[file, &[0]].concat()).is_err());
}

#[test]
fn another_profiles_key_file_is_refused() {
    for (claimed, actual) in [(SMALL, STANDARD), (STANDARD, SMALL), (DESK, SMALL)] {
        let error = read_key_file(claimed, stored_key_file(actual).unwrap()).unwrap_err();
        assert!(
            matches!(error, VerifyingKeyError::FileUnpinned { profile, .. } if profile == claimed.name),
            "{} read as {}: {error}",
            actual.name,
            claimed.name
        );
    }
}

#[test]
fn keys_of_the_wrong_size_are_refused() {
    // The standard key, pinned and whole, with parameters of the small profile's size.
    let (params, source) = load_or_derive(SMALL.k).unwrap();
    let standard = VerifierKeys::for_profile(STANDARD).unwrap().vk().clone();
    assert!(matches!(
        VerifierKeys::from_parts(STANDARD, params.clone(), source, standard),
        Err(VerifyingKeyError::WrongK { .. })
    ));
    let vk = VerifierKeys::for_profile(SMALL).unwrap().vk().clone();
    assert!(VerifierKeys::from_parts(SMALL, params, source, vk).is_ok());
}

#[test]
fn swapped_parameter_files_are_ignored_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let k = SMALL.k;
    let full = dir.path().join(format!("params-k{k}.bin"));
    std::fs::write(&full, b"not the parameters").unwrap();
    let (_, source) = load_or_generate_in(dir.path(), k).unwrap();
    assert_eq!(source, ParamsSource::Regenerated);
    let cached = std::fs::read(&full).unwrap();
    assert_eq!(Some(digest_hex(&cached).as_str()), pinned_digest(k));
    let (_, source) = load_or_generate_in(dir.path(), k).unwrap();
    assert_eq!(source, ParamsSource::Cache);

    // The verifier's file: derived from the cached full parameters, then read from its own.
    let lean = dir.path().join(format!("verifier-params-k{k}.bin"));
    let (_, source) = load_or_derive_in(dir.path(), k).unwrap();
    assert_eq!(source, ParamsSource::Derived);
    let cached = std::fs::read(&lean).unwrap();
    assert_eq!(
        Some(digest_hex(&cached).as_str()),
        pinned_verifier_digest(k)
    );
    let (_, source) = load_or_derive_in(dir.path(), k).unwrap();
    assert_eq!(source, ParamsSource::Cache);
    // A flipped byte (still points on the curve or not, the digest says no): replaced.
    let mut damaged = cached.clone();
    damaged[100] ^= 1;
    std::fs::write(&lean, &damaged).unwrap();
    let (_, source) = load_or_derive_in(dir.path(), k).unwrap();
    assert_eq!(source, ParamsSource::Regenerated);
    assert_eq!(std::fs::read(&lean).unwrap(), cached);
}

#[test]
fn a_verifier_parameter_file_is_read_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    load_or_derive_in(dir.path(), SMALL.k).unwrap();
    let file = std::fs::read(dir.path().join(format!("verifier-params-k{}.bin", SMALL.k))).unwrap();
    assert_eq!(VerifierParams::read(&file).unwrap().k(), SMALL.k);
    assert!(matches!(
        VerifierParams::read(&[file.as_slice(), &[0]].concat()),
        Err(VerifierParamsError::Trailing(1))
    ));
    assert!(matches!(
        VerifierParams::read(&file[..file.len() - 1]),
        Err(VerifierParamsError::Unreadable(_))
    ));
}
