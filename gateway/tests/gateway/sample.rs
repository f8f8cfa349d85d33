//! The sample market every gateway test and the load generator use: a small network's
//! snapshot signed by a fixed publisher key, and the traders' tags. Shared by path
//! (`#[path]`) between the tests and `examples/load.rs`.

use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::margin::Bucket;
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_formats::epoch_params::EpochParams;
use zkmargin_formats::portfolio::{AssetPortfolio, PortfolioModel};
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::snapshot::write_signed_snapshot;
use zkmargin_prover::risk_table::publish_risk;
use zkmargin_verifier::publisher::SignSnapshot;

/// The venue the gateway serves in tests.
pub const VENUE: &str = "deribit";

pub fn publisher() -> PublisherSecret {
    PublisherSecret::from_bytes(&[7; 32])
}

/// A small network's snapshot: BTC at 97000.5 and USDC at 1; two venues (deribit,
/// hyperliquid), BTC perps at 1% and 1.25%; the publisher's risk table of both perpetuals
/// (BTC: a 10% scan range, a 0.5% short-option minimum, a 0.1% contingency).
pub fn snapshot(epoch: u64) -> Snapshot {
    let mut snapshot = Snapshot {
        profile: SMALL,
        epoch,
        valid_from: 1_767_225_600,
        valid_until: 4_000_000_000,
        assets: vec![
            Asset {
                symbol: "BTC".into(),
                price: 9_700_050_000_000,
            },
            Asset {
                symbol: "USDC".into(),
                price: 100_000_000,
            },
        ],
        chains: vec![
            Member {
                id: 1,
                name: "ethereum".into(),
            },
            Member {
                id: 42161,
                name: "arbitrum".into(),
            },
        ],
        venues: vec![
            Member {
                id: 7,
                name: "deribit".into(),
            },
            Member {
                id: 9,
                name: "hyperliquid".into(),
            },
        ],
        haircuts_ppm: vec![vec![30_000, 45_000], vec![10_000, 12_000]],
        perp_mmr_ppm: vec![vec![10_000, 0], vec![12_500, 0]],
        option_rate_ppm: vec![75_000, 0],
        buckets: vec![
            Bucket {
                max_seconds: 86_400,
                tau_ppm: vec![20_000, 0],
            },
            Bucket {
                max_seconds: 31_536_000,
                tau_ppm: vec![120_000, 0],
            },
        ],
        upnl_haircut_ppm: 100_000,
        chain_roots: vec![Fp::from(11), Fp::from(12)],
        venue_roots: vec![Fp::from(13), Fp::from(14)],
        portfolio: vec![],
        risk_table: Default::default(),
        risk_root: Fp::zero(),
    };
    let inputs = |vol_ppm, som_ppm, contingency_ppm, scan_ppm| AssetPortfolio {
        vol_ppm,
        vol_up_ppm: 500_000,
        vol_down_ppm: 250_000,
        som_ppm,
        contingency_ppm,
        scan_ppm: Some(scan_ppm),
    };
    let portfolio = PortfolioModel {
        assets: vec![
            inputs(550_000, 5_000, 1_000, 100_000),
            inputs(20_000, 0, 0, 10_000),
        ],
        instruments: vec![],
    };
    let params = EpochParams::from(&snapshot);
    let risk = publish_risk(&portfolio, &params, &SMALL, "sample").expect("the sample's table");
    snapshot.portfolio = risk.portfolio;
    snapshot.risk_table = risk.risk_table;
    snapshot.risk_root = risk.risk_root;
    snapshot
}

/// The snapshot's file, signed by `key`.
pub fn signed_snapshot(snapshot: &Snapshot, key: &PublisherSecret) -> String {
    write_signed_snapshot(snapshot, Some(&key.sign(snapshot)))
}

/// The tag of trader number `n`.
pub fn tag(n: u64) -> Fp {
    Fp::from(1_000 + n)
}
