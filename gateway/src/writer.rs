//! The ledger's writer: one thread owns the write connection and runs every write
//! transaction.
//!
//! Group commit: while one transaction commits (an fsync on SQLite, a WAL flush on
//! PostgreSQL), the charges, fills and cancels that arrive queue up; the writer then takes
//! all that are waiting (up to [`MAX_BATCH`]) into the next transaction, commits them
//! together and only then answers each. So a charge is durable before it is acknowledged,
//! and the cost of the flush is shared by every charge that waited for it rather than paid
//! once per request.
//!
//! Admissions of verified certificates are committed in groups the same way (a batch of
//! certificates verified together asks for its lines together).
//!
//! Jobs run in the order they were queued: a batch of ledger operations stops at the first
//! job of another kind (an admission, say), which runs after the batch, so a charge sent
//! after an admission was answered always sees the line.
//!
//! The writer runs typed jobs only, one kind per command (as mini-redis has one type per
//! command): ledger operations, admissions, a snapshot to store, a freeze, the registry's
//! freezes. Reads do not come here: they run on a connection of their own (`crate::reader`).
//!
//! **A failure is an answer, not the end of the writer.** Every job's transaction runs
//! under a guard ([`guarded`]): a storage error or even a panic (a bug, a row nothing
//! expected) rolls that transaction back and is answered to the requests it carried, with its
//! kind ([`LedgerError`]); the thread goes on with the next job. A batch that fails for any
//! reason but an unreachable database is then run again one operation at a time, as the
//! verifier's batches are, so that one corrupt row fails only the requests that touch it.
//! Should the thread end anyway, [`Writer::alive`] says so and `/healthz` answers 503.
//!
//! **Bounded waits.** A request waits at most the send timeout for a place in the queue
//! (then [`LedgerError::Busy`], answered 503 with `Retry-After`); once queued, it is answered
//! after its commit.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use crate::clock;
use crate::ledger::{self, Op, Outcome};
use crate::metrics::Metrics;
use crate::storage::{FreezeRecord, LedgerTx, LineRecord, SnapshotRecord, StorageError, Store};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal};

/// The most ledger operations committed in one transaction.
pub const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer before senders wait for room (back-pressure).
pub const QUEUE: usize = 16_384;
/// How long a request waits for room in the writer's queue before it is answered 503.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// How the ledger took a certificate's line, or why it refused it.
pub type AdmissionOutcome = Result<Admission, AdmissionRefusal>;

/// A freeze that stands and whether this call made it; `None` for a tag without a line.
pub type FreezeOutcome = Option<(FreezeRecord, bool)>;

type Reply<T> = oneshot::Sender<Result<T, LedgerError>>;

/// One command to the writer, each with its own reply type.
enum Job {
    Ledger(Op, Reply<Outcome>),
    Admit(LineRecord, Reply<AdmissionOutcome>),
    PutSnapshot(SnapshotRecord, Reply<()>),
    /// Freezes the nullifier of `tag`'s line (`fp_to_hex`) with `reason`.
    FreezeTag {
        tag: String,
        reason: String,
        reply: Reply<FreezeOutcome>,
    },
    /// The on-chain registry's freezes: how many were new here.
    RecordFreezes(Vec<FreezeRecord>, Reply<u64>),
}

/// Why the ledger could not answer; each kind has its HTTP status (`api::error`).
#[derive(Clone, Debug, thiserror::Error)]
pub enum LedgerError {
    /// The database failed, conflicted past its retries, or holds a corrupt row.
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// The transaction's code failed (a panic, caught): a fault of the gateway.
    #[error("the ledger's writer failed on this request: {0}")]
    Failed(String),
    /// No room in the writer's queue within the send timeout: nothing was queued.
    #[error("the ledger is busy: retry later")]
    Busy,
    #[error("the ledger's writer stopped")]
    Stopped,
}

