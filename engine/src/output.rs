//! A check's result set: `NAME.csv`, `NAME.json` (rows inside a provenance envelope), one figure
//! per swept axis `NAME_AXIS.svg`, `report.md`, and standard output in the chosen format.

use crate::args::{CommonArgs, Format};
use crate::check::{Check, Grid, Params};
use crate::error::HarnessError;
use crate::finite_size::RunPoints;
use crate::rows::{CheckRow, RunVerdict};
use reports::{Figure, Series, SimPoint};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::Path;

fn cell(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Column names: the axes, then the fixed columns.
fn header(grid: &Grid) -> Vec<String> {
    let mut h: Vec<String> = grid.axes.iter().map(|(n, _)| n.clone()).collect();
    for c in [
        "quantity",
        "trials",
        "theory",
        "sim",
        "sim_se",
        "sim_small",
        "sim_small_se",
        "limit_lo",
        "limit_hi",
        "z",
        "z_beyond",
        "allowance",
        "bound",
        "pass",
        "verdict",
        "undecided_by",
    ] {
        h.push(c.into());
    }
    h
}

fn record(r: &CheckRow) -> Vec<String> {
    let mut v: Vec<String> = r.params.iter().map(|(_, x)| x.to_string()).collect();
    v.push(r.quantity.into());
    v.push(r.trials.to_string());
    for x in [
        r.theory,
        r.sim,
        r.sim_se,
        r.sim_small,
        r.sim_small_se,
        r.limit.map(|l| l.0),
        r.limit.map(|l| l.1),
        r.z,
        r.z_beyond,
        r.allowance,
        r.bound,
    ] {
        v.push(cell(x));
    }
    v.push(r.pass.map(|p| p.to_string()).unwrap_or_default());
    v.push(
        r.verdict
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
    );
    v.push(inconclusive_reason(r).unwrap_or_default().into());
    v
}

fn json_row(r: &CheckRow) -> Value {
    let mut m = Map::new();
    for (n, x) in &r.params {
        m.insert(n.clone(), json!(x));
    }
    m.insert("quantity".into(), json!(r.quantity));
    m.insert("trials".into(), json!(r.trials));
    m.insert("theory".into(), json!(r.theory));
    m.insert("sim".into(), json!(r.sim));
    m.insert("sim_se".into(), json!(r.sim_se));
    m.insert("sim_small".into(), json!(r.sim_small));
    m.insert("sim_small_se".into(), json!(r.sim_small_se));
    m.insert("limit_lo".into(), json!(r.limit.map(|l| l.0)));
    m.insert("limit_hi".into(), json!(r.limit.map(|l| l.1)));
    m.insert("z".into(), json!(r.z));
    m.insert("z_beyond".into(), json!(r.z_beyond));
    m.insert("allowance".into(), json!(r.allowance));
    m.insert("bound".into(), json!(r.bound));
    m.insert("pass".into(), json!(r.pass));
    m.insert("verdict".into(), json!(r.verdict));
    m.insert("undecided_by".into(), json!(inconclusive_reason(r)));
    Value::Object(m)
}

/// The command the result files record: the check's own ([`Check::command`]), else the
/// process's arguments.
fn command<C: Check>(c: &C) -> Vec<String> {
    c.command().unwrap_or_else(|| std::env::args().collect())
}

/// The JSON result file: rows inside the provenance envelope.
fn envelope<C: Check>(
    c: &C,
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    rows: &[CheckRow],
    v: RunVerdict,
) -> Value {
    json!({
        "tool": "verify-engine",
        "version": env!("CARGO_PKG_VERSION"),
        "model": { "name": c.name(), "version": c.version(), "settings": c.settings() },
        "command": command(c),
        "seed": a.seed,
        "trials": a.trials.to_string(),
        "max_trials": a.max_trials,
        "alpha": a.alpha,
        "margin": a.margin.to_string(),
        "finite_size": run.mode,
        "finite_size_note": run.mode.describe(),
        "grid": grid.axes.iter().map(|(n, v)| json!({"name": n, "values": v})).collect::<Vec<_>>(),
        "verdict": v.as_str(),
        "rows": rows.iter().map(json_row).collect::<Vec<_>>(),
    })
}

/// The values of the other swept axes that tell a figure's series apart.
type Group = Vec<(String, f64)>;

/// Every quantity's formula at each dense x.
type DenseTable = Vec<(f64, Vec<Option<f64>>)>;

/// 97 points from lo to hi, evenly spaced (in log if `log`).
fn dense_xs((lo, hi, log): (f64, f64, bool)) -> Vec<f64> {
    (0..=96)
        .map(|i| {
            let t = i as f64 / 96.0;
            if log {
                (lo.ln() + t * (hi / lo).ln()).exp()
            } else {
                lo + t * (hi - lo)
            }
        })
        .collect()
}

/// `value` on a dense grid along `axis` (other parameters as in `at`), 97 points.
fn dense_curve(
    at: &Params,
    axis: usize,
    (lo, hi, log): (f64, f64, bool),
    value: &dyn Fn(&Params) -> Option<f64>,
) -> Vec<(f64, f64)> {
    dense_xs((lo, hi, log))
        .into_iter()
        .filter_map(|x| {
            let mut p = at.clone();
            p.0[axis].1 = x;
            value(&p).filter(|y| y.is_finite()).map(|y| (x, y))
        })
        .collect()
}

/// Every quantity's formula on the dense grid along `axis`, one formula evaluation per x (where
/// it fails, e.g. past a fixed point's existence boundary, the curve has a gap).
fn dense_table<C: Check>(
    c: &C,
    at: &Params,
    axis: usize,
    range: (f64, f64, bool),
) -> Vec<(f64, Vec<Option<f64>>)> {
    dense_xs(range)
        .into_iter()
        .map(|x| {
            let mut p = at.clone();
            p.0[axis].1 = x;
            let values = c
                .try_theory(&p)
                .unwrap_or_else(|_| vec![None; c.quantities().len()]);
            (x, values)
        })
        .collect()
}

/// "name (a = 1, b = 2)", or the name alone.
fn with_fixed(name: &str, fixed: &[(String, f64)]) -> String {
    let text: Vec<String> = fixed.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    if text.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", text.join(", "))
    }
}

