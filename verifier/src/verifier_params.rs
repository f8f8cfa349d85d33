//! Parameters for verifiers: of a size's parameters, only what `verify_proof` reads, with the
//! points uncompressed.
//!
//! The full parameters ([`crate::params`], what the prover needs) are 2^(k+1) compressed
//! points, and reading them decompresses every one, a square root each: 6 M of the contract's
//! SDK gas at k = 12, and the bulk of a fresh process's start natively. A verifier reads all of
//! `g`, `w` and `u`, but of `g_lagrange` only as many points as the instance column has rows.
//! The vendored halo2's `Params::write_verifier` writes just those, uncompressed, and
//! `read_verifier` reads them back with an on-curve check instead of a square root.
//!
//! The file is derived from the full parameters (themselves generated or read from the cache
//! and checked against their pin), cached beside them as `verifier-params-k{k}.bin`, and
//! checked against its own pinned digest whenever it is read: like the full file, a swapped
//! one would break soundness, and `read_verifier` cannot tell.

use std::path::Path;

use zkmargin_circuits::instance::InstanceLayout;
use zkmargin_circuits::profile::ALL;
use zkmargin_formats::write::write_atomic;

use crate::params::{
    cache_dir, digest_hex, load_or_generate_in, CommitmentParams, ParamsError, ParamsSource,
};

/// BLAKE2b-256 of the verifier's file for each `k` a profile uses, as
/// `Params::write_verifier(lagrange_len(k))` writes it from `Params::new(k)`. Measured with
/// `cargo run --release -p zkmargin-prover --example params_digest 12 14 16 17`.
pub const PINNED_VERIFIER_PARAMS_DIGESTS: &[(u32, &str)] = &[
    (
        12,
        "de5d0c899311f8e9d44c29f0e94594c1a21104fdaf2a3c9b1e94448a59971e7e",
    ),
    (
        14,
        "c37e62b535f6861bf102ca363902dbb4fd1a66422c9a97786decf50e48fb0dfb",
    ),
    (
        16,
        "0f8daf117e793b4d41664aa4e56699f1b4505c5783596ff1628a9aef5b0a92ca",
    ),
    (
        17,
        "d3f4d580b14513f38492f9ab3922f9243dcd6673f61d491c57db19e3c9fb3aee",
    ),
];

/// The pinned digest of the verifier's file for `k`, if any.
pub fn pinned_verifier_digest(k: u32) -> Option<&'static str> {
    PINNED_VERIFIER_PARAMS_DIGESTS
        .iter()
        .find(|(pk, _)| *pk == k)
        .map(|(_, d)| *d)
}

/// How many Lagrange points a verifier of size `k` keeps: the longest instance column among the
/// profiles of that size (`None` when no profile has it).
pub fn lagrange_len(k: u32) -> Option<usize> {
    ALL.iter()
        .filter(|profile| profile.k == k)
        .map(|profile| InstanceLayout::new(*profile).len())
        .max()
}

/// Parameters that verify proofs and do nothing else (no key generation, no proving: they lack
/// most Lagrange points). Only built by reading a verifier's file.
#[derive(Clone, Debug)]
pub struct VerifierParams {
    params: CommitmentParams,
}

/// Why verifier parameters cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum VerifierParamsError {
    /// The full parameters they are derived from.
    #[error(transparent)]
    Full(#[from] ParamsError),
    #[error("no profile has k = {0}: there are no verifier parameters of that size")]
    NoProfile(u32),
    #[error("the verifier parameters are unreadable: {0}")]
    Unreadable(String),
    #[error("the verifier parameters have {0} bytes after their end")]
    Trailing(usize),
    #[error("no digest of verifier parameters for k = {k} is pinned (derived: {found})")]
    Unpinned { k: u32, found: String },
    #[error(
        "verifier parameters derived for k = {k} have digest {found}, not the pinned {pinned}"
    )]
    PinMismatch {
        k: u32,
        found: String,
        pinned: String,
    },
}

impl VerifierParams {
    /// The verifier's file of full parameters, for the profiles of their size.
    pub fn file_of(full: &CommitmentParams) -> Result<Vec<u8>, VerifierParamsError> {
        let lagrange = lagrange_len(full.k()).ok_or(VerifierParamsError::NoProfile(full.k()))?;
        let mut bytes = vec![];
        full.write_verifier(&mut bytes, lagrange)
            .map_err(|e| VerifierParamsError::Unreadable(e.to_string()))?;
        Ok(bytes)
    }

    /// Reads a verifier's file, every byte of it. The caller checks its digest first (the
    /// points are checked to be on the curve, not to be the right ones).
    pub fn read(bytes: &[u8]) -> Result<VerifierParams, VerifierParamsError> {
        let mut reader = bytes;
        let params = CommitmentParams::read_verifier(&mut reader)
            .map_err(|e| VerifierParamsError::Unreadable(e.to_string()))?;
        if !reader.is_empty() {
            return Err(VerifierParamsError::Trailing(reader.len()));
        }
        Ok(VerifierParams { params })
    }

    pub fn k(&self) -> u32 {
        self.params.k()
    }

    /// The halo2 parameters, for `verify_proof` and the batch verifier only (committing to a
    /// whole polynomial with them panics: most Lagrange points are absent).
    pub fn halo2(&self) -> &CommitmentParams {
        &self.params
    }
}

/// Reads `k`'s verifier parameters from `dir`, or derives them from the full parameters (read
/// or generated there, `params::load_or_generate_in`) and caches them. A cached file is used
/// only if its digest is the pinned one.
pub fn load_or_derive_in(
    dir: &Path,
    k: u32,
) -> Result<(VerifierParams, ParamsSource), VerifierParamsError> {
    let path = dir.join(format!("verifier-params-k{k}.bin"));
    let pinned = pinned_verifier_digest(k);
    let mut replaced = false;
    if let Ok(bytes) = std::fs::read(&path) {
        if pinned.is_some_and(|p| p == digest_hex(&bytes)) {
            if let Ok(params) = VerifierParams::read(&bytes) {
                return Ok((params, ParamsSource::Cache));
            }
        }
        replaced = true;
    }
    let (full, full_source) = load_or_generate_in(dir, k)?;
    let bytes = VerifierParams::file_of(&full)?;
    let found = digest_hex(&bytes);
    let Some(pinned) = pinned else {
        return Err(VerifierParamsError::Unpinned { k, found });
    };
    if pinned != found {
        return Err(VerifierParamsError::PinMismatch {
            k,
            found,
            pinned: pinned.to_string(),
        });
    }
    // As for the full parameters: a cache that cannot be written costs time, not correctness.
    if let Err(error) = write_atomic(&path, &bytes, None) {
        eprintln!(
            "zkmargin: warning: cannot cache verifier parameters in {}: {error}",
            path.display()
        );
    }
    let params = VerifierParams::read(&bytes)?;
    let source = match (replaced, full_source) {
        (true, _) => ParamsSource::Regenerated,
        (false, ParamsSource::Cache) => ParamsSource::Derived,
        (false, source) => source,
    };
    Ok((params, source))
}

/// `load_or_derive_in(cache_dir(), k)`.
pub fn load_or_derive(k: u32) -> Result<(VerifierParams, ParamsSource), VerifierParamsError> {
    load_or_derive_in(&cache_dir(), k)
}
