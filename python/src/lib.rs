#![warn(missing_docs)]
//! `hdverify._native`: verify's limit formulas over flat NumPy arrays. Each function takes
//! equal-length 1-D arrays (the Python layer broadcasts and reshapes), releases the GIL, runs the
//! points on rayon's pool, and returns the values with a list of `(index, reason)` for the points
//! that failed (the Python layer raises or masks them; a failed point's value is never returned as
//! a number).

mod check;

use num_complex::Complex64;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rayon::prelude::*;
use sims::{Alignment, Level, OneStep, SingleIndexModel, SingleIndexPoint};
use theory::{Activation, SpectralMeasure, Spectrum, SpectrumFamily};

pyo3::create_exception!(
    _native,
    TrialError,
    pyo3::exceptions::PyRuntimeError,
    "A check's trial or formula raised: the message names the grid point and trial; the user's exception is the __cause__."
);

/// The points that failed: (flat index, reason).
type Failures = Vec<(usize, String)>;

/// A spectrum as the CLI names it (with κ per point), or explicit eigenvalues and weights.
#[derive(Clone)]
enum SpectrumSpec {
    /// A family (`two-point`, `geometric`, `file:PATH`, …) at dimension d.
    Family {
        family: SpectrumFamily,
        d: usize,
        normalize: bool,
    },
    /// An atomic measure given directly (κ is ignored).
    Atoms(SpectralMeasure),
}

impl SpectrumSpec {
    fn measure(&self, kappa: f64) -> Result<SpectralMeasure, String> {
        match self {
            Self::Family {
                family,
                d,
                normalize,
            } => Spectrum {
                family: family.clone(),
                kappa,
                d: *d,
                normalize: *normalize,
            }
            .measure()
            .map_err(|e| e.to_string()),
            Self::Atoms(m) => Ok(m.clone()),
        }
    }
}

fn value_error(flag: &str, e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("invalid value for {flag}: {e}"))
}

fn spectrum_spec(
    spectrum: &str,
    d: usize,
    normalize: bool,
    eigenvalues: Option<PyReadonlyArray1<f64>>,
    weights: Option<PyReadonlyArray1<f64>>,
) -> PyResult<SpectrumSpec> {
    if let Some(eigs) = eigenvalues {
        let eigs = eigs.as_slice()?.to_vec();
        let w = match weights {
            Some(w) => w.as_slice()?.to_vec(),
            None => vec![1.0; eigs.len()],
        };
        if w.len() != eigs.len() {
            return Err(value_error(
                "weights",
                format!("{} weights for {} eigenvalues", w.len(), eigs.len()),
            ));
        }
        let mut pairs: Vec<(f64, f64)> = eigs.into_iter().zip(w).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let m = SpectralMeasure::new(pairs).map_err(|e| value_error("eigenvalues", e))?;
        return Ok(SpectrumSpec::Atoms(if normalize {
            m.normalized()
        } else {
            m
        }));
    }
    if !(2..=100_000).contains(&d) {
        return Err(value_error(
            "d",
            format!("must be from 2 to 100000, got {d}"),
        ));
    }
    let family = SpectrumFamily::parse(spectrum).map_err(|e| value_error("spectrum", e))?;
    Ok(SpectrumSpec::Family {
        family,
        d,
        normalize,
    })
}

fn same_length(names: &[&str], lens: &[usize]) -> PyResult<usize> {
    let n = lens[0];
    match lens.iter().position(|&l| l != n) {
        Some(i) => Err(PyValueError::new_err(format!(
            "{} has {} values, {} has {n} (broadcast them first)",
            names[i], lens[i], names[0]
        ))),
        None => Ok(n),
    }
}

/// Per point: the measure at κ_i, reusing the previous one while κ repeats.
fn measures(spec: &SpectrumSpec, kappa: &[f64]) -> Vec<Result<SpectralMeasure, String>> {
    let mut out: Vec<Result<SpectralMeasure, String>> = Vec::with_capacity(kappa.len());
    for (i, &k) in kappa.iter().enumerate() {
        let reuse = i > 0 && kappa[i - 1].to_bits() == k.to_bits();
        out.push(if reuse {
            out[i - 1].clone()
        } else {
            spec.measure(k)
        });
    }
    out
}

