//! The public inputs, copied from the instance into range-checked cells, and the keyed prices
//! a slot selects its underlying's price from.
//!
//! | step | cells | bound |
//! |---|---|---|
//! | rates | prices, `1e6 - haircut`, short-option minimum and contingency rates, `1e6 - upnl haircut` | prices `< 2^48`, ppm `x` and `1e6 - x` both `< 2^20` |
//! | epoch | `epoch < 2^64` | |
//! | members | chain and venue ids; the venue count | ids `< 2^32`, count `< 2V` (V a power of two in every profile; the credit lines refine it to `<= V`) |
//! | listed assets | `last asset = asset count - 1 < A` | a position on a padding asset |
//! | level | `level - 1e6` and `1e7 - level` `< 2^24` | a level outside `[1e6, 1e7]` |
//! | risk root | a copy of the instance (unbounded: a hash) | |
//! | keyed prices | `a + 2^8 P_a` per asset | (the slot's selection: its underlying and its price are one record) |
//!
//! A public value outside its bound could make a product wrap; the verifier's snapshot check
//! refuses it too, this is defence in depth.

use halo2_proofs::{circuit::Layouter, plonk::Error};

use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::instance::InstanceLayout;
use crate::packing;
use crate::units::{EPOCH_BITS, ID_BITS, MAX_LEVEL_PPM, MIN_LEVEL_PPM, PPM, PRICE_BITS, RATE_BITS};

/// Bits of the level's distance to its bounds: `1e7 - 1e6 < 2^24`.
const LEVEL_GAP_BITS: usize = 24;

/// Public cells loaded from the instance.
pub struct Publics {
    pub epoch: Cell,
    pub one_minus_upnl_haircut: Cell,
    /// `one_minus_haircut[asset][chain]`.
    pub one_minus_haircut: Vec<Vec<Cell>>,
    pub prices: Vec<Cell>,
    /// The short-option minimum rate per asset (ppm).
    pub som_rates: Vec<Cell>,
    /// The contingency rate per asset (ppm).
    pub contingency_rates: Vec<Cell>,
    pub chain_ids: Vec<Cell>,
    pub venue_ids: Vec<Cell>,
    /// How many of the `V` venue slots the snapshot lists.
    pub venue_count: Cell,
    /// `asset count - 1`: the largest underlying a position may name.
    pub last_asset: Cell,
    pub level: Cell,
    /// The root of the risk table's tree.
    pub risk_root: Cell,
    /// `a + 2^8 P_a` per asset: what a slot selects by its underlying (`gadgets::slot`).
    pub keyed_prices: Vec<Cell>,
}

/// Bits an underlying occupies in a keyed price: `P_a` starts at bit 8, the slot word's width
/// of an underlying.
pub const KEYED_PRICE_SHIFT: u32 = 8;

/// The snapshot's rates.
struct Rates {
    prices: Vec<Cell>,
    one_minus_haircut: Vec<Vec<Cell>>,
    som_rates: Vec<Cell>,
    contingency_rates: Vec<Cell>,
    one_minus_upnl_haircut: Cell,
}

/// The chain and venue ids, and how many venues are listed.
struct Members {
    chain_ids: Vec<Cell>,
    venue_ids: Vec<Cell>,
    venue_count: Cell,
}

/// Which cell of a loaded ppm a table keeps.
#[derive(Clone, Copy)]
enum PpmSide {
    /// `x` itself (rates).
    Value,
    /// `1e6 - x` (haircuts, which value what is left after them).
    Complement,
}

/// Loads public inputs from the instance, range-checked.
struct Loader<'a> {
    chips: &'a Chips,
    layout: InstanceLayout,
}

impl Publics {
    /// Loads every public input, in this order.
    pub fn load(
        chips: &Chips,
        layouter: &mut impl Layouter<Fp>,
        layout: InstanceLayout,
    ) -> Result<Publics, Error> {
        let loader = Loader { chips, layout };
        let epoch = loader.public(layouter, "epoch", InstanceLayout::EPOCH, EPOCH_BITS)?;
        let rates = loader.rates(layouter)?;
        let members = loader.members(layouter)?;
        let last_asset = loader.last_asset(layouter)?;
        let level = loader.level(layouter)?;
        let risk_root =
            chips
                .arith
                .public(layouter, "risk root", chips.instance, layout.risk_root())?;
        let keyed_prices = cells(rates.prices.len(), |a| {
            chips.arith.linear(
                layouter,
                &format!("keyed price {a}"),
                &[(packing::pow2(KEYED_PRICE_SHIFT as usize), &rates.prices[a])],
                Fp::from(a as u64),
            )
        })?;
        Ok(Publics {
            epoch,
            one_minus_upnl_haircut: rates.one_minus_upnl_haircut,
            one_minus_haircut: rates.one_minus_haircut,
            prices: rates.prices,
            som_rates: rates.som_rates,
            contingency_rates: rates.contingency_rates,
            chain_ids: members.chain_ids,
            venue_ids: members.venue_ids,
            venue_count: members.venue_count,
            last_asset,
            level,
            risk_root,
            keyed_prices,
        })
    }
}

