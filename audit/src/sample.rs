//! An honest sample account, for the real proof `zkmargin audit` measures (its size, and that
//! it verifies under the pinned key): in a network of one asset (USDC), one chain and one
//! venue, one account holds 1,000 USDC on the chain and no position. A proof's size depends
//! on the profile only, not on the book, so the smallest honest book serves.

use zkmargin_circuits::hash::{account_key, collateral_leaf, risk_tree, Fp, MerkleTree};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{Book, Bucket, MarginError};
use zkmargin_circuits::portfolio::{PortfolioRates, RiskTable};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_circuits::witness::{AccountWitness, LeafOpening, LineSecret};

/// A statement and the witness that proves it.
#[derive(Clone, Debug)]
pub struct Sample {
    pub snapshot: Snapshot,
    pub statement: PublicStatement,
    pub witness: AccountWitness,
}

/// The sample account of `profile`: a certificate at level 1 with one line.
pub fn sample(profile: Profile) -> Result<Sample, MarginError> {
    let (sk, idx, salt) = (Fp::from(0x5a_u64), 0u64, Fp::from(7u64));
    let usdc = 1_000 * 1_000_000_000;
    let chain = Member {
        id: 1,
        name: "chain".into(),
    };
    let venue = Member {
        id: 2,
        name: "venue".into(),
    };
    let mut amounts = vec![usdc];
    amounts.resize(profile.assets, 0);
    let leaf = collateral_leaf(account_key(sk), chain.id, &amounts, salt);
    let chain_tree = MerkleTree::new(profile.depth, &[(idx, leaf)]);
    let venue_tree = MerkleTree::new(profile.depth, &[]);
    let snapshot = Snapshot {
        profile,
        epoch: 1,
        valid_from: 1_767_225_600,
        valid_until: 1_767_229_200,
        assets: vec![Asset {
            symbol: "USDC".into(),
            price: 100_000_000,
        }],
        haircuts_ppm: vec![vec![10_000]],
        perp_mmr_ppm: vec![vec![0]],
        option_rate_ppm: vec![0],
        buckets: vec![Bucket {
            max_seconds: 31_536_000,
            tau_ppm: vec![0],
        }],
        upnl_haircut_ppm: 0,
        chain_roots: vec![chain_tree.root()],
        venue_roots: vec![venue_tree.root()],
        chains: vec![chain],
        venues: vec![venue.clone()],
        // No position: the risk table is empty, and its root the empty tree's.
        portfolio: vec![PortfolioRates::default()],
        risk_table: RiskTable::default(),
        risk_root: risk_tree(&RiskTable::default(), profile.risk_depth).root(),
    };
    let book = Book {
        balances: vec![vec![usdc]],
        positions: vec![],
    };
    let chain_opening = LeafOpening {
        present: true,
        salt,
        path: chain_tree.path(idx),
    };
    // A line of 100 USD at the venue, out of 990 USD of headroom.
    let line = LineSecret {
        allowance: 100_000_000,
        salt: Fp::from(11u64),
    };
    let witness =
        AccountWitness::padded(profile, sk, idx, &book, &[chain_opening], &[]).with_lines(&[line]);
    let statement = PublicStatement::certifying(&snapshot, &witness, 1_000_000);
    Ok(Sample {
        snapshot,
        statement,
        witness,
    })
}
