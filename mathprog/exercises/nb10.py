"""Notebook 10 · Integrals and ODEs: rules and steppers checked by their measured order.

The references are computed here (exact integrals and solutions), not taken from
``mathprog.integrals``.
"""

from __future__ import annotations

import math

from mathprog.exercises._core import (
    Fail,
    call,
    exercise,
    measured_order,
    number,
    order_verdict,
)

NS = [4, 8, 16, 32]
EXACT = math.e - 1  # ∫_0^1 e^x dx


def _errors(rule, ns=NS):
    errors = []
    for n in ns:
        got = number(call(rule, math.exp, 0.0, 1.0, n, what=f"your rule with n = {n}"),
                     f"its value for n = {n}")
        errors.append(abs(got - EXACT))
    return [1 / n for n in ns], errors


def _scale_checks(rule):
    got = number(call(rule, math.exp, 0.0, 1.0, 64, what="your rule with n = 64"),
                 "its value for n = 64")
    if abs(got - 2 * EXACT) < 1e-3:
        raise Fail("it is twice the integral: check the weight in front of the sum")
    if abs(got - EXACT / 2) < 1e-3:
        raise Fail("it is half the integral: check the weight in front of the sum")


@exercise("10.trapezoid")
def trapezoid(rule) -> str:
    _scale_checks(rule)
    hs, errors = _errors(rule)
    p = measured_order(hs, errors)
    if abs(p - 1) < 0.4:
        raise Fail(f"the error falls like h, not h² (measured order {p:.1f}): that is a "
                   "Riemann sum; average the two ends of each panel")
    order_verdict(p, 2)
    return "∫₀¹ eˣ dx with n = 4 … 32 panels: error falls like h² (measured)"


@exercise("10.simpson")
def simpson(rule) -> str:
    try:
        out = rule(math.exp, 0.0, 1.0, 3)
    except ValueError:
        pass
    except Exception as err:
        raise Fail(f"an odd n should raise ValueError; it raised {type(err).__name__}") from None
    else:
        raise Fail(f"n = 3 returned {out!r}: Simpson's rule pairs panels, so an odd n must "
                   "raise ValueError")
    _scale_checks(rule)
    hs, errors = _errors(rule)
    order_verdict(measured_order(hs, errors), 4)
    return "error falls like h⁴ (measured, n = 4 … 32), and an odd n raises ValueError"


# --------------------------------------------------------------------------- ODE steps


def _rhs(t, y):
    return y * math.cos(t)  # y' = y cos t, y(0) = 1: y = exp(sin t) (notebook 01's f)


def _global_errors(step, dts, t_end=2.0):
    errors = []
    for dt in dts:
        t, y = 0.0, 1.0
        for k in range(round(t_end / dt)):
            y = number(call(step, _rhs, t, y, dt, what=f"your step (dt = {dt:g}, k = {k})"),
                       "the new y")
            t += dt
        errors.append(abs(y - math.exp(math.sin(t_end))))
    return errors


@exercise("10.rk4_step")
def rk4_step(step) -> str:
    y1 = number(call(step, _rhs, 0.5, 1.0, 0.1, what="one step"), "the new y")
    if abs(y1 - _rhs(0.5, 1.0)) < 1e-12:
        raise Fail("it returned the slope f(t, y); the step returns y + dt · (weighted slopes)")
    if abs(y1 - 1.0) < 1e-12:
        raise Fail("y did not move: add dt times the weighted slopes")
    dts = [0.2, 0.1, 0.05]
    errors = _global_errors(step, dts)
    order_verdict(measured_order(dts, errors), 4, var="dt")
    return "on y' = y cos t up to t = 2: the global error falls like dt⁴ (measured)"


def _energy(q, p):
    return 0.5 * (q * q + p * p)


@exercise("10.symplectic_euler")
def symplectic_euler(step) -> str:
    dt = 0.1
    out = call(step, 1.0, 0.0, dt, what="step(q, p, dt)")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail("step(q, p, dt) should return the new (q, p)")
    q1, p1 = (number(v, "the new q, p") for v in out)
    if abs(q1 - 1.0) < 1e-12 and abs(p1 - 0.0) < 1e-12:
        raise Fail("nothing moved: q' = p and p' = −q")
    if abs(q1 - (1.0 + 0.0)) < 1e-12 and abs(p1 - dt) < 1e-12:
        raise Fail("p moved the wrong way: the spring pulls back, p' = −q")
    q, p = 1.0, 0.0
    energies = []
    for _ in range(2000):  # 200 time units, ~32 periods
        out = call(step, q, p, dt, what="step(q, p, dt)")
        q, p = (number(v, "the new q, p") for v in out)
        energies.append(_energy(q, p))
    e0, hi, lo = 0.5, max(energies), min(energies)
    if hi > 2 * e0:
        raise Fail(f"the energy grew from 0.5 to {hi:.3g} in 2000 steps: that is explicit "
                   "Euler; update p, then q with the new p (or q, then p with the new q)")
    if lo < e0 / 2:
        raise Fail(f"the energy fell from 0.5 to {lo:.3g}: the method is dissipative, not "
                   "symplectic; use the newly updated variable in the second update")
    return (f"over 2000 steps the energy stays between {lo:.3f} and {hi:.3f} (it oscillates "
            "around 0.5, never drifts): symplectic")
