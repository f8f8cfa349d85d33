//! The ledger's reads: account reads and the certificate route's nullifier check, on a
//! database connection of their own, in read-only transactions. They never wait in the
//! writer's queue behind charges and take no lock a writer waits for (no `FOR UPDATE`, no
//! SQLite write lock): they see what was committed when they began.
//!
//! One connection, used by one read at a time on tokio's blocking pool, each read guarded
//! like the writer's transactions (`writer::in_transaction`): a failure is that read's answer.

use std::sync::{Arc, Mutex};

use crate::ledger;
use crate::storage::{FreezeRecord, LedgerTx, LineState, StorageError, Store};
use crate::writer::{in_transaction, LedgerError};

/// An account's line with its use, and its nullifier's freeze.
pub type Account = (LineState, Option<FreezeRecord>);

/// The handle the HTTP layer holds; cheap to clone.
#[derive(Clone)]
pub struct Reader {
    store: Arc<Mutex<Box<dyn Store>>>,
    venue: String,
}

impl Reader {
    pub fn new(store: Box<dyn Store>, venue: String) -> Reader {
        Reader {
            store: Arc::new(Mutex::new(store)),
            venue,
        }
    }

    /// The line `tag` (`fp_to_hex`) spends here, with its use and freeze.
    pub async fn account(&self, tag: String) -> Result<Option<Account>, LedgerError> {
        let venue = self.venue.clone();
        self.read(move |tx| ledger::account(tx, &venue, &tag)).await
    }

    /// The certificate (digest hex) that holds `nullifier`.
    pub async fn nullifier_holder(&self, nullifier: String) -> Result<Option<String>, LedgerError> {
        self.read(move |tx| tx.nullifier_holder(&nullifier)).await
    }

    /// Whether the database answers: one empty read-only transaction.
    pub async fn ping(&self) -> Result<(), LedgerError> {
        self.read(|_| Ok(())).await
    }

    async fn read<T: Send + 'static>(
        &self,
        mut work: impl FnMut(&mut dyn LedgerTx) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let store = Arc::clone(&self.store);
        let task = tokio::task::spawn_blocking(move || {
            // A read that panicked left no transaction open (it was rolled back as it was
            // dropped): the connection is still good.
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            in_transaction(store.as_mut(), true, &mut work)
        });
        task.await.map_err(|e| LedgerError::Failed(e.to_string()))?
    }
}
