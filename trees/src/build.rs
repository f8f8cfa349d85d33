//! One epoch's build of a vault's or venue's tree into its store: what changed since the epoch
//! the store holds is rehashed, the rest reused.
//!
//! An account's leaf is `H(3 or 4, key, tree id, words, salt)` (`formats::tree::Holding::leaf`).
//! The store keeps each account's digest of name, key and holding (`holding_bytes::digest`):
//!
//! - equal digest: the leaf, its salt and its row are kept as they are (with [`Salts::Keep`]);
//! - another digest (a new account, another holding, another key or name): a new salt and a
//!   new leaf where the account holds something, leaf 0 and salt 0 where it holds nothing;
//! - an index the registry no longer lists: its leaf becomes 0 and its row goes.
//!
//! Then only the changed leaves' paths are rehashed (`levels::propagate`, on every core), with
//! the unchanged siblings read from the store. [`Salts::Fresh`] draws a new salt for every
//! account that holds something, so every such leaf and the whole tree above it are rehashed:
//! the same tree a first build gives. See the README ("Epochs at scale") for what each choice
//! lets the owners of neighbouring leaves learn.
//!
//! A store is reused only by the same tree: the same kind (chain or venue), name, id and
//! profile, and an epoch after the one it holds. A store of the same epoch is rebuilt only if
//! the result is the root it holds already (a build repeated after a crash); anything else is
//! refused, naming the store, since the root of that epoch may be published.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ff::Field;
use rayon::prelude::*;
use zkmargin_circuits::hash::{empty_roots, Fp};
use zkmargin_circuits::snapshot::Member;
use zkmargin_formats::epoch::Epoch;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::registry::Registry;
use zkmargin_formats::root::RootFile;
use zkmargin_formats::tree::{Holding, TreeKind};

use crate::holding_bytes::{digest, encode};
use crate::levels::propagate;
use crate::store::{
    store_path, AccountRow, Store, DIGESTS_PER_PAGE, DIGEST_BYTES, MAX_DEPTH, STORE_FILE,
};

/// Whether an account whose holding did not change keeps its salt (and so its leaf) from the
/// epoch before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Salts {
    /// Keep it: only changed leaves and their paths are rehashed.
    Keep,
    /// Draw a new one: every leaf that holds something is rehashed, and the tree above it.
    Fresh,
}

/// What one tree commits: the epoch, which tree, and a holding per registered account.
pub struct TreeInput<'a> {
    pub epoch: &'a Epoch,
    pub kind: TreeKind,
    pub member: &'a Member,
    pub registry: &'a Registry,
    /// `holdings[i]` is `registry.entries[i]`'s.
    pub holdings: &'a [Holding],
    /// The registry's file, named in errors about an account.
    pub registry_file: &'a str,
    /// BLAKE2b-256 of the registry file's bytes, kept in the store: a later epoch built from
    /// the changed accounts alone ([`build_changes`]) must use the same registry.
    pub registry_digest: [u8; 32],
}

/// An epoch given as the accounts whose holding changed since the epoch the store holds: what
/// a venue's or vault's own books know, so that an epoch reads a few thousand accounts, not
/// every registered one (at a million accounts, reading and comparing every holding takes
/// longer than rehashing what changed).
pub struct ChangesInput<'a> {
    pub epoch: &'a Epoch,
    pub kind: TreeKind,
    pub member: &'a Member,
    /// The accounts whose holding changed, by registered name, each at most once (an account
    /// that now holds nothing is listed with an empty holding); every other account keeps its
    /// holding.
    pub changes: &'a [(String, Holding)],
    /// The file the changes came from, named in errors about an account.
    pub changes_file: &'a str,
    /// The registry's file and the BLAKE2b-256 of its bytes: it must be the registry of the
    /// epoch the store holds (a registry that changed is read in full by [`build`]).
    pub registry_file: &'a str,
    pub registry_digest: [u8; 32],
}

/// What a build did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildReport {
    /// The root file of the epoch built (what the store now holds).
    pub root: RootFile,
    /// Whether the store was new (a first build).
    pub first: bool,
    /// Accounts with a nonzero leaf.
    pub present: usize,
    /// Accounts whose row changed (new, changed, or given a new salt), and leaves hashed.
    pub changed: usize,
    pub hashed_leaves: usize,
    /// Indices the registry no longer lists.
    pub removed: usize,
    /// Inner nodes hashed (the root included).
    pub hashed_nodes: usize,
    /// Wall time of each step: `compare` (the accounts' digests against the store's),
    /// `leaves` (new salts and leaves), `nodes` (the paths, with the siblings read from the
    /// store), `store` (every change written and on disk).
    pub timings: Vec<(&'static str, Duration)>,
}

