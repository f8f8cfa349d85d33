//! `zkmargin network build NETWORK.json --out DIR [--profile small|standard|large|desk]
//! [--valid-from UNIX|now]`
//!
//! Reads the network (epoch parameters and every account's book), draws each account's
//! secret key and leaf salts from the operating system's generator, builds every chain's and
//! venue's Merkle tree, and writes `DIR/snapshot.json` (public) and `DIR/accounts/<name>.json`
//! (private, mode 0600), each atomically. Exit 0, or 1 on bad input.
//!
//! The snapshot carries the risk table of every instrument an account holds and every one of
//! `instruments` (`zkmargin_prover::risk_table`). `--risk RISK.json` computes the haircuts
//! (`zkmargin risk haircuts`) and the scan ranges from a risk model in place of the file's
//! `haircuts_ppm` and `scan_ppm`; `--valid-from` moves the file's epoch to start then (its
//! end and every option's expiry by the same seconds, so the margins are the file's: how the
//! bundled examples give a live epoch on any day); `--signing-key` signs the snapshot as `zkmargin
//! publish` does. Without a key the snapshot is unsigned: a local build has no publisher
//! whose key a venue would know, and a key drawn on the spot would vouch for nothing.

use std::path::Path;

use rand::rngs::SysRng;
use rand_core::UnwrapErr;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::snapshot::{Asset, Member};
use zkmargin_formats::account::Account;
use zkmargin_formats::epoch_params::HaircutSource;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::network::read_network_with;
use zkmargin_formats::publisher_key::{read_secret, PublisherSecret};
use zkmargin_formats::risk::RiskModel;
use zkmargin_prover::network::{self, stale_account_files, write_build_signed};
use zkmargin_prover::risk::Haircuts;
use zkmargin_prover::risk_table::apply_risk_model;
use zkmargin_verifier::publisher::SignSnapshot;

use crate::commands::risk::load_risk;
use crate::errors::{eprint_line, CliError, CommandResult, OK};
use crate::inputs::{
    parse_profile, parse_time_or_now, read_text, JSON_FILE_LIMIT, NETWORK_FILE_LIMIT,
};
use crate::output::{print, utc};
use crate::BuildArgs;

/// Builds a network from its text (`file` names it in errors), moved to start at `valid_from`
/// when given (`Network::retime`), with the haircuts of a risk model and a publisher's
/// signature when given, and writes it under `out`.
pub fn build_and_write_with(
    text: &str,
    file: &str,
    valid_from: Option<u64>,
    profile: Option<Profile>,
    risk: Option<&RiskModel>,
    signer: Option<&PublisherSecret>,
    out: &Path,
) -> Result<(Snapshot, Vec<Account>), CliError> {
    let haircuts = |assets: &[Asset], chains: &[Member]| match risk {
        Some(model) => model.haircuts_for(assets, chains),
        None => Ok(Vec::new()),
    };
    let mut network = read_network_with(text, file, risk.map(|_| &haircuts as HaircutSource))?;
    if let Some(start) = valid_from {
        network.retime(start)?;
    }
    if let Some(model) = risk {
        apply_risk_model(&mut network.portfolio, &network.params, model)?;
    }
    let mut rng = UnwrapErr(SysRng);
    let (snapshot, accounts) = network::build(&network, profile, &mut rng)?;
    let signature = signer.map(|key| key.sign(&snapshot));
    write_build_signed(out, &snapshot, signature.as_ref(), &accounts)
        .map_err(|e| CliError::io(out, "--out", "cannot write the network", &e))?;
    Ok((snapshot, accounts))
}

/// What the publisher publishes: the epoch, the roots and the digest.
pub fn summary(snapshot: &Snapshot) -> String {
    let mut out = format!(
        "snapshot epoch {} (profile {}), valid {} to {}\n",
        snapshot.epoch,
        snapshot.profile.name,
        utc(snapshot.valid_from),
        utc(snapshot.valid_until)
    );
    for (chain, root) in snapshot.chains.iter().zip(&snapshot.chain_roots) {
        out.push_str(&format!(
            "  chain {:<12} (id {:>6}) vault root {}\n",
            chain.name,
            chain.id,
            crate::output::tag_text(root)
        ));
    }
    for (venue, root) in snapshot.venues.iter().zip(&snapshot.venue_roots) {
        out.push_str(&format!(
            "  venue {:<12} (id {:>6}) book root  {}\n",
            venue.name,
            venue.id,
            crate::output::tag_text(root)
        ));
    }
    out.push_str(&format!(
        "  risk table  {} instruments (depth {}), root {}\n",
        snapshot.risk_table.rows.len(),
        snapshot.profile.risk_depth,
        crate::output::tag_text(&snapshot.risk_root)
    ));
    out.push_str(&format!("  digest {}\n", digest_to_hex(&snapshot.digest())));
    out
}

pub fn build(args: &BuildArgs) -> CommandResult {
    let profile = parse_profile(args.profile.as_deref())?;
    let risk = args.risk.as_deref().map(load_risk).transpose()?;
    let signer = match &args.signing_key {
        Some(path) => {
            let text = read_text(path, "--signing-key", JSON_FILE_LIMIT)?;
            Some(read_secret(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let text = read_text(&args.network, "NETWORK.json", NETWORK_FILE_LIMIT)?;
    let label = args.network.display().to_string();
    let valid_from = args
        .valid_from
        .as_deref()
        .map(|text| parse_time_or_now(text, "--valid-from"))
        .transpose()?;
    let (snapshot, accounts) = build_and_write_with(
        &text,
        &label,
        valid_from,
        profile,
        risk.as_ref(),
        signer.as_ref(),
        &args.out,
    )?;
    let mut out = String::new();
    if let Some(model) = &risk {
        out.push_str(&format!(
            "haircuts and scan ranges computed from {} (in place of haircuts_ppm and scan_ppm)\n",
            model.file
        ));
    }
    out.push_str(&summary(&snapshot));
    match &signer {
        Some(key) => out.push_str(&format!(
            "  signed by publisher {}\n",
            key.public().to_hex()
        )),
        None => out.push_str("  unsigned (sign with --signing-key, or use zkmargin publish)\n"),
    }
    out.push_str(&format!(
        "wrote {} (public)\n",
        args.out.join("snapshot.json").display()
    ));
    for account in &accounts {
        out.push_str(&format!(
            "wrote {} (private, mode 0600: account {})\n",
            args.out
                .join("accounts")
                .join(format!("{}.json", account.name))
                .display(),
            account.idx
        ));
    }
    print(&out);
    for stale in stale_account_files(&args.out, &accounts) {
        eprint_line(&format!(
            "note: {} is not an account of this network: it is left from an earlier build \
             into {}, and check and prove refuse it against the new snapshot",
            stale.display(),
            args.out.display()
        ));
    }
    Ok(OK)
}
