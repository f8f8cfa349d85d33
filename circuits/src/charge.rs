//! The charge of one order against a credit line: DESIGN.md's "Units" and "Portfolio margin",
//! in plain integers.
//!
//! A venue that took a margin certificate spends the trader's credit line order by order,
//! without a new proof. Each order costs the portfolio margin of the order alone at the
//! certificate's level, plus the cash the trader pays at the fill:
//!
//! ```text
//! charge = ceil(mm_order * level / 1e6) + cash_out
//! mm_order: the portfolio margin of a book holding the order alone, entered at the snapshot
//!           price: max(scan, som) + contingency on its underlying (`margin::portfolio_margin`)
//! cash_out, perp:         ceil(max(0, q * (fill - P)) / 1e11)        a buy above P, a sell below P
//! cash_out, long option:  ceil(q * fill / 1e11)                       the premium paid
//! cash_out, short option: ceil(|q| * max(0, mark - 1e4 fill) / 1e15) the mark's liability beyond
//!                                                                     the premium received
//! ```
//!
//! An order on an instrument the risk table does not list is refused.
//!
//! ## Why charging the order alone never charges less than it adds to the book
//!
//! Let `B` be the certified book and `O` the order. Scenario sums add: `T[a][s](B + O) =
//! T[a][s](B) + T[a][s](O)`, and a maximum of sums is at most the sum of the maxima:
//! `max(0, max_s (x_s + y_s)) <= max(0, max_s x_s) + max(0, max_s y_s)`; a ceiling of a sum is
//! at most the sum of the ceilings, so `scan(B + O) <= scan(B) + scan(O)`. The short-option
//! minimum and the contingency are ceilings of a rate times a sum of sizes, so they add the same
//! way, and `max(a + b, c + d) <= max(a, c) + max(b, d)`. Hence `mm(B + O) <= mm(B) + mm(O)`
//! underlying by underlying, and `ceil(L (m + n) / 1e6) <= ceil(L m / 1e6) + ceil(L n / 1e6)`.
//! On the equity side, a perpetual filled at `fill` holds `q (P - fill)` of profit at the
//! snapshot price: its loss is exactly the perpetual's `cash_out`, a gain is not counted; a long
//! option's premium leaves the collateral and its value is not credited; a short option adds
//! its mark as a liability and its premium to the collateral, the difference is its `cash_out`.
//! So `headroom(B + O) >= headroom(B) - charge(O)`: orders whose charges fit a line that the
//! certificate covered keep the whole book covered, at the level certified.
//!
//! Every term is rounded against the trader (ceiled). The margin comes from the engine
//! (`margin::portfolio_margin`), so a charge and a margin report can never disagree about the
//! same position.
//!
//! Bounds: `|q| < 2^64` and `fill, P < 2^48`, so `|q| * |fill - P|` and `q * fill` are below
//! `2^112`, `|q| * mark < 2^126`: all fit a `u128`; `mm_order < 2^100` times `level <= 1e7 <
//! 2^24` is below `2^124`; the sum of the two terms stays below `2^125`.

use crate::margin::{
    ceil_div, checked_level, checked_price, order_position, portfolio_margin, requirement, Kind,
    MarginError, Order, RiskParams, Side,
};
use crate::portfolio::{row_of, SCAN_DIVISOR};
use crate::units::PNL_DIVISOR;

/// The parts of one order's charge, uusd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The portfolio margin of the order alone, entered at the snapshot price.
    pub mm: u128,
    /// `ceil(mm * level / 1e6)`.
    pub margin: u128,
    /// Cash the trader pays at the fill (for a short option, the mark beyond the premium).
    pub cash_out: u128,
    /// `margin + cash_out`: what the order takes from the line.
    pub total: u128,
}

/// The fill an order is charged at when the venue names none, the one that charges most: the
/// snapshot price for a perpetual (no cash out) and for a long call (a call is never worth
/// more than its underlying), the strike for a long put (a put is never worth more than its
/// strike), and 0 for a short option (no premium received, so its whole mark is charged).
pub fn default_fill(params: &RiskParams, order: &Order) -> Result<u64, MarginError> {
    let position = &order.position;
    let price = *params
        .prices
        .get(position.underlying)
        .ok_or(MarginError::UnknownAsset(position.underlying))?;
    Ok(match (position.kind, position.side) {
        (Kind::Call | Kind::Put, Side::Short) => 0,
        (Kind::Put, Side::Long) => position.price,
        _ => price,
    })
}

