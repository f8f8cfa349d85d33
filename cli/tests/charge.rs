//! `zkmargin charge`: the charge of one order against a credit line, to the uusd of DESIGN.md's
//! formulas (perpetuals hand-computed below, options from the published risk-table row by the
//! formulas written out here, not by the engine), and its input errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

use common::{alice, epoch_window, p, zkmargin, Run};

/// BTC's and ETH's prices in the test network, USD e8.
const BTC_E8: i128 = 100_000 * 100_000_000;
const ETH_E8: i128 = 300_050_000_000;

/// The small test network's snapshot (BTC at 100000, ETH at 3000.5; scan ranges BTC 10%, ETH
/// 12%; short-option minimum BTC 0.5%, ETH 0.6%; contingency BTC 0.1%, ETH 0.15%), with two
/// 3-day ETH options listed besides alice's book, built once.
fn snapshot() -> &'static (PathBuf, u64) {
    static SNAPSHOT: OnceLock<(PathBuf, u64)> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("charge-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (valid_from, valid_until) = epoch_window();
        let network = dir.join("network.json");
        let accounts = json!([alice(valid_from)]);
        let mut net = common::network_json(5, valid_from, valid_until, accounts);
        let expiry = valid_from + 3 * 86_400;
        net["instruments"] = json!([
            {"kind": "call", "underlying": "ETH", "strike": "3200", "expiry": expiry,
             "iv_ppm": 700000},
            {"kind": "put", "underlying": "ETH", "strike": "2800", "expiry": expiry,
             "iv_ppm": 700000}
        ]);
        common::write_json(&network, &net);
        let out = dir.join("net");
        zkmargin(&["network", "build", p(&network), "--out", p(&out)]).ok();
        (out.join("snapshot.json"), valid_from)
    })
}

fn charge(venue: &str, order: &str, extra: &[&str]) -> Run {
    let (snapshot, _) = snapshot();
    let mut args = vec![
        "charge",
        "--snapshot",
        p(snapshot),
        "--venue",
        venue,
        "--order",
        order,
    ];
    args.extend_from_slice(extra);
    zkmargin(&args)
}

/// `charge --json`'s figures: (charge, mm, cash out).
fn figures(venue: &str, order: &str, extra: &[&str]) -> (u128, u128, u128) {
    let mut args = extra.to_vec();
    args.push("--json");
    let run = charge(venue, order, &args);
    run.ok();
    let value: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let field = |name: &str| -> u128 {
        value[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} is a string: {}", run.show()))
            .parse()
            .unwrap()
    };
    (
        field("charge_uusd"),
        field("mm_uusd"),
        field("cash_out_uusd"),
    )
}

fn ceil_div(a: i128, b: i128) -> i128 {
    assert!(a >= 0 && b > 0);
    (a + b - 1) / b
}

/// The published row of an option and its asset's rates, read from snapshot.json.
fn published(kind: &str, underlying: &str, strike: &str, expiry: u64) -> (Value, Value) {
    let (path, _) = snapshot();
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let row = snapshot["risk_table"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["kind"] == kind
                && r["underlying"] == underlying
                && r["strike"] == strike
                && r["expiry"] == expiry
        })
        .unwrap_or_else(|| panic!("{kind} {underlying} {strike} {expiry} is not in the table"))
        .clone();
    (row, snapshot["portfolio"][underlying].clone())
}

fn pusd(v: &Value) -> i128 {
    v.as_str().unwrap().parse().unwrap()
}

