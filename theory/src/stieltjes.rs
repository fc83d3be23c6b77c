//! Silverstein's equation for the limiting spectrum of S = XᵀX/n (docs/single-index-model.md, "Silverstein's equation",
//! Appendix E.8), on the negative real axis (the ridge quantities of Lemma 3.12) and in the upper
//! half plane (the limiting eigenvalue density).
//!
//! Everything is solved in the companion variable v (the Stieltjes transform of XXᵀ/n), whose
//! equation has a unique root and no spurious branch; m, m' and Lemma 3.12's combinations are
//! then recovered as ratios of positive H-integrals at v, which avoid both the 1/γ cancellation
//! of the spec's m = (v − (1−γ)/λ)/γ and the large-λ cancellation of 1 − 2λm + λ²m':
//!   m(−λ) = E/λ,   v' = v/(λ + γB),   m'(−λ) = (λE2 + γEB)/(λ²(λ + γB)),
//!   1 − λm = vA,   1 − 2λm + λ²m' = v(λvB2 + γAB)/(λ + γB),   m − λm' = vB/(λ + γB),
//! with A = ∫ t/(1+tv), B = ∫ t/(1+tv)², B2 = ∫ t²/(1+tv)², E = ∫ 1/(1+tv), E2 = ∫ 1/(1+tv)²
//! (dH); they follow from differentiating the companion equation and λv = 1 − γvA.

use crate::error::{finite, Result, TheoryError};
use crate::spectrum::SpectralMeasure;
use num_complex::Complex64;
use roots::{find_root_brent, Convergency};

/// m(−λ), m'(−λ) and the companion v(−λ), v'(−λ) for one (H, γ, λ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolvent {
    /// γ = d/n.
    pub gamma: f64,
    /// The ridge λ (z = −λ).
    pub lambda: f64,
    /// Companion transform v = γ m + (1 − γ)/λ ∈ (0, 1/λ).
    pub v: f64,
    /// v' = dv/dz at −λ.
    pub v_prime: f64,
    /// m(−λ) = lim (1/d) tr (S + λI)⁻¹.
    pub m: f64,
    /// m'(−λ) = lim (1/d) tr (S + λI)⁻².
    pub m_prime: f64,
    /// 1 − λ m(−λ) = E_μ[x/(x+λ)], computed without cancellation as ∫ t v/(1 + t v) dH.
    pub one_minus_lambda_m: f64,
    /// 1 − 2λm + λ²m' = E_μ[x²/(x+λ)²] (Lemma 3.12's signal term), cancellation-free.
    pub signal_sq: f64,
    /// m − λm' = E_μ[x/(x+λ)²] (Lemma 3.12's noise term), cancellation-free.
    pub noise_gain: f64,
    /// τ1 − λ(1 − λm) = E_μ[x²/(x+λ)] (the square-root KFAC bias term), cancellation-free.
    pub ridge_bias: f64,
}

/// Relative-tolerance convergence for Brent (the `roots` defaults are absolute; see shared notes).
struct RelTol {
    max_iter: usize,
}

impl Convergency<f64> for RelTol {
    fn is_root_found(&mut self, y: f64) -> bool {
        y == 0.0
    }
    fn is_converged(&mut self, x1: f64, x2: f64) -> bool {
        (x1 - x2).abs() <= 4.0 * f64::EPSILON * x1.abs().max(x2.abs()) + f64::MIN_POSITIVE
    }
    fn is_iteration_limit_reached(&mut self, iter: usize) -> bool {
        iter >= self.max_iter
    }
}

fn check_gamma(gamma: f64) -> Result<f64> {
    finite("psi", gamma)?;
    if gamma <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "psi",
            reason: "must be > 0".into(),
        });
    }
    Ok(gamma)
}

/// (A, B) = (∫ t/(1+tv) dH, ∫ t/(1+tv)² dH), in one pass.
fn a_and_b(h: &SpectralMeasure, v: f64) -> (f64, f64) {
    let [a, b] = h.integrate_many(|t| {
        let r = 1.0 / (1.0 + t * v);
        [t * r, t * r * r]
    });
    (a, b)
}

