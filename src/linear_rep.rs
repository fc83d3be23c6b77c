//! `verify linear-rep`: the head-to-head of the optimizers (Figures 1, 2, 5, 9) and
//! `verify linear-rep contraction` (Theorem 3.6 / Proposition 3.5): arguments → sims → rows →
//! files, figures and stdout.

use crate::cli::{ContractionArgs, LinearRepArgs, LinearRepCommand, LinearRepSub};
use crate::error::CliError;
use crate::single_index::shell_line;
use engine::Outcome;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use results::contraction::{contraction_finish, ContractionSettings};
use serde::Serialize;
use sims::linear_rep::optim::Hyper;
use sims::linear_rep::population::{ContractionModel, ContractionPoint, ContractionSetup};
use sims::linear_rep::summary::{
    mean_curve, of_method, rows_of, summary_of, transfer_fit, LinRow, RunSummary, SettingInfo,
    TransferFit,
};
use sims::linear_rep::{
    run_head_to_head, Anisotropy, Covariates, Dims, HeadToHead, Method, Setting, Trajectory,
};
use std::io::IsTerminal;

pub fn run(c: &LinearRepCommand) -> Result<Outcome, CliError> {
    match &c.command {
        Some(LinearRepSub::Contraction(a)) => contraction(a),
        None => head_to_head(&c.run),
    }
}

fn progress_bar(total: u64, quiet: bool, unit: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {unit} (eta {{eta}})"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    pb
}

#[derive(Debug, Serialize)]
struct LinConfig {
    settings: String,
    methods: String,
    dx: u64,
    dy: u64,
    k: u64,
    batch: u64,
    noise: f64,
    iters: u64,
    log_every: u64,
    lr: Vec<f64>,
    lr_ngd: f64,
    ridge: f64,
    damping: f64,
    head_spread: f64,
    kappa_head: Option<f64>,
    kappa_sigma: Option<f64>,
    n_target: u64,
    batch_whitening: bool,
    seed: u64,
    replicates: u64,
}

#[derive(Debug, Serialize)]
struct LinFile<'a> {
    tool: &'static str,
    version: &'static str,
    command: Vec<String>,
    seed: u64,
    config: &'a LinConfig,
    summary: &'a [RunSummary],
    /// Condition numbers of each setting's instance (the settings of one seed share G*, F_tr, F_te).
    instances: &'a [SettingInfo],
    transfer_fit: Option<&'a TransferFit>,
    rows: &'a [LinRow],
}

fn methods_of(a: &LinearRepArgs) -> Vec<Method> {
    if a.batch_norm {
        vec![
            Method::Amgd,
            Method::AmgdBn,
            Method::AmgdWhiten,
            Method::Kfac,
        ]
    } else {
        a.methods.0.clone()
    }
}

fn iters_of(a: &LinearRepArgs) -> u64 {
    a.iters
        .unwrap_or(if a.lr_sweep.is_some() { 375 } else { 1500 })
}

/// Every setting that changes the results, as flags.
fn canonical_argv(a: &LinearRepArgs) -> Vec<String> {
    let mut pairs: Vec<(&str, String)> = vec![("--settings", a.settings.to_string())];
    let mut flags: Vec<&str> = Vec::new();
    if a.batch_norm {
        flags.push("--batch-norm");
    } else {
        pairs.push(("--methods", a.methods.to_string()));
    }
    if let Some(r) = &a.lr_sweep {
        pairs.push(("--lr-sweep", r.text.clone()));
    }
    pairs.extend([
        ("--dx", a.dims.dx.to_string()),
        ("--dy", a.dims.dy.to_string()),
        ("--k", a.dims.k.to_string()),
        ("--batch", a.batch.to_string()),
        ("--noise", a.noise.to_string()),
        ("--iters", iters_of(a).to_string()),
        ("--log-every", a.log_every.to_string()),
        ("--lr", a.lr.to_string()),
        ("--lr-ngd", a.lr_ngd.to_string()),
        ("--ridge", a.ridge.to_string()),
        ("--damping", a.damping.to_string()),
        ("--head-spread", a.head_spread.to_string()),
        ("--n-target", a.n_target.to_string()),
    ]);
    if let Some(k) = a.kappa_head {
        pairs.push(("--kappa-head", k.to_string()));
    }
    if let Some(k) = a.kappa_sigma {
        pairs.push(("--kappa-sigma", k.to_string()));
    }
    if a.batch_whitening {
        flags.push("--batch-whitening");
    }
    pairs.push(("--seed", a.seed.to_string()));
    pairs.push(("--trials", a.replicates.to_string()));
    let mut v: Vec<String> = vec!["verify".into(), "linear-rep".into()];
    for (k, val) in pairs {
        v.push(k.into());
        v.push(val);
    }
    v.extend(flags.into_iter().map(String::from));
    v
}

