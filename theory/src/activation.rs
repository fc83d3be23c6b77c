//! Activations σ* (teacher) and σ (student), and the teacher moments c1, s2 of the spec
//! ("Teacher moments": z ~ N(0, τ1), by closed form or quadrature, never Monte Carlo).

use crate::error::{finite, Result, TheoryError};
use gauss_quad::{GaussHermite, GaussLegendre};
use std::f64::consts::{FRAC_2_SQRT_PI, PI};
use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// A pointwise activation function by name (spec: tanh | relu | erf | sigmoid | softplus | linear |
/// hermite:c0,c1,...).
#[derive(Debug, Clone, PartialEq)]
pub enum Activation {
    /// tanh(z).
    Tanh,
    /// max(z, 0).
    Relu,
    /// erf(z) (not erf(z/√2)).
    Erf,
    /// 1 / (1 + e^(−z)).
    Sigmoid,
    /// ln(1 + e^z).
    Softplus,
    /// z.
    Linear,
    /// Σ_k c_k He_k(z) with probabilists' Hermite polynomials.
    Hermite(Vec<f64>),
}

/// The most Hermite coefficients a `hermite:c0,c1,…` activation may have (degree 63).
pub const MAX_HERMITE_TERMS: usize = 64;

impl std::str::FromStr for Activation {
    type Err = TheoryError;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim_ascii();
        if let Some(list) = s.strip_prefix("hermite:") {
            let terms = list.split(',').count();
            if terms > MAX_HERMITE_TERMS {
                return Err(TheoryError::InvalidParameter {
                    name: "activation",
                    reason: format!(
                        "hermite:c0,c1,… takes at most {MAX_HERMITE_TERMS} coefficients, got {terms}"
                    ),
                });
            }
            let coeffs: std::result::Result<Vec<f64>, _> = list
                .split(',')
                .map(|c| c.trim_ascii().parse::<f64>())
                .collect();
            return match coeffs {
                Ok(c) if !c.is_empty() && c.iter().all(|x| x.is_finite()) => Ok(Self::Hermite(c)),
                _ => Err(TheoryError::UnknownActivation(s.to_string())),
            };
        }
        Ok(match s {
            "tanh" => Self::Tanh,
            "relu" => Self::Relu,
            "erf" => Self::Erf,
            "sigmoid" => Self::Sigmoid,
            "softplus" => Self::Softplus,
            "linear" => Self::Linear,
            _ => return Err(TheoryError::UnknownActivation(s.to_string())),
        })
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tanh => write!(f, "tanh"),
            Self::Relu => write!(f, "relu"),
            Self::Erf => write!(f, "erf"),
            Self::Sigmoid => write!(f, "sigmoid"),
            Self::Softplus => write!(f, "softplus"),
            Self::Linear => write!(f, "linear"),
            Self::Hermite(c) => {
                let parts: Vec<String> = c.iter().map(|x| x.to_string()).collect();
                write!(f, "hermite:{}", parts.join(","))
            }
        }
    }
}

/// Numerically stable logistic function.
#[inline]
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// (He_k(z), He_k'(z)) summed against coefficients: returns (p(z), p'(z)).
fn hermite_series(c: &[f64], z: f64) -> (f64, f64) {
    // He_0 = 1, He_1 = z, He_{k+1} = z He_k − k He_{k−1}; He_k' = k He_{k−1}.
    let (mut prev, mut cur) = (0.0, 1.0); // He_{-1} (unused), He_0
    let (mut value, mut deriv) = (0.0, 0.0);
    for (k, &ck) in c.iter().enumerate() {
        value += ck * cur;
        deriv += ck * k as f64 * prev;
        let next = z * cur - k as f64 * prev;
        prev = cur;
        cur = next;
    }
    (value, deriv)
}

impl Activation {
    /// σ(z).
    #[inline]
    pub fn eval(&self, z: f64) -> f64 {
        match self {
            Self::Tanh => z.tanh(),
            Self::Relu => z.max(0.0),
            Self::Erf => libm::erf(z),
            Self::Sigmoid => sigmoid(z),
            Self::Softplus => z.max(0.0) + (-z.abs()).exp().ln_1p(),
            Self::Linear => z,
            Self::Hermite(c) => hermite_series(c, z).0,
        }
    }

