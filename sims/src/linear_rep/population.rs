//! The contraction experiment (issue: Theorem 3.6 and Proposition 3.5): population, noiseless
//! updates of KFAC, AMGD and DFW with prescribed κ(F*) and κ(Σ), started at the slowest mode of
//! the linearised AMGD map (Prop. 3.5's adversarial start), and the measured per-iteration
//! contraction factor of the subspace distance. docs/linear-rep-rates.md derives the local rates.

use super::metrics::subspace_distance;
use super::optim::{retract, Method};
use super::{haar_columns, head_with_condition, rotated_sigma, sym_function};
use crate::kernels::symmetric_eigen;
use engine::experiment::SimError;
use engine::rng::UnitRng;
use faer::prelude::Solve;
use faer::Par;
use faer::{Mat, MatRef, Scale, Side};

/// A population problem: F* (d_y × k) with singular values logspace(1, 1/κ_F), G* Haar, Σ with
/// eigenvalues logspace(1, 1/κ_Σ) in a Haar basis.
#[derive(Debug, Clone)]
pub struct PopulationProblem {
    /// The head F* (d_y × k).
    pub head: Mat<f64>,
    /// The representation G* (k × d_x, orthonormal rows).
    pub g_star: Mat<f64>,
    /// The covariance Σ.
    pub sigma: Mat<f64>,
    /// Σ⁻¹.
    pub sigma_inv: Mat<f64>,
}

/// One grid point of the contraction sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractionPoint {
    /// Condition number κ(F*).
    pub kappa_head: f64,
    /// Condition number κ(Σ).
    pub kappa_sigma: f64,
    /// Step size η.
    pub lr: f64,
}

/// A random population instance: F* with condition number `kappa_head`, Haar G*, and Σ with condition number `kappa_sigma` in a Haar basis.
pub fn draw_population(
    dx: usize,
    dy: usize,
    k: usize,
    kappa_head: f64,
    kappa_sigma: f64,
    rng: &mut UnitRng,
) -> Result<PopulationProblem, SimError> {
    let head = head_with_condition(dy, k, kappa_head, rng);
    let g_star = haar_columns(dx, k, rng).transpose().to_owned();
    let sigma = rotated_sigma(dx, kappa_sigma, rng);
    let (q, vals) = symmetric_eigen(sigma.as_ref(), Par::Seq)?;
    let sigma_inv = sym_function(&q, &vals, |v| 1.0 / v);
    Ok(PopulationProblem {
        head,
        g_star,
        sigma,
        sigma_inv,
    })
}

/// Population F_ls(G) = F* G* Σ Gᵀ (G Σ Gᵀ)⁻¹.
pub fn population_head(p: &PopulationProblem, g: MatRef<'_, f64>) -> Result<Mat<f64>, SimError> {
    let gs = g * &p.sigma;
    let m = &gs * g.transpose();
    let cross = &p.head * (&p.g_star * gs.transpose()); // F* G* Σ Gᵀ (d_y × k)
    let llt = m
        .llt(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("GΣGᵀ singular ({e:?})")))?;
    Ok(llt.solve(cross.transpose()).transpose().to_owned())
}

/// Population ∇_G L = FᵀF G Σ − Fᵀ F* G* Σ (noiseless; the paper's (9) with Σ̂ → Σ).
pub fn population_grad_g(
    p: &PopulationProblem,
    f: MatRef<'_, f64>,
    g: MatRef<'_, f64>,
) -> Mat<f64> {
    let resid = f * g - &p.head * &p.g_star; // F G − F* G*
    f.transpose() * resid * &p.sigma
}

/// One population step of KFAC (η_F = lr, or 1), AMGD or DFW (linear-rep.md §3 with Σ̂ → Σ).
pub fn population_step(
    method: Method,
    p: &PopulationProblem,
    f: &mut Mat<f64>,
    g: &mut Mat<f64>,
    lr: f64,
) -> Result<(), SimError> {
    let fls = population_head(p, g.as_ref())?;
    *f = match method {
        Method::Kfac => &*f * Scale(1.0 - lr) + fls * Scale(lr),
        _ => fls,
    };
    let grad = population_grad_g(p, f.as_ref(), g.as_ref());
    let step = match method {
        Method::Amgd => grad,
        Method::Dfw => grad * &p.sigma_inv,
        Method::Kfac | Method::KfacEtaF1 => {
            let ftf = f.transpose() * &*f;
            let llt = ftf
                .llt(Side::Lower)
                .map_err(|e| SimError::Numerical(format!("FᵀF singular ({e:?})")))?;
            llt.solve(grad * &p.sigma_inv)
        }
        other => {
            return Err(SimError::InvalidParameter {
                name: "methods",
                reason: format!(
                    "the contraction check runs kfac, kfac-etaf1, amgd and dfw, not {}",
                    other.name()
                ),
            })
        }
    };
    *g -= step * Scale(lr);
    retract(f, g)
}

