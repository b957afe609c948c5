"""Diagnosing training (notebook 09): :func:`diagnose` reads a finished run and says what went
wrong, with evidence and a next step; :func:`growth_per_layer` measures how the gradient grows
across depth; :func:`sharpness` is the largest Hessian eigenvalue (gradient descent is stable
while lr * sharpness < 2, momentum while lr * sharpness < 2 (1 + beta)).
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog.training import History

__all__ = ["diagnose", "Diagnosis", "Finding", "growth_per_layer", "sharpness"]

_ADVICE = {  # every kind of finding, in the order diagnose checks them, and its next step
    "nonfinite": "lower the rate 10x and clip the norm; if it blows up at once anyway, fix init.",
    "exploding": "use He's std sqrt(2/fan_in) for ReLU layers (not sqrt(6/fan_in)) and clip.",
    "vanishing": "initialise for the activation (He for ReLU, Xavier for tanh) or add skips.",
    "dead_units": "lower the learning rate, re-initialise with He's scale, or use a leaky ReLU.",
    "lr_too_high": "divide the learning rate by 3 to 10, or clip the global gradient norm.",
    "overfitting": "keep the best validation epoch's weights; add data or weight decay.",
    "chance": "check labels and inputs, run a gradient check (notebook 08), then rate and init.",
    "plateau": "raise the learning rate 3x or use momentum/Adam; tiny gradients: fix the init.",
    "healthy": "nothing to fix among the checks run; record what a check says was not run.",
}


class _Numbers(string.Formatter):
    """Fills a message from its evidence: floats to 3 significant digits, ``{name:%}`` in %."""

    def format_field(self, value: Any, spec: str) -> str:
        if spec == "%":
            return f"{100 * value:.3g}%"
        if not isinstance(value, float):
            return format(value, spec)
        plain = value == 0 or not math.isfinite(value) or 1e-3 <= abs(value) < 1e4
        return f"{value:.3g}" if plain else f"{value:.2e}"


@dataclass(frozen=True)
class Finding:
    """One finding: its ``kind`` (``"healthy"`` if none), ``message`` (what was seen, with
    its numbers) and ``evidence`` (the numbers by name); printed with the next step to try."""

    kind: str
    message: str
    evidence: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message} Next: {_ADVICE[self.kind]}"


class Diagnosis(list):
    """What :func:`diagnose` returns: a list of :class:`Finding`, printed one per line."""

    @property
    def kinds(self) -> list[str]:
        return [f.kind for f in self]

    def __str__(self) -> str:
        return "\n".join(f"{i}. {f}" for i, f in enumerate(self, 1))


def growth_per_layer(norms: Any) -> float | None:
    """How much ``||dL/dh||`` grows per layer flowing *back*, from one row of
    ``History.input_grad_norms``: ``exp(-slope)`` of a line fitted to ``log ||dL/dh||`` against
    the layer. None unless the first, the last and at least three norms are finite and positive."""
    v = check.array(norms, "norms", ndim=1, finite=False, empty=True)
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 3 or not (ok[0] and ok[-1]):
        return None
    idx = np.flatnonzero(ok)
    return float(np.exp(-np.polyfit(idx, np.log(v[idx]), 1)[0]))


def sharpness(model: Any, loss: Any, X: np.ndarray, y: Any, *, iters: int = 20,
              eps: float = 1e-4, seed: int = 0) -> float:
    """Largest (most positive) Hessian eigenvalue of ``loss(model(X), y)`` in the weights.

    Power iteration on a float64 copy of the model; each Hessian-vector product is a central
    difference of two gradients, ``Hv ~ (g(w + eps v) - g(w - eps v)) / (2 eps)``, ``||v|| = 1``.
    Returns the Rayleigh quotient ``v.Hv`` of the last of ``iters`` iterates (if negative, it
    reruns on ``H + |lam| I``); compare ``lr * sharpness`` with 2 (SGD) or ``2 (1 + beta)``.
    """
    iters, eps = check.integer(iters, "iters", 1), check.positive(eps, "eps")
    m = check.has(model, "model", "astype").astype(np.float64)
    X, params = np.asarray(X, dtype=np.float64), m.params
    w0, cuts = [p.copy() for p in params], np.cumsum([p.size for p in params])[:-1]
    rng = np.random.default_rng(seed)

    def grad_at(dw: np.ndarray) -> np.ndarray:  # the gradient at w0 + dw
        for p, p0, d in zip(params, w0, np.split(dw, cuts), strict=True):
            p[...] = p0 + d.reshape(p.shape)
        value = loss.forward(m.forward(X), y)
        m.backward(loss.backward())
        if not math.isfinite(value):
            raise ValueError("the loss is not finite at these weights: sharpness is undefined")
        return np.concatenate([g.ravel() for g in m.grads])

    def power_iteration(shift: float) -> float:  # H + shift I's largest |eigenvalue| - shift
        v = rng.standard_normal(sum(p.size for p in params))
        v, lam = v / math.sqrt(np.sum(v * v)), math.nan  # sums, not BLAS dots: no threads
        for _ in range(iters):
            hv = (grad_at(eps * v) - grad_at(-eps * v)) / (2 * eps) + shift * v
            lam, norm = float(np.sum(v * hv)), math.sqrt(float(np.sum(hv * hv)))
            if norm == 0 or not math.isfinite(norm):
                break
            v = hv / norm
        return lam - shift

    lam = power_iteration(0.0)
    return lam if lam >= 0 or math.isnan(lam) else power_iteration(-lam)


def _profile(v: np.ndarray) -> dict[str, Any]:
    """A row of positive ``||dL/dh||``: first over last, the smallest's layer, growth up to it."""
    start = int(np.argmin(v))
    return {"ratio": float(v[0] / v[-1]), "start": start,
            "factor": growth_per_layer(v[: start + 1]) if start >= 2 else 1.0}


