//! The risk of a readout fitted on a learned direction u (the paper's Section C.4, docs/readout.md).
//!
//! With x ~ N(0, Σ), z = ⟨β*, x⟩ ~ N(0, τ1) and t = ⟨u, x⟩/‖Σ^{1/2}u‖, (z/√τ1, t) is a standard
//! Gaussian pair with correlation ρ_Σ(u). Write f(g) = σ*(√τ1 g) = Σ_k c_k h_k(g) in the
//! orthonormal Hermite basis h_k = He_k/√k!; Mehler's formula E[h_k(g) | t] = ρ^k h_k(t) gives
//! - the best predictor of y from t alone, E[y | t] = Σ_k c_k ρ^k h_k(t), with risk
//!   R*(ρ) = σ_ε² + Σ_{k≥1} c_k² (1 − ρ^{2k}) ([`best_single_index_risk`], computed without the
//!   series by two-dimensional Gaussian quadrature);
//! - the best polynomial of degree ≤ K in t (what a least-squares readout on K + 1 Hermite
//!   features of t converges to), with risk R_K(ρ) = σ_ε² + Var f − Σ_{k=1}^{K} c_k² ρ^{2k}
//!   ([`polynomial_readout_risk`]).
//!
//! Both depend on the direction through ρ_Σ alone, and on the teacher through τ1.

use crate::activation::{gaussian_expectation, Activation};
use crate::error::{finite, Result, TheoryError};
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// The largest readout degree K (the Hermite features of a Gaussian grow like |t|^K; beyond 12
/// a least-squares fit on them needs impractically many samples).
pub const MAX_READOUT_DEGREE: usize = 12;

/// The teacher's orthonormal Hermite coefficients c_0..c_K of f(g) = σ*(√τ1 g), g ~ N(0, 1),
/// and its variance Var f = E f² − c_0² (all of them, not only the first K).
#[derive(Debug, Clone, PartialEq)]
pub struct HermiteTeacher {
    /// c_k = E[f(g) h_k(g)], k = 0..=K.
    pub coefficients: Vec<f64>,
    /// Var f(g) = Σ_{k ≥ 1} c_k².
    pub variance: f64,
}

/// h_0(g), …, h_K(g): the orthonormal Hermite polynomials He_k/√k! at g, by the recurrence
/// h_{k+1} = (g h_k − √k h_{k−1}) / √(k+1).
pub fn orthonormal_hermite(g: f64, degree: usize) -> Vec<f64> {
    let mut h = Vec::with_capacity(degree + 1);
    h.push(1.0);
    if degree >= 1 {
        h.push(g);
    }
    for k in 1..degree {
        let next = (g * h[k] - (k as f64).sqrt() * h[k - 1]) / ((k + 1) as f64).sqrt();
        h.push(next);
    }
    h
}

fn check_degree(degree: usize) -> Result<()> {
    if degree == 0 || degree > MAX_READOUT_DEGREE {
        return Err(TheoryError::InvalidParameter {
            name: "degree",
            reason: format!("must be between 1 and {MAX_READOUT_DEGREE}, got {degree}"),
        });
    }
    Ok(())
}

/// The teacher's Hermite coefficients up to `degree` at z ~ N(0, τ1) (quadrature of f h_k).
pub fn hermite_teacher(teacher: &Activation, tau1: f64, degree: usize) -> Result<HermiteTeacher> {
    finite("tau1", tau1)?;
    if tau1 <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "tau1",
            reason: format!("must be > 0, got {tau1}"),
        });
    }
    let s = tau1.sqrt();
    let coefficients: Vec<f64> = (0..=degree)
        .map(|k| gaussian_expectation(1.0, |g| teacher.eval(s * g) * orthonormal_hermite(g, k)[k]))
        .collect();
    let second = gaussian_expectation(1.0, |g| teacher.eval(s * g).powi(2));
    let variance = (second - coefficients[0] * coefficients[0]).max(0.0);
    Ok(HermiteTeacher {
        coefficients,
        variance,
    })
}

fn check_rho(rho: f64) -> Result<f64> {
    finite("rho", rho)?;
    if rho.abs() > 1.0 {
        return Err(TheoryError::InvalidParameter {
            name: "rho",
            reason: format!("a correlation lies in [−1, 1], got {rho}"),
        });
    }
    Ok(rho.abs())
}

