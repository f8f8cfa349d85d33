//! A tree's input: a vault's balances (`zkmargin.vault/1`) or a venue's positions
//! (`zkmargin.venue/1`), one holding per registered account.
//!
//! ```text
//! balances   {"format": "zkmargin.vault/1", "chain": "ethereum",
//!             "balances": {"alice": {"USDC": "50000", "BTC": "0.5"}, ...}}
//! positions  {"format": "zkmargin.venue/1", "venue": "cex",
//!             "positions": {"alice": [{"kind": "perp", ...}, ...], ...}}
//! ```

use zkmargin_circuits::margin::Position;
use zkmargin_circuits::portfolio::InstrumentKey;
use zkmargin_circuits::snapshot::Member;

use crate::epoch::Epoch;
use crate::input_error::InputError;
use crate::json::{self, shown, ValueReader};
use crate::position::{read_amounts, read_position};
use crate::registry::Registry;
use crate::tree::{Holding, TreeKind};

pub const VAULT_FORMAT: &str = "zkmargin.vault/1";
pub const VENUE_FORMAT: &str = "zkmargin.venue/1";

/// Refuses a position on an option that the epoch does not list (`epoch.json`'s
/// `instruments`): the publisher tables only those, and a position without a row in the risk
/// table could never be proved.
fn check_listed(at: &ValueReader, position: &Position, epoch: &Epoch) -> Result<(), InputError> {
    match InstrumentKey::of(position) {
        Some(key) if !epoch.portfolio.lists(&key) => Err(at.err(
            "is an option the epoch does not list (epoch.json's instruments): the publisher's \
             risk table has no row for it, so no certificate could count it",
        )),
        _ => Ok(()),
    }
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
                            .map(|item| {
                                let position = read_position(item, &params.assets, &risk, false)?;
                                check_listed(item, &position, epoch)?;
                                Ok(position)
                            })
                            .collect::<Result<Vec<_>, InputError>>()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epoch::read_epoch;
    use zkmargin_circuits::hash::Fp;
    use zkmargin_circuits::margin::Kind;

    const EPOCH: &str = include_str!("../../examples/parties/epoch.json");
    const DERIBIT: &str = include_str!("../../examples/parties/deribit.positions.json");

    #[test]
    fn a_venue_holds_only_the_options_the_epoch_lists() {
        let epoch = read_epoch(EPOCH, "epoch.json").unwrap();
        let mut registry = Registry::default();
        registry.add("alice", Fp::from(1)).unwrap();
        let (_, holdings) =
            read_holdings(DERIBIT, "deribit.json", TreeKind::Venue, &epoch, &registry).unwrap();
        let Holding::Positions(slots) = &holdings[0] else {
            panic!("a venue holds positions")
        };
        assert_eq!(slots[0].kind, Kind::Call);
        // Another strike is not listed: refused, naming the position.
        let other = DERIBIT.replace("\"100000\"", "\"105000\"");
        let e =
            read_holdings(&other, "deribit.json", TreeKind::Venue, &epoch, &registry).unwrap_err();
        assert_eq!(e.field, "positions.alice[0]");
        assert!(e.reason.contains("the epoch does not list"), "{e}");
        // A perpetual is always listed.
        let perp = r#"{"format": "zkmargin.venue/1", "venue": "deribit",
            "positions": {"alice": [{"kind": "perp", "underlying": "USDC", "size": "1",
                                     "entry": "1"}]}}"#;
        read_holdings(perp, "deribit.json", TreeKind::Venue, &epoch, &registry).unwrap();
    }
}
