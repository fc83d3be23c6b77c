//! The result set of `verify linear-rep contraction`: one row per (method, κ(F*), κ(Σ)) with the
//! first instance's measured rate and the Monte Carlo ratio (1 − rate)/(1 − theory) and its
//! verdict, `contraction.csv` / `.json`, `contraction.svg`, `report.md` and the terminal table.

use crate::single_index::shell_line;
use engine::range::Range;
use engine::Model;
use engine::{Format, HarnessError};
use serde::Serialize;
use sims::linear_rep::population::{ContractionModel, ContractionPoint, RATE_TOLERANCE};
use std::path::PathBuf;

/// Sizes of the linear-representation model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Input dimension d_x.
    pub dx: u64,
    /// Output dimension d_y.
    pub dy: u64,
    /// Representation rank k.
    pub k: u64,
}

/// A contraction run's settings as the result set shows them.
#[derive(Debug, Clone)]
pub struct ContractionSettings {
    /// κ(F*) values as given.
    pub kappa_head: Range,
    /// κ(Σ) values as given.
    pub kappa_sigma: Range,
    /// Step size η.
    pub lr: f64,
    /// The methods, comma-separated.
    pub methods: String,
    /// Sizes.
    pub dims: Dims,
    /// Size of the adversarial start.
    pub delta: f64,
    /// Iteration cap.
    pub max_iter: u64,
    /// Instances per point.
    pub trials: u64,
    /// Family-wise false-failure level.
    pub alpha: f64,
    /// Equivalence margin for "agree".
    pub margin: engine::Margin,
    /// Seed of every random stream.
    pub seed: u64,
    /// Output folder.
    pub out: PathBuf,
    /// What goes to standard output.
    pub format: Format,
    /// The canonical command, recorded in the files.
    pub command: Vec<String>,
}

/// One row of `contraction.csv` (cli.md's fixed columns first).
#[derive(Debug, Clone, Serialize)]
pub struct RateRow {
    /// The method measured.
    pub method: &'static str,
    /// κ(F*).
    pub kappa_head: f64,
    /// κ(Σ).
    pub kappa_sigma: f64,
    /// Step size η.
    pub lr: f64,
    /// The first instance's measured per-iteration contraction factor of dist.
    pub rate: f64,
    /// Its local-rate theory (docs/linear-rep-rates.md).
    pub rate_theory: Option<f64>,
    /// The verdict on the ratio.
    pub pass: Option<bool>,
    /// Iterations the first instance ran.
    pub iterations: usize,
    /// dist at its start.
    pub dist_start: f64,
    /// dist at its end.
    pub dist_end: f64,
    /// The smallest eigenvalue of the Schur complement of Σ on row(G*)^⊥ (AMGD's b_min).
    pub schur_min: f64,
    /// Over --trials random instances: mean of (1 − rate)/(1 − rate_theory), whose limit is 1
    /// (rate, rate_theory, iterations and the dists above are the first instance's).
    pub ratio_mean: f64,
    /// Its standard error.
    pub ratio_se: f64,
    /// The verdict's statistic (ratio_mean − 1)/sqrt(SE² + tolerance²).
    pub z: Option<f64>,
    /// The row's verdict: agree, disagree or inconclusive.
    pub verdict: engine::Outcome,
    /// Instances per point.
    pub trials: usize,
}

