//! A slot's row of the publisher's risk table, opened under the public risk root (statement
//! version 3): the instrument's mark and its sixteen scenario values, bound to the slot's own
//! instrument.
//!
//! | step | constraint | stops |
//! |---|---|---|
//! | strike | `strike = is_option price` (`arith`) | a perpetual's entry read as a strike (a perpetual is one instrument per underlying) |
//! | mark | `mark < 2^62` (range table) | a mark moved into the next key field |
//! | vector limbs | `u_s < 2^63` (range table), `v_s = u_s - 2^62` | a scenario value carried between two limbs of one word (`u_0 + 2^63` beside `u_1 - 1`) |
//! | key word | `k = kind + 2^2 underlying + 2^10 strike + 2^58 expiry + 2^98 mark` of the slot's own cells (`leaf::word`) | the row of another instrument, another strike or expiry, another kind (a put read as a call) |
//! | vector words | `w_i = sum_j u_(4i+j) 2^(63 j)` (`leaf::word`) | a vector the row does not hold |
//! | leaf | `H(7, k, w_0, w_1, w_2, w_3)` (Poseidon chip) | |
//! | path | `risk_depth` Merkle levels by the row's own index bits (booleans, `merkle swap`) | |
//! | root | `non_empty (root - R) = 0` with `R` the public risk root | a row of another table (another epoch's, or one nobody published); an empty slot opens nothing |
//!
//! The key word is unique: `kind <= 3` (the kind flags), `underlying < A <= 2^8` (the slot's
//! selection), `strike <= price < 2^48`, `expiry < 2^40` (the slot's field bounds) and `mark <
//! 2^62` (here): 160 bits in all. A vector word is 4 limbs below `2^63`: 252 bits. Both stay
//! below `2^254 < p`, so each is one integer with one decomposition. The row's index in the
//! table is free: the key inside the leaf says which instrument it is, and the publisher's
//! table has one row per key (`portfolio::RiskTable::check`).

use halo2_proofs::{
    circuit::{Layouter, Value},
    plonk::Error,
};

use super::leaf::word;
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::merkle::merkle_root;
use crate::chips::poseidon::HashInstructions;
use crate::chips::range::RangeInstructions;
use crate::hash::{
    risk_key_fields, vector_limb, Fp, RISK_KEY_SHIFTS, VECTOR_ENTRIES_PER_WORD, VECTOR_LIMB_BITS,
    VECTOR_SHIFTS,
};
use crate::portfolio::{RiskRow, MARK_BITS, SCENARIOS};
use crate::witness::RiskOpening;

/// The cells of the slot that the row's key is made of.
pub struct KeyCells<'a> {
    pub kind: &'a Cell,
    pub underlying: &'a Cell,
    /// The slot's price: a strike for an option, an entry for a perpetual.
    pub price: &'a Cell,
    pub expiry: &'a Cell,
    pub is_option: &'a Cell,
    pub non_empty: &'a Cell,
}

/// What the opened row gives the slot.
pub struct RowCells {
    /// The mark, pUSD, `< 2^62`.
    pub mark: Cell,
    /// The vector limbs `u_s = v_s + 2^62`, `< 2^63` (the value is `u_s - 2^62`).
    pub limbs: Vec<Cell>,
}

/// The constant cells every row opening shares.
pub struct RowConstants<'a> {
    /// The domain tag 7.
    pub domain: &'a Cell,
    /// The public risk root.
    pub root: &'a Cell,
}

/// Opens the slot's row; see the module doc for every constraint.
pub fn open_row(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    key: &KeyCells<'_>,
    constants: &RowConstants<'_>,
    opening: Value<&RiskOpening>,
    depth: usize,
) -> Result<RowCells, Error> {
    let (arith, range, hasher) = (&chips.arith, &chips.range, &chips.hasher);
    let n = |step: &str| format!("{name}: {step}");
    let strike = arith.mul(layouter, &n("strike = is_option price"), key.is_option, key.price)?;
    let row: Value<&RiskRow> = opening.map(|o| &o.row);
    let mark = range.witness_range_checked(
        layouter,
        &n("mark < 2^62"),
        row.map(|r| Fp::from(risk_key_fields(r)[4])),
        MARK_BITS as usize,
    )?;
    let limbs = (0..SCENARIOS)
        .map(|s| {
            range.witness_range_checked(
                layouter,
                &n(&format!("vector {s} < 2^63")),
                row.map(|r| vector_limb(r.vector[s])),
                VECTOR_LIMB_BITS as usize,
            )
        })
        .collect::<Result<Vec<Cell>, Error>>()?;
    let key_limbs = [key.kind, key.underlying, &strike, key.expiry, &mark];
    let key_word = word(arith, layouter, &n("key word"), &key_limbs, &RISK_KEY_SHIFTS)?;
    let mut message = vec![constants.domain.clone(), key_word];
    for (i, chunk) in limbs.chunks(VECTOR_ENTRIES_PER_WORD).enumerate() {
        let chunk: Vec<&Cell> = chunk.iter().collect();
        let word_name = n(&format!("vector word {i}"));
        message.push(word(arith, layouter, &word_name, &chunk, &VECTOR_SHIFTS)?);
    }
    let leaf = hasher.hash(layouter, &n("risk leaf"), &message)?;
    let bits = witness_in_rows(
        arith,
        layouter,
        &n("risk index bit"),
        (0..depth).map(|h| opening.map(|o| Fp::from((o.index >> h) & 1))),
    )?;
    let siblings = witness_in_rows(
        arith,
        layouter,
        &n("risk sibling"),
        (0..depth).map(|h| opening.map(|o| o.path[h])),
    )?;
    let root = merkle_root(
        &chips.merkle,
        hasher,
        layouter,
        &n("risk"),
        &leaf,
        &siblings,
        &bits,
    )?;
    let off_root = arith.linear(
        layouter,
        &n("root - risk root"),
        &[(Fp::one(), &root), (-Fp::one(), constants.root)],
        Fp::zero(),
    )?;
    arith.assert_zero_when(
        layouter,
        &n("a held instrument's row is under the risk root"),
        key.non_empty,
        &off_root,
    )?;
    Ok(RowCells { mark, limbs })
}

/// Witnesses `values` four to a row, the `i`-th named `"{name} {i}"` (for the forgery plan).
pub fn witness_in_rows(
    arith: &impl ArithInstructions,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    values: impl Iterator<Item = Value<Fp>>,
) -> Result<Vec<Cell>, Error> {
    let values: Vec<Value<Fp>> = values.collect();
    let mut cells = Vec::with_capacity(values.len());
    for (row, chunk) in values.chunks(4).enumerate() {
        let names: Vec<String> = (0..chunk.len())
            .map(|j| format!("{name} {}", 4 * row + j))
            .collect();
        cells.extend(arith.witness_row(layouter, &names, chunk)?);
    }
    Ok(cells)
}
