//! Arithmetic modulo the Pallas base field's prime `p` in Montgomery form, for the native
//! permutation (`permutation`) alone: the one thing it adds to `pasta_curves`' `Fp` is a
//! product of three pairs summed before one reduction (`dot`), where `Fp` reduces each
//! product on its own. The permutation's linear layers are such sums (a 3x3 matrix times the
//! state), and a reduction costs about as much as the product it follows, so a vault's or
//! venue's tree (millions of permutations an epoch) is hashed in less time.
//!
//! A [`Word`] holds `x R mod p` (`R = 2^256`) as four little-endian 64-bit limbs, always below
//! `p` (every operation ends with a conditional subtraction). Bounds, with `p < 2^255`:
//!
//! - a product of two words is below `p^2`, and a sum of three such products below
//!   `3 p^2 < p R` (`p < R / 4`), in eight limbs without overflow;
//! - [`reduce`] of any `T < p R` is `(T + m p) / R` for some `m < R`, below `T / R + p < 2p`,
//!   so one subtraction of `p` makes it canonical.
//!
//! Values enter and leave through `Fp`'s canonical bytes (`from_fp`, `to_fp`), so `Fp`'s own
//! representation is never assumed; the tests compare every operation with `Fp`'s.

use ff::{Field, PrimeField};

use crate::field::Fp;

/// `p`, little-endian limbs.
const P: [u64; 4] = [
    0x992d_30ed_0000_0001,
    0x2246_98fc_094c_f91b,
    0x0000_0000_0000_0000,
    0x4000_0000_0000_0000,
];
/// `-p^-1 mod 2^64`.
const P_NEG_INV: u64 = 0x992d_30ec_ffff_ffff;

/// `x R mod p`, below `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word([u64; 4]);

/// `a + b c + carry` as (low, high) limbs: at most `(2^64 - 1) + (2^64 - 1)^2 + (2^64 - 1)`,
/// which is `2^128 - 1`.
#[inline(always)]
fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 * c as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = a as u128 + b as u128 + carry as u128;
    (t as u64, (t >> 64) as u64)
}

/// `a - b` with a borrow in and out (the borrow out is 1 or 0).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (t as u64, (t >> 127) as u64)
}

/// `x - p` if `x >= p`, else `x` (`x < 2p`).
#[inline(always)]
fn canonical(x: [u64; 4]) -> [u64; 4] {
    let mut d = [0u64; 4];
    let mut borrow = 0;
    for i in 0..4 {
        (d[i], borrow) = sbb(x[i], P[i], borrow);
    }
    // A borrow out means x < p: keep x. Selected by mask, without a branch.
    let keep = 0u64.wrapping_sub(borrow);
    std::array::from_fn(|i| (x[i] & keep) | (d[i] & !keep))
}

/// The 512-bit product `a b`.
#[inline(always)]
fn product(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
    let mut t = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0;
        for j in 0..4 {
            (t[i + j], carry) = mac(t[i + j], a[i], b[j], carry);
        }
        t[i + 4] = carry;
    }
    t
}

/// `t / R mod p` for `t < p R`, canonical (Montgomery reduction, one limb at a time).
#[inline(always)]
fn reduce(mut t: [u64; 8]) -> [u64; 4] {
    let mut high_carry = 0;
    for i in 0..4 {
        // Adding `k p` clears limb `i`.
        let k = t[i].wrapping_mul(P_NEG_INV);
        let mut carry = 0;
        for j in 0..4 {
            (t[i + j], carry) = mac(t[i + j], k, P[j], carry);
        }
        (t[i + 4], high_carry) = adc(t[i + 4], high_carry, carry);
    }
    // The bound above: the result is below 2p < 2^256, so no carry is left over.
    debug_assert_eq!(high_carry, 0);
    canonical([t[4], t[5], t[6], t[7]])
}

/// `x + y` of two 512-bit sums (no overflow under the module's bounds).
#[inline(always)]
fn add_wide(x: &mut [u64; 8], y: &[u64; 8]) {
    let mut carry = 0;
    for i in 0..8 {
        (x[i], carry) = adc(x[i], y[i], carry);
    }
    debug_assert_eq!(carry, 0);
}

impl Word {
    pub(crate) const ZERO: Word = Word([0; 4]);

    /// `R^2 mod p`, canonical limbs (computed once): `from_fp` multiplies by it to enter
    /// Montgomery form.
    fn r_squared() -> [u64; 4] {
        static R2: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
        *R2.get_or_init(|| limbs(&Fp::from(2).pow_vartime([256]).square()))
    }

