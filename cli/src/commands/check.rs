//! `zkmargin check --snapshot S --account A [--venue NAME] [--level X] [--order JSON] [--json]
//! [--shock ASSET=PCT ...] [--plot FILE.svg|FILE.png]`
//!
//! The margin report of the reference engine (`margin::evaluate`, the rules the circuit
//! proves), without proving: collateral per chain and asset, figures per venue and slot, the
//! order's margin, the totals and the headroom. Exit 0 when solvent, 2 when insolvent, 1 on
//! bad input.
//!
//! Risk views (`zkmargin_prover::scenarios`, the same engine at shocked prices):
//!
//! - the report adds, for each asset the book is exposed to, the smallest uniform move of its
//!   price, down and up, that uses up the headroom (to 0.0001%, i.e. one ppm of the price);
//! - `--shock BTC=-10` evaluates the book after the move (repeat for several assets); the
//!   report, and the exit code, are then those of the moved book, the order being a position
//!   entered at the snapshot price;
//! - `--plot FILE.svg` (or `FILE.png`, labelled alike) draws equity and requirement against
//!   moves of -50% to +50% of each exposed asset and, below, the book's profit and loss in
//!   each of the risk table's sixteen scenarios per underlying (`Report::portfolio`, the
//!   engine's scenario losses; the worst outlined).

use std::path::Path;

use zkmargin_circuits::margin::Order;
use zkmargin_circuits::margin::{Book, MarginError, Report};
use zkmargin_circuits::portfolio::SCENARIO_GRID;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::decimal::{self, format_scaled};
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::{shown, Json};
use zkmargin_prover::margin_report;
use zkmargin_prover::scenarios::{self, BreakingMoves, PERCENT};

use crate::errors::{CliError, CommandResult, INSOLVENT, OK};
use crate::inputs::{load_account, load_snapshot, parse_level, parse_order, venue_index};
use crate::margin_report::{margin_json, margin_table, View};
use crate::output::{json_text, price, print, table, usd_u};
use crate::plot::{picture_file, save, Curve, MoveCurves, ScenarioBars, ScenarioPanel, Stacked};
use crate::portfolio_report::worst_label;
use crate::CheckArgs;

/// A book the engine cannot value. The account file was checked when read, so this names it.
pub fn margin_error(account: &Path, e: MarginError) -> CliError {
    CliError::input(InputError::new(
        account.display().to_string(),
        "(book)",
        format!("cannot be valued under the snapshot: {e}"),
    ))
}

/// The margin report of a book with an optional order at `venue`.
pub fn evaluate(
    snapshot: &Snapshot,
    account: &Account,
    account_path: &Path,
    venue: Option<usize>,
    level_ppm: u64,
    order: Option<zkmargin_circuits::margin::Position>,
) -> Result<Report, CliError> {
    margin_report(snapshot, account, venue, level_ppm, order)
        .map_err(|e| margin_error(account_path, e))
}

/// A move in ppm of the price as a signed percentage, e.g. `-12.3456%`.
pub fn move_text(move_ppm: i64) -> String {
    let sign = if move_ppm > 0 { "+" } else { "" };
    format!("{sign}{}%", format_scaled(move_ppm as i128, 4))
}

/// `--shock ASSET=PCT`: an asset of the snapshot and a move in percent (at most 4 decimals,
/// at least -100, the moved price below 2^48). Each asset at most once.
pub fn parse_shocks(texts: &[String], snapshot: &Snapshot) -> Result<Vec<(usize, i64)>, CliError> {
    let mut shocks: Vec<(usize, i64)> = Vec::new();
    for text in texts {
        let bad = |reason: String| CliError::flag("--shock", format!("{}: {reason}", shown(text)));
        let (symbol, pct) = text
            .split_once('=')
            .ok_or_else(|| bad("expected ASSET=PCT, such as BTC=-10".into()))?;
        let asset = snapshot.asset_index(symbol).ok_or_else(|| {
            let known: Vec<&str> = snapshot.assets.iter().map(|a| a.symbol.as_str()).collect();
            bad(format!(
                "unknown asset (the snapshot's: {})",
                known.join(", ")
            ))
        })?;
        // Percent with 4 decimals is ppm of the price: 1% = 10000 ppm.
        let ppm = decimal::parse_fixed_point(pct, 4)
            .map_err(|e| bad(format!("{e} (a percentage, such as -10 or 2.5)")))?;
        let ppm = i64::try_from(ppm)
            .ok()
            .filter(|m| *m >= -scenarios::MAX_DOWN)
            .ok_or_else(|| bad("a move is at least -100%".into()))?;
        if scenarios::moved_price(snapshot.assets[asset].price, ppm).is_none() {
            return Err(bad(
                "the moved price would reach 2^48 e8 (about 2.8 million USD), beyond what a \
                 snapshot holds"
                    .into(),
            ));
        }
        if shocks.iter().any(|(a, _)| *a == asset) {
            return Err(bad(format!("{symbol} is shocked twice")));
        }
        shocks.push((asset, ppm));
    }
    Ok(shocks)
}

