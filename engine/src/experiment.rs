//! The generic sweep → simulate → verdict machinery. A model (the single-index model, or a user's
//! own formula and simulator) plugs in through [`Model`]; nothing here knows which model runs.

use crate::rng::{unit_rng, UnitRng};
use crate::stats::{summarize, Summary};
use crate::verdict::{judge_rows, Margin, RowInput, Verdict};
use faer::Par;
use rayon::prelude::*;
use thiserror::Error;

/// Errors of a simulation run.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    /// Input the formula or the simulation cannot use; the message names the flag or file
    /// (exit 2).
    #[error("{0}")]
    InvalidInput(String),
    /// A parameter the simulation cannot use (`name` is the user-facing flag).
    #[error("invalid {name}: {reason}")]
    /// A parameter out of range (`name` is the user-facing flag).
    InvalidParameter {
        /// The parameter (its flag without the dashes).
        name: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// A factorisation or iteration that failed on a sampled matrix.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// The host asked the run to stop ([`crate::interrupt::request`]); finished units are kept.
    #[error("interrupted: the finished trials are kept in the checkpoint; resume to continue")]
    Interrupted,
}

/// A formula and its simulator, compared at grid points of type `Point`.
pub trait Model: Sync {
    /// One grid point: every parameter the formula and the simulation depend on.
    type Point: Sync;
    /// Names of the compared quantities (e.g. `["sgd", "kfac"]`); every trial returns one value each.
    fn methods(&self) -> Vec<&'static str>;
    /// The formula's value for each method at `point`; None for a method that is simulated
    /// without a formula (reported, never judged).
    fn theory(&self, point: &Self::Point) -> Result<Vec<Option<f64>>, SimError>;
    /// A stable description of everything the simulation at `point` depends on; it seeds the
    /// point's random streams, so equal keys must mean equal simulations.
    fn point_key(&self, point: &Self::Point) -> String;
    /// One Monte Carlo trial: one value per method, all from the same draw (paired). `par` is
    /// `Par::Seq` when trials run in parallel with each other, and a parallel `Par` for points
    /// where [`Model::parallel_inside`] holds; either way the result must not depend on the
    /// number of threads (so only thread-count-independent parallel splits may be used).
    fn trial(&self, point: &Self::Point, rng: &mut UnitRng, par: Par)
        -> Result<Vec<f64>, SimError>;
    /// Names of extra per-trial values a trial returns after the compared ones (reported and
    /// checkpointed, never judged): e.g. the measured rate behind a ratio. None by default.
    fn extras(&self) -> Vec<String> {
        Vec::new()
    }
    /// Whether this point's trials should run one at a time with parallel linear algebra inside
    /// (large problems: one copy of the data in memory) rather than in parallel with each other.
    fn parallel_inside(&self, _point: &Self::Point) -> bool {
        false
    }
    /// The finite-size allowance b per method: how far the finite-size mean may sit from the
    /// limit formula through finite-size bias alone.
    fn allowance(&self, point: &Self::Point) -> Vec<f64>;
    /// The interval a trial's value `k` (methods, then extras) always lies in, e.g. [−1, 1] for a
    /// cosine: a trial giving a value outside fails, and a checkpoint recording one (edited by
    /// hand) is refused on resume and merge. Any value by default.
    fn value_range(&self, _k: usize) -> (f64, f64) {
        (f64::NEG_INFINITY, f64::INFINITY)
    }
    /// What one trial at `point` costs, for sizing cluster jobs (`verify slurm`); None (the
    /// default) when the model gives no estimate.
    fn unit_cost(&self, _point: &Self::Point) -> Option<UnitCost> {
        None
    }
}

/// The cost of one Monte Carlo trial, counted from the operations it performs: an order of
/// magnitude for sizing a cluster job's time and memory, not a prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitCost {
    /// Floating-point operations (a multiply-add counts two).
    pub flops: f64,
    /// Peak bytes the trial holds (its largest buffers).
    pub bytes: f64,
}

/// Which of a unit's `values` lies outside `model`'s [`Model::value_range`] or over
/// [`reports::MAX_MAGNITUDE`] in size, described (None when all are usable).
pub fn unusable_value<M: Model>(model: &M, values: &[f64]) -> Option<String> {
    // Called for every trial: the names are built only for the message of a bad value.
    let usable = |k: usize, v: f64| {
        let (lo, hi) = model.value_range(k);
        v.is_finite() && v.abs() <= reports::MAX_MAGNITUDE && (lo..=hi).contains(&v)
    };
    let (k, v) = values
        .iter()
        .copied()
        .enumerate()
        .find(|&(k, v)| !usable(k, v))?;
    let name = model
        .methods()
        .iter()
        .map(|m| m.to_string())
        .chain(model.extras())
        .nth(k)
        .unwrap_or_else(|| "?".into());
    let (lo, hi) = model.value_range(k);
    Some(if v.is_finite() && v.abs() <= reports::MAX_MAGNITUDE {
        format!("'{name}' is {v:e}, outside [{lo}, {hi}]")
    } else {
        format!(
            "'{name}' is {v:e}: not finite, or over {:e} in size",
            reports::MAX_MAGNITUDE
        )
    })
}

/// What the Monte Carlo gave at one grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSims {
    /// Per method.
    pub summaries: Vec<Summary>,
    /// Paired differences method k − method 0, for k ≥ 1 (first entry is method 1 − method 0).
    pub differences: Vec<Summary>,
    /// The raw per-trial values, `samples[trial][method]`.
    pub samples: Vec<Vec<f64>>,
}

