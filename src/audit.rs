//! `verify audit`: the single-index formulas at random configurations over their whole parameter
//! space (sims::SingleIndexSpace), simulated and judged together by the engine
//! (engine::run_audit); `--wrong` swaps in a deliberately wrong formula to show it is caught.

use crate::cli::{AuditArgs, WrongFormula};
use crate::error::CliError;
use engine::prelude::RngExt;
use engine::{AuditPlan, AuditRow, HarnessError};
use engine::{Model, Outcome, SimError};
use sims::{OneStep, SingleIndexModel, SingleIndexPoint};
use theory::{RidgeMoments, SpectralMeasure};

/// The random spectrum file drawn as one of the families: 50 eigenvalues, log-uniform in
/// [0.2, 5], from the audit's seed.
fn spectrum_text(seed: u64) -> String {
    let mut rng = engine::unit_rng(seed, engine::rng::stable_key("audit spectrum"), 0);
    (0..50)
        .map(|_| {
            format!(
                "{:.6}\n",
                (0.2f64.ln() + rng.random::<f64>() * 25f64.ln()).exp()
            )
        })
        .collect()
}

/// The formula values of a drawn configuration, with `wrong` (if any) replacing its method's.
fn formulas(
    m: &SingleIndexModel,
    p: &SingleIndexPoint,
    wrong: Option<WrongFormula>,
) -> Result<Vec<Option<f64>>, SimError> {
    let mut values = m.theory(p)?;
    let Some(wrong) = wrong else {
        return Ok(values);
    };
    let h = m.spectrum(p).measure().map_err(sims::theory_error)?;
    let mo = m.teacher.moments(h.tau1()).map_err(sims::theory_error)?;
    let gamma = 1.0 / p.psi;
    let (c1sq, noise_sq) = (mo.c1 * mo.c1, m.noise * m.noise);
    let (method, value) = match wrong {
        WrongFormula::SgdNoGamma => (
            OneStep::Sgd,
            mo.c1.abs() * mo.tau1 / (c1sq * h.tau2()).sqrt(),
        ),
        WrongFormula::KfacIsotropicM => {
            let identity = SpectralMeasure::new([(1.0, 1.0)]).map_err(sims::theory_error)?;
            let r = theory::stieltjes_negative(&identity, gamma, p.lambda)
                .map_err(sims::theory_error)?;
            let value = theory::rho_kfac(&mo, gamma, m.noise, &RidgeMoments::of(&r))
                .map_err(sims::theory_error)?;
            (OneStep::Kfac, value)
        }
        WrongFormula::BnUncentred => {
            let tau_inv = h.integrate(|t| 1.0 / t);
            let r2_uncentred = mo.s2 - c1sq * mo.tau1 + noise_sq;
            let den = c1sq * (1.0 + gamma * mo.tau1 * tau_inv) + gamma * r2_uncentred * tau_inv;
            (OneStep::BatchNorm, mo.c1.abs() / den.sqrt())
        }
    };
    if let Some(k) = m.methods.iter().position(|&x| x == method) {
        values[k] = Some(value);
    }
    Ok(values)
}

/// The table printed to standard output.
fn table(rows: &[AuditRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.config.to_string(),
                r.quantity.to_string(),
                r.trials.to_string(),
                format!("{:.6}", r.theory),
                format!("{:.6}", r.sim),
                format!("{:.6}", r.sim_se),
                engine::verdict_cell(Some(r.verdict)).to_string(),
            ]
        })
        .collect();
    results::stdout::fixed_width(
        &[
            "config",
            "method",
            "trials",
            "theory",
            "ρ∞ (fit)",
            "± se",
            "verdict",
        ],
        &body,
        &[6, -11, 6, 10, 10, 10, -12],
    )
}

