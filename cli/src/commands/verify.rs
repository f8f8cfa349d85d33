//! `zkmargin verify --snapshot S (--certificate C --grant G | --proof P [--order JSON])
//! --venue NAME [--tag HEX] [--level X] [--at UNIX] [--publisher KEY] [--json]`
//!
//! With `--publisher`, the snapshot must carry a valid Ed25519 signature of its digest by that
//! key (`zkmargin_verifier::publisher`); an unsigned snapshot, one signed by another key, or one
//! changed after signing is bad input (exit 1, naming the snapshot's `signature` or
//! `publisher_key`), like a snapshot whose digest does not match. Without it, a note on
//! standard error says that the snapshot's origin was not checked.
//!
//! The venue's side. It trusts its snapshot, knows its own name, the tag the trader
//! registered and the level it demands; it takes a certificate with its grant (or the proof
//! file of `prove`, a one-order certificate with the grant inside, and then the order it was
//! sent), rebuilds the public inputs itself (never from the files) and checks the proof against
//! the pinned verifying key. Exit 0 and `VALID` with the credit line it learned; exit 3 and
//! `REJECTED: <reason>` for a certificate that does not show what it requires, a malformed one
//! included; exit 1 when the snapshot, a flag, the grant or a file itself cannot be read.

use std::time::{Duration, Instant};

use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_circuits::margin::Position;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::grant::{read_grant, Grant};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::Json;
use zkmargin_prover::progress::Stage;
use zkmargin_verifier::verify::{check, order_within_line};
use zkmargin_verifier::{Accepted, Envelope, Expectation, Rejection, VerifierKeys};

use crate::errors::{eprint_line, CliError, CommandResult, OK, REJECTED};
use crate::inputs::{
    label, load_signed_snapshot, parse_at, parse_level, parse_order, parse_publisher, parse_tag,
    read_bytes, read_text, venue_index, PROOF_FILE_LIMIT,
};
use crate::output::{json_text, print, public_inputs, PublicView};
use crate::VerifyArgs;

/// Largest grant file read (a grant is a few hundred bytes).
const GRANT_FILE_LIMIT: u64 = 64 << 10;

/// How long the venue's two steps took.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Parameters (cached on disk) and the verifying key (rebuilt, digest pinned).
    pub keys: Duration,
    /// The proof itself.
    pub verify: Duration,
}

/// The venue's verdict: the certificate it took with its line, or why it was refused.
pub type Verdict = Result<Accepted, Rejection>;

/// Checks a certificate file's bytes and its grant against what the venue expects (and, for
/// a one-order proof file, that `order`'s charge fits the line): the certificate is decoded
/// once, the cheap checks (snapshot, freshness, level, grant, commitment, order, length) come
/// first, so a wrong certificate is refused before the keys are built, then the proof against
/// the pinned verifying key (`zkmargin_verifier` alone). `Err` only when the keys cannot be
/// had (an internal error).
pub fn verify_certificate_bytes(
    bytes: &[u8],
    grant: &Grant,
    expect: &Expectation<'_>,
    order: Option<&Position>,
) -> Result<(Verdict, Timings), CliError> {
    let mut timings = Timings::default();
    let certificate = match Certificate::decode(bytes) {
        Ok(certificate) => certificate,
        Err(e) => return Ok((Err(e.into()), timings)),
    };
    let digest = Certificate::digest_of(bytes);
    let accepted = match check(&certificate, &digest, grant, expect) {
        Ok(accepted) => accepted,
        Err(rejection) => return Ok((Err(rejection), timings)),
    };
    if let Some(order) = order {
        let (snapshot, venue) = (expect.snapshot, expect.venue_index);
        if let Err(rejection) = order_within_line(&accepted, snapshot, venue, order, expect.at) {
            return Ok((Err(rejection), timings));
        }
    }
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
        .verify_statement(&certificate.proof, &accepted.statement)
        .map(|()| accepted);
    timings.verify = started.elapsed();
    Ok((verdict, timings))
}

