//! The direction level's reduced sampler (`sims::direction_stats::draw_stats`: XᵀX/n, Xᵀy/n and
//! the column means drawn without X) against the literal one (X drawn, XᵀX formed:
//! `sims::single_index::stats_of`): a designed two-sample test over configurations that cover
//! both Wishart branches, teachers with and without a mean, noise 0 and every method.

use engine::rng::unit_rng;
use faer::Par;
use sims::direction_stats::{draw_stats, DirectionStats};
use sims::single_index::{direction_trial_from_stats, draw_problem, stats_of};
use sims::OneStep;
use theory::Activation;

/// Mean and standard error of each column of `rows`.
fn mean_se(rows: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let k = rows[0].len();
    let t = rows.len() as f64;
    (0..k)
        .map(|j| {
            let m = rows.iter().map(|r| r[j]).sum::<f64>() / t;
            let v = rows.iter().map(|r| (r[j] - m).powi(2)).sum::<f64>() / (t - 1.0);
            (m, (v / t).sqrt())
        })
        .collect()
}

/// Per trial: ρ of every method, ρ², tr S, the off-diagonal sum of S, Σ g_j², Σ μ̂_j, ȳ.
fn features(st: &DirectionStats, lambda: f64, methods: &[OneStep]) -> Vec<f64> {
    let rho = direction_trial_from_stats(st, lambda, methods, Par::Seq).unwrap();
    let d = st.gradient.len();
    let tr: f64 = (0..d).map(|i| st.second_moment[(i, i)]).sum();
    let off: f64 = 2.0
        * (0..d)
            .flat_map(|j| (j + 1..d).map(move |i| (i, j)))
            .map(|(i, j)| st.second_moment[(i, j)])
            .sum::<f64>();
    let mut f = rho.clone();
    f.extend(rho.iter().map(|r| r * r));
    f.extend([
        tr,
        off,
        st.gradient.iter().map(|g| g * g).sum(),
        st.column_means.iter().sum(),
        st.label_mean,
    ]);
    f
}

/// The reduced sampler against the literal one (X drawn, XᵀX formed): every feature's mean
/// agrees within 4.5 combined standard errors (a correct sampler fails one of the ~120
/// comparisons with probability ~1e-3), and tr S against its exact mean tr Σ.
#[test]
fn the_reduced_sampler_has_the_law_of_the_literal_one() {
    let configs: [(usize, usize, Activation, f64, f64); 4] = [
        // (d, n, teacher, noise, λ): ψ = 3; ψ < 1 (Y path); ν just below p; a teacher with a mean.
        (24, 72, Activation::Tanh, 0.3, 0.1),
        (24, 12, Activation::Relu, 0.0, 0.05),
        (12, 13, Activation::Hermite(vec![0.5, 1.0, 0.7]), 0.2, 1.0),
        (16, 64, Activation::Relu, 0.5, 0.01),
    ];
    for (c, (d, n, teacher, noise, lambda)) in configs.iter().enumerate() {
        let sq: Vec<f64> = (0..*d)
            .map(|i| (1.0 + 4.0 * (i % 2) as f64).sqrt())
            .collect();
        let methods: Vec<OneStep> = OneStep::ALL
            .into_iter()
            .filter(|m| *m != OneStep::Whiten || n > d)
            .collect();
        let trials = 3000;
        let (mut lit, mut red) = (Vec::new(), Vec::new());
        for t in 0..trials {
            let mut rng = unit_rng(11, c as u64, t);
            let pb = draw_problem(&sq, *n, teacher, *noise, &mut rng);
            lit.push(features(&stats_of(&pb, Par::Seq), *lambda, &methods));
            let mut rng = unit_rng(12, c as u64, t);
            let st = draw_stats(&sq, *n, teacher, *noise, &mut rng, Par::Seq);
            red.push(features(&st, *lambda, &methods));
        }
        let (a, b) = (mean_se(&lit), mean_se(&red));
        for (k, ((ma, sa), (mb, sb))) in a.iter().zip(&b).enumerate() {
            let se = (sa * sa + sb * sb).sqrt();
            let z = if se > 0.0 { (ma - mb) / se } else { 0.0 };
            assert!(
                z.abs() < 4.5 || (ma - mb).abs() < 1e-12,
                "config {c} feature {k}: literal {ma} ± {sa}, reduced {mb} ± {sb} (z = {z:.2})"
            );
        }
        let tr_sigma: f64 = sq.iter().map(|s| s * s).sum();
        let k = 2 * methods.len();
        let (m, se) = b[k];
        assert!(
            ((m - tr_sigma) / se).abs() < 4.5,
            "config {c}: E tr S = {m} ± {se}, exact {tr_sigma}"
        );
    }
}
