#![warn(missing_docs)]
//! Closed-form limits for the single-index model of Zhang, Moniri et al. (ICML 2025):
//! spectra of Σ, teacher moments, Silverstein's equation and Lemmas 3.10 / 3.12.
//! Knows nothing of sampling; see `docs/single-index-model.md` for the math.

pub mod activation;
pub mod error;
pub mod linear_rep;
pub mod one_step;
pub mod power_family;
pub mod readout;
pub mod sigma_alignment;
pub mod single_index;
pub mod spectrum;
pub mod stieltjes;

pub use activation::{Activation, TeacherMoments, MAX_HERMITE_TERMS};
pub use error::{Result, TheoryError};
pub use one_step::{
    rho_adam_sign, rho_batch_norm, rho_sqrt_kfac, rho_whitened, sqrt_resolvent_moment,
};
pub use power_family::{power_nodes, rho_power, PowerNodes};
pub use readout::{
    best_single_index_risk, hermite_teacher, orthonormal_hermite, polynomial_readout_risk,
    polynomial_readout_risk_at, HermiteTeacher, MAX_READOUT_DEGREE,
};
pub use sigma_alignment::{
    rho_sigma_adam_sign, rho_sigma_batch_norm, rho_sigma_kfac, rho_sigma_sgd, rho_sigma_sqrt_kfac,
    rho_sigma_whitened,
};
pub use single_index::{
    optimal_ridge, rho_kfac, rho_sgd, single_index_limits, single_index_limits_with_moments,
    RidgeMoments, SingleIndexLimits, SingleIndexParams, MAX_LAMBDA, MAX_NOISE,
};
pub use spectrum::{
    Atom, SpectralMeasure, Spectrum, SpectrumFamily, MAX_SPECTRUM_FILE, MAX_SPECTRUM_LINES,
};
pub use stieltjes::{
    limiting_density, limiting_density_path, stieltjes_at_zero, stieltjes_complex,
    stieltjes_complex_with_derivative, stieltjes_negative, Resolvent,
};
