//! The margin circuit's columns and chips (the table of columns is in `circuit`): configured
//! once here, so that the circuit and the gadgets' test harness share one configuration
//! without the harness depending on the statement's synthesis.

use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Fixed, Instance};

use crate::chips::arith::{ArithChip, ArithConfig};
use crate::chips::merkle::{MerkleChip, MerkleConfig};
use crate::chips::poseidon::{PoseidonChip, PoseidonConfig};
use crate::chips::range::{RangeCheckChip, RangeCheckConfig};
use crate::chips::select::{SelectChip, SelectConfig};
use crate::gadgets::Chips;
use crate::hash::Fp;

/// Configuration of the margin circuit.
#[derive(Clone, Debug)]
pub struct MarginConfig {
    instance: Column<Instance>,
    /// The fixed column the layouter places constants in.
    constants: Column<Fixed>,
    arith: ArithConfig,
    range: RangeCheckConfig,
    poseidon: PoseidonConfig,
    merkle: MerkleConfig,
    select: SelectConfig,
}

impl MarginConfig {
    /// The constants column (for floor planners driven outside halo2, see `zkmargin_audit`).
    pub fn constants(&self) -> Column<Fixed> {
        self.constants
    }

    pub fn arith_chip(&self) -> ArithChip {
        ArithChip::construct(self.arith.clone())
    }

    pub fn range_chip(&self) -> RangeCheckChip {
        RangeCheckChip::construct(self.range)
    }

    pub fn select_chip(&self) -> SelectChip {
        SelectChip::construct(self.select.clone())
    }

    pub fn poseidon_chip(&self) -> PoseidonChip {
        PoseidonChip::construct(self.poseidon.clone())
    }

    pub fn merkle_chip(&self) -> MerkleChip {
        MerkleChip::construct(self.merkle.clone())
    }

    /// Every chip, and the instance column.
    pub fn chips(&self) -> Chips {
        Chips {
            arith: self.arith_chip(),
            range: self.range_chip(),
            select: self.select_chip(),
            hasher: self.poseidon_chip(),
            merkle: self.merkle_chip(),
            instance: self.instance,
        }
    }

    /// The columns, in the order the verifying key fixes, and every chip's gates on them.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
        let advice: [Column<Advice>; 5] = [(); 5].map(|_| meta.advice_column());
        // Poseidon's own columns: its regions are laid out beside the arithmetic ones rather
        // than after them (the floor planner places a region at the first row where all its
        // columns are free).
        let hash_state: [Column<Advice>; 3] = [(); 3].map(|_| meta.advice_column());
        let hash_aux: [Column<Advice>; 7] = [(); 7].map(|_| meta.advice_column());
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let constants = meta.fixed_column();
        meta.enable_constant(constants);
        let shared = [advice[0], advice[1], advice[2], advice[3]];
        MarginConfig {
            instance,
            constants,
            poseidon: PoseidonChip::configure(meta, hash_state, hash_aux),
            arith: ArithChip::configure(meta, shared),
            merkle: MerkleChip::configure(meta, shared),
            select: SelectChip::configure(meta, shared),
            range: RangeCheckChip::configure(meta, advice[4]),
        }
    }
}
