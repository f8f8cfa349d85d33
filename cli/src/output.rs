//! What the commands print: the margin report (a table, or one JSON object), the public inputs
//! a venue learns, and the small formatting helpers they share.
//!
//! Money is printed in USD with exactly 6 decimals (one uusd), computed from the reference
//! engine's integers (`margin::evaluate`), never through floating point.

use std::io::{self, Write};

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::margin::{Kind, Position, PositionTerms, Report, Side};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{AMOUNT_DECIMALS, PRICE_DECIMALS};
use zkmargin_formats::account::Account;
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::json::{self, Json};
use zkmargin_formats::position::position_to_json;

/// Writes `text` on stdout; a closed pipe (`zkmargin check | head`) is not an error.
pub fn print(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// A uusd amount as USD with exactly six decimals, e.g. `-12.500000`.
pub fn usd(uusd: i128) -> String {
    fixed(uusd, 6)
}

/// `value / 10^decimals` with exactly `decimals` decimals (`1 <= decimals <= 38`), e.g.
/// `fixed(-1, 12) = "-0.000000000001"`: every digit of the integer, none dropped.
pub fn fixed(value: i128, decimals: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let unit = 10u128.pow(decimals.min(38));
    let width = decimals as usize;
    format!("{sign}{}.{:0width$}", magnitude / unit, magnitude % unit)
}

/// A uusd amount that is never negative.
pub fn usd_u(uusd: u128) -> String {
    usd(i128::try_from(uusd).unwrap_or(i128::MAX))
}

/// A margin level in ppm as a multiplier, e.g. `1.5x`.
pub fn level_text(ppm: u64) -> String {
    format!("{}x", format_scaled(ppm as i128, 6))
}

/// A rate in ppm as a percentage, e.g. `3%` or `1.25%`.
pub fn percent(ppm: u64) -> String {
    format!("{}%", format_scaled(ppm as i128, 4))
}

/// A price in e8 as a decimal.
pub fn price(e8: u64) -> String {
    format_scaled(e8 as i128, PRICE_DECIMALS)
}

/// An amount or size magnitude in e9 as a decimal.
pub fn amount(e9: u64) -> String {
    format_scaled(e9 as i128, AMOUNT_DECIMALS)
}

/// Days since 1970-01-01 to a (year, month, day) of the proleptic Gregorian calendar.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Shift to an era starting on 0000-03-01, so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(unix: u64) -> String {
    let (y, m, d) = civil_date((unix / 86_400) as i64);
    let s = unix % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        s / 3_600,
        s / 60 % 60,
        s % 60
    )
}

/// A duration in seconds, shortly: `7d`, `36h`, `90m`, `45s`, or days and hours.
pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 && s > 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
        s => format!("{s}s"),
    }
}

/// An account tag as `zkmargin prove` prints it and `verify --tag` reads it.
pub fn tag_text(tag: &Fp) -> String {
    fp_to_hex(tag)
}

/// Aligns rows of cells into columns; `right[i]` right-aligns column `i`.
pub fn table(rows: &[Vec<String>], right: &[bool], indent: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = " ".repeat(indent);
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn symbol(snapshot: &Snapshot, asset: usize) -> &str {
    snapshot
        .assets
        .get(asset)
        .map_or("?", |a| a.symbol.as_str())
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Empty => "empty",
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
    }
}

/// A position in words, e.g. `short call BTC 1, strike 105000, expires 2026-01-02 00:00:00
/// UTC (bucket <= 7d)`; an order's perp is `at the snapshot price`.
pub fn describe(snapshot: &Snapshot, p: &Position, is_order: bool) -> String {
    let side = match p.side {
        Side::Long => "long",
        Side::Short => "short",
    };
    let head = format!(
        "{side} {} {} {}",
        kind_word(p.kind),
        symbol(snapshot, p.underlying),
        amount(p.size)
    );
    match p.kind {
        Kind::Empty => "empty slot".to_string(),
        Kind::Perp if is_order => format!("{head} at the snapshot price {}", price(p.price)),
        Kind::Perp => format!("{head}, entry {}", price(p.price)),
        Kind::Call | Kind::Put => {
            let bucket = zkmargin_circuits::margin::bucket_index(&snapshot.risk_params(), p.expiry)
                .ok()
                .and_then(|b| snapshot.buckets.get(b))
                .map_or(String::new(), |b| {
                    format!(" (bucket <= {})", duration(b.max_seconds))
                });
            format!(
                "{head}, strike {}, expires {}{bucket}",
                price(p.price),
                utc(p.expiry)
            )
        }
    }
}

