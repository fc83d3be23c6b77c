//! The smallest check: E|σZ| = σ √(2/π) for Z ~ N(0, 1), over σ. `--wrong` claims E|σZ| = σ.
//!     cargo run --release --example abs_normal [-- --wrong | --help]
use engine::prelude::*;

struct AbsNormal {
    wrong: bool,
}

impl Check for AbsNormal {
    fn name(&self) -> &str {
        "abs-normal"
    }
    /// Exact at every sample: no dimension, no finite-size bias (the report says "declared exact").
    fn dimension_axes(&self) -> Vec<&str> {
        Vec::new()
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["mean_abs"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let factor = if self.wrong {
            1.0
        } else {
            (2.0 / std::f64::consts::PI).sqrt()
        };
        vec![Some(p.get("sigma") * factor)]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let z: f64 = rng.sample(StandardNormal);
        vec![(p.get("sigma") * z).abs()]
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Check the wrong formula E|σZ| = σ (to see a disagreement).
    #[arg(long)]
    wrong: bool,
}

fn main() {
    // A trial costs nanoseconds, so this check defaults to 100 000 of them: "agree" needs the
    // 98% interval of sim − formula inside ±1% of the formula (the default margin), and |σZ|
    // has a relative spread of 0.76, so about 31 000 trials are the least that can show it.
    let matches = Cli::command()
        .mut_arg("trials", |a| a.default_value("100000"))
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let grid = Grid::new().axis("sigma", &[0.5, 1.0, 2.0, 4.0]);
    std::process::exit(main_exit_code(
        &AbsNormal { wrong: cli.wrong },
        &grid,
        &cli.common,
    ));
}
