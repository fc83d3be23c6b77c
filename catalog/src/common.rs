//! Shared numerics of the entries: Gauss–Hermite expectations under N(0, 1), the normal density
//! and tail, a bracketed root finder, and the one run function every entry's `run` calls.

use engine::{run_check, Check, CommonArgs, Grid, HarnessError, RunVerdict, SimError};
use gauss_quad::hermite::GaussHermite;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// The number of Gauss–Hermite nodes of [`normal_rule`].
pub const HERMITE_NODES: usize = 80;

/// (node, weight) pairs with Σ w f(z) ≈ E f(Z), Z ~ N(0, 1) (80 nodes: exact for polynomials of
/// degree < 160; smooth integrands to near machine precision).
pub fn normal_rule() -> &'static [(f64, f64)] {
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let gh = GaussHermite::new(NonZeroUsize::new(HERMITE_NODES).expect("nonzero"));
        let s = std::f64::consts::PI.sqrt();
        gh.as_node_weight_pairs()
            .iter()
            .map(|&(x, w)| (std::f64::consts::SQRT_2 * x, w / s))
            .collect()
    })
}

/// E f(Z), Z ~ N(0, 1), by [`normal_rule`].
pub fn expect(f: impl Fn(f64) -> f64) -> f64 {
    normal_rule().iter().map(|&(z, w)| w * f(z)).sum()
}

/// The standard normal density φ(x).
pub fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The standard normal upper tail Φ(−x) = P(Z > x).
pub fn upper_tail(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(x / std::f64::consts::SQRT_2)
}

/// A root of `f` in [lo, hi] by bisection, |hi − lo| ≤ tol·max(1, |x|) at the end; `f(lo)` and
/// `f(hi)` must have opposite signs (None otherwise: no bracketed root).
pub fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> Option<f64> {
    let (mut flo, fhi) = (f(lo), f(hi));
    if !(flo.is_finite() && fhi.is_finite()) || flo * fhi > 0.0 {
        return None;
    }
    if flo == 0.0 {
        return Some(lo);
    }
    if fhi == 0.0 {
        return Some(hi);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (hi - lo).abs() <= tol * mid.abs().max(1.0) {
            break;
        }
        let fm = f(mid);
        if fm == 0.0 {
            return Some(mid);
        }
        if (fm > 0.0) == (flo > 0.0) {
            lo = mid;
            flo = fm;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// A typed refusal for a formula without a solution at this point.
pub fn no_solution(what: &str, reason: String) -> SimError {
    SimError::Numerical(format!("{what}: {reason}"))
}

/// Run `check` on `grid` with the shared flags (the entries' `run`); `--resume` continues only
/// an interrupted run's checkpoint ([`crate::rmt::resumable`]).
pub fn run<C: Check>(
    check: &C,
    grid: &Grid,
    args: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("out").join(check.name()));
    let mut a = args.clone();
    a.resume = crate::rmt::resumable(args, &dir);
    run_check(check, grid, &a)
}

/// The product a·b, computed sequentially (trials already run in parallel with each other).
pub fn mul(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> faer::Mat<f64> {
    let mut out = faer::Mat::<f64>::zeros(a.nrows(), b.ncols());
    faer::linalg::matmul::matmul(
        out.as_mut(),
        faer::Accum::Replace,
        a,
        b,
        1.0,
        faer::Par::Seq,
    );
    out
}
