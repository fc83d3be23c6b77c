//! Shared pieces of the random-matrix entries: Gaussian matrices, Gram matrices and symmetric
//! eigendecompositions with explicit sequential parallelism (trials already run in parallel),
//! and the running of an entry made of several checks.

use engine::prelude::*;
use engine::Margin;
use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::Accum;
use std::path::PathBuf;

/// An r × c matrix of independent N(0, 1) entries, drawn column by column.
pub fn gaussian(rng: &mut UnitRng, r: usize, c: usize) -> Mat<f64> {
    Mat::from_fn(r, c, |_, _| rng.sample(StandardNormal))
}

/// XᵀX / n for X with n rows (sequential product).
pub fn gram(x: MatRef<'_, f64>) -> Mat<f64> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut s = Mat::<f64>::zeros(d, d);
    matmul(
        s.as_mut(),
        Accum::Replace,
        x.transpose(),
        x,
        1.0 / n as f64,
        Par::Seq,
    );
    s
}

/// Eigenvalues (ascending) and, if asked, eigenvectors (columns) of a symmetric matrix (lower
/// half read), computed sequentially.
fn evd(a: MatRef<'_, f64>, vectors: bool) -> Result<(Vec<f64>, Option<Mat<f64>>), SimError> {
    let n = a.nrows();
    let compute = if vectors {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let mut u = vectors.then(|| Mat::<f64>::zeros(n, n));
    let mut s = Diag::<f64>::zeros(n);
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        compute,
        Par::Seq,
        Default::default(),
    ));
    self_adjoint_evd(
        a,
        s.as_mut(),
        u.as_mut().map(|u| u.as_mut()),
        Par::Seq,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| SimError::Numerical(format!("a {n} × {n} eigendecomposition failed ({e:?})")))?;
    Ok(((0..n).map(|i| s[i]).collect(), u))
}

/// Eigenvalues (ascending) of a symmetric matrix.
pub fn eigenvalues(a: MatRef<'_, f64>) -> Result<Vec<f64>, SimError> {
    Ok(evd(a, false)?.0)
}

/// Eigenvalues (ascending) and eigenvectors (columns, same order) of a symmetric matrix.
pub fn eigen(a: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>), SimError> {
    let (s, u) = evd(a, true)?;
    Ok((s, u.expect("eigenvectors were asked for")))
}

/// The flags of part `part` (the part's check name, unique across the catalog) of an entry run
/// as `parts` checks: its own output folder (`--out DIR` becomes DIR/PART, the default
/// out/ENTRY/PART; each `--merge` shard folder SHARD becomes SHARD/PART, where that part's shard
/// ran) and α / parts (Bonferroni), so that the entry's chance of calling a correct formula
/// wrong stays at most α.
pub fn part_args(a: &CommonArgs, entry: &str, part: &str, parts: usize) -> CommonArgs {
    let base = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(entry));
    let mut b = a.clone();
    b.out = Some(base.join(part));
    b.merge = a.merge.iter().map(|m| m.join(part)).collect();
    b.alpha = a.alpha / parts as f64;
    b.resume = resumable(a, &base.join(part));
    b
}

/// Whether a part in `dir` resumes under `--resume`: only where an interrupted run left its
/// checkpoint. A part the interrupted run had not reached may hold an earlier, other run's
/// finished results; it starts afresh (same seed, same numbers) instead of being refused.
pub fn resumable(a: &CommonArgs, dir: &std::path::Path) -> bool {
    a.resume && dir.join(engine::PARTIAL_UNITS_FILE).exists()
}

/// A relative margin read as absolute on a quantity whose natural scale is `scale` (a squared
/// overlap lies in [0, 1]): a relative margin around a limit of 0 would be empty.
pub fn margin_on_scale(m: Margin, scale: f64) -> Margin {
    match m {
        Margin::Relative(r) => Margin::Absolute(r * scale),
        absolute => absolute,
    }
}

/// Run every part of an entry with `run_part`, in order; the entry's verdict is the worst of
/// theirs ([`combine`]).
pub fn run_all<P: Copy>(
    parts: &[(P, &str)],
    mut run_part: impl FnMut(P) -> Result<RunVerdict, engine::HarnessError>,
) -> Result<RunVerdict, engine::HarnessError> {
    let vs: Vec<RunVerdict> = parts
        .iter()
        .map(|&(p, _)| run_part(p))
        .collect::<Result<_, _>>()?;
    Ok(combine(&vs))
}

/// The verdict of an entry from its parts' verdicts: disagree if any part disagrees, else
/// inconclusive if any is, else agree (a shard or theory-only run passes through).
pub fn combine(vs: &[RunVerdict]) -> RunVerdict {
    let any = |v: RunVerdict| vs.contains(&v);
    if any(RunVerdict::Disagree) {
        RunVerdict::Disagree
    } else if any(RunVerdict::Inconclusive) {
        RunVerdict::Inconclusive
    } else if any(RunVerdict::Shard) {
        RunVerdict::Shard
    } else if any(RunVerdict::TheoryOnly) {
        RunVerdict::TheoryOnly
    } else {
        RunVerdict::Agree
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn an_entry_is_as_bad_as_its_worst_part() {
        use RunVerdict::*;
        assert_eq!(combine(&[Agree, Agree]), Agree);
        assert_eq!(combine(&[Agree, Inconclusive]), Inconclusive);
        assert_eq!(combine(&[Inconclusive, Disagree, Agree]), Disagree);
        assert_eq!(combine(&[TheoryOnly, TheoryOnly]), TheoryOnly);
        assert_eq!(combine(&[Shard, Shard]), Shard);
    }

    #[test]
    fn each_part_has_its_folder_and_a_share_of_alpha() {
        let a = CommonArgs::parse_from(["t", "--out", "o", "--alpha", "0.03"]);
        let b = part_args(&a, "e", "e-bulk", 3);
        assert_eq!(b.out.as_deref(), Some(Path::new("o/e-bulk")));
        assert!((b.alpha - 0.01).abs() < 1e-15);
        let m = CommonArgs::parse_from(["t", "--merge", "s0", "s1"]);
        let b = part_args(&m, "e", "e-bulk", 2);
        assert_eq!(b.out.as_deref(), Some(Path::new("out/e/e-bulk")));
        assert_eq!(
            b.merge,
            vec![Path::new("s0/e-bulk"), Path::new("s1/e-bulk")]
        );
        assert_eq!(
            margin_on_scale(Margin::Relative(0.01), 1.0),
            Margin::Absolute(0.01)
        );
        assert_eq!(
            margin_on_scale(Margin::Absolute(0.02), 1.0),
            Margin::Absolute(0.02)
        );
    }
}
