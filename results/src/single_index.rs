//! The result set of a `verify single-index` run: rows (docs/cli.md's fixed columns, then the
//! intermediates of Lemmas 3.10 / 3.12), `single_index.csv` / `.json`, one figure per swept axis
//! (κ, ψ, λ, and the finite-size figure across d), `report.md` and the terminal table.

use crate::extrapolation::ExtrapolatedRow;
use crate::stdout::print_rows;
use engine::range::{DRange, Range};
use engine::stats::PowerLaw;
use engine::{Format, HarnessError};
use serde::Serialize;
use sims::{Level, OneStep, SingleIndexModel, SingleIndexPoint};
use std::path::PathBuf;
use theory::{Activation, SpectrumFamily};

/// The KFAC ridge: RANGE values, or `opt` (per grid point, the λ maximising ρ_KFAC in theory).
#[derive(Debug, Clone, PartialEq)]
pub enum Lambda {
    /// The given values.
    Values(Range),
    /// The theory-optimal λ at each grid point.
    Opt,
}

impl Lambda {
    /// The λ the κ and ψ figures (and single-λ commands) use: the first value (None for opt).
    pub fn first(&self) -> Option<f64> {
        match self {
            Lambda::Values(r) => r.values.first().copied(),
            Lambda::Opt => None,
        }
    }
}

impl std::fmt::Display for Lambda {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lambda::Values(r) => write!(f, "{}", r.text),
            Lambda::Opt => write!(f, "opt"),
        }
    }
}

/// A run's settings as the result set shows them (the command line's values, no parsing).
#[derive(Debug, Clone)]
pub struct Settings {
    /// κ values as given.
    pub kappa: Range,
    /// ψ values as given.
    pub psi: Range,
    /// The spectrum family.
    pub spectrum: SpectrumFamily,
    /// The spectrum was not rescaled to tr Σ = d.
    pub no_normalize: bool,
    /// Teacher σ*.
    pub activation: Activation,
    /// Student σ.
    pub student: Activation,
    /// Label-noise standard deviation σ_ε.
    pub noise: f64,
    /// The ridge λ.
    pub lambda: Lambda,
    /// Dimensions d.
    pub d: DRange,
    /// The width N, when given.
    pub width: Option<usize>,
    /// Trials per grid point (with --trials auto: the most any point may get).
    pub trials: u64,
    /// Looks at the verdict: 1, or the number of batches of --trials auto (each tests at α/looks).
    pub looks: usize,
    /// --trials as given ("20", or "auto" with its budget), for the result files.
    pub trials_text: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Output folder.
    pub out: PathBuf,
    /// Formulas only.
    pub theory_only: bool,
    /// What goes to standard output.
    pub format: Format,
    /// Family-wise false-failure level.
    pub alpha: f64,
    /// Equivalence margin for "agree".
    pub margin: engine::Margin,
    /// Judge the d → ∞ fit instead of each d (needs three or more d).
    pub extrapolate: bool,
    /// Scale of the finite-size allowance.
    pub allowance_scale: f64,
    /// The canonical command (every setting explicit), recorded in the files.
    pub command: Vec<String>,
}

/// The fingerprint of the file a spectrum family was read from (a `file:` spectrum): its
/// absolute path and the SHA-256 of the bytes parsed when the family was read (the file is not
/// read again, so the record is the hash of what the run used).
pub fn input_files(family: &SpectrumFamily) -> Vec<engine::InputFile> {
    let (Some(path), Some(sha256)) = (family.input_file(), family.sha256()) else {
        return Vec::new();
    };
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    vec![engine::InputFile {
        path: abs.display().to_string(),
        sha256: sha256.to_string(),
    }]
}

/// One output row: a (grid point, method). The first 18 fields are the fixed columns of cli.md.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Spectrum family name.
    pub spectrum: String,
    /// Anisotropy κ.
    pub kappa: f64,
    /// Sample ratio ψ = n/d.
    pub psi: f64,
    /// Teacher σ*.
    pub activation: String,
    /// Student σ.
    pub student: String,
    /// Label-noise standard deviation σ_ε.
    pub noise: f64,
    /// KFAC ridge λ at this point.
    pub lambda: f64,
    /// `direction` or `network`.
    pub level: &'static str,
    /// The one-step update.
    pub method: &'static str,
    /// Dimension d.
    pub d: usize,
    /// Samples n = round(ψ d).
    pub n: usize,
    /// Network width N (network level only).
    pub width: Option<usize>,
    /// Trials at this point.
    pub trials: usize,
    /// The limit formula's value; None (empty / null) for a method simulated without a formula.
    pub rho_theory: Option<f64>,
    /// Monte Carlo mean of ρ.
    pub rho_sim: Option<f64>,
    /// Its standard error.
    pub rho_sim_se: Option<f64>,
    /// (ρ̄_sim − ρ_theory) / SE.
    pub z: Option<f64>,
    /// Whether the row agrees (its verdict is "agree").
    pub pass: Option<bool>,
    /// τ1 = ∫ t dH (Lemmas 3.10 / 3.12's intermediates follow).
    pub tau1: f64,
    /// τ2 = ∫ t² dH.
    pub tau2: f64,
    /// c1 of the teacher.
    pub c1: f64,
    /// s2 of the teacher.
    pub s2: f64,
    /// m(−λ) (KFAC rows).
    pub m: Option<f64>,
    /// m'(−λ) (KFAC rows, λ > 0).
    pub m_prime: Option<f64>,
    /// Paired Monte Carlo difference ρ_method − ρ_first method (on the first method's row: the
    /// second method's difference, so with two methods both rows hold ρ_2 − ρ_1).
    pub diff_sim: Option<f64>,
    /// Its standard error.
    pub diff_se: Option<f64>,
    /// The verdict's finite-size allowance b.
    pub allowance: Option<f64>,
    /// The row's verdict: agree, disagree or inconclusive.
    pub verdict: Option<engine::Outcome>,
    /// The equivalence bound: margin + b ("agree" needs the CI inside ±bound).
    pub bound: Option<f64>,
    /// The 1 − 2α confidence interval of ρ̄_sim − ρ_theory: lower end.
    pub ci_lo: Option<f64>,
    /// Its upper end.
    pub ci_hi: Option<f64>,
    /// The disagreement p-value (before Holm's step-down).
    pub p_value: Option<f64>,
}

/// The full configuration, recorded in the JSON output so any result can be regenerated.
#[derive(Debug, Serialize)]
struct Config {
    kappa: String,
    psi: String,
    spectrum: String,
    normalize: bool,
    activation: String,
    student: String,
    noise: f64,
    lambda: String,
    d: String,
    width: Option<usize>,
    trials: usize,
    /// --trials as given: a number, or "auto (at most N, K looks)".
    trials_setting: String,
    level: &'static str,
    seed: u64,
    theory_only: bool,
    alpha: f64,
    margin: String,
    allowance_scale: f64,
}

#[derive(Debug, Serialize)]
struct ResultFile<'a> {
    tool: &'static str,
    version: &'static str,
    command: Vec<String>,
    seed: u64,
    config: &'a Config,
    /// Fingerprints of the input files (a `file:` spectrum); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<engine::InputFile>,
    /// "agree", "disagree", "inconclusive" or "theory-only".
    verdict: &'static str,
    rows: &'a [Row],
    /// With --extrapolate: the d → ∞ fits, which carry the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    extrapolation: Option<&'a [ExtrapolatedRow]>,
}

