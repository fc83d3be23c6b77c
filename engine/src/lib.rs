//! # engine — the checking engine of `verify`
//!
//! A theorist writes a limit formula and a simulator; the engine does the rest: the grid, the
//! reproducible parallel Monte Carlo (every (grid point, trial) unit has its own random stream,
//! so results are bit-identical whatever the thread count), checkpointing with resume, shards and
//! merge, the verdict with family-wise control, CSV/JSON result files in a provenance envelope,
//! one figure per swept axis, `report.md`, and an exit code.
//!
//! ```
//! use engine::prelude::*;
//!
//! /// E|σZ| = σ √(2/π) for Z ~ N(0, 1).
//! struct AbsNormal;
//!
//! impl Check for AbsNormal {
//!     fn name(&self) -> &str { "abs-normal" }
//!     fn quantities(&self) -> Vec<&'static str> { vec!["mean_abs"] }
//!     // Exact at every size: no dimension axis, no finite-size bias to measure.
//!     fn dimension_axes(&self) -> Vec<&str> { Vec::new() }
//!     fn theory(&self, p: &Params) -> Vec<Option<f64>> {
//!         vec![Some(p.get("sigma") * (2.0 / std::f64::consts::PI).sqrt())]
//!     }
//!     fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
//!         let z: f64 = rng.sample(StandardNormal);
//!         vec![(p.get("sigma") * z).abs()]
//!     }
//! }
//!
//! let grid = Grid::new().axis("sigma", &[0.5, 1.0, 2.0]);
//! let out = std::env::temp_dir().join(format!("engine-doc-{}", std::process::id()));
//! let args = CommonArgs::parse_from(["check", "--trials", "100000", "--quiet", "--format", "none",
//!                                    "--out", out.to_str().unwrap()]);
//! assert_eq!(run_check(&AbsNormal, &grid, &args).unwrap(), RunVerdict::Agree);
//! # std::fs::remove_dir_all(out).ok();
//! ```
//!
//! Layers: [`Check`] + [`Grid`] + [`run_check`] is the whole pipeline for a model over named real
//! parameters. A model with richer points implements [`Model`] and uses
//! [`run_checkpointed`] and [`merge_shards`] for the run and leaves rows and files to itself, as
//! `verify`'s own commands do.

#![warn(missing_docs)]

pub mod adaptive;
pub mod args;
pub mod audit;
pub mod check;
pub mod checkpoint;
pub mod cluster;
mod error;
pub mod experiment;
pub mod finite_size;
pub mod inputs;
pub mod interrupt;
pub mod lock;
mod looks;
pub mod merge;
pub mod observer;
mod output;
pub mod pipeline;
pub mod publish;
pub mod range;
pub mod read;
pub mod rng;
pub mod rows;
pub mod space;
pub mod stats;
pub mod verdict;

pub use adaptive::{run_adaptive, PerPoint, Schedule};
pub use args::{shard_spec, CommonArgs, Format, ShardArgs, Trials};
pub use audit::{run_audit, AuditPlan, AuditRow};
pub use check::{check_counts, AsModel, Check, Grid, Params, MAX_GRID_POINTS, MAX_UNITS};
pub use checkpoint::{run_checkpointed, run_or_shard, LogHeader, RunOutcome, RunPlan, UNITS_FILE};
pub use error::HarnessError;
pub use experiment::{
    all_units, assess, run_units, shard_units, simulate, summarize_units, Model, PointSims,
    SimError, Unit, UnitCost,
};
pub use inputs::{check_same, check_unchanged, read_input, InputFile};
pub use lock::{OutLock, LOCK_FILE};
pub use merge::{merge_shards, write_merged_log, Merged};
pub use observer::{Observer, Progress, Silent};
pub use output::{verdict_cell, VERDICT_NOTE};
pub use pipeline::{
    judge, judge_points, main_exit_code, run_check, CheckRow, Judgement, RunVerdict,
};
pub use publish::{publish, Checkpoint, PublishError, PARTIAL_UNITS_FILE};
pub use range::Range;
/// The figure and file writers the engine draws with: [`Check::style`] returns a
/// `reports::Style` (`engine::reports::Style::nth(k)`, or your own colour, line and marker).
pub use reports;
pub use rng::{unit_rng, UnitRng};
pub use rows::figure_mark;
pub use space::ParameterSpace;
pub use stats::Summary;
pub use verdict::{Margin, Outcome, Verdict};

/// Everything a check program needs, in one import (no need to depend on rand or faer yourself):
/// the engine's entry points, clap's derive, faer with the matrix types and the linear-algebra
/// traits a trial commonly needs (`.llt(Side::Lower)?.inverse()`, `.solve(&b)`,
/// `.qr().solve_lstsq(&b)`), rand's sampling methods, the standard normal and `rand_distr` for
/// every other distribution.
pub mod prelude {
    pub use crate::{main_exit_code, run_check, Check, CommonArgs, Grid, Params, RunVerdict};
    pub use crate::{Model, SimError, UnitRng};
    pub use clap::{self, CommandFactory, FromArgMatches, Parser};
    pub use faer::linalg::solvers::{DenseSolveCore, Solve, SolveLstsq};
    pub use faer::{self, Col, Mat, MatRef, Par, Side};
    pub use rand::RngExt;
    pub use rand_distr::{self, Distribution, StandardNormal};
}
