//! The three-outcome verdict of a row (simulated mean against its limit formula) and of a run.
//!
//! - **disagree**: the difference is significant beyond the finite-size allowance b. Row p-value
//!   p = 2 P(T > (|mean − formula| − b)/SE) (T Student-t with n − 1 degrees of freedom; valid for
//!   every true difference inside ±b), and Holm's step-down across the run's judged rows keeps
//!   the probability that any correct row is called "disagree" at most α.
//! - **agree**: equivalence shown (two one-sided tests): the 1 − 2α confidence interval of
//!   mean − formula, (diff ± t_{1−α} SE), lies inside ±(margin + b). The run's "every row agrees"
//!   is an intersection–union test, so it too has level α without a multiplicity correction.
//! - **inconclusive**: neither; too few trials or too small d for the margin.
//!
//! A row both significantly beyond the allowance and inside the margin is "disagree": a
//! discrepancy larger than the expected finite-size bias is a finding, whatever its size.

use crate::stats::Summary;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A row's or a run's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Equivalence shown within the margin.
    Agree,
    /// Significantly different beyond the finite-size allowance (family-wise controlled).
    Disagree,
    /// Neither shown.
    Inconclusive,
}

impl Outcome {
    /// The word used in tables and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Agree => "agree",
            Outcome::Disagree => "disagree",
            Outcome::Inconclusive => "inconclusive",
        }
    }

    /// The run's outcome from its rows': any disagree, else any inconclusive, else agree (also
    /// for no rows).
    pub fn of_run(rows: impl IntoIterator<Item = Outcome>) -> Outcome {
        rows.into_iter()
            .fold(Outcome::Agree, |acc, o| match (acc, o) {
                (Outcome::Disagree, _) | (_, Outcome::Disagree) => Outcome::Disagree,
                (Outcome::Inconclusive, _) | (_, Outcome::Inconclusive) => Outcome::Inconclusive,
                _ => Outcome::Agree,
            })
    }
}

/// The equivalence margin: absolute, or relative to |formula|.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Margin {
    /// ±m around the formula.
    Absolute(f64),
    /// ±m·|formula|.
    Relative(f64),
}

impl Margin {
    /// The default: ±0.02 absolute (correlations and rates live in [0, 1]; 0.02 is below every
    /// difference between methods the paper draws a conclusion from).
    pub const DEFAULT: Margin = Margin::Absolute(0.02);

    /// The margin around `formula`.
    pub fn around(self, formula: f64) -> f64 {
        match self {
            Margin::Absolute(m) => m,
            Margin::Relative(r) => r * formula.abs(),
        }
    }

    /// Parse "0.02" (absolute) or "2%" (relative); None unless finite and ≥ 0.
    pub fn parse(s: &str) -> Option<Margin> {
        let s = s.trim_ascii();
        let (num, relative) = match s.strip_suffix('%') {
            Some(n) => (n, true),
            None => (s, false),
        };
        let v: f64 = num.trim_ascii().parse().ok()?;
        if !(v.is_finite() && v >= 0.0) {
            return None;
        }
        Some(if relative {
            Margin::Relative(v / 100.0)
        } else {
            Margin::Absolute(v)
        })
    }
}

impl std::fmt::Display for Margin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Margin::Absolute(m) => write!(f, "{m}"),
            Margin::Relative(r) => write!(f, "{}%", r * 100.0),
        }
    }
}

/// The verdict for one (grid point, method) row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Verdict {
    /// (mean − formula) / SE at the simulated size (None when SE = 0: a deterministic value).
    pub z: Option<f64>,
    /// How many standard errors the formula lies outside the interval where the limit may be
    /// (mean ± allowance, or the measured finite-size bracket), signed like mean − formula; 0
    /// inside it. This is the statistic the disagreement test uses.
    pub z_beyond: f64,
    /// The finite-size allowance b used (0 for a measured bracket).
    pub allowance: f64,
    /// The equivalence bound: margin around the formula + b.
    pub bound: f64,
    /// Where the d → ∞ limit may lie, as point estimates: (mean − b, mean + b), or the ends of
    /// the measured bracket, in increasing order.
    pub limit: (f64, f64),
    /// The 1 − 2α confidence interval of (limit − formula): of mean − formula, or the hull of
    /// both bracket ends' intervals.
    pub ci: (f64, f64),
    /// The row's disagreement p-value (before Holm's adjustment).
    pub p_value: f64,
    /// The outcome.
    pub outcome: Outcome,
    /// Whether the row agrees (outcome = agree).
    pub pass: bool,
}

/// Student-t quantile with `dof` degrees of freedom (∞ when it cannot be formed).
fn t_quantile(dof: f64, p: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::INFINITY)
}

