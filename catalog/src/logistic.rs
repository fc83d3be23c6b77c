//! `logistic-mle`: the unregularised logistic MLE in high dimensions (Sur & Candès 2019, PNAS).
//!
//! Convention (Sur & Candès's): x_i ~ N(0, I_p/n), i = 1…n, κ = p/n, β = γ√n·u with u uniform on
//! the unit sphere, so Var(x_iᵀβ) = γ²; y_i = 1 with probability 1/(1 + e^{−x_iᵀβ}). Then
//! α̂ = ⟨β̂, β⟩/‖β‖² → α and σ̂² = ‖β̂ − α̂β‖²/(p − 1) (the variance of β̂'s coordinates about αβ,
//! measured orthogonally to β) → σ², where (α, σ, λ) solve the three-equation fixed point.

use crate::common::{no_solution, phi, run, upper_tail};
use crate::Variant;
use engine::prelude::*;
use engine::HarnessError;
use gauss_quad::hermite::GaussHermite;
use std::num::NonZeroUsize;

/// The logistic function ρ′(t) = 1/(1 + e^{−t}).
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// prox_{λρ}(q) = argmin_t λρ(t) + (t − q)²/2 for ρ(t) = ln(1 + e^t): the root of
/// t + λρ′(t) = q in [q − λ, q], by safeguarded Newton to 1e-14.
pub fn prox(q: f64, lambda: f64) -> f64 {
    let (mut lo, mut hi) = (q - lambda, q);
    let mut t = q - lambda * sigmoid(q);
    for _ in 0..100 {
        let s = sigmoid(t);
        let f = t + lambda * s - q;
        if f > 0.0 {
            hi = t;
        } else {
            lo = t;
        }
        let step = f / (1.0 + lambda * s * (1.0 - s));
        if step.abs() <= 1e-15 * (1.0 + t.abs()) {
            return t - step;
        }
        let next = t - step;
        t = if next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo <= 1e-15 * (1.0 + t.abs()) {
            break;
        }
    }
    t
}

/// Gauss–Hermite rule for N(0, 1) with `n` nodes as (z, w) pairs.
fn rule(n: usize) -> Vec<(f64, f64)> {
    let gh = GaussHermite::new(NonZeroUsize::new(n).expect("nonzero"));
    let s = std::f64::consts::PI.sqrt();
    gh.as_node_weight_pairs()
        .iter()
        .map(|&(x, w)| (std::f64::consts::SQRT_2 * x, w / s))
        .collect()
}

/// E(Z − a)₊² = (1 + a²)Φ(−a) − aφ(a), Z ~ N(0, 1).
fn positive_part_sq(a: f64) -> f64 {
    ((1.0 + a * a) * upper_tail(a) - a * phi(a)).max(0.0)
}

/// Candès & Sur 2020 (Ann. Stat., Thm 1): the MLE exists (with probability → 1) iff κ < h(γ),
/// h(γ) = min_t E[(Z − tYV)₊²], V, Z ~ N(0, 1) independent, P(Y = 1 | V) = ρ′(γV), Y = ±1.
pub fn mle_boundary(gamma: f64) -> f64 {
    let r = rule(120);
    let h = |t: f64| -> f64 {
        r.iter()
            .map(|&(v, w)| {
                let s = sigmoid(gamma * v);
                w * (s * positive_part_sq(t * v) + (1.0 - s) * positive_part_sq(-t * v))
            })
            .sum()
    };
    // h is convex in t: golden-section search on a bracket that holds the minimum.
    let (mut a, mut b) = (-1.0f64, 1.0f64);
    while h(b) < h(0.5 * b) && b < 1e6 {
        b *= 2.0;
    }
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    for _ in 0..200 {
        if h(c) < h(d) {
            b = d;
        } else {
            a = c;
        }
        c = b - g * (b - a);
        d = a + g * (b - a);
        if b - a < 1e-10 {
            break;
        }
    }
    h(0.5 * (a + b))
}

/// The solution of Sur & Candès's system at (κ, γ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedPoint {
    /// Bias inflation: β̂ ≈ αβ.
    pub alpha: f64,
    /// Standard deviation of β̂'s coordinates about αβ (x ~ N(0, I/n) convention).
    pub sigma: f64,
    /// The prox parameter λ.
    pub lambda: f64,
}

