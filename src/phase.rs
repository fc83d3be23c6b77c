//! `verify phase`: a phase diagram over (κ, ψ) of the KFAC advantage ρ_KFAC − ρ_SGD from theory,
//! with simulation checks (an ordinary single-index sweep) at a coarse sub-grid marked on it.

use crate::cli::{Cli, Command, LevelArg, PhaseArgs, SingleIndexArgs};
use crate::error::CliError;
use crate::single_index::Row;
use clap::Parser;
use engine::Outcome;
use serde::Serialize;
use sims::SingleIndexPoint;

#[derive(Serialize)]
struct Cell {
    kappa: f64,
    psi: f64,
    rho_sgd: f64,
    rho_kfac: f64,
    advantage: f64,
}

fn extent(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

/// The level the checks run at (`--network` is the old spelling of `--level network`).
fn level_name(a: &PhaseArgs) -> &'static str {
    if a.network || a.level == LevelArg::Network {
        "network"
    } else {
        "direction"
    }
}

/// The checks as an ordinary single-index sweep: same flags, its own folder and files.
fn check_args(a: &PhaseArgs) -> Result<SingleIndexArgs, CliError> {
    let checks_out = a.out.join("checks");
    let mut argv: Vec<String> = ["verify", "single-index"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (k, v) in [
        ("--kappa", a.check_kappa.text.clone()),
        ("--psi", a.check_psi.text.clone()),
        ("--spectrum", a.spectrum.name()),
        ("--activation", a.activation.to_string()),
        ("--student", a.student.to_string()),
        ("--noise", a.noise.to_string()),
        ("--lambda", a.lambda.to_string()),
        ("--d", a.d.to_string()),
        ("--trials", a.trials.to_string()),
        ("--level", level_name(a).into()),
        ("--seed", a.seed.to_string()),
        ("--alpha", a.alpha.to_string()),
        ("--out", checks_out.display().to_string()),
    ] {
        argv.push(k.into());
        argv.push(v);
    }
    if a.no_normalize {
        argv.push("--no-normalize".into());
    }
    if a.quiet {
        argv.push("--quiet".into());
    }
    let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::Usage(e.to_string()))?;
    match cli.command {
        Command::SingleIndex(args) => Ok(args),
        _ => Err(CliError::Usage(
            "internal: phase checks must be a single-index run".into(),
        )),
    }
}

/// The theory grid (κ linear, ψ logarithmic, `res` cells a side): heatmap cells and CSV rows.
#[allow(clippy::type_complexity)]
fn theory_grid(
    a: &PhaseArgs,
    args: &SingleIndexArgs,
    model: &sims::SingleIndexModel,
    (k0, k1, p0, p1): (f64, f64, f64, f64),
) -> Result<(Vec<(f64, f64, f64, f64, f64)>, Vec<Cell>), CliError> {
    let res = a.resolution as usize;
    let kedge = |i: usize| k0 + (k1 - k0) * i as f64 / res as f64;
    let pedge = |j: usize| (p0.ln() + (p1.ln() - p0.ln()) * j as f64 / res as f64).exp();
    let d = a.d as usize;
    let mut centres = Vec::with_capacity(res * res);
    for j in 0..res {
        for i in 0..res {
            let (kappa, psi) = (
                0.5 * (kedge(i) + kedge(i + 1)),
                (pedge(j) * pedge(j + 1)).sqrt(),
            );
            centres.push(SingleIndexPoint {
                kappa,
                psi,
                lambda: args_lambda(args, model, kappa, psi, d)?,
                d,
                width: d + d % 2,
            });
        }
    }
    let limits = model.limits_many(&centres);
    let mut cells = Vec::new();
    let mut table = Vec::new();
    for (idx, (p, l)) in centres.iter().zip(limits).enumerate() {
        let Ok(l) = l else { continue };
        let (i, j) = (idx % res, idx / res);
        let adv = l.rho_kfac - l.rho_sgd;
        cells.push((kedge(i), kedge(i + 1), pedge(j), pedge(j + 1), adv));
        table.push(Cell {
            kappa: p.kappa,
            psi: p.psi,
            rho_sgd: l.rho_sgd,
            rho_kfac: l.rho_kfac,
            advantage: adv,
        });
    }
    Ok((cells, table))
}

