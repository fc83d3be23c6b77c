//! The verdict's error rates on user-style checks whose finite-size bias the engine has to
//! measure (docs/verdict.md, "A researcher's own formula"): for each check, the run verdict of the
//! correct formula over many seeds at the defaults (200 trials), and of formulas 1 % too high and
//! 1 % too low with `--trials auto`.
//!     cargo run --release --example finite_size_rates [-- SEEDS AUTO_SEEDS D]
//! Defaults: 100 seeds for the correct formulas at 200 trials, 20 for each --trials auto line,
//! d = 100 (the norm check runs at 4d).

#[path = "checks/finite_size.rs"]
mod checks;

use checks::{bbp_grid, mp_grid, norm_grid, BbpTopEigenvalue, MpResolventTrace, NormPlusMean};
use engine::prelude::*;
use engine::RunVerdict;

/// Run verdicts of `check` on `grid` over `seeds` seeds: (agree, inconclusive, disagree).
fn tally<C: Check>(check: &C, grid: &Grid, seeds: u64, extra: &[&str]) -> [usize; 3] {
    let out = std::env::temp_dir().join(format!("finite-size-rates-{}", std::process::id()));
    let mut counts = [0; 3];
    for seed in 0..seeds {
        let seed = seed.to_string();
        let mut argv = vec!["rates", "--seed", &seed, "--quiet", "--format", "none"];
        argv.extend(["--out", out.to_str().expect("a UTF-8 temp folder")]);
        argv.extend(extra);
        let verdict = run_check(check, grid, &CommonArgs::parse_from(argv)).expect("runs");
        counts[match verdict {
            RunVerdict::Agree => 0,
            RunVerdict::Inconclusive => 1,
            _ => 2,
        }] += 1;
    }
    std::fs::remove_dir_all(out).ok();
    counts
}

fn line(name: &str, d: f64, what: &str, t: [usize; 3]) {
    let n = t.iter().sum::<usize>().max(1) as f64;
    println!(
        "| {name} | {d} | {what} | {} | {:.0} % | {:.0} % | {:.0} % |",
        n,
        100.0 * t[0] as f64 / n,
        100.0 * t[1] as f64 / n,
        100.0 * t[2] as f64 / n
    );
}

/// The correct formula at the defaults, then ±1 % with --trials auto.
fn measure<C: Check>(name: &str, d: f64, grid: &Grid, make: &dyn Fn(f64) -> C, seeds: [u64; 2]) {
    line(
        name,
        d,
        "correct, 200 trials",
        tally(&make(0.0), grid, seeds[0], &[]),
    );
    let auto = tally(&make(0.0), grid, seeds[1], &["--trials", "auto"]);
    line(name, d, "correct, --trials auto", auto);
    for shift in [0.01, -0.01] {
        let what = format!("{:+} %, --trials auto", 100.0 * shift);
        let t = tally(&make(shift), grid, seeds[1], &["--trials", "auto"]);
        line(name, d, &what, t);
    }
}

fn main() {
    faer::set_global_parallelism(Par::Seq);
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let d = args.get(2).copied().unwrap_or(100.0);
    let args: Vec<u64> = args.iter().take(2).map(|&x| x as u64).collect();
    let seeds = [
        args.first().copied().unwrap_or(100),
        args.get(1).copied().unwrap_or(20),
    ];
    println!("| check | d | formula | runs | agree | inconclusive | disagree |");
    println!("|---|---|---|---|---|---|---|");
    measure(
        "MP resolvent trace (bias O(1/d))",
        d,
        &mp_grid(d),
        &|shift| MpResolventTrace { shift },
        seeds,
    );
    measure(
        "BBP top eigenvalue (O(1/d), edge O(d^-2/3))",
        d,
        &bbp_grid(d),
        &|shift| BbpTopEigenvalue { shift },
        seeds,
    );
    measure(
        "norm + abs(mean) (bias O(d^-1/2))",
        4.0 * d,
        &norm_grid(4.0 * d),
        &|shift| NormPlusMean { shift },
        seeds,
    );
}
