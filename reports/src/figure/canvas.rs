//! The canvas every figure shares: size, drawing scale, title block, axes style, tick choice,
//! text wrapping, and stroking curves and markers in pixel space.
//!
//! plotters' SVG backend writes whole-number coordinates. Every figure is therefore drawn `S`
//! times larger than its nominal size and shown at that size through the SVG's `viewBox`:
//! coordinates are exact to 1/S of a pixel, so curves are smooth rather than stair-stepped.

use super::style::{Colour, MarkerShape};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;

/// Drawing units per SVG pixel.
pub(crate) const S: i32 = 4;
/// Nominal size in pixels.
pub(crate) const SIZE: (u32, u32) = (960, 560);
/// Width of the legend column, pixels.
pub(crate) const LEGEND_WIDTH: u32 = 250;
const HEADER: u32 = 64;

/// An area's (x, y) extent in drawing units.
pub(crate) type PixelRect = (Range<i32>, Range<i32>);

/// A drawing area on the scaled canvas.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// `v` pixels in drawing units.
pub(crate) const fn px(v: i32) -> i32 {
    v * S
}

/// A sans-serif font of `size` pixels.
pub(crate) fn font(size: i32) -> FontDesc<'static> {
    ("sans-serif", (size * S) as f64).into_font()
}

/// The plotters colour of a palette colour.
pub(crate) fn rgb(c: Colour) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A `w`-pixel stroke in colour `c`.
pub(crate) fn stroke(c: RGBColor, w: i32) -> ShapeStyle {
    c.stroke_width((w * S) as u32)
}

/// The scaled root area of a figure, drawing into `buf`.
pub(crate) fn canvas(buf: &mut String) -> Area<'_> {
    SVGBackend::with_string(buf, (SIZE.0 * S as u32, SIZE.1 * S as u32)).into_drawing_area()
}

/// The finished SVG: shown at its nominal size (the drawing's units stay in the viewBox), with a
/// comment naming the plot and legend rectangles (nominal pixels) for tools that check figures.
pub(crate) fn finish(svg: String, plot: PixelRect, legend: PixelRect) -> String {
    let (w, h) = (SIZE.0 * S as u32, SIZE.1 * S as u32);
    let header = format!("<svg width=\"{w}\" height=\"{h}\"");
    let rect = |(x, y): PixelRect| {
        let f = |v: i32| format!("{}", v as f64 / S as f64);
        format!("{} {} {} {}", f(x.start), f(y.start), f(x.end), f(y.end))
    };
    let shown = format!("<svg width=\"{}\" height=\"{}\"", SIZE.0, SIZE.1);
    let body = svg.replacen(&header, &shown, 1);
    match body.find('\n') {
        Some(i) => format!(
            "{}\n<!-- verify: plot-area {} legend-area {} -->{}",
            &body[..i],
            rect(plot),
            rect(legend),
            &body[i..]
        ),
        None => body,
    }
}

/// Caption characters per line at 15 px and at 13 px (≈ 7.3 and 6.3 px a character, measured on
/// the rendered PNG) across the canvas's width less its 20-px margins.
const CAPTION_CHARS: (usize, usize) = (124, 144);

/// The caption's lines and font size: one line at 15 px, else one at 13 px, else wrapped at 13 px
/// (the header grows by a line).
pub(crate) fn caption_lines(caption: &str) -> (Vec<String>, i32) {
    let n = caption.chars().count();
    if n <= CAPTION_CHARS.0 {
        (vec![caption.to_string()], 15)
    } else if n <= CAPTION_CHARS.1 {
        (vec![caption.to_string()], 13)
    } else {
        (wrap(caption, CAPTION_CHARS.1), 13)
    }
}