/// Split per-point results into values (0 where failed) and failures.
fn collect<T: Copy + Default>(results: Vec<Result<T, String>>) -> (Vec<T>, Failures) {
    let mut failures = Vec::new();
    let values = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|e| {
                failures.push((i, e));
                T::default()
            })
        })
        .collect();
    (values, failures)
}

/// Silverstein's m(z) (and m′(z) when `derivative`) of S = XᵀX/n with Σ's spectrum, at complex
/// z (Im z > 0) or real z < 0, per point (z_i, γ_i, κ_i).
#[pyfunction]
#[pyo3(signature = (z, gamma, kappa, spectrum, d, normalize, eigenvalues=None, weights=None, derivative=false))]
#[allow(clippy::too_many_arguments)]
fn stieltjes<'py>(
    py: Python<'py>,
    z: PyReadonlyArray1<'py, Complex64>,
    gamma: PyReadonlyArray1<'py, f64>,
    kappa: PyReadonlyArray1<'py, f64>,
    spectrum: &str,
    d: usize,
    normalize: bool,
    eigenvalues: Option<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    derivative: bool,
) -> PyResult<(Bound<'py, PyArray1<Complex64>>, Failures)> {
    let spec = spectrum_spec(spectrum, d, normalize, eigenvalues, weights)?;
    let (z, gamma, kappa) = (z.as_slice()?, gamma.as_slice()?, kappa.as_slice()?);
    same_length(
        &["z", "gamma", "kappa"],
        &[z.len(), gamma.len(), kappa.len()],
    )?;
    let results = py.detach(|| {
        let hs = measures(&spec, kappa);
        (0..z.len())
            .into_par_iter()
            .map(|i| {
                let h = hs[i].as_ref().map_err(Clone::clone)?;
                stieltjes_at(h, gamma[i], z[i], derivative).map_err(|e| e.to_string())
            })
            .collect::<Vec<_>>()
    });
    let (values, failures) = collect(results);
    Ok((values.into_pyarray(py), failures))
}

/// m(z) or m′(z) at one point: the real-axis solver for real z < 0, the complex one above it.
fn stieltjes_at(
    h: &SpectralMeasure,
    gamma: f64,
    z: Complex64,
    derivative: bool,
) -> theory::Result<Complex64> {
    if z.im == 0.0 && z.re < 0.0 {
        let r = theory::stieltjes_negative(h, gamma, -z.re)?;
        return Ok(Complex64::new(
            if derivative { r.m_prime } else { r.m },
            0.0,
        ));
    }
    let (m, dm) = theory::stieltjes_complex_with_derivative(h, gamma, z)?;
    Ok(if derivative { dm } else { m })
}

/// The limiting eigenvalue density of S at x > 0 per point (x_i, γ_i, κ_i).
#[pyfunction]
#[pyo3(signature = (x, gamma, kappa, spectrum, d, normalize, eigenvalues=None, weights=None))]
#[allow(clippy::too_many_arguments)]
fn density<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    gamma: PyReadonlyArray1<'py, f64>,
    kappa: PyReadonlyArray1<'py, f64>,
    spectrum: &str,
    d: usize,
    normalize: bool,
    eigenvalues: Option<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Failures)> {
    let spec = spectrum_spec(spectrum, d, normalize, eigenvalues, weights)?;
    let (x, gamma, kappa) = (x.as_slice()?, gamma.as_slice()?, kappa.as_slice()?);
    same_length(
        &["x", "gamma", "kappa"],
        &[x.len(), gamma.len(), kappa.len()],
    )?;
    let results = py.detach(|| {
        let hs = measures(&spec, kappa);
        // Chunks of neighbouring points in parallel; inside a chunk, each run of equal (γ, κ)
        // is one warm-started path (theory::limiting_density_path).
        let chunks: Vec<std::ops::Range<usize>> = (0..x.len())
            .step_by(DENSITY_CHUNK)
            .map(|s| s..(s + DENSITY_CHUNK).min(x.len()))
            .collect();
        chunks
            .into_par_iter()
            .flat_map_iter(|r| density_chunk(&hs, x, gamma, kappa, r))
            .collect::<Vec<_>>()
    });
    let (values, failures) = collect(results);
    Ok((values.into_pyarray(py), failures))
}

/// Points per parallel task of `density` (each a warm-started path).
const DENSITY_CHUNK: usize = 256;

