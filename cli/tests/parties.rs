//! The parties apart, through the `zkmargin` binary: each party's command, the signed snapshot,
//! the risk model and the trader's risk views.
//!
//! One small-profile network is taken apart into each party's input (`epoch.json`, a balances
//! file per chain, a positions file per venue), run through `account new`, `registry add`,
//! `vault build`, `venue build`, `publisher keygen`, `publish` and `account assemble`, and
//! shown to give exactly what `network build` gives for the same data and the same secrets and
//! salts: the same snapshot digest, the same account files, and the same proof inputs
//! (`PublicStatement` and instance column) at every venue. One real proof is made from the
//! assembled account (small profile) and verified against the signed snapshot.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};
use zkmargin_circuits::hash::account_key;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{evaluate, Order};
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::LineSecret;
use zkmargin_formats::account::{read_account, write_account, Account};
use zkmargin_formats::network::read_network;
use zkmargin_formats::position::parse_order;
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::secret::read_secret;
use zkmargin_formats::snapshot::{read_snapshot, write_signed_snapshot};
use zkmargin_prover::network::{build_with, Draws};
use zkmargin_prover::scenarios;
use zkmargin_prover::witness_of;
use zkmargin_verifier::publisher::{read_signed_snapshot, SignSnapshot};

use common::{
    alice, check_book, epoch_window, p, read_json, scratch, write_json, zkmargin, Png, Run, ORDER,
};

// ------------------------------------------------------------------------------- the network

/// A small network: alice (solvent, mixed book), bob (only collateral on one chain), carol
/// (nothing at all).
fn network_json(valid_from: u64, valid_until: u64) -> Value {
    let accounts = json!([
        alice(valid_from),
        {"name": "bob", "collateral": {"arbitrum": {"USDC": "1000"}}},
        {"name": "carol"}
    ]);
    common::network_json(91, valid_from, valid_until, accounts)
}

/// Each vault's and venue's tree: `zkmargin vault|venue build --openings` of `(command,
/// member, file)`, the file read from `inputs`, the tree written to `out/<member>` (its
/// openings in `out/<member>/openings`); returns the root files.
fn build_trees(
    epoch: &Path,
    registry: &Path,
    trees: &[(&str, &str, &str)],
    inputs: &Path,
    out: &Path,
) -> Vec<PathBuf> {
    trees
        .iter()
        .map(|(what, member, file)| {
            let dir = out.join(member);
            zkmargin(&[
                *what,
                "build",
                "--epoch",
                p(epoch),
                "--registry",
                p(registry),
                p(&inputs.join(file)),
                "--out",
                p(&dir),
                "--openings",
            ])
            .ok();
            dir.join("root.json")
        })
        .collect()
}

/// The network taken apart: what each party holds.
fn split(network: &Value, dir: &Path) {
    let mut epoch = network.clone();
    let obj = epoch.as_object_mut().unwrap();
    obj.remove("accounts");
    obj.insert("format".into(), json!("zkmargin.epoch/1"));
    obj.insert("profile".into(), json!("small"));
    let accounts = network["accounts"].as_array().unwrap();
    // An epoch lists its options itself (a network lists those its accounts hold): every
    // option any account holds, once.
    let mut listed: Vec<Value> = network
        .get("instruments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for held in accounts.iter().filter_map(|a| a["positions"].as_object()) {
        for position in held.values().flat_map(|v| v.as_array().unwrap()) {
            if position["kind"] != "perp" {
                let underlying = &position["underlying"];
                let vol = &network["portfolio"][underlying.as_str().unwrap()]["vol_ppm"];
                let key = json!({"kind": position["kind"], "underlying": underlying,
                                 "strike": position["strike"], "expiry": position["expiry"],
                                 "iv_ppm": vol});
                if !listed.contains(&key) {
                    listed.push(key);
                }
            }
        }
    }
    obj.insert("instruments".into(), Value::Array(listed));
    write_json(&dir.join("epoch.json"), &epoch);
    for chain in network["chains"].as_array().unwrap() {
        let name = chain["name"].as_str().unwrap();
        let mut balances = serde_json::Map::new();
        for a in accounts {
            if let Some(held) = a["collateral"].get(name) {
                balances.insert(a["name"].as_str().unwrap().into(), held.clone());
            }
        }
        write_json(
            &dir.join(format!("{name}.balances.json")),
            &json!({"format": "zkmargin.vault/1", "chain": name, "balances": balances}),
        );
    }
    for venue in network["venues"].as_array().unwrap() {
        let name = venue["name"].as_str().unwrap();
        let mut positions = serde_json::Map::new();
        for a in accounts {
            if let Some(held) = a["positions"].get(name) {
                positions.insert(a["name"].as_str().unwrap().into(), held.clone());
            }
        }
        write_json(
            &dir.join(format!("{name}.positions.json")),
            &json!({"format": "zkmargin.venue/1", "venue": name, "positions": positions}),
        );
    }
}

/// Every party's files, made once and shared by the tests.
struct Flow {
    dir: PathBuf,
    network: PathBuf,
    names: Vec<String>,
    snapshot: PathBuf,
    publisher_secret: PathBuf,
    publisher_public: PathBuf,
    publisher_hex: String,
    /// alice's proof at dex, level 1.5, with ORDER, from her assembled account.
    proof: PathBuf,
    valid_until: u64,
}

