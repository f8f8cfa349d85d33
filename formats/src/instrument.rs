//! An instrument's key in the files' words: `kind`, `underlying` (an asset's symbol), and for
//! an option `strike` (a decimal string, USD) and `expiry` (unix seconds). Read by the
//! portfolio inputs (`instruments`) and the snapshot's risk table, written by both.

use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_circuits::units::{PRICE_BITS, PRICE_DECIMALS, TIME_BITS};

use crate::decimal::format_scaled;
use crate::input_error::InputError;
use crate::json::{Json, ObjectReader};
use crate::position::{kind_word, read_kind, read_underlying};

/// Reads an instrument's key words from `obj`: `kind`, `underlying` (one of `symbols`), and
/// for an option `strike` (a positive decimal string, USD) and `expiry` (unix seconds), which a
/// perpetual must not have; besides these, `obj` may hold only the keys `extra`.
pub fn read_instrument_key(
    obj: &ObjectReader,
    symbols: &[&str],
    extra: &[&str],
) -> Result<InstrumentKey, InputError> {
    let kind = read_kind(&obj.req("kind")?)?;
    let mut keys = vec!["kind", "underlying"];
    if kind.is_option() {
        keys.extend(["strike", "expiry"]);
    } else if let Some(key) = ["strike", "expiry"].into_iter().find(|k| obj.has(k)) {
        return Err(obj.err(key, "a perpetual has no strike and no expiry"));
    }
    keys.extend(extra);
    obj.only(&keys)?;
    let underlying = read_underlying(&obj.req("underlying")?, symbols)?;
    let (strike, expiry) = if kind.is_option() {
        let strike_at = obj.req("strike")?;
        let strike = strike_at.decimal(PRICE_DECIMALS, PRICE_BITS)?;
        if strike == 0 {
            return Err(strike_at.err("must be positive"));
        }
        (strike, obj.req("expiry")?.uint(TIME_BITS)?)
    } else {
        (0, 0)
    };
    Ok(InstrumentKey {
        underlying,
        kind,
        expiry,
        strike,
    })
}

/// The key words of an option in the files: `kind`, `underlying`, `strike`, `expiry`.
pub fn instrument_key_entries(key: &InstrumentKey, symbols: &[&str]) -> Vec<(String, Json)> {
    let mut entries = vec![
        ("kind".to_string(), Json::str(kind_word(key.kind))),
        (
            "underlying".to_string(),
            Json::str(symbols.get(key.underlying).copied().unwrap_or("?")),
        ),
    ];
    if key.kind.is_option() {
        entries.push((
            "strike".to_string(),
            Json::str(format_scaled(key.strike as i128, PRICE_DECIMALS)),
        ));
        entries.push(("expiry".to_string(), Json::uint(key.expiry)));
    }
    entries
}
