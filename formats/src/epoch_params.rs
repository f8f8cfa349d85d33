//! The epoch parameters: what `network.json`, `epoch.json` and `snapshot.json` share, in the
//! same words (everything from `epoch` to `upnl_haircut_ppm`, see `snapshot`), read with every
//! bound of DESIGN.md checked. The portfolio section that follows them differs: the
//! publisher's inputs in `network.json` and `epoch.json` (`portfolio`), what is published in
//! `snapshot.json` (`risk_table`).

use zkmargin_circuits::hash::Fp;
use zkmargin_circuits::margin::{Bucket, RiskParams};
use zkmargin_circuits::portfolio::RiskTable;
use zkmargin_circuits::profile::{self, Profile};
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_circuits::units::{EPOCH_BITS, ID_BITS, PRICE_BITS, PRICE_DECIMALS, TIME_BITS};

use crate::decimal::format_scaled;
use crate::input_error::InputError;
use crate::json::{check_name, shown, Json, ObjectReader, ValueReader};
use crate::risk_table::PublishedRisk;

/// The keys of the epoch parameters, shared by `snapshot.json` and `network.json`.
pub const EPOCH_PARAM_KEYS: [&str; 11] = [
    "epoch",
    "valid_from",
    "valid_until",
    "assets",
    "chains",
    "venues",
    "haircuts_ppm",
    "perp_mmr_ppm",
    "option_rate_ppm",
    "expiry_buckets",
    "upnl_haircut_ppm",
];

/// An epoch's public parameters without profile and roots: what `network.json` and
/// `snapshot.json` share. Every bound of DESIGN.md holds once [`read_epoch_params`] accepts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochParams {
    pub epoch: u64,
    pub valid_from: u64,
    pub valid_until: u64,
    pub assets: Vec<Asset>,
    pub chains: Vec<Member>,
    pub venues: Vec<Member>,
    /// `haircuts_ppm[asset][chain]`.
    pub haircuts_ppm: Vec<Vec<u64>>,
    /// `perp_mmr_ppm[venue][asset]`.
    pub perp_mmr_ppm: Vec<Vec<u64>>,
    /// `option_rate_ppm[asset]`.
    pub option_rate_ppm: Vec<u64>,
    /// `max_seconds` strictly increasing; `tau_ppm[asset]`.
    pub buckets: Vec<Bucket>,
    pub upnl_haircut_ppm: u64,
}

impl EpochParams {
    /// The parameters of version 2's per-position rules (prices, haircuts, rates, buckets):
    /// what reading a position checks (its expiry bucket). No portfolio rates and no risk
    /// table: the portfolio margin of a book needs a snapshot (`Snapshot::risk_params`).
    pub fn risk_params(&self) -> RiskParams {
        RiskParams {
            prices: self.assets.iter().map(|a| a.price).collect(),
            haircuts_ppm: self.haircuts_ppm.clone(),
            perp_mmr_ppm: self.perp_mmr_ppm.clone(),
            option_rate_ppm: self.option_rate_ppm.clone(),
            buckets: self.buckets.clone(),
            upnl_haircut_ppm: self.upnl_haircut_ppm,
            valid_from: self.valid_from,
            portfolio: Vec::new(),
            risk_table: RiskTable::default(),
        }
    }

    /// The snapshot of these parameters under `profile` with these roots (in chain and venue
    /// order) and the published portfolio rates, risk table and its root.
    pub fn into_snapshot(
        self,
        profile: Profile,
        chain_roots: Vec<Fp>,
        venue_roots: Vec<Fp>,
        risk: PublishedRisk,
    ) -> Snapshot {
        Snapshot {
            profile,
            epoch: self.epoch,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            assets: self.assets,
            chains: self.chains,
            venues: self.venues,
            haircuts_ppm: self.haircuts_ppm,
            perp_mmr_ppm: self.perp_mmr_ppm,
            option_rate_ppm: self.option_rate_ppm,
            buckets: self.buckets,
            upnl_haircut_ppm: self.upnl_haircut_ppm,
            chain_roots,
            venue_roots,
            portfolio: risk.portfolio,
            risk_table: risk.risk_table,
            risk_root: risk.risk_root,
        }
    }