/// Each method's limit formula at each point (None for a method simulated without one).
fn theory_values(
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    limits: &[theory::SingleIndexLimits],
) -> Result<Vec<Vec<Option<f64>>>, HarnessError> {
    points
        .iter()
        .zip(limits)
        .map(|(p, l)| {
            model
                .methods
                .iter()
                .map(|&m| model.method_theory(p, l, m))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()
        .map_err(HarnessError::from)
}

/// The result rows (cli.md's fixed columns, then the intermediates): one per (point, method).
fn build_rows(
    a: &Settings,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    limits: &[theory::SingleIndexLimits],
    theory: &[Vec<Option<f64>>],
    judged: Option<&engine::Judgement>,
) -> Vec<Row> {
    let trials = a.trials as usize;
    let mut rows = Vec::new();
    for (i, (p, l)) in points.iter().zip(limits).enumerate() {
        for (k, &method) in model.methods.iter().enumerate() {
            let s = judged.map(|j| (&j.sims[i], j.verdicts[i][k]));
            // The paired difference shown on this row (see Row::diff_sim).
            let diff = s.and_then(|(s, _)| s.differences.get(k.max(1) - 1));
            let verdict = s.and_then(|(_, v)| v);
            let trials = s.map_or(trials, |(s, _)| s.samples.len());
            rows.push(Row {
                spectrum: a.spectrum.name(),
                kappa: p.kappa,
                psi: p.psi,
                activation: a.activation.to_string(),
                student: a.student.to_string(),
                noise: a.noise,
                lambda: p.lambda,
                level: model.level.name(),
                method: method.name(),
                d: p.d,
                n: p.n(),
                width: (model.level == Level::Network).then_some(p.width),
                trials,
                rho_theory: theory[i][k],
                rho_sim: s.map(|(s, _)| s.summaries[k].mean),
                rho_sim_se: s.map(|(s, _)| s.summaries[k].se),
                z: verdict.and_then(|v| v.z),
                pass: verdict.map(|v| v.pass),
                tau1: l.tau1,
                tau2: l.tau2,
                c1: l.c1,
                s2: l.s2,
                m: (method == OneStep::Kfac).then_some(l.m),
                m_prime: (method == OneStep::Kfac && p.lambda > 0.0).then_some(l.m_prime),
                diff_sim: diff.map(|d| d.mean),
                diff_se: diff.map(|d| d.se),
                allowance: verdict.map(|v| v.allowance),
                verdict: verdict.map(|v| v.outcome),
                bound: verdict.map(|v| v.bound),
                ci_lo: verdict.map(|v| v.ci.0),
                ci_hi: verdict.map(|v| v.ci.1),
                p_value: verdict.map(|v| v.p_value),
            });
        }
    }
    rows
}

/// The run's configuration as recorded in the JSON.
fn config(a: &Settings, model: &SingleIndexModel, points: &[SingleIndexPoint]) -> Config {
    Config {
        kappa: a.kappa.text.clone(),
        psi: a.psi.text.clone(),
        spectrum: a.spectrum.name(),
        normalize: !a.no_normalize,
        activation: a.activation.to_string(),
        student: a.student.to_string(),
        noise: a.noise,
        lambda: a.lambda.to_string(),
        d: a.d.text.clone(),
        width: (model.level == Level::Network).then_some(points[0].width),
        trials: a.trials as usize,
        trials_setting: a.trials_text.clone(),
        level: model.level.name(),
        seed: a.seed,
        theory_only: a.theory_only,
        alpha: a.alpha,
        margin: a.margin.to_string(),
        allowance_scale: a.allowance_scale,
    }
}

/// The verdict line under the table: the judged rows' outcomes and how many were not judged.
fn print_verdict(
    a: &Settings,
    outcomes: &[engine::Outcome],
    unjudged: usize,
    trials_used: Option<(usize, usize)>,
    verdict: &str,
) -> Result<(), HarnessError> {
    let count = |o: engine::Outcome| outcomes.iter().filter(|&&x| x == o).count();
    let unjudged = match unjudged {
        0 => String::new(),
        k => format!("; {k} simulated without a formula"),
    };
    let inconclusive = match count(engine::Outcome::Inconclusive) {
        0 => String::new(),
        k => format!(", {k} inconclusive (more --trials or a larger --d would decide them)"),
    };
    let auto = match trials_used {
        Some((lo, hi)) if a.looks > 1 => format!(
            "; --trials auto used {} per point (budget {}, {} looks at level {}/{} each)",
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            },
            a.trials,
            a.looks,
            a.alpha,
            a.looks
        ),
        _ => String::new(),
    };
    crate::stdout::emit(&format!(
        "\nverdict: {} ({} of {} rows agree, {} disagree{inconclusive}{unjudged}; level {}, margin {}{auto}). Results in {}\n",
        verdict.to_uppercase(),
        count(engine::Outcome::Agree),
        outcomes.len(),
        count(engine::Outcome::Disagree),
        a.alpha,
        a.margin,
        a.out.display()
    ))
}

/// The d → ∞ block printed under the table with --extrapolate.
fn extrapolation_table(e: &[ExtrapolatedRow]) -> String {
    let rows: Vec<Vec<String>> = e
        .iter()
        .map(|x| {
            vec![
                x.method.to_string(),
                x.kappa.to_string(),
                x.psi.to_string(),
                format!("{:.6}", x.rho_theory),
                format!("{:.6}", x.rho_inf),
                format!("{:.6}", x.rho_inf_se),
                format!("{:.3}", x.slope),
                x.chi2_per_dof.map_or("-".into(), |c| format!("{c:.2}")),
                engine::verdict_cell(Some(x.verdict)).into(),
            ]
        })
        .collect();
    format!(
        "\nd → ∞ (weighted least squares of ρ̄(d) = ρ∞ + b/d, no allowance):\n{}",
        crate::stdout::fixed_width(
            &["method", "kappa", "psi", "theory", "ρ∞", "± se", "b", "χ²/dof", "verdict"],
            &rows,
            &[-10, 7, 7, 10, 10, 10, 8, 7, -12],
        )
    )
}

/// Every file a single-index run may write besides its CSV, JSON and report.
const OPTIONAL_OUTPUTS: [&str; 6] = [
    "single_index_kappa.svg",
    "single_index_psi.svg",
    "single_index_lambda.svg",
    "single_index_finite_size.svg",
    "finite_size.csv",
    "extrapolation.csv",
];

/// Remove what an earlier run left in `--out` that this run does not write (a figure of an axis
/// no longer swept), so the folder holds one run (the checkpoint is the engine's, see
/// `engine::publish`).
fn remove_stale_outputs(
    a: &Settings,
    figures: &[String],
    extrapolated: bool,
) -> Result<(), HarnessError> {
    let finite_size = figures.iter().any(|f| f == "single_index_finite_size.svg");
    for name in OPTIONAL_OUTPUTS {
        let written = figures.iter().any(|f| f == name)
            || (name == "finite_size.csv" && finite_size && !extrapolated)
            || (name == "extrapolation.csv" && extrapolated);
        let path = a.out.join(name);
        if !written && path.exists() {
            std::fs::remove_file(&path).map_err(|source| {
                HarnessError::Report(reports::ReportError::Io { path, source })
            })?;
        }
    }
    Ok(())
}

/// Every file of a single-index result set into `a.out` (the staging folder).
fn write_result_set(
    a: &Settings,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    rows: &[Row],
    file: &ResultFile,
) -> Result<(), HarnessError> {
    reports::write_csv(&a.out.join("single_index.csv"), rows)?;
    // Pretty JSON for readable sizes; compact beyond (a 200 × 200 grid has 80 000 rows).
    reports::write_json_as(&a.out.join("single_index.json"), file, rows.len() <= 2000)?;
    if let Some(e) = file.extrapolation {
        reports::write_csv(&a.out.join("extrapolation.csv"), e)?;
    }
    let figures = write_figures(a, model, points, rows, file.extrapolation)?;
    remove_stale_outputs(a, &figures, file.extrapolation.is_some())?;
    reports::write_markdown(
        &a.out.join("report.md"),
        &run_report(a, model, file.verdict, rows, figures),
    )
    .map_err(Into::into)
}

/// A run's unit values.
pub enum Values {
    /// Every unit in grid order, `Settings::trials` per point.
    Grid(Vec<Vec<f64>>),
    /// Each point's own trials (`--trials auto`).
    PerPoint(engine::PerPoint),
}

/// From unit values (None for theory only) to rows, files and standard output. Shared by a
/// whole run, a resumed run, `--trials auto` and `verify merge`.
pub fn finish(
    a: &Settings,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    values: Option<Values>,
) -> Result<(engine::Outcome, Vec<Row>), HarnessError> {
    let argv = a.command.clone();
    let limits = model
        .limits_many(points)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let theory = theory_values(model, points, &limits)?;
    // With --trials auto every look tests at α / looks (see engine::adaptive).
    let alpha = a.alpha / a.looks.max(1) as f64;
    let judged = values.map(|v| {
        let per_point = match v {
            Values::Grid(v) => v.chunks(a.trials as usize).map(|c| c.to_vec()).collect(),
            Values::PerPoint(v) => v,
        };
        engine::judge_points(model, points, &theory, &per_point, a.margin, alpha)
    });
    let mut rows = build_rows(a, model, points, &limits, &theory, judged.as_ref());
    let extrapolated = (a.extrapolate && judged.is_some())
        .then(|| crate::extrapolation::extrapolate(&fit_points(&rows), a.margin, alpha));
    let outcome = match &extrapolated {
        Some(e) => {
            // The d → ∞ fits carry the verdict; the per-d rows are its data.
            for r in &mut rows {
                (r.verdict, r.pass, r.bound, r.ci_lo, r.ci_hi, r.p_value) =
                    (None, None, None, None, None, None);
            }
            engine::Outcome::of_run(e.iter().map(|x| x.verdict))
        }
        None => engine::Outcome::of_run(rows.iter().filter_map(|r| r.verdict)),
    };
    let verdict = if a.theory_only {
        "theory-only"
    } else {
        outcome.as_str()
    };
    let file = ResultFile {
        tool: "verify",
        version: env!("CARGO_PKG_VERSION"),
        command: argv.to_vec(),
        seed: a.seed,
        config: &config(a, model, points),
        inputs: input_files(&a.spectrum),
        verdict,
        rows: &rows,
        extrapolation: extrapolated.as_deref(),
    };
    let checkpoint = if a.theory_only {
        engine::Checkpoint::None
    } else {
        engine::Checkpoint::Finished
    };
    engine::publish::<_, HarnessError>(&a.out, checkpoint, |dir| {
        let staged = Settings {
            out: dir.to_path_buf(),
            ..a.clone()
        };
        write_result_set(&staged, model, points, &rows, &file)
    })?;
    print_outcome(a, &rows, extrapolated.as_deref(), verdict)?;
    Ok((outcome, rows))
}

/// The rows, the d → ∞ block (with --extrapolate) and the verdict line on standard output.
fn print_outcome(
    a: &Settings,
    rows: &[Row],
    extrapolated: Option<&[ExtrapolatedRow]>,
    verdict: &str,
) -> Result<(), HarnessError> {
    print_rows(rows, a.format, || table(rows, !a.theory_only))?;
    let used = rows.iter().map(|r| r.trials);
    let trials_used = used.clone().min().zip(used.max());
    if a.format != Format::Table {
        return Ok(());
    }
    if let Some(e) = extrapolated {
        crate::stdout::emit(&extrapolation_table(e))?;
        let outcomes: Vec<engine::Outcome> = e.iter().map(|x| x.verdict).collect();
        print_verdict(a, &outcomes, 0, trials_used, verdict)
    } else if !a.theory_only {
        let outcomes: Vec<engine::Outcome> = rows.iter().filter_map(|r| r.verdict).collect();
        let unjudged = rows.len() - outcomes.len();
        print_verdict(a, &outcomes, unjudged, trials_used, verdict)
    } else {
        Ok(())
    }
}

/// How a table column gets its text from a row.
type CellOf = Box<dyn Fn(&Row) -> String>;

/// A fixed-width table for the terminal: κ, ψ, and λ and d when the run sweeps them (else the
/// rows would look identical), then the method and the values.
fn table(rows: &[Row], with_sim: bool) -> String {
    // "—" where a value does not exist (no formula for the method, or theory only).
    let cell = |v: Option<f64>, prec: usize| v.map_or("—".to_string(), |v| format!("{v:.prec$}"));
    let swept = |f: &dyn Fn(&Row) -> String| {
        let first = rows.first().map(f);
        rows.iter().any(|r| Some(f(r)) != first)
    };
    let mut columns: Vec<(&str, CellOf)> = vec![
        ("kappa", Box::new(|r: &Row| r.kappa.to_string())),
        ("psi", Box::new(|r: &Row| r.psi.to_string())),
    ];
    if swept(&|r: &Row| r.lambda.to_string()) {
        // As typed (0.01) when short; --lambda opt's optimised values with 5 significant digits.
        columns.push((
            "lambda",
            Box::new(|r: &Row| match r.lambda.to_string() {
                t if t.len() <= 10 => t,
                _ => format!("{:.4e}", r.lambda),
            }),
        ));
    }
    if swept(&|r: &Row| r.d.to_string()) {
        columns.push(("d", Box::new(|r: &Row| r.d.to_string())));
    }
    columns.push(("method", Box::new(|r: &Row| r.method.to_string())));
    columns.push(("theory", Box::new(move |r: &Row| cell(r.rho_theory, 6))));
    if with_sim {
        columns.push(("sim", Box::new(move |r: &Row| cell(r.rho_sim, 6))));
        columns.push(("± se", Box::new(move |r: &Row| cell(r.rho_sim_se, 6))));
        columns.push(("z", Box::new(move |r: &Row| cell(r.z, 2))));
    }
    let width = |name: &str| match name {
        "method" | "theory" | "sim" | "lambda" => 10,
        "± se" => 9,
        _ => 8,
    };
    let mut out = String::new();
    let mut line = |cells: Vec<String>, verdict: Option<&str>| {
        let body: Vec<String> = columns
            .iter()
            .zip(&cells)
            .map(|((name, _), c)| format!("{c:>w$}", w = width(name)))
            .collect();
        out += &body.join(" ");
        if let Some(v) = verdict {
            out += &format!("  {v}");
        }
        out += "\n";
    };
    line(
        columns.iter().map(|(n, _)| n.to_string()).collect(),
        with_sim.then_some("verdict"),
    );
    for r in rows {
        let verdict = match r.verdict {
            None if r.rho_theory.is_some() => "in the d fit",
            None => "simulated only",
            v => engine::verdict_cell(v),
        };
        line(
            columns.iter().map(|(_, f)| f(r)).collect(),
            with_sim.then_some(verdict),
        );
    }
    out
}

/// The limit formula of `method` along `grid` (whose limits are `limits`), at abscissae `xs`;
/// points where it cannot be evaluated (and every point of a simulation-only method) are left
/// out.
fn theory_curve(
    model: &SingleIndexModel,
    method: OneStep,
    xs: &[f64],
    grid: &[SingleIndexPoint],
    limits: &[Option<theory::SingleIndexLimits>],
) -> Vec<(f64, f64)> {
    xs.iter()
        .zip(grid)
        .zip(limits)
        .filter_map(|((&x, p), l)| {
            let v = model.method_theory(p, l.as_ref()?, method).ok()??;
            Some((x, v))
        })
        .collect()
}

/// Lemmas 3.10/3.12 along a dense grid, once for every method's curve (None where they fail).
fn curve_limits(
    model: &SingleIndexModel,
    grid: &[SingleIndexPoint],
) -> Vec<Option<theory::SingleIndexLimits>> {
    model
        .limits_many(grid)
        .into_iter()
        .map(Result::ok)
        .collect()
}

/// Shell-quote a command line so it can be pasted back.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:,=+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A method's short display name.
fn method_short(method: OneStep) -> &'static str {
    match method {
        OneStep::Sgd => "SGD",
        OneStep::Kfac => "KFAC",
        OneStep::SqrtKfac => "√KFAC",
        OneStep::Whiten => "whitening",
        OneStep::BatchNorm => "batch-norm",
        OneStep::Adam => "Adam",
        OneStep::Shampoo => "Shampoo",
        OneStep::Muon => "Muon",
        OneStep::KfacPower(_) => method.name(),
    }
}

