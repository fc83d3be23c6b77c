//! The one-step updates of the single-index simulation, as maps on the gradient
//! (docs/one-step-methods.md): SGD and KFAC (the paper's), square-root KFAC, input whitening,
//! coordinate batch-norm, one step of Adam, Shampoo and Muon.

use crate::kernels::{gram, product, symmetric_eigen};
use engine::experiment::SimError;
use faer::{Mat, MatMut, MatRef, Par};

/// A one-step update rule compared in the single-index model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneStep {
    /// G (Theorem 3.9).
    Sgd,
    /// G P⁻¹, P = XᵀX/n + λI (Corollary 3.11).
    Kfac,
    /// G P^{-1/2}: the square-root Kronecker factor (Shampoo-style exponent on KFAC's factor).
    SqrtKfac,
    /// Input whitening x ↦ Σ̂^{-1/2} x with the sample second moment (ZCA), then SGD.
    Whiten,
    /// Coordinate batch-norm of the input, x_j ↦ (x_j − μ̂_j)/σ̂_j, then SGD.
    BatchNorm,
    /// One step of Adam from zero moments (bias-corrected): G / (|G| + ε), entry-wise.
    Adam,
    /// One step of Shampoo: (GGᵀ + εI)^{-1/4} G (GᵀG + εI)^{-1/4}.
    Shampoo,
    /// One step of Muon: G orthogonalised by five quintic Newton–Schulz iterations.
    Muon,
    /// G (XᵀX/n + λI)^{-p}, the power family between SGD (p = 0) and KFAC (p = 1); p in
    /// thousandths (`kfac-power:0.25` is 250).
    KfacPower(u16),
}

impl OneStep {
    /// Every method, in the order of `--methods all`.
    pub const ALL: [OneStep; 8] = [
        OneStep::Sgd,
        OneStep::Kfac,
        OneStep::SqrtKfac,
        OneStep::Whiten,
        OneStep::BatchNorm,
        OneStep::Adam,
        OneStep::Shampoo,
        OneStep::Muon,
    ];

    /// The name used on the command line and in the `method` column.
    pub fn name(self) -> &'static str {
        match self {
            OneStep::Sgd => "sgd",
            OneStep::Kfac => "kfac",
            OneStep::SqrtKfac => "sqrt-kfac",
            OneStep::Whiten => "whiten",
            OneStep::BatchNorm => "batch-norm",
            OneStep::Adam => "adam",
            OneStep::Shampoo => "shampoo",
            OneStep::Muon => "muon",
            OneStep::KfacPower(k) => power_name(k),
        }
    }

    /// The update of a name (`sgd`, `sqrt-kfac`, `kfac-power:0.25`, …).
    pub fn parse(s: &str) -> Option<Self> {
        if let Some(p) = s.strip_prefix("kfac-power:") {
            return Self::power(p.parse().ok()?);
        }
        OneStep::ALL.into_iter().find(|m| m.name() == s)
    }

    /// `kfac-power:p` for 0 ≤ p ≤ 1 with at most three decimals (None otherwise).
    pub fn power(p: f64) -> Option<Self> {
        let k = (p * 1000.0).round();
        ((0.0..=1.0).contains(&p) && (p * 1000.0 - k).abs() < 1e-9)
            .then_some(OneStep::KfacPower(k as u16))
    }

    /// The exponent p of a power-family member.
    pub fn exponent(self) -> Option<f64> {
        match self {
            OneStep::KfacPower(k) => Some(k as f64 / 1000.0),
            _ => None,
        }
    }

    /// Whether the method uses the ridge λ.
    pub fn uses_lambda(self) -> bool {
        matches!(
            self,
            OneStep::Kfac | OneStep::SqrtKfac | OneStep::KfacPower(_)
        )
    }
}

/// The interned name of `kfac-power:p` (p = k/1000): one string per exponent for the process.
fn power_name(k: u16) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashMap<u16, &'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    names
        .entry(k)
        .or_insert_with(|| Box::leak(format!("kfac-power:{}", k as f64 / 1000.0).into_boxed_str()))
}

/// The paper's two methods, the default comparison.
pub const PAPER_METHODS: [OneStep; 2] = [OneStep::Sgd, OneStep::Kfac];

/// The relative damping of Shampoo: ε = SHAMPOO_EPS · ‖G‖_F² / min(rows, cols), i.e. relative to
/// the mean squared singular value of G, so the choice does not depend on the gradient's scale.
pub const SHAMPOO_EPS: f64 = 1e-3;

/// Adam's ε (the usual default).
pub const ADAM_EPS: f64 = 1e-8;

/// Muon's quintic Newton–Schulz coefficients (Jordan et al. 2024), applied five times.
pub const MUON_COEFFICIENTS: (f64, f64, f64) = (3.4445, -4.7750, 2.0315);