    /// σ'(z) (relu: the indicator of z > 0).
    #[inline]
    pub fn derivative(&self, z: f64) -> f64 {
        match self {
            // sech²(z) = 4e/(1+e)² with e = exp(−2|z|): one exp instead of tanh, and no
            // cancellation in 1 − tanh² for large |z| (the network level evaluates n·N/2 of these).
            Self::Tanh => {
                let e = (-2.0 * z.abs()).exp();
                4.0 * e / ((1.0 + e) * (1.0 + e))
            }
            Self::Relu => f64::from(u8::from(z > 0.0)),
            Self::Erf => FRAC_2_SQRT_PI * (-z * z).exp(),
            Self::Sigmoid => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
            Self::Softplus => sigmoid(z),
            Self::Linear => 1.0,
            Self::Hermite(c) => hermite_series(c, z).1,
        }
    }

    /// The teacher moments at z ~ N(0, τ1) (spec "Teacher moments").
    pub fn moments(&self, tau1: f64) -> Result<TeacherMoments> {
        finite("tau1", tau1)?;
        if tau1 <= 0.0 {
            return Err(TheoryError::InvalidParameter {
                name: "tau1",
                reason: format!("must be > 0, got {tau1}"),
            });
        }
        let (c0, c1, s2) = match self {
            Self::Linear => (0.0, 1.0, tau1),
            // E[relu(z)] = √(τ1/2π), E[1{z>0}] = 1/2, E[relu(z)²] = τ1/2.
            Self::Relu => ((tau1 / (2.0 * PI)).sqrt(), 0.5, 0.5 * tau1),
            // erf is odd; E[(2/√π) e^{−z²}] = (2/√π)/√(1+2τ1); E[erf(z)²] = (2/π) asin(2τ1/(1+2τ1)).
            Self::Erf => (
                0.0,
                FRAC_2_SQRT_PI / (1.0 + 2.0 * tau1).sqrt(),
                2.0 / PI * (2.0 * tau1 / (1.0 + 2.0 * tau1)).asin(),
            ),
            Self::Hermite(c) => {
                // Gauss–Hermite with n nodes is exact for degree ≤ 2n − 1; p² has degree 2K.
                let n = c.len() + 2;
                let e = |f: &dyn Fn(f64) -> f64| gauss_hermite_expectation(n, tau1, f);
                (
                    e(&|z| self.eval(z)),
                    e(&|z| z * self.eval(z)) / tau1,
                    e(&|z| self.eval(z).powi(2)),
                )
            }
            // tanh is odd: its mean is 0 exactly (quadrature would leave ~1e-17).
            Self::Tanh => (
                0.0,
                gaussian_expectation(tau1, |z| self.derivative(z)),
                gaussian_expectation(tau1, |z| self.eval(z).powi(2)),
            ),
            Self::Sigmoid | Self::Softplus => (
                gaussian_expectation(tau1, |z| self.eval(z)),
                gaussian_expectation(tau1, |z| self.derivative(z)),
                gaussian_expectation(tau1, |z| self.eval(z).powi(2)),
            ),
        };
        Ok(TeacherMoments { c0, c1, s2, tau1 })
    }
}

/// c0 = E[σ*(z)], c1 = E[σ*'(z)] = E[z σ*(z)]/τ1 and s2 = E[σ*(z)²] for z ~ N(0, τ1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TeacherMoments {
    /// The label's mean E[σ*(z)] (0 for odd teachers; relu, softplus, sigmoid have c0 > 0).
    pub c0: f64,
    /// c1 = E[σ*'(z)], the linear part.
    pub c1: f64,
    /// s2 = E[σ*(z)²].
    pub s2: f64,
    /// The variance τ1 of z.
    pub tau1: f64,
}

impl TeacherMoments {
    /// E[r²] = s2 − c1² τ1 + σ_ε², the variance of the label's non-linear part plus noise.
    pub fn residual_variance(&self, noise: f64) -> f64 {
        // Clamp tiny negative round-off for (nearly) linear teachers.
        (self.s2 - self.c1 * self.c1 * self.tau1).max(0.0) + noise * noise
    }

