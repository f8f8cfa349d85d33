//! The parties apart: each step of building an epoch, with the file it reads and writes.
//!
//! `network build` does every step on one machine (see `network::build_with`); in the real
//! system each party runs its own step and trusts the others only through roots and the
//! publisher's signature:
//!
//! | step | party | reads | writes |
//! |---|---|---|---|
//! | `account new` | trader | | `alice.secret` (`zkmargin.secret/1`, mode 0600) |
//! | `registry add` | registry | `registry.json`, an account key | `registry.json` (`zkmargin.registry/1`) |
//! | `vault build` | a chain's vault | `epoch.json`, `registry.json`, its balances (`zkmargin.vault/1`) | `root.json` (`zkmargin.root/1`), `openings/<name>.json` (`zkmargin.opening/1`, mode 0600) |
//! | `venue build` | a venue | `epoch.json`, `registry.json`, its positions (`zkmargin.venue/1`) | the same |
//! | `publish` | publisher | `epoch.json`, every `root.json`, its key | `snapshot.json`, signed |
//! | `account assemble` | trader | `alice.secret`, `snapshot.json`, its openings | `alice.json` (`zkmargin.account/1`) |
//!
//! File shapes (amounts, prices and sizes are decimal strings as in `network.json`):
//!
//! ```text
//! alice.secret   {"format": "zkmargin.secret/1", "sk": "0x..."}
//! registry.json  {"format": "zkmargin.registry/1",
//!                 "accounts": [{"name": "alice", "key": "0x...", "idx": 0}, ...]}
//! epoch.json     {"format": "zkmargin.epoch/1", "profile": "small",
//!                 <the epoch parameters, in the words of network.json and snapshot.json>}
//! balances       {"format": "zkmargin.vault/1", "chain": "ethereum",
//!                 "balances": {"alice": {"USDC": "50000", "BTC": "0.5"}, ...}}
//! positions      {"format": "zkmargin.venue/1", "venue": "cex",
//!                 "positions": {"alice": [{"kind": "perp", ...}, ...], ...}}
//! root.json      {"format": "zkmargin.root/1", "epoch": 77, "profile": "small",
//!                 "kind": "chain" | "venue", "name": "ethereum", "id": 1,
//!                 "assets": ["BTC", ...], "accounts": 3, "root": "0x..."}
//! opening        {"format": "zkmargin.opening/1", "epoch": 77, "profile": "small",
//!                 "kind": "chain", "name": "ethereum", "id": 1, "assets": ["BTC", ...],
//!                 "account": "alice", "idx": 0, "account_key": "0x...", "root": "0x...",
//!                 "collateral": {"USDC": "50000"}          (a venue's: "positions": [...])
//!                 "present": true, "salt": "0x...", "path": ["0x...", ...]}
//! ```
//!
//! The registry gives every account an index; a vault or venue commits one leaf per registered
//! account (leaf 0 where it holds nothing for it), so every account gets an opening from every
//! tree. A root file names the epoch, the profile and the asset order its leaves were built
//! under, so that `publish` refuses a root built for another epoch or layout.

use std::collections::HashSet;

use ff::Field;
use zkmargin_circuits::hash::{
    account_key, collateral_leaf, fp_to_hex, position_leaf, root_from_path, Fp, MerkleTree,
};
use zkmargin_circuits::input_error::InputError;
use zkmargin_circuits::margin::{Book, Position};
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_circuits::snapshot_json::{
    epoch_params_entries, read_epoch_params, read_profile, EpochParams, EPOCH_PARAM_KEYS,
};
use zkmargin_circuits::strict_json::{self, shown, At, Json, Obj};
use zkmargin_circuits::units::{AMOUNT_BITS, AMOUNT_DECIMALS, EPOCH_BITS, ID_BITS};

use crate::account::{padded_amounts, padded_slots, Account, Opening};
use crate::network::{check_account_name, position_to_json, read_position};

pub const SECRET_FORMAT: &str = "zkmargin.secret/1";
pub const REGISTRY_FORMAT: &str = "zkmargin.registry/1";
pub const EPOCH_FORMAT: &str = "zkmargin.epoch/1";
pub const VAULT_FORMAT: &str = "zkmargin.vault/1";
pub const VENUE_FORMAT: &str = "zkmargin.venue/1";
pub const ROOT_FORMAT: &str = "zkmargin.root/1";
pub const OPENING_FORMAT: &str = "zkmargin.opening/1";

