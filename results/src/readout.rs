//! `verify readout` as an engine [`Check`] (the paper's Section C.4, docs/readout.md): per method
//! the test error of a degree-K readout on the learned direction — formula
//! R_K(ρ_Σ) (`theory::readout`) against simulation (`sims::readout`) — and, at the network level,
//! the test error of the whole network's ridge readout after the step (simulation only). The
//! engine does the run, resume, shards, verdict, files and figures.

use engine::{Check, Params};
use engine::{SimError, UnitRng};
use sims::readout::{readout_trial, ReadoutSettings, DIRECTION_READOUT_SAMPLES};
use sims::{Alignment, Level, OneStep, SingleIndexModel, SingleIndexPoint};
use theory::{hermite_teacher, polynomial_readout_risk, HermiteTeacher};

/// The readout experiment: a single-index model (its spectrum, teacher, student, noise, level and
/// methods; the alignment is Σ-weighted, the one a readout sees) and how the readout is fitted.
pub struct ReadoutCheck {
    /// The model; its `alignment` is set to Σ-weighted.
    pub model: SingleIndexModel,
    /// Degree, step and ridge of the readouts.
    pub settings: ReadoutSettings,
    /// Fingerprints of the files the spectrum was read from (the bytes parsed).
    pub inputs: Vec<engine::InputFile>,
    quantities: Vec<&'static str>,
    /// The command line that re-runs it (see [`Check::command`]).
    command: Option<Vec<String>>,
}

/// Grid axes of the readout check (names as the flags).
pub const AXES: [&str; 5] = ["kappa", "psi", "lambda", "d", "width"];

impl ReadoutCheck {
    /// The check for `model` (its alignment is made Σ-weighted) with readout `settings`.
    pub fn new(mut model: SingleIndexModel, settings: ReadoutSettings) -> Self {
        model.alignment = Alignment::Sigma;
        let mut quantities: Vec<&'static str> = model
            .methods
            .iter()
            .map(|m| leak(format!("direction:{}", m.name())))
            .collect();
        if model.level == Level::Network {
            quantities.extend(
                model
                    .methods
                    .iter()
                    .map(|m| leak(format!("network:{}", m.name()))),
            );
        }
        let inputs = crate::single_index::input_files(&model.family);
        ReadoutCheck {
            model,
            settings,
            inputs,
            quantities,
            command: None,
        }
    }

    /// The same check, recording `argv` (`verify readout` with every setting explicit) as its
    /// command: in the checkpoint, so shards can be merged from their folders, and in the files.
    pub fn with_command(mut self, argv: Vec<String>) -> Self {
        self.command = Some(argv);
        self
    }

    /// The model's grid point at `p`.
    pub fn point(p: &Params) -> SingleIndexPoint {
        SingleIndexPoint {
            kappa: p.get("kappa"),
            psi: p.get("psi"),
            lambda: p.get("lambda"),
            d: p.get("d") as usize,
            width: p.get("width") as usize,
        }
    }

    fn teacher_series(&self, p: &SingleIndexPoint) -> Result<HermiteTeacher, SimError> {
        let tau1 = self
            .model
            .spectrum(p)
            .measure()
            .map_err(sims::theory_error)?
            .tau1();
        hermite_teacher(&self.model.teacher, tau1, self.settings.degree).map_err(sims::theory_error)
    }

    /// ρ_Σ's limit for method `m` at `p` (None: no formula at this level).
    fn rho_sigma(&self, p: &SingleIndexPoint, m: OneStep) -> Result<Option<f64>, SimError> {
        let l = self.model.limits(p)?;
        self.model.method_theory(p, &l, m)
    }

