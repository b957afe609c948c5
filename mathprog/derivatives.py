"""Numerical differentiation (notebook 01): finite differences, the complex step, gradients,
Jacobians, Hessians.

Each finite difference trades truncation error (shrinks with ``h``) against rounding error
(``eps |f| / h``, grows as ``h`` shrinks); balancing them gives the default relative steps
``eps**(1/2)`` (forward/backward), ``eps**(1/3)`` (central), ``eps**(1/4)`` (second), times
``max(1, |x|)``, made exactly representable: ``h = (x + h) - x``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mathprog import _checks as check

EPS = float(np.finfo(np.float64).eps)

#: Relative float64-optimal step for each method (multiply by ``max(1, |x|)``).
OPTIMAL_STEPS: dict[str, float] = {
    "forward": EPS ** (1 / 2),
    "backward": EPS ** (1 / 2),
    "central": EPS ** (1 / 3),
    "second": EPS ** (1 / 4),
}

__all__ = ["EPS", "OPTIMAL_STEPS", "backward_difference", "central_difference", "complex_step",
           "forward_difference", "gradient", "hessian", "jacobian", "optimal_step",
           "second_derivative"]


def optimal_step(method: str, x: Any = 0.0) -> Any:
    """The default step of ``method`` at ``x``: ``OPTIMAL_STEPS[method] * max(1, |x|)``."""
    check.choice(method, "method", tuple(OPTIMAL_STEPS))
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))
    return _result(OPTIMAL_STEPS[method] * scale)


def _point(f: Any, x: Any, h: Any, method: str, sign: float = 1.0,
           ndim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Checked ``f`` and ``x`` (a float64 copy), and the steps actually taken at ``x``:
    ``sign * ((x + sign * h) - x)``, exactly representable; one that rounds to 0 is refused."""
    check.function(f, "f")
    x = check.array(x, "x", ndim=ndim, empty=ndim is None).copy()
    step = optimal_step(method, x) if h is None else check.positive(h, "h")
    actual = sign * ((x + sign * step) - x)
    if np.any(actual == 0):
        spacing = float(np.max(np.spacing(np.abs(x))))
        raise ValueError(f"h = {float(np.min(step)):.3g} is too small at x: x + h rounds back "
                         f"to x (floats there are {spacing:.3g} apart); use a larger h")
    return x, actual


