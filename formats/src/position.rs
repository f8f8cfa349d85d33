//! Positions, collateral and orders as the files write them.
//!
//! Positions are written the same way in `network.json`, in account files, in a venue's
//! positions and openings, and in the CLI's `--order`: `{"kind": "perp" | "call" | "put",
//! "underlying": symbol, "size": signed decimal, "entry": price (perps), "strike": price and
//! "expiry": unix seconds (options)}`. Collateral is `chain -> asset -> amount` (an account)
//! or `asset -> amount` (a vault's balances, a chain's opening).

use zkmargin_circuits::margin::{self, Kind, MarginError, Position, RiskParams, Side};
use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_circuits::units::{
    AMOUNT_BITS, AMOUNT_DECIMALS, PRICE_BITS, PRICE_DECIMALS, TIME_BITS,
};

use crate::decimal::{self, format_scaled};
use crate::input_error::InputError;
use crate::json::{self, shown, Json, ValueReader};

/// The keys of a position object.
pub const POSITION_KEYS: [&str; 6] = ["kind", "underlying", "size", "entry", "strike", "expiry"];

/// An option's expiry refused by `margin::bucket_index`, in the files' words.
pub(crate) fn expiry_error(at: &ValueReader, e: MarginError, params: &RiskParams) -> InputError {
    match e {
        MarginError::Expired { expiry, valid_from } => at.err(format!(
            "the option expires at {expiry}, before the epoch starts (valid_from {valid_from})"
        )),
        MarginError::BeyondLastBucket { expiry, last } => at.err(format!(
            "the option expires {} s after valid_from, beyond the last expiry bucket ({last} s)",
            expiry.saturating_sub(params.valid_from)
        )),
        other => at.err(other.to_string()),
    }
}

/// A position kind by its name in the files.
fn kind_named(name: &str) -> Option<Kind> {
    match name {
        "perp" => Some(Kind::Perp),
        "call" => Some(Kind::Call),
        "put" => Some(Kind::Put),
        _ => None,
    }
}

/// The first of `strike`, `expiry` and `entry` that a position of `kind` must not have but
/// has (`has` tells), with the reason.
fn forbidden_field(
    kind: Kind,
    is_order: bool,
    has: impl Fn(&str) -> bool,
) -> Option<(&'static str, &'static str)> {
    if kind == Kind::Perp {
        if has("strike") {
            return Some(("strike", "a perp has no strike (its price is the entry)"));
        }
        if has("expiry") {
            return Some(("expiry", "a perp has no expiry"));
        }
        if is_order && has("entry") {
            return Some((
                "entry",
                "an order has no entry: a perp order enters at the snapshot price",
            ));
        }
    } else if has("entry") {
        return Some(("entry", "an option has no entry (its price is the strike)"));
    }
    None
}

/// The side and magnitude of a signed size (e9), or why it is refused.
fn side_and_size(size: i128) -> Result<(Side, u64), &'static str> {
    if size == 0 {
        return Err("must not be zero (leave the position out instead)");
    }
    let side = if size < 0 { Side::Short } else { Side::Long };
    let size = u64::try_from(size.unsigned_abs())
        .map_err(|_| "is out of range (magnitude must be below 2^64)")?;
    Ok((side, size))
}

fn asset_index(assets: &[Asset], symbol: &str) -> Option<usize> {
    assets.iter().position(|a| a.symbol == symbol)
}

