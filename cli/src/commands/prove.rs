//! `zkmargin prove --snapshot S --account A --venue NAME [--level X] [--order JSON] --out P`
//!
//! `zkmargin_prover::prove` values the book with the reference engine, refuses an insolvent one
//! (exit 2, nothing written), proves the rest with Halo2 and checks the new proof against the
//! verifying key (a proof that fails its own check is an internal error, exit 4, nothing
//! written). This command writes the envelope atomically and prints the answer: the margin
//! verdict and the account tag the venue should know the trader by.

use std::path::Path;

use zkmargin_formats::input_error::InputError;
use zkmargin_formats::write::write_atomic;
use zkmargin_prover::{prove, ProveError, Proved};

use crate::commands::check::margin_error;
use crate::errors::{eprint_line, CliError, CommandResult, INSOLVENT, OK};
use crate::inputs::{
    label, load_account, load_snapshot, now, parse_level, parse_order, venue_index,
};
use crate::output::{describe, level_text, print, tag_text, utc, verdict};
use crate::ProveArgs;

/// Checks before the slow part that the proof can be written to `out`, and that writing it
/// would not replace one of the inputs (`(flag, path)`), such as the account file.
pub fn check_out_path(out: &Path, inputs: &[(&str, &Path)]) -> Result<(), CliError> {
    let refuse = |reason: String| CliError::input(InputError::new(label(out), "--out", reason));
    if let Ok(target) = std::fs::canonicalize(out) {
        for (flag, input) in inputs {
            if std::fs::canonicalize(input).is_ok_and(|i| i == target) {
                return Err(refuse(format!(
                    "is the {flag} file: refusing to replace it with a proof"
                )));
            }
        }
    }
    if out.is_dir() {
        return Err(refuse(
            "is a directory: give the path of the proof file to write".into(),
        ));
    }
    if out.file_name().is_none() {
        return Err(refuse("is not a file path".into()));
    }
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(refuse(format!(
            "the directory {} does not exist",
            dir.display()
        )));
    }
    Ok(())
}

/// The error of a proof that was not made (other than an insolvent book): the account file's
/// when the book or the profile does not fit the snapshot, internal otherwise.
pub fn prove_error(account: &Path, profile: &str, e: ProveError) -> CliError {
    match e {
        ProveError::Margin(e) => margin_error(account, e),
        e @ (ProveError::Profile { .. }
        | ProveError::LineTooLarge(_)
        | ProveError::LineCount { .. }) => {
            CliError::input(InputError::new(label(account), "profile", e.to_string()))
        }
        e => {
            debug_assert!(e.is_internal());
            CliError::internal(format!("proving (profile {profile})"), e)
        }
    }
}

pub fn run(args: &ProveArgs) -> CommandResult {
    let level = parse_level(args.level.as_deref())?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let venue = venue_index(&snapshot, &args.venue)?;
    let order = parse_order(args.order.as_deref(), Some(venue), &snapshot)?;
    let account = load_account(&args.account, &snapshot)?;
    check_out_path(
        &args.out,
        &[
            ("--account", args.account.as_path()),
            ("--snapshot", args.snapshot.as_path()),
        ],
    )?;

    let time = now();
    if time > snapshot.valid_until {
        eprint_line(&format!(
            "note: the snapshot expired at {}: venues will reject a proof against it",
            utc(snapshot.valid_until)
        ));
    } else if time < snapshot.valid_from {
        eprint_line(&format!(
            "note: the snapshot is valid only from {}: venues will reject the proof until then",
            utc(snapshot.valid_from)
        ));
    }

    let Proved {
        envelope,
        report,
        tag,
        ..
    } = match prove(&snapshot, &account, venue, level, order) {
        Ok(proved) => proved,
        Err(ProveError::OverHeadroom { report, by, .. }) => {
            print(&format!(
                "{}\nthe order's charge exceeds the headroom by {} USD\nno proof written \
                 (zkmargin check prints the whole report)\n",
                verdict(&report),
                zkmargin_formats::decimal::format_scaled(by as i128, 6)
            ));
            return Ok(INSOLVENT);
        }
        Err(e) => return Err(prove_error(&args.account, snapshot.profile.name, e)),
    };
    let bytes = envelope.encode();
    write_atomic(&args.out, &bytes, None)
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the proof", &e))?;

    let venue_member = &snapshot.venues[venue];
    let order_text = order.map_or("none".to_string(), |p| describe(&snapshot, &p, true));
    let mut out = format!(
        "proof written to {} ({} bytes, profile {})\n",
        args.out.display(),
        bytes.len(),
        snapshot.profile.name
    );
    out.push_str(&format!(
        "  venue        {} (id {})\n  account tag  {}\n  level        {} maintenance margin\n  order        {}\n  snapshot     epoch {}, valid until {}\n",
        venue_member.name,
        venue_member.id,
        tag_text(&tag),
        level_text(level),
        order_text,
        snapshot.epoch,
        utc(snapshot.valid_until),
    ));
    out.push_str(&format!("{}\n", verdict(&report)));
    out.push_str(&format!(
        "Register the account tag with {} once; it verifies with\n  zkmargin verify --snapshot {} --proof {} --venue {} --tag {}{}\n",
        venue_member.name,
        args.snapshot.display(),
        args.out.display(),
        venue_member.name,
        tag_text(&tag),
        if level != 1_000_000 {
            format!(" --level {}", zkmargin_formats::decimal::format_scaled(level as i128, 6))
        } else {
            String::new()
        }
    ));
    print(&out);
    Ok(OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{BAD_INPUT, INTERNAL};
    use zkmargin_circuits::margin::MarginError;
    use zkmargin_verifier::Rejection;

    #[test]
    fn internal_prove_errors_exit_4_and_input_errors_exit_1() {
        let account = Path::new("alice.json");
        let internal = [
            ProveError::Proof(halo2_proofs::plonk::Error::Synthesis),
            ProveError::SelfCheck(Rejection::Proof),
        ];
        for e in internal {
            let error = prove_error(account, "small", e);
            assert_eq!(error.exit_code(), INTERNAL, "{error}");
            assert!(error
                .to_string()
                .starts_with("internal error: proving (profile small): "));
        }
        let input = [
            ProveError::Margin(MarginError::UnknownAsset(9)),
            ProveError::Profile {
                account: "small".into(),
                snapshot: "standard".into(),
            },
        ];
        for e in input {
            let error = prove_error(account, "small", e);
            assert_eq!(error.exit_code(), BAD_INPUT, "{error}");
            assert!(error.to_string().starts_with("alice.json: "), "{error}");
        }
    }
}