def _call(f: Callable, x: np.ndarray, scalar_for: str = "") -> Any:
    """``f(x)`` (``f`` gets a float at a 0-d ``x``), checked real and finite: a float if 0-d
    or if ``scalar_for`` (the caller's name) needs one, else a float64 array."""
    arg = float(x) if x.ndim == 0 else x
    y = f(arg)
    if isinstance(y, float) and math.isfinite(y):  # fast path: gradient calls f 2n times
        return float(y)
    try:
        arr = np.array(y, dtype=np.float64)  # a copy: y may be a view of x, perturbed next
    except (TypeError, ValueError):
        raise TypeError(f"f must return real numbers, got {y!r} at x = {arg!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"f returned a non-finite value ({y!r}) at x = {arg!r}")
    if scalar_for and arr.size != 1:
        raise ValueError(f"{scalar_for} needs f to return a scalar, got shape {arr.shape} "
                         "(use jacobian for a vector-valued f)")
    return arr.item() if scalar_for or arr.ndim == 0 else arr


def _result(d: Any) -> Any:
    return float(d) if np.ndim(d) == 0 else d


def forward_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Forward difference ``(f(x + h) - f(x)) / h``, error O(h).

    Parameters
    ----------
    f : callable
        A real function of one variable, elementwise if ``x`` is an array.
    x : float or array_like
        Where to differentiate (finite); the result is a float or an array shaped like ``x``.
    h : float, optional
        Step (positive); default ``sqrt(eps) * max(1, |x|)``.
    """
    x, h = _point(f, x, h, "forward")
    return _result((_call(f, x + h) - _call(f, x)) / h)


def backward_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Backward difference ``(f(x) - f(x - h)) / h``, error O(h); see forward_difference."""
    x, h = _point(f, x, h, "backward", sign=-1.0)
    return _result((_call(f, x) - _call(f, x - h)) / h)


def central_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Central difference ``(f(x + h) - f(x - h)) / (2h)``, error O(h**2).

    Default step ``cbrt(eps) * max(1, |x|)``; parameters as in :func:`forward_difference`.
    """
    x, h = _point(f, x, h, "central")
    hi, lo = x + h, x - h
    return _result((_call(f, hi) - _call(f, lo)) / (hi - lo))


def complex_step(f: Callable, x: Any, h: float = 1e-20) -> Any:
    """Complex-step derivative ``Im f(x + ih) / h``: no subtraction, so ``h`` can be tiny.

    ``f`` must be analytic and accept complex input (numpy or cmath, not math or abs).
    """
    check.function(f, "f")
    x = check.array(x, "x", empty=True)
    h = check.positive(h, "h")
    try:
        y = np.asarray(f((float(x) if x.ndim == 0 else x) + 1j * h))
    except TypeError as err:
        raise TypeError(f"complex_step needs f to accept complex input (use numpy or cmath): "
                        f"{err}") from None
    if not np.all(np.isfinite(y)):
        raise ValueError(f"f returned a non-finite value ({y!r}) at x = {x!r} + {h}j")
    return _result(np.imag(y).astype(np.float64) / h)


def second_derivative(f: Callable, x: Any, h: float | None = None) -> Any:
    """Second derivative ``(f(x + h) - 2 f(x) + f(x - h)) / h**2``, error O(h**2).

    Default step ``eps**(1/4) * max(1, |x|)``; parameters as in :func:`forward_difference`.
    """
    x, h = _point(f, x, h, "second")
    return _result((_call(f, x + h) - 2.0 * _call(f, x) + _call(f, x - h)) / h**2)


def _partials(f: Callable, x: np.ndarray, steps: np.ndarray, scalar_for: str = "") -> list:
    """Central differences of ``f`` along each entry of ``x`` (perturbed in place, restored
    exactly even if ``f`` raises), in ``np.ndindex`` order."""
    out = []
    for i in np.ndindex(x.shape):
        old = x[i]
        up, down = old + steps[i], old - steps[i]
        try:
            x[i] = up
            hi = _call(f, x, scalar_for)
            x[i] = down
            lo = _call(f, x, scalar_for)
        finally:
            x[i] = old
        if not scalar_for and np.shape(hi) != np.shape(lo):  # vector outputs (jacobian)
            raise ValueError("f returned outputs of different shapes at different points")
        out.append((hi - lo) / (up - down))
    return out


def gradient(f: Callable, x: Any, h: float | None = None, *, inplace: bool = False) -> np.ndarray:
    """Gradient of a scalar ``f`` by central differences: a float64 array shaped like ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, called twice per entry of ``x``.
    x : array_like
        Point of any shape, e.g. a weight matrix.
    h : float, optional
        Absolute step for every entry; default as in :func:`central_difference`.
    inplace : bool, default False
        Perturb ``x`` itself (a writable float64 ndarray), e.g. a layer's weights that ``f``
        reads; restored exactly, even if ``f`` raises.
    """
    if inplace and not (isinstance(x, np.ndarray) and x.dtype == np.float64
                        and x.flags.writeable):
        raise TypeError("x must be a writable float64 ndarray when inplace=True")
    point, steps = _point(f, x, h, "central")
    return np.reshape(_partials(f, x if inplace else point, steps, "gradient"), point.shape)


def jacobian(f: Callable, x: Any, h: float | None = None) -> np.ndarray:
    """Jacobian ``J[i, j] = d f_i / d x_j`` of ``f: (n,) -> (m,)`` by central differences."""
    point, steps = _point(f, x, h, "central", ndim=1)
    columns = _partials(f, point, steps)
    if np.ndim(columns[0]) > 1 or len({np.shape(c) for c in columns}) > 1:
        raise ValueError("jacobian needs f to return shape (m,) or a scalar (the same shape at "
                         f"every point), got {np.shape(columns[0])}")
    return np.column_stack(columns)


def hessian(f: Callable, x: Any, h: float | None = None) -> np.ndarray:
    """Hessian ``H[i, j] = d2 f / dx_i dx_j`` by central differences, exactly symmetric.

    Off-diagonal entries by the four-point ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``.
    """
    point, steps = _point(f, x, h, "second", ndim=1)
    e = np.diag(steps)  # e[i]: the step along x_i

    def at(p: np.ndarray) -> float:
        return _call(f, p, "hessian")

    n, f0 = point.size, at(point)
    hess = np.empty((n, n), dtype=np.float64)
    for i in range(n):
        hess[i, i] = (at(point + e[i]) - 2.0 * f0 + at(point - e[i])) / steps[i] ** 2
        for j in range(i + 1, n):
            hess[i, j] = hess[j, i] = (
                at(point + e[i] + e[j]) - at(point + e[i] - e[j])
                - at(point - e[i] + e[j]) + at(point - e[i] - e[j])
            ) / (4.0 * steps[i] * steps[j])
    return hess
