//! End-to-end tests of the `zkmargin` binary: every command, its exit codes and its errors.
//!
//! One small-profile network (2 chains, 2 venues, 3 assets, at most 2 positions per venue) is
//! built once and one proof made once (`fixture()`); every test shares them, so the suite
//! makes a single real proof besides the demo's. Parameters are cached in `$ZKMARGIN_CACHE`,
//! else `target/zkmargin-test-cache`, shared by every run.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};
use zkmargin_formats::account::read_account;
use zkmargin_formats::snapshot::read_snapshot;

use common::{
    alice, check_book, check_matches_engine, epoch_window, p, read_json, scratch, zkmargin, Run,
    ORDER,
};

// ------------------------------------------------------------------------------- fixture

/// The test network: alice is solvent, bob is not, carol holds only collateral.
fn network_json(valid_from: u64, valid_until: u64) -> Value {
    let accounts = json!([
        alice(valid_from),
        {"name": "bob",
         "collateral": {"ethereum": {"USDC": "1000"}},
         "positions": {"cex": [
            {"kind": "perp", "underlying": "BTC", "size": "-1", "entry": "90000"}]}},
        {"name": "carol", "collateral": {"arbitrum": {"USDC": "10"}}}
    ]);
    common::network_json(77, valid_from, valid_until, accounts)
}

/// The level of the shared proof.
const LEVEL: &str = "1.5";

struct Fixture {
    dir: PathBuf,
    network: PathBuf,
    snapshot: PathBuf,
    valid_from: u64,
    valid_until: u64,
    /// The same network built again: another snapshot (new keys and salts, new digest).
    other_snapshot: PathBuf,
    other_alice: PathBuf,
    /// alice's proof at dex, level 1.5, with ORDER.
    proof: PathBuf,
    /// alice's tag at dex, as `prove` printed it.
    tag: String,
}

impl Fixture {
    fn account(&self, name: &str) -> PathBuf {
        self.dir.join("net/accounts").join(format!("{name}.json"))
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-fixture");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (valid_from, valid_until) = epoch_window();
        let network = dir.join("network.json");
        std::fs::write(
            &network,
            serde_json::to_string_pretty(&network_json(valid_from, valid_until)).unwrap(),
        )
        .unwrap();
        let net = dir.join("net");
        zkmargin(&["network", "build", p(&network), "--out", p(&net)]).expect_code(0);
        let other = dir.join("other");
        zkmargin(&["network", "build", p(&network), "--out", p(&other)]).expect_code(0);

        let proof = dir.join("alice-dex.proof");
        let run = zkmargin(&[
            "prove",
            "--snapshot",
            p(&net.join("snapshot.json")),
            "--account",
            p(&net.join("accounts/alice.json")),
            "--venue",
            "dex",
            "--level",
            LEVEL,
            "--order",
            ORDER,
            "--out",
            p(&proof),
        ]);
        run.expect_code(0);
        let tag = run
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("account tag"))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| panic!("no tag printed\n{}", run.show()));
        assert!(tag.starts_with("0x") && tag.len() == 66, "{tag}");
        Fixture {
            snapshot: net.join("snapshot.json"),
            other_snapshot: other.join("snapshot.json"),
            other_alice: other.join("accounts/alice.json"),
            dir,
            network,
            valid_from,
            valid_until,
            proof,
            tag,
        }
    })
}

/// `verify` of the shared proof as dex with the registered tag, plus `extra` flags.
fn verify_as_dex(f: &Fixture, proof: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(proof),
        "--venue",
        "dex",
        "--tag",
        &f.tag,
    ];
    args.extend_from_slice(extra);
    zkmargin(&args)
}

// ------------------------------------------------------------------------------- happy path

