//! Local contraction rates of the subspace distance for linear representation learning in the
//! population, noiseless setting (docs/linear-rep-rates.md derives them; Theorem 3.6 and
//! Proposition 3.5 of the paper state the bounds they refine).

/// KFAC (η_F = 1 or η_F = η): the perpendicular part of G contracts by exactly |1 − η| per step,
/// whatever F*, Σ and the start (Theorem 3.6: 1 − α, free of both condition numbers).
pub fn kfac_rate(lr: f64) -> f64 {
    (1.0 - lr).abs()
}

/// DFW: E₊ = (I − η FᵀF) E near the optimum, so the rate is max_i |1 − η σ_i(F*)²|: free of κ(Σ),
/// but 1 − η/κ(F*)² for η ≤ 1 and σ_max(F*) = 1.
pub fn dfw_rate(lr: f64, head_singular_values: &[f64]) -> f64 {
    head_singular_values
        .iter()
        .map(|s| (1.0 - lr * s * s).abs())
        .fold(0.0, f64::max)
}

/// AMGD: E₊ = E − η (FᵀF) E S near the optimum, S the Schur complement of Σ on row(G*)^⊥ (the
/// covariance of the unlearned directions given the learned ones), so the rate is
/// max_{i,j} |1 − η σ_i(F*)² b_j|: 1 − η b_min/κ(F*)² for η ≤ 1 — it degrades with κ(F*)² and,
/// through b_min ≥ λ_min(Σ), with κ(Σ) (Proposition 3.5's lower bound, made exact locally).
pub fn amgd_rate(lr: f64, head_singular_values: &[f64], schur_eigenvalues: &[f64]) -> f64 {
    let mut worst: f64 = 0.0;
    for s in head_singular_values {
        for b in schur_eigenvalues {
            worst = worst.max((1.0 - lr * s * s * b).abs());
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_reduce_to_each_other_and_to_one_minus_eta() {
        let s = [1.0, 0.5, 0.1];
        // Σ = I: the Schur complement is I, AMGD = DFW.
        assert_eq!(amgd_rate(0.3, &s, &[1.0; 4]), dfw_rate(0.3, &s));
        assert!((dfw_rate(0.3, &s) - (1.0 - 0.3 * 0.01)).abs() < 1e-15);
        // κ(F*) = 1, Σ = I: every method contracts at 1 − η.
        assert_eq!(dfw_rate(0.4, &[1.0; 3]), kfac_rate(0.4));
        // Overshoot: η σ² > 2 diverges (rate > 1).
        assert!(dfw_rate(2.5, &[1.0]) > 1.0);
    }
}