/// The three residuals of Sur & Candès 2019 (PNAS; the system for (α⋆, σ⋆, λ⋆)), scaled to O(1):
/// κ²σ² = E[2ρ′(Q1)(λρ′(prox_{λρ}(Q2)))²], 0 = E[ρ′(Q1) Q1 λρ′(prox_{λρ}(Q2))],
/// 1 − κ = E[2ρ′(Q1)/(1 + λρ″(prox_{λρ}(Q2)))], with Q1 = γZ1, Q2 = −αγZ1 + √κ σZ2.
fn residuals(r: &[(f64, f64)], kappa: f64, gamma: f64, x: [f64; 3]) -> [f64; 3] {
    let [alpha, sigma, lambda] = x;
    let mut e = [0.0; 3];
    for &(z1, w1) in r {
        let q1 = gamma * z1;
        let s1 = sigmoid(q1);
        for &(z2, w2) in r {
            let q2 = -alpha * q1 + kappa.sqrt() * sigma * z2;
            let sp = sigmoid(prox(q2, lambda));
            let w = w1 * w2;
            e[0] += w * 2.0 * s1 * (lambda * sp).powi(2);
            e[1] += w * s1 * q1 * sp;
            e[2] += w * 2.0 * s1 / (1.0 + lambda * sp * (1.0 - sp));
        }
    }
    [
        (e[0] - kappa * kappa * sigma * sigma) / (kappa * kappa),
        e[1],
        e[2] - (1.0 - kappa),
    ]
}

