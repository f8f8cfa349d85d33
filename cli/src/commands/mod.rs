//! One module per command.

pub mod audit;
pub mod certify;
pub mod charge;
pub mod check;
pub mod demo;
pub mod network;
pub mod parties;
pub mod prove;
pub mod publisher;
pub mod risk;
pub mod scenarios;
pub mod verify;
