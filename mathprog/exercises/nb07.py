"""Notebook 07 · Optimizers: a step against the reference rule, naming the missing piece."""

from __future__ import annotations

import numpy as np

from mathprog.exercises._core import Fail, call, close, exercise, number

A = np.diag([1.0, 8.0])
P0 = np.array([1.5, -0.8])
STEPS = 4


def _grad(p):
    return A @ p


# --------------------------------------------------------------------------- momentum


def _momentum(kind: str, lr: float, mu: float) -> list[np.ndarray]:
    """Iterates of a momentum variant: the reference ("torch") and typical mistakes."""
    p, buf, out = P0.copy(), None, []
    for _ in range(STEPS):
        g = _grad(p)
        old = np.zeros_like(g) if buf is None else buf
        if kind == "torch":
            buf = g.copy() if buf is None else mu * buf + g
        elif kind == "ema":
            buf = mu * old + (1 - mu) * g
        elif kind == "double_first":
            buf = mu * (g if buf is None else buf) + g
        elif kind == "stale":
            buf = g.copy() if buf is None else mu * buf + g
        p = p - lr * (g if kind == "plain" else old if kind == "stale" else buf)
        if kind == "plain":
            buf = g
        out.append(p.copy())
    return out


MOMENTUM_MISTAKES = {
    "ema": "the steps are (1 − μ) times torch's: that is the damped EMA form; torch's buffer "
           "adds g undamped, buf = μ·buf + g",
    "double_first": "the first step is (1 + μ) times too long: on the first step torch sets "
                    "buf = g (the first-step buffer), and only then uses μ·buf + g",
    "plain": "the buffer is never used: the step is η·buf, not η·g",
    "stale": "it steps with the previous buffer: update buf with this step's g first, then "
             "step p −= η·buf",
}


def _reader_run(step, lr: float, mu: float) -> list[np.ndarray]:
    p, buf, out = P0.copy(), None, []
    for k in range(STEPS):
        res = call(step, p.copy(), _grad(p), None if buf is None else buf.copy(), lr, mu,
                   what=f"your step {k + 1}")
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            got = f"{len(res)} values" if isinstance(res, (tuple, list)) else type(res).__name__
            raise Fail(f"step {k + 1} should return two arrays, (p, buf); got {got}")
        p, buf = (np.asarray(r, dtype=float) for r in res)
        if p.shape != (2,) or buf.shape != (2,):
            raise Fail(f"step {k + 1} returned shapes {p.shape} and {buf.shape}, expected (2,)")
        out.append(p.copy())
    return out


def _first_bad(got, want) -> int | None:
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        if not close(a, b, 1e-9):
            return k
    return None


@exercise("07.momentum_step")
def momentum_step(step) -> str:
    lr, mu = 0.05, 0.9
    got = _reader_run(step, lr, mu)
    bad = _first_bad(got, _momentum("torch", lr, mu))
    if bad is None:
        return (f"{STEPS} steps match torch.optim.SGD(momentum=0.9): buf = g on the first step, "
                "then buf = μ·buf + g, p −= η·buf")
    for kind, message in MOMENTUM_MISTAKES.items():
        if _first_bad(got, _momentum(kind, lr, mu)) is None:
            raise Fail(message)
    raise Fail(f"step {bad + 1} differs from torch's rule (tolerance 1e-9, relative)")


# --------------------------------------------------------------------------- Adam


def _adam(kind: str, lr: float, b1: float, b2: float, eps: float) -> list[np.ndarray]:
    p, m, v, out = P0.copy(), np.zeros(2), np.zeros(2), []
    for t in range(1, STEPS + 1):
        g = _grad(p)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mh = m if kind in ("no_bias", "no_bias_m") else m / (1 - b1**t)
        vh = v if kind in ("no_bias", "no_bias_v") else v / (1 - b2**t)
        denom = np.sqrt(vh + eps) if kind == "eps_inside" else np.sqrt(vh) + eps
        p = p - lr * mh / denom
        out.append(p.copy())
    return out


