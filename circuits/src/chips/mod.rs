//! Chips: each owns its gates and is configured with the columns it shares with the others.

pub mod arith;
pub mod merkle;
pub mod poseidon;
pub mod range;
pub mod select;
