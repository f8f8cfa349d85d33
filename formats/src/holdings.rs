//! A tree's input: a vault's balances (`zkmargin.vault/1`) or a venue's positions
//! (`zkmargin.venue/1`), one holding per registered account.
//!
//! ```text
//! balances   {"format": "zkmargin.vault/1", "chain": "ethereum",
//!             "balances": {"alice": {"USDC": "50000", "BTC": "0.5"}, ...}}
//! positions  {"format": "zkmargin.venue/1", "venue": "cex",
//!             "positions": {"alice": [{"kind": "perp", ...}, ...], ...}}
//! ```

use std::fmt;
use zkmargin_circuits::margin::Position;
use zkmargin_circuits::portfolio::InstrumentKey;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use zkmargin_circuits::margin::RiskParams;
use zkmargin_circuits::snapshot::Member;

use crate::epoch::Epoch;
use crate::input_error::InputError;
use crate::json::{self, shown, ValueReader};
use crate::position::{amount_of_text, read_amounts, read_position, PositionText};
use crate::registry::Registry;
use crate::tree::{Holding, TreeKind};

pub const VAULT_FORMAT: &str = "zkmargin.vault/1";
pub const VENUE_FORMAT: &str = "zkmargin.venue/1";

/// Refuses a position on an option that the epoch does not list (`epoch.json`'s
/// `instruments`): the publisher tables only those, and a position without a row in the risk
/// table could never be proved.
fn check_listed(at: &ValueReader, position: &Position, epoch: &Epoch) -> Result<(), InputError> {
    if is_listed(position, epoch) {
        Ok(())
    } else {
        Err(at.err(
            "is an option the epoch does not list (epoch.json's instruments): the publisher's \
             risk table has no row for it, so no certificate could count it",
        ))
    }
}

/// Whether the publisher tables `position`'s instrument this epoch (a perpetual always).
fn is_listed(position: &Position, epoch: &Epoch) -> bool {
    InstrumentKey::of(position).is_none_or(|key| epoch.portfolio.lists(&key))
}

/// Reads a tree's input, a vault's balances or a venue's positions: the member it belongs to
/// and one holding per registered account (accounts left out hold nothing). A name that is not
/// registered is refused.
///
/// A venue of a million accounts writes a file of hundreds of megabytes: it is read in one
/// pass into the holdings, without a [`json::Json`] tree ([`HoldingsPass`]), where every
/// string is plain and every value valid. Anything else (an error, or an unusual spelling
/// such as an escaped string) is read again by the strict tree reader, whose error names the
/// file and field.
pub fn read_holdings(
    text: &str,
    file: &str,
    kind: TreeKind,
    epoch: &Epoch,
    registry: &Registry,
) -> Result<(Member, Vec<Holding>), InputError> {
    match HoldingsPass::read(text, kind, epoch).and_then(|pass| pass.resolve(registry)) {
        Some(read) => Ok(read),
        None => read_holdings_tree(text, file, kind, epoch, registry),
    }
}

/// A holdings file read in one pass, before the registry is known (so that both files can be
/// read at once): each account's name and holding, in file order. `None` (from
/// [`HoldingsPass::read`] or [`HoldingsPass::resolve`]) wherever the tree reader would refuse
/// the file, or might spell it differently: then [`read_holdings`] says why.
pub struct HoldingsPass<'t> {
    kind: TreeKind,
    assets: usize,
    member: Member,
    table: Vec<(&'t str, Holding)>,
}

