//! `verify single-index`: arguments → (model, grid) → the engine's checkpointed run → the result
//! set (the `results` crate).

use crate::cli::{Format, Lambda, LevelArg, SingleIndexArgs, Trials};
use crate::error::CliError;
use engine::Outcome;
use results::single_index::Values;
pub use results::single_index::{input_files, shell_line, Row};
use sims::{Level, OneStep, SingleIndexModel, SingleIndexPoint};

fn level(l: LevelArg) -> Level {
    match l {
        LevelArg::Direction => Level::Direction,
        LevelArg::Network => Level::Network,
    }
}

/// Memory the machine can give now (Linux: MemAvailable), in bytes; None where unknown.
fn available_memory() -> Option<f64> {
    let meminfo = std::path::Path::new("/proc/meminfo");
    let text =
        engine::read::regular_text(meminfo, engine::read::MAX_RECORD_FILE, "meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// The default `--kappa`.
const DEFAULT_KAPPA: &str = "1..10";

/// κ is meaningless for a spectrum without it (identity, a file's eigenvalues): the default sweep
/// becomes the single point κ = 1 (ten identical points and a κ axis otherwise), and several
/// values given on purpose are refused.
pub fn normalize_kappa(a: &mut SingleIndexArgs) -> Result<(), CliError> {
    let kappa_free = matches!(
        a.spectrum,
        theory::SpectrumFamily::Identity | theory::SpectrumFamily::File { .. }
    );
    if !kappa_free || a.kappa.values.len() <= 1 {
        return Ok(());
    }
    if a.kappa.text == DEFAULT_KAPPA {
        a.kappa = engine::Range {
            text: "1".into(),
            values: vec![1.0],
        };
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "invalid value for --kappa: the {} spectrum has no κ (its eigenvalues are fixed), so {} κ values would be the same run; give one value or leave --kappa out",
        a.spectrum.name(),
        a.kappa.values.len()
    )))
}

/// Refuse, before allocating, a run whose largest point would not fit in the available memory.
pub(crate) fn check_memory(
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
) -> Result<(), CliError> {
    let Some(available) = available_memory() else {
        return Ok(());
    };
    let (need, at) =
        points
            .iter()
            .map(|p| (model.memory_estimate(p), p))
            .fold(
                (0.0, None),
                |(m, a), (e, p)| if e > m { (e, Some(p)) } else { (m, a) },
            );
    match at {
        Some(p) if need > 0.8 * available => {
            // The flag at fault: --psi when the same d with n = d would fit, else --d.
            let square = SingleIndexPoint {
                psi: p.psi.min(1.0),
                ..*p
            };
            let flag = if model.memory_estimate(&square) <= 0.8 * available {
                let psi = reports::figure::short_number(p.psi);
                format!("--psi: ψ = {psi} with d = {}", p.d)
            } else {
                format!("--d: d = {}", p.d)
            };
            Err(CliError::Usage(format!(
                "invalid value for {flag} (n = {}) needs about {} GB of memory for its trials, more than the {:.1} GB available; use a smaller --d or --psi",
                p.n(),
                reports::figure::short_number(need / 1e9),
                available / 1e9
            )))
        }
        _ => Ok(()),
    }
}

/// Bytes a result row takes in the CSV and the (compact) JSON together (measured: ~190 + ~470).
const BYTES_PER_ROW: f64 = 700.0;

/// The most a run may write (the row files alone).
const MAX_OUTPUT_BYTES: f64 = 1e9;

