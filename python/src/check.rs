//! A check written in Python, run by verify's engine: the formula and the trial are Python
//! callables, everything else (per-unit random streams, the finite-size handling, the verdict,
//! checkpoints, resume, shards, merge, result files, figures, report) is `engine::run_check`.
//!
//! The engine's units run on a rayon pool of `workers` threads with the GIL released; each unit
//! re-acquires it only to call the Python dispatcher (which runs the trial inline, or in a worker
//! process and waits for it with the GIL released). A unit's generator is seeded from the
//! engine's stream of that unit, so the values do not depend on the number of workers.

use engine::{Check, CommonArgs, Grid, HarnessError, Params, SimError, UnitRng};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::Rng;
use std::sync::Mutex;

/// The Python side of a check.
pub struct PyCheck {
    name: String,
    version: String,
    settings: String,
    quantities: Vec<&'static str>,
    theory: Py<PyAny>,
    trial: Py<PyAny>,
    allowance: Option<Py<PyAny>>,
    dimension_axes: Vec<String>,
    slowest_rate: f64,
    /// The first Python exception a callable raised (re-raised after the run stops).
    failure: Mutex<Option<PyErr>>,
}

impl PyCheck {
    fn params(py: Python<'_>, p: &Params) -> PyResult<Py<PyDict>> {
        let d = PyDict::new(py);
        for (name, v) in &p.0 {
            d.set_item(name, *v)?;
        }
        Ok(d.unbind())
    }

    /// Keep the first exception, and turn it into the engine's error.
    fn failed(&self, what: &str, p: &Params, e: PyErr) -> SimError {
        let message = format!("{what} raised at {}: {e}", p.describe());
        let mut slot = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
        SimError::Numerical(message)
    }

    /// Values a callable returned: one float (or None, for the theory) per quantity.
    fn values(&self, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Option<f64>>> {
        let values: Vec<Option<f64>> = obj.extract().map_err(|_| {
            PyValueError::new_err(format!(
                "{what} must return a sequence of {} numbers (one per quantity {:?})",
                self.quantities.len(),
                self.quantities
            ))
        })?;
        if values.len() != self.quantities.len() {
            return Err(PyValueError::new_err(format!(
                "{what} returned {} values, expected {} (one per quantity {:?})",
                values.len(),
                self.quantities.len(),
                self.quantities
            )));
        }
        Ok(values)
    }
}

impl Check for PyCheck {
    fn name(&self) -> &str {
        &self.name
    }
    fn version(&self) -> &str {
        &self.version
    }
    fn settings(&self) -> String {
        self.settings.clone()
    }
    fn quantities(&self) -> Vec<&'static str> {
        self.quantities.clone()
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.try_theory(p)
            .unwrap_or_else(|_| vec![None; self.quantities.len()])
    }
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        Python::attach(|py| {
            let args = Self::params(py, p)?;
            let out = self.theory.bind(py).call1((args,))?;
            self.values(&out, "theory")
        })
        .map_err(|e| self.failed("theory", p, e))
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng)
            .unwrap_or_else(|_| vec![f64::NAN; self.quantities.len()])
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        // The unit's generator for NumPy: 256 bits of the engine's stream for this unit.
        let seed: [u64; 4] = [
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
        ];
        Python::attach(|py| {
            py.check_signals()?;
            let args = Self::params(py, p)?;
            // The engine thread's index picks its worker process.
            let slot = rayon::current_thread_index().unwrap_or(0);
            let out = self.trial.bind(py).call1((args, seed.to_vec(), slot))?;
            let values = self.values(&out, "trial")?;
            values
                .into_iter()
                .map(|v| {
                    v.ok_or_else(|| {
                        PyValueError::new_err(
                            "trial returned None; return a number for every quantity",
                        )
                    })
                })
                .collect::<PyResult<Vec<f64>>>()
        })
        .map_err(|e| self.failed("trial", p, e))
    }
    fn allowance(&self, p: &Params) -> Option<Vec<f64>> {
        let f = self.allowance.as_ref()?;
        Python::attach(|py| {
            let args = Self::params(py, p).ok()?;
            let out = f.bind(py).call1((args,)).ok()?;
            let v = self.values(&out, "allowance").ok()?;
            v.into_iter().collect()
        })
    }
    fn dimension_axes(&self) -> Vec<&str> {
        self.dimension_axes.iter().map(String::as_str).collect()
    }
    fn slowest_rate(&self) -> f64 {
        self.slowest_rate
    }
}

