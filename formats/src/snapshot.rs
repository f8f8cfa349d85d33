//! `snapshot.json`: the public epoch snapshot as a file, read with exact validation.
//!
//! ```text
//! {"format": "zkmargin.snapshot/1", "profile": "standard", "epoch": 4812,
//!  "valid_from": 1767225600, "valid_until": 1767229200,
//!  "assets": [{"symbol": "BTC", "price": "97000.5"}, ...],
//!  "chains": [{"id": 1, "name": "ethereum"}, ...], "venues": [{"id": 7, "name": "deribit"}, ...],
//!  "haircuts_ppm": {asset: {chain: ppm}}, "perp_mmr_ppm": {venue: {asset: ppm}},
//!  "option_rate_ppm": {asset: ppm},
//!  "expiry_buckets": [{"max_seconds": 86400, "tau_ppm": {asset: ppm}}, ...],
//!  "upnl_haircut_ppm": 100000,
//!  "portfolio": {asset: {"scan_ppm": ppm, "som_ppm": ppm, "contingency_ppm": ppm}},
//!  "risk_table": [{"kind", "underlying", "strike"?, "expiry"?, "mark_pusd", "vector_pusd"}, ...],
//!  "roots": {"chains": {chain: "0x..."}, "venues": {venue: "0x..."}, "risk_table": "0x..."},
//!  "digest": "<64 lower-case hex digits of Snapshot::digest()>",
//!  "publisher_key": "<64 hex digits>", "signature": "<128 hex digits>"}
//! ```
//!
//! `publisher_key` and `signature` (an Ed25519 public key and its signature over the digest,
//! see `zkmargin_verifier::publisher`) come together or not at all: `zkmargin publish` signs,
//! `zkmargin network build` signs only when given a key. They are outside the digest, which
//! covers the snapshot's contents only; [`read_snapshot_file`] reads them as bytes and leaves
//! the signature check to the verifier crate.
//!
//! The epoch parameters (everything from `epoch` to `upnl_haircut_ppm`) are written in the same
//! words in `network.json` and `epoch.json`; `epoch_params` reads them for every file. The
//! portfolio section (statement version 3: `portfolio`, `risk_table`, `roots.risk_table`) is
//! `risk_table`'s, which also says how the table is checked against its root once per snapshot
//! and cached.

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::portfolio::RiskTable;
use zkmargin_circuits::snapshot::{Member, Snapshot, SNAPSHOT_FORMAT};

use crate::epoch_params::{epoch_params_entries, read_epoch_params, EpochParams, EPOCH_PARAM_KEYS};
use crate::hex::{bytes_to_hex, digest_to_hex, read_digest, read_hex_bytes};
use crate::input_error::InputError;
use crate::json::{self, Json, ValueReader};
use crate::profile::read_profile;
use crate::risk_table::{
    check_root, rates_json, read_rates, read_risk_table, risk_table_json, PublishedRisk, RootCheck,
};

/// The keys of a snapshot file besides the epoch parameters' (`EPOCH_PARAM_KEYS`), which
/// stand between `profile` and `roots`.
const SNAPSHOT_HEAD_KEYS: [&str; 2] = ["format", "profile"];
const SNAPSHOT_TAIL_KEYS: [&str; 4] = ["portfolio", "risk_table", "roots", "digest"];

/// The optional keys of a snapshot file: the publisher's signature over the digest.
pub const SNAPSHOT_SIGNATURE_KEYS: [&str; 2] = ["publisher_key", "signature"];

/// A publisher's signature of a snapshot, as the file holds it: an Ed25519 public key and a
/// signature, raw bytes (checked by `zkmargin_verifier::publisher`, not here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotSignature {
    pub publisher_key: [u8; 32],
    pub signature: [u8; 64],
}

/// Reads `snapshot.json`: every bound, every table complete, the profile fits, the roots cover
/// exactly the chains and venues, the stored digest matches the contents, and the risk table
/// is well formed and hashes to its root (a check cached per snapshot: `risk_table`). A
/// signature, if present, is read but not checked: see [`read_snapshot_file`].
pub fn read_snapshot(text: &str, file: &str) -> Result<Snapshot, InputError> {
    read_snapshot_file(text, file).map(|(snapshot, _)| snapshot)
}

/// [`read_snapshot`], and the publisher's signature if the file has one (`publisher_key` and
/// `signature` together; one without the other is an error). The signature is returned as
/// bytes: `zkmargin_verifier::publisher` checks it against the digest.
pub fn read_snapshot_file(
    text: &str,
    file: &str,
) -> Result<(Snapshot, Option<SnapshotSignature>), InputError> {
    read_snapshot_with(text, file, &RootCheck::default())
}

