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

/// `s` as one word for a POSIX shell (single-quoted unless it is plainly safe).
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+%@".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
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
    /// The folder the jobs run in (relative paths in the command resolve as they did here).
    pub workdir: PathBuf,
    /// The `verify` executable (absolute).
    pub exe: PathBuf,
    /// The command and its arguments, without `--out`, `--shard` and `--resume`.
    pub command: Vec<String>,
    /// Extra arguments of the merge (e.g. `--format json`).
    pub merge_args: Vec<String>,
}

fn sbatch_header(spec: &JobSpec, name: &str, log: &Path, minutes: u64, mem: u64) -> String {
    let mut h = format!(
        "#SBATCH --job-name={name}\n#SBATCH --chdir={}\n#SBATCH --output={}\n#SBATCH --time={}\n#SBATCH --mem={mem}M\n",
        shell_quote(&spec.workdir.display().to_string()),
        shell_quote(&log.display().to_string()),
        slurm_time(minutes),
    );
    if let Some(p) = &spec.partition {
        h.push_str(&format!("#SBATCH --partition={}\n", shell_quote(p)));
    }
    h
}

/// The job-array script: task i runs shard i/K with `--resume` into its own folder, so a task
/// SLURM requeues (preemption, node failure, `scontrol requeue`) continues where it stopped.
pub fn array_script(spec: &JobSpec, layout: &ClusterLayout) -> String {
    let r = &spec.resources;
    let k = spec.shards;
    let log = layout.log_dir().join("shard-%a.log");
    let shard_root = layout.out.join("shards");
    format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: shard $SLURM_ARRAY_TASK_ID of {k} of\n\
         #   verify {cmd}\n\
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
        cmd = quoted(&spec.command),
        basis = r.basis,
        header = sbatch_header(spec, &spec.name, &log, r.minutes, r.mem_mib),
        last = k - 1,
        cpus = r.cpus,
        exe = shell_quote(&spec.exe.display().to_string()),
        root = shell_quote(&shard_root.display().to_string()),
    )
}

/// The merge script: combines the K shard folders into `--out` and records its exit code (the
/// merged verdict's: 0 agree, 1 disagree, 4 inconclusive) in `slurm/merge.exit`.
pub fn merge_script(spec: &JobSpec, layout: &ClusterLayout) -> String {
    let dirs: Vec<String> = (0..spec.shards)
        .map(|i| layout.shard_dir(i).display().to_string())
        .collect();
    let mut argv = vec!["merge".to_string()];
    argv.extend(dirs);
    argv.extend(["--out".into(), layout.out.display().to_string()]);
    argv.extend(spec.merge_args.iter().cloned());
    let exit = shell_quote(&layout.merge_exit().display().to_string());
    format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: merges the {k} shards of\n\
         #   verify {cmd}\n\
         # into the result set of the unsharded run; submitted with --dependency=afterok on the array.\n\
         {header}#SBATCH --cpus-per-task=1\n\
         set -u\n\
         {exe} {merge}\n\
         code=$?\n\
         echo \"$code\" > {exit}.tmp && mv {exit}.tmp {exit}\n\
         exit \"$code\"\n",
        k = spec.shards,
        cmd = quoted(&spec.command),
        header = sbatch_header(
            spec,
            &format!("{}-merge", spec.name),
            &layout.log_dir().join("merge.log"),
            30,
            1024
        ),
        exe = shell_quote(&spec.exe.display().to_string()),
        merge = quoted(&argv),
    )
}

/// A command without a sharded form run whole as one job, its exit code recorded in
/// `slurm/job.exit`.
pub fn job_script(spec: &JobSpec, layout: &ClusterLayout) -> String {
    let r = &spec.resources;
    let exit = shell_quote(&layout.job_exit().display().to_string());
    format!(
        "#!/bin/bash\n\
         # Written by `verify slurm`: runs, as one job,\n\
         #   verify {cmd}\n\
         # Resources: {basis}.\n\
         {header}#SBATCH --cpus-per-task={cpus}\n\
         set -u\n\
         export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n\
         {exe} {cmd}\n\
         code=$?\n\
         echo \"$code\" > {exit}.tmp && mv {exit}.tmp {exit}\n\
         exit \"$code\"\n",
        cmd = quoted(&spec.command),
        basis = r.basis,
        header = sbatch_header(
            spec,
            &spec.name,
            &layout.log_dir().join("job.log"),
            r.minutes,
            r.mem_mib
        ),
        cpus = r.cpus,
        exe = shell_quote(&spec.exe.display().to_string()),
    )
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
    let mut found: Vec<usize> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    found.sort_unstable();
    let record: Option<JobsRecord> = std::fs::read_to_string(layout.jobs())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
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

    fn spec() -> JobSpec {
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
        let s = array_script(&spec(), &layout);
        for line in [
            "#SBATCH --array=0-2",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --time=0-01:30:00",
            "#SBATCH --mem=700M",
            "#SBATCH --partition=short",
            "#SBATCH --requeue",
            "#SBATCH --chdir='/home/me/work dir'",
            "#SBATCH --output=/data/out/slurm/logs/shard-%a.log",
            "exec /opt/verify single-index --kappa 1,10 --quiet --resume --shard \"$i/3\" --out /data/out/shards/\"$i\"",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        let m = merge_script(&spec(), &layout);
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