impl Flow {
    fn secret(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.secret"))
    }
    fn account(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }
    fn snapshot(&self) -> Snapshot {
        read_snapshot(&std::fs::read_to_string(&self.snapshot).unwrap(), "s").unwrap()
    }
}

fn flow() -> &'static Flow {
    static FLOW: OnceLock<Flow> = OnceLock::new();
    FLOW.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parties-flow");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (valid_from, valid_until) = epoch_window();
        let network = network_json(valid_from, valid_until);
        let network_path = dir.join("network.json");
        write_json(&network_path, &network);
        split(&network, &dir);
        let names: Vec<String> = network["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect();

        // Traders: a secret each; the registry: their keys, in order.
        let registry = dir.join("registry.json");
        for (i, name) in names.iter().enumerate() {
            let secret = dir.join(format!("{name}.secret"));
            let run = zkmargin(&["account", "new", "--out", p(&secret), "--venue-id", "9"]);
            run.ok();
            let key = run
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("account key"))
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or_else(|| panic!("no key printed\n{}", run.show()))
                .to_string();
            let run = zkmargin(&[
                "registry",
                "add",
                "--registry",
                p(&registry),
                "--name",
                name,
                "--key",
                &key,
            ]);
            run.ok();
            assert!(
                run.stdout.contains(&format!("at index {i}")),
                "{}",
                run.show()
            );
        }
        // Vaults and venues.
        let epoch = dir.join("epoch.json");
        let roots = build_trees(
            &epoch,
            &registry,
            &[
                ("vault", "ethereum", "ethereum.balances.json"),
                ("vault", "arbitrum", "arbitrum.balances.json"),
                ("venue", "cex", "cex.positions.json"),
                ("venue", "dex", "dex.positions.json"),
            ],
            &dir,
            &dir,
        );
        // The publisher.
        let publisher_secret = dir.join("publisher.secret");
        let run = zkmargin(&["publisher", "keygen", "--out", p(&publisher_secret)]);
        run.ok();
        let publisher_public = dir.join("publisher.pub");
        let publisher_hex = read_json(&publisher_public)["public_key"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(run.stdout.contains(&publisher_hex), "{}", run.show());
        let snapshot = dir.join("snapshot.json");
        let mut args = vec![
            "publish".to_string(),
            "--epoch".into(),
            p(&epoch).into(),
            "--key".into(),
            p(&publisher_secret).into(),
            "--out".into(),
            p(&snapshot).into(),
        ];
        for root in &roots {
            args.push("--root".into());
            args.push(p(root).into());
        }
        zkmargin(&args).ok();
        // Each trader assembles its account from its openings.
        for name in &names {
            let mut args = vec![
                "account".to_string(),
                "assemble".into(),
                "--secret".into(),
                p(&dir.join(format!("{name}.secret"))).into(),
                "--snapshot".into(),
                p(&snapshot).into(),
                "--out".into(),
                p(&dir.join(format!("{name}.json"))).into(),
            ];
            for member in ["ethereum", "arbitrum", "cex", "dex"] {
                args.push(
                    p(&dir
                        .join(member)
                        .join("openings")
                        .join(format!("{name}.json")))
                    .into(),
                );
            }
            zkmargin(&args).ok();
        }
        // One real proof from the assembled account.
        let proof = dir.join("alice-dex.proof");
        zkmargin(&[
            "prove",
            "--snapshot",
            p(&snapshot),
            "--account",
            p(&dir.join("alice.json")),
            "--venue",
            "dex",
            "--level",
            "1.5",
            "--order",
            ORDER,
            "--out",
            p(&proof),
        ])
        .ok();
        Flow {
            dir,
            network: network_path,
            names,
            snapshot,
            publisher_secret,
            publisher_public,
            publisher_hex,
            proof,
            valid_until,
        }
    })
}

// ------------------------------------------------------------------------------- the flow