/// The check points to mark: (κ, ψ, both rows agree, the simulated paired difference).
/// One check per (κ, ψ): disagree if either row disagrees, else inconclusive if either is, else
/// agree (and the simulated KFAC advantage as its label).
fn check_marks(rows: &[Row]) -> Vec<(f64, f64, reports::Mark, String)> {
    let worst = |a: &Row, b: &Row| {
        let (x, y) = (a.verdict, b.verdict);
        if x == Some(engine::Outcome::Disagree) || y == Some(engine::Outcome::Disagree) {
            reports::Mark::Disagree
        } else if x == Some(engine::Outcome::Inconclusive)
            || y == Some(engine::Outcome::Inconclusive)
        {
            reports::Mark::Inconclusive
        } else {
            reports::Mark::Agree
        }
    };
    rows.chunks(2)
        .filter_map(|pair| match pair {
            [sgd, kfac] => Some((
                sgd.kappa,
                sgd.psi,
                worst(sgd, kfac),
                kfac.diff_sim
                    .map(|v| format!("{v:+.3}"))
                    .unwrap_or_default(),
            )),
            _ => None,
        })
        .collect()
}

/// ψ ticks: 1, 2, 5 × 10^k inside the extent, and the extent's own ends (unless a tick sits
/// within 15% of one).
fn psi_ticks(p0: f64, p1: f64) -> Vec<f64> {
    let mut ticks = reports::figure::log_ticks(&(p0..p1));
    for end in [p0, p1] {
        if ticks
            .iter()
            .all(|t| (t / end).ln().abs() > 0.15_f64.ln_1p())
        {
            ticks.push(end);
        }
    }
    ticks.sort_by(f64::total_cmp);
    ticks
}

pub fn run(a: &PhaseArgs) -> Result<Outcome, CliError> {
    let (k0, k1) = extent(&a.kappa.values);
    let (p0, p1) = extent(&a.psi.values);
    if k1 <= k0 || p1 <= p0 {
        return Err(CliError::Usage("invalid value for --kappa/--psi: the phase diagram needs two different values of each (its extent), e.g. --kappa 1,30 --psi 0.25,8".into()));
    }
    let args = check_args(a)?;
    let (model, _) = crate::single_index::setup(&args)?;
    if !a.quiet {
        eprintln!(
            "simulation checks at kappa {} x psi {} -> {}",
            a.check_kappa.text,
            a.check_psi.text,
            args.out.display()
        );
    }
    let (agree, rows) = crate::single_index::run_quiet_rows(&args)?;
    let (cells, table) = theory_grid(a, &args, &model, (k0, k1, p0, p1))?;
    engine::publish::<_, CliError>(&a.out, engine::Checkpoint::None, |dir| {
        reports::write_csv(&dir.join("phase.csv"), &table)?;
        let fig = reports::HeatmapFigure {
            title: "Phase diagram: the KFAC advantage ρ_KFAC − ρ_SGD (theory)".into(),
            caption: format!(
                "{} spectrum · σ* = {} · σ_ε = {} · λ = {} · checks: {} level, d = {}, {} trials, seed {}",
                a.spectrum.caption_name(),
                a.activation,
                a.noise,
                a.lambda,
                level_name(a),
                a.d,
                a.trials,
                a.seed
            ),
            x_label: "κ (anisotropy of Σ)".into(),
            y_label: "ψ = n/d (log scale)".into(),
            check_label: "simulated ρ_KFAC − ρ_SGD".into(),
            log_y: true,
            cells,
            value_label: "ρ_KFAC − ρ_SGD".into(),
            checks: check_marks(&rows),
            y_ticks: psi_ticks(p0, p1),
        };
        reports::write_heatmap_svg(&dir.join("phase.svg"), &fig)?;
        Ok(())
    })?;
    let res = a.resolution;
    results::stdout::print_rows(&table, a.format, || {
        format!(
            "phase diagram: {res} x {res} theory cells over kappa {k0}..{k1}, psi {p0}..{p1}; simulation checks {} ({} points). Files: phase.svg, phase.csv, checks/ in {}\n",
            agree.as_str().to_uppercase(),
            rows.len() / 2,
            a.out.display()
        )
    })?;
    Ok(agree)
}

/// The ridge at a point (resolving `--lambda opt` like the single-index sweep does).
fn args_lambda(
    args: &crate::cli::SingleIndexArgs,
    model: &sims::SingleIndexModel,
    kappa: f64,
    psi: f64,
    d: usize,
) -> Result<f64, CliError> {
    Ok(model.ridge(args.lambda.first(), kappa, psi, d)?)
}
