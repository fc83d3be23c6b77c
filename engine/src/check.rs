//! The simple way in: a [`Check`] is a formula and a simulator over named real parameters, run
//! on a [`Grid`]. (A model with richer grid points implements [`engine::Model`] directly and uses
//! [`crate::run_checkpointed`].)

use crate::error::HarnessError;
use crate::{Model, SimError, UnitRng};

/// One grid point: a value for every named axis of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Params(pub Vec<(String, f64)>);

impl Params {
    /// The point as people read it: `kappa = 4, d = 200`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        parts.join(", ")
    }

    /// The value of axis `name`.
    ///
    /// # Panics
    /// If the grid has no axis of that name (a bug in the model, not bad input).
    pub fn get(&self, name: &str) -> f64 {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
            .unwrap_or_else(|| panic!("the grid has no axis named '{name}'"))
    }
}

/// A formula and its simulator, compared at every point of a [`Grid`].
pub trait Check: Sync {
    /// What is checked, e.g. "bbp-top-eigenvalue"; names the output files and the checkpoint.
    fn name(&self) -> &str;
    /// Change it when the simulation changes: resume and merge refuse a different version.
    fn version(&self) -> &str {
        "1"
    }
    /// Every setting off the grid that the simulation depends on ("" if none); part of the
    /// random streams' keys and of the checkpoint, so runs with other settings are never mixed.
    fn settings(&self) -> String {
        String::new()
    }
    /// Fingerprints of the files the simulation reads, taken from the bytes it read (read each
    /// file once with [`crate::inputs::read_input`], parse those bytes and return the
    /// fingerprint it gave): recorded in the checkpoint, resume and merge refuse them changed.
    fn inputs(&self) -> Vec<crate::inputs::InputFile> {
        Vec::new()
    }
    /// The command line that re-runs this check exactly, when the program has one (every
    /// setting that changes the simulated values explicit; no --out, --shard, --resume, --merge,
    /// --format or --quiet). It is recorded as the checkpoint's command — so a shard's run can be
    /// read back from its folder (`verify merge`, `verify slurm`) — and as the result files'
    /// command. None (the default): the checkpoint records the engine's own description of the
    /// run, and the files the process's arguments.
    fn command(&self) -> Option<Vec<String>> {
        None
    }
    /// Names of the compared quantities; each trial returns one value per quantity.
    fn quantities(&self) -> Vec<&'static str>;
    /// The limit formula for each quantity at `p` (None: simulated and reported, not judged).
    fn theory(&self, p: &Params) -> Vec<Option<f64>>;
    /// One Monte Carlo trial at `p`, drawing only from `rng` (so runs are reproducible).
    fn trial(&self, p: &Params, rng: &mut UnitRng) -> Vec<f64>;
    /// A derived bound on a bias per quantity (None by default). Without a dimension axis it is
    /// the whole finite-size allowance: the limit lies within sim ± b. Beside a dimension axis
    /// (whose bias the engine measures: the finite_size module) it covers only what the
    /// dimension does not control, e.g. a fixed number of fit samples, and widens the measured
    /// bracket by b on each side.
    fn allowance(&self, _p: &Params) -> Option<Vec<f64>> {
        None
    }
    /// The grid axes that are the problem's size, scaled together when the engine measures the
    /// finite-size bias (`["d"]` by default: an axis named `d` is the dimension). Put ratios such
    /// as ψ = n/d on the grid, not n itself, or list every size axis here. Return an empty list
    /// for a formula that is exact at every size (the report then says exactness was assumed).
    fn dimension_axes(&self) -> Vec<&str> {
        vec!["d"]
    }
    /// The slowest finite-size bias the measured bracket admits: the bias is assumed to fall
    /// like d^-a with a at least this (½ by default; 1 for a quantity known to have an O(1/d)
    /// bias gives a tighter bracket).
    fn slowest_rate(&self) -> f64 {
        0.5
    }
    /// The formulas at `p`, where evaluating them can fail with a typed error (a fixed point
    /// without a solution, an overflow): the run stops with the error's message and exit code
    /// instead of showing the rows as unjudged. The engine calls this; by default it is
    /// [`Check::theory`].
    fn try_theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        Ok(self.theory(p))
    }
    /// A trial that can fail with a typed error (a singular matrix, a setting that turns out
    /// impossible): the run stops with the error's message and exit code. The engine calls this;
    /// by default it is [`Check::trial`].
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        Ok(self.trial(p, rng))
    }
    /// The interval quantity `k`'s trial values always lie in (e.g. [0, 1] for a squared
    /// overlap): a trial outside fails, and a checkpoint recording one is refused on resume and
    /// merge. Any value by default.
    fn value_range(&self, _k: usize) -> (f64, f64) {
        (f64::NEG_INFINITY, f64::INFINITY)
    }
    /// What the quantities are, for the figures' y axis ("value" by default).
    fn value_label(&self) -> String {
        "value".into()
    }
    /// How quantity `k` is drawn (the generic cycle by default).
    fn style(&self, k: usize) -> reports::Style {
        reports::Style::nth(k)
    }
    /// Names of formula-only reference curves drawn beside the quantities in grey (none by
    /// default): limits a reader compares against, never simulated or judged.
    fn references(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// The reference curves' values at `p`, one per name of [`Check::references`].
    fn reference(&self, _p: &Params) -> Vec<Option<f64>> {
        Vec::new()
    }
}

