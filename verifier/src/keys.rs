//! Verifying keys: rebuilt from the circuit (halo2 0.4 cannot serialise them) and checked
//! against the digest pinned for each profile.
//!
//! The digest is BLAKE2b-256 of `format!("{:#?}", vk.pinned())`: the pinned form lists the
//! domain, every gate, lookup, permutation and fixed commitment, so any change to the circuit
//! changes it. A venue that rebuilt a different key would verify a different statement; it
//! refuses instead.
//!
//! [`VerifierKeys::for_profile`] is what a venue calls: the profile's parameters (from the disk
//! cache, digest pinned) and its pinned verifying key, built once per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use halo2_proofs::plonk::{keygen_vk, Error, VerifyingKey};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;

use crate::params::{load_or_generate, CommitmentParams, ParamsError, ParamsSource};

/// The verifying key of a profile's circuit.
pub type MarginVerifyingKey = VerifyingKey<vesta::Affine>;

/// Pinned verifying-key digests, one per profile. Measured with `zkmargin audit`; the test
/// `pinned_verifying_keys` in the prover crate rebuilds each key and compares.
pub const PINNED_VK_DIGESTS: &[(&str, &str)] = &[
    (
        "small",
        "1a0c6312467e5852f30dc7d817799d41e2780f531b3788e3c27dafc09cc28cc6",
    ),
    (
        "standard",
        "3897a544016e3e99aba8f6a76c59bb4edf4ea082725fe7c0f2803a8a1420551c",
    ),
    (
        "large",
        "a513d7e3944b80d88818b3079522fd44e49f883351b4580d204e7da90594337c",
    ),
    (
        "desk",
        "d28662268fe093f7fe0dc9042d64041b760a404fe7c37fc1686560dfbb18ea9c",
    ),
];

/// The pinned digest of a profile's verifying key.
pub fn pinned_vk_digest(profile: Profile) -> Option<&'static str> {
    PINNED_VK_DIGESTS
        .iter()
        .find(|(name, _)| *name == profile.name)
        .map(|(_, d)| *d)
}

/// BLAKE2b-256 of the key's pinned debug form, hex.
pub fn vk_digest(vk: &MarginVerifyingKey) -> String {
    let text = format!("{:#?}", vk.pinned());
    blake2b_simd::Params::new()
        .hash_length(32)
        .hash(text.as_bytes())
        .to_hex()
        .to_string()
}

/// Why a profile's verifying key cannot be built or used.
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
}

/// Checks that parameters have the size the profile's circuit needs.
fn check_k(params: &CommitmentParams, profile: Profile) -> Result<(), VerifyingKeyError> {
    if params.k() != profile.k {
        return Err(VerifyingKeyError::WrongK {
            profile: profile.name,
            expected: profile.k,
            found: params.k(),
        });
    }
    Ok(())
}

/// Builds a profile's verifying key without checking the pin (for `audit` and the pin test).
pub fn build_verifying_key_unchecked(
    params: &CommitmentParams,
    profile: Profile,
) -> Result<MarginVerifyingKey, VerifyingKeyError> {
    check_k(params, profile)?;
    keygen_vk(params, &MarginCircuit::blank(profile))
        .map_err(|e| VerifyingKeyError::Keygen(profile.name, e))
}

/// Builds a profile's verifying key and checks it against the pinned digest.
pub fn verifying_key(
    params: &CommitmentParams,
    profile: Profile,
) -> Result<MarginVerifyingKey, VerifyingKeyError> {
    let vk = build_verifying_key_unchecked(params, profile)?;
    check_pinned(&vk, profile)?;
    Ok(vk)
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
    Params(#[from] ParamsError),
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

/// Everything a verifier needs for one profile: the parameters and the pinned verifying key.
/// Built only through constructors that check both pins.
#[derive(Clone, Debug)]
pub struct VerifierKeys {
    profile: Profile,
    params: CommitmentParams,
    vk: MarginVerifyingKey,
    params_source: ParamsSource,
}

impl VerifierKeys {
    /// The keys of a profile, warm: built at most once per process, from the parameter cache
    /// (`params::load_or_generate`). The prover builds its proving key on these.
    pub fn for_profile(profile: Profile) -> Result<Arc<VerifierKeys>, KeySetupError> {
        static CACHE: PerProfile<VerifierKeys> = PerProfile::new();
        CACHE.get_or_build(profile, || {
            let (params, source) = load_or_generate(profile.k)?;
            Ok(VerifierKeys::from_params(profile, params, source)?)
        })
    }

    /// Builds the pinned verifying key from parameters the caller has (no process cache).
    pub fn from_params(
        profile: Profile,
        params: CommitmentParams,
        params_source: ParamsSource,
    ) -> Result<VerifierKeys, VerifyingKeyError> {
        let vk = verifying_key(&params, profile)?;
        Ok(VerifierKeys {
            profile,
            params,
            vk,
            params_source,
        })
    }

    /// Takes a verifying key the caller built (`audit` prints its digest first), checking the
    /// parameters' size and the key's pin.
    pub fn from_parts(
        profile: Profile,
        params: CommitmentParams,
        params_source: ParamsSource,
        vk: MarginVerifyingKey,
    ) -> Result<VerifierKeys, VerifyingKeyError> {
        check_k(&params, profile)?;
        check_pinned(&vk, profile)?;
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

    pub fn params(&self) -> &CommitmentParams {
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
