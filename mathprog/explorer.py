"""The machinery of the explorers in :mod:`mathprog.widgets`: controls, display, fast redraws.

Displayed, an :class:`Explorer` is its live widget when a widget frontend is attached (a Jupyter
server's kernel, an open ipywidgets comm; ``MATHPROG_EXPLORERS=live|static`` overrides), else a
static PNG (nbclient, nbval: no widget state stored). Sliders step over a grid of exact values;
the static layers are drawn once, as a background.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np
from IPython import get_ipython
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as _PIL

from mathprog import _checks as check
from mathprog.plotting import on_points

__all__ = ["Explorer"]


def fmt(v: float, digits: int = 3) -> str:
    """A number for a readout: ``digits`` significant digits, no ``-0``."""
    v = float(v) + 0.0
    return f"{v:.{digits}g}" if math.isfinite(v) else str(v)


def efmt(v: float) -> str:
    """A possibly huge or tiny number in short form: 0.25, 3.0e+13, 1.2e-05."""
    v = float(v)
    return f"{v:.2g}" if not math.isfinite(v) or v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.1e}"


def point(x: Any, name: str, dim: int | None = None) -> np.ndarray:
    """A finite point of shape (n,) (or (dim,)) as a float array."""
    p = check.array(x, name).reshape(-1)  # numbers, finite, not empty
    if dim and p.size != dim:
        raise ValueError(f"{name} must be a point of shape ({dim},), got {x!r}")
    return p


def clip(y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values pinned to the axes' range: a run that leaves the plot still shows where it went."""
    return np.clip(np.nan_to_num(y, nan=hi, posinf=hi, neginf=lo), lo, hi)


def trace(xs: np.ndarray, ys: np.ndarray, xlim: Any, ylim: Any) -> tuple[np.ndarray, ...]:
    """A path cut after it first leaves the axes, that point pinned to the edge (divergence)."""
    out = ~((xlim[0] <= xs) & (xs <= xlim[1]) & (ylim[0] <= ys) & (ys <= ylim[1]))
    n = int(np.argmax(out)) + 1 if out.any() else len(xs)
    return clip(xs[:n], *xlim), clip(ys[:n], *ylim)


def grid(lo: float, hi: float, n: int = 0, per_decade: int = 0) -> list[float]:
    """Slider values from lo to hi (``per_decade`` log-spaced or ``n`` even), to 3 digits."""
    vals = (np.geomspace(lo, hi, max(2, round(per_decade * math.log10(hi / lo)) + 1))
            if per_decade else np.linspace(lo, hi, n))
    return sorted({float(f"{v:.3g}") + 0.0 for v in vals[1:-1]} | {lo, hi})


class Control:
    """A named control: a slider over ``grid``, a ``choice`` menu or a ``toggle`` box."""

    def __init__(self, name: str, value: Any, grid: Sequence[Any] = (), kind: str = "slider",
                 marks: Mapping[float, str] | None = None) -> None:
        self.name, self.kind, self.marks, self.widget = name, kind, marks or {}, None
        self.grid = sorted(set(grid)) if kind == "slider" else list(grid)
        self.set(self.check(value))

    def check(self, value: Any) -> Any:
        """``value`` if this control can take it."""
        if self.kind == "choice":
            return check.choice(value, self.name, tuple(self.grid))
        if self.kind == "toggle":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{self.name} must be True or False, got {type(value).__name__}")
            return value
        return check.number(value, self.name, lo=self.grid[0], hi=self.grid[-1])

    def _options(self) -> list[tuple[str, float]]:
        return [(f"{v:.3g}" + (f" = {self.marks[v]}" if v in self.marks else ""), v)
                for v in self.grid]

    def set(self, value: Any) -> None:
        """Take a checked value; a slider set between its grid points gains that point."""
        self.value, new = value, self.kind == "slider" and value not in self.grid
        self.grid = sorted([*self.grid, value]) if new else self.grid
        if self.widget is not None:
            with self.widget.hold_sync():
                if new:
                    self.widget.options = self._options()
                self.widget.value = value

    def build(self, on_change: Callable) -> W.ValueWidget:
        kw = dict(value=self.value, description=self.name, style={"description_width": "80px"})
        if self.kind == "slider":
            w = W.SelectionSlider(options=self._options(), continuous_update=True,
                                  layout={"width": "520px"}, **kw)
        else:
            w = W.Dropdown(options=self.grid, **kw) if self.kind == "choice" else W.Checkbox(**kw)
        w.observe(on_change, names="value")
        self.widget = w
        return w


def _live() -> bool:
    """Is a widget frontend attached to this kernel?"""
    if (mode := os.environ.get("MATHPROG_EXPLORERS", "").lower()) in ("live", "static"):
        return mode == "live"
    return getattr(get_ipython(), "kernel", None) is not None and (
        "JPY_SESSION_NAME" in os.environ or getattr(W.Widget, "_control_comm", None) is not None)


