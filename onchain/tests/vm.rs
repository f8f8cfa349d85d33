//! The registry contract's compiled `.wasm` under `cosmwasm-vm`, the runtime wasmd runs, with
//! its gas meter: every call gets a fresh instance (as on a chain) with a gas limit, and every
//! call prints the gas it used.
//!
//! Gas is reported in CosmWasm gas (the VM's meter: 115 per Wasm operation in cosmwasm-vm 3,
//! plus its prices for host calls such as `ed25519_verify`) and in Cosmos SDK gas, which is
//! what block limits count: SDK gas = CosmWasm gas / 140,000 (wasmd's `DefaultGasMultiplier`
//! since CosmWasm 2.0, cosmwasm's docs/GAS.md and PR #1599), plus the storage's own SDK gas,
//! which wasmd charges outside the VM: the storage here charges the Cosmos SDK's default
//! `KVGasConfig` (read 1,000 + 3 a byte of key and value, write 2,000 + 30 a byte, delete 1,000)
//! and reports it to the VM as externally used gas, as wasmd does. Not counted: wasmd's fixed
//! cost of loading an instance (60,000 SDK gas, 2,000 when the code is pinned), its small
//! charges for events and message bytes, and the transaction's own size and signature costs.
//!
//! The certificates are real: proved with `zkmargin_prover::certify` over the testing crate's
//! sample network, small profile (and one standard, on a registry of its own). The `.wasm` is
//! built by `scripts/build-onchain.sh` when a test starts (a no-op when it is up to date).
//!
//! `cargo test --release -p zkmargin-onchain --test vm -- --nocapture` prints every call's gas
//! and, once the tests have measured them all, the gas table of the README.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use cosmwasm_std::testing::message_info;
use cosmwasm_std::{
    coin, from_json, Addr, BankMsg, Binary, ContractResult, CosmosMsg, Empty, Env, Event, Response,
    Timestamp,
};
use cosmwasm_vm::internals::{check_wasm, Logger};
use cosmwasm_vm::testing::{mock_env, MockApi, MockQuerier};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, capabilities_from_csv, Backend, BackendResult,
    GasInfo, Instance, InstanceOptions, Size, Storage, VmResult, WasmLimits,
};
use zkmargin_circuits::hash::fp_to_hex;
use zkmargin_circuits::profile::{Profile, SMALL, STANDARD};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::Account;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::publisher_key::PublisherSecret;
use zkmargin_formats::snapshot::{write_public_snapshot, write_signed_snapshot};
use zkmargin_onchain::msg::{
    CertificateResponse, EpochResponse, ExecuteMsg, Freeze, FreezesResponse, InstantiateMsg,
    LoggedFreeze, QueryMsg, Status, UploadResponse,
};
use zkmargin_testing::fixtures::{fixture, SAMPLE_LINES};
use zkmargin_verifier::keys::stored_key_file;
use zkmargin_verifier::params::load_or_generate;
use zkmargin_verifier::publisher::SignSnapshot;
use zkmargin_verifier::verifier_params::{pinned_verifier_digest, VerifierParams};

/// CosmWasm gas per Cosmos SDK gas (wasmd's `DefaultGasMultiplier`, CosmWasm 2.0 and later).
const GAS_MULTIPLIER: u64 = 140_000;
/// Block gas limits (SDK gas) of the chains the README compares with.
const OSMOSIS: u64 = 300_000_000;
const JUNO: u64 = 100_000_000;
const NEUTRON: u64 = 30_000_000;
/// The per-call limit of these tests: Osmosis's whole block.
const GAS_LIMIT_SDK: u64 = OSMOSIS;
/// wasmvm's memory limit per contract instance.
const MEMORY_LIMIT_MIB: u32 = 32;
/// Largest chunk the parameters are uploaded in (a stored value is at most 128 KiB; the small
/// profile's 264,776 bytes go in 5 transactions).
const CHUNK_BYTES: usize = 60_000;
const DENOM: &str = "untrn";
const BOND: u128 = 1_000_000;
const CHALLENGE_SECONDS: u64 = 86_400;

// ---------------------------------------------------------------------------------------------
// The contract, built by the script
// ---------------------------------------------------------------------------------------------

fn wasm() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = Command::new("bash")
            .arg(root.join("scripts/build-onchain.sh"))
            .output()
            .expect("cannot run scripts/build-onchain.sh");
        assert!(
            out.status.success(),
            "scripts/build-onchain.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let path = stdout.lines().last().expect("the script prints the .wasm's path");
        let wasm = std::fs::read(path.trim()).expect("the .wasm the script built");
        println!("contract: {} ({} bytes)", path.trim(), wasm.len());
        // What wasmd checks when the code is stored: exports, imports, limits, capabilities.
        let capabilities = capabilities_from_csv(
            "iterator,staking,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,cosmwasm_3_0",
        );
        check_wasm(&wasm, &capabilities, &WasmLimits::default(), Logger::Off)
            .expect("wasmd would refuse the contract");
        wasm
    })
}

// ---------------------------------------------------------------------------------------------
// Storage with the Cosmos SDK's gas
// ---------------------------------------------------------------------------------------------

/// The Cosmos SDK's default `KVGasConfig`.
const READ_FLAT: u64 = 1_000;
const READ_PER_BYTE: u64 = 3;
const WRITE_FLAT: u64 = 2_000;
const WRITE_PER_BYTE: u64 = 30;
const DELETE: u64 = 1_000;

/// A key-value store that charges what a Cosmos SDK store charges, in SDK gas, counted here and
/// reported to the VM as externally used CosmWasm gas.
#[derive(Clone, Default)]
struct ChainStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    sdk_gas: Arc<AtomicU64>,
}

impl ChainStorage {
    fn charge(&self, sdk: u64) -> GasInfo {
        self.sdk_gas.fetch_add(sdk, Ordering::Relaxed);
        GasInfo::with_externally_used(sdk * GAS_MULTIPLIER)
    }
}

impl Storage for ChainStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.data.get(key).cloned();
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        let gas = self.charge(READ_FLAT + READ_PER_BYTE * bytes as u64);
        (Ok(value), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let gas = self.charge(WRITE_FLAT + WRITE_PER_BYTE * (key.len() + value.len()) as u64);
        self.data.insert(key.to_vec(), value.to_vec());
        (Ok(()), gas)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let gas = self.charge(DELETE);
        self.data.remove(key);
        (Ok(()), gas)
    }
}

// ---------------------------------------------------------------------------------------------
// A chain of one contract
// ---------------------------------------------------------------------------------------------

/// What one call cost.
#[derive(Clone, Copy, Debug)]
struct Gas {
    /// CosmWasm gas metered inside the VM (Wasm operations and host calls).
    vm: u64,
    /// SDK gas charged by the storage.
    storage_sdk: u64,
}

