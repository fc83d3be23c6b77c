//! The whole pipeline for a [`Check`] on a [`Grid`]: theory → checkpointed Monte Carlo (resume,
//! shards, merge) → verdict → rows → CSV/JSON with a provenance envelope → one figure per swept
//! axis → report.md → standard output.

use crate::args::CommonArgs;
use crate::check::{AsModel, Check, Grid, Params};
use crate::checkpoint::{run_checkpointed, LogHeader, Outcome, RunPlan};
use crate::error::HarnessError;
use crate::merge::{merge_shards, write_merged_log};
use crate::observer::{Observer, Progress};
pub use crate::rows::{CheckRow, RunVerdict};
use sims::{assess, summarize_units, Model, PointSims, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a check writes by default: `out/NAME`.
fn out_dir<C: Check>(c: &C, a: &CommonArgs) -> PathBuf {
    a.out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(c.name()))
}

/// The canonical description of a run: identical for the shards of one run, different for
/// anything that changes the simulated values.
fn header<C: Check>(c: &C, grid: &Grid, a: &CommonArgs, points: usize) -> LogHeader {
    let mut command = vec![c.name().to_string(), format!("settings={}", c.settings())];
    for (name, values) in &grid.axes {
        command.push(format!("{name}={values:?}"));
    }
    command.extend(["--trials".into(), a.trials.to_string()]);
    command.extend(["--seed".into(), a.seed.to_string()]);
    LogHeader {
        version: c.version().to_string(),
        ..LogHeader::new(c.name(), command, points, a.trials as usize, a.shard)
    }
}

/// Simulated values per unit in grid order (None: theory only or a finished shard).
fn simulate<C: Check>(
    c: &C,
    grid: &Grid,
    points: &[Params],
    a: &CommonArgs,
    out: &Path,
    observer: &dyn Observer,
) -> Result<Option<Vec<Vec<f64>>>, HarnessError> {
    if a.theory_only {
        return Ok(None);
    }
    let h = header(c, grid, a, points.len()).with_inputs(&c.inputs())?;
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
        write_merged_log(out, &m)?;
        return Ok(Some(m.values));
    }
    let plan = RunPlan {
        out: out.to_path_buf(),
        resume: a.resume,
        seed: a.seed,
        header: h,
    };
    match run_checkpointed(&AsModel(c), points, &plan, observer)? {
        Outcome::Whole(v) => Ok(Some(v)),
        Outcome::Shard { units, log } => {
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

/// Rows from theory, summaries and verdicts.
fn rows(
    quantities: &[&'static str],
    points: &[Params],
    theory: &[Vec<Option<f64>>],
    judged: Option<&Judgement>,
    trials: usize,
) -> Vec<CheckRow> {
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        for (k, &q) in quantities.iter().enumerate() {
            let s = judged.as_ref().map(|j| {
                (
                    &j.sims[i].summaries[k],
                    j.verdicts[i][k],
                    j.allowances[i][k],
                )
            });
            out.push(CheckRow {
                params: p.0.clone(),
                quantity: q,
                trials,
                theory: theory[i][k],
                sim: s.map(|s| s.0.mean),
                sim_se: s.map(|s| s.0.se),
                z: s.and_then(|s| s.1.and_then(|v| v.z)),
                allowance: s.map(|s| s.2),
                pass: s.and_then(|s| s.1.map(|v| v.pass)),
                verdict: s.and_then(|s| s.1.map(|v| v.outcome)),
            });
        }
    }
    out
}

/// Run a check with the shared flags: simulate (or resume, or merge shards), judge, write the
/// result set into `--out`, print to standard output. Returns the run's verdict.
pub fn run_check<C: Check>(c: &C, grid: &Grid, a: &CommonArgs) -> Result<RunVerdict, HarnessError> {
    let points = grid.points();
    let out = out_dir(c, a);
    let _lock = crate::lock::OutLock::acquire(&out)?;
    let model = AsModel(c);
    let theory: Vec<Vec<Option<f64>>> = points
        .iter()
        .map(|p| model.theory(p))
        .collect::<Result<_, _>>()?;
    let progress = Progress::new(a.quiet);
    let Some(values) = simulate(c, grid, &points, a, &out, &progress)? else {
        if a.shard.is_some() {
            return Ok(RunVerdict::Shard);
        }
        let rows = rows(&c.quantities(), &points, &theory, None, a.trials as usize);
        crate::output::write_all(c, grid, a, &out, &rows, RunVerdict::TheoryOnly)?;
        return Ok(RunVerdict::TheoryOnly);
    };
    let trials = a.trials as usize;
    let j = judge(&model, &points, &theory, &values, trials, a.margin, a.alpha);
    let rows = rows(&c.quantities(), &points, &theory, Some(&j), trials);
    let verdict = RunVerdict::of(sims::Outcome::of_run(rows.iter().filter_map(|r| r.verdict)));
    crate::output::write_all(c, grid, a, &out, &rows, verdict)?;
    Ok(verdict)
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
    margin: sims::Margin,
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
    margin: sims::Margin,
    alpha: f64,
) -> Judgement {
    let methods = model.methods().len();
    let sims = per_point
        .iter()
        .map(|v| sims::experiment::summarize_point(v, methods))
        .collect();
    judge_summaries(model, points, theory, sims, margin, alpha)
}

fn judge_summaries<M: Model>(
    model: &M,
    points: &[M::Point],
    theory: &[Vec<Option<f64>>],
    sims: Vec<PointSims>,
    margin: sims::Margin,
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
