//! The closed-form correlations of the single-index model (spec "Target formulas"):
//! Lemma 3.10 (one-step SGD) and Lemma 3.12 (stylized KFAC = ridge), with every intermediate.

use crate::activation::{Activation, TeacherMoments};
use crate::error::{finite, Result, TheoryError};
use crate::spectrum::SpectralMeasure;
use crate::stieltjes::{stieltjes_at_zero, stieltjes_negative};
use serde::Serialize;

/// The inputs of Lemmas 3.10 and 3.12.
#[derive(Debug, Clone)]
pub struct SingleIndexParams<'a> {
    /// Population spectral measure H of Σ (already normalised if desired).
    pub spectrum: &'a SpectralMeasure,
    /// ψ = n/d.
    pub psi: f64,
    /// The teacher σ*.
    pub teacher: &'a Activation,
    /// σ_ε, the label-noise standard deviation.
    pub noise: f64,
    /// KFAC ridge λ ≥ 0 (λ = 0 only for ψ > 1).
    pub lambda: f64,
}

/// Everything the formulas compute, for reporting next to the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SingleIndexLimits {
    /// γ = d/n.
    pub gamma: f64,
    /// τ1 = ∫ t dH.
    pub tau1: f64,
    /// τ2 = ∫ t² dH.
    pub tau2: f64,
    /// c1 of the teacher.
    pub c1: f64,
    /// s2 of the teacher.
    pub s2: f64,
    /// m(−λ) (m(0) when λ = 0).
    pub m: f64,
    /// m'(−λ) (not needed, and reported as 0, when λ = 0).
    pub m_prime: f64,
    /// ρ_SGD (Lemma 3.10).
    pub rho_sgd: f64,
    /// ρ_KFAC (Lemma 3.12).
    pub rho_kfac: f64,
}

/// The largest label-noise standard deviation accepted: σ_ε² and sums of it stay finite.
pub const MAX_NOISE: f64 = 1e100;

/// The largest ridge accepted: Lemma 3.12's moments scale as 1/λ² and stay normal doubles.
pub const MAX_LAMBDA: f64 = 1e100;

/// Checks shared by both lemmas; returns γ = 1/ψ.
fn validate(p: &SingleIndexParams) -> Result<f64> {
    let psi = finite("psi", p.psi)?;
    if psi <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "psi",
            reason: format!("must be > 0, got {psi}"),
        });
    }
    let noise = finite("noise", p.noise)?;
    if !(0.0..=MAX_NOISE).contains(&noise) {
        return Err(TheoryError::InvalidParameter {
            name: "noise",
            reason: format!(
                "must be between 0 and {MAX_NOISE:e} (its square must fit in double precision), got {noise}"
            ),
        });
    }
    let lambda = finite("lambda", p.lambda)?;
    if !(0.0..=MAX_LAMBDA).contains(&lambda) {
        return Err(TheoryError::InvalidParameter {
            name: "lambda",
            reason: format!("must be between 0 and {MAX_LAMBDA:e}, got {lambda:e}"),
        });
    }
    Ok(1.0 / psi)
}

/// ρ_SGD = |c1| τ1 / sqrt(c1² τ2 + γ τ1 (s2 + σ_ε²))  (Lemma 3.10).
pub fn rho_sgd(mo: &TeacherMoments, tau2: f64, gamma: f64, noise: f64) -> Result<f64> {
    let den = mo.c1 * mo.c1 * tau2 + gamma * mo.tau1 * (mo.s2 + noise * noise);
    ratio(mo.c1.abs() * mo.tau1, den)
}

/// The spectral moments of Lemma 3.12 at one (H, γ, λ), each an expectation over the limiting
/// spectrum μ of S = XᵀX/n: E_μ[x/(x+λ)] = 1 − λm, E_μ[x²/(x+λ)²] = 1 − 2λm + λ²m' and
/// E_μ[x/(x+λ)²] = m − λm' (at λ = 0: 1, 1 and m(0)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeMoments {
    /// 1 − λm.
    pub one_minus_lambda_m: f64,
    /// 1 − 2λm + λ²m'.
    pub signal_sq: f64,
    /// m − λm'.
    pub noise_gain: f64,
}

