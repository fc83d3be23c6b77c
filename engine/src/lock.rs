//! One run per output folder: a run holds an exclusive lock (`flock`) on `.verify.lock` in
//! `--out` while it writes there, so two runs into the same folder cannot interleave their
//! checkpoints and result files. The kernel releases the lock when the process ends, however it
//! ends (`kill -9` included), so there is never a stale lock to clear; the file itself stays
//! (removing it would let two runs lock two different files) and holds the last holder's id.

use crate::error::HarnessError;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".verify.lock";

/// Holds the output folder while alive.
#[derive(Debug)]
pub struct OutLock {
    /// The locked file (the lock lives as long as it is open).
    _file: File,
    /// Its path.
    pub path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| {
        HarnessError::Report(reports::ReportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Open (or create) the lock file without following a symbolic link, and only if it is a
/// regular file: a link planted at `.verify.lock` must never have its target overwritten.
fn open_no_follow(path: &Path) -> Result<File, HarnessError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc_nofollow());
    }
    let refused = || {
        HarnessError::Usage(format!(
            "{} is not a regular file (a symbolic link or a special file); remove it, or choose another --out",
            path.display()
        ))
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(refused());
    }
    let file = options.open(path).map_err(|e| {
        if path.is_symlink() {
            refused()
        } else {
            io(path)(e)
        }
    })?;
    if !file.metadata().map_err(io(path))?.is_file() {
        return Err(refused());
    }
    Ok(file)
}

/// Whether the lock file has other names (hard links): publishing links it into the staging
/// folder for a moment, but it may also be a link to someone else's file, which writing the PID
/// would overwrite. Such a file is locked, never written.
fn shared(file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        file.metadata().map_or(true, |m| m.nlink() > 1)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        false
    }
}

/// O_NOFOLLOW where the platform has it (Linux through libc), else no extra flag.
#[cfg(target_os = "linux")]
fn libc_nofollow() -> i32 {
    libc::O_NOFOLLOW
}

#[cfg(all(unix, not(target_os = "linux")))]
fn libc_nofollow() -> i32 {
    0
}

impl OutLock {
    /// Lock `out` (created if missing); refuses, naming the folder and the other process, when
    /// another run holds it.
    pub fn acquire(out: &Path) -> Result<Self, HarnessError> {
        crate::publish::check_out(out)?;
        if out.exists() && !out.is_dir() {
            return Err(HarnessError::Usage(format!(
                "--out {} is a file, not a folder; choose a folder",
                out.display()
            )));
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        let path = out.join(LOCK_FILE);
        let mut file = open_no_follow(&path)?;
        match file.try_lock() {
            Ok(()) => {
                if !shared(&file) {
                    file.set_len(0).map_err(io(&path))?;
                    file.rewind().map_err(io(&path))?;
                    write!(file, "{}", std::process::id()).map_err(io(&path))?;
                }
                Ok(OutLock { _file: file, path })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = (&file).take(64).read_to_string(&mut holder); // a pid: bounded
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                Err(HarnessError::Usage(format!(
                    "--out {} is in use by another verify run{holder}; wait for it to finish or choose another --out",
                    out.display()
                )))
            }
            Err(TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch folder holding a victim file and an empty --out: (folder, victim, out).
    #[cfg(unix)]
    fn victim_beside_out(name: &str) -> (PathBuf, PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("engine-lock-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(dir.join("out")).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        (dir.clone(), victim, dir.join("out"))
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_refused_and_its_target_untouched() {
        let (dir, victim, out) = victim_beside_out("link");
        std::os::unix::fs::symlink(&victim, out.join(LOCK_FILE)).unwrap();
        let e = OutLock::acquire(&out).expect_err("a link is refused");
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_hard_link_is_locked_but_never_written() {
        let (dir, victim, out) = victim_beside_out("hard");
        std::fs::hard_link(&victim, out.join(LOCK_FILE)).unwrap();
        let lock = OutLock::acquire(&out).expect("a shared file is still a lock");
        assert!(
            OutLock::acquire(&out).is_err(),
            "and it excludes a second run"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        drop(lock);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn one_holder_at_a_time_and_a_left_lock_file_is_no_lock() {
        let dir = std::env::temp_dir().join(format!("engine-lock-{}", std::process::id()));
        let a = OutLock::acquire(&dir).unwrap();
        assert!(matches!(
            OutLock::acquire(&dir),
            Err(HarnessError::Usage(_))
        ));
        drop(a);
        // Another test of this process may fork a child (to exec a command) while the lock's
        // descriptor is open; the child shares it until its exec closes it, so the lock can
        // outlive `drop` by a moment. Retry for up to a second.
        let again = || {
            for _ in 0..100 {
                if let Ok(l) = OutLock::acquire(&dir) {
                    return l;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            OutLock::acquire(&dir).unwrap()
        };
        let b = again();
        drop(b);
        // The file a killed run left (its process is gone, so nothing holds it).
        std::fs::write(dir.join(LOCK_FILE), "4000000000").unwrap();
        let c = again();
        assert_eq!(
            std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
            std::process::id().to_string()
        );
        drop(c);
        std::fs::remove_dir_all(dir).ok();
    }
}