/// Runs `work` (one transaction) so that nothing it does ends the thread: a panic becomes
/// [`LedgerError::Failed`] (the transaction, dropped while unwinding, is rolled back).
pub fn guarded<T>(work: impl FnOnce() -> Result<T, StorageError>) -> Result<T, LedgerError> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(LedgerError::Storage),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            Err(LedgerError::Failed(what))
        }
    }
}

/// Runs `work` in one transaction of `store` (`Store::read` when `read_only`, else
/// `Store::transaction`), guarded; `work` may run more than once (a conflict retries it), so
/// it returns its result afresh on every run.
pub fn in_transaction<T>(
    store: &mut dyn Store,
    read_only: bool,
    mut work: impl FnMut(&mut dyn LedgerTx) -> Result<T, StorageError>,
) -> Result<T, LedgerError> {
    guarded(|| {
        let mut out = None;
        let mut each = |tx: &mut dyn LedgerTx| {
            out = Some(work(tx)?);
            Ok(())
        };
        if read_only {
            store.read(&mut each)?;
        } else {
            store.transaction(&mut each)?;
        }
        out.ok_or_else(|| StorageError::Database("the transaction ran no work".into()))
    })
}

/// [`in_transaction`], writing.
fn write<T>(
    store: &mut dyn Store,
    work: impl FnMut(&mut dyn LedgerTx) -> Result<T, StorageError>,
) -> Result<T, LedgerError> {
    in_transaction(store, false, work)
}

/// The handle the HTTP layer holds; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    send_timeout: Duration,
}

impl Writer {
    /// Starts the writer thread for `store`, charging at `venue`, with room for `queue` jobs;
    /// a request waits at most `send_timeout` for room. The thread ends when every handle is
    /// dropped and the queue is drained.
    pub fn spawn(
        store: Box<dyn Store>,
        venue: String,
        metrics: Arc<Metrics>,
        queue: usize,
        send_timeout: Duration,
    ) -> std::io::Result<(Writer, std::thread::JoinHandle<()>)> {
        let (jobs, receiver) = mpsc::channel(queue.max(1));
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || run(store, &venue, &metrics, receiver))?;
        Ok((Writer { jobs, send_timeout }, thread))
    }

    /// Whether the writer's thread still takes jobs (for `/healthz`).
    pub fn alive(&self) -> bool {
        !self.jobs.is_closed()
    }

    /// Applies one charge, fill or cancel; answered once its transaction is committed.
    pub async fn apply(&self, op: Op) -> Result<Outcome, LedgerError> {
        self.ask(|reply| Job::Ledger(op, reply)).await
    }

    /// Takes a verified certificate's line (one certificate per nullifier); answered once its
    /// transaction is committed.
    pub async fn admit(&self, line: LineRecord) -> Result<AdmissionOutcome, LedgerError> {
        self.ask(|reply| Job::Admit(line, reply)).await
    }

    /// Stores a checked snapshot (replacing one of the same epoch).
    pub async fn put_snapshot(&self, record: SnapshotRecord) -> Result<(), LedgerError> {
        self.ask(|reply| Job::PutSnapshot(record, reply)).await
    }

    /// Freezes the nullifier of the line `tag` (`fp_to_hex`) spends here.
    pub async fn freeze_tag(
        &self,
        tag: String,
        reason: String,
    ) -> Result<FreezeOutcome, LedgerError> {
        self.ask(|reply| Job::FreezeTag { tag, reason, reply })
            .await
    }

    /// Records the registry's freezes (the first of a nullifier stands): how many were new.
    pub async fn record_freezes(&self, freezes: Vec<FreezeRecord>) -> Result<u64, LedgerError> {
        self.ask(|reply| Job::RecordFreezes(freezes, reply)).await
    }

    /// Queues the job `make` builds around its reply, waiting at most the send timeout for
    /// room (no timer at all when there is room), and waits for the answer.
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Job) -> Result<T, LedgerError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(make(reply)) {
            Ok(()) => {}
            Err(TrySendError::Closed(_)) => return Err(LedgerError::Stopped),
            Err(TrySendError::Full(job)) => {
                match tokio::time::timeout(self.send_timeout, self.jobs.send(job)).await {
                    Err(_) => return Err(LedgerError::Busy),
                    Ok(Err(_)) => return Err(LedgerError::Stopped),
                    Ok(Ok(())) => {}
                }
            }
        }
        answer.await.map_err(|_| LedgerError::Stopped)?
    }
}

