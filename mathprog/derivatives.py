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
    "complex": 1e-20,
}

__all__ = ["EPS", "OPTIMAL_STEPS", "backward_difference", "central_difference", "complex_step",
           "forward_difference", "gradient", "hessian", "jacobian", "optimal_step",
           "second_derivative"]


def optimal_step(method: str, x: Any = 0.0) -> Any:
    """The default step of ``method`` at ``x``: ``OPTIMAL_STEPS[method] * max(1, |x|)``.

    The complex step is not scaled: it has no subtractive cancellation.
    """
    if method not in OPTIMAL_STEPS:
        raise ValueError(f"method must be one of {sorted(OPTIMAL_STEPS)}, got {method!r}")
    if method == "complex":
        return OPTIMAL_STEPS["complex"]
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))
    step = OPTIMAL_STEPS[method] * scale
    return float(step) if step.ndim == 0 else step


def _check_callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def _as_point(x: Any) -> np.ndarray:
    return check.array(x, "x", empty=True).copy()


def _arg(x: np.ndarray) -> Any:  # f gets a Python float at a scalar point
    return float(x) if x.ndim == 0 else x


def _values(y: Any, x: Any) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"f must return real numbers, got {y!r} at x = {x!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"f returned a non-finite value ({y!r}) at x = {x!r}")
    return arr


def _eval(f: Callable, x: np.ndarray) -> np.ndarray:
    a = _arg(x)
    return _values(f(a), a)


def _scalar(f: Callable, x: np.ndarray, who: str) -> float:
    y = f(x)
    if isinstance(y, float):  # fast path (np.float64 too): gradient calls this 2n times
        if not math.isfinite(y):
            raise ValueError(f"f returned a non-finite value ({y!r}) at x = {x!r}")
        return float(y)
    arr = _values(y, x)
    if arr.size != 1:
        raise ValueError(
            f"{who} needs f to return a scalar, got shape {arr.shape} "
            "(use jacobian for a vector-valued f)"
        )
    return float(arr.reshape(()))


def _steps(x: np.ndarray, h: Any, method: str, sign: float = 1.0) -> np.ndarray:
    """The steps at x, exactly representable: (x + h) - x; refuse one that rounds to 0."""
    step = optimal_step(method, x) if h is None else check.positive(h, "h")
    actual = sign * ((x + sign * step) - x)
    if np.any(actual == 0):
        spacing = float(np.max(np.spacing(np.abs(x))))
        raise ValueError(
            f"h = {float(np.min(step)):.3g} is too small at x: x + h rounds back to x "
            f"(floats there are {spacing:.3g} apart); use a larger h"
        )
    return actual


def _result(d: np.ndarray) -> Any:
    return float(d) if d.ndim == 0 else d


def forward_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Forward difference ``(f(x + h) - f(x)) / h``, error O(h).

    Parameters
    ----------
    f : callable
        A real function of one variable, elementwise if ``x`` is an array.
    x : float or array_like
        Where to differentiate (finite).
    h : float, optional
        Step (positive); default ``sqrt(eps) * max(1, |x|)``.

    Returns
    -------
    float or ndarray
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "forward")
    d = (_eval(f, x + step) - _eval(f, x)) / step
    return _result(d)


def backward_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Backward difference ``(f(x) - f(x - h)) / h``, error O(h); see forward_difference."""
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "backward", sign=-1.0)
    d = (_eval(f, x) - _eval(f, x - step)) / step
    return _result(d)


def central_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Central difference ``(f(x + h) - f(x - h)) / (2h)``, error O(h**2).

    Default step ``cbrt(eps) * max(1, |x|)``; parameters as in :func:`forward_difference`.
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "central")
    hi, lo = x + step, x - step
    d = (_eval(f, hi) - _eval(f, lo)) / (hi - lo)
    return _result(d)


def complex_step(f: Callable, x: Any, h: float = 1e-20) -> Any:
    """Complex-step derivative ``Im f(x + ih) / h``: no subtraction, so ``h`` can be tiny.

    ``f`` must be analytic and accept complex input (numpy or cmath, not math or abs).
    """
    _check_callable(f)
    x = _as_point(x)
    h = check.positive(h, "h")
    try:
        y = f(_arg(x) + 1j * h)
    except TypeError as err:
        raise TypeError(
            f"complex_step needs f to accept complex input (use numpy or cmath): {err}"
        ) from None
    y = np.asarray(y)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"f returned a non-finite value ({y!r}) at x = {x!r} + {h}j")
    return _result(np.imag(y).astype(np.float64) / h)


def second_derivative(f: Callable, x: Any, h: float | None = None) -> Any:
    """Second derivative ``(f(x + h) - 2 f(x) + f(x - h)) / h**2``, error O(h**2).

    Default step ``eps**(1/4) * max(1, |x|)``; parameters as in :func:`forward_difference`.
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "second")
    d = (_eval(f, x + step) - 2.0 * _eval(f, x) + _eval(f, x - step)) / step**2
    return _result(d)


