#!/usr/bin/env python3
"""End-to-end speed: the NumPy/SciPy baseline a researcher would write vs `verify single-index`,
same work (d = 1000, psi = 4, kappa in {1, 10}, 8 trials, direction and network level, N = d),
process start to finish, runs interleaved, median of --runs. Prints one line per level and the ratio.

  cargo build --release && pip install numpy scipy && python3 bench/compare_numpy.py [--runs 5]

Run it on an idle machine (it warns when the load average says otherwise).
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "target", "release", "verify")

def wall(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - t0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", default=os.path.join(HERE, "numpy_baseline.py"))
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--psi", type=float, default=4.0)
    ap.add_argument("--trials", type=int, default=8)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}; timings are only meaningful on an idle machine", file=sys.stderr)
    common = ["--d", str(a.d), "--psi", str(a.psi), "--kappa", "1,10", "--trials", str(a.trials)]
    print(f"d={a.d} psi={a.psi} kappa=1,10 trials={a.trials}; median of {a.runs} runs, wall seconds")
    for level in ["direction", "network"]:
        t_np, t_rs = [], []
        with tempfile.TemporaryDirectory() as out:
            for _ in range(a.runs):
                t_np.append(wall([sys.executable, a.baseline, *common, "--level", level]))
                t_rs.append(wall([BIN, "single-index", *common, "--level", level, "--quiet", "--out", out]))
        np_med, rs_med = statistics.median(t_np), statistics.median(t_rs)
        print(f"{level:<10} numpy {np_med:7.3f} s (runs {', '.join(f'{t:.2f}' for t in t_np)})   "
              f"verify {rs_med:7.3f} s (runs {', '.join(f'{t:.2f}' for t in t_rs)})   speed-up {np_med / rs_med:5.2f}x")

if __name__ == "__main__":
    main()
