//! An audit: a model's formulas at K configurations drawn over its declared parameter space
//! ([`engine::ParameterSpace`]), each simulated at three dimensions and extrapolated to d → ∞, and
//! judged together — Holm's step-down over every row of every configuration for "disagree", the
//! equivalence test per row for "agree" — so a formula right at one corner and wrong at another
//! is caught.

use crate::error::HarnessError;
use crate::verdict::{judge_rows, RowInput};
use crate::{Margin, Model, Outcome, ParameterSpace, SimError};
use serde::Serialize;

/// One judged row of an audit.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// The configuration's index.
    pub config: usize,
    /// The configuration in words.
    pub description: String,
    /// The compared quantity (method).
    pub quantity: &'static str,
    /// Trials per dimension this configuration used.
    pub trials: usize,
    /// The formula's value.
    pub theory: f64,
    /// The fitted d → ∞ limit of the Monte Carlo means.
    pub sim: f64,
    /// Its standard error.
    pub sim_se: f64,
    /// The verdict.
    pub verdict: Outcome,
    /// The 1 − 2α interval of sim − theory.
    pub ci_lo: f64,
    /// Its upper end.
    pub ci_hi: f64,
    /// The disagreement p-value (before Holm).
    pub p_value: f64,
}

/// How an audit runs.
#[derive(Debug, Clone, Copy)]
pub struct AuditPlan {
    /// Configurations drawn.
    pub configs: usize,
    /// Seed of the draws and of every simulation.
    pub seed: u64,
    /// Dimension d of every configuration.
    pub d: usize,
    /// Trials per configuration and dimension at the first look.
    pub trials: usize,
    /// Trials per configuration and dimension at most: configurations with undecided rows get
    /// doubling batches up to this, each look at α/looks (as `--trials auto`).
    pub max_trials: usize,
    /// Equivalence margin.
    pub margin: Margin,
    /// Level α.
    pub alpha: f64,
}

/// A model's formula values at a point, possibly replaced (a deliberately wrong variant, to
/// measure what the audit catches).
pub type Formulas<'a, M> =
    &'a dyn Fn(&M, &<M as Model>::Point) -> Result<Vec<Option<f64>>, SimError>;

/// The dimensions an audit simulates each configuration at: d/2, d and 2d.
pub fn audit_dims(d: usize) -> [usize; 3] {
    [(d / 2).max(2), d, 2 * d]
}

/// One drawn configuration: its model and point at each audit dimension, formulas and trials.
struct Drawn<M: Model> {
    description: String,
    /// (d, model, point) per audit dimension.
    at: Vec<(usize, M, [M::Point; 1])>,
    theory: Vec<Option<f64>>,
    /// Per dimension: the trials' values.
    values: Vec<Vec<Vec<f64>>>,
}

impl<M: Model> Drawn<M> {
    /// Run trials up to `n` at every dimension.
    fn extend(&mut self, n: usize, seed: u64) -> Result<(), SimError> {
        for ((_, model, points), values) in self.at.iter().zip(&mut self.values) {
            let units: Vec<crate::Unit> = (values.len()..n).map(|t| (0, t)).collect();
            values.extend(crate::run_units(model, points, &units, seed, &|_, _| {})?);
        }
        Ok(())
    }

    /// Every method with a formula: its name and the d → ∞ fit of its means, as a row to judge.
    fn rows(&self) -> Vec<(&'static str, RowInput)> {
        let methods = self.at[0].1.methods();
        let summaries: Vec<Vec<crate::Summary>> = self
            .values
            .iter()
            .map(|v| crate::experiment::summarize_point(v, methods.len()).summaries)
            .collect();
        let trials: usize = self.values.iter().map(Vec::len).sum();
        methods
            .into_iter()
            .enumerate()
            .filter_map(|(k, name)| {
                let pts: Vec<(f64, f64, f64)> = self
                    .at
                    .iter()
                    .zip(&summaries)
                    .map(|((d, _, _), s)| (1.0 / *d as f64, s[k].mean, s[k].se))
                    .collect();
                let fit = crate::stats::weighted_line(&pts)?;
                let row = RowInput {
                    sim: crate::Summary {
                        n: trials.max(2) - 1,
                        mean: fit.intercept,
                        se: fit.intercept_se,
                    },
                    formula: self.theory[k]?,
                    allowance: 0.0,
                    bracket: None,
                };
                Some((name, row))
            })
            .collect()
    }
}

