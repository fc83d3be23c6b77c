//! `verify phase`: a phase diagram over (κ, ψ) of the KFAC advantage ρ_KFAC − ρ_SGD from theory,
//! with simulation checks (an ordinary single-index sweep) at a coarse sub-grid marked on it.

use crate::cli::{Cli, Command, PhaseArgs};
use crate::error::CliError;
use clap::Parser;
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

pub fn run(a: &PhaseArgs) -> Result<bool, CliError> {
    let (k0, k1) = extent(&a.kappa.values);
    let (p0, p1) = extent(&a.psi.values);
    if k1 <= k0 || p1 <= p0 {
        return Err(CliError::Usage("invalid value for --kappa/--psi: the phase diagram needs two different values of each (its extent), e.g. --kappa 1,30 --psi 0.25,8".into()));
    }
    // The checks are an ordinary single-index sweep: same flags, its own folder and files.
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
        (
            "--level",
            if a.network {
                "network".into()
            } else {
                "direction".into()
            },
        ),
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
    let Command::SingleIndex(args) = cli.command else {
        return Err(CliError::Usage(
            "internal: phase checks must be a single-index run".into(),
        ));
    };
    let (model, _) = crate::single_index::setup(&args)?;
    eprintln!(
        "simulation checks at kappa {} x psi {} -> {}",
        a.check_kappa.text,
        a.check_psi.text,
        checks_out.display()
    );
    let (agree, rows) = crate::single_index::run_quiet_rows(&args)?;

    // Dense theory grid: κ linear, ψ logarithmic.
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
                lambda: args_lambda(&args, &model, kappa, psi, d)?,
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
    reports::write_csv(&a.out.join("phase.csv"), &table)?;
    let mut checks = Vec::new();
    for pair in rows.chunks(2) {
        if let [sgd, kfac] = pair {
            let ok = sgd.pass != Some(false) && kfac.pass != Some(false);
            let text = kfac
                .diff_sim
                .map(|v| format!("{v:+.3}"))
                .unwrap_or_default();
            checks.push((sgd.kappa, sgd.psi, ok, text));
        }
    }
    let fig = reports::HeatmapFigure {
        title: "Phase diagram: the KFAC advantage ρ_KFAC − ρ_SGD (theory)".into(),
        caption: format!(
            "{} spectrum · σ* = {} · σ_ε = {} · λ = {} · checks: {} level, d = {d}, {} trials, seed {}",
            a.spectrum.name(),
            a.activation,
            a.noise,
            a.lambda,
            if a.network { "network" } else { "direction" },
            a.trials,
            a.seed
        ),
        x_label: "κ (anisotropy of Σ)".into(),
        y_label: "ψ = n/d (log scale)".into(),
        log_y: true,
        cells,
        value_label: "ρ_KFAC − ρ_SGD".into(),
        checks,
        y_ticks: Vec::new(),
    };
    reports::write_heatmap_svg(&a.out.join("phase.svg"), &fig)?;
    println!(
        "phase diagram: {res} x {res} theory cells over kappa {k0}..{k1}, psi {p0}..{p1}; simulation checks {} ({} points). Files: phase.svg, phase.csv, checks/ in {}",
        if agree { "AGREE" } else { "DISAGREE" },
        rows.len() / 2,
        a.out.display()
    );
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
    crate::single_index::resolve_lambda(model, args.lambda.first(), kappa, psi, d)
}
