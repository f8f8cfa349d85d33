//! `network.json` and `zkmargin network build`.
//!
//! A network file describes a whole network as vaults, venues and the risk publisher know it
//! together: the epoch parameters (in the same words as `snapshot.json`, see
//! `zkmargin_circuits::snapshot_json`) and every account's collateral and positions. [`build`]
//! turns it into the public snapshot and one private account file per account: it draws each
//! account's secret key and leaf salts, builds every chain's and venue's Merkle tree and
//! publishes their roots.
//!
//! Positions are written the same way in `network.json`, in account files and in the CLI's
//! `--order`: `{"kind": "perp" | "call" | "put", "underlying": symbol, "size": signed decimal,
//! "entry": price (perps), "strike": price and "expiry": unix seconds (options)}`.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use ff::Field;
use rand_core::CryptoRng;
use zkmargin_circuits::hash::{account_key, Fp};
use zkmargin_circuits::input_error::InputError;
use zkmargin_circuits::margin::{self, Book, Kind, MarginError, Position, RiskParams, Side};
use zkmargin_circuits::profile::{self, Profile};
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};
use zkmargin_circuits::snapshot_json::{
    read_epoch_params_with, write_signed_snapshot, EpochParams, HaircutSource, SnapshotSignature,
    EPOCH_PARAM_KEYS,
};
use zkmargin_circuits::strict_json::{self, key_path, shown, At, Json};
use zkmargin_circuits::units::{
    self, AMOUNT_BITS, AMOUNT_DECIMALS, PRICE_BITS, PRICE_DECIMALS, TIME_BITS,
};

use crate::account::{write_account_file, Account};
use crate::fsutil;
use crate::parties::{
    assemble, build_tree, publish, Epoch, Holding, OpeningFile, Registry, RootFile, TreeKind,
};

/// The `format` of a network file.
pub const NETWORK_FORMAT: &str = "zkmargin.network/1";

/// The keys of a position object.
pub const POSITION_KEYS: [&str; 6] = ["kind", "underlying", "size", "entry", "strike", "expiry"];

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
    pub accounts: Vec<NetworkAccount>,
}

impl Network {
    /// The largest number of positions any account holds at one venue, and where.
    fn most_positions(&self) -> (usize, String) {
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
}

/// Checks an account name: it becomes a file name, so 1 to 64 characters from
/// `A-Z a-z 0-9 _ -`.
pub fn check_account_name(at: &At, name: &str) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(at.err(format!(
            "{} is not a valid account name (1 to 64 characters from A-Z, a-z, 0-9, '_' and '-': \
             it becomes a file name)",
            shown(name)
        )))
    }
}

fn expiry_error(at: &At, e: MarginError, params: &RiskParams) -> InputError {
    match e {
        MarginError::Expired { expiry, valid_from } => at.err(format!(
            "the option expires at {expiry}, before the epoch starts (valid_from {valid_from})"
        )),
        MarginError::BeyondLastBucket { expiry, last } => at.err(format!(
            "the option expires {} s after valid_from, beyond the last expiry bucket ({last} s)",
            expiry.saturating_sub(params.valid_from)
        )),
        other => at.err(other.to_string()),
    }
}

