"""A check written in Python, run by verify's engine.

You write the formula and one Monte Carlo trial in NumPy; the engine does the rest exactly as
for a Rust check: a random stream per (grid point, trial) unit (your trial gets a
``numpy.random.Generator`` seeded from it, so results are identical for any number of workers),
the finite-size handling (a grid axis named ``d`` is the dimension; the engine measures the bias
at d/4 and brackets the limit), the three-outcome verdict, checkpoints and ``resume``, shards and
merge, result files, figures, the report and the exit code.

Trials run in parallel in worker processes (``workers``, default: the number of cores); with
``workers=1`` they run in this process. Worker processes are started with ``fork``, so
functions defined in a notebook or a script work without being importable.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._runner import run_interruptibly

TrialError = _native.TrialError

Params = Dict[str, float]
Theory = Callable[[Params], Sequence[Optional[float]]]
Trial = Callable[[Params, np.random.Generator], Sequence[float]]

__all__ = ["check", "main", "CheckResult", "TrialError"]


@dataclass
class CheckResult:
    """What a run wrote and decided: the same files and exit code as the command line."""

    name: str
    out: Path
    verdict: str
    exit_code: int
    _table: Any = field(default=None, repr=False)

    @property
    def table(self) -> "Any":
        """The result rows (a pandas DataFrame; the same columns as ``NAME.csv``)."""
        if self._table is None:
            import pandas as pd

            self._table = pd.read_csv(self.out / f"{self.name}.csv")
        return self._table

    @property
    def figures(self) -> List[Path]:
        """The SVG figures of the run."""
        return sorted(self.out.glob("*.svg"))

    @property
    def report(self) -> str:
        """The run's report (Markdown)."""
        p = self.out / "report.md"
        return p.read_text() if p.exists() else ""

    def _repr_html_(self) -> str:
        colour = {"agree": "#1a7f37", "disagree": "#cf222e"}.get(self.verdict, "#9a6700")
        parts = [
            f"<p><b style='color:{colour}'>{html.escape(self.verdict.upper())}</b> "
            f"(exit code {self.exit_code}) &middot; results in <code>{html.escape(str(self.out))}</code></p>"
        ]
        if (self.out / f"{self.name}.csv").exists():
            parts.append(self.table.to_html(max_rows=40))
        for svg in self.figures:
            parts.append(svg.read_text())
        return "\n".join(parts)


class _Workers:
    """One forked process per engine thread, each behind its own pipe: the engine's thread k
    always talks to worker k, so a unit costs one send and one receive (the receive waits with
    the GIL released), without a shared queue."""

    def __init__(self, trial: Trial, count: int):
        ctx = multiprocessing.get_context("fork")
        self.conns = []
        self.procs = []
        for _ in range(count):
            here, there = ctx.Pipe()
            p = ctx.Process(target=_serve, args=(trial, there), daemon=True)
            p.start()
            there.close()
            self.conns.append(here)
            self.procs.append(p)

    def __call__(self, params: Params, seed: List[int], slot: int) -> List[float]:
        conn = self.conns[slot]
        conn.send((params, seed))
        ok, value = conn.recv()
        if ok:
            return value
        raise value

    def close(self) -> None:
        for c in self.conns:
            try:
                c.send(None)
                c.close()
            except OSError:
                pass
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()


def _serve(trial: Trial, conn: Any) -> None:
    """A worker: run trials until told to stop; an exception is sent back to be raised."""
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        params, seed = job
        try:
            conn.send((True, [float(v) for v in trial(params, np.random.default_rng(seed))]))
        except BaseException as e:  # the caller re-raises it
            try:
                conn.send((False, e))
            except Exception:
                conn.send((False, RuntimeError(f"{type(e).__name__}: {e}")))


def _inline(trial: Trial) -> Callable[[Params, List[int], int], List[float]]:
    def run(params: Params, seed: List[int], slot: int) -> List[float]:
        return [float(v) for v in trial(params, np.random.default_rng(seed))]

    return run


def _flag(name: str, value: Any) -> List[str]:
    """One engine flag from a keyword argument (None and False: not given)."""
    flag = "--" + name.replace("_", "-")
    if value is None or value is False:
        return []
    if value is True:
        return [flag]
    if isinstance(value, (list, tuple)):
        return [flag, *[str(v) for v in value]]
    return [flag, str(value)]


