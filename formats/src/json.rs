//! A strict JSON reader and an ordered pretty writer for zkmargin's files.
//!
//! `serde_json::Value` silently keeps the last of two duplicate keys (`{"BTC": 1, "BTC": 2}`)
//! and sorts keys when it writes. The input files are therefore read into [`Json`], which keeps
//! every entry in file order so duplicates can be refused, and walked with [`ValueReader`] and
//! [`ObjectReader`], which carry the file name and the JSON path of every value so that each
//! error names its file and field. Nothing here panics on any input; serde_json's recursion
//! limit (128) bounds the nesting depth.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use zkmargin_circuits::hash::{fp_from_hex, Fp};
use zkmargin_circuits::units::{PPM, VALUE_BITS};

use crate::decimal::{self, DecimalError};
use crate::input_error::InputError;

/// A JSON value that keeps object entries in file order, duplicates included.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number written as an integer that fits 64 bits (signed or unsigned).
    Int(i128),
    /// Any other number: a fraction, an exponent, or an integer beyond 64 bits.
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs, in this order.
    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn str(text: impl Into<String>) -> Json {
        Json::String(text.into())
    }

    pub fn uint(value: u64) -> Json {
        Json::Int(value as i128)
    }

    /// What kind of value this is, for error messages ("a string", "an object", ...).
    pub fn describe(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) => "an integer",
            Json::Float(_) => "a number with a fraction, an exponent or more than 64 bits",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl From<&serde_json::Value> for Json {
    fn from(value: &serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(v) = n.as_u64() {
                    Json::Int(v as i128)
                } else if let Some(v) = n.as_i64() {
                    Json::Int(v as i128)
                } else {
                    Json::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Json::String(s.clone()),
            serde_json::Value::Array(items) => Json::Array(items.iter().map(Json::from).collect()),
            serde_json::Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v as i128))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Int(v as i128))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Json, E> {
        Ok(Json::Int(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Json, E> {
        Ok(i128::try_from(v).map_or(Json::Float(v as f64), Json::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Json>()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

/// Parses a whole document; a syntax error names its line and column.
pub fn parse(text: &str, file: &str) -> Result<Json, InputError> {
    serde_json::from_str(text).map_err(|e| {
        let position = format!("line {} column {}", e.line(), e.column());
        let full = e.to_string();
        let reason = full
            .strip_suffix(&format!(" at {position}"))
            .unwrap_or(&full)
            .to_string();
        InputError::new(file, position, format!("invalid JSON: {reason}"))
    })
}

/// The longest user-supplied text quoted in an error.
const SHOWN_MAX: usize = 48;

/// A user-supplied string quoted for an error message: escaped, and cut short if long.
pub fn shown(text: &str) -> String {
    if text.chars().count() <= SHOWN_MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(SHOWN_MAX).collect();
        format!("{head:?}...")
    }
}

fn is_word(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The path of `key` inside the object at `path`: `path.key`, or `path["odd key"]`.
pub fn key_path(path: &str, key: &str) -> String {
    if !is_word(key) {
        format!("{path}[{}]", shown(key))
    } else if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path of item `index` inside the array at `path`.
pub fn index_path(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// A value being read, with its file and JSON path.
#[derive(Clone, Debug)]
pub struct ValueReader<'a> {
    file: &'a str,
    path: String,
    value: &'a Json,
}

/// An object being read, with its file and JSON path.
#[derive(Clone, Debug)]
pub struct ObjectReader<'a> {
    file: &'a str,
    path: String,
    entries: &'a [(String, Json)],
}

impl<'a> ValueReader<'a> {
    /// The whole document.
    pub fn root(file: &'a str, value: &'a Json) -> ValueReader<'a> {
        ValueReader::new(file, String::new(), value)
    }

    /// A value at `path` (used to read a fragment, such as an order given on the command line).
    pub fn new(file: &'a str, path: String, value: &'a Json) -> ValueReader<'a> {
        ValueReader { file, path, value }
    }

    pub fn file(&self) -> &'a str {
        self.file
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn value(&self) -> &'a Json {
        self.value
    }

    /// An error about this value.
    pub fn err(&self, reason: impl Into<String>) -> InputError {
        let field = if self.path.is_empty() {
            "(top level)"
        } else {
            &self.path
        };
        InputError::new(self.file, field, reason)
    }

    fn expected(&self, what: &str) -> InputError {
        self.err(format!("expected {what}, found {}", self.value.describe()))
    }

    fn child(&self, path: String, value: &'a Json) -> ValueReader<'a> {
        ValueReader {
            file: self.file,
            path,
            value,
        }
    }

    fn raw_entries(&self) -> Result<&'a [(String, Json)], InputError> {
        let Json::Object(entries) = self.value else {
            return Err(self.expected("an object"));
        };
        let mut seen = BTreeSet::new();
        for (key, _) in entries {
            if !seen.insert(key.as_str()) {
                return Err(self
                    .child(key_path(&self.path, key), self.value)
                    .err("duplicate key"));
            }
        }
        Ok(entries)
    }

    /// This value as an object with distinct keys; call [`ObjectReader::only`] to refuse unknown keys.
    pub fn object(&self) -> Result<ObjectReader<'a>, InputError> {
        Ok(ObjectReader {
            file: self.file,
            path: self.path.clone(),
            entries: self.raw_entries()?,
        })
    }

    /// This value as a map with distinct, free-form keys, in file order.
    pub fn entries(&self) -> Result<Vec<(&'a str, ValueReader<'a>)>, InputError> {
        Ok(self
            .raw_entries()?
            .iter()
            .map(|(k, v)| (k.as_str(), self.child(key_path(&self.path, k), v)))
            .collect())
    }

    /// This value as a map whose keys are exactly `names` (a `what` each, such as "chain"):
    /// the values in the order of `names`. A key outside `names` is refused as unknown; a
    /// missing one is refused with `missing`.
    pub fn keyed(
        &self,
        names: &[&str],
        what: &str,
        missing: &str,
    ) -> Result<Vec<ValueReader<'a>>, InputError> {
        let entries = self.entries()?;
        if let Some((key, at)) = entries.iter().find(|(k, _)| !names.contains(k)) {
            return Err(at.err(format!("unknown {what} {}", shown(key))));
        }
        names
            .iter()
            .map(|name| {
                entries
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, at)| at.clone())
                    .ok_or_else(|| {
                        self.child(key_path(&self.path, name), self.value)
                            .err(missing)
                    })
            })
            .collect()
    }

    /// This value as an array.
    pub fn items(&self) -> Result<Vec<ValueReader<'a>>, InputError> {
        let Json::Array(items) = self.value else {
            return Err(self.expected("an array"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| self.child(index_path(&self.path, i), v))
            .collect())
    }

    pub fn str(&self) -> Result<&'a str, InputError> {
        match self.value {
            Json::String(s) => Ok(s),
            _ => Err(self.expected("a string")),
        }
    }

    pub fn bool(&self) -> Result<bool, InputError> {
        match self.value {
            Json::Bool(b) => Ok(*b),
            _ => Err(self.expected("true or false")),
        }
    }

    /// A JSON integer `0 <= v < 2^bits` (`bits <= 64`).
    pub fn uint(&self, bits: usize) -> Result<u64, InputError> {
        let bound = if bits >= 64 {
            "2^64".to_string()
        } else {
            format!("2^{bits}")
        };
        let Json::Int(v) = self.value else {
            return Err(self.expected(&format!("an integer below {bound}")));
        };
        let v = *v;
        if v < 0 {
            return Err(self.err(format!("{v} must not be negative")));
        }
        let limit = if bits >= 64 {
            u64::MAX as i128 + 1
        } else {
            1i128 << bits
        };
        if v >= limit {
            return Err(self.err(format!("{v} is out of range (must be below {bound})")));
        }
        u64::try_from(v).map_err(|_| self.err(format!("{v} is out of range")))
    }

    /// A rate in parts per million: a JSON integer `0 <= v <= 1e6`.
    pub fn ppm(&self) -> Result<u64, InputError> {
        let Json::Int(v) = self.value else {
            return Err(self.expected("an integer number of ppm (0 to 1000000)"));
        };
        if *v < 0 || *v > PPM as i128 {
            return Err(self.err(format!(
                "{v} ppm is out of range (a rate is 0 to 1000000 ppm)"
            )));
        }
        Ok(*v as u64)
    }

    fn decimal_text(&self, what: &str) -> Result<&'a str, InputError> {
        match self.value {
            Json::String(s) => Ok(s),
            Json::Int(_) | Json::Float(_) => Err(self.err(format!(
                "expected {what} as a decimal string (write \"1.5\", not 1.5), found a number"
            ))),
            _ => Err(self.expected(&format!("{what} as a decimal string"))),
        }
    }

    fn decimal_err(&self, e: DecimalError, decimals: u32, bits: usize) -> InputError {
        match e {
            DecimalError::OutOfRange(text) => self.err(format!(
                "{} is out of range (must be below 2^{bits} units of 1e-{decimals})",
                shown(&text)
            )),
            other => self.err(other.to_string()),
        }
    }

    /// A non-negative decimal string, scaled by `10^decimals`, below `2^bits`.
    pub fn decimal(&self, decimals: u32, bits: usize) -> Result<u64, InputError> {
        let text = self.decimal_text("a non-negative amount")?;
        decimal::parse_unsigned(text, decimals, bits)
            .map_err(|e| self.decimal_err(e, decimals, bits))
    }

    /// A signed decimal string, scaled by `10^decimals`, of magnitude below `2^bits`.
    pub fn signed_decimal(&self, decimals: u32, bits: usize) -> Result<i128, InputError> {
        let text = self.decimal_text("a signed amount")?;
        decimal::parse_signed(text, decimals, bits).map_err(|e| self.decimal_err(e, decimals, bits))
    }

    /// An amount of micro-USD: a decimal string of a whole number below `2^100` (the bound
    /// of every value, margin and credit line), such as `"1500000"`. No sign, no fraction, no
    /// exponent, no leading zero: one spelling per amount.
    pub fn uusd(&self) -> Result<u128, InputError> {
        self.whole(("micro-USD", "uusd"), false, VALUE_BITS as u32)
            .map(|v| v as u128)
    }

    /// A whole number of `unit` (its name, its symbol) written as a decimal string of
    /// magnitude below `2^bits` (`bits <= 126`): digits only, a leading `-` when `signed` (never
    /// `-0`), no `+`, no fraction, no exponent, no leading zero: one spelling per value.
    pub fn whole(&self, unit: (&str, &str), signed: bool, bits: u32) -> Result<i128, InputError> {
        let (name, symbol) = unit;
        let text = self.decimal_text(&format!("an amount of {name}"))?;
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) if signed && rest != "0" => (true, rest),
            _ => (false, text),
        };
        let canonical = !digits.is_empty()
            && digits.len() <= 39
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        let magnitude = if canonical {
            digits.parse::<u128>().ok()
        } else {
            None
        };
        let sign = if signed { ", an optional '-'" } else { "" };
        match magnitude {
            Some(m) if m >> bits == 0 => Ok(if negative { -(m as i128) } else { m as i128 }),
            Some(_) => Err(self.err(format!(
                "{} {symbol} is out of range (must be below 2^{bits}{})",
                shown(text),
                if signed { " in magnitude" } else { "" }
            ))),
            None => Err(self.err(format!(
                "{} is not a whole number of {name} (digits only{sign}, no leading zero)",
                shown(text)
            ))),
        }
    }

    /// A field element in `hash::fp_to_hex` form (`0x` and 64 hex digits, canonical).
    pub fn fp(&self) -> Result<Fp, InputError> {
        let text = self.str()?;
        fp_from_hex(text).ok_or_else(|| {
            self.err(format!(
                "{} is not a canonical field element (0x and 64 hex digits, below the modulus)",
                shown(text)
            ))
        })
    }
}

