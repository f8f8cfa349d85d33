//! Haircuts from volatility and relay latency (`zkmargin risk haircuts`, `--risk`).
//!
//! Collateral on chain `c` can be sold only after a state change has reached the venue, the
//! asset has been moved, and the sale done. Over that horizon the price moves; the haircut
//! covers `z` standard deviations of the move plus add-ons for de-peg (`jump`) and bridge
//! (`bridge`) risk:
//!
//! ```text
//! T[a][c]       = finality[c] + relay[c] + stale + liquidation[a]          (seconds)
//! haircut[a][c] = min(1, jump[a] + bridge[c] + z * sigma[a] * sqrt(T[a][c] / 31536000))
//! ```
//!
//! published as whole ppm, rounded **up** (against the trader, like every charge).
//!
//! The risk file (`zkmargin.risk/1`) is read by `zkmargin_formats::risk`; [`Haircuts`]
//! computes the table from it.
//!
//! ## Exact rounding
//!
//! No floating point and no square root are used: the ceiling is decided by an exact integer
//! comparison. With every decimal read as an integer scaled by 1e9 (`z9 = z * 1e9`, ...), write
//! `M = z9 * sigma9` (so `z * sigma = M / 1e18`), `J = jump9 + bridge9` (so
//! `jump + bridge = J / 1e9`) and `Y = 31536000`. The haircut in ppm is
//!
//! ```text
//! x = 1e6 * (J / 1e9 + (M / 1e18) * sqrt(T / Y)) = J / 1e3 + M * sqrt(T / Y) / 1e12
//! ```
//!
//! For an integer `k`, `ceil(x) <= k` holds exactly when `x <= k`, that is when
//!
//! ```text
//! M * sqrt(T / Y) <= D_k,   where D_k = 1e12 * k - 1e9 * J   (an integer)
//! ```
//!
//! The left side is `>= 0`. If `D_k < 0` this is false. If `D_k >= 0` both sides are
//! non-negative, so squaring preserves the order, and multiplying by `Y > 0` too:
//!
//! ```text
//! M^2 * T <= Y * D_k^2                                                  (*)
//! ```
//!
//! an inequality between integers, evaluated exactly in 256 bits ([`mul_wide`]):
//! `M < 1e22 < 2^74` and `T < 2^42` give `M * T < 2^116` and `M * (M * T) < 2^190`;
//! `0 <= D_k <= 1e18 < 2^60` for `k <= 1e6` gives `D_k * Y < 2^85` and `D_k * (D_k * Y) < 2^145`.
//! `P(k) = (D_k >= 0 and (*))` is monotone in `k` (`D_k` grows with `k`), so the least `k` in
//! `[0, 1e6]` with `P(k)` is found by bisection and is exactly `ceil(x)`; when `P(1e6)` fails,
//! `x > 1e6` and the haircut is capped at 1e6 (`min(1, .)` commutes with the ceiling because
//! 1e6 is an integer). There is no approximation anywhere, so no off-by-one is possible: the
//! result is the ceiling of the real number `x` itself.

use zkmargin_circuits::snapshot::{Asset, Member};
use zkmargin_circuits::units::PPM;
use zkmargin_formats::input_error::InputError;
use zkmargin_formats::json::key_path;
use zkmargin_formats::risk::MAX_FACTOR;
use zkmargin_formats::risk::{AssetRisk, ChainRisk, RiskModel};

/// Seconds in the year `sigma` is annualised over (365 days).
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// One cell of the table and its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Haircut {
    /// `min(1e6, ceil(1e6 * (jump + bridge + z sigma sqrt(T / Y))))`.
    pub ppm: u64,
    /// The latency term alone, `min(1e6, ceil(1e6 * z sigma sqrt(T / Y)))`.
    pub latency_ppm: u64,
    /// The add-ons alone, `min(1e6, ceil(1e6 * (jump + bridge)))`.
    pub addon_ppm: u64,
    /// The horizon `T`, seconds.
    pub horizon_seconds: u64,
    /// Whether the formula exceeded 1 (100%) and was capped.
    pub capped: bool,
}

/// `a * b` as `(high, low)` 128-bit halves: exact.
pub fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    // The middle column: each term < 2^64, so the sum < 2^66.
    let middle = (lo_lo >> 64) + (hi_lo & MASK) + (lo_hi & MASK);
    let low = (middle << 64) | (lo_lo & MASK);
    let high = hi_hi + (hi_lo >> 64) + (lo_hi >> 64) + (middle >> 64);
    (high, low)
}

