//! `verify catalog`: the field's classic limit formulas (the `catalog` crate), listed, or run on
//! their default grids by the engine's default verdict.

use crate::cli::CatalogArgs;
use crate::error::CliError;
use catalog::{Entry, Variant};
use engine::args::Format;
use engine::{Outcome, RunVerdict};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One entry's run: its verdict and wall time.
struct Ran {
    name: &'static str,
    verdict: RunVerdict,
    seconds: f64,
}

/// `verify catalog`.
pub fn run(a: &CatalogArgs) -> Result<Outcome, CliError> {
    let chosen = select(&a.entries)?;
    if a.list {
        out!("{}", listing(&chosen));
        return Ok(Outcome::Agree);
    }
    if (!a.common.merge.is_empty() || a.common.shard.is_some()) && chosen.len() != 1 {
        return Err(CliError::Usage(
            "catalog: --shard and --merge are for one entry's run; give one ENTRY".into(),
        ));
    }
    if a.common.extrapolate {
        return Err(CliError::Usage(
            "catalog: --extrapolate needs three sizes on a check's d axis, and the catalog's grids have one (the engine brackets the limit from d and d/4 instead); use --size K to run every entry at K times its d".into(),
        ));
    }
    let root = a
        .common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out/catalog"));
    preflight(&root, &chosen)?;
    let created = std::fs::symlink_metadata(&root).is_err();
    let result = run_entries(a, &chosen, &root);
    if result.is_err() && created && !a.common.merge.is_empty() {
        let _ = std::fs::remove_dir_all(&root); // a refused merge leaves no folder
    }
    let ran = result?;
    match a.common.format {
        Format::None => {}
        Format::Json => outln!("{}", summary_json(&ran, &root)),
        Format::Csv => out!("{}", summary_csv(&ran, &root)),
        Format::Table => out!("{}", summary(&ran, &root, a.wrong, a.size)),
    }
    Ok(worst(&ran))
}

