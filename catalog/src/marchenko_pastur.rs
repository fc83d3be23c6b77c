//! Marchenko–Pastur: the spectrum of a white sample covariance S = XᵀX/n (X n × d with N(0, 1)
//! entries, γ = d/n on both sides of 1). Two checks, because their finite-size biases differ:
//! the bulk (Stieltjes transform and the first two moments; bias O(1/d)) and the edges (bias
//! O(d^-2/3), Tracy–Widom).

use crate::rmt::{eigenvalues, gaussian, gram, part_args};
use crate::{Entry, Variant};
use engine::prelude::*;
use engine::HarnessError;
use num_complex::Complex64;

/// The entry's name.
pub const NAME: &str = "marchenko-pastur";

/// The point off the real axis where the Stieltjes transform is compared. Not 1 + 0.5i: there,
/// at the bulk's centre, Re m ≈ −0.1 for γ = 0.25 and a 1% relative margin (±0.001) is the
/// size of the Monte Carlo error at 200 trials; at 2 + 0.5i both parts of m are 0.3 or more
/// for every γ of the grid (chosen from the formula's values, not from a simulation).
pub const Z: Complex64 = Complex64::new(2.0, 0.5);

/// The catalog entry.
pub const ENTRY: Entry = Entry {
    name: NAME,
    formula: "m(z) = (1/d) tr(S − z)⁻¹ → root of γ z m² + (z + γ − 1) m + 1 = 0 with Im m > 0; (1/d) tr S → 1, (1/d) tr S² → 1 + γ; λ_max → (1 + √γ)², smallest nonzero eigenvalue → (1 − √γ)²",
    source: "Marchenko & Pastur 1967; Bai & Silverstein 2010, Thms 3.6–3.7 (MP law) and Lemma 3.11 (its Stieltjes transform), Ch. 5 (edges: Geman 1980; Bai & Yin 1993)",
    measures: "S = XᵀX/n, X n × d Gaussian, γ = d/n ∈ {0.25, 0.5, 2}, d = 400 (edges: 200): Re and Im of (1/d) tr(S − z)⁻¹ at z = 2 + 0.5i (the d − n zero eigenvalues included for γ > 1), (1/d) tr S, (1/d) tr S², λ_max and the smallest nonzero eigenvalue",
    wrong: "γ replaced by 1/γ in every formula (n/d for d/n)",
    run,
};

/// The Marchenko–Pastur Stieltjes transform of ratio γ (including the atom 1 − 1/γ at 0 for
/// γ > 1) at Im z > 0: the root of γ z m² + (z + γ − 1) m + 1 = 0 with Im m > 0 (Bai &
/// Silverstein 2010, Lemma 3.11). None if no root has Im m > 0 (z on the real axis).
pub fn stieltjes(gamma: f64, z: Complex64) -> Option<Complex64> {
    let (a, b) = (gamma * z, z + gamma - 1.0);
    let s = (b * b - 4.0 * a).sqrt();
    [(-b + s) / (2.0 * a), (-b - s) / (2.0 * a)]
        .into_iter()
        .find(|m| m.im > 0.0)
}

/// The edges of the Marchenko–Pastur support, ((1 − √γ)², (1 + √γ)²).
pub fn edges(gamma: f64) -> (f64, f64) {
    ((1.0 - gamma.sqrt()).powi(2), (1.0 + gamma.sqrt()).powi(2))
}

/// Which family of quantities a check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Re m(z), Im m(z), (1/d) tr S, (1/d) tr S².
    Bulk,
    /// λ_max and the smallest nonzero eigenvalue.
    Edges,
}

/// The Marchenko–Pastur check for one family of quantities.
pub struct MarchenkoPastur {
    /// The published formula or the wrong one.
    pub variant: Variant,
    /// Which quantities.
    pub part: Part,
}

impl MarchenkoPastur {
    /// γ as the formula sees it (1/γ in the wrong variant).
    fn gamma(&self, p: &Params) -> f64 {
        match self.variant {
            Variant::Correct => p.get("gamma"),
            Variant::Wrong => 1.0 / p.get("gamma"),
        }
    }

    /// The d eigenvalues of S (ascending; d − n of them are 0 for γ > 1).
    fn spectrum(p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let d = p.get("d") as usize;
        let n = (d as f64 / p.get("gamma")).round() as usize;
        eigenvalues(gram(gaussian(rng, n, d).as_ref()).as_ref())
    }
}

