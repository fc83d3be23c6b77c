//! `verify slurm` and `verify status`. Without a cluster: the scripts `--dry-run` writes, the
//! refusals, and `status` of a sharded run. On a real single-node SLURM (`.ci/slurm-up.sh` starts
//! one; it needs root and Debian's packages): a 3-shard `--wait` run leaves the files of the
//! unsharded run byte for byte with the same exit code, and an array task requeued mid-run
//! (`scontrol requeue`) resumes its checkpoint rather than restarting. Where no cluster can be
//! started the cluster tests print SKIPPED with the reason, loudly.

mod common;

use common::{scratch, stderr, stdout, verify, verify_env};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The run: 2 κ × 2 ψ at d = 200, 12 trials (some rows inconclusive: exit 4).
const RUN: &[&str] = &[
    "single-index",
    "--kappa",
    "1,10",
    "--psi",
    "2,4",
    "--level",
    "direction",
    "--d",
    "200",
    "--trials",
    "12",
];

const RESULT_FILES: &[&str] = &[
    "single_index.csv",
    "single_index.json",
    "units.jsonl",
    "report.md",
    "single_index_kappa.svg",
    "single_index_psi.svg",
];

fn with_out(args: &[&str], out: &Path) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    v.extend(["--out".into(), out.display().to_string()]);
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}

