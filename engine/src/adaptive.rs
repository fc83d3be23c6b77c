//! `--trials auto`: trials are added in deterministic doubling batches (20, 40, 80, … up to
//! `--max-trials`) to the grid points whose rows are not yet decided, with a look at the verdict
//! after each batch.
//!
//! Repeated looks would inflate the error level if each used the full α, so the level is spent
//! in advance: the schedule fixes the number of looks K before any data is seen, and every look
//! tests at α/K (Bonferroni over looks — the simplest valid alpha-spending plan; doubling keeps
//! K small, e.g. 7 looks from 20 to 1280 trials, so the price is a modestly larger critical
//! value). Both error kinds are covered: a correct formula is called "disagree", and a formula
//! off by more than the margin is called "agree", each with probability at most α over the
//! whole run.
//!
//! Trial t of point p is the same unit (same random stream) whichever batch runs it, so a run
//! stopped at n trials is bit-identical to a fixed `--trials n` run at that point, whatever the
//! thread count; every unit goes to the checkpoint as it finishes, so `--resume` continues.

use crate::checkpoint::{resumable_units, run_logged, RunPlan};
use crate::error::HarnessError;
use crate::observer::Observer;
use crate::publish::PARTIAL_UNITS_FILE;
use crate::{Model, Unit};
use std::collections::HashMap;

/// The trial counts at which the verdict is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    looks: Vec<usize>,
}

impl Schedule {
    /// `first`, 2·first, 4·first, … and finally `max` (first is capped at max; max ≥ 2).
    pub fn doubling(first: usize, max: usize) -> Self {
        let max = max.max(2);
        let mut looks = vec![first.clamp(2, max)];
        while let Some(&last) = looks.last() {
            if last >= max {
                break;
            }
            looks.push((2 * last).min(max));
        }
        Schedule { looks }
    }

    /// The trial counts, increasing.
    pub fn looks(&self) -> &[usize] {
        &self.looks
    }

    /// The level each look tests at: α / (number of looks).
    pub fn alpha_per_look(&self, alpha: f64) -> f64 {
        alpha / self.looks.len() as f64
    }

    /// The budget: trials per point at the last look.
    pub fn max(&self) -> usize {
        *self.looks.last().unwrap_or(&2)
    }
}

/// Each point's trials so far (values per trial, in trial order).
pub type PerPoint = Vec<Vec<Vec<f64>>>;

/// Run `model` at `points` under `schedule`: after each batch `decided` is given every point's
/// trials so far and returns which points are decided; undecided ones get the next batch. The
/// plan's header must name `schedule.max()` trials. Returns each point's trials.
pub fn run_adaptive<M: Model>(
    model: &M,
    points: &[M::Point],
    plan: &RunPlan,
    schedule: &Schedule,
    observer: &dyn Observer,
    decided: &mut dyn FnMut(&PerPoint) -> Vec<bool>,
) -> Result<PerPoint, HarnessError> {
    let mut known: HashMap<Unit, Vec<f64>> = resumable_units(plan, model)?;
    let kept: Vec<reports::UnitRecord> = crate::all_units(points.len(), schedule.max())
        .iter()
        .filter_map(|u| known.get(u).map(|v| reports::UnitRecord::new(u.0, u.1, v)))
        .collect();
    let log_path = plan.out.join(PARTIAL_UNITS_FILE);
    let log = reports::UnitLog::create(&log_path, &plan.header, &kept)?;
    let mut have = vec![0usize; points.len()];
    let mut active: Vec<usize> = (0..points.len()).collect();
    let mut values: PerPoint = vec![Vec::new(); points.len()];
    for &n in schedule.looks() {
        let todo: Vec<Unit> = active
            .iter()
            .flat_map(|&p| (have[p]..n).map(move |t| (p, t)))
            .filter(|u| !known.contains_key(u))
            .collect();
        let fresh = run_logged(model, points, &todo, plan.seed, &log, observer)?;
        known.extend(todo.into_iter().zip(fresh));
        for &p in &active {
            values[p] = (0..n).map(|t| known[&(p, t)].clone()).collect();
            have[p] = n;
        }
        let done = decided(&values);
        active.retain(|&p| !done[p]);
        if active.is_empty() {
            break;
        }
    }
    drop(log);
    // The checkpoint of the units used, in grid order (bit-identical whatever the threads).
    let ordered: Vec<reports::UnitRecord> = values
        .iter()
        .enumerate()
        .flat_map(|(p, v)| {
            v.iter()
                .enumerate()
                .map(move |(t, x)| reports::UnitRecord::new(p, t, x))
        })
        .collect();
    reports::UnitLog::create(&log_path, &plan.header, &ordered)?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_schedules() {
        assert_eq!(
            Schedule::doubling(20, 1280).looks(),
            [20, 40, 80, 160, 320, 640, 1280]
        );
        assert_eq!(Schedule::doubling(20, 100).looks(), [20, 40, 80, 100]);
        assert_eq!(Schedule::doubling(20, 10).looks(), [10]);
        assert!((Schedule::doubling(20, 1280).alpha_per_look(0.07) - 0.01).abs() < 1e-15);
    }
}