/// Refuse, before computing anything, a grid whose result files would pass MAX_OUTPUT_BYTES.
fn check_output_size(a: &SingleIndexArgs) -> Result<(), CliError> {
    let points = a.kappa.values.len() as f64
        * a.psi.values.len() as f64
        * a.d.values.len() as f64
        * lambda_axis(a).len() as f64;
    if !a.theory_only {
        engine::check_counts(points as u64, a.trials.budget(a.max_trials))?;
    }
    let rows = points * a.methods.methods.len() as f64;
    let bytes = rows * BYTES_PER_ROW;
    if bytes > MAX_OUTPUT_BYTES {
        return Err(CliError::Usage(format!(
            "invalid value for --kappa/--psi/--d/--lambda: the grid has {points:.3e} points, {rows:.3e} result rows, about {:.1} GB of CSV and JSON (at most {:.0} GB); use fewer values",
            bytes / 1e9,
            MAX_OUTPUT_BYTES / 1e9
        )));
    }
    Ok(())
}

/// The λ values of the grid (one None for `--lambda opt`).
fn lambda_axis(a: &SingleIndexArgs) -> Vec<Option<f64>> {
    match &a.lambda {
        Lambda::Values(r) => r.values.iter().map(|&v| Some(v)).collect(),
        Lambda::Opt => vec![None],
    }
}

/// --noise within [0, theory::MAX_NOISE] (σ_ε² must fit in double precision).
pub fn check_noise(noise: f64) -> Result<(), CliError> {
    if (0.0..=theory::MAX_NOISE).contains(&noise) {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "invalid value for --noise: must be between 0 and {:e} (its square must fit in double precision), got {noise:e}",
        theory::MAX_NOISE
    )))
}

/// Build the model and grid from validated arguments.
pub fn setup(a: &SingleIndexArgs) -> Result<(SingleIndexModel, Vec<SingleIndexPoint>), CliError> {
    if lambda_axis(a).contains(&Some(0.0)) {
        if let Some(psi) = a.psi.values.iter().find(|&&p| p <= 1.0) {
            return Err(CliError::Usage(format!(
                "invalid value for --lambda: lambda = 0 (ridgeless) needs every --psi > 1, got psi = {psi}; use lambda > 0"
            )));
        }
    }
    check_noise(a.noise)?;
    if a.trials == Trials::Auto && a.shard.is_some() {
        return Err(CliError::Usage(
            "invalid value for --shard with --trials auto: each look needs every point's trials so far; run --trials auto unsharded, or shard a fixed --trials".into(),
        ));
    }
    if a.extrapolate && a.d.values.len() < 3 {
        return Err(CliError::Usage(format!(
            "invalid value for --d with --extrapolate: the d → ∞ fit needs three or more dimensions, got {} (e.g. --d 100,200,400)",
            a.d.text
        )));
    }
    if a.methods.methods.contains(&OneStep::Whiten) {
        if let Some(psi) = a.psi.values.iter().find(|&&p| p <= 1.0) {
            return Err(CliError::Usage(format!(
                "invalid value for --methods: whiten needs every --psi > 1 (XᵀX/n invertible), got psi = {psi}"
            )));
        }
    }
    let model = SingleIndexModel {
        family: a.spectrum.clone(),
        normalize: !a.no_normalize,
        teacher: a.activation.clone(),
        student: a.student.clone(),
        noise: a.noise,
        level: level(a.level),
        allowance_scale: a.allowance_scale,
        alignment: a.alignment.model(),
        methods: a.methods.methods.clone(),
    };
    check_output_size(a)?;
    let mut points = Vec::new();
    for &d in &a.d.values {
        let width = a.width.unwrap_or(d + d % 2); // N = d, rounded up to even
        for lam in lambda_axis(a) {
            for &psi in &a.psi.values {
                for &kappa in &a.kappa.values {
                    let p = SingleIndexPoint {
                        kappa,
                        psi,
                        lambda: model.ridge(lam, kappa, psi, d)?,
                        d,
                        width,
                    };
                    if p.n() < 2 {
                        return Err(CliError::Usage(format!(
                            "invalid value for --psi: n = round(psi·d) must be >= 2, got {} at psi = {psi}, d = {d}",
                            p.n()
                        )));
                    }
                    points.push(p);
                }
            }
        }
    }
    if model.level == Level::Network && !a.theory_only {
        model.check_student(&points[0])?;
    }
    if !a.theory_only {
        check_memory(&model, &points)?;
    }
    Ok((model, points))
}

