//! Verifying keys: one file per profile, shipped with this crate, read and checked against
//! pins. Verifiers (the CLI's `verify`, the gateway, the contract) read keys; only the prover
//! builds them, and it checks what it builds against these files.
//!
//! `keygen_vk` commits to every fixed and permutation column of the circuit: about 0.8 s at
//! k = 14 natively, 77.7 M SDK gas in the contract. The vendored halo2 writes a key (its
//! commitments and the selectors' bitmaps) and reads it back in milliseconds, so each profile's
//! key is a file in `verifier/keys/<profile>.vk`, compiled in with `include_bytes!`.
//!
//! Two digests are pinned per profile, both BLAKE2b-256:
//! - of the key's pinned form, `format!("{:#?}", vk.pinned())`: it lists the domain, every gate,
//!   lookup, permutation and fixed commitment, so any change to the circuit changes it; the
//!   identity an auditor compares (`zkmargin audit` prints it for a key it builds itself);
//! - of the key's file: checked before the file is parsed, so that a flipped byte or another
//!   profile's file is refused by name, never used. The contract checks this one only (the
//!   pinned form is code and gas it cannot spare).
//!
//! After an intended circuit change, `cargo run --release -p zkmargin-prover --example pins`
//! rewrites the files and prints both digests to pin here; `prover/tests/pins.rs` fails until
//! they are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use halo2_proofs::plonk::{keygen_vk, Error, VerifyingKey};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;

use crate::params::{digest_hex, CommitmentParams, ParamsSource};
use crate::verifier_params::{load_or_derive, VerifierParams, VerifierParamsError};

/// The verifying key of a profile's circuit.
pub type MarginVerifyingKey = VerifyingKey<vesta::Affine>;

/// Pinned digests of the keys' pinned forms, one per profile. Measured with the pins example;
/// `prover/tests/pins.rs` builds each key and compares.
pub const PINNED_VK_DIGESTS: &[(&str, &str)] = &[
    (
        "small",
        "98b3abf85de953a7aba4f8a97d207ff84ff7fa883a84dd7288d1df645a519912",
    ),
    (
        "standard",
        "872031f3de03d2e60e14e61b21251600b434e00985d4c1489982ff6e5b5a7506",
    ),
    (
        "large",
        "55c770ed386416d3cc0783f39669e1dc8ed1dca91c22653f0004a349d038f8fa",
    ),
    (
        "desk",
        "c31aeee039e94a4bd413fb2c41cbeefd182972764df9e9b231bb1d276b9b7c24",
    ),
];

/// Pinned digests of the key files (`keys/<profile>.vk`), one per profile.
pub const PINNED_VK_FILE_DIGESTS: &[(&str, &str)] = &[
    (
        "small",
        "dde969b836f74f263094fbde3bb1301a75b56c1a50df6ebcc07ab801bb9fff25",
    ),
    (
        "standard",
        "4940bf177ffa99d630640ab449c7227fdd812f352afd8295f21b7ce99f0e2ef5",
    ),
    (
        "large",
        "999f219116d9fffe827ed4509e3ceb8b71cce89d0ff89fd0835fcdf09bc766a4",
    ),
    (
        "desk",
        "f332cc6c8350babb238dc01b6ab64a9728cc1e4722e68e5f37f9aacf81eae9f9",
    ),
];

/// The key files, as this crate ships them.
const KEY_FILES: &[(&str, &[u8])] = &[
    ("small", include_bytes!("../keys/small.vk")),
    ("standard", include_bytes!("../keys/standard.vk")),
    ("large", include_bytes!("../keys/large.vk")),
    ("desk", include_bytes!("../keys/desk.vk")),
];

fn find<T: Copy>(table: &[(&str, T)], profile: Profile) -> Option<T> {
    table
        .iter()
        .find(|(name, _)| *name == profile.name)
        .map(|(_, value)| *value)
}

/// The pinned digest of a profile's verifying key (its pinned form).
pub fn pinned_vk_digest(profile: Profile) -> Option<&'static str> {
    find(PINNED_VK_DIGESTS, profile)
}

/// The pinned digest of a profile's key file.
pub fn pinned_vk_file_digest(profile: Profile) -> Option<&'static str> {
    find(PINNED_VK_FILE_DIGESTS, profile)
}

/// The bytes of a profile's key file as this crate ships them (not yet checked).
pub fn stored_key_file(profile: Profile) -> Option<&'static [u8]> {
    find(KEY_FILES, profile)
}

