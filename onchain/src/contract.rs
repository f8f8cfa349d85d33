//! The entry points: instantiate, execute (parameters, epochs, registrations, challenges) and
//! query. Every check of a certificate is the verifier crate's: exact decoding
//! (`Certificate::decode`), the header against the published snapshot
//! (`verify::check_header`), the instance rebuilt from the snapshot (`verify::rebuild_statement`)
//! and the proof (`verify::verify_statement_with`, against the stored verifying key and the
//! stored verifier parameters, their digests checked against the pins at upload).

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, BankMsg, Binary, Coin, Deps, DepsMut, Env, Event,
    MessageInfo, Response, Storage,
};
use zkmargin_circuits::hash::{fp_from_hex, fp_to_hex};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::MIN_LEVEL_PPM;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::hex::{bytes_from_hex, digest_to_hex};
use zkmargin_formats::snapshot::{read_public_snapshot, write_public_snapshot};
use zkmargin_verifier::keys::{pinned_vk_file_digest, read_key_file, MarginVerifyingKey};
use zkmargin_verifier::params::digest_hex;
use zkmargin_verifier::publisher::signing_message;
use zkmargin_verifier::verifier_params::{pinned_verifier_digest, VerifierParams};
use zkmargin_verifier::verify::{check_header, rebuild_statement, verify_statement_with};

use crate::error::ContractError;
use crate::msg::{
    CertificateResponse, EpochInfo, EpochResponse, ExecuteMsg, Freeze, FreezesResponse,
    InstantiateMsg, LoggedFreeze, QueryMsg, Registration, Status, UploadResponse,
};
use crate::state::{self, Config, Upload, UploadState};

type Result<T> = std::result::Result<T, ContractError>;

/// The name under which the snapshot is read (in error messages).
const SNAPSHOT_FILE: &str = "snapshot";

fn no_funds(info: &MessageInfo) -> Result<()> {
    if !info.funds.is_empty() {
        return Err(ContractError::Funds(
            "this message takes no funds (only register_optimistic takes its bond)".into(),
        ));
    }
    Ok(())
}

