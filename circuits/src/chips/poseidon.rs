//! The hash chip: Poseidon P128Pow5T3 in `ConstantLength` mode, as `hash::poseidon` computes it,
//! in gates of degree 4.
//!
//! Why a chip of our own: halo2_gadgets' `Pow5Chip` constrains `x^5` times a selector, a gate
//! of degree 6, and halo2 evaluates every column of a circuit of degree 6 on an extended domain
//! of `8n` points instead of `4n`. Here every S-box input `u` gets a witnessed square
//! `q = u^2`, and the S-box output is the degree-3 expression `q^2 u`, so no gate passes
//! degree 4. Four partial rounds share a row, so a permutation takes 22 rows and one more for
//! its output (the absorption of the next two message elements happens on that row).
//!
//! Columns: the state `x_0, x_1, x_2`, seven auxiliary cells `w_0..w_6`, seven fixed round
//! constants `K_0..K_6` and three selectors. One permutation, from its input row `r`:
//!
//! | rows          | x_0 x_1 x_2 | w_0 w_1 w_2 w_3 w_4 w_5 w_6   | K_0..K_6                 | selector  |
//! |---------------|-------------|-------------------------------|--------------------------|-----------|
//! | r .. r+3      | state       | q_0 q_1 q_2 (squares)          | rc of the round, 0 ...   | q_full    |
//! | r+4 .. r+17   | state       | q_1 u_2 q_2 u_3 q_3 u_4 q_4    | folded constants (below) | q_partial |
//! | r+18 .. r+21  | state       | q_0 q_1 q_2                    | rc of the round          | q_full    |
//! | r+22          | output      | m_0 m_1 (next message, if any) |                          | q_absorb  |
//!
//! Full round (`q_full`), with `u_i = x_i + K_i`:
//! - `square i`: `q_i = u_i^2`;
//! - `output i`: `x_i' = sum_j M[i][j] q_j^2 u_j` (the next row's state).
//!
//! Four partial rounds (`q_partial`): `u_1 = x_0 + K_0`, `t_j = q_j^2 u_j` is round `j`'s
//! S-box output. Everything past the S-boxes is affine, so the inputs `u_2, u_3, u_4` of the
//! later rounds and the three outputs are fixed linear forms in `(t_1..t_4, x_1, x_2)`, the
//! same on every row, plus one constant each, which folds that row's round constants
//! (`K_1..K_3` for `u_2..u_4`, `K_4..K_6` for the outputs):
//! - `square j`: `q_j = u_j^2`;
//! - `S-box input j` (j = 2..4): `u_j = L_j(t, x_1, x_2) + K_(j-1)`;
//! - `output i`: `x_i' = O_i(t, x_1, x_2) + K_(4+i)`.
//!
//! Absorb (`q_absorb`, on a permutation's output row when more message follows):
//! `rate i`: `x_i' = x_i + m_i` for i = 0, 1; `capacity`: `x_2' = x_2`.
//!
//! The first input row holds the first two message cells (copied) and the capacity element
//! `L 2^64` (a constant); a missing last element of an odd-length message is the constant 0.
//! The digest is `x_0` of the last output row. The cheat each constraint stops: any witnessed
//! cell the gates did not bind would let the prover choose a hash output, and so open a leaf
//! with amounts the tree does not hold, or a credit line with another allowance. Each named
//! constraint has a test below that alters one cell of an honest hash and sees that constraint
//! refuse it.

use ff::PrimeField;
use halo2_poseidon::{Mds, P128Pow5T3, Spec};
use halo2_proofs::{
    circuit::{AssignedCell, Layouter, Region, Value},
    plonk::{Advice, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Selector},
    poly::Rotation,
};

use crate::hash::Fp;

/// Partial rounds per row.
const PARTIAL_PER_ROW: usize = 4;
/// Half the full rounds of P128Pow5T3 (before and after the partial rounds).
const HALF_FULL: usize = 4;
/// Partial rounds of P128Pow5T3.
const PARTIAL: usize = 56;
/// Rows of round gates in one permutation.
const ROUND_ROWS: usize = 2 * HALF_FULL + PARTIAL / PARTIAL_PER_ROW;
/// Rows one permutation occupies (its round rows and its output row).
pub const ROWS_PER_PERMUTATION: usize = ROUND_ROWS + 1;

