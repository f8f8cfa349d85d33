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
//!  "roots": {"chains": {chain: "0x..."}, "venues": {venue: "0x..."}},
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
//! words in `network.json` and `epoch.json`; `epoch_params` reads them for every file.

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::snapshot::{Member, Snapshot, SNAPSHOT_FORMAT};

use crate::epoch_params::{epoch_params_entries, read_epoch_params, EpochParams, EPOCH_PARAM_KEYS};
use crate::hex::{bytes_to_hex, digest_to_hex, read_digest, read_hex_bytes};
use crate::input_error::InputError;
use crate::json::{self, Json, ValueReader};
use crate::profile::read_profile;

/// The keys of a snapshot file besides the epoch parameters' (`EPOCH_PARAM_KEYS`), which
/// stand between `profile` and `roots`.
const SNAPSHOT_HEAD_KEYS: [&str; 2] = ["format", "profile"];
const SNAPSHOT_TAIL_KEYS: [&str; 2] = ["roots", "digest"];

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
/// exactly the chains and venues, and the stored digest matches the contents. A signature, if
/// present, is read but not checked: see [`read_snapshot_file`].
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

    let roots = top.req("roots")?.object()?;
    roots.only(&["chains", "venues"])?;
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

    let digest_at = top.req("digest")?;
    let stored = read_digest(&digest_at)?;
    let snapshot = params.into_snapshot(profile, chain_roots, venue_roots);
    if stored != snapshot.digest() {
        return Err(digest_at
            .err("does not match the contents: the snapshot was altered after it was published"));
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
    let mut entries: Vec<(String, Json)> = vec![
        ("format".into(), Json::str(SNAPSHOT_FORMAT)),
        ("profile".into(), Json::str(s.profile.name)),
    ];
    entries.extend(epoch_params_entries(&EpochParams::from(s)));
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
    use serde_json::{json, Value};
    use zkmargin_circuits::hash::{empty_roots, merkle_node};
    use zkmargin_circuits::margin::Bucket;
    use zkmargin_circuits::profile::{SMALL, STANDARD};
    use zkmargin_circuits::snapshot::Asset;

    const FILE: &str = "snap.json";

    fn sample() -> Snapshot {
        Snapshot {
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
        }
    }

    use ff::Field;

    #[test]
    fn round_trips() {
        let s = sample();
        let text = write_snapshot(&s);
        assert_eq!(read_snapshot(&text, FILE), Ok(s.clone()));
        // Formatting does not matter: compact JSON with keys reordered reads the same.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(read_snapshot(&value.to_string(), FILE), Ok(s));
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
        assert_eq!(value["digest"], digest_to_hex(&sample().digest()));
        assert_eq!(value["digest"].as_str().unwrap().len(), 64);
    }

    /// Applies `mutate` to the sample's JSON and expects an error at `field`.
    fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
        let mut value: Value = serde_json::from_str(&write_snapshot(&sample())).unwrap();
        mutate(&mut value);
        let text = serde_json::to_string_pretty(&value).unwrap();
        let e = read_snapshot(&text, FILE).expect_err(field);
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
    fn refuses_broken_json_and_duplicates() {
        let text = write_snapshot(&sample());
        let e = read_snapshot(&text[..text.len() / 2], FILE).unwrap_err();
        assert_eq!(e.file, FILE);
        assert!(e.field.starts_with("line "), "{e}");
        let e = read_snapshot("[]", FILE).unwrap_err();
        assert_eq!(
            e.to_string(),
            "snap.json: (top level): expected an object, found an array"
        );
        let dup = text.replacen("\"epoch\": 4812,", "\"epoch\": 4812, \"epoch\": 4813,", 1);
        let e = read_snapshot(&dup, FILE).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("epoch", "duplicate key")
        );
        let dup = text.replacen("\"BTC\": 75000", "\"BTC\": 75000, \"BTC\": 1", 1);
        assert_ne!(dup, text);
        let e = read_snapshot(&dup, FILE).unwrap_err();
        assert_eq!(e.field, "option_rate_ppm.BTC");
    }

    #[test]
    fn profile_limits_apply() {
        let mut s = sample();
        s.profile = SMALL;
        s.chains.truncate(2);
        s.chain_roots.truncate(2);
        for row in &mut s.haircuts_ppm {
            row.truncate(2);
        }
        assert_eq!(read_snapshot(&write_snapshot(&s), FILE), Ok(s));
    }

    #[test]
    fn signatures_are_read_as_bytes_and_come_in_pairs() {
        let s = sample();
        let signed = SnapshotSignature {
            publisher_key: [7u8; 32],
            signature: [9u8; 64],
        };
        let text = write_signed_snapshot(&s, Some(&signed));
        assert_eq!(
            read_snapshot_file(&text, FILE),
            Ok((s.clone(), Some(signed)))
        );
        // The signature is outside the digest: the plain reader accepts the signed file.
        assert_eq!(read_snapshot(&text, FILE), Ok(s.clone()));
        assert_eq!(read_snapshot_file(&write_snapshot(&s), FILE), Ok((s, None)));
        let signed_value = |mutate: fn(&mut Value)| {
            let mut value: Value = serde_json::from_str(&text).unwrap();
            mutate(&mut value);
            read_snapshot_file(&value.to_string(), FILE).unwrap_err()
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
