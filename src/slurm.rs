//! `verify slurm` and `verify status`: map the command after `--` to its canonical flags, output
//! folder and cost estimate; write the scripts (engine::cluster), submit them with `sbatch`,
//! and with --wait follow the merge job until it ends.

use crate::cli::{Cli, Command, LinearRepSub, SlurmArgs, StatusArgs};
use crate::error::CliError;
use clap::{Parser, ValueEnum};
use engine::cluster::{self, ClusterLayout, JobSpec, JobsRecord, Progress, Resources};
use engine::Outcome;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// A sharded command, ready to be written as scripts.
struct Sharded {
    /// `single-index`, `spike`, `linear-rep-contraction`.
    name: String,
    /// The canonical command after `verify` (every setting explicit; no --out/--shard/--resume).
    argv: Vec<String>,
    /// Its --out.
    out: PathBuf,
    /// Extra merge arguments (the command's --format).
    merge_args: Vec<String>,
    /// Estimated per-task resources.
    resources: Resources,
    /// Run whole as one job (a command without a sharded form): no array, no merge.
    whole: bool,
}

fn format_args(f: engine::Format) -> Vec<String> {
    let name = f
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_else(|| "table".into());
    vec!["--format".into(), name]
}

fn refuse_shard_flags(shard: Option<(usize, usize)>) -> Result<(), CliError> {
    match shard {
        Some(_) => Err(CliError::Usage(
            "slurm: the command after -- has --shard; leave it out, --shards K chooses the split"
                .into(),
        )),
        None => Ok(()),
    }
}

/// A single-index sweep as shards (fixed --trials, with a Monte Carlo).
fn single_index_job(
    s: &crate::cli::SingleIndexArgs,
    k: usize,
    cpus: usize,
) -> Result<Sharded, CliError> {
    refuse_shard_flags(s.shard)?;
    if s.trials == crate::cli::Trials::Auto {
        return Err(CliError::Usage(
            "slurm: --trials auto cannot be sharded (each look needs every point's trials); give a fixed --trials".into(),
        ));
    }
    if s.theory_only {
        return Err(CliError::Usage(
            "slurm: --theory-only runs no Monte Carlo; run it directly".into(),
        ));
    }
    let (model, points) = crate::single_index::setup(s)?;
    let trials = s.trials.budget(s.max_trials) as usize;
    Ok(Sharded {
        name: "single-index".into(),
        argv: crate::single_index::canonical_argv(s)
            .into_iter()
            .skip(1)
            .collect(),
        merge_args: format_args(s.format),
        resources: cluster::estimate_resources(&model, &points, trials, k, cpus),
        out: s.out.clone(),
        whole: false,
    })
}

/// A readout run as shards (fixed --trials, with a Monte Carlo; its own --merge is refused:
/// the merge job combines the shards).
fn readout_job(r: &crate::cli::ReadoutArgs, k: usize, cpus: usize) -> Result<Sharded, CliError> {
    let c = &r.common;
    refuse_shard_flags(c.shard)?;
    if !c.merge.is_empty() {
        return Err(CliError::Usage(
            "slurm: the command after -- has --merge; leave it out, the merge job combines the shards".into(),
        ));
    }
    if c.trials == engine::Trials::Auto {
        return Err(CliError::Usage(
            "slurm: --trials auto cannot be sharded (each look needs every point's trials); give a fixed --trials".into(),
        ));
    }
    if c.theory_only {
        return Err(CliError::Usage(
            "slurm: --theory-only runs no Monte Carlo; run it directly".into(),
        ));
    }
    let (check, _, points) = crate::readout::setup(r)?;
    let trials = c.trials.budget(c.max_trials) as usize;
    Ok(Sharded {
        name: "readout".into(),
        argv: engine::Check::command(&check)
            .unwrap_or_default()
            .into_iter()
            .skip(1)
            .collect(),
        merge_args: format_args(c.format),
        resources: cluster::estimate_resources(&check.model, &points, trials, k, cpus),
        out: c
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("out/readout")),
        whole: false,
    })
}

