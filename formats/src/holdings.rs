//! A tree's input: a vault's balances (`zkmargin.vault/1`) or a venue's positions
//! (`zkmargin.venue/1`), one holding per registered account.
//!
//! ```text
//! balances   {"format": "zkmargin.vault/1", "chain": "ethereum",
//!             "balances": {"alice": {"USDC": "50000", "BTC": "0.5"}, ...}}
//! positions  {"format": "zkmargin.venue/1", "venue": "cex",
//!             "positions": {"alice": [{"kind": "perp", ...}, ...], ...}}
//! ```

use zkmargin_circuits::snapshot::Member;

use crate::epoch::Epoch;
use crate::input_error::InputError;
use crate::json::{self, shown};
use crate::position::{read_amounts, read_position};
use crate::registry::Registry;
use crate::tree::{Holding, TreeKind};

pub const VAULT_FORMAT: &str = "zkmargin.vault/1";
pub const VENUE_FORMAT: &str = "zkmargin.venue/1";

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
    json::top_object(
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
