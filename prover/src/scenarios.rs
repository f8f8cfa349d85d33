//! Risk views for the trader: the book after a price move, and the moves that would use up
//! the headroom. Every figure comes from the reference engine (`margin::evaluate`, the rules
//! the circuit proves) under shocked prices; nothing here re-implements a margin rule.
//!
//! ## What a move is
//!
//! A move of `m` ppm of the price (1% = 10,000 ppm; `m >= -1e6`) sets the asset's price
//! (an integer, USD x 1e8) to `floor(P * (1e6 + m) / 1e6)`. A move that would take the price
//! to `2^48` or beyond (the circuit's bound) is outside the range considered.
//!
//! ## The order
//!
//! The engine values an order at the snapshot price with no profit or loss. After a move,
//! the order is a position entered at the snapshot price: [`book_with_order`] adds it to the
//! book at its venue, so its profit or loss follows the move. Unmoved, this book has exactly
//! the engine's figures for the book with the order.
//!
//! ## The moves that use up the headroom
//!
//! For each asset the account is exposed to (a balance, a position or the order on it),
//! [`breaking_moves`] looks down to -100% and up to +1000% (or the price bound). Headroom
//! against a move is piecewise linear and need not be monotone (options, hedges), so the
//! search is: evaluate at every whole percent from 0 outwards; at the first whole percent
//! where the book is insolvent, bisect between it and the previous (solvent) whole percent to
//! the ppm. The move reported is therefore a ppm move `m` such that the book is insolvent at
//! `m`, solvent at `m - 1` (towards zero), and solvent at every whole percent between 0 and
//! `m`. A dip below zero that opens and closes again between two whole percents could be
//! missed; a move reported is always a real crossing.

use zkmargin_circuits::margin::{self, Book, MarginError, Order, Report, RiskParams};
use zkmargin_circuits::units::{PPM, PRICE_BITS};

/// One percent, in ppm of the price.
pub const PERCENT: i64 = 10_000;
/// The largest downward move: -100%.
pub const MAX_DOWN: i64 = 1_000_000;
/// The largest upward move looked at: +1000%.
pub const MAX_UP: i64 = 10_000_000;

/// The price after a move of `move_ppm` (`>= -1e6`): `floor(P * (1e6 + m) / 1e6)`; `None`
/// below -100% or at `2^48` and beyond.
pub fn moved_price(price: u64, move_ppm: i64) -> Option<u64> {
    let factor = u128::try_from(PPM as i128 + move_ppm as i128).ok()?;
    let moved = price as u128 * factor / PPM as u128;
    u64::try_from(moved)
        .ok()
        .filter(|p| *p < 1u64 << PRICE_BITS)
}

/// The parameters with `moves` (`(asset, ppm)`) applied to the prices; `None` if a move is out
/// of range or names an unknown asset.
pub fn moved_params(params: &RiskParams, moves: &[(usize, i64)]) -> Option<RiskParams> {
    let mut moved = params.clone();
    for &(asset, m) in moves {
        let price = moved.prices.get_mut(asset)?;
        *price = moved_price(*price, m)?;
    }
    Some(moved)
}

/// The book with the order added at its venue, entered at the snapshot price (see the module
/// documentation).
pub fn book_with_order(
    params: &RiskParams,
    book: &Book,
    order: Option<&Order>,
) -> Result<Book, MarginError> {
    let mut book = book.clone();
    if let Some(order) = order {
        let position = margin::order_position(params, order)?;
        book.positions
            .get_mut(order.venue)
            .ok_or(MarginError::UnknownVenue(order.venue))?
            .push(position);
    }
    Ok(book)
}

/// The engine's report of `book` (the order already in it) after `moves`.
pub fn evaluate_moved(
    params: &RiskParams,
    book: &Book,
    level_ppm: u64,
    moves: &[(usize, i64)],
) -> Result<Option<Report>, MarginError> {
    match moved_params(params, moves) {
        Some(moved) => margin::evaluate(&moved, book, None, level_ppm).map(Some),
        None => Ok(None),
    }
}

/// The assets a book is exposed to: a nonzero balance, or a position on it.
pub fn exposed_assets(book: &Book, assets: usize) -> Vec<usize> {
    (0..assets)
        .filter(|&a| {
            book.balances
                .iter()
                .any(|row| row.get(a).is_some_and(|&x| x != 0))
                || book.positions.iter().flatten().any(|p| p.underlying == a)
        })
        .collect()
}

/// The moves of one asset that use up the headroom, in ppm of its price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakingMoves {
    pub asset: usize,
    /// The smallest fall found (a positive number of ppm), or `None` down to -100%.
    pub down: Option<i64>,
    /// The smallest rise found, or `None` up to +1000% or the price bound.
    pub up: Option<i64>,
    /// How far up was looked (ppm): +1000%, or less when the price bound comes first.
    pub up_limit: i64,
}

