//! Sample networks for tests and benchmarks: a snapshot, one account's witness and the
//! statement a venue checks, built natively with `hash` (no files involved).

use zkmargin_circuits::hash::{self, Fp, MerkleTree};
use zkmargin_circuits::instance::PublicStatement;
use zkmargin_circuits::margin::{intrinsic_value, Book, Bucket, Kind, Position, Side};
use zkmargin_circuits::portfolio::{
    InstrumentKey, PortfolioRates, RiskRow, RiskTable, VolShock, SCENARIO_GRID,
};
use zkmargin_circuits::profile::{Profile, LARGE};
use zkmargin_circuits::snapshot::{Asset, Member, Snapshot};

use zkmargin_circuits::witness::{AccountWitness, LeafOpening, LineSecret};

/// Start of the sample epoch.
pub const VALID_FROM: u64 = 1_767_225_600;

/// A network fixture: the snapshot and the prover's account.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub snapshot: Snapshot,
    pub witness: AccountWitness,
    /// The prover's book over the snapshot's real chains, assets and venues.
    pub book: Book,
    pub statement: PublicStatement,
    /// The published trees (for tests that open another index).
    pub chain_trees: Vec<MerkleTree>,
    pub venue_trees: Vec<MerkleTree>,
    /// The published risk table's tree (for tests that open another row).
    pub risk_tree: MerkleTree,
}

/// Index of the prover's account in every tree.
pub const PROVER_INDEX: u64 = 3;
/// Index of the other account.
pub const OTHER_INDEX: u64 = 6;
/// The other account's secret.
pub const OTHER_SK: u64 = 0xb0b;
/// The other account's salts, on every chain and venue.
pub const OTHER_SALT: u64 = 1_099;

/// Position helper.
pub fn position(
    kind: Kind,
    underlying: usize,
    side: Side,
    size: u64,
    price: u64,
    expiry: u64,
) -> Position {
    Position {
        kind,
        underlying,
        side,
        size,
        price,
        expiry,
    }
}

/// The other account's balances on every chain (a rich account: 1000 BTC).
pub const OTHER_BALANCES: [u64; 3] = [1_000_000_000_000, 0, 0];

/// The other account's one position at every venue.
pub fn other_position() -> Position {
    position(
        Kind::Perp,
        BTC,
        Side::Long,
        1_000_000_000,
        100_000 * 100_000_000,
        0,
    )
}

const BTC: usize = 0;
const ETH: usize = 1;

/// The sample book of the prover: collateral on two chains, a perp with a gain, one with a
/// loss, a short in-the-money call and a long put.
pub fn sample_book(profile: Profile) -> Book {
    let a = |x: u64| x * 1_000_000_000; // whole units, e9
    let mut balances = vec![vec![a(2), a(10), a(50_000)], vec![0, a(1), a(10_000)]];
    balances.truncate(profile.chains);
    let positions = vec![
        vec![
            position(
                Kind::Perp,
                BTC,
                Side::Long,
                a(1) / 2,
                90_000 * 100_000_000,
                0,
            ),
            position(
                Kind::Call,
                BTC,
                Side::Short,
                a(1),
                95_000 * 100_000_000,
                VALID_FROM + 3_600,
            ),
        ],
        vec![
            position(Kind::Perp, ETH, Side::Short, a(5), 3_000 * 100_000_000, 0),
            position(
                Kind::Put,
                ETH,
                Side::Long,
                a(2),
                3_500 * 100_000_000,
                VALID_FROM + 7 * 86_400,
            ),
        ],
    ];
    let mut book = Book {
        balances,
        positions,
    };
    fill_with_option_grid(profile, &mut book);
    book
}

