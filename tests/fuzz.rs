//! A seeded command-line fuzz of `verify single-index` (issue 15): random argument vectors drawn
//! from valid, boundary and hostile values of every flag. Each run must end within a minute with
//! a documented exit code (0, 1, 2, 3; never 101), never print "panicked", name a flag when it
//! refuses input (exit 2), and never write NaN or inf into a result file.
//!
//! CI runs 300 cases (seed 1); `VERIFY_FUZZ_CASES=5000 VERIFY_FUZZ_SEED=7 cargo test --release
//! --test fuzz` runs a larger hunt.

mod common;
use common::*;
use rand::{RngExt, SeedableRng};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Per flag: values that are usually accepted (boundary ones included), then hostile ones.
const FLAGS: &[(&str, &[&str], &[&str])] = &[
    (
        "--kappa",
        &[
            "1", "10", "1..5", "1e308", "1,2,3", "2..4/3", "1e20", "1e-300",
        ],
        &[
            "0",
            "-1",
            "abc",
            "1..10:0",
            "5..1",
            "nan",
            "inf",
            "1..3:1e-300",
            "",
        ],
    ),
    (
        "--psi",
        &["2", "0.5", "1", "1e-9", "1e9", "0.5..4/4"],
        &["0", "-2", "x"],
    ),
    (
        "--spectrum",
        &[
            "two-point",
            "identity",
            "geometric",
            "linear",
            "two-point:0.3",
        ],
        &[
            "file:/nonexistent",
            "file:/dev/zero",
            "triangle",
            "two-point:2",
        ],
    ),
    (
        "--activation",
        &[
            "tanh",
            "relu",
            "erf",
            "sigmoid",
            "softplus",
            "linear",
            "hermite:0,1",
            "hermite:0.5,1,0.3",
        ],
        &["hermite:", "hermite:1,x", "cosh"],
    ),
    (
        "--student",
        &["tanh", "relu", "erf", "linear", "softplus"],
        &["hermite:0,0,1", "x"],
    ),
    ("--noise", &["0", "0.1", "1e300", "3"], &["-0.1", "nan"]),
    (
        "--lambda",
        &["0.1", "0", "opt", "1e-12", "1e12", "0.01,1"],
        &["-1", "x"],
    ),
    ("--width", &["40", "2000"], &["7", "0", "-2", "1000000"]),
    ("--level", &["direction", "network"], &["neuron"]),
    (
        "--methods",
        &["sgd,kfac", "all", "whiten", "adam,muon", "batch-norm"],
        &["sgd,lbfgs", "sgd,sgd"],
    ),
    ("--seed", &["0", "18446744073709551615"], &["-1", "x"]),
    ("--format", &["table", "json", "csv", "none"], &["xml"]),
    ("--alpha", &["0.01", "0.5"], &["0", "1", "-0.5"]),
    ("--allowance-scale", &["1", "0", "1e9"], &["-1"]),
];
const SIM_D: &[&str] = &["20", "40", "30", "40", "1", "-5", "100001"];
const THEORY_D: &[&str] = &["1000", "2", "100000", "1e3", "50..60/2", "-5"];
const TRIALS: &[&str] = &["2", "3", "2", "3", "2", "1", "-3", "abc"];

fn case(rng: &mut rand::rngs::ChaCha8Rng, out: &str) -> Vec<String> {
    let mut args = vec!["single-index".to_string()];
    let theory_only = rng.random_bool(0.6);
    let pick =
        |rng: &mut rand::rngs::ChaCha8Rng, v: &[&str]| v[rng.random_range(0..v.len())].to_string();
    for (flag, usual, hostile) in FLAGS {
        if rng.random_bool(0.4) {
            args.push(flag.to_string());
            let values = if rng.random_bool(0.06) {
                hostile
            } else {
                usual
            };
            args.push(pick(rng, values));
        }
    }
    args.push("--d".into());
    args.push(pick(rng, if theory_only { THEORY_D } else { SIM_D }));
    args.push("--trials".into());
    args.push(pick(rng, TRIALS));
    if theory_only {
        args.push("--theory-only".into());
    }
    if rng.random_bool(0.3) {
        args.push("--no-normalize".into());
    }
    args.extend(["--quiet".to_string(), "--out".to_string(), out.to_string()]);
    args
}

#[test]
fn random_command_lines_never_panic_hang_or_write_nan() {
    let cases: usize = std::env::var("VERIFY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("VERIFY_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = scratch("fuzz");
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
    let mut counts = [0usize; 4];
    for i in 0..cases {
        let out = dir.join(format!("c{i}"));
        let args = case(&mut rng, out.to_str().unwrap());
        let mut child = Command::new(env!("CARGO_BIN_EXE_verify"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                child.kill().ok();
                panic!("case {i} hung: verify {}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let err = stderr(&child.wait_with_output().unwrap());
        let code = status.code().unwrap_or(-1);
        let shown = format!("case {i}: verify {} → exit {code}\n{err}", args.join(" "));
        assert!((0..=3).contains(&code), "{shown}");
        assert!(!err.contains("panicked"), "{shown}");
        if code == 2 {
            assert!(
                err.contains("--") || err.contains("Usage"),
                "exit 2 names no flag: {shown}"
            );
        }
        if let Ok(csv) = std::fs::read_to_string(out.join("single_index.csv")) {
            assert!(
                !csv.contains("NaN") && !csv.contains("inf"),
                "NaN/inf written: {shown}"
            );
        }
        if code == 3 && std::env::var("VERIFY_FUZZ_SHOW").is_ok() {
            eprintln!("{shown}");
        }
        counts[code as usize] += 1;
        std::fs::remove_dir_all(&out).ok();
    }
    eprintln!(
        "{cases} cases (seed {seed}): exit 0 ×{}, 1 ×{}, 2 ×{}, 3 ×{}",
        counts[0], counts[1], counts[2], counts[3]
    );
    std::fs::remove_dir_all(dir).ok();
}
