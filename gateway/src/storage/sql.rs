//! The row statements, written once with PostgreSQL's `$n` parameters (the SQLite backend
//! rewrites them to `?n`). Columns are listed in the order the backends read them back
//! (`rows`). The single-row forms serve SQLite, where a statement is a function call; the
//! batch forms (`= ANY($n)`, `UNNEST`) serve PostgreSQL, where a statement is a round trip.

/// The columns of an order (`rows::OrderRow`), after `venue`.
macro_rules! order_columns {
    () => {
        "id, tag, request, nullifier, charge_uusd, accepted, remaining_uusd, reason, \
         answered_at, kind, symbol, side, strike_e8, expiry, size_e9, limit_e8, rest_e9, \
         reserved_uusd, filled_uusd, cancelled_at, released_uusd, cancel_remaining_uusd"
    };
}

/// The columns of a fill (`rows::FillRow`), after `venue`.
macro_rules! fill_columns {
    () => {
        "order_id, fill_id, size_e9, price_e8, charge_uusd, accepted, rest_e9, reserved_uusd, \
         remaining_uusd, reason, answered_at"
    };
}

/// The columns of a line (`rows::LineRow`).
macro_rules! line_columns {
    () => {
        "l.nullifier, l.certificate, l.epoch, l.level_ppm, l.allowance_uusd, l.valid_until, l.tag"
    };
}

pub const FIND_ORDER: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE venue = $1 AND id = $2"
);

pub const INSERT_ORDER: &str = concat!(
    "INSERT INTO orders (venue, ",
    order_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19, $20, $21, $22, $23)"
);

/// The lifecycle columns that change after an order is placed.
pub const UPDATE_LIFECYCLE: &str = "UPDATE orders SET rest_e9 = $3, reserved_uusd = $4, \
     filled_uusd = $5, cancelled_at = $6, released_uusd = $7, cancel_remaining_uusd = $8 \
     WHERE venue = $1 AND id = $2";

pub const FIND_FILL: &str = concat!(
    "SELECT ",
    fill_columns!(),
    " FROM fills WHERE venue = $1 AND order_id = $2 AND fill_id = $3"
);

pub const INSERT_FILL: &str = concat!(
    "INSERT INTO fills (venue, ",
    fill_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
);

/// The line a tag spends: its highest epoch.
pub const LINE_FOR_TAG: &str = concat!(
    "SELECT ",
    line_columns!(),
    " FROM credit_lines l WHERE l.venue = $1 AND l.tag = $2 ORDER BY l.epoch DESC LIMIT 1"
);

pub const LINE_OF: &str = concat!(
    "SELECT ",
    line_columns!(),
    " FROM credit_lines l WHERE l.venue = $1 AND l.nullifier = $2"
);

pub const USE_OF: &str =
    "SELECT spent_uusd, filled_uusd FROM spent WHERE venue = $1 AND nullifier = $2";

pub const SET_USE: &str =
    "UPDATE spent SET spent_uusd = $3, filled_uusd = $4 WHERE venue = $1 AND nullifier = $2";

pub const NULLIFIER_HOLDER: &str = "SELECT certificate FROM nullifiers WHERE nullifier = $1";

pub const INSERT_NULLIFIER: &str =
    "INSERT INTO nullifiers (nullifier, certificate, epoch, first_venue) VALUES ($1, $2, $3, $4)";

pub const INSERT_LINE: &str = "INSERT INTO credit_lines (venue, nullifier, certificate, tag, epoch, \
     level_ppm, allowance_uusd, valid_until, admitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub const INSERT_SPENT: &str =
    "INSERT INTO spent (venue, nullifier, spent_uusd, filled_uusd) VALUES ($1, $2, '0', '0')";

pub const FROZEN: &str =
    "SELECT nullifier, venue, reason, frozen_at FROM frozen WHERE nullifier = $1";

pub const FREEZE: &str = "INSERT INTO frozen (nullifier, venue, reason, frozen_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (nullifier) DO NOTHING";

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

// PostgreSQL's batch forms: one statement for all the rows of a batch.

pub const FIND_ORDERS: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders WHERE venue = $1 AND id = ANY($2)"
);

pub const INSERT_ORDERS: &str = concat!(
    "INSERT INTO orders (venue, ",
    order_columns!(),
    ") SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
     $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::text[], \
     $13::text[], $14::bigint[], $15::bigint[], $16::text[], $17::bigint[], $18::text[], \
     $19::text[], $20::text[], $21::bigint[], $22::text[], $23::text[])"
);

pub const UPDATE_LIFECYCLES: &str = "UPDATE orders o SET rest_e9 = u.rest, \
     reserved_uusd = u.reserved, filled_uusd = u.filled, cancelled_at = u.cancelled_at, \
     released_uusd = u.released, cancel_remaining_uusd = u.cancel_remaining \
     FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], \
     $8::text[]) AS u(id, rest, reserved, filled, cancelled_at, released, cancel_remaining) \
     WHERE o.venue = $1 AND o.id = u.id";

pub const FIND_FILLS: &str = concat!(
    "SELECT ",
    fill_columns!(),
    " FROM fills f JOIN UNNEST($2::text[], $3::text[]) AS k(order_id, fill_id) \
     USING (order_id, fill_id) WHERE f.venue = $1"
);

pub const INSERT_FILLS: &str = concat!(
    "INSERT INTO fills (venue, ",
    fill_columns!(),
    ") SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[], \
     $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], \
     $12::bigint[])"
);

/// The highest epoch's line of each tag.
pub const LINES_FOR_TAGS: &str = concat!(
    "SELECT DISTINCT ON (l.tag) ",
    line_columns!(),
    " FROM credit_lines l WHERE l.venue = $1 AND l.tag = ANY($2) ORDER BY l.tag, l.epoch DESC"
);

pub const LINES_OF: &str = concat!(
    "SELECT ",
    line_columns!(),
    " FROM credit_lines l WHERE l.venue = $1 AND l.nullifier = ANY($2)"
);

pub const FROZEN_ANY: &str = "SELECT nullifier, venue, reason, frozen_at FROM frozen \
     WHERE nullifier = ANY($1)";

/// Locks the lines' rows in the order of their nullifiers (rows are locked as the sort
/// yields them), so that two batches never each hold a line the other waits for.
pub const LOCK_USES: &str = "SELECT nullifier, spent_uusd, filled_uusd FROM spent \
     WHERE venue = $1 AND nullifier = ANY($2) ORDER BY nullifier FOR UPDATE";

pub const SET_USES: &str = "UPDATE spent s SET spent_uusd = u.spent, filled_uusd = u.filled \
     FROM UNNEST($2::text[], $3::text[], $4::text[]) AS u(nullifier, spent, filled) \
     WHERE s.venue = $1 AND s.nullifier = u.nullifier";