/// Solve the 3 × 3 linear system j·x = b by Gaussian elimination with partial pivoting.
fn solve3(mut j: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for c in 0..3 {
        let piv = (c..3).max_by(|&a, &b2| j[a][c].abs().total_cmp(&j[b2][c].abs()))?;
        if j[piv][c].abs() < 1e-300 {
            return None;
        }
        j.swap(c, piv);
        b.swap(c, piv);
        for r in c + 1..3 {
            let f = j[r][c] / j[c][c];
            let pivot_row = j[c];
            j[r].iter_mut()
                .zip(pivot_row)
                .skip(c)
                .for_each(|(v, p)| *v -= f * p);
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 3];
    for c in (0..3).rev() {
        let s: f64 = (c + 1..3).map(|k| j[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / j[c][c];
    }
    Some(x)
}

fn norm3(f: [f64; 3]) -> f64 {
    f.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Damped Newton (finite-difference Jacobian, backtracking on ‖F‖) from `x` at (κ, γ); stops
/// at ‖F‖ < 1e-10.
fn newton(r: &[(f64, f64)], kappa: f64, gamma: f64, mut x: [f64; 3]) -> Option<[f64; 3]> {
    let mut f = residuals(r, kappa, gamma, x);
    for _ in 0..60 {
        if norm3(f) < 1e-10 {
            return Some(x);
        }
        let mut j = [[0.0; 3]; 3];
        for c in 0..3 {
            let h = 1e-7 * x[c].abs().max(1e-3);
            let mut xh = x;
            xh[c] += h;
            let fh = residuals(r, kappa, gamma, xh);
            (0..3).for_each(|row| j[row][c] = (fh[row] - f[row]) / h);
        }
        let step = solve3(j, [-f[0], -f[1], -f[2]])?;
        let mut t = 1.0;
        loop {
            let xn = [x[0] + t * step[0], x[1] + t * step[1], x[2] + t * step[2]];
            if xn[1] > 0.0 && xn[2] > 0.0 {
                let fn_ = residuals(r, kappa, gamma, xn);
                if norm3(fn_) < norm3(f) {
                    (x, f) = (xn, fn_);
                    break;
                }
            }
            t *= 0.5;
            if t < 1e-8 {
                return None;
            }
        }
    }
    (norm3(f) < 1e-8).then_some(x)
}

/// Sur & Candès 2019's (α, σ, λ) at κ = p/n and signal strength γ (γ² = Var(xᵀβ)), by
/// continuation in κ from the classical limit (α = 1, σ² = 1/E ρ″(γZ), λ = κ/E ρ″(γZ)) with a
/// damped Newton at each step (40 × 40 Gauss–Hermite nodes, residuals below 1e-10). Refused
/// beyond the MLE's existence boundary κ ≥ h(γ) (Candès & Sur 2020) and at γ = 0 (no β to
/// inflate).
pub fn fixed_point(kappa: f64, gamma: f64) -> Result<FixedPoint, SimError> {
    if !(kappa > 0.0 && kappa < 1.0 && gamma > 0.0 && gamma.is_finite()) {
        return Err(SimError::InvalidInput(format!(
            "logistic-mle needs 0 < kappa < 1 and gamma > 0, got kappa = {kappa}, gamma = {gamma}"
        )));
    }
    let h = mle_boundary(gamma);
    if kappa >= h {
        return Err(no_solution(
            "logistic-mle",
            format!("no MLE: kappa = {kappa} is beyond the existence boundary h(gamma = {gamma}) = {h:.4} (Candès & Sur 2020); the data are separable with probability -> 1"),
        ));
    }
    let r = rule(40);
    let curv: f64 = r
        .iter()
        .map(|&(z, w)| {
            let s = sigmoid(gamma * z);
            w * s * (1.0 - s)
        })
        .sum();
    let k0 = kappa.min(0.002);
    let steps = 30;
    let mut x = [1.0, 1.0 / curv.sqrt(), k0 / curv];
    for i in 0..=steps {
        let k = k0 * (kappa / k0).powf(i as f64 / steps as f64);
        x = newton(&r, k, gamma, x).ok_or_else(|| {
            no_solution(
                "logistic-mle",
                format!("the fixed point was lost at kappa = {k:.4} on the way to {kappa} (gamma = {gamma})"),
            )
        })?;
    }
    Ok(FixedPoint {
        alpha: x[0],
        sigma: x[1],
        lambda: x[2],
    })
}

/// The lower triangle of XᵀDX for D = diag(w) (all the Cholesky factorisation reads),
/// sequential.
fn weighted_gram(x: MatRef<'_, f64>, w: &[f64]) -> Mat<f64> {
    use faer::linalg::matmul::triangular::{matmul, BlockStructure};
    let xw = Mat::<f64>::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] * w[i].sqrt());
    let mut h = Mat::<f64>::zeros(x.ncols(), x.ncols());
    matmul(
        h.as_mut(),
        BlockStructure::TriangularLower,
        faer::Accum::Replace,
        xw.transpose(),
        BlockStructure::Rectangular,
        xw.as_ref(),
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
    h
}

/// The logistic log-likelihood loss Σ ln(1 + e^{η_i}) − y_i η_i at η = Xb.
fn loss(eta: &[f64], y: &[f64]) -> f64 {
    eta.iter()
        .zip(y)
        .map(|(&e, &yi)| e.max(0.0) + (-e.abs()).exp().ln_1p() - yi * e)
        .sum()
}

fn mat_vec(x: MatRef<'_, f64>, b: &[f64]) -> Vec<f64> {
    (0..x.nrows())
        .map(|i| (0..x.ncols()).map(|j| x[(i, j)] * b[j]).sum())
        .collect()
}

/// The unregularised logistic MLE by Newton's method with backtracking, from b = 0, until the
/// Newton decrement gᵀH⁻¹g < 1e-12·n (at most 100 steps; quadratic convergence makes the last
/// step's error far smaller). Separable data (no MLE: ‖b‖ runs off,
/// the Hessian degenerates, or no convergence) are a typed error.
pub fn logistic_mle(x: MatRef<'_, f64>, y: &[f64]) -> Result<Vec<f64>, SimError> {
    let (n, p) = (x.nrows(), x.ncols());
    let separable = |why: &str| {
        SimError::Numerical(format!(
            "logistic-mle: no MLE for this sample ({why}; the data look separable at n = {n}, p = {p})"
        ))
    };
    let mut b = vec![0.0; p];
    let mut eta = vec![0.0; n];
    let mut cur = loss(&eta, y);
    for _ in 0..100 {
        let s: Vec<f64> = eta.iter().map(|&e| sigmoid(e)).collect();
        let w: Vec<f64> = s.iter().map(|&v| v * (1.0 - v)).collect();
        let g = Col::<f64>::from_fn(p, |j| (0..n).map(|i| x[(i, j)] * (s[i] - y[i])).sum());
        let llt = weighted_gram(x, &w)
            .llt(Side::Lower)
            .map_err(|_| separable("the Hessian is singular"))?;
        let step = llt.solve(&g);
        let decrement: f64 = (0..p).map(|j| g[j] * step[j]).sum();
        // Below 1e-12·n the predicted decrease of the loss (itself O(n)) is round-off.
        if decrement < 1e-12 * n as f64 {
            return Ok(b);
        }
        let mut t = 1.0;
        loop {
            let nb: Vec<f64> = (0..p).map(|j| b[j] - t * step[j]).collect();
            let ne = mat_vec(x, &nb);
            let nl = loss(&ne, y);
            if nl <= cur - 0.25 * t * decrement || t < 1e-10 {
                (b, eta, cur) = (nb, ne, nl);
                break;
            }
            t *= 0.5;
        }
        if b.iter().map(|v| v * v).sum::<f64>() > 1e8 * p as f64 {
            return Err(separable("the coefficients diverge"));
        }
    }
    Err(separable("Newton's method did not converge in 100 steps"))
}

/// The check: axes `kappa` (p/n), `gamma2` (γ² = Var(xᵀβ)) and `d` (= p).
pub struct LogisticMle {
    /// Which formula.
    pub variant: Variant,
}

impl Check for LogisticMle {
    fn name(&self) -> &str {
        "logistic-mle"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["alpha", "sigma2"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.try_theory(p)
            .unwrap_or_else(|_| vec![None; self.quantities().len()])
    }
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        let fp = fixed_point(p.get("kappa"), p.get("gamma2").sqrt())?;
        Ok(match self.variant {
            Variant::Correct => vec![Some(fp.alpha), Some(fp.sigma * fp.sigma)],
            // Classical theory: unbiased (α = 1) with the inverse Fisher information's variance.
            Variant::Wrong => {
                let gamma = p.get("gamma2").sqrt();
                let info = crate::common::expect(|z| {
                    let s = sigmoid(gamma * z);
                    s * (1.0 - s)
                });
                vec![Some(1.0), Some(1.0 / info)]
            }
        })
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng).expect("the logistic trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let pdim = p.get("d") as usize;
        let n = (pdim as f64 / p.get("kappa")).round() as usize;
        let sd = 1.0 / (n as f64).sqrt();
        let x = Mat::<f64>::from_fn(n, pdim, |_, _| sd * rng.sample::<f64, _>(StandardNormal));
        let u: Vec<f64> = (0..pdim).map(|_| rng.sample(StandardNormal)).collect();
        let scale = p.get("gamma2").sqrt() * (n as f64).sqrt()
            / u.iter().map(|v| v * v).sum::<f64>().sqrt();
        let beta: Vec<f64> = u.iter().map(|v| v * scale).collect();
        let eta = mat_vec(x.as_ref(), &beta);
        let y: Vec<f64> = eta
            .iter()
            .map(|&e| f64::from(rng.random::<f64>() < sigmoid(e)))
            .collect();
        let b = logistic_mle(x.as_ref(), &y)?;
        let bb: f64 = beta.iter().map(|v| v * v).sum();
        let alpha = b.iter().zip(&beta).map(|(x, y)| x * y).sum::<f64>() / bb;
        let resid: f64 = b
            .iter()
            .zip(&beta)
            .map(|(x, y)| (x - alpha * y).powi(2))
            .sum();
        Ok(vec![alpha, resid / (pdim - 1) as f64])
    }
}

/// The default grid: κ ∈ {0.1, 0.15} × γ² ∈ {1, 5}, p = d = 100 (companion p = 24). The MLE
/// exists at every point (h(1) = 0.44, h(√5) = 0.33), and at the companion size a sample is
/// separable rarely enough for 200 trials: 0 of 20 000 at κ = 0.15, γ² = 5 (at κ = 0.2 it was 4
/// of 4000, too often for a run that stops at the first separable sample).
pub fn grid() -> Grid {
    Grid::new()
        .axis("kappa", &[0.1, 0.15])
        .axis("gamma2", &[1.0, 5.0])
        .axis("d", &[100.0])
}

/// Run the entry on its default grid.
pub fn run_entry(
    variant: Variant,
    size: f64,
    args: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    run(&LogisticMle { variant }, &crate::sized(grid(), size), args)
}
