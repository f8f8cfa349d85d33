//! The desk example network (`examples/desk.network.json`): an options market maker with 256
//! positions over four venues. `network build` picks the desk profile by itself, the book is
//! solvent with headroom, and a certificate with a line at each of the four venues verifies at
//! each venue with its own grant and at no other.
//!
//! One certificate of the desk profile (`k = 16`): the proof and the verifying keys of a few
//! `verify` runs take a minute or two in release on two cores, the first run longer while the
//! `k = 16` parameters are generated into the test cache.

mod common;

use std::path::Path;

use serde_json::json;

use common::{p, read_json, scratch, verdict, verify_certificate, zkmargin, Run};

const NETWORK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/desk.network.json");

/// The lines certified, USD, and the venue that takes the rest of the headroom.
const LINES: [(&str, u128); 3] = [("deribit", 250_000), ("okx", 100_000), ("bybit", 50_000)];
const REST: &str = "binance";

fn verify(snapshot: &Path, cert: &Path, grant_of: &str, venue: &str) -> Run {
    let grant = cert.join("grants").join(format!("{grant_of}.json"));
    verify_certificate(snapshot, cert, &grant, venue)
}

#[test]
fn the_desk_network_builds_in_the_desk_profile_certifies_and_verifies_at_four_venues() {
    let dir = scratch();
    let net = dir.path().join("net");
    zkmargin(&["network", "build", NETWORK, "--out", p(&net)]).ok();
    let snapshot = net.join("snapshot.json");
    assert_eq!(read_json(&snapshot)["profile"], json!("desk"));
    let account = net.join("accounts").join("desk.json");
    let book = read_json(&account)["positions"].clone();
    let per_venue: Vec<usize> = ["deribit", "okx", "bybit", "binance"]
        .iter()
        .map(|venue| book[*venue].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(per_venue, [64; 4], "the market maker's whole book");

    let check = zkmargin(&[
        "check",
        "--snapshot",
        p(&snapshot),
        "--account",
        p(&account),
        "--json",
    ]);
    check.ok();
    let report = verdict(&check);
    assert_eq!(report["solvent"], json!(true));
    let headroom: u128 = report["headroom_uusd"].as_str().unwrap().parse().unwrap();
    let named: u128 = LINES.iter().map(|(_, usd)| usd * 1_000_000).sum();
    assert!(headroom > named, "headroom {headroom} uusd");

    let cert = dir.path().join("cert");
    let mut args: Vec<String> = [
        "certify",
        "--snapshot",
        p(&snapshot),
        "--account",
        p(&account),
        "--out",
        p(&cert),
    ]
    .map(String::from)
    .to_vec();
    for (venue, usd) in LINES {
        args.extend(["--allow".into(), format!("{venue}={usd}")]);
    }
    args.extend(["--allow".into(), format!("{REST}=max")]);
    zkmargin(&args).ok();

    let mut expected: Vec<(&str, u128)> = LINES
        .iter()
        .map(|(venue, usd)| (*venue, usd * 1_000_000))
        .collect();
    expected.push((REST, headroom - named));
    for (venue, line) in expected {
        let run = verify(&snapshot, &cert, venue, venue);
        run.ok();
        let value = verdict(&run);
        assert_eq!(value["valid"], json!(true), "{venue}: {}", run.show());
        assert_eq!(value["allowance_uusd"], json!(line.to_string()), "{venue}");
        assert_eq!(value["epoch"], json!(4900));
    }
    // A venue takes only its own grant.
    let run = verify(&snapshot, &cert, "deribit", "okx");
    run.expect_code(3);
    assert_eq!(verdict(&run)["valid"], json!(false), "{}", run.show());
}
