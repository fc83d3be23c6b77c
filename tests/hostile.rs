//! Hostile input, round 2 (issue 29): each class of failure a hostile user found, as the user
//! meets it — the exit code, the message naming the flag or path, and nothing written where
//! nothing should be.

mod common;
use common::*;

/// Exit code and stderr of `verify args` run from `cwd`.
fn verify_in(cwd: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    (o.status.code(), stderr(&o))
}

/// Class 3: publishing replaces `--out` whole, so an `--out` that is the working folder, one
/// holding it, `/`, the home folder or empty is refused before anything runs, and the folder
/// (with the user's files) is untouched.
#[test]
fn an_out_that_would_pull_a_folder_from_under_the_user_is_refused() {
    let base = scratch("hostile-out");
    let cwd = base.join("work");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(cwd.join("notes.txt"), "mine").unwrap();
    let home = std::env::var("HOME").unwrap_or("/root".into());
    for out in [".", "..", "/", home.as_str(), "./sub/../.."] {
        let (code, err) = verify_in(
            &cwd,
            &[
                "single-index",
                "--theory-only",
                "--kappa",
                "1",
                "--out",
                out,
            ],
        );
        assert_eq!(code, Some(2), "--out {out}: {err}");
        assert!(err.contains("--out"), "--out {out}: {err}");
    }
    let names: Vec<String> = std::fs::read_dir(&cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"], "the working folder was written into");
    // An experiment file whose out is empty would name the file's own folder.
    let toml = cwd.join("x.toml");
    std::fs::write(&toml, "kappa = \"1\"\ntheory_only = true\nout = \"\"\n").unwrap();
    let (code, err) = verify_in(&base, &["run", toml.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("out = \"\""), "{err}");
    // A folder inside the working folder is fine.
    let (code, err) = verify_in(
        &cwd,
        &[
            "single-index",
            "--theory-only",
            "--kappa",
            "1",
            "--out",
            "r",
            "--format",
            "none",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    std::fs::remove_dir_all(&base).ok();
}

/// Class 5: counts the user controls are refused before anything is allocated (these once
/// panicked on a capacity overflow or aborted on an 800 GB allocation).
#[test]
fn unbounded_counts_are_refused_naming_the_flag() {
    let out = scratch("hostile-counts");
    let o = out.to_str().unwrap();
    // One coefficient more than theory::MAX_HERMITE_TERMS.
    let hermite_65 = format!("hermite:{}", vec!["1"; 65].join(","));
    for args in [
        vec![
            "single-index",
            "--kappa",
            "1..10/18446744073709551615",
            "--theory-only",
        ],
        vec![
            "single-index",
            "--kappa",
            "1..10/100000000000",
            "--theory-only",
        ],
        vec!["single-index", "--psi", "1..2:1e-300", "--theory-only"],
        vec![
            "single-index",
            "--lambda",
            "0..1/100000000000",
            "--theory-only",
        ],
        vec![
            "single-index",
            "--d",
            "2..100000/100000000000",
            "--theory-only",
        ],
        vec!["readout", "--kappa", "1..10/100000000000", "--theory-only"],
        vec![
            "single-index",
            "--kappa",
            "1..1000",
            "--trials",
            "100000",
            "--d",
            "10",
        ],
        vec!["single-index", "--activation", &hermite_65, "--theory-only"],
    ] {
        let mut a = args.clone();
        a.extend(["--out", o]);
        let r = verify(&a);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_dir_all(&out).ok();
}

/// Class 7: a repeated RANGE value would be one grid point judged (and counted by Holm's
/// correction) twice, and three equal d make a singular fit: refused, naming the value.
#[test]
fn repeated_values_are_refused() {
    let out = scratch("hostile-repeats");
    let o = out.to_str().unwrap();
    for (flag, value) in [
        ("--d", "50,50,50"),
        ("--kappa", "2,1,2"),
        ("--psi", "1..1/3"),
    ] {
        let r = verify(&[
            "single-index",
            flag,
            value,
            "--extrapolate",
            "--trials",
            "2",
            "--out",
            o,
        ]);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(
            err.contains(flag) && err.contains("more than once"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&out).ok();
}

/// Class 9: a formula that overflows is a numerical failure (exit 3, saying what overflowed),
/// never a table of empty rows with exit 0 — in `readout` (a check on the engine) as in
/// `single-index`.
#[test]
fn a_numerical_failure_is_never_shown_as_success() {
    let out = scratch("hostile-numerical");
    let o = out.to_str().unwrap();
    for args in [
        vec![
            "readout",
            "--theory-only",
            "--activation",
            "hermite:0,1e308",
        ],
        vec![
            "readout",
            "--theory-only",
            "--no-normalize",
            "--kappa",
            "1e300",
        ],
        vec![
            "single-index",
            "--theory-only",
            "--no-normalize",
            "--kappa",
            "1e300",
        ],
    ] {
        let mut a = args.clone();
        a.extend(["--out", o]);
        let r = verify(&a);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains("overflowed"), "{args:?}: {err}");
        assert!(!out.join("readout.csv").exists() && !out.join("single_index.csv").exists());
    }
    std::fs::remove_dir_all(&out).ok();
}

/// Class 12: messages point at the cause.
#[test]
fn messages_point_at_the_cause() {
    let base = scratch("hostile-messages");
    let o = base.join("o");
    let o = o.to_str().unwrap();
    // An unnormalised κ saturates the student: the message blames --kappa, not --student.
    let r = verify(&[
        "readout",
        "--no-normalize",
        "--kappa",
        "1e300",
        "--d",
        "40",
        "--trials",
        "4",
        "--out",
        o,
    ]);
    let err = stderr(&r);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--kappa") && err.contains("--no-normalize"),
        "{err}"
    );
    // --step must be > 0: the message says so.
    let r = verify(&["readout", "--step", "-1", "--out", o]);
    assert!(stderr(&r).contains("must be > 0"), "{}", stderr(&r));
    // TOML: a switch's value for a flag that takes one, and the reverse, name the key.
    for (line, needle) in [
        ("kappa = true", "key 'kappa' (--kappa) takes a value"),
        (
            "theory_only = \"yes\"",
            "key 'theory_only' (--theory-only) is a switch",
        ),
    ] {
        let f = base.join("e.toml");
        std::fs::write(&f, format!("{line}\nd = \"40\"\nout = \"o2\"\n")).unwrap();
        let r = verify(&["run", f.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(2));
        assert!(stderr(&r).contains(needle), "{}", stderr(&r));
    }
    std::fs::remove_dir_all(&base).ok();
}
