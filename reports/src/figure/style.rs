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
        if n <= 1 {
            return self;
        }
        let t = 0.4 - 0.85 * j as f64 / (n - 1) as f64;
        Style {
            colour: self.colour.tinted(t),
            line: self.line,
            marker: MarkerShape::nth(j),
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
    fn the_generic_cycle_never_repeats_a_look_within_thirty_two() {
        let looks: std::collections::HashSet<Style> = (0..32).map(Style::nth).collect();
        assert_eq!(looks.len(), 32);
    }
}
