//! `<account>.json`: a trader's private account file.
//!
//! ```text
//! {"format": "zkmargin.account/1", "name": "alice", "profile": "standard", "epoch": 4812,
//!  "snapshot_digest": "<64 hex digits>", "sk": "0x...", "idx": 0,
//!  "collateral": {chain: {asset: "1.5"}},            // nonzero amounts only
//!  "positions": {venue: [position, ...]},            // as in network.json
//!  "openings": {"chains": {chain: {"present": true, "salt": "0x...", "path": ["0x...", ...]}},
//!               "venues": {venue: {...}}}}
//! ```
//!
//! The file belongs to one snapshot (its epoch and digest). Reading it checks it against that
//! snapshot, down to every opening reaching the published root, so that a stale or corrupted
//! file is refused with a clear error instead of an unprovable statement. It holds the secret
//! key: it is written with mode 0600, atomically.

use std::fmt;
use std::io;
use std::path::Path;

use ff::Field;
use zkmargin_circuits::hash::{
    account_key, collateral_leaf, fp_to_hex, position_leaf, root_from_path, Fp,
};
use zkmargin_circuits::margin::Book;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::{Member, Snapshot};
use zkmargin_circuits::units::EPOCH_BITS;

use crate::account_name::check_account_name;
use crate::hex::{digest_to_hex, read_digest};
use crate::input_error::InputError;
use crate::json::{self, key_path, Json, ValueReader};
use crate::position::{collateral_to_json, positions_to_json, read_collateral, read_positions};
use crate::profile::read_profile;
pub use crate::tree::Opening;
use crate::tree::{padded_amounts, padded_slots};
use crate::write;

/// The `format` of an account file.
pub const ACCOUNT_FORMAT: &str = "zkmargin.account/1";

const ACCOUNT_KEYS: [&str; 10] = [
    "format",
    "name",
    "profile",
    "epoch",
    "snapshot_digest",
    "sk",
    "idx",
    "collateral",
    "positions",
    "openings",
];

/// A trader's account: secret key, index, book and openings, for one snapshot.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub profile: Profile,
    pub epoch: u64,
    pub snapshot_digest: [u8; 32],
    pub sk: Fp,
    pub idx: u64,
    /// `balances[chain][asset]` and `positions[venue]` over the snapshot's real chains,
    /// assets and venues; slots unpadded.
    pub book: Book,
    /// One opening per snapshot chain, in order.
    pub chain_openings: Vec<Opening>,
    /// One opening per snapshot venue, in order.
    pub venue_openings: Vec<Opening>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("profile", &self.profile.name)
            .field("epoch", &self.epoch)
            .field("snapshot_digest", &digest_to_hex(&self.snapshot_digest))
            .field("sk", &"<secret>")
            .field("idx", &self.idx)
            .field("book", &self.book)
            .field("chain_openings", &self.chain_openings)
            .field("venue_openings", &self.venue_openings)
            .finish()
    }
}

impl Account {
    /// `H(1, sk)`.
    pub fn account_key(&self) -> Fp {
        account_key(self.sk)
    }

    /// The account's leaf in the tree of snapshot chain `chain` (0 when absent); `None` if the
    /// chain or the book does not fit the snapshot.
    pub fn chain_leaf(&self, snapshot: &Snapshot, chain: usize) -> Option<Fp> {
        let opening = self.chain_openings.get(chain)?;
        let member = snapshot.chains.get(chain)?;
        let amounts = padded_amounts(&self.profile, self.book.balances.get(chain)?)?;
        Some(if opening.present {
            collateral_leaf(self.account_key(), member.id, &amounts, opening.salt)
        } else {
            Fp::ZERO
        })
    }

    /// The account's leaf in the tree of snapshot venue `venue` (0 when absent); `None` if the
    /// venue or the book does not fit the snapshot.
    pub fn venue_leaf(&self, snapshot: &Snapshot, venue: usize) -> Option<Fp> {
        let opening = self.venue_openings.get(venue)?;
        let member = snapshot.venues.get(venue)?;
        let slots = padded_slots(&self.profile, self.book.positions.get(venue)?)?;
        Some(if opening.present {
            position_leaf(self.account_key(), member.id, &slots, opening.salt)
        } else {
            Fp::ZERO
        })
    }
}

