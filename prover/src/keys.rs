//! Proving keys: built once per process and profile, on the verifier's keys.
//!
//! halo2 0.4 cannot serialise keys, so each process rebuilds them from the circuit. The
//! parameters and the pinned verifying key come from `zkmargin_verifier`
//! ([`VerifierKeys::for_profile`]), so a prover and a venue check the same pins with the same
//! code; the proving key is built on them.

use std::sync::Arc;

use halo2_proofs::plonk::{keygen_pk, ProvingKey};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;
use zkmargin_verifier::keys::{KeySetupError, MarginVerifyingKey, PerProfile, VerifierKeys};
use zkmargin_verifier::params::CommitmentParams;

use crate::progress::Stage;

/// The verifier's keys of one profile and the proving key built on them.
pub struct ProverKeys {
    /// Parameters and the pinned verifying key (the prover checks its own proofs with them).
    pub verifier: Arc<VerifierKeys>,
    pub pk: ProvingKey<vesta::Affine>,
}

/// Why a profile's proving key could not be had. Never the fault of the trader's input: the
/// parameters, the verifying key or halo2's key generation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvingKeyError {
    #[error(transparent)]
    Setup(#[from] KeySetupError),
    #[error("building the proving key of profile {profile} failed: {error:?}")]
    Keygen {
        profile: &'static str,
        error: halo2_proofs::plonk::Error,
    },
}

impl ProverKeys {
    /// The keys of a profile, built at most once per process (the verifier's keys are shared
    /// with any venue code in the same process).
    pub fn for_profile(profile: Profile) -> Result<Arc<ProverKeys>, ProvingKeyError> {
        static CACHE: PerProfile<ProverKeys> = PerProfile::new();
        CACHE.get_or_build(profile, || {
            let stage = Stage::start(format!(
                "loading parameters (k = {}) and the verifying key of profile {}",
                profile.k, profile.name
            ));
            let verifier = VerifierKeys::for_profile(profile)?;
            stage.finish(format!(
                "parameters k = {} ({:?}) and verifying key of profile {}",
                profile.k,
                verifier.params_source(),
                profile.name
            ));
            ProverKeys::build(verifier)
        })
    }

    /// Builds the proving key on verifier keys the caller has (no process cache; `zkmargin
    /// audit` prints the verifying key's digest before proving).
    pub fn build(verifier: Arc<VerifierKeys>) -> Result<ProverKeys, ProvingKeyError> {
        let profile = verifier.profile();
        let stage = Stage::start(format!(
            "building the proving key of profile {}",
            profile.name
        ));
        let pk = keygen_pk(
            verifier.params(),
            verifier.vk().clone(),
            &MarginCircuit::blank(profile),
        )
        .map_err(|error| ProvingKeyError::Keygen {
            profile: profile.name,
            error,
        })?;
        stage.finish(format!("proving key of profile {}", profile.name));
        Ok(ProverKeys { verifier, pk })
    }

    pub fn profile(&self) -> Profile {
        self.verifier.profile()
    }

    pub fn params(&self) -> &CommitmentParams {
        self.verifier.params()
    }

    pub fn vk(&self) -> &MarginVerifyingKey {
        self.pk.get_vk()
    }
}
