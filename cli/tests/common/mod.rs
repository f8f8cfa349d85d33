//! The harness the binary's end-to-end tests share (`cli.rs`, `parties.rs`, `audit.rs`): run
//! `zkmargin` with the test parameter cache, check its exit code and its one-line errors, and
//! the test network's epoch and public parameters.
//!
//! Each test file uses part of it; the rest is dead code there.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// The workspace's `target/`, where the parameter cache and the fixtures live.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp has a parent")
        .to_path_buf()
}

/// The parameter cache: `$ZKMARGIN_CACHE` when set (CI shares one with the other crates),
/// else `target/zkmargin-test-cache`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("ZKMARGIN_CACHE").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => target_dir().join("zkmargin-test-cache"),
    }
}

/// A scratch directory under `target/tmp`, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cli-test-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("scratch directory")
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `zkmargin ARGS` with the test cache and without progress lines.
pub fn zkmargin<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_zkmargin"))
        .args(args)
        .env("ZKMARGIN_CACHE", cache_dir())
        .env("ZKMARGIN_QUIET", "1")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `zkmargin verify --json` of `DIR/certificate.zkm` with `grant` at `venue`.
pub fn verify_certificate(snapshot: &Path, dir: &Path, grant: &Path, venue: &str) -> Run {
    zkmargin(&[
        "verify",
        "--snapshot",
        p(snapshot),
        "--certificate",
        p(&dir.join("certificate.zkm")),
        "--grant",
        p(grant),
        "--venue",
        venue,
        "--json",
    ])
}

/// The one JSON object a `--json` run printed.
pub fn verdict(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("one JSON object: {}", run.show()))
}

/// Runs `zkmargin check --snapshot SNAPSHOT --account ACCOUNT EXTRA...`.
pub fn check_book(snapshot: &Path, account: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--snapshot", p(snapshot), "--account", p(account)];
    args.extend_from_slice(extra);
    zkmargin(&args)
}

impl Run {
    pub fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }

    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{}", self.show());
        assert!(!self.stderr.contains("panicked"), "{}", self.show());
        self
    }

    /// Exit 1, nothing on stdout, and exactly one line on stderr that starts with
    /// `zkmargin: <file>: <field>` (field a prefix, e.g. `line ` for a syntax error).
    pub fn expect_bad_input(&self, file: &str, field: &str) -> &Self {
        self.expect_code(1);
        assert_eq!(self.stdout, "", "{}", self.show());
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(!line.contains('\n'), "not one line: {}", self.show());
        let prefix = format!("zkmargin: {file}: {field}");
        assert!(
            line.starts_with(&prefix),
            "expected {prefix:?}...\n{}",
            self.show()
        );
        self
    }

    /// Exit 3 with `REJECTED: <reason>`, the reason containing `why`.
    pub fn expect_rejected(&self, why: &str) -> &Self {
        self.expect_code(3);
        assert!(
            self.stdout.starts_with("REJECTED: ") && self.stdout.contains(why),
            "expected a rejection for {why:?}\n{}",
            self.show()
        );
        assert!(!self.stdout.contains("VALID\n"), "{}", self.show());
        self
    }
}

/// The epoch of a test network: it started an hour ago (rounded to the hour) and lasts 30
/// days, so that verifying "now" (no `--at`) is inside it.
pub fn epoch_window() -> (u64, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid_from = now / 3_600 * 3_600 - 3_600;
    (valid_from, valid_from + 30 * 86_400)
}

/// The order of the tests' shared proofs, at `dex`.
pub const ORDER: &str = r#"{"kind": "perp", "underlying": "ETH", "size": "-1"}"#;

