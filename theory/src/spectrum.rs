//! Population spectra of Σ as weighted atoms (spec: "Spectrum families").
//!
//! The theory integrates against the atoms; the simulation needs the `d` eigenvalues of an actual
//! Σ. Families defined per eigenvalue (geometric, linear) have `d` atoms of weight 1/d, so the
//! theory is evaluated for exactly the Σ that is simulated; two-point and identity have O(1) atoms
//! at any d.

use crate::error::{finite, Result, TheoryError};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The largest spectrum file read (64 MiB: millions of eigenvalues).
pub const MAX_SPECTRUM_FILE: u64 = 64 << 20;

/// The most lines a spectrum file may have, comments and blank lines included (4 194 304: a
/// file with more is refused before its values are parsed).
pub const MAX_SPECTRUM_LINES: usize = 1 << 22;

/// Partial sums in [`SpectralMeasure::integrate`].
const LANES: usize = 8;

/// One eigenvalue `value` carrying probability mass `weight`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Atom {
    /// An eigenvalue of Σ.
    pub value: f64,
    /// Its weight (the fraction of eigenvalues equal to it).
    pub weight: f64,
}

/// A spectral measure H: atoms with positive values and weights summing to one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpectralMeasure {
    /// The atoms; their weights sum to 1.
    pub atoms: Vec<Atom>,
}

impl SpectralMeasure {
    /// Build from (value, weight) pairs; weights are renormalised to sum to one, and neighbouring
    /// pairs with equal values are merged.
    pub fn new(pairs: impl IntoIterator<Item = (f64, f64)>) -> Result<Self> {
        let mut atoms: Vec<Atom> = Vec::new();
        for (value, weight) in pairs {
            if !(value.is_finite() && value > 0.0) {
                return Err(TheoryError::InvalidSpectrum(format!(
                    "eigenvalues must be finite and > 0, got {value}"
                )));
            }
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(TheoryError::InvalidSpectrum(format!(
                    "weights must be finite and >= 0, got {weight}"
                )));
            }
            match atoms.last_mut() {
                // Equal neighbours are one atom (κ = 1 makes d equal eigenvalues): the same
                // measure, d times cheaper to integrate, and the same rounding as one atom.
                Some(last) if last.value == value => last.weight += weight,
                _ if weight > 0.0 => atoms.push(Atom { value, weight }),
                _ => {}
            }
        }
        let total: f64 = atoms.iter().map(|a| a.weight).sum();
        if !total.is_finite() {
            return Err(TheoryError::InvalidSpectrum(
                "the weights sum past double precision; scale them down (only their ratios matter)"
                    .into(),
            ));
        }
        if atoms.is_empty() || total <= 0.0 {
            return Err(TheoryError::InvalidSpectrum(
                "no atom with positive weight".into(),
            ));
        }
        for a in &mut atoms {
            a.weight /= total;
        }
        Ok(Self { atoms })
    }

    /// ∫ f(t) dH(t).
    pub fn integrate(&self, f: impl Fn(f64) -> f64) -> f64 {
        let [v] = self.integrate_many(|t| [f(t)]);
        v
    }

    /// ∫ f(t) dH(t) for N integrands in one pass over the atoms (sharing, say, one division
    /// 1/(1 + tv)). Eight independent partial sums (over atoms i ≡ k mod 8), so a spectrum of d
    /// atoms (linear, geometric, file) is summed in SIMD lanes; fewer than 8 atoms are summed in
    /// order.
    pub fn integrate_many<const N: usize>(&self, f: impl Fn(f64) -> [f64; N]) -> [f64; N] {
        let add = |acc: &mut [f64; N], a: &Atom| {
            for (s, v) in acc.iter_mut().zip(f(a.value)) {
                *s += a.weight * v;
            }
        };
        let chunks = self.atoms.chunks_exact(LANES);
        let mut tail = [0.0; N];
        for a in chunks.remainder() {
            add(&mut tail, a);
        }
        if self.atoms.len() < LANES {
            return tail;
        }
        let mut lanes = [[0.0; N]; LANES];
        for c in chunks {
            for (acc, a) in lanes.iter_mut().zip(c) {
                add(acc, a);
            }
        }
        std::array::from_fn(|i| {
            let l = |k: usize| lanes[k][i];
            (((l(0) + l(1)) + (l(2) + l(3))) + ((l(4) + l(5)) + (l(6) + l(7)))) + tail[i]
        })
    }

    /// τ1 = tr(Σ)/d.
    pub fn tau1(&self) -> f64 {
        self.integrate(|t| t)
    }

    /// τ2 = tr(Σ²)/d.
    pub fn tau2(&self) -> f64 {
        self.integrate(|t| t * t)
    }

    /// The same measure scaled so that its mean is one (tr Σ = d).
    pub fn normalized(&self) -> Self {
        self.scaled(1.0 / self.tau1())
    }

    /// The measure of cΣ.
    pub fn scaled(&self, c: f64) -> Self {
        Self {
            atoms: self
                .atoms
                .iter()
                .map(|a| Atom {
                    value: a.value * c,
                    weight: a.weight,
                })
                .collect(),
        }
    }
}

