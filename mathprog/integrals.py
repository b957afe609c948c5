"""Integrals as accumulation: Riemann sums, the trapezoid and Simpson rules (notebook 10).

An integral adds up a rate over an interval: cut ``[a, b]`` into ``n`` slices of width
``h = (b - a) / n``, multiply the rate in each slice by its width, and sum. The rules differ
only in where they sample the rate and how they weight the samples, and that sets how fast
the error falls as ``n`` grows (for a smooth ``f``):

- :func:`riemann_sum` -- one sample per slice: ``"left"`` or ``"right"`` end, error ~ ``h``
  (order 1); ``"midpoint"``, error ~ ``h**2`` (order 2).
- :func:`trapezoid` -- a straight line across each slice, error ~ ``h**2`` (order 2).
- :func:`simpson` -- a parabola across each pair of slices, error ~ ``h**4`` (order 4).
- :func:`cumulative_trapezoid` -- the running total of samples ``y`` at points ``x``: the
  integral as a function of its upper limit, the inverse of differentiation.

Below the truncation error sits round-off: each of the ``n`` terms carries a relative error
of about ``eps = 2.2e-16``, so past some ``n`` more slices stop helping (notebook 10 measures
where). ``f`` is called once, with a numpy array of all the sample points, so it must be
vectorised (``np.sin`` is; ``math.sin`` is not).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["RULES", "cumulative_trapezoid", "riemann_sum", "simpson", "trapezoid"]

#: Where :func:`riemann_sum` samples each slice, as a fraction of its width.
RULES: dict[str, float] = {"left": 0.0, "midpoint": 0.5, "right": 1.0}


def _samples(f: Any, x: np.ndarray) -> np.ndarray:
    """``f`` at every point of ``x``, checked: real, finite, one value per point."""
    y = np.asarray(check.function(f, "f")(x))
    if not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
        raise TypeError(f"f must return real numbers, got dtype {y.dtype}")
    if y.shape != x.shape:
        if y.ndim != 0:  # a constant function may return one number
            raise ValueError(
                f"f must return one value per point: called with shape {x.shape}, "
                f"returned shape {y.shape} (f must be vectorised, like np.sin)"
            )
        y = np.full(x.shape, y)
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        bad = int(np.argmax(~np.isfinite(y)))
        raise ValueError(f"f returned a non-finite value ({y[bad]!r}) at x = {x[bad]!r}")
    return y


def _grid(a: Any, b: Any, n: int) -> tuple[np.ndarray, float]:
    a, b = check.number(a, "a"), check.number(b, "b")
    return np.linspace(a, b, n + 1), (b - a) / n


# --- the rules --------------------------------------------------------------------------------


def riemann_sum(
    f: Callable[[np.ndarray], Any], a: float, b: float, n: int, rule: str = "midpoint"
) -> float:
    """The Riemann sum ``h * sum f(x_i)`` with one sample per slice of ``[a, b]``.

    Parameters
    ----------
    f : callable
        The rate, vectorised: ``f(x)`` for an array ``x`` returns an array of its shape.
    a, b : float
        The limits (``b < a`` gives the negative of the integral from ``b`` to ``a``).
    n : int
        Number of slices, >= 1; each has width ``h = (b - a) / n``.
    rule : {"midpoint", "left", "right"}
        Where each slice is sampled. Left and right sums are first order (error ~ ``h``),
        the midpoint sum second order (error ~ ``h**2``).

    Returns
    -------
    float
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
    n = check.integer(n, "n", 1)
    edges, h = _grid(a, b, n)
    x = edges[:-1] + RULES[rule] * h
    return float(h * np.sum(_samples(f, x)))


def trapezoid(f: Callable[[np.ndarray], Any], a: float, b: float, n: int) -> float:
    """The composite trapezoid rule: ``h * (y_0/2 + y_1 + ... + y_{n-1} + y_n/2)``.

    Second order: the error is about ``-(b - a) h**2 f''/12``. Parameters as in
    :func:`riemann_sum`.
    """
    n = check.integer(n, "n", 1)
    x, h = _grid(a, b, n)
    y = _samples(f, x)
    return float(h * (np.sum(y[1:-1]) + (y[0] + y[-1]) / 2))


def simpson(f: Callable[[np.ndarray], Any], a: float, b: float, n: int) -> float:
    """The composite Simpson rule: ``h/3 * (y_0 + 4 y_1 + 2 y_2 + ... + 4 y_{n-1} + y_n)``.

    Fits a parabola through each pair of slices; fourth order (error about
    ``-(b - a) h**4 f''''/180``) and exact for cubics. ``n`` must be even. Parameters as in
    :func:`riemann_sum`.
    """
    if check.integer(n, "n", 1) % 2:
        raise ValueError(f"n must be even for Simpson's rule (it pairs the slices), got {n}")
    x, h = _grid(a, b, n)
    y = _samples(f, x)
    return float(h / 3 * (y[0] + y[-1] + 4 * np.sum(y[1:-1:2]) + 2 * np.sum(y[2:-1:2])))


def cumulative_trapezoid(y: Any, x: Any) -> np.ndarray:
    """The running trapezoid integral of samples ``y`` taken at points ``x``.

    ``out[k]`` approximates the integral of ``y`` from ``x[0]`` to ``x[k]``, so ``out[0] = 0``
    and ``out`` has the length of ``x`` (unlike ``scipy.integrate.cumulative_trapezoid``,
    which drops the leading zero unless asked). Points may be unevenly spaced.

    Parameters
    ----------
    y : array_like, shape (n,)
        Finite samples of the rate.
    x : array_like, shape (n,)
        Strictly increasing, finite sample points, n >= 1.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    y, x = check.array(y, "y", ndim=1), check.increasing(x, "x")
    if y.shape != x.shape:
        raise ValueError(f"y and x must have the same length, got {len(y)} and {len(x)}")
    steps = np.diff(x)
    return np.concatenate([[0.0], np.cumsum(steps * (y[1:] + y[:-1]) / 2)])

