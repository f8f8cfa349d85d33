//! The reference margin engine: DESIGN.md's integer rules in plain Rust.
//!
//! This module is the one definition of the margin rules. The CLI's report, the witness
//! builder of the circuit and the tests all call it, so the report a trader reads and the
//! statement the circuit proves cannot disagree.
//!
//! Rounding always goes against the prover: values are floored, charges are ceiled, and every
//! term is rounded on its own before it is summed. All arithmetic is exact in `u128`/`i128`:
//! the largest intermediate, a short option's `|q| * ((rate + tau) * P + 1e6 * intrinsic)`, is
//! below `2^64 * 2^70 = 2^134`.

use serde::{Deserialize, Serialize};

use crate::units::{PNL_DIVISOR, PPM, VALUE_DIVISOR};

/// What a position slot holds. The code is the slot's `kind` field in a venue leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Empty,
    Perp,
    Call,
    Put,
}

impl Kind {
    pub fn code(self) -> u64 {
        match self {
            Kind::Empty => 0,
            Kind::Perp => 1,
            Kind::Call => 2,
            Kind::Put => 3,
        }
    }

    pub fn from_code(code: u64) -> Option<Kind> {
        [Kind::Empty, Kind::Perp, Kind::Call, Kind::Put]
            .get(code as usize)
            .copied()
    }

    pub fn is_option(self) -> bool {
        matches!(self, Kind::Call | Kind::Put)
    }
}

/// Long (size > 0) or short (size < 0). The code is the slot's `side` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Long,
    Short,
}

impl Side {
    pub fn code(self) -> u64 {
        match self {
            Side::Long => 0,
            Side::Short => 1,
        }
    }
}

/// One position slot, as a venue leaf stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub kind: Kind,
    /// Index of the underlying asset in the snapshot.
    pub underlying: usize,
    pub side: Side,
    /// Size magnitude, e9, `< 2^64`.
    pub size: u64,
    /// Entry price for a perpetual, strike for an option, e8, `< 2^48`.
    pub price: u64,
    /// Expiry (unix seconds) for an option, 0 otherwise.
    pub expiry: u64,
}

impl Position {
    /// An empty slot: every field zero.
    pub const EMPTY: Position = Position {
        kind: Kind::Empty,
        underlying: 0,
        side: Side::Long,
        size: 0,
        price: 0,
        expiry: 0,
    };

    /// The slot's six leaf fields `(kind, underlying, side, size, price, expiry)`.
    pub fn fields(&self) -> [u64; 6] {
        [
            self.kind.code(),
            self.underlying as u64,
            self.side.code(),
            self.size,
            self.price,
            self.expiry,
        ]
    }

    /// Signed size in e9 (negative = short).
    pub fn signed_size(&self) -> i128 {
        match self.side {
            Side::Long => self.size as i128,
            Side::Short => -(self.size as i128),
        }
    }
}

/// One expiry bucket: options with `previous max_seconds < tte <= max_seconds` use `tau_ppm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub max_seconds: u64,
    /// Tau per asset, ppm.
    pub tau_ppm: Vec<u64>,
}

/// The public risk parameters of an epoch, indexed by asset, chain and venue position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskParams {
    /// Price per asset, e8.
    pub prices: Vec<u64>,
    /// `haircuts_ppm[asset][chain]`.
    pub haircuts_ppm: Vec<Vec<u64>>,
    /// `perp_mmr_ppm[venue][asset]`.
    pub perp_mmr_ppm: Vec<Vec<u64>>,
    /// Option margin rate per asset, ppm.
    pub option_rate_ppm: Vec<u64>,
    /// Expiry buckets, `max_seconds` non-decreasing.
    pub buckets: Vec<Bucket>,
    pub upnl_haircut_ppm: u64,
    /// Start of the epoch: option time-to-expiry is measured from here.
    pub valid_from: u64,
}

/// What an account holds: `balances[chain][asset]` (e9) and `positions[venue][slot]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    pub balances: Vec<Vec<u64>>,
    pub positions: Vec<Vec<Position>>,
}

/// The order a trader asks a venue to accept. Its entry is the snapshot price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Index of the venue in the snapshot.
    pub venue: usize,
    pub position: Position,
}

/// Why a book cannot be evaluated under a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarginError {
    #[error("underlying asset index {0} is not in the snapshot")]
    UnknownAsset(usize),
    #[error("venue index {0} is not in the snapshot")]
    UnknownVenue(usize),
    #[error("option expiring at {expiry} has already expired at {valid_from}")]
    Expired { expiry: u64, valid_from: u64 },
    #[error("option expiring at {expiry} is beyond the last expiry bucket ({last} s)")]
    BeyondLastBucket { expiry: u64, last: u64 },
    #[error("an empty slot must have every field zero")]
    DirtyEmptySlot,
    #[error("a perpetual must have expiry 0")]
    PerpWithExpiry,
}