/// A named family of spectra (spec: identity | two-point | geometric | linear | file:PATH).
#[derive(Debug, Clone, PartialEq)]
pub enum SpectrumFamily {
    /// All eigenvalues 1.
    Identity,
    /// A fraction `p` of the eigenvalues equal κ, the rest 1.
    /// A fraction `p` of the eigenvalues equal κ, the rest 1.
    TwoPoint {
        /// The fraction of eigenvalues equal to κ.
        p: f64,
    },
    /// λ_i = κ^((i-1)/(d-1)).
    Geometric,
    /// λ_i = 1 + (κ-1)(i-1)/(d-1).
    Linear,
    /// Eigenvalues (optionally `value weight` per line) read from a file; κ is ignored.
    File {
        /// The file read.
        path: PathBuf,
        /// Its eigenvalues as weighted atoms.
        measure: SpectralMeasure,
        /// The number of eigenvalues when the file gave no weights.
        unweighted_count: Option<usize>,
        /// Hex SHA-256 of the bytes parsed (the content the values come from).
        sha256: String,
    },
}

impl SpectrumFamily {
    /// Parse a family name: `identity`, `two-point` (or `two-point:p`), `geometric`, `linear`.
    /// A `file:PATH` is refused here: theory reads no files, see [`Self::parse_with`].
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_with(s, |p| {
            Err(format!(
                "{}: a file: spectrum is read by the caller (SpectrumFamily::parse_with)",
                p.display()
            ))
        })
    }

    /// [`Self::parse`], and `file:PATH`, whose content `read` returns (the caller's reader
    /// refuses special and oversized files; its message is passed on).
    pub fn parse_with(
        s: &str,
        read: impl FnOnce(&Path) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<Self> {
        let s = s.trim_ascii();
        if let Some(path) = s.strip_prefix("file:") {
            let path = Path::new(path);
            let bytes = read(path).map_err(TheoryError::InvalidSpectrum)?;
            return Self::from_bytes(path, &bytes);
        }
        if let Some(p) = s.strip_prefix("two-point:") {
            let p: f64 = p.parse().map_err(|_| {
                TheoryError::InvalidSpectrum(format!("two-point:p needs a number p, got '{p}'"))
            })?;
            if !(p > 0.0 && p < 1.0) {
                return Err(TheoryError::InvalidSpectrum(format!(
                    "two-point:p needs 0 < p < 1, got {p}"
                )));
            }
            return Ok(Self::TwoPoint { p });
        }
        match s {
            "identity" => Ok(Self::Identity),
            "two-point" => Ok(Self::TwoPoint { p: 0.5 }),
            "geometric" => Ok(Self::Geometric),
            "linear" => Ok(Self::Linear),
            _ => Err(TheoryError::InvalidSpectrum(format!(
                "unknown spectrum '{s}' (allowed: identity, two-point, two-point:P, geometric, linear, file:PATH)"
            ))),
        }
    }

    /// The spectrum in `bytes`, the content of the file `path` (named in messages and results):
    /// one `value` or `value weight` per line, `#` comments; at most [`MAX_SPECTRUM_FILE`] bytes
    /// and [`MAX_SPECTRUM_LINES`] lines. The SHA-256 recorded is that of these very bytes.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self> {
        let refuse = |why: String| {
            TheoryError::InvalidSpectrum(format!("spectrum file {}: {why}", path.display()))
        };
        if bytes.len() as u64 > MAX_SPECTRUM_FILE {
            return Err(refuse(format!(
                "{} bytes, more than the {} MiB a spectrum file may have",
                bytes.len(),
                MAX_SPECTRUM_FILE >> 20
            )));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| refuse(format!("not text ({e})")))?;
        let (measure, unweighted_count) = parse_spectrum_text(text).map_err(refuse)?;
        Ok(Self::File {
            path: path.to_path_buf(),
            measure,
            unweighted_count,
            sha256: sha256_hex(bytes),
        })
    }

    /// The hex SHA-256 of the bytes a `file:` spectrum was parsed from (None for the others).
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Self::File { sha256, .. } => Some(sha256),
            _ => None,
        }
    }

    /// Short name as written in result files.
    pub fn name(&self) -> String {
        match self {
            Self::Identity => "identity".into(),
            Self::TwoPoint { p } if *p == 0.5 => "two-point".into(),
            Self::TwoPoint { p } => format!("two-point:{p}"),
            Self::Geometric => "geometric".into(),
            Self::Linear => "linear".into(),
            Self::File { path, .. } => format!("file:{}", path.display()),
        }
    }

    /// The name for a figure's caption: a file by its name alone (its full path is in the
    /// result files and the report).
    pub fn caption_name(&self) -> String {
        match self {
            Self::File { path, .. } => format!(
                "file:{}",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |f| f.to_string_lossy().into()
                )
            ),
            other => other.name(),
        }
    }

    /// The file the spectrum was read from, if any.
    pub fn input_file(&self) -> Option<&std::path::Path> {
        match self {
            Self::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The name with a file's path made absolute (for commands recorded to be re-run from
    /// anywhere).
    pub fn absolute_name(&self) -> String {
        match self {
            Self::File { path, .. } => match std::fs::canonicalize(path) {
                Ok(abs) => format!("file:{}", abs.display()),
                Err(_) => self.name(),
            },
            _ => self.name(),
        }
    }

    /// Whether κ changes this family (identity and files ignore it).
    pub fn uses_kappa(&self) -> bool {
        matches!(self, Self::TwoPoint { .. } | Self::Geometric | Self::Linear)
    }

    /// The spectral measure of Σ at dimension `d` and anisotropy κ, before normalisation.
    pub fn measure(&self, kappa: f64, d: usize) -> Result<SpectralMeasure> {
        check_kappa_d(kappa, d)?;
        match self {
            Self::Identity => SpectralMeasure::new([(1.0, 1.0)]),
            Self::TwoPoint { p } => SpectralMeasure::new([(1.0, 1.0 - p), (kappa, *p)]),
            Self::Geometric | Self::Linear => SpectralMeasure::new(
                self.eigenvalues_raw(kappa, d)?
                    .into_iter()
                    .map(|v| (v, 1.0)),
            ),
            Self::File { measure, .. } => Ok(measure.clone()),
        }
    }

    /// The `d` eigenvalues of the simulated Σ (before normalisation), in ascending order for the
    /// per-eigenvalue families. Weighted files are discretised at the quantiles (i + 1/2)/d.
    pub fn eigenvalues_raw(&self, kappa: f64, d: usize) -> Result<Vec<f64>> {
        check_kappa_d(kappa, d)?;
        let step = |i: usize| i as f64 / (d - 1) as f64;
        Ok(match self {
            Self::Identity => vec![1.0; d],
            Self::TwoPoint { p } => {
                let k = ((p * d as f64).round() as usize).min(d);
                let mut v = vec![1.0; d];
                v[d - k..].iter_mut().for_each(|x| *x = kappa);
                v
            }
            Self::Geometric => (0..d).map(|i| kappa.powf(step(i))).collect(),
            Self::Linear => (0..d).map(|i| 1.0 + (kappa - 1.0) * step(i)).collect(),
            Self::File {
                measure,
                unweighted_count,
                ..
            } => {
                if *unweighted_count == Some(d) {
                    measure.atoms.iter().map(|a| a.value).collect()
                } else {
                    quantile_discretize(measure, d)
                }
            }
        })
    }
}

fn check_kappa_d(kappa: f64, d: usize) -> Result<()> {
    finite("kappa", kappa)?;
    if kappa <= 0.0 {
        return Err(TheoryError::InvalidParameter {
            name: "kappa",
            reason: format!("must be > 0, got {kappa}"),
        });
    }
    if d < 2 {
        return Err(TheoryError::InvalidParameter {
            name: "d",
            reason: format!("must be >= 2, got {d}"),
        });
    }
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parse the text of a spectrum file. Returns the measure and, when no line carried a weight,
/// the number of eigenvalues (so a file of exactly d values is used as is).
pub fn parse_spectrum_text(
    text: &str,
) -> std::result::Result<(SpectralMeasure, Option<usize>), String> {
    let mut pairs = Vec::new();
    let mut any_weight = false;
    let mut total_weight = 0.0_f64;
    for (lineno, line) in text.lines().enumerate() {
        if lineno >= MAX_SPECTRUM_LINES {
            return Err(format!(
                "more than {MAX_SPECTRUM_LINES} lines, the most a spectrum file may have"
            ));
        }
        let line = line.split('#').next().unwrap_or("").trim_ascii();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty())
            .collect();
        let num = |f: &str| -> std::result::Result<f64, String> {
            f.parse::<f64>()
                .map_err(|_| format!("line {}: '{f}' is not a number", lineno + 1))
        };
        let pair = match fields.as_slice() {
            [v] => (num(v)?, 1.0),
            [v, w] => {
                any_weight = true;
                (num(v)?, num(w)?)
            }
            _ => {
                return Err(format!(
                    "line {}: expected 'value' or 'value weight', got '{line}'",
                    lineno + 1
                ))
            }
        };
        if !(pair.0.is_finite() && pair.0 > 0.0) {
            return Err(format!(
                "line {}: eigenvalue must be finite and > 0, got {}",
                lineno + 1,
                pair.0
            ));
        }
        if !(pair.1.is_finite() && pair.1 >= 0.0) {
            return Err(format!(
                "line {}: weight must be finite and >= 0, got {}",
                lineno + 1,
                pair.1
            ));
        }
        total_weight += pair.1;
        if !total_weight.is_finite() {
            return Err(format!(
                "line {}: the weights so far sum past double precision ({:e} + …); scale them down (only their ratios matter)",
                lineno + 1,
                pair.1
            ));
        }
        pairs.push(pair);
    }
    if pairs.is_empty() {
        return Err("no eigenvalues found".into());
    }
    let count = pairs.len();
    let measure = SpectralMeasure::new(pairs).map_err(|e| e.to_string())?;
    Ok((measure, (!any_weight).then_some(count)))
}

/// d eigenvalues at the quantiles (i + 1/2)/d of the measure.
fn quantile_discretize(h: &SpectralMeasure, d: usize) -> Vec<f64> {
    let mut atoms = h.atoms.clone();
    atoms.sort_by(|a, b| a.value.total_cmp(&b.value));
    let mut out = Vec::with_capacity(d);
    let (mut k, mut cum) = (0, atoms[0].weight);
    for i in 0..d {
        let q = (i as f64 + 0.5) / d as f64;
        while cum < q && k + 1 < atoms.len() {
            k += 1;
            cum += atoms[k].weight;
        }
        out.push(atoms[k].value);
    }
    out
}

/// A concrete population spectrum: family, κ, d and whether it is normalised to tr Σ = d.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// The family.
    pub family: SpectrumFamily,
    /// Its anisotropy κ.
    pub kappa: f64,
    /// The dimension d.
    pub d: usize,
    /// Rescale to mean 1 (tr Σ = d).
    pub normalize: bool,
}

