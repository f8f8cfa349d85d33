//! The parties apart: `account new`, `registry add`, `vault build` and `venue build` (with
//! their `opening` on request) and `account assemble` (the publisher's `publisher keygen` and
//! `publish` are in `publisher`).
//!
//! Each command is one party's step and writes only its own files; the file formats are in
//! `zkmargin_prover::parties`, `zkmargin_formats` and the README. Private files (the trader's secret, openings,
//! the account file) are written with mode 0600. Exit 0, or 1 on bad input.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use ff::Field;
use rand::rngs::{StdRng, SysRng};
use rand::SeedableRng;
use rand_core::UnwrapErr;
use zkmargin_circuits::hash::{account_key, account_tag, fp_from_hex, Fp};
use zkmargin_circuits::snapshot::Member;
use zkmargin_circuits::units::ID_BITS;
use zkmargin_formats::account::{read_account, write_account, write_account_file};
use zkmargin_formats::account_name::check_account_name;
use zkmargin_formats::epoch::{read_epoch, Epoch};
use zkmargin_formats::holdings::{read_holding_changes, read_holdings, HoldingsPass};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::opening::{read_opening, write_opening};
use zkmargin_formats::registry::{read_registry, write_registry, Registry};
use zkmargin_formats::root::write_root;
use zkmargin_formats::secret::{read_secret, write_secret};
use zkmargin_formats::tree::Holding;
use zkmargin_formats::tree::TreeKind;
use zkmargin_formats::write::{create_dir_all, write_atomic};
use zkmargin_prover::parties::assemble;
use zkmargin_trees::build::{build, build_changes, ChangesInput, Salts, TreeInput};
use zkmargin_trees::opening::opening;
use zkmargin_trees::store::{registry_digest, store_path, Store};

use crate::commands::prove::check_out_path;
use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{
    label, load_account, load_snapshot, read_bytes, read_text, venue_index, JSON_FILE_LIMIT,
    NETWORK_FILE_LIMIT,
};
use crate::output::{print, tag_text};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Make a trader's secret (mode 0600); print its account key and its tag at each venue.
    New(NewArgs),
    /// Join the secret and one opening per chain and venue into the account file prove reads.
    Assemble(AssembleArgs),
    /// Print the account's tag at a venue of the snapshot (what the trader registers there,
    /// and what the venue passes to verify --tag).
    Tag(TagArgs),
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The epoch snapshot (snapshot.json): it names the venues.
    #[arg(long, value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// The trader's private account file (accounts/<name>.json).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: PathBuf,
    /// The venue, by its name in the snapshot.
    #[arg(long, value_name = "NAME")]
    pub venue: String,
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
    /// Commit a chain's balances: the tree into DIR/tree.db (the next epoch into the same
    /// DIR reuses it), DIR/root.json, and with --openings DIR/openings/<name>.json.
    Build(TreeArgs),
    /// Write one account's opening of the tree in DIR/tree.db (mode 0600).
    Opening(OpeningArgs),
}

#[derive(Debug, Subcommand)]
pub enum VenueCommand {
    /// Commit a venue's positions: the tree into DIR/tree.db (the next epoch into the same
    /// DIR reuses it), DIR/root.json, and with --openings DIR/openings/<name>.json.
    Build(TreeArgs),
    /// Write one account's opening of the tree in DIR/tree.db (mode 0600).
    Opening(OpeningArgs),
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
    /// The tree's directory (created if missing): its store, tree.db, is kept between epochs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write every account's opening, DIR/openings/<name>.json (for small networks; a
    /// large one serves them on request: vault|venue opening, or the gateway).
    #[arg(long)]
    pub openings: bool,
    /// Draw a new salt for every account that holds something, not only for those whose
    /// holding changed: every leaf and the whole tree are rehashed, and the owners of
    /// neighbouring leaves cannot tell whether an account's holding changed since the last
    /// epoch (see the README, "Epochs at scale").
    #[arg(long)]
    pub fresh_salts: bool,
    /// HOLDINGS.json lists only the accounts whose holding changed since the epoch the store
    /// in --out holds (one listed with nothing now holds nothing); every other account keeps
    /// its holding, salt and leaf. The registry must be the file that epoch was built from.
    #[arg(long, conflicts_with_all = ["fresh_salts", "openings"])]
    pub changed_only: bool,
}