/// The command after `--` as a shardable run (a `run FILE` is first expanded to its command).
fn sharded(a: &SlurmArgs) -> Result<Sharded, CliError> {
    let mut argv = vec!["verify".to_string()];
    argv.extend(a.command.iter().cloned());
    let cli = Cli::try_parse_from(&argv)
        .map_err(|e| CliError::Usage(format!("slurm: the command after -- is not valid:\n{e}")))?;
    let (k, cpus) = (a.shards as usize, a.cpus_per_task as usize);
    let drop_verify = |v: Vec<String>| v.into_iter().skip(1).collect::<Vec<_>>();
    match cli.command {
        Command::Run(r) => {
            let mut expanded = SlurmArgs {
                command: drop_verify(crate::experiment_file::command_line(&r)?),
                ..a.clone()
            };
            expanded.command.retain(|w| w != "--quiet");
            sharded(&expanded)
        }
        Command::SingleIndex(mut s) => {
            crate::single_index::normalize_kappa(&mut s)?;
            single_index_job(&s, k, cpus)
        }
        Command::Readout(r) => readout_job(&r, k, cpus),
        Command::Spike(s) => {
            refuse_shard_flags(s.run.shard)?;
            let (model, points) = crate::spike_check::setup(&s)?;
            Ok(Sharded {
                name: "spike".into(),
                argv: drop_verify(crate::spike_check::canonical_argv(&s)),
                merge_args: Vec::new(),
                resources: cluster::estimate_resources(&model, &points, s.trials as usize, k, cpus),
                out: s.out,
                whole: false,
            })
        }
        Command::LinearRep(lr) => match lr.command {
            Some(LinearRepSub::Contraction(c)) => {
                refuse_shard_flags(c.run.shard)?;
                let (model, points) = crate::linear_rep::contraction_setup(&c)?;
                Ok(Sharded {
                    name: "linear-rep-contraction".into(),
                    argv: drop_verify(crate::linear_rep::contraction_argv(&c)),
                    merge_args: format_args(c.format),
                    resources: cluster::estimate_resources(
                        &model,
                        &points,
                        c.trials as usize,
                        k,
                        cpus,
                    ),
                    out: c.out,
                    whole: false,
                })
            }
            None => whole_job(a, "linear-rep", crate::out_of(&Command::LinearRep(lr))),
        },
        other @ (Command::Merge(_) | Command::Slurm(_) | Command::Status(_) | Command::New(_)) => {
            Err(CliError::Usage(format!(
                "slurm: `{}` is not a run; give a command that computes (e.g. single-index)",
                command_name(&other)
            )))
        }
        // The catalog runs whole as one job into its --out (out/catalog by default).
        Command::Catalog(c) => {
            let out = c
                .common
                .out
                .clone()
                .unwrap_or_else(|| Path::new("out/catalog").to_path_buf());
            whole_job(a, "catalog", Some(&out))
        }
        other => whole_job(a, command_name(&other), crate::out_of(&other)),
    }
}