impl Spectrum {
    /// The scale factor applied to the raw eigenvalues (1 / mean when normalising).
    fn scale(&self) -> Result<f64> {
        let raw = self.family.measure(self.kappa, self.d)?;
        Ok(if self.normalize {
            1.0 / raw.tau1()
        } else {
            1.0
        })
    }

    /// The population spectral measure H the theory integrates against.
    pub fn measure(&self) -> Result<SpectralMeasure> {
        let raw = self.family.measure(self.kappa, self.d)?;
        Ok(if self.normalize {
            raw.normalized()
        } else {
            raw
        })
    }

    /// The d eigenvalues of the simulated (diagonal) Σ.
    pub fn eigenvalues(&self) -> Result<Vec<f64>> {
        let c = self.scale()?;
        Ok(self
            .family
            .eigenvalues_raw(self.kappa, self.d)?
            .into_iter()
            .map(|v| v * c)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_point_normalised_has_mean_one() {
        let s = Spectrum {
            family: SpectrumFamily::TwoPoint { p: 0.5 },
            kappa: 10.0,
            d: 1000,
            normalize: true,
        };
        let h = s.measure().unwrap();
        assert!((h.tau1() - 1.0).abs() < 1e-15);
        // atoms 2/11 and 20/11
        assert!((h.atoms[0].value - 2.0 / 11.0).abs() < 1e-15);
        assert!((h.atoms[1].value - 20.0 / 11.0).abs() < 1e-15);
        let ev = s.eigenvalues().unwrap();
        assert_eq!(ev.len(), 1000);
        assert!((ev.iter().sum::<f64>() / 1000.0 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn geometric_and_linear_end_points() {
        for fam in [SpectrumFamily::Geometric, SpectrumFamily::Linear] {
            let ev = fam.eigenvalues_raw(7.0, 11).unwrap();
            assert!((ev[0] - 1.0).abs() < 1e-15 && (ev[10] - 7.0).abs() < 1e-12);
        }
        let ev = SpectrumFamily::Geometric.eigenvalues_raw(100.0, 3).unwrap();
        assert!((ev[1] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn file_parsing() {
        let (h, n) = parse_spectrum_text("# c\n1\n4 # four\n").unwrap();
        assert_eq!(n, Some(2));
        assert_eq!(h.atoms.len(), 2);
        let (h, n) = parse_spectrum_text("1 3\n4 1\n").unwrap();
        assert_eq!(n, None);
        assert!((h.atoms[0].weight - 0.75).abs() < 1e-15);
        assert!(parse_spectrum_text("").is_err());
        assert!(parse_spectrum_text("1 2 3").is_err());
        assert!(parse_spectrum_text("-1").is_err());
        assert!(parse_spectrum_text("abc").is_err());
        assert!(parse_spectrum_text("1 -2").is_err());
        let e = parse_spectrum_text("1 1e308\n2 1e308\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("double precision"),
            "{e}"
        );
    }

    #[test]
    fn a_file_spectrum_records_the_hash_of_the_bytes_it_parsed() {
        let path = Path::new("eigs.txt");
        let f = SpectrumFamily::from_bytes(path, b"1\n4\n").unwrap();
        // SHA-256("1\n4\n"), from sha256sum.
        assert_eq!(
            f.sha256(),
            Some("13432eb819aaa7b3081976be28497739e59a9e89c0e7e9d71764c025eaf9048a")
        );
        assert_eq!(f.eigenvalues_raw(1.0, 2).unwrap(), vec![1.0, 4.0]);
        assert_eq!(f.name(), "file:eigs.txt");
        let read = SpectrumFamily::parse_with("file:eigs.txt", |p| {
            assert_eq!(p, path);
            Ok(b"1\n4\n".to_vec())
        })
        .unwrap();
        assert_eq!(read, f);
        assert!(SpectrumFamily::parse("file:eigs.txt").is_err());
        assert!(SpectrumFamily::from_bytes(path, b"1\n\xff\n").is_err());
        assert!(
            SpectrumFamily::parse_with("file:x", |_| Err("a FIFO".into()))
                .unwrap_err()
                .to_string()
                .contains("a FIFO")
        );
    }

    #[test]
    fn a_spectrum_file_with_too_many_lines_is_refused() {
        let text = "\n".repeat(MAX_SPECTRUM_LINES) + "1\n";
        let e = parse_spectrum_text(&text).unwrap_err();
        assert!(e.contains("lines"), "{e}");
        let text = "\n".repeat(MAX_SPECTRUM_LINES - 1) + "1\n";
        assert!(parse_spectrum_text(&text).is_ok());
    }

    #[test]
    fn quantiles_follow_weights() {
        let h = SpectralMeasure::new([(1.0, 0.25), (4.0, 0.75)]).unwrap();
        let v = quantile_discretize(&h, 8);
        assert_eq!(v, vec![1.0, 1.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn bad_names_and_kappa() {
        assert!(SpectrumFamily::parse("nope").is_err());
        assert!(SpectrumFamily::parse("two-point:1.5").is_err());
        assert!(SpectrumFamily::Linear.measure(0.0, 10).is_err());
        assert!(SpectrumFamily::Linear.measure(f64::NAN, 10).is_err());
        assert!(SpectrumFamily::Linear.measure(2.0, 1).is_err());
    }
}