/// Reads the top-level object of `text`, checks its `format` and refuses keys outside `keys`.
fn top_object<R>(
    text: &str,
    file: &str,
    format: &str,
    keys: &[&str],
    read: impl FnOnce(&Obj) -> Result<R, InputError>,
) -> Result<R, InputError> {
    let json = strict_json::parse(text, file)?;
    let root = At::root(file, &json);
    let top = root.object()?;
    top.format(format)?;
    top.only(keys)?;
    read(&top)
}

// ------------------------------------------------------------------------------ trader secret

/// The trader's secret file: `sk`, nothing else. Its account key goes to the registry, its
/// tags to the venues.
pub fn write_secret(sk: &Fp) -> String {
    strict_json::to_pretty(&Json::object([
        ("format", Json::str(SECRET_FORMAT)),
        ("sk", Json::str(fp_to_hex(sk))),
    ]))
}

pub fn read_secret(text: &str, file: &str) -> Result<Fp, InputError> {
    top_object(text, file, SECRET_FORMAT, &["format", "sk"], |top| {
        top.req("sk")?.fp()
    })
}

// ------------------------------------------------------------------------------ registry

/// One registered account: a file-safe name, its account key `H(1, sk)`, and its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryEntry {
    pub name: String,
    pub key: Fp,
    pub idx: u64,
}

/// The account registry: distinct names (ignoring case), keys and indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    pub entries: Vec<RegistryEntry>,
}

impl Registry {
    /// Registers `key` under `name` at the next free index (one past the largest); the error
    /// says which of name or key is taken.
    pub fn add(&mut self, name: &str, key: Fp) -> Result<u64, String> {
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        {
            return Err(format!(
                "the name {} is taken (index {})",
                shown(&e.name),
                e.idx
            ));
        }
        if let Some(e) = self.entries.iter().find(|e| e.key == key) {
            return Err(format!(
                "the key is registered already, as {} (index {})",
                shown(&e.name),
                e.idx
            ));
        }
        let idx = match self.entries.iter().map(|e| e.idx).max() {
            None => 0,
            Some(max) => max
                .checked_add(1)
                .ok_or_else(|| "no index is left after the largest registered".to_string())?,
        };
        self.entries.push(RegistryEntry {
            name: name.to_string(),
            key,
            idx,
        });
        Ok(idx)
    }

    pub fn by_name(&self, name: &str) -> Option<(usize, &RegistryEntry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.name == name)
    }

    /// Whether every index fits a tree of `profile`; the error names the first that does not.
    pub fn check_fits(&self, profile: &Profile, file: &str) -> Result<(), InputError> {
        match self
            .entries
            .iter()
            .position(|e| profile.depth < 64 && e.idx >= 1u64 << profile.depth)
        {
            Some(i) => Err(InputError::new(
                file,
                format!("accounts[{i}].idx"),
                format!(
                    "{} does not fit the trees of profile {} (indices below 2^{})",
                    self.entries[i].idx, profile.name, profile.depth
                ),
            )),
            None => Ok(()),
        }
    }
}

