//! The finite-size question, answered for every check.
//!
//! A limit formula holds as the dimension d → ∞; a simulation runs at finite d, where its mean
//! sits off the limit by a finite-size bias (typically O(1/d), O(d^-2/3) at spectral edges,
//! O(d^-1/2) for some quantities). Judging the finite-d mean as if it were the limit calls
//! correct formulas wrong once the trials resolve that bias. The engine therefore handles the
//! bias in one of three ways, chosen per check:
//!
//! - **measured** (the default for a check whose grid has a dimension axis, `d` unless
//!   [`crate::Check::dimension_axes`] says otherwise): every grid point is also simulated at the
//!   dimension divided by [`SIZE_RATIO`] (all dimension axes scaled together). If the bias
//!   behaves like c·d^-a with a ≥ a_min ([`crate::Check::slowest_rate`], ½ by default), the
//!   limit lies between the mean at d and its Richardson extrapolation at the slowest rate,
//!   R = m(d) + K (m(d) − m(d/r)) with K = 1/(r^a_min − 1) (K = 1 for r = 4, a_min = ½). The
//!   verdict judges the formula against that bracket: "disagree" needs the formula
//!   significantly outside it (both ends significantly on one side), "agree" needs both ends'
//!   intervals inside the margin.
//! - **allowance**: a check without a dimension axis derives a bound b on the bias
//!   ([`crate::Check::allowance`]); the limit lies within m(d) ± b. Beside a measured bracket,
//!   an allowance covers a bias the dimension does not control (a fixed sample count, say) and
//!   widens the bracket by b on both sides.
//! - **exact**: no dimension axis and no allowance: the formula is taken as exact at the
//!   simulated size, and the report says so.

use crate::check::{Check, Grid, Params};
use crate::error::HarnessError;
use crate::stats::{weighted_line, Summary};
use crate::verdict::{Outcome, RowInput, Verdict};
use serde::Serialize;

/// The engine adds each point at dimension d / SIZE_RATIO: a ratio of 4 keeps the bracket's
/// Richardson end as precise as possible (its standard error is √(4 SE(d)² + SE(d/4)²), against
/// √(11.7 SE(d)² + 5.8 SE(d/2)²) at ratio 2) at a quarter of the size's cost or less.
pub const SIZE_RATIO: f64 = 4.0;

/// The smallest companion dimension the engine simulates (below it the d^-a form is rarely a
/// description of anything).
pub const MIN_COMPANION: f64 = 8.0;

/// How a check's finite-size bias is handled (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum FiniteSize {
    /// The formula is taken as exact at the simulated size: `declared` by the check (an empty
    /// [`crate::Check::dimension_axes`]), or assumed (no dimension axis on the grid).
    Exact {
        /// Whether the check declared it.
        declared: bool,
    },
    /// The check's own bound on the bias.
    Allowance,
    /// `--extrapolate`: the limit fitted from the sweep over the dimension axis, mean(d) =
    /// limit + b/d, judged at the largest dimension of each group of the other axes.
    Extrapolated {
        /// The dimension axes; the first one's values are the fit's d.
        axes: Vec<String>,
    },
    /// Measured from a smaller size on the dimension axes.
    Measured {
        /// The dimension axes (scaled together).
        axes: Vec<String>,
        /// The size ratio r between a point and its companion.
        ratio: f64,
        /// The slowest bias rate admitted, a_min.
        slowest_rate: f64,
    },
}

impl FiniteSize {
    /// One line for reports and the terminal.
    pub fn describe(&self) -> String {
        match self {
            FiniteSize::Exact { declared: true } => "none: the check declares its formula exact at every size (Check::dimension_axes is empty)".into(),
            FiniteSize::Exact { declared: false } => "exactness at the simulated size was ASSUMED: the grid has no dimension axis (name one `d`, or list yours in Check::dimension_axes) and the check gives no allowance, so a finite-size bias would be judged as an error".into(),
            FiniteSize::Allowance => "the check's own finite-size allowance b (it has no dimension axis): the limit lies within sim ± b".into(),
            FiniteSize::Extrapolated { axes } => format!(
                "extrapolated: per group of the other axes, mean({0}) = limit + b/{0} fitted by weighted least squares over the {0} values and the fitted limit judged (the row at the largest {0} carries the verdict)",
                axes[0]
            ),
            FiniteSize::Measured { axes, ratio, slowest_rate } => format!(
                "measured: every point also ran at {} / {ratio}; the limit is bracketed by the mean at full size and its extrapolation assuming a bias no slower than {}^-{} (limit_lo, limit_hi)",
                axes.join(", "),
                axes[0],
                reports::figure::short_number(*slowest_rate)
            ),
        }
    }
}

/// The values (as bits) of the axes other than the dimension axes: what an extrapolation group
/// shares.
type OtherAxes = Vec<(String, u64)>;

