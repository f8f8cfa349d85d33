//! The risk file (`zkmargin.risk/1`), the input of `zkmargin risk haircuts` and `--risk`:
//! decimals are strings with at most 9 fractional digits, parsed exactly; times are integers
//! below 2^40.
//!
//! ```text
//! {"format": "zkmargin.risk/1", "z": "3.09", "stale_seconds": 3600,
//!  "assets": {"BTC": {"sigma": "0.60", "jump": "0", "liquidation_seconds": 3600}, ...},
//!  "chains": {"ethereum": {"finality_seconds": 768, "relay_seconds": 1140, "bridge": "0"}, ...}}
//! ```
//!
//! with `0 <= z <= 100`, `0 <= sigma <= 100` (annualised), `0 <= jump, bridge <= 1`. The
//! haircuts computed from it are `zkmargin_prover::risk`'s.

use zkmargin_circuits::units::TIME_BITS;

use crate::input_error::InputError;
use crate::json::{self, check_name, shown, ValueReader};

/// The `format` of a risk file.
pub const RISK_FORMAT: &str = "zkmargin.risk/1";
/// Fractional digits of the risk file's decimals.
pub const RISK_DECIMALS: u32 = 9;
/// One, scaled by `10^RISK_DECIMALS`.
pub const ONE: u64 = 1_000_000_000;
/// Largest `z` and `sigma`: 100 (scaled).
pub const MAX_FACTOR: u64 = 100 * ONE;
/// Most assets or chains in a risk file.
const MAX_ENTRIES: usize = 256;

/// One asset's risk: annualised volatility, de-peg add-on, time to sell (scaled by 1e9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetRisk {
    pub symbol: String,
    pub sigma: u64,
    pub jump: u64,
    pub liquidation_seconds: u64,
}

/// One chain's latency and bridge add-on (scaled by 1e9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRisk {
    pub name: String,
    pub finality_seconds: u64,
    pub relay_seconds: u64,
    pub bridge: u64,
}

/// A parsed risk file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskModel {
    /// The file it was read from (named by errors about coverage).
    pub file: String,
    /// Standard deviations covered, scaled by 1e9.
    pub z: u64,
    pub stale_seconds: u64,
    pub assets: Vec<AssetRisk>,
    pub chains: Vec<ChainRisk>,
}

/// A decimal string scaled by 1e9, `0 <= v <= max`.
fn bounded(at: &ValueReader, max: u64, what: &str) -> Result<u64, InputError> {
    let value = at.decimal(RISK_DECIMALS, 64)?;
    if value > max {
        return Err(at.err(format!(
            "{} is out of range ({what})",
            shown(at.str().unwrap_or_default())
        )));
    }
    Ok(value)
}

fn entries<'a>(
    at: &ValueReader<'a>,
    what: &str,
) -> Result<Vec<(&'a str, ValueReader<'a>)>, InputError> {
    let entries = at.entries()?;
    if entries.is_empty() {
        return Err(at.err(format!("at least one {what} is required")));
    }
    if entries.len() > MAX_ENTRIES {
        return Err(at.err(format!("more than {MAX_ENTRIES} {what}s")));
    }
    Ok(entries)
}

