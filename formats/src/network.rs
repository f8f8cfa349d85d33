//! `network.json`: a whole network as vaults, venues and the risk publisher know it together.
//!
//! The epoch parameters (in the same words as `snapshot.json`, see `epoch_params`), the
//! publisher's portfolio inputs (`portfolio`, `instruments`: see `portfolio`) and every
//! account's collateral and positions (see `position`). The risk table lists every option an
//! account holds and every option of `instruments`, with every asset's perpetual. `zkmargin_prover::network::build`
//! turns it into the public snapshot and one private account file per account.

use std::collections::HashSet;

use zkmargin_circuits::margin::Book;
use zkmargin_circuits::position::Kind;
use zkmargin_circuits::units::TIME_BITS;

use crate::account_name::check_account_name;
use crate::epoch_params::{read_epoch_params_with, EpochParams, HaircutSource, EPOCH_PARAM_KEYS};
use crate::input_error::InputError;
use crate::json::{self, key_path, shown, ValueReader};
use crate::portfolio::{read_portfolio, PortfolioModel, PORTFOLIO_KEYS};
use crate::position::{read_collateral, read_positions};

/// The `format` of a network file.
pub const NETWORK_FORMAT: &str = "zkmargin.network/1";

/// One account of a network: its name and its book over the network's chains, assets and
/// venues (`balances[chain][asset]`, `positions[venue]` unpadded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkAccount {
    pub name: String,
    pub book: Book,
}

/// A parsed `network.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The file it was read from (named by errors that `build` reports).
    pub file: String,
    pub params: EpochParams,
    /// The publisher's portfolio inputs and the options listed besides the ones held.
    pub portfolio: PortfolioModel,
    pub accounts: Vec<NetworkAccount>,
}

impl Network {
    /// The largest number of positions any account holds at one venue, and where.
    pub fn most_positions(&self) -> (usize, String) {
        let mut most = (0, "accounts".to_string());
        for (i, account) in self.accounts.iter().enumerate() {
            for (v, slots) in account.book.positions.iter().enumerate() {
                if slots.len() > most.0 {
                    let venue = self.params.venues.get(v).map_or("?", |m| m.name.as_str());
                    most = (
                        slots.len(),
                        key_path(&format!("accounts[{i}].positions"), venue),
                    );
                }
            }
        }
        most
    }

    /// Moves the epoch to start at `valid_from` (`network build --valid-from`): the epoch's
    /// end and every option's expiry, held or listed, move by the same number of seconds, so
    /// every time to expiry, every expiry bucket and every margin stays what the file gives;
    /// only the clock the epoch is fresh on changes. The epoch number is kept.
    ///
    /// Invariant kept: every moved time stays below `2^TIME_BITS`, the bound reading checked
    /// (an error names `valid_from` otherwise, and nothing is moved).
    pub fn retime(&mut self, valid_from: u64) -> Result<(), InputError> {
        let shift = i128::from(valid_from) - i128::from(self.params.valid_from);
        let limit = 1i128 << TIME_BITS;
        let moved = |t: u64| -> Option<u64> {
            let t = i128::from(t) + shift;
            (0..limit).contains(&t).then(|| t as u64)
        };
        let refused = || {
            InputError::new(
                &self.file,
                "valid_from",
                format!(
                    "cannot move the epoch to start at {valid_from}: a time would leave 0 to \
                     2^{TIME_BITS}"
                ),
            )
        };
        let until = moved(self.params.valid_until).ok_or_else(refused)?;
        let mut expiries = Vec::new();
        for account in &self.accounts {
            for position in account.book.positions.iter().flatten() {
                if is_option(position.kind) {
                    expiries.push(moved(position.expiry).ok_or_else(refused)?);
                }
            }
        }
        let mut listed = Vec::new();
        for instrument in &self.portfolio.instruments {
            listed.push(if is_option(instrument.key.kind) {
                moved(instrument.key.expiry).ok_or_else(refused)?
            } else {
                instrument.key.expiry
            });
        }
        // Every time checked: only now is anything changed.
        self.params.valid_from = valid_from;
        self.params.valid_until = until;
        let mut expiries = expiries.into_iter();
        for account in &mut self.accounts {
            for position in account.book.positions.iter_mut().flatten() {
                if is_option(position.kind) {
                    position.expiry = expiries.next().expect("one expiry per option");
                }
            }
        }
        for (instrument, expiry) in self.portfolio.instruments.iter_mut().zip(listed) {
            instrument.key.expiry = expiry;
        }
        Ok(())
    }
}

