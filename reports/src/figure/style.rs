//! How a series looks: colour, line and marker, and the toolkit's palette (one style per method,
//! the same in every figure; the table is in docs/figures.md).

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// `self` mixed with white (t > 0) or black (t < 0) by |t| ∈ [0, 1].
    pub fn tinted(self, t: f64) -> Colour {
        let t = t.clamp(-1.0, 1.0);
        let target = if t >= 0.0 { 255.0 } else { 0.0 };
        let mix = |c: u8| (c as f64 + (target - c as f64) * t.abs()).round() as u8;
        Colour(mix(self.0), mix(self.1), mix(self.2))
    }

    /// Shade `i` of `n` (n ≥ 2) of this hue, from lighter (i = 0) to darker (i = n − 1); a
    /// colour too dark to darken (black) runs from light to itself instead, so shades differ.
    pub fn shade(self, i: usize, n: usize) -> Colour {
        let f = i as f64 / (n.max(2) - 1) as f64;
        let dark = u32::from(self.0) + u32::from(self.1) + u32::from(self.2) < 150;
        self.tinted(if dark {
            0.75 * (1.0 - f)
        } else {
            0.4 - 0.85 * f
        })
    }

    /// `#RRGGBB`, as the SVG writes it.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

/// How a curve is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A continuous line.
    Solid,
    /// Long dashes.
    Dashed,
    /// Short dots.
    Dotted,
    /// Dash, dot.
    DashDot,
}

impl LineKind {
    /// On/off lengths in pixels, repeated along the curve (empty: solid).
    pub fn pattern(self) -> &'static [f64] {
        match self {
            LineKind::Solid => &[],
            LineKind::Dashed => &[9.0, 5.0],
            LineKind::Dotted => &[2.5, 4.0],
            LineKind::DashDot => &[9.0, 4.0, 2.5, 4.0],
        }
    }
}

/// A simulation marker's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerShape {
    /// A filled circle.
    Circle,
    /// A filled triangle, point up.
    Triangle,
    /// A filled square.
    Square,
    /// A filled diamond.
    Diamond,
}

impl MarkerShape {
    /// The i-th shape of the cycle circle, triangle, square, diamond.
    pub fn nth(i: usize) -> MarkerShape {
        [
            MarkerShape::Circle,
            MarkerShape::Triangle,
            MarkerShape::Square,
            MarkerShape::Diamond,
        ][i % 4]
    }
}

/// The look of one series: its theory curve in `colour` stroked as `line`, its simulation
/// points as `marker`s of the same colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Style {
    /// Line and marker colour.
    pub colour: Colour,
    /// How the theory curve is stroked.
    pub line: LineKind,
    /// The simulation markers' shape.
    pub marker: MarkerShape,
}

/// Okabe–Ito colours (distinguishable with colour-vision deficiencies; their yellow, too pale on
/// white, replaced by grey): the cycle for series that are not a named method.
pub const CYCLE: [Colour; 8] = [
    Colour(0, 114, 178),
    Colour(213, 94, 0),
    Colour(0, 158, 115),
    Colour(204, 121, 167),
    Colour(230, 159, 0),
    Colour(86, 180, 233),
    Colour(0, 0, 0),
    Colour(128, 128, 128),
];

impl Style {
    /// The i-th style of the generic cycle (a user's model, a list of settings): eight colours,
    /// solid lines; past eight the colours repeat dashed, past sixteen dotted.
    pub fn nth(i: usize) -> Style {
        let line = match i / CYCLE.len() {
            0 => LineKind::Solid,
            1 => LineKind::Dashed,
            2 => LineKind::Dotted,
            _ => LineKind::DashDot,
        };
        Style {
            colour: CYCLE[i % CYCLE.len()],
            line,
            marker: MarkerShape::nth(i),
        }
    }

    /// Variant `j` of `n` of the same method (e.g. its curves at several ψ): the method's hue
    /// from lighter (j = 0) to darker (j = n − 1), and the marker shape of the variant's index,
    /// so that the curves of one ψ share a shape across methods.
    pub fn variant(self, j: usize, n: usize) -> Style {
        self.varied((j, n), (0, 1))
    }

    /// The look of a series without a look of its own (a user's quantity, a setting) placed
    /// along two dimensions of a figure's groups, e.g. the values of two swept parameters: the
    /// `colour` place takes the generic cycle's colour, the `shape` place the matching (marker,
    /// dash) pair of [`shape`]. With a single shape the marker follows the colour as well (this is
    /// [`Style::nth`]), so the series stay apart in grey print. Distinct for up to 8 colours ×
    /// 16 shapes (past eight colours the colours repeat with the next shapes).
    pub fn two_way(colour: Place, shape_at: Place) -> Style {
        let ((i, _), (j, m)) = (colour, shape_at);
        if m <= 1 {
            return Style::nth(i);
        }
        let (marker, line) = shape(j + m * (i / CYCLE.len()));
        Style {
            colour: CYCLE[i % CYCLE.len()],
            line,
            marker,
        }
    }