/// The quantities the local rates depend on: σ(F*) (descending) and the eigenvalues b of the Schur
/// complement of Σ on the orthogonal complement of row(G*) (ascending), with the slowest mode
/// (u: eigenvector of F*ᵀF* for σ_min², v ∈ R^{d_x}: eigenvector of the Schur complement for
/// b_min).
#[derive(Debug, Clone)]
pub struct LocalSpectra {
    /// Singular values of F*, descending.
    pub head_singular_values: Vec<f64>,
    /// Eigenvalues of the Schur complement of Σ on row(G*)^⊥, ascending.
    pub schur_eigenvalues: Vec<f64>,
    /// The slowest mode's u: eigenvector of F*ᵀF* for σ_min² (length k).
    pub slow_u: Vec<f64>,
    /// The slowest mode's v: eigenvector of the Schur complement for b_min (length d_x).
    pub slow_v: Vec<f64>,
}

/// See [`LocalSpectra`]. The Schur complement is S = Q⊥ᵀΣQ⊥ − Q⊥ᵀΣG*ᵀ(G*ΣG*ᵀ)⁻¹G*ΣQ⊥ with Q⊥ an
/// orthonormal basis of row(G*)^⊥: the covariance of the unlearned directions given the learned
/// ones (docs/linear-rep-rates.md).
pub fn local_spectra(p: &PopulationProblem) -> Result<LocalSpectra, SimError> {
    let (dx, k) = (p.g_star.ncols(), p.g_star.nrows());
    let ftf = p.head.transpose() * &p.head;
    let (uf, sf) = symmetric_eigen(ftf.as_ref(), Par::Seq)?;
    // Q⊥: eigenvectors of I − G*ᵀG* with eigenvalue 1 (the last d_x − k, ascending order).
    let proj = Mat::<f64>::identity(dx, dx) - p.g_star.transpose() * &p.g_star;
    let (qp, _) = symmetric_eigen(proj.as_ref(), Par::Seq)?;
    let q_perp = qp.subcols(k, dx - k).to_owned();
    let sq = &p.sigma * &q_perp;
    let cross = &p.g_star * &sq; // G*ΣQ⊥ (k × (d_x − k))
    let s11 = &p.g_star * &p.sigma * p.g_star.transpose();
    let solved = s11
        .llt(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("{e:?}")))?
        .solve(&cross);
    let schur = q_perp.transpose() * &sq - cross.transpose() * solved;
    let (us, bs) = symmetric_eigen(schur.as_ref(), Par::Seq)?;
    let v = &q_perp * us.col(0);
    Ok(LocalSpectra {
        head_singular_values: sf.iter().rev().map(|v| v.max(0.0).sqrt()).collect(),
        schur_eigenvalues: bs,
        slow_u: uf.col(0).iter().copied().collect(),
        slow_v: v.iter().copied().collect(),
    })
}

/// Prop. 3.5's adversarial start: G₀ = retract(G* + δ u vᵀ) along the slowest mode of the
/// linearised AMGD map (also DFW's slowest; KFAC contracts every mode alike), F₀ = F_ls(G₀).
pub fn adversarial_start(
    p: &PopulationProblem,
    spectra: &LocalSpectra,
    delta: f64,
) -> Result<(Mat<f64>, Mat<f64>), SimError> {
    let (k, dx) = (p.g_star.nrows(), p.g_star.ncols());
    let mut g = Mat::<f64>::from_fn(k, dx, |i, j| {
        p.g_star[(i, j)] + delta * spectra.slow_u[i] * spectra.slow_v[j]
    });
    let mut f = Mat::<f64>::zeros(p.head.nrows(), k);
    retract(&mut f, &mut g)?;
    let f = population_head(p, g.as_ref())?;
    Ok((f, g))
}

/// A measured contraction factor.
#[derive(Debug, Clone, PartialEq)]
pub struct RateMeasurement {
    /// (dist_T / dist_{T/2})^{1/(T − T/2)}: the per-iteration factor over the second half of the
    /// run, after the start's transient (T: the first iteration with dist < `floor`, or the cap).
    pub rate: f64,
    /// Iterations run.
    pub iterations: usize,
    /// dist at the start.
    pub dist_start: f64,
    /// dist at the end.
    pub dist_end: f64,
    /// dist after every iteration (index 0: the start).
    pub trace: Vec<f64>,
}

