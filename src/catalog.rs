//! `verify catalog`: the field's classic limit formulas (the `catalog` crate), listed, or run on
//! their default grids by the engine's default verdict.

use crate::cli::CatalogArgs;
use crate::error::CliError;
use catalog::{Entry, Variant};
use engine::args::Format;
use engine::{Outcome, RunVerdict};
use std::path::PathBuf;
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
        print!("{}", listing(&chosen));
        return Ok(Outcome::Agree);
    }
    if (!a.common.merge.is_empty() || a.common.shard.is_some()) && chosen.len() != 1 {
        return Err(CliError::Usage(
            "catalog: --shard and --merge are for one entry's run; give one ENTRY".into(),
        ));
    }
    let root = a
        .common
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out/catalog"));
    let variant = if a.wrong {
        Variant::Wrong
    } else {
        Variant::Correct
    };
    let mut ran = Vec::new();
    for e in &chosen {
        let mut common = a.common.clone();
        common.out = Some(root.join(e.name));
        if a.common.format == Format::Table && !a.common.quiet {
            println!("\n== {} ({}) ==", e.name, e.source);
        }
        let start = Instant::now();
        let verdict = (e.run)(variant, &common)?;
        ran.push(Ran {
            name: e.name,
            verdict,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    if a.common.format != Format::None {
        print!("{}", summary(&ran, &root, a.wrong));
    }
    Ok(worst(&ran))
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
fn summary(ran: &[Ran], root: &std::path::Path, wrong: bool) -> String {
    let which = if wrong {
        "wrong variants (each should disagree)"
    } else {
        "published formulas"
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