#[derive(Debug, Args)]
pub struct OpeningArgs {
    /// The tree's directory (as given to build --out).
    #[arg(long, value_name = "DIR")]
    pub tree: PathBuf,
    /// The account's registered name.
    #[arg(long, value_name = "NAME")]
    pub account: String,
    /// Where to write the opening (zkmargin.opening/1, mode 0600).
    #[arg(long, value_name = "FILE")]
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
        AccountCommand::Tag(args) => tag(args),
    }
}

/// `account tag`: the tag alone on its line, so a script can take it
/// (`TAG=$(zkmargin account tag ...)`).
fn tag(args: &TagArgs) -> CommandResult {
    let snapshot = load_snapshot(&args.snapshot)?;
    let account = load_account(&args.account, &snapshot)?;
    let venue = &snapshot.venues[venue_index(&snapshot, &args.venue)?];
    print(&format!(
        "{}\n",
        tag_text(&account_tag(account.sk, venue.id))
    ));
    Ok(OK)
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
    match command {
        VaultCommand::Build(args) => tree(args, TreeKind::Chain),
        VaultCommand::Opening(args) => tree_opening(args),
    }
}

pub fn venue(command: &VenueCommand) -> CommandResult {
    match command {
        VenueCommand::Build(args) => tree(args, TreeKind::Venue),
        VenueCommand::Opening(args) => tree_opening(args),
    }
}

fn load_epoch(path: &Path) -> Result<Epoch, CliError> {
    let text = read_text(path, "--epoch", JSON_FILE_LIMIT)?;
    Ok(read_epoch(&text, &label(path))?)
}

fn tree(args: &TreeArgs, kind: TreeKind) -> CommandResult {
    let start = Instant::now();
    let epoch = load_epoch(&args.epoch)?;
    if args.out.exists() && !args.out.is_dir() {
        return Err(CliError::flag(
            "--out",
            format!("{} is not a directory", args.out.display()),
        ));
    }
    // A tree's salts hide its leaves from the owners of the neighbouring ones: drawn from a
    // ChaCha stream seeded once from the operating system, not a system call each (3 us a salt
    // here, 3 s of a million-account build).
    let mut rng = StdRng::from_rng(&mut rng());
    let mut draw = || Fp::random(&mut rng);
    let registry_file = label(&args.registry);
    let (report, read, registry) = if args.changed_only {
        let registry_bytes = read_bytes(&args.registry, "--registry", NETWORK_FILE_LIMIT)?;
        let holdings_text = read_text(&args.holdings, "HOLDINGS.json", NETWORK_FILE_LIMIT)?;
        let holdings_file = label(&args.holdings);
        let (member, changes) = read_holding_changes(&holdings_text, &holdings_file, kind, &epoch)?;
        let read = start.elapsed();
        let input = ChangesInput {
            epoch: &epoch,
            kind,
            member: &member,
            changes: &changes,
            changes_file: &holdings_file,
            registry_file: &registry_file,
            registry_digest: registry_digest(&registry_bytes),
        };
        (build_changes(&args.out, &input, &mut draw)?, read, None)
    } else {
        let (registry, digest, (member, holdings)) = read_tree_inputs(args, kind, &epoch)?;
        let read = start.elapsed();
        let input = TreeInput {
            epoch: &epoch,
            kind,
            member: &member,
            registry: &registry,
            holdings: &holdings,
            registry_file: &registry_file,
            registry_digest: digest,
        };
        let salts = if args.fresh_salts {
            Salts::Fresh
        } else {
            Salts::Keep
        };
        let report = build(&args.out, &input, salts, &mut draw)?;
        (report, read, Some(registry))
    };
    let root_path = args.out.join("root.json");
    write_atomic(&root_path, write_root(&report.root).as_bytes(), None)
        .map_err(|e| CliError::io(&root_path, "--out", "cannot write the root", &e))?;
    let openings_line = if let Some(registry) = registry.as_ref().filter(|_| args.openings) {
        let written = write_openings(&args.out, registry)?;
        format!(
            "wrote {written} openings in {} (private, mode 0600: give each to its account)\n",
            args.out.join("openings").display()
        )
    } else {
        format!(
            "openings on request: zkmargin {} opening --tree {} --account NAME --out FILE\n",
            kind.word().replace("chain", "vault"),
            args.out.display()
        )
    };
    let reuse = if report.first {
        "a new store".to_string()
    } else {
        format!(
            "{} accounts changed, {} leaves rehashed, {} removed; the rest reused",
            report.changed, report.hashed_leaves, report.removed
        )
    };
    let steps: Vec<String> = std::iter::once(("read", read))
        .chain(report.timings.iter().copied())
        .map(|(step, time)| format!("{step} {:.2} s", time.as_secs_f64()))
        .collect();
    print(&format!(
        "{} {} (id {}), epoch {}, profile {}: {} accounts, {} with a nonzero leaf ({reuse}; {} \
         nodes hashed)\n\
         time: {} ({:.2} s in all)\n\
         root {}\n\
         wrote {} (public: give it to the publisher) and {} (private, mode 0600: kept for the \
         next epoch)\n\
         {openings_line}",
        kind.word(),
        report.root.member.name,
        report.root.member.id,
        epoch.params.epoch,
        epoch.profile.name,
        report.root.accounts,
        report.present,
        report.hashed_nodes,
        steps.join(", "),
        start.elapsed().as_secs_f64(),
        tag_text(&report.root.root),
        root_path.display(),
        store_path(&args.out).display(),
    ));
    Ok(OK)
}

