//! What a venue checks before it accepts a position, in order:
//!
//! 1. the envelope decodes exactly (see `envelope`);
//! 2. its profile and epoch are the snapshot's, and its snapshot digest is the snapshot's;
//! 3. the snapshot is fresh: `valid_from <= at <= valid_until`;
//! 4. it names this venue, the tag the trader registered here (when given), a level at least
//!    the one demanded, and the order that was sent (when given); the order must be valid
//!    under the snapshot (a listed asset) and, for an option, not expired at `at`;
//! 5. the proof has the exact length of a proof of this profile;
//! 6. the venue rebuilds the instance itself from all of the above (never from the prover),
//!    and the proof verifies against the pinned verifying key.
//!
//! Every refusal is a typed [`Rejection`] whose message says why.
//!
//! The caller decodes the file once ([`Envelope::decode`]; its error converts into
//! [`Rejection::Envelope`]) and calls [`VerifierKeys::verify`], which runs [`check`] (steps 2
//! to 5) and then the proof (step 6). A caller that wants to refuse a wrong proof before it
//! builds the keys runs [`check`] first and then [`VerifierKeys::verify_statement`].

use ff::PrimeField;
use halo2_proofs::plonk::{verify_proof, BatchVerifier, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Challenge255};
use pasta_curves::vesta;
use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{MarginError, Order, Position};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_circuits::units::{MAX_LEVEL_PPM, MIN_LEVEL_PPM};
use zkmargin_formats::decimal::format_scaled;

use crate::envelope::{Envelope, EnvelopeError};
use crate::keys::VerifierKeys;

/// Pinned proof length per profile, in bytes. A proof of a profile has a fixed shape, so any
/// other length is a truncated or extended proof. `proof_lengths_are_pinned` in the prover crate
/// measures them.
pub const PINNED_PROOF_BYTES: &[(&str, usize)] =
    &[("small", 3584), ("standard", 3648), ("large", 3776)];

/// The exact proof length of a profile.
pub fn pinned_proof_len(profile: &str) -> Option<usize> {
    PINNED_PROOF_BYTES
        .iter()
        .find(|(name, _)| *name == profile)
        .map(|(_, n)| *n)
}

/// What the venue expects of a proof.
#[derive(Clone, Debug)]
pub struct Expectation<'a> {
    /// The snapshot the venue trusts.
    pub snapshot: &'a Snapshot,
    /// The venue's position in the snapshot.
    pub venue_index: usize,
    /// The tag the trader registered at this venue (`None`: any tag, reported to the caller).
    pub tag: Option<Fp>,
    /// The least margin level the venue accepts, ppm.
    pub min_level_ppm: u64,
    /// The order the trader sent (`None`: whatever order the proof names).
    pub order: Option<Position>,
    /// The time of verification, unix seconds.
    pub at: u64,
}

/// Why a proof was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("malformed proof file: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error("the proof is for profile {proof}, the snapshot is profile {snapshot}")]
    Profile { proof: String, snapshot: String },
    #[error("the proof is for epoch {proof}, the snapshot is epoch {snapshot}")]
    Epoch { proof: u64, snapshot: u64 },
    #[error("the proof was made against another snapshot (digest mismatch)")]
    Digest,
    #[error("the snapshot is not valid yet at {at} (valid from {valid_from})")]
    NotYetValid { at: u64, valid_from: u64 },
    #[error("the snapshot expired at {valid_until} (now {at})")]
    Expired { at: u64, valid_until: u64 },
    #[error("the proof is for venue id {proof}, this venue is id {expected}")]
    Venue { proof: u64, expected: u64 },
    #[error("the account tag {proof} is not the registered tag {expected}")]
    Tag { proof: String, expected: String },
    #[error("the account tag is not a field element")]
    TagEncoding,
    #[error("the proof shows margin level {proof}, this venue requires {required}")]
    Level { proof: String, required: String },
    #[error("the proof's level {0} ppm is outside [1e6, 1e7]")]
    LevelRange(u64),
    #[error("the proof is for another order than the one sent")]
    Order,
    #[error("the order is not valid under the snapshot: {0}")]
    InvalidOrder(MarginError),
    #[error(
        "the order is an option that expired at {expiry}, before the time of verification {at}"
    )]
    OrderExpired { expiry: u64, at: u64 },
    #[error("the proof has {found} bytes, a proof of profile {profile} has {expected}")]
    ProofLength {
        profile: String,
        expected: usize,
        found: usize,
    },
    #[error(
        "the proof does not verify: the book does not cover its margin, or the proof was altered"
    )]
    Proof,
}

fn level_text(ppm: u64) -> String {
    format!("{}x", format_scaled(ppm as i128, 6))
}