    /// E[(r − c0)²] = s2 − c0² − c1² τ1 + σ_ε²: the residual once the label's mean is removed,
    /// as a centred (batch-normalised) input removes it (docs/one-step-methods.md, (B)).
    pub fn centred_residual_variance(&self, noise: f64) -> f64 {
        (self.s2 - self.c0 * self.c0 - self.c1 * self.c1 * self.tau1).max(0.0) + noise * noise
    }
}

/// E f(z), z ~ N(0, var), by Gauss–Hermite with `n` nodes (exact for polynomials of degree < 2n).
fn gauss_hermite_expectation(n: usize, var: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    let gh = GaussHermite::new(NonZeroUsize::new(n).expect("n >= 2"));
    let s = (2.0 * var).sqrt();
    gh.integrate(|x| f(s * x)) / PI.sqrt()
}

const PANEL_NODES: usize = 20;

fn legendre_rule() -> &'static GaussLegendre {
    static RULE: OnceLock<GaussLegendre> = OnceLock::new();
    RULE.get_or_init(|| GaussLegendre::new(NonZeroUsize::new(PANEL_NODES).expect("nonzero")))
}

/// E f(z), z ~ N(0, var), for smooth f that varies on the scale of 1 in z (tanh, sigmoid, softplus).
///
/// Composite 20-point Gauss–Legendre in u = z/√var over [−13, 13] (the Gaussian mass beyond is
/// < 1e-37), with panels no wider than 1/√var so that f's complex singularities (tanh: ±iπ/2) stay
/// far from every panel; the error is then below 1e-14 whatever the variance, where plain
/// Gauss–Hermite degrades as the variance grows.
pub fn gaussian_expectation(var: f64, f: impl Fn(f64) -> f64) -> f64 {
    const HALF_WIDTH: f64 = 13.0;
    let s = var.sqrt();
    let rule = legendre_rule();
    let density = |u: f64| (-0.5 * u * u).exp() / (2.0 * PI).sqrt();
    let g = |u: f64| f(s * u) * density(u);
    if HALF_WIDTH * s > MAX_UNIFORM_PANELS as f64 {
        return graded_expectation(s, &g);
    }
    let panels_per_side = (HALF_WIDTH * s.max(1.0)).ceil() as usize;
    let h = HALF_WIDTH / panels_per_side as f64;
    let mut total = 0.0;
    for k in 0..2 * panels_per_side {
        let a = -HALF_WIDTH + k as f64 * h;
        total += rule.integrate(a, a + h, g);
    }
    total
}

/// Above this many uniform panels a side (variance beyond ~10⁵) the panels are graded instead.
const MAX_UNIFORM_PANELS: usize = 4096;

/// [`gaussian_expectation`] for a huge variance s², where uniform panels of width 1/s would be
/// billions: f's singularities sit near z = 0 only (tanh, sigmoid, softplus: on the imaginary
/// axis), so panels of width 1/s cover |z| ≤ 64 and panels doubling in width cover the rest up to
/// |u| = 13; each doubling panel [x, 2x] is a panel width away from the singularities, so
/// 20-point Gauss–Legendre stays accurate to ~1e-15. Bounded work whatever the variance.
fn graded_expectation(s: f64, g: &dyn Fn(f64) -> f64) -> f64 {
    const HALF_WIDTH: f64 = 13.0;
    let rule = legendre_rule();
    let inner = 64.0 / s;
    let mut total = 0.0;
    let h = 1.0 / s;
    for k in 0..128 {
        let a = -inner + k as f64 * h;
        total += rule.integrate(a, a + h, g);
    }
    let mut x = inner;
    while x < HALF_WIDTH {
        let y = (2.0 * x).min(HALF_WIDTH);
        total += rule.integrate(x, y, g) + rule.integrate(-y, -x, g);
        x = y;
    }
    total
}

