//! `--extrapolate`: the d → ∞ limit fitted from a sweep over d — mean(d) = ρ∞ + b/d by weighted
//! least squares on the per-d standard errors — and judged against the formula with the fit's own
//! uncertainty and no finite-size allowance (the verdict a model without a known finite-size bias
//! can use).

use engine::stats::{weighted_line, LineFit};
use engine::verdict::{judge_rows, RowInput};
use engine::{Margin, Outcome, Summary};
use serde::Serialize;

/// One simulated (point, method) at one d: what the fit is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtD {
    /// The update.
    pub method: &'static str,
    /// Anisotropy κ.
    pub kappa: f64,
    /// ψ = n/d.
    pub psi: f64,
    /// The ridge λ.
    pub lambda: f64,
    /// The dimension.
    pub d: usize,
    /// Trials at this d.
    pub trials: usize,
    /// Monte Carlo mean of ρ.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// The limit formula.
    pub theory: f64,
}

/// One extrapolated row: a (κ, ψ, λ, method) over every simulated d.
#[derive(Debug, Clone, Serialize)]
pub struct ExtrapolatedRow {
    /// The update.
    pub method: &'static str,
    /// Anisotropy κ.
    pub kappa: f64,
    /// ψ = n/d.
    pub psi: f64,
    /// The ridge λ.
    pub lambda: f64,
    /// The dimensions fitted, e.g. "100;200;400".
    pub d_values: String,
    /// The limit formula.
    pub rho_theory: f64,
    /// The fitted d → ∞ intercept ρ∞.
    pub rho_inf: f64,
    /// Its standard error (Birge-inflated when the 1/d line fits worse than the error bars).
    pub rho_inf_se: f64,
    /// The fitted b in ρ∞ + b/d.
    pub slope: f64,
    /// χ² of the fit over its degrees of freedom (points − 2).
    pub chi2_per_dof: Option<f64>,
    /// The verdict on ρ∞ − ρ_theory (allowance 0).
    pub verdict: Outcome,
    /// The equivalence bound (the margin).
    pub bound: f64,
    /// The 1 − 2α interval of ρ∞ − ρ_theory.
    pub ci_lo: f64,
    /// Its upper end.
    pub ci_hi: f64,
    /// The disagreement p-value (before Holm's step-down).
    pub p_value: f64,
}

/// The points of one (method, κ, ψ, λ), in d order.
fn groups(points: &[AtD]) -> Vec<Vec<AtD>> {
    let key = |x: &AtD| {
        (
            x.method,
            x.kappa.to_bits(),
            x.psi.to_bits(),
            x.lambda.to_bits(),
        )
    };
    let mut out: Vec<Vec<AtD>> = Vec::new();
    for p in points {
        match out.iter_mut().find(|g| key(&g[0]) == key(p)) {
            Some(g) => g.push(*p),
            None => out.push(vec![*p]),
        }
    }
    for g in &mut out {
        g.sort_by_key(|p| p.d);
    }
    out
}

