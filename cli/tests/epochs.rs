//! Epochs at scale through the `zkmargin` binary: `venue build` and `vault build` keep their
//! tree in `DIR/tree.db`, the next epoch into the same directory reuses it, openings come on
//! request (`venue opening`, `vault opening`) or all at once (`--openings`), and every bad
//! input (a registry or positions file that is malformed, names an account twice or an
//! unknown one; a store of another tree or epoch) is a one-line error.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use zkmargin_circuits::hash::{account_key, fp_to_hex, Fp};
use zkmargin_formats::opening::read_opening;
use zkmargin_formats::root::read_root;

use common::{p, read_json, scratch, write_json, zkmargin, Run};

/// The example epoch (`examples/parties`) renumbered, the registry of three accounts, and a
/// positions file of deribit.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let files = Files { dir: scratch() };
        let names = ["alice", "bob", "carol"];
        let accounts: Vec<Value> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                json!({"name": name, "key": fp_to_hex(&account_key(Fp::from(i as u64 + 1))), "idx": i})
            })
            .collect();
        write_json(
            &files.path("registry.json"),
            &json!({"format": "zkmargin.registry/1", "accounts": accounts}),
        );
        for epoch in [4812, 4813] {
            files.epoch(epoch);
        }
        files
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn epoch(&self, number: u64) -> PathBuf {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/parties");
        let mut epoch = read_json(&examples.join("epoch.json"));
        epoch["epoch"] = json!(number);
        let path = self.path(&format!("epoch-{number}.json"));
        write_json(&path, &epoch);
        path
    }

    /// A deribit positions file: each account's perp size in BTC (0: no position).
    fn positions(&self, name: &str, sizes: &[(&str, &str)]) -> PathBuf {
        let mut positions = serde_json::Map::new();
        for (account, size) in sizes {
            positions.insert(
                account.to_string(),
                json!([{"kind": "perp", "underlying": "BTC", "size": size, "entry": "95000"}]),
            );
        }
        let path = self.path(name);
        write_json(
            &path,
            &json!({"format": "zkmargin.venue/1", "venue": "deribit", "positions": positions}),
        );
        path
    }

    fn build(&self, epoch: u64, holdings: &Path, out: &Path, extra: &[&str]) -> Run {
        let epoch = self.path(&format!("epoch-{epoch}.json"));
        let registry = self.path("registry.json");
        let mut args = vec![
            "venue",
            "build",
            "--epoch",
            p(&epoch),
            "--registry",
            p(&registry),
            p(holdings),
            "--out",
            p(out),
        ];
        args.extend_from_slice(extra);
        zkmargin(&args)
    }

    fn opening(&self, tree: &Path, account: &str, out: &Path) -> Run {
        zkmargin(&[
            "venue",
            "opening",
            "--tree",
            p(tree),
            "--account",
            account,
            "--out",
            p(out),
        ])
    }
}

fn salt_of(path: &Path) -> String {
    read_json(path)["salt"].as_str().unwrap().to_string()
}

