"""Layer 3: a check written in Python, run by verify's engine: verdicts for a right and a wrong
formula, bit-identical files for any number of workers, resume after an interruption, shards
and merge, errors that name the unit, and bad arguments."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

import hdverify as hv

GRID = {"gamma": [0.5, 2.0], "lam": [0.5], "d": [64]}


def mp_trace(p: Dict[str, float]) -> List[float]:
    """Marchenko–Pastur: lim (1/d) tr (XᵀX/n + λ)⁻¹ = m(−λ), the closed form (Σ = I)."""
    g, lam = p["gamma"], p["lam"]
    z = -lam
    b = z + g - 1
    return [(-b - np.sqrt(b * b - 4 * g * z)) / (2 * g * z)]


def wrong_trace(p: Dict[str, float]) -> List[float]:
    """The same formula 5 % too large."""
    return [1.05 * mp_trace(p)[0]]


def trial(p: Dict[str, float], rng: np.random.Generator) -> List[float]:
    d = int(p["d"])
    n = int(round(d / p["gamma"]))
    x = rng.standard_normal((n, d))
    ev = np.linalg.eigvalsh(x.T @ x / n)
    return [float(np.mean(1.0 / (ev + p["lam"])))]


def run(tmp: Path, name: str = "o", **kw) -> hv.CheckResult:
    args = dict(name="mp-trace", quantities=["trace"], theory=mp_trace, trial=trial,
                grid=GRID, trials=60, workers=1)
    args.update(kw)
    return hv.check(out=tmp / name, **args)


def test_a_right_formula_is_never_called_wrong_and_a_wrong_one_is(tmp_path: Path) -> None:
    right = run(tmp_path, "right")
    # The engine measures the O(1/d) bias at d/4: a correct limit agrees or is inconclusive.
    assert right.verdict in ("agree", "inconclusive"), right.table
    assert right.exit_code in (0, 4)
    wrong = run(tmp_path, "wrong", theory=wrong_trace)
    assert wrong.verdict == "disagree" and wrong.exit_code == 1, wrong.table
    assert list(wrong.table["verdict"]) == ["disagree", "disagree"]


def test_the_result_object(tmp_path: Path) -> None:
    r = run(tmp_path)
    assert {"theory", "sim", "verdict", "gamma", "lam", "d"} <= set(r.table.columns)
    assert len(r.table) == 2
    assert r.figures and all(f.suffix == ".svg" for f in r.figures)
    assert "mp-trace" in r.report
    page = r._repr_html_()
    assert r.verdict.upper() in page and "<svg" in page and "<table" in page


def test_files_are_identical_for_any_number_of_workers(tmp_path: Path) -> None:
    one = run(tmp_path, "w1", workers=1)
    two = run(tmp_path, "w2", workers=2)
    for f in ["mp-trace.csv", "mp-trace.json", "units.jsonl"]:
        assert filecmp.cmp(one.out / f, two.out / f, shallow=False), f


class Boom(RuntimeError):
    pass


def test_an_exception_names_the_unit_and_resume_finishes_the_run(tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(p: Dict[str, float], rng: np.random.Generator) -> List[float]:
        calls["n"] += 1
        if calls["n"] == 50:
            raise Boom("disk on fire")
        return trial(p, rng)

    with pytest.raises(hv.TrialError) as e:
        run(tmp_path, "r", trial=flaky)
    assert isinstance(e.value.__cause__, Boom)
    assert "gamma = " in str(e.value) and "trial " in str(e.value)
    partial = tmp_path / "r" / "units.partial.jsonl"
    assert partial.exists() and len(partial.read_text().splitlines()) > 10
    resumed = run(tmp_path, "r", resume=True)
    whole = run(tmp_path, "whole")
    for f in ["mp-trace.csv", "units.jsonl"]:
        assert filecmp.cmp(resumed.out / f, whole.out / f, shallow=False), f


def test_shards_merge_into_the_unsharded_files(tmp_path: Path) -> None:
    for i in range(2):
        s = run(tmp_path, f"s{i}", shard=f"{i}/2")
        assert s.verdict == "shard"
    merged = run(tmp_path, "merged", merge=[str(tmp_path / "s0"), str(tmp_path / "s1")])
    whole = run(tmp_path, "whole")
    assert filecmp.cmp(merged.out / "mp-trace.csv", whole.out / "mp-trace.csv", shallow=False)


def test_command_line_flags_reach_the_engine(tmp_path: Path) -> None:
    r = run(tmp_path, argv=["--trials", "20", "--out", str(tmp_path / "via-argv")])
    assert r.out == tmp_path / "via-argv"
    assert set(r.table["trials"]) == {20}


@pytest.mark.parametrize(
    "kw, needle",
    [
        (dict(trials=1), "--trials"),
        (dict(alpha=0.7), "--alpha"),
        (dict(argv=["--bogus"]), "--bogus"),
        (dict(workers=0), "workers"),
        (dict(quantities=[]), "quantities"),
        (dict(grid={"gamma": [0.5, 0.5], "lam": [1.0], "d": [64]}), "more than once"),
        (dict(slowest_rate=0.0), "slowest_rate"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(tmp_path: Path, kw: dict, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        run(tmp_path, **kw)
    assert needle in str(e.value)


def test_a_formula_returning_the_wrong_count_is_named(tmp_path: Path) -> None:
    with pytest.raises(hv.TrialError) as e:
        run(tmp_path, theory=lambda p: [1.0, 2.0])
    assert "theory returned 2 values" in str(e.value)
