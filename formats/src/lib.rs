//! Every file the zkmargin parties exchange, read strictly and written exactly.
//!
//! Reading: [`json`] parses a file keeping every key in order (so duplicates are refused) and
//! walks it with the file name and the JSON path of every value, so that each error
//! ([`input_error::InputError`]) names its file and field on one line; [`decimal`] parses
//! money and sizes exactly. Writing: [`write`] replaces a file atomically, private files with
//! mode 0600 from the start.
//!
//! | module | file |
//! |---|---|
//! | [`snapshot`] | `snapshot.json`, the public epoch snapshot (signed or not) |
//! | [`epoch_params`] | the epoch parameters that `network.json`, `epoch.json` and `snapshot.json` share |
//! | [`network`] | `network.json`, a whole network on one machine |
//! | [`position`] | positions, collateral and orders inside the files |
//! | [`account`] | `<account>.json`, a trader's private account file |
//! | [`secret`] | `alice.secret`, a trader's secret key |
//! | [`certificate`] | `certificate.zkm`, a margin certificate (binary, [`binary`] framing) |
//! | [`grant`] | `grants/<venue>.json`, one venue's credit line in a margin certificate |
//! | [`registry`] | `registry.json`, the account registry |
//! | [`epoch`] | `epoch.json`, the epoch the vaults and venues build for |
//! | [`holdings`] | a vault's balances and a venue's positions |
//! | [`root`] | `root.json`, a built tree's root |
//! | [`opening`] | an account's opening of a built tree |
//! | [`tree`] | what the tree files share: the kind of tree, the holding, its leaf |
//! | [`publisher_key`] | the publisher's key files |
//! | [`risk`] | the risk model behind computed haircuts and scan ranges |
//! | [`portfolio`] | the publisher's portfolio inputs in `network.json` and `epoch.json` (statement version 3) |
//! | [`risk_table`] | the snapshot's portfolio rates, risk table and its root, checked once per snapshot |
//! | [`cache`] | the cache directory (proving parameters, checked risk tables) |
//!
//! The statement's types (the snapshot, the book, the profiles, the field) are
//! `zkmargin_circuits`'; the builders of the files are `zkmargin_prover`'s.

pub mod account;
pub mod account_name;
pub mod binary;
pub mod cache;
pub mod certificate;
pub mod decimal;
pub mod epoch;
pub mod epoch_params;
pub mod grant;
pub mod hex;
pub mod holdings;
pub mod input_error;
pub mod instrument;
pub mod json;
pub mod network;
pub mod opening;
pub mod portfolio;
pub mod position;
pub mod profile;
pub mod publisher_key;
pub mod registry;
pub mod risk;
pub mod risk_table;
pub mod root;
pub mod secret;
pub mod snapshot;
pub mod tree;
pub mod write;
