//! `verify merge`: combine the shard folders of one sharded run into the files an unsharded run
//! writes, refusing shards of other runs, missing, duplicated or unfinished shards.

use crate::cli::{Cli, Command, MergeArgs};
use crate::error::CliError;
use crate::single_index::{finish, setup, LogHeader, UNITS_FILE};
use clap::Parser;
use std::collections::BTreeMap;

pub fn run(m: &MergeArgs) -> Result<bool, CliError> {
    let mut first: Option<LogHeader> = None;
    let mut shards: BTreeMap<usize, std::path::PathBuf> = BTreeMap::new();
    let mut values: BTreeMap<sims::Unit, Vec<f64>> = BTreeMap::new();
    for dir in &m.dirs {
        let path = dir.join(UNITS_FILE);
        if !path.exists() {
            return Err(CliError::Usage(format!(
                "merge: {} has no {UNITS_FILE} (not a `verify single-index --shard` folder)",
                dir.display()
            )));
        }
        let (h, records) = reports::read_unit_log(&path)?;
        let h: LogHeader = serde_json::from_value(h).map_err(|e| {
            CliError::Usage(format!(
                "merge: {} is not a verify checkpoint ({e})",
                path.display()
            ))
        })?;
        let Some((i, k)) = h.shard else {
            return Err(CliError::Usage(format!(
                "merge: {} is a whole run, not a shard",
                dir.display()
            )));
        };
        if let Some(f) = &first {
            if (&f.command, f.points, f.trials, f.shard.map(|s| s.1))
                != (&h.command, h.points, h.trials, Some(k))
            {
                return Err(CliError::Usage(format!(
                    "merge: {} is from a different run or split:\n  {} (shard of {k})\nvs\n  {} (shard of {})",
                    dir.display(),
                    h.command.join(" "),
                    f.command.join(" "),
                    f.shard.map(|s| s.1).unwrap_or(1)
                )));
            }
        }
        if let Some(prev) = shards.insert(i, dir.clone()) {
            return Err(CliError::Usage(format!(
                "merge: shard {i}/{k} given twice ({} and {})",
                prev.display(),
                dir.display()
            )));
        }
        let expected = sims::shard_units(h.points, h.trials, i, k);
        let have: std::collections::HashSet<sims::Unit> =
            records.iter().map(|r| (r.point, r.trial)).collect();
        let done = expected.iter().filter(|u| have.contains(u)).count();
        if done < expected.len() {
            return Err(CliError::Usage(format!(
                "merge: shard {i}/{k} in {} is unfinished ({done} of {} units); finish it with the same command plus --resume",
                dir.display(),
                expected.len()
            )));
        }
        for r in records {
            values.insert((r.point, r.trial), r.values());
        }
        first.get_or_insert(h);
    }
    let h = first.ok_or_else(|| CliError::Usage("merge: give at least one shard folder".into()))?;
    let k = h.shard.map(|s| s.1).unwrap_or(1);
    let missing: Vec<String> = (0..k)
        .filter(|i| !shards.contains_key(i))
        .map(|i| format!("{i}/{k}"))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::Usage(format!(
            "merge: missing shards {}",
            missing.join(", ")
        )));
    }
    let cli = Cli::try_parse_from(&h.command)
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
    let ordered: Vec<Vec<f64>> = sims::all_units(points.len(), h.trials)
        .iter()
        .map(|u| {
            values
                .remove(u)
                .ok_or_else(|| CliError::Usage(format!("merge: unit {u:?} is missing")))
        })
        .collect::<Result<_, _>>()?;
    let whole = LogHeader { shard: None, ..h };
    let records: Vec<reports::UnitRecord> = sims::all_units(points.len(), whole.trials)
        .iter()
        .zip(&ordered)
        .map(|(u, v)| reports::UnitRecord::new(u.0, u.1, v))
        .collect();
    reports::UnitLog::create(&m.out.join(UNITS_FILE), &whole, &records)?;
    finish(&args, &model, &points, Some(ordered)).map(|(agree, _)| agree)
}
