//! Every one-step formula against simulation with teachers that have a non-zero mean (relu,
//! softplus, a Hermite series with c0 ≠ 0) and with odd ones (tanh, erf), on two spectra and ψ on
//! both sides of 1. The batch-norm formula was once right only for zero-mean teachers: it kept
//! the label's mean c0 in the residual although centring the batch removes it.
//!
//! Design: all judged rows of one test go into one `assess` call, so Bonferroni holds the
//! family-wise false-failure probability of a correct set of formulas at α = 1% per test; the
//! finite-size allowance is the model's own. The wrong (uncentred) batch-norm formula differs from
//! the right one by 0.03–0.2 in ρ at these points, many standard errors at 40 trials.

use engine::{assess, simulate, Model, PointSims};
use sims::{Level, OneStep, SingleIndexModel, SingleIndexPoint};
use theory::{Activation, SpectrumFamily};

fn teachers() -> Vec<Activation> {
    vec![
        Activation::Relu,
        Activation::Softplus,
        Activation::Hermite(vec![0.5, 1.0, 0.3]),
        Activation::Tanh,
        Activation::Erf,
    ]
}

fn model(teacher: Activation, family: SpectrumFamily, level: Level, psi: f64) -> SingleIndexModel {
    use OneStep::*;
    let mut methods = vec![Sgd, Kfac, SqrtKfac, BatchNorm];
    if psi > 1.0 {
        methods.push(Whiten); // XᵀX/n is singular at ψ ≤ 1
    }
    if level == Level::Direction {
        methods.push(Adam); // Adam has a formula at the direction level only
    }
    SingleIndexModel {
        family,
        normalize: true,
        teacher,
        student: Activation::Tanh,
        noise: 0.1,
        level,
        allowance_scale: 1.0,
        alignment: sims::Alignment::Euclidean,
        methods,
    }
}

fn point(kappa: f64, psi: f64, d: usize) -> SingleIndexPoint {
    SingleIndexPoint {
        kappa,
        psi,
        lambda: 0.1,
        d,
        width: d,
    }
}

/// One simulated configuration: its model, point, theory and simulation.
struct Case {
    model: SingleIndexModel,
    point: SingleIndexPoint,
    theory: Vec<Option<f64>>,
    sims: PointSims,
}

fn run_cases(
    level: Level,
    d: usize,
    trials: usize,
    configs: &[(f64, f64, SpectrumFamily)],
) -> Vec<Case> {
    let mut cases = Vec::new();
    for (seed, teacher) in teachers().into_iter().enumerate() {
        for &(kappa, psi, ref family) in configs {
            let model = model(teacher.clone(), family.clone(), level, psi);
            let p = point(kappa, psi, d);
            let sims = simulate(&model, &[p], trials, seed as u64, &|| {}).unwrap();
            cases.push(Case {
                theory: model.theory(&p).unwrap(),
                sims: sims.into_iter().next().unwrap(),
                model,
                point: p,
            });
        }
    }
    cases
}

/// Judges every case's rows together (one Holm family); returns the rows that disagree.
fn failures(cases: &[Case]) -> Vec<String> {
    let theory: Vec<_> = cases.iter().map(|c| c.theory.clone()).collect();
    let sims: Vec<_> = cases.iter().map(|c| c.sims.clone()).collect();
    let allowances: Vec<_> = cases.iter().map(|c| c.model.allowance(&c.point)).collect();
    let verdicts = assess(&theory, &sims, &allowances, engine::Margin::DEFAULT, 0.01);
    let mut out = Vec::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        for (k, v) in v.iter().enumerate() {
            let v = v.expect("every method here has a formula");
            if v.outcome == engine::Outcome::Disagree {
                out.push(format!(
                    "{} {:?} κ={} ψ={} {}: theory {:?} sim {:.4} ± {:.4} (z {:?})",
                    c.model.teacher,
                    c.model.family,
                    c.point.kappa,
                    c.point.psi,
                    c.model.methods[k].name(),
                    c.theory[k],
                    c.sims.summaries[k].mean,
                    c.sims.summaries[k].se,
                    v.z
                ));
            }
        }
    }
    out
}

fn direction_configs() -> Vec<(f64, f64, SpectrumFamily)> {
    vec![
        (10.0, 3.0, SpectrumFamily::TwoPoint { p: 0.5 }),
        (10.0, 0.5, SpectrumFamily::TwoPoint { p: 0.5 }),
        (5.0, 3.0, SpectrumFamily::Geometric),
        (5.0, 0.5, SpectrumFamily::Geometric),
    ]
}

/// Simulates every teacher at `configs` and asserts that no row disagrees.
fn assert_all_agree(level: Level, trials: usize, configs: &[(f64, f64, SpectrumFamily)]) {
    faer::set_global_parallelism(faer::Par::Seq);
    let cases = run_cases(level, 300, trials, configs);
    let bad = failures(&cases);
    assert!(
        bad.is_empty(),
        "{} rows disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn every_formula_holds_for_teachers_with_and_without_a_mean_direction_level() {
    assert_all_agree(Level::Direction, 40, &direction_configs());
}

#[test]
fn every_formula_holds_for_teachers_with_and_without_a_mean_network_level() {
    let configs = [
        (10.0, 3.0, SpectrumFamily::TwoPoint { p: 0.5 }),
        (5.0, 0.5, SpectrumFamily::Geometric),
    ];
    assert_all_agree(Level::Network, 20, &configs);
}

/// The uncentred batch-norm formula (E[r²] with the label's mean kept) is rejected wherever the
/// teacher has a mean, and coincides with the right one for odd teachers (c0 = 0).
#[test]
fn the_uncentred_batch_norm_formula_is_rejected() {
    faer::set_global_parallelism(faer::Par::Seq);
    let trials = 40;
    let mut cases = run_cases(Level::Direction, 300, trials, &direction_configs()[..1]);
    let bn = cases[0]
        .model
        .methods
        .iter()
        .position(|&m| m == OneStep::BatchNorm)
        .unwrap();
    let mut changed = 0;
    for c in &mut cases {
        let h = c.model.spectrum(&c.point).measure().unwrap();
        let mo = c.model.teacher.moments(h.tau1()).unwrap();
        let gamma = 1.0 / c.point.psi;
        let tau_inv = h.integrate(|t| 1.0 / t);
        // E[r²] = s2 − c1²τ1 + σ² written out, with the mean c0 left in.
        let r2_uncentred = mo.s2 - mo.c1 * mo.c1 * mo.tau1 + 0.01;
        let old = mo.c1.abs()
            / (mo.c1 * mo.c1 * (1.0 + gamma * mo.tau1 * tau_inv) + gamma * r2_uncentred * tau_inv)
                .sqrt();
        let right = c.theory[bn].unwrap();
        if mo.c0.abs() > 0.1 {
            assert!(
                (old - right).abs() > 0.02,
                "{}: {old} vs {right}",
                c.model.teacher
            );
            changed += 1;
        } else {
            assert!(
                (old - right).abs() < 1e-9,
                "{}: {old} vs {right}",
                c.model.teacher
            );
        }
        c.theory[bn] = Some(old);
    }
    assert_eq!(
        changed, 3,
        "relu, softplus and the Hermite teacher have a mean"
    );
    let bad = failures(&cases);
    assert_eq!(
        bad.len(),
        3,
        "exactly the three teachers with a mean fail:\n{}",
        bad.join("\n")
    );
    assert!(bad.iter().all(|b| b.contains("batch-norm")), "{bad:?}");
}
