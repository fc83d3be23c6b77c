//! `lasso-amp`: the Lasso's risk from AMP's state evolution (Bayati & Montanari 2012).
//!
//! Model: y = Aβ + w, A n × N with i.i.d. N(0, 1/n) entries, δ = n/N, β_i i.i.d. from
//! (1 − ε)δ₀ + ε N(0, 1), w ~ N(0, σ² I_n); the Lasso β̂ = argmin ½‖y − Ab‖² + λ‖b‖₁. The
//! measured quantity is ‖β̂ − β‖²/N.

use crate::common::{bisect, no_solution, phi, run, upper_tail};
use crate::Variant;
use engine::prelude::*;
use engine::HarnessError;

/// E η(Z; a)² = 2[(1 + a²)Φ(−a) − aφ(a)] for the soft threshold η, Z ~ N(0, 1).
fn soft_sq(a: f64) -> f64 {
    2.0 * ((1.0 + a * a) * upper_tail(a) - a * phi(a))
}

/// E(η(X + τZ; θτ) − X)² for X ~ (1 − ε)δ₀ + εN(0, 1), in closed form (the Gaussian part via
/// S = X + τZ ~ N(0, 1 + τ²), E[X | S] = S/(1 + τ²) and Stein's lemma).
pub fn denoiser_mse(tau: f64, theta: f64, eps: f64) -> f64 {
    let s2 = 1.0 + tau * tau;
    let a = theta * tau / s2.sqrt();
    let gauss = s2 * soft_sq(a) - 4.0 * upper_tail(a) + 1.0;
    (1.0 - eps) * tau * tau * soft_sq(theta) + eps * gauss.max(0.0)
}

/// E η′(X + τZ; θτ) = P(|X + τZ| > θτ).
fn denoiser_slope(tau: f64, theta: f64, eps: f64) -> f64 {
    let a = theta * tau / (1.0 + tau * tau).sqrt();
    (1.0 - eps) * 2.0 * upper_tail(theta) + eps * 2.0 * upper_tail(a)
}

/// The state-evolution fixed point τ*² = σ² + E(η(X + τ*Z; θτ*) − X)²/δ (Bayati & Montanari
/// 2012, eq. (1.7)), by bisection in τ² to 1e-13 relative; the largest root (0 when the only
/// fixed point is τ = 0, at σ = 0 in the recovery region). None if the map has no fixed point
/// (θ ≤ α_min: E η(Z; θ)² ≥ δ).
pub fn state_evolution(theta: f64, delta: f64, eps: f64, sigma: f64) -> Option<f64> {
    let g = |t: f64| sigma * sigma + denoiser_mse(t.sqrt(), theta, eps) / delta - t;
    let mut hi = 1.0f64.max(2.0 * sigma * sigma);
    while g(hi) >= 0.0 {
        hi *= 2.0;
        if hi > 1e12 {
            return None;
        }
    }
    let lo = 1e-14 * hi;
    if g(lo) <= 0.0 {
        // σ = 0 and τ = 0 is the only (stable) fixed point.
        return Some(0.0);
    }
    bisect(g, lo, hi, 1e-13).map(f64::sqrt)
}

/// The δ that state evolution divides the denoiser's error by: δ itself, or 1 in the wrong
/// variant (the undersampling factor 1/δ of eq. (1.7) forgotten).
fn se_delta(delta: f64, variant: Variant) -> f64 {
    match variant {
        Variant::Correct => delta,
        Variant::Wrong => 1.0,
    }
}

/// The Lasso penalty that AMP with threshold θ calibrates to: λ(θ) = θτ*(1 − E η′/δ)
/// (Bayati & Montanari 2012, eq. (1.9)).
fn penalty(theta: f64, delta: f64, eps: f64, sigma: f64, variant: Variant) -> f64 {
    match state_evolution(theta, se_delta(delta, variant), eps, sigma) {
        None => f64::NEG_INFINITY,
        Some(tau) => theta * tau * (1.0 - denoiser_slope(tau, theta, eps) / delta),
    }
}