/// A command without a sharded form, run whole as one job (only with --shards 1).
fn whole_job(a: &SlurmArgs, name: &str, out: Option<&Path>) -> Result<Sharded, CliError> {
    if a.shards != 1 {
        return Err(CliError::Usage(format!(
            "slurm: `{name}` has no sharded form; give --shards 1 to run it as one job. Shardable: single-index and readout (fixed --trials), spike, linear-rep contraction and `run FILE` of one of them (phase's checks are a single-index sweep: shard that)"
        )));
    }
    let out = out.ok_or_else(|| CliError::Usage(format!("slurm: `{name}` has no --out")))?;
    Ok(Sharded {
        name: name.into(),
        argv: a.command.clone(),
        out: out.to_path_buf(),
        merge_args: Vec::new(),
        resources: Resources {
            cpus: a.cpus_per_task as usize,
            minutes: 60,
            mem_mib: 2048,
            basis: format!("`{name}` gives no cost estimate: 60 min and 2 GiB unless --time/--mem"),
        },
        whole: true,
    })
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::LinearRep(_) => "linear-rep",
        Command::Audit(_) => "audit",
        Command::Merge(_) => "merge",
        Command::Spectrum(_) => "spectrum",
        Command::Phase(_) => "phase",
        Command::Reproduce(_) => "reproduce",
        Command::Slurm(_) => "slurm",
        Command::Status(_) => "status",
        Command::New(_) => "new",
        Command::SingleIndex(_) => "single-index",
        Command::Readout(_) => "readout",
        Command::Spike(_) => "spike",
        Command::Run(_) => "run",
        Command::Catalog(_) => "catalog",
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| {
        CliError::Report(reports::ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Write a script (executable) atomically.
fn write_script(path: &Path, text: &str) -> Result<(), CliError> {
    reports::write_atomic(path, text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(io_error(path))?;
    }
    Ok(())
}

/// The job spec of `s` with the user's overrides.
fn job_spec(a: &SlurmArgs, s: &Sharded) -> Result<JobSpec, CliError> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| CliError::Usage(format!("slurm: cannot find the verify executable: {e}")))?;
    let workdir = std::env::current_dir()
        .map_err(|e| CliError::Usage(format!("slurm: no current folder: {e}")))?;
    Ok(JobSpec {
        name: format!("verify-{}", s.name),
        shards: a.shards as usize,
        resources: s.resources.clone(),
        partition: a.partition.clone(),
        time: a.time.clone(),
        mem: a.mem.clone(),
        workdir,
        exe,
        command: s.argv.clone(),
        merge_args: s.merge_args.clone(),
    })
}

/// `sbatch ARGS` → the job id (`--parsable` prints `id[;cluster]`).
fn sbatch(args: &[String]) -> Result<String, CliError> {
    let out = Process::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| CliError::Cluster(format!("slurm: could not run sbatch: {e}")))?;
    if !out.status.success() {
        return Err(CliError::Cluster(format!(
            "slurm: sbatch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim_ascii()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text
        .trim_ascii()
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(CliError::Cluster(format!(
            "slurm: sbatch printed no job id ({:?})",
            text.trim_ascii()
        )));
    }
    Ok(id)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let p = d.join(program);
            p.is_file()
                && std::fs::metadata(&p).is_ok_and(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.permissions().mode() & 0o111 != 0
                })
        })
    })
}

/// `verify slurm`: write the scripts, submit them (unless --dry-run), and with --wait return the
/// merged verdict.
pub fn run(a: &SlurmArgs) -> Result<Outcome, CliError> {
    let s = sharded(a)?;
    if !a.dry_run && !on_path("sbatch") {
        return Err(CliError::Usage(
            "slurm: sbatch is not on PATH (is this a SLURM login node?); --dry-run writes the scripts without submitting".into(),
        ));
    }
    if a.wait && !a.dry_run && !on_path("squeue") {
        return Err(CliError::Usage(
            "slurm: --wait follows the jobs with squeue, which is not on PATH; drop --wait and use `verify status`".into(),
        ));
    }
    let layout = ClusterLayout::new(&s.out)?;
    let spec = job_spec(a, &s)?;
    // The scripts, whole, before anything is created: a path or argument no script may hold
    // (a newline, a non-UTF-8 path, …) is refused here and leaves no folder behind.
    let scripts = if s.whole {
        vec![(layout.job_script(), cluster::job_script(&spec, &layout)?)]
    } else {
        vec![
            (
                layout.array_script(),
                cluster::array_script(&spec, &layout)?,
            ),
            (
                layout.merge_script(),
                cluster::merge_script(&spec, &layout)?,
            ),
        ]
    };
    // No local run may be writing into --out now (released at once: the jobs take it).
    drop(engine::OutLock::acquire(&s.out)?);
    if !s.whole {
        refuse_other_shards(&layout, &s.argv, a.shards as usize)?;
    }
    std::fs::create_dir_all(layout.log_dir()).map_err(io_error(&layout.log_dir()))?;
    for (path, text) in &scripts {
        write_script(path, text)?;
    }
    let r = &spec.resources;
    eprintln!(
        "slurm: {} of `verify {}`; per task {} CPU(s), time {}, memory {} ({})",
        if s.whole {
            "one job".to_string()
        } else {
            format!("{} shards", spec.shards)
        },
        s.argv
            .iter()
            .map(|w| cluster::shell_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
        r.cpus,
        a.time
            .clone()
            .unwrap_or_else(|| cluster::slurm_time(r.minutes)),
        a.mem.clone().unwrap_or_else(|| format!("{}M", r.mem_mib)),
        r.basis
    );
    if s.whole {
        submit_whole(a, &s, &layout)
    } else {
        submit_array(a, &s, &spec, &layout)
    }
}

/// Shards already under `--out` must be of this run and split (then they are resumed); shards of
/// another run would make every task refuse its folder.
fn refuse_other_shards(layout: &ClusterLayout, argv: &[String], k: usize) -> Result<(), CliError> {
    let mut command = vec!["verify".to_string()];
    command.extend(argv.iter().cloned());
    for st in cluster::shard_statuses(layout)? {
        let Some(h) = &st.header else { continue };
        if h.command != command || h.shard.is_none_or(|(_, n)| n != k) {
            return Err(CliError::Usage(format!(
                "slurm: {} holds a shard of another run or split ({}, shard {}); choose another --out, or delete {} to start over",
                st.dir.display(),
                h.command.join(" "),
                h.shard.map_or("none".into(), |(i, n)| format!("{i}/{n}")),
                layout.out.join("shards").display()
            )));
        }
    }
    Ok(())
}

fn save_record(layout: &ClusterLayout, record: &JobsRecord) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(record).unwrap_or_default();
    reports::write_atomic(&layout.jobs(), json.as_bytes())?;
    Ok(())
}

