//! The risk after the readout (the paper's Section C.4, docs/readout.md): after the one-step
//! update, a second layer is fitted by least squares on fresh samples and its test error measured
//! on other fresh samples, two ways per method:
//! - on the learned direction u alone: a degree-K polynomial in ⟨u, x⟩ (its limit is
//!   `theory::polynomial_readout_risk` at the method's ρ_Σ);
//! - on the whole network after the step (network level): ridge on the N features σ(W₁x), as
//!   Ba et al. (2022) — simulation only.

use crate::kernels::product;
use crate::single_index::{
    learned_directions, InputMap, Level, NetworkStep, Problem, SingleIndexModel, SingleIndexPoint,
};
use engine::experiment::SimError;
use engine::rng::UnitRng;
use faer::prelude::Solve;
use faer::{Mat, MatRef, Par, Side};
use rand::RngExt;
use rand_distr::StandardNormal;
use theory::{orthonormal_hermite, Activation};

/// Fresh samples the readout on the learned direction is fitted on, and as many it is tested on
/// (drawn as the exact Gaussian pair (⟨u, x⟩, ⟨β*, x⟩), so their number costs no d).
pub const DIRECTION_READOUT_SAMPLES: usize = 20_000;

/// How the second layer is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadoutSettings {
    /// Degree K of the polynomial readout on the learned direction (1..=12).
    pub degree: usize,
    /// Network level: the step size η, as the RMS change of a neuron's pre-activation on the
    /// readout's inputs (each method's update rescaled to it, so methods compare at equal step).
    pub step: f64,
    /// Network level: the readout's ridge, relative to the mean feature variance.
    pub ridge: f64,
}

fn normal(rng: &mut UnitRng) -> f64 {
    rng.sample(StandardNormal)
}

/// The test error of a degree-K least-squares readout on the direction u: fresh pairs
/// (⟨u, x⟩, ⟨β*, x⟩) with x ~ N(0, Σ = diag(`eigs`)) drawn exactly (a bivariate Gaussian with
/// covariance uᵀΣu, uᵀΣβ*, β*ᵀΣβ*), y = σ*(⟨β*, x⟩) + ε; fitted on
/// [`DIRECTION_READOUT_SAMPLES`] of them, tested on as many others.
pub fn direction_readout_risk(
    u: &[f64],
    beta: &[f64],
    eigs: &[f64],
    (teacher, noise): (&Activation, f64),
    degree: usize,
    rng: &mut UnitRng,
) -> Result<f64, SimError> {
    let quad = |a: &[f64], b: &[f64]| -> f64 {
        a.iter().zip(b).zip(eigs).map(|((x, y), t)| x * y * t).sum()
    };
    let (uu, ub, bb) = (quad(u, u), quad(u, beta), quad(beta, beta));
    // t = ⟨u, x⟩ / √(uᵀΣu) = r g₁ + √(1 − r²) g₂ and z = √(β*ᵀΣβ*) g₁, r = ρ_Σ(u) (signed).
    let r = if uu > 0.0 && bb > 0.0 {
        (ub / (uu * bb).sqrt()).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let k = if uu > 0.0 { degree } else { 0 };
    let (sb, c) = (bb.sqrt(), (1.0 - r * r).max(0.0).sqrt());
    let mut draw = |m: usize| -> (Mat<f64>, Vec<f64>) {
        let mut phi = Mat::<f64>::zeros(m, k + 1);
        let mut y = Vec::with_capacity(m);
        for i in 0..m {
            let (g1, g2) = (normal(rng), normal(rng));
            let h = orthonormal_hermite(r * g1 + c * g2, k);
            for (j, v) in h.iter().enumerate() {
                phi[(i, j)] = *v;
            }
            y.push(teacher.eval(sb * g1) + noise * normal(rng));
        }
        (phi, y)
    };
    let (fit, y_fit) = draw(DIRECTION_READOUT_SAMPLES);
    let (test, y_test) = draw(DIRECTION_READOUT_SAMPLES);
    let coef = least_squares(fit.as_ref(), &y_fit, 0.0)?;
    Ok(test_error(test.as_ref(), &y_test, &coef, 0.0))
}

/// argmin_a ‖y − Φa‖²/m + ridge ‖a‖² (no penalty on a column of ones, which Φ may hold), by
/// Cholesky of ΦᵀΦ/m + ridge I.
fn least_squares(phi: MatRef<'_, f64>, y: &[f64], ridge: f64) -> Result<Vec<f64>, SimError> {
    let m = phi.nrows() as f64;
    let mut gram = phi.transpose() * phi;
    gram *= faer::Scale(1.0 / m);
    for j in 0..gram.ncols() {
        gram[(j, j)] += ridge;
    }
    let ym = Mat::<f64>::from_fn(y.len(), 1, |i, _| y[i]);
    let mut rhs = phi.transpose() * &ym;
    rhs *= faer::Scale(1.0 / m);
    let llt = gram.llt(Side::Lower).map_err(|e| {
        SimError::Numerical(format!(
            "the readout's Gram matrix is not positive definite ({e:?})"
        ))
    })?;
    Ok(llt.solve(rhs).col_as_slice(0).to_vec())
}

/// Mean of (y − Φa − offset)².
fn test_error(phi: MatRef<'_, f64>, y: &[f64], a: &[f64], offset: f64) -> f64 {
    let mut total = 0.0;
    for (i, yi) in y.iter().enumerate() {
        let pred: f64 = (0..a.len()).map(|j| phi[(i, j)] * a[j]).sum::<f64>() + offset;
        total += (yi - pred) * (yi - pred);
    }
    total / y.len() as f64
}

/// Fresh (X, y) with the same β*: rows x ~ N(0, diag(sqrt_eigs²)), y = σ*(⟨x, β*⟩) + ε.
fn fresh(
    sqrt_eigs: &[f64],
    n: usize,
    beta: &[f64],
    (teacher, noise): (&Activation, f64),
    rng: &mut UnitRng,
) -> Problem {
    let d = sqrt_eigs.len();
    let mut x = Mat::<f64>::zeros(n, d);
    for (j, &s) in sqrt_eigs.iter().enumerate() {
        x.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v = s * normal(rng));
    }
    let z = crate::kernels::mat_vec(x.as_ref(), beta);
    let y = z
        .iter()
        .map(|&zi| teacher.eval(zi) + noise * normal(rng))
        .collect();
    Problem {
        x,
        beta: beta.to_vec(),
        y,
    }
}

