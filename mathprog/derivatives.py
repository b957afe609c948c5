"""Numerical differentiation: finite differences, the complex step, gradients, Jacobians, Hessians.

Every finite difference trades two errors. Truncation error comes from cutting the Taylor
series and shrinks with the step ``h``; rounding error comes from subtracting two nearly equal
float64 values of ``f`` (each carries a relative error of about machine epsilon
``eps = 2.2e-16``) and then dividing by a small ``h``, so it grows as ``h`` shrinks. With
``f`` and its derivatives of order one, the error models and the steps that minimise them are

- forward/backward: ``h |f''| / 2 + 2 eps |f| / h``, best ``h ~ eps**(1/2)`` = 1.5e-8;
- central: ``h**2 |f'''| / 6 + eps |f| / h``, best ``h ~ eps**(1/3)`` = 6.1e-6;
- second derivative: ``h**2 |f''''| / 12 + 4 eps |f| / h**2``, best ``h ~ eps**(1/4)`` = 1.2e-4;
- complex step: ``h**2 |f'''| / 6`` and no subtraction at all, so any tiny ``h``: 1e-20.

(Setting the derivative of each error model to zero gives ``h* = 2 sqrt(eps |f| / |f''|)``,
``(3 eps |f| / |f'''|)**(1/3)`` and ``(48 eps |f| / |f''''|)**(1/4)``; the ratios of
derivatives are unknown in general, so the defaults keep only the power of ``eps``.) Steps are
relative: the default is that constant times ``max(1, |x|)``, because the rounding error of
``x + h`` itself is proportional to ``|x|``. The step is also made exactly representable,
``h = (x + h) - x``, so the divisor is the distance actually stepped.
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

    ``method`` is one of ``"forward"``, ``"backward"``, ``"central"``, ``"second"`` or
    ``"complex"``; ``x`` may be a number (returns a float) or an array (elementwise).
    The complex step is not scaled: it has no subtractive cancellation.
    """
    if method not in OPTIMAL_STEPS:
        raise ValueError(f"method must be one of {sorted(OPTIMAL_STEPS)}, got {method!r}")
    if method == "complex":
        return OPTIMAL_STEPS["complex"]
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))
    step = OPTIMAL_STEPS[method] * scale
    return float(step) if step.ndim == 0 else step


# --------------------------------------------------------------------------- validation


def _check_callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")


def _check_h(h: Any) -> float:
    return check.positive(h, "h")


def _as_point(x: Any) -> np.ndarray:
    """x as a finite float64 array of its own (0-d for a number)."""
    return check.array(x, "x", empty=True).copy()


def _arg(x: np.ndarray) -> Any:
    """What f is called with: a Python float for a scalar point, else the array itself."""
    return float(x) if x.ndim == 0 else x


def _values(y: Any, x: Any) -> np.ndarray:
    """f's output as a finite float64 array, with errors that say where f misbehaved."""
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
    """The requested steps at x, made exactly representable: (x + h) - x.

    A step below half the spacing of floats at x vanishes (x + h == x); dividing by it would
    give nan, so say so instead.
    """
    step = optimal_step(method, x) if h is None else _check_h(h)
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


# --------------------------------------------------------------------------- f: R -> R


