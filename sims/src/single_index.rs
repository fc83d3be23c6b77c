//! Monte Carlo of the one-step SGD and KFAC updates in the single-index model (docs/single-index-model.md, "Simulation
//! levels"): the direction level (β̂_SGD = Xᵀy/n, β̂_KFAC = ridge) and the network level (the
//! real first gradient step of a two-layer network with symmetric initialisation).

use crate::kernels::{
    dot, gram, mat_t_vec, mat_vec, norm, product, symmetric_eigen, syrk_lower, BLOCK,
};
use crate::one_step::{adam_first_step, batch_norm, muon, shampoo, spectral_apply, OneStep};
use engine::experiment::{Model, SimError};
use engine::rng::UnitRng;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::cholesky::llt::solve::solve_in_place;
use faer::{Mat, MatMut, MatRef, Par};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use theory::{single_index_limits, Activation, SingleIndexParams, Spectrum, SpectrumFamily};

/// Which learned direction is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// β̂_SGD = Xᵀy/n and β̂_KFAC = (XᵀX/n + λI)⁻¹Xᵀy/n directly.
    Direction,
    /// Top right singular vector of W₁ − W₀ of a two-layer network after one step.
    Network,
}

/// Whether a limit formula is derived for `method` at `level`; the others are simulation only
/// (docs/one-step-methods.md says why).
pub fn has_theory(method: OneStep, level: Level) -> bool {
    match method {
        OneStep::Adam | OneStep::Muon => level == Level::Direction,
        _ => true,
    }
}

impl Level {
    /// `direction` or `network`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Direction => "direction",
            Level::Network => "network",
        }
    }
}

/// One draw of the single-index data: X (n × d, rows x_i ~ N(0, Σ)), β* ~ N(0, I/d), labels y.
pub struct Problem {
    /// Covariates, n × d.
    pub x: Mat<f64>,
    /// The teacher direction β*.
    pub beta: Vec<f64>,
    /// Labels y = σ*(⟨x, β*⟩) + ε.
    pub y: Vec<f64>,
}

fn normal(rng: &mut UnitRng) -> f64 {
    rng.sample(StandardNormal)
}

/// y_i = σ*(⟨x_i, β*⟩) + ε_i with Σ = diag(sqrt_eigs²). Draw order: X by columns, β*, ε.
pub fn draw_problem(
    sqrt_eigs: &[f64],
    n: usize,
    teacher: &Activation,
    noise: f64,
    rng: &mut UnitRng,
) -> Problem {
    let d = sqrt_eigs.len();
    let mut x = Mat::<f64>::zeros(n, d);
    for (j, &s) in sqrt_eigs.iter().enumerate() {
        x.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v = s * normal(rng));
    }
    let scale = 1.0 / (d as f64).sqrt();
    let beta: Vec<f64> = (0..d).map(|_| normal(rng) * scale).collect();
    let u = mat_vec(x.as_ref(), &beta);
    let y = u
        .iter()
        .map(|&ui| teacher.eval(ui) + noise * normal(rng))
        .collect();
    Problem { x, beta, y }
}

/// The statistics of a drawn problem, computed literally from X (O(n d²)).
pub fn stats_of(pb: &Problem, par: Par) -> crate::direction_stats::DirectionStats {
    let (n, d) = (pb.x.nrows(), pb.x.ncols());
    let mut s = Mat::<f64>::zeros(d, d);
    syrk_lower(s.as_mut(), pb.x.as_ref(), 1.0 / n as f64, par);
    let ones = vec![1.0; n];
    crate::direction_stats::DirectionStats {
        second_moment: s,
        gradient: mat_t_vec(pb.x.as_ref(), &pb.y, 1.0 / n as f64),
        column_means: mat_t_vec(pb.x.as_ref(), &ones, 1.0 / n as f64),
        label_mean: pb.y.iter().sum::<f64>() / n as f64,
        beta: pb.beta.clone(),
        labels_all_zero: pb.y.iter().all(|&v| v == 0.0),
    }
}

/// Which alignment between a learned direction and β* is measured (and predicted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Alignment {
    /// ρ = |⟨u, β*⟩| / (‖u‖ ‖β*‖), the paper's measure.
    #[default]
    Euclidean,
    /// ρ_Σ = |uᵀΣβ*| / (‖Σ^{1/2}u‖ ‖Σ^{1/2}β*‖): the alignment a readout on x ~ N(0, Σ) sees
    /// (docs/sigma-alignment.md).
    Sigma,
}

impl Alignment {
    /// `euclidean` or `sigma`.
    pub fn name(self) -> &'static str {
        match self {
            Alignment::Euclidean => "euclidean",
            Alignment::Sigma => "sigma",
        }
    }
}

/// The alignment of u with β*: Euclidean without `sigma`, else Σ-weighted with Σ =
/// diag(`sigma`) (the eigenvalues, in the coordinates of u and β*).
pub fn alignment(u: &[f64], beta: &[f64], sigma: Option<&[f64]>) -> f64 {
    let Some(t) = sigma else {
        return correlation(u, beta);
    };
    let (mut ub, mut uu, mut bb) = (0.0, 0.0, 0.0);
    for ((&ui, &bi), &ti) in u.iter().zip(beta).zip(t) {
        ub += ti * ui * bi;
        uu += ti * ui * ui;
        bb += ti * bi * bi;
    }
    let den = uu.sqrt() * bb.sqrt();
    if den > 0.0 {
        (ub.abs() / den).min(1.0)
    } else {
        0.0
    }
}

/// ρ(u) = |⟨u, β*⟩| / (‖u‖ ‖β*‖).
pub fn correlation(u: &[f64], beta: &[f64]) -> f64 {
    let den = norm(u) * norm(beta);
    if den > 0.0 {
        (dot(u, beta).abs() / den).min(1.0)
    } else {
        0.0
    }
}

/// The Cholesky factor L of P = XᵀX/n + λI (the KFAC right preconditioner). The factorisation
/// itself is sequential (d³/3 against the rank update's n·d²): faer's parallel Cholesky does not
/// give the same bits on every thread count.
pub fn kfac_factor(x: MatRef<'_, f64>, lambda: f64, par: Par) -> Result<Mat<f64>, SimError> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut p = Mat::<f64>::zeros(d, d);
    syrk_lower(p.as_mut(), x, 1.0 / n as f64, par);
    for i in 0..d {
        p[(i, i)] += lambda;
    }
    cholesky_lower(p)
}

/// The Cholesky factor of P (its lower half is read), sequential (see [`kfac_factor`]).
fn cholesky_lower(mut p: Mat<f64>) -> Result<Mat<f64>, SimError> {
    let d = p.nrows();
    let mut buf = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        d,
        Par::Seq,
        Default::default(),
    ));
    cholesky_in_place(
        p.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| {
        SimError::Numerical(format!(
            "XᵀX/n + λI is not positive definite ({e:?}); use lambda > 0 or psi > 1"
        ))
    })?;
    Ok(p)
}

