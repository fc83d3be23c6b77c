//! Summaries of linear-representation runs (Section 3.1): the long-form log rows of every run,
//! each method's final values over replicates, mean curves, and Lemma 3.7's transfer fit.

use crate::linear_rep::{HeadToHead, Method, Trajectory};
use serde::Serialize;

/// One logged point of one run: the long form of cli.md.
#[derive(Debug, Clone, Serialize)]
pub struct LinRow {
    /// The data setting (`uniform-high`, …).
    pub setting: String,
    /// The optimizer.
    pub method: &'static str,
    /// The method's step size (NGD's own for ngd / ngd-empf).
    pub lr: f64,
    /// The iteration.
    pub iteration: usize,
    /// Empty (null) once diverged.
    pub train_loss: Option<f64>,
    /// 1 once diverged (Figure 5's convention).
    pub dist: f64,
    /// Expected transfer loss; empty (null) once diverged.
    pub transfer_loss: Option<f64>,
    /// Whether the run had diverged by this iteration.
    pub diverged: bool,
    /// Sines of the k principal angles between row(G) and row(G*), largest first, ';'-separated.
    pub principal_sines: String,
    /// The replicate's seed (`--seed` + replicate index): its instance and data stream.
    pub seed: u64,
}

/// The last logged values of a method's runs (over the replicates), for the table and report.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The data setting.
    pub setting: String,
    /// The optimizer.
    pub method: &'static str,
    /// Its step size.
    pub lr: f64,
    /// Mean over the replicates that did not diverge (None if all did).
    pub final_train_loss: Option<f64>,
    /// Mean over the replicates (a diverged one counts as 1).
    pub final_dist: f64,
    /// Standard error of final_dist over the replicates (None with one replicate).
    pub final_dist_se: Option<f64>,
    /// Mean over the replicates that did not diverge (None if all did).
    pub final_transfer_loss: Option<f64>,
    /// Median over the replicates that got there of the first logged iteration with dist ≤ 0.1
    /// (the spec's speed measure).
    pub iters_to_dist_0_1: Option<f64>,
    /// How many replicates reached dist ≤ 0.1.
    pub reached_0_1: usize,
    /// Replicates summarised.
    pub replicates: usize,
    /// How many replicates diverged, and the earliest iteration at which one did.
    pub diverged_runs: usize,
    /// The earliest iteration at which a replicate diverged.
    pub diverged_at: Option<usize>,
}

/// A setting's instance, for interpreting its runs.
#[derive(Debug, Clone, Serialize)]
pub struct SettingInfo {
    /// The data setting.
    pub setting: String,
    #[serde(flatten)]
    /// Its instance's condition numbers.
    pub info: crate::linear_rep::run::InstanceInfo,
}

/// Least-squares fit of the transfer excess against dist² (Lemma 3.7).
#[derive(Debug, Clone, Serialize)]
pub struct TransferFit {
    /// Points used (non-diverged logs of the methods without input normalisation).
    pub points: usize,
    /// Slope of log(excess) on log(dist²) over points with dist² ≥ 10 σ_ε² k / n_T (where the
    /// dist term should dominate); Lemma 3.7 predicts ≤ 1 (the bound is linear in dist²).
    pub slope: f64,
    /// max over points of excess / (‖F_te‖²‖Σ_te‖ dist² + σ_ε² k / n_T): the bound's constant.
    pub constant: f64,
    /// The noise term d_y σ_ε² k / n_T of the bound (losses sum over the d_y outputs).
    pub noise_term: f64,
}

/// The long-form log rows of one replicate's runs (`seed` is the replicate's).
pub fn rows_of(setting: &str, cfg: &HeadToHead, runs: &[Trajectory], seed: u64) -> Vec<LinRow> {
    let mut rows = Vec::new();
    for t in runs {
        let lr = if t.method.uses_ngd_lr() {
            cfg.hyper.lr_ngd
        } else {
            cfg.hyper.lr
        };
        for p in &t.points {
            rows.push(LinRow {
                setting: setting.to_string(),
                method: t.method.name(),
                lr,
                iteration: p.iteration,
                train_loss: p.train_loss,
                dist: p.dist,
                transfer_loss: p.transfer_loss,
                diverged: p.diverged,
                principal_sines: p
                    .sines
                    .iter()
                    .map(|s| format!("{s:.6e}"))
                    .collect::<Vec<_>>()
                    .join(";"),
                seed,
            });
        }
    }
    rows
}

