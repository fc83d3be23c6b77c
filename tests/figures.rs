//! The figures, checked from the SVG itself: well-formed XML, one theory curve and one set of
//! markers per (method, other-axis value), axis labels and legend present, report.md linking them.

mod common;
use common::*;

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG is not well-formed XML: {e}"))
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

#[test]
fn one_figure_per_swept_axis_with_curves_points_and_labels() {
    let out = scratch("figures");
    let o = verify(&[
        "single-index",
        "--level",
        "direction",
        "--d",
        "60",
        "--trials",
        "4",
        "--kappa",
        "1..3",
        "--psi",
        "1,2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    for (axis, n_series, points_per_series, x_label) in [
        ("kappa", 4, 3, "κ (anisotropy of Σ)"),
        ("psi", 6, 2, "ψ = n/d (log scale)"),
    ] {
        let svg = std::fs::read_to_string(out.join(format!("single_index_{axis}.svg"))).unwrap();
        let doc = parse(&svg);
        let t = texts(&doc);
        for want in [
            x_label,
            "|cos(β̂, β*)|",
            "lines: theory (limit formula)",
            "markers: simulation mean ± 2 SE",
        ] {
            assert!(
                t.iter().any(|s| s == want),
                "{axis}: no text '{want}' in {t:?}"
            );
        }
        assert!(
            t.iter().any(|s| s.starts_with("SGD (Lemma 3.10)"))
                && t.iter().any(|s| s.starts_with("KFAC (Lemma 3.12)")),
            "{t:?}"
        );
        assert!(
            t.iter().any(|s| s.contains("d = 60")
                && s.contains("4 trials")
                && s.contains("direction level")),
            "caption: {t:?}"
        );
        // Theory curves: dense polylines (240 points), one per series, each in its own colour.
        let curves: Vec<_> = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("polyline")
                    && n.attribute("points")
                        .map(|p| p.split_whitespace().count() >= 200)
                        .unwrap_or(false)
            })
            .collect();
        assert_eq!(curves.len(), n_series, "{axis}: theory curves");
        let colours: std::collections::BTreeSet<_> = curves
            .iter()
            .map(|n| n.attribute("stroke").unwrap())
            .collect();
        assert_eq!(colours.len(), n_series, "{axis}: distinct colours");
        // Markers: one filled marker per simulated point and one per legend entry; the j-th
        // value of the other axis has the j-th shape for both methods (circle first).
        let filled = |n: &roxmltree::Node| {
            n.attribute("fill")
                .is_some_and(|f| f != "none" && f != "#FFFFFF")
        };
        let circles = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle") && filled(n))
            .count();
        let polygons = doc
            .descendants()
            .filter(|n| n.has_tag_name("polygon") && filled(n))
            .count();
        let per_series = points_per_series + 1;
        assert_eq!(
            (circles, circles + polygons),
            (2 * per_series, n_series * per_series),
            "{axis}: markers"
        );
        assert_clean(&svg);
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("![single_index_kappa.svg](single_index_kappa.svg)")
            && report.contains("![single_index_psi.svg](single_index_psi.svg)")
    );
    // The canonical command: every setting spelled out, so it regenerates the run.
    assert!(
        report.contains("verify single-index --kappa 1..3 --psi 1,2 --spectrum two-point")
            && report.contains("--d 60 --trials 4 --level direction --methods sgd,kfac --seed 0"),
        "report lacks the command: {report}"
    );
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

