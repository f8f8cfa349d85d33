//! The row statements both backends run, written once with PostgreSQL's `$n` parameters
//! (the SQLite backend rewrites them to `?n`). Columns are listed in the order the backends
//! read them back.

pub const FIND_ORDER: &str =
    "SELECT tag, request, nullifier, charge_uusd, accepted, remaining_uusd, \
     reason, answered_at FROM orders WHERE venue = $1 AND id = $2";

pub const INSERT_ORDER: &str = "INSERT INTO orders (venue, id, tag, request, nullifier, charge_uusd, \
     accepted, remaining_uusd, reason, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The line a tag spends: its highest epoch.
macro_rules! line_for_tag {
    () => {
        "SELECT l.nullifier, l.certificate, l.epoch, l.level_ppm, l.allowance_uusd, \
         l.valid_until, s.spent_uusd, l.tag FROM credit_lines l JOIN spent s \
         ON s.venue = l.venue AND s.nullifier = l.nullifier WHERE l.venue = $1 AND l.tag = $2 \
         ORDER BY l.epoch DESC LIMIT 1"
    };
}

pub const LINE_FOR_TAG: &str = line_for_tag!();

/// [`LINE_FOR_TAG`] holding the line's rows locked until the transaction ends (PostgreSQL).
pub const LINE_FOR_TAG_LOCKED: &str = concat!(line_for_tag!(), " FOR UPDATE");

pub const FIND_LINE: &str = "SELECT l.nullifier, l.certificate, l.epoch, l.level_ppm, \
     l.allowance_uusd, l.valid_until, s.spent_uusd, l.tag FROM credit_lines l JOIN spent s \
     ON s.venue = l.venue AND s.nullifier = l.nullifier WHERE l.venue = $1 AND l.nullifier = $2";

pub const SET_SPENT: &str = "UPDATE spent SET spent_uusd = $3 WHERE venue = $1 AND nullifier = $2";

pub const NULLIFIER_HOLDER: &str = "SELECT certificate FROM nullifiers WHERE nullifier = $1";

pub const INSERT_NULLIFIER: &str =
    "INSERT INTO nullifiers (nullifier, certificate, epoch, first_venue) VALUES ($1, $2, $3, $4)";

pub const INSERT_LINE: &str = "INSERT INTO credit_lines (venue, nullifier, certificate, tag, epoch, \
     level_ppm, allowance_uusd, valid_until, admitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub const INSERT_SPENT: &str =
    "INSERT INTO spent (venue, nullifier, spent_uusd) VALUES ($1, $2, '0')";

pub const PUT_SNAPSHOT: &str =
    "INSERT INTO snapshots (epoch, digest, valid_until, body, received_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (epoch) DO UPDATE SET digest = excluded.digest, \
     valid_until = excluded.valid_until, body = excluded.body, received_at = excluded.received_at";

pub const LATEST_SNAPSHOT: &str =
    "SELECT epoch, digest, valid_until, body, received_at FROM snapshots \
     ORDER BY epoch DESC LIMIT 1";

pub const APPLIED_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

pub const RECORD_VERSION: &str =
    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)";
