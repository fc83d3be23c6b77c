//! `verify reproduce`: the paper's figures, as ordinary `single-index` and `linear-rep` runs.

use crate::cli::{Cli, Command, LevelArg, LinearRepSub, ReproduceArgs, ReproducePart};
use crate::error::CliError;
use clap::Parser;
use engine::Outcome;

/// (subfolder, what it reproduces, the sweep's own flags).
const FIGURES: [(&str, &str, &[&str]); 4] = [
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
    (
        "power",
        "Beyond the paper: the power family (XᵀX/n + λI)^-p from SGD (p = 0) to KFAC (p = 1)",
        &[
            "--kappa",
            "1,10,30",
            "--psi",
            "2",
            "--lambda",
            "0.01",
            "--methods",
            POWER_METHODS,
            "--level",
            "direction",
        ],
    ),
    (
        "power-sigma",
        "Beyond the paper: the same, Σ-weighted alignment (what a readout sees)",
        &[
            "--kappa",
            "1,10,30",
            "--psi",
            "2",
            "--lambda",
            "0.01",
            "--methods",
            POWER_METHODS,
            "--alignment",
            "sigma",
            "--level",
            "direction",
        ],
    ),
];

/// The power-family sweep's members.
const POWER_METHODS: &str = "sgd,kfac-power:0.25,kfac-power:0.5,kfac-power:0.75,kfac";

/// (subfolder, what it reproduces, the `verify linear-rep` flags).
const LINEAR_REP_FIGURES: [(&str, &str, &[&str]); 5] = [
    (
        "figure1-9",
        "Figures 1 and 9: head-to-head in the four data settings (Figure 1 = uniform-high)",
        &["--settings", "all"],
    ),
    (
        "figure2",
        "Figure 2: AMGD, AMGD + batch-norm / whitening and KFAC at the common lr 0.1",
        &["--batch-norm"],
    ),
    (
        "figure2-lr1",
        "Figure 2 at lr 1 (where the normalised runs reach the training-loss floor)",
        &["--batch-norm", "--lr", "1"],
    ),
    (
        "figure5",
        "Figure 5: distance after 375 iterations against the learning rate",
        &["--lr-sweep"],
    ),
    (
        "contraction",
        "Theorem 3.6 / Proposition 3.5: contraction factors against kappa(F*) and kappa(Sigma)",
        &["contraction"],
    ),
];

fn run_linear_rep(a: &ReproduceArgs) -> Result<Outcome, CliError> {
    let mut all = Outcome::Agree;
    for (folder, what, flags) in LINEAR_REP_FIGURES {
        let out = a.out.join(folder);
        let mut argv: Vec<String> = vec!["verify".into(), "linear-rep".into()];
        argv.extend(flags.iter().map(|s| s.to_string()));
        for (k, v) in [
            ("--seed", a.seed.to_string()),
            ("--out", out.display().to_string()),
        ] {
            argv.push(k.into());
            argv.push(v);
        }
        if a.quiet {
            argv.push("--quiet".into());
        }
        let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::Usage(e.to_string()))?;
        let Command::LinearRep(args) = cli.command else {
            unreachable!("argv names linear-rep")
        };
        eprintln!("== {what} -> {}", out.display());
        let ok = crate::linear_rep::run(&args)?;
        if matches!(args.command, Some(LinearRepSub::Contraction(_))) {
            all = Outcome::of_run([all, ok]);
        }
    }
    Ok(all)
}

/// The C.4 figure: test error after the readout against κ, SGD vs KFAC vs batch-norm and Adam, at
/// d = min(--d, 300) (a network readout per method and trial: the network level at d = 1000
/// would take most of an hour).
fn run_readout(a: &ReproduceArgs) -> Result<Outcome, CliError> {
    let out = a.out.join("readout");
    let level = match a.level {
        LevelArg::Direction => "direction",
        LevelArg::Network => "network",
    };
    let mut argv: Vec<String> = ["verify", "readout", "--kappa", "1,3,10,30", "--psi", "2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (k, v) in [
        ("--trials", a.trials.to_string()),
        ("--d", a.d.min(300).to_string()),
        ("--level", level.into()),
        ("--seed", a.seed.to_string()),
        ("--out", out.display().to_string()),
    ] {
        argv.push(k.into());
        argv.push(v);
    }
    if a.quiet {
        argv.push("--quiet".into());
    }
    let cli = Cli::try_parse_from(&argv).map_err(|e| CliError::Usage(e.to_string()))?;
    let Command::Readout(args) = cli.command else {
        unreachable!("argv names readout")
    };
    eprintln!(
        "== Section C.4: test error after the readout against kappa -> {}",
        out.display()
    );
    crate::readout::run(&args)
}

pub fn run(a: &ReproduceArgs) -> Result<Outcome, CliError> {
    let mut all = Outcome::Agree;
    if a.part != ReproducePart::SingleIndex {
        all = Outcome::of_run([all, run_linear_rep(a)?]);
    }
    if a.part == ReproducePart::LinearRep {
        results::stdout::emit(&format!(
            "\nreproduce: {} (figures and report.md in each subfolder of {})\n",
            all.as_str().to_uppercase(),
            a.out.display()
        ))?;
        return Ok(all);
    }
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
            // A sweep that fixes its own level (the power family: an eigendecomposition per
            // trial makes the network level slow; it is tested there) keeps it.
            if !flags.contains(&k) {
                argv.push(k.into());
                argv.push(v);
            }
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
        all = Outcome::of_run([all, ok]);
    }
    all = Outcome::of_run([all, run_readout(a)?]);
    results::stdout::emit(&format!(
        "\nreproduce: {} (figures and report.md in each subfolder of {})\n",
        all.as_str().to_uppercase(),
        a.out.display()
    ))?;
    Ok(all)
}