/// Fit and judge every (method, κ, ψ, λ) with at least three dimensions (Holm over them all).
pub fn extrapolate(points: &[AtD], margin: Margin, alpha: f64) -> Vec<ExtrapolatedRow> {
    let fitted: Vec<(Vec<AtD>, LineFit)> = groups(points)
        .into_iter()
        .filter(|g| g.len() >= 3)
        .filter_map(|g| {
            let pts: Vec<(f64, f64, f64)> =
                g.iter().map(|p| (1.0 / p.d as f64, p.mean, p.se)).collect();
            weighted_line(&pts).map(|f| (g, f))
        })
        .collect();
    let inputs: Vec<RowInput> = fitted
        .iter()
        .map(|(g, f)| RowInput {
            sim: Summary {
                // The intercept combines every d's mean: Student-t with the trials' total dof.
                n: g.iter().map(|p| p.trials).sum::<usize>() - 1,
                mean: f.intercept,
                se: f.intercept_se,
            },
            formula: g[0].theory,
            allowance: 0.0,
            bracket: None,
        })
        .collect();
    let verdicts = judge_rows(&inputs, margin, alpha);
    fitted
        .iter()
        .zip(verdicts)
        .map(|((g, f), v)| ExtrapolatedRow {
            method: g[0].method,
            kappa: g[0].kappa,
            psi: g[0].psi,
            lambda: g[0].lambda,
            d_values: g
                .iter()
                .map(|p| p.d.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            rho_theory: g[0].theory,
            rho_inf: f.intercept,
            rho_inf_se: f.intercept_se,
            slope: f.slope,
            chi2_per_dof: (f.dof > 0).then(|| f.chi2 / f.dof as f64),
            verdict: v.outcome,
            bound: v.bound,
            ci_lo: v.ci.0,
            ci_hi: v.ci.1,
            p_value: v.p_value,
        })
        .collect()
}

/// The extrapolation figure's series for one group: the per-d means ± 2 SE at x = 1/d, the
/// fitted line down to x = 0, ρ∞ ± 2 SE at x = 0 (marked with its verdict) and the formula as a
/// horizontal line.
pub fn series(
    points: &[AtD],
    e: &ExtrapolatedRow,
    label: String,
    style: reports::Style,
) -> reports::Series {
    let group: Vec<&AtD> = points
        .iter()
        .filter(|p| {
            p.method == e.method && p.kappa == e.kappa && p.psi == e.psi && p.lambda == e.lambda
        })
        .collect();
    let x_max = group.iter().map(|p| 1.0 / p.d as f64).fold(0.0, f64::max);
    let mut sims: Vec<reports::SimPoint> = group
        .iter()
        .map(|p| reports::SimPoint {
            x: 1.0 / p.d as f64,
            mean: p.mean,
            half_width: 2.0 * p.se,
            mark: reports::Mark::Agree,
        })
        .collect();
    sims.push(reports::SimPoint {
        x: 0.0,
        mean: e.rho_inf,
        half_width: 2.0 * e.rho_inf_se,
        mark: engine::figure_mark(Some(e.verdict)),
    });
    reports::Series {
        label,
        style,
        theory: vec![(0.0, e.rho_theory), (x_max, e.rho_theory)],
        sims,
        fit: Some(vec![(0.0, e.rho_inf), (x_max, e.rho_inf + e.slope * x_max)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(d: usize, mean: f64, theory: f64) -> AtD {
        AtD {
            method: "sgd",
            kappa: 10.0,
            psi: 2.0,
            lambda: 0.1,
            d,
            trials: 20,
            mean,
            se: 0.001,
            theory,
        }
    }

    /// Means exactly on 0.8 − 2/d with SE 0.001 extrapolate to 0.8 and agree; a formula 0.05 off
    /// disagrees; two dimensions are not enough to extrapolate.
    #[test]
    fn a_one_over_d_approach_extrapolates_to_its_limit() {
        let pts: Vec<AtD> = [100, 200, 400]
            .iter()
            .map(|&d| at(d, 0.8 - 2.0 / d as f64, 0.8))
            .collect();
        let e = extrapolate(&pts, Margin::Absolute(0.02), 0.01);
        assert_eq!(e.len(), 1);
        assert!((e[0].rho_inf - 0.8).abs() < 1e-12 && (e[0].slope + 2.0).abs() < 1e-9);
        assert_eq!(e[0].verdict, Outcome::Agree);
        let off: Vec<AtD> = pts.iter().map(|p| AtD { theory: 0.75, ..*p }).collect();
        assert_eq!(
            extrapolate(&off, Margin::Absolute(0.02), 0.01)[0].verdict,
            Outcome::Disagree
        );
        assert!(extrapolate(&pts[..2], Margin::Absolute(0.02), 0.01).is_empty());
    }
}