/// Reads one position object (see the module documentation).
///
/// A position in a file has a nonzero `size`; a perp has an `entry` and neither `strike` nor
/// `expiry`; an option has a `strike` and an `expiry` inside the snapshot's buckets
/// (`margin::bucket_index`) and no `entry`. An order (`is_order`) is the same except that a
/// perp has no `entry`: it enters at the snapshot price, which the returned position holds.
pub fn read_position(
    at: &At,
    assets: &[Asset],
    params: &RiskParams,
    is_order: bool,
) -> Result<Position, InputError> {
    let obj = at.object()?;
    obj.only(&POSITION_KEYS)?;
    let kind_at = obj.req("kind")?;
    let kind = match kind_at.str()? {
        "perp" => Kind::Perp,
        "call" => Kind::Call,
        "put" => Kind::Put,
        other => {
            return Err(kind_at.err(format!(
                "unknown kind {} (expected \"perp\", \"call\" or \"put\")",
                shown(other)
            )))
        }
    };
    if kind == Kind::Perp {
        if obj.has("strike") {
            return Err(obj.err("strike", "a perp has no strike (its price is the entry)"));
        }
        if obj.has("expiry") {
            return Err(obj.err("expiry", "a perp has no expiry"));
        }
        if is_order && obj.has("entry") {
            return Err(obj.err(
                "entry",
                "an order has no entry: a perp order enters at the snapshot price",
            ));
        }
    } else if obj.has("entry") {
        return Err(obj.err("entry", "an option has no entry (its price is the strike)"));
    }

    let underlying_at = obj.req("underlying")?;
    let symbol = underlying_at.str()?;
    let underlying = assets
        .iter()
        .position(|a| a.symbol == symbol)
        .ok_or_else(|| underlying_at.err(format!("unknown asset {}", shown(symbol))))?;

    let size_at = obj.req("size")?;
    let size = size_at.signed_decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
    if size == 0 {
        return Err(size_at.err("must not be zero (leave the position out instead)"));
    }
    let side = if size < 0 { Side::Short } else { Side::Long };
    let size = u64::try_from(size.unsigned_abs())
        .map_err(|_| size_at.err("is out of range (magnitude must be below 2^64)"))?;

    let (price, expiry) = match kind {
        Kind::Perp if is_order => {
            let price = params
                .prices
                .get(underlying)
                .copied()
                .ok_or_else(|| underlying_at.err("has no price in the snapshot"))?;
            (price, 0)
        }
        Kind::Perp => (obj.req("entry")?.decimal(PRICE_DECIMALS, PRICE_BITS)?, 0),
        _ => {
            let strike = obj.req("strike")?.decimal(PRICE_DECIMALS, PRICE_BITS)?;
            let expiry_at = obj.req("expiry")?;
            let expiry = expiry_at.uint(TIME_BITS)?;
            margin::bucket_index(params, expiry)
                .map_err(|e| expiry_error(&expiry_at, e, params))?;
            (strike, expiry)
        }
    };
    Ok(Position {
        kind,
        underlying,
        side,
        size,
        price,
        expiry,
    })
}

/// [`read_position`] for a `serde_json::Value` (such as the CLI's `--order`); errors name
/// `file` and paths under `field` (`""` for a value that is the whole input).
pub fn parse_position(
    value: &serde_json::Value,
    assets: &[Asset],
    params: &RiskParams,
    is_order: bool,
    file: &str,
    field: &str,
) -> Result<Position, InputError> {
    let json = Json::from(value);
    read_position(
        &At::new(file, field.to_string(), &json),
        assets,
        params,
        is_order,
    )
}

/// Reads an order given as JSON text (one position object, no `entry` for a perp) against a
/// snapshot; duplicate keys are refused. `file` names the source in errors, e.g. `--order`.
pub fn parse_order(text: &str, snapshot: &Snapshot, file: &str) -> Result<Position, InputError> {
    let json = strict_json::parse(text, file)?;
    read_position(
        &At::root(file, &json),
        &snapshot.assets,
        &snapshot.risk_params(),
        true,
    )
}

/// A position as a JSON object in the files' words (with `entry` for a perp).
pub fn position_to_json(position: &Position, assets: &[Asset]) -> Json {
    let kind = match position.kind {
        Kind::Empty => "empty",
        Kind::Perp => "perp",
        Kind::Call => "call",
        Kind::Put => "put",
    };
    let symbol = assets
        .get(position.underlying)
        .map_or("?", |a| a.symbol.as_str());
    let price = Json::str(units::format_scaled(position.price as i128, PRICE_DECIMALS));
    let mut entries = vec![
        ("kind", Json::str(kind)),
        ("underlying", Json::str(symbol)),
        (
            "size",
            Json::str(units::format_scaled(
                position.signed_size(),
                AMOUNT_DECIMALS,
            )),
        ),
    ];
    if position.kind.is_option() {
        entries.push(("strike", price));
        entries.push(("expiry", Json::uint(position.expiry)));
    } else {
        entries.push(("entry", price));
    }
    Json::object(entries)
}

