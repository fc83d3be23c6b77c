//! The random-matrix entries: marchenko-pastur, wigner, spiked-covariance, ridge.
//!
//! For each entry: (i) the published formula at the default grid and 200 trials is never called
//! wrong, at seeds 0 and 1, and the parts whose finite-size bias is below the 1% margin at the
//! default d are shown to agree outright; (ii) the wrong variant is called wrong (40 trials: it
//! is off by far more than the noise); (iii) the formula against an independent closed form,
//! limit or property (quadrature of the density, a known special case, an identity).
//!
//! Why some parts are inconclusive at the defaults (measured, see the report): the spectral
//! edges carry the Tracy–Widom bias ≈ −1.2 d^-2/3 relative to the edge's scale (1.2–2% at
//! d = 200), larger than the 1% margin at any affordable d; the supercritical BBP rows and the
//! per-fit ridge risk fluctuate by O(d^-1/2) per trial, so 200 trials do not resolve 1%; the
//! min-norm risk next to the interpolation peak (γ = 0.8, 1.5) has an O(1/(d |1 − γ|)) bias of
//! 1–2% at d = 240; the subcritical overlap at θ = 0.3 is ≈ 3.4/d = 0.017 at d = 200, beyond
//! the absolute margin 0.01.

use catalog::{entry, marchenko_pastur as mp, ridge, spiked_covariance as spiked, wigner, Variant};
use engine::prelude::*;
use num_complex::Complex64;
use std::path::PathBuf;

#[test]
fn the_random_matrix_entries_lead_the_catalog_in_order() {
    let names: Vec<&str> = catalog::entries().iter().take(4).map(|e| e.name).collect();
    assert_eq!(
        names,
        ["marchenko-pastur", "wigner", "spiked-covariance", "ridge"]
    );
    for e in &catalog::entries()[..4] {
        assert!(
            !e.formula.is_empty()
                && !e.source.is_empty()
                && !e.measures.is_empty()
                && !e.wrong.is_empty()
        );
    }
}