def _read(history: History) -> SimpleNamespace:
    """The run as the rules read it: checked float64 arrays and what several rules share."""
    if not isinstance(history, History):
        raise TypeError(f"history must be a mathprog.training.History, got "
                        f"{type(history).__name__}")
    epoch_loss = [float(v) for v in history.epoch_loss]
    if not epoch_loss:
        raise ValueError("history has no epochs: nothing to diagnose")
    step_loss = np.asarray(history.step_loss, dtype=np.float64).ravel()
    g_in = np.asarray(history.input_grad_norms, dtype=np.float64)
    g_w = np.asarray(history.weight_grad_norms, dtype=np.float64)
    for name, a in (("input_grad_norms", g_in), ("weight_grad_norms", g_w)):
        if a.ndim != 2 or (a.size and len(a) != len(step_loss)):
            raise ValueError(f"history.{name} must have shape (steps, n_linear) with steps = "
                             f"len(step_loss) = {len(step_loss)}, got {a.shape}")
    nonfinite_at = history.nonfinite_at
    if nonfinite_at is None and not np.isfinite(epoch_loss).all():  # a History made by hand
        raise ValueError("history.epoch_loss holds inf/nan but history.nonfinite_at is None")
    done = [v for v in epoch_loss[: len(epoch_loss) - (nonfinite_at is not None)]
            if math.isfinite(v)]
    finite = step_loss[np.isfinite(step_loss)]
    initial = float(finite[0]) if finite.size else done[0] if done else 0.0  # a History by hand
    rows = np.isfinite(g_in).all(axis=1) & (g_in > 0).all(axis=1)  # the steps with a profile
    med = None  # the profile of the median step, with the median of the steps' factors
    if rows.any() and g_in.shape[1] >= 3:
        med = {**_profile(np.exp(np.median(np.log(g_in[rows]), axis=0))),
               "factor": float(np.median([growth_per_layer(x) for x in g_in[rows]]))}
    return SimpleNamespace(
        h=history, epoch_loss=epoch_loss, step_loss=step_loss, g_in=g_in, g_w=g_w,
        totals=np.asarray(history.total_grad_norm, dtype=np.float64), nonfinite_at=nonfinite_at,
        initial=initial, done=done, scale=max([abs(initial)] + [abs(v) for v in done]) or 1.0,
        rows=rows, steps=int(rows.sum()), med=med)


def _name(r: SimpleNamespace, i: int) -> str:
    return str(r.h.layer_names[i]) if 0 <= i < len(r.h.layer_names) else f"layer {i + 1}"


# Each rule returns (message, evidence) if it finds its kind; "{step}" in a message is evidence.

def _nonfinite(r: SimpleNamespace) -> tuple[str, dict] | None:
    if r.nonfinite_at is None:
        return None
    epoch, step = int(r.nonfinite_at[0]), int(r.nonfinite_at[1])
    ev: dict[str, Any] = {"epoch": epoch, "step": step}
    text = "the loss or a gradient became inf/nan in epoch {epoch}, at step {step}"
    before = r.step_loss[: max(step, 0)][np.isfinite(r.step_loss[: max(step, 0)])]
    if before.size:
        text += "; the step before, the loss was {last_finite_loss}"
        ev["last_finite_loss"] = float(before[-1])
    if np.isfinite(r.totals).any():
        k = int(np.nanargmax(np.where(np.isfinite(r.totals), r.totals, np.nan)))
        text += ", and the global gradient norm had reached {max_grad_norm} (step {max_step})"
        ev.update(max_grad_norm=float(r.totals[k]), max_step=k)
    return text + ".", ev


