//! Fault injection: whatever happens to a run — `kill -9` at any file operation of its final
//! writes or at a random moment, a full disk at any point, a second run into the same folder —
//! the output folder holds either the previous complete result set or the new complete one
//! (byte for byte), and `--resume` then finishes the new one exactly.
//!
//! Sizes: every file operation of the final writes (strace, when installed; CI installs it),
//! `VERIFY_FAULT_CASES` random-moment kills (default 12), every 4 KiB step of free space on a
//! small tmpfs (when it can be mounted: root), 20 concurrent pairs.

mod common;

use common::{scratch, stderr, verify};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The previous run: two κ values (a κ figure).
const OLD: &[&str] = &[
    "single-index",
    "--kappa",
    "1,10",
    "--psi",
    "2",
    "--d",
    "60",
    "--trials",
    "20",
    "--seed",
    "1",
    "--level",
    "direction",
    "--quiet",
    "--format",
    "none",
];

/// The new run: three ψ values (a ψ figure, no κ figure), a bigger checkpoint.
const NEW: &[&str] = &[
    "single-index",
    "--kappa",
    "4",
    "--psi",
    "0.5,2,4",
    "--d",
    "80",
    "--trials",
    "40",
    "--seed",
    "2",
    "--level",
    "direction",
    "--quiet",
    "--format",
    "none",
];

/// A folder's result set: every file but the lock, a run's partial checkpoint and the temporary
/// file of an interrupted write (none of them is a result).
type Snapshot = BTreeMap<String, Vec<u8>>;

fn snapshot(dir: &Path) -> Snapshot {
    let mut s = Snapshot::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let temporary = name.starts_with('.') && name.contains(".tmp");
        if name == ".verify.lock" || name == "units.partial.jsonl" || temporary {
            continue;
        }
        s.insert(name, std::fs::read(e.path()).unwrap());
    }
    s
}

fn restore(dir: &Path, s: &Snapshot) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in s {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A run that ended on its own: agree (0) or inconclusive (4; these small runs often are).
fn finished(code: Option<i32>) -> bool {
    matches!(code, Some(0 | 4))
}

fn run_into(args: &[&str], out: &Path, extra: &[&str]) -> std::process::Output {
    verify(&[args, &["--out", out.to_str().unwrap()], extra].concat())
}

/// The previous set a run killed between its two renames left beside `w` (publishing without
/// the atomic exchange), if any.
fn left_aside(base: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".w.previous-")
        })
}

