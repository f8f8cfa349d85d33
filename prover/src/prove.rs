//! Proof generation: from an account file and a snapshot to a checked proof envelope.
//!
//! The reference engine values the book first; an insolvent book is refused before any proving
//! (the circuit would not be satisfiable anyway, and the trader deserves the margin report, not
//! a halo2 error). Then the witness is padded to the profile, the statement built exactly as a
//! venue will rebuild it, a real Halo2 proof created, and the proof verified against the pinned
//! verifying key before it is handed out: [`prove`] returns the whole answer ([`Proved`]).

use ff::PrimeField;
use halo2_proofs::plonk::create_proof;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use rand_core::UnwrapErr;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::hash::{account_tag, Fp};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{self, MarginError, Order, Position, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::AccountWitness;
use zkmargin_verifier::envelope::{Envelope, VERSION};
use zkmargin_verifier::verify::Rejection;

use crate::keys::{ProverKeys, ProvingKeyError};
use crate::progress::Stage;
use zkmargin_formats::account::Account;

/// A proof and everything the trader needs to know about it.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof file's contents (`envelope.encode()` is what is written).
    pub envelope: Envelope,
    /// The public statement the proof shows, as the venue will rebuild it.
    pub statement: PublicStatement,
    /// The margin report of the book (with the order) at the proven level.
    pub report: Report,
    /// The account tag at the venue (the trader registers it there once).
    pub tag: Fp,
}

/// Why no proof was made. [`ProveError::is_internal`] tells the trader's mistakes (an
/// insolvent book, a book or account file that does not fit the snapshot) from failures that
/// are not the input's (keys, halo2, a proof that fails its own check).
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error("the book is insolvent: equity {equity} uusd < requirement {requirement} uusd")]
    Insolvent {
        equity: i128,
        requirement: u128,
        report: Box<Report>,
    },
    #[error("the book cannot be valued: {0}")]
    Margin(#[from] MarginError),
    #[error("the account file is for profile {account}, the snapshot is profile {snapshot}")]
    Profile { account: String, snapshot: String },
    #[error(transparent)]
    Keys(#[from] ProvingKeyError),
    #[error("proving failed: {0:?}")]
    Proof(halo2_proofs::plonk::Error),
    #[error("the new proof does not pass its own check ({0}); it was not handed out")]
    SelfCheck(Rejection),
}

impl ProveError {
    /// Whether the failure is not the input's fault (a bug or a broken installation).
    pub fn is_internal(&self) -> bool {
        match self {
            ProveError::Insolvent { .. } | ProveError::Margin(_) | ProveError::Profile { .. } => {
                false
            }
            ProveError::Keys(_) | ProveError::Proof(_) | ProveError::SelfCheck(_) => true,
        }
    }
}

/// The account's witness, padded to its profile.
pub fn witness_of(account: &Account) -> AccountWitness {
    AccountWitness::padded(
        account.profile,
        account.sk,
        account.idx,
        &account.book,
        &account.chain_openings,
        &account.venue_openings,
    )
}

/// The order at a venue, if any.
pub fn order_at(venue_index: usize, order: Option<Position>) -> Option<Order> {
    order.map(|position| Order {
        venue: venue_index,
        position,
    })
}

/// The margin report of the account's book (with the order) at a level.
pub fn margin_report(
    snapshot: &Snapshot,
    account: &Account,
    venue_index: Option<usize>,
    level_ppm: u64,
    order: Option<Position>,
) -> Result<Report, MarginError> {
    let order = match (venue_index, order) {
        (Some(v), Some(position)) => Some(Order { venue: v, position }),
        _ => None,
    };
    margin::evaluate(
        &snapshot.risk_params(),
        &account.book,
        order.as_ref(),
        level_ppm,
    )
}

/// The statement a venue will check.
pub fn statement(
    snapshot: &Snapshot,
    account: &Account,
    venue_index: usize,
    level_ppm: u64,
    order: Option<Position>,
) -> Result<PublicStatement, MarginError> {
    let tag = account_tag(
        account.sk,
        snapshot.venues.get(venue_index).map_or(0, |v| v.id),
    );
    PublicStatement::new(
        snapshot,
        venue_index,
        tag,
        level_ppm,
        order_at(venue_index, order).as_ref(),
    )
}

/// A real proof of `statement` from `witness`, as bytes.
pub fn proof_bytes(
    keys: &ProverKeys,
    statement: &PublicStatement,
    witness: &AccountWitness,
) -> Result<Vec<u8>, ProveError> {
    let circuit = MarginCircuit::new(statement.clone(), witness.clone());
    proof_bytes_for_circuit(keys, &circuit, statement)
}

/// A real proof of any margin circuit (the dishonest-prover tests feed tampered ones).
pub fn proof_bytes_for_circuit(
    keys: &ProverKeys,
    circuit: &MarginCircuit,
    statement: &PublicStatement,
) -> Result<Vec<u8>, ProveError> {
    let instance = statement.to_instance();
    let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
    let rng = UnwrapErr(rand::rngs::SysRng);
    create_proof(
        keys.params(),
        &keys.pk,
        std::slice::from_ref(circuit),
        &[&[&instance]],
        rng,
        &mut transcript,
    )
    .map_err(ProveError::Proof)?;
    Ok(transcript.finalize())
}

/// Values the book, refuses an insolvent one, proves the rest, and verifies the new proof
/// with the verifying key before returning it.
pub fn prove(
    snapshot: &Snapshot,
    account: &Account,
    venue_index: usize,
    level_ppm: u64,
    order: Option<Position>,
) -> Result<Proved, ProveError> {
    if account.profile != snapshot.profile {
        return Err(ProveError::Profile {
            account: account.profile.name.to_string(),
            snapshot: snapshot.profile.name.to_string(),
        });
    }
    let report = margin_report(snapshot, account, Some(venue_index), level_ppm, order)?;
    if !report.solvent {
        return Err(ProveError::Insolvent {
            equity: report.equity,
            requirement: report.requirement,
            report: Box::new(report),
        });
    }
    let statement = statement(snapshot, account, venue_index, level_ppm, order)?;
    let keys = ProverKeys::for_profile(snapshot.profile)?;
    let stage = Stage::start(format!("proving (profile {})", snapshot.profile.name));
    let proof = proof_bytes(&keys, &statement, &witness_of(account))?;
    stage.finish(format!("proof of {} bytes", proof.len()));
    // Never hand out a proof a venue would refuse.
    keys.verifier
        .verify_statement(&proof, &statement)
        .map_err(ProveError::SelfCheck)?;
    let envelope = Envelope {
        version: VERSION,
        profile: snapshot.profile.name.to_string(),
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        venue_id: statement.venue_id(),
        account_tag: statement.account_tag.to_repr(),
        level_ppm,
        order: statement.order,
        proof,
    };
    Ok(Proved {
        envelope,
        tag: statement.account_tag,
        statement,
        report,
    })
}