const LOG_KIND: &str = "verify single-index units";

/// Every setting that changes the results, spelled out as flags: recorded in the JSON, the
/// report and the checkpoint, so any result can be regenerated and shards can be matched.
pub fn canonical_argv(a: &SingleIndexArgs) -> Vec<String> {
    let level = match a.level {
        LevelArg::Direction => "direction",
        LevelArg::Network => "network",
    };
    let mut v: Vec<String> = [
        "verify",
        "single-index",
        "--kappa",
        &a.kappa.text,
        "--psi",
        &a.psi.text,
        "--spectrum",
        &a.spectrum.absolute_name(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if a.no_normalize {
        v.push("--no-normalize".into());
    }
    for (k, val) in [
        ("--activation", a.activation.to_string()),
        ("--student", a.student.to_string()),
        ("--noise", a.noise.to_string()),
        ("--lambda", a.lambda.to_string()),
        ("--d", a.d.text.clone()),
    ] {
        v.push(k.into());
        v.push(val);
    }
    if let Some(w) = a.width {
        v.push("--width".into());
        v.push(w.to_string());
    }
    for (k, val) in [
        ("--trials", a.trials.to_string()),
        ("--level", level.to_string()),
        ("--methods", a.methods.to_string()),
        ("--seed", a.seed.to_string()),
        ("--alpha", a.alpha.to_string()),
        ("--margin", a.margin.to_string()),
        ("--allowance-scale", a.allowance_scale.to_string()),
    ] {
        v.push(k.into());
        v.push(val);
    }
    if a.alignment == crate::cli::AlignmentArg::Sigma {
        v.extend(["--alignment".into(), "sigma".into()]);
    }
    if a.theory_only {
        v.push("--theory-only".into());
    }
    if a.extrapolate {
        v.push("--extrapolate".into());
    }
    if a.trials == Trials::Auto {
        v.extend(["--max-trials".into(), a.max_trials.to_string()]);
    }
    v
}

/// Run the command; Ok(true) when every row agrees (or theory only, or a shard finished).
pub fn run(a: &SingleIndexArgs) -> Result<Outcome, CliError> {
    run_with_rows(a).map(|(agree, _)| agree)
}

/// As [`run_with_rows`], printing nothing to standard output (for commands built on sweeps).
pub fn run_quiet_rows(a: &SingleIndexArgs) -> Result<(Outcome, Vec<Row>), CliError> {
    let mut a = a.clone();
    a.format = Format::None;
    run_with_rows(&a)
}

/// `--methods all` keeps only the methods that apply to every grid point: whitening needs
/// ψ > 1 (XᵀX/n invertible), so at ψ ≤ 1 it is dropped with a note on stderr. The returned
/// arguments (and so the recorded command) name the methods that actually run.
pub fn applicable_methods(a: &SingleIndexArgs) -> SingleIndexArgs {
    let mut a = a.clone();
    if a.methods.all {
        if let Some(psi) = a.psi.values.iter().find(|&&p| p <= 1.0) {
            a.methods.methods.retain(|&m| m != OneStep::Whiten);
            a.methods.all = false;
            eprintln!(
                "note: --methods all: whiten skipped, it needs every --psi > 1 (XᵀX/n is singular at psi = {psi}); the other methods run"
            );
        }
    }
    a
}

/// As [`run`], also returning the result rows (none for a shard).
pub fn run_with_rows(a: &SingleIndexArgs) -> Result<(Outcome, Vec<Row>), CliError> {
    let a = &applicable_methods(a);
    let (model, points) = setup(a)?;
    if a.theory_only {
        return finish(a, &model, &points, None);
    }
    let run = engine::ShardArgs {
        resume: a.resume,
        shard: a.shard,
    };
    let progress = engine::Progress::new(a.quiet);
    let header = engine::LogHeader::new(
        LOG_KIND,
        canonical_argv(a),
        points.len(),
        a.trials.budget(a.max_trials) as usize,
        None,
    )
    .with_inputs(input_files(&a.spectrum));
    let plan = engine::RunPlan::new(&a.out, run, a.seed, header);
    if a.trials == Trials::Auto {
        let values = run_auto(a, &model, &points, &plan, &progress)?;
        return finish(a, &model, &points, Some(Values::PerPoint(values)));
    }
    let Some(values) = engine::run_or_shard(&model, &points, &plan, &progress)? else {
        return Ok((Outcome::Agree, Vec::new()));
    };
    finish(a, &model, &points, Some(Values::Grid(values)))
}

/// The look schedule of --trials auto: 20, 40, 80, … up to --max-trials.
fn schedule(a: &SingleIndexArgs) -> engine::Schedule {
    engine::Schedule::doubling(20, a.max_trials as usize)
}

/// Looks at the verdict: one for a fixed --trials.
fn looks(a: &SingleIndexArgs) -> usize {
    match a.trials {
        Trials::Fixed(_) => 1,
        Trials::Auto => schedule(a).looks().len(),
    }
}

/// --trials auto: batches until every point's rows are agree or disagree (at α/looks each look)
/// or the budget is spent.
fn run_auto(
    a: &SingleIndexArgs,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    plan: &engine::RunPlan,
    progress: &engine::Progress,
) -> Result<engine::PerPoint, CliError> {
    let schedule = schedule(a);
    let alpha = schedule.alpha_per_look(a.alpha);
    let theory: Vec<Vec<Option<f64>>> = model
        .limits_many(points)
        .into_iter()
        .zip(points)
        .map(|(l, p)| {
            let l = l?;
            model
                .methods
                .iter()
                .map(|&m| model.method_theory(p, &l, m))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    let mut decided = |values: &engine::PerPoint| {
        let j = engine::judge_points(model, points, &theory, values, a.margin, alpha);
        j.verdicts
            .iter()
            .map(|row| {
                row.iter()
                    .all(|v| v.is_none_or(|v| v.outcome != Outcome::Inconclusive))
            })
            .collect()
    };
    Ok(engine::run_adaptive(
        model,
        points,
        plan,
        &schedule,
        progress,
        &mut decided,
    )?)
}

/// The run's settings as the result set shows them.
fn settings(a: &SingleIndexArgs) -> results::single_index::Settings {
    results::single_index::Settings {
        kappa: a.kappa.clone(),
        psi: a.psi.clone(),
        spectrum: a.spectrum.clone(),
        no_normalize: a.no_normalize,
        activation: a.activation.clone(),
        student: a.student.clone(),
        noise: a.noise,
        lambda: a.lambda.clone(),
        d: a.d.clone(),
        width: a.width,
        trials: a.trials.budget(a.max_trials),
        looks: looks(a),
        trials_text: match a.trials {
            Trials::Fixed(n) => n.to_string(),
            Trials::Auto => format!("auto (at most {}, {} looks)", a.max_trials, looks(a)),
        },
        seed: a.seed,
        out: a.out.clone(),
        theory_only: a.theory_only,
        format: a.format,
        alpha: a.alpha,
        margin: a.margin,
        extrapolate: a.extrapolate,
        allowance_scale: a.allowance_scale,
        command: canonical_argv(a),
    }
}

/// From per-unit values (all units in grid order, or None for theory only) to the result set
/// (files and standard output). Shared by a whole run, a resumed run and `verify merge`.
pub fn finish(
    a: &SingleIndexArgs,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    values: Option<Values>,
) -> Result<(Outcome, Vec<Row>), CliError> {
    Ok(results::single_index::finish(
        &settings(a),
        model,
        points,
        values,
    )?)
}
