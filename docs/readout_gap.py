"""Reproduces docs/readout.md's table: (R_K − R*)/Var f = Σ_{k>K} c_k² ρ^{2k} / Var f at K = 6,
τ1 = 1, for relu, tanh and erf (erf(z), not erf(z/√2)), two independent ways:

  series: c_k = E[f(g) h_k(g)] (h_k = He_k/√k!) by composite Gauss–Legendre (2 × 400 panels of
          20 nodes on [−12, 12], a panel edge at relu's kink), summed for 6 < k ≤ 120;
  Mehler: Σ_{k≥0} c_k² ρ^{2k} = E[f(g) f(g')] for a standard pair with correlation ρ², a 2-D
          composite Gauss–Legendre (outer 2 × 60 panels of 20 nodes on [−9, 9]; inner 2 × 40
          panels of 40 nodes on [−12, 12], split where f's argument is 0), minus Σ_{k≤6} c_k² ρ^{2k}.

Run: python3 docs/readout_gap.py   (numpy, scipy; a few seconds)."""
import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import erf

TEACHERS = {"relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh, "erf": erf}
K, KMAX, RHOS = 6, 120, (0.5, 0.8, 0.95)


def panels(lo, hi, count, per):
    """Nodes and N(0, 1)-weighted weights of composite Gauss–Legendre on [lo, hi] (arrays of
    intervals allowed: lo, hi of shape (m,) give (m, count·per))."""
    x, w = leggauss(per)
    lo, hi = np.atleast_1d(lo)[:, None], np.atleast_1d(hi)[:, None]
    h = (hi - lo) / count
    a = lo + h * np.arange(count)
    nodes = (a[..., None] + 0.5 * h[..., None] * (x + 1)).reshape(lo.shape[0], -1)
    weights = (0.5 * h[..., None] * w * np.ones_like(a[..., None])).reshape(lo.shape[0], -1)
    return nodes, weights * np.exp(-nodes**2 / 2) / np.sqrt(2 * np.pi)


def split(lo, hi, at, count, per):
    n1, w1 = panels(lo, at, count, per)
    n2, w2 = panels(at, hi, count, per)
    return np.hstack([n1, n2]), np.hstack([w1, w2])


def hermite(g, kmax):
    h = [np.ones_like(g), g]
    for k in range(1, kmax):
        h.append((g * h[k] - np.sqrt(k) * h[k - 1]) / np.sqrt(k + 1))
    return np.array(h)


X, W = (a[0] for a in split(-12.0, 12.0, 0.0, 400, 20))
T, WT = (a[0] for a in split(-9.0, 9.0, 0.0, 60, 20))
for name, f in TEACHERS.items():
    c = hermite(X, KMAX) @ (W * f(X))
    var = W @ f(X) ** 2 - c[0] ** 2
    row = []
    for rho in RHOS:
        r2 = rho * rho
        series = sum(c[k] ** 2 * rho ** (2 * k) for k in range(K + 1, KMAX + 1))
        s = np.sqrt(1 - r2 * r2)
        nodes, weights = split(np.full(T.size, -12.0), np.full(T.size, 12.0), -r2 * T / s, 40, 40)
        inner = (weights * f(r2 * T[:, None] + s * nodes)).sum(axis=1)
        mehler = WT @ (f(T) * inner) - sum(c[k] ** 2 * rho ** (2 * k) for k in range(K + 1))
        row.append(f"ρ = {rho}: {series / var:.4e} (series) {mehler / var:.4e} (Mehler)")
    print(f"{name:5} Var f = {var:.6f}  " + "  ".join(row))