#[test]
fn network_build_writes_public_snapshot_and_private_accounts() {
    let f = fixture();
    let text = std::fs::read_to_string(&f.snapshot).unwrap();
    let snapshot = read_snapshot(&text, "snapshot.json").unwrap();
    assert_eq!(snapshot.profile.name, "small");
    assert_eq!(
        (snapshot.valid_from, snapshot.valid_until),
        (f.valid_from, f.valid_until)
    );
    for name in ["alice", "bob", "carol"] {
        let path = f.account(name);
        let text = std::fs::read_to_string(&path).unwrap();
        read_account(&text, name, &snapshot).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
    // A forced larger profile is honoured.
    let out = scratch();
    let run = zkmargin(&[
        "network",
        "build",
        p(&f.network),
        "--out",
        p(out.path()),
        "--profile",
        "standard",
    ]);
    run.expect_code(0);
    assert!(run.stdout.contains("profile standard"), "{}", run.show());
    assert!(out.path().join("accounts/carol.json").is_file());
    assert_eq!(run.stderr, "", "{}", run.show());

    // Built again into the same directory without carol: her old file (her secret) stays, a
    // note names it, and check refuses it against the new snapshot.
    let mut network: Value =
        serde_json::from_str(&std::fs::read_to_string(&f.network).unwrap()).unwrap();
    network["accounts"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["name"] != "carol");
    let smaller = out.path().join("without-carol.json");
    common::write_json(&smaller, &network);
    let carol = out.path().join("accounts/carol.json");
    let run = zkmargin(&["network", "build", p(&smaller), "--out", p(out.path())]);
    run.expect_code(0);
    assert!(
        run.stderr.starts_with(&format!(
            "zkmargin: note: {} is not an account of this network",
            carol.display()
        )) && run.stderr.lines().count() == 1,
        "{}",
        run.show()
    );
    assert!(carol.is_file());
    check_book(&out.path().join("snapshot.json"), &carol, &[])
        .expect_bad_input(p(&carol), "snapshot_digest");
}

#[test]
fn check_reports_solvent_and_insolvent_books() {
    let f = fixture();
    let alice = check_book(&f.snapshot, &f.account("alice"), &[]);
    alice.expect_code(0);
    for needle in [
        "ethereum", "arbitrum", "cex", "dex", "equity", "headroom", "SOLVENT",
    ] {
        assert!(alice.stdout.contains(needle), "{needle}\n{}", alice.show());
    }
    let bob = check_book(&f.snapshot, &f.account("bob"), &[]);
    bob.expect_code(2);
    assert!(bob.stdout.contains("INSOLVENT"), "{}", bob.show());
    // carol holds nothing at any venue and has no margin to cover.
    check_book(&f.snapshot, &f.account("carol"), &[]).expect_code(0);
}

/// `check --json` against the reference engine, figure by figure (`common`), and the per-chain
/// detail adding up to the totals.
fn check_json_matches_engine(f: &Fixture, name: &str, order: Option<&str>, level: &str) {
    let order = order.map(|o| ("dex", o));
    let (value, report) = check_matches_engine(&f.snapshot, &f.account(name), order, level);
    for (c, chain) in report.chains.iter().enumerate() {
        assert_eq!(
            value["chains"][c]["collateral_uusd"].as_str(),
            Some(chain.collateral.to_string().as_str())
        );
    }
}

#[test]
fn check_json_is_the_reference_engine() {
    let f = fixture();
    check_json_matches_engine(f, "alice", None, "1");
    check_json_matches_engine(f, "alice", Some(ORDER), LEVEL);
    check_json_matches_engine(f, "bob", None, "1");
    // An order must be on a listed instrument (version 3): more of alice's call, short.
    let call = format!(
        r#"{{"kind": "call", "underlying": "BTC", "size": "-0.1", "strike": "110000", "expiry": {}}}"#,
        f.valid_from + 3 * 86_400
    );
    check_json_matches_engine(f, "alice", Some(&call), "2.25");
    // Bob's headroom is negative, written as a negative decimal string.
    let run = check_book(&f.snapshot, &f.account("bob"), &["--json"]);
    run.expect_code(2);
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(value["headroom_uusd"].as_str().unwrap().starts_with('-'));
    assert_eq!(value["solvent"], Value::Bool(false));
}

#[test]
fn the_shared_proof_verifies_as_the_venue() {
    let f = fixture();
    let run = verify_as_dex(f, &f.proof, &["--level", LEVEL, "--order", ORDER]);
    run.expect_code(0);
    assert!(run.stdout.ends_with("VALID\n"), "{}", run.show());
    for needle in [
        "small",
        "dex (id 9)",
        f.tag.as_str(),
        "1.5x",
        "short perp ETH 1",
    ] {
        assert!(run.stdout.contains(needle), "{needle}\n{}", run.show());
    }
    assert!(
        !run.stderr.contains("tag was not checked"),
        "{}",
        run.show()
    );
    // No --publisher: the origin of the (unsigned) snapshot is said to be unchecked.
    assert!(
        run.stderr
            .contains("the snapshot's origin was not checked; it is unsigned"),
        "{}",
        run.show()
    );
    // At the epoch's bounds, inclusive.
    for at in [f.valid_from, f.valid_until] {
        verify_as_dex(f, &f.proof, &["--at", &at.to_string()]).expect_code(0);
    }
}

#[test]
fn verify_without_tag_says_so_and_accepts_a_lower_level() {
    let f = fixture();
    // No --tag, no --order, no --level (1 <= the proven 1.5), no --at (now).
    let run = zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(&f.proof),
        "--venue",
        "dex",
    ]);
    run.expect_code(0);
    assert!(run.stdout.ends_with("VALID\n"), "{}", run.show());
    assert!(
        run.stderr.contains("not checked against a registration"),
        "{}",
        run.show()
    );
    // One note for the tag, one for the snapshot's origin (no --publisher).
    assert_eq!(run.stderr.lines().count(), 2, "{}", run.show());
}

