//! How the series of a check's figure are told apart. A figure along one axis has a series per
//! (quantity, values of the other swept axes); each gets its own (colour, line, marker):
//!
//! - one group (no other axis swept): the quantity's own look, [`Check::style`];
//! - one quantity, several groups: colour by the first other swept axis (in grid order), marker
//!   and dash by the rest ([`reports::Style::two_way`]; along a single other axis, the generic
//!   cycle with the marker following the colour);
//! - several quantities and groups: the quantity keeps its hue, shaded from lighter to darker
//!   by the first other swept axis, marker (and dash, with a second one) by the rest
//!   ([`reports::Style::varied`]).
//!
//! Should two series still look alike (a check whose quantities share a look), colour goes by
//! quantity and shape by group, and failing that every series takes the generic cycle.

use crate::check::Check;
use reports::{Groups, Style};
use std::collections::HashSet;

/// A series of a check's figure: the quantity's index and the values of the other swept axes.
pub(crate) type SeriesKey = (usize, Vec<(String, f64)>);

/// The look of each series, in the order of `keys`; no two alike (for up to 8 quantities × 16
/// groups, or 32 series).
pub(crate) fn series_styles<C: Check>(c: &C, keys: &[SeriesKey]) -> Vec<Style> {
    let values: Vec<Vec<f64>> = keys
        .iter()
        .map(|(_, g)| g.iter().map(|p| p.1).collect())
        .collect();
    let groups = Groups::new(&values);
    let quantities = distinct(keys.iter().map(|k| k.0));
    let several = quantities.len() > 1;
    let by_rule: Vec<Style> = keys
        .iter()
        .zip(&values)
        .map(|((k, _), v)| match (groups.varying(), several) {
            (0, _) => c.style(*k),
            (_, true) => groups.style(v, Some(c.style(*k))),
            (_, false) => groups.style(v, None),
        })
        .collect();
    if all_distinct(&by_rule) {
        return by_rule;
    }
    let groups_seen = distinct(keys.iter().map(|k| &k.1));
    let by_quantity: Vec<Style> = keys
        .iter()
        .map(|(k, g)| Style::two_way(place(&quantities, k), place(&groups_seen, &g)))
        .collect();
    if all_distinct(&by_quantity) {
        return by_quantity;
    }
    (0..keys.len()).map(Style::nth).collect()
}

/// The distinct items, in order of first appearance.
fn distinct<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// `x`'s (index, count) among `all`.
fn place<T: PartialEq>(all: &[T], x: &T) -> reports::Place {
    (all.iter().position(|y| y == x).unwrap_or(0), all.len())
}

/// Whether no two styles are alike.
fn all_distinct(styles: &[Style]) -> bool {
    styles.iter().collect::<HashSet<_>>().len() == styles.len()
}

