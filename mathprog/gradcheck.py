"""Gradient checking (notebook 08): backpropagation against central differences, entry by
entry, compared by the relative error ``|a - b| / (|a| + |b|)``, on a float64 copy of the model
by default. A wrong backward spoils every gradient upstream of it, so the bug is at the most
downstream failing check; ``scale`` (``analytic ~ scale * numeric``) says which kind it is.
Entries whose ``f(x ± h)`` switched a ReLU's mask crossed a kink and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog import derivatives
from mathprog.nn import ReLU, named_layers

__all__ = ["DEFAULT_STEPS", "DEFAULT_THRESHOLDS", "GradCheck", "GradCheckReport",
           "check_gradients", "relative_error"]

#: Largest passing relative error: correct float64 gives ~1e-7, a bug 1e-2 .. 1.
DEFAULT_THRESHOLDS: dict[str, float] = {"float64": 1e-6, "float32": 1e-2}

#: Step per dtype (None: the default of :func:`mathprog.derivatives.gradient`).
DEFAULT_STEPS: dict[str, float | None] = {"float64": None, "float32": 1e-2}


def relative_error(a: Any, b: Any, *, floor: float | None = None) -> Any:
    """Elementwise ``|a - b| / max(|a| + |b|, floor)``; NaN where an input is not finite.

    ``floor`` defaults to the smallest positive float64, so two zeros give 0.
    """
    a, b = (check.array(v, k, empty=True, finite=False) for v, k in ((a, "a"), (b, "b")))
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"a and b must broadcast together, got {a.shape} and {b.shape}") from None
    floor = float(np.finfo(np.float64).tiny) if floor is None else check.positive(floor, "floor")
    err = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)
    return float(err) if err.ndim == 0 else err


@dataclass(frozen=True)
class GradCheck:
    """One compared gradient: a parameter, ``"input.X"`` or the loss's own ``"loss.input"``.

    ``passed``: some entry was compared and every one has
    ``|a - n| <= max(threshold * (|a| + |n|), atol)``; ``skipped``: every entry crossed a kink.
    """

    layer: str
    kind: str
    name: str
    shape: tuple[int, ...]
    dtype: str
    n_checked: int
    n_kinks: int
    max_rel_error: float
    median_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    scale: float
    scale_residual: float
    threshold: float
    passed: bool

    @property
    def label(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def skipped(self) -> bool:
        return self.n_checked == 0


@dataclass
class GradCheckReport:
    """The result of :func:`check_gradients`, checks in forward order; prints as a table."""

    checks: list[GradCheck]
    note: str
    layers: list[tuple[str, str]]  # (label, class) of every layer, in forward order
    kinks_skipped: bool

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GradCheck]:
        return [c for c in self.checks if not (c.passed or c.skipped)]

    @property
    def suspect(self) -> GradCheck | None:
        return self.failures[-1] if self.failures else None

    @property
    def diagnosis(self) -> str:
        """Where the bug must be: between the most downstream failing check and the next."""
        s = self.suspect
        if s is None:
            skipped = ", ".join(c.label for c in self.checks if c.skipped)
            return ("all checks passed" if self.passed else "inconclusive: every entry of "
                    f"{skipped} crossed a ReLU kink; check another batch")
        hint = _scale_hint(s)
        kinks = sum(c.n_kinks for c in self.failures)
        if kinks and not self.kinks_skipped:
            hint = (f" ({kinks} entries of the failing checks crossed a ReLU kink, so this may "
                    "be a false alarm: check again with skip_kinks=True)")
        if s.layer == "loss":
            return (f"the loss's own gradient ({s.kind}.backward, dL/d{s.name}) is wrong{hint};"
                    " every check upstream of it inherits the error")
        labels = [label for label, _ in self.layers]
        i = self.checks.index(s)
        after = self.checks[i + 1] if i + 1 < len(self.checks) else None
        start = labels.index(s.layer) + 1 if s.layer != "input" else 0
        stop = labels.index(after.layer) + 1 if after and after.layer != "loss" else len(labels)
        between = [f"{lab} ({kind})" for lab, kind in self.layers[start:stop]]
        if any(c.passed and c.layer == s.layer for c in self.checks):
            between = []  # a sibling parameter passes: the gradient arriving here is right
        places = [f"the {s.name} gradient of layer {s.layer} ({s.kind}) itself"] * (
            s.layer != "input")
        if between:
            places.append(f"the input gradient (dL/dx) of layer {', '.join(between)}")
        if after is None:
            places.append("the loss's backward (not checked)")
        nxt = f" and {after.label}, which passes" if after is not None else ""
        return f"the error is made between {s.label}{nxt}: in " + ", or in ".join(places) + hint

    def __getitem__(self, label: str) -> GradCheck:
        for c in self.checks:
            if c.label == label:
                return c
        raise KeyError(f"no check {label!r}; labels are {[c.label for c in self.checks]}")

    def __iter__(self) -> Iterator[GradCheck]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def summary(self) -> str:
        """One line: PASSED, INCONCLUSIVE (skipped checks) or FAILED with the suspect."""
        s, n_skip = self.suspect, sum(c.skipped for c in self.checks)
        skip = f" ({n_skip} skipped: every entry at a kink)" if n_skip else ""
        if s is None:
            worst = max((c.max_rel_error for c in self.checks if not c.skipped), default=0.0)
            word = "PASSED" if self.passed else "INCONCLUSIVE"
            return (f"{word}: {len(self.checks) - n_skip} checks{skip}, largest relative error "
                    f"{worst:.1e}")
        return (f"FAILED: {len(self.failures)} of {len(self.checks)} checks{skip}; most "
                f"downstream failure: {s.layer} ({s.kind}) {s.name}, relative error "
                f"{s.max_rel_error:.1e}, scale {s.scale:+.3f}")

    def table(self) -> str:
        rows = [["layer", "type", "param", "shape", "checked", "kinks", "max rel err",
                 "worst at", "analytic", "numeric", "scale", "result"]]
        rows += [[c.layer, c.kind, c.name, "x".join(map(str, c.shape)) or "()", str(c.n_checked),
                  str(c.n_kinks), f"{c.max_rel_error:.1e}", str(c.worst_index),
                  f"{c.analytic:+.4e}", f"{c.numeric:+.4e}", f"{c.scale:+.3f}",
                  "skipped" if c.skipped else "ok" if c.passed else "FAIL"] for c in self.checks]
        widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
        lines = ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        lines = [self.note, *lines, self.summary()]
        return "\n".join(lines + ["diagnosis: " + self.diagnosis] * (not self.passed))

    __str__ = __repr__ = table


def _scale_hint(c: GradCheck) -> str:
    s = c.scale
    if not (math.isfinite(s) and c.scale_residual < 0.05):
        return " (analytic is not a multiple of numeric: a wrong formula, e.g. a transpose)"
    if abs(s) < 0.05:
        return " (analytic is ~0 where numeric is not: a gradient never computed)"
    if abs(s + 1) < 0.05:
        return " (analytic = -1 x numeric: a flipped sign)"
    if abs(s) >= 1.5:
        return f" (analytic = {s:.3g} x numeric: a missing division, e.g. by the batch size)"
    return f" (analytic = {s:.3g} x numeric)"


def _compare(where: tuple[str, str, str], array: np.ndarray, analytic: np.ndarray,
             numeric: np.ndarray, idx: np.ndarray, kinked: np.ndarray, skip: bool,
             threshold: float, atol: float) -> GradCheck:
    keep = ~kinked if skip else np.ones(idx.size, dtype=bool)
    a, n, at = analytic.reshape(-1)[idx][keep].astype(np.float64), numeric[keep], idx[keep]
    head = (*where, tuple(int(s) for s in array.shape), array.dtype.name, int(a.size),
            int(kinked.sum()))
    if a.size == 0:
        nan = math.nan
        return GradCheck(*head, nan, nan, (), nan, nan, nan, nan, threshold, False)
    err = relative_error(a, n, floor=atol / threshold if atol > 0 else None)
    k = int(np.argmax(err))
    nn_, na = float(n @ n), float(np.linalg.norm(a))
    scale = float(a @ n) / nn_ if nn_ > 0 else (1.0 if not a.any() else math.inf)
    resid = float(np.linalg.norm(a - scale * n)) / na if na > 0 and math.isfinite(scale) else 0.0
    worst = tuple(int(i) for i in np.unravel_index(int(at[k]), array.shape))
    return GradCheck(*head, float(err[k]), float(np.median(err)), worst, float(a[k]),
                     float(n[k]), scale, resid, threshold, bool(err[k] <= threshold))


def _numeric(evaluate: Callable[[], float], array: np.ndarray, idx: np.ndarray,
             h: float | None, relus: list[ReLU]) -> tuple[np.ndarray, np.ndarray]:
    """Central differences in ``array.flat[idx]``, and per entry whether a ReLU mask changed."""
    flat = array.reshape(-1)  # a view of the contiguous arrays layers hold
    z0 = flat[idx].astype(np.float64)  # exact, also for float32 entries
    kinked = np.zeros(idx.size, dtype=bool)
    evaluate()
    base = [r.mask.copy() for r in relus]  # a forward pass has set every mask

    def f(z: np.ndarray) -> float:
        flat[idx] = z  # in the array's own dtype: its rounding is part of what is measured
        value = evaluate()
        if any(not np.array_equal(r.mask, b) for r, b in zip(relus, base, strict=True)):
            kinked[z != z0] = True
        return value

    try:
        return derivatives.gradient(f, z0, h), kinked
    finally:
        flat[idx] = z0


def _parameters(model: Any) -> Iterator[tuple[str, str, str, np.ndarray, np.ndarray]]:
    """(layer label, class, parameter name, array, its gradient) in the order of ``params``."""
    for label, layer in named_layers(model):
        names = getattr(layer, "_param_names", ())
        for j, (p, g) in enumerate(zip(layer.params, layer.grads, strict=True)):
            yield (label, type(layer).__name__, names[j] if j < len(names) else f"params[{j}]",
                   p, g.copy())


def check_gradients(model: Any, loss: Any, X: Any, y: Any, *, h: float | None = None,
                    threshold: float | None = None, atol: float | None = None,
                    params: Sequence[str] | None = None,
                    max_entries_per_param: int | None = None, check_input: bool = True,
                    skip_kinks: bool = True, float64: bool = True) -> GradCheckReport:
    """Compare backprop's gradients of a :mod:`mathprog.nn` model with central differences.

    Two loss evaluations per checked entry: use a handful of samples. The model is not changed.

    Parameters
    ----------
    model, loss : a model (forward, backward, params, grads) and a loss (forward, backward)
    X, y : a small batch
    h, threshold : float, optional; step and largest passing relative error (default per dtype).
    atol : float, optional; differences below it pass (default ``10 eps max(1, |L|) / h``).
    params : labels to check only, e.g. ``["0.W", "input.X", "loss.input"]``
    max_entries_per_param : int, optional; check this many random entries per array (seed 0).
    check_input : bool; also check ``dL/dX``.
    skip_kinks : bool; leave out entries that switched a ReLU (still counted in ``n_kinks``).
    float64 : bool; check a float64 copy (reliable whatever the model's dtype).
    """
    check.has(model, "model", "forward", "backward", "params", "grads")
    check.has(loss, "loss", "forward", "backward")
    h = check.optional(check.positive, h, "h")
    threshold = check.optional(check.positive, threshold, "threshold")
    atol = check.optional(check.number, atol, "atol", lo=0.0)
    max_entries = check.optional(check.integer, max_entries_per_param, "max_entries_per_param",
                                 minimum=1)
    if not model.params:
        raise ValueError("model has no parameters to check")
    dtypes = {check.float_dtype(p.dtype, "model's parameters") for p in model.params}
    copied = float64 and dtypes != {np.dtype(np.float64)}
    if copied:
        model = check.has(model, "model", "astype").astype(np.float64)
    dt = model.params[0].dtype
    Xc = check.array(X, "X", dtype=dt).copy()  # a copy: the input check perturbs it
    y = np.asarray(y)
    if y.shape[:1] != Xc.shape[:1]:
        raise ValueError(f"y must have one entry per row of X ({len(Xc)}), got shape {y.shape}")
    pred = np.array(model.forward(Xc))  # a copy: the loss's own check perturbs it
    value = float(loss.forward(pred, y))
    if not math.isfinite(value):
        raise ValueError(f"X, y: the loss is not finite at this batch ({value!r})")
    grad_pred = np.array(loss.backward())
    grad_X = model.backward(grad_pred.copy())
    targets = [("input", "data", "X", Xc, np.array(grad_X))] * bool(check_input)
    targets += [*_parameters(model), ("loss", type(loss).__name__, "input", pred, grad_pred)]
    if params is not None:
        labels = [f"{t[0]}.{t[2]}" for t in targets]
        unknown = sorted(set(params) - set(labels))
        if unknown:
            raise ValueError(f"params: unknown labels {unknown}; available: {labels}")
        targets = [t for t, lab in zip(targets, labels, strict=True) if lab in params]

    def whole() -> float:
        return float(loss.forward(model.forward(Xc), y))

    def top() -> float:  # the loss alone, at the (perturbed) prediction
        return float(loss.forward(pred, y))

    relus = [m for _, m in named_layers(model) if isinstance(m, ReLU)]
    rng = np.random.default_rng(0)
    checks = []
    for layer, kind, name, array, analytic in targets:
        if analytic.shape != array.shape:
            raise ValueError(f"the gradient of {layer}.{name} has shape {analytic.shape}, "
                             f"expected {array.shape}")
        step = h if h is not None else DEFAULT_STEPS[array.dtype.name]
        noise = (atol if atol is not None else 10.0 * float(np.finfo(array.dtype).eps)
                 * max(1.0, abs(value)) / (step or derivatives.OPTIMAL_STEPS["central"]))
        idx = (np.arange(array.size) if max_entries is None or array.size <= max_entries
               else np.sort(rng.choice(array.size, size=max_entries, replace=False)))
        numeric, kinked = _numeric(top if layer == "loss" else whole, array, idx, step, relus)
        limit = threshold if threshold is not None else DEFAULT_THRESHOLDS[array.dtype.name]
        checks.append(_compare((layer, kind, name), array, analytic, numeric, idx,
                               kinked, skip_kinks, limit, noise))
    whole()  # leave model and loss in the unperturbed state
    step = h if h is not None else DEFAULT_STEPS[dt.name]
    steps = (f"{step:.0e}" if step is not None
             else f"{derivatives.OPTIMAL_STEPS['central']:.1e} x max(1, |x|)")
    copy = ", on a float64 copy of the model" if copied else ""
    note = f"gradient check on {len(Xc)} samples ({dt.name}: h = {steps}{copy})"
    layers = [(lab, type(m).__name__) for lab, m in named_layers(model)]
    return GradCheckReport(checks, note, layers, skip_kinks)
