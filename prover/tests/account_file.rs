//! The account file (`zkmargin_formats::account`) as the network build writes it: it round
//! trips, has the documented shape, hides its secrets, and refuses every corruption, naming the
//! file and the field.

use ff::Field;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use zkmargin_circuits::hash::{fp_to_hex, root_from_path, Fp};
use zkmargin_circuits::margin::{Kind, Side};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::{read_account, write_account, write_account_file, Account};
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::network::read_network;
use zkmargin_prover::network::build;

const FILE: &str = "alice.json";

fn built() -> (Snapshot, Vec<Account>) {
    let network = read_network(
        include_str!("../../examples/network.json"),
        "examples/network.json",
    )
    .unwrap();
    build(&network, None, &mut StdRng::seed_from_u64(7)).unwrap()
}

#[test]
fn round_trips() {
    let (snapshot, accounts) = built();
    for account in &accounts {
        let text = write_account(account, &snapshot);
        assert_eq!(read_account(&text, FILE, &snapshot).as_ref(), Ok(account));
    }
}

#[test]
fn writes_the_documented_shape() {
    let (snapshot, accounts) = built();
    let value: Value = serde_json::from_str(&write_account(&accounts[0], &snapshot)).unwrap();
    assert_eq!(value["format"], "zkmargin.account/1");
    assert_eq!(value["name"], "alice");
    assert_eq!(value["profile"], "standard");
    assert_eq!(value["idx"], 0);
    assert_eq!(value["snapshot_digest"], digest_to_hex(&snapshot.digest()));
    assert_eq!(value["sk"], fp_to_hex(&accounts[0].sk));
    assert_eq!(
        value["collateral"]["ethereum"],
        json!({"BTC": "0.25", "USDC": "5000"})
    );
    assert_eq!(
        value["positions"]["deribit"][0],
        json!({"kind": "call", "underlying": "BTC", "size": "-1", "strike": "105000",
               "expiry": 1767312000u64})
    );
    assert_eq!(
        value["positions"]["okx"][0],
        json!({"kind": "perp", "underlying": "SOL", "size": "-20", "entry": "200"})
    );
    let opening = &value["openings"]["chains"]["solana"];
    assert_eq!(opening["present"], true);
    assert_eq!(opening["path"].as_array().unwrap().len(), 20);
    // Bob holds nothing on solana: his opening there is absent with a zero salt.
    let value: Value = serde_json::from_str(&write_account(&accounts[1], &snapshot)).unwrap();
    assert_eq!(value["openings"]["chains"]["solana"]["present"], false);
    assert_eq!(
        value["openings"]["chains"]["solana"]["salt"],
        fp_to_hex(&Fp::ZERO)
    );
    assert!(value["collateral"].get("solana").is_none());
}

#[test]
fn debug_output_hides_the_secrets() {
    let (_, accounts) = built();
    let shown = format!("{:?}", accounts[0]);
    assert!(!shown.contains(&fp_to_hex(&accounts[0].sk)));
    assert!(!shown.contains(&format!("{:?}", accounts[0].sk)));
    assert!(!shown.contains(&format!("{:?}", accounts[0].chain_openings[0].salt)));
    assert!(shown.contains("<secret>"));
}

#[test]
fn leaves_match_the_book() {
    let (snapshot, accounts) = built();
    let alice = &accounts[0];
    assert_eq!(alice.book.positions[0][0].kind, Kind::Call);
    assert_eq!(alice.book.positions[0][0].side, Side::Short);
    for c in 0..snapshot.chains.len() {
        let leaf = alice.chain_leaf(&snapshot, c).unwrap();
        assert_eq!(
            root_from_path(leaf, alice.idx, &alice.chain_openings[c].path),
            snapshot.chain_roots[c]
        );
    }
    assert_eq!(alice.chain_leaf(&snapshot, 3), None);
    assert_eq!(alice.venue_leaf(&snapshot, 3), None);
}

/// Applies `mutate` to Alice's file and expects an error at `field`.
fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
    let (snapshot, accounts) = built();
    let mut value: Value = serde_json::from_str(&write_account(&accounts[0], &snapshot)).unwrap();
    mutate(&mut value);
    let text = serde_json::to_string(&value).unwrap();
    let e = read_account(&text, FILE, &snapshot).expect_err(field);
    assert_eq!(e.file, FILE);
    assert_eq!(e.field, field, "{e}");
    assert!(e.to_string().starts_with(&format!("{FILE}: {field}: ")));
    e
}

fn remove(v: &mut Value, key: &str) {
    v.as_object_mut().unwrap().remove(key);
}

