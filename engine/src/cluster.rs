//! A sharded run on a SLURM cluster: the folder layout under `--out`, the job's resources from the
//! model's own cost estimate, the two batch scripts (a job array of shards, each resumable, and a
//! merge that depends on it) and the progress of a run read from its checkpoints. Nothing here
//! submits or waits: the binary does that with `sbatch` and `squeue`.

use crate::checkpoint::{collect_units, read_checkpoint, LogHeader};
use crate::error::HarnessError;
use crate::publish::{PARTIAL_UNITS_FILE, UNITS_FILE};
use crate::Model;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a cluster run keeps its pieces, all under the command's `--out`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterLayout {
    /// The command's output folder (absolute): the merged result set goes here.
    pub out: PathBuf,
}

impl ClusterLayout {
    /// The layout under `out` (made absolute against the current folder).
    pub fn new(out: &Path) -> Result<Self, HarnessError> {
        let out = std::path::absolute(out).map_err(|source| {
            HarnessError::Report(reports::ReportError::Io {
                path: out.to_path_buf(),
                source,
            })
        })?;
        Ok(ClusterLayout { out })
    }
    /// The folder of shard `i` (its checkpoint and lock).
    pub fn shard_dir(&self, i: usize) -> PathBuf {
        self.out.join("shards").join(i.to_string())
    }
    /// The folder of the scripts, logs and job record.
    pub fn slurm_dir(&self) -> PathBuf {
        self.out.join("slurm")
    }
    /// The job-array script.
    pub fn array_script(&self) -> PathBuf {
        self.slurm_dir().join("array.sbatch")
    }
    /// The merge script.
    pub fn merge_script(&self) -> PathBuf {
        self.slurm_dir().join("merge.sbatch")
    }
    /// Per-task logs (`shard-<i>.log`) and the merge's (`merge.log`).
    pub fn log_dir(&self) -> PathBuf {
        self.slurm_dir().join("logs")
    }
    /// The merge's exit code, written by the merge script when it ends.
    pub fn merge_exit(&self) -> PathBuf {
        self.slurm_dir().join("merge.exit")
    }
    /// The script of a command run whole as one job (no sharded form, or `--shards 1` of one).
    pub fn job_script(&self) -> PathBuf {
        self.slurm_dir().join("job.sbatch")
    }
    /// That job's exit code.
    pub fn job_exit(&self) -> PathBuf {
        self.slurm_dir().join("job.exit")
    }
    /// The record of the submitted jobs ([`JobsRecord`]).
    pub fn jobs(&self) -> PathBuf {
        self.slurm_dir().join("jobs.json")
    }
}

/// What each array task asks SLURM for.
#[derive(Debug, Clone, PartialEq)]
pub struct Resources {
    /// Threads per task (`--cpus-per-task`; the task's rayon pool gets exactly these).
    pub cpus: usize,
    /// Wall-clock limit in minutes.
    pub minutes: u64,
    /// Memory in MiB.
    pub mem_mib: u64,
    /// How the numbers were arrived at, in words (shown to the user and written in the script).
    pub basis: String,
}

/// The sustained rate assumed per thread: a few times below what a trial reaches on a current
/// x86 core, so that an older cluster node still finishes inside the limit.
pub const ASSUMED_FLOPS_PER_THREAD: f64 = 5e9;

/// Resources for the largest of `shards` shards of `model` over `points` × `trials`: time from
/// the model's operation count at [`ASSUMED_FLOPS_PER_THREAD`] with a factor 3 and 5 minutes
/// added (at least 10 minutes), memory for `cpus` trials at once at their largest plus 256 MiB
/// (× 1.5). A model without a cost estimate gets 60 minutes and 2 GiB.
pub fn estimate_resources<M: Model>(
    model: &M,
    points: &[M::Point],
    trials: usize,
    shards: usize,
    cpus: usize,
) -> Resources {
    let costs: Option<Vec<crate::UnitCost>> = points.iter().map(|p| model.unit_cost(p)).collect();
    let Some(costs) = costs else {
        return Resources {
            cpus,
            minutes: 60,
            mem_mib: 2048,
            basis: "the model gives no cost estimate: 60 min and 2 GiB by default".into(),
        };
    };
    let mut flops = vec![0.0f64; shards.max(1)];
    for (u, (p, _)) in crate::all_units(points.len(), trials).iter().enumerate() {
        flops[u % shards.max(1)] += costs[*p].flops;
    }
    let worst = flops.iter().cloned().fold(0.0, f64::max);
    let seconds = worst / (ASSUMED_FLOPS_PER_THREAD * cpus as f64);
    let minutes = ((3.0 * seconds / 60.0).ceil() as u64 + 5).max(10);
    let bytes = costs.iter().map(|c| c.bytes).fold(0.0, f64::max);
    let at_once = cpus.min(trials.max(1)) as f64;
    let mem_mib = (1.5 * (bytes * at_once / (1u64 << 20) as f64 + 256.0)).ceil() as u64;
    Resources {
        cpus,
        minutes,
        mem_mib,
        basis: format!(
            "{:.2e} flop in the largest shard at {:.0e} flop/s per thread × 3 + 5 min; {} trial(s) of {:.0} MiB at once + 256 MiB, × 1.5",
            worst,
            ASSUMED_FLOPS_PER_THREAD,
            at_once,
            bytes / (1u64 << 20) as f64
        ),
    }
}

/// A SLURM time limit (`D-HH:MM:SS`) from minutes.
pub fn slurm_time(minutes: u64) -> String {
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    format!("{d}-{h:02}:{m:02}:00")
}

// How user text reaches a batch script. Every string a script holds that did not come from this
// file — paths, the command's arguments, the job name, the partition, time and memory — goes
// through `Parts::of`, which refuses what no script line can carry and quotes the rest for the
// grammar of the place it lands: the shell's (`shell_quote`), sbatch's `#SBATCH` lines
// (`sbatch_quote`), SLURM's file-name patterns (`slurm_pattern_literal`) or a comment
// (`comment_text`). The scripts are formatted from those parts, numbers and fixed text only.