#[test]
fn the_next_epoch_reuses_the_store_and_openings_come_on_request() {
    let f = Files::new();
    let tree = f.path("deribit");
    let first = f.positions("p1.json", &[("alice", "0.5"), ("bob", "-2")]);
    let run = f.build(4812, &first, &tree, &[]);
    run.ok();
    assert!(run.stdout.contains("a new store"), "{}", run.show());
    assert!(tree.join("tree.db").is_file() && !tree.join("openings").exists());
    let root = read_root(
        &std::fs::read_to_string(tree.join("root.json")).unwrap(),
        "r",
    )
    .unwrap();

    // An opening on request: mode 0600, reads back as assemble reads it, reaches the root.
    let alice = f.path("alice-4812.json");
    f.opening(&tree, "alice", &alice).ok();
    let o = read_opening(&std::fs::read_to_string(&alice).unwrap(), "o").unwrap();
    assert_eq!((o.root, o.epoch, o.idx), (root.root, 4812, 0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&alice).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // --openings writes what the opening command writes, for every account.
    let run = f.build(4812, &first, &tree, &["--openings"]);
    run.ok();
    assert!(run.stdout.contains("0 accounts changed"), "{}", run.show());
    for name in ["alice", "bob", "carol"] {
        let on_request = f.path(&format!("{name}.on-request.json"));
        f.opening(&tree, name, &on_request).ok();
        assert_eq!(
            std::fs::read(&on_request).unwrap(),
            std::fs::read(tree.join("openings").join(format!("{name}.json"))).unwrap()
        );
    }

    // The next epoch: bob's book changes, alice's does not and keeps her salt.
    let second = f.positions("p2.json", &[("alice", "0.5"), ("bob", "-3")]);
    let run = f.build(4813, &second, &tree, &[]);
    run.ok();
    assert!(
        run.stdout.contains("1 accounts changed, 1 leaves rehashed"),
        "{}",
        run.show()
    );
    let alice_next = f.path("alice-4813.json");
    f.opening(&tree, "alice", &alice_next).ok();
    let o = read_opening(&std::fs::read_to_string(&alice_next).unwrap(), "o").unwrap();
    assert_eq!(o.epoch, 4813);
    assert_eq!(salt_of(&alice_next), salt_of(&alice));
    // With fresh salts into a copy of epoch 4812's directory, alice's salt is new.
    let fresh_tree = f.path("deribit-fresh");
    f.build(4812, &first, &fresh_tree, &[]).ok();
    let before = f.path("alice-fresh-4812.json");
    f.opening(&fresh_tree, "alice", &before).ok();
    let run = f.build(4813, &second, &fresh_tree, &["--fresh-salts"]);
    run.ok();
    assert!(run.stdout.contains("2 leaves rehashed"), "{}", run.show());
    let after = f.path("alice-fresh-4813.json");
    f.opening(&fresh_tree, "alice", &after).ok();
    assert_ne!(salt_of(&after), salt_of(&before));
}

#[test]
fn an_epoch_of_the_changed_accounts_alone_reuses_the_rest() {
    let f = Files::new();
    let tree = f.path("deribit");
    let first = f.positions("p1.json", &[("alice", "0.5"), ("bob", "-2")]);
    f.build(4812, &first, &tree, &[]).ok();
    let alice = f.path("alice-4812.json");
    f.opening(&tree, "alice", &alice).ok();

    // Epoch 4813 lists bob (a new size) and carol (a first position) only.
    let changes = f.positions("c.json", &[("bob", "-3"), ("carol", "1")]);
    let run = f.build(4813, &changes, &tree, &["--changed-only"]);
    run.ok();
    assert!(
        run.stdout
            .contains("3 accounts, 3 with a nonzero leaf (2 accounts changed, 2 leaves rehashed"),
        "{}",
        run.show()
    );
    let root = read_root(
        &std::fs::read_to_string(tree.join("root.json")).unwrap(),
        "r",
    )
    .unwrap();
    assert_eq!((root.epoch, root.accounts), (4813, 3));
    // alice was not listed: her salt and holding carry over, her opening reaches the new root.
    let alice_next = f.path("alice-4813.json");
    f.opening(&tree, "alice", &alice_next).ok();
    let o = read_opening(&std::fs::read_to_string(&alice_next).unwrap(), "o").unwrap();
    assert_eq!((o.root, o.epoch), (root.root, 4813));
    assert_eq!(salt_of(&alice_next), salt_of(&alice));
    // The full book of the same epoch finds nothing more to change.
    let whole = f.positions(
        "p2.json",
        &[("alice", "0.5"), ("bob", "-3"), ("carol", "1")],
    );
    let run = f.build(4813, &whole, &tree, &[]);
    run.ok();
    assert!(run.stdout.contains("0 accounts changed"), "{}", run.show());

    // Refused in one line, the store untouched: an unregistered account, another registry,
    // no store yet.
    f.epoch(4814);
    let stranger = f.positions("s.json", &[("mallory", "1")]);
    f.build(4814, &stranger, &tree, &["--changed-only"])
        .expect_bad_input(p(&stranger), "mallory");
    let registry = f.path("registry.json");
    let mut grown = read_json(&registry);
    grown["accounts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "dave", "key": fp_to_hex(&account_key(Fp::from(9))), "idx": 3}));
    write_json(&registry, &grown);
    f.build(4814, &changes, &tree, &["--changed-only"])
        .expect_bad_input(p(&registry), "(file)");
    f.build(4814, &changes, &f.path("new"), &["--changed-only"])
        .expect_bad_input(p(&f.path("new")), "--changed-only");
    let after = read_root(
        &std::fs::read_to_string(tree.join("root.json")).unwrap(),
        "r",
    )
    .unwrap();
    assert_eq!(after, root);
}

#[test]
fn a_store_of_another_tree_or_epoch_is_refused_in_one_line() {
    let f = Files::new();
    let tree = f.path("deribit");
    let positions = f.positions("p.json", &[("alice", "1")]);
    f.build(4813, &positions, &tree, &[]).ok();
    let store = tree.join("tree.db");
    // An earlier epoch into the store of a later one.
    f.build(4812, &positions, &tree, &[])
        .expect_bad_input(p(&store), "epoch");
    // The same epoch with another book (its root may be published already).
    let other = f.positions("q.json", &[("alice", "2")]);
    f.build(4813, &other, &tree, &[])
        .expect_bad_input(p(&store), "epoch");
    // Another tree: a vault into the venue's directory.
    let epoch = f.epoch(4814);
    let registry = f.path("registry.json");
    let balances = f.path("ethereum.json");
    write_json(
        &balances,
        &json!({"format": "zkmargin.vault/1", "chain": "ethereum", "balances": {"bob": {"USDC": "5"}}}),
    );
    zkmargin(&[
        "vault",
        "build",
        "--epoch",
        p(&epoch),
        "--registry",
        p(&registry),
        p(&balances),
        "--out",
        p(&tree),
    ])
    .expect_bad_input(p(&store), "name");
    // No store, or an account the tree does not know.
    let out = f.path("o.json");
    f.opening(&f.path("nowhere"), "alice", &out)
        .expect_bad_input(p(&f.path("nowhere").join("tree.db")), "(store)");
    f.opening(&tree, "mallory", &out)
        .expect_bad_input("command line", "--account");
    assert!(!out.exists());
    // A store that is not one.
    let fake = f.path("fake");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(fake.join("tree.db"), "not a store").unwrap();
    f.opening(&fake, "alice", &out)
        .expect_bad_input(p(&fake.join("tree.db")), "(store)");
    f.build(4814, &positions, &fake, &[])
        .expect_bad_input(p(&fake.join("tree.db")), "(store)");
}

#[test]
fn bad_registries_and_positions_are_one_line_errors() {
    let f = Files::new();
    let tree = f.path("deribit");
    // Unknown account, an account named twice (a JSON key twice), malformed JSON.
    let unknown = f.positions("unknown.json", &[("mallory", "1")]);
    f.build(4812, &unknown, &tree, &[])
        .expect_bad_input(p(&unknown), "positions.mallory");
    let twice = f.path("twice.json");
    std::fs::write(
        &twice,
        r#"{"format": "zkmargin.venue/1", "venue": "deribit", "positions": {
            "alice": [], "alice": []}}"#,
    )
    .unwrap();
    f.build(4812, &twice, &tree, &[])
        .expect_bad_input(p(&twice), "positions.alice");
    let broken = f.path("broken.json");
    std::fs::write(&broken, r#"{"format": "zkmargin.venue/1", "venue": "#).unwrap();
    f.build(4812, &broken, &tree, &[])
        .expect_bad_input(p(&broken), "line ");
    // A registry naming an account twice (ignoring case), a key twice, an index twice.
    let positions = f.positions("ok.json", &[("alice", "1")]);
    let registry = f.path("registry.json");
    let good = read_json(&registry);
    for (field, change) in [
        ("accounts[1].name", json!({"name": "ALICE"})),
        (
            "accounts[1].key",
            json!({"key": good["accounts"][0]["key"]}),
        ),
        ("accounts[1].idx", json!({"idx": 0})),
    ] {
        let mut bad = good.clone();
        for (k, v) in change.as_object().unwrap() {
            bad["accounts"][1][k] = v.clone();
        }
        write_json(&registry, &bad);
        f.build(4812, &positions, &tree, &[])
            .expect_bad_input(p(&registry), field);
    }
    std::fs::write(&registry, "[").unwrap();
    f.build(4812, &positions, &tree, &[])
        .expect_bad_input(p(&registry), "line ");
    assert!(!tree.exists(), "no input error leaves a tree behind");
}