def _exploding(r: SimpleNamespace) -> tuple[str, dict] | None:
    if r.med is None:
        return None
    size = r.totals if r.totals.shape == r.rows.shape else np.nansum(r.g_in**2, axis=1)
    cand = np.flatnonzero(r.rows & np.isfinite(size))
    worst = int(cand[np.argmax(size[cand])]) if cand.size else int(np.flatnonzero(r.rows)[-1])
    p, text = _profile(r.g_in[worst]), "at step {step} (the largest finite gradient)"
    if not (p["ratio"] >= 100 and p["factor"] >= 1.1):
        if not (r.med["factor"] >= 1.1 and r.med["ratio"] >= 10):
            return None
        p, worst, text = r.med, -1, "over training (median of {steps} steps)"
    text += (" ||dL/dh|| grows x{factor} per layer flowing back from {start_layer} to "
             "{first_layer}: the first layer gets {ratio} times the last's")
    if worst >= 0:
        text += " (median over training: x{median_factor} per layer)"
    return text + ".", {**p, "step": worst, "steps": r.steps, "median_factor": r.med["factor"],
                        "start_layer": _name(r, p["start"]), "first_layer": _name(r, 0)}


def _zero_gradients(r: SimpleNamespace, kind: str = "dead_units") -> tuple[str, dict] | None:
    """Layers whose ||dL/dW|| is exactly 0 on most steps after the first (a zero output layer
    gets 0 at step 0): vanishing if the ||dL/dh|| above them underflows or shrinks flowing
    back, else dead units. None unless that is ``kind``."""
    rows = np.isfinite(r.g_in).all(axis=1)
    rows[:1] = False
    if rows.sum() < 3 or r.g_w.shape != r.g_in.shape or r.g_in.shape[1] < 3:
        return None
    frac = np.mean(r.g_w[rows] == 0, axis=0)
    silent = np.flatnonzero(frac >= 0.5)
    if silent.size == 0:
        return None
    lo, top = int(silent.min()), int(silent.max())
    above = np.median(r.g_in[rows, top + 1 :], axis=0)
    pos = above[above > 0]
    fac = growth_per_layer(np.concatenate([above[:1], above])) if above.size >= 2 else None
    underflow = pos.size > 0 and (pos.min() < 1e-30 or (fac is not None and fac <= 1 / 1.1))
    if kind != ("vanishing" if underflow else "dead_units"):
        return None
    ev = {"zero_layers": [int(i) for i in silent], "zero_step_frac": float(frac[silent].min()),
          "steps": int(rows.sum()), "first": _name(r, lo), "last": _name(r, top)}
    text = "the weight gradients of {first}" + (" to {last}" if top > lo else "")
    text += " are exactly 0 on at least {zero_step_frac:%} of "
    if underflow:
        return (text + "{steps} steps, below layers whose ||dL/dh|| shrinks to {smallest}: the "
                "gradient underflowed to zero.", {**ev, "smallest": float(pos.min())})
    return (text + "{steps} steps: no signal reaches them (ReLU units that never fire, or an "
            "input that is all zero).", ev)


def _vanishing(r: SimpleNamespace) -> tuple[str, dict] | None:
    """The mirror image of exploding on the median step, else exact zeros that underflowed."""
    if r.med is None or r.med["ratio"] > 1 / 100 or r.med["factor"] > 1 / 1.1:
        return _zero_gradients(r, "vanishing")
    return ("over training (median of {steps} steps) ||dL/dh|| shrinks x{factor} per layer "
            "flowing back: the first layer gets only {ratio} of the last layer's gradient, so "
            "the early layers barely learn.", {**r.med, "steps": r.steps})


def _is_rise(a: float, b: float, tol: float, r: SimpleNamespace) -> bool:
    return b - a > tol * max(abs(a), 0.1 * r.scale)