/// Reads `collateral`: chain name -> asset -> non-negative amount (e9, `< 2^64`). Chains and
/// assets left out hold zero. Returns `balances[chain][asset]` over every chain and asset.
pub fn read_collateral(
    at: &At,
    assets: &[Asset],
    chains: &[Member],
) -> Result<Vec<Vec<u64>>, InputError> {
    let mut balances = vec![vec![0u64; assets.len()]; chains.len()];
    for (chain_name, chain_at) in at.entries()? {
        let c = chains
            .iter()
            .position(|m| m.name == chain_name)
            .ok_or_else(|| chain_at.err(format!("unknown chain {}", shown(chain_name))))?;
        for (symbol, amount_at) in chain_at.entries()? {
            let a = assets
                .iter()
                .position(|m| m.symbol == symbol)
                .ok_or_else(|| amount_at.err(format!("unknown asset {}", shown(symbol))))?;
            let amount = amount_at.decimal(AMOUNT_DECIMALS, AMOUNT_BITS)?;
            if let Some(slot) = balances.get_mut(c).and_then(|row| row.get_mut(a)) {
                *slot = amount;
            }
        }
    }
    Ok(balances)
}

/// Reads `positions`: venue name -> list of positions. Venues left out hold nothing. Returns
/// `positions[venue]` over every venue.
pub fn read_positions(
    at: &At,
    assets: &[Asset],
    venues: &[Member],
    params: &RiskParams,
) -> Result<Vec<Vec<Position>>, InputError> {
    let mut positions = vec![Vec::new(); venues.len()];
    for (venue_name, list_at) in at.entries()? {
        let v = venues
            .iter()
            .position(|m| m.name == venue_name)
            .ok_or_else(|| list_at.err(format!("unknown venue {}", shown(venue_name))))?;
        let list = list_at
            .items()?
            .iter()
            .map(|item| read_position(item, assets, params, false))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(slot) = positions.get_mut(v) {
            *slot = list;
        }
    }
    Ok(positions)
}

/// Collateral as JSON: only chains and amounts that are nonzero.
pub fn collateral_to_json(balances: &[Vec<u64>], assets: &[Asset], chains: &[Member]) -> Json {
    Json::object(
        chains
            .iter()
            .zip(balances)
            .filter(|(_, row)| row.iter().any(|&x| x != 0))
            .map(|(chain, row)| {
                (
                    chain.name.clone(),
                    Json::object(assets.iter().zip(row).filter(|(_, &x)| x != 0).map(
                        |(asset, &x)| {
                            (
                                asset.symbol.clone(),
                                Json::str(units::format_scaled(x as i128, AMOUNT_DECIMALS)),
                            )
                        },
                    )),
                )
            }),
    )
}

/// Positions as JSON: only venues where the account holds something.
pub fn positions_to_json(positions: &[Vec<Position>], assets: &[Asset], venues: &[Member]) -> Json {
    Json::object(
        venues
            .iter()
            .zip(positions)
            .filter(|(_, slots)| !slots.is_empty())
            .map(|(venue, slots)| {
                (
                    venue.name.clone(),
                    Json::Array(slots.iter().map(|p| position_to_json(p, assets)).collect()),
                )
            }),
    )
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
    let json = strict_json::parse(text, file)?;
    let root = At::root(file, &json);
    let top = root.object()?;
    top.format(NETWORK_FORMAT)?;
    let mut keys = vec!["format", "accounts"];
    keys.extend(EPOCH_PARAM_KEYS);
    top.only(&keys)?;
    let params = read_epoch_params_with(&top, haircuts)?;
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
        accounts,
    })
}

/// Whether the whole network fits `profile`; the error names the field that is too big.
fn check_network_fits(network: &Network, profile: &Profile) -> Result<(), InputError> {
    network.params.check_fits(profile, &network.file)?;
    let (most, field) = network.most_positions();
    if most > profile.positions {
        return Err(InputError::new(
            &network.file,
            field,
            format!(
                "{most} positions at one venue do not fit profile {} (at most {})",
                profile.name, profile.positions
            ),
        ));
    }
    let capacity = 1u128.checked_shl(profile.depth as u32).unwrap_or(u128::MAX);
    if network.accounts.len() as u128 > capacity {
        return Err(InputError::new(
            &network.file,
            "accounts",
            format!(
                "{} accounts do not fit profile {} (at most 2^{} = {capacity})",
                network.accounts.len(),
                profile.name,
                profile.depth
            ),
        ));
    }
    Ok(())
}