/// Configuration of [`PoseidonChip`].
#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    state: [Column<Advice>; 3],
    aux: [Column<Advice>; 7],
    constants: [Column<Fixed>; 7],
    q_full: Selector,
    q_partial: Selector,
    q_absorb: Selector,
    /// The 22 round rows of a permutation, the same for every permutation.
    rows: Vec<RoundRow>,
    mds: Mds<Fp, 3>,
}

/// One round row of a permutation: its fixed cells `K_0..K_6` and, for a row of partial
/// rounds, the forms of its S-box inputs `u_2..u_4` and of its outputs.
#[derive(Clone, Debug)]
struct RoundRow {
    constants: [Fp; 7],
    partial: Option<([Affine; 3], [Affine; 3])>,
}

/// The round rows of P128Pow5T3, computed once from its round constants.
fn round_rows(round_constants: &[[Fp; 3]], mds: &Mds<Fp, 3>) -> Vec<RoundRow> {
    (0..ROUND_ROWS)
        .map(|row| {
            let mut constants = [Fp::zero(); 7];
            let first_partial_row = HALF_FULL;
            let last_full_rows = HALF_FULL + PARTIAL / PARTIAL_PER_ROW;
            if row < first_partial_row || row >= last_full_rows {
                // Full rounds 0..4 on rows 0..4, rounds 60..64 on rows 18..22.
                let round = if row < first_partial_row {
                    row
                } else {
                    row - last_full_rows + HALF_FULL + PARTIAL
                };
                constants[..3].copy_from_slice(&round_constants[round]);
                RoundRow {
                    constants,
                    partial: None,
                }
            } else {
                let first = HALF_FULL + (row - HALF_FULL) * PARTIAL_PER_ROW;
                let rc = &round_constants[first..first + PARTIAL_PER_ROW];
                let (inputs, outputs) = partial_row_forms(mds, rc);
                constants[0] = rc[0][0];
                for j in 0..3 {
                    constants[1 + j] = inputs[j].constant;
                    constants[4 + j] = outputs[j].constant;
                }
                RoundRow {
                    constants,
                    partial: Some((inputs, outputs)),
                }
            }
        })
        .collect()
}

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

/// An affine form in the variables of a partial-round row, `(t_1, t_2, t_3, t_4, x_1, x_2)`.
#[derive(Clone, Copy, Debug)]
struct Affine {
    coefficients: [Fp; 6],
    constant: Fp,
}

/// Index of `x_1` and `x_2` among a partial row's variables (after `t_1..t_4`).
const X1: usize = 4;
const X2: usize = 5;

impl Affine {
    fn variable(index: usize) -> Affine {
        let mut coefficients = [Fp::zero(); 6];
        coefficients[index] = Fp::one();
        Affine {
            coefficients,
            constant: Fp::zero(),
        }
    }

    fn plus_constant(mut self, c: Fp) -> Affine {
        self.constant += c;
        self
    }

    fn evaluate(&self, variables: &[Fp; 6]) -> Fp {
        self.coefficients
            .iter()
            .zip(variables)
            .fold(self.constant, |sum, (c, v)| sum + *c * v)
    }

    /// The linear part as an expression in `variables`, plus the fixed cell `constant`.
    fn expression(
        &self,
        variables: &[Expression<Fp>; 6],
        constant: Expression<Fp>,
    ) -> Expression<Fp> {
        self.coefficients
            .iter()
            .zip(variables)
            .fold(constant, |sum, (c, v)| {
                sum + v.clone() * Expression::Constant(*c)
            })
    }
}

/// `M y` for a state of affine forms.
fn mds_forms(mds: &Mds<Fp, 3>, y: &[Affine; 3]) -> [Affine; 3] {
    [0, 1, 2].map(|i| {
        let mut out = Affine {
            coefficients: [Fp::zero(); 6],
            constant: Fp::zero(),
        };
        for (j, form) in y.iter().enumerate() {
            for (o, c) in out.coefficients.iter_mut().zip(form.coefficients) {
                *o += mds[i][j] * c;
            }
            out.constant += mds[i][j] * form.constant;
        }
        out
    })
}

