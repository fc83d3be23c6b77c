//! Typed errors of the theory crate; the binary turns them into messages.

use thiserror::Error;

/// Everything that can go wrong while evaluating a limit formula.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TheoryError {
    /// A parameter outside its domain; `name` is the parameter as the user knows it.
    #[error("invalid {name}: {reason}")]
    /// A parameter out of range (`name` is the parameter, e.g. `psi`).
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// A spectrum that cannot be used (empty, non-positive eigenvalue, bad weights).
    #[error("invalid spectrum: {0}")]
    InvalidSpectrum(String),
    /// An activation name or specification that cannot be parsed.
    #[error("unknown activation '{0}' (allowed: tanh, relu, erf, sigmoid, softplus, linear, hermite:c0,c1,...)")]
    UnknownActivation(String),
    /// A root finder or fixed-point iteration that did not converge.
    #[error("numerical failure in {what}: {reason}")]
    /// A solver or quadrature that did not converge.
    NoConvergence {
        /// What was being computed.
        what: &'static str,
        /// How it failed.
        reason: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, TheoryError>;

/// Reject NaN/inf before anything else sees it.
pub(crate) fn finite(name: &'static str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            reason: format!("must be a finite number, got {x}"),
        })
    }
}
