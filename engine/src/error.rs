//! The engine's error type. Library errors name parameters; [`HarnessError::exit_code`] gives the
//! documented exit code (2 bad input or a refused resume/merge, 3 could not complete, 130 stopped
//! by the host through [`crate::interrupt`]).

use crate::SimError;
use reports::ReportError;
use thiserror::Error;

/// Why a run could not be done.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// Bad input or a refused operation (a resume of a different run, an unfinished shard, …);
    /// the message says which flag or folder.
    #[error("{0}")]
    Usage(String),
    /// The model's formula or simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A file that could not be read or written (the message names the path).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A file the operating system would not open or read (the one reader refuses the rest).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl HarnessError {
    /// Exit code (see docs/cli.md): 2 for bad input, 3 for a run that could not complete.
    pub fn exit_code(&self) -> i32 {
        match self {
            HarnessError::Usage(_) => 2,
            HarnessError::Sim(SimError::InvalidInput(_) | SimError::InvalidParameter { .. }) => 2,
            HarnessError::Sim(SimError::Numerical(_))
            | HarnessError::Report(_)
            | HarnessError::Read { .. } => 3,
            HarnessError::Sim(SimError::Interrupted) => 130,
        }
    }
}
