"""Type stubs of the native module (flat 1-D arrays in, values and failures out)."""

from typing import List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str
Failures = List[Tuple[int, str]]

def stieltjes(
    z: npt.NDArray[np.complex128],
    gamma: npt.NDArray[np.float64],
    kappa: npt.NDArray[np.float64],
    spectrum: str,
    d: int,
    normalize: bool,
    eigenvalues: Optional[npt.NDArray[np.float64]] = ...,
    weights: Optional[npt.NDArray[np.float64]] = ...,
    derivative: bool = ...,
) -> Tuple[npt.NDArray[np.complex128], Failures]: ...
def density(
    x: npt.NDArray[np.float64],
    gamma: npt.NDArray[np.float64],
    kappa: npt.NDArray[np.float64],
    spectrum: str,
    d: int,
    normalize: bool,
    eigenvalues: Optional[npt.NDArray[np.float64]] = ...,
    weights: Optional[npt.NDArray[np.float64]] = ...,
) -> Tuple[npt.NDArray[np.float64], Failures]: ...
def rho(
    methods: List[str],
    kappa: npt.NDArray[np.float64],
    psi: npt.NDArray[np.float64],
    lambda_: npt.NDArray[np.float64],
    noise: npt.NDArray[np.float64],
    spectrum: str,
    activation: str,
    student: str,
    level: str,
    alignment: str,
    d: int,
    normalize: bool,
) -> Tuple[npt.NDArray[np.float64], Failures]: ...
def lambda_opt(
    kappa: npt.NDArray[np.float64],
    psi: npt.NDArray[np.float64],
    noise: npt.NDArray[np.float64],
    spectrum: str,
    activation: str,
    d: int,
    normalize: bool,
) -> Tuple[npt.NDArray[np.float64], Failures]: ...
def readout_risk(
    rho: npt.NDArray[np.float64],
    noise: npt.NDArray[np.float64],
    activation: str,
    degree: int,
) -> Tuple[npt.NDArray[np.float64], Failures]: ...
def kfac_rate(lr: float) -> float: ...
def dfw_rate(lr: float, head_singular_values: List[float]) -> float: ...
def amgd_rate(lr: float, head_singular_values: List[float], schur_eigenvalues: List[float]) -> float: ...
def method_names() -> List[str]: ...
