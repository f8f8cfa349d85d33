//! Certificate and file tampering against the venue's whole check (`VerifierKeys::verify` of
//! the certificate file's bytes with a grant, and `Envelope::decode` of a proof file first):
//! every byte of the certificate's header flipped, a seeded sample of the proof's bytes flipped
//! (all of them in the ignored test below), seeded multi-byte changes, every truncation,
//! extensions, altered and re-ordered public inputs, and a certificate of one profile presented
//! as another. Every one is rejected and none panics.
//!
//! A grant names its certificate by the digest of the file, so any changed byte would be
//! refused for that alone (`GrantCertificate`); a cheating trader writes the grant too, so the
//! tampered file is presented with a grant re-pointed at it, and the checks behind the digest
//! (the header, the commitments, the proof) are what refuse it.
//!
//! The honest certificate is the frozen small vector (`tests/vectors`), verified as of its
//! snapshot's `valid_from`. The exhaustive run of every proof byte takes a few minutes on two
//! cores: `cargo test --release -p zkmargin-prover --test tamper -- --ignored`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use ff::PrimeField;
use halo2_proofs::plonk::{verify_proof, SingleVerifier};
use halo2_proofs::transcript::{Blake2bRead, Challenge255};
use pasta_curves::vesta;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::instance::{InstanceLayout, PublicStatement};
use zkmargin_formats::certificate::{Certificate, CertificateError};
use zkmargin_formats::grant::Grant;
use zkmargin_prover::vectors::{read_vector, Vector};
use zkmargin_verifier::envelope::{Envelope, MAGIC};
use zkmargin_verifier::{Expectation, Rejection, VerifierKeys};

struct Setup {
    vector: Vector,
    keys: Arc<VerifierKeys>,
}

impl Setup {
    fn load(profile: &str) -> Setup {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
        let vector = read_vector(&dir.join(format!("{profile}.vector.json"))).unwrap();
        let keys = VerifierKeys::for_profile(vector.profile).unwrap();
        Setup { vector, keys }
    }

    fn expect(&self) -> Expectation<'_> {
        Expectation {
            snapshot: &self.vector.snapshot,
            venue_index: self.vector.venue_index,
            tag: Some(self.vector.grant.tag),
            min_level_ppm: self.vector.level_ppm,
            at: self.vector.at,
        }
    }

    /// The vector's grant, re-pointed at the certificate file `bytes`.
    fn grant_for(&self, bytes: &[u8]) -> Grant {
        Grant {
            certificate: Certificate::digest_of(bytes),
            ..self.vector.grant.clone()
        }
    }

    /// The venue's verdict on a certificate file with a grant re-pointed at it; a panic is
    /// reported as a failure of the test.
    fn verdict(&self, bytes: &[u8], what: &str) -> Result<(), Rejection> {
        let expect = self.expect();
        let grant = self.grant_for(bytes);
        catch_unwind(AssertUnwindSafe(|| {
            self.keys.verify(bytes, &grant, &expect).map(|_| ())
        }))
        .unwrap_or_else(|_| panic!("verification panicked on {what}"))
    }

    /// The venue's verdict on a proof file (the certificate with its grant inside).
    fn file_verdict(&self, bytes: &[u8], what: &str) -> Result<(), Rejection> {
        let expect = self.expect();
        catch_unwind(AssertUnwindSafe(|| {
            let (envelope, grant) = Envelope::decode(bytes)?;
            self.keys
                .verify(&envelope.certificate, &grant, &expect)
                .map(|_| ())
        }))
        .unwrap_or_else(|_| panic!("verification panicked on {what}"))
    }

    /// The honest proof file of the vector.
    fn proof_file(&self) -> Vec<u8> {
        Envelope::new(self.vector.certificate.clone(), &self.vector.grant).encode()
    }

    fn certificate(&self) -> Certificate {
        Certificate::decode(&self.vector.certificate).unwrap()
    }

    fn statement(&self) -> PublicStatement {
        let bytes = &self.vector.certificate;
        zkmargin_verifier::verify::check(
            &self.certificate(),
            &Certificate::digest_of(bytes),
            &self.vector.grant,
            &self.expect(),
        )
        .unwrap()
        .statement
    }

    /// Where the proof bytes start in the certificate file (they end it).
    fn proof_offset(&self) -> usize {
        self.vector.certificate.len() - self.certificate().proof.len()
    }

    /// halo2's own verdict on raw proof bytes for a raw instance.
    fn raw_verdict(&self, proof: &[u8], instance: &[Fp]) -> bool {
        catch_unwind(AssertUnwindSafe(|| {
            let mut reader = proof;
            let mut transcript =
                Blake2bRead::<_, vesta::Affine, Challenge255<_>>::init(&mut reader);
            let strategy = SingleVerifier::new(self.keys.params().halo2());
            verify_proof(
                self.keys.params().halo2(),
                self.keys.vk(),
                strategy,
                &[&[instance]],
                &mut transcript,
            )
            .is_ok()
        }))
        .expect("halo2 verification panicked")
    }
}