/// The moves section of the report.
fn moves_table(snapshot: &Snapshot, moves: &[BreakingMoves], solvent: bool) -> String {
    let mut out = String::from(
        "Price moves that use up the headroom (each asset alone, the order as a position \
         entered at the snapshot price; to 1 ppm of the price)\n",
    );
    if !solvent {
        out.push_str("  none: the book is insolvent already\n");
        return out;
    }
    let mut rows = vec![vec![
        "asset".to_string(),
        "price (USD)".into(),
        "down".into(),
        "price then".into(),
        "up".into(),
        "price then".into(),
    ]];
    for m in moves {
        let p = snapshot.assets[m.asset].price;
        let side = |found: Option<i64>, sign: i64, limit: i64| match found {
            Some(ppm) => (
                move_text(sign * ppm),
                scenarios::moved_price(p, sign * ppm).map_or("-".into(), price),
            ),
            None => (format!("none to {}", move_text(sign * limit)), "-".into()),
        };
        let (down, down_price) = side(m.down, -1, scenarios::MAX_DOWN);
        let (up, up_price) = side(m.up, 1, m.up_limit);
        rows.push(vec![
            snapshot.assets[m.asset].symbol.clone(),
            price(p),
            down,
            down_price,
            up,
            up_price,
        ]);
    }
    out.push_str(&table(&rows, &[false, true, true, true, true, true], 2));
    out
}

fn moves_json(snapshot: &Snapshot, moves: &[BreakingMoves]) -> Json {
    let pct = |ppm: Option<i64>, sign: i64| {
        ppm.map_or(Json::Null, |m| {
            Json::str(format_scaled((sign * m) as i128, 4))
        })
    };
    Json::Array(
        moves
            .iter()
            .map(|m| {
                Json::object([
                    ("asset", Json::str(&snapshot.assets[m.asset].symbol)),
                    ("down_pct", pct(m.down, -1)),
                    ("up_pct", pct(m.up, 1)),
                    ("up_searched_to_pct", pct(Some(m.up_limit), 1)),
                ])
            })
            .collect(),
    )
}

/// The object with `extra` entries set: replaced where the key exists, else appended.
fn with_entries(json: Json, extra: Vec<(&str, Json)>) -> Json {
    match json {
        Json::Object(mut entries) => {
            for (key, value) in extra {
                match entries.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = value,
                    None => entries.push((key.to_string(), value)),
                }
            }
            Json::Object(entries)
        }
        other => other,
    }
}

/// Equity and requirement of `book` against moves of each exposed asset, -50% to +50%.
fn curves(
    snapshot: &Snapshot,
    book: &Book,
    level: u64,
    account: &Path,
) -> Result<Vec<Curve>, CliError> {
    let params = snapshot.risk_params();
    let mut curves = Vec::new();
    for asset in scenarios::exposed_assets(book, params.prices.len()) {
        let mut points = Vec::new();
        for step in -50i64..=50 {
            let m = step * PERCENT;
            if let Some(r) = scenarios::evaluate_moved(&params, book, level, &[(asset, m)])
                .map_err(|e| margin_error(account, e))?
            {
                points.push((
                    step as f64,
                    r.equity as f64 / 1e6,
                    r.requirement as f64 / 1e6,
                ));
            }
        }
        curves.push(Curve {
            symbol: snapshot.assets[asset].symbol.clone(),
            points,
        });
    }
    Ok(curves)
}

/// One panel per underlying the book is exposed to: its profit and loss in each scenario (the
/// engine's loss `ceil(T / 1e15)` uusd, negated), the worst scenario outlined.
fn scenario_panels(snapshot: &Snapshot, report: &Report) -> Vec<ScenarioPanel> {
    report
        .portfolio
        .iter()
        .enumerate()
        .filter(|(_, m)| m.exposed)
        .map(|(a, m)| ScenarioPanel {
            caption: format!(
                "{}: worst {}, scan loss {} USD, portfolio margin {} USD",
                snapshot.assets[a].symbol,
                worst_label(m),
                usd_u(m.scan),
                usd_u(m.mm)
            ),
            pnl_usd: m
                .losses
                .iter()
                .map(|t| -(t.ceil_uusd() as f64) / 1e6)
                .collect(),
            worst: (m.scan > 0).then_some(m.worst_scenario),
        })
        .collect()
}