/// `s` as one word for a POSIX shell: left bare when every character is plainly safe (ASCII
/// letters, digits and `-_./:,+@`), otherwise wrapped in single quotes with each `'` written
/// `'\''`. Exact for every string, newlines included (a single-quoted word may span lines); the
/// scripts nevertheless refuse control characters first (see [`check_script_text`]), because the
/// same text also goes into comments and `#SBATCH` lines.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,+@".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `s` as one argument of an `#SBATCH` line, read back exactly by sbatch. Its directive parser
/// (`get_argument` in SLURM's `src/sbatch/opt.c`) splits at unquoted white space, groups with
/// `'…'` or `"…"`, lets a backslash escape the next character even inside quotes, ends the line
/// at an unquoted `#`, and ends it at a newline whatever the quoting. So `s` is left bare when
/// plainly safe (ASCII letters, digits and `-_./:,+@%=`) and is otherwise written in double
/// quotes with each `\` and `"` preceded by a backslash. `None` when `s` holds a control
/// character: a newline or NUL cannot be carried at all, and a carriage return can make sbatch
/// refuse the whole script (it rejects DOS line breaks).
pub fn sbatch_quote(s: &str) -> Option<String> {
    if control_char(s).is_some() {
        return None;
    }
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,+@%=".contains(c));
    if safe {
        return Some(s.to_string());
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '\\' || c == '"' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Some(q)
}

/// `s` as literal text in a SLURM file-name pattern (`--output`, `--error`), which expands
/// `%j`, `%A`, `%a`, `%x`, … and reads `%%` as `%`: each `%` is doubled. `None` when `s` holds a
/// backslash: a pattern with a backslash anywhere is not expanded at all and loses every
/// backslash (`expand_stdio_fields` in SLURM's `src/common/print_fields.c`), so no spelling keeps
/// one, nor would `%a` still name the task.
pub fn slurm_pattern_literal(s: &str) -> Option<String> {
    if s.contains('\\') {
        return None;
    }
    Some(s.replace('%', "%%"))
}

/// `text` made safe as the rest of a `#` comment line: each control character is written as an
/// escape (`\n`, `\r`, `\u{1b}`, …), so the comment cannot end early and nothing after it runs.
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The first control character of `s` (U+0000–U+001F and U+007F–U+009F: newline, carriage
/// return, tab, NUL, escape, …).
fn control_char(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// `s`, if a batch script may hold it: any control character is refused (a usage error naming
/// `what`), wherever in the script `s` would go.
pub fn check_script_text<'a>(what: &str, s: &'a str) -> Result<&'a str, HarnessError> {
    match control_char(s) {
        None => Ok(s),
        Some(c) => Err(HarnessError::Usage(format!(
            "slurm: {what} {s:?} contains the control character U+{:04X}, which no batch script may hold (a newline would end an #SBATCH or comment line and run the rest as shell commands); nothing was written — rename it, or choose another",
            c as u32
        ))),
    }
}

/// `path` as text, if a batch script may hold it: valid UTF-8 (the scripts spell paths exactly
/// or not at all) and no control character ([`check_script_text`]).
pub fn check_script_path<'a>(what: &str, path: &'a Path) -> Result<&'a str, HarnessError> {
    let s = path.to_str().ok_or_else(|| {
        HarnessError::Usage(format!(
            "slurm: {what} {path:?} is not valid UTF-8, which the batch scripts cannot spell exactly; nothing was written — rename it, or choose another"
        ))
    })?;
    check_script_text(what, s)
}

/// The `--output` pattern of a log named `file` (which may hold SLURM's own `%a`) in the log
/// folder under `--out`; `--out` may hold `%` (doubled) but no backslash.
fn log_pattern(layout: &ClusterLayout, file: &str) -> Result<String, HarnessError> {
    let dir = layout.log_dir();
    let text = check_script_path("--out", &dir)?;
    let literal = slurm_pattern_literal(text).ok_or_else(|| {
        HarnessError::Usage(format!(
            "slurm: --out {:?} contains a backslash, which SLURM's --output file patterns cannot hold (a backslash turns off %a and is itself dropped); nothing was written — choose another --out",
            layout.out.display().to_string()
        ))
    })?;
    Ok(format!("{literal}/{file}"))
}

/// The line `#SBATCH --option=value`, the value checked and quoted for sbatch.
fn directive(option: &str, what: &str, value: &str) -> Result<String, HarnessError> {
    let v = check_script_text(what, value)?;
    let q = sbatch_quote(v).ok_or_else(|| {
        HarnessError::Usage(format!(
            "slurm: {what} {v:?} cannot be written in an #SBATCH line"
        ))
    })?;
    Ok(format!("#SBATCH --{option}={q}\n"))
}

/// A shell word for `s`, checked.
fn shell_word(what: &str, s: &str) -> Result<String, HarnessError> {
    Ok(shell_quote(check_script_text(what, s)?))
}

/// A shell word for `path`, checked.
fn shell_path(what: &str, path: &Path) -> Result<String, HarnessError> {
    Ok(shell_quote(check_script_path(what, path)?))
}

/// What a refusal calls word `i` of the command after `--`: the flag it is the value of, the
/// flag itself, or its position.
fn command_word_name(command: &[String], i: usize) -> String {
    let w = &command[i];
    if let Some(flag) = w.strip_prefix("--") {
        let flag = flag.split('=').next().unwrap_or(flag);
        return format!("the flag --{flag} of the command after --");
    }
    match i.checked_sub(1).map(|j| &command[j]) {
        Some(prev) if prev.starts_with("--") && !prev.contains('=') => {
            format!("the value of {prev} in the command after --")
        }
        _ => format!("argument {} of the command after --", i + 1),
    }
}

/// The command's words as shell words, each checked.
fn shell_command(command: &[String]) -> Result<Vec<String>, HarnessError> {
    (0..command.len())
        .map(|i| shell_word(&command_word_name(command, i), &command[i]))
        .collect()
}