pub fn write_registry(registry: &Registry) -> String {
    strict_json::to_pretty(&Json::object([
        ("format", Json::str(REGISTRY_FORMAT)),
        (
            "accounts",
            Json::Array(
                registry
                    .entries
                    .iter()
                    .map(|e| {
                        Json::object([
                            ("name", Json::str(&e.name)),
                            ("key", Json::str(fp_to_hex(&e.key))),
                            ("idx", Json::uint(e.idx)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]))
}

pub fn read_registry(text: &str, file: &str) -> Result<Registry, InputError> {
    top_object(
        text,
        file,
        REGISTRY_FORMAT,
        &["format", "accounts"],
        |top| {
            let mut registry = Registry::default();
            let mut names = HashSet::new();
            for item in top.req("accounts")?.items()? {
                let obj = item.object()?;
                obj.only(&["name", "key", "idx"])?;
                let name_at = obj.req("name")?;
                let name = name_at.str()?;
                check_account_name(&name_at, name)?;
                if !names.insert(name.to_ascii_lowercase()) {
                    return Err(name_at.err(format!(
                        "duplicate account name {} (names differ even ignoring case)",
                        shown(name)
                    )));
                }
                let key_at = obj.req("key")?;
                let key = key_at.fp()?;
                if registry.entries.iter().any(|e| e.key == key) {
                    return Err(key_at.err("duplicate account key"));
                }
                let idx_at = obj.req("idx")?;
                let idx = idx_at.uint(64)?;
                if registry.entries.iter().any(|e| e.idx == idx) {
                    return Err(idx_at.err(format!("duplicate index {idx}")));
                }
                registry.entries.push(RegistryEntry {
                    name: name.to_string(),
                    key,
                    idx,
                });
            }
            Ok(registry)
        },
    )
}

// ------------------------------------------------------------------------------ epoch

/// What the publisher announces before the vaults and venues build: the profile and the epoch
/// parameters (the same words as `network.json` and `snapshot.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub profile: Profile,
    pub params: EpochParams,
}

impl Epoch {
    pub fn asset_symbols(&self) -> Vec<String> {
        self.params
            .assets
            .iter()
            .map(|a| a.symbol.clone())
            .collect()
    }
}

pub fn write_epoch(epoch: &Epoch) -> String {
    let mut entries: Vec<(String, Json)> = vec![
        ("format".into(), Json::str(EPOCH_FORMAT)),
        ("profile".into(), Json::str(epoch.profile.name)),
    ];
    entries.extend(epoch_params_entries(&epoch.params));
    strict_json::to_pretty(&Json::Object(entries))
}

pub fn read_epoch(text: &str, file: &str) -> Result<Epoch, InputError> {
    let mut keys = vec!["format", "profile"];
    keys.extend(EPOCH_PARAM_KEYS);
    top_object(text, file, EPOCH_FORMAT, &keys, |top| {
        let profile = read_profile(&top.req("profile")?)?;
        let params = read_epoch_params(top)?;
        params.check_fits(&profile, file)?;
        Ok(Epoch { profile, params })
    })
}

// ------------------------------------------------------------------------------ trees

/// Which kind of tree: a chain's collateral vault or a venue's position book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    Chain,
    Venue,
}

impl TreeKind {
    pub fn word(self) -> &'static str {
        match self {
            TreeKind::Chain => "chain",
            TreeKind::Venue => "venue",
        }
    }

    fn members(self, params: &EpochParams) -> &[Member] {
        match self {
            TreeKind::Chain => &params.chains,
            TreeKind::Venue => &params.venues,
        }
    }
}

/// What one tree commits for one account: balances per asset (a chain), or position slots
/// (a venue), unpadded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holding {
    Collateral(Vec<u64>),
    Positions(Vec<Position>),
}

impl Holding {
    /// Whether the account holds anything here (else its leaf is 0).
    pub fn present(&self) -> bool {
        match self {
            Holding::Collateral(amounts) => amounts.iter().any(|&x| x != 0),
            Holding::Positions(slots) => !slots.is_empty(),
        }
    }

    /// The leaf of this holding for `key` in tree `id` under `profile` (0 when absent).
    pub fn leaf(&self, profile: &Profile, key: Fp, id: u64, salt: Fp) -> Option<Fp> {
        if !self.present() {
            return Some(Fp::ZERO);
        }
        Some(match self {
            Holding::Collateral(amounts) => {
                collateral_leaf(key, id, &padded_amounts(profile, amounts)?, salt)
            }
            Holding::Positions(slots) => {
                position_leaf(key, id, &padded_slots(profile, slots)?, salt)
            }
        })
    }
}

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

/// A tree built by a vault or a venue: its root and one opening per registered account.
#[derive(Clone, Debug)]
pub struct TreeBuild {
    pub root: RootFile,
    pub openings: Vec<OpeningFile>,
}

/// Builds the tree of `member` (a chain or a venue of `epoch`) over every registered account:
/// `holdings[i]` and `salts[i]` belong to `registry.entries[i]` (a salt is used only where the
/// account holds something; elsewhere the leaf is 0 and the opening's salt 0).
pub fn build_tree(
    epoch: &Epoch,
    kind: TreeKind,
    member: &Member,
    registry: &Registry,
    holdings: &[Holding],
    salts: &[Fp],
    file: &str,
) -> Result<TreeBuild, InputError> {
    let profile = epoch.profile;
    registry.check_fits(&profile, file)?;
    if holdings.len() != registry.entries.len() || salts.len() != registry.entries.len() {
        return Err(InputError::new(
            file,
            "(top level)",
            "one holding and one salt per registered account are required",
        ));
    }
    let mut leaves = Vec::new();
    let mut used_salts = Vec::new();
    for (i, ((entry, holding), &salt)) in
        registry.entries.iter().zip(holdings).zip(salts).enumerate()
    {
        let salt = if holding.present() { salt } else { Fp::ZERO };
        let leaf = holding
            .leaf(&profile, entry.key, member.id, salt)
            .ok_or_else(|| {
                InputError::new(
                    file,
                    format!("accounts[{i}]"),
                    format!(
                        "{}'s holding does not fit profile {}",
                        entry.name, profile.name
                    ),
                )
            })?;
        leaves.push((entry.idx, leaf));
        used_salts.push(salt);
    }
    let tree = MerkleTree::new(profile.depth, &leaves);
    let root = tree.root();
    let assets = epoch.asset_symbols();
    let openings = registry
        .entries
        .iter()
        .zip(holdings)
        .zip(used_salts)
        .map(|((entry, holding), salt)| OpeningFile {
            epoch: epoch.params.epoch,
            profile,
            kind,
            member: member.clone(),
            assets: assets.clone(),
            account: entry.name.clone(),
            idx: entry.idx,
            key: entry.key,
            root,
            holding: holding.clone(),
            opening: Opening {
                present: holding.present(),
                salt,
                path: tree.path(entry.idx),
            },
        })
        .collect();
    Ok(TreeBuild {
        root: RootFile {
            epoch: epoch.params.epoch,
            profile,
            kind,
            member: member.clone(),
            assets,
            accounts: registry.entries.len() as u64,
            root,
        },
        openings,
    })
}

/// Reads a tree's input, a vault's balances or a venue's positions: the member it belongs to
/// and one holding per registered account (accounts left out hold nothing). A name that is not
/// registered is refused.
pub fn read_holdings(
    text: &str,
    file: &str,
    kind: TreeKind,
    epoch: &Epoch,
    registry: &Registry,
) -> Result<(Member, Vec<Holding>), InputError> {
    let (format, member_key, table_key) = match kind {
        TreeKind::Chain => (VAULT_FORMAT, "chain", "balances"),
        TreeKind::Venue => (VENUE_FORMAT, "venue", "positions"),
    };
    top_object(
        text,
        file,
        format,
        &["format", member_key, table_key],
        |top| {
            let member_at = top.req(member_key)?;
            let name = member_at.str()?;
            let members = kind.members(&epoch.params);
            let member = members.iter().find(|m| m.name == name).ok_or_else(|| {
                let known: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
                member_at.err(format!(
                    "unknown {} {} (the epoch's: {})",
                    kind.word(),
                    shown(name),
                    known.join(", ")
                ))
            })?;
            let params = &epoch.params;
            let risk = params.risk_params();
            let mut holdings: Vec<Holding> = registry
                .entries
                .iter()
                .map(|_| match kind {
                    TreeKind::Chain => Holding::Collateral(vec![0; params.assets.len()]),
                    TreeKind::Venue => Holding::Positions(Vec::new()),
                })
                .collect();
            for (account, at) in top.req(table_key)?.entries()? {
                let (i, _) = registry.by_name(account).ok_or_else(|| {
                    at.err(format!(
                        "{} is not in the registry: register its account key first",
                        shown(account)
                    ))
                })?;
                holdings[i] = match kind {
                    TreeKind::Chain => Holding::Collateral(read_amounts(&at, &params.assets)?),
                    TreeKind::Venue => {
                        let slots = at
                            .items()?
                            .iter()
                            .map(|item| read_position(item, &params.assets, &risk, false))
                            .collect::<Result<Vec<_>, _>>()?;
                        if slots.len() > epoch.profile.positions {
                            return Err(at.err(format!(
                                "{} positions do not fit profile {} (at most {})",
                                slots.len(),
                                epoch.profile.name,
                                epoch.profile.positions
                            )));
                        }
                        Holding::Positions(slots)
                    }
                };
            }
            Ok((member.clone(), holdings))
        },
    )
}

/// `{asset: amount}` over the epoch's assets (left out: zero).
fn read_amounts(at: &At, assets: &[Asset]) -> Result<Vec<u64>, InputError> {
    let mut amounts = vec![0u64; assets.len()];
    for (symbol, amount_at) in at.entries()? {
        let a = assets
            .iter()
            .position(|m| m.symbol == symbol)
            .ok_or_else(|| amount_at.err(format!("unknown asset {}", shown(symbol))))?;
        amounts[a] = amount_at.decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
    }
    Ok(amounts)
}

fn amounts_to_json(amounts: &[u64], assets: &[String]) -> Json {
    Json::object(
        assets
            .iter()
            .zip(amounts)
            .filter(|(_, &x)| x != 0)
            .map(|(symbol, &x)| {
                (
                    symbol.clone(),
                    Json::str(zkmargin_circuits::units::format_scaled(
                        x as i128,
                        AMOUNT_DECIMALS,
                    )),
                )
            }),
    )
}

/// The entries every tree file starts with.
fn tree_header(
    format: &str,
    epoch: u64,
    profile: &Profile,
    kind: TreeKind,
    member: &Member,
    assets: &[String],
) -> Vec<(String, Json)> {
    vec![
        ("format".into(), Json::str(format)),
        ("epoch".into(), Json::uint(epoch)),
        ("profile".into(), Json::str(profile.name)),
        ("kind".into(), Json::str(kind.word())),
        ("name".into(), Json::str(&member.name)),
        ("id".into(), Json::uint(member.id)),
        (
            "assets".into(),
            Json::Array(assets.iter().map(Json::str).collect()),
        ),
    ]
}

const TREE_HEADER_KEYS: [&str; 7] = ["format", "epoch", "profile", "kind", "name", "id", "assets"];

struct Header {
    epoch: u64,
    profile: Profile,
    kind: TreeKind,
    member: Member,
    assets: Vec<String>,
}

fn read_tree_header(top: &Obj) -> Result<Header, InputError> {
    let epoch = top.req("epoch")?.uint(EPOCH_BITS)?;
    let profile = read_profile(&top.req("profile")?)?;
    let kind_at = top.req("kind")?;
    let kind = match kind_at.str()? {
        "chain" => TreeKind::Chain,
        "venue" => TreeKind::Venue,
        other => {
            return Err(kind_at.err(format!(
                "unknown kind {} (expected \"chain\" or \"venue\")",
                shown(other)
            )))
        }
    };
    let name_at = top.req("name")?;
    let name = name_at.str()?;
    strict_json::check_name(&name_at, name)?;
    let id = top.req("id")?.uint(ID_BITS)?;
    let assets_at = top.req("assets")?;
    let items = assets_at.items()?;
    if items.is_empty() || items.len() > profile.assets {
        return Err(assets_at.err(format!(
            "{} assets: profile {} holds 1 to {}",
            items.len(),
            profile.name,
            profile.assets
        )));
    }
    let assets = items
        .iter()
        .map(|at| {
            let symbol = at.str()?;
            strict_json::check_name(at, symbol)?;
            Ok(symbol.to_string())
        })
        .collect::<Result<Vec<String>, InputError>>()?;
    Ok(Header {
        epoch,
        profile,
        kind,
        member: Member {
            id,
            name: name.to_string(),
        },
        assets,
    })
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
    strict_json::to_pretty(&Json::Object(entries))
}

pub fn read_root(text: &str, file: &str) -> Result<RootFile, InputError> {
    let mut keys = TREE_HEADER_KEYS.to_vec();
    keys.extend(["accounts", "root"]);
    top_object(text, file, ROOT_FORMAT, &keys, |top| {
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
    strict_json::to_pretty(&Json::Object(entries))
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
    top_object(text, file, OPENING_FORMAT, &keys, |top| {
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
                let open = zkmargin_circuits::margin::RiskParams {
                    prices: vec![0; assets.len()],
                    haircuts_ppm: vec![],
                    perp_mmr_ppm: vec![],
                    option_rate_ppm: vec![],
                    buckets: vec![zkmargin_circuits::margin::Bucket {
                        max_seconds: u64::MAX,
                        tau_ppm: vec![0; assets.len()],
                    }],
                    upnl_haircut_ppm: 0,
                    valid_from: 0,
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
        let path = items.iter().map(At::fp).collect::<Result<Vec<Fp>, _>>()?;
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

// ------------------------------------------------------------------------------ publish

/// Refuses a root or an opening file (`what`) built under another epoch, profile or asset
/// order than the epoch or snapshot (`target`) it is joined to: its leaves would then hash
/// other amounts, or in another order, than the circuit reads. Each triple is
/// `(epoch, profile, asset symbols in order)`.
fn check_built_under(
    file: &str,
    what: &str,
    built: (u64, Profile, &[String]),
    under: (u64, Profile, &[String]),
    target: &str,
) -> Result<(), InputError> {
    let err = |field: &str, reason: String| Err(InputError::new(file, field, reason));
    if built.0 != under.0 {
        return err(
            "epoch",
            format!(
                "the {what} was built for epoch {}, the {target} is epoch {}",
                built.0, under.0
            ),
        );
    }
    if built.1 != under.1 {
        return err(
            "profile",
            format!(
                "the {what} was built for profile {}, the {target} is profile {}",
                built.1.name, under.1.name
            ),
        );
    }
    if built.2 != under.2 {
        return err(
            "assets",
            format!(
                "the {what} was built over assets [{}], the {target}'s are [{}]",
                built.2.join(", "),
                under.2.join(", ")
            ),
        );
    }
    Ok(())
}

/// The snapshot of `epoch` with these roots (`(file, root)` pairs, one per chain and venue,
/// any order). A root of another epoch, profile, asset order or id, a missing or a duplicate
/// root is refused, naming the root's file and field.
pub fn publish(epoch: &Epoch, roots: &[(String, RootFile)]) -> Result<Snapshot, InputError> {
    let params = &epoch.params;
    let symbols = epoch.asset_symbols();
    let mut chain_roots: Vec<Option<Fp>> = vec![None; params.chains.len()];
    let mut venue_roots: Vec<Option<Fp>> = vec![None; params.venues.len()];
    for (file, root) in roots {
        let err = |field: &str, reason: String| InputError::new(file, field, reason);
        check_built_under(
            file,
            "root",
            (root.epoch, root.profile, &root.assets),
            (params.epoch, epoch.profile, &symbols),
            "epoch",
        )?;
        let (members, slots) = match root.kind {
            TreeKind::Chain => (&params.chains, &mut chain_roots),
            TreeKind::Venue => (&params.venues, &mut venue_roots),
        };
        let Some(i) = members.iter().position(|m| m.name == root.member.name) else {
            return Err(err(
                "name",
                format!(
                    "{} is not a {} of the epoch",
                    shown(&root.member.name),
                    root.kind.word()
                ),
            ));
        };
        if members[i].id != root.member.id {
            return Err(err(
                "id",
                format!(
                    "{} has id {} in the epoch, not {}",
                    root.member.name, members[i].id, root.member.id
                ),
            ));
        }
        if slots[i].is_some() {
            return Err(err(
                "name",
                format!(
                    "a second root for {} {}",
                    root.kind.word(),
                    root.member.name
                ),
            ));
        }
        slots[i] = Some(root.root);
    }
    let collect = |slots: Vec<Option<Fp>>, members: &[Member], kind: &str| {
        slots
            .into_iter()
            .zip(members)
            .map(|(root, m)| {
                root.ok_or_else(|| {
                    InputError::new(
                        "--root",
                        format!("{kind} {}", m.name),
                        "missing: every chain and venue of the epoch needs its root file",
                    )
                })
            })
            .collect::<Result<Vec<Fp>, InputError>>()
    };
    let chain_roots = collect(chain_roots, &params.chains, "chain")?;
    let venue_roots = collect(venue_roots, &params.venues, "venue")?;
    Ok(params
        .clone()
        .into_snapshot(epoch.profile, chain_roots, venue_roots))
}

// ------------------------------------------------------------------------------ assemble

/// The trader's account file from its secret and one opening per chain and venue of the
/// snapshot (`(file, opening)` pairs, any order). Each opening must be for this snapshot's
/// epoch, profile and asset order, for the account key of `sk`, at one index, and reach the
/// published root. Errors name the opening's file and field.
pub fn assemble(
    sk: Fp,
    snapshot: &Snapshot,
    openings: &[(String, OpeningFile)],
) -> Result<Account, InputError> {
    let key = account_key(sk);
    let symbols: Vec<String> = snapshot.assets.iter().map(|a| a.symbol.clone()).collect();
    let mut chains: Vec<Option<(Vec<u64>, Opening)>> = vec![None; snapshot.chains.len()];
    let mut venues: Vec<Option<(Vec<Position>, Opening)>> = vec![None; snapshot.venues.len()];
    let mut who: Option<(String, u64, String)> = None;
    for (file, o) in openings {
        let err = |field: &str, reason: String| InputError::new(file, field, reason);
        check_built_under(
            file,
            "opening",
            (o.epoch, o.profile, &o.assets),
            (snapshot.epoch, snapshot.profile, &symbols),
            "snapshot",
        )?;
        if o.key != key {
            return Err(err(
                "account_key",
                "is not the account key of this secret: the opening is another account's"
                    .to_string(),
            ));
        }
        match &who {
            Some((name, idx, first)) if *idx != o.idx || *name != o.account => {
                return Err(err(
                    "idx",
                    format!(
                        "the opening is for {} at index {}, but {first} is for {name} at \
                         index {idx}",
                        o.account, o.idx
                    ),
                ))
            }
            Some(_) => {}
            None => who = Some((o.account.clone(), o.idx, file.clone())),
        }
        let (members, roots) = match o.kind {
            TreeKind::Chain => (&snapshot.chains, &snapshot.chain_roots),
            TreeKind::Venue => (&snapshot.venues, &snapshot.venue_roots),
        };
        let Some(i) = members
            .iter()
            .position(|m| m.name == o.member.name && m.id == o.member.id)
        else {
            return Err(err(
                "name",
                format!(
                    "{} (id {}) is not a {} of the snapshot",
                    o.member.name,
                    o.member.id,
                    o.kind.word()
                ),
            ));
        };
        if roots.get(i) != Some(&o.root) {
            return Err(err(
                "root",
                format!(
                    "is not the root the snapshot publishes for {} {}: the opening is from \
                     another build",
                    o.kind.word(),
                    o.member.name
                ),
            ));
        }
        if let Holding::Positions(slots) = &o.holding {
            let params = snapshot.risk_params();
            for (j, p) in slots.iter().enumerate() {
                if p.kind.is_option() {
                    zkmargin_circuits::margin::bucket_index(&params, p.expiry).map_err(|e| {
                        err(
                            &format!("positions[{j}].expiry"),
                            format!("does not fit the snapshot's expiry buckets: {e}"),
                        )
                    })?;
                }
            }
        }
        let duplicate = match (&o.holding, o.kind) {
            (Holding::Collateral(amounts), TreeKind::Chain) => chains[i]
                .replace((amounts.clone(), o.opening.clone()))
                .is_some(),
            (Holding::Positions(slots), TreeKind::Venue) => venues[i]
                .replace((slots.clone(), o.opening.clone()))
                .is_some(),
            _ => return Err(err("kind", "does not match the holding".to_string())),
        };
        if duplicate {
            return Err(err(
                "name",
                format!("a second opening for {} {}", o.kind.word(), o.member.name),
            ));
        }
    }
    let missing = |kind: &str, m: &Member| {
        InputError::new(
            "OPENING",
            format!("{kind} {}", m.name),
            "missing: give one opening per chain and venue of the snapshot",
        )
    };
    let mut balances = Vec::new();
    let mut chain_openings = Vec::new();
    for (slot, m) in chains.into_iter().zip(&snapshot.chains) {
        let (amounts, opening) = slot.ok_or_else(|| missing("chain", m))?;
        balances.push(amounts);
        chain_openings.push(opening);
    }
    let mut positions = Vec::new();
    let mut venue_openings = Vec::new();
    for (slot, m) in venues.into_iter().zip(&snapshot.venues) {
        let (slots, opening) = slot.ok_or_else(|| missing("venue", m))?;
        positions.push(slots);
        venue_openings.push(opening);
    }
    let (name, idx, _) = who.ok_or_else(|| {
        InputError::new("OPENING", "(arguments)", "at least one opening is required")
    })?;
    Ok(Account {
        name,
        profile: snapshot.profile,
        epoch: snapshot.epoch,
        snapshot_digest: snapshot.digest(),
        sk,
        idx,
        book: Book {
            balances,
            positions,
        },
        chain_openings,
        venue_openings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::profile::SMALL;

    fn key(n: u64) -> Fp {
        account_key(Fp::from(n))
    }

    #[test]
    fn the_registry_gives_the_next_index_and_refuses_duplicates() {
        let mut registry = Registry::default();
        assert_eq!(registry.add("alice", key(1)), Ok(0));
        assert_eq!(registry.add("bob", key(2)), Ok(1));
        assert!(registry.add("ALICE", key(3)).unwrap_err().contains("taken"));
        assert!(registry
            .add("carol", key(1))
            .unwrap_err()
            .contains("registered already"));
        let text = write_registry(&registry);
        assert_eq!(read_registry(&text, "r.json"), Ok(registry.clone()));
        // An index past the profile's trees is named.
        registry.entries[1].idx = 1 << 16;
        let e = registry.check_fits(&SMALL, "r.json").unwrap_err();
        assert_eq!(e.field, "accounts[1].idx");
        registry.entries[1].idx = u64::MAX;
        assert!(registry.add("dave", key(4)).is_err());
    }

    #[test]
    fn roots_and_openings_round_trip_and_openings_reach_the_root() {
        let epoch = Epoch {
            profile: SMALL,
            params: zkmargin_circuits::snapshot_json::EpochParams::from(
                &zkmargin_testing::fixtures::fixture(SMALL).snapshot,
            ),
        };
        let mut registry = Registry::default();
        registry.add("alice", key(1)).unwrap();
        registry.add("bob", key(2)).unwrap();
        let chain = epoch.params.chains[0].clone();
        let holdings = vec![
            Holding::Collateral(vec![5, 0, 7]),
            Holding::Collateral(vec![0, 0, 0]),
        ];
        let built = build_tree(
            &epoch,
            TreeKind::Chain,
            &chain,
            &registry,
            &holdings,
            &[Fp::from(11), Fp::from(12)],
            "r.json",
        )
        .unwrap();
        assert_eq!(
            read_root(&write_root(&built.root), "root.json"),
            Ok(built.root.clone())
        );
        for opening in &built.openings {
            let text = write_opening(opening);
            assert_eq!(read_opening(&text, "o.json").as_ref(), Ok(opening));
        }
        // Bob holds nothing: no leaf, no salt.
        assert!(!built.openings[1].opening.present);
        assert_eq!(built.openings[1].opening.salt, Fp::ZERO);
        // An opening with another salt no longer reaches its root.
        let mut other = built.openings[0].clone();
        other.opening.salt = Fp::from(99);
        let e = read_opening(&write_opening(&other), "o.json").unwrap_err();
        assert_eq!(e.field, "root");
        // A root or an opening built under another epoch, profile or asset order is refused
        // at publishing and at assembly, naming the field.
        let snapshot = &zkmargin_testing::fixtures::fixture(SMALL).snapshot;
        type Change = fn(&mut u64, &mut Profile, &mut Vec<String>);
        let changes: [(&str, Change); 3] = [
            ("epoch", |e, _, _| *e += 1),
            ("profile", |_, p, _| {
                *p = zkmargin_circuits::profile::STANDARD
            }),
            ("assets", |_, _, a| a.reverse()),
        ];
        for (field, change) in changes {
            let mut root = built.root.clone();
            change(&mut root.epoch, &mut root.profile, &mut root.assets);
            let e = publish(&epoch, &[("root.json".into(), root)]).unwrap_err();
            assert_eq!((e.file.as_str(), e.field.as_str()), ("root.json", field));
            let mut o = built.openings[0].clone();
            change(&mut o.epoch, &mut o.profile, &mut o.assets);
            let e = assemble(Fp::from(1), snapshot, &[("o.json".into(), o)]).unwrap_err();
            assert_eq!((e.file.as_str(), e.field.as_str()), ("o.json", field));
        }
        // Publishing needs every chain and venue.
        let e = publish(&epoch, &[("root.json".into(), built.root)]).unwrap_err();
        assert_eq!(e.field, "chain arbitrum");
    }
}
