#![warn(missing_docs)]
//! Reproducible, rayon-parallel Monte Carlo of one-step updates, and the generic
//! sweep → simulate → verdict machinery that any model plugs into. Knows nothing of plotting.

pub mod direction_stats;
pub mod elementwise;
pub mod experiment;
pub mod kernels;
pub mod linear_rep;
pub mod one_step;
pub mod readout;
pub mod rng;
pub mod single_index;
pub mod space;
pub mod spectrum;
pub mod spike;
pub mod stats;
pub mod verdict;

pub use experiment::{
    all_units, assess, run_units, shard_units, simulate, summarize_units, Model, PointSims,
    SimError, Unit, UnitCost,
};
pub use one_step::{OneStep, PAPER_METHODS};
pub use rng::{unit_rng, UnitRng};
pub use single_index::{Alignment, Level, SingleIndexModel, SingleIndexPoint};
pub use space::{ParameterSpace, SingleIndexSpace};
pub use stats::Summary;
pub use verdict::{Margin, Outcome, Verdict};
