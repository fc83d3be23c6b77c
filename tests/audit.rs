//! `verify audit` (issue 14): the formulas at random configurations over the single-index model's
//! whole parameter space, each extrapolated to d → ∞ from d/2, d, 2d, judged together. With the
//! correct formulas no row may disagree (Holm, α = 1%: a correct set fails with probability
//! ≤ 1%; seeded, so this run is fixed); each deliberately wrong variant must disagree on every
//! row where it moves the formula by more than 0.05 (its rows, found by comparing the two runs'
//! formula columns), since such a shift is many standard errors at these sizes.

mod common;
use common::*;
use serde_json::Value;

const AUDIT: [&str; 14] = [
    "audit",
    "--configs",
    "6",
    "--d",
    "60",
    "--trials",
    "40",
    "--max-trials",
    "160",
    "--seed",
    "21",
    "--quiet",
    "--format",
    "json",
];

fn audit(out: &std::path::Path, wrong: Option<&str>) -> (Option<i32>, Vec<Value>) {
    let mut args: Vec<&str> = AUDIT.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    if let Some(w) = wrong {
        args.extend(["--wrong", w]);
    }
    let o = verify(&args);
    (o.status.code(), json_rows(&o))
}

#[test]
fn the_audit_passes_the_formulas_and_catches_wrong_ones() {
    let base = scratch("audit");
    let (code, right) = audit(&base.join("right"), None);
    assert!(
        matches!(code, Some(0 | 4)),
        "correct formulas: exit {code:?}: {right:?}"
    );
    assert!(
        right.iter().all(|r| r["verdict"] != "disagree"),
        "{right:?}"
    );
    let configs: std::collections::BTreeSet<u64> = right
        .iter()
        .map(|r| r["config"].as_u64().unwrap())
        .collect();
    assert_eq!(configs.len(), 6);
    assert!(base.join("right/audit.csv").exists() && base.join("right/report.md").exists());
    for wrong in ["sgd-no-gamma", "kfac-isotropic-m", "bn-uncentred"] {
        let (code, rows) = audit(&base.join(wrong), Some(wrong));
        assert_eq!(rows.len(), right.len());
        let moved: Vec<&Value> = rows
            .iter()
            .zip(&right)
            .filter(|(w, r)| {
                (w["theory"].as_f64().unwrap() - r["theory"].as_f64().unwrap()).abs() > 0.05
            })
            .map(|(w, _)| w)
            .collect();
        eprintln!(
            "{wrong}: {} rows moved by > 0.05, exit {code:?}",
            moved.len()
        );
        for r in &moved {
            assert_eq!(r["verdict"], "disagree", "{wrong} not caught: {r}");
        }
        if !moved.is_empty() {
            assert_eq!(code, Some(1), "{wrong}");
        }
    }
    // SGD without its γ term moves ρ_SGD by far more than 0.05 wherever noise or ψ is moderate.
    let (code, _) = audit(&base.join("sgd-again"), Some("sgd-no-gamma"));
    assert_eq!(code, Some(1));
    std::fs::remove_dir_all(base).ok();
}