// ------------------------------------------------------------------------------- rejections

#[test]
fn verify_rejects_what_the_venue_did_not_ask_for() {
    let f = fixture();
    // Another venue.
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(&f.proof),
        "--venue",
        "cex",
    ])
    .expect_rejected("venue id 9");
    // Another registered tag.
    let other_tag = format!("0x{}1", "0".repeat(63));
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(&f.proof),
        "--venue",
        "dex",
        "--tag",
        &other_tag,
    ])
    .expect_rejected("registered tag");
    // A higher level than proven.
    verify_as_dex(f, &f.proof, &["--level", "1.500001"]).expect_rejected("level");
    verify_as_dex(f, &f.proof, &["--level", "2"]).expect_rejected("requires 2x");
    // Outside the epoch.
    verify_as_dex(f, &f.proof, &["--at", &(f.valid_until + 1).to_string()])
        .expect_rejected("expired");
    verify_as_dex(f, &f.proof, &["--at", &(f.valid_from - 1).to_string()])
        .expect_rejected("not valid yet");
    // An order whose charge is above the proof's line (twice the order it was made for).
    verify_as_dex(
        f,
        &f.proof,
        &[
            "--order",
            r#"{"kind": "perp", "underlying": "ETH", "size": "-2"}"#,
        ],
    )
    .expect_rejected("exceeds the line");
    // A proof against another snapshot (the network rebuilt: new digest).
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.other_snapshot),
        "--proof",
        p(&f.proof),
        "--venue",
        "dex",
    ])
    .expect_rejected("another snapshot");
}

#[test]
fn verify_rejects_altered_proof_files() {
    let f = fixture();
    let bytes = std::fs::read(&f.proof).unwrap();
    let dir = scratch();
    let write = |name: &str, content: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    // One byte of the proof itself flipped (the proof bytes are the certificate's tail, and
    // the grant's text follows the certificate in the envelope).
    let (envelope, _) = zkmargin_verifier::envelope::Envelope::decode(&bytes).unwrap();
    let certificate_end = bytes
        .windows(envelope.certificate.len())
        .position(|w| w == envelope.certificate.as_slice())
        .unwrap()
        + envelope.certificate.len();
    let mut flipped = bytes.clone();
    flipped[certificate_end - 100] ^= 0x01;
    // The grant names the certificate by its digest: any changed byte is another certificate
    // (a flip with the grant re-pointed reaches the proof: the raised level below).
    verify_as_dex(f, &write("flipped.proof", &flipped), &[])
        .expect_rejected("the grant is for another certificate");
    // A trailing byte.
    let mut longer = bytes.clone();
    longer.push(0);
    verify_as_dex(f, &write("longer.proof", &longer), &[]).expect_rejected("trailing");
    // Truncated, by one byte and by half.
    verify_as_dex(f, &write("short.proof", &bytes[..bytes.len() - 1]), &[])
        .expect_rejected("malformed proof file");
    verify_as_dex(f, &write("half.proof", &bytes[..bytes.len() / 2]), &[])
        .expect_rejected("malformed proof file");
    // Not a proof at all, or empty.
    verify_as_dex(f, &write("json.proof", b"{\"proof\": 1}"), &[]).expect_rejected("magic");
    verify_as_dex(f, &write("empty.proof", b""), &[]).expect_rejected("malformed");
    // The certificate's level raised after proving (and the grant made to name the new
    // certificate): the proof no longer matches its claims.
    let (envelope, mut grant) = zkmargin_verifier::envelope::Envelope::decode(&bytes).unwrap();
    let mut certificate =
        zkmargin_formats::certificate::Certificate::decode(&envelope.certificate).unwrap();
    certificate.level_ppm = 2_000_000;
    let raised_certificate = certificate.encode();
    grant.certificate = zkmargin_formats::certificate::Certificate::digest_of(&raised_certificate);
    let raised = zkmargin_verifier::envelope::Envelope::new(raised_certificate, &grant);
    verify_as_dex(f, &write("raised.proof", &raised.encode()), &[])
        .expect_rejected("does not verify");
}

