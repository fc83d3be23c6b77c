//! The optimizers of docs/linear-rep-model.md (its table), one small function each, on f = F G x
//! with the loss L̂ = (1/2n) Σ ‖y − F G x‖². Every G-update ends with [`retract`].

use super::{least_squares_head, sym_function, Batch};
use crate::kernels::symmetric_eigen;
use engine::experiment::SimError;
use faer::prelude::Solve;
use faer::Par;
use faer::{Mat, MatRef, Scale, Side};

/// An optimizer of docs/linear-rep-model.md's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Joint gradient descent on (F, G).
    Sgd,
    /// Alternating minimisation (least-squares head) and gradient descent on G.
    Amgd,
    /// AMGD with the G gradient right-preconditioned by the batch covariance.
    Dfw,
    /// KFAC with η_F = η.
    Kfac,
    /// KFAC with η_F = 1 (Theorem 3.6's setting).
    KfacEtaF1,
    /// Adam on (F, G).
    Adam,
    /// NGD with the exact (Gauss–Newton) Fisher, damped.
    Ngd,
    /// NGD with the empirical Fisher (1/n) Σ gᵢgᵢᵀ.
    NgdEmpF,
    /// AMGD on coordinate batch-normalised inputs.
    AmgdBn,
    /// AMGD on whitened inputs x ↦ Σ^{-1/2} x.
    AmgdWhiten,
}

impl Method {
    /// Every method, in the order of the figures.
    pub const ALL: [Method; 10] = [
        Method::Sgd,
        Method::Amgd,
        Method::Dfw,
        Method::Kfac,
        Method::KfacEtaF1,
        Method::Adam,
        Method::Ngd,
        Method::NgdEmpF,
        Method::AmgdBn,
        Method::AmgdWhiten,
    ];

    /// The names of cli.md.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sgd => "sgd",
            Method::Amgd => "amgd",
            Method::Dfw => "dfw",
            Method::Kfac => "kfac",
            Method::KfacEtaF1 => "kfac-etaf1",
            Method::Adam => "adam",
            Method::Ngd => "ngd",
            Method::NgdEmpF => "ngd-empf",
            Method::AmgdBn => "amgd-bn",
            Method::AmgdWhiten => "amgd-whiten",
        }
    }

    /// The method of a name (`kfac`, `ngd-empf`, …).
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether the step size is NGD's own (`--lr-ngd`).
    pub fn uses_ngd_lr(self) -> bool {
        matches!(self, Method::Ngd | Method::NgdEmpF)
    }

    /// The input normalisation the method trains (and is evaluated) with.
    pub fn normalization(self) -> Normalization {
        match self {
            Method::AmgdBn => Normalization::BatchNorm,
            Method::AmgdWhiten => Normalization::Whiten,
            _ => Normalization::None,
        }
    }
}

/// What the network sees of x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalization {
    /// Raw inputs.
    None,
    /// Coordinate-wise (x − μ̂)/σ̂ with the batch's statistics.
    BatchNorm,
    /// Σ^{-1/2} x (population by default; batch ZCA as an option).
    Whiten,
}

/// Hyper-parameters of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyper {
    /// η for every method but NGD.
    pub lr: f64,
    /// NGD's step size.
    pub lr_ngd: f64,
    /// KFAC's ridge λ_G on Σ̂_x [0].
    pub ridge: f64,
    /// Relative NGD damping: ρ = damping · tr(𝔽)/dim θ [1e-3].
    pub damping: f64,
}

/// Adam's moments (spec: β = (0.9, 0.999), ε = 1e-8, bias-corrected, not rotated by the retraction).
#[derive(Debug, Clone)]
pub struct AdamMoments {
    /// First moments of (F, G).
    pub m: (Mat<f64>, Mat<f64>),
    /// Second moments of (F, G).
    pub v: (Mat<f64>, Mat<f64>),
    /// Steps taken (for the bias correction).
    pub t: i32,
}

/// A method's parameters and memory.
#[derive(Debug, Clone)]
pub struct State {
    /// Which optimizer this state belongs to.
    pub method: Method,
    /// F (d_y × k).
    pub f: Mat<f64>,
    /// G (k × d_x), orthonormal rows.
    pub g: Mat<f64>,
    /// Adam's moments (Adam only).
    pub adam: Option<AdamMoments>,
    /// Reused buffers (the empirical-Fisher NGD step).
    pub work: Workspace,
}

