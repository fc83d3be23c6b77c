//! The Σ-weighted alignment ρ_Σ(u) = |uᵀΣβ*| / (‖Σ^{1/2}u‖ ‖Σ^{1/2}β*‖) of each one-step
//! direction (docs/sigma-alignment.md derives every formula): what a least-squares readout on
//! the learned feature sees, since prediction meets the direction through the data x ~ N(0, Σ).
//!
//! Route (as Lemma 3.12): y = c1⟨β*, x⟩ + r, r uncorrelated with x; β*ᵀAβ* → (1/d) tr A; the
//! resolvent Q(s) = (S + sI)⁻¹ has the deterministic equivalent (1/s)(I + v(s)Σ)⁻¹ with v the
//! companion solution, and (1/d) tr(Q(s₁) Σ Q(s₂)) → (1/d) tr(Q̄₁ΣQ̄₂)/(1 − Δ₁₂),
//! Δ₁₂ = γ v₁v₂ ∫ t²/(D₁D₂) dH, D = 1 + t v. Every quantity below is a ratio of positive
//! H-integrals, so none loses digits to cancellation.

use crate::activation::TeacherMoments;
use crate::error::{Result, TheoryError};
use crate::single_index::{ratio, SingleIndexParams};
use crate::spectrum::SpectralMeasure;
use crate::stieltjes::stieltjes_negative;
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// ∫ t^k dH.
fn moment(h: &SpectralMeasure, k: i32) -> f64 {
    h.integrate(|t| t.powi(k))
}

/// ρ_Σ of SGD, Xᵀy/n (and of Shampoo and Muon, which keep its direction):
/// |c1| τ2 / sqrt(τ1 (c1² τ3 + γ τ2 (s2 + σ_ε²))).
pub fn rho_sigma_sgd(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let (tau1, tau2, tau3) = (
        moment(p.spectrum, 1),
        moment(p.spectrum, 2),
        moment(p.spectrum, 3),
    );
    let den = tau1 * (mo.c1 * mo.c1 * tau3 + gamma * tau2 * (mo.s2 + p.noise * p.noise));
    ratio(mo.c1.abs() * tau2, den)
}

/// The KFAC (ridge) pieces at one λ > 0, divided by v: (numerator C2, signal, noise) with
/// C2 = ∫t²/D, signal = ∫t³/D² + γ B B2/(1 − g), noise = B2/(1 − g), B = ∫t/D², B2 = ∫t²/D²,
/// g = γ v² B2.
fn kfac_pieces(h: &SpectralMeasure, gamma: f64, lambda: f64) -> Result<(f64, f64, f64)> {
    let v = stieltjes_negative(h, gamma, lambda)?.v;
    let [c2, f3, b, b2] = h.integrate_many(|t| {
        let r = 1.0 / (1.0 + t * v);
        [t * t * r, t * t * t * r * r, t * r * r, t * t * r * r]
    });
    let one_minus_g = 1.0 - gamma * v * v * b2;
    if one_minus_g <= 0.0 || !one_minus_g.is_finite() {
        return Err(TheoryError::NoConvergence {
            what: "Σ-weighted KFAC trace",
            reason: format!(
                "1 − γv²∫t²/(1+tv)² = {one_minus_g:e} is not positive (λ = {lambda:e})"
            ),
        });
    }
    Ok((c2, f3 + gamma * b * b2 / one_minus_g, b2 / one_minus_g))
}

/// ρ_Σ of KFAC, (S + λI)⁻¹Xᵀy/n: |c1| C2 / sqrt(τ1 (c1² signal + γ E[r²] noise)) with the pieces
/// of [`kfac_pieces`]; at λ = 0 (ψ > 1) the whitening limit [`rho_sigma_whitened`].
pub fn rho_sigma_kfac(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    if p.lambda == 0.0 {
        return rho_sigma_whitened(p, mo);
    }
    let gamma = 1.0 / p.psi;
    let (num, signal, noise) = kfac_pieces(p.spectrum, gamma, p.lambda)?;
    let tau1 = moment(p.spectrum, 1);
    ratio(
        mo.c1.abs() * num,
        tau1 * (mo.c1 * mo.c1 * signal + gamma * mo.residual_variance(p.noise) * noise),
    )
}

/// ρ_Σ of ridgeless KFAC, S⁻¹Xᵀy/n = c1β* + S⁻¹Xᵀr/n (whitening's input-space direction; ψ > 1):
/// |c1| √τ1 / sqrt(c1² τ1 + γ E[r²]/(1 − γ)), since (1/d) tr(Σ S⁻¹) → 1/(1 − γ).
pub fn rho_sigma_whitened(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    if p.psi <= 1.0 {
        return Err(TheoryError::InvalidParameter {
            name: "psi",
            reason: format!(
                "whitening (ridgeless KFAC) needs psi > 1 (XᵀX/n invertible), got {}",
                p.psi
            ),
        });
    }
    let gamma = 1.0 / p.psi;
    let tau1 = moment(p.spectrum, 1);
    ratio(
        mo.c1.abs() * tau1.sqrt(),
        mo.c1 * mo.c1 * tau1 + gamma * mo.residual_variance(p.noise) / (1.0 - gamma),
    )
}