fn run(mut store: Box<dyn Store>, venue: &str, metrics: &Metrics, mut queue: mpsc::Receiver<Job>) {
    let store = store.as_mut();
    let mut next = queue.blocking_recv();
    while let Some(job) = next.take() {
        match job {
            Job::Ledger(op, reply) => {
                let batch = gather((op, reply), &mut queue, &mut next, |job| match job {
                    Job::Ledger(op, reply) => Ok((op, reply)),
                    other => Err(Box::new(other)),
                });
                commit_batch(store, venue, metrics, batch);
            }
            Job::Admit(line, reply) => {
                let batch = gather((line, reply), &mut queue, &mut next, |job| match job {
                    Job::Admit(line, reply) => Ok((line, reply)),
                    other => Err(Box::new(other)),
                });
                admit_batch(store, metrics, batch);
            }
            Job::PutSnapshot(record, reply) => {
                let _ = reply.send(write(store, |tx| tx.put_snapshot(&record)));
            }
            Job::FreezeTag { tag, reason, reply } => {
                let at = clock::now();
                let _ = reply.send(write(store, |tx| {
                    ledger::freeze_tag(tx, venue, &tag, &reason, at)
                }));
            }
            Job::RecordFreezes(freezes, reply) => {
                let _ = reply.send(write(store, |tx| {
                    let mut made = 0;
                    for freeze in &freezes {
                        if ledger::freeze_nullifier(tx, freeze.clone())?.1 {
                            made += 1;
                        }
                    }
                    Ok(made)
                }));
            }
        }
        if next.is_none() {
            next = queue.blocking_recv();
        }
    }
}

/// `first` and the jobs of its kind waiting behind it (up to [`MAX_BATCH`]; `same` takes a job
/// of the kind apart, or hands back another). The first job of another kind is left in `next`.
fn gather<T>(
    first: T,
    queue: &mut mpsc::Receiver<Job>,
    next: &mut Option<Job>,
    same: fn(Job) -> Result<T, Box<Job>>,
) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => match same(job) {
                Ok(item) => batch.push(item),
                Err(other) => {
                    *next = Some(*other);
                    break;
                }
            },
            Err(_) => break,
        }
    }
    batch
}

/// Takes a batch of lines in one transaction, in order, then answers each: after the commit,
/// or with the error if the transaction failed (then none of them was stored).
fn admit_batch(
    store: &mut dyn Store,
    metrics: &Metrics,
    batch: Vec<(LineRecord, Reply<AdmissionOutcome>)>,
) {
    let started = Instant::now();
    let at = clock::now();
    let run = |store: &mut dyn Store, lines: &[&LineRecord]| {
        write(store, |tx| {
            lines
                .iter()
                .map(|line| ledger::admit(tx, line, at))
                .collect::<Result<Vec<_>, _>>()
        })
    };
    answer(store, batch, run, "admissions");
    metrics.commit_seconds.observe_duration(started.elapsed());
}

/// Applies a batch in one transaction, then answers each operation: after the commit, or
/// with the error if the transaction failed (then nothing of the batch was stored).
fn commit_batch(
    store: &mut dyn Store,
    venue: &str,
    metrics: &Metrics,
    batch: Vec<(Op, Reply<Outcome>)>,
) {
    let started = Instant::now();
    let at = clock::now();
    metrics.batch_orders.observe(batch.len() as f64);
    let run = |store: &mut dyn Store, ops: &[&Op]| {
        write(store, |tx| ledger::apply_batch(tx, venue, ops, at))
    };
    answer(store, batch, run, "ledger operations");
    metrics.commit_seconds.observe_duration(started.elapsed());
}

