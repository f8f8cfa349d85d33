//! `zkmargin certify` and `zkmargin verify --certificate --grant`: lines that sum exactly to the
//! headroom certify and one uusd more writes nothing; each grant verifies at its venue with its
//! exact line and nowhere else; one account's certificates of an epoch share a nullifier.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

use common::{
    alice, epoch_window, p, read_json, verdict, verify_certificate as verify, write_json, zkmargin,
    Run,
};

/// Bob: collateral only, on arbitrum.
fn bob() -> Value {
    json!({"name": "bob", "collateral": {"arbitrum": {"USDC": "20000"}}, "positions": {}})
}

struct Net {
    dir: PathBuf,
    snapshot: PathBuf,
    /// The same accounts' books under the next epoch (another network build).
    other_snapshot: PathBuf,
    valid_from: u64,
}

fn net() -> &'static Net {
    static NET: OnceLock<Net> = OnceLock::new();
    NET.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("certify-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (valid_from, valid_until) = epoch_window();
        let build = |epoch: u64, name: &str| {
            let network = dir.join(format!("{name}.json"));
            let accounts = json!([alice(valid_from), bob()]);
            write_json(
                &network,
                &common::network_json(epoch, valid_from, valid_until, accounts),
            );
            let out = dir.join(name);
            zkmargin(&["network", "build", p(&network), "--out", p(&out)]).ok();
            out
        };
        let net = build(5, "net");
        let other = build(6, "other");
        Net {
            snapshot: net.join("snapshot.json"),
            other_snapshot: other.join("snapshot.json"),
            dir: net,
            valid_from,
        }
    })
}

fn account(name: &str) -> PathBuf {
    net().dir.join("accounts").join(format!("{name}.json"))
}

/// Alice's headroom at level 1, uusd (from `check --json`).
fn headroom() -> u128 {
    let run = zkmargin(&[
        "check",
        "--snapshot",
        p(&net().snapshot),
        "--account",
        p(&account("alice")),
        "--json",
    ]);
    run.ok();
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    value["headroom_uusd"].as_str().unwrap().parse().unwrap()
}

fn usd(uusd: u128) -> String {
    format!("{}.{:06}", uusd / 1_000_000, uusd % 1_000_000)
}

fn certify(who: &str, allows: &[String], out: &Path) -> Run {
    let mut args = vec![
        "certify".to_string(),
        "--snapshot".into(),
        p(&net().snapshot).into(),
        "--account".into(),
        p(&account(who)).into(),
        "--out".into(),
        p(out).into(),
    ];
    for allow in allows {
        args.push("--allow".into());
        args.push(allow.clone());
    }
    zkmargin(&args)
}

/// Alice's certificate with 1000 USD at `cex` and the rest at `dex`, made once.
fn exact() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = net().dir.join("alice-exact");
        certify("alice", &["cex=1000".into(), "dex=max".into()], &out).ok();
        out
    })
}

#[test]
fn lines_summing_to_the_headroom_certify_and_each_verifies_at_its_venue() {
    let dir = exact();
    let headroom = headroom();
    for (venue, line) in [("cex", 1_000_000_000), ("dex", headroom - 1_000_000_000)] {
        let grant = dir.join("grants").join(format!("{venue}.json"));
        let run = verify(&net().snapshot, dir, &grant, venue);
        run.ok();
        let value = verdict(&run);
        assert_eq!(value["valid"], json!(true), "{}", run.show());
        assert_eq!(value["allowance_uusd"], json!(line.to_string()));
        assert_eq!(value["level_ppm"], json!(1_000_000));
        assert_eq!(value["epoch"], json!(5));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&grant).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{venue}'s grant is private");
        }
    }
    // The plain output names the line and ends VALID.
    let grant = dir.join("grants").join("cex.json");
    let run = zkmargin(&[
        "verify",
        "--snapshot",
        p(&net().snapshot),
        "--certificate",
        p(&dir.join("certificate.zkm")),
        "--grant",
        p(&grant),
        "--venue",
        "cex",
    ]);
    run.ok();
    assert!(
        run.stdout.contains("credit line  1000 USD"),
        "{}",
        run.show()
    );
    assert!(run.stdout.ends_with("VALID\n"), "{}", run.show());
}

#[test]
fn one_uusd_over_the_headroom_exits_2_and_writes_nothing() {
    let headroom = headroom();
    let out = net().dir.join("alice-over");
    let allows = [
        "cex=1000".to_string(),
        format!("dex={}", usd(headroom - 1_000_000_000 + 1)),
    ];
    let run = certify("alice", &allows, &out);
    run.expect_code(2);
    assert!(
        run.stdout.contains("exceed the headroom by 0.000001 USD"),
        "{}",
        run.show()
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_grant_is_refused_at_another_venue_altered_or_under_another_snapshot() {
    let dir = exact();
    let cex = dir.join("grants").join("cex.json");
    let refused = |snapshot: &Path, grant: &Path, venue: &str, why: &str| {
        let run = verify(snapshot, dir, grant, venue);
        run.expect_code(3);
        let value = verdict(&run);
        assert_eq!(value["valid"], json!(false));
        let reason = value["reason"].as_str().unwrap();
        assert!(reason.contains(why), "{reason} should say {why}");
    };
    refused(&net().snapshot, &cex, "dex", "this venue is id 9");
    let edited = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut value = read_json(&cex);
        edit(&mut value);
        let path = net().dir.join(format!("{name}.json"));
        write_json(&path, &value);
        path
    };
    let more = edited("more", &|v| v["allowance_uusd"] = json!("1000000001"));
    refused(
        &net().snapshot,
        &more,
        "cex",
        "does not open the commitment",
    );
    let salted = edited("salted", &|v| {
        let salt = v["salt"].as_str().unwrap().to_string();
        let flipped = if salt.ends_with('0') { "1" } else { "0" };
        v["salt"] = json!(format!("{}{flipped}", &salt[..salt.len() - 1]));
    });
    refused(
        &net().snapshot,
        &salted,
        "cex",
        "does not open the commitment",
    );
    refused(&net().other_snapshot, &cex, "cex", "epoch 5");
}

#[test]
fn one_accounts_certificates_of_an_epoch_share_a_nullifier() {
    let nullifier =
        |dir: &Path| read_json(&dir.join("grants").join("cex.json"))["nullifier"].clone();
    let again = net().dir.join("alice-again");
    certify("alice", &["cex=1".into()], &again).ok();
    assert_eq!(nullifier(exact()), nullifier(&again));
    let bob = net().dir.join("bob");
    certify("bob", &["dex=max".into()], &bob).ok();
    assert_ne!(nullifier(exact()), nullifier(&bob));
    let _ = net().valid_from;
}

#[test]
fn a_bad_allow_is_bad_input_naming_the_flag() {
    let out = net().dir.join("never");
    for allows in [
        vec!["kraken=5"],
        vec!["cex"],
        vec!["cex=5", "cex=6"],
        vec!["cex=max", "dex=max"],
        vec!["cex=-1"],
        vec!["cex=1.0000001"],
        vec!["cex=1e3"],
        vec!["cex=lots"],
    ] {
        let allows: Vec<String> = allows.iter().map(|a| a.to_string()).collect();
        let run = certify("alice", &allows, &out);
        run.expect_code(1);
        assert!(run.stderr.contains("--allow"), "{allows:?}: {}", run.show());
        assert!(!out.exists());
    }
}
