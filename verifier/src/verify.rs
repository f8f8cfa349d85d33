//! What a venue checks before it takes a margin certificate and its grant, in order:
//!
//! 1. the certificate decodes exactly (`zkmargin_formats::certificate`);
//! 2. its profile and epoch are the snapshot's, and its snapshot digest is the snapshot's;
//! 3. the snapshot is fresh: `valid_from <= at <= valid_until`;
//! 4. its level is in `[1e6, 1e7]` and at least the one the venue demands;
//! 5. the grant is for this venue, this certificate and its nullifier; its tag is the one the
//!    trader registered here (when given); its line is below `2^100`; and
//!    `H(5, tag, allowance, salt)` is the commitment at this venue's index;
//! 6. the proof has the exact length of a proof of this profile;
//! 7. the venue rebuilds the instance itself from all of the above (never from the prover),
//!    and the proof verifies against the pinned verifying key.
//!
//! Every refusal is a typed [`Rejection`] whose message says why. [`check`] runs steps 2 to 6
//! and returns the statement with the credit line the venue may take into its ledger;
//! [`VerifierKeys::verify`] runs all seven, [`VerifierKeys::verify_certificates`] many at once
//! (one batch for the proofs, single verification to name a bad one).
//!
//! A one-order proof file (`prove --order`) is a certificate with that venue's grant inside
//! (`envelope`); [`order_within_line`] is the venue's last check of it: the order's charge fits
//! the line.

#[cfg(feature = "batch")]
use halo2_proofs::plonk::BatchVerifier;
use halo2_proofs::plonk::{verify_proof, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Challenge255};
use pasta_curves::vesta;
use zkmargin_circuits::charge::default_order_charge;
use zkmargin_circuits::hash::{credit_commitment, fp_to_hex, Fp};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{MarginError, Order, Position};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{LINE_BITS, MAX_LEVEL_PPM, MIN_LEVEL_PPM};
use zkmargin_formats::certificate::{Certificate, CertificateError};
use zkmargin_formats::decimal::format_scaled;
use zkmargin_formats::grant::Grant;

use crate::envelope::EnvelopeError;
use crate::keys::{MarginVerifyingKey, VerifierKeys};
use crate::ledger::CreditLine;
use crate::verifier_params::VerifierParams;

/// Pinned proof length per profile, in bytes. A proof of a profile has a fixed shape, so any
/// other length is a truncated or extended proof. `proof_lengths_are_pinned` in the prover crate
/// measures them.
pub const PINNED_PROOF_BYTES: &[(&str, usize)] = &[
    ("small", 4320),
    ("standard", 4480),
    ("large", 4608),
    ("desk", 4672),
];

/// The exact proof length of a profile.
pub fn pinned_proof_len(profile: &str) -> Option<usize> {
    PINNED_PROOF_BYTES
        .iter()
        .find(|(name, _)| *name == profile)
        .map(|(_, n)| *n)
}

/// What the venue expects of a certificate.
#[derive(Clone, Debug)]
pub struct Expectation<'a> {
    /// The snapshot the venue trusts.
    pub snapshot: &'a Snapshot,
    /// The venue's position in the snapshot.
    pub venue_index: usize,
    /// The tag the trader registered at this venue (`None`: the grant's tag, reported to the
    /// caller).
    pub tag: Option<Fp>,
    /// The least margin level the venue accepts, ppm.
    pub min_level_ppm: u64,
    /// The time of verification, unix seconds.
    pub at: u64,
}

