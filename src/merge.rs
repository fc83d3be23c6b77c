//! `verify merge`: combine the shard folders of one sharded run into the files an unsharded run
//! writes. The engine checks the shards (same run and split, none missing, twice or unfinished);
//! the recorded command says which command's results to write.

use crate::cli::{Cli, Command, LinearRepSub, MergeArgs};
use crate::error::CliError;
use clap::Parser;
use engine::Outcome;

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
    let cli = Cli::try_parse_from(&merged.header.command)
        .map_err(|e| CliError::Usage(format!("merge: cannot re-read the recorded command: {e}")))?;
    let unsupported = || {
        CliError::Usage(format!(
            "merge: the recorded command ({}) has no sharded form",
            merged.header.command.join(" ")
        ))
    };
    let check = |spectrum| {
        let what = "merge: the shards' checkpoint";
        crate::experiment_file::check_spectrum(what, &merged.header.inputs, spectrum)
    };
    match cli.command {
        Command::SingleIndex(mut args) => {
            check(&args.spectrum)?;
            args.out = m.out.clone();
            args.format = m.format;
            args.quiet = true;
            let (model, points) = crate::single_index::setup(&args)?;
            engine::write_merged_log(&m.out, &merged)?;
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
            let (_, points) = crate::spike_check::setup(&args)?;
            engine::write_merged_log(&m.out, &merged)?;
            crate::spike_check::finish(&args, &points, &merged.values)
        }
        Command::LinearRep(lr) => {
            let Some(LinearRepSub::Contraction(mut args)) = lr.command else {
                return Err(unsupported());
            };
            args.out = m.out.clone();
            args.format = m.format;
            args.quiet = true;
            crate::linear_rep::merge_contraction(&args, &merged)
        }
        _ => Err(unsupported()),
    }
}
