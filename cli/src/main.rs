//! `zkmargin`: build an epoch's network, check a book, prove its solvency to a venue, and
//! verify such a proof as the venue.
//!
//! Exit codes are part of the interface (DESIGN.md "Command line"):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: built, solvent, proven, or VALID |
//! | 1 | bad input: a file, a flag or the command line; one line on stderr names the file and the field |
//! | 2 | insolvent (`check`, `prove`): the book does not cover the margin; `prove` writes nothing |
//! | 3 | rejected (`verify`): the proof does not show what the venue requires; `REJECTED: <reason>` on stdout |
//! | 4 | internal error: not the input's fault (keys or parameters that cannot be built, a proof failing its own check, a panic); one line on stderr, please report it |
//!
//! Every error is one line on stderr, `zkmargin: <file>: <field>: <reason>` (or `zkmargin:
//! internal error: ...`), and no input makes the program panic; should a bug panic anyway, the
//! panic hook prints one line and exits 4, never Rust's 101.

mod commands;
mod errors;
mod inputs;
mod margin_report;
mod output;
mod plot;
mod portfolio_report;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ErrorKind};
use clap::{Args, Parser, Subcommand};

use crate::errors::{internal_line, CliError, EXIT_CODES_HELP, INTERNAL};

/// Zero-knowledge margin proofs: show a venue that your whole book, across chains and venues,
/// is solvent, without revealing it.
#[derive(Debug, Parser)]
#[command(
    name = "zkmargin",
    version,
    propagate_version = true,
    after_help = after_help_text()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a whole network from network.json (risk publisher, vaults and venues together).
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Print the margin report of an account's book without proving (exit 2 if insolvent).
    Check(CheckArgs),
    /// Trader: certify the epoch's headroom as credit lines, one per venue, and write the
    /// certificate and a grant per venue (exit 2 if the lines exceed the headroom).
    Certify(CertifyArgs),
    /// Prove to a venue that the book covers one order (a one-order certificate), and write
    /// the proof file.
    Prove(ProveArgs),
    /// Verify a proof as a venue (exit 3 if rejected).
    Verify(VerifyArgs),
    /// What one order takes from a credit line: its margin at the level plus the cash paid at
    /// the fill.
    Charge(ChargeArgs),
    /// Build the bundled example network, prove for one account and verify as a venue.
    Demo(DemoArgs),
    /// Auditor: the circuit's columns, gates, lookups, rows and proof size, and the pinned
    /// keys; --layout draws it, --vectors verifies the frozen proofs (exit 3 on a mismatch).
    Audit(commands::audit::AuditArgs),
    /// Trader: make a secret, or assemble the account file from the openings.
    #[command(subcommand)]
    Account(commands::parties::AccountCommand),
    /// Registry: give account keys their index in every tree.
    #[command(subcommand)]
    Registry(commands::parties::RegistryCommand),
    /// A chain's vault: commit its balances to a Merkle root.
    #[command(subcommand)]
    Vault(commands::parties::VaultCommand),
    /// A venue: commit its positions to a Merkle root.
    #[command(subcommand)]
    Venue(commands::parties::VenueCommand),
    /// Risk publisher: make the Ed25519 key pair that signs snapshots.
    #[command(subcommand)]
    Publisher(commands::publisher::PublisherCommand),
    /// Risk publisher: join prices, risk parameters and every root into a signed snapshot.
    Publish(commands::publisher::PublishArgs),
    /// Risk publisher: haircuts from volatility and relay latency; the risk table's scenarios.
    #[command(subcommand)]
    Risk(commands::risk::RiskCommand),
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Write DIR/snapshot.json (public) and DIR/accounts/<name>.json (private, mode 0600).
    Build(BuildArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The network description (format zkmargin.network/1).
    #[arg(value_name = "NETWORK.json")]
    pub network: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Circuit profile: small, standard, large or desk (default: the first that fits, in that order).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Compute the haircuts from this risk model (zkmargin.risk/1) in place of haircuts_ppm.
    #[arg(long, value_name = "RISK.json")]
    pub risk: Option<PathBuf>,
    /// Sign the snapshot with this publisher secret key (zkmargin publisher keygen).
    #[arg(long = "signing-key", value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// Move the file's epoch to start at this time (unix seconds, or now): its end and every
    /// option's expiry move by as much, so the margins are the file's and the epoch is live.
    #[arg(long = "valid-from", value_name = "UNIX|now")]
    pub valid_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The epoch snapshot (snapshot.json).
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The trader's private account file (accounts/<name>.json).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: PathBuf,
    /// The venue the order would be placed at (required with --order).
    #[arg(long, value_name = "NAME")]
    pub venue: Option<String>,
    /// Margin level: a multiple of maintenance margin from 1 to 10, such as 1.5 (default 1).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub level: Option<String>,
    /// A proposed order, in the words of a network.json position (a perp has no entry), e.g.
    /// '{"kind": "perp", "underlying": "BTC", "size": "-0.5"}'.
    #[arg(long, value_name = "JSON")]
    pub order: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Evaluate the book after a price move, e.g. BTC=-10 (percent; repeat for several assets).
    #[arg(long, value_name = "ASSET=PCT", allow_hyphen_values = true)]
    pub shock: Vec<String>,
    /// Draw equity and requirement against a move of each underlying, labelled: SVG or PNG, as
    /// the extension says.
    #[arg(long, value_name = "FILE.svg|FILE.png")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The epoch snapshot (snapshot.json).
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The trader's private account file (accounts/<name>.json).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: PathBuf,
    /// The venue the proof is for.
    #[arg(long, value_name = "NAME")]
    pub venue: String,
    /// Margin level to prove: a multiple of maintenance margin from 1 to 10 (default 1).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub level: Option<String>,
    /// The order the venue is asked to accept, in the words of a network.json position.
    #[arg(long, value_name = "JSON")]
    pub order: Option<String>,
    /// Where to write the proof file.
    #[arg(long, value_name = "PROOF")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// The epoch snapshot (snapshot.json).
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The trader's private account file (accounts/<name>.json).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: PathBuf,
    /// Margin level to certify at: a multiple of maintenance margin from 1 to 10 (default 1).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub level: Option<String>,
    /// A credit line: VENUE=USD (such as deribit=2500), or VENUE=max for all the headroom the
    /// other lines leave. Repeat for each venue; a venue not named gets a zero line.
    #[arg(long, value_name = "VENUE=USD", required = true)]
    pub allow: Vec<String>,
    /// The directory to write certificate.zkm and grants/<venue>.json in.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The epoch snapshot the venue trusts (snapshot.json).
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The proof file of `zkmargin prove` (a one-order certificate with its grant).
    #[arg(long, value_name = "PROOF", conflicts_with_all = ["certificate", "grant"], required_unless_present = "certificate")]
    pub proof: Option<PathBuf>,
    /// The certificate file of `zkmargin certify` (with --grant).
    #[arg(long, value_name = "CERTIFICATE", requires = "grant")]
    pub certificate: Option<PathBuf>,
    /// This venue's grant file from the trader (with --certificate).
    #[arg(long, value_name = "GRANT", requires = "certificate")]
    pub grant: Option<PathBuf>,
    /// Print one JSON object: valid, nullifier, allowance_uusd, level_ppm, epoch,
    /// valid_until, and the reason when rejected.
    #[arg(long)]
    pub json: bool,
    /// This venue's name in the snapshot.
    #[arg(long, value_name = "NAME")]
    pub venue: String,
    /// The account tag the trader registered at this venue (0x and 64 hex digits).
    #[arg(long, value_name = "HEX")]
    pub tag: Option<String>,
    /// The least margin level this venue accepts (default 1).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub level: Option<String>,
    /// Verify as of this unix time (default: now).
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// The order the trader sent (with --proof): its charge must fit the proof's line.
    #[arg(long, value_name = "JSON", conflicts_with = "certificate")]
    pub order: Option<String>,
    /// The risk publisher's public key (64 hex digits, or its key file): refuse a snapshot
    /// it did not sign, or that was changed after signing.
    #[arg(long, value_name = "KEY")]
    pub publisher: Option<String>,
    /// The on-chain registry's answer for the certificate's nullifier (the JSON of the
    /// contract's `{"certificate": {"nullifier": ...}}` query, as `wasmd query wasm
    /// contract-state smart` prints it): refuse a certificate the registry does not hold as
    /// verified for that nullifier.
    #[arg(long, value_name = "ANSWER")]
    pub registry: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ChargeArgs {
    /// The epoch snapshot (snapshot.json): prices and rates the order is charged at.
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The venue the order is placed at.
    #[arg(long, value_name = "NAME")]
    pub venue: String,
    /// The order, in the words of a network.json position, e.g.
    /// '{"kind": "perp", "underlying": "BTC", "size": "0.5"}'.
    #[arg(long, value_name = "JSON")]
    pub order: String,
    /// Execution price in USD (for an option, the premium per unit). Default: the snapshot
    /// price for a perpetual and a call, the strike for a put.
    #[arg(long, value_name = "PRICE", allow_hyphen_values = true)]
    pub fill: Option<String>,
    /// The certificate's margin level, a multiple of maintenance margin from 1 to 10 (default 1).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub level: Option<String>,
    /// Print one JSON object: charge_uusd, mm_uusd, margin_uusd, cash_out_uusd, fill, level_ppm.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo's files (default: a fresh temporary directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `zkmargin --help`'s closing text: the exit codes and the environment.
fn after_help_text() -> String {
    format!(
        "{EXIT_CODES_HELP}\n\nEnvironment: ZKMARGIN_CACHE (parameter cache directory), \
         ZKMARGIN_QUIET=1 (no progress lines)."
    )
}

/// The one line a usage error becomes: clap's message without its usage and tip lines.
fn usage_error(error: &clap::Error) -> CliError {
    let text = error.render().to_string();
    let mut reason = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with("Usage:")
            || line.starts_with("tip:")
            || line.starts_with("For more information")
        {
            continue;
        }
        if !reason.is_empty() {
            reason.push(' ');
        }
        reason.push_str(line.strip_prefix("error: ").unwrap_or(line));
    }
    let args = match error.get(ContextKind::InvalidArg) {
        Some(clap::error::ContextValue::String(arg)) => vec![arg.clone()],
        Some(clap::error::ContextValue::Strings(args)) => args.clone(),
        _ => vec![],
    };
    match error.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            reason = "a command is required".to_string()
        }
        ErrorKind::MissingRequiredArgument if args.len() == 1 => reason = "is required".into(),
        ErrorKind::MissingRequiredArgument if args.len() > 1 => reason = "are required".into(),
        _ if reason.is_empty() => reason = "invalid arguments".into(),
        _ => {}
    }
    reason.push_str(" (see zkmargin --help)");
    let field = if args.is_empty() {
        "(arguments)".to_string()
    } else {
        args.join(", ")
    };
    CliError::flag(&field, reason)
}