/// Newton's method from v = 0 on h(v) = v(λ + γA(v)) − 1, whose derivative is λ + γB(v) (A − vB2
/// = B): h is increasing and concave, so every Newton iterate from the left stays at or below
/// the root and increases — convergence is monotone, quadratic near the root, and ends when a
/// step no longer moves v beyond rounding. None if it has not ended in 200 steps.
fn companion_newton(h: &SpectralMeasure, gamma: f64, lambda: f64) -> Option<f64> {
    let hi = 1.0 / lambda;
    let mut v = 0.0_f64;
    for _ in 0..200 {
        let (a, b) = a_and_b(h, v);
        let next = v - (v * (lambda + gamma * a) - 1.0) / (lambda + gamma * b);
        if !next.is_finite() {
            return None;
        }
        if next <= v * (1.0 + 2.0 * f64::EPSILON) {
            return Some(v);
        }
        v = next.min(hi);
    }
    None
}

/// Solve the companion equation 1/v = λ + γ ∫ t/(1 + t v) dH at λ > 0 (Silverstein, Appendix E.8).
///
/// h(v) = v (λ + γ ∫ t/(1+tv) dH) − 1 is strictly increasing and concave on [0, 1/λ] with
/// h(0) = −1 < 0 ≤ h(1/λ): monotone Newton from 0 finds the unique root (about eight passes over
/// the atoms); Brent on the bracket is the fallback.
pub fn stieltjes_negative(h: &SpectralMeasure, gamma: f64, lambda: f64) -> Result<Resolvent> {
    check_gamma(gamma)?;
    finite("lambda", lambda)?;
    if lambda <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "lambda",
            reason: format!("the ridge resolvent needs lambda > 0, got {lambda}"),
        });
    }
    let g = |v: f64| v * (lambda + gamma * a_and_b(h, v).0) - 1.0;
    let hi = 1.0 / lambda;
    let v = match companion_newton(h, gamma, lambda) {
        Some(v) => v,
        None => find_root_brent(0.0, hi, g, &mut RelTol { max_iter: 400 }).map_err(|e| {
            TheoryError::NoConvergence {
                what: "Silverstein companion equation (Brent)",
                reason: format!("{e:?} at lambda = {lambda:e}, gamma = {gamma}"),
            }
        })?,
    };
    // Every quantity below is a ratio of sums of positive H-integrals at v, so none loses digits
    // to cancellation, even at λ = 1e100 (the naive 1 − 2λm + λ²m' loses all of them by 1e8).
    // With A = ∫t/(1+tv), B = ∫t/(1+tv)², B2 = ∫t²/(1+tv)², C2 = ∫t²/(1+tv), E = ∫1/(1+tv),
    // E2 = ∫1/(1+tv)² (dH) and the companion identity λv = 1 − γvA:
    let [e, e2, a, b, b2, c2] = h.integrate_many(|t| {
        let r = 1.0 / (1.0 + t * v);
        [r, r * r, t * r, t * r * r, t * t * r * r, t * t * r]
    });
    let slope = lambda + gamma * b;
    let m = e / lambda;
    let v_prime = v / slope;
    // m' = −dm/dλ = (λE2 + γEB) / (λ²(λ + γB)).
    let m_prime = (lambda * e2 + gamma * e * b) / slope / lambda / lambda;
    let one_minus_lambda_m = v * a;
    let signal_sq = v * (lambda * v * b2 + gamma * a * b) / slope;
    let noise_gain = b * v / slope;
    let ridge_bias = v * c2 + gamma * v * a * a;
    let out = Resolvent {
        gamma,
        lambda,
        v,
        v_prime,
        m,
        m_prime,
        one_minus_lambda_m,
        signal_sq,
        noise_gain,
        ridge_bias,
    };
    if [v, v_prime, m, m_prime, signal_sq, noise_gain, ridge_bias]
        .iter()
        .all(|x| x.is_finite() && *x > 0.0)
    {
        Ok(out)
    } else {
        Err(TheoryError::NoConvergence {
            what: "Silverstein companion equation",
            reason: format!("non-finite or non-positive result {out:?}"),
        })
    }
}

/// m(0) = ∫ t⁻¹ dH / (1 − γ), the ridgeless limit for γ < 1 (spec, Lemma 3.12 with λ = 0).
pub fn stieltjes_at_zero(h: &SpectralMeasure, gamma: f64) -> Result<f64> {
    check_gamma(gamma)?;
    if gamma >= 1.0 {
        return Err(TheoryError::InvalidParameter {
            name: "lambda",
            reason: format!(
                "lambda = 0 needs psi > 1 (S is singular when d >= n); got psi = {}",
                1.0 / gamma
            ),
        });
    }
    Ok(h.integrate(|t| 1.0 / t) / (1.0 - gamma))
}

