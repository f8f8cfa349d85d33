//! `zkmargin demo [--out DIR]`
//!
//! One epoch of the bundled example network (`examples/network.json`, compiled in), played by
//! its three parties in turn, each seeing only what it would see in real life:
//!
//! 1. the risk publisher builds the snapshot, signs its digest and publishes its roots;
//! 2. a trader checks its book with an order at a venue, then proves it solvent there;
//! 3. the venue verifies the proof from the public snapshot, the proof file and the tag the
//!    trader registered, and learns only the public inputs.
//!
//! Every step is timed. The files stay in DIR (default: a fresh temporary directory).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zkmargin_circuits::margin::Position;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::position::parse_order;
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::write::write_atomic;
use zkmargin_prover::{prove, ProverKeys};
use zkmargin_verifier::verify::Expectation;

use crate::commands::check::evaluate;
use crate::commands::network::{build_and_write_with, summary};
use crate::commands::verify::{valid_text, verify_proof_bytes};
use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{
    load_account, load_signed_snapshot, load_snapshot, now, read_bytes, PROOF_FILE_LIMIT,
};
use crate::output::{describe, margin_table, print, tag_text, utc, View};
use crate::DemoArgs;

/// The example network, compiled in so that the demo runs from any directory.
pub const EXAMPLE_NETWORK: &str = include_str!("../../../examples/network.json");
const EXAMPLE_LABEL: &str = "examples/network.json";

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A fresh directory under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf, CliError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let base = std::env::temp_dir();
    let mut last = None;
    for attempt in 0..16u32 {
        let dir = base.join(format!(
            "zkmargin-demo-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some((dir, e)),
        }
    }
    let (dir, e) = last.expect("at least one attempt");
    Err(CliError::io(
        &dir,
        "--out",
        "cannot create the demo directory",
        &e,
    ))
}

