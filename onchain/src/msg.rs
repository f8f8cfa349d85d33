//! The contract's messages and answers (JSON, as every CosmWasm client sends them).

use cosmwasm_std::{Addr, Binary, Coin};
use serde::{Deserialize, Serialize};

/// Instantiation: who publishes epochs, which profiles the registry takes, who uploads the
/// parameters, and the bond of an optimistic registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// The risk publisher's Ed25519 public key, 64 hex digits (its `publisher.pub`).
    pub publisher_key: String,
    /// The accepted profiles by name (`"small"`, `"standard"`, ...); each needs pinned
    /// parameters and a pinned verifying key in the verifier crate this contract was built with.
    pub profiles: Vec<String>,
    /// May upload the verifier's parameters and the verifying keys; the sender when absent.
    pub admin: Option<String>,
    /// What `register_optimistic` must send, exactly (paid to a successful challenger).
    pub bond: Coin,
    /// How long after its epoch's `valid_until` an unchallenged optimistic registration stays
    /// open to challenge before its registrant may withdraw the bond, seconds.
    pub challenge_seconds: u64,
    /// The venues' addresses that may freeze a nullifier (`freeze`); none when left out.
    #[serde(default)]
    pub venues: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// One chunk of the verifier's parameters of size `k` (the file `verifier-params-k{k}.bin`
    /// of the parameter cache, cut in `count` chunks; admin only). When the last missing chunk
    /// arrives, the whole is checked against the verifier crate's pinned BLAKE2b-256 digest for
    /// `k`; a mismatch refuses that chunk.
    StoreParams {
        k: u32,
        index: u32,
        count: u32,
        data: Binary,
    },
    /// One chunk of a profile's verifying key file (`verifier/keys/<profile>.vk`; admin only),
    /// checked whole against the verifier crate's pinned digest of that file, like the
    /// parameters.
    StoreKey {
        profile: String,
        index: u32,
        count: u32,
        data: Binary,
    },
    /// The publisher's signed `snapshot.json` (`zkmargin publish`): every public field of the
    /// epoch, `publisher_key` and `signature` over its digest. One per epoch. Its `risk_table`
    /// may be left out (the digest covers the table's root, which is all a proof is checked
    /// against); when present it is neither read nor stored.
    PublishEpoch { snapshot: String },
    /// A certificate file's bytes, verified here (proof included).
    Register { certificate: Binary },
    /// A certificate file's bytes with the bond: every check but the proof's; the proof is
    /// verified only if someone challenges it.
    RegisterOptimistic { certificate: Binary },
    /// The bytes of a pending optimistic registration (as its transaction carried them): the
    /// proof is verified; an invalid one is voided and the bond paid to the challenger, a valid
    /// one becomes verified and its bond goes back to the registrant.
    Challenge { certificate: Binary },
    /// The registrant takes back the bond of an unchallenged registration once the challenge
    /// period after its epoch has passed.
    WithdrawBond { nullifier: String },
    /// A listed venue liquidated the trader of a registered nullifier: every venue reading
    /// the registry refuses that trader's new orders for the rest of the epoch (DESIGN's
    /// freeze, across venues that share no database). `reason`: 1 to 128 characters, no
    /// control characters. Idempotent: a nullifier already frozen keeps its first freeze.
    Freeze { nullifier: String, reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    Config {},
    /// The upload state of the verifier's parameters of size `k`; once stored, they are
    /// decoded to show they are usable.
    Params {
        k: u32,
    },
    /// The upload state of a profile's verifying key; once stored, it is read to show it is
    /// usable.
    Key {
        profile: String,
    },
    /// A published epoch (`epoch: null` in the answer when it is not published).
    Epoch {
        epoch: u64,
    },
    /// What the registry holds for a nullifier (`0x` and 64 hex digits, as in grant files and
    /// `zkmargin certify`'s output); `registration: null` when nothing.
    Certificate {
        nullifier: String,
    },
    /// The freezes in the order they were made, from the one after `after` (0: from the
    /// first), at most `limit` (at most 100): what a venue's gateway follows
    /// (`zkmargin-gateway --registry-url`) to refuse a frozen trader's orders.
    Freezes {
        after: u64,
        limit: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigResponse {
    pub publisher_key: String,
    pub profiles: Vec<String>,
    pub admin: Addr,
    pub bond: Coin,
    pub challenge_seconds: u64,
    /// Who may `freeze`.
    pub venues: Vec<Addr>,
}

/// The answer to `params {k}` and `key {profile}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// What it is: "the verifier parameters of size k = 12", "the verifying key of profile
    /// small".
    pub upload: String,
    /// Chunks announced by the first upload (0 before any).
    pub count: u32,
    pub received: u32,
    /// All chunks in and their digest equal to the pinned one.
    pub stored: bool,
    /// The pinned digest the chunks are checked against.
    pub pinned_digest: Option<String>,
    /// Size in bytes of what is stored.
    pub bytes: u64,
}

/// A published epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochInfo {
    pub epoch: u64,
    pub profile: String,
    /// BLAKE2b-256 of the snapshot's canonical encoding, hex (what certificates name).
    pub snapshot_digest: String,
    pub valid_from: u64,
    pub valid_until: u64,
    /// Block time of publication.
    pub published_at: u64,
    /// The signed `snapshot.json` as published, without its risk table (`write_public_snapshot`:
    /// the digest, the roots, the rates and the signature are there; a venue that evaluates
    /// margins takes the table from the publisher and checks it against `roots.risk_table`).
    pub snapshot: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochResponse {
    pub epoch: Option<EpochInfo>,
}

/// Where a registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The proof was verified in the contract (at registration or by a failed challenge).
    Verified,
    /// Registered with a bond, not verified; open to challenge.
    Pending,
    /// Registered with a bond and never challenged: the bond was withdrawn after the challenge
    /// period. Final, never verified.
    Unchallenged,
    /// An optimistic registration whose proof failed its challenge: void, and the nullifier free.
    Voided,
}

/// What the registry holds for one nullifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub nullifier: String,
    pub epoch: u64,
    pub profile: String,
    /// BLAKE2b-256 of the certificate file's bytes, hex: the name grants and ledgers use.
    pub certificate: String,
    pub level_ppm: u64,
    /// The certificate's credit-line commitments, one per venue slot (`0x` hex).
    pub commitments: Vec<String>,
    pub status: Status,
    pub registrant: Addr,
    /// Block time of registration.
    pub registered_at: u64,
    /// The epoch's end: the lines lapse then.
    pub valid_until: u64,
    /// The bond of an optimistic registration, while held.
    pub bond: Option<Coin>,
    /// Who voided it, if a challenge did.
    pub challenger: Option<Addr>,
}

/// A nullifier's freeze: the venue that liquidated its trader, why, and when (block time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Freeze {
    pub venue: Addr,
    pub reason: String,
    pub frozen_at: u64,
}

/// One freeze in the registry's log: its place (from 1), the nullifier and the freeze.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedFreeze {
    pub sequence: u64,
    pub nullifier: String,
    pub freeze: Freeze,
}

/// The answer to `freezes {after, limit}`: `last` is the log's last sequence number, so a
/// follower knows whether it has seen everything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreezesResponse {
    pub freezes: Vec<LoggedFreeze>,
    pub last: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateResponse {
    pub nullifier: String,
    pub registration: Option<Registration>,
    /// The freeze that stands for this nullifier, if a venue froze it.
    #[serde(default)]
    pub frozen: Option<Freeze>,
}
