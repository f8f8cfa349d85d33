//! Proving keys: built once per process and profile. The prover alone builds verifying keys:
//! it runs `keygen_vk` on the full parameters and refuses a key that is not the one stored
//! with the verifier crate (`zkmargin_verifier::keys`), so that what it proves is what every
//! venue and the contract verify.
//!
//! The full parameters come from `zkmargin_verifier::params` (disk cache, digest pinned); the
//! verifier's keys ([`VerifierKeys::for_profile`]: the stored key, the verifier's parameters)
//! are the ones the prover checks its own proofs with, shared with any venue code in the same
//! process.

use std::sync::Arc;

use halo2_proofs::plonk::{keygen_pk, ProvingKey};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;
use zkmargin_verifier::keys::{
    build_verifying_key_unchecked, check_stored, KeySetupError, MarginVerifyingKey, PerProfile,
    VerifierKeys, VerifyingKeyError,
};
use zkmargin_verifier::params::{load_or_generate, CommitmentParams, ParamsError};

use crate::progress::Stage;

/// The full parameters, the proving key, and the verifier's keys of one profile.
pub struct ProverKeys {
    /// The stored verifying key and the verifier's parameters (the prover checks its own
    /// proofs with them).
    pub verifier: Arc<VerifierKeys>,
    /// The full parameters (proving commits to whole polynomials).
    params: CommitmentParams,
    pub pk: ProvingKey<vesta::Affine>,
}

/// Why a profile's proving key could not be had. Never the fault of the trader's input: the
/// parameters, the verifying key or halo2's key generation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvingKeyError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(transparent)]
    VerifyingKey(#[from] VerifyingKeyError),
    #[error(transparent)]
    Setup(#[from] KeySetupError),
    #[error("building the proving key of profile {profile} failed: {error:?}")]
    Keygen {
        profile: &'static str,
        error: halo2_proofs::plonk::Error,
    },
}

impl ProverKeys {
    /// The keys of a profile, built at most once per process.
    pub fn for_profile(profile: Profile) -> Result<Arc<ProverKeys>, ProvingKeyError> {
        static CACHE: PerProfile<ProverKeys> = PerProfile::new();
        CACHE.get_or_build(profile, || {
            let stage = Stage::start(format!(
                "loading parameters (k = {}) and building the verifying key of profile {}",
                profile.k, profile.name
            ));
            let (params, source) = load_or_generate(profile.k)?;
            let vk = build_verifying_key_unchecked(&params, profile)?;
            stage.finish(format!(
                "parameters k = {} ({source:?}) and verifying key of profile {} (the stored one)",
                profile.k, profile.name
            ));
            ProverKeys::build(profile, params, vk)
        })
    }

    /// Builds the proving key on full parameters and a verifying key the caller built (no
    /// process cache; `zkmargin audit` prints the key's digest first). A key that is not the
    /// stored one is refused.
    pub fn build(
        profile: Profile,
        params: CommitmentParams,
        vk: MarginVerifyingKey,
    ) -> Result<ProverKeys, ProvingKeyError> {
        check_stored(&vk, profile)?;
        let verifier = VerifierKeys::for_profile(profile)?;
        let stage = Stage::start(format!(
            "building the proving key of profile {}",
            profile.name
        ));
        let pk = keygen_pk(&params, vk, &MarginCircuit::blank(profile)).map_err(|error| {
            ProvingKeyError::Keygen {
                profile: profile.name,
                error,
            }
        })?;
        stage.finish(format!("proving key of profile {}", profile.name));
        Ok(ProverKeys {
            verifier,
            params,
            pk,
        })
    }

    pub fn profile(&self) -> Profile {
        self.verifier.profile()
    }

    /// The full parameters (for proving).
    pub fn params(&self) -> &CommitmentParams {
        &self.params
    }

    pub fn vk(&self) -> &MarginVerifyingKey {
        self.pk.get_vk()
    }
}