class Explorer:
    """Controls + figure + readout: ``.update(**values)``, ``.readout``, ``.values``, ``.figure``,
    ``.png()``, ``.controls``, ``.widget``. A subclass draws the static layer, marks the artists
    that move with ``_animate`` and sets them in ``_compute(values)``, which returns the readout.
    """

    _key: Any = None  # which cached background (a subclass may have several: raw, standardised)

    def __init__(self, controls: list[Control], figsize: tuple[float, float]) -> None:
        self._controls = {c.name: c for c in controls}
        self.figure = Figure(figsize=figsize, dpi=100, layout="constrained")
        self._canvas = FigureCanvasAgg(self.figure)
        self._dynamic: list[Artist] = []
        self._backgrounds: dict[Any, Any] = {}
        self._holding, self._box, self.readout = False, None, ""

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
        """Controls, the figure (an ``Image``) and the readout, built on first use; their CSS
        classes (mathprog-explorer, -figure, -readout) are what the browser tests find."""
        if self._box is None:
            size = {"width": f"{self._canvas.get_width_height()[0]}px"}  # 1:1, never stretched
            self._image = W.Image(format="png", layout=size).add_class("mathprog-figure")
            self._label = W.HTML().add_class("mathprog-readout")
            rows = [c.build(self._on_change) for c in self._controls.values()]
            self._box = W.VBox([*rows, self._image, self._label]).add_class("mathprog-explorer")
            self.refresh()
        return self._box

    def update(self, **values: Any) -> None:
        """Set controls by name (a bad name or value: ValueError/TypeError naming it), redraw."""
        if unknown := [name for name in values if name not in self._controls]:
            raise ValueError(f"{type(self).__name__} has no control {unknown[0]!r}; its controls: "
                             f"{list(self._controls)}")
        checked = {name: self._controls[name].check(v) for name, v in values.items()}
        self._holding = True  # all checked, now all set, then one redraw
        try:
            for name, value in checked.items():
                self._controls[name].set(value)
        finally:
            self._holding = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute and redraw."""
        self.readout = self._compute(self.values)
        if self._key not in self._backgrounds:
            self._canvas.draw()  # animated artists are skipped: this is the static layer
            self.figure.set_layout_engine("none")  # later backgrounds share the first layout
            self._backgrounds[self._key] = self._canvas.copy_from_bbox(self.figure.bbox)
        self._canvas.restore_region(self._backgrounds[self._key])
        for a in self._dynamic:
            self.figure.draw_artist(a)
        if self._box is not None:
            self._image.value = self.png()
            text = html.escape(self.readout)
            self._label.value = f'<span style="white-space: normal">{text}</span>'

    def png(self, colors: int = 256, optimize: bool = False) -> bytes:
        """The figure as a palette PNG: quick to encode (what a slider move sends), or smaller
        (``optimize``: what a notebook stores)."""
        out, size = io.BytesIO(), self._canvas.get_width_height()
        img = _PIL.frombuffer("RGBA", size, self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        img.convert("RGB").quantize(colors, method=_PIL.Quantize.FASTOCTREE).save(
            out, format="png", compress_level=9 if optimize else 1, optimize=optimize)
        return out.getvalue()

    def __repr__(self) -> str:  # a notebook stores it beside the figure: "lr_explorer: lr = ..."
        return f"{type(self).__name__}: {self.readout}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> Any:
        if _live():
            return {**self.widget._repr_mimebundle_(), "text/plain": repr(self)}
        static = self.png(colors=128, optimize=True)  # stored in the notebook: make it small
        return {"image/png": base64.b64encode(static).decode("ascii"), "text/plain": repr(self)}

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._holding:  # a move in the browser (update() holds its own changes)
            self._controls[change["owner"].description].value = change["new"]
            self.refresh()

    def _animate(self, *artists: Artist) -> None:
        for a in artists:
            a.set_animated(True)
            self._dynamic.append(a)


def contours(ax: Any, f: Callable, window: Any, base: np.ndarray, fstar: float) -> Artist:
    """Log-spaced contours of f − f* over the plane of the first two coordinates of ``base``."""
    (x1, x2), (y1, y2) = window
    X, Y = np.meshgrid(np.linspace(x1, x2, 160), np.linspace(y1, y2, 160))
    grid = np.broadcast_to(base[:, None, None], (base.size, *X.shape)).copy()
    grid[0], grid[1] = X, Y
    gap = on_points(f, grid) - fstar
    top = float(np.nanmax(gap))
    levels = np.geomspace(max(float(np.nanmin(gap)), top * 1e-6, 1e-300), top, 16)[:-1]
    ax.set(xlim=(x1, x2), ylim=(y1, y2))
    return ax.contour(X, Y, gap, levels=levels, cmap="viridis", linewidths=0.8)