/// A white canvas with the title and the caption on top; returns (plot area, legend area).
pub(crate) fn frame<'a>(
    root: &Area<'a>,
    title: &str,
    caption: &str,
) -> Result<(Area<'a>, Area<'a>), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (lines, size) = caption_lines(caption);
    let extra = 17 * (lines.len() as i32 - 1);
    let (header, body) = root.split_vertically(px(HEADER as i32 + extra));
    header
        .draw(&Text::new(title.to_string(), (px(20), px(12)), font(24)))
        .map_err(|e| e.to_string())?;
    for (i, line) in lines.into_iter().enumerate() {
        header
            .draw(&Text::new(
                line,
                (px(20), px(42 + 17 * i as i32)),
                font(size).color(&RGBColor(80, 80, 80)),
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(body.split_horizontally(px((SIZE.0 - LEGEND_WIDTH) as i32)))
}

/// The house style of every chart's axes: labels, short tick numbers, faint major grid only.
pub(crate) fn style_mesh<'a, 'b, X, Y>(
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
        .axis_desc_style(font(18))
        .label_style(font(14))
        .axis_style(stroke(BLACK, 1))
        .set_all_tick_mark_size(px(5))
        .light_line_style(TRANSPARENT)
        .bold_line_style(stroke(RGBColor(225, 225, 225), 1));
    mesh
}

/// A chart builder on `area` with the house margins.
pub(crate) fn chart_builder<'a, 'b>(area: &'a Area<'b>) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(area);
    b.margin(px(12))
        .x_label_area_size(px(50))
        .y_label_area_size(px(70));
    b
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

/// Most tick labels a logarithmic axis carries (more overlap on the x axis or crowd the y axis).
pub(crate) const MAX_LOG_TICKS: usize = 10;

/// Tick positions for a logarithmic axis over `r`, at most MAX_LOG_TICKS: 1·10^k, 2·10^k,
/// 5·10^k inside the range (every m·10^k, m = 1..9, when that gives fewer than three); over
/// more decades only the powers of ten, then every second, fifth, ... power.
pub fn log_ticks(r: &Range<f64>) -> Vec<f64> {
    let (lo, hi) = (r.start.max(f64::MIN_POSITIVE), r.end);
    let (k0, k1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let candidates = |ms: &[f64], every: i32| -> Vec<f64> {
        (k0..=k1)
            .filter(|k| k.rem_euclid(every) == 0)
            .flat_map(|k| ms.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|t| *t >= lo && *t <= hi)
            .collect()
    };
    let coarse = candidates(&[1.0, 2.0, 5.0], 1);
    if coarse.len() < 3 {
        return candidates(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1);
    }
    if coarse.len() <= MAX_LOG_TICKS {
        return coarse;
    }
    [1, 2, 3, 5, 10, 20, 50, 100]
        .iter()
        .map(|&every| candidates(&[1.0], every))
        .find(|t| t.len() <= MAX_LOG_TICKS)
        .unwrap_or_default()
}

/// The smallest and largest finite value.
pub(crate) fn min_max(it: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    it.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// `text` broken at spaces into lines of at most `max` characters (a longer word is split), so a
/// legend entry never runs off the canvas.
pub(crate) fn wrap(text: &str, max: usize) -> Vec<String> {
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

/// The "on" pieces of a polyline (drawing units) under a repeating on/off `pattern` (pixels)
/// started `phase` pixels in; an empty pattern keeps the whole line.
pub(crate) fn dash(points: &[(i32, i32)], pattern: &[f64], phase: f64) -> Vec<Vec<(i32, i32)>> {
    if pattern.is_empty() || points.len() < 2 {
        return vec![points.to_vec()];
    }
    let pattern: Vec<f64> = pattern.iter().map(|p| p * S as f64).collect();
    let period: f64 = pattern.iter().sum();
    // Position inside the pattern: which piece, and how far into it.
    let mut at = (phase * S as f64).rem_euclid(period);
    let mut piece = 0;
    while at >= pattern[piece] {
        at -= pattern[piece];
        piece = (piece + 1) % pattern.len();
    }
    let mut out = Vec::new();
    let mut current: Vec<(i32, i32)> = vec![points[0]];
    let on = |p: usize| p.is_multiple_of(2);
    for w in points.windows(2) {
        let (a, b) = (
            (w[0].0 as f64, w[0].1 as f64),
            (w[1].0 as f64, w[1].1 as f64),
        );
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut done = 0.0;
        while len - done > pattern[piece] - at {
            done += pattern[piece] - at;
            let t = done / len;
            let p = (
                (a.0 + (b.0 - a.0) * t).round() as i32,
                (a.1 + (b.1 - a.1) * t).round() as i32,
            );
            if on(piece) {
                current.push(p);
                out.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            piece = (piece + 1) % pattern.len();
            at = 0.0;
        }
        at += len - done;
        if on(piece) {
            current.push(w[1]);
        }
    }
    if on(piece) && current.len() > 1 {
        out.push(current);
    }
    out
}

/// Stroke a polyline (drawing units, relative to `area`) with a dash pattern.
pub(crate) fn draw_path(
    area: &Area,
    points: &[(i32, i32)],
    pattern: &[f64],
    phase: f64,
    style: ShapeStyle,
) -> Result<(), String> {
    for piece in dash(points, pattern, phase) {
        area.draw(&PathElement::new(piece, style))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A filled marker of `shape` centred at `at` (drawing units, relative to `area`), `r` pixels
/// in radius, with a thin white outline so overlapping markers stay apart.
pub(crate) fn draw_marker(
    area: &Area,
    shape: MarkerShape,
    at: (i32, i32),
    r: i32,
    c: RGBColor,
) -> Result<(), String> {
    let (x, y) = at;
    let r = px(r);
    let outline = stroke(WHITE, 1);
    let points: Vec<(i32, i32)> = match shape {
        MarkerShape::Circle => {
            area.draw(&Circle::new(at, r, c.filled()))
                .map_err(|e| e.to_string())?;
            return area
                .draw(&Circle::new(at, r, outline))
                .map_err(|e| e.to_string());
        }
        MarkerShape::Triangle => {
            let h = (r as f64 * 1.25) as i32;
            let w = (r as f64 * 1.1) as i32;
            vec![(x, y - h), (x + w, y + h * 3 / 5), (x - w, y + h * 3 / 5)]
        }
        MarkerShape::Square => {
            let h = (r as f64 * 0.9) as i32;
            vec![
                (x - h, y - h),
                (x + h, y - h),
                (x + h, y + h),
                (x - h, y + h),
            ]
        }
        MarkerShape::Diamond => {
            let h = (r as f64 * 1.25) as i32;
            vec![(x, y - h), (x + h, y), (x, y + h), (x - h, y)]
        }
    };
    area.draw(&Polygon::new(points.clone(), c.filled()))
        .map_err(|e| e.to_string())?;
    let mut closed = points;
    closed.push(closed[0]);
    area.draw(&PathElement::new(closed, outline))
        .map_err(|e| e.to_string())
}

/// An open arrow head at `at` pointing up (`up`) or down: a value off the axis.
pub(crate) fn draw_off_scale(
    area: &Area,
    at: (i32, i32),
    up: bool,
    c: RGBColor,
) -> Result<(), String> {
    let (x, y) = at;
    let (h, w) = (px(8), px(6));
    let tip = if up { y - h / 2 } else { y + h / 2 };
    let base = if up { y + h / 2 } else { y - h / 2 };
    let path = vec![(x - w, base), (x, tip), (x + w, base), (x - w, base)];
    area.draw(&Polygon::new(path.clone(), WHITE.filled()))
        .map_err(|e| e.to_string())?;
    area.draw(&PathElement::new(path, stroke(c, 2)))
        .map_err(|e| e.to_string())
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
        assert_eq!(short_number(5e-8), "5e-8");
    }

    #[test]
    fn log_ticks_inside_the_range_and_never_crowded() {
        assert_eq!(
            log_ticks(&(0.5..30.0)),
            vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
        );
        let fine = log_ticks(&(0.03..0.09));
        assert_eq!(fine.len(), 7, "{fine:?}");
        assert!(fine.iter().all(|t| (0.03..=0.09).contains(t)));
        // Six decades (the transfer-bound figure): powers of ten only.
        let wide = log_ticks(&(1.5e-6..1.2));
        assert_eq!(wide.len(), 6, "{wide:?}");
        // Thirty decades: every fifth power.
        let huge = log_ticks(&(1e-30..1.0));
        assert!(huge.len() <= MAX_LOG_TICKS && huge.len() >= 3, "{huge:?}");
        for r in [0.2..0.9, 1e-8..1.0, 3.0..3000.0, 1e-3..1e5] {
            let t = log_ticks(&r);
            assert!((2..=MAX_LOG_TICKS).contains(&t.len()), "{r:?}: {t:?}");
            assert!(
                t.iter().all(|v| (r.start..=r.end).contains(v)),
                "{r:?}: {t:?}"
            );
        }
    }

    #[test]
    fn a_long_caption_gets_a_smaller_font_then_a_second_line() {
        assert_eq!(caption_lines("short").1, 15);
        let medium = "x".repeat(130);
        assert_eq!(caption_lines(&medium), (vec![medium.clone()], 13));
        let long = "word ".repeat(40);
        let (lines, size) = caption_lines(long.trim());
        assert_eq!((lines.len(), size), (2, 13));
        // At 6.3 px a character the longest line fits between the 20-px margins.
        assert!(20.0 + 6.3 * CAPTION_CHARS.1 as f64 <= SIZE.0 as f64 - 20.0);
        assert!(20.0 + 7.3 * CAPTION_CHARS.0 as f64 <= SIZE.0 as f64 - 20.0);
    }

    #[test]
    fn legend_text_is_wrapped() {
        let label = "C (dist² + d_yσ_ε²k/n_T), C = 0.3158 the smallest that holds everywhere";
        let lines = wrap(label, 20);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.chars().count() <= 20));
        assert_eq!(lines.join(" "), label, "nothing lost");
        assert_eq!(wrap("short", 20), ["short"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn dashes_cover_the_pattern_share_of_the_line() {
        let line = [(0, 0), (px(100), 0), (px(100), px(100))];
        let length = |pieces: &[Vec<(i32, i32)>]| -> f64 {
            pieces
                .iter()
                .flat_map(|p| p.windows(2))
                .map(|w| {
                    (((w[1].0 - w[0].0) as f64).powi(2) + ((w[1].1 - w[0].1) as f64).powi(2)).sqrt()
                })
                .sum::<f64>()
                / S as f64
        };
        assert_eq!(dash(&line, &[], 0.0), vec![line.to_vec()]);
        let on = length(&dash(&line, &[10.0, 10.0], 0.0));
        assert!((on - 100.0).abs() < 1.0, "{on}");
        // Two halves with complementary phases tile the line.
        let a = length(&dash(&line, &[5.0, 15.0], 0.0));
        let b = length(&dash(&line, &[5.0, 15.0], 5.0));
        assert!((a - 50.0).abs() < 1.0 && (b - 50.0).abs() < 1.0, "{a} {b}");
        let first_a = dash(&line, &[5.0, 15.0], 0.0)[0][0];
        let first_b = dash(&line, &[5.0, 15.0], 15.0)[0][0];
        assert_eq!(first_a, (0, 0));
        assert_eq!(first_b, (px(5), 0), "phase 15 of period 20 starts 5 px in");
    }
}
