#!/usr/bin/env python3
"""NumPy baseline for the linear-representation head-to-head: the prototype a researcher would write.

Same work as `verify linear-rep` (docs/linear-rep-model.md, uniform data, high
anisotropy): the ten optimizers on fresh batches shared by all methods, metrics every
`--log-every` iterations. Dense (F + rho I)^-1 solves for both NGD variants (what the spec's
pitfall 9 describes), NumPy's multi-threaded BLAS. Prints the final distance per method and the wall
time. Not bit-identical to verify (different random streams); the distances should be similar.

  python3 bench/linear_rep_numpy.py --iters 1500
  python3 bench/compare_linear_rep.py   # runs both and prints the ratio
"""
import argparse, time
import numpy as np
from scipy.linalg import expm, cho_factor, cho_solve


def haar(r, c, rng):
    q, rr = np.linalg.qr(rng.standard_normal((r, c)))
    return q * np.sign(np.diag(rr))


def head(A, h, rng):
    k = A.shape[1]
    F = A @ expm(rng.standard_normal((k, k)) * h / np.sqrt(k))
    return F / np.linalg.norm(F, 2)


def sigma_high(dx, rng):
    U = haar(dx, dx, rng)
    return (U * np.logspace(0, -3, dx)) @ U.T


def sqrtm_sym(S):
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(w)) @ V.T, (V / np.sqrt(w)) @ V.T


def retract(F, G):
    Q, R = np.linalg.qr(G.T)
    s = np.sign(np.diag(R))
    return F @ (R * s[:, None]).T, (Q * s).T


def fls(G, X, Y):
    Z = X @ G.T
    return np.linalg.solve(Z.T @ Z, Z.T @ Y).T


def grads(F, G, X, Y):
    n = X.shape[0]
    Z = X @ G.T
    R = Z @ F.T - Y
    return R.T @ Z / n, F.T @ (R.T @ X) / n


def vec(M):
    return M.reshape(-1, order="F")


def unvec(v, F, G):
    p1 = F.size
    return v[:p1].reshape(F.shape, order="F"), v[p1:].reshape(G.shape, order="F")


def ngd_exact(F, G, X, Y, lr, damp):
    n = X.shape[0]
    gF, gG = grads(F, G, X, Y)
    Sx = X.T @ X / n
    Sz = G @ Sx @ G.T
    dy, k = F.shape
    FG = np.kron(G @ Sx, F)  # (G Σ̂x) ⊗ F
    Fi = np.block([[np.kron(Sz, np.eye(dy)), FG], [FG.T, np.kron(Sx, F.T @ F)]])
    rho = damp * np.trace(Fi) / Fi.shape[0]
    d = np.linalg.solve(Fi + rho * np.eye(Fi.shape[0]), np.concatenate([vec(gF), vec(gG)]))
    dF, dG = unvec(d, F, G)
    return retract(F - lr * dF, G - lr * dG)


def ngd_emp(F, G, X, Y, lr, damp):
    n = X.shape[0]
    Z = X @ G.T
    R = Z @ F.T - Y
    S = R @ F
    Gam = np.concatenate([(Z[:, :, None] * R[:, None, :]).reshape(n, -1),
                          (X[:, :, None] * S[:, None, :]).reshape(n, -1)], axis=1)
    Fi = Gam.T @ Gam / n
    rho = damp * np.trace(Fi) / Fi.shape[0]
    d = np.linalg.solve(Fi + rho * np.eye(Fi.shape[0]), Gam.mean(axis=0))
    dF, dG = unvec(d, F, G)
    return retract(F - lr * dF, G - lr * dG)


