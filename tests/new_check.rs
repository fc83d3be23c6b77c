//! `verify new`: the crate it writes is a user's way in, so it is built and run here as a user
//! would, outside the workspace: `cargo run --release` reaches a verdict (agree or inconclusive,
//! never disagree: the template's formula is right), `cargo test --release` passes its own
//! tests (the formula agrees, a wrong one is rejected), and `cargo tree` shows the engine
//! without the paper's crates.
//!
//! Cost: the crate builds into this workspace's target folder, but with its own feature set
//! (the workspace unifies extra features of libc, serde, num-complex and nalgebra), so the first
//! run compiles about 40 dependencies once (~2–3 min on 2 cores); later runs reuse them (~40 s).

mod common;

use common::{stderr, stdout, verify};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This workspace's target folder (target/release/deps/new_check-… → target).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// `cargo ARGS` in `dir`, offline (the copied Cargo.lock pins crates this workspace has fetched).
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .arg("--offline")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("run cargo")
}

/// A fresh folder for the new crate, under the workspace's target/tmp: inside this workspace's
/// folder, so the crate's own `[workspace]` table is what keeps cargo from adopting it.
fn fresh(name: &str) -> PathBuf {
    let parent = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::remove_dir_all(&parent).ok();
    std::fs::create_dir_all(&parent).unwrap();
    parent
}

#[test]
fn refuses_a_bad_name_and_an_occupied_folder() {
    let parent = fresh("new-check-refusals");
    let at = parent.to_str().unwrap();
    for bad in ["9lives", "my/check", "fn", "engine", "tést"] {
        let o = verify(&["new", bad, "--path", at]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("NAME"), "{bad}: {}", stderr(&o));
    }
    std::fs::create_dir_all(parent.join("taken")).unwrap();
    std::fs::write(parent.join("taken/notes.txt"), "mine").unwrap();
    let o = verify(&["new", "taken", "--path", at]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--path"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(parent.join("taken")).unwrap().count(), 1);
    // An empty folder is taken over.
    std::fs::create_dir_all(parent.join("empty")).unwrap();
    let o = verify(&["new", "empty", "--path", at]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(parent.join("empty/src/main.rs").is_file());
    std::fs::remove_dir_all(parent).ok();
}

/// The template's limits m(−λ), computed independently of its formula: midpoint quadrature
/// (200 000 nodes, x = (a+b)/2 + (b−a)/2 cos t) of ∫ dμ(x)/(x + λ) over the Marchenko–Pastur
/// density √((b−x)(x−a))/(2πγx) on [(1−√γ)², (1+√γ)²], plus the atom (1 − 1/γ)/λ for γ > 1.
/// (gamma, lambda, limit), in the grid's order (gamma fastest). At γ = 2, λ = 1 the quadrature
/// gave 1/√2 to 13 digits (the exact value: the equation reads 2m² − 1 = 0 there).
const LIMITS: [(f64, f64, f64); 6] = [
    (0.25, 0.1, 1.138357147217),
    (0.5, 0.1, 1.483314773548),
    (2.0, 0.1, 5.422144385112),
    (0.25, 1.0, 0.531128874149),
    (0.5, 1.0, 0.561552812809),
    (2.0, 1.0, std::f64::consts::FRAC_1_SQRT_2),
];

/// The `theory` column of the run's CSV matches the quadrature.
fn assert_theory(csv: &Path) {
    let mut r = csv::Reader::from_path(csv).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), LIMITS.len());
    for (row, (gamma, lambda, limit)) in rows.iter().zip(LIMITS) {
        let get = |name: &str| row[col(name)].parse::<f64>().unwrap();
        assert_eq!((get("gamma"), get("lambda")), (gamma, lambda));
        assert!((get("theory") - limit).abs() < 1e-9, "{row:?}");
    }
}

#[test]
fn the_new_crate_builds_runs_agrees_and_passes_its_tests() {
    let parent = fresh("new-check");
    let o = verify(&["new", "mp-check", "--path", parent.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("cargo run --release"), "{}", stdout(&o));
    let dir = parent.join("mp-check");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("engine");
    assert!(manifest.contains(&format!("path = \"{}\"", engine.display())));

    let run = cargo(&dir, &["run", "--release", "--", "--quiet"]);
    let text = stdout(&run);
    assert!(
        matches!(run.status.code(), Some(0 | 4)),
        "exit {:?}\n{text}\n{}",
        run.status.code(),
        stderr(&run)
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("verdict: AGREE") || l.starts_with("verdict: INCONCLUSIVE")),
        "{text}"
    );
    assert_theory(&dir.join("out/mp-check/mp-check.csv"));

    let test = cargo(&dir, &["test", "--release"]);
    assert!(
        test.status.success(),
        "{}\n{}",
        stdout(&test),
        stderr(&test)
    );
    assert!(stdout(&test).contains("test a_wrong_formula_is_rejected ... ok"));

    let tree = cargo(&dir, &["tree", "-e", "normal", "--prefix", "none"]);
    assert!(tree.status.success(), "{}", stderr(&tree));
    let crates: Vec<&str> = std::str::from_utf8(&tree.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"engine"), "{crates:?}");
    for paper in ["theory", "sims", "results"] {
        assert!(!crates.contains(&paper), "{paper} in the new crate's tree");
    }
    std::fs::remove_dir_all(parent).ok();
}
