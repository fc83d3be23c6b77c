//! A checkpointed Monte Carlo run: every finished (grid point, trial) unit is appended to
//! `units.partial.jsonl` in the output folder as it completes (it becomes `units.jsonl` when
//! the run's results are published, see [`crate::publish`]), so an interrupted run (Ctrl-C, a time
//! limit, `kill -9`) continues with `resume`, and a sharded run's folders can be merged (see
//! `merge_shards`) into exactly the values of an unsharded one.

use crate::error::HarnessError;
use crate::inputs::InputFile;
use crate::observer::Observer;
use crate::{Model, Unit};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use crate::publish::UNITS_FILE;

/// The checkpoint's first line: which run the units belong to. Resume and merge refuse a log
/// whose header differs (another model, model version, command, grid size or split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogHeader {
    /// What kind of run (the model's name).
    pub kind: String,
    /// The version of the tool (and model) that wrote it.
    pub version: String,
    /// The canonical command (every setting explicit); identical for the shards of one run.
    pub command: Vec<String>,
    /// Number of grid points.
    pub points: usize,
    /// Trials per grid point.
    pub trials: usize,
    /// (index, count) for a shard of a run, None for a whole run.
    pub shard: Option<(usize, usize)>,
    /// Fingerprints of the input files the values depend on (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputFile>,
}

impl LogHeader {
    /// The header of a run of `kind` (its canonical `command`) over `points` grid points with
    /// `trials` trials each, as shard `shard` (None: the whole run), with no input files.
    pub fn new(
        kind: &str,
        command: Vec<String>,
        points: usize,
        trials: usize,
        shard: Option<(usize, usize)>,
    ) -> Self {
        LogHeader {
            kind: kind.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command,
            points,
            trials,
            shard,
            inputs: Vec::new(),
        }
    }

    /// The same header with the fingerprints of the input files (taken from the bytes the run
    /// read: see [`crate::inputs::read_input`]).
    pub fn with_inputs(mut self, inputs: Vec<InputFile>) -> Self {
        self.inputs = inputs;
        self
    }
}

/// Where and how a checkpointed run goes.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The output folder (holds `units.jsonl`).
    pub out: PathBuf,
    /// Keep the units of an interrupted run of the same configuration.
    pub resume: bool,
    /// Seed of every random stream.
    pub seed: u64,
    /// The checkpoint header (its `shard` says which units this run does).
    pub header: LogHeader,
}

/// What a checkpointed run produced.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// Every unit of the grid, in grid order (point 0's trials, then point 1's, …).
    Whole(Vec<Vec<f64>>),
    /// A shard finished: how many units it holds, and where.
    Shard {
        /// Units in this shard.
        units: usize,
        /// Its checkpoint file.
        log: PathBuf,
    },
}

/// The units of a run's checkpoint already on disk, when resuming the same run.
pub(crate) fn resumable_units<M: Model>(
    plan: &RunPlan,
    model: &M,
) -> Result<HashMap<Unit, Vec<f64>>, HarnessError> {
    let values_per_unit = model.methods().len() + model.extras().len();
    // An interrupted run's checkpoint, else a finished run's (resuming it only re-finishes).
    let partial = plan.out.join(crate::publish::PARTIAL_UNITS_FILE);
    let log_path = if partial.exists() {
        partial
    } else {
        plan.out.join(UNITS_FILE)
    };
    let known = HashMap::new();
    if !(plan.resume && log_path.exists()) {
        return Ok(known);
    }
    let (h, records) = read_checkpoint(&log_path, "--resume")?;
    if h.inputs != plan.header.inputs
        && (LogHeader {
            inputs: Vec::new(),
            ..h.clone()
        }) == (LogHeader {
            inputs: Vec::new(),
            ..plan.header.clone()
        })
    {
        let changed: Vec<&str> = h.inputs.iter().map(|f| f.path.as_str()).collect();
        return Err(HarnessError::Usage(format!(
            "--resume: an input file of the run in {} has changed since it started ({}); its finished trials would mix with new ones. Restore the file, or drop --resume to start over",
            plan.out.display(),
            changed.join(", ")
        )));
    }
    if h != plan.header {
        return Err(HarnessError::Usage(format!(
            "--resume: {} holds a different run ({}); use another --out or drop --resume to start over",
            plan.out.display(),
            h.command.join(" ")
        )));
    }
    let units = collect_units(&log_path, &h, records, Some(values_per_unit))?;
    for (u, v) in &units {
        if let Some(why) = crate::experiment::unusable_value(model, v) {
            return Err(HarnessError::Usage(format!(
                "--resume: {} is damaged: unit {u:?} records a value no trial can give ({why}); delete it (or the folder) and run again",
                log_path.display()
            )));
        }
    }
    Ok(units)
}