/// Solve P Z = B in place given P's Cholesky factor (by blocks of right-hand sides in parallel).
fn solve_with(l: &Mat<f64>, rhs: MatMut<'_, f64>, par: Par) {
    if par == Par::Seq || rhs.ncols() <= BLOCK {
        return solve_in_place(l.as_ref(), rhs, Par::Seq, MemStack::new(&mut []));
    }
    rhs.par_col_chunks_mut(BLOCK)
        .for_each(|chunk| solve_in_place(l.as_ref(), chunk, Par::Seq, MemStack::new(&mut [])));
}

/// XᵀX/n, both halves.
fn sample_second_moment(x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut s = Mat::<f64>::zeros(x.ncols(), x.ncols());
    syrk_lower(s.as_mut(), x, 1.0 / x.nrows() as f64, par);
    for j in 0..s.ncols() {
        for i in 0..j {
            s[(i, j)] = s[(j, i)];
        }
    }
    s
}

/// The factorisations a set of methods needs, computed once per draw and shared.
struct Factors {
    /// Cholesky factor of XᵀX/n + λI (KFAC).
    chol: Option<Mat<f64>>,
    /// Eigen-decomposition of XᵀX/n (square-root KFAC, whitening).
    eigen: Option<(Mat<f64>, Vec<f64>)>,
}

impl Factors {
    /// From S = XᵀX/n (its lower half) when the statistics are drawn without X.
    fn from_second_moment(
        s: &Mat<f64>,
        lambda: f64,
        methods: &[OneStep],
    ) -> Result<Self, SimError> {
        let chol = if methods.contains(&OneStep::Kfac) {
            let mut p = s.clone();
            for i in 0..p.nrows() {
                p[(i, i)] += lambda;
            }
            Some(cholesky_lower(p)?)
        } else {
            None
        };
        let eigen = if methods.iter().any(|m| {
            matches!(
                m,
                OneStep::SqrtKfac | OneStep::Whiten | OneStep::KfacPower(_)
            )
        }) {
            let mut full = s.clone();
            crate::direction_stats::mirror_lower(&mut full);
            Some(symmetric_eigen(full.as_ref(), Par::Seq)?)
        } else {
            None
        };
        Ok(Factors { chol, eigen })
    }

    fn new(
        x: MatRef<'_, f64>,
        lambda: f64,
        methods: &[OneStep],
        par: Par,
    ) -> Result<Self, SimError> {
        let chol = if methods.contains(&OneStep::Kfac) {
            Some(kfac_factor(x, lambda, par)?)
        } else {
            None
        };
        let eigen = if methods.iter().any(|m| {
            matches!(
                m,
                OneStep::SqrtKfac | OneStep::Whiten | OneStep::KfacPower(_)
            )
        }) {
            Some(symmetric_eigen(
                sample_second_moment(x, par).as_ref(),
                Par::Seq,
            )?)
        } else {
            None
        };
        Ok(Factors { chol, eigen })
    }

    fn kfac(&self, mut m: Mat<f64>, par: Par) -> Mat<f64> {
        solve_with(self.chol.as_ref().expect("factored"), m.as_mut(), par);
        m
    }

    /// (XᵀX/n + shift)^power M.
    fn power(
        &self,
        m: MatRef<'_, f64>,
        shift: f64,
        power: f64,
        par: Par,
    ) -> Result<Mat<f64>, SimError> {
        let (q, vals) = self.eigen.as_ref().expect("factored");
        if shift == 0.0 && vals[0] <= 0.0 {
            return Err(SimError::Numerical(format!(
                "XᵀX/n is singular to double precision (smallest eigenvalue {:.3e}, largest {:.3e}): whitening needs psi > 1 and a spectrum whose eigenvalue ratio --kappa fits in about 1e15",
                vals[0],
                vals[vals.len() - 1]
            )));
        }
        Ok(spectral_apply(
            q,
            vals,
            |v| (v.max(0.0) + shift).powf(power),
            m,
            par,
        ))
    }
}

/// Direction level: ρ of each method's learned direction from one draw (paired), computed from
/// X literally. The model draws the same statistics without X ([`direction_trial_from_stats`]).
pub fn direction_trial(
    pb: &Problem,
    lambda: f64,
    methods: &[OneStep],
    par: Par,
) -> Result<Vec<f64>, SimError> {
    direction_trial_from_stats(&stats_of(pb, par), lambda, methods, par)
}

/// Direction level from the sufficient statistics: SGD β̂ = Xᵀy/n (Theorem 3.9); KFAC the ridge
/// solution (Corollary 3.11); the others as docs/one-step-methods.md.
pub fn direction_trial_from_stats(
    st: &crate::direction_stats::DirectionStats,
    lambda: f64,
    methods: &[OneStep],
    par: Par,
) -> Result<Vec<f64>, SimError> {
    direction_trial_aligned(st, lambda, methods, None, par)
}

/// As [`direction_trial_from_stats`], each direction's alignment measured as [`alignment`] does
/// (Σ-weighted with the eigenvalues `sigma`).
pub fn direction_trial_aligned(
    st: &crate::direction_stats::DirectionStats,
    lambda: f64,
    methods: &[OneStep],
    sigma: Option<&[f64]>,
    par: Par,
) -> Result<Vec<f64>, SimError> {
    if st.labels_all_zero {
        return Ok(vec![0.0; methods.len()]);
    }
    Ok(learned_directions(st, lambda, methods, par)?
        .iter()
        .map(|u| alignment(u, &st.beta, sigma))
        .collect())
}

/// Each method's learned direction at the direction level (unnormalised): SGD β̂ = Xᵀy/n
/// (Theorem 3.9); KFAC the ridge solution (Corollary 3.11); the others as
/// docs/one-step-methods.md.
pub fn learned_directions(
    st: &crate::direction_stats::DirectionStats,
    lambda: f64,
    methods: &[OneStep],
    par: Par,
) -> Result<Vec<Vec<f64>>, SimError> {
    let g = &st.gradient;
    let gm = Mat::<f64>::from_fn(g.len(), 1, |i, _| g[i]);
    let f = Factors::from_second_moment(&st.second_moment, lambda, methods)?;
    methods
        .iter()
        .map(|m| {
            let dir: Mat<f64> = match m {
                OneStep::Sgd => gm.clone(),
                OneStep::Kfac => f.kfac(gm.clone(), par),
                OneStep::SqrtKfac => f.power(gm.as_ref(), lambda, -0.5, par)?,
                // x̃ = Σ̂^{-1/2}x: gradient Σ̂^{-1/2}g in x̃, acting on x through Σ̂^{-1/2} again.
                OneStep::Whiten => {
                    let white = f.power(gm.as_ref(), 0.0, -0.5, par)?;
                    f.power(white.as_ref(), 0.0, -0.5, par)?
                }
                // z = (x − μ̂)/σ̂: Zᵀy/n = (g − μ̂ ȳ)/σ̂, acting on x through 1/σ̂ again.
                OneStep::BatchNorm => Mat::from_fn(g.len(), 1, |i, _| {
                    let mu = st.column_means[i];
                    let var = st.second_moment[(i, i)] - mu * mu;
                    (g[i] - mu * st.label_mean) / var
                }),
                OneStep::Adam => adam_first_step(gm.as_ref()),
                OneStep::Shampoo => shampoo(gm.as_ref(), par)?,
                OneStep::Muon => muon(gm.as_ref(), par)?,
                OneStep::KfacPower(k) => {
                    f.power(gm.as_ref(), lambda, -(*k as f64) / 1000.0, par)?
                }
            };
            Ok(dir.col_as_slice(0).to_vec())
        })
        .collect()
}