impl RidgeMoments {
    /// The moments of a solved resolvent (λ > 0), computed there without cancellation.
    pub fn of(r: &crate::stieltjes::Resolvent) -> Self {
        RidgeMoments {
            one_minus_lambda_m: r.one_minus_lambda_m,
            signal_sq: r.signal_sq,
            noise_gain: r.noise_gain,
        }
    }

    /// The ridgeless moments (λ = 0, γ < 1) from m(0).
    pub fn ridgeless(m0: f64) -> Self {
        RidgeMoments {
            one_minus_lambda_m: 1.0,
            signal_sq: 1.0,
            noise_gain: m0,
        }
    }
}

/// ρ_KFAC = |c1|(1 − λm) / sqrt(c1²(1 − 2λm + λ²m') + γ E[r²](m − λm'))  (Lemma 3.12; at λ = 0
/// |c1| / sqrt(c1² + γ E[r²] m(0))).
pub fn rho_kfac(mo: &TeacherMoments, gamma: f64, noise: f64, r: &RidgeMoments) -> Result<f64> {
    let r2 = mo.residual_variance(noise);
    ratio(
        mo.c1.abs() * r.one_minus_lambda_m,
        mo.c1 * mo.c1 * r.signal_sq + gamma * r2 * r.noise_gain,
    )
}

/// num / √den² clamped to [0, 1], or an error saying why it cannot be formed.
pub(crate) fn ratio(num: f64, den_sq: f64) -> Result<f64> {
    if den_sq > 0.0 && den_sq.is_finite() && num.is_finite() {
        Ok((num / den_sq.sqrt()).clamp(0.0, 1.0))
    } else if num == 0.0 {
        Err(TheoryError::InvalidParameter {
            name: "activation",
            reason: "the labels are identically zero (teacher with no signal and noise = 0)".into(),
        })
    } else if !num.is_finite() || den_sq.is_infinite() {
        Err(TheoryError::NoConvergence {
            what: "correlation",
            reason: format!(
                "a moment overflowed double precision (numerator {num:.3e}, squared norm {den_sq:.3e}); a parameter is too large for double precision: --kappa with --no-normalize, --noise, or the coefficients of a hermite: --activation/--student"
            ),
        })
    } else {
        Err(TheoryError::NoConvergence {
            what: "correlation",
            reason: format!("its squared norm is {den_sq:.3e}, not positive"),
        })
    }
}

/// Evaluate Lemmas 3.10 and 3.12 with all intermediate quantities.
pub fn single_index_limits(p: &SingleIndexParams) -> Result<SingleIndexLimits> {
    let mo = p.teacher.moments(p.spectrum.tau1())?;
    single_index_limits_with_moments(p, &mo)
}

