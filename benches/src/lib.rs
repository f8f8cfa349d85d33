//! Shared pieces of the benchmarks: the trivial baseline circuit and proof helpers.
//!
//! The baseline has one advice column, one fixed column and one gate (`a * a = a`, with every
//! row a boolean), filled over all usable rows of `2^k`: the bare cost of the proof system at
//! that size, so a report can show the margin circuit's cost as a ratio to it.

use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    plonk::{
        create_proof, keygen_pk, keygen_vk, verify_proof, Advice, Circuit, Column,
        ConstraintSystem, Constraints, Error, ProvingKey, Selector, SingleVerifier,
    },
    poly::{commitment::Params, Rotation},
    transcript::{Blake2bRead, Blake2bWrite, Challenge255},
};
use pasta_curves::{pallas, vesta};

/// The trivial circuit over `rows` rows.
#[derive(Clone, Debug)]
pub struct Trivial {
    pub rows: usize,
}

impl Circuit<pallas::Base> for Trivial {
    type Config = (Column<Advice>, Selector);
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<pallas::Base>) -> Self::Config {
        let a = meta.advice_column();
        let s = meta.selector();
        meta.create_gate("boolean", |meta| {
            let s = meta.query_selector(s);
            let a = meta.query_advice(a, Rotation::cur());
            Constraints::with_selector(s, [("a is boolean", a.clone() * a.clone() - a)])
        });
        (a, s)
    }

    fn synthesize(
        &self,
        (a, s): Self::Config,
        mut layouter: impl Layouter<pallas::Base>,
    ) -> Result<(), Error> {
        layouter.assign_region(
            || "bits",
            |mut region| {
                for row in 0..self.rows {
                    s.enable(&mut region, row)?;
                    region.assign_advice(
                        || "a",
                        a,
                        row,
                        || Value::known(pallas::Base::from((row % 2) as u64)),
                    )?;
                }
                Ok(())
            },
        )
    }
}

/// Keys of the trivial circuit at `k`, filling all but the blinding rows.
pub fn trivial_keys(params: &Params<vesta::Affine>) -> (Trivial, ProvingKey<vesta::Affine>) {
    let circuit = Trivial {
        rows: (1 << params.k()) - 16,
    };
    let vk = keygen_vk(params, &circuit).expect("trivial vk");
    let pk = keygen_pk(params, vk, &circuit).expect("trivial pk");
    (circuit, pk)
}

/// A proof of the trivial circuit.
pub fn trivial_proof(
    params: &Params<vesta::Affine>,
    pk: &ProvingKey<vesta::Affine>,
    circuit: &Trivial,
) -> Vec<u8> {
    let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
    let rng = rand_core::UnwrapErr(rand::rngs::SysRng);
    create_proof(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[]],
        rng,
        &mut transcript,
    )
    .expect("trivial proof");
    transcript.finalize()
}

/// Verifies a trivial proof.
pub fn trivial_verify(
    params: &Params<vesta::Affine>,
    pk: &ProvingKey<vesta::Affine>,
    proof: &[u8],
) -> bool {
    let mut transcript = Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(proof);
    verify_proof(
        params,
        pk.get_vk(),
        SingleVerifier::new(params),
        &[&[]],
        &mut transcript,
    )
    .is_ok()
}
