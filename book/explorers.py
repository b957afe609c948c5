"""Which explorer each notebook shows, rebuilt for the book by mathprog itself.

The book has no kernel, so ``book/build.py`` replaces every explorer output of a stored
notebook by a kernel-free form: the same controls, scrubbing figures precomputed here.
``REGISTRY`` maps (notebook stem, ordinal of the explorer among that notebook's explorer
outputs) to an :class:`Entry`: a function that builds the *same* explorer as the notebook's
cell (same objective, same arguments) and the grid of control positions to precompute.

The build fails if a notebook shows an explorer with no entry here, or an entry names an
explorer the notebook does not show: adding an explorer to a notebook means adding a line.

``grid`` gives, per control, how many positions the book offers (spread evenly over the
slider's own range, always including the notebook's starting value; a dropdown offers every
option unless given a number). A control left out keeps the notebook's starting value and is
shown as fixed. The book's size budget (3 MB a page) bounds the product of the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog import functions, regression, widgets
from mathprog.data import load_diabetes, train_test_split

ALL = "all"  # every option of a dropdown / every step of a slider (if at most MAX_POSITIONS)
MAX_POSITIONS = 40  # per slider


@dataclass(frozen=True)
class Entry:
    kind: str  # the factory's name, as the stored output's text/plain starts ("lr_explorer")
    make: Callable[[], Any]
    grid: dict[str, int | str] = field(default_factory=dict)
    note: str = ""  # one line shown under the book's controls


# ---------------------------------------------------------------- 01_derivatives, cell 10
def _exp_sin() -> Any:
    import cmath
    import math

    def f(x):
        if isinstance(x, complex):
            return cmath.exp(cmath.sin(x))
        return math.exp(math.sin(x))

    def df(x):
        return math.cos(x) * math.exp(math.sin(x))

    return widgets.tangent_explorer(f, x0=1.0, h=0.5, df=df, xlim=(-2.0, 4.0),
                                    label="exp(sin x)")


# ---------------------------------------------------------------- 04_gradient_descent
def _gd_lr() -> Any:  # cell 9
    return widgets.lr_explorer(functions.Quadratic([[10.0]]), x0=[2.0], lr=0.05, steps=60)


def _gd_ravine() -> Any:  # cell 17
    ravine = functions.Ravine(condition_number=20.0)
    return widgets.path_explorer(ravine, lr=1.0, optimizer="sgd", steps=300, compare=None)


# ---------------------------------------------------------------- 05_linear_regression
def _regression_lr() -> Any:  # cells 1 and 23-24
    X_all, y_all = load_diabetes()
    X_train, _, y_train, _ = train_test_split(X_all, y_all, test_size=0.2, seed=0)
    raw_two = regression.LeastSquares(X_train[:, [2, 8]], y_train, name="BMI and s5")
    return widgets.lr_explorer(raw_two, lr=0.1, steps=100, lr_range=(0.01, 1.0),
                               standardize=True)


# ---------------------------------------------------------------- 07_optimizers, cell 12
def _momentum_ravine() -> Any:
    ravine = functions.Ravine(condition_number=50)
    return widgets.path_explorer(ravine, lr=1.0, beta=0.9, optimizer="momentum", steps=600)


# ---------------------------------------------------------------- 03_gradients, cell 17
def _direction() -> Any:
    f = functions.Himmelblau()
    return widgets.direction_explorer(f, np.array([1.0, 1.0]), angle=0.0,
                                      window=((-2.0, 4.0), (-2.0, 4.0)))


# ---------------------------------------------------------------- 10_integrals, cell 26
def _motion() -> Any:
    return widgets.motion_explorer(dt=0.1, t_end=30.0)


REGISTRY: dict[tuple[str, int], Entry] = {
    ("01_derivatives", 0): Entry("tangent_explorer", _exp_sin,
                                 {"h": 24, "method": ALL}),
    ("03_gradients", 0): Entry("direction_explorer", _direction, {"angle": ALL}),
    ("04_gradient_descent", 0): Entry("lr_explorer", _gd_lr, {"lr": ALL}),
    ("04_gradient_descent", 1): Entry("path_explorer", _gd_ravine, {"lr": ALL}),
    ("05_linear_regression", 0): Entry("lr_explorer", _regression_lr,
                                       {"lr": 12, "standardize": ALL}),
    ("07_optimizers", 0): Entry("path_explorer", _momentum_ravine, {"beta": ALL}),
    ("10_integrals", 0): Entry("motion_explorer", _motion, {"dt": 30}),
}


def _options(control: Any) -> list[tuple[str, Any]] | None:
    """(label, value) pairs of an option-based control (Dropdown, SelectionSlider), else None."""
    options = getattr(control, "options", None)
    if options is None:
        return None
    return [o if isinstance(o, tuple) else (str(o), o) for o in options]


def positions(control: Any, count: int | str, start: Any) -> list[Any]:
    """The values the book offers for one control: at most ``count`` (or MAX_POSITIONS)
    of the control's own values, evenly spread, always including ``start``.

    Controls with ``.options`` (Dropdown, SelectionSlider) offer their option values; a
    Checkbox offers False and True; a float slider (FloatSlider, FloatLogSlider) the points
    of its step grid from min to max.
    """
    options = _options(control)
    if options is not None:
        values = [v for _, v in options]
        if all(isinstance(v, str) for v in values):  # a dropdown of names: every option
            return values if count == ALL else values[: int(count)]
    elif isinstance(getattr(control, "value", None), bool):
        return [False, True]
    else:
        log = hasattr(control, "base")
        lo, hi, step = float(control.min), float(control.max), float(control.step)
        n_steps = int(np.floor((hi - lo) / step + 1e-9))  # never past max
        values = [lo + k * step for k in range(n_steps + 1)]
        if log:
            values = [float(control.base) ** v for v in values]
        values = [float(f"{v:.6g}") for v in values]
    limit = MAX_POSITIONS if count == ALL else min(int(count), MAX_POSITIONS)
    k0 = int(np.argmin([abs(float(v) - float(start)) for v in values]))
    if len(values) <= limit:
        ks = list(range(len(values)))
    else:
        ks = sorted({int(round(k)) for k in np.linspace(0, len(values) - 1, limit)})
        if k0 not in ks:  # replace the nearest position by the start, keeping the count
            ks[int(np.argmin([abs(k - k0) for k in ks]))] = k0
            ks = sorted(set(ks))
    # the start itself, exactly (not a rounded grid point)
    return [start if k == k0 else values[k] for k in ks]


def label(control: Any, value: Any) -> str:
    """How the control shows ``value``: its option label, or its readout format."""
    for text, v in _options(control) or ():
        if v == value and not isinstance(v, bool):
            return text
    if isinstance(value, (str, bool)):
        return str(value)
    fmt = getattr(control, "readout_format", ".3g") or ".3g"
    return format(value, fmt)
