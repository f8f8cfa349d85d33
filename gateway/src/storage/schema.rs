//! The gateway's schema: numbered migrations, applied in order at start by both backends.
//!
//! One SQL text serves both databases: only portable types (BIGINT, TEXT) and statements.
//! A migration, once released, never changes: a change to the schema is a new migration.
//! `schema_migrations` records the versions applied; a backend applies the missing ones in
//! one transaction, holding a lock so that two processes starting together apply each once.

/// The table that records the applied migrations (created before any migration runs).
pub const MIGRATIONS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

/// `(version, statements)`, versions strictly increasing from 1. Statements are separated by
/// `;` and contain none inside them, comments included.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "
    -- Publisher-signed snapshots, one per epoch (a re-published epoch replaces its row).
    CREATE TABLE snapshots (
        epoch BIGINT PRIMARY KEY,
        digest TEXT NOT NULL,
        valid_until BIGINT NOT NULL,
        body TEXT NOT NULL,
        received_at BIGINT NOT NULL
    );
    -- The registry of nullifiers: one certificate per nullifier, across every venue that
    -- shares this database (DESIGN.md, Margin certificates).
    CREATE TABLE nullifiers (
        nullifier TEXT PRIMARY KEY,
        certificate TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        first_venue TEXT NOT NULL
    );
    -- Credit lines: one per (venue, certificate). A certificate carries a line for each venue,
    -- so the nullifier is unique per venue here and globally in `nullifiers`.
    CREATE TABLE credit_lines (
        venue TEXT NOT NULL,
        nullifier TEXT NOT NULL REFERENCES nullifiers (nullifier),
        certificate TEXT NOT NULL,
        tag TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        level_ppm BIGINT NOT NULL,
        allowance_uusd TEXT NOT NULL,
        valid_until BIGINT NOT NULL,
        admitted_at BIGINT NOT NULL,
        PRIMARY KEY (venue, nullifier)
    );
    CREATE INDEX credit_lines_by_tag ON credit_lines (venue, tag, epoch);
    -- What is accepted against each line, invariant spent <= allowance.
    CREATE TABLE spent (
        venue TEXT NOT NULL,
        nullifier TEXT NOT NULL,
        spent_uusd TEXT NOT NULL,
        PRIMARY KEY (venue, nullifier),
        FOREIGN KEY (venue, nullifier) REFERENCES credit_lines (venue, nullifier)
    );
    -- Every answered order, so that a retried id gets the same answer and charges once.
    CREATE TABLE orders (
        venue TEXT NOT NULL,
        id TEXT NOT NULL,
        tag TEXT NOT NULL,
        request TEXT NOT NULL,
        nullifier TEXT,
        charge_uusd TEXT NOT NULL,
        accepted BIGINT NOT NULL,
        remaining_uusd TEXT NOT NULL,
        reason TEXT,
        answered_at BIGINT NOT NULL,
        PRIMARY KEY (venue, id)
    )
    ",
    ),
    (
        2,
        "
    -- The order lifecycle (gateway version 2): an accepted order reserves its charge on its
    -- line, fills turn parts of it into positions, a cancel releases what rests. NULL on a
    -- refused order, and on one accepted before this migration (charged for good).
    ALTER TABLE orders ADD COLUMN kind TEXT;
    ALTER TABLE orders ADD COLUMN symbol TEXT;
    ALTER TABLE orders ADD COLUMN side TEXT;
    ALTER TABLE orders ADD COLUMN strike_e8 BIGINT;
    ALTER TABLE orders ADD COLUMN expiry BIGINT;
    ALTER TABLE orders ADD COLUMN size_e9 TEXT;
    ALTER TABLE orders ADD COLUMN limit_e8 BIGINT;
    ALTER TABLE orders ADD COLUMN rest_e9 TEXT;
    ALTER TABLE orders ADD COLUMN reserved_uusd TEXT;
    ALTER TABLE orders ADD COLUMN filled_uusd TEXT;
    ALTER TABLE orders ADD COLUMN cancelled_at BIGINT;
    ALTER TABLE orders ADD COLUMN released_uusd TEXT;
    ALTER TABLE orders ADD COLUMN cancel_remaining_uusd TEXT;
    -- The part of a line's spent that fills made positions (the rest is reserved by resting
    -- orders). What was charged before this migration is a position for good.
    ALTER TABLE spent ADD COLUMN filled_uusd TEXT NOT NULL DEFAULT '0';
    UPDATE spent SET filled_uusd = spent_uusd;
    -- Every answered fill, so that a retried fill id gets the same answer and fills once. A
    -- trade has two sides, both maybe at this venue: a fill id is unique within its order.
    CREATE TABLE fills (
        venue TEXT NOT NULL,
        order_id TEXT NOT NULL,
        fill_id TEXT NOT NULL,
        size_e9 TEXT NOT NULL,
        price_e8 BIGINT NOT NULL,
        charge_uusd TEXT NOT NULL,
        accepted BIGINT NOT NULL,
        rest_e9 TEXT NOT NULL,
        reserved_uusd TEXT NOT NULL,
        remaining_uusd TEXT NOT NULL,
        reason TEXT,
        answered_at BIGINT NOT NULL,
        PRIMARY KEY (venue, order_id, fill_id),
        FOREIGN KEY (venue, order_id) REFERENCES orders (venue, id)
    )
    ",
    ),
    (
        3,
        "
    -- Frozen nullifiers (gateway version 2: a liquidation reaches every venue). One row a
    -- nullifier, shared by every venue on this database: a gateway refuses new orders of a
    -- frozen nullifier's lines, while their resting orders still fill and cancel. `venue` is
    -- the venue that froze it (POST /v1/accounts/{tag}/freeze), and the first freeze stands.
    CREATE TABLE frozen (
        nullifier TEXT PRIMARY KEY,
        venue TEXT NOT NULL,
        reason TEXT NOT NULL,
        frozen_at BIGINT NOT NULL
    )
    ",
    ),
];

/// The statements of one migration, split at every `;` (so no comment may hold one: tested).
pub fn statements(migration: &str) -> impl Iterator<Item = &str> {
    migration.split(';').map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `statements` splits a migration at every `;`, comments included: a `;` in a comment
    /// would cut a statement in two at start-up. None may have one.
    #[test]
    fn no_comment_holds_a_statement_separator() {
        for (version, migration) in MIGRATIONS {
            for line in migration.lines() {
                if let Some((_, comment)) = line.split_once("--") {
                    assert!(
                        !comment.contains(';'),
                        "migration {version}: a ';' in the comment {comment:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn versions_increase_from_one() {
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
        }
        assert_eq!(statements(MIGRATIONS[0].1).count(), 6);
        assert_eq!(statements(MIGRATIONS[1].1).count(), 16);
        assert_eq!(statements(MIGRATIONS[2].1).count(), 1);
    }
}
