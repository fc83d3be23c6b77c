//! The preconditioner power family u = (S + λI)^{-p} Xᵀy/n, 0 ≤ p ≤ 1 (p = 0 SGD, p = ½ √KFAC,
//! p = 1 KFAC), and its Euclidean and Σ-weighted alignments (docs/sigma-alignment.md, "The power
//! family").
//!
//! (x + λ)^{-p} = (sin pπ/π) ∫₀^∞ u^{-p} (x + λ + u)^{-1} du turns F = (S + λI)^{-p} into
//! Σ_k w_k Q(s_k) + α I: on [0, U] with u = U y^{1/(1−p)} (u^{-p} du = U^{1−p}/(1−p) dy, smooth),
//! on [U, ∞) in s = ln(u/U) after subtracting 1/u, whose tail ∫_U^∞ u^{-p-1} du = U^{-p}/p goes
//! into α exactly (the integrand left decays like e^{-(1+p)s}). Every trace of F
//! is then a sum of the one- and two-resolvent traces of theory::sigma_alignment, with
//! A = I (Euclidean) or A = Σ.

use crate::activation::TeacherMoments;
use crate::error::{Result, TheoryError};
use crate::single_index::{ratio, SingleIndexParams};
use crate::spectrum::SpectralMeasure;
use crate::stieltjes::stieltjes_negative;
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Gauss–Legendre nodes on each of the two pieces of the u integral.
const NODES: usize = 64;

fn rule() -> &'static GaussLegendre {
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(NODES).expect("nonzero")))
}

/// F = (S + λI)^{-p} as Σ_k w_k (S + s_k I)⁻¹ + α I: (w_k, s_k) and α.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerNodes {
    /// (weight, shift) per resolvent.
    pub nodes: Vec<(f64, f64)>,
    /// The multiple of the identity.
    pub alpha: f64,
}

/// The representation of (x + λ)^{-p} for x ≥ 0, split at U = `scale`.
pub fn power_nodes(power: f64, lambda: f64, scale: f64) -> PowerNodes {
    if power == 0.0 {
        return PowerNodes {
            nodes: Vec::new(),
            alpha: 1.0,
        };
    }
    if power == 1.0 {
        return PowerNodes {
            nodes: vec![(1.0, lambda)],
            alpha: 0.0,
        };
    }
    let c = (power * PI).sin() / PI;
    let u0 = scale;
    let q = 1.0 / (1.0 - power);
    let mut nodes = Vec::with_capacity(2 * NODES);
    let mut alpha = c * u0.powf(-power) / power;
    // The tail in s = ln(u/U) ∈ [0, S]: its integrand decays like e^{-(1+p)s}, so S = 40/(1+p)
    // leaves e^{-40} out; the bump where u meets x is smooth in s.
    let s_max = 40.0 / (1.0 + power);
    for (x, w) in rule().iter() {
        let (y, wy) = (0.5 * (x + 1.0), 0.5 * w);
        let u = u0 * y.powf(q);
        nodes.push((c * u0.powf(1.0 - power) * q * wy, lambda + u));
        let (sv, ws) = (0.5 * s_max * (x + 1.0), 0.5 * s_max * w);
        let u = u0 * sv.exp();
        // u^{-p} du = u^{1-p} ds.
        let wt = c * u.powf(1.0 - power) * ws;
        nodes.push((wt, lambda + u));
        alpha -= wt / u;
    }
    PowerNodes { nodes, alpha }
}

/// Which alignment: A = I (|cos|) or A = Σ (ρ_Σ).
fn weight(sigma: bool, t: f64) -> f64 {
    if sigma {
        t
    } else {
        1.0
    }
}

/// ρ (Euclidean, `sigma` false) or ρ_Σ of u = (S + λI)^{-p} Xᵀy/n: |c1| num / sqrt(N (c1² sig +
/// γ E[r²] noise)), N = 1 or τ1, with the traces of docs/sigma-alignment.md. Needs λ > 0 for
/// p > 0.
pub fn rho_power(
    p: &SingleIndexParams,
    mo: &TeacherMoments,
    power: f64,
    sigma: bool,
) -> Result<f64> {
    if !(0.0..=1.0).contains(&power) {
        return Err(TheoryError::InvalidParameter {
            name: "power",
            reason: format!("must be between 0 and 1, got {power}"),
        });
    }
    if power > 0.0 && p.lambda <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "lambda",
            reason: "the power family needs lambda > 0".into(),
        });
    }
    let h = p.spectrum;
    let gamma = 1.0 / p.psi;
    let tau1 = h.tau1();
    let rep = power_nodes(power, p.lambda, tau1 + p.lambda);
    let vs = rep
        .nodes
        .iter()
        .map(|&(_, s)| Ok(stieltjes_negative(h, gamma, s)?.v))
        .collect::<Result<Vec<f64>>>()?;
    let (num, signal, noise) = traces(h, gamma, sigma, &rep, &vs)?;
    let norm = if sigma { tau1 } else { 1.0 };
    ratio(
        mo.c1.abs() * num,
        norm * (mo.c1 * mo.c1 * signal + gamma * mo.residual_variance(p.noise) * noise),
    )
}