/// A profile with more position slots than the large one (desk: an options market maker) gets
/// the first venue filled to its last slot with a grid of small BTC and ETH options, calls and
/// puts, long and short, across strikes and both expiry buckets, so that its sample proves a
/// full venue leaf (the other profiles' samples are unchanged).
fn fill_with_option_grid(profile: Profile, book: &mut Book) {
    if profile.positions <= LARGE.positions {
        return;
    }
    let venue = &mut book.positions[0];
    let mut i = 0u64;
    while venue.len() < profile.positions {
        let (underlying, size, spot, step) = if i % 2 == 0 {
            (BTC, 10_000_000, 100_000, 2_500) // 0.01 BTC
        } else {
            (ETH, 100_000_000, 3_200, 100) // 0.1 ETH
        };
        let strike = (spot + (i / 4 % 8) * step - 4 * step) * 100_000_000;
        let kind = if i / 2 % 2 == 0 {
            Kind::Call
        } else {
            Kind::Put
        };
        let side = if i % 3 == 0 { Side::Long } else { Side::Short };
        let expiry = VALID_FROM + if i % 5 < 2 { 3_600 } else { 30 * 86_400 };
        venue.push(position(kind, underlying, side, size, strike, expiry));
        i += 1;
    }
}

/// The sample snapshot of `profile`, its roots not yet published: BTC, ETH and USDC on
/// ethereum and arbitrum (as many as the profile has), two venues, two expiry buckets.
fn sample_snapshot(profile: Profile) -> Snapshot {
    let assets = vec![
        Asset {
            symbol: "BTC".into(),
            price: 100_000 * 100_000_000,
        },
        Asset {
            symbol: "ETH".into(),
            price: 3_200 * 100_000_000,
        },
        Asset {
            symbol: "USDC".into(),
            price: 100_000_000,
        },
    ];
    let chains: Vec<Member> = [(1u64, "ethereum"), (42_161, "arbitrum")]
        .iter()
        .take(profile.chains)
        .map(|(id, name)| Member {
            id: *id,
            name: name.to_string(),
        })
        .collect();
    let venues: Vec<Member> = [(7u64, "deribit"), (9, "hyperliquid")]
        .iter()
        .map(|(id, name)| Member {
            id: *id,
            name: name.to_string(),
        })
        .collect();
    Snapshot {
        profile,
        epoch: 4812,
        valid_from: VALID_FROM,
        valid_until: VALID_FROM + 3_600,
        assets,
        haircuts_ppm: vec![
            vec![30_000, 45_000],
            vec![40_000, 50_000],
            vec![10_000, 12_000],
        ]
        .into_iter()
        .map(|mut r: Vec<u64>| {
            r.truncate(chains.len());
            r
        })
        .collect(),
        chains,
        venues,
        perp_mmr_ppm: vec![vec![10_000, 15_000, 0], vec![12_500, 20_000, 0]],
        option_rate_ppm: vec![75_000, 90_000, 0],
        buckets: vec![
            Bucket {
                max_seconds: 86_400,
                tau_ppm: vec![20_000, 25_000, 0],
            },
            Bucket {
                max_seconds: 31_536_000,
                tau_ppm: vec![120_000, 150_000, 0],
            },
        ],
        upnl_haircut_ppm: 100_000,
        chain_roots: vec![],
        venue_roots: vec![],
        // BTC: 10% scan range, 0.5% short-option minimum, 0.1% contingency; ETH: 12%, 0.6%,
        // 0.15%; USDC: nothing.
        portfolio: vec![
            PortfolioRates {
                scan_ppm: 100_000,
                som_ppm: 5_000,
                contingency_ppm: 1_000,
            },
            PortfolioRates {
                scan_ppm: 120_000,
                som_ppm: 6_000,
                contingency_ppm: 1_500,
            },
            PortfolioRates::default(),
        ],
        risk_table: RiskTable::default(),
        risk_root: Fp::zero(),
    }
}

/// pUSD per e8: a price in e8 times 1e4 is in pUSD.
const PUSD_PER_E8: i128 = 10_000;