/// Whether a position or instrument of this kind has an expiry (a perpetual's and an empty
/// slot's is 0, and stays 0 when the epoch moves).
fn is_option(kind: Kind) -> bool {
    matches!(kind, Kind::Call | Kind::Put)
}

/// Reads `network.json` (DESIGN.md "Files"): the epoch parameters with every bound checked,
/// then the accounts, each with a unique file-safe name, its collateral and its positions.
pub fn read_network(text: &str, file: &str) -> Result<Network, InputError> {
    read_network_with(text, file, None)
}

/// [`read_network`], with the haircuts computed by `haircuts` when given (`network build
/// --risk`): `haircuts_ppm` may then be left out, and is replaced when present.
pub fn read_network_with(
    text: &str,
    file: &str,
    haircuts: Option<HaircutSource>,
) -> Result<Network, InputError> {
    let json = json::parse(text, file)?;
    let root = ValueReader::root(file, &json);
    let top = root.object()?;
    top.format(NETWORK_FORMAT)?;
    let mut keys = vec!["format", "accounts"];
    keys.extend(EPOCH_PARAM_KEYS);
    keys.extend(PORTFOLIO_KEYS);
    top.only(&keys)?;
    let params = read_epoch_params_with(&top, haircuts)?;
    let portfolio = read_portfolio(&top, &params)?;
    let risk = params.risk_params();

    let mut accounts: Vec<NetworkAccount> = Vec::new();
    let mut names = HashSet::new();
    for item in top.req("accounts")?.items()? {
        let obj = item.object()?;
        obj.only(&["name", "collateral", "positions"])?;
        let name_at = obj.req("name")?;
        let name = name_at.str()?;
        check_account_name(&name_at, name)?;
        if !names.insert(name.to_ascii_lowercase()) {
            return Err(name_at.err(format!(
                "duplicate account name {} (names must differ even ignoring case: each \
                 becomes a file name)",
                shown(name)
            )));
        }
        let balances = match obj.opt("collateral") {
            Some(at) => read_collateral(&at, &params.assets, &params.chains)?,
            None => vec![vec![0; params.assets.len()]; params.chains.len()],
        };
        let positions = match obj.opt("positions") {
            Some(at) => read_positions(&at, &params.assets, &params.venues, &risk)?,
            None => vec![Vec::new(); params.venues.len()],
        };
        accounts.push(NetworkAccount {
            name: name.to_string(),
            book: Book {
                balances,
                positions,
            },
        });
    }
    Ok(Network {
        file: file.to_string(),
        params,
        portfolio,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use zkmargin_circuits::hash::Fp;
    use zkmargin_circuits::margin::{Kind, Side};
    use zkmargin_circuits::portfolio::{
        InstrumentKey, PortfolioRates, RiskRow, RiskTable, SCENARIOS,
    };
    use zkmargin_circuits::profile::SMALL;

    use crate::position::{
        collateral_to_json, parse_order, parse_position, positions_to_json, read_collateral,
        read_positions,
    };
    use crate::risk_table::PublishedRisk;

    /// The minimal example of DESIGN.md, verbatim.
    const DESIGN_EXAMPLE: &str = include_str!("../../examples/design.network.json");

    const EXAMPLE: &str = include_str!("../../examples/network.json");

    #[test]
    fn orders_are_positions_without_entry() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        // The order grammar reads the snapshot's assets, buckets and risk table (here BTC's
        // perpetual alone); the roots do not matter.
        let table = RiskTable {
            rows: vec![RiskRow {
                key: InstrumentKey::perp(0),
                mark: 0,
                vector: [0; SCENARIOS],
            }],
        };
        let snapshot = network.params.into_snapshot(
            SMALL,
            vec![Fp::default(); 2],
            vec![Fp::default(); 2],
            PublishedRisk::new(vec![PortfolioRates::default(); 2], table, SMALL.risk_depth),
        );
        let order = parse_order(
            r#"{"kind": "perp", "underlying": "BTC", "size": "-0.5"}"#,
            &snapshot,
            "--order",
        )
        .unwrap();
        assert_eq!(order.price, 9_700_050_000_000);
        assert_eq!(
            (order.side, order.size, order.expiry),
            (Side::Short, 500_000_000, 0)
        );
        let e = parse_order(
            r#"{"kind": "perp", "underlying": "BTC", "size": "1", "entry": "1"}"#,
            &snapshot,
            "--order",
        )
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.field.as_str()), ("--order", "entry"));
        let e = parse_order(
            r#"{"kind": "perp", "underlying": "BTC"}"#,
            &snapshot,
            "--order",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "--order: size: missing");
        let value = json!({"kind": "put", "underlying": "BTC", "size": "1", "strike": "90000",
                           "expiry": 1_767_225_600 + 86_401});
        let put = parse_position(
            &value,
            &snapshot.assets,
            &snapshot.risk_params(),
            true,
            "--order",
            "",
        )
        .unwrap();
        assert_eq!((put.kind, put.price), (Kind::Put, 9_000_000_000_000));
        let e = parse_position(
            &json!({"kind": "put", "underlying": "BTC", "size": "1", "strike": "90000"}),
            &snapshot.assets,
            &snapshot.risk_params(),
            false,
            "orders.json",
            "orders[3]",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "orders.json: orders[3].expiry: missing");
        // An option the risk table does not list can be neither charged nor proved.
        let e = parse_order(
            r#"{"kind": "put", "underlying": "BTC", "size": "1", "strike": "90000",
                "expiry": 1767312000}"#,
            &snapshot,
            "--order",
        )
        .unwrap_err();
        assert_eq!(e.field, "(top level)");
        assert!(e.reason.contains("not in the snapshot's risk table"), "{e}");
        assert!(parse_order("{", &snapshot, "--order").is_err());
        assert!(parse_order("[]", &snapshot, "--order").is_err());
    }

    #[test]
    fn positions_round_trip_through_json() {
        let network = read_network(EXAMPLE, "examples/network.json").unwrap();
        let risk = network.params.risk_params();
        for account in &network.accounts {
            let json = positions_to_json(
                &account.book.positions,
                &network.params.assets,
                &network.params.venues,
            );
            let back = read_positions(
                &ValueReader::root("x", &json),
                &network.params.assets,
                &network.params.venues,
                &risk,
            )
            .unwrap();
            assert_eq!(back, account.book.positions);
            let json = collateral_to_json(
                &account.book.balances,
                &network.params.assets,
                &network.params.chains,
            );
            let back = read_collateral(
                &ValueReader::root("x", &json),
                &network.params.assets,
                &network.params.chains,
            )
            .unwrap();
            assert_eq!(back, account.book.balances);
        }
    }

    /// Applies `mutate` to the DESIGN.md example and expects an error at `field`.
    fn refused(mutate: impl FnOnce(&mut Value), field: &str) -> InputError {
        let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        mutate(&mut value);
        let text = serde_json::to_string(&value).unwrap();
        let e = read_network(&text, "net.json").expect_err(field);
        assert_eq!(e.file, "net.json");
        assert_eq!(e.field, field, "{e}");
        assert!(e.to_string().starts_with(&format!("net.json: {field}: ")));
        e
    }

    fn remove(v: &mut Value, key: &str) {
        v.as_object_mut().unwrap().remove(key);
    }

    #[test]
    fn refuses_bad_networks() {
        refused(|v| v["format"] = json!("zkmargin.network/2"), "format");
        refused(|v| v["format"] = json!("zkmargin.snapshot/1"), "format");
        refused(|v| remove(v, "epoch"), "epoch");
        refused(|v| remove(v, "accounts"), "accounts");
        refused(
            |v| remove(&mut v["accounts"][0], "name"),
            "accounts[0].name",
        );
        refused(|v| v["digest"] = json!("00"), "digest");
        refused(
            |v| v["accounts"][0]["email"] = json!("a@b"),
            "accounts[0].email",
        );
        refused(|v| v["epoch"] = json!(4812.5), "epoch");
        refused(|v| v["valid_from"] = json!("1767225600"), "valid_from");
        refused(|v| v["assets"] = json!({}), "assets");
        refused(
            |v| v["assets"][1]["price"] = json!("1.000000001"),
            "assets[1].price",
        );
        refused(
            |v| v["assets"][0]["price"] = json!("2814749.76710656"),
            "assets[0].price",
        );
        refused(
            |v| v["assets"][1]["symbol"] = json!("BTC"),
            "assets[1].symbol",
        );
        refused(
            |v| v["chains"][1]["name"] = json!("ethereum"),
            "chains[1].name",
        );
        refused(|v| v["venues"][1]["id"] = json!(7), "venues[1].id");
        refused(|v| v["venues"][1]["id"] = json!(-9), "venues[1].id");
        refused(
            |v| v["haircuts_ppm"]["USDC"]["arbitrum"] = json!(1_000_001),
            "haircuts_ppm.USDC.arbitrum",
        );
        refused(
            |v| remove(&mut v["haircuts_ppm"]["USDC"], "arbitrum"),
            "haircuts_ppm.USDC.arbitrum",
        );
        refused(
            |v| remove(&mut v["perp_mmr_ppm"], "hyperliquid"),
            "perp_mmr_ppm.hyperliquid",
        );
        refused(
            |v| v["perp_mmr_ppm"]["deribit"]["ETH"] = json!(1),
            "perp_mmr_ppm.deribit.ETH",
        );
        refused(
            |v| v["option_rate_ppm"]["BTC"] = json!("75000"),
            "option_rate_ppm.BTC",
        );
        refused(
            |v| v["expiry_buckets"][1]["max_seconds"] = json!(86_400),
            "expiry_buckets[1].max_seconds",
        );
        refused(
            |v| remove(&mut v["expiry_buckets"][0]["tau_ppm"], "USDC"),
            "expiry_buckets[0].tau_ppm.USDC",
        );
        refused(
            |v| v["upnl_haircut_ppm"] = json!(2_000_000),
            "upnl_haircut_ppm",
        );
        refused(|v| v["valid_until"] = json!(1_767_225_599), "valid_until");
        // Accounts.
        refused(
            |v| v["accounts"][0]["name"] = json!("../etc"),
            "accounts[0].name",
        );
        refused(|v| v["accounts"][0]["name"] = json!(""), "accounts[0].name");
        refused(
            |v| {
                let mut bob = v["accounts"][0].clone();
                bob["name"] = json!("ALICE");
                v["accounts"].as_array_mut().unwrap().push(bob);
            },
            "accounts[1].name",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["ethereum"]["USDC"] = json!("-1"),
            "accounts[0].collateral.ethereum.USDC",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["ethereum"]["USDC"] = json!("0.0000000001"),
            "accounts[0].collateral.ethereum.USDC",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["ethereum"]["BTC"] = json!(1.5),
            "accounts[0].collateral.ethereum.BTC",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["ethereum"]["BTC"] = json!("18446744073.709551616"),
            "accounts[0].collateral.ethereum.BTC",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["ethereum"]["DOGE"] = json!("1"),
            "accounts[0].collateral.ethereum.DOGE",
        );
        refused(
            |v| v["accounts"][0]["collateral"]["polygon"] = json!({"USDC": "1"}),
            "accounts[0].collateral.polygon",
        );
        refused(
            |v| v["accounts"][0]["positions"]["binance"] = json!([]),
            "accounts[0].positions.binance",
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"] = json!({}),
            "accounts[0].positions.deribit",
        );
        // Positions.
        let call = "accounts[0].positions.deribit[0]";
        let perp = "accounts[0].positions.hyperliquid[0]";
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["kind"] = json!("future"),
            &format!("{call}.kind"),
        );
        refused(
            |v| remove(&mut v["accounts"][0]["positions"]["deribit"][0], "kind"),
            &format!("{call}.kind"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["underlying"] = json!("ETH"),
            &format!("{call}.underlying"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["size"] = json!("0"),
            &format!("{call}.size"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["size"] = json!(-2),
            &format!("{call}.size"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["size"] = json!("-2.0000000001"),
            &format!("{call}.size"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["strike"] = json!("2814749.76710656"),
            &format!("{call}.strike"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["entry"] = json!("1"),
            &format!("{call}.entry"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["deribit"][0]["expiry"] = json!(1_767_225_599),
            &format!("{call}.expiry"),
        );
        let e = refused(
            |v| {
                v["accounts"][0]["positions"]["deribit"][0]["expiry"] =
                    json!(1_767_225_600u64 + 31_536_001)
            },
            &format!("{call}.expiry"),
        );
        assert!(e.reason.contains("beyond the last expiry bucket"), "{e}");
        refused(
            |v| remove(&mut v["accounts"][0]["positions"]["deribit"][0], "strike"),
            &format!("{call}.strike"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["hyperliquid"][0]["expiry"] = json!(1_767_312_000),
            &format!("{perp}.expiry"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["hyperliquid"][0]["strike"] = json!("1"),
            &format!("{perp}.strike"),
        );
        refused(
            |v| {
                remove(
                    &mut v["accounts"][0]["positions"]["hyperliquid"][0],
                    "entry",
                )
            },
            &format!("{perp}.entry"),
        );
        refused(
            |v| v["accounts"][0]["positions"]["hyperliquid"][0]["leverage"] = json!(10),
            &format!("{perp}.leverage"),
        );
    }

    #[test]
    fn refuses_broken_text() {
        let e = read_network(&DESIGN_EXAMPLE[..DESIGN_EXAMPLE.len() - 20], "net.json").unwrap_err();
        assert_eq!(e.file, "net.json");
        assert!(e.field.starts_with("line "), "{e}");
        let dup = DESIGN_EXAMPLE.replacen("\"epoch\": 4812,", "\"epoch\": 4812, \"epoch\": 1,", 1);
        let e = read_network(&dup, "net.json").unwrap_err();
        assert_eq!(e.to_string(), "net.json: epoch: duplicate key");
        let dup = DESIGN_EXAMPLE.replacen(
            "\"arbitrum\": {\"USDC\": \"5000.25\"}",
            "\"arbitrum\": {\"USDC\": \"5000.25\", \"USDC\": \"1\"}",
            1,
        );
        let e = read_network(&dup, "net.json").unwrap_err();
        assert_eq!(e.field, "accounts[0].collateral.arbitrum.USDC");
        for text in ["", "null", "[]", "\"x\"", "{}"] {
            assert!(read_network(text, "net.json").is_err());
        }
    }

    /// `network build --valid-from`: the epoch, every held option's expiry and every listed
    /// one's move by the same seconds (perpetuals keep expiry 0), so every time to expiry is
    /// the file's; a move past the time bound is refused and changes nothing.
    #[test]
    fn retime_moves_the_epoch_and_every_expiry_together() {
        let network = read_network(EXAMPLE, "network.json").unwrap();
        let to_expiry = |n: &Network| -> Vec<(Kind, u64)> {
            let mut times = Vec::new();
            for account in &n.accounts {
                for p in account.book.positions.iter().flatten() {
                    times.push((p.kind, p.expiry.saturating_sub(n.params.valid_from)));
                }
            }
            for i in &n.portfolio.instruments {
                times.push((i.key.kind, i.key.expiry - n.params.valid_from));
            }
            times
        };
        assert!(
            to_expiry(&network)
                .iter()
                .any(|(kind, _)| matches!(kind, Kind::Call | Kind::Put)),
            "the example holds options"
        );
        let start = 1_796_345_105;
        let mut moved = network.clone();
        moved.retime(start).unwrap();
        assert_eq!(moved.params.valid_from, start);
        assert_eq!(
            moved.params.valid_until - start,
            network.params.valid_until - network.params.valid_from
        );
        assert_eq!(to_expiry(&moved), to_expiry(&network));
        for account in &moved.accounts {
            for p in account.book.positions.iter().flatten() {
                if p.kind == Kind::Perp {
                    assert_eq!(p.expiry, 0);
                }
            }
        }
        // Back again: the file's network exactly.
        let mut back = moved.clone();
        back.retime(network.params.valid_from).unwrap();
        assert_eq!(back, network);

        let mut refused = network.clone();
        let e = refused.retime((1u64 << TIME_BITS) - 10).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("network.json", "valid_from")
        );
        assert_eq!(refused, network, "a refused move changes nothing");
    }
}