/// The top left singular vector of M (d × k): the top eigenvector of the smaller Gram matrix
/// (MᵀM, k × k, when k ≤ d; else MMᵀ), found by power iteration from the projection of `start`
/// and mapped back (v = M u / ‖M u‖). Forming the Gram costs one d·k² product; every iteration
/// then runs in cache. The iteration stops when a step moves the unit vector by less than 1e-12;
/// if 2000 steps do not get there (a small spectral gap), faer's symmetric eigendecomposition of
/// the Gram decides.
pub fn top_left_singular_vector(
    m: MatRef<'_, f64>,
    start: &[f64],
    par: Par,
) -> Result<Vec<f64>, SimError> {
    let (d, k) = (m.nrows(), m.ncols());
    if k > d {
        return top_eigenvector(gram(m.transpose(), par).as_ref(), start.to_vec());
    }
    let u = top_eigenvector(gram(m, par).as_ref(), mat_t_vec(m, start, 1.0))?;
    let mut v = mat_vec(m, &u);
    let s = norm(&v);
    if !(s > 0.0 && s.is_finite()) {
        return Err(SimError::Numerical(
            "the update matrix is zero: no direction was learned".into(),
        ));
    }
    v.iter_mut().for_each(|x| *x /= s);
    Ok(v)
}

/// The eigenvector of the largest eigenvalue of a symmetric positive semi-definite matrix.
fn top_eigenvector(g: MatRef<'_, f64>, mut v: Vec<f64>) -> Result<Vec<f64>, SimError> {
    let s = norm(&v);
    if s > 0.0 && s.is_finite() {
        v.iter_mut().for_each(|x| *x /= s);
        for _ in 0..2000 {
            let mut w = mat_vec(g, &v);
            let s = norm(&w);
            if !(s > 0.0 && s.is_finite()) {
                break;
            }
            w.iter_mut().for_each(|x| *x /= s);
            let moved = w
                .iter()
                .zip(&v)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            v = w;
            if moved < 1e-12 {
                return Ok(v);
            }
        }
    }
    let (q, _) = symmetric_eigen(g, Par::Seq)?;
    let top = g.nrows() - 1; // eigenvalues ascending
    Ok(q.col(top).iter().copied().collect())
}

/// W₀'s first N/2 rows, transposed (d × N/2), entries N(0, 1/d) drawn column by column.
pub fn draw_first_layer(d: usize, half: usize, rng: &mut UnitRng) -> Mat<f64> {
    let scale = 1.0 / (d as f64).sqrt();
    let mut w = Mat::<f64>::zeros(d, half); // columns are w_j
    for j in 0..half {
        w.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v = normal(rng) * scale);
    }
    w
}

/// Aᵀ (d × N/2): the transposed first half of the rows of −√N ∇_W L at the symmetric
/// initialisation (the second half is its negative), drawing W₀'s first half from `rng`:
/// A_j = (1/n) Σ_i y_i σ'(⟨w_j, x_i⟩) x_i.
pub fn one_step_update(
    pb: &Problem,
    student: &Activation,
    width: usize,
    rng: &mut UnitRng,
    par: Par,
) -> Mat<f64> {
    let w = draw_first_layer(pb.x.ncols(), width / 2, rng);
    one_step_update_with(pb.x.as_ref(), &pb.y, w.as_ref(), student, par)
}

/// [`one_step_update`] for given inputs X (n × d) and first-layer half W₀ᵀ (d × N/2).
pub fn one_step_update_with(
    x: MatRef<'_, f64>,
    y: &[f64],
    w: MatRef<'_, f64>,
    student: &Activation,
    par: Par,
) -> Mat<f64> {
    let (n, d) = (x.nrows(), x.ncols());
    let half = w.ncols();
    // H = X W (n × N/2), then D_ij = y_i σ'(H_ij).
    let mut h = Mat::<f64>::zeros(n, half);
    product(h.as_mut(), x, w, 1.0, par);
    for j in 0..half {
        crate::elementwise::scale_by_derivative(student, h.col_as_slice_mut(j), y);
    }
    // Aᵀ = Xᵀ D / n (d × N/2).
    let mut at = Mat::<f64>::zeros(d, half);
    product(at.as_mut(), x.transpose(), h.as_ref(), 1.0 / n as f64, par);
    at
}

/// The largest singular value of M.
pub fn operator_norm(m: MatRef<'_, f64>, par: Par) -> Result<f64, SimError> {
    let start: Vec<f64> = (0..m.nrows()).map(|i| 1.0 + (i % 7) as f64).collect();
    let v = top_left_singular_vector(m, &start, par)?;
    Ok(norm(&mat_t_vec(m, &v, 1.0)))
}

/// Network level: ρ of the top right singular vector of W₁ − W₀ after one step of
/// f(x) = N^{-1/2} Σ a_j σ(⟨w_j, x⟩), with w_{j+N/2} = w_j, a = (+1, …, −1, …) so f ≡ 0 at start,
/// for each method from the same draw and the same W₀ (paired).
///
/// With f ≡ 0 the residual is y, and −√N ∇_{w_j} L = (a_j/n) Σ_i y_i σ'(⟨w_j, x_i⟩) x_i: the second
/// half of the rows repeats the first with the opposite sign, so W₁ − W₀ ∝ [A; −A] and its right
/// singular vectors are those of A (N/2 × d). KFAC right-multiplies by P⁻¹ (Q = I); the input
/// normalisations (whitening, batch-norm) change what the student sees, and the learned weights
/// act on x through the normalisation, so their input-space update is A_norm · (map).
pub fn network_trial(
    pb: &Problem,
    student: &Activation,
    width: usize,
    lambda: f64,
    methods: &[OneStep],
    rng: &mut UnitRng,
    par: Par,
) -> Result<Vec<f64>, SimError> {
    network_trial_aligned(pb, (student, width), lambda, methods, None, rng, par)
}

