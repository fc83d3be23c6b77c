//! SVG figures: theory curves and simulation markers with error bars (plotters, SVG backend only,
//! so no system font library is needed). The caller hands over plain series, each with its
//! [`Style`]; the toolkit's methods have fixed styles in [`METHOD_STYLES`].
//!
//! What a reader can rely on in every line figure: lines are formulas (or joins of runs, as the
//! legend says), markers are simulation; the axes contain every finite value, and a value that
//! cannot be drawn (not finite, or ≤ 0 on a log axis) is an open arrow at the axis edge; markers
//! that would cover each other are shifted sideways; coinciding curves alternate colours; the
//! legend says when any of this happened, and when a bar is hidden by its marker.

mod canvas;
mod heatmap;
mod histogram;
mod layout;
mod legend;
mod style;

pub use canvas::{log_ticks, short_number};
pub use heatmap::{render_heatmap_svg, write_heatmap_svg, HeatmapFigure};
pub use histogram::{render_histogram_svg, write_histogram_svg, HistogramFigure};
pub use style::{
    method_style, shape, Colour, Groups, LineKind, MarkerShape, Place, Style, CYCLE, METHOD_STYLES,
};

use crate::files::{write_atomic, ReportError};
use canvas::{
    canvas, chart_builder, draw_marker, draw_off_scale, draw_path, finish, frame, min_max, px, rgb,
    stroke, style_mesh, Area,
};
use layout::{Off, PxPoint, PxSeries, ALTERNATION_PX, MARKER_RADIUS};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
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
    /// Simulated mean; +∞ or NaN (e.g. a diverged run) is drawn as an open arrow at the top edge,
    /// −∞ (and ≤ 0 on a log axis) at the bottom edge.
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
    /// Colour, line and marker ([`method_style`] for a method, [`Style::nth`] otherwise).
    pub style: Style,
    /// The formula on a dense grid (x, y), drawn as a line; a non-finite y breaks it.
    pub theory: Vec<(f64, f64)>,
    /// Simulation markers with error bars.
    pub sims: Vec<SimPoint>,
    /// An optional fitted line, drawn dash-dotted (e.g. a power law on log-log axes).
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
    /// Logarithmic y axis (values ≤ 0 are drawn as arrows at the bottom edge).
    pub log_y: bool,
    /// The curves and markers.
    pub series: Vec<Series>,
    /// What the markers' bars mean, for the legend (e.g. "± 2 SE").
    pub bar_meaning: String,
    /// What the lines are, for the legend (e.g. "theory (limit formula)").
    pub line_meaning: String,
    /// Tick positions on a logarithmic x axis (empty: automatic).
    pub x_ticks: Vec<f64>,
}

/// The fitted lines' dash pattern (pixels): long–short, unlike any method's line.
const FIT_PATTERN: [f64; 4] = [12.0, 4.0, 2.0, 4.0];

/// What the legend must explain about how the plot was drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DrawNotes {
    pub dodged: bool,
    pub hidden_bars: bool,
    pub coincident: bool,
    pub above: bool,
    pub below: bool,
}

/// Render the figure to an SVG string.
pub fn render_svg(fig: &Figure) -> Result<String, String> {
    let mut buf = String::new();
    let areas;
    {
        let root = canvas(&mut buf);
        let (plot, legend_area) = frame(&root, &fig.title, &fig.caption)?;
        let (xr, yr) = ranges(fig);
        // Log axes always get explicit ticks: plotters draws none on a range shorter than a decade.
        let x_ticks = if fig.x_ticks.is_empty() {
            log_ticks(&xr)
        } else {
            fig.x_ticks.clone()
        };
        let notes = match (fig.log_x, fig.log_y) {
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
        };
        legend::draw_legend(&legend_area, fig, notes)?;
        root.present().map_err(|e| e.to_string())?;
        areas = (plot.get_pixel_range(), legend_area.get_pixel_range());
    }
    Ok(finish(buf, areas.0, areas.1))
}

/// Write the figure to `path` atomically.
pub fn write_svg(path: &Path, fig: &Figure) -> Result<(), ReportError> {
    write_rendered(path, render_svg(fig))
}

