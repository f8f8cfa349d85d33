//! The publisher's risk table at the largest size a profile holds (4,096 instruments, depth
//! 12): building it (Black-76 for every option in the sixteen scenarios), hashing it to its
//! root, and reading a snapshot that carries it, with the root check cached and not.
//!
//! `cargo bench -p zkmargin-benches --bench risk_table`. The listing is the desk example's
//! epoch (BTC, ETH, SOL, USDC) with 4,092 options: for each of BTC, ETH and SOL, 31 expiries
//! from one day to a year and 22 strikes (11 calls, 11 puts) around the price.

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;
use zkmargin_circuits::hash::{risk_tree, Fp};
use zkmargin_circuits::margin::Kind;
use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_circuits::profile::DESK;
use zkmargin_formats::network::{read_network, Network};
use zkmargin_formats::portfolio::ListedInstrument;
use zkmargin_formats::risk_table::RootCheck;
use zkmargin_formats::snapshot::{read_snapshot_with, write_snapshot};
use zkmargin_prover::risk_table::publish_risk;

const DESK_EXAMPLE: &str = include_str!("../../examples/desk.network.json");

/// The desk network's epoch with 4,092 listed options: 4,096 rows with the perpetuals.
fn listed() -> Network {
    let mut network = read_network(DESK_EXAMPLE, "desk.network.json").expect("desk example");
    let mut instruments = Vec::new();
    for underlying in 0..3 {
        let price = network.params.assets[underlying].price;
        for e in 0..31u64 {
            let expiry = network.params.valid_from + 86_400 + e * 1_015_000;
            for i in 0..22u64 {
                let kind = if i % 2 == 0 { Kind::Call } else { Kind::Put };
                // Strikes from 70% to 130% of the price, rounded to a whole e8.
                let strike = price / 100 * (70 + 3 * (i / 2));
                instruments.push(ListedInstrument {
                    key: InstrumentKey {
                        underlying,
                        kind,
                        expiry,
                        strike,
                    },
                    iv_ppm: 500_000 + 10_000 * i,
                });
            }
        }
    }
    instruments.truncate(4_092);
    network.portfolio.instruments = instruments;
    network
}

fn bench(c: &mut Criterion) {
    let network = listed();
    let (params, portfolio) = (&network.params, &network.portfolio);
    let published = publish_risk(portfolio, params, &DESK, "bench").expect("fits desk");
    assert_eq!(published.risk_table.rows.len(), 4_096);
    let snapshot = params.clone().into_snapshot(
        DESK,
        vec![Fp::zero(); params.chains.len()],
        vec![Fp::zero(); params.venues.len()],
        published.clone(),
    );
    let text = write_snapshot(&snapshot);
    eprintln!("snapshot.json with 4,096 rows: {} bytes", text.len());
    let cache = std::env::temp_dir().join(format!("zkmargin-bench-cache-{}", std::process::id()));
    let cached = RootCheck::Cached(cache.clone());
    read_snapshot_with(&text, "snapshot.json", &cached).expect("reads");

    let mut group = c.benchmark_group("risk-table-4096");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("publish (Black-76 rows and root)", |b| {
        b.iter(|| publish_risk(portfolio, params, &DESK, "bench").expect("fits"))
    });
    group.bench_function("root (Poseidon tree of the rows)", |b| {
        b.iter(|| risk_tree(&published.risk_table, DESK.risk_depth).root())
    });
    group.bench_function("read snapshot, root checked", |b| {
        b.iter(|| read_snapshot_with(&text, "snapshot.json", &RootCheck::Always).expect("reads"))
    });
    group.bench_function("read snapshot, root check cached", |b| {
        b.iter(|| read_snapshot_with(&text, "snapshot.json", &cached).expect("reads"))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(cache);
}

criterion_group!(benches, bench);
criterion_main!(benches);
