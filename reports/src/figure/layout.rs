//! A line figure in pixel space: where every curve, bar and marker lands, and the decisions made
//! there — coinciding curves, markers shifted apart, values off the axis, bars hidden by their
//! marker. Pure functions of positions, so they are tested without drawing.

use super::canvas::px;
use super::Mark;

/// Marker radius, pixels.
pub(crate) const MARKER_RADIUS: i32 = 5;
/// Sideways step between markers that would overlap, pixels.
const DODGE_STEP: i32 = 11;
/// Curves whose every point is this close (pixels) are drawn as one, in alternating colours.
const COINCIDENT_PX: i32 = 2;
/// Length of one colour's stretch on coinciding curves, pixels.
pub(crate) const ALTERNATION_PX: f64 = 10.0;

/// Where a simulated value lies relative to the y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Off {
    /// On the axis.
    No,
    /// Above it (not finite): drawn as an open arrow at the top edge.
    Above,
    /// Below a logarithmic axis (≤ 0): an open arrow at the bottom edge.
    Below,
}

/// One error bar in drawing units: its ends (top < bottom in pixels) and whether each end lies
/// inside the plot (a cap is drawn) or was cut at its edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PxBar {
    pub top: i32,
    pub bottom: i32,
    pub top_cap: bool,
    pub bottom_cap: bool,
}

/// One simulated point in drawing units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PxPoint {
    pub x: i32,
    pub y: i32,
    pub bar: Option<PxBar>,
    pub mark: Mark,
    pub off: Off,
}

/// One series in drawing units, relative to the plot area's top-left corner.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PxSeries {
    /// The theory curve, split where it is not drawable.
    pub theory: Vec<Vec<(i32, i32)>>,
    /// The fitted line, split likewise.
    pub fit: Vec<Vec<(i32, i32)>>,
    pub points: Vec<PxPoint>,
}