/// Run `method` from (F₀, G₀) until dist < `floor` or `max_iter` iterations, and measure the rate.
pub fn measure_rate(
    method: Method,
    p: &PopulationProblem,
    start: &(Mat<f64>, Mat<f64>),
    lr: f64,
    max_iter: usize,
    floor: f64,
) -> Result<RateMeasurement, SimError> {
    let (mut f, mut g) = start.clone();
    let mut trace = vec![subspace_distance(g.as_ref(), p.g_star.as_ref())?];
    for _ in 0..max_iter {
        population_step(method, p, &mut f, &mut g, lr)?;
        let d = subspace_distance(g.as_ref(), p.g_star.as_ref())?;
        if !d.is_finite() {
            return Err(SimError::Numerical(format!(
                "{}: distance not finite",
                method.name()
            )));
        }
        trace.push(d);
        if d < floor {
            break;
        }
    }
    let end = trace.len() - 1;
    let mid = end / 2;
    let (d_mid, d_end) = (trace[mid], trace[end]);
    let rate = if d_mid > 0.0 {
        (d_end / d_mid).powf(1.0 / (end - mid) as f64)
    } else {
        0.0
    };
    Ok(RateMeasurement {
        rate,
        iterations: end,
        dist_start: trace[0],
        dist_end: d_end,
        trace,
    })
}

/// One method's measured and theoretical rate at a contraction grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct RateResult {
    /// The method measured.
    pub method: Method,
    /// Its grid point.
    pub point: ContractionPoint,
    /// The measured contraction.
    pub measured: RateMeasurement,
    /// The local rate (theory::linear_rep) for this instance.
    pub theory: f64,
    /// b_min, the smallest eigenvalue of the Schur complement (AMGD's Σ-dependence).
    pub schur_min: f64,
}

/// Sizes and run controls of the contraction sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractionSetup {
    /// Input dimension d_x.
    pub dx: usize,
    /// Output dimension d_y.
    pub dy: usize,
    /// Representation rank k.
    pub k: usize,
    /// Distance of the adversarial start from G*.
    pub delta: f64,
    /// Iteration cap.
    pub max_iter: usize,
    /// Stop once dist falls below this.
    pub floor: f64,
}

/// The (seed, point) stream key of a contraction grid point: its instances' random streams.
fn point_key(setup: &ContractionSetup, pt: &ContractionPoint) -> String {
    format!(
        "linear-rep-contraction|dx={}|dy={}|k={}|kf={:?}|ks={:?}|lr={:?}|delta={:?}|max_iter={}",
        setup.dx,
        setup.dy,
        setup.k,
        pt.kappa_head,
        pt.kappa_sigma,
        pt.lr,
        setup.delta,
        setup.max_iter
    )
}

/// Draw one instance (F*, G*, Σ) at `pt` from `rng`, start every method on its slowest mode and
/// measure each rate next to its local-rate theory.
pub fn measure_instance(
    setup: &ContractionSetup,
    pt: &ContractionPoint,
    methods: &[Method],
    rng: &mut UnitRng,
) -> Result<Vec<RateResult>, SimError> {
    let p = draw_population(
        setup.dx,
        setup.dy,
        setup.k,
        pt.kappa_head,
        pt.kappa_sigma,
        rng,
    )?;
    let sp = local_spectra(&p)?;
    let start = adversarial_start(&p, &sp, setup.delta)?;
    methods
        .iter()
        .map(|&m| {
            let measured = measure_rate(m, &p, &start, pt.lr, setup.max_iter, setup.floor)?;
            let theory = match m {
                Method::Kfac | Method::KfacEtaF1 => theory::linear_rep::kfac_rate(pt.lr),
                Method::Dfw => theory::linear_rep::dfw_rate(pt.lr, &sp.head_singular_values),
                _ => theory::linear_rep::amgd_rate(
                    pt.lr,
                    &sp.head_singular_values,
                    &sp.schur_eigenvalues,
                ),
            };
            Ok(RateResult {
                method: m,
                point: *pt,
                measured,
                theory,
                schur_min: sp.schur_eigenvalues[0],
            })
        })
        .collect()
}

/// Relative tolerance on 1 − rate (docs/linear-rep-rates.md: the linearisation error at the
/// default δ = 1e-3 was at most 5.5e-5).
pub const RATE_TOLERANCE: f64 = 1e-4;

/// The contraction check as a [`Model`](engine::Model): every trial is a fresh random instance
/// (F*, G*, Σ's basis) at the point's κ(F*), κ(Σ) and η, and reports per method the ratio
/// (1 − measured rate) / (1 − local-rate theory) of that instance, whose limit is 1; the
/// allowance is [`RATE_TOLERANCE`].
#[derive(Debug, Clone)]
pub struct ContractionModel {
    /// Sizes and run controls.
    pub setup: ContractionSetup,
    /// The methods measured.
    pub methods: Vec<Method>,
}

/// The extra values a contraction trial records per method, in this order.
const EXTRAS: [&str; 6] = [
    "rate",
    "rate_theory",
    "iterations",
    "dist_start",
    "dist_end",
    "schur_min",
];