/// The charge of `order` filled at `fill` (e8; the premium per unit for an option) under the
/// snapshot's parameters, at the certificate's `level_ppm`.
///
/// Refuses what the engine refuses (an unknown asset, an instrument the risk table does not
/// list, a value out of bounds), a level outside `[1e6, 1e7]`, a fill `>= 2^48` and an empty
/// order.
pub fn order_charge(
    params: &RiskParams,
    order: &Order,
    fill: u64,
    level_ppm: u64,
) -> Result<Charge, MarginError> {
    checked_level(level_ppm)?;
    checked_price("fill", fill)?;
    let position = order_position(params, order)?;
    if position.kind == Kind::Empty {
        return Err(MarginError::DirtyEmptySlot);
    }
    let row = row_of(&params.risk_table, &position)?.ok_or(MarginError::DirtyEmptySlot)?;
    let mm = portfolio_margin(params, [&position])?
        .iter()
        .map(|m| m.mm)
        .sum();
    let size = position.size as u128;
    let cash_out = match (position.kind, position.side) {
        (Kind::Perp, side) => {
            // Entered at P (`order_position`): the trader pays the distance to the fill when
            // buying above P or selling below it.
            let price = position.price;
            let pays = match side {
                Side::Long => fill > price,
                Side::Short => fill < price,
            };
            if pays {
                ceil_div(size * fill.abs_diff(price) as u128, PNL_DIVISOR)
            } else {
                0
            }
        }
        (_, Side::Long) => ceil_div(size * fill as u128, PNL_DIVISOR),
        (_, Side::Short) => {
            // The premium in pUSD per unit: fill (e8) x 1e4; the mark beyond it is owed.
            let beyond = (row.mark as u128).saturating_sub(fill as u128 * 10_000);
            ceil_div(size * beyond, SCAN_DIVISOR)
        }
    };
    let margin = requirement(mm, level_ppm);
    Ok(Charge {
        mm,
        margin,
        cash_out,
        total: margin + cash_out,
    })
}

