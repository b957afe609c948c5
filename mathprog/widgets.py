"""Interactive explorers: sliders that move a figure, live in JupyterLab, a picture offline.

A factory returns an :class:`Explorer`: ``.update(**values)`` sets controls by name and
redraws; ``.readout`` is the text under the figure; ``.values``, ``.figure`` (Agg, no pyplot),
``.png()``, ``.controls`` (widgets by name; sliders list their ``.options``), ``.widget``.

Display (a cell ending in an explorer): ``_repr_mimebundle_`` returns *either* the live widget
view *or* a static ``image/png`` of the figure, both with ``text/plain`` ``"<kind>: <readout>"``.
Live means a kernel started by a Jupyter server (JupyterLab, Notebook 7 set JPY_SESSION_NAME)
or a widget frontend that opened ipywidgets' control comm. nbclient, nbconvert and nbval get
the PNG, so an executed notebook stores a picture that GitHub and nbconvert HTML show, and no
widget state (no widget exists until ``.widget`` or ``.controls`` is used).
``MATHPROG_EXPLORERS=live|static`` overrides the choice.

Sliders are ``SelectionSlider``s over a grid of values (plus marked values such as 1/L, and
any value set from code). Browser and kernel exchange an integer index, which survives the
round trip exactly, so the figure follows a drag (``continuous_update``) without a float
slider's old fault: writing a snapped value back after later ``.update()`` cells. Static
layers are drawn once per state as a background; an update redraws only the moving artists.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as _PIL

from mathprog import ode, optim
from mathprog.functions import Quadratic, Ravine

__all__ = ["Explorer", "tangent_explorer", "lr_explorer", "path_explorer", "direction_explorer",
           "motion_explorer", "READOUT_CLASS", "FIGURE_CLASS", "EXPLORER_CLASS"]
READOUT_CLASS, FIGURE_CLASS, EXPLORER_CLASS = "mathprog-readout", "mathprog-figure", "mathprog-explorer"
Window = tuple[tuple[float, float], tuple[float, float]]


def fmt(v: float, digits: int = 3) -> str:
    """A number for a readout: ``digits`` significant digits, no ``-0``."""
    v = float(v) + 0.0
    return f"{v:.{digits}g}" if math.isfinite(v) else str(v)


def _efmt(v: float) -> str:
    """A possibly huge or tiny number in short form: 0.25, 3.0e+13, 1.2e-05."""
    v = float(v)
    return f"{v:.2g}" if not math.isfinite(v) or v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.1e}"


def _num(value: Any, name: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    """The one argument check: a real number (not a bool) in [lo, hi], named when it fails."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not (math.isfinite(v := float(value)) and lo <= v <= hi):
        raise ValueError(f"{name} must be finite and in [{lo:g}, {hi:g}], got {v:g}")
    return v


def _interval(r: Any, name: str, positive: bool = False) -> tuple[float, float]:
    if not isinstance(r, Sequence) or len(r) != 2:
        raise TypeError(f"{name} must be a pair (lo, hi), got {r!r}")
    lo, hi = _num(r[0], f"{name}[0]"), _num(r[1], f"{name}[1]")
    if not (lo < hi and (lo > 0 or not positive)):
        raise ValueError(f"{name} must satisfy {'0 < ' if positive else ''}lo < hi, got {r!r}")
    return lo, hi


def _steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


def _objective(objective: Any) -> Any:
    if not callable(objective) or not callable(getattr(objective, "grad", None)):
        raise TypeError(f"objective must be callable with a .grad(x), got {type(objective).__name__}")
    return objective


def _on(f: Callable, xs: np.ndarray) -> np.ndarray:
    """f at each of an array of points (k-D points stacked along axis 0): vectorised if f is."""
    shape = xs.shape[1:] if xs.ndim > 2 else xs.shape
    with np.errstate(all="ignore"):
        try:
            if (ys := np.asarray(f(xs), dtype=float)).shape == shape:
                return ys
        except (TypeError, ValueError):
            pass
        pts = xs.reshape(len(xs), -1).T if xs.ndim > 2 else xs
        return np.array([float(f(p)) for p in pts]).reshape(shape)


def _clip(y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values pinned to the axes' range: a run that leaves the plot still shows where it went."""
    return np.clip(np.nan_to_num(y, nan=hi, posinf=hi, neginf=lo), lo, hi)


def _trace(xs: np.ndarray, ys: np.ndarray, xlim: Any, ylim: Any) -> tuple[np.ndarray, ...]:
    """A path cut after it first leaves the axes, that point pinned to the edge (divergence)."""
    out = ~((xlim[0] <= xs) & (xs <= xlim[1]) & (ylim[0] <= ys) & (ys <= ylim[1]))
    n = int(np.argmax(out)) + 1 if out.any() else len(xs)
    return _clip(xs[:n], *xlim), _clip(ys[:n], *ylim)


def _grid(lo: float, hi: float, n: int, log: bool = True) -> list[float]:
    """n values from lo to hi (log- or evenly spaced), rounded to 3 digits, ends exact."""
    vals = np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)
    return sorted({float(f"{v:.3g}") + 0.0 for v in vals[1:-1]} | {lo, hi})


