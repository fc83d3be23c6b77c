//! `one-step-spike`: one large gradient step on the first layer of a two-layer network adds a
//! rank-one spike to the weights whose direction is Xᵀy/n; its alignment with the target
//! direction β under isotropic Gaussian inputs (Ba, Erdogdu, Suzuki, Wang, Wu & Yang 2022).
//!
//! Model: x ~ N(0, I_d), ‖β‖ = 1, y = tanh(⟨x, β⟩) + σ_ε ε, n = ψd samples; a student
//! f(x) = Σ_j a_j tanh(⟨w_j, x⟩) with N = d/2 neurons, w_j uniform on the unit sphere and
//! a symmetric initialisation (each neuron twice, with a_j = ±1/√N, so f ≡ 0 at the start). The
//! first-layer gradient of the squared loss is G = −(1/n) Xᵀ[(y aᵀ) ⊙ tanh′(XW₀ᵀ)]; the spike
//! is its top left singular vector u, and the measured quantity is |⟨u, β⟩|.

use crate::common::{expect, mul, run};
use crate::Variant;
use engine::prelude::*;
use engine::HarnessError;

/// The teacher's moments: c1 = E[σ*′(z)] = E[z σ*(z)] and s2 = E[σ*(z)²], z ~ N(0, 1), for
/// σ* = tanh (by Gauss–Hermite).
pub fn tanh_moments() -> (f64, f64) {
    let c1 = expect(|z| z * z.tanh());
    let s2 = expect(|z| z.tanh().powi(2));
    (c1, s2)
}

/// Ba et al. 2022 (Sec. 3: the spike is (μ1/n)Xᵀyaᵀ; the alignment of Xᵀy/n at isotropic
/// inputs, derived from ⟨Xᵀy/n, β⟩ → c1 and ‖Xᵀy/n‖² → c1² + E[y²]/ψ): the spike's alignment
/// ρ = |c1| / √(c1² + (E[σ*(z)²] + σ_ε²)/ψ), ψ = n/d.
pub fn alignment_ba(c1: f64, s2: f64, psi: f64, noise: f64) -> f64 {
    c1.abs() / (c1 * c1 + (s2 + noise * noise) / psi).sqrt()
}

/// The wrong variant: only the non-linear residual s2 − c1² (and the noise) scatters Xᵀy/n, as if
/// the linear part of the label added no noise (ρ = |c1| / √(c1² + (s2 − c1² + σ_ε²)/ψ)).
pub fn alignment_wrong(c1: f64, s2: f64, psi: f64, noise: f64) -> f64 {
    c1.abs() / (c1 * c1 + (s2 - c1 * c1 + noise * noise) / psi).sqrt()
}

/// The check: axes `psi` (n/d), `noise` (σ_ε) and `d`.
pub struct OneStepSpike {
    /// Which formula.
    pub variant: Variant,
}

fn normal(rng: &mut UnitRng) -> f64 {
    rng.sample(StandardNormal)
}

/// A unit vector drawn uniformly on the sphere of R^d.
fn unit_vector(rng: &mut UnitRng, d: usize) -> Vec<f64> {
    let v: Vec<f64> = (0..d).map(|_| normal(rng)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// |⟨u, β⟩| for the top left singular vector u of the one-step gradient (see the module).
fn spike_alignment(d: usize, n: usize, noise: f64, rng: &mut UnitRng) -> Result<f64, SimError> {
    let half = (d / 4).max(1);
    let beta = unit_vector(rng, d);
    let x = Mat::<f64>::from_fn(n, d, |_, _| normal(rng));
    let w = Mat::<f64>::from_fn(half, d, |_, _| normal(rng));
    // Rows of W₀ on the unit sphere.
    let norms: Vec<f64> = (0..half)
        .map(|j| (0..d).map(|k| w[(j, k)] * w[(j, k)]).sum::<f64>().sqrt())
        .collect();
    let w = Mat::<f64>::from_fn(half, d, |j, k| w[(j, k)] / norms[j]);
    let bcol = Mat::<f64>::from_fn(d, 1, |k, _| beta[k]);
    let u = mul(x.as_ref(), bcol.as_ref());
    let y: Vec<f64> = (0..n)
        .map(|i| u[(i, 0)].tanh() + noise * normal(rng))
        .collect();
    // The duplicated neurons (a_j = −a_{j+N/2}) give G = [G_h, −G_h]: the same left singular
    // vectors as G_h = Xᵀ[y ⊙ tanh′(XW_hᵀ)] (constant factors dropped).
    let pre = mul(x.as_ref(), w.transpose());
    let m = Mat::<f64>::from_fn(n, half, |i, j| {
        let t = pre[(i, j)].tanh();
        y[i] * (1.0 - t * t)
    });
    let g = mul(x.transpose(), m.as_ref());
    let gram = mul(g.transpose(), g.as_ref());
    let eig = gram
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| SimError::Numerical(format!("eigendecomposition of GᵀG: {e:?}")))?;
    let v = eig.U().subcols(half - 1, 1);
    let top = mul(g.as_ref(), v);
    let norm = top.norm_l2();
    if norm.is_nan() || norm <= 0.0 {
        return Err(SimError::Numerical("the one-step gradient is zero".into()));
    }
    let dot: f64 = (0..d).map(|k| top[(k, 0)] * beta[k]).sum();
    Ok((dot / norm).abs())
}

impl Check for OneStepSpike {
    fn name(&self) -> &str {
        "one-step-spike"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["alignment"]
    }
    fn value_label(&self) -> String {
        "|⟨u, β⟩|".into()
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let (c1, s2) = tanh_moments();
        let (psi, noise) = (p.get("psi"), p.get("noise"));
        let rho = match self.variant {
            Variant::Correct => alignment_ba(c1, s2, psi, noise),
            Variant::Wrong => alignment_wrong(c1, s2, psi, noise),
        };
        vec![Some(rho)]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng).expect("the one-step trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let d = p.get("d") as usize;
        let n = (p.get("psi") * d as f64).round() as usize;
        Ok(vec![spike_alignment(d, n, p.get("noise"), rng)?])
    }
}

/// The default grid: ψ on both sides of 1, noise 0 and 0.5, d = 256 (companion d = 64).
pub fn grid() -> Grid {
    Grid::new()
        .axis("psi", &[0.5, 1.0, 2.0, 4.0])
        .axis("noise", &[0.0, 0.5])
        .axis("d", &[256.0])
}

/// Run the entry on its default grid.
pub fn run_entry(
    variant: Variant,
    size: f64,
    args: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    run(&OneStepSpike { variant }, &crate::sized(grid(), size), args)
}