/// The grey look of reference curve `r` (formula only) in group `g` of `n`: its own dash per
/// reference, shaded from lighter to darker across the groups.
pub(crate) fn reference_style(r: usize, g: usize, n: usize) -> Style {
    const KINDS: [reports::LineKind; 3] = [
        reports::LineKind::Dotted,
        reports::LineKind::Dashed,
        reports::LineKind::DashDot,
    ];
    Style {
        colour: reports::Colour(110, 110, 110),
        line: KINDS[r % KINDS.len()],
        marker: reports::MarkerShape::nth(r),
    }
    .variant(g, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Grid, Params};
    use crate::rng::UnitRng;
    use crate::rows::CheckRow;

    /// q(σ, γ, λ) = σ (1 + γλ) times a constant per quantity; `alike` draws every quantity the
    /// same (a check that forgot to style them).
    struct Scaled {
        quantities: Vec<&'static str>,
        alike: bool,
        reference: bool,
    }

    impl Check for Scaled {
        fn name(&self) -> &str {
            "scaled"
        }
        fn quantities(&self) -> Vec<&'static str> {
            self.quantities.clone()
        }
        fn theory(&self, p: &Params) -> Vec<Option<f64>> {
            let base = p.get("sigma") * (1.0 + p.get("gamma") * p.get("lambda"));
            (0..self.quantities.len())
                .map(|k| Some(base * (1.0 + 0.3 * k as f64)))
                .collect()
        }
        fn trial(&self, p: &Params, _: &mut UnitRng) -> Vec<f64> {
            self.theory(p).into_iter().flatten().collect()
        }
        fn style(&self, k: usize) -> Style {
            if self.alike {
                Style::nth(0)
            } else {
                Style::nth(k)
            }
        }
        fn references(&self) -> Vec<&'static str> {
            if self.reference {
                vec!["linear"]
            } else {
                Vec::new()
            }
        }
        fn reference(&self, p: &Params) -> Vec<Option<f64>> {
            vec![Some(p.get("sigma"))]
        }
    }

    fn grid() -> Grid {
        Grid::new()
            .axis("sigma", &[0.5, 1.0, 2.0, 4.0])
            .axis("gamma", &[0.25, 0.5, 2.0])
            .axis("d", &[100.0])
            .axis("lambda", &[0.1, 1.0])
    }

    /// Rows as the pipeline makes them: the simulation on the formula, ± 1%.
    fn rows(c: &Scaled, grid: &Grid) -> Vec<CheckRow> {
        let mut out = Vec::new();
        for p in grid.points() {
            for (k, &q) in c.quantities().iter().enumerate() {
                let y = c.theory(&p)[k];
                out.push(CheckRow {
                    params: p.0.clone(),
                    quantity: q,
                    trials: 100,
                    theory: y,
                    sim: y,
                    sim_se: y.map(|y| 0.005 * y),
                    sim_small: None,
                    sim_small_se: None,
                    limit: None,
                    z: None,
                    z_beyond: None,
                    allowance: None,
                    bound: None,
                    pass: None,
                    verdict: None,
                });
            }
        }
        out
    }

    /// The figure along `axis`, checked: every series its own (colour, line, marker), and a
    /// clean SVG. Returns the figure.
    fn checked(c: &Scaled, grid: &Grid, axis: usize) -> reports::Figure {
        let fig = crate::output::axis_figure(c, grid, axis, &rows(c, grid));
        let looks: HashSet<Style> = fig.series.iter().map(|s| s.style).collect();
        assert_eq!(looks.len(), fig.series.len(), "{:#?}", fig.series);
        let svg = reports::render_svg(&fig).unwrap();
        let problems = reports::inspect::check_svg(&svg);
        assert!(problems.is_empty(), "{problems:#?}");
        fig
    }

    #[test]
    fn two_swept_axes_beside_x_give_every_combination_its_own_look_and_label() {
        let c = Scaled {
            quantities: vec!["mean_abs"],
            alike: false,
            reference: false,
        };
        let fig = checked(&c, &grid(), 0);
        assert_eq!(fig.series.len(), 6, "3 γ × 2 λ");
        let labels: Vec<&str> = fig.series.iter().map(|s| s.label.as_str()).collect();
        for gamma in [0.25, 0.5, 2.0] {
            for lambda in [0.1, 1.0] {
                let label = format!("mean_abs (gamma = {gamma}, lambda = {lambda})");
                assert!(labels.contains(&label.as_str()), "{labels:?}");
            }
        }
        // Colour by γ (the first other swept axis), marker and dash by λ; d is not swept.
        let at = |label: &str| fig.series.iter().find(|s| s.label == label).unwrap().style;
        let a = at("mean_abs (gamma = 0.25, lambda = 0.1)");
        let b = at("mean_abs (gamma = 0.25, lambda = 1)");
        let e = at("mean_abs (gamma = 0.5, lambda = 0.1)");
        assert_eq!(a.colour, b.colour);
        assert_ne!((a.line, a.marker), (b.line, b.marker));
        assert_ne!(a.colour, e.colour);
        assert_eq!((a.line, a.marker), (e.line, e.marker));
        assert!(fig.caption.contains("d = 100"), "{}", fig.caption);
        // Along γ: colour by σ, shape by λ, 4 × 2 series.
        assert_eq!(checked(&c, &grid(), 1).series.len(), 8);
    }

    #[test]
    fn several_quantities_keep_their_hue_across_the_groups() {
        let c = Scaled {
            quantities: vec!["mean_abs", "mean_sq"],
            alike: false,
            reference: true,
        };
        let g = Grid::new()
            .axis("sigma", &[0.5, 1.0, 2.0, 4.0])
            .axis("gamma", &[0.25, 2.0])
            .axis("lambda", &[0.1, 1.0]);
        let fig = checked(&c, &g, 0);
        // 2 quantities × 2 γ × 2 λ, and the reference per group.
        assert_eq!(fig.series.len(), 2 * 4 + 4);
        assert!(fig.series[..4]
            .iter()
            .all(|s| s.label.starts_with("mean_abs (")));
        assert_eq!(fig.series[8].label, "linear (gamma = 0.25, lambda = 0.1)");
        // Along λ: 2 quantities × 4 σ × 2 γ, and the references: 24 series, all apart.
        assert_eq!(checked(&c, &g, 2).series.len(), 24);
        let first = |q: &str| {
            fig.series
                .iter()
                .filter(|s| s.label.starts_with(q))
                .map(|s| s.style.colour)
                .collect::<Vec<_>>()
        };
        // mean_abs is Style::nth(0)'s blue, mean_sq nth(1)'s vermillion, shaded.
        assert!(first("mean_abs (").iter().all(|c| c.2 > c.0));
        assert!(first("mean_sq (").iter().all(|c| c.0 > c.2));
    }

    #[test]
    fn quantities_drawn_alike_still_come_apart() {
        let c = Scaled {
            quantities: vec!["a", "b"],
            alike: true,
            reference: false,
        };
        checked(&c, &grid(), 0);
        let one = Grid::new()
            .axis("sigma", &[1.0, 2.0])
            .axis("gamma", &[1.0])
            .axis("lambda", &[1.0]);
        checked(&c, &one, 0);
    }

    #[test]
    fn a_single_group_keeps_the_quantitys_own_look() {
        let c = Scaled {
            quantities: vec!["mean_abs", "mean_sq"],
            alike: false,
            reference: false,
        };
        let g = Grid::new()
            .axis("sigma", &[1.0, 2.0])
            .axis("gamma", &[0.5])
            .axis("lambda", &[1.0]);
        let fig = checked(&c, &g, 0);
        let looks: Vec<Style> = fig.series.iter().map(|s| s.style).collect();
        assert_eq!(looks, vec![Style::nth(0), Style::nth(1)]);
        assert_eq!(fig.series[0].label, "mean_abs");
    }
}
