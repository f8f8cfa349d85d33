//! What the tree files (`root.json`, openings) and the account file share: which tree, what
//! an account holds in it, and how that holding becomes the account's leaf.

use ff::Field;
use zkmargin_circuits::hash::{collateral_leaf, position_leaf, Fp};
use zkmargin_circuits::margin::Position;
use zkmargin_circuits::profile::Profile;
use zkmargin_circuits::snapshot::Member;
use zkmargin_circuits::units::{EPOCH_BITS, ID_BITS};

use crate::epoch_params::EpochParams;
use crate::input_error::InputError;
use crate::json::{check_name, shown, Json, ObjectReader};
use crate::profile::read_profile;

/// An account's opening in one tree (the circuit's witness type): whether its leaf is present
/// (nonzero), the leaf's salt (0 when absent), and the siblings from the leaf up to the root.
pub use zkmargin_circuits::witness::LeafOpening as Opening;

/// Amounts padded with zeros to the profile's `A`; `None` if there are more than `A`.
pub fn padded_amounts(profile: &Profile, amounts: &[u64]) -> Option<Vec<u64>> {
    if amounts.len() > profile.assets {
        return None;
    }
    let mut padded = amounts.to_vec();
    padded.resize(profile.assets, 0);
    Some(padded)
}

/// Slots padded with empty slots to the profile's `P`; `None` if there are more than `P`.
pub fn padded_slots(profile: &Profile, slots: &[Position]) -> Option<Vec<Position>> {
    if slots.len() > profile.positions {
        return None;
    }
    let mut padded = slots.to_vec();
    padded.resize(profile.positions, Position::EMPTY);
    Some(padded)
}

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

    /// The chains or the venues of an epoch.
    pub fn members(self, params: &EpochParams) -> &[Member] {
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

/// The entries every tree file starts with.
pub fn tree_header(
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

/// The keys every tree file starts with.
pub const TREE_HEADER_KEYS: [&str; 7] =
    ["format", "epoch", "profile", "kind", "name", "id", "assets"];

/// What every tree file starts with: the epoch, profile, tree and asset order its leaves
/// were built under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub epoch: u64,
    pub profile: Profile,
    pub kind: TreeKind,
    pub member: Member,
    pub assets: Vec<String>,
}

/// Reads the entries every tree file starts with (the caller checks `format`).
pub fn read_tree_header(top: &ObjectReader) -> Result<Header, InputError> {
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
    check_name(&name_at, name)?;
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
            check_name(at, symbol)?;
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
