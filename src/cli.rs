//! Command-line definitions (clap derive). Parsing and validation only; no numerics.

use clap::{Args, Parser, Subcommand, ValueEnum};
pub use engine::Trials;
use sims::OneStep;
use std::path::PathBuf;
use theory::{Activation, SpectrumFamily};

#[derive(Parser, Debug)]
#[command(
    name = "verify",
    version,
    about = "Check high-dimensional asymptotic formulas against finite-size simulation",
    long_about = "Check high-dimensional asymptotic formulas against finite-size simulation.\n\n\
        Holds the closed-form limits of Zhang, Moniri et al. (ICML 2025, arXiv 2502.01763) against \
        Monte Carlo at finite size, with error bars, and says in its exit code whether they agree.\n\n\
        Exit codes: 0 every row agrees (or --theory-only); 1 at least one row disagrees; \
        2 bad input or usage; 3 a numerical failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
pub enum Command {
    /// One-step SGD vs KFAC in the single-index model: Lemmas 3.10 and 3.12 against simulation.
    #[command(allow_negative_numbers = true, after_help = SINGLE_INDEX_EXAMPLES)]
    SingleIndex(SingleIndexArgs),
    /// Every single-index formula at K random configurations over its whole parameter space
    /// (spectra, teachers with and without a mean, students, methods, both levels, ψ on both
    /// sides of 1, λ over decades, noise including 0), judged together.
    #[command(
        allow_negative_numbers = true,
        after_help = "Example:\n  verify audit --configs 8 --d 200\n  verify audit --configs 8 --d 200 --wrong bn-uncentred   # a deliberately wrong formula: must disagree\n\nWrites audit.csv (one row per configuration and method, with the configuration in words),\naudit_spectrum.txt (the random spectrum file drawn as one of the families) and report.md.\nExit codes as for single-index: 0 agree, 1 disagree, 4 inconclusive."
    )]
    Audit(AuditArgs),
    /// Combine the folders of a sharded run (`--shard I/K` of single-index, spike or linear-rep
    /// contraction) into the files an unsharded run writes.
    #[command(
        allow_negative_numbers = true,
        after_help = "Example (3 shards, e.g. a SLURM array or GNU parallel):\n  verify single-index --kappa 1..30 --trials 200 --shard 0/3 --out s0   # likewise 1/3 -> s1, 2/3 -> s2\n  verify merge s0 s1 s2 --out merged\n\nThe shards' checkpoints name the command, so the same works for `verify spike` and\n`verify linear-rep contraction`. Refused: shards of another run or split, a shard given twice,\na missing or unfinished shard, an input file changed since, --out equal to a shard folder."
    )]
    Merge(MergeArgs),
    /// Run a sweep on a SLURM cluster: a job array of K resumable shards and a merge job that
    /// depends on it (afterok), writing the result set of the unsharded run into --out.
    #[command(after_help = SLURM_HELP)]
    Slurm(SlurmArgs),
    /// Progress of a run from its checkpoints: per shard units done / total, finished or not
    /// (a `verify slurm` run, a sharded run's folder, or any run's --out).
    #[command(
        after_help = "Examples:\n  verify status out/single_index          # after `verify slurm ... -- single-index`\n  verify status out/shard0                # one shard folder, or any run's --out"
    )]
    Status(StatusArgs),
    /// Run a sweep described in a TOML experiment file (keys are the flags), or re-run a result JSON.
    #[command(
        allow_negative_numbers = true,
        after_help = "Example file (sweep.toml):\n  kappa = \"1..20\"\n  psi = [0.5, 1, 2, 4]\n  spectrum = \"geometric\"\n  trials = 50\n  level = \"direction\"\n  out = \"out/geometric\"\n\n  verify run sweep.toml\n  verify run out/geometric/single_index.json --out out/rerun   # the exact same run again"
    )]
    Run(RunArgs),
    /// Eigenvalues of one sampled S = XᵀX/n against the limiting density (Silverstein's equation).
    #[command(
        allow_negative_numbers = true,
        after_help = "Examples:\n  verify spectrum                                   # two-point, kappa 10, psi 2, d 1000\n  verify spectrum --spectrum geometric --kappa 30 --psi 0.5 --d 2000\n\nWrites spectrum.csv (bins: sample vs limiting density), spectrum.json (KS and L1 distances)\nand spectrum.svg to --out."
    )]
    Spectrum(SpectrumArgs),
    /// Theorem 3.9: ‖W₁ − W₀ − η c1 a β̂ᵀ‖ / ‖η c1 a β̂ᵀ‖ against d (the step is a spike plus a
    /// vanishing remainder). Exit 1 if the remainder does not shrink with d.
    #[command(
        allow_negative_numbers = true,
        after_help = "Example:\n  verify spike --d 100,200,400,800 --kappa 10 --psi 2 --trials 10\n\nWrites spike.csv, spike.json (with the fitted slope) and spike.svg to --out."
    )]
    Spike(SpikeArgs),
    /// Phase diagram over (κ, ψ) of ρ_KFAC − ρ_SGD from theory, with simulation checks marked.
    #[command(
        allow_negative_numbers = true,
        after_help = "Example:\n  verify phase --kappa 1,30 --psi 0.25,8 --check-kappa 2,10,25 --check-psi 0.5,2,6\n\nWrites phase.svg (heatmap with the checks), phase.csv (the theory grid) and checks/ (an\nordinary single-index sweep at the check points) to --out. Exit 1 if a check disagrees."
    )]
    Phase(PhaseArgs),
    /// Linear representation learning (Section 3.1): KFAC against SGD, AMGD, DFW, Adam, NGD and
    /// batch-norm on F G x; `contraction` checks the rates of Theorem 3.6 / Proposition 3.5.
    #[command(allow_negative_numbers = true, after_help = LINEAR_REP_EXAMPLES, args_conflicts_with_subcommands = true)]
    LinearRep(LinearRepCommand),
    /// Regenerate the paper's figures (Figure 3 left and right; Figures 1, 2, 5, 9) into --out.
    #[command(allow_negative_numbers = true, after_help = REPRODUCE_HELP)]
    Reproduce(ReproduceArgs),
    /// The risk after the readout (Section C.4): test error of a second layer fitted on fresh
    /// samples after the one-step update, on the learned direction (formula R_K(ρ_Σ)) and on the
    /// whole network (simulation only), per method.
    #[command(
        allow_negative_numbers = true,
        after_help = READOUT_HELP,
        mut_arg("trials", |a| a.default_value("40")),
        mut_arg("out", |a| a.help("Output folder (created if missing) [default: out/readout]"))
    )]
    Readout(ReadoutArgs),
    /// The catalog of the field's classic limit formulas (Marchenko–Pastur, Wigner, BBP, ridge,
    /// random features, logistic MLE, Lasso, one-step spike), each checked against its own
    /// simulation by the default verdict. `--list` shows them; `verify catalog NAME…` runs the
    /// entries named, `verify catalog` all of them.
    #[command(
        after_help = CATALOG_HELP,
        mut_arg("out", |a| a.help("Output folder, one sub-folder per entry [default: out/catalog]"))
    )]
    Catalog(CatalogArgs),
    /// Start a check of your own formula: write a crate NAME/ (outside this workspace) whose
    /// src/main.rs is a complete check on this clone's engine, ready for `cargo run --release`.
    #[command(after_help = NEW_HELP)]
    New(NewArgs),
}