impl Check for MarchenkoPastur {
    fn name(&self) -> &str {
        PARTS
            .iter()
            .find(|(p, _)| *p == self.part)
            .map_or(NAME, |(_, name)| name)
    }
    fn settings(&self) -> String {
        format!("z={Z}")
    }
    fn quantities(&self) -> Vec<&'static str> {
        match self.part {
            Part::Bulk => vec!["re_m", "im_m", "tr_S_over_d", "tr_S2_over_d"],
            Part::Edges => vec!["lambda_max", "lambda_min_nonzero"],
        }
    }
    fn theory(&self, p: &Params) -> Vec<Option<f64>> {
        let g = self.gamma(p);
        match self.part {
            Part::Bulk => {
                let m = stieltjes(g, Z);
                vec![m.map(|m| m.re), m.map(|m| m.im), Some(1.0), Some(1.0 + g)]
            }
            Part::Edges => {
                let (lo, hi) = edges(g);
                vec![Some(hi), Some(lo)]
            }
        }
    }
    fn trial(&self, _: &Params, _: &mut UnitRng) -> Vec<f64> {
        unreachable!("try_trial is the trial")
    }
    fn try_trial(&self, p: &Params, rng: &mut UnitRng) -> Result<Vec<f64>, SimError> {
        let e = Self::spectrum(p, rng)?;
        let d = e.len() as f64;
        Ok(match self.part {
            Part::Bulk => {
                let m: Complex64 = e.iter().map(|&x| 1.0 / (x - Z)).sum::<Complex64>() / d;
                let t1 = e.iter().sum::<f64>() / d;
                let t2 = e.iter().map(|x| x * x).sum::<f64>() / d;
                vec![m.re, m.im, t1, t2]
            }
            Part::Edges => {
                let n = (d / p.get("gamma")).round() as usize;
                // For γ > 1, S has rank n: its d − n smallest eigenvalues are 0 (up to rounding).
                let first_nonzero = e.len().saturating_sub(n);
                vec![e[e.len() - 1], e[first_nonzero]]
            }
        })
    }
    /// Bulk: linear spectral statistics of a Gaussian sample covariance have an O(1) bias in
    /// tr f(S), so O(1/d) in (1/d) tr f(S) (Bai & Silverstein 2004, the CLT's mean; exactly
    /// γ/d for (1/d) tr S², whose mean is 1 + γ + γ/d, and 0 for (1/d) tr S): rate 1.
    /// Edges: the Tracy–Widom scale d^-2/3 (Johnstone 2001; El Karoui 2003 for the smallest
    /// eigenvalue). Checked at 2000 trials, d = 200 against 48: the rate-2/3 extrapolation
    /// lands 0.1–0.3% beyond the limit of λ_max and 0.5–2.5% beyond that of the smallest
    /// nonzero eigenvalue (an O(1/d) correction), on the far side from the mean at d, so the
    /// bracket holds the limit in every row.
    fn slowest_rate(&self) -> f64 {
        match self.part {
            Part::Bulk => 1.0,
            Part::Edges => 2.0 / 3.0,
        }
    }
    fn value_label(&self) -> String {
        match self.part {
            Part::Bulk => format!("(1/d) tr (S − z)⁻¹ at z = {Z}, moments"),
            Part::Edges => "extreme nonzero eigenvalues of S".into(),
        }
    }
}

/// The default grid of a part: γ on both sides of 1; d = 400 for the bulk, 200 for the edges
/// (their Tracy–Widom bias, ≈ 1.2–2% at d = 200 and still ≈ 1.1% at 400, exceeds a 1% margin
/// at any affordable d, so the larger d would only cost). The companions (d = 96 and 48) keep
/// n = d/γ whole.
pub fn grid(part: Part) -> Grid {
    let d = match part {
        Part::Bulk => 400.0,
        Part::Edges => 200.0,
    };
    Grid::new().axis("gamma", &[0.25, 0.5, 2.0]).axis("d", &[d])
}

/// The parts of the entry and their checks' names (also their output folders' names).
pub const PARTS: [(Part, &str); 2] = [
    (Part::Bulk, "marchenko-pastur-bulk"),
    (Part::Edges, "marchenko-pastur-edges"),
];

/// Run one part on its default grid, its d multiplied by `size` ([`crate::sized`]), as the
/// entry runs it (its own folder, α / parts).
pub fn run_part(
    variant: Variant,
    part: Part,
    size: f64,
    a: &CommonArgs,
) -> Result<RunVerdict, HarnessError> {
    let c = MarchenkoPastur { variant, part };
    run_check(
        &c,
        &crate::sized(grid(part), size),
        &part_args(a, NAME, c.name(), PARTS.len()),
    )
}

/// Run both checks (bulk, edges) on their default grids; the entry's verdict is the worse one.
pub fn run(variant: Variant, size: f64, a: &CommonArgs) -> Result<RunVerdict, HarnessError> {
    crate::rmt::run_all(&PARTS, |part| run_part(variant, part, size, a))
}