/// The rows of a contraction run: each point's first instance (rate, theory, iterations) with
/// the Monte Carlo ratio and verdict, sorted by method, then κ(Σ), then κ(F*).
fn contraction_rows(
    a: &ContractionSettings,
    model: &ContractionModel,
    grid: &[ContractionPoint],
    values: &[Vec<f64>],
) -> Result<Vec<RateRow>, HarnessError> {
    let methods = &model.methods;
    // Each point's first instance (trial 0) shows its rate, theory and iteration count.
    let trials = a.trials as usize;
    let results: Vec<_> = grid
        .iter()
        .enumerate()
        .flat_map(|(i, p)| model.results(p, &values[i * trials]))
        .collect();
    let theory: Vec<Vec<Option<f64>>> = grid
        .iter()
        .map(|p| model.theory(p))
        .collect::<Result<_, _>>()?;
    let j = engine::judge(model, grid, &theory, values, trials, a.margin, a.alpha);
    let mut rows: Vec<RateRow> = results
        .iter()
        .map(|r| {
            let i = grid
                .iter()
                .position(|p| *p == r.point)
                .expect("a grid point");
            let k = methods
                .iter()
                .position(|&m| m == r.method)
                .expect("a method");
            let summary = j.sims[i].summaries[k];
            let v = j.verdicts[i][k].expect("every method has a theory");
            RateRow {
                method: r.method.name(),
                kappa_head: r.point.kappa_head,
                kappa_sigma: r.point.kappa_sigma,
                lr: r.point.lr,
                rate: r.measured.rate,
                rate_theory: Some(r.theory),
                pass: Some(v.pass),
                iterations: r.measured.iterations,
                dist_start: r.measured.dist_start,
                dist_end: r.measured.dist_end,
                schur_min: r.schur_min,
                ratio_mean: summary.mean,
                ratio_se: summary.se,
                z: v.z,
                verdict: v.outcome,
                trials,
            }
        })
        .collect();
    // Sort: method order, then κ_Σ, then κ_F.
    let order = |m: &str| methods.iter().position(|x| x.name() == m).unwrap_or(0);
    rows.sort_by(|x, y| {
        (order(x.method), x.kappa_sigma, x.kappa_head)
            .partial_cmp(&(order(y.method), y.kappa_sigma, y.kappa_head))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(rows)
}

/// report.md of a contraction run.
fn contraction_report(
    a: &ContractionSettings,
    verdict: &str,
    slopes: &[(&str, f64, f64)],
    table_rows: Vec<Vec<String>>,
) -> reports::RunReport {
    let notes = slopes
        .iter()
        .map(|(m, ks, s)| format!("{m}, κ(Σ) = {ks}: log-log slope of 1 − rate on κ(F*) = {s:.3}"))
        .collect();
    reports::RunReport {
        title: "verify linear-rep contraction".into(),
        command: shell_line(&a.command),
        verdict: verdict.to_uppercase(),
        config: vec![
            ("lr".into(), a.lr.to_string()),
            ("delta".into(), a.delta.to_string()),
            ("max iterations".into(), a.max_iter.to_string()),
            (
                "dims".into(),
                format!("d_x = {}, d_y = {}, k = {}", a.dims.dx, a.dims.dy, a.dims.k),
            ),
            ("seed".into(), a.seed.to_string()),
        ],
        table_header: [
            "method",
            "κ(F*)",
            "κ(Σ)",
            "rate",
            "theory",
            "iterations",
            "verdict",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        table_rows,
        figures: vec!["contraction.svg".into()],
        notes,
    }
}

/// From the unit values (all units in grid order) to rows, verdict, files and standard output;
/// shared by a whole run, a resumed run and `verify merge`.
pub fn contraction_finish(
    a: &ContractionSettings,
    model: &ContractionModel,
    grid: &[ContractionPoint],
    values: &[Vec<f64>],
) -> Result<engine::Outcome, HarnessError> {
    let rows = contraction_rows(a, model, grid, values)?;
    let slopes = fitted_slopes(&rows);
    let outcome = engine::Outcome::of_run(rows.iter().map(|r| r.verdict));
    let verdict = outcome.as_str();
    let table_rows = contraction_table(&rows);
    engine::publish::<_, HarnessError>(&a.out, engine::Checkpoint::Finished, |dir| {
        reports::write_csv(&dir.join("contraction.csv"), &rows)?;
        reports::write_json(
            &dir.join("contraction.json"),
            &contraction_file(a, &rows, &slopes, verdict),
        )?;
        let fig = contraction_figure(a, &rows, &slopes);
        reports::write_svg(&dir.join("contraction.svg"), &fig)?;
        reports::write_markdown(
            &dir.join("report.md"),
            &contraction_report(a, verdict, &slopes, table_rows.clone()),
        )?;
        Ok(())
    })?;
    crate::stdout::print_rows(&rows, a.format, || {
        let mut out = crate::stdout::fixed_width(
            &[
                "method", "κ(F*)", "κ(Σ)", "rate", "theory", "iters", "verdict",
            ],
            &table_rows,
            &[-11, 8, 8, 12, 12, 7, -8],
        );
        for (m, ks, s) in &slopes {
            out += &format!("{m}, κ(Σ) = {ks}: slope of log(1 − rate) on log κ(F*) = {s:.3}\n");
        }
        let count = |o: engine::Outcome| rows.iter().filter(|r| r.verdict == o).count();
        out + &format!(
            "\nverdict: {} ({} of {} rows agree, {} disagree, {} inconclusive; margin {}). Results in {}\n",
            verdict.to_uppercase(),
            count(engine::Outcome::Agree),
            rows.len(),
            count(engine::Outcome::Disagree),
            count(engine::Outcome::Inconclusive),
            a.margin,
            a.out.display()
        )
    })?;
    Ok(outcome)
}

#[derive(Serialize)]
struct SlopeRec {
    method: &'static str,
    kappa_sigma: f64,
    slope: f64,
}

#[derive(Serialize)]
struct RateFile<'a> {
    tool: &'static str,
    version: &'static str,
    command: Vec<String>,
    seed: u64,
    verdict: &'static str,
    tolerance: String,
    slopes: Vec<SlopeRec>,
    rows: &'a [RateRow],
}

/// contraction.json: the rows with the command, tolerance and fitted slopes.
fn contraction_file<'a>(
    a: &ContractionSettings,
    rows: &'a [RateRow],
    slopes: &[(&'static str, f64, f64)],
    verdict: &'static str,
) -> RateFile<'a> {
    let trials = a.trials as usize;
    RateFile {
        tool: "verify",
        version: env!("CARGO_PKG_VERSION"),
        command: a.command.clone(),
        seed: a.seed,
        verdict,
        tolerance: format!(
            "ratio (1 − rate)/(1 − rate_theory) over {trials} instances against 1, allowance {RATE_TOLERANCE}: agree when its 1 − 2α interval is inside ±(margin + allowance), disagree beyond the allowance by Holm's step-down at family-wise level {}",
            a.alpha
        ),
        slopes: slopes
            .iter()
            .map(|&(m, ks, s)| SlopeRec {
                method: m,
                kappa_sigma: ks,
                slope: s,
            })
            .collect(),
        rows,
    }
}

/// The contraction rows as table cells (terminal and report).
fn contraction_table(rows: &[RateRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            vec![
                r.method.to_string(),
                r.kappa_head.to_string(),
                r.kappa_sigma.to_string(),
                format!("{:.8}", r.rate),
                r.rate_theory.map_or("—".into(), |t| format!("{t:.8}")),
                format!("{}", r.iterations),
                engine::verdict_cell(Some(r.verdict)).into(),
            ]
        })
        .collect()
}

/// Per (method, κ_Σ) with ≥ 2 κ_F values: slope of log(1 − rate) on log κ(F*).
fn fitted_slopes(rows: &[RateRow]) -> Vec<(&'static str, f64, f64)> {
    let mut out = Vec::new();
    let mut keys: Vec<(&'static str, f64)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.method, r.kappa_sigma)) {
            keys.push((r.method, r.kappa_sigma));
        }
    }
    for (m, ks) in keys {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.method == m && r.kappa_sigma == ks && r.rate < 1.0)
            .map(|r| (r.kappa_head.ln(), (1.0 - r.rate).ln()))
            .collect();
        let distinct = pts
            .iter()
            .map(|p| p.0.to_bits())
            .collect::<std::collections::HashSet<_>>();
        if distinct.len() >= 2 {
            let (x, y): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
            out.push((m, ks, engine::stats::least_squares_slope(&x, &y)));
        }
    }
    out
}

