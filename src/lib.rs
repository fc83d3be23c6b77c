#![warn(missing_docs)]
//! The `verify` command line as a library: argument parsing (`cli`), one module per command,
//! and [`dispatch`]. The `verify` binary (src/main.rs) and the Python package call it.

/// `println!` for standard output that ends quietly on a closed pipe (`verify … | head`) or a
/// full disk instead of panicking; the result files are written before anything is printed.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` with the same behaviour as [`outln!`].
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

mod audit;
mod catalog;
mod cli;
mod error;
mod experiment_file;
mod linear_rep;
mod merge;
mod new_check;
mod phase;
mod readout;
mod reproduce;
mod single_index;
mod slurm;
mod spectrum_check;
mod spike_check;

use cli::{Command, LinearRepSub};
use engine::Outcome;
use error::CliError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The output folder of the running command, for the Ctrl-C handler.
static OUT: OnceLock<PathBuf> = OnceLock::new();

/// The folder a command writes its results into (`verify run` locks the command it runs).
pub(crate) fn out_of(c: &Command) -> Option<&Path> {
    Some(match c {
        Command::SingleIndex(a) => &a.out,
        Command::Reproduce(a) => &a.out,
        Command::Audit(a) => &a.out,
        // slurm writes only its scripts (and checks --out is free); status only reads.
        // readout's engine (engine::run_check) takes the folder's lock itself.
        // merge checks its shards first and then locks --out itself (a refused merge creates no
        // folder; a readout merge is locked by the engine).
        // new writes a crate, not results.
        Command::Run(_)
        | Command::Merge(_)
        | Command::Slurm(_)
        | Command::Status(_)
        | Command::Readout(_)
        | Command::New(_)
        | Command::Catalog(_) => return None,
        Command::Spectrum(a) => &a.out,
        Command::Spike(a) => &a.out,
        Command::Phase(a) => &a.out,
        Command::LinearRep(c) => match &c.command {
            Some(LinearRepSub::Contraction(a)) => &a.out,
            None => &c.run.out,
        },
    })
}

/// Run a command while holding its output folder (one run per folder at a time).
pub(crate) fn dispatch(command: Command) -> Result<Outcome, CliError> {
    let _lock = out_of(&command).map(engine::OutLock::acquire).transpose()?;
    if let Some(out) = out_of(&command) {
        let _ = OUT.set(out.to_path_buf());
    }
    match command {
        Command::SingleIndex(mut args) => {
            single_index::normalize_kappa(&mut args)?;
            single_index::run(&args)
        }
        Command::Reproduce(args) => reproduce::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Run(args) => experiment_file::run(&args),
        Command::Slurm(args) => slurm::run(&args),
        Command::Status(args) => slurm::status(&args),
        Command::Spectrum(args) => spectrum_check::run(&args),
        Command::Spike(args) => spike_check::run(&args),
        Command::Phase(args) => phase::run(&args),
        Command::LinearRep(args) => linear_rep::run(&args),
        Command::Readout(args) => readout::run(&args),
        Command::New(args) => new_check::run(&args.name, args.path.as_deref()),
        Command::Catalog(args) => catalog::run(&args),
    }
}

/// The exit code of a finished command (docs/cli.md): 0 agree (or nothing judged), 1 disagree,
/// 4 inconclusive.
fn exit_code(outcome: Outcome) -> i32 {
    match outcome {
        Outcome::Agree => 0,
        Outcome::Disagree => 1,
        Outcome::Inconclusive => 4,
    }
}

/// A command whose check is a yes/no (the spike's shrinking remainder): agree or disagree.
pub(crate) fn agreed(yes: bool) -> Outcome {
    if yes {
        Outcome::Agree
    } else {
        Outcome::Disagree
    }
}

/// How a command line ended.
#[derive(Debug)]
pub enum Finished {
    /// The command ran: its exit code (0 agree, 1 disagree, 4 inconclusive).
    Done(i32),
    /// The arguments did not parse, or `--help`/`--version` was asked: clap's error, which
    /// prints itself (`.exit()` or `.render()`) and knows its exit code.
    Arguments(clap::Error),
    /// The command failed: its exit code (2 bad input, 3 could not complete) and message.
    Failed {
        /// The documented exit code.
        code: i32,
        /// What went wrong (naming the flag or path).
        message: String,
    },
}

/// Run one command line (the first item is the program name) as the `verify` binary does,
/// without exiting the process.
pub fn run_argv<I, T>(argv: I) -> Finished
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser;
    match cli::Cli::try_parse_from(argv) {
        Err(e) => Finished::Arguments(e),
        Ok(cli) => match dispatch(cli.command) {
            Ok(outcome) => Finished::Done(exit_code(outcome)),
            Err(e) => Finished::Failed {
                code: e.exit_code(),
                message: e.to_string(),
            },
        },
    }
}

/// The folder a command (e.g. `["linear-rep", "contraction"]`) writes into when `--out` is not
/// given: its default; None for a command without one.
pub fn default_out(command: &[&str]) -> Option<String> {
    let mut cmd = <cli::Cli as clap::CommandFactory>::command();
    for word in command {
        cmd = cmd.find_subcommand(word)?.clone();
    }
    let arg = cmd.get_arguments().find(|a| a.get_long() == Some("out"))?;
    arg.get_default_values()
        .first()
        .map(|v| v.to_string_lossy().into_owned())
}

/// What to say on Ctrl-C: where the finished trials are kept, if a checkpoint exists.
pub fn interrupted_message() -> String {
    match OUT.get() {
        Some(out) => {
            let partial = out.join(engine::PARTIAL_UNITS_FILE);
            if partial.exists() {
                format!(
                    "interrupted: the finished trials are kept in {}; run the same command with --resume to continue",
                    partial.display()
                )
            } else {
                "interrupted".into()
            }
        }
        None => "interrupted".into(),
    }
}