impl<'a> ObjectReader<'a> {
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of `key` in this object.
    pub fn key_path(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    /// An error about `key` of this object (present or not).
    pub fn err(&self, key: &str, reason: impl Into<String>) -> InputError {
        InputError::new(self.file, self.key_path(key), reason)
    }

    /// Refuses any key not in `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<(), InputError> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            Some((key, _)) => Err(self.err(
                key,
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// `key`'s value, if present.
    pub fn opt(&self, key: &str) -> Option<ValueReader<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(k, v)| ValueReader {
                file: self.file,
                path: self.key_path(k),
                value: v,
            })
    }

    /// `key`'s value; missing is an error.
    pub fn req(&self, key: &str) -> Result<ValueReader<'a>, InputError> {
        self.opt(key).ok_or_else(|| self.err(key, "missing"))
    }

    /// Checks the `format` field: it must be exactly `expected`.
    pub fn format(&self, expected: &str) -> Result<(), InputError> {
        let at = self.req("format")?;
        let found = at.str()?;
        if found != expected {
            return Err(at.err(format!("expected {expected:?}, found {}", shown(found))));
        }
        Ok(())
    }
}

/// Checks a name used as a key in the files (an asset symbol, a chain or venue name):
/// 1 to 64 characters from `A-Z a-z 0-9 _ - .`.
pub fn check_name(at: &ValueReader, name: &str) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(at.err(format!(
            "{} is not a valid name (1 to 64 characters from A-Z, a-z, 0-9, '_', '-', '.')",
            shown(name)
        )))
    }
}

