"""Gradient checking: backpropagation against central differences, entry by entry.

Backprop is fast and easy to get subtly wrong: a missing transpose, a flipped sign, a
forgotten ``1/N`` all still produce numbers of the right shape, and training often still
"works", just worse. The check is to differentiate the same loss a second, independent way,
by central differences (:func:`mathprog.derivatives.gradient`, not written again here), and
compare the two entry by entry with a *relative* error.

- :func:`relative_error` -- ``|a - b| / max(|a| + |b|, floor)``, elementwise.
- :func:`check_gradients` -- every parameter of a :mod:`mathprog.nn` model, the gradient
  with respect to the input ``X`` and the loss's own gradient with respect to its input, each
  reported with its layer, parameter name, worst entry and a pass/fail verdict.
- :func:`check_function` -- the same for a plain ``f(x)`` and its claimed ``grad(x)``.

Reading a report: an error in a layer's backward pass corrupts the gradient that flows
*upstream* from it, so every check before it (in forward order) fails too, while the checks
after it pass. The bug is at (or just after) the most downstream failing check, which the
report names. The ``scale`` column is the least-squares factor ``s`` in
``analytic ~ s * numeric``: ``1`` when right, ``-1`` for a flipped sign, ``N`` for a missing
``1/N``, ``0`` for a gradient that was never written.

Kinks: a ReLU is not differentiable at 0. If some pre-activation lies within ``h`` of 0, the
two evaluations ``f(x + h)`` and ``f(x - h)`` sit on different linear pieces and the central
difference averages two slopes, a false alarm that says nothing about the backward code. The
check watches every ReLU's on/off pattern during the numerical evaluations and, by default,
leaves out the entries whose evaluation crossed a kink (they are counted in the ``kinks``
column, so nothing is hidden).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from mathprog import derivatives

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_THRESHOLDS",
    "GradCheck",
    "GradCheckReport",
    "check_function",
    "check_gradients",
    "relative_error",
]

#: Largest relative error that passes, by dtype. float64: with the default step a correct
#: gradient's worst entry is around 1e-7 or below and a typical one 1e-10 (notebook 08); a
#: real bug gives 1e-2 .. 1. float32: rounding the loss to 7 digits leaves ~ 1e-7 / h of
#: noise in each difference, so the worst entries of a correct gradient reach 1e-3.
DEFAULT_THRESHOLDS: dict[str, float] = {"float64": 1e-6, "float32": 1e-2}

#: Step per dtype. ``None`` means the float64-optimal default of
#: :func:`mathprog.derivatives.gradient` (``cbrt(eps) * max(1, |x|)`` ~ 6e-6); float32 needs
#: a far larger step because its machine epsilon is 1.2e-7 (``cbrt`` of it is 4.9e-3).
DEFAULT_STEPS: dict[str, float | None] = {"float64": None, "float32": 1e-2}

# Layer classes with a kink at 0 (matched by class name along the MRO, so subclasses count).
_KINKED = ("ReLU", "LeakyReLU")


# --------------------------------------------------------------------------- relative error


def relative_error(a: Any, b: Any, *, floor: float | None = None) -> Any:
    """Elementwise relative error ``|a - b| / max(|a| + |b|, floor)``.

    Symmetric in ``a`` and ``b`` and scale-free: it is ``0`` when they agree, ``1`` when
    one is ``-1`` times the other or one of them is zero, and ``(N - 1) / (N + 1)`` when
    one is ``N`` times the other. An absolute error cannot be read without knowing the size
    of the gradient (1e-6 is perfect for a gradient of 1e3 and useless for one of 1e-7).

    Parameters
    ----------
    a, b : array_like
        Real numbers or arrays of them (broadcast together).
    floor : float, optional
        Smallest denominator. Default: the smallest positive float64 (``np.finfo.tiny``), so
        two exact zeros give ``0`` and not ``nan``. A larger floor (e.g. ``1e-12``) stops
        entries whose true gradient is zero from reporting rounding noise as a 100 % error.

    Returns
    -------
    float or ndarray
        A float for scalar inputs, else an array of the broadcast shape.
    """
    try:
        a_arr = np.asarray(a, dtype=np.float64)
        b_arr = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("a and b must be real numbers or arrays of them") from None
    try:
        a_arr, b_arr = np.broadcast_arrays(a_arr, b_arr)
    except ValueError:
        raise ValueError(
            f"a and b must have broadcastable shapes, got {a_arr.shape} and {b_arr.shape}"
        ) from None
    if floor is None:
        floor = float(np.finfo(np.float64).tiny)
    else:
        floor = _positive(floor, "floor")
    err = np.abs(a_arr - b_arr) / np.maximum(np.abs(a_arr) + np.abs(b_arr), floor)
    return float(err) if err.ndim == 0 else err


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class GradCheck:
    """One compared gradient: a parameter, the input ``X``, or the loss's input.

    Attributes
    ----------
    layer : str
        Where it lives: the layer's index in the model (``"0"``, ``"2"``, ``"1.block.0"``
        for nested models), ``"input"`` for ``dL/dX`` or ``"loss"``.
    kind : str
        The layer's class name (``"Linear"``), ``"data"`` or the loss's class name.
    name : str
        The parameter's attribute name (``"W"``, ``"b"``), ``"X"`` or ``"input"``.
    shape : tuple of int
    dtype : str
    n_checked : int
        Entries compared (kink-crossing entries left out are not counted here). When every
        entry crossed a kink nothing is compared: ``max_rel_error`` is nan, ``passed`` is
        True and the table says "skipped".
    n_kinks : int
        Entries whose numerical evaluation crossed a ReLU kink.
    max_rel_error : float
        Largest relative error over the compared entries (``nan`` if none was compared).
    median_rel_error : float
        Their median: the typical entry, where ``max_rel_error`` is the worst one.
    worst_index : tuple of int
        Index of that entry in the array.
    analytic, numeric : float
        The two gradients at ``worst_index``.
    scale : float
        Least-squares ``s`` with ``analytic ~ s * numeric`` over the compared entries.
    scale_residual : float
        ``||analytic - s * numeric|| / ||analytic||``: near 0 when the analytic gradient is
        a multiple of the numerical one (a wrong sign or factor), large for a wrong formula.
    threshold : float
    atol : float
        Differences below ``atol`` are rounding noise and pass: the relative error's
        denominator is at least ``atol / threshold``.
    passed : bool
        ``max_rel_error <= threshold``, i.e. every compared entry has
        ``|analytic - numeric| <= max(threshold * (|analytic| + |numeric|), atol)``.
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
    atol: float
    passed: bool

    @property
    def label(self) -> str:
        """``"<layer>.<name>"``, e.g. ``"2.W"``, ``"input.X"``, ``"loss.input"``."""
        return f"{self.layer}.{self.name}"

    def row(self) -> list[str]:
        return [
            self.layer,
            self.kind,
            self.name,
            "x".join(str(s) for s in self.shape) or "()",
            str(self.n_checked),
            str(self.n_kinks),
            f"{self.max_rel_error:.1e}",
            str(self.worst_index),
            f"{self.analytic:+.4e}",
            f"{self.numeric:+.4e}",
            f"{self.scale:+.3f}",
            "skipped" if self.n_checked == 0 else ("ok" if self.passed else "FAIL"),
        ]