/// [`verify_certificate_bytes`] for the proof file of `prove`: the envelope's certificate and
/// the grant inside it.
pub fn verify_proof_bytes(
    bytes: &[u8],
    expect: &Expectation<'_>,
    order: Option<&Position>,
) -> Result<(Verdict, Timings), CliError> {
    match Envelope::decode(bytes) {
        Ok((envelope, grant)) => {
            verify_certificate_bytes(&envelope.certificate, &grant, expect, order)
        }
        Err(e) => Ok((Err(e.into()), Timings::default())),
    }
}

/// What the venue learned, then `VALID`.
pub fn valid_text(
    snapshot: &Snapshot,
    venue: usize,
    accepted: &Accepted,
    tag_checked: bool,
    order: Option<Position>,
) -> String {
    let mut out = public_inputs(&PublicView {
        snapshot,
        venue,
        tag: accepted.line.tag,
        tag_checked,
        level_ppm: accepted.line.level_ppm,
        nullifier: accepted.line.nullifier,
        line_uusd: accepted.line.allowance,
        order: order.unwrap_or(Position::EMPTY),
    });
    out.push_str("VALID\n");
    out
}

/// `--json`: the verdict as one object.
fn verdict_json(snapshot: &Snapshot, verdict: &Verdict) -> String {
    let object = match verdict {
        Ok(accepted) => Json::object([
            ("valid", Json::Bool(true)),
            ("nullifier", Json::str(fp_to_hex(&accepted.line.nullifier))),
            (
                "allowance_uusd",
                Json::str(accepted.line.allowance.to_string()),
            ),
            ("level_ppm", Json::uint(accepted.line.level_ppm)),
            ("epoch", Json::uint(accepted.line.epoch)),
            ("valid_until", Json::uint(accepted.line.valid_until)),
        ]),
        Err(rejection) => Json::object([
            ("valid", Json::Bool(false)),
            ("epoch", Json::uint(snapshot.epoch)),
            ("valid_until", Json::uint(snapshot.valid_until)),
            ("reason", Json::str(rejection_text(snapshot, rejection))),
        ]),
    };
    json_text(&object)
}

/// The reason a venue is told, on one line. A lapsed snapshot also says how to check a
/// certificate of a past epoch: `--at` a time inside it (the refusal itself stands: a venue
/// takes no certificate of an epoch that is over).
fn rejection_text(snapshot: &Snapshot, rejection: &Rejection) -> String {
    match rejection {
        Rejection::Expired { .. } => format!(
            "{rejection}; to check a certificate of a past epoch, pass --at with a time inside \
             it ({} to {})",
            snapshot.valid_from, snapshot.valid_until
        ),
        _ => rejection.to_string(),
    }
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
    let expect = Expectation {
        snapshot: &snapshot,
        venue_index: venue,
        tag,
        min_level_ppm: level,
        at,
    };
    let registry = match &args.registry {
        Some(path) => Some((
            read_text(path, "--registry", GRANT_FILE_LIMIT)?,
            label(path),
        )),
        None => None,
    };
    let verdict = match (&args.proof, &args.certificate, &args.grant) {
        (Some(proof), None, None) => {
            let bytes = read_bytes(proof, "--proof", PROOF_FILE_LIMIT)?;
            verify_proof_bytes(&bytes, &expect, order.as_ref())?.0
        }
        (None, Some(certificate), Some(grant_path)) => {
            let bytes = read_bytes(certificate, "--certificate", PROOF_FILE_LIMIT)?;
            let text = read_text(grant_path, "--grant", GRANT_FILE_LIMIT)?;
            let grant = read_grant(&text, &label(grant_path)).map_err(CliError::input)?;
            verify_certificate_bytes(&bytes, &grant, &expect, None)?.0
        }
        _ => {
            return Err(CliError::input(InputError::new(
                "command line",
                "--proof",
                "give either --proof, or --certificate with --grant",
            )))
        }
    };
    let verdict = match (verdict, &registry) {
        (Ok(accepted), Some((answer, file))) => {
            match registry_refusal(answer, file, &accepted).map_err(CliError::input)? {
                None => Ok(accepted),
                Some(reason) => Err(Rejection::Registry(reason)),
            }
        }
        (verdict, _) => verdict,
    };
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
    if args.json {
        print(&verdict_json(&snapshot, &verdict));
        return Ok(if verdict.is_ok() { OK } else { REJECTED });
    }
    match verdict {
        Ok(accepted) => {
            if tag.is_none() {
                eprint_line(
                    "note: the account tag was not checked against a registration \
                     (pass --tag with the tag the trader registered at this venue)",
                );
            }
            let mut text = origin.unwrap_or_default();
            text.push_str(&valid_text(
                &snapshot,
                venue,
                &accepted,
                tag.is_some(),
                order,
            ));
            print(&text);
            Ok(OK)
        }
        Err(rejection) => {
            let reason = rejection_text(&snapshot, &rejection).replace(['\n', '\r'], " ");
            print(&format!("REJECTED: {reason}\n"));
            Ok(REJECTED)
        }
    }
}

