//! A run's result set is published as one: every file is written into a staging folder beside
//! `--out` (holding hard links, or copies where the file system has none, of what the folder
//! already has), and the staging folder then replaces `--out` in one atomic step (Linux
//! `renameat2(RENAME_EXCHANGE)`). Whatever happens — `kill -9` at any moment, a full disk, an
//! error while drawing a figure — `--out` holds either the previous complete result set or the
//! new complete one, never a mixture.
//!
//! Where the file system has no atomic exchange (or on another operating system) the previous
//! set is first renamed aside (`.NAME.previous-PID`) and the new one renamed into place: two
//! atomic renames, between which `--out` is briefly absent but never mixed; a run killed
//! between them leaves the previous set aside, and the next run (or `verify status`) under the
//! folder's lock puts it back before anything else. There is no file-by-file fallback: a
//! folder that cannot be replaced whole (`--out` a mount point, a parent folder that cannot be
//! written) is refused before the run starts ([`check_out`]).
//!
//! While a run is under way its checkpoint is [`PARTIAL_UNITS_FILE`]; publishing a finished
//! run makes it the set's [`UNITS_FILE`]. Sub-folders are carried over as trees of links.

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

/// A result set being written.
#[derive(Debug)]
struct Staging {
    /// Its canonical path (the one replaced).
    real: PathBuf,
    /// Where the files are written.
    dir: PathBuf,
    checkpoint: Checkpoint,
    done: bool,
}

/// The prefix of staging folders of `out` (whose name is `name`) in its parent.
fn staging_prefix(name: &str) -> String {
    format!(".{name}.staging-")
}

/// The prefix of a previous set renamed aside while the new one is moved in (no exchange).
fn aside_prefix(name: &str) -> String {
    format!(".{name}.previous-")
}

/// Refuse, before a run starts, an `--out` whose result set cannot be replaced as one or whose
/// replacement would pull a folder from under the user: empty, `/`, the working folder or one
/// holding it, the home folder or one holding it, a mount point, or a folder whose parent cannot
/// be written. Also puts back a previous set a killed run left aside (see the module docs).
pub fn check_out(out: &Path) -> Result<(), HarnessError> {
    if out.as_os_str().is_empty() {
        return Err(HarnessError::Usage(
            "--out is empty: name the folder the results go to (e.g. --out out/run1)".into(),
        ));
    }
    let full = resolve(out).map_err(io(out))?;
    let refuse = |why: &str| {
        Err(HarnessError::Usage(format!(
            "--out {} {why}: a run replaces its --out folder whole when it publishes; choose a folder inside it, e.g. --out {}",
            out.display(),
            out.join("results").display()
        )))
    };
    if full.parent().is_none() {
        return refuse("is the root folder");
    }
    if std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(&full)) {
        return refuse("is the working folder or holds it");
    }
    let homes = [std::env::var_os("HOME").map(PathBuf::from), account_home()];
    if homes
        .into_iter()
        .flatten()
        .filter_map(|h| h.canonicalize().ok())
        .any(|h| h.starts_with(&full))
    {
        return refuse("is the home folder or holds it");
    }
    if is_mount_point(&full) {
        return refuse("is a mount point (it cannot be renamed or swapped)");
    }
    restore_aside(&full)?;
    check_parent_writable(out, &full)
}

/// The user's home folder from the account database (whatever `$HOME` says).
fn account_home() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: getpwuid returns a pointer into static storage or null; read at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr((*pw).pw_dir);
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes())))
    }
}

/// `path` made absolute with every existing part resolved (links, `..`) and the rest taken as
/// written.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::env::current_dir()?.join(path);
    let mut known = PathBuf::from("/");
    let mut existing = true;
    for c in abs.components() {
        match c {
            std::path::Component::RootDir | std::path::Component::Prefix(_) => {}
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                known.pop();
            }
            std::path::Component::Normal(n) => {
                known.push(n);
                if existing {
                    match known.canonicalize() {
                        Ok(c) => known = c,
                        Err(_) => existing = false,
                    }
                }
            }
        }
    }
    Ok(known)
}

