//! The portfolio part of the margin report (statement version 3): per underlying the book's
//! worst scenario, its scan loss, the short-option minimum, the contingency and the portfolio
//! margin, beside the standard (version 2, per position) margin of the same positions: what
//! netting across venues saved.
//!
//! Every figure is the reference engine's (`margin::evaluate`: `Report::portfolio`,
//! `Report::standard_mm` and the slots' terms), never computed again here; the standard margin
//! per underlying is the sum of the engine's per-slot figures (and the order's), grouped by the
//! slot's underlying.

use zkmargin_circuits::margin::{Book, Position, Report};
use zkmargin_circuits::portfolio::{UnderlyingMargin, SCENARIO_GRID};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::json::Json;

use crate::output::{percent, price, table, usd, usd_u, uusd};

/// The standard margin of `book` (and `order`, which `report` evaluated with it) per asset of
/// the snapshot: the engine's slot figures summed by underlying.
pub fn standard_by_underlying(
    snapshot: &Snapshot,
    book: &Book,
    order: Option<Position>,
    report: &Report,
) -> Vec<u128> {
    let mut sums = vec![0u128; snapshot.assets.len()];
    let held = book
        .positions
        .iter()
        .zip(&report.venues)
        .flat_map(|(positions, figures)| positions.iter().zip(&figures.slots));
    for (position, terms) in held {
        if let Some(sum) = sums.get_mut(position.underlying) {
            *sum += terms.mm;
        }
    }
    if let Some(order) = order {
        if let Some(sum) = sums.get_mut(order.underlying) {
            *sum += report.order.mm;
        }
    }
    sums
}

/// `part / whole` as a percentage to 0.01%, rounded down (`whole` 0: none).
fn share(part: u128, whole: u128) -> String {
    if whole == 0 {
        return "-".into();
    }
    let ppm = part.saturating_mul(1_000_000) / whole;
    percent(u64::try_from(ppm / 100 * 100).unwrap_or(u64::MAX))
}

/// The underlyings the book (or the order) is exposed to, with their figures.
fn exposed<'r>(report: &'r Report) -> impl Iterator<Item = (usize, &'r UnderlyingMargin)> {
    report
        .portfolio
        .iter()
        .enumerate()
        .filter(|(_, m)| m.exposed)
}

/// The worst scenario's label (`-1 up`), or `none loses` where no scenario loses anything (a
/// scan of 0: the statement's maximum is then its floor of 0, not a scenario).
pub fn worst_label(margin: &UnderlyingMargin) -> String {
    match SCENARIO_GRID.get(margin.worst_scenario) {
        _ if margin.scan == 0 => "none loses".into(),
        Some(s) => s.label(),
        None => "?".into(),
    }
}

/// The worst scenario in words with its index: `-1 up (#12)`.
fn worst_text(margin: &UnderlyingMargin) -> String {
    match margin.scan {
        0 => worst_label(margin),
        _ => format!("{} (#{})", worst_label(margin), margin.worst_scenario),
    }
}

/// The section "Portfolio margin per underlying" of the text report, and the line saying what
/// netting saved.
pub fn portfolio_table(
    s: &Snapshot,
    book: &Book,
    order: Option<Position>,
    report: &Report,
) -> String {
    let standard = standard_by_underlying(s, book, order, report);
    let mut out = String::from(
        "Portfolio margin per underlying (the whole book netted across venues under the risk \
         table's 16 scenarios)\n",
    );
    let mut rows = vec![vec![
        "asset".to_string(),
        "price (USD)".into(),
        "scan range".into(),
        "worst scenario".into(),
        "scan loss".into(),
        "short-option min".into(),
        "contingency".into(),
        "portfolio mm".into(),
        "standard mm".into(),
    ]];
    for (a, m) in exposed(report) {
        rows.push(vec![
            s.assets[a].symbol.clone(),
            price(s.assets[a].price),
            s.portfolio
                .get(a)
                .map_or("-".into(), |r| percent(r.scan_ppm)),
            worst_text(m),
            usd_u(m.scan),
            usd_u(m.som),
            usd_u(m.contingency),
            usd_u(m.mm),
            usd_u(standard.get(a).copied().unwrap_or(0)),
        ]);
    }
    if rows.len() == 1 {
        out.push_str("  (no positions)\n");
    } else {
        rows.push(vec![
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            usd_u(report.mm),
            usd_u(report.standard_mm),
        ]);
        out.push_str(&table(
            &rows,
            &[false, true, true, false, true, true, true, true, true],
            2,
        ));
        out.push_str(
            "  (USD; mm = max(scan loss, short-option min) + contingency; the standard margin \
             is version 2's, each position on its own)\n",
        );
    }
    out.push_str(&format!("  {}\n", saving_text(report)));
    out
}

/// One line: what netting saved against the standard margin.
pub fn saving_text(report: &Report) -> String {
    let (portfolio, standard) = (report.mm, report.standard_mm);
    if portfolio <= standard {
        format!(
            "netting saves {} USD: portfolio margin {} USD is {} of the standard {} USD",
            usd_u(standard - portfolio),
            usd_u(portfolio),
            share(portfolio, standard),
            usd_u(standard)
        )
    } else {
        format!(
            "the portfolio margin {} USD exceeds the standard {} USD by {} USD (the scenarios \
             find a loss the per-position rates miss)",
            usd_u(portfolio),
            usd_u(standard),
            usd(portfolio as i128 - standard as i128)
        )
    }
}

/// `portfolio` of `check --json`: per exposed underlying (keyed by its symbol) the worst
/// scenario (`index`, `label`), `scan_uusd`, `som_uusd`, `contingency_uusd`, `mm_uusd`,
/// `standard_mm_uusd` and the book's loss in each scenario (`scenario_losses_uusd`, rounded
/// up as the statement rounds the worst one; negative for a gain).
pub fn portfolio_json(
    snapshot: &Snapshot,
    book: &Book,
    order: Option<Position>,
    report: &Report,
) -> Json {
    let standard = standard_by_underlying(snapshot, book, order, report);
    Json::Object(
        exposed(report)
            .map(|(a, m)| {
                let label = SCENARIO_GRID
                    .get(m.worst_scenario)
                    .map_or(String::new(), |s| s.label());
                let losses = m
                    .losses
                    .iter()
                    .map(|t| Json::str(t.ceil_uusd().to_string()))
                    .collect();
                let value = Json::object([
                    (
                        "worst_scenario",
                        Json::object([
                            ("index", Json::uint(m.worst_scenario as u64)),
                            ("label", Json::str(label)),
                        ]),
                    ),
                    ("scan_uusd", uusd(m.scan)),
                    ("som_uusd", uusd(m.som)),
                    ("contingency_uusd", uusd(m.contingency)),
                    ("mm_uusd", uusd(m.mm)),
                    (
                        "standard_mm_uusd",
                        uusd(standard.get(a).copied().unwrap_or(0)),
                    ),
                    ("scenario_losses_uusd", Json::Array(losses)),
                ]);
                (snapshot.assets[a].symbol.clone(), value)
            })
            .collect(),
    )
}