/// Searches one direction (`sign` = -1 down, +1 up) of one asset (see the module
/// documentation). `Ok(None)` when no move in range makes the book insolvent.
fn first_break(
    params: &RiskParams,
    book: &Book,
    level_ppm: u64,
    asset: usize,
    sign: i64,
    limit: i64,
) -> Result<Option<i64>, MarginError> {
    let insolvent = |m: i64| -> Result<Option<bool>, MarginError> {
        Ok(evaluate_moved(params, book, level_ppm, &[(asset, sign * m)])?.map(|r| !r.solvent))
    };
    let mut solvent_at = 0i64;
    let mut step = PERCENT;
    loop {
        let m = (solvent_at + step).min(limit);
        if m <= solvent_at {
            return Ok(None);
        }
        match insolvent(m)? {
            Some(true) => {
                // Bisect: solvent at `lo`, insolvent at `hi`.
                let (mut lo, mut hi) = (solvent_at, m);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    match insolvent(mid)? {
                        Some(true) => hi = mid,
                        _ => lo = mid,
                    }
                }
                return Ok(Some(hi));
            }
            Some(false) => solvent_at = m,
            None => {
                // Beyond the price bound: look no further.
                if step == 1 {
                    return Ok(None);
                }
                step = 1.max(step / 100);
                continue;
            }
        }
        if solvent_at >= limit {
            return Ok(None);
        }
    }
}

/// The largest upward move (ppm, at most +1000%) that keeps the price below `2^48`.
pub fn up_limit(price: u64) -> i64 {
    if price == 0 {
        return MAX_UP;
    }
    // floor(P (1e6 + m) / 1e6) < 2^48  <=>  P (1e6 + m) < 2^48 * 1e6.
    let bound = ((1u128 << PRICE_BITS) * PPM as u128 - 1) / price as u128;
    // `bound` may exceed i64 for a tiny price: clamp before narrowing.
    (bound.min((MAX_UP + PPM as i64) as u128) as i64 - PPM as i64).clamp(0, MAX_UP)
}

