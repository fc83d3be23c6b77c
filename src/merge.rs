//! `verify merge`: combine the shard folders of one sharded run into the files an unsharded run
//! writes. The engine checks the shards (same run and split, none missing, twice or unfinished);
//! the recorded command says which command's results to write.

use crate::cli::{Cli, Command, LinearRepCommand, LinearRepSub, MergeArgs};
use crate::error::CliError;
use clap::Parser;
use engine::Outcome;

fn no_sharded_form(command: &[String]) -> CliError {
    CliError::Usage(format!(
        "merge: the recorded command ({}) has no sharded form",
        command.join(" ")
    ))
}

/// Whether `c` is a command with a sharded form (what `verify merge` can write).
fn has_sharded_form(c: &Command) -> bool {
    match c {
        Command::SingleIndex(_) | Command::Spike(_) | Command::Readout(_) => true,
        Command::LinearRep(lr) => matches!(lr.command, Some(LinearRepSub::Contraction(_))),
        _ => false,
    }
}

/// `verify merge`: check the shards, their inputs and their recorded command, and only then
/// write the whole run's files into --out. A refused merge creates no folder; one that fails
/// after creating --out removes it again.
pub fn run(m: &MergeArgs) -> Result<Outcome, CliError> {
    let same = |d: &std::path::PathBuf| {
        d == &m.out || matches!((d.canonicalize(), m.out.canonicalize()), (Ok(a), Ok(b)) if a == b)
    };
    if m.dirs.iter().any(same) {
        return Err(CliError::Usage(format!(
            "merge: --out {} is one of the shard folders; write the merged run elsewhere",
            m.out.display()
        )));
    }
    let merged = engine::merge_shards(&m.dirs)?;
    engine::check_unchanged(&merged.header.inputs)?;
    let cli = Cli::try_parse_from(&merged.header.command).map_err(|e| {
        if merged.header.command.first().map(String::as_str) != Some("verify") {
            // An engine check's shards (a catalog part, a user's check program) record the
            // check's description, not a verify command line.
            CliError::Usage(format!(
                "merge: these shards were written by a check ({}), not by a verify command; merge them with the same program and flags plus --merge (for the catalog: verify catalog ENTRY --merge SHARD… --out DIR)",
                merged.header.command.first().map_or("?", String::as_str)
            ))
        } else {
            CliError::Usage(format!("merge: cannot re-read the recorded command: {e}"))
        }
    })?;
    if !has_sharded_form(&cli.command) {
        return Err(no_sharded_form(&merged.header.command));
    }
    let created = std::fs::symlink_metadata(&m.out).is_err();
    let result = write(m, merged, cli.command);
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(&m.out);
    }
    result
}

/// Write the merged run's files as `command` (a command with a sharded form) writes them, after
/// checking that a `file:` spectrum it reads now is the one the shards recorded.
fn write(m: &MergeArgs, merged: engine::Merged, command: Command) -> Result<Outcome, CliError> {
    let check = |spectrum| {
        let what = "merge: the shards' checkpoint";
        crate::experiment_file::check_spectrum(what, &merged.header.inputs, spectrum)
    };
    if let Command::Readout(mut args) = command {
        check(&args.spectrum)?;
        // The engine merges (and locks --out) itself: the readout's own --merge.
        args.common.out = Some(m.out.clone());
        args.common.format = m.format;
        args.common.quiet = true;
        args.common.merge = m.dirs.clone();
        return crate::readout::run(&args);
    }
    let _lock = engine::OutLock::acquire(&m.out)?;
    match command {
        Command::SingleIndex(mut args) => {
            check(&args.spectrum)?;
            args.out = m.out.clone();
            args.format = m.format;
            args.quiet = true;
            let (model, points) = crate::single_index::setup(&args)?;
            engine::write_merged_log(&m.out, &merged, &model)?;
            crate::single_index::finish(
                &args,
                &model,
                &points,
                Some(results::single_index::Values::Grid(merged.values)),
            )
            .map(|(agree, _)| agree)
        }
        Command::Spike(mut args) => {
            check(&args.spectrum)?;
            args.out = m.out.clone();
            let (model, points) = crate::spike_check::setup(&args)?;
            engine::write_merged_log(&m.out, &merged, &model)?;
            crate::spike_check::finish(&args, &points, &merged.values)
        }
        Command::LinearRep(LinearRepCommand {
            command: Some(LinearRepSub::Contraction(mut args)),
            ..
        }) => {
            args.out = m.out.clone();
            args.format = m.format;
            args.quiet = true;
            crate::linear_rep::merge_contraction(&args, &merged)
        }
        _ => Err(no_sharded_form(&merged.header.command)),
    }
}
