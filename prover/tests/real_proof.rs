//! Real Halo2 proofs of the sample book, verified as a venue would: the honest proof verifies,
//! and neither a changed public input nor a dishonest witness yields a proof that does.

use ff::Field;
use zkmargin_circuits::circuit::{MarginCircuit, Tamper};
use zkmargin_circuits::fixtures::fixture;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::profile::SMALL;
use zkmargin_prover::keys::keys;
use zkmargin_prover::prove::{proof_bytes, proof_bytes_for_circuit};
use zkmargin_verifier::verify::{verify_batch, verify_statement, Rejection};

#[test]
fn honest_proof_verifies_and_public_inputs_are_bound() {
    let keys = keys(SMALL).unwrap();
    let f = fixture(SMALL);
    let proof = proof_bytes(&keys, &f.statement, &f.witness).unwrap();
    verify_statement(&keys.params, keys.vk(), &proof, &f.statement).unwrap();

    // Epoch and digest are bound by the transcript, not by a gate: a proof for one snapshot
    // does not verify for another.
    let mut other = f.statement.clone();
    other.epoch += 1;
    assert_eq!(
        verify_statement(&keys.params, keys.vk(), &proof, &other),
        Err(Rejection::Proof)
    );
    let mut other = f.statement.clone();
    other.digest[31] ^= 1;
    assert_eq!(
        verify_statement(&keys.params, keys.vk(), &proof, &other),
        Err(Rejection::Proof)
    );
    let mut other = f.statement.clone();
    other.level_ppm += 1;
    assert_eq!(
        verify_statement(&keys.params, keys.vk(), &proof, &other),
        Err(Rejection::Proof)
    );

    // Trailing and missing bytes.
    let mut longer = proof.clone();
    longer.push(0);
    assert!(verify_statement(&keys.params, keys.vk(), &longer, &f.statement).is_err());
    assert!(verify_statement(
        &keys.params,
        keys.vk(),
        &proof[..proof.len() - 1],
        &f.statement
    )
    .is_err());

    // A batch of honest proofs passes; a batch with one bad proof names it.
    let good = (proof.clone(), f.statement.clone());
    let mut bad = proof.clone();
    bad[100] ^= 1;
    assert!(verify_batch(&keys.params, keys.vk(), &[good.clone(), good.clone()]).is_empty());
    let rejected = verify_batch(
        &keys.params,
        keys.vk(),
        &[good.clone(), (bad, f.statement.clone()), good],
    );
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1]
    );
}

#[test]
fn dishonest_witnesses_yield_no_valid_proof() {
    let keys = keys(SMALL).unwrap();
    let f = fixture(SMALL);
    let cheats = [
        // Collateral rounded up by one uusd.
        Tamper {
            collateral: vec![((0, 0), 1)],
            ..Default::default()
        },
        // A balance of 2^64 (wrapping the 64-bit bound).
        Tamper {
            balances: vec![((0, 0), Fp::from(2).pow_vartime([64]))],
            ..Default::default()
        },
        // The requirement rounded down.
        Tamper {
            requirement: -1,
            ..Default::default()
        },
    ];
    for tamper in cheats {
        let mut circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        circuit.tamper = tamper.clone();
        // halo2 does not check satisfiability while proving: a proof comes out, and fails.
        if let Ok(proof) = proof_bytes_for_circuit(&keys, &circuit, &f.statement) {
            assert_eq!(
                verify_statement(&keys.params, keys.vk(), &proof, &f.statement),
                Err(Rejection::Proof),
                "{tamper:?}"
            );
        }
    }
}