fn accepted_profile(config: &Config, name: &str) -> Result<Profile> {
    if !config.profiles.iter().any(|p| p == name) {
        return Err(ContractError::ProfileNotAccepted(name.to_string()));
    }
    Profile::by_name(name).ok_or_else(|| ContractError::ProfileNotAccepted(name.to_string()))
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response> {
    no_funds(&info)?;
    // The key is checked by the chain's own Ed25519 (a point that does not decode is an error,
    // a well-formed key merely fails this empty signature), not by linking a curve library.
    let key: [u8; 32] = bytes_from_hex(&msg.publisher_key)
        .filter(|key| deps.api.ed25519_verify(b"", &[0; 64], key).is_ok())
        .ok_or_else(|| {
            ContractError::BadMessage(
                "publisher_key is not an Ed25519 public key in 64 hex digits".into(),
            )
        })?;
    if msg.profiles.is_empty() {
        return Err(ContractError::BadMessage("no profile accepted".into()));
    }
    let mut profiles: Vec<String> = vec![];
    for name in &msg.profiles {
        let profile = Profile::by_name(name)
            .ok_or_else(|| ContractError::ProfileUnusable(name.clone(), "unknown".into()))?;
        if pinned_verifier_digest(profile.k).is_none() {
            return Err(ContractError::ProfileUnusable(
                name.clone(),
                format!(
                    "no verifier parameters of size k = {} are pinned",
                    profile.k
                ),
            ));
        }
        if pinned_vk_file_digest(profile).is_none() {
            return Err(ContractError::ProfileUnusable(
                name.clone(),
                "no verifying key is pinned".into(),
            ));
        }
        if !profiles.contains(name) {
            profiles.push(name.clone());
        }
    }
    if msg.bond.amount.is_zero() || msg.bond.denom.is_empty() {
        return Err(ContractError::BadMessage(
            "the bond must be a positive amount of a named denom".into(),
        ));
    }
    let admin = match &msg.admin {
        Some(admin) => deps
            .api
            .addr_validate(admin)
            .map_err(|e| ContractError::BadMessage(format!("admin: {e}")))?,
        None => info.sender.clone(),
    };
    let mut venues: Vec<Addr> = vec![];
    for venue in &msg.venues {
        let venue = deps
            .api
            .addr_validate(venue)
            .map_err(|e| ContractError::BadMessage(format!("venues: {e}")))?;
        if !venues.contains(&venue) {
            venues.push(venue);
        }
    }
    let config = Config {
        publisher_key: digest_to_hex(&key),
        profiles: profiles.clone(),
        admin: admin.clone(),
        bond: msg.bond.clone(),
        challenge_seconds: msg.challenge_seconds,
        venues,
    };
    state::save_config(deps.storage, &config)?;
    let event = Event::new("zkmargin_instantiate")
        .add_attribute("publisher_key", config.publisher_key)
        .add_attribute("profiles", profiles.join(","))
        .add_attribute("admin", admin.as_str())
        .add_attribute("bond", msg.bond.to_string());
    Ok(Response::new().add_event(event))
}

#[entry_point]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> Result<Response> {
    let now = env.block.time.seconds();
    match msg {
        ExecuteMsg::StoreParams {
            k,
            index,
            count,
            data,
        } => {
            no_funds(&info)?;
            store_chunk(
                deps,
                &info,
                Upload::Params(k),
                index,
                count,
                data.as_slice(),
            )
        }
        ExecuteMsg::StoreKey {
            profile,
            index,
            count,
            data,
        } => {
            no_funds(&info)?;
            store_chunk(
                deps,
                &info,
                Upload::Key(&profile),
                index,
                count,
                data.as_slice(),
            )
        }
        ExecuteMsg::PublishEpoch { snapshot } => {
            no_funds(&info)?;
            publish_epoch(deps, now, &snapshot)
        }
        ExecuteMsg::Register { certificate } => {
            no_funds(&info)?;
            register(deps, now, &info.sender, certificate.as_slice(), None)
        }
        ExecuteMsg::RegisterOptimistic { certificate } => {
            let config = state::load_config(deps.storage)?;
            let bond = config.bond;
            if info.funds.len() != 1 || info.funds[0] != bond {
                return Err(ContractError::Funds(format!(
                    "register_optimistic takes a bond of exactly {bond}"
                )));
            }
            register(deps, now, &info.sender, certificate.as_slice(), Some(bond))
        }
        ExecuteMsg::Challenge { certificate } => {
            no_funds(&info)?;
            challenge(deps, &info.sender, certificate.as_slice())
        }
        ExecuteMsg::WithdrawBond { nullifier } => {
            no_funds(&info)?;
            withdraw_bond(deps, now, &info.sender, &nullifier)
        }
        ExecuteMsg::Freeze { nullifier, reason } => {
            no_funds(&info)?;
            freeze(deps, now, &info.sender, &nullifier, &reason)
        }
    }
}

/// Most freezes one `freezes` query answers.
const MAX_FREEZES_ANSWERED: u32 = 100;

/// Longest freeze reason, characters (the gateway's bound too).
const MAX_REASON_CHARS: usize = 128;

/// A listed venue freezes a registered nullifier. The first freeze stands: a second, by any
/// venue, changes nothing and says which freeze holds (as the gateway's freeze route does).
/// A voided registration holds no headroom and cannot be frozen; an unknown nullifier
/// neither (a venue freezes a trader whose certificate it took through the registry).
fn freeze(
    deps: DepsMut,
    now: u64,
    sender: &Addr,
    nullifier: &str,
    reason: &str,
) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    if !config.venues.contains(sender) {
        return Err(ContractError::NotAVenue(sender.to_string()));
    }
    let nullifier = canonical_nullifier(nullifier)?;
    let chars = reason.chars().count();
    if chars == 0 || chars > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(ContractError::BadMessage(format!(
            "reason: 1 to {MAX_REASON_CHARS} characters without control characters"
        )));
    }
    let registration = state::load_registration(deps.storage, &nullifier)?
        .ok_or_else(|| ContractError::NotRegistered(nullifier.clone()))?;
    if registration.status == Status::Voided {
        return Err(ContractError::NotRegistered(nullifier));
    }
    let (standing, fresh) = match state::load_freeze(deps.storage, &nullifier)? {
        Some(first) => (first, false),
        None => {
            let first = Freeze {
                venue: sender.clone(),
                reason: reason.to_string(),
                frozen_at: now,
            };
            state::save_freeze(deps.storage, &nullifier, &first)?;
            state::log_freeze(deps.storage, &nullifier)?;
            (first, true)
        }
    };
    Ok(Response::new().add_event(
        Event::new("zkmargin_freeze")
            .add_attribute("nullifier", &nullifier)
            .add_attribute("venue", standing.venue.as_str())
            .add_attribute("reason", &standing.reason)
            .add_attribute("frozen_at", standing.frozen_at.to_string())
            .add_attribute("already_frozen", (!fresh).to_string()),
    ))
}

