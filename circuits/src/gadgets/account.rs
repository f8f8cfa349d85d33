//! The account: the secret `sk`, `account_key = H(1, sk)` that every leaf carries, the epoch's
//! nullifier `N = H(6, sk, epoch)` equal to the public one, and the account index split into
//! one boolean cell per tree level, shared by every Merkle path (so no tree is opened at another
//! index than the others).
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | key | `key = H(1, sk)` (Poseidon chip) | a leaf of another account's key |
//! | nullifier | `H(6, sk, epoch) = N` (copy to the instance; `epoch` is the public one) | a nullifier of another epoch or another secret: a second split of the same headroom that a registry would not see as one |
//! | index bits | `bit (1 - bit) = 0` per level | a "bit" of 2, which is no index at all |

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::poseidon::HashInstructions;
use crate::hash::{Fp, TAG_ACCOUNT_KEY, TAG_NULLIFIER};
use crate::witness::AccountWitness;

/// The secret and the account key.
pub struct Account {
    pub sk: Cell,
    pub key: Cell,
}

/// Witnesses `sk` and returns it with `account_key = H(1, sk)`.
pub fn secret_and_key(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    witness: Value<&AccountWitness>,
) -> Result<Account, Error> {
    let (arith, hasher) = (&chips.arith, &chips.hasher);
    let sk = arith.witness(layouter, "sk", witness.map(|w| w.sk))?;
    let key_domain = arith.constant(layouter, "tag 1", Fp::from(TAG_ACCOUNT_KEY))?;
    let key = hasher.hash(layouter, "account key", &[key_domain, sk.clone()])?;
    Ok(Account { sk, key })
}

/// Constrains `H(6, sk, epoch)` to the public nullifier at instance row `nullifier_row`.
pub fn nullifier(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    sk: &Cell,
    epoch: &Cell,
    nullifier_row: usize,
) -> Result<(), Error> {
    let (arith, hasher) = (&chips.arith, &chips.hasher);
    let domain = arith.constant(layouter, "tag 6", Fp::from(TAG_NULLIFIER))?;
    let message = [domain, sk.clone(), epoch.clone()];
    let nullifier = hasher.hash(layouter, "nullifier", &message)?;
    layouter.constrain_instance(nullifier.cell(), chips.instance, nullifier_row)
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
