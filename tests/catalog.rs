//! `verify catalog` as a user meets it: the listing names every entry with its source, an entry's
//! wrong formula is called wrong (exit 1), and bad names are refused (exit 2). The entries' own
//! verdicts and formulas are tested in the catalog crate (catalog/tests).

mod common;
use common::*;

#[test]
fn the_listing_names_every_entry_with_its_source_and_measurement() {
    let o = verify(&["catalog", "--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for e in catalog::entries() {
        assert!(text.contains(&format!("{}\n  formula:", e.name)), "{text}");
        assert!(text.contains(e.source), "{text}");
        assert!(text.contains(e.measures), "{text}");
    }
}

#[test]
fn a_wrong_formula_is_called_wrong_and_the_summary_says_so() {
    let base = scratch("catalog-wrong");
    let out = base.join("c");
    let o = verify(&[
        "catalog",
        "wigner",
        "--wrong",
        "--trials",
        "40",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("wrong variants"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("wigner") && l.contains("DISAGREE")),
        "{text}"
    );
    assert!(out.join("wigner").is_dir());
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn unknown_or_repeated_entries_are_refused_naming_the_allowed_ones() {
    let base = scratch("catalog-bad");
    let out = base.join("c");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["catalog", "marchenko"], "allowed: marchenko-pastur"),
        (vec!["catalog", "ridge", "ridge"], "named twice"),
        (vec!["catalog", "--shard", "0/2"], "give one ENTRY"),
        (vec!["catalog", "wigner", "--trials", "1"], "--trials"),
        (vec!["catalog", "wigner", "--size", "0.1"], "--size"),
        (vec!["catalog", "wigner", "--size", "inf"], "--size"),
        (vec!["catalog", "wigner", "--extrapolate"], "--size K"),
    ] {
        let mut a = args.clone();
        a.extend(["--out", out]);
        let o = verify(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    assert!(!base.join("c").exists(), "a refused run wrote results");
    std::fs::remove_dir_all(&base).ok();
}

/// `verify catalog …` as a user's script drives it: shards written with --shard merge with
/// `--merge SHARD…` into the unsharded run's files; `--format json` prints one parsable summary;
/// a closed pipe ends the output quietly; a refused merge leaves no folder.
#[test]
fn shards_merge_json_parses_and_a_closed_pipe_is_quiet() {
    let base = scratch("catalog-shards");
    let p = |name: &str| base.join(name).to_str().unwrap().to_string();
    let run = |extra: &[&str]| {
        let mut a = vec![
            "catalog", "wigner", "--trials", "20", "--seed", "3", "--quiet",
        ];
        a.extend(extra);
        verify(&a)
    };
    for (i, dir) in ["s0", "s1"].iter().enumerate() {
        let o = run(&["--shard", &format!("{i}/2"), "--out", &p(dir)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = run(&[
        "--merge",
        &p("s0"),
        &p("s1"),
        "--out",
        &p("m"),
        "--format",
        "json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON value");
    assert_eq!(summary[0]["entry"], "wigner");
    assert_eq!(
        run(&["--out", &p("w"), "--format", "none"]).status.code(),
        o.status.code()
    );
    for part in ["wigner-resolvent", "wigner-edges"] {
        let f = format!("wigner/{part}/{part}.csv");
        assert_same(&[f.as_str()], &base.join("m"), &base.join("w"));
    }
    // Another seed than the shards': refused, and no folder is left.
    let o = verify(&[
        "catalog",
        "wigner",
        "--trials",
        "20",
        "--seed",
        "4",
        "--merge",
        &p("s0"),
        &p("s1"),
        "--out",
        &p("m2"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!base.join("m2").exists());
    // A closed pipe: the run finishes, exit code of its verdict, no panic.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(["catalog", "wigner", "--trials", "4", "--out", &p("pipe")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once, like `| head -0`
    let o = child.wait_with_output().unwrap();
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    std::fs::remove_dir_all(&base).ok();
}

/// --resume after an interrupted run into a folder that held an earlier run: parts the
/// interrupted run had not reached start afresh instead of refusing (and the folder ends as the
/// new run's, like an uninterrupted run).
#[test]
fn resume_over_an_earlier_run_finishes_the_new_one() {
    let base = scratch("catalog-resume");
    let out = base.join("k");
    let o = out.to_str().unwrap();
    let run = |seed: &str, extra: &[&str]| {
        let mut a = vec![
            "catalog", "wigner", "--trials", "20", "--quiet", "--format", "none",
        ];
        a.extend(["--seed", seed, "--out", o]);
        a.extend(extra);
        verify(&a)
    };
    assert_eq!(run("1", &[]).status.code(), Some(4));
    // The interrupted run: its first part's checkpoint only (the second part never started).
    let first = out.join("wigner/wigner-resolvent");
    std::fs::remove_dir_all(&first).unwrap();
    let fresh = base.join("fresh");
    let f = fresh.to_str().unwrap();
    let whole = verify(&[
        "catalog", "wigner", "--trials", "20", "--quiet", "--format", "none", "--seed", "9",
        "--out", f,
    ]);
    std::fs::create_dir_all(&first).unwrap();
    let units = fresh.join("wigner/wigner-resolvent/units.jsonl");
    let text = std::fs::read_to_string(units).unwrap();
    let half: Vec<&str> = text.lines().take(30).collect();
    std::fs::write(first.join("units.partial.jsonl"), half.join("\n") + "\n").unwrap();
    let r = run("9", &["--resume"]);
    assert_eq!(r.status.code(), whole.status.code(), "{}", stderr(&r));
    for part in ["wigner-resolvent", "wigner-edges"] {
        let f = format!("wigner/{part}/{part}.csv");
        assert_same(&[f.as_str()], &out, &fresh);
    }
    std::fs::remove_dir_all(&base).ok();
}

/// `--size K` multiplies every entry's dimension axis d: the wigner resolvent's d = 400 is run
/// (and recorded) as 200 at K = 0.5, and its edges' d = 200 as 100.
#[test]
fn size_scales_every_entrys_dimension() {
    let base = scratch("catalog-size");
    let out = base.join("s");
    let o = verify(&[
        "catalog",
        "wigner",
        "--size",
        "0.5",
        "--theory-only",
        "--quiet",
        "--format",
        "none",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (part, d) in [("wigner-resolvent", "200"), ("wigner-edges", "100")] {
        let csv = std::fs::read_to_string(out.join(format!("wigner/{part}/{part}.csv"))).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "d").unwrap();
        for line in csv.lines().skip(1) {
            assert_eq!(line.split(',').nth(col), Some(d), "{part}: {line}");
        }
    }
    std::fs::remove_dir_all(&base).ok();
}