/// The legend name of a method: with its lemma for the Euclidean alignment; with the Σ-weighted
/// one every formula is from docs/sigma-alignment.md.
fn series_label(model: &SingleIndexModel, method: OneStep) -> String {
    match model.alignment {
        sims::Alignment::Euclidean => method_label(method, model.level).to_string(),
        sims::Alignment::Sigma if sims::single_index::has_theory(method, model.level) => {
            format!("{} (ρ_Σ formula)", method_short(method))
        }
        sims::Alignment::Sigma => format!("{} (simulation only)", method_short(method)),
    }
}

/// What ρ is: the Euclidean |cos(β̂, β*)| or the Σ-weighted alignment (docs/sigma-alignment.md).
fn alignment_label(model: &SingleIndexModel) -> &'static str {
    match model.alignment {
        sims::Alignment::Euclidean => "|cos(β̂, β*)|",
        sims::Alignment::Sigma => "ρ_Σ = |β̂ᵀΣβ*| / (‖Σ^½β̂‖ ‖Σ^½β*‖)",
    }
}

/// The method's look in every figure (the palette in docs/figures.md).
fn method_base(method: OneStep) -> reports::Style {
    match method.exponent() {
        // The power family runs from SGD's colour (p = 0) to KFAC's (p = 1), dash-dotted.
        Some(p) => power_style(p),
        None => reports::method_style(method.name()).unwrap_or(reports::Style::nth(0)),
    }
}