    /// Whether the dimensions fit `profile` (positions are the caller's to check); the error
    /// names the field that is too long.
    pub fn check_fits(&self, profile: &Profile, file: &str) -> Result<(), InputError> {
        let dims = [
            ("assets", self.assets.len(), profile.assets, "assets"),
            ("chains", self.chains.len(), profile.chains, "chains"),
            ("venues", self.venues.len(), profile.venues, "venues"),
            (
                "expiry_buckets",
                self.buckets.len(),
                profile.buckets,
                "expiry buckets",
            ),
        ];
        for (field, count, max, what) in dims {
            if count > max {
                return Err(InputError::new(
                    file,
                    field,
                    format!(
                        "{count} {what} do not fit profile {} (at most {max})",
                        profile.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl From<&Snapshot> for EpochParams {
    fn from(s: &Snapshot) -> EpochParams {
        EpochParams {
            epoch: s.epoch,
            valid_from: s.valid_from,
            valid_until: s.valid_until,
            assets: s.assets.clone(),
            chains: s.chains.clone(),
            venues: s.venues.clone(),
            haircuts_ppm: s.haircuts_ppm.clone(),
            perp_mmr_ppm: s.perp_mmr_ppm.clone(),
            option_rate_ppm: s.option_rate_ppm.clone(),
            buckets: s.buckets.clone(),
            upnl_haircut_ppm: s.upnl_haircut_ppm,
        }
    }
}

/// The most of a dimension any profile holds: a longer list can never be built or proven,
/// and refusing it early keeps every later check cheap.
fn largest(dimension: fn(&Profile) -> usize) -> usize {
    profile::ALL.iter().map(dimension).max().unwrap_or(0)
}

/// A list of at least one and at most `max` items.
fn non_empty<'a>(
    at: &ValueReader<'a>,
    what: &str,
    max: usize,
) -> Result<Vec<ValueReader<'a>>, InputError> {
    let items = at.items()?;
    if items.is_empty() {
        return Err(at.err(format!("at least one {what} is required")));
    }
    if items.len() > max {
        return Err(at.err(format!(
            "{} {what}s: no profile holds more than {max}",
            items.len()
        )));
    }
    Ok(items)
}

fn read_members(at: &ValueReader, what: &str, max: usize) -> Result<Vec<Member>, InputError> {
    let mut members: Vec<Member> = Vec::new();
    for item in non_empty(at, what, max)? {
        let obj = item.object()?;
        obj.only(&["id", "name"])?;
        let id_at = obj.req("id")?;
        let id = id_at.uint(ID_BITS)?;
        let name_at = obj.req("name")?;
        let name = name_at.str()?;
        check_name(&name_at, name)?;
        if members.iter().any(|m| m.id == id) {
            return Err(id_at.err(format!("duplicate {what} id {id}")));
        }
        if members.iter().any(|m| m.name == name) {
            return Err(name_at.err(format!("duplicate {what} name {}", shown(name))));
        }
        members.push(Member {
            id,
            name: name.to_string(),
        });
    }
    Ok(members)
}

fn read_assets(at: &ValueReader) -> Result<Vec<Asset>, InputError> {
    let mut assets: Vec<Asset> = Vec::new();
    for item in non_empty(at, "asset", largest(|p| p.assets))? {
        let obj = item.object()?;
        obj.only(&["symbol", "price"])?;
        let symbol_at = obj.req("symbol")?;
        let symbol = symbol_at.str()?;
        check_name(&symbol_at, symbol)?;
        if assets.iter().any(|a| a.symbol == symbol) {
            return Err(symbol_at.err(format!("duplicate asset symbol {}", shown(symbol))));
        }
        let price = obj.req("price")?.decimal(PRICE_DECIMALS, PRICE_BITS)?;
        assets.push(Asset {
            symbol: symbol.to_string(),
            price,
        });
    }
    Ok(assets)
}

/// A map `{asset: ppm}` over exactly these symbols, in symbol order.
fn ppm_by_asset(at: &ValueReader, symbols: &[&str], missing: &str) -> Result<Vec<u64>, InputError> {
    at.keyed(symbols, "asset", missing)?
        .iter()
        .map(ValueReader::ppm)
        .collect()
}

/// Computes the haircut table (`[asset][chain]`) of a network's assets and chains, in place of
/// the file's `haircuts_ppm` (as `network build --risk` does).
pub type HaircutSource<'a> = &'a dyn Fn(&[Asset], &[Member]) -> Result<Vec<Vec<u64>>, InputError>;

/// Reads and checks the epoch parameters from the top-level object of `snapshot.json` or
/// `network.json` (the caller checks the format and the set of keys).
pub fn read_epoch_params(top: &ObjectReader) -> Result<EpochParams, InputError> {
    read_epoch_params_with(top, None)
}

/// [`read_epoch_params`], with the haircuts computed by `computed` when given: then
/// `haircuts_ppm` may be left out of the file, and when present it is checked and replaced.
pub fn read_epoch_params_with(
    top: &ObjectReader,
    computed: Option<HaircutSource>,
) -> Result<EpochParams, InputError> {
    let epoch = top.req("epoch")?.uint(EPOCH_BITS)?;
    let valid_from = top.req("valid_from")?.uint(TIME_BITS)?;
    let until_at = top.req("valid_until")?;
    let valid_until = until_at.uint(TIME_BITS)?;
    if valid_until < valid_from {
        return Err(until_at.err(format!("{valid_until} is before valid_from ({valid_from})")));
    }
    let assets = read_assets(&top.req("assets")?)?;
    let chains = read_members(&top.req("chains")?, "chain", largest(|p| p.chains))?;
    let venues = read_members(&top.req("venues")?, "venue", largest(|p| p.venues))?;
    let symbols: Vec<&str> = assets.iter().map(|a| a.symbol.as_str()).collect();
    let chain_names: Vec<&str> = chains.iter().map(|c| c.name.as_str()).collect();
    let venue_names: Vec<&str> = venues.iter().map(|v| v.name.as_str()).collect();

    let read_haircuts = |at: ValueReader| {
        at.keyed(
            &symbols,
            "asset",
            "missing: every asset needs a haircut on every chain",
        )?
        .iter()
        .map(|row| {
            row.keyed(
                &chain_names,
                "chain",
                "missing: every asset needs a haircut on every chain",
            )?
            .iter()
            .map(ValueReader::ppm)
            .collect()
        })
        .collect::<Result<Vec<Vec<u64>>, InputError>>()
    };
    let haircuts_ppm = match (top.opt("haircuts_ppm"), computed) {
        (Some(at), None) => read_haircuts(at)?,
        (None, None) => return Err(top.err("haircuts_ppm", "missing")),
        (at, Some(compute)) => {
            if let Some(at) = at {
                read_haircuts(at)?;
            }
            compute(&assets, &chains)?
        }
    };
    let perp_mmr_ppm = top
        .req("perp_mmr_ppm")?
        .keyed(
            &venue_names,
            "venue",
            "missing: every venue needs a perp margin rate for every asset",
        )?
        .iter()
        .map(|row| {
            ppm_by_asset(
                row,
                &symbols,
                "missing: every venue needs a perp margin rate for every asset",
            )
        })
        .collect::<Result<Vec<Vec<u64>>, InputError>>()?;
    let option_rate_ppm = ppm_by_asset(
        &top.req("option_rate_ppm")?,
        &symbols,
        "missing: every asset needs an option rate",
    )?;

    let mut buckets: Vec<Bucket> = Vec::new();
    for item in non_empty(
        &top.req("expiry_buckets")?,
        "expiry bucket",
        largest(|p| p.buckets),
    )? {
        let obj = item.object()?;
        obj.only(&["max_seconds", "tau_ppm"])?;
        let max_at = obj.req("max_seconds")?;
        let max_seconds = max_at.uint(TIME_BITS)?;
        if let Some(previous) = buckets.last() {
            if max_seconds <= previous.max_seconds {
                return Err(max_at.err(format!(
                    "{max_seconds} must be greater than the previous bucket's max_seconds \
                     ({}): buckets are strictly increasing",
                    previous.max_seconds
                )));
            }
        }
        let tau_ppm = ppm_by_asset(
            &obj.req("tau_ppm")?,
            &symbols,
            "missing: every asset needs a tau in every bucket",
        )?;
        buckets.push(Bucket {
            max_seconds,
            tau_ppm,
        });
    }
    let upnl_haircut_ppm = top.req("upnl_haircut_ppm")?.ppm()?;

    Ok(EpochParams {
        epoch,
        valid_from,
        valid_until,
        assets,
        chains,
        venues,
        haircuts_ppm,
        perp_mmr_ppm,
        option_rate_ppm,
        buckets,
        upnl_haircut_ppm,
    })
}

/// The epoch parameters as JSON entries, in the files' order.
pub fn epoch_params_entries(p: &EpochParams) -> Vec<(String, Json)> {
    let asset_map = |values: &[u64]| {
        Json::object(
            p.assets
                .iter()
                .zip(values)
                .map(|(a, &v)| (a.symbol.clone(), Json::uint(v))),
        )
    };
    let members = |list: &[Member]| {
        Json::Array(
            list.iter()
                .map(|m| Json::object([("id", Json::uint(m.id)), ("name", Json::str(&m.name))]))
                .collect(),
        )
    };
    vec![
        ("epoch".into(), Json::uint(p.epoch)),
        ("valid_from".into(), Json::uint(p.valid_from)),
        ("valid_until".into(), Json::uint(p.valid_until)),
        (
            "assets".into(),
            Json::Array(
                p.assets
                    .iter()
                    .map(|a| {
                        Json::object([
                            ("symbol", Json::str(&a.symbol)),
                            (
                                "price",
                                Json::str(format_scaled(a.price as i128, PRICE_DECIMALS)),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("chains".into(), members(&p.chains)),
        ("venues".into(), members(&p.venues)),
        (
            "haircuts_ppm".into(),
            Json::object(p.assets.iter().zip(&p.haircuts_ppm).map(|(a, row)| {
                (
                    a.symbol.clone(),
                    Json::object(
                        p.chains
                            .iter()
                            .zip(row)
                            .map(|(c, &v)| (c.name.clone(), Json::uint(v))),
                    ),
                )
            })),
        ),
        (
            "perp_mmr_ppm".into(),
            Json::object(
                p.venues
                    .iter()
                    .zip(&p.perp_mmr_ppm)
                    .map(|(v, row)| (v.name.clone(), asset_map(row))),
            ),
        ),
        ("option_rate_ppm".into(), asset_map(&p.option_rate_ppm)),
        (
            "expiry_buckets".into(),
            Json::Array(
                p.buckets
                    .iter()
                    .map(|b| {
                        Json::object([
                            ("max_seconds", Json::uint(b.max_seconds)),
                            ("tau_ppm", asset_map(&b.tau_ppm)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("upnl_haircut_ppm".into(), Json::uint(p.upnl_haircut_ppm)),
    ]
}