/// [`read_snapshot_file`], checking the risk table against its root as `how` says.
pub fn read_snapshot_with(
    text: &str,
    file: &str,
    how: &RootCheck,
) -> Result<(Snapshot, Option<SnapshotSignature>), InputError> {
    read_snapshot_parts(text, file, Some(how))
}

/// The snapshot as a verifier needs it: everything but the risk table. A certificate's
/// instance carries the table's root and the portfolio rates, never the table, and the digest
/// (which the publisher signs) covers the root; so a verifier that does not evaluate margins
/// need not read the table nor hash it to its root. `risk_table` may be in the file (as
/// `zkmargin publish` writes it) or left out (as [`write_public_snapshot`] writes it); when it
/// is there it is neither read nor checked, and the snapshot returned has an empty table: it
/// verifies certificates, it cannot prove nor charge. The on-chain registry reads snapshots
/// this way: hashing a standard profile's table (up to 4,096 rows) costs more than a block.
pub fn read_public_snapshot(
    text: &str,
    file: &str,
) -> Result<(Snapshot, Option<SnapshotSignature>), InputError> {
    read_snapshot_parts(text, file, None)
}

/// The reader of both: the risk table read and checked as `table` says, or (`None`) left out.
fn read_snapshot_parts(
    text: &str,
    file: &str,
    table: Option<&RootCheck>,
) -> Result<(Snapshot, Option<SnapshotSignature>), InputError> {
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
    let top = root.object()?;
    top.format(SNAPSHOT_FORMAT)?;
    let mut keys = SNAPSHOT_HEAD_KEYS.to_vec();
    keys.extend(EPOCH_PARAM_KEYS);
    keys.extend(SNAPSHOT_TAIL_KEYS);
    keys.extend(SNAPSHOT_SIGNATURE_KEYS);
    top.only(&keys)?;
    let profile = read_profile(&top.req("profile")?)?;
    let params = read_epoch_params(&top)?;
    params.check_fits(&profile, file)?;

    let symbols: Vec<&str> = params.assets.iter().map(|a| a.symbol.as_str()).collect();
    let portfolio = read_rates(&top.req("portfolio")?, &symbols)?;
    let table_at = match table {
        Some(_) => Some(top.req("risk_table")?),
        None => None,
    };
    let risk_table = match &table_at {
        Some(at) => read_risk_table(at, &symbols, &profile)?,
        None => RiskTable::default(),
    };

    let roots = top.req("roots")?.object()?;
    roots.only(&["chains", "venues", "risk_table"])?;
    let chain_names: Vec<&str> = params.chains.iter().map(|c| c.name.as_str()).collect();
    let venue_names: Vec<&str> = params.venues.iter().map(|v| v.name.as_str()).collect();
    let chain_roots = roots
        .req("chains")?
        .keyed(&chain_names, "chain", "missing: every chain needs a root")?
        .iter()
        .map(ValueReader::fp)
        .collect::<Result<Vec<Fp>, InputError>>()?;
    let venue_roots = roots
        .req("venues")?
        .keyed(&venue_names, "venue", "missing: every venue needs a root")?
        .iter()
        .map(ValueReader::fp)
        .collect::<Result<Vec<Fp>, InputError>>()?;

    let risk_root = roots.req("risk_table")?.fp()?;

    let digest_at = top.req("digest")?;
    let stored = read_digest(&digest_at)?;
    let risk = PublishedRisk {
        portfolio,
        risk_table,
        risk_root,
    };
    let snapshot = params.into_snapshot(profile, chain_roots, venue_roots, risk);
    if stored != snapshot.digest() {
        return Err(digest_at
            .err("does not match the contents: the snapshot was altered after it was published"));
    }
    if let (Some(how), Some(table_at)) = (table, &table_at) {
        check_root(
            &snapshot.risk_table,
            profile.risk_depth,
            &snapshot.risk_root,
            &stored,
            how,
        )
        .map_err(|()| {
            table_at.err(
                "does not hash to roots.risk_table (the root the digest covers): the table \
                 was altered after it was published",
            )
        })?;
    }
    let signature = match (top.opt("publisher_key"), top.opt("signature")) {
        (None, None) => None,
        (Some(key_at), Some(signature_at)) => Some(SnapshotSignature {
            publisher_key: read_hex_bytes(&key_at, "an Ed25519 public key")?,
            signature: read_hex_bytes(&signature_at, "an Ed25519 signature")?,
        }),
        (Some(_), None) => {
            return Err(top.err(
                "signature",
                "missing: a snapshot with a publisher_key must carry its signature",
            ))
        }
        (None, Some(_)) => {
            return Err(top.err(
                "publisher_key",
                "missing: a signed snapshot must name the key that signed it",
            ))
        }
    };
    Ok((snapshot, signature))
}