/// The units of a checkpoint's records, refusing (with the file named) a unit outside the grid or
/// the header's shard, a unit with the wrong number of values (`per_unit`, or else the same as
/// the other units), and a unit recorded twice with different values.
pub fn collect_units(
    path: &Path,
    h: &LogHeader,
    records: Vec<reports::UnitRecord>,
    per_unit: Option<usize>,
) -> Result<HashMap<Unit, Vec<f64>>, HarnessError> {
    let bad = |what: String| {
        HarnessError::Usage(format!(
            "{} is damaged: {what}; delete it (or the folder) and run again",
            path.display()
        ))
    };
    let expected = per_unit.or_else(|| records.first().map(|r| r.bits.len()));
    let mut known: HashMap<Unit, Vec<f64>> = HashMap::new();
    for r in records {
        let unit = (r.point, r.trial);
        let index = r.point * h.trials + r.trial;
        let in_shard = h.shard.is_none_or(|(i, k)| index % k == i);
        if r.point >= h.points || r.trial >= h.trials || !in_shard {
            return Err(bad(format!("unit {unit:?} does not belong to this run")));
        }
        if Some(r.bits.len()) != expected {
            return Err(bad(format!(
                "unit {unit:?} has {} values, expected {}",
                r.bits.len(),
                expected.unwrap_or(0)
            )));
        }
        let values = r.values();
        if let Some(old) = known.get(&unit) {
            if old.iter().map(|v| v.to_bits()).ne(r.bits.iter().copied()) {
                return Err(bad(format!(
                    "unit {unit:?} is recorded twice with different values"
                )));
            }
        }
        known.insert(unit, values);
    }
    Ok(known)
}

/// Read a checkpoint's header and records; `what` names the operation in messages. The file is
/// read with [`crate::read::regular_file`] (at most [`crate::read::MAX_CHECKPOINT`] bytes); a
/// line that is not a unit record (bad JSON, wrong fields, a non-finite value) refuses the
/// operation (exit 2) naming the file and line, whichever command reads it. Only an incomplete
/// last line (a run killed mid-append) is dropped.
pub fn read_checkpoint(
    path: &Path,
    what: &str,
) -> Result<(LogHeader, Vec<reports::UnitRecord>), HarnessError> {
    let bytes = crate::read::regular_file(path, crate::read::MAX_CHECKPOINT, "checkpoint")?;
    let (h, records) = reports::parse_unit_log(path, &bytes).map_err(|e| match e {
        reports::ReportError::Decode { path, line, reason } => HarnessError::Usage(format!(
            "{what}: {} is damaged at line {line}: {reason}; delete it (or the folder) and run again",
            path.display()
        )),
        other => other.into(),
    })?;
    let h: LogHeader = serde_json::from_value(h).map_err(|e| {
        HarnessError::Usage(format!(
            "{what}: {} is not a verify checkpoint ({e})",
            path.display()
        ))
    })?;
    if let Some(why) = header_out_of_bounds(&h) {
        return Err(HarnessError::Usage(format!(
            "{what}: {} is damaged: its header {why}; delete it (or the folder) and run again",
            path.display()
        )));
    }
    Ok((h, records))
}

/// What makes a checkpoint header impossible for a run this tool writes (a shard split outside
/// 0 <= I < K <= MAX_SHARDS, more units than a run may have), if anything.
fn header_out_of_bounds(h: &LogHeader) -> Option<String> {
    if let Some((i, k)) = h.shard {
        if k == 0 || i >= k || k > crate::args::MAX_SHARDS {
            return Some(format!(
                "names shard {i}/{k} (0 <= I < K <= {})",
                crate::args::MAX_SHARDS
            ));
        }
    }
    let units = (h.points as u64).saturating_mul(h.trials as u64);
    (h.points as u64 > crate::check::MAX_GRID_POINTS || units > crate::check::MAX_UNITS).then(
        || {
            format!(
                "names {} points × {} trials (at most {} points and {} units)",
                h.points,
                h.trials,
                crate::check::MAX_GRID_POINTS,
                crate::check::MAX_UNITS
            )
        },
    )
}