/// The profile a network is built in: `forced` if given (an error if the network does not fit
/// it), else the smallest that fits (as `Profile::smallest_fitting`, also counting accounts).
pub fn choose_profile(network: &Network, forced: Option<Profile>) -> Result<Profile, InputError> {
    if let Some(profile) = forced {
        check_network_fits(network, &profile)?;
        return Ok(profile);
    }
    let mut last_error = None;
    for profile in profile::ALL {
        match check_network_fits(network, &profile) {
            Ok(()) => return Ok(profile),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error
        .unwrap_or_else(|| InputError::new(&network.file, "(top level)", "no profile is defined")))
}

/// What `build` draws at random: each account's `sk` and a salt per tree where it holds
/// something (`Fp::ZERO` elsewhere). `chain_salts[i][c]`, `venue_salts[i][v]` for account `i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draws {
    pub secrets: Vec<Fp>,
    pub chain_salts: Vec<Vec<Fp>>,
    pub venue_salts: Vec<Vec<Fp>>,
}

impl Draws {
    /// Draws account by account, in file order: `sk`, then a salt for every chain where the
    /// account holds a nonzero amount, then one for every venue where it holds a position.
    pub fn draw<R: CryptoRng + ?Sized>(network: &Network, rng: &mut R) -> Draws {
        let mut draws = Draws {
            secrets: Vec::new(),
            chain_salts: Vec::new(),
            venue_salts: Vec::new(),
        };
        for account in &network.accounts {
            draws.secrets.push(Fp::random(&mut *rng));
            let mut salt = |present: bool| {
                if present {
                    Fp::random(&mut *rng)
                } else {
                    Fp::ZERO
                }
            };
            let chains: Vec<Fp> = account
                .book
                .balances
                .iter()
                .map(|row| salt(row.iter().any(|&x| x != 0)))
                .collect();
            let venues: Vec<Fp> = account
                .book
                .positions
                .iter()
                .map(|slots| salt(!slots.is_empty()))
                .collect();
            draws.chain_salts.push(chains);
            draws.venue_salts.push(venues);
        }
        draws
    }
}

/// Builds the network: picks the profile, draws every account's `sk` and leaf salts
/// ([`Draws::draw`]) and runs the parties' steps ([`build_with`]). Returns the snapshot (roots
/// included, unsigned) and every account with its openings.
pub fn build<R: CryptoRng + ?Sized>(
    network: &Network,
    profile: Option<Profile>,
    rng: &mut R,
) -> Result<(Snapshot, Vec<Account>), InputError> {
    let profile = choose_profile(network, profile)?;
    let draws = Draws::draw(network, rng);
    build_with(network, profile, &draws)
}

