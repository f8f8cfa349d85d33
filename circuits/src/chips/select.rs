//! The select chip: picks one record out of a list of cells by a private one-hot choice.
//!
//! | a        | b          | c        | d        | q_select |
//! |----------|------------|----------|----------|----------|
//! | e_0      | record_0   | acc_0=0  | cnt_0=0  |    1     |
//! | e_1      | record_1   | acc_1    | cnt_1    |    1     |
//! | ...      | ...        | ...      | ...      |          |
//! | e_{n-1}  | record_n-1 | acc_n-1  | cnt_n-1  |    1     |
//! |          |            | acc_n    | cnt_n=1  |    0     |
//!
//! Gate `select`:
//! - `choice is boolean`: `e (1 - e) = 0`;
//! - `accumulate`: `acc_next = acc + e * record`;
//! - `count`: `cnt_next = cnt + e`.
//!
//! With `acc_0 = cnt_0 = 0` and `cnt_n = 1` fixed by constants, exactly one `e` is one, so
//! `acc_n` is exactly one of the records: a prover cannot blend two records (two choices of 1,
//! or choices of 1/2) into a price or a rate that nobody published. Records are copied in from
//! the cells the circuit built from the public inputs. Which record was picked is not revealed;
//! each record carries its own index (a keyed price `a + 2^8 P_a`, see `gadgets::slot`) so the
//! caller can tie the choice to the slot's underlying asset. The choice cells `e_i` are returned
//! too: the caller routes other values by them (a slot's exposure into its underlying's
//! scenario sums), and they are the very cells the gate holds boolean and counts to one.

use halo2_proofs::{
    circuit::{AssignedCell, Layouter, Value},
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Selector},
    poly::Rotation,
};

use crate::forgery;
use crate::hash::Fp;
use crate::mutation::switch;

/// Configuration of [`SelectChip`].
#[derive(Clone, Debug)]
pub struct SelectConfig {
    advice: [Column<Advice>; 4],
    q_select: Selector,
}

/// What the select chip can do.
pub trait SelectInstructions {
    /// Returns a cell equal to `records[choice]`, proving only that it is one of them, and
    /// the one-hot choice cells `e_i` (exactly one is 1), for callers that route other values
    /// by the same choice.
    fn select(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        records: &[AssignedCell<Fp, Fp>],
        choice: Value<usize>,
    ) -> Result<Selection, Error>;
}

/// What a selection returns: the selected record and the one-hot choice.
#[derive(Clone, Debug)]
pub struct Selection {
    /// `sum e_i records[i]`: exactly one of the records.
    pub value: AssignedCell<Fp, Fp>,
    /// The choice weights `e_i`: boolean, exactly one of them 1.
    pub choices: Vec<AssignedCell<Fp, Fp>>,
}

/// The select chip.
#[derive(Clone, Debug)]
pub struct SelectChip {
    config: SelectConfig,
}

impl SelectChip {
    /// Configures the gate on four equality-enabled advice columns. A constants column must be
    /// enabled in the constraint system.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, advice: [Column<Advice>; 4]) -> SelectConfig {
        for column in advice {
            meta.enable_equality(column);
        }
        let q_select = meta.selector();
        meta.create_gate("select", |meta| {
            let q = meta.query_selector(q_select);
            let e = meta.query_advice(advice[0], Rotation::cur());
            let record = meta.query_advice(advice[1], Rotation::cur());
            let acc = meta.query_advice(advice[2], Rotation::cur());
            let acc_next = meta.query_advice(advice[2], Rotation::next());
            let cnt = meta.query_advice(advice[3], Rotation::cur());
            let cnt_next = meta.query_advice(advice[3], Rotation::next());
            let one = Expression::Constant(Fp::one());
            Constraints::with_selector(
                q,
                [
                    (
                        "choice is boolean",
                        switch("select/choice is boolean", e.clone() * (one - e.clone())),
                    ),
                    (
                        "accumulate",
                        switch("select/accumulate", acc_next - acc - e.clone() * record),
                    ),
                    ("count", switch("select/count", cnt_next - cnt - e)),
                ],
            )
        });
        SelectConfig { advice, q_select }
    }

    pub fn construct(config: SelectConfig) -> Self {
        SelectChip { config }
    }
}

