"""Benchmarks of the Python package (hdverify), same-run ratios (docs/python.md, BENCHMARKS.md).

1. The array functions on a 10⁵-point grid:
   - the limiting density (two-point κ = 10, γ = ½) against freealg's
     DeformedMarchenkoPastur.density (η = 1e-8), the Python peer solving the same equation;
   - m(−λ) on 10⁵ ridges against the straightforward SciPy implementation: brentq per point on
     the companion equation λ = 1/v − γ ∫ t/(1 + t v) dH.
2. The per-unit overhead of a Python trial through the engine (a trial that returns at once).
3. The worker speed-up: a NumPy trial (d = 160 eigendecomposition, BLAS on one thread) with
   1 and 2 worker processes.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/python_package.py [--points 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

import hdverify as hv


def best_of(runs: int, f: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def spectrum() -> tuple:
    t = np.array([1.0, 10.0])
    w = np.array([0.5, 0.5])
    return t / (t @ w), w


def bench_density(points: int, runs: int) -> None:
    from freealg.distributions import DeformedMarchenkoPastur

    t, w = spectrum()
    x = np.linspace(0.01, 6.0, points)
    ours = best_of(runs, lambda: hv.density(x, 0.5, eigenvalues=t, weights=w, normalize=False))
    fa = DeformedMarchenkoPastur(t, w, 0.5)
    theirs = best_of(1, lambda: fa.density(x, eta=1e-8))
    print(f"density, {points} points: hdverify {ours:.3f} s, freealg {theirs:.2f} s, "
          f"ratio {theirs / ours:.0f}x")


def brentq_m(lams: np.ndarray, gamma: float, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    from scipy.optimize import brentq

    out = np.empty_like(lams)
    for i, lam in enumerate(lams):
        f = lambda v: 1.0 / v - gamma * np.sum(w * t / (1 + t * v)) - lam
        v = brentq(f, 1e-300, 1.0 / lam, xtol=1e-300, rtol=1e-15)
        out[i] = np.sum(w / (1 + t * v)) / lam  # m(-λ) = ∫ 1/(1 + t v) dH / λ
    return out


def bench_negative_axis(points: int, runs: int) -> None:
    t, w = spectrum()
    lams = np.logspace(-3, 3, points)
    ours = best_of(runs, lambda: hv.stieltjes(-lams, 0.5, eigenvalues=t, weights=w, normalize=False))
    sub = lams[:: max(1, points // 2000)]
    theirs_sub = best_of(1, lambda: brentq_m(sub, 0.5, t, w))
    theirs = theirs_sub * points / len(sub)
    m = np.real(hv.stieltjes(-sub, 0.5, eigenvalues=t, weights=w, normalize=False))
    err = np.max(np.abs(m - brentq_m(sub, 0.5, t, w)) / m)
    print(f"m(-lambda), {points} points: hdverify {ours:.3f} s, SciPy brentq {theirs:.1f} s "
          f"(timed on {len(sub)}, scaled), ratio {theirs / ours:.0f}x, max rel. difference {err:.1e}")


def instant(p: Dict[str, float], rng: np.random.Generator) -> List[float]:
    return [0.0]


def zero(p: Dict[str, float]) -> List[float]:
    return [0.0]


def eig_trial(p: Dict[str, float], rng: np.random.Generator) -> List[float]:
    d = int(p["d"])
    x = rng.standard_normal((2 * d, d))
    return [float(np.mean(np.linalg.eigvalsh(x.T @ x / (2 * d))))]


def one(p: Dict[str, float]) -> List[float]:
    return [1.0]


def bench_overhead(runs: int) -> None:
    units = 20_000
    with tempfile.TemporaryDirectory() as tmp:
        def go() -> None:
            hv.check(name="overhead", quantities=["q"], theory=zero, trial=instant,
                     grid={"a": list(range(units // 1000))}, trials=1000, workers=1,
                     dimension_axes=[], out=Path(tmp) / "o")

        secs = best_of(runs, go)
    print(f"per-unit overhead (workers=1, a trial that returns at once): "
          f"{secs / units * 1e6:.1f} us per unit over {units} units")


def bench_workers(runs: int) -> None:
    grid = {"d": [160], "k": [1, 2, 3, 4]}
    with tempfile.TemporaryDirectory() as tmp:
        times = {}
        for w in (1, 2):
            times[w] = best_of(runs, lambda: hv.check(
                name="eig", quantities=["mean"], theory=one, trial=eig_trial, grid=grid,
                trials=100, workers=w, dimension_axes=[], out=Path(tmp) / f"w{w}"))
    print(f"NumPy trial (eigvalsh, d = 160), 400 units: 1 worker {times[1]:.2f} s, "
          f"2 workers {times[2]:.2f} s, speed-up {times[1] / times[2]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
    print(f"machine: {model}; numpy {np.__version__}; hdverify {hv.__version__}")
    bench_density(a.points, a.runs)
    bench_negative_axis(a.points, a.runs)
    bench_overhead(a.runs)
    bench_workers(a.runs)


if __name__ == "__main__":
    main()