/// The check's reference curves (grey, formula only) for each group of the other swept axes.
fn reference_series<C: Check>(
    c: &C,
    axis: usize,
    groups: &[(Vec<(String, f64)>, Params)],
    range: (f64, f64, bool),
) -> Vec<Series> {
    let mut out = Vec::new();
    for (r, name) in c.references().iter().enumerate() {
        for (g, (fixed, at)) in groups.iter().enumerate() {
            out.push(Series {
                label: with_fixed(name, fixed),
                style: crate::looks::reference_style(r, g, groups.len()),
                theory: dense_curve(at, axis, range, &|p| {
                    c.reference(p).get(r).copied().flatten()
                }),
                sims: Vec::new(),
                fit: None,
            });
        }
    }
    out
}

/// The figure's series: (quantity index, values of the other swept axes), by quantity, then in
/// row order.
fn series_keys<C: Check>(
    c: &C,
    rows: &[CheckRow],
    others: &dyn Fn(&CheckRow) -> Vec<(String, f64)>,
) -> Vec<crate::looks::SeriesKey> {
    let mut keys: Vec<crate::looks::SeriesKey> = Vec::new();
    let quantities = c.quantities();
    for r in rows {
        let k = quantities
            .iter()
            .position(|&q| q == r.quantity)
            .unwrap_or(0);
        let key = (k, others(r));
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.sort_by_key(|k| k.0);
    keys
}

/// One series per (quantity, values of the other swept axes): theory on a dense grid along the
/// axis, simulation ± 2 SE; each its own look ([`crate::looks`]).
fn axis_series<C: Check>(
    c: &C,
    axis: usize,
    rows: &[CheckRow],
    others: &dyn Fn(&CheckRow) -> Vec<(String, f64)>,
    (lo, hi, log): (f64, f64, bool),
) -> Vec<Series> {
    let keys = series_keys(c, rows, others);
    let styles = crate::looks::series_styles(c, &keys);
    let quantities = c.quantities();
    // Every quantity's formula at once per dense x and group of the other axes (a check's
    // theory may share work between its quantities).
    let mut dense: Vec<(Group, DenseTable)> = Vec::new();
    keys.iter()
        .zip(styles)
        .map(|((k, fixed), style)| {
            let mine: Vec<&CheckRow> = rows
                .iter()
                .filter(|r| r.quantity == quantities[*k] && &others(r) == fixed)
                .collect();
            if !dense.iter().any(|(f, _)| f == fixed) {
                let at = Params(mine[0].params.clone());
                dense.push((fixed.clone(), dense_table(c, &at, axis, (lo, hi, log))));
            }
            let table = &dense.iter().find(|(f, _)| f == fixed).expect("pushed").1;
            let theory: Vec<(f64, f64)> = table
                .iter()
                .filter_map(|(x, v)| v.get(*k).copied().flatten().map(|y| (*x, y)))
                .filter(|(_, y)| y.is_finite())
                .collect();
            Series {
                label: with_fixed(quantities[*k], fixed),
                style,
                theory,
                sims: mine
                    .iter()
                    .filter_map(|r| {
                        Some(SimPoint {
                            x: r.params[axis].1,
                            mean: r.sim?,
                            half_width: 2.0 * r.sim_se?,
                            mark: crate::rows::figure_mark(r.verdict),
                        })
                    })
                    .collect(),
                fit: None,
            }
        })
        .collect()
}

/// One figure along axis `axis`: a series per (quantity, values of the other axes).
pub(crate) fn axis_figure<C: Check>(c: &C, grid: &Grid, axis: usize, rows: &[CheckRow]) -> Figure {
    let (name, values) = &grid.axes[axis];
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
            (l.min(x), h.max(x))
        });
    let log = lo > 0.0 && hi / lo >= 20.0;
    // Series are told apart by the other swept axes; single-valued axes go into the caption.
    let swept = |i: usize| i != axis && grid.axes[i].1.len() > 1;
    let others = |r: &CheckRow| -> Vec<(String, f64)> {
        r.params
            .iter()
            .enumerate()
            .filter(|(i, _)| swept(*i))
            .map(|(_, p)| p.clone())
            .collect()
    };
    let fixed: Vec<String> = grid
        .axes
        .iter()
        .enumerate()
        .filter(|(i, (_, v))| *i != axis && v.len() == 1)
        .map(|(_, (n, v))| format!("{n} = {}", v[0]))
        .collect();
    let mut series = axis_series(c, axis, rows, &others, (lo, hi, log));
    let mut groups: Vec<(Vec<(String, f64)>, Params)> = Vec::new();
    for r in rows {
        let key = others(r);
        if !groups.iter().any(|(k, _)| *k == key) {
            groups.push((key, Params(r.params.clone())));
        }
    }
    let simulated_only = series.iter().any(|s| s.theory.is_empty());
    series.extend(reference_series(c, axis, &groups, (lo, hi, log)));
    Figure {
        title: format!("{}: formula and simulation against {name}", c.name()),
        caption: format!(
            "{}{} trials per point; a disagreeing point is ringed",
            fixed.iter().map(|f| format!("{f}; ")).collect::<String>(),
            rows.first().map_or(0, |r| r.trials)
        ),
        x_label: name.clone(),
        y_label: c.value_label(),
        log_x: log,
        log_y: false,
        series,
        bar_meaning: "± 2 SE".into(),
        line_meaning: if simulated_only {
            "limit formula (no line: simulation only)".into()
        } else {
            "limit formula".into()
        },
        x_ticks: Vec::new(),
    }
}

