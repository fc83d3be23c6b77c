//! A run's result set is published as one: every file is written into a staging folder beside
//! `--out` (holding hard links to what the folder already has), and the staging folder is then
//! swapped with `--out` in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`). Whatever
//! happens — `kill -9` at any moment, a full disk, an error while drawing a figure — `--out`
//! holds either the previous complete result set or the new complete one, never a mixture.
//!
//! While a run is under way its checkpoint is [`PARTIAL_UNITS_FILE`]; publishing a finished
//! run makes it the set's [`UNITS_FILE`]. Where the swap is impossible (another operating
//! system, a filesystem without the exchange, `--out` being a mount point) files are replaced
//! one by one, each still atomically. Sub-folders are carried over as trees of hard links.

use crate::error::HarnessError;
use reports::ReportError;
use std::path::{Path, PathBuf};

/// A finished run's checkpoint in its output folder: one line per unit after a header.
pub const UNITS_FILE: &str = "units.jsonl";

/// The checkpoint of a run not yet finished (`--resume` continues it); it becomes
/// [`UNITS_FILE`] when the run's results are published.
pub const PARTIAL_UNITS_FILE: &str = "units.partial.jsonl";

/// What the published set's checkpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// The run simulated: its finished checkpoint ([`PARTIAL_UNITS_FILE`]) becomes
    /// [`UNITS_FILE`].
    Finished,
    /// No simulation (theory only, or a command without a checkpoint): the set has no
    /// [`UNITS_FILE`]; an interrupted run's [`PARTIAL_UNITS_FILE`] stays resumable.
    None,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| {
        HarnessError::Report(ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Write a result set into `out` as one: `write` gets the folder to write every file into (a
/// staging folder; errors naming it are reported with `out`'s name), then the set replaces
/// `out`'s previous one atomically. On an error nothing in `out` changes (but for a checkpoint).
///
/// The staging folder starts with hard links to `out`'s files: `write` must replace a file
/// (`reports::write_atomic`, a rename), never write into an existing one.
pub fn publish<T, E: PublishError>(
    out: &Path,
    checkpoint: Checkpoint,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    let staging = Staging::begin(out, checkpoint)?;
    let value = write(&staging.dir).map_err(|e| e.relocated(&staging.dir, out))?;
    staging.commit()?;
    Ok(value)
}

/// An error type a [`publish`] closure may return: it takes the engine's errors, and a path it
/// names inside the staging folder can be renamed to the output folder's.
pub trait PublishError: From<HarnessError> {
    /// The same error with paths under `from` named under `to`.
    fn relocated(self, from: &Path, to: &Path) -> Self;
}

impl PublishError for HarnessError {
    fn relocated(self, from: &Path, to: &Path) -> Self {
        match self {
            HarnessError::Report(r) => HarnessError::Report(relocate(r, from, to)),
            other => other,
        }
    }
}

/// Whether `name` is a temporary file of an interrupted atomic write (see `reports::write_atomic`).
fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp")
}

/// How a set gets into `out`.
#[derive(Debug, PartialEq)]
enum Mode {
    /// Staged beside `out`, swapped in whole.
    Exchange,
    /// Written into `out` file by file.
    InPlace,
}

/// A result set being written.
#[derive(Debug)]
struct Staging {
    /// Its canonical path (the one swapped).
    real: PathBuf,
    /// Where the files are written.
    dir: PathBuf,
    mode: Mode,
    checkpoint: Checkpoint,
    done: bool,
}

/// The prefix of staging folders of `out` (whose name is `name`) in its parent.
fn staging_prefix(name: &str) -> String {
    format!(".{name}.staging-")
}

/// The name an entry of `out` gets in the new set (None: it is not carried over).
fn carried_name(name: &str, checkpoint: Checkpoint, has_partial: bool) -> Option<&str> {
    if is_temporary(name) {
        return None;
    }
    match (name, checkpoint) {
        (PARTIAL_UNITS_FILE, Checkpoint::Finished) => Some(UNITS_FILE),
        (UNITS_FILE, Checkpoint::Finished) if has_partial => None,
        (UNITS_FILE, Checkpoint::None) => None,
        _ => Some(name),
    }
}

impl Staging {
    /// Prepare a staging folder holding links to what `out` has (created if missing); falls
    /// back to writing in place when a swap is impossible.
    fn begin(out: &Path, checkpoint: Checkpoint) -> Result<Self, HarnessError> {
        std::fs::create_dir_all(out).map_err(io(out))?;
        let real = out.canonicalize().map_err(io(out))?;
        let mut s = Staging {
            dir: real.clone(),
            real,
            mode: Mode::InPlace,
            checkpoint,
            done: false,
        };
        if cfg!(target_os = "linux") {
            if let Some(dir) = s.stage()? {
                s.dir = dir;
                s.mode = Mode::Exchange;
            }
        }
        Ok(s)
    }

    /// Make the staging folder; None when `out` cannot be swapped (no parent we can write in,
    /// a filesystem without hard links).
    fn stage(&self) -> Result<Option<PathBuf>, HarnessError> {
        let (Some(parent), Some(name)) = (self.real.parent(), self.real.file_name()) else {
            return Ok(None);
        };
        let name = name.to_string_lossy();
        remove_leftovers(parent, &staging_prefix(&name));
        let dir = parent.join(format!("{}{}", staging_prefix(&name), std::process::id()));
        if std::fs::create_dir(&dir).is_err() {
            return Ok(None);
        }
        let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(&self.real)
            .map_err(io(&self.real))?
            .collect::<Result<_, _>>()
            .map_err(io(&self.real))?;
        let has_partial = self.real.join(PARTIAL_UNITS_FILE).exists();
        for e in &entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let linked = match carried_name(&name, self.checkpoint, has_partial) {
                Some(target) => link_entry(e, &dir.join(target)),
                None => true,
            };
            if !linked {
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(None);
            }
        }
        if let Ok(meta) = std::fs::metadata(&self.real) {
            let _ = std::fs::set_permissions(&dir, meta.permissions());
        }
        Ok(Some(dir))
    }

    /// Swap the new set in (or finish an in-place write).
    fn commit(mut self) -> Result<(), HarnessError> {
        self.done = true;
        if self.mode == Mode::InPlace {
            return self.finish_in_place();
        }
        sync_dir(&self.dir);
        match exchange(&self.dir, &self.real) {
            Ok(()) => {
                sync_dir(self.real.parent().unwrap_or(Path::new("/")));
                // The staging path now holds the previous set.
                let _ = std::fs::remove_dir_all(&self.dir);
                Ok(())
            }
            Err(_) => self.move_file_by_file(),
        }
    }

    /// In place: the checkpoint files are renamed or removed as the set requires.
    fn finish_in_place(&self) -> Result<(), HarnessError> {
        let partial = self.real.join(PARTIAL_UNITS_FILE);
        let units = self.real.join(UNITS_FILE);
        match self.checkpoint {
            Checkpoint::Finished if partial.exists() => {
                std::fs::rename(&partial, &units).map_err(io(&units))
            }
            Checkpoint::None if units.exists() => std::fs::remove_file(&units).map_err(io(&units)),
            _ => Ok(()),
        }
    }

    /// Without the atomic swap: rename each staged file over its old version, then remove what
    /// the new set does not hold.
    fn move_file_by_file(&self) -> Result<(), HarnessError> {
        let mut names = Vec::new();
        for e in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let e = e.map_err(io(&self.dir))?;
            let target = self.real.join(e.file_name());
            std::fs::rename(e.path(), &target).map_err(io(&target))?;
            names.push(e.file_name());
        }
        for e in std::fs::read_dir(&self.real).map_err(io(&self.real))? {
            let e = e.map_err(io(&self.real))?;
            // What the new set does not hold (stale results, a consumed checkpoint) goes.
            if e.file_type().is_ok_and(|t| t.is_file()) && !names.contains(&e.file_name()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done && self.mode == Mode::Exchange {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Carry `e` into the staging folder as `target`: a file as a hard link, a sub-folder (the
/// shards and scripts of `verify slurm`, phase's checks) as a tree of hard links (a staging
/// folder an interrupted run left in it is not carried). False when it cannot be linked.
fn link_entry(e: &std::fs::DirEntry, target: &Path) -> bool {
    let Ok(kind) = e.file_type() else {
        return false;
    };
    if !kind.is_dir() {
        return std::fs::hard_link(e.path(), target).is_ok();
    }
    if std::fs::create_dir(target).is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(e.path()) else {
        return false;
    };
    entries.into_iter().all(|sub| {
        let Ok(sub) = sub else { return false };
        let name = sub.file_name().to_string_lossy().into_owned();
        is_temporary(&name)
            || (name.starts_with('.') && name.contains(".staging-"))
            || link_entry(&sub, &target.join(&name))
    })
}

/// Remove staging folders an interrupted run left beside `out` (the caller holds `out`'s lock,
/// so no other run is using them).
fn remove_leftovers(parent: &Path, prefix: &str) {
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Flush a folder's entries to disk (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Swap two folders atomically.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// A file error naming a path in the staging folder `from`, renamed to name it in `to`.
pub fn relocate(e: ReportError, from: &Path, to: &Path) -> ReportError {
    let moved = |p: PathBuf| match p.strip_prefix(from) {
        Ok(rest) => to.join(rest),
        Err(_) => p,
    };
    match e {
        ReportError::Io { path, source } => ReportError::Io {
            path: moved(path),
            source,
        },
        ReportError::Encode { path, reason } => ReportError::Encode {
            path: moved(path),
            reason,
        },
        ReportError::Decode { path, line, reason } => ReportError::Decode {
            path: moved(path),
            line,
            reason,
        },
        ReportError::Plot { path, reason } => ReportError::Plot {
            path: moved(path),
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("publish-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_new_set_replaces_the_old_one_whole() {
        let base = scratch("whole");
        let out = base.join("out");
        std::fs::create_dir_all(&out).unwrap();
        for (f, t) in [
            ("a.csv", "old"),
            ("old.svg", "old"),
            ("units.jsonl", "old units"),
        ] {
            std::fs::write(out.join(f), t).unwrap();
        }
        std::fs::write(out.join(PARTIAL_UNITS_FILE), "new units").unwrap();
        std::fs::write(out.join(".a.csv.tmp77"), "junk").unwrap();
        publish::<_, HarnessError>(&out, Checkpoint::Finished, |dir| {
            reports::write_atomic(&dir.join("a.csv"), b"new").unwrap();
            std::fs::remove_file(dir.join("old.svg")).unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&out), ["a.csv", "units.jsonl"]);
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "new");
        assert_eq!(
            std::fs::read_to_string(out.join("units.jsonl")).unwrap(),
            "new units"
        );
        assert_eq!(names(&base), ["out"], "no staging folder left");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn an_error_leaves_the_previous_set_untouched() {
        let base = scratch("error");
        let out = base.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("a.csv"), "old").unwrap();
        std::fs::write(out.join("units.jsonl"), "old units").unwrap();
        let r: Result<(), HarnessError> = publish(&out, Checkpoint::None, |dir| {
            reports::write_atomic(&dir.join("a.csv"), b"new").unwrap();
            Err(HarnessError::Report(ReportError::Plot {
                path: dir.join("f.svg"),
                reason: "no".into(),
            }))
        });
        let msg = r.unwrap_err().to_string();
        assert!(
            msg.contains(&out.join("f.svg").display().to_string()),
            "{msg}"
        );
        assert_eq!(names(&out), ["a.csv", "units.jsonl"]);
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        assert_eq!(names(&base), ["out"]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn theory_only_drops_the_checkpoint_but_keeps_an_interrupted_one() {
        let base = scratch("theory");
        let out = base.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("units.jsonl"), "old").unwrap();
        std::fs::write(out.join(PARTIAL_UNITS_FILE), "running").unwrap();
        publish::<_, HarnessError>(&out, Checkpoint::None, |_| Ok(())).unwrap();
        assert_eq!(names(&out), [PARTIAL_UNITS_FILE]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn sub_folders_are_carried_as_linked_trees_and_swapped_whole() {
        let base = scratch("sub");
        let out = base.join("out");
        std::fs::create_dir_all(out.join("shards/0")).unwrap();
        std::fs::create_dir_all(out.join("shards/.1.staging-9")).unwrap();
        std::fs::write(out.join("shards/0/units.jsonl"), "shard 0").unwrap();
        std::fs::write(out.join("shards/0/.x.csv.tmp3"), "junk").unwrap();
        std::fs::write(out.join("units.jsonl"), "old").unwrap();
        publish::<_, HarnessError>(&out, Checkpoint::None, |dir| {
            assert_ne!(dir, out.canonicalize().unwrap(), "staged, not in place");
            reports::write_atomic(&dir.join("b.csv"), b"new").unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(names(&out), ["b.csv", "shards"]);
        assert_eq!(names(&out.join("shards")), ["0"]);
        assert_eq!(names(&out.join("shards/0")), ["units.jsonl"]);
        assert_eq!(
            std::fs::read_to_string(out.join("shards/0/units.jsonl")).unwrap(),
            "shard 0"
        );
        assert_eq!(names(&base), ["out"], "no staging folder left");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_staging_folder_left_by_a_killed_run_is_removed() {
        let base = scratch("left");
        let out = base.join("out");
        std::fs::create_dir_all(base.join(".out.staging-1")).unwrap();
        publish::<_, HarnessError>(&out, Checkpoint::None, |_| Ok(())).unwrap();
        assert_eq!(names(&base), ["out"]);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