/// "old" or "new": which complete set `dir` holds; panics (listing the files) on anything else.
/// A folder missing because its previous set is aside (the next run puts it back) is "old (aside)".
fn which_set(dir: &Path, old: &Snapshot, new: &Snapshot, what: &str) -> &'static str {
    if !dir.exists() {
        let aside = left_aside(dir.parent().unwrap())
            .unwrap_or_else(|| panic!("{what}: the folder is gone and nothing was left aside"));
        assert!(
            &snapshot(&aside) == old,
            "{what}: the set aside is not the previous one"
        );
        return "old (aside)";
    }
    let now = snapshot(dir);
    if &now == old {
        "old"
    } else if &now == new {
        "new"
    } else {
        let names: Vec<&String> = now.keys().collect();
        let differ: Vec<&String> = now
            .iter()
            .filter(|(k, v)| old.get(*k) != Some(v) && new.get(*k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        panic!("{what}: a mixed folder {names:?}; neither set's version of {differ:?}")
    }
}

/// The resumed run finishes the new set exactly and leaves nothing behind. (Killed before its
/// checkpoint existed, the run is simply started again: `--resume` refuses a folder whose only
/// checkpoint is another, finished run's.)
fn resume_finishes(base: &Path, w: &Path, new: &Snapshot, what: &str) {
    let aside = left_aside(base);
    let started = w.join("units.partial.jsonl").exists()
        || aside.is_some_and(|a| a.join("units.partial.jsonl").exists());
    let o = run_into(NEW, w, if started { &["--resume"] } else { &[] });
    assert!(finished(o.status.code()), "{what}: resume: {}", stderr(&o));
    assert!(&snapshot(w) == new, "{what}: the resumed run differs");
    let left: Vec<String> = std::fs::read_dir(base)
        .unwrap()
        .chain(std::fs::read_dir(w).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".verify.lock")
        .collect();
    assert!(left.is_empty(), "{what}: left behind {left:?}");
}

/// The two reference sets, both written into `w` (the recorded command names the folder).
fn reference_sets(w: &Path) -> (Snapshot, Snapshot) {
    let mut sets = Vec::new();
    for args in [OLD, NEW] {
        let _ = std::fs::remove_dir_all(w);
        let o = run_into(args, w, &[]);
        assert!(finished(o.status.code()), "{}", stderr(&o));
        sets.push(snapshot(w));
    }
    let (new, old) = (sets.pop().unwrap(), sets.pop().unwrap());
    assert!(
        old.contains_key("single_index_kappa.svg") && !new.contains_key("single_index_kappa.svg")
    );
    assert!(new.contains_key("single_index_psi.svg") && new.contains_key("units.jsonl"));
    (old, new)
}

fn strace_works() -> bool {
    Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// SIGKILL at the n-th call of each file-changing system call (strace's fault injection): every
/// step of the final writes, and every file operation before them.
#[test]
fn kill_at_every_file_operation() {
    kill_at_every_file_operation_of(false);
}

/// The same where the file system has no atomic exchange (forced): the previous set is renamed
/// aside, the new one into place; a kill between the two leaves the folder missing and the
/// previous set aside, which the next run puts back.
#[test]
fn kill_at_every_file_operation_without_the_exchange() {
    kill_at_every_file_operation_of(true);
}

fn kill_at_every_file_operation_of(no_exchange: bool) {
    if !strace_works() {
        eprintln!("SKIPPED: strace is not installed (apt-get install strace)");
        return;
    }
    let base = scratch(if no_exchange {
        "faults-strace-aside"
    } else {
        "faults-strace"
    });
    let w = base.join("w");
    let (old, new) = reference_sets(&w);
    let mut seen = BTreeMap::new();
    let calls = [
        "mkdir",
        "linkat",
        "openat",
        "fsync",
        "rename",
        "renameat2",
        "unlinkat",
    ];
    for call in calls {
        for n in 1.. {
            restore(&w, &old);
            let what = format!("SIGKILL at {call} #{n}");
            let mut strace = Command::new("strace");
            if no_exchange {
                strace.env("VERIFY_PUBLISH_NO_EXCHANGE", "1");
            }
            let status = strace
                .args(["-f", "-qq", "-o", "/dev/null"])
                .arg(format!("--trace={call}"))
                .arg(format!("--inject={call}:signal=KILL:when={n}"))
                .arg(env!("CARGO_BIN_EXE_verify"))
                .args(NEW)
                .args(["--out", w.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            if finished(status.code()) {
                // Fewer than n such calls: the run finished untouched.
                assert_eq!(which_set(&w, &old, &new, &what), "new", "{what}: untouched");
                break;
            }
            assert_eq!(status.signal(), Some(9), "{what}: {status:?}");
            *seen.entry(which_set(&w, &old, &new, &what)).or_insert(0) += 1;
            resume_finishes(&base, &w, &new, &what);
        }
    }
    eprintln!("kills at file operations (no exchange: {no_exchange}): {seen:?}");
    assert!(
        seen.get("old") > Some(&10) && seen.get("new") > Some(&3),
        "{seen:?}"
    );
    std::fs::remove_dir_all(&base).ok();
}

/// A small deterministic generator of kill times.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// SIGKILL at random moments of a run (`VERIFY_FAULT_CASES`, default 12).
#[test]
fn kill_at_random_moments() {
    let cases: usize = std::env::var("VERIFY_FAULT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let base = scratch("faults-random");
    let w = base.join("w");
    let (old, new) = reference_sets(&w);
    restore(&w, &old);
    let t0 = Instant::now();
    assert!(finished(run_into(NEW, &w, &[]).status.code()));
    let whole = t0.elapsed().as_secs_f64();
    let mut state = 7u64;
    let mut seen = BTreeMap::new();
    for case in 0..cases {
        restore(&w, &old);
        let at = Duration::from_secs_f64(1.2 * whole * uniform(&mut state));
        let mut child = Command::new(env!("CARGO_BIN_EXE_verify"))
            .args(NEW)
            .args(["--out", w.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let what = format!("case {case}: SIGKILL after {at:?} of a {whole:.3} s run");
        let state_now = which_set(&w, &old, &new, &what);
        *seen
            .entry(if finished(status.code()) {
                "finished"
            } else {
                state_now
            })
            .or_insert(0) += 1;
        resume_finishes(&base, &w, &new, &what);
    }
    eprintln!("random kills: {seen:?}");
    std::fs::remove_dir_all(&base).ok();
}

/// Free bytes on the filesystem of `p` (`stat -f`).
fn free_bytes(p: &Path) -> u64 {
    let o = Command::new("stat")
        .args(["-f", "-c", "%a %S"])
        .arg(p)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    let v: Vec<u64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();
    v[0] * v[1]
}

/// A full disk at every 4 KiB step of the run's writes (a 1 MiB tmpfs): the run fails with exit
/// 3 and a message naming the file, the folder keeps the previous set, and a resume with space
/// finishes the new one.
#[test]
fn a_full_disk_keeps_the_previous_results() {
    let base = scratch("faults-disk");
    let disk = base.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&disk)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs (needs root)");
        return;
    }
    let w = disk.join("w");
    let result = std::panic::catch_unwind(|| {
        // The mount point itself cannot be replaced whole: refused before anything is written.
        let o = run_into(NEW, &disk, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("mount point"), "{}", stderr(&o));
        assert_eq!(
            std::fs::read_dir(&disk).unwrap().count(),
            0,
            "wrote into it"
        );
        let (old, new) = reference_sets(&w);
        let filler = disk.join("filler");
        let (mut failed, mut finished) = (0, 0);
        for step in 0..32u64 {
            restore(&w, &old);
            let _ = std::fs::remove_file(&filler);
            let free = free_bytes(&disk);
            let leave = step * 4096;
            if free > leave {
                std::fs::write(&filler, vec![0u8; (free - leave) as usize]).unwrap();
            }
            let what = format!("{leave} bytes free");
            let o = run_into(NEW, &w, &[]);
            match o.status.code() {
                Some(0 | 4) => finished += 1,
                Some(3) => {
                    failed += 1;
                    let e = stderr(&o);
                    assert!(
                        e.contains("No space left") && e.contains(w.to_str().unwrap()),
                        "{what}: {e}"
                    );
                    assert!(
                        !e.contains("staging"),
                        "{what}: names a staging folder: {e}"
                    );
                }
                other => panic!("{what}: exit {other:?}: {}", stderr(&o)),
            }
            which_set(&w, &old, &new, &what);
            std::fs::remove_file(&filler).ok();
            resume_finishes(&disk, &w, &new, &what);
        }
        eprintln!("full disk: {failed} runs failed, {finished} finished");
        assert!(failed >= 5 && finished >= 1, "{failed} {finished}");
    });
    let _ = Command::new("umount").arg(&disk).status();
    std::fs::remove_dir_all(&base).ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Two runs started together into one folder: one is refused (exit 2, naming --out and the other
/// process) or waits its turn; the folder ends with one complete set.
#[test]
fn concurrent_runs_never_mix() {
    let base = scratch("faults-concurrent");
    let w = base.join("w");
    let (old, new) = reference_sets(&w);
    for round in 0..20 {
        let _ = std::fs::remove_dir_all(&w);
        let spawn = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_verify"))
                .args(args)
                .args(["--out", w.to_str().unwrap()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(OLD), spawn(NEW));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            match o.status.code() {
                Some(0 | 4) => {}
                Some(2) => assert!(
                    stderr(o).contains("--out")
                        && stderr(o).contains("in use by another verify run"),
                    "{}",
                    stderr(o)
                ),
                other => panic!("round {round}: exit {other:?}: {}", stderr(o)),
            }
        }
        assert!(
            finished(a.status.code()) || finished(b.status.code()),
            "round {round}: both refused"
        );
        which_set(&w, &old, &new, &format!("round {round}"));
    }
    std::fs::remove_dir_all(&base).ok();
}