#[test]
fn dry_run_writes_both_scripts_and_submits_nothing() {
    let base = scratch("slurm-dry");
    let out = base.join("si");
    let mut args = vec![
        "slurm",
        "--shards",
        "3",
        "--dry-run",
        "--partition",
        "short",
        "--",
    ];
    let inner = with_out(RUN, &out);
    args.extend(strs(&inner));
    // No sbatch on PATH: a dry run does not need one.
    let o = verify_env(&args, &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let array = std::fs::read_to_string(out.join("slurm/array.sbatch")).unwrap();
    let merge = std::fs::read_to_string(out.join("slurm/merge.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --array=0-2"), "{array}");
    assert!(array.contains("#SBATCH --partition=short"), "{array}");
    assert!(array.contains("--resume --shard \"$i/3\""), "{array}");
    assert!(array.contains("--d 200 --trials 12"), "{array}");
    assert!(merge.contains(" merge "), "{merge}");
    assert!(
        stdout(&o).contains("--dependency=afterok:"),
        "{}",
        stdout(&o)
    );
    assert!(!out.join("slurm/jobs.json").exists());
    // --time and --mem replace the estimate.
    let mut args = vec![
        "slurm",
        "--shards",
        "2",
        "--dry-run",
        "--time",
        "2:00:00",
        "--mem",
        "3G",
        "--",
    ];
    args.extend(strs(&inner));
    let o = verify(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let array = std::fs::read_to_string(out.join("slurm/array.sbatch")).unwrap();
    assert!(
        array.lines().any(|l| l == "#SBATCH --time=2:00:00"),
        "{array}"
    );
    assert!(array.lines().any(|l| l == "#SBATCH --mem=3G"), "{array}");
    // A command without a sharded form runs whole as one job.
    let phase_out = base.join("phase").display().to_string();
    let o = verify(&[
        "slurm",
        "--shards",
        "1",
        "--dry-run",
        "--",
        "phase",
        "--out",
        &phase_out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let job = std::fs::read_to_string(base.join("phase/slurm/job.sbatch")).unwrap();
    assert!(
        job.lines()
            .any(|l| l.ends_with(&format!("verify phase --out {phase_out}"))),
        "{job}"
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn refusals_name_the_problem() {
    let base = scratch("slurm-refuse");
    let out = base.join("x").display().to_string();
    // (command line, with OUT for the output folder; what the message must name)
    let cases = [
        (
            "slurm --shards 2 -- single-index --trials 12 --out OUT",
            "sbatch",
        ),
        (
            "slurm --shards 2 --dry-run -- phase --out OUT",
            "no sharded form",
        ),
        (
            "slurm --shards 2 --dry-run -- single-index --trials auto --out OUT",
            "--trials auto",
        ),
        (
            "slurm --shards 2 --dry-run -- single-index --shard 0/2 --out OUT",
            "--shard",
        ),
        (
            "slurm --shards 2 --dry-run -- single-index --kappa 0 --out OUT",
            "--kappa",
        ),
        (
            "slurm --shards 1 --dry-run -- merge OUT --out OUT",
            "not a run",
        ),
        ("slurm --shards 0 --dry-run -- single-index", "--shards"),
        (
            "slurm --shards 2 --dry-run --partition a;b -- single-index",
            "--partition",
        ),
        ("slurm --shards 2", "COMMAND"),
        (
            "slurm --shards 2 --dry-run -- readout --trials auto --out OUT",
            "--trials auto",
        ),
        (
            "slurm --shards 2 --dry-run -- readout --shard 1/2 --out OUT",
            "--shard",
        ),
    ];
    for (line, needle) in cases {
        let line = line.replace("OUT", &out);
        let args: Vec<&str> = line.split_whitespace().collect();
        let o = verify_env(&args, &[("PATH", "/nonexistent")]);
        assert_eq!(o.status.code(), Some(2), "{line}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{line}: {}", stderr(&o));
    }
    // An sbatch but no squeue: --wait could not follow the jobs, so it is refused before submitting.
    let bin = base.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        bin.join("sbatch"),
        "#!/bin/sh\necho submitted >> \"$0.log\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("sbatch"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let line = format!("slurm --shards 2 --wait -- single-index --trials 4 --out {out}");
    let args: Vec<&str> = line.split_whitespace().collect();
    let o = verify_env(&args, &[("PATH", bin.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("squeue"), "{}", stderr(&o));
    assert!(!bin.join("sbatch.log").exists(), "nothing was submitted");
    std::fs::remove_dir_all(&base).unwrap();
}

/// A path or argument no batch script may hold is refused (exit 2, naming it) before anything
/// is written; an awkward but printable one (`%`, `'`, `#`, `$`, spaces) is quoted, and the
/// scripts written for it run.
#[test]
fn hostile_paths_are_refused_or_quoted() {
    let base = scratch("slurm-quote");
    let spectrum = base.join("e\ntouch PWNED\n.txt");
    std::fs::write(&spectrum, "1\n2\n").unwrap();
    std::fs::write(base.join("s.txt"), "1\n2\n").unwrap();
    let plain = format!("file:{}", base.join("s.txt").display());
    let hostile = format!("file:{}", spectrum.display());
    let run = |spec: &str, out: &Path| {
        let out = out.display().to_string();
        verify_env(
            &[
                "slurm",
                "--shards",
                "2",
                "--dry-run",
                "--",
                "single-index",
                "--spectrum",
                spec,
                "--d",
                "40",
                "--trials",
                "4",
                "--out",
                &out,
            ],
            &[("PATH", "/usr/bin:/bin")],
        )
    };
    // (spectrum, --out, what the message names)
    let refused = [
        (&hostile, base.join("x"), "--spectrum"),
        (&plain, base.join("a\nb"), "--out"),
        (&plain, base.join("a\rb"), "--out"),
        (&plain, base.join("a\tb"), "--out"),
        (&plain, base.join("a\\b"), "backslash"),
    ];
    for (spec, out, needle) in &refused {
        let o = run(spec, out);
        assert_eq!(o.status.code(), Some(2), "{out:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{out:?}: {}", stderr(&o));
        assert!(!out.exists(), "{out:?} was created");
    }
    // Printable but awkward: quoted for sbatch, for SLURM's patterns and for the shell.
    let out = base.join("100% it's #$x");
    let o = run(&plain, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let array = std::fs::read_to_string(out.join("slurm/array.sbatch")).unwrap();
    let line = format!(
        "#SBATCH --output=\"{}/slurm/logs/shard-%a.log\"",
        out.display().to_string().replace('%', "%%")
    );
    assert!(array.lines().any(|l| l == line), "{line}\n{array}");
    for i in 0..2 {
        let o = Command::new("bash")
            .arg(out.join("slurm/array.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = Command::new("bash")
        .arg(out.join("slurm/merge.sbatch"))
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let code = std::fs::read_to_string(out.join("slurm/merge.exit")).unwrap();
    assert_eq!(code.trim(), o.status.code().unwrap().to_string());
    assert!(out.join("single_index.csv").exists());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn status_counts_each_shards_units() {
    let base = scratch("slurm-status");
    let out = base.join("run");
    // Shard 0 of 3 finished, shard 2 never started, as `verify slurm` lays them out.
    let shard0 = with_out(RUN, &out.join("shards/0"));
    let mut args = strs(&shard0);
    args.extend(["--shard", "0/3", "--quiet", "--format", "none"]);
    let o = verify(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = verify(&["status", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // 2 × 2 points × 12 trials = 48 units; shard 0 of 3 holds 16.
    assert!(text.contains("16/16  finished"), "{text}");
    assert!(text.contains("merged run: not yet"), "{text}");
    assert!(text.contains("1 of 3 shards finished"), "{text}");
    // Resubmitting the same run keeps (resumes) the finished shard; another run is refused.
    let mut args = vec!["slurm", "--shards", "3", "--dry-run", "--"];
    let same = with_out(RUN, &out);
    args.extend(strs(&same));
    assert_eq!(verify(&args).status.code(), Some(0));
    let mut args = vec!["slurm", "--shards", "4", "--dry-run", "--"];
    args.extend(strs(&same));
    let o = verify(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("another run or split"),
        "{}",
        stderr(&o)
    );
    let o = verify(&["status", base.join("nothing").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&base).unwrap();
}

/// One cluster test at a time (they share the node's CPUs).
static CLUSTER: Mutex<()> = Mutex::new(());

/// Start the local cluster; None (after saying why, loudly) when it cannot be started.
fn cluster() -> Option<std::sync::MutexGuard<'static, ()>> {
    let guard = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/slurm-up.sh");
    let o = Command::new("bash").arg(&script).output();
    match o {
        Ok(o) if o.status.success() => Some(guard),
        Ok(o) => {
            eprintln!(
                "\n========== SKIPPED: no SLURM cluster could be started ==========\n{}\n================================================================\n",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!(
                "\n========== SKIPPED: cannot run {}: {e} ==========\n",
                script.display()
            );
            None
        }
    }
}

/// Run `verify args`, killing it (and failing) after `limit`.
fn verify_within(args: &[String], limit: Duration) -> std::process::Output {
    verify_within_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, limit)
}

/// [`verify_within`] in folder `dir`.
fn verify_within_in(dir: &Path, args: &[String], limit: Duration) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    let watchdog = std::thread::spawn(move || {
        while start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(200));
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
        }
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    let o = child.wait_with_output().unwrap();
    let _ = watchdog.join();
    assert!(
        start.elapsed() < limit,
        "verify {args:?} did not finish within {limit:?}"
    );
    o
}

/// SLURM's state of a job ("" once it has left the queue).
fn job_state(job: &str) -> String {
    Command::new("squeue")
        .args(["-h", "-j", job, "-o", "%T"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn scontrol(args: &[&str]) -> bool {
    Command::new("scontrol")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// The unsharded run's exit code and folder.
fn unsharded(args: &[&str], out: &Path) -> Option<i32> {
    let mut v = with_out(args, out);
    v.extend(["--quiet".into(), "--format".into(), "none".into()]);
    verify(&strs(&v)).status.code()
}

#[test]
fn a_slurm_run_with_wait_equals_the_unsharded_run() {
    let Some(_cluster) = cluster() else { return };
    let base = scratch("slurm-wait");
    let (whole, sharded) = (base.join("whole"), base.join("sharded"));
    let code = unsharded(RUN, &whole);
    let mut args: Vec<String> = ["slurm", "--shards", "3", "--wait", "--poll", "1", "--"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(with_out(RUN, &sharded));
    let o = verify_within(&args, Duration::from_secs(600));
    assert_eq!(o.status.code(), code, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("verdict:"), "{}", stdout(&o));
    common::assert_same(RESULT_FILES, &whole, &sharded);
    let st = verify(&["status", sharded.to_str().unwrap()]);
    assert!(
        stdout(&st).contains("3 of 3 shards finished"),
        "{}",
        stdout(&st)
    );
    // A command without a sharded form, as one job: its files and exit code.
    let spectrum = base.join("spectrum").display().to_string();
    let args: Vec<String> = [
        "slurm", "--shards", "1", "--wait", "--poll", "1", "--", "spectrum", "--d", "300", "--out",
        &spectrum,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = verify_within(&args, Duration::from_secs(300));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(base.join("spectrum/spectrum.csv").exists());
    std::fs::remove_dir_all(&base).unwrap();
}

/// Awkward but accepted folders on a real cluster: sbatch reads the quoted `--chdir` and
/// `--output` back exactly. The logs land under the literal `--out` (`%`, quotes, `#`, `$` and
/// all), and the jobs run in the literal working folder (a backslash in it too): a file the
/// command names relative to it is found.
#[test]
fn a_slurm_run_in_awkward_folders_lands_where_it_says() {
    let Some(_cluster) = cluster() else { return };
    let base = scratch("slurm-awkward");
    let work = base.join("w\\d \"x\" #1 %j");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("s.txt"), "1\n2\n").unwrap();
    let out = base.join("100% it's #$x \"q\" %A");
    let args: Vec<String> = [
        "slurm",
        "--shards",
        "2",
        "--wait",
        "--poll",
        "1",
        "--",
        "single-index",
        "--spectrum",
        "file:s.txt",
        "--d",
        "40",
        "--trials",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = verify_within_in(&work, &args, Duration::from_secs(300));
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 4)),
        "{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    for log in ["shard-0.log", "shard-1.log", "merge.log"] {
        assert!(out.join("slurm/logs").join(log).exists(), "no {log}");
    }
    assert!(out.join("single_index.csv").exists());
    // One job whose command names a file relative to the working folder (passed as given).
    let spec_out = base.join("spectrum 'one' %x");
    let args: Vec<String> = [
        "slurm",
        "--shards",
        "1",
        "--wait",
        "--poll",
        "1",
        "--",
        "spectrum",
        "--spectrum",
        "file:s.txt",
        "--d",
        "100",
        "--out",
        spec_out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = verify_within_in(&work, &args, Duration::from_secs(300));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(spec_out.join("spectrum.csv").exists());
    assert!(spec_out.join("slurm/logs/job.log").exists());
    std::fs::remove_dir_all(&base).unwrap();
}

/// The number of unit lines in a running shard's checkpoint (0 when there is none yet).
fn partial_units(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("units.partial.jsonl"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn a_requeued_array_task_resumes_its_shard() {
    let Some(_cluster) = cluster() else { return };
    let base = scratch("slurm-requeue");
    // ~0.3 s per unit, 50 units per shard: long enough to requeue a task mid-way.
    let run: &[&str] = &[
        "single-index",
        "--kappa",
        "10",
        "--psi",
        "2",
        "--level",
        "network",
        "--d",
        "800",
        "--trials",
        "100",
        "--seed",
        "3",
    ];
    let (whole, sharded) = (base.join("whole"), base.join("sharded"));
    let code = unsharded(run, &whole);
    let mut args: Vec<String> = ["slurm", "--shards", "2", "--"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(with_out(run, &sharded));
    let o = verify_within(&args, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let jobs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sharded.join("slurm/jobs.json")).unwrap())
            .unwrap();
    let (array, merge) = (
        jobs["job"].as_str().unwrap(),
        jobs["merge_job"].as_str().unwrap(),
    );
    let task = format!("{array}_0");
    let shard0: PathBuf = sharded.join("shards/0");
    let start = Instant::now();
    while partial_units(&shard0) < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "shard 0 never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        scontrol(&["requeue", &task]),
        "scontrol requeue {task} failed"
    );
    // SLURM holds a requeued job back (about two minutes); once it is pending again, let it
    // start at once.
    let start = Instant::now();
    while job_state(&task) != "PENDING"
        || !scontrol(&["update", &format!("jobid={task}"), "StartTime=now"])
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "cannot release {task}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let start = Instant::now();
    while !std::fs::read_to_string(sharded.join("slurm/merge.exit"))
        .is_ok_and(|t| !t.trim().is_empty())
    {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "merge job {merge} never finished"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let merged_code: i32 = std::fs::read_to_string(sharded.join("slurm/merge.exit"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(Some(merged_code), code);
    let log = std::fs::read_to_string(sharded.join("slurm/logs/shard-0.log")).unwrap();
    assert!(
        log.contains("(restart 1)"),
        "the task did not run again:\n{log}"
    );
    let resumed = log
        .lines()
        .find_map(|l| l.strip_prefix(&format!("resuming {}: ", shard0.display())))
        .and_then(|rest| rest.split(' ').next()?.parse::<usize>().ok());
    assert!(
        resumed.is_some_and(|k| k >= 4),
        "the requeued task did not resume its checkpoint:\n{log}"
    );
    common::assert_same(&["single_index.csv", "units.jsonl"], &whole, &sharded);
    std::fs::remove_dir_all(&base).unwrap();
}

/// A small readout run (two κ at d = 40, 8 trials: about a second).
const READOUT: &[&str] = &["readout", "--d", "40", "--trials", "8", "--kappa", "1,4"];

const READOUT_FILES: &[&str] = &[
    "readout.csv",
    "readout.json",
    "units.jsonl",
    "report.md",
    "readout_kappa.svg",
];

/// Run the scripts `verify slurm --dry-run` wrote under `out` as SLURM would (each array task,
/// then the merge); the merge's exit code.
fn run_scripts(out: &Path, shards: usize) -> Option<i32> {
    for i in 0..shards {
        let o = Command::new("bash")
            .arg(out.join("slurm/array.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "task {i}: {}", stderr(&o));
    }
    let o = Command::new("bash")
        .arg(out.join("slurm/merge.sbatch"))
        .output()
        .unwrap();
    let code = std::fs::read_to_string(out.join("slurm/merge.exit")).unwrap();
    assert_eq!(Some(code.trim().parse().unwrap()), o.status.code());
    o.status.code()
}

/// `verify slurm -- readout …`: the array's shards and the merge job's `verify merge` give the
/// unsharded run's files byte for byte and its exit code; `verify status` reads the folder.
#[test]
fn a_readout_slurm_run_equals_the_unsharded_run() {
    let base = scratch("slurm-readout");
    let (whole, sharded) = (base.join("whole"), base.join("sharded"));
    let code = unsharded(READOUT, &whole);
    assert!(matches!(code, Some(0 | 1 | 4)), "{code:?}");
    let mut args = vec!["slurm", "--shards", "3", "--dry-run", "--"];
    let inner = with_out(READOUT, &sharded);
    args.extend(strs(&inner));
    let o = verify_env(&args, &[("PATH", "/nonexistent")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let array = std::fs::read_to_string(sharded.join("slurm/array.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --array=0-2"), "{array}");
    assert!(array.contains("readout --kappa 1,4"), "{array}");
    assert_eq!(run_scripts(&sharded, 3), code);
    common::assert_same(READOUT_FILES, &whole, &sharded);
    let st = verify(&["status", sharded.to_str().unwrap()]);
    assert_eq!(st.status.code(), Some(0), "{}", stderr(&st));
    let text = stdout(&st);
    assert!(text.contains("3 of 3 shards finished"), "{text}");
    assert!(text.contains("merged run: 32/32 units, finished"), "{text}");
    assert!(text.contains("command: verify readout"), "{text}");
    // Another split into the same folder is refused (its shards are of 3).
    args[2] = "4";
    let o = verify(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("another run or split"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// A stub `sbatch` whose first submission succeeds (printing `4242;cluster`, as `--parsable`
/// does) and every later one fails, and a stub `scancel` that appends its arguments to
/// `scancel.argv` and exits with `scancel_code`.
fn stub_slurm(bin: &Path, scancel_code: i32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_dir_all(bin);
    std::fs::create_dir_all(bin).unwrap();
    let sbatch = "#!/bin/sh\nn=$(cat \"$0.count\" 2>/dev/null || echo 0)\nn=$((n+1))\necho $n > \"$0.count\"\nif [ \"$n\" -eq 1 ]; then echo '4242;cluster'; exit 0; fi\necho 'sbatch: error: Batch job submission failed: Invalid account' >&2\nexit 1\n";
    let scancel = format!(
        "#!/bin/sh\necho \"$@\" >> \"$0.argv\"\necho 'scancel: refused' >&2\nexit {scancel_code}\n"
    );
    for (name, text) in [("sbatch", sbatch.to_string()), ("scancel", scancel)] {
        std::fs::write(bin.join(name), text).unwrap();
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// The array job was submitted but the merge job's submission failed: the array is cancelled
/// with `scancel <id>`, both are recorded in slurm/jobs.json, the error names the array job and
/// whether it was cancelled (exit 3), and `verify status` still reads the folder.
#[test]
fn a_failed_merge_submission_cancels_and_records_the_array_job() {
    let base = scratch("slurm-orphan");
    let bin = base.join("bin");
    for (scancel_code, cancelled) in [(0, true), (1, false)] {
        stub_slurm(&bin, scancel_code);
        let out = base.join(format!("run-{scancel_code}"));
        let mut args = vec!["slurm", "--shards", "2", "--"];
        let inner = with_out(READOUT, &out);
        args.extend(strs(&inner));
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let o = verify_env(&args, &[("PATH", &path)]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("array job 4242"), "{e}");
        assert!(e.contains("Invalid account"), "{e}");
        assert_eq!(e.contains("4242 was cancelled"), cancelled, "{e}");
        assert_eq!(e.contains("could NOT be cancelled"), !cancelled, "{e}");
        let argv = std::fs::read_to_string(bin.join("scancel.argv")).unwrap();
        assert_eq!(argv, "4242\n");
        assert_eq!(
            std::fs::read_to_string(bin.join("sbatch.count"))
                .unwrap()
                .trim(),
            "2"
        );
        let jobs: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("slurm/jobs.json")).unwrap())
                .unwrap();
        assert_eq!(jobs["job"], "4242", "{jobs}");
        assert!(jobs["merge_job"].is_null(), "{jobs}");
        assert!(
            jobs["merge_submit_error"]
                .as_str()
                .is_some_and(|m| m.contains("Invalid account")),
            "{jobs}"
        );
        assert_eq!(jobs["array_cancelled"], cancelled, "{jobs}");
        assert_eq!(jobs["command"][0], "readout", "{jobs}");
        let st = verify(&["status", out.to_str().unwrap()]);
        assert_eq!(st.status.code(), Some(0), "{}", stderr(&st));
        let text = stdout(&st);
        assert!(text.contains("array job 4242 (2 tasks)"), "{text}");
        assert!(text.contains("merge job was NOT submitted"), "{text}");
        assert_eq!(text.contains("NOT cancelled"), !cancelled, "{text}");
    }
    std::fs::remove_dir_all(&base).unwrap();
}
