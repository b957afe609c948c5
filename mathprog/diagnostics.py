"""Diagnosing training: the training doctor.

:func:`diagnose` reads a finished run (a :class:`mathprog.training.History`) and says in plain
words what went wrong; :func:`gradient_profile` measures how gradient norms grow across depth.
Gradient clipping and the per-layer gradient monitor live in :mod:`mathprog.training`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "diagnose",
    "DIAGNOSE_THRESHOLDS",
    "Diagnosis",
    "Finding",
    "FINDING_KINDS",
    "gradient_profile",
]


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value



# ======================================================================================
# diagnose(): the training doctor
# (this section is maintained together with notebooks/09_diagnosing_training.ipynb)
# ======================================================================================
#
# diagnose() reads a finished run -- a mathprog.nn.History or any object with its fields --
# and returns findings in plain words, each with the numbers it rests on. All thresholds
# are keyword arguments; their defaults and meaning are in DIAGNOSE_THRESHOLDS.

DIAGNOSE_THRESHOLDS: dict[str, float] = {
    # exploding: at the step with the largest finite gradient, the gradient flowing into the
    # first Linear layer is >= explode_ratio times the one flowing into the last, and it
    # grows >= explode_factor per layer flowing back (fitted on a log scale).
    "explode_ratio": 100.0,
    "explode_factor": 1.1,
    # vanishing: the mirror image (<= 1/explode_ratio, <= 1/explode_factor per layer) on the
    # typical profile over training (per-layer medians; median of the per-step factors) --
    # a persistent shrinkage, not one odd step.
    # lr_too_high, from completed finite epochs: an epoch whose loss is rise_tol above the
    # previous one is a rise; the loss is "rising" when the last epoch is rising_tol above
    # the best; "oscillating" when >= oscillation_frac of the epoch-to-epoch changes (and
    # at least two) are rises; a "spike" is one step whose loss is spike_factor times the
    # initial loss. Rises below converged_frac of the initial loss are ignored: near
    # convergence, epoch losses jitter by a large fraction of a small number.
    "rise_tol": 0.05,
    "rising_tol": 0.25,
    "oscillation_frac": 0.3,
    "spike_factor": 3.0,
    "converged_frac": 0.1,
    # plateau: the last plateau_epochs epoch losses lie within plateau_tol of each other
    # while still above plateau_level times the initial loss.
    "plateau_epochs": 3,
    "plateau_tol": 0.01,
    "plateau_level": 0.5,
}

FINDING_KINDS = ("nonfinite", "exploding", "vanishing", "lr_too_high", "plateau", "healthy")
"""The possible ``Finding.kind`` values, in the order :func:`diagnose` checks them."""


def _fmt(v: Any) -> str:
    """A number as a short string: 3 significant digits, scientific when large or small."""
    if isinstance(v, (bool, str)) or v is None:
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return str(v)
    return f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


@dataclass(frozen=True)
class Finding:
    """One problem (or its absence) found in a training history.

    Attributes
    ----------
    kind : str
        One of ``"nonfinite"``, ``"exploding"``, ``"vanishing"``, ``"lr_too_high"``,
        ``"plateau"``, ``"healthy"``.
    message : str
        What was seen, in plain words, with the numbers that show it.
    evidence : dict
        Those numbers by name (epochs, steps and layer indices are ints).
    """

    kind: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def __repr__(self) -> str:
        ev = ", ".join(f"{k}={_fmt(v)}" for k, v in self.evidence.items())
        return f"Finding({self.kind}: {self.message} [{ev}])"


class Diagnosis(list):
    """What :func:`diagnose` returns: a list of :class:`Finding`, printed one per line."""

    @property
    def kinds(self) -> list[str]:
        """The findings' kinds, in order."""
        return [f.kind for f in self]

    @property
    def healthy(self) -> bool:
        """True when nothing was found wrong."""
        return self.kinds == ["healthy"]

    def __str__(self) -> str:
        return "\n".join(f"{i}. {f}" for i, f in enumerate(self, 1))

    __repr__ = __str__