/// A risk-table row for tests, in integers: a perpetual's vector is DESIGN.md's exact
/// `cover P n r / 3e8` (rounded half away from zero); an option is valued at its intrinsic
/// value plus a time value of 2% of the spot (3% with the vol up, 1% down), at the spot moved
/// by `n` thirds of the scan range (floored at 0). Not Black-76 (that is the publisher's,
/// `zkmargin_prover`): what the circuit is tested against is a table, whatever its model.
///
/// An underlying past the snapshot's assets (a padding asset, which no honest table lists) is
/// valued at price 0: the row a colluding publisher would add for it.
pub fn sample_row(snapshot: &Snapshot, key: InstrumentKey) -> RiskRow {
    let asset = snapshot.assets.get(key.underlying);
    let price = asset.map_or(0, |a| a.price as i128);
    let scan = snapshot
        .portfolio
        .get(key.underlying)
        .map_or(0, |r| r.scan_ppm as i128);
    let moved = |thirds: i64| (price * (3_000_000 + thirds as i128 * scan) / 3_000_000).max(0);
    let value = |spot: i128, vol: VolShock| -> i128 {
        let time = match vol {
            VolShock::Up => spot * 3 / 100,
            VolShock::Down => spot / 100,
            VolShock::Unchanged => spot * 2 / 100,
        };
        intrinsic_value(key.kind, spot as u64, key.strike) as i128 + time
    };
    let mark = match key.kind {
        Kind::Perp => 0,
        _ => value(price, VolShock::Unchanged),
    };
    let vector = SCENARIO_GRID.map(|s| {
        let cover = s.cover_ppm as i128;
        let pusd = match key.kind {
            Kind::Perp => {
                // cover P n r / 3e8, half away from zero.
                let n = cover * price * s.thirds as i128 * scan;
                let d = 300_000_000i128;
                (n.abs() + d / 2) / d * n.signum()
            }
            _ => (value(moved(s.thirds), s.vol) - mark) * PUSD_PER_E8 * cover / 1_000_000,
        };
        pusd as i64
    });
    RiskRow {
        key,
        mark: (mark * PUSD_PER_E8) as u64,
        vector,
    }
}

/// The sample table: a row for every instrument of `positions` and every asset's perpetual,
/// in key order, and its root at the profile's risk depth.
pub fn sample_table<'p>(
    snapshot: &Snapshot,
    positions: impl Iterator<Item = &'p Position>,
) -> (RiskTable, MerkleTree) {
    let mut keys: Vec<InstrumentKey> = positions.filter_map(InstrumentKey::of).collect();
    keys.extend((0..snapshot.assets.len()).map(InstrumentKey::perp));
    keys.sort();
    keys.dedup();
    let table = RiskTable {
        rows: keys.into_iter().map(|k| sample_row(snapshot, k)).collect(),
    };
    let tree = hash::risk_tree(&table, snapshot.profile.risk_depth);
    (table, tree)
}

/// Builds a two-account network in `profile` around `book` and returns the prover's side.
/// The prover is account 3; another account sits at 6 so the trees are not trivial.
/// The certificate grants `lines[v]` uusd to venue `v` (missing lines are zero), each with its
/// own salt.
pub fn fixture_with(profile: Profile, book: Book, level_ppm: u64, lines: &[u128]) -> Fixture {
    fixture_in(profile, book, level_ppm, lines, |_| {})
}

