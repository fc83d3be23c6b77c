//! Observers of a run (as in argmin's `Executor`): told when the Monte Carlo starts, as each unit
//! finishes, and at the end. The checkpoint log is built in; progress bars and a user's own
//! monitors plug in here.

use crate::Unit;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Watches a run. Called from any worker thread, so implementations must be `Sync`.
pub trait Observer: Sync {
    /// The run is about to simulate `units` units (after a resume: only those still to do).
    fn started(&self, _units: usize) {}
    /// One (grid point, trial) unit finished with one value per compared quantity.
    fn unit_done(&self, _unit: Unit, _values: &[f64]) {}
    /// Every unit of this run has finished.
    fn finished(&self) {}
}

/// Observes nothing.
pub struct Silent;
impl Observer for Silent {}

/// A progress bar on stderr (hidden when `quiet` or when stderr is not a terminal).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar counting trials; `quiet` hides it.
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::new(0);
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} trials (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        Progress { bar }
    }
}

impl Observer for Progress {
    fn started(&self, units: usize) {
        self.bar.set_length(units as u64);
    }
    fn unit_done(&self, _: Unit, _: &[f64]) {
        self.bar.inc(1);
    }
    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}

/// Several observers as one.
impl Observer for [&dyn Observer] {
    fn started(&self, units: usize) {
        self.iter().for_each(|o| o.started(units));
    }
    fn unit_done(&self, unit: Unit, values: &[f64]) {
        self.iter().for_each(|o| o.unit_done(unit, values));
    }
    fn finished(&self) {
        self.iter().for_each(|o| o.finished());
    }
}