/// DESIGN's portfolio margin of `q` (signed, e9) units of one option alone at price `p_e8`:
/// `max(scan, som)` (no contingency: that is the perpetuals'), with `scan = max(0, max_s
/// ceil(-q v_s / 1e15))` and `som = ceil(som_ppm |q| P / 1e17)` for a short.
fn option_alone_mm(row: &Value, rates: &Value, q: i128, p_e8: i128) -> u128 {
    let scan = row["vector_pusd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| -q * pusd(v))
        .map(|t| {
            if t > 0 {
                ceil_div(t, 1_000_000_000_000_000)
            } else {
                0
            }
        })
        .max()
        .unwrap();
    let som_ppm: i128 = rates["som_ppm"].as_u64().unwrap().into();
    let som = if q < 0 {
        ceil_div(som_ppm * -q * p_e8, 100_000_000_000_000_000)
    } else {
        0
    };
    scan.max(som) as u128
}

/// `ceil(mm L / 1e6)`.
fn at_level(mm: u128, level_ppm: u128) -> u128 {
    (mm * level_ppm).div_ceil(1_000_000)
}

#[test]
fn perps_pay_margin_at_the_level_and_the_cash_past_the_snapshot_price() {
    let long_btc = r#"{"kind": "perp", "underlying": "BTC", "size": "0.5"}"#;
    // Alone, 0.5 BTC long loses most in the extreme fall: 35% of three scan ranges (3 x 10%) of
    // 50,000 USD, 5,250 USD; the contingency 0.1% of 50,000, 50 USD: mm 5,300 USD; at 1.5x
    // 7,950. Bought 100 USD above P: ceil(0.5e9 * 100e8 / 1e11) = 50e6.
    assert_eq!(
        figures("cex", long_btc, &["--fill", "100100", "--level", "1.5"]),
        (8_000_000_000, 5_300_000_000, 50_000_000)
    );
    // Bought below P: no cash out; without --fill, at P: none either.
    assert_eq!(
        figures("cex", long_btc, &["--fill", "99000", "--level", "1.5"]),
        (7_950_000_000, 5_300_000_000, 0)
    );
    assert_eq!(
        figures("cex", long_btc, &["--level", "1.5"]),
        (7_950_000_000, 5_300_000_000, 0)
    );
    let short_eth = r#"{"kind": "perp", "underlying": "ETH", "size": "-1"}"#;
    // 1 ETH short: the extreme rise, 35% of 3 x 12% of 3,000.5 USD = 378.063 USD, and the
    // contingency 0.15%, 4.50075 USD: 382.56375 USD. Sold 0.5 USD below P: 500000.
    assert_eq!(
        figures("dex", short_eth, &["--fill", "3000"]),
        (383_063_750, 382_563_750, 500_000)
    );
    // Sold above P: nothing paid.
    assert_eq!(
        figures("dex", short_eth, &["--fill", "3100"]),
        (382_563_750, 382_563_750, 0)
    );
    // Whichever venue takes it: the portfolio margin has no venue rates.
    assert_eq!(
        figures("cex", short_eth, &["--fill", "3100"]),
        (382_563_750, 382_563_750, 0)
    );
}

#[test]
fn options_pay_their_scenario_loss_and_premium() {
    let (_, valid_from) = snapshot();
    let far = valid_from + 3 * 86_400;
    let long_call = format!(
        r#"{{"kind": "call", "underlying": "BTC", "size": "2", "strike": "110000", "expiry": {far}}}"#
    );
    // A long call's worst scenario loses part of its mark; the premium 2 x 1500.25 USD is
    // paid as cash.
    let (row, rates) = published("call", "BTC", "110000", far);
    let mm = option_alone_mm(&row, &rates, 2_000_000_000, BTC_E8);
    assert!(mm > 0);
    assert_eq!(
        figures("cex", &long_call, &["--fill", "1500.25", "--level", "2"]),
        (at_level(mm, 2_000_000) + 3_000_500_000, mm, 3_000_500_000)
    );
    // Without --fill a call is charged its underlying's price as premium (an upper bound).
    assert_eq!(
        figures("cex", &long_call, &[]),
        (mm + 200_000_000_000, mm, 200_000_000_000)
    );
    // A put without --fill: its strike.
    let long_put = format!(
        r#"{{"kind": "put", "underlying": "ETH", "size": "1", "strike": "2800", "expiry": {far}}}"#
    );
    let (row, rates) = published("put", "ETH", "2800", far);
    let mm = option_alone_mm(&row, &rates, 1_000_000_000, ETH_E8);
    assert_eq!(
        figures("dex", &long_put, &[]),
        (mm + 2_800_000_000, mm, 2_800_000_000)
    );
    // Short 3 ETH calls struck at 3200: the larger of the scan loss and the short-option
    // minimum 0.6% of 3 x 3,000.5 USD (54.009 USD); at 1.25x. Sold at 50 USD: the cash out is
    // what the mark exceeds the fill by, ceil(3e9 * max(0, mark - 50e12) / 1e15).
    let short_call = format!(
        r#"{{"kind": "call", "underlying": "ETH", "size": "-3", "strike": "3200", "expiry": {far}}}"#
    );
    let (row, rates) = published("call", "ETH", "3200", far);
    let mm = option_alone_mm(&row, &rates, -3_000_000_000, ETH_E8);
    assert!(mm >= 54_009_000, "{mm}");
    let mark = pusd(&row["mark_pusd"]);
    let cash_out = ceil_div(
        3_000_000_000 * (mark - 50_000_000_000_000).max(0),
        1_000_000_000_000_000,
    ) as u128;
    assert_eq!(
        figures("dex", &short_call, &["--fill", "50", "--level", "1.25"]),
        (at_level(mm, 1_250_000) + cash_out, mm, cash_out)
    );
    // An option the table does not list is bad input, naming the flag.
    let unlisted = short_call.replace("3200", "3300");
    charge("dex", &unlisted, &[]).expect_bad_input("--order", "(top level)");
}

#[test]
fn the_text_report_names_each_part() {
    let run = charge(
        "cex",
        r#"{"kind": "perp", "underlying": "BTC", "size": "0.5"}"#,
        &["--fill", "100100", "--level", "1.5"],
    );
    run.ok();
    for line in [
        "margin    7950.000000 USD",
        "cash out  50.000000 USD",
        "charge    8000.000000 USD",
    ] {
        assert!(run.stdout.contains(line), "{line:?}\n{}", run.show());
    }
}

#[test]
fn bad_input_names_the_flag() {
    let perp = r#"{"kind": "perp", "underlying": "BTC", "size": "0.5"}"#;
    charge("cex", perp, &["--fill", "100.000000001"]).expect_bad_input("command line", "--fill");
    charge("cex", perp, &["--fill", "-1"]).expect_bad_input("command line", "--fill");
    charge("cex", perp, &["--fill", "3000000"]).expect_bad_input("command line", "--fill");
    charge("cex", perp, &["--level", "0.5"]).expect_bad_input("command line", "--level");
    charge("nowhere", perp, &[]).expect_bad_input("command line", "--venue");
    charge(
        "cex",
        r#"{"kind": "perp", "underlying": "DOGE", "size": "1"}"#,
        &[],
    )
    .expect_code(1);
    charge("cex", r#"{"kind": "perp", "underlying": "BTC"}"#, &[]).expect_code(1);
    let (_, valid_from) = snapshot();
    let expired = format!(
        r#"{{"kind": "call", "underlying": "BTC", "size": "-1", "strike": "1", "expiry": {}}}"#,
        valid_from - 1
    );
    charge("cex", &expired, &[]).expect_code(1);
}