/// Everything the two scripts need.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Job name (`verify-<command>`).
    pub name: String,
    /// Number of shards K (array tasks 0..K−1).
    pub shards: usize,
    /// Per task.
    pub resources: Resources,
    /// `--partition`, if given.
    pub partition: Option<String>,
    /// `--time` in SLURM's own form, if given: replaces the estimate in the array's (or the one
    /// job's) script.
    pub time: Option<String>,
    /// `--mem` in SLURM's own form, if given: replaces the estimate likewise.
    pub mem: Option<String>,
    /// The folder the jobs run in (relative paths in the command resolve as they did here).
    pub workdir: PathBuf,
    /// The `verify` executable (absolute).
    pub exe: PathBuf,
    /// The command and its arguments, without `--out`, `--shard` and `--resume`.
    pub command: Vec<String>,
    /// Extra arguments of the merge (e.g. `--format json`).
    pub merge_args: Vec<String>,
}

/// The user text of a job, checked and quoted for each place it goes in a script.
struct Parts {
    /// `#SBATCH --chdir=…` and, if given, `#SBATCH --partition=…`.
    chdir_partition: String,
    /// The executable, a shell word.
    exe: String,
    /// The command's words, shell-quoted and joined.
    command: String,
    /// The same, as comment text.
    command_comment: String,
    /// The `--output` patterns of a shard's log, the merge's and the one job's.
    shard_log: String,
    merge_log: String,
    job_log: String,
    /// `--time` / `--mem` lines of the array and the one job (the user's or the estimate).
    time: String,
    mem: String,
}

impl Parts {
    /// Check every piece of user text in `spec` and `layout` (the working folder first, then
    /// `--out`, the executable, the job name, `--partition`/`--time`/`--mem`, the command and the
    /// merge's arguments) and quote it.
    fn of(spec: &JobSpec, layout: &ClusterLayout) -> Result<Parts, HarnessError> {
        let workdir = check_script_path("the working folder", &spec.workdir)?;
        let mut chdir_partition = directive("chdir", "the working folder", workdir)?;
        check_script_path("--out", &layout.out)?;
        let shard_log = log_pattern(layout, "shard-%a.log")?;
        let exe = shell_path("the verify executable", &spec.exe)?;
        check_script_text("the job name", &spec.name)?;
        for (what, v) in [
            ("--partition", &spec.partition),
            ("--time", &spec.time),
            ("--mem", &spec.mem),
        ] {
            if v.as_deref() == Some("") {
                return Err(HarnessError::Usage(format!("slurm: {what} is empty")));
            }
        }
        if let Some(p) = &spec.partition {
            chdir_partition.push_str(&directive("partition", "--partition", p)?);
        }
        let r = &spec.resources;
        let time = match &spec.time {
            Some(t) => directive("time", "--time", t)?,
            None => directive("time", "--time", &slurm_time(r.minutes))?,
        };
        let mem = match &spec.mem {
            Some(m) => directive("mem", "--mem", m)?,
            None => directive("mem", "--mem", &format!("{}M", r.mem_mib))?,
        };
        let command = shell_command(&spec.command)?.join(" ");
        for (i, a) in spec.merge_args.iter().enumerate() {
            check_script_text(&format!("argument {} of the merge", i + 1), a)?;
        }
        Ok(Parts {
            chdir_partition,
            exe,
            command_comment: comment_text(&command),
            command,
            shard_log,
            merge_log: log_pattern(layout, "merge.log")?,
            job_log: log_pattern(layout, "job.log")?,
            time,
            mem,
        })
    }
}

/// Refuse, before anything is written, what the scripts of `spec` under `layout` could not hold
/// safely: a control character (newline, carriage return, tab, NUL, …) in the working folder,
/// `--out`, the executable, the job name, `--partition`, `--time`, `--mem`, any word of the
/// command or of the merge's arguments; a path that is not UTF-8; a backslash in `--out` (it
/// reaches SLURM's `--output` patterns). Each refusal is a usage error naming what it refuses.
pub fn check_job(spec: &JobSpec, layout: &ClusterLayout) -> Result<(), HarnessError> {
    Parts::of(spec, layout).map(|_| ())
}

/// The `#SBATCH` lines every script starts with.
fn sbatch_header(
    parts: &Parts,
    name: &str,
    log: &str,
    time: &str,
    mem: &str,
) -> Result<String, HarnessError> {
    Ok(format!(
        "{}{}{}{time}{mem}",
        directive("job-name", "the job name", name)?,
        parts.chdir_partition,
        directive("output", "--out", log)?,
    ))
}

/// The job-array script: task i runs shard i/K with `--resume` into its own folder, so a task
/// SLURM requeues (preemption, node failure, `scontrol requeue`) continues where it stopped.
/// Refuses (a usage error) what [`check_job`] refuses.
pub fn array_script(spec: &JobSpec, layout: &ClusterLayout) -> Result<String, HarnessError> {
    let p = Parts::of(spec, layout)?;
    let r = &spec.resources;
    let k = spec.shards;
    let root = shell_path("--out", &layout.out.join("shards"))?;
    Ok(format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: shard $SLURM_ARRAY_TASK_ID of {k} of\n\
         #   verify {comment}\n\
         # Each task resumes its shard's checkpoint, so a requeued task continues rather than restarts.\n\
         # Resources: {basis}.\n\
         {header}#SBATCH --array=0-{last}\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --requeue\n\
         #SBATCH --open-mode=append\n\
         set -u\n\
         i=\"${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch}}\"\n\
         export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n\
         echo \"verify slurm: shard $i/{k} starts on $(hostname) at $(date -Is) (restart ${{SLURM_RESTART_COUNT:-0}})\"\n\
         exec {exe} {cmd} --quiet --resume --shard \"$i/{k}\" --out {root}/\"$i\"\n",
        comment = p.command_comment,
        basis = comment_text(&r.basis),
        header = sbatch_header(&p, &spec.name, &p.shard_log, &p.time, &p.mem)?,
        last = k.saturating_sub(1),
        cpus = r.cpus,
        exe = p.exe,
        cmd = p.command,
    ))
}

