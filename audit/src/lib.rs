//! What the margin circuit is made of, as halo2 itself reports it (`inspect`), and an honest
//! sample account to measure a real proof with (`sample`): what `zkmargin audit` needs.

pub mod inspect;
pub mod sample;
