//! The epoch snapshot the gateway charges at: checked against the pinned publisher, kept in
//! memory for the order path, stored so that a restart resumes with it.
//!
//! The current snapshot is the highest epoch received. A snapshot of the current epoch posted
//! again (re-signed, corrected) replaces it while running; an older epoch is stored but does
//! not become current.

use std::sync::{Arc, RwLock};

use zkmargin_circuits::margin::RiskParams;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::hex::digest_to_hex;
use zkmargin_formats::json::shown;
use zkmargin_formats::publisher_key::PublisherKey;
use zkmargin_verifier::publisher::read_signed_snapshot;

use crate::storage::SnapshotRecord;

/// A checked snapshot, ready for the order path.
#[derive(Debug)]
pub struct Current {
    pub snapshot: Snapshot,
    pub params: Arc<RiskParams>,
    /// This gateway's venue, as an index of the snapshot's venues.
    pub venue_index: usize,
    pub digest: [u8; 32],
}

/// Reads a signed `snapshot.json`, requires the publisher's signature and this venue in it.
/// The error is one line naming the field.
pub fn check(text: &str, publisher: &PublisherKey, venue: &str) -> Result<Current, String> {
    let signed = read_signed_snapshot(text, "snapshot").map_err(|e| e.to_string())?;
    signed
        .require_publisher(publisher)
        .map_err(|e| format!("snapshot: {}: {e}", e.field()))?;
    let snapshot = signed.snapshot;
    let venue_index = snapshot.venue_index(venue).ok_or_else(|| {
        format!(
            "snapshot: venues: this gateway's venue {} is not in the snapshot",
            shown(venue)
        )
    })?;
    Ok(Current {
        params: Arc::new(snapshot.risk_params()),
        digest: snapshot.digest(),
        venue_index,
        snapshot,
    })
}

/// The stored form of a checked snapshot.
pub fn record(current: &Current, text: &str, received_at: u64) -> SnapshotRecord {
    SnapshotRecord {
        epoch: current.snapshot.epoch,
        digest: digest_to_hex(&current.digest),
        valid_until: current.snapshot.valid_until,
        body: text.to_string(),
        received_at,
    }
}

/// The snapshot orders are charged at, replaceable while requests read it.
#[derive(Default)]
pub struct SnapshotCell {
    current: RwLock<Option<Arc<Current>>>,
}

impl SnapshotCell {
    pub fn get(&self) -> Option<Arc<Current>> {
        // A poisoned lock only means a writer panicked between two whole assignments: the
        // value inside is still one whole snapshot.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes `new` current unless a later epoch already is.
    pub fn offer(&self, new: Arc<Current>) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let later_held = current
            .as_ref()
            .is_some_and(|c| c.snapshot.epoch > new.snapshot.epoch);
        if !later_held {
            *current = Some(new);
        }
    }
}