/// As [`single_index_limits`], with the teacher moments already computed (they depend only on
/// τ1, so a sweep over a normalised family needs them once).
pub fn single_index_limits_with_moments(
    p: &SingleIndexParams,
    mo: &TeacherMoments,
) -> Result<SingleIndexLimits> {
    let gamma = validate(p)?;
    let (tau1, tau2) = (p.spectrum.tau1(), p.spectrum.tau2());
    if (mo.tau1 - tau1).abs() > 1e-12 * tau1 {
        return Err(TheoryError::InvalidParameter {
            name: "tau1",
            reason: format!(
                "teacher moments were computed at τ1 = {}, the spectrum has τ1 = {tau1}",
                mo.tau1
            ),
        });
    }
    let mo = *mo;
    let rho_sgd = rho_sgd(&mo, tau2, gamma, p.noise)?;
    let (m, m_prime, moments) = if p.lambda == 0.0 {
        let m0 = stieltjes_at_zero(p.spectrum, gamma)?;
        (m0, 0.0, RidgeMoments::ridgeless(m0))
    } else {
        let r = stieltjes_negative(p.spectrum, gamma, p.lambda)?;
        (r.m, r.m_prime, RidgeMoments::of(&r))
    };
    let rho_kfac = rho_kfac(&mo, gamma, p.noise, &moments)?;
    Ok(SingleIndexLimits {
        gamma,
        tau1,
        tau2,
        c1: mo.c1,
        s2: mo.s2,
        m,
        m_prime,
        rho_sgd,
        rho_kfac,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_point(kappa: f64) -> SpectralMeasure {
        SpectralMeasure::new([(1.0, 0.5), (kappa, 0.5)])
            .unwrap()
            .normalized()
    }

    fn eval(
        h: &SpectralMeasure,
        psi: f64,
        act: &Activation,
        noise: f64,
        lambda: f64,
    ) -> SingleIndexLimits {
        single_index_limits(&SingleIndexParams {
            spectrum: h,
            psi,
            teacher: act,
            noise,
            lambda,
        })
        .unwrap()
    }

    /// λ → ∞: (S + λI)⁻¹ → I/λ, so ρ_KFAC → ρ_SGD with a gap proportional to 1/λ (the first
    /// term of the expansion in S/λ): λ·(ρ_KFAC − ρ_SGD) settles to a constant over six decades
    /// and stays finite up to λ = 1e100. (The textbook form 1 − 2λm + λ²m' lost every digit to
    /// cancellation by λ = 1e8 and gave ρ_KFAC = 1 at 1e10.)
    #[test]
    fn kfac_turns_into_sgd_at_rate_one_over_lambda() {
        for (kappa, psi, act) in [
            (10.0, 0.5, Activation::Tanh),
            (4.0, 3.0, Activation::Relu),
            (1.0, 2.0, Activation::Softplus),
        ] {
            let h = two_point(kappa);
            let scaled: Vec<f64> = [1e6, 1e9, 1e12]
                .iter()
                .map(|&l| {
                    let r = eval(&h, psi, &act, 0.3, l);
                    (r.rho_kfac - r.rho_sgd) * l
                })
                .collect();
            let (a, b) = (scaled[0], scaled[1]);
            assert!(
                a.is_finite() && (a - b).abs() <= 1e-3 * a.abs().max(1e-12),
                "{scaled:?}"
            );
            // At 1e12 the gap (~1e-12) is at the rounding of ρ itself: only its size is checked.
            assert!((scaled[2] - a).abs() <= 0.05 * a.abs() + 1e-3, "{scaled:?}");
            let far = eval(&h, psi, &act, 0.3, 1e100);
            assert!((far.rho_kfac - far.rho_sgd).abs() < 1e-14, "{far:?}");
        }
    }

    /// The spec's worked table, to 1e-9 (the table has 10 significant digits).
    #[test]
    fn worked_values() {
        let rows: [(f64, f64, Activation, [f64; 6]); 3] = [
            (
                1.0,
                2.0,
                Activation::Tanh,
                [
                    0.6057055096,
                    0.3942944904,
                    1.4833147735,
                    3.4522483825,
                    0.8029625909,
                    0.9546484092,
                ],
            ),
            (
                10.0,
                2.0,
                Activation::Tanh,
                [
                    0.6057055096,
                    0.3942944904,
                    2.7170639452,
                    12.8813177017,
                    0.6710936592,
                    0.8976490756,
                ],
            ),
            (
                10.0,
                0.5,
                Activation::Relu,
                [
                    0.5,
                    0.5,
                    5.6190918429,
                    51.5747323052,
                    0.4170498085,
                    0.3767562260,
                ],
            ),
        ];
        for (kappa, psi, act, want) in rows {
            let r = eval(&two_point(kappa), psi, &act, 0.1, 0.1);
            let got = [r.c1, r.s2, r.m, r.m_prime, r.rho_sgd, r.rho_kfac];
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "kappa {kappa} psi {psi} {act}: {got:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn gamma_to_zero_limits() {
        let h = two_point(10.0);
        let r = eval(&h, 1e9, &Activation::Tanh, 0.3, 0.1);
        // SGD → τ1/√τ2; KFAC at fixed λ tends to a λ-dependent value below one.
        assert!((r.rho_sgd - h.tau1() / h.tau2().sqrt()).abs() < 1e-6);
        // λ → 0 then γ → 0: KFAC → 1 for every Σ.
        let r = eval(&h, 1e9, &Activation::Tanh, 0.3, 1e-9);
        assert!((r.rho_kfac - 1.0).abs() < 1e-6, "{}", r.rho_kfac);
        // Σ ∝ I: SGD → 1.
        let id = SpectralMeasure::new([(3.0, 1.0)]).unwrap();
        assert!((eval(&id, 1e9, &Activation::Erf, 0.3, 0.1).rho_sgd - 1.0).abs() < 1e-6);
    }

    #[test]
    fn scaling_sigma_with_lambda_leaves_kfac_unchanged() {
        // X → √c X scales S by c; ridge with cλ gives the same estimator direction. The teacher
        // sees ⟨x, β*⟩ with variance cτ1, so use a linear teacher whose label law only rescales,
        // and scale the noise with it: every term of ρ_KFAC is then invariant.
        let h = two_point(5.0);
        let c: f64 = 3.7;
        let a = eval(&h, 1.3, &Activation::Linear, 0.2, 0.05);
        let b = eval(
            &h.scaled(c),
            1.3,
            &Activation::Linear,
            0.2 * c.sqrt(),
            0.05 * c,
        );
        assert!(
            (a.rho_kfac - b.rho_kfac).abs() < 1e-12,
            "{} vs {}",
            a.rho_kfac,
            b.rho_kfac
        );
        assert!((a.rho_sgd - b.rho_sgd).abs() < 1e-12);
    }

    #[test]
    fn ridgeless_branch_is_the_limit() {
        let h = two_point(4.0);
        let a = eval(&h, 3.0, &Activation::Tanh, 0.1, 0.0);
        let b = eval(&h, 3.0, &Activation::Tanh, 0.1, 1e-8);
        assert!((a.rho_kfac - b.rho_kfac).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_parameters() {
        let h = two_point(2.0);
        let p = |psi, noise, lambda| SingleIndexParams {
            spectrum: &h,
            psi,
            teacher: &Activation::Tanh,
            noise,
            lambda,
        };
        assert!(single_index_limits(&p(0.0, 0.1, 0.1)).is_err());
        assert!(single_index_limits(&p(2.0, -0.1, 0.1)).is_err());
        assert!(single_index_limits(&p(2.0, 0.1, -0.1)).is_err());
        assert!(single_index_limits(&p(0.5, 0.1, 0.0)).is_err());
        assert!(single_index_limits(&p(f64::INFINITY, 0.1, 0.1)).is_err());
        let zero = Activation::Hermite(vec![0.0]);
        assert!(single_index_limits(&SingleIndexParams {
            spectrum: &h,
            psi: 2.0,
            teacher: &zero,
            noise: 0.0,
            lambda: 0.1
        })
        .is_err());
    }
}

/// The ridge λ ≥ 1e-6 that maximises ρ_KFAC (Lemma 3.12) at the given spectrum, ψ, teacher and
/// noise, with the maximum: a scan of log10 λ ∈ [−6, 3] (91 points), then golden-section search
/// on log λ in the bracket around the best scan point (to 1e-10 relative in λ).
pub fn optimal_ridge(
    spectrum: &SpectralMeasure,
    psi: f64,
    teacher: &Activation,
    noise: f64,
) -> Result<(f64, f64)> {
    let mo = teacher.moments(spectrum.tau1())?;
    let rho = |log_l: f64| -> Result<f64> {
        let p = SingleIndexParams {
            spectrum,
            psi,
            teacher,
            noise,
            lambda: 10f64.powf(log_l),
        };
        Ok(single_index_limits_with_moments(&p, &mo)?.rho_kfac)
    };
    let (lo, hi, steps) = (-6.0, 3.0, 90);
    let grid: Vec<f64> = (0..=steps)
        .map(|i| lo + (hi - lo) * i as f64 / steps as f64)
        .collect();
    let values = grid.iter().map(|&g| rho(g)).collect::<Result<Vec<_>>>()?;
    let best = (0..values.len())
        .max_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap_or(0);
    let (mut a, mut b) = (grid[best.saturating_sub(1)], grid[(best + 1).min(steps)]);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - phi * (b - a), a + phi * (b - a));
    let (mut fc, mut fd) = (rho(c)?, rho(d)?);
    while b - a > 4e-11 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = rho(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = rho(d)?;
        }
    }
    let log_l = 0.5 * (a + b);
    let r = rho(log_l)?;
    // A boundary of the scan can win (e.g. a noiseless linear teacher wants λ → 0).
    Ok(if values[best] > r {
        (10f64.powf(grid[best]), values[best])
    } else {
        (10f64.powf(log_l), r)
    })
}

#[cfg(test)]
mod optimal_ridge_tests {
    use super::*;

    /// For Σ = I the correlation-optimal ridge is the Bayes ridge λ* = γ E[r²] / c1² (the labels
    /// are c1⟨x, β*⟩ plus uncorrelated noise of variance E[r²], with ‖β*‖ = 1; Dobriban & Wager
    /// 2018): an independent closed form.
    #[test]
    fn isotropic_optimum_is_gamma_over_snr() {
        let id = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        for (psi, act, noise) in [
            (2.0, Activation::Tanh, 0.1),
            (0.5, Activation::Relu, 0.5),
            (4.0, Activation::Erf, 1.0),
        ] {
            let (l, r) = optimal_ridge(&id, psi, &act, noise).unwrap();
            let mo = act.moments(1.0).unwrap();
            let want = (1.0 / psi) * mo.residual_variance(noise) / (mo.c1 * mo.c1);
            assert!(
                (l - want).abs() < 1e-5 * want,
                "psi {psi} {act}: λ* {l} vs {want}"
            );
            let p = SingleIndexParams {
                spectrum: &id,
                psi,
                teacher: &act,
                noise,
                lambda: want,
            };
            assert!(r >= single_index_limits(&p).unwrap().rho_kfac - 1e-12);
        }
    }

    /// With β* ~ N(0, I/d) the posterior mean of β* is the ridge with λ = γ E[r²]/c1² whatever Σ
    /// (the prior is isotropic; Σ enters only through X), so the correlation-optimal ridge should
    /// not move with the spectrum: a property of Bayes estimation, checked here on anisotropic
    /// spectra.
    #[test]
    fn optimum_is_the_bayes_ridge_for_every_spectrum() {
        let spectra = [
            SpectralMeasure::new([(1.0, 0.5), (10.0, 0.5)])
                .unwrap()
                .normalized(),
            SpectralMeasure::new((0..50).map(|i| (30f64.powf(i as f64 / 49.0), 1.0)))
                .unwrap()
                .normalized(),
            SpectralMeasure::new([(0.2, 0.3), (3.0, 0.7)]).unwrap(),
        ];
        for h in &spectra {
            for psi in [0.5, 2.0] {
                let (l, _) = optimal_ridge(h, psi, &Activation::Tanh, 0.3).unwrap();
                let mo = Activation::Tanh.moments(h.tau1()).unwrap();
                let want = mo.residual_variance(0.3) / (psi * mo.c1 * mo.c1);
                assert!(
                    (l - want).abs() < 1e-5 * want,
                    "psi {psi}: λ* {l} vs Bayes {want}"
                );
            }
        }
    }

    #[test]
    fn optimum_beats_a_dense_grid_for_anisotropic_spectra() {
        let h = SpectralMeasure::new([(1.0, 0.5), (10.0, 0.5)])
            .unwrap()
            .normalized();
        let (l, r) = optimal_ridge(&h, 2.0, &Activation::Tanh, 0.1).unwrap();
        for i in 0..=400 {
            let lambda = 10f64.powf(-6.0 + 9.0 * i as f64 / 400.0);
            let p = SingleIndexParams {
                spectrum: &h,
                psi: 2.0,
                teacher: &Activation::Tanh,
                noise: 0.1,
                lambda,
            };
            assert!(
                single_index_limits(&p).unwrap().rho_kfac <= r + 1e-12,
                "λ {lambda} beats λ* {l}"
            );
        }
    }
}
