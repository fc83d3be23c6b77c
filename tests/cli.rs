//! The command line as a user meets it: outputs, the fixed columns, errors and exit codes.

mod common;
use common::*;

const FIXED: &str = "spectrum,kappa,psi,activation,student,noise,lambda,level,method,d,n,width,trials,rho_theory,rho_sim,rho_sim_se,z,pass";

#[test]
fn theory_only_default_grid() {
    let out = scratch("theory-only");
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--kappa",
        "1..10",
        "--psi",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    assert_eq!(table.lines().count(), 21, "{table}");
    let csv = std::fs::read_to_string(out.join("single_index.csv")).unwrap();
    assert!(
        csv.starts_with(FIXED),
        "header: {}",
        csv.lines().next().unwrap()
    );
    let first = csv.lines().nth(1).unwrap();
    // Simulation columns are empty with --theory-only.
    assert!(
        first.starts_with("two-point,1.0,2.0,tanh,tanh,0.1,0.1,network,sgd,1000,2000,1000,20,"),
        "{first}"
    );
    let fields: Vec<&str> = first.split(',').collect();
    assert_eq!(&fields[14..18], &["", "", "", ""]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("single_index.json")).unwrap())
            .unwrap();
    assert_eq!(json["seed"], 0);
    assert_eq!(json["verdict"], "theory-only");
    assert_eq!(json["config"]["kappa"], "1..10");
    assert_eq!(json["rows"].as_array().unwrap().len(), 20);
    assert!(json["rows"][0]["rho_sim"].is_null());
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn json_stdout_carries_intermediates_and_kfac_beats_sgd_when_anisotropic() {
    let out = scratch("json");
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--kappa",
        "10",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = json_rows(&o);
    assert_eq!(rows.len(), 2);
    for k in ["tau1", "tau2", "c1", "s2", "m", "m_prime"] {
        assert!(rows[1][k].is_number(), "kfac row lacks {k}");
    }
    assert!(rows[0]["m"].is_null());
    assert!(
        rows[1]["rho_theory"].as_f64().unwrap() > rows[0]["rho_theory"].as_f64().unwrap() + 0.1
    );
    std::fs::remove_dir_all(out).ok();
}

