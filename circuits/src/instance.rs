//! The public inputs: their typed form (`PublicStatement`) and their layout in the single
//! instance column (`InstanceLayout`).
//!
//! The verifier rebuilds the instance itself from the snapshot it trusts, the level it demands
//! and the certificate's nullifier and commitments; the prover never supplies it. Layout
//! (statement version 3), in rows of the instance column:
//!
//! | rows | value |
//! |---|---|
//! | 0 | epoch |
//! | 1, 2 | snapshot digest, low and high 128 bits (little-endian) |
//! | A | price per asset (e8) |
//! | A x C | haircut per (asset, chain) (ppm) |
//! | A | short-option minimum rate per asset (ppm) |
//! | A | contingency rate per asset (ppm) |
//! | 1 | upnl haircut (ppm) |
//! | 1 | asset count: how many of the A assets the snapshot lists (1..=A) |
//! | 1 | the risk table's root |
//! | C, C | chain ids, chain roots |
//! | V, V | venue ids, venue roots |
//! | 1 | venue count: how many of the V venues the snapshot lists (1..=V) |
//! | 1 | level (ppm) |
//! | 1 | the epoch nullifier `H(6, sk, epoch)` |
//! | V | the credit-line commitments `c_v = H(5, tag_v, a_v, s_v)` |
//!
//! Version 2's per-position rates (perpetual rates per venue, option rates, expiry buckets)
//! are no longer public inputs: the risk table's vectors carry the scenarios, and the snapshot
//! keeps those rates (under its digest) only for the standard margin reports compare with.
//!
//! The snapshot is padded to the profile: missing assets have price and rates 0 and no position
//! may name one (`underlying < asset count`, in circuit as in the reference engine; the risk
//! table lists no instrument on them either); missing chains and venues have id 0 and the root
//! of the empty tree, and a missing venue's credit line is zero with a zero tag (`venue
//! count`).

use ff::PrimeField;

use crate::hash::{empty_roots, Fp};
use crate::margin::{Bucket, RiskParams};
use crate::portfolio::PortfolioRates;
use crate::profile::Profile;
use crate::snapshot::Snapshot;
use crate::witness::AccountWitness;

/// Row offsets of every public input for one profile.
#[derive(Clone, Copy, Debug)]
pub struct InstanceLayout {
    pub profile: Profile,
}

impl InstanceLayout {
    pub const EPOCH: usize = 0;
    pub const DIGEST_LO: usize = 1;
    pub const DIGEST_HI: usize = 2;

    pub fn new(profile: Profile) -> Self {
        InstanceLayout { profile }
    }

