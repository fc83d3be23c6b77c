//! Long-sweep reliability as a user meets it: a run killed with SIGKILL and resumed, a 3-way
//! sharded run merged, experiment files — each compared byte for byte with the plain run.

mod common;
use common::*;
use std::path::Path;

const RESULT_FILES: [&str; 4] = [
    "single_index.csv",
    "single_index.json",
    "single_index_kappa.svg",
    "report.md",
];

fn assert_same_results(a: &Path, b: &Path) {
    assert_same(&RESULT_FILES, a, b);
}

#[test]
fn killed_run_resumes_to_identical_output() {
    let base = scratch("resume");
    let cut = base.join("cut");
    let sweep = [
        "single-index",
        "--kappa",
        "1..3",
        "--d",
        "200",
        "--trials",
        "300",
        "--quiet",
    ];
    // SIGKILL once 49 of the 900 units are logged, then --resume: the same files.
    kill_and_resume(&base, &sweep, 900, 49, &RESULT_FILES);

    // --resume refuses a folder that holds another run.
    let o = verify(&[
        "single-index",
        "--kappa",
        "1..4",
        "--d",
        "200",
        "--trials",
        "300",
        "--quiet",
        "--resume",
        "--out",
        cut.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--resume") && stderr(&o).contains("different run"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(base).ok();
}

#[test]
fn three_shards_merge_into_the_unsharded_output() {
    let base = scratch("shards");
    let sweep = [
        "single-index",
        "--kappa",
        "1..4",
        "--psi",
        "1.5",
        "--d",
        "80",
        "--trials",
        "10",
        "--level",
        "direction",
        "--quiet",
    ];
    let whole = base.join("whole");
    verify(&[&sweep[..], &["--out", whole.to_str().unwrap()]].concat());
    let shard_dirs: Vec<String> = (0..3)
        .map(|i| base.join(format!("s{i}")).display().to_string())
        .collect();
    for (i, dir) in shard_dirs.iter().enumerate() {
        let spec = format!("{i}/3");
        let o = verify(&[&sweep[..], &["--shard", &spec, "--out", dir]].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            !Path::new(dir).join("single_index.csv").exists(),
            "a shard writes only its units"
        );
    }
    let merged = base.join("merged");
    let o = verify(&[
        "merge",
        &shard_dirs[0],
        &shard_dirs[1],
        &shard_dirs[2],
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert_same_results(&whole, &merged);

    let bad_out = base.join("bad").display().to_string();
    let merge_err = |dirs: &[&str]| {
        let mut args = vec!["merge"];
        args.extend_from_slice(dirs);
        args.extend(["--out", bad_out.as_str()]);
        let o = verify(&args);
        assert_eq!(o.status.code(), Some(2), "{dirs:?}");
        stderr(&o)
    };
    assert!(merge_err(&[&shard_dirs[0], &shard_dirs[2]]).contains("missing shards 1/3"));
    assert!(merge_err(&[
        &shard_dirs[0],
        &shard_dirs[0],
        &shard_dirs[1],
        &shard_dirs[2]
    ])
    .contains("given twice"));
    // A shard of another configuration (different seed) is refused.
    let other = base.join("other").display().to_string();
    verify(
        &[
            &sweep[..],
            &["--shard", "1/3", "--seed", "9", "--out", &other],
        ]
        .concat(),
    );
    assert!(merge_err(&[&shard_dirs[0], &other, &shard_dirs[2]]).contains("different run"));
    // An unfinished shard (its log cut short) is refused.
    let log = Path::new(&shard_dirs[2]).join("units.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let keep: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&log, keep.join("\n") + "\n").unwrap();
    assert!(merge_err(&[&shard_dirs[0], &shard_dirs[1], &shard_dirs[2]]).contains("unfinished"));
    std::fs::remove_dir_all(base).ok();
}

#[test]
fn experiment_files_and_result_files_rerun_exactly() {
    let base = scratch("runfile");
    let direct = base.join("direct");
    verify(&[
        "single-index",
        "--kappa",
        "1..3",
        "--psi",
        "0.5,2",
        "--spectrum",
        "geometric",
        "--d",
        "60",
        "--trials",
        "5",
        "--level",
        "direction",
        "--quiet",
        "--out",
        direct.to_str().unwrap(),
    ]);
    let toml = base.join("sweep.toml");
    std::fs::write(
        &toml,
        format!(
            "# a sweep as a file\nkappa = \"1..3\"\npsi = [0.5, 2]\nspectrum = \"geometric\"\nd = 60\ntrials = 5\nlevel = \"direction\"\nquiet = true\nout = \"{}\"\n",
            base.join("from-toml").display()
        ),
    )
    .unwrap();
    let o = verify(&["run", toml.to_str().unwrap()]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert_same_results_csv_json(&direct, &base.join("from-toml"));
    let o = verify(&[
        "run",
        direct.join("single_index.json").to_str().unwrap(),
        "--out",
        base.join("rerun").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    assert_same_results_csv_json(&direct, &base.join("rerun"));
    // A bad key is a usage error naming the flag.
    std::fs::write(&toml, "kappa = \"1..3\"\nbogus = 3\n").unwrap();
    let o = verify(&["run", toml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--bogus"), "{}", stderr(&o));
    // A relative `out` is relative to the file (the test runs from the crate folder).
    std::fs::write(
        &toml,
        "kappa = \"2\"\ntheory-only = true\nquiet = true\nout = \"beside\"\n",
    )
    .unwrap();
    let o = verify(&["run", toml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(base.join("beside/single_index.csv").exists());
    // An empty file is refused, not run as the default sweep.
    std::fs::write(&toml, "# nothing\n").unwrap();
    let o = verify(&["run", toml.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("sets nothing"), "{}", stderr(&o));
    std::fs::remove_dir_all(base).ok();
}

fn assert_same_results_csv_json(a: &Path, b: &Path) {
    for f in [
        "single_index.csv",
        "single_index.json",
        "single_index_kappa.svg",
        "single_index_psi.svg",
    ] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
}
