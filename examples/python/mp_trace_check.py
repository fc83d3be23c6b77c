"""A researcher's own formula, checked from NumPy: the Marchenko–Pastur resolvent trace.

    lim (1/d) tr (XᵀX/n + λ I)⁻¹ = m(−λ),  x ~ N(0, I_d), γ = d/n,

with m the Marchenko–Pastur Stieltjes transform (closed form below). The trial draws X and
computes the trace; verify's engine does the rest: per-unit random streams, the finite-size
bias measured at d/4, the verdict, checkpoints, figures and the exit code.

    python examples/python/mp_trace_check.py                 # verdict, exit code 0/1/4
    python examples/python/mp_trace_check.py --trials auto   # the engine's flags work
    python examples/python/mp_trace_check.py --shard 0/2 --out s0   # …as do shards and merge
"""

from typing import Dict, List

import numpy as np

import hdverify as hv


def mp_trace(p: Dict[str, float]) -> List[float]:
    """m(−λ): the root of γ z m² + (z + γ − 1) m + 1 = 0 at z = −λ that is positive."""
    g, z = p["gamma"], -p["lam"]
    b = z + g - 1
    return [(-b - np.sqrt(b * b - 4 * g * z)) / (2 * g * z)]


def trial(p: Dict[str, float], rng: np.random.Generator) -> List[float]:
    """One draw of (1/d) tr (XᵀX/n + λ)⁻¹ at d = p["d"], n = d/γ."""
    d = int(p["d"])
    n = int(round(d / p["gamma"]))
    x = rng.standard_normal((n, d))
    eigenvalues = np.linalg.eigvalsh(x.T @ x / n)
    return [float(np.mean(1.0 / (eigenvalues + p["lam"])))]


if __name__ == "__main__":
    hv.main(
        name="mp-trace",
        quantities=["trace"],
        theory=mp_trace,
        trial=trial,
        # γ on both sides of 1, λ over a decade, d large enough for a 1 % margin.
        grid={"gamma": [0.25, 0.5, 2.0], "lam": [0.1, 1.0], "d": [200]},
        trials=200,
        out="out/mp-trace",
        format="table",
    )