/// The forms of one row of four partial rounds with round constants `rc`: the S-box inputs
/// `u_2, u_3, u_4` and the row's three outputs. Their linear parts depend on the MDS matrix
/// alone; their constants fold the round constants.
fn partial_row_forms(mds: &Mds<Fp, 3>, rc: &[[Fp; 3]]) -> ([Affine; 3], [Affine; 3]) {
    // Round 1: its S-box input `u_1 = x_0 + rc[0][0]` is formed in the gate.
    let mut y = [
        Affine::variable(0),
        Affine::variable(X1).plus_constant(rc[0][1]),
        Affine::variable(X2).plus_constant(rc[0][2]),
    ];
    let mut inputs = [y[0]; 3];
    for j in 1..PARTIAL_PER_ROW {
        let s = mds_forms(mds, &y);
        inputs[j - 1] = s[0].plus_constant(rc[j][0]);
        y = [
            Affine::variable(j),
            s[1].plus_constant(rc[j][1]),
            s[2].plus_constant(rc[j][2]),
        ];
    }
    (inputs, mds_forms(mds, &y))
}

/// The witness of one round row: auxiliary cells and the next state.
struct RowWitness {
    aux: [Fp; 7],
    next: [Fp; 3],
}

fn pow5(u: Fp) -> (Fp, Fp) {
    let q = u.square();
    (q, q.square() * u)
}

