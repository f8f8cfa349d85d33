//! The portfolio inputs of `network.json` and `epoch.json`: read from the examples, written
//! back, and every bad field named.

use serde_json::{json, Value};
use zkmargin_circuits::margin::Kind;
use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_formats::epoch::{read_epoch, write_epoch};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::network::read_network;
use zkmargin_formats::portfolio::ListedInstrument;

const DESIGN_EXAMPLE: &str = include_str!("../../examples/design.network.json");
const EPOCH_EXAMPLE: &str = include_str!("../../examples/parties/epoch.json");

#[test]
fn reads_the_examples_and_round_trips() {
    let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
    let btc = &network.portfolio.assets[0];
    assert_eq!(
        (btc.vol_ppm, btc.vol_up_ppm, btc.vol_down_ppm),
        (550_000, 500_000, 250_000)
    );
    assert_eq!(
        (btc.som_ppm, btc.contingency_ppm, btc.scan_ppm),
        (5_000, 1_000, Some(100_000))
    );
    assert!(network.portfolio.instruments.is_empty());
    let epoch = read_epoch(EPOCH_EXAMPLE, "epoch.json").unwrap();
    let call = InstrumentKey {
        underlying: 0,
        kind: Kind::Call,
        expiry: 1_767_312_000,
        strike: 10_000_000_000_000,
    };
    assert_eq!(
        epoch.portfolio.instruments,
        vec![ListedInstrument {
            key: call,
            iv_ppm: 550_000
        }]
    );
    assert!(epoch.portfolio.lists(&call));
    assert!(epoch.portfolio.lists(&InstrumentKey::perp(1)));
    assert!(!epoch.portfolio.lists(&InstrumentKey {
        kind: Kind::Put,
        ..call
    }));
    // Writing is exact: the epoch reads back the same, scan_ppm left out when absent.
    assert_eq!(
        read_epoch(&write_epoch(&epoch), "e.json"),
        Ok(epoch.clone())
    );
    let mut open = epoch.clone();
    open.portfolio.assets[1].scan_ppm = None;
    open.portfolio.instruments.clear();
    let text = write_epoch(&open);
    assert!(!text.contains("instruments"));
    assert_eq!(read_epoch(&text, "e.json"), Ok(open));
}

/// Applies `mutate` to DESIGN.md's example network and expects an error at `field`.
fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
    let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
    mutate(&mut value);
    let e = read_network(&value.to_string(), "net.json").expect_err(field);
    assert_eq!(
        (e.file.as_str(), e.field.as_str()),
        ("net.json", field),
        "{e}"
    );
    assert!(!e.to_string().contains('\n'));
    e
}

fn option(strike: &str, expiry: u64) -> Value {
    json!({"kind": "put", "underlying": "BTC", "strike": strike, "expiry": expiry,
           "iv_ppm": 600_000})
}

