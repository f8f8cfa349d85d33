//! The public inputs, copied from the instance into range-checked cells, and the parameter
//! records the slots select from (`record`).
//!
//! | step | cells | bound |
//! |---|---|---|
//! | rates | `valid_from`, prices, `1e6 - haircut`, perp mmr, option rates, bucket bounds, tau, `1e6 - upnl haircut` | times `< 2^40`, prices `< 2^48`, ppm `x` and `1e6 - x` both `< 2^20` |
//! | epoch | `epoch < 2^64` | |
//! | members | chain and venue ids; the venue count | ids `< 2^32`, count `<= 2V` (the credit lines refine it) |
//! | listed assets | `last asset = asset count - 1 < A` | a position on a padding asset |
//! | level | `level - 1e6` and `1e7 - level` `< 2^24` | a level outside `[1e6, 1e7]` |
//! | records | `lower[b] = max[b-1] + 1`, `factor = rate + tau`, one record per (venue, asset, bucket) | |
//!
//! A public value outside its bound could make a product wrap; the verifier's snapshot check
//! refuses it too, this is defence in depth.

use halo2_proofs::{circuit::Layouter, plonk::Error};

use super::record::{self, RecordCells};
use super::Chips;
use crate::chips::arith::{ArithInstructions, Cell};
use crate::chips::range::RangeInstructions;
use crate::hash::Fp;
use crate::instance::InstanceLayout;
use crate::units::{
    EPOCH_BITS, ID_BITS, MAX_LEVEL_PPM, MIN_LEVEL_PPM, PPM, PRICE_BITS, RATE_BITS, TIME_BITS,
};

/// Bits of the level's distance to its bounds: `1e7 - 1e6 < 2^24`.
const LEVEL_GAP_BITS: usize = 24;

/// Public cells loaded from the instance.
pub struct Publics {
    pub epoch: Cell,
    pub valid_from: Cell,
    pub one_minus_upnl_haircut: Cell,
    /// `one_minus_haircut[asset][chain]`.
    pub one_minus_haircut: Vec<Vec<Cell>>,
    pub prices: Vec<Cell>,
    pub chain_ids: Vec<Cell>,
    pub venue_ids: Vec<Cell>,
    /// How many of the `V` venue slots the snapshot lists.
    pub venue_count: Cell,
    /// `asset count - 1`: the largest underlying a position may name.
    pub last_asset: Cell,
    pub level: Cell,
    /// `records[v]`: venue `v`'s block of `A x B` records.
    pub records: Vec<Vec<Cell>>,
}

/// The snapshot's rates and times, before they are packed into records.
struct Rates {
    valid_from: Cell,
    prices: Vec<Cell>,
    one_minus_haircut: Vec<Vec<Cell>>,
    perp_mmr: Vec<Vec<Cell>>,
    option_rate: Vec<Cell>,
    bucket_max: Vec<Cell>,
    tau: Vec<Vec<Cell>>,
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
    /// Loads every public input and packs the records, in this order.
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
        let records = loader.records(layouter, &rates)?;
        Ok(Publics {
            epoch,
            valid_from: rates.valid_from,
            one_minus_upnl_haircut: rates.one_minus_upnl_haircut,
            one_minus_haircut: rates.one_minus_haircut,
            prices: rates.prices,
            chain_ids: members.chain_ids,
            venue_ids: members.venue_ids,
            venue_count: members.venue_count,
            last_asset,
            level,
            records,
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

    /// Times, prices, haircuts, margin rates, option rates, expiry buckets, the upnl haircut.
    fn rates(&self, layouter: &mut impl Layouter<Fp>) -> Result<Rates, Error> {
        let (l, p) = (self.layout, self.layout.profile);
        let valid_from = self.public(
            layouter,
            "valid_from",
            InstanceLayout::VALID_FROM,
            TIME_BITS,
        )?;
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
        let mmr = (p.venues, p.assets);
        let perp_mmr = self.ppm_table(
            layouter,
            "perp mmr",
            mmr,
            |v, a| l.perp_mmr(v, a),
            PpmSide::Value,
        )?;
        let option_rate = cells(p.assets, |a| {
            Ok(self
                .ppm(layouter, &format!("option rate {a}"), l.option_rate(a))?
                .0)
        })?;
        let bucket_max = cells(p.buckets, |b| {
            self.public(
                layouter,
                &format!("bucket {b} max"),
                l.bucket_max(b),
                TIME_BITS,
            )
        })?;
        let taus = (p.buckets, p.assets);
        let tau = self.ppm_table(layouter, "tau", taus, |b, a| l.tau(b, a), PpmSide::Value)?;
        let (_, one_minus_upnl_haircut) = self.ppm(layouter, "upnl haircut", l.upnl_haircut())?;
        Ok(Rates {
            valid_from,
            prices,
            one_minus_haircut,
            perp_mmr,
            option_rate,
            bucket_max,
            tau,
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

    /// Bucket bounds (upper `max_seconds[b]`, lower `max_seconds[b - 1] + 1`, 0 for `b = 0`),
    /// option factors `rate[a] + tau[b][a]`, then one record per (venue, asset, bucket).
    fn records(
        &self,
        layouter: &mut impl Layouter<Fp>,
        rates: &Rates,
    ) -> Result<Vec<Vec<Cell>>, Error> {
        let p = self.layout.profile;
        let arith = &self.chips.arith;
        let mut lower = vec![arith.constant(layouter, "bucket 0 lower", Fp::zero())?];
        for b in 1..p.buckets {
            let name = format!("bucket {b} lower");
            let previous = &rates.bucket_max[b - 1];
            lower.push(arith.linear(layouter, &name, &[(Fp::one(), previous)], Fp::one())?);
        }
        let factors = cells(p.assets, |a| {
            cells(p.buckets, |b| {
                let terms = [
                    (Fp::one(), &rates.option_rate[a]),
                    (Fp::one(), &rates.tau[b][a]),
                ];
                arith.linear(
                    layouter,
                    &format!("option factor {a} {b}"),
                    &terms,
                    Fp::zero(),
                )
            })
        })?;
        cells(p.venues, |v| {
            let mut block = Vec::with_capacity(p.records_per_venue());
            for (a, asset_factors) in factors.iter().enumerate() {
                for (b, option_factor) in asset_factors.iter().enumerate() {
                    let cells = RecordCells {
                        price: &rates.prices[a],
                        perp_mmr: &rates.perp_mmr[v][a],
                        option_factor,
                        lower: &lower[b],
                        upper: &rates.bucket_max[b],
                    };
                    let index = ((v * p.assets + a) * p.buckets + b) as u64;
                    let name = format!("record {v} {a} {b}");
                    block.push(record::pack(arith, layouter, &name, &cells, index)?);
                }
            }
            Ok(block)
        })
    }
}

/// Bits of an underlying: `log2 A`, at least 1.
fn asset_bits(layout: InstanceLayout) -> usize {
    (layout.profile.assets.trailing_zeros() as usize).max(1)
}
