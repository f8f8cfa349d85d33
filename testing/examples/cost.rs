//! Prints halo2's cost model of each profile's circuit: rows used and predicted proof size
//! (at the profile's own `k`, as `zkmargin audit` does; the predicted size equals the measured one).
//! Usage: `cargo run --release -q -p zkmargin-testing --example cost -- [small standard large desk]`
//! (default: every profile).
use halo2_proofs::dev::CircuitCost;
use pasta_curves::vesta;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::profile::ALL;
use zkmargin_testing::fixtures::fixture;

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    for p in ALL {
        if !names.is_empty() && !names.iter().any(|n| n == p.name) {
            continue;
        }
        let f = fixture(p);
        let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        let cost = CircuitCost::<vesta::Point, _>::measure(p.k, &circuit);
        let size: usize = cost.proof_size(1).into();
        println!(
            "{} k={} predicted proof {} bytes\n{:#?}",
            p.name, p.k, size, cost
        );
    }
}
