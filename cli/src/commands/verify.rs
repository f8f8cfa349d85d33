//! `zkmargin verify --snapshot S --proof P --venue NAME [--tag HEX] [--level X] [--at UNIX]
//! [--order JSON] [--publisher KEY]`
//!
//! With `--publisher`, the snapshot must carry a valid Ed25519 signature of its digest by that
//! key (`zkmargin_verifier::publisher`); an unsigned snapshot, one signed by another key, or one
//! changed after signing is bad input (exit 1, naming the snapshot's `signature` or
//! `publisher_key`), like a snapshot whose digest does not match. Without it, a note on
//! standard error says that the snapshot's origin was not checked.
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
use zkmargin_formats::input_error::InputError;
use zkmargin_prover::progress::Stage;
use zkmargin_verifier::verify::check;
use zkmargin_verifier::{Envelope, Expectation, Rejection, VerifierKeys};

use crate::errors::{eprint_line, CliError, CommandResult, OK, REJECTED};
use crate::inputs::{
    label, load_signed_snapshot, parse_at, parse_level, parse_order, parse_publisher, parse_tag,
    read_bytes, venue_index, PROOF_FILE_LIMIT,
};
use crate::output::{print, public_inputs, PublicView};
use crate::VerifyArgs;

/// How long the venue's two steps took.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Parameters (cached on disk) and the verifying key (rebuilt, digest pinned).
    pub keys: Duration,
    /// The proof itself.
    pub verify: Duration,
}

/// The venue's verdict: the statement the proof showed, or why it was refused.
pub type Verdict = Result<PublicStatement, Rejection>;

/// Checks a proof file's bytes against what the venue expects: the envelope is decoded once,
/// the cheap checks (snapshot, venue, tag, level, freshness, order, length) come first, so a
/// wrong proof is refused before the keys are built, then the proof against the pinned
/// verifying key (`zkmargin_verifier` alone: parameters and key are the verifier's). `Err` only
/// when the keys cannot be had (an internal error).
pub fn verify_proof_bytes(
    bytes: &[u8],
    expect: &Expectation<'_>,
) -> Result<(Verdict, Timings), CliError> {
    let mut timings = Timings::default();
    let envelope = match Envelope::decode(bytes) {
        Ok(envelope) => envelope,
        Err(e) => return Ok((Err(e.into()), timings)),
    };
    let statement = match check(&envelope, expect) {
        Ok(statement) => statement,
        Err(rejection) => return Ok((Err(rejection), timings)),
    };
    let profile = expect.snapshot.profile;
    let started = Instant::now();
    let stage = Stage::start(format!("the venue's keys of profile {}", profile.name));
    let keys = VerifierKeys::for_profile(profile)
        .map_err(|e| CliError::internal(format!("verifier keys of profile {}", profile.name), e))?;
    stage.finish(format!(
        "the venue's keys of profile {} (parameters: {:?})",
        profile.name,
        keys.params_source()
    ));
    timings.keys = started.elapsed();
    let started = Instant::now();
    let verdict = keys
        .verify_statement(&envelope.proof, &statement)
        .map(|()| statement);
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

pub fn run(args: &VerifyArgs) -> CommandResult {
    let level = parse_level(args.level.as_deref())?;
    let at = parse_at(args.at.as_deref())?;
    let tag = parse_tag(args.tag.as_deref())?;
    let publisher = args.publisher.as_deref().map(parse_publisher).transpose()?;
    let signed = load_signed_snapshot(&args.snapshot)?;
    let origin = match &publisher {
        Some(key) => {
            signed.require_publisher(key).map_err(|e| {
                CliError::input(InputError::new(
                    label(&args.snapshot),
                    e.field(),
                    e.to_string(),
                ))
            })?;
            Some(format!(
                "snapshot signed by the publisher {} (signature checked)\n",
                key.to_hex()
            ))
        }
        None => None,
    };
    let snapshot = signed.snapshot.clone();
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
    if origin.is_none() {
        let signer = match signed.publisher() {
            Some(key) => format!(
                "; it is signed by {}, a key nothing here vouches for",
                key.to_hex()
            ),
            None => "; it is unsigned".to_string(),
        };
        eprint_line(&format!(
            "note: the snapshot's origin was not checked{signer} (pass --publisher with the \
             risk publisher's public key)"
        ));
    }
    match verdict {
        Ok(statement) => {
            if tag.is_none() {
                eprint_line(
                    "note: the account tag was not checked against a registration \
                     (pass --tag with the tag the trader registered at this venue)",
                );
            }
            let mut text = origin.unwrap_or_default();
            text.push_str(&valid_text(&snapshot, venue, &statement, tag.is_some()));
            print(&text);
            Ok(OK)
        }
        Err(rejection) => {
            let reason = rejection.to_string().replace(['\n', '\r'], " ");
            print(&format!("REJECTED: {reason}\n"));
            Ok(REJECTED)
        }
    }
}
