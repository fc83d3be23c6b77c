//! A seeded fuzz of every command (issues 15 and 29), one contract for every case: it ends
//! within 10 s with a documented exit code (0–4; never 101 or a signal), never prints "panicked",
//! names a flag or a path when it refuses input (exit 2), and never writes NaN or inf into a
//! result file (CSV or JSON). Three inputs:
//! - random command lines drawn from valid, boundary and hostile values of every flag — half of
//!   them `single-index`, the rest `spike`, `phase`, `spectrum`, `linear-rep`, `linear-rep
//!   contraction` and `readout`;
//! - files: `verify run` of special files (FIFO, /dev/zero and a link to it, a folder, empty and
//!   binary files) and of random experiment files (every value kind for every key), the special
//!   files as `--spectrum file:` and as `verify status`;
//! - checkpoints: `--resume` and `status` over a checkpoint with one line changed at random; an
//!   invalid line before the last must be refused (exit 2) naming the file and the line.
//!
//! CI runs 300 command lines, 130 file cases and 60 checkpoints (seed 1);
//! `VERIFY_FUZZ_CASES=3000 VERIFY_FUZZ_SEED=7 cargo test --release --test fuzz` runs a larger hunt.

mod common;
use common::*;
use rand::{RngExt, SeedableRng};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Per flag: values that are usually accepted (boundary ones included), then hostile ones.
const FLAGS: &[(&str, &[&str], &[&str])] = &[
    (
        "--kappa",
        &[
            "1", "10", "1..5", "1e308", "1,2,3", "2..4/3", "1e20", "1e-300",
        ],
        &[
            "0",
            "-1",
            "abc",
            "1..10:0",
            "5..1",
            "nan",
            "inf",
            "1..3:1e-300",
            "",
        ],
    ),
    (
        "--psi",
        &["2", "0.5", "1", "1e-9", "1e9", "0.5..4/4"],
        &["0", "-2", "x"],
    ),
    (
        "--spectrum",
        &[
            "two-point",
            "identity",
            "geometric",
            "linear",
            "two-point:0.3",
        ],
        &[
            "file:/nonexistent",
            "file:/dev/zero",
            "triangle",
            "two-point:2",
        ],
    ),
    (
        "--activation",
        &[
            "tanh",
            "relu",
            "erf",
            "sigmoid",
            "softplus",
            "linear",
            "hermite:0,1",
            "hermite:0.5,1,0.3",
        ],
        &["hermite:", "hermite:1,x", "cosh"],
    ),
    (
        "--student",
        &["tanh", "relu", "erf", "linear", "softplus"],
        &["hermite:0,0,1", "x"],
    ),
    ("--noise", &["0", "0.1", "1e300", "3"], &["-0.1", "nan"]),
    (
        "--lambda",
        &["0.1", "0", "opt", "1e-12", "1e12", "0.01,1"],
        &["-1", "x"],
    ),
    ("--width", &["40", "2000"], &["7", "0", "-2", "1000000"]),
    ("--level", &["direction", "network"], &["neuron"]),
    (
        "--methods",
        &["sgd,kfac", "all", "whiten", "adam,muon", "batch-norm"],
        &["sgd,lbfgs", "sgd,sgd"],
    ),
    ("--seed", &["0", "18446744073709551615"], &["-1", "x"]),
    ("--format", &["table", "json", "csv", "none"], &["xml"]),
    ("--alpha", &["0.01", "0.2"], &["0", "0.5", "1", "-0.5"]),
    ("--allowance-scale", &["1", "0", "1e9"], &["-1"]),
    (
        "--margin",
        &["0.02", "5%", "0", "1e-9"],
        &["-1", "x%", "nan"],
    ),
    ("--max-trials", &["4", "8"], &["1", "x"]),
];
const SIM_D: &[&str] = &["20", "40", "30", "20,30,40", "1", "-5", "100001"];
const THEORY_D: &[&str] = &["1000", "2", "100000", "1e3", "50..60/2", "-5"];
const TRIALS: &[&str] = &["2", "3", "2", "3", "2", "auto", "1", "-3", "abc"];

type Rng = rand::rngs::ChaCha8Rng;