pub fn run(a: &AuditArgs) -> Result<Outcome, CliError> {
    let spectrum = a.out.join("audit_spectrum.txt");
    let text = spectrum_text(a.seed);
    reports::write_atomic(&spectrum, text.as_bytes())?;
    let path = spectrum.canonicalize().map_err(|source| {
        CliError::Report(reports::ReportError::Io {
            path: spectrum.clone(),
            source,
        })
    })?;
    // The family is parsed from the bytes written (no second read of the file).
    let space = sims::SingleIndexSpace {
        alignment: a.alignment.model(),
        spectrum_file: Some(theory::SpectrumFamily::from_bytes(&path, text.as_bytes())?),
    };
    let plan = AuditPlan {
        configs: a.configs as usize,
        seed: a.seed,
        d: a.d as usize,
        trials: a.trials as usize,
        max_trials: a.max_trials.max(a.trials) as usize,
        margin: a.margin,
        alpha: a.alpha,
    };
    let quiet = a.quiet;
    let progress = |n: usize, undecided: usize| {
        if !quiet {
            eprintln!("audit: {undecided} configuration(s) simulated to {n} trials per dimension");
        }
    };
    let wrong = a.wrong;
    let rows = engine::run_audit(&space, &plan, &|m, p| formulas(m, p, wrong), &progress)?;
    let outcome = Outcome::of_run(rows.iter().map(|r| r.verdict));
    engine::publish::<_, HarnessError>(&a.out, engine::Checkpoint::None, |dir| {
        reports::write_csv(&dir.join("audit.csv"), &rows)?;
        reports::write_markdown(&dir.join("report.md"), &report(a, &rows, outcome))?;
        Ok(())
    })?;
    let dims = engine::audit::audit_dims(a.d as usize);
    results::stdout::print_rows(&rows, a.format, || {
        let count = |o: Outcome| rows.iter().filter(|r| r.verdict == o).count();
        let mut configs: Vec<String> = Vec::new();
        for r in &rows {
            let line = format!("config {}: {}", r.config, r.description);
            if configs.last() != Some(&line) {
                configs.push(line);
            }
        }
        format!(
            "{}\n{}\n\naudit: {} ({} rows: {} agree, {} disagree, {} inconclusive; {} configurations, each at d = {}, {}, {} extrapolated to d → ∞, {}–{} trials, level {}, margin {}{}). Results in {}\n",
            configs.join("\n"),
            table(&rows),
            outcome.as_str().to_uppercase(),
            rows.len(),
            count(Outcome::Agree),
            count(Outcome::Disagree),
            count(Outcome::Inconclusive),
            a.configs,
            dims[0],
            dims[1],
            dims[2],
            rows.iter().map(|r| r.trials).min().unwrap_or(0),
            rows.iter().map(|r| r.trials).max().unwrap_or(0),
            a.alpha,
            a.margin,
            a.wrong.map_or(String::new(), |w| format!("; wrong formula {w:?}")),
            a.out.display()
        )
    })?;
    Ok(outcome)
}

/// report.md of an audit.
fn report(a: &AuditArgs, rows: &[AuditRow], outcome: Outcome) -> reports::RunReport {
    reports::RunReport {
        title: "verify audit".into(),
        command: format!(
            "verify audit --configs {} --seed {} --d {} --trials {} --max-trials {} --alpha {} --margin {}{}",
            a.configs,
            a.seed,
            a.d,
            a.trials,
            a.max_trials,
            a.alpha,
            a.margin,
            a.wrong.map_or(String::new(), |w| format!(" --wrong {w:?}")),
        ) + if a.alignment == crate::cli::AlignmentArg::Sigma {
            " --alignment sigma"
        } else {
            ""
        },
        verdict: outcome.as_str().to_uppercase(),
        config: vec![
            ("configurations".into(), a.configs.to_string()),
            ("d".into(), a.d.to_string()),
            ("trials".into(), a.trials.to_string()),
            ("seed".into(), a.seed.to_string()),
        ],
        table_header: ["config", "configuration", "method", "trials", "theory", "ρ∞ (fit)", "± se", "verdict"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        table_rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.config.to_string(),
                    r.description.clone(),
                    r.quantity.to_string(),
                    r.trials.to_string(),
                    format!("{:.6}", r.theory),
                    format!("{:.6}", r.sim),
                    format!("{:.6}", r.sim_se),
                    r.verdict.as_str().into(),
                ]
            })
            .collect(),
        figures: Vec::new(),
        notes: vec![engine::VERDICT_NOTE.into()],
    }
}
