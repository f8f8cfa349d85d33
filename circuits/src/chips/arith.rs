//! The arithmetic chip: one general gate over four advice columns.
//!
//! | a | b | c | d | q_arith | k_m | k_a | k_b | k_c | k_d | k_0 |
//! |---|---|---|---|---------|-----|-----|-----|-----|-----|-----|
//! | x | y | z | w |    1    | ... fixed coefficients of this row ... |
//!
//! Gate `arith`, one constraint `row`:
//!
//! ```text
//! q_arith * (k_m*a*b + k_a*a + k_b*b + k_c*c + k_d*d + k_0) = 0
//! ```
//!
//! Every instruction below is one row of this gate with its coefficients fixed by the circuit
//! (so the verifying key pins them): a product, a multiply-add, a linear combination with a
//! constant, a boolean check, or "zero unless a flag is set". Inputs are copied in with
//! equality constraints, so a row can only talk about the cells it was given; outputs are
//! fresh cells whose value the row fixes.
//!
//! Nothing here bounds a value: wrap-around is the caller's business, and every caller states
//! the range checks its operands carry (see `gadgets`).

use halo2_proofs::{
    circuit::{AssignedCell, Layouter, Value},
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Fixed, Instance, Selector},
    poly::Rotation,
};

use crate::forgery;
use crate::hash::Fp;
use crate::mutation::switch;

/// A cell in the circuit.
pub type Cell = AssignedCell<Fp, Fp>;

/// Configuration of [`ArithChip`].
#[derive(Clone, Debug)]
pub struct ArithConfig {
    advice: [Column<Advice>; 4],
    q_arith: Selector,
    /// `k_m, k_a, k_b, k_c, k_d, k_0`.
    coefficients: [Column<Fixed>; 6],
}

/// One input of a row.
enum Input<'a> {
    /// Copied from an existing cell (equality constraint).
    Copy(&'a Cell),
    /// A fresh witness (an output of the row).
    Fresh(Value<Fp>),
    /// Not used by this row: assigned 0, with coefficient 0.
    Unused,
}

/// What the arithmetic chip can do.
pub trait ArithInstructions {
    /// A fresh, unconstrained witness cell (the caller constrains it).
    fn witness(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        value: Value<Fp>,
    ) -> Result<Cell, Error>;
    /// Up to four fresh, unconstrained witness cells side by side in one row (the caller
    /// constrains them), each named for the forgery plan by its own name.
    fn witness_row(
        &self,
        layouter: &mut impl Layouter<Fp>,
        names: &[String],
        values: &[Value<Fp>],
    ) -> Result<Vec<Cell>, Error>;
    /// A copy of the public input at `row` of `instance`, unbounded (a root or a hash; a
    /// bounded number goes through the range chip's `public_range_checked`).
    fn public(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        instance: Column<Instance>,
        row: usize,
    ) -> Result<Cell, Error>;
    /// A cell fixed to a constant: `a - v = 0`.
    fn constant(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        value: Fp,
    ) -> Result<Cell, Error>;
    /// `x * y`.
    fn mul(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
    ) -> Result<Cell, Error>;
    /// `x * y + z`.
    fn mul_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        z: &Cell,
    ) -> Result<Cell, Error>;
    /// `x * (y + k) + z` for a constant `k`: one row where a product of `x` with an offset
    /// `y` (a packed signed limb, say) is accumulated into `z`.
    fn mul_offset_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        k: Fp,
        z: &Cell,
    ) -> Result<Cell, Error>;
    /// Constrains `x * y + z - w = 0`.
    fn assert_mul_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        z: &Cell,
        w: &Cell,
    ) -> Result<(), Error>;
    /// `x + y - 2 x y`: exclusive or, for boolean `x` and `y`.
    fn xor(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
    ) -> Result<Cell, Error>;
    /// `sum k_i * x_i + k_0` for up to three terms.
    fn linear(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        terms: &[(Fp, &Cell)],
        constant: Fp,
    ) -> Result<Cell, Error>;
    /// Constrains `sum k_i * x_i + k_0 = 0` for up to four terms.
    fn assert_linear_zero(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        terms: &[(Fp, &Cell)],
        constant: Fp,
    ) -> Result<(), Error>;
    /// Constrains `x * x - x = 0`.
    fn assert_bool(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
    ) -> Result<(), Error>;
    /// Constrains `flag * x = 0`: `x` must be zero when `flag` is nonzero.
    fn assert_zero_when(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        flag: &Cell,
        x: &Cell,
    ) -> Result<(), Error>;
    /// Constrains `flag * x - x = 0`: `x` must be zero unless `flag` is one.
    fn assert_zero_unless(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        flag: &Cell,
        x: &Cell,
    ) -> Result<(), Error>;
}

