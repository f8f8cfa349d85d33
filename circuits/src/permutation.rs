//! The native Poseidon P128Pow5T3 sponge of `hash::poseidon`, computed with fewer field
//! multiplications than `halo2_poseidon`'s reference, to the same outputs.
//!
//! The vaults' and venues' trees hash millions of leaves and nodes an epoch, each a few
//! permutations; the reference permutation spends 12 multiplications on each of the 56 partial
//! rounds (an S-box `x^5` and a dense 3x3 MDS product) and allocates its round constants on
//! every hash. Here the round constants and the MDS matrix are `halo2_poseidon`'s own
//! (`P128Pow5T3::constants()`), rearranged once (Poseidon paper, ePrint 2019/458, appendix B):
//!
//! - **Constants.** In a partial round only word 0 meets the S-box, so the constants added to
//!   words 1 and 2 pass through it unchanged and can be carried, through the MDS, into the next
//!   round's constants. After this every partial round adds a constant to word 0 alone, and the
//!   last carry joins the constants of the first full round that follows.
//! - **Sparse matrices.** A partial round's matrix `M` factors as `A . B` with
//!   `B = diag(1, M_hat)` (`M_hat` the lower-right 2x2 block of `M`) and `A` sparse:
//!   first row `(m00, v)` with `v = M[0][1..] M_hat^-1`, first column `w = M[1..][0]`, and the
//!   identity below right. `B` leaves word 0 alone, so it commutes with the partial S-box and
//!   with a constant on word 0: it moves into the round before, whose matrix becomes `B . M`.
//!   Walking the partial rounds from the last one back, each keeps its sparse `A` (5
//!   multiplications) and the last full round before them takes the product of every `B`.
//!
//! A partial round then costs 8 multiplications, and a permutation 592 instead of 816; with
//! the constants computed once, a node hash takes about half the reference's time.
//!
//! - **One reduction a matrix row.** The state is kept in Montgomery words (`montgomery`),
//!   where a row of a matrix times the state, three products, is summed before it is reduced
//!   once: 3 reductions a full round's matrix instead of 9, and 1 instead of 3 for a partial
//!   round's row. A standard venue leaf (six permutations) took 69.7 us here against 81.9 us
//!   with `Fp`'s own multiplications (best of six runs each, one core).
//!
//! The tests below compare every message length the circuits use with the reference on random
//! inputs, so the two cannot drift apart.

use std::sync::OnceLock;

use ff::{Field, PrimeField};
use halo2_poseidon::{P128Pow5T3, Spec};

use crate::field::Fp;
use crate::montgomery::Word;

/// Width of the state (P128Pow5T3: 3) and rate of the sponge (2).
const WIDTH: usize = 3;
const RATE: usize = 2;
/// Full rounds on each side of the partial rounds, and partial rounds (P128Pow5T3: 4 + 56 + 4).
const HALF_FULL: usize = 4;
const PARTIAL: usize = 56;

/// A 3x3 matrix of field elements (`Fp` while the constants are derived, [`Word`] as the
/// permutation uses them).
type Matrix<T = Fp> = [[T; WIDTH]; WIDTH];

/// The rearranged constants of the permutation.
struct Rounds<T = Fp> {
    /// Round constants of the first and last full rounds (the first of the last four carries
    /// the partial rounds' leftover constants).
    first: [[T; WIDTH]; HALF_FULL],
    last: [[T; WIDTH]; HALF_FULL],
    /// The matrix of the last full round before the partial rounds: `B_1 . M`.
    into_partial: Matrix<T>,
    /// Each partial round's constant on word 0, and its sparse matrix: first row, and the
    /// first column below the diagonal.
    partial_constant: [T; PARTIAL],
    partial_row: [[T; WIDTH]; PARTIAL],
    partial_column: [[T; WIDTH - 1]; PARTIAL],
    mds: Matrix<T>,
}

