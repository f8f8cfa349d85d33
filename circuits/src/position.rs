//! What a book is made of: a position slot (its kind, side, size, price and expiry), the
//! instrument a position is in (the key of its risk-table row), and why a book cannot be
//! evaluated. Plain types with no rules: the margin engine (`margin`) and the portfolio
//! rules (`portfolio`) both build on them.

use serde::{Deserialize, Serialize};

/// What a position slot holds. The code is the slot's `kind` field in a venue leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
        // Match on the `u64` itself: `code as usize` would truncate on 32-bit targets and
        // read, say, `2^32 + 1` as a perpetual.
        match code {
            0 => Some(Kind::Empty),
            1 => Some(Kind::Perp),
            2 => Some(Kind::Call),
            3 => Some(Kind::Put),
            _ => None,
        }
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

/// The key of an instrument: a perpetual is one instrument per underlying (strike and expiry
/// 0, whatever its entry); an option is its kind, underlying, strike and expiry. The field
/// order is the table's order (underlying, kind, expiry, strike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstrumentKey {
    pub underlying: usize,
    pub kind: Kind,
    pub expiry: u64,
    /// Strike, e8 (0 for a perpetual).
    pub strike: u64,
}

impl InstrumentKey {
    /// The instrument a position is in (`None` for an empty slot).
    pub fn of(position: &Position) -> Option<InstrumentKey> {
        match position.kind {
            Kind::Empty => None,
            Kind::Perp => Some(InstrumentKey {
                underlying: position.underlying,
                kind: Kind::Perp,
                expiry: 0,
                strike: 0,
            }),
            kind => Some(InstrumentKey {
                underlying: position.underlying,
                kind,
                expiry: position.expiry,
                strike: position.price,
            }),
        }
    }

    /// The perpetual on `underlying`.
    pub fn perp(underlying: usize) -> InstrumentKey {
        InstrumentKey {
            underlying,
            kind: Kind::Perp,
            expiry: 0,
            strike: 0,
        }
    }
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
    #[error("chain index {0} is not in the snapshot")]
    UnknownChain(usize),
    #[error("the snapshot has no {table} entry for index {index}")]
    MissingParameter { table: &'static str, index: usize },
    #[error("no row of the risk table for {0:?}: the publisher does not list this instrument")]
    NotInRiskTable(InstrumentKey),
    #[error("{what} {value} is out of range (must be {bound})")]
    OutOfRange {
        what: &'static str,
        value: u64,
        bound: &'static str,
    },
}
