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

/// A small single-index sweep (κ = 2, d = 40) into `out` with `extra` flags; its output.
fn small_sweep(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "single-index",
        "--kappa",
        "2",
        "--d",
        "40",
        "--trials",
        "4",
        "--quiet",
        "--format",
        "none",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    verify(&args)
}

/// Rewrite value `k` of the first unit line of `dir`'s checkpoint to `v` (a hand-edited shard).
fn edit_first_unit(dir: &std::path::Path, k: usize, v: f64) {
    let path = dir.join("units.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut unit: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    unit["bits"][k] = serde_json::json!(v.to_bits());
    lines[1] = unit.to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Finite but impossible recorded values (a cosine of 1.5, a value whose square overflows) are
/// refused by merge and resume with exit 2 naming the unit; no folder is left by the merge, and
/// no inf or NaN reaches a file.
#[test]
fn a_checkpoint_holding_impossible_values_is_refused() {
    let base = scratch("hostile-values");
    let (a, b) = (base.join("a"), base.join("b"));
    for (i, dir) in [&a, &b].into_iter().enumerate() {
        let r = small_sweep(dir, &["--shard", &format!("{i}/2")]);
        assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    }
    let cases = [
        (1.5, "outside [-1"),
        (1e300, "in size"),
        (-2.0, "outside [-1"),
    ];
    for (i, (v, needle)) in cases.into_iter().enumerate() {
        let edited = base.join(format!("edited-{i}"));
        std::fs::create_dir_all(&edited).unwrap();
        std::fs::copy(a.join("units.jsonl"), edited.join("units.jsonl")).unwrap();
        edit_first_unit(&edited, 0, v);
        let out = base.join(format!("merged-{i}"));
        let (e, b, o) = (
            edited.to_str().unwrap(),
            b.to_str().unwrap(),
            out.to_str().unwrap(),
        );
        let r = verify(&["merge", e, b, "--out", o]);
        assert_eq!(r.status.code(), Some(2), "value {v}: {}", stderr(&r));
        assert!(stderr(&r).contains(needle), "value {v}: {}", stderr(&r));
        assert!(!out.exists(), "a refused merge left {}", out.display());
    }
    // --resume over a finished run whose checkpoint was edited the same way.
    let whole = base.join("whole");
    assert_eq!(small_sweep(&whole, &[]).status.code(), Some(0));
    edit_first_unit(&whole, 1, 1.25);
    let r = small_sweep(&whole, &["--resume"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("no trial can give"), "{}", stderr(&r));
    std::fs::remove_dir_all(&base).ok();
}

/// A job record naming billions of shards, a malformed one, or a checkpoint header naming an
/// impossible split: `status` answers at once with exit 2 naming the file (it used to allocate
/// a status per named shard, and a malformed record read as "no jobs.json").
#[test]
fn status_reads_no_count_it_was_not_allowed() {
    let base = scratch("hostile-status");
    let out = base.join("o");
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    let record = |shards: &str| {
        format!(r#"{{"job":"1","merge_job":"2","shards":{shards},"command":["single-index"]}}"#)
    };
    for (text, needle) in [
        (record("4000000000"), "4000000000 shards"),
        (record("0"), "0 shards"),
        ("{not json".to_string(), "jobs.json is damaged"),
    ] {
        std::fs::write(out.join("slurm/jobs.json"), &text).unwrap();
        let started = std::time::Instant::now();
        let r = verify(&["status", out.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(2), "{text}: {}", stderr(&r));
        assert!(stderr(&r).contains(needle), "{text}: {}", stderr(&r));
        assert!(
            started.elapsed().as_secs() < 10,
            "{text}: status took too long"
        );
    }
    // A shard folder's checkpoint whose header names a split beyond the limit.
    std::fs::remove_file(out.join("slurm/jobs.json")).unwrap();
    let shard = out.join("shards/0");
    std::fs::create_dir_all(&shard).unwrap();
    let r = small_sweep(&shard, &["--shard", "0/2"]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let path = shard.join("units.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let mut h: serde_json::Value = serde_json::from_str(head).unwrap();
    h["shard"] = serde_json::json!([0, 4_000_000_000u64]);
    std::fs::write(&path, format!("{h}\n{rest}")).unwrap();
    let r = verify(&["status", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("names shard 0/4000000000"),
        "{}",
        stderr(&r)
    );
    // --shard itself holds K to the same limit.
    let r = verify(&[
        "single-index",
        "--shard",
        "0/10001",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("--shard"), "{}", stderr(&r));
    std::fs::remove_dir_all(&base).ok();
}

/// A TOML `out` that is not a string, and a method name with an invisible Unicode space: refused
/// with exit 2, the key or flag named and the character shown escaped.
#[test]
fn values_that_are_not_what_they_look_like_are_refused() {
    let base = scratch("hostile-kinds");
    for out in ["1", "[\"a\", \"b\"]", "2.5", "{ x = 1 }"] {
        let f = base.join("e.toml");
        std::fs::write(
            &f,
            format!("kappa = \"2\"\ntheory_only = true\nout = {out}\n"),
        )
        .unwrap();
        let r = verify(&["run", f.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(2), "out = {out}: {}", stderr(&r));
        assert!(
            stderr(&r).contains("not a folder"),
            "out = {out}: {}",
            stderr(&r)
        );
    }
    let o = base.join("o");
    for methods in ["sgd\u{85}", "\u{a0}sgd", "sgd,\u{2003}kfac"] {
        let r = verify(&[
            "single-index",
            "--theory-only",
            "--methods",
            methods,
            "--out",
            o.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(2), "{methods:?}: {}", stderr(&r));
        assert!(stderr(&r).contains("--methods"), "{}", stderr(&r));
        assert!(
            stderr(&r).contains("\\u{"),
            "the character is shown: {}",
            stderr(&r)
        );
    }
    std::fs::remove_dir_all(&base).ok();
}

/// A ψ so large that n = ψ·d saturates: the message blames --psi (and shows ψ briefly), not
/// --d; a spike check over dimensions too large for memory is refused before it starts.
#[test]
fn sizes_blame_the_flag_that_made_them() {
    let base = scratch("hostile-sizes");
    let o = base.join("o");
    let r = verify(&[
        "single-index",
        "--psi",
        "1e300",
        "--kappa",
        "2",
        "--d",
        "40",
        "--trials",
        "4",
        "--out",
        o.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("--psi: ψ = 1e300"), "{}", stderr(&r));
    let started = std::time::Instant::now();
    let r = verify(&[
        "spike",
        "--d",
        "2..100000",
        "--trials",
        "2",
        "--out",
        o.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("--d"), "{}", stderr(&r));
    assert!(started.elapsed().as_secs() < 10);
    std::fs::remove_dir_all(&base).ok();
}

/// A merge refused by the engine (readout's own --merge of another run's shards) leaves no
/// folder, not even its lock; `status` shows what files say without letting them drive the
/// terminal, and counts only the shard folders `verify slurm` names ("1", not "01" or "+1").
#[test]
fn refused_engine_merges_leave_nothing_and_status_shows_text_inertly() {
    let base = scratch("hostile-engine-merge");
    let p = |name: &str| base.join(name).to_str().unwrap().to_string();
    let readout = |extra: &[&str]| {
        let mut a = vec![
            "readout",
            "--kappa",
            "1,3",
            "--d",
            "40",
            "--trials",
            "4",
            "--methods",
            "sgd",
            "--quiet",
            "--format",
            "none",
        ];
        a.extend(extra);
        verify(&a)
    };
    for i in 0..2 {
        let o = readout(&[
            "--seed",
            "0",
            "--shard",
            &format!("{i}/2"),
            "--out",
            &p(&format!("r{i}")),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = readout(&[
        "--seed",
        "1",
        "--merge",
        &p("r0"),
        &p("r1"),
        "--out",
        &p("m"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!base.join("m").exists(), "a refused merge left its folder");
    // status: an escape sequence in the job record is shown escaped; "01" is not shard 1.
    let out = base.join("run");
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    std::fs::create_dir_all(out.join("shards/01")).unwrap();
    std::fs::write(
        out.join("slurm/jobs.json"),
        r#"{"job":"7\u001b[31mRED\nfinished","merge_job":"8","shards":2,"command":["readout"]}"#,
    )
    .unwrap();
    let o = verify(&["status", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("\\u{1b}"), "{text}");
    assert!(!text.contains("shard 01"), "{text}");
    // A shard folder holding another run is named as such, never counted as finished.
    let mixed = base.join("mixed");
    std::fs::create_dir_all(mixed.join("shards/0")).unwrap();
    std::fs::copy(
        base.join("r0/units.jsonl"),
        mixed.join("shards/0/units.jsonl"),
    )
    .unwrap();
    let o = small_sweep(&mixed.join("shards/1"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = verify(&["status", mixed.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("shard 1    ANOTHER RUN"), "{text}");
    assert!(text.contains("1 of 2 shards finished"), "{text}");
    std::fs::remove_dir_all(&base).ok();
}