/// `n` cells, the `i`-th made by `cell(i)`.
fn cells<T>(n: usize, cell: impl FnMut(usize) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    (0..n).map(cell).collect()
}

impl Loader<'_> {
    /// The public input at `row`, checked to `[0, 2^bits)`.
    fn public(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        row: usize,
        bits: usize,
    ) -> Result<Cell, Error> {
        let instance = self.chips.instance;
        self.chips
            .range
            .public_range_checked(layouter, name, instance, row, bits)
    }

    /// A ppm from the instance: `x < 2^20` and `1e6 - x < 2^20`, so `0 <= x <= 1e6`.
    /// Returns `(x, 1e6 - x)`.
    fn ppm(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        row: usize,
    ) -> Result<(Cell, Cell), Error> {
        let x = self.public(layouter, name, row, RATE_BITS)?;
        let complement = self.chips.arith.linear(
            layouter,
            &format!("{name}: 1e6 - x"),
            &[(-Fp::one(), &x)],
            Fp::from(PPM),
        )?;
        let check = format!("{name} <= 1e6");
        self.chips
            .range
            .range_check(layouter, &check, &complement, RATE_BITS)?;
        Ok((x, complement))
    }

    /// A `rows x cols` table of ppm values row by row (`ppm` each, named `"{name} {i} {j}"`,
    /// from instance row `row_of(i, j)`), keeping one side of each.
    fn ppm_table(
        &self,
        layouter: &mut impl Layouter<Fp>,
        name: &str,
        (rows, cols): (usize, usize),
        row_of: impl Fn(usize, usize) -> usize,
        side: PpmSide,
    ) -> Result<Vec<Vec<Cell>>, Error> {
        cells(rows, |i| {
            cells(cols, |j| {
                let (x, complement) =
                    self.ppm(layouter, &format!("{name} {i} {j}"), row_of(i, j))?;
                Ok(match side {
                    PpmSide::Value => x,
                    PpmSide::Complement => complement,
                })
            })
        })
    }

    /// Prices, haircuts, the portfolio rates, the upnl haircut.
    fn rates(&self, layouter: &mut impl Layouter<Fp>) -> Result<Rates, Error> {
        let (l, p) = (self.layout, self.layout.profile);
        let prices = cells(p.assets, |a| {
            self.public(layouter, &format!("price {a}"), l.price(a), PRICE_BITS)
        })?;
        let haircuts = (p.assets, p.chains);
        let one_minus_haircut = self.ppm_table(
            layouter,
            "haircut",
            haircuts,
            |a, c| l.haircut(a, c),
            PpmSide::Complement,
        )?;
        let per_asset = (1, p.assets);
        let mut som_rates = self.ppm_table(
            layouter,
            "som rate",
            per_asset,
            |_, a| l.som_rate(a),
            PpmSide::Value,
        )?;
        let mut contingency_rates = self.ppm_table(
            layouter,
            "contingency rate",
            per_asset,
            |_, a| l.contingency_rate(a),
            PpmSide::Value,
        )?;
        let (_, one_minus_upnl_haircut) = self.ppm(layouter, "upnl haircut", l.upnl_haircut())?;
        Ok(Rates {
            prices,
            one_minus_haircut,
            som_rates: som_rates.remove(0),
            contingency_rates: contingency_rates.remove(0),
            one_minus_upnl_haircut,
        })
    }

    /// The chain and venue ids, and the venue count (`< 2V`; the credit lines tie it to
    /// their listed flags, which bound it to `V`).
    fn members(&self, layouter: &mut impl Layouter<Fp>) -> Result<Members, Error> {
        let (l, p) = (self.layout, self.layout.profile);
        let mut ids = |member: &str, n: usize, row: fn(&InstanceLayout, usize) -> usize| {
            cells(n, |i| {
                let name = format!("{member} id {i}");
                self.public(layouter, &name, row(&l, i), ID_BITS)
            })
        };
        let chain_ids = ids("chain", p.chains, InstanceLayout::chain_id)?;
        let venue_ids = ids("venue", p.venues, InstanceLayout::venue_id)?;
        let count_bits = (p.venues.trailing_zeros() as usize) + 1;
        let venue_count = self.public(layouter, "venue count", l.venue_count(), count_bits)?;
        Ok(Members {
            chain_ids,
            venue_ids,
            venue_count,
        })
    }

    /// The listed assets: `1 <= asset count <= A`, i.e. `last asset = count - 1` in `[0, A)`.
    /// A position on a padding asset (price 0, every rate 0) would otherwise be valued for
    /// free, and a short perpetual on one booked as a gain.
    fn last_asset(&self, layouter: &mut impl Layouter<Fp>) -> Result<Cell, Error> {
        let asset_bits = asset_bits(self.layout);
        let row = self.layout.asset_count();
        let asset_count = self.public(layouter, "asset count", row, asset_bits + 1)?;
        let last_asset = self.chips.arith.linear(
            layouter,
            "last asset = asset count - 1",
            &[(Fp::one(), &asset_count)],
            -Fp::one(),
        )?;
        let range = &self.chips.range;
        range.range_check(layouter, "last asset < A", &last_asset, asset_bits)?;
        Ok(last_asset)
    }

    /// The level, in `[1e6, 1e7]`.
    fn level(&self, layouter: &mut impl Layouter<Fp>) -> Result<Cell, Error> {
        let (arith, range) = (&self.chips.arith, &self.chips.range);
        let level = self.public(layouter, "level", self.layout.level(), LEVEL_GAP_BITS)?;
        let min = -Fp::from(MIN_LEVEL_PPM);
        let above_min = arith.linear(layouter, "level - 1e6", &[(Fp::one(), &level)], min)?;
        range.range_check(layouter, "level >= 1e6", &above_min, LEVEL_GAP_BITS)?;
        let max = Fp::from(MAX_LEVEL_PPM);
        let below_max = arith.linear(layouter, "1e7 - level", &[(-Fp::one(), &level)], max)?;
        range.range_check(layouter, "level <= 1e7", &below_max, LEVEL_GAP_BITS)?;
        Ok(level)
    }
}