/// The densities of points `r`, one warm-started path per run of equal (γ, κ).
fn density_chunk(
    hs: &[Result<SpectralMeasure, String>],
    x: &[f64],
    gamma: &[f64],
    kappa: &[f64],
    r: std::ops::Range<usize>,
) -> Vec<Result<f64, String>> {
    let mut out = Vec::with_capacity(r.len());
    let mut start = r.start;
    while start < r.end {
        let same = |i: usize| {
            gamma[i].to_bits() == gamma[start].to_bits()
                && kappa[i].to_bits() == kappa[start].to_bits()
        };
        let end = (start..r.end).find(|&i| !same(i)).unwrap_or(r.end);
        match &hs[start] {
            Ok(h) => out.extend(
                theory::limiting_density_path(h, gamma[start], &x[start..end])
                    .into_iter()
                    .map(|v| v.map_err(|e| e.to_string())),
            ),
            Err(e) => out.extend((start..end).map(|_| Err(e.clone()))),
        }
        start = end;
    }
    out
}

/// The single-index settings shared by every point of a `rho` call.
struct RhoSettings {
    family: SpectrumFamily,
    d: usize,
    normalize: bool,
    teacher: Activation,
    student: Activation,
    level: Level,
    alignment: Alignment,
    methods: Vec<OneStep>,
}

#[allow(clippy::too_many_arguments)] // mirrors rho's keyword arguments
fn parse_settings(
    methods: Vec<String>,
    spectrum: &str,
    activation: &str,
    student: &str,
    level: &str,
    alignment: &str,
    d: usize,
    normalize: bool,
) -> PyResult<RhoSettings> {
    let level = match level {
        "direction" => Level::Direction,
        "network" => Level::Network,
        other => {
            return Err(value_error(
                "level",
                format!("'{other}' (allowed: direction, network)"),
            ))
        }
    };
    let alignment = match alignment {
        "euclidean" => Alignment::Euclidean,
        "sigma" => Alignment::Sigma,
        other => {
            return Err(value_error(
                "alignment",
                format!("'{other}' (allowed: euclidean, sigma)"),
            ))
        }
    };
    let names: Vec<&str> = OneStep::ALL.iter().map(|m| m.name()).collect();
    let methods = methods
        .iter()
        .map(|m| {
            let step = OneStep::parse(m).ok_or_else(|| {
                value_error(
                    "method",
                    format!("'{m}' (allowed: {}, kfac-power:P)", names.join(", ")),
                )
            })?;
            if !sims::single_index::has_theory(step, level) {
                return Err(value_error(
                    "method",
                    format!("'{m}' has no limit formula at the {level:?} level"),
                ));
            }
            Ok(step)
        })
        .collect::<PyResult<Vec<_>>>()?;
    if !(2..=100_000).contains(&d) {
        return Err(value_error(
            "d",
            format!("must be from 2 to 100000, got {d}"),
        ));
    }
    Ok(RhoSettings {
        family: SpectrumFamily::parse(spectrum).map_err(|e| value_error("spectrum", e))?,
        d,
        normalize,
        teacher: activation
            .parse()
            .map_err(|e| value_error("activation", e))?,
        student: student.parse().map_err(|e| value_error("student", e))?,
        level,
        alignment,
        methods,
    })
}

/// ρ of each method (columns) at each point (κ_i, ψ_i, λ_i, σ_ε,i): Lemmas 3.10 / 3.12 and the
/// other one-step methods' limits, exactly as `verify single-index --theory-only` computes them.
#[pyfunction]
#[pyo3(signature = (methods, kappa, psi, lambda_, noise, spectrum, activation, student, level, alignment, d, normalize))]
#[allow(clippy::too_many_arguments)]
fn rho<'py>(
    py: Python<'py>,
    methods: Vec<String>,
    kappa: PyReadonlyArray1<'py, f64>,
    psi: PyReadonlyArray1<'py, f64>,
    lambda_: PyReadonlyArray1<'py, f64>,
    noise: PyReadonlyArray1<'py, f64>,
    spectrum: &str,
    activation: &str,
    student: &str,
    level: &str,
    alignment: &str,
    d: usize,
    normalize: bool,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Failures)> {
    let s = parse_settings(
        methods, spectrum, activation, student, level, alignment, d, normalize,
    )?;
    let (kappa, psi, lambda_, noise) = (
        kappa.as_slice()?,
        psi.as_slice()?,
        lambda_.as_slice()?,
        noise.as_slice()?,
    );
    let n = same_length(
        &["kappa", "psi", "lambda_", "noise"],
        &[kappa.len(), psi.len(), lambda_.len(), noise.len()],
    )?;
    let nm = s.methods.len();
    let results = py.detach(|| {
        (0..n)
            .into_par_iter()
            .map(|i| rho_at(&s, kappa[i], psi[i], lambda_[i], noise[i]))
            .collect::<Vec<_>>()
    });
    let mut flat = vec![0.0; n * nm];
    let mut failures = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => flat[i * nm..(i + 1) * nm].copy_from_slice(&v),
            Err(e) => failures.push((i, e)),
        }
    }
    let array = numpy::ndarray::Array2::from_shape_vec((n, nm), flat)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((array.into_pyarray(py), failures))
}