/// As [`network_trial`], each learned direction's alignment measured as [`alignment`] does.
pub fn network_trial_aligned(
    pb: &Problem,
    student: (&Activation, usize),
    lambda: f64,
    methods: &[OneStep],
    sigma: Option<&[f64]>,
    rng: &mut UnitRng,
    par: Par,
) -> Result<Vec<f64>, SimError> {
    let step = NetworkStep::new(pb, student, lambda, methods, rng, par)?;
    (0..methods.len())
        .map(|k| {
            let v = step.direction(&step.update(k, par)?, par)?;
            Ok(alignment(&v, &pb.beta, sigma))
        })
        .collect()
}

/// How a method's student sees the input x: its learned weights act on x through this map.
#[derive(Debug, Clone)]
pub enum InputMap {
    /// x itself.
    Identity,
    /// Σ̂^{-1/2} x (input whitening with the training batch's XᵀX/n), the matrix Σ̂^{-1/2}.
    Whiten(Mat<f64>),
    /// (x − μ̂) / σ̂ coordinate-wise (batch-norm with the training batch's statistics).
    BatchNorm {
        /// μ̂ per coordinate.
        mean: Vec<f64>,
        /// 1/σ̂ per coordinate.
        inv_sd: Vec<f64>,
    },
}

impl InputMap {
    /// The rows of `x` (n × d) as the student sees them.
    pub fn apply(&self, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        match self {
            InputMap::Identity => x.to_owned(),
            InputMap::Whiten(m) => {
                let mut out = Mat::<f64>::zeros(x.nrows(), x.ncols());
                product(out.as_mut(), x, m.as_ref(), 1.0, par);
                out
            }
            InputMap::BatchNorm { mean, inv_sd } => Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
                (x[(i, j)] - mean[j]) * inv_sd[j]
            }),
        }
    }
}

/// One method's first-layer step at the network level.
pub struct NetworkUpdate {
    /// The update of W₀'s first half in the student's own input coordinates (d × N/2; the second
    /// half moves by its negative).
    pub update: Mat<f64>,
    /// The same update acting on x (d × N/2; None: equal to `update`): its top left singular
    /// vector is the learned direction.
    pub input_update: Option<Mat<f64>>,
}

/// The shared part of one network-level draw: W₀'s first half, the plain update, the
/// factorisations; [`NetworkStep::update`] makes each method's step from them, one at a time.
pub struct NetworkStep<'a> {
    pb: &'a Problem,
    student: &'a Activation,
    lambda: f64,
    methods: &'a [OneStep],
    /// W₀'s first half, transposed (d × N/2).
    pub w0: Mat<f64>,
    at: Mat<f64>,
    start: Vec<f64>,
    f: Factors,
}

impl<'a> NetworkStep<'a> {
    /// Draw W₀'s first half from `rng` and compute the plain (SGD) update and the factorisations
    /// `methods` need.
    pub fn new(
        pb: &'a Problem,
        (student, width): (&'a Activation, usize),
        lambda: f64,
        methods: &'a [OneStep],
        rng: &mut UnitRng,
        par: Par,
    ) -> Result<Self, SimError> {
        let (n, d) = (pb.x.nrows(), pb.x.ncols());
        let w0 = draw_first_layer(d, width / 2, rng);
        let at = one_step_update_with(pb.x.as_ref(), &pb.y, w0.as_ref(), student, par);
        // Power iteration warm start: the SGD direction (any start not orthogonal to the answer
        // works).
        let start = mat_t_vec(pb.x.as_ref(), &pb.y, 1.0 / n as f64);
        let f = Factors::new(pb.x.as_ref(), lambda, methods, par)?;
        Ok(NetworkStep {
            pb,
            student,
            lambda,
            methods,
            w0,
            at,
            start,
            f,
        })
    }

    /// The top left singular vector of the update acting on x: the learned direction.
    pub fn direction(&self, u: &NetworkUpdate, par: Par) -> Result<Vec<f64>, SimError> {
        let m = u.input_update.as_ref().unwrap_or(&u.update);
        top_left_singular_vector(m.as_ref(), &self.start, par)
    }

    /// The step of the k-th method (KFAC right-multiplies by P⁻¹, Q = I; the input
    /// normalisations change what the student sees, and their learned weights act on x through
    /// the normalisation).
    pub fn update(&self, k: usize, par: Par) -> Result<NetworkUpdate, SimError> {
        let (pb, f, lambda) = (self.pb, &self.f, self.lambda);
        let plain = |update: Mat<f64>| NetworkUpdate {
            update,
            input_update: None,
        };
        let at = &self.at;
        let student_step = |x: MatRef<'_, f64>| {
            one_step_update_with(x, &pb.y, self.w0.as_ref(), self.student, par)
        };
        Ok(match self.methods[k] {
            OneStep::Sgd => plain(at.clone()),
            OneStep::Kfac => plain(f.kfac(at.clone(), par)),
            OneStep::SqrtKfac => plain(f.power(at.as_ref(), lambda, -0.5, par)?),
            OneStep::Whiten => {
                // X̃ = X Σ̂^{-1/2} (Σ̂^{-1/2} symmetric); input-space update Σ̂^{-1/2} Ãᵀ.
                let xt = f.power(pb.x.transpose(), 0.0, -0.5, par)?;
                let a = student_step(xt.transpose());
                let input_update = Some(f.power(a.as_ref(), 0.0, -0.5, par)?);
                NetworkUpdate {
                    update: a,
                    input_update,
                }
            }
            OneStep::BatchNorm => {
                let (z, inv_sd) = batch_norm(pb.x.as_ref());
                let a = student_step(z.as_ref());
                let mut input = a.clone();
                for j in 0..input.ncols() {
                    input
                        .col_as_slice_mut(j)
                        .iter_mut()
                        .zip(&inv_sd)
                        .for_each(|(v, s)| *v *= s);
                }
                NetworkUpdate {
                    update: a,
                    input_update: Some(input),
                }
            }
            OneStep::Adam => plain(adam_first_step(at.as_ref())),
            OneStep::Shampoo => plain(shampoo(at.as_ref(), par)?),
            OneStep::Muon => plain(muon(at.as_ref(), par)?),
            OneStep::KfacPower(p) => {
                plain(f.power(at.as_ref(), lambda, -(p as f64) / 1000.0, par)?)
            }
        })
    }

    /// How the k-th method's student sees x (the training batch's statistics, for the
    /// normalisations).
    pub fn input_map(&self, k: usize, par: Par) -> Result<InputMap, SimError> {
        let x = self.pb.x.as_ref();
        Ok(match self.methods[k] {
            OneStep::Whiten => {
                let identity = Mat::<f64>::identity(x.ncols(), x.ncols());
                InputMap::Whiten(self.f.power(identity.as_ref(), 0.0, -0.5, par)?)
            }
            OneStep::BatchNorm => {
                let (mean, inv_sd) = crate::one_step::batch_norm_stats(x);
                InputMap::BatchNorm { mean, inv_sd }
            }
            _ => InputMap::Identity,
        })
    }
}

/// Problem size (entries of X) from which trials run one at a time with faer parallel inside.
pub const INNER_PARALLEL_ELEMENTS: usize = 1 << 24;

