//! The gateway's tests: each starts the real `zkmargin-gateway` binary on a real database
//! (a SQLite file, or a PostgreSQL server the test starts) and talks HTTP to it.

mod certified;
mod harness;
mod postgres;
mod sample;

mod bad_input;
mod certificates;
mod chain;
mod concurrency;
mod crash;
mod failures;
mod freezes;
mod idempotency;
mod lifecycle;
mod orders;
mod readme;
mod registry;
mod tokens;
