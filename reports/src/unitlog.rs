//! The checkpoint of a long sweep: an append-only log of finished Monte Carlo units.
//!
//! Line 1 is a header (any JSON object describing the run); every further line is one finished
//! unit, written with a single `write` and flushed, so an interruption — even `kill -9` — leaves
//! at most the last line incomplete, and reading drops it. Values are stored as the bits of the
//! f64s, so a resumed or merged run reproduces the uninterrupted one exactly.

use crate::files::{write_atomic, ReportError};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One finished unit: grid point, trial, and one value per method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// Grid point index.
    pub point: usize,
    /// Trial index.
    pub trial: usize,
    /// `f64::to_bits` of each value.
    pub bits: Vec<u64>,
}

impl UnitRecord {
    /// A record of one unit's values (stored as their bits, so they read back exactly).
    pub fn new(point: usize, trial: usize, values: &[f64]) -> Self {
        Self {
            point,
            trial,
            bits: values.iter().map(|v| v.to_bits()).collect(),
        }
    }

    /// The recorded values.
    pub fn values(&self) -> Vec<f64> {
        self.bits.iter().map(|b| f64::from_bits(*b)).collect()
    }
}

/// An open log, safe to append to from many threads.
pub struct UnitLog {
    path: PathBuf,
    file: Mutex<File>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn line<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec(value).map_err(|e| ReportError::Encode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

impl UnitLog {
    /// Start a log at `path` with `header` and `records` (atomically), then open it for appending.
    pub fn create<H: Serialize>(
        path: &Path,
        header: &H,
        records: &[UnitRecord],
    ) -> Result<Self, ReportError> {
        let mut bytes = line(path, header)?;
        for r in records {
            bytes.extend(line(path, r)?);
        }
        write_atomic(path, &bytes)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Append one finished unit (one write, flushed to the OS).
    pub fn record(&self, r: &UnitRecord) -> Result<(), ReportError> {
        let bytes = line(&self.path, r)?;
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&bytes).map_err(io(&self.path))?;
        f.flush().map_err(io(&self.path))
    }
}

/// Read a log: its header and every complete unit line (an incomplete last line is dropped).
pub fn read_unit_log(path: &Path) -> Result<(serde_json::Value, Vec<UnitRecord>), ReportError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let mut lines = text.split_inclusive('\n');
    let bad = |line: usize, reason: String| ReportError::Decode {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let header_line = lines
        .next()
        .filter(|l| l.ends_with('\n'))
        .ok_or_else(|| bad(1, "no header line".into()))?;
    let header: serde_json::Value =
        serde_json::from_str(header_line).map_err(|e| bad(1, format!("not a header: {e}")))?;
    let mut records = Vec::new();
    for (i, l) in lines.enumerate() {
        if !l.ends_with('\n') {
            break; // cut off by an interruption
        }
        let record =
            serde_json::from_str(l).map_err(|e| bad(i + 2, format!("not a unit record ({e})")))?;
        records.push(record);
    }
    Ok((header, records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_last_line() {
        let dir = std::env::temp_dir().join(format!("unitlog-{}", std::process::id()));
        let p = dir.join("units.jsonl");
        let log = UnitLog::create(
            &p,
            &serde_json::json!({"run": 1}),
            &[UnitRecord::new(0, 0, &[0.1, 1.0 / 3.0])],
        )
        .unwrap();
        log.record(&UnitRecord::new(0, 1, &[f64::MIN_POSITIVE, -2.5]))
            .unwrap();
        drop(log);
        // Simulate a kill in the middle of a write.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"point\":0,\"tri").unwrap();
        let (h, r) = read_unit_log(&p).unwrap();
        assert_eq!(h["run"], 1);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].values(), vec![0.1, 1.0 / 3.0]);
        assert_eq!(r[1].values(), vec![f64::MIN_POSITIVE, -2.5]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
