//! Division by a public constant with rounding against the prover.
//!
//! | rounding | row (arith chip) | checks |
//! |---|---|---|
//! | floor | `q * d + r - n = 0` | `q < 2^q_bits`, `r < 2^r_bits`, `d - 1 - r < 2^r_bits` |
//! | ceil  | `q * d - r - n = 0` | the same |
//!
//! The two checks on `r` pin `0 <= r < d` exactly, so `q` is exactly `floor(n / d)` or
//! `ceil(n / d)`: a prover who rounds a value up or a charge down needs `r < 0` or `r >= d`,
//! which is a field element near `p` or at least `d`, and fails a range check. The check on `q`
//! stops the field wrap-around that would otherwise let any `q` satisfy the row:
//! `q * d + r < 2^q_bits * 2^96 + 2^r_bits` stays far below `p > 2^254` for `q_bits <= 128`
//! and `d < 2^96`, so the row holds over the integers.

use halo2_proofs::{circuit::Layouter, plonk::Error};

use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::muldiv::fp_div_rem;
use ff::PrimeField;

/// How a quotient is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Values (collateral, profit): rounded down.
    Floor,
    /// Charges (margin, losses, the requirement): rounded up.
    Ceil,
}

/// A division `n / d` and its bounds.
#[derive(Clone, Copy, Debug)]
pub struct Division {
    pub divisor: u128,
    pub rounding: Rounding,
    /// Bound on the quotient (from the bound on the numerator).
    pub quotient_bits: usize,
    /// Bits of the smallest power of two above `divisor - 1`.
    pub remainder_bits: usize,
}

impl Division {
    pub fn new(divisor: u128, rounding: Rounding, quotient_bits: usize) -> Division {
        // q d + r < 2^(quotient_bits + 96) + 2^96 stays far below p > 2^254: the row holds
        // over the integers.
        assert!(divisor > 1 && divisor < 1 << 96 && quotient_bits <= 128);
        let remainder_bits = 128 - (divisor - 1).leading_zeros() as usize;
        Division {
            divisor,
            rounding,
            quotient_bits,
            remainder_bits,
        }
    }

    /// The honest `(q, r)` for a numerator value.
    pub fn quotient_remainder(&self, n: Fp) -> (Fp, Fp) {
        let (q, r) = fp_div_rem(&n, self.divisor);
        match self.rounding {
            Rounding::Floor => (q, r),
            Rounding::Ceil if r == Fp::zero() => (q, r),
            Rounding::Ceil => (q + Fp::one(), Fp::from_u128(self.divisor) - r),
        }
    }

    /// The `(q, r)` the prover witnesses for the division named `region`: the honest `qr`
    /// unless the forgery plan (feature `testing`) adds a delta to the quotient, in which case
    /// the remainder follows so that the row holds and only the range checks can object.
    #[cfg(feature = "testing")]
    fn forged(&self, region: &str, (q, r): (Fp, Fp)) -> (Fp, Fp) {
        let Some(delta) = crate::forgery::quotient_delta(region) else {
            return (q, r);
        };
        let delta = if delta >= 0 {
            Fp::from(delta as u64)
        } else {
            -Fp::from(delta.unsigned_abs())
        };
        let d = Fp::from_u128(self.divisor);
        match self.rounding {
            Rounding::Floor => (q + delta, r - delta * d),
            Rounding::Ceil => (q + delta, r + delta * d),
        }
    }

    /// Without the feature `testing`: the honest `qr`.
    #[cfg(not(feature = "testing"))]
    #[inline(always)]
    fn forged(&self, _region: &str, qr: (Fp, Fp)) -> (Fp, Fp) {
        qr
    }

    /// Constrains and returns the rounded quotient of `numerator`.
    pub fn assign(
        &self,
        arith: &impl ArithInstructions,
        range: &impl RangeInstructions,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        numerator: &Cell,
    ) -> Result<Cell, Error> {
        let d = Fp::from_u128(self.divisor);
        let qr = numerator
            .value()
            .map(|n| self.forged(name, self.quotient_remainder(*n)));
        let q = range.witness_range_checked(
            layouter,
            &format!("{name}: quotient"),
            qr.map(|(q, _)| q),
            self.quotient_bits,
        )?;
        let r = range.witness_range_checked(
            layouter,
            &format!("{name}: remainder"),
            qr.map(|(_, r)| r),
            self.remainder_bits,
        )?;
        // d - 1 - r >= 0, so r < d.
        let slack = arith.linear(
            layouter,
            &format!("{name}: divisor - 1 - remainder"),
            &[(-Fp::one(), &r)],
            d - Fp::one(),
        )?;
        range.range_check(
            layouter,
            &format!("{name}: remainder below divisor"),
            &slack,
            self.remainder_bits,
        )?;
        let r_sign = match self.rounding {
            Rounding::Floor => Fp::one(),
            Rounding::Ceil => -Fp::one(),
        };
        arith.assert_linear_zero(
            layouter,
            &format!("{name}: q * d +/- r = n"),
            &[(d, &q), (r_sign, &r), (-Fp::one(), numerator)],
            Fp::zero(),
        )?;
        Ok(q)
    }
}
