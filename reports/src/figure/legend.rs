//! The legend column of a line figure: one entry per series drawn as the plot draws it, then
//! what lines, markers and bars mean and every drawing decision the reader should know about.

use super::canvas::{
    draw_marker, draw_off_scale, draw_path, font, px, rgb, stroke, wrap, Area, LEGEND_WIDTH,
};
use super::layout::MARKER_RADIUS;
use super::{DrawNotes, Figure, Mark, Series, FIT_PATTERN};
use plotters::prelude::*;

/// Characters of a legend label (15 px sans-serif) and of a legend note (13 px) that fit in the
/// legend column beside their sample (≈ 8 and 7 px a character, measured on the rendered PNG).
pub(crate) const LABEL_CHARS: usize = ((LEGEND_WIDTH - 54 - 6) / 8) as usize;
pub(crate) const NOTE_CHARS: usize = ((LEGEND_WIDTH - 10 - 6) / 7) as usize;

/// How a series' legend entry strokes its sample line: the pattern the plot uses, or none.
pub(crate) fn sample_pattern(s: &Series) -> Option<&'static [f64]> {
    if !s.theory.is_empty() {
        Some(s.style.line.pattern())
    } else if s.fit.is_some() {
        Some(&FIT_PATTERN)
    } else {
        None
    }
}

/// The ring around a point with this verdict (none for agree).
pub(crate) fn ring_colour(mark: Mark) -> Option<RGBColor> {
    match mark {
        Mark::Agree => None,
        Mark::Disagree => Some(RED),
        Mark::Inconclusive => Some(RGBColor(150, 150, 150)),
    }
}

/// The notes under the entries: (symbol, text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbol {
    None,
    Ring(Mark),
    Arrow(bool),
}

fn notes(fig: &Figure, drawn: DrawNotes) -> Vec<(Symbol, String)> {
    let mut out = Vec::new();
    let any = |f: &dyn Fn(&Series) -> bool| fig.series.iter().any(f);
    if any(&|s| !s.theory.is_empty()) {
        out.push((Symbol::None, format!("lines: {}", fig.line_meaning)));
    }
    if any(&|s| s.fit.is_some()) {
        out.push((Symbol::None, "dash-dot: least-squares fit".to_string()));
    }
    if any(&|s| !s.sims.is_empty()) {
        out.push((
            Symbol::None,
            format!("markers: simulation mean {}", fig.bar_meaning),
        ));
    }
    let flags = [
        (drawn.coincident, "coinciding curves alternate colours"),
        (drawn.dodged, "overlapping markers shifted sideways"),
        (
            drawn.hidden_bars,
            "a bar shorter than its marker is hidden by it",
        ),
    ];
    for (on, text) in flags {
        if on {
            out.push((Symbol::None, text.to_string()));
        }
    }
    if drawn.above {
        out.push((Symbol::Arrow(true), "diverged (not finite)".to_string()));
    }
    if drawn.below {
        out.push((Symbol::Arrow(false), "≤ 0 (below the log axis)".to_string()));
    }
    for (mark, text) in [
        (Mark::Disagree, "disagrees with theory"),
        (Mark::Inconclusive, "inconclusive (not shown to agree)"),
    ] {
        if any(&|s| s.sims.iter().any(|p| p.mark == mark)) {
            out.push((Symbol::Ring(mark), text.to_string()));
        }
    }
    out
}

/// Pixel heights of the entries and notes at a row spacing: (per entry, notes total).
fn heights(fig: &Figure, notes: &[(Symbol, String)], row: i32, line: i32) -> (Vec<i32>, i32) {
    let entries = fig
        .series
        .iter()
        .map(|s| row + line * (wrap(&s.label, LABEL_CHARS).len() as i32 - 1))
        .collect();
    let note_lines: usize = notes.iter().map(|(_, t)| wrap(t, NOTE_CHARS).len()).sum();
    (entries, 10 + 20 * note_lines as i32)
}

/// How many entries are drawn and at which spacing (row, wrapped line), so the legend fits in
/// its column: normal, then compact, then the first entries and a count of the rest.
fn fit_entries(fig: &Figure, notes: &[(Symbol, String)], available: i32) -> (usize, i32, i32) {
    for (row, line) in [(28, 18), (21, 16)] {
        let (entries, rest) = heights(fig, notes, row, line);
        if 30 + entries.iter().sum::<i32>() + rest <= available {
            return (fig.series.len(), row, line);
        }
    }
    let (entries, rest) = heights(fig, notes, 21, 16);
    let mut used = 30 + rest + 21;
    let shown = entries
        .iter()
        .take_while(|h| {
            used += **h;
            used <= available
        })
        .count();
    (shown, 21, 16)
}

