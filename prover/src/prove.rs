//! Proof generation: from an account file and a snapshot to a proof envelope.
//!
//! The reference engine values the book first; an insolvent book is refused before any proving
//! (the circuit would not be satisfiable anyway, and the trader deserves the report, not a
//! halo2 error). Then the witness is padded to the profile, the statement built exactly as a
//! venue will rebuild it, and a real Halo2 proof created.

use ff::PrimeField;
use halo2_proofs::plonk::create_proof;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use rand_core::UnwrapErr;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::hash::account_tag;
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{self, MarginError, Order, Position, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::AccountWitness;
use zkmargin_verifier::envelope::{Envelope, VERSION};

use crate::keys::{keys, Keys, KeysError};
use crate::progress::Stage;
use zkmargin_formats::account::Account;

/// Why no proof was made.
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
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error("the account file is for profile {account}, the snapshot is profile {snapshot}")]
    Profile { account: String, snapshot: String },
    #[error("proving failed: {0:?}")]
    Proof(halo2_proofs::plonk::Error),
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
pub fn report(
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
    keys: &Keys,
    statement: &PublicStatement,
    witness: &AccountWitness,
) -> Result<Vec<u8>, ProveError> {
    let circuit = MarginCircuit::new(statement.clone(), witness.clone());
    proof_bytes_for_circuit(keys, &circuit, statement)
}

/// A real proof of any margin circuit (the dishonest-prover tests feed tampered ones).
pub fn proof_bytes_for_circuit(
    keys: &Keys,
    circuit: &MarginCircuit,
    statement: &PublicStatement,
) -> Result<Vec<u8>, ProveError> {
    let instance = statement.to_instance();
    let mut transcript = Blake2bWrite::<_, vesta::Affine, Challenge255<_>>::init(vec![]);
    let rng = UnwrapErr(rand::rngs::SysRng);
    create_proof(
        &keys.params,
        &keys.pk,
        std::slice::from_ref(circuit),
        &[&[&instance]],
        rng,
        &mut transcript,
    )
    .map_err(ProveError::Proof)?;
    Ok(transcript.finalize())
}

/// Values the book, refuses an insolvent one, and proves the rest.
pub fn prove(
    snapshot: &Snapshot,
    account: &Account,
    venue_index: usize,
    level_ppm: u64,
    order: Option<Position>,
) -> Result<Envelope, ProveError> {
    if account.profile != snapshot.profile {
        return Err(ProveError::Profile {
            account: account.profile.name.to_string(),
            snapshot: snapshot.profile.name.to_string(),
        });
    }
    let valued = report(snapshot, account, Some(venue_index), level_ppm, order)?;
    if !valued.solvent {
        return Err(ProveError::Insolvent {
            equity: valued.equity,
            requirement: valued.requirement,
            report: Box::new(valued),
        });
    }
    let statement = statement(snapshot, account, venue_index, level_ppm, order)?;
    let keys = keys(snapshot.profile)?;
    let stage = Stage::start(format!("proving (profile {})", snapshot.profile.name));
    let proof = proof_bytes(&keys, &statement, &witness_of(account))?;
    stage.finish(format!("proof of {} bytes", proof.len()));
    Ok(Envelope {
        version: VERSION,
        profile: snapshot.profile.name.to_string(),
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        venue_id: statement.venue_id(),
        account_tag: statement.account_tag.to_repr(),
        level_ppm,
        order: statement.order,
        proof,
    })
}
