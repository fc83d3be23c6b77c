//! How the verdict behaves: for a formula that is off by δ, how often is it called "disagree",
//! "agree" or "inconclusive", as a function of δ, the trials and d? Simulates the single-index
//! model (direction level, two-point spectrum κ = 10, ψ = 2, tanh, σ_ε = 0.1, λ = 0.1; SGD and
//! KFAC) over many seeds, shifts the SGD formula by δ, and judges both rows exactly as
//! `verify single-index` does (margin 0.02, α = 0.01, the default allowance). Writes
//! verdict_power.csv and verdict_power.svg into --out.
//!     cargo run --release --example verdict_power [-- --seeds 200 --out docs/figures]
use clap::Parser;
use engine::verdict::{judge_rows, Margin, Outcome, RowInput};
use engine::{simulate, Model};
use sims::{Level, SingleIndexModel, SingleIndexPoint};

#[derive(Parser)]
struct Cli {
    /// Independent simulations per (d, trials).
    #[arg(long, default_value = "200")]
    seeds: u64,
    /// Output folder.
    #[arg(long, default_value = "out/verdict-power")]
    out: std::path::PathBuf,
}

const DELTAS: [f64; 8] = [0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06];

/// (d, trials) configurations.
const CONFIGS: [(usize, usize); 4] = [(100, 20), (400, 20), (100, 80), (400, 80)];

#[derive(serde::Serialize)]
struct Rate {
    d: usize,
    trials: usize,
    delta: f64,
    seeds: u64,
    disagree: f64,
    agree: f64,
    inconclusive: f64,
    /// Runs (both rows) that were not "agree"/"disagree" as a whole: the run's outcome.
    run_inconclusive: f64,
}

fn main() {
    faer::set_global_parallelism(faer::Par::Seq);
    let cli = Cli::parse();
    let model = SingleIndexModel {
        family: theory::SpectrumFamily::TwoPoint { p: 0.5 },
        normalize: true,
        teacher: theory::Activation::Tanh,
        student: theory::Activation::Tanh,
        noise: 0.1,
        level: Level::Direction,
        allowance_scale: 1.0,
        alignment: sims::Alignment::Euclidean,
        methods: sims::PAPER_METHODS.to_vec(),
    };
    let mut rates = Vec::new();
    for (d, trials) in CONFIGS {
        let p = SingleIndexPoint {
            kappa: 10.0,
            psi: 2.0,
            lambda: 0.1,
            d,
            width: d,
        };
        let theory = model.theory(&p).expect("formulas");
        let b = model.allowance(&p);
        let sims: Vec<_> = (0..cli.seeds)
            .map(|seed| {
                simulate(&model, &[p], trials, seed, &|| {}).expect("simulation")[0].clone()
            })
            .collect();
        for delta in DELTAS {
            let mut counts = [0usize; 3];
            let mut run_inconclusive = 0;
            for s in &sims {
                let rows: Vec<RowInput> = (0..2)
                    .map(|k| RowInput {
                        sim: s.summaries[k],
                        formula: theory[k].expect("formula") + if k == 0 { delta } else { 0.0 },
                        allowance: b[k],
                        bracket: None,
                    })
                    .collect();
                let v = judge_rows(&rows, Margin::DEFAULT, 0.01);
                counts[match v[0].outcome {
                    Outcome::Disagree => 0,
                    Outcome::Agree => 1,
                    Outcome::Inconclusive => 2,
                }] += 1;
                if Outcome::of_run(v.iter().map(|x| x.outcome)) == Outcome::Inconclusive {
                    run_inconclusive += 1;
                }
            }
            let f = |c: usize| c as f64 / cli.seeds as f64;
            rates.push(Rate {
                d,
                trials,
                delta,
                seeds: cli.seeds,
                disagree: f(counts[0]),
                agree: f(counts[1]),
                inconclusive: f(counts[2]),
                run_inconclusive: f(run_inconclusive),
            });
        }
        eprintln!("d = {d}, {trials} trials: done");
    }
    reports::write_csv(&cli.out.join("verdict_power.csv"), &rates).expect("write the CSV");
    let series = CONFIGS
        .iter()
        .enumerate()
        .map(|(i, &(d, trials))| reports::Series {
            label: format!("d = {d}, {trials} trials"),
            style: reports::Style::nth(i),
            theory: rates
                .iter()
                .filter(|r| r.d == d && r.trials == trials)
                .map(|r| (r.delta, r.disagree))
                .collect(),
            sims: Vec::new(),
            fit: None,
        })
        .collect();
    let fig = reports::Figure {
        title: "Power of the verdict: P(disagree) for an SGD formula off by δ".into(),
        caption: format!(
            "direction level · two-point κ = 10 · ψ = 2 · tanh · σ_ε = 0.1 · λ = 0.1 · margin 0.02 · α = 0.01 · {} seeds per point",
            cli.seeds
        ),
        x_label: "δ (formula − truth)".into(),
        y_label: "P(disagree)".into(),
        log_x: false,
        log_y: false,
        series,
        bar_meaning: String::new(),
        line_meaning: "fraction of seeds judged \"disagree\"".into(),
        x_ticks: DELTAS.to_vec(),
    };
    reports::write_svg(&cli.out.join("verdict_power.svg"), &fig).expect("write the figure");
    for r in &rates {
        println!(
            "d {:>4} trials {:>3} δ {:<6} disagree {:.3} agree {:.3} inconclusive {:.3} (run inconclusive {:.3})",
            r.d, r.trials, r.delta, r.disagree, r.agree, r.inconclusive, r.run_inconclusive
        );
    }
}
