"""verify's limit formulas as NumPy array functions.

Every function broadcasts its array arguments against each other like a ufunc, runs the points
in parallel in Rust with the GIL released, and returns an array of the broadcast shape. A point
whose formula fails (a parameter outside its domain, an equation without a solution) is never
returned as NaN: with ``errors="raise"`` (the default) the call raises ``FormulaError`` naming
the first failing points and why; with ``errors="mask"`` it returns a ``numpy.ma.MaskedArray``
with those points masked, and the reasons in the array's ``reasons`` dict (flat index → reason).
"""

from __future__ import annotations

from typing import Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native

ArrayLike = npt.ArrayLike
Errors = Literal["raise", "mask"]

__all__ = [
    "FormulaError",
    "MaskedResult",
    "stieltjes",
    "stieltjes_derivative",
    "density",
    "rho",
    "lambda_opt",
    "readout_risk",
    "kfac_rate",
    "dfw_rate",
    "amgd_rate",
    "METHODS",
]

#: The one-step methods ``rho`` knows (``kfac-power:P`` with 0 <= P <= 1 besides).
METHODS: Tuple[str, ...] = tuple(_native.method_names())


class FormulaError(ValueError):
    """A formula failed at some points; ``failures`` lists (index into the broadcast shape, reason)."""

    def __init__(self, what: str, failures: Sequence[Tuple[Tuple[int, ...], str]], total: int):
        self.failures = list(failures)
        shown = "; ".join(f"at {i}: {r}" for i, r in self.failures[:3])
        more = f" (and {len(self.failures) - 3} more)" if len(self.failures) > 3 else ""
        super().__init__(f"{what} failed at {len(self.failures)} of {total} points: {shown}{more}")


class MaskedResult(np.ma.MaskedArray):
    """A masked array whose ``reasons`` maps each masked flat index to why its formula failed."""

    reasons: dict


def _finish(
    what: str,
    values: np.ndarray,
    failures: Sequence[Tuple[int, str]],
    shape: Tuple[int, ...],
    errors: Errors,
) -> Union[np.ndarray, MaskedResult]:
    """Reshape flat results; raise on failures or mask them, as `errors` says."""
    trailing = values.shape[1:]
    values = values.reshape(shape + trailing)
    if not failures:
        return values[()] if values.ndim == 0 else values
    if errors == "raise":
        located = [(np.unravel_index(i, shape) if shape else (), r) for i, r in failures]
        raise FormulaError(what, located, int(np.prod(shape, dtype=int)))
    mask = np.zeros(values.shape, dtype=bool)
    flat = mask.reshape(int(np.prod(shape, dtype=int)), -1)
    for i, _ in failures:
        flat[i] = True
    out = np.ma.MaskedArray(values, mask=mask).view(MaskedResult)
    out.reasons = {i: r for i, r in failures}
    return out


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "mask"):
        raise ValueError(f"invalid value for errors: {errors!r} (allowed: 'raise', 'mask')")


def _broadcast(dtypes: Sequence[type], **arrays: ArrayLike) -> Tuple[Tuple[int, ...], list]:
    """Broadcast the named arrays together; flat, contiguous copies of the given dtypes."""
    converted = []
    for (name, a), dt in zip(arrays.items(), dtypes):
        try:
            converted.append(np.asarray(a, dtype=dt))
        except (TypeError, ValueError) as e:
            raise ValueError(f"invalid value for {name}: {e}") from None
    try:
        b = np.broadcast_arrays(*converted)
    except ValueError as e:
        raise ValueError(f"cannot broadcast {', '.join(arrays)} together: {e}") from None
    shape = b[0].shape
    return shape, [np.ascontiguousarray(x.reshape(-1)) for x in b]


def _spectrum_args(
    spectrum: str,
    d: int,
    normalize: bool,
    eigenvalues: Optional[ArrayLike],
    weights: Optional[ArrayLike],
) -> dict:
    eig = None if eigenvalues is None else np.ascontiguousarray(eigenvalues, dtype=float).reshape(-1)
    w = None if weights is None else np.ascontiguousarray(weights, dtype=float).reshape(-1)
    if w is not None and eig is None:
        raise ValueError("invalid value for weights: give eigenvalues with them")
    return dict(spectrum=spectrum, d=int(d), normalize=bool(normalize), eigenvalues=eig, weights=w)


def _stieltjes(
    z: ArrayLike,
    gamma: ArrayLike,
    kappa: ArrayLike,
    spectrum: str,
    d: int,
    normalize: bool,
    eigenvalues: Optional[ArrayLike],
    weights: Optional[ArrayLike],
    errors: Errors,
    derivative: bool,
) -> Union[np.ndarray, MaskedResult]:
    _check_errors(errors)
    shape, (zf, gf, kf) = _broadcast((complex, float, float), z=z, gamma=gamma, kappa=kappa)
    values, failures = _native.stieltjes(
        zf, gf, kf, derivative=derivative, **_spectrum_args(spectrum, d, normalize, eigenvalues, weights)
    )
    what = "m'(z)" if derivative else "m(z)"
    return _finish(what, values, failures, shape, errors)