/// (∇_F L̂, ∇_G L̂) = (RᵀZ/n, FᵀRᵀX/n), R = Z Fᵀ − Y, Z = X Gᵀ (spec §2).
pub fn gradients(f: MatRef<'_, f64>, g: MatRef<'_, f64>, b: &Batch) -> (Mat<f64>, Mat<f64>) {
    let n = b.x.nrows() as f64;
    let z = &b.x * g.transpose();
    let r = &z * f.transpose() - &b.y;
    let gf = r.transpose() * &z * Scale(1.0 / n);
    let gg = f.transpose() * (r.transpose() * &b.x) * Scale(1.0 / n);
    (gf, gg)
}

/// Row-orthonormalise G̃ by the thin QR G̃ᵀ = Q R (diag R > 0): G ← Qᵀ, F ← F Rᵀ, so that F G is
/// unchanged (spec §2, [C]).
pub fn retract(f: &mut Mat<f64>, g: &mut Mat<f64>) -> Result<(), SimError> {
    let qr = g.transpose().qr();
    let mut q = qr.compute_thin_Q();
    let mut r = qr.thin_R().to_owned();
    let k = r.nrows();
    for i in 0..k {
        if r[(i, i)] < 0.0 {
            for j in 0..k {
                r[(i, j)] = -r[(i, j)];
            }
            for j in 0..q.nrows() {
                q[(j, i)] = -q[(j, i)];
            }
        }
        if !(r[(i, i)].abs() > 1e-300 && r[(i, i)].is_finite()) {
            return Err(SimError::Numerical("G lost rank".into()));
        }
    }
    *g = q.transpose().to_owned();
    *f = &*f * r.transpose();
    Ok(())
}

/// Σ̂_x = XᵀX/n.
pub fn second_moment(x: MatRef<'_, f64>) -> Mat<f64> {
    x.transpose() * x * Scale(1.0 / x.nrows() as f64)
}

fn spd_solve_right(m: MatRef<'_, f64>, a: Mat<f64>) -> Result<Mat<f64>, SimError> {
    // A M⁻¹ = (M⁻¹ Aᵀ)ᵀ for symmetric positive definite M.
    let llt = m
        .llt(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("not positive definite ({e:?})")))?;
    Ok(llt.solve(a.transpose()).transpose().to_owned())
}

fn spd_solve_left(m: MatRef<'_, f64>, a: MatRef<'_, f64>) -> Result<Mat<f64>, SimError> {
    let llt = m
        .llt(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("not positive definite ({e:?})")))?;
    Ok(llt.solve(a))
}

/// SGD: (F, G) ← (F, G) − η ∇L̂_{B1}; retract.
pub fn sgd_step(s: &mut State, b1: &Batch, lr: f64) -> Result<(), SimError> {
    let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b1);
    s.f -= gf * Scale(lr);
    s.g -= gg * Scale(lr);
    retract(&mut s.f, &mut s.g)
}

/// AMGD: F ← F_ls(G; B1); G ← G − η ∇_G L̂_{B2}(F, G); retract.
pub fn amgd_step(s: &mut State, b1: &Batch, b2: &Batch, lr: f64) -> Result<(), SimError> {
    s.f = least_squares_head(s.g.as_ref(), b1)?;
    let (_, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b2);
    s.g -= gg * Scale(lr);
    retract(&mut s.f, &mut s.g)
}

/// DFW: F ← F_ls(G; B1); G ← G − η ∇_G L̂_{B2} Σ̂_{x,B2}⁻¹; retract.
pub fn dfw_step(s: &mut State, b1: &Batch, b2: &Batch, lr: f64) -> Result<(), SimError> {
    s.f = least_squares_head(s.g.as_ref(), b1)?;
    let (_, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b2);
    let step = spd_solve_right(second_moment(b2.x.as_ref()).as_ref(), gg)?;
    s.g -= step * Scale(lr);
    retract(&mut s.f, &mut s.g)
}

/// KFAC: F ← (1 − η_F) F + η_F F_ls(G; B1); G ← G − η (FᵀF)⁻¹ ∇_G L̂_{B2} (Σ̂_{x,B2} + λ_G I)⁻¹;
/// retract.
pub fn kfac_step(
    s: &mut State,
    b1: &Batch,
    b2: &Batch,
    lr: f64,
    lr_f: f64,
    ridge: f64,
) -> Result<(), SimError> {
    let fls = least_squares_head(s.g.as_ref(), b1)?;
    s.f = &s.f * Scale(1.0 - lr_f) + fls * Scale(lr_f);
    let (_, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b2);
    let mut q = second_moment(b2.x.as_ref());
    for i in 0..q.nrows() {
        q[(i, i)] += ridge;
    }
    let right = spd_solve_right(q.as_ref(), gg)?;
    let ftf = s.f.transpose() * &s.f;
    let step = spd_solve_left(ftf.as_ref(), right.as_ref())?;
    s.g -= step * Scale(lr);
    retract(&mut s.f, &mut s.g)
}

