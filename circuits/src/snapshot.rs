//! The epoch snapshot: everything a verifier needs, and its digest.
//!
//! The snapshot lists the network as published (its real assets, chains and venues); the
//! instance builder (`instance`) pads it to the profile. The digest is BLAKE2b-256 over a
//! canonical byte encoding of every public field (`canonical_bytes`), so JSON formatting never
//! changes it.

use serde::{Deserialize, Serialize};

use crate::hash::Fp;
use crate::margin::{Bucket, RiskParams};
use crate::portfolio::{PortfolioRates, RiskTable};
use crate::profile::Profile;

/// The `format` of a snapshot file.
pub const SNAPSHOT_FORMAT: &str = "zkmargin.snapshot/1";

/// An asset and its price (e8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub symbol: String,
    pub price: u64,
}

/// A chain or a venue: its numeric id (`< 2^32`) and its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: u64,
    pub name: String,
}

/// An epoch snapshot (in memory; the file is `zkmargin_formats::snapshot`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub profile: Profile,
    pub epoch: u64,
    pub valid_from: u64,
    pub valid_until: u64,
    pub assets: Vec<Asset>,
    pub chains: Vec<Member>,
    pub venues: Vec<Member>,
    /// `haircuts_ppm[asset][chain]`.
    pub haircuts_ppm: Vec<Vec<u64>>,
    /// `perp_mmr_ppm[venue][asset]`.
    pub perp_mmr_ppm: Vec<Vec<u64>>,
    /// `option_rate_ppm[asset]`.
    pub option_rate_ppm: Vec<u64>,
    /// Expiry buckets, `max_seconds` strictly increasing, `tau_ppm[asset]`.
    pub buckets: Vec<Bucket>,
    pub upnl_haircut_ppm: u64,
    /// Collateral vault root of each chain, in `chains` order.
    pub chain_roots: Vec<Fp>,
    /// Position book root of each venue, in `venues` order.
    pub venue_roots: Vec<Fp>,
    /// Portfolio-margin rates per asset, in `assets` order (statement version 3).
    pub portfolio: Vec<PortfolioRates>,
    /// The publisher's risk table (statement version 3). Not in the digest itself: its root is.
    pub risk_table: RiskTable,
    /// The root of the risk table's tree (depth `profile.risk_depth`), a public input. Whoever
    /// builds or reads a snapshot sets it from the table (`hash::risk_tree`) or checks it.
    pub risk_root: Fp,
}

impl Snapshot {
    /// The risk parameters the reference engine evaluates books under.
    pub fn risk_params(&self) -> RiskParams {
        RiskParams {
            prices: self.assets.iter().map(|a| a.price).collect(),
            haircuts_ppm: self.haircuts_ppm.clone(),
            perp_mmr_ppm: self.perp_mmr_ppm.clone(),
            option_rate_ppm: self.option_rate_ppm.clone(),
            buckets: self.buckets.clone(),
            upnl_haircut_ppm: self.upnl_haircut_ppm,
            valid_from: self.valid_from,
            portfolio: self.portfolio.clone(),
            risk_table: self.risk_table.clone(),
        }
    }

    pub fn asset_index(&self, symbol: &str) -> Option<usize> {
        self.assets.iter().position(|a| a.symbol == symbol)
    }

    pub fn chain_index(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    pub fn venue_index(&self, name: &str) -> Option<usize> {
        self.venues.iter().position(|v| v.name == name)
    }

    /// The canonical encoding the digest is taken over: a domain string, then every field in
    /// declaration order; integers as 8-byte little-endian, strings and lists prefixed by
    /// their 8-byte length, field elements as their 32-byte canonical representation.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        use ff::PrimeField;
        let mut out = Vec::new();
        let int = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        let text = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        text(&mut out, SNAPSHOT_FORMAT);
        text(&mut out, self.profile.name);
        int(&mut out, self.epoch);
        int(&mut out, self.valid_from);
        int(&mut out, self.valid_until);
        int(&mut out, self.assets.len() as u64);
        for a in &self.assets {
            text(&mut out, &a.symbol);
            int(&mut out, a.price);
        }
        for members in [&self.chains, &self.venues] {
            int(&mut out, members.len() as u64);
            for m in members {
                int(&mut out, m.id);
                text(&mut out, &m.name);
            }
        }
        for table in [&self.haircuts_ppm, &self.perp_mmr_ppm] {
            int(&mut out, table.len() as u64);
            for row in table {
                int(&mut out, row.len() as u64);
                row.iter().for_each(|&v| int(&mut out, v));
            }
        }
        int(&mut out, self.option_rate_ppm.len() as u64);
        self.option_rate_ppm.iter().for_each(|&v| int(&mut out, v));
        int(&mut out, self.buckets.len() as u64);
        for b in &self.buckets {
            int(&mut out, b.max_seconds);
            int(&mut out, b.tau_ppm.len() as u64);
            b.tau_ppm.iter().for_each(|&v| int(&mut out, v));
        }
        int(&mut out, self.upnl_haircut_ppm);
        for roots in [&self.chain_roots, &self.venue_roots] {
            int(&mut out, roots.len() as u64);
            roots
                .iter()
                .for_each(|r| out.extend_from_slice(&r.to_repr()));
        }
        // Statement version 3: the portfolio rates and the risk table's root (which binds the
        // table itself).
        int(&mut out, self.portfolio.len() as u64);
        for rates in &self.portfolio {
            int(&mut out, rates.scan_ppm);
            int(&mut out, rates.som_ppm);
            int(&mut out, rates.contingency_ppm);
        }
        out.extend_from_slice(&self.risk_root.to_repr());
        out
    }

    /// BLAKE2b-256 of `canonical_bytes`.
    pub fn digest(&self) -> [u8; 32] {
        let hash = blake2b_simd::Params::new()
            .hash_length(32)
            .personal(b"zkmargin_snapsho")
            .hash(&self.canonical_bytes());
        hash.as_bytes().try_into().expect("32 bytes")
    }
}
