//! The direction level's sufficient statistics, drawn exactly without drawing X.
//!
//! Every direction-level update (SGD, KFAC, square-root KFAC, whitening, batch-norm, Adam's
//! sign, Shampoo and Muon on a vector) is a function of S = XᵀX/n, g = Xᵀy/n, the column means
//! Xᵀ1/n and ȳ ([`DirectionStats`]). Their joint law can be sampled in O(d³ + n) instead of the
//! O(n d²) of forming XᵀX from an n × d sample:
//!
//! X = Z D with Z n × d standard Gaussian and D = Σ^{1/2} (diagonal). Let Hh be the Householder
//! reflection taking w = Dβ* to ∓‖w‖e₁. Then Z′ = Z Hh is again standard Gaussian, and
//! ⟨xᵢ, β*⟩ = ±‖w‖ Z′ᵢ₁: the labels depend on Z′ only through its first column c. The other
//! columns R (n × (d−1)) are independent of (c, ε). With U an orthonormal basis of B = [c, y, 1]
//! (rank r ≤ 3), RᵀU = G is (d−1) × r standard Gaussian and Rᵀ(I − UUᵀ)R = W ~
//! Wishart_{d−1}(n − r, I), independent of G (rotational invariance of the rows of Rᵀ). So
//! RᵀB = G UᵀB, RᵀR = GGᵀ + W, ZᵀZ = Hh [[cᵀc, cᵀR], [Rᵀc, RᵀR]] Hh, and W comes from
//! Bartlett's decomposition W = LLᵀ (L lower triangular, L_ii² ~ χ²(n − r − i), L_ij ~ N(0, 1))
//! when n − r ≥ d − 1, or as YᵀY from a (n − r) × (d − 1) Gaussian Y otherwise.
//!
//! Nothing here is asymptotic: the statistics have exactly the law of the literal ones
//! (`single_index::stats_of` computes those from a drawn X; `sims/tests/direction_sampler.rs`
//! holds the two samplers against each other).

use crate::kernels::{syrk_lower, BLOCK};
use engine::rng::UnitRng;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self as tri, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand::RngExt;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;
use theory::Activation;

/// What every direction-level update is computed from.
#[derive(Debug, Clone)]
pub struct DirectionStats {
    /// S = XᵀX/n (d × d): its lower half (the upper half is not read, and not filled by
    /// [`draw_stats`]).
    pub second_moment: Mat<f64>,
    /// g = Xᵀy/n (the SGD direction, Theorem 3.9).
    pub gradient: Vec<f64>,
    /// Xᵀ1/n (the per-coordinate means batch-norm subtracts).
    pub column_means: Vec<f64>,
    /// ȳ = 1ᵀy/n.
    pub label_mean: f64,
    /// The teacher direction β*.
    pub beta: Vec<f64>,
    /// Every label is exactly zero (no update learns anything).
    pub labels_all_zero: bool,
}

/// Fill the upper half of a matrix from its lower half.
pub fn mirror_lower(s: &mut Mat<f64>) {
    for j in 0..s.ncols() {
        for i in 0..j {
            s[(i, j)] = s[(j, i)];
        }
    }
}

