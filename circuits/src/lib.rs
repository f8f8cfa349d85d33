//! zkmargin's statement: the reference margin engine, the chips and gadgets, the margin
//! circuit and its instance layout.

pub mod charge;
pub mod chips;
pub mod circuit;
pub mod corpus;
pub mod field;
pub mod fixtures;
pub mod gadgets;
pub mod hash;
pub mod inspect;
pub mod instance;
pub mod margin;
pub mod mutation;
pub mod profile;
pub mod snapshot;
pub mod units;
pub mod wide;
pub mod witness;