/// One root of z = −1/v + γ∫ t/(1+tv) dH by damped Newton from `v`: a step is halved until the
/// residual drops and the iterate stays in the upper half plane (near a spectral edge F' → 0 and
/// full steps overshoot); converged when the residual or the step is at rounding level. None if
/// it stalls above the rounding floor.
fn damped_newton(
    h: &SpectralMeasure,
    gamma: f64,
    zz: Complex64,
    mut v: Complex64,
) -> Option<Complex64> {
    let a_of = |v: Complex64| -> Complex64 {
        h.atoms
            .iter()
            .map(|a| a.weight * a.value / (1.0 + a.value * v))
            .sum()
    };
    let residual = |zz: Complex64, v: Complex64| -1.0 / v + gamma * a_of(v) - zz;
    let tol = 1e-14 * (1.0 + zz.norm());
    let mut f = residual(zz, v);
    for _ in 0..200 {
        if f.norm() <= tol * (1.0 + 1.0 / v.norm()) {
            return Some(v);
        }
        let df = 1.0 / (v * v)
            - gamma
                * h.atoms
                    .iter()
                    .map(|a| {
                        a.weight * a.value * a.value / ((1.0 + a.value * v) * (1.0 + a.value * v))
                    })
                    .sum::<Complex64>();
        let step = f / df;
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let next = v - step * t;
            if next.re.is_finite() && next.im.is_finite() && next.im > 0.0 {
                let fn_ = residual(zz, next);
                if fn_.norm() < f.norm() {
                    accepted = Some((next, fn_));
                    break;
                }
            }
            t *= 0.5;
        }
        let Some((next, fn_)) = accepted else {
            // No step lowers the residual: it is at its rounding floor (a sum over many
            // atoms, e.g. d equal eigenvalues, rounds at ~√atoms · ε above `tol`). Accept
            // a root whose residual is that small; otherwise give up.
            let floor = 1e-12 * (1.0 + zz.norm()) * (1.0 + 1.0 / v.norm());
            return (f.norm() <= floor).then_some(v);
        };
        let moved = (next - v).norm();
        v = next;
        f = fn_;
        if moved <= 1e-15 * v.norm() {
            return Some(v);
        }
    }
    None
}

/// m(z) for Im z > 0 from Silverstein's equation in companion form z = −1/v + γ ∫ t/(1+tv) dH.
///
/// Continuation in Im z: solve at Im z = max(1, |z|) by the contracting fixed-point iteration
/// v ← 1/(−z + γ∫ t/(1+tv) dH), then halve Im z down to its target, each level by Newton from the
/// previous root (falling back to the fixed point if Newton leaves the upper half plane).
pub fn stieltjes_complex(h: &SpectralMeasure, gamma: f64, z: Complex64) -> Result<Complex64> {
    let v = companion_complex(h, gamma, z)?;
    m_from_companion(h, z, v)
}

/// m(z) and m′(z) for Im z > 0 (same solver as [`stieltjes_complex`]). Differentiating the
/// companion equation z = −1/v + γ∫ t/(1+tv) dH gives v′ = 1/(1/v² − γ∫ t²/(1+tv)² dH), and
/// m = −E/z with E = ∫ 1/(1+tv) dH gives m′ = E/z² + v′ ∫ t/(1+tv)² dH / z.
pub fn stieltjes_complex_with_derivative(
    h: &SpectralMeasure,
    gamma: f64,
    z: Complex64,
) -> Result<(Complex64, Complex64)> {
    let v = companion_complex(h, gamma, z)?;
    let (mut e, mut c, mut b2) = (
        Complex64::new(0.0, 0.0),
        Complex64::new(0.0, 0.0),
        Complex64::new(0.0, 0.0),
    );
    for a in &h.atoms {
        let q = 1.0 / (1.0 + a.value * v);
        e += a.weight * q;
        c += a.weight * a.value * q * q;
        b2 += a.weight * a.value * a.value * q * q;
    }
    let v_prime = 1.0 / (1.0 / (v * v) - gamma * b2);
    let m = -e / z;
    let m_prime = e / (z * z) + v_prime * c / z;
    let ok = |x: Complex64| x.re.is_finite() && x.im.is_finite();
    if ok(m) && ok(m_prime) {
        Ok((m, m_prime))
    } else {
        Err(complex_failure(z))
    }
}

