//! `zkmargin charge`: the charge of one order against a credit line, to the uusd of DESIGN.md's
//! formula (hand-computed below), and its input errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

use common::{alice, epoch_window, p, zkmargin, Run};

/// The small test network's snapshot (BTC at 100000, ETH at 3000.5; perp rates BTC 1% at
/// `cex`, ETH 1.5% at `dex`; option rates BTC 7.5%, ETH 9%; a first bucket of 7 days with ETH
/// tau 2.5%), built once.
fn snapshot() -> &'static (PathBuf, u64) {
    static SNAPSHOT: OnceLock<(PathBuf, u64)> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("charge-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (valid_from, valid_until) = epoch_window();
        let network = dir.join("network.json");
        let accounts = json!([alice(valid_from)]);
        common::write_json(
            &network,
            &common::network_json(5, valid_from, valid_until, accounts),
        );
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

#[test]
fn perps_pay_margin_at_the_level_and_the_cash_past_the_snapshot_price() {
    let long_btc = r#"{"kind": "perp", "underlying": "BTC", "size": "0.5"}"#;
    // mm = ceil(0.5e9 * 100000e8 * 10000 / 1e17) = 500e6; at 1.5x: 750e6. Bought 100 USD above
    // P: ceil(0.5e9 * 100e8 / 1e11) = 50e6.
    assert_eq!(
        figures("cex", long_btc, &["--fill", "100100", "--level", "1.5"]),
        (800_000_000, 500_000_000, 50_000_000)
    );
    // Bought below P: no cash out; without --fill, at P: none either.
    assert_eq!(
        figures("cex", long_btc, &["--fill", "99000", "--level", "1.5"]),
        (750_000_000, 500_000_000, 0)
    );
    assert_eq!(
        figures("cex", long_btc, &["--level", "1.5"]),
        (750_000_000, 500_000_000, 0)
    );
    let short_eth = r#"{"kind": "perp", "underlying": "ETH", "size": "-1"}"#;
    // mm = ceil(1e9 * 3000.5e8 * 15000 / 1e17) = 45007500. Sold 0.5 USD below P: 500000.
    assert_eq!(
        figures("dex", short_eth, &["--fill", "3000"]),
        (45_507_500, 45_007_500, 500_000)
    );
    // Sold above P: nothing paid.
    assert_eq!(
        figures("dex", short_eth, &["--fill", "3100"]),
        (45_007_500, 45_007_500, 0)
    );
}

#[test]
fn options_long_pay_the_premium_and_short_pay_margin() {
    let (_, valid_from) = snapshot();
    let expiry = valid_from + 3 * 86_400;
    let long_call = format!(
        r#"{{"kind": "call", "underlying": "BTC", "size": "2", "strike": "110000", "expiry": {expiry}}}"#
    );
    // Premium 2 x 1500.25 USD; a long option has no margin, at any level.
    assert_eq!(
        figures("cex", &long_call, &["--fill", "1500.25", "--level", "2"]),
        (3_000_500_000, 0, 3_000_500_000)
    );
    // Without --fill a call is charged its underlying's price as premium (an upper bound).
    assert_eq!(
        figures("cex", &long_call, &[]),
        (200_000_000_000, 0, 200_000_000_000)
    );
    // A put without --fill: its strike.
    let long_put = format!(
        r#"{{"kind": "put", "underlying": "ETH", "size": "1", "strike": "2800", "expiry": {expiry}}}"#
    );
    assert_eq!(
        figures("dex", &long_put, &[]),
        (2_800_000_000, 0, 2_800_000_000)
    );
    // Short 3 ETH calls struck at 3200, out of the money, in the 7-day bucket: mm =
    // ceil(3e9 * (90000 + 25000) * 3000.5e8 / 1e17) = 1035172500; at 1.25x 1293965625; the
    // premium received is no credit.
    let short_call = format!(
        r#"{{"kind": "call", "underlying": "ETH", "size": "-3", "strike": "3200", "expiry": {expiry}}}"#
    );
    assert_eq!(
        figures("dex", &short_call, &["--fill", "50", "--level", "1.25"]),
        (1_293_965_625, 1_035_172_500, 0)
    );
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
        "margin    750.000000 USD",
        "cash out  50.000000 USD",
        "charge    800.000000 USD",
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
