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
pub const MIGRATIONS: &[(i64, &str)] = &[(
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
)];

/// The statements of one migration.
pub fn statements(migration: &str) -> impl Iterator<Item = &str> {
    migration.split(';').map(str::trim).filter(|s| {
        s.lines()
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one() {
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
        }
        assert_eq!(statements(MIGRATIONS[0].1).count(), 6);
    }
}