/// Builds the tree of `input` into `dir/tree.db` (created with the directory if missing),
/// drawing each new salt with `draw`.
pub fn build(
    dir: &Path,
    input: &TreeInput,
    salts: Salts,
    draw: &mut dyn FnMut() -> Fp,
) -> Result<BuildReport, InputError> {
    let profile = input.epoch.profile;
    let entries = &input.registry.entries;
    input.registry.check_fits(&profile, input.registry_file)?;
    if input.holdings.len() != entries.len() {
        return Err(InputError::new(
            input.registry_file,
            "(top level)",
            "one holding per registered account is required",
        ));
    }
    let header = Header {
        epoch: input.epoch,
        kind: input.kind,
        member: input.member,
        accounts: entries.len() as u64,
    };
    let opened = open_store(dir, &header, true)?;
    let mut clock = Clock::start();
    // Every account's digest, on every core (the bytes are kept for changed accounts only,
    // encoded again below: at a million accounts they would be the largest thing in memory).
    let new: Vec<[u8; 32]> = entries
        .par_iter()
        .zip(input.holdings)
        .map(|(e, h)| digest(&e.name, &e.key, &encode(h)))
        .collect();

    // What changed: the digest pages of the new epoch against the store's.
    let old_pages: HashMap<u64, Vec<u8>> = opened.store.digest_pages()?.into_iter().collect();
    let mut new_pages: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut changed: Vec<usize> = Vec::new();
    for (i, (e, n)) in entries.iter().zip(&new).enumerate() {
        let (page, slot) = (
            e.idx / DIGESTS_PER_PAGE,
            (e.idx % DIGESTS_PER_PAGE) as usize,
        );
        let at = slot * DIGEST_BYTES..(slot + 1) * DIGEST_BYTES;
        new_pages
            .entry(page)
            .or_insert_with(|| vec![0; DIGESTS_PER_PAGE as usize * DIGEST_BYTES])[at.clone()]
        .copy_from_slice(n);
        let before = old_pages.get(&page).map(|d| &d[at]);
        let same = before == Some(&n[..]);
        let resalt = salts == Salts::Fresh && input.holdings[i].present();
        if !same || resalt {
            changed.push(i);
        }
    }
    drop(new);
    let was_held = |idx: u64| {
        let slot = (idx % DIGESTS_PER_PAGE) as usize * DIGEST_BYTES;
        old_pages
            .get(&(idx / DIGESTS_PER_PAGE))
            .is_some_and(|d| d[slot..slot + DIGEST_BYTES].iter().any(|&b| b != 0))
    };
    let mut removed: Vec<u64> = Vec::new();
    for (&page, digests) in &old_pages {
        let now = new_pages.get(&page);
        for (slot, d) in digests.chunks(DIGEST_BYTES).enumerate() {
            let listed = now.is_some_and(|n| {
                n[slot * DIGEST_BYTES..(slot + 1) * DIGEST_BYTES]
                    .iter()
                    .any(|&b| b != 0)
            });
            if !listed && d.iter().any(|&b| b != 0) {
                removed.push(page * DIGESTS_PER_PAGE + slot as u64);
            }
        }
    }
    let changes: Vec<Change> = changed
        .iter()
        .map(|&i| Change {
            idx: entries[i].idx,
            name: &entries[i].name,
            key: entries[i].key,
            holding: &input.holdings[i],
            was_held: was_held(entries[i].idx),
        })
        .collect();
    let mut pages: Vec<u64> = new_pages.keys().chain(old_pages.keys()).copied().collect();
    pages.sort_unstable();
    pages.dedup();
    let zeros = vec![0; DIGESTS_PER_PAGE as usize * DIGEST_BYTES];
    let pages: Vec<(u64, &[u8])> = pages
        .into_iter()
        .filter_map(|page| {
            let now = new_pages.get(&page).unwrap_or(&zeros);
            (old_pages.get(&page) != Some(now)).then_some((page, &now[..]))
        })
        .collect();
    clock.lap("compare");
    let present = input.holdings.iter().filter(|h| h.present()).count();
    finish(
        opened,
        &header,
        Epochs {
            changes,
            removed,
            pages,
            present: Some(present),
            registry_digest: &input.registry_digest,
            holdings_file: input.registry_file,
        },
        draw,
        clock,
    )
}