/// The arithmetic chip.
#[derive(Clone, Debug)]
pub struct ArithChip {
    config: ArithConfig,
}

impl ArithChip {
    /// Configures the gate on `advice` (all four equality-enabled) with six new fixed columns.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, advice: [Column<Advice>; 4]) -> ArithConfig {
        for column in advice {
            meta.enable_equality(column);
        }
        let q_arith = meta.selector();
        let coefficients = [(); 6].map(|_| meta.fixed_column());
        meta.create_gate("arith", |meta| {
            let q = meta.query_selector(q_arith);
            let [a, b, c, d] = advice.map(|col| meta.query_advice(col, Rotation::cur()));
            let [k_m, k_a, k_b, k_c, k_d, k_0] = coefficients.map(|col| meta.query_fixed(col));
            Constraints::with_selector(
                q,
                [(
                    "row",
                    switch(
                        "arith/row",
                        k_m * a.clone() * b.clone() + k_a * a + k_b * b + k_c * c + k_d * d + k_0,
                    ),
                )],
            )
        });
        ArithConfig {
            advice,
            q_arith,
            coefficients,
        }
    }

    pub fn construct(config: ArithConfig) -> Self {
        ArithChip { config }
    }

    /// Assigns one row: the four inputs and the coefficients `[k_m, k_a, k_b, k_c, k_d, k_0]`.
    fn row(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        inputs: [Input<'_>; 4],
        coefficients: [Fp; 6],
    ) -> Result<[Cell; 4], Error> {
        let config = &self.config;
        layouter.assign_region(
            || name,
            |mut region| {
                config.q_arith.enable(&mut region, 0)?;
                for (column, k) in config.coefficients.iter().zip(coefficients) {
                    region.assign_fixed(|| "k", *column, 0, || Value::known(k))?;
                }
                let mut cells = Vec::with_capacity(4);
                for (column, input) in config.advice.iter().zip(inputs.iter()) {
                    let cell = match input {
                        Input::Copy(cell) => cell.copy_advice(|| "in", &mut region, *column, 0)?,
                        Input::Fresh(value) => {
                            region.assign_advice(|| "out", *column, 0, || *value)?
                        }
                        Input::Unused => region.assign_advice(
                            || "unused",
                            *column,
                            0,
                            || Value::known(Fp::zero()),
                        )?,
                    };
                    cells.push(cell);
                }
                Ok(cells.try_into().expect("four cells"))
            },
        )
    }
}

fn value(cell: &Cell) -> Value<Fp> {
    cell.value().copied()
}

const ZERO: Fp = Fp::zero();
const ONE: Fp = Fp::one();

impl ArithInstructions for ArithChip {
    fn witness(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        value: Value<Fp>,
    ) -> Result<Cell, Error> {
        // A row with all coefficients zero: it only places the cell.
        let [w, ..] = self.row(
            layouter,
            name,
            [
                Input::Fresh(forgery::witness(name, value)),
                Input::Unused,
                Input::Unused,
                Input::Unused,
            ],
            [ZERO; 6],
        )?;
        Ok(w)
    }

    fn witness_row(
        &self,
        layouter: &mut impl Layouter<Fp>,
        names: &[String],
        values: &[Value<Fp>],
    ) -> Result<Vec<Cell>, Error> {
        assert!(
            !values.is_empty() && values.len() <= 4 && names.len() == values.len(),
            "one to four named values a row"
        );
        let forged: Vec<Value<Fp>> = names
            .iter()
            .zip(values)
            .map(|(name, v)| forgery::witness(name, *v))
            .collect();
        let mut inputs = [Input::Unused, Input::Unused, Input::Unused, Input::Unused];
        for (i, v) in forged.iter().enumerate() {
            inputs[i] = Input::Fresh(*v);
        }
        let cells = self.row(layouter, &names.join(", "), inputs, [ZERO; 6])?;
        Ok(cells.into_iter().take(values.len()).collect())
    }

    fn public(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        instance: Column<Instance>,
        row: usize,
    ) -> Result<Cell, Error> {
        // No gate: the cell is only placed, equal to the instance by the copy constraint.
        let column = self.config.advice[0];
        layouter.assign_region(
            || name,
            |mut region| region.assign_advice_from_instance(|| "public", instance, row, column, 0),
        )
    }