ADAM_MISTAKES = {
    "no_bias": "the bias correction is missing: m̂ = m/(1 − β1^t) and v̂ = v/(1 − β2^t) "
               "(both start at 0, so early steps are too small without it)",
    "no_bias_m": "m's bias correction is missing: m̂ = m/(1 − β1^t)",
    "no_bias_v": "v's bias correction is missing: v̂ = v/(1 − β2^t)",
    "eps_inside": "eps is inside the root: torch divides by √v̂ + eps, not √(v̂ + eps)",
}


@exercise("07.adam_step")
def adam_step(step) -> str:
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-3  # a large eps, so its place shows
    p, m, v, got = P0.copy(), np.zeros(2), np.zeros(2), []
    for t in range(1, STEPS + 1):
        res = call(step, p.copy(), _grad(p), m.copy(), v.copy(), t, lr, b1, b2, eps,
                   what=f"your step t = {t}")
        if not isinstance(res, (tuple, list)) or len(res) != 3:
            got = f"{len(res)} values" if isinstance(res, (tuple, list)) else type(res).__name__
            raise Fail(f"step t = {t} should return three arrays, (p, m, v); got {got}")
        p, m, v = (np.asarray(r, dtype=float) for r in res)
        if any(a.shape != (2,) for a in (p, m, v)):
            raise Fail(f"step t = {t} returned shapes {[a.shape for a in (p, m, v)]}, "
                       "expected (2,) each")
        got.append(p.copy())
    bad = _first_bad(got, _adam("torch", lr, b1, b2, eps))
    if bad is None:
        return (f"{STEPS} steps match torch.optim.Adam: bias-corrected m̂ and v̂, "
                "p −= η·m̂/(√v̂ + eps), t from 1")
    for kind, message in ADAM_MISTAKES.items():
        if _first_bad(got, _adam(kind, lr, b1, b2, eps)) is None:
            raise Fail(message)
    raise Fail(f"step t = {bad + 1} differs from torch's Adam (tolerance 1e-9, relative)")


@exercise("07.bias_correction")
def bias_correction(answer) -> str:
    got = number(answer, "your factor")
    want = 1 / (1 - 0.9**10)
    if abs(got - want) <= 1e-3 * want:
        return f"1/(1 − 0.9¹⁰) = {want:.4f} (tolerance 0.1%): the correction fades as t grows"
    for value, message in (
        (10.0, "10 = 1/(1 − 0.9) is the factor at t = 1; at t = 10 it is 1/(1 − β1^t)"),
        (1 / 0.9**10, "1/β1^t is not it: m̂ = m/(1 − β1^t)"),
        (1 - 0.9**10, "that is 1 − β1^t; m̂ divides by it: the factor is its reciprocal"),
    ):
        if abs(got - value) <= 1e-3 * value:
            raise Fail(message)
    raise Fail(f"{got:g} is off (tolerance 0.1%): m̂ = m/(1 − β1^t) with β1 = 0.9, t = 10")


@exercise("07.momentum_limit")
def momentum_limit(answer) -> str:
    lr = number(answer, "your learning rate")
    L, mu = 10.0, 0.9
    want = 2 * (1 + mu) / L
    if abs(lr - want) <= 0.01 * want:
        return (f"η < 2(1 + μ)/L = {want:g} (tolerance 1%): momentum's limit is (1 + μ) "
                "times plain descent's")
    for value, message in (
        (2 / L, "2/L is plain gradient descent's limit; the momentum buffer changes it to "
                "2(1 + μ)/L"),
        (2 * (1 - mu) / L, "the limit grows with μ: 2(1 + μ)/L, not 2(1 − μ)/L"),
        (2 / (L * (1 - mu)), "2/(L(1 − μ)) is too generous: the limit is 2(1 + μ)/L"),
    ):
        if abs(lr - value) <= 0.01 * value:
            raise Fail(message)
    raise Fail(f"η = {lr:g} is off (tolerance 1%): x_(k+1) = (1 + μ − ηL) x_k − μ x_(k−1) "
               "is stable while ηL < 2(1 + μ)")
