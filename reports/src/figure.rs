//! SVG figures: theory curves and simulation markers with error bars (plotters, SVG backend only,
//! so no system font library is needed). The caller hands over plain series.

use crate::files::{write_atomic, ReportError};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// How a simulated point is marked: its row's verdict against the formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Shown to agree (or nothing to judge): the bare marker.
    Agree,
    /// Shown to disagree: ringed in red.
    Disagree,
    /// Neither shown: ringed in grey.
    Inconclusive,
}

/// One simulated point: the mean and a half-width (e.g. 2 SE); `mark` = the verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimPoint {
    /// Abscissa.
    pub x: f64,
    /// Simulated mean.
    pub mean: f64,
    /// Half-width of the bar (e.g. 2 SE); 0 draws a bare marker.
    pub half_width: f64,
    /// The row's verdict: a disagreeing point is ringed in red, an inconclusive one in grey.
    pub mark: Mark,
}

impl SimPoint {
    /// A value without an error bar (deterministic, or a single run), drawn as a bare marker.
    pub fn exact(x: f64, mean: f64) -> Self {
        SimPoint {
            x,
            mean,
            half_width: 0.0,
            mark: Mark::Agree,
        }
    }
}

/// A theory curve and the simulation points that test it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Marker shape: even = circle, odd = triangle (usually by method).
    pub marker: usize,
    /// The formula on a dense grid (x, y), drawn as a line.
    pub theory: Vec<(f64, f64)>,
    /// Simulation markers with error bars.
    pub sims: Vec<SimPoint>,
    /// An optional fitted line, drawn dashed (e.g. a power law on log-log axes).
    pub fit: Option<Vec<(f64, f64)>>,
}

/// A figure: title, a caption line with the fixed parameters, axes and series.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title line.
    pub title: String,
    /// Caption line under the title (the fixed parameters).
    pub caption: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis (values ≤ 0 and bar ends ≤ 0 are left out or clipped).
    pub log_y: bool,
    /// The curves and markers.
    pub series: Vec<Series>,
    /// What the markers' bars mean, for the legend (e.g. "± 2 SE").
    pub bar_meaning: String,
    /// What the solid lines are, for the legend (e.g. "theory (limit formula)").
    pub line_meaning: String,
    /// Tick positions on a logarithmic x axis (empty: automatic).
    pub x_ticks: Vec<f64>,
}

/// A white canvas with the title and the caption line on top; returns (plot area, legend area).
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
fn frame<'a>(root: &Area<'a>, title: &str, caption: &str) -> Result<(Area<'a>, Area<'a>), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (header, body) = root.split_vertically(HEADER);
    header
        .draw(&Text::new(
            title.to_string(),
            (20, 12),
            ("sans-serif", 24).into_font(),
        ))
        .map_err(|e| e.to_string())?;
    header
        .draw(&Text::new(
            caption.to_string(),
            (20, 42),
            ("sans-serif", 15).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .map_err(|e| e.to_string())?;
    Ok(body.split_horizontally(SIZE.0 - LEGEND_WIDTH))
}

/// Okabe–Ito colours: distinguishable with colour-vision deficiencies (their yellow, too pale on
/// white, is replaced by grey).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(128, 128, 128),
];

const SIZE: (u32, u32) = (960, 560);
const LEGEND_WIDTH: u32 = 250;
const HEADER: u32 = 64;

/// Render the figure to an SVG string.
pub fn render_svg(fig: &Figure) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        let (plot, legend) = frame(&root, &fig.title, &fig.caption)?;
        let (xr, yr) = ranges(fig);
        // Log axes always get explicit ticks: plotters draws none on a range shorter than a decade.
        let x_ticks = if fig.x_ticks.is_empty() {
            log_ticks(&xr)
        } else {
            fig.x_ticks.clone()
        };
        match (fig.log_x, fig.log_y) {
            (true, true) => {
                let y_ticks = log_ticks(&yr);
                draw_chart(
                    &plot,
                    fig,
                    xr.log_scale().with_key_points(x_ticks),
                    yr.log_scale().with_key_points(y_ticks),
                )?
            }
            (true, false) => draw_chart(&plot, fig, xr.log_scale().with_key_points(x_ticks), yr)?,
            (false, true) => {
                let y_ticks = log_ticks(&yr);
                draw_chart(&plot, fig, xr, yr.log_scale().with_key_points(y_ticks))?
            }
            (false, false) => draw_chart(&plot, fig, xr, yr)?,
        }
        draw_legend(&legend, fig)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// Write the figure to `path` atomically.
