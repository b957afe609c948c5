"""Notebook 03 · Partial derivatives and gradients."""

from __future__ import annotations

import numpy as np

from mathprog.exercises._core import (
    Fail,
    array,
    call,
    close,
    exercise,
    match_mistakes,
    number,
)

POINTS = [np.array([1.0, 2.0]), np.array([-0.5, 0.7]), np.array([2.0, -1.5])]


def _grad(p):  # f(x, y) = x² y + sin y
    x, y = p
    return np.array([2 * x * y, x**2 + np.cos(y)])


@exercise("03.partials")
def partials(grad_f) -> str:
    for p in POINTS:
        got = array(call(grad_f, p.copy(), what=f"grad_f({p.tolist()})"), (2,),
                    f"grad_f({p.tolist()})")
        want = _grad(p)
        if close(got, want, 1e-9):
            continue
        x, y = p
        match_mistakes(got, {
            "the two partials are swapped: entry 0 is ∂f/∂x, entry 1 is ∂f/∂y": want[::-1],
            "∂f/∂y misses the derivative of sin y (cos y)": [2 * x * y, x**2],
            "∂f/∂y: the derivative of sin y is cos y, not −cos y": [2 * x * y, x**2 - np.cos(y)],
            "∂f/∂x holds y fixed: ∂(x²y)/∂x = 2xy, not 2x": [2 * x, x**2 + np.cos(y)],
        })
        raise Fail(f"grad_f({p.tolist()}) = {np.round(got, 6).tolist()}, expected "
                   f"{np.round(want, 6).tolist()} (tolerance 1e-9)")
    return "(∂f/∂x, ∂f/∂y) = (2xy, x² + cos y) at three points"


@exercise("03.directional_derivative")
def directional_derivative(D) -> str:
    g = np.array([3.0, -4.0])
    for u in (np.array([1.0, 1.0]), np.array([0.0, 2.0]), np.array([-3.0, 0.5])):
        got = number(call(D, g.copy(), u.copy(), what=f"D(g, {u.tolist()})"),
                     f"D(g, {u.tolist()})")
        want = g @ u / np.linalg.norm(u)
        if abs(got - want) <= 1e-9 * max(1, abs(want)):
            continue
        if abs(got - g @ u) <= 1e-9 * max(1, abs(g @ u)):
            raise Fail(f"for u = {u.tolist()} it is ∇f·u = {g @ u:g}: u must be a unit "
                       "vector (divide by |u|)")
        if abs(got + want) <= 1e-9 * max(1, abs(want)):
            raise Fail("it has the wrong sign: D_u f = ∇f · u / |u|")
        raise Fail(f"D(g, {u.tolist()}) = {got:.6g}, expected {want:.6g} (tolerance 1e-9)")
    return "D_u f = ∇f · u/|u| for three directions, none of them unit length"


def _himmelblau_grad(p):
    x, y = p
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


@exercise("03.steepest_descent")
def steepest_descent(direction) -> str:
    for p in (np.array([1.0, 1.0]), np.array([-2.0, 0.5])):
        g = _himmelblau_grad(p)
        got = array(call(direction, _himmelblau_grad, p.copy(), what=f"at {p.tolist()}"), (2,),
                    f"the direction at {p.tolist()}")
        want = -g / np.linalg.norm(g)
        if close(got, want, 1e-9):
            continue
        match_mistakes(got, {
            "that is steepest ascent, +∇f/|∇f|: descent goes against the gradient": -want,
            f"it points the right way but has length |∇f| = {np.linalg.norm(g):.4g}, not 1: "
            "divide by the norm": -g,
            "its length is |∇f|, and it points uphill: use −∇f/|∇f|": g,
        })
        raise Fail(f"at {p.tolist()} it is {np.round(got, 6).tolist()}, expected "
                   f"{np.round(want, 6).tolist()} (tolerance 1e-9)")
    return "−∇f/|∇f|: the unit direction along which f falls fastest, at two points"


@exercise("03.hessian")
def hessian(hess_f) -> str:
    for p in POINTS:
        x, y = p
        got = array(call(hess_f, p.copy(), what=f"hess_f({p.tolist()})"), (2, 2),
                    f"hess_f({p.tolist()})")
        want = np.array([[2 * y, 2 * x], [2 * x, -np.sin(y)]])
        if close(got, want, 1e-9):
            continue
        if not np.allclose(got, got.T, rtol=1e-12, atol=1e-12):
            raise Fail("it is not symmetric: ∂²f/∂x∂y = ∂²f/∂y∂x (both are 2x here)")
        match_mistakes(got, {
            "the mixed partials ∂²f/∂x∂y = 2x are missing (off-diagonal)":
                np.diag(np.diag(want)),
            "∂²f/∂y²: the second derivative of sin y is −sin y, not sin y":
                [[2 * y, 2 * x], [2 * x, np.sin(y)]],
            "∂²f/∂y²: the second derivative of sin y is −sin y, not cos y or −cos y":
                [[2 * y, 2 * x], [2 * x, -np.cos(y)]],
        })
        raise Fail(f"hess_f({p.tolist()}) = {np.round(got, 6).tolist()}, expected "
                   f"{np.round(want, 6).tolist()} (tolerance 1e-9)")
    return "[[2y, 2x], [2x, −sin y]] at three points: symmetric, as the mixed partials agree"
