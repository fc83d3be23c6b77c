//! A histogram of samples against a density curve (e.g. sample eigenvalues against the limit law).

use super::canvas::{
    canvas, chart_builder, draw_path, finish, font, frame, min_max, px, rgb, stroke, style_mesh,
    Area,
};
use super::style::CYCLE;
use crate::files::ReportError;
use plotters::prelude::*;
use std::path::Path;

/// A histogram of samples against a density curve.
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
    let areas;
    {
        let root = canvas(&mut buf);
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
        let mut chart = chart_builder(&plot)
            .build_cartesian_2d(x0..x1.max(x0 + 1e-12), 0.0..(1.08 * y1).max(1e-12))
            .map_err(|x| e(&x))?;
        style_mesh(chart.configure_mesh(), &fig.x_label, &fig.y_label)
            .draw()
            .map_err(|x| e(&x))?;
        let (bar, line) = (rgb(CYCLE[5]), rgb(CYCLE[1]));
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
                    .map(|&(lo, hi, h)| Rectangle::new([(lo, 0.0), (hi, h)], stroke(bar, 1))),
            )
            .map_err(|x| e(&x))?;
        let base = chart.plotting_area().get_base_pixel();
        let curve: Vec<(i32, i32)> = fig
            .curve
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|p| {
                let (a, b) = chart.backend_coord(p);
                (a - base.0, b - base.1)
            })
            .collect();
        let inner = chart.plotting_area().strip_coord_spec();
        draw_path(&inner, &curve, &[], 0.0, stroke(line, 2))?;
        draw_histogram_legend(&legend, fig, bar, line)?;
        root.present().map_err(|x| e(&x))?;
        areas = (plot.get_pixel_range(), legend.get_pixel_range());
    }
    Ok(finish(buf, areas.0, areas.1))
}

/// The legend: the bars' swatch, the curve's line, then the notes.
fn draw_histogram_legend(
    legend: &Area,
    fig: &HistogramFigure,
    bar: RGBColor,
    line: RGBColor,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let small = font(13).color(&RGBColor(80, 80, 80));
    legend
        .draw(&Rectangle::new(
            [(px(10), px(22)), (px(46), px(38))],
            bar.mix(0.45).filled(),
        ))
        .map_err(|x| e(&x))?;
    legend
        .draw(&Text::new(
            fig.bins_label.clone(),
            (px(54), px(22)),
            font(15),
        ))
        .map_err(|x| e(&x))?;
    draw_path(
        legend,
        &[(px(10), px(58)), (px(46), px(58))],
        &[],
        0.0,
        stroke(line, 2),
    )?;
    legend
        .draw(&Text::new(
            fig.curve_label.clone(),
            (px(54), px(50)),
            font(15),
        ))
        .map_err(|x| e(&x))?;
    for (i, n) in fig.notes.iter().enumerate() {
        legend
            .draw(&Text::new(
                n.clone(),
                (px(10), px(90 + 20 * i as i32)),
                small.clone(),
            ))
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

/// Write a histogram figure to `path` atomically.
pub fn write_histogram_svg(path: &Path, fig: &HistogramFigure) -> Result<(), ReportError> {
    super::write_rendered(path, render_histogram_svg(fig))
}
