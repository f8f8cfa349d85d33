//! Epochs built into one store: each equals a whole rebuild with the same salts
//! (`circuits::hash::MerkleTree`), reuses what did not change, and refuses a store that is
//! not the same tree's or not of an earlier epoch. Openings read from the store reach its root
//! and read back as `account assemble` reads them.

use std::path::Path;

use zkmargin_circuits::hash::{account_key, Fp, MerkleTree};
use zkmargin_circuits::margin::{Kind, Position, Side};
use zkmargin_circuits::profile::SMALL;
use zkmargin_formats::epoch::Epoch;
use zkmargin_formats::epoch_params::EpochParams;
use zkmargin_formats::opening::{read_opening, write_opening};
use zkmargin_formats::registry::{write_registry, Registry};
use zkmargin_formats::tree::{Holding, TreeKind};
use zkmargin_trees::build::{build, build_changes, BuildReport, ChangesInput, Salts, TreeInput};
use zkmargin_trees::opening::opening;
use zkmargin_trees::store::{registry_digest, store_path, Store};

fn epoch(number: u64) -> Epoch {
    let mut params = EpochParams::from(&zkmargin_testing::fixtures::fixture(SMALL).snapshot);
    params.epoch = number;
    // Perpetuals only: every perpetual is listed, so no portfolio inputs are needed.
    Epoch {
        profile: SMALL,
        params,
        portfolio: Default::default(),
    }
}

fn perp(size: u64) -> Position {
    Position {
        kind: Kind::Perp,
        underlying: 0,
        side: Side::Long,
        size,
        price: 100,
        expiry: 0,
    }
}

fn registry(names: &[&str]) -> Registry {
    let mut r = Registry::default();
    for (i, name) in names.iter().enumerate() {
        r.add(name, account_key(Fp::from(i as u64 + 1))).unwrap();
    }
    r
}

/// Salts 1000, 1001, ... in the order the build draws them.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> Fp {
        self.0 += 1;
        Fp::from(1000 + self.0)
    }
}

/// The digest of the registry's file as `registry build` writes it.
fn digest_of(registry: &Registry) -> [u8; 32] {
    registry_digest(write_registry(registry).as_bytes())
}

/// An epoch of only the accounts listed in `changes`.
fn run_changes(
    dir: &Path,
    epoch: &Epoch,
    registry: &Registry,
    changes: &[(&str, Holding)],
    draws: &mut Draws,
) -> Result<BuildReport, zkmargin_formats::input_error::InputError> {
    let member = epoch.params.venues[0].clone();
    let changes: Vec<(String, Holding)> = changes
        .iter()
        .map(|(n, h)| (n.to_string(), h.clone()))
        .collect();
    let input = ChangesInput {
        epoch,
        kind: TreeKind::Venue,
        member: &member,
        changes: &changes,
        changes_file: "changes.json",
        registry_file: "registry.json",
        registry_digest: digest_of(registry),
    };
    build_changes(dir, &input, &mut || draws.next())
}

struct Built {
    report: BuildReport,
}

fn run(
    dir: &Path,
    epoch: &Epoch,
    venue: usize,
    registry: &Registry,
    holdings: &[Holding],
    salts: Salts,
    draws: &mut Draws,
) -> Result<Built, zkmargin_formats::input_error::InputError> {
    let member = epoch.params.venues[venue].clone();
    let input = TreeInput {
        epoch,
        kind: TreeKind::Venue,
        member: &member,
        registry,
        holdings,
        registry_file: "registry.json",
        registry_digest: digest_of(registry),
    };
    build(dir, &input, salts, &mut || draws.next()).map(|report| Built { report })
}

/// The root a whole rebuild gives from the store's salts: every leaf recomputed.
fn whole_root(dir: &Path, epoch: &Epoch, registry: &Registry, holdings: &[Holding]) -> Fp {
    let store = Store::open(&store_path(dir), false).unwrap();
    let id = epoch.params.venues[0].id;
    let leaves: Vec<(u64, Fp)> = registry
        .entries
        .iter()
        .zip(holdings)
        .map(|(e, h)| {
            let salt = opening(&store, &e.name, "--account").unwrap().opening.salt;
            (e.idx, h.leaf(&SMALL, e.key, id, salt).unwrap())
        })
        .collect();
    MerkleTree::new(SMALL.depth, &leaves).root()
}