impl Gas {
    fn sdk(&self) -> u64 {
        self.vm.div_ceil(GAS_MULTIPLIER) + self.storage_sdk
    }
}

fn fmt_m(sdk: u64) -> String {
    format!("{:.3} M", sdk as f64 / 1e6)
}

/// The contract's storage between calls, and the time of the next block.
#[derive(Clone)]
struct Chain {
    storage: ChainStorage,
    time: u64,
}

type VmInstance = Instance<MockApi, ChainStorage, MockQuerier>;

fn admin() -> Addr {
    Addr::unchecked(MockApi::default().addr_make("admin"))
}
fn trader() -> Addr {
    Addr::unchecked(MockApi::default().addr_make("trader"))
}
fn challenger() -> Addr {
    Addr::unchecked(MockApi::default().addr_make("challenger"))
}
/// The two venues the registry lists (who may freeze).
fn venue_a() -> Addr {
    Addr::unchecked(MockApi::default().addr_make("deribit"))
}
fn venue_b() -> Addr {
    Addr::unchecked(MockApi::default().addr_make("hyperliquid"))
}

impl Chain {
    fn env(&self) -> Env {
        let mut env = mock_env();
        env.block.time = Timestamp::from_seconds(self.time);
        env
    }

    /// Runs `call` in a fresh instance over this chain's storage; keeps the storage only when
    /// the call succeeded (a failed transaction changes nothing). Prints the gas.
    fn run<T>(
        &mut self,
        label: &str,
        call: impl FnOnce(&mut VmInstance, &Env) -> VmResult<ContractResult<T>>,
    ) -> (Result<T, String>, Gas) {
        let mut storage = self.storage.clone();
        storage.sdk_gas = Arc::new(AtomicU64::new(0));
        let sdk_gas = storage.sdk_gas.clone();
        let backend = Backend {
            api: MockApi::default(),
            storage,
            querier: MockQuerier::new(&[]),
        };
        let options = InstanceOptions {
            gas_limit: GAS_LIMIT_SDK * GAS_MULTIPLIER,
        };
        let mut instance = Instance::from_code(
            wasm(),
            backend,
            options,
            Some(Size::mebi(MEMORY_LIMIT_MIB as usize)),
        )
        .expect("the contract loads");
        let env = self.env();
        let result = call(&mut instance, &env);
        let report = instance.create_gas_report();
        let storage_sdk = sdk_gas.load(Ordering::Relaxed);
        let gas = Gas {
            vm: report.used_internally,
            storage_sdk,
        };
        let result = match result {
            Ok(ContractResult::Ok(value)) => {
                let backend = instance.recycle().expect("the backend back");
                self.storage = backend.storage;
                Ok(value)
            }
            Ok(ContractResult::Err(e)) => Err(e),
            Err(vm) => Err(format!("VM error: {vm}")),
        };
        println!(
            "gas: {label}: {} CosmWasm gas in the VM + {} SDK gas of storage = {} SDK gas ({})",
            gas.vm,
            gas.storage_sdk,
            gas.sdk(),
            match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("refused: {e}"),
            }
        );
        (result, gas)
    }

    fn instantiate(&mut self, msg: &InstantiateMsg) -> (Result<Response, String>, Gas) {
        let msg = serde_json::to_vec(msg).unwrap();
        self.run("instantiate", |instance, env| {
            call_instantiate::<_, _, _, Empty>(instance, env, &message_info(&admin(), &[]), &msg)
        })
    }

    fn execute_with(
        &mut self,
        label: &str,
        sender: &Addr,
        funds: &[cosmwasm_std::Coin],
        msg: &ExecuteMsg,
    ) -> (Result<Response, String>, Gas) {
        let msg = serde_json::to_vec(msg).unwrap();
        let info = message_info(sender, funds);
        self.run(label, |instance, env| {
            call_execute::<_, _, _, Empty>(instance, env, &info, &msg)
        })
    }

    /// `register_optimistic` by the trader with the bond.
    fn register_bonded(
        &mut self,
        label: &str,
        certificate: &[u8],
    ) -> (Result<Response, String>, Gas) {
        let msg = register_optimistic(certificate);
        self.execute_with(label, &trader(), &[coin(BOND, DENOM)], &msg)
    }

    fn execute(&mut self, label: &str, msg: &ExecuteMsg) -> (Result<Response, String>, Gas) {
        self.execute_with(label, &trader(), &[], msg)
    }

    fn query<T: serde::de::DeserializeOwned>(
        &mut self,
        label: &str,
        msg: &QueryMsg,
    ) -> (Result<T, String>, Gas) {
        let msg = serde_json::to_vec(msg).unwrap();
        let (result, gas) = self.run(label, |instance, env| call_query(instance, env, &msg));
        (result.map(|b: Binary| from_json(&b).unwrap()), gas)
    }
}

/// `result` is a refusal whose reason contains `reason`.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, String>, reason: &str) {
    match result {
        Ok(value) => panic!("accepted, expected a refusal with {reason:?}: {value:?}"),
        Err(e) => assert!(
            e.contains(reason),
            "refused with {e:?}, expected {reason:?}"
        ),
    }
}

fn event<'a>(response: &'a Response, kind: &str) -> &'a Event {
    response
        .events
        .iter()
        .find(|e| e.ty == kind)
        .unwrap_or_else(|| panic!("no {kind} event in {:?}", response.events))
}

fn attribute<'a>(event: &'a Event, key: &str) -> &'a str {
    &event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no {key} in {event:?}"))
        .value
}

// ---------------------------------------------------------------------------------------------
// The material: a publisher, the small profile's parameters, real certificates
// ---------------------------------------------------------------------------------------------

fn publisher() -> PublisherSecret {
    PublisherSecret::from_bytes(&[7; 32])
}

fn instantiate_msg() -> InstantiateMsg {
    instantiate_for(SMALL)
}

fn instantiate_for(profile: Profile) -> InstantiateMsg {
    InstantiateMsg {
        publisher_key: publisher().public().to_hex(),
        profiles: vec![profile.name.to_string()],
        admin: Some(admin().to_string()),
        bond: coin(BOND, DENOM),
        challenge_seconds: CHALLENGE_SECONDS,
        venues: vec![venue_a().to_string(), venue_b().to_string()],
    }
}

struct Material {
    snapshot: Snapshot,
    /// The signed snapshot file.
    signed: String,
    /// The verifier's parameters (`verifier-params-k12.bin`).
    params: Vec<u8>,
    /// The profile's key file (`verifier/keys/small.vk`).
    key: Vec<u8>,
    /// The account the certificates are of.
    account: Account,
    /// A certificate with the sample lines.
    honest: Vec<u8>,
}

/// Another small certificate of the same account and epoch (so the same nullifier), other
/// lines. Proved on first use: the standard profile's tests need none.
fn second() -> &'static [u8] {
    static SECOND: OnceLock<Vec<u8>> = OnceLock::new();
    SECOND.get_or_init(|| {
        let m = material();
        zkmargin_prover::certify(&m.snapshot, &m.account, 1_000_000, &[1, 2])
            .expect("the sample book certifies other lines")
            .bytes
    })
}

