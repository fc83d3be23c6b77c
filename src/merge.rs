//! `verify merge`: combine the shard folders of one sharded run into the files an unsharded run
//! writes (the engine checks the shards: same run and split, none missing, twice or unfinished).

use crate::cli::{Cli, Command, MergeArgs};
use crate::error::CliError;
use crate::single_index::{finish, setup};
use clap::Parser;

pub fn run(m: &MergeArgs) -> Result<bool, CliError> {
    let merged = harness::merge_shards(&m.dirs)?;
    let cli = Cli::try_parse_from(&merged.header.command)
        .map_err(|e| CliError::Usage(format!("merge: cannot re-read the recorded command: {e}")))?;
    let Command::SingleIndex(mut args) = cli.command else {
        return Err(CliError::Usage(
            "merge: the recorded command is not single-index".into(),
        ));
    };
    args.out = m.out.clone();
    args.format = m.format;
    args.quiet = true;
    let (model, points) = setup(&args)?;
    harness::write_merged_log(&m.out, &merged)?;
    finish(&args, &model, &points, Some(merged.values)).map(|(agree, _)| agree)
}