/// Where a profile's key file lives in the repository (for messages).
pub fn key_file_name(profile: Profile) -> String {
    format!("verifier/keys/{}.vk", profile.name)
}

/// BLAKE2b-256 of the key's pinned debug form, hex.
pub fn vk_digest(vk: &MarginVerifyingKey) -> String {
    digest_hex(format!("{:#?}", vk.pinned()).as_bytes())
}

/// A key as a file (`VerifyingKey::write`).
pub fn key_file_bytes(vk: &MarginVerifyingKey) -> Vec<u8> {
    let mut bytes = vec![];
    vk.write(&mut bytes)
        .expect("writing to a vector cannot fail");
    bytes
}

/// Why a profile's verifying key cannot be had or used.
#[derive(Debug, thiserror::Error)]
pub enum VerifyingKeyError {
    #[error("the parameters have k = {found}, profile {profile} needs k = {expected}")]
    WrongK {
        profile: &'static str,
        expected: u32,
        found: u32,
    },
    #[error("building the verifying key of profile {0} failed: {1:?}")]
    Keygen(&'static str, Error),
    #[error("the verifying key of profile {profile} has digest {found}, not the pinned {pinned}: this build's circuit is not the audited one")]
    Unpinned {
        profile: &'static str,
        found: String,
        pinned: String,
    },
    #[error("no verifying key of profile {0} is stored with this build")]
    NotStored(&'static str),
    #[error("the verifying key file of profile {profile} ({file}) has digest {found}, not the pinned {pinned}: a damaged file, or another profile's; refused")]
    FileUnpinned {
        profile: &'static str,
        file: String,
        found: String,
        pinned: String,
    },
    #[error("the verifying key file of profile {profile} ({file}) does not read: {reason}")]
    Unreadable {
        profile: &'static str,
        file: String,
        reason: String,
    },
    #[error("the verifying key built for profile {profile} is not the stored one ({file}): this build's circuit is not the pinned one; re-pin with the pins example after an intended change")]
    DiffersFromStored { profile: &'static str, file: String },
}

/// Checks that parameters have the size the profile's circuit needs.
fn check_k(k: u32, profile: Profile) -> Result<(), VerifyingKeyError> {
    if k != profile.k {
        return Err(VerifyingKeyError::WrongK {
            profile: profile.name,
            expected: profile.k,
            found: k,
        });
    }
    Ok(())
}

/// Reads a profile's key file after checking it against the pinned file digest; every byte
/// must belong to the key. What the contract calls on the bytes it stores.
pub fn read_key_file(
    profile: Profile,
    bytes: &[u8],
) -> Result<MarginVerifyingKey, VerifyingKeyError> {
    let file = key_file_name(profile);
    let found = digest_hex(bytes);
    let pinned = pinned_vk_file_digest(profile).unwrap_or("(none pinned)");
    if found != pinned {
        return Err(VerifyingKeyError::FileUnpinned {
            profile: profile.name,
            file,
            found,
            pinned: pinned.to_string(),
        });
    }
    let unreadable = |reason: String| VerifyingKeyError::Unreadable {
        profile: profile.name,
        file: file.clone(),
        reason,
    };
    let mut reader = bytes;
    let vk = MarginVerifyingKey::read::<_, MarginCircuit>(&mut reader, profile.k)
        .map_err(|e| unreadable(e.to_string()))?;
    if !reader.is_empty() {
        return Err(unreadable(format!("{} bytes after the key", reader.len())));
    }
    Ok(vk)
}

/// The profile's stored key, read and checked against both pins.
pub fn stored_verifying_key(profile: Profile) -> Result<MarginVerifyingKey, VerifyingKeyError> {
    let bytes = stored_key_file(profile).ok_or(VerifyingKeyError::NotStored(profile.name))?;
    let vk = read_key_file(profile, bytes)?;
    check_pinned(&vk, profile)?;
    Ok(vk)
}

/// Builds a profile's verifying key with `keygen_vk`, checking no pin (the prover checks it
/// against the stored key; `audit` and the pins example print its digest).
pub fn build_verifying_key_unchecked(
    params: &CommitmentParams,
    profile: Profile,
) -> Result<MarginVerifyingKey, VerifyingKeyError> {
    check_k(params.k(), profile)?;
    keygen_vk(params, &MarginCircuit::blank(profile))
        .map_err(|e| VerifyingKeyError::Keygen(profile.name, e))
}

/// Checks that a key (built by the caller) is the profile's stored one, byte for byte, and has
/// the pinned digest (the stored file has it: `stored_keys_are_pinned` in the tests).
pub fn check_stored(vk: &MarginVerifyingKey, profile: Profile) -> Result<(), VerifyingKeyError> {
    let stored = stored_key_file(profile).ok_or(VerifyingKeyError::NotStored(profile.name))?;
    if key_file_bytes(vk) != stored {
        return Err(VerifyingKeyError::DiffersFromStored {
            profile: profile.name,
            file: key_file_name(profile),
        });
    }
    check_pinned(vk, profile)
}

/// Checks a verifying key against its profile's pinned digest.
pub fn check_pinned(vk: &MarginVerifyingKey, profile: Profile) -> Result<(), VerifyingKeyError> {
    // A profile without a pin has no audited key: refuse it like a mismatch.
    let pinned = pinned_vk_digest(profile).unwrap_or("(none pinned)");
    let found = vk_digest(vk);
    if found != pinned {
        return Err(VerifyingKeyError::Unpinned {
            profile: profile.name,
            found,
            pinned: pinned.to_string(),
        });
    }
    Ok(())
}

/// Why a profile's keys could not be set up: its parameters, or its verifying key. Neither is
/// the fault of a proof being verified; both mean this installation or build is broken.
#[derive(Debug, thiserror::Error)]
pub enum KeySetupError {
    #[error(transparent)]
    Params(#[from] VerifierParamsError),
    #[error(transparent)]
    VerifyingKey(#[from] VerifyingKeyError),
}

/// Something built at most once per process and profile (keys: slow to build, immutable).
pub struct PerProfile<T> {
    built: OnceLock<Mutex<HashMap<&'static str, Arc<T>>>>,
}

impl<T> PerProfile<T> {
    pub const fn new() -> PerProfile<T> {
        PerProfile {
            built: OnceLock::new(),
        }
    }

    /// The profile's value, built by `build` the first time. Holding the lock while building
    /// means two threads never build the same value twice; a failure is not cached.
    pub fn get_or_build<E>(
        &self,
        profile: Profile,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let mut built = self
            .built
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = built.get(profile.name) {
            return Ok(value.clone());
        }
        let value = Arc::new(build()?);
        built.insert(profile.name, value.clone());
        Ok(value)
    }
}

impl<T> Default for PerProfile<T> {
    fn default() -> PerProfile<T> {
        PerProfile::new()
    }
}

/// Everything a verifier needs for one profile: the verifier's parameters and the pinned
/// verifying key. Built only through constructors that check both.
#[derive(Clone, Debug)]
pub struct VerifierKeys {
    profile: Profile,
    params: VerifierParams,
    vk: MarginVerifyingKey,
    params_source: ParamsSource,
}

impl VerifierKeys {
    /// The keys of a profile, read at most once per process: the stored key (both pins
    /// checked) and the verifier's parameters from the cache (`verifier_params::load_or_derive`,
    /// digest pinned).
    pub fn for_profile(profile: Profile) -> Result<Arc<VerifierKeys>, KeySetupError> {
        static CACHE: PerProfile<VerifierKeys> = PerProfile::new();
        CACHE.get_or_build(profile, || {
            let vk = stored_verifying_key(profile)?;
            let (params, source) = load_or_derive(profile.k)?;
            Ok(VerifierKeys::assemble(profile, params, source, vk)?)
        })
    }

    /// Takes parameters and a key the caller has, checking the parameters' size and the key's
    /// pin.
    pub fn from_parts(
        profile: Profile,
        params: VerifierParams,
        params_source: ParamsSource,
        vk: MarginVerifyingKey,
    ) -> Result<VerifierKeys, VerifyingKeyError> {
        check_pinned(&vk, profile)?;
        VerifierKeys::assemble(profile, params, params_source, vk)
    }

    /// The keys of a pinned `vk` (checked by the caller) and parameters of the profile's size.
    fn assemble(
        profile: Profile,
        params: VerifierParams,
        params_source: ParamsSource,
        vk: MarginVerifyingKey,
    ) -> Result<VerifierKeys, VerifyingKeyError> {
        check_k(params.k(), profile)?;
        Ok(VerifierKeys {
            profile,
            params,
            vk,
            params_source,
        })
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn params(&self) -> &VerifierParams {
        &self.params
    }

    pub fn vk(&self) -> &MarginVerifyingKey {
        &self.vk
    }

    /// Where the parameters came from (for a progress line).
    pub fn params_source(&self) -> ParamsSource {
        self.params_source
    }
}
