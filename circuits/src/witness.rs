//! The private witness of the margin circuit: what only the trader knows.

use crate::hash::{self, empty_roots, Fp, MerkleTree};
use crate::margin::{Book, MarginError, Position};
use crate::portfolio::{InstrumentKey, RiskRow, RiskTable, SCENARIOS};
use crate::profile::Profile;

/// How a leaf is opened in its tree.
#[derive(Clone, PartialEq, Eq)]
pub struct LeafOpening {
    /// Whether the tree holds this account's leaf at its index (else it holds 0 there and
    /// every amount or slot must be zero).
    pub present: bool,
    pub salt: Fp,
    /// Siblings from the leaf up, `depth` of them.
    pub path: Vec<Fp>,
}

/// The salt is secret: debug output leaves it out.
impl std::fmt::Debug for LeafOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafOpening")
            .field("present", &self.present)
            .field("salt", &"<secret>")
            .field("path", &format_args!("<{} siblings>", self.path.len()))
            .finish()
    }
}

impl LeafOpening {
    /// The opening of index `idx`'s zero leaf in an empty tree (used for padded chains and
    /// venues, whose public root is the empty root).
    pub fn empty(depth: usize) -> LeafOpening {
        LeafOpening {
            present: false,
            salt: Fp::zero(),
            path: empty_roots(depth)[..depth].to_vec(),
        }
    }
}

/// How a position slot opens its instrument's row of the risk table (statement version 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskOpening {
    /// The row: its mark and vector are witnessed (its key is the slot's own cells).
    pub row: RiskRow,
    /// The row's index in the table.
    pub index: u64,
    /// Siblings from the leaf up, `risk_depth` of them.
    pub path: Vec<Fp>,
}

impl RiskOpening {
    /// What an empty slot opens: nothing under the root (the circuit checks the root only for
    /// a held instrument), a row of zeros.
    pub fn empty(depth: usize) -> RiskOpening {
        RiskOpening {
            row: RiskRow {
                key: InstrumentKey::perp(0),
                mark: 0,
                vector: [0; SCENARIOS],
            },
            index: 0,
            path: vec![Fp::zero(); depth],
        }
    }

    /// The opening of `position`'s row in `table`, whose tree is `tree`; `None` for an empty
    /// slot, an error for an instrument the table does not list.
    pub fn of(
        table: &RiskTable,
        tree: &MerkleTree,
        position: &Position,
    ) -> Result<Option<RiskOpening>, MarginError> {
        let Some(key) = InstrumentKey::of(position) else {
            return Ok(None);
        };
        let index = table.find(&key).ok_or(MarginError::NotInRiskTable(key))?;
        Ok(Some(RiskOpening {
            row: table.rows[index].clone(),
            index: index as u64,
            path: tree.path(index as u64),
        }))
    }
}

/// One venue slot's credit line in a certificate: the allowance (uusd, `< 2^100`) and the
/// salt that hides it in the commitment `H(5, tag, allowance, salt)`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct LineSecret {
    pub allowance: u128,
    pub salt: Fp,
}

/// The salt is secret: debug output leaves it out.
impl std::fmt::Debug for LineSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineSecret")
            .field("allowance", &self.allowance)
            .field("salt", &"<secret>")
            .finish()
    }
}

/// Everything the trader proves about, padded to the profile.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountWitness {
    pub sk: Fp,
    /// The account's index in every tree, `< 2^depth`.
    pub idx: u64,
    /// `balances[chain][asset]` over the profile's `C x A` (e9).
    pub balances: Vec<Vec<u64>>,
    /// `positions[venue][slot]` over the profile's `V x P`.
    pub positions: Vec<Vec<Position>>,
    /// One opening per chain (`C`).
    pub chain_openings: Vec<LeafOpening>,
    /// One opening per venue (`V`).
    pub venue_openings: Vec<LeafOpening>,
    /// One credit line per venue slot (`V`); padding slots' are zero.
    pub lines: Vec<LineSecret>,
    /// `risk_openings[venue][slot]`: each slot's row of the risk table (`V x P`).
    pub risk_openings: Vec<Vec<RiskOpening>>,
}

