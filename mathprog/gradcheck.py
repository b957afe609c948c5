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

    def row(self) -> list[str]:
        verdict = "skipped" if self.skipped else ("ok" if self.passed else "FAIL")
        return [self.layer, self.kind, self.name, "x".join(map(str, self.shape)) or "()",
                str(self.n_checked), str(self.n_kinks), f"{self.max_rel_error:.1e}",
                str(self.worst_index), f"{self.analytic:+.4e}", f"{self.numeric:+.4e}",
                f"{self.scale:+.3f}", verdict]


_HEADER = ["layer", "type", "param", "shape", "checked", "kinks", "max rel err", "worst at",
           "analytic", "numeric", "scale", "result"]


class GradCheckReport:
    """The result of :func:`check_gradients`, checks in forward order; prints as a table."""

    def __init__(self, checks: Sequence[GradCheck], *, note: str = "",
                 layers: Sequence[tuple[str, str]] = (), loss_checked: bool = True,
                 kinks_skipped: bool = True) -> None:
        self.checks, self.note, self.layers = list(checks), note, list(layers)
        self.loss_checked, self.kinks_skipped = loss_checked, kinks_skipped

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GradCheck]:
        return [c for c in self.checks if not (c.passed or c.skipped)]

    @property
    def skipped(self) -> list[GradCheck]:
        return [c for c in self.checks if c.skipped]

    @property
    def suspect(self) -> GradCheck | None:
        return self.failures[-1] if self.failures else None

    @property
    def diagnosis(self) -> str:
        """Where the bug must be: between the most downstream failing check and the next."""
        s = self.suspect
        if s is None:
            return ("all checks passed" if self.passed else "inconclusive: every entry of "
                    f"{', '.join(c.label for c in self.skipped)} crossed a ReLU kink; check "
                    "another batch")
        hint = _scale_hint(s)
        kinks = sum(c.n_kinks for c in self.failures)
        if kinks and not self.kinks_skipped:
            hint = (f" ({kinks} entries of the failing checks crossed a ReLU kink, so this may "
                    "be a false alarm: check again with skip_kinks=True)")
        if s.layer == "loss":
            return (f"the loss's own gradient ({s.kind}.backward, dL/d{s.name}) is wrong{hint};"
                    " every check upstream of it inherits the error")
        return self._between(s, hint)

    def _between(self, s: GradCheck, hint: str) -> str:
        labels = [label for label, _ in self.layers]
        i = self.checks.index(s)
        after = self.checks[i + 1] if i + 1 < len(self.checks) else None
        start = labels.index(s.layer) + 1 if s.layer in labels else 0
        stop = (len(labels) if after is None or after.layer == "loss" else start
                if after.layer == s.layer or after.layer not in labels
                else labels.index(after.layer) + 1)
        between = [f"{lab} ({kind})" for lab, kind in self.layers[start:stop]]
        if any(c.passed and c.layer == s.layer for c in self.checks):
            between = []  # a sibling parameter passes: the gradient arriving here is right
        places = [f"the {s.name} gradient of layer {s.layer} ({s.kind}) itself"] * (
            s.layer != "input")
        if between:
            places.append(f"the input gradient (dL/dx) of layer {', '.join(between)}")
        if after is None and not self.loss_checked:
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
        s, n_skip = self.suspect, len(self.skipped)
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
        rows = [_HEADER] + [c.row() for c in self.checks]
        widths = [max(len(r[j]) for r in rows) for j in range(len(_HEADER))]
        lines = ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
        lines = [self.note] * bool(self.note) + lines + [self.summary()]
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
    if abs(s - 1) < 0.05:
        return " (analytic ~ numeric overall, a few entries off: a wrong index, or a kink)"
    if abs(s) <= 0.67:
        return f" (analytic = {s:.3g} x numeric: a factor 1/{1 / s:.3g} too many)"
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
    resid = (float(np.linalg.norm(a - scale * n)) / na if na > 0 and math.isfinite(scale)
             else (0.0 if na == 0 else math.inf))
    worst = tuple(int(i) for i in np.unravel_index(int(at[k]), array.shape))
    return GradCheck(*head, float(err[k]), float(np.median(err)), worst, float(a[k]),
                     float(n[k]), scale, resid, threshold, bool(err[k] <= threshold))


def _numeric(evaluate: Callable[[], float], array: np.ndarray, idx: np.ndarray,
             h: float | None, relus: list[ReLU]) -> tuple[np.ndarray, np.ndarray]:
    """Central differences in ``array.flat[idx]``, and per entry whether a ReLU mask changed."""
    flat = array.reshape(-1)  # a view of the contiguous arrays layers hold
    original = flat[idx].copy()
    z0 = original.astype(np.float64)
    kinked = np.zeros(idx.size, dtype=bool)
    evaluate()
    base = [None if r.mask is None else r.mask.copy() for r in relus]

    def f(z: np.ndarray) -> float:
        flat[idx] = z  # in the array's own dtype: its rounding is part of what is measured
        value = evaluate()
        if any(b is not None and not np.array_equal(r.mask, b)
               for r, b in zip(relus, base, strict=True)):
            kinked[z != z0] = True
        return value

    try:
        return derivatives.gradient(f, z0.copy(), h), kinked
    finally:
        flat[idx] = original