fn material() -> &'static Material {
    static MATERIAL: OnceLock<Material> = OnceLock::new();
    MATERIAL.get_or_init(|| material_of(SMALL))
}

/// The standard profile's material, for its own registry (the sample epoch is the same).
fn standard_material() -> &'static Material {
    static MATERIAL: OnceLock<Material> = OnceLock::new();
    MATERIAL.get_or_init(|| material_of(STANDARD))
}

fn material_of(profile: Profile) -> Material {
    std::env::set_var("ZKMARGIN_QUIET", "1");
    let f = fixture(profile);
    let snapshot = f.snapshot.clone();
    let account = Account {
        name: "alice".into(),
        profile,
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        sk: f.witness.sk,
        idx: f.witness.idx,
        book: f.book.clone(),
        chain_openings: f.witness.chain_openings[..snapshot.chains.len()].to_vec(),
        venue_openings: f.witness.venue_openings[..snapshot.venues.len()].to_vec(),
    };
    let honest = zkmargin_prover::certify(&snapshot, &account, 1_000_000, &SAMPLE_LINES)
        .expect("the sample book certifies")
        .bytes;
    let (full, _) = load_or_generate(profile.k).expect("the profile's parameters");
    let params = VerifierParams::file_of(&full).expect("the verifier's parameters");
    let key = stored_key_file(profile).expect("the stored key").to_vec();
    let signed = write_signed_snapshot(&snapshot, Some(&publisher().sign(&snapshot)));
    Material {
        snapshot,
        signed,
        params,
        key,
        account,
        honest,
    }
}

fn nullifier_of(bytes: &[u8]) -> String {
    fp_to_hex(&Certificate::decode(bytes).unwrap().nullifier().unwrap())
}

/// The certificate with one byte of its proof flipped (same length, so it decodes).
fn tampered(bytes: &[u8]) -> Vec<u8> {
    let mut certificate = Certificate::decode(bytes).unwrap();
    let at = certificate.proof.len() / 2;
    certificate.proof[at] ^= 1;
    certificate.encode()
}

/// The figures of the gas table, as the tests measure them; printed by the test that
/// completes them (every test runs once, so nothing heavy is measured twice).
#[derive(Default)]
struct Figures {
    rows: Vec<(String, u64)>,
}

/// The rows of the table, in order: (key, label).
const TABLE: [(&str, &str); 18] = [
    ("instantiate", "instantiate"),
    (
        "params-largest",
        "store_params, the largest of the 5 transactions",
    ),
    (
        "params-all",
        "store_params, all 5 together (each fits alone)",
    ),
    ("key", "store_key (one transaction, 5,713 bytes)"),
    ("publish", "publish_epoch"),
    ("register", "register (verified)"),
    ("optimistic", "register_optimistic"),
    ("challenge", "challenge of an invalid registration (voided)"),
    (
        "read",
        "  of which: reading the verifier parameters (query params)",
    ),
    (
        "read-key",
        "  of which: reading the verifying key (query key)",
    ),
    (
        "before-proof",
        "  of which: all before the proof's own check (a proof refused at its first point)",
    ),
    ("refusal", "a refused register (nullifier taken)"),
    ("freeze", "freeze (a listed venue)"),
    (
        "std-params-largest",
        "standard: store_params, the largest of the 18 transactions",
    ),
    (
        "std-params-all",
        "standard: store_params, all 18 together (each fits alone)",
    ),
    (
        "std-key",
        "standard: store_key (one transaction, 19,569 bytes)",
    ),
    ("std-publish", "standard: publish_epoch"),
    ("std-register", "standard: register (verified)"),
];

fn record(key: &str, sdk: u64) {
    let (_, figures) = deployed();
    let mut figures = figures.lock().unwrap();
    if figures.rows.iter().any(|(k, _)| k == key) {
        return;
    }
    figures.rows.push((key.to_string(), sdk));
    if figures.rows.len() < TABLE.len() {
        return;
    }
    let sdk_of = |key: &str| figures.rows.iter().find(|(k, _)| k == key).map(|(_, g)| *g);
    println!(
        "\nGas table (small profile, k = {}; standard, k = {}), SDK gas:\n",
        SMALL.k, STANDARD.k
    );
    println!("| call | SDK gas | Neutron (30 M) | Juno (100 M) | Osmosis (300 M) |");
    println!("|---|---:|---|---|---|");
    for (key, label) in TABLE {
        let sdk = sdk_of(key).unwrap_or(0);
        let fits = |limit: u64| if sdk <= limit { "fits" } else { "over" };
        println!(
            "| {label} | {} | {} | {} | {} |",
            fmt_m(sdk),
            fits(NEUTRON),
            fits(JUNO),
            fits(OSMOSIS)
        );
    }
    let register = sdk_of("register").unwrap_or(0);
    let before = sdk_of("before-proof").unwrap_or(0);
    let read = sdk_of("read").unwrap_or(0);
    let read_key = sdk_of("read-key").unwrap_or(0);
    let optimistic = sdk_of("optimistic").unwrap_or(0);
    println!(
        "\nregister (verified) {}: the checks and storage of an optimistic registration {}, \
         the verifier parameters {}, the verifying key {}, the rest before the proof {}, the \
         proof's own verification {}",
        fmt_m(register),
        fmt_m(optimistic),
        fmt_m(read),
        fmt_m(read_key),
        fmt_m(
            before
                .saturating_sub(read)
                .saturating_sub(read_key)
                .saturating_sub(optimistic)
        ),
        fmt_m(register.saturating_sub(before))
    );
}

/// Uploads a profile's verifier parameters (in chunks of at most `CHUNK_BYTES`) and key file
/// as the admin; returns the gas of the largest parameters transaction, of all of them, and of
/// the key's.
fn upload(chain: &mut Chain, profile: Profile, m: &Material) -> (u64, u64, u64) {
    let parts: Vec<&[u8]> = m.params.chunks(CHUNK_BYTES).collect();
    let (mut total, mut largest) = (0, 0);
    for (index, data) in parts.iter().enumerate() {
        let msg = ExecuteMsg::StoreParams {
            k: profile.k,
            index: index as u32,
            count: parts.len() as u32,
            data: Binary::from(*data),
        };
        let label = format!("store_params chunk {index} ({} bytes)", data.len());
        let (result, gas) = chain.execute_with(&label, &admin(), &[], &msg);
        let response = result.expect("a parameters chunk");
        total += gas.sdk();
        largest = largest.max(gas.sdk());
        if index == parts.len() - 1 {
            assert_eq!(
                attribute(event(&response, "zkmargin_store_params"), "stored"),
                "true"
            );
        }
    }
    let msg = ExecuteMsg::StoreKey {
        profile: profile.name.to_string(),
        index: 0,
        count: 1,
        data: Binary::from(m.key.as_slice()),
    };
    let label = format!("store_key ({} bytes)", m.key.len());
    let (result, gas) = chain.execute_with(&label, &admin(), &[], &msg);
    let response = result.expect("the key");
    assert_eq!(
        attribute(event(&response, "zkmargin_store_key"), "stored"),
        "true"
    );
    (largest, total, gas.sdk())
}

