//! Frozen test vectors: honest proofs of the sample book, one per profile, committed with the
//! snapshot and the statement a venue checks them against, so that any later change to the
//! circuit, the keys, the envelope or the instance layout is seen (`zkmargin audit --vectors`,
//! `prover/tests/vectors.rs`).
//!
//! A vector is three files in one directory:
//!
//! | file | content |
//! |---|---|
//! | `<profile>.vector.json` | `zkmargin.vector/1`: the files below, the venue, the registered tag, the level, the order, the time of verification, and the verifying-key digest the proof was made under |
//! | `<profile>.snapshot.json` | the snapshot (`zkmargin.snapshot/1`) |
//! | `<profile>.proof` | the proof envelope |
//!
//! `at` is the snapshot's `valid_from`: the venue's freshness check is part of what a vector
//! exercises, so it is verified as of that time. Regenerate with
//! `cargo run --release -p zkmargin-prover --example vectors -- tests/vectors` after an intended
//! change to the circuit (every pinned digest changes with it).

use std::path::{Path, PathBuf};

use zkmargin_circuits::hash::{fp_from_hex, fp_to_hex, Fp};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{Kind, Position, Side};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{AMOUNT_DECIMALS, PRICE_DECIMALS};
use zkmargin_circuits::witness::AccountWitness;
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::{self, Json, ValueReader};
use zkmargin_formats::snapshot::{read_snapshot, write_snapshot};
use zkmargin_verifier::envelope::{Envelope, VERSION};
use zkmargin_verifier::keys::{pinned_vk_digest, KeySetupError, VerifierKeys};
use zkmargin_verifier::verify::{Expectation, Rejection};

use crate::{proof_bytes, ProverKeys};
use zkmargin_formats::position::read_position;
use zkmargin_formats::write::write_atomic;

/// The `format` of a vector file.
pub const VECTOR_FORMAT: &str = "zkmargin.vector/1";

/// Largest file a vector reads (snapshots are a few KiB; proofs 4 KiB).
const FILE_LIMIT: u64 = 4 << 20;

/// A frozen proof and what it must verify against.
#[derive(Clone, Debug)]
pub struct Vector {
    /// The vector file.
    pub file: PathBuf,
    pub profile: Profile,
    pub snapshot: Snapshot,
    pub venue: String,
    pub venue_index: usize,
    pub tag: Fp,
    pub level_ppm: u64,
    pub order: Option<Position>,
    pub at: u64,
    /// The verifying-key digest the proof was made under.
    pub vk_digest: String,
    /// The proof file's bytes (an envelope).
    pub proof: Vec<u8>,
}

/// What became of a vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid,
    /// Rejected by the venue's checks or the proof system.
    Rejected(Rejection),
    /// Made under another verifying key than today's pinned one.
    StaleKey {
        made_under: String,
        pinned: String,
    },
}

fn read_limited(path: &Path) -> Result<Vec<u8>, InputError> {
    let label = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| InputError::new(&label, "(file)", e.to_string()))?;
    if meta.len() > FILE_LIMIT {
        return Err(InputError::new(
            &label,
            "(file)",
            "is too large for a vector file",
        ));
    }
    std::fs::read(path).map_err(|e| InputError::new(&label, "(file)", e.to_string()))
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = read_limited(path)?;
    String::from_utf8(bytes)
        .map_err(|_| InputError::new(path.display().to_string(), "(file)", "is not UTF-8 text"))
}

/// Reads one vector file and the files it names (relative to its directory).
pub fn read_vector(path: &Path) -> Result<Vector, InputError> {
    let label = path.display().to_string();
    let text = read_text(path)?;
    let json = json::parse(&text, &label)?;
    let top = ValueReader::root(&label, &json).object()?;
    top.format(VECTOR_FORMAT)?;
    top.only(&[
        "format",
        "profile",
        "snapshot",
        "proof",
        "venue",
        "tag",
        "level_ppm",
        "order",
        "at",
        "vk_digest",
    ])?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let sibling = |key: &str| -> Result<PathBuf, InputError> {
        let at = top.req(key)?;
        let name = at.str()?;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(at.err("must be a file name in the vector's directory"));
        }
        Ok(dir.join(name))
    };
    let profile_at = top.req("profile")?;
    let profile =
        Profile::by_name(profile_at.str()?).ok_or_else(|| profile_at.err("unknown profile"))?;
    let snapshot_path = sibling("snapshot")?;
    let snapshot = read_snapshot(
        &read_text(&snapshot_path)?,
        &snapshot_path.display().to_string(),
    )?;
    if snapshot.profile != profile {
        return Err(profile_at.err(format!(
            "the snapshot is profile {}, the vector says {}",
            snapshot.profile.name, profile.name
        )));
    }
    let proof = read_limited(&sibling("proof")?)?;
    let venue_at = top.req("venue")?;
    let venue = venue_at.str()?.to_string();
    let venue_index = snapshot
        .venue_index(&venue)
        .ok_or_else(|| venue_at.err("is not a venue of the snapshot"))?;
    let tag_at = top.req("tag")?;
    let tag = fp_from_hex(tag_at.str()?).ok_or_else(|| tag_at.err("is not an account tag"))?;
    let level_ppm = top.req("level_ppm")?.uint(64)?;
    let order_at = top.req("order")?;
    let order = match order_at.value() {
        Json::Null => None,
        _ => Some(read_position(
            &order_at,
            &snapshot.assets,
            &snapshot.risk_params(),
            true,
        )?),
    };
    let at = top.req("at")?.uint(64)?;
    let vk_digest = top.req("vk_digest")?.str()?.to_string();
    Ok(Vector {
        file: path.to_path_buf(),
        profile,
        snapshot,
        venue,
        venue_index,
        tag,
        level_ppm,
        order,
        at,
        vk_digest,
        proof,
    })
}