/// The charge of `order` filled at its [`default_fill`]: the line a one-order certificate
/// grants (`zkmargin prove`) and what a venue checks the order against (`verify --order`), so
/// the two cannot disagree.
pub fn default_order_charge(
    params: &RiskParams,
    order: &Order,
    level_ppm: u64,
) -> Result<Charge, MarginError> {
    let fill = default_fill(params, order)?;
    order_charge(params, order, fill, level_ppm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::margin::{Book, Bucket, Position};
    // The BTC perpetual's and the call's vectors (strike 100000; mark 1200 USD), USD a unit.
    use crate::margin::tests::{CALL_VECTOR, PERP_VECTOR, PUSD};
    use crate::portfolio::{InstrumentKey, PortfolioRates, RiskRow, RiskTable};
    use proptest::prelude::*;

    const E8: u64 = 100_000_000;
    const E9: u64 = 1_000_000_000;
    const EXPIRY: u64 = 1_767_312_000;
    const STRIKE: u64 = 10_000_000_000_000;

    /// BTC at 97000.5, USDC at 1; one venue with a 1% BTC perp rate; an option rate of 7.5%
    /// and one bucket of a year with tau 12% (the standard rules'); BTC's som 0.5% and
    /// contingency 0.1%; the table lists the BTC perpetual and one call.
    fn params() -> RiskParams {
        RiskParams {
            prices: vec![9_700_050_000_000, E8],
            haircuts_ppm: vec![vec![30_000], vec![10_000]],
            perp_mmr_ppm: vec![vec![10_000, 0]],
            option_rate_ppm: vec![75_000, 0],
            buckets: vec![Bucket {
                max_seconds: 31_536_000,
                tau_ppm: vec![120_000, 0],
            }],
            upnl_haircut_ppm: 100_000,
            valid_from: 1_767_225_600,
            portfolio: vec![
                PortfolioRates {
                    scan_ppm: 92_800,
                    som_ppm: 5_000,
                    contingency_ppm: 1_000,
                },
                PortfolioRates::default(),
            ],
            risk_table: RiskTable {
                rows: vec![
                    RiskRow {
                        key: InstrumentKey::perp(0),
                        mark: 0,
                        vector: PERP_VECTOR.map(|v| v * PUSD),
                    },
                    RiskRow {
                        key: InstrumentKey {
                            underlying: 0,
                            kind: Kind::Call,
                            expiry: EXPIRY,
                            strike: STRIKE,
                        },
                        mark: 1_200 * PUSD as u64,
                        vector: CALL_VECTOR.map(|v| v * PUSD),
                    },
                ],
            },
        }
    }

    fn order(kind: Kind, side: Side, size: u64, price: u64, expiry: u64) -> Order {
        Order {
            venue: 0,
            position: Position {
                kind,
                underlying: 0,
                side,
                size,
                price,
                expiry,
            },
        }
    }

    #[test]
    fn perp_bought_above_the_snapshot_price_pays_the_difference() {
        // 0.5 BTC long at 97100.5: the worst scenario is 15, 0.5 x 9450 = 4725 USD; the
        // contingency 0.1% of 0.5 x 97000.5 = 48.50025 USD: mm = 4_773_500_250 uusd; at level
        // 1.5 the margin is 7_160_250_375; cash out = ceil(0.5e9 * 100e8 / 1e11) = 50e6.
        let charge = order_charge(
            &params(),
            &order(Kind::Perp, Side::Long, E9 / 2, 0, 0),
            9_710_050_000_000,
            1_500_000,
        )
        .unwrap();
        assert_eq!(charge.mm, 4_773_500_250);
        assert_eq!(charge.margin, 7_160_250_375);
        assert_eq!(charge.cash_out, 50_000_000);
        assert_eq!(charge.total, 7_210_250_375);
    }

    #[test]
    fn perp_bought_below_or_sold_above_pays_nothing() {
        let p = params();
        let below = order_charge(
            &p,
            &order(Kind::Perp, Side::Long, E9, 0, 0),
            9_000_000_000_000,
            1_000_000,
        )
        .unwrap();
        assert_eq!(below.cash_out, 0);
        let above = order_charge(
            &p,
            &order(Kind::Perp, Side::Short, E9, 0, 0),
            9_800_000_000_000,
            1_000_000,
        )
        .unwrap();
        assert_eq!(above.cash_out, 0);
        // A sell below P pays: 1 BTC at 96000.5 is 1000 USD below.
        let sold_below = order_charge(
            &p,
            &order(Kind::Perp, Side::Short, E9, 0, 0),
            9_600_050_000_000,
            1_000_000,
        )
        .unwrap();
        assert_eq!(sold_below.cash_out, 1_000_000_000);
    }

    #[test]
    fn cash_out_and_margin_are_ceiled() {
        // 1e-9 BTC bought 1e-8 USD above P: 1 * 1 / 1e11 rounds up to one uusd. Its margin:
        // 9450e12 pUSD x 1 / 1e15 = 9.45 -> 10, contingency 0.097... -> 1.
        let charge = order_charge(
            &params(),
            &order(Kind::Perp, Side::Long, 1, 0, 0),
            9_700_050_000_001,
            1_000_000,
        )
        .unwrap();
        assert_eq!(charge.cash_out, 1);
        assert_eq!(charge.mm, 11);
    }

    #[test]
    fn long_option_pays_its_premium_and_its_scenario_loss() {
        // 2 calls at a premium of 1500.25 USD each: 3000.5 USD. The worst scenario of a long
        // call is 13, 2 x 1350 = 2700 USD; no minimum for a long option. At level 2: 5400 USD.
        let charge = order_charge(
            &params(),
            &order(Kind::Call, Side::Long, 2 * E9, STRIKE, EXPIRY),
            150_025_000_000,
            2_000_000,
        )
        .unwrap();
        assert_eq!(charge.mm, 2_700_000_000);
        assert_eq!(charge.margin, 5_400_000_000);
        assert_eq!(charge.cash_out, 3_000_500_000);
        assert_eq!(charge.total, 8_400_500_000);
    }

    #[test]
    fn short_option_pays_margin_and_the_mark_beyond_its_premium() {
        // Short 2 calls: the worst scenario is 14, 2 x 8000 = 16000 USD, above the minimum
        // 0.5% of 2 x 97000.5 = 970.005 USD; at level 1.25: 20000 USD.
        let short = order(Kind::Call, Side::Short, 2 * E9, STRIKE, EXPIRY);
        let at = |fill| order_charge(&params(), &short, fill, 1_250_000).unwrap();
        let charge = at(150_025_000_000);
        assert_eq!(charge.mm, 16_000_000_000);
        assert_eq!(charge.margin, 20_000_000_000);
        // Sold at 1500.25 USD, above the mark of 1200: nothing owed beyond the premium.
        assert_eq!(charge.cash_out, 0);
        // Sold at 1000 USD: 2 x 200 USD of mark beyond the premium.
        assert_eq!(at(100_000_000_000).cash_out, 400_000_000);
        // Sold at 1199.99999999 USD: 2e9 x 1e4 pUSD / 1e15 = 0.02 -> 1 uusd.
        assert_eq!(at(119_999_999_999).cash_out, 1);
        // The default fill of a short option is 0: the whole mark, 2400 USD.
        assert_eq!(default_fill(&params(), &short).unwrap(), 0);
        let default = default_order_charge(&params(), &short, 1_250_000).unwrap();
        assert_eq!(default.cash_out, 2_400_000_000);
    }

    #[test]
    fn default_fill_bounds_the_premium() {
        let p = params();
        let call = order(Kind::Call, Side::Long, E9, 1, EXPIRY);
        let put = order(Kind::Put, Side::Long, E9, 12_345, EXPIRY);
        let perp = order(Kind::Perp, Side::Long, E9, 0, 0);
        assert_eq!(default_fill(&p, &call).unwrap(), p.prices[0]);
        assert_eq!(default_fill(&p, &put).unwrap(), 12_345);
        assert_eq!(default_fill(&p, &perp).unwrap(), p.prices[0]);
    }

    #[test]
    fn bad_orders_are_refused() {
        let p = params();
        let perp = order(Kind::Perp, Side::Long, E9, 0, 0);
        assert!(order_charge(&p, &perp, 1 << 48, 1_000_000).is_err());
        assert!(order_charge(&p, &perp, 0, 999_999).is_err());
        assert!(order_charge(&p, &perp, 0, 10_000_001).is_err());
        let mut unknown = perp;
        unknown.position.underlying = 2;
        assert_eq!(
            order_charge(&p, &unknown, 0, 1_000_000),
            Err(MarginError::UnknownAsset(2))
        );
        let empty = order(Kind::Empty, Side::Long, 0, 0, 0);
        assert!(order_charge(&p, &empty, 0, 1_000_000).is_err());
        // An instrument the table does not list: another strike, a put, a USDC perpetual.
        for unlisted in [
            order(Kind::Call, Side::Short, E9, STRIKE + 1, EXPIRY),
            order(Kind::Put, Side::Short, E9, STRIKE, EXPIRY),
            Order {
                venue: 0,
                position: Position {
                    underlying: 1,
                    ..perp.position
                },
            },
        ] {
            assert!(matches!(
                order_charge(&p, &unlisted, 0, 1_000_000),
                Err(MarginError::NotInRiskTable(_))
            ));
        }
    }

    /// A position on BTC in the table: a perpetual or the call, either side, any size.
    fn listed_position() -> impl Strategy<Value = Position> {
        (any::<bool>(), any::<bool>(), 0..1u64 << 40).prop_map(|(perp, short, size)| Position {
            kind: if perp { Kind::Perp } else { Kind::Call },
            underlying: 0,
            side: if short { Side::Short } else { Side::Long },
            size,
            price: if perp { 9_000_000_000_000 } else { STRIKE },
            expiry: if perp { 0 } else { EXPIRY },
        })
    }

    proptest! {
        /// DESIGN.md's subadditivity: the order's own margin is never below what it adds to
        /// the book's, so charging it alone never undercharges a line.
        #[test]
        fn charging_the_order_alone_never_undercharges(
            book in prop::collection::vec(listed_position(), 0..6),
            order_position in listed_position(),
            level in 1_000_000u64..=10_000_000,
        ) {
            let p = params();
            let mm = |positions: &[Position]| -> u128 {
                portfolio_margin(&p, positions).unwrap().iter().map(|m| m.mm).sum()
            };
            let mut with_order = book.clone();
            let order = Order { venue: 0, position: order_position };
            with_order.push(order_position_of(&p, &order));
            let charge = default_order_charge(&p, &order, level).unwrap();
            prop_assert!(mm(&with_order) <= mm(&book) + charge.mm);
            prop_assert!(
                requirement(mm(&with_order), level)
                    <= requirement(mm(&book), level) + charge.margin
            );
            // And the engine's report agrees with the sum it is given.
            let report = crate::margin::evaluate(
                &p,
                &Book { balances: vec![], positions: vec![book.clone()] },
                Some(&order),
                level,
            )
            .unwrap();
            prop_assert_eq!(report.mm, mm(&with_order));
        }
    }

    fn order_position_of(p: &RiskParams, order: &Order) -> Position {
        crate::margin::order_position(p, order).unwrap()
    }
}