/// The points a check runs: the grid's, then the companions the finite-size handling adds.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPoints {
    /// How the bias is handled.
    pub mode: FiniteSize,
    /// Every simulated point: the grid's first (same order), then companions not on the grid.
    pub points: Vec<Params>,
    /// For each grid point, the index in `points` of its companion (measured mode only).
    pub companion: Vec<Option<usize>>,
    /// For each grid point that carries an extrapolated verdict, the grid points of its fit (in
    /// increasing dimension); None for every other point and in the other modes.
    pub fit_group: Vec<Option<Vec<usize>>>,
}

impl RunPoints {
    /// Decide the mode for `check` on `grid` (`extrapolate`: the `--extrapolate` flag) and add
    /// the companions.
    pub fn new<C: Check>(check: &C, grid: &Grid, extrapolate: bool) -> Result<Self, HarnessError> {
        let grid_points = grid.points();
        let n = grid_points.len();
        let has_allowance = grid_points
            .first()
            .is_some_and(|p| check.allowance(p).is_some());
        let axes: Vec<String> = check
            .dimension_axes()
            .into_iter()
            .filter(|a| grid.axes.iter().any(|(n, _)| n == a))
            .map(String::from)
            .collect();
        if extrapolate {
            return Self::extrapolated(grid_points, axes);
        }
        if axes.is_empty() {
            let mode = if has_allowance {
                FiniteSize::Allowance
            } else {
                FiniteSize::Exact {
                    declared: check.dimension_axes().is_empty(),
                }
            };
            return Ok(RunPoints {
                mode,
                companion: vec![None; n],
                fit_group: vec![None; n],
                points: grid_points,
            });
        }
        let rate = check.slowest_rate();
        if !(rate.is_finite() && rate > 0.0) {
            return Err(HarnessError::Usage(format!(
                "Check::slowest_rate must be a positive number, got {rate}"
            )));
        }
        let mut points = grid_points.clone();
        let mut companion = Vec::with_capacity(grid_points.len());
        // Each point's index by its exact values: linear in the grid's size (a search per point
        // was quadratic, minutes at 10⁵ points).
        let key = |p: &Params| -> OtherAxes {
            p.0.iter().map(|(n, v)| (n.clone(), v.to_bits())).collect()
        };
        let mut index: std::collections::HashMap<OtherAxes, usize> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (key(p), i))
            .collect();
        for p in &grid_points {
            let small = smaller(p, &axes)?;
            let at = *index.entry(key(&small)).or_insert_with(|| {
                points.push(small);
                points.len() - 1
            });
            companion.push(Some(at));
        }
        Ok(RunPoints {
            mode: FiniteSize::Measured {
                axes,
                ratio: SIZE_RATIO,
                slowest_rate: rate,
            },
            points,
            companion,
            fit_group: vec![None; n],
        })
    }

    /// `--extrapolate`: group the grid points by their other axes; each group needs three
    /// distinct dimensions or more.
    fn extrapolated(points: Vec<Params>, axes: Vec<String>) -> Result<Self, HarnessError> {
        let Some(first) = axes.first().cloned() else {
            return Err(HarnessError::Usage(
                "--extrapolate needs a dimension axis on the grid (an axis named d, or one listed by Check::dimension_axes)".into(),
            ));
        };
        let dim = |p: &Params| p.0.iter().find(|(n, _)| *n == first).map_or(0.0, |x| x.1);
        let others = |p: &Params| -> OtherAxes {
            p.0.iter()
                .filter(|(n, _)| !axes.contains(n))
                .map(|(n, v)| (n.clone(), v.to_bits()))
                .collect()
        };
        // Groups in order of first appearance, found by key (linear in the grid's size).
        let mut groups: Vec<(OtherAxes, Vec<usize>)> = Vec::new();
        let mut group_of: std::collections::HashMap<OtherAxes, usize> = Default::default();
        for (i, p) in points.iter().enumerate() {
            let k = others(p);
            match group_of.get(&k) {
                Some(&g) => groups[g].1.push(i),
                None => {
                    group_of.insert(k.clone(), groups.len());
                    groups.push((k, vec![i]));
                }
            }
        }
        let mut fit_group = vec![None; points.len()];
        for (_, mut g) in groups {
            g.sort_by(|&a, &b| dim(&points[a]).total_cmp(&dim(&points[b])));
            let mut ds: Vec<f64> = g.iter().map(|&i| dim(&points[i])).collect();
            ds.dedup();
            if ds.len() < 3 || ds.len() < g.len() {
                return Err(HarnessError::Usage(format!(
                    "--extrapolate needs at least three distinct values of the dimension axis '{first}' (got {}): give the grid's {first} axis three sizes or more, e.g. 100, 200, 400",
                    ds.len()
                )));
            }
            let top = *g.last().expect("three or more");
            fit_group[top] = Some(g);
        }
        Ok(RunPoints {
            mode: FiniteSize::Extrapolated { axes },
            companion: vec![None; points.len()],
            fit_group,
            points,
        })
    }

    /// The row to judge for grid point `i`, quantity `k` (None: a point used only by a fit).
    pub fn row_input<C: Check>(
        &self,
        check: &C,
        i: usize,
        k: usize,
        formula: f64,
        summaries: &[Vec<Summary>],
    ) -> Option<RowInput> {
        let sim = summaries[i][k];
        let row = |sim: Summary, allowance: f64, bracket: Option<Summary>| RowInput {
            sim,
            formula,
            allowance,
            bracket,
        };
        match &self.mode {
            FiniteSize::Exact { .. } => Some(row(sim, 0.0, None)),
            FiniteSize::Allowance => {
                let b = check
                    .allowance(&self.points[i])
                    .and_then(|b| b.get(k).copied());
                Some(row(sim, b.unwrap_or(0.0), None))
            }
            FiniteSize::Measured {
                axes, slowest_rate, ..
            } => {
                let j = self.companion[i]?;
                let ratio = actual_ratio(&self.points[i], &self.points[j], axes);
                let far = richardson(&sim, &summaries[j][k], ratio, *slowest_rate);
                let b = check
                    .allowance(&self.points[i])
                    .and_then(|b| b.get(k).copied());
                Some(row(sim, b.unwrap_or(0.0), Some(far)))
            }
            FiniteSize::Extrapolated { axes } => {
                let g = self.fit_group[i].as_ref()?;
                let d = |p: &Params| p.0.iter().find(|(n, _)| *n == axes[0]).map_or(1.0, |x| x.1);
                let pts: Vec<(f64, f64, f64)> = g
                    .iter()
                    .map(|&j| {
                        (
                            1.0 / d(&self.points[j]),
                            summaries[j][k].mean,
                            summaries[j][k].se,
                        )
                    })
                    .collect();
                let fit = weighted_line(&pts)?;
                let n: usize = g.iter().map(|&j| summaries[j][k].n).sum();
                let limit = Summary {
                    n: n.max(3) - 1,
                    mean: fit.intercept,
                    se: fit.intercept_se,
                };
                Some(row(limit, 0.0, None))
            }
        }
    }

    /// Which simulated points need no more trials: those that no undecided grid row uses (the
    /// row's own point, its companion, its fit group).
    pub fn decided(&self, verdicts: &[Vec<Option<Verdict>>]) -> Vec<bool> {
        let mut active = vec![false; self.points.len()];
        for (i, row) in verdicts.iter().enumerate() {
            let open = row
                .iter()
                .any(|v| v.is_some_and(|v| v.outcome == Outcome::Inconclusive));
            if !open {
                continue;
            }
            active[i] = true;
            if let Some(j) = self.companion[i] {
                active[j] = true;
            }
            for &j in self.fit_group[i].iter().flatten() {
                active[j] = true;
            }
        }
        active.into_iter().map(|a| !a).collect()
    }

    /// The number of grid points (the first entries of `points`).
    pub fn grid_len(&self) -> usize {
        self.companion.len()
    }
}

