//! The field every value of the statement lives in: the Pallas base field.
//!
//! Its own module so that the hashing (`hash`) and the integer arithmetic (`muldiv`) can both
//! use it without importing each other; `hash::Fp` re-exports it.

pub use pasta_curves::pallas::Base as Fp;
