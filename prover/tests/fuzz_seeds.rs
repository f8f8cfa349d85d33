//! The fuzz targets' seeds (`fuzz/seeds`) are valid inputs of the decoders they fuzz, so that
//! every fuzzing run starts from files that reach deep into the parsers (and a format change
//! that leaves them behind is seen here, not as a silently shallow fuzzing run).
//!
//! The envelope seeds are the proof files of the frozen vectors (`tests/vectors`): each
//! vector's certificate with its grant. After the vectors are regenerated, rewrite them with
//! `cargo test --release -p zkmargin-prover --test fuzz_seeds -- --ignored`.

use std::path::{Path, PathBuf};

use zkmargin_formats::account::read_account;
use zkmargin_formats::network::read_network;
use zkmargin_formats::position::parse_order;
use zkmargin_formats::snapshot::read_snapshot;
use zkmargin_prover::vectors::read_vector;
use zkmargin_verifier::envelope::Envelope;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("seeds are UTF-8")
}

#[test]
fn every_seed_is_accepted_by_its_decoder() {
    for (name, bytes) in seeds("envelope") {
        Envelope::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, bytes) in seeds("snapshot") {
        read_snapshot(text(&bytes), &name).unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, bytes) in seeds("network") {
        read_network(text(&bytes), &name).unwrap_or_else(|e| panic!("{e}"));
    }
    let fixture = fuzz_dir().join("fixtures/snapshot.json");
    let snapshot = read_snapshot(
        &std::fs::read_to_string(&fixture).unwrap(),
        &fixture.display().to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (name, bytes) in seeds("account") {
        read_account(text(&bytes), &name, &snapshot).unwrap_or_else(|e| panic!("{e}"));
    }
    for (name, bytes) in seeds("order") {
        parse_order(text(&bytes), &snapshot, &name).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The profiles whose vectors seed the envelope target.
const ENVELOPE_SEEDS: [&str; 2] = ["small", "large"];

/// The proof file of a frozen vector: its certificate with its grant.
fn vector_proof_file(profile: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let vector = read_vector(&dir.join(format!("{profile}.vector.json"))).unwrap();
    Envelope::new(vector.certificate, &vector.grant).encode()
}

#[test]
fn the_envelope_seeds_are_the_frozen_vectors_proof_files() {
    for profile in ENVELOPE_SEEDS {
        let path = fuzz_dir().join(format!("seeds/envelope/{profile}.proof"));
        let seed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            seed == vector_proof_file(profile),
            "{} is stale: regenerate with `cargo test --release -p zkmargin-prover --test \
             fuzz_seeds -- --ignored`",
            path.display()
        );
    }
}

#[test]
#[ignore = "writes fuzz/seeds/envelope from tests/vectors"]
fn regenerate_envelope_seeds() {
    for profile in ENVELOPE_SEEDS {
        let path = fuzz_dir().join(format!("seeds/envelope/{profile}.proof"));
        std::fs::write(&path, vector_proof_file(profile)).unwrap();
        println!("wrote {}", path.display());
    }
}
