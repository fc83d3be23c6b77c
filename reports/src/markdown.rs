//! `report.md`: a run's configuration, table, verdict, figures and the command that reproduces it.

use crate::files::{write_atomic, ReportError};
use std::fmt::Write;
use std::path::Path;

/// The content of a run report, as plain strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunReport {
    /// Heading of the report.
    pub title: String,
    /// The exact command line that regenerates the run.
    pub command: String,
    /// The run's verdict, shown in bold.
    pub verdict: String,
    /// (name, value) pairs of the configuration.
    pub config: Vec<(String, String)>,
    /// Column names of the results table.
    pub table_header: Vec<String>,
    /// Cells of the results table, row by row.
    pub table_rows: Vec<Vec<String>>,
    /// File names of figures in the same folder.
    pub figures: Vec<String>,
    /// Free-form notes (how the verdict is computed, etc.).
    pub notes: Vec<String>,
}

/// Render a report as Markdown.
pub fn render_markdown(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", r.title);
    let _ = writeln!(s, "**Verdict: {}**\n", r.verdict);
    let _ = writeln!(s, "Reproduce with:\n\n```sh\n{}\n```\n", r.command);
    if !r.figures.is_empty() {
        let _ = writeln!(s, "## Figures\n");
        for f in &r.figures {
            let _ = writeln!(s, "![{f}]({f})\n");
        }
    }
    let _ = writeln!(s, "## Configuration\n\n| parameter | value |\n|---|---|");
    for (k, v) in &r.config {
        let _ = writeln!(s, "| {k} | {} |", v.replace('|', "\\|"));
    }
    let _ = writeln!(s, "\n## Results\n\n| {} |", r.table_header.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(r.table_header.len()));
    for row in &r.table_rows {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    if !r.notes.is_empty() {
        let _ = writeln!(s);
        for n in &r.notes {
            let _ = writeln!(s, "{n}\n");
        }
    }
    s
}

/// Write `report.md`-style content to `path` atomically.
pub fn write_markdown(path: &Path, r: &RunReport) -> Result<(), ReportError> {
    write_atomic(path, render_markdown(r).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_has_every_part() {
        let r = RunReport {
            title: "T".into(),
            command: "verify x".into(),
            verdict: "AGREE".into(),
            config: vec![("a".into(), "1|2".into())],
            table_header: vec!["k".into(), "v".into()],
            table_rows: vec![vec!["1".into(), "2".into()]],
            figures: vec!["f.svg".into()],
            notes: vec!["n".into()],
        };
        let s = render_markdown(&r);
        for part in [
            "# T",
            "**Verdict: AGREE**",
            "verify x",
            "![f.svg](f.svg)",
            "| a | 1\\|2 |",
            "| k | v |",
            "|---|---|",
            "| 1 | 2 |",
            "\nn\n",
        ] {
            assert!(s.contains(part), "missing {part}: {s}");
        }
    }
}