/// The single-index model as a [`Model`]: Lemmas 3.10/3.12 against either simulation level.
#[derive(Debug, Clone)]
pub struct SingleIndexModel {
    /// The spectrum family of Σ.
    pub family: SpectrumFamily,
    /// Rescale the spectrum to mean 1 (tr Σ = d).
    pub normalize: bool,
    /// The teacher σ*.
    pub teacher: Activation,
    /// The student σ (network level).
    pub student: Activation,
    /// Label-noise standard deviation σ_ε.
    pub noise: f64,
    /// Direction or network level.
    pub level: Level,
    /// Multiplier on the default finite-size allowance (see [`SingleIndexModel::allowance`]).
    pub allowance_scale: f64,
    /// The compared one-step updates ([`crate::PAPER_METHODS`] by default).
    pub methods: Vec<OneStep>,
    /// The alignment measured and predicted (Euclidean: the paper's ρ).
    pub alignment: Alignment,
}

/// A grid point of the single-index sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleIndexPoint {
    /// Anisotropy κ of the spectrum family.
    pub kappa: f64,
    /// Sample ratio ψ = n/d.
    pub psi: f64,
    /// KFAC ridge λ.
    pub lambda: f64,
    /// Dimension d.
    pub d: usize,
    /// Network width N (even); unused at the direction level.
    pub width: usize,
}

impl SingleIndexPoint {
    /// n = round(ψ d).
    pub fn n(&self) -> usize {
        (self.psi * self.d as f64).round() as usize
    }
}

impl SingleIndexModel {
    /// The ridge at a grid point: the given λ, or (None: `--lambda opt`) the λ maximising ρ_KFAC
    /// there (theory::optimal_ridge).
    pub fn ridge(
        &self,
        lambda: Option<f64>,
        kappa: f64,
        psi: f64,
        d: usize,
    ) -> Result<f64, SimError> {
        match lambda {
            Some(v) => Ok(v),
            None => {
                let h = Spectrum {
                    family: self.family.clone(),
                    kappa,
                    d,
                    normalize: self.normalize,
                }
                .measure()
                .map_err(crate::theory_error)?;
                Ok(theory::optimal_ridge(&h, psi, &self.teacher, self.noise)
                    .map_err(crate::theory_error)?
                    .0)
            }
        }
    }

    /// Refuse a student without a linear part at `p`: with E[σ'(z)] = 0 one gradient step learns
    /// no direction (Theorem 3.9's spike has size c1). Blames --kappa when the covariates' scale
    /// (not the student) is what saturates it.
    pub fn check_student(&self, p: &SingleIndexPoint) -> Result<(), SimError> {
        let tau1 = self
            .spectrum(p)
            .measure()
            .map_err(crate::theory_error)?
            .tau1();
        let c1 = self.student.moments(tau1).map_err(crate::theory_error)?.c1;
        if c1.abs() >= 1e-8 {
            return Ok(());
        }
        // A pre-activation variance far from 1 (an unnormalised spectrum) saturates the student:
        // that is the covariates' scale, not the student's fault.
        if !(1e-6..=1e6).contains(&tau1) {
            return Err(SimError::InvalidParameter {
                name: "kappa",
                reason: format!(
                    "the covariates' scale τ1 = tr(Σ)/d = {tau1:.3e} (an unnormalised spectrum: --no-normalize with this --kappa) makes {}'s E[σ'(z)] = {c1:.2e} ≈ 0, so one step learns no direction; drop --no-normalize or use a smaller --kappa",
                    self.student
                ),
            });
        }
        Err(SimError::InvalidParameter {
            name: "student",
            reason: format!(
                "{} has E[σ'(z)] = {c1:.2e} ≈ 0, so one step learns no direction; pick a student with a linear part",
                self.student
            ),
        })
    }

    /// A rough upper estimate of the memory the trials at `p` hold at once, in bytes: X (n × d),
    /// a few d × d factors (more with the eigendecomposition-based updates), and at the network
    /// level the n × N/2 and d × N/2 layer matrices; two trials at once unless the point runs
    /// one trial at a time with parallel algebra inside.
    pub fn memory_estimate(&self, p: &SingleIndexPoint) -> f64 {
        let (n, d) = (p.n() as f64, p.d as f64);
        let spectral = self.methods.iter().any(|m| {
            matches!(
                m,
                OneStep::SqrtKfac
                    | OneStep::Whiten
                    | OneStep::Shampoo
                    | OneStep::Muon
                    | OneStep::KfacPower(_)
            )
        });
        let squares = if spectral { 6.0 } else { 3.0 };
        let mut words = squares * d * d + 4.0 * (n + d);
        match self.level {
            // The statistics are drawn without X (crate::direction_stats): L and the rotated
            // XᵀX, and a (n − 3) × d Gaussian only when n < d.
            Level::Direction => words += 2.0 * d * d + if n < d { n * d } else { 0.0 },
            Level::Network => words += n * d + 3.0 * p.width as f64 / 2.0 * (n + d),
        }
        let at_once = if self.parallel_inside(p) { 1.0 } else { 2.0 };
        8.0 * words * at_once
    }

    /// The population spectrum at `p`.
    pub fn spectrum(&self, p: &SingleIndexPoint) -> Spectrum {
        Spectrum {
            family: self.family.clone(),
            kappa: p.kappa,
            d: p.d,
            normalize: self.normalize,
        }
    }

    /// One draw of (X, β*, y) at the point's Σ, n and teacher.
    pub fn draw(&self, p: &SingleIndexPoint, rng: &mut UnitRng) -> Result<Problem, SimError> {
        Ok(draw_problem(
            &self.sqrt_eigs(p)?,
            p.n(),
            &self.teacher,
            self.noise,
            rng,
        ))
    }

    /// The square roots of Σ's eigenvalues at `p`.
    pub fn sqrt_eigs(&self, p: &SingleIndexPoint) -> Result<Vec<f64>, SimError> {
        Ok(self
            .spectrum(p)
            .eigenvalues()
            .map_err(crate::theory_error)?
            .into_iter()
            .map(f64::sqrt)
            .collect())
    }

    /// All of Lemma 3.10 / 3.12's quantities at a point.
    pub fn limits(&self, p: &SingleIndexPoint) -> Result<theory::SingleIndexLimits, SimError> {
        let h = self.spectrum(p).measure().map_err(crate::theory_error)?;
        single_index_limits(&SingleIndexParams {
            spectrum: &h,
            psi: p.psi,
            teacher: &self.teacher,
            noise: self.noise,
            lambda: p.lambda,
        })
        .map_err(crate::theory_error)
    }