impl SelectInstructions for SelectChip {
    fn select(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        records: &[AssignedCell<Fp, Fp>],
        choice: Value<usize>,
    ) -> Result<Selection, Error> {
        let [e_col, record_col, acc_col, cnt_col] = self.config.advice;
        let last = records.len();
        layouter.assign_region(
            || name,
            |mut region| {
                let mut acc =
                    region.assign_advice_from_constant(|| "acc_0", acc_col, 0, Fp::zero())?;
                let mut cnt =
                    region.assign_advice_from_constant(|| "cnt_0", cnt_col, 0, Fp::zero())?;
                let mut choices = Vec::with_capacity(last);
                for (row, record) in records.iter().enumerate() {
                    self.config.q_select.enable(&mut region, row)?;
                    let e = choice.map(|c| if c == row { Fp::one() } else { Fp::zero() });
                    let e = forgery::choice(name, row, e);
                    choices.push(region.assign_advice(|| "e", e_col, row, || e)?);
                    let record = record.copy_advice(|| "record", &mut region, record_col, row)?;
                    let mut next = (
                        acc.value().copied() + e * record.value().copied(),
                        cnt.value().copied() + e,
                    );
                    if row + 1 == last {
                        next = forgery::selected(name, next);
                    }
                    let (acc_next, cnt_next) = next;
                    acc = region.assign_advice(|| "acc", acc_col, row + 1, || acc_next)?;
                    cnt = region.assign_advice(|| "cnt", cnt_col, row + 1, || cnt_next)?;
                }
                region.constrain_constant(cnt.cell(), Fp::one())?;
                Ok(Selection {
                    value: acc,
                    choices,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::{
        circuit::SimpleFloorPlanner,
        dev::MockProver,
        plonk::{Circuit, Instance},
    };

    /// Four records `100 .. 103` in `column`.
    fn records(
        layouter: &mut impl Layouter<Fp>,
        column: Column<Advice>,
    ) -> Result<Vec<AssignedCell<Fp, Fp>>, Error> {
        layouter.assign_region(
            || "records",
            |mut region| {
                (0..4)
                    .map(|i| {
                        let v = Value::known(Fp::from(100 + i as u64));
                        region.assign_advice(|| "r", column, i, || v)
                    })
                    .collect()
            },
        )
    }

    /// Selects from four records with raw choice weights (a one-hot vector when honest).
    #[derive(Clone)]
    struct Pick {
        weights: [Fp; 4],
        claimed: Option<Fp>,
    }

    impl Circuit<Fp> for Pick {
        type Config = (SelectConfig, Column<Advice>);
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let advice = [(); 4].map(|_| meta.advice_column());
            let records = meta.advice_column();
            meta.enable_equality(records);
            (SelectChip::configure(meta, advice), records)
        }
        fn synthesize(
            &self,
            (config, records_col): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let records = records(&mut layouter, records_col)?;
            let [e_col, record_col, acc_col, cnt_col] = config.advice;
            // The chip's own layout, with raw weights instead of a one-hot choice.
            let acc = layouter.assign_region(
                || "select",
                |mut region| {
                    let mut acc =
                        region.assign_advice_from_constant(|| "acc_0", acc_col, 0, Fp::zero())?;
                    let mut cnt =
                        region.assign_advice_from_constant(|| "cnt_0", cnt_col, 0, Fp::zero())?;
                    for (row, record) in records.iter().enumerate() {
                        config.q_select.enable(&mut region, row)?;
                        let e = Value::known(self.weights[row]);
                        region.assign_advice(|| "e", e_col, row, || e)?;
                        let record =
                            record.copy_advice(|| "record", &mut region, record_col, row)?;
                        let next = acc.value().copied() + e * record.value().copied();
                        acc = region.assign_advice(|| "acc", acc_col, row + 1, || next)?;
                        cnt = region.assign_advice(
                            || "cnt",
                            cnt_col,
                            row + 1,
                            || cnt.value().copied() + e,
                        )?;
                    }
                    region.constrain_constant(cnt.cell(), Fp::one())?;
                    Ok(acc)
                },
            )?;
            if let Some(claimed) = self.claimed {
                layouter.assign_region(
                    || "claim",
                    |mut region| region.constrain_constant(acc.cell(), claimed),
                )?;
            }
            // And the chip itself, honestly.
            let chip = SelectChip::construct(config.clone());
            chip.select(&mut layouter, "honest", &records, Value::known(2))?;
            Ok(())
        }
    }

    fn accepts(weights: [u64; 4], claimed: Option<u64>) -> bool {
        let pick = Pick {
            weights: weights.map(Fp::from),
            claimed: claimed.map(Fp::from),
        };
        MockProver::run(6, &pick, vec![]).unwrap().verify().is_ok()
    }

    #[test]
    fn one_hot_choice_selects_its_record() {
        assert!(accepts([0, 0, 1, 0], Some(102)));
        assert!(!accepts([0, 0, 1, 0], Some(101)));
    }

    #[test]
    fn two_choices_are_rejected() {
        assert!(!accepts([1, 0, 1, 0], None));
    }

    #[test]
    fn no_choice_is_rejected() {
        assert!(!accepts([0, 0, 0, 0], None));
    }

    #[test]
    fn a_blend_is_rejected() {
        // Weights 1/2 and 1/2 sum to one but are not boolean: a made-up average record.
        let half = ff::Field::invert(&Fp::from(2)).unwrap();
        let pick = Pick {
            weights: [half, half, Fp::zero(), Fp::zero()],
            claimed: None,
        };
        assert!(MockProver::run(6, &pick, vec![]).unwrap().verify().is_err());
    }

    /// The chip's selection of record 2 of four, its returned choices bound to the instance.
    #[derive(Clone)]
    struct Choices;

    impl Circuit<Fp> for Choices {
        type Config = (SelectConfig, Column<Advice>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            Choices
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let (select, records) = Pick::configure(meta);
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (select, records, instance)
        }
        fn synthesize(
            &self,
            (config, records_col, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let records = records(&mut layouter, records_col)?;
            let chip = SelectChip::construct(config);
            let selection = chip.select(&mut layouter, "pick", &records, Value::known(2))?;
            layouter.constrain_instance(selection.value.cell(), instance, 0)?;
            for (i, e) in selection.choices.iter().enumerate() {
                layouter.constrain_instance(e.cell(), instance, 1 + i)?;
            }
            Ok(())
        }
    }

    #[test]
    fn the_returned_choices_are_the_one_hot_cells_of_the_selection() {
        let run = |instance: [u64; 5]| {
            let instance = instance.map(Fp::from).to_vec();
            MockProver::run(6, &Choices, vec![instance])
                .unwrap()
                .verify()
                .is_ok()
        };
        assert!(run([102, 0, 0, 1, 0]));
        // A caller routing by the choices gets exactly the selected record's route.
        assert!(!run([102, 0, 1, 0, 0]));
        assert!(!run([102, 0, 0, 1, 1]));
        assert!(!run([101, 0, 0, 1, 0]));
    }
}
