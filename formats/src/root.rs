//! `root.json` (`zkmargin.root/1`): a built tree's public side. It names the epoch, the
//! profile and the asset order its leaves were built under, so that `publish` refuses a root
//! built for another epoch or layout.
//!
//! ```text
//! {"format": "zkmargin.root/1", "epoch": 77, "profile": "small",
//!  "kind": "chain" | "venue", "name": "ethereum", "id": 1,
//!  "assets": ["BTC", ...], "accounts": 3, "root": "0x..."}
//! ```

use zkmargin_circuits::hash::{fp_to_hex, Fp};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Member;

use crate::input_error::InputError;
use crate::json::{self, Json};
use crate::tree::{read_tree_header, tree_header, TreeKind, TREE_HEADER_KEYS};

pub const ROOT_FORMAT: &str = "zkmargin.root/1";

/// A built tree's public side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootFile {
    pub epoch: u64,
    pub profile: Profile,
    pub kind: TreeKind,
    pub member: Member,
    /// The asset order the leaves were built under.
    pub assets: Vec<String>,
    /// How many registered accounts the tree commits (one leaf each, maybe 0).
    pub accounts: u64,
    pub root: Fp,
}

pub fn write_root(root: &RootFile) -> String {
    let mut entries = tree_header(
        ROOT_FORMAT,
        root.epoch,
        &root.profile,
        root.kind,
        &root.member,
        &root.assets,
    );
    entries.push(("accounts".into(), Json::uint(root.accounts)));
    entries.push(("root".into(), Json::str(fp_to_hex(&root.root))));
    json::to_pretty(&Json::Object(entries))
}

pub fn read_root(text: &str, file: &str) -> Result<RootFile, InputError> {
    let mut keys = TREE_HEADER_KEYS.to_vec();
    keys.extend(["accounts", "root"]);
    json::top_object(text, file, ROOT_FORMAT, &keys, |top| {
        let h = read_tree_header(top)?;
        Ok(RootFile {
            accounts: top.req("accounts")?.uint(64)?,
            root: top.req("root")?.fp()?,
            epoch: h.epoch,
            profile: h.profile,
            kind: h.kind,
            member: h.member,
            assets: h.assets,
        })
    })
}
