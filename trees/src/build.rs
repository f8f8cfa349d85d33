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

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ff::Field;
use rayon::prelude::*;
use zkmargin_circuits::hash::{empty_roots, Fp};
use zkmargin_circuits::snapshot::Member;
use zkmargin_formats::epoch::Epoch;
use zkmargin_formats::input_error::InputError;
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
    assert!(profile.depth <= MAX_DEPTH, "profile depths fit the store");
    if input.holdings.len() != entries.len() {
        return Err(InputError::new(
            input.registry_file,
            "(top level)",
            "one holding per registered account is required",
        ));
    }
    let new_root_file = |root: Fp| RootFile {
        epoch: input.epoch.params.epoch,
        profile,
        kind: input.kind,
        member: input.member.clone(),
        assets: input.epoch.asset_symbols(),
        accounts: entries.len() as u64,
        root,
    };

    // The store: the epoch it holds, if any, must be an earlier one of the same tree.
    let path = store_path(dir);
    let partial = dir.join(format!(".{STORE_FILE}.partial"));
    let (store, old) = if path.exists() {
        let store = Store::open(&path, true)?;
        let old = store.root()?.ok_or_else(|| {
            InputError::new(
                path.display().to_string(),
                "root",
                "the store holds no epoch",
            )
        })?;
        check_same_tree(&path, &old, &new_root_file(old.root))?;
        (store, Some(old))
    } else {
        std::fs::create_dir_all(dir).map_err(|e| {
            InputError::new(
                dir.display().to_string(),
                "--out",
                format!("cannot create the directory: {e}"),
            )
        })?;
        // A first build that stopped half-way left this; it never became the store.
        let _ = std::fs::remove_file(&partial);
        (Store::create(&partial)?, None)
    };

    let mut clock = Clock::start();
    // Every account's digest, on every core (the bytes are kept for changed accounts only,
    // encoded again below: at a million accounts they would be the largest thing in memory).
    let new: Vec<[u8; 32]> = entries
        .par_iter()
        .zip(input.holdings)
        .map(|(e, h)| digest(&e.name, &e.key, &encode(h)))
        .collect();

    // What changed: the digest pages of the new epoch against the store's.
    let old_pages: HashMap<u64, Vec<u8>> = store.digest_pages()?.into_iter().collect();
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

    clock.lap("compare");
    // New salts (drawn in order, one per changed account that holds something), then the
    // changed leaves on every core.
    let salts_drawn: Vec<Fp> = changed
        .iter()
        .map(|&i| {
            if input.holdings[i].present() {
                draw()
            } else {
                Fp::ZERO
            }
        })
        .collect();
    let leaves: Vec<Fp> = changed
        .par_iter()
        .zip(&salts_drawn)
        .map(|(&i, &salt)| {
            input.holdings[i]
                .leaf(&profile, entries[i].key, input.member.id, salt)
                .ok_or(i)
        })
        .collect::<Result<_, usize>>()
        .map_err(|i| {
            InputError::new(
                input.registry_file,
                format!("accounts[{i}]"),
                format!(
                    "{}'s holding does not fit profile {}",
                    entries[i].name, profile.name
                ),
            )
        })?;

    clock.lap("leaves");
    // The changed leaves (a leaf that was 0 and stays 0 changes nothing) and their paths.
    let mut moved: Vec<(u64, Fp)> = changed
        .iter()
        .zip(&leaves)
        .filter(|&(&i, leaf)| *leaf != Fp::ZERO || was_held(entries[i].idx))
        .map(|(&i, &leaf)| (entries[i].idx, leaf))
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
    let root_file = new_root_file(root);
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
    drop(new);
    let rows: Vec<AccountRow> = changed
        .par_iter()
        .zip(salts_drawn.par_iter().zip(&leaves))
        .map(|(&i, (&salt, &leaf))| AccountRow {
            idx: entries[i].idx,
            name: entries[i].name.clone(),
            key: entries[i].key,
            holding: encode(&input.holdings[i]),
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
    let mut pages: Vec<u64> = new_pages.keys().chain(old_pages.keys()).copied().collect();
    pages.sort_unstable();
    pages.dedup();
    let zeros = vec![0; DIGESTS_PER_PAGE as usize * DIGEST_BYTES];
    for page in pages {
        let now = new_pages.get(&page).unwrap_or(&zeros);
        if old_pages.get(&page) != Some(now) {
            store.put_digest_page(page, now)?;
        }
    }
    store.set_root(&root_file)?;
    if first {
        store.finish_new()?;
        std::fs::rename(&partial, &path)
            .and_then(|()| std::fs::File::open(dir)?.sync_all())
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
    let present = input.holdings.iter().filter(|h| h.present()).count();
    Ok(BuildReport {
        root: root_file,
        first,
        present,
        changed: changed.len(),
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
