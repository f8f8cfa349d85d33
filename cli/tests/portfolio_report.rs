//! `zkmargin check` reports the portfolio margin of the reference engine: per underlying the
//! worst scenario, the scan loss, the short-option minimum, the contingency, the standard
//! margin beside it (what netting saved) and the options' marks in equity, on the bundled
//! example network (`examples/network.json`, built once).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;
use zkmargin_circuits::portfolio::SCENARIO_GRID;

use common::{build_example, check_book, check_matches_engine, p};

/// The example network, built once.
fn net() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_example("network.json", "portfolio-report-fixture"))
}

fn snapshot() -> PathBuf {
    net().join("snapshot.json")
}

fn account(name: &str) -> PathBuf {
    net().join("accounts").join(format!("{name}.json"))
}

#[test]
fn check_json_is_the_engines_portfolio_margin() {
    for name in ["alice", "bob", "carol"] {
        check_matches_engine(&snapshot(), &account(name), None, "1");
    }
    // Alice netted: options and perpetuals on three underlyings, at three venues.
    let (value, report) = check_matches_engine(&snapshot(), &account("alice"), None, "1");
    assert!(
        report.mm < report.standard_mm,
        "netting saves on alice's book"
    );
    assert!(report.option_value > 0 && report.option_liability > 0);
    assert_eq!(value["portfolio"].as_object().unwrap().len(), 3);
    // A hedging order lowers the portfolio margin (order_mm_uusd < 0) though its standard
    // margin is positive; a naked one raises it.
    let hedge = r#"{"kind": "perp", "underlying": "BTC", "size": "-0.5"}"#;
    let (value, _) = check_matches_engine(
        &snapshot(),
        &account("alice"),
        Some(("deribit", hedge)),
        "1.5",
    );
    assert!(value["order_mm_uusd"].as_str().unwrap().starts_with('-'));
    assert!(value["order_standard_mm_uusd"].as_str().unwrap() != "0");
    let naked = r#"{"kind": "call", "underlying": "ETH", "size": "-1", "strike": "3600", "expiry": 1769817600}"#;
    let (value, _) =
        check_matches_engine(&snapshot(), &account("alice"), Some(("okx", naked)), "1");
    assert!(!value["order_mm_uusd"].as_str().unwrap().starts_with('-'));
}

#[test]
fn check_text_shows_the_portfolio_beside_the_standard_margin() {
    let (_, report) = check_matches_engine(&snapshot(), &account("alice"), None, "1");
    let run = check_book(&snapshot(), &account("alice"), &[]);
    run.ok();
    let usd = |uusd: u128| format!("{}.{:06}", uusd / 1_000_000, uusd % 1_000_000);
    for needle in [
        "Portfolio margin per underlying".to_string(),
        "worst scenario".into(),
        "short-option min".into(),
        "contingency".into(),
        format!("netting saves {} USD", usd(report.standard_mm - report.mm)),
        "+ long options at their mark (haircut)".into(),
        "- short options at their mark".into(),
    ] {
        assert!(run.stdout.contains(&needle), "{needle}\n{}", run.show());
    }
    let line = |head: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(head))
            .unwrap_or_else(|| panic!("{head}\n{}", run.show()))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("maintenance margin (portfolio)"),
        format!("maintenance margin (portfolio) {}", usd(report.mm))
    );
    assert_eq!(
        line("standard margin (per position)"),
        format!(
            "standard margin (per position) {} netting saves {}",
            usd(report.standard_mm),
            usd(report.standard_mm - report.mm)
        )
    );
    for m in report.portfolio.iter().filter(|m| m.exposed) {
        let label = zkmargin_circuits::portfolio::SCENARIO_GRID[m.worst_scenario].label();
        let worst = format!("{label} (#{})", m.worst_scenario);
        assert!(run.stdout.contains(&worst), "{worst}\n{}", run.show());
        assert!(run.stdout.contains(&usd(m.scan)), "{}", run.show());
    }
    // Carol's naked short options: the scenarios find more than the per-position rates, and
    // the report says so instead of a negative saving.
    let (_, report) = check_matches_engine(&snapshot(), &account("carol"), None, "1");
    assert!(report.mm > report.standard_mm, "carol's book is not hedged");
    let run = check_book(&snapshot(), &account("carol"), &[]);
    let more = format!(
        "the portfolio margin is {} more",
        usd(report.mm - report.standard_mm)
    );
    assert!(run.stdout.contains(&more), "{more}\n{}", run.show());
    assert!(!run.stdout.contains("saves -"), "{}", run.show());
}

#[test]
fn check_plot_draws_the_books_pnl_in_every_scenario_per_underlying() {
    let (value, _) = check_matches_engine(&snapshot(), &account("alice"), None, "1");
    let dir = common::scratch();
    let svg_path = dir.path().join("alice.svg");
    let run = check_book(&snapshot(), &account("alice"), &["--plot", p(&svg_path)]);
    run.ok();
    assert!(run.stdout.contains("P&L by scenario"), "{}", run.show());
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let usd = |uusd: u128| format!("{}.{:06}", uusd / 1_000_000, uusd % 1_000_000);
    // One panel per underlying of the JSON report (which is the engine's).
    let portfolio = value["portfolio"].as_object().unwrap();
    let figure = |u: &Value, key: &str| usd(u[key].as_str().unwrap().parse().unwrap());
    for (symbol, u) in portfolio {
        let caption = format!(
            "{symbol}: worst {}, scan loss {} USD, portfolio margin {} USD",
            u["worst_scenario"]["label"].as_str().unwrap(),
            figure(u, "scan_uusd"),
            figure(u, "mm_uusd")
        );
        assert!(svg.contains(&caption), "{caption}");
    }
    for scenario in SCENARIO_GRID {
        let label = scenario.label();
        assert!(svg.lines().any(|l| l.trim() == label), "{label}");
    }
    // As a PNG: the move curves (a 300-pixel panel per exposed asset under a 60-pixel title)
    // above the scenario bars (a 570-pixel panel per underlying under another title).
    let moves = svg.matches("move of ").count() as u32;
    let png_path = dir.path().join("alice.png");
    check_book(&snapshot(), &account("alice"), &["--plot", p(&png_path)]).ok();
    let png = common::Png::read(&png_path);
    let bars = portfolio.len() as u32;
    assert_eq!(bars, 3);
    assert_eq!(
        (png.width, png.height),
        (900, 60 + 300 * moves + 60 + 570 * bars)
    );
    assert!(png.colours() > 20);
}
