//! `random-features`: the test error of random-features ridge regression across the width ratio
//! N/n (double descent, peak at N = n for a small ridge), from the Gaussian-equivalent model.
//!
//! Model: x ~ N(0, I_d), y = ⟨β, x⟩ + τε with ‖β‖ = 1, n = d samples; features
//! f_j(x) = tanh(⟨w_j, x⟩/√d), j = 1…N, w_j uniform on the sphere of radius √d; the ridge
//! â = argmin (1/n)‖y − Fa‖² + λ‖a‖² = (FᵀF/n + λI)⁻¹Fᵀy/n. The measured quantity is the test
//! error E(y − f(x)ᵀâ)² (noise included), on a fresh sample of 4d points.
//!
//! The formula (derived here; the equivalence as in Mei & Montanari 2022, Goldt et al. 2022):
//! tanh(u) ≈ μ1 u + μ* g with μ1 = E[z tanh z], μ*² = E tanh² − μ1², g independent noise, so the
//! features are Gaussian with covariance Σ = μ1² WWᵀ/d + μ*² I and y = θ*ᵀf + r with r independent,
//! θ* = Σ⁻¹Aβ (A = μ1W/√d) and Var r = s² = 1 + τ² − βᵀAᵀΣ⁻¹Aβ. Gaussian ridge regression's
//! deterministic equivalent (Hastie, Montanari, Rosset & Tibshirani 2022; Bach 2023) gives
//! R = (s² + κ² θ*ᵀΣ(Σ + κ)⁻²θ*)/(1 − df₂/n), with κ the root of λ = κ(1 − df₁(κ)/n),
//! df_k = tr Σ^k(Σ + κ)^{−k}; every trace is an integral over the Marchenko–Pastur law of
//! WWᵀ/d (ratio N/d), with β isotropic.

use crate::common::{bisect, expect, mul, no_solution, run};
use crate::Variant;
use engine::prelude::*;
use engine::HarnessError;

/// μ1 = E[z tanh z] and μ*² = E[tanh² z] − μ1² (z ~ N(0, 1)).
pub fn tanh_coefficients() -> (f64, f64) {
    let mu1 = expect(|z| z * z.tanh());
    (mu1, expect(|z| z.tanh().powi(2)) - mu1 * mu1)
}

/// (1/N) Σ_j f(ℓ_j) over the eigenvalues ℓ of WWᵀ/d (N × N, ratio c = N/d): the
/// Marchenko–Pastur law with an atom (1 − 1/c)₊ at 0; the continuous part by the substitution
/// ℓ = 1 + c + 2√c cos t and a 400-point midpoint rule in t (spectrally accurate: the integrand
/// is smooth and periodic).
fn mp_average(c: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (a, b) = (1.0 + c, 2.0 * c.sqrt());
    let m = 400;
    let h = std::f64::consts::PI / m as f64;
    let mut s = 0.0;
    for k in 0..m {
        let t = (k as f64 + 0.5) * h;
        let l = a + b * t.cos();
        s += f(l) * b * b * t.sin().powi(2) / (2.0 * std::f64::consts::PI * c * l) * h;
    }
    s + (1.0 - 1.0 / c).max(0.0) * f(0.0)
}

/// The parameters of one point.
#[derive(Debug, Clone, Copy)]
pub struct RfPoint {
    /// ψ1 = N/d.
    pub psi1: f64,
    /// ψ2 = n/d.
    pub psi2: f64,
    /// The ridge λ > 0.
    pub lambda: f64,
    /// The noise τ.
    pub noise: f64,
}

/// The limit test error R (see the module), κ by bisection on (0, ∞) to 1e-13 relative. The
/// wrong variant normalises the degrees of freedom by the number of features N instead of the
/// number of samples n (the wrong ψ-ratio). Refused (typed error) for λ ≤ 0 or non-positive ratios.
pub fn rf_test_error(p: RfPoint, variant: Variant) -> Result<f64, SimError> {
    if !(p.lambda > 0.0 && p.psi1 > 0.0 && p.psi2 > 0.0 && p.noise >= 0.0) {
        return Err(SimError::InvalidInput(format!(
            "random-features needs lambda > 0, N/d > 0, n/d > 0, noise >= 0; got {p:?}"
        )));
    }
    let (mu1, mus2) = tanh_coefficients();
    let c = p.psi1;
    let s = |l: f64| mu1 * mu1 * l + mus2;
    // N/n, or 1 in the wrong variant (traces divided by N instead of n).
    let ratio = match variant {
        Variant::Correct => p.psi1 / p.psi2,
        Variant::Wrong => 1.0,
    };
    let df1 = |k: f64| ratio * mp_average(c, |l| s(l) / (s(l) + k));
    let h = |k: f64| 1.0 - df1(k) - p.lambda / k;
    let mut hi = 1.0f64;
    while h(hi) <= 0.0 {
        hi *= 2.0;
        if hi > 1e15 {
            return Err(no_solution(
                "random-features",
                format!("no effective ridge at {p:?}"),
            ));
        }
    }
    let k = bisect(h, 1e-15 * hi, hi, 1e-13).ok_or_else(|| {
        no_solution(
            "random-features",
            format!("the effective ridge is not bracketed at {p:?}"),
        )
    })?;
    let df2 = ratio * mp_average(c, |l| (s(l) / (s(l) + k)).powi(2));
    if df2 >= 1.0 {
        return Err(no_solution(
            "random-features",
            format!("df2/n = {df2} >= 1 at {p:?}"),
        ));
    }
    let explained = c * mp_average(c, |l| mu1 * mu1 * l / s(l));
    let signal = c * mp_average(c, |l| mu1 * mu1 * l / ((s(l) + k).powi(2) * s(l)));
    let resid = 1.0 + p.noise * p.noise - explained;
    Ok((resid + k * k * signal) / (1.0 - df2))
}