/// The secret key never appears in debug output.
impl std::fmt::Debug for AccountWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountWitness")
            .field("sk", &"<secret>")
            .field("idx", &self.idx)
            .field("balances", &self.balances)
            .field("positions", &self.positions)
            .field("chain_openings", &self.chain_openings)
            .field("venue_openings", &self.venue_openings)
            .field("lines", &self.lines)
            .field(
                "risk_openings",
                &format_args!("<{} venues>", self.risk_openings.len()),
            )
            .finish()
    }
}

impl AccountWitness {
    /// Pads a book over the snapshot's real chains, assets and venues (and its openings) to
    /// the profile, with every credit line zero (see [`AccountWitness::with_lines`]).
    pub fn padded(
        profile: Profile,
        sk: Fp,
        idx: u64,
        book: &Book,
        chain_openings: &[LeafOpening],
        venue_openings: &[LeafOpening],
    ) -> AccountWitness {
        let mut balances: Vec<Vec<u64>> = book
            .balances
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.resize(profile.assets, 0);
                row
            })
            .collect();
        balances.resize(profile.chains, vec![0; profile.assets]);
        let mut positions: Vec<Vec<Position>> = book
            .positions
            .iter()
            .map(|slots| {
                let mut slots = slots.clone();
                slots.resize(profile.positions, Position::EMPTY);
                slots
            })
            .collect();
        positions.resize(profile.venues, vec![Position::EMPTY; profile.positions]);
        let pad_openings = |openings: &[LeafOpening], n: usize| {
            let mut openings = openings.to_vec();
            openings.resize(n, LeafOpening::empty(profile.depth));
            openings
        };
        AccountWitness {
            sk,
            idx,
            balances,
            positions,
            chain_openings: pad_openings(chain_openings, profile.chains),
            venue_openings: pad_openings(venue_openings, profile.venues),
            lines: vec![LineSecret::default(); profile.venues],
            risk_openings: vec![
                vec![RiskOpening::empty(profile.risk_depth); profile.positions];
                profile.venues
            ],
        }
    }

    /// The same book with every held slot's row opened in `table` (whose tree is `tree`, of
    /// the profile's risk depth). An instrument the table does not list is an error: its
    /// position cannot be proved.
    pub fn with_risk_openings(
        mut self,
        table: &RiskTable,
        tree: &MerkleTree,
    ) -> Result<AccountWitness, MarginError> {
        for (v, slots) in self.positions.iter().enumerate() {
            for (s, position) in slots.iter().enumerate() {
                if let Some(opening) = RiskOpening::of(table, tree, position)? {
                    self.risk_openings[v][s] = opening;
                }
            }
        }
        Ok(self)
    }

    /// The same book with these credit lines, one per listed venue (in the snapshot's venue
    /// order), padded with zero lines to the profile's venue slots.
    pub fn with_lines(mut self, lines: &[LineSecret]) -> AccountWitness {
        let slots = self.lines.len();
        self.lines = lines.to_vec();
        self.lines.resize(slots, LineSecret::default());
        self
    }

    /// The epoch nullifier `H(6, sk, epoch)` this witness proves.
    pub fn nullifier(&self, epoch: u64) -> Fp {
        hash::nullifier(self.sk, epoch)
    }

    /// The credit-line commitments this witness proves, one per venue slot of `venue_ids`
    /// (padded to the profile): `H(5, H(2, sk, id_v), a_v, s_v)` for the first
    /// `venue_count` (listed) slots, `H(5, 0, a_v, s_v)` past them (the circuit then demands
    /// `a_v = 0`).
    pub fn commitments(&self, venue_ids: &[u64], venue_count: usize) -> Vec<Fp> {
        venue_ids
            .iter()
            .zip(&self.lines)
            .enumerate()
            .map(|(v, (&id, line))| {
                let tag = if v < venue_count {
                    hash::account_tag(self.sk, id)
                } else {
                    Fp::zero()
                };
                hash::credit_commitment(tag, line.allowance, line.salt)
            })
            .collect()
    }

    /// The book as the reference engine sees it (padded).
    pub fn book(&self) -> Book {
        Book {
            balances: self.balances.clone(),
            positions: self.positions.clone(),
        }
    }
}
