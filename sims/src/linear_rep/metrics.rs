//! Metrics of linear-rep.md §4: subspace distance and principal angles, training loss, transfer
//! loss. Losses are exact expectations over the task's distribution (only its second moments
//! matter for a linear predictor) instead of the spec's 20 000-sample estimates: the same
//! quantity without sampling noise.

use super::optim::{batch_whitener, Normalization};
use super::{least_squares_head, Batch, Task};
use crate::kernels::symmetric_eigen;
use engine::experiment::SimError;
use faer::Par;
use faer::{Mat, MatRef};

/// The sines of the principal angles between row(G) and row(G*), largest first: the singular
/// values of (I − G*ᵀG*) Gᵀ (both with orthonormal rows). Computed from the residual itself, not
/// from 1 − cos², so that distances down to 1e-15 stay accurate.
pub fn principal_sines(g: MatRef<'_, f64>, g_star: MatRef<'_, f64>) -> Result<Vec<f64>, SimError> {
    let resid = g.transpose() - g_star.transpose() * (g_star * g.transpose()); // d_x × k
    let (_, vals) = symmetric_eigen((resid.transpose() * &resid).as_ref(), Par::Seq)?;
    Ok(vals
        .iter()
        .rev()
        .map(|v| v.max(0.0).sqrt().min(1.0))
        .collect())
}

/// dist(G, G*) = ‖(I − G*ᵀG*) Gᵀ‖₂ ∈ [0, 1] (the paper's (7)).
pub fn subspace_distance(g: MatRef<'_, f64>, g_star: MatRef<'_, f64>) -> Result<f64, SimError> {
    Ok(principal_sines(g, g_star)?[0])
}

/// The cosines of the principal angles (smallest angle first).
pub fn principal_cosines(
    g: MatRef<'_, f64>,
    g_star: MatRef<'_, f64>,
) -> Result<Vec<f64>, SimError> {
    let s = (g * g_star.transpose())
        .singular_values()
        .map_err(|e| SimError::Numerical(format!("{e:?}")))?;
    Ok(s)
}

/// E‖y − (W x + c)‖² for y = F G* x + ε, x with covariance Σ and mean 0:
/// tr(M Σ Mᵀ) + ‖c‖² + d_y σ_ε², M = F G* − W.
pub fn expected_loss(
    t: &Task,
    g_star: MatRef<'_, f64>,
    w: MatRef<'_, f64>,
    offset: Option<&[f64]>,
    noise: f64,
) -> f64 {
    let m = &t.head * g_star - w;
    let ms = &m * &t.sigma;
    let mut total = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            total += ms[(i, j)] * m[(i, j)];
        }
    }
    let c2: f64 = offset.map_or(0.0, |c| c.iter().map(|v| v * v).sum());
    total + c2 + m.nrows() as f64 * noise * noise
}

/// The losses of one method at one logged iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Expected training loss E‖y − F G x‖² on the training task.
    pub train_loss: f64,
    /// Expected transfer loss after refitting the head on target samples.
    pub transfer_loss: f64,
}

/// The normalisation a method applies to inputs of a task, as (matrix T, mean μ): x ↦ T(x − μ).
/// For evaluation on the training distribution BN uses the population statistics (what its
/// running averages converge to); on the transfer task it uses the target sample's own statistics
/// (spec §4: otherwise the BN effect of §3.1.1 vanishes).
fn input_map(
    norm: Normalization,
    sample: Option<&Batch>,
    t: &Task,
    batch_whitening: bool,
) -> Result<(Mat<f64>, Vec<f64>), SimError> {
    let dx = t.sigma.nrows();
    Ok(match (norm, sample) {
        (Normalization::None, _) => (Mat::identity(dx, dx), vec![0.0; dx]),
        (Normalization::BatchNorm, None) => (
            Mat::from_fn(dx, dx, |i, j| {
                if i == j {
                    1.0 / t.sigma[(i, i)].sqrt()
                } else {
                    0.0
                }
            }),
            vec![0.0; dx],
        ),
        (Normalization::BatchNorm, Some(b)) => {
            let (mean, inv_sd) = crate::one_step::batch_norm_stats(b.x.as_ref());
            (
                Mat::from_fn(dx, dx, |i, j| if i == j { inv_sd[i] } else { 0.0 }),
                mean,
            )
        }
        (Normalization::Whiten, Some(b)) if batch_whitening => {
            (batch_whitener(b.x.as_ref())?, vec![0.0; dx])
        }
        (Normalization::Whiten, _) => (t.sigma_inv_half.clone(), vec![0.0; dx]),
    })
}