/// One estimate of where the limit lies: a value, its standard error and its trials.
#[derive(Debug, Clone, Copy)]
struct End {
    value: f64,
    se: f64,
    n: usize,
}

impl End {
    /// s·(value − formula)/se: how far the formula sits below (s = 1) or above (s = −1) this end.
    fn t(&self, formula: f64, s: f64) -> f64 {
        let d = s * (self.value - formula);
        if self.se > 0.0 {
            d / self.se
        } else if d > 0.0 {
            f64::INFINITY
        } else if d < 0.0 {
            f64::NEG_INFINITY
        } else {
            0.0
        }
    }
}

/// The disagreement test: the formula lies outside [lo end, hi end] on side s when every end is
/// significantly on the same side of it (an intersection–union test: valid whichever end the
/// limit is nearest). Returns (signed statistic, two-sided p-value).
fn beyond(ends: &[End], formula: f64) -> (f64, f64) {
    let dof = ends.iter().map(|e| e.n.max(2) - 1).min().unwrap_or(1) as f64;
    let side = |s: f64| {
        ends.iter()
            .map(|e| e.t(formula, s))
            .fold(f64::INFINITY, f64::min)
    };
    let (up, down) = (side(1.0), side(-1.0));
    let (stat, sign) = if up >= down { (up, 1.0) } else { (down, -1.0) };
    if stat <= 0.0 {
        return (0.0, 1.0);
    }
    let tail = if stat.is_infinite() {
        0.0
    } else {
        StudentsT::new(0.0, 1.0, dof)
            .map(|t| 1.0 - t.cdf(stat))
            .unwrap_or(0.5)
    };
    (sign * stat, (2.0 * tail).min(1.0))
}

/// The ends `lo` and `hi` pushed outward by `b`.
fn widened(lo: End, hi: End, b: f64) -> Vec<End> {
    vec![
        End {
            value: lo.value - b,
            ..lo
        },
        End {
            value: hi.value + b,
            ..hi
        },
    ]
}

/// One row's tests before the family-wise step.
fn row_tests(r: &RowInput, margin: Margin, alpha: f64) -> Verdict {
    let m = End {
        value: r.sim.mean,
        se: r.sim.se,
        n: r.sim.n,
    };
    let b = r.allowance;
    let bound = margin.around(r.formula) + b;
    // Where the limit may lie (disagreement), and the estimates whose intervals must sit inside
    // the equivalence bound (agreement).
    let (limit_ends, agree_ends): (Vec<End>, Vec<End>) = match r.bracket {
        Some(f) => {
            let far = End {
                value: f.mean,
                se: f.se,
                n: f.n,
            };
            // An allowance beside a bracket covers a bias the dimension does not control: it
            // pushes the bracket's ends outward.
            let (lo, hi) = if far.value < m.value {
                (far, m)
            } else {
                (m, far)
            };
            (widened(lo, hi, b), vec![m, far])
        }
        None => (widened(m, m, b), vec![m]),
    };
    let (z_beyond, p_value) = beyond(&limit_ends, r.formula);
    let ci = agree_ends
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
            let half = if e.se > 0.0 {
                t_quantile((e.n.max(2) - 1) as f64, 1.0 - alpha) * e.se
            } else {
                0.0
            };
            let d = e.value - r.formula;
            (lo.min(d - half), hi.max(d + half))
        });
    let agree = ci.0 >= -bound && ci.1 <= bound;
    let (a, z) = (limit_ends[0].value, limit_ends[limit_ends.len() - 1].value);
    Verdict {
        z: (m.se > 0.0).then(|| (m.value - r.formula) / m.se),
        z_beyond,
        allowance: b,
        bound,
        limit: (a.min(z), a.max(z)),
        ci,
        p_value,
        outcome: if agree {
            Outcome::Agree
        } else {
            Outcome::Inconclusive
        },
        pass: agree,
    }
}

