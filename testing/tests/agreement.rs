//! Property: on random books, the circuit accepts exactly when the reference engine says the
//! book is solvent (MockProver, small profile).

use halo2_proofs::dev::MockProver;
use proptest::prelude::*;
use zkmargin_circuits::circuit::MarginCircuit;
use zkmargin_circuits::margin::{self, Book, Kind, Order, Position, Side};
use zkmargin_circuits::profile::SMALL;
use zkmargin_testing::fixtures::{fixture_with, position, VALID_FROM};

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn circuit_accepts_exactly_the_solvent_books(
        book in any_book(),
        level in 1_000_000u64..3_000_000,
        order in any_position(),
    ) {
        let order = if order.kind == Kind::Empty { None } else { Some(order) };
        let f = fixture_with(SMALL, book, level, order);
        let order = (f.statement.order != Position::EMPTY).then_some(Order { venue: 0, position: f.statement.order });
        let report = margin::evaluate(&f.statement.params, &f.witness.book(), order.as_ref(), level).unwrap();
        let circuit = MarginCircuit::new(f.statement.clone(), f.witness.clone());
        let accepted = MockProver::run(SMALL.k, &circuit, vec![f.statement.to_instance()])
            .unwrap()
            .verify()
            .is_ok();
        prop_assert_eq!(accepted, report.solvent, "headroom {}", report.headroom);
    }
}