/// R_K(ρ) = σ_ε² + Var f − Σ_{k=1}^{K} c_k² ρ^{2k}: the test risk a least-squares readout on the
/// Hermite features h_0..h_K of the learned direction converges to (K = the coefficients' length
/// − 1).
pub fn polynomial_readout_risk(t: &HermiteTeacher, noise: f64, rho: f64) -> Result<f64> {
    let r2 = check_rho(rho)?.powi(2);
    let mut explained = 0.0;
    let mut power = 1.0;
    for c in &t.coefficients[1..] {
        power *= r2;
        explained += c * c * power;
    }
    Ok(noise * noise + (t.variance - explained).max(0.0))
}

/// R_K at a readout degree: the teacher's coefficients at τ1 up to `degree`, then
/// [`polynomial_readout_risk`].
pub fn polynomial_readout_risk_at(
    teacher: &Activation,
    tau1: f64,
    noise: f64,
    degree: usize,
    rho: f64,
) -> Result<f64> {
    check_degree(degree)?;
    polynomial_readout_risk(&hermite_teacher(teacher, tau1, degree)?, noise, rho)
}

/// R*(ρ) = σ_ε² + E f² − E_t[(E_w f(ρ t + √(1 − ρ²) w))²]: the risk of the best predictor of y
/// from ⟨u, x⟩ alone (any function of it), by two-dimensional Gaussian quadrature over (t, w)
/// (no Hermite series).
pub fn best_single_index_risk(
    teacher: &Activation,
    tau1: f64,
    noise: f64,
    rho: f64,
) -> Result<f64> {
    let rho = check_rho(rho)?;
    finite("tau1", tau1)?;
    let s = tau1.sqrt();
    let f = |g: f64| teacher.eval(s * g);
    let second = gaussian_expectation(1.0, |g| f(g).powi(2));
    let c = (1.0 - rho * rho).max(0.0).sqrt();
    let explained = if c == 0.0 {
        second
    } else {
        // The inner integrand may have a kink where its argument is 0 (relu): split there.
        panel_expectation(
            |t| panel_expectation(|w| f(rho * t + c * w), -rho * t / c, c * s).powi(2),
            0.0,
            rho * s,
        )
    };
    Ok(noise * noise + (second - explained).max(0.0))
}