    /// `self` (a method's or a quantity's look) placed along two dimensions of a figure's groups:
    /// its hue from lighter to darker along `shade` (as [`Style::variant`]), the (marker, dash)
    /// pair of [`shape`] along `shape`. With a single shape the marker follows the shade and the
    /// line stays `self`'s (this is [`Style::variant`]); with a single place in both, `self`.
    pub fn varied(self, shade: Place, shape_at: Place) -> Style {
        let ((i, n), (j, m)) = (shade, shape_at);
        let colour = if n <= 1 {
            self.colour
        } else {
            self.colour.shade(i, n)
        };
        let (marker, line) = match (n, m) {
            (_, m) if m > 1 => shape(j),
            (n, _) if n > 1 => (MarkerShape::nth(i), self.line),
            _ => (self.marker, self.line),
        };
        Style {
            colour,
            line,
            marker,
        }
    }
}

/// A series' place along one dimension of a figure's groups: (index, count).
pub type Place = (usize, usize);

/// The `s`-th (marker, dash) pair: circle solid, triangle dashed, square dotted, diamond
/// dash-dotted, then circle dashed, triangle dotted, …; the sixteen pairs of four markers and
/// four dashes, each once, then again.
pub fn shape(s: usize) -> (MarkerShape, LineKind) {
    const KINDS: [LineKind; 4] = [
        LineKind::Solid,
        LineKind::Dashed,
        LineKind::Dotted,
        LineKind::DashDot,
    ];
    let s = s % 16;
    (MarkerShape::nth(s), KINDS[(s % 4 + s / 4) % 4])
}

/// Where the series of a figure sit when they are groups told apart by several values (e.g.
/// every combination of the swept parameters other than the x axis): built from every group's
/// key, one number per dimension. Dimensions whose keys all agree are dropped; the first that
/// varies gives a series its colour (or shade), the others together its marker and dash. Values
/// are ranked in increasing order, so lighter shades and earlier colours mean smaller values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Groups {
    /// The distinct values, increasing, of each dimension that varies.
    values: Vec<(usize, Vec<f64>)>,
}

impl Groups {
    /// The groups of these keys (all of one length; the order of the keys does not matter).
    pub fn new<K: AsRef<[f64]>>(keys: &[K]) -> Groups {
        let dims = keys.first().map_or(0, |k| k.as_ref().len());
        let values = (0..dims)
            .map(|d| {
                let mut v: Vec<f64> = keys
                    .iter()
                    .filter_map(|k| k.as_ref().get(d))
                    .copied()
                    .collect();
                v.sort_by(f64::total_cmp);
                v.dedup_by(|a, b| a.to_bits() == b.to_bits());
                (d, v)
            })
            .filter(|(_, v)| v.len() > 1)
            .collect();
        Groups { values }
    }

    /// How many dimensions vary (0: a single group).
    pub fn varying(&self) -> usize {
        self.values.len()
    }

    /// The key's (colour place, shape place): its rank along the first varying dimension, and its
    /// rank among the combinations of the others (the later dimension fastest). A value no key
    /// had ranks first.
    pub fn places(&self, key: &[f64]) -> (Place, Place) {
        let rank = |(d, v): &(usize, Vec<f64>)| {
            let x = key.get(*d).copied().unwrap_or(f64::NAN);
            (
                v.iter()
                    .position(|y| y.to_bits() == x.to_bits())
                    .unwrap_or(0),
                v.len(),
            )
        };
        let Some((first, rest)) = self.values.split_first() else {
            return ((0, 1), (0, 1));
        };
        let shape = rest
            .iter()
            .map(rank)
            .fold((0, 1), |(j, m), (i, n)| (j * n + i, m * n));
        (rank(first), shape)
    }

    /// The key's look: [`Style::two_way`] at its places, or `base` [`Style::varied`] there (a
    /// method or quantity keeping its hue and, along a single dimension, its line).
    pub fn style(&self, key: &[f64], base: Option<Style>) -> Style {
        let (colour, shape_at) = self.places(key);
        match base {
            Some(b) => b.varied(colour, shape_at),
            None => Style::two_way(colour, shape_at),
        }
    }
}