/// Every method's ρ at one point.
fn rho_at(
    s: &RhoSettings,
    kappa: f64,
    psi: f64,
    lambda: f64,
    noise: f64,
) -> Result<Vec<f64>, String> {
    let model = SingleIndexModel {
        family: s.family.clone(),
        normalize: s.normalize,
        teacher: s.teacher.clone(),
        student: s.student.clone(),
        noise,
        level: s.level,
        allowance_scale: 1.0,
        methods: s.methods.clone(),
        alignment: s.alignment,
    };
    let p = SingleIndexPoint {
        kappa,
        psi,
        lambda,
        d: s.d,
        width: s.d + s.d % 2,
    };
    let e = |e: engine::SimError| e.to_string();
    let limits = model.limits(&p).map_err(e)?;
    s.methods
        .iter()
        .map(|&m| {
            model
                .method_theory(&p, &limits, m)
                .map_err(e)?
                .ok_or_else(|| format!("{} has no formula here", m.name()))
        })
        .collect()
}

/// The ridge λ maximising ρ_KFAC and that maximum, per point (κ_i, ψ_i, σ_ε,i).
#[pyfunction]
#[pyo3(signature = (kappa, psi, noise, spectrum, activation, d, normalize))]
#[allow(clippy::too_many_arguments)]
fn lambda_opt<'py>(
    py: Python<'py>,
    kappa: PyReadonlyArray1<'py, f64>,
    psi: PyReadonlyArray1<'py, f64>,
    noise: PyReadonlyArray1<'py, f64>,
    spectrum: &str,
    activation: &str,
    d: usize,
    normalize: bool,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Failures)> {
    let spec = spectrum_spec(spectrum, d, normalize, None, None)?;
    let teacher: Activation = activation
        .parse()
        .map_err(|e| value_error("activation", e))?;
    let (kappa, psi, noise) = (kappa.as_slice()?, psi.as_slice()?, noise.as_slice()?);
    let n = same_length(
        &["kappa", "psi", "noise"],
        &[kappa.len(), psi.len(), noise.len()],
    )?;
    let results = py.detach(|| {
        let hs = measures(&spec, kappa);
        (0..n)
            .into_par_iter()
            .map(|i| {
                let h = hs[i].as_ref().map_err(Clone::clone)?;
                theory::optimal_ridge(h, psi[i], &teacher, noise[i]).map_err(|e| e.to_string())
            })
            .collect::<Vec<_>>()
    });
    let (values, failures) = collect(results);
    let flat: Vec<f64> = values.iter().flat_map(|&(l, r)| [l, r]).collect();
    let array = numpy::ndarray::Array2::from_shape_vec((n, 2), flat)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((array.into_pyarray(py), failures))
}

/// The polynomial readout's excess-free test risk on the learned direction with alignment ρ
/// (degree K, the teacher's Hermite expansion at τ1 = 1), per point (ρ_i, σ_ε,i).
#[pyfunction]
#[pyo3(signature = (rho, noise, activation, degree))]
fn readout_risk<'py>(
    py: Python<'py>,
    rho: PyReadonlyArray1<'py, f64>,
    noise: PyReadonlyArray1<'py, f64>,
    activation: &str,
    degree: usize,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Failures)> {
    let teacher: Activation = activation
        .parse()
        .map_err(|e| value_error("activation", e))?;
    if !(1..=theory::MAX_READOUT_DEGREE).contains(&degree) {
        return Err(value_error(
            "degree",
            format!(
                "must be from 1 to {}, got {degree}",
                theory::MAX_READOUT_DEGREE
            ),
        ));
    }
    let t =
        theory::hermite_teacher(&teacher, 1.0, degree).map_err(|e| value_error("activation", e))?;
    let (rho, noise) = (rho.as_slice()?, noise.as_slice()?);
    let n = same_length(&["rho", "noise"], &[rho.len(), noise.len()])?;
    let results = py.detach(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                theory::polynomial_readout_risk(&t, noise[i], rho[i]).map_err(|e| e.to_string())
            })
            .collect::<Vec<_>>()
    });
    let (values, failures) = collect(results);
    Ok((values.into_pyarray(py), failures))
}

