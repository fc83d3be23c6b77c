//! What a check produces: one row per (grid point, quantity), and the run's verdict.

use serde::Serialize;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every judged row agrees with its formula.
    Agree,
    /// At least one row disagrees (family-wise controlled).
    Disagree,
    /// No row disagrees, but at least one could not be shown to agree.
    Inconclusive,
    /// Formulas only, nothing judged.
    TheoryOnly,
    /// A shard finished; merge the shards for a verdict.
    Shard,
}

impl RunVerdict {
    /// The process exit code: 1 for a disagreement, 4 for inconclusive, else 0.
    pub fn exit_code(self) -> i32 {
        match self {
            RunVerdict::Disagree => 1,
            RunVerdict::Inconclusive => 4,
            _ => 0,
        }
    }

    /// The verdict of judged rows.
    pub fn of(outcome: crate::Outcome) -> Self {
        match outcome {
            crate::Outcome::Agree => RunVerdict::Agree,
            crate::Outcome::Disagree => RunVerdict::Disagree,
            crate::Outcome::Inconclusive => RunVerdict::Inconclusive,
        }
    }

    /// "agree", "disagree", "inconclusive", "theory-only" or "shard".
    pub fn as_str(self) -> &'static str {
        match self {
            RunVerdict::Agree => "agree",
            RunVerdict::Disagree => "disagree",
            RunVerdict::Inconclusive => "inconclusive",
            RunVerdict::TheoryOnly => "theory-only",
            RunVerdict::Shard => "shard",
        }
    }
}

/// One result row: a (grid point, quantity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    /// The grid point's parameters, in axis order.
    pub params: Vec<(String, f64)>,
    /// The compared quantity.
    pub quantity: &'static str,
    /// Trials at this point.
    pub trials: usize,
    /// The formula's value (None: simulated only).
    pub theory: Option<f64>,
    /// Monte Carlo mean and standard error.
    pub sim: Option<f64>,
    /// Standard error of `sim`.
    pub sim_se: Option<f64>,
    /// The mean at the finite-size companion (the point at dimension / 4), measured mode only.
    pub sim_small: Option<f64>,
    /// Its standard error.
    pub sim_small_se: Option<f64>,
    /// Where the d → ∞ limit may lie (point estimates, increasing): the measured bracket,
    /// sim ± allowance, or the extrapolated limit.
    pub limit: Option<(f64, f64)>,
    /// (sim − theory) / se at the simulated size.
    pub z: Option<f64>,
    /// Standard errors by which the formula lies outside `limit` (signed; 0 inside): the
    /// statistic the disagreement test uses.
    pub z_beyond: Option<f64>,
    /// The finite-size allowance used (0 when the bias was measured).
    pub allowance: Option<f64>,
    /// The equivalence bound: margin (+ allowance).
    pub bound: Option<f64>,
    /// Whether the row agrees (its verdict is "agree").
    pub pass: Option<bool>,
    /// The row's verdict (None: nothing judged).
    pub verdict: Option<crate::Outcome>,
}

/// A figure's mark for a row's verdict (an unjudged row is drawn plain).
pub fn figure_mark(verdict: Option<crate::Outcome>) -> reports::Mark {
    match verdict {
        Some(crate::Outcome::Disagree) => reports::Mark::Disagree,
        Some(crate::Outcome::Inconclusive) => reports::Mark::Inconclusive,
        _ => reports::Mark::Agree,
    }
}
