//! One account's opening, read from the store on request: the `zkmargin.opening/1` file that
//! `account assemble` reads, as `vault build --openings` and `venue build --openings` write it.
//!
//! The row gives the account's index, key, holding, salt and leaf; the path is its leaf's
//! sibling (the neighbour's row) and one node a height above it, `depth` reads in all. Before
//! it is returned the opening is checked against the store's root, and its leaf against its
//! holding, so that a damaged store gives an error, never an opening that `assemble` refuses.

use zkmargin_circuits::hash::{empty_roots, root_from_path};
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::shown;
use zkmargin_formats::opening::OpeningFile;
use zkmargin_formats::tree::Opening;

use crate::holding_bytes::decode;
use crate::store::Store;

/// The opening of the account registered as `name` in the epoch the store holds. An unknown
/// name is refused as `(flag, reason)` (the caller names its own flag or route).
pub fn opening(store: &Store, name: &str, flag: &str) -> Result<OpeningFile, InputError> {
    let root = store
        .root()?
        .ok_or_else(|| store.damaged("it holds no epoch"))?;
    let row = store.account_by_name(name)?.ok_or_else(|| {
        InputError::new(
            "command line",
            flag,
            format!(
                "{} is not registered in the tree of {} {} (epoch {})",
                shown(name),
                root.kind.word(),
                root.member.name,
                root.epoch
            ),
        )
    })?;
    let holding = decode(&row.holding, root.kind)
        .ok_or_else(|| store.damaged(&format!("the holding of {}", row.name)))?;
    let depth = root.profile.depth;
    let empty = empty_roots(depth);
    let mut path = store.leaves(&[row.idx ^ 1])?;
    for h in 1..depth {
        path.extend(store.nodes(h, &[(row.idx >> h) ^ 1], empty[h])?);
    }
    let leaf = holding.leaf(&root.profile, row.key, root.member.id, row.salt);
    if leaf != Some(row.leaf) || root_from_path(row.leaf, row.idx, &path) != root.root {
        return Err(store.damaged(&format!(
            "the opening of {} does not reach its root",
            row.name
        )));
    }
    Ok(OpeningFile {
        epoch: root.epoch,
        profile: root.profile,
        kind: root.kind,
        member: root.member,
        assets: root.assets,
        account: row.name,
        idx: row.idx,
        key: row.key,
        root: root.root,
        opening: Opening {
            present: holding.present(),
            salt: row.salt,
            path,
        },
        holding,
    })
}