/// A series' legend name: the method, and κ(Σ) for AMGD's per-κ(Σ) curves.
fn series_name(m: &str, kappa_sigma: Option<f64>) -> String {
    match m {
        "kfac" => "KFAC (η_F = η)".to_string(),
        "kfac-etaf1" => "KFAC (η_F = 1)".to_string(),
        "dfw" => "DFW".to_string(),
        _ => format!("AMGD, κ(Σ) = {}", kappa_sigma.unwrap_or(f64::NAN)),
    }
}

/// A method's look in the contraction figure: its palette style, AMGD's per-κ(Σ) curves as the
/// `variant` (j, n) of it.
fn contraction_style(m: &str, i: usize, variant: Option<(usize, usize)>) -> reports::Style {
    let base = reports::method_style(m).unwrap_or(reports::Style::nth(i));
    match variant {
        Some((j, n)) => base.variant(j, n),
        None => base,
    }
}

/// 1 − rate against κ(F*) on log-log axes: measured markers, theory lines; KFAC and DFW pooled
/// over κ(Σ) (their rates do not depend on it), AMGD one series per κ(Σ).
fn contraction_figure(
    a: &ContractionSettings,
    rows: &[RateRow],
    slopes: &[(&str, f64, f64)],
) -> reports::Figure {
    let mut series = Vec::new();
    let mut groups: Vec<(&'static str, Option<f64>)> = Vec::new();
    for r in rows {
        let pooled = r.method != "amgd";
        let key = (r.method, (!pooled).then_some(r.kappa_sigma));
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let amgd_count = groups.iter().filter(|g| g.1.is_some()).count();
    for (i, (m, ks)) in groups.iter().enumerate() {
        // AMGD's curves per κ(Σ) in AMGD's hue, lighter to darker as κ(Σ) grows.
        let amgd_index = groups[..i].iter().filter(|g| g.1.is_some()).count();
        let mine: Vec<&RateRow> = rows
            .iter()
            .filter(|r| r.method == *m && ks.is_none_or(|k| r.kappa_sigma == k))
            .collect();
        let mut theory: Vec<(f64, f64)> = Vec::new();
        for r in &mine {
            if let Some(t) = r.rate_theory {
                if t < 1.0 && !theory.iter().any(|p| p.0 == r.kappa_head) {
                    theory.push((r.kappa_head, 1.0 - t));
                }
            }
        }
        theory.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
        let slope = slopes
            .iter()
            .filter(|s| s.0 == *m && ks.is_none_or(|k| s.1 == k))
            .map(|s| s.2)
            .next();
        let name = series_name(m, *ks);
        series.push(reports::Series {
            label: match slope {
                Some(s) if *m != "kfac" && *m != "kfac-etaf1" => format!("{name}: slope {s:.2}"),
                _ => name,
            },
            style: contraction_style(m, i, ks.map(|_| (amgd_index, amgd_count))),
            theory,
            sims: mine
                .iter()
                .filter(|r| r.rate < 1.0)
                .map(|r| reports::SimPoint {
                    x: r.kappa_head,
                    mean: 1.0 - r.rate,
                    half_width: 0.0,
                    mark: engine::figure_mark(Some(r.verdict)),
                })
                .collect(),
            fit: None,
        });
    }
    reports::Figure {
        title: "Contraction of the subspace distance: 1 − rate against κ(F*)".into(),
        caption: format!(
            "population, noiseless · η = {} · d_x = {} · d_y = {} · k = {} · adversarial start δ = {} · seed {}",
            a.lr, a.dims.dx, a.dims.dy, a.dims.k, a.delta, a.seed
        ),
        x_label: "κ(F*) (log scale)".into(),
        y_label: "1 − per-iteration contraction factor (log scale)".into(),
        log_x: true,
        log_y: true,
        series,
        bar_meaning: "(first instance)".into(),
        line_meaning: "local rate theory".into(),
        x_ticks: if a.kappa_head.values.len() <= 10 {
            a.kappa_head.values.clone()
        } else {
            Vec::new()
        },
    }
}
