//! Merge the shard folders of one sharded run into the unit values of the whole run, refusing
//! shards of another run or split, a shard given twice, a missing or an unfinished shard.

use crate::checkpoint::{collect_units, read_checkpoint, LogHeader, UNITS_FILE};
use crate::error::HarnessError;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The combined checkpoint of a sharded run.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The whole run's header (`shard: None`).
    pub header: LogHeader,
    /// Every unit's values in grid order.
    pub values: Vec<Vec<f64>>,
}

fn usage(msg: String) -> HarnessError {
    HarnessError::Usage(format!("merge: {msg}"))
}

/// One shard folder's index, count, header and units.
type Shard = (usize, usize, LogHeader, HashMap<crate::Unit, Vec<f64>>);

/// Check one shard folder against the first one seen; returns (index, count, header, records).
fn read_shard(dir: &Path, first: Option<&LogHeader>) -> Result<Shard, HarnessError> {
    let path = dir.join(UNITS_FILE);
    if !path.exists() {
        return Err(usage(format!(
            "{} has no {UNITS_FILE} (not a folder written with --shard)",
            dir.display()
        )));
    }
    let (h, records) = read_checkpoint(&path, "merge")?;
    let Some((i, k)) = h.shard else {
        return Err(usage(format!(
            "{} is a whole run, not a shard",
            dir.display()
        )));
    };
    if let Some(f) = first {
        let same = (
            &f.kind, &f.version, &f.command, f.points, f.trials, &f.inputs,
        ) == (
            &h.kind, &h.version, &h.command, h.points, h.trials, &h.inputs,
        ) && f.shard.map(|s| s.1) == Some(k);
        if !same
            && (&f.command, f.shard.map(|s| s.1)) == (&h.command, Some(k))
            && f.inputs != h.inputs
        {
            let show = |inputs: &[crate::InputFile]| -> String {
                inputs
                    .iter()
                    .map(|i| format!("{} (sha256 {})", i.path, i.sha256))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(usage(format!(
                "{} read other input files than the first shard:\n  {}\nvs\n  {}\nevery shard must read the same files (run the odd shard again)",
                dir.display(),
                show(&h.inputs),
                show(&f.inputs)
            )));
        }
        if !same {
            return Err(usage(format!(
                "{} is from a different run or split:\n  {} (shard of {k})\nvs\n  {} (shard of {})",
                dir.display(),
                h.command.join(" "),
                f.command.join(" "),
                f.shard.map(|s| s.1).unwrap_or(1)
            )));
        }
    }
    let units = collect_units(&path, &h, records, None)?;
    let expected = crate::shard_units(h.points, h.trials, i, k);
    let done = expected.iter().filter(|u| units.contains_key(u)).count();
    if done < expected.len() {
        return Err(usage(format!(
            "shard {i}/{k} in {} is unfinished ({done} of {} units); finish it with the same command plus --resume",
            dir.display(),
            expected.len()
        )));
    }
    Ok((i, k, h, units))
}

/// Read and check every shard folder, then return the whole run's units in grid order.
pub fn merge_shards(dirs: &[PathBuf]) -> Result<Merged, HarnessError> {
    let mut first: Option<LogHeader> = None;
    let mut shards: BTreeMap<usize, &Path> = BTreeMap::new();
    let mut values: BTreeMap<crate::Unit, Vec<f64>> = BTreeMap::new();
    for dir in dirs {
        let (i, k, h, units) = read_shard(dir, first.as_ref())?;
        if let Some(prev) = shards.insert(i, dir) {
            return Err(usage(format!(
                "shard {i}/{k} given twice ({} and {})",
                prev.display(),
                dir.display()
            )));
        }
        let width = |m: &BTreeMap<crate::Unit, Vec<f64>>| m.values().next().map(Vec::len);
        if let (Some(a), Some(b)) = (width(&values), units.values().next().map(Vec::len)) {
            if a != b {
                return Err(usage(format!(
                    "{} holds units of {b} values, the other shards {a}",
                    dir.display()
                )));
            }
        }
        values.extend(units);
        first.get_or_insert(h);
    }
    let h = first.ok_or_else(|| usage("give at least one shard folder".into()))?;
    let k = h.shard.map(|s| s.1).unwrap_or(1);
    let missing: Vec<String> = (0..k)
        .filter(|i| !shards.contains_key(i))
        .map(|i| format!("{i}/{k}"))
        .collect();
    if !missing.is_empty() {
        return Err(usage(format!("missing shards {}", missing.join(", "))));
    }
    let ordered = crate::all_units(h.points, h.trials)
        .iter()
        .map(|u| {
            values
                .remove(u)
                .ok_or_else(|| usage(format!("unit {u:?} is missing")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Merged {
        header: LogHeader { shard: None, ..h },
        values: ordered,
    })
}

/// Write the merged run's checkpoint into `out` as a finished run's checkpoint-to-be
/// ([`crate::PARTIAL_UNITS_FILE`]; publishing the results makes it `units.jsonl`), after
/// refusing a unit whose values `model` can never give (a hand-edited shard).
pub fn write_merged_log<M: crate::Model>(
    out: &Path,
    m: &Merged,
    model: &M,
) -> Result<(), HarnessError> {
    let units = crate::all_units(m.header.points, m.header.trials);
    for (u, v) in units.iter().zip(&m.values) {
        if let Some(why) = crate::experiment::unusable_value(model, v) {
            return Err(usage(format!(
                "the shards' unit {u:?} records a value no trial can give ({why}); a shard's checkpoint was edited or damaged: run that shard again"
            )));
        }
    }
    let records: Vec<reports::UnitRecord> = crate::all_units(m.header.points, m.header.trials)
        .iter()
        .zip(&m.values)
        .map(|(u, v)| reports::UnitRecord::new(u.0, u.1, v))
        .collect();
    reports::UnitLog::create(&out.join(crate::PARTIAL_UNITS_FILE), &m.header, &records)?;
    Ok(())
}