/// Why a certificate, its grant or a proof file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("malformed proof file: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error("malformed certificate: {0}")]
    Certificate(#[from] CertificateError),
    #[error("the certificate is for profile {proof}, the snapshot is profile {snapshot}")]
    Profile { proof: String, snapshot: String },
    #[error("the certificate is for epoch {proof}, the snapshot is epoch {snapshot}")]
    Epoch { proof: u64, snapshot: u64 },
    #[error("the certificate was made against another snapshot (digest mismatch)")]
    Digest,
    #[error("the snapshot is not valid yet at {at} (valid from {valid_from})")]
    NotYetValid { at: u64, valid_from: u64 },
    #[error("the snapshot expired at {valid_until} (now {at})")]
    Expired { at: u64, valid_until: u64 },
    #[error("the grant is for venue id {grant}, this venue is id {expected}")]
    Venue { grant: u64, expected: u64 },
    #[error("the grant names venue {grant:?}, this venue is {expected:?}")]
    VenueName { grant: String, expected: String },
    #[error("the grant is for another certificate")]
    GrantCertificate,
    #[error("the grant names another nullifier than the certificate's")]
    GrantNullifier,
    #[error("the account tag {grant} is not the registered tag {expected}")]
    Tag { grant: String, expected: String },
    #[error("the certificate shows margin level {proof}, this venue requires {required}")]
    Level { proof: String, required: String },
    #[error("the certificate's level {0} ppm is outside [1e6, 1e7]")]
    LevelRange(u64),
    #[error("the grant's line of {0} uusd is not below 2^100")]
    LineRange(u128),
    #[error("the grant does not open the commitment at this venue's index")]
    Commitment,
    #[error("the order is not valid under the snapshot: {0}")]
    InvalidOrder(MarginError),
    #[error(
        "the order is an option that expired at {expiry}, before the time of verification {at}"
    )]
    OrderExpired { expiry: u64, at: u64 },
    #[error("the order's charge of {charge} uusd exceeds the line of {allowance} uusd")]
    OverLine { charge: u128, allowance: u128 },
    #[error("the proof has {found} bytes, a proof of profile {profile} has {expected}")]
    ProofLength {
        profile: String,
        expected: usize,
        found: usize,
    },
    #[error(
        "the proof does not verify: the book does not cover its margin and lines, or the \
         certificate was altered"
    )]
    Proof,
    /// The on-chain registry's answer for the certificate's nullifier does not show this
    /// certificate registered (`zkmargin verify --registry`).
    #[error("the on-chain registry {0}")]
    Registry(String),
}

/// A certificate a venue took: the statement it proves and the venue's credit line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub statement: PublicStatement,
    pub line: CreditLine,
}

fn level_text(ppm: u64) -> String {
    format!("{}x", format_scaled(ppm as i128, 6))
}

/// Steps 2 to 4 without a grant: the certificate's profile, epoch and snapshot digest are the
/// snapshot's, the snapshot is fresh at `at`, and the level is in `[1e6, 1e7]` and at least
/// `min_level_ppm`. What a registry that holds no grant checks (the on-chain adapter).
pub fn check_header(
    certificate: &Certificate,
    snapshot: &Snapshot,
    min_level_ppm: u64,
    at: u64,
) -> Result<(), Rejection> {
    if certificate.profile != snapshot.profile.name {
        return Err(Rejection::Profile {
            proof: certificate.profile.clone(),
            snapshot: snapshot.profile.name.to_string(),
        });
    }
    if certificate.epoch != snapshot.epoch {
        return Err(Rejection::Epoch {
            proof: certificate.epoch,
            snapshot: snapshot.epoch,
        });
    }
    if certificate.snapshot_digest != snapshot.digest() {
        return Err(Rejection::Digest);
    }
    if at < snapshot.valid_from {
        return Err(Rejection::NotYetValid {
            at,
            valid_from: snapshot.valid_from,
        });
    }
    if at > snapshot.valid_until {
        return Err(Rejection::Expired {
            at,
            valid_until: snapshot.valid_until,
        });
    }
    let level = certificate.level_ppm;
    if !(MIN_LEVEL_PPM..=MAX_LEVEL_PPM).contains(&level) {
        return Err(Rejection::LevelRange(level));
    }
    if level < min_level_ppm {
        return Err(Rejection::Level {
            proof: level_text(level),
            required: level_text(min_level_ppm),
        });
    }
    Ok(())
}

/// Step 6 and the statement: the proof has its profile's exact length, and the public inputs
/// are rebuilt from the snapshot and the certificate (never taken from the prover).
pub fn rebuild_statement(
    certificate: &Certificate,
    snapshot: &Snapshot,
) -> Result<PublicStatement, Rejection> {
    let nullifier = certificate
        .nullifier()
        .ok_or(CertificateError::NonCanonical("the nullifier"))?;
    let commitments = certificate
        .commitments()
        .ok_or(CertificateError::NonCanonical("a commitment"))?;
    let expected_len = pinned_proof_len(&certificate.profile).unwrap_or(0);
    if certificate.proof.len() != expected_len {
        return Err(Rejection::ProofLength {
            profile: certificate.profile.clone(),
            expected: expected_len,
            found: certificate.proof.len(),
        });
    }
    PublicStatement::new(snapshot, certificate.level_ppm, nullifier, commitments).map_err(|e| {
        Rejection::Certificate(CertificateError::Commitments {
            expected: e.expected,
            found: e.got,
        })
    })
}

