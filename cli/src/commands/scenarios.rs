//! `zkmargin risk scenarios --snapshot S [--instrument JSON | --kind K --underlying U
//! [--strike USD --expiry UNIX]] [--json] [--plot FILE.svg|FILE.png]`
//!
//! An instrument's row of the publisher's risk table: its mark and its profit and loss in each
//! of the sixteen scenarios (`portfolio::SCENARIO_GRID`, labelled as `Scenario::label`: the
//! spot move in thirds of the asset's scan range, the vol shock, the cover), for one unit long.
//! The instrument is given as a JSON object in the risk table's words (`{"kind": "call",
//! "underlying": "BTC", "strike": "100000", "expiry": 1767312000}`) or by the same key words
//! as flags. Without an instrument, every row of the table is listed with its mark and worst
//! scenario (and nothing is drawn). `--json` prints `{"kind", "underlying", "strike"?, "expiry"?, "row", "scan_ppm",
//! "mark_pusd", "worst_scenario": {"index", "label"}, "scenarios": [{"index", "label",
//! "pnl_pusd"}]}` (or a list of them); `--plot` draws the bars. Every figure is the published
//! integer, in pUSD (1e-12 USD); an instrument the table does not list is bad input. Exit 0,
//! or 1 on bad input.

use std::path::PathBuf;

use clap::Args;
use zkmargin_circuits::portfolio::{InstrumentKey, RiskRow, SCENARIO_GRID};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::instrument::{instrument_key_entries, read_instrument_key};
use zkmargin_formats::json::{self, Json, ValueReader};
use zkmargin_formats::position::kind_word;

use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::load_snapshot;
use crate::output::{fixed, json_text, percent, price, print, table, utc};
use crate::plot::{picture_file, save, ScenarioBars, ScenarioPanel};

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// The snapshot whose risk table is read.
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The instrument, as a JSON object in the risk table's words: {"kind", "underlying",
    /// "strike"?, "expiry"?}.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["kind", "underlying", "strike", "expiry"])]
    pub instrument: Option<String>,
    /// The instrument's kind: perp, call or put.
    #[arg(long, requires = "underlying")]
    pub kind: Option<String>,
    /// The instrument's underlying asset (its symbol).
    #[arg(long, requires = "kind")]
    pub underlying: Option<String>,
    /// An option's strike, USD (a decimal).
    #[arg(long, value_name = "USD", requires = "kind")]
    pub strike: Option<String>,
    /// An option's expiry, unix seconds.
    #[arg(long, value_name = "UNIX", requires = "kind")]
    pub expiry: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also draw the profit and loss across the scenarios: SVG or PNG, as the extension says.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
}

/// The instrument the arguments name, if any: from `--instrument`, or from the key flags
/// (whose errors name the flag).
fn instrument_key(
    args: &ScenariosArgs,
    snapshot: &Snapshot,
) -> Result<Option<InstrumentKey>, CliError> {
    let symbols: Vec<&str> = snapshot.assets.iter().map(|a| a.symbol.as_str()).collect();
    if let Some(text) = &args.instrument {
        let value = json::parse(text, "--instrument")?;
        let at = ValueReader::root("--instrument", &value);
        return Ok(Some(read_instrument_key(&at.object()?, &symbols, &[])?));
    }
    let Some(kind) = &args.kind else {
        return Ok(None);
    };
    let mut entries = vec![("kind".to_string(), Json::str(kind))];
    if let Some(underlying) = &args.underlying {
        entries.push(("underlying".into(), Json::str(underlying)));
    }
    if let Some(strike) = &args.strike {
        entries.push(("strike".into(), Json::str(strike)));
    }
    if let Some(expiry) = &args.expiry {
        let seconds = expiry
            .parse::<u64>()
            .map_err(|_| CliError::flag("--expiry", format!("{expiry:?} is not unix seconds")))?;
        entries.push(("expiry".into(), Json::uint(seconds)));
    }
    let value = Json::Object(entries);
    let at = ValueReader::root("flags", &value);
    let obj = at.object()?;
    read_instrument_key(&obj, &symbols, &[])
        .map(Some)
        .map_err(|e| CliError::flag(&format!("--{}", e.field), e.reason))
}