fn flipped(bytes: &[u8], at: usize, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= mask;
    out
}

#[test]
fn the_honest_vector_verifies() {
    let s = Setup::load("small");
    assert_eq!(s.verdict(&s.vector.certificate, "the honest proof"), Ok(()));
}

#[test]
fn every_header_byte_flipped_is_rejected() {
    // Magic, version, profile, epoch, digest, level, nullifier, commitments, proof length: the
    // cheap checks refuse most; a flip that survives them changes the instance the venue
    // rebuilds, and the proof fails.
    let s = Setup::load("small");
    let bytes = &s.vector.certificate;
    (0..s.proof_offset()).into_par_iter().for_each(|at| {
        for mask in [0x01u8, 0x80, 0xff] {
            let what = format!("header byte {at} ^ {mask:#04x}");
            assert!(
                s.verdict(&flipped(bytes, at, mask), &what).is_err(),
                "{what}"
            );
        }
    });
}

/// Checks flips of the proof bytes at `positions` (offsets into the proof).
fn proof_flips_rejected(s: &Setup, positions: &[usize]) {
    let offset = s.proof_offset();
    let bytes = &s.vector.certificate;
    positions.par_iter().for_each(|&i| {
        let what = format!("proof byte {i} ^ 0xff");
        let verdict = s.verdict(&flipped(bytes, offset + i, 0xff), &what);
        assert_eq!(verdict, Err(Rejection::Proof), "{what}");
        let bit = 1u8 << (i % 8);
        let what = format!("proof byte {i} ^ {bit:#04x}");
        let verdict = s.verdict(&flipped(bytes, offset + i, bit), &what);
        assert_eq!(verdict, Err(Rejection::Proof), "{what}");
    });
}

#[test]
fn a_seeded_sample_of_proof_byte_flips_is_rejected() {
    let s = Setup::load("small");
    let n = s.certificate().proof.len();
    let mut rng = StdRng::seed_from_u64(0x7a6b_6d61_7267_696e);
    // The first and last 32 bytes (first commitment, last scalars), and 96 more at random.
    let mut positions: Vec<usize> = (0..32).chain(n - 32..n).collect();
    positions.extend((0..96).map(|_| rng.random_range(0..n)));
    proof_flips_rejected(&s, &positions);
}

#[test]
#[ignore = "exhaustive: every byte of the proof (a few minutes on two cores)"]
fn every_proof_byte_flipped_is_rejected() {
    let s = Setup::load("small");
    let positions: Vec<usize> = (0..s.certificate().proof.len()).collect();
    let started = std::time::Instant::now();
    proof_flips_rejected(&s, &positions);
    println!(
        "{} proof bytes, each flipped two ways, all rejected in {:?}",
        positions.len(),
        started.elapsed()
    );
}

#[test]
fn seeded_multi_byte_changes_are_rejected() {
    let s = Setup::load("small");
    let bytes = &s.vector.certificate;
    let mut rng = StdRng::seed_from_u64(4812);
    let cases: Vec<Vec<u8>> = (0..64)
        .map(|_| {
            let mut out = bytes.clone();
            let changes = rng.random_range(2..=16);
            for _ in 0..changes {
                let at = rng.random_range(0..out.len());
                let value: u8 = rng.random_range(0..=255);
                out[at] = if out[at] == value { !value } else { value };
            }
            out
        })
        .collect();
    cases.par_iter().enumerate().for_each(|(i, case)| {
        let what = format!("multi-byte change {i}");
        assert!(s.verdict(case, &what).is_err(), "{what}");
    });
}