/// Checks that an opening is present exactly when the account holds something there, and that
/// its leaf reaches the published root.
fn check_opening(
    at: &ValueReader,
    opening: Option<&Opening>,
    holds: bool,
    leaf: Option<Fp>,
    idx: u64,
    root: Option<&Fp>,
    (here, what, committer): (&str, &str, &str),
) -> Result<(), InputError> {
    let Some(opening) = opening else {
        return Err(at.err("missing"));
    };
    if opening.present != holds {
        let reason = if holds {
            format!("is false, but the account holds something {here}")
        } else {
            format!("is true, but the account holds nothing {here}")
        };
        let field = key_path(at.path(), "present");
        return Err(InputError::new(at.file(), field, reason));
    }
    let reached = leaf.map(|leaf| root_from_path(leaf, idx, &opening.path));
    if reached.is_none() || reached.as_ref() != root {
        return Err(at.err(format!(
            "does not reach the {what}'s published root: the key, index, book, salt or path \
             differ from what the {committer} committed"
        )));
    }
    Ok(())
}

fn read_opening(at: &ValueReader, depth: usize) -> Result<Opening, InputError> {
    let obj = at.object()?;
    obj.only(&["present", "salt", "path"])?;
    let present = obj.req("present")?.bool()?;
    let salt = obj.req("salt")?.fp()?;
    let path_at = obj.req("path")?;
    let items = path_at.items()?;
    if items.len() != depth {
        return Err(path_at.err(format!(
            "has {} siblings, but the snapshot's trees have depth {depth}",
            items.len()
        )));
    }
    let path = items
        .iter()
        .map(ValueReader::fp)
        .collect::<Result<Vec<Fp>, _>>()?;
    Ok(Opening {
        present,
        salt,
        path,
    })
}

/// Reads an account file and checks it against `snapshot`: same epoch and digest (else the
/// file belongs to another snapshot), same profile, known names, `idx < 2^depth`, paths of
/// the tree depth, `present` exactly where the account holds something, and every opening
/// reaching the published root.
pub fn read_account(text: &str, file: &str, snapshot: &Snapshot) -> Result<Account, InputError> {
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
    let top = root.object()?;
    top.format(ACCOUNT_FORMAT)?;
    top.only(&ACCOUNT_KEYS)?;

    let name_at = top.req("name")?;
    let name = name_at.str()?;
    check_account_name(&name_at, name)?;

    let epoch_at = top.req("epoch")?;
    let epoch = epoch_at.uint(EPOCH_BITS)?;
    if epoch != snapshot.epoch {
        return Err(epoch_at.err(format!(
            "the account file belongs to another snapshot (epoch {epoch}, but the snapshot is \
             epoch {})",
            snapshot.epoch
        )));
    }
    let digest_at = top.req("snapshot_digest")?;
    let snapshot_digest = read_digest(&digest_at)?;
    if snapshot_digest != snapshot.digest() {
        return Err(digest_at.err(
            "the account file belongs to another snapshot (its digest differs from the \
             snapshot's)",
        ));
    }
    let profile_at = top.req("profile")?;
    let profile = read_profile(&profile_at)?;
    if profile != snapshot.profile {
        return Err(profile_at.err(format!(
            "the account was built for profile {}, but the snapshot is profile {}",
            profile.name, snapshot.profile.name
        )));
    }
    let sk = top.req("sk")?.fp()?;
    let idx = top.req("idx")?.uint(profile.depth)?;

    let balances = match top.opt("collateral") {
        Some(at) => read_collateral(&at, &snapshot.assets, &snapshot.chains)?,
        None => vec![vec![0; snapshot.assets.len()]; snapshot.chains.len()],
    };
    let positions = match top.opt("positions") {
        Some(at) => read_positions(
            &at,
            &snapshot.assets,
            &snapshot.venues,
            &snapshot.risk_params(),
        )?,
        None => vec![Vec::new(); snapshot.venues.len()],
    };
    for (venue, slots) in snapshot.venues.iter().zip(&positions) {
        if slots.len() > profile.positions {
            return Err(InputError::new(
                file,
                key_path("positions", &venue.name),
                format!(
                    "{} positions do not fit profile {} (at most {})",
                    slots.len(),
                    profile.name,
                    profile.positions
                ),
            ));
        }
    }

    let openings = top.req("openings")?.object()?;
    openings.only(&["chains", "venues"])?;
    let chain_names: Vec<&str> = snapshot.chains.iter().map(|c| c.name.as_str()).collect();
    let venue_names: Vec<&str> = snapshot.venues.iter().map(|v| v.name.as_str()).collect();
    let chain_ats = openings.req("chains")?.keyed(
        &chain_names,
        "chain",
        "missing: every chain needs an opening",
    )?;
    let venue_ats = openings.req("venues")?.keyed(
        &venue_names,
        "venue",
        "missing: every venue needs an opening",
    )?;
    let chain_openings = chain_ats
        .iter()
        .map(|at| read_opening(at, profile.depth))
        .collect::<Result<Vec<_>, _>>()?;
    let venue_openings = venue_ats
        .iter()
        .map(|at| read_opening(at, profile.depth))
        .collect::<Result<Vec<_>, _>>()?;

    let account = Account {
        name: name.to_string(),
        profile,
        epoch,
        snapshot_digest,
        sk,
        idx,
        book: Book {
            balances,
            positions,
        },
        chain_openings,
        venue_openings,
    };

    // Every opening must agree with the book and reach the published root.
    for (c, at) in chain_ats.iter().enumerate() {
        let holds = account
            .book
            .balances
            .get(c)
            .is_some_and(|row| row.iter().any(|&x| x != 0));
        check_opening(
            at,
            account.chain_openings.get(c),
            holds,
            account.chain_leaf(snapshot, c),
            idx,
            snapshot.chain_roots.get(c),
            ("on this chain", "chain", "vault"),
        )?;
    }
    for (v, at) in venue_ats.iter().enumerate() {
        let holds = account
            .book
            .positions
            .get(v)
            .is_some_and(|slots| !slots.is_empty());
        check_opening(
            at,
            account.venue_openings.get(v),
            holds,
            account.venue_leaf(snapshot, v),
            idx,
            snapshot.venue_roots.get(v),
            ("at this venue", "venue", "venue"),
        )?;
    }
    Ok(account)
}

