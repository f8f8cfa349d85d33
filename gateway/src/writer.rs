//! The ledger's writer: one thread owns the database connection and runs every transaction.
//!
//! Group commit: while one transaction commits (an fsync on SQLite, a WAL flush on
//! PostgreSQL), the charges, fills and cancels that arrive queue up; the writer then takes
//! all that are waiting (up to [`MAX_BATCH`]) into the next transaction, commits them
//! together and only then answers each. So a charge is durable before it is acknowledged, and the cost of the
//! flush is shared by every charge that waited for it rather than paid once per request.
//!
//! Admissions of verified certificates are committed in groups the same way (a batch of
//! certificates verified together asks for its lines together).
//!
//! Jobs run in the order they were queued: a batch of ledger operations stops at the first
//! job of another kind (an admission, say), which runs after the batch, so a charge sent
//! after an admission was answered always sees the line.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::clock;
use crate::ledger::{self, Op, Outcome};
use crate::metrics::Metrics;
use crate::storage::{LineRecord, StorageError, Store};
use zkmargin_verifier::ledger::{Admission, AdmissionRefusal};

/// The most ledger operations committed in one transaction.
pub const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer before senders wait for room (back-pressure).
const QUEUE: usize = 16_384;

/// A task for the writer thread, on its store.
type Task = Box<dyn FnOnce(&mut dyn Store) + Send>;

/// How the ledger took a certificate's line, or why it refused it.
pub type AdmissionOutcome = Result<Admission, AdmissionRefusal>;

type Reply<T> = oneshot::Sender<Result<T, String>>;

enum Job {
    Ledger(Op, Reply<Outcome>),
    Admit(LineRecord, Reply<AdmissionOutcome>),
    Task(Task),
}

/// Why the ledger could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the ledger is unavailable: {0}")]
    Storage(String),
    #[error("the ledger's writer stopped")]
    Stopped,
}

impl From<StorageError> for LedgerError {
    fn from(e: StorageError) -> LedgerError {
        LedgerError::Storage(e.to_string())
    }
}

/// The handle the HTTP layer holds; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread for `store`, charging at `venue`. The thread ends when every
    /// handle is dropped and the queue is drained.
    pub fn spawn(
        store: Box<dyn Store>,
        venue: String,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(Writer, std::thread::JoinHandle<()>)> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || run(store, &venue, &metrics, queue))?;
        Ok((Writer { jobs }, thread))
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

    /// Queues the job `make` builds around its reply, and waits for the answer.
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Job) -> Result<T, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(make(reply))
            .await
            .map_err(|_| LedgerError::Stopped)?;
        answer
            .await
            .map_err(|_| LedgerError::Stopped)?
            .map_err(LedgerError::Storage)
    }

    /// Runs `task` on the writer's store, after every job queued before it.
    pub async fn run<R: Send + 'static>(
        &self,
        task: impl FnOnce(&mut dyn Store) -> Result<R, StorageError> + Send + 'static,
    ) -> Result<R, LedgerError> {
        let (reply, answer) = oneshot::channel();
        let job: Task = Box::new(move |store| {
            // The requester may have gone (a client hung up): nothing to tell then.
            let _ = reply.send(task(store));
        });
        self.jobs
            .send(Job::Task(job))
            .await
            .map_err(|_| LedgerError::Stopped)?;
        Ok(answer.await.map_err(|_| LedgerError::Stopped)??)
    }
}

fn run(mut store: Box<dyn Store>, venue: &str, metrics: &Metrics, mut queue: mpsc::Receiver<Job>) {
    let mut next = queue.blocking_recv();
    while let Some(job) = next.take() {
        match job {
            Job::Task(task) => task(store.as_mut()),
            Job::Ledger(op, reply) => {
                let batch = gather((op, reply), &mut queue, &mut next, |job| match job {
                    Job::Ledger(op, reply) => Ok((op, reply)),
                    other => Err(Box::new(other)),
                });
                commit_batch(store.as_mut(), venue, metrics, batch);
            }
            Job::Admit(line, reply) => {
                let batch = gather((line, reply), &mut queue, &mut next, |job| match job {
                    Job::Admit(line, reply) => Ok((line, reply)),
                    other => Err(Box::new(other)),
                });
                admit_batch(store.as_mut(), metrics, batch);
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
    let (lines, replies): (Vec<LineRecord>, Vec<_>) = batch.into_iter().unzip();
    let started = Instant::now();
    let at = clock::now();
    let mut outcomes = Vec::new();
    let result = store.transaction(&mut |tx| {
        outcomes = lines
            .iter()
            .map(|line| ledger::admit(tx, line, at))
            .collect::<Result<_, _>>()?;
        Ok(())
    });
    metrics.commit_seconds.observe_duration(started.elapsed());
    answer(replies, result.map(|()| outcomes), "admissions");
}

/// Sends each reply its outcome, or every reply the transaction's error.
fn answer<T>(replies: Vec<Reply<T>>, result: Result<Vec<T>, StorageError>, what: &str) {
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            eprintln!(
                "zkmargin-gateway: a batch of {} {what} failed: {e}",
                replies.len()
            );
            for reply in replies {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }
}

type Pending = (Op, Reply<Outcome>);

/// Applies a batch in one transaction, then answers each operation: after the commit, or
/// with the error if the transaction failed (then nothing of the batch was stored).
fn commit_batch(store: &mut dyn Store, venue: &str, metrics: &Metrics, batch: Vec<Pending>) {
    let (ops, replies): (Vec<Op>, Vec<_>) = batch.into_iter().unzip();
    let started = Instant::now();
    let at = clock::now();
    let mut outcomes = Vec::new();
    let result = store.transaction(&mut |tx| {
        outcomes = ledger::apply_batch(tx, venue, &ops, at)?;
        Ok(())
    });
    metrics.commit_seconds.observe_duration(started.elapsed());
    metrics.batch_orders.observe(ops.len() as f64);
    answer(replies, result.map(|()| outcomes), "ledger operations");
}
