//! # catalog — the field's classic limit formulas, checked against simulation
//!
//! Each entry is a limit formula with its source, its own simulator, a default grid that crosses
//! the formula's interesting regime, and a deliberately wrong variant (a sign, a factor, a
//! branch) that the verdict must call DISAGREE. Every entry is an ordinary [`engine::Check`] run
//! by [`engine::run_check`], exactly as a researcher's own check: no allowance is hand-tuned per
//! entry; the engine measures each entry's finite-size bias on the grid's dimension axis.
#![warn(missing_docs)]

use engine::{CommonArgs, HarnessError, RunVerdict};

pub mod marchenko_pastur;
pub mod ridge;
mod rmt;
pub mod spiked_covariance;
pub mod wigner;

/// Which formula an entry checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The published limit formula.
    Correct,
    /// A deliberately wrong formula (a sign, a factor, a branch): the verdict's power.
    Wrong,
}

/// One catalog entry: what it checks, where the formula comes from, and how to run it.
#[derive(Clone, Copy)]
pub struct Entry {
    /// Short name, used on the command line and as the output folder (`marchenko-pastur`).
    pub name: &'static str,
    /// The formula, in one line of plain text.
    pub formula: &'static str,
    /// The formula's source: paper, theorem or equation number.
    pub source: &'static str,
    /// What the simulation measures, in one line.
    pub measures: &'static str,
    /// What the wrong variant changes, in one line.
    pub wrong: &'static str,
    /// Run the entry on its default grid with the shared flags.
    pub run: fn(Variant, &CommonArgs) -> Result<RunVerdict, HarnessError>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// Every entry, in the catalog's order.
pub fn entries() -> Vec<Entry> {
    vec![
        marchenko_pastur::ENTRY,
        wigner::ENTRY,
        spiked_covariance::ENTRY,
        ridge::ENTRY,
    ]
}

/// The entry called `name`, if there is one.
pub fn entry(name: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.name == name)
}
