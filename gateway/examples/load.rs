//! Load benchmark of order charges over loopback.
//!
//! ```text
//! cargo run --release -p zkmargin-gateway --example load -- --db sqlite:/tmp/load.db
//! cargo run --release -p zkmargin-gateway --example load -- --db postgres://postgres@127.0.0.1:5432/postgres
//!     [--clients 32] [--orders 40000] [--traders 64]
//! ```
//!
//! It admits one credit line per trader in the database (through the storage API, as a
//! verified certificate would), starts the gateway on that database on a free loopback port
//! (in this process, the same code as the binary), publishes the sample snapshot, then lets
//! `--clients` threads, each with its own keep-alive connection, send `--orders` charges in
//! all, each to one trader's line in turn, each waiting for its answer. Every charge is a
//! fresh order id, so every one is committed durably before it is answered. It prints the
//! throughput and the latency percentiles seen by the clients. The bounded count of orders
//! ends the run by itself.

// The tests' sample market; the tests use more of it than this tool does.
#[allow(dead_code)]
#[path = "../tests/gateway/sample.rs"]
mod sample;

use std::sync::Arc;
use std::time::{Duration, Instant};

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_gateway::ledger;
use zkmargin_gateway::server::{self, Config};
use zkmargin_gateway::storage::{self, LineRecord};

struct Options {
    db: String,
    clients: usize,
    orders: usize,
    traders: u64,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        db: String::new(),
        clients: 32,
        orders: 40_000,
        traders: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--db" => options.db = value.clone(),
            "--clients" => options.clients = number()?.max(1),
            "--orders" => options.orders = number()?.max(1),
            "--traders" => options.traders = number()?.max(1) as u64,
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
            epoch: 4812,
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

fn run() -> Result<(), String> {
    let options = options()?;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    admit_lines(&options.db, run, options.traders)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let config = Config {
        venue: sample::VENUE.into(),
        publisher: sample::publisher().public(),
        db: options.db.clone(),
        listen: format!("127.0.0.1:{port}"),
    };
    std::thread::spawn(move || {
        if let Err(e) = server::run(config) {
            eprintln!("load: gateway: {e}");
            std::process::exit(1);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&base)?;
    let snapshot = sample::signed_snapshot(&sample::snapshot(4812), &sample::publisher());
    let response = agent()
        .post(&format!("{base}/v1/snapshots"))
        .send(&snapshot)
        .map_err(|e| e.to_string())?;
    if response.status() != 204 {
        return Err(format!("snapshot refused: {}", response.status()));
    }

    let url = Arc::new(format!("{base}/v1/orders"));
    let per_client = options.orders.div_ceil(options.clients);
    let started = Instant::now();
    let threads: Vec<_> = (0..options.clients)
        .map(|c| {
            let url = Arc::clone(&url);
            let traders = options.traders;
            std::thread::spawn(move || -> Result<Vec<Duration>, String> {
                let agent = agent();
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let trader = (c * per_client + i) as u64 % traders;
                    let body = serde_json::json!({
                        "id": format!("load-{run}-{c}-{i}"),
                        "tag": fp_to_hex(&trader_tag(run, trader)),
                        "order": {"kind": "perp", "underlying": "BTC", "size": "0.01"},
                    })
                    .to_string();
                    let sent = Instant::now();
                    let mut response = agent
                        .post(url.as_str())
                        .header("content-type", "application/json")
                        .send(&body)
                        .map_err(|e| e.to_string())?;
                    let text = response
                        .body_mut()
                        .read_to_string()
                        .map_err(|e| e.to_string())?;
                    latencies.push(sent.elapsed());
                    if response.status() != 200 || !text.contains("\"accepted\":true") {
                        return Err(format!("order refused: {} {text}", response.status()));
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
    let elapsed = started.elapsed();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{} orders, {} clients, {} lines on {}: {:.0} charges/s; latency p50 {:.2} ms, \
         p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        options.clients,
        options.traders,
        if options.db.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );
    Ok(())
}
