//! The head-to-head run (Figure 1 / 9): every method trained in lockstep on the same stream of
//! fresh batches, metrics logged every few iterations. Reproducible: every batch comes from its
//! own (seed, instance, iteration) stream, and methods run in parallel without sharing state.

use super::metrics::{evaluate, principal_sines};
use super::optim::{
    batch_normalize_into, batch_whitener, step, transform_into, Hyper, Method, Normalization, State,
};
use super::{
    draw_batch, draw_batch_into, draw_instance, haar_columns, head_with_condition,
    least_squares_head, Anisotropy, Batch, Dims, Instance, Setting,
};
use engine::experiment::SimError;
use engine::rng::{stable_key, unit_rng};
use faer::Mat;
use rayon::prelude::*;

/// Everything a head-to-head run depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadToHead {
    /// Sizes d_x, d_y, k.
    pub dims: Dims,
    /// The data setting.
    pub setting: Setting,
    /// Batch size n [1024].
    pub n: usize,
    /// σ_ε [0.01].
    pub noise: f64,
    /// Spread h of the heads' expm(B) [0.5].
    pub head_spread: f64,
    /// A prescribed κ(F*) instead (singular values geometric from 1 to 1/κ, Haar bases, drawn
    /// independently for the two tasks).
    pub head_condition: Option<f64>,
    /// Iterations T [1500].
    pub iters: usize,
    /// Log the metrics every this many iterations [10].
    pub log_every: usize,
    /// Step sizes, ridge, damping.
    pub hyper: Hyper,
    /// Samples of the transfer task for the head refit [200].
    pub n_target: usize,
    /// Whiten with each batch's own covariance (ZCA) instead of the population Σ^{-1/2}.
    pub batch_whitening: bool,
    /// The optimizers compared.
    pub methods: Vec<Method>,
}

/// The metrics of one method at one logged iteration. Diverged runs report dist = 1 and no losses.
#[derive(Debug, Clone, PartialEq)]
pub struct LogPoint {
    /// The iteration logged.
    pub iteration: usize,
    /// Expected training loss (None once diverged).
    pub train_loss: Option<f64>,
    /// Subspace distance (1 once diverged).
    pub dist: f64,
    /// Expected transfer loss (None once diverged).
    pub transfer_loss: Option<f64>,
    /// Whether the run has diverged.
    pub diverged: bool,
    /// Sines of the k principal angles between row(G) and row(G*), largest first.
    pub sines: Vec<f64>,
}

/// One method's logged run.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// The optimizer.
    pub method: Method,
    /// Its logged points.
    pub points: Vec<LogPoint>,
    /// The iteration at which the run became numerically unstable, if it did.
    pub diverged_at: Option<usize>,
}

impl HeadToHead {
    /// The key of the instance and data stream: everything but the optimizers and step sizes, so
    /// runs that differ only in those (a learning-rate sweep) see the same data.
    pub fn stream_key(&self) -> u64 {
        stable_key(&format!(
            "linear-rep|{}|dx={}|dy={}|k={}|n={}|noise={:?}|h={:?}|kf={:?}|n_target={}",
            self.setting.name(),
            self.dims.dx,
            self.dims.dy,
            self.dims.k,
            self.n,
            self.noise,
            self.head_spread,
            self.head_condition,
            self.n_target
        ))
    }

    /// The instance of this configuration and seed (stream 0).
    ///
    /// G* and the heads depend on the sizes and the head law only, Σ_tr and Σ_te on the anisotropy
    /// too (not on the covariates' law): the four data settings of one seed share G*, F_tr, F_te,
    /// and uniform/Gaussian of one anisotropy share Σ.
    pub fn instance(&self, seed: u64) -> Result<Instance, SimError> {
        let common = format!(
            "linear-rep-instance|dx={}|dy={}|k={}|h={:?}|kf={:?}",
            self.dims.dx, self.dims.dy, self.dims.k, self.head_spread, self.head_condition
        );
        let mut rng = unit_rng(seed, stable_key(&common), 0);
        let anis = match self.setting.anisotropy {
            Anisotropy::Low => "low".to_string(),
            Anisotropy::High => "high".to_string(),
            Anisotropy::Condition(k) => format!("k{k:?}"),
        };
        let mut sigma_rng = unit_rng(seed, stable_key(&format!("{common}|sigma={anis}")), 0);
        let mut inst = draw_instance(
            &self.dims,
            self.head_spread,
            self.setting.anisotropy,
            &mut rng,
            &mut sigma_rng,
        )?;
        if let Some(kappa) = self.head_condition {
            inst.train.head = head_with_condition(self.dims.dy, self.dims.k, kappa, &mut rng);
            inst.test.head = head_with_condition(self.dims.dy, self.dims.k, kappa, &mut rng);
        }
        Ok(inst)
    }

