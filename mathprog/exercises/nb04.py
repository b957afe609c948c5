"""Notebook 04 · Gradient descent: one step, the limit 2/L, steps to converge."""

from __future__ import annotations

import math

import numpy as np

from mathprog.exercises._core import Fail, array, call, close, exercise, match_mistakes, number


@exercise("04.gd_step")
def gd_step(step) -> str:
    A = np.diag([1.0, 10.0])

    def grad(x):
        return A @ x

    x = np.array([2.0, -1.0])
    for lr in (0.05, 0.15):
        x_in = x.copy()
        got = array(call(step, x_in, grad, lr, what=f"step(x, grad, {lr})"), (2,),
                    f"step(x, grad, {lr})")
        want = x - lr * grad(x)
        if close(got, want, 1e-12):
            x = want
            continue
        match_mistakes(got, {
            "it goes uphill: the step is x − η ∇f(x), against the gradient": x + lr * grad(x),
            "it returned the update η ∇f(x), not the new point x − η ∇f(x)": lr * grad(x),
            "it returned −η ∇f(x): add it to x": -lr * grad(x),
            "the learning rate is missing: x − η ∇f(x)": x - grad(x),
        }, rtol=1e-9)
        raise Fail(f"step(x, grad, {lr}) = {got.tolist()}, expected {want.tolist()}")
    return "x − η ∇f(x), two steps in a row"


@exercise("04.stability_limit")
def stability_limit(answer) -> str:
    lr = number(answer, "your learning rate")
    L, mu = 25.0, 4.0
    if abs(lr - 2 / L) <= 0.01 * 2 / L:
        return f"η < 2/L = 2/{L:g} = {2 / L:g} (tolerance 1%): the steepest direction decides"
    for value, message in (
        (1 / L, "1/L is where smooth convergence ends; oscillating runs still converge up to 2/L"),
        (2 / mu, "2/μ uses the flattest curvature; the steepest one, L = 25, diverges first"),
        (2 / (L + mu), "2/(L + μ) is the best fixed step, not the largest stable one"),
        (1 / mu, "1/μ uses the flattest curvature; stability is decided by L = 25: 2/L"),
    ):
        if abs(lr - value) <= 0.01 * value:
            raise Fail(message)
    raise Fail(f"η = {lr:g} is not the limit (tolerance 1%): along each eigenvector the "
               "factor is 1 − ηλ, and it must stay in (−1, 1)")


def _steps(x0: float, L: float, lr: float, tol: float) -> int:
    x, k = x0, 0
    while abs(x) >= tol:
        x -= lr * L * x
        k += 1
    return k


@exercise("04.steps_to_converge")
def steps_to_converge(answer) -> str:
    got = number(answer, "your number of steps")
    x0, L, lr, tol = 2.0, 10.0, 0.02, 1e-6
    want = _steps(x0, L, lr, tol)  # 66
    if abs(got - want) <= 1:
        return (f"{want} steps (tolerance ±1): |x_k| = 2 · 0.8^k falls below 1e-6 once "
                f"k > ln(5e-7)/ln(0.8) = {math.log(tol / x0) / math.log(1 - lr * L):.2f}")
    for value, message in (
        (math.log(tol / x0) / math.log(lr * L),
         "you used ηL = 0.2 as the factor; each step multiplies x by 1 − ηL = 0.8"),
        (math.log(tol) / math.log(1 - lr * L),
         "that ignores the start: x_k = (1 − ηL)^k x0 with x0 = 2"),
        (math.log(tol / x0) / math.log(1 - lr * L / 2),
         "L = f'' = 10 for f = 5x² (not 5): the factor is 1 − 0.02 · 10 = 0.8"),
    ):
        if abs(got - value) <= 1.5:
            raise Fail(message)
    raise Fail(f"{got:g} steps is off (tolerance ±1): solve 2 · (1 − ηL)^k < 1e-6 for k")
