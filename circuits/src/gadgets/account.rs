//! The account: `account_key = H(1, sk)`, `account_tag = H(2, sk, venue_id)` equal to the
//! public tag (the proof is about the secret the venue registered, not another one), and the
//! account index split into one boolean cell per tree level, shared by every Merkle path (so
//! no tree is opened at another index than the others).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | key | `key = H(1, sk)` (Poseidon chip) | a leaf of another account's key |
//! | tag | `H(2, sk, venue id) = tag` (copy to the instance) | another account's or another venue's tag |
//! | index bits | `bit (1 - bit) = 0` per level | a "bit" of 2, which is no index at all |

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::poseidon::HashInstructions;
use crate::hash::{Fp, TAG_ACCOUNT_KEY, TAG_ACCOUNT_TAG};
use crate::witness::AccountWitness;

/// Returns `account_key = H(1, sk)`, and constrains `H(2, sk, venue_id)` to the public tag
/// at instance row `tag_row`.
pub fn key_and_tag(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    witness: Value<&AccountWitness>,
    venue_id: &Cell,
    tag_row: usize,
) -> Result<Cell, Error> {
    let (arith, hasher) = (&chips.arith, &chips.hasher);
    let sk = arith.witness(layouter, "sk", witness.map(|w| w.sk))?;
    let key_domain = arith.constant(layouter, "tag 1", Fp::from(TAG_ACCOUNT_KEY))?;
    let key = hasher.hash(layouter, "account key", &[key_domain, sk.clone()])?;
    let tag_domain = arith.constant(layouter, "tag 2", Fp::from(TAG_ACCOUNT_TAG))?;
    let tag = hasher.hash(layouter, "account tag", &[tag_domain, sk, venue_id.clone()])?;
    layouter.constrain_instance(tag.cell(), chips.instance, tag_row)?;
    Ok(key)
}

/// The account index, one boolean cell per level (`depth` of them), lowest first.
pub fn index_bits(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    witness: Value<&AccountWitness>,
    depth: usize,
) -> Result<Vec<Cell>, Error> {
    let arith = &chips.arith;
    (0..depth)
        .map(|i| {
            let value = witness.map(|w| Fp::from((w.idx >> i) & 1));
            let bit = arith.witness(layouter, &format!("index bit {i}"), value)?;
            arith.assert_bool(layouter, &format!("index bit {i} is boolean"), &bit)?;
            Ok(bit)
        })
        .collect()
}
