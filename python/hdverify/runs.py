"""verify's runs as Python calls: each takes the command's flags as keyword arguments (values as
RANGE strings or sequences, switches as True/False, ``lambda_`` for ``--lambda``), writes the
same result folder as the command line, and returns a :class:`RunResult`.

Errors are exceptions with the command line's messages: ``ValueError`` for bad input (exit code
2; the message names the flag), :class:`RunError` for a run that could not complete (exit 3),
``KeyboardInterrupt`` on Ctrl-C (the finished trials stay in the checkpoint: ``resume=True``).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import _native
from ._runner import run_interruptibly

__all__ = [
    "RunError", "RunResult", "run", "single_index", "readout", "linear_rep", "contraction",
    "audit", "reproduce", "spike", "phase", "spectrum", "catalog", "catalog_entries",
]

_VERDICTS = {0: "agree", 1: "disagree", 4: "inconclusive"}

#: The main table each command writes (the first CSV otherwise).
_TABLES = {
    "single-index": "single_index.csv",
    "readout": "readout.csv",
    "linear-rep": "linear_rep.csv",
    "linear-rep contraction": "contraction.csv",
    "spike": "spike.csv",
    "spectrum": "spectrum.csv",
    "phase": "phase.csv",
    "audit": "audit.csv",
}


class RunError(RuntimeError):
    """A run that could not complete (a numerical failure, a file that could not be read or
    written); ``exit_code`` is the command line's."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class RunResult:
    """A finished run: its folder, verdict and exit code, and what it wrote."""

    command: str
    out: Path
    exit_code: int
    verdict: str
    argv: List[str]
    _tables: Dict[str, Any] = field(default_factory=dict, repr=False)

    def tables(self) -> Dict[str, Any]:
        """Every CSV the run wrote, by file name, as pandas DataFrames (for ``catalog``: every
        part's, by its path under the run's folder, e.g. ``ridge/ridge-isotropic/….csv``)."""
        import pandas as pd

        found = self.out.rglob("*.csv") if self.command == "catalog" else self.out.glob("*.csv")
        for p in sorted(found):
            key = p.relative_to(self.out).as_posix()
            if key not in self._tables:
                self._tables[key] = pd.read_csv(p)
        return self._tables

    @property
    def table(self) -> Any:
        """The command's main table (the same columns as its CSV)."""
        tables = self.tables()
        name = _TABLES.get(self.command)
        if name in tables:
            return tables[name]
        if not tables:
            raise FileNotFoundError(f"{self.out} holds no CSV")
        return next(iter(tables.values()))

    @property
    def figures(self) -> List[Path]:
        """The SVG figures the run drew."""
        return sorted(self.out.rglob("*.svg"))

    @property
    def report(self) -> str:
        """The run's report (Markdown), if it wrote one."""
        p = self.out / "report.md"
        return p.read_text() if p.exists() else ""

    def _repr_html_(self) -> str:
        colour = {"agree": "#1a7f37", "disagree": "#cf222e"}.get(self.verdict, "#9a6700")
        parts = [
            f"<p><code>verify {html.escape(' '.join(self.argv[1:]))}</code><br>"
            f"<b style='color:{colour}'>{html.escape(self.verdict.upper())}</b> (exit code "
            f"{self.exit_code}) &middot; results in <code>{html.escape(str(self.out))}</code></p>"
        ]
        try:
            parts.append(self.table.to_html(max_rows=40))
        except FileNotFoundError:
            pass
        parts.extend(svg.read_text() for svg in self.figures[:8])
        return "\n".join(parts)


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return ",".join(str(x) for x in np.ravel(np.asarray(v, dtype=object)))
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    return str(v)


def argv_of(command: str, kwargs: Dict[str, Any]) -> List[str]:
    """The command line the keyword arguments stand for (``verify COMMAND --flag value …``)."""
    argv = ["verify", *command.split()]
    for key, v in kwargs.items():
        flag = "--" + key.rstrip("_").replace("_", "-")
        if v is None or v is False:
            continue
        if v is True:
            argv.append(flag)
        elif key == "merge" and isinstance(v, (list, tuple)):
            argv += [flag, *[_value(x) for x in v]]
        else:
            argv += [flag, _value(v)]
    return argv


