//! `zkmargin network build NETWORK.json --out DIR [--profile small|standard|large]`
//!
//! Reads the network (epoch parameters and every account's book), draws each account's
//! secret key and leaf salts from the operating system's generator, builds every chain's and
//! venue's Merkle tree, and writes `DIR/snapshot.json` (public) and `DIR/accounts/<name>.json`
//! (private, mode 0600), each atomically. Exit 0, or 1 on bad input.

use std::path::Path;

use rand::rngs::SysRng;
use rand_core::UnwrapErr;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::snapshot_json::digest_to_hex;
use zkmargin_prover::account::Account;
use zkmargin_prover::network::{self, read_network, write_build};

use crate::errors::{Failure, Outcome, OK};
use crate::inputs::{parse_profile, read_text, NETWORK_FILE_LIMIT};
use crate::report::{print, utc};
use crate::BuildArgs;

/// Builds a network from its text (`file` names it in errors) and writes it under `out`.
pub fn build_and_write(
    text: &str,
    file: &str,
    profile: Option<Profile>,
    out: &Path,
) -> Result<(Snapshot, Vec<Account>), Failure> {
    let network = read_network(text, file)?;
    let mut rng = UnwrapErr(SysRng);
    let (snapshot, accounts) = network::build(&network, profile, &mut rng)?;
    write_build(out, &snapshot, &accounts)
        .map_err(|e| Failure::io(out, "--out", "cannot write the network", &e))?;
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
            crate::report::tag_text(root)
        ));
    }
    for (venue, root) in snapshot.venues.iter().zip(&snapshot.venue_roots) {
        out.push_str(&format!(
            "  venue {:<12} (id {:>6}) book root  {}\n",
            venue.name,
            venue.id,
            crate::report::tag_text(root)
        ));
    }
    out.push_str(&format!("  digest {}\n", digest_to_hex(&snapshot.digest())));
    out
}

pub fn build(args: &BuildArgs) -> Outcome {
    let profile = parse_profile(args.profile.as_deref())?;
    let text = read_text(&args.network, "NETWORK.json", NETWORK_FILE_LIMIT)?;
    let label = args.network.display().to_string();
    let (snapshot, accounts) = build_and_write(&text, &label, profile, &args.out)?;
    let mut out = summary(&snapshot);
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
    Ok(OK)
}
