//! `zkmargin network build`: a whole network built on one machine.
//!
//! [`build`] turns a network file (`zkmargin_formats::network`) into the public snapshot and
//! one private account file per account: it draws each account's secret key and leaf salts,
//! builds every chain's and venue's Merkle tree and publishes their roots.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use ff::Field;
use rand_core::CryptoRng;
use zkmargin_circuits::hash::{account_key, Fp};
use zkmargin_circuits::profile::{self, Profile};
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_formats::account::{write_account_file, Account};
use zkmargin_formats::epoch::Epoch;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::network::Network;
use zkmargin_formats::opening::OpeningFile;
use zkmargin_formats::portfolio::{check_table_fits, PortfolioModel};
use zkmargin_formats::registry::Registry;
use zkmargin_formats::root::RootFile;
use zkmargin_formats::snapshot::{write_signed_snapshot, SnapshotSignature};
use zkmargin_formats::tree::{Holding, TreeKind};
use zkmargin_formats::write;

use crate::parties::{assemble, build_tree, publish};
use crate::risk_table::{table_rows, with_held};

/// The portfolio inputs `network build` publishes: the network's, with every option an
/// account holds listed (`risk_table::with_held`).
pub fn listed_portfolio(network: &Network) -> PortfolioModel {
    let held = network
        .accounts
        .iter()
        .flat_map(|a| a.book.positions.iter().flatten());
    with_held(&network.portfolio, held)
}

