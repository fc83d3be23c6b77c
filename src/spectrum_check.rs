//! `verify spectrum`: the eigenvalues of one sampled S = XᵀX/n against the limiting density that
//! Silverstein's equation gives at complex z (Im m(x + i0)/π), with the Kolmogorov–Smirnov
//! distance between the two laws.

use crate::cli::SpectrumArgs;
use crate::error::CliError;
use serde::Serialize;

#[derive(Serialize)]
struct BinRow {
    bin_lo: f64,
    bin_hi: f64,
    sample_density: f64,
    theory_density: f64,
}

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
    bins: &'a [BinRow],
}

pub fn run(a: &SpectrumArgs) -> Result<bool, CliError> {
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
    let gamma = d as f64 / n as f64;
    let key = sims::rng::stable_key(&format!(
        "spectrum|{}|{:?}|{:?}|{}|{}|{}",
        a.spectrum.name(),
        a.kappa,
        a.psi,
        d,
        n,
        !a.no_normalize
    ));
    let mut rng = sims::unit_rng(a.seed, key, 0);
    let mut eig = sims::spectrum::sample_covariance_eigenvalues(&sigma, n, &mut rng)?;
    let top = eig.last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    // S has d − n zero eigenvalues when d > n; rounding leaves them at ±1e-15 · top.
    eig.iter_mut()
        .filter(|x| **x < 1e-9 * top)
        .for_each(|x| *x = 0.0);
    let zero_mass_limit = (1.0 - 1.0 / gamma).max(0.0);
    let is_zero = |x: f64| x < 1e-9 * top;
    let zero_mass_sample = eig.iter().filter(|&&x| is_zero(x)).count() as f64 / d as f64;

    // The limiting density on a fine grid up to just past the largest sample eigenvalue, and its
    // CDF (atom at zero plus the trapezoid integral of the density).
    let x_hi = 1.05
        * top.max(
            (1.0 + gamma.sqrt()).powi(2) * h.atoms.iter().map(|t| t.value).fold(0.0, f64::max),
        );
    let fine = 1500;
    // Quadratic spacing (uniform in √x) resolves the 1/√x hard edge at zero when d = n.
    let xs: Vec<f64> = (1..=fine)
        .map(|i| x_hi * (i as f64 / fine as f64).powi(2))
        .collect();
    let dens = xs
        .iter()
        .map(|&x| theory::limiting_density(&h, gamma, x))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cdf_grid = Vec::with_capacity(fine + 1);
    cdf_grid.push((0.0, zero_mass_limit));
    let (mut acc, mut prev_x, mut prev_f) = (zero_mass_limit, 0.0, 0.0);
    for (&x, &f) in xs.iter().zip(&dens) {
        acc += 0.5 * (f + prev_f) * (x - prev_x);
        cdf_grid.push((x, acc));
        (prev_x, prev_f) = (x, f);
    }
    let cdf = |x: f64| -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        let i = cdf_grid.partition_point(|p| p.0 < x);
        if i == 0 {
            return cdf_grid[0].1;
        }
        if i >= cdf_grid.len() {
            return 1.0;
        }
        let ((x0, f0), (x1, f1)) = (cdf_grid[i - 1], cdf_grid[i]);
        f0 + (f1 - f0) * (x - x0) / (x1 - x0)
    };
    let cdf_left = |x: f64| if x <= 0.0 { 0.0 } else { cdf(x) };
    let ks = sims::spectrum::ks_distance(&eig, cdf, cdf_left);

    let bins = a.bins as usize;
    let width = top * 1.02 / bins as f64;
    let mut counts = vec![0usize; bins];
    for &x in eig.iter().filter(|&&x| !is_zero(x)) {
        counts[((x / width) as usize).min(bins - 1)] += 1;
    }
    let rows: Vec<BinRow> = (0..bins)
        .map(|b| {
            let (lo, hi) = (b as f64 * width, (b + 1) as f64 * width);
            // Bin average of the limiting density's continuous part: its CDF increment.
            let below = if b == 0 { zero_mass_limit } else { cdf(lo) };
            BinRow {
                bin_lo: lo,
                bin_hi: hi,
                sample_density: counts[b] as f64 / (d as f64 * width),
                theory_density: (cdf(hi) - below).max(0.0) / width,
            }
        })
        .collect();
    let l1: f64 = rows
        .iter()
        .map(|r| (r.sample_density - r.theory_density).abs() * width)
        .sum();

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
        bins: &rows,
    };
    reports::write_csv(&a.out.join("spectrum.csv"), &rows)?;
    reports::write_json(&a.out.join("spectrum.json"), &summary)?;
    let kappa_part = if spec.family.uses_kappa() {
        format!(" · κ = {}", a.kappa)
    } else {
        String::new()
    };
    let fig = reports::HistogramFigure {
        title: "Eigenvalues of S = XᵀX/n: one sample against the limit".into(),
        caption: format!(
            "{} spectrum{kappa_part} · ψ = n/d = {} · d = {d} · n = {n} · seed {}",
            a.spectrum.name(),
            a.psi,
            a.seed
        ),
        x_label: "eigenvalue of S".into(),
        y_label: "density".into(),
        bins: rows
            .iter()
            .map(|r| (r.bin_lo, r.bin_hi, r.sample_density))
            .collect(),
        curve: xs.iter().copied().zip(dens.iter().copied()).collect(),
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
    reports::write_histogram_svg(&a.out.join("spectrum.svg"), &fig)?;
    if !a.quiet {
        eprintln!("reproduce with: {command}");
    }
    println!(
        "spectrum {} (kappa {}), psi {}, d {d}, n {n}",
        a.spectrum.name(),
        a.kappa,
        a.psi
    );
    println!(
        "KS distance between the sample and limiting eigenvalue laws: {ks:.5} (1/d = {:.5})",
        1.0 / d as f64
    );
    println!("L1 distance between the histogram and the limiting density: {l1:.5} ({bins} bins)");
    if zero_mass_limit > 0.0 {
        println!("atom at zero: limit {zero_mass_limit:.5}, sample {zero_mass_sample:.5}");
    }
    println!(
        "files: spectrum.csv, spectrum.json, spectrum.svg in {}",
        a.out.display()
    );
    Ok(true)
}
