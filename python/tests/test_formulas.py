"""Layer 1: the formulas as array functions, against closed forms, the Rust CLI, an independent
solver (freealg), a random-matrix simulation, and bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import List

import numpy as np
import pytest

import hdverify as h

ROOT = Path(__file__).resolve().parents[2]


def verify_binary() -> Path:
    """The `verify` executable built from this clone (VERIFY_BIN, or target/release/verify)."""
    path = Path(os.environ.get("VERIFY_BIN", ROOT / "target" / "release" / "verify"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build --release` first (or set VERIFY_BIN)")
    return path


def mp_m(z: np.ndarray, gamma: float) -> np.ndarray:
    """Marchenko–Pastur m(z) for Σ = I: the root of γ z m² + (z + γ − 1) m + 1 = 0 with
    Im m > 0 for Im z > 0 (for real z < 0: the positive root)."""
    a, b = gamma * z, z + gamma - 1
    disc = np.sqrt(b * b - 4 * a + 0j)
    roots = np.stack([(-b + disc) / (2 * a), (-b - disc) / (2 * a)])
    good = np.where(np.imag(z) > 0, roots.imag > 0, roots.real > 0)
    return np.where(good[0], roots[0], roots[1])


def mp_dm(z: np.ndarray, gamma: float) -> np.ndarray:
    """m′(z) by implicit differentiation of the Marchenko–Pastur quadratic."""
    m = mp_m(z, gamma)
    return -(gamma * m * m + m) / (2 * gamma * z * m + z + gamma - 1)


@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.9, 1.5, 4.0])
def test_marchenko_pastur_closed_form(gamma: float) -> None:
    z = np.array([0.5 + 0.01j, 1 + 1j, -2 + 0.3j, 5 + 0.1j, 0.1 + 3j, -0.5, -3.0, -1e-3])
    m = h.stieltjes(z, gamma, spectrum="identity")
    np.testing.assert_allclose(m, mp_m(z, gamma), rtol=1e-10)
    dm = h.stieltjes_derivative(z, gamma, spectrum="identity")
    np.testing.assert_allclose(dm, mp_dm(z, gamma), rtol=1e-8)


def test_explicit_eigenvalues_equal_the_family() -> None:
    # two-point family (half at 1, half at κ), normalised to mean 1, given as atoms.
    kappa = 10.0
    t = np.array([1.0, kappa]) / ((1 + kappa) / 2)
    z = np.array([1 + 0.5j, -0.7])
    fam = h.stieltjes(z, 0.5, kappa=kappa, spectrum="two-point")
    atoms = h.stieltjes(z, 0.5, eigenvalues=t, weights=[0.5, 0.5], normalize=False)
    np.testing.assert_allclose(fam, atoms, rtol=1e-13)


def test_a_random_matrix_agrees_with_m() -> None:
    """(1/d) tr (XᵀX/n − z)⁻¹ of one draw at d = 800, n = 1600, Im z = 1: its fluctuation is
    O(1/d) ≈ 1e-3 and its bias O(1/d²); tolerance 5e-3 (fails with probability < 1e-6)."""
    rng = np.random.default_rng(5)
    d, n, kappa = 800, 1600, 4.0
    eig = np.where(np.arange(d) < d // 2, 1.0, kappa)
    eig = eig / eig.mean()
    x = rng.standard_normal((n, d)) * np.sqrt(eig)
    s = x.T @ x / n
    lam = np.linalg.eigvalsh(s)
    for z in [1 + 1j, 2.5 + 1j, -1.0]:
        empirical = np.mean(1 / (lam - z))
        m = h.stieltjes(z, d / n, kappa=kappa, spectrum="two-point", d=d)
        assert abs(empirical - m) < 5e-3, (z, empirical, m)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # freealg's own overflow warnings
def test_density_matches_freealg() -> None:
    """freealg (an independent Python solver of the same Silverstein equation) at η = 1e-8; ours
    uses η = 1e-9 max(x, 1). Both solve to ~1e-12, the η difference moves the density by
    O(η / distance to an edge): inside the support, away from its edges, 1e-6 relative bounds it."""
    freealg = pytest.importorskip("freealg.distributions")
    t = np.array([1.0, 10.0])
    w = np.array([0.5, 0.5])
    t = t / (t @ w)
    x = np.linspace(0.01, 6.0, 301)
    ours = h.density(x, 0.5, eigenvalues=t, weights=w, normalize=False)
    theirs = freealg.DeformedMarchenkoPastur(t, w, 0.5).density(x, eta=1e-8)
    bulk = (ours > 1e-2) & (theirs > 1e-2)
    assert bulk.sum() > 150
    rel = np.abs(ours[bulk] - theirs[bulk]) / theirs[bulk]
    assert rel.max() < 1e-6, rel.max()


CLI_CASES = [
    ["--kappa", "1,4,10", "--psi", "0.5,2", "--methods", "all"],
    ["--kappa", "1,10", "--psi", "3", "--level", "direction", "--methods", "all",
     "--spectrum", "geometric", "--lambda", "0.001,1,100"],
    ["--kappa", "2,6", "--alignment", "sigma", "--methods", "sgd,kfac,whiten",
     "--activation", "relu", "--student", "erf", "--noise", "0"],
    ["--kappa", "5", "--psi", "1.5", "--methods", "kfac-power:0.25,kfac",
     "--spectrum", "linear", "--activation", "hermite:0,1,0.5", "--noise", "1"],
]


@pytest.mark.parametrize("args", CLI_CASES)
def test_rho_equals_the_cli_to_1e12(args: List[str], tmp_path: Path) -> None:
    out = subprocess.run(
        [str(verify_binary()), "single-index", "--theory-only", "--format", "json", "--quiet",
         "--out", str(tmp_path / "o")] + args,
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows
    for r in rows:
        if r["rho_theory"] is None:
            continue
        value = h.rho(
            r["method"], kappa=r["kappa"], psi=r["psi"], lambda_=r["lambda"], noise=r["noise"],
            spectrum=r["spectrum"], activation=r["activation"], student=r["student"],
            level=r["level"], alignment="sigma" if "--alignment" in args else "euclidean",
            d=r["d"],
        )
        assert abs(value - r["rho_theory"]) <= 1e-12, (r, value)


def test_broadcasting_and_methods_axis() -> None:
    kappa = np.array([1.0, 4.0, 10.0])[:, None]
    psi = np.array([0.5, 2.0, 8.0, 16.0])[None, :]
    one = h.rho("kfac", kappa=kappa, psi=psi)
    assert one.shape == (3, 4)
    both = h.rho(["sgd", "kfac"], kappa=kappa, psi=psi)
    assert both.shape == (3, 4, 2)
    np.testing.assert_array_equal(both[..., 1], one)
    # Lemma 3.12 vs 3.10: under anisotropy KFAC's direction is better aligned.
    assert np.all(both[1:, :, 1] > both[1:, :, 0])
    assert np.ndim(h.rho("sgd")) == 0


def test_lambda_opt_maximises_kfac() -> None:
    lo = h.lambda_opt(kappa=[1.0, 10.0], psi=2.0)
    for (lam, best), kappa in zip(lo, [1.0, 10.0]):
        around = h.rho("kfac", kappa=kappa, lambda_=lam * np.array([0.5, 1.0, 2.0]), level="direction")
        assert around[1] == pytest.approx(best, rel=1e-9)
        assert around[1] >= around.max() - 1e-12


def test_readout_risk_limits() -> None:
    # ρ = 1 with a linear teacher: the readout recovers the signal, the risk is the noise.
    r = h.readout_risk([1.0, 0.0], noise=0.3, activation="linear", degree=3)
    assert r[0] == pytest.approx(0.09, rel=1e-9)
    # ρ = 0: nothing is learned; the risk is the label variance (1 + noise²).
    assert r[1] == pytest.approx(1.09, rel=1e-9)


def test_linear_rep_rates() -> None:
    assert h.kfac_rate(0.5) == pytest.approx(0.5)
    assert h.kfac_rate(1.0) == pytest.approx(0.0)


def test_failures_raise_or_are_masked_never_nan() -> None:
    with pytest.raises(h.FormulaError) as e:
        h.stieltjes([1 + 1j, 2.0], 0.5)
    assert "Im z > 0" in str(e.value) and e.value.failures[0][0] == (1,)
    masked = h.stieltjes([1 + 1j, 2.0], 0.5, errors="mask")
    assert masked.mask.tolist() == [False, True]
    assert "Im z" in masked.reasons[1]
    with pytest.raises(h.FormulaError):
        h.rho("sgd", kappa=[1.0, -1.0])


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: h.rho("lbfgs"), "method"),
        (lambda: h.rho("sgd", level="neuron"), "level"),
        (lambda: h.rho("sgd", alignment="x"), "alignment"),
        (lambda: h.rho("sgd", spectrum="triangle"), "spectrum"),
        (lambda: h.rho("sgd", activation="cosh"), "activation"),
        (lambda: h.rho("sgd", d=1), "d"),
        (lambda: h.stieltjes(1j, 0.5, errors="ignore"), "errors"),
        (lambda: h.stieltjes(1j, 0.5, weights=[1.0]), "weights"),
        (lambda: h.stieltjes([1j, 2j], [0.5, 1, 2]), "broadcast"),
        (lambda: h.readout_risk(0.5, degree=0), "degree"),
    ],
)
def test_bad_arguments_name_the_argument(call, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        call()
    assert needle in str(e.value)
