//! Theorem 3.9's spike: after one step, W₁ − W₀ = η c1 a β̂ᵀ + Δ with ‖Δ‖_op small against the
//! rank-one part. This simulates ‖Δ‖_op / ‖η c1 a β̂ᵀ‖_op at finite size (`verify spike`).

use crate::kernels::mat_t_vec;
use crate::single_index::{one_step_update, operator_norm, SingleIndexModel, SingleIndexPoint};
use engine::experiment::{Model, SimError};
use engine::rng::UnitRng;
use faer::{Mat, Par};
use theory::Activation;

/// ‖Δ‖_op / ‖c1 a β̂ᵀ‖_op for one draw, with β̂ = Xᵀy/n and c1 = E[σ'(z)] of the student at
/// z ~ N(0, τ1). The update is [A; −A] and the rank-one part [c1 1 β̂ᵀ; −c1 1 β̂ᵀ], so the ratio
/// is ‖A − c1 1 β̂ᵀ‖_op / (|c1| √(N/2) ‖β̂‖).
pub fn spike_residual_ratio(
    model: &SingleIndexModel,
    p: &SingleIndexPoint,
    student: &Activation,
    rng: &mut UnitRng,
    par: Par,
) -> Result<f64, SimError> {
    let c1 = student
        .moments(
            model
                .spectrum(p)
                .measure()
                .map_err(crate::theory_error)?
                .tau1(),
        )
        .map_err(crate::theory_error)?
        .c1;
    let pb = model.draw(p, rng)?;
    let at = one_step_update(&pb, student, p.width, rng, par);
    let g = mat_t_vec(pb.x.as_ref(), &pb.y, 1.0 / pb.x.nrows() as f64); // β̂ = Xᵀy/n
    let half = at.ncols();
    let residual = Mat::<f64>::from_fn(at.nrows(), half, |i, j| at[(i, j)] - c1 * g[i]);
    let g_norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
    let spike = c1.abs() * (half as f64).sqrt() * g_norm;
    if spike.is_nan() || spike <= 0.0 {
        return Err(SimError::InvalidParameter {
            name: "student",
            reason: "E[σ'(z)] = 0: no rank-one part to compare with".into(),
        });
    }
    Ok(operator_norm(residual.as_ref(), par)? / spike)
}

/// The spike check as a [`Model`]: one quantity, whose limit is 0.
pub struct SpikeModel {
    /// The single-index model whose first step is measured.
    pub base: SingleIndexModel,
}

impl Model for SpikeModel {
    type Point = SingleIndexPoint;

    fn methods(&self) -> Vec<&'static str> {
        vec!["residual_ratio"]
    }

    fn theory(&self, _: &SingleIndexPoint) -> Result<Vec<Option<f64>>, SimError> {
        Ok(vec![Some(0.0)])
    }

    fn point_key(&self, p: &SingleIndexPoint) -> String {
        format!("spike|{}", self.base.point_key(p))
    }

    fn trial(
        &self,
        p: &SingleIndexPoint,
        rng: &mut UnitRng,
        par: Par,
    ) -> Result<Vec<f64>, SimError> {
        Ok(vec![spike_residual_ratio(
            &self.base,
            p,
            &self.base.student,
            rng,
            par,
        )?])
    }

    fn parallel_inside(&self, p: &SingleIndexPoint) -> bool {
        self.base.parallel_inside(p)
    }

    fn unit_cost(&self, p: &SingleIndexPoint) -> Option<engine::UnitCost> {
        // One network step plus the operator norm of a d × N residual (a few products with it).
        let mut c = crate::single_index::single_index_cost(p, crate::Level::Network, 1);
        c.flops += 200.0 * (p.d * p.width) as f64;
        Some(c)
    }

    fn allowance(&self, _: &SingleIndexPoint) -> Vec<f64> {
        vec![0.0]
    }
}