class _Control:
    """A named control: its values (a grid for sliders), its check and, once built, its widget."""

    def __init__(self, name: str, value: Any, grid: Sequence[Any] = (), kind: str = "slider",
                 marks: Mapping[float, str] | None = None, tooltip: str = "") -> None:
        self.name, self.value, self.kind, self.tooltip, self.widget = name, value, kind, tooltip, None
        self.grid, self.marks = sorted(set(grid) | {value}) if kind == "slider" else list(grid), marks or {}

    def check(self, value: Any) -> Any:
        if self.kind == "slider":
            lo, hi = self.grid[0], self.grid[-1]
            return min(max(_num(value, self.name, lo - 1e-9 * abs(lo), hi + 1e-9 * abs(hi)), lo), hi)
        if self.kind == "toggle" and not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{self.name} must be True or False, got {type(value).__name__}")
        if self.kind == "choice" and value not in self.grid:
            raise ValueError(f"{self.name} must be one of {self.grid}, got {value!r}")
        return value

    def _options(self) -> list[tuple[str, float]]:
        return [(f"{v:.3g}" + (f" = {self.marks[v]}" if v in self.marks else ""), v) for v in self.grid]

    def set(self, value: Any) -> None:
        self.value, new = value, self.kind == "slider" and value not in self.grid
        self.grid = sorted([*self.grid, value]) if new else self.grid
        if self.widget is not None:
            with self.widget.hold_sync():
                if new:
                    self.widget.options = self._options()
                self.widget.value = value

    def build(self, on_change: Callable) -> W.ValueWidget:
        kw = dict(value=self.value, description=self.name, tooltip=self.tooltip,
                  style={"description_width": "80px"})
        if self.kind == "slider":
            w = W.SelectionSlider(options=self._options(), continuous_update=True,
                                  layout={"width": "520px"}, **kw)
        else:
            w = W.Dropdown(options=self.grid, **kw) if self.kind == "choice" else W.Checkbox(**kw)
        w.observe(on_change, names="value")
        self.widget = w
        return w


def _live() -> bool:
    """Is a widget frontend attached to this kernel? (see the module docstring)"""
    if (mode := os.environ.get("MATHPROG_EXPLORERS", "").lower()) in ("live", "static"):
        return mode == "live"
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None and (
        "JPY_SESSION_NAME" in os.environ or getattr(W.Widget, "_control_comm", None) is not None)