fn openings_to_json(members: &[Member], openings: &[Opening]) -> Json {
    Json::object(members.iter().zip(openings).map(|(member, opening)| {
        (
            member.name.clone(),
            Json::object([
                ("present", Json::Bool(opening.present)),
                ("salt", Json::str(fp_to_hex(&opening.salt))),
                (
                    "path",
                    Json::Array(
                        opening
                            .path
                            .iter()
                            .map(|node| Json::str(fp_to_hex(node)))
                            .collect(),
                    ),
                ),
            ]),
        )
    }))
}

/// The account file's text (pretty JSON).
pub fn write_account(account: &Account, snapshot: &Snapshot) -> String {
    let json = Json::object([
        ("format", Json::str(ACCOUNT_FORMAT)),
        ("name", Json::str(&account.name)),
        ("profile", Json::str(account.profile.name)),
        ("epoch", Json::uint(account.epoch)),
        (
            "snapshot_digest",
            Json::str(digest_to_hex(&account.snapshot_digest)),
        ),
        ("sk", Json::str(fp_to_hex(&account.sk))),
        ("idx", Json::uint(account.idx)),
        (
            "collateral",
            collateral_to_json(&account.book.balances, &snapshot.assets, &snapshot.chains),
        ),
        (
            "positions",
            positions_to_json(&account.book.positions, &snapshot.assets, &snapshot.venues),
        ),
        (
            "openings",
            Json::object([
                (
                    "chains",
                    openings_to_json(&snapshot.chains, &account.chain_openings),
                ),
                (
                    "venues",
                    openings_to_json(&snapshot.venues, &account.venue_openings),
                ),
            ]),
        ),
    ]);
    json::to_pretty(&json)
}

/// Writes the account file atomically with mode 0600 (it holds the secret key).
pub fn write_account_file(path: &Path, account: &Account, snapshot: &Snapshot) -> io::Result<()> {
    write::write_atomic(
        path,
        write_account(account, snapshot).as_bytes(),
        Some(0o600),
    )
}
