"""hdverify: check high-dimensional asymptotic formulas against simulation, from NumPy.

The Python face of the ``verify`` toolkit: its limit formulas as array functions
(:mod:`hdverify.formulas`), built on the same Rust code as the ``verify`` command line.
"""

from ._native import __version__
from .check import CheckResult, TrialError, check, main
from .runs import (
    RunError,
    RunResult,
    audit,
    catalog,
    catalog_entries,
    contraction,
    linear_rep,
    phase,
    readout,
    reproduce,
    run,
    single_index,
    spectrum,
    spike,
)
from .formulas import (
    METHODS,
    FormulaError,
    MaskedResult,
    amgd_rate,
    density,
    dfw_rate,
    kfac_rate,
    lambda_opt,
    readout_risk,
    rho,
    stieltjes,
    stieltjes_derivative,
)

__all__ = [
    "RunError",
    "RunResult",
    "audit",
    "catalog",
    "catalog_entries",
    "contraction",
    "linear_rep",
    "phase",
    "readout",
    "reproduce",
    "run",
    "single_index",
    "spectrum",
    "spike",
    "__version__",
    "CheckResult",
    "TrialError",
    "check",
    "main",
    "METHODS",
    "FormulaError",
    "MaskedResult",
    "amgd_rate",
    "density",
    "dfw_rate",
    "kfac_rate",
    "lambda_opt",
    "readout_risk",
    "rho",
    "stieltjes",
    "stieltjes_derivative",
]