/// What a run returns to Python: the verdict's name, the exit code and the folder written.
type RunResult = (String, i32, String);

/// Run a Python check through the engine (argv: the engine's flags, first item the program).
#[pyfunction]
#[pyo3(signature = (name, quantities, theory, trial, grid, argv, workers, version="1".to_string(), settings=String::new(), allowance=None, dimension_axes=vec!["d".to_string()], slowest_rate=0.5))]
#[allow(clippy::too_many_arguments)]
pub fn run_check(
    py: Python<'_>,
    name: String,
    quantities: Vec<String>,
    theory: Py<PyAny>,
    trial: Py<PyAny>,
    grid: Vec<(String, Vec<f64>)>,
    argv: Vec<String>,
    workers: usize,
    version: String,
    settings: String,
    allowance: Option<Py<PyAny>>,
    dimension_axes: Vec<String>,
    slowest_rate: f64,
) -> PyResult<RunResult> {
    let args = CommonArgs::try_parse_from(&argv)
        .map_err(|e| PyValueError::new_err(e.render().to_string().trim().to_string()))?;
    if quantities.is_empty() {
        return Err(PyValueError::new_err(
            "invalid value for quantities: name at least one",
        ));
    }
    if !(slowest_rate > 0.0 && slowest_rate <= 4.0) {
        return Err(PyValueError::new_err(format!(
            "invalid value for slowest_rate: must be in (0, 4], got {slowest_rate}"
        )));
    }
    let check = PyCheck {
        name,
        version,
        settings,
        // The engine names quantities with 'static strings; a check has a handful.
        quantities: quantities
            .into_iter()
            .map(|q| &*Box::leak(q.into_boxed_str()))
            .collect(),
        theory,
        trial,
        allowance,
        dimension_axes,
        slowest_rate,
        failure: Mutex::new(None),
    };
    let mut g = Grid::new();
    for (axis, values) in &grid {
        g = g.axis(axis, values);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()
        .map_err(|e| PyValueError::new_err(format!("invalid value for workers: {e}")))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("out").join(&check.name));
    engine::interrupt::clear();
    let result = py.detach(|| pool.install(|| engine::run_check(&check, &g, &args)));
    match result {
        Ok(v) => Ok((
            v.as_str().to_string(),
            v.exit_code(),
            out.display().to_string(),
        )),
        Err(e) => Err(to_python(e, &check, py)),
    }
}

/// The engine's error as a Python exception: the user's own exception (chained under a
/// `TrialError` naming the unit), KeyboardInterrupt, ValueError for bad input (exit code 2) or
/// RuntimeError for a run that could not complete (3); `.exit_code` set on it.
fn to_python(e: HarnessError, check: &PyCheck, py: Python<'_>) -> PyErr {
    let code = e.exit_code();
    let original = check
        .failure
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let err = match original {
        Some(orig) if orig.is_instance_of::<PyKeyboardInterrupt>(py) => orig,
        Some(orig) => {
            let err = crate::TrialError::new_err(e.to_string());
            err.set_cause(py, Some(orig));
            err
        }
        None if code == 130 => PyKeyboardInterrupt::new_err(e.to_string()),
        None if code == 2 => PyValueError::new_err(e.to_string()),
        None => pyo3::exceptions::PyRuntimeError::new_err(e.to_string()),
    };
    let _ = err.value(py).setattr("exit_code", code);
    err
}
