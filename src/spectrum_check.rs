//! `verify spectrum`: the eigenvalues of one sampled S = XᵀX/n against the limiting density that
//! Silverstein's equation gives at complex z (Im m(x + i0)/π), with the Kolmogorov–Smirnov
//! distance between the two laws.

use crate::cli::SpectrumArgs;
use crate::error::CliError;
use engine::Outcome;
use faer::Par;
use serde::Serialize;
use sims::spectrum::{Bin, SpectrumComparison};

#[derive(Serialize)]
struct Summary<'a> {
    tool: &'static str,
    version: &'static str,
    command: Vec<String>,
    spectrum: String,
    kappa: f64,
    psi: f64,
    d: usize,
    n: usize,
    seed: u64,
    normalize: bool,
    /// sup |F_sample − F_limit| over the whole law (atom at zero included).
    ks_distance: f64,
    /// Σ |histogram − limiting density| · bin width over the positive eigenvalues.
    l1_histogram_distance: f64,
    /// Mass of the atom at zero: limit 1 − n/d (when d > n), and the sampled fraction.
    zero_mass_limit: f64,
    zero_mass_sample: f64,
    bins: &'a [Bin],
}

pub fn run(a: &SpectrumArgs) -> Result<Outcome, CliError> {
    let d = a.d as usize;
    let n = (a.psi * d as f64).round() as usize;
    if n < 2 {
        return Err(CliError::Usage(format!(
            "invalid value for --psi: n = round(psi·d) must be >= 2, got {n}"
        )));
    }
    let spec = theory::Spectrum {
        family: a.spectrum.clone(),
        kappa: a.kappa,
        d,
        normalize: !a.no_normalize,
    };
    let h = spec.measure()?;
    let sigma = spec.eigenvalues()?;
    let key = engine::rng::stable_key(&format!(
        "spectrum|{}|{:?}|{:?}|{}|{}|{}",
        a.spectrum.name(),
        a.kappa,
        a.psi,
        d,
        n,
        !a.no_normalize
    ));
    let mut rng = engine::unit_rng(a.seed, key, 0);
    let eig = sims::spectrum::sample_covariance_eigenvalues(&sigma, n, &mut rng, Par::Seq)?;
    let c = sims::spectrum::compare_with_limit(eig, &h, n, a.bins as usize)?;
    engine::publish(&a.out, engine::Checkpoint::None, |dir| {
        write_outputs(dir, a, &spec, d, n, &c)
    })?;
    results::stdout::print_rows(&c.bins, a.format, || summary_text(a, d, n, &c))?;
    Ok(Outcome::Agree)
}

/// spectrum.csv, spectrum.json and spectrum.svg, into `dir`.
fn write_outputs(
    dir: &std::path::Path,
    a: &SpectrumArgs,
    spec: &theory::Spectrum,
    d: usize,
    n: usize,
    c: &SpectrumComparison,
) -> Result<(), engine::HarnessError> {
    let (ks, l1) = (c.ks_distance, c.l1_histogram_distance);
    let (zero_mass_limit, zero_mass_sample) = (c.zero_mass_limit, c.zero_mass_sample);
    let rows = &c.bins;
    let command = crate::single_index::shell_line(&std::env::args().collect::<Vec<_>>());
    let summary = Summary {
        tool: "verify",
        version: env!("CARGO_PKG_VERSION"),
        command: std::env::args().collect(),
        spectrum: a.spectrum.name(),
        kappa: a.kappa,
        psi: a.psi,
        d,
        n,
        seed: a.seed,
        normalize: !a.no_normalize,
        ks_distance: ks,
        l1_histogram_distance: l1,
        zero_mass_limit,
        zero_mass_sample,
        bins: rows,
    };
    reports::write_csv(&dir.join("spectrum.csv"), rows)?;
    reports::write_json(&dir.join("spectrum.json"), &summary)?;
    let kappa_part = if spec.family.uses_kappa() {
        format!(" · κ = {}", a.kappa)
    } else {
        String::new()
    };
    let fig = reports::HistogramFigure {
        title: "Eigenvalues of S = XᵀX/n: one sample against the limit".into(),
        caption: format!(
            "{} spectrum{kappa_part} · ψ = n/d = {} · d = {d} · n = {n} · seed {}",
            a.spectrum.caption_name(),
            a.psi,
            a.seed
        ),
        x_label: "eigenvalue of S".into(),
        y_label: "density".into(),
        bins: rows
            .iter()
            .map(|r| (r.bin_lo, r.bin_hi, r.sample_density))
            .collect(),
        curve: trimmed(&c.curve),
        bins_label: "sample eigenvalues".into(),
        curve_label: "Silverstein limit".into(),
        notes: {
            let mut v = vec![
                format!("KS distance {ks:.4}"),
                format!("L1 (histogram) {l1:.4}"),
            ];
            if zero_mass_limit > 0.0 {
                v.push(format!(
                    "atom at 0: {zero_mass_limit:.3} (sample {zero_mass_sample:.3})"
                ));
                v.push("not drawn".into());
            }
            v
        },
    };
    reports::write_histogram_svg(&dir.join("spectrum.svg"), &fig)?;
    if !a.quiet {
        eprintln!("reproduce with: {command}");
    }
    Ok(())
}

/// The distances, for standard output.
/// The limiting density up to the first point past its last positive value: the law is computed
/// out to a crude bound on the support ((1 + √γ)² max λ), and the figure's axis should end where
/// the spectrum does.
fn trimmed(curve: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let peak = curve.iter().map(|p| p.1).fold(0.0, f64::max);
    let last = curve
        .iter()
        .rposition(|p| p.1 > 1e-6 * peak)
        .map_or(curve.len(), |i| (i + 2).min(curve.len()));
    curve[..last].to_vec()
}

fn summary_text(a: &SpectrumArgs, d: usize, n: usize, c: &SpectrumComparison) -> String {
    let mut out = format!(
        "spectrum {} (kappa {}), psi {}, d {d}, n {n}\n",
        a.spectrum.name(),
        a.kappa,
        a.psi
    );
    out += &format!(
        "KS distance between the sample and limiting eigenvalue laws: {:.5} (1/d = {:.5})\n",
        c.ks_distance,
        1.0 / d as f64
    );
    out += &format!(
        "L1 distance between the histogram and the limiting density: {:.5} ({} bins)\n",
        c.l1_histogram_distance, a.bins
    );
    if c.zero_mass_limit > 0.0 {
        out += &format!(
            "atom at zero: limit {:.5}, sample {:.5}\n",
            c.zero_mass_limit, c.zero_mass_sample
        );
    }
    out + &format!(
        "files: spectrum.csv, spectrum.json, spectrum.svg in {}\n",
        a.out.display()
    )
}