fn complex_failure(z: Complex64) -> TheoryError {
    TheoryError::NoConvergence {
        what: "Silverstein equation at complex z",
        reason: format!("z = {z}"),
    }
}

/// The companion transform v(z) for Im z > 0 (see [`stieltjes_complex`] for the continuation).
fn companion_complex(h: &SpectralMeasure, gamma: f64, z: Complex64) -> Result<Complex64> {
    check_gamma(gamma)?;
    if !(z.re.is_finite() && z.im.is_finite() && z.im > 0.0) {
        return Err(TheoryError::InvalidParameter {
            name: "z",
            reason: format!("needs finite z with Im z > 0, got {z}"),
        });
    }
    let a_of = |v: Complex64| -> Complex64 {
        h.atoms
            .iter()
            .map(|a| a.weight * a.value / (1.0 + a.value * v))
            .sum()
    };
    let fixed_point = |zz: Complex64, mut v: Complex64| -> Option<Complex64> {
        for _ in 0..200_000 {
            let next = 1.0 / (-zz + gamma * a_of(v));
            if (next - v).norm() <= 1e-15 * next.norm() {
                return Some(next);
            }
            v = next;
        }
        None
    };
    let newton = |zz: Complex64, v: Complex64| damped_newton(h, gamma, zz, v);
    let start_eta = z.im.max(1.0).max(z.re.abs());
    let mut eta = start_eta;
    let fail = || complex_failure(z);
    let mut v =
        fixed_point(Complex64::new(z.re, eta), Complex64::new(0.0, 1.0)).ok_or_else(fail)?;
    while eta > z.im {
        eta = (eta * 0.5).max(z.im);
        let zz = Complex64::new(z.re, eta);
        v = newton(zz, v)
            .or_else(|| fixed_point(zz, v))
            .ok_or_else(fail)?;
    }
    Ok(v)
}

/// [`limiting_density`] along a path of points `xs` (best in increasing order): inside the bulk
/// each point's solve starts Newton from its neighbour's root, accepted only when clearly in the
/// upper half plane (the companion equation has exactly one root there for Im z > 0); anywhere
/// else the full continuation runs. The warm start changes the cost, not the answer.
pub fn limiting_density_path(h: &SpectralMeasure, gamma: f64, xs: &[f64]) -> Vec<Result<f64>> {
    let mut previous: Option<Complex64> = None;
    xs.iter()
        .map(|&x| {
            let eta = 1e-9 * x.abs().max(1.0);
            let z = Complex64::new(x, eta);
            let warm = previous
                .filter(|_| x.is_finite() && check_gamma(gamma).is_ok())
                .and_then(|v0| damped_newton(h, gamma, z, v0))
                // Inside the bulk the root sits far from the real axis and is unmistakable; near
                // it (outside the support, at an edge) other roots come within rounding of the
                // upper half plane, so there the continuation decides.
                .filter(|v| v.im > 1e-6 * v.norm() && v.re.is_finite());
            let v = match warm {
                Some(v) => Ok(v),
                None => companion_complex(h, gamma, z),
            };
            previous = v.as_ref().ok().copied();
            let m = v.and_then(|v| m_from_companion(h, z, v))?;
            Ok((m.im / std::f64::consts::PI).max(0.0))
        })
        .collect()
}

/// m = −∫ 1/(1 + t v) dH / z from the companion root v at z.
fn m_from_companion(h: &SpectralMeasure, z: Complex64, v: Complex64) -> Result<Complex64> {
    let m = -(h
        .atoms
        .iter()
        .map(|a| a.weight / (1.0 + a.value * v))
        .sum::<Complex64>())
        / z;
    if m.re.is_finite() && m.im.is_finite() {
        Ok(m)
    } else {
        Err(complex_failure(z))
    }
}

/// The limiting eigenvalue density of S at x > 0, Im m(x + iη)/π with η = 1e-9 (max(x, 1)).
/// (For γ > 1 the atom of mass 1 − 1/γ at zero is not part of this density.)
pub fn limiting_density(h: &SpectralMeasure, gamma: f64, x: f64) -> Result<f64> {
    let eta = 1e-9 * x.abs().max(1.0);
    Ok((stieltjes_complex(h, gamma, Complex64::new(x, eta))?.im / std::f64::consts::PI).max(0.0))
}

