//! The eigenvalues of one sampled sample-covariance matrix S = XᵀX/n, to hold against the
//! limiting density of Silverstein's equation (`verify spectrum`).

use engine::experiment::SimError;
use engine::rng::UnitRng;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::Serialize;
use theory::SpectralMeasure;

/// Eigenvalues (ascending) of S = XᵀX/n with rows of X ~ N(0, diag(sigma_eigs)), with the given
/// parallelism for the product and the eigenvalue solver.
pub fn sample_covariance_eigenvalues(
    sigma_eigs: &[f64],
    n: usize,
    rng: &mut UnitRng,
    par: Par,
) -> Result<Vec<f64>, SimError> {
    let d = sigma_eigs.len();
    let mut x = Mat::<f64>::zeros(n, d);
    for (j, &t) in sigma_eigs.iter().enumerate() {
        let s = t.sqrt();
        x.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v = s * rng.sample::<f64, _>(StandardNormal));
    }
    let mut s = Mat::<f64>::zeros(d, d);
    matmul(s.as_mut(), Accum::Replace, x.transpose(), &x, 1.0, par);
    let s = s * faer::Scale(1.0 / n as f64);
    let mut vals = faer::diag::Diag::<f64>::zeros(d);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        d,
        ComputeEigenvectors::No,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        s.as_ref(),
        vals.as_mut(),
        None,
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| SimError::Numerical(format!("eigenvalues of S: {e:?}")))?;
    Ok((0..d).map(|i| vals[i]).collect())
}

/// One histogram bin: the sample's density and the limiting law's average density over the bin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bin {
    /// Left edge.
    pub bin_lo: f64,
    /// Right edge.
    pub bin_hi: f64,
    /// Sample eigenvalues in the bin / (d · width) (the atom at zero excluded).
    pub sample_density: f64,
    /// The limiting CDF's increment over the bin / width (its continuous part).
    pub theory_density: f64,
}

/// One sample's eigenvalue law against Silverstein's limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumComparison {
    /// sup |F_sample − F_limit| over the whole law (atom at zero included).
    pub ks_distance: f64,
    /// Σ |histogram − limiting density| · bin width over the positive eigenvalues.
    pub l1_histogram_distance: f64,
    /// Mass of the atom at zero: the limit 1 − n/d (when d > n), and the sampled fraction.
    pub zero_mass_limit: f64,
    /// The sampled fraction of zero eigenvalues.
    pub zero_mass_sample: f64,
    /// The histogram against the limit.
    pub bins: Vec<Bin>,
    /// The limiting density on a fine grid (for the figure).
    pub curve: Vec<(f64, f64)>,
}

/// (x, value) pairs along a grid.
type Curve = Vec<(f64, f64)>;

/// The limiting CDF on a grid: the atom at zero, then the trapezoid integral of the density
/// (the grid is quadratic in x, uniform in √x, to resolve the 1/√x hard edge when d = n).
fn limiting_cdf_grid(
    h: &SpectralMeasure,
    gamma: f64,
    x_hi: f64,
    zero_mass: f64,
) -> Result<(Curve, Curve), SimError> {
    let fine = 1500;
    let xs: Vec<f64> = (1..=fine)
        .map(|i| x_hi * (i as f64 / fine as f64).powi(2))
        .collect();
    let dens = xs
        .iter()
        .map(|&x| theory::limiting_density(h, gamma, x))
        .collect::<Result<Vec<_>, _>>()
        .map_err(crate::theory_error)?;
    let mut cdf_grid = Vec::with_capacity(fine + 1);
    cdf_grid.push((0.0, zero_mass));
    let (mut acc, mut prev_x, mut prev_f) = (zero_mass, 0.0, 0.0);
    for (&x, &f) in xs.iter().zip(&dens) {
        acc += 0.5 * (f + prev_f) * (x - prev_x);
        cdf_grid.push((x, acc));
        (prev_x, prev_f) = (x, f);
    }
    Ok((cdf_grid, xs.into_iter().zip(dens).collect()))
}

/// Piecewise-linear interpolation of a CDF grid (0 below 0, 1 beyond the grid).
fn interpolate_cdf(grid: &[(f64, f64)], x: f64) -> f64 {
    if x < 0.0 {
        return 0.0;
    }
    let i = grid.partition_point(|p| p.0 < x);
    if i == 0 {
        return grid[0].1;
    }
    if i >= grid.len() {
        return 1.0;
    }
    let ((x0, f0), (x1, f1)) = (grid[i - 1], grid[i]);
    f0 + (f1 - f0) * (x - x0) / (x1 - x0)
}

