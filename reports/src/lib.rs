//! Result files (CSV, JSON) and SVG figures from plain rows. Knows nothing of how the numbers
//! were made: callers hand over serialisable rows and plain series.

pub mod files;

pub use files::{write_atomic, write_csv, write_json, ReportError};