/// α_min: the θ below which state evolution has no fixed point, E η(Z; θ)² = δ (0 for δ ≥ 1).
fn alpha_min(delta: f64) -> f64 {
    if delta >= 1.0 {
        0.0
    } else {
        bisect(|a| soft_sq(a) - delta, 0.0, 40.0, 1e-14).unwrap_or(0.0)
    }
}

/// Bayati & Montanari 2012, Thm 1.5: ‖β̂ − β‖²/N → E(η(X + τ*Z; θτ*) − X)² = δ(τ*² − σ²),
/// with θ the calibration of λ (bisection in θ on (α_min, ∞), to 1e-12 relative). Refused
/// (typed error) where no θ calibrates to λ.
pub fn lasso_mse(
    lambda: f64,
    delta: f64,
    eps: f64,
    sigma: f64,
    variant: Variant,
) -> Result<f64, SimError> {
    if !(lambda > 0.0 && delta > 0.0 && eps > 0.0 && eps <= 1.0 && sigma >= 0.0) {
        return Err(SimError::InvalidInput(format!(
            "lasso-amp needs lambda > 0, delta > 0, 0 < eps <= 1, noise >= 0; got lambda = {lambda}, delta = {delta}, eps = {eps}, noise = {sigma}"
        )));
    }
    let amin = alpha_min(se_delta(delta, variant));
    let mut hi = amin + 1.0;
    while penalty(hi, delta, eps, sigma, variant) < lambda {
        hi = amin + 2.0 * (hi - amin);
        if hi > 1e9 {
            return Err(no_solution(
                "lasso-amp",
                format!("no threshold calibrates to lambda = {lambda}"),
            ));
        }
    }
    // Down from hi towards α_min until λ(θ) < λ: the bracket of the root on the branch of large
    // thresholds (λ(θ) is increasing for the correct calibration; the wrong one, θτ*, is not).
    let mut lo = hi;
    while penalty(lo, delta, eps, sigma, variant) >= lambda {
        lo = amin + 0.5 * (lo - amin);
        if lo - amin < 1e-9 {
            return Err(no_solution(
                "lasso-amp",
                format!("the calibration lambda(theta) = {lambda} has no bracketed root (delta = {delta}, eps = {eps}, noise = {sigma})"),
            ));
        }
    }
    let f = |t: f64| {
        let l = penalty(t, delta, eps, sigma, variant);
        if l.is_finite() {
            l - lambda
        } else {
            -lambda
        }
    };
    let theta = bisect(f, lo, hi, 1e-12).ok_or_else(|| {
        no_solution(
            "lasso-amp",
            format!("the calibration lambda(theta) = {lambda} has no bracketed root (delta = {delta}, eps = {eps}, noise = {sigma})"),
        )
    })?;
    let tau = state_evolution(theta, se_delta(delta, variant), eps, sigma).ok_or_else(|| {
        no_solution(
            "lasso-amp",
            format!("no state-evolution fixed point at theta = {theta}"),
        )
    })?;
    Ok(denoiser_mse(tau, theta, eps))
}

/// The soft threshold η(x; t) = sign(x)(|x| − t)₊.
fn soft(x: f64, t: f64) -> f64 {
    x.signum() * (x.abs() - t).max(0.0)
}