/// The method's look for its curve at `key` (values of κ, ψ, … that tell its curves apart) among
/// `groups`: its hue shaded by the first that varies, marker and dash by the others
/// (docs/figures.md, "Groups of series").
fn method_look(method: OneStep, groups: &reports::Groups, key: &[f64]) -> reports::Style {
    groups.style(key, Some(method_base(method)))
}

/// The groups of the (κ, ψ) pairs a figure shows.
fn kappa_psi_groups(shown: &[KappaPsi]) -> reports::Groups {
    reports::Groups::new(&shown.iter().map(|c| [c.0, c.1]).collect::<Vec<_>>())
}

/// The look of `kfac-power:p`: SGD's blue blended into KFAC's vermillion by p, dash-dotted,
/// square markers.
fn power_style(p: f64) -> reports::Style {
    let (a, b) = (
        reports::method_style("sgd").map(|s| s.colour),
        reports::method_style("kfac").map(|s| s.colour),
    );
    let (a, b) = (
        a.unwrap_or(reports::Colour(0, 0, 0)),
        b.unwrap_or(reports::Colour(0, 0, 0)),
    );
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * p).round() as u8;
    reports::Style {
        colour: reports::Colour(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2)),
        line: reports::LineKind::DashDot,
        marker: reports::MarkerShape::Square,
    }
}

/// The legend name of a method, with where its formula comes from (or that it has none).
fn method_label(method: OneStep, level: Level) -> &'static str {
    let simulated = !sims::single_index::has_theory(method, level);
    match method {
        OneStep::Sgd => "SGD (Lemma 3.10)",
        OneStep::Kfac => "KFAC (Lemma 3.12)",
        OneStep::SqrtKfac => "√KFAC (eq. S3)",
        OneStep::Whiten => "whitening (= ridgeless KFAC)",
        OneStep::BatchNorm => "batch-norm (eq. B)",
        OneStep::Adam if simulated => "Adam step (simulation only)",
        OneStep::Adam => "Adam step (eq. A)",
        OneStep::Shampoo => "Shampoo (= SGD's direction)",
        OneStep::Muon if simulated => "Muon (simulation only)",
        OneStep::Muon => "Muon (= SGD's direction)",
        OneStep::KfacPower(_) => method.name(),
    }
}

/// The fixed parameters, for figure captions.
fn caption(
    a: &Settings,
    model: &SingleIndexModel,
    fixed: Option<(&str, f64)>,
    width: Option<usize>,
    lambda: Option<String>,
) -> String {
    let mut parts = vec![format!("{} spectrum", a.spectrum.caption_name())];
    if let Some((name, v)) = fixed {
        parts.push(format!("{name} = {v}"));
    }
    parts.push(format!("σ* = {}", a.activation));
    if model.level == Level::Network {
        parts.push(format!("σ = {}", a.student));
    }
    parts.push(format!("σ_ε = {}", a.noise));
    if let Some(l) = lambda {
        parts.push(l);
    }
    // width None: a figure across d (finite-size scaling), where N follows d.
    match width {
        Some(_) if a.d.values.len() > 1 => {
            parts.push(format!("d = {} (largest of {})", a.d.max(), a.d.text))
        }
        Some(_) => parts.push(format!("d = {}", a.d.max())),
        None => {}
    }
    if model.level == Level::Network {
        parts.push(match (width, a.width) {
            (Some(w), _) => format!("N = {w}"),
            (None, Some(w)) => format!("N = {w}"),
            (None, None) => "N = d".into(),
        });
    }
    parts.push(format!("{} trials", a.trials_text));
    parts.push(format!("{} level", model.level.name()));
    parts.push(format!("seed {}", a.seed));
    parts.join(" · ")
}

/// A (κ, ψ) pair of the grid.
type KappaPsi = (f64, f64);

