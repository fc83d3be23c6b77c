//! Silverstein's m(−λ) and m'(−λ) against (1/d) tr (S + λI)^(-1) and (1/d) tr (S + λI)^(-2) of
//! sampled S = XᵀX/n. Linear spectral statistics of sample covariance matrices fluctuate by O(1)
//! around d·m (Bai–Silverstein CLT), so the normalised traces are within C/d of the limit. Over
//! the six draws below, d·|Δm|/m had a spread (sd) of about 0.6 and d·|Δm'|/m' about 1.1; the
//! bounds, 3 m/d and 6 m'/d, sit about five of those spreads out, so a correct solver fails with
//! negligible probability (and the seeds are fixed), while a spurious root (−0.99 instead of
//! 50.49 for m at γ = 2, λ = 0.01) or the m of the wrong spectrum misses by far more.

use engine::rng::unit_rng;
use faer::linalg::matmul::triangular::{self as tri, BlockStructure};
use faer::prelude::Solve;
use faer::{Accum, Mat, Par, Side};
use rand::RngExt;
use theory::{stieltjes_negative, SpectralMeasure};

/// (1/d) tr (S + λI)^(-1) and (1/d) tr (S + λI)^(-2) for one draw of X with Σ = diag(eigs).
fn sampled_traces(eigs: &[f64], n: usize, lambda: f64, seed: u64) -> (f64, f64) {
    let d = eigs.len();
    let mut rng = unit_rng(seed, 99, 0);
    let x = Mat::<f64>::from_fn(n, d, |_, j| {
        eigs[j].sqrt() * rng.sample::<f64, _>(rand_distr::StandardNormal)
    });
    let mut s = Mat::<f64>::zeros(d, d);
    tri::matmul(
        s.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        x.transpose(),
        BlockStructure::Rectangular,
        x.as_ref(),
        BlockStructure::Rectangular,
        1.0 / n as f64,
        Par::Seq,
    );
    for j in 0..d {
        for i in 0..j {
            s[(i, j)] = s[(j, i)];
        }
        s[(j, j)] += lambda;
    }
    let inv = s
        .llt(Side::Lower)
        .unwrap()
        .solve(Mat::<f64>::identity(d, d));
    let tr1 = (0..d).map(|i| inv[(i, i)]).sum::<f64>() / d as f64;
    let tr2 = (0..d)
        .map(|i| (0..d).map(|k| inv[(i, k)] * inv[(k, i)]).sum::<f64>())
        .sum::<f64>()
        / d as f64;
    (tr1, tr2)
}

#[test]
fn silverstein_matches_sampled_resolvent_traces() {
    faer::set_global_parallelism(Par::Seq);
    // (eigenvalues of Σ as (value, fraction), γ = d/n, λ)
    type Case<'a> = (&'a [(f64, f64)], f64, f64);
    let cases: [Case; 3] = [
        (&[(1.0, 1.0)], 2.0, 0.1),
        (&[(2.0 / 11.0, 0.5), (20.0 / 11.0, 0.5)], 0.5, 0.1),
        (&[(0.5, 0.25), (1.0, 0.5), (4.0, 0.25)], 1.0, 0.05),
    ];
    for (atoms, gamma, lambda) in cases {
        let h = SpectralMeasure::new(atoms.iter().copied()).unwrap();
        let r = stieltjes_negative(&h, gamma, lambda).unwrap();
        for d in [400usize, 1600] {
            let eigs: Vec<f64> = atoms
                .iter()
                .flat_map(|&(v, w)| std::iter::repeat_n(v, (w * d as f64).round() as usize))
                .collect();
            assert_eq!(eigs.len(), d);
            let n = (d as f64 / gamma).round() as usize;
            let (m, mp) = sampled_traces(&eigs, n, lambda, d as u64);
            let (em, emp) = ((m - r.m).abs(), (mp - r.m_prime).abs());
            assert!(
                em <= 3.0 / d as f64 * r.m.max(1.0),
                "γ {gamma} λ {lambda} d {d}: m sampled {m} vs {}",
                r.m
            );
            assert!(
                emp <= 6.0 / d as f64 * r.m_prime.max(1.0),
                "γ {gamma} λ {lambda} d {d}: m' sampled {mp} vs {}",
                r.m_prime
            );
            eprintln!("gamma {gamma} lambda {lambda} d {d}: |dm|*d = {:.3} (m {:.4}), |dm'|*d = {:.3} (m' {:.4})", em * d as f64, r.m, emp * d as f64, r.m_prime);
        }
    }
}