/// The companion of dimension `d`: d / [`SIZE_RATIO`] rounded to the nearest multiple of the
/// largest power of two at most d / (8 · SIZE_RATIO) (ties down). Sizes a trial derives from
/// it (n = d/γ, N = d/2, …) then stay whole for the usual ratios: rounding them would change
/// the aspect ratio at the companion (d = 100, γ = 2: 25/12.5 would become 25/13, a 4 % change
/// that swamps the O(1/d) bias being measured). The actual ratio enters the extrapolation.
pub fn companion_size(d: f64) -> f64 {
    let target = d / SIZE_RATIO;
    let mut step = 1.0;
    while step * 2.0 <= target / 8.0 {
        step *= 2.0;
    }
    let below = (target / step).floor() * step;
    let above = below + step;
    if target - below <= above - target {
        below
    } else {
        above
    }
}

/// `p` with every dimension axis replaced by its [`companion_size`].
fn smaller(p: &Params, axes: &[String]) -> Result<Params, HarnessError> {
    let mut q = p.clone();
    for (name, v) in q.0.iter_mut() {
        if axes.contains(name) {
            let s = companion_size(*v);
            if s < MIN_COMPANION {
                return Err(HarnessError::Usage(format!(
                    "the dimension axis '{name}' = {v} is too small to measure the finite-size bias (the engine also runs {name} / {SIZE_RATIO}, which must be at least {MIN_COMPANION}): use {name} >= {}, give the check an allowance, or declare no dimension axes",
                    MIN_COMPANION * SIZE_RATIO
                )));
            }
            *v = s;
        }
    }
    Ok(q)
}

