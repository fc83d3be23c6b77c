//! What the commands print to standard output: their rows as JSON or CSV (for scripts), or a
//! fixed-width table (for people).

use engine::SimError;
use engine::{Format, HarnessError};
use serde::Serialize;
use std::io::Write;

/// Write `text` to standard output. A reader that went away (`verify … | head`) ends the output
/// quietly: the result files are written before anything is printed. Any other failure (a full
/// disk behind a redirection) is an error naming standard output.
pub fn emit(text: &str) -> Result<(), HarnessError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(HarnessError::Report(reports::ReportError::Io {
                path: "standard output".into(),
                source: e,
            }))
        }
        _ => Ok(()),
    }
}

/// `rows` as a JSON array (`--format json`) or CSV (`--format csv`); `table` renders them for
/// `--format table`; nothing for `--format none`.
pub fn print_rows<T: Serialize>(
    rows: &[T],
    format: Format,
    table: impl FnOnce() -> String,
) -> Result<(), HarnessError> {
    match format {
        Format::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(rows)
                .map_err(|e| HarnessError::Sim(SimError::Numerical(e.to_string())))?
        )),
        Format::Csv => {
            let bytes = reports::files::csv_bytes(rows)
                .map_err(|e| HarnessError::Sim(SimError::Numerical(e)))?;
            emit(&String::from_utf8_lossy(&bytes))
        }
        Format::Table => emit(&table()),
        Format::None => Ok(()),
    }
}

/// A fixed-width table with a header line: one width per column, negative for left-aligned.
pub fn fixed_width(header: &[&str], rows: &[Vec<String>], widths: &[i32]) -> String {
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .zip(widths)
            .map(|(c, &w)| {
                let n = w.unsigned_abs() as usize;
                if w < 0 {
                    format!("{c:<n$}")
                } else {
                    format!("{c:>n$}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(&mut header.iter().copied());
    for r in rows {
        out += &line(&mut r.iter().map(String::as_str));
    }
    out
}