fn report<C: Check>(
    c: &C,
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    rows: &[CheckRow],
    v: RunVerdict,
    figures: Vec<String>,
) -> reports::RunReport {
    reports::RunReport {
        title: format!("Check: {}", c.name()),
        command: command(c).join(" "),
        verdict: v.as_str().to_uppercase(),
        config: vec![
            ("model version".into(), c.version().into()),
            ("settings".into(), c.settings()),
            ("trials".into(), trials_text(a)),
            ("seed".into(), a.seed.to_string()),
            ("alpha (family-wise)".into(), a.alpha.to_string()),
            ("margin".into(), a.margin.to_string()),
            ("finite-size bias".into(), run.mode.describe()),
        ],
        table_header: header(grid),
        table_rows: rows.iter().map(record).collect(),
        figures,
        notes: vec![CHECK_VERDICT_NOTE.into()],
    }
}

/// How the verdict is reached, for reports.
pub const VERDICT_NOTE: &str = "A row agrees when the 1 − 2α confidence interval of sim − formula lies inside ±(margin + finite-size allowance) (two one-sided tests; \"every row agrees\" is then a level-α intersection–union test); it disagrees when |sim − formula| exceeds the allowance significantly, Holm's step-down over all judged rows at family-wise level α; otherwise it is inconclusive (more trials or a larger d would decide it).";

