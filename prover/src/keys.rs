//! Proving keys: built once per process and profile, from the cached parameters.
//!
//! halo2 0.4 cannot serialise keys, so each process rebuilds them from the circuit; the
//! verifying key is checked against its pinned digest (`zkmargin_verifier::keys`) on the way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use halo2_proofs::plonk::{keygen_pk, ProvingKey};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;
use zkmargin_verifier::keys::{verifying_key, KeyError, MarginVerifyingKey};

use crate::params::{load_or_generate, CommitmentParams, ParamsError};
use crate::progress::Stage;

/// Parameters and keys of one profile.
pub struct Keys {
    pub profile: Profile,
    pub params: CommitmentParams,
    pub pk: ProvingKey<vesta::Affine>,
}

impl Keys {
    pub fn vk(&self) -> &MarginVerifyingKey {
        self.pk.get_vk()
    }
}

/// Why keys could not be built.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("building the proving key of profile {0} failed: {1:?}")]
    Keygen(&'static str, halo2_proofs::plonk::Error),
}

/// The parameters of a profile (cached on disk), with a progress line.
pub fn params(profile: Profile) -> Result<CommitmentParams, KeysError> {
    let stage = Stage::start(format!("loading parameters (k = {})", profile.k));
    let (params, source) = load_or_generate(profile.k)?;
    stage.finish(format!("parameters k = {} ({source:?})", profile.k));
    Ok(params)
}

/// Builds parameters and keys for a profile (no process cache).
pub fn build_keys(profile: Profile) -> Result<Keys, KeysError> {
    let params = params(profile)?;
    let stage = Stage::start(format!("building keys for profile {}", profile.name));
    let vk = verifying_key(&params, profile)?;
    let pk = keygen_pk(&params, vk, &MarginCircuit::blank(profile))
        .map_err(|e| KeysError::Keygen(profile.name, e))?;
    stage.finish(format!("keys for profile {}", profile.name));
    Ok(Keys {
        profile,
        params,
        pk,
    })
}

/// Builds the proving key of a profile from parameters and a verifying key the caller has
/// already built and checked (`zkmargin audit` prints the key's digest before proving).
pub fn keys_from(
    profile: Profile,
    params: CommitmentParams,
    vk: MarginVerifyingKey,
) -> Result<Keys, KeysError> {
    let stage = Stage::start(format!(
        "building the proving key of profile {}",
        profile.name
    ));
    let pk = keygen_pk(&params, vk, &MarginCircuit::blank(profile))
        .map_err(|e| KeysError::Keygen(profile.name, e))?;
    stage.finish(format!("proving key of profile {}", profile.name));
    Ok(Keys {
        profile,
        params,
        pk,
    })
}

/// The keys of a profile, built at most once per process.
pub fn keys(profile: Profile) -> Result<Arc<Keys>, KeysError> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<Keys>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // Holding the lock while building means two threads never build the same keys twice.
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(keys) = cache.get(profile.name) {
        return Ok(keys.clone());
    }
    let keys = Arc::new(build_keys(profile)?);
    cache.insert(profile.name, keys.clone());
    Ok(keys)
}