#[inline(always)]
fn times(m: &Matrix, s: &[Fp; WIDTH]) -> [Fp; WIDTH] {
    [
        m[0][0] * s[0] + m[0][1] * s[1] + m[0][2] * s[2],
        m[1][0] * s[0] + m[1][1] * s[1] + m[1][2] * s[2],
        m[2][0] * s[0] + m[2][1] * s[1] + m[2][2] * s[2],
    ]
}

fn product(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [[Fp::ZERO; WIDTH]; WIDTH];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..WIDTH).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

impl Rounds {
    fn derive() -> Rounds {
        let (constants, mds, _) = <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::constants();
        assert_eq!(
            (
                <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::full_rounds(),
                <P128Pow5T3 as Spec<Fp, WIDTH, RATE>>::partial_rounds(),
                constants.len()
            ),
            (2 * HALF_FULL, PARTIAL, 2 * HALF_FULL + PARTIAL),
            "P128Pow5T3's round counts"
        );
        let mut constants = constants;
        // Constants: carry words 1 and 2 of each partial round's constants through its MDS.
        let mut carry = [Fp::ZERO; WIDTH];
        let mut partial_constant = [Fp::ZERO; PARTIAL];
        for (r, c0) in partial_constant.iter_mut().enumerate() {
            let c = &mut constants[HALF_FULL + r];
            for (word, carried) in c.iter_mut().zip(carry) {
                *word += carried;
            }
            *c0 = c[0];
            carry = times(&mds, &[Fp::ZERO, c[1], c[2]]);
        }
        let mut last = [[Fp::ZERO; WIDTH]; HALF_FULL];
        last.copy_from_slice(&constants[HALF_FULL + PARTIAL..]);
        for (word, carried) in last[0].iter_mut().zip(carry) {
            *word += carried;
        }
        let mut first = [[Fp::ZERO; WIDTH]; HALF_FULL];
        first.copy_from_slice(&constants[..HALF_FULL]);
        // Matrices: from the last partial round back, M_r = A_r . B_r, and B_r joins round r-1.
        let mut partial_row = [[Fp::ZERO; WIDTH]; PARTIAL];
        let mut partial_column = [[Fp::ZERO; WIDTH - 1]; PARTIAL];
        let mut m = mds;
        for r in (0..PARTIAL).rev() {
            let hat = [[m[1][1], m[1][2]], [m[2][1], m[2][2]]];
            let det_inv =
                Option::<Fp>::from((hat[0][0] * hat[1][1] - hat[0][1] * hat[1][0]).invert())
                    .expect("the MDS matrix's lower-right block is invertible");
            let hat_inv = [
                [hat[1][1] * det_inv, -hat[0][1] * det_inv],
                [-hat[1][0] * det_inv, hat[0][0] * det_inv],
            ];
            partial_row[r] = [
                m[0][0],
                m[0][1] * hat_inv[0][0] + m[0][2] * hat_inv[1][0],
                m[0][1] * hat_inv[0][1] + m[0][2] * hat_inv[1][1],
            ];
            partial_column[r] = [m[1][0], m[2][0]];
            let b = [
                [Fp::ONE, Fp::ZERO, Fp::ZERO],
                [Fp::ZERO, hat[0][0], hat[0][1]],
                [Fp::ZERO, hat[1][0], hat[1][1]],
            ];
            m = product(&b, &mds);
        }
        Rounds {
            first,
            last,
            into_partial: m,
            partial_constant,
            partial_row,
            partial_column,
            mds,
        }
    }
}

impl Rounds {
    /// The same constants in Montgomery words ([`Word`]), as the permutation computes with them.
    fn words(&self) -> Rounds<Word> {
        fn words<const N: usize>(xs: &[Fp; N]) -> [Word; N] {
            xs.map(|x| Word::from_fp(&x))
        }
        Rounds {
            first: self.first.map(|c| words(&c)),
            last: self.last.map(|c| words(&c)),
            into_partial: self.into_partial.map(|r| words(&r)),
            partial_constant: words(&self.partial_constant),
            partial_row: self.partial_row.map(|r| words(&r)),
            partial_column: self.partial_column.map(|c| words(&c)),
            mds: self.mds.map(|r| words(&r)),
        }
    }
}