/// Runs a batch's items in one transaction (`run`) and sends each reply its outcome. When
/// the transaction fails for another reason than an unreachable database (a corrupt row, a
/// caught panic), each item is run again alone, so that only those that fail are answered
/// with the error; the database being down fails them all at once.
fn answer<I, T>(
    store: &mut dyn Store,
    batch: Vec<(I, Reply<T>)>,
    run: impl Fn(&mut dyn Store, &[&I]) -> Result<Vec<T>, LedgerError>,
    what: &str,
) {
    let items: Vec<&I> = batch.iter().map(|(item, _)| item).collect();
    let result = run(&mut *store, &items);
    let alone = batch.len() > 1
        && matches!(
            &result,
            Err(LedgerError::Failed(_)) | Err(LedgerError::Storage(StorageError::Corrupt { .. }))
        );
    if let Err(e) = &result {
        let then = if alone { ": running each alone" } else { "" };
        let n = batch.len();
        eprintln!("zkmargin-gateway: a batch of {n} {what} failed ({e}){then}");
    }
    let outcomes: Vec<Result<T, LedgerError>> = match result {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(_) if alone => items
            .iter()
            .map(|item| {
                let mut one = run(&mut *store, &[item])?;
                one.pop()
                    .ok_or_else(|| LedgerError::Failed("no outcome".into()))
            })
            .inspect(|outcome| {
                if let Err(e) = outcome {
                    eprintln!("zkmargin-gateway: one of the {what} failed alone: {e}");
                }
            })
            .collect(),
        Err(e) => batch.iter().map(|_| Err(e.clone())).collect(),
    };
    for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
        // The requester may have gone (a client hung up): nothing to tell then.
        let _ = reply.send(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("no runtime")
    }

    fn writer(queue: usize) -> (Writer, mpsc::Receiver<Job>) {
        let (jobs, receiver) = mpsc::channel(queue);
        let send_timeout = Duration::from_millis(20);
        (Writer { jobs, send_timeout }, receiver)
    }

    /// The writer's thread gone: seen by `alive` (so by `/healthz`), and every request
    /// answered `Stopped` (503) rather than waiting.
    #[test]
    fn a_writer_gone_is_seen_and_answered() {
        let (writer, queue) = writer(1);
        assert!(writer.alive());
        drop(queue);
        assert!(!writer.alive());
        let answer = runtime().block_on(writer.apply(Op::Cancel("o".into())));
        assert!(matches!(answer, Err(LedgerError::Stopped)), "{answer:?}");
    }

    /// No room in the queue within the send timeout: `Busy`, nothing queued.
    #[test]
    fn a_full_queue_is_busy_after_the_send_timeout() {
        let (writer, mut queue) = writer(1);
        let runtime = runtime();
        let (reply, _answer) = oneshot::channel();
        let first = Job::Ledger(Op::Cancel("first".into()), reply);
        runtime.block_on(writer.jobs.send(first)).expect("no room");
        let started = Instant::now();
        let answer = runtime.block_on(writer.apply(Op::Cancel("second".into())));
        assert!(matches!(answer, Err(LedgerError::Busy)), "{answer:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(matches!(queue.try_recv(), Ok(Job::Ledger(Op::Cancel(id), _)) if id == "first"));
        assert!(queue.try_recv().is_err());
    }

    /// A panic in a transaction's work is that job's answer, not the end of the thread.
    #[test]
    fn a_panic_is_an_answer() {
        let answer: Result<(), _> = guarded(|| panic!("a row nothing expected"));
        assert!(
            matches!(&answer, Err(LedgerError::Failed(m)) if m.contains("nothing expected")),
            "{answer:?}"
        );
    }
}