fn holdings(sizes: &[u64]) -> Vec<Holding> {
    sizes
        .iter()
        .map(|&s| Holding::Positions(if s == 0 { vec![] } else { vec![perp(s)] }))
        .collect()
}

#[test]
fn an_epoch_rehashes_what_changed_and_reaches_the_whole_rebuilds_root() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().join("venue");
    let mut draws = Draws(0);
    let names = ["a", "b", "c", "d", "e", "f"];
    let reg = registry(&names);
    let first = holdings(&[1, 2, 0, 4, 5, 6]);
    let built = run(&dir, &epoch(10), 0, &reg, &first, Salts::Keep, &mut draws).unwrap();
    assert!(built.report.first);
    assert_eq!((built.report.present, built.report.hashed_leaves), (5, 5));
    assert_eq!(
        built.report.root.root,
        whole_root(&dir, &epoch(10), &reg, &first)
    );
    // The store is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store_path(&dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Next epoch: b's book changes, c opens a position, f closes all; a, d, e keep salt and leaf.
    let salt_of = |name: &str| {
        let store = Store::open(&store_path(&dir), false).unwrap();
        opening(&store, name, "--account").unwrap().opening.salt
    };
    let kept = salt_of("a");
    let second = holdings(&[1, 7, 3, 4, 5, 0]);
    let built = run(&dir, &epoch(11), 0, &reg, &second, Salts::Keep, &mut draws).unwrap();
    let r = &built.report;
    assert!(!r.first);
    assert_eq!((r.changed, r.hashed_leaves, r.removed), (3, 2, 0));
    assert_eq!(r.root.epoch, 11);
    assert_eq!(r.root.root, whole_root(&dir, &epoch(11), &reg, &second));
    assert_eq!(salt_of("a"), kept, "an unchanged leaf keeps its salt");
    assert_eq!(salt_of("f"), Fp::from(0), "nothing held, no salt");

    // Fresh salts: every leaf that holds something is new, and the root equals a rebuild.
    let before = salt_of("a");
    let built = run(&dir, &epoch(12), 0, &reg, &second, Salts::Fresh, &mut draws).unwrap();
    assert_eq!(built.report.hashed_leaves, 5);
    assert_ne!(salt_of("a"), before);
    assert_eq!(
        built.report.root.root,
        whole_root(&dir, &epoch(12), &reg, &second)
    );

    // A registry that grows, drops an index and renames one: the same as a rebuild.
    let mut grown = registry(&names);
    grown.entries.remove(3); // d leaves
    grown.entries[0].name = "a2".into(); // a is renamed (same key, same index)
    grown.add("g", account_key(Fp::from(77))).unwrap();
    let third = holdings(&[1, 7, 3, 5, 0, 9]);
    let built = run(&dir, &epoch(13), 0, &grown, &third, Salts::Keep, &mut draws).unwrap();
    assert_eq!(built.report.removed, 1);
    assert_eq!(built.report.root.accounts, 6);
    assert_eq!(
        built.report.root.root,
        whole_root(&dir, &epoch(13), &grown, &third)
    );
    let store = Store::open(&store_path(&dir), false).unwrap();
    assert!(
        opening(&store, "a", "--account").is_err(),
        "the old name is gone"
    );
    assert!(
        opening(&store, "d", "--account").is_err(),
        "the dropped account is gone"
    );
}

#[test]
fn openings_from_the_store_read_back_and_reach_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut draws = Draws(0);
    let reg = registry(&["alice", "bob", "carol"]);
    let h = holdings(&[5, 0, 9]);
    let built = run(dir.path(), &epoch(3), 1, &reg, &h, Salts::Keep, &mut draws).unwrap();
    let store = Store::open(&store_path(dir.path()), false).unwrap();
    for (e, holding) in reg.entries.iter().zip(&h) {
        let o = opening(&store, &e.name, "--account").unwrap();
        assert_eq!(o.root, built.report.root.root);
        assert_eq!((o.idx, o.key, &o.holding), (e.idx, e.key, holding));
        assert_eq!(o.member, epoch(3).params.venues[1]);
        let text = write_opening(&o);
        assert_eq!(read_opening(&text, "o.json"), Ok(o));
    }
    let e = opening(&store, "mallory", "--account").unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.field.as_str()),
        ("command line", "--account")
    );
    assert!(e.reason.contains("not registered"), "{e}");
}

