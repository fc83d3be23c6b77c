//! The eigenvalues of one sampled sample-covariance matrix S = XᵀX/n, to hold against the
//! limiting density of Silverstein's equation (`verify spectrum`).

use crate::experiment::SimError;
use crate::rng::UnitRng;
use faer::{Mat, Side};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Eigenvalues (ascending) of S = XᵀX/n with rows of X ~ N(0, diag(sigma_eigs)).
pub fn sample_covariance_eigenvalues(
    sigma_eigs: &[f64],
    n: usize,
    rng: &mut UnitRng,
) -> Result<Vec<f64>, SimError> {
    let d = sigma_eigs.len();
    let mut x = Mat::<f64>::zeros(n, d);
    for (j, &t) in sigma_eigs.iter().enumerate() {
        let s = t.sqrt();
        x.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v = s * rng.sample::<f64, _>(StandardNormal));
    }
    let s = x.transpose() * &x * (1.0 / n as f64);
    s.self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("eigenvalues of S: {e:?}")))
}

/// The Kolmogorov–Smirnov distance sup_x |F_n(x) − F(x)| between the empirical law of `sorted`
/// (ascending) and a CDF given with its left limits (`cdf(x)` = F(x), `cdf_left(x)` = F(x−)), so
/// that atoms (the zero eigenvalues when d > n) are compared as atoms.
pub fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64, cdf_left: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        // One-sided gaps (D+ and D−); with ties, only the last of a run reaches F_n's full jump.
        .map(|(i, &x)| ((i + 1) as f64 / n - cdf(x)).max(cdf_left(x) - i as f64 / n))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_a_perfect_uniform_sample_is_one_over_2n() {
        let xs: Vec<f64> = (0..100).map(|i| (i as f64 + 0.5) / 100.0).collect();
        let u = |x: f64| x.clamp(0.0, 1.0);
        assert!((ks_distance(&xs, u, u) - 0.005).abs() < 1e-12);
        // Half the sample at an atom of mass 1/2 at zero, half uniform on (0, 1).
        let mut ys = vec![0.0; 100];
        ys.extend((0..100).map(|i| (i as f64 + 0.5) / 100.0));
        let f = |x: f64| if x < 0.0 { 0.0 } else { 0.5 + 0.5 * x.min(1.0) };
        let f_left = |x: f64| if x <= 0.0 { 0.0 } else { f(x) };
        assert!((ks_distance(&ys, f, f_left) - 0.0025).abs() < 1e-12);
    }
}