/// The Lasso argmin ½‖y − Ab‖² + λ‖b‖₁ by cyclic coordinate descent (A given by columns), until
/// no coordinate moves by more than 1e-10 in a sweep and the KKT conditions hold to 1e-7·λ
/// (a solution that accurate moves ‖β̂ − β‖²/N by less than 1e-9); a typed error after 20 000
/// sweeps.
pub fn lasso_cd(cols: &[Vec<f64>], y: &[f64], lambda: f64) -> Result<Vec<f64>, SimError> {
    let norms: Vec<f64> = cols.iter().map(|c| c.iter().map(|v| v * v).sum()).collect();
    let mut b = vec![0.0; cols.len()];
    let mut r = y.to_vec();
    let dot = |c: &[f64], r: &[f64]| c.iter().zip(r).map(|(a, b)| a * b).sum::<f64>();
    for _ in 0..20_000 {
        let mut moved = 0.0f64;
        for (j, c) in cols.iter().enumerate() {
            let z = b[j] + dot(c, &r) / norms[j];
            let new = soft(z, lambda / norms[j]);
            let step = new - b[j];
            if step != 0.0 {
                r.iter_mut().zip(c).for_each(|(ri, ci)| *ri -= step * ci);
                b[j] = new;
                moved = moved.max(step.abs());
            }
        }
        if moved < 1e-10 {
            let kkt = cols.iter().zip(&b).all(|(c, &bj)| {
                let g = dot(c, &r);
                if bj == 0.0 {
                    g.abs() <= lambda * (1.0 + 1e-7)
                } else {
                    (g - lambda * bj.signum()).abs() <= 1e-7 * lambda
                }
            });
            if kkt {
                return Ok(b);
            }
        }
    }
    Err(SimError::Numerical(format!(
        "lasso-amp: coordinate descent did not converge in 20000 sweeps (lambda = {lambda})"
    )))
}

/// The check: axes `delta` (n/N), `eps` (sparsity), `lambda`, `noise` (σ) and `d` (= N).
pub struct LassoAmp {
    /// Which formula.
    pub variant: Variant,
}

impl Check for LassoAmp {
    fn name(&self) -> &str {
        "lasso-amp"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["mse"]
    }
    fn value_label(&self) -> String {
        "‖β̂ − β‖²/N".into()
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.try_theory(p)
            .unwrap_or_else(|_| vec![None; self.quantities().len()])
    }
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        let (l, d, e, s) = (
            p.get("lambda"),
            p.get("delta"),
            p.get("eps"),
            p.get("noise"),
        );
        Ok(vec![Some(lasso_mse(l, d, e, s, self.variant)?)])
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng).expect("the Lasso trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let big = p.get("d") as usize;
        let n = (p.get("delta") * big as f64).round() as usize;
        let sd = 1.0 / (n as f64).sqrt();
        let mut normal = || -> f64 { rng.sample(StandardNormal) };
        let cols: Vec<Vec<f64>> = (0..big)
            .map(|_| (0..n).map(|_| sd * normal()).collect())
            .collect();
        let eps = p.get("eps");
        let beta: Vec<f64> = (0..big)
            .map(|_| {
                let u: f64 = rng.random();
                let z: f64 = rng.sample(StandardNormal);
                if u < eps {
                    z
                } else {
                    0.0
                }
            })
            .collect();
        let sigma = p.get("noise");
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let signal: f64 = cols.iter().zip(&beta).map(|(c, b)| c[i] * b).sum();
                signal + sigma * rng.sample::<f64, _>(StandardNormal)
            })
            .collect();
        let b = lasso_cd(&cols, &y, p.get("lambda"))?;
        let mse = b
            .iter()
            .zip(&beta)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            / big as f64;
        Ok(vec![mse])
    }
}

/// The default grid: δ ∈ {0.5, 1}, ε ∈ {0.1, 0.2}, λ over two decades {0.1, 1, 10}
/// (at λ = 0.01, δ = 0.5 coordinate descent needed more than 20 000 sweeps on some draws), noise
/// σ ∈ {0, 0.2}, N = d = 200 (companion N = 48).
pub fn grid() -> Grid {
    Grid::new()
        .axis("delta", &[0.5, 1.0])
        .axis("eps", &[0.1, 0.2])
        .axis("lambda", &[0.1, 1.0, 10.0])
        .axis("noise", &[0.0, 0.2])
        .axis("d", &[200.0])
}

/// Run the entry on its default grid.
pub fn run_entry(
    variant: Variant,
    size: f64,
    args: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    run(&LassoAmp { variant }, &crate::sized(grid(), size), args)
}
