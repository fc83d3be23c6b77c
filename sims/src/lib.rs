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

/// A spectrum family by name (`identity`, `two-point`, …, `file:PATH`). A `file:` spectrum is
/// read once, with the engine's reader (a regular file of at most [`theory::MAX_SPECTRUM_FILE`]
/// bytes: a FIFO, a device or a larger file is refused, naming the path), and the SHA-256 it
/// records is that of the bytes parsed.
pub fn spectrum_family(name: &str) -> Result<theory::SpectrumFamily, theory::TheoryError> {
    theory::SpectrumFamily::parse_with(name, |path| {
        engine::read::regular_file(path, theory::MAX_SPECTRUM_FILE, "spectrum file")
            .map_err(|e| e.to_string())
    })
}

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