/// A small-profile network (3 assets, chains `ethereum` and `arbitrum`, venues `cex` and
/// `dex`) with the given epoch and accounts.
pub fn network_json(epoch: u64, valid_from: u64, valid_until: u64, accounts: Value) -> Value {
    let day = 86_400;
    json!({
        "format": "zkmargin.network/1",
        "epoch": epoch,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "assets": [
            {"symbol": "BTC", "price": "100000"},
            {"symbol": "ETH", "price": "3000.5"},
            {"symbol": "USDC", "price": "1"}
        ],
        "chains": [{"id": 1, "name": "ethereum"}, {"id": 42161, "name": "arbitrum"}],
        "venues": [{"id": 7, "name": "cex"}, {"id": 9, "name": "dex"}],
        "haircuts_ppm": {
            "BTC": {"ethereum": 30000, "arbitrum": 45000},
            "ETH": {"ethereum": 25000, "arbitrum": 35000},
            "USDC": {"ethereum": 10000, "arbitrum": 12000}
        },
        "perp_mmr_ppm": {
            "cex": {"BTC": 10000, "ETH": 12500, "USDC": 0},
            "dex": {"BTC": 12500, "ETH": 15000, "USDC": 0}
        },
        "option_rate_ppm": {"BTC": 75000, "ETH": 90000, "USDC": 0},
        "expiry_buckets": [
            {"max_seconds": 7 * day, "tau_ppm": {"BTC": 20000, "ETH": 25000, "USDC": 0}},
            {"max_seconds": 365 * day, "tau_ppm": {"BTC": 120000, "ETH": 140000, "USDC": 0}}
        ],
        "upnl_haircut_ppm": 100000,
        "portfolio": {
            "BTC": {"vol_ppm": 550000, "vol_up_ppm": 500000, "vol_down_ppm": 250000,
                    "som_ppm": 5000, "contingency_ppm": 1000, "scan_ppm": 100000},
            "ETH": {"vol_ppm": 700000, "vol_up_ppm": 500000, "vol_down_ppm": 250000,
                    "som_ppm": 6000, "contingency_ppm": 1500, "scan_ppm": 120000},
            "USDC": {"vol_ppm": 20000, "vol_up_ppm": 500000, "vol_down_ppm": 250000,
                     "som_ppm": 0, "contingency_ppm": 0, "scan_ppm": 10000}
        },
        "accounts": accounts
    })
}

/// Alice's book in both test networks: collateral on both chains, a perp and a short call at
/// `cex`, a short perp and a long put at `dex`; solvent with `ORDER` at level 1.5.
pub fn alice(valid_from: u64) -> Value {
    let day = 86_400;
    json!({"name": "alice",
    "collateral": {"ethereum": {"USDC": "50000", "BTC": "0.5"},
                   "arbitrum": {"ETH": "10"}},
    "positions": {
       "cex": [
           {"kind": "perp", "underlying": "BTC", "size": "1", "entry": "95000"},
           {"kind": "call", "underlying": "BTC", "size": "-1", "strike": "110000",
            "expiry": valid_from + 3 * day}
       ],
       "dex": [
           {"kind": "perp", "underlying": "ETH", "size": "-5", "entry": "2900"},
           {"kind": "put", "underlying": "ETH", "size": "2", "strike": "2800",
            "expiry": valid_from + 60 * day}
       ]}})
}

