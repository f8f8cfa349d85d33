//! The hash chip: Poseidon P128Pow5T3 in `ConstantLength` mode, as `hash::poseidon` computes it.
//!
//! It wraps halo2_gadgets' `Pow5Chip` (three state columns and one partial S-box column; one
//! row per full round and one per two partial rounds) and its sponge `Hash` gadget. Message
//! cells are copied into the sponge with equality constraints, so the digest is bound to the
//! very cells the rest of the circuit reasons about: a leaf cannot hash one amount while the
//! margin gadgets value another.

use halo2_gadgets::poseidon::{
    primitives::{ConstantLength, P128Pow5T3},
    Hash, Pow5Chip, Pow5Config,
};
use halo2_proofs::{
    circuit::{AssignedCell, Layouter},
    plonk::{Advice, Column, ConstraintSystem, Error, Fixed},
};

use crate::hash::Fp;
use crate::with_poseidon_length;

/// Configuration of [`PoseidonChip`].
pub type PoseidonConfig = Pow5Config<Fp, 3, 2>;

/// What the hash chip can do.
pub trait HashInstructions {
    /// `H(message)` over cells.
    fn hash(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        message: &[AssignedCell<Fp, Fp>],
    ) -> Result<AssignedCell<Fp, Fp>, Error>;
}

/// The hash chip.
#[derive(Clone, Debug)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

impl PoseidonChip {
    /// Configures Poseidon on `state` and `partial_sbox`, with six new fixed columns for the
    /// round constants.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        state: [Column<Advice>; 3],
        partial_sbox: Column<Advice>,
    ) -> PoseidonConfig {
        let rc_a: [Column<Fixed>; 3] = [(); 3].map(|_| meta.fixed_column());
        let rc_b: [Column<Fixed>; 3] = [(); 3].map(|_| meta.fixed_column());
        Pow5Chip::configure::<P128Pow5T3>(meta, state, partial_sbox, rc_a, rc_b)
    }

    pub fn construct(config: PoseidonConfig) -> Self {
        PoseidonChip { config }
    }
}

impl HashInstructions for PoseidonChip {
    fn hash(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        message: &[AssignedCell<Fp, Fp>],
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        let chip = Pow5Chip::construct(self.config.clone());
        let mut layouter = layouter.namespace(|| name.to_string());
        with_poseidon_length!(message.len(), L => {
            let cells: [AssignedCell<Fp, Fp>; L] =
                message.to_vec().try_into().expect("length matched");
            Hash::<Fp, _, P128Pow5T3, ConstantLength<L>, 3, 2>::init(
                chip,
                layouter.namespace(|| "init"),
            )?
            .hash(layouter.namespace(|| "absorb"), cells)
        }, else Err(Error::Synthesis))
    }
}
