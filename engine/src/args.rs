//! The flags every check shares, defined once: a user's program flattens [`CommonArgs`] into its
//! own clap parser and gets `--trials --seed --alpha --out --resume --shard --merge --format
//! --quiet --theory-only` with the same names and meanings as `verify`'s commands.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// What goes to standard output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table and the verdict line.
    Table,
    /// The result rows as a JSON array.
    Json,
    /// The result rows as CSV.
    Csv,
    /// Nothing on standard output (the files only).
    None,
}

/// The shared flags of a check.
#[derive(Args, Debug, Clone, PartialEq)]
pub struct CommonArgs {
    /// Monte Carlo trials per grid point (>= 2), or `auto`: doubling batches (20, 40, 80, …, up
    /// to --max-trials) to the points whose rows are undecided, each look at level α/looks.
    #[arg(long, value_name = "INT|auto", default_value = "200", value_parser = trials_arg)]
    pub trials: Trials,
    /// With --trials auto: the most trials any grid point gets.
    #[arg(long, value_name = "INT", default_value = "5120", value_parser = clap::value_parser!(u64).range(20..=10_000_000))]
    pub max_trials: u64,
    /// Judge the d → ∞ limit fitted from the sweep over the dimension axis (at least three
    /// values): mean(d) = limit + b/d by weighted least squares, the fitted limit against the
    /// formula with the fit's standard error. Instead of the default measured bracket.
    #[arg(long)]
    pub extrapolate: bool,
    /// Seed of every random stream (same seed, same numbers, whatever the thread count).
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Family-wise false-failure level of the verdict (0 < alpha < 0.5).
    #[arg(long, default_value = "0.01", value_parser = alpha)]
    pub alpha: f64,
    /// Equivalence margin for "agree": the 1 − 2α confidence intervals of where the limit may lie
    /// (see the finite-size handling) must be inside ±margin of the formula. Relative to
    /// |formula| (1%, the default: a user's quantity has its own scale, and a formula off by 1%
    /// cannot then be called "agree") or absolute (0.02).
    #[arg(long, value_name = "F|P%", default_value = "1%", value_parser = margin)]
    pub margin: crate::Margin,
    /// Output folder (created if missing) [default: out/NAME].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue an interrupted run in the same --out folder (finished trials are kept).
    #[arg(long)]
    pub resume: bool,
    /// Run only part I of K of the trials (0 <= I < K) into --out; combine with --merge.
    #[arg(long, value_name = "I/K", value_parser = shard_spec, allow_hyphen_values = true)]
    pub shard: Option<(usize, usize)>,
    /// Combine these shard folders into --out instead of simulating.
    #[arg(long, value_name = "SHARD_DIR", num_args = 1.., conflicts_with_all = ["shard", "resume", "theory_only"])]
    pub merge: Vec<PathBuf>,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Evaluate the formulas only; skip the simulation.
    #[arg(long, conflicts_with_all = ["shard", "resume"])]
    pub theory_only: bool,
}

/// `--trials`: a number, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trials {
    /// This many trials at every grid point.
    Fixed(u64),
    /// Doubling batches until decided (engine::adaptive).
    Auto,
}

impl Trials {
    /// Trials per point at most: the fixed count, or the budget.
    pub fn budget(self, max_trials: u64) -> u64 {
        match self {
            Trials::Fixed(n) => n,
            Trials::Auto => max_trials,
        }
    }
}

impl std::fmt::Display for Trials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trials::Fixed(n) => write!(f, "{n}"),
            Trials::Auto => write!(f, "auto"),
        }
    }
}

/// Parse `--trials`: a whole number from 2 to 10 000 000, or `auto`.
pub fn trials_arg(s: &str) -> Result<Trials, String> {
    if s.trim_ascii() == "auto" {
        return Ok(Trials::Auto);
    }
    match s.trim_ascii().parse::<u64>() {
        Ok(n) if (2..=10_000_000).contains(&n) => Ok(Trials::Fixed(n)),
        _ => Err(format!(
            "'{s}' is not a trial count: give an integer from 2 to 10000000, or auto"
        )),
    }
}

/// Parse `--alpha`: a level strictly between 0 and 0.5 (at 0.5 or more the 1 − 2α interval of
/// the agreement test is empty or inverted, and every undecided row would "agree").
pub fn alpha(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_ascii()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if v > 0.0 && v < 0.5 {
        Ok(v)
    } else {
        Err(format!(
            "need 0 < alpha < 0.5 (the agreement interval is 1 − 2·alpha), got {s}"
        ))
    }
}

/// Parse `--margin`: an absolute margin (0.02) or one relative to |formula| (2%), finite, ≥ 0.
pub fn margin(s: &str) -> Result<crate::Margin, String> {
    crate::Margin::parse(s).ok_or_else(|| {
        format!("'{s}' is not a margin: give an absolute one (0.02) or a relative one (2%), >= 0")
    })
}

/// The most shards a run is split into (`--shard I/K`, `verify slurm --shards K`): every count
/// the tool reads back (a job record, a checkpoint's header, shard folder names) is held to it.
pub const MAX_SHARDS: usize = 10_000;

/// Parse `I/K` (0 ≤ I < K ≤ [`MAX_SHARDS`]).
pub fn shard_spec(s: &str) -> Result<(usize, usize), String> {
    let (i, k) = s
        .split_once('/')
        .ok_or_else(|| format!("expected I/K (e.g. 0/3), got '{s}'"))?;
    let i: usize = i
        .trim_ascii()
        .parse()
        .map_err(|_| format!("shard index '{i}' is not a whole number"))?;
    let k: usize = k
        .trim_ascii()
        .parse()
        .map_err(|_| format!("shard count '{k}' is not a whole number"))?;
    if k == 0 || i >= k {
        return Err(format!("need 0 <= I < K, got {i}/{k}"));
    }
    if k > MAX_SHARDS {
        return Err(format!("at most {} shards, got K = {k}", MAX_SHARDS));
    }
    Ok((i, k))
}

/// A program that takes only the shared flags.
#[derive(clap::Parser)]
struct OnlyCommon {
    #[command(flatten)]
    common: CommonArgs,
}

impl CommonArgs {
    /// Parse the shared flags alone from `args` (the first item is the program name); exits with
    /// clap's message and code 2 on bad input, like any clap parser.
    pub fn parse_from<I, T>(args: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <OnlyCommon as clap::Parser>::parse_from(args).common
    }

    /// Parse the shared flags alone from `args` (the first item is the program name), returning
    /// clap's error (its message names the flag) instead of exiting: for hosts such as a Python
    /// interpreter that must not be ended by bad input.
    pub fn try_parse_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <OnlyCommon as clap::Parser>::try_parse_from(args).map(|o| o.common)
    }
}

/// The run-control flags of a command that has its own `--trials`, `--seed` and `--out`:
/// resume an interrupted run, or run one shard of it.
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShardArgs {
    /// Continue an interrupted run in the same --out folder (finished trials are kept).
    #[arg(long)]
    pub resume: bool,
    /// Run only part I of K of the trials (0 <= I < K) into --out; combine the K folders with
    /// `verify merge DIR... --out DIR`.
    #[arg(long, value_name = "I/K", value_parser = shard_spec, allow_hyphen_values = true)]
    pub shard: Option<(usize, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_is_refused_outside_zero_to_one_half() {
        assert_eq!(alpha("0.01"), Ok(0.01));
        for bad in ["0", "0.5", "0.7", "1", "-0.1", "nan", "x"] {
            assert!(alpha(bad).is_err(), "{bad}");
        }
    }
}