/// A PNG picture the binary drew, decoded: width, height and its RGB bytes.
pub struct Png {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Png {
    /// Reads and decodes `path`, which must start with the PNG signature and be 8-bit RGB.
    pub fn read(path: &Path) -> Png {
        let bytes = std::fs::read(path).expect("the png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
        let mut reader = png::Decoder::new(bytes.as_slice())
            .read_info()
            .expect("a PNG header");
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).expect("a PNG image");
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Rgb, png::BitDepth::Eight)
        );
        rgb.truncate(info.buffer_size());
        Png {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    /// Pixels of rows `top..bottom` darker than mid-grey in every channel: text, as the
    /// pictures draw it in black (a title band has nothing else in it).
    pub fn dark_pixels(&self, top: u32, bottom: u32) -> usize {
        let row = self.width as usize * 3;
        self.rgb[top as usize * row..bottom as usize * row]
            .chunks(3)
            .filter(|p| p.iter().all(|&c| c < 128))
            .count()
    }

    /// How many different colours the picture has: a few for flat boxes and lines, hundreds
    /// once anti-aliased text is drawn over them.
    pub fn colours(&self) -> usize {
        let colours: std::collections::HashSet<&[u8]> = self.rgb.chunks(3).collect();
        colours.len()
    }
}

/// `check --json EXTRA...` of `account` against the reference engine (`margin::evaluate`),
/// figure by figure: the totals, the standard margin, the options in equity and, per exposed
/// underlying, the worst scenario, scan loss, minimum, contingency, margin and every
/// scenario's loss; the exit code is the engine's verdict. Returns the JSON and the report.
pub fn check_matches_engine(
    snapshot: &Path,
    account: &Path,
    order: Option<(&str, &str)>,
    level: &str,
) -> (Value, zkmargin_circuits::margin::Report) {
    use zkmargin_circuits::margin::{evaluate, Order};
    use zkmargin_circuits::portfolio::SCENARIO_GRID;

    let mut extra = vec!["--json", "--level", level];
    if let Some((venue, order)) = order {
        extra.extend_from_slice(&["--venue", venue, "--order", order]);
    }
    let run = check_book(snapshot, account, &extra);
    let value: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", run.show()));
    let s =
        zkmargin_formats::snapshot::read_snapshot(&std::fs::read_to_string(snapshot).unwrap(), "s")
            .unwrap();
    let a = zkmargin_formats::account::read_account(
        &std::fs::read_to_string(account).unwrap(),
        "a",
        &s,
    )
    .unwrap();
    let order = order.map(|(venue, text)| Order {
        venue: s.venue_index(venue).unwrap(),
        position: zkmargin_formats::position::parse_order(text, &s, "order").unwrap(),
    });
    let level_ppm = zkmargin_formats::decimal::parse_scaled(level, 6).unwrap() as u64;
    let params = s.risk_params();
    let report = evaluate(&params, &a.book, order.as_ref(), level_ppm).unwrap();
    let book = evaluate(&params, &a.book, None, level_ppm).unwrap();
    run.expect_code(if report.solvent { 0 } else { 2 });
    let expected = [
        ("collateral_uusd", report.collateral.to_string()),
        ("upnl_credit_uusd", report.upnl_credit.to_string()),
        ("upnl_debit_uusd", report.upnl_debit.to_string()),
        ("option_value_uusd", report.option_value.to_string()),
        ("option_liability_uusd", report.option_liability.to_string()),
        ("equity_uusd", report.equity.to_string()),
        ("mm_uusd", report.mm.to_string()),
        ("standard_mm_uusd", report.standard_mm.to_string()),
        ("requirement_uusd", report.requirement.to_string()),
        ("headroom_uusd", report.headroom.to_string()),
        (
            "order_mm_uusd",
            (report.mm as i128 - book.mm as i128).to_string(),
        ),
        ("order_standard_mm_uusd", report.order.mm.to_string()),
    ];
    for (key, want) in expected {
        assert_eq!(value[key].as_str(), Some(want.as_str()), "{key}");
    }
    assert_eq!(value["solvent"], Value::Bool(report.solvent));
    for (v, venue) in report.venues.iter().enumerate() {
        let json = &value["venues"][v];
        assert_eq!(json["standard_mm_uusd"], Value::from(venue.mm.to_string()));
        assert_eq!(
            json["option_value_uusd"],
            Value::from(venue.option_value.to_string())
        );
        assert_eq!(
            json["option_liability_uusd"],
            Value::from(venue.option_liability.to_string())
        );
    }
    let portfolio = value["portfolio"]
        .as_object()
        .expect("portfolio: an object");
    let exposed: Vec<_> = report
        .portfolio
        .iter()
        .enumerate()
        .filter(|(_, m)| m.exposed)
        .collect();
    assert_eq!(
        portfolio.len(),
        exposed.len(),
        "one entry per exposed underlying"
    );
    for (asset, m) in exposed {
        let json = &portfolio[&s.assets[asset].symbol];
        assert_eq!(
            json["worst_scenario"]["index"],
            Value::from(m.worst_scenario)
        );
        assert_eq!(
            json["worst_scenario"]["label"],
            Value::from(SCENARIO_GRID[m.worst_scenario].label())
        );
        for (key, want) in [
            ("scan_uusd", m.scan),
            ("som_uusd", m.som),
            ("contingency_uusd", m.contingency),
            ("mm_uusd", m.mm),
        ] {
            assert_eq!(json[key], Value::from(want.to_string()), "{key}");
        }
        let losses: Vec<String> = m.losses.iter().map(|t| t.ceil_uusd().to_string()).collect();
        assert_eq!(json["scenario_losses_uusd"], serde_json::json!(losses));
    }
    // The standard margin per underlying adds up to the book's.
    let standard: u128 = portfolio
        .values()
        .map(|u| {
            u["standard_mm_uusd"]
                .as_str()
                .unwrap()
                .parse::<u128>()
                .unwrap()
        })
        .sum();
    assert_eq!(standard, report.standard_mm);
    (value, report)
}

/// Builds `examples/<file>` (a network.json) into `target/tmp/<fixture>` afresh and returns
/// that directory (`snapshot.json`, `accounts/<name>.json`). A test file calls it once, from
/// its own `OnceLock`.
pub fn build_example(file: &str, fixture: &str) -> PathBuf {
    let network = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(file);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(fixture);
    let _ = std::fs::remove_dir_all(&dir);
    zkmargin(&["network", "build", p(&network), "--out", p(&dir)]).ok();
    dir
}