/// Run the chosen entries in order, each into ROOT/ENTRY (its parts in ROOT/ENTRY/PART). With
/// --format json or csv the entries print nothing (one summary is printed at the end, so the
/// output parses); with --merge the shard folders are SHARD/ENTRY, where --shard wrote them.
fn run_entries(a: &CatalogArgs, chosen: &[Entry], root: &Path) -> Result<Vec<Ran>, CliError> {
    let variant = if a.wrong {
        Variant::Wrong
    } else {
        Variant::Correct
    };
    let mut ran = Vec::new();
    for e in chosen {
        let mut common = a.common.clone();
        common.out = Some(root.join(e.name));
        common.merge = a.common.merge.iter().map(|m| m.join(e.name)).collect();
        if matches!(a.common.format, Format::Json | Format::Csv) {
            common.format = Format::None;
        }
        if a.common.format == Format::Table && !a.common.quiet {
            outln!("\n== {} ({}) ==", e.name, e.source);
        }
        let start = Instant::now();
        let verdict = (e.run)(variant, a.size, &common)?;
        ran.push(Ran {
            name: e.name,
            verdict,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    Ok(ran)
}

/// Refuse, before any entry runs, an --out the entries could not be written into: a file where
/// the root or an entry's folder would go, or an entry folder in use by another run (its parts'
/// locks are tried and released). A later refusal could otherwise leave some entries new and
/// some old.
fn preflight(root: &Path, chosen: &[Entry]) -> Result<(), CliError> {
    let not_folder = |p: &Path| p.exists() && !p.is_dir();
    for dir in std::iter::once(root.to_path_buf()).chain(chosen.iter().map(|e| root.join(e.name))) {
        if not_folder(&dir) {
            return Err(CliError::Usage(format!(
                "catalog: --out {}: {} is a file, not a folder; choose another --out",
                root.display(),
                dir.display()
            )));
        }
    }
    for e in chosen {
        let Ok(parts) = std::fs::read_dir(root.join(e.name)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = parts.flatten().map(|p| p.path()).collect();
        dirs.push(root.join(e.name));
        for d in dirs.iter().filter(|d| d.join(engine::LOCK_FILE).is_file()) {
            drop(engine::OutLock::acquire(d)?);
        }
    }
    Ok(())
}

/// The entries named (all when none), in the catalog's order; an unknown name is refused with
/// the names allowed.
fn select(names: &[String]) -> Result<Vec<Entry>, CliError> {
    let all = catalog::entries();
    if names.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for n in names {
        let Some(e) = all.iter().find(|e| e.name == n.as_str()) else {
            let allowed: Vec<&str> = all.iter().map(|e| e.name).collect();
            return Err(CliError::Usage(format!(
                "catalog: unknown entry '{}'; allowed: {}",
                n.escape_debug(),
                allowed.join(", ")
            )));
        };
        if chosen.iter().any(|c: &Entry| c.name == e.name) {
            return Err(CliError::Usage(format!(
                "catalog: entry '{n}' is named twice"
            )));
        }
        chosen.push(*e);
    }
    Ok(chosen)
}

/// `--list`: each entry's name, formula, source, measurement and wrong variant.
fn listing(entries: &[Entry]) -> String {
    let mut s = String::new();
    for e in entries {
        s.push_str(&format!(
            "{}\n  formula:  {}\n  source:   {}\n  measures: {}\n  wrong:    {}\n\n",
            e.name, e.formula, e.source, e.measures, e.wrong
        ));
    }
    s
}

/// The table of verdicts after a run.
fn summary(ran: &[Ran], root: &std::path::Path, wrong: bool, size: f64) -> String {
    let which = match (wrong, size == 1.0) {
        (true, true) => "wrong variants (each should disagree)".to_string(),
        (false, true) => "published formulas".to_string(),
        (true, false) => format!("wrong variants, d × {size}"),
        (false, false) => format!("published formulas, d × {size}"),
    };
    let mut s = format!(
        "\ncatalog, {which}:\n{:<20} {:<13} {:>8}\n",
        "entry", "verdict", "seconds"
    );
    for r in ran {
        s.push_str(&format!(
            "{:<20} {:<13} {:>8.1}\n",
            r.name,
            word(r.verdict),
            r.seconds
        ));
    }
    s.push_str(&format!(
        "results in {}/ENTRY (each part's report.md says why a row is inconclusive)\n",
        root.display()
    ));
    s
}

/// The run's summary as one JSON array (entry, verdict, seconds, folder).
fn summary_json(ran: &[Ran], root: &Path) -> String {
    let rows: Vec<serde_json::Value> = ran
        .iter()
        .map(|r| {
            serde_json::json!({
                "entry": r.name,
                "verdict": word(r.verdict).to_lowercase(),
                "seconds": r.seconds,
                "out": root.join(r.name).display().to_string(),
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// The run's summary as CSV (entry, verdict, seconds, folder).
fn summary_csv(ran: &[Ran], root: &Path) -> String {
    let mut s = String::from("entry,verdict,seconds,out\n");
    for r in ran {
        let out = root.join(r.name).display().to_string().replace('"', "\"\"");
        s.push_str(&format!(
            "{},{},{:.3},\"{out}\"\n",
            r.name,
            word(r.verdict).to_lowercase(),
            r.seconds
        ));
    }
    s
}

fn word(v: RunVerdict) -> &'static str {
    match v {
        RunVerdict::Agree => "AGREE",
        RunVerdict::Disagree => "DISAGREE",
        RunVerdict::Inconclusive => "INCONCLUSIVE",
        RunVerdict::TheoryOnly => "theory only",
        RunVerdict::Shard => "shard done",
    }
}

/// The run's outcome: any entry disagreeing, else any inconclusive, else agree.
fn worst(ran: &[Ran]) -> Outcome {
    if ran.iter().any(|r| r.verdict == RunVerdict::Disagree) {
        Outcome::Disagree
    } else if ran.iter().any(|r| r.verdict == RunVerdict::Inconclusive) {
        Outcome::Inconclusive
    } else {
        Outcome::Agree
    }
}