/// The pinned digest an upload is checked against.
fn pinned_upload_digest(upload: Upload) -> Result<&'static str> {
    let pinned = match upload {
        Upload::Params(k) => pinned_verifier_digest(k),
        Upload::Key(name) => Profile::by_name(name).and_then(pinned_vk_file_digest),
    };
    pinned.ok_or_else(|| ContractError::Unpinned(upload.to_string()))
}

fn store_chunk(
    deps: DepsMut,
    info: &MessageInfo,
    upload: Upload,
    index: u32,
    count: u32,
    data: &[u8],
) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    if info.sender != config.admin {
        return Err(ContractError::Unauthorized("upload parameters or keys"));
    }
    let pinned = pinned_upload_digest(upload)?;
    let mut stored = state::load_upload(deps.storage, upload)?.unwrap_or(UploadState {
        count,
        received: vec![],
        stored: false,
        bytes: 0,
    });
    if stored.stored {
        return Err(ContractError::AlreadyStored(upload.to_string()));
    }
    if count == 0 || count > state::MAX_UPLOAD_CHUNKS {
        return Err(ContractError::UploadChunk(format!(
            "count must be 1 to {}",
            state::MAX_UPLOAD_CHUNKS
        )));
    }
    if count != stored.count {
        return Err(ContractError::UploadChunk(format!(
            "count {count} differs from the {} of the first chunk",
            stored.count
        )));
    }
    if index >= count {
        return Err(ContractError::UploadChunk(format!(
            "index {index} is not below count {count}"
        )));
    }
    if data.is_empty() || data.len() > state::MAX_UPLOAD_CHUNK_BYTES {
        return Err(ContractError::UploadChunk(format!(
            "a chunk has 1 to {} bytes (the largest value the chain stores), not {}",
            state::MAX_UPLOAD_CHUNK_BYTES,
            data.len()
        )));
    }
    state::save_chunk(deps.storage, upload, index, data);
    if !stored.received.contains(&index) {
        stored.received.push(index);
        stored.received.sort_unstable();
    }
    let (kind, what) = match upload {
        Upload::Params(k) => ("zkmargin_store_params", ("k", k.to_string())),
        Upload::Key(profile) => ("zkmargin_store_key", ("profile", profile.to_string())),
    };
    let mut event = Event::new(kind)
        .add_attribute(what.0, what.1)
        .add_attribute("index", index.to_string())
        .add_attribute("count", count.to_string())
        .add_attribute("chunk_bytes", data.len().to_string());
    if stored.received.len() as u32 == count {
        let bytes = state::load_upload_bytes(deps.storage, upload, count)?;
        let found = digest_hex(&bytes);
        if found != pinned {
            return Err(ContractError::UploadDigest {
                what: upload.to_string(),
                found,
                pinned: pinned.to_string(),
            });
        }
        stored.stored = true;
        stored.bytes = bytes.len() as u64;
        event = event
            .add_attribute("stored", "true")
            .add_attribute("digest", found);
    }
    state::save_upload(deps.storage, upload, &stored)?;
    Ok(Response::new().add_event(event))
}