/// Linear representation learning: KFAC's per-step contraction |1 − η| (Theorem 3.6).
#[pyfunction]
fn kfac_rate(lr: f64) -> f64 {
    theory::linear_rep::kfac_rate(lr)
}

/// Decoupled feature whitening's local rate given the head's singular values.
#[pyfunction]
fn dfw_rate(lr: f64, head_singular_values: Vec<f64>) -> f64 {
    theory::linear_rep::dfw_rate(lr, &head_singular_values)
}

/// Alternating-minimisation GD's local rate (head singular values, Schur-complement eigenvalues).
#[pyfunction]
fn amgd_rate(lr: f64, head_singular_values: Vec<f64>, schur_eigenvalues: Vec<f64>) -> f64 {
    theory::linear_rep::amgd_rate(lr, &head_singular_values, &schur_eigenvalues)
}

/// The names `rho` accepts (`kfac-power:P` besides).
#[pyfunction]
fn method_names() -> Vec<&'static str> {
    OneStep::ALL.iter().map(|m| m.name()).collect()
}

/// Run a `verify` command line in this process (the first item is the program name): its exit
/// code and, for a failure or `--help`, the message. The GIL is released while it runs.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> (i32, Option<String>) {
    engine::interrupt::clear();
    match py.detach(|| verify::run_argv(&argv)) {
        verify::Finished::Done(code) => (code, None),
        verify::Finished::Arguments(e) => (e.exit_code(), Some(e.render().to_string())),
        verify::Finished::Failed { code, message } => (code, Some(message)),
    }
}

/// The folder a command writes into when `--out` is not given (its CLI default).
#[pyfunction]
fn default_out(command: Vec<String>) -> Option<String> {
    let words: Vec<&str> = command.iter().map(String::as_str).collect();
    verify::default_out(&words)
}

/// Ask the run under way (in another thread) to stop: units not yet started fail, finished ones
/// stay in the checkpoint (Ctrl-C in a notebook).
#[pyfunction]
fn interrupt() {
    engine::interrupt::request();
}

/// The catalog's entries (`verify catalog --list`): name, formula, source, measures, wrong.
#[pyfunction]
fn catalog_entries() -> Vec<std::collections::BTreeMap<&'static str, &'static str>> {
    catalog::entries()
        .into_iter()
        .map(|e| {
            [
                ("name", e.name),
                ("formula", e.formula),
                ("source", e.source),
                ("measures", e.measures),
                ("wrong", e.wrong),
            ]
            .into_iter()
            .collect()
        })
        .collect()
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stieltjes, m)?)?;
    m.add_function(wrap_pyfunction!(density, m)?)?;
    m.add_function(wrap_pyfunction!(rho, m)?)?;
    m.add_function(wrap_pyfunction!(lambda_opt, m)?)?;
    m.add_function(wrap_pyfunction!(readout_risk, m)?)?;
    m.add_function(wrap_pyfunction!(kfac_rate, m)?)?;
    m.add_function(wrap_pyfunction!(dfw_rate, m)?)?;
    m.add_function(wrap_pyfunction!(amgd_rate, m)?)?;
    m.add_function(wrap_pyfunction!(method_names, m)?)?;
    m.add_function(wrap_pyfunction!(check::run_check, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(default_out, m)?)?;
    m.add_function(wrap_pyfunction!(interrupt, m)?)?;
    m.add_function(wrap_pyfunction!(catalog_entries, m)?)?;
    // As the `verify` binary: trials in parallel, each trial's algebra sequential.
    faer::set_global_parallelism(faer::Par::Seq);
    m.add("TrialError", m.py().get_type::<TrialError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
