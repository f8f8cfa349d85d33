//! Gadgets: thin users of the chips' instruction traits that state one piece of the margin
//! rules each.

pub mod account;
pub mod collateral;
pub mod division;
#[cfg(test)]
pub(crate) mod harness;
pub mod leaf;
pub mod lines;
pub mod portfolio;
pub mod positions;
pub mod publics;
pub mod risk_row;
pub mod slot;
pub mod solvency;

use halo2_proofs::plonk::{Column, Instance};

use crate::chips::arith::{ArithChip, ArithInstructions};
use crate::chips::merkle::MerkleChip;
use crate::chips::poseidon::PoseidonChip;
use crate::chips::range::{RangeCheckChip, RangeInstructions};
use crate::chips::select::{SelectChip, SelectInstructions};

/// The instructions the margin gadgets use, borrowed together.
pub struct SlotInstructions<'a, A: ArithInstructions, R: RangeInstructions, S: SelectInstructions> {
    pub arith: &'a A,
    pub range: &'a R,
    pub select: &'a S,
}

/// The margin circuit's chips and its instance column (`MarginConfig::chips`).
pub struct Chips {
    pub arith: ArithChip,
    pub range: RangeCheckChip,
    pub select: SelectChip,
    pub hasher: PoseidonChip,
    pub merkle: MerkleChip,
    pub instance: Column<Instance>,
}

impl Chips {
    /// The instructions the slot gadget uses.
    pub fn slot_instructions(&self) -> SlotInstructions<'_, ArithChip, RangeCheckChip, SelectChip> {
        SlotInstructions {
            arith: &self.arith,
            range: &self.range,
            select: &self.select,
        }
    }
}