def _grid(grid: Mapping[str, Union[float, Sequence[float]]]) -> List[tuple]:
    axes = []
    for axis, values in grid.items():
        v = np.atleast_1d(np.asarray(values, dtype=float)).reshape(-1)
        axes.append((str(axis), [float(x) for x in v]))
    return axes


def check(
    *,
    name: str,
    quantities: Sequence[str],
    theory: Theory,
    trial: Trial,
    grid: Mapping[str, Union[float, Sequence[float]]],
    trials: Union[int, str] = 200,
    seed: int = 0,
    out: Optional[Union[str, os.PathLike]] = None,
    workers: Optional[int] = None,
    dimension_axes: Sequence[str] = ("d",),
    slowest_rate: float = 0.5,
    allowance: Optional[Callable[[Params], Sequence[float]]] = None,
    version: str = "1",
    settings: str = "",
    margin: Optional[Union[float, str]] = None,
    alpha: Optional[float] = None,
    max_trials: Optional[int] = None,
    extrapolate: bool = False,
    resume: bool = False,
    shard: Optional[str] = None,
    merge: Optional[Sequence[str]] = None,
    theory_only: bool = False,
    quiet: bool = True,
    format: str = "none",
    argv: Optional[Sequence[str]] = None,
) -> CheckResult:
    """Check ``theory`` against ``trial`` over ``grid`` with verify's engine.

    ``theory(params)`` returns the limit of each quantity (None: reported, not judged);
    ``trial(params, rng)`` one Monte Carlo draw of each, using only ``rng``. ``params`` is a dict
    of the grid's axes at one point. The keyword arguments are the engine's flags (``trials``
    may be ``"auto"``; ``format`` is what goes to standard output, ``"none"`` by default);
    ``argv`` (e.g. ``sys.argv[1:]``) adds command-line flags after them,
    so ``python my_check.py --shard 0/3 --out s0`` works. Raises ``ValueError`` for bad
    arguments, ``TrialError`` (the user's exception as its ``__cause__``) when a trial or the
    formula raises, ``KeyboardInterrupt`` on Ctrl-C (finished units stay in the checkpoint:
    ``resume=True`` continues).
    """
    given = [str(a) for a in (argv or [])]
    # A flag on the command line replaces the keyword argument of the same name.
    named = {a.split("=", 1)[0] for a in given if a.startswith("--")}
    flags = ["hdverify"]
    for k, v in [
        ("trials", trials), ("seed", seed), ("out", out), ("margin", margin), ("alpha", alpha),
        ("max_trials", max_trials), ("extrapolate", extrapolate), ("resume", resume),
        ("shard", shard), ("merge", merge), ("theory_only", theory_only), ("quiet", quiet),
        ("format", format),
    ]:
        if "--" + k.replace("_", "-") not in named:
            flags += _flag(k, v)
    flags += given
    workers = os.cpu_count() or 1 if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"invalid value for workers: must be >= 1, got {workers}")
    # Start the workers now, before the engine's threads run.
    workers_pool = _Workers(trial, workers) if workers > 1 else None
    dispatch = workers_pool if workers_pool else _inline(trial)
    try:
        verdict, code, folder = run_interruptibly(
            _native.run_check,
            name,
            list(quantities),
            theory,
            dispatch,
            _grid(grid),
            flags,
            workers,
            version=version,
            settings=settings,
            allowance=allowance,
            dimension_axes=list(dimension_axes),
            slowest_rate=float(slowest_rate),
            progress=Path(out or Path("out") / name) / "units.partial.jsonl",
        )
    finally:
        if workers_pool:
            workers_pool.close()
    return CheckResult(name=name, out=Path(folder), verdict=verdict, exit_code=code)


def main(**kwargs: Any) -> None:
    """Run :func:`check` with this script's command-line flags and exit with its code."""
    try:
        result = check(argv=sys.argv[1:], **kwargs)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except TrialError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 3))
    if kwargs.get("format", "none") == "none":
        # The engine printed nothing: say the verdict (it prints it with its table otherwise).
        print(f"verdict: {result.verdict.upper()}. Results in {result.out}")
    sys.exit(result.exit_code)
