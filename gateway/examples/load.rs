//! Load benchmark of order charges and certificate verification over loopback.
//!
//! ```text
//! cargo run --release -p zkmargin-gateway --example load -- --db sqlite:/tmp/load.db
//! cargo run --release -p zkmargin-gateway --example load -- --db postgres://postgres@127.0.0.1:5432/postgres
//!     [--clients 32] [--orders 40000] [--traders 64]
//!     [--certificates 256] [--certificate-clients 16] [--proofs 4] [--flood 0]
//!     [--serve FILE]
//! ```
//!
//! It admits one credit line per trader in the database (through the storage API, as a
//! verified certificate would), starts the gateway on that database on a free loopback port
//! (in this process, the same code as the binary), publishes the sample snapshot, then lets
//! `--clients` threads, each with its own keep-alive connection, send `--orders` charges in
//! all, each to one trader's line in turn, each waiting for its answer. Every charge is a
//! fresh order id, so every one is committed durably before it is answered. It prints the
//! throughput and the latency percentiles seen by the clients. The bounded count of orders
//! ends the run by itself (`--orders 0`: no order phase).
//!
//! Certificates: `--proofs` real certificates (one per account of the tests' market, built
//! for this run's epoch, proved with the library: a few seconds each) are first verified by
//! the library itself, one by one (`VerifierKeys::verify`) and in batches of 64
//! (`verify_certificates`), then posted to the gateway `--certificates` times in all: by one
//! client (every certificate alone: single verification) and by `--certificate-clients`
//! clients at once (the gateway batches those that arrive together). The same certificate
//! again is verified again (200): every post is a whole verification. `--certificates 0`:
//! no certificate phase.
//!
//! Flood (`--flood N`, N > 0): the order phase again while N clients post invalid certificates
//! without pause, in turn: garbage (fails decoding), a real certificate with an altered
//! grant (fails the commitment), and a real certificate whose proof has one byte changed
//! with a grant made for it (passes every cheap check and fails only the proof, the costly
//! kind; refused 409 before the proof once its nullifier is held, 503 when the queue is
//! full). It prints the orders' latencies during the flood and how the flood was answered.
//!
//! For an outside load tool (`--serve FILE`): the lines admitted and the snapshot published,
//! it writes FILE (the engine token on the first line, then one trader's tag a line), prints
//! `serving on http://ADDR` and serves until SIGINT or SIGTERM, with no load of its own:
//! `gateway/examples/orders.lua` drives it with `wrk`, every order a fresh id.

// The tests' sample market and real certificates; the tests use more of them than this tool.
#[allow(dead_code)]
#[path = "../tests/gateway/certified.rs"]
mod certified;
#[allow(dead_code)]
#[path = "../tests/gateway/sample.rs"]
mod sample;

use std::sync::Arc;
use std::time::{Duration, Instant};

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::units::MIN_LEVEL_PPM;
use zkmargin_gateway::ledger;
use zkmargin_gateway::server::{self, Config};
use zkmargin_gateway::storage::{self, LineRecord};
use zkmargin_gateway::token::EngineToken;
use zkmargin_prover::Certified;
use zkmargin_verifier::{Expectation, VerifierKeys};

/// The engine token of the gateway this tool starts in its own process.
const ENGINE_TOKEN: &str = "bG9hZC1nZW5lcmF0b3ItZW5naW5lLXRva2VuLW5vdC1hLXNlY3JldA==";