/// Every (κ, ψ) of the grid, and the at most MAX_CURVES / 2 of them that get curves in figures
/// whose x axis is neither (λ, d).
fn kappa_psi_combos(a: &Settings, model: &SingleIndexModel) -> (Vec<KappaPsi>, Vec<KappaPsi>) {
    let combos: Vec<(f64, f64)> = a
        .psi
        .values
        .iter()
        .flat_map(|&psi| a.kappa.values.iter().map(move |&kappa| (kappa, psi)))
        .collect();
    let idx: Vec<f64> = (0..combos.len()).map(|i| i as f64).collect();
    let shown = subsample(&idx, curves_per_method(model, MAX_CURVES / 2))
        .into_iter()
        .map(|i| combos[i as usize])
        .collect();
    (combos, shown)
}

/// Points of a dense theory curve: `base`, or a fifth of it (at least 24) when the spectrum has
/// thousands of atoms (a linear, geometric or file spectrum at large d), where every point costs
/// Stieltjes solves over all of them; the curves are smooth either way.
fn curve_points(model: &SingleIndexModel, d: usize, base: usize) -> usize {
    let probe = SingleIndexPoint {
        kappa: 2.0,
        psi: 1.0,
        lambda: 0.1,
        d,
        width: d,
    };
    let atoms = model
        .spectrum(&probe)
        .measure()
        .map_or(1, |h| h.atoms.len());
    if atoms > 4096 {
        (base / 5).max(24)
    } else {
        base
    }
}

/// The λ figure's series: per method and shown (κ, ψ), the theory on a dense log grid of λ and
/// the simulated rows at d.
fn lambda_series(
    model: &SingleIndexModel,
    rows: &[Row],
    positive: &[f64],
    shown: &[KappaPsi],
    (d, width): (usize, usize),
) -> Vec<reports::Series> {
    let xs = dense(positive, curve_points(model, d, 240), true);
    let grids: Vec<(
        Vec<SingleIndexPoint>,
        Vec<Option<theory::SingleIndexLimits>>,
    )> = shown
        .iter()
        .map(|&(kappa, psi)| {
            let grid: Vec<SingleIndexPoint> = xs
                .iter()
                .map(|&lambda| SingleIndexPoint {
                    kappa,
                    psi,
                    lambda,
                    d,
                    width,
                })
                .collect();
            let limits = curve_limits(model, &grid);
            (grid, limits)
        })
        .collect();
    let groups = kappa_psi_groups(shown);
    let mut series = Vec::new();
    for &method in &model.methods {
        for (&(kappa, psi), (grid, limits)) in shown.iter().zip(&grids) {
            let theory = theory_curve(model, method, &xs, grid, limits);
            let sims = rows
                .iter()
                .filter(|r| {
                    r.d == d
                        && r.method == method.name()
                        && r.kappa == kappa
                        && r.psi == psi
                        && r.lambda > 0.0
                })
                .filter_map(|r| {
                    Some(reports::SimPoint {
                        x: r.lambda,
                        mean: r.rho_sim?,
                        half_width: 2.0 * r.rho_sim_se?,
                        mark: engine::figure_mark(r.verdict),
                    })
                })
                .collect();
            let which = if shown.len() > 1 {
                format!(", κ = {kappa}, ψ = {psi}")
            } else {
                String::new()
            };
            series.push(reports::Series {
                label: format!("{}{which}", series_label(model, method)),
                style: method_look(method, &groups, &[kappa, psi]),
                theory,
                sims,
                fit: None,
            });
        }
    }
    series
}

/// `single_index_lambda.svg`: ρ against the ridge λ (log scale) like the paper's learning-rate
/// sweep — theory on a dense grid, simulation ± 2 SE, for up to three (κ, ψ) at the largest d.
fn write_lambda_sweep(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    lambdas: &[f64],
    d: usize,
    width: usize,
) -> Result<String, HarnessError> {
    let positive: Vec<f64> = lambdas.iter().copied().filter(|&l| l > 0.0).collect();
    let (_, shown) = kappa_psi_combos(a, model);
    let series = lambda_series(model, rows, &positive, &shown, (d, width));
    let fixed = (shown.len() == 1).then(|| ("κ", shown[0].0));
    let mut cap = caption(a, model, fixed, Some(width), None);
    if shown.len() == 1 {
        cap = format!("ψ = {} · {cap}", shown[0].1);
    }
    let fig = reports::Figure {
        title: "Learned direction vs the KFAC ridge λ".into(),
        caption: cap,
        x_label: "λ (log scale; SGD does not use it)".into(),
        y_label: alignment_label(model).into(),
        log_x: true,
        log_y: false,
        series,
        bar_meaning: "± 2 SE".into(),
        line_meaning: "theory (limit formula)".into(),
        x_ticks: if positive.len() <= 10 {
            positive.clone()
        } else {
            Vec::new()
        },
    };
    let name = "single_index_lambda.svg".to_string();
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

/// The λ the κ, ψ and finite-size figures show, its caption text, and whether rows must be
/// filtered to it (several λ values in the sweep).
fn shown_lambda(a: &Settings) -> (Option<f64>, String, bool) {
    match &a.lambda {
        Lambda::Values(r) if r.values.len() > 1 => (
            Some(r.values[0]),
            format!("λ = {} (first of {})", r.values[0], r.text),
            true,
        ),
        Lambda::Values(r) => (Some(r.values[0]), format!("λ = {}", r.values[0]), false),
        Lambda::Opt => (None, "λ = optimal per point".into(), false),
    }
}

/// Most rows shown in report.md (the CSV has them all).
const REPORT_ROWS: usize = 200;

/// Most curves per method in one figure.
const MAX_CURVES: usize = 6;

/// Curves per method: up to `most` for the paper's two methods; one when more methods are
/// compared (one colour per method stays readable; the CSV holds every grid point).
fn curves_per_method(model: &SingleIndexModel, most: usize) -> usize {
    if model.methods.len() > 2 {
        1
    } else {
        most
    }
}

/// At most `k` of `values`, evenly spread and keeping the first and the last.
fn subsample(values: &[f64], k: usize) -> Vec<f64> {
    if values.len() <= k {
        return values.to_vec();
    }
    if k <= 1 {
        return values.iter().take(k).copied().collect();
    }
    (0..k)
        .map(|i| values[(i * (values.len() - 1) + (k - 1) / 2) / (k - 1)])
        .collect()
}

/// Dense grid of `count` points between the extremes of `values` (log-spaced if `log`).
fn dense(values: &[f64], count: usize, log: bool) -> Vec<f64> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..count)
        .map(|i| {
            let t = i as f64 / (count - 1) as f64;
            if log {
                (lo.ln() + t * (hi.ln() - lo.ln())).exp()
            } else {
                lo + t * (hi - lo)
            }
        })
        .collect()
}

/// What the κ, ψ and finite-size figures hold fixed: the largest d of the sweep (the limit curves
/// do not depend on it), its width, and the λ shown.
struct Shown {
    d: usize,
    width: usize,
    lambda: Option<f64>,
    lambda_text: String,
    filter_lambda: bool,
}

impl Shown {
    fn new(a: &Settings, points: &[SingleIndexPoint]) -> Self {
        let d = a.d.max();
        let width = points
            .iter()
            .find(|p| p.d == d)
            .map(|p| p.width)
            .unwrap_or(d);
        let (lambda, lambda_text, filter_lambda) = shown_lambda(a);
        Shown {
            d,
            width,
            lambda,
            lambda_text,
            filter_lambda,
        }
    }