#[test]
fn truncations_and_extensions_are_rejected() {
    let s = Setup::load("small");
    let bytes = &s.vector.certificate;
    for len in 0..bytes.len() {
        let what = format!("the first {len} bytes");
        assert!(s.verdict(&bytes[..len], &what).is_err(), "{what}");
    }
    for extra in [1usize, 2, 31, 32, 33, 1000] {
        let mut longer = bytes.clone();
        longer.extend((0..extra).map(|i| i as u8));
        let what = format!("{extra} bytes appended");
        assert!(s.verdict(&longer, &what).is_err(), "{what}");
    }
    let mut huge = bytes.clone();
    huge.resize(
        zkmargin_formats::binary::MAX_BODY_BYTES + MAGIC.len() + 1,
        0,
    );
    assert!(s
        .verdict(&huge, "a certificate over the size limit")
        .is_err());

    // The proof inside a well-formed certificate, longer or shorter by a byte or a whole point.
    for change in [-32isize, -1, 1, 32] {
        let mut c = s.certificate();
        if change < 0 {
            c.proof.truncate((c.proof.len() as isize + change) as usize);
        } else {
            c.proof.extend(std::iter::repeat_n(0u8, change as usize));
        }
        assert!(matches!(
            s.verdict(&c.encode(), "a re-encoded proof"),
            Err(Rejection::ProofLength { .. })
        ));
        // halo2 itself accepts trailing bytes: the verifier's own length check is what stops
        // them.
        assert!(s.keys.verify_statement(&c.proof, &s.statement()).is_err());
    }
}

#[test]
fn proof_files_truncated_extended_or_altered_are_rejected() {
    let s = Setup::load("small");
    let file = s.proof_file();
    assert_eq!(s.file_verdict(&file, "the honest proof file"), Ok(()));
    for len in 0..file.len() {
        let what = format!("the first {len} bytes of the proof file");
        assert!(s.file_verdict(&file[..len], &what).is_err(), "{what}");
    }
    for extra in [1usize, 2, 31, 32, 33, 1000] {
        let mut longer = file.clone();
        longer.extend((0..extra).map(|i| i as u8));
        let what = format!("{extra} bytes appended to the proof file");
        assert!(
            matches!(
                s.file_verdict(&longer, &what),
                Err(Rejection::Envelope(
                    zkmargin_verifier::envelope::EnvelopeError::Trailing(n)
                )) if n == extra
            ),
            "{what}"
        );
    }
    let mut huge = file.clone();
    huge.resize(
        zkmargin_verifier::envelope::MAX_ENVELOPE_BYTES + MAGIC.len() + 1,
        0,
    );
    assert!(s
        .file_verdict(&huge, "a proof file over the size limit")
        .is_err());
    // The certificate inside with a byte more or less (its length prefix re-encoded): refused
    // as a certificate, before the grant is even compared.
    let mut e = Envelope::decode(&file).unwrap().0;
    e.certificate.push(0);
    assert!(matches!(
        s.file_verdict(&e.encode(), "a certificate with a trailing byte inside"),
        Err(Rejection::Envelope(_))
    ));
    e.certificate.truncate(e.certificate.len() - 2);
    assert!(matches!(
        s.file_verdict(&e.encode(), "a truncated certificate inside"),
        Err(Rejection::Envelope(_))
    ));
    // Seeded flips anywhere in the file: the certificate's bytes no longer match the grant's
    // digest, the grant no longer reads, or the frame breaks.
    // The grant's venue *name* is not compared by `check` (only its id is), so flips inside
    // that value are left out here: see the report on verifier/src/verify.rs.
    let name = format!("\"venue\": \"{}\"", s.vector.grant.venue);
    let at = file
        .windows(name.len())
        .position(|w| w == name.as_bytes())
        .expect("the grant's venue name");
    let skipped = at + name.len() - s.vector.grant.venue.len() - 1..at + name.len() - 1;
    let mut rng = StdRng::seed_from_u64(0x6669_6c65);
    let cases: Vec<usize> = (0..256)
        .map(|_| rng.random_range(0..file.len()))
        .filter(|i| !skipped.contains(i))
        .collect();
    cases.par_iter().for_each(|&at| {
        let what = format!("proof file byte {at} ^ 0x01");
        assert!(
            s.file_verdict(&flipped(&file, at, 0x01), &what).is_err(),
            "{what}"
        );
    });
}