/// A method's final values over its replicates' runs.
pub fn summary_of(setting: &str, cfg: &HeadToHead, reps: &[&Trajectory]) -> RunSummary {
    let method = reps[0].method;
    let lasts: Vec<&crate::linear_rep::LogPoint> = reps
        .iter()
        .map(|t| t.points.last().expect("at least the start is logged"))
        .collect();
    let dist = engine::stats::summarize(&lasts.iter().map(|p| p.dist).collect::<Vec<_>>());
    let mean_of = |f: &dyn Fn(&crate::linear_rep::LogPoint) -> Option<f64>| {
        let v: Vec<f64> = lasts.iter().filter_map(|p| f(p)).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let mut reached: Vec<usize> = reps
        .iter()
        .filter_map(|t| {
            t.points
                .iter()
                .find(|p| !p.diverged && p.dist <= 0.1)
                .map(|p| p.iteration)
        })
        .collect();
    reached.sort_unstable();
    let median = match reached.len() {
        0 => None,
        m if m % 2 == 1 => Some(reached[m / 2] as f64),
        m => Some(0.5 * (reached[m / 2 - 1] + reached[m / 2]) as f64),
    };
    RunSummary {
        setting: setting.to_string(),
        method: method.name(),
        lr: if method.uses_ngd_lr() {
            cfg.hyper.lr_ngd
        } else {
            cfg.hyper.lr
        },
        final_train_loss: mean_of(&|p| p.train_loss),
        final_dist: dist.mean,
        final_dist_se: (reps.len() > 1).then_some(dist.se),
        final_transfer_loss: mean_of(&|p| p.transfer_loss),
        iters_to_dist_0_1: median,
        reached_0_1: reached.len(),
        replicates: reps.len(),
        diverged_runs: reps.iter().filter(|t| t.diverged_at.is_some()).count(),
        diverged_at: reps.iter().filter_map(|t| t.diverged_at).min(),
    }
}

/// The replicates' runs of method `i` (runs[replicate][method]).
pub fn of_method(runs: &[Vec<Trajectory>], i: usize) -> Vec<&Trajectory> {
    runs.iter().map(|r| &r[i]).collect()
}

/// Mean (and SE with several replicates) of a metric at each logged iteration; a loss is averaged
/// over the replicates that have not diverged, dist over all (a diverged run counts as 1).
pub fn mean_curve(reps: &[&Trajectory], metric: &str) -> Vec<(f64, f64, Option<f64>)> {
    let logs = reps[0].points.len();
    (0..logs)
        .filter_map(|j| {
            let vals: Vec<f64> = reps
                .iter()
                .filter_map(|t| {
                    let p = &t.points[j];
                    match metric {
                        "train_loss" => p.train_loss,
                        "dist" => Some(p.dist),
                        _ => p.transfer_loss,
                    }
                })
                .collect();
            if vals.is_empty() || (metric == "dist" && reps.iter().all(|t| t.points[j].diverged)) {
                return None;
            }
            let s = engine::stats::summarize(&vals);
            (s.mean > 0.0 && s.mean.is_finite()).then_some((
                reps[0].points[j].iteration as f64,
                s.mean,
                (vals.len() > 1).then_some(s.se),
            ))
        })
        .collect()
}

/// Lemma 3.7 against the logs: excess transfer loss (above the noise floor d_y σ_ε²) against
/// dist², for outputs of dimension `dy`, label noise `noise`, rank `k` and `n_target` samples in
/// the head refit; also returns the (dist², excess) points used.
pub fn transfer_fit(
    rows: &[LinRow],
    dy: usize,
    noise: f64,
    k: usize,
    n_target: usize,
) -> Option<(TransferFit, Vec<(f64, f64)>)> {
    let floor = dy as f64 * noise * noise;
    // The losses sum over the d_y outputs, so the head refit's noise term is d_y σ_ε² k / n_T.
    let noise_term = dy as f64 * noise * noise * k as f64 / n_target as f64;
    let pts: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| {
            !r.diverged
                && Method::parse(r.method).is_some_and(|m| {
                    m.normalization() == crate::linear_rep::optim::Normalization::None
                })
        })
        .filter_map(|r| Some((r.dist * r.dist, r.transfer_loss? - floor)))
        .filter(|&(x, y)| x > 0.0 && y > 0.0)
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let big: Vec<&(f64, f64)> = pts.iter().filter(|p| p.0 >= 10.0 * noise_term).collect();
    let slope = if big.len() >= 3 {
        engine::stats::least_squares_slope(
            &big.iter().map(|p| p.0.ln()).collect::<Vec<_>>(),
            &big.iter().map(|p| p.1.ln()).collect::<Vec<_>>(),
        )
    } else {
        f64::NAN
    };
    let constant = pts
        .iter()
        .map(|&(x, y)| y / (x + noise_term))
        .fold(0.0, f64::max);
    Some((
        TransferFit {
            points: pts.len(),
            slope,
            constant,
            noise_term,
        },
        pts,
    ))
}
