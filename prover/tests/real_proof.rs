//! Real Halo2 proofs of the sample book, verified as a venue would.

use std::time::Instant;

use zkmargin_circuits::fixtures::fixture;
use zkmargin_circuits::profile::SMALL;
use zkmargin_prover::keys::keys;
use zkmargin_prover::prove::proof_bytes;
use zkmargin_verifier::keys::vk_digest;
use zkmargin_verifier::verify::verify_statement;

#[test]
fn small_proof_verifies() {
    let keys = keys(SMALL).unwrap();
    println!("vk digest {}", vk_digest(keys.vk()));
    let f = fixture(SMALL);
    let t = Instant::now();
    let proof = proof_bytes(&keys, &f.statement, &f.witness).unwrap();
    println!("proof {} bytes in {:?}", proof.len(), t.elapsed());
    let t = Instant::now();
    verify_statement(&keys.params, keys.vk(), &proof, &f.statement).unwrap();
    println!("verified in {:?}", t.elapsed());
    let mut longer = proof.clone();
    longer.push(0);
    assert!(verify_statement(&keys.params, keys.vk(), &longer, &f.statement).is_err());
}