// ------------------------------------------------------------------------------- prove

#[test]
fn prove_refuses_an_insolvent_book_and_writes_nothing() {
    let f = fixture();
    let dir = scratch();
    let out = dir.path().join("bob.proof");
    let run = zkmargin(&[
        "prove",
        "--snapshot",
        p(&f.snapshot),
        "--account",
        p(&f.account("bob")),
        "--venue",
        "cex",
        "--out",
        p(&out),
    ]);
    run.expect_code(2);
    assert!(run.stdout.contains("INSOLVENT"), "{}", run.show());
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // An order that would make alice insolvent is refused the same way.
    let out = dir.path().join("alice.proof");
    let run = zkmargin(&[
        "prove",
        "--snapshot",
        p(&f.snapshot),
        "--account",
        p(&f.account("alice")),
        "--venue",
        "cex",
        "--order",
        r#"{"kind": "perp", "underlying": "BTC", "size": "200"}"#,
        "--out",
        p(&out),
    ]);
    run.expect_code(2);
    assert!(!out.exists());
}

#[test]
fn prove_checks_its_inputs_before_proving() {
    let f = fixture();
    let dir = scratch();
    let out = dir.path().join("p.proof");
    let base = |extra: &[&str]| {
        let mut args = vec![
            "prove".to_string(),
            "--snapshot".into(),
            p(&f.snapshot).into(),
            "--account".into(),
            p(&f.account("alice")).into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        zkmargin(&args)
    };
    base(&["--venue", "nowhere", "--out", p(&out)]).expect_bad_input("command line", "--venue");
    base(&["--venue", "dex", "--level", "0.5", "--out", p(&out)])
        .expect_bad_input("command line", "--level");
    base(&["--venue", "dex", "--order", "{", "--out", p(&out)])
        .expect_bad_input("--order", "line 1");
    let missing_dir = dir.path().join("no/such/dir/p.proof");
    base(&["--venue", "dex", "--out", p(&missing_dir)]).expect_bad_input(p(&missing_dir), "--out");
    base(&["--venue", "dex", "--out", p(dir.path())]).expect_bad_input(p(dir.path()), "--out");
    base(&["--venue", "dex"]).expect_bad_input("command line", "--out");
    // The proof never replaces an input: the account file holds the secret key.
    let alice = f.account("alice");
    let before = std::fs::read(&alice).unwrap();
    base(&["--venue", "dex", "--out", p(&alice)]).expect_bad_input(p(&alice), "--out");
    base(&["--venue", "dex", "--out", p(&f.snapshot)]).expect_bad_input(p(&f.snapshot), "--out");
    assert_eq!(std::fs::read(&alice).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ------------------------------------------------------------------------------- bad input

/// Writes a mutation of the test network and expects `network build` to name `field`.
fn network_refused(mutate: impl FnOnce(&mut Value), field: &str) {
    let (from, until) = epoch_window();
    let mut value = network_json(from, until);
    mutate(&mut value);
    let dir = scratch();
    let file = dir.path().join("network.json");
    std::fs::write(&file, serde_json::to_string(&value).unwrap()).unwrap();
    let out = dir.path().join("out");
    zkmargin(&["network", "build", p(&file), "--out", p(&out)]).expect_bad_input(p(&file), field);
    assert!(!out.exists(), "nothing is written for a bad network");
}

/// `network build --valid-from`: the bundled example moved to another start keeps its hour
/// and the account's tag is printed alone for a script; a time that is not one, a time past
/// the bound and an unknown venue are bad input.
#[test]
fn network_build_valid_from_moves_the_example_epoch() {
    let dir = scratch();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/network.json");
    let out = dir.path().join("net");
    let build = |start: &str| {
        zkmargin(&[
            "network",
            "build",
            p(&example),
            "--valid-from",
            start,
            "--out",
            p(&out),
        ])
    };
    build("yesterday").expect_bad_input("command line", "--valid-from");
    assert!(!out.exists(), "nothing is written for a bad time");
    build("1099511627770").expect_bad_input(p(&example), "valid_from");
    assert!(
        !out.exists(),
        "nothing is written for a time the epoch cannot move to"
    );
    build("2000000000").ok();
    let snapshot = read_json(&out.join("snapshot.json"));
    assert_eq!(snapshot["valid_from"], json!(2_000_000_000u64));
    assert_eq!(snapshot["valid_until"], json!(2_000_003_600u64));

    let snapshot_path = out.join("snapshot.json");
    let alice = out.join("accounts/alice.json");
    let tag = |venue: &str| {
        zkmargin(&[
            "account",
            "tag",
            "--snapshot",
            p(&snapshot_path),
            "--account",
            p(&alice),
            "--venue",
            venue,
        ])
    };
    let run = tag("deribit");
    run.ok();
    let line = run.stdout.trim_end();
    assert!(
        line.len() == 66 && line.starts_with("0x") && !line.contains(' '),
        "{}",
        run.show()
    );
    assert_ne!(tag("okx").stdout, run.stdout, "a tag per venue");
    tag("nowhere").expect_bad_input("command line", "--venue");
}

#[test]
fn network_build_names_the_bad_field() {
    network_refused(|v| v["format"] = json!("zkmargin.network/9"), "format");
    network_refused(|v| v["surprise"] = json!(true), "surprise");
    network_refused(
        |v| {
            v["haircuts_ppm"]["BTC"]
                .as_object_mut()
                .unwrap()
                .remove("arbitrum");
        },
        "haircuts_ppm.BTC.arbitrum",
    );
    network_refused(
        |v| v["assets"][0]["price"] = json!("100000.123456789"),
        "assets[0].price",
    );
    network_refused(
        |v| v["assets"][0]["price"] = json!(100000),
        "assets[0].price",
    );
    network_refused(
        |v| v["accounts"][0]["positions"]["cex"][0]["underlying"] = json!("DOGE"),
        "accounts[0].positions.cex[0].underlying",
    );
    network_refused(
        |v| v["accounts"][0]["positions"]["cex"][1]["expiry"] = json!(1),
        "accounts[0].positions.cex[1].expiry",
    );
    network_refused(
        |v| v["accounts"][1]["collateral"]["ethereum"]["USDC"] = json!("-1"),
        "accounts[1].collateral.ethereum.USDC",
    );
    network_refused(
        |v| v["accounts"][2]["name"] = json!("../x"),
        "accounts[2].name",
    );
    network_refused(
        |v| v["perp_mmr_ppm"]["dex"]["BTC"] = json!(1_000_001),
        "perp_mmr_ppm.dex.BTC",
    );

    let dir = scratch();
    let file = dir.path().join("n.json");
    let out = dir.path().join("out");
    let (from, until) = epoch_window();
    let text = serde_json::to_string_pretty(&network_json(from, until)).unwrap();
    // Broken JSON names the line and column.
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    zkmargin(&["network", "build", p(&file), "--out", p(&out)]).expect_bad_input(p(&file), "line ");
    std::fs::write(&file, "").unwrap();
    zkmargin(&["network", "build", p(&file), "--out", p(&out)]).expect_bad_input(p(&file), "line ");
    std::fs::write(&file, b"\xff\xfe{}").unwrap();
    zkmargin(&["network", "build", p(&file), "--out", p(&out)])
        .expect_bad_input(p(&file), "(file)");
    // Too many positions for the forced profile.
    let mut value = network_json(from, until);
    let perp = value["accounts"][0]["positions"]["cex"][0].clone();
    value["accounts"][0]["positions"]["cex"] = Value::Array(vec![perp; 5]);
    std::fs::write(&file, value.to_string()).unwrap();
    zkmargin(&[
        "network",
        "build",
        p(&file),
        "--out",
        p(&out),
        "--profile",
        "small",
    ])
    .expect_bad_input(p(&file), "accounts[0].positions.cex");
    zkmargin(&[
        "network",
        "build",
        p(&file),
        "--out",
        p(&out),
        "--profile",
        "tiny",
    ])
    .expect_bad_input("command line", "--profile");
    // A missing file.
    let missing = dir.path().join("missing.json");
    zkmargin(&["network", "build", p(&missing), "--out", p(&out)])
        .expect_bad_input(p(&missing), "NETWORK.json");
    assert!(!out.exists());
}

#[test]
fn snapshot_and_account_files_are_checked() {
    let f = fixture();
    let dir = scratch();
    let text = std::fs::read_to_string(&f.snapshot).unwrap();
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    let check = |snapshot: &Path, account: &Path| check_book(snapshot, account, &[]);
    let alice = f.account("alice");

    // A price changed after publication: the digest no longer matches.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["assets"][0]["price"] = json!("1000000");
    let tampered = write("tampered.json", &value.to_string());
    check(&tampered, &alice).expect_bad_input(p(&tampered), "digest");
    // A digest edited by hand.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["digest"] = json!("00".repeat(32));
    let tampered = write("digest.json", &value.to_string());
    check(&tampered, &alice).expect_bad_input(p(&tampered), "digest");
    // An unknown field.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["assets"][1]["decimals"] = json!(18);
    let unknown = write("unknown.json", &value.to_string());
    check(&unknown, &alice).expect_bad_input(p(&unknown), "assets[1].decimals");
    // The verifier reads the snapshot the same way.
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&unknown),
        "--proof",
        p(&f.proof),
        "--venue",
        "dex",
    ])
    .expect_bad_input(p(&unknown), "assets[1].decimals");

    // Account files: the wrong format, another snapshot's account, a snapshot as an account.
    let account_text = std::fs::read_to_string(&alice).unwrap();
    let mut value: Value = serde_json::from_str(&account_text).unwrap();
    value["format"] = json!("zkmargin.account/7");
    let wrong = write("wrong.json", &value.to_string());
    check(&f.snapshot, &wrong).expect_bad_input(p(&wrong), "format");
    check(&f.snapshot, &f.other_alice).expect_bad_input(p(&f.other_alice), "snapshot_digest");
    check(&f.snapshot, &f.snapshot).expect_bad_input(p(&f.snapshot), "format");
    check(&alice, &alice).expect_bad_input(p(&alice), "format");
    // A balance edited in the account file no longer opens the committed leaf.
    let mut value: Value = serde_json::from_str(&account_text).unwrap();
    value["collateral"]["ethereum"]["USDC"] = json!("5000000");
    let edited = write("edited.json", &value.to_string());
    check(&f.snapshot, &edited).expect_bad_input(p(&edited), "openings.chains.ethereum");

    // Missing files.
    let missing = dir.path().join("missing.json");
    check(&missing, &alice).expect_bad_input(p(&missing), "--snapshot");
    check(&f.snapshot, &missing).expect_bad_input(p(&missing), "--account");
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(&missing),
        "--venue",
        "dex",
    ])
    .expect_bad_input(p(&missing), "--proof");
    // A directory is not a proof file: bad input, not a rejection.
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&f.snapshot),
        "--proof",
        p(dir.path()),
        "--venue",
        "dex",
    ])
    .expect_bad_input(p(dir.path()), "--proof");
}

