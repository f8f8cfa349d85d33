//! Prints, for each profile given (default all), the verifying-key digest and the length of a
//! real proof of the sample book: the values pinned in `zkmargin_verifier`. The key is built
//! without the pin check (the point is to re-measure after an intended circuit change), and
//! the line says whether it matches the pin.
//! Usage: `cargo run --release -p zkmargin-prover --example pins [small standard large desk]`.
use std::time::Instant;

use halo2_proofs::plonk::{create_proof, keygen_pk};
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::{Profile, ALL};
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::{build_verifying_key_unchecked, pinned_vk_digest, vk_digest};
use zkmargin_verifier::params::load_or_generate;

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    for profile in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == profile.name) {
            continue;
        }
        let t = Instant::now();
        let (params, _) = load_or_generate(profile.k).expect("parameters");
        let vk = build_verifying_key_unchecked(&params, profile).expect("verifying key");
        let digest = vk_digest(&vk);
        let pin = if pinned_vk_digest(profile) == Some(digest.as_str()) {
            "matches the pin"
        } else {
            "NOT the pinned digest"
        };
        // The key may be unpinned here (that is what this measures), so `ProverKeys`, which
        // takes only pinned keys, is not used: halo2 directly.
        let pk = keygen_pk(&params, vk, &MarginCircuit::blank(profile)).expect("proving key");
        let keygen = t.elapsed();
        let f = fixture(profile);
        let t = Instant::now();
        let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        let instance = f.statement.to_instance();
        let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
        let rng = rand_core::UnwrapErr(rand::rngs::SysRng);
        create_proof(
            &params,
            &pk,
            &[circuit],
            &[&[&instance]],
            rng,
            &mut transcript,
        )
        .expect("proof");
        let proof = transcript.finalize();
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
