//! The whole pipeline for a [`Check`] on a [`Grid`]: theory → checkpointed Monte Carlo (resume,
//! shards, merge) → verdict → rows → CSV/JSON with a provenance envelope → one figure per swept
//! axis → report.md → standard output.

use crate::adaptive::{run_adaptive, PerPoint, Schedule};
use crate::args::{CommonArgs, Trials};
use crate::check::{AsModel, Check, Grid};
use crate::checkpoint::{run_checkpointed, LogHeader, RunOutcome, RunPlan};
use crate::error::HarnessError;
use crate::finite_size::RunPoints;
use crate::merge::{merge_shards, write_merged_log};
use crate::observer::Progress;
pub use crate::rows::{CheckRow, RunVerdict};
use crate::stats::Summary;
use crate::verdict::judge_rows;
use crate::{assess, summarize_units, Margin, Model, PointSims, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a check writes by default: `out/NAME`.
fn out_dir<C: Check>(c: &C, a: &CommonArgs) -> PathBuf {
    a.out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(c.name()))
}

/// The canonical description of a run: identical for the shards of one run, different for
/// anything that changes the simulated values (the points, including the finite-size
/// companions, the trials and the seed). The check's own command line when it has one
/// ([`Check::command`]).
fn header<C: Check>(c: &C, grid: &Grid, a: &CommonArgs, run: &RunPoints) -> LogHeader {
    let command = c.command().unwrap_or_else(|| {
        let mut command = vec![c.name().to_string(), format!("settings={}", c.settings())];
        for (name, values) in &grid.axes {
            command.push(format!("{name}={values:?}"));
        }
        command.push(format!("finite-size={:?}", run.mode));
        command.extend(["--trials".into(), a.trials.to_string()]);
        command.extend(["--seed".into(), a.seed.to_string()]);
        command
    });
    let trials = a.trials.budget(a.max_trials) as usize;
    LogHeader {
        version: c.version().to_string(),
        ..LogHeader::new(c.name(), command, run.points.len(), trials, a.shard)
    }
}

/// Refuse flag combinations the engine cannot honour, naming the flags.
fn check_flags(a: &CommonArgs) -> Result<(), HarnessError> {
    if a.trials == Trials::Auto && (a.shard.is_some() || !a.merge.is_empty()) {
        return Err(HarnessError::Usage(
            "invalid value for --shard/--merge with --trials auto: each look needs every point's trials so far; run --trials auto unsharded, or shard a fixed --trials".into(),
        ));
    }
    Ok(())
}

/// Each simulated point's trials (None: theory only or a finished shard).
fn simulate<C: Check>(
    c: &C,
    grid: &Grid,
    run: &RunPoints,
    a: &CommonArgs,
    out: &Path,
    decided: &mut dyn FnMut(&PerPoint) -> Vec<bool>,
) -> Result<Option<PerPoint>, HarnessError> {
    if a.theory_only {
        return Ok(None);
    }
    let h = header(c, grid, a, run).with_inputs(c.inputs());
    let per_point = |values: Vec<Vec<f64>>, trials: usize| -> PerPoint {
        values.chunks(trials).map(<[_]>::to_vec).collect()
    };
    if !a.merge.is_empty() {
        let m = merge_shards(&a.merge)?;
        if m.header
            != (LogHeader {
                shard: None,
                ..h.clone()
            })
        {
            return Err(HarnessError::Usage(format!(
                "--merge: the shards hold another run ({}), not this one ({})",
                m.header.command.join(" "),
                h.command.join(" ")
            )));
        }
        write_merged_log(out, &m, &AsModel(c))?;
        return Ok(Some(per_point(m.values, h.trials)));
    }
    let plan = RunPlan {
        out: out.to_path_buf(),
        resume: a.resume,
        seed: a.seed,
        header: h,
    };
    let progress = Progress::new(a.quiet);
    if a.trials == Trials::Auto {
        let schedule = Schedule::doubling(20, a.max_trials as usize);
        let values = run_adaptive(
            &AsModel(c),
            &run.points,
            &plan,
            &schedule,
            &progress,
            decided,
        )?;
        return Ok(Some(values));
    }
    match run_checkpointed(&AsModel(c), &run.points, &plan, &progress)? {
        RunOutcome::Whole(v) => Ok(Some(per_point(v, plan.header.trials))),
        RunOutcome::Shard { units, log } => {
            eprintln!(
                "shard {}/{}: {units} units in {}; combine the shard folders with --merge DIR... --out DIR",
                a.shard.map_or(0, |s| s.0),
                a.shard.map_or(1, |s| s.1),
                log.display()
            );
            Ok(None)
        }
    }
}

