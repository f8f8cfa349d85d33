//! Certificates: from an account file and a snapshot to a checked margin certificate and its
//! grants, and the one-order certificate of `prove --order`.
//!
//! The reference engine values the book first; lines that do not fit the headroom are refused
//! before any proving (the circuit would not be satisfiable anyway, and the trader deserves the
//! margin report and the excess, not a halo2 error). Then the witness is padded to the profile
//! with one fresh random salt per line, the statement built exactly as a venue will rebuild
//! it, a real Halo2 proof created, and every venue's grant verified against the new
//! certificate with the pinned verifying key before any of it is handed out: [`certify`]
//! returns the whole answer ([`Certified`]), [`prove`] the one-order proof file ([`Proved`]).

use ff::{Field, PrimeField};
use halo2_proofs::plonk::create_proof;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255};
use pasta_curves::vesta;
use rand_core::UnwrapErr;
use zkmargin_circuits::charge::default_order_charge;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::hash::{account_tag, risk_tree, Fp};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{self, LinesError, MarginError, Order, Position, Report};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::witness::{AccountWitness, LineSecret};
use zkmargin_formats::certificate::{Certificate, CERTIFICATE_VERSION};
use zkmargin_formats::grant::Grant;
use zkmargin_verifier::envelope::Envelope;
use zkmargin_verifier::verify::{Expectation, Rejection};

use crate::keys::{ProverKeys, ProvingKeyError};
use crate::progress::Stage;
use zkmargin_formats::account::Account;

/// A certificate and everything the trader needs to know about it.
#[derive(Clone, Debug)]
pub struct Certified {
    /// The certificate file's bytes (`certificate.zkm`).
    pub bytes: Vec<u8>,
    pub certificate: Certificate,
    /// One grant per listed venue, in the snapshot's order (a zero line is a grant too: every
    /// venue can verify that it holds nothing).
    pub grants: Vec<Grant>,
    /// The public statement the certificate shows, as a venue will rebuild it.
    pub statement: PublicStatement,
    /// The margin report of the book at the certified level.
    pub report: Report,
    /// What the lines leave of the headroom, uusd.
    pub left: u128,
}

/// The one-order proof file and what the trader needs to know about it.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof file's contents (`envelope.encode()` is what is written).
    pub envelope: Envelope,
    /// The public statement the proof shows, as the venue will rebuild it.
    pub statement: PublicStatement,
    /// The margin report of the book with the order at the proven level (as `check --order`).
    pub report: Report,
    /// The account tag at the venue (the trader registers it there once).
    pub tag: Fp,
    /// The order's charge: the certificate's line at the venue, uusd.
    pub charge: u128,
}

/// Why no proof was made. [`ProveError::is_internal`] tells the trader's mistakes (an
/// insolvent book, a book or account file that does not fit the snapshot) from failures that
/// are not the input's (keys, halo2, a proof that fails its own check).
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error(
        "the lines exceed the headroom by {by} uusd (equity {equity} uusd, requirement \
         {requirement} uusd, lines {lines} uusd)"
    )]
    OverHeadroom {
        by: u128,
        equity: i128,
        requirement: u128,
        lines: u128,
        report: Box<Report>,
    },
    #[error("a credit line of {0} uusd is not below 2^100")]
    LineTooLarge(u128),
    #[error("{given} lines for a snapshot of {venues} venues")]
    LineCount { given: usize, venues: usize },
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
            ProveError::OverHeadroom { .. }
            | ProveError::LineTooLarge(_)
            | ProveError::LineCount { .. }
            | ProveError::Margin(_)
            | ProveError::Profile { .. } => false,
            ProveError::Keys(_) | ProveError::Proof(_) | ProveError::SelfCheck(_) => true,
        }
    }
}

/// The account's witness, padded to its profile, every held slot opening its instrument's row
/// of the snapshot's risk table (an instrument the table does not list is an error: the book
/// cannot be proved).
pub fn witness_of(snapshot: &Snapshot, account: &Account) -> Result<AccountWitness, MarginError> {
    let tree = risk_tree(&snapshot.risk_table, snapshot.profile.risk_depth);
    AccountWitness::padded(
        account.profile,
        account.sk,
        account.idx,
        &account.book,
        &account.chain_openings,
        &account.venue_openings,
    )
    .with_risk_openings(&snapshot.risk_table, &tree)
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

/// One venue's line as the trader asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRequest {
    /// This many uusd.
    Amount(u128),
    /// All the headroom the other lines leave (`--allow VENUE=max`).
    Rest,
}

/// The lines of `requests` (one per listed venue; `None`: no line) under `report`'s headroom.
/// The venue asking for the rest gets what the fixed lines leave, or 0 when they leave nothing
/// ([`certify`] then refuses the fixed lines, saying by how much they exceed the headroom).
pub fn allocate(report: &Report, requests: &[Option<LineRequest>]) -> Vec<u128> {
    let fixed: u128 = requests
        .iter()
        .map(|r| match r {
            Some(LineRequest::Amount(a)) => *a,
            _ => 0,
        })
        .fold(0u128, u128::saturating_add);
    let rest = u128::try_from(report.headroom)
        .unwrap_or(0)
        .saturating_sub(fixed);
    requests
        .iter()
        .map(|r| match r {
            Some(LineRequest::Amount(a)) => *a,
            Some(LineRequest::Rest) => rest,
            None => 0,
        })
        .collect()
}

