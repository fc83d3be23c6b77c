//! The binary's error type and its exit codes (docs/cli.md): 2 bad input, 3 a run that could not
//! complete (a numerical failure, or a file that could not be read or written; the message names
//! the path).

use engine::SimError;
use theory::TheoryError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// Bad input, named by its flag.
    #[error("{0}")]
    Usage(String),
    /// A solver or factorisation that failed.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// A cluster job that failed or never ran (the message says which and where its log is).
    #[error("{0}")]
    Cluster(String),
    /// A file that could not be read or written (the message names the path).
    #[error(transparent)]
    Report(#[from] reports::ReportError),
    /// A file that could not be opened or read (the message names the path).
    #[error("{0}")]
    Unreadable(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Numerical(_)
            | CliError::Cluster(_)
            | CliError::Report(_)
            | CliError::Unreadable(_) => 3,
        }
    }
}

/// The flag a theory parameter name comes from.
fn flag(name: &str) -> String {
    match name {
        "tau1" => "--spectrum".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

impl From<TheoryError> for CliError {
    fn from(e: TheoryError) -> Self {
        match e {
            TheoryError::InvalidParameter { name, reason } => {
                CliError::Usage(format!("invalid value for {}: {reason}", flag(name)))
            }
            TheoryError::InvalidSpectrum(m) => {
                CliError::Usage(format!("invalid value for --spectrum: {m}"))
            }
            TheoryError::UnknownActivation(_) => CliError::Usage(e.to_string()),
            TheoryError::NoConvergence { what, reason } => {
                CliError::Numerical(format!("{what}: {reason}"))
            }
        }
    }
}

impl From<engine::HarnessError> for CliError {
    fn from(e: engine::HarnessError) -> Self {
        match e {
            engine::HarnessError::Usage(m) => CliError::Usage(m),
            engine::HarnessError::Sim(s) => s.into(),
            engine::HarnessError::Report(r) => CliError::Report(r),
            e @ engine::HarnessError::Read { .. } => CliError::Unreadable(e.to_string()),
        }
    }
}

impl From<SimError> for CliError {
    fn from(e: SimError) -> Self {
        match e {
            SimError::InvalidInput(m) => CliError::Usage(m),
            SimError::InvalidParameter { name, reason } => {
                CliError::Usage(format!("invalid value for {}: {reason}", flag(name)))
            }
            SimError::Numerical(m) => CliError::Numerical(m),
            SimError::Interrupted => CliError::Numerical(SimError::Interrupted.to_string()),
        }
    }
}

impl engine::PublishError for CliError {
    fn relocated(self, from: &std::path::Path, to: &std::path::Path) -> Self {
        match self {
            CliError::Report(r) => CliError::Report(engine::publish::relocate(r, from, to)),
            other => other,
        }
    }
}