    /// The transfer task's sample for the head refit at logged iteration `t` (stream 3t + 3;
    /// training batches are streams 3t + 1 and 3t + 2).
    fn target_sample(&self, inst: &Instance, seed: u64, t: usize) -> Batch {
        let mut rng = unit_rng(seed, self.stream_key(), 3 * t as u64 + 3);
        draw_batch(
            &inst.test,
            inst.g_star.as_ref(),
            self.n_target,
            self.setting.covariates,
            self.noise,
            &mut rng,
        )
    }
}

/// A training batch as each normalisation sees it, in buffers allocated once per run and refilled
/// every iteration (shared by the methods).
struct Views {
    u: Mat<f64>,
    raw: Batch,
    bn: Option<Batch>,
    white: Option<Batch>,
}

impl Views {
    fn new(cfg: &HeadToHead) -> Self {
        let (n, dx, dy) = (cfg.n, cfg.dims.dx, cfg.dims.dy);
        let empty = || Batch {
            x: Mat::zeros(n, dx),
            y: Mat::zeros(n, dy),
        };
        let needs = |v: Normalization| cfg.methods.iter().any(|m| m.normalization() == v);
        Views {
            u: Mat::zeros(n, dx),
            raw: empty(),
            bn: needs(Normalization::BatchNorm).then(empty),
            white: needs(Normalization::Whiten).then(empty),
        }
    }

    /// Draw the training batch of `stream` into the buffers and normalise it.
    fn refill(
        &mut self,
        cfg: &HeadToHead,
        inst: &Instance,
        seed: u64,
        stream: u64,
    ) -> Result<(), SimError> {
        let mut rng = unit_rng(seed, cfg.stream_key(), stream);
        draw_batch_into(
            &inst.train,
            inst.g_star.as_ref(),
            cfg.setting.covariates,
            cfg.noise,
            &mut rng,
            &mut self.u,
            &mut self.raw,
        );
        if let Some(bn) = &mut self.bn {
            batch_normalize_into(&self.raw, bn);
        }
        if let Some(w) = &mut self.white {
            if cfg.batch_whitening {
                transform_into(&self.raw, batch_whitener(self.raw.x.as_ref())?.as_ref(), w);
            } else {
                transform_into(&self.raw, inst.train.sigma_inv_half.as_ref(), w);
            }
        }
        Ok(())
    }

    fn get(&self, n: Normalization) -> &Batch {
        match n {
            Normalization::None => &self.raw,
            Normalization::BatchNorm => self.bn.as_ref().expect("prepared"),
            Normalization::Whiten => self.white.as_ref().expect("prepared"),
        }
    }
}

/// Parameters beyond this size count as divergence.
const BLOW_UP: f64 = 1e8;

/// A training loss this many times that of the zero predictor counts as divergence (a run that
/// far from fitting anything is numerically unstable, whatever its parameters' size).
const LOSS_BLOW_UP: f64 = 100.0;

/// Condition numbers of an instance, for interpreting a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct InstanceInfo {
    /// κ(F_tr).
    pub kappa_head_train: f64,
    /// κ(F_te).
    pub kappa_head_test: f64,
    /// κ(Σ_tr).
    pub kappa_sigma_train: f64,
    /// κ(Σ_te).
    pub kappa_sigma_test: f64,
}

fn condition(m: &Mat<f64>) -> Result<f64, SimError> {
    let s = m
        .singular_values()
        .map_err(|e| SimError::Numerical(format!("{e:?}")))?;
    let hi = s.iter().cloned().fold(0.0, f64::max);
    let lo = s.iter().cloned().fold(f64::INFINITY, f64::min);
    Ok(hi / lo)
}