/// One bias-corrected Adam update of a parameter block.
fn adam_block(
    p: &mut Mat<f64>,
    m: &mut Mat<f64>,
    v: &mut Mat<f64>,
    grad: &Mat<f64>,
    lr: f64,
    t: i32,
) {
    const B1: f64 = 0.9;
    const B2: f64 = 0.999;
    const EPS: f64 = 1e-8;
    let (c1, c2) = (1.0 - B1.powi(t), 1.0 - B2.powi(t));
    for j in 0..p.ncols() {
        for i in 0..p.nrows() {
            let g = grad[(i, j)];
            m[(i, j)] = B1 * m[(i, j)] + (1.0 - B1) * g;
            v[(i, j)] = B2 * v[(i, j)] + (1.0 - B2) * g * g;
            let (mh, vh) = (m[(i, j)] / c1, v[(i, j)] / c2);
            p[(i, j)] -= lr * mh / (vh.sqrt() + EPS);
        }
    }
}

/// Adam on (∇_F, ∇_G) from B1; retract (the moments are not rotated).
pub fn adam_step(s: &mut State, b1: &Batch, lr: f64) -> Result<(), SimError> {
    let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b1);
    let st = s.adam.get_or_insert_with(|| AdamMoments {
        m: (
            Mat::zeros(gf.nrows(), gf.ncols()),
            Mat::zeros(gg.nrows(), gg.ncols()),
        ),
        v: (
            Mat::zeros(gf.nrows(), gf.ncols()),
            Mat::zeros(gg.nrows(), gg.ncols()),
        ),
        t: 0,
    });
    st.t += 1;
    adam_block(&mut s.f, &mut st.m.0, &mut st.v.0, &gf, lr, st.t);
    adam_block(&mut s.g, &mut st.m.1, &mut st.v.1, &gg, lr, st.t);
    retract(&mut s.f, &mut s.g)
}

/// The natural-gradient direction (𝔽 + ρI)⁻¹ ∇ for the exact (Gauss–Newton) Fisher of a batch,
/// through its Kronecker blocks (spec §3): 𝔽_FF = Σ̂_z ⊗ I, 𝔽_GG = Σ̂_x ⊗ FᵀF, 𝔽_FG = (GΣ̂_x) ⊗ F.
///
/// Block elimination: with A = (Σ̂_z + ρI) ⊗ I, the Schur complement on the G block is
/// M ⊗ FᵀF + ρI, M = Σ̂_x − Σ̂_x Gᵀ (Σ̂_z + ρI)⁻¹ G Σ̂_x, solved in the eigenbases of M and FᵀF
/// (d_x³ + k³ work instead of (d_y k + k d_x)³). Returns (ΔF, ΔG) and ρ.
pub fn ngd_direction(
    f: MatRef<'_, f64>,
    g: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
    grad: (&Mat<f64>, &Mat<f64>),
    damping: f64,
) -> Result<(Mat<f64>, Mat<f64>, f64), SimError> {
    let (dy, k, dx) = (f.nrows(), f.ncols(), g.ncols());
    let sx = second_moment(x);
    let gsx = g * &sx; // G Σ̂_x (k × d_x)
    let sz = &gsx * g.transpose(); // Σ̂_z = G Σ̂_x Gᵀ
    let ftf = f.transpose() * f;
    let trace = |m: &Mat<f64>| (0..m.nrows()).map(|i| m[(i, i)]).sum::<f64>();
    let p = (dy * k + k * dx) as f64;
    let rho = damping * (trace(&sz) * dy as f64 + trace(&sx) * trace(&ftf)) / p;
    let mut sz_r = sz.clone();
    for i in 0..k {
        sz_r[(i, i)] += rho;
    }
    let (gf, gg) = grad;
    // A⁻¹ vec(P) = vec(P (Σ̂_z + ρ)⁻¹).
    let a_inv = |pm: Mat<f64>| spd_solve_right(sz_r.as_ref(), pm);
    // Right-hand side of the Schur system: ∇_G − 𝔽_GF A⁻¹ ∇_F = ∇_G − Fᵀ (∇_F (Σ̂_z+ρ)⁻¹) G Σ̂_x.
    let rhs = gg - f.transpose() * a_inv(gf.clone())? * &gsx;
    // M = Σ̂_x − (GΣ̂_x)ᵀ (Σ̂_z + ρ)⁻¹ (GΣ̂_x).
    let m = &sx - gsx.transpose() * spd_solve_left(sz_r.as_ref(), gsx.as_ref())?;
    let (um, lm) = symmetric_eigen(m.as_ref(), Par::Seq)?;
    let (un, ln) = symmetric_eigen(ftf.as_ref(), Par::Seq)?;
    // vec(N Q M) = (M ⊗ N) vec(Q): Q = U_N [(U_Nᵀ R U_M) ./ (λ_N λ_Mᵀ + ρ)] U_Mᵀ.
    let mut t = un.transpose() * &rhs * &um;
    for j in 0..dx {
        for i in 0..k {
            t[(i, j)] /= ln[i] * lm[j].max(0.0) + rho;
        }
    }
    let dg = &un * t * um.transpose();
    // ΔF = A⁻¹ (∇_F − 𝔽_FG ΔG) = (∇_F − F ΔG Σ̂_x Gᵀ)(Σ̂_z + ρ)⁻¹.
    let df = a_inv(gf - f * &dg * gsx.transpose())?;
    Ok((df, dg, rho))
}

