//! Three user-style checks of asymptotic formulas with known, different finite-size biases, as a
//! researcher would write them (an axis named `d`, no allowance): the engine must measure the
//! bias itself. Each has a `shift`: the formula multiplied by 1 + shift (0 is the correct one).
//! Used by `examples/finite_size_rates.rs` (error rates) and `tests/finite_size.rs`.
#![allow(dead_code)]

use engine::prelude::*;

/// (X (n × d) with N(0, 1) entries, first column scaled by `spike`) → XᵀX/n.
fn sample_covariance(rng: &mut UnitRng, n: usize, d: usize, spike: f64) -> faer::Mat<f64> {
    let x = faer::Mat::<f64>::from_fn(n, d, |_, j| {
        let z: f64 = rng.sample(StandardNormal);
        if j == 0 {
            z * spike
        } else {
            z
        }
    });
    let mut s = x.transpose() * &x;
    s *= faer::Scale(1.0 / n as f64);
    s
}

/// Eigenvalues (increasing) of a symmetric matrix, computed sequentially.
fn eigenvalues(s: &faer::Mat<f64>) -> Vec<f64> {
    s.self_adjoint_eigenvalues(faer::Side::Lower)
        .expect("a sample covariance is symmetric")
}

/// Marchenko–Pastur: (1/d) tr(XᵀX/n + λI)⁻¹ → m(−λ), the positive root of
/// γλm² + (λ + 1 − γ)m − 1 = 0 with γ = d/n (Bai & Silverstein 2010, eq. 3.1.1 at z = −λ).
/// Its finite-size bias is O(1/d).
pub struct MpResolventTrace {
    /// The formula is multiplied by 1 + shift.
    pub shift: f64,
}

impl Check for MpResolventTrace {
    fn name(&self) -> &str {
        "mp-resolvent-trace"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["trace"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let (g, l) = (p.get("gamma"), p.get("lambda"));
        let b = l + 1.0 - g;
        let m = (-b + (b * b + 4.0 * g * l).sqrt()) / (2.0 * g * l);
        vec![Some(m * (1.0 + self.shift))]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let d = p.get("d") as usize;
        let n = (d as f64 / p.get("gamma")).round() as usize;
        let e = eigenvalues(&sample_covariance(rng, n, d, 1.0));
        let l = p.get("lambda");
        vec![e.iter().map(|x| 1.0 / (x + l)).sum::<f64>() / d as f64]
    }
}

/// Baik–Ben Arous–Péché: the top eigenvalue of XᵀX/n with population spike 1 + θ tends to
/// (1 + θ)(1 + γ/θ) above θ = √γ and to the edge (1 + √γ)² below (Baik, Ben Arous & Péché 2005;
/// Paul 2007). Bias O(1/d) above the transition, O(d^-2/3) at the edge.
pub struct BbpTopEigenvalue {
    /// The formula is multiplied by 1 + shift.
    pub shift: f64,
}

impl Check for BbpTopEigenvalue {
    fn name(&self) -> &str {
        "bbp-top-eigenvalue"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["top_eigenvalue"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let (t, g) = (p.get("theta"), p.get("gamma"));
        let limit = if t > g.sqrt() {
            (1.0 + t) * (1.0 + g / t)
        } else {
            (1.0 + g.sqrt()).powi(2)
        };
        vec![Some(limit * (1.0 + self.shift))]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let d = p.get("d") as usize;
        let n = (d as f64 / p.get("gamma")).round() as usize;
        let spike = (1.0 + p.get("theta")).sqrt();
        let e = eigenvalues(&sample_covariance(rng, n, d, spike));
        vec![e[d - 1]]
    }
}

/// ‖x‖/√d + |x̄| for x ~ N(0, σ² I_d) tends to σ; E|x̄| = σ√(2/(πd)) makes the bias O(d^-1/2).
pub struct NormPlusMean {
    /// The formula is multiplied by 1 + shift.
    pub shift: f64,
}

impl Check for NormPlusMean {
    fn name(&self) -> &str {
        "norm-plus-mean"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["norm_plus_mean"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        vec![Some(p.get("sigma") * (1.0 + self.shift))]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let d = p.get("d") as usize;
        let x: Vec<f64> = (0..d)
            .map(|_| p.get("sigma") * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mean = x.iter().sum::<f64>() / d as f64;
        vec![norm / (d as f64).sqrt() + mean.abs()]
    }
}

/// The grids the measurements use (d as given).
pub fn mp_grid(d: f64) -> Grid {
    Grid::new()
        .axis("gamma", &[0.25, 0.5, 2.0])
        .axis("lambda", &[0.1, 1.0])
        .axis("d", &[d])
}

/// θ = 0.2 (below the transition √γ = 0.71), 1.5 and 3 (above).
pub fn bbp_grid(d: f64) -> Grid {
    Grid::new()
        .axis("theta", &[0.2, 1.5, 3.0])
        .axis("gamma", &[0.5])
        .axis("d", &[d])
}

/// σ ∈ {0.5, 1, 2}.
pub fn norm_grid(d: f64) -> Grid {
    Grid::new().axis("sigma", &[0.5, 1.0, 2.0]).axis("d", &[d])
}
