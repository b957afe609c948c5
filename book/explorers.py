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
    two = regression.LeastSquares(regression.standardize(X_train[:, [2, 8]])[0], y_train,
                                  name="BMI and s5")
    return widgets.lr_explorer(two, lr=0.1, steps=100, lr_range=(0.01, 1.0))


# ---------------------------------------------------------------- 07_optimizers, cell 12
def _momentum_ravine() -> Any:
    ravine = functions.Ravine(condition_number=50)
    return widgets.path_explorer(ravine, lr=1.0, beta=0.9, optimizer="momentum", steps=600)


REGISTRY: dict[tuple[str, int], Entry] = {
    ("01_derivatives", 0): Entry("tangent_explorer", _exp_sin,
                                 {"h": ALL, "method": ALL}),
    ("04_gradient_descent", 0): Entry("lr_explorer", _gd_lr, {"lr": ALL}),
    ("04_gradient_descent", 1): Entry("path_explorer", _gd_ravine, {"lr": ALL}),
    ("05_linear_regression", 0): Entry("lr_explorer", _regression_lr, {"lr": ALL}),
    ("07_optimizers", 0): Entry("path_explorer", _momentum_ravine, {"beta": ALL}),
}


def positions(control: Any, count: int | str, start: Any) -> list[Any]:
    """The values the book offers for one control: at most ``count`` (or MAX_POSITIONS)
    points of the slider's own step grid, evenly spread, always including ``start``."""
    options = getattr(control, "options", None)
    if options is not None and not hasattr(control, "step"):  # a dropdown
        opts = [o if isinstance(o, str) else o[1] for o in options]
        return opts if count == ALL else opts[: int(count)]
    log = hasattr(control, "base")
    lo, hi, step = float(control.min), float(control.max), float(control.step)
    n_steps = int(np.floor((hi - lo) / step + 1e-9))  # never past max
    limit = MAX_POSITIONS if count == ALL else min(int(count), MAX_POSITIONS)
    if n_steps + 1 <= limit:
        ks = list(range(n_steps + 1))
    else:
        ks = sorted({int(round(k)) for k in np.linspace(0, n_steps, limit)})
    start_pos = np.log(start) / np.log(control.base) if log else float(start)
    k0 = int(round((start_pos - lo) / step))
    if k0 not in ks:  # replace the nearest position by the start, keeping the count
        ks[int(np.argmin([abs(k - k0) for k in ks]))] = k0
        ks = sorted(set(ks))
    values = [lo + k * step for k in ks]
    if log:
        values = [float(control.base) ** v for v in values]
    # the start itself, exactly (not a rounded grid point) where it sits on the grid
    return [float(start) if k == k0 else float(f"{v:.6g}") for k, v in zip(ks, values,
                                                                           strict=True)]