/// NGD with the exact Fisher: θ ← θ − η_NGD (𝔽 + ρI)⁻¹ ∇L̂_{B1}; retract.
pub fn ngd_step(s: &mut State, b1: &Batch, lr: f64, damping: f64) -> Result<(), SimError> {
    let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), b1);
    let (df, dg, _) = ngd_direction(
        s.f.as_ref(),
        s.g.as_ref(),
        b1.x.as_ref(),
        (&gf, &gg),
        damping,
    )?;
    s.f -= df * Scale(lr);
    s.g -= dg * Scale(lr);
    retract(&mut s.f, &mut s.g)
}

/// Per-sample gradients as the rows of Γ (n × (d_y k + k d_x)), θ = (vec F, vec G) column-major:
/// gᵢ = (vec(rᵢ zᵢᵀ), vec(Fᵀ rᵢ xᵢᵀ)), rᵢ = F zᵢ − yᵢ.
pub fn per_sample_gradients(f: MatRef<'_, f64>, g: MatRef<'_, f64>, b: &Batch) -> Mat<f64> {
    let (dy, k, dx, n) = (f.nrows(), f.ncols(), g.ncols(), b.x.nrows());
    let mut gam = Mat::<f64>::zeros(n, dy * k + k * dx);
    per_sample_gradients_into(f, g, b, &mut gam);
    gam
}

fn per_sample_gradients_into(
    f: MatRef<'_, f64>,
    g: MatRef<'_, f64>,
    b: &Batch,
    gam: &mut Mat<f64>,
) {
    let (dy, k, dx, n) = (f.nrows(), f.ncols(), g.ncols(), b.x.nrows());
    let z = &b.x * g.transpose(); // n × k
    let r = &z * f.transpose() - &b.y; // n × d_y
    let ftr = &r * f; // n × k: row i = (Fᵀ rᵢ)ᵀ
    for c in 0..k {
        for a in 0..dy {
            let col = gam.col_as_slice_mut(a + dy * c);
            for i in 0..n {
                col[i] = r[(i, a)] * z[(i, c)];
            }
        }
    }
    for c in 0..dx {
        for a in 0..k {
            let col = gam.col_as_slice_mut(dy * k + a + k * c);
            for i in 0..n {
                col[i] = ftr[(i, a)] * b.x[(i, c)];
            }
        }
    }
}

/// Column-block width of the empirical Fisher's parallel rank update (measured: 64 balances the
/// triangle better than the single-index products' 256).
const FISHER_BLOCK: usize = 64;

/// Buffers of the empirical-Fisher step (Γ, n × p, and 𝔽, p × p), allocated on its first
/// iteration and reused, so a long run does not allocate them every step.
#[derive(Debug, Clone)]
pub struct Workspace {
    gam: Mat<f64>,
    fisher: Mat<f64>,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            gam: Mat::zeros(0, 0),
            fisher: Mat::zeros(0, 0),
        }
    }
}