/// Draw configuration `i` at every audit dimension, with its formula values (taken at 2d).
fn draw<S: ParameterSpace>(
    space: &S,
    plan: &AuditPlan,
    i: usize,
    formulas: Formulas<S::M>,
) -> Result<Drawn<S::M>, HarnessError> {
    let mut at = Vec::new();
    for d in audit_dims(plan.d) {
        // The same configuration at every d: its random stream from the start.
        let mut rng = crate::unit_rng(plan.seed, crate::rng::stable_key("audit"), i as u64);
        let (model, point) = space.draw(&mut rng, d)?;
        at.push((d, model, [point]));
    }
    let (_, model, [point]) = &at[at.len() - 1];
    let theory = formulas(model, point)?;
    let description = space.describe(model, point);
    let values = vec![Vec::new(); at.len()];
    Ok(Drawn {
        description,
        at,
        theory,
        values,
    })
}

/// Draw, simulate and judge `plan.configs` configurations of `space`; `formulas` gives each
/// configuration's formula values (the model's own: `|m, p| m.theory(p)`). Each configuration
/// runs at d/2, d and 2d and every method's ρ̄(d) = ρ∞ + b/d is fitted by weighted least squares
/// (as `--extrapolate`): ρ∞ is judged with the fit's own uncertainty and no finite-size
/// allowance, since a model's finite-size bias is not known across its whole space (the audit
/// found the default allowance too small at some corners). Configurations with undecided rows
/// get doubling batches of trials up to `plan.max_trials`, every look at α/looks. `progress`
/// hears of each look (its trial count and how many configurations are still undecided).
pub fn run_audit<S: ParameterSpace>(
    space: &S,
    plan: &AuditPlan,
    formulas: Formulas<S::M>,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<AuditRow>, HarnessError> {
    let mut drawn: Vec<Drawn<S::M>> = (0..plan.configs)
        .map(|i| draw(space, plan, i, formulas))
        .collect::<Result<_, _>>()?;
    let schedule = crate::adaptive::Schedule::doubling(plan.trials, plan.max_trials);
    let alpha = schedule.alpha_per_look(plan.alpha);
    let mut active: Vec<usize> = (0..drawn.len()).collect();
    let mut judged = Vec::new();
    for &n in schedule.looks() {
        for &i in &active {
            drawn[i].extend(n, plan.seed)?;
        }
        progress(n, active.len());
        let rows: Vec<(usize, &'static str, RowInput)> = drawn
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.rows().into_iter().map(move |(m, r)| (i, m, r)))
            .collect();
        let inputs: Vec<RowInput> = rows.iter().map(|r| r.2).collect();
        let verdicts = judge_rows(&inputs, plan.margin, alpha);
        active.retain(|&i| {
            rows.iter()
                .zip(&verdicts)
                .any(|(r, v)| r.0 == i && v.outcome == Outcome::Inconclusive)
        });
        judged = rows.into_iter().zip(verdicts).collect();
        if active.is_empty() {
            break;
        }
    }
    Ok(judged
        .into_iter()
        .map(|((config, quantity, r), v)| AuditRow {
            config,
            description: drawn[config].description.clone(),
            quantity,
            trials: drawn[config].values[0].len(),
            theory: r.formula,
            sim: r.sim.mean,
            sim_se: r.sim.se,
            verdict: v.outcome,
            ci_lo: v.ci.0,
            ci_hi: v.ci.1,
            p_value: v.p_value,
        })
        .collect())
}