#[test]
fn a_single_point_has_no_figure_but_theory_only_has_curves() {
    let out = scratch("figures-single");
    let o = verify(&[
        "single-index",
        "--theory-only",
        "--kappa",
        "3",
        "--psi",
        "0.5..4/5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!out.join("single_index_kappa.svg").exists());
    let svg = std::fs::read_to_string(out.join("single_index_psi.svg")).unwrap();
    let doc = parse(&svg);
    // Markers mean simulation: a theory-only figure has none, not even in its legend.
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("5"))
            .count(),
        0,
        "no markers without simulation"
    );
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// `--d` as a RANGE adds the finite-size figure: |ρ̄_sim − ρ_theory| against d with fitted slopes.
#[test]
fn a_dimension_sweep_adds_the_finite_size_figure() {
    let out = scratch("finite-size");
    let o = verify(&[
        "single-index",
        "--level",
        "direction",
        "--d",
        "40,80,160",
        "--kappa",
        "3",
        "--trials",
        "10",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("finite_size.csv")).unwrap();
    assert!(
        csv.starts_with("method,kappa,psi,d,abs_error,se,slope"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 2 * 3, "{csv}");
    let svg = std::fs::read_to_string(out.join("single_index_finite_size.svg")).unwrap();
    let doc = parse(&svg);
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s.starts_with("Finite-size error")),
        "{t:?}"
    );
    assert!(
        t.iter().any(|s| s.starts_with("SGD: slope"))
            && t.iter().any(|s| s.starts_with("KFAC: slope")),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "d (log scale)"));
    // The main results hold every d.
    let rows = std::fs::read_to_string(out.join("single_index.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 2 * 3);
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// `verify spike`: Theorem 3.9's remainder shrinks with d (like d^-1/2 here), figure and files.
#[test]
fn spike_check_shows_the_remainder_shrinking() {
    let out = scratch("spike");
    let o = verify(&[
        "spike",
        "--d",
        "50,100,200",
        "--trials",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spike.json")).unwrap()).unwrap();
    let slope = j["slope"].as_f64().unwrap();
    // Random-matrix heuristics give d^-1/2 for the remainder against the spike.
    assert!((-0.8..-0.2).contains(&slope), "slope {slope}");
    assert_eq!(j["verdict"], "shrinks");
    let rows = j["rows"].as_array().unwrap();
    assert!(rows.iter().all(
        |r| r["ratio_mean"].as_f64().unwrap() > 0.0 && r["ratio_mean"].as_f64().unwrap() < 1.0
    ));
    let svg = std::fs::read_to_string(out.join("spike.svg")).unwrap();
    let t = texts(&parse(&svg));
    assert!(
        t.iter().any(|s| s.starts_with("simulation: slope")),
        "{t:?}"
    );
    let o = verify(&["spike", "--d", "100", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--d"));
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// `verify phase`: the theory heatmap of ρ_KFAC − ρ_SGD with the simulation checks marked.
#[test]
fn phase_diagram_has_cells_checks_and_files() {
    let out = scratch("phase");
    let o = verify(&[
        "phase",
        "--resolution",
        "12",
        "--check-kappa",
        "2,10",
        "--check-psi",
        "1,4",
        "--d",
        "60",
        "--trials",
        "6",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("phase.csv")).unwrap();
    assert!(csv.starts_with("kappa,psi,rho_sgd,rho_kfac,advantage"));
    assert_eq!(csv.lines().count(), 1 + 12 * 12);
    let svg = std::fs::read_to_string(out.join("phase.svg")).unwrap();
    let doc = parse(&svg);
    assert!(doc.descendants().filter(|n| n.has_tag_name("rect")).count() >= 144);
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s == "ρ_KFAC − ρ_SGD") && t.iter().any(|s| s == "κ (anisotropy of Σ)"),
        "{t:?}"
    );
    // Four check points labelled with their simulated advantage ("+0.123"), plus the colour bar's
    // ticks (its ends, and 0 between them when the map has both signs).
    let labels = t
        .iter()
        .filter(|s| {
            (s.starts_with('+') || s.starts_with('-'))
                && s.len() == 6
                && s[1..].parse::<f64>().is_ok()
        })
        .count();
    assert!(labels >= 6, "{t:?}");
    let checks = std::fs::read_to_string(out.join("checks/single_index.csv")).unwrap();
    assert_eq!(checks.lines().count(), 1 + 4 * 2);
    // Each check point is drawn by its verdict: a red cross (two red lines) only for a point with
    // a disagreeing row, a grey ring for an inconclusive one (before the fix every point that was
    // not "agree" was drawn as disagreeing). The legend shows one of each symbol.
    let verdicts: Vec<String> = checks
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(27).unwrap_or_default().to_string())
        .collect();
    let points: Vec<&[String]> = verdicts.chunks(2).collect();
    let disagree = points
        .iter()
        .filter(|p| p.iter().any(|v| v == "disagree"))
        .count();
    let inconclusive = points
        .iter()
        .filter(|p| !p.iter().any(|v| v == "disagree") && p.iter().any(|v| v == "inconclusive"))
        .count();
    let red_lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("stroke") == Some("#FF0000"))
        .count();
    assert_eq!(red_lines, 2 * (disagree + 1), "{verdicts:?}");
    let grey_rings = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("stroke") == Some("#6E6E6E"))
        .count();
    assert_eq!(grey_rings, inconclusive + 1, "{verdicts:?}");
    assert!(
        inconclusive >= 1,
        "6 trials at d = 60 leave some point undecided: {verdicts:?}"
    );
    // ψ is labelled at both ends of the map (0.25 and 8), with the 1-2-5 ticks between.
    for tick in ["0.25", "0.5", "1", "2", "5", "8"] {
        assert!(t.iter().any(|s| s == tick), "no ψ tick {tick}: {t:?}");
    }
    // The advantage is positive over this whole map: the colour bar runs from its maximum to 0,
    // with no unused negative half.
    assert!(t.iter().any(|s| s == "+0.000"), "{t:?}");
    assert!(
        !t.iter().any(|s| s.starts_with("-0.") && s.len() == 6),
        "{t:?}"
    );
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// Several `--lambda` values sweep the ridge and add the λ figure (theory curve and simulation).
#[test]
fn a_lambda_sweep_adds_the_lambda_figure() {
    let out = scratch("lambda-sweep");
    let o = verify(&[
        "single-index",
        "--level",
        "direction",
        "--d",
        "60",
        "--kappa",
        "1,10",
        "--lambda",
        "0.01,0.1,1",
        "--trials",
        "5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let rows = std::fs::read_to_string(out.join("single_index.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 3 * 2 * 2, "λ × κ × method rows");
    let svg = std::fs::read_to_string(out.join("single_index_lambda.svg")).unwrap();
    let doc = parse(&svg);
    let t = texts(&doc);
    assert!(t.iter().any(|s| s.starts_with("λ (log scale")), "{t:?}");
    let curves = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("polyline")
                && n.attribute("points")
                    .map(|p| p.split_whitespace().count() >= 200)
                    .unwrap_or(false)
        })
        .count();
    assert_eq!(curves, 4, "SGD and KFAC at two κ");
    // The κ figure shows the first λ only, and says so.
    let kappa_svg = std::fs::read_to_string(out.join("single_index_kappa.svg")).unwrap();
    assert!(kappa_svg.contains("λ = 0.01 (first of 0.01,0.1,1)"));
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// A file spectrum is named in a figure's caption by its file name, not its absolute path (which
/// the CSV, JSON and report keep).
#[test]
fn a_file_spectrum_caption_shows_the_file_name() {
    let out = scratch("figures-file-caption");
    let eigs = out.join("my_eigs.txt");
    std::fs::write(&eigs, "1\n3\n").unwrap();
    let spectrum = format!("file:{}", eigs.display());
    let o = verify(&[
        "single-index",
        "--spectrum",
        &spectrum,
        "--psi",
        "1,2",
        "--theory-only",
        "--quiet",
        "--out",
        out.join("r").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let svg = std::fs::read_to_string(out.join("r/single_index_psi.svg")).unwrap();
    assert!(
        svg.contains("file:my_eigs.txt spectrum"),
        "caption lacks the file name"
    );
    assert!(
        !svg.contains(&out.display().to_string()),
        "caption shows the path"
    );
    let csv = std::fs::read_to_string(out.join("r/single_index.csv")).unwrap();
    assert!(
        csv.contains(&eigs.display().to_string()),
        "the CSV keeps the path"
    );
    if out.exists() {
        assert_clean_figures(&out);
    }
    std::fs::remove_dir_all(out).ok();
}

/// A user's check with two swept axes beside the x axis (γ and λ; the engine's pipeline, as
/// `run_check` runs it): every combination is its own series in every figure, named in the
/// legend (its look is checked in engine::looks), and every figure is clean.
#[test]
fn a_check_with_two_other_swept_axes_names_every_combination() {
    use engine::prelude::*;

    /// E|σ(1 + γλ)Z| = σ(1 + γλ)√(2/π).
    struct Scaled;
    impl Check for Scaled {
        fn name(&self) -> &str {
            "scaled"
        }
        fn quantities(&self) -> Vec<&'static str> {
            vec!["mean_abs"]
        }
        fn theory(&self, p: &Params) -> Vec<Option<f64>> {
            let scale = p.get("sigma") * (1.0 + p.get("gamma") * p.get("lambda"));
            vec![Some(scale * (2.0 / std::f64::consts::PI).sqrt())]
        }
        fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
            let z: f64 = rng.sample(StandardNormal);
            let scale = p.get("sigma") * (1.0 + p.get("gamma") * p.get("lambda"));
            vec![(scale * z).abs()]
        }
    }

    let out = scratch("figures-two-way");
    let grid = Grid::new()
        .axis("sigma", &[0.5, 1.0, 2.0, 4.0])
        .axis("gamma", &[0.25, 0.5, 2.0])
        .axis("lambda", &[0.1, 1.0]);
    let args = CommonArgs::parse_from([
        "check",
        "--trials",
        "200",
        "--quiet",
        "--format",
        "none",
        "--out",
        out.to_str().unwrap(),
    ]);
    run_check(&Scaled, &grid, &args).unwrap();
    let name = |a: &str, x: f64, b: &str, y: f64| format!("mean_abs ({a} = {x}, {b} = {y})");
    let want: Vec<(&str, Vec<String>)> = vec![
        ("sigma", {
            let g = [0.25, 0.5, 2.0];
            let l = [0.1, 1.0];
            g.iter()
                .flat_map(|&x| l.iter().map(move |&y| name("gamma", x, "lambda", y)))
                .collect()
        }),
        ("lambda", {
            let s = [0.5, 1.0, 2.0, 4.0];
            let g = [0.25, 0.5, 2.0];
            s.iter()
                .flat_map(|&x| g.iter().map(move |&y| name("sigma", x, "gamma", y)))
                .collect()
        }),
    ];
    for (axis, labels) in want {
        let svg = std::fs::read_to_string(out.join(format!("scaled_{axis}.svg"))).unwrap();
        // Legend labels wrap at spaces onto consecutive text elements.
        let legend = texts(&parse(&svg)).join(" ");
        let named = labels
            .iter()
            .filter(|l| legend.contains(l.as_str()))
            .count();
        // A legend too long for its column ends with "… and N more series (see the CSV)".
        let more: usize = legend
            .split("… and ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next()?.parse().ok())
            .unwrap_or(0);
        assert_eq!(named + more, labels.len(), "{axis}: {labels:?} in {legend}");
        assert!(named >= 6, "{axis}: {named} named");
    }
    assert!(out.join("scaled_gamma.svg").exists());
    assert_eq!(assert_clean_figures(&out), 3);
    std::fs::remove_dir_all(out).ok();
}

/// With --extrapolate over a λ sweep the fits at different λ are different series: the legend
/// names each λ (no two labels alike) and the caption does not claim a single λ.
#[test]
fn the_extrapolation_figure_names_the_lambda_of_each_fit() {
    let out = scratch("figures-extrapolate-lambda");
    let o = verify(&[
        "single-index",
        "--level",
        "direction",
        "--d",
        "40,80,160",
        "--kappa",
        "1",
        "--lambda",
        "0.01,1",
        "--trials",
        "4",
        "--extrapolate",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1 | 4)), "{}", stderr(&o));
    let svg = std::fs::read_to_string(out.join("single_index_finite_size.svg")).unwrap();
    let legend = texts(&parse(&svg)).join(" ");
    for method in ["sgd", "kfac"] {
        for lambda in ["0.01", "1"] {
            let label = format!("{method}, κ = 1, ψ = 2, λ = {lambda}");
            assert!(legend.contains(&label), "no '{label}' in {legend}");
        }
    }
    assert!(!svg.contains("first of"), "{legend}");
    assert_clean(&svg);
    std::fs::remove_dir_all(out).ok();
}