/// ρ_Σ of coordinate batch-norm, → Σ⁻¹X_cᵀy/n: |c1| √τ1 / sqrt(c1² τ1 (1 + γ) + γ (E[r²] − c0²)).
pub fn rho_sigma_batch_norm(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let tau1 = moment(p.spectrum, 1);
    ratio(
        mo.c1.abs() * tau1.sqrt(),
        mo.c1 * mo.c1 * tau1 * (1.0 + gamma) + gamma * mo.centred_residual_variance(p.noise),
    )
}

/// ρ_Σ of one Adam step from zero moments, sign(Xᵀy/n):
/// √(2/π) ∫ |c1| t² / sqrt(c1² t² + γ t (s2 + σ_ε²)) dH / τ1.
pub fn rho_sigma_adam_sign(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let spread = gamma * (mo.s2 + p.noise * p.noise);
    let c1 = mo.c1.abs();
    let value = (2.0 / PI).sqrt()
        * p.spectrum
            .integrate(|t| c1 * t * t / (c1 * c1 * t * t + spread * t).sqrt())
        / moment(p.spectrum, 1);
    if value.is_finite() {
        Ok(value.clamp(0.0, 1.0))
    } else {
        Err(TheoryError::NoConvergence {
            what: "Σ-weighted Adam sign correlation",
            reason: format!("the integral is {value}"),
        })
    }
}

/// Gauss–Legendre nodes of each of √KFAC's θ integrals (the integrands are smooth on [0, π/2]).
const SQRT_NODES: usize = 64;

fn sqrt_rule() -> &'static GaussLegendre {
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(SQRT_NODES).expect("nonzero")))
}