/// Write a rendered SVG (or the reason it could not be drawn) to `path` atomically.
fn write_rendered(path: &Path, svg: Result<String, String>) -> Result<(), ReportError> {
    let svg = svg.map_err(|reason| ReportError::Plot {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, svg.as_bytes())
}

/// Axis ranges covering every finite curve value, simulated mean and bar end (on a log axis only
/// positive values, and bar ends down to a tenth of their mean: a bar reaching towards zero is
/// cut at the axis instead of stretching it over decades), padded by 5% (in log space on log
/// axes).
fn ranges(fig: &Figure) -> (Range<f64>, Range<f64>) {
    let xs = fig.series.iter().flat_map(|s| {
        s.theory
            .iter()
            .map(|p| p.0)
            .chain(s.sims.iter().map(|p| p.x))
            .chain(s.fit.iter().flatten().map(|p| p.0))
    });
    let ys = fig.series.iter().flat_map(|s| {
        s.theory
            .iter()
            .map(|p| p.1)
            .chain(s.sims.iter().flat_map(|p| {
                let lo = p.mean - p.half_width;
                let lo = if fig.log_y && lo < 0.1 * p.mean {
                    p.mean
                } else {
                    lo
                };
                [p.mean, lo, p.mean + p.half_width]
            }))
            .chain(s.fit.iter().flatten().map(|p| p.1))
    });
    let (x0, x1) = min_max(xs.filter(|x| !fig.log_x || *x > 0.0)).unwrap_or((0.5, 1.0));
    let log_range = |a: f64, b: f64| {
        let (a, b) = (a.ln(), b.ln().max(a.ln() + 1e-9));
        let pad = 0.05 * (b - a).max(0.1);
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
            .filter(|y| y.is_finite())
            .all(|y| (0.0..=1.0).contains(&y))
    })
}

/// Every series in drawing units relative to the plot area, given the chart's mapping.
fn to_pixels(
    fig: &Figure,
    map: impl Fn(f64, f64) -> (i32, i32),
    y_ref: f64,
    height: i32,
) -> Vec<PxSeries> {
    let drawable = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
    let map_opt =
        |x: f64, y: f64| (drawable(x, fig.log_x) && drawable(y, fig.log_y)).then(|| map(x, y));
    let y_px = |y: f64| drawable(y, fig.log_y).then(|| map(1.0, y).1);
    fig.series
        .iter()
        .map(|s| PxSeries {
            theory: layout::runs(&s.theory, &map_opt),
            fit: s
                .fit
                .as_ref()
                .map(|f| layout::runs(f, &map_opt))
                .unwrap_or_default(),
            points: s
                .sims
                .iter()
                .filter(|p| drawable(p.x, fig.log_x))
                .map(|p| {
                    let x = map(p.x, y_ref).0;
                    let off = if drawable(p.mean, fig.log_y) {
                        Off::No
                    } else if p.mean > 0.0 || p.mean.is_nan() {
                        Off::Above
                    } else {
                        Off::Below
                    };
                    let y = match off {
                        Off::No => map(p.x, p.mean).1,
                        Off::Above => px(8),
                        Off::Below => height - px(8),
                    };
                    let bar = (off == Off::No && p.half_width > 0.0).then(|| {
                        layout::bar(
                            y_px(p.mean + p.half_width),
                            y_px(p.mean - p.half_width),
                            height,
                        )
                    });
                    PxPoint {
                        x,
                        y,
                        bar,
                        mark: p.mark,
                        off,
                    }
                })
                .collect(),
        })
        .collect()
}

fn draw_chart<X, Y>(area: &Area, fig: &Figure, x: X, y: Y) -> Result<DrawNotes, String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64> + Ranged<ValueType = f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64> + Ranged<ValueType = f64>,
{
    let mut chart = chart_builder(area)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    style_mesh(chart.configure_mesh(), &fig.x_label, &fig.y_label)
        .draw()
        .map_err(|e| e.to_string())?;
    let plot = chart.plotting_area().strip_coord_spec();
    let base = chart.plotting_area().get_base_pixel();
    let (_, height) = plot.dim_in_pixel();
    let y_ref = {
        let r = chart.y_range();
        0.5 * (r.start + r.end)
    };
    let mut series = to_pixels(
        fig,
        |x, y| {
            let (a, b) = chart.backend_coord(&(x, y));
            (a - base.0, b - base.1)
        },
        y_ref,
        height as i32,
    );
    let groups = layout::coincident_groups(&series);
    let notes = DrawNotes {
        dodged: layout::dodge(&mut series, plot.dim_in_pixel().0 as i32),
        hidden_bars: layout::hidden_bars(&series),
        coincident: groups.iter().any(|g| g.1 > 1),
        above: series
            .iter()
            .flat_map(|s| &s.points)
            .any(|p| p.off == Off::Above),
        below: series
            .iter()
            .flat_map(|s| &s.points)
            .any(|p| p.off == Off::Below),
    };
    draw_layers(&plot, fig, &series, &groups)?;
    Ok(notes)
}

