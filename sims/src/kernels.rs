//! The dense kernels every simulation shares: products, symmetric rank updates, Gram matrices,
//! matrix-vector products and the symmetric eigendecomposition. Each takes its parallelism
//! explicitly, and every parallel split is by fixed column blocks, so results are bit-identical
//! whatever the thread count.

use engine::experiment::SimError;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self as tri, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Eigenvectors Q (columns) and eigenvalues (ascending) of a symmetric matrix (lower half read),
/// with the given parallelism (`Par::Seq` inside parallel trials).
pub fn symmetric_eigen(a: MatRef<'_, f64>, par: Par) -> Result<(Mat<f64>, Vec<f64>), SimError> {
    use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
    let n = a.nrows();
    let mut u = Mat::<f64>::zeros(n, n);
    let mut s = Diag::<f64>::zeros(n);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| {
        SimError::Numerical(format!(
            "the eigendecomposition of a {n} × {n} matrix did not converge ({e:?}): its entries are too large or not finite (a parameter too large for double precision?)"
        ))
    })?;
    let vals = (0..n).map(|i| s[i]).collect();
    Ok((u, vals))
}

pub(crate) fn column(v: &[f64]) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(v, v.len(), 1)
}

/// A v. Matrix-vector products stay sequential whatever the trial's parallelism: a parallel
/// split of their reductions would change the last bits with the thread count (and they are
/// memory-bound, so threads gain little).
pub(crate) fn mat_vec(a: MatRef<'_, f64>, v: &[f64]) -> Vec<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), 1);
    matmul(out.as_mut(), Accum::Replace, a, column(v), 1.0, Par::Seq);
    out.col_as_slice(0).to_vec()
}

/// Aᵀ v · alpha (sequential, as [`mat_vec`]).
pub(crate) fn mat_t_vec(a: MatRef<'_, f64>, v: &[f64], alpha: f64) -> Vec<f64> {
    let mut out = Mat::<f64>::zeros(a.ncols(), 1);
    matmul(
        out.as_mut(),
        Accum::Replace,
        a.transpose(),
        column(v),
        alpha,
        Par::Seq,
    );
    out.col_as_slice(0).to_vec()
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Width of the output column blocks of the parallel products.
pub(crate) const BLOCK: usize = 256;

/// dst ← alpha · lhs · rhs. Under a parallel `par`, output column blocks of fixed width run as
/// independent sequential products on rayon, so every entry comes from the same sequential code
/// whatever the thread count: bit-identical results (faer's own parallel split is not).
pub(crate) fn product(
    dst: MatMut<'_, f64>,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
    alpha: f64,
    par: Par,
) {
    if par == Par::Seq {
        return matmul(dst, Accum::Replace, lhs, rhs, alpha, Par::Seq);
    }
    dst.par_col_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(b, chunk)| {
            let cols = rhs.subcols(b * BLOCK, chunk.ncols());
            matmul(chunk, Accum::Replace, lhs, cols, alpha, Par::Seq);
        });
}

/// The lower triangle of alpha · xᵀx (a symmetric rank update: half the work of a product),
/// by column blocks under a parallel `par` as in [`product`].
pub(crate) fn syrk_lower(dst: MatMut<'_, f64>, x: MatRef<'_, f64>, alpha: f64, par: Par) {
    syrk_lower_blocks(dst, x, alpha, par, BLOCK)
}

/// [`syrk_lower`] with output column blocks of width `block` under a parallel `par` (narrower
/// blocks balance the triangle's uneven columns better; any fixed width gives the same bits on
/// every thread count).
pub(crate) fn syrk_lower_blocks(
    dst: MatMut<'_, f64>,
    x: MatRef<'_, f64>,
    alpha: f64,
    par: Par,
    block: usize,
) {
    let d = x.ncols();
    if par == Par::Seq {
        return tri::matmul(
            dst,
            BlockStructure::TriangularLower,
            Accum::Replace,
            x.transpose(),
            BlockStructure::Rectangular,
            x,
            BlockStructure::Rectangular,
            alpha,
            Par::Seq,
        );
    }
    dst.par_col_chunks_mut(block)
        .enumerate()
        .for_each(|(b, chunk)| {
            let (j0, w) = (b * block, chunk.ncols());
            let below = chunk.subrows_mut(j0, d - j0);
            matmul(
                below,
                Accum::Replace,
                x.subcols(j0, d - j0).transpose(),
                x.subcols(j0, w),
                alpha,
                Par::Seq,
            );
        });
}

/// MᵀM (k × k) as a symmetric rank update, lower half computed and mirrored.
pub(crate) fn gram(m: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let k = m.ncols();
    let mut g = Mat::<f64>::zeros(k, k);
    syrk_lower(g.as_mut(), m, 1.0, par);
    for j in 0..k {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}
