//! Certificate verification for `POST /v1/certificates`: the one place the gateway asks the
//! verifier crate whether a certificate and its grant give this venue a credit line.
//!
//! One task collects the certificates that arrive together (up to [`MAX_BATCH`], waiting at
//! most [`WINDOW`] after the first, [`BUSY_WINDOW`] after a batch of several) and verifies them in one batch
//! (`VerifierKeys::verify_certificates`: every certificate decoded and checked, the proofs of
//! those that pass in one halo2 `BatchVerifier`, each alone only when the batch fails, to name
//! the bad one). The work runs on tokio's blocking pool, one batch at a time: the order path
//! never waits on a proof, and certificates that arrive while a batch is verified make the
//! next batch. The keys are built once per profile (at start for the stored snapshot's, and
//! again when a snapshot of another profile arrives), with a progress line on stderr.
//!
//! **Back-pressure.** At most the queue's capacity (`--certificate-queue`, default
//! [`DEFAULT_QUEUE`]) of certificates wait or are verified at once: each holds a permit from
//! [`Verifier::slot`] until it is answered, and a request that finds none is answered 503 with
//! `Retry-After` at once, before any work on its proof. Before it takes a permit, a
//! certificate passes the cheap checks ([`precheck`]: decoding, the header against the
//! snapshot, the grant, the commitment it opens), so a flood of malformed or foreign
//! certificates never reaches the queue; proofs never run on the order path's threads.
//!
//! The venue's expectation is the current snapshot, this venue's index in it, the least
//! level [`MIN_LEVEL_PPM`], and the time of the batch. The trader's tag is the grant's own:
//! the gateway has no registration of tags yet, so it cannot hold a grant to a tag the
//! trader registered before (the commitment still binds the tag, the allowance and the salt).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::units::MIN_LEVEL_PPM;
use zkmargin_formats::certificate::Certificate;
use zkmargin_formats::grant::Grant;
use zkmargin_verifier::ledger::CreditLine;
use zkmargin_verifier::verify::check;
use zkmargin_verifier::{Expectation, Rejection, VerifierKeys};

use crate::clock;
use crate::metrics::Metrics;
use crate::snapshots::Current;

/// The most certificates verified in one batch.
pub const MAX_BATCH: usize = 64;
/// How long the first certificate of a batch waits for others when the last batch was one
/// certificate (quiet: a lone certificate is barely delayed).
pub const WINDOW: Duration = Duration::from_millis(3);
/// ... and when the last batch was several (busy: the clients just answered are sending their
/// next certificates, and a batch's fixed cost, an MSM of 2^k points, is worth sharing).
pub const BUSY_WINDOW: Duration = Duration::from_millis(25);
/// Certificates waiting or being verified before requests are refused as busy, unless
/// `--certificate-queue` says otherwise: four full batches, about two seconds of work on two
/// cores (each waiting certificate holds a few KiB).
pub const DEFAULT_QUEUE: usize = 256;
/// The largest `--certificate-queue`.
pub const MAX_QUEUE: usize = 65_536;
/// What a busy answer (a full queue, here or the ledger writer's) asks the client to wait, in
/// seconds: about one batch of 64 on two cores.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// Why a certificate got no line.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The certificate or its grant is refused: the client's fault, with the reason.
    #[error("certificate refused: {0}")]
    Rejected(#[from] Rejection),
    /// The keys of the snapshot's profile cannot be built: this installation is broken.
    #[error("the verifying keys of profile {profile} are unavailable: {reason}")]
    Keys {
        profile: &'static str,
        reason: String,
    },
    #[error("too many certificates waiting: retry later")]
    Busy,
    #[error("the certificate verifier stopped")]
    Stopped,
}

type Reply = oneshot::Sender<Result<CreditLine, VerifyError>>;

struct Pending {
    /// Given back when the certificate is answered (or its batch is lost), not when its
    /// client hangs up: the queue's bound holds for work the client abandoned too.
    _slot: Slot,
    snapshot: Arc<Current>,
    certificate: Vec<u8>,
    grant: Grant,
    reply: Reply,
}

enum Job {
    /// Build the keys of a profile now (a snapshot of it arrived).
    Warm(Profile),
    Verify(Pending),
}

/// The handle the HTTP layer holds; cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    jobs: mpsc::Sender<Job>,
    /// One permit for each certificate that may wait or be verified.
    slots: Arc<Semaphore>,
}

/// A place in the queue: held from before the certificate is queued until it is answered.
pub struct Slot {
    /// Given back to the semaphore when dropped.
    _permit: OwnedSemaphorePermit,
}

impl Verifier {
    /// Starts the verifying task on the current tokio runtime, with room for `capacity`
    /// certificates (1 to [`MAX_QUEUE`]).
    pub fn spawn(metrics: Arc<Metrics>, capacity: usize) -> Verifier {
        // One more place than permits: a key warm-up never takes a certificate's place.
        let (jobs, queue) = mpsc::channel(capacity + 1);
        tokio::spawn(run(queue, metrics));
        Verifier {
            jobs,
            slots: Arc::new(Semaphore::new(capacity)),
        }
    }

    /// A place in the queue, or [`VerifyError::Busy`] at once when every place is taken.
    pub fn slot(&self) -> Result<Slot, VerifyError> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .map(|permit| Slot { _permit: permit })
            .map_err(|_| VerifyError::Busy)
    }

    /// Builds the keys of `profile` in the background unless they are built.
    pub fn warm(&self, profile: Profile) {
        // A full queue means certificates are waiting: they build the keys themselves.
        let _ = self.jobs.try_send(Job::Warm(profile));
    }

    /// Verifies `certificate` (the file's bytes) with `grant` under `snapshot`, in a batch
    /// with the others waiting; the credit line it gives this venue.
    pub async fn verify(
        &self,
        slot: Slot,
        snapshot: Arc<Current>,
        certificate: Vec<u8>,
        grant: Grant,
    ) -> Result<CreditLine, VerifyError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Verify(Pending {
            _slot: slot,
            snapshot,
            certificate,
            grant,
            reply,
        });
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => VerifyError::Busy,
            mpsc::error::TrySendError::Closed(_) => VerifyError::Stopped,
        })?;
        answer.await.map_err(|_| VerifyError::Stopped)?
    }
}

