//! Every file the tool reads goes through one reader (engine::read): a FIFO, a device, a link to
//! `/dev/zero` or an oversized file is refused (exit 2, naming the path) instead of hanging or
//! filling memory; a checkpoint line that is not a valid unit record (a NaN value included) is
//! refused the same way by `--resume`, `status` and `merge`; and the spectrum hash recorded is
//! that of the bytes the run parsed. Every child that could hang is killed after a time limit.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Run `verify args` and return (exit code, stderr); fail the test if it has not exited within
/// `limit` (the child is killed first).
fn verify_within(args: &[&str], limit: Duration) -> (Option<i32>, String) {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let err = std::env::temp_dir().join(format!(
        "verify-test-{}-stderr-{}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("verify {args:?} still running after {limit:?} (hangs)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&err).unwrap_or_default();
    std::fs::remove_file(&err).ok();
    (status.code(), text)
}

const LIMIT: Duration = Duration::from_secs(20);

fn mkfifo(p: &Path) {
    let s = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(s.success(), "mkfifo {}", p.display());
}

fn refused(args: &[&str], word: &str) {
    let (code, err) = verify_within(args, LIMIT);
    assert_eq!(code, Some(2), "{args:?}: {err}");
    assert!(err.contains(word), "{args:?}: expected '{word}' in: {err}");
}

const SWEEP: [&str; 13] = [
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
    "--seed=0",
];

#[test]
fn experiment_and_spectrum_files_that_are_not_regular_files_are_refused_fast() {
    let base = scratch("special-run");
    let fifo = base.join("sweep.toml");
    mkfifo(&fifo);
    refused(&["run", fifo.to_str().unwrap()], "sweep.toml");
    refused(&["run", "/dev/zero"], "/dev/zero");
    refused(&["run", base.to_str().unwrap()], "directory");
    let spectrum = format!("file:{}", fifo.display());
    refused(
        &[
            &SWEEP[..],
            &[
                "--spectrum",
                &spectrum,
                "--out",
                base.join("o").to_str().unwrap(),
            ],
        ]
        .concat(),
        "FIFO",
    );
    // A result JSON over the cap is refused before it is read.
    let big = base.join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(65 << 20).unwrap();
    refused(&["run", big.to_str().unwrap()], "more than");
    std::fs::remove_dir_all(base).ok();
}

#[test]
fn checkpoints_that_are_special_files_are_refused_by_resume_status_and_merge() {
    let base = scratch("special-checkpoint");
    let out = base.join("o");
    std::fs::create_dir_all(&out).unwrap();
    mkfifo(&out.join("units.partial.jsonl"));
    let o = out.to_str().unwrap();
    refused(
        &[&SWEEP[..], &["--out", o, "--resume"]].concat(),
        "units.partial.jsonl",
    );
    refused(&["status", o], "units.partial.jsonl");

    let linked = base.join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink("/dev/zero", linked.join("units.jsonl")).unwrap();
    let l = linked.to_str().unwrap();
    refused(&["status", l], "units.jsonl");
    let m = base.join("m");
    refused(
        &["merge", l, o, "--out", m.to_str().unwrap()],
        "units.jsonl",
    );
    std::fs::remove_dir_all(base).ok();
}

/// One rule for checkpoint lines: a line with a NaN (or another non-finite value), unknown
/// fields or bad JSON makes `--resume`, `status` and `merge` refuse with exit 2, naming the file
/// and the line; a torn last line (a run killed mid-append) is dropped.
#[test]
fn an_invalid_checkpoint_line_is_refused_alike_by_resume_status_and_merge() {
    let base = scratch("nan-checkpoint");
    let dir = |s: &str| base.join(s).to_str().unwrap().to_string();
    let run = |extra: &[&str]| verify_within(&[&SWEEP[..], extra].concat(), LIMIT * 6);
    for s in ["w", "s0", "s1"] {
        let shard = match s {
            "s0" => vec!["--shard", "0/2"],
            "s1" => vec!["--shard", "1/2"],
            _ => vec![],
        };
        let (code, err) = run(&[&shard[..], &["--out", &dir(s)]].concat());
        assert!(matches!(code, Some(0 | 4)), "{err}");
    }
    let nan = f64::NAN.to_bits();
    let inf = f64::NEG_INFINITY.to_bits();
    for (name, body, word) in [
        ("w", format!("[{nan}"), "line 3"),
        ("w", format!("[{inf}"), "line 3"),
        ("s0", "[null".to_string(), "line 3"),
    ] {
        let log = base.join(name).join("units.jsonl");
        let original = std::fs::read_to_string(&log).unwrap();
        let mut lines: Vec<String> = original.lines().map(String::from).collect();
        // Replace the line's first value.
        let at = lines[2].find('[').unwrap();
        let end = at + lines[2][at..].find([',', ']']).unwrap();
        lines[2] = format!("{}{body}{}", &lines[2][..at], &lines[2][end..]);
        std::fs::write(&log, lines.join("\n") + "\n").unwrap();
        if name == "w" {
            let (code, err) = run(&["--out", &dir("w"), "--resume"]);
            assert_eq!(code, Some(2), "{err}");
            assert!(err.contains(word) && err.contains("units.jsonl"), "{err}");
        }
        refused(&["status", &dir(name)], word);
        if name == "s0" {
            refused(&["merge", &dir("s0"), &dir("s1"), "--out", &dir("m")], word);
        }
        std::fs::write(&log, &original).unwrap();
    }
    // A torn last line is dropped, not refused.
    let log = base.join("w/units.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"point\":0,\"tri");
    std::fs::write(&log, text).unwrap();
    let (code, err) = verify_within(&["status", &dir("w")], LIMIT);
    assert_eq!(code, Some(0), "{err}");
    std::fs::remove_dir_all(base).ok();
}

/// The SHA-256 recorded for a `file:` spectrum is that of the bytes parsed: the family keeps the
/// hash of what it read, and a later change of the file does not change the record.
#[test]
fn the_recorded_spectrum_hash_is_that_of_the_bytes_parsed() {
    let base = scratch("hash-of-bytes");
    let eigs = base.join("eigs.txt");
    std::fs::write(&eigs, "1\n4\n").unwrap();
    let family = sims::spectrum_family(&format!("file:{}", eigs.display())).unwrap();
    std::fs::write(&eigs, "1\n9\n").unwrap();
    let recorded = results::single_index::input_files(&family);
    assert_eq!(recorded.len(), 1);
    // SHA-256 of "1\n4\n" (sha256sum), not of the file's new content.
    assert_eq!(
        recorded[0].sha256,
        "13432eb819aaa7b3081976be28497739e59a9e89c0e7e9d71764c025eaf9048a"
    );
    assert_eq!(family.eigenvalues_raw(1.0, 2).unwrap(), vec![1.0, 4.0]);
    assert!(recorded[0].path.ends_with("eigs.txt") && Path::new(&recorded[0].path).is_absolute());
    std::fs::remove_dir_all(base).ok();
}
