//! `zkmargin audit` through the binary: the small profile's report (text and JSON), the layout
//! picture, and the frozen vectors (honest and tampered). Parameters are cached as in
//! `cli.rs` (`$ZKMARGIN_CACHE`, else `target/zkmargin-test-cache`); only k = 12 is needed.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::{scratch, zkmargin, Png};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// A directory with the small vector only (so the test needs the k = 12 parameters only).
fn small_vector_dir() -> tempfile::TempDir {
    let dir = scratch();
    for file in [
        "small.vector.json",
        "small.snapshot.json",
        "small.certificate.zkm",
        "small.grant.json",
    ] {
        std::fs::copy(vectors().join(file), dir.path().join(file)).expect("copy a vector file");
    }
    dir
}

#[test]
fn audits_the_small_profile() {
    // The rows the circuit uses, as `inspect` counts them (docs/CIRCUIT.md states them too).
    let report = zkmargin_audit::inspect::describe(zkmargin_circuits::profile::SMALL).unwrap();
    let rows = format!(
        "rows: {} used of {} usable",
        report.rows_used, report.usable_rows
    );
    let run = zkmargin(&["audit", "--profile", "small"]);
    assert_eq!(run.code, 0, "{}", run.show());
    for expected in [
        "== profile small: k = 12",
        "tree depth 16, risk table depth 8 ==",
        "advice (15)",
        "merkle swap/bit is boolean",
        "asset 0 (scenario sums, maximum, minimum, contingency)",
        "risk table: domain tag, root, keyed prices",
        "arith/row: S3 * ",
        "full round/square 0: S0 * ",
        "absorb/capacity",
        "short/shift: S8 * ",
        "merkle swap/left",
        "select/count",
        "lookup 0 \"range table\"",
        "equality-enabled columns: A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, I0, F0",
        "copy: public input",
        rows.as_str(),
        "proof size: predicted 4320 bytes (halo2 cost model); measured 4320 bytes",
        "(match)",
        "key file:      BLAKE2b-256",
        "(verifier/keys/small.vk, match)",
        "AUDIT OK",
    ] {
        assert!(
            run.stdout.contains(expected),
            "{expected:?}\n{}",
            run.show()
        );
    }
    assert!(!run.stdout.contains("MISMATCH"), "{}", run.show());

    let run = zkmargin(&["audit", "--profile", "small", "--json", "--no-proof"]);
    assert_eq!(run.code, 0, "{}", run.show());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(json["format"], "zkmargin.audit/1");
    assert_eq!(json["ok"], true);
    let small = &json["profiles"][0];
    assert_eq!(small["profile"], "small");
    assert_eq!(small["k"], 12);
    assert_eq!(small["rows"]["used"], report.rows_used);
    assert_eq!(small["proof_bytes"]["predicted"], 4320);
    assert_eq!(small["vk_digest"]["matches"], true);
    assert_eq!(small["vk_file"]["matches"], true);
    assert_eq!(small["vk_file"]["file"], "verifier/keys/small.vk");
    assert_eq!(small["params_digest"]["matches"], true);
    let names: Vec<&str> = small["gates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["constraints"].as_array().unwrap())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"select/choice is boolean"), "{names:?}");
    assert!(names.contains(&"partial rounds/S-box input 4"), "{names:?}");
    assert_eq!(small["degree"], 5);
    assert_eq!(small["dimensions"]["risk_depth"], 8);
}

#[test]
fn draws_the_layout() {
    let dir = scratch();
    let svg = dir.path().join("small.svg");
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--profile"),
        OsStr::new("small"),
        OsStr::new("--no-proof"),
        OsStr::new("--layout"),
        svg.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.show());
    let text = std::fs::read_to_string(&svg).expect("the svg");
    assert!(text.starts_with("<svg"));
    // Regions are labelled with their names.
    for label in [
        "index bit 0 is boolean",
        "chain 0: salt",
        "requirement: q * d +/- r = n",
        "venue 0 slot 0: root - risk root",
        "asset 0: m covers som",
    ] {
        assert!(text.contains(label), "no label {label:?}");
    }
    let png = dir.path().join("window.png");
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--profile"),
        OsStr::new("small"),
        OsStr::new("--no-proof"),
        OsStr::new("--layout"),
        png.as_os_str(),
        OsStr::new("--rows"),
        OsStr::new("200..400"),
    ]);
    assert_eq!(run.code, 0, "{}", run.show());
    // 16 pixels a row; the regions' labels, drawn with the embedded font, are anti-aliased:
    // thousands of colours, where the same rows unlabelled have about twenty.
    let png = Png::read(&png);
    assert_eq!((png.width, png.height), (1800, 200 * 16));
    assert!(
        png.colours() > 300,
        "no labels drawn: {} colours",
        png.colours()
    );

    for (args, field) in [
        (vec!["--layout", "x.gif"], "--layout"),
        (vec!["--layout", "x.svg", "--rows", "9..3"], "--rows"),
        (vec!["--layout", "x.svg", "--rows", "nine"], "--rows"),
    ] {
        let mut all = vec!["audit", "--profile", "small", "--no-proof"];
        all.extend(args);
        let run = zkmargin(&all);
        assert_eq!(run.code, 1, "{}", run.show());
        assert!(run.stderr.contains(field), "{}", run.show());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.show());
    }
}

#[test]
fn verifies_the_frozen_vectors_and_refuses_a_tampered_one() {
    let dir = small_vector_dir();
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--vectors"),
        dir.path().as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(
        run.stdout
            .starts_with("small.vector.json: VALID (profile small"),
        "{}",
        run.show()
    );

    // One byte of the proof flipped (the certificate file ends with it): rejected, exit 3.
    let proof = dir.path().join("small.certificate.zkm");
    let mut bytes = std::fs::read(&proof).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&proof, bytes).unwrap();
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--vectors"),
        dir.path().as_os_str(),
    ]);
    assert_eq!(run.code, 3, "{}", run.show());
    assert!(run.stdout.contains("REJECTED"), "{}", run.show());

    // A vector file with an unknown field, and a directory without vectors: bad input.
    let file = dir.path().join("small.vector.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen('{', "{\"extra\": 1, ", 1)).unwrap();
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--vectors"),
        dir.path().as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}", run.show());
    assert!(run.stderr.contains("extra"), "{}", run.show());
    let empty = scratch();
    let run = zkmargin(&[
        OsStr::new("audit"),
        OsStr::new("--vectors"),
        empty.path().as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}", run.show());
}