/// E f(w), w ~ N(0, 1), over |w| ≤ 9 (the mass beyond is 2·10⁻¹⁹) by composite 10-point
/// Gauss–Legendre with a panel edge at `kink` (where f may not be smooth) and panels no wider
/// than min(1, 1/scale): f varies on the scale 1/scale in w, and its complex singularities
/// (tanh: ±iπ/2 in the argument) then stay a panel width away.
fn panel_expectation(f: impl Fn(f64) -> f64, kink: f64, scale: f64) -> f64 {
    const HALF_WIDTH: f64 = 9.0;
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    let rule = RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(10).expect("nonzero")));
    let g = |w: f64| f(w) * (-0.5 * w * w).exp() / (2.0 * PI).sqrt();
    let kink = kink.clamp(-HALF_WIDTH, HALF_WIDTH);
    let width = (1.0 / scale.max(1e-300)).min(1.0);
    let mut total = 0.0;
    for (a, b) in [(-HALF_WIDTH, kink), (kink, HALF_WIDTH)] {
        let panels = ((b - a) / width).ceil().clamp(1.0, 1e5) as usize;
        let h = (b - a) / panels as f64;
        for k in 0..panels {
            let lo = a + k as f64 * h;
            total += rule.integrate(lo, lo + h, g);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The orthonormal Hermite polynomials are orthonormal under N(0, 1) (quadrature, k ≤ 12).
    #[test]
    fn hermite_basis_is_orthonormal() {
        for j in 0..=12 {
            for k in 0..=j {
                let e = gaussian_expectation(1.0, |g| {
                    let h = orthonormal_hermite(g, 12);
                    h[j] * h[k]
                });
                let want = if j == k { 1.0 } else { 0.0 };
                assert!((e - want).abs() < 1e-10, "E[h{j} h{k}] = {e}");
            }
        }
    }

    /// A Hermite teacher's coefficients are its own (scaled by √k!) at τ1 = 1; the risks of a
    /// linear teacher are closed forms: R = σ² + τ1 (1 − ρ²) at every degree.
    #[test]
    fn coefficients_and_closed_forms() {
        // σ* = 0.3 + He_1 + 0.5 He_2 + 0.2 He_3: c = (0.3, 1, 0.5 √2, 0.2 √6).
        let teacher = Activation::Hermite(vec![0.3, 1.0, 0.5, 0.2]);
        let t = hermite_teacher(&teacher, 1.0, 5).unwrap();
        let want = [0.3, 1.0, 0.5 * 2f64.sqrt(), 0.2 * 6f64.sqrt(), 0.0, 0.0];
        for (c, w) in t.coefficients.iter().zip(want) {
            assert!((c - w).abs() < 1e-10, "{:?}", t.coefficients);
        }
        assert!((t.variance - (1.0 + 0.5 + 0.24)).abs() < 1e-10);
        for rho in [0.0, 0.3, 0.8, 1.0] {
            let lin = polynomial_readout_risk_at(&Activation::Linear, 2.5, 0.4, 3, rho).unwrap();
            assert!((lin - (0.16 + 2.5 * (1.0 - rho * rho))).abs() < 1e-10);
            let best = best_single_index_risk(&Activation::Linear, 2.5, 0.4, rho).unwrap();
            assert!((best - lin).abs() < 1e-9, "{best} vs {lin}");
            // The cubic Hermite teacher: R* = Σ c_k² (1 − ρ^{2k}) exactly.
            let exact =
                1.0 * (1.0 - rho.powi(2)) + 0.5 * (1.0 - rho.powi(4)) + 0.24 * (1.0 - rho.powi(6));
            let best = best_single_index_risk(&teacher, 1.0, 0.0, rho).unwrap();
            assert!((best - exact).abs() < 1e-9, "ρ = {rho}: {best} vs {exact}");
        }
    }

    /// The ends: ρ = 0 leaves the whole variance, ρ = 1 only the noise (and, at degree K, the
    /// teacher's part above degree K); R_K decreases in K towards R* (series against the
    /// two-dimensional quadrature, two different computations).
    #[test]
    fn ends_and_degree_limit() {
        for (teacher, tau1) in [
            (Activation::Tanh, 1.0),
            (Activation::Relu, 2.0),
            (Activation::Erf, 0.5),
        ] {
            let mo = teacher.moments(tau1).unwrap();
            let var = mo.s2 - mo.c0 * mo.c0;
            let r0 = best_single_index_risk(&teacher, tau1, 0.5, 0.0).unwrap();
            assert!((r0 - (0.25 + var)).abs() < 1e-9, "{teacher}: {r0}");
            let r1 = best_single_index_risk(&teacher, tau1, 0.5, 1.0).unwrap();
            assert!((r1 - 0.25).abs() < 1e-12);
            for rho in [0.3, 0.7, 0.9] {
                let best = best_single_index_risk(&teacher, tau1, 0.5, rho).unwrap();
                let mut last = f64::INFINITY;
                for k in 1..=12 {
                    let rk = polynomial_readout_risk_at(&teacher, tau1, 0.5, k, rho).unwrap();
                    assert!(
                        rk <= last + 1e-12 && rk >= best - 1e-9,
                        "{teacher} ρ={rho} K={k}"
                    );
                    last = rk;
                }
                // R_12 − R* = Σ_{k>12} c_k² ρ^{2k} ≤ ρ^26 Var f (the quadrature splits at relu's kink).
                assert!(
                    last - best <= var * rho.powi(26) + 1e-9,
                    "{teacher} ρ={rho}: R12 {last} R* {best}"
                );
            }
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(polynomial_readout_risk_at(&Activation::Tanh, 1.0, 0.0, 0, 0.5).is_err());
        assert!(polynomial_readout_risk_at(&Activation::Tanh, 1.0, 0.0, 13, 0.5).is_err());
        assert!(best_single_index_risk(&Activation::Tanh, 1.0, 0.0, 1.5).is_err());
        assert!(best_single_index_risk(&Activation::Tanh, 1.0, 0.0, f64::NAN).is_err());
        assert!(hermite_teacher(&Activation::Tanh, 0.0, 3).is_err());
    }
}