#[test]
fn flags_are_checked() {
    let f = fixture();
    let alice = f.account("alice");
    let check = |extra: &[&str]| check_book(&f.snapshot, &alice, extra);
    for level in [
        "0.5",
        "abc",
        "1.0000001",
        "10.000001",
        "-1",
        "",
        "1e0",
        " 1",
    ] {
        check(&["--level", level]).expect_bad_input("command line", "--level");
    }
    check(&["--level", "10"]).expect_code(0);
    check(&["--venue", "nowhere"]).expect_bad_input("command line", "--venue");
    check(&["--order", ORDER]).expect_bad_input("command line", "--order");
    check(&["--venue", "dex", "--order", "not json"]).expect_bad_input("--order", "line 1");
    check(&["--venue", "dex", "--order", "[]"]).expect_bad_input("--order", "(top level)");
    // Orders wrong in one field each.
    for (order, field) in [
        (
            r#"{"kind": "perp", "underlying": "ETH", "size": "1", "entry": "3000"}"#,
            "entry",
        ),
        (
            r#"{"kind": "swap", "underlying": "ETH", "size": "1"}"#,
            "kind",
        ),
        (
            r#"{"kind": "perp", "underlying": "DOGE", "size": "1"}"#,
            "underlying",
        ),
        (
            r#"{"kind": "call", "underlying": "ETH", "size": "1", "strike": "3000", "expiry": 5}"#,
            "expiry",
        ),
    ] {
        check(&["--venue", "dex", "--order", order]).expect_bad_input("--order", field);
    }
    check(&["--bogus"]).expect_bad_input("command line", "--bogus");

    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--snapshot",
            p(&f.snapshot),
            "--proof",
            p(&f.proof),
        ];
        args.extend_from_slice(extra);
        zkmargin(&args)
    };
    verify(&["--venue", "nowhere"]).expect_bad_input("command line", "--venue");
    verify(&["--venue", "dex", "--tag", "0x12"]).expect_bad_input("command line", "--tag");
    verify(&["--venue", "dex", "--tag", &format!("0x{}", "f".repeat(64))])
        .expect_bad_input("command line", "--tag");
    verify(&["--venue", "dex", "--at", "soon"]).expect_bad_input("command line", "--at");
    verify(&["--venue", "dex", "--at", "-5"]).expect_bad_input("command line", "--at");
    verify(&["--venue", "dex", "--level", "0.99"]).expect_bad_input("command line", "--level");
    verify(&["--venue", "dex", "--order", "{}"]).expect_bad_input("--order", "kind");
    verify(&[]).expect_bad_input("command line", "--venue");
}

