//! `verify spike`: Theorem 3.9's rank-one structure of the first gradient step, measured as
//! ‖W₁ − W₀ − η c1 a β̂ᵀ‖_op / ‖η c1 a β̂ᵀ‖_op against d, with a fitted power law.

use crate::cli::SpikeArgs;
use crate::error::CliError;
use engine::stats::PowerLaw;
use engine::Outcome;
use serde::Serialize;
use sims::spike::SpikeModel;
use sims::{Level, SingleIndexModel, SingleIndexPoint};

#[derive(Serialize)]
struct SpikeRow {
    d: usize,
    n: usize,
    width: usize,
    trials: usize,
    ratio_mean: f64,
    ratio_se: f64,
}

#[derive(Serialize)]
struct SpikeFile<'a> {
    tool: &'static str,
    version: &'static str,
    command: Vec<String>,
    seed: u64,
    /// Least-squares slope of log(mean ratio) on log d.
    slope: f64,
    /// "shrinks" when the ratio falls with d (negative slope, and the largest d below the
    /// smallest by more than 2 combined SE), else "does not shrink".
    verdict: &'static str,
    rows: &'a [SpikeRow],
}

/// The checkpoint kind of a spike run.
pub const LOG_KIND: &str = "verify spike units";

/// Every setting that changes the values, as flags (recorded in the checkpoint and the JSON).
pub fn canonical_argv(a: &SpikeArgs) -> Vec<String> {
    let mut v: Vec<String> = vec!["verify".into(), "spike".into()];
    if a.no_normalize {
        v.push("--no-normalize".into());
    }
    for (k, val) in [
        ("--d", a.d.text.clone()),
        ("--kappa", a.kappa.to_string()),
        ("--psi", a.psi.to_string()),
        ("--spectrum", a.spectrum.absolute_name()),
        ("--activation", a.activation.to_string()),
        ("--student", a.student.to_string()),
        ("--noise", a.noise.to_string()),
        ("--trials", a.trials.to_string()),
        ("--seed", a.seed.to_string()),
    ] {
        v.push(k.into());
        v.push(val);
    }
    v
}

/// The model and its grid (one point per d, N = d rounded up to even).
pub fn setup(a: &SpikeArgs) -> Result<(SpikeModel, Vec<SingleIndexPoint>), CliError> {
    crate::single_index::check_noise(a.noise)?;
    let base = SingleIndexModel {
        family: a.spectrum.clone(),
        normalize: !a.no_normalize,
        teacher: a.activation.clone(),
        student: a.student.clone(),
        noise: a.noise,
        level: Level::Network,
        allowance_scale: 1.0,
        alignment: sims::Alignment::Euclidean,
        methods: sims::PAPER_METHODS.to_vec(),
    };
    let mut ds = a.d.values.clone();
    ds.sort_unstable();
    ds.dedup();
    if ds.len() < 2 {
        return Err(CliError::Usage("invalid value for --d: the spike check needs at least two dimensions (e.g. 100,200,400,800)".into()));
    }
    let points: Vec<SingleIndexPoint> = ds
        .iter()
        .map(|&d| SingleIndexPoint {
            kappa: a.kappa,
            psi: a.psi,
            lambda: 0.1,
            d,
            width: d + d % 2,
        })
        .collect();
    if let Some(p) = points.iter().find(|p| p.n() < 2) {
        return Err(CliError::Usage(format!(
            "invalid value for --psi: n = round(psi·d) must be >= 2 at d = {}",
            p.d
        )));
    }
    base.check_student(&points[0])?;
    crate::single_index::check_memory(&base, &points)?;
    Ok((SpikeModel { base }, points))
}

/// Run (or resume, or run one shard of) the spike check.
pub fn run(a: &SpikeArgs) -> Result<Outcome, CliError> {
    let (model, points) = setup(a)?;
    let header = engine::LogHeader::new(
        LOG_KIND,
        canonical_argv(a),
        points.len(),
        a.trials as usize,
        None,
    )
    .with_inputs(crate::single_index::input_files(&a.spectrum));
    let plan = engine::RunPlan::new(&a.out, a.run, a.seed, header);
    let Some(values) =
        engine::run_or_shard(&model, &points, &plan, &engine::Progress::new(a.quiet))?
    else {
        return Ok(Outcome::Agree);
    };
    finish(a, &points, &values)
}

/// The remainder ratio per d: mean and SE over the trials.
fn spike_rows(a: &SpikeArgs, points: &[SingleIndexPoint], values: &[Vec<f64>]) -> Vec<SpikeRow> {
    let trials = a.trials as usize;
    let sims = engine::summarize_units(values, points.len(), trials, 1);
    points
        .iter()
        .zip(&sims)
        .map(|(p, s)| SpikeRow {
            d: p.d,
            n: p.n(),
            width: p.width,
            trials,
            ratio_mean: s.summaries[0].mean,
            ratio_se: s.summaries[0].se,
        })
        .collect()
}

