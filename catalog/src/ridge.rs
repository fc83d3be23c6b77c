//! Ridge regression in proportional asymptotics: y = Xβ + σε, rows x ~ N(0, Σ), γ = d/n,
//! β̂ = argmin (1/n)‖y − Xβ‖² + λ‖β‖² = (S + λ)⁻¹ Xᵀy/n with S = XᵀX/n. The measured quantity
//! is the exact out-of-sample excess risk of each fit, (β̂ − β)ᵀ Σ (β̂ − β) (no test sample),
//! with β drawn uniformly on the sphere of radius r afresh in every trial (so the formula is
//! the risk averaged over β's direction; for Σ = I it does not depend on it); and, from the
//! same trial, that risk averaged exactly over β's direction and the noise given X (a
//! Rao–Blackwellised estimate of the same mean, with far less noise: the bias term of one fit
//! varies by ~√(2/d) relative with β's direction). Two checks:
//! isotropic Σ over λ across decades, and the min-norm interpolator (λ → 0⁺) with a two-level Σ
//! over γ (double descent).

use crate::rmt::{eigen, gaussian, part_args};
use crate::{Entry, Variant};
use engine::prelude::*;
use engine::HarnessError;

/// The entry's name.
pub const NAME: &str = "ridge";

/// ‖β‖ in every trial.
pub const R: f64 = 1.0;

/// The noise level of the min-norm check.
pub const SIGMA_MIN_NORM: f64 = 0.5;

/// The two-level population spectrum of the min-norm check: half the eigenvalues each.
pub const TWO_LEVEL: [f64; 2] = [2.0, 0.5];

/// The catalog entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    formula: "Σ = I: R(λ) = r²λ² m′(−λ) + σ²γ (m(−λ) − λ m′(−λ)), m the MP Stieltjes transform; min-norm, general Σ: R = κ² r² (1/d) tr Σ(Σ + κ)⁻² / (1 − γ df₂) + σ² γ df₂ / (1 − γ df₂), df₂ = (1/d) tr Σ²(Σ + κ)⁻², κ = 0 (γ < 1) or the root of γ (1/d) tr Σ(Σ + κ)⁻¹ = 1 (γ > 1)",
    source: "Dobriban & Wager 2018, Thm 2.1 (Σ = I); Hastie, Montanari, Rosset & Tibshirani 2022, Thm 1 (Σ = I, λ → 0⁺) and Thm 2 (general Σ, min-norm)",
    measures: "exact excess risk (β̂ − β)ᵀΣ(β̂ − β) of each fit, β uniform on the sphere ‖β‖ = 1 per trial, and the same averaged exactly over β and ε given X: Σ = I, λ ∈ {0.01, 0.1, 1, 10}, γ ∈ {0.5, 2}, σ ∈ {0, 1}, d = 200; min-norm, Σ with eigenvalues 2 and 0.5 (half each), σ = 0.5, γ ∈ {0.5, 0.8, 1.5, 3}, d = 240",
    wrong: "the noise (variance) term left out",
    run,
};

/// The Marchenko–Pastur Stieltjes transform at −λ < 0 and its derivative, (m(−λ), m′(−λ)):
/// m the positive root of γλm² + (λ + 1 − γ)m − 1 = 0 (Bai & Silverstein 2010, Lemma 3.11 at
/// z = −λ), m′ by implicit differentiation.
pub fn mp_at_minus(gamma: f64, lambda: f64) -> (f64, f64) {
    let b = lambda + 1.0 - gamma;
    let root = (b * b + 4.0 * gamma * lambda).sqrt();
    // m = (−b + root)/(2γλ), written without the cancellation for large λ.
    let m = 2.0 / (b + root);
    (m, (gamma * m * m + m) / root)
}

/// The companion transform m̲(−λ) = γ m(−λ) + (1 − γ)/λ (the spectrum of XXᵀ/n, without the
/// atom of S at 0) and its derivative: m̲ the positive root of λm̲² + (λ + γ − 1)m̲ − 1 = 0
/// (Silverstein's equation z = −1/m̲ + γ/(1 + m̲) at z = −λ).
pub fn companion_at_minus(gamma: f64, lambda: f64) -> (f64, f64) {
    let b = lambda + gamma - 1.0;
    let root = (b * b + 4.0 * lambda).sqrt();
    let m = 2.0 / (b + root);
    (m, (m * m + m) / root)
}

