"""Diagnosing training (notebook 09): :func:`diagnose` reads a finished run and says what went
wrong, with evidence and a next step; :func:`gradient_profile` (growth across depth),
:func:`dead_relu_fraction`, and :func:`sharpness` (largest Hessian eigenvalue by power iteration
on Hessian-vector products: gradient descent is stable while lr * sharpness < 2, momentum while
lr * sharpness < 2 (1 + beta)). Clipping and the gradient monitor live in mathprog.training.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from types import SimpleNamespace as _Run
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog import nn

__all__ = ["dead_relu_fraction", "diagnose", "DIAGNOSE_THRESHOLDS", "Diagnosis", "Finding",
           "FINDING_KINDS", "gradient_profile", "sharpness"]

DIAGNOSE_THRESHOLDS: dict[str, float] = {
    # exploding: at the largest finite gradient ||dL/dh|| into the first layer is >= ratio x the
    # last's, growing >= factor per layer flowing back; or so on the median profile (ratio >=
    # sqrt(explode_ratio)). vanishing: the mirror image, or exact zeros under layers whose
    # gradient shrinks or is below tiny_grad (float underflow).
    "explode_ratio": 100.0, "explode_factor": 1.1, "tiny_grad": 1e-30,
    # dead_units: ||dL/dW|| exactly 0 on >= zero_frac of the steps after the first, or (given
    # model and X) >= zero_frac of a ReLU layer's units never firing.
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

FINDING_KINDS = ("nonfinite", "exploding", "vanishing", "dead_units", "lr_too_high",
                 "overfitting", "chance", "plateau", "healthy")  # in the order diagnose checks

_ADVICE = {
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


def _fmt(v: Any) -> str:
    """A number as a short string: 3 significant digits, scientific when large or small."""
    if isinstance(v, (bool, str, int, np.integer)) or v is None:
        return str(v)
    v = float(v)
    return f"{v:.3g}" if v == 0 or not math.isfinite(v) or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def _pct(v: float) -> str:
    return f"{100 * v:.3g}%"


@dataclass(frozen=True)
class Finding:
    """One finding: ``kind`` (of :data:`FINDING_KINDS`), ``message`` (what was seen, with its
    numbers), ``advice`` (the next step, one sentence), ``evidence`` (the numbers by name)."""

    kind: str
    message: str
    advice: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message} Next: {self.advice}"

    def __repr__(self) -> str:
        ev = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        return f"Finding({self.kind}: {self.message} [{ev}])"


def _finding(kind: str, message: str, **evidence: Any) -> Finding:
    return Finding(kind, message, _ADVICE[kind], evidence)


class Diagnosis(list):
    """What :func:`diagnose` returns: a list of :class:`Finding`, printed one per line."""
    kinds = property(lambda self: [f.kind for f in self], doc="The findings' kinds, in order.")
    healthy = property(lambda self: self.kinds == ["healthy"], doc="True if nothing was wrong.")

    def __str__(self) -> str:
        return "\n".join(f"{i}. {f}" for i, f in enumerate(self, 1))

    __repr__ = __str__


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


def _relus(m: Any) -> list[nn.ReLU]:
    subs = m.layers if isinstance(m, nn.Sequential) else [m.block] if isinstance(
        m, nn.Residual) else []
    return [m] if isinstance(m, nn.ReLU) else [r for sub in subs for r in _relus(sub)]


def dead_relu_fraction(model: Any, X: np.ndarray) -> list[float]:
    """Per ReLU layer (input to output), the fraction of units that output 0 on every row of X
    (a dead unit gets no gradient, so training cannot revive it)."""
    relus = _relus(model)
    if not relus:
        raise ValueError("model has no ReLU layers")
    with np.errstate(over="ignore", invalid="ignore"):
        model.forward(np.asarray(X, dtype=model.params[0].dtype))
    return [float(1.0 - np.mean(r.mask.any(axis=0))) for r in relus]


def _loss_and_grad(model: Any, loss: Any, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    value = loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    if not math.isfinite(value):
        raise ValueError("the loss is not finite at these weights: sharpness is undefined")
    return np.concatenate([g.ravel() for g in model.grads])


def sharpness(model: Any, loss: Any, X: np.ndarray, y: np.ndarray, *, iters: int = 20,
              eps: float = 1e-4, seed: int = 0) -> float:
    """Largest (most positive) Hessian eigenvalue of ``loss(model(X), y)`` in the weights, by
    power iteration: each Hessian-vector product is a central difference of two gradients,
    ``Hv ~ (g(w + eps v) - g(w - eps v)) / (2 eps)``, ``||v|| = 1``, on a float64 copy of the
    model (``2 * iters`` backward passes). Returns the Rayleigh quotient ``v.Hv`` of the last
    iterate; compare ``lr * sharpness`` with 2 (SGD) or ``2 (1 + beta)`` (momentum).
    """
    iters, eps = check.integer(iters, "iters", 1), check.number(eps, "eps", lo=0, lo_open=True)
    m = model.astype(np.float64) if hasattr(model, "astype") else copy.deepcopy(model)
    getattr(m, "_convert", lambda dt: None)(np.dtype(np.float64))  # models without astype
    X, params = np.asarray(X, dtype=np.float64), m.params
    w0, cuts = [p.copy() for p in params], np.cumsum([p.size for p in params])[:-1]

    def grad_at(dw: np.ndarray) -> np.ndarray:  # the gradient at w0 + dw
        for p, p0, d in zip(params, w0, np.split(dw, cuts), strict=True):
            p[...] = p0 + d.reshape(p.shape)
        return _loss_and_grad(m, loss, X, y)

    rng, shift = np.random.default_rng(seed), 0.0
    for _ in range(2):  # if the first pass finds a negative eigenvalue, rerun on H + |lam| I
        v = rng.standard_normal(int(sum(p.size for p in params)))
        v, lam = v / math.sqrt(np.sum(v * v)), math.nan  # sums, not BLAS dots: no threads
        for _ in range(iters):
            hv = (grad_at(eps * v) - grad_at(-eps * v)) / (2 * eps) + shift * v
            lam, norm = float(np.sum(v * hv)), math.sqrt(float(np.sum(hv * hv)))
            if norm == 0 or not math.isfinite(norm):
                break
            v = hv / norm
        if lam >= 0 or shift:
            return lam - shift
        shift = -lam
    return lam


def _read(history: Any) -> _Run:
    needed = ("epoch_loss", "step_loss", "input_grad_norms", "weight_grad_norms")
    missing = [a for a in needed if not hasattr(history, a)]
    if missing:
        raise TypeError(f"history must be a mathprog.training.History (or have its fields); "
                        f"{type(history).__name__} lacks {', '.join(missing)}")
    epoch_loss = [float(v) for v in history.epoch_loss]
    if not epoch_loss:
        raise ValueError("history has no epochs: nothing to diagnose")
    step_loss = np.asarray(history.step_loss, dtype=np.float64).ravel()
    g_in, g_w = (np.asarray(getattr(history, a), dtype=np.float64) for a in needed[2:])
    for name, a in zip(needed[2:], (g_in, g_w), strict=True):
        if a.size and (a.ndim != 2 or len(a) != len(step_loss)):
            raise ValueError(f"history.{name} must have shape (steps, n_linear) with steps = "
                             f"len(step_loss) = {len(step_loss)}, got {a.shape}")
    nonfinite_at = getattr(history, "nonfinite_at", None)
    if nonfinite_at is None and not all(math.isfinite(v) for v in epoch_loss):
        bad = np.flatnonzero(~np.isfinite(step_loss))
        epoch = next(i for i, v in enumerate(epoch_loss) if not math.isfinite(v)) + 1
        nonfinite_at = (epoch, int(bad[0]) if bad.size else -1)
    finite = step_loss[np.isfinite(step_loss)]
    initial = float(finite[0]) if finite.size else 0.0
    done = [v for v in epoch_loss[: len(epoch_loss) - (nonfinite_at is not None)] if
            math.isfinite(v)]
    return _Run(
        epoch_loss=epoch_loss, step_loss=step_loss, g_in=g_in, g_w=g_w, hist=history,
        totals=np.asarray(getattr(history, "total_grad_norm", np.zeros(0)), dtype=np.float64),
        names=[str(n) for n in (getattr(history, "layer_names", None) or [])],
        spe=int(getattr(history, "steps_per_epoch", 0) or 0), nonfinite_at=nonfinite_at,
        initial=initial, done=done, scale=max([abs(initial)] + [abs(v) for v in done]) or 1.0)


def _name(r: _Run, i: int) -> str:
    return r.names[i] if 0 <= i < len(r.names) else f"layer {i + 1}"


def _nonfinite(r: _Run, t: dict[str, float]) -> list[Finding]:
    if r.nonfinite_at is None:
        return []
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
    return [_finding("nonfinite", msg + ".", **ev)]


def _median_profile(g_in: np.ndarray, rows: np.ndarray) -> dict[str, Any] | None:
    with np.errstate(divide="ignore"):
        med = gradient_profile(np.exp(np.median(np.log(g_in[rows]), axis=0)))
    if med is not None:
        med["factor"] = float(np.median([gradient_profile(x)["factor"] for x in g_in[rows]]))
    return med


def _exploding(r: _Run, rows: np.ndarray, med: dict | None, t: dict[str, float]) -> list:
    size = r.totals if r.totals.shape == (len(r.g_in),) else np.nansum(r.g_w**2, axis=1)
    cand = np.flatnonzero(rows & np.isfinite(size))
    worst = int(cand[np.argmax(size[cand])]) if cand.size else int(np.flatnonzero(rows)[-1])
    p, fac = gradient_profile(r.g_in[worst]), t["explode_factor"]
    if p is not None and p["ratio"] >= t["explode_ratio"] and p["start_factor"] >= fac:
        msg = f"at step {worst} (the largest finite gradient) ||dL/dh||"
        factor = p["start_factor"]
    elif med is not None and med["factor"] >= fac and med["ratio"] >= t["explode_ratio"] ** 0.5:
        p, worst, factor = med, -1, med["factor"]
        msg = f"over training (median of {int(rows.sum())} steps) ||dL/dh||"
    else:
        return []
    msg += (f" grows x{_fmt(factor)} per layer flowing back from {_name(r, p['start'])} to "
            f"{_name(r, 0)}: the first layer gets {_fmt(p['ratio'])} times the last's")
    if med is not None and worst >= 0:
        msg += f" (median over training: x{_fmt(med['factor'])} per layer)"
    return [_finding("exploding", msg + ".", step=worst, factor_per_layer=factor,
                     ratio_first_to_last=p["ratio"], growth_starts_at=p["start"],
                     growth_starts_at_layer=_name(r, p["start"]),
                     median_factor=med["factor"] if med is not None else math.nan)]


def _zero_gradients(r: _Run, ok: np.ndarray, t: dict[str, float]) -> list[Finding]:
    """Layers whose weight gradient is exactly zero: underflow (vanishing) or dead units."""
    rows = ok.copy()
    rows[0] = False  # the first step of a zero-initialised output layer is legitimately 0
    if rows.sum() < 3 or r.g_w.shape != r.g_in.shape:  # too few steps to call a layer silent
        return []
    frac = np.mean(r.g_w[rows] == 0, axis=0)
    silent = np.flatnonzero(frac >= t["zero_frac"])
    if silent.size == 0:
        return []
    lo, top = int(silent.min()), int(silent.max())
    above = np.median(r.g_in[rows, top + 1 :], axis=0)
    pos = above[above > 0]
    prof = gradient_profile(np.concatenate([above[:1], above])) if above.size >= 2 else None
    underflow = pos.size > 0 and (pos.min() < t["tiny_grad"] or (
        prof is not None and prof["factor"] <= 1 / t["explode_factor"]))
    ev = {"zero_layers": [int(i) for i in silent], "zero_step_frac": float(frac[silent].min()),
          "steps": int(rows.sum())}
    msg = (f"the weight gradients of {_name(r, lo)}" + (f" to {_name(r, top)}" if top > lo else "")
           + f" are exactly 0 on at least {_pct(ev['zero_step_frac'])} of {ev['steps']} steps")
    if underflow:
        return [_finding("vanishing", msg + f", below layers whose ||dL/dh|| shrinks to "
                         f"{_fmt(pos.min())}: the gradient underflowed to zero.", **ev,
                         smallest_nonzero=float(pos.min()))]
    return [_finding("dead_units", msg + ": no signal reaches them (ReLU units that never "
                     "fire, or an input that is all zero).", **ev)]


def _gradient_findings(r: _Run, t: dict[str, float]) -> list[Finding]:
    if r.g_in.size == 0 or r.g_in.shape[1] < 3 or not np.isfinite(r.g_in).all(axis=1).any():
        return []
    finite = np.isfinite(r.g_in).all(axis=1)
    rows = finite & (r.g_in > 0).all(axis=1)
    med = _median_profile(r.g_in, rows) if rows.any() else None
    found = _exploding(r, rows, med, t) if rows.any() else []
    inv = 1 / t["explode_factor"]
    if med is not None and med["ratio"] <= 1 / t["explode_ratio"] and med["factor"] <= inv:
        found.append(_finding(
            "vanishing", f"over training (median of {int(rows.sum())} steps) ||dL/dh|| shrinks "
            f"x{_fmt(med['factor'])} per layer flowing back: the first layer gets only "
            f"{_fmt(med['ratio'])} of the last layer's gradient, so the early layers barely "
            "learn.", factor_per_layer=med["factor"], ratio_first_to_last=med["ratio"],
            steps=int(rows.sum())))
    kinds = {f.kind for f in found}
    return found + [f for f in _zero_gradients(r, finite, t) if f.kind not in kinds]


def _dead_relus(model: Any, X: Any, t: dict[str, float]) -> list[Finding]:
    dead = dead_relu_fraction(model, X)
    k = int(np.argmax(dead))
    if dead[k] < t["zero_frac"]:
        return []
    return [_finding("dead_units", f"{_pct(dead[k])} of the units of ReLU layer {k + 1} never "
                     f"fire on {len(X)} inputs (mean over layers {_pct(float(np.mean(dead)))}).",
                     dead_fraction=dead[k], relu_layer=k + 1)]


def _is_rise(a: float, b: float, tol: float, r: _Run, t: dict[str, float]) -> bool:
    return b - a > tol * max(abs(a), t["converged_frac"] * r.scale)


def _lr_too_high(r: _Run, t: dict[str, float]) -> list[Finding]:
    done, reasons, ev = r.done, [], {}
    if len(done) >= 2:
        best = int(np.argmin(done))
        if best < len(done) - 1 and _is_rise(done[best], done[-1], t["rising_tol"], r, t):
            reasons.append(f"the loss is rising: {_fmt(done[best])} in epoch {best + 1}, "
                           f"{_fmt(done[-1])} in epoch {len(done)}")
            ev.update(best_epoch=best + 1, best_loss=done[best], last_loss=done[-1])
    changes = max(len(done) - 1, 0)
    pairs = zip(done[:-1], done[1:], strict=True)
    rises = sum(_is_rise(a, b, t["rise_tol"], r, t) for a, b in pairs)
    if rises >= 2 and rises >= t["oscillation_frac"] * changes:
        reasons.append(f"it went up in {rises} of {changes} epochs")
        ev.update(rises=rises, epoch_changes=changes)
    n_done = len(r.step_loss) if r.nonfinite_at is None else len(r.done) * r.spe
    seen = r.step_loss[:n_done]
    k = int(np.nanargmax(seen)) if np.isfinite(seen).any() else 0
    if seen.size and _is_rise(r.initial, seen[k], t["spike_factor"] - 1, r, t):
        reasons.append(f"the loss of step {k} spiked to {_fmt(seen[k])} from the initial "
                       f"{_fmt(r.initial)}")
        ev.update(spike_step=k, spike_loss=float(seen[k]), initial_loss=r.initial)
    if not reasons:
        return []
    msg = "; ".join(reasons)
    return [_finding("lr_too_high", msg[0].upper() + msg[1:] + ": the steps overshoot.", **ev)]


def _n_classes(r: _Run) -> int | None:
    m = re.search(r"→(\d+)\)$", r.names[-1]) if r.names else None
    return int(m.group(1)) if m else None


def _validation(r: _Run, t: dict[str, float]) -> list[Finding]:
    found, (train_acc, val_acc) = [], (
        [float(v) for v in (getattr(r.hist, a, None) or [])] for a in ("epoch_acc", "val_acc"))
    if val_acc and train_acc and train_acc[-1] - val_acc[-1] >= t["overfit_gap"]:
        found.append(_finding(
            "overfitting", f"training accuracy {_pct(train_acc[-1])} against validation "
            f"accuracy {_pct(val_acc[-1])}: the model memorises the training set.",
            train_acc=train_acc[-1], val_acc=val_acc[-1]))
    (acc, which), c = (val_acc, "validation") if val_acc else (train_acc, "training"), _n_classes(r)
    if acc and c and c >= 2 and acc[-1] <= t["chance_factor"] / c:
        found.append(_finding(
            "chance", f"{which} accuracy {_pct(acc[-1])} is at chance level for {c} classes "
            f"({_pct(1 / c)}), with a final loss of {_fmt(r.epoch_loss[-1])}.",
            accuracy=acc[-1], n_classes=c, chance=1 / c))
    return found


def _plateau(r: _Run, t: dict[str, float]) -> list[Finding]:
    k = int(t["plateau_epochs"])
    tail = np.array(r.done[-k:])
    spread = float(np.ptp(tail) / max(abs(float(tail.mean())), 1e-300)) if tail.size else 0.0
    if len(r.done) < k or spread >= t["plateau_tol"] or r.initial <= 0 or tail[
            -1] < t["plateau_level"] * r.initial:
        return []
    return [_finding(
        "plateau", f"the loss has stayed at {_fmt(tail[-1])} for the last {k} epochs (moving "
        f"{_pct(spread)}), still {_pct(tail[-1] / r.initial)} of the initial "
        f"{_fmt(r.initial)}: training has stalled.",
        loss=float(tail[-1]), epochs=k, spread=spread, initial_loss=r.initial)]


def _healthy(r: _Run) -> Finding:
    parts = [f"no problem found: the loss went from {_fmt(r.initial)} to "
             f"{_fmt(r.epoch_loss[-1])} in {len(r.epoch_loss)} epochs"]
    val_acc = list(getattr(r.hist, "val_acc", None) or [])
    parts.append(f"validation accuracy {_pct(val_acc[-1])}" if val_acc
                 else "no validation data, so overfitting was not checked")
    rows = np.isfinite(r.g_in).all(axis=1) & (r.g_in > 0).all(axis=1) if r.g_in.size else []
    med = _median_profile(r.g_in, rows) if np.any(rows) and r.g_in.shape[1] >= 3 else None
    parts.append(
        "per-layer gradients were not recorded, so depth was not checked" if not np.any(rows)
        else f"{r.g_in.shape[1]} layers are too few for a depth profile" if med is None
        else f"||dL/dh|| changes x{_fmt(med['factor'])} per layer flowing back (median of "
        f"{int(np.sum(rows))} steps)")
    return _finding("healthy", "; ".join(parts) + ".", initial_loss=r.initial,
                    final_loss=r.epoch_loss[-1], epochs=len(r.epoch_loss))


def _thresholds(overrides: dict[str, Any]) -> dict[str, float]:
    t = dict(DIAGNOSE_THRESHOLDS)
    for name, value in overrides.items():
        if name not in t:
            raise TypeError(f"unknown threshold {name!r}; known: {', '.join(sorted(t))}")
        t[name] = check.positive(value, name)
    if min(t["explode_ratio"], t["explode_factor"]) <= 1:
        raise ValueError("explode_ratio and explode_factor must be > 1")
    if t["plateau_epochs"] < 2 or t["plateau_epochs"] != int(t["plateau_epochs"]):
        raise ValueError(f"plateau_epochs must be a whole number >= 2, got {t['plateau_epochs']}")
    return t


def diagnose(history: Any, *, model: Any = None, X: Any = None, **thresholds: float) -> Diagnosis:
    """Read a training history and say, in plain words, what went wrong (if anything).

    Checks in the order of :data:`FINDING_KINDS` (thresholds in :data:`DIAGNOSE_THRESHOLDS`):
    inf/nan; the depth profile of ``||dL/dh||`` (exploding, vanishing; exact zeros are
    underflow or dead units); loss rising, oscillating or spiking; validation accuracy
    (overfitting, chance level); a plateau. ``history`` is a mathprog.training.History (or
    has its fields); ``model`` and ``X`` add the dead-ReLU count. Each finding carries its
    evidence and a next step; ``healthy`` says which checks could not run.
    """
    t = _thresholds(thresholds)
    r = _read(history)
    out = Diagnosis(_nonfinite(r, t) + _gradient_findings(r, t))
    if model is not None and X is not None and r.nonfinite_at is None and not (
        {"dead_units", "vanishing"} & set(out.kinds)
    ):
        out.extend(_dead_relus(model, X, t))
    out.extend(_lr_too_high(r, t) + _validation(r, t) + _plateau(r, t))
    return out or Diagnosis([_healthy(r)])