    /// Whether a row is at the λ the figures show.
    fn at_lambda(&self, r: &Row) -> bool {
        !self.filter_lambda || Some(r.lambda) == self.lambda
    }
}

/// The κ or ψ figure's series: per method and shown value `o` of the other axis, the theory on
/// a dense grid and the simulated rows at the shown d and λ.
fn axis_series(
    model: &SingleIndexModel,
    rows: &[Row],
    kappa_axis: bool,
    at: &Shown,
    (swept, shown, log): (&[f64], &[f64], bool),
) -> Vec<reports::Series> {
    let other_sym = if kappa_axis { "ψ" } else { "κ" };
    // The dense grids, once per shown value of the other axis (with `--lambda opt` every point
    // needs its own ridge search, so those curves get fewer points).
    let count = curve_points(model, at.d, if at.lambda.is_none() { 48 } else { 240 });
    let xs = dense(swept, count, log);
    let grids: Vec<Vec<SingleIndexPoint>> = shown
        .iter()
        .map(|&o| {
            xs.iter()
                .map(|&x| {
                    let (kappa, psi) = if kappa_axis { (x, o) } else { (o, x) };
                    SingleIndexPoint {
                        kappa,
                        psi,
                        lambda: model.ridge(at.lambda, kappa, psi, at.d).unwrap_or(f64::NAN),
                        d: at.d,
                        width: at.width,
                    }
                })
                .collect()
        })
        .collect();
    let limits: Vec<Vec<Option<theory::SingleIndexLimits>>> =
        grids.iter().map(|g| curve_limits(model, g)).collect();
    let groups = reports::Groups::new(&shown.iter().map(|&o| [o]).collect::<Vec<_>>());
    let mut series = Vec::new();
    for &method in &model.methods {
        for ((&o, grid), limits) in shown.iter().zip(&grids).zip(&limits) {
            let sims = rows
                .iter()
                .filter(|r| {
                    r.d == at.d
                        && at.at_lambda(r)
                        && r.method == method.name()
                        && (if kappa_axis { r.psi } else { r.kappa }) == o
                })
                .filter_map(|r| {
                    Some(reports::SimPoint {
                        x: if kappa_axis { r.kappa } else { r.psi },
                        mean: r.rho_sim?,
                        half_width: 2.0 * r.rho_sim_se?,
                        mark: engine::figure_mark(r.verdict),
                    })
                })
                .collect();
            let label = if shown.len() > 1 {
                format!("{}, {other_sym} = {o}", series_label(model, method))
            } else {
                series_label(model, method).to_string()
            };
            series.push(reports::Series {
                label,
                style: method_look(method, &groups, &[o]),
                theory: theory_curve(model, method, &xs, grid, limits),
                sims,
                fit: None,
            });
        }
    }
    series
}

/// One κ or ψ figure: a theory curve on a dense grid and simulation ± 2 SE per (method, value of
/// the other axis), at most MAX_CURVES values of the other axis.
fn axis_figure(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    kappa_axis: bool,
    at: &Shown,
) -> reports::Figure {
    let (swept, other, log) = if kappa_axis {
        (&a.kappa.values, &a.psi.values, false)
    } else {
        (&a.psi.values, &a.kappa.values, true)
    };
    let (sym, other_sym) = if kappa_axis {
        ("κ", "ψ")
    } else {
        ("ψ", "κ")
    };
    // At most MAX_CURVES values of the other axis get curves (a 200 × 200 grid would draw 400).
    let shown = subsample(other, curves_per_method(model, MAX_CURVES));
    let series = axis_series(model, rows, kappa_axis, at, (swept, &shown, log));
    // One value of the other axis shown: it goes in the caption instead of the legend.
    let fixed = (shown.len() == 1).then(|| (other_sym, shown[0]));
    reports::Figure {
        title: if model.methods == sims::PAPER_METHODS {
            format!("Learned direction vs {sym}: one-step SGD and KFAC")
        } else {
            format!("Learned direction vs {sym}: one-step updates")
        },
        caption: caption(
            a,
            model,
            fixed,
            Some(at.width),
            Some(at.lambda_text.clone()),
        ),
        x_label: if kappa_axis {
            "κ (anisotropy of Σ)".into()
        } else {
            "ψ = n/d (log scale)".into()
        },
        y_label: alignment_label(model).into(),
        log_x: log,
        log_y: false,
        series,
        bar_meaning: "± 2 SE".into(),
        line_meaning: "theory (limit formula)".into(),
        // On the log axis, tick the swept values themselves when there are few of them.
        x_ticks: if log && swept.len() <= 10 {
            swept.clone()
        } else {
            Vec::new()
        },
    }
}

/// One SVG per swept axis (κ, ψ; the finite-size figure for several d, the λ figure for several
/// λ): theory on a dense grid, simulation ± 2 SE, disagreements marked.
fn write_figures(
    a: &Settings,
    model: &SingleIndexModel,
    points: &[SingleIndexPoint],
    rows: &[Row],
    extrapolated: Option<&[ExtrapolatedRow]>,
) -> Result<Vec<String>, HarnessError> {
    let mut files = Vec::new();
    let at = Shown::new(a, points);
    for (axis, kappa_axis, swept) in [
        ("kappa", true, &a.kappa.values),
        ("psi", false, &a.psi.values),
    ] {
        if swept.len() < 2 {
            continue;
        }
        let name = format!("single_index_{axis}.svg");
        reports::write_svg(
            &a.out.join(&name),
            &axis_figure(a, model, rows, kappa_axis, &at),
        )?;
        files.push(name);
    }
    if let Some(e) = extrapolated {
        files.push(write_extrapolation(
            a,
            model,
            rows,
            e,
            at.lambda_text.clone(),
        )?);
    } else if a.d.values.len() >= 2 && rows.iter().any(|r| r.rho_sim.is_some()) {
        let shown: Vec<Row> = rows.iter().filter(|r| at.at_lambda(r)).cloned().collect();
        files.push(write_finite_size(a, model, &shown, at.lambda_text.clone())?);
    }
    if let Lambda::Values(r) = &a.lambda {
        if r.values.len() >= 2 {
            files.push(write_lambda_sweep(
                a, model, rows, &r.values, at.d, at.width,
            )?);
        }
    }
    let family = model
        .methods
        .iter()
        .filter(|m| power_of(**m).is_some())
        .count();
    if family >= 3 && model.methods.iter().any(|m| m.exponent().is_some()) {
        files.push(write_power_figure(a, model, rows, &at)?);
    }
    Ok(files)
}

/// The exponent p of a member of the power family (XᵀX/n + λI)^{-p}: SGD 0, KFAC 1.
fn power_of(method: OneStep) -> Option<f64> {
    match method {
        OneStep::Sgd => Some(0.0),
        OneStep::Kfac => Some(1.0),
        m => m.exponent(),
    }
}

/// The (κ, ψ) the power-family figure shows: one curve each (not one per method), at most six.
fn power_combos(a: &Settings, model: &SingleIndexModel) -> Vec<KappaPsi> {
    let (combos, _) = kappa_psi_combos(a, model);
    let idx: Vec<f64> = (0..combos.len()).map(|i| i as f64).collect();
    subsample(&idx, 6)
        .into_iter()
        .map(|i| combos[i as usize])
        .collect()
}

