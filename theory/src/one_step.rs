//! Limits for one-step updates beyond the paper's two (docs/one-step-methods.md derives each):
//! square-root KFAC, input whitening, coordinate batch-norm and one step of Adam. All follow the
//! route of Lemma 3.12: y = c1⟨β*, x⟩ + r with r uncorrelated with ⟨β*, x⟩, then trace limits.

use crate::activation::TeacherMoments;
use crate::error::{Result, TheoryError};
use crate::single_index::{ratio, single_index_limits_with_moments, SingleIndexParams};
use crate::spectrum::SpectralMeasure;
use crate::stieltjes::stieltjes_negative;
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Nodes of the Gauss–Legendre rule for [`sqrt_resolvent_moment`]'s θ integral (its integrand is
/// smooth on [0, π/2]; 96 against 192 nodes agree to 1e-10 in the tests).
const SQRT_NODES: usize = 96;

fn sqrt_rule() -> &'static GaussLegendre {
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(SQRT_NODES).expect("nonzero")))
}

/// N(λ) = ∫ x (x + λ)^{-1/2} dμ(x), μ the limiting spectrum of S = XᵀX/n
/// (docs/one-step-methods.md, eq. (S2)): with (x+λ)^{-1/2} = (2/π) ∫₀^∞ du / (x + λ + u²),
/// N = (2/π) ∫₀^∞ [1 − s m(−s)] du, s = λ + u², where 1 − s m(−s) = ∫ x/(x+s) dμ comes
/// cancellation-free from the companion solve. u = c tan θ maps the half-line to [0, π/2].
pub fn sqrt_resolvent_moment(h: &SpectralMeasure, gamma: f64, lambda: f64) -> Result<f64> {
    sqrt_resolvent_moment_with(h, gamma, lambda, sqrt_rule())
}