fn validate(a: &LinearRepArgs) -> Result<(), CliError> {
    if a.dims.k > a.dims.dy {
        return Err(CliError::Usage(format!(
            "invalid value for --k: the head F* (d_y × k) needs rank k ≤ --dy = {}, got {}",
            a.dims.dy, a.dims.k
        )));
    }
    if a.dims.k >= a.dims.dx {
        return Err(CliError::Usage(format!(
            "invalid value for --k: need k < --dx = {}, got {}",
            a.dims.dx, a.dims.k
        )));
    }
    if a.batch < a.dims.k + 1 {
        return Err(CliError::Usage(format!(
            "invalid value for --batch: the least-squares head needs more than k = {} samples, got {}",
            a.dims.k, a.batch
        )));
    }
    if a.n_target <= a.dims.k {
        return Err(CliError::Usage(format!(
            "invalid value for --n-target: the transfer head refit needs more than k = {} samples, got {}",
            a.dims.k, a.n_target
        )));
    }
    let needs_inverse = methods_of(a)
        .iter()
        .any(|m| matches!(m, Method::Dfw | Method::Kfac | Method::KfacEtaF1));
    if a.batch <= a.dims.dx && needs_inverse && a.ridge == 0.0 {
        return Err(CliError::Usage(format!(
            "invalid value for --batch: DFW and KFAC invert the batch covariance, so they need --batch > --dx = {} (got {}); or give KFAC a --ridge > 0 and drop dfw",
            a.dims.dx, a.batch
        )));
    }
    if a.kappa_sigma.is_some() {
        let gaussian: Vec<bool> = a.settings.0.iter().map(|s| s.0).collect();
        if gaussian.iter().filter(|&&g| g).count() > 1
            || gaussian.iter().filter(|&&g| !g).count() > 1
        {
            return Err(CliError::Usage(
                "invalid value for --settings: --kappa-sigma replaces the settings' anisotropy, so name each covariate law once (e.g. --settings uniform-high,gaussian-high)".into(),
            ));
        }
    }
    if a.batch_whitening && a.batch <= a.dims.dx && methods_of(a).contains(&Method::AmgdWhiten) {
        return Err(CliError::Usage(format!(
            "invalid value for --batch: --batch-whitening needs --batch > --dx = {}",
            a.dims.dx
        )));
    }
    Ok(())
}

fn setting_of(name_gaussian: bool, high: bool, kappa_sigma: Option<f64>) -> Setting {
    Setting {
        covariates: if name_gaussian {
            Covariates::Gaussian
        } else {
            Covariates::Uniform
        },
        anisotropy: match kappa_sigma {
            Some(k) => Anisotropy::Condition(k),
            None if high => Anisotropy::High,
            None => Anisotropy::Low,
        },
    }
}

fn config(a: &LinearRepArgs, lrs: &[f64]) -> HeadToHead {
    HeadToHead {
        dims: Dims {
            dx: a.dims.dx as usize,
            dy: a.dims.dy as usize,
            k: a.dims.k as usize,
        },
        setting: setting_of(false, true, None),
        n: a.batch as usize,
        noise: a.noise,
        head_spread: a.head_spread,
        head_condition: a.kappa_head,
        iters: iters_of(a) as usize,
        log_every: a.log_every as usize,
        hyper: Hyper {
            lr: lrs[0],
            lr_ngd: a.lr_ngd,
            ridge: a.ridge,
            damping: a.damping,
        },
        n_target: a.n_target as usize,
        batch_whitening: a.batch_whitening,
        methods: methods_of(a),
    }
}

