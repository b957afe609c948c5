"""Notebook 08 · Gradient checking: the relative error, a numerical gradient, a diagnosis."""

from __future__ import annotations

import numpy as np

from mathprog import nn
from mathprog.derivatives import gradient
from mathprog.exercises._core import (
    Fail,
    array,
    call,
    close,
    compare_gradient,
    exercise,
    measured_order,
    order_verdict,
)


@exercise("08.relative_error")
def relative_error(fn) -> str:
    a = np.array([1.0, -2.0, 1e-3, 0.0, 5.0])
    b = np.array([1.1, 2.0, 1e-3, 0.0, 4.0])
    got = call(fn, a.copy(), b.copy(), what="relative_error(a, b)")
    if np.shape(got) != a.shape:
        raise Fail(f"it has shape {np.shape(got)}: compute it entry by entry (shape "
                   f"{a.shape}); take the max afterwards")
    got = np.asarray(got, dtype=float)
    with np.errstate(all="ignore"):
        want = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), np.finfo(float).tiny)
        for guess, message in (
            (np.abs(a - b), "that is the absolute error: it depends on the gradient's size; "
                            "divide by |a| + |b|"),
            (np.abs(a - b) / np.abs(b), "dividing by |b| alone is not symmetric in a and b: "
                                        "divide by |a| + |b|"),
            (np.abs(a - b) / np.abs(a), "dividing by |a| alone is not symmetric in a and b: "
                                        "divide by |a| + |b|"),
        ):
            if np.allclose(got[[0, 1, 4]], guess[[0, 1, 4]], rtol=1e-9, atol=0):
                raise Fail(message)
    if not np.isfinite(got[3]):
        raise Fail("two exact zeros give nan: guard the denominator (e.g. "
                   "np.maximum(|a| + |b|, tiny)) so that they give 0")
    if not close(got, want, 1e-9):
        raise Fail(f"relative_error(1, 1.1) = {got[0]:.6g}, expected {want[0]:.6g}")
    return ("|a − b| / (|a| + |b|): 1 for a sign flip, 0 for two zeros, the same for every "
            "scale")


def _f(x):
    return float(np.sum(np.sin(x) * x**2))


def _df(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


@exercise("08.numerical_gradient")
def numerical_gradient(fn) -> str:
    x = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
    hs = [1e-1, 3e-2, 1e-2]
    errors = []
    for h in hs:
        x_in = x.copy()
        got = array(call(fn, _f, x_in, h, what=f"numerical_gradient(f, x, {h:g})"), x.shape,
                    f"numerical_gradient(f, x, {h:g})")
        if not np.array_equal(x_in, x):
            raise Fail("x was changed: restore each entry after perturbing it")
        want = _df(x)
        if close(got, -want, 0.05):
            raise Fail("it has the wrong sign: (f(x + h) − f(x − h)) / 2h")
        if close(got, 2 * want, 0.05):
            raise Fail("it is twice the gradient: divide by 2h")
        errors.append(float(np.linalg.norm(got - want)))
    order_verdict(measured_order(hs, errors), 2)
    return "every entry by central differences: error falls like h², x restored"


_SIGNATURES = {
    "sign": "scale −1 and relative error 1 in every row: a flipped sign at the top",
    "mean": "scale N in every row and relative error (N − 1)/(N + 1): a missing 1/N",
    "zero": "one row with scale 0: a gradient never computed",
    "transpose": "the layer's own W and b pass, everything upstream fails: its input "
                 "gradient is wrong (a missing transpose)",
}
_SYNONYMS = {
    "sign": "sign", "flipped sign": "sign", "-1": "sign",
    "mean": "mean", "missing mean": "mean", "1/n": "mean", "n": "mean",
    "zero": "zero", "never computed": "zero", "0": "zero", "forgotten": "zero",
    "transpose": "transpose", "transposed": "transpose", "missing transpose": "transpose",
}
DIAGNOSIS = {"A": "sign", "B": "zero", "C": "mean", "D": "transpose"}


@exercise("08.read_the_diagnosis")
def read_the_diagnosis(answer) -> str:
    if not isinstance(answer, dict):
        raise Fail(f"answer with a dict like {{'A': 'sign', ...}}, got {type(answer).__name__}")
    keys = {str(k).strip().upper(): v for k, v in answer.items()}
    missing = sorted(set(DIAGNOSIS) - set(keys))
    if missing:
        raise Fail(f"{'reports' if len(missing) > 1 else 'report'} {', '.join(missing)} "
                   f"{'have' if len(missing) > 1 else 'has'} no answer")
    for report, truth in DIAGNOSIS.items():
        said = _SYNONYMS.get(str(keys[report]).strip().lower())
        if said is None:
            raise Fail(f"{report}: {keys[report]!r} is not one of 'sign', 'mean', 'zero', "
                       "'transpose'")
        if said != truth:
            raise Fail(f"{report} is not {said!r} ({_SIGNATURES[said]}); read its scale "
                       "column again")
    return "A sign, B never computed, C a missing mean, D a transpose: read from scale alone"


@exercise("08.linear_layer")
def linear_layer(cls) -> str:
    if not (isinstance(cls, type) and issubclass(cls, nn.Linear)):
        raise Fail("answer with a subclass of nn.Linear (class MyLinear(nn.Linear): ...), "
                   f"got {type(cls).__name__}")
    try:
        layer = cls(4, 4, rng=0)  # square W: a missing transpose does not raise
    except Exception as err:
        raise Fail(f"{cls.__name__}(4, 4, rng=0) raised {type(err).__name__}: {err}") from None
    rng = np.random.default_rng(8)
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    call(layer.forward, x, what="forward")
    dx = call(layer.backward, g.copy(), what="your backward")
    analytic = {"W": layer.grads[0].copy(), "b": layer.grads[1].copy(), "x": dx}
    W, b = layer.params

    def loss(_=None):  # L = Σ g ⊙ forward(x), read from the layer's own (perturbed) arrays
        return float(np.sum(g * (x @ W + b)))

    numeric = {"W": gradient(loss, W, inplace=True), "b": gradient(loss, b, inplace=True),
               "x": gradient(lambda x_: float(np.sum(g * (x_ @ W + b))), x)}
    for name, label in (("W", "the gradient of W"), ("b", "the gradient of b"),
                        ("x", "the input gradient")):
        if name == "x" and close(dx, g @ W, 1e-9):
            raise Fail("the input gradient is g W: the transpose is missing (g Wᵀ); W is "
                       "square, so only a gradient check finds it")
        compare_gradient(label, analytic[name], numeric[name], n=3)
    return "W, b and the input pass a gradient check by central differences"
