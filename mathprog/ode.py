"""Ordinary differential equations: explicit Euler, RK4 and symplectic Euler (notebook 10).

A derivative tells how fast a state changes, ``y' = f(t, y)``; stepping it forward in time
accumulates those changes into a trajectory, an integral computed one slice at a time. Each
method here takes the times to report, ``t`` (strictly increasing, steps may vary), and
returns the state at every one of them, one row per time:

- :func:`euler` -- ``y += h f(t, y)``: first order, and on an oscillator it gains energy
  every step (the spring's amplitude grows by ``sqrt(1 + h^2)`` per step).
- :func:`rk4` -- the classical fourth-order Runge-Kutta method: four slopes per step.
- :func:`symplectic_euler` -- semi-implicit Euler for ``x'' = a(t, x, v)``: update the
  velocity first, then move with the *new* velocity. Still first order, but when ``a``
  depends on ``x`` alone its energy error stays bounded instead of drifting.

``f(t, y)`` is called as by ``scipy.integrate.solve_ivp``: ``t`` a float, ``y`` a 1-D float
array, returning an array of the same shape (a number is accepted when the state has one
component). Notebook 10 also shows that gradient descent is :func:`euler` on the gradient
flow ``x' = -grad f(x)`` with step ``eta``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["euler", "rk4", "symplectic_euler"]


# --- argument checks: each names the parameter that was wrong --------------------------------


def _check_times(t: Any) -> np.ndarray:
    return check.increasing(t, "t")


def _check_state(y: Any, name: str) -> np.ndarray:
    y = check.array(y, name)
    if y.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array, got shape {y.shape}")
    return y.reshape(-1)


def _caller(fn: Callable, name: str, dim: int) -> Callable[..., np.ndarray]:
    """``fn`` wrapped so that its result is checked (real, of the state's shape) and so that it
    gets copies of the state: a callback that writes into its argument cannot corrupt it."""

    def call(t: float, *states: np.ndarray) -> np.ndarray:
        out = np.asarray(fn(t, *(y.copy() for y in states)), dtype=np.float64)
        if out.shape != (dim,) and not (dim == 1 and out.ndim == 0):
            raise ValueError(f"{name} must return an array of shape ({dim},), got {out.shape}")
        return out.reshape(dim)

    return call


def _check_finite(y: np.ndarray, k: int, t: float) -> None:
    # Divergence is reported where it happens, never returned as a column of inf/nan.
    if not np.all(np.isfinite(y)):
        raise FloatingPointError(
            f"the solution became non-finite at step {k} (t = {t:.6g}): the step is too "
            "large for this problem, or its solution blows up"
        )


# --- the methods ------------------------------------------------------------------------------


def _march(step: Callable, f: Any, y0: Any, t: Any) -> np.ndarray:
    """``y[k+1] = step(rhs, t[k], y[k], h)`` over the times ``t``, checked at every step."""
    check.function(f, "f")
    y0, t = _check_state(y0, "y0"), _check_times(t)
    rhs = _caller(f, "f", y0.size)
    ys = np.empty((len(t), y0.size))
    ys[0] = y0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(len(t) - 1):
            ys[k + 1] = step(rhs, t[k], ys[k], t[k + 1] - t[k])
            _check_finite(ys[k + 1], k + 1, t[k + 1])
    return ys


def euler(f: Callable[[float, np.ndarray], Any], y0: Any, t: Any) -> np.ndarray:
    """Explicit (forward) Euler: ``y[k+1] = y[k] + h f(t[k], y[k])``, ``h = t[k+1] - t[k]``.

    First order: halving the step halves the error at a fixed time.

    Parameters
    ----------
    f : callable ``f(t, y)``
        The right-hand side of ``y' = f(t, y)``, as in ``scipy.integrate.solve_ivp``.
    y0 : float or array_like, shape (dim,)
        The state at ``t[0]``.
    t : array_like, shape (n,)
        Strictly increasing times at which to report the state.

    Returns
    -------
    ndarray, shape (n, dim)
        ``y[k]`` approximates the solution at ``t[k]``; ``y[0] == y0``.

    Raises
    ------
    FloatingPointError
        If the state becomes non-finite (the message names the step and time).
    """
    return _march(lambda rhs, tk, y, h: y + h * rhs(tk, y), f, y0, t)


def rk4(f: Callable[[float, np.ndarray], Any], y0: Any, t: Any) -> np.ndarray:
    """The classical fourth-order Runge-Kutta method, one step per interval of ``t``.

    Four slopes per step, at the start, twice at the midpoint and at the end, averaged with
    weights 1, 2, 2, 1 (Simpson's rule, when ``f`` does not depend on ``y``). Fourth order:
    halving the step divides the error by 16. Parameters and result as in :func:`euler`.
    """
    return _march(_rk4_step, f, y0, t)


def _rk4_step(rhs: Callable, tk: float, y: np.ndarray, h: float) -> np.ndarray:
    k1 = rhs(tk, y)
    k2 = rhs(tk + h / 2, y + h / 2 * k1)
    k3 = rhs(tk + h / 2, y + h / 2 * k2)
    k4 = rhs(tk + h, y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def symplectic_euler(
    acceleration: Callable[[float, np.ndarray, np.ndarray], Any], x0: Any, v0: Any, t: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Semi-implicit (symplectic) Euler for ``x'' = acceleration(t, x, v)``.

    Each step kicks the velocity with the current acceleration, then drifts the position
    with the *new* velocity::

        v[k+1] = v[k] + h * acceleration(t[k], x[k], v[k])
        x[k+1] = x[k] + h * v[k+1]

    The same cost and first order as :func:`euler`, but when the acceleration depends on the
    position only (a spring, a pendulum, gravity) the method is symplectic: its energy error
    oscillates within a band of size O(h) for all time instead of drifting.

    Parameters
    ----------
    acceleration : callable ``acceleration(t, x, v)``
        Returns ``x''`` (same shape as ``x``); ``v`` is there for drag and damping.
    x0, v0 : float or array_like, shape (dim,)
        Position and velocity at ``t[0]``, the same shape.
    t : array_like, shape (n,)
        Strictly increasing times.

    Returns
    -------
    positions, velocities : ndarray, shape (n, dim) each

    Raises
    ------
    FloatingPointError
        If the state becomes non-finite (the message names the step and time).
    """
    check.function(acceleration, "acceleration")
    x0, v0, t = _check_state(x0, "x0"), _check_state(v0, "v0"), _check_times(t)
    if x0.shape != v0.shape:
        raise ValueError(f"x0 and v0 must have the same shape, got {x0.shape} and {v0.shape}")
    acc = _caller(acceleration, "acceleration", x0.size)
    xs, vs = np.empty((len(t), x0.size)), np.empty((len(t), x0.size))
    xs[0], vs[0] = x0, v0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(len(t) - 1):
            h = t[k + 1] - t[k]
            vs[k + 1] = vs[k] + h * acc(t[k], xs[k], vs[k])
            xs[k + 1] = xs[k] + h * vs[k + 1]
            _check_finite(np.concatenate([xs[k + 1], vs[k + 1]]), k + 1, t[k + 1])
    return xs, vs