/// The palette: (method name as the CLI spells it, what it is, its style). Methods that share a
/// concept across the two models (batch-norm, whitening) share a colour; no figure shows both.
pub const METHOD_STYLES: &[(&str, &str, Style)] = &[
    (
        "sgd",
        "SGD",
        st(0, 114, 178, LineKind::Solid, MarkerShape::Circle),
    ),
    (
        "kfac",
        "KFAC",
        st(213, 94, 0, LineKind::Solid, MarkerShape::Triangle),
    ),
    (
        "kfac-etaf1",
        "KFAC with η_F = 1",
        st(110, 40, 0, LineKind::Dashed, MarkerShape::Square),
    ),
    (
        "sqrt-kfac",
        "√KFAC",
        st(0, 158, 115, LineKind::Solid, MarkerShape::Square),
    ),
    (
        "whiten",
        "whitening",
        st(204, 121, 167, LineKind::Solid, MarkerShape::Diamond),
    ),
    (
        "amgd-whiten",
        "AMGD + whitening",
        st(204, 121, 167, LineKind::Dashed, MarkerShape::Diamond),
    ),
    (
        "batch-norm",
        "batch-norm",
        st(230, 159, 0, LineKind::Solid, MarkerShape::Circle),
    ),
    (
        "amgd-bn",
        "AMGD + batch-norm",
        st(230, 159, 0, LineKind::Dashed, MarkerShape::Circle),
    ),
    (
        "adam",
        "Adam",
        st(86, 180, 233, LineKind::Solid, MarkerShape::Triangle),
    ),
    (
        "shampoo",
        "Shampoo",
        st(0, 0, 0, LineKind::Dashed, MarkerShape::Square),
    ),
    (
        "muon",
        "Muon",
        st(128, 128, 128, LineKind::Dotted, MarkerShape::Diamond),
    ),
    (
        "amgd",
        "alternating min. + GD",
        st(136, 34, 85, LineKind::Solid, MarkerShape::Circle),
    ),
    (
        "dfw",
        "de-biased Frank–Wolfe",
        st(153, 153, 51, LineKind::Solid, MarkerShape::Square),
    ),
    (
        "ngd",
        "NGD, exact Fisher",
        st(51, 34, 136, LineKind::Solid, MarkerShape::Diamond),
    ),
    (
        "ngd-empf",
        "NGD, empirical Fisher",
        st(68, 170, 153, LineKind::Dashed, MarkerShape::Diamond),
    ),
];

const fn st(r: u8, g: u8, b: u8, line: LineKind, marker: MarkerShape) -> Style {
    Style {
        colour: Colour(r, g, b),
        line,
        marker,
    }
}