/// The multi-party files give what `network build` gives for the same data, secrets and salts.
#[test]
fn the_parties_apart_give_the_proof_inputs_of_network_build() {
    let f = flow();
    let snapshot = f.snapshot();
    let accounts: Vec<Account> = f
        .names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(f.account(name)).unwrap();
            read_account(&text, name, &snapshot).unwrap()
        })
        .collect();
    // The draws the parties made: each trader's secret, each vault's and venue's salts.
    let draws = Draws {
        secrets: f
            .names
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(f.secret(name)).unwrap();
                read_secret(&text, name).unwrap()
            })
            .collect(),
        chain_salts: accounts
            .iter()
            .map(|a| a.chain_openings.iter().map(|o| o.salt).collect())
            .collect(),
        venue_salts: accounts
            .iter()
            .map(|a| a.venue_openings.iter().map(|o| o.salt).collect())
            .collect(),
    };
    let network = read_network(
        &std::fs::read_to_string(&f.network).unwrap(),
        "network.json",
    )
    .unwrap();
    let (built, built_accounts) = build_with(&network, SMALL, &draws).unwrap();

    assert_eq!(built, snapshot);
    assert_eq!(built.digest(), snapshot.digest());
    assert_eq!(built_accounts, accounts);
    for (a, b) in built_accounts.iter().zip(&accounts) {
        assert_eq!(write_account(a, &built), write_account(b, &snapshot));
        assert!(witness_of(&built, a).unwrap() == witness_of(&snapshot, b).unwrap());
        assert_eq!(account_key(a.sk), account_key(b.sk));
    }
    // The same certificate statement from both builds, at two levels and two splits.
    for account in &accounts {
        let built_account = &built_accounts[account.idx as usize];
        for (level, lines) in [(1_000_000, vec![0, 0]), (1_500_000, vec![7, 11])] {
            let secrets: Vec<LineSecret> = lines
                .iter()
                .enumerate()
                .map(|(v, &allowance)| LineSecret {
                    allowance,
                    salt: Fp::from(100 + v as u64),
                })
                .collect();
            let ours = PublicStatement::certifying(
                &snapshot,
                &witness_of(&snapshot, account).unwrap().with_lines(&secrets),
                level,
            );
            let theirs = PublicStatement::certifying(
                &built,
                &witness_of(&built, built_account)
                    .unwrap()
                    .with_lines(&secrets),
                level,
            );
            assert_eq!(ours, theirs);
            assert_eq!(ours.to_instance(), theirs.to_instance());
            let direct =
                PublicStatement::new(&built, level, ours.nullifier, ours.commitments.clone())
                    .unwrap();
            assert_eq!(direct.to_instance(), ours.to_instance());
        }
    }
    // Carol holds nothing: every leaf of hers is absent; bob only on arbitrum.
    assert!(accounts[2].chain_openings.iter().all(|o| !o.present));
    assert!(accounts[2].venue_openings.iter().all(|o| !o.present));
    assert_eq!(
        accounts[1]
            .chain_openings
            .iter()
            .map(|o| o.present)
            .collect::<Vec<_>>(),
        vec![false, true]
    );
    // The private files are private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for path in [
            f.secret("alice"),
            f.account("alice"),
            f.publisher_secret.clone(),
            f.dir.join("dex/openings/alice.json"),
        ] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

#[test]
fn network_build_is_the_same_composition() {
    let f = flow();
    // The CLI's network build of the same network: same layout, its own secrets and salts.
    let dir = scratch();
    let out = dir.path().join("net");
    zkmargin(&["network", "build", p(&f.network), "--out", p(&out)]).ok();
    let text = std::fs::read_to_string(out.join("snapshot.json")).unwrap();
    let built = read_snapshot(&text, "s").unwrap();
    let ours = f.snapshot();
    assert_eq!(
        (
            built.profile,
            built.epoch,
            &built.assets,
            &built.haircuts_ppm
        ),
        (ours.profile, ours.epoch, &ours.assets, &ours.haircuts_ppm)
    );
    assert_ne!(built.chain_roots, ours.chain_roots, "fresh salts");
    // Unsigned without a key; signed with --signing-key.
    assert!(read_signed_snapshot(&text, "s")
        .unwrap()
        .signature
        .is_none());
    let signed_out = dir.path().join("signed");
    let run = zkmargin(&[
        "network",
        "build",
        p(&f.network),
        "--out",
        p(&signed_out),
        "--signing-key",
        p(&f.publisher_secret),
    ]);
    run.ok();
    assert!(run.stdout.contains(&f.publisher_hex), "{}", run.show());
    let text = std::fs::read_to_string(signed_out.join("snapshot.json")).unwrap();
    let signed = read_signed_snapshot(&text, "s").unwrap();
    assert_eq!(
        signed.publisher().map(|k| k.to_hex()),
        Some(f.publisher_hex.clone())
    );
}

// ------------------------------------------------------------------------------- signatures

/// A named change to a snapshot.
type Change = Box<dyn Fn(&mut Snapshot)>;

fn verify(f: &Flow, snapshot: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--snapshot",
        p(snapshot),
        "--proof",
        p(&f.proof),
        "--venue",
        "dex",
        "--level",
        "1.5",
    ];
    args.extend_from_slice(extra);
    zkmargin(&args)
}

#[test]
fn verify_checks_the_publisher_when_asked() {
    let f = flow();
    // With the publisher's key, as hex or as its file.
    for key in [f.publisher_hex.as_str(), p(&f.publisher_public)] {
        let run = verify(f, &f.snapshot, &["--publisher", key]);
        run.ok();
        assert!(run.stdout.ends_with("VALID\n"), "{}", run.show());
        assert!(run.stdout.contains("signature checked"), "{}", run.show());
        assert!(!run.stderr.contains("origin"), "{}", run.show());
    }
    // Without: valid, and a note that the origin was not checked.
    let run = verify(f, &f.snapshot, &[]);
    run.ok();
    assert!(
        run.stderr
            .contains("the snapshot's origin was not checked; it is signed by"),
        "{}",
        run.show()
    );
    // Another publisher's key.
    let other = PublisherSecret::from_bytes(&[42; 32]).public().to_hex();
    verify(f, &f.snapshot, &["--publisher", &other])
        .expect_bad_input(p(&f.snapshot), "publisher_key");
    // Not a key.
    verify(f, &f.snapshot, &["--publisher", "0x12"])
        .expect_bad_input("command line", "--publisher");
    // The secret key file where the public key is expected.
    verify(f, &f.snapshot, &["--publisher", p(&f.publisher_secret)])
        .expect_bad_input(p(&f.publisher_secret), "format");
}