/// A method's legend label.
fn label(m: Method) -> String {
    match m {
        Method::Sgd => "SGD".into(),
        Method::Amgd => "AMGD".into(),
        Method::Dfw => "DFW".into(),
        Method::Kfac => "KFAC (η_F = η)".into(),
        Method::KfacEtaF1 => "KFAC (η_F = 1)".into(),
        Method::Adam => "Adam".into(),
        Method::Ngd => "NGD (exact Fisher)".into(),
        Method::NgdEmpF => "NGD (empirical Fisher)".into(),
        Method::AmgdBn => "AMGD + batch-norm".into(),
        Method::AmgdWhiten => "AMGD + whitening".into(),
    }
}

/// The runs that diverged, per method, for the caption.
fn divergence_notes(runs: &[Vec<Trajectory>]) -> Vec<String> {
    let replicates = runs.len();
    let methods = runs[0].len();
    (0..methods)
        .filter_map(|i| {
            let reps = of_method(runs, i);
            let d = reps.iter().filter(|t| t.diverged_at.is_some()).count();
            let first = reps.iter().filter_map(|t| t.diverged_at).min()?;
            Some(if replicates > 1 {
                format!(
                    "{} diverged in {d}/{replicates} runs (first at t = {first})",
                    reps[0].method.name()
                )
            } else {
                format!("{} diverged at t = {first}", reps[0].method.name())
            })
        })
        .collect()
}

/// One line per method: the mean of `metric` over the replicates, with ± 2 SE markers at about a
/// dozen logged iterations when there are several replicates.
fn metric_series(runs: &[Vec<Trajectory>], metric: &str) -> Vec<reports::Series> {
    let methods = runs[0].len();
    (0..methods)
        .map(|i| {
            let reps = of_method(runs, i);
            let curve = mean_curve(&reps, metric);
            // With replicates, ± 2 SE markers at about a dozen of the logged iterations.
            let every = (curve.len() / 12).max(1);
            let sims = curve
                .iter()
                .enumerate()
                .filter(|(j, c)| j % every == every / 2 && c.2.is_some())
                .map(|(_, &(x, m, se))| reports::SimPoint {
                    x,
                    mean: m,
                    half_width: 2.0 * se.unwrap_or(0.0),
                    mark: reports::Mark::Agree,
                })
                .collect();
            reports::Series {
                label: label(reps[0].method),
                style: look(reps[0].method, i),
                theory: curve.iter().map(|&(x, m, _)| (x, m)).collect(),
                sims,
                fit: None,
            }
        })
        .collect()
}

/// The three panels of Figure 1 for one setting: a metric against the iteration, one line per
/// method (log y); a diverged run's line stops where it diverged.
fn write_panels(
    a: &LinearRepArgs,
    setting: &str,
    lr: f64,
    runs: &[Vec<Trajectory>],
    info: &SettingInfo,
) -> Result<Vec<String>, CliError> {
    let mut files = Vec::new();
    let replicates = runs.len();
    let diverged = divergence_notes(runs);
    for (metric, title, ylab) in [
        ("train_loss", "Training loss", "E‖y − F G x‖² (log scale)"),
        ("dist", "Subspace distance to G*", "dist(G, G*) (log scale)"),
        (
            "transfer_loss",
            "Transfer loss (head refit on target data)",
            "target E‖y − F̂ G x‖² (log scale)",
        ),
    ] {
        let series = metric_series(runs, metric);
        let seeds = if replicates > 1 {
            format!(
                "{replicates} replicates, seeds {}..{}",
                a.seed,
                a.seed + replicates as u64 - 1
            )
        } else {
            format!("seed {}", a.seed)
        };
        let mut cap = format!(
            "{setting} · κ(F_tr) = {:.1} · κ(Σ_tr) = {:.0} · d_x = {} · d_y = {} · k = {} · n = {} · σ_ε = {} · η = {lr} · η_NGD = {} · {seeds}",
            info.info.kappa_head_train, info.info.kappa_sigma_train, a.dims.dx, a.dims.dy, a.dims.k, a.batch, a.noise, a.lr_ngd
        );
        if !diverged.is_empty() {
            cap = format!("{cap} · {}", diverged.join(", "));
        }
        let fig = reports::Figure {
            title: format!("{title} ({setting})"),
            caption: cap,
            x_label: "iteration".into(),
            y_label: ylab.into(),
            log_x: false,
            log_y: true,
            series,
            bar_meaning: "± 2 SE over replicates".into(),
            line_meaning: if replicates > 1 {
                "mean over replicates, same data per replicate".into()
            } else {
                "one run per method, same data stream".into()
            },
            x_ticks: Vec::new(),
        };
        let name = format!("linear_rep_{setting}_{metric}.svg");
        reports::write_svg(&a.out.join(&name), &fig)?;
        files.push(name);
    }
    Ok(files)
}