def step(m, st, B1, B2, lr, lr_ngd):
    F, G = st["F"], st["G"]
    (X1, Y1), (X2, Y2) = B1, B2
    if m == "sgd":
        gF, gG = grads(F, G, X1, Y1)
        F, G = retract(F - lr * gF, G - lr * gG)
    elif m in ("amgd", "amgd-bn", "amgd-whiten"):
        F = fls(G, X1, Y1)
        F, G = retract(F, G - lr * grads(F, G, X2, Y2)[1])
    elif m == "dfw":
        F = fls(G, X1, Y1)
        Sx = X2.T @ X2 / X2.shape[0]
        F, G = retract(F, G - lr * np.linalg.solve(Sx, grads(F, G, X2, Y2)[1].T).T)
    elif m in ("kfac", "kfac-etaf1"):
        eta_f = 1.0 if m == "kfac-etaf1" else lr
        F = (1 - eta_f) * F + eta_f * fls(G, X1, Y1)
        Sx = X2.T @ X2 / X2.shape[0]
        gG = grads(F, G, X2, Y2)[1]
        F, G = retract(F, G - lr * np.linalg.solve(F.T @ F, np.linalg.solve(Sx, gG.T).T))
    elif m == "adam":
        gF, gG = grads(F, G, X1, Y1)
        st["t"] += 1
        t = st["t"]
        for key, g in (("F", gF), ("G", gG)):
            st["m" + key] = 0.9 * st["m" + key] + 0.1 * g
            st["v" + key] = 0.999 * st["v" + key] + 0.001 * g * g
            upd = lr * (st["m" + key] / (1 - 0.9 ** t)) / (np.sqrt(st["v" + key] / (1 - 0.999 ** t)) + 1e-8)
            if key == "F":
                F = F - upd
            else:
                G = G - upd
        F, G = retract(F, G)
    elif m == "ngd":
        F, G = ngd_exact(F, G, X1, Y1, lr_ngd, 1e-3)
    elif m == "ngd-empf":
        F, G = ngd_emp(F, G, X1, Y1, lr_ngd, 1e-3)
    st["F"], st["G"] = F, G


def dist(G, Gs):
    return np.linalg.norm(G.T - Gs.T @ (Gs @ G.T), 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dx", type=int, default=100)
    ap.add_argument("--dy", type=int, default=20)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--iters", type=int, default=1500)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--lr-ngd", type=float, default=0.1)
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    Gs = haar(a.dx, a.k, rng).T
    A = rng.standard_normal((a.dy, a.k)) / np.sqrt(a.dy)
    Ftr, Fte = head(A, 0.5, rng), head(A, 0.5, rng)
    Str, Ste = sigma_high(a.dx, rng), sigma_high(a.dx, rng)
    Sh, Sih = sqrtm_sym(Str)
    Sh_te, _ = sqrtm_sym(Ste)

    def batch(n, Sq, Fh):
        X = rng.choice([-1.0, 1.0], size=(n, a.dx)) @ Sq
        return X, X @ (Fh @ Gs).T + a.noise * rng.standard_normal((n, a.dy))

    def bn(B):
        X, Y = B
        return (X - X.mean(0)) / X.std(0), Y

    def white(B):
        return B[0] @ Sih, B[1]

    methods = ["sgd", "amgd", "dfw", "kfac", "kfac-etaf1", "adam", "ngd", "ngd-empf", "amgd-bn", "amgd-whiten"]
    view = {"amgd-bn": bn, "amgd-whiten": white}
    G0 = haar(a.dx, a.k, rng).T
    B0 = batch(a.n, Sh, Ftr)
    st = {}
    for m in methods:
        B = view.get(m, lambda b: b)(B0)
        st[m] = {"F": fls(G0, *B), "G": G0.copy(), "t": 0, "mF": 0.0, "vF": 0.0, "mG": 0.0, "vG": 0.0}
    t0 = time.perf_counter()
    for t in range(1, a.iters + 1):
        B1, B2 = batch(a.n, Sh, Ftr), batch(a.n, Sh, Ftr)
        for m in methods:
            f = view.get(m, lambda b: b)
            with np.errstate(all="ignore"):
                try:
                    step(m, st[m], f(B1), f(B2), a.lr, a.lr_ngd)
                except np.linalg.LinAlgError:
                    pass
        if t % a.log_every == 0:
            XT, YT = batch(200, Sh_te, Fte)
            for m in methods:
                with np.errstate(all="ignore"):
                    try:
                        G = st[m]["G"]
                        dist(G, Gs)
                        Fh = fls(G, XT, YT)
                        M = Fte @ Gs - Fh @ G
                        np.trace(M @ Ste @ M.T)
                    except (np.linalg.LinAlgError, ValueError):
                        pass
    wall = time.perf_counter() - t0
    for m in methods:
        with np.errstate(all="ignore"):
            try:
                d = dist(st[m]["G"], Gs)
            except (np.linalg.LinAlgError, ValueError):
                d = float("nan")
        print(f"{m:12s} dist {d:.4f}")
    print(f"wall {wall:.2f} s")


if __name__ == "__main__":
    main()