const NEW_HELP: &str = "\
Example:
  verify new my-check && cd my-check && cargo run --release

Writes NAME/Cargo.toml (the engine as a path dependency on this clone, the git line in a
comment), NAME/Cargo.lock (this clone's versions), NAME/src/main.rs (a check of the
Marchenko-Pastur resolvent trace: replace its theory and trial with yours), NAME/tests/check.rs
(the check in-process: the formula agrees, a wrong one disagrees) and NAME/.gitignore.
Refused (exit 2): an invalid crate name, or a NAME folder that exists and is not empty.";

const SLURM_HELP: &str = "\
Examples:
  verify slurm --shards 3 --wait -- single-index --kappa 1,10 --psi 2,4 --level direction --d 200 --trials 12 --out out/si
  verify slurm --shards 50 --partition short -- spike --d 500,1000,2000,4000 --trials 200 --out out/spike
  verify slurm --shards 8 --dry-run -- run sweep.toml     # write the scripts only

Shardable commands: single-index (fixed --trials), spike, linear-rep contraction, and `run FILE`
of one of these. Writes, under the command's --out: slurm/array.sbatch (task i runs the command
with --shard i/K --resume into shards/i; a requeued task resumes), slurm/merge.sbatch (verify
merge of shards/0..K-1 into --out), slurm/logs/, slurm/jobs.json. Time and memory per task come
from the command's own cost estimate unless --time/--mem are given.
Exit codes: 0 submitted (or --dry-run); with --wait the merged verdict's (0 agree, 1 disagree,
4 inconclusive), 3 if a task or the merge failed; 2 bad input or no sbatch.";

const LINEAR_REP_EXAMPLES: &str = "\
Examples:
  verify linear-rep                                   # Figure 1: all methods, uniform data, high anisotropy
  verify linear-rep --settings all                    # Figure 9: {uniform, gaussian} × {high, low}
  verify linear-rep --batch-norm                      # Figure 2: AMGD, AMGD+BN, AMGD+whitening, KFAC
  verify linear-rep --lr-sweep                        # Figure 5: dist at iteration 375 vs lr (diverged = 1)
  verify linear-rep --methods kfac,amgd,dfw --kappa-head 30 --kappa-sigma 1000
  verify linear-rep contraction --kappa-head 1..100/5 --kappa-sigma 1,10,100,1000

Writes linear_rep.csv / .json (long form: setting,method,lr,iteration,train_loss,dist,
transfer_loss,diverged,...), one SVG per metric and setting, transfer_bound.svg and report.md.
Methods: sgd, amgd, dfw, kfac, kfac-etaf1, adam, ngd, ngd-empf, amgd-bn, amgd-whiten (or all).";

/// `verify linear-rep [contraction]`.
#[derive(Args, Debug, Clone)]
pub struct LinearRepCommand {
    #[command(subcommand)]
    pub command: Option<LinearRepSub>,
    #[command(flatten)]
    pub run: LinearRepArgs,
}

#[derive(Subcommand, Debug, Clone)]
pub enum LinearRepSub {
    /// Population contraction factors of KFAC, AMGD and DFW against their local rates (exit 1 if
    /// one disagrees).
    #[command(allow_negative_numbers = true, after_help = CONTRACTION_HELP)]
    Contraction(ContractionArgs),
}

const CONTRACTION_HELP: &str = "\
Example:
  verify linear-rep contraction --kappa-head 1,3,10,30,100 --kappa-sigma 1,10,100,1000 --lr 0.5

Population, noiseless updates started on the slowest mode of the linearised AMGD map at distance
--delta from G* (Proposition 3.5's adversarial start). rate = (dist_T/dist_(T/2))^(1/(T-T/2)),
T = first iteration with dist < 1e-10 or --max-iter. Theory: KFAC |1 − η| (Theorem 3.6),
DFW max|1 − η σ_i(F*)²|, AMGD max|1 − η σ_i(F*)² b_j| (b: Schur complement of Σ on row(G*)^⊥);
docs/linear-rep-rates.md. Verdict per row: over --trials random instances, the ratio
(1 − rate)/(1 − theory) is judged against 1 like a row (allowance 1e-4, --margin, Holm at --alpha);
rate and theory shown are the first instance's.
Writes contraction.csv / .json, contraction.svg (1 − rate against κ(F*), log-log) and report.md.";

/// A list of linear-rep methods (`all` for every one).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearMethods(pub Vec<sims::linear_rep::Method>);

impl std::fmt::Display for LinearMethods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", join_names(&self.0, |m| m.name()))
    }
}

fn linear_methods(s: &str) -> Result<LinearMethods, String> {
    use sims::linear_rep::Method;
    parse_names(s, &Method::ALL, Method::name).map(LinearMethods)
}

/// The `--settings` list.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingList(pub Vec<(bool, bool)>);

impl SettingList {
    /// (gaussian?, high anisotropy?) → name.
    pub fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|&(g, h)| {
                format!(
                    "{}-{}",
                    if g { "gaussian" } else { "uniform" },
                    if h { "high" } else { "low" }
                )
            })
            .collect()
    }
}

impl std::fmt::Display for SettingList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.names().join(","))
    }
}

fn setting_list(s: &str) -> Result<SettingList, String> {
    const ALL: [&str; 4] = [
        "uniform-high",
        "uniform-low",
        "gaussian-high",
        "gaussian-low",
    ];
    let parts: Vec<&str> = if s.trim_ascii() == "all" {
        ALL.to_vec()
    } else {
        s.split(',').map(str::trim_ascii).collect()
    };
    let mut out = Vec::new();
    for p in parts {
        let v = match p {
            "uniform-high" => (false, true),
            "uniform-low" => (false, false),
            "gaussian-high" => (true, true),
            "gaussian-low" => (true, false),
            other => {
                return Err(format!(
                    "unknown setting '{}'; allowed: {} (comma-separated), or 'all'",
                    other.escape_debug(),
                    ALL.join(", ")
                ))
            }
        };
        if out.contains(&v) {
            return Err(format!("setting '{p}' is listed twice"));
        }
        out.push(v);
    }
    Ok(SettingList(out))
}

