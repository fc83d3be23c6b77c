//! What a check produces: one row per (grid point, quantity), and the run's verdict.

use serde::Serialize;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every judged row agrees with its formula.
    Agree,
    /// At least one row disagrees (family-wise controlled).
    Disagree,
    /// Formulas only, nothing judged.
    TheoryOnly,
    /// A shard finished; merge the shards for a verdict.
    Shard,
}

impl RunVerdict {
    /// The process exit code: 1 for a disagreement, else 0.
    pub fn exit_code(self) -> i32 {
        i32::from(self == RunVerdict::Disagree)
    }
    /// "agree", "disagree", "theory-only" or "shard".
    pub fn as_str(self) -> &'static str {
        match self {
            RunVerdict::Agree => "agree",
            RunVerdict::Disagree => "disagree",
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
    /// (sim − theory) / se, after the allowance.
    pub z: Option<f64>,
    /// The finite-size allowance used.
    pub allowance: Option<f64>,
    /// The row's verdict.
    pub pass: Option<bool>,
}
