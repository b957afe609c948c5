"""Notebook 02 · The chain rule: local derivatives, multiplied along the graph."""

from __future__ import annotations

import math

import numpy as np

from mathprog.autodiff import Value
from mathprog.exercises._core import Fail, call, exercise, match_mistakes, number

XS = [-1.3, 0.4, 0.9, 1.7]


@exercise("02.chain_rule")
def chain_rule(dh) -> str:
    xs = np.array(XS)
    got = np.array([number(call(dh, float(x), what=f"dh({x})"), f"dh({x})") for x in xs])
    exact = 2 * xs * np.cos(xs**2)
    if np.allclose(got, exact, rtol=1e-9, atol=1e-12):
        return "dh/dx = cos(x²) · 2x at four points: outer derivative times inner derivative"
    match_mistakes(got, {
        "the inner derivative 2x is missing: the chain rule multiplies by g'(x)": np.cos(xs**2),
        "the outer derivative is evaluated at x, not at the inner value x²": 2 * xs * np.cos(xs),
        "the derivative of sin is cos, not −cos (a sign)": -exact,
        "the outer derivative of sin is cos: you kept sin": 2 * xs * np.sin(xs**2),
        "the inner derivative of x² is 2x, not 2": 2 * np.cos(xs**2),
    })
    raise Fail(f"dh({XS[0]}) = {got[0]:.6g}, expected {exact[0]:.6g} (tolerance 1e-9)")


@exercise("02.mul_local")
def mul_local(local) -> str:
    for a, b in [(3.0, -2.0), (0.5, 4.0)]:
        out = call(local, a, b, what=f"mul_local({a}, {b})")
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Fail(f"mul_local({a}, {b}) should return two numbers (d/da, d/db), "
                       f"got {out!r}")
        da, db = (number(v, f"mul_local({a}, {b})") for v in out)
        if (da, db) == (a, b):
            raise Fail("swapped: ∂(a·b)/∂a is b (what multiplies a), and ∂(a·b)/∂b is a")
        if (da, db) == (1.0, 1.0):
            raise Fail("(1, 1) are the local derivatives of a + b, not of a · b")
        if da == db == a * b:
            raise Fail("that is the product itself; its local derivatives are (b, a)")
        if (da, db) != (b, a):
            raise Fail(f"mul_local({a}, {b}) = ({da:g}, {db:g}), expected ({b:g}, {a:g})")
    return "∂(a·b)/∂a = b and ∂(a·b)/∂b = a: what Value.__mul__ stores beside its forward"


@exercise("02.tanh_from_exp")
def tanh_from_exp(tanh) -> str:
    for a in (-1.2, 0.3, 2.0):
        x = Value(a)
        out = call(tanh, x, what=f"your tanh(Value({a}))")
        if not isinstance(out, Value):
            raise Fail(f"it returned a {type(out).__name__}, not a Value: build the result "
                       "from Value operations (x.exp(), +, -, /) so the gradient can flow")
        if abs(out.data - math.tanh(a)) > 1e-9:
            raise Fail(f"the forward value at {a} is {out.data:.6g}, tanh({a}) = "
                       f"{math.tanh(a):.6g}; tanh x = (e^{{2x}} − 1)/(e^{{2x}} + 1)")
        out.backward()
        want = 1 - math.tanh(a) ** 2
        if x.grad == 0.0:
            raise Fail("x.grad is 0: the graph from x to your result is cut (was a new Value "
                       "made from a .data?)")
        if abs(x.grad - want) > 1e-9:
            raise Fail(f"x.grad at {a} is {x.grad:.6g}, expected 1 − tanh² = {want:.6g}")
    return "value and gradient 1 − tanh²x match at three points, with exp doing the calculus"


@exercise("02.depth_product")
def depth_product(answer) -> str:
    got = number(answer, "your prediction")
    exact = 1.14**30
    if abs(got - exact) <= 0.01 * exact:
        return f"{got:.4g} ≈ 1.14³⁰ = {exact:.4g} (tolerance 1%): thirty factors multiply"
    for value, message in (
        (1.14 * 30, "1.14 × 30 adds the factors up; the chain rule multiplies them: 1.14³⁰"),
        (1 + 0.14 * 30, "that is linear growth; per-layer factors compound: 1.14³⁰"),
        (1.14**29, "one factor per layer: 30 layers give 30 factors"),
    ):
        if abs(got - value) <= 0.01 * value:
            raise Fail(message)
    raise Fail(f"{got:.4g} is off (tolerance 1%): multiply one factor per layer")
