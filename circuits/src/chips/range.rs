//! The range-check chip: `0 <= x < 2^n` by a lookup into a table of `K`-bit words.
//!
//! A running-sum decomposition into `K = 10`-bit words in one advice column, each word looked
//! up in the table `0 .. 2^10`. The lookup's input has degree 2 (a selector times a difference
//! of cells), so the lookup argument has degree 5 and the circuit's extended domain stays `4n`.
//!
//! | z (running sum) | q_word | q_short | q_shift | K_shift      | row holds            |
//! |-----------------|--------|---------|---------|--------------|----------------------|
//! | z_0 = x         |   1    |    0    |    0    |              | word 0 = z_0 - 2^10 z_1 |
//! | z_1             |   1    |    0    |    0    |              | word 1               |
//! | ...             |        |         |         |              |                      |
//! | z_w             |   0    |    1    |    0    |              | the top, `< 2^10`     |
//! | z_w 2^(10 - s)  |   0    |    1    |    1    | 2^(10 - s)   | the top, shifted     |
//!
//! For `n = 10 w` the top `z_w` is the constant 0 instead of the last two rows.
//!
//! Constraints and the cheat each stops:
//! - lookup `range table`: `q_word (z_i - 2^10 z_(i+1)) + q_short z_i` is one of the table's
//!   words: a word outside `[0, 2^10)` would let a "small" value be a field element near the
//!   modulus (a negative number);
//! - `short: shift`: the shifted top is `z_w 2^(10 - s)`; both are words, so `z_w < 2^s`:
//!   without it a value with bits above `n` (up to 10 w + 10) would pass;
//! - `z_w = 0` (a copy of the constant 0, for `n = 10 w`): the same, when no short check is
//!   needed;
//! - the copy of `x` into `z_0`: checking some other cell than the one the caller named.
//!
//! A value `< 2^n` with `n <= 250` fits the field with room to spare, so sums of a few checked
//! values never wrap around the Pallas modulus (`p > 2^254`).

use ff::{Field, PrimeField};
use halo2_proofs::{
    circuit::{AssignedCell, Layouter, Value},
    plonk::{
        Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
        Selector, TableColumn,
    },
    poly::Rotation,
};

use crate::forgery;
use crate::hash::Fp;

/// Bits per looked-up word.
pub const WORD_BITS: usize = 10;

/// Configuration of [`RangeCheckChip`].
#[derive(Clone, Copy, Debug)]
pub struct RangeCheckConfig {
    running_sum: Column<Advice>,
    table: TableColumn,
    q_word: Selector,
    q_short: Selector,
    q_shift: Selector,
    shift: Column<Fixed>,
}

/// What the range-check chip can do.
pub trait RangeInstructions {
    /// Constrains the value of `cell` to `[0, 2^bits)`.
    fn range_check(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        cell: &AssignedCell<Fp, Fp>,
        bits: usize,
    ) -> Result<(), Error>;

    /// Witnesses a value and constrains it to `[0, 2^bits)`.
    fn witness_range_checked(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        value: Value<Fp>,
        bits: usize,
    ) -> Result<AssignedCell<Fp, Fp>, Error>;

    /// Copies the public input at `row` of `instance` into a cell constrained to
    /// `[0, 2^bits)`.
    fn public_range_checked(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        instance: Column<Instance>,
        row: usize,
        bits: usize,
    ) -> Result<AssignedCell<Fp, Fp>, Error>;
}

/// The range-check chip.
#[derive(Clone, Debug)]
pub struct RangeCheckChip {
    config: RangeCheckConfig,
}

/// Where a checked value comes from.
enum Source<'a> {
    Copy(&'a AssignedCell<Fp, Fp>),
    Witness(Value<Fp>),
    Public(Column<Instance>, usize),
}

/// `2^n` as a field element.
fn pow2(n: usize) -> Fp {
    Fp::from(2).pow_vartime([n as u64])
}

