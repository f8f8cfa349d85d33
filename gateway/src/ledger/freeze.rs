//! Freezes (DESIGN.md, "The venue gateway", version 2: a liquidation reaches every venue). A
//! freeze marks a certificate's nullifier in the registry every venue on the database shares;
//! from its commit on, every gateway on the database refuses new orders of that nullifier's
//! lines (`rules::charge` reads the freezes in the transaction that charges, after the lines
//! are locked), while resting orders still fill and cancel. The first freeze of a nullifier
//! stands; a freeze again answers it and changes nothing.

use crate::storage::{FreezeRecord, LedgerTx, StorageError};

/// Freezes the nullifier of the line `tag` (`fp_to_hex`) spends at `venue`: the freeze that stands (this
/// one, or the first) and whether this call made it, or `None` when the tag has no line here.
pub fn freeze_tag(
    tx: &mut dyn LedgerTx,
    venue: &str,
    tag: &str,
    reason: &str,
    at: u64,
) -> Result<Option<(FreezeRecord, bool)>, StorageError> {
    let Some(state) = tx.line_for_tag(venue, tag)? else {
        return Ok(None);
    };
    let freeze = FreezeRecord {
        nullifier: state.line.nullifier,
        venue: venue.to_string(),
        reason: reason.to_string(),
        frozen_at: at,
    };
    freeze_nullifier(tx, freeze).map(Some)
}

/// Freezes `freeze.nullifier`, whether or not a line of it is here yet (the on-chain
/// registry's freezes, `crate::chain`, arrive for any nullifier): the freeze that stands and
/// whether this call made it.
pub fn freeze_nullifier(
    tx: &mut dyn LedgerTx,
    freeze: FreezeRecord,
) -> Result<(FreezeRecord, bool), StorageError> {
    if let Some(standing) = tx.frozen(&[&freeze.nullifier])?.pop() {
        return Ok((standing, false));
    }
    tx.freeze(&freeze)?;
    // Another venue's freeze may have committed between the read and the insert (which then
    // did nothing): answer the one that stands.
    let standing = tx
        .frozen(&[&freeze.nullifier])?
        .pop()
        .unwrap_or_else(|| freeze.clone());
    let made = standing == freeze;
    Ok((standing, made))
}