/// A linear-rep method's look in every figure (the palette in docs/figures.md).
fn look(m: sims::linear_rep::Method, i: usize) -> reports::Style {
    reports::method_style(m.name()).unwrap_or(reports::Style::nth(i))
}

/// Figure 5: dist at the last iteration against the learning rate (diverged = 1).
fn write_lr_sweep(
    a: &LinearRepArgs,
    setting: &str,
    lrs: &[f64],
    summaries: &[RunSummary],
) -> Result<String, CliError> {
    let methods = methods_of(a);
    let series = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // A learning rate at which every replicate diverged has no distance: it is drawn as
            // an arrow at the top edge (and breaks the line), not as a point at 1.
            let pts: Vec<(f64, f64, f64)> = lrs
                .iter()
                .filter_map(|&lr| {
                    summaries
                        .iter()
                        .find(|s| s.setting == setting && s.method == m.name() && s.lr == lr)
                        .map(|s| {
                            if s.diverged_runs == s.replicates {
                                (lr, f64::INFINITY, 0.0)
                            } else {
                                (lr, s.final_dist, s.final_dist_se.unwrap_or(0.0))
                            }
                        })
                })
                .collect();
            reports::Series {
                label: label(*m),
                style: look(*m, i),
                theory: pts.iter().map(|p| (p.0, p.1)).collect(),
                sims: pts
                    .iter()
                    .map(|&(x, y, se)| reports::SimPoint {
                        x,
                        mean: y,
                        half_width: 2.0 * se,
                        mark: reports::Mark::Agree,
                    })
                    .collect(),
                fit: None,
            }
        })
        .collect();
    let fig = reports::Figure {
        title: format!("Distance after {} iterations vs learning rate ({setting})", iters_of(a)),
        caption: format!(
            "{setting} · d_x = {} · d_y = {} · k = {} · n = {} · σ_ε = {} · NGD uses the swept lr too · a diverged replicate counts as 1 · {} replicate(s) from seed {}",
            a.dims.dx, a.dims.dy, a.dims.k, a.batch, a.noise, a.replicates, a.seed
        ),
        x_label: "learning rate (log scale)".into(),
        y_label: "dist(G_T, G*) (log scale)".into(),
        log_x: true,
        log_y: true,
        series,
        bar_meaning: "± 2 SE over replicates".into(),
        line_meaning: "joins a method's runs (mean over replicates)".into(),
        x_ticks: if lrs.len() <= 10 { lrs.to_vec() } else { Vec::new() },
    };
    let name = format!("linear_rep_{setting}_lr_sweep.svg");
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