pub fn run(args: &CheckArgs) -> CommandResult {
    let level = parse_level(args.level.as_deref())?;
    let plot = picture_file(args.plot.as_deref(), "--plot")?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let venue = args
        .venue
        .as_deref()
        .map(|name| venue_index(&snapshot, name))
        .transpose()?;
    let order = parse_order(args.order.as_deref(), venue, &snapshot)?;
    let shocks = parse_shocks(&args.shock, &snapshot)?;
    let account = load_account(&args.account, &snapshot)?;
    let params = snapshot.risk_params();
    let book = scenarios::book_with_order(
        &params,
        &account.book,
        venue
            .zip(order)
            .map(|(venue, position)| Order { venue, position })
            .as_ref(),
    )
    .map_err(|e| margin_error(&args.account, e))?;

    // The book (and the order) at the snapshot's prices.
    let report = evaluate(&snapshot, &account, &args.account, venue, level, order)?;
    let mut notes = String::new();
    if let Some((plot, format)) = plot {
        let curves = curves(&snapshot, &book, level, &args.account)?;
        let moves = MoveCurves {
            title: format!(
                "{}: equity and requirement ({}x mm) against price moves",
                account.name,
                format_scaled(level as i128, 6)
            ),
            curves: &curves,
        };
        let labels: Vec<String> = SCENARIO_GRID.iter().map(|s| s.label()).collect();
        let panels = scenario_panels(&snapshot, &report);
        let bars = ScenarioBars {
            title: format!(
                "{}: the book's profit and loss in the risk table's scenarios, per underlying",
                account.name
            ),
            labels: &labels,
            panels: &panels,
        };
        let (width, top_height) = moves.size();
        let picture = Stacked {
            top: &moves,
            top_height,
            bottom: &bars,
        };
        let size = (width, top_height.saturating_add(bars.size().1).min(16_000));
        save(plot, "--plot", format, size, &picture)?;
        notes.push_str(&format!(
            "wrote {} (equity and requirement against moves; the book's P&L by scenario)\n",
            plot.display()
        ));
    }

    if shocks.is_empty() {
        let moves = scenarios::breaking_moves(&params, &book, level)
            .map_err(|e| margin_error(&args.account, e))?;
        // With an order, the book's own portfolio margin: what the order adds is the
        // difference (a hedge lowers it).
        let book_mm = match order {
            Some(_) => Some(evaluate(&snapshot, &account, &args.account, None, level, None)?.mm),
            None => None,
        };
        let view = View {
            snapshot: &snapshot,
            account: &account,
            venue,
            order,
            book_mm,
        };
        if args.json {
            let json = with_entries(
                margin_json(&view, &report),
                vec![("moves", moves_json(&snapshot, &moves))],
            );
            print(&json_text(&json));
        } else {
            let mut out = margin_table(&view, &report);
            out.push('\n');
            out.push_str(&moves_table(&snapshot, &moves, report.solvent));
            out.push_str(&notes);
            print(&out);
        }
        return Ok(if report.solvent { OK } else { INSOLVENT });
    }

    // What if: the engine at the moved prices, the order a position in the book.
    let report = scenarios::evaluate_moved(&params, &book, level, &shocks)
        .map_err(|e| margin_error(&args.account, e))?
        .ok_or_else(|| CliError::flag("--shock", "a moved price is out of range"))?;
    let mut moved = snapshot.clone();
    for &(asset, m) in &shocks {
        if let Some(p) = scenarios::moved_price(moved.assets[asset].price, m) {
            moved.assets[asset].price = p;
        }
    }
    let mut moved_account = account.clone();
    moved_account.book = book;
    let view = View {
        snapshot: &moved,
        account: &moved_account,
        venue: None,
        order: None,
        book_mm: None,
    };
    let described: Vec<String> = shocks
        .iter()
        .map(|&(a, m)| {
            format!(
                "{} {} ({} -> {} USD)",
                snapshot.assets[a].symbol,
                move_text(m),
                price(snapshot.assets[a].price),
                price(moved.assets[a].price)
            )
        })
        .collect();
    if args.json {
        let shocks_json = Json::Array(
            shocks
                .iter()
                .map(|&(a, m)| {
                    Json::object([
                        ("asset", Json::str(&snapshot.assets[a].symbol)),
                        ("move_pct", Json::str(format_scaled(m as i128, 4))),
                        ("price", Json::str(price(moved.assets[a].price))),
                    ])
                })
                .collect(),
        );
        // The digest is the published snapshot's: the moved prices are not a snapshot.
        let json = with_entries(
            margin_json(&view, &report),
            vec![
                (
                    "snapshot_digest",
                    Json::str(digest_to_hex(&snapshot.digest())),
                ),
                ("shocks", shocks_json),
            ],
        );
        print(&json_text(&json));
    } else {
        let mut out = format!(
            "What if: {} (the snapshot's prices otherwise; the order, if any, is a position \
             entered at the snapshot price)\n\n",
            described.join(", ")
        );
        // The digest shown is the published snapshot's: the moved prices are not a snapshot.
        out.push_str(&margin_table(&view, &report).replace(
            &digest_to_hex(&moved.digest()),
            &format!("{} (prices moved)", digest_to_hex(&snapshot.digest())),
        ));
        out.push_str(&notes);
        print(&out);
    }
    Ok(if report.solvent { OK } else { INSOLVENT })
}
