//! `zkmargin audit [--profile P] [--json] [--full] [--no-proof]
//! [--layout FILE.svg|FILE.png [--rows A..B]]`
//! and `zkmargin audit --vectors DIR`.
//!
//! For an auditor who trusts nothing but this source tree and halo2: for each profile, what
//! the circuit is made of as halo2 itself reports it (`zkmargin_audit::inspect`): `k`, the
//! columns by kind, every gate with its named constraints, every lookup and what it bounds, the
//! equality-enabled columns, the copy constraints by class, the rows used against `2^k` and
//! where each part of the statement sits; then the proof size halo2's cost model predicts next
//! to the size of a real proof of a sample account (`zkmargin_audit::sample`, verified), the
//! parameters' digest next to the pinned one, the verifying key's digest next to the pinned
//! one, and whether the key built here is, byte for byte, the key file verifiers read
//! (`verifier/keys/<profile>.vk`). `docs/CIRCUIT.md` explains every item under the same name.
//!
//! Exit codes: 0 when every digest matches its pin (and every vector verifies); 3 when a
//! verifying key or a parameter file differs from its pin, the sample proof does not verify,
//! or a frozen vector is refused; 1 on bad input.
//!
//! `--layout FILE.svg` draws the layout of one profile (default small) with halo2's
//! `dev-graph`: every region outlined and labelled with its name, searchable in a browser;
//! `FILE.png` draws the same picture, labelled too, as a bitmap (text in the embedded font,
//! `crate::plot`). `--rows 0..400` draws only those rows (a part's rows are listed in the text
//! output).

use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Value};
use zkmargin_audit::inspect::{describe, render_layout, report_text, CircuitReport};
use zkmargin_audit::sample::sample;
use zkmargin_circuits::profile::{Profile, ALL, SMALL};
use zkmargin_prover::vectors::{read_vector, vector_files, verify_vector, Outcome};
use zkmargin_prover::{proof_bytes, ProverKeys};
use zkmargin_verifier::keys::{
    build_verifying_key_unchecked, key_file_bytes, key_file_name, pinned_vk_digest,
    stored_key_file, vk_digest,
};
use zkmargin_verifier::params::{digest_hex, load_or_generate, pinned_digest, to_bytes};

use crate::errors::{CliError, CommandResult, OK, REJECTED};
use crate::inputs::parse_profile;
use crate::output::print;
use crate::plot::{picture_file, save, Format, Picture};

/// `zkmargin audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit only this profile: small, standard, large or desk (default: all four).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print every constraint polynomial in full (the Poseidon rounds are long).
    #[arg(long)]
    pub full: bool,
    /// Skip the real proof of the sample account (no measured proof size).
    #[arg(long)]
    pub no_proof: bool,
    /// Draw the circuit layout, every region labelled, into FILE.svg or FILE.png, for
    /// --profile (default small).
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub layout: Option<PathBuf>,
    /// With --layout: draw only these rows, START..END (default: every used row).
    #[arg(long, value_name = "START..END", requires = "layout")]
    pub rows: Option<String>,
    /// Verify every frozen proof (DIR/*.vector.json) against today's keys, instead of the audit.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["profile", "json", "full", "no_proof", "layout"]
    )]
    pub vectors: Option<PathBuf>,
}

/// Rows of a drawn layout: this many pixels each, so that labels (15 px) do not overlap.
const ROW_PIXELS: usize = 16;
const LAYOUT_WIDTH: u32 = 1800;
/// Tallest PNG layout, in pixels: 1800 x 16000 x 3 bytes is an 86.4 MB bitmap in memory
/// (`plot::PNG_MAX_PIXELS`), where `ROW_PIXELS` a row for a large profile's 2^k rows would be
/// gigabytes. Past 1000 rows the rows are drawn thinner and labels may overlap (`--rows`).
const PNG_MAX_HEIGHT: usize = 16_000;
/// Shortest PNG layout, so that a few rows still make a readable picture.
const PNG_MIN_HEIGHT: usize = 800;

