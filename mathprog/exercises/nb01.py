"""Notebook 01 · Derivatives: difference quotients checked by their measured order."""

from __future__ import annotations

import cmath
import math

import numpy as np

from mathprog.exercises._core import Fail, call, exercise, measured_order, number, order_verdict

EPS = float(np.finfo(float).eps)
X0 = 1.0
HS = [1e-1, 3e-2, 1e-2, 3e-3]  # truncation error dominates here: round-off is < 1e-12


def _f(x):
    """exp(sin x), real or complex (notebook 01's running example)."""
    return cmath.exp(cmath.sin(x)) if isinstance(x, complex) else math.exp(math.sin(x))


def _df(x):
    return math.cos(x) * math.exp(math.sin(x))


def _estimates(method, x=X0, hs=HS):
    return [number(call(method, _f, x, h, what=f"your function at h = {h:g}"),
                   f"its value at h = {h:g}") for h in hs]


def _scale_mistakes(est, exact, h):
    """Mistakes that show as a fixed factor or a sign at one h."""
    if abs(est + exact) < 1e-2 * abs(exact):
        raise Fail("it has the wrong sign: f(x + h) comes first in the numerator")
    if abs(est - 2 * exact) < 1e-2 * abs(exact):
        raise Fail("it is twice the derivative: divide by 2h (the secant is 2h wide)")
    if abs(est - exact / 2) < 1e-2 * abs(exact):
        raise Fail("it is half the derivative: divide by 2h, not 4h")
    for k in (1, 2):
        if abs(est - exact * k * h) < 1e-2 * abs(exact) * k * h:
            raise Fail(f"it is the derivative times {'2' if k == 2 else ''}h: divide the "
                       "difference by 2h")


@exercise("01.central_difference")
def central_difference(method) -> str:
    est = _estimates(method)
    exact = _df(X0)
    _scale_mistakes(est[-1], exact, HS[-1])
    errors = [abs(e - exact) for e in est]
    order_verdict(measured_order(HS, errors), 2)
    return "error falls like h² (measured from h = 0.1 to 0.003): a central difference"


@exercise("01.optimal_h")
def optimal_h(h) -> str:
    h = number(h, "your step h")
    cbrt, sqrt = EPS ** (1 / 3), math.sqrt(EPS)
    if h <= 0:
        raise Fail("a step must be positive")
    if cbrt / 10 <= h <= cbrt * 10:
        return (f"h = {h:.1e} is within a factor 10 of ∛ε = {cbrt:.1e}, where truncation "
                "(∝ h²) and round-off (∝ ε/h) balance")
    if sqrt / 10 <= h <= sqrt * 10:
        raise Fail(f"h = {h:.1e} is near √ε = {sqrt:.1e}, the best step of the one-sided "
                   "differences; the central difference's truncation error is ∝ h², not h")
    if h < cbrt / 10:
        raise Fail(f"h = {h:.1e} is too small: round-off (∝ ε/h) dominates there "
                   "(accepted: within a factor 10 of the optimum)")
    raise Fail(f"h = {h:.1e} is too large: truncation (∝ h²) dominates there "
               "(accepted: within a factor 10 of the optimum)")


@exercise("01.complex_step")
def complex_step(method) -> str:
    exact = _df(X0)
    out = call(method, _f, X0, 1e-20, what="your function at h = 1e-20")
    if isinstance(out, complex):
        raise Fail("it returned a complex number: the derivative is the imaginary part / h")
    est = number(out, "its value at h = 1e-20")
    if abs(est - _f(X0)) < 1e-9 or abs(est * 1e-20 - _f(X0)) < 1e-9:
        raise Fail("it returned f(x): take the imaginary part of f(x + ih), not the real part")
    if abs(est - exact * 1e-20) < 1e-28:
        raise Fail("it is the derivative times h: divide the imaginary part by h")
    if abs(est + exact) < 1e-9:
        raise Fail("it has the wrong sign")
    if abs(est - exact) > 1e-12 * abs(exact):
        raise Fail(f"at h = 1e-20 it is off by {abs(est - exact):.1e}; the complex step "
                   "should be exact to about ε |f'| (tolerance 1e-12, relative)")
    return ("exact to round-off even at h = 1e-20: no subtraction, so no cancellation "
            "(tolerance 1e-12, relative)")