fn write_transfer_bound(
    a: &LinearRepArgs,
    fit: &TransferFit,
    pts: &[(f64, f64)],
) -> Result<String, CliError> {
    let lo = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = pts.iter().map(|p| p.0).fold(0.0, f64::max);
    let line: Vec<(f64, f64)> = (0..120)
        .map(|i| {
            let x = (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / 119.0).exp();
            (x, fit.constant * (x + fit.noise_term))
        })
        .collect();
    let fig = reports::Figure {
        title: "Lemma 3.7: transfer excess loss against dist²".into(),
        caption: format!(
            "every logged iteration of every method without input normalisation · {} points · fitted slope {:.2} (where dist² ≥ 10 d_yσ_ε²k/n_T) · seed {}",
            fit.points, fit.slope, a.seed
        ),
        x_label: "dist(G, G*)² (log scale)".into(),
        y_label: "transfer loss − d_y σ_ε² (log scale)".into(),
        log_x: true,
        log_y: true,
        series: vec![
            reports::Series {
                label: "logged iterations".into(),
                style: reports::Style::nth(0),
                theory: Vec::new(),
                sims: pts
                    .iter()
                    .map(|&(x, y)| reports::SimPoint::exact(x, y))
                    .collect(),
                fit: None,
            },
            reports::Series {
                label: format!("C (dist² + d_yσ_ε²k/n_T), C = {:.2}", fit.constant),
                style: reports::Style::nth(1),
                theory: line,
                sims: Vec::new(),
                fit: None,
            },
        ],
        bar_meaning: "(one run)".into(),
        line_meaning: "bound with the smallest C that holds".into(),
        x_ticks: Vec::new(),
    };
    let name = "transfer_bound.svg".to_string();
    reports::write_svg(&a.out.join(&name), &fig)?;
    Ok(name)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.4e}"))
}

/// Everything a head-to-head run produced.
struct HeadToHeadResults {
    rows: Vec<LinRow>,
    summaries: Vec<RunSummary>,
    figures: Vec<String>,
    infos: Vec<SettingInfo>,
}