#[test]
fn a_store_of_another_tree_or_a_later_epoch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut draws = Draws(0);
    let reg = registry(&["alice", "bob"]);
    let h = holdings(&[5, 6]);
    run(dir.path(), &epoch(8), 0, &reg, &h, Salts::Keep, &mut draws).unwrap();
    let refused = |result: Result<Built, zkmargin_formats::input_error::InputError>,
                   field: &str| {
        let e = result.err().expect("refused");
        assert_eq!(e.file, store_path(dir.path()).display().to_string());
        assert_eq!(e.field, field, "{e}");
        e.reason
    };
    // Another venue.
    let why = refused(
        run(dir.path(), &epoch(9), 1, &reg, &h, Salts::Keep, &mut draws),
        "name",
    );
    assert!(why.contains("venue deribit"), "{why}");
    // An earlier epoch than the store's.
    refused(
        run(dir.path(), &epoch(7), 0, &reg, &h, Salts::Keep, &mut draws),
        "epoch",
    );
    // The same epoch with another book (its root may be published) ...
    let other = holdings(&[5, 7]);
    refused(
        run(
            dir.path(),
            &epoch(8),
            0,
            &reg,
            &other,
            Salts::Keep,
            &mut draws,
        ),
        "epoch",
    );
    // ... or with fresh salts; the same epoch with the same book rebuilds to the same root.
    refused(
        run(dir.path(), &epoch(8), 0, &reg, &h, Salts::Fresh, &mut draws),
        "epoch",
    );
    let again = run(dir.path(), &epoch(8), 0, &reg, &h, Salts::Keep, &mut draws).unwrap();
    assert_eq!((again.report.changed, again.report.hashed_nodes), (0, 0));
    // Another profile.
    let mut standard = epoch(9);
    standard.profile = zkmargin_circuits::profile::STANDARD;
    refused(
        run(dir.path(), &standard, 0, &reg, &h, Salts::Keep, &mut draws),
        "profile",
    );
    // The refusals changed nothing: the next epoch builds from epoch 8's store.
    let next = run(dir.path(), &epoch(9), 0, &reg, &h, Salts::Keep, &mut draws).unwrap();
    assert_eq!((next.report.changed, next.report.root.epoch), (0, 9));
}

#[test]
fn a_damaged_store_gives_an_error_not_an_opening() {
    let dir = tempfile::tempdir().unwrap();
    let mut draws = Draws(0);
    let reg = registry(&["alice", "bob"]);
    run(
        dir.path(),
        &epoch(8),
        0,
        &reg,
        &holdings(&[5, 6]),
        Salts::Keep,
        &mut draws,
    )
    .unwrap();
    let path = store_path(dir.path());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE account SET salt = ?1 WHERE name = 'bob'",
            [vec![9u8; 32]],
        )
        .unwrap();
    }
    let store = Store::open(&path, false).unwrap();
    let e = opening(&store, "bob", "--account").unwrap_err();
    assert!(e.reason.contains("damaged"), "{e}");
    assert!(
        opening(&store, "alice", "--account").is_ok(),
        "bob's leaf is alice's sibling"
    );
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE account SET leaf = ?1 WHERE name = 'bob'",
            [vec![9u8; 32]],
        )
        .unwrap();
    }
    let store = Store::open(&path, false).unwrap();
    let e = opening(&store, "alice", "--account").unwrap_err();
    assert!(e.reason.contains("does not reach its root"), "{e}");
    // Not a store at all.
    std::fs::write(dir.path().join("x.db"), b"not sqlite").unwrap();
    assert!(Store::open(&dir.path().join("x.db"), false).is_err());
}

