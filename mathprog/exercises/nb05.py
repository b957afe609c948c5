"""Notebook 05 · Linear regression: the MSE, its gradient, the step it allows."""

from __future__ import annotations

import numpy as np

from mathprog.exercises._core import Fail, call, compare_gradient, exercise, number

_rng = np.random.default_rng(5)
N = 20
X = _rng.standard_normal((N, 3))
Y = X @ np.array([1.5, -2.0, 0.5]) + 3.0 + 0.1 * _rng.standard_normal(N)
W = np.array([0.3, 0.1, -0.4])
B = 0.7


def _args():
    return X.copy(), Y.copy(), W.copy(), B


@exercise("05.mse")
def mse(fn) -> str:
    got = number(call(fn, *_args(), what="mse(X, y, w, b)"), "mse(X, y, w, b)")
    r = X @ W + B - Y
    want = float(np.mean(r**2))
    if abs(got - want) <= 1e-9 * want:
        return "the mean of the squared residuals (x·w + b − y)²"
    for value, message in (
        (N * want, f"it is N = {N} times too large: the sum, not the mean (divide by n)"),
        (np.sqrt(want), "that is the root of the MSE (RMSE): leave out the square root"),
        (np.mean(np.abs(r)), "that is the mean absolute error: square the residuals"),
        (np.mean((X @ W - Y) ** 2), "the bias b is missing from the prediction x·w + b"),
        (want / 2, "it is half the MSE: notebook 05's loss is (1/n) Σ r², without a 1/2"),
    ):
        if abs(got - value) <= 1e-9 * abs(value):
            raise Fail(message)
    raise Fail(f"mse = {got:.6g}, expected {want:.6g} (tolerance 1e-9, relative)")


@exercise("05.mse_gradient")
def mse_gradient(fn) -> str:
    out = call(fn, *_args(), what="mse_grad(X, y, w, b)")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Fail(f"mse_grad should return two things, (dL/dw, dL/db); got {type(out).__name__}")
    gw, gb = out
    r = X @ W + B - Y
    compare_gradient("dL/dw", gw, 2 / N * X.T @ r, n=N)
    if np.shape(gb) not in ((), (1,)):
        raise Fail(f"dL/db should be one number, got shape {np.shape(gb)}: sum over the batch")
    compare_gradient("dL/db", np.reshape(gb, ()), np.array(2 / N * r.sum()), n=N)
    return "dL/dw = (2/n) Xᵀr and dL/db = (2/n) Σ r: the chain rule, applied once"


@exercise("05.lr_limit_standardized")
def lr_limit_standardized(answer) -> str:
    lr = number(answer, "your learning rate")
    if abs(lr - 1.0) <= 0.01:
        return ("2/L = 2/2 = 1 (tolerance 1%): a standardised feature gives H = 2I, so "
                "L = 2 in every direction")
    if abs(lr - 0.5) <= 0.005:
        raise Fail("0.5 = 1/L is the step that lands on the minimum at once; the limit "
                   "is 2/L")
    if abs(lr - 2.0) <= 0.02:
        raise Fail("H = (2/n) AᵀA = 2I: L = 2, so the limit is 2/L = 1, not 2")
    raise Fail(f"η = {lr:g} is not the limit (tolerance 1%): find L, the largest eigenvalue "
               "of H = (2/n) AᵀA for a z-scored feature and the bias")