impl PoseidonChip {
    /// Configures the chip on three state and seven auxiliary advice columns, with seven new
    /// fixed columns for the round constants. The state columns and the first two auxiliary
    /// columns (the message) take part in equality constraints.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        state: [Column<Advice>; 3],
        aux: [Column<Advice>; 7],
    ) -> PoseidonConfig {
        for column in state.iter().chain(&aux[..2]) {
            meta.enable_equality(*column);
        }
        let constants = [(); 7].map(|_| meta.fixed_column());
        let q_full = meta.selector();
        let q_partial = meta.selector();
        let q_absorb = meta.selector();
        let (round_constants, mds, _) = <P128Pow5T3 as Spec<Fp, 3, 2>>::constants();
        assert_eq!(round_constants.len(), 2 * HALF_FULL + PARTIAL);
        assert_eq!(
            (
                <P128Pow5T3 as Spec<Fp, 3, 2>>::full_rounds(),
                <P128Pow5T3 as Spec<Fp, 3, 2>>::partial_rounds()
            ),
            (2 * HALF_FULL, PARTIAL)
        );

        meta.create_gate("full round", |meta| {
            let q = meta.query_selector(q_full);
            let u = [0, 1, 2].map(|i| {
                meta.query_advice(state[i], Rotation::cur()) + meta.query_fixed(constants[i])
            });
            let squares = [0, 1, 2].map(|i| meta.query_advice(aux[i], Rotation::cur()));
            let next = [0, 1, 2].map(|i| meta.query_advice(state[i], Rotation::next()));
            let sbox: Vec<Expression<Fp>> = (0..3)
                .map(|i| squares[i].clone() * squares[i].clone() * u[i].clone())
                .collect();
            let square_names = ["square 0", "square 1", "square 2"];
            let output_names = ["output 0", "output 1", "output 2"];
            let mut constraints = Vec::new();
            for i in 0..3 {
                constraints.push((
                    square_names[i],
                    squares[i].clone() - u[i].clone() * u[i].clone(),
                ));
            }
            for i in 0..3 {
                let mixed = (0..3).fold(Expression::Constant(Fp::zero()), |sum, j| {
                    sum + sbox[j].clone() * Expression::Constant(mds[i][j])
                });
                constraints.push((output_names[i], next[i].clone() - mixed));
            }
            Constraints::with_selector(q, constraints)
        });

        let zero_rc = [[Fp::zero(); 3]; PARTIAL_PER_ROW];
        let (input_forms, output_forms) = partial_row_forms(&mds, &zero_rc);
        meta.create_gate("partial rounds", |meta| {
            let q = meta.query_selector(q_partial);
            let k = constants.map(|c| meta.query_fixed(c));
            let x = [0, 1, 2].map(|i| meta.query_advice(state[i], Rotation::cur()));
            let w = aux.map(|c| meta.query_advice(c, Rotation::cur()));
            let next = [0, 1, 2].map(|i| meta.query_advice(state[i], Rotation::next()));
            // S-box inputs u_1..u_4 and their squares q_1..q_4.
            let u = [
                x[0].clone() + k[0].clone(),
                w[1].clone(),
                w[3].clone(),
                w[5].clone(),
            ];
            let q_sq = [w[0].clone(), w[2].clone(), w[4].clone(), w[6].clone()];
            let t: Vec<Expression<Fp>> = (0..4)
                .map(|j| q_sq[j].clone() * q_sq[j].clone() * u[j].clone())
                .collect();
            let variables = [
                t[0].clone(),
                t[1].clone(),
                t[2].clone(),
                t[3].clone(),
                x[1].clone(),
                x[2].clone(),
            ];
            let square_names = ["square 1", "square 2", "square 3", "square 4"];
            let input_names = ["S-box input 2", "S-box input 3", "S-box input 4"];
            let output_names = ["output 0", "output 1", "output 2"];
            let mut constraints = Vec::new();
            for j in 0..4 {
                constraints.push((
                    square_names[j],
                    q_sq[j].clone() - u[j].clone() * u[j].clone(),
                ));
            }
            for j in 0..3 {
                constraints.push((
                    input_names[j],
                    u[j + 1].clone() - input_forms[j].expression(&variables, k[1 + j].clone()),
                ));
            }
            for i in 0..3 {
                constraints.push((
                    output_names[i],
                    next[i].clone() - output_forms[i].expression(&variables, k[4 + i].clone()),
                ));
            }
            Constraints::with_selector(q, constraints)
        });

        meta.create_gate("absorb", |meta| {
            let q = meta.query_selector(q_absorb);
            let x = [0, 1, 2].map(|i| meta.query_advice(state[i], Rotation::cur()));
            let next = [0, 1, 2].map(|i| meta.query_advice(state[i], Rotation::next()));
            let m = [0, 1].map(|i| meta.query_advice(aux[i], Rotation::cur()));
            Constraints::with_selector(
                q,
                [
                    ("rate 0", next[0].clone() - x[0].clone() - m[0].clone()),
                    ("rate 1", next[1].clone() - x[1].clone() - m[1].clone()),
                    ("capacity", next[2].clone() - x[2].clone()),
                ],
            )
        });

        PoseidonConfig {
            state,
            aux,
            constants,
            q_full,
            q_partial,
            q_absorb,
            rows: round_rows(&round_constants, &mds),
            mds,
        }
    }

    /// Configures the chip on ten new advice columns (for circuits that share none with it).
    pub fn configure_on_new_columns(meta: &mut ConstraintSystem<Fp>) -> PoseidonConfig {
        let state = [(); 3].map(|_| meta.advice_column());
        let aux = [(); 7].map(|_| meta.advice_column());
        PoseidonChip::configure(meta, state, aux)
    }

    pub fn construct(config: PoseidonConfig) -> Self {
        PoseidonChip { config }
    }

    /// The witness of round row `row` (0..22) of a permutation whose state at that row is `x`.
    fn round_row(&self, row: usize, x: [Fp; 3]) -> RowWitness {
        let spec = &self.config.rows[row];
        let k = spec.constants;
        let mut aux = [Fp::zero(); 7];
        match &spec.partial {
            None => {
                let mds = &self.config.mds;
                let mut sbox = [Fp::zero(); 3];
                for i in 0..3 {
                    (aux[i], sbox[i]) = pow5(x[i] + k[i]);
                }
                let next = [0, 1, 2].map(|i| (0..3).map(|j| mds[i][j] * sbox[j]).sum());
                RowWitness { aux, next }
            }
            Some((inputs, outputs)) => {
                let mut variables = [Fp::zero(), Fp::zero(), Fp::zero(), Fp::zero(), x[1], x[2]];
                let mut u = x[0] + k[0];
                for j in 0..PARTIAL_PER_ROW {
                    let (square, t) = pow5(u);
                    variables[j] = t;
                    if j > 0 {
                        aux[2 * j - 1] = u;
                    }
                    aux[2 * j] = square;
                    if j + 1 < PARTIAL_PER_ROW {
                        u = inputs[j].evaluate(&variables);
                    }
                }
                let next = outputs.map(|form| form.evaluate(&variables));
                RowWitness { aux, next }
            }
        }
    }

    /// Assigns the round rows of one permutation whose input state cells are at `start`, and
    /// the output state at `start + ROUND_ROWS`. Returns the output cells.
    fn permutation(
        &self,
        region: &mut Region<'_, Fp>,
        start: usize,
        input: Value<[Fp; 3]>,
        #[cfg(test)] tamper: Option<Tamper>,
    ) -> Result<[AssignedCell<Fp, Fp>; 3], Error> {
        let config = &self.config;
        let mut x = input;
        for row in 0..ROUND_ROWS {
            let at = start + row;
            let spec = &config.rows[row];
            let full = spec.partial.is_none();
            if full {
                config.q_full.enable(region, at)?;
            } else {
                config.q_partial.enable(region, at)?;
            }
            for (column, value) in config.constants.iter().zip(spec.constants) {
                region.assign_fixed(|| "round constant", *column, at, || Value::known(value))?;
            }
            let witness = x.map(|x| self.round_row(row, x));
            #[allow(unused_mut)]
            let mut witness = witness.map(|w| (w.aux, w.next));
            #[cfg(test)]
            if let Some(t) = tamper.filter(|t| t.row == at) {
                witness = witness.map(|(mut aux, next)| {
                    if let Some(a) = t.aux {
                        aux[a] += Fp::one();
                    }
                    (aux, next)
                });
            }
            let used = if full { 3 } else { 7 };
            for (i, column) in config.aux.iter().take(used).enumerate() {
                region.assign_advice(|| "sbox cell", *column, at, || witness.map(|w| w.0[i]))?;
            }
            x = witness.map(|w| w.1);
            #[cfg(test)]
            if let Some(t) = tamper.filter(|t| t.row == at + 1 && t.state.is_some()) {
                x = x.map(|mut x| {
                    x[t.state.unwrap()] += Fp::one();
                    x
                });
            }
            if row + 1 < ROUND_ROWS {
                for (i, column) in config.state.iter().enumerate() {
                    region.assign_advice(|| "state", *column, at + 1, || x.map(|x| x[i]))?;
                }
            }
        }
        let out = start + ROUND_ROWS;
        let cells = [0, 1, 2]
            .map(|i| region.assign_advice(|| "output", config.state[i], out, || x.map(|x| x[i])));
        let [a, b, c] = cells;
        Ok([a?, b?, c?])
    }

    fn hash_cells(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        message: &[AssignedCell<Fp, Fp>],
        #[cfg(test)] tamper: Option<Tamper>,
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        if message.is_empty() {
            return Err(Error::Synthesis);
        }
        let config = &self.config;
        let capacity = Fp::from_u128((message.len() as u128) << 64);
        layouter.assign_region(
            || name,
            |mut region| {
                let mut start = 0;
                let mut output: Option<[AssignedCell<Fp, Fp>; 3]> = None;
                for chunk in message.chunks(2) {
                    // Two message cells in `columns` at `row` (the second is 0 past the end).
                    let place = |region: &mut Region<'_, Fp>,
                                 columns: [Column<Advice>; 2],
                                 row: usize|
                     -> Result<[Value<Fp>; 2], Error> {
                        let first = chunk[0].copy_advice(|| "message", region, columns[0], row)?;
                        let second = match chunk.get(1) {
                            Some(cell) => {
                                cell.copy_advice(|| "message", region, columns[1], row)?
                            }
                            None => region.assign_advice_from_constant(
                                || "padding",
                                columns[1],
                                row,
                                Fp::zero(),
                            )?,
                        };
                        Ok([first.value().copied(), second.value().copied()])
                    };
                    let input = match &output {
                        None => {
                            let [m0, m1] =
                                place(&mut region, [config.state[0], config.state[1]], start)?;
                            let cap = region.assign_advice_from_constant(
                                || "capacity",
                                config.state[2],
                                start,
                                capacity,
                            )?;
                            m0.zip(m1)
                                .zip(cap.value().copied())
                                .map(|((a, b), c)| [a, b, c])
                        }
                        Some(previous) => {
                            let row = start - 1;
                            config.q_absorb.enable(&mut region, row)?;
                            let [m0, m1] = place(&mut region, [config.aux[0], config.aux[1]], row)?;
                            let x = [0, 1, 2].map(|i| previous[i].value().copied());
                            #[allow(unused_mut)]
                            let mut next = [x[0] + m0, x[1] + m1, x[2]];
                            #[cfg(test)]
                            if let Some(t) = tamper.filter(|t| t.row == start) {
                                if let Some(i) = t.state {
                                    next[i] = next[i] + Value::known(Fp::one());
                                }
                            }
                            for (i, column) in config.state.iter().enumerate() {
                                region.assign_advice(|| "absorbed", *column, start, || next[i])?;
                            }
                            next[0]
                                .zip(next[1])
                                .zip(next[2])
                                .map(|((a, b), c)| [a, b, c])
                        }
                    };
                    output = Some(self.permutation(
                        &mut region,
                        start,
                        input,
                        #[cfg(test)]
                        tamper,
                    )?);
                    start += ROWS_PER_PERMUTATION;
                }
                let [digest, _, _] = output.expect("a non-empty message");
                Ok(digest)
            },
        )
    }
}