/// Steps 2 to 6: checks a decoded certificate (`digest`: the BLAKE2b-256 of its file) and the
/// grant against the expectation, and rebuilds the statement.
pub fn check(
    certificate: &Certificate,
    digest: &[u8; 32],
    grant: &Grant,
    expect: &Expectation<'_>,
) -> Result<Accepted, Rejection> {
    let snapshot = expect.snapshot;
    check_header(certificate, snapshot, expect.min_level_ppm, expect.at)?;
    let venue_id = snapshot.venues.get(expect.venue_index).map(|v| v.id);
    if Some(grant.venue_id) != venue_id {
        return Err(Rejection::Venue {
            grant: grant.venue_id,
            expected: venue_id.unwrap_or(0),
        });
    }
    let venue_name = &snapshot.venues[expect.venue_index].name;
    if grant.venue != *venue_name {
        return Err(Rejection::VenueName {
            grant: grant.venue.clone(),
            expected: venue_name.clone(),
        });
    }
    if grant.certificate != *digest {
        return Err(Rejection::GrantCertificate);
    }
    let nullifier = certificate
        .nullifier()
        .ok_or(CertificateError::NonCanonical("the nullifier"))?;
    if grant.nullifier != nullifier {
        return Err(Rejection::GrantNullifier);
    }
    if let Some(expected) = expect.tag {
        if expected != grant.tag {
            return Err(Rejection::Tag {
                grant: fp_to_hex(&grant.tag),
                expected: fp_to_hex(&expected),
            });
        }
    }
    if grant.allowance_uusd >> LINE_BITS != 0 {
        return Err(Rejection::LineRange(grant.allowance_uusd));
    }
    let commitments = certificate
        .commitments()
        .ok_or(CertificateError::NonCanonical("a commitment"))?;
    let opened = credit_commitment(grant.tag, grant.allowance_uusd, grant.salt);
    if commitments.get(expect.venue_index) != Some(&opened) {
        return Err(Rejection::Commitment);
    }
    let statement = rebuild_statement(certificate, snapshot)?;
    let line = CreditLine {
        epoch: certificate.epoch,
        nullifier,
        certificate: *digest,
        tag: grant.tag,
        allowance: grant.allowance_uusd,
        level_ppm: certificate.level_ppm,
        valid_until: snapshot.valid_until,
    };
    Ok(Accepted { statement, line })
}

/// The charge of `order` (at the snapshot price, DESIGN.md's formula at the certificate's
/// level) against the line of an accepted one-order certificate: refused when the order is
/// not valid under the snapshot, is an option expired at `at`, or costs more than the line.
/// Returns the charge.
pub fn order_within_line(
    accepted: &Accepted,
    snapshot: &Snapshot,
    venue_index: usize,
    order: &Position,
    at: u64,
) -> Result<u128, Rejection> {
    if order.kind.is_option() && order.expiry < at {
        return Err(Rejection::OrderExpired {
            expiry: order.expiry,
            at,
        });
    }
    let params = snapshot.risk_params();
    let order = Order {
        venue: venue_index,
        position: *order,
    };
    let charge = default_order_charge(&params, &order, accepted.line.level_ppm)
        .map_err(Rejection::InvalidOrder)?
        .total;
    if charge > accepted.line.allowance {
        return Err(Rejection::OverLine {
            charge,
            allowance: accepted.line.allowance,
        });
    }
    Ok(charge)
}

impl VerifierKeys {
    /// The whole check of one certificate file's bytes and its grant: exact decoding,
    /// [`check`] against what the venue expects, then the proof against the statement the
    /// venue rebuilt.
    pub fn verify(
        &self,
        certificate: &[u8],
        grant: &Grant,
        expect: &Expectation<'_>,
    ) -> Result<Accepted, Rejection> {
        let decoded = Certificate::decode(certificate)?;
        let accepted = check(
            &decoded,
            &Certificate::digest_of(certificate),
            grant,
            expect,
        )?;
        self.verify_statement(&decoded.proof, &accepted.statement)?;
        Ok(accepted)
    }