pub fn run(args: &AuditArgs) -> CommandResult {
    if let Some(dir) = &args.vectors {
        return run_vectors(dir);
    }
    let only = parse_profile(args.profile.as_deref())?;
    let rows = args.rows.as_deref().map(parse_rows).transpose()?;
    // Before the audit's minutes of work, not after.
    let layout = picture_file(args.layout.as_deref(), "--layout")?;
    let profiles: Vec<Profile> = match only {
        Some(p) => vec![p],
        None => ALL.to_vec(),
    };
    let mut all_ok = true;
    let mut reports = vec![];
    let mut text = String::new();
    for profile in &profiles {
        let audit = audit_profile(*profile, !args.no_proof)?;
        all_ok &= audit.ok();
        if args.json {
            reports.push(audit.to_json());
        } else {
            text.push_str(&audit.to_text(args.full));
        }
    }
    if let Some((path, format)) = layout {
        let profile = only.unwrap_or(SMALL);
        let note = draw_layout(profile, path, format, rows)?;
        if !args.json {
            text.push_str(&note);
        }
    }
    if args.json {
        let out = json!({
            "format": "zkmargin.audit/1",
            "ok": all_ok,
            "profiles": reports,
        });
        print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&out).unwrap_or_default()
        ));
    } else {
        text.push_str(if all_ok {
            "AUDIT OK: every parameter file, verifying key and key file matches its pin\n"
        } else {
            "AUDIT FAILED: see MISMATCH above\n"
        });
        print(&text);
    }
    Ok(if all_ok { OK } else { REJECTED })
}

/// One profile's findings.
struct ProfileAudit {
    circuit: CircuitReport,
    params_digest: String,
    params_pinned: Option<&'static str>,
    vk_digest: String,
    vk_pinned: Option<&'static str>,
    /// The digests of the built key's file and of the stored one (`None`: no file stored).
    vk_file_digest: String,
    vk_stored_digest: Option<String>,
    /// Length of a real proof of the sample account and whether it verified.
    measured: Option<(usize, bool)>,
}

impl ProfileAudit {
    fn params_ok(&self) -> bool {
        self.params_pinned == Some(self.params_digest.as_str())
    }
    fn vk_ok(&self) -> bool {
        self.vk_pinned == Some(self.vk_digest.as_str())
    }
    fn vk_file_ok(&self) -> bool {
        self.vk_stored_digest.as_deref() == Some(self.vk_file_digest.as_str())
    }
    fn ok(&self) -> bool {
        self.params_ok()
            && self.vk_ok()
            && self.vk_file_ok()
            && self.measured.is_none_or(|(_, valid)| valid)
    }

    fn to_text(&self, full: bool) -> String {
        let r = &self.circuit;
        let p = r.profile;
        let mut out = format!(
            "== profile {}: k = {} (2^{} = {} rows); assets {}, chains {}, venues {}, \
             positions per venue {}, tree depth {}, risk table depth {} ==\n",
            p.name,
            p.k,
            p.k,
            1usize << p.k,
            p.assets,
            p.chains,
            p.venues,
            p.positions,
            p.depth,
            p.risk_depth
        );
        out.push_str(&report_text(r, full));
        out.push_str("where each part of the statement lies (rows first..end, regions):\n");
        for (group, first, end, n) in groups(r) {
            out.push_str(&format!("  {group:<34} {first:>6}..{end:<6} {n:>5}\n"));
        }
        let measured = match self.measured {
            Some((n, true)) => {
                format!("{n} bytes (a real proof of the sample account; it verifies)")
            }
            Some((n, false)) => {
                format!("{n} bytes, and the proof does NOT verify: MISMATCH")
            }
            None => "not measured (--no-proof)".to_string(),
        };
        out.push_str(&format!(
            "proof size: predicted {} bytes (halo2 cost model); measured {measured}\n",
            r.predicted_proof_bytes
        ));
        let verdict = |ok: bool| if ok { "match" } else { "MISMATCH" };
        out.push_str(&format!(
            "parameters (k = {}): BLAKE2b-256 {}\n            pinned         {} ({})\n",
            p.k,
            self.params_digest,
            self.params_pinned.unwrap_or("(none)"),
            verdict(self.params_ok())
        ));
        out.push_str(&format!(
            "verifying key: BLAKE2b-256 {}\n               pinned      {} ({})\n",
            self.vk_digest,
            self.vk_pinned.unwrap_or("(none)"),
            verdict(self.vk_ok())
        ));
        out.push_str(&format!(
            "key file:      BLAKE2b-256 {} (the key built here, written)\n               stored      {} ({}, {})\n\n",
            self.vk_file_digest,
            self.vk_stored_digest.as_deref().unwrap_or("(none)"),
            key_file_name(p),
            verdict(self.vk_file_ok())
        ));
        out
    }

