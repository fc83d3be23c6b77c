//! The one way the tool reads a file: [`regular_file`]. Every file read (a spectrum file, an
//! experiment file or result JSON, a checkpoint, a cluster job record or exit file, …) goes
//! through it, so a FIFO, a device such as `/dev/zero`, a socket, a directory or a file larger
//! than its stated cap is refused with the path named, instead of hanging or filling memory.
//!
//! The file is opened with `O_NONBLOCK` (opening a FIFO never waits for a writer) and
//! `O_CLOEXEC`; the *opened* handle is then checked (`fstat`): it must be a regular file (a
//! symbolic link to a regular file is fine) of at most `cap` bytes, and reading stops after
//! `cap + 1` bytes in case the file grows while it is read. Not a regular file, or over the cap:
//! [`HarnessError::Usage`] (exit 2, bad input). The operating system refusing to open or read
//! it: [`HarnessError::Read`] (exit 3).

use crate::error::HarnessError;
use std::io::Read;
use std::path::Path;

/// Cap of a checkpoint (`units.partial.jsonl`, `units.jsonl`): 1 GiB, about ten million units of
/// a few values each.
pub const MAX_CHECKPOINT: u64 = 1 << 30;
/// Cap of an experiment file (`verify run FILE.toml`) or a result JSON re-run with `verify run`
/// (its rows included): 64 MiB.
pub const MAX_EXPERIMENT_FILE: u64 = 64 << 20;
/// Cap of a small record the tool writes itself or the system provides (a cluster job record
/// `jobs.json`, a job's exit-code file, `/proc/meminfo`, a `Cargo.lock`): 1 MiB.
pub const MAX_RECORD_FILE: u64 = 1 << 20;
/// Cap of a cluster job's log, read to show why a job failed: 64 MiB.
pub const MAX_LOG_FILE: u64 = 64 << 20;
/// Cap of an input file fingerprinted again to check it is unchanged (the spectrum file's own
/// cap, 64 MiB, is smaller; a larger file has changed anyway): 1 GiB.
pub const MAX_INPUT_FILE: u64 = 1 << 30;

fn refused(what: &str, path: &Path, why: String) -> HarnessError {
    HarnessError::Usage(format!("cannot read {what} {}: {why}", path.display()))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// What kind of file a non-regular file is, for messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    options.open(path)
}

/// The content of the regular file at `path`, of at most `cap` bytes; `what` names the file in
/// messages ("spectrum file", "checkpoint", …). See the module documentation for what is refused
/// and with which error.
pub fn regular_file(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, HarnessError> {
    let file = open(path).map_err(io_error(path))?;
    let meta = file.metadata().map_err(io_error(path))?;
    if !meta.is_file() {
        let kind = kind_of(meta.file_type());
        return Err(refused(
            what,
            path,
            format!("it is {kind}, not a regular file"),
        ));
    }
    let too_big = |size: u64| {
        refused(
            what,
            path,
            format!(
                "{size} bytes or more, more than the {cap} bytes ({}) allowed",
                human(cap)
            ),
        )
    };
    if meta.len() > cap {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(cap + 1));
    }
    Ok(bytes)
}

/// [`regular_file`] as UTF-8 text (other content is refused as bad input, exit 2).
pub fn regular_text(path: &Path, cap: u64, what: &str) -> Result<String, HarnessError> {
    String::from_utf8(regular_file(path, cap, what)?)
        .map_err(|e| refused(what, path, format!("not UTF-8 text ({e})")))
}

/// [`regular_text`], or None when nothing exists at `path` (an optional record such as a cluster
/// run's `jobs.json`); a file that exists but is refused or unreadable is still an error.
pub fn optional_text(path: &Path, cap: u64, what: &str) -> Result<Option<String>, HarnessError> {
    match regular_text(path, cap, what) {
        Err(HarnessError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// A cap in words ("64 MiB").
fn human(cap: u64) -> String {
    match cap {
        c if c >= 1 << 30 && c % (1 << 30) == 0 => format!("{} GiB", c >> 30),
        c if c >= 1 << 20 && c % (1 << 20) == 0 => format!("{} MiB", c >> 20),
        c if c >= 1 << 10 && c % (1 << 10) == 0 => format!("{} KiB", c >> 10),
        c => format!("{c} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("engine-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn refused_as(r: Result<Vec<u8>, HarnessError>, word: &str) {
        match r {
            Err(HarnessError::Usage(m)) => assert!(m.contains(word), "{m}"),
            other => panic!("expected a refusal naming '{word}', got {other:?}"),
        }
    }

    #[test]
    fn a_regular_file_and_a_link_to_one_are_read() {
        let d = scratch("regular");
        let p = d.join("a.txt");
        std::fs::write(&p, "1\n2\n").unwrap();
        assert_eq!(regular_file(&p, 4, "test file").unwrap(), b"1\n2\n");
        let link = d.join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert_eq!(regular_text(&link, 100, "test file").unwrap(), "1\n2\n");
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let d = scratch("cap");
        let p = d.join("big");
        std::fs::write(&p, "12345").unwrap();
        refused_as(regular_file(&p, 4, "test file"), "more than the 4 bytes");
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let d = scratch("fifo");
        let p = d.join("pipe");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let start = Instant::now();
        refused_as(regular_file(&p, 1 << 20, "test file"), "FIFO");
        assert!(start.elapsed() < Duration::from_secs(5));
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn devices_directories_and_links_to_devices_are_refused() {
        let d = scratch("devices");
        refused_as(
            regular_file(Path::new("/dev/zero"), 1 << 20, "test file"),
            "a device",
        );
        refused_as(regular_file(&d, 1 << 20, "test file"), "a directory");
        let link = d.join("units.jsonl");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        refused_as(regular_file(&link, 1 << 30, "checkpoint"), "units.jsonl");
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn an_optional_file_may_be_missing_but_not_special() {
        let d = scratch("optional");
        assert!(optional_text(&d.join("jobs.json"), 10, "job record")
            .unwrap()
            .is_none());
        std::fs::write(d.join("jobs.json"), "{}").unwrap();
        assert_eq!(
            optional_text(&d.join("jobs.json"), 10, "job record").unwrap(),
            Some("{}".to_string())
        );
        assert!(optional_text(Path::new("/dev/zero"), 10, "job record").is_err());
        std::fs::remove_dir_all(d).ok();
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let p = Path::new("/nonexistent-verify-test/x.json");
        match regular_file(p, 10, "test file") {
            Err(e @ HarnessError::Read { .. }) => {
                assert_eq!(e.exit_code(), 3);
                assert!(e.to_string().contains("x.json"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_cap_is_enforced_while_reading_a_file_that_reports_no_size() {
        // /proc files report size 0; the read itself is bounded.
        let b = regular_file(Path::new("/proc/self/status"), 1 << 20, "test file").unwrap();
        assert!(!b.is_empty());
        refused_as(
            regular_file(Path::new("/proc/self/status"), 8, "test file"),
            "more than the 8 bytes",
        );
    }
}