#[test]
fn a_snapshot_changed_after_signing_is_refused() {
    let f = flow();
    let text = std::fs::read_to_string(&f.snapshot).unwrap();
    let signed = read_signed_snapshot(&text, "s").unwrap();
    let signature = signed.signature.unwrap();
    let dir = scratch();
    // Each change is written with its digest recomputed and the publisher's old signature.
    let changes: Vec<(&str, Change)> = vec![
        ("price", Box::new(|s| s.assets[1].price += 1)),
        ("haircut", Box::new(|s| s.haircuts_ppm[0][1] = 0)),
        ("rate", Box::new(|s| s.perp_mmr_ppm[1][1] -= 1)),
        ("root", Box::new(|s| s.venue_roots.swap(0, 1))),
        ("time", Box::new(|s| s.valid_until += 86_400)),
    ];
    for (what, change) in changes {
        let mut changed = signed.snapshot.clone();
        change(&mut changed);
        let path = dir.path().join(format!("{what}.json"));
        std::fs::write(&path, write_signed_snapshot(&changed, Some(&signature))).unwrap();
        // Refused by every command, with or without --publisher.
        verify(f, &path, &["--publisher", &f.publisher_hex])
            .expect_bad_input(p(&path), "signature");
        verify(f, &path, &[]).expect_bad_input(p(&path), "signature");
        check_book(&path, &f.account("alice"), &[]).expect_bad_input(p(&path), "signature");
    }
    // An edit without a recomputed digest is caught by the digest first.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["assets"][0]["price"] = json!("1");
    let path = dir.path().join("edited.json");
    write_json(&path, &value);
    verify(f, &path, &["--publisher", &f.publisher_hex]).expect_bad_input(p(&path), "digest");
    // The signature removed: an unsigned snapshot, refused under --publisher only.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value.as_object_mut().unwrap().remove("publisher_key");
    value.as_object_mut().unwrap().remove("signature");
    let path = dir.path().join("unsigned.json");
    write_json(&path, &value);
    let run = verify(f, &path, &["--publisher", &f.publisher_hex]);
    run.expect_bad_input(p(&path), "signature: missing");
    let run = verify(f, &path, &[]);
    run.ok();
    assert!(run.stderr.contains("it is unsigned"), "{}", run.show());
    // Half a signature.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value.as_object_mut().unwrap().remove("signature");
    write_json(&path, &value);
    verify(f, &path, &[]).expect_bad_input(p(&path), "signature");
}

#[test]
fn a_proof_is_bound_to_its_epoch_and_its_time() {
    let f = flow();
    let text = std::fs::read_to_string(&f.snapshot).unwrap();
    let signed = read_signed_snapshot(&text, "s").unwrap();
    // The next epoch, properly signed by the same publisher with the same roots.
    let secret = zkmargin_formats::publisher_key::read_secret(
        &std::fs::read_to_string(&f.publisher_secret).unwrap(),
        "k",
    )
    .unwrap();
    let mut next = signed.snapshot.clone();
    next.epoch += 1;
    let dir = scratch();
    let path = dir.path().join("next.json");
    std::fs::write(
        &path,
        write_signed_snapshot(&next, Some(&secret.sign(&next))),
    )
    .unwrap();
    let run = verify(f, &path, &["--publisher", &f.publisher_hex]);
    run.expect_code(3);
    assert!(
        run.stdout
            .starts_with("REJECTED: the certificate is for epoch 91, the snapshot is epoch 92"),
        "{}",
        run.show()
    );
    // After valid_until, and at it.
    let run = verify(
        f,
        &f.snapshot,
        &[
            "--publisher",
            &f.publisher_hex,
            "--at",
            &(f.valid_until + 1).to_string(),
        ],
    );
    run.expect_code(3);
    assert!(run.stdout.contains("expired"), "{}", run.show());
    verify(
        f,
        &f.snapshot,
        &[
            "--publisher",
            &f.publisher_hex,
            "--at",
            &f.valid_until.to_string(),
        ],
    )
    .ok();
}

// ------------------------------------------------------------------------------- bad input

/// Writes `value` mutated by `mutate` to a fresh file of `dir` and returns its path.
fn mutated(dir: &Path, name: &str, value: &Value, mutate: impl FnOnce(&mut Value)) -> PathBuf {
    let mut value = value.clone();
    mutate(&mut value);
    let path = dir.join(name);
    write_json(&path, &value);
    path
}

