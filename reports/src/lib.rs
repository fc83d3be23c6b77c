#![warn(missing_docs)]
//! Result files (CSV, JSON, Markdown) and SVG figures from plain rows. Knows nothing of how the
//! numbers were made: callers hand over serialisable rows and plain series.

pub mod figure;
pub mod files;
pub mod inspect;
pub mod markdown;
pub mod unitlog;

pub use figure::{
    method_style, render_heatmap_svg, render_histogram_svg, render_svg, write_heatmap_svg,
    write_histogram_svg, write_svg, Colour, Figure, Groups, HeatmapFigure, HistogramFigure,
    LineKind, Mark, MarkerShape, Place, Series, SimPoint, Style, METHOD_STYLES,
};
pub use files::{write_atomic, write_csv, write_json, write_json_as, ReportError};
pub use markdown::{render_markdown, write_markdown, RunReport};
pub use unitlog::{parse_unit_log, UnitLog, UnitRecord, MAX_MAGNITUDE};