/// Whether `path` (absolute, resolved) is a mount point: another device than its parent, or
/// listed as a mount point by the kernel (a bind mount of the same device).
fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(m), Some(Ok(pm))) = (
        std::fs::metadata(path),
        path.parent().map(std::fs::metadata),
    ) else {
        return false;
    };
    if m.dev() != pm.dev() {
        return true;
    }
    let mountinfo = Path::new("/proc/self/mountinfo");
    let Ok(table) =
        crate::read::regular_text(mountinfo, crate::read::MAX_RECORD_FILE, "mount table")
    else {
        return false;
    };
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .any(|mp| Path::new(&unescape_mount(mp)) == path)
}

/// A mount point as /proc/self/mountinfo writes it (space, tab, newline and `\` as octal).
fn unescape_mount(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A previous set left aside by a run killed between its two renames goes back in place (when
/// `--out` is missing); refused when several are left (which one is newest is unknown).
fn restore_aside(full: &Path) -> Result<(), HarnessError> {
    let (Some(parent), Some(name)) = (full.parent(), full.file_name()) else {
        return Ok(());
    };
    if full.exists() {
        return Ok(());
    }
    let prefix = aside_prefix(&name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    let left: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    match left.as_slice() {
        [] => Ok(()),
        [one] => std::fs::rename(one, full).map_err(io(full)),
        _ => Err(HarnessError::Usage(format!(
            "--out {} is missing and {} previous result sets were left beside it ({}…); move the one to keep to {}",
            full.display(),
            left.len(),
            prefix,
            full.display()
        ))),
    }
}

/// The staging folder is made beside `--out`: its parent must be writable.
fn check_parent_writable(out: &Path, full: &Path) -> Result<(), HarnessError> {
    use std::os::unix::ffi::OsStrExt;
    let Some(parent) = full.parent().filter(|p| p.is_dir()) else {
        return Ok(());
    };
    let Ok(c) = std::ffi::CString::new(parent.as_os_str().as_bytes()) else {
        return Ok(());
    };
    // SAFETY: a valid NUL-terminated path that outlives the call.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } == 0 {
        return Ok(());
    }
    Err(HarnessError::Usage(format!(
        "--out {}: its parent folder {} is not writable, so the result set cannot be staged beside it and published as one; choose an --out inside a folder you can write",
        out.display(),
        parent.display()
    )))
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
    /// Prepare a staging folder beside `out` (created if missing) holding links to what `out`
    /// has; an error when it cannot be made (the set could not be published as one).
    fn begin(out: &Path, checkpoint: Checkpoint) -> Result<Self, HarnessError> {
        check_out(out)?;
        std::fs::create_dir_all(out).map_err(io(out))?;
        let real = out.canonicalize().map_err(io(out))?;
        let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
            return Err(HarnessError::Usage(format!(
                "--out {} has no parent folder to stage a result set in; choose a folder inside it",
                out.display()
            )));
        };
        let name = name.to_string_lossy();
        remove_leftovers(parent, &staging_prefix(&name));
        // `out` exists, so a previous set left aside is older than it.
        remove_leftovers(parent, &aside_prefix(&name));
        let dir = parent.join(format!("{}{}", staging_prefix(&name), std::process::id()));
        // Errors name `out`, never the staging folder the user did not ask for.
        std::fs::create_dir(&dir).map_err(io(&real))?;
        let mut s = Staging {
            dir,
            real,
            checkpoint,
            done: false,
        };
        s.carry().map_err(|e| e.relocated(&s.dir, &s.real))?;
        Ok(s)
    }

    /// Link (or copy) what `out` has into the staging folder, under its name in the new set.
    fn carry(&mut self) -> Result<(), HarnessError> {
        let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(&self.real)
            .map_err(io(&self.real))?
            .collect::<Result<_, _>>()
            .map_err(io(&self.real))?;
        let has_partial = self.real.join(PARTIAL_UNITS_FILE).exists();
        for e in &entries {
            // A name that is not UTF-8 is none of ours: carried as it is, byte for byte.
            let name = e.file_name();
            let target = match name.to_str() {
                Some(n) => carried_name(n, self.checkpoint, has_partial).map(std::ffi::OsStr::new),
                None => Some(name.as_os_str()),
            };
            if let Some(target) = target {
                link_entry(e, &self.dir.join(target))?;
            }
        }
        if let Ok(meta) = std::fs::metadata(&self.real) {
            let _ = std::fs::set_permissions(&self.dir, meta.permissions());
        }
        Ok(())
    }

    /// Put the new set in place: one exchange, or (without it) aside-and-rename.
    fn commit(mut self) -> Result<(), HarnessError> {
        self.done = true;
        sync_dir(&self.dir);
        let parent = self.real.parent().unwrap_or(Path::new("/")).to_path_buf();
        // VERIFY_PUBLISH_NO_EXCHANGE (a testing knob) takes the other path on purpose.
        let no_exchange = std::env::var_os("VERIFY_PUBLISH_NO_EXCHANGE").is_some();
        if no_exchange || exchange(&self.dir, &self.real).is_err() {
            self.replace_aside(&parent)?;
        }
        sync_dir(&parent);
        // The staging path now holds the previous set.
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }

    /// Without the exchange: rename the previous set aside, the new one into place, and leave
    /// the previous set at the staging path (removed by the caller). A failure puts it back.
    fn replace_aside(&self, parent: &Path) -> Result<(), HarnessError> {
        let name = self.real.file_name().unwrap_or_default().to_string_lossy();
        let aside = parent.join(format!("{}{}", aside_prefix(&name), std::process::id()));
        std::fs::rename(&self.real, &aside).map_err(io(&self.real))?;
        if let Err(e) = std::fs::rename(&self.dir, &self.real) {
            let _ = std::fs::rename(&aside, &self.real);
            return Err(io(&self.real)(e));
        }
        sync_dir(parent);
        std::fs::rename(&aside, &self.dir).map_err(io(&self.dir))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Carry `e` into the staging folder as `target`: a file as a hard link (a copy where the file
/// system has none), a sub-folder (the shards and scripts of `verify slurm`, phase's checks) as
/// a tree of them (a staging folder or a temporary an interrupted run left in it is not
/// carried).
fn link_entry(e: &std::fs::DirEntry, target: &Path) -> Result<(), HarnessError> {
    let kind = e.file_type().map_err(io(&e.path()))?;
    if !kind.is_dir() {
        if std::fs::hard_link(e.path(), target).is_ok() {
            return Ok(());
        }
        return std::fs::copy(e.path(), target)
            .map(drop)
            .map_err(io(target));
    }
    // A sub-folder on another file system (a mount inside --out) cannot be carried or swapped:
    // refuse before anything moves, rather than copy it and empty the mount.
    {
        use std::os::unix::fs::MetadataExt;
        let here = std::fs::metadata(e.path()).map_err(io(&e.path()))?;
        let parent = e.path().parent().map(std::fs::metadata);
        if let Some(Ok(p)) = parent {
            if p.dev() != here.dev() {
                return Err(HarnessError::Usage(format!(
                    "--out holds a mount point, {}: a run replaces its --out folder whole; unmount it or choose another --out",
                    e.path().display()
                )));
            }
        }
    }
    std::fs::create_dir(target).map_err(io(target))?;
    for sub in std::fs::read_dir(e.path()).map_err(io(&e.path()))? {
        let sub = sub.map_err(io(&e.path()))?;
        let os_name = sub.file_name();
        let name = os_name.to_string_lossy();
        let left_over = name.starts_with('.') && name.contains(".staging-");
        if !is_temporary(&name) && !left_over {
            link_entry(&sub, &target.join(&os_name))?;
        }
    }
    // The carried folder keeps its permissions (a private shard folder stays private).
    let mode = std::fs::metadata(e.path()).map_err(io(&e.path()))?;
    std::fs::set_permissions(target, mode.permissions()).map_err(io(target))
}

/// Remove staging folders (or previous sets) an interrupted run left beside `out` (the caller
/// holds `out`'s lock, so no other run is using them).
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

    /// What the folder held beside the result set is carried over as it was: a private
    /// sub-folder stays private, and names that are not UTF-8 keep their bytes.
    #[cfg(unix)]
    #[test]
    fn carried_entries_keep_their_modes_and_names() {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::PermissionsExt;
        let base = scratch("carry");
        let out = base.join("out");
        let private = out.join("shards");
        std::fs::create_dir_all(private.join("0")).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"notes-\xff\xfe.txt");
        std::fs::write(out.join(odd), "mine").unwrap();
        std::fs::write(private.join(odd), "mine too").unwrap();
        for no_exchange in [false, true] {
            if no_exchange {
                std::env::set_var("VERIFY_PUBLISH_NO_EXCHANGE", "1");
            }
            publish::<_, HarnessError>(&out, Checkpoint::None, |dir| {
                reports::write_atomic(&dir.join("a.csv"), b"new").unwrap();
                Ok(())
            })
            .unwrap();
            std::env::remove_var("VERIFY_PUBLISH_NO_EXCHANGE");
            let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "the sub-folder's mode");
            assert_eq!(std::fs::read_to_string(out.join(odd)).unwrap(), "mine");
            assert_eq!(
                std::fs::read_to_string(private.join(odd)).unwrap(),
                "mine too"
            );
            assert!(private.join("0").is_dir());
        }
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

    #[test]
    fn without_the_exchange_the_set_is_replaced_by_two_renames() {
        let base = scratch("aside");
        let out = base.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("a.csv"), "old").unwrap();
        let staging = Staging::begin(&out, Checkpoint::None).unwrap();
        reports::write_atomic(&staging.dir.join("a.csv"), b"new").unwrap();
        let real = out.canonicalize().unwrap();
        staging.replace_aside(real.parent().unwrap()).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "new");
        // The previous set now sits at the staging path (commit removes it).
        assert_eq!(
            std::fs::read_to_string(staging.dir.join("a.csv")).unwrap(),
            "old"
        );
        drop(staging);
        assert_eq!(names(&base), ["out"]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_set_left_aside_by_a_killed_run_is_put_back() {
        let base = scratch("restore");
        let out = base.join("out");
        std::fs::create_dir_all(base.join(".out.previous-4242")).unwrap();
        std::fs::write(base.join(".out.previous-4242/a.csv"), "old").unwrap();
        check_out(&out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        // Two left aside: which is newer is unknown, so nothing is guessed.
        std::fs::remove_dir_all(&out).unwrap();
        std::fs::create_dir_all(base.join(".out.previous-1")).unwrap();
        std::fs::create_dir_all(base.join(".out.previous-2")).unwrap();
        assert!(matches!(check_out(&out), Err(HarnessError::Usage(_))));
        // With the folder present, a set left aside is older and goes at the next publish.
        std::fs::create_dir_all(&out).unwrap();
        publish::<_, HarnessError>(&out, Checkpoint::None, |_| Ok(())).unwrap();
        assert_eq!(names(&base), ["out"]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn folders_that_cannot_be_replaced_whole_are_refused() {
        let cwd = std::env::current_dir().unwrap();
        for bad in [
            PathBuf::new(),
            PathBuf::from("/"),
            PathBuf::from("."),
            cwd.clone(),
            cwd.parent().unwrap().to_path_buf(),
            cwd.join("x/../.."),
        ] {
            let e = check_out(&bad).expect_err(&bad.display().to_string());
            assert!(matches!(e, HarnessError::Usage(m) if m.contains("--out")));
        }
        assert!(check_out(&cwd.join("target/some-out")).is_ok());
        assert!(is_mount_point(Path::new("/proc")));
        assert!(!is_mount_point(&cwd));
        assert_eq!(unescape_mount("/a\\040b\\134c"), "/a b\\c");
    }
}