/// Q diag(f(λᵢ)) Qᵀ M: a spectral function of a symmetric matrix applied to M.
pub fn spectral_apply(
    q: &Mat<f64>,
    vals: &[f64],
    f: impl Fn(f64) -> f64,
    m: MatRef<'_, f64>,
    par: Par,
) -> Mat<f64> {
    let mut t = Mat::<f64>::zeros(q.ncols(), m.ncols());
    product(t.as_mut(), q.transpose(), m, 1.0, par);
    for (i, &v) in vals.iter().enumerate() {
        let s = f(v);
        for j in 0..t.ncols() {
            t[(i, j)] *= s;
        }
    }
    let mut out = Mat::<f64>::zeros(q.nrows(), m.ncols());
    product(out.as_mut(), q.as_ref(), t.as_ref(), 1.0, par);
    out
}

fn frobenius_sq(m: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            s += m[(i, j)] * m[(i, j)];
        }
    }
    s
}

/// One Shampoo step on G (any orientation: the map commutes with transposition).
///
/// With L = GGᵀ + εI and R = GᵀG + εI, G R^{-1/4} = L^{-1/4} G (push-through identity), so
/// L^{-1/4} G R^{-1/4} = L^{-1/2} G = G R^{-1/2}: one eigendecomposition of the smaller Gram
/// matrix suffices (checked against the literal two-sided form in the tests).
pub fn shampoo(g: MatRef<'_, f64>, par: Par) -> Result<Mat<f64>, SimError> {
    let (r, c) = (g.nrows(), g.ncols());
    let eps = SHAMPOO_EPS * frobenius_sq(g) / r.min(c) as f64;
    let inv_sqrt = |v: f64| 1.0 / (v.max(0.0) + eps).sqrt();
    if c <= r {
        let (q, vals) = symmetric_eigen(gram(g, par).as_ref(), Par::Seq)?;
        Ok(spectral_apply(&q, &vals, inv_sqrt, g.transpose(), par)
            .transpose()
            .to_owned())
    } else {
        let (q, vals) = symmetric_eigen(gram(g.transpose(), par).as_ref(), Par::Seq)?;
        Ok(spectral_apply(&q, &vals, inv_sqrt, g, par))
    }
}

/// One Muon step: X ← G/‖G‖_F, then five times X ← a X + b (XXᵀ) X + c (XXᵀ)² X (on the smaller
/// Gram side; p(XXᵀ)X = X p(XᵀX)). In f64 rather than Muon's bfloat16.
pub fn muon(g: MatRef<'_, f64>, par: Par) -> Result<Mat<f64>, SimError> {
    let (a, b, c) = MUON_COEFFICIENTS;
    let scale = frobenius_sq(g).sqrt();
    if !(scale > 0.0 && scale.is_finite()) {
        return Err(SimError::Numerical("Muon: the gradient is zero".into()));
    }
    let mut x = Mat::<f64>::from_fn(g.nrows(), g.ncols(), |i, j| g[(i, j)] / scale);
    let right = g.ncols() <= g.nrows(); // Gram XᵀX is the smaller one
    for _ in 0..5 {
        let bmat = if right {
            gram(x.as_ref(), par)
        } else {
            gram(x.transpose(), par)
        };
        let k = bmat.nrows();
        let mut b2 = Mat::<f64>::zeros(k, k);
        product(b2.as_mut(), bmat.as_ref(), bmat.as_ref(), 1.0, par);
        let poly = Mat::<f64>::from_fn(k, k, |i, j| {
            b * bmat[(i, j)] + c * b2[(i, j)] + if i == j { a } else { 0.0 }
        });
        let mut next = Mat::<f64>::zeros(x.nrows(), x.ncols());
        if right {
            product(next.as_mut(), x.as_ref(), poly.as_ref(), 1.0, par);
        } else {
            product(next.as_mut(), poly.as_ref(), x.as_ref(), 1.0, par);
        }
        x = next;
    }
    Ok(x)
}

/// One bias-corrected Adam step from zero moments: m̂ = G, v̂ = G², so the step is G/(|G| + ε).
pub fn adam_first_step(g: MatRef<'_, f64>) -> Mat<f64> {
    Mat::<f64>::from_fn(g.nrows(), g.ncols(), |i, j| {
        let v = g[(i, j)];
        v / (v.abs() + ADAM_EPS)
    })
}

/// Per-column batch statistics of X: the means and 1/σ̂ⱼ (1/n variance, as BatchNorm in
/// training mode).
pub fn batch_norm_stats(x: MatRef<'_, f64>) -> (Vec<f64>, Vec<f64>) {
    let n = x.nrows() as f64;
    (0..x.ncols())
        .map(|j| {
            let col = x.col(j);
            let mean = col.iter().sum::<f64>() / n;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            (mean, 1.0 / var.sqrt())
        })
        .unzip()
}