/// The network built by the composition of the parties' steps (`parties`), with these draws:
///
/// 1. each trader's key `H(1, sk)` is registered, in file order (indices `0, 1, 2, ...`);
/// 2. each chain's vault builds its tree over the registry (`parties::build_tree`), and so
///    does each venue: a leaf is present only where the account holds a nonzero amount on the
///    chain, or at least one position at the venue; elsewhere the tree holds 0 and the salt is 0;
/// 3. the publisher publishes the epoch with their roots (`parties::publish`);
/// 4. each trader assembles its account file from its openings (`parties::assemble`).
///
/// The multi-party commands (`account new`, `registry add`, `vault build`, `venue build`,
/// `publish`, `account assemble`) run the same functions, so the same data and draws give the
/// same snapshot digest and the same proof inputs.
pub fn build_with(
    network: &Network,
    profile: Profile,
    draws: &Draws,
) -> Result<(Snapshot, Vec<Account>), InputError> {
    check_network_fits(network, &profile)?;
    let params = &network.params;
    let file = network.file.as_str();
    let shape_error = |i: usize, what: &str| {
        InputError::new(
            file,
            format!("accounts[{i}]"),
            format!("the book does not match the network's {what}"),
        )
    };
    let n = network.accounts.len();
    if draws.secrets.len() != n || draws.chain_salts.len() != n || draws.venue_salts.len() != n {
        return Err(InputError::new(
            file,
            "accounts",
            "one secret and one set of salts per account are required",
        ));
    }

    // 1. The registry.
    let mut registry = Registry::default();
    for (i, (account, sk)) in network.accounts.iter().zip(&draws.secrets).enumerate() {
        let book = &account.book;
        if book.balances.len() != params.chains.len()
            || book
                .balances
                .iter()
                .any(|row| row.len() != params.assets.len())
            || draws.chain_salts[i].len() != params.chains.len()
        {
            return Err(shape_error(i, "chains and assets"));
        }
        if book.positions.len() != params.venues.len()
            || draws.venue_salts[i].len() != params.venues.len()
        {
            return Err(shape_error(i, "venues"));
        }
        registry
            .add(&account.name, account_key(*sk))
            .map_err(|reason| InputError::new(file, format!("accounts[{i}].name"), reason))?;
    }

    // 2. Every vault and every venue builds its tree.
    let epoch = Epoch {
        profile,
        params: params.clone(),
    };
    let mut trees = Vec::new();
    for (c, chain) in params.chains.iter().enumerate() {
        let holdings: Vec<Holding> = network
            .accounts
            .iter()
            .map(|a| Holding::Collateral(a.book.balances[c].clone()))
            .collect();
        let salts: Vec<Fp> = draws.chain_salts.iter().map(|s| s[c]).collect();
        trees.push(build_tree(
            &epoch,
            TreeKind::Chain,
            chain,
            &registry,
            &holdings,
            &salts,
            file,
        )?);
    }
    for (v, venue) in params.venues.iter().enumerate() {
        let holdings: Vec<Holding> = network
            .accounts
            .iter()
            .map(|a| Holding::Positions(a.book.positions[v].clone()))
            .collect();
        let salts: Vec<Fp> = draws.venue_salts.iter().map(|s| s[v]).collect();
        trees.push(build_tree(
            &epoch,
            TreeKind::Venue,
            venue,
            &registry,
            &holdings,
            &salts,
            file,
        )?);
    }

    // 3. The publisher.
    let roots: Vec<(String, RootFile)> = trees
        .iter()
        .map(|t| (file.to_string(), t.root.clone()))
        .collect();
    let snapshot = publish(&epoch, &roots)?;

    // 4. Every trader assembles its account.
    let accounts = draws
        .secrets
        .iter()
        .enumerate()
        .map(|(i, sk)| {
            let openings: Vec<(String, OpeningFile)> = trees
                .iter()
                .map(|t| (file.to_string(), t.openings[i].clone()))
                .collect();
            assemble(*sk, &snapshot, &openings)
        })
        .collect::<Result<Vec<Account>, InputError>>()?;
    Ok((snapshot, accounts))
}

/// Writes what `zkmargin network build` produces: `dir/snapshot.json` and
/// `dir/accounts/<name>.json` (mode 0600, in a directory created with mode 0700), each file
/// written atomically.
pub fn write_build(dir: &Path, snapshot: &Snapshot, accounts: &[Account]) -> io::Result<()> {
    write_build_signed(dir, snapshot, None, accounts)
}

/// [`write_build`], the snapshot carrying the publisher's signature when given.
pub fn write_build_signed(
    dir: &Path,
    snapshot: &Snapshot,
    signature: Option<&SnapshotSignature>,
    accounts: &[Account],
) -> io::Result<()> {
    fsutil::create_dir_all(dir, None)?;
    let account_dir = dir.join("accounts");
    fsutil::create_dir_all(&account_dir, Some(0o700))?;
    for account in accounts {
        write_account_file(
            &account_dir.join(format!("{}.json", account.name)),
            account,
            snapshot,
        )?;
    }
    fsutil::write_atomic(
        &dir.join("snapshot.json"),
        write_signed_snapshot(snapshot, signature).as_bytes(),
        None,
    )
}

