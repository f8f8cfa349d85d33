//! `zkmargin verify --registry ANSWER`: a venue pointed at the on-chain registry's answer for the
//! certificate's nullifier (onchain/, query `{"certificate": {"nullifier": ...}}`). The honest
//! certificate is the frozen small vector; the answers are written as the contract returns them
//! (bare, or inside `{"data": ...}` as `wasmd query wasm contract-state smart` prints them).

mod common;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use common::{p, scratch, write_json, zkmargin, Run};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn grant() -> Value {
    common::read_json(&vectors().join("small.grant.json"))
}

fn verify(answer: &Path) -> Run {
    let v = vectors();
    zkmargin(&[
        "verify",
        "--snapshot",
        p(&v.join("small.snapshot.json")),
        "--certificate",
        p(&v.join("small.certificate.zkm")),
        "--grant",
        p(&v.join("small.grant.json")),
        "--venue",
        "deribit",
        "--at",
        "1767225600",
        "--registry",
        p(answer),
    ])
}

fn answer(registration: Value) -> Value {
    json!({"nullifier": grant()["nullifier"], "registration": registration})
}

fn registration(certificate: &Value, status: &str) -> Value {
    json!({
        "nullifier": grant()["nullifier"], "epoch": 4812, "profile": "small",
        "certificate": certificate, "level_ppm": 1000000, "commitments": [],
        "status": status, "registrant": "cosmwasm1...", "registered_at": 1767225700,
        "valid_until": 1767229200, "bond": null, "challenger": null
    })
}

#[test]
fn a_venue_takes_only_what_the_registry_holds_as_verified() {
    let dir = scratch();
    let path = dir.path().join("answer.json");
    let digest = grant()["certificate"].clone();

    // Verified, with this certificate: valid (bare and wrapped in "data").
    write_json(&path, &answer(registration(&digest, "verified")));
    verify(&path).ok();
    write_json(
        &path,
        &json!({"data": answer(registration(&digest, "verified"))}),
    );
    verify(&path).ok();

    // Nothing registered, another certificate, this one pending or voided: rejected.
    write_json(&path, &answer(Value::Null));
    verify(&path).expect_rejected("holds no certificate for nullifier");
    let other = json!("00".repeat(32));
    write_json(&path, &answer(registration(&other, "verified")));
    verify(&path).expect_rejected("holds another certificate for nullifier");
    write_json(&path, &answer(registration(&digest, "pending")));
    verify(&path).expect_rejected("holds this certificate as pending, not verified");
    write_json(&path, &answer(registration(&digest, "voided")));
    verify(&path).expect_rejected("holds this certificate as voided");

    // Verified but frozen by a venue that liquidated the trader (the contract's freeze):
    // rejected, naming the venue and its reason; a frozen entry that is not one is bad input.
    let mut frozen = answer(registration(&digest, "verified"));
    frozen["frozen"] = json!({"venue": "cosmwasm1venue", "reason": "liquidated at okx",
                              "frozen_at": 1767225800});
    write_json(&path, &frozen);
    verify(&path).expect_rejected("frozen by venue cosmwasm1venue (liquidated at okx)");
    frozen["frozen"] = json!({"venue": 7});
    write_json(&path, &frozen);
    verify(&path).expect_bad_input(p(&path), "frozen.venue");
    frozen["frozen"] = Value::Null;
    write_json(&path, &frozen);
    verify(&path).ok();

    // An answer about another nullifier, or not an answer at all: bad input.
    let mut wrong = answer(Value::Null);
    wrong["nullifier"] = json!(format!("0x{}", "11".repeat(32)));
    write_json(&path, &wrong);
    verify(&path).expect_bad_input(p(&path), "nullifier");
    std::fs::write(&path, "not json").unwrap();
    verify(&path).expect_bad_input(p(&path), "answer");
}