/// NGD with the empirical Fisher (1/n) ΓᵀΓ, same damping rule; θ ← θ − η_NGD (𝔽 + ρI)⁻¹ ∇; retract.
pub fn ngd_empirical_step(
    s: &mut State,
    b1: &Batch,
    lr: f64,
    damping: f64,
) -> Result<(), SimError> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
    use faer::linalg::cholesky::llt::solve::solve_in_place;
    let (dy, k) = (s.f.nrows(), s.f.ncols());
    let dx = s.g.ncols();
    let n = b1.x.nrows();
    let p = dy * k + k * dx;
    let w = &mut s.work;
    if w.gam.nrows() != n || w.gam.ncols() != p {
        w.gam = Mat::zeros(n, p);
        w.fisher = Mat::zeros(p, p);
    }
    per_sample_gradients_into(s.f.as_ref(), s.g.as_ref(), b1, &mut w.gam);
    // The n p² rank update dominates the whole head-to-head: half of it (lower triangle), split
    // into fixed column blocks on rayon (the same bits on any thread count).
    crate::kernels::syrk_lower_blocks(
        w.fisher.as_mut(),
        w.gam.as_ref(),
        1.0 / n as f64,
        faer::Par::rayon(0),
        FISHER_BLOCK,
    );
    let rho = damping * (0..p).map(|i| w.fisher[(i, i)]).sum::<f64>() / p as f64;
    for i in 0..p {
        w.fisher[(i, i)] += rho;
    }
    let mut grad = Mat::<f64>::zeros(p, 1);
    for c in 0..p {
        grad[(c, 0)] = w.gam.col_as_slice(c).iter().sum::<f64>() / n as f64;
    }
    let mut scratch = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        p,
        faer::Par::Seq,
        Default::default(),
    ));
    cholesky_in_place(
        w.fisher.as_mut(),
        Default::default(),
        faer::Par::Seq,
        MemStack::new(&mut scratch),
        Default::default(),
    )
    .map_err(|e| SimError::Numerical(format!("empirical Fisher not positive definite ({e:?})")))?;
    solve_in_place(
        w.fisher.as_ref(),
        grad.as_mut(),
        faer::Par::Seq,
        MemStack::new(&mut []),
    );
    for c in 0..k {
        for a in 0..dy {
            s.f[(a, c)] -= lr * grad[(a + dy * c, 0)];
        }
    }
    for c in 0..dx {
        for a in 0..k {
            s.g[(a, c)] -= lr * grad[(dy * k + a + k * c, 0)];
        }
    }
    retract(&mut s.f, &mut s.g)
}

/// Coordinate batch-norm of a batch's inputs with its own statistics (1/n variance), into `dst`
/// (same shape).
pub fn batch_normalize_into(src: &Batch, dst: &mut Batch) {
    crate::one_step::batch_norm_into(src.x.as_ref(), dst.x.as_mut());
    dst.y.copy_from(&src.y);
}

/// x ↦ W x for every row (W symmetric): X W, into `dst` (same shape).
pub fn transform_into(src: &Batch, w: MatRef<'_, f64>, dst: &mut Batch) {
    faer::linalg::matmul::matmul(
        dst.x.as_mut(),
        faer::Accum::Replace,
        src.x.as_ref(),
        w,
        1.0,
        faer::Par::Seq,
    );
    dst.y.copy_from(&src.y);
}

/// The batch's own ZCA whitening matrix Σ̂^{-1/2} (Σ̂ = XᵀX/n).
pub fn batch_whitener(x: MatRef<'_, f64>) -> Result<Mat<f64>, SimError> {
    let (q, vals) = symmetric_eigen(second_moment(x).as_ref(), Par::Seq)?;
    if vals[0] <= 0.0 {
        return Err(SimError::Numerical(
            "batch covariance singular: batch whitening needs n > d_x".into(),
        ));
    }
    Ok(sym_function(&q, &vals, |v| 1.0 / v.sqrt()))
}