/// The most points a grid may have (checked by [`Grid::validate`] before any is built).
pub const MAX_GRID_POINTS: u64 = 1_000_000;

/// The most trials a run may hold in all, grid points × trials per point (its checkpoint
/// holds one line per trial: at this many, about 1 GB).
pub const MAX_UNITS: u64 = 10_000_000;

/// Refuse a run of `points` grid points × `trials` trials over [`MAX_GRID_POINTS`] or
/// [`MAX_UNITS`] (exit 2, naming the flags), before anything is allocated.
pub fn check_counts(points: u64, trials: u64) -> Result<(), HarnessError> {
    if points > MAX_GRID_POINTS {
        return Err(HarnessError::Usage(format!(
            "invalid value for the grid's ranges: {points} grid points; at most {MAX_GRID_POINTS} (use fewer values)"
        )));
    }
    if points.saturating_mul(trials) > MAX_UNITS {
        return Err(HarnessError::Usage(format!(
            "invalid value for --trials: {points} grid points × {trials} trials is more than {MAX_UNITS} trials in all; use fewer trials or grid points"
        )));
    }
    Ok(())
}

/// Named axes whose Cartesian product is the set of grid points (the first axis varies fastest).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// (name, values) per axis.
    pub axes: Vec<(String, Vec<f64>)>,
}

impl Grid {
    /// An empty grid (one point with no parameters).
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an axis.
    pub fn axis(mut self, name: &str, values: &[f64]) -> Self {
        self.axes.push((name.to_string(), values.to_vec()));
        self
    }