#[test]
fn refuses_bad_account_files() {
    refused(|v| v["format"] = json!("zkmargin.account/0"), "format");
    refused(|v| remove(v, "format"), "format");
    refused(|v| remove(v, "sk"), "sk");
    refused(|v| remove(v, "openings"), "openings");
    refused(|v| v["balance"] = json!("1"), "balance");
    refused(|v| v["name"] = json!("alice/../bob"), "name");
    refused(|v| v["idx"] = json!("0"), "idx");
    refused(|v| v["idx"] = json!(1 << 20), "idx");
    refused(|v| v["idx"] = json!(-1), "idx");
    // Another index, key or salt does not reach the roots.
    refused(|v| v["idx"] = json!(1), "openings.chains.ethereum");
    refused(
        |v| v["sk"] = json!(fp_to_hex(&Fp::from(1))),
        "openings.chains.ethereum",
    );
    refused(|v| v["sk"] = json!("0x1"), "sk");
    let e = refused(|v| v["epoch"] = json!(4811), "epoch");
    assert!(e.reason.contains("belongs to another snapshot"), "{e}");
    let e = refused(
        |v| v["snapshot_digest"] = json!("ab".repeat(32)),
        "snapshot_digest",
    );
    assert!(e.reason.contains("belongs to another snapshot"), "{e}");
    refused(
        |v| v["snapshot_digest"] = json!("AB".repeat(32)),
        "snapshot_digest",
    );
    refused(|v| v["profile"] = json!("tiny"), "profile");
    refused(|v| v["profile"] = json!("large"), "profile");
    refused(
        |v| v["collateral"]["ethereum"]["USDC"] = json!("-5000"),
        "collateral.ethereum.USDC",
    );
    refused(
        |v| v["collateral"]["ethereum"]["USDC"] = json!("5000.0000000001"),
        "collateral.ethereum.USDC",
    );
    refused(|v| v["collateral"]["base"] = json!({}), "collateral.base");
    refused(
        |v| v["collateral"]["ethereum"]["DOGE"] = json!("1"),
        "collateral.ethereum.DOGE",
    );
    // A changed amount no longer matches the committed leaf.
    refused(
        |v| v["collateral"]["ethereum"]["USDC"] = json!("5001"),
        "openings.chains.ethereum",
    );
    refused(
        |v| v["positions"]["deribit"][0]["size"] = json!("-0.5"),
        "openings.venues.deribit",
    );
    refused(
        |v| remove(&mut v["positions"], "okx"),
        "openings.venues.okx.present",
    );
    refused(
        |v| v["positions"]["deribit"][0]["strike"] = json!("2814749.76710656"),
        "positions.deribit[0].strike",
    );
    refused(
        |v| v["positions"]["deribit"][0]["expiry"] = json!(1_767_225_000),
        "positions.deribit[0].expiry",
    );
    refused(
        |v| v["positions"]["deribit"][0]["expiry"] = json!(1_767_225_600u64 + 31_536_001),
        "positions.deribit[0].expiry",
    );
    refused(
        |v| v["positions"]["okx"][0]["underlying"] = json!("DOGE"),
        "positions.okx[0].underlying",
    );
    refused(
        |v| {
            let p = v["positions"]["okx"][0].clone();
            v["positions"]["okx"] = Value::Array(vec![p; 9]);
        },
        "positions.okx",
    );
    refused(
        |v| remove(&mut v["openings"]["chains"], "solana"),
        "openings.chains.solana",
    );
    refused(
        |v| v["openings"]["venues"]["binance"] = v["openings"]["venues"]["okx"].clone(),
        "openings.venues.binance",
    );
    refused(
        |v| {
            v["openings"]["chains"]["solana"]["path"]
                .as_array_mut()
                .unwrap()
                .pop();
        },
        "openings.chains.solana.path",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["path"][3] = json!("0x12"),
        "openings.chains.solana.path[3]",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["path"][3] = json!(fp_to_hex(&Fp::from(3))),
        "openings.chains.solana",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["salt"] = json!(fp_to_hex(&Fp::from(3))),
        "openings.chains.solana",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["present"] = json!(false),
        "openings.chains.solana.present",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["present"] = json!("yes"),
        "openings.chains.solana.present",
    );
    refused(
        |v| v["openings"]["chains"]["solana"]["extra"] = json!(1),
        "openings.chains.solana.extra",
    );
}

#[test]
fn refuses_truncated_and_foreign_files() {
    let (snapshot, accounts) = built();
    let text = write_account(&accounts[0], &snapshot);
    for cut in [0, 1, text.len() / 3, text.len() - 3] {
        let e = read_account(&text[..cut], FILE, &snapshot).unwrap_err();
        assert_eq!(e.file, FILE);
        assert!(e.field.starts_with("line "), "{e}");
    }
    let dup = text.replacen("\"idx\": 0,", "\"idx\": 0, \"idx\": 1,", 1);
    assert_ne!(dup, text);
    let e = read_account(&dup, FILE, &snapshot).unwrap_err();
    assert_eq!(e.to_string(), "alice.json: idx: duplicate key");
    let dup = text.replacen(
        "\"BTC\": \"0.25\",",
        "\"BTC\": \"0.25\", \"BTC\": \"9\",",
        1,
    );
    assert_ne!(dup, text);
    let e = read_account(&dup, FILE, &snapshot).unwrap_err();
    assert_eq!(e.field, "collateral.ethereum.BTC");
    // The same network built again is another snapshot: its account files do not fit.
    let network = read_network(
        include_str!("../../examples/network.json"),
        "examples/network.json",
    )
    .unwrap();
    let (other, _) = build(&network, None, &mut StdRng::seed_from_u64(8)).unwrap();
    let e = read_account(&text, FILE, &other).unwrap_err();
    assert_eq!(e.field, "snapshot_digest");
}

#[test]
fn writes_private_files() {
    let (snapshot, accounts) = built();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.json");
    write_account_file(&path, &accounts[0], &snapshot).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(read_account(&text, FILE, &snapshot).unwrap(), accounts[0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