/// Builds the next epoch of the tree in `dir/tree.db` from the accounts whose holding changed
/// (`input.changes`), drawing a new salt for each with `draw`; every other account keeps its
/// holding, salt and leaf. The store must hold an earlier epoch of the same tree, built from
/// the same registry (its digest); salts are always kept for the accounts not listed (a fresh
/// salt for every account needs every holding: [`build`] with [`Salts::Fresh`]).
pub fn build_changes(
    dir: &Path,
    input: &ChangesInput,
    draw: &mut dyn FnMut() -> Fp,
) -> Result<BuildReport, InputError> {
    let path = store_path(dir);
    if !path.exists() {
        return Err(InputError::new(
            dir.display().to_string(),
            "--changed-only",
            "there is no store of an earlier epoch here to take the unchanged accounts from \
             (build the first epoch from every account's holding)",
        ));
    }
    // The registry (and so the count of accounts) is the store's epoch's: the header takes
    // that count once the store is open.
    let mut header = Header {
        epoch: input.epoch,
        kind: input.kind,
        member: input.member,
        accounts: 0,
    };
    let opened = open_store(dir, &header, false)?;
    if opened.store.registry_digest()? != Some(input.registry_digest) {
        return Err(InputError::new(
            input.registry_file,
            "(file)",
            "is not the registry the store's epoch was built from: when the registry \
             changes, give every account's holding (without --changed-only)",
        ));
    }
    // (`open_store` without `create` opens only a store that holds an epoch.)
    header.accounts = opened.old.as_ref().map_or(0, |old| old.accounts);
    let mut clock = Clock::start();
    let store = &opened.store;
    let mut pages: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(input.changes.len());
    let mut changes: Vec<Change> = Vec::with_capacity(input.changes.len());
    for (name, holding) in input.changes {
        let refuse = |reason: &str| {
            Err(InputError::new(
                input.changes_file,
                name.as_str(),
                format!("{} {reason}", shown(name)),
            ))
        };
        if !seen.insert(name) {
            return refuse("is listed twice");
        }
        let Some(row) = store.account_by_name(name)? else {
            return refuse("is not in the registry: register its account key first");
        };
        let (page, slot) = (
            row.idx / DIGESTS_PER_PAGE,
            (row.idx % DIGESTS_PER_PAGE) as usize * DIGEST_BYTES,
        );
        let digests = match pages.entry(page) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(store.digest_page(page)?),
        };
        let now = digest(name, &row.key, &encode(holding));
        if digests[slot..slot + DIGEST_BYTES] == now {
            continue;
        }
        digests[slot..slot + DIGEST_BYTES].copy_from_slice(&now);
        changes.push(Change {
            idx: row.idx,
            name,
            key: row.key,
            holding,
            was_held: row.leaf != Fp::ZERO,
        });
    }
    let mut pages: Vec<(u64, Vec<u8>)> = pages.into_iter().collect();
    pages.sort_unstable_by_key(|(page, _)| *page);
    clock.lap("compare");
    finish(
        opened,
        &header,
        Epochs {
            changes,
            removed: Vec::new(),
            pages: pages.iter().map(|(p, d)| (*p, &d[..])).collect(),
            present: None,
            registry_digest: &input.registry_digest,
            holdings_file: input.changes_file,
        },
        draw,
        clock,
    )
}

/// Which tree and epoch a build writes.
struct Header<'a> {
    epoch: &'a Epoch,
    kind: TreeKind,
    member: &'a Member,
    /// Registered accounts.
    accounts: u64,
}

impl Header<'_> {
    fn root_file(&self, root: Fp) -> RootFile {
        RootFile {
            epoch: self.epoch.params.epoch,
            profile: self.epoch.profile,
            kind: self.kind,
            member: self.member.clone(),
            assets: self.epoch.asset_symbols(),
            accounts: self.accounts,
            root,
        }
    }
}