def _targets(model: Any) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(layer label, class, parameter name, array) in the order of ``model.params``."""
    flat = list(model.params)
    named = [(label, type(layer).__name__, getattr(layer, "_param_names", ())[j:j + 1] or
              (f"params[{j}]",), p) for label, layer in named_layers(model)
             for j, p in enumerate(layer.params)]
    if [id(t[3]) for t in named] != [id(p) for p in flat]:  # a model we cannot walk
        named = [("model", type(model).__name__, (f"params[{j}]",), p) for j, p in
                 enumerate(flat)]
    for label, kind, (name,), p in named:
        yield label, kind, name, p


def check_gradients(model: Any, loss: Any, X: Any, y: Any, *, h: float | None = None,
                    threshold: float | None = None, atol: float | None = None,
                    params: Sequence[str] | None = None,
                    max_entries_per_param: int | None = None, check_input: bool = True,
                    check_loss: bool = True, skip_kinks: bool = True, seed: int = 0,
                    float64: bool = True) -> GradCheckReport:
    """Compare backprop's gradients of a :mod:`mathprog.nn` model with central differences.

    Two loss evaluations per checked entry: use a handful of samples. The model is not changed.

    Parameters
    ----------
    model, loss : a model (forward, backward, params, grads) and a loss (forward, backward)
    X, y : a small batch
    h, threshold : float, optional; step and largest passing relative error (default per dtype).
    atol : float, optional; differences below it pass (default ``10 eps max(1, |L|) / h``).
    params : labels to check only, e.g. ``["0.W", "input.X", "loss.input"]``
    max_entries_per_param : int, optional; check this many random entries (``seed``) per array.
    check_input, check_loss : bool; also check ``dL/dX`` and the loss's own gradient.
    skip_kinks : bool; leave out entries that switched a ReLU (still counted in ``n_kinks``).
    float64 : bool; check a float64 copy (reliable whatever the model's dtype).

    Returns
    -------
    GradCheckReport
    """
    check.has(model, "model", "forward", "backward", "params", "grads")
    check.has(loss, "loss", "forward", "backward")
    h, threshold = check.optional(check.positive, h, "h"), check.optional(
        check.positive, threshold, "threshold")
    atol = check.optional(check.number, atol, "atol", lo=0.0)
    max_entries = check.optional(check.integer, max_entries_per_param, "max_entries_per_param",
                                 minimum=1)
    if not model.params:
        raise ValueError("model has no parameters to check")
    own = check.float_dtype(model.params[0].dtype, "model's parameters")
    if float64 and own != np.float64:
        model = check.has(model, "model", "astype").astype(np.float64)
    dt = check.float_dtype(model.params[0].dtype, "model's parameters")
    Xc = check.array(X, "X", dtype=dt).copy()  # a copy: the input check perturbs it
    y = np.asarray(y)
    if y.shape[:1] != Xc.shape[:1]:
        raise ValueError(f"y must have one entry per row of X ({len(Xc)}), got shape {y.shape}")
    pred = model.forward(Xc)
    value = float(loss.forward(pred, y))
    if not math.isfinite(value):
        raise ValueError(f"X, y: the loss is not finite at this batch ({value!r})")
    grad_pred = np.array(loss.backward())
    grad_X = model.backward(grad_pred.copy())
    pred = np.array(pred)
    targets = [("input", "data", "X", Xc, np.array(grad_X))] * bool(check_input)
    targets += [(*t, g.copy()) for t, g in zip(_targets(model), model.grads, strict=True)]
    targets += [("loss", type(loss).__name__, "input", pred, grad_pred)] * bool(check_loss)
    if params is not None:
        params = [params] if isinstance(params, str) else list(params)
        labels = [f"{t[0]}.{t[2]}" for t in targets]
        if set(params) - set(labels):
            raise ValueError(f"params: unknown labels {sorted(set(params) - set(labels))}; "
                             f"available: {labels}")
        targets = [t for t, lab in zip(targets, labels, strict=True) if lab in params]
    relus = [m for _, m in named_layers(model) if isinstance(m, ReLU)]
    rng = np.random.default_rng(seed)
    checks = []
    for layer, kind, name, array, analytic in targets:
        if analytic.shape != array.shape:
            raise ValueError(f"the gradient of {layer}.{name} has shape {analytic.shape}, "
                             f"expected {array.shape}")
        step = h if h is not None else DEFAULT_STEPS[array.dtype.name]
        noise = atol if atol is not None else _noise(array.dtype, value, step)
        idx = (np.arange(array.size) if max_entries is None or array.size <= max_entries
               else np.sort(rng.choice(array.size, size=max_entries, replace=False)))
        if layer == "loss":
            numeric, kinked = _numeric(lambda a=array: float(loss.forward(a, y)), array, idx,
                                       step, [])
        else:
            numeric, kinked = _numeric(lambda: float(loss.forward(model.forward(Xc), y)),
                                       array, idx, step, relus)
        limit = threshold if threshold is not None else DEFAULT_THRESHOLDS[array.dtype.name]
        checks.append(_compare((layer, kind, name), array, analytic, numeric, idx,
                               kinked, skip_kinks, limit, noise))
    loss.forward(model.forward(Xc), y)  # leave model and loss in the unperturbed state
    steps = f"{dt.name}: h = {_describe(h if h is not None else DEFAULT_STEPS[dt.name])}"
    copy = ", on a float64 copy of the model" if dt != own else ""
    return GradCheckReport(checks, note=f"gradient check on {len(Xc)} samples ({steps}{copy})",
                           layers=[(lab, type(m).__name__) for lab, m in named_layers(model)],
                           loss_checked=check_loss, kinks_skipped=skip_kinks)


def _noise(dtype: np.dtype, value: float, step: float | None) -> float:
    h = derivatives.OPTIMAL_STEPS["central"] if step is None else step
    return 10.0 * float(np.finfo(dtype).eps) * max(1.0, abs(value)) / h


def _describe(h: float | None) -> str:
    return f"{derivatives.OPTIMAL_STEPS['central']:.1e} x max(1, |x|)" if h is None else f"{h:.0e}"
