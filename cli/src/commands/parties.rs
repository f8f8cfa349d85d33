//! The parties apart: `account new`, `registry add`, `vault build`, `venue build` and
//! `account assemble` (the publisher's `publisher keygen` and `publish` are in `publisher`).
//!
//! Each command is one party's step and writes only its own files; the file formats are in
//! `zkmargin_prover::parties`, `zkmargin_formats` and the README. Private files (the trader's secret, openings,
//! the account file) are written with mode 0600. Exit 0, or 1 on bad input.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ff::Field;
use rand::rngs::SysRng;
use rand_core::UnwrapErr;
use zkmargin_circuits::hash::{account_key, account_tag, fp_from_hex, Fp};
use zkmargin_circuits::units::ID_BITS;
use zkmargin_formats::account::{read_account, write_account, write_account_file};
use zkmargin_formats::account_name::check_account_name;
use zkmargin_formats::epoch::{read_epoch, Epoch};
use zkmargin_formats::holdings::read_holdings;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::opening::{read_opening, write_opening};
use zkmargin_formats::registry::{read_registry, write_registry, Registry};
use zkmargin_formats::root::write_root;
use zkmargin_formats::secret::{read_secret, write_secret};
use zkmargin_formats::tree::TreeKind;
use zkmargin_formats::write::{create_dir_all, write_atomic};
use zkmargin_prover::parties::{assemble, build_tree, TreeBuild};

use crate::commands::prove::check_out_path;
use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{label, load_snapshot, read_text, JSON_FILE_LIMIT, NETWORK_FILE_LIMIT};
use crate::output::{print, tag_text};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Make a trader's secret (mode 0600); print its account key and its tag at each venue.
    New(NewArgs),
    /// Join the secret and one opening per chain and venue into the account file prove reads.
    Assemble(AssembleArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to write the secret (refuses to replace an existing file).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// A venue id to print the account tag for (repeat for several venues).
    #[arg(long = "venue-id", value_name = "N", allow_hyphen_values = true)]
    pub venue_ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AssembleArgs {
    /// The trader's secret (zkmargin account new).
    #[arg(long, value_name = "FILE")]
    pub secret: PathBuf,
    /// The published snapshot.
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The openings, one per chain and venue of the snapshot.
    #[arg(value_name = "OPENING", required = true)]
    pub openings: Vec<PathBuf>,
    /// Where to write the account file (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Register an account key under a name at the next free index (creates the registry).
    Add(RegistryAddArgs),
}

#[derive(Debug, Args)]
pub struct RegistryAddArgs {
    /// The registry file (zkmargin.registry/1), created if missing.
    #[arg(long, value_name = "FILE")]
    pub registry: PathBuf,
    /// The account's name (1 to 64 of A-Z a-z 0-9 _ -).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The account key, as zkmargin account new prints it.
    #[arg(long, value_name = "HEX")]
    pub key: String,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Commit a chain's balances: write DIR/root.json and DIR/openings/<name>.json.
    Build(TreeArgs),
}

#[derive(Debug, Subcommand)]
pub enum VenueCommand {
    /// Commit a venue's positions: write DIR/root.json and DIR/openings/<name>.json.
    Build(TreeArgs),
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The epoch the publisher announced (zkmargin.epoch/1).
    #[arg(long, value_name = "FILE")]
    pub epoch: PathBuf,
    /// The account registry (zkmargin.registry/1).
    #[arg(long, value_name = "FILE")]
    pub registry: PathBuf,
    /// What this party holds: balances (zkmargin.vault/1) or positions (zkmargin.venue/1).
    #[arg(value_name = "HOLDINGS.json")]
    pub holdings: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

fn rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// A private file that must not replace an existing one (a lost secret cannot be recovered).
fn refuse_existing(path: &Path, flag: &str) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::input(InputError::new(
            label(path),
            flag,
            "exists already: refusing to replace a secret (remove it first if you mean to)",
        )));
    }
    check_out_path(path, &[])
}

pub fn account(command: &AccountCommand) -> CommandResult {
    match command {
        AccountCommand::New(args) => new(args),
        AccountCommand::Assemble(args) => assemble_account(args),
    }
}

fn new(args: &NewArgs) -> CommandResult {
    let venue_ids = args
        .venue_ids
        .iter()
        .map(|text| {
            text.parse::<u64>()
                .ok()
                .filter(|id| *id < 1u64 << ID_BITS)
                .ok_or_else(|| {
                    CliError::flag(
                        "--venue-id",
                        format!(
                            "{} is not a venue id (a whole number below 2^{ID_BITS})",
                            shown(text)
                        ),
                    )
                })
        })
        .collect::<Result<Vec<u64>, CliError>>()?;
    refuse_existing(&args.out, "--out")?;
    let sk = Fp::random(&mut rng());
    write_atomic(&args.out, write_secret(&sk).as_bytes(), Some(0o600))
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the secret", &e))?;
    let mut out = format!(
        "wrote {} (private, mode 0600: keep it; it cannot be recovered)\n\
         account key  {}  (give it to the registry: zkmargin registry add)\n",
        args.out.display(),
        tag_text(&account_key(sk))
    );
    for id in venue_ids {
        out.push_str(&format!(
            "tag at venue {id}  {}  (register it with that venue once)\n",
            tag_text(&account_tag(sk, id))
        ));
    }
    print(&out);
    Ok(OK)
}