impl HeadToHead {
    /// κ(F_tr), κ(F_te), κ(Σ_tr), κ(Σ_te) of this configuration's instance.
    pub fn instance_info(&self, seed: u64) -> Result<InstanceInfo, SimError> {
        let inst = self.instance(seed)?;
        Ok(InstanceInfo {
            kappa_head_train: condition(&inst.train.head)?,
            kappa_head_test: condition(&inst.test.head)?,
            kappa_sigma_train: condition(&inst.train.sigma)?,
            kappa_sigma_test: condition(&inst.test.sigma)?,
        })
    }
}

fn blown_up(s: &State) -> bool {
    let bad = |m: &Mat<f64>| {
        (0..m.ncols())
            .any(|j| (0..m.nrows()).any(|i| m[(i, j)].is_nan() || m[(i, j)].abs() >= BLOW_UP))
    };
    bad(&s.f) || bad(&s.g)
}

/// DFW and KFAC invert the batch covariance: refuse batches no larger than d_x without a ridge.
fn check_batch(cfg: &HeadToHead) -> Result<(), SimError> {
    if cfg.n <= cfg.dims.dx
        && cfg
            .methods
            .iter()
            .any(|m| matches!(m, Method::Dfw | Method::Kfac | Method::KfacEtaF1))
        && cfg.hyper.ridge == 0.0
    {
        return Err(SimError::InvalidParameter {
            name: "batch",
            reason: format!(
                "DFW and KFAC invert the batch covariance: need batch > d_x = {} (or a KFAC ridge > 0)",
                cfg.dims.dx
            ),
        });
    }
    Ok(())
}

/// Every method's starting state: the shared G₀ and its least-squares head on the initial batch.
fn initial_states(
    cfg: &HeadToHead,
    g0: &Mat<f64>,
    init: &Views,
) -> Result<Vec<(State, Option<usize>)>, SimError> {
    cfg.methods
        .iter()
        .map(|&m| {
            let f = least_squares_head(g0.as_ref(), init.get(m.normalization()))?;
            Ok((
                State {
                    method: m,
                    f,
                    g: g0.clone(),
                    adam: None,
                    work: Default::default(),
                },
                None,
            ))
        })
        .collect()
}

/// The logged metrics of one method's state at iteration `t` (a diverged point once the run
/// diverged, or when its metrics cannot be evaluated or its loss blew up).
fn log_point(
    cfg: &HeadToHead,
    inst: &Instance,
    target: &Batch,
    (s, div): &(State, Option<usize>),
    t: usize,
    loss_ceiling: f64,
) -> LogPoint {
    let diverged_point = LogPoint {
        iteration: t,
        train_loss: None,
        dist: 1.0,
        transfer_loss: None,
        diverged: true,
        sines: vec![1.0; cfg.dims.k],
    };
    if div.is_some() {
        return diverged_point;
    }
    let metrics = principal_sines(s.g.as_ref(), inst.g_star.as_ref()).and_then(|sines| {
        let e = evaluate(
            s.f.as_ref(),
            s.g.as_ref(),
            s.method.normalization(),
            cfg.batch_whitening,
            inst.g_star.as_ref(),
            &inst.train,
            &inst.test,
            target,
            cfg.noise,
        )?;
        Ok((sines, e))
    });
    match metrics {
        Ok((sines, e)) if e.train_loss < loss_ceiling && e.transfer_loss.is_finite() => LogPoint {
            iteration: t,
            train_loss: Some(e.train_loss),
            dist: sines[0],
            transfer_loss: Some(e.transfer_loss),
            diverged: false,
            sines,
        },
        _ => diverged_point,
    }
}

