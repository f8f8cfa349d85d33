//! The margin circuit: DESIGN.md's statement.
//!
//! > I own account `idx` in every published tree; the balances and positions those trees hold
//! > for me, valued at the snapshot's prices and haircuts and netted across every venue under
//! > the publisher's scenarios, have equity at least `level` x their portfolio margin plus the
//! > credit lines I grant myself at each venue for this epoch; and this is the only such split
//! > of my headroom that I make in this epoch.
//!
//! Columns (chips share them; the hash has its own, so that its regions are laid out beside
//! the arithmetic ones: the floor planner starts a region at the first row where all its
//! columns are free):
//!
//! | column | used by |
//! |---|---|
//! | advice `a0..a3` | arithmetic, Merkle and select chips (`a`, `b`, `c`, `d`) |
//! | advice `a4` | range-check running sums |
//! | advice `a5..a7`, `a8..a14` | Poseidon state and S-box cells (`chips::poseidon`) |
//! | instance | the public inputs (`instance::InstanceLayout`) |
//! | fixed | constants (1), Poseidon round constants (7), arithmetic coefficients (6), range table and shift (2) |
//!
//! Every gate has degree at most 4 and the range lookup degree 5, so halo2 evaluates the
//! circuit on an extended domain of `4n` points (a degree of 6 would double it).
//!
//! The synthesis, in order, one gadget per step, and the cheat each stops (statement version
//! 3, portfolio margin):
//!
//! 1. Public inputs are copied from the instance into range-checked cells, and each asset's
//!    price keyed by its index (`gadgets::publics`): a public value outside its bound could
//!    make a product wrap.
//! 2. `account_key = H(1, sk)`, and the nullifier `H(6, sk, epoch)` equal to the public one:
//!    every certificate of this account in this epoch carries it, so a registry sees a second
//!    split of the same headroom (`gadgets::account`).
//! 3. The account index is split into `depth` boolean cells, shared by every Merkle path.
//! 4. Each chain: the leaf gadget (`gadgets::leaf`) opens `present * H(3, key, chain_id, x..,
//!    salt)` at the shared index under the public root; its amounts are `< 2^64`, zero unless
//!    `present`, and valued `floor(x P (1e6 - h) / 1e17)` (`gadgets::collateral`).
//! 5. Each venue: the same leaf gadget with `H(4, key, venue_id, slots.., salt)`, every slot's
//!    kind zero unless `present`; every slot opens its instrument's row of the publisher's risk
//!    table under the public risk root, adds its perpetual profit and loss or its option's
//!    mark to the equity, and its scenario losses to its underlying's sums, whatever the venue
//!    (`gadgets::positions`, `gadgets::slot`, `gadgets::risk_row`).
//! 6. Per underlying: the worst of the sixteen scenario sums, the short-option minimum and the
//!    contingency; `mm = sum_a max(scan, som) + cont` (`gadgets::portfolio`).
//! 7. The credit lines: per venue slot `c_v = H(5, listed_v H(2, sk, id_v), a_v, s_v)` equal to
//!    the public commitment, `a_v < 2^100` and zero on padding slots (`gadgets::lines`): a
//!    venue that opens its commitment learns its line, bound to the tag it registered.
//! 8. `requirement = ceil(mm level / 1e6)`, and `equity - requirement - sum a_v` is
//!    range-checked to `2^100`: were it negative it would be a field element near `p` and fail
//!    (`gadgets::solvency`).

pub use crate::config::MarginConfig;
use halo2_proofs::{
    circuit::{Layouter, SimpleFloorPlanner, Value},
    plonk::{Circuit, ConstraintSystem, Error},
};

use crate::chips::arith::ArithInstructions;
use crate::chips::arith::Cell;
use crate::gadgets::leaf::{self, LeafHead, Tree};
use crate::gadgets::portfolio::ScenarioSums;
use crate::gadgets::positions::{self, Valuation};
use crate::gadgets::publics::Publics;
use crate::gadgets::solvency::Totals;
use crate::gadgets::{account, collateral, lines};
use crate::hash::{Fp, TAG_COLLATERAL_LEAF, TAG_POSITION_LEAF, TAG_RISK_LEAF};
use crate::instance::{InstanceLayout, PublicStatement};
use crate::margin::portfolio_margin;
use crate::profile::Profile;
use crate::witness::AccountWitness;

/// The margin circuit for one profile.
#[derive(Clone, Debug)]
pub struct MarginCircuit {
    pub profile: Profile,
    /// The prover's copy of the public statement (the instance is what binds it).
    pub statement: Value<PublicStatement>,
    pub witness: Value<AccountWitness>,
}

impl MarginCircuit {
    /// The circuit of a profile with no witness (for key generation).
    pub fn blank(profile: Profile) -> MarginCircuit {
        MarginCircuit {
            profile,
            statement: Value::unknown(),
            witness: Value::unknown(),
        }
    }

    /// The circuit for an honest proof.
    pub fn new(statement: PublicStatement, witness: AccountWitness) -> MarginCircuit {
        MarginCircuit {
            profile: statement.profile,
            statement: Value::known(statement),
            witness: Value::known(witness),
        }
    }
}