/// A polyline's drawable runs: consecutive points that map to pixels.
pub(crate) fn runs(
    points: &[(f64, f64)],
    map: &impl Fn(f64, f64) -> Option<(i32, i32)>,
) -> Vec<Vec<(i32, i32)>> {
    let mut out: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut run = Vec::new();
    for &(x, y) in points {
        match map(x, y) {
            Some(p) => run.push(p),
            None if run.is_empty() => {}
            None => out.push(std::mem::take(&mut run)),
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// A bar from `top_y` to `bottom_y` (pixels, either may be None = beyond the axis), cut to the
/// plot's height `h`.
pub(crate) fn bar(top_y: Option<i32>, bottom_y: Option<i32>, h: i32) -> PxBar {
    let top = top_y.unwrap_or(0);
    let bottom = bottom_y.unwrap_or(h);
    PxBar {
        top: top.clamp(0, h),
        bottom: bottom.clamp(0, h),
        top_cap: top_y.is_some() && (0..=h).contains(&top),
        bottom_cap: bottom_y.is_some() && (0..=h).contains(&bottom),
    }
}

/// For each series, (its place m, the size k) of its group of coinciding theory curves (every
/// point within COINCIDENT_PX of the other's); (0, 1) for a curve that coincides with none.
pub(crate) fn coincident_groups(series: &[PxSeries]) -> Vec<(usize, usize)> {
    let same = |a: &PxSeries, b: &PxSeries| {
        !a.theory.is_empty()
            && a.theory.len() == b.theory.len()
            && a.theory.iter().zip(&b.theory).all(|(p, q)| {
                p.len() == q.len()
                    && p.iter().zip(q).all(|(u, v)| {
                        (u.0 - v.0).abs() <= px(COINCIDENT_PX)
                            && (u.1 - v.1).abs() <= px(COINCIDENT_PX)
                    })
            })
    };
    // Each series joins the group of the first earlier series it coincides with.
    let mut leader: Vec<usize> = (0..series.len()).collect();
    for j in 0..series.len() {
        if let Some(i) = (0..j).find(|&i| leader[i] == i && same(&series[i], &series[j])) {
            leader[j] = i;
        }
    }
    (0..series.len())
        .map(|j| {
            let members: Vec<usize> = (0..series.len())
                .filter(|&i| leader[i] == leader[j])
                .collect();
            let m = members.iter().position(|&i| i == j).unwrap_or(0);
            (m, members.len())
        })
        .collect()
}

/// The vertical extent a point covers: its marker and its bar.
fn extent(p: &PxPoint) -> (i32, i32) {
    let (mut top, mut bottom) = (p.y - px(MARKER_RADIUS), p.y + px(MARKER_RADIUS));
    if let Some(b) = p.bar {
        top = top.min(b.top);
        bottom = bottom.max(b.bottom);
    }
    (top, bottom)
}

/// Shift points that would cover each other sideways, bars with them: points of different
/// series at the same x whose markers or bars overlap vertically are spread DODGE_STEP apart, in
/// series order. Returns whether any point moved.
pub(crate) fn dodge(series: &mut [PxSeries], width: i32) -> bool {
    let mut all: Vec<(usize, usize)> = series
        .iter()
        .enumerate()
        .flat_map(|(s, ps)| (0..ps.points.len()).map(move |p| (s, p)))
        .collect();
    let at = |series: &[PxSeries], (s, p): (usize, usize)| series[s].points[p];
    all.sort_by_key(|&k| (at(series, k).x, k.0));
    // Columns: points within a pixel of the column's first x (rounding may split an x by a unit).
    let mut columns: Vec<Vec<(usize, usize)>> = Vec::new();
    for &k in &all {
        match columns.last_mut() {
            Some(c) if at(series, k).x - at(series, c[0]).x <= px(1) => c.push(k),
            _ => columns.push(vec![k]),
        }
    }
    let mut moved = false;
    for mut column in columns {
        column.sort_by_key(|&k| (extent(&at(series, k)).0, k.0));
        // Clusters: each next extent starts above the lowest end so far.
        let mut start = 0;
        while start < column.len() {
            let mut reach = extent(&at(series, column[start])).1;
            let mut end = start + 1;
            while end < column.len() && extent(&at(series, column[end])).0 < reach {
                reach = reach.max(extent(&at(series, column[end])).1);
                end += 1;
            }
            moved |= spread(series, &column[start..end], width);
            start = end;
        }
    }
    moved
}

/// Give each series of a cluster its own slot around the cluster's x (a series' own repeated
/// points share its slot), the whole fan kept inside the plot's `width`; whether anything moved.
fn spread(series: &mut [PxSeries], cluster: &[(usize, usize)], width: i32) -> bool {
    let mut slots: Vec<usize> = cluster.iter().map(|k| k.0).collect();
    slots.sort_unstable();
    slots.dedup();
    let k = slots.len() as i32;
    if k < 2 {
        return false;
    }
    // Twice the offset, halved: exact for an even count too.
    let half = (k - 1) * px(DODGE_STEP) / 2;
    let x = series[cluster[0].0].points[cluster[0].1].x;
    let margin = px(MARKER_RADIUS + 2);
    let centre = x.clamp(margin + half, (width - margin - half).max(margin + half));
    for &(s, p) in cluster {
        let j = slots.iter().position(|&x| x == s).unwrap_or(0) as i32;
        series[s].points[p].x = centre + (2 * j - (k - 1)) * px(DODGE_STEP) / 2;
    }
    true
}

/// Whether some bar is shorter than its marker's radius on both sides (hidden behind it).
pub(crate) fn hidden_bars(series: &[PxSeries]) -> bool {
    series.iter().flat_map(|s| &s.points).any(|p| {
        p.off == Off::No
            && p.bar
                .is_some_and(|b| (b.bottom - b.top) < px(2 * MARKER_RADIUS))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: i32, y: i32) -> PxPoint {
        PxPoint {
            x: px(x),
            y: px(y),
            bar: None,
            mark: Mark::Agree,
            off: Off::No,
        }
    }

    fn with_points(points: Vec<PxPoint>) -> PxSeries {
        PxSeries {
            points,
            ..PxSeries::default()
        }
    }

    #[test]
    fn runs_break_where_the_curve_is_not_drawable() {
        let map = |x: f64, y: f64| (y > 0.0 && y.is_finite()).then_some((x as i32, y as i32));
        let pts = [
            (1.0, 1.0),
            (2.0, 2.0),
            (3.0, f64::INFINITY),
            (4.0, 4.0),
            (5.0, 0.0),
        ];
        assert_eq!(runs(&pts, &map), vec![vec![(1, 1), (2, 2)], vec![(4, 4)]]);
    }

    #[test]
    fn bars_are_cut_at_the_plot_edges_without_caps() {
        assert_eq!(
            bar(Some(10), Some(30), 100),
            PxBar {
                top: 10,
                bottom: 30,
                top_cap: true,
                bottom_cap: true
            }
        );
        assert_eq!(
            bar(Some(-20), None, 100),
            PxBar {
                top: 0,
                bottom: 100,
                top_cap: false,
                bottom_cap: false
            }
        );
    }

    #[test]
    fn coinciding_curves_form_groups_in_order() {
        let curve = |dy: i32| PxSeries {
            theory: vec![vec![(0, px(10 + dy)), (px(100), px(50 + dy))]],
            ..PxSeries::default()
        };
        let s = [curve(0), curve(30), curve(1), curve(0), PxSeries::default()];
        assert_eq!(
            coincident_groups(&s),
            vec![(0, 3), (0, 1), (1, 3), (2, 3), (0, 1)]
        );
    }

    #[test]
    fn overlapping_markers_are_spread_and_separate_ones_stay() {
        let mut s = vec![
            with_points(vec![point(100, 50), point(200, 50)]),
            with_points(vec![point(100, 52), point(200, 90)]),
            with_points(vec![point(100, 51)]),
        ];
        assert!(dodge(&mut s, px(1000)));
        let xs: Vec<i32> = s.iter().map(|s| s.points[0].x / px(1)).collect();
        assert_eq!(
            xs,
            vec![89, 100, 111],
            "three at x = 100, spread in series order"
        );
        assert_eq!(s[0].points[1].x, px(200), "apart in y: untouched");
        assert_eq!(s[1].points[1].x, px(200));
        let mut apart = vec![
            with_points(vec![point(10, 10)]),
            with_points(vec![point(10, 40)]),
        ];
        assert!(!dodge(&mut apart, px(1000)));
        // A series' repeated point moves with its series' slot.
        let mut repeated = vec![
            with_points(vec![point(30, 30)]),
            with_points(vec![point(30, 30), point(30, 30)]),
        ];
        assert!(dodge(&mut repeated, px(1000)));
        assert_eq!(repeated[1].points[0], repeated[1].points[1]);
        assert_ne!(repeated[0].points[0].x, repeated[1].points[0].x);
        // An x split by a rounding unit is still one column.
        let mut split = vec![
            with_points(vec![point(60, 60)]),
            with_points(vec![point(60, 60)]),
        ];
        split[1].points[0].x += 1;
        let mut far = point(60, 200);
        far.x += 0;
        split.push(with_points(vec![far]));
        assert!(dodge(&mut split, px(1000)));
        assert!((split[0].points[0].x - split[1].points[0].x).abs() >= px(DODGE_STEP) - 1);
        // A fan at the plot's edge stays inside it.
        let mut edge = vec![
            with_points(vec![point(2, 50)]),
            with_points(vec![point(2, 50)]),
        ];
        assert!(dodge(&mut edge, px(1000)));
        assert!(edge.iter().all(|s| s.points[0].x >= px(MARKER_RADIUS)));
        // An even count is centred too.
        let mut two = vec![
            with_points(vec![point(50, 50)]),
            with_points(vec![point(50, 50)]),
        ];
        assert!(dodge(&mut two, px(1000)));
        assert_eq!(two[0].points[0].x + two[1].points[0].x, 2 * px(50));
    }

    #[test]
    fn a_bar_inside_its_marker_is_reported_hidden() {
        let mut p = point(10, 10);
        p.bar = Some(bar(Some(px(8)), Some(px(12)), px(100)));
        assert!(hidden_bars(&[with_points(vec![p])]));
        p.bar = Some(bar(Some(px(0)), Some(px(20)), px(100)));
        assert!(!hidden_bars(&[with_points(vec![p])]));
    }
}
