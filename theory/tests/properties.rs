//! Property tests: random valid parameters never panic and give finite correlations in [0, 1]
//! with positive resolvent quantities; random invalid ones give the documented errors.

use proptest::prelude::*;
use theory::{
    single_index_limits, stieltjes_negative, Activation, SingleIndexParams, SpectralMeasure,
    SpectrumFamily, TheoryError,
};

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Tanh),
        Just(Activation::Relu),
        Just(Activation::Erf),
        Just(Activation::Sigmoid),
        Just(Activation::Softplus),
        Just(Activation::Linear),
        prop::collection::vec(-2.0f64..2.0, 1..6).prop_map(Activation::Hermite),
    ]
}

fn family() -> impl Strategy<Value = SpectrumFamily> {
    prop_oneof![
        Just(SpectrumFamily::Identity),
        (0.05f64..0.95).prop_map(|p| SpectrumFamily::TwoPoint { p }),
        Just(SpectrumFamily::Geometric),
        Just(SpectrumFamily::Linear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn valid_parameters_give_correlations_in_unit_interval(
        fam in family(),
        kappa in 0.01f64..1000.0,
        d in 2usize..300,
        normalize in any::<bool>(),
        log_psi in -3.0f64..4.0,
        log_lambda in -6.0f64..3.0,
        noise in 0.0f64..5.0,
        act in activation(),
    ) {
        let h = theory::Spectrum { family: fam, kappa, d, normalize }.measure().unwrap();
        let psi = 10f64.powf(log_psi);
        let lambda = 10f64.powf(log_lambda);
        match single_index_limits(&SingleIndexParams { spectrum: &h, psi, teacher: &act, noise, lambda }) {
            Ok(l) => {
                for v in [l.rho_sgd, l.rho_kfac] {
                    prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v), "rho {v}");
                }
                prop_assert!(l.m > 0.0 && l.m_prime > 0.0 && l.m.is_finite() && l.m_prime.is_finite());
                // m(−λ) = E 1/(x + λ) over a law on [0, ∞): at most 1/λ, and m' at most m/λ.
                prop_assert!(l.m <= 1.0 / lambda * (1.0 + 1e-9));
                prop_assert!(l.m_prime <= l.m / lambda * (1.0 + 1e-6));
            }
            // A teacher with no signal and no noise is the one documented refusal.
            Err(TheoryError::InvalidParameter { name: "activation", .. }) => prop_assert!(noise == 0.0),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn resolvent_is_monotone_in_lambda(
        atoms in prop::collection::vec((0.01f64..100.0, 0.01f64..1.0), 1..8),
        gamma in 0.01f64..50.0,
        lambda in 1e-4f64..10.0,
    ) {
        let h = SpectralMeasure::new(atoms).unwrap();
        let a = stieltjes_negative(&h, gamma, lambda).unwrap();
        let b = stieltjes_negative(&h, gamma, lambda * 1.5).unwrap();
        // m(−λ) = ∫ dμ(x)/(x + λ) decreases in λ; so does m'.
        prop_assert!(b.m < a.m && b.m_prime < a.m_prime);
    }

    #[test]
    fn invalid_parameters_are_refused_not_nan(
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -100.0f64..-1e-9],
        which in 0usize..3,
    ) {
        let h = SpectralMeasure::new([(1.0, 1.0)]).unwrap();
        let (psi, noise, lambda) = match which { 0 => (bad, 0.1, 0.1), 1 => (2.0, bad, 0.1), _ => (2.0, 0.1, bad) };
        let err = single_index_limits(&SingleIndexParams { spectrum: &h, psi, teacher: &Activation::Tanh, noise, lambda }).unwrap_err();
        let want = ["psi", "noise", "lambda"][which];
        prop_assert!(matches!(err, TheoryError::InvalidParameter { name, .. } if name == want), "{err:?}");
    }
}
