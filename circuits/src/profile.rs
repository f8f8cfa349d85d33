//! Circuit profiles: the fixed shapes a margin circuit can take.
//!
//! A Halo2 circuit has a fixed shape, so a book is proven in the smallest profile whose
//! dimensions hold it; unused assets, chains, venues, slots and buckets are padded with zeros
//! (see `snapshot` for how the public side is padded). Every profile has its own verifying key.

use crate::hash::AMOUNTS_PER_WORD;

/// The dimensions of one circuit shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Name used on the command line and in files.
    pub name: &'static str,
    /// Assets `A` (a power of two: the underlying index is range-checked to `log2(A)` bits).
    pub assets: usize,
    /// Collateral chains `C`.
    pub chains: usize,
    /// Venues `V`.
    pub venues: usize,
    /// Position slots per venue leaf `P`.
    pub positions: usize,
    /// Expiry buckets `B` (a power of two, for the same reason as `assets`).
    pub buckets: usize,
    /// Depth of every Merkle tree (account index `< 2^depth`).
    pub depth: usize,
    /// Depth of the risk table's tree: at most `2^risk_depth` instruments.
    pub risk_depth: usize,
    /// The circuit has `2^k` rows.
    pub k: u32,
}

pub const SMALL: Profile = Profile {
    name: "small",
    assets: 4,
    chains: 2,
    venues: 2,
    positions: 4,
    buckets: 2,
    depth: 16,
    risk_depth: 8,
    k: 12,
};

pub const STANDARD: Profile = Profile {
    name: "standard",
    assets: 8,
    chains: 4,
    venues: 4,
    positions: 8,
    buckets: 4,
    depth: 20,
    risk_depth: 12,
    k: 14,
};

pub const LARGE: Profile = Profile {
    name: "large",
    assets: 16,
    chains: 8,
    venues: 8,
    positions: 16,
    buckets: 4,
    depth: 24,
    risk_depth: 12,
    k: 16,
};

/// The book of an options market maker: few assets and parties, 64 position slots per venue
/// (256 positions over four venues). Listed after `LARGE`: a book that fits both (more than 8
/// positions, at most 16, at most 4 chains and venues) is proven in `LARGE`, which costs fewer
/// rows; only a venue with more than 16 positions needs `DESK`.
pub const DESK: Profile = Profile {
    name: "desk",
    assets: 16,
    chains: 4,
    venues: 4,
    positions: 64,
    buckets: 4,
    depth: 20,
    risk_depth: 12,
    k: 17,
};

/// Every shipped profile, in the order of selection: the first that fits a book is used.
pub const ALL: [Profile; 4] = [SMALL, STANDARD, LARGE, DESK];

impl Profile {
    /// The profile with this name, if any.
    pub fn by_name(name: &str) -> Option<Profile> {
        ALL.iter().copied().find(|p| p.name == name)
    }

    /// The smallest profile that holds a network of these dimensions.
    pub fn smallest_fitting(
        assets: usize,
        chains: usize,
        venues: usize,
        positions: usize,
        buckets: usize,
    ) -> Option<Profile> {
        ALL.iter()
            .copied()
            .find(|p| p.fits(assets, chains, venues, positions, buckets))
    }

    /// Whether a network of these dimensions fits this profile.
    pub fn fits(
        &self,
        assets: usize,
        chains: usize,
        venues: usize,
        positions: usize,
        buckets: usize,
    ) -> bool {
        assets <= self.assets
            && chains <= self.chains
            && venues <= self.venues
            && positions <= self.positions
            && buckets <= self.buckets
    }

    /// Number of field elements in a collateral leaf (version 2): tag, account key, chain id,
    /// `ceil(A / 3)` words of three amounts, salt.
    pub fn collateral_leaf_len(&self) -> usize {
        self.assets.div_ceil(AMOUNTS_PER_WORD) + 4
    }

    /// Number of field elements in a position leaf (version 2): tag, account key, venue id, `P`
    /// slot words, salt.
    pub fn position_leaf_len(&self) -> usize {
        self.positions + 4
    }

    /// Number of records in the per-venue parameter table: one per (asset, bucket).
    pub fn records_per_venue(&self) -> usize {
        self.assets * self.buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;

    use crate::hash::{
        collateral_leaf, collateral_leaf_message, position_leaf, position_leaf_message, Fp,
    };
    use crate::margin::Position;

    #[test]
    fn leaf_lengths_are_the_messages_and_every_one_hashes() {
        for p in ALL {
            let amounts = vec![1; p.assets];
            let message = collateral_leaf_message(Fp::ONE, 1, &amounts, Fp::ONE);
            assert_eq!(message.len(), p.collateral_leaf_len(), "{}", p.name);
            let slots = vec![Position::EMPTY; p.positions];
            let message = position_leaf_message(Fp::ONE, 1, &slots, Fp::ONE);
            assert_eq!(message.len(), p.position_leaf_len(), "{}", p.name);
            // `poseidon` panics on a length no profile was meant to use.
            collateral_leaf(Fp::ONE, 1, &amounts, Fp::ONE);
            position_leaf(Fp::ONE, 1, &slots, Fp::ONE);
        }
    }

    #[test]
    fn selection_grids_are_powers_of_two() {
        for p in ALL {
            assert!(p.assets.is_power_of_two(), "{}", p.name);
            assert!(p.buckets.is_power_of_two(), "{}", p.name);
            // The venue count is range-checked to log2(V) + 1 bits (`gadgets::publics`).
            assert!(p.venues.is_power_of_two(), "{}", p.name);
        }
    }

    #[test]
    fn every_name_is_found_and_unique() {
        for p in ALL {
            assert_eq!(Profile::by_name(p.name), Some(p));
        }
        assert_eq!(Profile::by_name("desk"), Some(DESK));
    }

    #[test]
    fn smallest_fitting_prefers_small() {
        assert_eq!(Profile::smallest_fitting(3, 2, 2, 1, 2), Some(SMALL));
        assert_eq!(Profile::smallest_fitting(5, 2, 2, 1, 2), Some(STANDARD));
        assert_eq!(Profile::smallest_fitting(5, 2, 2, 9, 2), Some(LARGE));
        assert_eq!(Profile::smallest_fitting(16, 4, 4, 16, 4), Some(LARGE));
        // More than 16 positions at a venue: desk, up to 64 with at most 4 chains and venues.
        assert_eq!(Profile::smallest_fitting(3, 2, 2, 17, 2), Some(DESK));
        assert_eq!(Profile::smallest_fitting(16, 4, 4, 64, 4), Some(DESK));
        assert_eq!(Profile::smallest_fitting(4, 4, 4, 65, 4), None);
        assert_eq!(Profile::smallest_fitting(4, 5, 4, 17, 4), None);
        assert_eq!(Profile::smallest_fitting(17, 1, 1, 1, 1), None);
    }
}