/// A store opened for a build: the epoch it held (none in a first build, which writes a new
/// file to rename into place at its end).
struct Opened {
    store: Store,
    path: PathBuf,
    partial: PathBuf,
    old: Option<RootFile>,
}

/// Opens the store of `dir` to build the epoch of `header` into, or creates it (`create`);
/// a store of another tree or a later epoch is refused.
fn open_store(dir: &Path, header: &Header, create: bool) -> Result<Opened, InputError> {
    assert!(
        header.epoch.profile.depth <= MAX_DEPTH,
        "profile depths fit the store"
    );
    let path = store_path(dir);
    let partial = dir.join(format!(".{STORE_FILE}.partial"));
    if path.exists() || !create {
        let store = Store::open(&path, true)?;
        let old = store.root()?.ok_or_else(|| {
            InputError::new(
                path.display().to_string(),
                "root",
                "the store holds no epoch",
            )
        })?;
        check_same_tree(&path, &old, &header.root_file(old.root))?;
        return Ok(Opened {
            store,
            path,
            partial,
            old: Some(old),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        InputError::new(
            dir.display().to_string(),
            "--out",
            format!("cannot create the directory: {e}"),
        )
    })?;
    // A first build that stopped half-way left this; it never became the store.
    let _ = std::fs::remove_file(&partial);
    Ok(Opened {
        store: Store::create(&partial)?,
        path,
        partial,
        old: None,
    })
}

/// An account whose leaf a build computes anew.
struct Change<'a> {
    idx: u64,
    name: &'a str,
    key: Fp,
    holding: &'a Holding,
    /// Whether the store has a row at this index (so a zero leaf there still changes the
    /// tree).
    was_held: bool,
}

/// What an epoch changes, found by [`build`] or [`build_changes`].
struct Epochs<'a> {
    changes: Vec<Change<'a>>,
    /// Indices the registry no longer lists.
    removed: Vec<u64>,
    /// The digest pages that differ from the store's.
    pages: Vec<(u64, &'a [u8])>,
    /// Accounts with a nonzero leaf, where the build knows them all.
    present: Option<usize>,
    registry_digest: &'a [u8; 32],
    /// The file holdings came from, named when one does not fit the profile.
    holdings_file: &'a str,
}

