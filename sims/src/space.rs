//! The single-index model's declared parameter space, for audits: configurations drawn at random over all of it
//! (every spectrum family, teacher and student, method, level, ψ on both sides of 1, λ over
//! decades, noise including 0), so a formula is checked everywhere it claims to hold, not at one
//! corner.

use crate::one_step::OneStep;
use crate::single_index::{has_theory, Level, SingleIndexModel, SingleIndexPoint};
use engine::{ParameterSpace, SimError, UnitRng};
use rand::RngExt;
use theory::{Activation, SpectrumFamily};

/// The single-index model's space (Lemmas 3.10, 3.12 and docs/one-step-methods.md): spectra
/// identity | two-point (p ∈ {0.10, 0.11, …, 0.90}) | geometric | linear | the given file, κ log-uniform in
/// [1, 30], ψ log-uniform in [0.3, 5], teachers tanh | relu | erf | sigmoid | softplus | linear |
/// a random Hermite series with a mean, students tanh | relu | erf | softplus, both levels, λ
/// log-uniform in [1e-3, 10], σ_ε = 0 a quarter of the time else uniform in [0, 0.5], and every
/// method with a formula there (whitening only at ψ > [`WHITEN_MIN_PSI`]).
#[derive(Debug, Clone, Default)]
pub struct SingleIndexSpace {
    /// A spectrum read from a file (once: see [`crate::spectrum_family`]) to draw as one of the
    /// families (None: the built-in families only).
    pub spectrum_file: Option<SpectrumFamily>,
    /// The alignment every drawn configuration measures and predicts.
    pub alignment: crate::Alignment,
}

/// Whitening is drawn only at ψ above this: as ψ → 1 the sample covariance turns singular and
/// at the audit's sizes (d(1 − 1/ψ) of a few tens) its simulation is far from the 1/d regime the
/// extrapolation assumes (at ψ = 1.03–1.05, d ≤ 400 the means were still 0.1–0.3 away).
pub const WHITEN_MIN_PSI: f64 = 1.5;

fn log_uniform(rng: &mut UnitRng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

fn pick<T: Clone>(rng: &mut UnitRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())].clone()
}

impl SingleIndexSpace {
    fn family(&self, rng: &mut UnitRng) -> Result<SpectrumFamily, SimError> {
        let n = 4 + usize::from(self.spectrum_file.is_some());
        Ok(match rng.random_range(0..n) {
            0 => SpectrumFamily::Identity,
            1 => SpectrumFamily::TwoPoint {
                p: rng.random_range(10..=90) as f64 / 100.0,
            },
            2 => SpectrumFamily::Geometric,
            3 => SpectrumFamily::Linear,
            _ => self
                .spectrum_file
                .clone()
                .unwrap_or_else(|| unreachable!("drawn only when a file is given")),
        })
    }

    fn teacher(rng: &mut UnitRng) -> Activation {
        match rng.random_range(0..7) {
            0 => Activation::Tanh,
            1 => Activation::Relu,
            2 => Activation::Erf,
            3 => Activation::Sigmoid,
            4 => Activation::Softplus,
            5 => Activation::Linear,
            // Two decimals: readable in the audit's table, still a random series with a mean.
            _ => Activation::Hermite(vec![
                rng.random_range(-50..=50) as f64 / 100.0,
                rng.random_range(50..=150) as f64 / 100.0,
                rng.random_range(-50..=50) as f64 / 100.0,
            ]),
        }
    }
}

impl ParameterSpace for SingleIndexSpace {
    type M = SingleIndexModel;

    fn draw(
        &self,
        rng: &mut UnitRng,
        d: usize,
    ) -> Result<(SingleIndexModel, SingleIndexPoint), SimError> {
        let family = self.family(rng)?;
        let kappa = log_uniform(rng, 1.0, 30.0);
        let psi = log_uniform(rng, 0.3, 5.0);
        let teacher = Self::teacher(rng);
        let student = pick(
            rng,
            &[
                Activation::Tanh,
                Activation::Relu,
                Activation::Erf,
                Activation::Softplus,
            ],
        );
        let level = pick(rng, &[Level::Direction, Level::Network]);
        let lambda = log_uniform(rng, 1e-3, 10.0);
        let noise = if rng.random_bool(0.25) {
            0.0
        } else {
            0.5 * rng.random::<f64>()
        };
        let methods = OneStep::ALL
            .into_iter()
            .filter(|&m| has_theory(m, level) && (m != OneStep::Whiten || psi > WHITEN_MIN_PSI))
            .collect();
        let model = SingleIndexModel {
            family,
            normalize: true,
            teacher,
            student,
            noise,
            level,
            allowance_scale: 1.0,
            alignment: self.alignment,
            methods,
        };
        let point = SingleIndexPoint {
            kappa,
            psi,
            lambda,
            d,
            width: d + d % 2,
        };
        Ok((model, point))
    }

    fn describe(&self, m: &SingleIndexModel, p: &SingleIndexPoint) -> String {
        format!(
            "{} κ={:.3} ψ={:.3} σ*={} σ={} {} λ={:.3e} σ_ε={:.3} d={}",
            m.family.name(),
            p.kappa,
            p.psi,
            m.teacher,
            m.student,
            m.level.name(),
            p.lambda,
            m.noise,
            p.d
        )
    }
}