fn rounds() -> &'static Rounds<Word> {
    static ROUNDS: OnceLock<Rounds<Word>> = OnceLock::new();
    ROUNDS.get_or_init(|| Rounds::derive().words())
}

#[inline(always)]
fn full_round(state: &mut [Word; WIDTH], constants: &[Word; WIDTH], matrix: &Matrix<Word>) {
    for (word, c) in state.iter_mut().zip(constants) {
        *word = word.add(*c).pow5();
    }
    // Each row of the matrix times the state, reduced once.
    *state = [
        Word::dot(&matrix[0], state),
        Word::dot(&matrix[1], state),
        Word::dot(&matrix[2], state),
    ];
}

/// The P128Pow5T3 permutation.
fn permute(state: &mut [Word; WIDTH]) {
    let k = rounds();
    for (r, constants) in k.first.iter().enumerate() {
        let matrix = if r + 1 == HALF_FULL {
            &k.into_partial
        } else {
            &k.mds
        };
        full_round(state, constants, matrix);
    }
    for r in 0..PARTIAL {
        let x = state[0].add(k.partial_constant[r]).pow5();
        let column = &k.partial_column[r];
        *state = [
            Word::dot(&k.partial_row[r], &[x, state[1], state[2]]),
            column[0].mul(x).add(state[1]),
            column[1].mul(x).add(state[2]),
        ];
    }
    for constants in &k.last {
        full_round(state, constants, &k.mds);
    }
}

/// Poseidon P128Pow5T3 in `ConstantLength` mode over `message`: the capacity word starts at
/// `len . 2^64`, the message is absorbed two words a permutation (zero-padded to an even
/// length), and the hash is word 0 of the last state. Equal to `halo2_poseidon`'s
/// `Hash::<Fp, P128Pow5T3, ConstantLength<len>, 3, 2>::init().hash(message)`.
pub fn constant_length_hash(message: &[Fp]) -> Fp {
    let mut state = [
        Word::ZERO,
        Word::ZERO,
        Word::from_fp(&Fp::from_u128((message.len() as u128) << 64)),
    ];
    for block in message.chunks(RATE) {
        for (word, value) in state.iter_mut().zip(block) {
            *word = word.add(Word::from_fp(value));
        }
        permute(&mut state);
    }
    if message.is_empty() {
        permute(&mut state);
    }
    state[0].to_fp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_poseidon::{ConstantLength, Hash};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn reference<const L: usize>(message: &[Fp]) -> Fp {
        let message: [Fp; L] = message.try_into().expect("length L");
        Hash::<Fp, P128Pow5T3, ConstantLength<L>, 3, 2>::init().hash(message)
    }

    #[test]
    fn every_length_the_circuits_use_hashes_as_the_reference() {
        let mut rng = StdRng::seed_from_u64(19);
        // Every length `with_poseidon_length!` admits (the others panic in `hash::poseidon`).
        let lengths: Vec<usize> = (0..=68)
            .filter(|&len| crate::with_poseidon_length!(len, L => L == len, else false))
            .collect();
        assert_eq!(lengths.len(), 10);
        for len in lengths {
            for trial in 0..4 {
                let message: Vec<Fp> = (0..len)
                    .map(|i| match trial {
                        0 => Fp::ZERO,
                        1 => -Fp::ONE - Fp::from(i as u64),
                        _ => Fp::random(&mut rng),
                    })
                    .collect();
                let want = crate::with_poseidon_length!(len, L => reference::<L>(&message), else unreachable!());
                assert_eq!(
                    constant_length_hash(&message),
                    want,
                    "length {len}, trial {trial}"
                );
            }
        }
    }

    #[test]
    fn lengths_are_separated() {
        // The capacity word encodes the length: a message and its zero-padded extension differ.
        let one = [Fp::from(7)];
        let two = [Fp::from(7), Fp::ZERO];
        assert_ne!(constant_length_hash(&one), constant_length_hash(&two));
    }
}
