//! Powers of two in the field, for the words that pack several numbers (`hash::pack_word`,
//! `gadgets::leaf::word`) and the records that key a price by its asset (`gadgets::publics`).

use ff::Field;

use crate::hash::Fp;

/// `2^bits` in the field.
pub fn pow2(bits: usize) -> Fp {
    Fp::from(2).pow_vartime([bits as u64])
}