fn whole(lo: u64, hi: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| {
        let v: u64 = s
            .trim_ascii()
            .parse()
            .map_err(|_| format!("'{s}' is not a whole number"))?;
        if !(lo..=hi).contains(&v) {
            return Err(format!("must be from {lo} to {hi}, got {v}"));
        }
        Ok(v)
    }
}

/// The sizes of the linear representation model (spec §1 defaults).
#[derive(Args, Debug, Clone)]
pub struct LinearDims {
    /// Input dimension d_x.
    #[arg(long, value_name = "INT", default_value = "100", value_parser = whole(2, 5000))]
    pub dx: u64,
    /// Output dimension d_y.
    #[arg(long, value_name = "INT", default_value = "20", value_parser = whole(1, 5000))]
    pub dy: u64,
    /// Representation dimension k (k ≤ d_y, k < d_x).
    #[arg(long, value_name = "INT", default_value = "5", value_parser = whole(1, 1000))]
    pub k: u64,
}

/// Flags of the head-to-head (defaults: linear-rep.md §1, marked [C] there: chosen, not the paper's).
#[derive(Args, Debug, Clone)]
pub struct LinearRepArgs {
    /// Data settings, comma-separated or `all`: uniform-high, uniform-low, gaussian-high, gaussian-low.
    #[arg(long, value_name = "LIST", default_value = "uniform-high", value_parser = setting_list)]
    pub settings: SettingList,
    /// Optimizers, comma-separated or `all` (see below).
    #[arg(long, value_name = "LIST", default_value = "all", value_parser = linear_methods)]
    pub methods: LinearMethods,
    /// Figure 2: compare AMGD, AMGD + batch-norm, AMGD + whitening and KFAC (overrides --methods).
    #[arg(long)]
    pub batch_norm: bool,
    /// Figure 5: dist at the last iteration against the learning rate, for every method (NGD's
    /// step swept too); without a value the spec's grid 1e-3,1e-2,3e-2,0.1,0.3,1; --iters defaults
    /// to 375.
    #[arg(long, value_name = "RANGE", num_args = 0..=1, default_missing_value = "0.001,0.01,0.03,0.1,0.3,1", value_parser = positive_range)]
    pub lr_sweep: Option<Range>,
    #[command(flatten)]
    pub dims: LinearDims,
    /// Batch size n (fresh batches every iteration; DFW/KFAC need n > d_x).
    #[arg(long, value_name = "INT", default_value = "1024", value_parser = whole(2, 10_000_000))]
    pub batch: u64,
    /// Label-noise standard deviation σ_ε.
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub noise: f64,
    /// Iterations T [1500; 375 with --lr-sweep].
    #[arg(long, value_name = "INT", value_parser = whole(1, 10_000_000))]
    pub iters: Option<u64>,
    /// Log the metrics every this many iterations.
    #[arg(long, value_name = "INT", default_value = "10", value_parser = whole(1, 10_000_000))]
    pub log_every: u64,
    /// Step size η of every method but NGD.
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = positive_float, allow_hyphen_values = true)]
    pub lr: f64,
    /// NGD's step size (both Fisher types).
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = positive_float, allow_hyphen_values = true)]
    pub lr_ngd: f64,
    /// KFAC's ridge λ_G on the batch covariance (needed when --batch ≤ --dx).
    #[arg(long, value_name = "F", default_value = "0", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub ridge: f64,
    /// NGD's relative damping: ρ = damping · tr(𝔽) / dim θ.
    #[arg(long, value_name = "F", default_value = "0.001", value_parser = positive_float, allow_hyphen_values = true)]
    pub damping: f64,
    /// Spread h of the heads F = A expm(B), B iid N(0, h²/k) (0.5: κ(F) ≈ 4; 1: ≈ 11).
    #[arg(long, value_name = "F", default_value = "0.5", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub head_spread: f64,
    /// Prescribe κ(F*) ≥ 1 instead: singular values geometric from 1 to 1/κ (both tasks). One
    /// value, written as a RANGE of one (sweeps over κ are `linear-rep contraction`).
    #[arg(long, value_name = "RANGE", value_parser = one_kappa, allow_hyphen_values = true)]
    pub kappa_head: Option<f64>,
    /// Prescribe κ(Σ) ≥ 1 instead of the setting's anisotropy: eigenvalues logspace(0, −log10 κ).
    /// One value, as for --kappa-head.
    #[arg(long, value_name = "RANGE", value_parser = one_kappa, allow_hyphen_values = true)]
    pub kappa_sigma: Option<f64>,
    /// Target samples for the transfer head refit.
    #[arg(long, value_name = "INT", default_value = "200", value_parser = whole(1, 10_000_000))]
    pub n_target: u64,
    /// Whiten with each batch's own covariance (ZCA) instead of the population Σ^{-1/2}.
    #[arg(long)]
    pub batch_whitening: bool,
    /// Random seed (instance, G₀ and every batch).
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Independent runs (seeds --seed, --seed + 1, …: new instance and data each); figures and
    /// the summary then show means ± 2 SE. (`--replicates` is the old name.)
    #[arg(long = "trials", alias = "replicates", value_name = "INT", default_value = "1", value_parser = whole(1, 10_000))]
    pub replicates: u64,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/linear-rep")]
    pub out: PathBuf,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