impl RangeCheckChip {
    /// Configures the chip on `running_sum` (equality-enabled here) with a new lookup table
    /// column and a new fixed column for the short check's shift.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        running_sum: Column<Advice>,
    ) -> RangeCheckConfig {
        meta.enable_equality(running_sum);
        let table = meta.lookup_table_column();
        let q_word = meta.complex_selector();
        let q_short = meta.complex_selector();
        let q_shift = meta.selector();
        let shift = meta.fixed_column();
        let radix = Expression::Constant(pow2(WORD_BITS));
        meta.lookup(|meta| {
            let q_word = meta.query_selector(q_word);
            let q_short = meta.query_selector(q_short);
            let z = meta.query_advice(running_sum, Rotation::cur());
            let z_next = meta.query_advice(running_sum, Rotation::next());
            let word = q_word * (z.clone() - z_next * radix) + q_short * z;
            vec![(word, table)]
        });
        meta.create_gate("short", |meta| {
            let q = meta.query_selector(q_shift);
            let top = meta.query_advice(running_sum, Rotation::prev());
            let shifted = meta.query_advice(running_sum, Rotation::cur());
            let factor = meta.query_fixed(shift);
            Constraints::with_selector(q, [("shift", shifted - top * factor)])
        });
        RangeCheckConfig {
            running_sum,
            table,
            q_word,
            q_short,
            q_shift,
            shift,
        }
    }

    pub fn construct(config: RangeCheckConfig) -> Self {
        RangeCheckChip { config }
    }

    /// Fills the table with `0 .. 2^10`. Call once per synthesis.
    pub fn load_table(&self, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
        layouter.assign_table(
            || "range table",
            |mut table| {
                for word in 0..(1u64 << WORD_BITS) {
                    table.assign_cell(
                        || "word",
                        self.config.table,
                        word as usize,
                        || Value::known(Fp::from(word)),
                    )?;
                }
                Ok(())
            },
        )
    }

    fn check(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        source: Source<'_>,
        bits: usize,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        assert!(bits > 0 && bits <= 250, "range checks are for 1..=250 bits");
        let words = bits / WORD_BITS;
        let short = bits % WORD_BITS;
        let config = self.config;
        let z = config.running_sum;
        layouter.assign_region(
            || format!("{name}: < 2^{bits}"),
            |mut region| {
                let z_0 = match &source {
                    Source::Copy(cell) => cell.copy_advice(|| "z_0", &mut region, z, 0)?,
                    Source::Witness(value) => region.assign_advice(|| "z_0", z, 0, || *value)?,
                    Source::Public(column, row) => {
                        region.assign_advice_from_instance(|| "z_0", *column, *row, z, 0)?
                    }
                };
                // z_(i+1) = (z_i - word_i) / 2^10, with word_i the low ten bits of z_i. The
                // honest prover's value is below 2^bits; a dishonest one's words leave the
                // table (the lookup refuses them), whatever this division gives.
                let radix_inverse = pow2(WORD_BITS).invert().unwrap();
                let mut value = z_0.value().copied();
                for i in 0..words {
                    config.q_word.enable(&mut region, i)?;
                    value = value.map(|v| {
                        let repr = v.to_repr();
                        let low = repr[0] as u64 | ((repr[1] as u64) << 8);
                        (v - Fp::from(low & ((1 << WORD_BITS) - 1))) * radix_inverse
                    });
                    let cell = region.assign_advice(|| "z", z, i + 1, || value)?;
                    if i + 1 == words && short == 0 {
                        // Every bit is in a word, so the top must be zero: an honest top is,
                        // a dishonest one (a value of more than `bits` bits) fails this copy
                        // of the constant 0 while each of its words stays in the table.
                        region.constrain_constant(cell.cell(), Fp::zero())?;
                    }
                }
                if short > 0 {
                    // The top z_w, looked up, and z_w 2^(10 - short), looked up: z_w < 2^short.
                    config.q_short.enable(&mut region, words)?;
                    config.q_short.enable(&mut region, words + 1)?;
                    config.q_shift.enable(&mut region, words + 1)?;
                    let factor = pow2(WORD_BITS - short);
                    region.assign_fixed(
                        || "2^(10 - s)",
                        config.shift,
                        words + 1,
                        || Value::known(factor),
                    )?;
                    region.assign_advice(
                        || "shifted top",
                        z,
                        words + 1,
                        || value * Value::known(factor),
                    )?;
                }
                Ok(z_0)
            },
        )
    }
}