/// How a check's verdict is reached, for its report.
pub const CHECK_VERDICT_NOTE: &str = "Each row's d → ∞ limit is located in [limit_lo, limit_hi] (the measured finite-size bracket, sim ± allowance, or the extrapolated limit; see 'finite-size bias' above). A row agrees when the 1 − 2α confidence intervals of both ends lie inside ±margin of the formula (± margin + allowance around sim for an allowance; two one-sided tests, so \"every row agrees\" is a level-α intersection–union test); it disagrees when the formula lies significantly outside [limit_lo, limit_hi] (z_beyond: both ends significantly on one side), Holm's step-down over all judged rows at family-wise level α; otherwise it is inconclusive (more trials, --trials auto, or a larger d would decide it). z is (sim − formula)/SE at the simulated size, before any finite-size handling.";

/// The trials as the report shows them.
fn trials_text(a: &CommonArgs) -> String {
    match a.trials {
        crate::Trials::Auto => format!("auto (at most {})", a.max_trials),
        crate::Trials::Fixed(n) => n.to_string(),
    }
}

/// A verdict as a table cell: agree, DISAGREE, inconclusive, or - when nothing was judged.
pub fn verdict_cell(v: Option<crate::Outcome>) -> &'static str {
    match v {
        Some(crate::Outcome::Agree) => "agree",
        Some(crate::Outcome::Disagree) => "DISAGREE",
        Some(crate::Outcome::Inconclusive) => "inconclusive",
        None => "-",
    }
}

/// The rows as an aligned text table (numbers to 6 significant digits).
fn table(grid: &Grid, rows: &[CheckRow]) -> String {
    let short = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.6}"));
    let mut head: Vec<String> = grid.axes.iter().map(|(n, _)| n.clone()).collect();
    head.extend(
        [
            "quantity", "trials", "theory", "sim", "± se", "limit_lo", "limit_hi", "z", "z_beyond",
            "verdict",
        ]
        .map(String::from),
    );
    let body = rows.iter().map(|r| {
        let mut c: Vec<String> = r.params.iter().map(|(_, x)| x.to_string()).collect();
        c.push(r.quantity.into());
        c.push(r.trials.to_string());
        c.extend([short(r.theory), short(r.sim), short(r.sim_se)]);
        c.extend([short(r.limit.map(|l| l.0)), short(r.limit.map(|l| l.1))]);
        c.push(r.z.map_or("-".into(), |z| format!("{z:.2}")));
        c.push(r.z_beyond.map_or("-".into(), |z| format!("{z:.2}")));
        c.push(verdict_cell(r.verdict).into());
        c
    });
    let all: Vec<Vec<String>> = std::iter::once(head).chain(body).collect();
    let widths: Vec<usize> = (0..all[0].len())
        .map(|j| all.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    all.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect();
            cells.join("  ") + "\n"
        })
        .collect()
}

/// Why an inconclusive row is undecided: its limit's location is already wider than the
/// margin (only a larger d, or a faster declared bias rate, can decide it), or the Monte Carlo
/// noise is (more trials can).
pub fn inconclusive_reason(r: &CheckRow) -> Option<&'static str> {
    if r.verdict != Some(crate::Outcome::Inconclusive) {
        return None;
    }
    let (Some((lo, hi)), Some(bound), Some(theory)) = (r.limit, r.bound, r.theory) else {
        return None;
    };
    let slack = r.allowance.unwrap_or(0.0);
    let wide = (lo - slack - theory).abs() > bound || (hi + slack - theory).abs() > bound;
    Some(if wide { "finite-size" } else { "noise" })
}

/// One line per kind of inconclusive row, saying what would decide it ("" when none).
fn inconclusive_reasons(rows: &[CheckRow]) -> String {
    let count = |why: &str| {
        rows.iter()
            .filter(|r| inconclusive_reason(r) == Some(why))
            .count()
    };
    let mut text = String::new();
    let wide = count("finite-size");
    if wide > 0 {
        text += &format!("inconclusive ({wide} rows): the range where the limit may lie, [limit_lo, limit_hi], is itself wider than the margin at this d — a larger d decides it (or a faster Check::slowest_rate when the bias is known to fall faster, or a wider --margin)\n");
    }
    let noisy = count("noise");
    if noisy > 0 {
        text += &format!("inconclusive ({noisy} rows): the Monte Carlo noise is too large to decide — more trials decide it (--trials auto, or a larger --max-trials after an automatic run)\n");
    }
    text
}