/// Flags of `verify linear-rep contraction`.
#[derive(Args, Debug, Clone)]
pub struct ContractionArgs {
    /// κ(F*) values (RANGE).
    #[arg(long, value_name = "RANGE", default_value = "1,3,10,30,100", value_parser = kappa_range, allow_hyphen_values = true)]
    pub kappa_head: Range,
    /// κ(Σ) values (RANGE).
    #[arg(long, value_name = "RANGE", default_value = "1,10,100,1000", value_parser = kappa_range, allow_hyphen_values = true)]
    pub kappa_sigma: Range,
    /// Step size η (KFAC's α).
    #[arg(long, value_name = "F", default_value = "0.5", value_parser = positive_float, allow_hyphen_values = true)]
    pub lr: f64,
    /// Methods: kfac, kfac-etaf1, amgd, dfw (comma-separated).
    #[arg(long, value_name = "LIST", default_value = "kfac,amgd,dfw", value_parser = linear_methods)]
    pub methods: LinearMethods,
    #[command(flatten)]
    pub dims: LinearDims,
    /// Distance of the start from G* along the slowest mode.
    #[arg(long, value_name = "F", default_value = "0.001", value_parser = positive_float, allow_hyphen_values = true)]
    pub delta: f64,
    /// Iteration cap per run.
    #[arg(long, value_name = "INT", default_value = "2000", value_parser = whole(4, 100_000_000))]
    pub max_iter: u64,
    /// Random instances (F*, G*, Σ's basis) per grid point for the verdict.
    #[arg(long, value_name = "INT", default_value = "5", value_parser = whole(2, 100_000))]
    pub trials: u64,
    /// Family-wise false-failure level of the verdict (Holm over the rows).
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = alpha_level, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Equivalence margin for "agree" on the ratio (1 − rate)/(1 − rate_theory): absolute (0.02)
    /// or relative (2%).
    #[arg(long, value_name = "F|P%", default_value = "0.02", value_parser = engine::args::margin, allow_hyphen_values = true)]
    pub margin: engine::Margin,
    /// Random seed (F*, G*, Σ of every grid point).
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/linear-rep-contraction")]
    pub out: PathBuf,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub run: engine::ShardArgs,
}

fn kappa_range(s: &str) -> Result<Range, String> {
    range_where(s, |v| v >= 1.0, ">= 1")
}

/// A condition number in linear-rep's head-to-head: the RANGE grammar of `contraction`, but one
/// value (one instance per run).
fn one_kappa(s: &str) -> Result<f64, String> {
    let r = kappa_range(s)?;
    match r.values[..] {
        [v] => Ok(v),
        _ => Err(format!(
            "takes one value here, got {} ({s}); sweep κ with `verify linear-rep contraction`",
            r.values.len()
        )),
    }
}

const REPRODUCE_HELP: &str = "\
Runs ordinary `verify` commands, each into its own subfolder (about 5 minutes on 2 cores):
  figure3-right/  correlation against kappa = 1..10 at psi = 2    (paper: Figure 3, right)
  figure3-left/   correlation against psi = 0.25..8 at kappa = 10 (paper: Figure 3, left)
  power/, power-sigma/  correlation (and Sigma-weighted) against p of (XᵀX/n + λI)^-p, direction level
                  (beyond the paper)
  readout/        test error after the second layer is refitted, against kappa at psi = 2
                  (Section C.4; d = min(--d, 300))
  figure1-9/      linear-rep head-to-head, four data settings     (Figures 1 and 9)
  figure2/, figure2-lr1/  AMGD vs batch-norm/whitening vs KFAC    (Figure 2)
  figure5/        distance after 375 iterations against lr        (Figure 5)
  contraction/    rates against kappa(F*), kappa(Sigma)           (Theorem 3.6, Prop. 3.5)
each with its CSV, JSON, SVG figures and report.md. The paper's exact sizes were lost in our copy;
these settings are ours (README, 'Reproducing the paper'). Exit code 1 if any verdict disagrees.
--part single-index | linear-rep runs one half.";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReproducePart {
    All,
    /// Figure 3 (single-index model).
    SingleIndex,
    /// Figures 1, 2, 5, 9 and the contraction check (linear representation learning).
    LinearRep,
}

#[derive(Args, Debug, Clone)]
pub struct ReproduceArgs {
    /// Output folder; one subfolder per figure.
    #[arg(long, value_name = "DIR", default_value = "out/reproduce")]
    pub out: PathBuf,
    /// Which half of the paper.
    #[arg(long, value_enum, default_value = "all")]
    pub part: ReproducePart,
    /// Monte Carlo trials per grid point.
    #[arg(long, value_name = "INT", default_value = "40", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub trials: u64,
    /// Dimension d (= network width N).
    #[arg(long, value_name = "INT", default_value = "1000", value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub d: u64,
    /// Simulation level.
    #[arg(long, value_enum, default_value = "network")]
    pub level: LevelArg,
    /// Seed of every random stream.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

const SINGLE_INDEX_EXAMPLES: &str = "\
Examples:
  verify single-index                                  # kappa 1..10 at psi 2, network level, d 1000
  verify single-index --theory-only --kappa 1..30:0.5   # formulas only, instantly
  verify single-index --psi 0.5..4/8 --kappa 10 --level direction --trials 50
  verify single-index --spectrum geometric --activation relu --student erf --format csv
  verify single-index --spectrum file:eigs.txt --psi 2   # one eigenvalue (or 'value weight') per line

RANGE: a..b (step 1, inclusive), a..b:step, a..b/count (evenly spaced), a,b,c, or x.
Outputs in --out: single_index.csv, single_index.json (rows + full configuration + seed).";

pub use engine::range::{dimension_range, range_where, DRange, Range};

/// `verify readout`'s default --kappa.
pub const READOUT_KAPPA: &str = "1,3,10,30";

const READOUT_HELP: &str = "\
Examples:
  verify readout                                        # kappa 1,3,10,30, psi 2, d 300, network level
  verify readout --level direction --kappa 1..30/6 --trials 100
  verify readout --spectrum geometric --activation relu --methods sgd,kfac --psi 0.5,3

Per method two quantities: direction:M, the test error of a degree-K least-squares readout on
M's learned direction (formula R_K(ρ_Σ), judged), and at the network level network:M, the test
error of the whole network refitted by ridge after the step (simulation only, never judged).
Outputs in --out: readout.csv, readout.json, readout_kappa.svg (one figure per swept axis),
report.md. Sharding: --shard I/K per shard, then verify readout --merge DIR... --out DIR.
Exit codes: 0 agree, 1 disagree, 2 bad input, 3 could not complete, 4 inconclusive.";

/// `verify readout`: the single-index model's flags, the readout's, and the engine's shared ones.
/// Its quantities are risks with their own Monte Carlo spread; the equivalence margin stays at
/// 2% of the risk (a user's check defaults to 1%).
#[derive(Args, Debug, Clone)]
#[command(mut_arg("margin", |a| a.default_value("2%")))]
pub struct ReadoutArgs {
    /// Anisotropy κ of the spectrum family (RANGE, values > 0).
    #[arg(long, value_name = "RANGE", default_value = READOUT_KAPPA, value_parser = positive_range, allow_hyphen_values = true)]
    pub kappa: Range,
    /// Sample ratio ψ = n/d of the step, and of the readout's fit and test samples (RANGE, > 0).
    #[arg(long, value_name = "RANGE", default_value = "2", value_parser = positive_range, allow_hyphen_values = true)]
    pub psi: Range,
    /// Population spectrum of Σ: identity | two-point | two-point:P | geometric | linear | file:PATH.
    #[arg(long, value_name = "NAME", default_value = "two-point", value_parser = spectrum)]
    pub spectrum: SpectrumFamily,
    /// Keep the spectrum as given instead of normalising it to tr Σ = d.
    #[arg(long)]
    pub no_normalize: bool,
    /// Teacher σ*: tanh | relu | erf | sigmoid | softplus | linear | hermite:c0,c1,...
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub activation: Activation,
    /// Student σ of the network level (same names); needs E[σ'(z)] ≠ 0.
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub student: Activation,
    /// Label-noise standard deviation σ_ε (>= 0).
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub noise: f64,
    /// KFAC ridge λ (RANGE, values >= 0; 0 needs ψ > 1).
    #[arg(long, value_name = "RANGE", default_value = "0.1", value_parser = nonneg_range, allow_hyphen_values = true)]
    pub lambda: Range,
    /// Dimension d (>= 2).
    #[arg(long, value_name = "INT", default_value = "300", value_parser = whole(2, 20_000))]
    pub d: u64,
    /// Network width N (even; default d, rounded up to an even number).
    #[arg(long, value_name = "INT", value_parser = even_width)]
    pub width: Option<usize>,
    /// Simulation level (the network readouts exist at the network level only).
    #[arg(long, value_enum, default_value = "network")]
    pub level: LevelArg,
    /// One-step updates to compare, as single-index --methods.
    #[arg(long, value_name = "LIST", default_value = "sgd,kfac,batch-norm,adam", value_parser = method_list)]
    pub methods: MethodList,
    /// Degree K of the polynomial readout on the learned direction (1 to 12).
    #[arg(long, value_name = "INT", default_value = "6", value_parser = whole(1, theory::MAX_READOUT_DEGREE as u64))]
    pub degree: u64,
    /// Network readout: step size η, the RMS change of a neuron's pre-activation on the readout's
    /// inputs (each method's update rescaled to it; > 0).
    #[arg(long, value_name = "F", default_value = "1", value_parser = bounded_positive, allow_hyphen_values = true)]
    pub step: f64,
    /// Network readout: ridge of the second layer, relative to the mean feature variance (> 0).
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = bounded_positive, allow_hyphen_values = true)]
    pub readout_ridge: f64,
    /// The engine's shared flags.
    #[command(flatten)]
    pub common: engine::CommonArgs,
}