/// The array and its merge.
fn submit_array(
    a: &SlurmArgs,
    s: &Sharded,
    spec: &JobSpec,
    layout: &ClusterLayout,
) -> Result<Outcome, CliError> {
    let (array, merge) = (layout.array_script(), layout.merge_script());
    let _ = std::fs::remove_file(layout.merge_exit());
    let q = |p: &Path| cluster::shell_quote(&p.display().to_string());
    if a.dry_run {
        outln!("wrote {}\nwrote {}", array.display(), merge.display());
        outln!(
            "submit with:\n  A=$(sbatch --parsable {})\n  sbatch --dependency=afterok:$A --kill-on-invalid-dep=yes {}",
            q(&array),
            q(&merge)
        );
        return Ok(Outcome::Agree);
    }
    let array_job = sbatch(&[array.display().to_string()])?;
    let merge_job = match sbatch(&[
        format!("--dependency=afterok:{array_job}"),
        "--kill-on-invalid-dep=yes".into(),
        merge.display().to_string(),
    ]) {
        Ok(id) => id,
        Err(e) => return Err(merge_not_submitted(s, spec, layout, &array_job, e)),
    };
    save_record(
        layout,
        &JobsRecord {
            job: array_job.clone(),
            merge_job: Some(merge_job.clone()),
            shards: spec.shards,
            command: s.argv.clone(),
            merge_submit_error: None,
            array_cancelled: None,
        },
    )?;
    outln!(
        "submitted: array job {array_job} ({} tasks), merge job {merge_job} (after the array succeeds)\nwatch:  squeue -j {array_job},{merge_job}    verify status {}\nlogs:   {}",
        spec.shards,
        q(&layout.out),
        layout.log_dir().display()
    );
    if !a.wait {
        return Ok(Outcome::Agree);
    }
    let never_ran = || {
        format!(
            "slurm: the merge job {merge_job} never ran (a shard task failed or was cancelled; SLURM drops a merge whose dependency fails).\n{}logs: {}; fix the cause and submit again (finished shards are kept)",
            status_table(layout).unwrap_or_default(),
            layout.log_dir().display()
        )
    };
    wait_for(
        &merge_job,
        &layout.merge_exit(),
        &layout.log_dir().join("merge.log"),
        a.poll,
        never_ran,
    )
}

/// `scancel JOB`: whether it succeeded, or why not.
fn scancel(job: &str) -> Result<(), String> {
    match Process::new("scancel").arg(job).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "scancel exited with {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim_ascii()
        )),
        Err(e) => Err(format!("could not run scancel: {e}")),
    }
}

/// The array job was submitted but its merge job was not: cancel the array (best effort; without
/// its merge its shards would never be combined), record both in jobs.json, and return the error
/// naming the array job and what became of it.
fn merge_not_submitted(
    s: &Sharded,
    spec: &JobSpec,
    layout: &ClusterLayout,
    array_job: &str,
    error: CliError,
) -> CliError {
    let error = error.to_string();
    let error = error.strip_prefix("slurm: ").unwrap_or(&error);
    let cancelled = scancel(array_job);
    let record = JobsRecord {
        job: array_job.to_string(),
        merge_job: None,
        shards: spec.shards,
        command: s.argv.clone(),
        merge_submit_error: Some(error.to_string()),
        array_cancelled: Some(cancelled.is_ok()),
    };
    let recorded = match save_record(layout, &record) {
        Ok(()) => format!("recorded in {}", layout.jobs().display()),
        Err(e) => format!("and could not be recorded: {e}"),
    };
    let fate = match cancelled {
        Ok(()) => format!("the array job {array_job} was cancelled (scancel {array_job})"),
        Err(why) => format!(
            "the array job {array_job} could NOT be cancelled ({why}); it may still run: cancel it with `scancel {array_job}`"
        ),
    };
    CliError::Cluster(format!(
        "slurm: the array job {array_job} was submitted but its merge job was not ({error}); {fate}; {recorded}. Fix the cause and submit again (finished shards are kept)"
    ))
}

