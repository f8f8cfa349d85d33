//! `zkmargin demo [--out DIR]`
//!
//! One epoch of the bundled example network (`examples/network.json`, compiled in), played by
//! its three parties in turn, each seeing only what it would see in real life:
//!
//! 1. the risk publisher builds the snapshot, signs its digest and publishes its roots;
//! 2. a trader checks its book with an order at a venue;
//! 3. the trader certifies the epoch once: its headroom split into a credit line per venue;
//! 4. each venue verifies the certificate with its grant and charges a burst of orders against
//!    its line until one does not fit;
//! 5. a second certificate in the same epoch is refused for its nullifier.
//!
//! Every step is timed. The files stay in DIR (default: a fresh temporary directory).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zkmargin_circuits::charge::default_order_charge;
use zkmargin_circuits::margin::{Order, Position, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::position::parse_order;
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_prover::{allocate, certify, margin_report, LineRequest, ProverKeys};
use zkmargin_verifier::ledger::{CreditLine, Ledger, OrderCharge};
use zkmargin_verifier::verify::Expectation;

use crate::commands::certify::{grant_path, write_files};
use crate::commands::check::evaluate;
use crate::commands::network::{build_and_write_with, summary};
use crate::commands::verify::verify_certificate_bytes;
use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{
    load_account, load_signed_snapshot, load_snapshot, now, read_bytes, PROOF_FILE_LIMIT,
};
use crate::margin_report::{margin_table, View};
use crate::output::{describe, print, tag_text, utc};
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

fn usd(uusd: u128) -> String {
    zkmargin_formats::decimal::format_scaled(uusd as i128, 6)
}

/// The demo's split: a quarter of the headroom at the first venue, a quarter at the second,
/// and the rest at the last (with fewer venues, the rest at the last one).
fn demo_lines(snapshot: &Snapshot, report: &Report) -> Vec<Option<LineRequest>> {
    let quarter = u128::try_from(report.headroom).unwrap_or(0) / 4;
    let n = snapshot.venues.len();
    (0..n)
        .map(|v| {
            Some(if v + 1 == n {
                LineRequest::Rest
            } else if v < 2 {
                LineRequest::Amount(quarter)
            } else {
                LineRequest::Amount(0)
            })
        })
        .collect()
}

/// Charges the demo order (a small long perp on the first asset, filled at the snapshot
/// price) against `line` in `ledger` until one is refused; says how it went.
fn charge_burst(
    snapshot: &Snapshot,
    venue: usize,
    line: &CreditLine,
    ledger: &mut Ledger,
    at: u64,
) -> Result<String, CliError> {
    let order = Order {
        venue,
        position: demo_order(snapshot)?,
    };
    let charge = default_order_charge(&snapshot.risk_params(), &order, line.level_ppm)
        .map_err(|e| CliError::internal("demo: charge", e))?
        .total;
    // A line too small for one order refuses the first; a huge one stops after 10,000.
    let mut accepted = 0u32;
    let refusal = loop {
        let answer = ledger.charge(
            &OrderCharge {
                id: format!("order-{accepted}"),
                tag: line.tag,
                charge,
            },
            at,
        );
        if !answer.accepted {
            break answer
                .refusal
                .map_or("refused".to_string(), |r| r.to_string());
        }
        accepted += 1;
        if accepted == 10_000 {
            break "stopped after 10000 orders".to_string();
        }
    };
    let spent = ledger.view(&line.tag).map_or(0, |v| v.spent);
    Ok(format!(
        "{accepted} orders of {} accepted ({} USD each, {} USD spent); the next: {refusal}",
        describe(snapshot, &order.position, true),
        usd(charge),
        usd(spent),
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
    let book_report = margin_report(&snapshot, &account, None, 1_000_000, None)
        .map_err(|e| CliError::internal("demo: valuing the example book", e))?;
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
                book_mm: Some(book_report.mm),
            },
            &report
        )
    ));

    // 3. The trader certifies the epoch's headroom as credit lines, one per venue.
    let started = Instant::now();
    ProverKeys::for_profile(snapshot.profile).map_err(|e| {
        CliError::internal(
            format!("prover keys of profile {}", snapshot.profile.name),
            e,
        )
    })?;
    let keyed = started.elapsed();
    timings.push(("trader: parameters and proving key", keyed));
    let requests = demo_lines(&snapshot, &book_report);
    let allowances = allocate(&book_report, &requests);
    let started = Instant::now();
    // The demo picked a solvent book and lines within its headroom: any failure is the demo's.
    let certified = certify(&snapshot, &account, 1_000_000, &allowances)
        .map_err(|e| CliError::internal("demo: certifying the example book", e))?;
    let proving = started.elapsed();
    timings.push(("trader: certify (one proof for the epoch)", proving));
    let out = dir.join(format!("{}-certificate", account.name));
    let certificate_path = write_files(&out, &certified)?;
    let mut lines = String::new();
    for grant in &certified.grants {
        lines.push_str(&format!(
            "  {:<12} {:>18} USD   grant {}\n",
            grant.venue,
            usd(grant.allowance_uusd),
            grant_path(&out, &grant.venue).display()
        ));
    }
    print(&format!(
        "== 3. Trader {}: certifies the epoch once (keys {}, proof {})\n\
         zkmargin certify --snapshot {} --account {} --allow ... --out {}\n\
         certificate {} ({} bytes), nullifier {}\n\
         Headroom {} USD split into one private credit line per venue:\n{lines}\
         Each venue gets the certificate and only its own grant; the salts hide the other \
         lines.\n\n",
        account.name,
        seconds(keyed),
        seconds(proving),
        snapshot_path.display(),
        account_path.display(),
        out.display(),
        certificate_path.display(),
        certified.bytes.len(),
        tag_text(&certified.statement.nullifier),
        usd(u128::try_from(book_report.headroom).unwrap_or(0)),
    ));

    // 4. Each venue verifies the certificate with its grant, then charges orders against its
    //    line until one does not fit.
    let signed = load_signed_snapshot(&snapshot_path)?;
    signed.require_publisher(&publisher.public()).map_err(|e| {
        CliError::internal(
            "demo: the publisher's signature",
            format!("the demo's own snapshot does not verify: {e}"),
        )
    })?;
    let venue_snapshot = signed.snapshot;
    let certificate_bytes = read_bytes(&certificate_path, "--certificate", PROOF_FILE_LIMIT)?;
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
    print(&format!(
        "== 4. Venues: each verifies the certificate {at_note} and charges orders\n"
    ));
    let mut ledgers: Vec<Ledger> = Vec::new();
    for (v, grant) in certified.grants.iter().enumerate() {
        let venue_name = &venue_snapshot.venues[v].name;
        let expect = Expectation {
            snapshot: &venue_snapshot,
            venue_index: v,
            tag: Some(grant.tag),
            min_level_ppm: 1_000_000,
            at,
        };
        let (verdict, venue_timings) =
            verify_certificate_bytes(&certificate_bytes, grant, &expect, None)?;
        if v == 0 {
            timings.push(("venue: parameters and verifying key", venue_timings.keys));
        }
        timings.push(("venue: verify a certificate", venue_timings.verify));
        let accepted = verdict.map_err(|rejection| {
            CliError::internal(
                "demo: a venue's verification",
                format!("{venue_name} rejected the demo's certificate: {rejection}"),
            )
        })?;
        let mut ledger = Ledger::new();
        ledger
            .admit(accepted.line.clone())
            .map_err(|e| CliError::internal("demo: a venue's ledger", e))?;
        let burst = charge_burst(&venue_snapshot, v, &accepted.line, &mut ledger, at)?;
        print(&format!(
            "{venue_name}: VALID, a line of {} USD for tag {} (verified in {})\n  {burst}\n",
            usd(accepted.line.allowance),
            tag_text(&accepted.line.tag),
            seconds(venue_timings.verify),
        ));
        ledgers.push(ledger);
    }

    // 5. A second split of the same headroom in the same epoch is refused for its nullifier.
    let greedy: Vec<u128> = (0..allowances.len())
        .map(|v| if v == 0 { allowances.iter().sum() } else { 0 })
        .collect();
    let started = Instant::now();
    let second = certify(&snapshot, &account, 1_000_000, &greedy)
        .map_err(|e| CliError::internal("demo: the second certificate", e))?;
    timings.push(("trader: a second certificate", started.elapsed()));
    let expect = Expectation {
        snapshot: &venue_snapshot,
        venue_index: 0,
        tag: Some(second.grants[0].tag),
        min_level_ppm: 1_000_000,
        at,
    };
    let (verdict, _) = verify_certificate_bytes(&second.bytes, &second.grants[0], &expect, None)?;
    let refusal = match verdict.map(|accepted| ledgers[0].admit(accepted.line)) {
        Ok(Err(refusal)) => refusal.to_string(),
        other => {
            return Err(CliError::internal(
                "demo: the second certificate",
                format!("the venue's ledger did not refuse it: {other:?}"),
            ))
        }
    };
    print(&format!(
        "\n== 5. Trader {}: tries a second certificate this epoch, all {} USD at {}\n\
         Its proof is valid, but {} refuses it: {refusal}.\n\
         Every certificate of one account in one epoch carries the same nullifier, so the \
         venues that share a registry of nullifiers see a second split of the same headroom.\n\n",
        account.name,
        usd(greedy[0]),
        venue_snapshot.venues[0].name,
        venue_snapshot.venues[0].name,
    ));
    print(
        "What each party learned\n  \
         publisher: the roots it published, nothing of any account\n  \
         trader: its own book, headroom and lines\n  \
         each venue: the certificate's public inputs (snapshot, level, nullifier, one \
         commitment per venue slot), its own line and the trader's tag at that venue; not the \
         account's index, balances, chains, positions, other venues' lines, equity or \
         headroom\n  \
         venues that compare nullifiers: that the tags they hold belong to one trader\n\n",
    );

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