fn nonneg_range(s: &str) -> Result<Range, String> {
    range_where(s, |v| v >= 0.0, ">= 0")
}

fn bounded_positive(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_ascii()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if !(v > 0.0 && v <= 1e6) {
        return Err(format!("must be > 0 and at most 1e6, got {s}"));
    }
    Ok(v)
}

fn positive_range(s: &str) -> Result<Range, String> {
    engine::range::positive(s)
}

fn nonneg_float(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_ascii()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("must be a finite number >= 0, got {s}"));
    }
    Ok(v)
}

/// `--alpha`: the engine's one rule, 0 < alpha < 0.5.
fn alpha_level(s: &str) -> Result<f64, String> {
    engine::args::alpha(s)
}

fn even_width(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim_ascii()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number"))?;
    if v < 2 || v % 2 == 1 || v > 100_000 {
        return Err(format!(
            "network width must be even, from 2 to 100000 (symmetric initialisation), got {v}"
        ));
    }
    Ok(v)
}

pub use results::single_index::Lambda;

fn lambda_arg(s: &str) -> Result<Lambda, String> {
    if s.trim_ascii() == "opt" {
        Ok(Lambda::Opt)
    } else {
        range_where(s, |v| v >= 0.0, ">= 0")
            .map(Lambda::Values)
            .map_err(|e| format!("{e} (or 'opt')"))
    }
}

/// The `--methods` list: the one-step updates compared at every grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodList {
    /// The methods, in the order given.
    pub methods: Vec<OneStep>,
    /// Given as the word `all`: methods that do not apply to the grid are skipped (with a note)
    /// rather than refused.
    pub all: bool,
}

impl std::fmt::Display for MethodList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", join_names(&self.methods, |m| m.name()))
    }
}

fn method_list(s: &str) -> Result<MethodList, String> {
    if s.trim_ascii() == "all" {
        return parse_names(s, &OneStep::ALL, OneStep::name)
            .map(|methods| MethodList { methods, all: true });
    }
    // In the order given; members of the power family, `kfac-power:P`, are parsed on their own.
    let mut methods: Vec<OneStep> = Vec::new();
    for part in s.split(',').map(str::trim_ascii) {
        let m = if part.starts_with("kfac-power:") {
            OneStep::parse(part).ok_or_else(|| {
                format!("'{part}': kfac-power:P needs 0 <= P <= 1 with at most three decimals (kfac-power:0.25)")
            })?
        } else {
            parse_names(part, &OneStep::ALL, OneStep::name)?[0]
        };
        if methods.contains(&m) {
            return Err(format!("method '{part}' is listed twice"));
        }
        methods.push(m);
    }
    Ok(MethodList {
        methods,
        all: false,
    })
}

/// `a,b,c` from a list of named things.
fn join_names<T: Copy>(items: &[T], name: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|&m| name(m)).collect::<Vec<_>>().join(",")
}

/// A comma-separated list of names from `all` (or the word `all`), refusing unknown and repeated
/// names with the allowed ones in the message.
fn parse_names<T: Copy + PartialEq>(
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<Vec<T>, String> {
    if s.trim_ascii() == "all" {
        return Ok(all.to_vec());
    }
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim_ascii) {
        let m = all
            .iter()
            .copied()
            .find(|&m| name(m) == part)
            .ok_or_else(|| {
                format!(
                    "unknown method '{}'; allowed: {} (comma-separated), or 'all'",
                    part.escape_debug(),
                    join_names(all, &name).replace(',', ", ")
                )
            })?;
        if out.contains(&m) {
            return Err(format!("method '{part}' is listed twice"));
        }
        out.push(m);
    }
    Ok(out)
}

fn activation(s: &str) -> Result<Activation, String> {
    s.parse().map_err(|e: theory::TheoryError| e.to_string())
}

fn spectrum(s: &str) -> Result<SpectrumFamily, String> {
    sims::spectrum_family(s).map_err(|e| e.to_string())
}