/// ρ_Σ of √KFAC, (S + λI)^{-1/2}Xᵀy/n, through (x + λ)^{-1/2} = (2/π) ∫₀^∞ du/(x + λ + u²)
/// (u = c tan θ): a single integral of v C2 for the numerator and double integrals of the
/// two-resolvent pieces v₁v₂∫t³/(D₁D₂) + P Δ/(1 − Δ) (signal) and v₁v₂ R/(1 − Δ) (noise),
/// P = ∫t/(D₁D₂), R = ∫t²/(D₁D₂), Δ = γ v₁v₂ R. (`power_family::rho_power` at p = ½ computes the
/// same limit through another representation of the square root; the two are kept apart on
/// purpose, and their agreement is a test of both.)
pub fn rho_sigma_sqrt_kfac(p: &SingleIndexParams, mo: &TeacherMoments) -> Result<f64> {
    let gamma = 1.0 / p.psi;
    let h = p.spectrum;
    let tau1 = moment(h, 1);
    let c = (tau1 + p.lambda).sqrt();
    let rule = sqrt_rule();
    // Nodes in θ, their weights × the Jacobian c/cos²θ, and v at s = λ + u².
    let mut nodes: Vec<(f64, f64)> = Vec::with_capacity(SQRT_NODES);
    for (theta, w) in rule.iter() {
        let theta = PI / 4.0 * (theta + 1.0);
        let w = w * PI / 4.0;
        let (sin, cos) = theta.sin_cos();
        let u = c * sin / cos;
        let s = p.lambda + u * u;
        if s <= 0.0 {
            return Err(TheoryError::InvalidParameter {
                name: "lambda",
                reason: "√KFAC's Σ-weighted alignment needs lambda > 0".into(),
            });
        }
        let v = stieltjes_negative(h, gamma, s)?.v;
        nodes.push((v, w * c / (cos * cos) * 2.0 / PI));
    }
    let mut num = 0.0;
    let (mut signal, mut noise) = (0.0, 0.0);
    for &(v1, w1) in &nodes {
        num += w1 * v1 * h.integrate(|t| t * t / (1.0 + t * v1));
        for &(v2, w2) in &nodes {
            let [f3, pp, r] = h.integrate_many(|t| {
                let q = 1.0 / ((1.0 + t * v1) * (1.0 + t * v2));
                [t * t * t * q, t * q, t * t * q]
            });
            let delta = gamma * v1 * v2 * r;
            let one_minus = 1.0 - delta;
            if one_minus <= 0.0 {
                return Err(TheoryError::NoConvergence {
                    what: "Σ-weighted √KFAC trace",
                    reason: format!("1 − Δ = {one_minus:e} is not positive"),
                });
            }
            signal += w1 * w2 * (v1 * v2 * f3 + pp * delta / one_minus);
            noise += w1 * w2 * v1 * v2 * r / one_minus;
        }
    }
    ratio(
        mo.c1.abs() * num,
        tau1 * (mo.c1 * mo.c1 * signal + gamma * mo.residual_variance(p.noise) * noise),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::single_index::single_index_limits_with_moments;

    fn params<'a>(
        h: &'a SpectralMeasure,
        psi: f64,
        act: &'a Activation,
        lambda: f64,
    ) -> SingleIndexParams<'a> {
        SingleIndexParams {
            spectrum: h,
            psi,
            teacher: act,
            noise: 0.3,
            lambda,
        }
    }

    fn two_point(kappa: f64) -> SpectralMeasure {
        SpectralMeasure::new([(1.0, 0.5), (kappa, 0.5)])
            .unwrap()
            .normalized()
    }

    /// Σ = I: Σ-weighting changes nothing, so every formula must equal its Euclidean one (Lemmas
    /// 3.10 and 3.12 and docs/one-step-methods.md, derived separately).
    #[test]
    fn with_identity_covariance_every_formula_is_the_euclidean_one() {
        let h = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        for (psi, act, lambda) in [
            (2.0, Activation::Tanh, 0.1),
            (0.5, Activation::Relu, 1.0),
            (4.0, Activation::Softplus, 0.01),
        ] {
            let p = params(&h, psi, &act, lambda);
            let mo = act.moments(1.0).unwrap();
            let l = single_index_limits_with_moments(&p, &mo).unwrap();
            let close = |a: f64, b: f64, what: &str| {
                assert!(
                    (a - b).abs() < 1e-9,
                    "{what} at ψ = {psi}, λ = {lambda}: {a} vs {b}"
                )
            };
            close(rho_sigma_sgd(&p, &mo).unwrap(), l.rho_sgd, "SGD");
            close(rho_sigma_kfac(&p, &mo).unwrap(), l.rho_kfac, "KFAC");
            close(
                rho_sigma_batch_norm(&p, &mo).unwrap(),
                crate::rho_batch_norm(&p, &mo).unwrap(),
                "batch-norm",
            );
            close(
                rho_sigma_adam_sign(&p, &mo).unwrap(),
                crate::rho_adam_sign(&p, &mo).unwrap(),
                "Adam",
            );
            let sq = rho_sigma_sqrt_kfac(&p, &mo).unwrap();
            let sq_e = crate::rho_sqrt_kfac(&p, &mo).unwrap();
            assert!((sq - sq_e).abs() < 1e-6, "√KFAC: {sq} vs {sq_e}");
            if psi > 1.0 {
                close(
                    rho_sigma_whitened(&p, &mo).unwrap(),
                    crate::rho_whitened(&p, &mo).unwrap(),
                    "whitening",
                );
            }
        }
    }

    /// The ridge's two ends: λ → ∞ turns KFAC into SGD, λ → 0 (ψ > 1) into whitening; √KFAC
    /// lies between them too (λ → ∞: SGD).
    #[test]
    fn kfac_runs_from_whitening_to_sgd_as_the_ridge_grows() {
        let act = Activation::Tanh;
        for (kappa, psi) in [(10.0, 2.0), (4.0, 5.0)] {
            let h = two_point(kappa);
            let mo = act.moments(h.tau1()).unwrap();
            let at = |lambda: f64| rho_sigma_kfac(&params(&h, psi, &act, lambda), &mo).unwrap();
            let sgd = rho_sigma_sgd(&params(&h, psi, &act, 1.0), &mo).unwrap();
            let white = rho_sigma_whitened(&params(&h, psi, &act, 0.0), &mo).unwrap();
            assert!((at(1e9) - sgd).abs() < 1e-7, "{} vs {sgd}", at(1e9));
            assert!((at(1e-9) - white).abs() < 1e-6, "{} vs {white}", at(1e-9));
            let sq = rho_sigma_sqrt_kfac(&params(&h, psi, &act, 1e8), &mo).unwrap();
            assert!((sq - sgd).abs() < 1e-5, "√KFAC at λ = 1e8: {sq} vs {sgd}");
        }
    }

    /// The posterior mean of β* (isotropic prior) is the ridge at the Bayes λ* = γ E[r²]/c1²
    /// whatever Σ, and it is optimal for any quadratic loss, the Σ-weighted one included: ρ_Σ of
    /// KFAC must peak there too (the Euclidean ρ's optimum is tested in single_index).
    #[test]
    fn the_bayes_ridge_maximises_the_sigma_weighted_alignment_too() {
        let spectra = [
            two_point(10.0),
            SpectralMeasure::new((0..50).map(|i| (30f64.powf(i as f64 / 49.0), 1.0)))
                .unwrap()
                .normalized(),
            SpectralMeasure::new([(0.2, 0.3), (3.0, 0.7)]).unwrap(),
        ];
        let act = Activation::Tanh;
        for h in &spectra {
            let mo = act.moments(h.tau1()).unwrap();
            for psi in [0.5, 2.0] {
                let bayes = mo.residual_variance(0.3) / (psi * mo.c1 * mo.c1);
                let at = |l: f64| rho_sigma_kfac(&params(h, psi, &act, l), &mo).unwrap();
                let peak = at(bayes);
                for f in [0.5, 0.9, 0.99, 1.01, 1.1, 2.0] {
                    assert!(
                        at(bayes * f) < peak,
                        "ψ {psi}: λ = {} beats the Bayes {bayes}",
                        bayes * f
                    );
                }
            }
        }
    }
}
