//! `verify readout` (the paper's Section C.4, docs/readout.md): the test error of a degree-K
//! readout on each method's learned direction against its formula R_K(ρ_Σ), and the whole
//! network's readout after the step (simulation only).
//!
//! Designed checks: each run is judged by the engine's verdict (Holm over its rows at α = 1%: a
//! correct set of formulas wrongly disagrees with probability ≤ 1% per run; the runs are seeded,
//! so the outcome is fixed). The configurations cover both levels, spectra two-point, geometric,
//! linear and identity, teachers with a mean (relu, softplus, a Hermite one) and without (tanh),
//! noise 0 and 0.3, ψ on both sides of 1 and λ two decades apart. The check can fail: the same
//! risk formula fed the Euclidean ρ instead of ρ_Σ lies many standard errors from the simulation
//! under anisotropy.
//! The finite-size bias is measured (every point also runs at d/4; the limit is bracketed by the
//! mean and its Richardson extrapolation at the slowest admitted rate d^-1/2), whose far end
//! carries about three times the mean's standard error: showing agreement within the 2% margin
//! takes 3200 trials where a fixed allowance took 200 (the power checks below); the other
//! configurations run 800 (direction) and 400 (network) and must not disagree.

mod common;
use common::*;
use serde_json::Value;

fn run(out: &std::path::Path, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let mut args = vec![
        "readout",
        "--quiet",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = verify(&args);
    (o.status.code(), json_rows(&o), stderr(&o))
}

fn field<'a>(r: &'a Value, k: &str) -> &'a Value {
    &r[k]
}

#[test]
fn the_readout_formula_agrees_across_its_space() {
    let base = scratch("readout-space");
    let configs: [&[&str]; 4] = [
        &[
            "--level",
            "direction",
            "--d",
            "300",
            "--trials",
            "3200",
            "--spectrum",
            "geometric",
            "--activation",
            "relu",
            "--noise",
            "0",
            "--lambda",
            "0.01",
            "--kappa",
            "10",
            "--psi",
            "0.5,3",
        ],
        &[
            "--level",
            "direction",
            "--d",
            "300",
            "--trials",
            "800",
            "--spectrum",
            "linear",
            "--activation",
            "hermite:0.5,1,0.5",
            "--noise",
            "0.3",
            "--lambda",
            "1",
            "--kappa",
            "5",
            "--methods",
            "sgd,kfac,sqrt-kfac,whiten",
            "--psi",
            "1.5,3",
        ],
        &[
            "--d", "150", "--trials", "400", "--kappa", "10", "--psi", "0.5,3", "--lambda", "0.1",
        ],
        &[
            "--d",
            "150",
            "--trials",
            "400",
            "--spectrum",
            "identity",
            "--activation",
            "softplus",
            "--student",
            "relu",
            "--noise",
            "0",
            "--lambda",
            "0.01",
            "--psi",
            "0.5,3",
            "--methods",
            "sgd,kfac",
        ],
    ];
    for (i, c) in configs.iter().enumerate() {
        let (code, rows, err) = run(&base.join(i.to_string()), c);
        assert!(
            matches!(code, Some(0 | 4)),
            "config {i}: exit {code:?}\n{err}"
        );
        let judged: Vec<&Value> = rows.iter().filter(|r| !r["verdict"].is_null()).collect();
        let agree = judged.iter().filter(|r| r["verdict"] == "agree").count();
        assert!(
            judged.iter().all(|r| r["verdict"] != "disagree"),
            "config {i}: {rows:#?}"
        );
        // Power: in the least noisy configuration (noise 0, relu teacher) at 3200 trials most
        // rows are shown to agree, not merely left undecided; the noisier ones (σ_ε = 0.3,
        // Hermite teachers: per-trial spread up to 0.13 on risks near 1) need far more trials
        // for a 2% margin and may stay inconclusive here.
        if i == 0 {
            assert!(
                2 * agree >= judged.len(),
                "config {i}: {agree} of {} agree",
                judged.len()
            );
        }
        let network = !c.contains(&"direction");
        for r in &rows {
            let q = r["quantity"].as_str().unwrap();
            // Adam's direction has a formula at the direction level only.
            if q.starts_with("network:") || (network && q == "direction:adam") {
                // Simulation only: reported, never judged.
                assert!(r["theory"].is_null() && r["verdict"].is_null(), "{r}");
                assert!(r["sim"].as_f64().is_some_and(f64::is_finite));
            }
        }
        assert!(assert_clean_figures(&base.join(i.to_string())) >= 1);
    }
}