/// Which alignment of the learned direction with β* is measured and predicted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlignmentArg {
    /// |cos(β̂, β*)|.
    Euclidean,
    /// |β̂ᵀΣβ*| / (‖Σ^{1/2}β̂‖ ‖Σ^{1/2}β*‖).
    Sigma,
}

impl AlignmentArg {
    /// The simulation's alignment.
    pub fn model(self) -> sims::Alignment {
        match self {
            AlignmentArg::Euclidean => sims::Alignment::Euclidean,
            AlignmentArg::Sigma => sims::Alignment::Sigma,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// β̂_SGD = Xᵀy/n and β̂_KFAC = ridge, directly.
    Direction,
    /// The real one-step update of a two-layer network (top singular vector of W₁ − W₀).
    Network,
}

/// What goes to standard output (the engine's shared definition).
pub use engine::Format;

#[derive(Args, Debug, Clone)]
pub struct SingleIndexArgs {
    /// Anisotropy κ of the spectrum family (RANGE, values > 0).
    #[arg(long, value_name = "RANGE", default_value = "1..10", value_parser = positive_range, allow_hyphen_values = true)]
    pub kappa: Range,
    /// Sample ratio ψ = n/d (RANGE, values > 0).
    #[arg(long, value_name = "RANGE", default_value = "2", value_parser = positive_range, allow_hyphen_values = true)]
    pub psi: Range,
    /// Population spectrum of Σ: identity | two-point | two-point:P | geometric | linear | file:PATH.
    #[arg(long, value_name = "NAME", default_value = "two-point", value_parser = spectrum)]
    pub spectrum: SpectrumFamily,
    /// Keep the spectrum as given instead of normalising it to tr Σ = d.
    #[arg(long)]
    pub no_normalize: bool,
    /// Teacher σ*: tanh | relu | erf | sigmoid | softplus | linear | hermite:c0,c1,...
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub activation: Activation,
    /// Student σ of the network level (same names); needs E[σ'(z)] ≠ 0.
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub student: Activation,
    /// Label-noise standard deviation σ_ε (>= 0).
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub noise: f64,
    /// KFAC ridge λ (RANGE, values >= 0; 0 needs ψ > 1; several values add the λ-sweep
    /// figure), or `opt`: per grid point, the λ that maximises ρ_KFAC in theory.
    #[arg(long, value_name = "RANGE|opt", default_value = "0.1", value_parser = lambda_arg, allow_hyphen_values = true)]
    pub lambda: Lambda,
    /// Dimension d (>= 2; a RANGE of whole numbers sweeps it, e.g. 250,500,1000,2000, and adds
    /// the finite-size-scaling figure).
    #[arg(long, value_name = "RANGE", default_value = "1000", value_parser = dimension_range)]
    pub d: DRange,
    /// Network width N (even; default d, rounded up to an even number).
    #[arg(long, value_name = "INT", value_parser = even_width)]
    pub width: Option<usize>,
    /// Monte Carlo trials per grid point (>= 2), or `auto`: batches of 20, 40, 80, … trials
    /// (up to --max-trials) to the points not yet decided, each look at level alpha / looks.
    #[arg(long, value_name = "INT|auto", default_value = "20", value_parser = engine::args::trials_arg)]
    pub trials: Trials,
    /// With --trials auto: the most trials any grid point gets.
    #[arg(long, value_name = "INT", default_value = "1280", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub max_trials: u64,
    /// Simulation level.
    #[arg(long, value_enum, default_value = "network")]
    pub level: LevelArg,
    /// The alignment measured and predicted: `euclidean` |cos(β̂, β*)| (the paper's), or `sigma`
    /// |β̂ᵀΣβ*| / (‖Σ^{1/2}β̂‖ ‖Σ^{1/2}β*‖), what a readout on the data sees
    /// (docs/sigma-alignment.md).
    #[arg(long, value_enum, default_value = "euclidean")]
    pub alignment: AlignmentArg,
    /// One-step updates to compare, comma-separated, or `all`: sgd, kfac (the paper's), sqrt-kfac,
    /// whiten, batch-norm, adam, shampoo, muon, and the power family kfac-power:P = (XᵀX/n +
    /// λI)^{-P} for 0 ≤ P ≤ 1 (not in `all`) (docs/one-step-methods.md; rows without a derived
    /// formula are simulated and reported but not judged). Differences are against the first.
    #[arg(long, value_name = "LIST", default_value = "sgd,kfac", value_parser = method_list)]
    pub methods: MethodList,
    /// Seed of every random stream (same seed, same numbers, whatever the thread count).
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out/single-index")]
    pub out: PathBuf,
    /// Evaluate the formulas only; skip the simulation.
    #[arg(long)]
    pub theory_only: bool,
    /// Judge the d → ∞ limit instead of each d: per (κ, ψ, λ, method) fit ρ̄(d) = ρ∞ + b/d by
    /// weighted least squares over the --d values (three or more) and hold ρ∞, with the fit's
    /// own standard error and no finite-size allowance, against the formula.
    #[arg(long, conflicts_with = "theory_only")]
    pub extrapolate: bool,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
    /// Level of the verdict: with correct formulas a sweep wrongly "disagrees" with probability
    /// at most this (Holm over rows, Student-t per row), and a formula off by more than the
    /// margin wrongly "agrees" with probability at most this.
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = alpha_level, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Equivalence margin for "agree": the 1 − 2α interval of ρ_sim − ρ_theory must lie inside
    /// ±(margin + finite-size allowance). Absolute (0.02) or relative to ρ_theory (2%).
    #[arg(long, value_name = "F|P%", default_value = "0.02", value_parser = engine::args::margin, allow_hyphen_values = true)]
    pub margin: engine::Margin,
    /// Continue an interrupted run in the same --out folder (its units.jsonl checkpoint): finished
    /// units are kept, the rest are run, and the results equal those of an uninterrupted run.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard I of K (0 ≤ I < K): a deterministic 1/K of the (grid point, trial) units,
    /// written to --out/units.jsonl; `verify merge` combines the K shard folders.
    #[arg(long, value_name = "I/K", value_parser = engine::shard_spec, allow_hyphen_values = true)]
    pub shard: Option<(usize, usize)>,
    /// Multiplier on the finite-size allowance of the verdict (0 = pure Monte Carlo test).
    #[arg(long, value_name = "F", default_value = "1", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub allowance_scale: f64,
}

/// A deliberately wrong formula for `verify audit --wrong` (to see what the audit catches).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongFormula {
    /// Batch-norm with the label's mean left in E[r²] (the formula before issue 13's fix).
    BnUncentred,
    /// ρ_SGD without its γ (finite-sample) term.
    SgdNoGamma,
    /// ρ_KFAC with m, m' of Σ = I instead of the actual spectrum.
    KfacIsotropicM,
}

#[derive(Args, Debug, Clone)]
pub struct AuditArgs {
    /// Configurations drawn.
    #[arg(long, value_name = "INT", default_value = "8", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub configs: u64,
    /// Seed of the draws and of every simulation.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Dimension d of every configuration (network width N = d).
    #[arg(long, value_name = "INT", default_value = "200", value_parser = clap::value_parser!(u64).range(10..=4000))]
    pub d: u64,
    /// Monte Carlo trials per configuration and dimension at the first look (each configuration
    /// runs at d/2, d and 2d).
    #[arg(long, value_name = "INT", default_value = "100", value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub trials: u64,
    /// Configurations with undecided rows get doubling batches up to this many trials (each look
    /// at alpha / looks); equal to --trials for a single look.
    #[arg(long, value_name = "INT", default_value = "800", value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub max_trials: u64,
    /// Level α of the verdict (Holm over every row of every configuration).
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = alpha_level, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Equivalence margin for "agree": absolute (0.02) or relative (2%).
    #[arg(long, value_name = "F|P%", default_value = "0.02", value_parser = engine::args::margin, allow_hyphen_values = true)]
    pub margin: engine::Margin,
    /// Replace one formula by a deliberately wrong variant (the audit must then disagree).
    #[arg(long, value_enum)]
    pub wrong: Option<WrongFormula>,
    /// The alignment every configuration measures and predicts (as single-index --alignment).
    #[arg(long, value_enum, default_value = "euclidean")]
    pub alignment: AlignmentArg,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/audit")]
    pub out: PathBuf,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct SlurmArgs {
    /// Number of shards K (1 to 10000): array tasks 0..K−1, each running every K-th (point,
    /// trial) unit.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=engine::cluster::MAX_SHARDS as u64))]
    pub shards: u64,
    /// Return when the merge is done, with the merged verdict's exit code.
    #[arg(long)]
    pub wait: bool,
    /// Write the scripts and print the sbatch commands; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// SLURM partition (default: the cluster's default partition).
    #[arg(long, value_name = "P", value_parser = slurm_word)]
    pub partition: Option<String>,
    /// Wall-clock limit per task, in SLURM's form (MINUTES, HH:MM:SS, D-HH:MM, …; default: the
    /// run's own estimate).
    #[arg(long, value_name = "T", value_parser = slurm_word)]
    pub time: Option<String>,
    /// Memory per task (e.g. 4G, 800M; default: the run's own estimate).
    #[arg(long, value_name = "M", value_parser = slurm_word)]
    pub mem: Option<String>,
    /// Threads per task (its rayon pool; SLURM's --cpus-per-task).
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub cpus_per_task: u64,
    /// Seconds between checks of the merge job with --wait.
    #[arg(long, value_name = "S", default_value = "5", value_parser = clap::value_parser!(u64).range(1..=3600), hide = true)]
    pub poll: u64,
    /// The command to run and its arguments (after `--`), e.g. `-- single-index --kappa 1..10`.
    #[arg(last = true, required = true, value_name = "COMMAND ARGS")]
    pub command: Vec<String>,
}

/// A value written into an `#SBATCH` line: one word of letters, digits and `-_:.+,`.
fn slurm_word(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:.+,".contains(c))
    {
        Ok(s.to_string())
    } else {
        Err(format!(
            "must be one word of letters, digits and -_:.+, (as SLURM writes it), got {s:?}"
        ))
    }
}

#[derive(Args, Debug, Clone)]
pub struct NewArgs {
    /// The crate's name, also its folder's and the check's (ASCII letters, digits, - and _,
    /// starting with a letter).
    #[arg(value_name = "NAME", value_parser = crate::new_check::crate_name)]
    pub name: String,
    /// The folder to create NAME/ in [default: the current folder].
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// The run's output folder (with shards/ from `verify slurm`), or a shard folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// The shard folders (each holds a units.jsonl from `--shard I/K`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output folder for the combined results.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// A TOML experiment file, or a result JSON (`single_index.json`) to re-run exactly.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output folder (overrides the file's `out`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// What goes to standard output (overrides the file's `format`; default table).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

fn positive_float(s: &str) -> Result<f64, String> {
    let v = nonneg_float(s)?;
    if v <= 0.0 {
        return Err(format!("must be > 0, got {s}"));
    }
    Ok(v)
}

#[derive(Args, Debug, Clone)]
pub struct SpectrumArgs {
    /// Population spectrum of Σ: identity | two-point | two-point:P | geometric | linear | file:PATH.
    #[arg(long, value_name = "NAME", default_value = "two-point", value_parser = spectrum)]
    pub spectrum: SpectrumFamily,
    /// Anisotropy κ (> 0).
    #[arg(long, value_name = "F", default_value = "10", value_parser = positive_float, allow_hyphen_values = true)]
    pub kappa: f64,
    /// Sample ratio ψ = n/d (> 0).
    #[arg(long, value_name = "F", default_value = "2", value_parser = positive_float, allow_hyphen_values = true)]
    pub psi: f64,
    /// Dimension d (>= 2).
    #[arg(long, value_name = "INT", default_value = "1000", value_parser = clap::value_parser!(u64).range(2..=20_000))]
    pub d: u64,
    /// Keep the spectrum as given instead of normalising it to tr Σ = d.
    #[arg(long)]
    pub no_normalize: bool,
    /// Histogram bins, each holding an equal share of the eigenvalues (a narrow bulk is resolved
    /// like a wide one); a gap between bulks gets an empty bin of its own.
    #[arg(long, value_name = "INT", default_value = "60", value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub bins: u64,
    /// Seed of the sample.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out/spectrum")]
    pub out: PathBuf,
    /// What goes to standard output (json/csv: the histogram bins).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct SpikeArgs {
    /// Dimensions (RANGE of whole numbers, at least two); N = d rounded up to an even number,
    /// n = ψ d.
    #[arg(long, value_name = "RANGE", default_value = "100,200,400,800", value_parser = dimension_range)]
    pub d: DRange,
    /// Anisotropy κ (> 0).
    #[arg(long, value_name = "F", default_value = "10", value_parser = positive_float, allow_hyphen_values = true)]
    pub kappa: f64,
    /// Sample ratio ψ = n/d (> 0).
    #[arg(long, value_name = "F", default_value = "2", value_parser = positive_float, allow_hyphen_values = true)]
    pub psi: f64,
    /// Population spectrum of Σ.
    #[arg(long, value_name = "NAME", default_value = "two-point", value_parser = spectrum)]
    pub spectrum: SpectrumFamily,
    /// Keep the spectrum as given instead of normalising it to tr Σ = d.
    #[arg(long)]
    pub no_normalize: bool,
    /// Teacher σ*.
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub activation: Activation,
    /// Student σ (needs E[σ'(z)] ≠ 0).
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub student: Activation,
    /// Label-noise standard deviation σ_ε.
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub noise: f64,
    /// Monte Carlo trials per dimension (>= 2).
    #[arg(long, value_name = "INT", default_value = "10", value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub trials: u64,
    /// Seed of every random stream.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out/spike")]
    pub out: PathBuf,
    /// What goes to standard output.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub run: engine::ShardArgs,
}

#[derive(Args, Debug, Clone)]
pub struct PhaseArgs {
    /// κ extent of the diagram (its smallest and largest value are used).
    #[arg(long, value_name = "RANGE", default_value = "1,30", value_parser = positive_range, allow_hyphen_values = true)]
    pub kappa: Range,
    /// ψ extent of the diagram (log scale; smallest and largest value).
    #[arg(long, value_name = "RANGE", default_value = "0.25,8", value_parser = positive_range, allow_hyphen_values = true)]
    pub psi: Range,
    /// Theory cells per axis.
    #[arg(long, value_name = "INT", default_value = "60", value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub resolution: u64,
    /// κ values of the simulation checks.
    #[arg(long, value_name = "RANGE", default_value = "2,10,25", value_parser = positive_range, allow_hyphen_values = true)]
    pub check_kappa: Range,
    /// ψ values of the simulation checks.
    #[arg(long, value_name = "RANGE", default_value = "0.5,2,6", value_parser = positive_range, allow_hyphen_values = true)]
    pub check_psi: Range,
    /// Population spectrum of Σ.
    #[arg(long, value_name = "NAME", default_value = "two-point", value_parser = spectrum)]
    pub spectrum: SpectrumFamily,
    /// Keep the spectrum as given instead of normalising it to tr Σ = d.
    #[arg(long)]
    pub no_normalize: bool,
    /// Teacher σ*.
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub activation: Activation,
    /// Student σ (network-level checks).
    #[arg(long, value_name = "NAME", default_value = "tanh", value_parser = activation)]
    pub student: Activation,
    /// Label-noise standard deviation σ_ε.
    #[arg(long, value_name = "F", default_value = "0.1", value_parser = nonneg_float, allow_hyphen_values = true)]
    pub noise: f64,
    /// KFAC ridge λ, or `opt`.
    #[arg(long, value_name = "F|opt", default_value = "0.1", value_parser = lambda_arg, allow_hyphen_values = true)]
    pub lambda: Lambda,
    /// Dimension of the checks (network width N = d rounded up to an even number).
    #[arg(long, value_name = "INT", default_value = "400", value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub d: u64,
    /// Monte Carlo trials per check point.
    #[arg(long, value_name = "INT", default_value = "20", value_parser = clap::value_parser!(u64).range(2..=10_000_000))]
    pub trials: u64,
    /// Simulation level of the checks (direction is faster).
    #[arg(long, value_enum, default_value = "direction")]
    pub level: LevelArg,
    /// Same as `--level network` (kept for old scripts).
    #[arg(long, hide = true)]
    pub network: bool,
    /// Seed of every random stream.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// Family-wise false-failure level of the checks.
    #[arg(long, value_name = "F", default_value = "0.01", value_parser = alpha_level, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "out/phase")]
    pub out: PathBuf,
    /// What goes to standard output (json/csv: the theory grid's cells).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// No progress bar or progress notes on stderr (errors and warnings are still shown).
    #[arg(long)]
    pub quiet: bool,
}

const CATALOG_HELP: &str = "Examples:
  verify catalog --list                         # entries, sources, what each simulation measures
  verify catalog                                # every entry at its defaults, into out/catalog/ENTRY
  verify catalog marchenko-pastur --trials auto # one entry, adaptive trials
  verify catalog ridge --wrong                  # its deliberately wrong formula: expect DISAGREE

Each entry runs as one or more checks (one per kind of finite-size bias) in --out/ENTRY/PART
(--out defaults to out/catalog), each at level alpha/parts; the entry's verdict is the worst of
its parts. Each part's report.md says why a row is inconclusive: `noise` (more trials decide it:
--trials auto, --max-trials) or `finite-size` (a larger d would: --size K multiplies every
entry's d by K). Exit code: the worst verdict over the entries.
Shards: `verify catalog ENTRY --shard I/K --out sI` for each I, then
`verify catalog ENTRY --merge s0 s1 … --out merged`. docs/catalog.md has every formula.";

/// `verify catalog`: list the catalog, or run entries of it.
#[derive(Args, Debug, Clone)]
pub struct CatalogArgs {
    /// Entries to run (default: all); see --list.
    #[arg(value_name = "ENTRY")]
    pub entries: Vec<String>,
    /// Show the entries (name, formula, source, what the simulation measures) and stop.
    #[arg(long)]
    pub list: bool,
    /// Check each entry's deliberately wrong formula instead (a sign, a factor or a branch
    /// changed): the verdict should be DISAGREE, which measures its power.
    #[arg(long)]
    pub wrong: bool,
    /// Multiply every entry's dimension d (and so its sample sizes) by K, 0.25 < K <= 20: what
    /// decides a row inconclusive by `finite-size` (e.g. --size 4 runs the spectral edges at
    /// d = 800; the time grows like K² to K³).
    #[arg(long, value_name = "K", default_value = "1", value_parser = catalog_size)]
    pub size: f64,
    #[command(flatten)]
    pub common: engine::CommonArgs,
}

/// `verify catalog --size K`: a finite factor in (0.25, catalog::MAX_SIZE].
fn catalog_size(s: &str) -> Result<f64, String> {
    let k: f64 = s
        .trim_ascii()
        .parse()
        .map_err(|_| format!("'{}' is not a number", s.escape_debug()))?;
    if !(k > 0.25 && k <= catalog::MAX_SIZE) {
        return Err(format!(
            "must be more than 0.25 and at most {} (a factor on every entry's d), got {k}",
            catalog::MAX_SIZE
        ));
    }
    Ok(k)
}
