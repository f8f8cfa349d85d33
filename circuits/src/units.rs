//! Units, bounds and exact decimal parsing.
//!
//! All money is integer. Prices are USD x 1e8 ("e8"), balances and sizes asset units x 1e9
//! ("e9"), values micro-USD ("uusd"), rates parts per million ("ppm"). The bounds here are the
//! ones the circuit range-checks; the CLI checks them before proving so that a bad file gets a
//! clear error instead of an unsatisfiable circuit.

/// Decimal places of a price (USD x 1e8).
pub const PRICE_DECIMALS: u32 = 8;
/// Decimal places of a balance or a position size (asset units x 1e9).
pub const AMOUNT_DECIMALS: u32 = 9;
/// Decimal places of a value (micro-USD).
pub const VALUE_DECIMALS: u32 = 6;

/// One in parts per million.
pub const PPM: u64 = 1_000_000;
/// Largest haircut, margin rate or tau: 100%.
pub const MAX_RATE_PPM: u64 = PPM;
/// Smallest margin level: 1 x maintenance.
pub const MIN_LEVEL_PPM: u64 = PPM;
/// Largest margin level: 10 x maintenance.
pub const MAX_LEVEL_PPM: u64 = 10 * PPM;

/// `amount(e9) * price(e8) * ppm / VALUE_DIVISOR` is in uusd: 1e9 * 1e8 * 1e6 / 1e6 = 1e17.
pub const VALUE_DIVISOR: u128 = 100_000_000_000_000_000;
/// `amount(e9) * price(e8) / PNL_DIVISOR` is in uusd: 1e17 / 1e6 = 1e11.
pub const PNL_DIVISOR: u128 = 100_000_000_000;

/// Prices, strikes and entries are `< 2^48` (about 2.8e6 USD at 1e8).
pub const PRICE_BITS: usize = 48;
/// Balances and size magnitudes are `< 2^64` (about 1.8e10 units at 1e9).
pub const AMOUNT_BITS: usize = 64;
/// Rates are `<= 1e6 < 2^20`.
pub const RATE_BITS: usize = 20;
/// Times (unix seconds, bucket bounds) are `< 2^40`.
pub const TIME_BITS: usize = 40;
/// Chain and venue ids are `< 2^32`.
pub const ID_BITS: usize = 32;
/// Values, margins and equity fit `2^100` uusd.
pub const VALUE_BITS: usize = 100;
/// The epoch number is `< 2^64`.
pub const EPOCH_BITS: usize = 64;

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

/// Parses a signed decimal string exactly into an integer scaled by `10^decimals`.
///
/// Accepts an optional leading `-` or `+`, digits, and an optional `.` followed by at most
/// `decimals` digits. Exponents, spaces, `_` and empty parts are refused; so is any digit that
/// would need rounding.
pub fn parse_scaled(text: &str, decimals: u32) -> Result<i128, DecimalError> {
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    let malformed = || DecimalError::Malformed(text.to_string());
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(malformed());
    }
    if body.ends_with('.') || body.starts_with('.') {
        return Err(malformed());
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let significant_frac = frac.trim_end_matches('0');
    if significant_frac.len() > decimals as usize {
        return Err(DecimalError::TooPrecise(text.to_string(), decimals));
    }
    let out_of_range = || DecimalError::OutOfRange(text.to_string());
    let mut value: i128 = 0;
    for b in whole.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as i128))
            .ok_or_else(out_of_range)?;
    }
    for i in 0..decimals as usize {
        let digit = significant_frac.as_bytes().get(i).map_or(0, |b| b - b'0');
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit as i128))
            .ok_or_else(out_of_range)?;
    }
    Ok(if negative { -value } else { value })
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
        for bad in [
            "", "1e5", "1.", ".5", "--1", "1,5", " 1", "0x10", "1_000", "-", ".",
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
}
