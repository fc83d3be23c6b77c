//! `verify reproduce`: the paper's single-index figures, as ordinary `single-index` runs.

use crate::cli::{Cli, Command, LevelArg, ReproduceArgs};
use crate::error::CliError;
use clap::Parser;

/// (subfolder, what it reproduces, the sweep's own flags).
const FIGURES: [(&str, &str, &[&str]); 2] = [
    (
        "figure3-right",
        "Figure 3 (right): correlation vs kappa at psi = 2",
        &["--kappa", "1..10", "--psi", "2"],
    ),
    (
        "figure3-left",
        "Figure 3 (left): correlation vs psi at kappa = 10",
        &["--kappa", "10", "--psi", "0.25,0.5,1,2,4,8"],
    ),
];

pub fn run(a: &ReproduceArgs) -> Result<bool, CliError> {
    let mut all = true;
    for (folder, what, flags) in FIGURES {
        let out = a.out.join(folder);
        let level = match a.level {
            LevelArg::Direction => "direction",
            LevelArg::Network => "network",
        };
        let mut argv: Vec<String> = ["verify", "single-index"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        argv.extend(flags.iter().map(|s| s.to_string()));
        for (k, v) in [
            ("--trials", a.trials.to_string()),
            ("--d", a.d.to_string()),
            ("--level", level.into()),
            ("--seed", a.seed.to_string()),
        ] {
            argv.push(k.into());
            argv.push(v);
        }
        argv.push("--out".into());
        argv.push(out.display().to_string());
        if a.quiet {
            argv.push("--quiet".into());
        }
        let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::Usage(e.to_string()))?;
        let Command::SingleIndex(args) = cli.command else {
            unreachable!("argv names single-index")
        };
        eprintln!("== {what} -> {}", out.display());
        let ok = crate::single_index::run(&args)?;
        all &= ok;
    }
    println!(
        "\nreproduce: {} (figures and report.md in each subfolder of {})",
        if all { "AGREE" } else { "DISAGREE" },
        a.out.display()
    );
    Ok(all)
}
