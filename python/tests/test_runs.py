"""Layer 2: verify's runs as Python calls: the same files as the command line, result objects,
errors with the command line's messages, and Ctrl-C stopping a run cleanly."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import hdverify as hv
from test_formulas import verify_binary

SMALL = dict(kappa="1,10", psi=2, d=60, trials=8, level="direction", seed=3)


def test_the_same_files_as_the_command_line(tmp_path: Path) -> None:
    r = hv.single_index(out=tmp_path / "py", **SMALL)
    argv = [str(verify_binary()), "single-index", "--kappa", "1,10", "--psi", "2", "--d", "60",
            "--trials", "8", "--level", "direction", "--seed", "3", "--quiet", "--format", "none",
            "--out", str(tmp_path / "cli")]
    cli = subprocess.run(argv, capture_output=True, text=True)
    assert cli.returncode == r.exit_code, cli.stderr
    for f in ["single_index.csv", "units.jsonl"]:
        assert filecmp.cmp(tmp_path / "py" / f, tmp_path / "cli" / f, shallow=False), f
    table = pd.read_csv(tmp_path / "cli" / "single_index.csv")
    pd.testing.assert_frame_equal(r.table, table)


def test_the_result_object(tmp_path: Path) -> None:
    r = hv.single_index(out=tmp_path / "o", **SMALL)
    assert r.verdict in ("agree", "inconclusive", "disagree")
    assert r.exit_code == {"agree": 0, "disagree": 1, "inconclusive": 4}[r.verdict]
    assert list(r.table["method"].unique()) == ["sgd", "kfac"]
    assert any(f.name == "single_index_kappa.svg" for f in r.figures)
    assert "single-index" in r.report
    page = r._repr_html_()
    assert "<svg" in page and "<table" in page and r.verdict.upper() in page
    theory = hv.single_index(out=tmp_path / "t", kappa="1..3", theory_only=True)
    assert theory.verdict == "theory-only" and theory.table["rho_sim"].isna().all()


def test_sequences_and_switches_become_flags() -> None:
    argv = hv.runs.argv_of("single-index", dict(kappa=[1, 4], lambda_=0.5, theory_only=True,
                                                 extrapolate=False, out=Path("x")))
    assert argv == ["verify", "single-index", "--kappa", "1,4", "--lambda", "0.5",
                    "--theory-only", "--out", "x"]


@pytest.mark.parametrize(
    "kw, needle",
    [
        (dict(kappa="0"), "--kappa"),
        (dict(kappa="1,1"), "--kappa"),
        (dict(methods="sgd,lbfgs"), "--methods"),
        (dict(bogus=1), "--bogus"),
        (dict(alpha=0.5), "--alpha"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_flag(tmp_path: Path, kw: dict, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        hv.single_index(out=tmp_path / "o", theory_only=True, **kw)
    assert needle in str(e.value)


def test_a_numerical_failure_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(hv.RunError) as e:
        hv.readout(out=tmp_path / "o", theory_only=True, activation="hermite:0,1e308")
    assert e.value.exit_code == 3 and "overflowed" in str(e.value)


SCRIPT = """
import sys, hdverify as hv
try:
    hv.single_index(out=sys.argv[1], kappa="1..6", d=400, trials=400, level="network",
                    resume=len(sys.argv) > 2)
    print("FINISHED")
except KeyboardInterrupt:
    print("INTERRUPTED")
"""


def test_ctrl_c_stops_a_run_cleanly_and_resume_finishes_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], stdout=subprocess.PIPE, text=True)
    partial = out / "units.partial.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (partial.exists() and partial.stat().st_size > 2000):
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    stdout, _ = p.communicate(timeout=60)
    assert "INTERRUPTED" in stdout, stdout
    kept = len(partial.read_text().splitlines())
    assert kept > 5
    # Lines are whole records (no torn line), and the run resumes to the end.
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(out), "resume"],
                          capture_output=True, text=True, timeout=600)
    assert "FINISHED" in done.stdout, done.stderr
    assert (out / "units.jsonl").exists() and not partial.exists()


def test_progress_shows_in_a_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside IPython a display handle is updated in place with the finished units."""
    import types

    shown: list = []

    class Handle:
        def update(self, text: str) -> None:
            shown.append(text)

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()  # type: ignore[attr-defined]
    display_mod = types.ModuleType("IPython.display")
    display_mod.display = lambda text, display_id=True: (shown.append(text), Handle())[1]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    hv.single_index(out=tmp_path / "p", kappa="1..4", d=300, trials=60, level="network")
    assert shown and shown[0].startswith("hdverify: 0")
    counts = [int(t.split()[1]) for t in shown]
    assert counts == sorted(counts) and counts[-1] > 0, shown


def test_the_catalog_is_listed_and_an_entry_runs_from_python(tmp_path: Path) -> None:
    """catalog_entries() lists what `verify catalog --list` lists; running one entry's wrong
    variant gives DISAGREE (exit 1) and its parts' tables, an unknown name a ValueError."""
    entries = hv.catalog_entries()
    assert {"marchenko-pastur", "wigner", "spiked-covariance", "ridge"} <= set(entries["name"])
    assert entries["source"].str.len().min() > 10
    wrong = hv.catalog("wigner", wrong=True, trials=40, out=tmp_path / "c")
    assert (wrong.verdict, wrong.exit_code) == ("disagree", 1)
    assert any(k.startswith("wigner/") for k in wrong.tables())
    with pytest.raises(ValueError, match="unknown entry"):
        hv.catalog("no-such-entry", out=tmp_path / "d")