impl<'t> HoldingsPass<'t> {
    pub fn read(text: &'t str, kind: TreeKind, epoch: &Epoch) -> Option<HoldingsPass<'t>> {
        fast::read(text, kind, epoch)
    }

    /// The holding of every registered account, in the registry's order (`None` if the file
    /// names an account that is not registered, or one twice).
    pub fn resolve(self, registry: &Registry) -> Option<(Member, Vec<Holding>)> {
        let by_name = registry.positions_by_name();
        let mut holdings: Vec<Option<Holding>> = vec![None; registry.entries.len()];
        for (name, holding) in self.table {
            let slot = holdings.get_mut(*by_name.get(name)?)?;
            if slot.replace(holding).is_some() {
                return None;
            }
        }
        let empty = match self.kind {
            TreeKind::Chain => Holding::Collateral(vec![0; self.assets]),
            TreeKind::Venue => Holding::Positions(Vec::new()),
        };
        let holdings = holdings
            .into_iter()
            .map(|h| h.unwrap_or_else(|| empty.clone()))
            .collect();
        Some((self.member, holdings))
    }
}

/// Reads a tree's input that lists only the accounts whose holding changed since the epoch
/// the tree's store holds (`venue build --changed-only`): the member, and each listed
/// account's name and holding in file order (an account listed with nothing now holds
/// nothing). The same file format as [`read_holdings`]; whether each name is registered is
/// for the store to say, which knows the registry of its epoch.
pub fn read_holding_changes(
    text: &str,
    file: &str,
    kind: TreeKind,
    epoch: &Epoch,
) -> Result<(Member, Vec<(String, Holding)>), InputError> {
    if let Some(pass) = HoldingsPass::read(text, kind, epoch) {
        let table = pass
            .table
            .into_iter()
            .map(|(name, holding)| (name.to_string(), holding))
            .collect();
        return Ok((pass.member, table));
    }
    let mut table = Vec::new();
    let member = read_table_tree(text, file, kind, epoch, |account, _, holding| {
        table.push((account.to_string(), holding));
        Ok(())
    })?;
    Ok((member, table))
}

/// [`read_holdings`] through the [`json::Json`] tree: the reader of record, and of errors.
fn read_holdings_tree(
    text: &str,
    file: &str,
    kind: TreeKind,
    epoch: &Epoch,
    registry: &Registry,
) -> Result<(Member, Vec<Holding>), InputError> {
    let mut holdings: Vec<Holding> = registry
        .entries
        .iter()
        .map(|_| match kind {
            TreeKind::Chain => Holding::Collateral(vec![0; epoch.params.assets.len()]),
            TreeKind::Venue => Holding::Positions(Vec::new()),
        })
        .collect();
    let by_name = registry.positions_by_name();
    let member = read_table_tree(text, file, kind, epoch, |account, at, holding| {
        let &i = by_name.get(account).ok_or_else(|| {
            at.err(format!(
                "{} is not in the registry: register its account key first",
                shown(account)
            ))
        })?;
        holdings[i] = holding;
        Ok(())
    })?;
    Ok((member, holdings))
}

/// Walks a holdings file through the [`json::Json`] tree: checks its format and member, and
/// hands `each` every account's name, place and holding, read by `position`'s rules.
fn read_table_tree(
    text: &str,
    file: &str,
    kind: TreeKind,
    epoch: &Epoch,
    mut each: impl FnMut(&str, &ValueReader, Holding) -> Result<(), InputError>,
) -> Result<Member, InputError> {
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
            for (account, at) in top.req(table_key)?.entries()? {
                let holding = match kind {
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
                each(account, &at, holding)?;
            }
            Ok(member.clone())
        },
    )
}

/// The one pass of [`HoldingsPass`]: each position and amount is read by `position`'s rules
/// (`PositionText::position`, `amount_of_text`), the same the tree reader applies.
mod fast {
    use super::*;