/// A command run whole as one job.
fn submit_whole(a: &SlurmArgs, s: &Sharded, layout: &ClusterLayout) -> Result<Outcome, CliError> {
    let script = layout.job_script();
    let _ = std::fs::remove_file(layout.job_exit());
    if a.dry_run {
        outln!(
            "wrote {}\nsubmit with:\n  sbatch {}",
            script.display(),
            cluster::shell_quote(&script.display().to_string())
        );
        return Ok(Outcome::Agree);
    }
    let job = sbatch(&[script.display().to_string()])?;
    save_record(
        layout,
        &JobsRecord {
            job: job.clone(),
            merge_job: None,
            shards: 1,
            command: s.argv.clone(),
            merge_submit_error: None,
            array_cancelled: None,
        },
    )?;
    let log = layout.log_dir().join("job.log");
    outln!(
        "submitted: job {job}\nwatch:  squeue -j {job}\nlog:    {}",
        log.display()
    );
    if !a.wait {
        return Ok(Outcome::Agree);
    }
    wait_for(&job, &layout.job_exit(), &log, a.poll, || {
        format!(
            "slurm: job {job} ended without recording an exit code (cancelled, out of time or memory?); see {}",
            log.display()
        )
    })
}

/// Whether SLURM still lists `job` as pending or running.
fn job_alive(job: &str) -> bool {
    Process::new("squeue")
        .args(["-h", "-j", job, "-o", "%T"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && !String::from_utf8_lossy(&o.stdout).trim_ascii().is_empty()
        })
}

/// Wait until `job` leaves the queue, then return the verdict its script recorded in `exit`
/// (printing its log), or say what failed.
fn wait_for(
    job: &str,
    exit: &Path,
    log: &Path,
    poll: u64,
    never_ran: impl FnOnce() -> String,
) -> Result<Outcome, CliError> {
    eprintln!("slurm: waiting for job {job} (Ctrl-C stops waiting, not the jobs)");
    while job_alive(job) {
        std::thread::sleep(std::time::Duration::from_secs(poll));
    }
    let code = engine::read::optional_text(exit, engine::read::MAX_RECORD_FILE, "job exit file")?
        .and_then(|t| t.trim_ascii().parse::<i32>().ok());
    if code.is_some() {
        // The run's table and verdict, as the command prints them.
        if let Ok(text) = engine::read::regular_text(log, engine::read::MAX_LOG_FILE, "job log") {
            out!("{text}");
        }
    }
    match code {
        Some(0) => Ok(Outcome::Agree),
        Some(1) => Ok(Outcome::Disagree),
        Some(4) => Ok(Outcome::Inconclusive),
        Some(c) => Err(CliError::Cluster(format!(
            "slurm: job {job} failed with exit code {c}; see {}",
            log.display()
        ))),
        None => Err(CliError::Cluster(never_ran())),
    }
}

fn progress_text(p: &Progress) -> String {
    match p {
        Progress::NotStarted => "not started".into(),
        Progress::InProgress { idle_seconds } => {
            format!("in progress (last unit {idle_seconds} s ago; --resume continues it)")
        }
        Progress::Finished => "finished".into(),
    }
}