/// Rows from theory, summaries and verdicts (grid points only; companions feed the verdict).
fn rows(
    quantities: &[&'static str],
    run: &RunPoints,
    theory: &[Vec<Option<f64>>],
    judged: Option<&CheckJudgement>,
    trials: usize,
) -> Vec<CheckRow> {
    let mut out = Vec::new();
    for (i, p) in run.points[..run.grid_len()].iter().enumerate() {
        for (k, &q) in quantities.iter().enumerate() {
            let sim = judged.map(|j| j.summaries[i][k]);
            let small = judged.and_then(|j| run.companion[i].map(|s| j.summaries[s][k]));
            let v = judged.and_then(|j| j.verdicts[i][k]);
            out.push(CheckRow {
                params: p.0.clone(),
                quantity: q,
                trials: sim.map_or(trials, |s| s.n),
                theory: theory[i][k],
                sim: sim.map(|s| s.mean),
                sim_se: sim.map(|s| s.se),
                sim_small: small.map(|s| s.mean),
                sim_small_se: small.map(|s| s.se),
                limit: v.map(|v| v.limit),
                z: v.and_then(|v| v.z),
                z_beyond: v.map(|v| v.z_beyond),
                allowance: v.map(|v| v.allowance),
                bound: v.map(|v| v.bound),
                pass: v.map(|v| v.pass),
                verdict: v.map(|v| v.outcome),
            });
        }
    }
    out
}

/// Run a check with the shared flags: simulate (or resume, or merge shards) at the grid's points
/// and the finite-size companions ([`crate::finite_size`]), judge, write the result set into
/// `--out`, print to standard output. Returns the run's verdict.
pub fn run_check<C: Check>(c: &C, grid: &Grid, a: &CommonArgs) -> Result<RunVerdict, HarnessError> {
    check_flags(a)?;
    grid.validate(a.trials.budget(a.max_trials))?;
    let run = RunPoints::new(c, grid, a.extrapolate)?;
    let out = out_dir(c, a);
    let created = std::fs::symlink_metadata(&out).is_err();
    let lock = crate::lock::OutLock::acquire(&out)?;
    let result = run_locked(c, grid, a, &run, &out);
    // A refused or failed run leaves no folder it created: a merge's (nothing of it is kept), or
    // one holding only the lock. An interrupted run's checkpoint stays (resume continues it).
    if result.is_err() && created {
        let only_lock = std::fs::read_dir(&out).is_ok_and(|entries| {
            entries
                .flatten()
                .all(|e| e.file_name() == crate::lock::LOCK_FILE)
        });
        if !a.merge.is_empty() || only_lock {
            drop(lock);
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    result
}

/// [`run_check`] once `out` is locked.
fn run_locked<C: Check>(
    c: &C,
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    out: &Path,
) -> Result<RunVerdict, HarnessError> {
    let model = AsModel(c);
    let theory: Vec<Vec<Option<f64>>> = run.points[..run.grid_len()]
        .iter()
        .map(|p| model.theory(p))
        .collect::<Result<_, _>>()?;
    // Each look of --trials auto tests at α/looks, the final verdict too.
    let alpha = match a.trials {
        Trials::Auto => Schedule::doubling(20, a.max_trials as usize).alpha_per_look(a.alpha),
        Trials::Fixed(_) => a.alpha,
    };
    let mut decided = |values: &PerPoint| {
        let j = judge_check(c, run, &theory, values, a.margin, alpha);
        run.decided(&j.verdicts)
    };
    let trials = a.trials.budget(a.max_trials) as usize;
    let Some(values) = simulate(c, grid, run, a, out, &mut decided)? else {
        if a.shard.is_some() {
            return Ok(RunVerdict::Shard);
        }
        let rows = rows(&c.quantities(), run, &theory, None, trials);
        crate::output::write_all(c, grid, a, run, out, &rows, RunVerdict::TheoryOnly)?;
        return Ok(RunVerdict::TheoryOnly);
    };
    let j = judge_check(c, run, &theory, &values, a.margin, alpha);
    let rows = rows(&c.quantities(), run, &theory, Some(&j), trials);
    let verdict = RunVerdict::of(crate::Outcome::of_run(
        rows.iter().filter_map(|r| r.verdict),
    ));
    crate::output::write_all(c, grid, a, run, out, &rows, verdict)?;
    Ok(verdict)
}

/// A check's Monte Carlo, judged: per simulated point and quantity the summary; per grid point
/// and quantity the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckJudgement {
    /// Per simulated point (grid points, then companions), per quantity.
    pub summaries: Vec<Vec<Summary>>,
    /// Per grid point, per quantity (None: no formula, or a point used only by a fit).
    pub verdicts: Vec<Vec<Option<Verdict>>>,
}

/// Judge a check's trials: each grid row against its formula, with the finite-size handling of
/// `run` (measured bracket, allowance, extrapolation or exactness), Holm over all judged rows.
pub fn judge_check<C: Check>(
    c: &C,
    run: &RunPoints,
    theory: &[Vec<Option<f64>>],
    values: &PerPoint,
    margin: Margin,
    alpha: f64,
) -> CheckJudgement {
    let nq = c.quantities().len();
    let summaries: Vec<Vec<Summary>> = values
        .iter()
        .map(|v| crate::experiment::summarize_point(v, nq).summaries)
        .collect();
    let mut slots = Vec::new();
    let mut inputs = Vec::new();
    for (i, th) in theory.iter().enumerate() {
        for (k, formula) in th.iter().enumerate() {
            let Some(formula) = *formula else { continue };
            if let Some(row) = run.row_input(c, i, k, formula, &summaries) {
                slots.push((i, k));
                inputs.push(row);
            }
        }
    }
    let mut verdicts = vec![vec![None; nq]; run.grid_len()];
    for ((i, k), v) in slots.into_iter().zip(judge_rows(&inputs, margin, alpha)) {
        verdicts[i][k] = Some(v);
    }
    CheckJudgement {
        summaries,
        verdicts,
    }
}

/// The `main` of a user's check program: run it, print any error, and return the exit code
/// (0 agree / theory only / shard, 1 disagree, 2 bad input, 3 could not complete, 4 inconclusive).
pub fn main_exit_code<C: Check>(c: &C, grid: &Grid, a: &CommonArgs) -> i32 {
    match run_check(c, grid, a) {
        Ok(v) => v.exit_code(),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            e.exit_code()
        }
    }
}

/// Summaries, verdicts and allowances of a finished Monte Carlo: what every command's rows are
/// built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Per point: per-method summaries and paired differences.
    pub sims: Vec<PointSims>,
    /// Per point, per method: the verdict (None for a method without a formula).
    pub verdicts: Vec<Vec<Option<Verdict>>>,
    /// Per point, per method: the finite-size allowance used.
    pub allowances: Vec<Vec<f64>>,
}