/// The palette's style of a method (by its CLI name), or None for a name it does not know.
pub fn method_style(name: &str) -> Option<Style> {
    METHOD_STYLES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: Colour, b: Colour) -> f64 {
        let d = |x: u8, y: u8| (x as f64 - y as f64).powi(2);
        (d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)).sqrt()
    }

    #[test]
    fn every_method_has_its_own_look_and_distinct_concepts_distinct_colours() {
        for (i, (a, _, sa)) in METHOD_STYLES.iter().enumerate() {
            for (b, _, sb) in &METHOD_STYLES[i + 1..] {
                assert_ne!(sa, sb, "{a} and {b} are drawn alike");
                let shared = |x: &str, y: &str| {
                    [("whiten", "amgd-whiten"), ("batch-norm", "amgd-bn")].contains(&(x, y))
                };
                if !shared(a, b) {
                    // Far enough apart in RGB to tell lines apart (the closest pair is KFAC and
                    // its η_F = 1 variant, also told apart by their dashes).
                    assert!(
                        distance(sa.colour, sb.colour) >= 60.0,
                        "{a} and {b}: {:?} vs {:?}",
                        sa.colour,
                        sb.colour
                    );
                }
            }
        }
        assert_eq!(method_style("kfac").unwrap().colour, Colour(213, 94, 0));
        assert_eq!(method_style("nope"), None);
    }

    #[test]
    fn variants_keep_the_hue_and_step_from_light_to_dark() {
        let base = method_style("sgd").unwrap();
        let v: Vec<Style> = (0..3).map(|j| base.variant(j, 3)).collect();
        let lum = |c: Colour| c.0 as u32 + c.1 as u32 + c.2 as u32;
        assert!(lum(v[0].colour) > lum(base.colour) && lum(v[2].colour) < lum(base.colour));
        assert!(lum(v[0].colour) > lum(v[1].colour) && lum(v[1].colour) > lum(v[2].colour));
        assert_eq!(v[1].marker, MarkerShape::Triangle);
        assert_eq!(base.variant(0, 1), base);
        assert_eq!(Colour(0, 114, 178).tinted(1.0), Colour(255, 255, 255));
        assert_eq!(Colour(0, 114, 178).tinted(-1.0), Colour(0, 0, 0));
        assert_eq!(Colour(0, 114, 178).hex(), "#0072B2");
    }

    #[test]
    fn two_way_looks_are_distinct_over_eight_colours_and_sixteen_shapes() {
        let looks: std::collections::HashSet<Style> = (0..8)
            .flat_map(|i| (0..16).map(move |j| Style::two_way((i, 8), (j, 16))))
            .collect();
        assert_eq!(looks.len(), 128);
        let shapes: std::collections::HashSet<(MarkerShape, LineKind)> =
            (0..16).map(shape).collect();
        assert_eq!(shapes.len(), 16);
        // Past eight colours, the shapes move on instead of repeating a look.
        let wide: std::collections::HashSet<Style> = (0..12)
            .flat_map(|i| (0..2).map(move |j| Style::two_way((i, 12), (j, 2))))
            .collect();
        assert_eq!(wide.len(), 24);
        // One shape: the generic cycle, the marker following the colour.
        assert_eq!(Style::two_way((3, 5), (0, 1)), Style::nth(3));
        let s = Style::two_way((1, 3), (1, 2));
        assert_eq!(
            (s.colour, s.marker, s.line),
            (CYCLE[1], MarkerShape::Triangle, LineKind::Dashed)
        );
    }

    #[test]
    fn a_varied_look_keeps_its_hue_and_is_distinct_in_both_dimensions() {
        let base = method_style("kfac").unwrap();
        let looks: Vec<Style> = (0..3)
            .flat_map(|i| (0..2).map(move |j| base.varied((i, 3), (j, 2))))
            .collect();
        let distinct: std::collections::HashSet<Style> = looks.iter().copied().collect();
        assert_eq!(distinct.len(), 6);
        // The hue: vermillion's red channel stays the largest, from lighter to darker.
        assert!(looks
            .iter()
            .all(|s| s.colour.0 > s.colour.1 && s.colour.1 > s.colour.2));
        assert!(looks[0].colour.0 > looks[4].colour.0);
        assert_eq!(looks[0].line, LineKind::Solid);
        assert_eq!(looks[1].line, LineKind::Dashed);
        // Along one dimension it is the variant, along none the base.
        assert_eq!(base.varied((1, 3), (0, 1)), base.variant(1, 3));
        assert_eq!(base.varied((0, 1), (0, 1)), base);
        // Black (Shampoo) cannot darken: its shades run from light grey to black, all apart.
        let black = method_style("shampoo").unwrap();
        let shades: std::collections::HashSet<Colour> = (0..3)
            .map(|i| black.varied((i, 3), (0, 2)).colour)
            .collect();
        assert_eq!(shades.len(), 3);
        assert_eq!(black.colour.shade(2, 3), Colour(0, 0, 0));
    }

    #[test]
    fn groups_rank_the_values_that_vary_and_drop_the_rest() {
        // (gamma, d, lambda): d is the same everywhere; keys arrive in any order.
        let mut keys = Vec::new();
        for lambda in [1.0, 0.1] {
            for gamma in [2.0, 0.25, 0.5] {
                keys.push(vec![gamma, 100.0, lambda]);
            }
        }
        let g = Groups::new(&keys);
        assert_eq!(g.varying(), 2);
        assert_eq!(g.places(&[0.25, 100.0, 0.1]), ((0, 3), (0, 2)));
        assert_eq!(g.places(&[2.0, 100.0, 1.0]), ((2, 3), (1, 2)));
        let looks: std::collections::HashSet<Style> =
            keys.iter().map(|k| g.style(k, None)).collect();
        assert_eq!(looks.len(), 6);
        let based: std::collections::HashSet<Style> = keys
            .iter()
            .map(|k| g.style(k, method_style("sgd")))
            .collect();
        assert_eq!(based.len(), 6);
        // Three varying dimensions: the last two share the shape place.
        let three = Groups::new(&[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 2.0, 3.0]]);
        assert_eq!(three.places(&[2.0, 2.0, 3.0]), ((1, 2), (5, 6)));
        assert_eq!(
            Groups::new(&[[1.0], [1.0]]).places(&[1.0]),
            ((0, 1), (0, 1))
        );
        assert_eq!(Groups::new::<Vec<f64>>(&[]).varying(), 0);
    }

    #[test]
    fn the_generic_cycle_never_repeats_a_look_within_thirty_two() {
        let looks: std::collections::HashSet<Style> = (0..32).map(Style::nth).collect();
        assert_eq!(looks.len(), 32);
    }
}
