//! The contract's storage: the configuration, the parameters in chunks, the published epochs
//! and one registration per nullifier. Values are JSON (the parameters' chunks raw bytes).

use cosmwasm_std::{from_json, to_json_vec, Storage};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::ContractError;
use crate::msg::{EpochInfo, Registration};

/// Most chunks one set of parameters may be cut into.
pub const MAX_PARAMS_CHUNKS: u32 = 64;
/// Largest chunk: the VM refuses to store a value over 128 KiB.
pub const MAX_PARAMS_CHUNK_BYTES: usize = 128 * 1024;

const CONFIG: &[u8] = b"config";
const PARAMS: &[u8] = b"params:";
const PARAMS_CHUNK: &[u8] = b"params_chunk:";
const EPOCH: &[u8] = b"epoch:";
const REGISTRATION: &[u8] = b"certificate:";

/// The configuration, as the `config` query answers it.
pub use crate::msg::ConfigResponse as Config;

/// The upload of one set of parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamsState {
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

pub fn load_params(storage: &dyn Storage, k: u32) -> Result<Option<ParamsState>, ContractError> {
    load(storage, &key(PARAMS, &k.to_be_bytes()))
}

pub fn save_params(
    storage: &mut dyn Storage,
    k: u32,
    params: &ParamsState,
) -> Result<(), ContractError> {
    save(storage, &key(PARAMS, &k.to_be_bytes()), params)
}

fn chunk_key(k: u32, index: u32) -> Vec<u8> {
    let mut rest = k.to_be_bytes().to_vec();
    rest.extend_from_slice(&index.to_be_bytes());
    key(PARAMS_CHUNK, &rest)
}

pub fn save_params_chunk(storage: &mut dyn Storage, k: u32, index: u32, data: &[u8]) {
    storage.set(&chunk_key(k, index), data);
}

/// The chunks `0..count` of `k`'s parameters, concatenated.
pub fn load_params_bytes(
    storage: &dyn Storage,
    k: u32,
    count: u32,
) -> Result<Vec<u8>, ContractError> {
    let mut bytes = vec![];
    for index in 0..count {
        let chunk = storage.get(&chunk_key(k, index)).ok_or_else(|| {
            ContractError::ParamsChunk(format!("chunk {index} of k = {k} is missing"))
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