/// Holm's step-down at family-wise level `alpha`: which of `p` are rejected.
pub fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut rejected = vec![false; m];
    for (k, &i) in order.iter().enumerate() {
        if p[i] <= alpha / (m - k) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

/// One row to judge: its simulated summary, formula, and what is known of the finite-size bias.
#[derive(Debug, Clone, Copy)]
pub struct RowInput {
    /// The simulation at the row's size.
    pub sim: Summary,
    /// The limit formula's value.
    pub formula: f64,
    /// A derived bound b on the finite-size bias: the limit lies within sim ± b. Agreement then
    /// needs the interval of sim − formula inside ±(margin + b).
    pub allowance: f64,
    /// A second estimate of the limit, measured (the finite_size module): the limit lies
    /// between `sim` and this (widened by the allowance on both sides, if any); agreement needs
    /// both estimates' intervals inside ±(margin + allowance).
    pub bracket: Option<Summary>,
}

/// Verdicts for every row of a run at level `alpha` (family-wise for "disagree", intersection–
/// union for "agree"), with the equivalence margin `margin`.
pub fn judge_rows(rows: &[RowInput], margin: Margin, alpha: f64) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = rows.iter().map(|r| row_tests(r, margin, alpha)).collect();
    let p: Vec<f64> = verdicts.iter().map(|v| v.p_value).collect();
    for (v, rejected) in verdicts.iter_mut().zip(holm(&p, alpha)) {
        if rejected {
            v.outcome = Outcome::Disagree;
            v.pass = false;
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(mean: f64, se: f64, n: usize) -> Summary {
        Summary { n, mean, se }
    }

    fn one(mean: f64, se: f64, n: usize, formula: f64, b: f64, margin: f64) -> Verdict {
        judge_rows(
            &[RowInput {
                sim: sim(mean, se, n),
                formula,
                allowance: b,
                bracket: None,
            }],
            Margin::Absolute(margin),
            0.01,
        )[0]
    }

    #[test]
    fn the_three_outcomes() {
        // Tight and centred: the 98% CI (±2.36 SE at n = 100) is inside ±0.02.
        assert_eq!(one(0.5, 0.002, 100, 0.5, 0.0, 0.02).outcome, Outcome::Agree);
        // 3 trials, SE 0.037: t_{0.99, 2} = 6.96, the CI is ±0.26: inconclusive.
        assert_eq!(
            one(0.5, 0.037, 3, 0.5, 0.0, 0.02).outcome,
            Outcome::Inconclusive
        );
        // 0.1 off with SE 0.002: disagree (p ≈ 0).
        assert_eq!(
            one(0.6, 0.002, 100, 0.5, 0.0, 0.02).outcome,
            Outcome::Disagree
        );
        // 0.01 off, inside the margin but 5 SE beyond the allowance: disagree wins.
        assert_eq!(
            one(0.51, 0.002, 100, 0.5, 0.0, 0.02).outcome,
            Outcome::Disagree
        );
        // The same 0.01 inside an allowance of 0.015: agree (bound 0.035).
        assert_eq!(
            one(0.51, 0.002, 100, 0.5, 0.015, 0.02).outcome,
            Outcome::Agree
        );
    }

    /// The TOST interval uses t_{1−α}: at n = 20, α = 0.01, t_{0.99, 19} = 2.539 (tables).
    #[test]
    fn the_equivalence_interval() {
        let v = one(0.5, 0.01, 20, 0.5, 0.0, 0.02);
        assert!((v.ci.1 - 0.02539).abs() < 1e-5, "{v:?}");
        assert_eq!(v.outcome, Outcome::Inconclusive);
        assert_eq!(one(0.5, 0.0075, 20, 0.5, 0.0, 0.02).outcome, Outcome::Agree);
    }

    /// Holm against hand-worked cases at α = 0.05: p = (0.001, 0.02, 0.04) rejects all three
    /// (0.001 ≤ 0.05/3, 0.02 ≤ 0.05/2, 0.04 ≤ 0.05/1; Bonferroni would keep the last two);
    /// p = (0.01, 0.04, 0.03): 0.01 ≤ 0.0167, then 0.03 > 0.025 stops: only the first.
    #[test]
    fn holm_step_down() {
        assert_eq!(holm(&[0.001, 0.02, 0.04], 0.05), [true, true, true]);
        assert_eq!(holm(&[0.01, 0.04, 0.03], 0.05), [true, false, false]);
        assert_eq!(holm(&[], 0.05), Vec::<bool>::new());
        // Holm rejects everything Bonferroni does: p ≤ α/m.
        assert_eq!(
            holm(&[0.004, 0.5, 0.9, 0.3, 0.2], 0.02),
            [true, false, false, false, false]
        );
    }

    #[test]
    fn run_outcome_and_margin_parsing() {
        use Outcome::*;
        assert_eq!(Outcome::of_run([Agree, Inconclusive, Agree]), Inconclusive);
        assert_eq!(Outcome::of_run([Inconclusive, Disagree]), Disagree);
        assert_eq!(Outcome::of_run([]), Agree);
        assert_eq!(Margin::parse("0.05"), Some(Margin::Absolute(0.05)));
        assert_eq!(Margin::parse("2%"), Some(Margin::Relative(0.02)));
        assert_eq!(Margin::parse("-1"), None);
        assert_eq!(Margin::parse("x%"), None);
        assert_eq!(Margin::Relative(0.1).around(-0.5), 0.05);
    }
}