#[test]
fn every_new_file_names_its_bad_field() {
    let f = flow();
    let dir = scratch();
    let d = dir.path();
    let epoch = f.dir.join("epoch.json");
    let registry = f.dir.join("registry.json");
    let balances = f.dir.join("ethereum.balances.json");
    let positions = f.dir.join("dex.positions.json");
    let tree = |what: &str, epoch: &Path, registry: &Path, holdings: &Path| {
        zkmargin(&[
            what,
            "build",
            "--epoch",
            p(epoch),
            "--registry",
            p(registry),
            p(holdings),
            "--out",
            p(&d.join("out")),
        ])
    };

    // epoch.json
    let e = read_json(&epoch);
    let bad = mutated(d, "e1.json", &e, |v| v["profile"] = json!("tiny"));
    tree("vault", &bad, &registry, &balances).expect_bad_input(p(&bad), "profile");
    let bad = mutated(d, "e2.json", &e, |v| v["accounts"] = json!([]));
    tree("vault", &bad, &registry, &balances).expect_bad_input(p(&bad), "accounts");
    let bad = mutated(d, "e3.json", &e, |v| v["assets"][0]["price"] = json!("-1"));
    tree("vault", &bad, &registry, &balances).expect_bad_input(p(&bad), "assets[0].price");
    // registry.json
    let r = read_json(&registry);
    let bad = mutated(d, "r1.json", &r, |v| v["accounts"][1]["idx"] = json!(0));
    tree("vault", &epoch, &bad, &balances).expect_bad_input(p(&bad), "accounts[1].idx");
    let bad = mutated(d, "r2.json", &r, |v| v["accounts"][0]["key"] = json!("0x1"));
    tree("vault", &epoch, &bad, &balances).expect_bad_input(p(&bad), "accounts[0].key");
    let bad = mutated(d, "r3.json", &r, |v| {
        v["accounts"][2]["idx"] = json!(1 << 16)
    });
    tree("vault", &epoch, &bad, &balances).expect_bad_input(p(&bad), "accounts[2].idx");
    // balances and positions
    let b = read_json(&balances);
    let bad = mutated(d, "b1.json", &b, |v| {
        v["balances"]["mallory"] = json!({"USDC": "1"})
    });
    tree("vault", &epoch, &registry, &bad).expect_bad_input(p(&bad), "balances.mallory");
    let bad = mutated(d, "b2.json", &b, |v| {
        v["balances"]["alice"]["USDC"] = json!("-5")
    });
    tree("vault", &epoch, &registry, &bad).expect_bad_input(p(&bad), "balances.alice.USDC");
    let bad = mutated(d, "b3.json", &b, |v| v["chain"] = json!("solana"));
    tree("vault", &epoch, &registry, &bad).expect_bad_input(p(&bad), "chain");
    tree("venue", &epoch, &registry, &balances).expect_bad_input(p(&balances), "format");
    let q = read_json(&positions);
    let bad = mutated(d, "q1.json", &q, |v| {
        v["positions"]["alice"][1]["expiry"] = json!(1)
    });
    tree("venue", &epoch, &registry, &bad).expect_bad_input(p(&bad), "positions.alice[1].expiry");
    let bad = mutated(d, "q2.json", &q, |v| {
        let perp = v["positions"]["alice"][0].clone();
        v["positions"]["alice"] = Value::Array(vec![perp; 5]);
    });
    tree("venue", &epoch, &registry, &bad).expect_bad_input(p(&bad), "positions.alice");
    assert!(!d.join("out").exists(), "nothing is written for bad input");

    // root files, at publish
    let root = f.dir.join("ethereum/root.json");
    let roots = ["arbitrum", "cex", "dex"].map(|m| f.dir.join(m).join("root.json"));
    let publish = |epoch: &Path, first: &Path, key: &Path| {
        let mut args = vec![
            "publish".to_string(),
            "--epoch".into(),
            p(epoch).into(),
            "--key".into(),
            p(key).into(),
            "--out".into(),
            p(&d.join("snap.json")).into(),
            "--root".into(),
            p(first).into(),
        ];
        args.extend(roots.iter().map(|r| p(r).to_string()));
        zkmargin(&args)
    };
    let rj = read_json(&root);
    let bad = mutated(d, "root1.json", &rj, |v| v["epoch"] = json!(90));
    publish(&epoch, &bad, &f.publisher_secret).expect_bad_input(p(&bad), "epoch");
    let bad = mutated(d, "root2.json", &rj, |v| {
        v["assets"] = json!(["USDC", "ETH", "BTC"])
    });
    publish(&epoch, &bad, &f.publisher_secret).expect_bad_input(p(&bad), "assets");
    let bad = mutated(d, "root3.json", &rj, |v| v["id"] = json!(5));
    publish(&epoch, &bad, &f.publisher_secret).expect_bad_input(p(&bad), "id");
    let bad = mutated(d, "root4.json", &rj, |v| v["root"] = json!("0xzz"));
    publish(&epoch, &bad, &f.publisher_secret).expect_bad_input(p(&bad), "root");
    publish(&epoch, &roots[0], &f.publisher_secret).expect_bad_input(p(&roots[0]), "name");
    // the publisher's key file
    let k = read_json(&f.publisher_secret);
    let bad = mutated(d, "k1.json", &k, |v| v["secret_key"] = json!("00"));
    publish(&epoch, &root, &bad).expect_bad_input(p(&bad), "secret_key");
    publish(&epoch, &root, &f.publisher_public).expect_bad_input(p(&f.publisher_public), "format");
    assert!(!d.join("snap.json").exists());

    // openings and secrets, at assembly
    let assemble = |secret: &Path, openings: &[PathBuf]| {
        let mut args = vec![
            "account".to_string(),
            "assemble".into(),
            "--secret".into(),
            p(secret).into(),
            "--snapshot".into(),
            p(&f.snapshot).into(),
            "--out".into(),
            p(&d.join("acct.json")).into(),
        ];
        args.extend(openings.iter().map(|o| p(o).to_string()));
        zkmargin(&args)
    };
    let openings: Vec<PathBuf> = ["ethereum", "arbitrum", "cex", "dex"]
        .iter()
        .map(|m| f.dir.join(m).join("openings/alice.json"))
        .collect();
    // bob's secret with alice's openings
    assemble(&f.secret("bob"), &openings).expect_bad_input(p(&openings[0]), "account_key");
    // a missing opening
    assemble(&f.secret("alice"), &openings[..3]).expect_bad_input("OPENING", "venue dex");
    // a changed balance no longer reaches the root
    let o = read_json(&openings[0]);
    let bad = mutated(d, "o1.json", &o, |v| {
        v["collateral"]["USDC"] = json!("50001")
    });
    let mut set = openings.clone();
    set[0] = bad.clone();
    assemble(&f.secret("alice"), &set).expect_bad_input(p(&bad), "root");
    let bad = mutated(d, "o2.json", &o, |v| v["salt"] = json!(7));
    set[0] = bad.clone();
    assemble(&f.secret("alice"), &set).expect_bad_input(p(&bad), "salt");
    let bad = mutated(d, "o3.json", &o, |v| v["present"] = json!(false));
    set[0] = bad.clone();
    assemble(&f.secret("alice"), &set).expect_bad_input(p(&bad), "present");
    // an opening of another account at the same place
    set[0] = f.dir.join("ethereum/openings/bob.json");
    assemble(&f.secret("alice"), &set).expect_bad_input(p(&set[0]), "account_key");
    let s = read_json(&f.secret("alice"));
    let bad = mutated(d, "s1.json", &s, |v| v["sk"] = json!("secret"));
    assemble(&bad, &openings).expect_bad_input(p(&bad), "sk");
    assert!(!d.join("acct.json").exists());

    // account new and registry add
    zkmargin(&["account", "new", "--out", p(&f.secret("alice"))])
        .expect_bad_input(p(&f.secret("alice")), "--out");
    zkmargin(&[
        "account",
        "new",
        "--out",
        p(&d.join("x.secret")),
        "--venue-id",
        "-1",
    ])
    .expect_bad_input("command line", "--venue-id");
    let reg = d.join("reg.json");
    zkmargin(&[
        "registry",
        "add",
        "--registry",
        p(&reg),
        "--name",
        "a/b",
        "--key",
        "0x1",
    ])
    .expect_bad_input("command line", "--key");
    let key = format!("0x{}", "0".repeat(63) + "5");
    zkmargin(&[
        "registry",
        "add",
        "--registry",
        p(&reg),
        "--name",
        "a/b",
        "--key",
        &key,
    ])
    .expect_bad_input("command line", "--name");
    zkmargin(&[
        "registry",
        "add",
        "--registry",
        p(&reg),
        "--name",
        "ann",
        "--key",
        &key,
    ])
    .ok();
    zkmargin(&[
        "registry",
        "add",
        "--registry",
        p(&reg),
        "--name",
        "ANN",
        "--key",
        &key,
    ])
    .expect_bad_input("command line", "--name, --key");
    zkmargin(&["publisher", "keygen", "--out", p(&f.publisher_secret)])
        .expect_bad_input(p(&f.publisher_secret), "--out");
}

