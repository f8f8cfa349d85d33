//! `zkmargin risk haircuts RISK.json [--json] [--plot FILE.svg|FILE.png]` (and `risk
//! scenarios`, the risk table's rows: `scenarios`)
//!
//! The haircut table of a risk model (`zkmargin_formats::risk`, `zkmargin_prover::risk`): for every asset and chain,
//! `min(1, jump + bridge + z sigma sqrt(T / year))` in whole ppm, rounded up, computed
//! exactly. Prints a table with the horizon and the latency term, or with `--json` one object
//! `{asset: {chain: ppm}}`; `--plot` draws the heat map, labelled, as SVG or PNG (by the file's
//! extension). Exit 0, or 1 on bad input.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::json::Json;
use zkmargin_formats::risk::{read_risk, RiskModel, RISK_DECIMALS};
use zkmargin_prover::risk::{Haircut, Haircuts};

use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{label, read_text, JSON_FILE_LIMIT};
use crate::output::{json_text, percent, print, table};
use crate::plot::{picture_file, save, Cell, HeatMap};

#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// The haircut table of a risk model (zkmargin.risk/1), exact to the ppm.
    Haircuts(HaircutsArgs),
    /// An instrument's mark and profit and loss in the risk table's sixteen scenarios.
    Scenarios(crate::commands::scenarios::ScenariosArgs),
}

#[derive(Debug, Args)]
pub struct HaircutsArgs {
    /// The risk model.
    #[arg(value_name = "RISK.json")]
    pub risk: PathBuf,
    /// Print one JSON object, asset -> chain -> ppm.
    #[arg(long)]
    pub json: bool,
    /// Also draw the table as a labelled heat map: SVG or PNG, as the extension says.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
}

/// Reads a risk model file.
pub fn load_risk(path: &Path) -> Result<RiskModel, CliError> {
    let text = read_text(path, "RISK.json", JSON_FILE_LIMIT)?;
    Ok(read_risk(&text, &label(path))?)
}

/// Seconds as hours, minutes and seconds, e.g. `2h 31m 48s`.
fn hms(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}

fn decimal(value: u64) -> String {
    format_scaled(value as i128, RISK_DECIMALS)
}

/// The table as text: one row per asset and chain.
pub fn haircut_table(model: &RiskModel, cells: &[Vec<Haircut>]) -> String {
    let mut rows = vec![vec![
        "asset".to_string(),
        "chain".into(),
        "sigma".into(),
        "horizon T".into(),
        "latency term".into(),
        "jump + bridge".into(),
        "haircut (ppm)".into(),
        "haircut".into(),
    ]];
    for (asset, row) in model.assets.iter().zip(cells) {
        for (chain, h) in model.chains.iter().zip(row) {
            rows.push(vec![
                asset.symbol.clone(),
                chain.name.clone(),
                decimal(asset.sigma),
                format!("{} s ({})", h.horizon_seconds, hms(h.horizon_seconds)),
                percent(h.latency_ppm),
                percent(h.addon_ppm),
                h.ppm.to_string(),
                if h.capped {
                    "100% (capped)".to_string()
                } else {
                    percent(h.ppm)
                },
            ]);
        }
    }
    format!(
        "Haircuts of {} (z = {}, stale = {} s): min(1, jump + bridge + z sigma sqrt(T / 31536000)), \
         T = finality + relay + stale + liquidation, rounded up to whole ppm\n{}",
        model.file,
        decimal(model.z),
        model.stale_seconds,
        table(&rows, &[false, false, true, true, true, true, true, true], 2)
    )
}

/// `{asset: {chain: ppm}}`, in the file's order.
pub fn haircut_json(model: &RiskModel, cells: &[Vec<Haircut>]) -> Json {
    Json::object(model.assets.iter().zip(cells).map(|(asset, row)| {
        (
            asset.symbol.clone(),
            Json::object(
                model
                    .chains
                    .iter()
                    .zip(row)
                    .map(|(chain, h)| (chain.name.clone(), Json::uint(h.ppm))),
            ),
        )
    }))
}

pub fn run(command: &RiskCommand) -> CommandResult {
    let args = match command {
        RiskCommand::Haircuts(args) => args,
        RiskCommand::Scenarios(args) => return crate::commands::scenarios::run(args),
    };
    let plot = picture_file(args.plot.as_deref(), "--plot")?;
    let model = load_risk(&args.risk)?;
    let cells = model.table();
    if let Some((plot, format)) = plot {
        let assets: Vec<String> = model.assets.iter().map(|a| a.symbol.clone()).collect();
        let chains: Vec<String> = model.chains.iter().map(|c| c.name.clone()).collect();
        let heat: Vec<Vec<Cell>> = cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|h| Cell {
                        total_ppm: h.ppm,
                        latency_ppm: h.latency_ppm,
                    })
                    .collect()
            })
            .collect();
        let map = HeatMap {
            title: format!("Haircuts of {} (z = {})", model.file, decimal(model.z)),
            assets: &assets,
            chains: &chains,
            cells: &heat,
        };
        save(plot, "--plot", format, map.size(), &map)?;
    }
    if args.json {
        print(&json_text(&haircut_json(&model, &cells)));
    } else {
        let mut out = haircut_table(&model, &cells);
        if let Some(plot) = &args.plot {
            out.push_str(&format!("wrote {} (heat map)\n", plot.display()));
        }
        print(&out);
    }
    Ok(OK)
}
