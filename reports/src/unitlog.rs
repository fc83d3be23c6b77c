//! The checkpoint of a long sweep: an append-only log of finished Monte Carlo units.
//!
//! Line 1 is a header (any JSON object describing the run); every further line is one finished
//! unit, written with a single `write` and flushed, so an interruption — even `kill -9` — leaves
//! at most the last line incomplete, and reading drops it. Values are stored as the bits of the
//! f64s, so a resumed or merged run reproduces the uninterrupted one exactly. Every value must be
//! finite and at most [`MAX_MAGNITUDE`] in size: another is refused when written and when read
//! back.
//!
//! This module does not open files for reading: the caller reads the log (the engine's one
//! reader refuses a FIFO, a device or an oversized file) and hands the bytes to [`parse_unit_log`].

use crate::files::{write_atomic, ReportError};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The largest |value| a unit may hold: 10¹⁵⁰, so that the sum of squares of the most trials a
/// run may have (10⁷) stays finite (10³⁰⁷ < f64::MAX) and a summary never overflows to inf.
pub const MAX_MAGNITUDE: f64 = 1e150;

/// One finished unit: grid point, trial, and one value per method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

    /// None when every value is finite and at most [`MAX_MAGNITUDE`] in size, else what is wrong
    /// (which value, and what it is).
    pub fn non_finite(&self) -> Option<String> {
        let values = self.values();
        let i = values
            .iter()
            .position(|v| !(v.is_finite() && v.abs() <= MAX_MAGNITUDE))?;
        let what = if values[i].is_finite() {
            format!("larger than {MAX_MAGNITUDE:e} in size (it would overflow the summaries)")
        } else {
            "not a finite number".into()
        };
        Some(format!(
            "value {} of unit ({}, {}) is {:e}, {what}",
            i + 1,
            self.point,
            self.trial,
            values[i]
        ))
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

/// Refuse to write a record with a non-finite value (it could never be read back).
fn finite(path: &Path, r: &UnitRecord) -> Result<(), ReportError> {
    match r.non_finite() {
        None => Ok(()),
        Some(reason) => Err(ReportError::Encode {
            path: path.to_path_buf(),
            reason,
        }),
    }
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
            finite(path, r)?;
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
        finite(&self.path, r)?;
        let bytes = line(&self.path, r)?;
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&bytes).map_err(io(&self.path))?;
        f.flush().map_err(io(&self.path))
    }
}

/// Parse a log read from `path` (named in messages): its header and every complete unit line.
/// An incomplete last line (no newline: a run killed mid-append) is dropped; any other line that
/// is not a unit record (not JSON, unknown or missing fields, a non-finite value) is a
/// [`ReportError::Decode`] naming the file and the 1-based line.
pub fn parse_unit_log(
    path: &Path,
    bytes: &[u8],
) -> Result<(serde_json::Value, Vec<UnitRecord>), ReportError> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let bad = |line: usize, reason: String| ReportError::Decode {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let header_line = lines
        .next()
        .filter(|l| l.ends_with(b"\n"))
        .ok_or_else(|| bad(1, "no header line".into()))?;
    let header: serde_json::Value =
        serde_json::from_slice(header_line).map_err(|e| bad(1, format!("not a header: {e}")))?;
    let mut records = Vec::new();
    for (i, l) in lines.enumerate() {
        if !l.ends_with(b"\n") {
            break; // cut off by an interruption
        }
        let record: UnitRecord = serde_json::from_slice(l)
            .map_err(|e| bad(i + 2, format!("not a unit record ({e})")))?;
        if let Some(why) = record.non_finite() {
            return Err(bad(i + 2, why));
        }
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
        let (h, r) = parse_unit_log(&p, &std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(h["run"], 1);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].values(), vec![0.1, 1.0 / 3.0]);
        assert_eq!(r[1].values(), vec![f64::MIN_POSITIVE, -2.5]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn parse(text: &str) -> Result<usize, ReportError> {
        parse_unit_log(Path::new("units.jsonl"), text.as_bytes()).map(|(_, r)| r.len())
    }

    fn decode_line(r: Result<usize, ReportError>) -> usize {
        match r {
            Err(ReportError::Decode { line, .. }) => line,
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number_but_a_torn_last_line_is_dropped() {
        let nan = f64::NAN.to_bits();
        let inf = f64::INFINITY.to_bits();
        let ok = "{\"point\":0,\"trial\":0,\"bits\":[0]}\n";
        assert_eq!(parse(&format!("{{}}\n{ok}{ok}")).unwrap(), 2);
        assert_eq!(parse(&format!("{{}}\n{ok}{{\"point\":1")).unwrap(), 1);
        let nan_line = format!("{{\"point\":0,\"trial\":1,\"bits\":[0,{nan}]}}\n");
        assert_eq!(decode_line(parse(&format!("{{}}\n{ok}{nan_line}"))), 3);
        let inf_line = format!("{{\"point\":0,\"trial\":1,\"bits\":[{inf}]}}\n");
        assert_eq!(decode_line(parse(&format!("{{}}\n{inf_line}{ok}"))), 2);
        let extra = "{\"point\":0,\"trial\":1,\"bits\":[0],\"x\":1}\n";
        assert_eq!(decode_line(parse(&format!("{{}}\n{ok}{extra}"))), 3);
        let null = "{\"point\":0,\"trial\":1,\"bits\":[null]}\n";
        assert_eq!(decode_line(parse(&format!("{{}}\n{null}"))), 2);
        let mut not_utf8 = format!("{{}}\n{ok}").into_bytes();
        not_utf8.extend(b"\xff\n");
        let r = parse_unit_log(Path::new("u"), &not_utf8).map(|(_, r)| r.len());
        assert_eq!(decode_line(r), 3);
        assert_eq!(decode_line(parse("")), 1);
    }

    #[test]
    fn a_non_finite_value_is_never_written() {
        let dir = std::env::temp_dir().join(format!("unitlog-nan-{}", std::process::id()));
        let p = dir.join("units.jsonl");
        let bad = UnitRecord::new(0, 0, &[1.0, f64::NAN]);
        assert!(UnitLog::create(&p, &serde_json::json!({}), std::slice::from_ref(&bad)).is_err());
        let log = UnitLog::create(&p, &serde_json::json!({}), &[]).unwrap();
        assert!(log.record(&bad).is_err());
        assert!(log.record(&UnitRecord::new(0, 1, &[1.0, -0.0])).is_ok());
        drop(log);
        assert_eq!(parse(&std::fs::read_to_string(&p).unwrap()).unwrap(), 1);
        std::fs::remove_dir_all(dir).ok();
    }
}
