//! `zkmargin verify --snapshot S --proof P --venue NAME [--tag HEX] [--level X] [--at UNIX]
//! [--order JSON]`
//!
//! The venue's side. It trusts its snapshot, knows its own name, the tag the trader
//! registered, the level it demands and the order it was sent; it rebuilds the public inputs
//! from those (never from the proof file) and checks the proof against the pinned verifying
//! key. Exit 0 and `VALID` with what it learned; exit 3 and `REJECTED: <reason>` for any proof
//! that does not show what it requires, a malformed proof file included; exit 1 when the
//! snapshot, a flag or the proof file itself cannot be read.

use std::time::{Duration, Instant};

use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_verifier::envelope::Envelope;
use zkmargin_verifier::keys::verifying_key;
use zkmargin_verifier::verify::{check, verify_bytes, Expectation, Rejection};

use crate::errors::{eprint_line, Failure, Outcome, OK, REJECTED};
use crate::inputs::{
    load_snapshot, parse_at, parse_level, parse_order, parse_tag, read_bytes, venue_index,
    PROOF_FILE_LIMIT,
};
use crate::report::{print, public_inputs, PublicView};
use crate::VerifyArgs;

/// How long the venue's two steps took.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Parameters (cached on disk) and the verifying key (rebuilt, digest pinned).
    pub keys: Duration,
    /// The proof itself.
    pub verify: Duration,
}

/// The venue's verdict: what the proof showed, or why it was refused.
pub type Verdict = Result<(Envelope, PublicStatement), Rejection>;

/// Checks a proof file's bytes against what the venue expects. The cheap checks (envelope,
/// snapshot, venue, tag, level, freshness, order, length) come first, so a wrong proof is
/// refused before the verifying key is built. `Err` only when the keys cannot be had.
pub fn verify_proof_bytes(
    bytes: &[u8],
    expect: &Expectation<'_>,
) -> Result<(Verdict, Timings), Failure> {
    let mut timings = Timings::default();
    let envelope = match Envelope::decode(bytes) {
        Ok(envelope) => envelope,
        Err(e) => return Ok((Err(e.into()), timings)),
    };
    if let Err(rejection) = check(&envelope, expect) {
        return Ok((Err(rejection), timings));
    }
    let profile = expect.snapshot.profile;
    let keys_failed = |e: String| Failure::other("keys", format!("profile {}", profile.name), e);
    let started = Instant::now();
    let params = zkmargin_prover::keys::params(profile).map_err(|e| keys_failed(e.to_string()))?;
    let vk = verifying_key(&params, profile).map_err(|e| keys_failed(e.to_string()))?;
    timings.keys = started.elapsed();
    let started = Instant::now();
    let verdict = verify_bytes(&params, &vk, bytes, expect);
    timings.verify = started.elapsed();
    Ok((verdict, timings))
}

/// What the venue learned, then `VALID`.
pub fn valid_text(
    snapshot: &Snapshot,
    venue: usize,
    statement: &PublicStatement,
    tag_checked: bool,
) -> String {
    let mut out = public_inputs(&PublicView {
        snapshot,
        venue,
        tag: statement.account_tag,
        tag_checked,
        level_ppm: statement.level_ppm,
        order: statement.order,
    });
    out.push_str("VALID\n");
    out
}

pub fn run(args: &VerifyArgs) -> Outcome {
    let level = parse_level(args.level.as_deref())?;
    let at = parse_at(args.at.as_deref())?;
    let tag = parse_tag(args.tag.as_deref())?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let venue = venue_index(&snapshot, &args.venue)?;
    let order = parse_order(args.order.as_deref(), Some(venue), &snapshot)?;
    let bytes = read_bytes(&args.proof, "--proof", PROOF_FILE_LIMIT)?;
    let expect = Expectation {
        snapshot: &snapshot,
        venue_index: venue,
        tag,
        min_level_ppm: level,
        order,
        at,
    };
    let (verdict, _) = verify_proof_bytes(&bytes, &expect)?;
    match verdict {
        Ok((_, statement)) => {
            if tag.is_none() {
                eprint_line(
                    "note: the account tag was not checked against a registration \
                     (pass --tag with the tag the trader registered at this venue)",
                );
            }
            print(&valid_text(&snapshot, venue, &statement, tag.is_some()));
            Ok(OK)
        }
        Err(rejection) => {
            let reason = rejection.to_string().replace(['\n', '\r'], " ");
            print(&format!("REJECTED: {reason}\n"));
            Ok(REJECTED)
        }
    }
}
