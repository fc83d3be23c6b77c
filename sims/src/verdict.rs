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
        let s = s.trim();
        let (num, relative) = match s.strip_suffix('%') {
            Some(n) => (n, true),
            None => (s, false),
        };
        let v: f64 = num.trim().parse().ok()?;
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
    /// (mean − formula) / SE (None when SE = 0: a deterministic value).
    pub z: Option<f64>,
    /// The finite-size allowance b used.
    pub allowance: f64,
    /// The equivalence bound: margin around the formula + b.
    pub bound: f64,
    /// The 1 − 2α confidence interval of mean − formula.
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

/// One row's tests before the family-wise step: (z, CI, p-value, equivalence shown).
fn row_tests(sim: &Summary, formula: f64, allowance: f64, bound: f64, alpha: f64) -> Verdict {
    let diff = sim.mean - formula;
    let dof = (sim.n.max(2) - 1) as f64;
    let (z, p_value, half) = if sim.se > 0.0 {
        let excess = (diff.abs() - allowance) / sim.se;
        let tail = StudentsT::new(0.0, 1.0, dof)
            .map(|t| 1.0 - t.cdf(excess.max(0.0)))
            .unwrap_or(0.5);
        (
            Some(diff / sim.se),
            (2.0 * tail).min(1.0),
            t_quantile(dof, 1.0 - alpha) * sim.se,
        )
    } else {
        let beyond = diff.abs() > allowance;
        (None, if beyond { 0.0 } else { 1.0 }, 0.0)
    };
    let ci = (diff - half, diff + half);
    let agree = ci.0 >= -bound && ci.1 <= bound;
    Verdict {
        z,
        allowance,
        bound,
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

/// One row to judge: its simulated summary, formula, allowance and margin.
#[derive(Debug, Clone, Copy)]
pub struct RowInput {
    /// The simulation.
    pub sim: Summary,
    /// The limit formula's value.
    pub formula: f64,
    /// The finite-size allowance b.
    pub allowance: f64,
}

/// Verdicts for every row of a run at level `alpha` (family-wise for "disagree", intersection–
/// union for "agree"), with the equivalence margin `margin`.
pub fn judge_rows(rows: &[RowInput], margin: Margin, alpha: f64) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = rows
        .iter()
        .map(|r| {
            let bound = margin.around(r.formula) + r.allowance;
            row_tests(&r.sim, r.formula, r.allowance, bound, alpha)
        })
        .collect();
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