fn assemble_account(args: &AssembleArgs) -> CommandResult {
    let secret_text = read_text(&args.secret, "--secret", JSON_FILE_LIMIT)?;
    let sk = read_secret(&secret_text, &label(&args.secret))?;
    let snapshot = load_snapshot(&args.snapshot)?;
    let mut openings = Vec::new();
    for path in &args.openings {
        let text = read_text(path, "OPENING", JSON_FILE_LIMIT)?;
        openings.push((label(path), read_opening(&text, &label(path))?));
    }
    let account = assemble(sk, &snapshot, &openings)?;
    // The account file must read back exactly as prove and check will read it.
    let text = write_account(&account, &snapshot);
    read_account(&text, &label(&args.out), &snapshot)?;
    let inputs: Vec<(&str, &Path)> = std::iter::once(("--secret", args.secret.as_path()))
        .chain(std::iter::once(("--snapshot", args.snapshot.as_path())))
        .chain(args.openings.iter().map(|p| ("OPENING", p.as_path())))
        .collect();
    check_out_path(&args.out, &inputs)?;
    write_account_file(&args.out, &account, &snapshot)
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the account", &e))?;
    print(&format!(
        "wrote {} (private, mode 0600): account {} at index {}, snapshot epoch {} (profile {})\n\
         check it with: zkmargin check --snapshot {} --account {}\n",
        args.out.display(),
        account.name,
        account.idx,
        snapshot.epoch,
        snapshot.profile.name,
        args.snapshot.display(),
        args.out.display()
    ));
    Ok(OK)
}

pub fn registry(command: &RegistryCommand) -> CommandResult {
    let RegistryCommand::Add(args) = command;
    let key = fp_from_hex(&args.key.to_ascii_lowercase()).ok_or_else(|| {
        CliError::flag(
            "--key",
            format!(
                "{} is not an account key (0x and 64 hex digits, as zkmargin account new \
                 prints it)",
                shown(&args.key)
            ),
        )
    })?;
    let name_json = zkmargin_formats::json::Json::str(&args.name);
    check_account_name(
        &zkmargin_formats::json::ValueReader::new("command line", "--name".into(), &name_json),
        &args.name,
    )?;
    let mut registry = if args.registry.exists() {
        let text = read_text(&args.registry, "--registry", NETWORK_FILE_LIMIT)?;
        read_registry(&text, &label(&args.registry))?
    } else {
        Registry::default()
    };
    let idx = registry
        .add(&args.name, key)
        .map_err(|reason| CliError::flag("--name, --key", reason))?;
    check_out_path(&args.registry, &[])?;
    write_atomic(&args.registry, write_registry(&registry).as_bytes(), None).map_err(|e| {
        CliError::io(
            &args.registry,
            "--registry",
            "cannot write the registry",
            &e,
        )
    })?;
    print(&format!(
        "registered {} at index {idx} in {} ({} accounts)\n",
        args.name,
        args.registry.display(),
        registry.entries.len()
    ));
    Ok(OK)
}

pub fn vault(command: &VaultCommand) -> CommandResult {
    let VaultCommand::Build(args) = command;
    tree(args, TreeKind::Chain)
}

pub fn venue(command: &VenueCommand) -> CommandResult {
    let VenueCommand::Build(args) = command;
    tree(args, TreeKind::Venue)
}

fn load_epoch(path: &Path) -> Result<Epoch, CliError> {
    let text = read_text(path, "--epoch", JSON_FILE_LIMIT)?;
    Ok(read_epoch(&text, &label(path))?)
}

fn tree(args: &TreeArgs, kind: TreeKind) -> CommandResult {
    let epoch = load_epoch(&args.epoch)?;
    let text = read_text(&args.registry, "--registry", NETWORK_FILE_LIMIT)?;
    let registry = read_registry(&text, &label(&args.registry))?;
    let holdings_label = label(&args.holdings);
    let text = read_text(&args.holdings, "HOLDINGS.json", NETWORK_FILE_LIMIT)?;
    let (member, holdings) = read_holdings(&text, &holdings_label, kind, &epoch, &registry)?;
    let mut rng = rng();
    let salts: Vec<Fp> = holdings
        .iter()
        .map(|h| {
            if h.present() {
                Fp::random(&mut rng)
            } else {
                Fp::ZERO
            }
        })
        .collect();
    let built = build_tree(
        &epoch,
        kind,
        &member,
        &registry,
        &holdings,
        &salts,
        &label(&args.registry),
    )?;
    write_tree(&args.out, &built)
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the tree", &e))?;
    let present = built.openings.iter().filter(|o| o.opening.present).count();
    print(&format!(
        "{} {} (id {}), epoch {}, profile {}: {} accounts, {present} with a nonzero leaf\n\
         root {}\n\
         wrote {} (public: give it to the publisher)\n\
         wrote {} openings in {} (private, mode 0600: give each to its account)\n",
        kind.word(),
        member.name,
        member.id,
        epoch.params.epoch,
        epoch.profile.name,
        built.openings.len(),
        tag_text(&built.root.root),
        args.out.join("root.json").display(),
        built.openings.len(),
        args.out.join("openings").display(),
    ));
    Ok(OK)
}

/// `dir/root.json` and `dir/openings/<name>.json` (mode 0600, directory 0700).
pub fn write_tree(dir: &Path, built: &TreeBuild) -> std::io::Result<()> {
    create_dir_all(dir, None)?;
    let openings = dir.join("openings");
    create_dir_all(&openings, Some(0o700))?;
    for o in &built.openings {
        write_atomic(
            &openings.join(format!("{}.json", o.account)),
            write_opening(o).as_bytes(),
            Some(0o600),
        )?;
    }
    write_atomic(
        &dir.join("root.json"),
        write_root(&built.root).as_bytes(),
        None,
    )
}