    /// [`Self::limits`] at many points, computing the teacher moments once per distinct τ1
    /// (once in all for a normalised spectrum) instead of once per point.
    pub fn limits_many(
        &self,
        points: &[SingleIndexPoint],
    ) -> Vec<Result<theory::SingleIndexLimits, SimError>> {
        let mut memo: Vec<(f64, theory::TeacherMoments)> = Vec::new();
        // The last (κ, d)'s measure: consecutive points of a ψ or λ sweep share it (a file,
        // linear or geometric spectrum has d atoms to build).
        let mut last: Option<(f64, usize, theory::SpectralMeasure)> = None;
        points
            .iter()
            .map(|p| {
                let h = match last.take() {
                    Some((k, d, h)) if k.to_bits() == p.kappa.to_bits() && d == p.d => h,
                    _ => self.spectrum(p).measure().map_err(crate::theory_error)?,
                };
                let h = &last.insert((p.kappa, p.d, h)).2;
                let tau1 = h.tau1();
                let mo = match memo.iter().find(|(t, _)| *t == tau1) {
                    Some((_, mo)) => *mo,
                    None => {
                        let mo = self.teacher.moments(tau1).map_err(crate::theory_error)?;
                        memo.push((tau1, mo));
                        mo
                    }
                };
                let params = SingleIndexParams {
                    spectrum: h,
                    psi: p.psi,
                    teacher: &self.teacher,
                    noise: self.noise,
                    lambda: p.lambda,
                };
                theory::single_index_limits_with_moments(&params, &mo).map_err(crate::theory_error)
            })
            .collect()
    }
}

impl SingleIndexModel {
    /// The limit of method `m`'s correlation at `p` (None: simulation only at this level), given
    /// the point's Lemma 3.10/3.12 quantities `l`. Shampoo and Muon on a vector (direction
    /// level) and Shampoo on a matrix keep SGD's (top) direction exactly, so Lemma 3.10 is theirs
    /// (docs/one-step-methods.md).
    pub fn method_theory(
        &self,
        p: &SingleIndexPoint,
        l: &theory::SingleIndexLimits,
        m: OneStep,
    ) -> Result<Option<f64>, SimError> {
        if !has_theory(m, self.level) {
            return Ok(None);
        }
        if self.alignment == Alignment::Sigma {
            return self.sigma_theory(p, m).map(Some);
        }
        let value = match m {
            OneStep::Sgd | OneStep::Shampoo | OneStep::Muon => l.rho_sgd,
            OneStep::Kfac => l.rho_kfac,
            OneStep::SqrtKfac
            | OneStep::Whiten
            | OneStep::BatchNorm
            | OneStep::Adam
            | OneStep::KfacPower(_) => self.with_params(p, |params, mo| match m {
                OneStep::SqrtKfac => theory::rho_sqrt_kfac(params, mo),
                OneStep::KfacPower(k) => theory::rho_power(params, mo, k as f64 / 1000.0, false),
                OneStep::Whiten => theory::rho_whitened(params, mo),
                OneStep::BatchNorm => theory::rho_batch_norm(params, mo),
                _ => theory::rho_adam_sign(params, mo),
            })?,
        };
        Ok(Some(value))
    }
}

impl SingleIndexModel {
    /// Σ's eigenvalues (from their square roots) when the alignment is Σ-weighted (None:
    /// Euclidean).
    fn sigma_weights(&self, sqrt_eigs: &[f64]) -> Option<Vec<f64>> {
        match self.alignment {
            Alignment::Euclidean => None,
            Alignment::Sigma => Some(sqrt_eigs.iter().map(|s| s * s).collect()),
        }
    }

    /// `f` of the point's formula inputs: its spectrum's measure, ψ, the teacher, the noise, λ,
    /// and the teacher's moments.
    fn with_params<T>(
        &self,
        p: &SingleIndexPoint,
        f: impl FnOnce(&SingleIndexParams, &theory::TeacherMoments) -> theory::Result<T>,
    ) -> Result<T, SimError> {
        let h = self.spectrum(p).measure().map_err(crate::theory_error)?;
        let mo = self
            .teacher
            .moments(h.tau1())
            .map_err(crate::theory_error)?;
        let params = SingleIndexParams {
            spectrum: &h,
            psi: p.psi,
            teacher: &self.teacher,
            noise: self.noise,
            lambda: p.lambda,
        };
        f(&params, &mo).map_err(crate::theory_error)
    }

    /// The limit of `kfac-power:power`'s alignment at `p`, in the model's alignment, for any
    /// 0 ≤ power ≤ 1 (theory::power_family; a figure's dense curve over p).
    pub fn power_theory(&self, p: &SingleIndexPoint, power: f64) -> Result<f64, SimError> {
        let sigma = self.alignment == Alignment::Sigma;
        self.with_params(p, |params, mo| theory::rho_power(params, mo, power, sigma))
    }

    /// The limit of method `m`'s Σ-weighted alignment at `p` (theory::sigma_alignment).
    fn sigma_theory(&self, p: &SingleIndexPoint, m: OneStep) -> Result<f64, SimError> {
        self.with_params(p, |params, mo| match m {
            OneStep::Sgd | OneStep::Shampoo | OneStep::Muon => theory::rho_sigma_sgd(params, mo),
            OneStep::Kfac => theory::rho_sigma_kfac(params, mo),
            OneStep::SqrtKfac => theory::rho_sigma_sqrt_kfac(params, mo),
            OneStep::Whiten => theory::rho_sigma_whitened(params, mo),
            OneStep::BatchNorm => theory::rho_sigma_batch_norm(params, mo),
            OneStep::Adam => theory::rho_sigma_adam_sign(params, mo),
            OneStep::KfacPower(k) => theory::rho_power(params, mo, k as f64 / 1000.0, true),
        })
    }
}

impl Model for SingleIndexModel {
    type Point = SingleIndexPoint;

