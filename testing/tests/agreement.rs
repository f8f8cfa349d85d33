//! Property: on random books, random risk tables, levels and credit lines, the circuit accepts
//! exactly when the reference engine says the lines fit the book's headroom
//! (`margin::lines_fit`; MockProver, small profile).
//!
//! The tables: the sample table of the book's instruments (its own option model), then, per
//! case, random portfolio rates (scan range, short-option minimum, contingency) and every row's
//! mark and scenario values redrawn from a seed: ordinary sizes, or the largest the table
//! allows (`|v| < 2^62`, `mark < 2^62`), so that the scenario sums and the maximum reach their
//! bounds.

use halo2_proofs::dev::MockProver;
use proptest::prelude::*;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::margin::{self, Book, Kind, Position, Side};
use zkmargin_circuits::portfolio::{PortfolioRates, MARK_BITS, VECTOR_BITS};
use zkmargin_circuits::profile::SMALL;
use zkmargin_circuits::snapshot::Snapshot;
use zkmargin_testing::fixtures::{
    fixture_in, listed_instruments, position, sample_table, Fixture, VALID_FROM,
};

const PRICES: [u64; 3] = [100_000 * 100_000_000, 3_200 * 100_000_000, 100_000_000];

fn any_position() -> impl Strategy<Value = Position> {
    (
        0usize..4,
        0usize..3,
        any::<bool>(),
        1u64..5_000_000_000,
        50u64..150,
        0u64..3,
    )
        .prop_map(|(kind, asset, short, size, pct, expiry)| {
            let kind = [Kind::Empty, Kind::Perp, Kind::Call, Kind::Put][kind];
            if kind == Kind::Empty {
                return Position::EMPTY;
            }
            let side = if short { Side::Short } else { Side::Long };
            let price = PRICES[asset] / 100 * pct;
            let expiry = match kind {
                Kind::Perp => 0,
                _ => VALID_FROM + [0, 3_600, 30 * 86_400][expiry as usize],
            };
            position(kind, asset, side, size, price, expiry)
        })
}

fn any_book() -> impl Strategy<Value = Book> {
    (
        prop::collection::vec(prop::collection::vec(0u64..1_000_000_000, 3), 2),
        prop::collection::vec(prop::collection::vec(any_position(), 0..4), 2),
        0u32..4,
    )
        .prop_map(|(mut balances, positions, scale)| {
            // Scale the balances from next to nothing to plenty so both verdicts occur.
            for x in balances.iter_mut().flatten() {
                *x = *x * 10u64.pow(scale) / 1_000;
            }
            Book {
                balances,
                positions,
            }
        })
}

/// How the lines are drawn against the headroom `h` (0 for an insolvent book).
#[derive(Clone, Copy, Debug)]
enum Lines {
    /// `total` uusd in all, split between the two venues by `share` (ppm to venue 0).
    Total(Total),
    /// A line of 2^100 at venue 0 (never certified, whatever the book).
    TooLarge,
}

#[derive(Clone, Copy, Debug)]
enum Total {
    None,
    Headroom,
    HeadroomPlusOne,
    HeadroomMinusOne,
    /// `pct` percent of the headroom (0..=110).
    Percent(u64),
}

fn any_lines() -> impl Strategy<Value = (Lines, u64)> {
    let total = prop_oneof![
        Just(Total::None),
        Just(Total::Headroom),
        Just(Total::HeadroomPlusOne),
        Just(Total::HeadroomMinusOne),
        (0u64..=110).prop_map(Total::Percent),
    ];
    let lines = prop_oneof![9 => total.prop_map(Lines::Total), 1 => Just(Lines::TooLarge)];
    (lines, 0u64..=1_000_000)
}

/// How a case's risk table is drawn.
#[derive(Clone, Copy, Debug)]
enum Table {
    /// The sample table as it is.
    Sample,
    /// Every mark and scenario value redrawn from `seed`, within `2^bits` (`bits` up to the
    /// table's bounds).
    Redrawn { seed: u64, bits: u32 },
}

