//! `zkmargin risk scenarios` on the bundled example network (`examples/network.json`, built
//! once): every figure is the snapshot's published row, the listing covers the whole table,
//! the pictures are drawn, and an instrument the table does not list is a one-line error
//! naming the flag (exit 1).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;
use zkmargin_circuits::portfolio::{InstrumentKey, SCENARIOS, SCENARIO_GRID};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::snapshot::read_snapshot;

use common::{build_example, p, zkmargin, Png, Run};

/// The example network's snapshot, built once.
fn snapshot_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_example("network.json", "scenarios-fixture").join("snapshot.json"))
}

fn snapshot() -> Snapshot {
    read_snapshot(&std::fs::read_to_string(snapshot_path()).unwrap(), "s").unwrap()
}

fn scenarios(extra: &[&str]) -> Run {
    let mut args = vec!["risk", "scenarios", "--snapshot", p(snapshot_path())];
    args.extend_from_slice(extra);
    zkmargin(&args)
}

/// The `--instrument` JSON of a row's key.
fn instrument(s: &Snapshot, key: &InstrumentKey) -> String {
    let symbol = &s.assets[key.underlying].symbol;
    let kind = format!("{:?}", key.kind).to_lowercase();
    if key.kind.is_option() {
        let strike = key.strike as f64 / 1e8;
        assert_eq!(
            strike.fract(),
            0.0,
            "the example's strikes are whole dollars"
        );
        format!(
            r#"{{"kind": "{kind}", "underlying": "{symbol}", "strike": "{strike}", "expiry": {}}}"#,
            key.expiry
        )
    } else {
        format!(r#"{{"kind": "{kind}", "underlying": "{symbol}"}}"#)
    }
}

#[test]
fn every_rows_json_is_the_published_row() {
    let s = snapshot();
    assert!(s.risk_table.rows.len() >= 5, "options and perpetuals");
    for (i, row) in s.risk_table.rows.iter().enumerate() {
        let run = scenarios(&["--instrument", &instrument(&s, &row.key), "--json"]);
        run.ok();
        let value: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(value["row"], Value::from(i), "{}", run.show());
        assert_eq!(value["mark_pusd"], Value::from(row.mark.to_string()));
        assert_eq!(
            value["scan_ppm"],
            Value::from(s.portfolio[row.key.underlying].scan_ppm)
        );
        let listed = value["scenarios"].as_array().unwrap();
        assert_eq!(listed.len(), SCENARIOS);
        for (sc, item) in listed.iter().enumerate() {
            assert_eq!(item["index"], Value::from(sc));
            assert_eq!(item["label"], Value::from(SCENARIO_GRID[sc].label()));
            assert_eq!(item["pnl_pusd"], Value::from(row.vector[sc].to_string()));
        }
        // The worst scenario is the first of the smallest P&L.
        let least = *row.vector.iter().min().unwrap();
        let worst = row.vector.iter().position(|&v| v == least).unwrap();
        assert_eq!(value["worst_scenario"]["index"], Value::from(worst));
        assert_eq!(
            value["worst_scenario"]["label"],
            Value::from(SCENARIO_GRID[worst].label())
        );
    }
}

#[test]
fn the_listing_covers_the_table_and_the_flags_name_an_instrument() {
    let s = snapshot();
    let run = scenarios(&["--json"]);
    run.ok();
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value.as_array().unwrap().len(), s.risk_table.rows.len());
    let text = scenarios(&[]);
    text.ok();
    assert!(
        text.stdout.contains(&format!(
            "{} instruments, one unit long each",
            s.risk_table.rows.len()
        )),
        "{}",
        text.show()
    );

    // The flags and the JSON object name the same row; the text shows its P&L exactly.
    let (i, row) = s
        .risk_table
        .rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.key.kind.is_option())
        .unwrap();
    let strike = (row.key.strike / 100_000_000).to_string();
    let expiry = row.key.expiry.to_string();
    let symbol = &s.assets[row.key.underlying].symbol;
    let kind = format!("{:?}", row.key.kind).to_lowercase();
    let flags = [
        "--kind",
        &kind,
        "--underlying",
        symbol,
        "--strike",
        &strike,
        "--expiry",
        &expiry,
    ];
    let by_flags = scenarios(&[&flags[..], &["--json"]].concat());
    by_flags.ok();
    let by_json = scenarios(&["--instrument", &instrument(&s, &row.key), "--json"]);
    assert_eq!(by_flags.stdout, by_json.stdout);
    let text = scenarios(&flags);
    text.ok();
    assert!(
        text.stdout.contains(&format!("(row {i} of ")),
        "{}",
        text.show()
    );
    let v = row.vector[3] as i128;
    let exact = format!(
        "{}{}.{:012}",
        if v < 0 { "-" } else { "" },
        v.abs() / 1_000_000_000_000,
        v.abs() % 1_000_000_000_000
    );
    assert!(text.stdout.contains(&exact), "{exact}\n{}", text.show());
    assert_eq!(
        text.stdout.matches("<- worst").count(),
        1,
        "{}",
        text.show()
    );
}

