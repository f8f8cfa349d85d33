//! The risk publisher: `publisher keygen` and `publish`.
//!
//! `zkmargin publisher keygen --out publisher.secret` draws an Ed25519 key pair from the
//! operating system's generator and writes the secret (mode 0600, never replaced) and the
//! public key beside it (`publisher.pub`). `zkmargin publish --epoch epoch.json --root R...
//! --key publisher.secret [--risk RISK.json] --out snapshot.json` joins the epoch's prices and
//! risk parameters with every vault's and venue's root, computes the risk table of the epoch's
//! instruments (`zkmargin_prover::risk_table`), and writes the snapshot signed over its digest.
//! `--risk` computes the haircuts and the scan ranges from a risk model. Exit 0, or 1 on bad
//! input.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rand::rngs::SysRng;
use rand_core::{Rng, UnwrapErr};
use zkmargin_formats::epoch::read_epoch;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::publisher_key::{read_secret, write_public, write_secret, PublisherSecret};
use zkmargin_formats::root::read_root;
use zkmargin_formats::snapshot::write_signed_snapshot;
use zkmargin_formats::write::write_atomic;
use zkmargin_prover::parties::publish;
use zkmargin_prover::risk::Haircuts;
use zkmargin_prover::risk_table::apply_risk_model;
use zkmargin_verifier::publisher::SignSnapshot;

use crate::commands::network::summary;
use crate::commands::prove::check_out_path;
use crate::commands::risk::load_risk;
use crate::errors::{CliError, CommandResult, OK};
use crate::inputs::{label, read_text, JSON_FILE_LIMIT};
use crate::output::print;

#[derive(Debug, Subcommand)]
pub enum PublisherCommand {
    /// Make the publisher's Ed25519 key pair: FILE (secret, mode 0600) and FILE's .pub.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the secret key (refuses to replace an existing file); the public key
    /// goes beside it with the extension .pub.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The epoch: profile, times, prices and risk parameters (zkmargin.epoch/1).
    #[arg(long, value_name = "FILE")]
    pub epoch: PathBuf,
    /// The root file of every vault and venue (zkmargin vault build, zkmargin venue build).
    #[arg(long = "root", value_name = "ROOT", num_args = 1.., required = true)]
    pub roots: Vec<PathBuf>,
    /// The publisher's secret key (zkmargin publisher keygen).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Compute the haircuts and the scan ranges from this risk model (zkmargin.risk/1) in place
    /// of the epoch's.
    #[arg(long, value_name = "RISK.json")]
    pub risk: Option<PathBuf>,
    /// Where to write the signed snapshot.
    #[arg(long, value_name = "SNAPSHOT")]
    pub out: PathBuf,
}

/// The public key file beside a secret key file: `publisher.secret` -> `publisher.pub`.
pub fn public_path(secret: &Path) -> PathBuf {
    secret.with_extension("pub")
}

pub fn keygen(command: &PublisherCommand) -> CommandResult {
    let PublisherCommand::Keygen(args) = command;
    let public = public_path(&args.out);
    if public == args.out {
        return Err(CliError::flag(
            "--out",
            "the secret key file must not end in .pub (the public key goes there)",
        ));
    }
    for (path, what) in [(&args.out, "secret"), (&public, "public")] {
        if path.exists() {
            return Err(CliError::input(InputError::new(
                label(path),
                "--out",
                format!("exists already: refusing to replace a {what} key"),
            )));
        }
        check_out_path(path, &[])?;
    }
    let mut bytes = [0u8; 32];
    UnwrapErr(SysRng).fill_bytes(&mut bytes);
    let secret = PublisherSecret::from_bytes(&bytes);
    bytes.fill(0);
    write_atomic(&args.out, write_secret(&secret).as_bytes(), Some(0o600))
        .map_err(|e| CliError::io(&args.out, "--out", "cannot write the secret key", &e))?;
    write_atomic(&public, write_public(&secret.public()).as_bytes(), None)
        .map_err(|e| CliError::io(&public, "--out", "cannot write the public key", &e))?;
    print(&format!(
        "publisher key {}\n\
         wrote {} (secret, mode 0600: signs snapshots)\n\
         wrote {} (public: venues verify with --publisher {})\n",
        secret.public().to_hex(),
        args.out.display(),
        public.display(),
        secret.public().to_hex()
    ));
    Ok(OK)
}

pub fn publish_snapshot(args: &PublishArgs) -> CommandResult {
    let text = read_text(&args.epoch, "--epoch", JSON_FILE_LIMIT)?;
    let mut epoch = read_epoch(&text, &label(&args.epoch))?;
    let text = read_text(&args.key, "--key", JSON_FILE_LIMIT)?;
    let secret = read_secret(&text, &label(&args.key))?;
    let mut roots = Vec::new();
    for path in &args.roots {
        let text = read_text(path, "--root", JSON_FILE_LIMIT)?;
        roots.push((label(path), read_root(&text, &label(path))?));
    }
    let mut notes = String::new();
    if let Some(risk) = &args.risk {
        let model = load_risk(risk)?;
        epoch.params.haircuts_ppm =
            model.haircuts_for(&epoch.params.assets, &epoch.params.chains)?;
        apply_risk_model(&mut epoch.portfolio, &epoch.params, &model)?;
        notes.push_str(&format!(
            "haircuts and scan ranges computed from {} (in place of the epoch's haircuts_ppm \
             and scan_ppm)\n",
            risk.display()
        ));
    }
    let snapshot = publish(&epoch, &label(&args.epoch), &roots)?;
    let signature = secret.sign(&snapshot);
    let mut inputs: Vec<(&str, &Path)> = vec![("--epoch", &args.epoch), ("--key", &args.key)];
    inputs.extend(args.roots.iter().map(|p| ("--root", p.as_path())));
    check_out_path(&args.out, &inputs)?;
    write_atomic(
        &args.out,
        write_signed_snapshot(&snapshot, Some(&signature)).as_bytes(),
        None,
    )
    .map_err(|e| CliError::io(&args.out, "--out", "cannot write the snapshot", &e))?;
    print(&format!(
        "{notes}{}  signed by publisher {}\nwrote {} (public)\n",
        summary(&snapshot),
        secret.public().to_hex(),
        args.out.display()
    ));
    Ok(OK)
}