/// The ratio against d on log-log axes with the fitted power law.
/// The d^(−1/2) reference: c · d^(−1/2) through the fitted line at the smallest d, over the
/// swept d (dense, so the line is straight on log-log axes).
fn d_half_reference(rows: &[SpikeRow], fit: &PowerLaw) -> Vec<(f64, f64)> {
    let (Some(lo), Some(hi)) = (
        rows.iter().map(|r| r.d).min(),
        rows.iter().map(|r| r.d).max(),
    ) else {
        return Vec::new();
    };
    let (lo, hi) = (lo as f64, hi as f64);
    let c = fit.at(lo) * lo.sqrt();
    (0..=32)
        .map(|k| lo * (hi / lo).powf(k as f64 / 32.0))
        .map(|d| (d, c / d.sqrt()))
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect()
}

fn spike_figure(a: &SpikeArgs, rows: &[SpikeRow], fit: &PowerLaw) -> reports::Figure {
    let trials = a.trials;
    let ds: Vec<usize> = rows.iter().map(|r| r.d).collect();
    reports::Figure {
        title: "Theorem 3.9: the first step is rank one plus a vanishing remainder".into(),
        caption: format!(
            "{} spectrum · κ = {} · ψ = {} · σ* = {} · σ = {} · σ_ε = {} · N = d · {trials} trials · seed {}",
            a.spectrum.caption_name(),
            a.kappa,
            a.psi,
            a.activation,
            a.student,
            a.noise,
            a.seed
        ),
        x_label: "d (log scale)".into(),
        y_label: "‖W₁ − W₀ − η c₁ a β̂ᵀ‖ / ‖η c₁ a β̂ᵀ‖ (log scale)".into(),
        log_x: true,
        log_y: true,
        series: vec![reports::Series {
            label: format!("simulation: slope {:.2}", fit.slope),
            style: reports::Style::nth(0),
            theory: Vec::new(),
            sims: rows.iter().map(|r| reports::SimPoint { x: r.d as f64, mean: r.ratio_mean, half_width: 2.0 * r.ratio_se, mark: reports::Mark::Agree }).collect(),
            fit: Some(rows.iter().map(|r| (r.d as f64, fit.at(r.d as f64))).collect()),
        }, reports::Series {
            label: "reference: slope −1/2".into(),
            style: reports::Style { line: reports::LineKind::Dotted, ..reports::Style::nth(7) },
            theory: d_half_reference(rows, fit),
            sims: Vec::new(),
            fit: None,
        }],
        bar_meaning: "± 2 SE".into(),
        line_meaning: "c·d^(−1/2) reference".into(),
        x_ticks: if ds.len() <= 10 { ds.iter().map(|&d| d as f64).collect() } else { Vec::new() },
    }
}

/// From the unit values (all units in grid order) to the fit, files and standard output; shared
/// by a whole run, a resumed run and `verify merge`.
pub fn finish(
    a: &SpikeArgs,
    points: &[SingleIndexPoint],
    values: &[Vec<f64>],
) -> Result<Outcome, CliError> {
    let rows = spike_rows(a, points, values);
    let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.d as f64, r.ratio_mean)).collect();
    let fit = PowerLaw::fit(&pts).expect("the spike check has at least two dimensions");
    let fitted = fit.slope;
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let shrinks = fitted < 0.0
        && first.ratio_mean - last.ratio_mean > 2.0 * first.ratio_se.hypot(last.ratio_se);
    let verdict = if shrinks {
        "shrinks"
    } else {
        "does not shrink"
    };
    engine::publish::<_, CliError>(&a.out, engine::Checkpoint::Finished, |dir| {
        reports::write_csv(&dir.join("spike.csv"), &rows)?;
        reports::write_json(
            &dir.join("spike.json"),
            &SpikeFile {
                tool: "verify",
                version: env!("CARGO_PKG_VERSION"),
                command: canonical_argv(a),
                seed: a.seed,
                slope: fitted,
                verdict,
                rows: &rows,
            },
        )?;
        reports::write_svg(&dir.join("spike.svg"), &spike_figure(a, &rows, &fit))?;
        Ok(())
    })?;
    results::stdout::print_rows(&rows, a.format, || {
        let mut out = format!(
            "{:>7} {:>7} {:>7} {:>12} {:>10}\n",
            "d", "n", "N", "ratio", "± se"
        );
        for r in &rows {
            out += &format!(
                "{:>7} {:>7} {:>7} {:>12.5} {:>10.5}\n",
                r.d, r.n, r.width, r.ratio_mean, r.ratio_se
            );
        }
        out + &format!(
            "\nfitted slope of log ratio on log d: {fitted:.3}; the remainder {verdict} with d. Files in {}\n",
            a.out.display()
        )
    })?;
    Ok(crate::agreed(shrinks))
}
