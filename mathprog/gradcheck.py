"""Gradient checking (notebook 08): backpropagation against central differences, entry by
entry, compared by the relative error ``|a - b| / (|a| + |b|)``, always in float64 (a float32
model is checked on a float64 copy: float32 checks are nearly blind). A wrong backward spoils
every gradient upstream of it, so the bug is at the most downstream failing check; ``scale``
(``analytic ~ scale * numeric``) says which kind it is. Entries whose ``f(x ± h)`` switched a
ReLU's mask crossed a kink and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog import derivatives
from mathprog.nn import ReLU, named_layers

__all__ = ["GradCheck", "GradCheckReport", "check_function", "check_gradients", "relative_error"]


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

    ``passed``: some entry was compared and every one has ``|a - n| <= max(threshold *
    (|a| + |n|), noise)`` (see :func:`check_gradients`); ``skipped``: every entry crossed a kink.
    """

    layer: str
    kind: str
    name: str
    shape: tuple[int, ...]
    n_checked: int
    n_kinks: int
    max_rel_error: float
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
        after = self.checks[self.checks.index(s) + 1]  # the loss's check is last
        labels = [label for label, _ in self.layers]
        start = labels.index(s.layer) + 1 if s.layer != "input" else 0
        stop = labels.index(after.layer) + 1 if after.layer != "loss" else len(labels)
        between = [f"{lab} ({kind})" for lab, kind in self.layers[start:stop]]
        if any(c.passed and c.layer == s.layer for c in self.checks):
            between = []  # a sibling parameter passes: the gradient arriving here is right
        places = [f"the {s.name} gradient of layer {s.layer} ({s.kind}) itself"] * (
            s.layer != "input")
        if between:
            places.append(f"the input gradient (dL/dx) of layer {', '.join(between)}")
        return (f"the error is made between {s.label} and {after.label}, which passes: in "
                + ", or in ".join(places) + hint)

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
        """One line: PASSED, INCONCLUSIVE (some check skipped) or FAILED with the suspect."""
        s, n_skip = self.suspect, sum(c.skipped for c in self.checks)
        skip = f" ({n_skip} skipped: every entry at a kink)" if n_skip else ""
        if s is not None:
            return (f"FAILED: {len(self.failures)} of {len(self.checks)} checks{skip}; most "
                    f"downstream failure: {s.label} ({s.kind})")
        word = "PASSED" if self.passed else "INCONCLUSIVE"
        return (f"{word}: {len(self.checks) - n_skip} checks{skip}, every relative error at most "
                f"{self.checks[0].threshold:g}")

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


def _compare(where: tuple[str, str, str], analytic: np.ndarray, numeric: np.ndarray,
             kinked: np.ndarray, skip: bool, threshold: float, noise: float) -> GradCheck:
    keep = ~kinked.reshape(-1) if skip else np.ones(kinked.size, dtype=bool)
    a, n, at = analytic.reshape(-1)[keep], numeric.reshape(-1)[keep], np.flatnonzero(keep)
    head = (*where, analytic.shape, int(a.size), int(kinked.sum()))
    if a.size == 0:
        nan = math.nan
        return GradCheck(*head, nan, (), nan, nan, nan, nan, threshold, False)
    err = relative_error(a, n, floor=noise / threshold)
    k = int(np.argmax(err))
    nn_, na = float(n @ n), float(np.linalg.norm(a))
    scale = float(a @ n) / nn_ if nn_ > 0 else (1.0 if not a.any() else math.inf)
    resid = float(np.linalg.norm(a - scale * n)) / na if na > 0 and math.isfinite(scale) else 0.0
    worst = tuple(int(i) for i in np.unravel_index(int(at[k]), analytic.shape))
    return GradCheck(*head, float(err[k]), worst, float(a[k]), float(n[k]), scale, resid,
                     threshold, bool(err[k] <= threshold))


def _numeric(evaluate: Callable[[], float], array: np.ndarray, h: float | None,
             relus: list[ReLU]) -> tuple[np.ndarray, np.ndarray]:
    """Central differences in every entry of ``array``; per entry, whether a ReLU switched."""
    z0 = array.copy()
    kinked = np.zeros(array.shape, dtype=bool)
    evaluate()
    base = [r.mask.copy() for r in relus]  # a forward pass has set every mask

    def f(z: np.ndarray) -> float:  # z is array itself, one entry perturbed
        value = evaluate()
        if any(not np.array_equal(r.mask, b) for r, b in zip(relus, base, strict=True)):
            kinked[z != z0] = True
        return value

    return derivatives.gradient(f, array, h, inplace=True), kinked


def _parameters(model: Any) -> Iterator[tuple[str, str, str, np.ndarray, np.ndarray]]:
    """(layer label, class, parameter name, array, its gradient) in the order of ``params``."""
    for label, layer in named_layers(model):
        names = getattr(layer, "_param_names", ())
        for j, (p, g) in enumerate(zip(layer.params, layer.grads, strict=True)):
            yield (label, type(layer).__name__, names[j] if j < len(names) else f"params[{j}]",
                   p, g.copy())


