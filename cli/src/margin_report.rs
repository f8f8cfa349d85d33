//! The margin report of `check` (and the demo's trader): a readable table or one JSON object,
//! every figure the reference engine's (`margin::evaluate`) for the book, the order and, for
//! statement version 3, the portfolio margin beside the standard one (`portfolio_report`).

use zkmargin_circuits::margin::{Position, PositionTerms, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::json::Json;
use zkmargin_formats::position::position_to_json;

use crate::output::{
    amount, describe, iusd, level_text, percent, price, table, usd, usd_u, utc, uusd, verdict,
};
use crate::portfolio_report::{portfolio_json, portfolio_table};

/// What the margin report is about.
pub struct View<'a> {
    pub snapshot: &'a Snapshot,
    pub account: &'a Account,
    /// The venue of `--venue`, if given.
    pub venue: Option<usize>,
    /// The order as valued (a perp at the snapshot price).
    pub order: Option<Position>,
    /// With an order: the portfolio margin of the book without it (the engine's), so that the
    /// report can say what the order adds to the portfolio margin (negative for a hedge).
    pub book_mm: Option<u128>,
}

impl View<'_> {
    /// What the order adds to the portfolio margin, uusd (none without an order).
    pub fn order_adds(&self, report: &Report) -> Option<i128> {
        self.order?;
        self.book_mm.map(|book| report.mm as i128 - book as i128)
    }
}

impl View<'_> {
    fn venue_name(&self, v: usize) -> &str {
        self.snapshot.venues.get(v).map_or("?", |m| m.name.as_str())
    }
}