/// Lines, then fits, then bars, then markers and their rings: no line covers a marker.
fn draw_layers(
    plot: &Area,
    fig: &Figure,
    series: &[PxSeries],
    groups: &[(usize, usize)],
) -> Result<(), String> {
    for (i, ((s, px_s), &(m, k))) in fig.series.iter().zip(series).zip(groups).enumerate() {
        let c = rgb(s.style.colour);
        // Series with the same dash pattern start it at different places, so where two of them
        // run together their dashes interleave instead of covering each other.
        let pattern = s.style.line.pattern();
        let phase = pattern.first().map_or(0.0, |on| on * i as f64);
        for run in &px_s.theory {
            if k > 1 {
                // Coinciding curves: each gets every k-th stretch, so all stay visible.
                let pattern = [ALTERNATION_PX, ALTERNATION_PX * (k - 1) as f64];
                draw_path(
                    plot,
                    run,
                    &pattern,
                    ALTERNATION_PX * (k - m) as f64,
                    stroke(c, 2),
                )?;
            } else {
                draw_path(plot, run, pattern, phase, stroke(c, 2))?;
            }
        }
    }
    for (s, px_s) in fig.series.iter().zip(series) {
        for run in &px_s.fit {
            draw_path(plot, run, &FIT_PATTERN, 0.0, stroke(rgb(s.style.colour), 2))?;
        }
    }
    for (s, px_s) in fig.series.iter().zip(series) {
        for p in &px_s.points {
            if let Some(b) = p.bar {
                draw_bar(plot, p.x, b, rgb(s.style.colour))?;
            }
        }
    }
    for (s, px_s) in fig.series.iter().zip(series) {
        let c = rgb(s.style.colour);
        for p in &px_s.points {
            match p.off {
                Off::No => draw_marker(plot, s.style.marker, (p.x, p.y), MARKER_RADIUS, c)?,
                Off::Above => draw_off_scale(plot, (p.x, p.y), true, c)?,
                Off::Below => draw_off_scale(plot, (p.x, p.y), false, c)?,
            }
            if let Some(ring) = legend::ring_colour(p.mark) {
                plot.draw(&Circle::new((p.x, p.y), px(11), stroke(ring, 2)))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// A vertical error bar, with 12-px caps at the ends that lie inside the plot.
fn draw_bar(plot: &Area, x: i32, b: layout::PxBar, c: RGBColor) -> Result<(), String> {
    draw_path(plot, &[(x, b.top), (x, b.bottom)], &[], 0.0, stroke(c, 2))?;
    for (end, cap) in [(b.top, b.top_cap), (b.bottom, b.bottom_cap)] {
        if cap {
            draw_path(
                plot,
                &[(x - px(6), end), (x + px(6), end)],
                &[],
                0.0,
                stroke(c, 2),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::check_svg;

    fn figure(series: Vec<Series>, log_y: bool) -> Figure {
        Figure {
            title: "t".into(),
            caption: "c".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            log_y,
            series,
            bar_meaning: "± 2 SE".into(),
            line_meaning: "theory (limit formula)".into(),
            x_ticks: vec![],
        }
    }

    fn pt(x: f64, mean: f64, half_width: f64, mark: Mark) -> SimPoint {
        SimPoint {
            x,
            mean,
            half_width,
            mark,
        }
    }

    fn series(name: &str, theory: Vec<(f64, f64)>, sims: Vec<SimPoint>) -> Series {
        Series {
            label: name.into(),
            style: method_style(name).unwrap_or(Style::nth(0)),
            theory,
            sims,
            fit: None,
        }
    }

    #[test]
    fn disagreeing_points_get_a_red_ring_and_a_legend_entry() {
        let mut fig = figure(
            vec![series(
                "sgd",
                vec![(0.0, 0.5), (2.0, 0.5)],
                vec![
                    pt(1.0, 0.5, 0.01, Mark::Agree),
                    pt(2.0, 0.5, 0.01, Mark::Disagree),
                ],
            )],
            false,
        );
        let ring = format!("r=\"{}\"", px(11));
        let svg = render_svg(&fig).unwrap();
        assert_eq!(svg.matches(&ring).count(), 1, "one ring in the plot");
        assert!(svg.contains("disagrees with theory"));
        fig.series[0].sims[1].mark = Mark::Agree;
        let svg = render_svg(&fig).unwrap();
        assert!(!svg.contains(&ring) && !svg.contains("disagrees with theory"));
        assert!(check_svg(&svg).is_empty(), "{:?}", check_svg(&svg));
    }

    #[test]
    fn identical_series_all_stay_visible() {
        // Shampoo and Muon provably keep SGD's direction: three identical curves and points.
        let theory: Vec<(f64, f64)> = (0..50)
            .map(|i| (i as f64 / 10.0, 0.8 - 0.02 * i as f64 / 10.0))
            .collect();
        let sims = vec![
            pt(1.0, 0.78, 0.0005, Mark::Agree),
            pt(4.0, 0.72, 0.0005, Mark::Agree),
        ];
        let fig = figure(
            ["sgd", "shampoo", "muon"]
                .iter()
                .map(|m| series(m, theory.clone(), sims.clone()))
                .collect(),
            false,
        );
        let svg = render_svg(&fig).unwrap();
        assert!(check_svg(&svg).is_empty(), "{:?}", check_svg(&svg));
        for m in ["sgd", "shampoo", "muon"] {
            let hex = method_style(m).unwrap().colour.hex();
            let strokes = svg.matches(&format!("stroke=\"{hex}\"")).count();
            assert!(
                strokes > 10,
                "{m}'s curve is drawn in pieces of its own colour ({strokes})"
            );
        }
        assert!(svg.contains("coinciding curves"));
        assert!(svg.contains("overlapping markers"));
        assert!(svg.contains("a bar shorter than its"));
    }

    #[test]
    fn values_off_the_axis_are_arrows_at_its_edges_and_the_axis_holds_the_rest() {
        let fig = figure(
            vec![series(
                "kfac",
                vec![(1.0, 1.0), (2.0, f64::INFINITY), (3.0, 0.01)],
                vec![
                    pt(1.0, 1.0, 0.0, Mark::Agree),
                    pt(2.0, f64::INFINITY, 0.0, Mark::Agree),
                    pt(3.0, 2e-6, 1e-5, Mark::Agree),
                    pt(4.0, 0.0, 0.0, Mark::Agree),
                ],
            )],
            true,
        );
        let (_, yr) = ranges(&fig);
        assert!(
            yr.start < 2e-6 && yr.end > 1.0,
            "every finite positive mean inside: {yr:?}"
        );
        let svg = render_svg(&fig).unwrap();
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert!(svg.contains("diverged (not finite)"));
        assert!(svg.contains("≤ 0 (below the log axis)"));
        assert!(check_svg(&svg).is_empty(), "{:?}", check_svg(&svg));
    }

    #[test]
    fn coordinates_are_finer_than_a_pixel() {
        let curve: Vec<(f64, f64)> = (0..200)
            .map(|i| (i as f64, (i as f64 / 30.0).sin()))
            .collect();
        let svg = render_svg(&figure(vec![series("sgd", curve, vec![])], false)).unwrap();
        assert!(svg.starts_with(&format!(
            "<svg width=\"960\" height=\"560\" viewBox=\"0 0 {} {}\"",
            960 * canvas::S,
            560 * canvas::S
        )));
        // A smooth curve sampled finer than a pixel: most vertices fall between whole pixels.
        let poly = svg.split("<polyline").nth(1).unwrap();
        let pts: Vec<i32> = poly
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split([' ', ','])
            .filter_map(|v| v.parse().ok())
            .collect();
        let off_grid = pts.iter().filter(|v| *v % canvas::S != 0).count();
        assert!(off_grid * 2 > pts.len(), "{off_grid} of {}", pts.len());
    }

    #[test]
    fn the_checker_sees_a_hidden_curve_and_text_off_the_canvas() {
        let svg = render_svg(&figure(
            vec![series(
                "sgd",
                vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.5)],
                vec![],
            )],
            false,
        ))
        .unwrap();
        let head = svg.split("</svg>").next().unwrap();
        let poly = svg
            .split("<polyline")
            .find(|p| p.contains("#0072B2"))
            .unwrap()
            .split("/>")
            .next()
            .unwrap();
        let hidden = format!("{head}<polyline{}/>\n<text x=\"3800\" y=\"20\" font-size=\"40\">far too long a label</text>\n</svg>", poly.replace("#0072B2", "#000000"));
        let problems = check_svg(&hidden);
        assert!(
            problems.iter().any(|p| p.contains("drawn exactly over")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("runs off the canvas")),
            "{problems:?}"
        );
    }
}
