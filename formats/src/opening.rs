//! An opening file (`zkmargin.opening/1`, mode 0600): one account's opening of a built tree,
//! private to that account.
//!
//! ```text
//! {"format": "zkmargin.opening/1", "epoch": 77, "profile": "small",
//!  "kind": "chain", "name": "ethereum", "id": 1, "assets": ["BTC", ...],
//!  "account": "alice", "idx": 0, "account_key": "0x...", "root": "0x...",
//!  "collateral": {"USDC": "50000"}          (a venue's: "positions": [...])
//!  "present": true, "salt": "0x...", "path": ["0x...", ...]}
//! ```

use zkmargin_circuits::hash::{fp_to_hex, root_from_path, Fp};
use zkmargin_circuits::margin::{Bucket, RiskParams};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::{Asset, Member};

use crate::account_name::check_account_name;
use crate::input_error::InputError;
use crate::json::{self, Json, ValueReader};
use crate::position::{amounts_to_json, position_to_json, read_amounts, read_position};
use crate::tree::{read_tree_header, tree_header, Holding, Opening, TreeKind, TREE_HEADER_KEYS};

pub const OPENING_FORMAT: &str = "zkmargin.opening/1";

/// One account's opening of a built tree: private to that account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpeningFile {
    pub epoch: u64,
    pub profile: Profile,
    pub kind: TreeKind,
    pub member: Member,
    pub assets: Vec<String>,
    pub account: String,
    pub idx: u64,
    pub key: Fp,
    pub root: Fp,
    pub holding: Holding,
    pub opening: Opening,
}

pub fn write_opening(o: &OpeningFile) -> String {
    let mut entries = tree_header(
        OPENING_FORMAT,
        o.epoch,
        &o.profile,
        o.kind,
        &o.member,
        &o.assets,
    );
    entries.push(("account".into(), Json::str(&o.account)));
    entries.push(("idx".into(), Json::uint(o.idx)));
    entries.push(("account_key".into(), Json::str(fp_to_hex(&o.key))));
    entries.push(("root".into(), Json::str(fp_to_hex(&o.root))));
    match &o.holding {
        Holding::Collateral(amounts) => {
            entries.push(("collateral".into(), amounts_to_json(amounts, &o.assets)))
        }
        Holding::Positions(slots) => {
            let assets: Vec<Asset> = o
                .assets
                .iter()
                .map(|symbol| Asset {
                    symbol: symbol.clone(),
                    price: 0,
                })
                .collect();
            entries.push((
                "positions".into(),
                Json::Array(slots.iter().map(|p| position_to_json(p, &assets)).collect()),
            ))
        }
    }
    entries.push(("present".into(), Json::Bool(o.opening.present)));
    entries.push(("salt".into(), Json::str(fp_to_hex(&o.opening.salt))));
    entries.push((
        "path".into(),
        Json::Array(
            o.opening
                .path
                .iter()
                .map(|n| Json::str(fp_to_hex(n)))
                .collect(),
        ),
    ));
    json::to_pretty(&Json::Object(entries))
}

/// Reads an opening file. Positions are read as written (their expiries are checked against
/// the snapshot's buckets when the account is assembled); the leaf must reach `root` with
/// `path` at `idx`, so a corrupted opening is refused here.
pub fn read_opening(text: &str, file: &str) -> Result<OpeningFile, InputError> {
    let mut keys = TREE_HEADER_KEYS.to_vec();
    keys.extend([
        "account",
        "idx",
        "account_key",
        "root",
        "collateral",
        "positions",
        "present",
        "salt",
        "path",
    ]);
    json::top_object(text, file, OPENING_FORMAT, &keys, |top| {
        let h = read_tree_header(top)?;
        let account_at = top.req("account")?;
        let account = account_at.str()?;
        check_account_name(&account_at, account)?;
        let idx = top.req("idx")?.uint(h.profile.depth)?;
        let key = top.req("account_key")?.fp()?;
        let root = top.req("root")?.fp()?;
        let assets: Vec<Asset> = h
            .assets
            .iter()
            .map(|symbol| Asset {
                symbol: symbol.clone(),
                price: 0,
            })
            .collect();
        let holding = match h.kind {
            TreeKind::Chain => {
                if top.has("positions") {
                    return Err(top.err("positions", "a chain's opening holds collateral"));
                }
                Holding::Collateral(read_amounts(&top.req("collateral")?, &assets)?)
            }
            TreeKind::Venue => {
                if top.has("collateral") {
                    return Err(top.err("collateral", "a venue's opening holds positions"));
                }
                // Expiries are checked against the snapshot at assembly: read with an
                // epoch that admits any expiry here.
                let open = RiskParams {
                    prices: vec![0; assets.len()],
                    haircuts_ppm: vec![],
                    perp_mmr_ppm: vec![],
                    option_rate_ppm: vec![],
                    buckets: vec![Bucket {
                        max_seconds: u64::MAX,
                        tau_ppm: vec![0; assets.len()],
                    }],
                    upnl_haircut_ppm: 0,
                    valid_from: 0,
                    portfolio: vec![],
                    risk_table: Default::default(),
                };
                let positions_at = top.req("positions")?;
                let slots = positions_at
                    .items()?
                    .iter()
                    .map(|item| read_position(item, &assets, &open, false))
                    .collect::<Result<Vec<_>, _>>()?;
                if slots.len() > h.profile.positions {
                    return Err(positions_at.err(format!(
                        "{} positions do not fit profile {}",
                        slots.len(),
                        h.profile.name
                    )));
                }
                Holding::Positions(slots)
            }
        };
        let present_at = top.req("present")?;
        let present = present_at.bool()?;
        if present != holding.present() {
            return Err(present_at.err(if present {
                "is true, but the account holds nothing here"
            } else {
                "is false, but the account holds something here"
            }));
        }
        let salt = top.req("salt")?.fp()?;
        let path_at = top.req("path")?;
        let items = path_at.items()?;
        if items.len() != h.profile.depth {
            return Err(path_at.err(format!(
                "has {} siblings, but profile {} has trees of depth {}",
                items.len(),
                h.profile.name,
                h.profile.depth
            )));
        }
        let path = items
            .iter()
            .map(ValueReader::fp)
            .collect::<Result<Vec<Fp>, _>>()?;
        let leaf = holding.leaf(&h.profile, key, h.member.id, salt);
        if leaf.map(|leaf| root_from_path(leaf, idx, &path)) != Some(root) {
            return Err(top.err(
                "root",
                "is not reached by this opening: the key, index, holding, salt or path differ \
                 from what the tree committed",
            ));
        }
        Ok(OpeningFile {
            epoch: h.epoch,
            profile: h.profile,
            kind: h.kind,
            member: h.member,
            assets: h.assets,
            account: account.to_string(),
            idx,
            key,
            root,
            holding,
            opening: Opening {
                present,
                salt,
                path,
            },
        })
    })
}
