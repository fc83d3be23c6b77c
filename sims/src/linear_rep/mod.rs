//! Linear representation learning (paper Section 3.1; docs/linear-rep-model.md): the data
//! model, the optimizers of docs/linear-rep-model.md, the metrics, and the population contraction
//! experiment. Knows nothing of plotting or files.

pub mod metrics;
pub mod optim;
pub mod population;
pub mod run;
pub mod summary;

use crate::kernels::symmetric_eigen;
use engine::experiment::SimError;
use engine::rng::UnitRng;
use faer::linalg::matmul::matmul;
use faer::prelude::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

pub use metrics::{principal_cosines, subspace_distance, Evaluation};
pub use optim::{Method, State};
pub use population::{ContractionPoint, RateMeasurement};
pub use run::{run_head_to_head, HeadToHead, LogPoint, Trajectory};

/// Distribution of u in x = Σ^{1/2} u (spec §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Covariates {
    /// u ~ Unif{±1}^{d_x}, the paper's (13).
    Uniform,
    /// u ~ N(0, I), the paper's (38).
    Gaussian,
}

/// How Σ is drawn (spec §1; every Σ is normalised to λ_max = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anisotropy {
    /// Σ ∝ W Wᵀ/(4 d_x), W ∈ R^{d_x × 4 d_x} iid N(0, 1) (κ ≈ 9).
    Low,
    /// Σ = U diag(logspace(0, −3, d_x)) Uᵀ, U Haar (κ = 1e3).
    High,
    /// Σ = U diag(logspace(0, −log10 κ, d_x)) Uᵀ, U Haar: a prescribed condition number κ.
    Condition(f64),
}

/// One of the four data settings (Figure 9).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    /// Uniform (±1) or Gaussian covariates.
    pub covariates: Covariates,
    /// Low or high anisotropy of Σ (or a prescribed condition number).
    pub anisotropy: Anisotropy,
}

impl Setting {
    /// The four settings of Figure 9.
    pub const ALL: [Setting; 4] = [
        Setting {
            covariates: Covariates::Uniform,
            anisotropy: Anisotropy::High,
        },
        Setting {
            covariates: Covariates::Uniform,
            anisotropy: Anisotropy::Low,
        },
        Setting {
            covariates: Covariates::Gaussian,
            anisotropy: Anisotropy::High,
        },
        Setting {
            covariates: Covariates::Gaussian,
            anisotropy: Anisotropy::Low,
        },
    ];

    /// `uniform-high`, … (the `setting` column of cli.md); a prescribed κ(Σ) reads `uniform-k1000`.
    pub fn name(&self) -> String {
        let c = match self.covariates {
            Covariates::Uniform => "uniform",
            Covariates::Gaussian => "gaussian",
        };
        match self.anisotropy {
            Anisotropy::Low => format!("{c}-low"),
            Anisotropy::High => format!("{c}-high"),
            Anisotropy::Condition(k) => format!("{c}-k{k}"),
        }
    }
}

/// Sizes and the data-generating choices of one run (spec §1 defaults in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct Dims {
    /// d_x [100].
    pub dx: usize,
    /// d_y [20].
    pub dy: usize,
    /// k [5].
    pub k: usize,
}

/// One task's ingredients: the head F_s and the input covariance Σ_s with its square roots.
#[derive(Debug, Clone)]
pub struct Task {
    /// F_s (d_y × k), σ_max = 1.
    pub head: Mat<f64>,
    /// Σ_s (d_x × d_x), λ_max = 1.
    pub sigma: Mat<f64>,
    /// Σ^{1/2}.
    pub sigma_half: Mat<f64>,
    /// Σ^{-1/2} (population whitening).
    pub sigma_inv_half: Mat<f64>,
}

/// A problem instance: the shared representation G* and the train and transfer tasks.
#[derive(Debug, Clone)]
pub struct Instance {
    /// G* (k × d_x), orthonormal rows (Haar).
    pub g_star: Mat<f64>,
    /// The training task.
    pub train: Task,
    /// The transfer (target) task.
    pub test: Task,
}

pub(crate) fn normal(rng: &mut UnitRng) -> f64 {
    rng.sample(StandardNormal)
}

pub(crate) fn gaussian(r: usize, c: usize, scale: f64, rng: &mut UnitRng) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(r, c);
    for j in 0..c {
        for i in 0..r {
            m[(i, j)] = normal(rng) * scale;
        }
    }
    m
}