fn any_table() -> impl Strategy<Value = (Table, [PortfolioRates; 3])> {
    let table = prop_oneof![
        2 => Just(Table::Sample),
        3 => (any::<u64>(), 40u32..=56).prop_map(|(seed, bits)| Table::Redrawn { seed, bits }),
        1 => any::<u64>().prop_map(|seed| Table::Redrawn { seed, bits: VECTOR_BITS }),
    ];
    let rates = (10_000u64..=300_000, 0u64..=50_000, 0u64..=10_000).prop_map(
        |(scan_ppm, som_ppm, contingency_ppm)| PortfolioRates {
            scan_ppm,
            som_ppm,
            contingency_ppm,
        },
    );
    (table, [rates.clone(), rates.clone(), rates])
}

/// splitmix64: the redrawn table's numbers.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The published table of `book`'s case: the sample one at `rates`, redrawn if asked. Marks
/// stay below `2^62` and scenario values within `+-(2^62 - 1)`; perpetuals keep a mark of 0.
fn publish(snapshot: &mut Snapshot, book: &Book, table: Table, rates: &[PortfolioRates; 3]) {
    snapshot.portfolio[..3].copy_from_slice(rates);
    let (mut published, _) = sample_table(snapshot, listed_instruments(book).iter());
    if let Table::Redrawn { seed, bits } = table {
        let mut state = seed;
        let below = |state: &mut u64, bits: u32| next(state) >> (64 - bits);
        for row in &mut published.rows {
            if row.key.kind != Kind::Perp {
                row.mark = below(&mut state, bits.min(MARK_BITS));
            }
            for v in &mut row.vector {
                let magnitude = below(&mut state, bits).min((1 << VECTOR_BITS) - 1) as i64;
                *v = if next(&mut state) & 1 == 0 {
                    magnitude
                } else {
                    -magnitude
                };
            }
        }
    }
    snapshot.risk_table = published;
}

fn case(
    book: &Book,
    table: Table,
    rates: &[PortfolioRates; 3],
    level: u64,
    lines: &[u128],
) -> Fixture {
    fixture_in(SMALL, book.clone(), level, lines, |snapshot| {
        publish(snapshot, book, table, rates)
    })
}

fn allowances(lines: Lines, share: u64, headroom: i128) -> Vec<u128> {
    let h = headroom.max(0) as u128;
    let total = match lines {
        Lines::TooLarge => return vec![1 << 100, 0],
        Lines::Total(Total::None) => 0,
        Lines::Total(Total::Headroom) => h,
        Lines::Total(Total::HeadroomPlusOne) => h + 1,
        Lines::Total(Total::HeadroomMinusOne) => h.saturating_sub(1),
        Lines::Total(Total::Percent(pct)) => h * pct as u128 / 100,
    };
    let first = total * share as u128 / 1_000_000;
    vec![first, total - first]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn circuit_accepts_exactly_the_lines_that_fit(
        book in any_book(),
        (table, rates) in any_table(),
        level in 1_000_000u64..3_000_000,
        (lines, share) in any_lines(),
    ) {
        let bare = case(&book, table, &rates, level, &[]);
        let report = margin::evaluate(&bare.statement.params, &bare.witness.book(), None, level).unwrap();
        let allowances = allowances(lines, share, report.headroom);
        let f = case(&book, table, &rates, level, &allowances);
        let fits = margin::lines_fit(&report, &allowances);
        let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        let accepted = MockProver::run(SMALL.k, &circuit, vec![f.statement.to_instance()])
            .unwrap()
            .verify()
            .is_ok();
        prop_assert_eq!(
            accepted,
            fits.is_ok(),
            "headroom {}, lines {:?}: {:?}",
            report.headroom,
            allowances,
            fits
        );
    }
}
