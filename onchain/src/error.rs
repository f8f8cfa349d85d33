//! Every refusal of the contract, with its reason. A refused message changes nothing (the
//! chain reverts the transaction) and its error text is what the sender sees.

use zkmargin_verifier::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("bad message: {0}")]
    BadMessage(String),
    #[error("only the admin may {0}")]
    Unauthorized(&'static str),
    #[error("freeze refused: {0} is not a venue of this registry")]
    NotAVenue(String),
    #[error("{0}")]
    Funds(String),
    #[error("profile {0:?} is not accepted by this registry")]
    ProfileNotAccepted(String),
    #[error("profile {0:?} cannot be accepted: {1}")]
    ProfileUnusable(String, String),
    #[error("no digest is pinned in this build for {0}")]
    Unpinned(String),
    #[error("already stored: {0}")]
    AlreadyStored(String),
    #[error("upload chunk refused: {0}")]
    UploadChunk(String),
    #[error("{what} has digest {found}, not the pinned {pinned}: a chunk is wrong")]
    UploadDigest {
        what: String,
        found: String,
        pinned: String,
    },
    #[error("not stored yet: {0}")]
    NotStored(String),
    #[error("the stored verifier parameters or key cannot be used: {0}")]
    KeySetup(String),
    #[error("snapshot refused: {0}")]
    Snapshot(String),
    #[error("snapshot refused: it is unsigned")]
    Unsigned,
    #[error("snapshot refused: signed by {found}, not by the registry's publisher {expected}")]
    OtherPublisher { found: String, expected: String },
    #[error("snapshot refused: the publisher's signature does not verify over its digest")]
    BadSignature,
    #[error("snapshot refused: epoch {0} is already published")]
    EpochPublished(u64),
    #[error("snapshot refused: epoch {epoch} expired at {valid_until} (now {at})")]
    EpochOver {
        epoch: u64,
        valid_until: u64,
        at: u64,
    },
    #[error("certificate refused: epoch {0} is not published")]
    EpochNotPublished(u64),
    #[error("certificate refused: {0}")]
    Rejected(#[from] Rejection),
    #[error(
        "certificate refused: nullifier {nullifier} is already registered ({status}) with {what}"
    )]
    NullifierTaken {
        nullifier: String,
        status: String,
        what: &'static str,
    },
    #[error("nothing is registered for nullifier {0}")]
    NotRegistered(String),
    #[error(
        "challenge refused: the registration of nullifier {nullifier} is {status}, not pending"
    )]
    NotPending { nullifier: String, status: String },
    #[error("challenge refused: these bytes are not the certificate registered for nullifier {0}")]
    OtherCertificate(String),
    #[error("bond refused: only the registrant may withdraw it")]
    NotRegistrant,
    #[error("bond refused: the registration is open to challenge until {until} (now {at})")]
    ChallengeOpen { until: u64, at: u64 },
    #[error("storage: {0}")]
    Storage(String),
}

impl From<cosmwasm_std::StdError> for ContractError {
    fn from(e: cosmwasm_std::StdError) -> ContractError {
        ContractError::Storage(e.to_string())
    }
}