// ------------------------------------------------------------------------------- risk model

const RISK: &str = r#"
{"format": "zkmargin.risk/1", "z": "3.09", "stale_seconds": 3600,
 "assets": {"BTC": {"sigma": "0.60", "jump": "0", "liquidation_seconds": 3600},
            "ETH": {"sigma": "0.75", "jump": "0", "liquidation_seconds": 3600},
            "USDC": {"sigma": "0.02", "jump": "0.01", "liquidation_seconds": 600}},
 "chains": {"ethereum": {"finality_seconds": 768, "relay_seconds": 1140, "bridge": "0"},
            "arbitrum": {"finality_seconds": 1080, "relay_seconds": 0, "bridge": "0.02"}}}
"#;

#[test]
fn risk_haircuts_prints_plots_and_feeds_network_build() {
    let f = flow();
    let dir = scratch();
    let risk = dir.path().join("risk.json");
    std::fs::write(&risk, RISK).unwrap();
    // The issue's vectors (checked by hand in zkmargin_prover::risk).
    let run = zkmargin(&["risk", "haircuts", p(&risk), "--json"]);
    run.ok();
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["BTC"], json!({"ethereum": 31508, "arbitrum": 50042}));
    assert_eq!(value["USDC"], json!({"ethereum": 10861, "arbitrum": 30800}));
    let plot = dir.path().join("heat.svg");
    let run = zkmargin(&["risk", "haircuts", p(&risk), "--plot", p(&plot)]);
    run.ok();
    assert!(
        run.stdout.contains("31508") && run.stdout.contains("2h 31m 48s"),
        "{}",
        run.show()
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("latency") && svg.contains("ethereum"));
    // The same heat map as a PNG (the extension in any case), labelled with the embedded
    // font: 3 assets x 2 chains is 900 x 370 pixels, and the title band is drawn text.
    let plot = dir.path().join("heat.PNG");
    zkmargin(&["risk", "haircuts", p(&risk), "--plot", p(&plot)]).ok();
    let png = Png::read(&plot);
    assert_eq!((png.width, png.height), (900, 370));
    assert!(png.dark_pixels(0, 25) > 100, "no title drawn");
    zkmargin(&[
        "risk",
        "haircuts",
        p(&risk),
        "--plot",
        p(&dir.path().join("h.jpg")),
    ])
    .expect_bad_input("command line", "--plot");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, RISK.replace("\"0.60\"", "\"-0.60\"")).unwrap();
    zkmargin(&["risk", "haircuts", p(&bad)]).expect_bad_input(p(&bad), "assets.BTC.sigma");

    // network build --risk: the table in place of haircuts_ppm, which may be left out.
    let mut network = read_json(&f.network);
    network.as_object_mut().unwrap().remove("haircuts_ppm");
    let file = dir.path().join("network.json");
    write_json(&file, &network);
    let out = dir.path().join("net");
    zkmargin(&["network", "build", p(&file), "--out", p(&out)])
        .expect_bad_input(p(&file), "haircuts_ppm");
    let run = zkmargin(&[
        "network",
        "build",
        p(&file),
        "--out",
        p(&out),
        "--risk",
        p(&risk),
    ]);
    run.ok();
    let text = std::fs::read_to_string(out.join("snapshot.json")).unwrap();
    let snapshot = read_snapshot(&text, "s").unwrap();
    // BTC, ETH, USDC on ethereum, arbitrum; ETH: z sigma = 2.3175, sqrt as BTC's.
    assert_eq!(snapshot.haircuts_ppm[0], vec![31_508, 50_042]);
    assert_eq!(snapshot.haircuts_ppm[2], vec![10_861, 30_800]);
    let table = value_of_table(&risk);
    assert_eq!(snapshot.haircuts_ppm[1], table[1]);
    // A risk model that does not cover the network is named.
    let partial = dir.path().join("partial.json");
    std::fs::write(&partial, RISK.replace("\"ETH\"", "\"SOL\"")).unwrap();
    zkmargin(&[
        "network",
        "build",
        p(&file),
        "--out",
        p(&out),
        "--risk",
        p(&partial),
    ])
    .expect_bad_input(p(&partial), "assets.ETH");
}

