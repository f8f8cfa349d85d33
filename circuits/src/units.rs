//! Units and bounds.
//!
//! All money is integer. Prices are USD x 1e8 ("e8"), balances and sizes asset units x 1e9
//! ("e9"), values micro-USD ("uusd"), rates parts per million ("ppm"). The bounds here are the
//! ones the circuit range-checks; the CLI checks them before proving so that a bad file gets a
//! clear error instead of an unsatisfiable circuit. Decimal strings in files are parsed exactly
//! by `zkmargin_formats::decimal`.

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
/// A certificate's credit line (allowance) is `< 2^100` uusd.
pub const LINE_BITS: usize = 100;
/// The epoch number is `< 2^64`.
pub const EPOCH_BITS: usize = 64;
