//! Helpers shared by the integration tests: run the `verify` binary as a user would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn verify(args: &[&str]) -> Output {
    verify_env(args, &[])
}

pub fn verify_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_verify"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run verify")
}

/// Assert that each of `files` is byte-identical in folders `a` and `b`.
pub fn assert_same(files: &[&str], a: &std::path::Path, b: &std::path::Path) {
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("verify-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON rows that `--format json` prints.
pub fn json_rows(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                stdout(o),
                stderr(o)
            )
        })
        .as_array()
        .expect("a JSON array")
        .clone()
}

pub fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Run `args` whole into `base/whole`; run it again into `base/cut`, SIGKILL it once `kill_at`
/// units are logged, resume, and compare `files`.
pub fn kill_and_resume(base: &Path, args: &[&str], units: usize, kill_at: usize, files: &[&str]) {
    let (whole, cut) = (base.join("whole"), base.join("cut"));
    let o = verify(&[args, &["--out", whole.to_str().unwrap()]].concat());
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert_eq!(lines(&whole.join("units.jsonl")), units + 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(args)
        .args(["--out", cut.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A run under way checkpoints into units.partial.jsonl; units.jsonl is the finished set's.
    let log = cut.join("units.partial.jsonl");
    let start = Instant::now();
    while lines(&log) <= kill_at && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = lines(&log).saturating_sub(1);
    assert!(
        (kill_at..units).contains(&done),
        "the kill must land mid-run: {done} of {units} units were logged"
    );
    assert!(
        !cut.join(files[0]).exists(),
        "no result file before the run finished"
    );
    let o = verify(&[args, &["--out", cut.to_str().unwrap(), "--resume"]].concat());
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert_same(files, &whole, &cut);
    assert!(cut.join("units.jsonl").exists() && !log.exists());
}

/// The figure has none of the problems `reports::inspect::check_svg` looks for (text off the
/// canvas, markers outside the plot, curves leaving it, a series drawn over another).
#[allow(dead_code)]
pub fn assert_clean(svg: &str) {
    let problems = reports::inspect::check_svg(svg);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every SVG under `dir` (recursively) is clean; returns how many were checked.
#[allow(dead_code)]
pub fn assert_clean_figures(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            n += assert_clean_figures(&p);
        } else if p.extension().is_some_and(|e| e == "svg") {
            let svg = std::fs::read_to_string(&p).unwrap();
            let problems = reports::inspect::check_svg(&svg);
            assert!(problems.is_empty(), "{}: {problems:#?}", p.display());
            n += 1;
        }
    }
    n
}