fn publish_epoch(deps: DepsMut, now: u64, text: &str) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    // The risk table is not read (nor hashed to its root, which would cost more than a block
    // for a standard table): the instance needs only its root and the rates, which the digest
    // and so the signature cover.
    let (snapshot, signature) = read_public_snapshot(text, SNAPSHOT_FILE)
        .map_err(|e| ContractError::Snapshot(e.to_string()))?;
    accepted_profile(&config, snapshot.profile.name)?;
    let signature = signature.ok_or(ContractError::Unsigned)?;
    let key = digest_to_hex(&signature.publisher_key);
    if key != config.publisher_key {
        return Err(ContractError::OtherPublisher {
            found: key,
            expected: config.publisher_key,
        });
    }
    let digest = snapshot.digest();
    let verified = deps
        .api
        .ed25519_verify(
            &signing_message(&digest),
            &signature.signature,
            &signature.publisher_key,
        )
        .map_err(|_| ContractError::BadSignature)?;
    if !verified {
        return Err(ContractError::BadSignature);
    }
    if state::load_epoch(deps.storage, snapshot.epoch)?.is_some() {
        return Err(ContractError::EpochPublished(snapshot.epoch));
    }
    if snapshot.valid_until < now {
        return Err(ContractError::EpochOver {
            epoch: snapshot.epoch,
            valid_until: snapshot.valid_until,
            at: now,
        });
    }
    let info = EpochInfo {
        epoch: snapshot.epoch,
        profile: snapshot.profile.name.to_string(),
        snapshot_digest: digest_to_hex(&digest),
        valid_from: snapshot.valid_from,
        valid_until: snapshot.valid_until,
        published_at: now,
        // Stored without the table: what a registration reads back, at the cost of its bytes.
        snapshot: write_public_snapshot(&snapshot, Some(&signature)),
    };
    state::save_epoch(deps.storage, &info)?;
    let event = Event::new("zkmargin_publish_epoch")
        .add_attribute("epoch", info.epoch.to_string())
        .add_attribute("profile", info.profile)
        .add_attribute("snapshot_digest", info.snapshot_digest)
        .add_attribute("valid_from", info.valid_from.to_string())
        .add_attribute("valid_until", info.valid_until.to_string());
    Ok(Response::new().add_event(event))
}

/// A certificate checked against its published epoch: everything but the proof.
struct Checked {
    certificate: Certificate,
    digest: [u8; 32],
    profile: Profile,
    snapshot: Snapshot,
    nullifier: String,
}

/// Exact decoding, an accepted profile, a published epoch, the header against the snapshot
/// (at `at` when given: the freshness of a new registration) and the proof's length.
fn check_certificate(
    storage: &dyn Storage,
    config: &Config,
    bytes: &[u8],
    at: Option<u64>,
) -> Result<(Checked, zkmargin_circuits::instance::PublicStatement)> {
    let certificate = Certificate::decode(bytes).map_err(|e| ContractError::Rejected(e.into()))?;
    let profile = accepted_profile(config, &certificate.profile)?;
    let epoch = state::load_epoch(storage, certificate.epoch)?
        .ok_or(ContractError::EpochNotPublished(certificate.epoch))?;
    let (snapshot, _) = read_public_snapshot(&epoch.snapshot, SNAPSHOT_FILE)
        .map_err(|e| ContractError::Storage(e.to_string()))?;
    // A challenge comes after the epoch may have ended: it judges the proof, not the time.
    let at = at.unwrap_or(snapshot.valid_from);
    check_header(&certificate, &snapshot, MIN_LEVEL_PPM, at)?;
    let statement = rebuild_statement(&certificate, &snapshot)?;
    let nullifier = fp_to_hex(&statement.nullifier);
    let digest = Certificate::digest_of(bytes);
    Ok((
        Checked {
            certificate,
            digest,
            profile,
            snapshot,
            nullifier,
        },
        statement,
    ))
}

/// The proof, against the stored verifying key and verifier parameters and the statement
/// rebuilt from the snapshot.
fn verify_proof(
    storage: &dyn Storage,
    checked: &Checked,
    statement: &zkmargin_circuits::instance::PublicStatement,
) -> Result<()> {
    let params = stored_params(storage, checked.profile.k)?;
    let vk = stored_key(storage, checked.profile)?;
    verify_statement_with(&params, &vk, &checked.certificate.proof, statement)?;
    Ok(())
}

/// The bytes of a complete upload.
fn stored_bytes(storage: &dyn Storage, upload: Upload) -> Result<Vec<u8>> {
    let stored = state::load_upload(storage, upload)?
        .filter(|u| u.stored)
        .ok_or_else(|| ContractError::NotStored(upload.to_string()))?;
    state::load_upload_bytes(storage, upload, stored.count)
}

/// The verifier parameters of size `k` (their digest checked at upload; the points are checked
/// to be on the curve as they are read, not decompressed).
fn stored_params(storage: &dyn Storage, k: u32) -> Result<VerifierParams> {
    let bytes = stored_bytes(storage, Upload::Params(k))?;
    VerifierParams::read(&bytes).map_err(|e| ContractError::KeySetup(e.to_string()))
}

