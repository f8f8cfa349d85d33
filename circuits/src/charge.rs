//! The charge of one order against a credit line: DESIGN.md's "Units", in plain integers.
//!
//! A venue that took a margin certificate spends the trader's credit line order by order,
//! without a new proof. Each order costs what it adds to the requirement at the certificate's
//! level, plus the cash the trader pays at the fill:
//!
//! ```text
//! charge = ceil(mm_order * level / 1e6) + cash_out
//! mm_order: the order's mm by the engine's rules, entered at the snapshot price
//! cash_out, perp:         ceil(max(0, q * (fill - P)) / 1e11)   a buy above P, a sell below P
//! cash_out, long option:  ceil(q * fill / 1e11)                  the premium paid
//! cash_out, short option: 0                                      no credit for premium received
//! ```
//!
//! Every term is rounded against the trader (ceiled). This module calls the engine
//! (`margin::position_terms`) for the order's margin, so a charge and a margin report can never
//! disagree about the same position.
//!
//! Bounds: `|q| < 2^64` and `fill, P < 2^48`, so `|q| * |fill - P|` and `q * fill` are below
//! `2^112` and fit a `u128`; `mm_order < 2^100` (its own bound in the engine) times
//! `level <= 1e7 < 2^24` is below `2^124`; the sum of the two terms stays below `2^125`.

use crate::margin::{
    ceil_div, checked_level, checked_price, order_position, position_terms, requirement, Kind,
    MarginError, Order, RiskParams, Side,
};
use crate::units::PNL_DIVISOR;

/// The parts of one order's charge, uusd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The order's maintenance margin, entered at the snapshot price.
    pub mm: u128,
    /// `ceil(mm * level / 1e6)`.
    pub margin: u128,
    /// Cash the trader pays at the fill (0 for a short option).
    pub cash_out: u128,
    /// `margin + cash_out`: what the order takes from the line.
    pub total: u128,
}

/// The fill an order is charged at when the venue names none: the snapshot price for a
/// perpetual (no cash out) and for a call (a call is never worth more than its underlying),
/// the strike for a put (a put is never worth more than its strike). Both are upper bounds of
/// an option's premium, so a default fill never undercharges a long option.
pub fn default_fill(params: &RiskParams, order: &Order) -> Result<u64, MarginError> {
    let position = &order.position;
    let price = *params
        .prices
        .get(position.underlying)
        .ok_or(MarginError::UnknownAsset(position.underlying))?;
    Ok(match position.kind {
        Kind::Put => position.price,
        _ => price,
    })
}

/// The charge of `order` filled at `fill` (e8; the premium per unit for an option) under the
/// snapshot's parameters, at the certificate's `level_ppm`.
///
/// Refuses what the engine refuses (an unknown asset or venue, an expired option, a value out
/// of bounds), a level outside `[1e6, 1e7]`, a fill `>= 2^48` and an empty order.
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
    let mm = position_terms(params, order.venue, &position)?.mm;
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
        (_, Side::Short) => 0,
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
    use crate::margin::{Bucket, Position};

    const E8: u64 = 100_000_000;
    const E9: u64 = 1_000_000_000;

    /// BTC at 97000.5, USDC at 1; one venue with a 1% BTC perp rate; an option rate of 7.5%
    /// and one bucket of a year with tau 12%.
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
        // 0.5 BTC long at 97100.5: mm = ceil(0.5e9 * 97000.5e8 * 1e4 / 1e17) = 485002500 uusd;
        // at level 1.5 the margin is 727503750; cash out = ceil(0.5e9 * 100e8 / 1e11) = 50e6.
        let charge = order_charge(
            &params(),
            &order(Kind::Perp, Side::Long, E9 / 2, 0, 0),
            9_710_050_000_000,
            1_500_000,
        )
        .unwrap();
        assert_eq!(charge.mm, 485_002_500);
        assert_eq!(charge.margin, 727_503_750);
        assert_eq!(charge.cash_out, 50_000_000);
        assert_eq!(charge.total, 777_503_750);
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
    fn cash_out_is_ceiled() {
        // 1e-9 BTC bought 1e-8 USD above P: 1 * 1 / 1e11 rounds up to one uusd.
        let charge = order_charge(
            &params(),
            &order(Kind::Perp, Side::Long, 1, 0, 0),
            9_700_050_000_001,
            1_000_000,
        )
        .unwrap();
        assert_eq!(charge.cash_out, 1);
    }

    #[test]
    fn long_option_pays_its_premium_and_no_margin() {
        // 2 calls at a premium of 1500.25 USD each: 3000.5 USD.
        let charge = order_charge(
            &params(),
            &order(
                Kind::Call,
                Side::Long,
                2 * E9,
                10_000_000_000_000,
                1_767_312_000,
            ),
            150_025_000_000,
            2_000_000,
        )
        .unwrap();
        assert_eq!(charge.mm, 0);
        assert_eq!(charge.cash_out, 3_000_500_000);
        assert_eq!(charge.total, 3_000_500_000);
    }

    #[test]
    fn short_option_pays_margin_at_the_level_and_no_cash() {
        // Short 2 calls struck at 100000, out of the money: mm = ceil(2e9 * (75000 + 120000)
        // * 97000.5e8 / 1e17) = 37830195000; at level 1.25: 47287743750.
        let charge = order_charge(
            &params(),
            &order(
                Kind::Call,
                Side::Short,
                2 * E9,
                10_000_000_000_000,
                1_767_312_000,
            ),
            150_025_000_000,
            1_250_000,
        )
        .unwrap();
        assert_eq!(charge.mm, 37_830_195_000);
        assert_eq!(charge.margin, 47_287_743_750);
        assert_eq!(charge.cash_out, 0);
    }

    #[test]
    fn default_fill_bounds_the_premium() {
        let p = params();
        let call = order(Kind::Call, Side::Long, E9, 1, 1_767_312_000);
        let put = order(Kind::Put, Side::Long, E9, 12_345, 1_767_312_000);
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
        let expired = order(Kind::Call, Side::Short, E9, 1, 1_767_225_599);
        assert!(order_charge(&p, &expired, 0, 1_000_000).is_err());
    }
}