    pub(crate) fn from_fp(x: &Fp) -> Word {
        // x * R^2 / R = x R.
        Word(reduce(product(&limbs(x), &Self::r_squared())))
    }

    pub(crate) fn to_fp(self) -> Fp {
        // x R / R = x, canonical.
        let mut wide = [0u64; 8];
        wide[..4].copy_from_slice(&self.0);
        let x = reduce(wide);
        let mut repr = [0u8; 32];
        for (bytes, limb) in repr.chunks_exact_mut(8).zip(x) {
            bytes.copy_from_slice(&limb.to_le_bytes());
        }
        Option::from(Fp::from_repr(repr)).expect("a reduced word is canonical")
    }

    #[inline(always)]
    pub(crate) fn mul(self, other: Word) -> Word {
        Word(reduce(product(&self.0, &other.0)))
    }

    #[inline(always)]
    pub(crate) fn add(self, other: Word) -> Word {
        // Below 2p < 2^256: no carry out.
        let mut s = [0u64; 4];
        let mut carry = 0;
        for i in 0..4 {
            (s[i], carry) = adc(self.0[i], other.0[i], carry);
        }
        debug_assert_eq!(carry, 0);
        Word(canonical(s))
    }

    /// `sum a[i] b[i]`, reduced once.
    #[inline(always)]
    pub(crate) fn dot(a: &[Word; 3], b: &[Word; 3]) -> Word {
        let mut t = product(&a[0].0, &b[0].0);
        add_wide(&mut t, &product(&a[1].0, &b[1].0));
        add_wide(&mut t, &product(&a[2].0, &b[2].0));
        Word(reduce(t))
    }

    /// `x^5`, the S-box. (A squaring of its own, ten limb products instead of sixteen, was
    /// slower here than the product: measured, not assumed.)
    #[inline(always)]
    pub(crate) fn pow5(self) -> Word {
        let x2 = self.mul(self);
        x2.mul(x2).mul(self)
    }
}

/// The canonical limbs of `x`.
fn limbs(x: &Fp) -> [u64; 4] {
    let repr = x.to_repr();
    std::array::from_fn(|i| {
        u64::from_le_bytes(repr.as_ref()[8 * i..8 * i + 8].try_into().expect("8 bytes"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Edge values (0, 1, p - 1, p - 2, 2^255 mod p's neighbours) and random ones.
    fn samples() -> Vec<Fp> {
        let mut rng = StdRng::seed_from_u64(21);
        let mut xs = vec![
            Fp::ZERO,
            Fp::ONE,
            -Fp::ONE,
            -Fp::ONE - Fp::ONE,
            Fp::from(2).pow_vartime([255]),
            Fp::from(2).pow_vartime([254]) - Fp::ONE,
            Fp::from(u64::MAX),
        ];
        xs.extend((0..300).map(|_| Fp::random(&mut rng)));
        xs
    }

    #[test]
    fn the_constants_are_ps() {
        assert_eq!(P[0].wrapping_mul(P_NEG_INV), u64::MAX, "-p^-1 mod 2^64");
        assert_eq!(limbs(&-Fp::ONE), [P[0] - 1, P[1], P[2], P[3]], "p - 1");
    }

    #[test]
    fn every_operation_is_fps() {
        let xs = samples();
        for (i, &x) in xs.iter().enumerate() {
            let a = Word::from_fp(&x);
            assert_eq!(a.to_fp(), x);
            assert_eq!(a.pow5().to_fp(), x.pow_vartime([5]));
            for &y in xs.iter().skip(i % 7).step_by(7) {
                let b = Word::from_fp(&y);
                assert_eq!(a.mul(b).to_fp(), x * y);
                assert_eq!(a.add(b).to_fp(), x + y);
            }
        }
        // The widest sum: three products of the largest words (limbs p - 1).
        let top = Word([P[0] - 1, P[1], P[2], P[3]]);
        let t = top.to_fp();
        assert_eq!(Word::dot(&[top; 3], &[top; 3]).to_fp(), Fp::from(3) * t * t);
        for w in xs.chunks_exact(6) {
            let a = [w[0], w[1], w[2]];
            let b = [w[3], w[4], w[5]];
            let want: Fp = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let dot = Word::dot(&a.map(|x| Word::from_fp(&x)), &b.map(|x| Word::from_fp(&x)));
            assert_eq!(dot.to_fp(), want);
        }
    }
}