fn run(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                // Help and version go to stdout; a closed pipe is not an error.
                output::print(&e.render().to_string());
                return 0;
            }
            _ => return usage_error(&e).emit(),
        },
    };
    let outcome = match &cli.command {
        Command::Network(NetworkCommand::Build(args)) => commands::network::build(args),
        Command::Check(args) => commands::check::run(args),
        Command::Certify(args) => commands::certify::run(args),
        Command::Prove(args) => commands::prove::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Charge(args) => commands::charge::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Account(command) => commands::parties::account(command),
        Command::Registry(command) => commands::parties::registry(command),
        Command::Vault(command) => commands::parties::vault(command),
        Command::Venue(command) => commands::parties::venue(command),
        Command::Publisher(command) => commands::publisher::keygen(command),
        Command::Publish(args) => commands::publisher::publish_snapshot(args),
        Command::Risk(command) => commands::risk::run(command),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => error.emit(),
    }
}

/// Last resort: a panic is a bug, reported on one line (no backtrace dump), exit 4 (the
/// internal-error code; never Rust's 101), from whichever thread panicked.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        errors::eprint_line(&internal_line(&format!("panic: {payload}{place}")));
        std::process::exit(INTERNAL);
    }));
}

fn main() {
    install_panic_hook();
    let code = run(std::env::args_os().collect());
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD: &str = "ZKMARGIN_TEST_PANIC_CHILD";

    /// A panic anywhere ends the program with the internal-error code and one line, never 101.
    /// The test runs itself again as a child process that installs the hook and panics.
    #[test]
    fn a_panic_exits_with_the_internal_code_and_one_line() {
        if std::env::var_os(CHILD).is_some() {
            install_panic_hook();
            panic!("boom\nsecond line");
        }
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::a_panic_exits_with_the_internal_code_and_one_line",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(INTERNAL));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line = stderr
            .lines()
            .find(|l| l.starts_with("zkmargin: internal error: panic: boom second line at "))
            .unwrap_or_else(|| panic!("no one-line report in {stderr:?}"));
        assert!(
            line.ends_with("(not your input; please report it)"),
            "{line}"
        );
    }
}
