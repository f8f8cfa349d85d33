//! The verifier's own parameters and keys: a venue gets warm, pinned keys from this crate alone.

use std::sync::Arc;

use zkmargin_circuits::profile::SMALL;
use zkmargin_verifier::keys::{pinned_vk_digest, vk_digest, VerifyingKeyError};
use zkmargin_verifier::params::{
    digest_hex, load_or_generate, load_or_generate_in, pinned_digest, ParamsSource,
};
use zkmargin_verifier::VerifierKeys;

#[test]
fn warm_keys_are_built_once_per_process_and_pinned() {
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
fn keys_of_the_wrong_size_are_refused() {
    let (params, source) = load_or_generate(SMALL.k).unwrap();
    let vk = VerifierKeys::for_profile(SMALL).unwrap().vk().clone();
    let bigger = zkmargin_circuits::profile::STANDARD;
    assert!(matches!(
        VerifierKeys::from_parts(bigger, params.clone(), source, vk.clone()),
        Err(VerifyingKeyError::WrongK { .. })
    ));
    assert!(VerifierKeys::from_parts(SMALL, params, source, vk).is_ok());
}

#[test]
fn a_swapped_parameter_file_is_ignored_and_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("params-k{}.bin", SMALL.k));
    std::fs::write(&path, b"not the parameters").unwrap();
    let (_, source) = load_or_generate_in(dir.path(), SMALL.k).unwrap();
    assert_eq!(source, ParamsSource::Regenerated);
    let cached = std::fs::read(&path).unwrap();
    assert_eq!(Some(digest_hex(&cached).as_str()), pinned_digest(SMALL.k));
    let (_, source) = load_or_generate_in(dir.path(), SMALL.k).unwrap();
    assert_eq!(source, ParamsSource::Cache);
}