def forward_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Forward difference ``(f(x + h) - f(x)) / h``, first-order accurate: error O(h).

    Parameters
    ----------
    f : callable
        A real function of one variable. If ``x`` is an array, ``f`` must act elementwise
        (as numpy ufuncs do) and the result is an array of derivatives.
    x : float or array_like
        Where to differentiate (finite).
    h : float, optional
        Step (positive, finite). Default ``sqrt(eps) * max(1, |x|)`` ~ 1.5e-8: the
        truncation error ``h |f''| / 2`` balances the rounding error ``2 eps |f| / h``.

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
    """Backward difference ``(f(x) - f(x - h)) / h``, first-order accurate: error O(h).

    Same parameters and default step (``sqrt(eps) * max(1, |x|)``) as
    :func:`forward_difference`; useful where ``f`` is undefined to the right of ``x``.
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "backward", sign=-1.0)
    d = (_eval(f, x) - _eval(f, x - step)) / step
    return _result(d)


def central_difference(f: Callable, x: Any, h: float | None = None) -> Any:
    """Central difference ``(f(x + h) - f(x - h)) / (2h)``, second-order accurate: O(h**2).

    The even Taylor terms cancel, leaving truncation error ``h**2 |f'''| / 6``; balanced
    against the rounding error ``eps |f| / h`` it gives the default step
    ``cbrt(eps) * max(1, |x|)`` ~ 6.1e-6 and a best error near ``eps**(2/3)`` ~ 4e-11.
    Parameters as in :func:`forward_difference`.
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "central")
    hi, lo = x + step, x - step
    d = (_eval(f, hi) - _eval(f, lo)) / (hi - lo)
    return _result(d)


def complex_step(f: Callable, x: Any, h: float = 1e-20) -> Any:
    """Complex-step derivative ``Im f(x + ih) / h``, exact to machine precision.

    For ``f`` analytic and real on the real line, ``f(x + ih) = f(x) + ih f'(x) - h**2 f''(x)/2
    - i h**3 f'''(x) / 6 + ...``, so the imaginary part gives ``f'(x)`` with error
    ``h**2 |f'''| / 6`` and *no subtraction*: nothing cancels, so ``h`` can be tiny. With the
    default ``h = 1e-20`` the truncation error is far below ``eps``. ``f`` must accept complex
    input (use ``numpy``/``cmath`` functions, not ``math``) and must not use ``abs`` or
    comparisons on its argument.
    """
    _check_callable(f)
    x = _as_point(x)
    h = _check_h(h)
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

    Truncation ``h**2 |f''''| / 12`` against rounding ``4 eps |f| / h**2`` gives the default
    step ``eps**(1/4) * max(1, |x|)`` ~ 1.2e-4. Parameters as in :func:`forward_difference`.
    """
    _check_callable(f)
    x = _as_point(x)
    step = _steps(x, h, "second")
    d = (_eval(f, x + step) - 2.0 * _eval(f, x) + _eval(f, x - step)) / step**2
    return _result(d)


# --------------------------------------------------------------------------- f: R^n -> R, R^m


def gradient(f: Callable, x: Any, h: float | None = None, *, inplace: bool = False) -> np.ndarray:
    """Gradient of a scalar function by central differences, shaped like ``x``.

    Each entry ``x[i]`` of one float64 copy of ``x`` is perturbed in place by ``+h`` and
    ``-h``, then restored exactly, so no array is allocated per entry: 2 evaluations of ``f``
    per entry. Default step
    ``cbrt(eps) * max(1, |x[i]|)`` per entry (see :func:`central_difference`).

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` (a scalar; for vector outputs use :func:`jacobian`).
    x : array_like
        Point of any shape, e.g. a 2-D weight matrix.
    h : float, optional
        Absolute step for every entry (positive, finite).
    inplace : bool, default False
        Perturb ``x`` itself (a writable float64 ndarray) instead of a float64 copy. Use it
        when ``f`` ignores its argument and reads ``x`` elsewhere, e.g. a layer's weights.
        ``x`` is restored exactly, even if ``f`` raises.

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
    """Jacobian ``J[i, j] = d f_i / d x_j`` by central differences, shape ``(m, n)``.

    ``f`` maps ``x`` of shape ``(n,)`` to an output of shape ``(m,)`` (a scalar counts as
    ``m = 1``). Column ``j`` costs two evaluations of ``f``. Default step as in
    :func:`gradient`.
    """
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
    """Hessian ``H[i, j] = d2 f / dx_i dx_j`` by central differences, shape ``(n, n)``.

    Diagonal: ``(f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h**2``; off-diagonal: the four-point
    ``(f(++) - f(+-) - f(-+) + f(--)) / (4 h_i h_j)``. Both have truncation error O(h**2) and
    rounding error ~ ``eps |f| / h**2``, hence the default step ``eps**(1/4) * max(1, |x_i|)``
    (see :func:`second_derivative`). The result is exactly symmetric. Costs ``2 n**2 + 1``
    evaluations of the scalar function ``f``.
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
