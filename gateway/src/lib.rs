//! `zkmargin-gateway`: the venue's service (DESIGN.md, "The venue gateway"). Certificates in,
//! order charges against credit lines out, every charge committed to a durable ledger
//! (SQLite or PostgreSQL) before it is acknowledged.
//!
//! The library is what the binary is made of; tests and tools use [`storage`] directly to
//! prepare a database the binary then serves.

pub mod api;
pub mod certificates;
pub mod chain;
pub mod clock;
pub mod ledger;
pub mod metrics;
pub mod publisher;
pub mod reader;
pub mod server;
pub mod snapshots;
pub mod storage;
pub mod token;
pub mod writer;
