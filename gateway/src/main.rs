//! `zkmargin-gateway --venue NAME --publisher KEY --engine-token-file FILE --db URL --listen ADDR
//! [--public-listen ADDR] [--certificate-queue N] [--registry-url URL [--registry-poll-ms MS]]
//! [--request-timeout-ms MS] [--max-requests N] [--ledger-queue N] [--ledger-wait-ms MS]`
//!
//! Exit codes: 0 after a clean stop (SIGINT, SIGTERM); 1 when it cannot start (a bad flag, an
//! unreachable database, an address in use), with a one-line reason.

use clap::error::ErrorKind;
use clap::Parser;
use std::time::Duration;
use zkmargin_gateway::certificates::{DEFAULT_QUEUE, MAX_QUEUE};
use zkmargin_gateway::publisher::parse_publisher;

use zkmargin_gateway::server::{self, Config, Limits};
use zkmargin_gateway::token::EngineToken;

#[derive(Debug, Parser)]
#[command(
    name = "zkmargin-gateway",
    version,
    about = "The venue's zkmargin gateway: certificates in, order charges against credit lines, a durable ledger"
)]
struct Args {
    /// This venue's name, as the snapshot lists it.
    #[arg(long, value_name = "NAME")]
    venue: String,
    /// The risk publisher's public key: its file (publisher.pub) or 64 hex digits.
    #[arg(long, value_name = "KEY")]
    publisher: String,
    /// The matching engine's bearer token: a file of mode 0600 holding one line of at least
    /// 32 characters (head -c 32 /dev/urandom | base64). Every engine route needs it.
    #[arg(long, value_name = "FILE")]
    engine_token_file: std::path::PathBuf,
    /// The ledger: sqlite:PATH (embedded) or postgres://USER@HOST:PORT/DB (shared).
    #[arg(long, value_name = "URL")]
    db: String,
    /// Where to serve HTTP, such as 127.0.0.1:8080 (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// A second address serving only the trader-facing routes (POST /v1/certificates and
    /// /healthz), for a venue that exposes only that one to traders.
    #[arg(long, value_name = "ADDR")]
    public_listen: Option<String>,
    /// Certificates that may wait for or be under verification at once; a certificate that
    /// finds the queue full is answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_QUEUE as u64,
          value_parser = clap::value_parser!(u64).range(1..=MAX_QUEUE as u64))]
    certificate_queue: u64,
    /// Follow the on-chain registry's freezes: the contract's address on the chain's REST
    /// API, http://NODE:1317/cosmwasm/wasm/v1/contract/ADDRESS (plain HTTP).
    #[arg(long, value_name = "URL")]
    registry_url: Option<String>,
    /// How often to read the registry's freeze log, milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(50..=600_000))]
    registry_poll_ms: u64,
    /// How long a request may take before it is answered 503 (an order so answered may still
    /// be committed: retry it with the same id).
    #[arg(long, value_name = "MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    request_timeout_ms: u64,
    /// Requests under way at once; one more is answered 503 with Retry-After at once.
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_requests: u64,
    /// Ledger operations that may wait for the ledger's writer.
    #[arg(long, value_name = "N", default_value_t = zkmargin_gateway::writer::QUEUE as u64,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    ledger_queue: u64,
    /// How long a request waits for a place in the ledger's queue before it is answered 503
    /// with Retry-After (nothing done).
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    ledger_wait_ms: u64,
}

fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            print!("{}", e.render());
            return;
        }
        Err(e) => {
            // A bad flag cannot start the gateway: exit 1 with one line, as every other reason.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad command line");
            let reason = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("zkmargin-gateway: {reason} (see zkmargin-gateway --help)");
            std::process::exit(1);
        }
    };
    let result = parse_publisher(&args.publisher).and_then(|publisher| {
        let token = EngineToken::read_file(&args.engine_token_file)?;
        server::run(Config {
            venue: args.venue,
            publisher,
            token,
            db: args.db,
            listen: args.listen,
            public_listen: args.public_listen,
            // At most MAX_QUEUE: the parser's range.
            certificate_queue: args.certificate_queue as usize,
            registry: args
                .registry_url
                .map(|url| (url, Duration::from_millis(args.registry_poll_ms))),
            // Each at most its parser's range.
            limits: Limits {
                request_timeout: Duration::from_millis(args.request_timeout_ms),
                max_requests: args.max_requests as usize,
                ledger_queue: args.ledger_queue as usize,
                ledger_wait: Duration::from_millis(args.ledger_wait_ms),
            },
        })
    });
    if let Err(reason) = result {
        eprintln!("zkmargin-gateway: {reason}");
        std::process::exit(1);
    }
}
