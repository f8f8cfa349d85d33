//! What the commands print: the public inputs a venue learns, the verdict line, and the small
//! formatting helpers every command shares (the margin report is `margin_report`).
//!
//! Money is printed in USD with exactly 6 decimals (one uusd), computed from the reference
//! engine's integers (`margin::evaluate`), never through floating point.

use std::io::{self, Write};

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::margin::{Kind, Position, Report, Side};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{AMOUNT_DECIMALS, PRICE_DECIMALS};
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::json::{self, Json};

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

pub fn iusd(value: i128) -> Json {
    Json::str(value.to_string())
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
