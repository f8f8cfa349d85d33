//! Prints the BLAKE2b-256 digest of `Params::new(k)` for the given k (the values pinned in
//! `zkmargin_verifier::params::PINNED_PARAMS_DIGESTS`). Usage: `cargo run --release --example params_digest 12 14 16 17`.
fn main() {
    for arg in std::env::args().skip(1) {
        let k: u32 = arg.parse().expect("k");
        let t = std::time::Instant::now();
        let params = zkmargin_verifier::params::CommitmentParams::new(k);
        let bytes = zkmargin_verifier::params::to_bytes(&params);
        println!(
            "k={k} digest={} bytes={} in {:?}",
            zkmargin_verifier::params::digest_hex(&bytes),
            bytes.len(),
            t.elapsed()
        );
    }
}