    /// What the pass needs to read an account's holding as the tree reader does.
    struct Context<'c> {
        kind: TreeKind,
        epoch: &'c Epoch,
        risk: RiskParams,
    }

    pub(super) fn read<'t>(
        text: &'t str,
        kind: TreeKind,
        epoch: &Epoch,
    ) -> Option<HoldingsPass<'t>> {
        let context = Context {
            kind,
            epoch,
            risk: epoch.params.risk_params(),
        };
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let top = Top(&context).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        let (format, _, _) = keys(kind);
        let member_name = top.member?;
        let member = kind
            .members(&epoch.params)
            .iter()
            .find(|m| m.name == member_name)?;
        (top.format? == format).then_some(())?;
        Some(HoldingsPass {
            kind,
            assets: epoch.params.assets.len(),
            member: member.clone(),
            table: top.table?,
        })
    }

    fn keys(kind: TreeKind) -> (&'static str, &'static str, &'static str) {
        match kind {
            TreeKind::Chain => (VAULT_FORMAT, "chain", "balances"),
            TreeKind::Venue => (VENUE_FORMAT, "venue", "positions"),
        }
    }

    /// The top-level object: `format`, the member's name, and the table (each once).
    struct Top<'c>(&'c Context<'c>);

    struct TopRead<'t> {
        format: Option<&'t str>,
        member: Option<&'t str>,
        table: Option<Vec<(&'t str, Holding)>>,
    }

    impl<'de, 'c> DeserializeSeed<'de> for Top<'c> {
        type Value = TopRead<'de>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de, 'c> Visitor<'de> for Top<'c> {
        type Value = TopRead<'de>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a holdings file")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let (_, member_key, table_key) = keys(self.0.kind);
            let mut read = TopRead {
                format: None,
                member: None,
                table: None,
            };
            while let Some(key) = map.next_key::<&str>()? {
                let again = if key == "format" {
                    read.format.replace(map.next_value()?).is_some()
                } else if key == member_key {
                    read.member.replace(map.next_value()?).is_some()
                } else if key == table_key {
                    read.table
                        .replace(map.next_value_seed(Table(self.0))?)
                        .is_some()
                } else {
                    true
                };
                if again {
                    return Err(A::Error::custom("an unknown key, or a key twice"));
                }
            }
            Ok(read)
        }
    }

    /// The table: account name -> holding, in file order.
    struct Table<'c>(&'c Context<'c>);

    impl<'de> DeserializeSeed<'de> for Table<'_> {
        type Value = Vec<(&'de str, Holding)>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Table<'_> {
        type Value = Vec<(&'de str, Holding)>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("accounts and their holdings")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let c = self.0;
            let mut table = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(name) = map.next_key::<&str>()? {
                let holding = match c.kind {
                    TreeKind::Venue => Holding::Positions(map.next_value_seed(Slots(c))?),
                    TreeKind::Chain => Holding::Collateral(map.next_value_seed(Amounts(c))?),
                };
                table.push((name, holding));
            }
            Ok(table)
        }
    }
    /// An account's positions: at most the profile's slots, each read as it comes.
    struct Slots<'c>(&'c Context<'c>);

    impl<'de> DeserializeSeed<'de> for Slots<'_> {
        type Value = Vec<Position>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Slots<'_> {
        type Value = Vec<Position>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of positions")
        }

        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
            let c = self.0;
            let mut slots = Vec::new();
            while let Some(text) = seq.next_element::<PositionText>()? {
                if slots.len() == c.epoch.profile.positions {
                    return Err(S::Error::custom("too many positions"));
                }
                let slot = text
                    .position(&c.epoch.params.assets, &c.risk)
                    .filter(|slot| is_listed(slot, c.epoch))
                    .ok_or_else(|| S::Error::custom("a position"))?;
                slots.push(slot);
            }
            Ok(slots)
        }
    }

    /// An account's balances: asset -> amount, each asset once.
    struct Amounts<'c>(&'c Context<'c>);

    impl<'de> DeserializeSeed<'de> for Amounts<'_> {
        type Value = Vec<u64>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Amounts<'_> {
        type Value = Vec<u64>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("asset -> amount")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let assets = &self.0.epoch.params.assets;
            let mut amounts = vec![0u64; assets.len()];
            let mut seen = vec![false; assets.len()];
            while let Some(symbol) = map.next_key::<&str>()? {
                let text: &str = map.next_value()?;
                let (a, amount) = amount_of_text(assets, symbol, text)
                    .ok_or_else(|| A::Error::custom("an amount"))?;
                if std::mem::replace(&mut seen[a], true) {
                    return Err(A::Error::custom("an asset twice"));
                }
                amounts[a] = amount;
            }
            Ok(amounts)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epoch::read_epoch;
    use zkmargin_circuits::hash::{account_key, Fp};

    fn epoch() -> Epoch {
        read_epoch(
            include_str!("../../examples/parties/epoch.json"),
            "epoch.json",
        )
        .unwrap()
    }

    fn registry() -> Registry {
        let mut r = Registry::default();
        for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
            r.add(name, account_key(Fp::from(i as u64 + 1))).unwrap();
        }
        r
    }

    const PERP: &str = r#"{"kind": "perp", "underlying": "BTC", "size": "-0.5", "entry": "95000"}"#;
    const CALL: &str = r#"{"kind": "call", "underlying": "BTC", "size": "2", "strike": "100000", "expiry": 1767312000}"#;

    fn venue(table: &str) -> String {
        format!(r#"{{"format": "zkmargin.venue/1", "venue": "deribit", "positions": {table}}}"#)
    }

    fn vault(table: &str) -> String {
        format!(r#"{{"format": "zkmargin.vault/1", "chain": "ethereum", "balances": {table}}}"#)
    }

    /// Both readers on `text`: the one-pass result (if any) and the tree reader's.
    type Both = (
        Option<(Member, Vec<Holding>)>,
        Result<(Member, Vec<Holding>), InputError>,
    );

    fn both(text: &str, kind: TreeKind) -> Both {
        let (e, r) = (epoch(), registry());
        (
            HoldingsPass::read(text, kind, &e).and_then(|pass| pass.resolve(&r)),
            read_holdings_tree(text, "h.json", kind, &e, &r),
        )
    }

    #[test]
    fn the_one_pass_reader_reads_what_the_tree_reader_reads() {
        let valid = [
            (
                venue(&format!(r#"{{"alice": [{PERP}, {CALL}], "carol": []}}"#)),
                TreeKind::Venue,
            ),
            (venue("{}"), TreeKind::Venue),
            (
                format!(
                    r#"{{"positions": {{"bob": [{CALL}]}}, "venue": "deribit", "format": "zkmargin.venue/1"}}"#
                ),
                TreeKind::Venue,
            ),
            (
                vault(r#"{"alice": {"BTC": "1.5", "USDC": "20000"}, "bob": {}}"#),
                TreeKind::Chain,
            ),
            (
                include_str!("../../examples/parties/ethereum.balances.json").to_string(),
                TreeKind::Chain,
            ),
            (
                include_str!("../../examples/parties/deribit.positions.json").to_string(),
                TreeKind::Venue,
            ),
        ];
        for (text, kind) in valid {
            let (fast, tree) = both(&text, kind);
            assert_eq!(fast.as_ref(), Some(&tree.unwrap()), "{text}");
        }
    }

    #[test]
    fn what_the_one_pass_reader_leaves_is_the_tree_readers_to_refuse_or_read() {
        let perp =
            |change: &str| venue(&format!(r#"{{"alice": [{}]}}"#, PERP.replace("}", change)));
        let refused = [
            (perp(r#", "strike": "1"}"#), TreeKind::Venue),
            (perp(r#", "oops": 1}"#), TreeKind::Venue),
            (perp(r#", "size": "1"}"#), TreeKind::Venue),
            (perp(r#", "expiry": null}"#), TreeKind::Venue),
            (
                venue(&format!(r#"{{"alice": [{}]}}"#, PERP.replace("-0.5", "0"))),
                TreeKind::Venue,
            ),
            (
                venue(&format!(
                    r#"{{"alice": [{}]}}"#,
                    PERP.replace("\"95000\"", "95000")
                )),
                TreeKind::Venue,
            ),
            (
                venue(&format!(
                    r#"{{"alice": [{}]}}"#,
                    CALL.replace("1767312000", "1")
                )),
                TreeKind::Venue,
            ),
            (
                venue(&format!(
                    r#"{{"alice": [{}]}}"#,
                    CALL.replace("}", r#", "entry": "1"}"#)
                )),
                TreeKind::Venue,
            ),
            (
                venue(r#"{"alice": [["perp", "BTC", "1", "95000"]]}"#),
                TreeKind::Venue,
            ),
            (
                venue(&format!(r#"{{"mallory": [{PERP}]}}"#)),
                TreeKind::Venue,
            ),
            (
                venue(&format!(r#"{{"alice": [{PERP}], "alice": []}}"#)),
                TreeKind::Venue,
            ),
            (
                venue(&format!(r#"{{"alice": [{}]}}"#, vec![PERP; 5].join(", "))),
                TreeKind::Venue,
            ),
            (venue(r#"{"alice": null}"#), TreeKind::Venue),
            (venue("[]"), TreeKind::Venue),
            (venue("{}").replace("deribit", "okx"), TreeKind::Venue),
            (venue("{}").replace("venue/1", "vault/1"), TreeKind::Venue),
            (
                venue("{}").replacen(r#"{"format""#, r#"{"extra": 1, "format""#, 1),
                TreeKind::Venue,
            ),
            (format!("{} x", venue("{}")), TreeKind::Venue),
            (
                r#"{"venue": "deribit", "positions": {}}"#.to_string(),
                TreeKind::Venue,
            ),
            (
                vault(r#"{"alice": {"BTC": "1", "BTC": "2"}}"#),
                TreeKind::Chain,
            ),
            (vault(r#"{"alice": {"DOGE": "1"}}"#), TreeKind::Chain),
            (vault(r#"{"alice": {"BTC": "-1"}}"#), TreeKind::Chain),
            (vault(r#"{"alice": {"BTC": 1}}"#), TreeKind::Chain),
            (vault(r#"{"alice": ["1"]}"#), TreeKind::Chain),
            (venue("{}"), TreeKind::Chain),
        ];
        for (text, kind) in refused {
            let (fast, tree) = both(&text, kind);
            assert!(fast.is_none() && tree.is_err(), "{text}: {fast:?} {tree:?}");
        }
        // Escaped strings are the tree reader's, which reads them.
        let escaped = venue(&format!(
            r#"{{"alice": [{}]}}"#,
            PERP.replace("BTC", r"B\u0054C")
        ));
        let (fast, tree) = both(&escaped, TreeKind::Venue);
        assert!(fast.is_none() && tree.is_ok());
        let (e, r) = (epoch(), registry());
        assert_eq!(
            read_holdings(&escaped, "h.json", TreeKind::Venue, &e, &r),
            tree
        );
    }

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