/// A Haar-distributed r × c matrix with orthonormal columns (r ≥ c): QR of a Gaussian matrix with
/// the signs of R's diagonal moved into Q.
pub fn haar_columns(r: usize, c: usize, rng: &mut UnitRng) -> Mat<f64> {
    let a = gaussian(r, c, 1.0, rng);
    let qr = a.qr();
    let mut q = qr.compute_thin_Q();
    let rr = qr.thin_R();
    for j in 0..c {
        if rr[(j, j)] < 0.0 {
            for i in 0..r {
                q[(i, j)] = -q[(i, j)];
            }
        }
    }
    q
}

/// Q diag(f(λ)) Qᵀ.
pub(crate) fn sym_function(q: &Mat<f64>, vals: &[f64], f: impl Fn(f64) -> f64) -> Mat<f64> {
    let n = q.nrows();
    let scaled = Mat::<f64>::from_fn(n, vals.len(), |i, j| q[(i, j)] * f(vals[j]));
    &scaled * q.transpose()
}

/// U diag(eigs) Uᵀ with U Haar, normalised to λ_max = 1.
fn rotated(eigs: &[f64], rng: &mut UnitRng) -> Mat<f64> {
    let u = haar_columns(eigs.len(), eigs.len(), rng);
    let top = eigs.iter().cloned().fold(f64::MIN, f64::max);
    sym_function(&u, eigs, |v| v / top)
}

/// Σ with eigenvalues logspace(1, 1/κ) in a Haar basis (a prescribed condition number).
pub fn rotated_sigma(dx: usize, kappa: f64, rng: &mut UnitRng) -> Mat<f64> {
    rotated(&logspace_down(dx, kappa), rng)
}

/// `count` log-spaced values from 1 down to 1/κ.
pub fn logspace_down(count: usize, kappa: f64) -> Vec<f64> {
    if count == 1 {
        return vec![1.0];
    }
    (0..count)
        .map(|i| kappa.powf(-(i as f64) / (count - 1) as f64))
        .collect()
}

/// Σ for the anisotropy choice (spec §1), normalised to λ_max = 1.
pub fn draw_sigma(
    dx: usize,
    anisotropy: Anisotropy,
    rng: &mut UnitRng,
) -> Result<Mat<f64>, SimError> {
    match anisotropy {
        Anisotropy::Low => {
            let w = gaussian(dx, 4 * dx, 1.0, rng);
            let s = &w * w.transpose() * faer::Scale(1.0 / (4 * dx) as f64);
            let (_, vals) = symmetric_eigen(s.as_ref(), Par::Seq)?;
            let top = vals[dx - 1];
            Ok(s * faer::Scale(1.0 / top))
        }
        Anisotropy::High => Ok(rotated(&logspace_down(dx, 1e3), rng)),
        Anisotropy::Condition(k) => Ok(rotated(&logspace_down(dx, k), rng)),
    }
}

