//! The parties apart: each step of building an epoch, with the file it reads and writes.
//!
//! `network build` does every step on one machine (see `network::build_with`); in the real
//! system each party runs its own step and trusts the others only through roots and the
//! publisher's signature:
//!
//! | step | party | reads | writes |
//! |---|---|---|---|
//! | `account new` | trader | | `alice.secret` (`zkmargin.secret/1`, mode 0600) |
//! | `registry add` | registry | `registry.json`, an account key | `registry.json` (`zkmargin.registry/1`) |
//! | `vault build` | a chain's vault | `epoch.json`, `registry.json`, its balances (`zkmargin.vault/1`) | `root.json` (`zkmargin.root/1`), `tree.db` (kept for the next epoch), with `--openings` `openings/<name>.json` (`zkmargin.opening/1`, mode 0600) |
//! | `venue build` | a venue | `epoch.json`, `registry.json`, its positions (`zkmargin.venue/1`) | the same |
//! | `vault opening`, `venue opening` | a vault, a venue | `tree.db` | one account's opening |
//! | `publish` | publisher | `epoch.json`, every `root.json`, its key | `snapshot.json`, signed, with the risk table of the epoch's instruments |
//! | `account assemble` | trader | `alice.secret`, `snapshot.json`, its openings | `alice.json` (`zkmargin.account/1`) |
//!
//! The files are read and written by `zkmargin_formats` (`secret`, `registry`, `epoch`,
//! `holdings`, `root`, `opening`, `account`); this module holds the steps between them. The
//! commands `vault build` and `venue build` keep their tree in a store between epochs
//! (`zkmargin_trees`); [`build_tree`] is the same tree in memory, for `network build`, and
//! gives the same root for the same holdings and salts.
//!
//! The registry gives every account an index; a vault or venue commits one leaf per registered
//! account (leaf 0 where it holds nothing for it), so every account gets an opening from every
//! tree. A root file names the epoch, the profile and the asset order its leaves were built
//! under, so that `publish` refuses a root built for another epoch or layout.

use ff::Field;
use zkmargin_circuits::hash::{account_key, Fp, MerkleTree};
use zkmargin_circuits::margin::{Book, Position};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::{Member, Snapshot};
use zkmargin_formats::account::{Account, Opening};
use zkmargin_formats::epoch::Epoch;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::opening::OpeningFile;
use zkmargin_formats::registry::Registry;
use zkmargin_formats::root::RootFile;
use zkmargin_formats::tree::{Holding, TreeKind};

use crate::risk_table::publish_risk;

/// A tree built by a vault or a venue: its root and one opening per registered account.
#[derive(Clone, Debug)]
pub struct TreeBuild {
    pub root: RootFile,
    pub openings: Vec<OpeningFile>,
}

/// Builds the tree of `member` (a chain or a venue of `epoch`) over every registered account:
/// `holdings[i]` and `salts[i]` belong to `registry.entries[i]` (a salt is used only where the
/// account holds something; elsewhere the leaf is 0 and the opening's salt 0).
pub fn build_tree(
    epoch: &Epoch,
    kind: TreeKind,
    member: &Member,
    registry: &Registry,
    holdings: &[Holding],
    salts: &[Fp],
    file: &str,
) -> Result<TreeBuild, InputError> {
    let profile = epoch.profile;
    registry.check_fits(&profile, file)?;
    if holdings.len() != registry.entries.len() || salts.len() != registry.entries.len() {
        return Err(InputError::new(
            file,
            "(top level)",
            "one holding and one salt per registered account are required",
        ));
    }
    let mut leaves = Vec::new();
    let mut used_salts = Vec::new();
    for (i, ((entry, holding), &salt)) in
        registry.entries.iter().zip(holdings).zip(salts).enumerate()
    {
        let salt = if holding.present() { salt } else { Fp::ZERO };
        let leaf = holding
            .leaf(&profile, entry.key, member.id, salt)
            .ok_or_else(|| {
                InputError::new(
                    file,
                    format!("accounts[{i}]"),
                    format!(
                        "{}'s holding does not fit profile {}",
                        entry.name, profile.name
                    ),
                )
            })?;
        leaves.push((entry.idx, leaf));
        used_salts.push(salt);
    }
    let tree = MerkleTree::new(profile.depth, &leaves);
    let root = tree.root();
    let assets = epoch.asset_symbols();
    let openings = registry
        .entries
        .iter()
        .zip(holdings)
        .zip(used_salts)
        .map(|((entry, holding), salt)| OpeningFile {
            epoch: epoch.params.epoch,
            profile,
            kind,
            member: member.clone(),
            assets: assets.clone(),
            account: entry.name.clone(),
            idx: entry.idx,
            key: entry.key,
            root,
            holding: holding.clone(),
            opening: Opening {
                present: holding.present(),
                salt,
                path: tree.path(entry.idx),
            },
        })
        .collect();
    Ok(TreeBuild {
        root: RootFile {
            epoch: epoch.params.epoch,
            profile,
            kind,
            member: member.clone(),
            assets,
            accounts: registry.entries.len() as u64,
            root,
        },
        openings,
    })
}