impl RangeInstructions for RangeCheckChip {
    fn range_check(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        cell: &AssignedCell<Fp, Fp>,
        bits: usize,
    ) -> Result<(), Error> {
        self.check(layouter, name, Source::Copy(cell), bits)
            .map(|_| ())
    }

    fn witness_range_checked(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        value: Value<Fp>,
        bits: usize,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        self.check(
            layouter,
            name,
            Source::Witness(forgery::witness(name, value)),
            bits,
        )
    }

    fn public_range_checked(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        instance: Column<Instance>,
        row: usize,
        bits: usize,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        self.check(layouter, name, Source::Public(instance, row), bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;
    use halo2_proofs::{
        circuit::SimpleFloorPlanner,
        dev::MockProver,
        plonk::{Circuit, ConstraintSystem},
    };

    /// Checks one witnessed value against `bits`.
    #[derive(Clone)]
    struct OneValue {
        value: Fp,
        bits: usize,
    }

    impl Circuit<Fp> for OneValue {
        type Config = RangeCheckConfig;
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> RangeCheckConfig {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let column = meta.advice_column();
            RangeCheckChip::configure(meta, column)
        }
        fn synthesize(
            &self,
            config: RangeCheckConfig,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let chip = RangeCheckChip::construct(config);
            chip.load_table(&mut layouter)?;
            chip.witness_range_checked(&mut layouter, "x", Value::known(self.value), self.bits)?;
            Ok(())
        }
    }

    fn accepts(value: Fp, bits: usize) -> bool {
        let circuit = OneValue { value, bits };
        MockProver::run(11, &circuit, vec![])
            .unwrap()
            .verify()
            .is_ok()
    }

    #[test]
    fn edges_of_every_width() {
        for bits in [1usize, 3, 9, 10, 20, 41, 48, 57, 64, 100] {
            let top = pow2(bits);
            assert!(accepts(Fp::ZERO, bits), "0 < 2^{bits}");
            assert!(accepts(top - Fp::ONE, bits), "2^{bits} - 1 < 2^{bits}");
            assert!(!accepts(top, bits), "2^{bits} accepted as < 2^{bits}");
        }
    }

    /// A short check laid out by hand, with the shifted top off by one.
    #[derive(Clone)]
    struct WrongShift;

    impl Circuit<Fp> for WrongShift {
        type Config = RangeCheckConfig;
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> RangeCheckConfig {
            OneValue::configure(meta)
        }
        fn synthesize(
            &self,
            config: RangeCheckConfig,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let chip = RangeCheckChip::construct(config);
            chip.load_table(&mut layouter)?;
            layouter.assign_region(
                || "x: < 2^3",
                |mut region| {
                    // 5 < 2^3; its shift 5 * 2^7 = 640, witnessed as 641 (a word, too).
                    let z = config.running_sum;
                    config.q_short.enable(&mut region, 0)?;
                    config.q_short.enable(&mut region, 1)?;
                    config.q_shift.enable(&mut region, 1)?;
                    region.assign_fixed(|| "2^7", config.shift, 1, || Value::known(pow2(7)))?;
                    region.assign_advice(|| "z_0", z, 0, || Value::known(Fp::from(5)))?;
                    region.assign_advice(|| "shifted", z, 1, || Value::known(Fp::from(641)))?;
                    Ok(())
                },
            )
        }
    }

    #[test]
    fn a_shifted_top_that_is_not_the_top_times_the_shift_is_refused() {
        let failures = MockProver::run(11, &WrongShift, vec![])
            .unwrap()
            .verify()
            .expect_err("a wrong shift passed");
        let names: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.contains("Constraint 0 ('shift') in gate 0 ('short')")),
            "{names:?}"
        );
    }

    #[test]
    fn negative_numbers_wrap_and_fail() {
        // -1 is p - 1 in the field: a "small negative" must never pass as small.
        for bits in [8usize, 64, 100] {
            assert!(!accepts(-Fp::ONE, bits));
            assert!(!accepts(-pow2(bits), bits));
        }
    }
}
