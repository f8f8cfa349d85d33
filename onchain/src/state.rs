//! The contract's storage: the configuration, the verifier's parameters and the verifying keys
//! uploaded in chunks, the published epochs, one registration per nullifier and its freeze. Values are JSON
//! (the uploads' chunks raw bytes).

use cosmwasm_std::{from_json, to_json_vec, Storage};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::ContractError;
use crate::msg::{EpochInfo, Freeze, Registration};

/// Most chunks one upload may be cut into.
pub const MAX_UPLOAD_CHUNKS: u32 = 64;
/// Largest chunk: the VM refuses to store a value over 128 KiB.
pub const MAX_UPLOAD_CHUNK_BYTES: usize = 128 * 1024;

const CONFIG: &[u8] = b"config";
const UPLOAD: &[u8] = b"upload:";
const UPLOAD_CHUNK: &[u8] = b"upload_chunk:";
const EPOCH: &[u8] = b"epoch:";
const REGISTRATION: &[u8] = b"certificate:";
const FROZEN: &[u8] = b"frozen:";
const FREEZE_LOG: &[u8] = b"freeze_log:";
const FREEZE_LOG_LAST: &[u8] = b"freeze_log_last";

/// The configuration, as the `config` query answers it.
pub use crate::msg::ConfigResponse as Config;

/// What the admin uploads in chunks, each checked whole against its pinned digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upload<'a> {
    /// The verifier's parameters of size `k` (`verifier-params-k{k}.bin`).
    Params(u32),
    /// A profile's verifying key file (`verifier/keys/<profile>.vk`).
    Key(&'a str),
}

impl Upload<'_> {
    /// Its name in storage keys: a kind byte, then `k` or the profile's name.
    fn id(&self) -> Vec<u8> {
        match self {
            Upload::Params(k) => [b"p".as_slice(), &k.to_be_bytes()].concat(),
            Upload::Key(profile) => [b"k".as_slice(), profile.as_bytes()].concat(),
        }
    }
}

impl std::fmt::Display for Upload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upload::Params(k) => write!(f, "the verifier parameters of size k = {k}"),
            Upload::Key(profile) => write!(f, "the verifying key of profile {profile}"),
        }
    }
}

/// Where one upload stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadState {
    pub count: u32,
    /// The chunk indices received, sorted.
    pub received: Vec<u32>,
    /// All in, and their digest is the pinned one.
    pub stored: bool,
    pub bytes: u64,
}

fn key(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(rest);
    key
}

fn load<T: DeserializeOwned>(
    storage: &dyn Storage,
    key: &[u8],
) -> Result<Option<T>, ContractError> {
    match storage.get(key) {
        None => Ok(None),
        Some(bytes) => Ok(Some(from_json(&bytes)?)),
    }
}

fn save<T: Serialize>(
    storage: &mut dyn Storage,
    key: &[u8],
    value: &T,
) -> Result<(), ContractError> {
    storage.set(key, &to_json_vec(value)?);
    Ok(())
}

pub fn save_config(storage: &mut dyn Storage, config: &Config) -> Result<(), ContractError> {
    save(storage, CONFIG, config)
}

pub fn load_config(storage: &dyn Storage) -> Result<Config, ContractError> {
    load(storage, CONFIG)?.ok_or_else(|| ContractError::Storage("no configuration".into()))
}

pub fn load_upload(
    storage: &dyn Storage,
    upload: Upload,
) -> Result<Option<UploadState>, ContractError> {
    load(storage, &key(UPLOAD, &upload.id()))
}

pub fn save_upload(
    storage: &mut dyn Storage,
    upload: Upload,
    state: &UploadState,
) -> Result<(), ContractError> {
    save(storage, &key(UPLOAD, &upload.id()), state)
}

fn chunk_key(upload: Upload, index: u32) -> Vec<u8> {
    // The id's length first, so that no id followed by an index reads as another id's.
    let id = upload.id();
    let rest = [&[id.len() as u8][..], &id, &index.to_be_bytes()].concat();
    key(UPLOAD_CHUNK, &rest)
}

pub fn save_chunk(storage: &mut dyn Storage, upload: Upload, index: u32, data: &[u8]) {
    storage.set(&chunk_key(upload, index), data);
}

/// The chunks `0..count` of an upload, concatenated.
pub fn load_upload_bytes(
    storage: &dyn Storage,
    upload: Upload,
    count: u32,
) -> Result<Vec<u8>, ContractError> {
    let mut bytes = vec![];
    for index in 0..count {
        let chunk = storage.get(&chunk_key(upload, index)).ok_or_else(|| {
            ContractError::UploadChunk(format!("chunk {index} of {upload} is missing"))
        })?;
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

pub fn load_epoch(storage: &dyn Storage, epoch: u64) -> Result<Option<EpochInfo>, ContractError> {
    load(storage, &key(EPOCH, &epoch.to_be_bytes()))
}

pub fn save_epoch(storage: &mut dyn Storage, info: &EpochInfo) -> Result<(), ContractError> {
    save(storage, &key(EPOCH, &info.epoch.to_be_bytes()), info)
}

/// `nullifier`: canonical `0x` hex.
pub fn load_registration(
    storage: &dyn Storage,
    nullifier: &str,
) -> Result<Option<Registration>, ContractError> {
    load(storage, &key(REGISTRATION, nullifier.as_bytes()))
}

pub fn save_registration(
    storage: &mut dyn Storage,
    registration: &Registration,
) -> Result<(), ContractError> {
    save(
        storage,
        &key(REGISTRATION, registration.nullifier.as_bytes()),
        registration,
    )
}

/// `nullifier`: canonical `0x` hex.
pub fn load_freeze(
    storage: &dyn Storage,
    nullifier: &str,
) -> Result<Option<Freeze>, ContractError> {
    load(storage, &key(FROZEN, nullifier.as_bytes()))
}

pub fn save_freeze(
    storage: &mut dyn Storage,
    nullifier: &str,
    freeze: &Freeze,
) -> Result<(), ContractError> {
    save(storage, &key(FROZEN, nullifier.as_bytes()), freeze)
}

/// The freeze log's last sequence number (0 when empty).
pub fn last_freeze(storage: &dyn Storage) -> Result<u64, ContractError> {
    Ok(load(storage, FREEZE_LOG_LAST)?.unwrap_or(0))
}

/// Appends a nullifier to the freeze log; returns its sequence number.
pub fn log_freeze(storage: &mut dyn Storage, nullifier: &str) -> Result<u64, ContractError> {
    let sequence = last_freeze(storage)? + 1;
    save(
        storage,
        &key(FREEZE_LOG, &sequence.to_be_bytes()),
        &nullifier,
    )?;
    save(storage, FREEZE_LOG_LAST, &sequence)?;
    Ok(sequence)
}

/// The nullifier logged at `sequence`.
pub fn logged_freeze(storage: &dyn Storage, sequence: u64) -> Result<String, ContractError> {
    load(storage, &key(FREEZE_LOG, &sequence.to_be_bytes()))?
        .ok_or_else(|| ContractError::Storage(format!("freeze {sequence} is missing from the log")))
}