/// Judge unit values (all units in grid order) against `theory` at level `alpha` with the
/// equivalence margin `margin` (see `sims::verdict`).
pub fn judge<M: Model>(
    model: &M,
    points: &[M::Point],
    theory: &[Vec<Option<f64>>],
    values: &[Vec<f64>],
    trials: usize,
    margin: crate::Margin,
    alpha: f64,
) -> Judgement {
    let sims = summarize_units(values, points.len(), trials, model.methods().len());
    judge_summaries(model, points, theory, sims, margin, alpha)
}

/// As [`judge`], for points with their own numbers of trials (`--trials auto`): `per_point[p]`
/// holds point p's trials.
pub fn judge_points<M: Model>(
    model: &M,
    points: &[M::Point],
    theory: &[Vec<Option<f64>>],
    per_point: &[Vec<Vec<f64>>],
    margin: crate::Margin,
    alpha: f64,
) -> Judgement {
    let methods = model.methods().len();
    let sims = per_point
        .iter()
        .map(|v| crate::experiment::summarize_point(v, methods))
        .collect();
    judge_summaries(model, points, theory, sims, margin, alpha)
}

fn judge_summaries<M: Model>(
    model: &M,
    points: &[M::Point],
    theory: &[Vec<Option<f64>>],
    sims: Vec<PointSims>,
    margin: crate::Margin,
    alpha: f64,
) -> Judgement {
    let allowances: Vec<Vec<f64>> = points.iter().map(|p| model.allowance(p)).collect();
    let verdicts = assess(theory, &sims, &allowances, margin, alpha);
    Judgement {
        sims,
        verdicts,
        allowances,
    }
}
