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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::poseidon;
    use halo2_proofs::{
        circuit::{SimpleFloorPlanner, Value},
        dev::MockProver,
        plonk::{Circuit, Instance},
    };

    #[derive(Clone)]
    struct HashOf(Vec<Fp>);

    impl Circuit<Fp> for HashOf {
        type Config = (PoseidonConfig, [Column<Advice>; 4], Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let advice = [(); 4].map(|_| meta.advice_column());
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (
                PoseidonChip::configure(meta, [advice[0], advice[1], advice[2]], advice[3]),
                advice,
                instance,
            )
        }
        fn synthesize(
            &self,
            (config, advice, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let message = layouter.assign_region(
                || "message",
                |mut region| {
                    self.0
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            region.assign_advice(|| "m", advice[0], i, || Value::known(*v))
                        })
                        .collect::<Result<Vec<_>, Error>>()
                },
            )?;
            let digest = PoseidonChip::construct(config).hash(&mut layouter, "h", &message)?;
            layouter.constrain_instance(digest.cell(), instance, 0)
        }
    }

    #[test]
    fn circuit_hash_equals_native_hash_for_every_length() {
        for len in [2usize, 3, 6, 7, 8, 10, 12, 20] {
            let message: Vec<Fp> = (0..len as u64).map(|i| Fp::from(i * 7 + 1)).collect();
            let digest = poseidon(&message);
            let ok = MockProver::run(11, &HashOf(message.clone()), vec![vec![digest]]).unwrap();
            assert!(ok.verify().is_ok(), "length {len}");
            let wrong =
                MockProver::run(11, &HashOf(message), vec![vec![digest + Fp::one()]]).unwrap();
            assert!(
                wrong.verify().is_err(),
                "length {len} accepted a wrong digest"
            );
        }
    }

    #[test]
    fn an_unsupported_length_is_a_synthesis_error() {
        let message: Vec<Fp> = (0..5u64).map(Fp::from).collect();
        assert!(MockProver::run(11, &HashOf(message), vec![vec![Fp::zero()]]).is_err());
    }
}