/// The snapshot as pretty JSON, digest included, unsigned.
pub fn write_snapshot(s: &Snapshot) -> String {
    write_signed_snapshot(s, None)
}

/// The snapshot as pretty JSON, digest included, with the publisher's signature if given.
pub fn write_signed_snapshot(s: &Snapshot, signature: Option<&SnapshotSignature>) -> String {
    write_snapshot_parts(s, signature, true)
}

/// [`write_signed_snapshot`] without the risk table (its root stays, and so do the digest and
/// the signature, which cover the root): what [`read_public_snapshot`] reads, for verifiers.
pub fn write_public_snapshot(s: &Snapshot, signature: Option<&SnapshotSignature>) -> String {
    write_snapshot_parts(s, signature, false)
}

fn write_snapshot_parts(
    s: &Snapshot,
    signature: Option<&SnapshotSignature>,
    with_table: bool,
) -> String {
    let mut entries: Vec<(String, Json)> = vec![
        ("format".into(), Json::str(SNAPSHOT_FORMAT)),
        ("profile".into(), Json::str(s.profile.name)),
    ];
    entries.extend(epoch_params_entries(&EpochParams::from(s)));
    let symbols: Vec<&str> = s.assets.iter().map(|a| a.symbol.as_str()).collect();
    entries.push(("portfolio".into(), rates_json(&s.portfolio, &symbols)));
    if with_table {
        entries.push((
            "risk_table".into(),
            risk_table_json(&s.risk_table, &symbols),
        ));
    }
    let roots = |members: &[Member], roots: &[Fp]| {
        Json::object(
            members
                .iter()
                .zip(roots)
                .map(|(m, r)| (m.name.clone(), Json::str(fp_to_hex(r)))),
        )
    };
    entries.push((
        "roots".into(),
        Json::object([
            ("chains", roots(&s.chains, &s.chain_roots)),
            ("venues", roots(&s.venues, &s.venue_roots)),
            ("risk_table", Json::str(fp_to_hex(&s.risk_root))),
        ]),
    ));
    entries.push(("digest".into(), Json::str(digest_to_hex(&s.digest()))));
    if let Some(signed) = signature {
        entries.push((
            "publisher_key".into(),
            Json::str(bytes_to_hex(&signed.publisher_key)),
        ));
        entries.push((
            "signature".into(),
            Json::str(bytes_to_hex(&signed.signature)),
        ));
    }
    json::to_pretty(&Json::Object(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::digest_from_hex;
    use crate::risk_table::check_root;
    use serde_json::{json, Value};
    use zkmargin_circuits::hash::{self, empty_roots, merkle_node};
    use zkmargin_circuits::margin::{Bucket, Kind};
    use zkmargin_circuits::portfolio::{
        InstrumentKey, PortfolioRates, RiskRow, RiskTable, SCENARIOS,
    };
    use zkmargin_circuits::profile::{SMALL, STANDARD};
    use zkmargin_circuits::snapshot::Asset;

    const FILE: &str = "snap.json";

    /// `read_snapshot`, hashing the risk table every time (the cache is tested on its own).
    fn read(text: &str, file: &str) -> Result<Snapshot, InputError> {
        read_file(text, file).map(|(snapshot, _)| snapshot)
    }

    fn read_file(
        text: &str,
        file: &str,
    ) -> Result<(Snapshot, Option<SnapshotSignature>), InputError> {
        read_snapshot_with(text, file, &RootCheck::Always)
    }

    fn sample() -> Snapshot {
        let mut s = Snapshot {
            profile: STANDARD,
            epoch: 4812,
            valid_from: 1_767_225_600,
            valid_until: 1_767_229_200,
            assets: vec![
                Asset {
                    symbol: "BTC".into(),
                    price: 9_700_050_000_000,
                },
                Asset {
                    symbol: "USDC".into(),
                    price: 100_000_000,
                },
            ],
            chains: vec![
                Member {
                    id: 1,
                    name: "ethereum".into(),
                },
                Member {
                    id: 42161,
                    name: "arbitrum".into(),
                },
                Member {
                    id: 900,
                    name: "solana".into(),
                },
            ],
            venues: vec![
                Member {
                    id: 7,
                    name: "deribit".into(),
                },
                Member {
                    id: 9,
                    name: "hyperliquid".into(),
                },
            ],
            haircuts_ppm: vec![vec![30_000, 45_000, 60_000], vec![10_000, 12_000, 0]],
            perp_mmr_ppm: vec![vec![10_000, 0], vec![12_500, 0]],
            option_rate_ppm: vec![75_000, 0],
            buckets: vec![
                Bucket {
                    max_seconds: 86_400,
                    tau_ppm: vec![20_000, 0],
                },
                Bucket {
                    max_seconds: 31_536_000,
                    tau_ppm: vec![120_000, 1_000_000],
                },
            ],
            upnl_haircut_ppm: 100_000,
            chain_roots: vec![empty_roots(20)[20], Fp::from(5), Fp::from(6)],
            venue_roots: vec![merkle_node(Fp::from(1), Fp::from(2)), Fp::ZERO],
            portfolio: vec![
                PortfolioRates {
                    scan_ppm: 150_000,
                    som_ppm: 7_500,
                    contingency_ppm: 2_000,
                },
                PortfolioRates {
                    scan_ppm: 10_000,
                    som_ppm: 0,
                    contingency_ppm: 0,
                },
            ],
            risk_table: sample_table(),
            risk_root: Fp::ZERO,
        };
        s.risk_root = hash::risk_tree(&s.risk_table, s.profile.risk_depth).root();
        s
    }

    /// Rows of every kind, in leaf order: BTC's perpetual, a call and a put, USDC's perpetual.
    fn sample_table() -> RiskTable {
        let vector = |scale: i64| {
            let mut v = [0i64; SCENARIOS];
            for (s, x) in v.iter_mut().enumerate() {
                *x = (s as i64 - 7) * scale;
            }
            v
        };
        let option = |kind, strike| InstrumentKey {
            underlying: 0,
            kind,
            expiry: 1_767_312_000,
            strike,
        };
        RiskTable {
            rows: vec![
                RiskRow {
                    key: InstrumentKey::perp(0),
                    mark: 0,
                    vector: vector(3_233_350_000_000_000),
                },
                RiskRow {
                    key: option(Kind::Call, 10_000_000_000_000),
                    mark: 1_523_750_123_456_789,
                    vector: vector(-(1 << 58)),
                },
                RiskRow {
                    key: option(Kind::Put, 9_000_000_000_000),
                    mark: (1 << 62) - 1,
                    vector: vector(7),
                },
                RiskRow {
                    key: InstrumentKey::perp(1),
                    mark: 0,
                    vector: [0; SCENARIOS],
                },
            ],
        }
    }

    use ff::Field;

    #[test]
    fn round_trips() {
        let s = sample();
        let text = write_snapshot(&s);
        assert_eq!(read(&text, FILE), Ok(s.clone()));
        // Formatting does not matter: compact JSON with keys reordered reads the same.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(read(&value.to_string(), FILE), Ok(s));
    }

    #[test]
    fn writes_the_documented_shape() {
        let value: Value = serde_json::from_str(&write_snapshot(&sample())).unwrap();
        assert_eq!(value["format"], "zkmargin.snapshot/1");
        assert_eq!(value["profile"], "standard");
        assert_eq!(
            value["assets"][0],
            json!({"symbol": "BTC", "price": "97000.5"})
        );
        assert_eq!(value["haircuts_ppm"]["BTC"]["arbitrum"], 45_000);
        assert_eq!(value["perp_mmr_ppm"]["hyperliquid"]["BTC"], 12_500);
        assert_eq!(value["expiry_buckets"][1]["tau_ppm"]["USDC"], 1_000_000);
        assert_eq!(
            value["roots"]["chains"]["arbitrum"],
            fp_to_hex(&Fp::from(5))
        );
        assert_eq!(
            value["portfolio"]["BTC"],
            json!({"scan_ppm": 150_000, "som_ppm": 7_500, "contingency_ppm": 2_000})
        );
        assert_eq!(
            value["risk_table"][0],
            json!({"kind": "perp", "underlying": "BTC", "mark_pusd": "0",
                   "vector_pusd": (0..16).map(|s| ((s - 7) * 3_233_350_000_000_000i64).to_string())
                       .collect::<Vec<_>>()})
        );
        let call = &value["risk_table"][1];
        assert_eq!(
            (
                &call["kind"],
                &call["strike"],
                &call["expiry"],
                &call["mark_pusd"]
            ),
            (
                &json!("call"),
                &json!("100000"),
                &json!(1_767_312_000),
                &json!("1523750123456789")
            )
        );
        assert_eq!(call["vector_pusd"][0], json!((7i64 << 58).to_string()));
        assert_eq!(
            value["risk_table"][2]["mark_pusd"],
            json!(((1u64 << 62) - 1).to_string())
        );
        assert_eq!(value["risk_table"].as_array().unwrap().len(), 4);
        assert_eq!(
            value["roots"]["risk_table"],
            fp_to_hex(&hash::risk_tree(&sample_table(), 12).root())
        );
        assert_eq!(value["digest"], digest_to_hex(&sample().digest()));
        assert_eq!(value["digest"].as_str().unwrap().len(), 64);
    }

    /// Applies `mutate` to the sample's JSON and expects an error at `field`.
    fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
        let mut value: Value = serde_json::from_str(&write_snapshot(&sample())).unwrap();
        mutate(&mut value);
        let text = serde_json::to_string_pretty(&value).unwrap();
        let e = read(&text, FILE).expect_err(field);
        assert_eq!(e.file, FILE);
        assert_eq!(e.field, field, "{e}");
        assert!(e.to_string().starts_with(&format!("{FILE}: {field}: ")));
        e
    }

    fn obj(v: &mut Value) -> &mut serde_json::Map<String, Value> {
        v.as_object_mut().unwrap()
    }

    #[test]
    fn refuses_bad_snapshots() {
        refused(|v| v["format"] = json!("zkmargin.snapshot/2"), "format");
        refused(|v| v["format"] = json!("zkmargin.network/1"), "format");
        refused(
            |v| {
                obj(v).remove("format");
            },
            "format",
        );
        refused(
            |v| {
                obj(v).remove("valid_until");
            },
            "valid_until",
        );
        refused(|v| v["surprise"] = json!(1), "surprise");
        refused(
            |v| v["assets"][0]["decimals"] = json!(8),
            "assets[0].decimals",
        );
        refused(|v| v["epoch"] = json!("4812"), "epoch");
        refused(|v| v["epoch"] = json!(-1), "epoch");
        refused(|v| v["valid_from"] = json!(1u64 << 40), "valid_from");
        refused(|v| v["valid_until"] = json!(1_767_225_599), "valid_until");
        refused(|v| v["profile"] = json!("huge"), "profile");
        refused(|v| v["profile"] = json!("small"), "chains");
        refused(
            |v| v["assets"][0]["price"] = json!(97000.5),
            "assets[0].price",
        );
        refused(|v| v["assets"][0]["price"] = json!("-1"), "assets[0].price");
        refused(
            |v| v["assets"][0]["price"] = json!("97000.123456789"),
            "assets[0].price",
        );
        let e = refused(
            |v| v["assets"][0]["price"] = json!("2814749.76710656"),
            "assets[0].price",
        );
        assert!(e.reason.contains("out of range"), "{e}");
        refused(
            |v| v["assets"][1]["symbol"] = json!("BTC"),
            "assets[1].symbol",
        );
        refused(|v| v["assets"] = json!([]), "assets");
        let e = refused(
            |v| {
                v["assets"] = Value::Array(
                    (0..17)
                        .map(|i| json!({"symbol": format!("A{i}"), "price": "1"}))
                        .collect(),
                )
            },
            "assets",
        );
        assert!(e.reason.contains("no profile holds more than 16"), "{e}");
        refused(
            |v| v["assets"][1]["symbol"] = json!("a b"),
            "assets[1].symbol",
        );
        refused(|v| v["chains"][1]["id"] = json!(1), "chains[1].id");
        refused(|v| v["chains"][1]["id"] = json!(1u64 << 32), "chains[1].id");
        refused(
            |v| v["venues"][1]["name"] = json!("deribit"),
            "venues[1].name",
        );
        refused(
            |v| v["haircuts_ppm"]["BTC"]["arbitrum"] = json!(1_000_001),
            "haircuts_ppm.BTC.arbitrum",
        );
        refused(
            |v| {
                v["haircuts_ppm"]["BTC"]
                    .as_object_mut()
                    .unwrap()
                    .remove("solana");
            },
            "haircuts_ppm.BTC.solana",
        );
        refused(
            |v| v["haircuts_ppm"]["BTC"]["polygon"] = json!(1),
            "haircuts_ppm.BTC.polygon",
        );
        refused(
            |v| v["haircuts_ppm"]["DOGE"] = json!({}),
            "haircuts_ppm.DOGE",
        );
        refused(
            |v| v["perp_mmr_ppm"]["okx"] = json!({"BTC": 1, "USDC": 1}),
            "perp_mmr_ppm.okx",
        );
        refused(
            |v| v["perp_mmr_ppm"]["deribit"]["BTC"] = json!(-5),
            "perp_mmr_ppm.deribit.BTC",
        );
        refused(
            |v| {
                v["option_rate_ppm"].as_object_mut().unwrap().remove("USDC");
            },
            "option_rate_ppm.USDC",
        );
        refused(
            |v| v["expiry_buckets"][1]["max_seconds"] = json!(86_400),
            "expiry_buckets[1].max_seconds",
        );
        refused(
            |v| v["expiry_buckets"][1]["max_seconds"] = json!(100),
            "expiry_buckets[1].max_seconds",
        );
        refused(
            |v| {
                v["expiry_buckets"][0]["tau_ppm"]
                    .as_object_mut()
                    .unwrap()
                    .remove("BTC");
            },
            "expiry_buckets[0].tau_ppm.BTC",
        );
        refused(|v| v["expiry_buckets"] = json!([]), "expiry_buckets");
        refused(|v| v["upnl_haircut_ppm"] = json!(0.5), "upnl_haircut_ppm");
        refused(
            |v| {
                v["roots"]["venues"]
                    .as_object_mut()
                    .unwrap()
                    .remove("deribit");
            },
            "roots.venues.deribit",
        );
        refused(
            |v| v["roots"]["chains"]["ethereum"] = json!(format!("0x{}", "f".repeat(64))),
            "roots.chains.ethereum",
        );
        refused(|v| v["roots"]["extra"] = json!({}), "roots.extra");
        refused(|v| v["digest"] = json!("00"), "digest");
        let e = refused(
            |v| {
                let d = v["digest"].as_str().unwrap().to_string();
                let flipped = if d.starts_with('0') { "1" } else { "0" };
                v["digest"] = json!(format!("{flipped}{}", &d[1..]));
            },
            "digest",
        );
        assert!(e.reason.contains("does not match the contents"), "{e}");
        // A valid-looking change (a price) without a new digest is caught by the digest.
        refused(|v| v["assets"][0]["price"] = json!("97000.6"), "digest");
        refused(|v| v["upnl_haircut_ppm"] = json!(0), "digest");
    }

    #[test]
    fn refuses_bad_portfolio_sections() {
        refused(
            |v| {
                v["portfolio"].as_object_mut().unwrap().remove("USDC");
            },
            "portfolio.USDC",
        );
        refused(
            |v| v["portfolio"]["DOGE"] = v["portfolio"]["BTC"].clone(),
            "portfolio.DOGE",
        );
        refused(
            |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(1),
            "portfolio.BTC.vol_ppm",
        );
        refused(
            |v| {
                v["portfolio"]["BTC"]
                    .as_object_mut()
                    .unwrap()
                    .remove("som_ppm");
            },
            "portfolio.BTC.som_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["scan_ppm"] = json!(1_000_001),
            "portfolio.BTC.scan_ppm",
        );
        refused(
            |v| v["portfolio"]["BTC"]["scan_ppm"] = json!(99_999),
            "digest",
        );
        refused(
            |v| obj(v).remove("risk_table").map(|_| ()).unwrap(),
            "risk_table",
        );
        refused(|v| v["risk_table"] = json!({}), "risk_table");
        refused(
            |v| v["risk_table"][0]["kind"] = json!("future"),
            "risk_table[0].kind",
        );
        let e = refused(
            |v| v["risk_table"][0]["strike"] = json!("1"),
            "risk_table[0].strike",
        );
        assert!(e.reason.contains("a perpetual has no strike"), "{e}");
        refused(
            |v| v["risk_table"][1]["expiry"] = json!("1"),
            "risk_table[1].expiry",
        );
        refused(
            |v| {
                obj(&mut v["risk_table"][1])
                    .remove("strike")
                    .map(|_| ())
                    .unwrap()
            },
            "risk_table[1].strike",
        );
        refused(
            |v| v["risk_table"][1]["underlying"] = json!("DOGE"),
            "risk_table[1].underlying",
        );
        refused(
            |v| v["risk_table"][1]["mark_pusd"] = json!(5),
            "risk_table[1].mark_pusd",
        );
        refused(
            |v| v["risk_table"][1]["mark_pusd"] = json!("-5"),
            "risk_table[1].mark_pusd",
        );
        refused(
            |v| v["risk_table"][1]["mark_pusd"] = json!("1.5"),
            "risk_table[1].mark_pusd",
        );
        refused(
            |v| v["risk_table"][1]["mark_pusd"] = json!("05"),
            "risk_table[1].mark_pusd",
        );
        let e = refused(
            |v| v["risk_table"][1]["mark_pusd"] = json!((1u64 << 62).to_string()),
            "risk_table[1].mark_pusd",
        );
        assert!(e.reason.contains("below 2^62"), "{e}");
        refused(
            |v| v["risk_table"][1]["vector_pusd"][3] = json!((-(1i128 << 62)).to_string()),
            "risk_table[1].vector_pusd[3]",
        );
        refused(
            |v| v["risk_table"][1]["vector_pusd"][3] = json!("-0"),
            "risk_table[1].vector_pusd[3]",
        );
        refused(
            |v| v["risk_table"][1]["vector_pusd"][3] = json!("+1"),
            "risk_table[1].vector_pusd[3]",
        );
        let e = refused(
            |v| {
                v["risk_table"][1]["vector_pusd"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
            "risk_table[1].vector_pusd",
        );
        assert!(e.reason.contains("15 entries"), "{e}");
        // The checks of RiskTable::check, naming the row.
        let e = refused(
            |v| {
                let rows = v["risk_table"].as_array_mut().unwrap();
                rows.swap(1, 2);
            },
            "risk_table[2]",
        );
        assert!(e.reason.contains("strictly increasing"), "{e}");
        refused(
            |v| {
                let rows = v["risk_table"].as_array_mut().unwrap();
                let again = rows[1].clone();
                rows.insert(1, again);
            },
            "risk_table[2]",
        );
        refused(
            |v| v["risk_table"][1]["strike"] = json!("0"),
            "risk_table[1].strike",
        );
        // A table of more rows than the profile's risk depth holds.
        let e = refused(
            |v| {
                let row = v["risk_table"][0].clone();
                v["risk_table"] = Value::Array(vec![row; 4097]);
            },
            "risk_table",
        );
        assert!(e.reason.contains("at most 2^12 = 4096"), "{e}");
        // The root: another root is caught by the digest; a row altered under the same root
        // and digest is caught by hashing the table.
        refused(
            |v| v["roots"]["risk_table"] = json!(fp_to_hex(&Fp::from(7))),
            "digest",
        );
        refused(
            |v| {
                obj(&mut v["roots"])
                    .remove("risk_table")
                    .map(|_| ())
                    .unwrap()
            },
            "roots.risk_table",
        );
        for (row, entry, value) in [
            (1, "mark_pusd", json!("1523750123456788")),
            (0, "vector_pusd", json!(vec!["0"; 16])),
        ] {
            let e = refused(|v| v["risk_table"][row][entry] = value, "risk_table");
            assert!(
                e.reason.contains("does not hash to roots.risk_table"),
                "{e}"
            );
        }
        let e = refused(
            |v| {
                v["risk_table"].as_array_mut().unwrap().pop();
            },
            "risk_table",
        );
        assert!(e.reason.contains("altered after it was published"), "{e}");
    }

    #[test]
    fn the_public_form_leaves_the_table_out_and_keeps_the_digest() {
        let s = sample();
        let public = Snapshot {
            risk_table: RiskTable::default(),
            ..s.clone()
        };
        let text = write_public_snapshot(&s, None);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value.get("risk_table").is_none(), "{text}");
        assert_eq!(
            read_public_snapshot(&text, FILE),
            Ok((public.clone(), None))
        );
        assert_eq!(
            public.digest(),
            s.digest(),
            "the digest covers the root, not the rows"
        );
        // The full file reads the same way (its table neither read nor hashed), and the strict
        // reader refuses the public form: it needs the table.
        let full = write_snapshot(&s);
        assert_eq!(read_public_snapshot(&full, FILE), Ok((public, None)));
        let e = read(&text, FILE).expect_err("no table");
        assert_eq!(e.field, "risk_table", "{e}");
        // Everything else is read as strictly: the root, the rates, the digest.
        let mut altered: Value = serde_json::from_str(&text).unwrap();
        altered["roots"]["risk_table"] = json!(fp_to_hex(&Fp::ONE));
        let e = read_public_snapshot(&altered.to_string(), FILE).expect_err("another root");
        assert_eq!(e.field, "digest", "{e}");
        let mut altered: Value = serde_json::from_str(&text).unwrap();
        obj(&mut altered).remove("portfolio");
        let e = read_public_snapshot(&altered.to_string(), FILE).expect_err("no rates");
        assert_eq!(e.field, "portfolio", "{e}");
    }

    #[test]
    fn the_root_check_is_cached_by_digest_and_rows() {
        let dir = tempfile::tempdir().unwrap();
        let how = RootCheck::Cached(dir.path().join("cache"));
        let s = sample();
        let digest = s.digest();
        let check = |table: &RiskTable| check_root(table, 12, &s.risk_root, &digest, &how);
        // The first check hashes, the second is answered by the cache.
        assert_eq!(check(&s.risk_table), Ok(false));
        assert_eq!(check(&s.risk_table), Ok(true));
        let text = write_snapshot(&s);
        assert_eq!(read_snapshot_with(&text, FILE, &how), Ok((s.clone(), None)));
        // Other rows under the same digest are hashed, and refused: the cache remembers the
        // rows it checked, not the digest alone.
        let mut altered = s.risk_table.clone();
        altered.rows[1].vector[4] += 1;
        assert_eq!(check(&altered), Err(()));
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value["risk_table"][1]["vector_pusd"][4] = json!(altered.rows[1].vector[4].to_string());
        let e = read_snapshot_with(&value.to_string(), FILE, &how).unwrap_err();
        assert_eq!(e.field, "risk_table");
        // A garbled cache entry costs a hash, nothing more.
        let entry = std::fs::read_dir(dir.path().join("cache"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        std::fs::write(entry.path(), "junk").unwrap();
        assert_eq!(check(&s.risk_table), Ok(false));
        assert_eq!(check(&s.risk_table), Ok(true));
        // An unwritable cache directory (a file in its place) still checks.
        let blocked = RootCheck::Cached(entry.path().join("below-a-file"));
        assert_eq!(
            check_root(&s.risk_table, 12, &s.risk_root, &digest, &blocked),
            Ok(false)
        );
        assert_eq!(
            check_root(&altered, 12, &s.risk_root, &digest, &blocked),
            Err(())
        );
    }

    #[test]
    fn refuses_broken_json_and_duplicates() {
        let text = write_snapshot(&sample());
        let e = read(&text[..text.len() / 2], FILE).unwrap_err();
        assert_eq!(e.file, FILE);
        assert!(e.field.starts_with("line "), "{e}");
        let e = read("[]", FILE).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snap.json: (top level): expected an object, found an array"
        );
        let dup = text.replacen("\"epoch\": 4812,", "\"epoch\": 4812, \"epoch\": 4813,", 1);
        let e = read(&dup, FILE).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("epoch", "duplicate key")
        );
        let dup = text.replacen("\"BTC\": 75000", "\"BTC\": 75000, \"BTC\": 1", 1);
        assert_ne!(dup, text);
        let e = read(&dup, FILE).unwrap_err();
        assert_eq!(e.field, "option_rate_ppm.BTC");
    }

    #[test]
    fn profile_limits_apply() {
        let mut s = sample();
        s.profile = SMALL;
        s.risk_root = hash::risk_tree(&s.risk_table, SMALL.risk_depth).root();
        s.chains.truncate(2);
        s.chain_roots.truncate(2);
        for row in &mut s.haircuts_ppm {
            row.truncate(2);
        }
        assert_eq!(read(&write_snapshot(&s), FILE), Ok(s));
    }

    #[test]
    fn signatures_are_read_as_bytes_and_come_in_pairs() {
        let s = sample();
        let signed = SnapshotSignature {
            publisher_key: [7u8; 32],
            signature: [9u8; 64],
        };
        let text = write_signed_snapshot(&s, Some(&signed));
        assert_eq!(read_file(&text, FILE), Ok((s.clone(), Some(signed))));
        // The signature is outside the digest: the plain reader accepts the signed file.
        assert_eq!(read(&text, FILE), Ok(s.clone()));
        assert_eq!(read_file(&write_snapshot(&s), FILE), Ok((s, None)));
        let signed_value = |mutate: fn(&mut Value)| {
            let mut value: Value = serde_json::from_str(&text).unwrap();
            mutate(&mut value);
            read_file(&value.to_string(), FILE).unwrap_err()
        };
        let e = signed_value(|v| {
            obj(v).remove("signature");
        });
        assert_eq!(e.field, "signature");
        let e = signed_value(|v| {
            obj(v).remove("publisher_key");
        });
        assert_eq!(e.field, "publisher_key");
        let e = signed_value(|v| v["signature"] = json!("ab"));
        assert_eq!(e.field, "signature");
        assert!(e.reason.contains("128 lower-case hex digits"), "{e}");
        let e = signed_value(|v| v["publisher_key"] = json!("AB".repeat(32)));
        assert_eq!(e.field, "publisher_key");
        let e = signed_value(|v| v["publisher_key"] = json!(1));
        assert_eq!(e.field, "publisher_key");
    }

    #[test]
    fn digest_hex_round_trips() {
        let d = sample().digest();
        assert_eq!(digest_from_hex(&digest_to_hex(&d)), Some(d));
        assert_eq!(digest_from_hex(&digest_to_hex(&d).to_uppercase()), None);
        assert_eq!(digest_from_hex("é".repeat(32).as_str()), None);
    }
}