/// Draw the legend column.
pub(crate) fn draw_legend(area: &Area, fig: &Figure, drawn: DrawNotes) -> Result<(), String> {
    let small = font(13).color(&RGBColor(80, 80, 80));
    let notes = notes(fig, drawn);
    // The column below the title block, less a bottom margin.
    let available = area.dim_in_pixel().1 as i32 / px(1) - 8;
    let (shown, row, line) = fit_entries(fig, &notes, available);
    let mut y = 30;
    for s in &fig.series[..shown] {
        let c = rgb(s.style.colour);
        if let Some(pattern) = sample_pattern(s) {
            draw_path(
                area,
                &[(px(10), px(y)), (px(46), px(y))],
                pattern,
                0.0,
                stroke(c, 2),
            )?;
        }
        if !s.sims.is_empty() {
            draw_marker(area, s.style.marker, (px(28), px(y)), MARKER_RADIUS, c)?;
        }
        for (k, part) in wrap(&s.label, LABEL_CHARS).into_iter().enumerate() {
            if k > 0 {
                y += line;
            }
            area.draw(&Text::new(part, (px(54), px(y - 8)), font(15)))
                .map_err(|e| e.to_string())?;
        }
        y += row;
    }
    if shown < fig.series.len() {
        let more = format!(
            "… and {} more series (see the CSV)",
            fig.series.len() - shown
        );
        area.draw(&Text::new(more, (px(10), px(y - 8)), small.clone()))
            .map_err(|e| e.to_string())?;
        y += row;
    }
    y += 10;
    for (symbol, text) in notes {
        let indent = match symbol {
            Symbol::None => 10,
            Symbol::Ring(mark) => {
                let colour = ring_colour(mark).unwrap_or(RED);
                area.draw(&Circle::new((px(18), px(y + 6)), px(9), stroke(colour, 2)))
                    .map_err(|e| e.to_string())?;
                34
            }
            Symbol::Arrow(up) => {
                draw_off_scale(area, (px(18), px(y + 6)), up, RGBColor(80, 80, 80))?;
                34
            }
        };
        for part in wrap(&text, NOTE_CHARS - (indent as usize - 10) / 7) {
            area.draw(&Text::new(part, (px(indent), px(y)), small.clone()))
                .map_err(|e| e.to_string())?;
            y += 20;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::canvas::SIZE;
    use super::super::{SimPoint, Style};
    use super::*;

    fn series(theory: bool, sims: bool, fit: bool) -> Series {
        Series {
            label: "s".into(),
            style: Style::nth(9),
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
        }
    }

    #[test]
    fn legend_entries_draw_what_the_plot_draws() {
        // A fit-only series (the spike's simulation and its fit): the fit's pattern.
        assert_eq!(
            sample_pattern(&series(false, true, true)),
            Some(&FIT_PATTERN[..])
        );
        // A theory curve: its own line (Style::nth(9) is dashed).
        assert_eq!(
            sample_pattern(&series(true, false, false)),
            Some(super::super::LineKind::Dashed.pattern())
        );
        assert_eq!(sample_pattern(&series(false, true, false)), None);
    }

    #[test]
    fn the_columns_hold_their_text() {
        // Every character of the longest line fits: 8 px a character at 15 px, 7 at 13 px.
        assert!(54 + 8 * LABEL_CHARS as u32 <= LEGEND_WIDTH);
        assert!(10 + 7 * NOTE_CHARS as u32 <= LEGEND_WIDTH);
    }

    #[test]
    fn a_long_legend_is_compacted_then_cut_with_a_count() {
        let mut fig = Figure {
            title: "t".into(),
            caption: "c".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x: false,
            log_y: false,
            series: vec![series(true, true, false); 10],
            bar_meaning: "± 2 SE".into(),
            line_meaning: "theory".into(),
            x_ticks: vec![],
        };
        let notes = notes(&fig, DrawNotes::default());
        assert_eq!(fit_entries(&fig, &notes, SIZE.1 as i32 - 72), (10, 28, 18));
        fig.series = vec![series(true, true, false); 16];
        assert_eq!(fit_entries(&fig, &notes, SIZE.1 as i32 - 72), (16, 21, 16));
        fig.series = vec![series(true, true, false); 40];
        let (shown, _, _) = fit_entries(&fig, &notes, SIZE.1 as i32 - 72);
        assert!(shown < 40 && shown > 10, "{shown}");
    }
}
