//! What the commands print to standard output: their rows as JSON or CSV (for scripts), or a
//! fixed-width table (for people).

use harness::{Format, HarnessError};
use serde::Serialize;
use sims::SimError;

/// `rows` as a JSON array (`--format json`) or CSV (`--format csv`); `table` renders them for
/// `--format table`; nothing for `--format none`.
pub fn print_rows<T: Serialize>(
    rows: &[T],
    format: Format,
    table: impl FnOnce() -> String,
) -> Result<(), HarnessError> {
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(rows)
                .map_err(|e| HarnessError::Sim(SimError::Numerical(e.to_string())))?
        ),
        Format::Csv => {
            let bytes = reports::files::csv_bytes(rows)
                .map_err(|e| HarnessError::Sim(SimError::Numerical(e)))?;
            print!("{}", String::from_utf8_lossy(&bytes));
        }
        Format::Table => print!("{}", table()),
        Format::None => {}
    }
    Ok(())
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