/// `echo "$code"` into `path` through a temporary file (two shell words, checked).
fn record_exit(what: &str, path: &Path) -> Result<String, HarnessError> {
    let exit = shell_path(what, path)?;
    let tmp = shell_word(what, &format!("{}.tmp", check_script_path(what, path)?))?;
    Ok(format!("echo \"$code\" > {tmp} && mv {tmp} {exit}"))
}

/// The merge script: combines the K shard folders into `--out` and records its exit code (the
/// merged verdict's: 0 agree, 1 disagree, 4 inconclusive) in `slurm/merge.exit`. Refuses what
/// [`check_job`] refuses.
pub fn merge_script(spec: &JobSpec, layout: &ClusterLayout) -> Result<String, HarnessError> {
    let p = Parts::of(spec, layout)?;
    let mut merge = vec!["merge".to_string()];
    for i in 0..spec.shards {
        merge.push(shell_path("--out", &layout.shard_dir(i))?);
    }
    merge.push("--out".into());
    merge.push(shell_path("--out", &layout.out)?);
    for (i, a) in spec.merge_args.iter().enumerate() {
        merge.push(shell_word(&format!("argument {} of the merge", i + 1), a)?);
    }
    Ok(format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: merges the {k} shards of\n\
         #   verify {comment}\n\
         # into the result set of the unsharded run; submitted with --dependency=afterok on the array.\n\
         {header}#SBATCH --cpus-per-task=1\n\
         set -u\n\
         {exe} {merge}\n\
         code=$?\n\
         {record}\n\
         exit \"$code\"\n",
        k = spec.shards,
        comment = p.command_comment,
        header = sbatch_header(
            &p,
            &format!("{}-merge", spec.name),
            &p.merge_log,
            &directive("time", "--time", &slurm_time(30))?,
            &directive("mem", "--mem", "1024M")?,
        )?,
        exe = p.exe,
        merge = merge.join(" "),
        record = record_exit("--out", &layout.merge_exit())?,
    ))
}

/// A command without a sharded form run whole as one job, its exit code recorded in
/// `slurm/job.exit`. Refuses what [`check_job`] refuses.
pub fn job_script(spec: &JobSpec, layout: &ClusterLayout) -> Result<String, HarnessError> {
    let p = Parts::of(spec, layout)?;
    let r = &spec.resources;
    Ok(format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: runs, as one job,\n\
         #   verify {comment}\n\
         # Resources: {basis}.\n\
         {header}#SBATCH --cpus-per-task={cpus}\n\
         set -u\n\
         export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n\
         {exe} {cmd}\n\
         code=$?\n\
         {record}\n\
         exit \"$code\"\n",
        comment = p.command_comment,
        basis = comment_text(&r.basis),
        header = sbatch_header(&p, &spec.name, &p.job_log, &p.time, &p.mem)?,
        cpus = r.cpus,
        exe = p.exe,
        cmd = p.command,
        record = record_exit("--out", &layout.job_exit())?,
    ))
}

pub use crate::args::MAX_SHARDS;

/// The job record `slurm/jobs.json` of a run's --out (None when there is none); a record that is
/// not one (bad JSON, a shard count of 0 or over [`MAX_SHARDS`]) is an error naming the file.
pub fn read_jobs_record(layout: &ClusterLayout) -> Result<Option<JobsRecord>, HarnessError> {
    let path = layout.jobs();
    let Some(text) = crate::read::optional_text(&path, crate::read::MAX_RECORD_FILE, "job record")?
    else {
        return Ok(None);
    };
    let damaged = |why: String| {
        HarnessError::Usage(format!(
            "{} is damaged ({why}); it is written by `verify slurm`: delete it, or submit again",
            path.display()
        ))
    };
    let record: JobsRecord = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
    if record.shards == 0 || record.shards > MAX_SHARDS {
        return Err(damaged(format!(
            "it names {} shards; a run has 1 to {MAX_SHARDS}",
            record.shards
        )));
    }
    Ok(Some(record))
}

/// The jobs a `verify slurm` submitted (written to `slurm/jobs.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsRecord {
    /// The array's job id (or the one job's, for a command run whole).
    pub job: String,
    /// The merge's job id (None for a command run whole).
    pub merge_job: Option<String>,
    /// Number of shards.
    pub shards: usize,
    /// The command run (after `verify`).
    pub command: Vec<String>,
    /// Set when the array was submitted but its merge job could not be (sbatch's error);
    /// `merge_job` is then None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_submit_error: Option<String>,
    /// After a failed merge submission: whether `scancel` cancelled the array job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array_cancelled: Option<bool>,
}

/// How far one checkpoint folder has come.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// No checkpoint yet.
    NotStarted,
    /// A checkpoint being written or left by an interrupted run (`--resume` continues it);
    /// `idle_seconds` since its last write.
    InProgress {
        /// Seconds since the checkpoint was last written.
        idle_seconds: u64,
    },
    /// Finished (its checkpoint published).
    Finished,
}

/// The progress of one folder's run.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderStatus {
    /// The folder.
    pub dir: PathBuf,
    /// The run's header (None when not started).
    pub header: Option<LogHeader>,
    /// Units recorded.
    pub done: usize,
    /// Units this folder's run (its shard, or the whole grid) has.
    pub total: usize,
    /// Where it stands.
    pub progress: Progress,
}

/// Units of a run's shard (`None`: the whole grid).
fn units_in(h: &LogHeader) -> usize {
    let all = h.points * h.trials;
    match h.shard {
        Some((i, k)) => (all + k - 1 - i.min(k - 1)) / k,
        None => all,
    }
}