/// Run `model` over `points` with checkpointing: the plan's shard of the units (all of them for a
/// whole run), skipping those a resumed checkpoint already holds. Values are bit-identical
/// whatever the thread count, and whether the run was interrupted, resumed or sharded.
pub fn run_checkpointed<M: Model>(
    model: &M,
    points: &[M::Point],
    plan: &RunPlan,
    observer: &dyn Observer,
) -> Result<RunOutcome, HarnessError> {
    let (np, trials) = (plan.header.points, plan.header.trials);
    crate::check::check_counts(np as u64, trials as u64)?;
    let mine = match plan.header.shard {
        Some((i, k)) => crate::shard_units(np, trials, i, k),
        None => crate::all_units(np, trials),
    };
    let mut known = resumable_units(plan, model)?;
    let kept: Vec<reports::UnitRecord> = mine
        .iter()
        .filter_map(|u| known.get(u).map(|v| reports::UnitRecord::new(u.0, u.1, v)))
        .collect();
    if !kept.is_empty() {
        // Said even with --quiet: a requeued cluster task's log shows it continued.
        eprintln!(
            "resuming {}: {} of {} units already done",
            plan.out.display(),
            kept.len(),
            mine.len()
        );
    }
    let log_path = plan.out.join(crate::publish::PARTIAL_UNITS_FILE);
    let log = reports::UnitLog::create(&log_path, &plan.header, &kept)?;
    let todo: Vec<Unit> = mine
        .iter()
        .copied()
        .filter(|u| !known.contains_key(u))
        .collect();
    let fresh = run_logged(model, points, &todo, plan.seed, &log, observer)?;
    drop(log);
    for (u, v) in todo.into_iter().zip(fresh) {
        known.insert(u, v);
    }
    // The finished checkpoint in grid order (the log holds units in completion order), so it
    // too is bit-identical whatever the thread count.
    let ordered: Vec<reports::UnitRecord> = mine
        .iter()
        .map(|u| reports::UnitRecord::new(u.0, u.1, &known[u]))
        .collect();
    reports::UnitLog::create(&log_path, &plan.header, &ordered)?;
    if plan.header.shard.is_some() {
        // A finished shard's folder holds just its checkpoint, published as units.jsonl.
        crate::publish::publish::<_, HarnessError>(
            &plan.out,
            crate::publish::Checkpoint::Finished,
            |_| Ok(()),
        )?;
        return Ok(RunOutcome::Shard {
            units: mine.len(),
            log: plan.out.join(UNITS_FILE),
        });
    }
    let values = crate::all_units(np, trials)
        .iter()
        .map(|u| known.remove(u).expect("every unit ran"))
        .collect();
    Ok(RunOutcome::Whole(values))
}

/// Run `units` of `model` (in parallel; values in `units` order), appending each to `log` as it
/// finishes and telling `observer`; the first write error (after the run) fails the call.
pub(crate) fn run_logged<M: Model>(
    model: &M,
    points: &[M::Point],
    units: &[Unit],
    seed: u64,
    log: &reports::UnitLog,
    observer: &dyn Observer,
) -> Result<Vec<Vec<f64>>, HarnessError> {
    observer.started(units.len());
    let write_error = Mutex::new(None);
    let values = crate::run_units(model, points, units, seed, &|(p, t), v| {
        if let Err(e) = log.record(&reports::UnitRecord::new(p, t, v)) {
            write_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
        }
        observer.unit_done((p, t), v);
    })?;
    observer.finished();
    match write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e.into()),
        None => Ok(values),
    }
}

/// Run `model` checkpointed as `plan` says: Some(values in grid order) for a whole run, None
/// for a finished shard (after saying on stderr where it is and how to merge).
pub fn run_or_shard<M: Model>(
    model: &M,
    points: &[M::Point],
    plan: &RunPlan,
    observer: &dyn Observer,
) -> Result<Option<Vec<Vec<f64>>>, HarnessError> {
    match run_checkpointed(model, points, plan, observer)? {
        RunOutcome::Whole(values) => Ok(Some(values)),
        RunOutcome::Shard { units, log } => {
            let (i, k) = plan.header.shard.unwrap_or((0, 1));
            eprintln!(
                "shard {i}/{k}: {units} units in {}; combine all {k} shard folders with `verify merge DIR... --out DIR`",
                log.display()
            );
            Ok(None)
        }
    }
}

impl RunPlan {
    /// A plan from the run-control flags: `header` names the run (its shard is taken from `run`).
    pub fn new(out: &Path, run: crate::args::ShardArgs, seed: u64, header: LogHeader) -> Self {
        RunPlan {
            out: out.to_path_buf(),
            resume: run.resume,
            seed,
            header: LogHeader {
                shard: run.shard,
                ..header
            },
        }
    }
}
