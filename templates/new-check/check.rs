//! The check run in-process at a fixed seed: the formula is not rejected, and a deliberately
//! wrong one is. `cargo test --release`.

// The check lives in src/main.rs (one file to edit); its `main` is unused here.
#[allow(dead_code)]
#[path = "../src/main.rs"]
mod check;

use check::{grid, Resolvent};
use engine::prelude::*;

/// The verdict at seed 1 with 200 trials per point, results in a scratch folder.
fn verdict(wrong: bool) -> RunVerdict {
    faer::set_global_parallelism(Par::Seq);
    let scratch = format!(
        "{}-test-{}-{wrong}",
        env!("CARGO_PKG_NAME"),
        std::process::id()
    );
    let out = std::env::temp_dir().join(scratch);
    let flags = [
        "--trials", "200", "--seed", "1", "--quiet", "--format", "none",
    ];
    let args = CommonArgs {
        out: Some(out.clone()),
        ..CommonArgs::parse_from(std::iter::once("check").chain(flags))
    };
    let verdict =
        run_check(&Resolvent { wrong }, &grid(&[200.0]), &args).expect("the run completes");
    std::fs::remove_dir_all(&out).ok();
    verdict
}

#[test]
fn the_formula_is_not_rejected() {
    assert_ne!(verdict(false), RunVerdict::Disagree);
}

#[test]
fn a_wrong_formula_is_rejected() {
    assert_eq!(verdict(true), RunVerdict::Disagree);
}
