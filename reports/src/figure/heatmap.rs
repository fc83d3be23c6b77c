//! A heatmap of a value over a 2-D grid with marked check points (a theory phase diagram with the
//! simulation verdicts at a coarse sub-grid).

use super::canvas::{
    canvas, chart_builder, finish, font, frame, log_ticks, min_max, px, stroke, style_mesh, Area,
};
use super::Mark;
use crate::files::ReportError;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

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
    /// What the check points' labels are, for the legend.
    pub check_label: String,
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
    let areas;
    {
        let root = canvas(&mut buf);
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
        areas = (plot.get_pixel_range(), legend.get_pixel_range());
    }
    Ok(finish(buf, areas.0, areas.1))
}

/// The heatmap's colour bar (its ends, and 0 when the map has both signs) and the check legend,
/// with a count of the checks outside the map.
fn draw_heatmap_legend(
    legend: &Area,
    fig: &HeatmapFigure,
    scale: ColourScale,
    outside: usize,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    // Colour bar.
    legend
        .draw(&Text::new(
            fig.value_label.clone(),
            (px(10), px(14)),
            font(14),
        ))
        .map_err(|x| e(&x))?;
    let (top, height) = (40, 260);
    for k in 0..height {
        let v = scale.at(k as f64 / height as f64);
        // Each strip overlaps the next by a pixel: no hairline seams where a renderer rounds.
        legend
            .draw(&Rectangle::new(
                [(px(14), px(top + k)), (px(44), px(top + k + 2))],
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
            .draw(&Text::new(
                format!("{v:+.3}"),
                (px(52), px(y - 7)),
                font(14),
            ))
            .map_err(|x| e(&x))?;
    }
    let small = font(13).color(&RGBColor(80, 80, 80));
    let y = top + height + 30;
    let mut row = y;
    for (mark, text) in [
        (Mark::Agree, "simulation agrees"),
        (Mark::Disagree, "simulation disagrees"),
        (Mark::Inconclusive, "inconclusive (not shown to agree)"),
    ] {
        draw_check(legend, (px(18), px(row + 6)), mark).map_err(|x| e(&x))?;
        legend
            .draw(&Text::new(
                text.to_string(),
                (px(32), px(row)),
                small.clone(),
            ))
            .map_err(|x| e(&x))?;
        row += 24;
    }
    legend
        .draw(&Text::new(
            format!("labels: {}", fig.check_label),
            (px(10), px(row + 2)),
            small.clone(),
        ))
        .map_err(|x| e(&x))?;
    if outside > 0 {
        legend
            .draw(&Text::new(
                format!("{outside} check(s) outside the map: see checks/"),
                (px(10), px(row + 22)),
                small,
            ))
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

fn heatmap_chart<Y>(
    area: &Area,
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
    let mut chart = chart_builder(area)
        .build_cartesian_2d(x, y)
        .map_err(|x| e(&x))?;
    style_mesh(chart.configure_mesh(), &fig.x_label, &fig.y_label)
        .disable_mesh()
        .draw()
        .map_err(|x| e(&x))?;
    // Cells are drawn a pixel wider and taller than their edges (except at the far edges), so
    // neighbours overlap instead of leaving hairline seams where coordinates are rounded.
    let (xmax, ymax) = (x_range.end, y_range.1);
    let one_px = (x_range.end - x_range.start) / 600.0;
    let grow_y = |y: f64| {
        if fig.log_y {
            y * (y_range.1 / y_range.0).powf(1.0 / 420.0)
        } else {
            y + (y_range.1 - y_range.0) / 420.0
        }
    };
    chart
        .draw_series(fig.cells.iter().map(|&(x0, x1, y0, y1, v)| {
            let x1 = if x1 < xmax { x1 + one_px } else { x1 };
            let y1 = if y1 < ymax { grow_y(y1) } else { y1 };
            Rectangle::new([(x0, y0), (x1, y1)], scale.colour(v).filled())
        }))
        .map_err(|x| e(&x))?;
    for (x, y, mark, text) in checks_inside(fig, &x_range, y_range) {
        draw_check(chart.plotting_area(), (*x, *y), *mark).map_err(|x| e(&x))?;
        // The label on a white plate: readable on the darkest cell.
        let w = px(7 * text.chars().count() as i32 + 6);
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((*x, *y))
                    + Rectangle::new(
                        [(px(6), px(-19)), (px(6) + w, px(-1))],
                        WHITE.mix(0.85).filled(),
                    )
                    + Text::new(text.clone(), (px(9), px(-16)), font(13))),
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
        Mark::Agree => area.draw(&Circle::new(at, px(6), RGBColor(0, 158, 115).filled())),
        Mark::Disagree => area.draw(&Cross::new(at, px(7), stroke(RED, 3))),
        Mark::Inconclusive => {
            area.draw(&Circle::new(at.clone(), px(7), WHITE.filled()))?;
            area.draw(&Circle::new(at, px(7), stroke(RGBColor(110, 110, 110), 3)))
        }
    }
}

/// Write a heatmap figure to `path` atomically.
pub fn write_heatmap_svg(path: &Path, fig: &HeatmapFigure) -> Result<(), ReportError> {
    super::write_rendered(path, render_heatmap_svg(fig))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
