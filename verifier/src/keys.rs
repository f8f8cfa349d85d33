//! Verifying keys: rebuilt from the circuit (halo2 0.4 cannot serialise them) and checked
//! against the digest pinned for each profile.
//!
//! The digest is BLAKE2b-256 of `format!("{:#?}", vk.pinned())`: the pinned form lists the
//! domain, every gate, lookup, permutation and fixed commitment, so any change to the circuit
//! changes it. A venue that rebuilt a different key would verify a different statement; it
//! refuses instead.

use halo2_proofs::plonk::{keygen_vk, Error, VerifyingKey};
use halo2_proofs::poly::commitment::Params;
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;

/// The verifying key of a profile's circuit.
pub type MarginVerifyingKey = VerifyingKey<vesta::Affine>;

/// Pinned verifying-key digests, one per profile. Measured with `zkmargin audit`; the test
/// `pinned_verifying_keys` in the prover crate rebuilds each key and compares.
pub const PINNED_VK_DIGESTS: &[(&str, &str)] = &[
    (
        "small",
        "ac8dbcd8f4c28db7082d4715e0d2f9c8331968eb96dd80fa1a4ff8010e1b2a7f",
    ),
    (
        "standard",
        "c04aefcb41cd634c8e26f6d3c6d4c9c707e9a76cc7e3dfa2d3b10f3888eea3e8",
    ),
    (
        "large",
        "81d28c0073abc2e3dd69fa6aa6389bc45e0854a38764b54f4350a3ac24d8ebbb",
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

/// Why a verifying key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
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

/// Builds a profile's verifying key without checking the pin (for `audit` and the pin test).
pub fn build_verifying_key_unchecked(
    params: &Params<vesta::Affine>,
    profile: Profile,
) -> Result<MarginVerifyingKey, KeyError> {
    if params.k() != profile.k {
        return Err(KeyError::WrongK {
            profile: profile.name,
            expected: profile.k,
            found: params.k(),
        });
    }
    keygen_vk(params, &MarginCircuit::blank(profile)).map_err(|e| KeyError::Keygen(profile.name, e))
}

/// Builds a profile's verifying key and checks it against the pinned digest.
pub fn verifying_key(
    params: &Params<vesta::Affine>,
    profile: Profile,
) -> Result<MarginVerifyingKey, KeyError> {
    let vk = build_verifying_key_unchecked(params, profile)?;
    // A profile without a pin has no audited key: refuse it like a mismatch.
    let pinned = pinned_vk_digest(profile).unwrap_or("(none pinned)");
    let found = vk_digest(&vk);
    if found != pinned {
        return Err(KeyError::Unpinned {
            profile: profile.name,
            found,
            pinned: pinned.to_string(),
        });
    }
    Ok(vk)
}