def run(command: str, **kwargs: Any) -> RunResult:
    """Run ``verify COMMAND`` with ``kwargs`` as its flags, in this process."""
    kwargs.setdefault("format", "none")
    kwargs.setdefault("quiet", True)
    out = kwargs.get("out") or _native.default_out(command.split())
    if out is not None:
        kwargs["out"] = out
    argv = argv_of(command, kwargs)
    checkpoint = Path(out) / "units.partial.jsonl" if out else None
    code, message = run_interruptibly(_native.run_cli, argv, progress=checkpoint)
    if code == 2:
        raise ValueError(message.strip() if message else f"verify {command}: bad input")
    if code == 3:
        raise RunError(message or f"verify {command} could not complete", code)
    if code == 130:
        raise KeyboardInterrupt(message)
    if code == 0 and message:  # --help, --version
        print(message)
    theory_only = bool(kwargs.get("theory_only"))
    verdict = "theory-only" if theory_only and code == 0 else _VERDICTS.get(code, f"exit {code}")
    if kwargs.get("shard"):
        verdict = "shard"
    return RunResult(command, Path(out) if out else Path("."), code, verdict, argv)


def single_index(**kwargs: Any) -> RunResult:
    """``verify single-index``: ρ of one-step SGD, KFAC and the other methods against Lemmas
    3.10 / 3.12 over κ, ψ, λ, d (e.g. ``kappa="1..10"``, ``methods=["sgd", "kfac"]``)."""
    return run("single-index", **kwargs)


def readout(**kwargs: Any) -> RunResult:
    """``verify readout``: the polynomial readout's risk on the learned direction."""
    return run("readout", **kwargs)


def linear_rep(**kwargs: Any) -> RunResult:
    """``verify linear-rep``: linear representation learning, KFAC against SGD, Adam, NGD, …"""
    return run("linear-rep", **kwargs)


def contraction(**kwargs: Any) -> RunResult:
    """``verify linear-rep contraction``: measured contraction rates against the theory."""
    return run("linear-rep contraction", **kwargs)


def audit(**kwargs: Any) -> RunResult:
    """``verify audit``: the verdict's error rates on random settings."""
    return run("audit", **kwargs)


def reproduce(**kwargs: Any) -> RunResult:
    """``verify reproduce``: every figure of the paper, regenerated."""
    return run("reproduce", **kwargs)


def spike(**kwargs: Any) -> RunResult:
    """``verify spike``: the one-step spike's remainder shrinking with d."""
    return run("spike", **kwargs)


def phase(**kwargs: Any) -> RunResult:
    """``verify phase``: the (κ, ψ) phase diagram of ρ_KFAC − ρ_SGD."""
    return run("phase", **kwargs)


def spectrum(**kwargs: Any) -> RunResult:
    """``verify spectrum``: the limiting eigenvalue density against sampled eigenvalues."""
    return run("spectrum", **kwargs)


def catalog(*entries: str, **kwargs: Any) -> RunResult:
    """``verify catalog``: the field's classic limit formulas, each against its own simulation by
    the default verdict. ``entries`` names some (all by default; see :func:`catalog_entries`);
    ``wrong=True`` checks their deliberately wrong formulas. The result's ``tables()`` holds every
    part's rows; its verdict is the worst over the entries."""
    kwargs.setdefault("format", "none")
    kwargs.setdefault("quiet", True)
    out = kwargs.setdefault("out", "out/catalog")
    argv = argv_of("catalog", kwargs)[:2] + list(entries) + argv_of("catalog", kwargs)[2:]
    code, message = run_interruptibly(_native.run_cli, argv)
    if code == 2:
        raise ValueError(message.strip() if message else "verify catalog: bad input")
    if code == 3:
        raise RunError(message or "verify catalog could not complete", code)
    if code == 130:
        raise KeyboardInterrupt(message)
    return RunResult("catalog", Path(out), code, _VERDICTS.get(code, f"exit {code}"), argv)


def catalog_entries() -> Any:
    """The catalog's entries as a DataFrame: name, formula, source, what the simulation
    measures, and what the wrong variant changes."""
    import pandas as pd

    return pd.DataFrame(_native.catalog_entries())