/// One Monte Carlo unit: a (grid point index, trial index) pair.
pub type Unit = (usize, usize);

/// Every unit of a sweep, in grid order: point 0's trials, then point 1's, …
pub fn all_units(points: usize, trials: usize) -> Vec<Unit> {
    (0..points)
        .flat_map(|p| (0..trials).map(move |t| (p, t)))
        .collect()
}

/// The units of shard `index` of `count`: every count-th unit of the grid order, starting at
/// `index` (deterministic, and balanced across points).
pub fn shard_units(points: usize, trials: usize, index: usize, count: usize) -> Vec<Unit> {
    all_units(points, trials)
        .into_iter()
        .enumerate()
        .filter(|(u, _)| u % count == index)
        .map(|(_, u)| u)
        .collect()
}

/// Run the given units. Each unit's value depends only on (seed, point, trial), never on the
/// thread that runs it or on the other units. `done` is called as each unit finishes (from any
/// thread; use it for progress and checkpoints); the result lists the units in the given order.
pub fn run_units<M: Model>(
    model: &M,
    points: &[M::Point],
    units: &[Unit],
    seed: u64,
    done: &(dyn Fn(Unit, &[f64]) + Sync),
) -> Result<Vec<Vec<f64>>, SimError> {
    let keys: Vec<u64> = points
        .iter()
        .map(|p| crate::rng::stable_key(&model.point_key(p)))
        .collect();
    let nm = model.methods().len() + model.extras().len();
    let run = |&(p, t): &Unit, par: Par| -> Result<Vec<f64>, SimError> {
        if crate::interrupt::requested() {
            return Err(SimError::Interrupted);
        }
        let mut rng = unit_rng(seed, keys[p], t as u64);
        let out = model
            .trial(&points[p], &mut rng, par)
            .map_err(|e| match e {
                // Which unit failed: the grid point's index and the trial.
                SimError::Numerical(m) => {
                    SimError::Numerical(format!("{m} (grid point {p}, trial {t})"))
                }
                other => other,
            })?;
        if out.len() != nm {
            return Err(SimError::Numerical(format!(
                "a trial returned {} values, expected {nm} (one per method and extra)",
                out.len()
            )));
        }
        if let Some(why) = unusable_value(model, &out) {
            return Err(SimError::Numerical(format!(
                "trial {t} of grid point {p} gave an impossible value ({why}): a quantity overflowed or divided by zero (a parameter too large for double precision?)"
            )));
        }
        done((p, t), &out);
        Ok(out)
    };
    // Small problems: trials in parallel, each sequential inside. Large ones: one trial at a time,
    // parallel inside. Results are collected in unit order either way.
    let inside: Vec<bool> = points.iter().map(|p| model.parallel_inside(p)).collect();
    let mut values: Vec<Option<Result<Vec<f64>, SimError>>> = units
        .par_iter()
        .map(|u| (!inside[u.0]).then(|| run(u, Par::Seq)))
        .collect();
    for (slot, u) in values.iter_mut().zip(units) {
        if inside[u.0] {
            *slot = Some(run(u, Par::rayon(0)));
        }
    }
    values
        .into_iter()
        .map(|v| v.expect("every unit ran"))
        .collect()
}

/// Group per-unit values (all units, in grid order) into per-point summaries.
pub fn summarize_units(
    values: &[Vec<f64>],
    points: usize,
    trials: usize,
    methods: usize,
) -> Vec<PointSims> {
    (0..points)
        .map(|p| summarize_point(&values[p * trials..(p + 1) * trials], methods))
        .collect()
}

/// Run `trials` trials at each point, in parallel over all (point, trial) units. `progress` is
/// called once per finished unit. The result is independent of the number of threads.
pub fn simulate<M: Model>(
    model: &M,
    points: &[M::Point],
    trials: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PointSims>, SimError> {
    let units = all_units(points.len(), trials);
    let values = run_units(model, points, &units, seed, &|_, _| progress())?;
    Ok(summarize_units(
        &values,
        points.len(),
        trials,
        model.methods().len(),
    ))
}

/// Per-method summaries and paired differences from per-trial values.
pub fn summarize_point(samples: &[Vec<f64>], methods: usize) -> PointSims {
    let column = |k: usize| samples.iter().map(|s| s[k]).collect::<Vec<_>>();
    let summaries = (0..methods).map(|k| summarize(&column(k))).collect();
    let differences = (1..methods)
        .map(|k| summarize(&samples.iter().map(|s| s[k] - s[0]).collect::<Vec<_>>()))
        .collect();
    PointSims {
        summaries,
        differences,
        samples: samples.to_vec(),
    }
}

/// Verdicts for every (point, method) of a sweep at level `alpha` with equivalence margin
/// `margin` (None where the method has no formula; Holm's family is the judged rows).
pub fn assess(
    theory: &[Vec<Option<f64>>],
    sims: &[PointSims],
    allowances: &[Vec<f64>],
    margin: Margin,
    alpha: f64,
) -> Vec<Vec<Option<Verdict>>> {
    let mut inputs = Vec::new();
    for ((th, s), b) in theory.iter().zip(sims).zip(allowances) {
        for ((t, s), b) in th.iter().zip(&s.summaries).zip(b) {
            if let Some(t) = t {
                inputs.push(RowInput {
                    sim: *s,
                    formula: *t,
                    allowance: *b,
                    bracket: None,
                });
            }
        }
    }
    let mut judged = judge_rows(&inputs, margin, alpha).into_iter();
    theory
        .iter()
        .map(|th| th.iter().map(|t| t.and_then(|_| judged.next())).collect())
        .collect()
}
