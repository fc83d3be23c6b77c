//! `verify`: parses arguments and wires the theory, sims and reports crates together.

mod audit;
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

use clap::Parser;
use cli::{Cli, Command, LinearRepSub};
use engine::Outcome;
use error::CliError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The output folder of the running command, for the Ctrl-C handler.
static OUT: OnceLock<PathBuf> = OnceLock::new();

/// On Ctrl-C: when a checkpoint exists, say that `--resume`
/// continues; exit 130 (128 + SIGINT), as shells expect.
fn on_interrupt() {
    match OUT.get() {
        Some(out) => {
            let partial = out.join(engine::PARTIAL_UNITS_FILE);
            if partial.exists() {
                eprintln!(
                    "\ninterrupted: the finished trials are kept in {}; run the same command with --resume to continue",
                    partial.display()
                );
            } else {
                eprintln!("\ninterrupted");
            }
        }
        None => eprintln!("\ninterrupted"),
    }
    std::process::exit(130);
}

/// The folder a command writes its results into (`verify run` locks the command it runs).
pub(crate) fn out_of(c: &Command) -> Option<&Path> {
    Some(match c {
        Command::SingleIndex(a) => &a.out,
        Command::Reproduce(a) => &a.out,
        Command::Audit(a) => &a.out,
        // slurm writes only its scripts (and checks --out is free); status only reads.
        // readout's engine (engine::run_check) takes the folder's lock itself.
        // new writes a crate, not results.
        // merge checks its shards first and then locks --out itself (a refused merge creates no
        // folder; a readout merge is locked by the engine).
        Command::Run(_)
        | Command::Merge(_)
        | Command::Slurm(_)
        | Command::Status(_)
        | Command::Readout(_)
        | Command::New(_) => return None,
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
pub fn dispatch(command: Command) -> Result<Outcome, CliError> {
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
pub fn agreed(yes: bool) -> Outcome {
    if yes {
        Outcome::Agree
    } else {
        Outcome::Disagree
    }
}

fn main() {
    // Trials run in parallel on rayon; each trial's faer calls run sequentially. This is the one
    // global setting, made once here on purpose (see shared notes: nested parallelism gains nothing).
    faer::set_global_parallelism(faer::Par::Seq);
    // If no handler can be installed, Ctrl-C simply ends the process (a resume still works).
    let _ = ctrlc::set_handler(on_interrupt);
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(outcome) => std::process::exit(exit_code(outcome)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