/// Ridge excess risk for Σ = I, ‖β‖ = r, λ > 0 (Dobriban & Wager 2018, Thm 2.1):
/// r²λ² m′(−λ) + σ²γ (m(−λ) − λ m′(−λ)). `noise = false` leaves out the σ² term. For γ > 1,
/// m has the atom (1 − 1/γ)/λ, whose parts cancel in both terms; they are evaluated through
/// the companion transform (λ²m′ = (λ²m̲′ + γ − 1)/γ, m − λm′ = (m̲ − λm̲′)/γ), which keeps
/// them accurate as λ → 0⁺.
pub fn isotropic_risk(gamma: f64, lambda: f64, r: f64, sigma: f64, noise: bool) -> f64 {
    let (bias, variance) = if gamma > 1.0 {
        let (m, dm) = companion_at_minus(gamma, lambda);
        (
            (lambda * lambda * dm + gamma - 1.0) / gamma,
            (m - lambda * dm) / gamma,
        )
    } else {
        let (m, dm) = mp_at_minus(gamma, lambda);
        (lambda * lambda * dm, m - lambda * dm)
    };
    let noise_part = if noise {
        sigma * sigma * gamma * variance
    } else {
        0.0
    };
    r * r * bias + noise_part
}

/// The effective regularisation κ of ridge with penalty λ ≥ 0 for a population spectrum
/// `spectrum` (equal weights): the root of κ (1 − γ ∫ s/(s + κ) dH) = λ, by bisection on the
/// bracket [λ, λ + γ ∫ s dH] to a relative width of 1e-14. At λ = 0 it is 0 for γ < 1 and the
/// positive root of γ ∫ s/(s + κ) dH = 1 for γ > 1; at λ = 0, γ = 1 there is none (the risk
/// is infinite): an error.
pub fn kappa(lambda: f64, gamma: f64, spectrum: &[f64]) -> Result<f64, SimError> {
    let mean = |f: &dyn Fn(f64) -> f64| {
        spectrum.iter().map(|&s| f(s)).sum::<f64>() / spectrum.len() as f64
    };
    let valid = lambda >= 0.0
        && lambda.is_finite()
        && gamma > 0.0
        && gamma.is_finite()
        && !spectrum.is_empty()
        && spectrum.iter().all(|&s| s > 0.0 && s.is_finite());
    if !valid {
        return Err(SimError::InvalidInput(format!(
            "ridge needs λ ≥ 0, γ > 0 and a positive population spectrum (λ = {lambda}, γ = {gamma})"
        )));
    }
    if lambda == 0.0 && gamma < 1.0 {
        return Ok(0.0);
    }
    if lambda == 0.0 && gamma == 1.0 {
        return Err(SimError::InvalidParameter {
            name: "gamma",
            reason: "the min-norm interpolator's risk is infinite at γ = 1 (no κ solves the fixed point)".into(),
        });
    }
    // g is convex in κ, negative at λ (or at 0⁺ when λ = 0 and γ > 1) and ≥ 0 at the top.
    let g = |k: f64| k * (1.0 - gamma * mean(&|s| s / (s + k))) - lambda;
    let (mut lo, mut hi) = (lambda, lambda + gamma * mean(&|s| s));
    if lambda == 0.0 {
        // At κ = 0 g is 0; the positive root is where 1 − γ ∫ s/(s + κ) changes sign.
        lo = 0.0;
        hi = (gamma - 1.0) * spectrum.iter().cloned().fold(0.0, f64::max);
    }
    let h = |k: f64| {
        if lambda == 0.0 {
            1.0 - gamma * mean(&|s| s / (s + k))
        } else {
            g(k)
        }
    };
    let top = h(hi);
    if top.is_nan() || top < 0.0 {
        return Err(SimError::Numerical(format!(
            "no κ in [{lo}, {hi}] for λ = {lambda}, γ = {gamma}"
        )));
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if h(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-14 * hi {
            break;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Ridge excess risk for a population spectrum (equal weights), β uniform on the sphere of
/// radius r, through κ = [`kappa`]: with df₂ = ∫ s²/(s + κ)² dH,
/// bias κ² r² ∫ s/(s + κ)² dH / (1 − γ df₂), variance σ² γ df₂ / (1 − γ df₂) (Hastie et al.
/// 2022, Thm 2 at λ → 0⁺; the same deterministic equivalent at λ > 0).
pub fn risk(
    lambda: f64,
    gamma: f64,
    spectrum: &[f64],
    r: f64,
    sigma: f64,
    noise: bool,
) -> Result<f64, SimError> {
    let k = kappa(lambda, gamma, spectrum)?;
    let mean = |f: &dyn Fn(f64) -> f64| {
        spectrum.iter().map(|&s| f(s)).sum::<f64>() / spectrum.len() as f64
    };
    let df2 = mean(&|s| (s / (s + k)).powi(2));
    let denom = 1.0 - gamma * df2;
    if denom <= 0.0 {
        return Err(SimError::Numerical(format!(
            "1 − γ df₂ = {denom} ≤ 0 at λ = {lambda}, γ = {gamma}: the risk is infinite"
        )));
    }
    let bias = k * k * r * r * mean(&|s| s / ((s + k) * (s + k))) / denom;
    let variance = if noise {
        sigma * sigma * gamma * df2 / denom
    } else {
        0.0
    };
    Ok(bias + variance)
}

/// The population spectrum of the min-norm check at dimension d: the first half 2, the rest 0.5.
pub fn two_level(d: usize) -> Vec<f64> {
    (0..d)
        .map(|j| {
            if j < d / 2 {
                TWO_LEVEL[0]
            } else {
                TWO_LEVEL[1]
            }
        })
        .collect()
}

/// One ridge fit on fresh data, for Σ = diag(s), n samples, penalty λ (0: the min-norm
/// interpolator), noise σ, β uniform on the sphere ‖β‖ = r. Returns (the exact excess risk
/// (β̂ − β)ᵀΣ(β̂ − β) of this fit, the same averaged exactly over β's direction and ε given X).
/// With S = XᵀX/n = Σᵢ eᵢuᵢuᵢᵀ, A = (S + λ)⁻¹ (S⁺ at λ = 0) and qᵢ = uᵢᵀΣuᵢ, the average is
/// (r²/d) Σᵢ (1 − aᵢeᵢ)² qᵢ + (σ²/n) Σᵢ aᵢ² eᵢ qᵢ, aᵢ the eigenvalues of A (β̂ − β =
/// −(I − AS)β + σ A Xᵀε/n, E ββᵀ = r²I/d, E εεᵀ = I).
pub fn ridge_trial(
    s: &[f64],
    n: usize,
    lambda: f64,
    sigma: f64,
    rng: &mut UnitRng,
) -> Result<(f64, f64), SimError> {
    let d = s.len();
    let g = gaussian(rng, d, 1);
    let norm = g.col(0).norm_l2();
    let beta = Col::<f64>::from_fn(d, |j| R * g[(j, 0)] / norm);
    let mut x = gaussian(rng, n, d);
    for (j, &sj) in s.iter().enumerate() {
        let root = sj.sqrt();
        for i in 0..n {
            x[(i, j)] *= root;
        }
    }
    let eps = gaussian(rng, n, 1);
    let y = Col::<f64>::from_fn(n, |i| sigma * eps[(i, 0)]) + &x * &beta;
    let (e, u) = eigen(crate::rmt::gram(x.as_ref()).as_ref())?;
    // S has rank min(n, d): its d − rank smallest eigenvalues are 0 (up to rounding).
    let rank = n.min(d);
    let a: Vec<f64> = (0..d)
        .map(|i| match (lambda > 0.0, i >= d - rank) {
            (true, _) => 1.0 / (e[i] + lambda),
            (false, true) => 1.0 / e[i],
            (false, false) => 0.0,
        })
        .collect();
    let c = u.transpose() * (x.transpose() * &y) * faer::Scale(1.0 / n as f64);
    let coef = Col::<f64>::from_fn(d, |i| a[i] * c[i]);
    let err = &u * coef - &beta;
    let raw = (0..d).map(|j| s[j] * err[j] * err[j]).sum();
    let q = |i: usize| (0..d).map(|k| s[k] * u[(k, i)] * u[(k, i)]).sum::<f64>();
    let ae = |i: usize| if a[i] == 0.0 { 0.0 } else { a[i] * e[i] };
    let averaged = (0..d)
        .map(|i| {
            let qi = q(i);
            R * R / d as f64 * (1.0 - ae(i)).powi(2) * qi
                + sigma * sigma / n as f64 * a[i] * ae(i) * qi
        })
        .sum();
    Ok((raw, averaged))
}

/// Which family of rows a check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Σ = I over λ, γ, σ.
    Isotropic,
    /// The min-norm interpolator (λ → 0⁺) with the two-level Σ over γ.
    MinNorm,
}

/// The ridge check for one family of rows.
pub struct Ridge {
    /// The published formula or the wrong one.
    pub variant: Variant,
    /// Which rows.
    pub part: Part,
}

impl Check for Ridge {
    fn name(&self) -> &str {
        PARTS
            .iter()
            .find(|(p, _)| *p == self.part)
            .map_or(NAME, |(_, name)| name)
    }
    fn settings(&self) -> String {
        match self.part {
            Part::Isotropic => format!("r={R}"),
            Part::MinNorm => format!("r={R},sigma={SIGMA_MIN_NORM},sigma_x={TWO_LEVEL:?}"),
        }
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["excess_risk", "excess_risk_given_X"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.try_theory(p).ok().unwrap_or_else(|| vec![None, None])
    }
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        let noise = self.variant == Variant::Correct;
        let g = p.get("gamma");
        let r = match self.part {
            Part::Isotropic => isotropic_risk(g, p.get("lambda"), R, p.get("sigma"), noise),
            Part::MinNorm => risk(0.0, g, &TWO_LEVEL, R, SIGMA_MIN_NORM, noise)?,
        };
        Ok(vec![Some(r), Some(r)])
    }
    fn trial(&self, _: &Params, _: &mut UnitRng) -> Vec<f64> {
        unreachable!("try_trial is the trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let d = p.get("d") as usize;
        let n = (d as f64 / p.get("gamma")).round() as usize;
        let (raw, averaged) = match self.part {
            Part::Isotropic => ridge_trial(&vec![1.0; d], n, p.get("lambda"), p.get("sigma"), rng)?,
            Part::MinNorm => ridge_trial(&two_level(d), n, 0.0, SIGMA_MIN_NORM, rng)?,
        };
        Ok(vec![raw, averaged])
    }
    /// The risk is a smooth functional of the resolvent of S at −λ (or, at λ → 0⁺, of the
    /// inverse of the nonsingular one of XᵀX, XXᵀ), whose Gaussian mean has an O(1/d)
    /// correction (for γ < 1 exactly: E tr(XᵀX)⁻¹ = d/(n − d − 1), a relative bias
    /// 1/(n(1 − γ))): rate 1. The constant grows like 1/|1 − γ|.
    fn slowest_rate(&self) -> f64 {
        1.0
    }
    fn value_label(&self) -> String {
        "excess risk (β̂ − β)ᵀΣ(β̂ − β)".into()
    }
}

/// The grid of one part. Isotropic: λ over four decades, γ on both sides of 1, σ = 0 and 1,
/// d = 200. Min-norm: γ on both sides of the interpolation peak at 1, d = 240 (so that n = d/γ
/// is whole at d and at its companion 60).
pub fn grid(part: Part) -> Grid {
    match part {
        Part::Isotropic => Grid::new()
            .axis("lambda", &[0.01, 0.1, 1.0, 10.0])
            .axis("gamma", &[0.5, 2.0])
            .axis("sigma", &[0.0, 1.0])
            .axis("d", &[200.0]),
        Part::MinNorm => Grid::new()
            .axis("gamma", &[0.5, 0.8, 1.5, 3.0])
            .axis("d", &[240.0]),
    }
}

/// The parts of the entry and their checks' names (also their output folders' names).
pub const PARTS: [(Part, &str); 2] = [
    (Part::Isotropic, "ridge-isotropic"),
    (Part::MinNorm, "ridge-min-norm"),
];

/// Run one part on its default grid, its d multiplied by `size` ([`crate::sized`]), as the
/// entry runs it (its own folder, α / parts).
pub fn run_part(
    variant: Variant,
    part: Part,
    size: f64,
    a: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    let c = Ridge { variant, part };
    run_check(
        &c,
        &crate::sized(grid(part), size),
        &part_args(a, NAME, c.name(), PARTS.len()),
    )
}

/// Run both checks on their grids; the entry's verdict is the worse.
pub fn run(variant: Variant, size: f64, a: &CommonArgs) -> Result<RunVerdict, HarnessError> {
    crate::rmt::run_all(&PARTS, |part| run_part(variant, part, size, a))
}