class _Box(W.VBox):
    """The explorer's widget; displayed on its own it follows the explorer's display rule."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.explorer._repr_mimebundle_(**kwargs)


class Explorer:
    """Controls + figure + readout. A subclass draws the figure, marks moving artists with
    ``_animate`` and implements ``_compute(values) -> readout`` (it sets their data)."""

    kind = "explorer"

    def __init__(self, controls: list[_Control], figsize: tuple[float, float]) -> None:
        self._controls = {c.name: c for c in controls}
        self.figure = Figure(figsize=figsize, dpi=100, layout="constrained")
        self._canvas = FigureCanvasAgg(self.figure)
        self._dynamic: list[Artist] = []
        self._backgrounds: dict[Any, Any] = {}
        self._holding, self._box, self._png, self.readout = False, None, None, ""

    @property
    def controls(self) -> dict[str, W.ValueWidget]:
        """The control widgets by name (the names ``update`` accepts)."""
        self.widget  # noqa: B018 (builds them)
        return {n: c.widget for n, c in self._controls.items()}

    @property
    def values(self) -> dict[str, Any]:
        """The control values of the figure shown."""
        return {n: c.value for n, c in self._controls.items()}

    @property
    def widget(self) -> W.VBox:
        """Controls, the figure (an ``Image``) and the readout, built on first use."""
        if self._box is None:
            width = f"{self._canvas.get_width_height()[0]}px"  # shown 1:1, never stretched
            self._image, self._label = W.Image(format="png", layout={"width": width}), W.HTML()
            rows = [c.build(self._on_change) for c in self._controls.values()]
            self._box = _Box([*rows, self._image, self._label])
            self._box.explorer = self
            for widget, cls in [(self._image, FIGURE_CLASS), (self._label, READOUT_CLASS),
                                (self._box, EXPLORER_CLASS), (self._box, f"mathprog-{self.kind}")]:
                widget.add_class(cls)
            self._push()
        return self._box

    def update(self, **values: Any) -> None:
        """Set controls by name (a bad name or value: ValueError/TypeError naming it), redraw."""
        for name in values:
            if name not in self._controls:
                raise ValueError(f"{self.kind} has no control {name!r}; it has {list(self._controls)}")
        checked = {name: self._controls[name].check(v) for name, v in values.items()}
        self._holding = True  # all checked, now all set, then one redraw
        try:
            for name, value in checked.items():
                self._controls[name].set(value)
        finally:
            self._holding = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the current values and redraw."""
        self.readout = self._compute(self.values)
        key = self._static_key()
        if key not in self._backgrounds:
            self._canvas.draw()  # animated artists are skipped: this is the static layer
            self.figure.set_layout_engine("none")  # later backgrounds share the first layout
            self._backgrounds[key] = self._canvas.copy_from_bbox(self.figure.bbox)
        self._canvas.restore_region(self._backgrounds[key])
        for a in self._dynamic:
            if a.get_visible():
                self.figure.draw_artist(a)
        self._png = None
        if self._box is not None:
            self._push()

    def png(self, colors: int = 256, optimize: bool = False) -> bytes:
        """The figure as shown, as a palette PNG (Pillow; an octree palette keeps plots exact
        enough and halves the bytes; fast zlib unless ``optimize``)."""
        if self._png is None or (colors, optimize) != (256, False):
            out, size = io.BytesIO(), self._canvas.get_width_height()
            img = _PIL.frombuffer("RGBA", size, self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            img.convert("RGB").quantize(colors, method=_PIL.Quantize.FASTOCTREE).save(
                out, format="png", compress_level=9 if optimize else 1, optimize=optimize)
            if (colors, optimize) != (256, False):
                return out.getvalue()
            self._png = out.getvalue()
        return self._png

    def __repr__(self) -> str:
        return f"<{self.kind}({', '.join(f'{k}={v!r}' for k, v in self.values.items())}): {self.readout}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> Any:
        text = f"{self.kind}: {self.readout}"
        if _live():
            return {**W.VBox._repr_mimebundle_(self.widget), "text/plain": text}
        static = self.png(colors=128, optimize=True)  # stored in the notebook: make it small
        return {"image/png": base64.b64encode(static).decode("ascii"), "text/plain": text}

    def _push(self) -> None:
        self._image.value = self.png()
        self._label.value = f'<span style="white-space: normal">{html.escape(self.readout)}</span>'
        for name, c in self._controls.items():
            c.widget.layout.display = None if name in self._shown() else "none"

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._holding:  # a move in the browser (update() holds its own changes)
            self._controls[change["owner"].description].value = change["new"]
            self.refresh()

    def _animate(self, *artists: Artist) -> None:
        for a in artists:
            a.set_animated(True)
            self._dynamic.append(a)

    def _shown(self) -> set[str]:
        return set(self._controls)

    def _static_key(self) -> Any:
        return None

    def _compute(self, values: Mapping[str, Any]) -> str:
        raise NotImplementedError


def _contours(ax: Any, f: Callable, window: Window, base: np.ndarray, fstar: float) -> Artist:
    """Log-spaced contours of f − f* over the plane of the first two coordinates of ``base``."""
    (x1, x2), (y1, y2) = window
    X, Y = np.meshgrid(np.linspace(x1, x2, 160), np.linspace(y1, y2, 160))
    grid = np.broadcast_to(base[:, None, None], (base.size, *X.shape)).copy()
    grid[0], grid[1] = X, Y
    gap = _on(f, grid) - fstar
    top = float(np.nanmax(gap))
    levels = np.geomspace(max(float(np.nanmin(gap)), top * 1e-6, 1e-300), top, 16)[:-1]
    ax.set(xlim=(x1, x2), ylim=(y1, y2))
    return ax.contour(X, Y, gap, levels=levels, cmap="viridis", linewidths=0.8)


# ----------------------------------------------------------------------------- 01: tangent
_SECANTS = {"forward": (0.0, 1.0), "central": (-1.0, 1.0), "backward": (-1.0, 0.0)}


class TangentExplorer(Explorer):
    """The tangent at x0 as the limit of secants of width h (see :func:`tangent_explorer`)."""

    kind = "tangent_explorer"

    def __init__(self, f: Callable, df: Callable | None, x0: float, h: float, method: str,
                 xlim: tuple[float, float], h_range: tuple[float, float], label: str) -> None:
        self.f, self.df, self.xlim, self._hs = f, df, xlim, np.geomspace(*h_range, 160)
        super().__init__([
            _Control("h", h, _grid(*h_range, round(20 * math.log10(h_range[1] / h_range[0]))),
                     tooltip="secant width (log scale)"),
            _Control("x0", x0, _grid(*xlim, 201, log=False), tooltip="point of tangency"),
            _Control("method", method, tuple(_SECANTS), "choice", tooltip="difference formula")],
            figsize=(10.0, 4.0))
        ax, e = self.figure.subplots(1, 2, width_ratios=[1.25, 1.0])
        ys = _on(f, xs := np.linspace(*xlim, 400))
        lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
        ax.plot(xs, ys, color="C0", lw=2, label=label)
        ax.set(xlim=xlim, ylim=(lo - 0.12 * (hi - lo or 1), hi + 0.12 * (hi - lo or 1)), xlabel="x",
               ylabel="f(x)")
        self._tangent = ax.plot([], [], color="C3", lw=1.5, label="tangent, slope f′(x0)")[0]
        self._secant = ax.plot([], [], color="C2", lw=1.5, ls="--", label="secant")[0]
        self._rise = ax.plot([], [], "o:", color="C2", lw=1, ms=5)[0]
        self._point = ax.plot([], [], "o", color="C3", ms=7)[0]
        ax.legend(loc="upper left", fontsize="small")
        e.set(xscale="log", yscale="log", xlim=h_range, ylim=(1e-17, 1e2), xlabel="h",
              ylabel="|secant slope − f′(x0)|", title="error against h (exact 0 at the floor)")
        self._curve, self._dot = e.plot([], [], color="0.5")[0], e.plot([], [], "o", color="C2", ms=8)[0]
        for a in (ax, e):
            a.grid(alpha=0.3)
        self._animate(self._tangent, self._secant, self._rise, self._point, self._curve, self._dot)

    def _quotient(self, x0: float, h: Any, method: str) -> Any:
        """(f(x0 + b h) - f(x0 + a h)) / ((b - a) h): the difference quotient, by hand."""
        a, b = _SECANTS[method]
        return (_on(self.f, x0 + b * h) - _on(self.f, x0 + a * h)) / ((b - a) * h)

    def _compute(self, values: Mapping[str, Any]) -> str:
        h, x0, method = values["h"], values["x0"], values["method"]
        a, b = _SECANTS[method]
        f, y0, xs = self.f, float(self.f(x0)), np.array(self.xlim)
        slope = float(self.df(x0) if self.df else self._quotient(x0, np.array([1e-5]), "central")[0])
        secant = float(self._quotient(x0, np.array([h]), method)[0])
        (xa, fa), (xb, fb) = ((x, float(f(x))) for x in (x0 + a * h, x0 + b * h))
        self._tangent.set_data(xs, y0 + slope * (xs - x0))
        self._secant.set_data(xs, fa + secant * (xs - xa))
        self._rise.set_data([xa, xb, xb], [fa, fa, fb])
        self._point.set_data([x0], [y0])
        err = abs(secant - slope)
        self._curve.set_data(self._hs, _clip(abs(self._quotient(x0, self._hs, method) - slope), 1e-17, 1e2))
        self._dot.set_data([h], _clip(np.array([err]), 1e-17, 1e2))
        return (f"x0 = {fmt(x0)}, h = {fmt(h)}, {method}: secant slope = {fmt(secant, 4)}, "
                f"tangent slope = {fmt(slope, 4)}, error = {_efmt(err)}")


def tangent_explorer(f: Callable[[float], float] | None = None, x0: float = 1.0, h: float = 0.5,
                     *, df: Callable[[float], float] | None = None, method: str = "forward",
                     xlim: tuple[float, float] | None = None,
                     h_range: tuple[float, float] = (1e-13, 2.0),
                     label: str | None = None) -> TangentExplorer:
    """The secant of width ``h`` approaching the tangent at ``x0`` (notebook 01).

    ``f``: a real function (default ``np.sin``), ``df`` its derivative if known (else a central
    difference, h = 1e-5). Controls: ``h`` (log, 20 positions a decade over ``h_range``, down to
    1e-13 where round-off wins), ``x0`` (over ``xlim``, default x0 ± 3) and ``method``
    ("forward", "central", "backward"). The right panel is the chosen formula's error against
    h at this x0, the current h a dot. Readout: ``"x0 = 1, h = 0.5, forward: secant slope =
    0.3120, tangent slope = 0.5403, error = 0.23"``.
    """
    if f is None:
        f, df, label = np.sin, df or np.cos, label or "sin(x)"
    for name, g in (("f", f), ("df", df)):
        if g is not None and not callable(g):
            raise TypeError(f"{name} must be callable, got {type(g).__name__}")
    x0 = _num(x0, "x0")
    xlim = (x0 - 3.0, x0 + 3.0) if xlim is None else _interval(xlim, "xlim")
    h_range = _interval(h_range, "h_range", positive=True)
    x0, h = _num(x0, "x0", *xlim), _num(h, "h", *h_range)
    if method not in _SECANTS:
        raise ValueError(f"method must be one of {list(_SECANTS)}, got {method!r}")
    ex = TangentExplorer(f, df, x0, h, method, xlim, h_range, label or "f(x)")
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- 04, 05: rate
class _Run:
    """One objective as the lr explorer runs it: start, tolerance, f*, L, loss range, window."""

    def __init__(self, objective: Any, x0: Any, L: float | None, tol: float | None) -> None:
        self.obj = _objective(objective)
        x0 = getattr(objective, "x0", None) if x0 is None else x0
        if x0 is None and not isinstance(getattr(objective, "dim", None), int):
            raise ValueError("x0 is required: the objective has neither .x0 nor .dim")
        self.x0 = np.array(np.ones(objective.dim) if x0 is None else x0, dtype=float).reshape(-1)
        if self.x0.size == 0 or not np.all(np.isfinite(self.x0)):
            raise ValueError(f"x0 must be a finite point of shape (n,), got {x0!r}")
        L = getattr(objective, "L", None) if L is None else L
        self.L = None if L is None else _num(L, "L", 1e-300)
        g0 = float(np.linalg.norm(objective.grad(self.x0)))
        self.tol = (1e-6 * g0 or 1e-12) if tol is None else _num(tol, "tol", 1e-300)
        m = getattr(objective, "minimum", None)
        self.fstar = float(m) if m is not None and np.isfinite(m) else 0.0
        gap0 = float(objective(self.x0)) - self.fstar
        self.log, self.ylim = gap0 > 0, (gap0 * 1e-14, gap0 * 1e6) if gap0 > 0 else (-1e6, 1e6)
        self.base = np.asarray(getattr(objective, "minimizer", self.x0), dtype=float).reshape(-1)
        lo, hi = np.minimum(self.base[:2], self.x0[:2]), np.maximum(self.base[:2], self.x0[:2])
        c, r = (lo + hi) / 2, 0.65 * max(float(np.max(hi - lo)), 1e-3)
        self.window = ((c[0] - r, c[0] + r), (c[-1] - r, c[-1] + r))

    def marks(self, suffix: str = "") -> dict[float, str]:
        return {} if self.L is None else {1 / self.L: "1/L" + suffix, 2 / self.L: "2/L" + suffix}


def _oscillates(xs: np.ndarray) -> bool:
    """Do successive steps reverse direction (overshoot) in most of the first few steps?"""
    d = np.diff(xs[:12], axis=0)
    return len(d) >= 2 and bool((np.einsum("ij,ij->i", d[1:], d[:-1]) < 0).mean() > 0.5)


class LrExplorer(Explorer):
    """Gradient descent at one learning rate (see :func:`lr_explorer`)."""

    kind = "lr_explorer"

    def __init__(self, runs: dict[Any, _Run], lr: float, steps: int, lr_range: tuple[float, float],
                 xlim: tuple[float, float] | None) -> None:
        self.runs, self.steps, self.trajectory, self._layers = runs, steps, None, {}
        marks = {k: v for key, r in runs.items() for k, v in r.marks(" raw" * (key is False)).items()
                 if lr_range[0] <= k <= lr_range[1]}
        controls = [_Control("lr", lr, _grid(*lr_range, 50 * round(math.log10(lr_range[1] / lr_range[0])) + 1)
                             + list(marks), marks=marks, tooltip="learning rate η; 1/L and 2/L marked")]
        if None not in runs:
            controls.append(_Control("standardize", True, (False, True), "toggle",
                                     tooltip="features scaled to mean 0 and standard deviation 1"))
        super().__init__(controls, figsize=(10.0, 4.0))
        self.ax_f, ax = self.figure.subplots(1, 2, width_ratios=[1.2, 1.0])
        run = next(iter(runs.values()))
        self.n, self._key = run.x0.size, "unset"
        if self.n == 1:
            self._draw_function(run, xlim)
        ax.set(xlim=(0, steps), xlabel="step", ylabel="f(x) − f*", yscale="log" if run.log else "linear")
        ax.grid(alpha=0.3)
        self.ax_loss, self._loss = ax, ax.plot([], [], color="C3", lw=1.6, marker=".", ms=3)[0]
        self._info = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top")
        self._path = self.ax_f.plot([], [], "-o", color="C3", lw=1, ms=3.5, label="iterates")[0]
        self._animate(self._loss, self._info, self._path)

    def _draw_function(self, run: _Run, xlim: tuple[float, float] | None) -> None:
        ax, x0, c = self.ax_f, float(run.x0[0]), float(run.base[0])
        r = 1.6 * max(abs(x0 - c), 1e-3)
        xs = np.linspace(*(xlim := xlim or (c - r, c + r)), 300)
        ys = np.array([float(run.obj(np.array([x]))) for x in xs])
        ax.plot(xs, ys, color="C0", lw=2, label="f(x)")
        ax.plot([x0], [float(run.obj(run.x0))], "o", color="black", ms=6, label="start")
        lo, hi = float(np.min(ys)), float(np.max(ys))
        ax.set(xlim=xlim, ylim=(lo - 0.08 * (hi - lo), hi + 0.12 * (hi - lo)), xlabel="x", ylabel="f(x)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", fontsize="small")

    def _use(self, key: Any) -> None:
        """Show one objective's static layer (raw or standardised) and set its ranges."""
        run, ax = self.runs[key], self.ax_f
        if self.n > 1 and key not in self._layers:  # contours over (x1, x2), the rest at x*
            name, rest = "w" if hasattr(run.obj, "X") else "x", ", the rest at the minimum" * (self.n > 2)
            self._layers[key] = [_contours(ax, run.obj, run.window, run.base, run.fstar),
                                 *ax.plot(*run.x0[:2], "o", color="black", ms=6),
                                 *ax.plot(*run.base[:2], "*", color="black", ms=11),
                                 ax.set_title(getattr(run.obj, "name", "") + rest, fontsize="medium")]
            ax.set(xlabel=f"{name}₁", ylabel=f"{name}₂")
        for k, artists in self._layers.items():
            for a in artists:
                a.set_visible(k == key)
        if self.n > 1:
            ax.set(xlim=run.window[0], ylim=run.window[1])
        self.ax_loss.set_ylim(*run.ylim)
        self._key = key

    def _static_key(self) -> Any:
        return self._key

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr, key = values["lr"], values.get("standardize")
        if key != self._key:
            self._use(key)
        run, ax = self.runs[key], self.ax_f
        traj = self.trajectory = optim.minimize(run.obj, run.obj.grad, run.x0, optim.SGD(lr),
                                                steps=self.steps, tol=run.tol)
        k = np.arange(len(traj.losses))
        self._loss.set_data(*_trace(k, traj.losses - run.fstar, (0, self.steps), run.ylim))
        ys = traj.losses if self.n == 1 else traj.xs[:, 1]
        self._path.set_data(*_trace(traj.xs[:, 0], ys, ax.get_xlim(), ax.get_ylim()))
        self._info.set_text(", ".join(f"{v} = {fmt(k)}" for k, v in run.marks().items()) +
                            (f"\ndiverged at step {traj.diverged_at}" if traj.diverged else ""))
        self._info.set_color("C3" if traj.diverged else "black")
        text = self._describe(lr, traj, run)
        return text if key is None else f"{'standardized' if key else 'raw'} features, {text}"

    def _describe(self, lr: float, traj: optim.Trajectory, run: _Run) -> str:
        head = f"lr = {fmt(lr)}"
        if run.L is not None:
            head += f" {'>' if lr > 2 / run.L else '<' if lr < 2 / run.L else '='} 2/L = {fmt(2 / run.L)}"
        if traj.diverged:
            return f"{head}: diverged at step {traj.diverged_at} (loss = {_efmt(traj.diverged_value)})"
        style = "with oscillation (overshoots every step)" if _oscillates(traj.xs) else "smoothly"
        if (k := traj.converged_at) is not None:
            return f"{head}: converges {style} in {k} step{'s' if k != 1 else ''}"
        first, last, n = traj.losses[0] - run.fstar, traj.losses[-1] - run.fstar, traj.steps
        if abs(last - first) <= 0.01 * abs(first):
            return f"{head}: does not converge, it bounces back and forth at the same loss for {n} steps"
        if last > first:
            return f"{head}: does not converge, the loss grew from {_efmt(first)} to {_efmt(last)} in {n} steps"
        return f"{head}: still descending {style} after {n} steps (loss = {_efmt(last)})"


def lr_explorer(objective: Any = None, x0: Any = None, lr: float = 0.05, steps: int = 60, *,
                lr_range: tuple[float, float] = (1e-3, 1.0), L: float | None = None,
                tol: float | None = None, xlim: tuple[float, float] | None = None,
                standardize: bool | None = None) -> LrExplorer:
    """Gradient descent with an ``lr`` slider on which 1/L and 2/L are marked and reachable (04, 05).

    ``objective(x)`` with ``.grad(x)`` (default f(x) = 5x², L = 10, from x0 = 2); ``x0``
    defaults to ``objective.x0`` (else ones), ``L`` to ``objective.L``, ``tol`` (gradient norm)
    to 1e-6 ‖∇f(x0)‖. ``lr`` slides over ``lr_range`` (log, 50 positions a decade). Figure: f
    with the iterates (n = 1) or the path over contours of the first two coordinates, and
    f − f* against step; a run that leaves the plot is pinned to its edge. ``standardize``
    (True/False): for a least-squares objective on raw features (``.X``, ``.y``), a toggle to
    the same data standardised. Readout: ``"lr = 0.05 < 2/L = 0.2: converges smoothly in 20 steps"``.
    """
    if objective is None:
        objective, x0 = Quadratic([[10.0]], [0.0]), [2.0] if x0 is None else x0
    lr_range = _interval(lr_range, "lr_range", positive=True)
    lr, steps = _num(lr, "lr", *lr_range), _steps(steps)
    xlim = None if xlim is None else _interval(xlim, "xlim")
    if standardize is None:
        runs = {None: _Run(objective, x0, L, tol)}
    elif isinstance(standardize, bool) and hasattr(objective, "X"):
        from mathprog.regression import LeastSquares, standardize as scale

        z = LeastSquares(scale(objective.X)[0], objective.y, name=f"{objective.name}, standardized")
        runs = {True: _Run(z, x0, None, tol), False: _Run(objective, x0, None, tol)}
    else:
        raise TypeError("standardize must be True or False, for an objective with .X and .y")
    ex = LrExplorer(runs, lr, steps, lr_range, xlim)
    if standardize is not None:
        ex._controls["standardize"].value = standardize
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- 04, 07: paths
_USES_BETA = ("momentum", "nesterov", "adam")


class PathExplorer(Explorer):
    """An optimizer's path on a contour plot (see :func:`path_explorer`)."""

    kind = "path_explorer"

    def __init__(self, objective: Any, x0: np.ndarray, lr: float, beta: float, optimizer: str,
                 steps: int, lr_range: tuple[float, float], tol: float, compare: str | None,
                 window: Window, optimizers: tuple[str, ...]) -> None:
        self.objective, self.x0, self.steps, self.tol, self.compare = objective, x0, steps, tol, compare
        self.trajectory = self.reference = None
        self._cache: dict[tuple[str, float, float | None], optim.Trajectory] = {}
        self._fixed = {"optimizer": optimizer, "beta": beta}
        n_lr = 50 * round(math.log10(lr_range[1] / lr_range[0])) + 1
        controls = [_Control("lr", lr, _grid(*lr_range, n_lr), tooltip="learning rate η")]
        if any(o in _USES_BETA for o in optimizers):
            controls.append(_Control("beta", beta, _grid(0.0, 0.99, 100, log=False),
                                     tooltip="momentum β (Adam: β1)"))
        if len(optimizers) > 1:
            controls.append(_Control("optimizer", optimizer, optimizers, "choice"))
        super().__init__(controls, figsize=(6.4, 5.2))
        ax = self.ax = self.figure.add_subplot()
        m = getattr(objective, "minimizer", None)
        _contours(ax, objective, window, np.asarray(x0 if m is None else m, dtype=float),
                  float(getattr(objective, "minimum", 0.0) or 0.0))
        ax.plot(*x0, "o", color="black", ms=7, label="start")
        ax.set(xlabel="x₁", ylabel="x₂", title=str(getattr(objective, "name", "")))
        self._ref = ax.plot([], [], color="0.45", lw=1.2, label=compare and f"{compare} (same lr)")[0]
        self._path = ax.plot([], [], "-o", color="C3", lw=1.5, ms=2.5, label="path")[0]
        self._end = ax.plot([], [], "X", color="C3", mec="black", ms=9)[0]
        ax.legend(loc="lower right", fontsize="small")
        self._animate(self._ref, self._path, self._end)

    def _shown(self) -> set[str]:
        uses_beta = self.values.get("optimizer", self._fixed["optimizer"]) in _USES_BETA
        return set(self._controls) - (set() if uses_beta else {"beta"})

    def _run(self, name: str, lr: float, beta: float) -> optim.Trajectory:
        b = beta if name in _USES_BETA else None
        if (key := (name, lr, b)) not in self._cache:  # deterministic: remember (slider back, forth)
            if len(self._cache) >= 256:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = optim.minimize(self.objective, self.objective.grad, self.x0,
                                              optim.make_optimizer(name, lr, beta=b),
                                              steps=self.steps, tol=self.tol)
        return self._cache[key]

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr, beta, name = (v := {**self._fixed, **values})["lr"], v["beta"], v["optimizer"]
        traj = self.trajectory = self._run(name, lr, beta)
        ref = self.reference = self._run(self.compare, lr, beta) if self.compare not in (None, name) else None
        for line, t in ((self._path, traj), (self._ref, ref)):
            xs = np.empty((0, 2)) if t is None else t.xs
            line.set_data(*_trace(xs[:, 0], xs[:, 1], self.ax.get_xlim(), self.ax.get_ylim()))
        self._end.set_data(self._path.get_xdata()[-1:], self._path.get_ydata()[-1:])
        text = f"{name}, lr = {fmt(lr)}" + (f", beta = {fmt(beta)}" if name in _USES_BETA else "")
        return f"{text}: {self._describe(traj)}" + (f" | {self.compare}: {self._describe(ref)}" if ref else "")

    def _describe(self, traj: optim.Trajectory) -> str:
        if traj.diverged:
            return f"diverged at step {traj.diverged_at} (loss = {_efmt(traj.diverged_value)})"
        if (k := traj.converged_at) is not None:
            return f"converged in {k} step{'s' if k != 1 else ''}"
        m = getattr(self.objective, "minimizer", None)
        where = "" if m is None else f", {_efmt(np.linalg.norm(traj.xs[-1] - m))} from the minimum"
        return f"not converged after {traj.steps} steps (loss = {_efmt(traj.losses[-1])}{where})"


def path_explorer(objective: Any = None, x0: Any = None, lr: float = 0.5, beta: float = 0.9,
                  optimizer: str = "momentum", steps: int = 250, *,
                  lr_range: tuple[float, float] = (1e-4, 3.0), tol: float = 1e-6,
                  compare: str | None = "sgd", window: Any = None,
                  optimizers: Sequence[str] | None = None) -> PathExplorer:
    """An optimizer's path over the contours of a 2-D objective (notebooks 04, 07).

    ``objective`` (default ``Ravine(condition_number=50)``) takes x of shape (2,) (ideally a
    stacked grid) and has ``.grad``; ``x0`` and ``window`` default to its ``.x0``/``.window``.
    Controls: ``lr`` (log over ``lr_range``), ``beta`` (0-0.99; shown only for momentum,
    nesterov, adam) and ``optimizer`` from ``optimizers`` (names of ``optim.OPTIMIZERS``; no
    menu for one name; default all, but only sgd for plain gradient descent: ``optimizer="sgd",
    compare=None``). ``compare``: this optimizer's path at the same lr, in grey. Readout:
    ``"momentum, lr = 0.5, beta = 0.9: converged in 201 steps | sgd: ..."``.
    """
    objective = _objective(Ravine(condition_number=50.0) if objective is None else objective)
    x0 = np.array(getattr(objective, "x0", None) if x0 is None else x0, dtype=float).reshape(-1)
    if x0.shape != (2,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite point of shape (2,), got {x0!r}")
    lr_range = _interval(lr_range, "lr_range", positive=True)
    lr, beta, tol = _num(lr, "lr", *lr_range), _num(beta, "beta", 0.0, 0.99), _num(tol, "tol", 1e-300)
    if optimizers is None:
        optimizers = ("sgd",) if (optimizer, compare) == ("sgd", None) else tuple(optim.OPTIMIZERS)
    for name, value in [("optimizer", optimizer), ("compare", compare or "sgd"),
                        *(("optimizers", o) for o in optimizers)]:
        if value not in optim.OPTIMIZERS:
            raise ValueError(f"{name} must name one of {list(optim.OPTIMIZERS)}, got {value!r}")
    if optimizer not in optimizers:
        raise ValueError(f"optimizer {optimizer!r} is not among optimizers {tuple(optimizers)}")
    if (window := getattr(objective, "window", None) if window is None else window) is None:
        raise ValueError("window is required: the objective has no .window")
    ex = PathExplorer(objective, x0, lr, beta, optimizer, _steps(steps), lr_range, tol, compare,
                      window, tuple(optimizers))
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- 03: direction
class DirectionExplorer(Explorer):
    """The directional derivative as u turns (see :func:`direction_explorer`)."""

    kind = "direction_explorer"

    def __init__(self, f: Callable, point: np.ndarray, angle: float, window: Window) -> None:
        g = getattr(f, "grad", None)
        h = 1e-6 * max(1.0, float(np.abs(point).max()))  # no .grad: central differences
        self.g = np.asarray(g(point), dtype=float).reshape(2) if callable(g) else np.array(
            [(f(point + h * e) - f(point - h * e)) / (2 * h) for e in np.eye(2)])
        super().__init__([_Control("angle", angle, [float(a) for a in range(361)],
                                   tooltip="θ in degrees: u = (cos θ, sin θ)")], figsize=(10.0, 4.2))
        ax, ad = self.figure.subplots(1, 2, width_ratios=[1.0, 1.15])
        _contours(ax, f, window, point, 0.0)
        r, gn = 0.25 * (window[0][1] - window[0][0]), float(np.linalg.norm(self.g)) or 1.0
        ax.annotate("∇f", point + r * self.g / gn, point, color="0.3",
                    arrowprops={"arrowstyle": "<-", "color": "0.4", "lw": 1.5})
        ax.plot(*point, "o", color="black", ms=6)
        ax.set(xlabel="x", ylabel="y", aspect="equal", title="contours of f and the direction u")
        self._u = ax.quiver(*point, 1, 0, angles="xy", scale_units="xy", scale=1 / r, color="C3",
                            width=0.012)
        th = np.arange(361.0)
        ad.plot(th, self.g @ [np.cos(np.radians(th)), np.sin(np.radians(th))], lw=2,
                label="D_u f = ∇f · u")
        ad.axhline(0, color="0.5", lw=0.8)
        peak = math.degrees(math.atan2(self.g[1], self.g[0])) % 360
        ad.axvline(peak, color="0.4", ls=":", label=f"along ∇f, θ = {peak:.0f}°: largest")
        ad.set(xlim=(0, 360), xticks=range(0, 361, 45), xlabel="θ (degrees)", ylabel="D_u f")
        ad.grid(alpha=0.3)
        ad.legend(loc="lower left", fontsize="small")
        self._dot = ad.plot([], [], "o", color="C3", ms=8)[0]
        self._animate(self._u, self._dot)

    def _compute(self, values: Mapping[str, Any]) -> str:
        u = np.array([math.cos(t := math.radians(values["angle"])), math.sin(t)])
        d = float(self.g @ u)
        self._u.set_UVC(*u)
        self._dot.set_data([values["angle"]], [d])
        return (f"θ = {values['angle']:g}°: u = ({fmt(u[0])}, {fmt(u[1])}), D_u f = ∇f · u = "
                f"{fmt(d, 4)}; largest along ∇f: |∇f| = {fmt(np.linalg.norm(self.g), 4)}")


def direction_explorer(f: Callable | None = None, point: Any = (1.0, 0.5), angle: float = 0.0, *,
                       window: Any = None) -> DirectionExplorer:
    """Turn a unit direction u at ``point``: the contour map with u, and D_u f against θ (03).

    ``f`` takes a point (2,) (ideally a stacked grid too); its ``.grad`` is used if present,
    else central differences. Default f(x, y) = x² + 3y² + xy. Control ``angle`` in degrees
    (0-360), u = (cos θ, sin θ). ``window`` defaults to the point ± 2. Readout:
    ``"θ = 30°: u = (0.866, 0.5), D_u f = ∇f · u = 4.165; largest along ∇f: |∇f| = 4.717"``.
    """
    f = (lambda p: p[0] ** 2 + 3 * p[1] ** 2 + p[0] * p[1]) if f is None else f
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    point = np.array(point, dtype=float).reshape(-1)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"point must be a finite point of shape (2,), got {point!r}")
    window = window or ((point[0] - 2, point[0] + 2), (point[1] - 2, point[1] + 2))
    window = (_interval(window[0], "window[0]"), _interval(window[1], "window[1]"))
    ex = DirectionExplorer(f, point, _num(angle, "angle", 0.0, 360.0), window)
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- 10: motion
def _spring(dt: float, t_end: float) -> dict[str, tuple[np.ndarray, ...]]:
    """x'' = -x from x = 1, v = 0 by each solver of mathprog.ode: name -> (t, x, energy)."""
    t = dt * np.arange(round(t_end / dt) + 1)
    f = lambda _t, y: np.array([y[1], -y[0]])  # noqa: E731 (the state y = (x, v))
    x, v = (a.reshape(-1) for a in ode.symplectic_euler(lambda _t, x, _v: -x, 1.0, 0.0, t))
    runs = {"explicit Euler": ode.euler(f, [1.0, 0.0], t).T, "symplectic Euler": (x, v),
            "RK4": ode.rk4(f, [1.0, 0.0], t).T}
    return {k: (t, s[0], (s[0] ** 2 + s[1] ** 2) / 2) for k, s in runs.items()}


class MotionExplorer(Explorer):
    """A spring stepped by three solvers (see :func:`motion_explorer`)."""

    kind = "motion_explorer"

    def __init__(self, dt: float, t_end: float) -> None:
        self.t_end, self._cache, self._lines = t_end, {}, {}
        super().__init__([_Control("dt", dt, _grid(0.01, 1.0, 41), tooltip="time step (log)")],
                         figsize=(10.0, 4.0))
        ax_x, ax_e = self.figure.subplots(1, 2)
        ax_x.plot(ts := np.linspace(0, t_end, 600), np.cos(ts), "k--", lw=1, label="exact cos t")
        ax_x.set(xlim=(0, t_end), ylim=(-2.5, 2.5), xlabel="t", ylabel="position x")
        ax_e.axhline(1.0, color="black", lw=1, ls="--")
        ax_e.set(xlim=(0, t_end), ylim=(0, 2.5), xlabel="t", ylabel="energy / starting energy")
        for i, name in enumerate(("explicit Euler", "symplectic Euler", "RK4")):
            self._lines[name] = (ax_x.plot([], [], color=f"C{i}", lw=1.2, label=name)[0],
                                 ax_e.plot([], [], color=f"C{i}", lw=1.5)[0])
            self._animate(*self._lines[name])
        ax_x.grid(alpha=0.3), ax_e.grid(alpha=0.3)
        ax_x.legend(loc="lower left", fontsize="small", ncols=2)

    @property
    def widget(self) -> W.VBox:
        if self._box is None:  # live: solve every dt in the background, ready for a drag
            threading.Thread(target=lambda: [self._solve(dt) for dt in self._controls["dt"].grid[::-1]],
                             daemon=True).start()
        return super().widget

    def _solve(self, dt: float) -> dict[str, tuple[np.ndarray, ...]]:
        if dt not in self._cache:  # the small steps cost 0.1-0.3 s in mathprog.ode's loops
            self._cache[dt] = _spring(dt, self.t_end)
        return self._cache[dt]

    def _compute(self, values: Mapping[str, Any]) -> str:
        for name, (t, x, energy) in self._solve(dt := values["dt"]).items():
            self._lines[name][0].set_data(*_trace(t, x, (0, self.t_end), (-2.5, 2.5)))
            self._lines[name][1].set_data(*_trace(t, energy / 0.5, (0, self.t_end), (0.0, 2.5)))
        return f"dt = {fmt(dt)}: energy at t = {fmt(self.t_end)} / starting energy: " + ", ".join(
            f"{k} {_efmt(e[-1] / 0.5)}" for k, (_, _, e) in self._cache[dt].items())


def motion_explorer(dt: float = 0.1, t_end: float = 30.0) -> MotionExplorer:
    """The spring x'' = −x from x = 1, v = 0 by explicit Euler, symplectic Euler and RK4
    (:mod:`mathprog.ode`), with a time-step slider ``dt`` (log, 0.01-1) (notebook 10).

    Left x(t) against the exact cos t, right the energy over its start: explicit Euler's grows
    by (1 + dt²) a step, symplectic Euler's stays in a band of size O(dt), RK4's shrinks a
    little. Curves leaving the plot are pinned to its edge. Readout: ``"dt = 0.1: energy at
    t = 30 / starting energy: explicit Euler 20, symplectic Euler 1, RK4 1"``.
    """
    ex = MotionExplorer(_num(dt, "dt", 0.01, 1.0), _num(t_end, "t_end", 1.0, 1e4))
    ex.refresh()
    return ex