/// The order the demo places: a small long perp on the first asset.
fn demo_order(snapshot: &Snapshot) -> Result<Position, CliError> {
    let symbol = &snapshot.assets[0].symbol;
    let text = format!(r#"{{"kind": "perp", "underlying": "{symbol}", "size": "0.1"}}"#);
    Ok(parse_order(&text, snapshot, "demo order")?)
}

/// The first account that is solvent at level 1 with the order at `venue` (else without it).
fn pick_trader(
    dir: &Path,
    snapshot: &Snapshot,
    accounts: &[Account],
    venue: usize,
    order: Position,
) -> Result<(PathBuf, Account, Option<Position>), CliError> {
    for with_order in [Some(order), None] {
        for account in accounts {
            let path = dir.join("accounts").join(format!("{}.json", account.name));
            let report = evaluate(snapshot, account, &path, Some(venue), 1_000_000, with_order)?;
            if report.solvent {
                // Read back as the trader would, from its private file.
                let account = load_account(&path, snapshot)?;
                return Ok((path, account, with_order));
            }
        }
    }
    Err(CliError::input(InputError::new(
        EXAMPLE_LABEL,
        "accounts",
        "no account is solvent: the demo needs one",
    )))
}

pub fn run(args: &DemoArgs) -> CommandResult {
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => fresh_dir()?,
    };
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    print(&format!(
        "zkmargin demo: one epoch of the example network, party by party\nfiles in {}\n\n",
        dir.display()
    ));

    // 1. The risk publisher.
    let started = Instant::now();
    // The publisher's signing key, drawn for the demo; venues pin its public half.
    let mut seed = [0u8; 32];
    rand_core::Rng::fill_bytes(&mut rand_core::UnwrapErr(rand::rngs::SysRng), &mut seed);
    let publisher = PublisherSecret::from_bytes(&seed);
    let (_, accounts) = build_and_write_with(
        EXAMPLE_NETWORK,
        EXAMPLE_LABEL,
        None,
        None,
        Some(&publisher),
        &dir,
    )?;
    let built = started.elapsed();
    timings.push(("publisher: build the network and its trees", built));
    let snapshot_path = dir.join("snapshot.json");
    let snapshot = load_snapshot(&snapshot_path)?;
    print(&format!(
        "== 1. Risk publisher: builds the epoch from {EXAMPLE_LABEL} ({})\n\
         It publishes snapshot.json: prices, haircuts, margin rates, and the roots of every \
         vault and venue book, signed with its Ed25519 key {}.\n{}\
         It hands each of the {} accounts its private file (accounts/<name>.json, mode 0600).\n\n",
        seconds(built),
        publisher.public().to_hex(),
        summary(&snapshot),
        accounts.len()
    ));

    // 2. The trader checks its book with an order at a venue.
    let venue = if snapshot.venues.len() > 1 { 1 } else { 0 };
    let venue_name = snapshot.venues[venue].name.clone();
    let order = demo_order(&snapshot)?;
    let started = Instant::now();
    let (account_path, account, order) = pick_trader(&dir, &snapshot, &accounts, venue, order)?;
    let report = evaluate(
        &snapshot,
        &account,
        &account_path,
        Some(venue),
        1_000_000,
        order,
    )?;
    let checked = started.elapsed();
    timings.push(("trader: check the book (no proof)", checked));
    let order_text = order.map_or("no order".to_string(), |p| {
        format!("the order {}", describe(&snapshot, &p, true))
    });
    print(&format!(
        "== 2. Trader {}: checks the whole book with {order_text} at {venue_name} ({})\n\
         Only the trader sees this: zkmargin check --snapshot {} --account {} --venue {venue_name}\n\n{}\n",
        account.name,
        seconds(checked),
        snapshot_path.display(),
        account_path.display(),
        margin_table(
            &View {
                snapshot: &snapshot,
                account: &account,
                venue: Some(venue),
                order,
            },
            &report
        )
    ));

    // 3. The trader proves it to the venue.
    let started = Instant::now();
    ProverKeys::for_profile(snapshot.profile).map_err(|e| {
        CliError::internal(
            format!("prover keys of profile {}", snapshot.profile.name),
            e,
        )
    })?;
    let keyed = started.elapsed();
    timings.push(("trader: parameters and proving key", keyed));
    let started = Instant::now();
    // The demo picked a solvent book: any failure to prove it is the demo's own.
    let proved = prove(&snapshot, &account, venue, 1_000_000, order)
        .map_err(|e| CliError::internal("demo: proving the example book", e))?;
    let proving = started.elapsed();
    timings.push(("trader: prove", proving));
    let proof_path = dir.join(format!("{}-at-{venue_name}.proof", account.name));
    let bytes = proved.envelope.encode();
    write_atomic(&proof_path, &bytes, None)
        .map_err(|e| CliError::io(&proof_path, "--out", "cannot write the proof", &e))?;
    let tag = proved.tag;
    print(&format!(
        "== 3. Trader {}: proves it to {venue_name} (keys {}, proof {})\n\
         proof file {} ({} bytes)\n\
         account tag at {venue_name}: {} (registered with {venue_name} once; another venue \
         sees another tag)\n\n",
        account.name,
        seconds(keyed),
        seconds(proving),
        proof_path.display(),
        bytes.len(),
        tag_text(&tag)
    ));

    // 4. The venue verifies, from the public snapshot, the proof file and the registered tag.
    let signed = load_signed_snapshot(&snapshot_path)?;
    signed.require_publisher(&publisher.public()).map_err(|e| {
        CliError::internal(
            "demo: the publisher's signature",
            format!("the demo's own snapshot does not verify: {e}"),
        )
    })?;
    let venue_snapshot = signed.snapshot;
    let proof_bytes = read_bytes(&proof_path, "--proof", PROOF_FILE_LIMIT)?;
    let time = now();
    let (at, at_note) = if (venue_snapshot.valid_from..=venue_snapshot.valid_until).contains(&time)
    {
        (time, "now".to_string())
    } else {
        (
            venue_snapshot.valid_from,
            format!(
                "as of {} (the example epoch's start: the demo replays it)",
                utc(venue_snapshot.valid_from)
            ),
        )
    };
    let expect = Expectation {
        snapshot: &venue_snapshot,
        venue_index: venue,
        tag: Some(tag),
        min_level_ppm: 1_000_000,
        at,
    };
    let (verdict, venue_timings) = verify_proof_bytes(&proof_bytes, &expect, order.as_ref())?;
    timings.push(("venue: parameters and verifying key", venue_timings.keys));
    timings.push(("venue: verify", venue_timings.verify));
    let statement = match verdict {
        Ok(statement) => statement,
        Err(rejection) => {
            return Err(CliError::internal(
                "demo: the venue's verification",
                format!("the venue rejected the demo's proof: {rejection}"),
            ))
        }
    };
    print(&format!(
        "== 4. Venue {venue_name}: verifies {at_note} (verifying key {}, verification {})\n\
         It holds only snapshot.json (whose signature it checked against the publisher's key), \
         the proof file and the tag the trader registered, and learns only this:\n{}\
         It does not learn the account's index, balances, chains, positions, other venues, \
         equity or headroom.\n\n",
        seconds(venue_timings.keys),
        seconds(venue_timings.verify),
        valid_text(&venue_snapshot, venue, &statement, true, order)
    ));

    let rows: Vec<Vec<String>> = timings
        .iter()
        .map(|(what, d)| vec![what.to_string(), seconds(*d)])
        .collect();
    print(&format!(
        "Timings\n{}Files kept in {}\n",
        crate::output::table(&rows, &[false, true], 2),
        dir.display()
    ));
    Ok(OK)
}
