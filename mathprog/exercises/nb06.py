"""Notebook 06 · Backpropagation: each layer's backward, checked parameter by parameter."""

from __future__ import annotations

import numpy as np

from mathprog.derivatives import gradient
from mathprog.exercises._core import Fail, array, call, close, compare_gradient, exercise

N = 4


@exercise("06.relu_backward")
def relu_backward(fn) -> str:
    z = np.array([[1.5, -0.3, 0.0], [-2.0, 0.7, 0.2], [0.0, 3.1, -1.1], [0.4, -0.5, 2.2]])
    g = np.array([[0.3, -1.2, 0.8], [1.1, 0.5, -0.4], [-0.9, 0.6, 0.25], [0.7, -0.2, 1.3]])
    got = array(call(fn, z.copy(), g.copy(), what="relu_backward(z, grad_out)"), z.shape,
                "relu_backward(z, grad_out)")
    want = g * (z > 0)
    if close(got, want, 1e-12):
        return "grad_out where z > 0, else 0 (0 at the kink z = 0, as the libraries do)"
    if close(got, (z > 0).astype(float), 1e-12):
        raise Fail("it is the local derivative alone: multiply it by the incoming grad_out")
    if close(got, g * (z >= 0), 1e-12):
        raise Fail("at z = 0 exactly it passes the gradient: the convention is 0 there (z > 0)")
    if close(got, g * np.maximum(z, 0), 1e-12):
        raise Fail("it multiplies by relu(z), the forward value, not by its derivative (z > 0)")
    compare_gradient("dL/dz", got, want)
    return ""  # pragma: no cover - compare_gradient raised


@exercise("06.softmax_ce_grad")
def softmax_ce_grad(fn) -> str:
    logits = np.random.default_rng(61).standard_normal((N, 5)) * 2
    y = np.array([3, 0, 4, 0])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(5)[y]
    got = call(fn, logits.copy(), y.copy(), what="softmax_ce_grad(logits, y)")
    arr = array(got, logits.shape, "softmax_ce_grad(logits, y)")
    if close(arr, p / N, 1e-9):
        raise Fail("it is p/N: subtract the one-hot labels, (p − y)/N")
    if close(arr, (np.exp(logits) - onehot) / N, 1e-9):
        raise Fail("it uses e^z, not softmax(z) = e^z / Σ e^z: normalise each row")
    compare_gradient("dL/dlogits", arr, (p - onehot) / N, n=N)
    return "(p − y)/N: softmax and cross-entropy collapse to one subtraction, then the mean"


@exercise("06.linear_backward")
def linear_backward(fn) -> str:
    rng = np.random.default_rng(62)  # W square: a missing transpose does not raise
    x, Wm = rng.standard_normal((N, 3)), rng.standard_normal((3, 3))
    b, g = rng.standard_normal(3), rng.standard_normal((N, 3))
    out = call(fn, x.copy(), Wm.copy(), b.copy(), g.copy(), what="linear_backward(x, W, b, g)")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise Fail("linear_backward should return three arrays, (dW, db, dx)")
    dW, db, dx = out

    def loss(x_, W_, b_):  # L = Σ g ⊙ (xW + b): its gradient with respect to y is g
        return float(np.sum(g * (x_ @ W_ + b_)))

    # The references come from a gradient check: central differences, entry by entry.
    compare_gradient("dW", dW, gradient(lambda W_: loss(x, W_, b), Wm), n=N)
    compare_gradient("db", db, gradient(lambda b_: loss(x, Wm, b_), b), n=N)
    if close(dx, g @ Wm, 1e-9):
        raise Fail("dx = g W: the transpose is missing, dx = g Wᵀ (a square W hides it)")
    compare_gradient("dx", dx, gradient(lambda x_: loss(x_, Wm, b), x), n=N)
    return "dW, db and dx each agree with a gradient check by central differences"
