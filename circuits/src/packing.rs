//! The layout of a packed parameter record: each limb's bit offset and width, and the unpacked
//! fields as integers. Data only, so that the record gadget (`gadgets::record`, which documents
//! the layout and packs and unpacks records in circuit) and the forgery plan (`forgery`) can
//! both name a record's fields without importing each other.

use ff::Field;

use crate::hash::Fp;
use crate::units::{PRICE_BITS, RATE_BITS, TIME_BITS};

/// Bit offset and width of each limb.
pub const PRICE: (usize, usize) = (0, PRICE_BITS);
pub const PERP_MMR: (usize, usize) = (48, RATE_BITS);
pub const OPTION_FACTOR: (usize, usize) = (68, RATE_BITS + 1);
pub const LOWER: (usize, usize) = (89, TIME_BITS + 1);
pub const UPPER: (usize, usize) = (130, TIME_BITS);
pub const INDEX: (usize, usize) = (170, 9);

/// `2^bits` in the field.
pub fn pow2(bits: usize) -> Fp {
    Fp::from(2).pow_vartime([bits as u64])
}

/// The unpacked fields of a record, as integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordFields {
    pub price: u64,
    pub perp_mmr: u64,
    pub option_factor: u64,
    pub lower: u64,
    pub upper: u64,
    pub index: u64,
}

impl RecordFields {
    pub fn packed(&self) -> Fp {
        [
            (PRICE, self.price),
            (PERP_MMR, self.perp_mmr),
            (OPTION_FACTOR, self.option_factor),
            (LOWER, self.lower),
            (UPPER, self.upper),
            (INDEX, self.index),
        ]
        .iter()
        .fold(Fp::zero(), |acc, ((offset, _), v)| {
            acc + pow2(*offset) * Fp::from(*v)
        })
    }
}