/// What the margin report is about.
pub struct View<'a> {
    pub snapshot: &'a Snapshot,
    pub account: &'a Account,
    /// The venue of `--venue`, if given.
    pub venue: Option<usize>,
    /// The order as valued (a perp at the snapshot price).
    pub order: Option<Position>,
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

    out.push_str("Positions\n");
    let mut rows = vec![vec![
        "venue".to_string(),
        "position".into(),
        "mm (USD)".into(),
        "upnl credit (USD)".into(),
        "upnl debit (USD)".into(),
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
        ]);
    }
    if let (Some(v), Some(order)) = (view.venue, view.order) {
        rows.push(vec![
            format!("order at {}", view.venue_name(v)),
            describe(s, &order, true),
            usd_u(report.order.mm),
            "-".into(),
            "-".into(),
        ]);
    }
    out.push_str(&table(&rows, &[false, false, true, true, true], 2));
    out.push('\n');

    let positions_mm = report.mm - report.order.mm;
    let mut rows = vec![
        vec!["collateral".to_string(), usd_u(report.collateral)],
        vec![
            "+ unrealised profit (haircut)".into(),
            usd_u(report.upnl_credit),
        ],
        vec!["- unrealised loss".into(), usd_u(report.upnl_debit)],
        vec!["= equity".into(), usd(report.equity)],
    ];
    let mut mm_row = vec!["maintenance margin".to_string(), usd_u(report.mm)];
    if view.order.is_some() {
        mm_row.push(format!(
            "positions {} + order {}",
            usd_u(positions_mm),
            usd_u(report.order.mm)
        ));
    }
    rows.push(mm_row);
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

/// One line: SOLVENT or INSOLVENT, and by how much.
pub fn verdict(report: &Report) -> String {
    if report.solvent {
        format!(
            "SOLVENT: equity {} USD covers {} maintenance margin ({} USD) with {} USD to spare",
            usd(report.equity),
            level_text(report.level_ppm),
            usd_u(report.requirement),
            usd(report.headroom)
        )
    } else {
        format!(
            "INSOLVENT: equity {} USD is {} USD short of {} maintenance margin ({} USD)",
            usd(report.equity),
            usd(-report.headroom),
            level_text(report.level_ppm),
            usd_u(report.requirement)
        )
    }
}

pub fn uusd(value: u128) -> Json {
    Json::str(value.to_string())
}

fn iusd(value: i128) -> Json {
    Json::str(value.to_string())
}

fn terms_json(mut entries: Vec<(String, Json)>, t: &PositionTerms, p: &Position) -> Json {
    entries.push(("mm_uusd".into(), uusd(t.mm)));
    entries.push(("upnl_credit_uusd".into(), uusd(t.upnl_credit)));
    entries.push(("upnl_debit_uusd".into(), uusd(t.upnl_debit)));
    if p.kind.is_option() {
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
                ("mm_uusd", uusd(figures.mm)),
                ("upnl_credit_uusd", uusd(figures.upnl_credit)),
                ("upnl_debit_uusd", uusd(figures.upnl_debit)),
            ])
        })
        .collect();
    let order = match (view.venue, view.order) {
        (Some(v), Some(p)) => {
            let mut entries: Vec<(String, Json)> =
                vec![("venue".into(), Json::str(view.venue_name(v)))];
            entries.extend(position_entries(s, &p));
            entries.push(("mm_uusd".into(), uusd(report.order.mm)));
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
        ("equity_uusd", iusd(report.equity)),
        ("mm_uusd", uusd(report.mm)),
        ("order_mm_uusd", uusd(report.order.mm)),
        ("requirement_uusd", uusd(report.requirement)),
        ("headroom_uusd", iusd(report.headroom)),
        ("solvent", Json::Bool(report.solvent)),
    ])
}