fn sqrt_resolvent_moment_with(
    h: &SpectralMeasure,
    gamma: f64,
    lambda: f64,
    rule: &GaussLegendre,
) -> Result<f64> {
    // Scale of the map: the spectrum's own scale, so the integrand's variation sits mid-interval.
    let c = (h.tau1() + lambda).sqrt();
    let mut err = None;
    let total = rule.integrate(0.0, PI / 2.0, |theta| {
        let (sin, cos) = theta.sin_cos();
        let u = c * sin / cos;
        let s = lambda + u * u;
        if s <= 0.0 {
            // u = 0 with λ = 0: ∫ x/(x+0) dμ = 1 − μ({0}), used only for γ < 1 where μ({0}) = 0.
            return c;
        }
        match stieltjes_negative(h, gamma, s) {
            Ok(r) => r.one_minus_lambda_m * c / (cos * cos),
            Err(e) => {
                err.get_or_insert(e);
                0.0
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(2.0 / PI * total),
    }
}

/// ρ for the square-root KFAC direction (XᵀX/n + λI)^{-1/2} Xᵀy/n (docs/one-step-methods.md, (S3)):
/// |c1| N / sqrt(c1² (τ1 − λ + λ² m) + γ E[r²] (1 − λ m)).
pub fn rho_sqrt_kfac(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let l = single_index_limits_with_moments(p, mo)?;
    // (1 − λm, τ1 − λ + λ²m = ∫ x²/(x+λ) dμ), the latter cancellation-free from the resolvent.
    let (one_minus, bias) = if p.lambda == 0.0 {
        (1.0, l.tau1)
    } else {
        let r = stieltjes_negative(p.spectrum, l.gamma, p.lambda)?;
        (r.one_minus_lambda_m, r.ridge_bias)
    };
    let numerator = sqrt_resolvent_moment(p.spectrum, l.gamma, p.lambda)?;
    ratio(
        mo.c1.abs() * numerator,
        mo.c1 * mo.c1 * bias + l.gamma * mo.residual_variance(p.noise) * one_minus,
    )
}

/// ρ for input whitening with the sample covariance, x ↦ Σ̂^{-1/2} x: the input-space direction
/// is Σ̂^{-1} Xᵀy/n, ridgeless KFAC, so ρ = Lemma 3.12 at λ = 0 (docs/one-step-methods.md, (W)).
/// Needs ψ > 1 (Σ̂ invertible).
pub fn rho_whitened(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    if p.psi <= 1.0 {
        return Err(TheoryError::InvalidParameter {
            name: "psi",
            reason: format!(
                "whitening with the sample covariance needs psi > 1 (XᵀX/n invertible), got {}",
                p.psi
            ),
        });
    }
    let ridgeless = SingleIndexParams {
        lambda: 0.0,
        ..p.clone()
    };
    Ok(single_index_limits_with_moments(&ridgeless, mo)?.rho_kfac)
}

/// ρ for coordinate batch-norm of the input (Σ diagonal in the coordinate basis): centring the
/// batch removes the label's mean c0, and the direction diag(Σ̂)^{-1} X_cᵀy/n → Σ^{-1} X_cᵀy/n, so
/// by Wishart moments (docs/one-step-methods.md, (B))
/// ρ = |c1| / sqrt(c1² (1 + γ τ1 τ₋₁) + γ (E[r²] − c0²) τ₋₁), τ₋₁ = ∫ t⁻¹ dH.
pub fn rho_batch_norm(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let tau_inv = p.spectrum.integrate(|t| 1.0 / t);
    let tau1 = p.spectrum.tau1();
    ratio(
        mo.c1.abs(),
        mo.c1 * mo.c1 * (1.0 + gamma * tau1 * tau_inv)
            + gamma * mo.centred_residual_variance(p.noise) * tau_inv,
    )
}

/// ρ for one step of Adam from zero moments, whose update is sign(g) coordinate-wise (Σ diagonal
/// in the coordinate basis; docs/one-step-methods.md, (A)):
/// ρ = √(2/π) ∫ |c1| t / sqrt(c1² t² + γ t (s2 + σ_ε²)) dH(t).
pub fn rho_adam_sign(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let spread = gamma * (mo.s2 + p.noise * p.noise);
    let c1 = mo.c1.abs();
    let value = (2.0 / PI).sqrt()
        * p.spectrum
            .integrate(|t| c1 * t / (c1 * c1 * t * t + spread * t).sqrt());
    if value.is_finite() {
        Ok(value.clamp(0.0, 1.0))
    } else {
        Err(TheoryError::NoConvergence {
            what: "Adam sign correlation",
            reason: format!("non-finite value {value}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::spectrum::SpectralMeasure;

    /// The Marchenko–Pastur density for Σ = I, γ < 1.
    fn mp_moment(gamma: f64, f: impl Fn(f64) -> f64) -> f64 {
        // x = (a+b)/2 + (b−a)/2 cos φ turns the density's square-root edges into sin² φ, smooth.
        let (a, b) = ((1.0 - gamma.sqrt()).powi(2), (1.0 + gamma.sqrt()).powi(2));
        let rule = GaussLegendre::new(NonZeroUsize::new(200).unwrap());
        rule.integrate(0.0, PI, |phi| {
            let x = 0.5 * (a + b) + 0.5 * (b - a) * phi.cos();
            let density = ((b - x) * (x - a)).max(0.0).sqrt() / (2.0 * PI * gamma * x);
            f(x) * density * 0.5 * (b - a) * phi.sin()
        })
    }

    #[test]
    fn sqrt_moment_matches_direct_integration_against_marchenko_pastur() {
        let h = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        for &gamma in &[0.1, 0.5, 0.9] {
            assert!((mp_moment(gamma, |_| 1.0) - 1.0).abs() < 1e-10);
            for &lambda in &[1e-3, 0.1, 1.0, 5.0] {
                let want = mp_moment(gamma, |x| x / (x + lambda).sqrt());
                let got = sqrt_resolvent_moment(&h, gamma, lambda).unwrap();
                assert!(
                    (got - want).abs() < 1e-8 * want,
                    "γ={gamma} λ={lambda}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn sqrt_moment_quadrature_has_converged() {
        let h = SpectralMeasure::new([(0.1, 0.5), (1.0, 0.5)]).unwrap();
        let fine = GaussLegendre::new(NonZeroUsize::new(2 * SQRT_NODES).unwrap());
        for &(gamma, lambda) in &[(0.5, 1e-3), (2.0, 0.01), (0.25, 1.0), (4.0, 10.0)] {
            let a = sqrt_resolvent_moment(&h, gamma, lambda).unwrap();
            let b = sqrt_resolvent_moment_with(&h, gamma, lambda, &fine).unwrap();
            assert!((a - b).abs() < 1e-10 * b, "{a} vs {b}");
        }
    }

    #[test]
    fn limits_of_the_new_directions() {
        let id = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        let lin = Activation::Linear;
        let params = |h: &SpectralMeasure, psi: f64, noise: f64, lambda: f64| {
            let mo = lin.moments(h.tau1()).unwrap();
            (h.clone(), psi, noise, lambda, mo)
        };
        // γ → 0, no noise: S → Σ, so every preconditioned direction → Σ^a β*, and Σ = I gives 1.
        let (h, psi, noise, lambda, mo) = params(&id, 1e9, 0.0, 0.1);
        let p = SingleIndexParams {
            spectrum: &h,
            psi,
            teacher: &lin,
            noise,
            lambda,
        };
        assert!((rho_sqrt_kfac(&p, &mo).unwrap() - 1.0).abs() < 1e-6);
        assert!((rho_whitened(&p, &mo).unwrap() - 1.0).abs() < 1e-6);
        assert!((rho_batch_norm(&p, &mo).unwrap() - 1.0).abs() < 1e-6);
        // sign(β*) for Gaussian β*: E|b| / sqrt(E b²) = √(2/π).
        assert!((rho_adam_sign(&p, &mo).unwrap() - (2.0 / PI).sqrt()).abs() < 1e-6);
        // Anisotropic, γ → 0: sqrt-KFAC → Σ^{-1/2}Σβ* = Σ^{1/2}β*, whose correlation is
        // E[t^{1/2}] / sqrt(E[t]) at λ → 0 (two-point 0.1, 1).
        let two = SpectralMeasure::new([(0.1, 0.5), (1.0, 0.5)]).unwrap();
        let mo = lin.moments(two.tau1()).unwrap();
        let p = SingleIndexParams {
            spectrum: &two,
            psi: 1e9,
            teacher: &lin,
            noise: 0.0,
            lambda: 1e-9,
        };
        let want = two.integrate(f64::sqrt) / two.tau1().sqrt();
        assert!((rho_sqrt_kfac(&p, &mo).unwrap() - want).abs() < 1e-5);
        // Batch-norm in the population limit is Σ^{-1}Σβ* = β*: 1 whatever the anisotropy.
        assert!((rho_batch_norm(&p, &mo).unwrap() - 1.0).abs() < 1e-6);
        // Adam at γ → 0: sign(Σβ*) = sign(β*) for diagonal Σ: still √(2/π).
        assert!((rho_adam_sign(&p, &mo).unwrap() - (2.0 / PI).sqrt()).abs() < 1e-6);
    }

    /// λ → ∞: (S + λI)^{-1/2} → λ^{-1/2} I, so the square-root KFAC direction turns into SGD's
    /// (Lemma 3.10), at every ψ and spectrum; up to λ = 1e100.
    #[test]
    fn sqrt_kfac_turns_into_sgd_as_the_ridge_grows() {
        let two = SpectralMeasure::new([(0.1, 0.5), (1.0, 0.5)]).unwrap();
        let t = Activation::Tanh;
        let mo = t.moments(two.tau1()).unwrap();
        for psi in [0.5, 3.0] {
            for lambda in [1e6, 1e12, 1e100] {
                let p = SingleIndexParams {
                    spectrum: &two,
                    psi,
                    teacher: &t,
                    noise: 0.1,
                    lambda,
                };
                let sgd = single_index_limits_with_moments(&p, &mo).unwrap().rho_sgd;
                let sqrt = rho_sqrt_kfac(&p, &mo).unwrap();
                // The first correction is O(τ/λ) ≤ 1e-6.
                assert!(
                    (sqrt - sgd).abs() < 1e-5,
                    "ψ {psi} λ {lambda}: {sqrt} vs {sgd}"
                );
            }
        }
    }

    #[test]
    fn whitening_needs_more_samples_than_dimensions() {
        let id = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        let t = Activation::Tanh;
        let mo = t.moments(1.0).unwrap();
        let p = SingleIndexParams {
            spectrum: &id,
            psi: 0.5,
            teacher: &t,
            noise: 0.1,
            lambda: 0.1,
        };
        assert!(matches!(
            rho_whitened(&p, &mo),
            Err(TheoryError::InvalidParameter { name: "psi", .. })
        ));
    }
}
