//! zkmargin's statement: the reference margin engine, the chips and gadgets, the margin
//! circuit and its instance layout.

pub mod hash;
pub mod margin;
pub mod profile;
pub mod snapshot;
pub mod units;