#[test]
fn usage_errors_are_one_line_and_help_is_not_an_error() {
    zkmargin::<&str>(&[]).expect_bad_input("command line", "(arguments)");
    zkmargin(&["frobnicate"]).expect_bad_input("command line", "(arguments)");
    zkmargin(&["network"]).expect_bad_input("command line", "(arguments)");
    zkmargin(&["check"]).expect_bad_input("command line", "--snapshot");
    zkmargin(&["network", "build", "x.json"]).expect_bad_input("command line", "--out");
    for args in [
        &["--help"][..],
        &["--version"],
        &["help"],
        &["check", "--help"],
        &["network", "build", "--help"],
    ] {
        let run = zkmargin(args);
        run.expect_code(0);
        assert!(!run.stdout.is_empty(), "{}", run.show());
        assert_eq!(run.stderr, "", "{}", run.show());
    }
}

#[test]
fn help_documents_every_exit_code_and_never_101() {
    let run = zkmargin(&["--help"]);
    run.expect_code(0);
    for needle in [
        "Exit codes:",
        "\n  0  success",
        "\n  1  bad input",
        "\n  2  insolvent",
        "\n  3  proof rejected",
        "\n  4  internal error",
    ] {
        assert!(run.stdout.contains(needle), "{needle:?}\n{}", run.show());
    }
    assert!(!run.stdout.contains("101"), "{}", run.show());
}

// ------------------------------------------------------------------------------- demo

#[test]
fn demo_plays_publisher_trader_and_venue() {
    let dir = scratch();
    let out = dir.path().join("demo");
    let run = zkmargin(&["demo", "--out", p(&out)]);
    run.expect_code(0);
    for needle in [
        "Risk publisher",
        "digest",
        "SOLVENT",
        "netting saves",
        "certifies the epoch once",
        "nullifier",
        "deribit: VALID, a line of",
        "exceeds the remaining line",
        "is already taken by certificate",
        "What each party learned",
        "Timings",
    ] {
        assert!(run.stdout.contains(needle), "{needle}\n{}", run.show());
    }
    assert!(out.join("snapshot.json").is_file());
    assert!(out.join("accounts/alice.json").is_file());
    let certificate = out.join("alice-certificate");
    assert!(certificate.join("certificate.zkm").is_file());
    for venue in ["deribit", "hyperliquid", "okx"] {
        assert!(certificate
            .join("grants")
            .join(format!("{venue}.json"))
            .is_file());
    }
}