/// Reads one position object (see the module documentation).
///
/// A position in a file has a nonzero `size`; a perp has an `entry` and neither `strike` nor
/// `expiry`; an option has a `strike` and an `expiry` inside the snapshot's buckets
/// (`margin::bucket_index`) and no `entry`. An order (`is_order`) is the same except that a
/// perp has no `entry`: it enters at the snapshot price, which the returned position holds.
pub fn read_position(
    at: &ValueReader,
    assets: &[Asset],
    params: &RiskParams,
    is_order: bool,
) -> Result<Position, InputError> {
    let obj = at.object()?;
    obj.only(&POSITION_KEYS)?;
    let kind_at = obj.req("kind")?;
    let kind = kind_named(kind_at.str()?).ok_or_else(|| {
        kind_at.err(format!(
            "unknown kind {} (expected \"perp\", \"call\" or \"put\")",
            shown(kind_at.str().unwrap_or_default())
        ))
    })?;
    if let Some((field, reason)) = forbidden_field(kind, is_order, |k| obj.has(k)) {
        return Err(obj.err(field, reason));
    }

    let underlying_at = obj.req("underlying")?;
    let symbol = underlying_at.str()?;
    let underlying = asset_index(assets, symbol)
        .ok_or_else(|| underlying_at.err(format!("unknown asset {}", shown(symbol))))?;

    let size_at = obj.req("size")?;
    let (side, size) = side_and_size(size_at.signed_decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?)
        .map_err(|reason| size_at.err(reason))?;

    let (price, expiry) = match kind {
        Kind::Perp if is_order => {
            let price = params
                .prices
                .get(underlying)
                .copied()
                .ok_or_else(|| underlying_at.err("has no price in the snapshot"))?;
            (price, 0)
        }
        Kind::Perp => (obj.req("entry")?.decimal(PRICE_DECIMALS, PRICE_BITS)?, 0),
        _ => {
            let strike = obj.req("strike")?.decimal(PRICE_DECIMALS, PRICE_BITS)?;
            let expiry_at = obj.req("expiry")?;
            let expiry = expiry_at.uint(TIME_BITS)?;
            margin::bucket_index(params, expiry)
                .map_err(|e| expiry_error(&expiry_at, e, params))?;
            (strike, expiry)
        }
    };
    Ok(Position {
        kind,
        underlying,
        side,
        size,
        price,
        expiry,
    })
}

/// A position object as a file writes it, its strings borrowed from the file's text: what
/// [`read_position`] reads, for readers of files too large for a [`Json`] tree (a venue's
/// positions). Only an object deserializes, with each key once, no key outside
/// [`POSITION_KEYS`], no `null`, and strings without escapes: a file with anything else is
/// read again by the [`Json`] reader, whose error names the field.
#[derive(Debug, Default)]
pub struct PositionText<'t> {
    pub kind: &'t str,
    pub underlying: &'t str,
    pub size: &'t str,
    pub entry: Option<&'t str>,
    pub strike: Option<&'t str>,
    pub expiry: Option<u64>,
}

impl<'de> serde::Deserialize<'de> for PositionText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PositionTextVisitor)
    }
}

struct PositionTextVisitor;

impl<'de> serde::de::Visitor<'de> for PositionTextVisitor {
    type Value = PositionText<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a position object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut t = PositionText::default();
        let mut seen = [false; POSITION_KEYS.len()];
        while let Some(key) = map.next_key::<&str>()? {
            let k = POSITION_KEYS
                .iter()
                .position(|&name| name == key)
                .ok_or_else(|| A::Error::custom("an unknown key"))?;
            if std::mem::replace(&mut seen[k], true) {
                return Err(A::Error::custom("a key twice"));
            }
            match key {
                "kind" => t.kind = map.next_value()?,
                "underlying" => t.underlying = map.next_value()?,
                "size" => t.size = map.next_value()?,
                "entry" => t.entry = Some(map.next_value()?),
                "strike" => t.strike = Some(map.next_value()?),
                _ => t.expiry = Some(map.next_value()?),
            }
        }
        // kind, underlying and size are required.
        if seen[..3].contains(&false) {
            return Err(A::Error::custom("a required key is missing"));
        }
        Ok(t)
    }
}

impl PositionText<'_> {
    fn has(&self, key: &str) -> bool {
        match key {
            "entry" => self.entry.is_some(),
            "strike" => self.strike.is_some(),
            "expiry" => self.expiry.is_some(),
            _ => true,
        }
    }

    /// The position [`read_position`] reads from the same object in a file (not an order),
    /// or `None` where it refuses it (and says why).
    pub fn position(&self, assets: &[Asset], params: &RiskParams) -> Option<Position> {
        let kind = kind_named(self.kind)?;
        if forbidden_field(kind, false, |k| self.has(k)).is_some() {
            return None;
        }
        let underlying = asset_index(assets, self.underlying)?;
        let size = decimal::parse_signed(self.size, AMOUNT_DECIMALS, AMOUNT_BITS).ok()?;
        let (side, size) = side_and_size(size).ok()?;
        let (price, expiry) = match kind {
            Kind::Perp => (
                decimal::parse_unsigned(self.entry?, PRICE_DECIMALS, PRICE_BITS).ok()?,
                0,
            ),
            _ => {
                let strike =
                    decimal::parse_unsigned(self.strike?, PRICE_DECIMALS, PRICE_BITS).ok()?;
                let expiry = self.expiry.filter(|e| e >> TIME_BITS == 0)?;
                margin::bucket_index(params, expiry).ok()?;
                (strike, expiry)
            }
        };
        Some(Position {
            kind,
            underlying,
            side,
            size,
            price,
            expiry,
        })
    }
}