/// The report as a readable table: collateral per chain, figures per venue and slot, the
/// order, the totals and the verdict.
pub fn margin_table(view: &View, report: &Report) -> String {
    let s = view.snapshot;
    let mut out = String::new();
    out.push_str(&format!(
        "Margin report for {} (account {}) under snapshot epoch {} (profile {})\n",
        view.account.name, view.account.idx, s.epoch, s.profile.name
    ));
    out.push_str(&format!(
        "  snapshot digest {}, valid {} to {}\n",
        digest_to_hex(&s.digest()),
        utc(s.valid_from),
        utc(s.valid_until)
    ));
    out.push_str(&format!(
        "  level {} maintenance margin\n\n",
        level_text(report.level_ppm)
    ));

    out.push_str("Collateral, after haircuts\n");
    let mut rows = vec![vec![
        "chain".to_string(),
        "asset".into(),
        "amount".into(),
        "price (USD)".into(),
        "haircut".into(),
        "value (USD)".into(),
    ]];
    for (c, chain) in s.chains.iter().enumerate() {
        let figures = report.chains.get(c);
        let balances = view.account.book.balances.get(c);
        let mut any = false;
        for (a, asset) in s.assets.iter().enumerate() {
            let x = balances.and_then(|b| b.get(a)).copied().unwrap_or(0);
            if x == 0 {
                continue;
            }
            any = true;
            let value = figures
                .and_then(|f| f.collateral_by_asset.get(a))
                .copied()
                .unwrap_or(0);
            let haircut = s
                .haircuts_ppm
                .get(a)
                .and_then(|r| r.get(c))
                .copied()
                .unwrap_or(0);
            rows.push(vec![
                chain.name.clone(),
                asset.symbol.clone(),
                amount(x),
                price(asset.price),
                percent(haircut),
                usd_u(value),
            ]);
        }
        let total = figures.map_or(0, |f| f.collateral);
        rows.push(vec![
            chain.name.clone(),
            if any { "total" } else { "(nothing)" }.into(),
            String::new(),
            String::new(),
            String::new(),
            usd_u(total),
        ]);
    }
    out.push_str(&table(&rows, &[false, false, true, true, true, true], 2));
    out.push('\n');

    out.push_str("Positions (the standard margin of each on its own; options at their mark)\n");
    let mut rows = vec![vec![
        "venue".to_string(),
        "position".into(),
        "standard mm (USD)".into(),
        "upnl credit (USD)".into(),
        "upnl debit (USD)".into(),
        "option in equity (USD)".into(),
    ]];
    for (v, venue) in s.venues.iter().enumerate() {
        let figures = report.venues.get(v);
        let slots = view
            .account
            .book
            .positions
            .get(v)
            .map_or(&[][..], Vec::as_slice);
        for (i, p) in slots.iter().enumerate() {
            let t: PositionTerms = figures
                .and_then(|f| f.slots.get(i))
                .copied()
                .unwrap_or_default();
            rows.push(vec![
                venue.name.clone(),
                describe(s, p, false),
                usd_u(t.mm),
                usd_u(t.upnl_credit),
                usd_u(t.upnl_debit),
                option_in_equity(p, t.option_value, t.option_liability),
            ]);
        }
        let f = figures.cloned().unwrap_or_default();
        rows.push(vec![
            venue.name.clone(),
            if slots.is_empty() {
                "(nothing)"
            } else {
                "total"
            }
            .into(),
            usd_u(f.mm),
            usd_u(f.upnl_credit),
            usd_u(f.upnl_debit),
            if f.option_value + f.option_liability == 0 {
                String::new()
            } else {
                usd(f.option_value as i128 - f.option_liability as i128)
            },
        ]);
    }
    if let (Some(v), Some(order)) = (view.venue, view.order) {
        rows.push(vec![
            format!("order at {}", view.venue_name(v)),
            describe(s, &order, true),
            usd_u(report.order.mm),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    out.push_str(&table(&rows, &[false, false, true, true, true, true], 2));
    out.push('\n');

    out.push_str(&portfolio_table(
        view.snapshot,
        &view.account.book,
        view.order,
        report,
    ));
    out.push('\n');

    let mut rows = vec![
        vec!["collateral".to_string(), usd_u(report.collateral)],
        vec![
            "+ unrealised profit (haircut)".into(),
            usd_u(report.upnl_credit),
        ],
        vec!["- unrealised loss".into(), usd_u(report.upnl_debit)],
        vec![
            "+ long options at their mark (haircut)".into(),
            usd_u(report.option_value),
        ],
        vec![
            "- short options at their mark".into(),
            usd_u(report.option_liability),
        ],
        vec!["= equity".into(), usd(report.equity)],
    ];
    let mut mm_row = vec![
        "maintenance margin (portfolio)".to_string(),
        usd_u(report.mm),
    ];
    if let (Some(adds), Some(book)) = (view.order_adds(report), view.book_mm) {
        mm_row.push(format!("book {} + order {}", usd_u(book), usd(adds)));
    }
    rows.push(mm_row);
    rows.push(vec![
        "standard margin (per position)".into(),
        usd_u(report.standard_mm),
        match report.standard_mm.checked_sub(report.mm) {
            Some(saved) => format!("netting saves {}", usd_u(saved)),
            None => format!(
                "the portfolio margin is {} more",
                usd_u(report.mm - report.standard_mm)
            ),
        },
    ]);
    rows.push(vec![
        format!("requirement ({} mm)", level_text(report.level_ppm)),
        usd_u(report.requirement),
    ]);
    rows.push(vec![
        "headroom (equity - requirement)".into(),
        usd(report.headroom),
    ]);
    out.push_str("Totals (USD)\n");
    out.push_str(&table(&rows, &[false, true, false], 2));
    out.push('\n');
    out.push_str(&verdict(report));
    out.push('\n');
    out
}

/// An option's mark in equity: `+value` long, `-liability` short; empty for a perpetual.
fn option_in_equity(p: &Position, value: u128, liability: u128) -> String {
    if p.kind.is_option() {
        usd(value as i128 - liability as i128)
    } else {
        String::new()
    }
}

fn terms_json(mut entries: Vec<(String, Json)>, t: &PositionTerms, p: &Position) -> Json {
    entries.push(("standard_mm_uusd".into(), uusd(t.mm)));
    entries.push(("upnl_credit_uusd".into(), uusd(t.upnl_credit)));
    entries.push(("upnl_debit_uusd".into(), uusd(t.upnl_debit)));
    if p.kind.is_option() {
        entries.push(("option_value_uusd".into(), uusd(t.option_value)));
        entries.push(("option_liability_uusd".into(), uusd(t.option_liability)));
        entries.push(("bucket".into(), Json::uint(t.bucket as u64)));
    }
    Json::Object(entries)
}

fn position_entries(s: &Snapshot, p: &Position) -> Vec<(String, Json)> {
    match position_to_json(p, &s.assets) {
        Json::Object(entries) => entries,
        other => vec![("position".into(), other)],
    }
}

/// The report as one JSON object. Money is integer uusd as decimal strings; the totals the
/// interface names (`collateral_uusd` ... `headroom_uusd`, `solvent`) are at the top level.
pub fn margin_json(view: &View, report: &Report) -> Json {
    let s = view.snapshot;
    let chains = s
        .chains
        .iter()
        .enumerate()
        .map(|(c, chain)| {
            let figures = report.chains.get(c).cloned().unwrap_or_default();
            let balances = view.account.book.balances.get(c);
            let assets = s
                .assets
                .iter()
                .enumerate()
                .filter_map(|(a, asset)| {
                    let x = balances.and_then(|b| b.get(a)).copied().unwrap_or(0);
                    (x != 0).then(|| {
                        Json::object([
                            ("symbol", Json::str(&asset.symbol)),
                            ("amount", Json::str(amount(x))),
                            ("price", Json::str(price(asset.price))),
                            (
                                "haircut_ppm",
                                Json::uint(
                                    s.haircuts_ppm
                                        .get(a)
                                        .and_then(|r| r.get(c))
                                        .copied()
                                        .unwrap_or(0),
                                ),
                            ),
                            (
                                "value_uusd",
                                uusd(figures.collateral_by_asset.get(a).copied().unwrap_or(0)),
                            ),
                        ])
                    })
                })
                .collect();
            Json::object([
                ("name", Json::str(&chain.name)),
                ("id", Json::uint(chain.id)),
                ("assets", Json::Array(assets)),
                ("collateral_uusd", uusd(figures.collateral)),
            ])
        })
        .collect();
    let venues = s
        .venues
        .iter()
        .enumerate()
        .map(|(v, venue)| {
            let figures = report.venues.get(v).cloned().unwrap_or_default();
            let slots = view
                .account
                .book
                .positions
                .get(v)
                .map_or(&[][..], Vec::as_slice);
            let positions = slots
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let t = figures.slots.get(i).copied().unwrap_or_default();
                    terms_json(position_entries(s, p), &t, p)
                })
                .collect();
            Json::object([
                ("name", Json::str(&venue.name)),
                ("id", Json::uint(venue.id)),
                ("positions", Json::Array(positions)),
                ("standard_mm_uusd", uusd(figures.mm)),
                ("upnl_credit_uusd", uusd(figures.upnl_credit)),
                ("upnl_debit_uusd", uusd(figures.upnl_debit)),
                ("option_value_uusd", uusd(figures.option_value)),
                ("option_liability_uusd", uusd(figures.option_liability)),
            ])
        })
        .collect();
    let order = match (view.venue, view.order) {
        (Some(v), Some(p)) => {
            let mut entries: Vec<(String, Json)> =
                vec![("venue".into(), Json::str(view.venue_name(v)))];
            entries.extend(position_entries(s, &p));
            entries.push(("standard_mm_uusd".into(), uusd(report.order.mm)));
            if p.kind.is_option() {
                entries.push(("bucket".into(), Json::uint(report.order.bucket as u64)));
            }
            Json::Object(entries)
        }
        _ => Json::Null,
    };
    Json::object([
        ("account", Json::str(&view.account.name)),
        ("idx", Json::uint(view.account.idx)),
        ("profile", Json::str(s.profile.name)),
        ("epoch", Json::uint(s.epoch)),
        ("snapshot_digest", Json::str(digest_to_hex(&s.digest()))),
        (
            "venue",
            view.venue
                .map_or(Json::Null, |v| Json::str(view.venue_name(v))),
        ),
        (
            "level",
            Json::str(format_scaled(report.level_ppm as i128, 6)),
        ),
        ("level_ppm", Json::uint(report.level_ppm)),
        ("chains", Json::Array(chains)),
        ("venues", Json::Array(venues)),
        ("order", order),
        ("collateral_uusd", uusd(report.collateral)),
        ("upnl_credit_uusd", uusd(report.upnl_credit)),
        ("upnl_debit_uusd", uusd(report.upnl_debit)),
        ("option_value_uusd", uusd(report.option_value)),
        ("option_liability_uusd", uusd(report.option_liability)),
        ("equity_uusd", iusd(report.equity)),
        ("mm_uusd", uusd(report.mm)),
        ("standard_mm_uusd", uusd(report.standard_mm)),
        (
            "portfolio",
            portfolio_json(view.snapshot, &view.account.book, view.order, report),
        ),
        ("order_mm_uusd", iusd(view.order_adds(report).unwrap_or(0))),
        ("order_standard_mm_uusd", uusd(report.order.mm)),
        ("requirement_uusd", uusd(report.requirement)),
        ("headroom_uusd", iusd(report.headroom)),
        ("solvent", Json::Bool(report.solvent)),
    ])
}