/// The matrix exponential of a small square matrix: scaling and squaring with a degree-18 Taylor
/// polynomial (‖B/2^s‖₁ ≤ 1/2, truncation error < 1e-22 relative).
pub fn expm(b: MatRef<'_, f64>) -> Mat<f64> {
    let n = b.nrows();
    let norm1 = (0..n)
        .map(|j| (0..n).map(|i| b[(i, j)].abs()).sum::<f64>())
        .fold(0.0, f64::max);
    let s = if norm1 > 0.5 {
        (norm1 / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let a = b * faer::Scale(0.5f64.powi(s));
    let mut term = Mat::<f64>::identity(n, n);
    let mut sum = Mat::<f64>::identity(n, n);
    for j in 1..=18 {
        term = &term * &a * faer::Scale(1.0 / j as f64);
        sum += &term;
    }
    for _ in 0..s {
        sum = &sum * &sum;
    }
    sum
}

/// The largest singular value.
pub(crate) fn spectral_norm(m: MatRef<'_, f64>) -> Result<f64, SimError> {
    let s = m
        .singular_values()
        .map_err(|e| SimError::Numerical(format!("singular values: {e:?}")))?;
    Ok(s.into_iter().fold(0.0, f64::max))
}

/// F_s = A expm(B_s) rescaled to σ_max = 1, B_s iid N(0, h²/k) (spec §1, [C]).
pub fn draw_head(a: MatRef<'_, f64>, h: f64, rng: &mut UnitRng) -> Result<Mat<f64>, SimError> {
    let k = a.ncols();
    let b = gaussian(k, k, h / (k as f64).sqrt(), rng);
    let f = a * expm(b.as_ref());
    let top = spectral_norm(f.as_ref())?;
    Ok(f * faer::Scale(1.0 / top))
}

/// A head with prescribed singular values geometric from 1 to 1/κ: U diag(s) Vᵀ, U, V Haar.
pub fn head_with_condition(dy: usize, k: usize, kappa: f64, rng: &mut UnitRng) -> Mat<f64> {
    let u = haar_columns(dy, k, rng);
    let v = haar_columns(k, k, rng);
    let s = logspace_down(k, kappa);
    let us = Mat::<f64>::from_fn(dy, k, |i, j| u[(i, j)] * s[j]);
    &us * v.transpose()
}

/// Σ and its symmetric square roots.
pub fn task(head: Mat<f64>, sigma: Mat<f64>) -> Result<Task, SimError> {
    let (q, vals) = symmetric_eigen(sigma.as_ref(), Par::Seq)?;
    if vals[0] <= 0.0 {
        return Err(SimError::Numerical("Σ is not positive definite".into()));
    }
    Ok(Task {
        head,
        sigma_half: sym_function(&q, &vals, f64::sqrt),
        sigma_inv_half: sym_function(&q, &vals, |v| 1.0 / v.sqrt()),
        sigma,
    })
}

/// Draw an instance (spec §1): G* Haar; A iid N(0, 1/d_y); F_tr, F_te from independent B_s with
/// spread `h`; Σ_tr, Σ_te drawn independently with the given anisotropy.
///
/// G* and the heads come from `rng`, the covariances from `sigma_rng`: callers that key the latter
/// by the anisotropy alone compare data settings on the same G*, F_tr and F_te.
pub fn draw_instance(
    dims: &Dims,
    h: f64,
    anisotropy: Anisotropy,
    rng: &mut UnitRng,
    sigma_rng: &mut UnitRng,
) -> Result<Instance, SimError> {
    let g_star = haar_columns(dims.dx, dims.k, rng).transpose().to_owned();
    let a = gaussian(dims.dy, dims.k, 1.0 / (dims.dy as f64).sqrt(), rng);
    let f_tr = draw_head(a.as_ref(), h, rng)?;
    let f_te = draw_head(a.as_ref(), h, rng)?;
    let s_tr = draw_sigma(dims.dx, anisotropy, sigma_rng)?;
    let s_te = draw_sigma(dims.dx, anisotropy, sigma_rng)?;
    Ok(Instance {
        g_star,
        train: task(f_tr, s_tr)?,
        test: task(f_te, s_te)?,
    })
}

/// A batch: X (n × d_x), Y (n × d_y).
#[derive(Debug, Clone)]
pub struct Batch {
    /// Covariates, one row per sample.
    pub x: Mat<f64>,
    /// Labels, one row per sample.
    pub y: Mat<f64>,
}

/// n samples of task `t`: x = Σ^{1/2} u, y = F G* x + ε, ε ~ N(0, σ_ε² I). Draw order: U by
/// columns, then ε by columns.
pub fn draw_batch(
    t: &Task,
    g_star: MatRef<'_, f64>,
    n: usize,
    covariates: Covariates,
    noise: f64,
    rng: &mut UnitRng,
) -> Batch {
    let mut u = Mat::<f64>::zeros(n, g_star.ncols());
    let mut out = Batch {
        x: Mat::zeros(n, g_star.ncols()),
        y: Mat::zeros(n, t.head.nrows()),
    };
    draw_batch_into(t, g_star, covariates, noise, rng, &mut u, &mut out);
    out
}

/// [`draw_batch`] into preallocated buffers (`u` and `out` keep their shapes; n = u.nrows()), so
/// that a long run allocates its batches once.
pub fn draw_batch_into(
    t: &Task,
    g_star: MatRef<'_, f64>,
    covariates: Covariates,
    noise: f64,
    rng: &mut UnitRng,
    u: &mut Mat<f64>,
    out: &mut Batch,
) {
    let (n, dx) = (u.nrows(), u.ncols());
    match covariates {
        Covariates::Gaussian => {
            for j in 0..dx {
                u.col_as_slice_mut(j)
                    .iter_mut()
                    .for_each(|v| *v = normal(rng));
            }
        }
        Covariates::Uniform => {
            // Rademacher signs, 64 per random word.
            let (mut bits, mut left) = (0u64, 0);
            for j in 0..dx {
                for v in u.col_as_slice_mut(j) {
                    if left == 0 {
                        bits = rng.next_u64();
                        left = 64;
                    }
                    *v = if bits & 1 == 1 { 1.0 } else { -1.0 };
                    bits >>= 1;
                    left -= 1;
                }
            }
        }
    }
    // Σ^{1/2} symmetric: rows of X are Σ^{1/2} u_i.
    matmul(
        out.x.as_mut(),
        Accum::Replace,
        u.as_ref(),
        t.sigma_half.as_ref(),
        1.0,
        Par::Seq,
    );
    let target = &t.head * g_star; // d_y × d_x (small)
    matmul(
        out.y.as_mut(),
        Accum::Replace,
        out.x.as_ref(),
        target.transpose(),
        1.0,
        Par::Seq,
    );
    for j in 0..out.y.ncols() {
        for i in 0..n {
            out.y[(i, j)] += noise * normal(rng);
        }
    }
}

/// F_ls(G) = (YᵀZ)(ZᵀZ)⁻¹ with Z = X Gᵀ: the least-squares head on a batch (Lemma 3.1).
pub fn least_squares_head(g: MatRef<'_, f64>, b: &Batch) -> Result<Mat<f64>, SimError> {
    let z = &b.x * g.transpose();
    let ztz = z.transpose() * &z;
    let yz = b.y.transpose() * &z; // d_y × k
    let llt = ztz
        .llt(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("ZᵀZ is singular ({e:?})")))?;
    // F = (YᵀZ)(ZᵀZ)⁻¹ = ((ZᵀZ)⁻¹ (ZᵀY))ᵀ.
    Ok(llt.solve(yz.transpose()).transpose().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;

    #[test]
    fn expm_matches_closed_forms() {
        // Rotation generator: expm([[0, −θ], [θ, 0]]) = [[cos, −sin], [sin, cos]].
        let th = 2.7;
        let b = faer::mat![[0.0, -th], [th, 0.0]];
        let e = expm(b.as_ref());
        assert!((e[(0, 0)] - th.cos()).abs() < 1e-13 && (e[(1, 0)] - th.sin()).abs() < 1e-13);
        // expm(B) expm(−B) = I for a random 5 × 5.
        let mut rng = unit_rng(1, 2, 3);
        let b = gaussian(5, 5, 1.0, &mut rng);
        let p = expm(b.as_ref()) * expm((&b * faer::Scale(-1.0)).as_ref());
        for i in 0..5 {
            for j in 0..5 {
                assert!((p[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn instance_matches_the_spec() {
        let mut rng = unit_rng(0, 1, 0);
        let dims = Dims {
            dx: 40,
            dy: 12,
            k: 3,
        };
        let mut r2 = unit_rng(0, 1, 1);
        let inst = draw_instance(&dims, 0.5, Anisotropy::High, &mut rng, &mut r2).unwrap();
        let ggt = &inst.g_star * inst.g_star.transpose();
        for i in 0..3 {
            for j in 0..3 {
                assert!((ggt[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!((spectral_norm(inst.train.head.as_ref()).unwrap() - 1.0).abs() < 1e-12);
        let (_, vals) = symmetric_eigen(inst.train.sigma.as_ref(), Par::Seq).unwrap();
        assert!((vals[39] - 1.0).abs() < 1e-12 && (vals[0] - 1e-3).abs() < 1e-14);
        let sq = &inst.train.sigma_half * &inst.train.sigma_half;
        let id = &inst.train.sigma_half * &inst.train.sigma_inv_half;
        for i in 0..40 {
            for j in 0..40 {
                assert!((sq[(i, j)] - inst.train.sigma[(i, j)]).abs() < 1e-12);
                assert!((id[(i, j)] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9);
            }
        }
        let (_, low) = symmetric_eigen(
            draw_sigma(100, Anisotropy::Low, &mut rng).unwrap().as_ref(),
            Par::Seq,
        )
        .unwrap();
        assert!(
            (low[99] - 1.0).abs() < 1e-12 && (5.0..15.0).contains(&(1.0 / low[0])),
            "{}",
            1.0 / low[0]
        );
        let f = head_with_condition(12, 4, 30.0, &mut rng);
        let s = f.singular_values().unwrap();
        let (hi, lo) = (
            s.iter().cloned().fold(0.0, f64::max),
            s.iter().cloned().fold(9.0, f64::min),
        );
        assert!((hi - 1.0).abs() < 1e-12 && (hi / lo - 30.0).abs() < 1e-9);
    }

    #[test]
    fn least_squares_head_recovers_a_noiseless_head() {
        let mut rng = unit_rng(0, 2, 0);
        let dims = Dims {
            dx: 20,
            dy: 6,
            k: 2,
        };
        let mut r2 = unit_rng(0, 2, 1);
        let inst = draw_instance(&dims, 0.5, Anisotropy::Low, &mut rng, &mut r2).unwrap();
        let b = draw_batch(
            &inst.train,
            inst.g_star.as_ref(),
            200,
            Covariates::Uniform,
            0.0,
            &mut rng,
        );
        let f = least_squares_head(inst.g_star.as_ref(), &b).unwrap();
        for i in 0..6 {
            for j in 0..2 {
                assert!((f[(i, j)] - inst.train.head[(i, j)]).abs() < 1e-10);
            }
        }
    }
}