/// The amount [`read_amounts`] reads for `symbol` from `text` (an asset index and e9 units),
/// or `None` where it refuses it.
pub fn amount_of_text(assets: &[Asset], symbol: &str, text: &str) -> Option<(usize, u64)> {
    let a = asset_index(assets, symbol)?;
    Some((
        a,
        decimal::parse_unsigned(text, AMOUNT_DECIMALS, AMOUNT_BITS).ok()?,
    ))
}

/// [`read_position`] for a `serde_json::Value` (such as the CLI's `--order`); errors name
/// `file` and paths under `field` (`""` for a value that is the whole input).
pub fn parse_position(
    value: &serde_json::Value,
    assets: &[Asset],
    params: &RiskParams,
    is_order: bool,
    file: &str,
    field: &str,
) -> Result<Position, InputError> {
    let json = Json::from(value);
    read_position(
        &ValueReader::new(file, field.to_string(), &json),
        assets,
        params,
        is_order,
    )
}

/// Reads an order given as JSON text (one position object, no `entry` for a perp) against a
/// snapshot; duplicate keys are refused, and so is an instrument the snapshot's risk table does
/// not list (it could be neither charged nor proved). `file` names the source in errors, e.g.
/// `--order`.
pub fn parse_order(text: &str, snapshot: &Snapshot, file: &str) -> Result<Position, InputError> {
    let json = json::parse(text, file)?;
    let at = ValueReader::root(file, &json);
    let position = read_position(&at, &snapshot.assets, &snapshot.risk_params(), true)?;
    if let Some(key) = InstrumentKey::of(&position) {
        if snapshot.risk_table.row(&key).is_none() {
            return Err(at.err(
                "the instrument is not in the snapshot's risk table: the publisher does not \
                 list it this epoch, so an order on it can be neither charged nor proved",
            ));
        }
    }
    Ok(position)
}

/// Reads a kind: `"perp"`, `"call"` or `"put"`.
pub fn read_kind(at: &ValueReader) -> Result<Kind, InputError> {
    match at.str()? {
        "perp" => Ok(Kind::Perp),
        "call" => Ok(Kind::Call),
        "put" => Ok(Kind::Put),
        other => Err(at.err(format!(
            "unknown kind {} (expected \"perp\", \"call\" or \"put\")",
            shown(other)
        ))),
    }
}

/// Reads an underlying: the index of its symbol among `symbols` (the epoch's assets).
pub fn read_underlying(at: &ValueReader, symbols: &[&str]) -> Result<usize, InputError> {
    let symbol = at.str()?;
    symbols
        .iter()
        .position(|s| *s == symbol)
        .ok_or_else(|| at.err(format!("unknown asset {}", shown(symbol))))
}

/// A kind in the files' words: `perp`, `call`, `put` (`empty` for an empty slot).
pub fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Empty => "empty",
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
    }
}

/// A position as a JSON object in the files' words (with `entry` for a perp).
pub fn position_to_json(position: &Position, assets: &[Asset]) -> Json {
    let kind = kind_word(position.kind);
    let symbol = assets
        .get(position.underlying)
        .map_or("?", |a| a.symbol.as_str());
    let price = Json::str(format_scaled(position.price as i128, PRICE_DECIMALS));
    let mut entries = vec![
        ("kind", Json::str(kind)),
        ("underlying", Json::str(symbol)),
        (
            "size",
            Json::str(format_scaled(position.signed_size(), AMOUNT_DECIMALS)),
        ),
    ];
    if position.kind.is_option() {
        entries.push(("strike", price));
        entries.push(("expiry", Json::uint(position.expiry)));
    } else {
        entries.push(("entry", price));
    }
    Json::object(entries)
}

