//! `verify readout`: arguments → the single-index model (validated as `single-index` validates
//! it) + the readout settings + a grid → the engine's `run_check` (results::readout).

use crate::cli::{AlignmentArg, Format, Lambda, ReadoutArgs, SingleIndexArgs};
use crate::error::CliError;
use engine::Outcome;
use engine::{Grid, RunVerdict};
use results::readout::ReadoutCheck;
use sims::readout::ReadoutSettings;

/// The single-index arguments the readout's model is built from (its own flags where it has
/// them; the engine's flags are the readout's, not these).
fn model_args(a: &ReadoutArgs) -> SingleIndexArgs {
    SingleIndexArgs {
        kappa: a.kappa.clone(),
        psi: a.psi.clone(),
        spectrum: a.spectrum.clone(),
        no_normalize: a.no_normalize,
        activation: a.activation.clone(),
        student: a.student.clone(),
        noise: a.noise,
        lambda: Lambda::Values(a.lambda.clone()),
        d: engine::range::DRange {
            text: a.d.to_string(),
            values: vec![a.d as usize],
        },
        width: a.width,
        trials: a.common.trials,
        max_trials: a.common.max_trials,
        level: a.level,
        alignment: AlignmentArg::Sigma,
        methods: a.methods.clone(),
        seed: a.common.seed,
        out: a.common.out.clone().unwrap_or_default(),
        theory_only: a.common.theory_only,
        extrapolate: false,
        format: Format::None,
        quiet: true,
        alpha: a.common.alpha,
        margin: a.common.margin,
        resume: false,
        shard: None,
        allowance_scale: 1.0,
    }
}

/// `verify readout` with every setting explicit (κ as run), as the checkpoint and the result
/// files record it: what `verify merge`, `verify slurm` and `verify run FILE.json` read back. No
/// --out, --shard, --resume, --merge, --format or --quiet.
pub fn canonical_argv(a: &ReadoutArgs, kappa: &str) -> Vec<String> {
    let c = &a.common;
    let level = clap::ValueEnum::to_possible_value(&a.level)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let mut v: Vec<String> = vec!["verify".into(), "readout".into()];
    let mut flag = |k: &str, val: String| v.extend([k.to_string(), val]);
    flag("--kappa", kappa.into());
    flag("--psi", a.psi.text.clone());
    flag("--spectrum", a.spectrum.absolute_name());
    flag("--activation", a.activation.to_string());
    flag("--student", a.student.to_string());
    flag("--noise", a.noise.to_string());
    flag("--lambda", a.lambda.text.clone());
    flag("--d", a.d.to_string());
    if let Some(w) = a.width {
        flag("--width", w.to_string());
    }
    flag("--level", level);
    flag("--methods", a.methods.to_string());
    flag("--degree", a.degree.to_string());
    flag("--step", a.step.to_string());
    flag("--readout-ridge", a.readout_ridge.to_string());
    flag("--trials", c.trials.to_string());
    if c.trials == engine::Trials::Auto {
        flag("--max-trials", c.max_trials.to_string());
    }
    flag("--seed", c.seed.to_string());
    flag("--alpha", c.alpha.to_string());
    flag("--margin", c.margin.to_string());
    for (on, name) in [
        (a.no_normalize, "--no-normalize"),
        (c.extrapolate, "--extrapolate"),
        (c.theory_only, "--theory-only"),
    ] {
        if on {
            v.push(name.into());
        }
    }
    v
}

/// The readout's check (recording its canonical command), its grid and the model's points (the
/// model validated as `single-index` validates it).
pub fn setup(
    a: &ReadoutArgs,
) -> Result<(ReadoutCheck, Grid, Vec<sims::SingleIndexPoint>), CliError> {
    let mut si = model_args(a);
    let kappa_free = matches!(
        a.spectrum,
        theory::SpectrumFamily::Identity | theory::SpectrumFamily::File { .. }
    );
    if kappa_free && a.kappa.text == crate::cli::READOUT_KAPPA {
        // The default sweep means nothing without κ: one point, as single-index does.
        si.kappa = engine::Range {
            text: "1".into(),
            values: vec![1.0],
        };
    }
    crate::single_index::normalize_kappa(&mut si)?;
    let (model, points) = crate::single_index::setup(&si)?;
    let width = points.first().map_or(2, |p| p.width);
    let settings = ReadoutSettings {
        degree: a.degree as usize,
        step: a.step,
        ridge: a.readout_ridge,
    };
    let check = ReadoutCheck::new(model, settings).with_command(canonical_argv(a, &si.kappa.text));
    let grid = Grid::new()
        .axis("kappa", &si.kappa.values)
        .axis("psi", &a.psi.values)
        .axis("lambda", &a.lambda.values)
        .axis("d", &[a.d as f64])
        .axis("width", &[width as f64]);
    Ok((check, grid, points))
}

/// Run `verify readout`.
pub fn run(a: &ReadoutArgs) -> Result<Outcome, CliError> {
    let (check, grid, _) = setup(a)?;
    Ok(match engine::run_check(&check, &grid, &a.common)? {
        RunVerdict::Disagree => Outcome::Disagree,
        RunVerdict::Inconclusive => Outcome::Inconclusive,
        RunVerdict::Agree | RunVerdict::TheoryOnly | RunVerdict::Shard => Outcome::Agree,
    })
}