/// Print the rows to standard output; a closed pipe ends the printing quietly.
fn print(
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    rows: &[CheckRow],
    v: RunVerdict,
    out: &Path,
) {
    let mut s = std::io::stdout().lock();
    let _ = match a.format {
        Format::None => Ok(()),
        Format::Json => writeln!(s, "{}", Value::Array(rows.iter().map(json_row).collect())),
        Format::Csv => s.write_all(&reports::files::table_csv_bytes(
            &header(grid),
            &rows.iter().map(record).collect::<Vec<_>>(),
        )),
        Format::Table => writeln!(
            s,
            "{}\nfinite-size bias: {}\n{}verdict: {} ({} of {} judged rows agree; level {}, margin {}). Results in {}",
            table(grid, rows),
            run.mode.describe(),
            inconclusive_reasons(rows),
            v.as_str().to_uppercase(),
            rows.iter().filter(|r| r.pass == Some(true)).count(),
            rows.iter().filter(|r| r.pass.is_some()).count(),
            reports::figure::short_number(a.alpha),
            a.margin,
            out.display()
        ),
    };
}

/// Write the whole result set into `out` (as one, see [`crate::publish`]), then print to
/// standard output.
pub(crate) fn write_all<C: Check>(
    c: &C,
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    out: &Path,
    rows: &[CheckRow],
    v: RunVerdict,
) -> Result<(), HarnessError> {
    let checkpoint = match v {
        RunVerdict::TheoryOnly => crate::publish::Checkpoint::None,
        _ => crate::publish::Checkpoint::Finished,
    };
    crate::publish::publish(out, checkpoint, |dir| {
        write_set(c, grid, a, run, dir, rows, v)
    })?;
    print(grid, a, run, rows, v, out);
    Ok(())
}

/// Every result file of a check: CSV, JSON, one figure per swept axis, report.
fn write_set<C: Check>(
    c: &C,
    grid: &Grid,
    a: &CommonArgs,
    run: &RunPoints,
    out: &Path,
    rows: &[CheckRow],
    v: RunVerdict,
) -> Result<(), HarnessError> {
    let name = c.name();
    let csv = reports::files::table_csv_bytes(
        &header(grid),
        &rows.iter().map(record).collect::<Vec<_>>(),
    );
    reports::write_atomic(&out.join(format!("{name}.csv")), &csv)?;
    reports::write_json(
        &out.join(format!("{name}.json")),
        &envelope(c, grid, a, run, rows, v),
    )?;
    let mut figures = Vec::new();
    for (axis, (axis_name, values)) in grid.axes.iter().enumerate() {
        if values.len() > 1 {
            let file = format!("{name}_{axis_name}.svg");
            reports::write_svg(&out.join(&file), &axis_figure(c, grid, axis, rows))?;
            figures.push(file);
        }
    }
    remove_stale_figures(out, name, &figures)?;
    reports::write_markdown(
        &out.join("report.md"),
        &report(c, grid, a, run, rows, v, figures),
    )?;
    Ok(())
}

/// Remove the figures of axes an earlier run swept and this one does not.
fn remove_stale_figures(out: &Path, name: &str, figures: &[String]) -> Result<(), HarnessError> {
    let entries = std::fs::read_dir(out).map_err(|source| reports::ReportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let ours = file.starts_with(&format!("{name}_")) && file.ends_with(".svg");
        if ours && !figures.contains(&file) {
            std::fs::remove_file(e.path()).map_err(|source| reports::ReportError::Io {
                path: e.path(),
                source,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, Params, SimError, UnitRng};

    /// A formula that exists only for x < 1 (like a fixed point past its existence boundary).
    struct Bounded;

    impl Check for Bounded {
        fn name(&self) -> &str {
            "bounded"
        }
        fn quantities(&self) -> Vec<&'static str> {
            vec!["q"]
        }
        fn theory(&self, _: &Params) -> Vec<Option<f64>> {
            panic!("the engine evaluates formulas through try_theory")
        }
        fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
            let x = p.get("x");
            if x < 1.0 {
                Ok(vec![Some(x)])
            } else {
                Err(SimError::Numerical(format!("no solution at x = {x}")))
            }
        }
        fn trial(&self, _: &Params, _: &mut UnitRng) -> Vec<f64> {
            vec![0.0]
        }
    }

    #[test]
    fn the_figure_curve_has_a_gap_where_the_formula_has_no_value() {
        let at = Params(vec![("x".into(), 0.5)]);
        let table = dense_table(&Bounded, &at, 0, (0.5, 2.0, false));
        assert!(table.len() > 10);
        for (x, v) in &table {
            assert_eq!(v[0], (*x < 1.0).then_some(*x), "x = {x}");
        }
    }
}