/// For each exposed asset, the moves down and up that use up the headroom of `book` (the
/// order already in it, see [`book_with_order`]). Empty when the book is already insolvent.
pub fn breaking_moves(
    params: &RiskParams,
    book: &Book,
    level_ppm: u64,
) -> Result<Vec<BreakingMoves>, MarginError> {
    if !margin::evaluate(params, book, None, level_ppm)?.solvent {
        return Ok(Vec::new());
    }
    exposed_assets(book, params.prices.len())
        .into_iter()
        .map(|asset| {
            let limit = up_limit(params.prices[asset]);
            Ok(BreakingMoves {
                asset,
                down: first_break(params, book, level_ppm, asset, -1, MAX_DOWN)?,
                up: first_break(params, book, level_ppm, asset, 1, limit)?,
                up_limit: limit,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_circuits::margin::{Bucket, Kind, Position, Side};
    use zkmargin_circuits::portfolio::{InstrumentKey, PortfolioRates, RiskTable};
    use zkmargin_formats::portfolio::AssetPortfolio;

    use crate::risk_table::risk_row;

    /// One asset at 100 USD, no haircut, a 10% perp margin rate and a 10% scan range (no
    /// contingency): the risk table's perpetual loses at most 10.5 USD a unit (three scan
    /// ranges at 35% cover), whatever the moved price (the table is the snapshot's, computed
    /// at 100 USD).
    fn params() -> RiskParams {
        let rates = PortfolioRates {
            scan_ppm: 100_000,
            som_ppm: 0,
            contingency_ppm: 0,
        };
        let inputs = AssetPortfolio {
            vol_ppm: 1,
            vol_up_ppm: 0,
            vol_down_ppm: 0,
            som_ppm: 0,
            contingency_ppm: 0,
            scan_ppm: Some(rates.scan_ppm),
        };
        let prices = vec![100 * 100_000_000, 100_000_000];
        let rows = (0..2)
            .map(|a| risk_row(InstrumentKey::perp(a), 0, &inputs, prices[a], 100_000, 0))
            .collect();
        RiskParams {
            prices,
            haircuts_ppm: vec![vec![0], vec![0]],
            perp_mmr_ppm: vec![vec![100_000, 0]],
            option_rate_ppm: vec![0, 0],
            buckets: vec![Bucket {
                max_seconds: 86_400,
                tau_ppm: vec![0, 0],
            }],
            upnl_haircut_ppm: 0,
            valid_from: 0,
            portfolio: vec![rates; 2],
            risk_table: RiskTable { rows },
        }
    }

    fn perp(side: Side, units: u64, entry_usd: u64) -> Position {
        Position {
            kind: Kind::Perp,
            underlying: 0,
            side,
            size: units * 1_000_000_000,
            price: entry_usd * 100_000_000,
            expiry: 0,
        }
    }

    #[test]
    fn moved_prices_round_down_and_stay_in_range() {
        assert_eq!(moved_price(10_000, -100_000), Some(9_000));
        assert_eq!(moved_price(10_001, -100_000), Some(9_000)); // 9000.9 -> 9000
        assert_eq!(moved_price(10_000, 1), Some(10_000)); // 10000.01 -> 10000
        assert_eq!(moved_price(10_000, -1_000_000), Some(0));
        assert_eq!(moved_price(10_000, -1_000_001), None);
        assert_eq!(moved_price((1 << 47) + 1, 1_000_000), None);
        assert!(moved_price(1 << 47, 999_999).is_some_and(|p| p < 1 << 48));
        let limit = up_limit(1 << 47);
        assert!(moved_price(1 << 47, limit).is_some());
        assert!(moved_price(1 << 47, limit + 1).is_none());
        assert_eq!(up_limit(100), MAX_UP);
        assert_eq!(up_limit(1), MAX_UP);
        assert_eq!(up_limit((1 << 48) - 1), 0);
    }

    /// A long perp of 10 units at 100 USD with 500 USD of USDC, a 10% scan range: equity(P) =
    /// 500 + 10 (P - 100), mm = the worst scenario of the snapshot's table, 10 x 10.5 USD = 105
    /// at any moved price. Solvent while 500 + 10P - 1000 >= 105, i.e. P >= 60.5 USD: a fall
    /// of 39.5% (395000 ppm, P = 60.5: equity 105 = mm) stays solvent; 395001 ppm (P =
    /// 60.4999: equity 104.999) does not. So the move is 395001 ppm.
    #[test]
    fn a_long_perp_breaks_on_the_way_down_only() {
        let params = params();
        let book = Book {
            balances: vec![vec![0, 500 * 1_000_000_000]],
            positions: vec![vec![perp(Side::Long, 10, 100)]],
        };
        let moves = breaking_moves(&params, &book, PPM).unwrap();
        assert_eq!(moves.len(), 2, "{moves:?}");
        assert_eq!(moves[0].asset, 0);
        assert_eq!(moves[0].down, Some(395_001));
        assert_eq!(moves[0].up, None);
        // USDC: a fall of USDC by x% cuts 500 x% of equity; mm 105: breaks at 395/500 = 79%.
        assert_eq!(moves[1].asset, 1);
        assert_eq!(moves[1].down, Some(790_001));
        // The engine agrees at both sides of the crossing.
        let at = |m: i64| {
            evaluate_moved(&params, &book, PPM, &[(0, -m)])
                .unwrap()
                .unwrap()
                .solvent
        };
        assert!(at(395_000) && !at(395_001));
    }

    #[test]
    fn a_short_perp_breaks_on_the_way_up() {
        let params = params();
        let book = Book {
            balances: vec![vec![0, 500 * 1_000_000_000]],
            positions: vec![vec![perp(Side::Short, 10, 100)]],
        };
        // equity = 500 - 10 (P - 100) = 1500 - 10P (a loss is debited), mm = 105:
        // solvent while P <= 139.5: +39.5% holds, +39.5001% does not.
        let moves = breaking_moves(&params, &book, PPM).unwrap();
        assert_eq!(moves[0].down, None);
        assert_eq!(moves[0].up, Some(395_001));
    }

    #[test]
    fn the_order_is_a_position_entered_at_the_snapshot_price() {
        let params = params();
        let book = Book {
            balances: vec![vec![0, 5_000 * 1_000_000_000]],
            positions: vec![vec![]],
        };
        let order = Order {
            venue: 0,
            position: Position {
                price: 0,
                ..perp(Side::Long, 10, 0)
            },
        };
        let with = book_with_order(&params, &book, Some(&order)).unwrap();
        assert_eq!(with.positions[0][0].price, params.prices[0]);
        let engine = margin::evaluate(&params, &book, Some(&order), PPM).unwrap();
        let moved = evaluate_moved(&params, &with, PPM, &[]).unwrap().unwrap();
        assert_eq!(
            (moved.equity, moved.mm, moved.requirement),
            (engine.equity, engine.mm, engine.requirement)
        );
        // An insolvent book has no breaking moves.
        let broke = Book {
            balances: vec![vec![0, 1]],
            positions: vec![vec![perp(Side::Long, 10, 100)]],
        };
        assert!(breaking_moves(&params, &broke, PPM).unwrap().is_empty());
    }
}