/// The runs: every setting × step size × replicate (one figure set per setting and step size,
/// or one learning-rate sweep figure per setting).
fn run_settings(a: &LinearRepArgs, lrs: &[f64]) -> Result<HeadToHeadResults, CliError> {
    let base = config(a, lrs);
    let total = (a.settings.0.len() * lrs.len()) as u64 * a.replicates * base.iters as u64;
    let pb = progress_bar(total, a.quiet, "iterations");
    let mut out = HeadToHeadResults {
        rows: Vec::new(),
        summaries: Vec::new(),
        figures: Vec::new(),
        infos: Vec::new(),
    };
    for &(gaussian, high) in &a.settings.0 {
        let setting = setting_of(gaussian, high, a.kappa_sigma);
        let setting_name = setting.name();
        let info = SettingInfo {
            setting: setting_name.clone(),
            info: HeadToHead {
                setting,
                ..base.clone()
            }
            .instance_info(a.seed)?,
        };
        for &lr in lrs {
            let mut cfg = base.clone();
            cfg.setting = setting;
            cfg.hyper.lr = lr;
            if a.lr_sweep.is_some() {
                cfg.hyper.lr_ngd = lr;
            }
            let mut runs = Vec::new();
            for r in 0..a.replicates {
                let seed = a.seed + r;
                let one = run_head_to_head(&cfg, seed, &|_| pb.inc(1))?;
                out.rows.extend(rows_of(&setting_name, &cfg, &one, seed));
                runs.push(one);
            }
            out.summaries.extend(
                (0..runs[0].len()).map(|i| summary_of(&setting_name, &cfg, &of_method(&runs, i))),
            );
            if a.lr_sweep.is_none() {
                out.figures
                    .extend(write_panels(a, &setting_name, lr, &runs, &info)?);
            }
        }
        if a.lr_sweep.is_some() {
            out.figures
                .push(write_lr_sweep(a, &setting_name, lrs, &out.summaries)?);
        }
        out.infos.push(info);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// The run's configuration as recorded in the JSON.
fn lin_config(a: &LinearRepArgs, lrs: &[f64]) -> LinConfig {
    LinConfig {
        settings: a.settings.to_string(),
        methods: methods_of(a)
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(","),
        dx: a.dims.dx,
        dy: a.dims.dy,
        k: a.dims.k,
        batch: a.batch,
        noise: a.noise,
        iters: iters_of(a),
        log_every: a.log_every,
        lr: lrs.to_vec(),
        lr_ngd: a.lr_ngd,
        ridge: a.ridge,
        damping: a.damping,
        head_spread: a.head_spread,
        kappa_head: a.kappa_head,
        kappa_sigma: a.kappa_sigma,
        n_target: a.n_target,
        batch_whitening: a.batch_whitening,
        seed: a.seed,
        replicates: a.replicates,
    }
}

/// The summaries as table cells (terminal and report).
fn summary_table(summaries: &[RunSummary]) -> Vec<Vec<String>> {
    summaries
        .iter()
        .map(|s| {
            vec![
                s.setting.clone(),
                s.method.to_string(),
                s.lr.to_string(),
                fmt_opt(s.final_train_loss),
                match s.final_dist_se {
                    Some(se) => format!("{:.3e} ± {:.1e}", s.final_dist, se),
                    None => format!("{:.4e}", s.final_dist),
                },
                fmt_opt(s.final_transfer_loss),
                match (s.iters_to_dist_0_1, s.replicates) {
                    (None, _) => "—".into(),
                    (Some(t), 1) => t.to_string(),
                    (Some(t), r) => format!("{t} ({}/{r})", s.reached_0_1),
                },
                match (s.diverged_at, s.replicates) {
                    (None, _) => "—".into(),
                    (Some(t), 1) => t.to_string(),
                    (Some(t), r) => format!("{t} ({}/{r})", s.diverged_runs),
                },
            ]
        })
        .collect()
}

/// report.md's notes: how losses are measured, each instance's condition numbers, Lemma 3.7.
fn head_to_head_notes(
    a: &LinearRepArgs,
    infos: &[SettingInfo],
    fit: Option<&TransferFit>,
) -> Vec<String> {
    let mut notes = vec![format!(
        "Losses are exact expectations over each task's distribution (noise floor d_y σ_ε² = {:.3e}); the transfer head is refit on {} fresh target samples at every logged iteration. Diverged runs are recorded as dist = 1 with empty losses.",
        a.dims.dy as f64 * a.noise * a.noise,
        a.n_target
    )];
    for i in infos {
        notes.push(format!(
            "{}: κ(F_tr) = {:.2}, κ(F_te) = {:.2}, κ(Σ_tr) = {:.1}, κ(Σ_te) = {:.1}.",
            i.setting,
            i.info.kappa_head_train,
            i.info.kappa_head_test,
            i.info.kappa_sigma_train,
            i.info.kappa_sigma_test
        ));
    }
    if let Some(f) = fit {
        notes.push(format!(
            "Lemma 3.7: over {} logged points, transfer excess ≤ C (dist² + d_yσ_ε²k/n_T) holds with C = {:.3}; log-log slope of excess on dist² where dist² ≥ 10 d_yσ_ε²k/n_T: {:.3} (the bound is linear in dist²).",
            f.points, f.constant, f.slope
        ));
    }
    notes
}

/// The summary table on standard output.
fn print_head_to_head(
    a: &LinearRepArgs,
    rows: &[LinRow],
    table_rows: &[Vec<String>],
    fit: Option<&TransferFit>,
) -> Result<(), CliError> {
    results::stdout::print_rows(rows, a.format, || {
        let mut out = results::stdout::fixed_width(
            &[
                "setting",
                "method",
                "lr",
                "train",
                "dist",
                "transfer",
                "t(≤0.1)",
                "diverged",
            ],
            table_rows,
            &[-14, -12, 7, 11, 19, 11, 11, 11],
        );
        if let Some(f) = fit {
            out += &format!(
                "\nLemma 3.7: transfer excess ≤ {:.3} (dist² + d_yσ_ε²k/n_T) at all {} logged points; slope {:.3}.\n",
                f.constant, f.points, f.slope
            );
        }
        out + &format!("Results in {}\n", a.out.display())
    })?;
    Ok(())
}

fn head_to_head(a: &LinearRepArgs) -> Result<Outcome, CliError> {
    validate(a)?;
    // The run writes its figures as it goes: all of it into a staging folder, published whole.
    let (rows, table_rows, fit) =
        engine::publish::<_, CliError>(&a.out, engine::Checkpoint::None, |dir| {
            let staged = LinearRepArgs {
                out: dir.to_path_buf(),
                ..a.clone()
            };
            simulate_and_write(&staged)
        })?;
    print_head_to_head(a, &rows, &table_rows, fit.as_ref())?;
    Ok(Outcome::Agree)
}

/// What the head-to-head prints: its rows, the summary table and the transfer-bound fit.
type HeadToHeadOutput = (Vec<LinRow>, Vec<Vec<String>>, Option<TransferFit>);

/// The head-to-head's simulations and its result set, written into `a.out`.
fn simulate_and_write(a: &LinearRepArgs) -> Result<HeadToHeadOutput, CliError> {
    let lrs: Vec<f64> = match &a.lr_sweep {
        Some(r) => r.values.clone(),
        None => vec![a.lr],
    };
    let HeadToHeadResults {
        rows,
        summaries,
        mut figures,
        infos,
    } = run_settings(a, &lrs)?;
    let fit = if a.lr_sweep.is_none() {
        transfer_fit(
            &rows,
            a.dims.dy as usize,
            a.noise,
            a.dims.k as usize,
            a.n_target as usize,
        )
    } else {
        None
    };
    if let Some((f, pts)) = &fit {
        figures.push(write_transfer_bound(a, f, pts)?);
    }
    let fit = fit.map(|f| f.0);
    let argv = canonical_argv(a);
    let file = LinFile {
        tool: "verify",
        version: env!("CARGO_PKG_VERSION"),
        command: argv.clone(),
        seed: a.seed,
        config: &lin_config(a, &lrs),
        summary: &summaries,
        instances: &infos,
        transfer_fit: fit.as_ref(),
        rows: &rows,
    };
    reports::write_csv(&a.out.join("linear_rep.csv"), &rows)?;
    reports::write_json_as(&a.out.join("linear_rep.json"), &file, rows.len() <= 20_000)?;
    let table_rows = summary_table(&summaries);
    let header = [
        "setting",
        "method",
        "lr",
        "train loss",
        "dist",
        "transfer loss",
        "iters to dist ≤ 0.1 (median)",
        "diverged at (first)",
    ];
    reports::write_markdown(
        &a.out.join("report.md"),
        &reports::RunReport {
            title: "verify linear-rep".into(),
            command: shell_line(&argv),
            verdict: "SIMULATION (no formula judged; see `verify linear-rep contraction`)".into(),
            config: vec![("command".into(), shell_line(&argv))],
            table_header: header.iter().map(|s| s.to_string()).collect(),
            table_rows: table_rows.clone(),
            figures,
            notes: head_to_head_notes(a, &infos, fit.as_ref()),
        },
    )?;
    Ok((rows, table_rows, fit))
}

/// The checkpoint kind of a contraction run.
pub const CONTRACTION_LOG_KIND: &str = "verify linear-rep contraction units";

/// Validated arguments → the contraction model and its grid (κ(Σ) outer, κ(F*) inner).
pub(crate) fn contraction_setup(
    a: &ContractionArgs,
) -> Result<(ContractionModel, Vec<ContractionPoint>), CliError> {
    let methods = a.methods.0.clone();
    if let Some(m) = methods.iter().find(|m| {
        !matches!(
            m,
            Method::Kfac | Method::KfacEtaF1 | Method::Amgd | Method::Dfw
        )
    }) {
        return Err(CliError::Usage(format!(
            "invalid value for --methods: the contraction check runs kfac, kfac-etaf1, amgd and dfw, not {}",
            m.name()
        )));
    }
    if a.dims.k > a.dims.dy || a.dims.k >= a.dims.dx {
        return Err(CliError::Usage(format!(
            "invalid value for --k: need k ≤ --dy and k < --dx, got k = {}, dy = {}, dx = {}",
            a.dims.k, a.dims.dy, a.dims.dx
        )));
    }
    if a.lr > 1.0 {
        return Err(CliError::Usage(format!(
            "invalid value for --lr: the contraction check takes η in (0, 1] (Theorem 3.6's α; beyond 1 KFAC overshoots), got {}",
            a.lr
        )));
    }
    let grid: Vec<ContractionPoint> = a
        .kappa_sigma
        .values
        .iter()
        .flat_map(|&ks| {
            a.kappa_head.values.iter().map(move |&kf| ContractionPoint {
                kappa_head: kf,
                kappa_sigma: ks,
                lr: a.lr,
            })
        })
        .collect();
    let setup = ContractionSetup {
        dx: a.dims.dx as usize,
        dy: a.dims.dy as usize,
        k: a.dims.k as usize,
        delta: a.delta,
        max_iter: a.max_iter as usize,
        floor: 1e-10,
    };
    Ok((ContractionModel { setup, methods }, grid))
}

/// `verify linear-rep contraction`: the Monte Carlo runs checkpointed (resume, shards); the
/// verdict and files come from [`contraction_finish`].
fn contraction(a: &ContractionArgs) -> Result<Outcome, CliError> {
    let (model, grid) = contraction_setup(a)?;
    let header = engine::LogHeader::new(
        CONTRACTION_LOG_KIND,
        contraction_argv(a),
        grid.len(),
        a.trials as usize,
        None,
    );
    let plan = engine::RunPlan::new(&a.out, a.run, a.seed, header);
    let Some(values) = engine::run_or_shard(&model, &grid, &plan, &engine::Progress::new(a.quiet))?
    else {
        return Ok(Outcome::Agree);
    };
    Ok(contraction_finish(
        &contraction_settings(a),
        &model,
        &grid,
        &values,
    )?)
}

/// `verify merge` of contraction shards: the merged units into `--out`, then the results.
pub fn merge_contraction(
    a: &ContractionArgs,
    merged: &engine::Merged,
) -> Result<Outcome, CliError> {
    let (model, grid) = contraction_setup(a)?;
    engine::write_merged_log(&a.out, merged, &model)?;
    Ok(contraction_finish(
        &contraction_settings(a),
        &model,
        &grid,
        &merged.values,
    )?)
}

/// The contraction run's settings as the result set shows them.
fn contraction_settings(a: &ContractionArgs) -> ContractionSettings {
    ContractionSettings {
        kappa_head: a.kappa_head.clone(),
        kappa_sigma: a.kappa_sigma.clone(),
        lr: a.lr,
        methods: a.methods.to_string(),
        dims: results::contraction::Dims {
            dx: a.dims.dx,
            dy: a.dims.dy,
            k: a.dims.k,
        },
        delta: a.delta,
        max_iter: a.max_iter,
        trials: a.trials,
        alpha: a.alpha,
        margin: a.margin,
        seed: a.seed,
        out: a.out.clone(),
        format: a.format,
        command: contraction_argv(a),
    }
}

pub(crate) fn contraction_argv(a: &ContractionArgs) -> Vec<String> {
    let mut v: Vec<String> = vec!["verify".into(), "linear-rep".into(), "contraction".into()];
    for (k, val) in [
        ("--kappa-head", a.kappa_head.text.clone()),
        ("--kappa-sigma", a.kappa_sigma.text.clone()),
        ("--lr", a.lr.to_string()),
        ("--methods", a.methods.to_string()),
        ("--dx", a.dims.dx.to_string()),
        ("--dy", a.dims.dy.to_string()),
        ("--k", a.dims.k.to_string()),
        ("--delta", a.delta.to_string()),
        ("--max-iter", a.max_iter.to_string()),
        ("--trials", a.trials.to_string()),
        ("--alpha", a.alpha.to_string()),
        ("--margin", a.margin.to_string()),
        ("--seed", a.seed.to_string()),
    ] {
        v.push(k.into());
        v.push(val);
    }
    v
}