impl ContractionModel {
    /// The measurements of one trial (its values: ratios, then [`EXTRAS`] per method) at `point`.
    pub fn results(&self, point: &ContractionPoint, values: &[f64]) -> Vec<RateResult> {
        let nm = self.methods.len();
        self.methods
            .iter()
            .enumerate()
            .map(|(k, &method)| {
                let e = &values[nm + EXTRAS.len() * k..nm + EXTRAS.len() * (k + 1)];
                RateResult {
                    method,
                    point: *point,
                    measured: RateMeasurement {
                        rate: e[0],
                        iterations: e[2] as usize,
                        dist_start: e[3],
                        dist_end: e[4],
                        trace: Vec::new(),
                    },
                    theory: e[1],
                    schur_min: e[5],
                }
            })
            .collect()
    }
}

impl engine::Model for ContractionModel {
    type Point = ContractionPoint;

    fn methods(&self) -> Vec<&'static str> {
        self.methods.iter().map(|m| m.name()).collect()
    }

    fn theory(&self, _: &ContractionPoint) -> Result<Vec<Option<f64>>, SimError> {
        Ok(vec![Some(1.0); self.methods.len()])
    }

    fn point_key(&self, p: &ContractionPoint) -> String {
        point_key(&self.setup, p)
    }

    /// Per method, the instance's measurement behind its ratio (see [`ContractionModel::results`]).
    fn extras(&self) -> Vec<String> {
        self.methods
            .iter()
            .flat_map(|m| EXTRAS.iter().map(move |e| format!("{}:{e}", m.name())))
            .collect()
    }

    fn trial(
        &self,
        p: &ContractionPoint,
        rng: &mut UnitRng,
        _: faer::Par,
    ) -> Result<Vec<f64>, SimError> {
        let results = measure_instance(&self.setup, p, &self.methods, rng)?;
        let ratios = results
            .iter()
            .map(|r| (1.0 - r.measured.rate) / (1.0 - r.theory));
        let extras = results.iter().flat_map(|r| {
            [
                r.measured.rate,
                r.theory,
                r.measured.iterations as f64,
                r.measured.dist_start,
                r.measured.dist_end,
                r.schur_min,
            ]
        });
        Ok(ratios.chain(extras).collect())
    }

    fn allowance(&self, _: &ContractionPoint) -> Vec<f64> {
        vec![RATE_TOLERANCE; self.methods.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;

    #[test]
    fn kfac_contracts_at_one_minus_alpha_from_any_start_and_dfw_amgd_follow_the_local_rates() {
        let mut rng = unit_rng(0, 7, 0);
        let p = draw_population(40, 10, 3, 10.0, 100.0, &mut rng).unwrap();
        let sp = local_spectra(&p).unwrap();
        assert!((sp.head_singular_values[0] - 1.0).abs() < 1e-12);
        assert!((sp.head_singular_values[2] - 0.1).abs() < 1e-12);
        // Interlacing: λ_min(Σ) ≤ b_min.
        assert!(sp.schur_eigenvalues[0] >= 0.01 - 1e-12);
        let start = adversarial_start(&p, &sp, 1e-3).unwrap();
        let lr = 0.5;
        let kfac = measure_rate(Method::KfacEtaF1, &p, &start, lr, 500, 1e-10).unwrap();
        assert!((kfac.rate - 0.5).abs() < 1e-5, "{}", kfac.rate);
        // A random start: still 1 − α (Theorem 3.6 does not need the adversarial start).
        let mut g = haar_columns(40, 3, &mut rng).transpose().to_owned();
        for j in 0..40 {
            for i in 0..3 {
                g[(i, j)] = p.g_star[(i, j)] + 0.2 * g[(i, j)];
            }
        }
        let mut f = Mat::<f64>::identity(10, 3);
        retract(&mut f, &mut g).unwrap();
        let f = population_head(&p, g.as_ref()).unwrap();
        let kr = measure_rate(Method::Kfac, &p, &(f, g), lr, 500, 1e-10).unwrap();
        assert!((kr.rate - 0.5).abs() < 1e-5, "{}", kr.rate);
        // DFW: 1 − lr σ_min(F*)², AMGD: 1 − lr σ_min² b_min.
        let dfw = measure_rate(Method::Dfw, &p, &start, lr, 3000, 1e-10).unwrap();
        let want = 1.0 - lr * 0.01;
        assert!(
            (dfw.rate - want).abs() < 1e-3 * (1.0 - want),
            "{} vs {want}",
            dfw.rate
        );
        let amgd = measure_rate(Method::Amgd, &p, &start, lr, 3000, 1e-10).unwrap();
        let want = 1.0 - lr * 0.01 * sp.schur_eigenvalues[0];
        assert!(
            (amgd.rate - want).abs() < 1e-3 * (1.0 - want),
            "{} vs {want}",
            amgd.rate
        );
    }
}
