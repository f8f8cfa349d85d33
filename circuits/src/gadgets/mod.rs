//! Gadgets: thin users of the chips' instruction traits that state one piece of the margin
//! rules each.

pub mod division;
pub mod leaf;
pub mod record;
pub mod slot;

use crate::chips::arith::ArithInstructions;
use crate::chips::range::RangeInstructions;
use crate::chips::select::SelectInstructions;

/// The instructions the margin gadgets use, borrowed together.
pub struct Tools<'a, A: ArithInstructions, R: RangeInstructions, S: SelectInstructions> {
    pub arith: &'a A,
    pub range: &'a R,
    pub select: &'a S,
}
