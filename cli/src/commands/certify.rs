//! `zkmargin certify --snapshot S --account A [--level X] --allow VENUE=USD... --out DIR`
//!
//! The trader's certificate for the epoch: one proof that the book's headroom at the level
//! covers the credit lines it grants itself, one per venue. Writes `DIR/certificate.zkm` and
//! one grant per venue, `DIR/grants/<venue>.json` (mode 0600: a grant opens that venue's line,
//! and only that venue should see it). `--allow VENUE=max` gives one venue all the headroom the
//! other lines leave; a venue not named gets a zero line (its grant still lets it verify that
//! it holds nothing). Lines above the headroom exit 2, say by how much, and write nothing.

use std::path::{Path, PathBuf};

use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::LINE_BITS;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::decimal::{self, format_scaled};
use zkmargin_formats::grant::write_grant;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::write::write_atomic;
use zkmargin_prover::{allocate, certify, margin_report, Certified, LineRequest, ProveError};

use crate::commands::check::margin_error;
use crate::commands::prove::prove_error;
use crate::errors::{CliError, CommandResult, INSOLVENT, OK};
use crate::inputs::{label, load_account, load_snapshot, parse_level, venue_index};
use crate::output::{level_text, print, tag_text, verdict};
use crate::CertifyArgs;

/// Mode of the grant files: the trader's and one venue's secret.
const GRANT_MODE: u32 = 0o600;

fn usd(uusd: u128) -> String {
    format_scaled(uusd as i128, 6)
}

/// `--allow VENUE=USD` or `VENUE=max`, one per venue at most, one `max` at most.
pub fn parse_allowances(
    allows: &[String],
    snapshot: &Snapshot,
) -> Result<Vec<Option<LineRequest>>, CliError> {
    let mut requests: Vec<Option<LineRequest>> = vec![None; snapshot.venues.len()];
    let hint = "expected VENUE=USD (such as deribit=2500.5) or VENUE=max";
    for allow in allows {
        let Some((name, amount)) = allow.split_once('=') else {
            return Err(CliError::flag(
                "--allow",
                format!("{}: {hint}", shown(allow)),
            ));
        };
        let v = venue_index(snapshot, name).map_err(|_| {
            let known: Vec<&str> = snapshot.venues.iter().map(|v| v.name.as_str()).collect();
            CliError::flag(
                "--allow",
                format!(
                    "{} is not a venue of the snapshot (venues: {})",
                    shown(name),
                    known.join(", ")
                ),
            )
        })?;
        if requests[v].is_some() {
            return Err(CliError::flag(
                "--allow",
                format!("venue {} is given twice", shown(name)),
            ));
        }
        let request = if amount == "max" {
            if requests.contains(&Some(LineRequest::Rest)) {
                return Err(CliError::flag(
                    "--allow",
                    "only one venue can take the rest (max)",
                ));
            }
            LineRequest::Rest
        } else {
            let uusd = decimal::parse_fixed_point(amount, 6)
                .map_err(|e| CliError::flag("--allow", format!("{name}: {e}: {hint}")))?;
            if uusd < 0 || uusd >> LINE_BITS != 0 {
                return Err(CliError::flag(
                    "--allow",
                    format!(
                        "{name}: a line is from 0 to below 2^100 uusd, not {}",
                        shown(amount)
                    ),
                ));
            }
            LineRequest::Amount(uusd as u128)
        };
        requests[v] = Some(request);
    }
    Ok(requests)
}

/// `--out DIR`: a directory, or a new one whose parent exists (created when writing).
fn check_out_dir(dir: &Path) -> Result<(), CliError> {
    let refuse = |reason: String| CliError::input(InputError::new(label(dir), "--out", reason));
    if dir.exists() && !dir.is_dir() {
        return Err(refuse(
            "is not a directory: give the directory to write the certificate and grants in".into(),
        ));
    }
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !dir.exists() && !parent.is_dir() {
        return Err(refuse(format!(
            "the directory {} does not exist",
            parent.display()
        )));
    }
    Ok(())
}

/// The grant file of venue `name` under `dir`.
pub fn grant_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("grants").join(format!("{name}.json"))
}

/// Writes the certificate and the grants (the grants first: a directory whose certificate
/// exists holds all its grants).
pub fn write_files(dir: &Path, certified: &Certified) -> Result<PathBuf, CliError> {
    let grants_dir = dir.join("grants");
    std::fs::create_dir_all(&grants_dir)
        .map_err(|e| CliError::io(&grants_dir, "--out", "cannot create the directory", &e))?;
    for grant in &certified.grants {
        let path = grant_path(dir, &grant.venue);
        write_atomic(&path, write_grant(grant).as_bytes(), Some(GRANT_MODE))
            .map_err(|e| CliError::io(&path, "--out", "cannot write the grant", &e))?;
    }
    let path = dir.join("certificate.zkm");
    write_atomic(&path, &certified.bytes, None)
        .map_err(|e| CliError::io(&path, "--out", "cannot write the certificate", &e))?;
    Ok(path)
}

pub fn run(args: &CertifyArgs) -> CommandResult {
    let level = parse_level(args.level.as_deref())?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let requests = parse_allowances(&args.allow, &snapshot)?;
    let account = load_account(&args.account, &snapshot)?;
    check_out_dir(&args.out)?;
    let report = margin_report(&snapshot, &account, None, level, None)
        .map_err(|e| margin_error(&args.account, e))?;
    let allowances = allocate(&report, &requests);
    let certified = match certify(&snapshot, &account, level, &allowances) {
        Ok(certified) => certified,
        Err(ProveError::OverHeadroom {
            by, lines, report, ..
        }) => {
            print(&format!(
                "{}\nthe lines ({} USD) exceed the headroom by {} USD\nnothing written\n",
                verdict(&report),
                usd(lines),
                usd(by)
            ));
            return Ok(INSOLVENT);
        }
        Err(e) => return Err(prove_error(&args.account, snapshot.profile.name, e)),
    };
    let path = write_files(&args.out, &certified)?;
    let digest = Certificate::digest_of(&certified.bytes);
    let mut out = format!(
        "certificate written to {} ({} bytes, profile {}, digest {})\n",
        path.display(),
        certified.bytes.len(),
        snapshot.profile.name,
        digest_to_hex(&digest)
    );
    out.push_str(&format!(
        "  epoch        {} (the nullifier is the same for every certificate of this account \
         in this epoch)\n  nullifier    {}\n  level        {} maintenance margin\n",
        snapshot.epoch,
        fp_to_hex(&certified.statement.nullifier),
        level_text(level)
    ));
    for grant in &certified.grants {
        out.push_str(&format!(
            "  line at {:<12} {:>20} USD  tag {}  grant {}\n",
            grant.venue,
            usd(grant.allowance_uusd),
            tag_text(&grant.tag),
            grant_path(&args.out, &grant.venue).display()
        ));
    }
    out.push_str(&format!(
        "  left         {} USD of headroom not granted\n{}\n",
        usd(certified.left),
        verdict(&certified.report)
    ));
    out.push_str(&format!(
        "Send each venue its own grant with the certificate; it verifies with\n  zkmargin \
         verify --snapshot {} --certificate {} --grant {} --venue {}\n",
        args.snapshot.display(),
        path.display(),
        grant_path(&args.out, &snapshot.venues[0].name).display(),
        snapshot.venues[0].name
    ));
    print(&out);
    Ok(OK)
}