/// The bracket's far end: the Richardson extrapolation of the means at d (`big`) and at the
/// companion size (`small`, `ratio` times smaller) assuming a bias ∝ d^-rate, with its standard
/// error (the two means are independent) and the smaller trial count (for the t quantile).
pub fn richardson(big: &Summary, small: &Summary, ratio: f64, rate: f64) -> Summary {
    let k = 1.0 / (ratio.powf(rate) - 1.0);
    Summary {
        n: big.n.min(small.n),
        mean: big.mean + k * (big.mean - small.mean),
        se: ((1.0 + k).powi(2) * big.se * big.se + k * k * small.se * small.se).sqrt(),
    }
}

/// The actual size ratio between a grid point and its companion (rounding moves it off 4).
pub fn actual_ratio(big: &Params, small: &Params, axes: &[String]) -> f64 {
    let first = |p: &Params| {
        p.0.iter()
            .find(|(n, _)| n == &axes[0])
            .map_or(f64::NAN, |(_, v)| *v)
    };
    first(big) / first(small)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(mean: f64, se: f64) -> Summary {
        Summary { n: 100, mean, se }
    }

    /// A bias exactly c·d^-½: the Richardson end at rate ½ recovers the limit; a 1/d bias leaves
    /// the limit between the two ends.
    #[test]
    fn the_bracket_contains_the_limit_for_rates_at_least_the_slowest() {
        let (limit, c, d) = (2.0, 0.7, 400.0);
        let at = |d: f64, a: f64| limit + c * d.powf(-a);
        let r = richardson(&s(at(d, 0.5), 0.0), &s(at(d / 4.0, 0.5), 0.0), 4.0, 0.5);
        assert!((r.mean - limit).abs() < 1e-12, "{r:?}");
        for a in [0.5, 2.0 / 3.0, 1.0, 2.0] {
            let m = at(d, a);
            let r = richardson(&s(m, 0.0), &s(at(d / 4.0, a), 0.0), 4.0, 0.5);
            let (lo, hi) = (m.min(r.mean), m.max(r.mean));
            assert!(
                lo - 1e-12 <= limit && limit <= hi + 1e-12,
                "a = {a}: [{lo}, {hi}]"
            );
        }
        // K = 1 at ratio 4, rate ½: se = √(4·0.01² + 0.02²).
        let r = richardson(&s(1.0, 0.01), &s(1.0, 0.02), 4.0, 0.5);
        assert!((r.se - (4.0f64 * 1e-4 + 4e-4).sqrt()).abs() < 1e-15);
    }

    struct C(Vec<&'static str>);
    impl Check for C {
        fn name(&self) -> &str {
            "c"
        }
        fn quantities(&self) -> Vec<&'static str> {
            vec!["q"]
        }
        fn theory(&self, _: &Params) -> Vec<Option<f64>> {
            vec![Some(0.0)]
        }
        fn trial(&self, _: &Params, _: &mut crate::UnitRng) -> Vec<f64> {
            vec![0.0]
        }
        fn dimension_axes(&self) -> Vec<&str> {
            self.0.clone()
        }
    }

    #[test]
    fn companion_sizes_are_near_a_quarter_and_even_when_large() {
        assert_eq!(companion_size(32.0), 8.0);
        assert_eq!(companion_size(100.0), 24.0);
        assert_eq!(companion_size(200.0), 48.0);
        assert_eq!(companion_size(400.0), 96.0);
        assert_eq!(companion_size(1000.0), 256.0);
        for d in 32..5000 {
            let r = d as f64 / companion_size(d as f64);
            assert!((3.5..=4.6).contains(&r), "d = {d}: ratio {r}");
        }
    }

    #[test]
    fn companions_scale_every_dimension_axis_and_reuse_grid_points() {
        let g = Grid::new()
            .axis("d", &[96.0, 400.0])
            .axis("n", &[192.0, 800.0]);
        let r = RunPoints::new(&C(vec!["d", "n"]), &g, false).unwrap();
        // 4 grid points; (400, 800)'s companion is (96, 192), already on the grid.
        assert_eq!(r.grid_len(), 4);
        assert_eq!(r.points.len(), 7);
        assert_eq!(r.companion[3], Some(0));
        assert_eq!(r.points[r.companion[0].unwrap()].0[0].1, 24.0);
        assert_eq!(r.points[r.companion[0].unwrap()].0[1].1, 48.0);
        let exact = RunPoints::new(&C(vec![]), &g, false).unwrap();
        assert_eq!(exact.mode, FiniteSize::Exact { declared: true });
        assert_eq!(exact.points.len(), 4);
        let tiny = Grid::new().axis("d", &[30.0]);
        assert!(RunPoints::new(&C(vec!["d"]), &tiny, false).is_err());
        assert!(RunPoints::new(&C(vec!["d"]), &g, true).is_err());
    }
}