def stieltjes(
    z: ArrayLike,
    gamma: ArrayLike,
    *,
    kappa: ArrayLike = 1.0,
    spectrum: str = "two-point",
    d: int = 1000,
    normalize: bool = True,
    eigenvalues: Optional[ArrayLike] = None,
    weights: Optional[ArrayLike] = None,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """Silverstein's m(z) = lim (1/d) tr (XᵀX/n − z)⁻¹ for x ~ N(0, Σ), γ = d/n.

    ``z`` complex with Im z > 0, or real z < 0 (the ridge side, m(−λ)). Σ's spectrum is a
    family as the CLI names it (``identity``, ``two-point``, ``geometric``, ``linear``,
    ``file:PATH``) at anisotropy ``kappa`` and dimension ``d``, or explicit ``eigenvalues``
    (with optional ``weights``). Returns complex values of the broadcast shape of z, gamma and
    kappa.
    """
    return _stieltjes(z, gamma, kappa, spectrum, d, normalize, eigenvalues, weights, errors, False)


def stieltjes_derivative(
    z: ArrayLike,
    gamma: ArrayLike,
    *,
    kappa: ArrayLike = 1.0,
    spectrum: str = "two-point",
    d: int = 1000,
    normalize: bool = True,
    eigenvalues: Optional[ArrayLike] = None,
    weights: Optional[ArrayLike] = None,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """m′(z) = lim (1/d) tr (XᵀX/n − z)⁻², same arguments as :func:`stieltjes`."""
    return _stieltjes(z, gamma, kappa, spectrum, d, normalize, eigenvalues, weights, errors, True)


def density(
    x: ArrayLike,
    gamma: ArrayLike,
    *,
    kappa: ArrayLike = 1.0,
    spectrum: str = "two-point",
    d: int = 1000,
    normalize: bool = True,
    eigenvalues: Optional[ArrayLike] = None,
    weights: Optional[ArrayLike] = None,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """The limiting eigenvalue density of XᵀX/n at x > 0 (Im m(x + iη)/π, η = 1e-9 max(x, 1)).

    For γ > 1 the atom of mass 1 − 1/γ at zero is not part of it.
    """
    _check_errors(errors)
    shape, (xf, gf, kf) = _broadcast((float, float, float), x=x, gamma=gamma, kappa=kappa)
    values, failures = _native.density(
        xf, gf, kf, **_spectrum_args(spectrum, d, normalize, eigenvalues, weights)
    )
    return _finish("density", values, failures, shape, errors)


def rho(
    method: Union[str, Sequence[str]] = "sgd",
    *,
    kappa: ArrayLike = 1.0,
    psi: ArrayLike = 2.0,
    lambda_: ArrayLike = 0.1,
    noise: ArrayLike = 0.1,
    spectrum: str = "two-point",
    activation: str = "tanh",
    student: str = "tanh",
    level: str = "network",
    alignment: str = "euclidean",
    d: int = 1000,
    normalize: bool = True,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """The limiting alignment ρ of one gradient step's learned direction with the teacher.

    ``method`` is one name of :data:`METHODS` (or ``kfac-power:P``), giving an array of the
    broadcast shape of kappa, psi, lambda_ and noise, or a list of names, giving a trailing
    axis with one entry per method. ``sgd`` is Lemma 3.10, ``kfac`` Lemma 3.12; the flags mean
    what they mean in ``verify single-index`` (``alignment="sigma"`` is the Σ-weighted ρ).
    """
    _check_errors(errors)
    single = isinstance(method, str)
    methods = [method] if single else list(method)
    shape, (k, p, lam, s) = _broadcast(
        (float, float, float, float), kappa=kappa, psi=psi, lambda_=lambda_, noise=noise
    )
    values, failures = _native.rho(
        methods, k, p, lam, s, spectrum, activation, student, level, alignment, int(d), bool(normalize)
    )
    out = _finish("rho", values, failures, shape, errors)
    return out[..., 0] if single else out


def lambda_opt(
    *,
    kappa: ArrayLike = 1.0,
    psi: ArrayLike = 2.0,
    noise: ArrayLike = 0.1,
    spectrum: str = "two-point",
    activation: str = "tanh",
    d: int = 1000,
    normalize: bool = True,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """The ridge λ maximising ρ_KFAC (Lemma 3.12) and that maximum: a trailing axis (λ*, ρ*)."""
    _check_errors(errors)
    shape, (k, p, s) = _broadcast((float, float, float), kappa=kappa, psi=psi, noise=noise)
    values, failures = _native.lambda_opt(k, p, s, spectrum, activation, int(d), bool(normalize))
    return _finish("lambda_opt", values, failures, shape, errors)


def readout_risk(
    rho: ArrayLike,
    *,
    noise: ArrayLike = 0.1,
    activation: str = "tanh",
    degree: int = 6,
    errors: Errors = "raise",
) -> Union[np.ndarray, MaskedResult]:
    """Test risk of the best degree-K polynomial readout on a direction with alignment ρ.

    The teacher σ*(⟨β*, x⟩) with a unit-variance index (τ1 = 1), expanded in Hermite
    polynomials; labels carry noise of standard deviation ``noise``.
    """
    _check_errors(errors)
    shape, (r, s) = _broadcast((float, float), rho=rho, noise=noise)
    values, failures = _native.readout_risk(r, s, activation, int(degree))
    return _finish("readout_risk", values, failures, shape, errors)


def kfac_rate(lr: float) -> float:
    """KFAC's per-step contraction in linear representation learning: |1 − η| (Theorem 3.6)."""
    return float(_native.kfac_rate(float(lr)))


def dfw_rate(lr: float, head_singular_values: ArrayLike) -> float:
    """Decoupled feature whitening's local contraction rate given the head's singular values."""
    return float(_native.dfw_rate(float(lr), [float(x) for x in np.ravel(head_singular_values)]))


def amgd_rate(lr: float, head_singular_values: ArrayLike, schur_eigenvalues: ArrayLike) -> float:
    """Alternating-minimisation GD's local contraction rate (the paper's SGD baseline)."""
    return float(
        _native.amgd_rate(
            float(lr),
            [float(x) for x in np.ravel(head_singular_values)],
            [float(x) for x in np.ravel(schur_eigenvalues)],
        )
    )