/// A chain with the contract instantiated and the small profile's verifier parameters and key
/// stored; the epoch not yet published; the clock inside the epoch.
fn deployed() -> (Chain, &'static Mutex<Figures>) {
    static DEPLOYED: OnceLock<(Chain, Mutex<Figures>)> = OnceLock::new();
    let (chain, figures) = DEPLOYED.get_or_init(|| {
        let m = material();
        let mut chain = Chain {
            storage: ChainStorage::default(),
            time: m.snapshot.valid_from + 60,
        };
        let mut figures = Figures::default();
        let (result, gas) = chain.instantiate(&instantiate_msg());
        result.expect("instantiate");
        figures.rows.push(("instantiate".into(), gas.sdk()));
        let (largest, total, key) = upload(&mut chain, SMALL, m);
        figures.rows.push(("params-largest".into(), largest));
        figures.rows.push(("params-all".into(), total));
        figures.rows.push(("key".into(), key));
        (chain, Mutex::new(figures))
    });
    (chain.clone(), figures)
}

/// A fresh chain at `time` with the contract instantiated for `profile`, nothing uploaded.
fn instantiated(profile: Profile, time: u64) -> Chain {
    let mut chain = Chain {
        storage: ChainStorage::default(),
        time,
    };
    chain
        .instantiate(&instantiate_for(profile))
        .0
        .expect("instantiate");
    chain
}

/// `deployed()` with the sample epoch published.
fn published() -> Chain {
    let (mut chain, _) = deployed();
    let msg = ExecuteMsg::PublishEpoch {
        snapshot: material().signed.clone(),
    };
    let (result, _) = chain.execute("publish_epoch", &msg);
    result.expect("publish the sample epoch");
    chain
}

fn register(certificate: &[u8]) -> ExecuteMsg {
    ExecuteMsg::Register {
        certificate: Binary::from(certificate),
    }
}

fn register_optimistic(certificate: &[u8]) -> ExecuteMsg {
    ExecuteMsg::RegisterOptimistic {
        certificate: Binary::from(certificate),
    }
}

