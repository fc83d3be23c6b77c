#![warn(missing_docs)]
//! The paper's simulators: reproducible, rayon-parallel Monte Carlo of one-step updates and of
//! linear representation learning, each a [`engine::Model`] exactly as a user's model is. Knows
//! nothing of plotting.

pub mod direction_stats;
pub mod elementwise;
pub mod kernels;
pub mod linear_rep;
pub mod one_step;
pub mod readout;
pub mod single_index;
pub mod space;
pub mod spectrum;
pub mod spike;

pub use one_step::{OneStep, PAPER_METHODS};
pub use single_index::{Alignment, Level, SingleIndexModel, SingleIndexPoint};
pub use space::SingleIndexSpace;

/// The [`engine::SimError`] of a formula that failed: bad input (exit 2) or a solver that did
/// not converge (exit 3).
pub fn theory_error(e: theory::TheoryError) -> engine::SimError {
    use engine::SimError;
    use theory::TheoryError;
    match e {
        TheoryError::InvalidParameter { name, reason } => {
            SimError::InvalidParameter { name, reason }
        }
        TheoryError::InvalidSpectrum(m) => {
            SimError::InvalidInput(format!("invalid value for --spectrum: {m}"))
        }
        TheoryError::UnknownActivation(_) => SimError::InvalidInput(e.to_string()),
        TheoryError::NoConvergence { what, reason } => {
            SimError::Numerical(format!("{what}: {reason}"))
        }
    }
}