    fn methods(&self) -> Vec<&'static str> {
        self.methods.iter().map(|m| m.name()).collect()
    }

    fn theory(&self, p: &SingleIndexPoint) -> Result<Vec<Option<f64>>, SimError> {
        let l = self.limits(p)?;
        self.methods
            .iter()
            .map(|&m| self.method_theory(p, &l, m))
            .collect()
    }

    /// Every method's value is a cosine (an alignment ρ), within [−1, 1] up to rounding.
    fn value_range(&self, _k: usize) -> (f64, f64) {
        (-1.0 - 1e-12, 1.0 + 1e-12)
    }

    fn point_key(&self, p: &SingleIndexPoint) -> String {
        let net = match self.level {
            Level::Direction => String::new(),
            Level::Network => format!("|student={}|width={}", self.student, p.width),
        };
        // Σ-weighted runs measure another quantity: their units never mix with Euclidean ones.
        let align = match self.alignment {
            Alignment::Euclidean => "",
            Alignment::Sigma => "|alignment=sigma",
        };
        format!(
            "single-index|{}|{}|norm={}|kappa={:?}|psi={:?}|lambda={:?}|d={}|n={}|teacher={}|noise={:?}{net}{align}",
            self.level.name(),
            self.family.name(),
            self.normalize,
            p.kappa,
            p.psi,
            p.lambda,
            p.d,
            p.n(),
            self.teacher,
            self.noise
        )
    }

    fn trial(
        &self,
        p: &SingleIndexPoint,
        rng: &mut UnitRng,
        par: Par,
    ) -> Result<Vec<f64>, SimError> {
        if self.level == Level::Direction {
            let sqrt_eigs = self.sqrt_eigs(p)?;
            let st = crate::direction_stats::draw_stats(
                &sqrt_eigs,
                p.n(),
                &self.teacher,
                self.noise,
                rng,
                par,
            );
            let sigma = self.sigma_weights(&sqrt_eigs);
            return direction_trial_aligned(&st, p.lambda, &self.methods, sigma.as_deref(), par);
        }
        let pb = self.draw(p, rng)?;
        if pb.y.iter().all(|&v| v == 0.0) {
            // Every label zero (a teacher with a flat part, σ_ε = 0 and few samples: relu at
            // n = 10 has probability 2⁻¹⁰): the gradient is zero, no update learns a direction,
            // and every method's ρ is 0.
            return Ok(vec![0.0; self.methods.len()]);
        }
        let sigma = match self.alignment {
            Alignment::Euclidean => None,
            Alignment::Sigma => self.sigma_weights(&self.sqrt_eigs(p)?),
        };
        match self.level {
            Level::Direction => direction_trial_aligned(
                &stats_of(&pb, par),
                p.lambda,
                &self.methods,
                sigma.as_deref(),
                par,
            ),
            Level::Network => network_trial_aligned(
                &pb,
                (&self.student, p.width),
                p.lambda,
                &self.methods,
                sigma.as_deref(),
                rng,
                par,
            ),
        }
    }

    /// Large problems run one trial at a time with faer parallel inside, so that memory holds one
    /// X (n × d) and one XᵀX rather than one per thread: from n·d ≥ 2²⁴ (X of 128 MiB) on; at the
    /// direction level (no X) from d² ≥ 2²⁴ (d ≥ 4096).
    fn parallel_inside(&self, p: &SingleIndexPoint) -> bool {
        let elements = match self.level {
            Level::Direction => p.d * p.d,
            Level::Network => p.n() * p.d,
        };
        elements >= INNER_PARALLEL_ELEMENTS
    }

    fn allowance(&self, p: &SingleIndexPoint) -> Vec<f64> {
        self.methods
            .iter()
            .map(|&m| {
                let extra = if m == OneStep::Whiten {
                    whitening_allowance(p)
                } else {
                    0.0
                };
                self.allowance_scale * (default_allowance(p, self.level) + extra)
            })
            .collect()
    }

    fn unit_cost(&self, p: &SingleIndexPoint) -> Option<engine::UnitCost> {
        Some(single_index_cost(p, self.level, self.methods.len()))
    }
}

/// The operation count of one single-index trial: at the network level sampling X (n × d) and
/// the labels, XᵀX and its factorisation, and per method the products with the first layer
/// (n × d × N) and the d × d × N preconditioning; at the direction level the O(d³ + n) draw of
/// the statistics (`crate::direction_stats`) and the per-method solves.
pub fn single_index_cost(p: &SingleIndexPoint, level: Level, methods: usize) -> engine::UnitCost {
    let (n, d) = (p.n() as f64, p.d as f64);
    match level {
        // Drawn without X: Bartlett's LLᵀ (or YᵀY when n < d), the reflection, the factorisation.
        Level::Direction => engine::UnitCost {
            flops: 20.0 * n
                + 20.0 * d * d
                + d * d * d * (1.0 + f64::from(u8::from(n < d)) * 2.0 * n / d)
                + methods as f64 * d * d,
            bytes: 8.0 * (4.0 * d * d + if n < d { n * d } else { 0.0 }),
        },
        Level::Network => {
            let w = p.width as f64;
            engine::UnitCost {
                flops: 10.0 * n * d
                    + 2.0 * n * d * d
                    + d * d * d
                    + methods as f64 * (2.0 * n * d * w + d * d * w),
                bytes: 8.0 * (n * d + 2.0 * d * d + 2.0 * n * w + 2.0 * d * w),
            }
        }
    }
}

/// The extra allowance of input whitening, 2 / (d (1 − 1/ψ)): Σ̂⁻¹'s finite-size corrections grow
/// as ψ → 1. Measured by `verify audit` (which found the default too small for whitening) and
/// `--extrapolate` over d = 100, 200, 400 (40 trials; κ ∈ {1, 10}, ψ ∈ {1.25, 2.5, 5}, both levels):
/// the fitted slope b of ρ̄(d) = ρ∞ + b/d reached |b|(1 − 1/ψ) = 1.5 (network, κ = 10, ψ = 1.25)
/// while ρ∞ agreed with the formula everywhere.
pub fn whitening_allowance(p: &SingleIndexPoint) -> f64 {
    let gap = (1.0 - 1.0 / p.psi).max(1e-12);
    2.0 / (p.d as f64 * gap)
}