/// The progress of the run whose checkpoint is in `dir` (a damaged checkpoint is an error
/// naming it).
pub fn folder_status(dir: &Path) -> Result<FolderStatus, HarnessError> {
    let partial = dir.join(PARTIAL_UNITS_FILE);
    let finished = dir.join(UNITS_FILE);
    let (path, progress) = if partial.exists() {
        let idle = std::fs::metadata(&partial)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or(0, |e| e.as_secs());
        (partial, Progress::InProgress { idle_seconds: idle })
    } else if finished.exists() {
        (finished, Progress::Finished)
    } else {
        return Ok(FolderStatus {
            dir: dir.to_path_buf(),
            header: None,
            done: 0,
            total: 0,
            progress: Progress::NotStarted,
        });
    };
    let (h, records) = read_checkpoint(&path, "status")?;
    let done = collect_units(&path, &h, records, None)?.len();
    Ok(FolderStatus {
        dir: dir.to_path_buf(),
        total: units_in(&h),
        header: Some(h),
        done,
        progress,
    })
}

/// The shard folders under `out/shards` (numbered, in order), and the number of shards the run
/// has (from the job record or the shards' headers; at least the folders found).
pub fn shard_statuses(layout: &ClusterLayout) -> Result<Vec<FolderStatus>, HarnessError> {
    let root = layout.out.join("shards");
    // Only the names a shard folder can have (0..MAX_SHARDS): others are not ours.
    let mut found: Vec<usize> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    let i: usize = name.parse().ok()?;
                    // Only the name `verify slurm` writes: "1", never "01" or "+1".
                    (i.to_string() == name).then_some(i)
                })
                .filter(|&i: &usize| i < MAX_SHARDS)
                .collect()
        })
        .unwrap_or_default();
    found.sort_unstable();
    let record = read_jobs_record(layout)?;
    let mut statuses: Vec<FolderStatus> = found
        .iter()
        .map(|&i| folder_status(&layout.shard_dir(i)))
        .collect::<Result<_, _>>()?;
    let from_headers = statuses
        .iter()
        .filter_map(|s| s.header.as_ref()?.shard.map(|(_, k)| k))
        .max();
    let k = record
        .map(|r| r.shards)
        .or(from_headers)
        .unwrap_or(0)
        .max(found.last().map_or(0, |&i| i + 1));
    for i in 0..k {
        if !found.contains(&i) {
            statuses.push(FolderStatus {
                dir: layout.shard_dir(i),
                header: None,
                done: 0,
                total: 0,
                progress: Progress::NotStarted,
            });
        }
    }
    statuses.sort_by(|a, b| a.dir.cmp(&b.dir));
    statuses.sort_by_key(|s| {
        s.dir
            .file_name()
            .and_then(|n| n.to_str()?.parse::<usize>().ok())
    });
    Ok(statuses)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn spec() -> JobSpec {
        JobSpec {
            name: "verify-single-index".into(),
            shards: 3,
            resources: Resources {
                cpus: 2,
                minutes: 90,
                mem_mib: 700,
                basis: "test".into(),
            },
            partition: Some("short".into()),
            time: None,
            mem: None,
            workdir: "/home/me/work dir".into(),
            exe: "/opt/verify".into(),
            command: vec!["single-index".into(), "--kappa".into(), "1,10".into()],
            merge_args: vec!["--format".into(), "json".into()],
        }
    }

    #[test]
    fn quoting_keeps_plain_words_and_protects_the_rest() {
        assert_eq!(shell_quote("1..10"), "1..10");
        assert_eq!(shell_quote("file:/a/b.txt"), "file:/a/b.txt");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("a=b"), "'a=b'");
        assert_eq!(shell_quote("%1"), "'%1'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
        assert_eq!(shell_quote("\\"), "'\\'");
        // sbatch's directive grammar: a backslash escapes even inside quotes.
        assert_eq!(sbatch_quote("0-01:30:00").unwrap(), "0-01:30:00");
        assert_eq!(sbatch_quote("/a/%a.log").unwrap(), "/a/%a.log");
        assert_eq!(sbatch_quote("a b#c").unwrap(), "\"a b#c\"");
        assert_eq!(sbatch_quote(r#"a"b\c'd"#).unwrap(), r#""a\"b\\c'd""#);
        assert_eq!(sbatch_quote("").unwrap(), "\"\"");
        for bad in ["a\nb", "a\rb", "a\0b", "a\tb"] {
            assert_eq!(sbatch_quote(bad), None, "{bad:?}");
        }
        assert_eq!(slurm_pattern_literal("/a%j/b").unwrap(), "/a%%j/b");
        assert_eq!(slurm_pattern_literal("/a\\b"), None);
        assert_eq!(
            comment_text("a\nrm -rf x\r\u{1b}"),
            "a\\nrm -rf x\\r\\u{1b}"
        );
    }

    #[test]
    fn time_limits_in_slurm_form() {
        assert_eq!(slurm_time(10), "0-00:10:00");
        assert_eq!(slurm_time(61), "0-01:01:00");
        assert_eq!(slurm_time(1440 * 2 + 5), "2-00:05:00");
    }

    #[test]
    fn the_array_script_runs_each_shard_resumably_in_its_folder() {
        let layout = ClusterLayout {
            out: "/data/out".into(),
        };
        let s = array_script(&spec(), &layout).unwrap();
        for line in [
            "#SBATCH --array=0-2",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --time=0-01:30:00",
            "#SBATCH --mem=700M",
            "#SBATCH --partition=short",
            "#SBATCH --requeue",
            "#SBATCH --chdir=\"/home/me/work dir\"",
            "#SBATCH --output=/data/out/slurm/logs/shard-%a.log",
            "exec /opt/verify single-index --kappa 1,10 --quiet --resume --shard \"$i/3\" --out /data/out/shards/\"$i\"",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        let m = merge_script(&spec(), &layout).unwrap();
        assert!(
            m.contains("/opt/verify merge /data/out/shards/0 /data/out/shards/1 /data/out/shards/2 --out /data/out --format json"),
            "{m}"
        );
        assert!(m.contains("> /data/out/slurm/merge.exit.tmp"), "{m}");
    }

    /// A model whose trials cost 1e12 flop and 1 GiB each.
    struct Costly;
    impl Model for Costly {
        type Point = ();
        fn methods(&self) -> Vec<&'static str> {
            vec!["a"]
        }
        fn theory(&self, _: &()) -> Result<Vec<Option<f64>>, crate::SimError> {
            Ok(vec![Some(0.0)])
        }
        fn point_key(&self, _: &()) -> String {
            "k".into()
        }
        fn trial(
            &self,
            _: &(),
            _: &mut crate::UnitRng,
            _: faer::Par,
        ) -> Result<Vec<f64>, crate::SimError> {
            Ok(vec![0.0])
        }
        fn allowance(&self, _: &()) -> Vec<f64> {
            vec![0.0]
        }
        fn unit_cost(&self, _: &()) -> Option<crate::UnitCost> {
            Some(crate::UnitCost {
                flops: 1e12,
                bytes: (1u64 << 30) as f64,
            })
        }
    }

    #[test]
    fn resources_scale_with_the_largest_shard_and_the_threads() {
        // 2 points × 10 trials over 3 shards: the largest shard has 7 units, 7e12 flop.
        let r = estimate_resources(&Costly, &[(), ()], 10, 3, 1);
        let minutes = (3.0 * 7e12 / ASSUMED_FLOPS_PER_THREAD / 60.0).ceil() as u64 + 5;
        assert_eq!(r.minutes, minutes);
        assert_eq!(r.mem_mib, (1.5 * (1024.0 + 256.0)) as u64);
        let r2 = estimate_resources(&Costly, &[(), ()], 10, 3, 2);
        assert!(r2.minutes < r.minutes);
        assert_eq!(r2.mem_mib, (1.5 * (2048.0 + 256.0)) as u64);
    }
}

/// The scripts against arbitrary text in every place user text reaches them: each accepted
/// input is read back by a model of sbatch's directive parser and SLURM's file-name patterns,
/// and run by bash with a stub `verify` that records its argv; each refused input is an error.
#[cfg(test)]
mod script_props {
    use super::*;
    use proptest::prelude::*;
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// C's `isspace` in the C locale.
    fn c_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
    }

    /// The arguments of one `#SBATCH` line as sbatch reads them (`get_argument` in SLURM's
    /// src/sbatch/opt.c, called until it returns nothing).
    fn sbatch_arguments(line: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let mut args = Vec::new();
        let mut i = 0;
        loop {
            while i < line.len() && c_space(line[i]) {
                i += 1;
            }
            if i >= line.len() {
                return Ok(args);
            }
            if line[i] == b':' {
                return Err("unexpected `:`".into());
            }
            let (mut arg, mut copied) = (Vec::new(), false);
            let (mut quoted, mut q, mut escape) = (false, 0u8, false);
            while i < line.len() && (quoted || !c_space(line[i])) {
                let c = line[i];
                if escape {
                    escape = false;
                } else if c == b'\\' {
                    i += 1;
                    if line.get(i) == Some(&b' ') {
                        arg.push(b' ');
                        copied = true;
                        i += 1;
                    } else {
                        escape = true;
                    }
                    continue;
                } else if quoted {
                    if c == q {
                        quoted = false;
                        i += 1;
                        continue;
                    }
                } else if c == b'"' || c == b'\'' {
                    quoted = true;
                    q = c;
                    i += 1;
                    continue;
                } else if c == b'#' {
                    break;
                }
                arg.push(c);
                copied = true;
                i += 1;
            }
            if quoted {
                return Err(format!("unmatched {}", q as char));
            }
            if !copied {
                return Ok(args);
            }
            args.push(arg);
        }
    }

    /// The directives sbatch takes from `script` (`_opt_batch_script`: `#SBATCH` lines up to
    /// the first line that is neither blank nor a comment), or why sbatch refuses the script.
    fn sbatch_directives(script: &str) -> Result<Vec<String>, String> {
        let bytes = script.as_bytes();
        if bytes.contains(&0) {
            return Err("NUL in the script".into());
        }
        if script.contains("\r\n") {
            return Err("DOS line breaks".into());
        }
        let mut out = Vec::new();
        for line in bytes.split(|&b| b == b'\n') {
            if let Some(rest) = line.strip_prefix(b"#SBATCH") {
                for a in sbatch_arguments(rest)? {
                    out.push(String::from_utf8(a).map_err(|e| e.to_string())?);
                }
            } else {
                match line.iter().find(|&&b| !c_space(b)) {
                    None | Some(b'#') => continue,
                    Some(_) => break,
                }
            }
        }
        Ok(out)
    }

    /// The file a SLURM `--output` pattern names for array task `task` (`expand_stdio_fields`
    /// in SLURM's src/common/print_fields.c, for the symbols these scripts could meet).
    fn expand_pattern(p: &str, task: &str) -> String {
        if p.contains('\\') {
            return p.replace('\\', "");
        }
        let mut out = String::new();
        let mut chars = p.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('a') => out.push_str(task),
                Some(o) => out.push_str(&format!("<%{o}>")), // any other symbol: a wrong file
                None => {}
            }
        }
        out
    }

    const CLEAN: &[char] = &[
        'a', 'Z', '0', '9', '-', '_', '.', '/', ':', ',', '+', '@', '%', '=', ' ', '\'', '"', '\\',
        '$', '`', '#', '!', '*', '?', '[', ']', '{', '}', '(', ')', '<', '>', '|', '&', ';', '~',
        '^', 'é', '∂', '\u{2028}', '\u{a0}', '😀',
    ];
    const CONTROL: &[char] = &[
        '\n', '\r', '\0', '\t', '\u{1b}', '\u{7f}', '\u{85}', '\u{b}',
    ];

    fn clean_char() -> impl Strategy<Value = char> {
        prop_oneof![
            8 => prop::sample::select(CLEAN),
            1 => any::<char>().prop_filter("no control", |c| !c.is_control()),
        ]
    }

    /// Text for one field: usually free of control characters, sometimes not.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            30 => prop::collection::vec(clean_char(), 0..10),
            1 => prop::collection::vec(
                prop_oneof![3 => clean_char(), 1 => prop::sample::select(CONTROL)],
                1..10
            ),
        ]
        .prop_map(|v| v.into_iter().collect())
    }

    /// A path component from `s` (no `/`).
    fn component(prefix: &str, s: &str) -> String {
        format!("{prefix}{}", s.replace('/', "_"))
    }

    #[derive(Debug, Clone)]
    struct Case {
        out: (String, String),
        exe_dir: String,
        workdir: String,
        name: String,
        partition: Option<String>,
        time: Option<String>,
        mem: Option<String>,
        command: Vec<String>,
        merge_args: Vec<String>,
        basis: String,
        shards: usize,
    }

    fn case() -> impl Strategy<Value = Case> {
        (
            (field(), field(), field(), field(), field()),
            (
                prop::option::of(field()),
                prop::option::of(field()),
                prop::option::of(field()),
            ),
            prop::collection::vec(field(), 0..6),
            prop::collection::vec(field(), 0..3),
            field(),
            1usize..4,
        )
            .prop_map(
                |(
                    (o1, o2, x, w, name),
                    (partition, time, mem),
                    command,
                    merge_args,
                    basis,
                    shards,
                )| {
                    Case {
                        out: (o1, o2),
                        exe_dir: x,
                        workdir: format!("/{w}"),
                        name,
                        partition,
                        time,
                        mem,
                        command,
                        merge_args,
                        basis,
                        shards,
                    }
                },
            )
    }

    /// Whether the rules (independently of the code) refuse `c`: a control character anywhere
    /// a script carries text, a backslash in `--out`, an empty partition, time or memory.
    fn refused(c: &Case, out: &str, exe: &str) -> bool {
        let ctl = |s: &str| s.chars().any(char::is_control);
        let opts = [&c.partition, &c.time, &c.mem];
        ctl(out)
            || out.contains('\\')
            || ctl(exe)
            || ctl(&c.workdir)
            || ctl(&c.name)
            || opts
                .iter()
                .any(|o| o.as_deref().is_some_and(|v| v.is_empty() || ctl(v)))
            || c.command.iter().chain(&c.merge_args).any(|a| ctl(a))
    }

    /// A stub `verify`: appends its argc and argv, NUL-terminated, to `$STUB_LOG`; exits 4.
    const STUB: &str = "#!/bin/bash\n{ printf '%s\\0' \"$#\"; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; } >> \"$STUB_LOG\"\nexit 4\n";

    /// The argv of each call the stub recorded.
    fn calls(log: &Path) -> Vec<Vec<String>> {
        let bytes = std::fs::read(log).unwrap_or_default();
        let mut items = bytes
            .split(|&b| b == 0)
            .map(|w| String::from_utf8(w.to_vec()).unwrap());
        let mut calls = Vec::new();
        while let Some(n) = items.next().filter(|n| !n.is_empty()) {
            let n: usize = n.parse().unwrap();
            calls.push((0..n).map(|_| items.next().unwrap()).collect());
        }
        calls
    }

    /// Run `script` with bash: its exit code and the stub's calls.
    fn run(
        dir: &Path,
        file: &str,
        script: &str,
        task: Option<&str>,
    ) -> (Option<i32>, Vec<Vec<String>>) {
        let path = dir.join(file);
        std::fs::write(&path, script).unwrap();
        let log = dir.join(format!("{file}.calls"));
        let mut cmd = Command::new("bash");
        cmd.arg(&path)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("STUB_LOG", &log)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(t) = task {
            cmd.env("SLURM_ARRAY_TASK_ID", t);
        }
        let status = cmd.status().unwrap();
        (status.code(), calls(&log))
    }

    /// Every file under `dir`, relative.
    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    out.push(p.strip_prefix(dir).unwrap().to_path_buf());
                }
            }
        }
        out.sort();
        out
    }

    static CASE: AtomicUsize = AtomicUsize::new(0);

    fn check(c: Case) -> Result<(), TestCaseError> {
        let dir = std::env::temp_dir().join(format!(
            "engine-cluster-props-{}-{}",
            std::process::id(),
            CASE.fetch_add(1, Ordering::Relaxed)
        ));
        let out = dir
            .join(component("o", &c.out.0))
            .join(component("p", &c.out.1));
        let exe = dir.join(component("x", &c.exe_dir)).join("verify");
        let spec = JobSpec {
            name: c.name.clone(),
            shards: c.shards,
            resources: Resources {
                cpus: 2,
                minutes: 90,
                mem_mib: 700,
                basis: c.basis.clone(),
            },
            partition: c.partition.clone(),
            time: c.time.clone(),
            mem: c.mem.clone(),
            workdir: c.workdir.clone().into(),
            exe: exe.clone(),
            command: c.command.clone(),
            merge_args: c.merge_args.clone(),
        };
        let layout = ClusterLayout { out: out.clone() };
        let scripts = [
            array_script(&spec, &layout),
            merge_script(&spec, &layout),
            job_script(&spec, &layout),
        ];
        let out_s = out.to_str().unwrap();
        if refused(&c, out_s, exe.to_str().unwrap()) {
            for s in &scripts {
                prop_assert!(matches!(s, Err(HarnessError::Usage(_))), "accepted: {s:?}");
            }
            prop_assert!(check_job(&spec, &layout).is_err());
            return Ok(());
        }
        let [array, merge, job] = scripts.map(|s| s.unwrap());
        prop_assert!(check_job(&spec, &layout).is_ok());

        // sbatch's reading: every directive, intact, before the first command.
        let k = c.shards;
        let opt = |key: &str, v: &Option<String>| v.as_ref().map(|v| format!("--{key}={v}"));
        let time = c.time.clone().unwrap_or_else(|| "0-01:30:00".into());
        let mem = c.mem.clone().unwrap_or_else(|| "700M".into());
        // `OUTPUT` stands for the --output directive, checked by what SLURM makes of it.
        let directives = |name: &str, time: &str, mem: &str, tail: &[&str]| {
            let mut h = vec![
                format!("--job-name={name}"),
                format!("--chdir={}", c.workdir),
            ];
            h.extend(opt("partition", &c.partition));
            h.push("OUTPUT".into());
            h.push(format!("--time={time}"));
            h.push(format!("--mem={mem}"));
            h.extend(tail.iter().map(|t| t.to_string()));
            h
        };
        let array_range = format!("--array=0-{}", k - 1);
        let logs = out.join("slurm").join("logs");
        for (script, mut want, log, task) in [
            (
                &array,
                directives(
                    &c.name,
                    &time,
                    &mem,
                    &[
                        &array_range,
                        "--cpus-per-task=2",
                        "--requeue",
                        "--open-mode=append",
                    ],
                ),
                "shard-2.log",
                "2",
            ),
            (
                &merge,
                directives(
                    &format!("{}-merge", c.name),
                    "0-00:30:00",
                    "1024M",
                    &["--cpus-per-task=1"],
                ),
                "merge.log",
                "",
            ),
            (
                &job,
                directives(&c.name, &time, &mem, &["--cpus-per-task=2"]),
                "job.log",
                "",
            ),
        ] {
            prop_assert!(!script.contains('\r') && !script.contains('\0'));
            let got = sbatch_directives(script).map_err(TestCaseError::fail)?;
            prop_assert_eq!(
                got.len(),
                script.lines().filter(|l| l.starts_with("#SBATCH")).count(),
                "a directive after the first command in\n{}",
                script
            );
            let at = want.iter().position(|w| w == "OUTPUT").unwrap();
            let output = got.get(at).cloned().unwrap_or_default();
            let pattern = output.strip_prefix("--output=").unwrap_or_default();
            prop_assert_eq!(
                expand_pattern(pattern, task),
                logs.join(log).to_str().unwrap().to_string(),
                "{}",
                script
            );
            want[at] = output.clone();
            prop_assert_eq!(&got, &want, "{}", script);
        }

        // bash runs exactly the intended commands.
        std::fs::create_dir_all(out.join("slurm")).unwrap();
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, STUB).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let last = (k - 1).to_string();
        let (code, got) = run(&dir, "array.sh", &array, Some(&last));
        let mut want = c.command.clone();
        want.extend([
            "--quiet".into(),
            "--resume".into(),
            "--shard".into(),
            format!("{last}/{k}"),
            "--out".into(),
            out.join("shards").join(&last).to_str().unwrap().into(),
        ]);
        prop_assert_eq!(code, Some(4));
        prop_assert_eq!(got, vec![want], "{}", array);

        let (code, got) = run(&dir, "merge.sh", &merge, None);
        let mut want = vec!["merge".to_string()];
        want.extend((0..k).map(|i| {
            out.join("shards")
                .join(i.to_string())
                .to_str()
                .unwrap()
                .to_string()
        }));
        want.extend(["--out".into(), out_s.into()]);
        want.extend(c.merge_args.iter().cloned());
        prop_assert_eq!(code, Some(4));
        prop_assert_eq!(got, vec![want], "{}", merge);
        prop_assert_eq!(
            std::fs::read_to_string(layout.merge_exit()).ok(),
            Some("4\n".into())
        );

        let (code, got) = run(&dir, "job.sh", &job, None);
        prop_assert_eq!(code, Some(4));
        prop_assert_eq!(got, vec![c.command.clone()], "{}", job);
        prop_assert_eq!(
            std::fs::read_to_string(layout.job_exit()).ok(),
            Some("4\n".into())
        );

        // Nothing else was created (no injected command ran).
        let rel = |p: &Path| p.strip_prefix(&dir).unwrap().to_path_buf();
        let mut want: Vec<PathBuf> = [
            "array.sh",
            "array.sh.calls",
            "merge.sh",
            "merge.sh.calls",
            "job.sh",
            "job.sh.calls",
        ]
        .iter()
        .map(PathBuf::from)
        .chain([
            rel(&exe),
            rel(&layout.merge_exit()),
            rel(&layout.job_exit()),
        ])
        .collect();
        want.sort();
        prop_assert_eq!(files(&dir), want);
        std::fs::remove_dir_all(&dir).unwrap();
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn cluster_scripts_carry_accepted_text_exactly_and_refuse_the_rest(c in case()) {
            check(c)?;
        }
    }

    #[test]
    fn cluster_scripts_refuse_paths_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let bad = PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/a\xffb"));
        let mut spec = super::tests::spec();
        let good = ClusterLayout {
            out: "/data/out".into(),
        };
        spec.workdir = bad.clone();
        let e = array_script(&spec, &good).unwrap_err().to_string();
        assert!(e.contains("working folder") && e.contains("UTF-8"), "{e}");
        let spec = super::tests::spec();
        let e = merge_script(&spec, &ClusterLayout { out: bad })
            .unwrap_err()
            .to_string();
        assert!(e.contains("--out") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn cluster_refusals_name_what_they_refuse() {
        let layout = ClusterLayout {
            out: "/data/out".into(),
        };
        let mut spec = super::tests::spec();
        spec.command = vec![
            "single-index".into(),
            "--spectrum".into(),
            "file:/a\ntouch PWNED\n.txt".into(),
        ];
        let e = array_script(&spec, &layout).unwrap_err();
        assert!(matches!(e, HarnessError::Usage(_)));
        let e = e.to_string();
        assert!(
            e.contains("the value of --spectrum") && e.contains("U+000A"),
            "{e}"
        );
        let e = array_script(
            &super::tests::spec(),
            &ClusterLayout {
                out: "/data/o\\ut".into(),
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("--out") && e.contains("backslash"), "{e}");
        let mut spec = super::tests::spec();
        spec.partition = Some("a\nb".into());
        assert!(job_script(&spec, &layout)
            .unwrap_err()
            .to_string()
            .contains("--partition"));
        // `%` in --out is doubled in --output; the shell sees it as is.
        let s = array_script(
            &super::tests::spec(),
            &ClusterLayout {
                out: "/data/100%a".into(),
            },
        )
        .unwrap();
        assert!(
            s.lines()
                .any(|l| l == "#SBATCH --output=/data/100%%a/slurm/logs/shard-%a.log"),
            "{s}"
        );
        assert!(s.contains("--out '/data/100%a/shards'/\"$i\""), "{s}");
    }
}