#[test]
fn an_epoch_of_the_changed_accounts_alone_is_the_full_inputs_epoch() {
    // Two stores of the same first epoch; the next epoch given in full to one and as its
    // changes to the other (in registry order, so that both draw the same salts).
    let tmp = tempfile::tempdir().unwrap();
    let (full, delta) = (tmp.path().join("full"), tmp.path().join("delta"));
    let reg = registry(&["a", "b", "c", "d", "e", "f"]);
    let first = holdings(&[1, 2, 0, 4, 5, 6]);
    for dir in [&full, &delta] {
        run(dir, &epoch(10), 0, &reg, &first, Salts::Keep, &mut Draws(0)).unwrap();
    }
    let second = holdings(&[1, 7, 3, 4, 5, 0]);
    let whole = run(
        &full,
        &epoch(11),
        0,
        &reg,
        &second,
        Salts::Keep,
        &mut Draws(50),
    )
    .unwrap();
    // d is listed with the holding it had: not a change, no new salt.
    let changes = [
        ("b", second[1].clone()),
        ("c", second[2].clone()),
        ("d", second[3].clone()),
        ("f", second[5].clone()),
    ];
    let r = run_changes(&delta, &epoch(11), &reg, &changes, &mut Draws(50)).unwrap();
    let counts = |r: &BuildReport| {
        let mut r = r.clone();
        r.timings.clear();
        r
    };
    assert_eq!(counts(&r), counts(&whole.report));
    assert_eq!((r.changed, r.hashed_leaves, r.present), (3, 2, 5));
    assert_eq!(r.root.root, whole_root(&delta, &epoch(11), &reg, &second));

    // A third epoch: f opens again, a closes; the count of accounts with a leaf follows.
    let third = holdings(&[0, 7, 3, 4, 5, 8]);
    let changes = [("a", third[0].clone()), ("f", third[5].clone())];
    let r = run_changes(&delta, &epoch(12), &reg, &changes, &mut Draws(90)).unwrap();
    assert_eq!((r.changed, r.hashed_leaves, r.present), (2, 1, 5));
    assert_eq!(r.root.root, whole_root(&delta, &epoch(12), &reg, &third));
    // ... and the next full epoch finds nothing changed.
    let again = run(
        &delta,
        &epoch(13),
        0,
        &reg,
        &third,
        Salts::Keep,
        &mut Draws(0),
    )
    .unwrap();
    assert_eq!(
        (again.report.changed, again.report.root.root),
        (0, r.root.root)
    );
}

#[test]
fn an_epoch_of_changes_refuses_what_it_cannot_take_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("venue");
    let reg = registry(&["a", "b"]);
    let one = |size| holdings(&[size])[0].clone();
    // No store yet: the unchanged accounts have nowhere to come from.
    let e = run_changes(&dir, &epoch(10), &reg, &[("a", one(1))], &mut Draws(0)).unwrap_err();
    assert_eq!(e.field, "--changed-only", "{e}");
    run(
        &dir,
        &epoch(10),
        0,
        &reg,
        &holdings(&[1, 2]),
        Salts::Keep,
        &mut Draws(0),
    )
    .unwrap();
    let root = Store::open(&store_path(&dir), false)
        .unwrap()
        .root()
        .unwrap();

    let refused = |changes: &[(&str, Holding)], registry: &Registry| {
        let e = run_changes(&dir, &epoch(11), registry, changes, &mut Draws(0)).unwrap_err();
        // Nothing of the refused epoch is kept.
        let store = Store::open(&store_path(&dir), false).unwrap();
        assert_eq!(store.root().unwrap(), root);
        e
    };
    let e = refused(&[("mallory", one(3))], &reg);
    assert_eq!(
        (e.file.as_str(), e.field.as_str()),
        ("changes.json", "mallory")
    );
    assert!(e.reason.contains("not in the registry"), "{e}");
    let e = refused(&[("a", one(3)), ("a", one(4))], &reg);
    assert!(e.reason.contains("listed twice"), "{e}");
    // Another registry (one more account): the store cannot tell who else changed.
    let e = refused(&[("a", one(3))], &registry(&["a", "b", "c"]));
    assert_eq!(e.file, "registry.json", "{e}");
    assert!(e.reason.contains("not the registry"), "{e}");
    // An earlier epoch than the store's.
    let e = run_changes(&dir, &epoch(9), &reg, &[("a", one(3))], &mut Draws(0)).unwrap_err();
    assert_eq!(e.field, "epoch", "{e}");
}