// ------------------------------------------------------------------------------ publish

/// Refuses a root or an opening file (`what`) built under another epoch, profile or asset
/// order than the epoch or snapshot (`target`) it is joined to: its leaves would then hash
/// other amounts, or in another order, than the circuit reads. Each triple is
/// `(epoch, profile, asset symbols in order)`.
fn check_built_under(
    file: &str,
    what: &str,
    built: (u64, Profile, &[String]),
    under: (u64, Profile, &[String]),
    target: &str,
) -> Result<(), InputError> {
    let err = |field: &str, reason: String| Err(InputError::new(file, field, reason));
    if built.0 != under.0 {
        return err(
            "epoch",
            format!(
                "the {what} was built for epoch {}, the {target} is epoch {}",
                built.0, under.0
            ),
        );
    }
    if built.1 != under.1 {
        return err(
            "profile",
            format!(
                "the {what} was built for profile {}, the {target} is profile {}",
                built.1.name, under.1.name
            ),
        );
    }
    if built.2 != under.2 {
        return err(
            "assets",
            format!(
                "the {what} was built over assets [{}], the {target}'s are [{}]",
                built.2.join(", "),
                under.2.join(", ")
            ),
        );
    }
    Ok(())
}

/// The snapshot of `epoch` with these roots (`(file, root)` pairs, one per chain and venue,
/// any order) and the risk table of its instruments (`risk_table::publish_risk`; `epoch_file`
/// names the epoch in its errors). A root of another epoch, profile, asset order or id, a
/// missing or a duplicate root is refused, naming the root's file and field.
pub fn publish(
    epoch: &Epoch,
    epoch_file: &str,
    roots: &[(String, RootFile)],
) -> Result<Snapshot, InputError> {
    let params = &epoch.params;
    let symbols = epoch.asset_symbols();
    let mut chain_roots: Vec<Option<Fp>> = vec![None; params.chains.len()];
    let mut venue_roots: Vec<Option<Fp>> = vec![None; params.venues.len()];
    for (file, root) in roots {
        let err = |field: &str, reason: String| InputError::new(file, field, reason);
        check_built_under(
            file,
            "root",
            (root.epoch, root.profile, &root.assets),
            (params.epoch, epoch.profile, &symbols),
            "epoch",
        )?;
        let (members, slots) = match root.kind {
            TreeKind::Chain => (&params.chains, &mut chain_roots),
            TreeKind::Venue => (&params.venues, &mut venue_roots),
        };
        let Some(i) = members.iter().position(|m| m.name == root.member.name) else {
            return Err(err(
                "name",
                format!(
                    "{} is not a {} of the epoch",
                    shown(&root.member.name),
                    root.kind.word()
                ),
            ));
        };
        if members[i].id != root.member.id {
            return Err(err(
                "id",
                format!(
                    "{} has id {} in the epoch, not {}",
                    root.member.name, members[i].id, root.member.id
                ),
            ));
        }
        if slots[i].is_some() {
            return Err(err(
                "name",
                format!(
                    "a second root for {} {}",
                    root.kind.word(),
                    root.member.name
                ),
            ));
        }
        slots[i] = Some(root.root);
    }
    let collect = |slots: Vec<Option<Fp>>, members: &[Member], kind: &str| {
        slots
            .into_iter()
            .zip(members)
            .map(|(root, m)| {
                root.ok_or_else(|| {
                    InputError::new(
                        "--root",
                        format!("{kind} {}", m.name),
                        "missing: every chain and venue of the epoch needs its root file",
                    )
                })
            })
            .collect::<Result<Vec<Fp>, InputError>>()
    };
    let chain_roots = collect(chain_roots, &params.chains, "chain")?;
    let venue_roots = collect(venue_roots, &params.venues, "venue")?;
    let risk = publish_risk(&epoch.portfolio, params, &epoch.profile, epoch_file)?;
    Ok(params
        .clone()
        .into_snapshot(epoch.profile, chain_roots, venue_roots, risk))
}