pub fn write_svg(path: &Path, fig: &Figure) -> Result<(), ReportError> {
    let svg = render_svg(fig).map_err(|reason| ReportError::Plot {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, svg.as_bytes())
}

/// Axis ranges covering every curve and bar, padded by 5% (in log space on log axes).
fn ranges(fig: &Figure) -> (Range<f64>, Range<f64>) {
    let xs = fig.series.iter().flat_map(|s| {
        s.theory
            .iter()
            .map(|p| p.0)
            .chain(s.sims.iter().map(|p| p.x))
    });
    let ys = fig.series.iter().flat_map(|s| {
        s.theory
            .iter()
            .map(|p| p.1)
            .chain(
                s.sims
                    .iter()
                    .flat_map(|p| [p.mean - p.half_width, p.mean + p.half_width]),
            )
            .chain(s.fit.iter().flatten().map(|p| p.1))
    });
    let (x0, x1) = min_max(xs.filter(|x| !fig.log_x || *x > 0.0)).unwrap_or((0.5, 1.0));
    let log_range = |a: f64, b: f64| {
        let (a, b) = (a.ln(), b.ln().max(a.ln() + 1e-9));
        let pad = 0.05 * (b - a);
        (a - pad).exp()..(b + pad).exp()
    };
    let xr = if fig.log_x {
        log_range(x0, x1)
    } else {
        let pad = 0.05 * (x1 - x0).max(1e-9);
        x0 - pad..x1 + pad
    };
    let yr = if fig.log_y {
        let (y0, y1) = min_max(ys.filter(|y| *y > 0.0)).unwrap_or((1e-3, 1.0));
        log_range(y0, y1)
    } else {
        let (y0, y1) = min_max(ys).unwrap_or((0.0, 1.0));
        let pad = 0.08 * (y1 - y0).max(0.02);
        if unit_interval(fig) {
            // Correlations: the axis stays inside [0, 1] (plus the padding) even where bars poke out.
            (y0 - pad).max(0.0)..(y1 + pad).min(1.0 + pad)
        } else {
            y0 - pad..y1 + pad
        }
    };
    (xr, yr)
}

/// Whether every curve value and simulated mean lies in [0, 1] (a correlation-like quantity).
fn unit_interval(fig: &Figure) -> bool {
    fig.series.iter().all(|s| {
        s.theory
            .iter()
            .map(|p| p.1)
            .chain(s.sims.iter().map(|p| p.mean))
            .all(|y| (0.0..=1.0).contains(&y))
    })
}

fn min_max(it: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    it.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// Tick positions for a logarithmic axis over `r`: 1·10^k, 2·10^k, 5·10^k inside the range, or
/// every m·10^k (m = 1..9) when that gives fewer than three.
pub fn log_ticks(r: &Range<f64>) -> Vec<f64> {
    let (lo, hi) = (r.start.max(f64::MIN_POSITIVE), r.end);
    let candidates = |ms: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
        (k0..=k1)
            .flat_map(|k| ms.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|t| *t >= lo && *t <= hi)
            .collect()
    };
    let coarse = candidates(&[1.0, 2.0, 5.0]);
    if coarse.len() >= 3 {
        coarse
    } else {
        candidates(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    }
}

/// The house style of every chart's axes: labels, short tick numbers, faint major grid only.
fn style_mesh<'a, 'b, X, Y>(
    mesh: plotters::chart::MeshStyle<'a, 'b, X, Y, SVGBackend<'a>>,
    x_label: &'b str,
    y_label: &'b str,
) -> plotters::chart::MeshStyle<'a, 'b, X, Y, SVGBackend<'a>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut mesh = mesh;
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| short_number(*v))
        .y_label_formatter(&|v| short_number(*v))
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225));
    mesh
}