fn value_of_table(risk: &Path) -> Vec<Vec<u64>> {
    let run = zkmargin(&["risk", "haircuts", p(risk), "--json"]);
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    ["BTC", "ETH", "USDC"]
        .iter()
        .map(|a| {
            ["ethereum", "arbitrum"]
                .iter()
                .map(|c| value[a][c].as_u64().unwrap())
                .collect()
        })
        .collect()
}

// ------------------------------------------------------------------------------- risk views

fn check(f: &Flow, extra: &[&str]) -> Run {
    check_book(&f.snapshot, &f.account("alice"), extra)
}

#[test]
fn the_risk_views_are_the_reference_engine() {
    let f = flow();
    let snapshot = f.snapshot();
    let account = read_account(
        &std::fs::read_to_string(f.account("alice")).unwrap(),
        "a",
        &snapshot,
    )
    .unwrap();
    let params = snapshot.risk_params();
    let order = parse_order(ORDER, &snapshot, "order").unwrap();
    let dex = snapshot.venue_index("dex").unwrap();
    let book = scenarios::book_with_order(
        &params,
        &account.book,
        Some(&Order {
            venue: dex,
            position: order,
        }),
    )
    .unwrap();

    // The moves that use up the headroom: at each, the engine says insolvent; one ppm less,
    // solvent.
    let run = check(
        f,
        &[
            "--venue", "dex", "--order", ORDER, "--level", "1.5", "--json",
        ],
    );
    run.ok();
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    let moves = value["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 3, "BTC, ETH and USDC: {value}");
    let mut crossings = 0;
    for m in moves {
        let asset = snapshot.asset_index(m["asset"].as_str().unwrap()).unwrap();
        for key in ["down_pct", "up_pct"] {
            let Some(text) = m[key].as_str() else {
                continue;
            };
            let ppm = zkmargin_formats::decimal::parse_scaled(text, 4).unwrap() as i64;
            let toward_zero = ppm - ppm.signum();
            let solvent = |m: i64| {
                scenarios::evaluate_moved(&params, &book, 1_500_000, &[(asset, m)])
                    .unwrap()
                    .unwrap()
                    .solvent
            };
            assert!(!solvent(ppm), "{key} {text}");
            assert!(solvent(toward_zero), "{key} {text}");
            crossings += 1;
        }
    }
    // Alice's BTC fall crosses; her ETH (10 held against 5 short, a long put) crosses neither
    // way within the search once margin is the portfolio's.
    assert!(crossings >= 1, "{value}");
    let run = check(f, &["--venue", "dex", "--order", ORDER, "--level", "1.5"]);
    assert!(
        run.stdout.contains("Price moves that use up the headroom"),
        "{}",
        run.show()
    );

    // --shock: the engine at the moved prices.
    let run = check(
        f,
        &[
            "--venue",
            "dex",
            "--order",
            ORDER,
            "--shock",
            "ETH=-12.5",
            "--shock",
            "BTC=3",
            "--json",
        ],
    );
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    let report =
        scenarios::evaluate_moved(&params, &book, 1_000_000, &[(1, -125_000), (0, 30_000)])
            .unwrap()
            .unwrap();
    run.expect_code(if report.solvent { 0 } else { 2 });
    assert_eq!(
        value["equity_uusd"].as_str(),
        Some(report.equity.to_string().as_str())
    );
    assert_eq!(
        value["mm_uusd"].as_str(),
        Some(report.mm.to_string().as_str())
    );
    assert_eq!(
        value["headroom_uusd"].as_str(),
        Some(report.headroom.to_string().as_str())
    );
    assert_eq!(value["shocks"][0]["price"], json!("2625.4375"));
    assert_eq!(
        value["snapshot_digest"],
        json!(zkmargin_formats::hex::digest_to_hex(&snapshot.digest()))
    );
    // No move is the unmoved book: the same totals as the plain report.
    let plain = evaluate(
        &params,
        &account.book,
        Some(&Order {
            venue: dex,
            position: order,
        }),
        1_000_000,
    )
    .unwrap();
    let run = check(
        f,
        &[
            "--venue", "dex", "--order", ORDER, "--shock", "ETH=0", "--json",
        ],
    );
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        value["equity_uusd"].as_str(),
        Some(plain.equity.to_string().as_str())
    );
    assert_eq!(
        value["requirement_uusd"].as_str(),
        Some(plain.requirement.to_string().as_str())
    );
    // A crash large enough makes the book insolvent: exit 2.
    let run = check(f, &["--shock", "BTC=-95"]);
    run.expect_code(2);
    assert!(
        run.stdout.starts_with("What if: BTC -95%"),
        "{}",
        run.show()
    );
    // Bad shocks.
    for bad in [
        "ETH",
        "DOGE=1",
        "ETH=-100.5",
        "ETH=1.00001",
        "ETH=x",
        "ETH=1e2",
    ] {
        check(f, &["--shock", bad]).expect_bad_input("command line", "--shock");
    }
    check(f, &["--shock", "ETH=1", "--shock", "ETH=2"]).expect_bad_input("command line", "--shock");
    check(f, &["--shock", "BTC=3000"]).expect_bad_input("command line", "--shock");

    // --plot
    let dir = scratch();
    let plot = dir.path().join("moves.svg");
    check(f, &["--plot", p(&plot)]).ok();
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("equity") && svg.contains("ETH"));
    // As a PNG: a 300-pixel panel for each exposed asset (BTC, ETH and the USDC collateral,
    // as in the SVG) under a 60-pixel title band; below, under another title band, a 570-pixel
    // panel of the book's P&L in the 16 scenarios for each underlying it holds positions on.
    let panels = svg.matches("move of ").count() as u32;
    assert_eq!(panels, 3);
    let underlyings = svg.matches(", scan loss ").count() as u32;
    assert!(underlyings >= 1, "the book holds positions");
    let plot = dir.path().join("moves.png");
    check(f, &["--plot", p(&plot)]).ok();
    let png = Png::read(&plot);
    assert_eq!(
        (png.width, png.height),
        (900, 60 + 300 * panels + 60 + 570 * underlyings)
    );
    assert!(png.dark_pixels(0, 25) > 100, "no title drawn");
    check(f, &["--plot", p(&dir.path().join("m.pdf"))]).expect_bad_input("command line", "--plot");
}