struct Options {
    db: String,
    clients: usize,
    orders: usize,
    traders: u64,
    certificates: usize,
    certificate_clients: usize,
    proofs: usize,
    flood: usize,
    serve: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        db: String::new(),
        clients: 32,
        orders: 40_000,
        traders: 64,
        certificates: 256,
        certificate_clients: 16,
        proofs: 4,
        flood: 0,
        serve: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--db" => options.db = value.clone(),
            "--clients" => options.clients = number()?.max(1),
            "--orders" => options.orders = number()?,
            "--traders" => options.traders = number()?.max(1) as u64,
            "--certificates" => options.certificates = number()?,
            "--certificate-clients" => options.certificate_clients = number()?.max(1),
            "--proofs" => options.proofs = number()?.clamp(1, 4),
            "--flood" => options.flood = number()?,
            "--serve" => options.serve = Some(value.clone()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if options.db.is_empty() {
        return Err("--db sqlite:PATH or --db postgres://... is required".into());
    }
    Ok(options)
}

/// A tag of this run: fresh per run, so that runs on one database do not share lines.
fn trader_tag(run: u64, trader: u64) -> Fp {
    Fp::from(run) * Fp::from(1u64 << 20) + Fp::from(trader)
}

fn admit_lines(db: &str, run: u64, traders: u64) -> Result<(), String> {
    let mut store = storage::open(db).map_err(|e| e.to_string())?;
    for trader in 0..traders {
        let tag = trader_tag(run, trader);
        let line = LineRecord {
            venue: sample::VENUE.into(),
            nullifier: fp_to_hex(&(tag + Fp::from(1u64 << 40))),
            certificate: format!("{:064x}", u128::from(run) << 32 | u128::from(trader)),
            tag: fp_to_hex(&tag),
            epoch: run,
            level_ppm: 1_000_000,
            allowance: 1 << 90,
            valid_until: 4_000_000_000,
        };
        store
            .transaction(&mut |tx| ledger::admit(tx, &line, 0).map(|_| ()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn wait_until_up(base: &str) -> Result<(), String> {
    let agent = agent();
    for _ in 0..500 {
        if let Ok(response) = agent.get(&format!("{base}/healthz")).call() {
            if response.status() == 200 {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err("the gateway did not come up".into())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    if let Err(e) = run() {
        eprintln!("load: {e}");
        std::process::exit(1);
    }
}

/// Latency percentiles of a phase, as one line.
fn summary(latencies: &mut [Duration], elapsed: Duration) -> String {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:.0}/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.9)),
        ms(percentile(latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    )
}

fn database(db: &str) -> &'static str {
    if db.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    }
}

fn run() -> Result<(), String> {
    let options = options()?;
    // The run's epoch: later than any earlier run's, so that its snapshot becomes current on a
    // database that served earlier runs, and its certificates' nullifiers are fresh.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let market = certified::market(run, 1);
    let certificates: Vec<Certified> = if options.certificates > 0 || options.flood > 0 {
        eprintln!("load: proving {} certificates", options.proofs);
        (0..options.proofs)
            .map(|n| certified::certificate_in(&market, n, [certified::LINE, 0]))
            .collect()
    } else {
        Vec::new()
    };
    if options.certificates > 0 {
        library_figures(&market, &certificates, options.certificates)?;
    }
    admit_lines(&options.db, run, options.traders)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let config = Config {
        venue: sample::VENUE.into(),
        publisher: sample::publisher().public(),
        token: EngineToken::from_text(ENGINE_TOKEN)?,
        db: options.db.clone(),
        listen: format!("127.0.0.1:{port}"),
        public_listen: None,
        certificate_queue: zkmargin_gateway::certificates::DEFAULT_QUEUE,
        registry: None,
        limits: server::Limits::default(),
    };
    let server = std::thread::spawn(move || {
        if let Err(e) = server::run(config) {
            eprintln!("load: gateway: {e}");
            std::process::exit(1);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&base)?;
    let snapshot = sample::signed_snapshot(&market.snapshot, &sample::publisher());
    let response = agent()
        .post(&format!("{base}/v1/snapshots"))
        .header("authorization", format!("Bearer {ENGINE_TOKEN}"))
        .send(&snapshot)
        .map_err(|e| e.to_string())?;
    if response.status() != 204 {
        return Err(format!("snapshot refused: {}", response.status()));
    }
    if let Some(file) = &options.serve {
        let mut text = format!("{ENGINE_TOKEN}\n");
        for trader in 0..options.traders {
            text.push_str(&fp_to_hex(&trader_tag(run, trader)));
            text.push('\n');
        }
        std::fs::write(file, text).map_err(|e| format!("{file}: {e}"))?;
        println!("serving on {base} (token and tags in {file})");
        // The gateway stops on SIGINT or SIGTERM.
        return server
            .join()
            .map_err(|_| "the gateway panicked".to_string());
    }
    if options.orders > 0 {
        order_load(&base, &options, run, "quiet")?;
    }
    if options.flood > 0 && options.orders > 0 {
        flood_load(&base, &options, run, &certificates)?;
    }
    if options.certificates > 0 {
        let bodies: Vec<String> = certificates
            .iter()
            .map(|c| certified::certificate_request(&c.bytes, &c.grants[0]))
            .collect();
        for clients in [1, options.certificate_clients] {
            let batches = "zkmargin_certificate_batch_size";
            let before = (
                metric(&base, batches, "sum")?,
                metric(&base, batches, "count")?,
            );
            let (mut latencies, elapsed) =
                certificate_load(&base, &bodies, clients, options.certificates)?;
            let after = (
                metric(&base, batches, "sum")?,
                metric(&base, batches, "count")?,
            );
            println!(
                "{} certificates, {clients} clients, gateway on {}: {} (batches of {:.1} on \
                 average)",
                latencies.len(),
                database(&options.db),
                summary(&mut latencies, elapsed),
                (after.0 - before.0) / (after.1 - before.1).max(1.0),
            );
        }
    }
    Ok(())
}

/// A histogram's `_sum` or `_count` (`part`) on the gateway's `/metrics`.
fn metric(base: &str, name: &str, part: &str) -> Result<f64, String> {
    let text = agent()
        .get(&format!("{base}/metrics"))
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(|e| e.to_string())?;
    let key = format!("{name}_{part} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&key)?.parse().ok())
        .ok_or_else(|| format!("no {name}_{part} in /metrics"))
}

/// The library's own throughput on the same certificates: one by one, and in batches of 64.
fn library_figures(
    market: &certified::Market,
    certificates: &[Certified],
    count: usize,
) -> Result<(), String> {
    let keys = VerifierKeys::for_profile(market.snapshot.profile).map_err(|e| e.to_string())?;
    let expect = Expectation {
        snapshot: &market.snapshot,
        venue_index: 0,
        tag: None,
        min_level_ppm: MIN_LEVEL_PPM,
        at: zkmargin_gateway::clock::now(),
    };
    let item = |i: usize| {
        let c = &certificates[i % certificates.len()];
        (c.bytes.as_slice(), &c.grants[0])
    };
    let started = Instant::now();
    for i in 0..count {
        let (bytes, grant) = item(i);
        keys.verify(bytes, grant, &expect)
            .map_err(|e| format!("the library refused a certificate: {e}"))?;
    }
    let single = count as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut done = 0;
    while done < count {
        let items: Vec<_> = (done..(done + 64).min(count)).map(item).collect();
        for answer in keys.verify_certificates(&items, &expect) {
            answer.map_err(|e| format!("the library refused a certificate: {e}"))?;
        }
        done += items.len();
    }
    let batched = count as f64 / started.elapsed().as_secs_f64();
    println!(
        "{count} certificates, library (profile {}): {single:.0}/s one by one, {batched:.0}/s \
         in batches of 64",
        market.snapshot.profile.name
    );
    Ok(())
}

/// `count` posts to `url` by `clients` clients at once, each with its own keep-alive
/// connection and waiting for each answer: `body(client, i)` is what client `client` sends
/// `i`-th, and every answer must pass `ok(status, text)`. The latencies and the elapsed time.
fn drive(
    url: String,
    clients: usize,
    count: usize,
    body: impl Fn(usize, usize) -> String + Send + Sync + 'static,
    ok: fn(u16, &str) -> bool,
) -> Result<(Vec<Duration>, Duration), String> {
    let url = Arc::new(url);
    let body = Arc::new(body);
    let per_client = count.div_ceil(clients);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (url, body) = (Arc::clone(&url), Arc::clone(&body));
            std::thread::spawn(move || -> Result<Vec<Duration>, String> {
                let agent = agent();
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let body = body(c, i);
                    let sent = Instant::now();
                    let mut response = agent
                        .post(url.as_str())
                        .header("content-type", "application/json")
                        .header("authorization", format!("Bearer {ENGINE_TOKEN}"))
                        .send(&body)
                        .map_err(|e| e.to_string())?;
                    let text = response
                        .body_mut()
                        .read_to_string()
                        .map_err(|e| e.to_string())?;
                    latencies.push(sent.elapsed());
                    let status = response.status().as_u16();
                    if !ok(status, &text) {
                        return Err(format!("refused: {status} {text}"));
                    }
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().map_err(|_| "a client panicked")??);
    }
    Ok((latencies, started.elapsed()))
}

/// `count` certificate posts by `clients` clients at once; every one must be verified (201
/// the first time, 200 after).
fn certificate_load(
    base: &str,
    bodies: &[String],
    clients: usize,
    count: usize,
) -> Result<(Vec<Duration>, Duration), String> {
    let bodies = bodies.to_vec();
    drive(
        format!("{base}/v1/certificates"),
        clients,
        count,
        move |c, i| bodies[(c + i) % bodies.len()].clone(),
        |status, _| matches!(status, 200 | 201),
    )
}

/// `--orders` charges by `--clients` clients, each a fresh order id on one trader's line;
/// `phase` names the run's ids (each phase's ids are its own).
fn order_load(base: &str, options: &Options, run: u64, phase: &str) -> Result<(), String> {
    let id_phase = phase.to_string();
    let per_client = options.orders.div_ceil(options.clients);
    let traders = options.traders;
    let (mut latencies, elapsed) = drive(
        format!("{base}/v1/orders"),
        options.clients,
        options.orders,
        move |c, i| {
            let trader = (c * per_client + i) as u64 % traders;
            serde_json::json!({
                "id": format!("load-{run}-{id_phase}-{c}-{i}"),
                "tag": fp_to_hex(&trader_tag(run, trader)),
                "order": {"kind": "perp", "underlying": "BTC", "size": "0.01"},
            })
            .to_string()
        },
        |status, text| status == 200 && text.contains("\"accepted\":true"),
    )?;
    println!(
        "{} orders ({phase}), {} clients, {} lines on {}: charges {}",
        latencies.len(),
        options.clients,
        options.traders,
        database(&options.db),
        summary(&mut latencies, elapsed)
    );
    Ok(())
}

/// The invalid certificate requests of a flood: garbage, an altered grant, and an altered
/// proof with a grant made for it.
fn flood_bodies(certificates: &[Certified]) -> Vec<String> {
    let real = &certificates[0];
    let mut altered_grant = certified::grant_json(&real.grants[0]);
    altered_grant["allowance_uusd"] = (certified::LINE * 2).to_string().into();
    let mut forged = real.certificate.clone();
    let last = forged.proof.len() - 1;
    forged.proof[last] ^= 1;
    let forged_bytes = forged.encode();
    let mut forged_grant = real.grants[0].clone();
    forged_grant.certificate = zkmargin_formats::certificate::Certificate::digest_of(&forged_bytes);
    vec![
        certified::certificate_request(&real.bytes[..real.bytes.len() / 2], &real.grants[0]),
        certified::certificate_request_with(&real.bytes, altered_grant),
        certified::certificate_request(&forged_bytes, &forged_grant),
    ]
}

/// The order phase again while `--flood` clients post invalid certificates until it ends.
fn flood_load(
    base: &str,
    options: &Options,
    run: u64,
    certificates: &[Certified],
) -> Result<(), String> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
    let bodies = Arc::new(flood_bodies(certificates));
    let stop = Arc::new(AtomicBool::new(false));
    // Answers by status: 422, 409, 503, anything else.
    let answered: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
    let url = format!("{base}/v1/certificates");
    let flooders: Vec<_> = (0..options.flood)
        .map(|c| {
            let (bodies, stop, answered, url) = (
                Arc::clone(&bodies),
                Arc::clone(&stop),
                Arc::clone(&answered),
                url.clone(),
            );
            std::thread::spawn(move || {
                let agent = agent();
                let mut i = c;
                while !stop.load(Relaxed) {
                    let status = agent
                        .post(url.as_str())
                        .header("content-type", "application/json")
                        .send(bodies[i % bodies.len()].as_str())
                        .map(|mut r| {
                            let _ = r.body_mut().read_to_string();
                            r.status().as_u16()
                        })
                        .unwrap_or(0);
                    let slot = match status {
                        422 => 0,
                        409 => 1,
                        503 => 2,
                        _ => 3,
                    };
                    answered[slot].fetch_add(1, Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    let result = order_load(base, options, run, "flood");
    stop.store(true, Relaxed);
    for flooder in flooders {
        let _ = flooder.join();
    }
    let [refused, taken, busy, other] = &*answered;
    println!(
        "flood of {} clients answered: {} refused 422, {} nullifier taken 409, {} busy 503, {} \
         other",
        options.flood,
        refused.load(Relaxed),
        taken.load(Relaxed),
        busy.load(Relaxed),
        other.load(Relaxed),
    );
    result
}