/// E over the standard normal of f, convenience for tests and callers (var = 1).
pub fn standard_normal_expectation(f: impl Fn(f64) -> f64) -> f64 {
    gaussian_expectation(1.0, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_moments_match_independent_references() {
        // s2 reference: trapezoid h = 0.01 (shared notes); c1 from the spec's worked table.
        let m = Activation::Tanh.moments(1.0).unwrap();
        assert!((m.s2 - 0.394_294_490_397_841_2).abs() < 1e-13, "{}", m.s2);
        assert!((m.c1 - 0.605_705_509_6).abs() < 1e-10, "{}", m.c1);
        // c1 = E[σ'] = E[zσ]/τ1 (Stein), two different integrands.
        for tau in [0.3, 1.0, 7.0, 40.0] {
            let m = Activation::Tanh.moments(tau).unwrap();
            let stein = gaussian_expectation(tau, |z| z * z.tanh()) / tau;
            assert!(
                (m.c1 - stein).abs() < 1e-12,
                "tau {tau}: {} vs {stein}",
                m.c1
            );
        }
    }

    #[test]
    fn closed_forms_agree_with_quadrature() {
        for tau in [0.25, 1.0, 3.0, 30.0] {
            for act in [Activation::Erf, Activation::Linear, Activation::Relu] {
                let m = act.moments(tau).unwrap();
                let c1 = gaussian_expectation(tau, |z| z * act.eval(z)) / tau;
                let s2 = gaussian_expectation(tau, |z| act.eval(z).powi(2));
                // relu's kink at 0 sits on a panel edge, so the rule stays exact there too.
                assert!(
                    (m.c1 - c1).abs() < 1e-12,
                    "{act} tau {tau}: c1 {} vs {c1}",
                    m.c1
                );
                assert!(
                    (m.s2 - s2).abs() < 1e-11 * s2.max(1.0),
                    "{act} tau {tau}: s2 {} vs {s2}",
                    m.s2
                );
            }
        }
    }

    #[test]
    fn teacher_means_match_closed_forms_and_quadrature() {
        for tau in [0.25, 1.0, 3.0, 30.0] {
            // Independent values: relu E[max(z,0)] = √(τ/2π); sigmoid 1/2 by symmetry;
            // odd teachers 0; Hermite: E[He_0] = 1, E[He_2(z)] = τ − 1 for z ~ N(0, τ).
            let h = Activation::Hermite(vec![0.4, 1.0, 0.3]);
            let cases = [
                (Activation::Relu, (tau / (2.0 * PI)).sqrt()),
                (Activation::Sigmoid, 0.5),
                (Activation::Tanh, 0.0),
                (Activation::Erf, 0.0),
                (Activation::Linear, 0.0),
                (h, 0.4 + 0.3 * (tau - 1.0)),
            ];
            for (act, want) in cases {
                let m = act.moments(tau).unwrap();
                assert!(
                    (m.c0 - want).abs() < 1e-12,
                    "{act} τ {tau}: {} vs {want}",
                    m.c0
                );
            }
            // softplus: log 2 at the centre, and E softplus(z) = E relu(z) + E log(1 + e^{-|z|}).
            let sp = Activation::Softplus.moments(tau).unwrap();
            let want =
                (tau / (2.0 * PI)).sqrt() + gaussian_expectation(tau, |z| (-z.abs()).exp().ln_1p());
            assert!((sp.c0 - want).abs() < 1e-12, "softplus τ {tau}");
            // The centred residual is a variance: s2 − c0² − c1²τ1 = Σ_{k≥2} (Hermite energy) ≥ 0.
            for a in [Activation::Relu, Activation::Softplus, Activation::Sigmoid] {
                let m = a.moments(tau).unwrap();
                assert!(
                    m.s2 - m.c0 * m.c0 - m.c1 * m.c1 * tau > -1e-12,
                    "{a} τ {tau}"
                );
                assert!(m.centred_residual_variance(0.0) < m.residual_variance(0.0));
            }
        }
    }

    #[test]
    fn huge_variances_take_bounded_work_and_stay_accurate() {
        // z ~ N(0, τ) with τ up to 1e40: tanh(z) ≈ sign(z), so E[z tanh z]/τ → √(2/π)/√τ, and
        // E[tanh'] = E[sech² z] → 2/√(2πτ) (∫ sech² = 2 against the density at 0), hence
        // E[tanh²] = 1 − E[sech²] → 1 − 2/√(2πτ) (corrections O(τ^{-3/2})).
        for tau in [1e6, 1e12, 1e20, 1e40] {
            let s = f64::sqrt(tau);
            let s2 = gaussian_expectation(tau, |z| z.tanh().powi(2));
            let want = 1.0 - 2.0 / (2.0 * PI * tau).sqrt();
            assert!((s2 - want).abs() < 1e-8, "τ {tau}: {s2} vs {want}");
            let stein = gaussian_expectation(tau, |z| z * z.tanh()) / tau;
            let want = (2.0 / PI).sqrt() / s;
            assert!(
                (stein - want).abs() < 1e-5 * want,
                "τ {tau}: {stein} vs {want}"
            );
            let c1 = gaussian_expectation(tau, |z| Activation::Tanh.derivative(z));
            let want = 2.0 / (2.0 * PI * tau).sqrt();
            assert!((c1 - want).abs() < 1e-5 * want, "τ {tau}: {c1} vs {want}");
        }
    }

    #[test]
    fn sigmoid_softplus_identities() {
        // softplus' = sigmoid and E[sigmoid(z)] = 1/2 by symmetry, so c1(softplus) = 1/2 exactly.
        for tau in [0.5, 1.0, 10.0] {
            assert!((Activation::Softplus.moments(tau).unwrap().c1 - 0.5).abs() < 1e-13);
            // sigmoid(z) = (1 + tanh(z/2))/2  ⇒  c1_sigmoid(τ) = c1_tanh(τ/4)/4.
            let cs = Activation::Sigmoid.moments(tau).unwrap().c1;
            let ct = Activation::Tanh.moments(tau / 4.0).unwrap().c1;
            assert!((cs - ct / 4.0).abs() < 1e-13);
        }
    }

    #[test]
    fn hermite_moments_are_exact() {
        // At τ1 = 1, E[z p(z)] = c_1 and E[p²] = Σ c_k² k! (orthogonality).
        let c = vec![0.3, -0.7, 0.5, 0.2, 0.1];
        let m = Activation::Hermite(c.clone()).moments(1.0).unwrap();
        let fact = [1.0, 1.0, 2.0, 6.0, 24.0];
        let s2: f64 = c.iter().zip(fact).map(|(c, f)| c * c * f).sum();
        assert!(
            (m.c1 + 0.7).abs() < 1e-13 && (m.s2 - s2).abs() < 1e-12,
            "{m:?}"
        );
        // Derivative of He_3 = 3 He_2.
        let h3 = Activation::Hermite(vec![0.0, 0.0, 0.0, 1.0]);
        assert!((h3.derivative(1.7) - 3.0 * (1.7f64 * 1.7 - 1.0)).abs() < 1e-13);
    }

    #[test]
    fn parse_roundtrip_and_errors() {
        for s in [
            "tanh",
            "relu",
            "erf",
            "sigmoid",
            "softplus",
            "linear",
            "hermite:0,1,0.5",
        ] {
            let a: Activation = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let too_many = format!("hermite:{}", vec!["1"; MAX_HERMITE_TERMS + 1].join(","));
        assert!(too_many.parse::<Activation>().is_err());
        let most = format!("hermite:{}", vec!["1"; MAX_HERMITE_TERMS].join(","));
        assert!(most.parse::<Activation>().is_ok());
        for s in ["", "tan", "hermite:", "hermite:1,x", "hermite:nan"] {
            assert!(s.parse::<Activation>().is_err(), "{s}");
        }
        assert!(Activation::Tanh.moments(0.0).is_err());
    }

    #[test]
    fn tanh_derivative_is_one_minus_tanh_squared() {
        for z in [-30.0, -3.0, -0.5, 0.0, 1e-8, 0.7, 2.0, 19.0] {
            let t = f64::tanh(z);
            let want = 1.0 - t * t;
            assert!(
                (Activation::Tanh.derivative(z) - want).abs() <= 4e-16 + 1e-14 * want,
                "z = {z}"
            );
        }
    }

    #[test]
    fn stable_at_extremes() {
        for a in [Activation::Sigmoid, Activation::Softplus, Activation::Tanh] {
            for z in [-800.0, -40.0, 0.0, 40.0, 800.0] {
                assert!(a.eval(z).is_finite() && a.derivative(z).is_finite());
            }
        }
    }
}