    fn to_json(&self) -> Value {
        let r = &self.circuit;
        let p = r.profile;
        let columns = |cols: &[(String, String)]| -> Value {
            cols.iter()
                .map(|(n, role)| json!({"name": n, "role": role}))
                .collect()
        };
        json!({
            "profile": p.name,
            "k": p.k,
            "dimensions": {
                "assets": p.assets, "chains": p.chains, "venues": p.venues,
                "positions": p.positions, "depth": p.depth, "risk_depth": p.risk_depth,
            },
            "columns": {
                "advice": columns(&r.advice),
                "instance": columns(&r.instance),
                "fixed": columns(&r.fixed),
                "selectors": columns(&r.selectors),
                "fixed_after_selector_compression": r.fixed_after_compression,
            },
            "degree": r.degree,
            "gates": r.gates.iter().map(|g| json!({
                "index": g.index,
                "name": g.name,
                "selectors": g.selectors,
                "constraints": g.constraints.iter().map(|c| json!({
                    "name": g.qualified(c),
                    "expression": c.expression,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "lookups": r.lookups.iter().map(|l| json!({
                "index": l.index,
                "name": format!("lookup: {}", l.name),
                "bounds": l.bounds,
                "inputs": l.inputs,
                "tables": l.tables,
            })).collect::<Vec<_>>(),
            "equality_columns": r.equality_columns,
            "constant_columns": r.constant_columns,
            "copy_constraints": r.copies.iter()
                .map(|(class, n)| (class.name().to_string(), json!(n)))
                .collect::<serde_json::Map<_, _>>(),
            "rows": {
                "used": r.rows_used,
                "usable": r.usable_rows,
                "total": 1usize << p.k,
                "blinding_factors": r.blinding_factors,
                "regions": r.regions.len(),
            },
            "parts": groups(r).iter().map(|(g, first, end, n)| json!({
                "part": g, "first_row": first, "end_row": end, "regions": n,
            })).collect::<Vec<_>>(),
            "proof_bytes": {
                "predicted": r.predicted_proof_bytes,
                "measured": self.measured.map(|(n, _)| n),
                "measured_proof_verifies": self.measured.map(|(_, v)| v),
            },
            "params_digest": {
                "found": self.params_digest,
                "pinned": self.params_pinned,
                "matches": self.params_ok(),
            },
            "vk_digest": {
                "found": self.vk_digest,
                "pinned": self.vk_pinned,
                "matches": self.vk_ok(),
            },
            "vk_file": {
                "file": key_file_name(p),
                "built": self.vk_file_digest,
                "stored": self.vk_stored_digest,
                "matches": self.vk_file_ok(),
            },
        })
    }
}

fn keys_error(profile: Profile, e: impl std::fmt::Display) -> CliError {
    CliError::internal(format!("keys of profile {}", profile.name), e)
}

fn audit_profile(profile: Profile, prove: bool) -> Result<ProfileAudit, CliError> {
    let circuit = describe(profile)
        .map_err(|e| CliError::internal(format!("the circuit of profile {}", profile.name), e))?;
    let (params, _) = load_or_generate(profile.k).map_err(|e| keys_error(profile, e))?;
    let params_digest = digest_hex(&to_bytes(&params));
    let vk = build_verifying_key_unchecked(&params, profile).map_err(|e| keys_error(profile, e))?;
    let found = vk_digest(&vk);
    let vk_pinned = pinned_vk_digest(profile);
    let vk_file_digest = digest_hex(&key_file_bytes(&vk));
    let vk_stored_digest = stored_key_file(profile).map(digest_hex);
    let mut measured = None;
    // A key that is not the pinned, stored one proves nothing a venue would accept: no proof.
    if prove
        && vk_pinned == Some(found.as_str())
        && vk_stored_digest.as_ref() == Some(&vk_file_digest)
    {
        let keys = ProverKeys::build(profile, params, vk).map_err(|e| keys_error(profile, e))?;
        let f = sample(profile).map_err(|e| keys_error(profile, e))?;
        let proof =
            proof_bytes(&keys, &f.statement, &f.witness).map_err(|e| keys_error(profile, e))?;
        let valid = keys.verifier.verify_statement(&proof, &f.statement).is_ok();
        measured = Some((proof.len(), valid));
    }
    Ok(ProfileAudit {
        circuit,
        params_digest,
        params_pinned: pinned_digest(profile.k),
        vk_digest: found,
        vk_pinned,
        vk_file_digest,
        vk_stored_digest,
        measured,
    })
}

/// Coarse groups of regions: the parts of the statement an auditor looks for.
fn group_of(part: &str) -> String {
    let words: Vec<&str> = part.split_whitespace().collect();
    let numbered = |n: usize| words.len() > n && words[n].parse::<usize>().is_ok();
    match words.as_slice() {
        ["chain", ..] if numbered(1) => format!("chain {} (collateral leaf)", words[1]),
        ["venue", _, "slot", ..] if numbered(1) && numbered(3) => {
            format!("venue {} slot {}", words[1], words[3])
        }
        ["venue", ..] if numbered(1) && words.len() == 2 => {
            format!("venue {} (position leaf)", words[1])
        }
        ["asset", ..] if numbered(1) && words.len() == 2 => format!(
            "asset {} (scenario sums, maximum, minimum, contingency)",
            words[1]
        ),
        ["line", ..] | ["listed", ..] | ["tag", "2" | "5"] => "credit lines".into(),
        ["tag", "7"] | ["risk", "root"] | ["keyed", "price", ..] | ["scenario", "sums", ..] => {
            "risk table: domain tag, root, keyed prices".into()
        }
        ["index", "bit", ..] => "account index bits".into(),
        ["nullifier"] | ["tag", "6"] => "nullifier".into(),
        ["sk"] | ["tag", ..] | ["account", ..] => "account key".into(),
        ["range", "table"] => "range table".into(),
        ["mm", "level"]
        | ["collateral", "total"]
        | ["credit", "total"]
        | ["debit", "total"]
        | ["requirement"]
        | ["equity", ..]
        | ["headroom", ..]
        | ["zero"] => "totals and solvency".into(),
        _ => "public inputs (range-checked)".into(),
    }
}

fn groups(r: &CircuitReport) -> Vec<(String, usize, usize, usize)> {
    let mut out: Vec<(String, usize, usize, usize)> = vec![];
    for (part, first, end, n) in r.parts() {
        let group = group_of(&part);
        match out.iter_mut().find(|g| g.0 == group) {
            Some(g) => {
                g.1 = g.1.min(first);
                g.2 = g.2.max(end);
                g.3 += n;
            }
            None => out.push((group, first, end, n)),
        }
    }
    out.sort_by_key(|g| (g.1, g.0.clone()));
    out
}

fn parse_rows(text: &str) -> Result<Range<usize>, CliError> {
    let bad = || {
        CliError::flag(
            "--rows",
            format!("{text:?} is not START..END (row numbers)"),
        )
    };
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (usize, usize) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a >= b {
        return Err(bad());
    }
    Ok(a..b)
}

/// The layout of `profile` over `rows`, every region labelled (halo2's `CircuitLayout`).
struct Layout {
    profile: Profile,
    rows: Range<usize>,
}

impl Picture for Layout {
    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        render_layout(self.profile, area, self.rows.clone(), true)
    }
}

fn draw_layout(
    profile: Profile,
    path: &Path,
    format: Format,
    rows: Option<Range<usize>>,
) -> Result<String, CliError> {
    let report = describe(profile)
        .map_err(|e| CliError::internal(format!("the circuit of profile {}", profile.name), e))?;
    let n = 1usize << profile.k;
    let rows = rows.unwrap_or(0..report.rows_used + 2);
    let rows = rows.start.min(n)..rows.end.min(n);
    if rows.is_empty() {
        return Err(CliError::flag(
            "--rows",
            format!("the circuit has {n} rows"),
        ));
    }
    let full_height = rows.len().saturating_mul(ROW_PIXELS);
    let height = match format {
        // Text: its size grows with the regions drawn, not with the pixels.
        Format::Svg => full_height,
        Format::Png => full_height.clamp(PNG_MIN_HEIGHT, PNG_MAX_HEIGHT),
    };
    let crowded = height < full_height;
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    let layout = Layout {
        profile,
        rows: rows.clone(),
    };
    save(path, "--layout", format, (LAYOUT_WIDTH, height), &layout)?;
    Ok(format!(
        "layout of profile {} (rows {}..{} of {n}; {} columns: instance, advice, fixed; {} \
         regions, each labelled with its name{}) written to {}\n",
        profile.name,
        rows.start,
        rows.end,
        report.advice.len() + report.instance.len() + report.fixed_after_compression,
        report.regions.len(),
        if crowded {
            format!(
                "; {} rows in {height} pixels, so labels may overlap: fewer --rows, or .svg",
                rows.len()
            )
        } else {
            String::new()
        },
        path.display()
    ))
}

fn run_vectors(dir: &Path) -> CommandResult {
    let files = vector_files(dir)?;
    let mut all_valid = true;
    let mut out = String::new();
    for file in files {
        let vector = read_vector(&file)?;
        let outcome = verify_vector(&vector).map_err(|e| keys_error(vector.profile, e))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = match &outcome {
            Outcome::Valid => format!(
                "{name}: VALID (profile {}, epoch {}, venue {}, a {}-byte certificate, verified \
                 at {})",
                vector.profile.name,
                vector.snapshot.epoch,
                vector.venue,
                vector.certificate.len(),
                vector.at
            ),
            Outcome::Rejected(r) => format!("{name}: REJECTED: {r}"),
            Outcome::StaleKey { made_under, pinned } => format!(
                "{name}: REJECTED: made under verifying key {made_under}, today's pinned key is \
                 {pinned}"
            ),
        };
        all_valid &= outcome == Outcome::Valid;
        out.push_str(&line.replace(['\n', '\r'], " "));
        out.push('\n');
    }
    print(&out);
    Ok(if all_valid { OK } else { REJECTED })
}
