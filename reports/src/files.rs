//! Atomic CSV/JSON writers: every file is written to a temporary name in the same folder and
//! renamed over the target, so an interrupted run never leaves a half-written result.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
/// A result file that could not be written or encoded (the path is named).
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {reason}")]
    /// The content could not be encoded (or a line read back was not valid).
    Encode {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A file read back (a checkpoint) is not what was written.
    #[error("cannot read {path}, line {line}: {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    #[error("cannot draw {path}: {reason}")]
    /// A figure could not be drawn.
    Plot {
        /// The figure's file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Write `bytes` to `path` via a temporary file and a rename (atomic on POSIX filesystems).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Rows as CSV (header from the field names; `None` becomes an empty field).
pub fn csv_bytes<T: Serialize>(rows: &[T]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// A table with a header of its own as CSV (for rows whose columns are known only at run time).
pub fn table_csv_bytes(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing strings into memory cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// Write rows to `path` as CSV, atomically.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), ReportError> {
    let bytes = csv_bytes(rows).map_err(|reason| ReportError::Encode {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, &bytes)
}

/// Write any serialisable value to `path` as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ReportError> {
    write_json_as(path, value, true)
}

/// Write JSON, pretty or compact (compact for large result sets: a quarter of the size).
pub fn write_json_as<T: Serialize>(
    path: &Path,
    value: &T,
    pretty: bool,
) -> Result<(), ReportError> {
    let encoded = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    };
    let mut bytes = encoded.map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct R {
        a: f64,
        b: Option<f64>,
        c: &'static str,
    }

    #[test]
    fn csv_has_empty_fields_for_none() {
        let s = String::from_utf8(
            csv_bytes(&[R {
                a: 1.5,
                b: None,
                c: "x",
            }])
            .unwrap(),
        )
        .unwrap();
        assert_eq!(s, "a,b,c\n1.5,,x\n");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("reports-test-{}", std::process::id()));
        let p = dir.join("sub/x.json");
        write_json(&p, &vec![1, 2]).unwrap();
        write_json(&p, &vec![3]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "[\n  3\n]\n");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
