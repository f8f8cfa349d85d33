//! Exact decimal strings: parsing into scaled integers, and formatting back.
//!
//! Money and sizes are written in files as decimal strings and held as integers scaled by a
//! power of ten (the units are `zkmargin_circuits::units`). A string is accepted only when it
//! is exact in the unit: more significant fractional digits than the unit holds is an error,
//! never a silent rounding. Exponent notation is accepted when exact (`"1.1832E+5"` is 118320,
//! as Python's `Decimal` writes it; `"1e-9"` is one e9 unit; `"5E-10"` is refused for e9).

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is empty")]
    Empty,
    #[error("{0:?} is not a decimal number")]
    Malformed(String),
    #[error("{0:?} has more than {1} fractional digits (would need rounding)")]
    TooPrecise(String, u32),
    #[error("{0:?} is out of range")]
    OutOfRange(String),
    #[error("{0:?} must not be negative")]
    Negative(String),
}

/// Digits of the largest `i128` (about 1.7e38): a longer integer is out of range.
const I128_DIGITS: usize = 39;

/// Exponents with more digits than this are beyond any representable value (or precision).
const EXPONENT_DIGITS: usize = 12;

/// A mantissa and an exponent, or why the text is not one.
struct Parts<'a> {
    negative: bool,
    /// The mantissa's digits before and after its point.
    whole: &'a str,
    frac: &'a str,
    /// `Err(negative)`: an exponent too large to hold, and its sign.
    exponent: Result<i64, bool>,
}

fn split(text: &str) -> Option<Parts<'_>> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if mantissa.ends_with('.') || mantissa.starts_with('.') {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exponent = match exponent {
        None => Ok(0),
        Some(e) => {
            let (e_negative, digits) = match e.as_bytes().first()? {
                b'-' => (true, &e[1..]),
                b'+' => (false, &e[1..]),
                _ => (false, e),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits = digits.trim_start_matches('0');
            if digits.len() > EXPONENT_DIGITS {
                Err(e_negative)
            } else {
                // At most 12 digits: fits i64.
                let magnitude = digits.parse::<i64>().unwrap_or(0);
                Ok(if e_negative { -magnitude } else { magnitude })
            }
        }
    };
    Some(Parts {
        negative,
        whole,
        frac,
        exponent,
    })
}

/// Parses a signed decimal string exactly into an integer scaled by `10^decimals`.
///
/// Accepts an optional leading `-` or `+`, digits, an optional `.` followed by digits, and an
/// optional exponent (`e` or `E`, an optional sign, digits). The value must be a whole number
/// of units `10^-decimals`: any nonzero digit that would need rounding is refused. Spaces,
/// `_`, empty parts and a `.` without digits on both sides are refused; so is a value beyond
/// `i128`, however it is written (`1e999999999` included).
pub fn parse_scaled(text: &str, decimals: u32) -> Result<i128, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    let parts = split(text).ok_or_else(|| DecimalError::Malformed(text.to_string()))?;
    let too_precise = || DecimalError::TooPrecise(text.to_string(), decimals);
    let out_of_range = || DecimalError::OutOfRange(text.to_string());

    // The value is digits * 10^shift, digits being the mantissa without its point (read in
    // place: a file of a million positions parses millions of these).
    let mantissa = || parts.whole.bytes().chain(parts.frac.bytes());
    let leading_zeros = mantissa().take_while(|&b| b == b'0').count();
    let len = parts.whole.len() + parts.frac.len() - leading_zeros;
    if len == 0 {
        // Zero is exact at any exponent.
        return Ok(0);
    }
    let shift = match parts.exponent {
        // |exponent| < 10^12 and frac.len() <= text.len(): no overflow in i64.
        Ok(exponent) => exponent - parts.frac.len() as i64 + decimals as i64,
        Err(true) => return Err(too_precise()),
        Err(false) => return Err(out_of_range()),
    };
    let kept = if shift < 0 {
        // The last -shift digits must be zeros; the first digit is not.
        let drop = shift.unsigned_abs();
        if drop >= len as u64 {
            return Err(too_precise());
        }
        let kept = len - drop as usize;
        if mantissa().skip(leading_zeros + kept).any(|b| b != b'0') {
            return Err(too_precise());
        }
        kept
    } else {
        len
    };
    let zeros = shift.max(0) as u64;
    if kept as u64 + zeros > I128_DIGITS as u64 {
        return Err(out_of_range());
    }
    let mut value: i128 = 0;
    for b in mantissa()
        .skip(leading_zeros)
        .take(kept)
        .chain(std::iter::repeat_n(b'0', zeros as usize))
    {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as i128))
            .ok_or_else(out_of_range)?;
    }
    Ok(if parts.negative { -value } else { value })
}

