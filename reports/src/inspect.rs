//! Structural checks of a rendered figure, read back from its SVG: the problems a reader would
//! see (text off the canvas, a marker outside the plot, a curve leaving it, one series drawn
//! exactly on top of another). Used by the test suites on every figure the toolkit writes.

/// One element of the SVG with its attributes.
#[derive(Debug, Clone)]
struct Element {
    tag: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl Element {
    fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn num(&self, key: &str) -> Option<f64> {
        self.get(key)?.parse().ok()
    }

    fn points(&self) -> Vec<(f64, f64)> {
        self.get("points")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .collect()
    }
}

fn parse(svg: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let inside = &rest[..end];
        rest = &rest[end + 1..];
        if inside.starts_with('/') || inside.starts_with('!') {
            continue;
        }
        let tag: String = inside.chars().take_while(|c| c.is_alphanumeric()).collect();
        let mut attrs = Vec::new();
        let mut a = &inside[tag.len()..];
        while let Some(eq) = a.find("=\"") {
            let key = a[..eq].trim_ascii().to_string();
            let after = &a[eq + 2..];
            let Some(close) = after.find('"') else { break };
            attrs.push((key, after[..close].to_string()));
            a = &after[close + 1..];
        }
        let text = if tag == "text" {
            rest.split("</text>")
                .next()
                .unwrap_or("")
                .trim_ascii()
                .to_string()
        } else {
            String::new()
        };
        out.push(Element { tag, attrs, text });
    }
    out
}

/// A rectangle (x0, y0, x1, y1) in drawing units.
type Rect = (f64, f64, f64, f64);

fn inside(r: Rect, (x, y): (f64, f64), slack: f64) -> bool {
    x >= r.0 - slack && x <= r.2 + slack && y >= r.1 - slack && y <= r.3 + slack
}

/// The canvas, plot and legend rectangles (drawing units) and the drawing units per pixel.
fn areas(svg: &str, root: &Element) -> Option<(Rect, Rect, Rect, f64)> {
    let view: Vec<f64> = root
        .get("viewBox")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let scale = view.get(2)? / root.num("width")?;
    let comment = svg.split("<!-- verify:").nth(1)?.split("-->").next()?;
    let nums: Vec<f64> = comment
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .map(|v: f64| v * scale)
        .collect();
    let rect = |i: usize| (nums[i], nums[i + 1], nums[i + 2], nums[i + 3]);
    (nums.len() == 8).then(|| ((0.0, 0.0, view[2], view[3]), rect(0), rect(4), scale))
}

/// The problems a reader would see in this figure; empty when it is clean.
pub fn check_svg(svg: &str) -> Vec<String> {
    let elements = parse(svg);
    let Some(root) = elements.iter().find(|e| e.tag == "svg") else {
        return vec!["no <svg> element".into()];
    };
    let Some((canvas, plot, legend, scale)) = areas(svg, root) else {
        return vec!["no plot/legend area comment or viewBox".into()];
    };
    let mut problems = Vec::new();
    if scale < 2.0 {
        problems.push(format!(
            "coordinates snapped to {} px (drawing scale {scale})",
            1.0 / scale
        ));
    }
    let mut markers: Vec<((f64, f64), String)> = Vec::new();
    let mut curves: Vec<(Vec<(f64, f64)>, String)> = Vec::new();
    for e in &elements {
        match e.tag.as_str() {
            "text" => check_text(e, canvas, scale, &mut problems),
            "circle" | "polygon"
                if e.get("fill").is_some_and(|f| f != "none" && f != "#FFFFFF") =>
            {
                let centre = if e.tag == "circle" {
                    (
                        e.num("cx").unwrap_or(f64::NAN),
                        e.num("cy").unwrap_or(f64::NAN),
                    )
                } else {
                    let p = e.points();
                    let n = p.len().max(1) as f64;
                    (
                        p.iter().map(|q| q.0).sum::<f64>() / n,
                        p.iter().map(|q| q.1).sum::<f64>() / n,
                    )
                };
                if !inside(plot, centre, 0.5 * scale) && !inside(legend, centre, 0.0) {
                    problems.push(format!(
                        "{} marker at {centre:?} outside the plot and legend",
                        e.tag
                    ));
                }
                if inside(plot, centre, 0.0) {
                    markers.push((centre, e.get("fill").unwrap_or("").to_string()));
                }
            }
            "polyline" => {
                let p = e.points();
                let starts_in_plot = p.first().is_some_and(|q| inside(plot, *q, 0.0));
                if starts_in_plot {
                    if let Some(q) = p.iter().find(|q| !inside(plot, **q, 2.0 * scale)) {
                        problems.push(format!("a curve leaves the plot area at {q:?}"));
                    }
                    curves.push((p, e.get("stroke").unwrap_or("").to_string()));
                } else if let Some(q) = p.iter().find(|q| !inside(canvas, **q, 0.0)) {
                    problems.push(format!("a line leaves the canvas at {q:?}"));
                }
            }
            _ => {}
        }
    }
    problems.extend(covered_markers(&markers, scale));
    problems.extend(covered_curves(&curves));
    problems
}

/// Text must lie on the canvas: its start, and its estimated end (0.6 em a character).
fn check_text(e: &Element, canvas: Rect, scale: f64, problems: &mut Vec<String>) {
    if e.get("transform").is_some() {
        return; // the rotated y-axis label
    }
    let (Some(x), Some(y), Some(size)) = (e.num("x"), e.num("y"), e.num("font-size")) else {
        return;
    };
    let width = 0.6 * size * e.text.chars().count() as f64;
    let (x0, x1) = match e.get("text-anchor") {
        Some("middle") => (x - width / 2.0, x + width / 2.0),
        Some("end") => (x - width, x),
        _ => (x, x + width),
    };
    // plotters hangs text from y (dy = 0.76em) or sets it on y (a negative dy).
    let (top, bottom) = if e.get("dy").is_some_and(|d| d.starts_with('-')) {
        (y - size, y)
    } else {
        (y, y + size)
    };
    if x0 < -scale || x1 > canvas.2 + scale || top < -scale || bottom > canvas.3 + scale {
        problems.push(format!("text '{}' runs off the canvas", e.text));
    }
}

/// Two filled markers of different colours at the same place in the plot: one hides the other
/// (one series' repeated points, as in a scatter of iterations, are not a problem).
fn covered_markers(markers: &[((f64, f64), String)], scale: f64) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (a, ca)) in markers.iter().enumerate() {
        for (b, cb) in &markers[i + 1..] {
            if ca != cb && (a.0 - b.0).abs() < scale && (a.1 - b.1).abs() < scale {
                out.push(format!(
                    "markers {ca} and {cb} drawn on top of each other at {a:?}"
                ));
            }
        }
    }
    out
}

/// Two identical curves of different colours: the later hides the earlier.
fn covered_curves(curves: &[(Vec<(f64, f64)>, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (a, ca)) in curves.iter().enumerate() {
        for (b, cb) in &curves[i + 1..] {
            if a.len() >= 3 && a == b && ca != cb {
                out.push(format!("curve in {cb} drawn exactly over a curve in {ca}"));
            }
        }
    }
    out
}