/// [`fixture_with`] in a snapshot that `edit` changes first: its prices, its portfolio rates,
/// and its risk table (left empty, the sample table of [`listed_instruments`] is built after
/// the edit; a table set by `edit` must list them).
pub fn fixture_in(
    profile: Profile,
    book: Book,
    level_ppm: u64,
    lines: &[u128],
    edit: impl FnOnce(&mut Snapshot),
) -> Fixture {
    let idx = PROVER_INDEX;
    let sk = Fp::from(0x5eed_u64);
    let other_sk = Fp::from(OTHER_SK);
    let mut snapshot = sample_snapshot(profile);
    edit(&mut snapshot);
    let salt = |i: u64| Fp::from(1_000 + i);
    let key = hash::account_key(sk);
    let other_key = hash::account_key(other_sk);
    let pad_amounts = |row: &[u64]| {
        let mut row = row.to_vec();
        row.resize(profile.assets, 0);
        row
    };
    let pad_slots = |slots: &[Position]| {
        let mut slots = slots.to_vec();
        slots.resize(profile.positions, Position::EMPTY);
        slots
    };
    let mut chain_openings = vec![];
    let mut chain_trees = vec![];
    let mut venue_trees = vec![];
    for (c, chain) in snapshot.chains.clone().iter().enumerate() {
        let amounts = book.balances.get(c).cloned().unwrap_or_default();
        let present = amounts.iter().any(|&x| x != 0);
        let leaf = if present {
            hash::collateral_leaf(key, chain.id, &pad_amounts(&amounts), salt(c as u64))
        } else {
            Fp::zero()
        };
        let other = hash::collateral_leaf(
            other_key,
            chain.id,
            &pad_amounts(&OTHER_BALANCES),
            Fp::from(OTHER_SALT),
        );
        let tree = MerkleTree::new(profile.depth, &[(idx, leaf), (OTHER_INDEX, other)]);
        snapshot.chain_roots.push(tree.root());
        chain_openings.push(LeafOpening {
            present,
            salt: salt(c as u64),
            path: tree.path(idx),
        });
        chain_trees.push(tree);
    }
    let mut venue_openings = vec![];
    for (v, venue) in snapshot.venues.clone().iter().enumerate() {
        let slots = book.positions.get(v).cloned().unwrap_or_default();
        let present = slots.iter().any(|s| s.kind != Kind::Empty);
        let leaf = if present {
            hash::position_leaf(key, venue.id, &pad_slots(&slots), salt(10 + v as u64))
        } else {
            Fp::zero()
        };
        let other_slots = pad_slots(&[other_position()]);
        let other = hash::position_leaf(other_key, venue.id, &other_slots, Fp::from(OTHER_SALT));
        let tree = MerkleTree::new(profile.depth, &[(idx, leaf), (OTHER_INDEX, other)]);
        snapshot.venue_roots.push(tree.root());
        venue_openings.push(LeafOpening {
            present,
            salt: salt(10 + v as u64),
            path: tree.path(idx),
        });
        venue_trees.push(tree);
    }
    let secrets: Vec<LineSecret> = (0..snapshot.venues.len())
        .map(|v| LineSecret {
            allowance: lines.get(v).copied().unwrap_or(0),
            salt: Fp::from(LINE_SALT + v as u64),
        })
        .collect();
    // The sample table, unless `edit` published one of its own.
    if snapshot.risk_table.rows.is_empty() {
        snapshot.risk_table = sample_table(&snapshot, listed_instruments(&book).iter()).0;
    }
    let risk_tree = hash::risk_tree(&snapshot.risk_table, profile.risk_depth);
    snapshot.risk_root = risk_tree.root();
    let witness = AccountWitness::padded(profile, sk, idx, &book, &chain_openings, &venue_openings)
        .with_lines(&secrets)
        .with_risk_openings(&snapshot.risk_table, &risk_tree)
        .expect("the sample table lists every instrument of the book");
    let statement = PublicStatement::certifying(&snapshot, &witness, level_ppm);
    Fixture {
        snapshot,
        witness,
        book,
        statement,
        chain_trees,
        venue_trees,
        risk_tree,
    }
}

/// The instruments the sample table lists for `book`: the book's, the other account's
/// perpetual and [`listed_neighbours`] (and every asset's perpetual, `sample_table` adds).
pub fn listed_instruments(book: &Book) -> Vec<Position> {
    let mut listed: Vec<Position> = book.positions.iter().flatten().copied().collect();
    listed.push(other_position());
    listed.extend(listed_neighbours());
    listed
}

/// Instruments the sample table lists beside the book's (a venue lists more than any one
/// trader holds): the sample's short BTC call (strike 95,000, one hour) at another strike
/// (100,000, out of the money: a lower mark), at another expiry (30 days), and as a put (out
/// of the money too). The dishonest-prover corpus opens their rows in the call's slot.
pub fn listed_neighbours() -> [Position; 3] {
    let call = position(
        Kind::Call,
        BTC,
        Side::Short,
        1_000_000_000,
        95_000 * 100_000_000,
        VALID_FROM + 3_600,
    );
    [
        Position {
            price: 100_000 * 100_000_000,
            ..call
        },
        Position {
            expiry: VALID_FROM + 30 * 86_400,
            ..call
        },
        Position {
            kind: Kind::Put,
            ..call
        },
    ]
}

/// The sample lines: 100 USD at venue 0, 50 USD at venue 1 (uusd).
pub const SAMPLE_LINES: [u128; 2] = [100_000_000, 50_000_000];

/// The salt of venue `v`'s line is `LINE_SALT + v`.
pub const LINE_SALT: u64 = 2_000;

/// The sample network at level 1 with the sample lines.
pub fn fixture(profile: Profile) -> Fixture {
    fixture_with(profile, sample_book(profile), 1_000_000, &SAMPLE_LINES)
}