/// tanh(XWᵀ/√d) for X (m × d) and W (N × d), sequential.
fn features(x: MatRef<'_, f64>, w: MatRef<'_, f64>) -> Mat<f64> {
    let mut pre = Mat::<f64>::zeros(x.nrows(), w.nrows());
    let scale = 1.0 / (x.ncols() as f64).sqrt();
    faer::linalg::matmul::matmul(
        pre.as_mut(),
        faer::Accum::Replace,
        x,
        w.transpose(),
        scale,
        Par::Seq,
    );
    Mat::<f64>::from_fn(x.nrows(), w.nrows(), |i, j| pre[(i, j)].tanh())
}

/// One draw: train the ridge on n samples, return the test error on 4d fresh samples.
fn rf_trial(
    d: usize,
    n: usize,
    big: usize,
    lambda: f64,
    noise: f64,
    rng: &mut UnitRng,
) -> Result<f64, SimError> {
    let mut normal = || -> f64 { rng.sample(StandardNormal) };
    let raw: Vec<f64> = (0..d).map(|_| normal()).collect();
    let bn = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
    let beta = Col::<f64>::from_fn(d, |k| raw[k] / bn);
    let w = Mat::<f64>::from_fn(big, d, |_, _| normal());
    let wn: Vec<f64> = (0..big)
        .map(|j| (d as f64).sqrt() / w.row(j).norm_l2())
        .collect();
    let w = Mat::<f64>::from_fn(big, d, |j, k| w[(j, k)] * wn[j]);
    let draw = |m: usize, normal: &mut dyn FnMut() -> f64| {
        let x = Mat::<f64>::from_fn(m, d, |_, _| normal());
        let y = Col::<f64>::from_fn(m, |i| (0..d).map(|k| x[(i, k)] * beta[k]).sum::<f64>());
        let y = Col::<f64>::from_fn(m, |i| y[i] + noise * normal());
        (x, y)
    };
    let (x, y) = draw(n, &mut normal);
    let f = features(x.as_ref(), w.as_ref());
    let mut gram = Mat::<f64>::zeros(big, big);
    faer::linalg::matmul::matmul(
        gram.as_mut(),
        faer::Accum::Replace,
        f.transpose(),
        f.as_ref(),
        1.0 / n as f64,
        Par::Seq,
    );
    for j in 0..big {
        gram[(j, j)] += lambda;
    }
    let rhs = Col::<f64>::from_fn(big, |j| {
        (0..n).map(|i| f[(i, j)] * y[i]).sum::<f64>() / n as f64
    });
    let a = gram
        .llt(Side::Lower)
        .map_err(|e| {
            SimError::Numerical(format!(
                "random-features: the ridge system is not positive definite: {e:?}"
            ))
        })?
        .solve(&rhs);
    let m = 4 * d;
    let (xt, yt) = draw(m, &mut normal);
    let ft = features(xt.as_ref(), w.as_ref());
    let a = Mat::<f64>::from_fn(big, 1, |j, _| a[j]);
    let pred = mul(ft.as_ref(), a.as_ref());
    Ok((0..m).map(|i| (yt[i] - pred[(i, 0)]).powi(2)).sum::<f64>() / m as f64)
}

/// The check: axes `psi1` (N/d; N/n too, since n = d), `lambda`, `noise` and `d`.
pub struct RandomFeatures {
    /// Which formula.
    pub variant: Variant,
}

fn point(p: &Params) -> RfPoint {
    RfPoint {
        psi1: p.get("psi1"),
        psi2: 1.0,
        lambda: p.get("lambda"),
        noise: p.get("noise"),
    }
}

impl Check for RandomFeatures {
    fn name(&self) -> &str {
        "random-features"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["test_error"]
    }
    fn value_label(&self) -> String {
        "test error E(y − f(x)ᵀâ)²".into()
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.try_theory(p)
            .unwrap_or_else(|_| vec![None; self.quantities().len()])
    }
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        Ok(vec![Some(rf_test_error(point(p), self.variant)?)])
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng).expect("the random-features trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let d = p.get("d") as usize;
        let big = (p.get("psi1") * d as f64).round() as usize;
        Ok(vec![rf_trial(
            d,
            d,
            big,
            p.get("lambda"),
            p.get("noise"),
            rng,
        )?])
    }
}

/// The default grid: N/n ∈ {0.5, 1, 2, 4} (both sides of the peak at N = n), λ ∈ {0.01, 0.1},
/// noise τ ∈ {0, 0.5}, n = d = 100 (companion 24).
pub fn grid() -> Grid {
    Grid::new()
        .axis("psi1", &[0.5, 1.0, 2.0, 4.0])
        .axis("lambda", &[0.01, 0.1])
        .axis("noise", &[0.0, 0.5])
        .axis("d", &[100.0])
}

/// Run the entry on its default grid.
pub fn run_entry(
    variant: Variant,
    size: f64,
    args: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    run(
        &RandomFeatures { variant },
        &crate::sized(grid(), size),
        args,
    )
}