impl Circuit<Fp> for MarginCircuit {
    type Config = MarginConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        MarginCircuit::blank(self.profile)
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
        MarginConfig::configure(meta)
    }

    fn synthesize(
        &self,
        config: MarginConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        let chips = config.chips();
        let layouter = &mut layouter;
        let p = self.profile;
        let layout = InstanceLayout::new(p);
        let w = self.witness.as_ref();
        chips.range.load_table(layouter)?;

        // The snapshot's prices, haircuts, rates, members, the level and the risk root,
        // range-checked, and the keyed prices slots select from.
        let publics = Publics::load(&chips, layouter, layout)?;
        let params = self.statement.as_ref().map(|s| &s.params);
        let risk_domain = chips
            .arith
            .constant(layouter, "tag 7", Fp::from(TAG_RISK_LEAF))?;
        let valuation = Valuation {
            profile: p,
            publics: &publics,
            prices: params.map(|params| params.prices.as_slice()),
            risk_domain: &risk_domain,
        };

        // "I own account idx": the key my leaves carry.
        let account = account::secret_and_key(&chips, layouter, w)?;
        let key = &account.key;
        // "... and this is the only split of my headroom in this epoch": the nullifier.
        let nullifier_row = layout.nullifier();
        account::nullifier(&chips, layouter, &account.sk, &publics.epoch, nullifier_row)?;
        // "... in every published tree": one index, shared by every path.
        let index = account::index_bits(&chips, layouter, w, p.depth)?;

        let head = |tree| leaf_head(tree, key, &publics, layout, w);

        let mut totals = Totals::zero(&chips, layouter)?;
        // "... the balances those trees hold for me, valued at the snapshot's prices and
        // haircuts".
        for c in 0..p.chains {
            let balances = w.map(|w| w.balances[c].clone());
            leaf::open(
                &chips,
                layouter,
                head(Tree::Chain(c)),
                &index,
                |layouter, present| {
                    let totals = &mut totals;
                    collateral::amounts(&chips, layouter, &publics, c, present, balances, totals)
                },
            )?;
        }
        // "... and the positions those trees hold for me, netted across every venue".
        let zero = chips
            .arith
            .constant(layouter, "scenario sums start", Fp::zero())?;
        let mut sums = ScenarioSums::new(p.assets, &zero);
        for v in 0..p.venues {
            let slots = w.map(|w| (w.positions[v].clone(), w.risk_openings[v].clone()));
            leaf::open(
                &chips,
                layouter,
                head(Tree::Venue(v)),
                &index,
                |layouter, present| {
                    let (totals, sums) = (&mut totals, &mut sums);
                    positions::slots(
                        &chips, layouter, &valuation, v, present, slots, totals, sums,
                    )
                },
            )?;
        }
        // "... under the publisher's scenarios": the portfolio margin.
        let claims = w.zip(params).map(|(w, params)| {
            portfolio_margin(params, w.positions.iter().flatten())
                .unwrap_or_else(|_| vec![Default::default(); p.assets])
        });
        let mm = sums.finish(&chips, layouter, &publics, claims.as_ref())?;
        // "... plus the credit lines I grant myself at each venue".
        let statement = self.statement.as_ref();
        let sk = &account.sk;
        let lines = lines::credit_lines(&chips, layouter, layout, &publics, sk, statement, w)?;

        // "... have equity at least level x maintenance margin plus the lines".
        totals.assert_certified(&chips, layouter, &mm, &publics.level, &lines)
    }
}

/// The account's leaf in `tree`: its domain tag, member id, public root and opening.
fn leaf_head<'a>(
    tree: Tree,
    key: &'a Cell,
    publics: &'a Publics,
    layout: InstanceLayout,
    witness: Value<&AccountWitness>,
) -> LeafHead<'a> {
    let (domain, member_id, root_row, opening) = match tree {
        Tree::Chain(c) => (
            TAG_COLLATERAL_LEAF,
            &publics.chain_ids[c],
            layout.chain_root(c),
            witness.map(|w| w.chain_openings[c].clone()),
        ),
        Tree::Venue(v) => (
            TAG_POSITION_LEAF,
            &publics.venue_ids[v],
            layout.venue_root(v),
            witness.map(|w| w.venue_openings[v].clone()),
        ),
    };
    LeafHead {
        tree,
        domain,
        key,
        member_id,
        root_row,
        opening,
    }
}

/// A margin circuit whose prover follows a forgery plan (`forgery`), for the dishonest-prover
/// corpus: the same constraint system, with the plan installed while it synthesizes.
#[cfg(feature = "testing")]
#[derive(Clone, Debug)]
pub struct Forged {
    pub circuit: MarginCircuit,
    pub plan: Vec<crate::forgery::Forgery>,
}

#[cfg(feature = "testing")]
impl Circuit<Fp> for Forged {
    type Config = MarginConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        Forged {
            circuit: self.circuit.without_witnesses(),
            plan: vec![],
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> MarginConfig {
        MarginCircuit::configure(meta)
    }

    fn synthesize(&self, config: MarginConfig, layouter: impl Layouter<Fp>) -> Result<(), Error> {
        crate::forgery::with_plan(&self.plan, || self.circuit.synthesize(config, layouter))
    }
}
