#!/usr/bin/env python3
"""Independent reference implementation of docs/single-index-model.md (theory only).

Written from the spec, sharing no code with the Rust crates, in 40-digit arithmetic (mpmath):
- teacher moments by mpmath.quad over (-inf, 0, inf) (the split handles relu's kink);
- the ridge resolvent through the effective regularisation k = 1/v of the deterministic
  equivalent, lambda = k (1 - gamma * int t/(t+k) dH), solved by bisection, then
  m(-lambda) = (k/lambda) int dH/(t+k);
- m'(-lambda) by numerical differentiation of m in lambda (mpmath.diff), not by a formula.
Writes tests/reference/theory_reference.csv, which tests/theory_reference.rs holds the `verify`
binary against (1e-7 relative). Regenerate: pip install mpmath && python3 tests/reference/spec_reference.py
"""
import csv, math, os, random
import mpmath as mp

mp.mp.dps = 40
HERE = os.path.dirname(os.path.abspath(__file__))
SPECTRUM_FILE = os.path.join(HERE, "..", "data", "spectrum_weighted.txt")

def atoms(family, kappa, d, normalize):
    if family == "identity":
        a = [(mp.mpf(1), mp.mpf(1))]
    elif family == "two-point":
        a = [(mp.mpf(1), mp.mpf(1) / 2), (mp.mpf(kappa), mp.mpf(1) / 2)]
    elif family == "geometric":
        a = [(mp.mpf(kappa) ** (mp.mpf(i) / (d - 1)), mp.mpf(1) / d) for i in range(d)]
    elif family == "linear":
        a = [(1 + (mp.mpf(kappa) - 1) * mp.mpf(i) / (d - 1), mp.mpf(1) / d) for i in range(d)]
    elif family == "file":
        rows = [l.split("#")[0].split() for l in open(SPECTRUM_FILE)]
        rows = [r for r in rows if r]
        tot = sum(mp.mpf(r[1]) for r in rows)
        a = [(mp.mpf(r[0]), mp.mpf(r[1]) / tot) for r in rows]
    if normalize:
        mean = sum(t * w for t, w in a)
        a = [(t / mean, w) for t, w in a]
    return a

def act(name):
    if name == "tanh": return mp.tanh
    if name == "relu": return lambda z: max(z, 0)
    if name == "erf": return mp.erf
    if name == "sigmoid": return lambda z: 1 / (1 + mp.exp(-z))
    if name == "softplus": return lambda z: mp.log(1 + mp.exp(z))
    if name == "linear": return lambda z: z
    if name.startswith("hermite:"):
        c = [mp.mpf(x) for x in name[8:].split(",")]
        def f(z):
            # probabilists' Hermite by explicit recurrence
            s, h0, h1 = c[0], mp.mpf(1), z
            for k in range(1, len(c)):
                s += c[k] * h1
                h0, h1 = h1, z * h1 - k * h0
            return s
        return f
    raise ValueError(name)

def gauss_mean(f, var):
    sd = mp.sqrt(var)
    dens = lambda z: mp.exp(-z * z / (2 * var)) / (sd * mp.sqrt(2 * mp.pi))
    return mp.quad(lambda z: f(z) * dens(z), [-mp.inf, -sd, 0, sd, mp.inf])

def resolvent_m(a, gamma, lam):
    lam = mp.mpf(lam)
    g = lambda k: k * (1 - gamma * sum(w * t / (t + k) for t, w in a)) - lam
    lo, hi = lam, lam + gamma * max(t for t, _ in a) + 1
    while g(hi) < 0:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if g(mid) < 0: lo = mid
        else: hi = mid
    k = (lo + hi) / 2
    return k / lam * sum(w / (t + k) for t, w in a)

def point(family, kappa, psi, activation, noise, lam, d, normalize):
    a = atoms(family, kappa, d, normalize)
    gamma = 1 / mp.mpf(psi)
    tau1 = sum(t * w for t, w in a); tau2 = sum(t * t * w for t, w in a)
    f = act(activation)
    c1 = gauss_mean(lambda z: z * f(z), tau1) / tau1
    s2 = gauss_mean(lambda z: f(z) ** 2, tau1)
    noise = mp.mpf(noise)
    rho_sgd = abs(c1) * tau1 / mp.sqrt(c1 ** 2 * tau2 + gamma * tau1 * (s2 + noise ** 2))
    r2 = s2 - c1 ** 2 * tau1 + noise ** 2
    if lam == 0:
        m = sum(w / t for t, w in a) / (1 - gamma); mprime = None
        rho_kfac = abs(c1) / mp.sqrt(c1 ** 2 + gamma * r2 * m)
    else:
        lam_ = mp.mpf(lam)
        m = resolvent_m(a, gamma, lam_)
        # m'(z) at z = -lambda is -dM/dlambda for M(lambda) = m(-lambda)
        mprime = -mp.diff(lambda l: resolvent_m(a, gamma, l), lam_)
        rho_kfac = abs(c1) * (1 - lam_ * m) / mp.sqrt(c1 ** 2 * (1 - 2 * lam_ * m + lam_ ** 2 * mprime) + gamma * r2 * (m - lam_ * mprime))
    return dict(tau1=tau1, tau2=tau2, c1=c1, s2=s2, m=m, m_prime=mprime, rho_sgd=rho_sgd, rho_kfac=rho_kfac)

def main():
    rng = random.Random(20261128)
    families = ["identity", "two-point", "geometric", "linear", "file"]
    acts = ["tanh", "relu", "erf", "sigmoid", "softplus", "linear", "hermite:0.2,1,0.5,-0.3", "hermite:0,0.7,0,0.4"]
    cases = []
    for i in range(64):
        fam = families[i % len(families)]
        act_ = acts[i % len(acts)]
        kappa = round(math.exp(rng.uniform(0, math.log(30))), 4)
        psi = round(math.exp(rng.uniform(math.log(0.2), math.log(20))), 4)
        lam = round(math.exp(rng.uniform(math.log(1e-3), math.log(10))), 6)
        if i % 13 == 5 and psi > 1: lam = 0.0
        noise = round(rng.uniform(0, 1.5), 4)
        d = rng.choice([2, 10, 100, 1000, 4000]) if fam in ("geometric", "linear") else 1000
        normalize = (i % 9 != 4)
        cases.append((fam, kappa, psi, act_, noise, lam, d, normalize))
    out = os.path.join(HERE, "theory_reference.csv")
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        keys = ["tau1", "tau2", "c1", "s2", "m", "m_prime", "rho_sgd", "rho_kfac"]
        w.writerow(["spectrum", "kappa", "psi", "activation", "noise", "lambda", "d", "normalize"] + keys)
        for c in cases:
            r = point(*c)
            fam = "file:tests/data/spectrum_weighted.txt" if c[0] == "file" else c[0]
            w.writerow([fam, *c[1:7], "true" if c[7] else "false"] +
                       ["" if r[k] is None else mp.nstr(r[k], 17) for k in keys])
            print(c, mp.nstr(r["rho_sgd"], 10), mp.nstr(r["rho_kfac"], 10), flush=True)

if __name__ == "__main__":
    main()
