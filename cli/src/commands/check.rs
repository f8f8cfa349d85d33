//! `zkmargin check --snapshot S --account A [--venue NAME] [--level X] [--order JSON] [--json]`
//!
//! The margin report of the reference engine (`margin::evaluate`, the rules the circuit
//! proves), without proving: collateral per chain and asset, figures per venue and slot, the
//! order's margin, the totals and the headroom. Exit 0 when solvent, 2 when insolvent, 1 on
//! bad input.

use std::path::Path;

use zkmargin_circuits::input_error::InputError;
use zkmargin_circuits::margin::{MarginError, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_prover::account::Account;
use zkmargin_prover::prove;

use crate::errors::{Failure, Outcome, INSOLVENT, OK};
use crate::inputs::{load_account, load_snapshot, parse_level, parse_order, venue_index};
use crate::report::{json_text, margin_json, margin_table, print, View};
use crate::CheckArgs;

/// A book the engine cannot value. The account file was checked when read, so this names it.
pub fn margin_failure(account: &Path, e: MarginError) -> Failure {
    Failure::input(InputError::new(
        account.display().to_string(),
        "(book)",
        format!("cannot be valued under the snapshot: {e}"),
    ))
}

/// The report of a book with an optional order at `venue`.
pub fn evaluate(
    snapshot: &Snapshot,
    account: &Account,
    account_path: &Path,
    venue: Option<usize>,
    level_ppm: u64,
    order: Option<zkmargin_circuits::margin::Position>,
) -> Result<Report, Failure> {
    prove::report(snapshot, account, venue, level_ppm, order)
        .map_err(|e| margin_failure(account_path, e))
}

pub fn run(args: &CheckArgs) -> Outcome {
    let level = parse_level(args.level.as_deref())?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let venue = args
        .venue
        .as_deref()
        .map(|name| venue_index(&snapshot, name))
        .transpose()?;
    let order = parse_order(args.order.as_deref(), venue, &snapshot)?;
    let account = load_account(&args.account, &snapshot)?;
    let report = evaluate(&snapshot, &account, &args.account, venue, level, order)?;
    let view = View {
        snapshot: &snapshot,
        account: &account,
        venue,
        order,
    };
    if args.json {
        print(&json_text(&margin_json(&view, &report)));
    } else {
        print(&margin_table(&view, &report));
    }
    Ok(if report.solvent { OK } else { INSOLVENT })
}