/// Reads a risk file (see the module documentation); errors name the file and the field.
pub fn read_risk(text: &str, file: &str) -> Result<RiskModel, InputError> {
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
    let top = root.object()?;
    top.format(RISK_FORMAT)?;
    top.only(&["format", "z", "stale_seconds", "assets", "chains"])?;
    let z = bounded(&top.req("z")?, MAX_FACTOR, "z is 0 to 100")?;
    let stale_seconds = top.req("stale_seconds")?.uint(TIME_BITS)?;
    let mut assets = Vec::new();
    for (symbol, at) in entries(&top.req("assets")?, "asset")? {
        check_name(&at, symbol)?;
        let obj = at.object()?;
        obj.only(&["sigma", "jump", "liquidation_seconds"])?;
        assets.push(AssetRisk {
            symbol: symbol.to_string(),
            sigma: bounded(
                &obj.req("sigma")?,
                MAX_FACTOR,
                "sigma is an annualised volatility, 0 to 100",
            )?,
            jump: bounded(&obj.req("jump")?, ONE, "jump is 0 to 1")?,
            liquidation_seconds: obj.req("liquidation_seconds")?.uint(TIME_BITS)?,
        });
    }
    let mut chains = Vec::new();
    for (name, at) in entries(&top.req("chains")?, "chain")? {
        check_name(&at, name)?;
        let obj = at.object()?;
        obj.only(&["finality_seconds", "relay_seconds", "bridge"])?;
        chains.push(ChainRisk {
            name: name.to_string(),
            finality_seconds: obj.req("finality_seconds")?.uint(TIME_BITS)?,
            relay_seconds: obj.req("relay_seconds")?.uint(TIME_BITS)?,
            bridge: bounded(&obj.req("bridge")?, ONE, "bridge is 0 to 1")?,
        });
    }
    Ok(RiskModel {
        file: file.to_string(),
        z,
        stale_seconds,
        assets,
        chains,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The example of the issue, verbatim.
    const ISSUE_EXAMPLE: &str = include_str!("../../examples/parties/risk.json");

    fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
        let mut value: Value = serde_json::from_str(ISSUE_EXAMPLE).unwrap();
        mutate(&mut value);
        let e = read_risk(&value.to_string(), "risk.json").expect_err(field);
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("risk.json", field),
            "{e}"
        );
        e
    }

    #[test]
    fn refuses_bad_risk_files() {
        refused(|v| v["format"] = json!("zkmargin.risk/2"), "format");
        refused(|v| v["extra"] = json!(1), "extra");
        refused(|v| v["z"] = json!(3.09), "z");
        refused(|v| v["z"] = json!("-1"), "z");
        refused(|v| v["z"] = json!("100.000000001"), "z");
        refused(|v| v["z"] = json!("3.0900000001"), "z");
        refused(|v| v["stale_seconds"] = json!(-1), "stale_seconds");
        refused(|v| v["stale_seconds"] = json!(1u64 << 40), "stale_seconds");
        refused(|v| v["assets"] = json!({}), "assets");
        refused(|v| v["assets"] = json!([]), "assets");
        refused(
            |v| v["assets"]["BTC"]["sigma"] = json!("abc"),
            "assets.BTC.sigma",
        );
        refused(
            |v| v["assets"]["BTC"]["sigma"] = json!("101"),
            "assets.BTC.sigma",
        );
        refused(
            |v| v["assets"]["BTC"]["jump"] = json!("1.5"),
            "assets.BTC.jump",
        );
        refused(
            |v| v["assets"]["BTC"]["liquidation_seconds"] = json!("3600"),
            "assets.BTC.liquidation_seconds",
        );
        refused(
            |v| {
                v["assets"]["BTC"].as_object_mut().unwrap().remove("jump");
            },
            "assets.BTC.jump",
        );
        refused(
            |v| v["assets"]["BTC"]["beta"] = json!("1"),
            "assets.BTC.beta",
        );
        refused(
            |v| v["assets"]["a b"] = v["assets"]["BTC"].clone(),
            "assets[\"a b\"]",
        );
        refused(
            |v| v["chains"]["arbitrum"]["bridge"] = json!("-0.01"),
            "chains.arbitrum.bridge",
        );
        refused(
            |v| v["chains"]["arbitrum"]["relay_seconds"] = json!(0.5),
            "chains.arbitrum.relay_seconds",
        );
        refused(|v| v["chains"] = json!({}), "chains");
        let dup = ISSUE_EXAMPLE.replacen("\"z\": \"3.09\",", "\"z\": \"3.09\", \"z\": \"1\",", 1);
        assert_eq!(read_risk(&dup, "risk.json").unwrap_err().field, "z");
        let e = read_risk("{", "risk.json").unwrap_err();
        assert!(e.field.starts_with("line "), "{e}");
    }
}
