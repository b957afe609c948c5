"""Diagnosing training (notebook 09): :func:`diagnose` reads a finished run and says what went
wrong, with evidence and a next step; :func:`gradient_profile` measures the growth of the
gradient across depth; :func:`sharpness` is the largest Hessian eigenvalue (gradient descent is
stable while lr * sharpness < 2, momentum while lr * sharpness < 2 (1 + beta)).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog.training import History

__all__ = ["diagnose", "DIAGNOSE_THRESHOLDS", "Diagnosis", "Finding", "gradient_profile",
           "sharpness"]

DIAGNOSE_THRESHOLDS: dict[str, float] = {
    # exploding: at the largest finite gradient ||dL/dh|| into the first layer is >= ratio x the
    # last's, growing >= factor per layer flowing back; or so on the median profile (ratio >=
    # sqrt(explode_ratio)). vanishing: the mirror image, or exact zeros under layers whose
    # gradient shrinks or is below tiny_grad (float underflow).
    "explode_ratio": 100.0, "explode_factor": 1.1, "tiny_grad": 1e-30,
    # dead_units: ||dL/dW|| exactly 0 on >= zero_frac of the steps after the first.
    "zero_frac": 0.5,
    # lr_too_high (completed finite epochs): a rise is an increase above tol * max(|previous|,
    # converged_frac * largest |loss|); rising: last epoch rising_tol above the best;
    # oscillating: >= 2 and >= oscillation_frac of the changes rise by rise_tol; spike: one
    # step (spike_factor - 1) above the initial loss, by the same rule.
    "rise_tol": 0.05, "rising_tol": 0.25, "oscillation_frac": 0.3, "spike_factor": 3.0,
    "converged_frac": 0.1,
    # overfitting: training accuracy >= overfit_gap above validation accuracy. chance: final
    # accuracy (validation, else training) <= chance_factor / n_classes.
    "overfit_gap": 0.1, "chance_factor": 1.5,
    # plateau: the last plateau_epochs epoch losses within plateau_tol of each other, still
    # above plateau_level x the initial loss.
    "plateau_epochs": 3, "plateau_tol": 0.01, "plateau_level": 0.5,
}
_T = DIAGNOSE_THRESHOLDS  # the short name the rules use

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


def _fmt(v: float) -> str:
    """3 significant digits, scientific when large or small."""
    v = float(v)
    return f"{v:.3g}" if v == 0 or not math.isfinite(v) or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def _pct(v: float) -> str:
    return f"{100 * v:.3g}%"


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


def gradient_profile(norms: Any) -> dict[str, Any] | None:
    """How one row of ``History.input_grad_norms`` (``||dL/dh||`` into each Linear layer, first
    to last) grows across depth: None unless the first, the last and at least three norms are
    finite and positive; else ``factor``, the growth per layer flowing *back* (``exp(-slope)``
    of a line fitted to ``log ||dL/dh||``), ``ratio`` (first over last), ``start`` (the layer
    of the smallest norm) and ``start_factor`` (fitted from ``start`` down to layer 0)."""
    v = np.asarray(norms, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"norms must be one row of per-layer norms (1-D), got shape {v.shape}")
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 3 or not (ok[0] and ok[-1]):
        return None
    idx = np.flatnonzero(ok)
    logs = np.log(v[idx])
    start = int(idx[np.argmin(logs)])
    seg = idx <= start
    sf = float(np.exp(-np.polyfit(idx[seg], logs[seg], 1)[0])) if seg.sum() >= 3 else 1.0
    return {"factor": float(np.exp(-np.polyfit(idx, logs, 1)[0])), "ratio": float(v[0] / v[-1]),
            "start": start, "start_factor": sf}


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
        if a.size and (a.ndim != 2 or len(a) != len(step_loss)):
            raise ValueError(f"history.{name} must have shape (steps, n_linear) with steps = "
                             f"len(step_loss) = {len(step_loss)}, got {a.shape}")
    if g_in.size == 0:  # not recorded: as train records it without its monitor
        g_in = np.full((len(step_loss), 1), np.nan)
    nonfinite_at = history.nonfinite_at
    if nonfinite_at is None and not np.isfinite(epoch_loss).all():  # a History made by hand
        bad = np.flatnonzero(~np.isfinite(step_loss))
        nonfinite_at = (int(np.argmin(np.isfinite(epoch_loss))) + 1,
                        int(bad[0]) if bad.size else -1)
    finite = step_loss[np.isfinite(step_loss)]
    initial = float(finite[0]) if finite.size else 0.0
    done = [v for v in epoch_loss[: len(epoch_loss) - (nonfinite_at is not None)]
            if math.isfinite(v)]
    finite_rows = np.isfinite(g_in).all(axis=1)
    rows = finite_rows & (g_in > 0).all(axis=1)  # the steps a depth profile can be fitted to
    med = None  # the profile of the median row, with the median of the rows' factors
    if rows.any() and g_in.shape[1] >= 3:
        med = gradient_profile(np.exp(np.median(np.log(g_in[rows]), axis=0)))
        med["factor"] = float(np.median([gradient_profile(x)["factor"] for x in g_in[rows]]))
    return SimpleNamespace(
        h=history, epoch_loss=epoch_loss, step_loss=step_loss, g_in=g_in, g_w=g_w,
        totals=np.asarray(history.total_grad_norm, dtype=np.float64), nonfinite_at=nonfinite_at,
        initial=initial, done=done, scale=max([abs(initial)] + [abs(v) for v in done]) or 1.0,
        finite_rows=finite_rows, rows=rows, med=med)


def _name(r: SimpleNamespace, i: int) -> str:
    return str(r.h.layer_names[i]) if 0 <= i < len(r.h.layer_names) else f"layer {i + 1}"


# Each rule reads the run and returns (message, evidence) if its kind of finding is there.

def _nonfinite(r: SimpleNamespace) -> tuple[str, dict] | None:
    if r.nonfinite_at is None:
        return None
    epoch, step = int(r.nonfinite_at[0]), int(r.nonfinite_at[1])
    msg = f"the loss or a gradient became inf/nan in epoch {epoch}, at step {step}"
    ev: dict[str, Any] = {"epoch": epoch, "step": step}
    before = r.step_loss[: max(step, 0)][np.isfinite(r.step_loss[: max(step, 0)])]
    if before.size:
        ev["last_finite_loss"] = float(before[-1])
        msg += f"; the step before, the loss was {_fmt(before[-1])}"
    if np.isfinite(r.totals).any():
        k = int(np.nanargmax(np.where(np.isfinite(r.totals), r.totals, np.nan)))
        ev.update(max_grad_norm=float(r.totals[k]), max_grad_norm_step=k)
        msg += f", and the global gradient norm had reached {_fmt(r.totals[k])} (step {k})"
    return msg + ".", ev


def _exploding(r: SimpleNamespace) -> tuple[str, dict] | None:
    if not r.rows.any() or r.g_in.shape[1] < 3:
        return None
    other = r.g_w if len(r.g_w) == len(r.g_in) else r.g_in  # the size of a step without totals
    size = r.totals if r.totals.shape == (len(r.g_in),) else np.nansum(other**2, axis=1)
    cand = np.flatnonzero(r.rows & np.isfinite(size))
    worst = int(cand[np.argmax(size[cand])]) if cand.size else int(np.flatnonzero(r.rows)[-1])
    p, med = gradient_profile(r.g_in[worst]), r.med
    ratio, fac = _T["explode_ratio"], _T["explode_factor"]
    if p is not None and p["ratio"] >= ratio and p["start_factor"] >= fac:
        msg = f"at step {worst} (the largest finite gradient) ||dL/dh||"
        factor = p["start_factor"]
    elif med is not None and med["factor"] >= fac and med["ratio"] >= ratio**0.5:
        p, worst, factor = med, -1, med["factor"]
        msg = f"over training (median of {int(r.rows.sum())} steps) ||dL/dh||"
    else:
        return None
    msg += (f" grows x{_fmt(factor)} per layer flowing back from {_name(r, p['start'])} to "
            f"{_name(r, 0)}: the first layer gets {_fmt(p['ratio'])} times the last's")
    if med is not None and worst >= 0:
        msg += f" (median over training: x{_fmt(med['factor'])} per layer)"
    return msg + ".", {"step": worst, "factor_per_layer": factor,
                       "ratio_first_to_last": p["ratio"], "growth_starts_at": p["start"],
                       "growth_starts_at_layer": _name(r, p["start"]),
                       "median_factor": med["factor"] if med is not None else math.nan}


def _zero_gradients(r: SimpleNamespace, kind: str = "dead_units") -> tuple[str, dict] | None:
    """Layers whose ||dL/dW|| is exactly 0 on most steps after the first (a zero-initialised
    output layer gets 0 at step 0): vanishing if the ||dL/dh|| above them underflows or shrinks
    flowing back, else dead units. None unless that is ``kind``."""
    rows = r.finite_rows.copy()
    rows[:1] = False
    if rows.sum() < 3 or r.g_w.shape != r.g_in.shape or r.g_in.shape[1] < 3:
        return None
    frac = np.mean(r.g_w[rows] == 0, axis=0)
    silent = np.flatnonzero(frac >= _T["zero_frac"])
    if silent.size == 0:
        return None
    lo, top = int(silent.min()), int(silent.max())
    above = np.median(r.g_in[rows, top + 1 :], axis=0)
    pos = above[above > 0]
    prof = gradient_profile(np.concatenate([above[:1], above])) if above.size >= 2 else None
    underflow = pos.size > 0 and (pos.min() < _T["tiny_grad"] or (
        prof is not None and prof["factor"] <= 1 / _T["explode_factor"]))
    if kind != ("vanishing" if underflow else "dead_units"):
        return None
    ev = {"zero_layers": [int(i) for i in silent], "zero_step_frac": float(frac[silent].min()),
          "steps": int(rows.sum())}
    msg = (f"the weight gradients of {_name(r, lo)}" + (f" to {_name(r, top)}" if top > lo else "")
           + f" are exactly 0 on at least {_pct(ev['zero_step_frac'])} of {ev['steps']} steps")
    if underflow:
        return (msg + f", below layers whose ||dL/dh|| shrinks to {_fmt(pos.min())}: the gradient "
                "underflowed to zero.", {**ev, "smallest_nonzero": float(pos.min())})
    return (msg + ": no signal reaches them (ReLU units that never fire, or an input that is all "
            "zero).", ev)


def _vanishing(r: SimpleNamespace) -> tuple[str, dict] | None:
    med, ratio, fac = r.med, _T["explode_ratio"], _T["explode_factor"]
    if med is None or med["ratio"] > 1 / ratio or med["factor"] > 1 / fac:
        return _zero_gradients(r, "vanishing")
    steps = int(r.rows.sum())
    return (f"over training (median of {steps} steps) ||dL/dh|| shrinks x{_fmt(med['factor'])} "
            f"per layer flowing back: the first layer gets only {_fmt(med['ratio'])} of the last "
            "layer's gradient, so the early layers barely learn.",
            {"factor_per_layer": med["factor"], "ratio_first_to_last": med["ratio"],
             "steps": steps})


def _is_rise(a: float, b: float, tol: float, r: SimpleNamespace) -> bool:
    return b - a > tol * max(abs(a), _T["converged_frac"] * r.scale)


def _lr_too_high(r: SimpleNamespace) -> tuple[str, dict] | None:
    done, reasons, ev = r.done, [], {}
    best = int(np.argmin(done)) if done else 0
    if best < len(done) - 1 and _is_rise(done[best], done[-1], _T["rising_tol"], r):
        reasons.append(f"the loss is rising: {_fmt(done[best])} in epoch {best + 1}, "
                       f"{_fmt(done[-1])} in epoch {len(done)}")
        ev.update(best_epoch=best + 1, best_loss=done[best], last_loss=done[-1])
    changes = max(len(done) - 1, 0)
    rises = sum(_is_rise(a, b, _T["rise_tol"], r) for a, b in pairwise(done))
    if rises >= 2 and rises >= _T["oscillation_frac"] * changes:
        reasons.append(f"it went up in {rises} of {changes} epochs")
        ev.update(rises=rises, epoch_changes=changes)
    n = len(r.step_loss) if r.nonfinite_at is None else len(done) * r.h.steps_per_epoch
    seen = r.step_loss[:n]
    k = int(np.nanargmax(seen)) if np.isfinite(seen).any() else 0
    if seen.size and _is_rise(r.initial, seen[k], _T["spike_factor"] - 1, r):
        reasons.append(f"the loss of step {k} spiked to {_fmt(seen[k])} from the initial "
                       f"{_fmt(r.initial)}")
        ev.update(spike_step=k, spike_loss=float(seen[k]), initial_loss=r.initial)
    if not reasons:
        return None
    msg = "; ".join(reasons)
    return msg[0].upper() + msg[1:] + ": the steps overshoot.", ev


def _overfitting(r: SimpleNamespace) -> tuple[str, dict] | None:
    train, val = r.h.epoch_acc, r.h.val_acc
    if not (val and train and train[-1] - val[-1] >= _T["overfit_gap"]):
        return None
    return (f"training accuracy {_pct(train[-1])} against validation accuracy {_pct(val[-1])}: "
            "the model memorises the training set.",
            {"train_acc": float(train[-1]), "val_acc": float(val[-1])})


def _chance(r: SimpleNamespace) -> tuple[str, dict] | None:
    acc, which = (r.h.val_acc, "validation") if r.h.val_acc else (r.h.epoch_acc, "training")
    names = r.h.layer_names
    last = re.search(r"→(\d+)\)$", str(names[-1])) if names else None  # "linear3 (64→10)"
    c = int(last.group(1)) if last else 0
    if not (acc and c >= 2 and acc[-1] <= _T["chance_factor"] / c):
        return None
    return (f"{which} accuracy {_pct(acc[-1])} is at chance level for {c} classes "
            f"({_pct(1 / c)}), with a final loss of {_fmt(r.epoch_loss[-1])}.",
            {"accuracy": float(acc[-1]), "n_classes": c, "chance": 1 / c})


def _plateau(r: SimpleNamespace) -> tuple[str, dict] | None:
    k = int(_T["plateau_epochs"])
    if len(r.done) < k or r.initial <= 0:
        return None
    tail = np.array(r.done[-k:])
    spread = float(np.ptp(tail) / max(abs(float(tail.mean())), 1e-300))
    if spread >= _T["plateau_tol"] or tail[-1] < _T["plateau_level"] * r.initial:
        return None
    return (f"the loss has stayed at {_fmt(tail[-1])} for the last {k} epochs (moving "
            f"{_pct(spread)}), still {_pct(tail[-1] / r.initial)} of the initial "
            f"{_fmt(r.initial)}: training has stalled.",
            {"loss": float(tail[-1]), "epochs": k, "spread": spread, "initial_loss": r.initial})


def _healthy(r: SimpleNamespace) -> tuple[str, dict]:
    val = (f"validation accuracy {_pct(r.h.val_acc[-1])}" if r.h.val_acc
           else "no validation data, so overfitting was not checked")
    depth = ("per-layer gradients were not recorded, so depth was not checked"
             if not r.rows.any() else f"{r.g_in.shape[1]} layers are too few for a depth profile"
             if r.med is None else f"||dL/dh|| changes x{_fmt(r.med['factor'])} per layer "
             f"flowing back (median of {int(r.rows.sum())} steps)")
    return (f"no problem found: the loss went from {_fmt(r.initial)} to "
            f"{_fmt(r.epoch_loss[-1])} in {len(r.epoch_loss)} epochs; {val}; {depth}.",
            {"initial_loss": r.initial, "final_loss": r.epoch_loss[-1],
             "epochs": len(r.epoch_loss)})


_RULES = {"nonfinite": _nonfinite, "exploding": _exploding, "vanishing": _vanishing,
          "dead_units": _zero_gradients, "lr_too_high": _lr_too_high, "overfitting": _overfitting,
          "chance": _chance, "plateau": _plateau}


def diagnose(history: History) -> Diagnosis:
    """Read a training history and say, in plain words, what went wrong (if anything).

    Checks, in this order (thresholds in :data:`DIAGNOSE_THRESHOLDS`): inf/nan (nonfinite); the
    depth profile of ``||dL/dh||`` (exploding, vanishing; exact zeros are underflow or
    dead_units); the loss rising, oscillating or spiking (lr_too_high); accuracy (overfitting,
    chance); a plateau. Each :class:`Finding` carries its evidence and a next step; ``healthy``
    says which checks could not run. See notebook 09.
    """
    r = _read(history)
    found = Diagnosis()
    for kind, rule in _RULES.items():
        seen = rule(r)
        if seen is not None:
            found.append(Finding(kind, *seen))
    return found or Diagnosis([Finding("healthy", *_healthy(r))])
