//! Summary statistics of Monte Carlo samples (the verdict module judges them).

use serde::Serialize;

/// Mean and standard error of the mean of `n` samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation / √n (0 when n < 2).
    pub se: f64,
}

/// Summarise samples in order (sequential sums: thread-count independent).
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    if n == 0 {
        return Summary {
            n,
            mean: f64::NAN,
            se: f64::NAN,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let se = if n < 2 {
        0.0
    } else {
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (var / n as f64).sqrt()
    };
    Summary { n, mean, se }
}

/// Least-squares slope of y on x (e.g. of log error on log d: a power-law exponent).
pub fn least_squares_slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

/// A power law y = C x^slope fitted by least squares on log–log axes (e.g. a finite-size error
/// against d); the fitted line passes through the geometric means of the points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    /// The exponent: least-squares slope of log y on log x.
    pub slope: f64,
    mean_log_x: f64,
    mean_log_y: f64,
}

impl PowerLaw {
    /// Fit over the (x, y) pairs (all x, y > 0); None with fewer than two points.
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        if points.len() < 2 {
            return None;
        }
        let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|p| (p.0.ln(), p.1.ln())).unzip();
        Some(PowerLaw {
            slope: least_squares_slope(&lx, &ly),
            mean_log_x: lx.iter().sum::<f64>() / lx.len() as f64,
            mean_log_y: ly.iter().sum::<f64>() / ly.len() as f64,
        })
    }

    /// The fitted y at x.
    pub fn at(&self, x: f64) -> f64 {
        (self.mean_log_y + self.slope * (x.ln() - self.mean_log_x)).exp()
    }

    /// Standard error of the slope from the points' own standard errors (x, y, SE of y): the
    /// slope is Σ cᵢ log yᵢ with cᵢ = (log xᵢ − mean)/Sxx, and SE(log y) ≈ SE(y)/y to first
    /// order, so Var = Σ cᵢ² (SEᵢ/yᵢ)². Large when an error sits at its noise floor (y ≲ SE),
    /// which is when the slope means nothing.
    pub fn slope_se(points: &[(f64, f64, f64)]) -> f64 {
        let lx: Vec<f64> = points.iter().map(|p| p.0.ln()).collect();
        let n = lx.len() as f64;
        let mx = lx.iter().sum::<f64>() / n;
        let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
        points
            .iter()
            .zip(&lx)
            .map(|(p, x)| ((x - mx) / sxx).powi(2) * (p.2 / p.1).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

/// A straight line y = intercept + slope·x fitted by weighted least squares (weights 1/SE²): the
/// finite-size extrapolation mean(d) = ρ∞ + b/d with x = 1/d.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LineFit {
    /// The value at x = 0 (ρ∞).
    pub intercept: f64,
    /// Its standard error: from the weights, inflated by √(χ²/dof) when the line fits worse than
    /// the error bars say (the Birge ratio; never deflated).
    pub intercept_se: f64,
    /// The slope (b).
    pub slope: f64,
    /// Σ w (y − fit)².
    pub chi2: f64,
    /// Points − 2.
    pub dof: usize,
}

/// Weighted least-squares line through (x, y, se) points; None with fewer than two distinct x or
/// a non-positive se.
pub fn weighted_line(points: &[(f64, f64, f64)]) -> Option<LineFit> {
    if points.len() < 2 || points.iter().any(|p| !(p.2 > 0.0 && p.2.is_finite())) {
        return None;
    }
    let (mut s, mut sx, mut sxx, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y, se) in points {
        let w = 1.0 / (se * se);
        s += w;
        sx += w * x;
        sxx += w * x * x;
        sy += w * y;
        sxy += w * x * y;
    }
    let det = s * sxx - sx * sx;
    if det.is_nan() || det <= 0.0 {
        return None;
    }
    let intercept = (sxx * sy - sx * sxy) / det;
    let slope = (s * sxy - sx * sy) / det;
    let chi2: f64 = points
        .iter()
        .map(|&(x, y, se)| ((y - intercept - slope * x) / se).powi(2))
        .sum();
    let dof = points.len() - 2;
    let birge = if dof > 0 {
        (chi2 / dof as f64).max(1.0)
    } else {
        1.0
    };
    Some(LineFit {
        intercept,
        intercept_se: (sxx / det * birge).sqrt(),
        slope,
        chi2,
        dof,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_slope_standard_error_matches_the_spread_of_refitted_slopes() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        // y = 2 x^-1 at five x, each observed with a 5% (last: 20%) Gaussian error; the
        // propagated SE against the standard deviation of 4000 refitted slopes. With 4000
        // replicates the sample SD is within 3% of its own value (2.3 SE); the first-order
        // propagation is good to a few % at these relative errors: 10% tolerance.
        let xs = [100.0, 200.0, 400.0, 800.0, 1600.0];
        let truth: Vec<(f64, f64, f64)> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let y = 2.0 / x;
                (x, y, y * if i == 4 { 0.2 } else { 0.05 })
            })
            .collect();
        let se = super::PowerLaw::slope_se(&truth);
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(5);
        let slopes: Vec<f64> = (0..4000)
            .map(|_| {
                let pts: Vec<(f64, f64)> = truth
                    .iter()
                    .map(|&(x, y, s)| {
                        (x, (y + Normal::new(0.0, s).unwrap().sample(&mut rng)).abs())
                    })
                    .collect();
                super::PowerLaw::fit(&pts).unwrap().slope
            })
            .collect();
        let m = slopes.iter().sum::<f64>() / slopes.len() as f64;
        let sd = (slopes.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (slopes.len() - 1) as f64)
            .sqrt();
        assert!(
            (se / sd - 1.0).abs() < 0.1,
            "propagated {se}, simulated {sd}"
        );
        assert!((m + 1.0).abs() < 0.05, "{m}");
    }

    use super::*;

    #[test]
    fn a_power_law_is_recovered_exactly() {
        // y = 3 x^-0.5 at four points: slope −1/2 and the line through every point.
        let pts: Vec<(f64, f64)> = [100.0, 200.0, 400.0, 800.0]
            .iter()
            .map(|&x: &f64| (x, 3.0 * x.powf(-0.5)))
            .collect();
        let fit = PowerLaw::fit(&pts).unwrap();
        assert!((fit.slope + 0.5).abs() < 1e-12);
        for (x, y) in pts {
            assert!((fit.at(x) - y).abs() < 1e-12 * y);
        }
        assert!(PowerLaw::fit(&[(1.0, 1.0)]).is_none());
    }

    #[test]
    fn summary_of_known_samples() {
        let s = summarize(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        // sample variance 5/3, se = sqrt(5/12)
        assert!((s.se - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
    }

    /// An exact line is recovered; with equal SEs σ at x = 0, 1, 2 the intercept's variance is
    /// σ² Σx²/(nΣx² − (Σx)²) = 5σ²/6 (ordinary least squares); a bad fit inflates it.
    #[test]
    fn weighted_line_recovers_a_line_and_its_uncertainty() {
        let pts = [(0.0, 1.0, 0.1), (1.0, 3.0, 0.1), (2.0, 5.0, 0.1)];
        let f = weighted_line(&pts).unwrap();
        assert!((f.intercept - 1.0).abs() < 1e-12 && (f.slope - 2.0).abs() < 1e-12);
        assert!((f.intercept_se - (5.0 / 6.0f64).sqrt() * 0.1).abs() < 1e-12);
        assert!(f.chi2 < 1e-20 && f.dof == 1);
        let bent = [(0.0, 1.0, 0.1), (1.0, 4.0, 0.1), (2.0, 5.0, 0.1)];
        let g = weighted_line(&bent).unwrap();
        assert!(g.intercept_se > 3.0 * f.intercept_se, "{g:?}");
        assert!(weighted_line(&pts[..1]).is_none());
        assert!(weighted_line(&[(1.0, 1.0, 0.1), (1.0, 2.0, 0.1)]).is_none());
    }

    #[test]
    fn slope_of_a_power_law() {
        let xs: Vec<f64> = [1.0f64, 2.0, 4.0, 8.0].iter().map(|x| x.ln()).collect();
        let ys: Vec<f64> = [1.0f64, 2.0, 4.0, 8.0]
            .iter()
            .map(|x| (3.0 * x.powf(-0.5)).ln())
            .collect();
        assert!((least_squares_slope(&xs, &ys) + 0.5).abs() < 1e-12);
    }
}