/// [`parse_scaled`] without exponent notation: the form of values typed on the command line
/// (`--level 1.5`), where `1e0` is refused as before.
pub fn parse_fixed_point(text: &str, decimals: u32) -> Result<i128, DecimalError> {
    if text.contains(['e', 'E']) {
        return Err(DecimalError::Malformed(text.to_string()));
    }
    parse_scaled(text, decimals)
}

/// Parses a non-negative decimal into an integer scaled by `10^decimals` that is `< 2^bits`.
pub fn parse_unsigned(text: &str, decimals: u32, bits: usize) -> Result<u64, DecimalError> {
    let value = parse_scaled(text, decimals)?;
    if value < 0 {
        return Err(DecimalError::Negative(text.to_string()));
    }
    if bits < 128 && value >= (1i128 << bits) || value > u64::MAX as i128 {
        return Err(DecimalError::OutOfRange(text.to_string()));
    }
    Ok(value as u64)
}

/// Parses a signed decimal whose magnitude, scaled by `10^decimals`, is `< 2^bits`.
pub fn parse_signed(text: &str, decimals: u32, bits: usize) -> Result<i128, DecimalError> {
    let value = parse_scaled(text, decimals)?;
    if value.unsigned_abs() >= (1u128 << bits) {
        return Err(DecimalError::OutOfRange(text.to_string()));
    }
    Ok(value)
}

