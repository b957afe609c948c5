"""Notebook 09 · Diagnosing training: init scales, growth per layer, clipping."""

from __future__ import annotations

import math

import numpy as np

from mathprog.exercises._core import Fail, call, close, exercise, number


@exercise("09.he_std")
def he_std(answer) -> str:
    got = number(answer, "your standard deviation")
    want = math.sqrt(2 / 64)
    if abs(got - want) <= 1e-3 * want:
        return f"√(2/64) = {want:.4f} (tolerance 0.1%): n σ²/2 = 1 keeps the signal's size"
    for value, message in (
        (2 / 64, "2/64 is the variance; the standard deviation is its square root"),
        (math.sqrt(1 / 64), "√(1/64) is LeCun's: a ReLU keeps half the second moment, "
                            "so He doubles it, √(2/n)"),
        (0.01, "0.01 is the textbook init that makes the signal vanish with depth"),
        (math.sqrt(2 / 128), "√(2/(64 + 64)) is Xavier's, for tanh; for ReLU use √(2/n_in)"),
    ):
        if abs(got - value) <= 1e-3 * value:
            raise Fail(message)
    raise Fail(f"{got:g} is off (tolerance 0.1%): choose σ so that n σ² · ½ = 1")


@exercise("09.rms_growth")
def rms_growth(answer) -> str:
    got = number(answer, "your factor per layer")
    n, s = 64, math.sqrt(6 / 64)  # notebook 09's reader: the uniform bound used as the std
    want = math.sqrt(n * s**2 / 2)
    if abs(got - want) <= 5e-3 * want:
        return (f"√(n σ²/2) = {want:.4f} per layer (tolerance 0.5%): √3, "
                f"×{want**20:,.0f} over 20 layers")
    for value, message in (
        (n * s**2 / 2, "n σ²/2 is the growth of the second moment; the RMS grows by its "
                       "square root"),
        (math.sqrt(n * s**2), "a ReLU keeps half of the second moment: √(n σ²/2), not √(n σ²)"),
        (n * s**2, "n σ² is the variance ratio without the ReLU's half; the RMS takes √(n σ²/2)"),
    ):
        if abs(got - value) <= 5e-3 * value:
            raise Fail(message)
    raise Fail(f"{got:g} is off (tolerance 0.5%): Var(z) = n σ² E[h²] and E[relu(z)²] = "
               "Var(z)/2")


@exercise("09.clip_global_norm")
def clip_global_norm(fn) -> str:
    cases = [  # (gradients, max_norm)
        ([np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([12.0])], 1.0),
        ([np.array([0.3, -0.4]), np.array([[0.1]])], 1.0),
    ]
    for grads, max_norm in cases:
        total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
        scale = max_norm / (total + 1e-6)
        want = [g * scale for g in grads] if scale < 1 else [g.copy() for g in grads]
        got = call(fn, [g.copy() for g in grads], max_norm, what="clip(grads, max_norm)")
        if not isinstance(got, (list, tuple)) or len(got) != len(grads):
            raise Fail(f"clip should return a list of {len(grads)} arrays, one per gradient")
        if all(close(a, b, 1e-5) for a, b in zip(got, want, strict=True)):
            continue
        per_tensor = [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
        if all(close(a, b, 1e-5) for a, b in zip(got, per_tensor, strict=True)):
            raise Fail("each gradient was clipped on its own: torch's clip_grad_norm_ uses one "
                       "norm over all of them together")
        if total < max_norm and all(
                close(a, g * max_norm / total, 1e-5) for a, g in zip(got, grads, strict=True)):
            raise Fail(f"a small gradient (global norm {total:.2f} < {max_norm:g}) was scaled "
                       "up: clip only when the norm exceeds max_norm")
        raise Fail(f"for global norm {total:.2f} and max_norm {max_norm:g} the result differs "
                   "from scale = max_norm/(norm + 1e-6), applied when below 1")
    return "one norm over all gradients, scaled down only when above max_norm, as torch does"