def gradient_profile(norms: Any) -> dict[str, Any] | None:
    """How gradient norms grow across depth, at one step.

    Parameters
    ----------
    norms : 1-D array
        One row of ``History.input_grad_norms``: ``||dL/dh||`` flowing into each Linear
        layer, from the first layer (index 0) to the output layer (last index).

    Returns
    -------
    dict or None
        ``factor``: growth per layer flowing *backwards* (output towards input), ``exp(-s)``
        with ``s`` the least-squares slope of ``log ||dL/dh||`` against the layer index: > 1
        means the gradient grows as it flows back, < 1 that it shrinks. ``ratio``: the first
        layer's norm over the last layer's. ``start``: index of the layer where the backward
        growth starts (the smallest norm; from there the norms rise towards the input).
        ``start_factor``: the factor fitted from ``start`` down to layer 0 (1.0 if fewer
        than three layers). None if the first or last norm, or fewer than three norms, are
        not finite and positive (e.g. the first step of a net whose output layer starts at
        zero, where every hidden gradient is exactly 0).
    """
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
    start_factor = 1.0
    if seg.sum() >= 3:
        start_factor = float(np.exp(-np.polyfit(idx[seg], logs[seg], 1)[0]))
    return {
        "factor": float(np.exp(-np.polyfit(idx, logs, 1)[0])),
        "ratio": float(v[0] / v[-1]),
        "start": start,
        "start_factor": start_factor,
    }


def _diagnose_inputs(history: Any) -> tuple[list[float], np.ndarray, np.ndarray, np.ndarray]:
    needed = ("epoch_loss", "step_loss", "input_grad_norms", "weight_grad_norms")
    missing = [a for a in needed if not hasattr(history, a)]
    if missing:
        raise TypeError(
            "history must be a mathprog.nn.History (or have its fields); "
            f"{type(history).__name__} lacks {', '.join(missing)}"
        )
    epoch_loss = [float(v) for v in history.epoch_loss]
    if not epoch_loss:
        raise ValueError("history has no epochs: nothing to diagnose")
    step_loss = np.asarray(history.step_loss, dtype=np.float64).ravel()
    g_in = np.asarray(history.input_grad_norms, dtype=np.float64)
    g_w = np.asarray(history.weight_grad_norms, dtype=np.float64)
    for name, a in (("input_grad_norms", g_in), ("weight_grad_norms", g_w)):
        if a.size and (a.ndim != 2 or len(a) != len(step_loss)):
            raise ValueError(
                f"history.{name} must have shape (steps, n_linear) with steps = "
                f"len(step_loss) = {len(step_loss)}, got {a.shape}"
            )
    return epoch_loss, step_loss, g_in, g_w


def _diagnose_thresholds(overrides: dict[str, Any]) -> dict[str, float]:
    t = dict(DIAGNOSE_THRESHOLDS)
    for name, value in overrides.items():
        if name not in t:
            known = ", ".join(sorted(t))
            raise TypeError(f"diagnose() got an unknown threshold {name!r}; known: {known}")
        t[name] = _check_positive(value, name)
    for name in ("explode_ratio", "explode_factor"):
        if t[name] <= 1:
            raise ValueError(f"{name} must be > 1, got {t[name]}")
    if t["plateau_epochs"] < 2 or t["plateau_epochs"] != int(t["plateau_epochs"]):
        raise ValueError(f"plateau_epochs must be a whole number >= 2, got {t['plateau_epochs']}")
    return t


def _layer_name(names: list[str], i: int) -> str:
    return names[i] if 0 <= i < len(names) else f"layer {i + 1}"


def _gradient_findings(
    g_in: np.ndarray, g_w: np.ndarray, totals: np.ndarray, names: list[str], t: dict[str, float]
) -> list[Finding]:
    if g_in.size == 0 or g_in.shape[1] < 3:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = np.isfinite(g_in).all(axis=1) & (g_in > 0).all(axis=1)
        if not rows.any():
            return []
        # typical depth profile: the per-layer median over the steps (for its ratio), and
        # the median of the per-step fitted factors
        med = gradient_profile(np.exp(np.median(np.log(g_in[rows]), axis=0)))
        if med is not None:
            med["factor"] = float(np.median([gradient_profile(r)["factor"] for r in g_in[rows]]))
    found = []
    # The step with the largest finite global gradient norm: where an explosion shows most.
    size = totals if totals.shape == (len(g_in),) else np.sqrt(np.nansum(g_w**2, axis=1))
    cand = np.flatnonzero(rows & np.isfinite(size))
    worst = int(cand[np.argmax(size[cand])]) if cand.size else int(np.flatnonzero(rows)[-1])
    prof = gradient_profile(g_in[worst])
    if (
        prof is not None
        and prof["ratio"] >= t["explode_ratio"]
        and prof["start_factor"] >= t["explode_factor"]
    ):
        s = prof["start"]
        msg = (
            f"at step {worst} (the largest finite gradient) ||dL/dh|| grows "
            f"x{prof['start_factor']:.2f} per layer flowing back from {_layer_name(names, s)} "
            f"to {_layer_name(names, 0)}: the first layer gets {_fmt(prof['ratio'])} times "
            "the gradient of the last"
        )
        if med is not None:
            msg += f" (median over training: x{med['factor']:.2f} per layer)"
        w = g_w[worst] if g_w.shape == g_in.shape else np.full(1, np.nan)
        found.append(
            Finding(
                "exploding",
                msg + ".",
                {
                    "step": worst,
                    "factor_per_layer": prof["start_factor"],
                    "ratio_first_to_last": prof["ratio"],
                    "growth_starts_at": s,
                    "growth_starts_at_layer": _layer_name(names, s),
                    "median_factor": med["factor"] if med is not None else math.nan,
                    "max_weight_grad": float(np.nanmax(w)) if np.isfinite(w).any() else math.nan,
                },
            )
        )
    if (
        med is not None
        and med["ratio"] <= 1 / t["explode_ratio"]
        and med["factor"] <= 1 / t["explode_factor"]
    ):
        found.append(
            Finding(
                "vanishing",
                f"over training (median of {int(rows.sum())} steps) ||dL/dh|| shrinks "
                f"x{med['factor']:.2f} per layer flowing back: the first layer gets only "
                f"{_fmt(med['ratio'])} of the last layer's gradient, so the early layers "
                "barely learn.",
                {
                    "factor_per_layer": med["factor"],
                    "ratio_first_to_last": med["ratio"],
                    "steps": int(rows.sum()),
                },
            )
        )
    return found