/// A profile's verifying key, read from its stored file: `configure`, the domain and the
/// selectors compressed with the stored bitmaps, no column committed. The file's digest is
/// checked again here (5.7 KB for small, negligible gas); the key's pinned form is not
/// recomputed (a `format!("{:#?}")` of the whole key: code and gas the contract cannot spare),
/// the file digest standing for it (`verifier/tests/keys.rs` shows the file reads to the pinned
/// key).
fn stored_key(storage: &dyn Storage, profile: Profile) -> Result<MarginVerifyingKey> {
    let bytes = stored_bytes(storage, Upload::Key(profile.name))?;
    read_key_file(profile, &bytes).map_err(|e| ContractError::KeySetup(e.to_string()))
}

fn register(
    deps: DepsMut,
    now: u64,
    sender: &Addr,
    bytes: &[u8],
    bond: Option<Coin>,
) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    let (checked, statement) = check_certificate(deps.storage, &config, bytes, Some(now))?;
    if let Some(held) = state::load_registration(deps.storage, &checked.nullifier)? {
        if held.status != Status::Voided {
            let what = if held.certificate == digest_to_hex(&checked.digest) {
                "this certificate"
            } else {
                "another certificate"
            };
            return Err(ContractError::NullifierTaken {
                nullifier: checked.nullifier,
                status: status_text(held.status).into(),
                what,
            });
        }
    }
    let status = if bond.is_some() {
        Status::Pending
    } else {
        verify_proof(deps.storage, &checked, &statement)?;
        Status::Verified
    };
    let registration = Registration {
        nullifier: checked.nullifier.clone(),
        epoch: checked.certificate.epoch,
        profile: checked.profile.name.to_string(),
        certificate: digest_to_hex(&checked.digest),
        level_ppm: checked.certificate.level_ppm,
        commitments: statement.commitments.iter().map(fp_to_hex).collect(),
        status,
        registrant: sender.clone(),
        registered_at: now,
        valid_until: checked.snapshot.valid_until,
        bond,
        challenger: None,
    };
    state::save_registration(deps.storage, &registration)?;
    let kind = if status == Status::Pending {
        "zkmargin_register_optimistic"
    } else {
        "zkmargin_register"
    };
    let event = Event::new(kind)
        .add_attribute("nullifier", registration.nullifier)
        .add_attribute("epoch", registration.epoch.to_string())
        .add_attribute("certificate", registration.certificate)
        .add_attribute("level_ppm", registration.level_ppm.to_string())
        .add_attribute("status", status_text(status))
        .add_attribute("registrant", sender.as_str());
    Ok(Response::new().add_event(event))
}

fn challenge(deps: DepsMut, challenger: &Addr, bytes: &[u8]) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    let (checked, statement) = check_certificate(deps.storage, &config, bytes, None)?;
    let mut registration = state::load_registration(deps.storage, &checked.nullifier)?
        .ok_or_else(|| ContractError::NotRegistered(checked.nullifier.clone()))?;
    if registration.certificate != digest_to_hex(&checked.digest) {
        return Err(ContractError::OtherCertificate(checked.nullifier));
    }
    if registration.status != Status::Pending {
        return Err(ContractError::NotPending {
            nullifier: checked.nullifier,
            status: status_text(registration.status).into(),
        });
    }
    let bond = registration.bond.take();
    let (outcome, paid_to) = match verify_proof(deps.storage, &checked, &statement) {
        Ok(()) => {
            registration.status = Status::Verified;
            ("valid", registration.registrant.clone())
        }
        Err(ContractError::Rejected(_)) => {
            registration.status = Status::Voided;
            registration.challenger = Some(challenger.clone());
            ("voided", challenger.clone())
        }
        // The registry's own trouble (parameters not stored) voids nothing.
        Err(other) => return Err(other),
    };
    state::save_registration(deps.storage, &registration)?;
    let mut event = Event::new("zkmargin_challenge")
        .add_attribute("nullifier", &registration.nullifier)
        .add_attribute("certificate", &registration.certificate)
        .add_attribute("outcome", outcome)
        .add_attribute("challenger", challenger.as_str());
    let mut response = Response::new();
    if let Some(bond) = bond {
        event = event
            .add_attribute("bond", bond.to_string())
            .add_attribute("bond_to", paid_to.as_str());
        response = response.add_message(BankMsg::Send {
            to_address: paid_to.to_string(),
            amount: vec![bond],
        });
    }
    Ok(response.add_event(event))
}

