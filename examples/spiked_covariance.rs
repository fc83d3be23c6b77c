//! A random-matrix result no `verify` command covers: the top eigenvalue of a sample covariance
//! with one spike (Baik–Ben Arous–Péché). x ~ N(0, I + θ e₁e₁ᵀ) in R^d, n = d/γ samples,
//! S = XᵀX/n. As d → ∞, λ_max(S) → (1 + θ)(1 + γ/θ) above the transition θ > √γ, and sticks to the
//! bulk edge (1 + √γ)² below it. `--wrong` claims the population value 1 + θ (no transition).
//! Its finite-size bias (O(1/d) above the transition, O(d^-2/3) at the edge below it) is not
//! derived here: the grid's `d` axis lets the engine measure it (it also runs d/4).
//!     cargo run --release --example spiked_covariance [-- --wrong | --d 400 | --help]
use engine::prelude::*;

struct Bbp {
    wrong: bool,
}

/// λ_max of a symmetric d × d matrix (row-major) by power iteration from a fixed start.
fn top_eigenvalue(s: &[f64], d: usize) -> f64 {
    let mut v = vec![1.0 / (d as f64).sqrt(); d];
    let mut lambda = 0.0;
    for _ in 0..5000 {
        let w: Vec<f64> = (0..d)
            .map(|i| (0..d).map(|j| s[i * d + j] * v[j]).sum())
            .collect();
        let next: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum(); // Rayleigh quotient
        let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
        v = w.iter().map(|a| a / norm).collect();
        if (next - lambda).abs() < 1e-13 * next {
            return next;
        }
        lambda = next;
    }
    lambda
}

impl Check for Bbp {
    fn name(&self) -> &str {
        "spiked-covariance"
    }
    fn quantities(&self) -> Vec<&'static str> {
        vec!["top_eigenvalue"]
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let (theta, gamma) = (p.get("theta"), p.get("gamma"));
        let limit = if self.wrong {
            1.0 + theta
        } else if theta > gamma.sqrt() {
            (1.0 + theta) * (1.0 + gamma / theta)
        } else {
            (1.0 + gamma.sqrt()).powi(2)
        };
        vec![Some(limit)]
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        let d = p.get("d") as usize;
        let n = (d as f64 / p.get("gamma")).round() as usize;
        let spike = (1.0 + p.get("theta")).sqrt();
        let mut s = vec![0.0; d * d];
        for _ in 0..n {
            let mut x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
            x[0] *= spike;
            for i in 0..d {
                for j in 0..=i {
                    s[i * d + j] += x[i] * x[j] / n as f64;
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                s[j * d + i] = s[i * d + j];
            }
        }
        vec![top_eigenvalue(&s, d)]
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// Spike strengths θ (a RANGE, e.g. 0.2..4/12; √γ = 0.707 is the transition).
    #[arg(long, default_value = "0.2,0.4,1.5,2.5,4", value_parser = engine::range::positive)]
    theta: engine::Range,
    /// Dimension d.
    #[arg(long, default_value = "200")]
    d: usize,
    /// Check the wrong limit 1 + θ (to see a disagreement).
    #[arg(long)]
    wrong: bool,
}

fn main() {
    let cli = Cli::parse();
    // √γ = 0.707: two spikes below the transition, three above.
    let grid = Grid::new()
        .axis("theta", &cli.theta.values)
        .axis("gamma", &[0.5])
        .axis("d", &[cli.d as f64]);
    std::process::exit(main_exit_code(
        &Bbp { wrong: cli.wrong },
        &grid,
        &cli.common,
    ));
}
