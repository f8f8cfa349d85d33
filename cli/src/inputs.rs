//! Reading the inputs every command shares: files (with clear errors and size limits) and the
//! flags `--level`, `--venue`, `--order`, `--profile`, `--tag` and `--at`.

use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use zkmargin_circuits::hash::{fp_from_hex, Fp};
use zkmargin_circuits::margin::Position;
use zkmargin_circuits::profile::{self, Profile};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{MAX_LEVEL_PPM, MIN_LEVEL_PPM, TIME_BITS};
use zkmargin_formats::account::{read_account, Account};
use zkmargin_formats::decimal;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::position;
use zkmargin_formats::publisher_key::{parse_public_hex, read_public, PublisherKey};
use zkmargin_verifier::publisher::{read_signed_snapshot, SignedSnapshot};

use crate::errors::CliError;

/// Largest snapshot or account file read (real ones are a few hundred KiB at most).
pub const JSON_FILE_LIMIT: u64 = 64 << 20;
/// Largest network file read (a network can list many accounts).
pub const NETWORK_FILE_LIMIT: u64 = 1 << 30;
/// Largest proof file read: anything longer is not an envelope (and is rejected as such).
pub const PROOF_FILE_LIMIT: u64 = zkmargin_verifier::envelope::MAX_ENVELOPE_BYTES as u64 + 64;

/// How the user named a file, for error messages.
pub fn label(path: &Path) -> String {
    path.display().to_string()
}

/// Reads at most `limit` bytes of a file (one more, to tell that it is longer).
pub fn read_bytes(path: &Path, flag: &str, limit: u64) -> Result<Vec<u8>, CliError> {
    let file =
        std::fs::File::open(path).map_err(|e| CliError::io(path, flag, "cannot read", &e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io(path, flag, "cannot read", &e))?;
    Ok(bytes)
}

/// Reads a UTF-8 text file of at most `limit` bytes.
pub fn read_text(path: &Path, flag: &str, limit: u64) -> Result<String, CliError> {
    let bytes = read_bytes(path, flag, limit)?;
    if bytes.len() as u64 > limit {
        return Err(CliError::input(InputError::new(
            label(path),
            "(file)",
            format!("is larger than {} MiB: not a zkmargin file", limit >> 20),
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        CliError::input(InputError::new(
            label(path),
            "(file)",
            format!(
                "is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// Reads and checks `snapshot.json` (digest included, and the publisher's signature when the
/// snapshot is signed).
pub fn load_snapshot(path: &Path) -> Result<Snapshot, CliError> {
    Ok(load_signed_snapshot(path)?.snapshot)
}

/// [`load_snapshot`], keeping the publisher's (checked) signature.
pub fn load_signed_snapshot(path: &Path) -> Result<SignedSnapshot, CliError> {
    let text = read_text(path, "--snapshot", JSON_FILE_LIMIT)?;
    Ok(read_signed_snapshot(&text, &label(path))?)
}

/// `--publisher`: the publisher's public key, as 64 hex digits or a key file
/// (`zkmargin publisher keygen` writes one).
pub fn parse_publisher(text: &str) -> Result<PublisherKey, CliError> {
    let path = Path::new(text);
    if path.is_file() {
        let content = read_text(path, "--publisher", JSON_FILE_LIMIT)?;
        return Ok(read_public(&content, &label(path))?);
    }
    parse_public_hex(text).map_err(|reason| CliError::flag("--publisher", reason))
}

/// Reads an account file and checks it against the snapshot (down to its Merkle openings).
pub fn load_account(path: &Path, snapshot: &Snapshot) -> Result<Account, CliError> {
    let text = read_text(path, "--account", JSON_FILE_LIMIT)?;
    Ok(read_account(&text, &label(path), snapshot)?)
}

/// `--level`: a decimal multiple of maintenance margin, parsed exactly into ppm, in [1, 10].
pub fn parse_level(text: Option<&str>) -> Result<u64, CliError> {
    let Some(text) = text else {
        return Ok(MIN_LEVEL_PPM);
    };
    let hint = "the level is a multiple of maintenance margin from 1 to 10, such as 1.5";
    let ppm = decimal::parse_fixed_point(text, 6)
        .map_err(|e| CliError::flag("--level", format!("{e}: {hint}")))?;
    if ppm < MIN_LEVEL_PPM as i128 || ppm > MAX_LEVEL_PPM as i128 {
        return Err(CliError::flag(
            "--level",
            format!("{} is out of range: {hint}", shown(text)),
        ));
    }
    Ok(ppm as u64)
}

/// `--profile`: one of the shipped profiles.
pub fn parse_profile(text: Option<&str>) -> Result<Option<Profile>, CliError> {
    let Some(text) = text else {
        return Ok(None);
    };
    Profile::by_name(text).map(Some).ok_or_else(|| {
        let known: Vec<&str> = profile::ALL.iter().map(|p| p.name).collect();
        CliError::flag(
            "--profile",
            format!(
                "unknown profile {} (known: {})",
                shown(text),
                known.join(", ")
            ),
        )
    })
}

/// `--venue`: a venue of the snapshot, by name.
pub fn venue_index(snapshot: &Snapshot, name: &str) -> Result<usize, CliError> {
    snapshot.venue_index(name).ok_or_else(|| {
        let known: Vec<&str> = snapshot.venues.iter().map(|v| v.name.as_str()).collect();
        CliError::flag(
            "--venue",
            format!(
                "unknown venue {} (the snapshot's venues: {})",
                shown(name),
                known.join(", ")
            ),
        )
    })
}

/// `--order`: one position object, valued against the snapshot; it needs a venue.
pub fn parse_order(
    text: Option<&str>,
    venue: Option<usize>,
    snapshot: &Snapshot,
) -> Result<Option<Position>, CliError> {
    let Some(text) = text else {
        return Ok(None);
    };
    if venue.is_none() {
        return Err(CliError::flag(
            "--order",
            "needs --venue: an order is placed at a venue",
        ));
    }
    Ok(Some(position::parse_order(text, snapshot, "--order")?))
}

/// `--at`: unix seconds (default now).
pub fn parse_at(text: Option<&str>) -> Result<u64, CliError> {
    text.map_or(Ok(now()), |text| parse_unix(text, "--at"))
}

/// A time in unix seconds, below `2^TIME_BITS`; the error names `flag`.
fn parse_unix(text: &str, flag: &str) -> Result<u64, CliError> {
    text.parse::<u64>()
        .ok()
        .filter(|v| *v < 1u64 << TIME_BITS)
        .ok_or_else(|| {
            CliError::flag(
                flag,
                format!(
                    "{} is not a time (unix seconds, a whole number below 2^{TIME_BITS})",
                    shown(text)
                ),
            )
        })
}

/// A time flag that also takes `now` (`network build --valid-from`).
pub fn parse_time_or_now(text: &str, flag: &str) -> Result<u64, CliError> {
    if text == "now" {
        return Ok(now());
    }
    parse_unix(text, flag)
}

/// `--tag`: an account tag as `zkmargin prove` prints it.
pub fn parse_tag(text: Option<&str>) -> Result<Option<Fp>, CliError> {
    let Some(text) = text else {
        return Ok(None);
    };
    fp_from_hex(&text.to_ascii_lowercase())
        .map(Some)
        .ok_or_else(|| {
            CliError::flag(
                "--tag",
                format!(
                    "{} is not an account tag (0x and 64 hex digits, as zkmargin prove prints it)",
                    shown(text)
                ),
            )
        })
}

/// The current unix time (0 if the clock is before 1970).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