/// Bad input: exit 2, a message naming the flag, never a panic.
#[test]
fn bad_input_names_the_flag() {
    let dir = scratch("bad");
    let malformed = dir.join("bad_spectrum.txt");
    std::fs::write(&malformed, "1.0\nnot-a-number\n").unwrap();
    let missing = dir.join("missing.txt");
    let malformed_arg = format!("file:{}", malformed.display());
    let missing_arg = format!("file:{}", missing.display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--kappa", "0"], "--kappa"),
        (vec!["--kappa", "-1..2"], "--kappa"),
        (vec!["--psi", "0"], "--psi"),
        (vec!["--psi", "-2"], "--psi"),
        (vec!["--lambda", "-0.1"], "--lambda"),
        (vec!["--lambda", "0", "--psi", "1"], "--lambda"),
        (vec!["--methods", "sgd,lbfgs"], "--methods"),
        (vec!["--methods", "sgd,sgd"], "--methods"),
        (vec!["--methods", "whiten", "--psi", "0.5,2"], "--methods"),
        (vec!["--lambda", "0", "--psi", "0.5,2"], "--lambda"),
        (vec!["--noise", "-0.1"], "--noise"),
        (vec!["--noise", "nan"], "--noise"),
        (vec!["--kappa", "inf"], "--kappa"),
        (vec!["--lambda", "NaN"], "--lambda"),
        (vec!["--d", "1"], "--d"),
        (vec!["--trials", "1"], "--trials"),
        (vec!["--width", "7"], "--width"),
        (vec!["--activation", "tanhh"], "--activation"),
        (vec!["--student", "cosh"], "--student"),
        (vec!["--spectrum", "triangle"], "--spectrum"),
        (vec!["--spectrum", &missing_arg], "--spectrum"),
        (vec!["--spectrum", &malformed_arg], "--spectrum"),
        (vec!["--kappa", "1..x"], "--kappa"),
        (vec!["--kappa", "5..1"], "--kappa"),
        (vec!["--kappa", ""], "--kappa"),
        (vec!["--psi", "1..2:0"], "--psi"),
        (vec!["--level", "neuron"], "--level"),
        (vec!["--format", "xml"], "--format"),
        // Negative numbers are values, refused by the flag's own check (issue 15).
        (vec!["--d", "-5"], "--d"),
        (vec!["--trials", "-3"], "--trials"),
        (vec!["--seed", "-1"], "--seed"),
        (vec!["--shard", "-1/2"], "--shard"),
        (vec!["--kappa", "1..10:1e-300"], "--kappa"),
        // Refused before anything is read or written: a device as a spectrum file, a grid whose
        // result files would pass 1 GB.
        (vec!["--spectrum", "file:/dev/zero"], "--spectrum"),
        (
            vec!["--kappa", "1..1000", "--psi", "0.1..100:0.1"],
            "--kappa",
        ),
    ];
    for (extra, flag) in cases {
        let mut args = vec![
            "single-index",
            "--theory-only",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ];
        args.extend(extra.iter().copied());
        let o = verify(&args);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{extra:?}: exit {:?}, stderr {err}",
            o.status.code()
        );
        assert!(
            err.contains(flag),
            "{extra:?}: message does not name {flag}: {err}"
        );
        assert!(!err.contains("panicked"), "{extra:?} panicked: {err}");
    }
    // A student with no linear part cannot learn a direction at the network level.
    let o = verify(&[
        "single-index",
        "--student",
        "hermite:0,0,1",
        "--kappa",
        "2",
        "--d",
        "20",
        "--trials",
        "2",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--student"));
    // The spike check too (it used to report a ratio of 2e14 and exit 0).
    let o = verify(&[
        "spike",
        "--student",
        "hermite:0,0,1",
        "--d",
        "20,40",
        "--trials",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--student"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn help_has_examples() {
    let o = verify(&["single-index", "--help"]);
    let s = stdout(&o);
    assert!(
        s.contains("Examples:") && s.contains("--theory-only") && s.contains("RANGE"),
        "{s}"
    );
}

/// Same seed, identical bytes, whatever the thread count; and a grid point's numbers do not depend
/// on which other points are in the sweep.
#[test]
fn reproducible_across_threads_and_subsets() {
    let base = scratch("threads");
    let run = |threads: &str, kappa: &str, level: &str, name: &str| {
        let out = base.join(name);
        let o = verify_env(
            &[
                "single-index",
                "--kappa",
                kappa,
                "--psi",
                "1.5",
                "--d",
                "60",
                "--trials",
                "6",
                "--level",
                level,
                "--seed",
                "7",
                "--methods",
                "all",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
            &[("RAYON_NUM_THREADS", threads)],
        );
        assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
        std::fs::read_to_string(out.join("single_index.csv")).unwrap()
    };
    for level in ["direction", "network"] {
        let one = run("1", "1..3", level, &format!("{level}-1"));
        let two = run("2", "1..3", level, &format!("{level}-2"));
        let four = run("4", "1..3", level, &format!("{level}-4"));
        assert_eq!(one, two, "{level}: 1 vs 2 threads");
        assert_eq!(one, four, "{level}: 1 vs 4 threads");
        let alone = run("2", "3", level, &format!("{level}-alone"));
        // Everything but the verdict's critical value (Bonferroni: it depends on the row count).
        let strip = |line: &str| {
            let f: Vec<&str> = line.split(',').collect();
            [&f[..17], &f[18..f.len() - 1]].concat().join(",")
        };
        let last_point: Vec<String> = one
            .lines()
            .filter(|l| l.split(',').nth(1) == Some("3.0"))
            .map(strip)
            .collect();
        assert_eq!(last_point.len(), 8, "{level}: one row per method");
        let alone_rows: Vec<String> = alone.lines().skip(1).map(strip).collect();
        assert_eq!(
            last_point, alone_rows,
            "{level}: kappa = 3 alone vs inside 1..3"
        );
    }
    let other_seed = {
        let out = base.join("seed8");
        verify(&[
            "single-index",
            "--kappa",
            "1..3",
            "--psi",
            "1.5",
            "--d",
            "60",
            "--trials",
            "6",
            "--level",
            "direction",
            "--seed",
            "8",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        std::fs::read_to_string(out.join("single_index.csv")).unwrap()
    };
    assert_ne!(other_seed, run("1", "1..3", "direction", "direction-again"));
    std::fs::remove_dir_all(base).ok();
}

/// Large problems (n·d ≥ 2²⁴) run one trial at a time with faer parallel inside; the numbers must
/// still not depend on the thread count, at both levels.
#[test]
fn reproducible_with_parallel_linear_algebra_inside_a_trial() {
    let base = scratch("inner-par");
    for level in ["direction", "network"] {
        let run = |threads: &str| {
            let out = base.join(format!("{level}-{threads}"));
            let args = [
                "single-index",
                "--kappa",
                "3",
                "--psi",
                "4",
                "--d",
                "2048",
                "--width",
                "64",
                "--trials",
                "2",
                "--level",
                level,
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ];
            let o = verify_env(&args, &[("RAYON_NUM_THREADS", threads)]);
            assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
            std::fs::read_to_string(out.join("single_index.csv")).unwrap()
        };
        assert_eq!(run("1"), run("2"), "{level}");
    }
    std::fs::remove_dir_all(base).ok();
}

/// `--lambda opt` records, per grid point, the theory-optimal ridge in the lambda column; for the
/// isotropic prior of β* that is the Bayes ridge γ E[r²]/c1² whatever the spectrum.
#[test]
fn lambda_opt_records_the_optimal_ridge() {
    let out = scratch("lambda-opt");
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--lambda",
        "opt",
        "--kappa",
        "1,10",
        "--psi",
        "0.5,4",
        "--noise",
        "0.2",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for r in json_rows(&o) {
        let (c1, s2, tau1, psi) = (
            r["c1"].as_f64().unwrap(),
            r["s2"].as_f64().unwrap(),
            r["tau1"].as_f64().unwrap(),
            r["psi"].as_f64().unwrap(),
        );
        let bayes = (s2 - c1 * c1 * tau1 + 0.04) / (psi * c1 * c1);
        let l = r["lambda"].as_f64().unwrap();
        assert!((l - bayes).abs() < 1e-5 * bayes, "{r}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("single_index.json")).unwrap())
            .unwrap();
    assert_eq!(json["config"]["lambda"], "opt");
    std::fs::remove_dir_all(out).ok();
}

/// Methods without a formula at a level are simulated, reported with empty theory columns (never
/// NaN), and not judged; the rest keep their verdicts.
#[test]
fn simulation_only_methods_have_empty_theory_columns() {
    let out = scratch("methods");
    let o = verify(&[
        "single-index",
        "--methods",
        "sgd,adam,muon",
        "--kappa",
        "4",
        "--d",
        "200",
        "--trials",
        "40",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("1 of 1 rows agree") && text.contains("2 simulated without a formula"),
        "{text}"
    );
    let csv = std::fs::read_to_string(out.join("single_index.csv")).unwrap();
    assert!(!csv.contains("NaN") && !csv.contains("nan"));
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 3);
    let methods: Vec<&str> = rows.iter().map(|r| r[8]).collect();
    assert_eq!(methods, ["sgd", "adam", "muon"]);
    for r in &rows[1..] {
        // rho_theory, z, pass empty; rho_sim and its SE present.
        assert_eq!((r[13], r[16], r[17]), ("", "", ""), "{r:?}");
        assert!(r[14].parse::<f64>().is_ok() && r[15].parse::<f64>().is_ok());
    }
    assert_eq!(rows[0][17], "true");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("single_index.json")).unwrap())
            .unwrap();
    assert!(json["rows"][1]["rho_theory"].is_null());
    assert!(json["command"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "sgd,adam,muon"));
    std::fs::remove_dir_all(out).ok();
}

/// `--methods all` at ψ ≤ 1 runs every method but whitening (XᵀX/n is singular there), says so on
/// stderr, and records the methods that ran; naming `whiten` explicitly is still refused (above).
#[test]
fn methods_all_skips_whitening_when_psi_is_at_most_one() {
    let out = scratch("methods-all-psi");
    let o = verify(&[
        "single-index",
        "--methods",
        "all",
        "--psi",
        "0.5,2",
        "--kappa",
        "5",
        "--level",
        "direction",
        "--d",
        "60",
        "--trials",
        "4",
        "--quiet",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{err}");
    assert!(
        err.contains("whiten skipped") && err.contains("--psi"),
        "{err}"
    );
    let rows = json_rows(&o);
    let methods: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods.len(), 7, "{methods:?}");
    assert!(!methods.contains("whiten"));
    assert!(rows.iter().all(|r| r["psi"] == 0.5 || r["psi"] == 2.0));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("single_index.json")).unwrap())
            .unwrap();
    let cmd: Vec<&str> = json["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let listed = cmd[cmd.iter().position(|&a| a == "--methods").unwrap() + 1];
    assert!(
        !listed.contains("whiten") && listed.contains("batch-norm"),
        "{listed}"
    );
    std::fs::remove_dir_all(out).ok();
}

/// A file that cannot be written is "could not complete" (exit 3), and the message names it.
#[test]
fn an_unwritable_output_folder_exits_3_naming_the_path() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = file.join("sub");
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("a-file"), "{}", stderr(&o));
    // --out naming an existing file is bad input, said as such.
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--quiet",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--out") && stderr(&o).contains("not a folder"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Found by a reliability test (issue 15): a step so small that the value count overflows, a
/// reader that stops early (`verify … | head -1`) and standard output on a full device. None may
/// panic: exit 2 naming the flag, a quiet end once the files are written, exit 3 naming stdout.
#[test]
fn a_tiny_step_a_closed_pipe_and_a_full_stdout_do_not_panic() {
    let dir = scratch("hostile-stdout");
    let out = dir.to_str().unwrap();
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--kappa",
        "1..10:1e-300",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--kappa") && !stderr(&o).contains("panicked"));

    // A reader that closes its end before the (large) CSV is written.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
        .args([
            "single-index",
            "--theory-only",
            "--kappa",
            "1..3000",
            "--format",
            "csv",
        ])
        .args(["--quiet", "--out", out])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_ne!(o.status.code(), Some(101));
    assert!(
        dir.join("single_index.csv").exists(),
        "files come before printing"
    );

    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
            .args([
                "single-index",
                "--theory-only",
                "--kappa",
                "1..20",
                "--out",
                out,
            ])
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A run into a folder of an earlier run leaves one run's files: figures of axes no longer swept
/// and a checkpoint beside theory-only results are removed (issue 15).
#[test]
fn a_new_run_removes_the_earlier_runs_stale_files() {
    let dir = scratch("stale");
    let out = dir.to_str().unwrap();
    let o = verify(&[
        "single-index",
        "--kappa",
        "1,5",
        "--psi",
        "1,2",
        "--level",
        "direction",
        "--d",
        "40",
        "--trials",
        "3",
        "--quiet",
        "--format",
        "none",
        "--out",
        out,
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert!(dir.join("single_index_psi.svg").exists() && dir.join("units.jsonl").exists());
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--kappa",
        "1..3",
        "--quiet",
        "--out",
        out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("single_index_kappa.svg").exists());
    assert!(
        !dir.join("single_index_psi.svg").exists(),
        "stale ψ figure left"
    );
    assert!(!dir.join("units.jsonl").exists(), "stale checkpoint left");
    std::fs::remove_dir_all(dir).ok();
}

/// Extreme unnormalised spectra finish (issue 15: `--kappa 1e20 --no-normalize` never returned,
/// the teacher moments' quadrature took √τ1 panels): every run here ends within a minute, with
/// an answer or a clear refusal, never a panic.
#[test]
fn extreme_spectra_do_not_hang() {
    let dir = scratch("extreme");
    for kappa in ["1e8", "1e20", "1e100", "1e300"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
            .args([
                "single-index",
                "--theory-only",
                "--no-normalize",
                "--methods",
                "all",
            ])
            .args(["--kappa", kappa, "--quiet", "--format", "none", "--out"])
            .arg(&dir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().ok();
                panic!("--kappa {kappa} --no-normalize did not finish in 60 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let o = child.wait_with_output().unwrap();
        assert!(
            matches!(status.code(), Some(0 | 3)),
            "κ {kappa}: {status:?} {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A run that cannot fit in memory is refused before allocating, with the estimate and the flag
/// (issue 15: `--d 30000` at the direction level died in an allocation error after allocating).
#[test]
fn a_run_too_big_for_memory_is_refused_up_front() {
    let dir = scratch("memory");
    let o = verify(&[
        "single-index",
        "--d",
        "90000",
        "--level",
        "direction",
        "--kappa",
        "2",
        "--trials",
        "2",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--d") && stderr(&o).contains("GB"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("units.jsonl").exists(), "refused before any work");
    std::fs::remove_dir_all(dir).ok();
}

/// The terminal table names every swept axis: with several λ or d the rows would otherwise look
/// identical (issue 17).
#[test]
fn the_table_shows_swept_lambda_and_d() {
    let out = scratch("swept-columns");
    let o = verify(&[
        "single-index",
        "--kappa",
        "10",
        "--lambda",
        "0.01,0.1",
        "--theory-only",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["kappa", "psi", "lambda", "method", "theory"],
        "{text}"
    );
    assert!(text.lines().nth(1).unwrap().contains("0.01"), "{text}");
    let o = verify(&[
        "single-index",
        "--kappa",
        "10",
        "--d",
        "40,60",
        "--level",
        "direction",
        "--trials",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(&header[..4], ["kappa", "psi", "d", "method"], "{text}");
    let ds: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(2))
        .take(4)
        .collect();
    assert_eq!(ds, ["40", "40", "60", "60"], "{text}");
    std::fs::remove_dir_all(out).ok();
}

/// A spectrum without κ (identity, a file's eigenvalues): the default κ sweep is one point, and
/// several κ given on purpose are refused, naming --kappa (issue 17).
#[test]
fn a_spectrum_without_kappa_runs_one_kappa() {
    let out = scratch("kappa-free");
    let eigs = out.join("eigs.txt");
    std::fs::write(&eigs, "1\n2\n4\n").unwrap();
    let spectrum = format!("file:{}", eigs.display());
    let o = verify(&[
        "single-index",
        "--spectrum",
        &spectrum,
        "--theory-only",
        "--format",
        "csv",
        "--out",
        out.join("a").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().count(),
        3,
        "header + sgd + kfac: {}",
        stdout(&o)
    );
    for spectrum in [spectrum.as_str(), "identity"] {
        let o = verify(&[
            "single-index",
            "--spectrum",
            spectrum,
            "--kappa",
            "1,5",
            "--theory-only",
            "--out",
            out.join("b").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("--kappa"), "{}", stderr(&o));
    }
    std::fs::remove_dir_all(out).ok();
}

/// `linear-rep contraction --help` states the allowance the verdict uses.
#[test]
fn contraction_help_states_the_rate_allowance() {
    let o = verify(&["linear-rep", "contraction", "--help"]);
    let want = format!(
        "allowance {:e}",
        sims::linear_rep::population::RATE_TOLERANCE
    );
    assert!(stdout(&o).contains(&want), "{want} not in:\n{}", stdout(&o));
}

/// One meaning per flag across commands: every command's --quiet says the same, and the number
/// of independent runs is --trials everywhere (linear-rep's old --replicates still parses).
#[test]
fn shared_flags_mean_the_same_everywhere() {
    let commands: [&[&str]; 9] = [
        &["single-index"],
        &["audit"],
        &["spectrum"],
        &["spike"],
        &["phase"],
        &["linear-rep"],
        &["linear-rep", "contraction"],
        &["reproduce"],
        &["run"],
    ];
    for c in commands {
        let o = verify(&[c, &["--help"]].concat());
        let help = stdout(&o);
        let quiet: Vec<&str> = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("--quiet"))
            .take(2)
            .collect();
        assert!(
            quiet
                .join(" ")
                .contains("No progress bar or progress notes on stderr"),
            "{c:?}: {quiet:?}"
        );
        let has_trials = help.lines().any(|l| l.trim_start().starts_with("--trials"));
        let expect_trials = !matches!(c, ["spectrum"] | ["run"]);
        assert_eq!(has_trials, expect_trials, "{c:?} --trials");
        assert!(
            !help
                .lines()
                .any(|l| l.trim_start().starts_with("--replicates")),
            "{c:?} still has a --replicates flag"
        );
        // What goes to stdout is --format wherever a command prints rows (reproduce runs several
        // commands and prints each one's table); the simulation level is --level, never --network.
        let has_format = help.lines().any(|l| l.trim_start().starts_with("--format"));
        assert_eq!(has_format, !matches!(c, ["reproduce"]), "{c:?} --format");
        assert!(!help.contains("--network"), "{c:?} has a --network flag");
        // κ flags take the RANGE grammar in both linear-rep commands.
        for flag in ["--kappa-head", "--kappa-sigma"] {
            if let Some(l) = help.lines().find(|l| l.trim_start().starts_with(flag)) {
                assert!(l.contains("<RANGE>"), "{c:?}: {l}");
            }
        }
    }
    let o = verify(&["linear-rep", "--kappa-head", "1,10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--kappa-head") && stderr(&o).contains("linear-rep contraction"));
}

/// `verify run FILE --format csv` prints the rows as CSV whatever the file says.
#[test]
fn run_takes_format_like_the_other_commands() {
    let dir = scratch("run-format");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sweep.toml");
    std::fs::write(
        &file,
        "kappa = \"1,2\"\ntheory-only = true\nformat = \"json\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = verify(&[
        "run",
        file.to_str().unwrap(),
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("spectrum,kappa,psi"), "{text}");
    assert_eq!(text.lines().count(), 1 + 4, "header and 2 κ × 2 methods");
    std::fs::remove_dir_all(dir).ok();
}