/// Every `*.vector.json` of a directory, by file name.
pub fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let label = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(&label, "(directory)", e.to_string()))?;
    let mut files = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| InputError::new(&label, "(directory)", e.to_string()))?;
        let path = entry.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".vector.json"))
        {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(InputError::new(
            label,
            "(directory)",
            "holds no *.vector.json file",
        ));
    }
    Ok(files)
}

/// Verifies a vector against today's parameters and pinned verifying key, as the venue named
/// in it would at its time `at`. `Err` only when the keys cannot be had.
pub fn verify_vector(vector: &Vector) -> Result<Outcome, KeySetupError> {
    let pinned = pinned_vk_digest(vector.profile).unwrap_or("(none pinned)");
    if vector.vk_digest != pinned {
        return Ok(Outcome::StaleKey {
            made_under: vector.vk_digest.clone(),
            pinned: pinned.to_string(),
        });
    }
    let keys = VerifierKeys::for_profile(vector.profile)?;
    let expect = Expectation {
        snapshot: &vector.snapshot,
        venue_index: vector.venue_index,
        tag: Some(vector.tag),
        min_level_ppm: vector.level_ppm,
        order: vector.order,
        at: vector.at,
    };
    let verdict = Envelope::decode(&vector.proof)
        .map_err(Rejection::from)
        .and_then(|envelope| keys.verify(&envelope, &expect));
    Ok(match verdict {
        Ok(_) => Outcome::Valid,
        Err(rejection) => Outcome::Rejected(rejection),
    })
}

/// An order in the files' words (no entry: an order enters at the snapshot price).
fn order_json(order: &Position, snapshot: &Snapshot) -> Json {
    let kind = match order.kind {
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
        Kind::Empty => "empty",
    };
    let signed = match order.side {
        Side::Long => order.size as i128,
        Side::Short => -(order.size as i128),
    };
    let mut entries = vec![
        ("kind", Json::str(kind)),
        (
            "underlying",
            Json::str(snapshot.assets[order.underlying].symbol.clone()),
        ),
        ("size", Json::str(format_scaled(signed, AMOUNT_DECIMALS))),
    ];
    if order.kind != Kind::Perp {
        entries.push((
            "strike",
            Json::str(format_scaled(order.price as i128, PRICE_DECIMALS)),
        ));
        entries.push(("expiry", Json::uint(order.expiry)));
    }
    Json::object(entries)
}

/// Proves `statement` from `witness` under `snapshot` and writes the vector into `dir` (the
/// committed vectors are the sample book's: `cargo run --example vectors`). Returns the vector
/// file.
pub fn write_vector(
    dir: &Path,
    snapshot: &Snapshot,
    statement: &PublicStatement,
    witness: &AccountWitness,
) -> Result<PathBuf, String> {
    let profile = snapshot.profile;
    let keys = ProverKeys::for_profile(profile).map_err(|e| e.to_string())?;
    let proof = proof_bytes(&keys, statement, witness).map_err(|e| e.to_string())?;
    let envelope = Envelope {
        version: VERSION,
        profile: profile.name.to_string(),
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        venue_id: statement.venue_id(),
        account_tag: ff::PrimeField::to_repr(&statement.account_tag),
        level_ppm: statement.level_ppm,
        order: statement.order,
        proof,
    };
    let name = profile.name;
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(dir).map_err(io)?;
    write_atomic(&dir.join(format!("{name}.proof")), &envelope.encode(), None).map_err(io)?;
    write_atomic(
        &dir.join(format!("{name}.snapshot.json")),
        write_snapshot(snapshot).as_bytes(),
        None,
    )
    .map_err(io)?;
    let order =
        (statement.order != Position::EMPTY).then(|| order_json(&statement.order, snapshot));
    let vector = Json::object([
        ("format", Json::str(VECTOR_FORMAT)),
        ("profile", Json::str(name)),
        ("snapshot", Json::str(format!("{name}.snapshot.json"))),
        ("proof", Json::str(format!("{name}.proof"))),
        (
            "venue",
            Json::str(snapshot.venues[statement.venue_index].name.clone()),
        ),
        ("tag", Json::str(fp_to_hex(&statement.account_tag))),
        ("level_ppm", Json::uint(statement.level_ppm)),
        ("order", order.unwrap_or(Json::Null)),
        ("at", Json::uint(snapshot.valid_from)),
        (
            "vk_digest",
            Json::str(pinned_vk_digest(profile).unwrap_or("(none pinned)")),
        ),
    ]);
    let path = dir.join(format!("{name}.vector.json"));
    write_atomic(&path, json::to_pretty(&vector).as_bytes(), None).map_err(io)?;
    Ok(path)
}