_HEADER = [
    "layer", "type", "param", "shape", "checked", "kinks", "max rel err", "worst at",
    "analytic", "numeric", "scale", "result",
]


class GradCheckReport:
    """The result of :func:`check_gradients` or :func:`check_function`.

    ``checks`` are in forward order (input, layers, loss). ``passed`` is true when every
    check passed; ``failures`` lists the ones that did not; ``suspect`` is the most
    downstream failure, where a bug in backward code shows first. Printing it (or leaving it
    last in a notebook cell) shows a table.
    """

    def __init__(
        self,
        checks: Sequence[GradCheck],
        *,
        note: str = "",
        layers: Sequence[tuple[str, str]] = (),
        loss_checked: bool = True,
        kinks_skipped: bool = True,
    ) -> None:
        self.checks = list(checks)
        self.note = note
        self.layers = list(layers)  # (label, class name) of the model's layers, in order
        self.loss_checked = loss_checked
        self.kinks_skipped = kinks_skipped

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GradCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def suspect(self) -> GradCheck | None:
        """The most downstream failing check (``None`` if all passed)."""
        failures = self.failures
        return failures[-1] if failures else None

    @property
    def diagnosis(self) -> str:
        """Where the bug must be, in words, reasoned from which checks fail.

        Backward passes run from the loss to the input, and each layer's input gradient is
        the next layer's output gradient; a wrong number therefore spoils every check
        upstream of where it is made. So the bug sits between the most downstream failing
        check and the check just after it (which passes): in that failing gradient's own
        formula, or in the input gradient (``dL/dx``) of the layers in between.
        """
        s = self.suspect
        if s is None:
            return "all checks passed"
        hint = _scale_hint(s)
        kinked = [c for c in self.failures if c.n_kinks]
        if kinked and not self.kinks_skipped:  # then the kinks explain more than the scale
            n = sum(c.n_kinks for c in kinked)
            hint = (
                f" ({n} entries of the failing checks crossed a ReLU kink, so this may be a "
                "false alarm: check again with skip_kinks=True)"
            )
        if s.layer == "loss":
            return (
                f"the loss's own gradient ({s.kind}.backward, dL/d{s.name}) is wrong{hint}; "
                "every check upstream of it inherits the error"
            )
        if s.layer == "f":
            return f"grad(x) disagrees with the numerical gradient of f{hint}"
        labels = [label for label, _ in self.layers]
        i = self.checks.index(s)
        after = self.checks[i + 1] if i + 1 < len(self.checks) else None
        start = labels.index(s.layer) + 1 if s.layer in labels else 0
        if after is None or after.layer == "loss":
            stop = len(labels)
        elif after.layer == s.layer:
            stop = start
        else:
            stop = labels.index(after.layer) + 1 if after.layer in labels else start
        between = [f"{label} ({kind})" for label, kind in self.layers[start:stop]]
        if any(c.passed and c.layer == s.layer for c in self.checks):
            # a sibling parameter of the same layer passes, so the gradient arriving at this
            # layer is right: the error is in this parameter's own formula
            between = []
        places = []
        if s.layer != "input":
            places.append(f"the {s.name} gradient of layer {s.layer} ({s.kind}) itself")
        if between:
            places.append(f"the input gradient (dL/dx) of layer {', '.join(between)}")
        if after is None and not self.loss_checked:
            places.append("the loss's backward (not checked)")
        nxt = f" and {after.label}, which passes" if after is not None else ""
        return (
            f"the error is made between {s.label}{nxt}: in "
            + ", or in ".join(places)
            + hint
        )

    def __getitem__(self, label: str) -> GradCheck:
        """The check with ``label`` ``"<layer>.<name>"``, e.g. ``report["2.W"]``."""
        for c in self.checks:
            if c.label == label:
                return c
        raise KeyError(f"no check {label!r}; labels are {[c.label for c in self.checks]}")

    def __iter__(self) -> Iterator[GradCheck]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def summary(self) -> str:
        """One line: PASSED, or FAILED with the count and the most downstream failure."""
        if self.passed:
            errors = [c.max_rel_error for c in self.checks if c.n_checked]
            worst = max(errors, default=0.0)
            skipped = len(self.checks) - len(errors)
            extra = f" ({skipped} skipped: every entry at a kink)" if skipped else ""
            return (
                f"PASSED: {len(errors)} checks{extra}, largest relative error {worst:.1e}"
            )
        s = self.suspect
        assert s is not None
        return (
            f"FAILED: {len(self.failures)} of {len(self.checks)} checks; most downstream "
            f"failure: {s.layer} ({s.kind}) {s.name}, relative error {s.max_rel_error:.1e}, "
            f"scale {s.scale:+.3f}"
        )

    def table(self) -> str:
        rows = [_HEADER] + [c.row() for c in self.checks]
        widths = [max(len(r[j]) for r in rows) for j in range(len(_HEADER))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        if self.note:
            lines.insert(0, self.note)
        lines.append(self.summary())
        if not self.passed:
            lines.append("diagnosis: " + self.diagnosis)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    __repr__ = __str__


def _scale_hint(c: GradCheck) -> str:
    """What the best-fit factor between analytic and numeric says about the bug."""
    if not (math.isfinite(c.scale) and c.scale_residual < 0.05):
        return " (analytic is not a multiple of numeric: a wrong formula, e.g. a transpose)"
    s = c.scale
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


# --------------------------------------------------------------------------- validation


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _non_negative(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number >= 0, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def _dtype_name(arr: np.ndarray, what: str) -> str:
    name = np.dtype(arr.dtype).name
    if name not in DEFAULT_THRESHOLDS:
        raise TypeError(f"{what} must be float32 or float64, got dtype {name}")
    return name


# --------------------------------------------------------------------------- model walking


@dataclass
class _Target:
    layer: str
    kind: str
    name: str
    array: np.ndarray  # the array the numerical derivative perturbs
    analytic: np.ndarray  # backprop's gradient, copied


def _children(module: Any) -> list[tuple[str, Any]] | None:
    layers = getattr(module, "layers", None)
    if isinstance(layers, (list, tuple)):
        return [(str(i), layer) for i, layer in enumerate(layers)]
    block = getattr(module, "block", None)
    if block is not None:
        return [("block", block)]
    return None


def _leaves(module: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    children = _children(module)
    if children is None:
        yield prefix, module
        return
    for key, child in children:
        yield from _leaves(child, f"{prefix}.{key}" if prefix else key)


def _param_name(layer: Any, p: np.ndarray, j: int) -> str:
    for attr, value in vars(layer).items():
        if value is p:
            return attr
    return f"params[{j}]"


def _named_params(model: Any) -> list[tuple[str, str, str, np.ndarray]]:
    """(layer label, layer class, param name, array) in the order of ``model.params``."""
    named = []
    for label, layer in _leaves(model):
        for j, p in enumerate(list(getattr(layer, "params", []) or [])):
            named.append((label or "model", type(layer).__name__, _param_name(layer, p, j), p))
    flat = list(model.params)
    if len(named) != len(flat) or any(n[3] is not p for n, p in zip(named, flat, strict=True)):
        # A model we cannot walk: fall back to positions in model.params.
        named = [("model", type(model).__name__, f"params[{j}]", p) for j, p in enumerate(flat)]
    return named


def _kinked_layers(model: Any) -> list[Any]:
    return [
        layer for _, layer in _leaves(model)
        if any(c.__name__ in _KINKED for c in type(layer).__mro__)
    ]


class _KinkWatch:
    """Records each ReLU's on/off pattern on every forward pass (by wrapping ``forward``)."""

    def __init__(self, layers: list[Any]) -> None:
        self.layers = layers
        self.patterns: list[np.ndarray | None] = [None] * len(layers)
        self._saved: list[tuple[Any, Any]] = []

    def __enter__(self) -> _KinkWatch:
        for k, layer in enumerate(self.layers):
            had = "forward" in vars(layer)
            self._saved.append((layer, vars(layer)["forward"] if had else None))
            original = layer.forward

            def forward(x: Any, _k: int = k, _orig: Callable = original) -> Any:
                self.patterns[_k] = np.asarray(x) > 0
                return _orig(x)

            layer.forward = forward
        return self

    def __exit__(self, *exc: object) -> None:
        for layer, saved in self._saved:
            if saved is None:
                del layer.forward
            else:
                layer.forward = saved
        self._saved.clear()

    def snapshot(self) -> list[np.ndarray | None]:
        return [None if p is None else p.copy() for p in self.patterns]

    def differs(self, base: list[np.ndarray | None]) -> bool:
        for p, b in zip(self.patterns, base, strict=True):
            if p is None or b is None:
                continue
            if p.shape != b.shape or bool(np.any(p != b)):
                return True
        return False


# --------------------------------------------------------------------------- comparison


def _compare(
    target: _Target,
    numeric: np.ndarray,
    idx: np.ndarray,
    kinked: np.ndarray,
    threshold: float,
    atol: float,
    *,
    skip: bool = True,
) -> GradCheck:
    analytic = target.analytic.reshape(-1)[idx].astype(np.float64)
    keep = ~kinked if skip else np.ones(idx.size, dtype=bool)
    a, n, where = analytic[keep], numeric[keep], idx[keep]
    dtype = np.dtype(target.array.dtype).name
    shape = tuple(int(s) for s in target.array.shape)
    if a.size == 0:
        return GradCheck(
            target.layer, target.kind, target.name, shape, dtype, 0, int(kinked.sum()),
            math.nan, math.nan, (), math.nan, math.nan, math.nan, math.nan, threshold, atol, True,
        )
    err = relative_error(a, n, floor=atol / threshold if atol > 0 else None)
    worst = int(np.argmax(err))
    nn_ = float(np.dot(n, n))
    scale = float(np.dot(a, n) / nn_) if nn_ > 0 else (1.0 if not np.any(a) else math.inf)
    max_err = float(err[worst])
    norm_a = float(np.linalg.norm(a))
    residual = (
        float(np.linalg.norm(a - scale * n)) / norm_a if norm_a > 0 and math.isfinite(scale)
        else (0.0 if norm_a == 0 else math.inf)
    )
    return GradCheck(
        layer=target.layer,
        kind=target.kind,
        name=target.name,
        shape=shape,
        dtype=dtype,
        n_checked=int(a.size),
        n_kinks=int(kinked.sum()),
        max_rel_error=max_err,
        median_rel_error=float(np.median(err)),
        worst_index=tuple(int(i) for i in np.unravel_index(int(where[worst]), shape)),
        analytic=float(a[worst]),
        numeric=float(n[worst]),
        scale=scale,
        scale_residual=residual,
        threshold=threshold,
        atol=atol,
        passed=bool(max_err <= threshold),
    )


def _numeric(
    evaluate: Callable[[], float],
    array: np.ndarray,
    idx: np.ndarray,
    h: float | None,
    watch: _KinkWatch | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of ``evaluate()`` with respect to ``array.flat[idx]``.

    ``derivatives.gradient`` perturbs a float64 vector ``z`` of the chosen entries one at a
    time; ``f`` writes whatever changed into ``array`` (in its own dtype, so float32 rounding
    is part of what is measured) and evaluates the loss. Returns the gradient and, per entry,
    whether either evaluation crossed a kink.
    """
    flat = array.reshape(-1)  # a view for the contiguous arrays layers hold
    if not np.shares_memory(flat, array):
        raise TypeError("parameters must be contiguous arrays (a view is perturbed in place)")
    original = flat[idx].copy()
    z0 = original.astype(np.float64)
    current = z0.copy()
    kinked = np.zeros(idx.size, dtype=bool)
    base = None
    if watch is not None:
        evaluate()
        base = watch.snapshot()

    def f(z: np.ndarray) -> float:
        changed = np.flatnonzero(z != current)
        if changed.size:
            flat[idx[changed]] = z[changed]
            current[changed] = z[changed]
        value = evaluate()
        if watch is not None and base is not None and watch.differs(base):
            kinked[z != z0] = True
        return value

    try:
        numeric = derivatives.gradient(f, z0.copy(), h)
    finally:
        flat[idx] = original
    return numeric, kinked


def _entries(size: int, max_entries: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_entries, replace=False))


def check_gradients(
    model: Any,
    loss: Any,
    X: Any,
    y: Any,
    *,
    h: float | None = None,
    threshold: float | None = None,
    atol: float | None = None,
    params: Sequence[str] | None = None,
    max_entries_per_param: int | None = None,
    check_input: bool = True,
    check_loss: bool = True,
    skip_kinks: bool = True,
    seed: int = 0,
) -> GradCheckReport:
    """Compare backprop's gradients with central differences for a :mod:`mathprog.nn` model.

    Backprop runs once (``model.forward``, ``loss.forward``, ``loss.backward``,
    ``model.backward``); then, for each entry checked, the loss is evaluated twice with that
    entry moved by ``+h`` and ``-h`` (:func:`mathprog.derivatives.gradient`). Use a few
    samples: the cost is two forward passes per entry. Parameters are restored exactly.

    Parameters
    ----------
    model : Sequential or layer
        Anything with ``forward``, ``backward``, ``params`` and ``grads`` (same order).
    loss : SoftmaxCrossEntropy, MSELoss or alike
        ``forward(pred, target) -> float`` and ``backward() -> dL/dpred``.
    X, y : array_like
        A batch (a handful of samples is enough, and fastest). ``X`` is converted to the
        model's dtype, as :func:`mathprog.nn.train` does.
    h : float, optional
        Absolute step for every entry. Default per dtype (:data:`DEFAULT_STEPS`): the
        float64-optimal relative step of :mod:`mathprog.derivatives`, 1e-2 for float32.
    threshold : float, optional
        Largest relative error that passes. Default per dtype (:data:`DEFAULT_THRESHOLDS`):
        1e-6 for float64, 1e-2 for float32.
    atol : float, optional
        Absolute differences below ``atol`` pass (they are rounding noise: the relative
        error of two tiny numbers means nothing). Default: ``10 * eps * max(1, |L|) / h``,
        ten times the rounding error of a central difference of the loss ``L`` in the
        model's dtype (about 1e-9 in float64 and 3e-4 in float32 for a loss near 2.3).
        Only these checks, by label (``"0.W"``, ``"2.b"``, ``"input.X"``, ``"loss.input"``).
    max_entries_per_param : int, optional
        Check at most this many entries of each array, drawn at random (``seed``).
    check_input : bool, default True
        Also check ``dL/dX`` (what ``model.backward`` returns): a bug in the first layer's
        input gradient shows nowhere else.
    check_loss : bool, default True
        Also check the loss's gradient with respect to its input (``loss.backward()``).
    skip_kinks : bool, default True
        Leave out entries whose numerical evaluation switched any ReLU on or off (a false
        alarm, see the module docstring); they are counted in ``n_kinks`` either way.
    seed : int, default 0

    Returns
    -------
    GradCheckReport
    """
    for attr in ("forward", "backward", "params", "grads"):
        if not hasattr(model, attr):
            raise TypeError(f"model must have forward, backward, params and grads; no {attr!r}")
    for attr in ("forward", "backward"):
        if not hasattr(loss, attr):
            raise TypeError(f"loss must have forward(pred, target) and backward(); no {attr!r}")
    model_params, model_grads = list(model.params), list(model.grads)
    if not model_params:
        raise ValueError("model has no parameters to check")
    if len(model_params) != len(model_grads):
        raise ValueError(
            f"model.params and model.grads differ in length ({len(model_params)} and "
            f"{len(model_grads)})"
        )
    for j, (p, g) in enumerate(zip(model_params, model_grads, strict=True)):
        if not isinstance(p, np.ndarray):
            raise TypeError(f"model.params[{j}] must be a numpy array, got {type(p).__name__}")
        _dtype_name(p, f"model.params[{j}]")
        if not isinstance(g, np.ndarray) or g.shape != p.shape:
            raise ValueError(
                f"model.grads[{j}] must be an array of shape {p.shape} like model.params[{j}]"
            )
    try:
        Xc = np.array(X)  # a copy: the input check perturbs it
    except (TypeError, ValueError):
        raise TypeError("X must be an array of numbers") from None
    if Xc.dtype.kind not in "fiu" or Xc.ndim < 1 or Xc.shape[0] == 0:
        raise ValueError(f"X must be a non-empty numeric array, got dtype {Xc.dtype} "
                         f"and shape {Xc.shape}")
    Xc = Xc.astype(model_params[0].dtype)
    if not np.all(np.isfinite(Xc)):
        raise ValueError("X must be finite")
    y_arr = np.asarray(y)
    if y_arr.ndim < 1 or y_arr.shape[0] != Xc.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples, got {Xc.shape[0]} and "
            f"{y_arr.shape[0] if y_arr.ndim else 'a scalar y'}"
        )
    if h is not None:
        h = _positive(h, "h")
    if threshold is not None:
        threshold = _positive(threshold, "threshold")
    if atol is not None:
        atol = _non_negative(atol, "atol")
    if max_entries_per_param is not None:
        if isinstance(max_entries_per_param, bool) or not isinstance(
            max_entries_per_param, (int, np.integer)
        ):
            raise TypeError("max_entries_per_param must be a positive int or None")
        if max_entries_per_param < 1:
            raise ValueError(
                f"max_entries_per_param must be >= 1, got {max_entries_per_param}"
            )
    rng = np.random.default_rng(seed)

    # 1. Backprop, once.
    pred = model.forward(Xc)
    value = loss.forward(pred, y_arr)
    if not math.isfinite(float(value)):
        raise ValueError(f"the loss is not finite at this batch ({float(value)!r})")
    grad_pred = np.array(loss.backward())
    grad_X = model.backward(grad_pred.copy())
    pred = np.array(pred)

    targets: list[_Target] = []
    if check_input:
        if grad_X is None or np.shape(grad_X) != Xc.shape:
            raise ValueError(
                f"model.backward must return dL/dX of shape {Xc.shape}, got "
                f"{None if grad_X is None else np.shape(grad_X)} (or pass check_input=False)"
            )
        targets.append(_Target("input", "data", "X", Xc, np.array(grad_X)))
    for (label, kind, name, p), g in zip(_named_params(model), model_grads, strict=True):
        targets.append(_Target(label, kind, name, p, g.copy()))
    if check_loss:
        if grad_pred.shape != pred.shape:
            raise ValueError(
                f"loss.backward() returned shape {grad_pred.shape}, expected {pred.shape}"
            )
        targets.append(_Target("loss", type(loss).__name__, "input", pred.copy(), grad_pred))

    if params is not None:
        if isinstance(params, str):
            params = [params]
        labels = [f"{t.layer}.{t.name}" for t in targets]
        unknown = [p for p in params if p not in labels]
        if unknown:
            raise ValueError(f"params: unknown labels {unknown}; available: {labels}")
        targets = [t for t, lab in zip(targets, labels, strict=True) if lab in params]

    # 2. Central differences, one array at a time.
    def model_loss() -> float:
        return float(loss.forward(model.forward(Xc), y_arr))

    checks = []
    with _KinkWatch(_kinked_layers(model)) as watch:
        for t in targets:
            dtype = _dtype_name(t.array, f"{t.layer}.{t.name}")
            step = h if h is not None else DEFAULT_STEPS[dtype]
            limit = threshold if threshold is not None else DEFAULT_THRESHOLDS[dtype]
            noise = atol if atol is not None else _noise(dtype, float(value), step)
            idx = _entries(t.array.size, max_entries_per_param, rng)
            if t.layer == "loss":
                loss_input = t.array

                def evaluate(_p: np.ndarray = loss_input) -> float:
                    return float(loss.forward(_p, y_arr))

                numeric, kinked = _numeric(evaluate, t.array, idx, step, None)
            else:
                numeric, kinked = _numeric(model_loss, t.array, idx, step, watch)
            checks.append(_compare(t, numeric, idx, kinked, limit, noise, skip=skip_kinks))
    # Leave the model and the loss in the state of the unperturbed batch.
    loss.forward(model.forward(Xc), y_arr)

    dtypes = sorted({c.dtype for c in checks})
    steps = ", ".join(
        f"{d}: h = {_describe_step(h if h is not None else DEFAULT_STEPS[d])}" for d in dtypes
    )
    note = f"gradient check on {Xc.shape[0]} samples ({steps})"
    layers = [(label, type(layer).__name__) for label, layer in _leaves(model)]
    return GradCheckReport(
        checks, note=note, layers=layers, loss_checked=check_loss, kinks_skipped=skip_kinks
    )


def _noise(dtype: str, value: float, step: float | None) -> float:
    """Ten times the rounding error of a central difference: ``eps * max(1, |f|) / h``."""
    eps = float(np.finfo(dtype).eps)
    h_min = derivatives.OPTIMAL_STEPS["central"] if step is None else step
    return 10.0 * eps * max(1.0, abs(value)) / h_min


def _describe_step(h: float | None) -> str:
    if h is None:
        return f"{derivatives.OPTIMAL_STEPS['central']:.1e} x max(1, |x|)"
    return f"{h:.0e}"


def check_function(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], Any],
    x: Any,
    *,
    h: float | None = None,
    threshold: float | None = None,
    atol: float | None = None,
) -> GradCheckReport:
    """Compare a claimed gradient ``grad(x)`` of a scalar ``f`` with central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for ``x`` shaped like the given point.
    grad : callable
        ``grad(x) -> array`` of the same shape as ``x``.
    x : array_like
        The point (finite, float64).
    h : float, optional
        Step, default the float64-optimal one of :func:`mathprog.derivatives.gradient`.
    threshold : float, optional
        Default ``DEFAULT_THRESHOLDS["float64"]`` (1e-6).
    atol : float, optional
        Absolute differences below it pass; default ``10 * eps * max(1, |f(x)|) / h``.

    Returns
    -------
    GradCheckReport
        One check, labelled ``"f.x"``.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not callable(grad):
        raise TypeError(f"grad must be callable, got {type(grad).__name__}")
    try:
        point = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"x must be a real number or an array of them, got {x!r}") from None
    if not np.all(np.isfinite(point)):
        raise ValueError("x must be finite")
    if h is not None:
        h = _positive(h, "h")
    limit = DEFAULT_THRESHOLDS["float64"] if threshold is None else _positive(
        threshold, "threshold"
    )
    try:
        analytic = np.array(grad(point.copy()), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("grad(x) must return real numbers") from None
    if analytic.shape != point.shape:
        raise ValueError(
            f"grad(x) must have the shape of x, {point.shape}, got {analytic.shape}"
        )
    if atol is not None:
        atol = _non_negative(atol, "atol")
    numeric = np.asarray(derivatives.gradient(f, point.copy(), h), dtype=np.float64)
    if atol is None:
        fx = np.asarray(f(point.copy()), dtype=np.float64)
        atol = _noise("float64", float(np.max(np.abs(fx))), h)
    flat = np.arange(point.size)
    target = _Target("f", getattr(f, "__name__", type(f).__name__), "x", point, analytic)
    check = _compare(
        target, numeric.reshape(-1), flat, np.zeros(point.size, bool), limit, atol
    )
    return GradCheckReport([check], note=f"gradient check of f (h = {_describe_step(h)})")
