#!/usr/bin/env python3
"""Independent NumPy Monte Carlo of the spec's two simulation levels, for cross-checking `verify`.

Written from docs/single-index-model.md only: full network gradient (both halves of W0, no
symmetry shortcut), exact SVD (no power iteration), NumPy's own RNG. For each configuration it
runs T trials here and `verify single-index` with T trials, and compares the two Monte Carlo means
(z = difference / combined SE; both estimate the same finite-size expectation, so |z| > 3.5 would
be a real discrepancy). Needs numpy, scipy and a release build:

  cargo build --release && python3 tests/reference/sim_reference.py [--trials 200]
"""
import argparse, json, os, subprocess, tempfile
import numpy as np
from scipy.special import erf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "verify")

def sigma(name):
    if name == "tanh": return np.tanh, lambda z: 1 - np.tanh(z) ** 2
    if name == "relu": return (lambda z: np.maximum(z, 0)), (lambda z: (z > 0).astype(float))
    if name == "erf": return erf, (lambda z: 2 / np.sqrt(np.pi) * np.exp(-z * z))
    if name == "sigmoid":
        s = lambda z: 1 / (1 + np.exp(-z)); return s, (lambda z: s(z) * (1 - s(z)))
    if name == "softplus": return (lambda z: np.logaddexp(0, z)), (lambda z: 1 / (1 + np.exp(-z)))
    if name == "linear": return (lambda z: z), (lambda z: np.ones_like(z))
    if name.startswith("hermite:"):
        c = np.array([float(x) for x in name[8:].split(",")])
        f = lambda z: np.polynomial.hermite_e.hermeval(z, c)
        return f, (lambda z: np.polynomial.hermite_e.hermeval(z, np.polynomial.hermite_e.hermeder(c)))
    raise ValueError(name)

def eigenvalues(spec, kappa, d):
    i = np.arange(d)
    if spec == "identity": v = np.ones(d)
    elif spec.startswith("two-point"):
        p = float(spec.split(":")[1]) if ":" in spec else 0.5
        k = int(round(p * d)); v = np.ones(d); v[d - k:] = kappa
    elif spec == "geometric": v = kappa ** (i / (d - 1))
    elif spec == "linear": v = 1 + (kappa - 1) * i / (d - 1)
    elif spec.startswith("file:"):
        rows = [l.split("#")[0].split() for l in open(os.path.join(ROOT, spec[5:]))]
        rows = sorted([(float(r[0]), float(r[1]) if len(r) > 1 else 1.0) for r in rows if r])
        vals = np.array([r[0] for r in rows]); w = np.array([r[1] for r in rows]); cw = np.cumsum(w / w.sum())
        q = (i + 0.5) / d
        v = vals[np.minimum(np.searchsorted(cw, q), len(vals) - 1)]
    return v / v.mean()

def corr(u, b):
    return abs(u @ b) / (np.linalg.norm(u) * np.linalg.norm(b))

def trial(cfg, rng):
    d = cfg["d"]; n = int(round(cfg["psi"] * d)); lam = cfg["lambda"]
    sq = np.sqrt(eigenvalues(cfg["spectrum"], cfg["kappa"], d))
    X = rng.standard_normal((n, d)) * sq
    beta = rng.standard_normal(d) / np.sqrt(d)
    f, _ = sigma(cfg["activation"])
    y = f(X @ beta) + cfg["noise"] * rng.standard_normal(n)
    P = X.T @ X / n + lam * np.eye(d)
    if cfg["level"] == "direction":
        g = X.T @ y / n
        return corr(g, beta), corr(np.linalg.solve(P, g), beta)
    N = cfg["width"]; s, ds = sigma(cfg["student"])
    Wh = rng.standard_normal((N // 2, d)) / np.sqrt(d)
    W0 = np.vstack([Wh, Wh]); a = np.concatenate([np.ones(N // 2), -np.ones(N // 2)])
    H = X @ W0.T
    r = y - s(H) @ a / np.sqrt(N)                         # f = 0 at init, kept general
    G = -((ds(H) * r[:, None] * a[None, :] / np.sqrt(N)).T @ X) / n   # dL/dW, N x d
    D_sgd = -np.sqrt(N) * G
    D_kfac = -np.sqrt(N) * np.linalg.solve(P, G.T).T      # G P^-1 (P symmetric), Q = I
    top = lambda M: np.linalg.svd(M, full_matrices=False)[2][0]
    return corr(top(D_sgd), beta), corr(top(D_kfac), beta)

CONFIGS = [
    dict(spectrum="geometric", kappa=5.0, psi=1.5, activation="relu", student="erf", noise=0.3, **{"lambda": 0.05}, d=400, width=400, level="network"),
    dict(spectrum="linear", kappa=20.0, psi=0.7, activation="sigmoid", student="tanh", noise=0.1, **{"lambda": 0.5}, d=500, width=500, level="direction"),
    dict(spectrum="file:tests/data/spectrum_weighted.txt", kappa=1.0, psi=3.0, activation="hermite:0.2,1,0.5,-0.3", student="softplus", noise=0.2, **{"lambda": 0.2}, d=300, width=300, level="network"),
    dict(spectrum="identity", kappa=1.0, psi=0.5, activation="erf", student="tanh", noise=1.0, **{"lambda": 1.0}, d=400, width=200, level="network"),
    dict(spectrum="two-point:0.2", kappa=30.0, psi=2.0, activation="linear", student="relu", noise=0.5, **{"lambda": 0.01}, d=400, width=600, level="network"),
    dict(spectrum="geometric", kappa=100.0, psi=4.0, activation="softplus", student="sigmoid", noise=0.0, **{"lambda": 0.1}, d=250, width=250, level="network"),
]

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--trials", type=int, default=200); ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    worst = 0.0
    print(f"{'config':<58} {'method':<5} {'numpy':>16} {'verify':>16} {'theory':>8} {'z':>6}")
    for cfg in CONFIGS:
        r = np.array([trial(cfg, rng) for _ in range(args.trials)])
        with tempfile.TemporaryDirectory() as out:
            cmd = [BIN, "single-index", "--quiet", "--format", "json", "--trials", str(args.trials), "--out", out, "--seed", str(args.seed)]
            for k in ["spectrum", "kappa", "psi", "activation", "student", "noise", "lambda", "d", "width", "level"]:
                cmd += [f"--{k}", str(cfg[k])]
            rows = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout)
        label = f"{cfg['spectrum'].replace('file:tests/data/', '')} k={cfg['kappa']} psi={cfg['psi']} {cfg['activation']}/{cfg['student']} {cfg['level']}"
        for j, row in enumerate(rows):
            m, se = r[:, j].mean(), r[:, j].std(ddof=1) / np.sqrt(len(r))
            z = (row["rho_sim"] - m) / np.hypot(se, row["rho_sim_se"])
            worst = max(worst, abs(z))
            print(f"{label[:58]:<58} {row['method']:<5} {m:.4f}±{se:.4f}    {row['rho_sim']:.4f}±{row['rho_sim_se']:.4f}   {row['rho_theory']:.4f} {z:6.2f}")
    print(f"max |z| = {worst:.2f} over {2 * len(CONFIGS)} comparisons")

if __name__ == "__main__":
    main()