/// `min(1e6, ceil(1e6 * (J / 1e9 + (M / 1e18) * sqrt(T / Y))))`, exactly (see the module
/// documentation). `addon` is `J` (`< 2^62`), `factor` is `M` (`<= 1e22`), `horizon` is `T`
/// (`< 2^42`). Returns the value and whether it was capped.
pub fn ceil_ppm(addon: u64, factor: u128, horizon: u64) -> (u64, bool) {
    debug_assert!(factor <= (MAX_FACTOR as u128) * (MAX_FACTOR as u128));
    debug_assert!(horizon < 1 << 42);
    let lhs = mul_wide(factor, factor * horizon as u128);
    // P(k): x <= k.
    let fits = |k: u64| -> bool {
        let d = 1_000_000_000_000i128 * k as i128 - 1_000_000_000i128 * addon as i128;
        if d < 0 {
            return false;
        }
        let d = d as u128;
        lhs <= mul_wide(d, d * SECONDS_PER_YEAR as u128)
    };
    if !fits(PPM) {
        return (PPM, true);
    }
    // Invariant: P(hi) holds; P(k) fails for every k < lo.
    let (mut lo, mut hi) = (0u64, PPM);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    (hi, false)
}

/// The haircuts of a risk model.
pub trait Haircuts {
    /// The haircut of `asset` on `chain`.
    fn haircut(&self, asset: &AssetRisk, chain: &ChainRisk) -> Haircut;
    /// The whole table, `table[asset][chain]`, in the file's order.
    fn table(&self) -> Vec<Vec<Haircut>>;
    /// The haircuts of a network's assets on its chains (`haircuts_ppm[asset][chain]`): every
    /// one must be in the model (extra entries in the model are unused).
    fn haircuts_for(
        &self,
        assets: &[Asset],
        chains: &[Member],
    ) -> Result<Vec<Vec<u64>>, InputError>;
}

impl Haircuts for RiskModel {
    /// The haircut of `asset` on `chain`.
    fn haircut(&self, asset: &AssetRisk, chain: &ChainRisk) -> Haircut {
        // Each time is < 2^40, so the sum of four is < 2^42.
        let horizon = chain.finality_seconds
            + chain.relay_seconds
            + self.stale_seconds
            + asset.liquidation_seconds;
        let factor = self.z as u128 * asset.sigma as u128;
        let addon = asset.jump + chain.bridge;
        let (ppm, capped) = ceil_ppm(addon, factor, horizon);
        Haircut {
            ppm,
            latency_ppm: ceil_ppm(0, factor, horizon).0,
            addon_ppm: ceil_ppm(addon, 0, 0).0,
            horizon_seconds: horizon,
            capped,
        }
    }

    /// The whole table, `table[asset][chain]`, in the file's order.
    fn table(&self) -> Vec<Vec<Haircut>> {
        self.assets
            .iter()
            .map(|a| self.chains.iter().map(|c| self.haircut(a, c)).collect())
            .collect()
    }

