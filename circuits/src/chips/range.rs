//! The range-check chip: `0 <= x < 2^n` by a lookup into a table of `K`-bit words.
//!
//! It drives halo2_gadgets' `LookupRangeCheckConfig` (a running-sum decomposition into
//! `K = 10`-bit words, each looked up in `table`) and fills the table itself.
//!
//! | running_sum | q_lookup | q_running | q_bitshift |          |
//! |-------------|----------|-----------|------------|----------|
//! | z_0 = x     |    1     |     1     |     0      | word 0   |
//! | z_1         |    1     |     1     |     0      | word 1   |
//! | ...         |          |           |            |          |
//! | z_w         |    0     |     0     |     0      | 0 if n = 10w, else short-checked below |
//!
//! For `n = 10 w + s` with `0 < s < 10`, the top word `z_w` is checked to `s` bits by the
//! gadget's short check (`z_w * 2^(10 - s)` is looked up too), in a region of three rows.
//!
//! Constraints and the cheat each stops:
//! - lookup `word in [0, 2^10)` on every `z_i - 2^10 z_{i+1}`: a word outside the table, which
//!   would let a "small" value be a field element near the modulus (a negative number);
//! - `z_w = 0` (strict) or the short check of `z_w`: a value with bits above `n`;
//! - the copy of `x` into `z_0`: checking some other cell than the one the caller named.
//!
//! A value `< 2^n` with `n <= 250` fits the field with room to spare, so sums of a few checked
//! values never wrap around the Pallas modulus (`p > 2^254`).

use halo2_gadgets::utilities::lookup_range_check::{LookupRangeCheck, LookupRangeCheckConfig};
use halo2_proofs::{
    circuit::{AssignedCell, Layouter, Value},
    plonk::{Advice, Column, ConstraintSystem, Error, Instance, TableColumn},
};

use crate::forgery;
use crate::hash::Fp;

/// Bits per looked-up word.
pub const WORD_BITS: usize = 10;

/// Configuration of [`RangeCheckChip`].
#[derive(Clone, Copy, Debug)]
pub struct RangeCheckConfig {
    lookup: LookupRangeCheckConfig<Fp, WORD_BITS>,
    running_sum: Column<Advice>,
    table: TableColumn,
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

impl RangeCheckChip {
    /// Configures the chip on `running_sum` with a new lookup table column.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        running_sum: Column<Advice>,
    ) -> RangeCheckConfig {
        let table = meta.lookup_table_column();
        let lookup = LookupRangeCheckConfig::configure(meta, running_sum, table);
        RangeCheckConfig {
            lookup,
            running_sum,
            table,
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
        let lookup = &self.config.lookup;
        let running_sum = self.config.running_sum;
        let (x, top) = layouter.assign_region(
            || format!("{name}: < 2^{bits}"),
            |mut region| {
                let z_0 = match &source {
                    Source::Copy(cell) => {
                        cell.copy_advice(|| "z_0", &mut region, running_sum, 0)?
                    }
                    Source::Witness(value) => {
                        region.assign_advice(|| "z_0", running_sum, 0, || *value)?
                    }
                    Source::Public(column, row) => region.assign_advice_from_instance(
                        || "z_0",
                        *column,
                        *row,
                        running_sum,
                        0,
                    )?,
                };
                if words == 0 {
                    return Ok((z_0.clone(), z_0));
                }
                // Strict when the words cover every bit; else the top is short-checked.
                let zs = lookup.range_check(&mut region, z_0.clone(), words, short == 0)?;
                Ok((z_0, zs[words].clone()))
            },
        )?;
        if short > 0 {
            lookup.copy_short_check(
                layouter.namespace(|| format!("{name}: top bits")),
                top,
                short,
            )?;
        }
        Ok(x)
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

    fn pow2(n: u32) -> Fp {
        Fp::from(2).pow_vartime([n as u64])
    }

    #[test]
    fn edges_of_every_width() {
        for bits in [1usize, 3, 9, 10, 20, 41, 48, 57, 64, 100] {
            let top = pow2(bits as u32);
            assert!(accepts(Fp::ZERO, bits), "0 < 2^{bits}");
            assert!(accepts(top - Fp::ONE, bits), "2^{bits} - 1 < 2^{bits}");
            assert!(!accepts(top, bits), "2^{bits} accepted as < 2^{bits}");
        }
    }

    #[test]
    fn negative_numbers_wrap_and_fail() {
        // -1 is p - 1 in the field: a "small negative" must never pass as small.
        for bits in [8usize, 64, 100] {
            assert!(!accepts(-Fp::ONE, bits));
            assert!(!accepts(-pow2(bits as u32), bits));
        }
    }
}
