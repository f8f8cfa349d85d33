//! `zkmargin prove --snapshot S --account A --venue NAME [--level X] [--order JSON] --out P`
//!
//! Values the book with the reference engine, refuses an insolvent one (exit 2, nothing
//! written), proves the rest with Halo2, checks the new proof against the verifying key, and
//! writes the envelope atomically. Prints the account tag the venue should know the trader by.

use std::path::Path;

use ff::PrimeField;
use zkmargin_circuits::hash::{account_tag, Fp};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::write::write_atomic;
use zkmargin_prover::keys::keys;
use zkmargin_prover::prove::{self, ProveError};
use zkmargin_verifier::verify::verify_statement;

use crate::commands::check::margin_failure;
use crate::errors::{eprint_line, Failure, Outcome, BUG, INSOLVENT, OK};
use crate::inputs::{
    label, load_account, load_snapshot, now, parse_level, parse_order, venue_index,
};
use crate::report::{describe, level_text, print, tag_text, utc, verdict};
use crate::ProveArgs;

/// Checks before the slow part that the proof can be written to `out`, and that writing it
/// would not replace one of the inputs (`(flag, path)`), such as the account file.
pub fn check_out_path(out: &Path, inputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let refuse = |reason: String| Failure::input(InputError::new(label(out), "--out", reason));
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

pub fn run(args: &ProveArgs) -> Outcome {
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

    let envelope = match prove::prove(&snapshot, &account, venue, level, order) {
        Ok(envelope) => envelope,
        Err(ProveError::Insolvent { report, .. }) => {
            print(&format!(
                "{}\nno proof written (zkmargin check prints the whole report)\n",
                verdict(&report)
            ));
            return Ok(INSOLVENT);
        }
        Err(ProveError::Margin(e)) => return Err(margin_failure(&args.account, e)),
        Err(e @ ProveError::Profile { .. }) => {
            return Err(Failure::input(InputError::new(
                label(&args.account),
                "profile",
                e.to_string(),
            )))
        }
        Err(ProveError::Keys(e)) => {
            return Err(Failure::other(
                "keys",
                format!("profile {}", snapshot.profile.name),
                e.to_string(),
            ))
        }
        Err(ProveError::Proof(e)) => {
            return Err(Failure::other(
                "prover",
                format!("profile {}", snapshot.profile.name),
                format!("proving failed: {e:?}"),
            ))
        }
    };

    // Never hand out a proof the venue would refuse: check it against the verifying key.
    let statement = prove::statement(&snapshot, &account, venue, level, order)
        .map_err(|e| margin_failure(&args.account, e))?;
    let keys = keys(snapshot.profile).map_err(|e| {
        Failure::other(
            "keys",
            format!("profile {}", snapshot.profile.name),
            e.to_string(),
        )
    })?;
    if let Err(rejection) = verify_statement(&keys.params, keys.vk(), &envelope.proof, &statement) {
        return Err(Failure {
            code: BUG,
            error: InputError::new(
                "prover",
                format!("profile {}", snapshot.profile.name),
                format!("the new proof does not verify ({rejection}); nothing written"),
            ),
        });
    }

    let bytes = envelope.encode();
    write_atomic(&args.out, &bytes, None)
        .map_err(|e| Failure::io(&args.out, "--out", "cannot write the proof", &e))?;

    let venue_member = &snapshot.venues[venue];
    let tag = account_tag(account.sk, venue_member.id);
    debug_assert_eq!(
        Some(tag),
        Option::<Fp>::from(Fp::from_repr(envelope.account_tag))
    );
    let report = prove::report(&snapshot, &account, Some(venue), level, order)
        .map_err(|e| margin_failure(&args.account, e))?;
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