/// The network's features on inputs x (n × d): σ(⟨w_j ± s δ_j, x̃⟩) for the N/2 pairs of
/// neurons, x̃ the student's view of x, as an n × N matrix.
fn network_features(
    x: MatRef<'_, f64>,
    w0: MatRef<'_, f64>,
    update: MatRef<'_, f64>,
    (map, student, scale): (&InputMap, &Activation, f64),
    par: Par,
) -> Mat<f64> {
    let xs = map.apply(x, par);
    let (n, half) = (x.nrows(), w0.ncols());
    let mut h0 = Mat::<f64>::zeros(n, half);
    product(h0.as_mut(), xs.as_ref(), w0, 1.0, par);
    let mut hd = Mat::<f64>::zeros(n, half);
    product(hd.as_mut(), xs.as_ref(), update, scale, par);
    Mat::from_fn(n, 2 * half, |i, j| {
        let (a, b) = (h0[(i, j % half)], hd[(i, j % half)]);
        student.eval(if j < half { a + b } else { a - b })
    })
}

/// The RMS of X̃ δ over the entries: how far the unit-scale update moves a pre-activation.
fn preactivation_rms(x: MatRef<'_, f64>, update: MatRef<'_, f64>, map: &InputMap, par: Par) -> f64 {
    let xs = map.apply(x, par);
    let mut hd = Mat::<f64>::zeros(x.nrows(), update.ncols());
    product(hd.as_mut(), xs.as_ref(), update, 1.0, par);
    (hd.squared_norm_l2() / (x.nrows() * update.ncols()) as f64).sqrt()
}

/// The test error of the two-layer network after the step: W₁ = W₀ ± η δ/rms (δ the method's
/// update, rescaled so a pre-activation moves by η in RMS on the fit inputs), second layer and
/// intercept by ridge on `fit`, mean squared error on `test`.
fn network_readout_risk(
    (w0, update, map): (MatRef<'_, f64>, MatRef<'_, f64>, &InputMap),
    student: &Activation,
    (fit, test): (&Problem, &Problem),
    settings: &ReadoutSettings,
    par: Par,
) -> Result<f64, SimError> {
    let rms = preactivation_rms(fit.x.as_ref(), update, map, par);
    let scale = if rms > 0.0 && rms.is_finite() {
        settings.step / rms
    } else {
        0.0
    };
    let look = (map, student, scale);
    let f_fit = network_features(fit.x.as_ref(), w0, update, look, par);
    let f_test = network_features(test.x.as_ref(), w0, update, look, par);
    // Centre features and labels with the fit sample's means: the intercept is free.
    let m = f_fit.nrows() as f64;
    let means: Vec<f64> = (0..f_fit.ncols()).map(|j| f_fit.col(j).sum() / m).collect();
    let y_mean = fit.y.iter().sum::<f64>() / m;
    let centred = |f: &Mat<f64>| Mat::from_fn(f.nrows(), f.ncols(), |i, j| f[(i, j)] - means[j]);
    let (c_fit, c_test) = (centred(&f_fit), centred(&f_test));
    let y_fit: Vec<f64> = fit.y.iter().map(|v| v - y_mean).collect();
    let mean_variance = c_fit.squared_norm_l2() / (m * c_fit.ncols() as f64);
    let coef = least_squares(
        c_fit.as_ref(),
        &y_fit,
        settings.ridge * mean_variance.max(1e-300),
    )?;
    Ok(test_error(c_test.as_ref(), &test.y, &coef, y_mean))
}