#[test]
fn altered_and_reordered_public_inputs_are_rejected() {
    let s = Setup::load("small");
    let proof = s.certificate().proof;
    let statement = s.statement();
    let instance = statement.to_instance();
    assert!(s.raw_verdict(&proof, &instance), "control");
    // Every public input, one at a time, off by one (epoch and digest included: the
    // transcript binds every row).
    (0..instance.len()).into_par_iter().for_each(|row| {
        let mut altered = instance.clone();
        altered[row] += Fp::one();
        assert!(!s.raw_verdict(&proof, &altered), "row {row} + 1");
    });
    // Re-ordered: pairs of rows swapped.
    let l = InstanceLayout::new(statement.profile);
    let pairs = [
        (l.price(0), l.price(1)),
        (l.haircut(0, 0), l.haircut(0, 1)),
        (l.som_rate(0), l.som_rate(1)),
        (l.contingency_rate(0), l.risk_root()),
        (l.chain_id(0), l.chain_id(1)),
        (l.chain_root(0), l.chain_root(1)),
        (l.venue_id(0), l.venue_id(1)),
        (l.venue_root(0), l.venue_root(1)),
        (l.asset_count(), l.risk_root()),
        (l.commitment(0), l.commitment(1)),
        (l.level(), l.nullifier()),
        (l.nullifier(), l.commitment(0)),
        (l.venue_count(), l.level()),
        (InstanceLayout::DIGEST_LO, InstanceLayout::DIGEST_HI),
    ];
    pairs.par_iter().for_each(|&(a, b)| {
        let mut swapped = instance.clone();
        swapped.swap(a, b);
        assert_ne!(swapped, instance, "rows {a} and {b} differ");
        assert!(!s.raw_verdict(&proof, &swapped), "rows {a} and {b} swapped");
    });
    // A row missing shifts every later one.
    let mut shorter = instance.clone();
    shorter.remove(l.level());
    assert!(!s.raw_verdict(&proof, &shorter));
    // The vendored verifier refuses an instance longer than its parameters' Lagrange points
    // (the verifier parameters hold exactly the instance's), even a zero row added.
    let mut padded = instance.clone();
    padded.push(Fp::zero());
    assert!(!s.raw_verdict(&proof, &padded));
    let mut nonzero = instance.clone();
    nonzero.push(Fp::one());
    assert!(!s.raw_verdict(&proof, &nonzero));
}

#[test]
fn certificate_fields_naming_another_statement_are_rejected() {
    let s = Setup::load("small");
    let reject = |edit: &dyn Fn(&mut Certificate), what: &str| {
        let mut c = s.certificate();
        edit(&mut c);
        let verdict = s.verdict(&c.encode(), what);
        assert!(verdict.is_err(), "{what}");
        verdict.unwrap_err()
    };
    assert_eq!(
        reject(&|c| c.version += 1, "version"),
        Rejection::Certificate(CertificateError::Version(2))
    );
    assert_eq!(
        reject(&|c| c.profile = "medium".into(), "profile"),
        Rejection::Certificate(CertificateError::Profile("medium".into()))
    );
    assert!(matches!(
        reject(&|c| c.epoch += 1, "epoch"),
        Rejection::Epoch { .. }
    ));
    assert_eq!(
        reject(&|c| c.snapshot_digest[0] ^= 1, "digest"),
        Rejection::Digest
    );
    assert!(matches!(
        reject(&|c| c.level_ppm = 999_999, "level below 1x"),
        Rejection::LevelRange(_)
    ));
    // A higher level than proven: the cheap checks pass, the instance differs, the proof fails.
    assert_eq!(
        reject(&|c| c.level_ppm = 1_500_000, "level above the proven one"),
        Rejection::Proof
    );
    // Another nullifier: the grant names the certificate's, so it no longer matches; with the
    // grant following it, the proof fails.
    let other = (Fp::from_repr(s.certificate().nullifier).unwrap() + Fp::one()).to_repr();
    assert_eq!(
        reject(&|c| c.nullifier = other, "nullifier"),
        Rejection::GrantNullifier
    );
    let mut c = s.certificate();
    c.nullifier = other;
    let bytes = c.encode();
    let mut grant = s.grant_for(&bytes);
    grant.nullifier = Fp::from_repr(other).unwrap();
    assert_eq!(
        s.keys.verify(&bytes, &grant, &s.expect()).map(|_| ()),
        Err(Rejection::Proof)
    );
    // Non-canonical field elements are refused on decoding, not reduced.
    assert_eq!(
        reject(&|c| c.nullifier = [0xff; 32], "a non-canonical nullifier"),
        Rejection::Certificate(CertificateError::NonCanonical("the nullifier"))
    );
    assert_eq!(
        reject(
            &|c| c.commitments[1] = [0xff; 32],
            "a non-canonical commitment"
        ),
        Rejection::Certificate(CertificateError::NonCanonical("a commitment"))
    );
    // This venue's commitment changed: the grant no longer opens it. Another venue's
    // commitment changed: the venue cannot see it, the proof binds it.
    let bump = |c: &mut Certificate, v: usize| {
        c.commitments[v] = (Fp::from_repr(c.commitments[v]).unwrap() + Fp::one()).to_repr()
    };
    assert_eq!(
        reject(&|c| bump(c, 0), "this venue's commitment"),
        Rejection::Commitment
    );
    assert_eq!(
        reject(&|c| bump(c, 1), "another venue's commitment"),
        Rejection::Proof
    );
    assert_eq!(
        reject(&|c| c.commitments.swap(0, 1), "commitments swapped"),
        Rejection::Commitment
    );
    // One commitment more or fewer than the profile's venue slots.
    assert!(matches!(
        reject(&|c| c.commitments.push([0; 32]), "a commitment more"),
        Rejection::Certificate(CertificateError::Commitments { .. })
    ));
    assert!(matches!(
        reject(
            &|c| {
                c.commitments.pop();
            },
            "a commitment fewer"
        ),
        Rejection::Certificate(CertificateError::Commitments { .. })
    ));
    // Orders are no longer in the certificate: their refusals (an order over the line, an
    // expired option, an unlisted asset) are `order_within_line`'s, in venue_refusals.rs.
}

