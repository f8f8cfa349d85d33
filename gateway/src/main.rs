//! `zkmargin-gateway --venue NAME --publisher KEY --db URL --listen ADDR`
//!
//! Exit codes: 0 after a clean stop (SIGINT, SIGTERM); 1 when it cannot start (a bad flag, an
//! unreachable database, an address in use), with a one-line reason.

use clap::Parser;
use zkmargin_gateway::publisher::parse_publisher;
use zkmargin_gateway::server::{self, Config};

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
    /// The ledger: sqlite:PATH (embedded) or postgres://USER@HOST:PORT/DB (shared).
    #[arg(long, value_name = "URL")]
    db: String,
    /// Where to serve HTTP, such as 127.0.0.1:8080 (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR")]
    listen: String,
}

fn main() {
    let args = Args::parse();
    let result = parse_publisher(&args.publisher).and_then(|publisher| {
        server::run(Config {
            venue: args.venue,
            publisher,
            db: args.db,
            listen: args.listen,
        })
    });
    if let Err(reason) = result {
        eprintln!("zkmargin-gateway: {reason}");
        std::process::exit(1);
    }
}
