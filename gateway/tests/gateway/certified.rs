//! Real certificates for the gateway's tests and load generator: a small network (the sample
//! market of `sample.rs` with real accounts) built with the library's `network::build`,
//! signed by the sample publisher, and certificates proved with `zkmargin_prover::certify`.
//! A proof costs seconds: each is made once per process and shared. Shared by path
//! (`#[path]`) between the tests and `examples/load.rs`.

use std::sync::OnceLock;

use base64::Engine;
use rand::rngs::StdRng;
use rand::SeedableRng;
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::grant::{write_grant, Grant};
use zkmargin_formats::network::read_network;
use zkmargin_prover::network::build;
use zkmargin_prover::{certify, Certified};

/// The sample market (BTC at 97000.5 and USDC; ethereum, arbitrum; deribit, hyperliquid)
/// with four funded accounts. `EPOCH` is replaced by the epoch built.
const NETWORK: &str = r#"{"format": "zkmargin.network/1", "epoch": EPOCH,
 "valid_from": 1767225600, "valid_until": 4000000000,
 "assets": [{"symbol": "BTC", "price": "97000.5"}, {"symbol": "USDC", "price": "1"}],
 "chains": [{"id": 1, "name": "ethereum"}, {"id": 42161, "name": "arbitrum"}],
 "venues": [{"id": 7, "name": "deribit"}, {"id": 9, "name": "hyperliquid"}],
 "haircuts_ppm": {"BTC": {"ethereum": 30000, "arbitrum": 45000},
                  "USDC": {"ethereum": 10000, "arbitrum": 12000}},
 "perp_mmr_ppm": {"deribit": {"BTC": 10000, "USDC": 0}, "hyperliquid": {"BTC": 12500, "USDC": 0}},
 "option_rate_ppm": {"BTC": 75000, "USDC": 0},
 "expiry_buckets": [{"max_seconds": 86400, "tau_ppm": {"BTC": 20000, "USDC": 0}},
                    {"max_seconds": 31536000, "tau_ppm": {"BTC": 120000, "USDC": 0}}],
 "upnl_haircut_ppm": 100000,
 "portfolio": {"BTC": {"vol_ppm": 550000, "vol_up_ppm": 500000, "vol_down_ppm": 250000,
                       "som_ppm": 5000, "contingency_ppm": 0, "scan_ppm": 10000},
               "USDC": {"vol_ppm": 20000, "vol_up_ppm": 500000, "vol_down_ppm": 250000,
                        "som_ppm": 0, "contingency_ppm": 0, "scan_ppm": 10000}},
 "accounts": [
  {"name": "alice", "collateral": {"ethereum": {"BTC": "1", "USDC": "20000"}},
   "positions": {"hyperliquid": [{"kind": "perp", "underlying": "BTC", "size": "0.5", "entry": "95000"}]}},
  {"name": "bob", "collateral": {"arbitrum": {"USDC": "50000"}},
   "positions": {"deribit": [{"kind": "perp", "underlying": "BTC", "size": "-0.2", "entry": "98000"}]}},
  {"name": "carol", "collateral": {"ethereum": {"USDC": "30000"}, "arbitrum": {"BTC": "0.5"}}},
  {"name": "dave", "collateral": {"ethereum": {"BTC": "2"}}}
 ]}"#;

/// The epoch of the market the tests trade in.
pub const EPOCH: u64 = 4812;
/// One USD, in uusd.
pub const USD: u128 = 1_000_000;
/// The honest certificate's line at deribit: nine 0.1 BTC perps (101.850525 USD each) fit.
pub const LINE: u128 = 1_000 * USD;
/// The portfolio charge of a 0.1 BTC perp at level 1: its worst scenario is the extreme move,
/// three scan ranges (3 x 1%) of which 35% is covered, 1.05% of 9,700.05 USD (no contingency).
pub const PERP_CHARGE: u128 = 101_850_525;

/// A built network: the snapshot (unsigned) and every account.
pub struct Market {
    pub snapshot: Snapshot,
    pub accounts: Vec<Account>,
}

/// The market of `epoch`, its keys and salts drawn from `seed` (the same seed and epoch give
/// the same snapshot; another seed, another snapshot of the same epoch).
pub fn market(epoch: u64, seed: u64) -> Market {
    let text = NETWORK.replace("EPOCH", &epoch.to_string());
    let network = read_network(&text, "network.json").expect("the test network does not read");
    let (snapshot, accounts) = build(&network, Some(SMALL), &mut StdRng::seed_from_u64(seed))
        .expect("the test network does not build");
    Market { snapshot, accounts }
}

/// The market every certificate below is made in.
pub fn main_market() -> &'static Market {
    static MARKET: OnceLock<Market> = OnceLock::new();
    MARKET.get_or_init(|| market(EPOCH, 1))
}

/// A certificate of account `n` of `market` at level 1 with these lines (deribit,
/// hyperliquid), uusd.
pub fn certificate_in(market: &Market, n: usize, lines: [u128; 2]) -> Certified {
    certify(&market.snapshot, &market.accounts[n], 1_000_000, &lines)
        .expect("certify failed on the test market")
}

/// [`certificate_in`] the main market.
pub fn make_certificate(n: usize, lines: [u128; 2]) -> Certified {
    certificate_in(main_market(), n, lines)
}

/// Alice's certificate: `LINE` at deribit, 2,000 USD at hyperliquid.
pub fn honest() -> &'static Certified {
    static CERT: OnceLock<Certified> = OnceLock::new();
    CERT.get_or_init(|| make_certificate(0, [LINE, 2_000 * USD]))
}

/// Another certificate of Alice in the same epoch, other lines: the same nullifier.
pub fn second() -> &'static Certified {
    static CERT: OnceLock<Certified> = OnceLock::new();
    CERT.get_or_init(|| make_certificate(0, [3 * LINE, 0]))
}

/// The body of `POST /v1/certificates`.
pub fn certificate_request(bytes: &[u8], grant: &Grant) -> String {
    certificate_request_with(bytes, grant_json(grant))
}

/// The body with the grant as a JSON value (to alter it).
pub fn certificate_request_with(bytes: &[u8], grant: serde_json::Value) -> String {
    serde_json::json!({
        "certificate": base64::engine::general_purpose::STANDARD.encode(bytes),
        "grant": grant,
    })
    .to_string()
}

/// A grant file as a JSON value.
pub fn grant_json(grant: &Grant) -> serde_json::Value {
    serde_json::from_str(&write_grant(grant)).expect("a grant file is JSON")
}
