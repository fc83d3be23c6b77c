//! One run per output folder: a lock file `.verify.lock` (holding the process id) is created
//! atomically when a run starts writing into `--out` and removed when it ends, so two runs into
//! the same folder cannot interleave their checkpoints and result files. A lock left by a process
//! that no longer exists (killed) is taken over.

use crate::error::HarnessError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".verify.lock";

/// Holds the output folder while alive.
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| {
        HarnessError::Report(reports::ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Whether process `pid` still runs (Linux: /proc; elsewhere assume it does).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.exists() || proc.join(pid.to_string()).exists()
}

impl OutLock {
    /// Lock `out` (created if missing); refuses, naming the folder and the other process, when
    /// another live run holds it.
    pub fn acquire(out: &Path) -> Result<Self, HarnessError> {
        if out.exists() && !out.is_dir() {
            return Err(HarnessError::Usage(format!(
                "--out {} is a file, not a folder; choose a folder",
                out.display()
            )));
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        let path = out.join(LOCK_FILE);
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    write!(f, "{}", std::process::id()).map_err(io(&path))?;
                    return Ok(OutLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    match holder.trim().parse::<u32>() {
                        Ok(pid) if alive(pid) => {
                            return Err(HarnessError::Usage(format!(
                                "--out {} is in use by another verify run (process {pid}); wait for it to finish or choose another --out (if no run is active, delete {})",
                                out.display(),
                                path.display()
                            )))
                        }
                        // Stale (the holder is gone) or half-written: take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io(&path)(e)),
            }
        }
        Err(HarnessError::Usage(format!(
            "--out {}: could not take the lock {}",
            out.display(),
            path.display()
        )))
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_stale_locks_are_taken_over() {
        let dir = std::env::temp_dir().join(format!("harness-lock-{}", std::process::id()));
        let a = OutLock::acquire(&dir).unwrap();
        assert!(matches!(
            OutLock::acquire(&dir),
            Err(HarnessError::Usage(_))
        ));
        drop(a);
        let b = OutLock::acquire(&dir).unwrap();
        drop(b);
        // A lock of a process that does not exist (pid far above any real one).
        std::fs::write(dir.join(LOCK_FILE), "4000000000").unwrap();
        let c = OutLock::acquire(&dir).unwrap();
        drop(c);
        assert!(!dir.join(LOCK_FILE).exists());
        std::fs::remove_dir_all(dir).ok();
    }
}