/// The power family's series: per shown (κ, ψ), the theory over p ∈ [0, 1] and the simulated
/// members (SGD at p = 0, KFAC at p = 1) at the shown d and λ.
fn power_series(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    at: &Shown,
) -> Vec<reports::Series> {
    let shown = power_combos(a, model);
    let many = shown.len() > 1;
    // Settings, not methods: colour by κ, marker and dash by ψ when both vary (docs/figures.md).
    let groups = kappa_psi_groups(&shown);
    let mut series = Vec::new();
    for &(kappa, psi) in &shown {
        let mine: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kappa == kappa && r.psi == psi && r.d == at.d && at.at_lambda(r))
            .filter(|r| OneStep::parse(r.method).and_then(power_of).is_some())
            .collect();
        let Some(first) = mine.first() else { continue };
        let point = SingleIndexPoint {
            kappa,
            psi,
            lambda: first.lambda,
            d: at.d,
            width: at.width,
        };
        let theory = (0..=40)
            .filter_map(|i| {
                let p = i as f64 / 40.0;
                model.power_theory(&point, p).ok().map(|y| (p, y))
            })
            .collect();
        let sims = mine
            .iter()
            .filter_map(|r| {
                Some(reports::SimPoint {
                    x: OneStep::parse(r.method).and_then(power_of)?,
                    mean: r.rho_sim?,
                    half_width: 2.0 * r.rho_sim_se?,
                    mark: engine::figure_mark(r.verdict),
                })
            })
            .collect();
        series.push(reports::Series {
            label: if many {
                format!("κ = {kappa}, ψ = {psi}")
            } else {
                "power family".into()
            },
            style: groups.style(&[kappa, psi], None),
            theory,
            sims,
            fit: None,
        });
    }
    series
}

/// `single_index_power.svg`: ρ against the exponent p of (XᵀX/n + λI)^{-p} — where is the best
/// p, and is it KFAC's 1?
fn write_power_figure(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    at: &Shown,
) -> Result<String, HarnessError> {
    let series = power_series(a, model, rows, at);
    let shown = power_combos(a, model);
    let mut cap = caption(a, model, None, Some(at.width), Some(at.lambda_text.clone()));
    if shown.len() == 1 {
        cap = format!("κ = {} · ψ = {} · {cap}", shown[0].0, shown[0].1);
    }
    let fig = reports::Figure {
        title: "Learned direction along the power family (XᵀX/n + λI)^(−p)".into(),
        caption: cap,
        x_label: "p (0: SGD, ½: √KFAC, 1: KFAC)".into(),
        y_label: alignment_label(model).into(),
        log_x: false,
        log_y: false,
        series,
        bar_meaning: "± 2 SE".into(),
        line_meaning: "theory (power-family formula)".into(),
        x_ticks: Vec::new(),
    };
    let name = "single_index_power.svg".to_string();
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

/// One (method, κ, ψ) series of the finite-size figure: |ρ̄_sim − ρ_theory| against d.
#[derive(Debug, Clone, Serialize)]
struct FiniteSizeRow {
    method: &'static str,
    kappa: f64,
    psi: f64,
    d: usize,
    abs_error: f64,
    se: f64,
    /// Least-squares slope of log |error| on log d for this (method, κ, ψ).
    slope: f64,
    /// Its standard error, propagated from the points' SEs (large at the noise floor).
    slope_se: f64,
}

/// One (method, κ, ψ) series of the finite-size figure: (d, |ρ̄_sim − ρ_theory|, SE) sorted by
/// d, and the power law fitted to its positive errors.
fn finite_size_points(
    rows: &[Row],
    method: OneStep,
    kappa: f64,
    psi: f64,
) -> (Vec<(usize, f64, f64)>, Option<PowerLaw>) {
    let mut pts: Vec<(usize, f64, f64)> = rows
        .iter()
        .filter(|r| r.method == method.name() && r.kappa == kappa && r.psi == psi)
        .filter_map(|r| Some((r.d, (r.rho_sim? - r.rho_theory?).abs(), r.rho_sim_se?)))
        .collect();
    pts.sort_by_key(|p| p.0);
    let usable: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.1 > 0.0)
        .map(|p| (p.0 as f64, p.1))
        .collect();
    (pts, PowerLaw::fit(&usable))
}

/// One (method, κ, ψ) of the finite-size figure: |error| ± 2 SE at each d and the fitted power
/// law (drawn through the geometric means of the points).
fn finite_size_series(
    label: String,
    style: reports::Style,
    pts: &[(usize, f64, f64)],
    fit: &PowerLaw,
) -> reports::Series {
    reports::Series {
        label,
        style,
        theory: Vec::new(),
        sims: pts
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|p| reports::SimPoint {
                x: p.0 as f64,
                mean: p.1,
                half_width: 2.0 * p.2,
                mark: reports::Mark::Agree,
            })
            .collect(),
        fit: Some(
            pts.iter()
                .map(|p| (p.0 as f64, fit.at(p.0 as f64)))
                .collect(),
        ),
    }
}