def diagnose(history: Any, **thresholds: float) -> Diagnosis:
    """Read a training history and say, in plain words, what went wrong (if anything).

    Checks, in this order, each finding carrying its evidence:

    1. ``nonfinite`` -- the loss (or a gradient) became inf/NaN: epoch and step, the loss
       the step before, and the largest global gradient norm before it.
    2. ``exploding`` -- at the step with the largest finite gradient norm the gradient
       flowing into the first layer is at least ``explode_ratio`` (100) times the one
       flowing into the last layer, growing at least ``explode_factor`` (1.1) per layer:
       names the layer where the growth starts and the fitted factor per layer
       (:func:`gradient_profile`), beside the median of the per-step factors.
    3. ``vanishing`` -- over training (median profile) the first layer receives at most
       ``1/explode_ratio`` of the last layer's gradient, shrinking by ``1/explode_factor``
       or more per layer.
    4. ``lr_too_high`` -- among the completed finite epochs the loss is rising (last epoch
       ``rising_tol`` = 25% above the best), or oscillating (at least ``oscillation_frac`` =
       30% of the epoch-to-epoch changes, and at least two, are rises of more than
       ``rise_tol`` = 5%), or one step's loss spiked to ``spike_factor`` (3) times the
       initial loss. Rises below ``converged_frac`` (10%) of the initial loss are ignored.
    5. ``plateau`` -- the last ``plateau_epochs`` (3) epoch losses lie within
       ``plateau_tol`` (1%) of each other while above ``plateau_level`` (50%) of the
       initial loss.
    6. ``healthy`` -- none of the above ("no problem found").

    The initial loss is the first step's loss. Gradient findings need the per-layer norms
    that ``train(..., monitor=True)`` records.

    Parameters
    ----------
    history : mathprog.nn.History
        Or any object with ``epoch_loss``, ``step_loss``, ``input_grad_norms`` and
        ``weight_grad_norms`` (optionally ``nonfinite_at``, ``layer_names``,
        ``total_grad_norm``, ``steps_per_epoch``, ``val_acc``).
    **thresholds : float
        Override entries of :data:`DIAGNOSE_THRESHOLDS` (documented there).

    Returns
    -------
    Diagnosis
        A list of :class:`Finding`; ``print`` shows one numbered line per finding.

    Raises
    ------
    TypeError
        ``history`` lacks the fields, or an unknown threshold name.
    ValueError
        No epochs, mis-shaped norm arrays, or a threshold out of range.
    """
    t = _diagnose_thresholds(thresholds)
    epoch_loss, step_loss, g_in, g_w = _diagnose_inputs(history)
    names = [str(n) for n in (getattr(history, "layer_names", None) or [])]
    totals = np.asarray(getattr(history, "total_grad_norm", np.zeros(0)), dtype=np.float64)
    spe = int(getattr(history, "steps_per_epoch", 0) or 0)
    out = Diagnosis()

    finite = step_loss[np.isfinite(step_loss)]
    initial = float(finite[0]) if finite.size else epoch_loss[0]

    # 1. non-finite loss or gradient
    nonfinite_at = getattr(history, "nonfinite_at", None)
    if nonfinite_at is None and not all(math.isfinite(v) for v in epoch_loss):
        epoch = next(i for i, v in enumerate(epoch_loss) if not math.isfinite(v)) + 1
        bad = np.flatnonzero(~np.isfinite(step_loss))
        nonfinite_at = (epoch, int(bad[0]) if bad.size else -1)
    if nonfinite_at is not None:
        epoch, step = int(nonfinite_at[0]), int(nonfinite_at[1])
        msg = f"the loss became non-finite (inf or nan) in epoch {epoch}, at step {step}"
        ev: dict[str, Any] = {"epoch": epoch, "step": step}
        before = step_loss[: max(step, 0)]
        before = before[np.isfinite(before)]
        if before.size:
            ev["last_finite_loss"] = float(before[-1])
            msg += f"; the step before, it was {_fmt(before[-1])}"
        if np.isfinite(totals).any():
            k = int(np.nanargmax(np.where(np.isfinite(totals), totals, np.nan)))
            ev.update(max_grad_norm=float(totals[k]), max_grad_norm_step=k)
            msg += f", and the global gradient norm had reached {_fmt(totals[k])} (step {k})"
        out.append(Finding("nonfinite", msg + ".", ev))

    # 2, 3. gradient profile across depth
    out.extend(_gradient_findings(g_in, g_w, totals, names, t))

    # 4. learning rate too high -- on completed finite epochs (a blow-up is finding 1)
    done = epoch_loss[:-1] if nonfinite_at is not None else epoch_loss
    done = [v for v in done if math.isfinite(v)]
    floor = t["converged_frac"] * initial
    reasons: list[str] = []
    ev = {}
    if len(done) >= 2:
        best = int(np.argmin(done))
        if best < len(done) - 1 and done[-1] > max(floor, done[best] * (1 + t["rising_tol"])):
            reasons.append(
                f"the loss is rising: {_fmt(done[best])} in epoch {best + 1}, "
                f"{_fmt(done[-1])} in epoch {len(done)}"
            )
            ev.update(best_epoch=best + 1, best_loss=done[best], last_loss=done[-1])
    changes = max(len(done) - 1, 0)
    rises = sum(
        1
        for a, b in zip(done[:-1], done[1:], strict=True)
        if a > floor and b > a * (1 + t["rise_tol"])
    )
    if rises >= 2 and rises >= t["oscillation_frac"] * changes:
        reasons.append(f"it went up in {rises} of {changes} epochs")
        ev.update(rises=rises, epoch_changes=changes)
    # steps of the completed epochs only
    n_done = len(step_loss) if nonfinite_at is None else (len(done) * spe if spe else 0)
    seen = step_loss[:n_done]
    if np.isfinite(seen).any() and np.nanmax(seen) >= t["spike_factor"] * initial:
        k = int(np.nanargmax(seen))
        reasons.append(
            f"the loss of step {k} spiked to {_fmt(seen[k])}, "
            f"{seen[k] / initial:.0f} times the initial {_fmt(initial)}"
        )
        ev.update(spike_step=k, spike_loss=float(seen[k]), initial_loss=initial)
    if reasons:
        msg = "; ".join(reasons)
        out.append(
            Finding(
                "lr_too_high",
                msg[0].upper() + msg[1:] + ": the steps overshoot (try a smaller learning rate, "
                "or clip the gradient norm).",
                ev,
            )
        )

    # 5. plateau
    k = int(t["plateau_epochs"])
    if len(done) >= k:
        tail = np.array(done[-k:])
        spread = float((tail.max() - tail.min()) / max(abs(float(tail.mean())), 1e-300))
        if spread < t["plateau_tol"] and tail[-1] >= t["plateau_level"] * initial:
            out.append(
                Finding(
                    "plateau",
                    f"the loss has stayed at {_fmt(tail[-1])} for the last {k} epochs "
                    f"(moving {spread:.2%}), still {tail[-1] / initial:.0%} of the initial "
                    f"{_fmt(initial)}: training has stalled.",
                    {
                        "loss": float(tail[-1]),
                        "epochs": k,
                        "spread": spread,
                        "initial_loss": initial,
                    },
                )
            )

    # 6. nothing wrong
    if not out:
        ev = {"initial_loss": initial, "final_loss": epoch_loss[-1], "epochs": len(epoch_loss)}
        msg = (
            f"no problem found: the loss fell from {_fmt(initial)} to {_fmt(epoch_loss[-1])} "
            f"in {len(epoch_loss)} epochs"
        )
        val_acc = list(getattr(history, "val_acc", None) or [])
        if val_acc:
            ev["val_acc"] = float(val_acc[-1])
            msg += f" (validation accuracy {val_acc[-1]:.1%})"
        out.append(Finding("healthy", msg + "; gradients finite and steady across depth.", ev))
    return out