/// `--registry`: what the on-chain registry (onchain/, query `certificate {nullifier}`) holds
/// for the accepted certificate's nullifier. `Ok(None)` when it holds this certificate as
/// verified and not frozen; `Ok(Some(reason))` when it holds nothing, another certificate,
/// this one not verified (pending a challenge, voided) or frozen by a venue; `Err` when the answer cannot be read or is about
/// another nullifier. The answer is the query's JSON, bare or inside `{"data": ...}`.
pub fn registry_refusal(
    answer: &str,
    file: &str,
    accepted: &Accepted,
) -> Result<Option<String>, InputError> {
    let bad = |field: &str, reason: &str| InputError::new(file, field, reason);
    let value: serde_json::Value =
        serde_json::from_str(answer).map_err(|e| bad("answer", &format!("not JSON: {e}")))?;
    let value = value.get("data").unwrap_or(&value);
    let nullifier = fp_to_hex(&accepted.line.nullifier);
    match value.get("nullifier").and_then(|n| n.as_str()) {
        Some(n) if n == nullifier => {}
        Some(n) => {
            return Err(bad(
                "nullifier",
                &format!("the answer is about nullifier {n}, the certificate's is {nullifier}"),
            ))
        }
        None => {
            return Err(bad(
                "nullifier",
                "missing: not a registry's certificate answer",
            ))
        }
    }
    let registration = match value.get("registration") {
        Some(serde_json::Value::Null) => {
            return Ok(Some(format!(
                "holds no certificate for nullifier {nullifier}: register it first"
            )))
        }
        Some(r) if r.is_object() => r,
        _ => {
            return Err(bad(
                "registration",
                "missing: not a registry's certificate answer",
            ))
        }
    };
    let text = |field: &str| {
        registration
            .get(field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad(&format!("registration.{field}"), "missing or not a string"))
    };
    let digest = zkmargin_formats::hex::digest_to_hex(&accepted.line.certificate);
    if text("certificate")? != digest {
        return Ok(Some(format!(
            "holds another certificate for nullifier {nullifier}: this one would split the \
             epoch's headroom a second time"
        )));
    }
    let status = text("status")?;
    if status != "verified" {
        return Ok(Some(format!(
            "holds this certificate as {status}, not verified"
        )));
    }
    // A venue liquidated the trader (the contract's freeze): no venue takes new orders of it.
    match value.get("frozen") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(frozen) => {
            let field = |name: &str| {
                frozen
                    .get(name)
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| bad(&format!("frozen.{name}"), "missing or not a string"))
            };
            Ok(Some(format!(
                "holds this certificate frozen by venue {} ({}): its trader was liquidated",
                field("venue")?,
                field("reason")?
            )))
        }
    }
}