/// Values the book, refuses lines that do not fit its headroom, proves the certificate, and
/// verifies every grant against it before returning. `allowances[v]` is the line of the
/// snapshot's venue `v`, uusd (one per listed venue).
pub fn certify(
    snapshot: &Snapshot,
    account: &Account,
    level_ppm: u64,
    allowances: &[u128],
) -> Result<Certified, ProveError> {
    if account.profile != snapshot.profile {
        return Err(ProveError::Profile {
            account: account.profile.name.to_string(),
            snapshot: snapshot.profile.name.to_string(),
        });
    }
    if allowances.len() != snapshot.venues.len() {
        return Err(ProveError::LineCount {
            given: allowances.len(),
            venues: snapshot.venues.len(),
        });
    }
    let report = margin_report(snapshot, account, None, level_ppm, None)?;
    let left = margin::lines_fit(&report, allowances).map_err(|e| match e {
        LinesError::LineTooLarge(line) => ProveError::LineTooLarge(line),
        LinesError::OverHeadroom { by } => ProveError::OverHeadroom {
            by,
            equity: report.equity,
            requirement: report.requirement,
            lines: allowances.iter().sum(),
            report: Box::new(report.clone()),
        },
    })?;
    // Fresh salts: they hide each line from every venue but its own.
    let mut rng = UnwrapErr(rand::rngs::SysRng);
    let lines: Vec<LineSecret> = allowances
        .iter()
        .map(|&allowance| LineSecret {
            allowance,
            salt: Fp::random(&mut rng),
        })
        .collect();
    let witness = witness_of(snapshot, account)?.with_lines(&lines);
    let statement = PublicStatement::certifying(snapshot, &witness, level_ppm);
    let keys = ProverKeys::for_profile(snapshot.profile)?;
    let stage = Stage::start(format!("certifying (profile {})", snapshot.profile.name));
    let proof = proof_bytes(&keys, &statement, &witness)?;
    stage.finish(format!("proof of {} bytes", proof.len()));
    let certificate = Certificate {
        version: CERTIFICATE_VERSION,
        profile: snapshot.profile.name.to_string(),
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        level_ppm,
        nullifier: statement.nullifier.to_repr(),
        commitments: statement.commitments.iter().map(|c| c.to_repr()).collect(),
        proof,
    };
    let bytes = certificate.encode();
    let digest = Certificate::digest_of(&bytes);
    let grants: Vec<Grant> = snapshot
        .venues
        .iter()
        .zip(&lines)
        .map(|(venue, line)| Grant {
            venue: venue.name.clone(),
            venue_id: venue.id,
            tag: account_tag(account.sk, venue.id),
            allowance_uusd: line.allowance,
            salt: line.salt,
            nullifier: statement.nullifier,
            certificate: digest,
        })
        .collect();
    // Never hand out a certificate or a grant a venue would refuse: the proof once, then each
    // grant's opening of its commitment.
    keys.verifier
        .verify_statement(&certificate.proof, &statement)
        .map_err(ProveError::SelfCheck)?;
    for (v, grant) in grants.iter().enumerate() {
        let expect = Expectation {
            snapshot,
            venue_index: v,
            tag: Some(grant.tag),
            min_level_ppm: level_ppm,
            at: snapshot.valid_from,
        };
        zkmargin_verifier::verify::check(&certificate, &digest, grant, &expect)
            .map_err(ProveError::SelfCheck)?;
    }
    Ok(Certified {
        bytes,
        certificate,
        grants,
        statement,
        report,
        left,
    })
}

/// The one-order certificate: a line of exactly the order's charge (filled at the snapshot
/// price, DESIGN.md's formula at `level_ppm`; 0 without an order) at venue `venue_index` and
/// none elsewhere, with that venue's grant inside the proof file.
pub fn prove(
    snapshot: &Snapshot,
    account: &Account,
    venue_index: usize,
    level_ppm: u64,
    order: Option<Position>,
) -> Result<Proved, ProveError> {
    let mut allowances = vec![0; snapshot.venues.len()];
    if venue_index >= allowances.len() {
        return Err(MarginError::UnknownVenue(venue_index).into());
    }
    let charge = match order {
        Some(position) => {
            let order = Order {
                venue: venue_index,
                position,
            };
            default_order_charge(&snapshot.risk_params(), &order, level_ppm)?.total
        }
        None => 0,
    };
    allowances[venue_index] = charge;
    let certified = certify(snapshot, account, level_ppm, &allowances)?;
    let report = margin_report(snapshot, account, Some(venue_index), level_ppm, order)?;
    let grant = &certified.grants[venue_index];
    Ok(Proved {
        envelope: Envelope::new(certified.bytes.clone(), grant),
        tag: grant.tag,
        statement: certified.statement,
        report,
        charge,
    })
}