// ------------------------------------------------------------------------------- the README

/// The README's walk-through on `examples/parties`, step by step (without the proof).
#[test]
fn the_readme_walkthrough_runs() {
    let dir = scratch();
    let d = dir.path();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/parties");
    let ex = |name: &str| examples.join(name);
    let mut keys = Vec::new();
    for (name, venues) in [("alice", &["7", "9"][..]), ("bob", &["9"][..])] {
        let secret = d.join(format!("{name}.secret"));
        let mut args = vec!["account", "new", "--out", p(&secret)];
        for v in venues {
            args.extend_from_slice(&["--venue-id", v]);
        }
        let run = zkmargin(&args);
        run.ok();
        assert_eq!(run.stdout.matches("tag at venue").count(), venues.len());
        let key = run
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("account key"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_string();
        keys.push((name, key));
    }
    let registry = d.join("registry.json");
    for (name, key) in &keys {
        zkmargin(&[
            "registry",
            "add",
            "--registry",
            p(&registry),
            "--name",
            name,
            "--key",
            key,
        ])
        .ok();
    }
    let epoch = ex("epoch.json");
    let roots = build_trees(
        &epoch,
        &registry,
        &[
            ("vault", "ethereum", "ethereum.balances.json"),
            ("vault", "arbitrum", "arbitrum.balances.json"),
            ("venue", "deribit", "deribit.positions.json"),
            ("venue", "hyperliquid", "hyperliquid.positions.json"),
        ],
        &examples,
        d,
    );
    let key = d.join("publisher.secret");
    zkmargin(&["publisher", "keygen", "--out", p(&key)]).ok();
    let snapshot = d.join("snapshot.json");
    let mut args = vec!["publish", "--epoch", p(&epoch), "--risk"];
    let risk = ex("risk.json");
    args.push(p(&risk));
    args.extend_from_slice(&["--key", p(&key), "--out", p(&snapshot), "--root"]);
    args.extend(roots.iter().map(|r| p(r)));
    zkmargin(&args).ok();
    let signed = read_signed_snapshot(&std::fs::read_to_string(&snapshot).unwrap(), "s").unwrap();
    assert_eq!(
        signed.snapshot.haircuts_ppm,
        vec![vec![31_508, 50_042], vec![10_861, 30_800]]
    );
    for (name, _) in &keys {
        let account = d.join(format!("{name}.json"));
        let mut args = vec![
            "account".to_string(),
            "assemble".into(),
            "--secret".into(),
            p(&d.join(format!("{name}.secret"))).into(),
            "--snapshot".into(),
            p(&snapshot).into(),
            "--out".into(),
            p(&account).into(),
        ];
        for member in ["ethereum", "arbitrum", "deribit", "hyperliquid"] {
            args.push(p(&d.join(member).join("openings").join(format!("{name}.json"))).into());
        }
        zkmargin(&args).ok();
        check_book(&snapshot, &account, &[]).ok();
    }
}