/// `floor(x * P * (1e6 - haircut) / 1e17)`: the haircut value of a balance, uusd.
pub fn collateral_value(amount: u64, price: u64, haircut_ppm: u64) -> u128 {
    amount as u128 * price as u128 * (PPM - haircut_ppm) as u128 / VALUE_DIVISOR
}

/// `ceil(n / d)` for `d > 0`.
pub fn ceil_div(n: u128, d: u128) -> u128 {
    n.div_ceil(d)
}

/// The expiry bucket of an option: the first bucket with `tte <= max_seconds`.
pub fn bucket_index(params: &RiskParams, expiry: u64) -> Result<usize, MarginError> {
    if expiry < params.valid_from {
        return Err(MarginError::Expired {
            expiry,
            valid_from: params.valid_from,
        });
    }
    let tte = expiry - params.valid_from;
    params
        .buckets
        .iter()
        .position(|b| tte <= b.max_seconds)
        .ok_or(MarginError::BeyondLastBucket {
            expiry,
            last: params.buckets.last().map_or(0, |b| b.max_seconds),
        })
}

/// Intrinsic value of an option at price `p`, e8: `max(P - K, 0)` for a call,
/// `max(K - P, 0)` for a put, 0 for anything else.
pub fn intrinsic_value(kind: Kind, price: u64, strike: u64) -> u64 {
    match kind {
        Kind::Call => price.saturating_sub(strike),
        Kind::Put => strike.saturating_sub(price),
        _ => 0,
    }
}

/// The margin terms of one position slot at one venue, uusd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionTerms {
    /// Maintenance margin, ceiled.
    pub mm: u128,
    /// Haircut unrealised profit of a perpetual, floored.
    pub upnl_credit: u128,
    /// Unrealised loss of a perpetual, ceiled.
    pub upnl_debit: u128,
    /// The option's expiry bucket (0 for anything but an option).
    pub bucket: usize,
}

/// Checks that a slot is well formed: an empty slot is all zero, a perpetual has no expiry,
/// the underlying is a known asset.
pub fn check_position(params: &RiskParams, position: &Position) -> Result<(), MarginError> {
    match position.kind {
        Kind::Empty if *position != Position::EMPTY => Err(MarginError::DirtyEmptySlot),
        Kind::Perp if position.expiry != 0 => Err(MarginError::PerpWithExpiry),
        _ if position.underlying >= params.prices.len() => {
            Err(MarginError::UnknownAsset(position.underlying))
        }
        _ => Ok(()),
    }
}

/// The terms of one slot held at venue `venue`.
///
/// Perpetual: `mm = ceil(|q| P mmr / 1e17)`, `pnl = q (P - E)`; a gain is credited at
/// `floor(pnl (1e6 - upnl_haircut) / 1e17)`, a loss debited at `ceil(|pnl| / 1e11)`.
/// Short option: `mm = ceil(|q| ((rate + tau[bucket]) P + 1e6 intrinsic) / 1e17)`.
/// Long option: nothing, and no credit for its value.
pub fn position_terms(
    params: &RiskParams,
    venue: usize,
    position: &Position,
) -> Result<PositionTerms, MarginError> {
    check_position(params, position)?;
    let mmr_row = params
        .perp_mmr_ppm
        .get(venue)
        .ok_or(MarginError::UnknownVenue(venue))?;
    let a = position.underlying;
    let price = params.prices[a] as u128;
    let size = position.size as u128;
    match position.kind {
        Kind::Empty => Ok(PositionTerms::default()),
        Kind::Perp => {
            let mm = ceil_div(size * price * mmr_row[a] as u128, VALUE_DIVISOR);
            let entry = position.price as u128;
            // The trader gains when long and the price rose, or short and it fell.
            let gain = (price >= entry) == (position.side == Side::Long);
            let pnl_abs = size * price.abs_diff(entry);
            let (upnl_credit, upnl_debit) = if gain {
                (
                    pnl_abs * (PPM - params.upnl_haircut_ppm) as u128 / VALUE_DIVISOR,
                    0,
                )
            } else {
                (0, ceil_div(pnl_abs, PNL_DIVISOR))
            };
            Ok(PositionTerms {
                mm,
                upnl_credit,
                upnl_debit,
                bucket: 0,
            })
        }
        Kind::Call | Kind::Put => {
            let bucket = bucket_index(params, position.expiry)?;
            let mm = match position.side {
                Side::Long => 0,
                Side::Short => {
                    let rate =
                        (params.option_rate_ppm[a] + params.buckets[bucket].tau_ppm[a]) as u128;
                    let intrinsic =
                        intrinsic_value(position.kind, params.prices[a], position.price);
                    ceil_div(
                        size * (rate * price + PPM as u128 * intrinsic as u128),
                        VALUE_DIVISOR,
                    )
                }
            };
            Ok(PositionTerms {
                mm,
                upnl_credit: 0,
                upnl_debit: 0,
                bucket,
            })
        }
    }
}