impl HashInstructions for PoseidonChip {
    fn hash(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        message: &[AssignedCell<Fp, Fp>],
    ) -> Result<AssignedCell<Fp, Fp>, Error> {
        self.hash_cells(
            layouter,
            name,
            message,
            #[cfg(test)]
            None,
        )
    }
}

/// One cell of an honest hash altered by one (tests of the chip's own constraints).
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
struct Tamper {
    /// Region row.
    row: usize,
    /// An auxiliary cell of that row, or
    aux: Option<usize>,
    /// a state cell of that row (the previous row's gate output).
    state: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::poseidon;
    use halo2_proofs::{
        circuit::SimpleFloorPlanner,
        dev::{FailureLocation, MockProver, VerifyFailure},
        plonk::{Circuit, Instance},
    };

    #[derive(Clone)]
    struct HashOf {
        message: Vec<Fp>,
        tamper: Option<Tamper>,
    }

    impl Circuit<Fp> for HashOf {
        type Config = (PoseidonConfig, Column<Advice>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;
        fn without_witnesses(&self) -> Self {
            self.clone()
        }
        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let state = [(); 3].map(|_| meta.advice_column());
            let aux = [(); 7].map(|_| meta.advice_column());
            let message = meta.advice_column();
            meta.enable_equality(message);
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (PoseidonChip::configure(meta, state, aux), message, instance)
        }
        fn synthesize(
            &self,
            (config, column, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let message = layouter.assign_region(
                || "message",
                |mut region| {
                    self.message
                        .iter()
                        .enumerate()
                        .map(|(i, v)| region.assign_advice(|| "m", column, i, || Value::known(*v)))
                        .collect::<Result<Vec<_>, Error>>()
                },
            )?;
            let digest = PoseidonChip::construct(config).hash_cells(
                &mut layouter,
                "h",
                &message,
                self.tamper,
            )?;
            layouter.constrain_instance(digest.cell(), instance, 0)
        }
    }