/// (num, signal, noise) of F = Σ w_k Q(s_k) + α I with the companion values `vs`.
fn traces(
    h: &SpectralMeasure,
    gamma: f64,
    sigma: bool,
    rep: &PowerNodes,
    vs: &[f64],
) -> Result<(f64, f64, f64)> {
    let alpha = rep.alpha;
    let [at, at2] = h.integrate_many(|t| {
        let a = weight(sigma, t);
        [a * t, a * t * t]
    });
    let tau1 = h.tau1();
    let mut num = alpha * at;
    let mut signal = alpha * alpha * (at2 + gamma * tau1 * at);
    let mut noise = alpha * alpha * at;
    for (&(wk, _), &vk) in rep.nodes.iter().zip(vs) {
        let [a_k, atd, atd2] = h.integrate_many(|t| {
            let d = 1.0 / (1.0 + t * vk);
            let a = weight(sigma, t);
            [t * d, a * t * d, a * t * t * d]
        });
        num += wk * vk * atd;
        signal += 2.0 * alpha * wk * vk * (atd2 + gamma * a_k * atd);
        noise += 2.0 * alpha * wk * vk * atd;
        for (&(wj, _), &vj) in rep.nodes.iter().zip(vs) {
            let [pp, r, ta, t2a] = h.integrate_many(|t| {
                let q = 1.0 / ((1.0 + t * vj) * (1.0 + t * vk));
                let a = weight(sigma, t);
                [t * q, t * t * q, t * a * q, t * t * a * q]
            });
            let one_minus = 1.0 - gamma * vj * vk * r;
            if one_minus <= 0.0 {
                return Err(TheoryError::NoConvergence {
                    what: "power-family trace",
                    reason: format!("1 − Δ = {one_minus:e} is not positive"),
                });
            }
            let w = wj * wk * vj * vk;
            signal += w * (t2a + gamma * pp * ta / one_minus);
            noise += w * ta / one_minus;
        }
    }
    Ok((num, signal, noise))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::single_index::single_index_limits_with_moments;

    fn two_point(kappa: f64) -> SpectralMeasure {
        SpectralMeasure::new([(1.0, 0.5), (kappa, 0.5)])
            .unwrap()
            .normalized()
    }

    /// The representation itself: Σ w/(x + s) + α against (x + λ)^{-p} on the spectrum's range.
    #[test]
    fn the_nodes_represent_the_power() {
        for (power, lambda) in [
            (0.1, 0.1),
            (0.25, 0.01),
            (0.5, 1.0),
            (0.75, 0.1),
            (0.9, 0.3),
        ] {
            let rep = power_nodes(power, lambda, 1.0 + lambda);
            for x in [0.0, 0.01, 0.3, 1.0, 4.0, 30.0] {
                let got: f64 = rep.nodes.iter().map(|(w, s)| w / (x + s)).sum::<f64>() + rep.alpha;
                let want = (x + lambda).powf(-power);
                assert!(
                    (got - want).abs() < 1e-6 * want,
                    "p {power}, λ {lambda}, x {x}: {got} vs {want}"
                );
            }
        }
    }

    /// p = 0, ½, 1 are SGD, √KFAC and KFAC, whose formulas were derived separately (Lemma 3.10,
    /// eq. (S3), Lemma 3.12, and their Σ-weighted forms).
    #[test]
    fn the_family_passes_through_sgd_sqrt_kfac_and_kfac() {
        let act = Activation::Tanh;
        for (kappa, psi, lambda) in [(10.0, 2.0, 0.1), (4.0, 0.5, 1.0), (30.0, 3.0, 0.03)] {
            let h = two_point(kappa);
            let mo = act.moments(h.tau1()).unwrap();
            let p = SingleIndexParams {
                spectrum: &h,
                psi,
                teacher: &act,
                noise: 0.3,
                lambda,
            };
            let l = single_index_limits_with_moments(&p, &mo).unwrap();
            let close = |a: f64, b: f64, tol: f64, what: &str| {
                assert!((a - b).abs() < tol, "{what} κ {kappa} ψ {psi}: {a} vs {b}")
            };
            close(
                rho_power(&p, &mo, 0.0, false).unwrap(),
                l.rho_sgd,
                1e-12,
                "p=0",
            );
            close(
                rho_power(&p, &mo, 1.0, false).unwrap(),
                l.rho_kfac,
                1e-12,
                "p=1",
            );
            let sq = crate::rho_sqrt_kfac(&p, &mo).unwrap();
            close(rho_power(&p, &mo, 0.5, false).unwrap(), sq, 1e-6, "p=½");
            let sgd_s = crate::rho_sigma_sgd(&p, &mo).unwrap();
            close(
                rho_power(&p, &mo, 0.0, true).unwrap(),
                sgd_s,
                1e-12,
                "Σ p=0",
            );
            let kfac_s = crate::rho_sigma_kfac(&p, &mo).unwrap();
            close(
                rho_power(&p, &mo, 1.0, true).unwrap(),
                kfac_s,
                1e-12,
                "Σ p=1",
            );
            let sq_s = crate::rho_sigma_sqrt_kfac(&p, &mo).unwrap();
            close(rho_power(&p, &mo, 0.5, true).unwrap(), sq_s, 1e-6, "Σ p=½");
            // Continuity at the ends.
            close(
                rho_power(&p, &mo, 1e-4, false).unwrap(),
                l.rho_sgd,
                1e-3,
                "p→0",
            );
            close(
                rho_power(&p, &mo, 1.0 - 1e-4, false).unwrap(),
                l.rho_kfac,
                1e-3,
                "p→1",
            );
        }
    }
}