/// The default finite-size allowance b on ρ: ½ (1/d + 1/n), plus ½ (1/N) at the network level.
///
/// The finite-size mean of ρ̂ differs from its limit by O(1/d + 1/n) (ρ̂ is a smooth function of
/// quadratic forms whose fluctuations are O(d^{-1/2})). Measured with 1000 trials per point at
/// d ∈ {100, 400, 1600} (direction) and d = N ∈ {100, 200, 400} (network), κ ∈ {1, 10},
/// ψ ∈ {0.5, 2}, tanh, the largest |bias| was 0.36 (1/d + 1/n) (network KFAC, κ = 10, ψ = 2);
/// b ≥ |bias| keeps the test at its nominal level (README, "The verdict").
pub fn default_allowance(p: &SingleIndexPoint, level: Level) -> f64 {
    let base = 1.0 / p.d as f64 + 1.0 / p.n().max(1) as f64;
    let width = match level {
        Level::Direction => 0.0,
        Level::Network => 1.0 / p.width.max(1) as f64,
    };
    0.5 * (base + width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;
    use faer::prelude::Solve;

    /// A relu teacher without noise at n = 2 has all labels zero with probability 1/4 (both
    /// ⟨x, β*⟩ < 0): such a trial learns nothing, ρ = 0 for every method (Muon included, which
    /// used to fail on the zero gradient), and the run goes on.
    #[test]
    fn all_zero_labels_give_zero_correlations_not_a_failure() {
        for level in [Level::Direction, Level::Network] {
            let model = SingleIndexModel {
                family: SpectrumFamily::Identity,
                normalize: true,
                teacher: Activation::Relu,
                student: Activation::Tanh,
                noise: 0.0,
                level,
                allowance_scale: 1.0,
                alignment: Alignment::Euclidean,
                methods: OneStep::ALL
                    .into_iter()
                    .filter(|&m| has_theory(m, level) && m != OneStep::Whiten)
                    .collect(),
            };
            let p = SingleIndexPoint {
                kappa: 1.0,
                psi: 0.5,
                lambda: 0.1,
                d: 4,
                width: 4,
            };
            let sims = engine::simulate(&model, &[p], 64, 3, &|| {}).unwrap();
            let zero = sims[0]
                .samples
                .iter()
                .filter(|s| s.iter().all(|&v| v == 0.0))
                .count();
            // 64 trials at probability 1/4: 16 expected; none would have a chance 1e-8.
            assert!(zero > 0, "{level:?}: no all-zero trial among 64");
        }
    }

    /// The network level's shortcuts (half the rows, power iteration from a warm start) against
    /// the spec done literally: the full N × d update with both halves, and faer's exact SVD.
    #[test]
    fn network_trial_matches_full_update_and_exact_svd() {
        for (teacher, student, psi, width) in [
            (Activation::Tanh, Activation::Tanh, 2.0, 60),
            (Activation::Erf, Activation::Tanh, 0.5, 20),
            (Activation::Relu, Activation::Erf, 1.5, 40),
        ] {
            let d = 50;
            let n = (psi * d as f64) as usize;
            let sq: Vec<f64> = (0..d).map(|i| (1.0 + (i % 3) as f64).sqrt()).collect();
            let lambda = 0.1;
            let mut rng = unit_rng(5, 7, 0);
            let pb = draw_problem(&sq, n, &teacher, 0.3, &mut rng);
            let mut rng_w = unit_rng(5, 7, 0);
            let _ = draw_problem(&sq, n, &teacher, 0.3, &mut rng_w); // same stream position
            let got = network_trial(
                &pb,
                &student,
                width,
                lambda,
                &crate::PAPER_METHODS,
                &mut rng,
                Par::Seq,
            )
            .unwrap();
            // Literal version: same W draws (same stream position), both halves, f(x) = N^{-1/2} Σ a_j σ(w_j·x).
            let half = width / 2;
            let scale = 1.0 / (d as f64).sqrt();
            let mut w = Mat::<f64>::zeros(d, half);
            for j in 0..half {
                w.col_as_slice_mut(j)
                    .iter_mut()
                    .for_each(|v| *v = normal(&mut rng_w) * scale);
            }
            let a: Vec<f64> = (0..width)
                .map(|j| if j < half { 1.0 } else { -1.0 })
                .collect();
            let wj = |j: usize| w.col(j % half).iter().copied().collect::<Vec<_>>();
            let x = |i: usize| pb.x.row(i).iter().copied().collect::<Vec<_>>();
            let f = |i: usize| {
                (0..width)
                    .map(|j| a[j] * student.eval(dot(&wj(j), &x(i))))
                    .sum::<f64>()
                    / (width as f64).sqrt()
            };
            // G = ∇_W L, L = (1/2n) Σ (y − f)²: row j = −(1/n) Σ_i (y_i − f_i) a_j σ'(w_j·x_i) x_i / √N.
            let mut g = Mat::<f64>::zeros(width, d);
            for i in 0..n {
                let r = pb.y[i] - f(i);
                let xi = x(i);
                for j in 0..width {
                    let c = -r * a[j] * student.derivative(dot(&wj(j), &xi))
                        / (width as f64).sqrt()
                        / n as f64;
                    for k in 0..d {
                        g[(j, k)] += c * xi[k];
                    }
                }
            }
            let mut p = pb.x.transpose() * &pb.x * (1.0 / n as f64);
            for i in 0..d {
                p[(i, i)] += lambda;
            }
            let pinv = p
                .llt(faer::Side::Lower)
                .unwrap()
                .solve(Mat::<f64>::identity(d, d));
            let sgd_full = &g * (-(width as f64).sqrt());
            let kfac_full = &sgd_full * &pinv;
            let top = |m: &Mat<f64>| {
                m.thin_svd()
                    .unwrap()
                    .V()
                    .col(0)
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
            };
            let want = [
                correlation(&top(&sgd_full), &pb.beta),
                correlation(&top(&kfac_full), &pb.beta),
            ];
            for k in 0..2 {
                assert!(
                    (got[k] - want[k]).abs() < 1e-8,
                    "{teacher}/{student} psi {psi}: method {k}: {} vs {}",
                    got[k],
                    want[k]
                );
            }
        }
    }

    #[test]
    fn operator_norm_is_the_largest_singular_value() {
        let mut rng = unit_rng(3, 4, 5);
        for (r, c) in [(40, 15), (15, 40), (30, 30)] {
            let m = Mat::<f64>::from_fn(r, c, |_, _| normal(&mut rng));
            let want = m.singular_values().unwrap()[0];
            for par in [Par::Seq, Par::rayon(2)] {
                let got = operator_norm(m.as_ref(), par).unwrap();
                assert!(
                    (got - want).abs() < 1e-10 * want,
                    "{r}x{c}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn top_eigenvector_falls_back_when_the_gap_is_tiny() {
        // Power iteration would need millions of steps at ratio 1 − 1e-6; the eigensolver decides.
        let g = Mat::<f64>::from_fn(3, 3, |i, j| {
            if i == j {
                [1.0, 1.0 - 1e-6, 0.5][i]
            } else {
                0.0
            }
        });
        let v = top_eigenvector(g.as_ref(), vec![1.0, 1.0, 1.0]).unwrap();
        assert!(
            (v[0].abs() - 1.0).abs() < 1e-12 && v[1].abs() < 1e-12,
            "{v:?}"
        );
        // And with a clear gap the iteration itself converges to the top eigenvector.
        let g = Mat::<f64>::from_fn(3, 3, |i, j| if i == j { [0.2, 3.0, 0.5][i] } else { 0.0 });
        let v = top_eigenvector(g.as_ref(), vec![1.0, 1.0, 1.0]).unwrap();
        assert!((v[1] - 1.0).abs() < 1e-12, "{v:?}");
    }

    #[test]
    fn direction_trial_matches_explicit_ridge() {
        let d = 30;
        let sq: Vec<f64> = (0..d).map(|i| (0.5 + i as f64 / 10.0).sqrt()).collect();
        let mut rng = unit_rng(1, 2, 3);
        let pb = draw_problem(&sq, 45, &Activation::Tanh, 0.1, &mut rng);
        let got = direction_trial(&pb, 0.3, &crate::PAPER_METHODS, Par::Seq).unwrap();
        let n = 45.0;
        let g = pb.x.transpose() * Mat::<f64>::from_fn(45, 1, |i, _| pb.y[i] / n);
        let mut p = pb.x.transpose() * &pb.x * (1.0 / n);
        for i in 0..d {
            p[(i, i)] += 0.3;
        }
        let ridge = p.partial_piv_lu().solve(&g);
        let col = |m: &Mat<f64>| m.col(0).iter().copied().collect::<Vec<_>>();
        assert!((got[0] - correlation(&col(&g), &pb.beta)).abs() < 1e-12);
        assert!((got[1] - correlation(&col(&ridge), &pb.beta)).abs() < 1e-10);
    }
}