// ------------------------------------------------------------------------------ assemble

/// The trader's account file from its secret and one opening per chain and venue of the
/// snapshot (`(file, opening)` pairs, any order). Each opening must be for this snapshot's
/// epoch, profile and asset order, for the account key of `sk`, at one index, and reach the
/// published root. Errors name the opening's file and field.
pub fn assemble(
    sk: Fp,
    snapshot: &Snapshot,
    openings: &[(String, OpeningFile)],
) -> Result<Account, InputError> {
    let key = account_key(sk);
    let symbols: Vec<String> = snapshot.assets.iter().map(|a| a.symbol.clone()).collect();
    let mut chains: Vec<Option<(Vec<u64>, Opening)>> = vec![None; snapshot.chains.len()];
    let mut venues: Vec<Option<(Vec<Position>, Opening)>> = vec![None; snapshot.venues.len()];
    let mut who: Option<(String, u64, String)> = None;
    for (file, o) in openings {
        let err = |field: &str, reason: String| InputError::new(file, field, reason);
        check_built_under(
            file,
            "opening",
            (o.epoch, o.profile, &o.assets),
            (snapshot.epoch, snapshot.profile, &symbols),
            "snapshot",
        )?;
        if o.key != key {
            return Err(err(
                "account_key",
                "is not the account key of this secret: the opening is another account's"
                    .to_string(),
            ));
        }
        match &who {
            Some((name, idx, first)) if *idx != o.idx || *name != o.account => {
                return Err(err(
                    "idx",
                    format!(
                        "the opening is for {} at index {}, but {first} is for {name} at \
                         index {idx}",
                        o.account, o.idx
                    ),
                ))
            }
            Some(_) => {}
            None => who = Some((o.account.clone(), o.idx, file.clone())),
        }
        let (members, roots) = match o.kind {
            TreeKind::Chain => (&snapshot.chains, &snapshot.chain_roots),
            TreeKind::Venue => (&snapshot.venues, &snapshot.venue_roots),
        };
        let Some(i) = members
            .iter()
            .position(|m| m.name == o.member.name && m.id == o.member.id)
        else {
            return Err(err(
                "name",
                format!(
                    "{} (id {}) is not a {} of the snapshot",
                    o.member.name,
                    o.member.id,
                    o.kind.word()
                ),
            ));
        };
        if roots.get(i) != Some(&o.root) {
            return Err(err(
                "root",
                format!(
                    "is not the root the snapshot publishes for {} {}: the opening is from \
                     another build",
                    o.kind.word(),
                    o.member.name
                ),
            ));
        }
        if let Holding::Positions(slots) = &o.holding {
            let params = snapshot.risk_params();
            for (j, p) in slots.iter().enumerate() {
                if p.kind.is_option() {
                    zkmargin_circuits::margin::bucket_index(&params, p.expiry).map_err(|e| {
                        err(
                            &format!("positions[{j}].expiry"),
                            format!("does not fit the snapshot's expiry buckets: {e}"),
                        )
                    })?;
                }
            }
        }
        let duplicate = match (&o.holding, o.kind) {
            (Holding::Collateral(amounts), TreeKind::Chain) => chains[i]
                .replace((amounts.clone(), o.opening.clone()))
                .is_some(),
            (Holding::Positions(slots), TreeKind::Venue) => venues[i]
                .replace((slots.clone(), o.opening.clone()))
                .is_some(),
            _ => return Err(err("kind", "does not match the holding".to_string())),
        };
        if duplicate {
            return Err(err(
                "name",
                format!("a second opening for {} {}", o.kind.word(), o.member.name),
            ));
        }
    }
    let missing = |kind: &str, m: &Member| {
        InputError::new(
            "OPENING",
            format!("{kind} {}", m.name),
            "missing: give one opening per chain and venue of the snapshot",
        )
    };
    let mut balances = Vec::new();
    let mut chain_openings = Vec::new();
    for (slot, m) in chains.into_iter().zip(&snapshot.chains) {
        let (amounts, opening) = slot.ok_or_else(|| missing("chain", m))?;
        balances.push(amounts);
        chain_openings.push(opening);
    }
    let mut positions = Vec::new();
    let mut venue_openings = Vec::new();
    for (slot, m) in venues.into_iter().zip(&snapshot.venues) {
        let (slots, opening) = slot.ok_or_else(|| missing("venue", m))?;
        positions.push(slots);
        venue_openings.push(opening);
    }
    let (name, idx, _) = who.ok_or_else(|| {
        InputError::new("OPENING", "(arguments)", "at least one opening is required")
    })?;
    Ok(Account {
        name,
        profile: snapshot.profile,
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        sk,
        idx,
        book: Book {
            balances,
            positions,
        },
        chain_openings,
        venue_openings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::profile::SMALL;
    use zkmargin_formats::opening::{read_opening, write_opening};
    use zkmargin_formats::root::{read_root, write_root};

    #[test]
    fn roots_and_openings_round_trip_and_openings_reach_the_root() {
        let epoch = Epoch {
            profile: SMALL,
            params: zkmargin_formats::epoch_params::EpochParams::from(
                &zkmargin_testing::fixtures::fixture(SMALL).snapshot,
            ),
            portfolio: Default::default(),
        };
        let mut registry = Registry::default();
        registry.add("alice", account_key(Fp::from(1))).unwrap();
        registry.add("bob", account_key(Fp::from(2))).unwrap();
        let chain = epoch.params.chains[0].clone();
        let holdings = vec![
            Holding::Collateral(vec![5, 0, 7]),
            Holding::Collateral(vec![0, 0, 0]),
        ];
        let built = build_tree(
            &epoch,
            TreeKind::Chain,
            &chain,
            &registry,
            &holdings,
            &[Fp::from(11), Fp::from(12)],
            "r.json",
        )
        .unwrap();
        assert_eq!(
            read_root(&write_root(&built.root), "root.json"),
            Ok(built.root.clone())
        );
        for opening in &built.openings {
            let text = write_opening(opening);
            assert_eq!(read_opening(&text, "o.json").as_ref(), Ok(opening));
        }
        // Bob holds nothing: no leaf, no salt.
        assert!(!built.openings[1].opening.present);
        assert_eq!(built.openings[1].opening.salt, Fp::ZERO);
        // An opening with another salt no longer reaches its root.
        let mut other = built.openings[0].clone();
        other.opening.salt = Fp::from(99);
        let e = read_opening(&write_opening(&other), "o.json").unwrap_err();
        assert_eq!(e.field, "root");
        // A root or an opening built under another epoch, profile or asset order is refused
        // at publishing and at assembly, naming the field.
        let snapshot = &zkmargin_testing::fixtures::fixture(SMALL).snapshot;
        type Change = fn(&mut u64, &mut Profile, &mut Vec<String>);
        let changes: [(&str, Change); 3] = [
            ("epoch", |e, _, _| *e += 1),
            ("profile", |_, p, _| {
                *p = zkmargin_circuits::profile::STANDARD
            }),
            ("assets", |_, _, a| a.reverse()),
        ];
        for (field, change) in changes {
            let mut root = built.root.clone();
            change(&mut root.epoch, &mut root.profile, &mut root.assets);
            let e = publish(&epoch, "epoch.json", &[("root.json".into(), root)]).unwrap_err();
            assert_eq!((e.file.as_str(), e.field.as_str()), ("root.json", field));
            let mut o = built.openings[0].clone();
            change(&mut o.epoch, &mut o.profile, &mut o.assets);
            let e = assemble(Fp::from(1), snapshot, &[("o.json".into(), o)]).unwrap_err();
            assert_eq!((e.file.as_str(), e.field.as_str()), ("o.json", field));
        }
        // Publishing needs every chain and venue.
        let e = publish(&epoch, "epoch.json", &[("root.json".into(), built.root)]).unwrap_err();
        assert_eq!(e.field, "chain arbitrum");
    }
}