/// Account files under `dir/accounts` that this build did not write (`*.json` not named by
/// one of `accounts`): left by an earlier build into the same directory. They are not
/// removed (they hold that build's secret keys); `check` and `prove` refuse them against the
/// new snapshot by its digest. Sorted; an unreadable directory gives none.
pub fn stale_account_files(dir: &Path, accounts: &[Account]) -> Vec<PathBuf> {
    let written: HashSet<String> = accounts
        .iter()
        .map(|a| format!("{}.json", a.name))
        .collect();
    let Ok(entries) = std::fs::read_dir(dir.join("accounts")) else {
        return Vec::new();
    };
    let mut stale: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json") && !written.contains(name) && path.is_file()
        })
        .collect();
    stale.sort();
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde_json::{json, Value};
    use zkmargin_circuits::hash::{fp_to_hex, root_from_path};
    use zkmargin_circuits::margin::evaluate;
    use zkmargin_circuits::profile::{LARGE, SMALL, STANDARD};
    use zkmargin_circuits::snapshot_json::read_snapshot;
    use zkmargin_circuits::units::PPM;

    /// The minimal example of DESIGN.md, verbatim.
    pub(crate) const DESIGN_EXAMPLE: &str = r#"
  {"format": "zkmargin.network/1", "epoch": 4812,
   "valid_from": 1767225600, "valid_until": 1767229200,
   "assets": [{"symbol": "BTC", "price": "97000.5"}, {"symbol": "USDC", "price": "1"}],
   "chains": [{"id": 1, "name": "ethereum"}, {"id": 42161, "name": "arbitrum"}],
   "venues": [{"id": 7, "name": "deribit"}, {"id": 9, "name": "hyperliquid"}],
   "haircuts_ppm": {"BTC": {"ethereum": 30000, "arbitrum": 45000},
                    "USDC": {"ethereum": 10000, "arbitrum": 12000}},
   "perp_mmr_ppm": {"deribit": {"BTC": 10000, "USDC": 0}, "hyperliquid": {"BTC": 12500, "USDC": 0}},
   "option_rate_ppm": {"BTC": 75000, "USDC": 0},
   "expiry_buckets": [{"max_seconds": 86400, "tau_ppm": {"BTC": 20000, "USDC": 0}},
                      {"max_seconds": 31536000, "tau_ppm": {"BTC": 120000, "USDC": 0}}],
   "upnl_haircut_ppm": 100000,
   "accounts": [{"name": "alice",
     "collateral": {"ethereum": {"BTC": "1.5", "USDC": "20000"}, "arbitrum": {"USDC": "5000.25"}},
     "positions": {"deribit": [{"kind": "call", "underlying": "BTC", "size": "-2",
                                "strike": "100000", "expiry": 1767312000}],
                   "hyperliquid": [{"kind": "perp", "underlying": "BTC", "size": "0.75",
                                    "entry": "95000"}]}}]}
