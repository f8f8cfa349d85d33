//! One module per command.

pub mod check;
pub mod demo;
pub mod network;
pub mod prove;
pub mod verify;