/// `single_index_finite_size.svg` and `finite_size.csv`: how fast the simulation approaches the
/// formula, |ρ̄_sim − ρ_theory| against d on log-log axes, with the fitted power-law slope.
fn write_finite_size(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    lambda_text: String,
) -> Result<String, HarnessError> {
    let (combos, shown) = kappa_psi_combos(a, model);
    let groups = kappa_psi_groups(&shown);
    let mut table = Vec::new();
    let mut series = Vec::new();
    for &method in &model.methods {
        for &(kappa, psi) in &combos {
            let (pts, fit) = finite_size_points(rows, method, kappa, psi);
            let slope = fit.map_or(f64::NAN, |f| f.slope);
            let positive: Vec<(f64, f64, f64)> = pts
                .iter()
                .filter(|p| p.1 > 0.0)
                .map(|p| (p.0 as f64, p.1, p.2))
                .collect();
            let slope_se = fit.map_or(f64::NAN, |_| PowerLaw::slope_se(&positive));
            table.extend(pts.iter().map(|p| FiniteSizeRow {
                method: method.name(),
                kappa,
                psi,
                d: p.0,
                abs_error: p.1,
                se: p.2,
                slope,
                slope_se,
            }));
            let Some(fit) = fit.filter(|f| f.slope.is_finite() && shown.contains(&(kappa, psi)))
            else {
                continue;
            };
            let which = if shown.len() > 1 {
                format!(", κ = {kappa}, ψ = {psi}")
            } else {
                String::new()
            };
            let label = format!(
                "{}{which}: slope {slope:.2} ± {:.2}",
                method_short(method),
                2.0 * slope_se
            );
            let style = method_look(method, &groups, &[kappa, psi]);
            series.push(finite_size_series(label, style, &pts, &fit));
        }
    }
    reports::write_csv(&a.out.join("finite_size.csv"), &table)?;
    let fig = reports::Figure {
        title: if shown.len() == 1 {
            format!(
                "Finite-size error |ρ̄_sim − ρ_theory| against d (κ = {}, ψ = {})",
                shown[0].0, shown[0].1
            )
        } else {
            "Finite-size error |ρ̄_sim − ρ_theory| against d".into()
        },
        caption: caption(a, model, None, None, Some(lambda_text)),
        x_label: "d (log scale)".into(),
        y_label: "|ρ̄_sim − ρ_theory| (log scale)".into(),
        log_x: true,
        log_y: true,
        series,
        bar_meaning: "± 2 SE; slopes ± 2 SE".into(),
        line_meaning: "theory (limit formula)".into(),
        x_ticks: if a.d.values.len() <= 10 {
            a.d.values.iter().map(|&d| d as f64).collect()
        } else {
            Vec::new()
        },
    };
    let name = "single_index_finite_size.svg".to_string();
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

/// The simulated rows with a formula, as the d → ∞ fit's points.
fn fit_points(rows: &[Row]) -> Vec<crate::extrapolation::AtD> {
    rows.iter()
        .filter_map(|r| {
            Some(crate::extrapolation::AtD {
                method: r.method,
                kappa: r.kappa,
                psi: r.psi,
                lambda: r.lambda,
                d: r.d,
                trials: r.trials,
                mean: r.rho_sim?,
                se: r.rho_sim_se?,
                theory: r.rho_theory?,
            })
        })
        .collect()
}

/// With --extrapolate, `single_index_finite_size.svg` shows the approach to the limit: ρ̄(d)
/// ± 2 SE against 1/d, the fitted line down to 1/d = 0, ρ∞ ± 2 SE there (ringed by its verdict)
/// and the formula as a horizontal line, for up to MAX_CURVES fits.
fn write_extrapolation(
    a: &Settings,
    model: &SingleIndexModel,
    rows: &[Row],
    e: &[ExtrapolatedRow],
    lambda_text: String,
) -> Result<String, HarnessError> {
    let shown = &e[..e.len().min(MAX_CURVES)];
    let (by_lambda, lambda_text) = extrapolation_lambda(a, shown, lambda_text);
    let points = fit_points(rows);
    // Every (κ, ψ, λ) of the fits is a group: a method keeps its hue, shaded by the first of
    // them that varies, its marker and dash set by the others (docs/figures.md).
    let key = |x: &ExtrapolatedRow| [x.kappa, x.psi, if by_lambda { x.lambda } else { 0.0 }];
    let groups = reports::Groups::new(&shown.iter().map(key).collect::<Vec<_>>());
    let series = shown
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut label = format!("{}, κ = {}, ψ = {}", x.method, x.kappa, x.psi);
            if by_lambda {
                label += &format!(", λ = {}", x.lambda);
            }
            let base = OneStep::parse(x.method).map_or(reports::Style::nth(i), method_base);
            let style = groups.style(&key(x), Some(base));
            crate::extrapolation::series(&points, x, label, style)
        })
        .collect();
    let fig = reports::Figure {
        title: "Finite-size extrapolation: ρ̄_sim(d) against 1/d, fit ρ∞ + b/d".into(),
        caption: caption(a, model, None, None, lambda_text),
        x_label: "1/d".into(),
        y_label: "ρ".into(),
        log_x: false,
        log_y: false,
        series,
        bar_meaning: "± 2 SE; at 1/d = 0: ρ∞".into(),
        line_meaning: "theory (limit formula)".into(),
        x_ticks: Vec::new(),
    };
    let name = "single_index_finite_size.svg".to_string();
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

/// Whether the extrapolation figure's fits are told apart by λ (several given λ among them: the
/// legend names each), and the λ for its caption otherwise (the one λ of the fits, or "optimal
/// per point").
fn extrapolation_lambda(
    a: &Settings,
    shown: &[ExtrapolatedRow],
    lambda_text: String,
) -> (bool, Option<String>) {
    let mut lambdas: Vec<f64> = shown.iter().map(|x| x.lambda).collect();
    lambdas.sort_by(f64::total_cmp);
    lambdas.dedup();
    match (&a.lambda, lambdas.as_slice()) {
        (Lambda::Opt, _) => (false, Some(lambda_text)),
        (Lambda::Values(_), [one]) => (false, Some(format!("λ = {one}"))),
        (Lambda::Values(_), []) => (false, Some(lambda_text)),
        (Lambda::Values(_), _) => (true, None),
    }
}

/// report.md's configuration table.
fn report_config(a: &Settings, rows: &[Row]) -> Vec<(String, String)> {
    vec![
        ("kappa", a.kappa.text.clone()),
        ("psi", a.psi.text.clone()),
        (
            "spectrum",
            format!(
                "{}{}",
                a.spectrum.name(),
                if a.no_normalize {
                    " (not normalised)"
                } else {
                    " (normalised to tr Σ = d)"
                }
            ),
        ),
        ("teacher σ*", a.activation.to_string()),
        ("student σ", a.student.to_string()),
        ("noise σ_ε", a.noise.to_string()),
        (
            "ridge λ",
            match &a.lambda {
                Lambda::Values(r) => r.text.clone(),
                Lambda::Opt => {
                    "opt (per grid point, maximising ρ_KFAC in theory; see the lambda column)"
                        .into()
                }
            },
        ),
        ("d", a.d.text.clone()),
        (
            "width N",
            rows.first()
                .and_then(|r| r.width)
                .map(|w| w.to_string())
                .unwrap_or_else(|| "—".into()),
        ),
        ("trials", a.trials_text.clone()),
        (
            "level",
            rows.first()
                .map(|r| r.level.to_string())
                .unwrap_or_default(),
        ),
        ("seed", a.seed.to_string()),
        ("alpha (family-wise)", a.alpha.to_string()),
        ("allowance scale", a.allowance_scale.to_string()),
        ("toolkit version", env!("CARGO_PKG_VERSION").to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// report.md's result table (the first REPORT_ROWS rows).
fn report_table(rows: &[Row]) -> Vec<Vec<String>> {
    let fmt =
        |x: Option<f64>, digits: usize| x.map(|v| format!("{v:.digits$}")).unwrap_or_default();
    rows.iter()
        .take(REPORT_ROWS)
        .map(|r| {
            vec![
                r.kappa.to_string(),
                r.psi.to_string(),
                r.method.to_string(),
                fmt(r.rho_theory, 6),
                fmt(r.rho_sim, 6),
                fmt(r.rho_sim_se, 6),
                fmt(r.z, 2),
                match r.verdict {
                    Some(engine::Outcome::Disagree) => "**DISAGREE**".into(),
                    Some(v) => v.as_str().into(),
                    None if r.rho_sim.is_some() => "simulated only".into(),
                    None => "—".into(),
                },
            ]
        })
        .collect()
}

fn run_report(
    a: &Settings,
    model: &SingleIndexModel,
    verdict: &str,
    rows: &[Row],
    figures: Vec<String>,
) -> reports::RunReport {
    reports::RunReport {
        title: "verify single-index".into(),
        command: shell_line(&a.command),
        verdict: verdict.to_uppercase(),
        config: report_config(a, rows),
        table_header: ["κ", "ψ", "method", "ρ theory", "ρ sim", "SE", "z", "verdict"].iter().map(|s| s.to_string()).collect(),
        table_rows: report_table(rows),
        figures,
        notes: vec![
            format!("ρ = {}; z = (ρ̄_sim − ρ_theory)/SE. {} (b: the finite-size allowance; docs/verdict.md)", alignment_label(model), engine::VERDICT_NOTE),
            if rows.len() > REPORT_ROWS {
                format!("The table shows the first {REPORT_ROWS} of {} rows; single_index.csv and single_index.json have them all.", rows.len())
            } else {
                "Files: single_index.csv, single_index.json (rows, configuration, seed).".into()
            },
        ],
    }
}