/// Run every method of `cfg` for `cfg.iters` iterations from the same G₀ (Haar) and the same
/// batches; F₀ = F_ls(G₀) on an initial batch (docs/linear-rep-model.md). `progress` is told each finished
/// iteration.
pub fn run_head_to_head(
    cfg: &HeadToHead,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Trajectory>, SimError> {
    check_batch(cfg)?;
    let inst = cfg.instance(seed)?;
    let g0 = {
        let mut rng = unit_rng(seed, cfg.stream_key(), u64::MAX);
        haar_columns(cfg.dims.dx, cfg.dims.k, &mut rng)
            .transpose()
            .to_owned()
    };
    // Two batch buffers for the whole run; the initial batch (stream 1) is iteration 0's B1.
    let (mut b1, mut b2) = (Views::new(cfg), Views::new(cfg));
    b1.refill(cfg, &inst, seed, 1)?;
    let mut states = initial_states(cfg, &g0, &b1)?;
    let mut logs: Vec<Vec<LogPoint>> = vec![Vec::new(); cfg.methods.len()];
    let zero = Mat::<f64>::zeros(cfg.dims.dy, cfg.dims.dx);
    let loss_ceiling = LOSS_BLOW_UP
        * super::metrics::expected_loss(
            &inst.train,
            inst.g_star.as_ref(),
            zero.as_ref(),
            None,
            cfg.noise,
        );
    let log = |t: usize,
               states: &[(State, Option<usize>)],
               logs: &mut Vec<Vec<LogPoint>>|
     -> Result<(), SimError> {
        let target = cfg.target_sample(&inst, seed, t);
        let points: Vec<LogPoint> = states
            .par_iter()
            .map(|st| log_point(cfg, &inst, &target, st, t, loss_ceiling))
            .collect();
        for (l, p) in logs.iter_mut().zip(points) {
            l.push(p);
        }
        Ok(())
    };
    log(0, &states, &mut logs)?;
    for t in 1..=cfg.iters {
        let (r1, r2) = rayon::join(
            || b1.refill(cfg, &inst, seed, 3 * t as u64 + 1),
            || b2.refill(cfg, &inst, seed, 3 * t as u64 + 2),
        );
        r1?;
        r2?;
        states.par_iter_mut().for_each(|(s, div)| {
            if div.is_some() {
                return;
            }
            let norm = s.method.normalization();
            let ok = step(s, b1.get(norm), b2.get(norm), &cfg.hyper).is_ok();
            if !ok || blown_up(s) {
                *div = Some(t);
            }
        });
        if t % cfg.log_every == 0 || t == cfg.iters {
            log(t, &states, &mut logs)?;
            // A run whose metrics could not be evaluated counts as diverged from here on.
            for ((_, div), l) in states.iter_mut().zip(&logs) {
                if div.is_none() && l.last().is_some_and(|p| p.diverged) {
                    *div = Some(t);
                }
            }
        }
        progress(t);
    }
    Ok(states
        .into_iter()
        .zip(logs)
        .map(|((s, div), points)| Trajectory {
            method: s.method,
            points,
            diverged_at: div,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linear_rep::{Anisotropy, Covariates};

    fn small(methods: Vec<Method>) -> HeadToHead {
        HeadToHead {
            dims: Dims {
                dx: 20,
                dy: 8,
                k: 2,
            },
            setting: Setting {
                covariates: Covariates::Uniform,
                anisotropy: Anisotropy::High,
            },
            n: 200,
            noise: 0.01,
            head_spread: 0.5,
            head_condition: None,
            iters: 60,
            log_every: 20,
            hyper: Hyper {
                lr: 0.5,
                lr_ngd: 0.1,
                ridge: 0.0,
                damping: 1e-3,
            },
            n_target: 50,
            batch_whitening: false,
            methods,
        }
    }

    #[test]
    fn same_seed_same_numbers_and_subsets_agree() {
        let all = small(Method::ALL.to_vec());
        let a = run_head_to_head(&all, 3, &|_| {}).unwrap();
        let b = run_head_to_head(&all, 3, &|_| {}).unwrap();
        assert_eq!(a, b);
        // A method's run does not depend on which other methods run alongside.
        let one = run_head_to_head(&small(vec![Method::Kfac]), 3, &|_| {}).unwrap();
        assert_eq!(one[0], a[3]);
        // Logged at 0, 20, 40, 60; nothing NaN.
        assert_eq!(a[0].points.len(), 4);
        for t in &a {
            for p in &t.points {
                assert!(p.dist.is_finite() && (0.0..=1.0).contains(&p.dist));
                assert!(p.train_loss.is_none_or(f64::is_finite));
            }
        }
    }

    #[test]
    fn kfac_learns_the_representation_under_high_anisotropy() {
        let cfg = HeadToHead {
            iters: 100,
            log_every: 100,
            ..small(vec![Method::Kfac, Method::Amgd])
        };
        let r = run_head_to_head(&cfg, 0, &|_| {}).unwrap();
        let (kfac, amgd) = (r[0].points.last().unwrap(), r[1].points.last().unwrap());
        assert!(kfac.dist < 0.1, "KFAC dist {}", kfac.dist);
        assert!(
            amgd.dist > 3.0 * kfac.dist,
            "AMGD {} vs KFAC {}",
            amgd.dist,
            kfac.dist
        );
    }
}
