//! Prints, for each profile given (default all), the verifying-key digest and the length of a
//! real proof of the sample book: the values pinned in `zkmargin_verifier`. The key is built
//! without the pin check (the point is to re-measure after an intended circuit change), and
//! the line says whether it matches the pin.
//! Usage: `cargo run --release -p zkmargin-prover --example pins [small standard large]`.
use std::time::Instant;

use zkmargin_circuits::profile::{Profile, ALL};
use zkmargin_prover::keys::{keys_from, params};
use zkmargin_prover::prove::proof_bytes;
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::{build_verifying_key_unchecked, pinned_vk_digest, vk_digest};

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    for profile in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == profile.name) {
            continue;
        }
        let t = Instant::now();
        let params = params(profile).expect("parameters");
        let vk = build_verifying_key_unchecked(&params, profile).expect("verifying key");
        let digest = vk_digest(&vk);
        let pin = if pinned_vk_digest(profile) == Some(digest.as_str()) {
            "matches the pin"
        } else {
            "NOT the pinned digest"
        };
        let keys = keys_from(profile, params, vk).expect("keys");
        let keygen = t.elapsed();
        let f = fixture(profile);
        let t = Instant::now();
        let proof = proof_bytes(&keys, &f.statement, &f.witness).expect("proof");
        println!(
            "{} k={} vk={} ({pin}) proof_bytes={} keygen={:?} prove={:?}",
            profile.name,
            profile.k,
            digest,
            proof.len(),
            keygen,
            t.elapsed()
        );
        let _: Profile = profile;
    }
}