/// The proposed order as the engine values it: a perpetual enters at the snapshot price.
pub fn order_position(params: &RiskParams, order: &Order) -> Result<Position, MarginError> {
    let mut position = order.position;
    if position.kind == Kind::Perp {
        position.price = *params
            .prices
            .get(position.underlying)
            .ok_or(MarginError::UnknownAsset(position.underlying))?;
    }
    Ok(position)
}

/// `ceil(mm * level / 1e6)`.
pub fn requirement(mm: u128, level_ppm: u64) -> u128 {
    ceil_div(mm * level_ppm as u128, PPM as u128)
}

/// The figures of one chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFigures {
    /// Haircut value per asset, uusd.
    pub collateral_by_asset: Vec<u128>,
    pub collateral: u128,
}

/// The figures of one venue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueFigures {
    /// The terms of each slot, in leaf order.
    pub slots: Vec<PositionTerms>,
    pub mm: u128,
    pub upnl_credit: u128,
    pub upnl_debit: u128,
}

/// The whole margin report of a book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub chains: Vec<ChainFigures>,
    pub venues: Vec<VenueFigures>,
    /// The proposed order's terms (mm only counts).
    pub order: PositionTerms,
    pub collateral: u128,
    pub upnl_credit: u128,
    pub upnl_debit: u128,
    /// `collateral + upnl_credit - upnl_debit`.
    pub equity: i128,
    /// Every position's mm plus the order's.
    pub mm: u128,
    pub level_ppm: u64,
    /// `ceil(mm * level / 1e6)`.
    pub requirement: u128,
    /// `equity - requirement`.
    pub headroom: i128,
    /// `equity >= requirement`.
    pub solvent: bool,
}

/// Evaluates a book (and an optional order) under the snapshot's parameters at `level_ppm`.
pub fn evaluate(
    params: &RiskParams,
    book: &Book,
    order: Option<&Order>,
    level_ppm: u64,
) -> Result<Report, MarginError> {
    let chains: Vec<ChainFigures> = book
        .balances
        .iter()
        .enumerate()
        .map(|(c, amounts)| {
            let collateral_by_asset: Vec<u128> = amounts
                .iter()
                .enumerate()
                .map(|(a, &x)| collateral_value(x, params.prices[a], params.haircuts_ppm[a][c]))
                .collect();
            let collateral = collateral_by_asset.iter().sum();
            ChainFigures {
                collateral_by_asset,
                collateral,
            }
        })
        .collect();
    let venues = book
        .positions
        .iter()
        .enumerate()
        .map(|(v, slots)| {
            let slots = slots
                .iter()
                .map(|p| position_terms(params, v, p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(VenueFigures {
                mm: slots.iter().map(|t| t.mm).sum(),
                upnl_credit: slots.iter().map(|t| t.upnl_credit).sum(),
                upnl_debit: slots.iter().map(|t| t.upnl_debit).sum(),
                slots,
            })
        })
        .collect::<Result<Vec<_>, MarginError>>()?;
    let order_terms = match order {
        Some(order) => {
            let position = order_position(params, order)?;
            PositionTerms {
                upnl_credit: 0,
                upnl_debit: 0,
                ..position_terms(params, order.venue, &position)?
            }
        }
        None => PositionTerms::default(),
    };
    let collateral: u128 = chains.iter().map(|c| c.collateral).sum();
    let upnl_credit: u128 = venues.iter().map(|v| v.upnl_credit).sum();
    let upnl_debit: u128 = venues.iter().map(|v| v.upnl_debit).sum();
    let mm = venues.iter().map(|v| v.mm).sum::<u128>() + order_terms.mm;
    let equity = collateral as i128 + upnl_credit as i128 - upnl_debit as i128;
    let requirement = requirement(mm, level_ppm);
    let headroom = equity - requirement as i128;
    Ok(Report {
        chains,
        venues,
        order: order_terms,
        collateral,
        upnl_credit,
        upnl_debit,
        equity,
        mm,
        level_ppm,
        requirement,
        headroom,
        solvent: headroom >= 0,
    })
}