/// Coordinate batch-norm of X with its own statistics, (xⱼ − μ̂ⱼ)/σ̂ⱼ, into `out` (same shape);
/// returns the per-coordinate 1/σ̂ⱼ.
pub fn batch_norm_into(x: MatRef<'_, f64>, mut out: MatMut<'_, f64>) -> Vec<f64> {
    let (mean, inv_sd) = batch_norm_stats(x);
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            out[(i, j)] = (x[(i, j)] - mean[j]) * inv_sd[j];
        }
    }
    inv_sd
}

/// [`batch_norm_into`] into a new matrix: the normalised X and the per-coordinate 1/σ̂ⱼ.
pub fn batch_norm(x: MatRef<'_, f64>) -> (Mat<f64>, Vec<f64>) {
    let mut out = Mat::<f64>::zeros(x.nrows(), x.ncols());
    let inv_sd = batch_norm_into(x, out.as_mut());
    (out, inv_sd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;
    use rand::RngExt;
    use rand_distr::StandardNormal;

    fn random(r: usize, c: usize, seed: u64) -> Mat<f64> {
        let mut rng = unit_rng(seed, 0, 0);
        Mat::from_fn(r, c, |_, _| rng.sample::<f64, _>(StandardNormal))
    }

    fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
        let mut m: f64 = 0.0;
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                m = m.max((a[(i, j)] - b[(i, j)]).abs());
            }
        }
        m
    }

    /// Shampoo's shortcut against the literal L^{-1/4} G R^{-1/4} with both factors' own
    /// eigendecompositions, both orientations.
    #[test]
    fn shampoo_equals_the_two_sided_form() {
        for (r, c) in [(7, 19), (19, 7)] {
            let g = random(r, c, 3);
            let eps = SHAMPOO_EPS * frobenius_sq(g.as_ref()) / r.min(c) as f64;
            let mut l = &g * g.transpose();
            let mut rr = g.transpose() * &g;
            for i in 0..r {
                l[(i, i)] += eps;
            }
            for i in 0..c {
                rr[(i, i)] += eps;
            }
            let (ql, vl) = symmetric_eigen(l.as_ref(), Par::Seq).unwrap();
            let (qr, vr) = symmetric_eigen(rr.as_ref(), Par::Seq).unwrap();
            let quarter = |v: f64| v.powf(-0.25);
            let left = spectral_apply(&ql, &vl, quarter, g.as_ref(), Par::Seq);
            let literal = spectral_apply(&qr, &vr, quarter, left.transpose(), Par::Seq)
                .transpose()
                .to_owned();
            let fast = shampoo(g.as_ref(), Par::Seq).unwrap();
            assert!(max_abs_diff(fast.as_ref(), literal.as_ref()) < 1e-10);
        }
    }

    /// Muon drives every singular value into the band the quintic is tuned for (≈ 0.7–1.2), and
    /// keeps the singular vectors (it is an odd matrix polynomial).
    #[test]
    fn muon_orthogonalises_approximately() {
        let g = random(6, 30, 4);
        let x = muon(g.as_ref(), Par::Seq).unwrap();
        let s = x.singular_values().unwrap();
        assert!(s.iter().all(|&v| (0.6..1.25).contains(&v)), "{s:?}");
        // Same singular vectors: X Gᵀ = U p(S) S Uᵀ is symmetric positive definite.
        let xg = &x * g.transpose();
        assert!(max_abs_diff(xg.as_ref(), xg.transpose()) < 1e-10);
        assert!(xg.self_adjoint_eigenvalues(faer::Side::Lower).unwrap()[0] > 0.0);
    }

    #[test]
    fn adam_first_step_is_the_sign_and_batch_norm_standardises() {
        let g = random(5, 4, 5);
        let a = adam_first_step(g.as_ref());
        for j in 0..4 {
            for i in 0..5 {
                assert!((a[(i, j)] - g[(i, j)].signum()).abs() < 1e-6);
            }
        }
        let x = random(50, 3, 6);
        let (z, inv_sd) = batch_norm(x.as_ref());
        for j in 0..3 {
            let mean: f64 = (0..50).map(|i| z[(i, j)]).sum::<f64>() / 50.0;
            let var: f64 = (0..50).map(|i| z[(i, j)] * z[(i, j)]).sum::<f64>() / 50.0;
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
            assert!(inv_sd[j] > 0.0);
        }
        for m in OneStep::ALL {
            assert_eq!(OneStep::parse(m.name()), Some(m));
        }
    }
}