#[test]
fn a_certificate_of_one_profile_presented_as_another_is_rejected() {
    let small = Setup::load("small");
    let standard = Setup::load("standard");
    // The small certificate as it is, to a venue on the standard snapshot.
    let verdict = standard.verdict(&small.vector.certificate, "a small certificate");
    assert!(matches!(verdict, Err(Rejection::Profile { .. })));
    // Relabelled as standard, with the standard snapshot's epoch and digest and the standard
    // certificate's nullifier and commitments (the standard grant opens them).
    let mut c = small.certificate();
    let theirs = standard.certificate();
    c.profile = "standard".into();
    c.epoch = theirs.epoch;
    c.snapshot_digest = theirs.snapshot_digest;
    c.nullifier = theirs.nullifier;
    c.commitments = theirs.commitments.clone();
    assert!(matches!(
        standard.verdict(&c.encode(), "a relabelled small certificate"),
        Err(Rejection::ProofLength { .. })
    ));
    // Padded to the standard length: it reaches the standard key, and fails there.
    let len = theirs.proof.len();
    c.proof.resize(len, 0);
    assert_eq!(
        standard.verdict(&c.encode(), "a padded small certificate"),
        Err(Rejection::Proof)
    );
    // The raw proofs against each other's key and instance.
    let small_proof = small.certificate().proof;
    let standard_proof = theirs.proof;
    assert!(!standard.raw_verdict(&small_proof, &standard.statement().to_instance()));
    assert!(!small.raw_verdict(&standard_proof, &small.statement().to_instance()));
    assert!(!small.raw_verdict(
        &standard_proof[..small_proof.len()],
        &small.statement().to_instance()
    ));
}

#[test]
fn batch_verification_rejects_tampered_and_extended_proofs() {
    let s = Setup::load("small");
    let proof = s.certificate().proof;
    let statement = s.statement();
    let good = (proof.clone(), statement.clone());
    assert!(s
        .keys
        .verify_batch(&[good.clone(), good.clone()])
        .is_empty());
    let mut longer = proof.clone();
    longer.push(0);
    let flipped = flipped(&proof, proof.len() / 2, 0xff);
    let rejected = s.keys.verify_batch(&[
        good.clone(),
        (longer, statement.clone()),
        (flipped, statement.clone()),
        (proof[..proof.len() - 1].to_vec(), statement.clone()),
        good.clone(),
    ]);
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // A batch whose only fault is a trailing byte: halo2's batch verifier reads a proof as a
    // stream and would not see it; `verify_batch` checks every proof's length first.
    let mut longer = proof.clone();
    longer.push(0);
    let rejected = s
        .keys
        .verify_batch(&[good.clone(), (longer, statement.clone())]);
    assert_eq!(
        rejected.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1]
    );
}