#[test]
fn the_scenarios_are_drawn() {
    let dir = common::scratch();
    let png = dir.path().join("perp.png");
    let run = scenarios(&["--kind", "perp", "--underlying", "BTC", "--plot", p(&png)]);
    run.ok();
    assert!(run.stdout.contains("wrote "), "{}", run.show());
    let picture = Png::read(&png);
    assert!(picture.width >= 800 && picture.height >= 500);
    assert!(picture.colours() > 20, "bars and text");
    let svg = dir.path().join("perp.svg");
    scenarios(&["--kind", "perp", "--underlying", "ETH", "--plot", p(&svg)]).ok();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("-3 (35%)"));
}

#[test]
fn an_unlisted_instrument_or_a_bad_flag_is_one_line_naming_it() {
    let s = snapshot();
    let row = s
        .risk_table
        .rows
        .iter()
        .find(|r| r.key.kind.is_option())
        .unwrap();
    let expiry = row.key.expiry.to_string();
    let btc_call = |strike: &str, expiry: &str| {
        scenarios(&[
            "--kind",
            "call",
            "--underlying",
            "BTC",
            "--strike",
            strike,
            "--expiry",
            expiry,
        ])
    };
    // A strike the publisher does not list.
    btc_call("1", &expiry)
        .expect_bad_input("command line", "--kind")
        .stderr
        .contains("not in the snapshot's risk table")
        .then_some(())
        .expect("says why");
    let unlisted =
        format!(r#"{{"kind": "put", "underlying": "BTC", "strike": "12345", "expiry": {expiry}}}"#);
    scenarios(&["--instrument", &unlisted]).expect_bad_input("command line", "--instrument");
    // The key's own errors name the field.
    scenarios(&[
        "--instrument",
        r#"{"kind": "call", "underlying": "BTC", "strike": "1"}"#,
    ])
    .expect_bad_input("--instrument", "expiry");
    scenarios(&[
        "--instrument",
        r#"{"kind": "perp", "underlying": "BTC", "size": "1"}"#,
    ])
    .expect_bad_input("--instrument", "size");
    scenarios(&["--instrument", "{"]).expect_bad_input("--instrument", "");
    scenarios(&["--kind", "perp", "--underlying", "XRP"])
        .expect_bad_input("command line", "--underlying");
    scenarios(&["--kind", "perp", "--underlying", "BTC", "--strike", "1"])
        .expect_bad_input("command line", "--strike");
    scenarios(&["--kind", "swap", "--underlying", "BTC"])
        .expect_bad_input("command line", "--kind");
    btc_call("1", "soon").expect_bad_input("command line", "--expiry");
    // Nothing to draw, or a picture of an unknown format.
    scenarios(&["--plot", "x.svg"]).expect_bad_input("command line", "--plot");
    scenarios(&["--kind", "perp", "--underlying", "BTC", "--plot", "x.gif"])
        .expect_bad_input("command line", "--plot");
    zkmargin(&[
        "risk",
        "scenarios",
        "--snapshot",
        "/nonexistent/snapshot.json",
    ])
    .expect_bad_input("/nonexistent/snapshot.json", "");
}