def check_gradients(model: Any, loss: Any, X: Any, y: Any, *, h: float | None = None,
                    threshold: float = 1e-6, skip_kinks: bool = True) -> GradCheckReport:
    """Compare backprop's gradients of a :mod:`mathprog.nn` model with central differences.

    Every entry of ``X``, of each parameter and of the loss's input (the prediction), two loss
    evaluations each: use a handful of samples. In float64, on a copy of the model if it is not
    float64 already; the model is not changed.

    Parameters
    ----------
    model, loss : a model (forward, backward, params, grads) and a loss (forward, backward)
    X, y : a small batch
    h : float, optional; the step (default that of :func:`mathprog.derivatives.gradient`).
    threshold : float; the largest passing relative error (correct float64 gives ~1e-7, a bug
        1e-2 .. 1). Differences below the rounding noise ``10 eps max(1, |L|) / h`` pass too.
    skip_kinks : bool; leave out entries that switched a ReLU (still counted in ``n_kinks``).
    """
    check.has(model, "model", "forward", "backward", "params", "grads")
    check.has(loss, "loss", "forward", "backward")
    h = check.optional(check.positive, h, "h")
    threshold = check.positive(threshold, "threshold")
    if not model.params:
        raise ValueError("model has no parameters to check")
    dtypes = {check.float_dtype(p.dtype, "model's parameters") for p in model.params}
    copied = dtypes != {np.dtype(np.float64)}
    if copied:
        model = check.has(model, "model", "astype").astype(np.float64)
    Xc = check.array(X, "X").copy()  # a copy: the input check perturbs it
    y = np.asarray(y)
    if y.shape[:1] != Xc.shape[:1]:
        raise ValueError(f"y must have one entry per row of X ({len(Xc)}), got shape {y.shape}")
    pred = np.array(model.forward(Xc), dtype=np.float64)  # a copy: the loss check perturbs it
    value = float(loss.forward(pred, y))
    if not math.isfinite(value):
        raise ValueError(f"X, y: the loss is not finite at this batch ({value!r})")
    grad_pred = np.array(loss.backward())
    grad_X = np.array(model.backward(grad_pred.copy()))
    targets = [("input", "data", "X", Xc, grad_X), *_parameters(model),
               ("loss", type(loss).__name__, "input", pred, grad_pred)]

    def whole() -> float:
        return float(loss.forward(model.forward(Xc), y))

    def top() -> float:  # the loss alone, at the (perturbed) prediction
        return float(loss.forward(pred, y))

    relus = [m for _, m in named_layers(model) if isinstance(m, ReLU)]
    step = h if h is not None else derivatives.OPTIMAL_STEPS["central"]
    noise = 10.0 * derivatives.EPS * max(1.0, abs(value)) / step
    checks = []
    for layer, kind, name, array, analytic in targets:
        if analytic.shape != array.shape:
            raise ValueError(f"the gradient of {layer}.{name} has shape {analytic.shape}, "
                             f"expected {array.shape}")
        numeric, kinked = _numeric(top if layer == "loss" else whole, array, h, relus)
        checks.append(_compare((layer, kind, name), analytic, numeric, kinked, skip_kinks,
                               threshold, noise))
    whole()  # leave model and loss in the unperturbed state
    steps = f"{h:.0e}" if h is not None else f"{step:.1e} x max(1, |x|)"
    copy = ", on a float64 copy of the model" if copied else ""
    note = f"gradient check on {len(Xc)} samples (float64: h = {steps}{copy})"
    layers = [(lab, type(m).__name__) for lab, m in named_layers(model)]
    return GradCheckReport(checks, note, layers, skip_kinks)


def check_function(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], Any], x: Any,
                   *, h: float | None = None, threshold: float = 1e-6) -> GradCheck:
    """Compare a claimed gradient ``grad(x)`` of a scalar ``f`` with central differences at
    ``x`` (float64); one :class:`GradCheck` labelled ``"f.x"``."""
    check.function(f, "f")
    check.function(grad, "grad")
    x = check.array(x, "x")
    h, threshold = check.optional(check.positive, h, "h"), check.positive(threshold, "threshold")
    analytic = check.array(grad(x.copy()), "grad(x)", finite=False)
    if analytic.shape != x.shape:
        raise ValueError(f"grad(x) must have the shape of x, {x.shape}, got {analytic.shape}")
    value = float(f(x.copy()))
    step = h if h is not None else derivatives.OPTIMAL_STEPS["central"]
    noise = 10.0 * derivatives.EPS * max(1.0, abs(value)) / step
    numeric = derivatives.gradient(f, x.copy(), h)
    return _compare(("f", getattr(f, "__name__", type(f).__name__), "x"), analytic,
                    np.asarray(numeric, dtype=np.float64), np.zeros(x.shape, dtype=bool), True,
                    threshold, noise)