/// Training loss E‖y − F G T x‖² on the training task, and transfer loss: F̂_T = F_ls(G) on the
/// `target` sample (normalised with its own statistics for BN), then its expected loss on the
/// transfer task (linear-rep.md §4, Lemma 3.7).
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    f: MatRef<'_, f64>,
    g: MatRef<'_, f64>,
    norm: Normalization,
    batch_whitening: bool,
    g_star: MatRef<'_, f64>,
    train: &Task,
    test: &Task,
    target: &Batch,
    noise: f64,
) -> Result<Evaluation, SimError> {
    let (t_tr, _) = input_map(norm, None, train, false)?;
    let train_loss = expected_loss(train, g_star, (f * g * &t_tr).as_ref(), None, noise);
    let (t_te, mu) = input_map(norm, Some(target), test, batch_whitening)?;
    // The normalised target sample x̃ = T(x − μ) for the head refit.
    let centred = Mat::<f64>::from_fn(target.x.nrows(), target.x.ncols(), |i, j| {
        target.x[(i, j)] - mu[j]
    });
    let refit = Batch {
        x: &centred * t_te.transpose(),
        y: target.y.clone(),
    };
    let f_hat = least_squares_head(g, &refit)?;
    let w = &f_hat * g * &t_te;
    let mu_col = Mat::<f64>::from_fn(mu.len(), 1, |i, _| mu[i]);
    let c = &w * &mu_col; // prediction W(x − μ) = W x − W μ
    let offset: Vec<f64> = (0..c.nrows()).map(|i| -c[(i, 0)]).collect();
    let transfer_loss = expected_loss(test, g_star, w.as_ref(), Some(&offset), noise);
    Ok(Evaluation {
        train_loss,
        transfer_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear_rep::{
        draw_batch, draw_instance, gaussian, haar_columns, Anisotropy, Covariates, Dims,
    };
    use engine::rng::unit_rng;

    #[test]
    fn distance_properties() {
        let mut rng = unit_rng(3, 3, 3);
        let gs = haar_columns(30, 4, &mut rng).transpose().to_owned();
        // 0 for the same row space, whatever the basis (GL(k) then re-orthonormalised = rotation).
        let rot = haar_columns(4, 4, &mut rng);
        let same = &rot * &gs;
        assert!(subspace_distance(same.as_ref(), gs.as_ref()).unwrap() < 1e-14);
        // Invariant to rotating the rows of G; in [0, 1]; 1 for an orthogonal subspace.
        let g = haar_columns(30, 4, &mut rng).transpose().to_owned();
        let d = subspace_distance(g.as_ref(), gs.as_ref()).unwrap();
        let d_rot = subspace_distance((&rot * &g).as_ref(), gs.as_ref()).unwrap();
        assert!((d - d_rot).abs() < 1e-12 && (0.0..=1.0).contains(&d));
        // Against the definition: the spectral norm of (I − G*ᵀG*)Gᵀ via its singular values.
        let resid = g.transpose() - gs.transpose() * (&gs * g.transpose());
        let s = resid.singular_values().unwrap();
        assert!((s.iter().cloned().fold(0.0, f64::max) - d).abs() < 1e-12);
        // sin² + cos² = 1 per principal angle.
        let sines = principal_sines(g.as_ref(), gs.as_ref()).unwrap();
        let mut cos = principal_cosines(g.as_ref(), gs.as_ref()).unwrap();
        cos.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for (s, c) in sines.iter().zip(&cos) {
            assert!((s * s + c * c - 1.0).abs() < 1e-12);
        }
        // An orthogonal subspace: rows orthogonal to G*.
        let perp = Mat::<f64>::from_fn(4, 30, |i, j| if j == i { 1.0 } else { 0.0 });
        let gs0 = Mat::<f64>::from_fn(4, 30, |i, j| if j == i + 10 { 1.0 } else { 0.0 });
        assert!((subspace_distance(perp.as_ref(), gs0.as_ref()).unwrap() - 1.0).abs() < 1e-15);
        // Tiny distances stay accurate: rotate one row by 1e-12 out of the subspace.
        let eps: f64 = 1e-12;
        let tilt = Mat::<f64>::from_fn(4, 30, |i, j| match (i, j) {
            (0, 10) => eps.cos(),
            (0, 0) => eps.sin(),
            (i, j) if j == i + 10 => 1.0,
            _ => 0.0,
        });
        let dt = subspace_distance(tilt.as_ref(), gs0.as_ref()).unwrap();
        assert!((dt - eps).abs() < 1e-20, "{dt}");
    }

    #[test]
    fn expected_loss_matches_a_large_sample() {
        let mut rng = unit_rng(4, 4, 4);
        let dims = Dims {
            dx: 10,
            dy: 4,
            k: 2,
        };
        let mut r2 = unit_rng(0, 2, 1);
        let inst = draw_instance(&dims, 0.5, Anisotropy::Low, &mut rng, &mut r2).unwrap();
        let w = gaussian(4, 10, 0.3, &mut rng);
        let b = draw_batch(
            &inst.train,
            inst.g_star.as_ref(),
            200_000,
            Covariates::Uniform,
            0.1,
            &mut rng,
        );
        let r = &b.x * w.transpose() - &b.y;
        let mut mc = 0.0;
        for j in 0..4 {
            for i in 0..200_000 {
                mc += r[(i, j)] * r[(i, j)];
            }
        }
        mc /= 200_000.0;
        let exact = expected_loss(&inst.train, inst.g_star.as_ref(), w.as_ref(), None, 0.1);
        // Relative sampling error of a mean of 2e5 squared residuals: ~ √(2/2e5) ≈ 0.3%.
        assert!((mc - exact).abs() < 0.02 * exact, "{mc} vs {exact}");
    }
}