/// Formats an integer scaled by `10^decimals` as the shortest exact decimal string.
pub fn format_scaled(value: i128, decimals: u32) -> String {
    let scale = 10u128.pow(decimals);
    let magnitude = value.unsigned_abs();
    let whole = magnitude / scale;
    let frac = magnitude % scale;
    let sign = if value < 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{frac:0width$}", width = decimals as usize);
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::units::{AMOUNT_BITS, AMOUNT_DECIMALS, PRICE_BITS, PRICE_DECIMALS};

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_scaled("97000.5", 8), Ok(9_700_050_000_000));
        assert_eq!(parse_scaled("-2", 9), Ok(-2_000_000_000));
        assert_eq!(parse_scaled("0.000000001", 9), Ok(1));
        assert_eq!(parse_scaled("1.10000000000", 9), Ok(1_100_000_000));
        assert_eq!(parse_scaled("+3", 0), Ok(3));
    }

    #[test]
    fn refuses_rounding_and_junk() {
        assert!(matches!(
            parse_scaled("0.0000000001", 9),
            Err(DecimalError::TooPrecise(..))
        ));
        // "1e5" was junk before exponent notation; it is 1e5 now (`exponents_are_exact`).
        for bad in [
            "", "1.", ".5", "--1", "1,5", " 1", "0x10", "1_000", "-", ".",
        ] {
            assert!(parse_scaled(bad, 9).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            parse_scaled("99999999999999999999999999999999999999999", 9),
            Err(DecimalError::OutOfRange(_))
        ));
    }

    #[test]
    fn bounds_are_enforced() {
        assert!(parse_unsigned("-1", 9, 64).is_err());
        // 2^48 e8 units is 2814749.76710656 USD: the largest price is one unit below.
        assert!(parse_unsigned("2814749.76710655", 8, PRICE_BITS).is_ok());
        assert!(parse_unsigned("2814749.76710656", 8, PRICE_BITS).is_err());
        assert!(parse_signed("-18446744073.709551615", 9, AMOUNT_BITS).is_ok());
        assert!(parse_signed("-18446744073.709551616", 9, AMOUNT_BITS).is_err());
    }

    #[test]
    fn formats_round_trip() {
        for (v, d) in [
            (9_700_050_000_000i128, 8),
            (-1, 6),
            (0, 9),
            (123_000_000, 6),
        ] {
            assert_eq!(parse_scaled(&format_scaled(v, d), d), Ok(v));
        }
        assert_eq!(format_scaled(-1_500_000, 6), "-1.5");
    }

    #[test]
    fn exponents_are_exact() {
        // What Python's Decimal writes.
        assert_eq!(parse_scaled("1.1832E+5", 0), Ok(118_320));
        assert_eq!(
            parse_scaled("1.1832E+5", PRICE_DECIMALS),
            Ok(118_320 * 100_000_000)
        );
        assert_eq!(parse_scaled("1e-9", AMOUNT_DECIMALS), Ok(1));
        assert_eq!(parse_scaled("1E-9", AMOUNT_DECIMALS), Ok(1));
        assert_eq!(parse_scaled("1e5", 9), Ok(100_000_000_000_000));
        assert_eq!(parse_scaled("-2.5e3", 0), Ok(-2_500));
        assert_eq!(parse_scaled("+25E-1", 1), Ok(25));
        assert_eq!(parse_scaled("1.10E+1", 0), Ok(11));
        assert_eq!(parse_scaled("12000e-3", 0), Ok(12));
        assert_eq!(parse_scaled("1E+05", 0), Ok(100_000));
        assert_eq!(parse_scaled("0E-9", 9), Ok(0));
        assert_eq!(parse_scaled("0.000E+7", 9), Ok(0));
        assert_eq!(parse_scaled("97000.5E0", 8), parse_scaled("97000.5", 8));
        // Inexact in the unit: refused, never rounded.
        assert_eq!(
            parse_scaled("5E-10", AMOUNT_DECIMALS),
            Err(DecimalError::TooPrecise("5E-10".into(), 9))
        );
        assert!(matches!(
            parse_scaled("1.1832E+1", 2),
            Err(DecimalError::TooPrecise(..))
        ));
        assert!(matches!(
            parse_scaled("15e-1", 0),
            Err(DecimalError::TooPrecise(..))
        ));
        assert_eq!(
            parse_scaled("150e-2", 0),
            Err(DecimalError::TooPrecise("150e-2".into(), 0))
        );
        assert_eq!(parse_scaled("100e-2", 0), Ok(1));
        // Malformed exponents.
        for bad in [
            "1e", "1E+", "e5", "E", "1e5.5", "1e+-3", "1ee3", "1.e3", ".5e1", "1e 3", "1e_3",
            "1e0x3", "-e3", "1e3e3",
        ] {
            assert!(
                matches!(parse_scaled(bad, 9), Err(DecimalError::Malformed(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn fixed_point_refuses_exponents() {
        assert_eq!(parse_fixed_point("1.5", 6), Ok(1_500_000));
        assert_eq!(
            parse_fixed_point("1e0", 6),
            Err(DecimalError::Malformed("1e0".into()))
        );
        assert!(parse_fixed_point("1E+1", 6).is_err());
        assert_eq!(parse_scaled("1e0", 6), Ok(1_000_000));
    }

    #[test]
    fn huge_exponents_are_clean_errors() {
        for text in [
            "1e999999999",
            "1e99999999999999999999999999",
            "1e39",
            "1e30",
            "-7E+999999999999",
        ] {
            assert_eq!(
                parse_scaled(text, 9),
                Err(DecimalError::OutOfRange(text.into())),
                "{text}"
            );
        }
        for text in ["1e-999999999", "1e-99999999999999999999999999", "3E-10"] {
            assert_eq!(
                parse_scaled(text, 9),
                Err(DecimalError::TooPrecise(text.into(), 9)),
                "{text}"
            );
        }
        // Zero is exact at any exponent.
        assert_eq!(parse_scaled("0e999999999999999999999", 9), Ok(0));
        assert_eq!(parse_scaled("0.0e-999999999999999999999", 9), Ok(0));
        // The largest exact values near the bounds, written with exponents.
        assert_eq!(
            parse_unsigned("2.81474976710655E+6", 8, PRICE_BITS),
            Ok((1 << 48) - 1)
        );
        assert!(parse_unsigned("2.81474976710656E+6", 8, PRICE_BITS).is_err());
        assert_eq!(
            parse_scaled("1.7e29", 9),
            Ok(170_000_000_000_000_000_000_000_000_000_000_000_000)
        );
        assert!(matches!(
            parse_scaled("1.8e29", 9),
            Err(DecimalError::OutOfRange(_))
        ));
        // A long mantissa with a long run of zeros cancelled by the exponent.
        let long = format!("1{}e-500", "0".repeat(500));
        assert_eq!(parse_scaled(&long, 0), Ok(1));
        let long = format!("0.{}1e+509", "0".repeat(500));
        assert_eq!(parse_scaled(&long, 0), Ok(100_000_000));
    }
}