"#;

    pub(crate) const EXAMPLE: &str = include_str!("../../examples/network.json");

    pub(crate) fn rng() -> StdRng {
        StdRng::seed_from_u64(4812)
    }

    /// Every account's leaf with its path reaches the published root of every tree.
    fn assert_openings_reach_the_roots(snapshot: &Snapshot, accounts: &[Account]) {
        for account in accounts {
            assert!(account.idx < 1 << snapshot.profile.depth);
            for (c, root) in snapshot.chain_roots.iter().enumerate() {
                let opening = &account.chain_openings[c];
                assert_eq!(opening.path.len(), snapshot.profile.depth);
                let leaf = account.chain_leaf(snapshot, c).unwrap();
                assert_eq!(leaf == Fp::ZERO, !opening.present);
                assert_eq!(root_from_path(leaf, account.idx, &opening.path), *root);
            }
            for (v, root) in snapshot.venue_roots.iter().enumerate() {
                let opening = &account.venue_openings[v];
                let leaf = account.venue_leaf(snapshot, v).unwrap();
                assert_eq!(leaf == Fp::ZERO, !opening.present);
                assert_eq!(root_from_path(leaf, account.idx, &opening.path), *root);
            }
        }
    }

    #[test]
    fn the_design_example_parses_and_builds() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let p = &network.params;
        assert_eq!(p.epoch, 4812);
        assert_eq!(p.assets[0].price, 9_700_050_000_000);
        assert_eq!(
            p.haircuts_ppm,
            vec![vec![30_000, 45_000], vec![10_000, 12_000]]
        );
        assert_eq!(p.perp_mmr_ppm, vec![vec![10_000, 0], vec![12_500, 0]]);
        let alice = &network.accounts[0];
        assert_eq!(
            alice.book.balances,
            vec![
                vec![1_500_000_000, 20_000_000_000_000],
                vec![0, 5_000_250_000_000]
            ]
        );
        assert_eq!(
            alice.book.positions[0],
            vec![Position {
                kind: Kind::Call,
                underlying: 0,
                side: Side::Short,
                size: 2_000_000_000,
                price: 10_000_000_000_000,
                expiry: 1_767_312_000,
            }]
        );
        assert_eq!(alice.book.positions[1][0].price, 9_500_000_000_000);

        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        assert_eq!(snapshot.profile, SMALL);
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].idx, 0);
        assert!(accounts[0].chain_openings.iter().all(|o| o.present));
        assert_openings_reach_the_roots(&snapshot, &accounts);

        // The reference engine's figures, worked by hand in uusd:
        // collateral = 1.5 * 97000.5 * 0.97 + 20000 * 0.99 + 5000.25 * 0.988
        // short call mm = 2 * (75000 + 20000) ppm * 97000.5 (out of the money, bucket 0)
        // perp mm = ceil(0.75 * 97000.5 * 12500 ppm); credit = 0.75 * 2000.5 * 0.9
        let report = evaluate(&snapshot.risk_params(), &accounts[0].book, None, PPM).unwrap();
        assert_eq!(
            report.collateral,
            141_135_727_500 + 19_800_000_000 + 4_940_247_000
        );
        assert_eq!(report.venues[0].mm, 18_430_095_000);
        assert_eq!(report.venues[1].mm, 909_379_688);
        assert_eq!(report.upnl_credit, 1_350_337_500);
        assert_eq!(report.upnl_debit, 0);
        assert_eq!(report.equity, 165_875_974_500 + 1_350_337_500);
        assert_eq!(report.mm, 18_430_095_000 + 909_379_688);
        assert!(report.solvent);
    }

    #[test]
    fn builds_with_the_operating_system_rng() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let mut rng = rand_core::UnwrapErr(rand::rngs::SysRng);
        let (snapshot, accounts) = build(&network, None, &mut rng).unwrap();
        assert_openings_reach_the_roots(&snapshot, &accounts);
    }

    #[test]
    fn builds_are_random_but_reproducible_with_a_seed() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let (s1, a1) = build(&network, None, &mut rng()).unwrap();
        let (s2, a2) = build(&network, None, &mut rng()).unwrap();
        assert_eq!((s1.clone(), a1.clone()), (s2, a2));
        let (s3, a3) = build(&network, None, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_ne!(s1.chain_roots, s3.chain_roots);
        assert_ne!(a1[0].sk, a3[0].sk);
        assert_ne!(a1[0].chain_openings[0].salt, a3[0].chain_openings[0].salt);
    }

    #[test]
    fn a_forced_profile_is_used_or_refused() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let (snapshot, accounts) = build(&network, Some(LARGE), &mut rng()).unwrap();
        assert_eq!(snapshot.profile, LARGE);
        assert_eq!(accounts[0].chain_openings[0].path.len(), 24);
        assert_openings_reach_the_roots(&snapshot, &accounts);

        let example = read_network(EXAMPLE, "examples/network.json").unwrap();
        let e = build(&example, Some(SMALL), &mut rng()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "examples/network.json: chains: 3 chains do not fit profile small (at most 2)"
        );
    }

    #[test]
    fn the_bundled_example_builds_with_alice_and_bob_solvent_and_carol_not() {
        let network = read_network(EXAMPLE, "examples/network.json").unwrap();
        let p = &network.params;
        let symbols: Vec<&str> = p.assets.iter().map(|a| a.symbol.as_str()).collect();
        assert_eq!(symbols, ["BTC", "ETH", "SOL", "USDC"]);
        let chains: Vec<(u64, &str)> = p.chains.iter().map(|c| (c.id, c.name.as_str())).collect();
        assert_eq!(
            chains,
            [(1, "ethereum"), (42161, "arbitrum"), (900, "solana")]
        );
        let venues: Vec<(u64, &str)> = p.venues.iter().map(|c| (c.id, c.name.as_str())).collect();
        assert_eq!(venues, [(7, "deribit"), (9, "hyperliquid"), (11, "okx")]);
        assert_eq!(p.buckets.len(), 2);
        assert_eq!(
            (p.valid_from, p.valid_until),
            (1_767_225_600, 1_767_229_200)
        );
        let names: Vec<&str> = network.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert!(network.accounts.iter().all(|a| a
            .book
            .positions
            .iter()
            .all(|slots| slots.len() <= 4)));

        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        assert_eq!(snapshot.profile, STANDARD);
        assert_openings_reach_the_roots(&snapshot, &accounts);
        let params = snapshot.risk_params();
        let report = |i: usize| evaluate(&params, &accounts[i].book, None, PPM).unwrap();
        let (alice, bob, carol) = (report(0), report(1), report(2));

        // Alice: a mixed book that is solvent, with gains and losses on her perps, short
        // calls and a long put.
        assert!(alice.solvent, "{alice:?}");
        assert!(alice.upnl_credit > 0 && alice.upnl_debit > 0);
        let alice_book = &accounts[0].book;
        let all: Vec<&Position> = alice_book.positions.iter().flatten().collect();
        assert!(all
            .iter()
            .any(|p| p.kind == Kind::Call && p.side == Side::Short));
        assert!(all
            .iter()
            .any(|p| p.kind == Kind::Put && p.side == Side::Long));
        assert!(all.iter().any(|p| p.kind == Kind::Perp));
        // Her book is meaningfully leveraged: it covers twice its maintenance margin, not
        // three times (equity is about 2.5 x mm), so an order can visibly eat her headroom.
        let at = |level: u64| evaluate(&params, alice_book, None, level).unwrap();
        assert!(at(2 * PPM).solvent && !at(3 * PPM).solvent);
        // Bob: solvent with much headroom, even at ten times the maintenance margin.
        assert!(bob.solvent);
        assert!(
            evaluate(&params, &accounts[1].book, None, 10 * PPM)
                .unwrap()
                .solvent
        );
        // Carol: insolvent.
        assert!(!carol.solvent, "{carol:?}");
        assert!(carol.headroom < 0);
    }

    #[test]
    fn write_build_writes_every_file() {
        let network = read_network(EXAMPLE, "examples/network.json").unwrap();
        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write_build(&out, &snapshot, &accounts).unwrap();
        let text = std::fs::read_to_string(out.join("snapshot.json")).unwrap();
        assert_eq!(read_snapshot(&text, "snapshot.json").unwrap(), snapshot);
        for account in &accounts {
            let path = out.join("accounts").join(format!("{}.json", account.name));
            let text = std::fs::read_to_string(&path).unwrap();
            let read = crate::account::read_account(&text, "a.json", &snapshot).unwrap();
            assert_eq!(&read, account);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
            }
        }
    }

    #[test]
    fn orders_are_positions_without_entry() {
        let network = read_network(DESIGN_EXAMPLE, "network.json").unwrap();
        let (snapshot, _) = build(&network, None, &mut rng()).unwrap();
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
                &At::root("x", &json),
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
                &At::root("x", &json),
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

    #[test]
    fn too_many_positions_name_the_venue() {
        let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        let perp = value["accounts"][0]["positions"]["hyperliquid"][0].clone();
        value["accounts"][0]["positions"]["hyperliquid"] = Value::Array(vec![perp; 17]);
        let network = read_network(&value.to_string(), "net.json").unwrap();
        let e = build(&network, None, &mut rng()).unwrap_err();
        assert_eq!(e.field, "accounts[0].positions.hyperliquid");
        assert!(e.reason.starts_with("17 positions"), "{e}");
        let e = build(&network, Some(STANDARD), &mut rng()).unwrap_err();
        assert_eq!(e.field, "accounts[0].positions.hyperliquid");
        let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        let perp = value["accounts"][0]["positions"]["hyperliquid"][0].clone();
        value["accounts"][0]["positions"]["hyperliquid"] = Value::Array(vec![perp; 5]);
        let network = read_network(&value.to_string(), "net.json").unwrap();
        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        assert_eq!(snapshot.profile, STANDARD);
        assert_openings_reach_the_roots(&snapshot, &accounts);
    }

    #[test]
    fn an_account_with_nothing_has_zero_leaves() {
        let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
        value["accounts"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "empty"}));
        value["accounts"].as_array_mut().unwrap().push(
            json!({"name": "idle", "collateral": {"ethereum": {"BTC": "0"}},
                         "positions": {"deribit": []}}),
        );
        let network = read_network(&value.to_string(), "net.json").unwrap();
        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        assert_openings_reach_the_roots(&snapshot, &accounts);
        for account in &accounts[1..] {
            assert!(account
                .chain_openings
                .iter()
                .all(|o| !o.present && o.salt == Fp::ZERO));
            assert!(account.venue_openings.iter().all(|o| !o.present));
        }
        assert_eq!(accounts[2].idx, 2);
        // Alice's roots are the same as in a network without the empty accounts, except that
        // the salts differ; what matters is that their leaves are 0.
        assert_ne!(fp_to_hex(&snapshot.chain_roots[0]), fp_to_hex(&Fp::ZERO));
    }
}
