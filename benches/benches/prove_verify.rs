//! Prove, verify and batch-verify the margin circuit of each profile, beside the trivial
//! circuit of the same k (the bare cost of the proof system at that size).
//!
//! `cargo bench -p zkmargin-benches` runs small and standard; set `ZKMARGIN_BENCH_LARGE=1`
//! to add large (k = 16, about half a minute a proof on two cores) and `ZKMARGIN_BENCH_DESK=1`
//! to add desk (k = 16, 64 positions per venue; its sample fills a venue's 64 slots). Parameters come from the
//! on-disk cache (`ZKMARGIN_CACHE`), keys are built before timing ("keys warm").

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use zkmargin_benches::{trivial_keys, trivial_proof, trivial_verify};
use zkmargin_circuits::profile::{Profile, DESK, LARGE, SMALL, STANDARD};
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_testing::fixtures::fixture;

/// Batch sizes: halo2's batch verifier shares one `2^k`-point multi-scalar multiplication
/// across the batch, so throughput grows with the batch.
const BATCHES: [usize; 2] = [16, 64];

fn switch(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

fn profiles() -> Vec<Profile> {
    let mut profiles = vec![SMALL, STANDARD];
    if switch("ZKMARGIN_BENCH_LARGE") {
        profiles.push(LARGE);
    }
    if switch("ZKMARGIN_BENCH_DESK") {
        profiles.push(DESK);
    }
    profiles
}

fn bench(c: &mut Criterion) {
    std::env::set_var("ZKMARGIN_QUIET", "1");
    for profile in profiles() {
        let keys = ProverKeys::for_profile(profile).expect("keys");
        let f = fixture(profile);
        let proof = proof_bytes(&keys, &f.statement, &f.witness).expect("proof");
        let (trivial, trivial_pk) = trivial_keys(keys.params());
        let trivial_bytes = trivial_proof(keys.params(), &trivial_pk, &trivial);
        eprintln!(
            "{}: k = {}, proof {} bytes (trivial circuit: {} bytes)",
            profile.name,
            profile.k,
            proof.len(),
            trivial_bytes.len()
        );

        let mut group = c.benchmark_group(format!("{}-k{}", profile.name, profile.k));
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(if profile.k >= 16 { 60 } else { 20 }));
        group.bench_function("prove", |b| {
            b.iter(|| proof_bytes(&keys, &f.statement, &f.witness).expect("proof"))
        });
        group.bench_function("prove-trivial", |b| {
            b.iter(|| trivial_proof(keys.params(), &trivial_pk, &trivial))
        });
        group.bench_function("verify", |b| {
            b.iter(|| {
                keys.verifier
                    .verify_statement(&proof, &f.statement)
                    .expect("valid")
            })
        });
        group.bench_function("verify-trivial", |b| {
            b.iter(|| assert!(trivial_verify(keys.params(), &trivial_pk, &trivial_bytes)))
        });
        for batch in BATCHES {
            let items: Vec<_> = (0..batch)
                .map(|_| (proof.clone(), f.statement.clone()))
                .collect();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(
                BenchmarkId::new("verify-batch", batch),
                &items,
                |b, items| b.iter(|| assert!(keys.verifier.verify_batch(items).is_empty())),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