/// Flags of the other commands: (flag, the value used when the flag is not drawn (small sizes),
/// usual values, hostile values).
type Flag = (
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static [&'static str],
);

const SPECTRA: &[&str] = &[
    "two-point",
    "identity",
    "geometric",
    "linear",
    "two-point:0.3",
];
const BAD_SPECTRA: &[&str] = &["file:/nonexistent", "file:/dev/zero", "triangle"];
const ACTIVATIONS: &[&str] = &["tanh", "relu", "softplus", "hermite:0.5,1,0.3", "linear"];
const FORMATS: &[&str] = &["table", "json", "csv", "none"];

const SPIKE: &[Flag] = &[
    (
        "--d",
        Some("40,80"),
        &["20..60/3", "30,31", "40,60,80"],
        &["40", "0,10", "-5", "1e9,2e9"],
    ),
    ("--kappa", None, &["1", "10", "1e6"], &["0", "-1", "nan"]),
    ("--psi", None, &["2", "0.5", "1"], &["0", "-1"]),
    ("--spectrum", None, SPECTRA, BAD_SPECTRA),
    ("--activation", None, ACTIVATIONS, &["hermite:", "x"]),
    ("--student", None, ACTIVATIONS, &["hermite:0,0,1", "x"]),
    ("--noise", None, &["0", "0.5"], &["-1", "nan"]),
    ("--trials", Some("2"), &["3", "2"], &["1", "0", "-3"]),
    ("--seed", None, &["0", "18446744073709551615"], &["-1"]),
    ("--format", None, FORMATS, &["xml"]),
    ("--shard", None, &["0/2", "1/2"], &["2/2", "-1/2", "0/0"]),
];

const PHASE: &[Flag] = &[
    ("--kappa", None, &["1,10", "1..30/3"], &["5,5", "0,1", "x"]),
    ("--psi", None, &["0.5,4", "1,2"], &["1,1", "0,2"]),
    (
        "--resolution",
        Some("6"),
        &["4", "8", "2"],
        &["0", "1", "100000"],
    ),
    ("--check-kappa", Some("2"), &["1,5", "3"], &["0"]),
    ("--check-psi", Some("2"), &["1", "0.5"], &["0"]),
    ("--d", Some("30"), &["40", "20"], &["1", "-5", "1e9"]),
    ("--trials", Some("2"), &["3"], &["1", "0"]),
    ("--level", None, &["direction", "network"], &["x"]),
    ("--lambda", None, &["0.1", "opt", "0"], &["-1"]),
    ("--spectrum", None, SPECTRA, BAD_SPECTRA),
    ("--activation", None, ACTIVATIONS, &["x"]),
    ("--noise", None, &["0", "1"], &["-1"]),
    ("--alpha", None, &["0.05"], &["0", "2"]),
    ("--format", None, FORMATS, &["xml"]),
];

const SPECTRUM: &[Flag] = &[
    ("--spectrum", None, SPECTRA, BAD_SPECTRA),
    ("--kappa", None, &["1", "10", "1e6"], &["0", "-1"]),
    ("--psi", None, &["0.5", "2", "1", "1e-3"], &["0", "x"]),
    ("--d", Some("100"), &["50", "2", "300"], &["0", "-1", "1e9"]),
    ("--bins", None, &["10", "1", "200"], &["0", "-1"]),
    ("--seed", None, &["0", "7"], &["-1"]),
    ("--format", None, FORMATS, &["xml"]),
];

const LINEAR_REP: &[Flag] = &[
    (
        "--settings",
        None,
        &["uniform-high", "gaussian-low", "all"],
        &["x"],
    ),
    ("--methods", None, &["all", "kfac", "sgd"], &["x"]),
    ("--dx", Some("12"), &["8", "16"], &["0", "-1", "1000000000"]),
    ("--dy", Some("4"), &["2", "6"], &["0"]),
    ("--k", Some("2"), &["1", "3"], &["0", "50"]),
    ("--batch", Some("40"), &["20", "64"], &["0", "-1"]),
    ("--iters", Some("20"), &["10", "30"], &["0", "100000000000"]),
    ("--log-every", None, &["5", "1"], &["0"]),
    ("--lr", None, &["0.1", "10", "1e-6"], &["-1", "nan", "inf"]),
    ("--noise", None, &["0", "0.5"], &["-1"]),
    ("--kappa-head", None, &["1", "10"], &["0", "-1"]),
    ("--kappa-sigma", None, &["1", "10"], &["0"]),
    ("--n-target", Some("30"), &["10"], &["0"]),
    ("--trials", None, &["1", "2"], &["0"]),
    ("--format", None, FORMATS, &["xml"]),
];

const CONTRACTION: &[Flag] = &[
    ("--kappa-head", None, &["1,10", "5"], &["0", "x"]),
    ("--kappa-sigma", None, &["1", "4"], &["0"]),
    ("--dx", Some("12"), &["8"], &["0"]),
    ("--dy", Some("4"), &["3"], &["0"]),
    ("--k", Some("2"), &["1"], &["0", "50"]),
    ("--trials", Some("2"), &["3"], &["1", "0"]),
    ("--max-iter", Some("200"), &["50"], &["0", "1000000000000"]),
    ("--delta", None, &["0.01", "0.5"], &["0", "-1", "nan"]),
    ("--lr", None, &["0.5", "1"], &["-1", "0"]),
    ("--methods", None, &["kfac", "kfac,amgd", "dfw"], &["x"]),
    ("--alpha", None, &["0.05"], &["0", "1"]),
    ("--format", None, FORMATS, &["xml"]),
    ("--shard", None, &["0/2"], &["3/2"]),
];

const READOUT: &[Flag] = &[
    (
        "--kappa",
        Some("1,4"),
        &["1", "10", "2..6/3"],
        &["0", "1,1", "1e300", "x"],
    ),
    ("--psi", None, &["2", "0.5"], &["0", "-1"]),
    ("--spectrum", None, SPECTRA, BAD_SPECTRA),
    ("--activation", None, ACTIVATIONS, &["hermite:0,1e308", "x"]),
    ("--student", None, ACTIVATIONS, &["hermite:0,0,1", "x"]),
    ("--noise", None, &["0", "0.3"], &["-1", "nan"]),
    ("--lambda", None, &["0.1", "0.01,1"], &["-1", "x"]),
    ("--d", Some("40"), &["32", "48"], &["1", "0", "1e9"]),
    ("--level", None, &["direction", "network"], &["x"]),
    ("--methods", None, &["sgd,kfac", "kfac"], &["sgd,sgd", "x"]),
    ("--degree", None, &["1", "3", "12"], &["0", "13"]),
    ("--step", None, &["1", "0.5"], &["-1", "0", "1e7"]),
    ("--readout-ridge", None, &["0.01", "1"], &["0", "-1"]),
    ("--trials", Some("4"), &["2", "6"], &["1", "0", "x"]),
    ("--alpha", None, &["0.05"], &["0.5", "0"]),
    ("--margin", None, &["0.05", "10%"], &["-1"]),
    ("--seed", None, &["0", "3"], &["-1"]),
    ("--format", None, FORMATS, &["xml"]),
    ("--shard", None, &["0/2", "1/2"], &["2/2"]),
];

/// A command line of another command: each flag drawn with probability 0.4 (hostile values 6%
/// of the time), else its small default.
fn other_case(rng: &mut Rng, out: &str) -> Vec<String> {
    let (words, flags): (&[&str], &[Flag]) = match rng.random_range(0..6) {
        5 => (&["readout"], READOUT),
        0 => (&["spike"], SPIKE),
        1 => (&["phase"], PHASE),
        2 => (&["spectrum"], SPECTRUM),
        3 => (&["linear-rep"], LINEAR_REP),
        _ => (&["linear-rep", "contraction"], CONTRACTION),
    };
    let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    for (flag, small, usual, hostile) in flags {
        let value = if rng.random_bool(0.4) {
            let v = if rng.random_bool(0.06) {
                hostile
            } else {
                usual
            };
            Some(v[rng.random_range(0..v.len())])
        } else {
            *small
        };
        if let Some(v) = value {
            args.extend([flag.to_string(), v.to_string()]);
        }
    }
    if rng.random_bool(0.2) && words[0] != "linear-rep" {
        args.push("--no-normalize".into());
    }
    args.extend(["--quiet".to_string(), "--out".to_string(), out.to_string()]);
    args
}

/// A `single-index` command line.
fn single_index_case(rng: &mut Rng, out: &str) -> Vec<String> {
    let mut args = vec!["single-index".to_string()];
    let theory_only = rng.random_bool(0.6);
    let pick = |rng: &mut Rng, v: &[&str]| v[rng.random_range(0..v.len())].to_string();
    for (flag, usual, hostile) in FLAGS {
        if rng.random_bool(0.4) {
            args.push(flag.to_string());
            let values = if rng.random_bool(0.06) {
                hostile
            } else {
                usual
            };
            args.push(pick(rng, values));
        }
    }
    args.push("--d".into());
    args.push(pick(rng, if theory_only { THEORY_D } else { SIM_D }));
    args.push("--trials".into());
    args.push(pick(rng, TRIALS));
    if args.last().is_some_and(|t| t == "auto") && !args.iter().any(|a| a == "--max-trials") {
        // Bounded like the fixed counts (≤ 3): an undecidable margin spends the whole budget.
        args.extend(["--max-trials".to_string(), "8".to_string()]);
    }
    if theory_only {
        args.push("--theory-only".into());
    }
    if rng.random_bool(0.3) {
        args.push("--no-normalize".into());
    }
    if rng.random_bool(0.1) {
        args.push("--extrapolate".into());
    }
    args.extend(["--quiet".to_string(), "--out".to_string(), out.to_string()]);
    args
}

/// Half `single-index`, half the other commands.
fn case(rng: &mut Rng, out: &str) -> Vec<String> {
    if rng.random_bool(0.5) {
        single_index_case(rng, out)
    } else {
        other_case(rng, out)
    }
}

/// How long any case may take (the bound on a hang).
const HANG: Duration = Duration::from_secs(10);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run `verify args` and check the contract: ends within [`HANG`], exits 0–4, never panics,
/// names a flag, a path or the usage when it refuses (exit 2), and writes no NaN or inf into a
/// result file under `out`. Returns the exit code and the standard error.
fn check_case_err(i: usize, args: &[String], out: &Path) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verify"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > HANG {
            child.kill().ok();
            panic!("case {i} hung past {HANG:?}: verify {}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let err = stderr(&child.wait_with_output().unwrap());
    let code = status.code().unwrap_or(-1);
    let shown = format!("case {i}: verify {} → exit {code}\n{err}", args.join(" "));
    assert!((0..=4).contains(&code), "{shown}");
    assert!(!err.contains("panicked"), "{shown}");
    if code == 2 {
        assert!(
            err.contains("--") || err.contains("Usage") || err.contains('/'),
            "exit 2 names no flag or path: {shown}"
        );
    }
    for file in std::fs::read_dir(out).into_iter().flatten().flatten() {
        let name = file.file_name().to_string_lossy().into_owned();
        if !file.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        // A CSV field that reads as a non-finite number; JSON cannot hold one (serde_json
        // writes null), but a "NaN" string would be one in disguise.
        let non_finite = if name.ends_with(".csv") {
            text.split([',', '\n'])
                .any(|f| f.trim().parse::<f64>().is_ok_and(|v| !v.is_finite()))
        } else {
            name.ends_with(".json") && text.contains("NaN")
        };
        assert!(!non_finite, "NaN/inf written into {name}: {shown}");
    }
    if code == 3 && std::env::var("VERIFY_FUZZ_SHOW").is_ok() {
        eprintln!("{shown}");
    }
    (code, err)
}

/// [`check_case_err`]'s exit code.
fn check_case(i: usize, args: &[String], out: &Path) -> i32 {
    check_case_err(i, args, out).0
}

#[test]
fn random_command_lines_never_panic_hang_or_write_nan() {
    let cases: usize = env_or("VERIFY_FUZZ_CASES", 300);
    let seed: u64 = env_or("VERIFY_FUZZ_SEED", 1);
    let dir = scratch("fuzz");
    let mut rng = Rng::seed_from_u64(seed);
    let mut counts = [0usize; 5];
    for i in 0..cases {
        let out = dir.join(format!("c{i}"));
        let args = case(&mut rng, out.to_str().unwrap());
        counts[check_case(i, &args, &out) as usize] += 1;
        std::fs::remove_dir_all(&out).ok();
    }
    eprintln!(
        "{cases} cases (seed {seed}): exit 0 ×{}, 1 ×{}, 2 ×{}, 3 ×{}, 4 ×{}",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Files that are not what they seem: every one is read through the tool's one reader.
fn special_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let zero_link = dir.join("zero-link");
    std::os::unix::fs::symlink("/dev/zero", &zero_link).unwrap();
    let folder = dir.join("folder.json");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(dir.join("empty.toml"), "").unwrap();
    std::fs::write(dir.join("binary.json"), [0xff, 0xfe, 0, 1, 2]).unwrap();
    std::fs::write(dir.join("eigs.txt"), "1\n1e308\n1e308\n").unwrap();
    std::fs::write(dir.join("weights.txt"), "1 1e308\n2 1e308\n").unwrap();
    vec![
        fifo,
        zero_link,
        folder,
        dir.join("empty.toml"),
        dir.join("binary.json"),
        dir.join("eigs.txt"),
        dir.join("weights.txt"),
        "/dev/zero".into(),
        "/dev/null".into(),
        "/nonexistent.toml".into(),
    ]
}

/// A TOML value of a random kind (usually the wrong one for some key).
fn toml_value(rng: &mut Rng) -> String {
    let values = [
        "\"1..4\"",
        "\"2\"",
        "2",
        "0.5",
        "-1",
        "true",
        "false",
        "[1, 2]",
        "[\"a\", 3]",
        "\"\"",
        "{ a = 1 }",
        "1e400",
        "\"nan\"",
        "\"1..10/100000000000\"",
        "\"50,50\"",
        "\"file:/dev/zero\"",
        "nan",
        "inf",
    ];
    values[rng.random_range(0..values.len())].to_string()
}

/// An experiment file: a command and a few of its keys with random values.
fn toml_case(rng: &mut Rng, dir: &Path, i: usize) -> std::path::PathBuf {
    let commands = ["single-index", "readout", "linear-rep", "spike", "nothing"];
    let keys = [
        "kappa",
        "psi",
        "d",
        "trials",
        "theory_only",
        "noise",
        "lambda",
        "spectrum",
        "alpha",
        "seed",
        "methods",
        "out",
        "quiet",
        "format",
        "extrapolate",
        "unknown_key",
        "level",
    ];
    let mut text = format!(
        "command = \"{}\"\ntheory_only = true\nd = \"40\"\ntrials = \"3\"\nout = \"o{i}\"\n",
        commands[rng.random_range(0..commands.len())]
    );
    let mut used = vec!["command", "theory_only", "d", "trials", "out"];
    for _ in 0..rng.random_range(1..4) {
        let k = keys[rng.random_range(0..keys.len())];
        if used.contains(&k) {
            continue;
        }
        used.push(k);
        text += &format!("{k} = {}\n", toml_value(rng));
    }
    let p = dir.join(format!("case{i}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

/// `verify run` of special files, random experiment files, and `--spectrum file:` of special
/// files: the same contract as the command-line fuzz.
#[test]
fn files_and_experiment_files_never_panic_or_hang() {
    let cases: usize = env_or("VERIFY_FUZZ_CASES", 300) / 3;
    let seed: u64 = env_or("VERIFY_FUZZ_SEED", 1);
    let dir = scratch("fuzz-files");
    let mut rng = Rng::seed_from_u64(seed);
    let specials = special_files(&dir);
    let out = dir.join("out");
    let mut i = 0;
    for f in &specials {
        let f = f.to_str().unwrap().to_string();
        for args in [
            vec!["run".to_string(), f.clone(), "--out".into()],
            vec![
                "single-index".to_string(),
                "--spectrum".into(),
                format!("file:{f}"),
                "--theory-only".into(),
                "--out".into(),
            ],
            vec!["status".to_string(), f.clone()],
        ] {
            let mut args = args;
            if args.last().is_some_and(|a| a == "--out") {
                args.push(out.to_str().unwrap().into());
            }
            let code = check_case(i, &args, &out);
            // Files that are not regular files, or hold no spectrum or run, are refused;
            // eigs.txt (huge but finite eigenvalues) is a valid, extreme spectrum.
            if !f.ends_with("eigs.txt") || args[0] == "run" {
                assert_ne!(code, 0, "case {i}: {args:?} accepted {f}");
            }
            i += 1;
            std::fs::remove_dir_all(&out).ok();
        }
    }
    for _ in 0..cases {
        let p = toml_case(&mut rng, &dir, i);
        let args = vec!["run".to_string(), p.to_str().unwrap().into()];
        check_case(i, &args, &dir.join(format!("o{i}")));
        i += 1;
    }
    eprintln!("{i} file cases (seed {seed})");
    std::fs::remove_dir_all(dir).ok();
}

/// What a changed checkpoint line is.
#[derive(PartialEq)]
enum Mutation {
    /// Perhaps still a valid record.
    Unknown,
    /// Certainly no unit record (refused naming the line unless it is the last).
    NotARecord,
    /// A record whose value no trial can give (a cosine of 1.5): refused naming the file.
    Impossible,
}

/// The line with its first value's bits replaced by those of `v`.
fn first_value(line: &str, v: f64) -> String {
    let mut unit: serde_json::Value = serde_json::from_str(line).unwrap();
    unit["bits"][0] = serde_json::json!(v.to_bits());
    unit.to_string()
}

/// One random change to a checkpoint line: a bit pattern of NaN or inf, a finite value too large
/// to summarise or outside the quantity's range, a byte flipped, a field dropped, an index out of
/// range, the line repeated or cut. Returns the changed line and what it is.
fn mutate(rng: &mut Rng, line: &str) -> (String, Mutation) {
    let nan = f64::NAN.to_bits().to_string();
    let inf = f64::INFINITY.to_bits().to_string();
    let kind = rng.random_range(0..9);
    let changed = match kind {
        0 => line.replacen("\"bits\":[", &format!("\"bits\":[{nan},"), 1),
        1 => line.replacen("\"bits\":[", &format!("\"bits\":[{inf},"), 1),
        7 => first_value(line, 1e300),
        8 => first_value(
            line,
            if rng.random_range(0..2) == 0 {
                1.5
            } else {
                -7.0
            },
        ),
        2 => {
            let mut b = line.as_bytes().to_vec();
            let k = rng.random_range(0..b.len());
            let pool = b"{}[]\":,x0-9";
            b[k] = pool[rng.random_range(0..pool.len())];
            String::from_utf8_lossy(&b).into_owned()
        }
        3 => line.replacen("\"trial\":", "\"trail\":", 1),
        4 => line.replacen("\"point\":", "\"point\":99", 1),
        5 => format!("{line}\n{line}"),
        _ => line[..rng.random_range(1..line.len())].to_string(),
    };
    // NaN/inf/huge values, a renamed field and a cut line are never a unit record.
    let what = match kind {
        0 | 1 | 3 | 6 | 7 => Mutation::NotARecord,
        8 => Mutation::Impossible,
        _ => Mutation::Unknown,
    };
    (changed, what)
}

/// `--resume` (and `status`, `merge`) over a checkpoint with one line changed at random: the
/// contract holds, and a line that is not a unit record anywhere but at the end (a kill during
/// an append) is refused with exit 2 naming the file.
#[test]
fn mutated_checkpoints_never_panic_hang_or_publish_nan() {
    let cases: usize = env_or("VERIFY_FUZZ_CASES", 300) / 5;
    let seed: u64 = env_or("VERIFY_FUZZ_SEED", 1);
    let dir = scratch("fuzz-checkpoints");
    let base = dir.join("base");
    let args: Vec<String> = [
        "single-index",
        "--kappa",
        "1,2",
        "--d",
        "20",
        "--trials",
        "4",
        "--level",
        "direction",
        "--quiet",
        "--format",
        "none",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut first = args.clone();
    first.push(base.to_str().unwrap().into());
    assert!(matches!(check_case(0, &first, &base), 0 | 4));
    let units = std::fs::read_to_string(base.join("units.jsonl")).unwrap();
    let lines: Vec<&str> = units.lines().collect();
    let mut rng = Rng::seed_from_u64(seed);
    let mut counts = [0usize; 5];
    for i in 0..cases {
        let out = dir.join(format!("c{i}"));
        std::fs::create_dir_all(&out).unwrap();
        let k = rng.random_range(1..lines.len());
        let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let (line, what) = mutate(&mut rng, lines[k]);
        changed[k] = line;
        std::fs::write(out.join("units.partial.jsonl"), changed.join("\n") + "\n").unwrap();
        let mut resume = args.clone();
        resume.extend([out.to_str().unwrap().to_string(), "--resume".into()]);
        let (code, err) = check_case_err(i, &resume, &out);
        // One rule: an invalid line that is not the last (a kill mid-append) is refused,
        // exit 2, naming the file and the line.
        if what == Mutation::Impossible {
            assert_eq!(code, 2, "case {i}: line {} → {}: {err}", k + 1, changed[k]);
            assert!(err.contains("no trial can give"), "case {i}: {err}");
        }
        if what == Mutation::NotARecord && k + 1 < lines.len() {
            assert_eq!(code, 2, "case {i}: line {} → {}: {err}", k + 1, changed[k]);
            assert!(
                err.contains("units.partial.jsonl") && err.contains(&format!("line {}", k + 1)),
                "case {i}: {err}"
            );
        }
        counts[code as usize] += 1;
        let status = vec!["status".to_string(), out.to_str().unwrap().into()];
        check_case(i, &status, &out);
        std::fs::remove_dir_all(&out).ok();
    }
    eprintln!(
        "{cases} checkpoint cases (seed {seed}): exit 0 ×{}, 1 ×{}, 2 ×{}, 3 ×{}, 4 ×{}",
        counts[0], counts[1], counts[2], counts[3], counts[4]
    );
    std::fs::remove_dir_all(dir).ok();
}
