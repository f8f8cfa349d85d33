//! Prints, for each profile given (default all), the verifying-key digest and the length of a
//! real proof of the sample book: the values pinned in `zkmargin_verifier`.
//! Usage: `cargo run --release -p zkmargin-prover --example pins [small standard large]`.
use std::time::Instant;

use zkmargin_circuits::fixtures::fixture;
use zkmargin_circuits::profile::{Profile, ALL};
use zkmargin_prover::keys::build_keys;
use zkmargin_prover::prove::proof_bytes;
use zkmargin_verifier::keys::vk_digest;

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    for profile in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == profile.name) {
            continue;
        }
        let t = Instant::now();
        let keys = build_keys(profile).expect("keys");
        let keygen = t.elapsed();
        let f = fixture(profile);
        let t = Instant::now();
        let proof = proof_bytes(&keys, &f.statement, &f.witness).expect("proof");
        println!(
            "{} k={} vk={} proof_bytes={} keygen={:?} prove={:?}",
            profile.name,
            profile.k,
            vk_digest(keys.vk()),
            proof.len(),
            keygen,
            t.elapsed()
        );
        let _: Profile = profile;
    }
}