/// ρ_Σ, not the Euclidean ρ, is what the readout sees: at κ = 10 the risk formula at the
/// Euclidean ρ of SGD's direction is more than 8 SE from the simulated readout, whose measured
/// finite-size bracket holds the formula at ρ_Σ.
#[test]
fn the_risk_is_a_function_of_the_sigma_alignment() {
    let base = scratch("readout-sigma");
    let (code, rows, err) = run(
        &base.join("r"),
        &[
            "--level",
            "direction",
            "--d",
            "300",
            "--trials",
            "800",
            "--kappa",
            "10",
            "--psi",
            "2",
            "--methods",
            "sgd,kfac",
        ],
    );
    assert!(matches!(code, Some(0 | 4)), "{err}");
    let o = verify(&[
        "single-index",
        "--level",
        "direction",
        "--d",
        "300",
        "--kappa",
        "10",
        "--psi",
        "2",
        "--theory-only",
        "--quiet",
        "--format",
        "json",
        "--out",
        base.join("si").to_str().unwrap(),
    ]);
    let rho_euclid = json_rows(&o)
        .iter()
        .find(|r| r["method"] == "sgd")
        .and_then(|r| r["rho_theory"].as_f64())
        .unwrap();
    let sgd = rows
        .iter()
        .find(|r| r["quantity"] == "direction:sgd")
        .unwrap();
    // Default teacher tanh at τ1 = 1, noise 0.1, degree 6.
    let at_euclid =
        theory::polynomial_readout_risk_at(&theory::Activation::Tanh, 1.0, 0.1, 6, rho_euclid)
            .unwrap();
    let (sim, se) = (
        sgd["sim"].as_f64().unwrap(),
        sgd["sim_se"].as_f64().unwrap(),
    );
    assert!(
        (sim - at_euclid).abs() > 8.0 * se,
        "{sim} ± {se} vs {at_euclid}"
    );
    // …while the formula at ρ_Σ lies inside (or insignificantly outside) the measured bracket.
    let beyond = sgd["z_beyond"].as_f64().unwrap();
    assert!(beyond.abs() < 2.33, "z_beyond {beyond}: {sgd}");
    assert_ne!(field(sgd, "verdict"), "disagree");
}

/// A step of size → 0 leaves W₀: every method that feeds the student x itself (SGD, KFAC, Adam)
/// then has the same random-features readout on the same fresh samples (a property of the
/// simulation, exact to rounding); batch-norm's student sees normalised inputs, another model.
#[test]
fn a_vanishing_step_gives_every_method_the_same_network_readout() {
    let base = scratch("readout-step");
    let (code, rows, err) = run(
        &base,
        &[
            "--d",
            "60",
            "--trials",
            "4",
            "--kappa",
            "10",
            "--step",
            "1e-9",
            "--methods",
            "sgd,kfac,batch-norm,adam",
        ],
    );
    assert!(matches!(code, Some(0 | 4)), "{err}");
    let net: Vec<f64> = rows
        .iter()
        .filter(|r| r["quantity"].as_str().unwrap().starts_with("network:"))
        .map(|r| r["sim"].as_f64().unwrap())
        .collect();
    assert_eq!(net.len(), 4);
    for v in [net[1], net[3]] {
        assert!((v - net[0]).abs() < 1e-6 * net[0], "{net:?}");
    }
    assert!(
        (net[2] - net[0]).abs() > 1e-3,
        "batch-norm's inputs differ: {net:?}"
    );
}

#[test]
fn same_seed_same_bits_whatever_the_thread_count() {
    let base = scratch("readout-threads");
    let args = [
        "readout", "--d", "60", "--trials", "6", "--kappa", "1,10", "--quiet", "--format", "none",
    ];
    for t in ["1", "2"] {
        let out = base.join(t);
        let o = verify_env(
            &[&args[..], &["--out", out.to_str().unwrap()]].concat(),
            &[("RAYON_NUM_THREADS", t)],
        );
        assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    }
    let strip = |p: std::path::PathBuf| {
        // The CSV holds no timing or path: compare it whole.
        std::fs::read(p).unwrap()
    };
    assert_eq!(
        strip(base.join("1/readout.csv")),
        strip(base.join("2/readout.csv"))
    );
}

#[test]
fn bad_readout_settings_are_refused_naming_the_flag() {
    let base = scratch("readout-bad");
    let out = base.to_str().unwrap();
    for (args, flag) in [
        (&["--degree", "0"][..], "--degree"),
        (&["--degree", "13"], "--degree"),
        (&["--step", "0"], "--step"),
        (&["--readout-ridge", "-1"], "--readout-ridge"),
        (&["--lambda", "opt"], "--lambda"),
        (&["--methods", "sgd,whiten", "--psi", "0.5"], "--methods"),
        (&["--student", "hermite:0,0,1"], "student"),
    ] {
        let o = verify(
            &[
                &["readout", "--out", out, "--trials", "2", "--d", "40"][..],
                args,
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}