def _lr_too_high(r: SimpleNamespace) -> tuple[str, dict] | None:
    done, reasons, ev = r.done, [], {}
    best = int(np.argmin(done)) if done else 0
    if best < len(done) - 1 and _is_rise(done[best], done[-1], 0.25, r):
        reasons.append("the loss is rising: {best} in epoch {best_epoch}, {last} in epoch {epochs}")
        ev.update(best_epoch=best + 1, best=done[best], last=done[-1], epochs=len(done))
    changes = max(len(done) - 1, 0)
    rises = sum(_is_rise(a, b, 0.05, r) for a, b in pairwise(done))
    if rises >= 2 and rises >= 0.3 * changes:
        reasons.append("it went up in {rises} of {changes} epochs")
        ev.update(rises=rises, changes=changes)
    n = len(r.step_loss) if r.nonfinite_at is None else len(done) * r.h.steps_per_epoch
    seen = r.step_loss[:n]
    k = int(np.nanargmax(seen)) if np.isfinite(seen).any() else 0
    if seen.size and _is_rise(r.initial, seen[k], 2.0, r):
        reasons.append("the loss of step {spike_step} spiked to {spike} from the initial {initial}")
        ev.update(spike_step=k, spike=float(seen[k]), initial=r.initial)
    if not reasons:
        return None
    return "; ".join(reasons) + ": the steps overshoot.", ev


def _overfitting(r: SimpleNamespace) -> tuple[str, dict] | None:
    train, val = r.h.epoch_acc, r.h.val_acc
    if not (val and train and train[-1] - val[-1] >= 0.1):
        return None
    return ("training accuracy {train_acc:%} against validation accuracy {val_acc:%}: the "
            "model memorises the training set.", {"train_acc": train[-1], "val_acc": val[-1]})


def _chance(r: SimpleNamespace) -> tuple[str, dict] | None:
    acc, which = (r.h.val_acc, "validation") if r.h.val_acc else (r.h.epoch_acc, "training")
    last = re.search(r"→(\d+)\)$", str(r.h.layer_names[-1])) if r.h.layer_names else None
    c = int(last.group(1)) if last else 0  # the output layer's width, as in "linear3 (64→10)"
    if not (acc and c >= 2 and acc[-1] <= 1.5 / c):
        return None
    ev = {"which": which, "accuracy": float(acc[-1]), "classes": c, "chance": 1 / c,
          "loss": r.epoch_loss[-1]}
    return ("{which} accuracy {accuracy:%} is at chance level for {classes} classes ({chance:%}), "
            "with a final loss of {loss}.", ev)


def _plateau(r: SimpleNamespace) -> tuple[str, dict] | None:
    if len(r.done) < 3 or r.initial <= 0:
        return None
    tail = np.array(r.done[-3:])
    spread = float(np.ptp(tail) / max(abs(float(tail.mean())), 1e-300))
    if spread >= 0.01 or tail[-1] < 0.5 * r.initial:
        return None
    return ("the loss has stayed at {loss} for the last 3 epochs (moving {spread:%}), still "
            "{left:%} of the initial {initial}: training has stalled.",
            {"loss": float(tail[-1]), "spread": spread, "left": tail[-1] / r.initial,
             "initial": r.initial})


def _healthy(r: SimpleNamespace) -> tuple[str, dict]:
    val = ("validation accuracy {val_acc:%}" if r.h.val_acc
           else "no validation data, so overfitting was not checked")
    depth = ("per-layer gradients were not recorded, so depth was not checked" if not r.rows.any()
             else "{layers} layers are too few for a depth profile" if r.med is None
             else "||dL/dh|| changes x{factor} per layer flowing back (median of {steps} steps)")
    ev = {**(r.med or {}), "initial": r.initial, "final": r.epoch_loss[-1],
          "epochs": len(r.epoch_loss), "layers": r.g_in.shape[1], "steps": r.steps,
          "val_acc": r.h.val_acc[-1] if r.h.val_acc else math.nan}
    return ("no problem found: the loss went from {initial} to {final} in {epochs} epochs; "
            + val + "; " + depth + ".", ev)


_RULES = {"nonfinite": _nonfinite, "exploding": _exploding, "vanishing": _vanishing,
          "dead_units": _zero_gradients, "lr_too_high": _lr_too_high, "overfitting": _overfitting,
          "chance": _chance, "plateau": _plateau}


def diagnose(history: History) -> Diagnosis:
    """Read a training history and say, in plain words, what went wrong (if anything).

    Checks, in this order: inf/nan (nonfinite); the depth profile of ``||dL/dh||`` (exploding,
    vanishing; exact zeros are underflow or dead_units); the loss rising, oscillating or spiking
    (lr_too_high); accuracy (overfitting, chance); a plateau. Each :class:`Finding` carries its
    evidence and a next step; ``healthy`` says which checks could not run. See notebook 09.
    """
    r = _read(history)
    seen = [(kind, rule(r)) for kind, rule in _RULES.items()]
    found = [(kind, s) for kind, s in seen if s is not None] or [("healthy", _healthy(r))]
    return Diagnosis(Finding(kind, _Numbers().vformat(text, (), ev), ev)
                     for kind, (text, ev) in found)
