//! Frozen test vectors: honest certificates of the sample book, one per profile, committed
//! with the snapshot and the grant a venue checks them with, so that any later change to the
//! circuit, the keys, the certificate file or the instance layout is seen (`zkmargin audit
//! --vectors`, `prover/tests/vectors.rs`).
//!
//! A vector is four files in one directory:
//!
//! | file | content |
//! |---|---|
//! | `<profile>.vector.json` | `zkmargin.vector/2`: the files below, the venue, the level it demands, the time of verification, and the verifying-key digest the proof was made under |
//! | `<profile>.snapshot.json` | the snapshot (`zkmargin.snapshot/1`) |
//! | `<profile>.certificate.zkm` | the certificate file |
//! | `<profile>.grant.json` | the venue's grant (`zkmargin.grant/1`) |
//!
//! `at` is the snapshot's `valid_from`: the venue's freshness check is part of what a vector
//! exercises, so it is verified as of that time. Regenerate with
//! `cargo run --release -p zkmargin-prover --example vectors -- tests/vectors` after an intended
//! change to the circuit (every pinned digest changes with it).

use std::path::{Path, PathBuf};

use ff::PrimeField;
use zkmargin_circuits::hash::account_tag;
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::AccountWitness;
use zkmargin_formats::certificate::{Certificate, CERTIFICATE_VERSION};
use zkmargin_formats::grant::{read_grant, write_grant, Grant};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::{self, Json, ValueReader};
use zkmargin_formats::snapshot::{read_snapshot, write_snapshot};
use zkmargin_verifier::keys::{pinned_vk_digest, KeySetupError, VerifierKeys};
use zkmargin_verifier::verify::{Expectation, Rejection};

use crate::{proof_bytes, ProverKeys};
use zkmargin_formats::write::write_atomic;

/// The `format` of a vector file.
pub const VECTOR_FORMAT: &str = "zkmargin.vector/2";

/// Largest file a vector reads (snapshots are a few KiB; certificates 4 KiB).
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
    pub level_ppm: u64,
    pub at: u64,
    /// The verifying-key digest the proof was made under.
    pub vk_digest: String,
    /// The certificate file's bytes.
    pub certificate: Vec<u8>,
    pub grant: Grant,
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
        "certificate",
        "grant",
        "venue",
        "level_ppm",
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
    let certificate = read_limited(&sibling("certificate")?)?;
    let grant_path = sibling("grant")?;
    let grant = read_grant(&read_text(&grant_path)?, &grant_path.display().to_string())?;
    let venue_at = top.req("venue")?;
    let venue = venue_at.str()?.to_string();
    let venue_index = snapshot
        .venue_index(&venue)
        .ok_or_else(|| venue_at.err("is not a venue of the snapshot"))?;
    let level_ppm = top.req("level_ppm")?.uint(64)?;
    let at = top.req("at")?.uint(64)?;
    let vk_digest = top.req("vk_digest")?.str()?.to_string();
    Ok(Vector {
        file: path.to_path_buf(),
        profile,
        snapshot,
        venue,
        venue_index,
        level_ppm,
        at,
        vk_digest,
        certificate,
        grant,
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
        tag: Some(vector.grant.tag),
        min_level_ppm: vector.level_ppm,
        at: vector.at,
    };
    let verdict = keys.verify(&vector.certificate, &vector.grant, &expect);
    Ok(match verdict {
        Ok(_) => Outcome::Valid,
        Err(rejection) => Outcome::Rejected(rejection),
    })
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
    let certificate = Certificate {
        version: CERTIFICATE_VERSION,
        profile: profile.name.to_string(),
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        level_ppm: statement.level_ppm,
        nullifier: statement.nullifier.to_repr(),
        commitments: statement.commitments.iter().map(|c| c.to_repr()).collect(),
        proof,
    };
    let bytes = certificate.encode();
    // The grant of the first venue.
    let venue = &snapshot.venues[0];
    let grant = Grant {
        venue: venue.name.clone(),
        venue_id: venue.id,
        tag: account_tag(witness.sk, venue.id),
        allowance_uusd: witness.lines[0].allowance,
        salt: witness.lines[0].salt,
        nullifier: statement.nullifier,
        certificate: Certificate::digest_of(&bytes),
    };
    let name = profile.name;
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(dir).map_err(io)?;
    write_atomic(&dir.join(format!("{name}.certificate.zkm")), &bytes, None).map_err(io)?;
    let grant_text = write_grant(&grant);
    write_atomic(
        &dir.join(format!("{name}.grant.json")),
        grant_text.as_bytes(),
        None,
    )
    .map_err(io)?;
    write_atomic(
        &dir.join(format!("{name}.snapshot.json")),
        write_snapshot(snapshot).as_bytes(),
        None,
    )
    .map_err(io)?;
    let vector = Json::object([
        ("format", Json::str(VECTOR_FORMAT)),
        ("profile", Json::str(name)),
        ("snapshot", Json::str(format!("{name}.snapshot.json"))),
        ("certificate", Json::str(format!("{name}.certificate.zkm"))),
        ("grant", Json::str(format!("{name}.grant.json"))),
        ("venue", Json::str(venue.name.clone())),
        ("level_ppm", Json::uint(statement.level_ppm)),
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