/// Bits of an underlying: `log2 A`, at least 1.
pub fn asset_bits(layout: InstanceLayout) -> usize {
    (layout.profile.assets.trailing_zeros() as usize).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::harness::{failures, GadgetTest};
    use crate::profile::SMALL;

    const K: u32 = 12;

    /// The small profile's publics loaded from the instance; the keyed prices and the risk
    /// root are bound to the rows after the layout's.
    #[derive(Clone)]
    struct Load;

    impl GadgetTest for Load {
        fn synthesize(&self, chips: &Chips, layouter: &mut impl Layouter<Fp>) -> Result<(), Error> {
            let layout = InstanceLayout::new(SMALL);
            let publics = Publics::load(chips, layouter, layout)?;
            let after = layout.len();
            for (a, keyed) in publics.keyed_prices.iter().enumerate() {
                layouter.constrain_instance(keyed.cell(), chips.instance, after + a)?;
            }
            layouter.constrain_instance(publics.risk_root.cell(), chips.instance, after + 4)
        }
    }

    /// A valid instance of the small profile (three listed assets), then the four keyed prices
    /// `a + 2^8 P_a` and the risk root.
    fn instance() -> Vec<Fp> {
        let l = InstanceLayout::new(SMALL);
        let mut i = vec![Fp::zero(); l.len()];
        let prices = [
            100_000 * 100_000_000u64,
            3_200 * 100_000_000,
            100_000_000,
            0,
        ];
        for (a, p) in prices.iter().enumerate() {
            i[l.price(a)] = Fp::from(*p);
            i[l.som_rate(a)] = Fp::from(5_000);
            i[l.contingency_rate(a)] = Fp::from(1_000);
        }
        i[l.asset_count()] = Fp::from(3);
        i[l.risk_root()] = Fp::from(0xabc);
        i[l.venue_count()] = Fp::from(2);
        i[l.level()] = Fp::from(MIN_LEVEL_PPM);
        for (a, p) in prices.iter().enumerate() {
            i.push(Fp::from(a as u64) + packing::pow2(KEYED_PRICE_SHIFT as usize) * Fp::from(*p));
        }
        i.push(Fp::from(0xabc));
        i
    }

    fn load(edit: impl FnOnce(&mut Vec<Fp>, InstanceLayout)) -> Vec<String> {
        let mut i = instance();
        edit(&mut i, InstanceLayout::new(SMALL));
        failures(K, Load, i)
    }

    #[test]
    fn the_publics_load_with_their_keyed_prices_and_the_risk_root() {
        assert_eq!(load(|_, _| {}), Vec::<String>::new());
        // The keyed prices are each asset's own: BTC's keyed with ETH's index is refused, as is
        // another risk root.
        let after = InstanceLayout::new(SMALL).len();
        let found = load(|i, _| i[after] += Fp::one());
        assert!(!found.is_empty());
        let found = load(|i, _| i[after + 4] += Fp::one());
        assert!(!found.is_empty());
    }

    #[test]
    fn portfolio_rates_above_100_percent_are_refused() {
        for (what, row) in [
            (
                "som rate 0 1 <= 1e6",
                InstanceLayout::som_rate as fn(&InstanceLayout, usize) -> usize,
            ),
            (
                "contingency rate 0 1 <= 1e6",
                InstanceLayout::contingency_rate,
            ),
        ] {
            // 1e6 passes, 1e6 + 1 (whose `1e6 - x` wraps to p - 1) is refused.
            assert_eq!(
                load(|i, l| i[row(&l, 1)] = Fp::from(PPM)),
                Vec::<String>::new()
            );
            let found = load(|i, l| i[row(&l, 1)] = Fp::from(PPM + 1));
            assert!(found.iter().any(|f| f.contains(what)), "{what}: {found:?}");
        }
    }

    #[test]
    fn a_price_of_2_pow_48_is_refused() {
        // Refused where it is loaded, so a keyed price `a + 2^8 P` stays below `2^56`, one
        // asset's index and price.
        let found = load(|i, l| i[l.price(0)] = packing::pow2(PRICE_BITS));
        assert!(found.iter().any(|f| f.contains("price 0")), "{found:?}");
    }
}