    fn run(message: &[Fp], tamper: Option<Tamper>, digest: Fp) -> Result<(), Vec<VerifyFailure>> {
        let circuit = HashOf {
            message: message.to_vec(),
            tamper,
        };
        MockProver::run(9, &circuit, vec![vec![digest]])
            .expect("synthesis")
            .verify()
    }

    #[test]
    fn circuit_hash_equals_native_hash_for_every_length() {
        for len in [2usize, 3, 4, 6, 7, 8, 10, 12, 20] {
            let message: Vec<Fp> = (0..len as u64).map(|i| Fp::from(i * 7 + 1)).collect();
            let digest = poseidon(&message);
            assert!(run(&message, None, digest).is_ok(), "length {len}");
            assert!(
                run(&message, None, digest + Fp::one()).is_err(),
                "length {len} accepted a wrong digest"
            );
        }
    }

    #[test]
    fn an_empty_message_is_a_synthesis_error() {
        let circuit = HashOf {
            message: vec![],
            tamper: None,
        };
        assert!(MockProver::run(9, &circuit, vec![vec![Fp::zero()]]).is_err());
    }

    #[test]
    fn no_gate_passes_degree_four() {
        let mut meta = ConstraintSystem::<Fp>::default();
        let state = [(); 3].map(|_| meta.advice_column());
        let aux = [(); 7].map(|_| meta.advice_column());
        PoseidonChip::configure(&mut meta, state, aux);
        assert_eq!(meta.degree(), 4);
    }