/// The per-shard table of a cluster run (empty when it has no shards).
fn status_table(layout: &ClusterLayout) -> Result<String, CliError> {
    let shards = cluster::shard_statuses(layout)?;
    let mut t = String::new();
    let (mut done, mut total, mut finished) = (0, 0, 0);
    // The run the shards belong to: the first recorded header's command and split. A folder
    // holding another run (or split) is named as such and never counted as finished.
    let of_run = |h: &engine::LogHeader| (h.kind.clone(), h.command.clone(), h.shard.map(|s| s.1));
    let first = shards.iter().find_map(|s| s.header.as_ref().map(of_run));
    for s in &shards {
        if let (Some(h), Some(f)) = (&s.header, &first) {
            if &of_run(h) != f {
                let name = s
                    .dir
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into());
                t.push_str(&format!(
                    "  shard {name:<4} ANOTHER RUN: {} (not this run's shard; remove or move it)\n",
                    printable(&h.command.join(" "))
                ));
                continue;
            }
        }
        let name = s
            .dir
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into());
        let counts = match &s.header {
            Some(_) => format!("{}/{}", s.done, s.total),
            None => "-".into(),
        };
        t.push_str(&format!(
            "  shard {name:<4} {counts:>11}  {}\n",
            progress_text(&s.progress)
        ));
        done += s.done;
        total += s.total;
        finished += usize::from(s.progress == Progress::Finished);
    }
    if !shards.is_empty() {
        t.push_str(&format!(
            "  {finished} of {} shards finished; {done} units recorded\n",
            shards.len()
        ));
        let _ = total;
    }
    Ok(t)
}

/// `s` with its control characters (ESC, CR, newline, …) shown escaped (`\u{1b}`): text read
/// from a file is printed, never interpreted by the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The SLURM line(s) of `verify status`: the jobs `verify slurm` submitted (or failed to).
fn jobs_text(r: &JobsRecord) -> String {
    match (&r.merge_job, &r.merge_submit_error) {
        (Some(m), _) => format!(
            "  SLURM: array job {} ({} tasks), merge job {m}   (squeue -j {},{m})\n",
            r.job, r.shards, r.job
        ),
        (None, Some(e)) => format!(
            "  SLURM: array job {} ({} tasks), {}; its merge job was NOT submitted: {e}\n",
            r.job,
            r.shards,
            match r.array_cancelled {
                Some(true) => "cancelled".to_string(),
                _ => format!("NOT cancelled (scancel {} if it still runs)", r.job),
            }
        ),
        (None, None) => format!("  SLURM: job {}   (squeue -j {})\n", r.job, r.job),
    }
}

/// `verify status DIR`: the run in DIR (its own checkpoint) and its shards under DIR/shards.
pub fn status(a: &StatusArgs) -> Result<Outcome, CliError> {
    if !a.dir.is_dir() {
        return Err(CliError::Usage(format!(
            "status: {} is not a folder (give a run's --out or a shard folder)",
            a.dir.display()
        )));
    }
    let layout = ClusterLayout::new(&a.dir)?;
    let own = cluster::folder_status(&layout.out)?;
    let shards = status_table(&layout)?;
    let jobs = cluster::read_jobs_record(&layout)?;
    if own.header.is_none() && shards.is_empty() && jobs.is_none() {
        return Err(CliError::Usage(format!(
            "status: {} holds no checkpoint, no shards/ and no slurm/jobs.json (not a verify run's --out)",
            a.dir.display()
        )));
    }
    let mut text = format!("{}\n", printable(&layout.out.display().to_string()));
    if let Some(r) = &jobs {
        // What the record says is shown, never obeyed: no control character reaches the terminal.
        let shown = JobsRecord {
            job: printable(&r.job),
            merge_job: r.merge_job.as_deref().map(printable),
            command: r.command.iter().map(|c| printable(c)).collect(),
            merge_submit_error: r.merge_submit_error.as_deref().map(printable),
            ..r.clone()
        };
        text.push_str(&jobs_text(&shown));
    }
    if let Some(h) = &own.header {
        let what = match h.shard {
            Some((i, k)) => format!("shard {i}/{k}"),
            None if !shards.is_empty() => "merged run".into(),
            None => "run".into(),
        };
        text.push_str(&format!(
            "  {what}: {}/{} units, {}\n  command: {}\n",
            own.done,
            own.total,
            progress_text(&own.progress),
            printable(&h.command.join(" "))
        ));
    } else if !shards.is_empty() {
        text.push_str("  merged run: not yet\n");
    } else {
        text.push_str("  nothing recorded yet (no checkpoint, no shards)\n");
    }
    text.push_str(&shards);
    out!("{text}");
    Ok(Outcome::Agree)
}