fn certificate_query(chain: &mut Chain, nullifier: &str) -> CertificateResponse {
    let (answer, _) = chain.query(
        "query certificate",
        &QueryMsg::Certificate {
            nullifier: nullifier.to_string(),
        },
    );
    answer.expect("the certificate query")
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn an_honest_certificate_registers_and_its_nullifier_is_then_taken() {
    let m = material();
    let (mut chain, _) = deployed();
    let (result, gas) = chain.execute(
        "publish_epoch",
        &ExecuteMsg::PublishEpoch {
            snapshot: m.signed.clone(),
        },
    );
    let response = result.expect("publish");
    assert_eq!(
        attribute(event(&response, "zkmargin_publish_epoch"), "epoch"),
        m.snapshot.epoch.to_string()
    );
    record("publish", gas.sdk());

    let (result, gas) = chain.execute("register (verified)", &register(&m.honest));
    let response = result.expect("an honest certificate registers");
    let nullifier = nullifier_of(&m.honest);
    let e = event(&response, "zkmargin_register");
    assert_eq!(attribute(e, "nullifier"), nullifier);
    assert_eq!(attribute(e, "status"), "verified");
    record("register", gas.sdk());

    let answer = certificate_query(&mut chain, &nullifier);
    let registration = answer.registration.expect("registered");
    assert_eq!(registration.status, Status::Verified);
    assert_eq!(
        registration.certificate,
        zkmargin_formats::hex::digest_to_hex(&Certificate::digest_of(&m.honest))
    );
    assert_eq!(registration.epoch, m.snapshot.epoch);
    assert_eq!(registration.registrant, trader());

    let (answer, _) = chain.query::<EpochResponse>(
        "query epoch",
        &QueryMsg::Epoch {
            epoch: m.snapshot.epoch,
        },
    );
    let epoch = answer.unwrap().epoch.expect("published");
    assert_eq!(
        epoch.snapshot_digest,
        zkmargin_formats::hex::digest_to_hex(&m.snapshot.digest())
    );
    // Stored without its risk table (published with it): the digest, roots, rates and
    // signature are what a registration reads back.
    assert!(!m.snapshot.risk_table.rows.is_empty());
    assert!(m.signed.contains("\"risk_table\": ["));
    assert_eq!(
        epoch.snapshot,
        write_public_snapshot(&m.snapshot, Some(&publisher().sign(&m.snapshot)))
    );

    // The same certificate again, another certificate with the same nullifier, verified or
    // optimistic: all refused.
    let (result, gas) = chain.execute("register the same certificate again", &register(&m.honest));
    refused(
        result,
        "is already registered (verified) with this certificate",
    );
    record("refusal", gas.sdk());
    let (result, _) = chain.execute(
        "register another certificate of the same nullifier",
        &register(second()),
    );
    refused(
        result,
        "is already registered (verified) with another certificate",
    );
    assert_eq!(nullifier_of(second()), nullifier);
    let (result, _) = chain.register_bonded("register_optimistic of the same nullifier", second());
    refused(result, "is already registered (verified)");
    // An unknown nullifier has no registration; a malformed one is refused.
    let answer = certificate_query(
        &mut chain,
        &fp_to_hex(&zkmargin_circuits::hash::Fp::from(5)),
    );
    assert_eq!(answer.registration, None);
    let (answer, _) = chain.query::<CertificateResponse>(
        "query a malformed nullifier",
        &QueryMsg::Certificate {
            nullifier: "0xZZ".into(),
        },
    );
    refused(answer, "is not 0x and 64 lower-case hex digits");
}

fn freeze_msg(nullifier: &str, reason: &str) -> ExecuteMsg {
    ExecuteMsg::Freeze {
        nullifier: nullifier.to_string(),
        reason: reason.to_string(),
    }
}

/// Issue 18's freeze across venues that share no database: a listed venue freezes a
/// registered nullifier and the registry's answer, which every venue reads, carries it; the
/// first freeze stands. Refused: a freeze by anyone not listed (the trader, the admin), of a
/// nullifier nobody registered, with funds, or with a reason empty, too long or with a
/// control character; a refused freeze changes nothing.
#[test]
fn a_listed_venue_freezes_a_registered_nullifier_for_every_venue() {
    let m = material();
    let mut chain = published();
    let nullifier = nullifier_of(&m.honest);
    let (result, _) = chain.execute_with(
        "freeze before registration",
        &venue_a(),
        &[],
        &freeze_msg(&nullifier, "liquidated"),
    );
    refused(result, "nothing is registered for nullifier");
    chain
        .execute("register (verified)", &register(&m.honest))
        .0
        .expect("an honest certificate registers");
    assert_eq!(certificate_query(&mut chain, &nullifier).frozen, None);

    for stranger in [trader(), admin()] {
        let (result, _) = chain.execute_with(
            "freeze by a stranger",
            &stranger,
            &[],
            &freeze_msg(&nullifier, "liquidated"),
        );
        refused(result, "is not a venue of this registry");
    }
    let long = "x".repeat(129);
    for reason in ["", "liquidated\nat deribit", long.as_str()] {
        let (result, _) = chain.execute_with(
            "freeze with a bad reason",
            &venue_a(),
            &[],
            &freeze_msg(&nullifier, reason),
        );
        refused(result, "reason: 1 to 128 characters");
    }
    let (result, _) = chain.execute_with(
        "freeze with funds",
        &venue_a(),
        &[coin(BOND, DENOM)],
        &freeze_msg(&nullifier, "liquidated"),
    );
    assert!(result.is_err(), "a freeze takes no funds");
    assert_eq!(certificate_query(&mut chain, &nullifier).frozen, None);

    let (result, gas) = chain.execute_with(
        "freeze",
        &venue_a(),
        &[],
        &freeze_msg(&nullifier, "liquidated at deribit"),
    );
    let response = result.expect("a listed venue freezes a registered nullifier");
    let e = event(&response, "zkmargin_freeze");
    assert_eq!(attribute(e, "nullifier"), nullifier);
    assert_eq!(attribute(e, "venue"), venue_a().as_str());
    assert_eq!(attribute(e, "already_frozen"), "false");
    record("freeze", gas.sdk());
    let first = Freeze {
        venue: venue_a(),
        reason: "liquidated at deribit".into(),
        frozen_at: chain.time,
    };
    let answer = certificate_query(&mut chain, &nullifier);
    assert_eq!(answer.frozen.as_ref(), Some(&first));
    assert_eq!(
        answer.registration.map(|r| r.status),
        Some(Status::Verified),
        "a freeze leaves the registration as it was"
    );

    // The other venue freezes too, later: the first freeze stands and is what it is told.
    chain.time += 60;
    let (result, _) = chain.execute_with(
        "freeze again",
        &venue_b(),
        &[],
        &freeze_msg(&nullifier, "liquidated at hyperliquid"),
    );
    let response = result.expect("a freeze again is answered");
    let e = event(&response, "zkmargin_freeze");
    assert_eq!(attribute(e, "already_frozen"), "true");
    assert_eq!(attribute(e, "venue"), venue_a().as_str());
    assert_eq!(attribute(e, "reason"), "liquidated at deribit");
    assert_eq!(
        certificate_query(&mut chain, &nullifier).frozen,
        Some(first)
    );

    // Another nullifier is not frozen.
    let other = fp_to_hex(&zkmargin_circuits::hash::Fp::from(5));
    assert_eq!(certificate_query(&mut chain, &other).frozen, None);

    // The log a gateway follows: the one freeze, once (the second changed nothing).
    let freezes = |chain: &mut Chain, after: u64| -> FreezesResponse {
        chain
            .query("query freezes", &QueryMsg::Freezes { after, limit: 10 })
            .0
            .expect("the freezes query")
    };
    let log = freezes(&mut chain, 0);
    assert_eq!(log.last, 1);
    assert_eq!(
        log.freezes,
        vec![LoggedFreeze {
            sequence: 1,
            nullifier: nullifier.clone(),
            freeze: certificate_query(&mut chain, &nullifier).frozen.unwrap(),
        }]
    );
    assert_eq!(
        freezes(&mut chain, 1),
        FreezesResponse {
            freezes: vec![],
            last: 1
        }
    );
}

#[test]
fn a_tampered_proof_is_refused() {
    let m = material();
    let mut chain = published();
    let (result, _) = chain.execute("register a tampered proof", &register(&tampered(&m.honest)));
    refused(result, "the proof does not verify");
    // A proof whose first point does not decode is refused as soon as the verifier reads it,
    // after the parameters and the verifying key: its gas is what precedes the proof's own
    // verification (the gas table's breakdown).
    let mut unreadable = Certificate::decode(&m.honest).unwrap();
    unreadable.proof[..32].copy_from_slice(&[0xff; 32]);
    let (result, gas) = chain.execute(
        "register a proof whose first point does not decode",
        &register(&unreadable.encode()),
    );
    refused(result, "the proof does not verify");
    record("before-proof", gas.sdk());
    // Nothing was recorded.
    let answer = certificate_query(&mut chain, &nullifier_of(&m.honest));
    assert_eq!(answer.registration, None);
}

#[test]
fn truncated_and_padded_certificates_are_refused() {
    let m = material();
    let mut chain = published();
    let (result, _) = chain.execute(
        "register a certificate one byte short",
        &register(&m.honest[..m.honest.len() - 1]),
    );
    refused(result, "certificate refused: malformed certificate");
    let (result, _) = chain.execute(
        "register half a certificate",
        &register(&m.honest[..m.honest.len() / 2]),
    );
    refused(result, "certificate refused: malformed certificate");
    let mut padded = m.honest.clone();
    padded.push(0);
    let (result, _) = chain.execute("register a certificate and a byte", &register(&padded));
    refused(result, "1 trailing bytes");
    let (result, _) = chain.execute("register nothing", &register(&[]));
    refused(result, "certificate refused: malformed certificate");
    let (result, _) = chain.execute("register garbage", &register(&[0xff; 5000]));
    refused(result, "certificate refused: malformed certificate");
    // A proof cut short inside a certificate that frames correctly.
    let mut short = Certificate::decode(&m.honest).unwrap();
    short.proof.truncate(short.proof.len() - 32);
    let (result, _) = chain.execute("register a short proof", &register(&short.encode()));
    let pinned = zkmargin_verifier::verify::pinned_proof_len("small").unwrap();
    refused(
        result,
        &format!(
            "the proof has {} bytes, a proof of profile small has {pinned}",
            pinned - 32
        ),
    );
}

#[test]
fn epochs_unpublished_future_and_expired_are_refused() {
    let m = material();
    let (mut chain, _) = deployed();
    let (result, _) = chain.execute("register before publication", &register(&m.honest));
    refused(
        result,
        &format!(
            "certificate refused: epoch {} is not published",
            m.snapshot.epoch
        ),
    );

    let mut chain = published();
    chain.time = m.snapshot.valid_from - 1;
    let (result, _) = chain.execute("register before valid_from", &register(&m.honest));
    refused(result, "the snapshot is not valid yet");
    chain.time = m.snapshot.valid_until + 1;
    let (result, _) = chain.execute("register after valid_until", &register(&m.honest));
    refused(result, "the snapshot expired");
    let (result, _) = chain.register_bonded("register_optimistic after valid_until", &m.honest);
    refused(result, "the snapshot expired");
    // At the edges, inclusive (the same checks as a verified registration's, before the proof).
    chain.time = m.snapshot.valid_until;
    let (result, _) = chain.register_bonded("register_optimistic at valid_until", &m.honest);
    result.expect("valid until valid_until inclusive");
    chain.time = m.snapshot.valid_from;
    let (result, _) = chain.execute("register the same at valid_from", &register(&m.honest));
    refused(result, "is already registered (pending)");

    // Publishing an epoch that is already over is refused too.
    let (mut chain, _) = deployed();
    chain.time = m.snapshot.valid_until + 1;
    let (result, _) = chain.execute(
        "publish an expired epoch",
        &ExecuteMsg::PublishEpoch {
            snapshot: m.signed.clone(),
        },
    );
    refused(result, "expired at");
}

#[test]
fn forged_replayed_and_foreign_signatures_are_refused() {
    let m = material();
    let (mut chain, _) = deployed();
    let publish = |text: String| ExecuteMsg::PublishEpoch { snapshot: text };

    // Unsigned.
    let (result, _) = chain.execute(
        "publish an unsigned snapshot",
        &publish(write_signed_snapshot(&m.snapshot, None)),
    );
    refused(result, "snapshot refused: it is unsigned");
    // Signed by another key, named as such.
    let other = PublisherSecret::from_bytes(&[8; 32]);
    let (result, _) = chain.execute(
        "publish a snapshot signed by another publisher",
        &publish(write_signed_snapshot(
            &m.snapshot,
            Some(&other.sign(&m.snapshot)),
        )),
    );
    refused(result, "not by the registry's publisher");
    // Forged: another key's signature under the publisher's key.
    let mut forged = other.sign(&m.snapshot);
    forged.publisher_key = publisher().public().to_bytes();
    let (result, _) = chain.execute(
        "publish a forged signature",
        &publish(write_signed_snapshot(&m.snapshot, Some(&forged))),
    );
    refused(result, "the publisher's signature does not verify");
    // Forged: the publisher's signature with one bit flipped.
    let mut flipped = publisher().sign(&m.snapshot);
    flipped.signature[10] ^= 4;
    let (result, _) = chain.execute(
        "publish a flipped signature",
        &publish(write_signed_snapshot(&m.snapshot, Some(&flipped))),
    );
    refused(result, "the publisher's signature does not verify");
    // Replayed: this epoch's genuine signature on the next epoch's snapshot, and on a snapshot
    // of the same epoch with a changed price.
    let genuine = publisher().sign(&m.snapshot);
    let mut next = m.snapshot.clone();
    next.epoch += 1;
    let (result, _) = chain.execute(
        "publish the next epoch with this epoch's signature",
        &publish(write_signed_snapshot(&next, Some(&genuine))),
    );
    refused(result, "the publisher's signature does not verify");
    let mut repriced = m.snapshot.clone();
    repriced.assets[0].price += 1;
    let (result, _) = chain.execute(
        "publish a repriced snapshot with the genuine signature",
        &publish(write_signed_snapshot(&repriced, Some(&genuine))),
    );
    refused(result, "the publisher's signature does not verify");
    // The risk table's root is signed too (the table itself is not read here): another root
    // under the genuine signature is refused.
    let mut rerooted = m.snapshot.clone();
    rerooted.risk_root = zkmargin_circuits::hash::Fp::from(7);
    let (result, _) = chain.execute(
        "publish another risk-table root with the genuine signature",
        &publish(write_public_snapshot(&rerooted, Some(&genuine))),
    );
    refused(result, "the publisher's signature does not verify");
    // A snapshot file that does not read.
    let (result, _) = chain.execute("publish garbage", &publish("{\"format\": 1}".into()));
    refused(result, "snapshot refused:");

    // The genuine one, then the same again: one per epoch.
    let (result, _) = chain.execute("publish_epoch", &publish(m.signed.clone()));
    result.expect("the genuine snapshot");
    let (result, _) = chain.execute("publish the same epoch again", &publish(m.signed.clone()));
    refused(
        result,
        &format!("epoch {} is already published", m.snapshot.epoch),
    );
    // The next epoch, signed properly, is its own epoch; published without its risk table.
    let (result, _) = chain.execute(
        "publish the next epoch, signed, without its risk table",
        &publish(write_public_snapshot(&next, Some(&publisher().sign(&next)))),
    );
    result.expect("the next epoch");
}

#[test]
fn a_challenge_voids_an_invalid_optimistic_registration_and_pays_the_bond() {
    let m = material();
    let mut chain = published();
    let bad = tampered(&m.honest);
    let nullifier = nullifier_of(&bad);

    // The bond must be exact.
    let (result, _) = chain.execute(
        "register_optimistic without a bond",
        &register_optimistic(&bad),
    );
    refused(result, "takes a bond of exactly");
    let (result, _) = chain.execute_with(
        "register_optimistic with half a bond",
        &trader(),
        &[coin(BOND / 2, DENOM)],
        &register_optimistic(&bad),
    );
    refused(result, "takes a bond of exactly");

    let (result, gas) = chain.register_bonded("register_optimistic (an invalid proof)", &bad);
    let response = result.expect("recorded unverified");
    assert_eq!(
        attribute(event(&response, "zkmargin_register_optimistic"), "status"),
        "pending"
    );
    record("optimistic", gas.sdk());
    assert!(
        gas.sdk() < 300_000,
        "optimistic registration costs {} SDK gas, over the 300 k target",
        gas.sdk()
    );
    let registration = certificate_query(&mut chain, &nullifier)
        .registration
        .unwrap();
    assert_eq!(registration.status, Status::Pending);
    assert_eq!(registration.bond, Some(coin(BOND, DENOM)));

    // A challenge with other bytes than those registered is refused.
    let (result, _) = chain.execute_with(
        "challenge with another certificate",
        &challenger(),
        &[],
        &ExecuteMsg::Challenge {
            certificate: Binary::from(m.honest.clone()),
        },
    );
    refused(result, "these bytes are not the certificate registered");

    let (result, gas) = chain.execute_with(
        "challenge (voids it)",
        &challenger(),
        &[],
        &ExecuteMsg::Challenge {
            certificate: Binary::from(bad.clone()),
        },
    );
    let response = result.expect("the challenge");
    record("challenge", gas.sdk());
    assert_eq!(
        attribute(event(&response, "zkmargin_challenge"), "outcome"),
        "voided"
    );
    assert_eq!(
        response
            .messages
            .iter()
            .map(|m| m.msg.clone())
            .collect::<Vec<_>>(),
        vec![CosmosMsg::Bank(BankMsg::Send {
            to_address: challenger().to_string(),
            amount: vec![coin(BOND, DENOM)],
        })]
    );
    let registration = certificate_query(&mut chain, &nullifier)
        .registration
        .unwrap();
    assert_eq!(registration.status, Status::Voided);
    assert_eq!(registration.challenger, Some(challenger()));
    assert_eq!(registration.bond, None);
    // Voided once: a second challenge is refused.
    let (result, _) = chain.execute_with(
        "challenge again",
        &challenger(),
        &[],
        &ExecuteMsg::Challenge {
            certificate: Binary::from(bad),
        },
    );
    refused(result, "is voided, not pending");
    // The nullifier is free again: the trader's honest certificate registers (optimistically
    // here; its verified registration is the first test's).
    let (result, _) = chain.register_bonded("register_optimistic after the void", &m.honest);
    result.expect("the honest certificate takes the freed nullifier");
}

#[test]
fn a_challenge_of_a_valid_optimistic_registration_verifies_it_and_bonds_come_back() {
    let m = material();
    let mut chain = published();
    let nullifier = nullifier_of(&m.honest);
    let (result, _) = chain.register_bonded("register_optimistic (a valid proof)", &m.honest);
    result.expect("recorded");
    // While pending, the nullifier is taken.
    let (result, _) = chain.execute("register while pending", &register(second()));
    refused(
        result,
        "is already registered (pending) with another certificate",
    );

    // Withdrawal: only the registrant, only after the challenge period.
    let mut later = chain.clone();
    let withdraw = ExecuteMsg::WithdrawBond {
        nullifier: nullifier.clone(),
    };
    let (result, _) = later.execute("withdraw_bond during the epoch", &withdraw);
    refused(result, "is open to challenge until");
    later.time = m.snapshot.valid_until + CHALLENGE_SECONDS + 1;
    let (result, _) = later.execute_with("withdraw_bond by another", &challenger(), &[], &withdraw);
    refused(result, "only the registrant may withdraw it");
    let (result, _) = later.execute("withdraw_bond", &withdraw);
    let response = result.expect("the bond back");
    assert_eq!(
        response.messages[0].msg,
        CosmosMsg::Bank(BankMsg::Send {
            to_address: trader().to_string(),
            amount: vec![coin(BOND, DENOM)],
        })
    );
    let status = certificate_query(&mut later, &nullifier)
        .registration
        .unwrap()
        .status;
    assert_eq!(status, Status::Unchallenged);

    // A challenge of the valid certificate verifies it; the bond goes back to the registrant.
    let (result, _) = chain.execute_with(
        "challenge (a valid proof)",
        &challenger(),
        &[],
        &ExecuteMsg::Challenge {
            certificate: Binary::from(m.honest.clone()),
        },
    );
    let response = result.expect("the challenge runs");
    assert_eq!(
        attribute(event(&response, "zkmargin_challenge"), "outcome"),
        "valid"
    );
    assert_eq!(
        response.messages[0].msg,
        CosmosMsg::Bank(BankMsg::Send {
            to_address: trader().to_string(),
            amount: vec![coin(BOND, DENOM)],
        })
    );
    let status = certificate_query(&mut chain, &nullifier)
        .registration
        .unwrap()
        .status;
    assert_eq!(status, Status::Verified);
}

#[test]
fn parameters_are_checked_against_the_pin_and_only_the_admin_uploads_them() {
    let m = material();
    let mut chain = instantiated(SMALL, m.snapshot.valid_from);
    let parts: Vec<&[u8]> = m.params.chunks(CHUNK_BYTES).collect();
    let count = parts.len() as u32;
    let chunk = |index: usize, data: &[u8]| ExecuteMsg::StoreParams {
        k: SMALL.k,
        index: index as u32,
        count,
        data: Binary::from(data),
    };
    let (result, _) = chain.execute("store_params by a stranger", &chunk(0, parts[0]));
    refused(result, "only the admin may upload parameters or keys");
    let (result, _) = chain.execute_with(
        "store_params a chunk over 128 KiB",
        &admin(),
        &[],
        &chunk(0, &m.params[..128 * 1024 + 1]),
    );
    refused(result, "a chunk has 1 to 131072 bytes");
    let last = parts.len() - 1;
    for (index, part) in parts.iter().enumerate().take(last) {
        let (result, _) = chain.execute_with("store_params", &admin(), &[], &chunk(index, part));
        result.expect("a right chunk");
    }
    let mut wrong = parts[last].to_vec();
    wrong[100] ^= 1;
    let (result, _) = chain.execute_with(
        "store_params a wrong last chunk",
        &admin(),
        &[],
        &chunk(last, &wrong),
    );
    refused(result, "not the pinned");
    let (result, _) = chain.execute_with(
        "store_params with another count",
        &admin(),
        &[],
        &ExecuteMsg::StoreParams {
            k: SMALL.k,
            index: last as u32,
            count: count + 1,
            data: Binary::from(parts[last]),
        },
    );
    refused(result, "differs from the 5 of the first chunk");
    let (result, _) = chain.execute_with(
        "store_params for an unpinned k",
        &admin(),
        &[],
        &ExecuteMsg::StoreParams {
            k: 7,
            index: 0,
            count: 1,
            data: Binary::from(&m.params[..10]),
        },
    );
    refused(
        result,
        "no digest is pinned in this build for the verifier parameters of size k = 7",
    );
    // Registration before the parameters are stored: refused, nothing recorded.
    let (result, _) = chain.execute(
        "publish_epoch",
        &ExecuteMsg::PublishEpoch {
            snapshot: m.signed.clone(),
        },
    );
    result.unwrap();
    let (result, _) = chain.execute("register before the parameters", &register(&m.honest));
    refused(
        result,
        &format!(
            "not stored yet: the verifier parameters of size k = {}",
            SMALL.k
        ),
    );
    let (result, _) = chain.execute_with(
        "store_params the right last chunk",
        &admin(),
        &[],
        &chunk(last, parts[last]),
    );
    result.expect("the right last chunk");
    let (answer, _) =
        chain.query::<UploadResponse>("query params", &QueryMsg::Params { k: SMALL.k });
    let answer = answer.unwrap();
    assert!(answer.stored);
    assert_eq!(answer.bytes, m.params.len() as u64);
    let (result, _) = chain.execute_with(
        "store_params once stored",
        &admin(),
        &[],
        &chunk(0, parts[0]),
    );
    refused(
        result,
        "already stored: the verifier parameters of size k = 12",
    );
    // The parameters in, the key not yet: still refused.
    let (result, _) = chain.execute("register before the key", &register(&m.honest));
    refused(result, "not stored yet: the verifying key of profile small");
}

#[test]
fn a_key_file_is_checked_against_its_pin_and_only_the_admin_uploads_it() {
    let m = material();
    let mut chain = instantiated(SMALL, m.snapshot.valid_from);
    let key = |profile: &str, data: &[u8]| ExecuteMsg::StoreKey {
        profile: profile.to_string(),
        index: 0,
        count: 1,
        data: Binary::from(data),
    };
    let (result, _) = chain.execute("store_key by a stranger", &key("small", &m.key));
    refused(result, "only the admin may upload parameters or keys");
    // A flipped byte in the bitmaps, in the last commitment: refused whole.
    for at in [20, m.key.len() - 1] {
        let mut flipped = m.key.clone();
        flipped[at] ^= 1;
        let (result, _) = chain.execute_with(
            "store_key, a flipped byte",
            &admin(),
            &[],
            &key("small", &flipped),
        );
        refused(result, "the verifying key of profile small has digest");
    }
    // Another profile's file under this profile's name.
    let standard = stored_key_file(STANDARD).unwrap();
    let (result, _) = chain.execute_with(
        "store_key, the standard profile's file as small's",
        &admin(),
        &[],
        &key("small", standard),
    );
    refused(result, "not the pinned");
    let (result, _) = chain.execute_with(
        "store_key of an unknown profile",
        &admin(),
        &[],
        &key("huge", &m.key),
    );
    refused(
        result,
        "no digest is pinned in this build for the verifying key of profile huge",
    );
    let (answer, _) = chain.query::<UploadResponse>(
        "query key before",
        &QueryMsg::Key {
            profile: "small".into(),
        },
    );
    assert!(
        !answer.unwrap().stored,
        "nothing of the refused uploads stayed"
    );
    let (result, _) = chain.execute_with("store_key", &admin(), &[], &key("small", &m.key));
    result.expect("the small profile's key file");
    let (result, _) = chain.execute_with("store_key again", &admin(), &[], &key("small", &m.key));
    refused(result, "already stored: the verifying key of profile small");
}

/// The stored key is checked against its pin again each time it is read: bytes altered in the
/// chain's store (which no message can do) are refused by name, never used.
#[test]
fn a_stored_key_altered_in_the_store_is_refused_when_read() {
    let m = material();
    let mut chain = published();
    // `state::chunk_key`: the prefix, the upload id's length, the id (`k` and the profile's
    // name), the chunk's index.
    let id = [b"k".as_slice(), SMALL.name.as_bytes()].concat();
    let at = [
        b"upload_chunk:".as_slice(),
        &[id.len() as u8],
        &id,
        &0u32.to_be_bytes(),
    ]
    .concat();
    let stored = chain
        .storage
        .data
        .get_mut(&at)
        .expect("the key's one chunk");
    assert_eq!(stored, &m.key);
    let last = stored.len() - 1;
    stored[last] ^= 1;
    let (result, _) = chain.execute("register with an altered stored key", &register(&m.honest));
    refused(
        result,
        "the stored verifier parameters or key cannot be used: the verifying key file",
    );
    let (answer, _) = chain.query::<UploadResponse>(
        "query an altered key",
        &QueryMsg::Key {
            profile: SMALL.name.into(),
        },
    );
    refused(answer, "not the pinned");
    assert_eq!(
        certificate_query(&mut chain, &nullifier_of(&m.honest)).registration,
        None
    );
}

#[test]
fn instantiation_refuses_bad_keys_profiles_and_bonds() {
    let mut chain = Chain {
        storage: ChainStorage::default(),
        time: 1,
    };
    let mut msg = instantiate_msg();
    msg.publisher_key = "00".repeat(31);
    refused(
        chain.instantiate(&msg).0,
        "publisher_key is not an Ed25519 public key",
    );
    let mut msg = instantiate_msg();
    msg.profiles = vec!["huge".into()];
    refused(
        chain.instantiate(&msg).0,
        "profile \"huge\" cannot be accepted: unknown",
    );
    let mut msg = instantiate_msg();
    msg.profiles = vec![];
    refused(chain.instantiate(&msg).0, "no profile accepted");
    let mut msg = instantiate_msg();
    msg.bond = coin(0, DENOM);
    refused(
        chain.instantiate(&msg).0,
        "the bond must be a positive amount",
    );
    let mut msg = instantiate_msg();
    msg.admin = Some("not an address".into());
    refused(chain.instantiate(&msg).0, "admin:");
    let mut msg = instantiate_msg();
    msg.venues.push("not an address".into());
    refused(chain.instantiate(&msg).0, "venues:");
    // A message that is not JSON of the contract's kind.
    let (result, _) = chain.run("instantiate with a bad message", |instance, env| {
        call_instantiate::<_, _, _, Empty>(
            instance,
            env,
            &message_info(&admin(), &[]),
            br#"{"publisher_key": 1}"#,
        )
    });
    refused(result, "invalid type: integer `1`, expected a string");
}

#[test]
fn the_stored_parameters_decode() {
    let (mut chain, _) = deployed();
    let (answer, gas) = chain.query::<UploadResponse>(
        "query params (the chunks read and Params::read_verifier)",
        &QueryMsg::Params { k: SMALL.k },
    );
    let answer = answer.expect("the params query");
    assert!(answer.stored);
    assert_eq!(answer.bytes, material().params.len() as u64);
    assert_eq!(
        answer.pinned_digest.as_deref(),
        pinned_verifier_digest(SMALL.k)
    );
    record("read", gas.sdk());
}

#[test]
fn the_stored_key_reads() {
    let (mut chain, _) = deployed();
    let (answer, gas) = chain.query::<UploadResponse>(
        "query key (the file read, its digest checked, VerifyingKey::read)",
        &QueryMsg::Key {
            profile: SMALL.name.into(),
        },
    );
    let answer = answer.expect("the key query");
    assert!(answer.stored);
    assert_eq!(answer.bytes, material().key.len() as u64);
    record("read-key", gas.sdk());
}

/// The standard profile on a registry of its own: parameters and key uploaded, the epoch
/// published, an honest certificate registered verified, a tampered one refused.
#[test]
fn a_standard_certificate_registers_verified() {
    let m = standard_material();
    let mut chain = instantiated(STANDARD, m.snapshot.valid_from + 60);
    let (largest, total, key) = upload(&mut chain, STANDARD, m);
    record("std-params-largest", largest);
    record("std-params-all", total);
    record("std-key", key);
    let (result, gas) = chain.execute(
        "standard: publish_epoch",
        &ExecuteMsg::PublishEpoch {
            snapshot: m.signed.clone(),
        },
    );
    result.expect("publish");
    record("std-publish", gas.sdk());
    let (result, _) = chain.execute(
        "standard: register a tampered proof",
        &register(&tampered(&m.honest)),
    );
    refused(result, "the proof does not verify");
    let (result, gas) = chain.execute("standard: register (verified)", &register(&m.honest));
    let response = result.expect("an honest standard certificate registers");
    assert_eq!(
        attribute(event(&response, "zkmargin_register"), "status"),
        "verified"
    );
    record("std-register", gas.sdk());
}