/// One iteration of `s.method` on batches B1, B2 (already normalised for the BN/whitening
/// variants: they are AMGD on the normalised inputs).
pub fn step(s: &mut State, b1: &Batch, b2: &Batch, h: &Hyper) -> Result<(), SimError> {
    match s.method {
        Method::Sgd => sgd_step(s, b1, h.lr),
        Method::Amgd | Method::AmgdBn | Method::AmgdWhiten => amgd_step(s, b1, b2, h.lr),
        Method::Dfw => dfw_step(s, b1, b2, h.lr),
        Method::Kfac => kfac_step(s, b1, b2, h.lr, h.lr, h.ridge),
        Method::KfacEtaF1 => kfac_step(s, b1, b2, h.lr, 1.0, h.ridge),
        Method::Adam => adam_step(s, b1, h.lr),
        Method::Ngd => ngd_step(s, b1, h.lr_ngd, h.damping),
        Method::NgdEmpF => ngd_empirical_step(s, b1, h.lr_ngd, h.damping),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear_rep::{draw_batch, draw_instance, gaussian, Anisotropy, Covariates, Dims};
    use engine::rng::unit_rng;

    fn setup(n: usize) -> (crate::linear_rep::Instance, Batch, Batch, State) {
        let mut rng = unit_rng(5, 6, 0);
        let dims = Dims {
            dx: 12,
            dy: 5,
            k: 2,
        };
        let mut r2 = unit_rng(0, 2, 1);
        let inst = draw_instance(&dims, 0.5, Anisotropy::Low, &mut rng, &mut r2).unwrap();
        let b1 = draw_batch(
            &inst.train,
            inst.g_star.as_ref(),
            n,
            Covariates::Gaussian,
            0.1,
            &mut rng,
        );
        let b2 = draw_batch(
            &inst.train,
            inst.g_star.as_ref(),
            n,
            Covariates::Gaussian,
            0.1,
            &mut rng,
        );
        let mut g = gaussian(2, 12, 1.0, &mut rng);
        let mut f = gaussian(5, 2, 1.0, &mut rng);
        retract(&mut f, &mut g).unwrap();
        let s = State {
            method: Method::Sgd,
            f,
            g,
            adam: None,
            work: Workspace::default(),
        };
        (inst, b1, b2, s)
    }

    fn max_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
        let mut m: f64 = 0.0;
        for j in 0..a.ncols() {
            for i in 0..a.nrows() {
                m = m.max((a[(i, j)] - b[(i, j)]).abs());
            }
        }
        m
    }

    /// L̂(F, G) on a batch.
    fn loss(f: MatRef<'_, f64>, g: MatRef<'_, f64>, b: &Batch) -> f64 {
        let r = &b.x * g.transpose() * f.transpose() - &b.y;
        let mut s = 0.0;
        for j in 0..r.ncols() {
            for i in 0..r.nrows() {
                s += r[(i, j)] * r[(i, j)];
            }
        }
        s / (2.0 * b.x.nrows() as f64)
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (_, b1, _, s) = setup(50);
        let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), &b1);
        let h = 1e-6;
        for (i, j) in [(0, 0), (3, 1)] {
            let (mut fp, mut fm) = (s.f.clone(), s.f.clone());
            fp[(i, j)] += h;
            fm[(i, j)] -= h;
            let fd = (loss(fp.as_ref(), s.g.as_ref(), &b1) - loss(fm.as_ref(), s.g.as_ref(), &b1))
                / (2.0 * h);
            assert!((fd - gf[(i, j)]).abs() < 1e-7, "{fd} vs {}", gf[(i, j)]);
        }
        for (i, j) in [(0, 0), (1, 7)] {
            let (mut gp, mut gm) = (s.g.clone(), s.g.clone());
            gp[(i, j)] += h;
            gm[(i, j)] -= h;
            let fd = (loss(s.f.as_ref(), gp.as_ref(), &b1) - loss(s.f.as_ref(), gm.as_ref(), &b1))
                / (2.0 * h);
            assert!((fd - gg[(i, j)]).abs() < 1e-7, "{fd} vs {}", gg[(i, j)]);
        }
    }

    #[test]
    fn retraction_orthonormalises_and_keeps_fg() {
        let mut rng = unit_rng(1, 1, 1);
        let mut g = gaussian(3, 10, 2.0, &mut rng);
        let mut f = gaussian(4, 3, 1.0, &mut rng);
        let before = &f * &g;
        retract(&mut f, &mut g).unwrap();
        assert!(max_diff((&f * &g).as_ref(), before.as_ref()) < 1e-12);
        let ggt = &g * g.transpose();
        assert!(max_diff(ggt.as_ref(), Mat::<f64>::identity(3, 3).as_ref()) < 1e-13);
    }

    /// The exact Fisher's Kronecker-block solve against the dense (𝔽 + ρI)⁻¹∇ with 𝔽 = (1/n) Σ JᵢᵀJᵢ,
    /// Jᵢ the Jacobian of f(xᵢ) in θ built column by column by central finite differences.
    #[test]
    fn ngd_kronecker_solve_matches_a_dense_finite_difference_fisher() {
        let (_, b1, _, s) = setup(30);
        let (dy, k, dx) = (5, 2, 12);
        let p = dy * k + k * dx;
        let n = b1.x.nrows();
        let unpack = |theta: &[f64]| {
            let f = Mat::<f64>::from_fn(dy, k, |a, c| theta[a + dy * c]);
            let g = Mat::<f64>::from_fn(k, dx, |a, c| theta[dy * k + a + k * c]);
            (f, g)
        };
        let mut theta = vec![0.0; p];
        for c in 0..k {
            for a in 0..dy {
                theta[a + dy * c] = s.f[(a, c)];
            }
        }
        for c in 0..dx {
            for a in 0..k {
                theta[dy * k + a + k * c] = s.g[(a, c)];
            }
        }
        // Outputs of all samples, stacked: n·d_y values.
        let outputs = |th: &[f64]| {
            let (f, g) = unpack(th);
            let out = &b1.x * g.transpose() * f.transpose();
            (0..n)
                .flat_map(|i| (0..dy).map(move |a| (i, a)))
                .map(|(i, a)| out[(i, a)])
                .collect::<Vec<_>>()
        };
        let h = 1e-6;
        let mut jac = Mat::<f64>::zeros(n * dy, p);
        for c in 0..p {
            let (mut tp, mut tm) = (theta.clone(), theta.clone());
            tp[c] += h;
            tm[c] -= h;
            let (op, om) = (outputs(&tp), outputs(&tm));
            for r in 0..n * dy {
                jac[(r, c)] = (op[r] - om[r]) / (2.0 * h);
            }
        }
        let mut fisher = jac.transpose() * &jac * Scale(1.0 / n as f64);
        let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), &b1);
        let (df, dg, rho) =
            ngd_direction(s.f.as_ref(), s.g.as_ref(), b1.x.as_ref(), (&gf, &gg), 1e-3).unwrap();
        for i in 0..p {
            fisher[(i, i)] += rho;
        }
        let mut grad = Mat::<f64>::zeros(p, 1);
        for c in 0..k {
            for a in 0..dy {
                grad[(a + dy * c, 0)] = gf[(a, c)];
            }
        }
        for c in 0..dx {
            for a in 0..k {
                grad[(dy * k + a + k * c, 0)] = gg[(a, c)];
            }
        }
        let dense = fisher.llt(Side::Lower).unwrap().solve(&grad);
        let scale = (0..p).map(|i| dense[(i, 0)].abs()).fold(0.0, f64::max);
        let mut err: f64 = 0.0;
        for c in 0..k {
            for a in 0..dy {
                err = err.max((df[(a, c)] - dense[(a + dy * c, 0)]).abs());
            }
        }
        for c in 0..dx {
            for a in 0..k {
                err = err.max((dg[(a, c)] - dense[(dy * k + a + k * c, 0)]).abs());
            }
        }
        // Finite differences of a bilinear map are exact up to rounding (~1e-10 relative).
        assert!(err < 1e-5 * scale, "{err} vs scale {scale}");
    }

    #[test]
    fn empirical_fisher_rows_are_per_sample_gradients() {
        let (_, b1, _, s) = setup(20);
        let gam = per_sample_gradients(s.f.as_ref(), s.g.as_ref(), &b1);
        let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), &b1);
        let mean = |c: usize| (0..20).map(|i| gam[(i, c)]).sum::<f64>() / 20.0;
        assert!((mean(0) - gf[(0, 0)]).abs() < 1e-12);
        assert!((mean(5 + 2) - gf[(2, 1)]).abs() < 1e-12);
        assert!((mean(10 + 1 + 2 * 3) - gg[(1, 3)]).abs() < 1e-12);
    }

    /// One Adam step from zero moments, by hand: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε).
    #[test]
    fn adam_first_step_by_hand() {
        let (_, b1, _, mut s) = setup(40);
        let (gf, gg) = gradients(s.f.as_ref(), s.g.as_ref(), &b1);
        let mut f = s.f.clone();
        let mut g = s.g.clone();
        for j in 0..2 {
            for i in 0..5 {
                f[(i, j)] -= 0.01 * gf[(i, j)] / (gf[(i, j)].abs() + 1e-8);
            }
        }
        for j in 0..12 {
            for i in 0..2 {
                g[(i, j)] -= 0.01 * gg[(i, j)] / (gg[(i, j)].abs() + 1e-8);
            }
        }
        retract(&mut f, &mut g).unwrap();
        s.method = Method::Adam;
        adam_step(&mut s, &b1, 0.01).unwrap();
        assert!(max_diff(s.f.as_ref(), f.as_ref()) < 1e-12);
        assert!(max_diff(s.g.as_ref(), g.as_ref()) < 1e-12);
        assert_eq!(s.adam.as_ref().unwrap().t, 1);
    }

    /// Population KFAC (Theorem 3.6's derivation): with F = F_ls, Σ̂ → Σ and no noise, the G step
    /// is exactly G̃ = (1 − α) G + α A⁻¹ G*, A = G*ΣGᵀ(GΣGᵀ)⁻¹: the population step to rounding,
    /// and the batch step converging to it at the 1/√n rate (error at n = 400 000 at least 2.5×
    /// smaller than at 25 000; 4× expected).
    #[test]
    fn kfac_population_update_is_the_spec_mixture() {
        use crate::linear_rep::population::{
            population_grad_g, population_head, PopulationProblem,
        };
        let (inst, _, _, s) = setup(10);
        let alpha = 0.3;
        let sig = &inst.train.sigma;
        let gs = &inst.g_star;
        let m = &s.g * sig * s.g.transpose();
        let a = gs
            * sig
            * s.g.transpose()
            * m.llt(Side::Lower)
                .unwrap()
                .solve(Mat::<f64>::identity(2, 2));
        let want = &s.g * Scale(1.0 - alpha) + a.partial_piv_lu().solve(gs) * Scale(alpha);
        // Population.
        let p = PopulationProblem {
            head: inst.train.head.clone(),
            g_star: gs.clone(),
            sigma: sig.clone(),
            sigma_inv: sig
                .llt(Side::Lower)
                .unwrap()
                .solve(Mat::<f64>::identity(12, 12)),
        };
        let f = population_head(&p, s.g.as_ref()).unwrap();
        let grad = population_grad_g(&p, f.as_ref(), s.g.as_ref());
        let ftf = f.transpose() * &f;
        let pop = &s.g
            - spd_solve_left(ftf.as_ref(), (grad * &p.sigma_inv).as_ref()).unwrap() * Scale(alpha);
        assert!(max_diff(pop.as_ref(), want.as_ref()) < 1e-10);
        // Batches (the un-retracted G̃ of kfac_step with η_F = 1).
        let sample_error = |n: usize| {
            let mut rng = unit_rng(9, 9, n as u64);
            let b1 = draw_batch(
                &inst.train,
                gs.as_ref(),
                n,
                Covariates::Gaussian,
                0.0,
                &mut rng,
            );
            let b2 = draw_batch(
                &inst.train,
                gs.as_ref(),
                n,
                Covariates::Gaussian,
                0.0,
                &mut rng,
            );
            let f = least_squares_head(s.g.as_ref(), &b1).unwrap();
            let (_, gg) = gradients(f.as_ref(), s.g.as_ref(), &b2);
            let right = spd_solve_right(second_moment(b2.x.as_ref()).as_ref(), gg).unwrap();
            let ftf = f.transpose() * &f;
            let g_tilde =
                &s.g - spd_solve_left(ftf.as_ref(), right.as_ref()).unwrap() * Scale(alpha);
            max_diff(g_tilde.as_ref(), want.as_ref())
        };
        let (coarse, fine) = (sample_error(25_000), sample_error(400_000));
        assert!(fine < coarse / 2.5 && fine < 0.1, "{coarse} → {fine}");
    }

    /// AMGD, DFW and KFAC (η_F = 1) batch steps converge to the population steps of
    /// `population::population_step` (written from the population formulas, not from these
    /// functions) as the batch grows: the error at n = 400 000 is at least 2.5× below that at
    /// 25 000 (4× expected from the 1/√n sampling error), and small.
    #[test]
    fn batch_steps_converge_to_the_population_steps() {
        use crate::linear_rep::population::{population_step, PopulationProblem};
        let (inst, _, _, s) = setup(10);
        let sig = &inst.train.sigma;
        let p = PopulationProblem {
            head: inst.train.head.clone(),
            g_star: inst.g_star.clone(),
            sigma: sig.clone(),
            sigma_inv: sig
                .llt(Side::Lower)
                .unwrap()
                .solve(Mat::<f64>::identity(12, 12)),
        };
        let lr = 0.4;
        for m in [Method::Amgd, Method::Dfw, Method::KfacEtaF1] {
            let (mut fp, mut gp) = (s.f.clone(), s.g.clone());
            population_step(m, &p, &mut fp, &mut gp, lr).unwrap();
            let error = |n: usize| {
                let mut rng = unit_rng(11, 11, n as u64);
                let b1 = draw_batch(
                    &inst.train,
                    inst.g_star.as_ref(),
                    n,
                    Covariates::Gaussian,
                    0.0,
                    &mut rng,
                );
                let b2 = draw_batch(
                    &inst.train,
                    inst.g_star.as_ref(),
                    n,
                    Covariates::Gaussian,
                    0.0,
                    &mut rng,
                );
                let mut st = State {
                    method: m,
                    ..s.clone()
                };
                step(
                    &mut st,
                    &b1,
                    &b2,
                    &Hyper {
                        lr,
                        lr_ngd: lr,
                        ridge: 0.0,
                        damping: 1e-3,
                    },
                )
                .unwrap();
                max_diff(st.g.as_ref(), gp.as_ref())
            };
            let (coarse, fine) = (error(25_000), error(400_000));
            assert!(
                fine < coarse / 2.5 && fine < 0.05,
                "{}: {coarse} → {fine}",
                m.name()
            );
        }
    }
}