    /// R_K of each method with a ρ_Σ formula (the network readouts have none).
    fn formulas(&self, p: &SingleIndexPoint) -> Result<Vec<Option<f64>>, SimError> {
        let series = self.teacher_series(p)?;
        let mut out = Vec::with_capacity(self.quantities.len());
        for &m in &self.model.methods {
            out.push(match self.rho_sigma(p, m)? {
                Some(rho) => Some(
                    polynomial_readout_risk(&series, self.model.noise, rho)
                        .map_err(sims::theory_error)?,
                ),
                None => None,
            });
        }
        out.resize(self.quantities.len(), None);
        Ok(out)
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Check for ReadoutCheck {
    fn name(&self) -> &str {
        "readout"
    }

    fn version(&self) -> &str {
        "1"
    }

    fn settings(&self) -> String {
        let m = &self.model;
        let methods: Vec<&str> = m.methods.iter().map(|x| x.name()).collect();
        format!(
            "level={}|spectrum={}|norm={}|teacher={}|student={}|noise={:?}|methods={}|degree={}|step={:?}|ridge={:?}|samples={}",
            m.level.name(),
            m.family.name(),
            m.normalize,
            m.teacher,
            m.student,
            m.noise,
            methods.join(","),
            self.settings.degree,
            self.settings.step,
            self.settings.ridge,
            DIRECTION_READOUT_SAMPLES
        )
    }

    fn inputs(&self) -> Vec<engine::InputFile> {
        self.inputs.clone()
    }

    fn command(&self) -> Option<Vec<String>> {
        self.command.clone()
    }

    fn quantities(&self) -> Vec<&'static str> {
        self.quantities.clone()
    }

    /// Every quantity is a mean squared prediction error: never negative.
    fn value_range(&self, _k: usize) -> (f64, f64) {
        (0.0, f64::INFINITY)
    }

    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        self.formulas(&Self::point(p))
            .unwrap_or_else(|_| vec![None; self.quantities.len()])
    }

    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        self.formulas(&Self::point(p))
    }

    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64> {
        self.try_trial(p, rng)
            .unwrap_or_else(|_| vec![f64::NAN; self.quantities.len()])
    }

    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        readout_trial(
            &self.model,
            &Self::point(p),
            &self.settings,
            rng,
            faer::Par::Seq,
        )
    }

    /// The size axes scaled together when the engine measures the finite-size bias (the
    /// network's width N is the dimension's companion).
    fn dimension_axes(&self) -> Vec<&str> {
        vec!["d", "width"]
    }

    /// What the dimension does not control: the least-squares fit's excess risk on a fixed
    /// number m of fit samples, about (K + 1)/m of the label variance (doubled).
    fn allowance(&self, p: &Params) -> Option<Vec<f64>> {
        let point = Self::point(p);
        let series = self.teacher_series(&point).ok()?;
        let var = series.variance + self.model.noise * self.model.noise;
        let fit = 2.0 * (self.settings.degree + 1) as f64 / DIRECTION_READOUT_SAMPLES as f64 * var;
        Some(vec![fit; self.quantities.len()])
    }

    fn value_label(&self) -> String {
        "test error (mean squared, fresh samples)".into()
    }

    fn style(&self, k: usize) -> reports::Style {
        let n = self.model.methods.len();
        let method = self.model.methods[k % n];
        let base = reports::method_style(method.name()).unwrap_or(reports::Style::nth(k % n));
        if k < n {
            return base;
        }
        // The network readout of the same method: its colour, darker, another marker.
        let marker = if base.marker == reports::MarkerShape::Square {
            reports::MarkerShape::Diamond
        } else {
            reports::MarkerShape::Square
        };
        reports::Style {
            colour: base.colour.tinted(-0.35),
            line: reports::LineKind::Dashed,
            marker,
        }
    }

    /// The isotropic case for reference: SGD's and KFAC's degree-K readout at κ = 1.
    fn references(&self) -> Vec<&'static str> {
        self.iso_methods()
            .iter()
            .map(|m| match m {
                OneStep::Sgd => "isotropic Σ (κ = 1): direction:sgd",
                _ => "isotropic Σ (κ = 1): direction:kfac",
            })
            .collect()
    }

    fn reference(&self, p: &Params) -> Vec<Option<f64>> {
        let iso = SingleIndexPoint {
            kappa: 1.0,
            ..Self::point(p)
        };
        let series = self.teacher_series(&iso).ok();
        self.iso_methods()
            .iter()
            .map(|&m| {
                let rho = self.rho_sigma(&iso, m).ok().flatten()?;
                polynomial_readout_risk(series.as_ref()?, self.model.noise, rho).ok()
            })
            .collect()
    }
}

impl ReadoutCheck {
    /// SGD and KFAC, those of them the run compares.
    fn iso_methods(&self) -> Vec<OneStep> {
        [OneStep::Sgd, OneStep::Kfac]
            .into_iter()
            .filter(|m| self.model.methods.contains(m))
            .collect()
    }
}
