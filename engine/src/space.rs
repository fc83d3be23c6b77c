//! A model's declared parameter space, for audits: configurations drawn at random over all of
//! it, so a formula is checked everywhere it claims to hold, not at one corner.

use crate::experiment::{Model, SimError};
use crate::rng::UnitRng;

/// What `verify audit` draws from: a model and one of its points per configuration.
pub trait ParameterSpace {
    /// The model the space parametrises.
    type M: Model;
    /// A configuration drawn at random (deterministic in `rng`) at dimension `d`.
    fn draw(
        &self,
        rng: &mut UnitRng,
        d: usize,
    ) -> Result<(Self::M, <Self::M as Model>::Point), SimError>;
    /// The configuration in words (one line).
    fn describe(&self, model: &Self::M, point: &<Self::M as Model>::Point) -> String;
}
