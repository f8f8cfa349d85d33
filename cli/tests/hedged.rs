//! The hedged example books (`examples/hedged.network.json`, small profile, built once): a
//! cross-venue basis trade, a covered call and a call spread split across the two venues, a
//! delta-hedged short straddle, and a naked short call for comparison. Each book's `check
//! --json` is the engine's to the uusd; every hedged book's portfolio margin is at most 0.35
//! of its standard margin; and the basis book certifies exactly its headroom across both
//! venues, one uusd more exiting 2 and writing nothing.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

use common::{build_example, check_matches_engine, p, verdict, zkmargin};

const NETWORK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/hedged.network.json"
);

/// The hedged books, and the most a hedged book's portfolio margin may be of its standard one.
const HEDGED: [&str; 4] = ["basis", "covered_call", "call_spread", "straddle"];
const MOST_PPM: u128 = 350_000;

/// The network, built once.
fn net() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_example("hedged.network.json", "hedged-fixture"))
}

fn snapshot() -> PathBuf {
    net().join("snapshot.json")
}

fn account(name: &str) -> PathBuf {
    net().join("accounts").join(format!("{name}.json"))
}

/// `mm / standard_mm` in ppm, rounded up, from `check --json` (checked against the engine).
fn ratio_ppm(name: &str) -> u128 {
    let (value, report) = check_matches_engine(&snapshot(), &account(name), None, "1");
    assert!(report.solvent, "{name} is solvent: {value}");
    assert!(report.standard_mm > 0, "{name} has margin to net");
    (report.mm * 1_000_000).div_ceil(report.standard_mm)
}

#[test]
fn hedged_books_need_at_most_035_of_their_standard_margin() {
    let text = std::fs::read_to_string(NETWORK).unwrap();
    let network: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = network["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [&HEDGED[..], &["naked"]].concat(),
        "every book tested"
    );
    assert_eq!(
        common::read_json(&snapshot())["profile"],
        json!("small"),
        "the small profile keeps the proof cheap"
    );
    for name in HEDGED {
        let ratio = ratio_ppm(name);
        assert!(
            ratio <= MOST_PPM,
            "{name}: portfolio margin is {ratio} ppm of standard"
        );
    }
    // The basis book loses in no scenario (the two perpetuals cancel): the report names none.
    let run = common::zkmargin(&[
        "check",
        "--snapshot",
        common::p(&snapshot()),
        "--account",
        common::p(&account("basis")),
    ]);
    run.ok();
    let row = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("BTC "))
        .unwrap();
    assert!(row.contains("none loses"), "{}", run.show());
    // The naked short call nets against nothing: well above the hedged books.
    let naked = ratio_ppm("naked");
    assert!(naked > MOST_PPM, "naked: {naked} ppm");
    // Each hedged book spans both venues: the netting is across venues.
    for name in HEDGED {
        let account = common::read_json(&account(name));
        let text = account.to_string();
        assert!(
            text.contains("deribit") && text.contains("hyperliquid"),
            "{name} holds positions at both venues"
        );
    }
}

/// The basis book's headroom at level 1, uusd.
fn basis_headroom() -> u128 {
    let (value, _) = check_matches_engine(&snapshot(), &account("basis"), None, "1");
    value["headroom_uusd"].as_str().unwrap().parse().unwrap()
}

fn certify(allows: &[String], out: &Path) -> common::Run {
    let mut args = vec![
        "certify".to_string(),
        "--snapshot".into(),
        p(&snapshot()).into(),
        "--account".into(),
        p(&account("basis")).into(),
        "--out".into(),
        p(out).into(),
    ];
    for allow in allows {
        args.extend(["--allow".to_string(), allow.clone()]);
    }
    zkmargin(&args)
}

fn usd(uusd: u128) -> String {
    format!("{}.{:06}", uusd / 1_000_000, uusd % 1_000_000)
}

#[test]
fn the_basis_book_certifies_its_exact_headroom_across_both_venues() {
    let headroom = basis_headroom();
    let at_deribit = 1_234_567_891;
    assert!(headroom > at_deribit, "{headroom}");
    let at_hyperliquid = headroom - at_deribit;

    // One uusd more than the headroom: exit 2, nothing written (checked before proving).
    let over = net().join("basis-over");
    let run = certify(
        &[
            format!("deribit={}", usd(at_deribit)),
            format!("hyperliquid={}", usd(at_hyperliquid + 1)),
        ],
        &over,
    );
    run.expect_code(2);
    assert!(
        run.stdout.contains("exceed the headroom by 0.000001 USD"),
        "{}",
        run.show()
    );
    assert!(!over.exists(), "nothing written");

    // Exactly the headroom: one certificate, a line at each venue, each verifying there.
    let out = net().join("basis-cert");
    certify(
        &[
            format!("deribit={}", usd(at_deribit)),
            format!("hyperliquid={}", usd(at_hyperliquid)),
        ],
        &out,
    )
    .ok();
    let valid_from = common::read_json(&snapshot())["valid_from"]
        .as_u64()
        .unwrap();
    for (venue, line) in [("deribit", at_deribit), ("hyperliquid", at_hyperliquid)] {
        let grant = out.join("grants").join(format!("{venue}.json"));
        // The example epoch is in the past: verify at its start.
        let run = zkmargin(&[
            "verify",
            "--snapshot",
            p(&snapshot()),
            "--certificate",
            p(&out.join("certificate.zkm")),
            "--grant",
            p(&grant),
            "--venue",
            venue,
            "--at",
            &valid_from.to_string(),
            "--json",
        ]);
        run.ok();
        let value = verdict(&run);
        assert_eq!(value["valid"], json!(true), "{}", run.show());
        assert_eq!(value["allowance_uusd"], json!(line.to_string()));
    }
}