/// The registry and the holdings file, both read at once: a venue of a million accounts has
/// files of hundreds of megabytes, and each has a core (`HoldingsPass` reads the holdings
/// before the registry is known; the strict reader says what is wrong with either).
/// The registry (and the digest of its file's bytes) and the holding of every registered
/// account, the two files read at once.
fn read_tree_inputs(
    args: &TreeArgs,
    kind: TreeKind,
    epoch: &Epoch,
) -> Result<(Registry, [u8; 32], (Member, Vec<Holding>)), CliError> {
    let registry_text = read_text(&args.registry, "--registry", NETWORK_FILE_LIMIT)?;
    let holdings_text = read_text(&args.holdings, "HOLDINGS.json", NETWORK_FILE_LIMIT)?;
    let (registry, pass) = std::thread::scope(|s| {
        let pass = s.spawn(|| HoldingsPass::read(&holdings_text, kind, epoch));
        let registry = read_registry(&registry_text, &label(&args.registry))
            .map(|r| (r, registry_digest(registry_text.as_bytes())));
        (registry, pass.join())
    });
    drop(registry_text);
    let (registry, digest) = registry?;
    let read = match pass.ok().flatten().and_then(|pass| pass.resolve(&registry)) {
        Some(read) => read,
        None => read_holdings(
            &holdings_text,
            &label(&args.holdings),
            kind,
            epoch,
            &registry,
        )?,
    };
    Ok((registry, digest, read))
}

/// `dir/openings/<name>.json` for every registered account (mode 0600, directory 0700), read
/// from the store as `opening` reads them.
fn write_openings(dir: &Path, registry: &Registry) -> Result<usize, CliError> {
    let store = Store::open(&store_path(dir), false)?;
    let openings = dir.join("openings");
    create_dir_all(&openings, Some(0o700))
        .map_err(|e| CliError::io(&openings, "--out", "cannot create the directory", &e))?;
    for entry in &registry.entries {
        let o = opening(&store, &entry.name, "--account")?;
        let path = openings.join(format!("{}.json", o.account));
        write_atomic(&path, write_opening(&o).as_bytes(), Some(0o600))
            .map_err(|e| CliError::io(&path, "--out", "cannot write the opening", &e))?;
    }
    Ok(registry.entries.len())
}

fn tree_opening(args: &OpeningArgs) -> CommandResult {
    let store = Store::open(&store_path(&args.tree), false)?;
    let o = opening(&store, &args.account, "--account")?;
    check_out_path(&args.out, &[])?;
    write_atomic(&args.out, write_opening(&o).as_bytes(), Some(0o600))
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the opening", &e))?;
    print(&format!(
        "wrote {} (private, mode 0600): the opening of {} at index {} in {} {}, epoch {}\n",
        args.out.display(),
        o.account,
        o.idx,
        o.kind.word(),
        o.member.name,
        o.epoch
    ));
    Ok(OK)
}
