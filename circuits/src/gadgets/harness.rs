//! A MockProver harness for the gadgets' own tests: the margin circuit's columns, gates and
//! chips (`MarginConfig::configure`), with one gadget laid out by the test instead of the
//! whole statement, and an instance column the test fills (a public root, or the gadget's
//! outputs bound by `constrain_instance` so that a test can say what they must be).

use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    dev::MockProver,
    plonk::{Circuit, ConstraintSystem, Error},
};

use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::config::MarginConfig;
use crate::hash::Fp;

/// What a gadget test lays out.
pub trait GadgetTest: Clone {
    fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error>;
}

#[derive(Clone)]
struct Harness<T: GadgetTest>(T);

impl<T: GadgetTest> Circuit<Fp> for Harness<T> {
    type Config = MarginConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
        MarginConfig::configure(meta)
    }

    fn synthesize(
        &self,
        config: MarginConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let chips = config.chips();
        chips.range.load_table(&mut layouter)?;
        self.0.synthesize(&chips, &mut layouter)
    }
}

/// Whether MockProver (at `k`) accepts the test's layout against `instance`.
pub fn accepts(k: u32, test: impl GadgetTest, instance: Vec<Fp>) -> bool {
    let prover = MockProver::run(k, &Harness(test), vec![instance]).expect("synthesis");
    prover.verify().is_ok()
}

/// The failures MockProver reports, as text (for tests that say where a cheat is refused).
pub fn failures(k: u32, test: impl GadgetTest, instance: Vec<Fp>) -> Vec<String> {
    let prover = MockProver::run(k, &Harness(test), vec![instance]).expect("synthesis");
    match prover.verify() {
        Ok(()) => vec![],
        Err(list) => list.iter().map(|f| format!("{f}")).collect(),
    }
}

/// Fresh cells holding `values`, named `"{name} {i}"`.
pub fn witnesses(
    chips: &Chips,
    layouter: &mut impl Layouter<Fp>,
    name: &str,
    values: &[Fp],
) -> Result<Vec<Cell>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            chips
                .arith
                .witness(layouter, &format!("{name} {i}"), Value::known(*v))
        })
        .collect()
}
