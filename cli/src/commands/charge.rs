//! `zkmargin charge --snapshot S --venue NAME --order JSON [--fill PRICE] [--level X] [--json]`
//!
//! What one order takes from a trader's credit line at a venue (DESIGN.md, "Units"): the
//! order's maintenance margin at the certificate's level, plus the cash the trader pays at the
//! fill. The arithmetic is the reference engine's (`zkmargin_circuits::charge`), the same a
//! venue's ledger charges, so a trader can see the cost of an order before sending it.
//!
//! `--fill` is the execution price (USD; for an option, the premium per unit). Without it, a
//! perpetual fills at the snapshot price (no cash out), a call at its underlying's price and a
//! put at its strike: both bound the premium, so the default never undercharges.

use zkmargin_circuits::charge::{default_fill, order_charge};
use zkmargin_circuits::margin::Order;
use zkmargin_circuits::units::PRICE_DECIMALS;
use zkmargin_formats::decimal;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::{shown, Json};

use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{label, load_snapshot, parse_level, parse_order, venue_index};
use crate::output::{describe, json_text, level_text, price, print, usd, uusd};
use crate::ChargeArgs;

pub fn run(args: &ChargeArgs) -> CommandResult {
    let snapshot = load_snapshot(&args.snapshot)?;
    let venue = venue_index(&snapshot, &args.venue)?;
    let level_ppm = parse_level(args.level.as_deref())?;
    let position = parse_order(Some(&args.order), Some(venue), &snapshot)?
        .ok_or_else(|| CliError::flag("--order", "is required"))?;
    let order = Order { venue, position };
    let params = snapshot.risk_params();
    let refused = |e: zkmargin_circuits::margin::MarginError| {
        CliError::input(InputError::new(
            label(&args.snapshot),
            "--order",
            format!("cannot be charged under the snapshot: {e}"),
        ))
    };
    let fill = match args.fill.as_deref() {
        Some(text) => parse_fill(text)?,
        None => default_fill(&params, &order).map_err(refused)?,
    };
    let charge = order_charge(&params, &order, fill, level_ppm).map_err(refused)?;
    if args.json {
        let object = Json::object([
            ("charge_uusd", uusd(charge.total)),
            ("mm_uusd", uusd(charge.mm)),
            ("margin_uusd", uusd(charge.margin)),
            ("cash_out_uusd", uusd(charge.cash_out)),
            ("fill", Json::str(price(fill))),
            ("level_ppm", Json::uint(level_ppm)),
        ]);
        print(&json_text(&object));
        return Ok(OK);
    }
    print(&format!(
        "order     {} at {}\nfill      {} USD{}\nmargin    {} USD  (mm {} USD at {})\ncash out  {} USD\ncharge    {} USD\n",
        describe(&snapshot, &position, true),
        snapshot.venues[venue].name,
        price(fill),
        if args.fill.is_none() { " (default)" } else { "" },
        usd(charge.margin as i128),
        usd(charge.mm as i128),
        level_text(level_ppm),
        usd(charge.cash_out as i128),
        usd(charge.total as i128),
    ));
    Ok(OK)
}

/// `--fill`: a price in USD, exact to 1e-8, below 2^48 e8 (the bound of every price).
fn parse_fill(text: &str) -> Result<u64, CliError> {
    let hint = "the fill is a price in USD, such as 97100.5";
    let e8 = decimal::parse_fixed_point(text, PRICE_DECIMALS)
        .map_err(|e| CliError::flag("--fill", format!("{e}: {hint}")))?;
    if !(0..1i128 << 48).contains(&e8) {
        return Err(CliError::flag(
            "--fill",
            format!("{} is out of range: {hint}", shown(text)),
        ));
    }
    Ok(e8 as u64)
}
