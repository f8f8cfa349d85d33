//! Prints the BLAKE2b-256 digests of `Params::new(k)` (the values pinned in
//! `zkmargin_verifier::params::PINNED_PARAMS_DIGESTS`) and of the verifier's file derived from
//! it (`zkmargin_verifier::verifier_params::PINNED_VERIFIER_PARAMS_DIGESTS`) for the given k.
//! Usage: `cargo run --release -p zkmargin-prover --example params_digest 12 14 16 17`.
use zkmargin_verifier::params::{digest_hex, to_bytes, CommitmentParams};
use zkmargin_verifier::verifier_params::VerifierParams;

fn main() {
    for arg in std::env::args().skip(1) {
        let k: u32 = arg.parse().expect("k");
        let t = std::time::Instant::now();
        let params = CommitmentParams::new(k);
        let bytes = to_bytes(&params);
        let verifier = VerifierParams::file_of(&params)
            .map(|file| format!("{} ({} bytes)", digest_hex(&file), file.len()))
            .unwrap_or_else(|e| e.to_string());
        println!(
            "k={k} digest={} bytes={} verifier={verifier} in {:?}",
            digest_hex(&bytes),
            bytes.len(),
            t.elapsed()
        );
    }
}
