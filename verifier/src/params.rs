//! Public parameters: generated once per `k`, cached on disk, checked against a pinned digest.
//! They live on the verifier's side because a venue needs them too (and links only this crate);
//! the prover takes them from here.
//!
//! `Params::new(k)` is transparent (no trusted setup) but slow: about 10 s at k = 14 on two
//! cores. The cache lives in `$ZKMARGIN_CACHE`, else `$XDG_CACHE_HOME/zkmargin`, else
//! `~/.cache/zkmargin`, else `./.zkmargin-cache`. `Params::read` does not re-derive the points,
//! so a swapped file could break soundness: every read is checked against the BLAKE2b-256
//! digest pinned below, and a file that does not match is ignored and regenerated.

use std::path::Path;

use halo2_proofs::poly::commitment::Params;
use pasta_curves::vesta;

use zkmargin_formats::write::write_atomic;

/// The commitment parameters (the proof system commits over Vesta, whose scalar field is the
/// Pallas base field the circuit works in).
pub type CommitmentParams = Params<vesta::Affine>;

/// BLAKE2b-256 of `Params::new(k)` serialised with `Params::write`, for each `k` a profile uses
/// (small 12, standard 14, large 16, desk 17). Measured with `cargo run --release -p
/// zkmargin-prover --example params_digest 12 14 16 17` (k = 17 takes about three minutes).
pub const PINNED_PARAMS_DIGESTS: &[(u32, &str)] = &[
    (
        12,
        "8d715ccc1bbb447a03a53ef53866f060ce574c0d76e00ed7aea35f8be6fc0af5",
    ),
    (
        14,
        "7e77bf05488d7e8514ef5dcbe9326091994853a7bbb1e39272a0b8fe53c6d40c",
    ),
    (
        16,
        "96148e6086e2a9d113583a62a6bbc1e1faae9f9ab5c3fa6ec545601ea5fcd802",
    ),
    (
        17,
        "375331e30b21a0188a9dcc63a67a11979ac7df716c93148a09bff27cd6c743c7",
    ),
];

/// The cache directory (shared with the risk-table check: `zkmargin_formats::cache`).
pub use zkmargin_formats::cache::{cache_dir, CACHE_ENV};

/// BLAKE2b-256 of serialised parameters, as lower-case hex.
pub fn digest_hex(bytes: &[u8]) -> String {
    let hash = blake2b_simd::Params::new().hash_length(32).hash(bytes);
    hash.to_hex().to_string()
}

/// The pinned digest for `k`, if any.
pub fn pinned_digest(k: u32) -> Option<&'static str> {
    PINNED_PARAMS_DIGESTS
        .iter()
        .find(|(pk, _)| *pk == k)
        .map(|(_, d)| *d)
}

/// Serialises parameters.
pub fn to_bytes(params: &CommitmentParams) -> Vec<u8> {
    let mut bytes = vec![];
    params
        .write(&mut bytes)
        .expect("writing to a vector cannot fail");
    bytes
}

/// Why parameters could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    #[error(
        "freshly generated parameters for k = {k} have digest {found}, not the pinned {pinned}"
    )]
    PinMismatch {
        k: u32,
        found: String,
        pinned: String,
    },
}

/// What happened while getting parameters (for the progress line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsSource {
    Cache,
    Generated,
    /// The cached file did not match the pinned digest and was replaced.
    Regenerated,
    /// Verifier parameters derived from the cached full parameters (and cached in turn).
    Derived,
}

/// Reads `k`'s parameters from `dir`, or generates (and caches) them. A cached file is used only
/// if its digest equals the pinned one.
pub fn load_or_generate_in(
    dir: &Path,
    k: u32,
) -> Result<(CommitmentParams, ParamsSource), ParamsError> {
    let path = dir.join(format!("params-k{k}.bin"));
    let pinned = pinned_digest(k);
    let mut source = ParamsSource::Generated;
    if let Ok(bytes) = std::fs::read(&path) {
        let trusted = pinned.is_some_and(|p| p == digest_hex(&bytes));
        if trusted {
            if let Ok(params) = CommitmentParams::read(&mut &bytes[..]) {
                return Ok((params, ParamsSource::Cache));
            }
        }
        source = ParamsSource::Regenerated;
    }
    let params = CommitmentParams::new(k);
    let bytes = to_bytes(&params);
    let found = digest_hex(&bytes);
    if let Some(pinned) = pinned {
        if pinned != found {
            return Err(ParamsError::PinMismatch {
                k,
                found,
                pinned: pinned.to_string(),
            });
        }
        // Only pinned parameters are cached. A cache that cannot be written (a read-only home,
        // say) costs time on the next run, not correctness: warn and go on.
        let written = std::fs::create_dir_all(dir).and_then(|()| write_atomic(&path, &bytes, None));
        if let Err(error) = written {
            eprintln!(
                "zkmargin: warning: cannot cache parameters in {}: {error}",
                path.display()
            );
        }
    }
    Ok((params, source))
}

/// `load_or_generate_in(cache_dir(), k)`.
pub fn load_or_generate(k: u32) -> Result<(CommitmentParams, ParamsSource), ParamsError> {
    load_or_generate_in(&cache_dir(), k)
}