    fn constant(&self, layouter: &mut impl Layouter<Fp>, name: &str, v: Fp) -> Result<Cell, Error> {
        let [w, ..] = self.row(
            layouter,
            name,
            [
                Input::Fresh(Value::known(v)),
                Input::Unused,
                Input::Unused,
                Input::Unused,
            ],
            [ZERO, ONE, ZERO, ZERO, ZERO, -v],
        )?;
        Ok(w)
    }

    fn mul(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
    ) -> Result<Cell, Error> {
        let out = value(x) * value(y);
        let [.., w] = self.row(
            layouter,
            name,
            [
                Input::Copy(x),
                Input::Copy(y),
                Input::Unused,
                Input::Fresh(out),
            ],
            [ONE, ZERO, ZERO, ZERO, -ONE, ZERO],
        )?;
        Ok(w)
    }

    fn mul_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        z: &Cell,
    ) -> Result<Cell, Error> {
        let out = value(x) * value(y) + value(z);
        let [.., w] = self.row(
            layouter,
            name,
            [
                Input::Copy(x),
                Input::Copy(y),
                Input::Copy(z),
                Input::Fresh(out),
            ],
            [ONE, ZERO, ZERO, ONE, -ONE, ZERO],
        )?;
        Ok(w)
    }

    fn mul_offset_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        k: Fp,
        z: &Cell,
    ) -> Result<Cell, Error> {
        let out = value(x) * (value(y) + Value::known(k)) + value(z);
        let [.., w] = self.row(
            layouter,
            name,
            [
                Input::Copy(x),
                Input::Copy(y),
                Input::Copy(z),
                Input::Fresh(out),
            ],
            [ONE, k, ZERO, ONE, -ONE, ZERO],
        )?;
        Ok(w)
    }

    fn assert_mul_add(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
        z: &Cell,
        w: &Cell,
    ) -> Result<(), Error> {
        self.row(
            layouter,
            name,
            [
                Input::Copy(x),
                Input::Copy(y),
                Input::Copy(z),
                Input::Copy(w),
            ],
            [ONE, ZERO, ZERO, ONE, -ONE, ZERO],
        )?;
        Ok(())
    }

    fn xor(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
        y: &Cell,
    ) -> Result<Cell, Error> {
        let two = Fp::from(2);
        let out = value(x) + value(y) - value(x) * value(y) * Value::known(two);
        let [.., w] = self.row(
            layouter,
            name,
            [
                Input::Copy(x),
                Input::Copy(y),
                Input::Unused,
                Input::Fresh(out),
            ],
            [-two, ONE, ONE, ZERO, -ONE, ZERO],
        )?;
        Ok(w)
    }

    fn linear(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        terms: &[(Fp, &Cell)],
        constant: Fp,
    ) -> Result<Cell, Error> {
        assert!(terms.len() <= 3, "a row holds three terms and the result");
        let out = terms.iter().fold(Value::known(constant), |acc, (k, cell)| {
            acc + value(cell) * Value::known(*k)
        });
        let mut inputs = [
            Input::Unused,
            Input::Unused,
            Input::Unused,
            Input::Fresh(out),
        ];
        let mut k = [ZERO, ZERO, ZERO, ZERO, -ONE, constant];
        for (i, (coefficient, cell)) in terms.iter().enumerate() {
            inputs[i] = Input::Copy(cell);
            k[1 + i] = *coefficient;
        }
        let [.., w] = self.row(layouter, name, inputs, k)?;
        Ok(w)
    }

    fn assert_linear_zero(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        terms: &[(Fp, &Cell)],
        constant: Fp,
    ) -> Result<(), Error> {
        assert!(terms.len() <= 4, "a row holds four terms");
        let mut inputs = [Input::Unused, Input::Unused, Input::Unused, Input::Unused];
        let mut k = [ZERO, ZERO, ZERO, ZERO, ZERO, constant];
        for (i, (coefficient, cell)) in terms.iter().enumerate() {
            inputs[i] = Input::Copy(cell);
            k[1 + i] = *coefficient;
        }
        self.row(layouter, name, inputs, k)?;
        Ok(())
    }

    fn assert_bool(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        x: &Cell,
    ) -> Result<(), Error> {
        // x * x - x = 0
        self.row(
            layouter,
            name,
            [Input::Copy(x), Input::Copy(x), Input::Unused, Input::Unused],
            [ONE, -ONE, ZERO, ZERO, ZERO, ZERO],
        )?;
        Ok(())
    }

    fn assert_zero_when(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        flag: &Cell,
        x: &Cell,
    ) -> Result<(), Error> {
        // flag * x = 0
        self.row(
            layouter,
            name,
            [
                Input::Copy(flag),
                Input::Copy(x),
                Input::Unused,
                Input::Unused,
            ],
            [ONE, ZERO, ZERO, ZERO, ZERO, ZERO],
        )?;
        Ok(())
    }

    fn assert_zero_unless(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        flag: &Cell,
        x: &Cell,
    ) -> Result<(), Error> {
        // flag * x - x = 0
        self.row(
            layouter,
            name,
            [
                Input::Copy(flag),
                Input::Copy(x),
                Input::Unused,
                Input::Unused,
            ],
            [ONE, ZERO, -ONE, ZERO, ZERO, ZERO],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::{circuit::SimpleFloorPlanner, dev::MockProver, plonk::Circuit};

    /// Runs every instruction on `x`, `y`, then one raw row with `bad_output` as the product.
    #[derive(Clone)]
    struct Ops {
        x: Fp,
        y: Fp,
        bad_output: Option<Fp>,
        flag: Fp,
    }

    impl Circuit<Fp> for Ops {
        type Config = ArithConfig;
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> ArithConfig {
            let advice = [(); 4].map(|_| meta.advice_column());
            ArithChip::configure(meta, advice)
        }
        fn synthesize(
            &self,
            config: ArithConfig,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let chip = ArithChip::construct(config);
            let l = &mut layouter;
            let x = chip.witness(l, "x", Value::known(self.x))?;
            let y = chip.witness(l, "y", Value::known(self.y))?;
            let product = chip.mul(l, "x y", &x, &y)?;
            let sum = chip.linear(
                l,
                "2x + 3y + 5",
                &[(Fp::from(2), &x), (Fp::from(3), &y)],
                Fp::from(5),
            )?;
            chip.mul_add(l, "x y + sum", &x, &y, &sum)?;
            let zero = chip.constant(l, "0", Fp::zero())?;
            chip.assert_mul_add(l, "x y + 0 = product", &x, &y, &zero, &product)?;
            let flag = chip.witness(l, "flag", Value::known(self.flag))?;
            chip.assert_bool(l, "flag is boolean", &flag)?;
            chip.assert_zero_unless(l, "y is zero unless flag", &flag, &y)?;
            chip.xor(l, "flag xor flag", &flag, &flag)?;
            // x (y - 3) + sum, from a row of two fresh cells.
            let names = ["p".to_string(), "q".to_string()];
            let pq = chip.witness_row(l, &names, &[Value::known(self.x), Value::known(self.y)])?;
            let offset =
                chip.mul_offset_add(l, "p (q - 3) + sum", &pq[0], &pq[1], -Fp::from(3), &sum)?;
            let expected = chip.linear(
                l,
                "x y - 3 x + sum",
                &[(ONE, &product), (-Fp::from(3), &x), (ONE, &sum)],
                Fp::zero(),
            )?;
            chip.assert_linear_zero(
                l,
                "offset = expected",
                &[(ONE, &offset), (-ONE, &expected)],
                Fp::zero(),
            )?;
            // (1 - flag) y = 0: y vanishes when flag is 0.
            let not_flag = chip.linear(l, "1 - flag", &[(-ONE, &flag)], ONE)?;
            chip.assert_zero_when(l, "y is zero when not flag", &not_flag, &y)?;
            if let Some(bad) = self.bad_output {
                chip.row(
                    l,
                    "x y = bad",
                    [
                        Input::Copy(&x),
                        Input::Copy(&y),
                        Input::Unused,
                        Input::Fresh(Value::known(bad)),
                    ],
                    [ONE, ZERO, ZERO, ZERO, -ONE, ZERO],
                )?;
            }
            Ok(())
        }
    }

    fn accepts(ops: Ops) -> bool {
        MockProver::run(6, &ops, vec![]).unwrap().verify().is_ok()
    }

    #[test]
    fn honest_rows_hold() {
        assert!(accepts(Ops {
            x: Fp::from(6),
            y: Fp::from(7),
            bad_output: None,
            flag: Fp::one()
        }));
        assert!(accepts(Ops {
            x: Fp::from(6),
            y: Fp::zero(),
            bad_output: None,
            flag: Fp::zero()
        }));
    }

    #[test]
    fn a_wrong_product_is_rejected() {
        let ops = Ops {
            x: Fp::from(6),
            y: Fp::from(7),
            bad_output: Some(Fp::from(43)),
            flag: Fp::one(),
        };
        assert!(!accepts(ops));
    }

    #[test]
    fn a_non_boolean_flag_is_rejected() {
        assert!(!accepts(Ops {
            x: Fp::from(6),
            y: Fp::from(7),
            bad_output: None,
            flag: Fp::from(2)
        }));
    }

    #[test]
    fn zero_unless_rejects_a_value_without_its_flag() {
        assert!(!accepts(Ops {
            x: Fp::from(6),
            y: Fp::from(7),
            bad_output: None,
            flag: Fp::zero()
        }));
    }

    /// The instructions of statement version 3: `assert_zero_when`, `public`, and a
    /// `mul_offset_add` row whose output the test may replace.
    #[derive(Clone)]
    struct Version3 {
        flag: Fp,
        x: Fp,
        /// What the prover claims the public input is.
        public_claim: Fp,
        /// Replaces the output of `x (y + k) + z` for `(x, y, z) = (3, 5, 7)`, `k = -2`.
        offset_output: Option<Fp>,
    }

    impl Circuit<Fp> for Version3 {
        type Config = (ArithConfig, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let advice = [(); 4].map(|_| meta.advice_column());
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (ArithChip::configure(meta, advice), instance)
        }
        fn synthesize(
            &self,
            (config, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let chip = ArithChip::construct(config);
            let l = &mut layouter;
            let names = ["flag", "x", "claim"].map(String::from);
            let values = [self.flag, self.x, self.public_claim].map(Value::known);
            let [flag, x, claim] =
                <[Cell; 3]>::try_from(chip.witness_row(l, &names, &values)?).expect("three cells");
            chip.assert_zero_when(l, "x is zero when flag", &flag, &x)?;
            let public = chip.public(l, "public 0", instance, 0)?;
            chip.assert_linear_zero(l, "claim = public", &[(ONE, &claim), (-ONE, &public)], ZERO)?;
            let [a, b, c] = [3u64, 5, 7].map(|v| Value::known(Fp::from(v)));
            let names = ["a", "b", "c"].map(String::from);
            let abc = chip.witness_row(l, &names, &[a, b, c])?;
            let k = -Fp::from(2);
            match self.offset_output {
                None => {
                    let out =
                        chip.mul_offset_add(l, "3 (5 - 2) + 7", &abc[0], &abc[1], k, &abc[2])?;
                    l.constrain_instance(out.cell(), instance, 1)?;
                }
                Some(bad) => {
                    chip.row(
                        l,
                        "3 (5 - 2) + 7 = bad",
                        [
                            Input::Copy(&abc[0]),
                            Input::Copy(&abc[1]),
                            Input::Copy(&abc[2]),
                            Input::Fresh(Value::known(bad)),
                        ],
                        [ONE, k, ZERO, ONE, -ONE, ZERO],
                    )?;
                }
            }
            Ok(())
        }
    }

    fn version3(flag: u64, x: u64, public_claim: u64, offset_output: Option<u64>) -> bool {
        let circuit = Version3 {
            flag: Fp::from(flag),
            x: Fp::from(x),
            public_claim: Fp::from(public_claim),
            offset_output: offset_output.map(Fp::from),
        };
        let instance = vec![Fp::from(42), Fp::from(16)];
        MockProver::run(6, &circuit, vec![instance])
            .unwrap()
            .verify()
            .is_ok()
    }

    #[test]
    fn version_3_instructions_hold_honestly() {
        // 3 (5 - 2) + 7 = 16 is the public output; the claim 42 is the public input.
        assert!(version3(1, 0, 42, None));
        assert!(version3(0, 9, 42, None));
        assert!(version3(0, 0, 42, Some(16)));
    }

    #[test]
    fn a_value_where_its_flag_forbids_one_is_refused() {
        assert!(!version3(1, 9, 42, None));
        assert!(!version3(5, 1, 42, None));
    }

    #[test]
    fn a_public_cell_is_the_instance() {
        assert!(!version3(0, 0, 41, None));
    }

    #[test]
    fn a_wrong_offset_product_is_refused() {
        // 3 * 5 + 7 (the offset left out) and 3 (5 + 2) + 7 (the offset's sign flipped).
        assert!(!version3(0, 0, 42, Some(22)));
        assert!(!version3(0, 0, 42, Some(28)));
    }
}