/// At most 4 significant digits, no trailing zeros: 0.25, 2, 1000, 0.0001; below 1e-4 and from
/// 1e6 on in scientific notation (5e-8), so that tick labels stay short.
pub fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() < 1e-4 || v.abs() >= 1e6 {
        let s = format!("{v:.3e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn draw_chart<X, Y>(
    area: &DrawingArea<SVGBackend, Shift>,
    fig: &Figure,
    x: X,
    y: Y,
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64> + Ranged<ValueType = f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64> + Ranged<ValueType = f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    style_mesh(chart.configure_mesh(), &fig.x_label, &fig.y_label)
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, s) in fig.series.iter().enumerate() {
        let c = color(i);
        // Past the palette, colours repeat: those series get dashed lines to stay distinguishable.
        if i < PALETTE.len() {
            chart
                .draw_series(LineSeries::new(s.theory.iter().copied(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        } else {
            chart
                .draw_series(DashedLineSeries::new(
                    s.theory.iter().copied(),
                    4,
                    4,
                    c.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        if let Some(fit) = &s.fit {
            chart
                .draw_series(DashedLineSeries::new(
                    fit.iter().copied(),
                    8,
                    5,
                    c.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        for p in &s.sims {
            // Error bar (none for a deterministic or single-run value): a vertical segment with
            // 12-px caps (plotters' ErrorBar would ring the marker).
            if p.half_width > 0.0 {
                draw_bar(chart.plotting_area(), fig.log_y, p, c)?;
            }
            draw_marker(chart.plotting_area(), s.marker, (p.x, p.mean), c)?;
            if let Some(ring) = ring_colour(p.mark) {
                // A ring: visible at a glance, and the point stays readable inside it.
                chart
                    .plotting_area()
                    .draw(&Circle::new((p.x, p.mean), 11, ring.stroke_width(2)))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// A vertical error bar with caps at p.mean ± p.half_width (cut at the floor of a log axis).
fn draw_bar<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    area: &DrawingArea<DB, CT>,
    log_y: bool,
    p: &SimPoint,
    c: RGBColor,
) -> Result<(), String> {
    let (mut lo, hi) = (p.mean - p.half_width, p.mean + p.half_width);
    if log_y && lo <= 0.0 {
        lo = p.mean * 1e-3; // a bar reaching zero is cut at the axis floor
    }
    area.draw(&PathElement::new(
        vec![(p.x, lo), (p.x, hi)],
        c.stroke_width(2),
    ))
    .map_err(|e| e.to_string())?;
    for end in [lo, hi] {
        area.draw(
            &(EmptyElement::at((p.x, end))
                + PathElement::new(vec![(-6, 0), (6, 0)], c.stroke_width(2))),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Draw a filled marker of shape `kind` at `at`, in any coordinate system.
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    kind: usize,
    at: CT::From,
    c: RGBColor,
) -> Result<(), String>
where
    CT::From: Clone + 'static,
{
    if kind.is_multiple_of(2) {
        area.draw(&Circle::new(at, 5, c.filled()))
            .map_err(|e| e.to_string())
    } else {
        area.draw(&TriangleMarker::new(at, 7, c.filled()))
            .map_err(|e| e.to_string())
    }
}

/// How a series' legend entry is drawn: the line as the plot draws it, and a marker only when the
/// series has simulation points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegendLine {
    /// A theory curve in a palette colour.
    Solid,
    /// A theory curve past the palette, or a fit-only series (its fit is dashed).
    Dashed,
    /// Neither a curve nor a fit.
    None,
}

/// `text` broken at spaces into lines of at most `max` characters (a longer word is split), so a
/// legend entry never runs off the canvas.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..max).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Characters of a legend label (15 px sans-serif) and of a legend note (13 px) that fit in the
/// legend column beside their sample (≈ 8 and 7 px a character, measured on the rendered PNG).
const LABEL_CHARS: usize = ((LEGEND_WIDTH - 54 - 6) / 8) as usize;
const NOTE_CHARS: usize = ((LEGEND_WIDTH - 10 - 6) / 7) as usize;

/// The legend entry of series `i`: (line, marker).
fn legend_sample(s: &Series, i: usize) -> (LegendLine, bool) {
    let line = if !s.theory.is_empty() {
        if i < PALETTE.len() {
            LegendLine::Solid
        } else {
            LegendLine::Dashed
        }
    } else if s.fit.is_some() {
        LegendLine::Dashed
    } else {
        LegendLine::None
    };
    (line, !s.sims.is_empty())
}

fn draw_legend(area: &DrawingArea<SVGBackend, Shift>, fig: &Figure) -> Result<(), String> {
    let font = ("sans-serif", 15).into_font();
    let small = ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80));
    let mut y = 30;
    for (i, s) in fig.series.iter().enumerate() {
        let c = color(i);
        let (line, marker) = legend_sample(s, i);
        let segments: &[(i32, i32)] = match line {
            LegendLine::Solid => &[(10, 46)],
            LegendLine::Dashed => &[(10, 16), (20, 26), (30, 36), (40, 46)],
            LegendLine::None => &[],
        };
        for &(x0, x1) in segments {
            area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        if marker {
            draw_marker(area, s.marker, (28, y), c)?;
        }
        for (k, part) in wrap(&s.label, LABEL_CHARS).into_iter().enumerate() {
            if k > 0 {
                y += 18;
            }
            area.draw(&Text::new(part, (54, y - 8), font.clone()))
                .map_err(|e| e.to_string())?;
        }
        y += 28;
    }
    y += 10;
    let mut lines = Vec::new();
    if fig.series.iter().any(|s| !s.theory.is_empty()) {
        lines.push(format!("lines: {}", fig.line_meaning));
    }
    if fig.series.iter().any(|s| s.fit.is_some()) {
        lines.push("dashed: least-squares fit".to_string());
    }
    if fig.series.iter().any(|s| !s.sims.is_empty()) {
        lines.push(format!("markers: simulation mean {}", fig.bar_meaning));
    }
    for line in lines.iter().flat_map(|l| wrap(l, NOTE_CHARS)) {
        area.draw(&Text::new(line, (10, y), small.clone()))
            .map_err(|e| e.to_string())?;
        y += 20;
    }
    for (mark, text) in [
        (Mark::Disagree, "disagrees with theory"),
        (Mark::Inconclusive, "inconclusive (not shown to agree)"),
    ] {
        if fig
            .series
            .iter()
            .any(|s| s.sims.iter().any(|p| p.mark == mark))
        {
            let colour = ring_colour(mark).unwrap_or(RED);
            area.draw(&Circle::new((18, y + 6), 9, colour.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            area.draw(&Text::new(text.to_string(), (34, y), small.clone()))
                .map_err(|e| e.to_string())?;
            y += 20;
        }
    }
    Ok(())
}

/// The ring around a point with this verdict (none for agree).
fn ring_colour(mark: Mark) -> Option<RGBColor> {
    match mark {
        Mark::Agree => None,
        Mark::Disagree => Some(RED),
        Mark::Inconclusive => Some(RGBColor(150, 150, 150)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(2.0), "2");
        assert_eq!(short_number(0.30000000000000004), "0.3");
        assert_eq!(short_number(1234.0), "1234");
        assert_eq!(short_number(0.000123), "0.000123");
    }

    #[test]
    fn legend_entries_draw_what_the_plot_draws() {
        let series = |theory: bool, sims: bool, fit: bool| Series {
            label: "s".into(),
            marker: 0,
            theory: if theory {
                vec![(1.0, 1.0), (2.0, 2.0)]
            } else {
                Vec::new()
            },
            sims: if sims {
                vec![SimPoint::exact(1.0, 1.0)]
            } else {
                Vec::new()
            },
            fit: fit.then(|| vec![(1.0, 1.0), (2.0, 2.0)]),
        };
        // A fit-only series (the spike's simulation and its fit): dashed, with its markers.
        assert_eq!(
            legend_sample(&series(false, true, true), 0),
            (LegendLine::Dashed, true)
        );
        // A theory curve without simulation (linear-rep panels): a line and no marker.
        assert_eq!(
            legend_sample(&series(true, false, false), 0),
            (LegendLine::Solid, false)
        );
        assert_eq!(
            legend_sample(&series(true, true, false), 0),
            (LegendLine::Solid, true)
        );
        // Past the palette the plot dashes the curve, and so does the legend.
        assert_eq!(
            legend_sample(&series(true, true, false), PALETTE.len()),
            (LegendLine::Dashed, true)
        );
        assert_eq!(
            legend_sample(&series(false, true, false), 0),
            (LegendLine::None, true)
        );
    }

    #[test]
    fn legend_text_is_wrapped_inside_the_legend_column() {
        let label = "C (dist² + d_yσ_ε²k/n_T), C = 0.3158 the smallest that holds everywhere";
        let lines = wrap(label, LABEL_CHARS);
        assert!(lines.len() > 1);
        assert!(
            lines.iter().all(|l| l.chars().count() <= LABEL_CHARS),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), label, "nothing lost");
        assert_eq!(wrap("short", 20), ["short"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        // Every character of the longest line fits: 8 px a character at 15 px, 7 at 13 px.
        assert!(54 + 8 * LABEL_CHARS as u32 <= LEGEND_WIDTH);
        assert!(10 + 7 * NOTE_CHARS as u32 <= LEGEND_WIDTH);
    }

    #[test]
    fn a_one_signed_map_uses_the_whole_colour_scale() {
        let pos = ColourScale::of([0.05, 0.2, 0.1].into_iter());
        assert_eq!((pos.lo, pos.hi), (0.0, 0.2));
        assert_eq!(
            pos.colour(0.2),
            RGBColor(0, 114, 178),
            "the largest value is full blue"
        );
        assert_eq!(pos.colour(0.0), RGBColor(255, 255, 255));
        assert_eq!(pos.at(0.0), 0.2);
        assert_eq!(
            pos.at(1.0),
            0.0,
            "the bar ends at zero, no unused negative half"
        );
        let mixed = ColourScale::of([-0.1, 0.3].into_iter());
        assert_eq!(
            mixed.colour(-0.1),
            RGBColor(213, 94, 0),
            "the most negative is full vermillion"
        );
        assert_eq!(mixed.colour(0.3), RGBColor(0, 114, 178));
    }

    #[test]
    fn log_ticks_inside_the_range() {
        assert_eq!(
            log_ticks(&(0.5..30.0)),
            vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
        );
        let fine = log_ticks(&(0.03..0.09));
        assert_eq!(fine.len(), 7, "{fine:?}");
        assert!(fine.iter().all(|t| (0.03..=0.09).contains(t)));
    }
}

#[cfg(test)]
mod disagreement_tests {
    use super::*;

    #[test]
    fn disagreeing_points_get_a_red_ring_and_a_legend_entry() {
        let pt = |x, agrees: bool| SimPoint {
            x,
            mean: 0.5,
            half_width: 0.01,
            mark: if agrees { Mark::Agree } else { Mark::Disagree },
        };
        let mut fig = Figure {
            title: "t".into(),
            caption: "c".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            log_y: false,
            series: vec![Series {
                label: "s".into(),
                marker: 0,
                theory: vec![(0.0, 0.5), (2.0, 0.5)],
                sims: vec![pt(1.0, true), pt(2.0, false)],
                fit: None,
            }],
            bar_meaning: "± 2 SE".into(),
            line_meaning: "theory (limit formula)".into(),
            x_ticks: vec![],
        };
        let svg = render_svg(&fig).unwrap();
        assert_eq!(svg.matches("r=\"11\"").count(), 1, "one ring in the plot");
        assert!(svg.contains("disagrees with theory"));
        fig.series[0].sims[1].mark = Mark::Agree;
        let svg = render_svg(&fig).unwrap();
        assert!(!svg.contains("r=\"11\"") && !svg.contains("disagrees with theory"));
    }
}

/// A histogram of samples against a density curve (e.g. sample eigenvalues against the limit law).
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramFigure {
    /// Title line.
    pub title: String,
    /// Caption line under the title.
    pub caption: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// (left edge, right edge, height) per bin.
    pub bins: Vec<(f64, f64, f64)>,
    /// The limiting density (x, y), drawn as a line.
    pub curve: Vec<(f64, f64)>,
    /// Legend text of the histogram.
    pub bins_label: String,
    /// Legend text of the curve.
    pub curve_label: String,
    /// Extra legend lines (e.g. the distance between the two).
    pub notes: Vec<String>,
}

/// Render a histogram figure to an SVG string.
pub fn render_histogram_svg(fig: &HistogramFigure) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        let (plot, legend) = frame(&root, &fig.title, &fig.caption)?;
        let xs = fig
            .bins
            .iter()
            .flat_map(|b| [b.0, b.1])
            .chain(fig.curve.iter().map(|p| p.0));
        let (x0, x1) = min_max(xs).unwrap_or((0.0, 1.0));
        let ys = fig
            .bins
            .iter()
            .map(|b| b.2)
            .chain(fig.curve.iter().map(|p| p.1));
        let (_, y1) = min_max(ys).unwrap_or((0.0, 1.0));
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1.max(x0 + 1e-12), 0.0..(1.08 * y1).max(1e-12))
            .map_err(|x| e(&x))?;
        style_mesh(chart.configure_mesh(), &fig.x_label, &fig.y_label)
            .draw()
            .map_err(|x| e(&x))?;
        let (bar, line) = (color(5), color(1));
        chart
            .draw_series(
                fig.bins.iter().map(|&(lo, hi, h)| {
                    Rectangle::new([(lo, 0.0), (hi, h)], bar.mix(0.45).filled())
                }),
            )
            .map_err(|x| e(&x))?;
        chart
            .draw_series(
                fig.bins
                    .iter()
                    .map(|&(lo, hi, h)| Rectangle::new([(lo, 0.0), (hi, h)], bar.stroke_width(1))),
            )
            .map_err(|x| e(&x))?;
        chart
            .draw_series(LineSeries::new(
                fig.curve.iter().copied(),
                line.stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
        let font = ("sans-serif", 15).into_font();
        let small = ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80));
        legend
            .draw(&Rectangle::new(
                [(10, 22), (46, 38)],
                bar.mix(0.45).filled(),
            ))
            .map_err(|x| e(&x))?;
        legend
            .draw(&Text::new(fig.bins_label.clone(), (54, 22), font.clone()))
            .map_err(|x| e(&x))?;
        legend
            .draw(&PathElement::new(
                vec![(10, 58), (46, 58)],
                line.stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
        legend
            .draw(&Text::new(fig.curve_label.clone(), (54, 50), font.clone()))
            .map_err(|x| e(&x))?;
        for (i, n) in fig.notes.iter().enumerate() {
            legend
                .draw(&Text::new(
                    n.clone(),
                    (10, 90 + 20 * i as i32),
                    small.clone(),
                ))
                .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(buf)
}

/// Write a histogram figure to `path` atomically.
pub fn write_histogram_svg(path: &Path, fig: &HistogramFigure) -> Result<(), ReportError> {
    let svg = render_histogram_svg(fig).map_err(|reason| ReportError::Plot {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, svg.as_bytes())
}

/// A heatmap of a value over a 2-D grid, with marked check points (e.g. a theory phase diagram
/// with the simulation verdicts at a coarse sub-grid).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapFigure {
    /// Title line.
    pub title: String,
    /// Caption line under the title.
    pub caption: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// (x0, x1, y0, y1, value) per cell.
    pub cells: Vec<(f64, f64, f64, f64, f64)>,
    /// What the colour shows (legend title).
    pub value_label: String,
    /// (x, y, verdict, text) per check point: agree (green dot), disagree (red cross),
    /// inconclusive (grey ring).
    pub checks: Vec<(f64, f64, Mark, String)>,
    /// Tick positions on the y axis (empty: automatic).
    pub y_ticks: Vec<f64>,
}

/// The colour scale of a heatmap: [lo, hi] with lo ≤ 0 ≤ hi, from the cells' own range, so a
/// map whose values all have one sign uses the whole scale (not half of a symmetric one).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ColourScale {
    lo: f64,
    hi: f64,
}

impl ColourScale {
    fn of(values: impl Iterator<Item = f64>) -> Self {
        let (lo, hi) = min_max(values).unwrap_or((0.0, 0.0));
        ColourScale {
            lo: lo.min(0.0),
            hi: hi.max(0.0),
        }
    }

    /// White → blue for values ≥ 0 (full blue at hi), white → vermillion below 0 (full at lo).
    fn colour(&self, v: f64) -> RGBColor {
        let (end, rgb) = if v >= 0.0 {
            (self.hi, (0.0, 114.0, 178.0))
        } else {
            (self.lo, (213.0, 94.0, 0.0))
        };
        let t = if end == 0.0 {
            0.0
        } else {
            (v / end).clamp(0.0, 1.0)
        };
        let mix = |c: f64| (255.0 + (c - 255.0) * t).round() as u8;
        RGBColor(mix(rgb.0), mix(rgb.1), mix(rgb.2))
    }

    /// The value at fraction `f` down the colour bar (hi at the top, lo at the bottom).
    fn at(&self, f: f64) -> f64 {
        self.hi + (self.lo - self.hi) * f
    }
}

/// Render a heatmap figure to an SVG string.
pub fn render_heatmap_svg(fig: &HeatmapFigure) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        let (plot, legend) = frame(&root, &fig.title, &fig.caption)?;
        let (x0, x1) = min_max(fig.cells.iter().flat_map(|c| [c.0, c.1])).unwrap_or((0.0, 1.0));
        let (y0, y1) = min_max(fig.cells.iter().flat_map(|c| [c.2, c.3])).unwrap_or((0.5, 1.0));
        let scale = ColourScale::of(fig.cells.iter().map(|c| c.4));
        if fig.log_y {
            let ticks = if fig.y_ticks.is_empty() {
                log_ticks(&(y0..y1))
            } else {
                fig.y_ticks.clone()
            };
            heatmap_chart(
                &plot,
                fig,
                x0..x1,
                ((y0..y1).log_scale().with_key_points(ticks), (y0, y1)),
                scale,
            )?;
        } else {
            heatmap_chart(&plot, fig, x0..x1, (y0..y1, (y0, y1)), scale)?;
        }
        let outside = fig.checks.len() - checks_inside(fig, &(x0..x1), (y0, y1)).count();
        draw_heatmap_legend(&legend, fig, scale, outside)?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(buf)
}

/// The heatmap's colour bar (its ends, and 0 when the map has both signs) and the check legend,
/// with a count of the checks outside the map.
fn draw_heatmap_legend(
    legend: &DrawingArea<SVGBackend, Shift>,
    fig: &HeatmapFigure,
    scale: ColourScale,
    outside: usize,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    // Colour bar.
    let font = ("sans-serif", 14).into_font();
    legend
        .draw(&Text::new(fig.value_label.clone(), (10, 14), font.clone()))
        .map_err(|x| e(&x))?;
    let (top, height) = (40, 260);
    for k in 0..height {
        let v = scale.at(k as f64 / height as f64);
        // Each strip overlaps the next by a pixel: no hairline seams where a renderer rounds.
        legend
            .draw(&Rectangle::new(
                [(14, top + k), (44, top + k + 2)],
                scale.colour(v).filled(),
            ))
            .map_err(|x| e(&x))?;
    }
    let mut ticks = vec![(0.0, scale.hi), (1.0, scale.lo)];
    if scale.lo < 0.0 && scale.hi > 0.0 {
        ticks.push((scale.hi / (scale.hi - scale.lo), 0.0));
    }
    for (frac, v) in ticks {
        let y = top + (frac * height as f64) as i32;
        legend
            .draw(&Text::new(format!("{v:+.3}"), (52, y - 7), font.clone()))
            .map_err(|x| e(&x))?;
    }
    let small = ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80));
    let y = top + height + 30;
    let mut row = y;
    for (mark, text) in [
        (Mark::Agree, "simulation agrees"),
        (Mark::Disagree, "simulation disagrees"),
        (Mark::Inconclusive, "inconclusive (not shown to agree)"),
    ] {
        draw_check(legend, (18, row + 6), mark).map_err(|x| e(&x))?;
        legend
            .draw(&Text::new(text.to_string(), (32, row), small.clone()))
            .map_err(|x| e(&x))?;
        row += 24;
    }
    legend
        .draw(&Text::new(
            "labels: simulated ρ_KFAC − ρ_SGD".to_string(),
            (10, row + 2),
            small.clone(),
        ))
        .map_err(|x| e(&x))?;
    if outside > 0 {
        legend
            .draw(&Text::new(
                format!("{outside} check(s) outside the map: see checks/"),
                (10, row + 22),
                small,
            ))
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

fn heatmap_chart<Y>(
    area: &DrawingArea<SVGBackend, Shift>,
    fig: &HeatmapFigure,
    x: Range<f64>,
    (y, y_range): (Y, (f64, f64)),
    scale: ColourScale,
) -> Result<(), String>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64> + Ranged<ValueType = f64>,
{
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let x_range = x.clone();
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc(fig.x_label.as_str())
        .y_desc(fig.y_label.as_str())
        .x_label_formatter(&|v| short_number(*v))
        .y_label_formatter(&|v| short_number(*v))
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 14))
        .disable_mesh()
        .draw()
        .map_err(|x| e(&x))?;
    // Cells are drawn a pixel wider and taller than their edges (except at the far edges), so
    // neighbours overlap instead of leaving hairline seams where coordinates are rounded.
    let (xmax, ymax) = (x_range.end, y_range.1);
    let px = (x_range.end - x_range.start) / 600.0;
    let grow_y = |y: f64| {
        if fig.log_y {
            y * (y_range.1 / y_range.0).powf(1.0 / 420.0)
        } else {
            y + (y_range.1 - y_range.0) / 420.0
        }
    };
    chart
        .draw_series(fig.cells.iter().map(|&(x0, x1, y0, y1, v)| {
            let x1 = if x1 < xmax { x1 + px } else { x1 };
            let y1 = if y1 < ymax { grow_y(y1) } else { y1 };
            Rectangle::new([(x0, y0), (x1, y1)], scale.colour(v).filled())
        }))
        .map_err(|x| e(&x))?;
    for (x, y, mark, text) in checks_inside(fig, &x_range, y_range) {
        draw_check(chart.plotting_area(), (*x, *y), *mark).map_err(|x| e(&x))?;
        // The label on a white plate: readable on the darkest cell.
        let w = 7 * text.chars().count() as i32 + 6;
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((*x, *y))
                    + Rectangle::new([(6, -19), (6 + w, -1)], WHITE.mix(0.85).filled())
                    + Text::new(text.clone(), (9, -16), ("sans-serif", 13).into_font())),
            )
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

/// The check points inside the plotted extent (the others are counted in the legend, not drawn
/// in a corner).
fn checks_inside<'a>(
    fig: &'a HeatmapFigure,
    x: &Range<f64>,
    y: (f64, f64),
) -> impl Iterator<Item = &'a (f64, f64, Mark, String)> {
    let (x, y) = (x.clone(), y);
    fig.checks
        .iter()
        .filter(move |c| x.start <= c.0 && c.0 <= x.end && y.0 <= c.1 && c.1 <= y.1)
}

/// A check point's symbol: a green dot (agree), a red cross (disagree), a grey ring
/// (inconclusive).
fn draw_check<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    mark: Mark,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    CT::From: Clone + 'static,
{
    match mark {
        Mark::Agree => area.draw(&Circle::new(at, 6, RGBColor(0, 158, 115).filled())),
        Mark::Disagree => area.draw(&Cross::new(at, 7, RED.stroke_width(3))),
        Mark::Inconclusive => {
            area.draw(&Circle::new(at.clone(), 7, WHITE.filled()))?;
            area.draw(&Circle::new(at, 7, RGBColor(110, 110, 110).stroke_width(3)))
        }
    }
}

/// Write a heatmap figure to `path` atomically.
pub fn write_heatmap_svg(path: &Path, fig: &HeatmapFigure) -> Result<(), ReportError> {
    let svg = render_heatmap_svg(fig).map_err(|reason| ReportError::Plot {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, svg.as_bytes())
}
