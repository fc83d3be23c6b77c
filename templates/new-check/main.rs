//! {{name}}: a limit formula checked against finite-size Monte Carlo by the `verify` engine.
//!
//! The template's formula (replace `theory` and `trial` with yours): for X (n × d) with i.i.d.
//! N(0, 1) entries, as d, n → ∞ with γ = d/n fixed,
//!
//!     (1/d) tr(XᵀX/n + λI)⁻¹ → m(−λ),
//!
//! where m is the Stieltjes transform of the Marchenko–Pastur law of ratio γ (for γ > 1 with its
//! atom 1 − 1/γ at 0); at z = −λ < 0 it is the positive root of γλm² + (λ + 1 − γ)m − 1 = 0
//! (Marchenko & Pastur 1967; Bai & Silverstein, "Spectral Analysis of Large Dimensional Random
//! Matrices", 2010, ch. 3: γzm² + (z + γ − 1)m + 1 = 0 at z = −λ; the other root is negative;
//! checked against quadrature of the law's density to 1e-13). The `d` axis makes the engine
//! measure the finite-size bias (it also runs d/4).
//!
//!     cargo run --release                # agree (exit 0)
//!     cargo run --release -- --wrong     # the population value 1/(1 + λ): disagree (exit 1)
//!     cargo run --release -- --help      # the engine's flags: --trials auto, --seed, --out, …
use engine::prelude::*;

/// (1/d) tr(XᵀX/n + λI)⁻¹ against its Marchenko–Pastur limit.
pub struct Resolvent {
    /// Claim the wrong limit 1/(1 + λ) (XᵀX/n ≈ I), to see a disagreement.
    pub wrong: bool,
}

impl Check for Resolvent {
    fn name(&self) -> &str {
        "{{name}}"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["resolvent_trace"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let (gamma, lambda) = (p.get("gamma"), p.get("lambda"));
        if self.wrong {
            return vec![Some(1.0 / (1.0 + lambda))];
        }
        // The positive root of a m² + b m − 1 = 0, written without cancellation.
        let (a, b) = (gamma * lambda, lambda + 1.0 - gamma);
        vec![Some(2.0 / (b + (b * b + 4.0 * a).sqrt()))]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let (d, lambda) = (p.get("d") as usize, p.get("lambda"));
        let n = (d as f64 / p.get("gamma")).round() as usize;
        let x = Mat::<f64>::from_fn(n, d, |_, _| rng.sample(StandardNormal));
        let mut a = x.transpose() * &x / n as f64;
        for i in 0..d {
            a[(i, i)] += lambda;
        }
        let llt = a.llt(Side::Lower).expect("λ > 0: positive definite");
        vec![llt.inverse().diagonal().column_vector().sum() / d as f64]
    }
}

/// The grid: γ = d/n on both sides of 1, two ridges, the dimensions `d`.
pub fn grid(d: &[f64]) -> Grid {
    Grid::new()
        .axis("gamma", &[0.25, 0.5, 2.0])
        .axis("lambda", &[0.1, 1.0])
        .axis("d", d)
}

/// {{name}}: (1/d) tr(XᵀX/n + λI)⁻¹ against its Marchenko–Pastur limit, by Monte Carlo.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Dimensions d (a RANGE, e.g. 100,200,400: three or more for --extrapolate).
    #[arg(long, default_value = "200", value_parser = engine::range::positive)]
    d: engine::Range,
    /// Check the wrong limit 1/(1 + λ) (to see a disagreement).
    #[arg(long)]
    wrong: bool,
}

fn main() {
    // The engine runs trials in parallel; each trial's matrix algebra runs on one thread.
    faer::set_global_parallelism(Par::Seq);
    let cli = Cli::parse();
    let check = Resolvent { wrong: cli.wrong };
    std::process::exit(main_exit_code(&check, &grid(&cli.d.values), &cli.common));
}
