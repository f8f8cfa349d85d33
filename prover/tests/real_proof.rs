//! Real Halo2 proofs of the sample book, verified as a venue would: the honest proof verifies,
//! and neither a changed public input nor a dishonest witness (the cheap cheats of
//! `zkmargin_testing::corpus`) yields a proof that does.

use halo2_proofs::plonk::{create_proof, verify_proof, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use rand_core::UnwrapErr;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::profile::SMALL;
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_testing::corpus::{corpus, honest_attempt, Attempt};
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::Rejection;

#[test]
fn honest_proof_verifies_and_public_inputs_are_bound() {
    let keys = ProverKeys::for_profile(SMALL).unwrap();
    let f = fixture(SMALL);
    let proof = proof_bytes(&keys, &f.statement, &f.witness).unwrap();
    keys.verifier
        .verify_statement(&proof, &f.statement)
        .unwrap();

    // Epoch and digest are bound by the transcript, not by a gate: a proof for one snapshot
    // does not verify for another.
    let mut other = f.statement.clone();
    other.epoch += 1;
    assert_eq!(
        keys.verifier.verify_statement(&proof, &other),
        Err(Rejection::Proof)
    );
    let mut other = f.statement.clone();
    other.digest[31] ^= 1;
    assert_eq!(
        keys.verifier.verify_statement(&proof, &other),
        Err(Rejection::Proof)
    );
    let mut other = f.statement.clone();
    other.level_ppm += 1;
    assert_eq!(
        keys.verifier.verify_statement(&proof, &other),
        Err(Rejection::Proof)
    );

    // Trailing and missing bytes.
    let mut longer = proof.clone();
    longer.push(0);
    assert!(keys
        .verifier
        .verify_statement(&longer, &f.statement)
        .is_err());
    assert!(keys
        .verifier
        .verify_statement(&proof[..proof.len() - 1], &f.statement)
        .is_err());

    // A batch of honest proofs passes; a batch with one bad proof names it.
    let good = (proof.clone(), f.statement.clone());
    let mut bad = proof.clone();
    bad[100] ^= 1;
    assert!(keys
        .verifier
        .verify_batch(&[good.clone(), good.clone()])
        .is_empty());
    let rejected = keys
        .verifier
        .verify_batch(&[good.clone(), (bad, f.statement.clone()), good]);
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1]
    );
}

/// A real proof of an attempt's circuit for its instance: `None` when halo2 refuses to prove
/// (a lookup input outside its table makes the prover fail), else whether it verifies.
fn real_verdict(keys: &ProverKeys, attempt: &Attempt) -> Option<bool> {
    let instance: &[Fp] = &attempt.instance;
    let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
    let rng = UnwrapErr(rand::rngs::SysRng);
    create_proof(
        keys.params(),
        &keys.pk,
        std::slice::from_ref(&attempt.circuit),
        &[&[instance]],
        rng,
        &mut transcript,
    )
    .ok()?;
    let proof = transcript.finalize();
    let mut reader = &proof[..];
    let mut transcript = Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(&mut reader);
    let strategy = SingleVerifier::new(keys.params());
    Some(
        verify_proof(
            keys.params(),
            keys.vk(),
            strategy,
            &[&[instance]],
            &mut transcript,
        )
        .is_ok(),
    )
}

#[test]
fn the_cheap_cheats_of_the_corpus_yield_no_valid_proof() {
    let keys = ProverKeys::for_profile(SMALL).unwrap();
    // Control: the same route proves and verifies the honest book.
    assert_eq!(real_verdict(&keys, &honest_attempt()), Some(true));
    let cheats: Vec<_> = corpus().into_iter().filter(|c| c.real_prover).collect();
    assert!(cheats.len() >= 8, "the handful run against the real prover");
    for cheat in cheats {
        // halo2 does not check satisfiability while proving: a proof may come out, and fails.
        let verdict = real_verdict(&keys, &(cheat.build)());
        assert_ne!(
            verdict,
            Some(true),
            "{}: a valid proof came out",
            cheat.name
        );
        println!(
            "{:<36} {}",
            cheat.name,
            match verdict {
                None => "the prover refused",
                _ => "proof made, and rejected",
            }
        );
    }
}
