//! The catalog's fixed-point entries (cat-fp): each correct formula at its default grid is not
//! called wrong at two seeds, each wrong variant is called DISAGREE, and every fixed-point solver
//! is checked against numbers from independent sources (published values, closed-form limits).
//! Every run is seeded, so each assertion is deterministic.

use catalog::{entry, Variant};
use engine::prelude::*;
use std::path::PathBuf;

fn out(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("catalog-fp-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

/// Run entry `name` at its defaults with `--seed seed`.
fn run(name: &str, variant: Variant, seed: &str) -> RunVerdict {
    run_with(name, variant, seed, "200")
}

/// The wrong variants are judged at 50 trials per point (a quarter of the default, to keep this
/// file's run time down): they are off by far more than the finite-size bracket.
fn run_wrong(name: &str) -> RunVerdict {
    run_with(name, Variant::Wrong, "0", "50")
}

/// Run entry `name` on its default grid with `--seed seed --trials trials`.
fn run_with(name: &str, variant: Variant, seed: &str, trials: &str) -> RunVerdict {
    faer::set_global_parallelism(Par::Seq);
    let dir = out(&format!("{name}-{variant:?}-{seed}"));
    let args = CommonArgs::parse_from([
        "t",
        "--quiet",
        "--format",
        "none",
        "--seed",
        seed,
        "--trials",
        trials,
        "--out",
        dir.to_str().unwrap(),
    ]);
    let e = entry(name).expect("the entry is registered");
    let v = (e.run)(variant, 1.0, &args).expect("the entry runs");
    std::fs::remove_dir_all(dir).ok();
    v
}

// ---------------------------------------------------------------- one-step-spike

/// Ba et al.'s isotropic alignment, written independently in catalog, equals the theory crate's
/// Lemma 3.10 at κ = 1 (Σ = I) over ψ and the noise.
#[test]
fn one_step_ba_equals_lemma_3_10_isotropic() {
    use catalog::one_step::{alignment_ba, tanh_moments};
    use theory::{single_index_limits, Activation, SingleIndexParams, SpectralMeasure};
    let spectrum = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
    let (c1, s2) = tanh_moments();
    for psi in [0.1, 0.5, 1.0, 2.0, 4.0, 20.0] {
        for noise in [0.0, 0.3, 1.0, 3.0] {
            let p = SingleIndexParams {
                spectrum: &spectrum,
                psi,
                teacher: &Activation::Tanh,
                noise,
                lambda: 1.0,
            };
            let lemma = single_index_limits(&p).unwrap().rho_sgd;
            let ba = alignment_ba(c1, s2, psi, noise);
            assert!(
                (lemma - ba).abs() < 1e-10,
                "psi {psi}, noise {noise}: Lemma 3.10 {lemma}, Ba et al. {ba}"
            );
        }
    }
}

/// Measured at seeds 0 and 1: INCONCLUSIVE, never DISAGREE. Every row's simulation sits within
/// |z| ≤ 1.6 of the formula at d = 256, but 200 trials leave the bracket's standard error
/// (0.0007–0.0027 at d, doubled at d/4) too wide to show agreement within 1% except at ψ = 4
/// (reason `noise`, and `finite-size` at ψ = 1, noise 0); the alignment's spread is O(d^-1/2)
/// per trial, so agreement needs about 16× the trials or d.
#[test]
fn one_step_correct_is_not_called_wrong() {
    for seed in ["0", "1"] {
        let v = run("one-step-spike", Variant::Correct, seed);
        assert_ne!(v, RunVerdict::Disagree, "seed {seed}");
        eprintln!("one-step-spike correct seed {seed}: {v:?}");
    }
}

#[test]
fn one_step_wrong_is_called_wrong() {
    assert_eq!(run_wrong("one-step-spike"), RunVerdict::Disagree);
}

// ---------------------------------------------------------------- logistic-mle

/// Candès & Sur 2020: at γ = 0 the MLE exists iff κ < 1/2 (Cover's classical result); h falls
/// with γ; the formula refuses beyond it.
#[test]
fn logistic_boundary_and_refusal() {
    use catalog::logistic::{fixed_point, mle_boundary};
    let h0 = mle_boundary(0.0);
    assert!((h0 - 0.5).abs() < 1e-6, "h(0) = {h0}");
    let (h1, h5) = (mle_boundary(1.0), mle_boundary(5f64.sqrt()));
    assert!(h1 < h0 && h5 < h1, "h(1) = {h1}, h(√5) = {h5}");
    eprintln!("h(1) = {h1}, h(sqrt 5) = {h5}");
    assert!(matches!(
        fixed_point(1.01 * h1, 1.0),
        Err(SimError::Numerical(_))
    ));
}

/// Sur & Candès 2019 (PNAS), the running example (n = 4000, p = 800: κ = 0.2, γ² = 5): α ≈ 1.499
/// (the MLE overestimates the effects by about 50%). (The brief quoted κ = 0.1 for this number;
/// at κ = 0.1 the fixed point gives α = 1.168 and the simulation agrees with 1.168, not 1.499:
/// 1.1766 ± 0.0063 at p = 100.)
#[test]
fn logistic_reproduces_sur_candes_alpha() {
    let fp = catalog::logistic::fixed_point(0.2, 5f64.sqrt()).unwrap();
    eprintln!("kappa 0.2, gamma2 5: {fp:?}");
    assert!((fp.alpha - 1.499).abs() < 0.001, "{fp:?}");
    // The classical limit: κ → 0 gives α → 1 and σ² → 1/E[ρ″(γZ)].
    let small = catalog::logistic::fixed_point(1e-4, 1.0).unwrap();
    assert!((small.alpha - 1.0).abs() < 1e-3, "{small:?}");
}

/// How often is a sample separable at the companion size of the default grid's hardest point
/// (p = 24, n = 120, γ² = 5)? Run with --ignored to measure.
#[test]
#[ignore]
fn logistic_separation_rate_at_the_companion_size() {
    use engine::rng::unit_rng;
    let c = catalog::logistic::LogisticMle {
        variant: Variant::Correct,
    };
    for (kappa, gamma2) in [(0.15, 5.0), (0.2, 3.0), (0.2, 1.0)] {
        let p = Params(vec![
            ("kappa".into(), kappa),
            ("gamma2".into(), gamma2),
            ("d".into(), 24.0),
        ]);
        let fails = (0..20000)
            .filter(|&t| c.try_trial(&p, &mut unit_rng(7, 1, t)).is_err())
            .count();
        eprintln!("kappa {kappa}, gamma2 {gamma2}: separable {fails} of 20000");
    }
}

/// Measured at seeds 0 and 1: INCONCLUSIVE, never DISAGREE. At p = 100 the MLE's finite-size
/// bias is a few percent (σ̂² at κ = 0.15, γ² = 1: 8.81 at p = 100, 9.04 at p = 24, formula
/// 8.41), so the bracket between p and p/4 is wider than the 1% margin (reason `finite-size`);
/// the formula lies inside it on every row (z_beyond ≤ 0.5).
#[test]
fn logistic_correct_is_not_called_wrong() {
    for seed in ["0", "1"] {
        let v = run("logistic-mle", Variant::Correct, seed);
        eprintln!("logistic-mle correct seed {seed}: {v:?}");
        assert_ne!(v, RunVerdict::Disagree, "seed {seed}");
    }
}

#[test]
fn logistic_wrong_is_called_wrong() {
    assert_eq!(run_wrong("logistic-mle"), RunVerdict::Disagree);
}

// ---------------------------------------------------------------- lasso-amp

/// Closed-form limits of the Lasso's state evolution, from outside the formula: λ → ∞ gives
/// β̂ = 0 and MSE = E β² = ε; noise 0 with δ large and λ small recovers β (MSE → 0); a dense
/// Gaussian β (ε = 1) with λ → 0 and δ > 1 is least squares, MSE = σ² δ/(δ − 1) (the mean of
/// tr(AᵀA)⁻¹/N for a Wishart AᵀA); λ ≤ 0 is refused.
#[test]
fn lasso_state_evolution_limits() {
    use catalog::lasso::lasso_mse;
    let c = Variant::Correct;
    let big = lasso_mse(1e4, 0.5, 0.1, 0.2, c).unwrap();
    assert!((big - 0.1).abs() < 1e-6, "lambda -> inf: {big}");
    let clean = lasso_mse(1e-4, 5.0, 0.1, 0.0, c).unwrap();
    assert!(clean < 1e-6, "noise 0, delta 5, lambda 1e-4: {clean}");
    let ols = lasso_mse(1e-7, 2.0, 1.0, 0.5, c).unwrap();
    assert!((ols - 0.5).abs() < 1e-4, "least squares: {ols}");
    assert!(lasso_mse(0.0, 0.5, 0.1, 0.2, c).is_err());
    assert!(lasso_mse(-1.0, 0.5, 0.1, 0.2, c).is_err());
}

/// Measured at seeds 0 and 1: INCONCLUSIVE, never DISAGREE. At N = 200 the per-coordinate MSE's
/// bias and spread at N/4 = 48 make the bracket wider than 1% on every row (reason
/// `finite-size`), e.g. δ = 0.5, ε = 0.1, λ = 0.1, noise 0: 0.00238 at N = 200, 0.00459 at
/// N = 48, formula 0.00196; the formula lies inside the bracket on every row (z_beyond ≤ 1.02).
#[test]
fn lasso_correct_is_not_called_wrong() {
    for seed in ["0", "1"] {
        let v = run("lasso-amp", Variant::Correct, seed);
        eprintln!("lasso-amp correct seed {seed}: {v:?}");
        assert_ne!(v, RunVerdict::Disagree, "seed {seed}");
    }
}

#[test]
fn lasso_wrong_is_called_wrong() {
    // At 200 trials: the wrong variant moves only the δ = 0.5 rows (at δ = 1 the dropped factor
    // is 1), by up to 35–50% at λ = 0.1 with noise; at 50 trials the bracket's standard error
    // (about 0.003 there) left z ≈ 2.4, below Holm's threshold over 24 rows.
    assert_eq!(run("lasso-amp", Variant::Wrong, "0"), RunVerdict::Disagree);
}

// ---------------------------------------------------------------- random-features

/// Limits of the random-features formula from outside it: λ → ∞ gives â = 0 and the test
/// error Var y = 1 + τ²; N → ∞ is kernel ridge with the linearised kernel μ1² xᵀx′/d + μ*²δ,
/// i.e. linear ridge on x with ridge μ*²/(μ1² ψ2), whose risk τ² + λ² m′(−λ) + τ² γ(m − λm′)
/// (Hastie et al. 2022, Thm 2, isotropic) is computed with the theory crate's Marchenko–Pastur
/// solver; λ ≤ 0 is refused.
#[test]
fn random_features_limits() {
    use catalog::random_features::{rf_test_error, tanh_coefficients, RfPoint};
    use theory::{stieltjes_negative, SpectralMeasure};
    let c = Variant::Correct;
    let pt = |psi1: f64, lambda: f64, noise: f64| RfPoint {
        psi1,
        psi2: 1.0,
        lambda,
        noise,
    };
    let big = rf_test_error(pt(2.0, 1e9, 0.5), c).unwrap();
    assert!((big - 1.25).abs() < 1e-6, "lambda -> inf: {big}");
    let (mu1, mus2) = tanh_coefficients();
    let lin = mus2 / (mu1 * mu1);
    let spectrum = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
    let r = stieltjes_negative(&spectrum, 1.0, lin).unwrap();
    for noise in [0.0, 0.5] {
        let t2 = noise * noise;
        let linear = t2 + lin * lin * r.m_prime + t2 * (r.m - lin * r.m_prime);
        let wide = rf_test_error(pt(1e5, 0.1, noise), c).unwrap();
        assert!(
            (wide - linear).abs() < 1e-3 * linear,
            "N -> inf, noise {noise}: {wide} vs linear ridge {linear}"
        );
    }
    assert!(rf_test_error(pt(1.0, 0.0, 0.0), c).is_err());
}

/// Measured at seeds 0 and 1: INCONCLUSIVE, never DISAGREE. The simulated test error sits within
/// |z| ≤ 2.1 of the formula on all 16 rows at n = d = 100, but its bias at d/4 = 24 and the
/// spread of a 400-point test set leave the bracket wider than 1% (reasons `finite-size` and
/// `noise`).
#[test]
fn random_features_correct_is_not_called_wrong() {
    for seed in ["0", "1"] {
        let v = run("random-features", Variant::Correct, seed);
        eprintln!("random-features correct seed {seed}: {v:?}");
        assert_ne!(v, RunVerdict::Disagree, "seed {seed}");
    }
}

#[test]
fn random_features_wrong_is_called_wrong() {
    assert_eq!(run_wrong("random-features"), RunVerdict::Disagree);
}