fn withdraw_bond(deps: DepsMut, now: u64, sender: &Addr, nullifier: &str) -> Result<Response> {
    let config = state::load_config(deps.storage)?;
    let nullifier = canonical_nullifier(nullifier)?;
    let mut registration = state::load_registration(deps.storage, &nullifier)?
        .ok_or_else(|| ContractError::NotRegistered(nullifier.clone()))?;
    if registration.status != Status::Pending {
        return Err(ContractError::NotPending {
            nullifier,
            status: status_text(registration.status).into(),
        });
    }
    if registration.registrant != *sender {
        return Err(ContractError::NotRegistrant);
    }
    let until = registration
        .valid_until
        .saturating_add(config.challenge_seconds);
    if now <= until {
        return Err(ContractError::ChallengeOpen { until, at: now });
    }
    registration.status = Status::Unchallenged;
    let bond = registration.bond.take();
    state::save_registration(deps.storage, &registration)?;
    let mut response = Response::new().add_event(
        Event::new("zkmargin_withdraw_bond")
            .add_attribute("nullifier", &registration.nullifier)
            .add_attribute("registrant", sender.as_str()),
    );
    if let Some(bond) = bond {
        response = response.add_message(BankMsg::Send {
            to_address: sender.to_string(),
            amount: vec![bond],
        });
    }
    Ok(response)
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Verified => "verified",
        Status::Pending => "pending",
        Status::Unchallenged => "unchallenged",
        Status::Voided => "voided",
    }
}

/// A nullifier as `fp_to_hex` writes it (`0x`, 64 lower-case hex digits, canonical).
fn canonical_nullifier(text: &str) -> Result<String> {
    let fp = fp_from_hex(text).ok_or_else(|| {
        ContractError::BadMessage(format!(
            "nullifier {text:?} is not 0x and 64 lower-case hex digits of a field element"
        ))
    })?;
    Ok(fp_to_hex(&fp))
}

fn upload_response(storage: &dyn Storage, upload: Upload) -> Result<UploadResponse> {
    let state = state::load_upload(storage, upload)?;
    Ok(UploadResponse {
        upload: upload.to_string(),
        count: state.as_ref().map_or(0, |u| u.count),
        received: state.as_ref().map_or(0, |u| u.received.len() as u32),
        stored: state.as_ref().is_some_and(|u| u.stored),
        pinned_digest: pinned_upload_digest(upload).ok().map(str::to_string),
        bytes: state.as_ref().map_or(0, |u| u.bytes),
    })
}

#[entry_point]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&state::load_config(deps.storage)?)?,
        QueryMsg::Params { k } => {
            let upload = Upload::Params(k);
            // Decoded once stored, to show the stored bytes are usable parameters of this size.
            let answer = upload_response(deps.storage, upload)?;
            if answer.stored {
                let params = stored_params(deps.storage, k)?;
                if params.k() != k {
                    return Err(ContractError::KeySetup(format!(
                        "the stored parameters have k = {}",
                        params.k()
                    )));
                }
            }
            to_json_binary(&answer)?
        }
        QueryMsg::Key { profile } => {
            let known = Profile::by_name(&profile)
                .ok_or_else(|| ContractError::BadMessage(format!("no profile {profile:?}")))?;
            let answer = upload_response(deps.storage, Upload::Key(known.name))?;
            if answer.stored {
                stored_key(deps.storage, known)?;
            }
            to_json_binary(&answer)?
        }
        QueryMsg::Epoch { epoch } => to_json_binary(&EpochResponse {
            epoch: state::load_epoch(deps.storage, epoch)?,
        })?,
        QueryMsg::Certificate { nullifier } => {
            let nullifier = canonical_nullifier(&nullifier)?;
            to_json_binary(&CertificateResponse {
                registration: state::load_registration(deps.storage, &nullifier)?,
                frozen: state::load_freeze(deps.storage, &nullifier)?,
                nullifier,
            })?
        }
        QueryMsg::Freezes { after, limit } => {
            let last = state::last_freeze(deps.storage)?;
            let limit = u64::from(limit.clamp(1, MAX_FREEZES_ANSWERED));
            let mut freezes = vec![];
            for sequence in after.saturating_add(1)..=last.min(after.saturating_add(limit)) {
                let nullifier = state::logged_freeze(deps.storage, sequence)?;
                let freeze = state::load_freeze(deps.storage, &nullifier)?.ok_or_else(|| {
                    ContractError::Storage(format!("the freeze of {nullifier} is missing"))
                })?;
                freezes.push(LoggedFreeze {
                    sequence,
                    nullifier,
                    freeze,
                });
            }
            to_json_binary(&FreezesResponse { freezes, last })?
        }
    };
    Ok(binary)
}