/// One readout trial: per method the direction readout's test error, then (network level) the
/// network readout's, all from one draw (paired).
pub fn readout_trial(
    model: &SingleIndexModel,
    p: &SingleIndexPoint,
    settings: &ReadoutSettings,
    rng: &mut UnitRng,
    par: Par,
) -> Result<Vec<f64>, SimError> {
    let sqrt_eigs = model.sqrt_eigs(p)?;
    let eigs: Vec<f64> = sqrt_eigs.iter().map(|s| s * s).collect();
    let labels = (&model.teacher, model.noise);
    let k = settings.degree;
    if model.level == Level::Direction {
        let st = crate::direction_stats::draw_stats(
            &sqrt_eigs,
            p.n(),
            &model.teacher,
            model.noise,
            rng,
            par,
        );
        let dirs = if st.labels_all_zero {
            vec![vec![0.0; sqrt_eigs.len()]; model.methods.len()]
        } else {
            learned_directions(&st, p.lambda, &model.methods, par)?
        };
        return dirs
            .iter()
            .map(|u| direction_readout_risk(u, &st.beta, &eigs, labels, k, rng))
            .collect();
    }
    let pb = model.draw(p, rng)?;
    let step = NetworkStep::new(
        &pb,
        (&model.student, p.width),
        p.lambda,
        &model.methods,
        rng,
        par,
    )?;
    let fit = fresh(&sqrt_eigs, p.n(), &pb.beta, labels, rng);
    let test = fresh(&sqrt_eigs, p.n(), &pb.beta, labels, rng);
    let all_zero = pb.y.iter().all(|&v| v == 0.0);
    let mut direction = Vec::with_capacity(model.methods.len());
    let mut network = Vec::with_capacity(model.methods.len());
    for j in 0..model.methods.len() {
        let u = step.update(j, par)?;
        let v = if all_zero {
            vec![0.0; eigs.len()]
        } else {
            step.direction(&u, par)?
        };
        direction.push(direction_readout_risk(&v, &pb.beta, &eigs, labels, k, rng)?);
        let map = step.input_map(j, par)?;
        let layer = (step.w0.as_ref(), u.update.as_ref(), &map);
        network.push(network_readout_risk(
            layer,
            &model.student,
            (&fit, &test),
            settings,
            par,
        )?);
    }
    direction.extend(network);
    Ok(direction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::rng::unit_rng;

    /// On β* itself (ρ_Σ = 1) a linear teacher's readout error is the noise variance, and on a
    /// direction orthogonal in Σ (ρ_Σ = 0) it is the whole label variance: within 4 SE of the
    /// 2·10⁴ test samples' mean (SE ≈ √2 Var / √m).
    #[test]
    fn direction_readout_ends() {
        let d = 4;
        let eigs = vec![1.0, 2.0, 0.5, 1.5];
        let beta = vec![0.5, 0.0, 0.5, 0.0];
        let ortho = vec![0.0, 1.0, 0.0, 0.0];
        let tau = 0.25 * (1.0 + 0.5);
        let mut rng = unit_rng(1, 2, 3);
        let lin = (&Activation::Linear, 0.3);
        let r1 = direction_readout_risk(&beta, &beta, &eigs, lin, 3, &mut rng).unwrap();
        let se = 0.09 * 2f64.sqrt() / (DIRECTION_READOUT_SAMPLES as f64).sqrt();
        assert!(
            (r1 - 0.09).abs() < 4.0 * se + 3.0 * 4.0 / 2e4 * 0.09,
            "{r1}"
        );
        let r0 = direction_readout_risk(&ortho, &beta, &eigs, lin, 3, &mut rng).unwrap();
        let var = tau + 0.09;
        let se = var * 2f64.sqrt() / (DIRECTION_READOUT_SAMPLES as f64).sqrt();
        assert!(
            (r0 - var).abs() < 4.0 * se + 3.0 * 4.0 / 2e4 * var,
            "{r0} vs {var}"
        );
        assert_eq!(d, eigs.len());
    }
}