def gradient(f: Callable, x: Any, h: float | None = None, *, inplace: bool = False) -> np.ndarray:
    """Gradient of a scalar ``f`` by central differences, 2 evaluations per entry.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : array_like
        Point of any shape, e.g. a weight matrix.
    h : float, optional
        Absolute step for every entry; default as in :func:`central_difference`.
    inplace : bool, default False
        Perturb ``x`` itself (a writable float64 ndarray), e.g. a layer's weights that ``f``
        reads; restored exactly, even if ``f`` raises.

    Returns
    -------
    ndarray
        ``float64``, same shape as ``x``.
    """
    _check_callable(f)
    if inplace:
        if not (isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable):
            raise TypeError("x must be a writable float64 ndarray when inplace=True")
        if not np.all(np.isfinite(x)):
            raise ValueError("x must be finite")
        point = x
    else:
        point = _as_point(x)
    steps = _steps(point, h, "central")
    grad = np.empty(point.shape, dtype=np.float64)
    _scalar(f, point, "gradient")  # fail early, with a clear message, if f is not scalar
    for i in np.ndindex(point.shape):
        old = point[i]
        up, down = old + steps[i], old - steps[i]
        try:
            point[i] = up
            hi = _scalar(f, point, "gradient")
            point[i] = down
            lo = _scalar(f, point, "gradient")
        finally:
            point[i] = old
        grad[i] = (hi - lo) / (up - down)
    return grad


def _vector_point(x: Any, name: str) -> np.ndarray:
    point = _as_point(x)
    if point.ndim != 1 or point.size == 0:
        raise ValueError(f"{name} needs x of shape (n,) with n >= 1, got shape {point.shape}")
    return point


def jacobian(f: Callable, x: Any, h: float | None = None) -> np.ndarray:
    """Jacobian ``J[i, j] = d f_i / d x_j`` of ``f: (n,) -> (m,)`` by central differences."""
    _check_callable(f)
    point = _vector_point(x, "jacobian")
    steps = _steps(point, h, "central")

    def value(p: np.ndarray) -> np.ndarray:
        y = _values(f(p), p)
        if y.ndim > 1:
            raise ValueError(f"jacobian needs f to return shape (m,) or a scalar, got {y.shape}")
        return y.reshape(-1)

    m = value(point).size
    jac = np.empty((m, point.size), dtype=np.float64)
    for j in range(point.size):
        old = point[j]
        point[j] = old + steps[j]
        hi = value(point)
        point[j] = old - steps[j]
        lo = value(point)
        point[j] = old
        if hi.size != m or lo.size != m:
            raise ValueError("f returned outputs of different sizes at different points")
        jac[:, j] = (hi - lo) / (2.0 * steps[j])
    return jac


def hessian(f: Callable, x: Any, h: float | None = None) -> np.ndarray:
    """Hessian ``H[i, j] = d2 f / dx_i dx_j`` by central differences, exactly symmetric.

    Off-diagonal entries by the four-point ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``.
    """
    _check_callable(f)
    point = _vector_point(x, "hessian")
    steps = _steps(point, h, "second")
    n = point.size
    f0 = _scalar(f, point, "hessian")
    hess = np.empty((n, n), dtype=np.float64)

    def shifted(i: int, si: float, j: int, sj: float) -> float:
        p = point.copy()
        p[i] += si
        p[j] += sj
        return _scalar(f, p, "hessian")

    for i in range(n):
        hi = steps[i]
        hess[i, i] = (shifted(i, hi, i, 0.0) - 2.0 * f0 + shifted(i, -hi, i, 0.0)) / hi**2
        for j in range(i + 1, n):
            hj = steps[j]
            hess[i, j] = hess[j, i] = (
                shifted(i, hi, j, hj)
                - shifted(i, hi, j, -hj)
                - shifted(i, -hi, j, hj)
                + shifted(i, -hi, j, -hj)
            ) / (4.0 * hi * hj)
    return hess
