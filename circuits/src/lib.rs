//! zkmargin's statement: the reference margin engine, the chips and gadgets, the margin
//! circuit and its instance layout.

pub mod charge;
pub mod chips;
pub mod circuit;
pub mod config;
pub mod field;
/// Forgeries for the dishonest-prover corpus: public with the feature `testing`, identity hooks
/// without it.
#[cfg(feature = "testing")]
pub mod forgery;
#[cfg(not(feature = "testing"))]
mod forgery;
pub mod gadgets;
pub mod hash;
pub mod instance;
pub mod margin;
mod montgomery;
pub mod muldiv;
pub mod mutation;
pub mod packing;
pub mod permutation;
pub mod portfolio;
pub mod position;
pub mod profile;
pub mod snapshot;
pub mod units;
pub mod witness;