/// An instrument in words: `BTC call, strike 100000, expires 2026-01-02 00:00:00 UTC`.
pub fn instrument_text(snapshot: &Snapshot, key: &InstrumentKey) -> String {
    let symbol = snapshot
        .assets
        .get(key.underlying)
        .map_or("?", |a| a.symbol.as_str());
    if key.kind.is_option() {
        format!(
            "{symbol} {}, strike {}, expires {}",
            kind_word(key.kind),
            price(key.strike),
            utc(key.expiry)
        )
    } else {
        format!("{symbol} {}", kind_word(key.kind))
    }
}

/// pUSD as USD, exactly (12 decimals).
pub fn pusd(value: i128) -> String {
    fixed(value, 12)
}

/// The scenario with the largest loss of one unit long (the first, on a tie).
fn worst(row: &RiskRow) -> usize {
    (0..row.vector.len())
        .min_by_key(|&s| row.vector[s])
        .unwrap_or(0)
}

fn row_json(snapshot: &Snapshot, index: usize, row: &RiskRow) -> Json {
    let symbols: Vec<&str> = snapshot.assets.iter().map(|a| a.symbol.as_str()).collect();
    let mut entries = instrument_key_entries(&row.key, &symbols);
    let scan = snapshot
        .portfolio
        .get(row.key.underlying)
        .map_or(0, |r| r.scan_ppm);
    let w = worst(row);
    entries.extend([
        ("row".to_string(), Json::uint(index as u64)),
        ("scan_ppm".to_string(), Json::uint(scan)),
        ("mark_pusd".to_string(), Json::str(row.mark.to_string())),
        (
            "worst_scenario".to_string(),
            Json::object([
                ("index", Json::uint(w as u64)),
                ("label", Json::str(SCENARIO_GRID[w].label())),
            ]),
        ),
        (
            "scenarios".to_string(),
            Json::Array(
                SCENARIO_GRID
                    .iter()
                    .zip(row.vector)
                    .enumerate()
                    .map(|(s, (scenario, v))| {
                        Json::object([
                            ("index", Json::uint(s as u64)),
                            ("label", Json::str(scenario.label())),
                            ("pnl_pusd", Json::str(v.to_string())),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    Json::Object(entries)
}

fn row_text(snapshot: &Snapshot, index: usize, row: &RiskRow) -> String {
    let a = row.key.underlying;
    let spot = snapshot.assets[a].price;
    let scan = snapshot.portfolio.get(a).map_or(0, |r| r.scan_ppm);
    let mut rows = vec![vec![
        "#".to_string(),
        "scenario".into(),
        "spot move".into(),
        "cover".into(),
        "P&L a unit long (USD)".into(),
        String::new(),
    ]];
    let w = worst(row);
    for (s, (scenario, v)) in SCENARIO_GRID.iter().zip(row.vector).enumerate() {
        // n thirds of the range: a whole number of ppm only when 3 divides n r; shown to the
        // 1e-4 percent, like every rate.
        let moved = (scenario.thirds as i128 * scan as i128) as f64 / 3.0;
        rows.push(vec![
            s.to_string(),
            scenario.label(),
            format!("{:+.4}%", moved / 1e4),
            percent(scenario.cover_ppm),
            pusd(v as i128),
            if s == w { "<- worst" } else { "" }.into(),
        ]);
    }
    format!(
        "{} (row {index} of {} in the risk table of snapshot epoch {})\n  \
         mark {} USD a unit long ({} pUSD); {} at {} USD, scan range {}\n{}",
        instrument_text(snapshot, &row.key),
        snapshot.risk_table.rows.len(),
        snapshot.epoch,
        pusd(row.mark as i128),
        row.mark,
        snapshot.assets[a].symbol,
        price(spot),
        percent(scan),
        table(&rows, &[true, false, true, true, true, false], 2)
    )
}

/// Every row in one line each: the instrument, its mark and its worst scenario.
fn listing(snapshot: &Snapshot) -> String {
    let mut rows = vec![vec![
        "row".to_string(),
        "instrument".into(),
        "mark (USD)".into(),
        "worst scenario".into(),
        "P&L there (USD)".into(),
    ]];
    for (i, row) in snapshot.risk_table.rows.iter().enumerate() {
        let w = worst(row);
        rows.push(vec![
            i.to_string(),
            instrument_text(snapshot, &row.key),
            pusd(row.mark as i128),
            SCENARIO_GRID[w].label(),
            pusd(row.vector[w] as i128),
        ]);
    }
    format!(
        "The risk table of snapshot epoch {}: {} instruments, one unit long each\n{}",
        snapshot.epoch,
        snapshot.risk_table.rows.len(),
        table(&rows, &[true, false, true, false, true], 2)
    )
}

pub fn run(args: &ScenariosArgs) -> CommandResult {
    let plot = picture_file(args.plot.as_deref(), "--plot")?;
    let named = args.instrument.is_some() || args.kind.is_some();
    if plot.is_some() && !named {
        return Err(CliError::flag(
            "--plot",
            "name the instrument to draw (--instrument, or --kind and --underlying)",
        ));
    }
    let snapshot = load_snapshot(&args.snapshot)?;
    let rows: Vec<usize> = match instrument_key(args, &snapshot)? {
        Some(key) => vec![snapshot.risk_table.find(&key).ok_or_else(|| {
            CliError::flag(
                if args.instrument.is_some() {
                    "--instrument"
                } else {
                    "--kind"
                },
                format!(
                    "{} is not in the snapshot's risk table: the publisher does not list it \
                     this epoch",
                    instrument_text(&snapshot, &key)
                ),
            )
        })?],
        None => (0..snapshot.risk_table.rows.len()).collect(),
    };
    if let Some((path, format)) = plot {
        let labels: Vec<String> = SCENARIO_GRID.iter().map(|s| s.label()).collect();
        let panels: Vec<ScenarioPanel> = rows
            .iter()
            .map(|&i| {
                let row = &snapshot.risk_table.rows[i];
                ScenarioPanel {
                    caption: format!(
                        "{}: one unit long, mark {} USD",
                        instrument_text(&snapshot, &row.key),
                        pusd(row.mark as i128)
                    ),
                    pnl_usd: row.vector.iter().map(|&v| v as f64 / 1e12).collect(),
                    worst: Some(worst(row)),
                }
            })
            .collect();
        let bars = ScenarioBars {
            title: format!(
                "Risk table of snapshot epoch {}: profit and loss by scenario",
                snapshot.epoch
            ),
            labels: &labels,
            panels: &panels,
        };
        save(path, "--plot", format, bars.size(), &bars)?;
    }
    let table = &snapshot.risk_table.rows;
    if args.json {
        let values: Vec<Json> = rows
            .iter()
            .map(|&i| row_json(&snapshot, i, &table[i]))
            .collect();
        let value = match (values.len(), named) {
            (1, true) => values.into_iter().next().unwrap_or(Json::Null),
            _ => Json::Array(values),
        };
        print(&json_text(&value));
    } else {
        let mut out = match rows.as_slice() {
            [i] if named => row_text(&snapshot, *i, &table[*i]),
            _ => listing(&snapshot),
        };
        if let Some(path) = &args.plot {
            out.push_str(&format!(
                "wrote {} (profit and loss by scenario)\n",
                path.display()
            ));
        }
        print(&out);
    }
    Ok(OK)
}