    /// The names of the constraints an altered hash fails.
    fn failures(message: &[Fp], tamper: Tamper) -> Vec<String> {
        let digest = poseidon(message);
        let errors = run(message, Some(tamper), digest).expect_err("an altered hash passed");
        let mut names: Vec<String> = errors
            .iter()
            .filter_map(|e| match e {
                VerifyFailure::ConstraintNotSatisfied {
                    constraint,
                    location: FailureLocation::InRegion { .. },
                    ..
                } => Some(constraint.to_string()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn quoted(gate: &str, index: usize, name: &str) -> String {
        format!(
            "Constraint {index} ('{name}') in gate {} ('{gate}')",
            gate_index(gate)
        )
    }

    fn gate_index(gate: &str) -> usize {
        ["full round", "partial rounds", "absorb"]
            .iter()
            .position(|g| *g == gate)
            .unwrap()
    }

    #[test]
    fn a_wrong_square_is_refused_by_its_own_constraint() {
        let message = [Fp::from(3), Fp::from(5)];
        // A full round's squares (row 2), and a partial row's squares (row 6).
        for i in 0..3 {
            let full = failures(
                &message,
                Tamper {
                    row: 2,
                    aux: Some(i),
                    state: None,
                },
            );
            let name = format!("square {i}");
            assert!(full.contains(&quoted("full round", i, &name)), "{full:?}");
        }
        for (j, aux) in [(1usize, 0usize), (2, 2), (3, 4), (4, 6)] {
            let names = failures(
                &message,
                Tamper {
                    row: 6,
                    aux: Some(aux),
                    state: None,
                },
            );
            let name = format!("square {j}");
            assert!(
                names.contains(&quoted("partial rounds", j - 1, &name)),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_wrong_sbox_input_is_refused() {
        let message = [Fp::from(3), Fp::from(5)];
        for (j, aux) in [(2usize, 1usize), (3, 3), (4, 5)] {
            let names = failures(
                &message,
                Tamper {
                    row: 9,
                    aux: Some(aux),
                    state: None,
                },
            );
            let name = format!("S-box input {j}");
            assert!(
                names.contains(&quoted("partial rounds", 2 + j, &name)),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_wrong_round_output_is_refused() {
        let message = [Fp::from(3), Fp::from(5)];
        for i in 0..3 {
            // Row 2's output is row 3's state (a full round), row 10's is row 11's (partial).
            let names = failures(
                &message,
                Tamper {
                    row: 3,
                    aux: None,
                    state: Some(i),
                },
            );
            let name = format!("output {i}");
            assert!(
                names.contains(&quoted("full round", 3 + i, &name)),
                "{names:?}"
            );
            let names = failures(
                &message,
                Tamper {
                    row: 11,
                    aux: None,
                    state: Some(i),
                },
            );
            let name = format!("output {i}");
            assert!(
                names.contains(&quoted("partial rounds", 7 + i, &name)),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_wrong_absorption_is_refused() {
        // Three elements: two permutations; the second's input row is row 23.
        let message = [Fp::from(3), Fp::from(5), Fp::from(8)];
        for (i, name) in ["rate 0", "rate 1", "capacity"].iter().enumerate() {
            let names = failures(
                &message,
                Tamper {
                    row: ROWS_PER_PERMUTATION,
                    aux: None,
                    state: Some(i),
                },
            );
            assert!(names.contains(&quoted("absorb", i, name)), "{names:?}");
        }
    }
}