/// Whether the whole network fits `profile`; the error names the field that is too big.
fn check_network_fits(network: &Network, profile: &Profile) -> Result<(), InputError> {
    network.params.check_fits(profile, &network.file)?;
    check_table_fits(
        table_rows(&listed_portfolio(network), &network.params),
        profile,
        &network.file,
    )?;
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
/// it), else the first of `profile::ALL` that fits (as `Profile::smallest_fitting`, also
/// counting accounts): small, standard, large, then desk for more than 16 positions at a venue.
pub fn choose_profile(network: &Network, forced: Option<Profile>) -> Result<Profile, InputError> {
    if let Some(profile) = forced {
        check_network_fits(network, &profile)?;
        return Ok(profile);
    }
    let mut refusals = vec![];
    for profile in profile::ALL {
        match check_network_fits(network, &profile) {
            Ok(()) => return Ok(profile),
            Err(e) => refusals.push(e),
        }
    }
    // No profile fits: name the field the last (roomiest) profile refused, and say why each
    // profile refused, so that one line tells which dimension to cut.
    let Some(last) = refusals.last() else {
        return Err(InputError::new(
            &network.file,
            "(top level)",
            "no profile is defined",
        ));
    };
    let reasons: Vec<String> = refusals
        .iter()
        .map(|e| {
            if e.field == last.field {
                e.reason.clone()
            } else {
                format!("{} ({})", e.reason, e.field)
            }
        })
        .collect();
    Err(InputError::new(
        &network.file,
        last.field.clone(),
        format!("fits no profile: {}", reasons.join("; ")),
    ))
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
/// 3. the publisher publishes the epoch with their roots and the risk table of every listed
///    and held instrument (`parties::publish`, [`listed_portfolio`]);
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
        portfolio: listed_portfolio(network),
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
    let snapshot = publish(&epoch, file, &roots)?;

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
    write::create_dir_all(dir, None)?;
    let account_dir = dir.join("accounts");
    write::create_dir_all(&account_dir, Some(0o700))?;
    for account in accounts {
        write_account_file(
            &account_dir.join(format!("{}.json", account.name)),
            account,
            snapshot,
        )?;
    }
    write::write_atomic(
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
    use zkmargin_circuits::margin::{Kind, Position, Side};
    use zkmargin_circuits::profile::{DESK, LARGE, SMALL, STANDARD};
    use zkmargin_circuits::units::PPM;
    use zkmargin_formats::network::read_network;
    use zkmargin_formats::snapshot::read_snapshot;

    /// The minimal example of DESIGN.md, verbatim.
    pub(crate) const DESIGN_EXAMPLE: &str = include_str!("../../examples/design.network.json");

    pub(crate) const EXAMPLE: &str = include_str!("../../examples/network.json");

    /// The market maker's book of the desk profile.
    const DESK_EXAMPLE: &str = include_str!("../../examples/desk.network.json");

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
        // standard (version 2) margin: short call 2 * (75000 + 20000) ppm * 97000.5 (out of
        // the money, bucket 0); perp ceil(0.75 * 97000.5 * 12500 ppm); credit 0.75 * 2000.5 * 0.9
        let report = evaluate(&snapshot.risk_params(), &accounts[0].book, None, PPM).unwrap();
        assert_eq!(
            report.collateral,
            141_135_727_500 + 19_800_000_000 + 4_940_247_000
        );
        assert_eq!(report.venues[0].mm, 18_430_095_000);
        assert_eq!(report.venues[1].mm, 909_379_688);
        assert_eq!(report.standard_mm, 18_430_095_000 + 909_379_688);
        assert_eq!(report.upnl_credit, 1_350_337_500);
        assert_eq!(report.upnl_debit, 0);
        // The short calls' mark in equity: Black-76 at 97000.5, strike 100000, a day, 55%:
        // 211.3103895 USD a call (Python's math.erfc, the same formula), so the liability is
        // ceil(2 x 211.3103895...) = 422.620780 USD.
        assert_eq!(report.option_liability, 422_620_780);
        assert_eq!(report.equity, 165_875_974_500 + 1_350_337_500 - 422_620_780);
        // The portfolio margin: the short-option minimum 0.5% x 2 x 97000.5 = 970.005 USD,
        // the contingency 0.1% x 0.75 x 97000.5 = 72.750375 USD, and the scan of the worst
        // scenario, which nets the perpetual against the calls across the two venues.
        let btc = &report.portfolio[0];
        assert_eq!((btc.som, btc.contingency), (970_005_000, 72_750_375));
        assert!(btc.scan > btc.som);
        assert_eq!(report.mm, btc.scan + btc.contingency);
        assert!(report.mm < report.standard_mm);
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
    fn the_desk_example_is_a_solvent_book_of_256_positions_in_the_desk_profile() {
        let network = read_network(DESK_EXAMPLE, "examples/desk.network.json").unwrap();
        let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
        assert_eq!(snapshot.profile, DESK);
        assert_openings_reach_the_roots(&snapshot, &accounts);
        let desk = &accounts[0];
        let per_venue: Vec<usize> = desk.book.positions.iter().map(Vec::len).collect();
        assert_eq!(per_venue, [64; 4]);
        let options = desk
            .book
            .positions
            .iter()
            .flatten()
            .filter(|p| matches!(p.kind, Kind::Call | Kind::Put))
            .count();
        assert_eq!(options, 250, "a handful of perps, the rest options");
        for account in &accounts {
            let report = evaluate(&snapshot.risk_params(), &account.book, None, PPM).unwrap();
            // Headroom of at least a quarter of the requirement.
            assert!(
                report.solvent && report.headroom * 4 > report.requirement as i128,
                "{}: {report:?}",
                account.name
            );
        }
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
        // Her book is meaningfully leveraged: it covers four times its portfolio margin, not
        // five (equity is about 4.1 x mm), so an order can visibly eat her headroom.
        let at = |level: u64| evaluate(&params, alice_book, None, level).unwrap();
        assert!(at(4 * PPM).solvent && !at(5 * PPM).solvent);
        // Netting her hedges across venues frees a third of version 2's margin.
        assert!(alice.mm * 10 < alice.standard_mm * 7, "{alice:?}");
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
            let read = zkmargin_formats::account::read_account(&text, "a.json", &snapshot).unwrap();
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
    fn too_many_positions_name_the_venue() {
        let with_perps = |count: usize| {
            let mut value: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
            let perp = value["accounts"][0]["positions"]["hyperliquid"][0].clone();
            value["accounts"][0]["positions"]["hyperliquid"] = Value::Array(vec![perp; count]);
            value
        };
        // More than large's 16 positions at one venue, at most desk's 64: desk, by itself.
        for count in [17, 64] {
            let network = read_network(&with_perps(count).to_string(), "net.json").unwrap();
            let (snapshot, accounts) = build(&network, None, &mut rng()).unwrap();
            assert_eq!(snapshot.profile, DESK, "{count} positions");
            assert_openings_reach_the_roots(&snapshot, &accounts);
        }
        let network = read_network(&with_perps(65).to_string(), "net.json").unwrap();
        let e = build(&network, None, &mut rng()).unwrap_err();
        assert_eq!(e.field, "accounts[0].positions.hyperliquid");
        assert_eq!(
            e.reason,
            "fits no profile: 65 positions at one venue do not fit profile small (at most 4); \
             65 positions at one venue do not fit profile standard (at most 8); \
             65 positions at one venue do not fit profile large (at most 16); \
             65 positions at one venue do not fit profile desk (at most 64)"
        );
        let network = read_network(&with_perps(17).to_string(), "net.json").unwrap();
        let e = build(&network, Some(STANDARD), &mut rng()).unwrap_err();
        assert_eq!(e.field, "accounts[0].positions.hyperliquid");
        assert!(e.reason.starts_with("17 positions"), "{e}");
        // 17 positions and 5 chains: large holds the chains, desk the positions, none both; the
        // line names the field desk refuses and every profile's reason.
        let mut value = with_perps(17);
        let chains: Vec<Value> = (0..5)
            .map(|i| json!({"id": 100 + i, "name": format!("chain{i}")}))
            .collect();
        value["chains"] = Value::Array(chains);
        for asset in ["BTC", "USDC"] {
            value["haircuts_ppm"][asset] = (0..5)
                .map(|i| (format!("chain{i}"), json!(10_000)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        value["accounts"][0]["collateral"] = json!({"chain4": {"USDC": "1000000"}});
        let network = read_network(&value.to_string(), "net.json").unwrap();
        let e = build(&network, None, &mut rng()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "net.json: chains: fits no profile: 5 chains do not fit profile small (at most 2); \
             5 chains do not fit profile standard (at most 4); 17 positions at one venue do not \
             fit profile large (at most 16) (accounts[0].positions.hyperliquid); 5 chains do not \
             fit profile desk (at most 4)"
        );
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