/// The shared end of a build: new salts and leaves for the changed accounts, their paths, and
/// everything written to the store in one step.
fn finish(
    opened: Opened,
    header: &Header,
    epochs: Epochs,
    draw: &mut dyn FnMut() -> Fp,
    mut clock: Clock,
) -> Result<BuildReport, InputError> {
    let Opened {
        store,
        path,
        partial,
        old,
    } = opened;
    let Epochs {
        changes,
        removed,
        pages,
        present,
        registry_digest,
        holdings_file,
    } = epochs;
    let profile = header.epoch.profile;
    // New salts (drawn in order, one per changed account that holds something), then the
    // changed leaves on every core.
    let salts_drawn: Vec<Fp> = changes
        .iter()
        .map(|c| {
            if c.holding.present() {
                draw()
            } else {
                Fp::ZERO
            }
        })
        .collect();
    let leaves: Vec<Fp> = changes
        .par_iter()
        .zip(&salts_drawn)
        .map(|(c, &salt)| {
            c.holding
                .leaf(&profile, c.key, header.member.id, salt)
                .ok_or(c)
        })
        .collect::<Result<_, &Change>>()
        .map_err(|c| {
            InputError::new(
                holdings_file,
                c.name,
                format!(
                    "{}'s holding does not fit profile {}",
                    shown(c.name),
                    profile.name
                ),
            )
        })?;

    clock.lap("leaves");
    // The changed leaves (a leaf that was 0 and stays 0 changes nothing) and their paths.
    let mut moved: Vec<(u64, Fp)> = changes
        .iter()
        .zip(&leaves)
        .filter(|&(c, leaf)| *leaf != Fp::ZERO || c.was_held)
        .map(|(c, &leaf)| (c.idx, leaf))
        .collect();
    moved.extend(removed.iter().map(|&idx| (idx, Fp::ZERO)));
    let depth = profile.depth;
    let empty = empty_roots(depth);
    let first = old.is_none();
    let levels = propagate(depth, moved, |h, positions| {
        if first {
            Ok(vec![empty[h]; positions.len()])
        } else if h == 0 {
            store.leaves(positions)
        } else {
            store.nodes(h, positions, empty[h])
        }
    })?;
    clock.lap("nodes");
    let root = levels
        .root()
        .or(old.as_ref().map(|o| o.root))
        .unwrap_or(empty[depth]);
    let root_file = header.root_file(root);
    if let Some(old) = &old {
        if old.epoch == root_file.epoch && *old != root_file {
            return Err(InputError::new(
                path.display().to_string(),
                "epoch",
                format!(
                    "the store holds epoch {} already, with another root or header than this \
                     build's: the root of an epoch may be published, so it is built once \
                     (build into another directory to start over)",
                    old.epoch
                ),
            ));
        }
    }

    // The rows: changed accounts rewritten, removed ones deleted; the changed nodes; the pages.
    let rows: Vec<AccountRow> = changes
        .par_iter()
        .zip(salts_drawn.par_iter().zip(&leaves))
        .map(|(c, (&salt, &leaf))| AccountRow {
            idx: c.idx,
            name: c.name.to_string(),
            key: c.key,
            holding: encode(c.holding),
            salt,
            leaf,
        })
        .collect();
    if first {
        let mut rows = rows;
        rows.sort_unstable_by_key(|r| r.idx);
        store.insert_accounts(&rows)?;
    } else {
        let renamed = store.update_accounts(&rows)?;
        let mut gone: Vec<u64> = renamed.iter().map(|&r| rows[r].idx).collect();
        gone.extend(&removed);
        store.delete_accounts(&gone)?;
        store.insert_accounts(renamed.iter().map(|&r| &rows[r]))?;
    }
    for h in 1..depth {
        store.put_nodes(h, &levels.heights[h], empty[h])?;
    }
    for (page, digests) in pages {
        store.put_digest_page(page, digests)?;
    }
    store.set_root(&root_file)?;
    store.set_registry_digest(registry_digest)?;
    // Accounts with a nonzero leaf: counted by a full build, carried from the store's count
    // by a build of the changes.
    let present = match present {
        Some(present) => present,
        None => {
            let before = store.present_accounts()?;
            let gained = leaves.iter().filter(|l| **l != Fp::ZERO).count();
            let lost = changes.iter().filter(|c| c.was_held).count();
            (before + gained).checked_sub(lost).ok_or_else(|| {
                store.damaged("its count of accounts with a leaf is below the changes'")
            })?
        }
    };
    store.set_present_accounts(present)?;
    if first {
        store.finish_new()?;
        std::fs::rename(&partial, &path)
            .and_then(|()| std::fs::File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all())
            .map_err(|e| {
                InputError::new(
                    path.display().to_string(),
                    "(store)",
                    format!("cannot put the store in place: {e}"),
                )
            })?;
    } else {
        store.commit()?;
    }
    clock.lap("store");
    Ok(BuildReport {
        root: root_file,
        first,
        present,
        changed: changes.len(),
        hashed_leaves: leaves.iter().filter(|l| **l != Fp::ZERO).count(),
        removed: removed.len(),
        hashed_nodes: levels.hashed_nodes(),
        timings: clock.laps,
    })
}

/// Wall time of each step of a build.
struct Clock {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.laps.push((step, now - self.last));
        self.last = now;
    }
}

/// Refuses a store of another tree (kind, name, id, profile) or of a later epoch.
fn check_same_tree(path: &Path, old: &RootFile, new: &RootFile) -> Result<(), InputError> {
    let refuse = |field: &str, reason: String| {
        Err(InputError::new(path.display().to_string(), field, reason))
    };
    let tree = |r: &RootFile| format!("{} {} (id {})", r.kind.word(), r.member.name, r.member.id);
    if old.kind != new.kind || old.member != new.member {
        return refuse(
            "name",
            format!(
                "the store holds the tree of {}, not of {}: each tree has its own directory",
                tree(old),
                tree(new)
            ),
        );
    }
    if old.profile != new.profile {
        return refuse(
            "profile",
            format!(
                "the store was built for profile {}, this epoch is profile {}: its leaves do \
                 not carry over (build into a new directory)",
                old.profile.name, new.profile.name
            ),
        );
    }
    if old.epoch > new.epoch {
        return refuse(
            "epoch",
            format!(
                "the store holds epoch {}, later than epoch {} being built",
                old.epoch, new.epoch
            ),
        );
    }
    Ok(())
}