/// Reads `collateral`: chain name -> asset -> non-negative amount (e9, `< 2^64`). Chains and
/// assets left out hold zero. Returns `balances[chain][asset]` over every chain and asset.
pub fn read_collateral(
    at: &ValueReader,
    assets: &[Asset],
    chains: &[Member],
) -> Result<Vec<Vec<u64>>, InputError> {
    let mut balances = vec![vec![0u64; assets.len()]; chains.len()];
    for (chain_name, chain_at) in at.entries()? {
        let c = chains
            .iter()
            .position(|m| m.name == chain_name)
            .ok_or_else(|| chain_at.err(format!("unknown chain {}", shown(chain_name))))?;
        for (symbol, amount_at) in chain_at.entries()? {
            let a = assets
                .iter()
                .position(|m| m.symbol == symbol)
                .ok_or_else(|| amount_at.err(format!("unknown asset {}", shown(symbol))))?;
            let amount = amount_at.decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
            if let Some(slot) = balances.get_mut(c).and_then(|row| row.get_mut(a)) {
                *slot = amount;
            }
        }
    }
    Ok(balances)
}

/// Reads `positions`: venue name -> list of positions. Venues left out hold nothing. Returns
/// `positions[venue]` over every venue.
pub fn read_positions(
    at: &ValueReader,
    assets: &[Asset],
    venues: &[Member],
    params: &RiskParams,
) -> Result<Vec<Vec<Position>>, InputError> {
    let mut positions = vec![Vec::new(); venues.len()];
    for (venue_name, list_at) in at.entries()? {
        let v = venues
            .iter()
            .position(|m| m.name == venue_name)
            .ok_or_else(|| list_at.err(format!("unknown venue {}", shown(venue_name))))?;
        let list = list_at
            .items()?
            .iter()
            .map(|item| read_position(item, assets, params, false))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(slot) = positions.get_mut(v) {
            *slot = list;
        }
    }
    Ok(positions)
}

/// Collateral as JSON: only chains and amounts that are nonzero.
pub fn collateral_to_json(balances: &[Vec<u64>], assets: &[Asset], chains: &[Member]) -> Json {
    Json::object(
        chains
            .iter()
            .zip(balances)
            .filter(|(_, row)| row.iter().any(|&x| x != 0))
            .map(|(chain, row)| {
                (
                    chain.name.clone(),
                    Json::object(assets.iter().zip(row).filter(|(_, &x)| x != 0).map(
                        |(asset, &x)| {
                            (
                                asset.symbol.clone(),
                                Json::str(format_scaled(x as i128, AMOUNT_DECIMALS)),
                            )
                        },
                    )),
                )
            }),
    )
}

/// Positions as JSON: only venues where the account holds something.
pub fn positions_to_json(positions: &[Vec<Position>], assets: &[Asset], venues: &[Member]) -> Json {
    Json::object(
        venues
            .iter()
            .zip(positions)
            .filter(|(_, slots)| !slots.is_empty())
            .map(|(venue, slots)| {
                (
                    venue.name.clone(),
                    Json::Array(slots.iter().map(|p| position_to_json(p, assets)).collect()),
                )
            }),
    )
}

/// `{asset: amount}` over `assets` (left out: zero), as a vault's balances and a chain's
/// opening hold them.
pub fn read_amounts(at: &ValueReader, assets: &[Asset]) -> Result<Vec<u64>, InputError> {
    let mut amounts = vec![0u64; assets.len()];
    for (symbol, amount_at) in at.entries()? {
        let a = asset_index(assets, symbol)
            .ok_or_else(|| amount_at.err(format!("unknown asset {}", shown(symbol))))?;
        amounts[a] = amount_at.decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
    }
    Ok(amounts)
}

/// Amounts as `{asset: amount}`: only the nonzero ones.
pub fn amounts_to_json(amounts: &[u64], assets: &[String]) -> Json {
    Json::object(
        assets
            .iter()
            .zip(amounts)
            .filter(|(_, &x)| x != 0)
            .map(|(symbol, &x)| {
                (
                    symbol.clone(),
                    Json::str(format_scaled(x as i128, AMOUNT_DECIMALS)),
                )
            }),
    )
}
