//! Exact `a * b / d` for `u128` operands, whose product may need up to 256 bits.
//!
//! The margin rules multiply a size (`< 2^64`) by a price (`< 2^48`) and a rate (`< 2^21`)
//! or an option factor (`< 2^70`) before dividing: up to `2^134`, beyond `u128`. The product
//! is formed in four 64-bit limbs and divided by schoolbook long division.

/// `(floor(a * b / d), a * b mod d)`. Panics if `d == 0`, `d >= 2^64` or the quotient does not
/// fit `u128` (neither happens for operands within DESIGN.md's bounds).
pub fn mul_div(a: u128, b: u128, d: u128) -> (u128, u128) {
    assert!(d != 0 && d < 1 << 64, "divisor must be in 1..2^64");
    let limbs = |x: u128| [x as u64 as u128, x >> 64];
    let (a, b) = (limbs(a), limbs(b));
    // Product in base 2^64, little-endian.
    let mut product = [0u128; 4];
    for i in 0..2 {
        let mut carry = 0u128;
        for j in 0..2 {
            let t = a[i] * b[j] + product[i + j] + carry;
            product[i + j] = t & u64::MAX as u128;
            carry = t >> 64;
        }
        product[i + 2] += carry;
    }
    // Long division from the top limb; each step's dividend is below d * 2^64 <= 2^128.
    let mut quotient = [0u128; 4];
    let mut remainder = 0u128;
    for i in (0..4).rev() {
        let t = (remainder << 64) | product[i];
        quotient[i] = t / d;
        remainder = t % d;
    }
    assert!(
        quotient[2] == 0 && quotient[3] == 0,
        "quotient exceeds u128"
    );
    (quotient[0] | (quotient[1] << 64), remainder)
}

/// `(floor(x / d), x mod d)` for a field element read as an integer in `[0, p)`, `d < 2^96`
/// (each step's dividend `remainder 2^8 + byte` stays below `2^104`). Used by the witness
/// builder, whose numerators reach `2^147`.
pub fn fp_div_rem(x: &crate::field::Fp, d: u128) -> (crate::field::Fp, crate::field::Fp) {
    use ff::PrimeField;
    assert!(d != 0 && d < 1 << 96, "divisor must be in 1..2^96");
    let repr = x.to_repr();
    let mut quotient = [0u8; 32];
    let mut remainder = 0u128;
    // Little-endian bytes: divide from the most significant byte down.
    for i in (0..32).rev() {
        let t = (remainder << 8) | repr[i] as u128;
        quotient[i] = (t / d) as u8;
        remainder = t % d;
    }
    let q = Option::from(crate::field::Fp::from_repr(quotient)).expect("quotient below x");
    (q, crate::field::Fp::from_u128(remainder))
}

/// `floor(a * b / d)`.
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> u128 {
    mul_div(a, b, d).0
}

/// `ceil(a * b / d)`.
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> u128 {
    let (q, r) = mul_div(a, b, d);
    q + (r != 0) as u128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_narrow_arithmetic() {
        for (a, b, d) in [
            (7u128, 9u128, 4u128),
            (1 << 60, 1 << 60, 1_000_000_007),
            (0, 5, 3),
        ] {
            assert_eq!(mul_div(a, b, d), (a * b / d, a * b % d));
        }
    }

    #[test]
    fn field_division_matches_integer_division() {
        use crate::field::Fp;
        use ff::PrimeField;
        let (a, b, d) = (
            u64::MAX as u128,
            (1u128 << 70) - 1,
            100_000_000_000_000_000u128,
        );
        let x = Fp::from_u128(a) * Fp::from_u128(b);
        let (q, r) = mul_div(a, b, d);
        assert_eq!(fp_div_rem(&x, d), (Fp::from_u128(q), Fp::from_u128(r)));
    }

    #[test]
    fn handles_products_beyond_u128() {
        // (2^64 - 1) * (2^70 - 1) / 1e17, computed independently in two halves.
        let a = u64::MAX as u128;
        let b = (1u128 << 70) - 1;
        let d = 100_000_000_000_000_000u128;
        let (q, r) = mul_div(a, b, d);
        // q * d + r must equal a * b: check mod 2^128 and via the division of halves.
        assert_eq!(q.wrapping_mul(d).wrapping_add(r), a.wrapping_mul(b));
        assert!(r < d);
        assert_eq!(
            (q, r),
            (217_780_714_829_400_616_604_569, 36_510_842_044_678_145)
        );
        assert_eq!(mul_div_ceil(a, b, d), q + 1);
    }
}