fn normal(rng: &mut UnitRng) -> f64 {
    rng.sample(StandardNormal)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// An orthonormal basis U (columns) of the span of `cols`, by twice-applied Gram–Schmidt, and
/// the coefficients C = UᵀB (rank × cols). A column whose remainder is below 1e-10 of its norm is
/// dependent and adds no basis vector.
pub(crate) fn orthonormal_basis(cols: &[&[f64]]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for b in cols {
        let size = dot(b, b).sqrt();
        let mut r = b.to_vec();
        for _ in 0..2 {
            for u in &basis {
                let c = dot(u, &r);
                r.iter_mut().zip(u).for_each(|(ri, ui)| *ri -= c * ui);
            }
        }
        let rest = dot(&r, &r).sqrt();
        if size > 0.0 && rest > 1e-10 * size {
            r.iter_mut().for_each(|v| *v /= rest);
            basis.push(r);
        }
    }
    let coef = basis
        .iter()
        .map(|u| cols.iter().map(|b| dot(u, b)).collect())
        .collect();
    (basis, coef)
}

/// W ~ Wishart_p(ν, I) into the lower half of `dst` (p × p, zero on entry): Bartlett's LLᵀ
/// when ν ≥ p, else YᵀY. Draw order: Bartlett by columns (the χ² diagonal entry, then the
/// normals below it); YᵀY by columns of Y.
pub(crate) fn wishart_lower_into(dst: MatMut<'_, f64>, nu: usize, rng: &mut UnitRng, par: Par) {
    let p = dst.nrows();
    if nu == 0 || p == 0 {
        return;
    }
    if nu >= p {
        let mut l = Mat::<f64>::zeros(p, p);
        for j in 0..p {
            let df = (nu - j) as f64;
            let chi2 = ChiSquared::new(df).expect("df ≥ 1").sample(rng);
            let col = l.col_as_slice_mut(j);
            col[j] = chi2.sqrt();
            col[j + 1..].iter_mut().for_each(|v| *v = normal(rng));
        }
        lower_times_transpose(dst, l.as_ref(), par);
    } else {
        let mut y = Mat::<f64>::zeros(nu, p);
        for j in 0..p {
            y.col_as_slice_mut(j)
                .iter_mut()
                .for_each(|v| *v = normal(rng));
        }
        syrk_lower(dst, y.as_ref(), 1.0, par);
    }
}

/// [`wishart_lower_into`] a new p × p matrix.
#[cfg(test)]
fn wishart_lower(p: usize, nu: usize, rng: &mut UnitRng, par: Par) -> Mat<f64> {
    let mut w = Mat::<f64>::zeros(p, p);
    wishart_lower_into(w.as_mut(), nu, rng, par);
    w
}

/// The lower half of L Lᵀ for lower-triangular L. Sequentially: faer's triangular product (p³/3
/// operations). In parallel (one large trial at a time): fixed-width column blocks, each a
/// rectangular product over the columns of L that can be non-zero (about 1.5·256/p more work),
/// so the bits do not depend on the thread count.
fn lower_times_transpose(dst: MatMut<'_, f64>, l: MatRef<'_, f64>, par: Par) {
    let p = l.nrows();
    if par == Par::Seq {
        return tri::matmul(
            dst,
            BlockStructure::TriangularLower,
            Accum::Replace,
            l,
            BlockStructure::TriangularLower,
            l.transpose(),
            BlockStructure::TriangularUpper,
            1.0,
            Par::Seq,
        );
    }
    let block = |(b, chunk): (usize, MatMut<'_, f64>)| {
        let (j0, w) = (b * BLOCK, chunk.ncols());
        // W[i, j] = Σ_{k ≤ j} L[i, k] L[j, k] for i ≥ j in this block.
        matmul(
            chunk.subrows_mut(j0, p - j0),
            Accum::Replace,
            l.submatrix(j0, 0, p - j0, j0 + w),
            l.submatrix(j0, 0, w, j0 + w).transpose(),
            1.0,
            Par::Seq,
        );
    };
    dst.par_col_chunks_mut(BLOCK).enumerate().for_each(block);
}

/// A Householder reflection I − vvᵀ/t taking `w` to a multiple of e₁: (v, t, sign) with
/// Hh w = sign ‖w‖ e₁.
fn householder(w: &[f64]) -> (Vec<f64>, f64, f64) {
    let a = dot(w, w).sqrt();
    let s = if w[0] >= 0.0 { 1.0 } else { -1.0 };
    let mut v = w.to_vec();
    v[0] += s * a;
    let t = dot(&v, &v) / 2.0;
    (v, t, -s)
}

/// Hh M Hh for symmetric M stored in its lower half (the upper half is not touched),
/// Hh = I − vvᵀ/t: p = Mv/t, p −= (vᵀp / 2t) v, M −= v pᵀ + p vᵀ.
fn reflect_both_sides(m: &mut Mat<f64>, v: &[f64], t: f64) {
    if t == 0.0 {
        return;
    }
    let d = v.len();
    let mut p = vec![0.0; d];
    for j in 0..d {
        let col = &m.col_as_slice(j)[j..];
        let (vj, below) = (v[j], &v[j..]);
        // Column j below the diagonal serves row j (as M_ji) and rows i > j (as M_ij).
        let mut pj = col[0] * vj;
        for (k, (&mij, &vi)) in col.iter().zip(below).enumerate().skip(1) {
            pj += mij * vi;
            p[j + k] += mij * vj;
        }
        p[j] += pj;
    }
    p.iter_mut().for_each(|pi| *pi /= t);
    let k = dot(v, &p) / (2.0 * t);
    p.iter_mut().zip(v).for_each(|(pi, vi)| *pi -= k * vi);
    for j in 0..d {
        let (pj, vj) = (p[j], v[j]);
        m.col_as_slice_mut(j)[j..]
            .iter_mut()
            .zip(v[j..].iter().zip(&p[j..]))
            .for_each(|(mij, (vi, pi))| *mij -= vi * pj + pi * vj);
    }
}

/// Hh x for a vector.
fn reflect(x: &mut [f64], v: &[f64], t: f64) {
    if t == 0.0 {
        return;
    }
    let c = dot(v, x) / t;
    x.iter_mut().zip(v).for_each(|(xi, vi)| *xi -= c * vi);
}

/// Z′ᵀZ′ in the rotated basis, lower half: [[cᵀc, ·], [Rᵀc, W + GGᵀ]] with W ~
/// Wishart_{d−1}(ν, I) drawn here (d = 1 + the rows of G).
fn rotated_gram(
    c: &[f64],
    rt_c: &[f64],
    g_mat: &Mat<f64>,
    nu: usize,
    rng: &mut UnitRng,
    par: Par,
) -> Mat<f64> {
    let d = g_mat.nrows() + 1;
    let mut m = Mat::<f64>::zeros(d, d);
    m[(0, 0)] = dot(c, c);
    if d > 1 {
        wishart_lower_into(m.submatrix_mut(1, 1, d - 1, d - 1), nu, rng, par);
        m.col_as_slice_mut(0)[1..].copy_from_slice(rt_c);
        for j in 0..d - 1 {
            let col = &mut m.col_as_slice_mut(j + 1)[j + 1..];
            for k in 0..g_mat.ncols() {
                let gk = g_mat.col_as_slice(k);
                let gjk = gk[j];
                col.iter_mut()
                    .zip(&gk[j..])
                    .for_each(|(mij, gik)| *mij += gik * gjk);
            }
        }
    }
    m
}

/// The direction-level statistics of y = σ*(⟨x, β*⟩) + σ_ε ε, x ~ N(0, diag(sqrt_eigs²)), drawn
/// from their exact joint law without X (module docs). Draw order: β*, c, ε, G, then W.
pub fn draw_stats(
    sqrt_eigs: &[f64],
    n: usize,
    teacher: &Activation,
    noise: f64,
    rng: &mut UnitRng,
    par: Par,
) -> DirectionStats {
    let d = sqrt_eigs.len();
    let scale = 1.0 / (d as f64).sqrt();
    let beta: Vec<f64> = (0..d).map(|_| normal(rng) * scale).collect();
    let w: Vec<f64> = beta.iter().zip(sqrt_eigs).map(|(b, s)| b * s).collect();
    let (v, t, sign) = householder(&w);
    let along = sign * dot(&w, &w).sqrt();
    let c: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
    let y: Vec<f64> = c
        .iter()
        .map(|&ci| teacher.eval(along * ci) + noise * normal(rng))
        .collect();
    let ones = vec![1.0; n];
    let (basis, coef) = orthonormal_basis(&[&c, &y, &ones]);
    let r = basis.len();
    // G = RᵀU, (d − 1) × r; RᵀB = G C.
    let mut g_mat = Mat::<f64>::zeros(d.saturating_sub(1), r);
    for j in 0..r {
        for i in 0..d.saturating_sub(1) {
            g_mat[(i, j)] = normal(rng);
        }
    }
    let rt_b: Vec<Vec<f64>> = (0..3)
        .map(|b| {
            (0..d.saturating_sub(1))
                .map(|i| (0..r).map(|k| g_mat[(i, k)] * coef[k][b]).sum())
                .collect()
        })
        .collect();
    let mut m = rotated_gram(&c, &rt_b[0], &g_mat, n - r.min(n), rng, par);
    reflect_both_sides(&mut m, &v, t);
    let rotated = |first: f64, rest: &[f64]| {
        let mut z: Vec<f64> = std::iter::once(first).chain(rest.iter().copied()).collect();
        reflect(&mut z, &v, t);
        z
    };
    let inv_n = 1.0 / n as f64;
    let zy = rotated(dot(&c, &y), &rt_b[1]);
    let z1 = rotated(c.iter().sum(), &rt_b[2]);
    for j in 0..d {
        let sj = sqrt_eigs[j] * inv_n;
        m.col_as_slice_mut(j)[j..]
            .iter_mut()
            .zip(&sqrt_eigs[j..])
            .for_each(|(mij, si)| *mij *= si * sj);
    }
    DirectionStats {
        second_moment: m,
        gradient: zy
            .iter()
            .zip(sqrt_eigs)
            .map(|(z, s)| z * s * inv_n)
            .collect(),
        column_means: z1
            .iter()
            .zip(sqrt_eigs)
            .map(|(z, s)| z * s * inv_n)
            .collect(),
        label_mean: y.iter().sum::<f64>() * inv_n,
        beta,
        labels_all_zero: y.iter().all(|&v| v == 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;

    #[test]
    fn wishart_has_mean_nu_times_identity_on_both_branches() {
        for (p, nu) in [(6usize, 20usize), (6, 3)] {
            let trials = 4000;
            let mut sum = Mat::<f64>::zeros(p, p);
            let mut sq = Mat::<f64>::zeros(p, p);
            for t in 0..trials {
                let w = wishart_lower(
                    p,
                    nu,
                    &mut unit_rng(3, p as u64 * 100 + nu as u64, t),
                    Par::Seq,
                );
                for j in 0..p {
                    for i in j..p {
                        sum[(i, j)] += w[(i, j)];
                        sq[(i, j)] += w[(i, j)] * w[(i, j)];
                    }
                }
            }
            for j in 0..p {
                for i in j..p {
                    let m = sum[(i, j)] / trials as f64;
                    // Var W_ii = 2ν, Var W_ij = ν (i ≠ j).
                    let var = if i == j { 2.0 * nu as f64 } else { nu as f64 };
                    let want = if i == j { nu as f64 } else { 0.0 };
                    let z = (m - want) / (var / trials as f64).sqrt();
                    assert!(
                        z.abs() < 4.5,
                        "p {p} ν {nu} W[{i},{j}] mean {m}, want {want}"
                    );
                    let v = sq[(i, j)] / trials as f64 - m * m;
                    assert!(
                        (v / var - 1.0).abs() < 0.15,
                        "p {p} ν {nu} Var W[{i},{j}] = {v}, want {var}"
                    );
                }
            }
        }
    }

    #[test]
    fn l_times_l_transpose_is_exact_and_its_parallel_form_thread_count_free() {
        let p = 600; // three column blocks, the last one partial
        let mut rng = unit_rng(9, 0, 0);
        let l = Mat::<f64>::from_fn(p, p, |i, j| if i >= j { normal(&mut rng) } else { 0.0 });
        let run = |par: Par| {
            let mut w = Mat::<f64>::zeros(p, p);
            lower_times_transpose(w.as_mut(), l.as_ref(), par);
            w
        };
        let (seq, one, two) = (run(Par::Seq), run(Par::rayon(1)), run(Par::rayon(2)));
        for j in 0..p {
            for i in j..p {
                assert_eq!(one[(i, j)].to_bits(), two[(i, j)].to_bits());
                let want: f64 = (0..=j).map(|k| l[(i, k)] * l[(j, k)]).sum();
                for w in [&seq, &two] {
                    assert!((w[(i, j)] - want).abs() < 1e-11 * (1.0 + want.abs()));
                }
            }
        }
    }

    #[test]
    fn the_basis_is_orthonormal_and_drops_dependent_columns() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 4.0, 6.0, 8.0];
        let one = [1.0; 4];
        let (u, c) = orthonormal_basis(&[&a, &b, &one]);
        assert_eq!(u.len(), 2);
        for (i, ui) in u.iter().enumerate() {
            for (j, uj) in u.iter().enumerate() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot(ui, uj) - want).abs() < 1e-14);
            }
        }
        // B = U C column by column.
        for (k, col) in [&a[..], &b[..], &one[..]].iter().enumerate() {
            for i in 0..4 {
                let got: f64 = (0..2).map(|r| u[r][i] * c[r][k]).sum();
                assert!((got - col[i]).abs() < 1e-12);
            }
        }
        let zero = [0.0; 4];
        assert_eq!(orthonormal_basis(&[&zero, &one]).0.len(), 1);
    }

    #[test]
    fn the_reflection_maps_w_onto_the_first_axis() {
        for w in [
            vec![3.0, -1.0, 2.0],
            vec![-0.5, 0.2, 0.0, 4.0],
            vec![0.0, 1.0],
        ] {
            let (v, t, sign) = householder(&w);
            let mut x = w.clone();
            reflect(&mut x, &v, t);
            let a = dot(&w, &w).sqrt();
            assert!((x[0] - sign * a).abs() < 1e-14 * a, "{x:?}");
            assert!(x[1..].iter().all(|e| e.abs() < 1e-14 * a), "{x:?}");
        }
    }
}