    /// Every grid point, the first axis varying fastest.
    pub fn points(&self) -> Vec<Params> {
        let total: usize = self.axes.iter().map(|(_, v)| v.len()).product();
        (0..total)
            .map(|mut i| {
                Params(
                    self.axes
                        .iter()
                        .map(|(name, values)| {
                            let v = values[i % values.len()];
                            i /= values.len();
                            (name.clone(), v)
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// Refuse, before any point is built, a grid the engine must not run: an axis named twice, an
    /// axis without values or with a value that is not finite or given twice (the same point
    /// judged twice would be counted twice by Holm's correction), more than [`MAX_GRID_POINTS`]
    /// points, or more than [`MAX_UNITS`] trials in all (`trials` per point).
    pub fn validate(&self, trials: u64) -> Result<(), HarnessError> {
        let usage = |m: String| Err(HarnessError::Usage(m));
        let mut total: u64 = 1;
        for (i, (name, values)) in self.axes.iter().enumerate() {
            if self.axes[..i].iter().any(|(n, _)| n == name) {
                return usage(format!("the grid names the axis '{name}' twice"));
            }
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return usage(format!(
                    "the grid's axis '{name}' holds {v}; every value must be finite"
                ));
            }
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return usage(format!(
                    "the grid's axis '{name}' holds {} more than once; give distinct values",
                    w[0]
                ));
            }
            total = total.saturating_mul(values.len() as u64);
        }
        if total == 0 {
            return usage("the grid has no points (an axis without values)".into());
        }
        check_counts(total, trials)
    }

    /// The axes with more than one value (one figure each).
    pub fn swept(&self) -> Vec<&str> {
        self.axes
            .iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// A [`Check`] seen as a [`engine::Model`] whose grid points are [`Params`].
pub struct AsModel<'a, C: Check>(pub &'a C);

impl<C: Check> Model for AsModel<'_, C> {
    type Point = Params;
    fn methods(&self) -> Vec<&'static str> {
        self.0.quantities()
    }
    fn theory(&self, p: &Params) -> Result<Vec<Option<f64>>, SimError> {
        let values = self.0.try_theory(p)?;
        let names = self.0.quantities();
        for (k, v) in values.iter().enumerate() {
            if let Some(v) = v.filter(|v| !v.is_finite()) {
                return Err(SimError::Numerical(format!(
                    "the formula for '{}' at {} is {v}, not a finite number (a parameter too large for double precision?)",
                    names.get(k).copied().unwrap_or("?"),
                    p.describe()
                )));
            }
        }
        Ok(values)
    }
    fn point_key(&self, p: &Params) -> String {
        // {:?} of an f64 round-trips exactly, so equal keys mean equal points.
        format!(
            "{}|{}|{}|{:?}",
            self.0.name(),
            self.0.version(),
            self.0.settings(),
            p.0
        )
    }
    fn trial(&self, p: &Params, rng: &mut UnitRng, _: faer::Par) -> Result<Vec<f64>, SimError> {
        self.0.try_trial(p, rng)
    }
    fn value_range(&self, k: usize) -> (f64, f64) {
        self.0.value_range(k)
    }
    fn allowance(&self, p: &Params) -> Vec<f64> {
        self.0
            .allowance(p)
            .unwrap_or_else(|| vec![0.0; self.0.quantities().len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_points_are_the_product_first_axis_fastest() {
        let g = Grid::new()
            .axis("a", &[1.0, 2.0])
            .axis("b", &[10.0, 20.0, 30.0]);
        let p = g.points();
        assert_eq!(p.len(), 6);
        assert_eq!((p[0].get("a"), p[0].get("b")), (1.0, 10.0));
        assert_eq!((p[1].get("a"), p[1].get("b")), (2.0, 10.0));
        assert_eq!((p[5].get("a"), p[5].get("b")), (2.0, 30.0));
        assert_eq!(g.swept(), vec!["a", "b"]);
        assert_eq!(Grid::new().points().len(), 1);
    }

    #[test]
    fn grids_the_engine_must_not_run_are_refused_before_any_point_is_built() {
        let ok = Grid::new().axis("a", &[1.0, 2.0]).axis("d", &[100.0]);
        assert!(ok.validate(200).is_ok());
        let refused = |g: Grid, trials: u64, needle: &str| match g.validate(trials) {
            Err(HarnessError::Usage(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("{other:?}"),
        };
        refused(Grid::new().axis("a", &[1.0]).axis("a", &[2.0]), 2, "twice");
        refused(Grid::new().axis("a", &[1.0, 2.0, 1.0]), 2, "more than once");
        refused(Grid::new().axis("a", &[f64::NAN]), 2, "finite");
        refused(Grid::new().axis("a", &[]), 2, "no points");
        let wide: Vec<f64> = (0..1001).map(f64::from).collect();
        // 1001² points: refused from the axes alone.
        refused(Grid::new().axis("a", &wide).axis("b", &wide), 2, "1000000");
        refused(Grid::new().axis("a", &wide), 10_000, "--trials");
        assert!(Grid::new().axis("a", &wide).validate(9_990).is_ok());
    }
}