/// Compare sampled eigenvalues `eig` (ascending; d of them, from n samples) with the limiting law
/// of population spectrum `h` at γ = d/n: KS distance, a histogram of `bins` equal-count bins
/// ([`equal_count_edges`]) and its L1 distance to the limiting density.
pub fn compare_with_limit(
    mut eig: Vec<f64>,
    h: &SpectralMeasure,
    n: usize,
    bins: usize,
) -> Result<SpectrumComparison, SimError> {
    let d = eig.len();
    let gamma = d as f64 / n as f64;
    let top = eig.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    // S has d − n zero eigenvalues when d > n; rounding leaves them at ±1e-15 · top.
    eig.iter_mut()
        .filter(|x| **x < 1e-9 * top)
        .for_each(|x| *x = 0.0);
    let zero_mass_limit = (1.0 - 1.0 / gamma).max(0.0);
    let is_zero = |x: f64| x < 1e-9 * top;
    let zero_mass_sample = eig.iter().filter(|&&x| is_zero(x)).count() as f64 / d as f64;
    // The limiting law up to just past the largest sample eigenvalue.
    let x_hi = 1.05
        * top.max(
            (1.0 + gamma.sqrt()).powi(2) * h.atoms.iter().map(|t| t.value).fold(0.0, f64::max),
        );
    let (cdf_grid, curve) = limiting_cdf_grid(h, gamma, x_hi, zero_mass_limit)?;
    let cdf = |x: f64| interpolate_cdf(&cdf_grid, x);
    let cdf_left = |x: f64| if x <= 0.0 { 0.0 } else { cdf(x) };
    let ks = ks_distance(&eig, cdf, cdf_left);
    let nonzero: Vec<f64> = eig.iter().copied().filter(|&x| !is_zero(x)).collect();
    let edges = equal_count_edges(&nonzero, bins, top * 1.02);
    let bins: Vec<Bin> = edges
        .windows(2)
        .enumerate()
        .map(|(b, e)| {
            let (lo, hi) = (e[0], e[1]);
            let width = (hi - lo).max(f64::MIN_POSITIVE);
            let count = nonzero.iter().filter(|&&x| lo <= x && x < hi).count()
                + usize::from(b + 2 == edges.len()) * nonzero.iter().filter(|&&x| x >= hi).count();
            // Bin average of the limiting density's continuous part: its CDF increment.
            let below = if b == 0 { zero_mass_limit } else { cdf(lo) };
            Bin {
                bin_lo: lo,
                bin_hi: hi,
                sample_density: count as f64 / (d as f64 * width),
                theory_density: (cdf(hi) - below).max(0.0) / width,
            }
        })
        .collect();
    let l1 = bins
        .iter()
        .map(|r| (r.sample_density - r.theory_density).abs() * (r.bin_hi - r.bin_lo))
        .sum();
    Ok(SpectrumComparison {
        ks_distance: ks,
        l1_histogram_distance: l1,
        zero_mass_limit,
        zero_mass_sample,
        bins,
        curve,
    })
}

/// Edges of `bins` histogram bins over [0, top] holding equal numbers of the (ascending, positive)
/// `values`, cut halfway between neighbours: a narrow bulk gets as many bins as a wide one holding
/// as many eigenvalues (equal-width bins gave the small bulk of a two-point spectrum 4 bins). A
/// cut that falls in a gap wider than 20 mean spacings becomes an empty bin spanning the gap.
/// Fewer values than bins: one bin per value.
pub fn equal_count_edges(values: &[f64], bins: usize, top: f64) -> Vec<f64> {
    let m = values.len();
    let bins = bins.clamp(1, m.max(1));
    let spacing = top / m.max(1) as f64;
    let mut edges = vec![0.0];
    let push = |e: f64, edges: &mut Vec<f64>| {
        if e > *edges.last().unwrap_or(&0.0) {
            edges.push(e);
        }
    };
    for b in 1..bins {
        let k = b * m / bins;
        let (a, c) = (values[k - 1], values[k]);
        if c - a > 20.0 * spacing {
            // A gap between bulks: its own empty bin, not two bins straddling it.
            push(a + 0.5 * spacing, &mut edges);
            push(c - 0.5 * spacing, &mut edges);
        } else {
            push(0.5 * (a + c), &mut edges);
        }
    }
    push(top, &mut edges);
    edges
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