/// The keys this task holds: those of one profile at a time (rebuilt when the snapshot's
/// profile changes; `VerifierKeys::for_profile` keeps every profile built in the process).
type Held = Option<Arc<VerifierKeys>>;

async fn run(mut queue: mpsc::Receiver<Job>, metrics: Arc<Metrics>) {
    let mut keys: Held = None;
    let mut last_batch = 0;
    while let Some(first) = queue.recv().await {
        let mut batch = Vec::new();
        let mut warm = None;
        match first {
            Job::Warm(profile) => warm = Some(profile),
            Job::Verify(pending) => {
                batch.push(pending);
                let window = if last_batch > 1 { BUSY_WINDOW } else { WINDOW };
                let deadline = tokio::time::Instant::now() + window;
                while batch.len() < MAX_BATCH {
                    match tokio::time::timeout_at(deadline, queue.recv()).await {
                        Ok(Some(Job::Verify(pending))) => batch.push(pending),
                        Ok(Some(Job::Warm(profile))) => warm = Some(profile),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
        if !batch.is_empty() {
            last_batch = batch.len();
        }
        let metrics = Arc::clone(&metrics);
        let work = tokio::task::spawn_blocking(move || {
            if let Some(profile) = warm {
                let _ = keys_for(&mut keys, profile);
            }
            verify_batch(&mut keys, batch, &metrics);
            keys
        });
        match work.await {
            Ok(held) => keys = held,
            // A panic in halo2 drops the batch's replies (answered "stopped"); the next batch
            // starts with fresh keys.
            Err(e) => {
                eprintln!("zkmargin-gateway: a certificate batch failed: {e}");
                keys = None;
            }
        }
    }
}

/// The keys of `profile`, read (with a progress line) unless `held` has them: the stored
/// verifying key and the verifier's parameters, no key generation.
fn keys_for(held: &mut Held, profile: Profile) -> Result<Arc<VerifierKeys>, VerifyError> {
    if let Some(keys) = held.as_ref().filter(|k| k.profile() == profile) {
        return Ok(Arc::clone(keys));
    }
    eprintln!(
        "zkmargin-gateway: reading the verifying keys of profile {} (k = {})",
        profile.name, profile.k
    );
    let started = Instant::now();
    let keys = VerifierKeys::for_profile(profile).map_err(|e| {
        eprintln!(
            "zkmargin-gateway: the keys of profile {} cannot be read: {e}",
            profile.name
        );
        VerifyError::Keys {
            profile: profile.name,
            reason: e.to_string(),
        }
    })?;
    eprintln!(
        "zkmargin-gateway: keys of profile {} ready in {:.2} s",
        profile.name,
        started.elapsed().as_secs_f64()
    );
    *held = Some(Arc::clone(&keys));
    Ok(keys)
}

/// Verifies a batch and answers each certificate. Certificates read against different
/// snapshots (one was replaced while they waited) are verified in one group per snapshot.
fn verify_batch(held: &mut Held, mut batch: Vec<Pending>, metrics: &Metrics) {
    while !batch.is_empty() {
        let snapshot = Arc::clone(&batch[0].snapshot);
        let (group, rest): (Vec<Pending>, Vec<Pending>) = batch
            .into_iter()
            .partition(|p| Arc::ptr_eq(&p.snapshot, &snapshot));
        batch = rest;
        let keys = match keys_for(held, snapshot.snapshot.profile) {
            Ok(keys) => keys,
            Err(e) => {
                for pending in group {
                    let _ = pending.reply.send(Err(VerifyError::Keys {
                        profile: snapshot.snapshot.profile.name,
                        reason: e.to_string(),
                    }));
                }
                continue;
            }
        };
        let expect = expectation(&snapshot);
        let started = Instant::now();
        let items: Vec<(&[u8], &Grant)> = group
            .iter()
            .map(|p| (p.certificate.as_slice(), &p.grant))
            .collect();
        let answers = keys.verify_certificates(&items, &expect);
        metrics.verify_seconds.observe_duration(started.elapsed());
        metrics.batch_certificates.observe(group.len() as f64);
        for (pending, answer) in group.into_iter().zip(answers) {
            let _ = pending
                .reply
                .send(answer.map(|a| a.line).map_err(VerifyError::from));
        }
    }
}

/// What this venue expects of a certificate now under `current`.
fn expectation(current: &Current) -> Expectation<'_> {
    Expectation {
        snapshot: &current.snapshot,
        venue_index: current.venue_index,
        tag: None,
        min_level_ppm: MIN_LEVEL_PPM,
        at: clock::now(),
    }
}

/// The cheap checks, before a certificate may take a place in the queue: it decodes exactly,
/// its header is the snapshot's, and the grant is this venue's and opens the certificate's
/// commitment (`zkmargin_verifier::verify::check`; microseconds against the proof's
/// milliseconds). The batch checks all of it again with the proof. Returns the nullifier.
pub fn precheck(current: &Current, certificate: &[u8], grant: &Grant) -> Result<Fp, VerifyError> {
    let decoded = Certificate::decode(certificate).map_err(Rejection::from)?;
    let digest = Certificate::digest_of(certificate);
    let accepted = check(&decoded, &digest, grant, &expectation(current))?;
    Ok(accepted.line.nullifier)
}
