//! A holding as the store keeps it: canonical bytes, and the digest that tells an unchanged
//! account from a changed one without reading its row.
//!
//! ```text
//! collateral  0x00, count (u16 LE), count x amount (u64 LE)
//! positions   0x01, count (u16 LE), count x (kind, underlying, side, size, price, expiry) (u64 LE each)
//! ```
//!
//! The bytes hold the numbers the leaf commits (asset and slot indices, not symbols), so two
//! holdings with the same bytes have the same leaf for the same key, tree id and salt.

use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::margin::{Kind, Position, Side};
use zkmargin_formats::tree::{Holding, TreeKind};

use ff::PrimeField;

const COLLATERAL: u8 = 0;
const POSITIONS: u8 = 1;

/// The canonical bytes of `holding`.
pub fn encode(holding: &Holding) -> Vec<u8> {
    let mut out = Vec::new();
    let put_count = |out: &mut Vec<u8>, tag: u8, count: usize| {
        out.push(tag);
        // Holdings hold at most a profile's assets or slots (at most 256): a u16 count.
        let count = u16::try_from(count).expect("a holding has fewer than 2^16 entries");
        out.extend_from_slice(&count.to_le_bytes());
    };
    match holding {
        Holding::Collateral(amounts) => {
            put_count(&mut out, COLLATERAL, amounts.len());
            for x in amounts {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        Holding::Positions(slots) => {
            put_count(&mut out, POSITIONS, slots.len());
            for slot in slots {
                for field in slot.fields() {
                    out.extend_from_slice(&field.to_le_bytes());
                }
            }
        }
    }
    out
}

/// The holding of `bytes`, which must be a holding of a tree of `kind`; `None` for bytes that
/// `encode` never writes (a damaged store).
pub fn decode(bytes: &[u8], kind: TreeKind) -> Option<Holding> {
    let (&tag, rest) = bytes.split_first()?;
    let (count, rest) = rest.split_at_checked(2)?;
    let count = usize::from(u16::from_le_bytes(count.try_into().ok()?));
    let words: Vec<u64> = rest
        .chunks(8)
        .map(|w| Some(u64::from_le_bytes(w.try_into().ok()?)))
        .collect::<Option<_>>()?;
    match (tag, kind) {
        (COLLATERAL, TreeKind::Chain) if words.len() == count => Some(Holding::Collateral(words)),
        (POSITIONS, TreeKind::Venue) if words.len() == 6 * count => words
            .chunks(6)
            .map(|f| {
                Some(Position {
                    kind: Kind::from_code(f[0])?,
                    underlying: usize::try_from(f[1]).ok()?,
                    side: match f[2] {
                        0 => Side::Long,
                        1 => Side::Short,
                        _ => return None,
                    },
                    size: f[3],
                    price: f[4],
                    expiry: f[5],
                })
            })
            .collect::<Option<Vec<_>>>()
            .map(Holding::Positions),
        _ => None,
    }
}

/// What the store compares between epochs: BLAKE2b-256 of the account's name, key and holding
/// bytes. Equal digests mean the same leaf under a kept salt (the tree's id and the profile
/// are the store's own, checked before any digest is compared). 32 bytes, so that no one can
/// find a changed book that passes for the old one (a collision would keep a stale leaf).
pub fn digest(name: &str, key: &Fp, holding: &[u8]) -> [u8; 32] {
    let mut state = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkmargin.leaf/1\0")
        .to_state();
    state.update(&(name.len() as u64).to_le_bytes());
    state.update(name.as_bytes());
    state.update(key.to_repr().as_ref());
    state.update(holding);
    state
        .finalize()
        .as_bytes()
        .try_into()
        .expect("a 32-byte digest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_round_trip_and_damaged_bytes_are_refused() {
        let perp = Position {
            kind: Kind::Perp,
            underlying: 2,
            side: Side::Short,
            size: 5,
            price: 7,
            expiry: 0,
        };
        for (holding, kind) in [
            (Holding::Collateral(vec![1, 0, u64::MAX]), TreeKind::Chain),
            (Holding::Positions(vec![perp, perp]), TreeKind::Venue),
            (Holding::Positions(vec![]), TreeKind::Venue),
        ] {
            let bytes = encode(&holding);
            assert_eq!(decode(&bytes, kind), Some(holding.clone()));
            let other = match kind {
                TreeKind::Chain => TreeKind::Venue,
                TreeKind::Venue => TreeKind::Chain,
            };
            assert_eq!(decode(&bytes, other), None);
            assert_eq!(decode(&bytes[..bytes.len() - 1], kind), None);
        }
        let mut bad_side = encode(&Holding::Positions(vec![perp]));
        bad_side[3 + 16] = 2;
        assert_eq!(decode(&bad_side, TreeKind::Venue), None);
    }

    #[test]
    fn the_digest_covers_name_key_and_holding() {
        let bytes = encode(&Holding::Collateral(vec![1]));
        let base = digest("alice", &Fp::from(1), &bytes);
        assert_ne!(base, digest("alicf", &Fp::from(1), &bytes));
        assert_ne!(base, digest("alice", &Fp::from(2), &bytes));
        assert_ne!(
            base,
            digest(
                "alice",
                &Fp::from(1),
                &encode(&Holding::Collateral(vec![2]))
            )
        );
    }
}