/// Pretty JSON text.
pub fn json_text(value: &Json) -> String {
    json::to_pretty(value)
}

/// The public inputs a venue learns from a proof, one per line.
pub struct PublicView<'a> {
    pub snapshot: &'a Snapshot,
    pub venue: usize,
    pub tag: Fp,
    pub tag_checked: bool,
    pub level_ppm: u64,
    /// The certificate's epoch nullifier.
    pub nullifier: Fp,
    /// The venue's credit line in the certificate, uusd.
    pub line_uusd: u128,
    /// The order checked against the line (empty: none).
    pub order: Position,
}

pub fn public_inputs(view: &PublicView) -> String {
    let s = view.snapshot;
    let venue = &s.venues[view.venue];
    let order = if view.order == Position::EMPTY {
        "none".to_string()
    } else {
        describe(s, &view.order, true)
    };
    let rows = vec![
        vec!["profile".to_string(), s.profile.name.to_string()],
        vec![
            "snapshot".into(),
            format!(
                "epoch {}, digest {}, valid {} to {}",
                s.epoch,
                digest_to_hex(&s.digest()),
                utc(s.valid_from),
                utc(s.valid_until)
            ),
        ],
        vec!["venue".into(), format!("{} (id {})", venue.name, venue.id)],
        vec![
            "account tag".into(),
            format!(
                "{}{}",
                tag_text(&view.tag),
                if view.tag_checked {
                    " (the registered tag)"
                } else {
                    " (not checked against a registration)"
                }
            ),
        ],
        vec![
            "level".into(),
            format!("{} maintenance margin", level_text(view.level_ppm)),
        ],
        vec!["nullifier".into(), tag_text(&view.nullifier)],
        vec![
            "credit line".into(),
            format!("{} USD", format_scaled(view.line_uusd as i128, 6)),
        ],
        vec!["order".into(), order],
    ];
    table(&rows, &[false, false], 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_has_six_decimals() {
        assert_eq!(usd(0), "0.000000");
        assert_eq!(usd(1), "0.000001");
        assert_eq!(usd(-12_500_000), "-12.500000");
        assert_eq!(usd(141_135_727_500), "141135.727500");
        assert_eq!(usd_u(u128::MAX), usd(i128::MAX));
        assert_eq!(fixed(-1, 12), "-0.000000000001");
        assert_eq!(fixed(10_185_052_500_000_000, 12), "10185.052500000000");
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_767_225_600), "2026-01-01 00:00:00 UTC");
        assert_eq!(utc(1_767_312_000 + 3_661), "2026-01-02 01:01:01 UTC");
        // A leap day.
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_709_164_800), "2024-02-29 00:00:00 UTC");
        assert_eq!(utc(4_102_444_800), "2100-01-01 00:00:00 UTC");
        // The largest time a file may hold (< 2^40) still formats.
        assert!(utc((1 << 40) - 1).starts_with("36812-"));
    }

    #[test]
    fn small_formats() {
        assert_eq!(level_text(1_500_000), "1.5x");
        assert_eq!(level_text(1_000_000), "1x");
        assert_eq!(percent(30_000), "3%");
        assert_eq!(percent(12_500), "1.25%");
        assert_eq!(duration(604_800), "7d");
        assert_eq!(duration(7_200), "2h");
        assert_eq!(duration(90), "90s");
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(90_061), "1d 1h");
    }

    #[test]
    fn tables_align() {
        let rows = vec![
            vec!["a".to_string(), "1".into()],
            vec!["long".into(), "22".into()],
        ];
        assert_eq!(table(&rows, &[false, true], 1), " a      1\n long  22\n");
    }
}