/// Steps 1 to 5: checks the envelope against the expectation and rebuilds the statement.
pub fn check(envelope: &Envelope, expect: &Expectation<'_>) -> Result<PublicStatement, Rejection> {
    let snapshot = expect.snapshot;
    if envelope.profile != snapshot.profile.name {
        return Err(Rejection::Profile {
            proof: envelope.profile.clone(),
            snapshot: snapshot.profile.name.to_string(),
        });
    }
    if envelope.epoch != snapshot.epoch {
        return Err(Rejection::Epoch {
            proof: envelope.epoch,
            snapshot: snapshot.epoch,
        });
    }
    if envelope.snapshot_digest != snapshot.digest() {
        return Err(Rejection::Digest);
    }
    if expect.at < snapshot.valid_from {
        return Err(Rejection::NotYetValid {
            at: expect.at,
            valid_from: snapshot.valid_from,
        });
    }
    if expect.at > snapshot.valid_until {
        return Err(Rejection::Expired {
            at: expect.at,
            valid_until: snapshot.valid_until,
        });
    }
    let venue_id = snapshot.venues.get(expect.venue_index).map(|v| v.id);
    if Some(envelope.venue_id) != venue_id {
        return Err(Rejection::Venue {
            proof: envelope.venue_id,
            expected: venue_id.unwrap_or(0),
        });
    }
    let tag: Fp =
        Option::from(Fp::from_repr(envelope.account_tag)).ok_or(Rejection::TagEncoding)?;
    if let Some(expected) = expect.tag {
        if expected != tag {
            return Err(Rejection::Tag {
                proof: fp_to_hex(&tag),
                expected: fp_to_hex(&expected),
            });
        }
    }
    if !(MIN_LEVEL_PPM..=MAX_LEVEL_PPM).contains(&envelope.level_ppm) {
        return Err(Rejection::LevelRange(envelope.level_ppm));
    }
    if envelope.level_ppm < expect.min_level_ppm {
        return Err(Rejection::Level {
            proof: level_text(envelope.level_ppm),
            required: level_text(expect.min_level_ppm),
        });
    }
    let order = (envelope.order != Position::EMPTY).then_some(Order {
        venue: expect.venue_index,
        position: envelope.order,
    });
    let statement = PublicStatement::new(
        snapshot,
        expect.venue_index,
        tag,
        envelope.level_ppm,
        order.as_ref(),
    )
    .map_err(Rejection::InvalidOrder)?;
    // The margin rules measure an option's time to expiry from `valid_from` (DESIGN.md), so
    // the proof cannot see that an option order expired since; a venue takes no order on an
    // expired instrument.
    if statement.order.kind.is_option() && statement.order.expiry < expect.at {
        return Err(Rejection::OrderExpired {
            expiry: statement.order.expiry,
            at: expect.at,
        });
    }
    // The envelope must carry the order as valued (a perpetual at the snapshot price).
    if statement.order != envelope.order {
        return Err(Rejection::Order);
    }
    if let Some(expected) = expect.order {
        let expected = Order {
            venue: expect.venue_index,
            position: expected,
        };
        let valued = zkmargin_circuits::margin::order_position(&snapshot.risk_params(), &expected)
            .map_err(Rejection::InvalidOrder)?;
        if valued != statement.order {
            return Err(Rejection::Order);
        }
    }
    let expected_len = pinned_proof_len(&envelope.profile).unwrap_or(0);
    if envelope.proof.len() != expected_len {
        return Err(Rejection::ProofLength {
            profile: envelope.profile.clone(),
            expected: expected_len,
            found: envelope.proof.len(),
        });
    }
    Ok(statement)
}

impl VerifierKeys {
    /// The whole check of one decoded proof file: [`check`] against what the venue expects,
    /// then the proof against the statement the venue rebuilt. Returns that statement.
    pub fn verify(
        &self,
        envelope: &Envelope,
        expect: &Expectation<'_>,
    ) -> Result<PublicStatement, Rejection> {
        let statement = check(envelope, expect)?;
        self.verify_statement(&envelope.proof, &statement)?;
        Ok(statement)
    }

    /// Step 6 for one proof: verifies it against the rebuilt statement. Every byte must be read.
    pub fn verify_statement(
        &self,
        proof: &[u8],
        statement: &PublicStatement,
    ) -> Result<(), Rejection> {
        let (params, vk) = (self.params(), self.vk());
        let instance = statement.to_instance();
        let mut reader = proof;
        let strategy = SingleVerifier::new(params);
        {
            // The transcript borrows the reader; what it leaves unread is checked below.
            let mut transcript =
                Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(&mut reader);
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
        if batched.is_empty() || batch.finalize(self.params(), self.vk()) {
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