#[test]
fn refuses_bad_portfolio_inputs() {
    refused(
        |v| {
            v.as_object_mut().unwrap().remove("portfolio");
        },
        "portfolio",
    );
    let e = refused(
        |v| {
            v["portfolio"].as_object_mut().unwrap().remove("USDC");
        },
        "portfolio.USDC",
    );
    assert!(e.reason.starts_with("missing"), "{e}");
    refused(
        |v| v["portfolio"]["SOL"] = v["portfolio"]["BTC"].clone(),
        "portfolio.SOL",
    );
    refused(
        |v| v["portfolio"]["BTC"]["beta"] = json!(1),
        "portfolio.BTC.beta",
    );
    let e = refused(
        |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(0),
        "portfolio.BTC.vol_ppm",
    );
    assert!(e.reason.contains("must be positive"), "{e}");
    refused(
        |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(-550_000),
        "portfolio.BTC.vol_ppm",
    );
    refused(
        |v| v["portfolio"]["BTC"]["vol_ppm"] = json!("0.55"),
        "portfolio.BTC.vol_ppm",
    );
    refused(
        |v| v["portfolio"]["BTC"]["vol_ppm"] = json!(10_000_001),
        "portfolio.BTC.vol_ppm",
    );
    let e = refused(
        |v| v["portfolio"]["BTC"]["vol_up_ppm"] = json!(1_000_001),
        "portfolio.BTC.vol_up_ppm",
    );
    assert!(e.reason.contains("a vol shock is at most 100%"), "{e}");
    refused(
        |v| v["portfolio"]["BTC"]["vol_down_ppm"] = json!(2_000_000),
        "portfolio.BTC.vol_down_ppm",
    );
    refused(
        |v| v["portfolio"]["BTC"]["vol_down_ppm"] = json!(-1),
        "portfolio.BTC.vol_down_ppm",
    );
    refused(
        |v| {
            v["portfolio"]["BTC"]
                .as_object_mut()
                .unwrap()
                .remove("contingency_ppm");
        },
        "portfolio.BTC.contingency_ppm",
    );
    refused(
        |v| v["portfolio"]["BTC"]["som_ppm"] = json!(1_000_001),
        "portfolio.BTC.som_ppm",
    );
    refused(
        |v| v["portfolio"]["BTC"]["scan_ppm"] = json!(1.5),
        "portfolio.BTC.scan_ppm",
    );

    refused(|v| v["instruments"] = json!({}), "instruments");
    let e = refused(
        |v| v["instruments"] = json!([option("90000", 1_767_225_599)]),
        "instruments[0].expiry",
    );
    assert!(e.reason.contains("before the epoch starts"), "{e}");
    let e = refused(
        |v| v["instruments"] = json!([option("90000", 1_767_225_600 + 31_536_001)]),
        "instruments[0].expiry",
    );
    assert!(e.reason.contains("beyond the last expiry bucket"), "{e}");
    let e = refused(
        |v| {
            v["instruments"] = json!([
                option("90000", 1_767_312_000),
                option("90000", 1_767_312_000)
            ])
        },
        "instruments[1]",
    );
    assert!(e.reason.contains("instruments[0] again"), "{e}");
    refused(
        |v| v["instruments"] = json!([option("0", 1_767_312_000)]),
        "instruments[0].strike",
    );
    refused(
        |v| v["instruments"] = json!([option("9.123456789", 1_767_312_000)]),
        "instruments[0].strike",
    );
    let mut perp = option("90000", 1_767_312_000);
    perp["kind"] = json!("perp");
    let e = refused(|v| v["instruments"] = json!([perp]), "instruments[0].kind");
    assert!(e.reason.contains("listed for every asset"), "{e}");
    let mut doge = option("90000", 1_767_312_000);
    doge["underlying"] = json!("DOGE");
    refused(
        |v| v["instruments"] = json!([doge]),
        "instruments[0].underlying",
    );
    let mut no_iv = option("90000", 1_767_312_000);
    no_iv.as_object_mut().unwrap().remove("iv_ppm");
    refused(
        |v| v["instruments"] = json!([no_iv]),
        "instruments[0].iv_ppm",
    );
    let mut zero_iv = option("90000", 1_767_312_000);
    zero_iv["iv_ppm"] = json!(0);
    refused(
        |v| v["instruments"] = json!([zero_iv]),
        "instruments[0].iv_ppm",
    );
    let e = refused(
        |v| v["instruments"] = Value::Array(vec![option("90000", 1_767_312_000); 4097]),
        "instruments",
    );
    assert!(
        e.reason
            .contains("no profile's risk table holds more than 4096"),
        "{e}"
    );
}

#[test]
fn an_epoch_lists_what_its_profile_tables() {
    let mut value: Value = serde_json::from_str(EPOCH_EXAMPLE).unwrap();
    // Small tables 256 rows: 2 perpetuals and 255 options are one too many.
    value["instruments"] = Value::Array(
        (1..=255)
            .map(|i| option(&format!("{}", 1000 * i), 1_767_312_000))
            .collect(),
    );
    let e = read_epoch(&value.to_string(), "epoch.json").unwrap_err();
    assert_eq!(e.field, "instruments");
    assert!(e.reason.contains("257 instruments"), "{e}");
    value["instruments"].as_array_mut().unwrap().pop();
    read_epoch(&value.to_string(), "epoch.json").unwrap();
}
