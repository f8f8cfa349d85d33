//! Re-pins after an intended circuit change, in one command: for each profile given (default
//! all) it builds the verifying key with `keygen_vk`, **writes its file** to
//! `verifier/keys/<profile>.vk`, and prints every value pinned in `zkmargin_verifier`: the
//! key's digest, the file's digest, the verifier parameters' digest for the profile's `k`, and
//! the length of a real proof of the sample book. Each line says whether the value matches the
//! pin; the last lines are the tables to paste into `verifier/src/keys.rs`,
//! `verifier/src/verifier_params.rs` and `verifier/src/verify.rs`.
//! Usage: `cargo run --release -p zkmargin-prover --example pins [small standard large desk]`.
use std::path::PathBuf;
use std::time::Instant;

use halo2_proofs::plonk::{create_proof, keygen_pk};
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::ALL;
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::{
    build_verifying_key_unchecked, key_file_bytes, pinned_vk_digest, pinned_vk_file_digest,
    vk_digest,
};
use zkmargin_verifier::params::{digest_hex, load_or_generate};
use zkmargin_verifier::verifier_params::{pinned_verifier_digest, VerifierParams};
use zkmargin_verifier::verify::pinned_proof_len;

fn says(pinned: bool) -> &'static str {
    if pinned {
        "pinned"
    } else {
        "NOT PINNED"
    }
}

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let keys_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../verifier/keys");
    let mut tables = [String::new(), String::new(), String::new(), String::new()];
    for profile in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == profile.name) {
            continue;
        }
        let t = Instant::now();
        let (params, _) = load_or_generate(profile.k).expect("parameters");
        // The key may be unpinned here (that is what this measures), so `ProverKeys`, which
        // takes only the stored key, is not used: halo2 directly.
        let vk = build_verifying_key_unchecked(&params, profile).expect("verifying key");
        let digest = vk_digest(&vk);
        let file = key_file_bytes(&vk);
        let file_digest = digest_hex(&file);
        let path = keys_dir.join(format!("{}.vk", profile.name));
        std::fs::write(&path, &file).expect("writing the key file");
        let lean = digest_hex(&VerifierParams::file_of(&params).expect("verifier parameters"));
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
            "{} k={}: vk {digest} ({}), file {} ({file_digest}, {} bytes, {}), verifier params {lean} ({}), proof {} bytes ({}); keygen {keygen:?}, prove {:?}",
            profile.name,
            profile.k,
            says(pinned_vk_digest(profile) == Some(digest.as_str())),
            path.display(),
            file.len(),
            says(pinned_vk_file_digest(profile) == Some(file_digest.as_str())),
            says(pinned_verifier_digest(profile.k) == Some(lean.as_str())),
            proof.len(),
            says(pinned_proof_len(profile.name) == Some(proof.len())),
            t.elapsed()
        );
        let name = profile.name;
        tables[0] += &format!("    (\"{name}\", \"{digest}\"),\n");
        tables[1] += &format!("    (\"{name}\", \"{file_digest}\"),\n");
        tables[2] += &format!("    ({}, \"{lean}\"),\n", profile.k);
        tables[3] += &format!("    (\"{name}\", {}),\n", proof.len());
    }
    let names = [
        "keys::PINNED_VK_DIGESTS",
        "keys::PINNED_VK_FILE_DIGESTS",
        "verifier_params::PINNED_VERIFIER_PARAMS_DIGESTS",
        "verify::PINNED_PROOF_BYTES",
    ];
    for (name, table) in names.iter().zip(&tables) {
        println!("{name}:\n{table}");
    }
}