fn out(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("catalog-rm-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

fn args(dir: &std::path::Path, extra: &[&str]) -> CommonArgs {
    let mut argv = vec![
        "t",
        "--quiet",
        "--format",
        "none",
        "--out",
        dir.to_str().unwrap(),
    ];
    argv.extend(extra);
    CommonArgs::parse_from(argv)
}

/// The wrong variant of `name`, run by the entry itself at 40 trials: DISAGREE.
fn wrong_disagrees(name: &str) {
    faer::set_global_parallelism(Par::Seq);
    let dir = out(&format!("{name}-wrong"));
    let e = entry(name).expect("the entry exists");
    let v = (e.run)(Variant::Wrong, 1.0, &args(&dir, &["--trials", "40"])).expect("runs");
    assert_eq!(
        v,
        RunVerdict::Disagree,
        "{name}, wrong variant: {}",
        e.wrong
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Run every part of an entry with the correct formula at the defaults (seed `seed`); return the
/// verdicts in the parts' order.
fn correct_parts<P: Copy>(
    name: &str,
    parts: &[(P, &str)],
    run: fn(Variant, P, f64, &CommonArgs) -> Result<RunVerdict, engine::HarnessError>,
    seed: &str,
) -> Vec<RunVerdict> {
    faer::set_global_parallelism(Par::Seq);
    let dir = out(&format!("{name}-{seed}"));
    let a = args(&dir, &["--seed", seed]);
    let vs: Vec<RunVerdict> = parts
        .iter()
        .map(|&(p, tag)| {
            let v = run(Variant::Correct, p, 1.0, &a).expect("runs");
            assert_ne!(v, RunVerdict::Disagree, "{name} / {tag}, seed {seed}");
            v
        })
        .collect();
    std::fs::remove_dir_all(dir).ok();
    vs
}

/// ∫ f(x) ρ(x) dx over [a, b] for a density with square-root edges, by the midpoint rule in
/// x = (a + b)/2 − (b − a)/2 cos t (the edges' singularities become smooth).
fn edge_quadrature(
    a: f64,
    b: f64,
    rho: impl Fn(f64) -> f64,
    f: impl Fn(f64) -> Complex64,
) -> Complex64 {
    let k = 20_000;
    let h = std::f64::consts::PI / k as f64;
    (0..k)
        .map(|i| {
            let t = (i as f64 + 0.5) * h;
            let x = 0.5 * (a + b) - 0.5 * (b - a) * t.cos();
            f(x) * rho(x) * 0.5 * (b - a) * t.sin() * h
        })
        .sum()
}

/// The Marchenko–Pastur density of ratio γ (its continuous part), written from Marchenko &
/// Pastur 1967: √((b − x)(x − a)) / (2πγx) on [a, b] = [(1 − √γ)², (1 + √γ)²].
fn mp_density(gamma: f64) -> impl Fn(f64) -> f64 {
    let (a, b) = ((1.0 - gamma.sqrt()).powi(2), (1.0 + gamma.sqrt()).powi(2));
    move |x: f64| ((b - x) * (x - a)).max(0.0).sqrt() / (2.0 * std::f64::consts::PI * gamma * x)
}

/// m(z) by quadrature of the MP law, with the atom 1 − 1/γ at 0 for γ > 1.
fn mp_quadrature(gamma: f64, z: Complex64) -> Complex64 {
    let (a, b) = ((1.0 - gamma.sqrt()).powi(2), (1.0 + gamma.sqrt()).powi(2));
    let atom = if gamma > 1.0 {
        (1.0 - 1.0 / gamma) / (0.0 - z)
    } else {
        Complex64::new(0.0, 0.0)
    };
    edge_quadrature(a, b, mp_density(gamma), |x| 1.0 / (x - z)) + atom
}

#[test]
fn marchenko_pastur_correct_is_never_wrong_and_its_bulk_agrees() {
    for seed in ["0", "1"] {
        let vs = correct_parts(mp::NAME, &mp::PARTS, mp::run_part, seed);
        assert_eq!(vs[0], RunVerdict::Agree, "MP bulk at d = 400, seed {seed}");
    }
}

#[test]
fn marchenko_pastur_wrong_disagrees() {
    wrong_disagrees(mp::NAME);
}

#[test]
fn marchenko_pastur_formula_matches_quadrature_and_limits() {
    for gamma in [0.25, 0.5, 2.0, 4.0] {
        for z in [
            Complex64::new(1.0, 0.5),
            Complex64::new(-2.0, 0.1),
            Complex64::new(5.0, 1.0),
        ] {
            let m = mp::stieltjes(gamma, z).expect("a root with Im > 0");
            assert!(m.im > 0.0);
            let residual = gamma * z * m * m + (z + gamma - 1.0) * m + 1.0;
            assert!(residual.norm() < 1e-12, "γ = {gamma}, z = {z}: {residual}");
            let q = mp_quadrature(gamma, z);
            assert!(
                (m - q).norm() < 1e-6,
                "γ = {gamma}, z = {z}: {m} vs quadrature {q}"
            );
        }
        // m(z) ~ −1/z far away.
        let z = Complex64::new(1e4, 1e4);
        assert!((mp::stieltjes(gamma, z).unwrap() * z + 1.0).norm() < 1e-3);
        // Moments of the law (atom at 0 contributes none): 1 and 1 + γ.
        let (a, b) = mp::edges(gamma);
        let mass = edge_quadrature(a, b, mp_density(gamma), |_| 1.0.into()).re;
        let m1 = edge_quadrature(a, b, mp_density(gamma), |x| x.into()).re;
        let m2 = edge_quadrature(a, b, mp_density(gamma), |x| (x * x).into()).re;
        assert!((mass - if gamma > 1.0 { 1.0 / gamma } else { 1.0 }).abs() < 1e-8);
        assert!(
            (m1 - 1.0).abs() < 1e-8 && (m2 - (1.0 + gamma)).abs() < 1e-8,
            "{m1} {m2}"
        );
        // The edges are where the quadratic's discriminant (z − 1 − γ)² − 4γ vanishes.
        for e in [a, b] {
            assert!(((e - 1.0 - gamma).powi(2) - 4.0 * gamma).abs() < 1e-12);
        }
    }
}

/// The semicircle density √(4 − x²)/(2π) (Wigner 1958).
fn semicircle_quadrature(z: Complex64) -> Complex64 {
    let rho = |x: f64| (4.0 - x * x).max(0.0).sqrt() / (2.0 * std::f64::consts::PI);
    edge_quadrature(-2.0, 2.0, rho, |x| 1.0 / (x - z))
}

#[test]
fn wigner_correct_is_never_wrong_and_its_resolvent_agrees() {
    for seed in ["0", "1"] {
        let vs = correct_parts(wigner::NAME, &wigner::PARTS, wigner::run_part, seed);
        assert_eq!(
            vs[0],
            RunVerdict::Agree,
            "GOE resolvent at d = 400, seed {seed}"
        );
    }
}

#[test]
fn wigner_wrong_disagrees() {
    wrong_disagrees(wigner::NAME);
}

#[test]
fn wigner_formula_matches_quadrature_and_the_wrong_branch_is_wrong_left_of_zero() {
    for (x, y) in [
        (-1.0, 0.5),
        (0.5, 0.5),
        (2.5, 0.5),
        (0.0, 0.05),
        (-3.0, 1.0),
    ] {
        let z = Complex64::new(x, y);
        let g = wigner::stieltjes(z).expect("a root with Im > 0");
        assert!((g * g + z * g + 1.0).norm() < 1e-12);
        let q = semicircle_quadrature(z);
        assert!((g - q).norm() < 1e-5, "z = {z}: {g} vs quadrature {q}");
        let principal = wigner::stieltjes_principal(z);
        if x < 0.0 {
            assert!(
                principal.im < 0.0,
                "z = {z}: the principal branch is the wrong root"
            );
        } else {
            assert!((principal - g).norm() < 1e-12, "z = {z}");
        }
    }
    let z = Complex64::new(3e4, 1e4);
    assert!((wigner::stieltjes(z).unwrap() * z + 1.0).norm() < 1e-3);
}

#[test]
fn spiked_covariance_correct_is_never_wrong() {
    for seed in ["0", "1"] {
        let vs = correct_parts(spiked::NAME, &spiked::PARTS, spiked::run_part, seed);
        // The subcritical edge carries the Tracy–Widom bias (≈ −1.9% at d = 200): never agree.
        assert_eq!(vs[1], RunVerdict::Inconclusive, "seed {seed}");
    }
}

/// The overlap below the transition (limit 0) with many trials: at 1280 trials (seed 0) the
/// bracket built on a 1/d bias once called the correct limit wrong (its mean falls only 3.3×
/// from d = 50 to 200); with the edge's rate 2/3 the limit stays inside the bracket. α = 1%
/// split over the part's two rows: a correct formula fails this seeded run with probability
/// ≤ 1% when the bias falls at least like d^-2/3.
#[test]
fn the_subcritical_overlap_is_not_called_wrong_at_many_trials() {
    faer::set_global_parallelism(Par::Seq);
    let dir = out("spiked-overlap-many");
    let a = args(&dir, &["--trials", "1280", "--seed", "0"]);
    let v = spiked::run_part(Variant::Correct, spiked::Part::SubcriticalOverlap, 1.0, &a).unwrap();
    assert_ne!(v, RunVerdict::Disagree);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn spiked_covariance_wrong_disagrees() {
    wrong_disagrees(spiked::NAME);
}

#[test]
fn spiked_formulas_match_the_mp_inverse_and_their_limits() {
    let gamma = 0.5;
    for theta in [0.8, 1.5, 3.0, 10.0] {
        let (lambda, overlap) = spiked::limits(theta, gamma);
        // The outlier λ sits where the companion Stieltjes transform of the MP law, m̲ = γm −
        // (1 − γ)/z, equals −1/(1 + θ) (Silverstein & Choi 1995's inverse, H = δ₁).
        let z = Complex64::new(lambda, 1e-10);
        let m = mp::stieltjes(gamma, z).unwrap();
        let companion = gamma * m - (1.0 - gamma) / z;
        assert!(
            (-1.0 / companion.re - (1.0 + theta)).abs() < 1e-6,
            "θ = {theta}"
        );
        // ⟨v̂, v⟩² = ℓ λ′(ℓ)/λ(ℓ) in ℓ = 1 + θ (Benaych-Georges & Nadakuditi 2011, §3.1).
        let h = 1e-6;
        let slope =
            (spiked::limits(theta + h, gamma).0 - spiked::limits(theta - h, gamma).0) / (2.0 * h);
        assert!(
            (overlap - (1.0 + theta) * slope / lambda).abs() < 1e-7,
            "θ = {theta}"
        );
    }
    // Continuity at the transition, and a perfect overlap for an infinite spike.
    let s = gamma.sqrt();
    let (below, above) = (
        spiked::limits(s - 1e-9, gamma),
        spiked::limits(s + 1e-9, gamma),
    );
    assert!((below.0 - above.0).abs() < 1e-6 && above.1.abs() < 1e-6);
    assert!((spiked::limits(1e6, gamma).1 - 1.0).abs() < 1e-5);
}

#[test]
fn ridge_correct_is_never_wrong() {
    for seed in ["0", "1"] {
        correct_parts(ridge::NAME, &ridge::PARTS, ridge::run_part, seed);
    }
}

#[test]
fn ridge_wrong_disagrees() {
    wrong_disagrees(ridge::NAME);
}

#[test]
fn ridge_formulas_agree_with_each_other_and_with_known_limits() {
    let (r, sigma) = (1.0, 1.0);
    for gamma in [0.5, 2.0] {
        for lambda in [0.01, 0.1, 1.0, 10.0] {
            // Two derivations: the MP Stieltjes transform (Dobriban & Wager) and the κ fixed point.
            let a = ridge::isotropic_risk(gamma, lambda, r, sigma, true);
            let b = ridge::risk(lambda, gamma, &[1.0], r, sigma, true).unwrap();
            assert!(
                (a - b).abs() < 1e-10,
                "γ = {gamma}, λ = {lambda}: {a} vs {b}"
            );
            // m(−λ) against quadrature of the MP law.
            let (m, _) = ridge::mp_at_minus(gamma, lambda);
            assert!((m - mp_quadrature(gamma, Complex64::new(-lambda, 0.0)).re).abs() < 1e-6);
        }
        // λ → ∞: β̂ → 0, the risk is ‖β‖² = r².
        assert!((ridge::isotropic_risk(gamma, 1e9, r, sigma, true) - r * r).abs() < 1e-6);
        // The optimum λ* = σ²γ/r² (the posterior mean for β ~ N(0, r²/d I)) is a minimum, with
        // the Bayes risk σ²γ m(−λ*) (m by quadrature).
        let star = sigma * sigma * gamma / (r * r);
        let at = |l: f64| ridge::isotropic_risk(gamma, l, r, sigma, true);
        assert!(at(star) < at(star * 1.05) && at(star) < at(star / 1.05));
        let bayes = sigma * sigma * gamma * mp_quadrature(gamma, Complex64::new(-star, 0.0)).re;
        assert!((at(star) - bayes).abs() < 1e-6, "{} vs {bayes}", at(star));
    }
    // γ → 0 (n ≫ d): no variance, the population ridge bias r²λ²/(1 + λ)².
    let l: f64 = 0.5;
    assert!(
        (ridge::isotropic_risk(1e-9, l, r, sigma, true) - l * l / ((1.0 + l) * (1.0 + l))).abs()
            < 1e-6
    );
    // Min-norm, Σ = I (Hastie et al. 2022, Thm 1): σ²γ/(1 − γ) below 1, r²(1 − 1/γ) + σ²/(γ − 1) above.
    for gamma in [0.5, 0.8, 1.5, 3.0] {
        let expected = if gamma < 1.0 {
            sigma * sigma * gamma / (1.0 - gamma)
        } else {
            r * r * (1.0 - 1.0 / gamma) + sigma * sigma / (gamma - 1.0)
        };
        assert!(
            (ridge::risk(0.0, gamma, &[1.0], r, sigma, true).unwrap() - expected).abs() < 1e-10
        );
        assert!((ridge::isotropic_risk(gamma, 1e-9, r, sigma, true) - expected).abs() < 1e-6);
    }
    // Two-level Σ: below 1 the OLS variance σ²γ/(1 − γ) whatever Σ; as γ → ∞ the fit learns
    // nothing, risk → r² (1/d) tr Σ = 1.25; at γ = 1 the fixed point has no solution: refused.
    let s = ridge::TWO_LEVEL;
    assert!((ridge::risk(0.0, 0.5, &s, r, 0.5, true).unwrap() - 0.25 * 0.5 / 0.5).abs() < 1e-12);
    assert!((ridge::risk(0.0, 1e7, &s, r, 0.5, true).unwrap() - 1.25).abs() < 1e-5);
    assert!(ridge::risk(0.0, 1.0, &s, r, 0.5, true).is_err());
    let k = ridge::kappa(0.0, 3.0, &s).unwrap();
    let fixed = 3.0 * s.iter().map(|&v| v / (v + k)).sum::<f64>() / 2.0;
    assert!((fixed - 1.0).abs() < 1e-12, "{fixed}");
}
