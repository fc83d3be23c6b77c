//! What `verify`'s own models produce from a run's values: result rows, CSV/JSON files with the
//! run's provenance, figures, `report.md` and the terminal table. The `engine` crate runs the
//! Monte Carlo; this crate shows its results; the binary only maps arguments to settings.

#![warn(missing_docs)]

pub mod contraction;
pub mod extrapolation;
pub mod readout;
pub mod single_index;
pub mod stdout;