/// Parses `text` as a whole file, checks its top-level object's `format` and refuses keys
/// outside `keys`, then reads the object with `read`.
pub fn top_object<R>(
    text: &str,
    file: &str,
    format: &str,
    keys: &[&str],
    read: impl FnOnce(&ObjectReader) -> Result<R, InputError>,
) -> Result<R, InputError> {
    let json = parse(text, file)?;
    let root = ValueReader::root(file, &json);
    let top = root.object()?;
    top.format(format)?;
    top.only(keys)?;
    read(&top)
}

/// Pretty-prints a value with two-space indentation, keys in their stored order.
pub fn to_pretty(value: &Json) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_string(out: &mut String, text: &str) {
    // Serialising a string to JSON cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string()));
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_value(out: &mut String, value: &Json, indent: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(v) => out.push_str(&v.to_string()),
        Json::Float(v) => out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into())),
        Json::String(s) => write_string(out, s),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 2);
                write_value(out, item, indent + 2);
            }
            newline(out, indent);
            out.push(']');
        }
        Json::Object(entries) if entries.is_empty() => out.push_str("{}"),
        Json::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 2);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, indent + 2);
            }
            newline(out, indent);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_refuses_duplicates() {
        let json = parse(r#"{"b": 1, "a": [true, null, "x"], "b": 2}"#, "f.json").unwrap();
        let root = ValueReader::root("f.json", &json);
        let e = root.object().unwrap_err();
        assert_eq!(e.to_string(), "f.json: b: duplicate key");
        let Json::Object(entries) = &json else {
            panic!("not an object")
        };
        assert_eq!(entries[0].0, "b");
        assert_eq!(entries[1].0, "a");
    }

    #[test]
    fn pretty_output_parses_back_identically() {
        let text = r#"{"z": {"k": [1, -2, "s\n"], "e": {}, "l": []}, "a": false}"#;
        let json = parse(text, "f").unwrap();
        assert_eq!(parse(&to_pretty(&json), "f").unwrap(), json);
        assert!(to_pretty(&json).starts_with("{\n  \"z\": {\n    \"k\": [\n      1,"));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = parse("{\"a\": 1,\n", "n.json").unwrap_err();
        assert_eq!(e.file, "n.json");
        assert!(e.field.starts_with("line 2 column"), "{e}");
        assert!(e.reason.starts_with("invalid JSON: EOF"), "{e}");
        let e = parse("{} x", "n.json").unwrap_err();
        assert!(e.reason.contains("trailing"), "{e}");
        let deep = "[".repeat(100_000);
        assert!(parse(&deep, "n.json").is_err());
    }

    #[test]
    fn paths_quote_odd_keys() {
        assert_eq!(key_path("", "a"), "a");
        assert_eq!(key_path("a", "b-c_1"), "a.b-c_1");
        assert_eq!(key_path("a", "USDC.e"), "a[\"USDC.e\"]");
        assert_eq!(key_path("a", "x\ny"), "a[\"x\\ny\"]");
        assert_eq!(index_path("a.b", 3), "a.b[3]");
        let long = "k".repeat(1000);
        assert!(key_path("a", &format!("{long}.")).len() < 80);
    }

    #[test]
    fn numbers_are_checked() {
        let json = parse(
            r#"{"a": -1, "b": 1099511627776, "c": 1.5, "d": 18446744073709551615,
               "e": 18446744073709551616, "f": 1000001, "g": "1.5", "h": 1e3}"#,
            "f",
        )
        .unwrap();
        let root = ValueReader::root("f", &json);
        let o = root.object().unwrap();
        assert!(o.req("a").unwrap().uint(64).is_err());
        assert!(o.req("b").unwrap().uint(40).is_err());
        assert_eq!(o.req("b").unwrap().uint(41).unwrap(), 1 << 40);
        assert!(o.req("c").unwrap().uint(64).is_err());
        assert_eq!(o.req("d").unwrap().uint(64).unwrap(), u64::MAX);
        assert!(o.req("e").unwrap().uint(64).is_err());
        assert!(o.req("f").unwrap().ppm().is_err());
        assert!(o.req("h").unwrap().ppm().is_err());
        assert_eq!(o.req("g").unwrap().decimal(9, 64).unwrap(), 1_500_000_000);
        assert!(o.req("c").unwrap().decimal(9, 64).is_err());
        let e = o.req("zz").unwrap_err();
        assert_eq!(e.to_string(), "f: zz: missing");
        let e = o.only(&["a"]).unwrap_err();
        assert_eq!(e.field, "b");
    }

    #[test]
    fn converts_serde_values() {
        let value: serde_json::Value = serde_json::json!({"k": [1, -1, 1.5, "s", null, true]});
        let json = Json::from(&value);
        assert_eq!(
            json,
            Json::object([(
                "k",
                Json::Array(vec![
                    Json::Int(1),
                    Json::Int(-1),
                    Json::Float(1.5),
                    Json::str("s"),
                    Json::Null,
                    Json::Bool(true)
                ])
            )])
        );
    }
}