/// Marchenko–Pastur m(z) for Σ = I (a closed form the solver must reproduce), real z < 0.
pub fn marchenko_pastur_negative(gamma: f64, z: f64) -> f64 {
    let b = 1.0 - gamma - z;
    (b - (b * b - 4.0 * gamma * z).sqrt()) / (2.0 * gamma * z)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> SpectralMeasure {
        SpectralMeasure::new([(1.0, 1.0)]).unwrap()
    }

    /// m'(z) of Marchenko–Pastur by differentiating the closed form.
    fn mp_derivative(gamma: f64, z: f64) -> f64 {
        let b = 1.0 - gamma - z;
        let r = (b * b - 4.0 * gamma * z).sqrt();
        // m = (b − r)/(2γz); db/dz = −1; dr/dz = (−b − 2γ)/r.
        let num = b - r;
        let dnum = -1.0 - (-b - 2.0 * gamma) / r;
        (dnum * z - num) / (2.0 * gamma * z * z)
    }

    #[test]
    fn marchenko_pastur_grid() {
        let gammas = [
            0.05, 0.1, 0.3, 0.5, 0.9, 0.999, 1.0, 1.001, 1.5, 2.0, 5.0, 20.0,
        ];
        let lambdas = [1e-3, 3e-3, 1e-2, 0.1, 0.5, 1.0, 3.0, 10.0];
        for &g in &gammas {
            for &l in &lambdas {
                let r = stieltjes_negative(&identity(), g, l).unwrap();
                let m = marchenko_pastur_negative(g, -l);
                let mp = mp_derivative(g, -l);
                // The closed form itself loses ~|b|²/(γ|z|) digits to cancellation at tiny λ.
                assert!((r.m - m).abs() <= 1e-11 * m, "g {g} l {l}: {} vs {m}", r.m);
                assert!(
                    (r.m_prime - mp).abs() <= 1e-8 * mp,
                    "g {g} l {l}: {} vs {mp}",
                    r.m_prime
                );
                // The spec's companion identity.
                assert!(((r.v - (1.0 - g) / l) / g - r.m).abs() <= 1e-6 * r.m.max(1.0));
            }
        }
    }

    /// Huge ridges (up to 1e100; the companion root is then 1/λ to rounding): m(−λ) = ∫ dμ/(x+λ)
    /// = 1/λ − E[x]/λ² + E[x²]/λ³ − …, with E[x] = 1 and E[x²] = 1 + γ for Marchenko–Pastur.
    #[test]
    fn huge_ridges_follow_the_large_lambda_expansion() {
        for g in [0.1, 1.0, 5.0] {
            for l in [1e4, 1e8, 1e12, 1e16, 1e100] {
                let r = stieltjes_negative(&identity(), g, l).unwrap();
                let third = 1.0 + 3.0 * g + g * g; // E[x³] (Narayana)
                let want = 1.0 / l - 1.0 / (l * l) + (1.0 + g) / l.powi(3) - third / l.powi(4);
                // The expansion's next term is relative O(E[x⁴]/λ⁴) ≤ 1e-14.
                assert!(
                    (r.m - want).abs() <= 1e-12 * want,
                    "g {g} l {l}: {} vs {want}",
                    r.m
                );
                // m' = ∫ dμ/(x+λ)² = 1/λ² − 2E[x]/λ³ + …; 1 − 2λm + λ²m' = E[x²]/λ² + O(λ⁻³).
                let mp = 1.0 / (l * l) - 2.0 / l.powi(3) + 3.0 * (1.0 + g) / l.powi(4)
                    - 4.0 * third / l.powi(5);
                assert!(
                    (r.m_prime - mp).abs() <= 1e-11 * mp,
                    "g {g} l {l}: m' {}",
                    r.m_prime
                );
                // E[x²/(x+λ)²] = (E[x²] − 2E[x³]/λ + 3E[x⁴]/λ² − …)/λ²; the third term is
                // relative ≤ 1e-5 here.
                let sig = ((1.0 + g) - 2.0 * third / l) / (l * l);
                assert!(
                    (r.signal_sq - sig).abs() <= 1e-4 * sig,
                    "g {g} l {l}: {}",
                    r.signal_sq
                );
            }
        }
    }

    #[test]
    #[allow(clippy::approx_constant)] // the spec's quoted value (it is 1/√2)
    fn spec_reference_values() {
        for (l, want) in [
            (0.01, 50.4902894311622),
            (0.1, 5.42214438511238),
            (1.0, 0.707106781186548),
        ] {
            let m = stieltjes_negative(&identity(), 2.0, l).unwrap().m;
            assert!((m - want).abs() < 1e-12 * want, "{m} vs {want}");
        }
        let h = SpectralMeasure::new([(1.0, 0.5), (4.0, 0.5)]).unwrap();
        for (l, want) in [
            (0.01, 1.21464046117189),
            (0.1, 0.987591800889019),
            (1.0, 0.422259838723939),
        ] {
            let m = stieltjes_negative(&h, 0.5, l).unwrap().m;
            assert!((m - want).abs() < 1e-12 * want, "{m} vs {want}");
        }
    }

    #[test]
    fn derivative_matches_finite_difference() {
        let h = SpectralMeasure::new([(0.2, 0.3), (1.0, 0.5), (7.0, 0.2)]).unwrap();
        for g in [0.3, 1.0, 3.0] {
            for l in [0.05, 0.5, 2.0] {
                let e = 1e-5 * l;
                let r = stieltjes_negative(&h, g, l).unwrap();
                let fd = (stieltjes_negative(&h, g, l - e).unwrap().m
                    - stieltjes_negative(&h, g, l + e).unwrap().m)
                    / (2.0 * e);
                assert!(
                    (r.m_prime - fd).abs() < 1e-7 * r.m_prime,
                    "{} vs {fd}",
                    r.m_prime
                );
            }
        }
    }

    #[test]
    fn ridgeless_is_the_limit() {
        let h = SpectralMeasure::new([(0.5, 0.5), (2.0, 0.5)]).unwrap();
        let m0 = stieltjes_at_zero(&h, 0.4).unwrap();
        let m = stieltjes_negative(&h, 0.4, 1e-7).unwrap().m;
        assert!((m - m0).abs() < 1e-5 * m0);
        assert!(stieltjes_at_zero(&h, 1.0).is_err());
    }

    #[test]
    fn splitting_an_atom_changes_nothing() {
        let a = SpectralMeasure::new([(1.0, 0.5), (4.0, 0.5)]).unwrap();
        // Split apart (neighbouring equal atoms would be merged on construction).
        let b = SpectralMeasure::new([(1.0, 0.25), (4.0, 0.5), (1.0, 0.25)]).unwrap();
        assert_eq!(b.atoms.len(), 3);
        let (ra, rb) = (
            stieltjes_negative(&a, 1.7, 0.2).unwrap(),
            stieltjes_negative(&b, 1.7, 0.2).unwrap(),
        );
        assert!((ra.m - rb.m).abs() < 1e-14 && (ra.m_prime - rb.m_prime).abs() < 1e-13);
    }

    /// d nearly equal eigenvalues (a linear spectrum with κ = 1 + 1e-10, 300 distinct atoms) and
    /// d exactly equal ones (κ = 1, merged into one atom) both give the Marchenko–Pastur density
    /// of Σ = I, inside the support and outside it (zero). Both once failed to converge.
    #[test]
    fn many_equal_or_nearly_equal_atoms_give_marchenko_pastur() {
        let g: f64 = 0.5;
        let (lo, hi) = ((1.0 - g.sqrt()).powi(2), (1.0 + g.sqrt()).powi(2));
        let mp =
            |x: f64| ((hi - x) * (x - lo)).max(0.0).sqrt() / (2.0 * std::f64::consts::PI * g * x);
        let near =
            SpectralMeasure::new((0..300).map(|i| (1.0 + 1e-10 * i as f64 / 299.0, 1.0))).unwrap();
        let equal = SpectralMeasure::new((0..300).map(|_| (1.0, 1.0))).unwrap();
        assert_eq!((near.atoms.len(), equal.atoms.len()), (300, 1));
        for h in [&near, &equal] {
            for x in [0.0013, 0.05, 0.1, 0.405, 1.0, 2.0, 2.9, 3.5] {
                let got = limiting_density(h, g, x).unwrap();
                // η = 1e-9 smooths the density by O(η) away from the edges.
                assert!(
                    (got - mp(x)).abs() <= 1e-6 * (1.0 + mp(x)),
                    "x {x}: {got} vs {}",
                    mp(x)
                );
            }
        }
    }

    #[test]
    fn complex_matches_marchenko_pastur() {
        for g in [0.25, 1.0, 4.0] {
            for (x, y) in [
                (-1.0, 0.5),
                (0.3, 0.01),
                (1.0, 1e-3),
                (2.0, 2.0),
                (3.0, 1e-6),
            ] {
                let z = Complex64::new(x, y);
                let b = 1.0 - g - z;
                let r = (b * b - 4.0 * g * z).sqrt();
                // pick the branch with Im m > 0
                let c1 = (b - r) / (2.0 * g * z);
                let c2 = (b + r) / (2.0 * g * z);
                let want = if c1.im > 0.0 { c1 } else { c2 };
                let got = stieltjes_complex(&identity(), g, z).unwrap();
                assert!(
                    (got - want).norm() < 1e-9 * want.norm(),
                    "g {g} z {z}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn density_matches_marchenko_pastur() {
        for g in [0.25f64, 0.5, 2.0] {
            let (a, b) = ((1.0 - g.sqrt()).powi(2), (1.0 + g.sqrt()).powi(2));
            for i in 1..40 {
                let x = a + (b - a) * i as f64 / 40.0;
                let want = ((b - x) * (x - a)).sqrt() / (2.0 * std::f64::consts::PI * g * x);
                let got = limiting_density(&identity(), g, x).unwrap();
                assert!(
                    (got - want).abs() < 1e-6 * want.max(1e-3),
                    "g {g} x {x}: {got} vs {want}"
                );
            }
            assert!(limiting_density(&identity(), g, b + 0.5).unwrap() < 1e-6);
        }
    }

    #[test]
    fn errors_not_nan() {
        assert!(stieltjes_negative(&identity(), 1.0, 0.0).is_err());
        assert!(stieltjes_negative(&identity(), 0.0, 1.0).is_err());
        assert!(stieltjes_negative(&identity(), f64::NAN, 1.0).is_err());
        assert!(stieltjes_complex(&identity(), 1.0, Complex64::new(1.0, 0.0)).is_err());
    }

    /// m′(z) against a central difference of m (error O(h²) ≈ 1e-10 relative at h = 1e-5|z|;
    /// tolerance 1e-7), over two spectra, γ on both sides of 1, and z near and far from the
    /// support.
    #[test]
    fn the_derivative_matches_a_central_difference() {
        let two_point = SpectralMeasure::new([(1.0, 0.5), (10.0, 0.5)])
            .unwrap()
            .normalized();
        let identity = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        for h in [&two_point, &identity] {
            for gamma in [0.25, 0.5, 2.0] {
                for z in [
                    Complex64::new(0.7, 0.05),
                    Complex64::new(-1.0, 0.3),
                    Complex64::new(3.0, 1.0),
                    Complex64::new(0.1, 2.0),
                ] {
                    let (m, dm) = stieltjes_complex_with_derivative(h, gamma, z).unwrap();
                    assert!(
                        (m - stieltjes_complex(h, gamma, z).unwrap()).norm() <= 1e-15 * m.norm()
                    );
                    let step = 1e-5 * z.norm();
                    let fd = (stieltjes_complex(h, gamma, z + step).unwrap()
                        - stieltjes_complex(h, gamma, z - step).unwrap())
                        / (2.0 * step);
                    assert!(
                        (dm - fd).norm() <= 1e-7 * dm.norm(),
                        "γ {gamma} z {z}: {dm} vs {fd}"
                    );
                }
            }
        }
    }

    /// The warm-started path gives the continuation's densities (to rounding), inside and
    /// outside the support and across its edges, for γ on both sides of 1.
    #[test]
    fn the_density_path_equals_pointwise_densities() {
        let h = SpectralMeasure::new([(1.0, 0.5), (10.0, 0.5)])
            .unwrap()
            .normalized();
        for gamma in [0.3, 0.5, 2.0] {
            let xs: Vec<f64> = (0..400).map(|i| 0.01 + 8.0 * i as f64 / 399.0).collect();
            let path = limiting_density_path(&h, gamma, &xs);
            for (x, p) in xs.iter().zip(path) {
                let one = limiting_density(&h, gamma, *x).unwrap();
                let p = p.unwrap();
                assert!(
                    (p - one).abs() <= 1e-9 * one.max(1e-3),
                    "γ {gamma} x {x}: {p} vs {one}"
                );
            }
        }
    }
}