    fn prices_start(&self) -> usize {
        3
    }
    pub fn price(&self, a: usize) -> usize {
        self.prices_start() + a
    }
    pub fn haircut(&self, a: usize, c: usize) -> usize {
        self.price(self.profile.assets) + a * self.profile.chains + c
    }
    pub fn som_rate(&self, a: usize) -> usize {
        self.haircut(self.profile.assets, 0) + a
    }
    pub fn contingency_rate(&self, a: usize) -> usize {
        self.som_rate(self.profile.assets) + a
    }
    pub fn upnl_haircut(&self) -> usize {
        self.contingency_rate(self.profile.assets)
    }
    /// The number of listed (not padding) assets.
    pub fn asset_count(&self) -> usize {
        self.upnl_haircut() + 1
    }
    /// The root of the risk table's tree.
    pub fn risk_root(&self) -> usize {
        self.asset_count() + 1
    }
    pub fn chain_id(&self, c: usize) -> usize {
        self.risk_root() + 1 + c
    }
    pub fn chain_root(&self, c: usize) -> usize {
        self.chain_id(self.profile.chains) + c
    }
    pub fn venue_id(&self, v: usize) -> usize {
        self.chain_root(self.profile.chains) + v
    }
    pub fn venue_root(&self, v: usize) -> usize {
        self.venue_id(self.profile.venues) + v
    }
    /// The number of listed (not padding) venues.
    pub fn venue_count(&self) -> usize {
        self.venue_root(self.profile.venues)
    }
    pub fn level(&self) -> usize {
        self.venue_count() + 1
    }
    pub fn nullifier(&self) -> usize {
        self.venue_count() + 2
    }
    /// The credit-line commitment of venue slot `v`.
    pub fn commitment(&self, v: usize) -> usize {
        self.venue_count() + 3 + v
    }
    /// Number of public inputs.
    pub fn len(&self) -> usize {
        self.commitment(self.profile.venues)
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The public statement in typed form, padded to its profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicStatement {
    pub profile: Profile,
    pub epoch: u64,
    pub digest: [u8; 32],
    /// Risk parameters padded to the profile's assets, chains, venues and buckets.
    pub params: RiskParams,
    /// How many assets the snapshot lists (the rest of `params`' assets are padding).
    pub asset_count: usize,
    /// The root of the risk table's tree.
    pub risk_root: Fp,
    pub chain_ids: Vec<u64>,
    pub chain_roots: Vec<Fp>,
    pub venue_ids: Vec<u64>,
    pub venue_roots: Vec<Fp>,
    /// How many venues the snapshot lists (the rest of the `V` slots are padding).
    pub venue_count: usize,
    pub level_ppm: u64,
    /// The certificate's epoch nullifier `H(6, sk, epoch)`.
    pub nullifier: Fp,
    /// The certificate's credit-line commitments, one per venue slot (`V`).
    pub commitments: Vec<Fp>,
}

/// A certificate whose commitments do not match its profile's venue slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{got} credit-line commitments for a profile of {expected} venue slots")]
pub struct CommitmentCount {
    pub expected: usize,
    pub got: usize,
}

/// Pads a snapshot's risk parameters to its profile.
pub fn padded_params(snapshot: &Snapshot) -> RiskParams {
    let p = snapshot.profile;
    let params = snapshot.risk_params();
    let pad = |row: &[u64], n: usize| {
        let mut row = row.to_vec();
        row.resize(n, 0);
        row
    };
    let mut haircuts: Vec<Vec<u64>> = params
        .haircuts_ppm
        .iter()
        .map(|r| pad(r, p.chains))
        .collect();
    haircuts.resize(p.assets, vec![0; p.chains]);
    let mut mmr: Vec<Vec<u64>> = params
        .perp_mmr_ppm
        .iter()
        .map(|r| pad(r, p.assets))
        .collect();
    mmr.resize(p.venues, vec![0; p.assets]);
    let mut buckets: Vec<Bucket> = params
        .buckets
        .iter()
        .map(|b| Bucket {
            max_seconds: b.max_seconds,
            tau_ppm: pad(&b.tau_ppm, p.assets),
        })
        .collect();
    let last = buckets.last().map_or(0, |b| b.max_seconds);
    buckets.resize(
        p.buckets,
        Bucket {
            max_seconds: last,
            tau_ppm: vec![0; p.assets],
        },
    );
    let mut portfolio = params.portfolio.clone();
    portfolio.resize(p.assets, PortfolioRates::default());
    RiskParams {
        prices: pad(&params.prices, p.assets),
        haircuts_ppm: haircuts,
        perp_mmr_ppm: mmr,
        option_rate_ppm: pad(&params.option_rate_ppm, p.assets),
        buckets,
        upnl_haircut_ppm: params.upnl_haircut_ppm,
        valid_from: params.valid_from,
        portfolio,
        risk_table: params.risk_table,
    }
}

impl PublicStatement {
    /// The statement of a certificate under `snapshot` at `level_ppm`, with the certificate's
    /// nullifier and its `V` commitments.
    pub fn new(
        snapshot: &Snapshot,
        level_ppm: u64,
        nullifier: Fp,
        commitments: Vec<Fp>,
    ) -> Result<PublicStatement, CommitmentCount> {
        let p = snapshot.profile;
        if commitments.len() != p.venues {
            return Err(CommitmentCount {
                expected: p.venues,
                got: commitments.len(),
            });
        }
        let params = padded_params(snapshot);
        let empty_root = empty_roots(p.depth)[p.depth];
        let ids = |members: &[crate::snapshot::Member], n: usize| {
            let mut ids: Vec<u64> = members.iter().map(|m| m.id).collect();
            ids.resize(n, 0);
            ids
        };
        let roots = |roots: &[Fp], n: usize| {
            let mut roots = roots.to_vec();
            roots.resize(n, empty_root);
            roots
        };
        Ok(PublicStatement {
            profile: p,
            epoch: snapshot.epoch,
            digest: snapshot.digest(),
            params,
            asset_count: snapshot.assets.len(),
            risk_root: snapshot.risk_root,
            chain_ids: ids(&snapshot.chains, p.chains),
            chain_roots: roots(&snapshot.chain_roots, p.chains),
            venue_ids: ids(&snapshot.venues, p.venues),
            venue_roots: roots(&snapshot.venue_roots, p.venues),
            venue_count: snapshot.venues.len(),
            level_ppm,
            nullifier,
            commitments,
        })
    }

    /// The statement of the certificate that `witness` (its secret and its lines) proves
    /// under `snapshot` at `level_ppm`: the prover's side of [`PublicStatement::new`].
    pub fn certifying(
        snapshot: &Snapshot,
        witness: &AccountWitness,
        level_ppm: u64,
    ) -> PublicStatement {
        let slots = vec![Fp::zero(); snapshot.profile.venues];
        let blank = PublicStatement::new(snapshot, level_ppm, Fp::zero(), slots)
            .expect("one commitment per venue slot");
        PublicStatement {
            nullifier: witness.nullifier(snapshot.epoch),
            commitments: witness.commitments(&blank.venue_ids, blank.venue_count),
            ..blank
        }
    }

    /// The instance column.
    pub fn to_instance(&self) -> Vec<Fp> {
        let layout = InstanceLayout::new(self.profile);
        let p = self.profile;
        let mut out = vec![Fp::zero(); layout.len()];
        let params = &self.params;
        let digest_half = |bytes: &[u8]| {
            let mut repr = [0u8; 32];
            repr[..16].copy_from_slice(bytes);
            Fp::from_repr(repr).expect("128 bits are canonical")
        };
        out[InstanceLayout::EPOCH] = Fp::from(self.epoch);
        out[InstanceLayout::DIGEST_LO] = digest_half(&self.digest[..16]);
        out[InstanceLayout::DIGEST_HI] = digest_half(&self.digest[16..]);
        for a in 0..p.assets {
            out[layout.price(a)] = Fp::from(params.prices[a]);
            out[layout.som_rate(a)] = Fp::from(params.portfolio[a].som_ppm);
            out[layout.contingency_rate(a)] = Fp::from(params.portfolio[a].contingency_ppm);
            for c in 0..p.chains {
                out[layout.haircut(a, c)] = Fp::from(params.haircuts_ppm[a][c]);
            }
        }
        out[layout.upnl_haircut()] = Fp::from(params.upnl_haircut_ppm);
        out[layout.asset_count()] = Fp::from(self.asset_count as u64);
        out[layout.risk_root()] = self.risk_root;
        for c in 0..p.chains {
            out[layout.chain_id(c)] = Fp::from(self.chain_ids[c]);
            out[layout.chain_root(c)] = self.chain_roots[c];
        }
        for v in 0..p.venues {
            out[layout.venue_id(v)] = Fp::from(self.venue_ids[v]);
            out[layout.venue_root(v)] = self.venue_roots[v];
        }
        out[layout.venue_count()] = Fp::from(self.venue_count as u64);
        out[layout.level()] = Fp::from(self.level_ppm);
        out[layout.nullifier()] = self.nullifier;
        for (v, commitment) in self.commitments.iter().enumerate() {
            out[layout.commitment(v)] = *commitment;
        }
        out
    }
}
