#!/usr/bin/env python3
"""End-to-end speed of the linear-representation head-to-head: the NumPy baseline
(bench/linear_rep_numpy.py, dense NGD solves) vs `verify linear-rep`, same work (the spec's
defaults: d_x = 100, d_y = 20, k = 5, n = 1024, all ten methods, metrics every 10 iterations),
process start to finish, runs interleaved, median of --runs.

  cargo build --release && pip install numpy scipy && python3 bench/compare_linear_rep.py [--runs 3] [--iters 1500]

Run it on an idle machine.
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.join(ROOT, "target", "release", "verify")


def wall(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--iters", type=int, default=1500)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}; timings are only meaningful on an idle machine", file=sys.stderr)
    t_np, t_rs = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(a.runs):
            t_np.append(wall([sys.executable, os.path.join(HERE, "linear_rep_numpy.py"), "--iters", str(a.iters)]))
            t_rs.append(wall([BIN, "linear-rep", "--iters", str(a.iters), "--quiet", "--format", "none", "--out", out]))
    mn, mr = statistics.median(t_np), statistics.median(t_rs)
    print(f"linear-rep head-to-head, {a.iters} iterations, median of {a.runs}: numpy {mn:.2f} s, verify {mr:.2f} s, ratio {mn / mr:.1f}x")
    print(f"  numpy runs {', '.join(f'{t:.2f}' for t in t_np)}; verify runs {', '.join(f'{t:.2f}' for t in t_rs)}")


if __name__ == "__main__":
    main()
