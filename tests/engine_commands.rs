//! Every Monte Carlo command runs through the engine's checkpoint: `spike` and
//! `linear-rep contraction`, killed with SIGKILL mid-run and resumed, write the same files as an
//! uninterrupted run; contraction run as two shards and merged equals the unsharded run.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn spike_resumes_after_kill() {
    let base = scratch("spike-resume");
    let args = [
        "spike",
        "--d",
        "200,400,800",
        "--trials",
        "12",
        "--quiet",
        "--format",
        "none",
    ];
    kill_and_resume(
        &base,
        &args,
        36,
        6,
        &["spike.csv", "spike.json", "spike.svg"],
    );
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

const CONTRACTION: [&str; 10] = [
    "linear-rep",
    "contraction",
    "--kappa-head",
    "1,3,10",
    "--kappa-sigma",
    "1,10",
    "--trials",
    "20",
    "--quiet",
    "--format=none",
];
const CONTRACTION_FILES: [&str; 4] = [
    "contraction.csv",
    "contraction.json",
    "contraction.svg",
    "report.md",
];

#[test]
fn contraction_resumes_after_kill() {
    let base = scratch("contraction-resume");
    kill_and_resume(&base, &CONTRACTION, 120, 20, &CONTRACTION_FILES);
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

#[test]
fn contraction_shards_merge_into_the_unsharded_output() {
    let base = scratch("contraction-shards");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let o = verify(&[&CONTRACTION[..], &["--out", &dir("whole")]].concat());
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    for i in 0..2 {
        let shard = format!("{i}/2");
        let o = verify(
            &[
                &CONTRACTION[..],
                &["--shard", &shard, "--out", &dir(&format!("s{i}"))],
            ]
            .concat(),
        );
        assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
        assert!(!base.join(format!("s{i}/contraction.csv")).exists());
    }
    let o = verify(&[
        "merge",
        &dir("s0"),
        &dir("s1"),
        "--out",
        &dir("merged"),
        "--format",
        "none",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    assert_same(
        &CONTRACTION_FILES,
        &base.join("whole"),
        &base.join("merged"),
    );
    // Merging into one of the shard folders is refused.
    let o = verify(&["merge", &dir("s0"), &dir("s1"), "--out", &dir("s0")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

/// A `file:` spectrum is fingerprinted: after the file changes, resume, merge and re-running the
/// result JSON are refused (exit 2, naming the file) instead of mixing old and new results; the
/// recorded command names the file by its absolute path, so the JSON re-runs from anywhere.
#[test]
fn a_changed_spectrum_file_is_refused_by_resume_merge_and_rerun() {
    let base = scratch("input-hash");
    let eigs = base.join("eigs.txt");
    std::fs::write(&eigs, "1\n1\n4\n4\n").unwrap();
    let spectrum = format!("file:{}", eigs.display());
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let sweep = [
        "single-index",
        "--spectrum",
        &spectrum,
        "--kappa",
        "1",
        "--psi",
        "2",
        "--level",
        "direction",
        "--d",
        "60",
        "--trials",
        "6",
        "--quiet",
        "--format",
        "none",
    ];
    let run = |extra: &[&str]| verify(&[&sweep[..], extra].concat());
    assert!(matches!(
        run(&["--out", &dir("whole")]).status.code(),
        Some(0 | 4)
    ));
    for i in 0..2 {
        let o = run(&[
            "--shard",
            &format!("{i}/2"),
            "--out",
            &dir(&format!("s{i}")),
        ]);
        assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    }
    // Unchanged: the result JSON re-runs from another directory to the same CSV.
    let json = base.join("whole/single_index.json");
    let o = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args([
            "run",
            json.to_str().unwrap(),
            "--out",
            &dir("rerun"),
            "--quiet",
        ])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    assert_same(
        &["single_index.csv"],
        &base.join("whole"),
        &base.join("rerun"),
    );
    // The recorded hash is that of the file's content (the bytes the run parsed).
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        record["inputs"][0]["sha256"],
        // SHA-256 of "1\n1\n4\n4\n" (sha256sum).
        "8b9647d52151e1fa17928f5578575ee467433732aec3df6a6a829ad94912be36"
    );
    // A result JSON whose record of the spectrum's hash was removed or is malformed is not
    // re-run as "exactly" the recorded run: refused, naming the spectrum file.
    for (name, inputs) in [
        ("no-inputs.json", None),
        ("bad-inputs.json", Some(serde_json::json!([{ "path": 1 }]))),
    ] {
        let mut v = record.clone();
        match inputs {
            None => v.as_object_mut().unwrap().remove("inputs"),
            Some(x) => v.as_object_mut().unwrap().insert("inputs".into(), x),
        };
        let altered = base.join(name);
        std::fs::write(&altered, v.to_string()).unwrap();
        let o = verify(&["run", altered.to_str().unwrap(), "--out", &dir("rerun3")]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains("eigs.txt"), "{name}: {}", stderr(&o));
        assert!(!base.join("rerun3").exists(), "{name}: nothing is run");
    }

    std::fs::write(&eigs, "1\n1\n9\n9\n").unwrap();
    let refused = |o: std::process::Output, what: &str| {
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains("eigs.txt"), "{what}: {}", stderr(&o));
    };
    refused(run(&["--out", &dir("whole"), "--resume"]), "resume");
    refused(
        verify(&["merge", &dir("s0"), &dir("s1"), "--out", &dir("merged")]),
        "merge",
    );
    refused(
        verify(&["run", json.to_str().unwrap(), "--out", &dir("rerun2")]),
        "run",
    );
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

/// A damaged checkpoint is refused with the file named, never used and never a panic (issue 15):
/// a unit with too few values, a unit recorded twice with different values, a garbled line (with
/// its line number), and a shard holding a unit of another shard.
#[test]
fn damaged_checkpoints_are_refused_by_resume_and_merge() {
    let base = scratch("damaged");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let sweep = [
        "single-index",
        "--kappa",
        "1,5",
        "--level",
        "direction",
        "--d",
        "40",
        "--trials",
        "4",
        "--quiet",
        "--format",
        "none",
    ];
    let run = |extra: &[&str]| verify(&[&sweep[..], extra].concat());
    assert!(matches!(
        run(&["--out", &dir("w")]).status.code(),
        Some(0 | 4)
    ));
    let log = base.join("w/units.jsonl");
    let original = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let rewrite = |body: Vec<String>| {
        std::fs::write(
            &log,
            body.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap()
    };
    let mut cases: Vec<(Vec<String>, i32, &str)> = Vec::new();
    // Too few values: drop the last of the line's bits.
    let mut short: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let cut = short[2].rfind(',').unwrap();
    short[2] = format!("{}]}}", &short[2][..cut]);
    cases.push((short, 2, "values"));
    // The same unit twice with different values.
    let mut twice: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let changed = twice[1].replacen("[4", "[3", 1);
    assert_ne!(changed, twice[1]);
    twice.push(changed);
    cases.push((twice, 2, "twice"));
    // A garbled middle line.
    let mut garbled: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    garbled[3] = "{\"point\":".into();
    // (exit 2 like every other damaged line: one rule for checkpoint lines, issue 9)
    cases.push((garbled, 2, "line 4"));
    for (body, code, word) in cases {
        rewrite(body);
        let o = run(&["--out", &dir("w"), "--resume"]);
        assert_eq!(o.status.code(), Some(code), "{word}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(word) && stderr(&o).contains("units.jsonl"),
            "{}",
            stderr(&o)
        );
    }
    // A shard folder holding a unit of the other shard.
    for i in 0..2 {
        let o = run(&[
            "--shard",
            &format!("{i}/2"),
            "--out",
            &dir(&format!("s{i}")),
        ]);
        assert!(matches!(o.status.code(), Some(0 | 4)));
    }
    let s0 = base.join("s0/units.jsonl");
    let other = std::fs::read_to_string(base.join("s1/units.jsonl")).unwrap();
    let foreign = other.lines().nth(1).unwrap();
    let mut text = std::fs::read_to_string(&s0).unwrap();
    text.push_str(&format!("{foreign}\n"));
    std::fs::write(&s0, text).unwrap();
    let o = verify(&["merge", &dir("s0"), &dir("s1"), "--out", &dir("m")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("does not belong"), "{}", stderr(&o));
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

/// A long single-index sweep (`trials` per point) started into `out` in the background, and
/// the moment `ready` holds (polled, at most a minute).
fn start_sweep(out: &Path, trials: &str, ready: impl Fn() -> bool) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(LONG_SWEEP)
        .args(["--trials", trials, "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}

const LONG_SWEEP: [&str; 9] = [
    "single-index",
    "--kappa",
    "1..3",
    "--d",
    "200",
    "--quiet",
    "--format",
    "none",
    "--seed=0",
];

/// Two runs into one `--out`: the second is refused while the first runs (exit 2, naming the
/// folder and the other process), the first finishes untouched, and the lock goes with it.
#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let base = scratch("lock");
    let out = base.join("o");
    let lock = out.join(".verify.lock");
    let first = start_sweep(&out, "200", || {
        std::fs::read_to_string(&lock).is_ok_and(|s| !s.is_empty())
    });
    let sweep = [&LONG_SWEEP[..], &["--trials", "200"]].concat();
    let second = verify(&[&sweep[..], &["--out", out.to_str().unwrap()]].concat());
    let first = first.wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(stderr(&second).contains("in use"), "{}", stderr(&second));
    assert!(
        matches!(first.status.code(), Some(0 | 1 | 4)),
        "{}",
        stderr(&first)
    );
    assert!(out.join("single_index.csv").exists());
    // The lock went with the first run: a third run goes ahead.
    let third = verify(&[&sweep[..], &["--out", out.to_str().unwrap(), "--resume"]].concat());
    assert!(
        matches!(third.status.code(), Some(0 | 1 | 4)),
        "{}",
        stderr(&third)
    );
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

/// Ctrl-C (SIGINT) mid-run: exit 130, the message says that --resume continues, the folder is
/// released, and the resumed run finishes.
#[test]
fn ctrl_c_says_resume_continues_and_releases_the_folder() {
    let base = scratch("sigint");
    let out = base.join("o");
    let log = out.join("units.partial.jsonl");
    let child = start_sweep(&out, "300", || lines(&log) >= 20);
    let sweep = [&LONG_SWEEP[..], &["--trials", "300"]].concat();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert!(lines(&log) < 901, "the interrupt must land mid-run");
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    let o = verify(&[&sweep[..], &["--out", out.to_str().unwrap(), "--resume"]].concat());
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    if base.exists() {
        assert_clean_figures(&base);
    }
    std::fs::remove_dir_all(base).ok();
}

/// A small readout run (two κ at d = 40, 8 trials: about a second).
const READOUT: [&str; 11] = [
    "readout", "--d", "40", "--trials", "8", "--kappa", "1,4", "--quiet", "--format", "none",
    "--seed=3",
];
const READOUT_FILES: [&str; 5] = [
    "readout.csv",
    "readout.json",
    "readout_kappa.svg",
    "report.md",
    "units.jsonl",
];

/// `verify readout` is a full member of the sharded path: its shards merge (`verify merge`, which
/// reads the command back from the shards) into exactly the files of the unsharded run, `verify
/// status` reads its folders, and `verify run` re-runs its result JSON to the same files.
#[test]
fn readout_shards_merge_into_the_unsharded_output() {
    let base = scratch("readout-shards");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let o = verify(&[&READOUT[..], &["--out", &dir("whole")]].concat());
    let code = o.status.code();
    assert!(matches!(code, Some(0 | 1 | 4)), "{}", stderr(&o));
    for i in 0..2 {
        let shard = format!("{i}/2");
        let o = verify(
            &[
                &READOUT[..],
                &["--shard", &shard, "--out", &dir(&format!("s{i}"))],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!base.join(format!("s{i}/readout.csv")).exists());
    }
    let st = verify(&["status", &dir("s1")]);
    assert_eq!(st.status.code(), Some(0), "{}", stderr(&st));
    assert!(
        stdout(&st).contains("shard 1/2: 16/16 units, finished"),
        "{}",
        stdout(&st)
    );
    assert!(
        stdout(&st).contains("command: verify readout --kappa 1,4"),
        "{}",
        stdout(&st)
    );
    let o = verify(&[
        "merge",
        &dir("s0"),
        &dir("s1"),
        "--out",
        &dir("merged"),
        "--format",
        "none",
    ]);
    assert_eq!(o.status.code(), code, "{}", stderr(&o));
    assert_same(&READOUT_FILES, &base.join("whole"), &base.join("merged"));
    let st = verify(&["status", &dir("merged")]);
    assert!(
        stdout(&st).contains("run: 32/32 units, finished"),
        "{}",
        stdout(&st)
    );
    // The result JSON records the canonical command: it re-runs to the same files.
    let json = base.join("whole/readout.json");
    let o = verify(&[
        "run",
        json.to_str().unwrap(),
        "--out",
        &dir("rerun"),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), code, "{}", stderr(&o));
    assert_same(&READOUT_FILES, &base.join("whole"), &base.join("rerun"));
    std::fs::remove_dir_all(base).ok();
}

/// A refused merge creates no output folder (not even one holding only the lock), and a merge
/// whose recorded input file was deleted says the file is missing (exit 2), for single-index and
/// readout shards alike.
#[test]
fn refused_merges_leave_no_folder_and_name_a_missing_input() {
    let base = scratch("merge-refused");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let eigs = base.join("eigs.txt");
    let spectrum = format!("file:{}", eigs.display());
    let commands: [&[&str]; 2] = [
        &[
            "single-index",
            "--psi",
            "2",
            "--level",
            "direction",
            "--d",
            "60",
            "--trials",
            "6",
        ],
        &["readout", "--d", "40", "--trials", "6"],
    ];
    for (n, command) in commands.iter().enumerate() {
        std::fs::write(&eigs, "1\n1\n4\n4\n").unwrap();
        let shards = [dir(&format!("{n}-s0")), dir(&format!("{n}-s1"))];
        for (i, s) in shards.iter().enumerate() {
            let shard = format!("{i}/2");
            let extra = [
                "--spectrum",
                &spectrum,
                "--quiet",
                "--format",
                "none",
                "--shard",
                &shard,
                "--out",
                s,
            ];
            let o = verify(&[command, &extra[..]].concat());
            assert_eq!(o.status.code(), Some(0), "{command:?}: {}", stderr(&o));
        }
        // A missing shard: refused, and --out is never created.
        let out = base.join(format!("{n}-merged"));
        let o = verify(&["merge", &shards[0], "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{command:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("missing shards 1/2"), "{}", stderr(&o));
        assert!(
            !out.exists(),
            "{command:?}: a refused merge left {}",
            out.display()
        );
        // The spectrum file deleted: named as missing, exit 2, no folder.
        std::fs::remove_file(&eigs).unwrap();
        let o = verify(&[
            "merge",
            &shards[0],
            &shards[1],
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{command:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("eigs.txt") && e.contains("is missing"),
            "{command:?}: {e}"
        );
        assert!(!e.contains("cannot write"), "{command:?}: {e}");
        assert!(
            !out.exists(),
            "{command:?}: a refused merge left {}",
            out.display()
        );
    }
    std::fs::remove_dir_all(base).ok();
}

/// `verify run spike.json` re-runs the recorded spike command to the same files (it was refused
/// as "not a single-index or linear-rep run").
#[test]
fn a_spike_result_json_reruns_to_the_same_files() {
    let base = scratch("spike-rerun");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let spike = ["spike", "--d", "100,200", "--trials", "4", "--quiet"];
    let o = verify(&[&spike[..], &["--format", "none", "--out", &dir("a")]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = base.join("a/spike.json");
    let o = verify(&["run", json.to_str().unwrap(), "--out", &dir("b"), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_same(
        &["spike.csv", "spike.json"],
        &base.join("a"),
        &base.join("b"),
    );
    std::fs::remove_dir_all(base).ok();
}
