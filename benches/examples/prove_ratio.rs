//! Proving time of a profile beside the trivial circuit of the same k, interleaved in one
//! process, by wall clock and by CPU time (user + system, from /proc/self/stat, Linux): a ratio
//! that holds better than criterion's when the machine is loaded, because both circuits meet
//! the same load. The verifying key is built without the pin check, so this also measures a
//! circuit change before re-pinning.
//! Usage: `cargo run --release -p zkmargin-benches --example prove_ratio -- PROFILE [REPS]`.
use halo2_proofs::plonk::{create_proof, keygen_pk};
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use std::time::Instant;
use zkmargin_benches::{trivial_keys, trivial_proof};
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::Profile;
use zkmargin_testing::fixtures::fixture;
use zkmargin_verifier::keys::build_verifying_key_unchecked;
use zkmargin_verifier::params::load_or_generate;

fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s.rsplit(')').next().unwrap().split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn main() {
    let name = std::env::args().nth(1).unwrap();
    let reps: usize = std::env::args()
        .nth(2)
        .map(|r| r.parse().unwrap())
        .unwrap_or(3);
    let profile = Profile::by_name(&name).unwrap();
    let (params, _) = load_or_generate(profile.k).unwrap();
    let vk = build_verifying_key_unchecked(&params, profile).unwrap();
    let pk = keygen_pk(&params, vk, &MarginCircuit::blank(profile)).unwrap();
    let (tc, tpk) = trivial_keys(&params);
    let f = fixture(profile);
    let instance = f.statement.to_instance();
    let (mut pw, mut pc, mut tw, mut tcpu) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..reps {
        let (w, c) = (Instant::now(), cpu());
        let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
        create_proof(
            &params,
            &pk,
            &[circuit],
            &[&[&instance]],
            rand_core::UnwrapErr(rand::rngs::SysRng),
            &mut transcript,
        )
        .unwrap();
        let bytes = transcript.finalize();
        pw += w.elapsed().as_secs_f64();
        pc += cpu() - c;
        let (w, c) = (Instant::now(), cpu());
        trivial_proof(&params, &tpk, &tc);
        tw += w.elapsed().as_secs_f64();
        tcpu += cpu() - c;
        eprintln!("proof {} bytes", bytes.len());
    }
    let r = reps as f64;
    println!("{name} k={} prove wall {:.2}s cpu {:.2}s | trivial wall {:.2}s cpu {:.2}s | ratio wall {:.2} cpu {:.2}",
        profile.k, pw/r, pc/r, tw/r, tcpu/r, pw/tw, pc/tcpu);
}