    #[cfg(feature = "batch")]
    /// [`VerifierKeys::verify`] for many certificates (file bytes and grant each, all of this
    /// keys' profile): every one is decoded and checked, the proofs of those that pass are
    /// verified in one batch, and when the batch fails each is verified alone to name the bad
    /// ones. The answers are in the order of `items`.
    pub fn verify_certificates(
        &self,
        items: &[(&[u8], &Grant)],
        expect: &Expectation<'_>,
    ) -> Vec<Result<Accepted, Rejection>> {
        let mut answers: Vec<Result<Accepted, Rejection>> = Vec::with_capacity(items.len());
        let mut proofs = vec![];
        let mut batched = vec![];
        for (i, (bytes, grant)) in items.iter().enumerate() {
            let checked = Certificate::decode(bytes)
                .map_err(Rejection::from)
                .and_then(|c| {
                    let accepted = check(&c, &Certificate::digest_of(bytes), grant, expect)?;
                    Ok((c.proof, accepted))
                });
            match checked {
                Ok((proof, accepted)) => {
                    proofs.push((proof, accepted.statement.clone()));
                    batched.push(i);
                    answers.push(Ok(accepted));
                }
                Err(rejection) => answers.push(Err(rejection)),
            }
        }
        for (at, rejection) in self.verify_batch(&proofs) {
            answers[batched[at]] = Err(rejection);
        }
        answers
    }

    /// Step 6 for one proof: verifies it against the rebuilt statement. Every byte must be read.
    pub fn verify_statement(
        &self,
        proof: &[u8],
        statement: &PublicStatement,
    ) -> Result<(), Rejection> {
        verify_statement_with(self.params(), self.vk(), proof, statement)
    }
}

/// [`VerifierKeys::verify_statement`] with parameters and a verifying key the caller holds:
/// the on-chain registry, which stores both (their digests checked at upload).
pub fn verify_statement_with(
    params: &VerifierParams,
    vk: &MarginVerifyingKey,
    proof: &[u8],
    statement: &PublicStatement,
) -> Result<(), Rejection> {
    let params = params.halo2();
    let instance = statement.to_instance();
    let mut reader = proof;
    let strategy = SingleVerifier::new(params);
    {
        // The transcript borrows the reader; what it leaves unread is checked below.
        let mut transcript = Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(&mut reader);
        verify_proof(params, vk, strategy, &[&[&instance]], &mut transcript)
            .map_err(|_| Rejection::Proof)?;
    }
    if !reader.is_empty() {
        return Err(Rejection::ProofLength {
            profile: statement.profile.name.to_string(),
            expected: proof.len() - reader.len(),
            found: proof.len(),
        });
    }
    Ok(())
}

impl VerifierKeys {
    #[cfg(feature = "batch")]
    /// Verifies many proofs of one profile together with halo2's `BatchVerifier` (one
    /// multi-scalar multiplication for all). When the batch fails, each proof is verified on its
    /// own to name the bad ones. Returns the rejections, by position; empty when all are valid.
    ///
    /// halo2's batch verifier reads each proof as a stream and ignores bytes after its end, so
    /// every proof's length is checked against its profile's first: a proof with trailing bytes
    /// is refused here as it is by [`VerifierKeys::verify_statement`].
    pub fn verify_batch(&self, items: &[(Vec<u8>, PublicStatement)]) -> Vec<(usize, Rejection)> {
        let mut rejected = vec![];
        let mut batch = BatchVerifier::new();
        let mut batched = vec![];
        for (i, (proof, statement)) in items.iter().enumerate() {
            let profile = statement.profile.name;
            match pinned_proof_len(profile) {
                Some(expected) if expected == proof.len() => {
                    batch.add_proof(vec![vec![statement.to_instance()]], proof.clone());
                    batched.push(i);
                }
                expected => rejected.push((
                    i,
                    Rejection::ProofLength {
                        profile: profile.to_string(),
                        expected: expected.unwrap_or(0),
                        found: proof.len(),
                    },
                )),
            }
        }
        if batched.is_empty() || batch.finalize(self.params().halo2(), self.vk()) {
            return rejected;
        }
        rejected.extend(batched.into_iter().filter_map(|i| {
            let (proof, statement) = &items[i];
            self.verify_statement(proof, statement)
                .err()
                .map(|e| (i, e))
        }));
        rejected.sort_by_key(|(i, _)| *i);
        rejected
    }
}