    /// The haircuts of a network's assets on its chains (`haircuts_ppm[asset][chain]`): every
    /// one must be in the model (extra entries in the model are unused).
    fn haircuts_for(
        &self,
        assets: &[Asset],
        chains: &[Member],
    ) -> Result<Vec<Vec<u64>>, InputError> {
        let missing = |field: String, what: &str| {
            InputError::new(
                &self.file,
                field,
                format!("missing: the network's {what} needs an entry in the risk model"),
            )
        };
        let chain_risks = chains
            .iter()
            .map(|c| {
                self.chains
                    .iter()
                    .find(|r| r.name == c.name)
                    .ok_or_else(|| missing(key_path("chains", &c.name), "chain"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        assets
            .iter()
            .map(|a| {
                let risk = self
                    .assets
                    .iter()
                    .find(|r| r.symbol == a.symbol)
                    .ok_or_else(|| missing(key_path("assets", &a.symbol), "asset"))?;
                Ok(chain_risks
                    .iter()
                    .map(|c| self.haircut(risk, c).ppm)
                    .collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkmargin_formats::risk::{read_risk, ONE};

    /// The example of the issue, verbatim.
    pub(crate) const ISSUE_EXAMPLE: &str = r#"
{"format": "zkmargin.risk/1", "z": "3.09", "stale_seconds": 3600,
 "assets": {"BTC": {"sigma": "0.60", "jump": "0", "liquidation_seconds": 3600},
            "USDC": {"sigma": "0.02", "jump": "0.01", "liquidation_seconds": 600}},
 "chains": {"ethereum": {"finality_seconds": 768, "relay_seconds": 1140, "bridge": "0"},
            "arbitrum": {"finality_seconds": 1080, "relay_seconds": 0, "bridge": "0.02"}}}
"#;

    /// The issue's parameters, worked by hand (Y = 31536000 s, z = 3.09):
    ///
    /// BTC (sigma 0.60, z sigma = 1.854, jump 0, liquidation 3600 s):
    /// - ethereum: T = 768 + 1140 + 3600 + 3600 = 9108 s; T/Y = 2.888127854e-4;
    ///   sqrt = 0.0169944928; 1.854 * 0.0169944928 = 0.0315077896 -> 31507.79 ppm;
    ///   bridge 0 -> 31507.79 -> ceil **31508**.
    /// - arbitrum: T = 1080 + 0 + 3600 + 3600 = 8280 s; T/Y = 2.625570776e-4;
    ///   sqrt = 0.0162036131; * 1.854 = 0.0300414987 -> 30041.50 ppm; + bridge 0.02
    ///   (20000 ppm) -> 50041.50 -> **50042**.
    ///
    /// USDC (sigma 0.02, z sigma = 0.0618, jump 0.01 = 10000 ppm, liquidation 600 s):
    /// - ethereum: T = 768 + 1140 + 3600 + 600 = 6108 s; T/Y = 1.936834094e-4;
    ///   sqrt = 0.0139170187; * 0.0618 = 0.00086007176 -> 860.07 ppm; + 10000 -> 10860.07 ->
    ///   **10861**.
    /// - arbitrum: T = 1080 + 0 + 3600 + 600 = 5280 s; T/Y = 1.674277017e-4;
    ///   sqrt = 0.0129393857; * 0.0618 = 0.00079965403 -> 799.65 ppm; + 10000 + 20000 ->
    ///   30799.65 -> **30800**.
    #[test]
    fn the_issue_vectors_checked_by_hand() {
        let model = read_risk(ISSUE_EXAMPLE, "risk.json").unwrap();
        assert_eq!(model.z, 3_090_000_000);
        let table = model.table();
        let ppm: Vec<Vec<u64>> = table
            .iter()
            .map(|row| row.iter().map(|h| h.ppm).collect())
            .collect();
        assert_eq!(ppm, vec![vec![31_508, 50_042], vec![10_861, 30_800]]);
        let horizons: Vec<Vec<u64>> = table
            .iter()
            .map(|row| row.iter().map(|h| h.horizon_seconds).collect())
            .collect();
        assert_eq!(horizons, vec![vec![9108, 8280], vec![6108, 5280]]);
        // The latency terms alone: 31507.79, 30041.50, 860.07, 799.65 ppm, rounded up.
        let latency: Vec<u64> = table.iter().flatten().map(|h| h.latency_ppm).collect();
        assert_eq!(latency, vec![31_508, 30_042, 861, 800]);
        let addon: Vec<u64> = table.iter().flatten().map(|h| h.addon_ppm).collect();
        assert_eq!(addon, vec![0, 20_000, 10_000, 30_000]);
        assert!(table.iter().flatten().all(|h| !h.capped));
    }

    /// The predicate behind the ceiling, checked directly at the issue's BTC-on-ethereum cell:
    /// `M = 3.09e9 * 0.60e9 = 1.854e18`, `T = 9108`. `k = 31508`: `D = 3.1508e16`,
    /// `M^2 T = 3.43731600e36 * 9108 = 3.13070741e40 <= Y D^2 = 31536000 * 9.92754064e32
    /// = 3.13074922e40` holds; `k = 31507`: `Y D^2 = 31536000 * 9.92691049e32 = 3.13055050e40`
    /// is below `M^2 T`, so 31507 is too small.
    #[test]
    fn the_ceiling_is_the_least_k_that_fits() {
        let m: u128 = 3_090_000_000 * 600_000_000;
        assert_eq!(m, 1_854_000_000_000_000_000);
        let lhs = mul_wide(m, m * 9108);
        let rhs = |k: u128| {
            let d = 1_000_000_000_000 * k;
            mul_wide(d, d * SECONDS_PER_YEAR as u128)
        };
        assert!(lhs <= rhs(31_508));
        assert!(lhs > rhs(31_507));
        assert_eq!(ceil_ppm(0, m, 9108), (31_508, false));
    }

    /// Exact values must not be rounded up: T = Y/4 gives sqrt = 1/2 exactly.
    #[test]
    fn exact_values_are_not_rounded_up() {
        // z sigma = 0.1 * 0.1 = 0.01; 0.01 * 0.5 = 0.005 = 5000 ppm exactly.
        let m = 100_000_000u128 * 100_000_000;
        assert_eq!(ceil_ppm(0, m, SECONDS_PER_YEAR / 4), (5_000, false));
        // One second more is a little more than 5000 ppm: rounded up to 5001.
        assert_eq!(ceil_ppm(0, m, SECONDS_PER_YEAR / 4 + 1), (5_001, false));
        // Add-ons alone: 0.0123456789 -> 12345.6789 ppm -> 12346; 0.012345 -> 12345 exactly.
        assert_eq!(ceil_ppm(12_345_679, 0, 0), (12_346, false));
        assert_eq!(ceil_ppm(12_345_000, 0, 0), (12_345, false));
        assert_eq!(ceil_ppm(1, 0, 0), (1, false));
        assert_eq!(ceil_ppm(0, 0, 0), (0, false));
        // z sigma = 1, T = Y: exactly 1 = 1e6 ppm, not capped; anything more is capped.
        let one = 1_000_000_000u128 * 1_000_000_000;
        assert_eq!(ceil_ppm(0, one, SECONDS_PER_YEAR), (PPM, false));
        assert_eq!(ceil_ppm(0, one, SECONDS_PER_YEAR + 1), (PPM, true));
        assert_eq!(ceil_ppm(ONE, 0, 0), (PPM, false));
        assert_eq!(ceil_ppm(ONE + 1, 0, 0), (PPM, true));
        // The largest inputs do not overflow.
        let max = MAX_FACTOR as u128 * MAX_FACTOR as u128;
        assert_eq!(ceil_ppm(2 * ONE, max, (1 << 42) - 1), (PPM, true));
        assert_eq!(ceil_ppm(0, 1, 1), (1, false));
    }

    #[test]
    fn mul_wide_is_exact() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_wide(3, 5), (0, 15));
        assert_eq!(mul_wide(u128::MAX, 2), (1, u128::MAX - 1));
    }

    /// The exact ceiling against a high-precision floating estimate on a grid: they agree
    /// wherever the float is not within 1e-6 ppm of an integer.
    #[test]
    fn agrees_with_floating_point_away_from_integers() {
        for z in [0u64, 1, 2_330_000_000, 3_090_000_000, 5_000_000_000] {
            for sigma in [0u64, 20_000_000, 600_000_000, 1_500_000_000] {
                for horizon in [0u64, 1, 600, 9108, 86_400, 31_536_000] {
                    for addon in [0u64, 10_000_000, 123_456_789] {
                        let x = addon as f64 / 1e3
                            + (z as f64 / 1e9)
                                * (sigma as f64 / 1e9)
                                * (horizon as f64 / SECONDS_PER_YEAR as f64).sqrt()
                                * 1e6;
                        if (x - x.round()).abs() < 1e-6 {
                            continue;
                        }
                        let expected = (x.ceil() as u64).min(PPM);
                        let got = ceil_ppm(addon, z as u128 * sigma as u128, horizon).0;
                        assert_eq!(got, expected, "z {z} sigma {sigma} T {horizon} J {addon}");
                    }
                }
            }
        }
    }

    #[test]
    fn covers_a_network_or_names_what_is_missing() {
        let model = read_risk(ISSUE_EXAMPLE, "risk.json").unwrap();
        let assets = vec![
            Asset {
                symbol: "USDC".into(),
                price: 1,
            },
            Asset {
                symbol: "BTC".into(),
                price: 1,
            },
        ];
        let chains = vec![Member {
            id: 42161,
            name: "arbitrum".into(),
        }];
        // In the network's order, not the file's.
        assert_eq!(
            model.haircuts_for(&assets, &chains).unwrap(),
            vec![vec![30_800], vec![50_042]]
        );
        let mut more = assets.clone();
        more.push(Asset {
            symbol: "SOL".into(),
            price: 1,
        });
        let e = model.haircuts_for(&more, &chains).unwrap_err();
        assert_eq!(e.to_string().split(": ").nth(1), Some("assets.SOL"));
        let e = model
            .haircuts_for(
                &assets,
                &[Member {
                    id: 10,
                    name: "optimism".into(),
                }],
            )
            .unwrap_err();
        assert_eq!(e.field, "chains.optimism");
    }
}
