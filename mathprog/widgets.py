"""Interactive explorers: sliders that move a figure, usable headless too.

Each factory returns an explorer object with

- ``.widget``: what a notebook displays (an ipywidgets ``VBox``: the controls, an ``Output``
  holding the figure as a PNG image, and a one-line readout);
- ``.update(**values)``: set controls by name, recompute and redraw (tests and notebooks
  drive the explorer this way; a slider moved in the browser goes through the same code);
- ``.figure``: the matplotlib Figure (drawn on an Agg canvas, never through pyplot);
- ``.readout``: the plain text currently shown under the figure;
- ``.values``: the current control values, ``.controls``: the control widgets by name.

Every control's ``description`` is its keyword in ``update`` ("h", "x0", "method", "lr",
"beta", "optimizer"). The readout is a ``Label`` with CSS class ``mathprog-readout``, the
figure's ``Output`` has class ``mathprog-figure`` and the whole explorer ``mathprog-explorer``
plus ``mathprog-<factory name>``. Numbers in the readout are rounded (3-4 significant
digits), and control values are snapped to 6 significant digits before computing, so the
same slider position gives the same readout in the browser and headless.

Displaying the explorer object itself (not ``.widget``) also offers a static PNG of the
figure, so notebook viewers without a widget frontend (nbconvert, GitHub) still show it.

Speed: the static layers (axes, ticks, the function or contours) are drawn once and cached
as a background; an update restores it and redraws only the moving artists, then encodes
the canvas as PNG (see ``benchmarks/bench_explorers.py``).
"""

from __future__ import annotations

import base64
import html
import math
import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mathprog import derivatives, optim
from mathprog.functions import Quadratic, Ravine

__all__ = [
    "Explorer",
    "tangent_explorer",
    "lr_explorer",
    "path_explorer",
    "READOUT_CLASS",
    "FIGURE_CLASS",
    "EXPLORER_CLASS",
]

READOUT_CLASS = "mathprog-readout"
FIGURE_CLASS = "mathprog-figure"
EXPLORER_CLASS = "mathprog-explorer"

_SLIDER_LAYOUT = {"width": "460px"}
# Sliders send their value on release (arrow keys and typed values: at once), not while
# dragging. With continuous_update=True the slider's first render writes back the value
# snapped to its step grid (10**-0.3 = 0.501 for h = 0.5), which reaches the kernel after a
# notebook's later .update(...) cells and silently reverts them (seen in tests/browser).
_STYLE = {"description_width": "70px"}


def _snap(v: float) -> float:
    """6 significant digits: a slider position computed in JavaScript and the same position
    computed in Python can differ in the last bit; after snapping they are equal."""
    return float(f"{v:.6g}")


def fmt(v: float, digits: int = 3) -> str:
    """A number for a readout: ``digits`` significant digits, no ``-0``."""
    if v is None:
        return "None"
    v = float(v)
    if v == 0:
        v = 0.0
    if not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def _efmt(v: float) -> str:
    """A possibly huge or tiny number in short scientific form: 3e+13, 1.2e-05."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    return f"{v:.2g}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.1e}"


# ----------------------------------------------------------------------------- controls


class _Control:
    """A named control: its widget and how to validate a value set from Python."""

    def __init__(self, name: str, widget: W.ValueWidget, kind: str,
                 lo: float | None = None, hi: float | None = None,
                 options: tuple[str, ...] = ()) -> None:
        self.name, self.widget, self.kind = name, widget, kind
        self.lo, self.hi, self.options = lo, hi, options

    def check(self, value: Any) -> Any:
        if self.kind == "choice":
            if not isinstance(value, str) or value.lower() not in self.options:
                raise ValueError(f"{self.name} must be one of {list(self.options)}, got {value!r}")
            return value.lower()
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"{self.name} must be a number, got {type(value).__name__}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{self.name} must be finite, got {v}")
        assert self.lo is not None and self.hi is not None
        slack = 1e-9 * max(abs(self.lo), abs(self.hi))  # tolerate 10**exponent rounding
        if not self.lo - slack <= v <= self.hi + slack:
            raise ValueError(f"{self.name} = {v:g} is outside the slider's range "
                             f"[{self.lo:g}, {self.hi:g}]")
        return min(max(v, self.lo), self.hi)


def _log_slider(name: str, value: float, lo: float, hi: float, step: float = 0.05,
                tooltip: str = "") -> _Control:
    """A base-10 log slider from ``lo`` to ``hi`` (exponent step ``step``)."""
    if not (0 < lo < hi):
        raise ValueError(f"{name}: the slider range needs 0 < lo < hi, got ({lo}, {hi})")
    w = W.FloatLogSlider(value=value, base=10.0, min=math.log10(lo), max=math.log10(hi),
                         step=step, description=name, readout_format=".3g",
                         continuous_update=False, layout=_SLIDER_LAYOUT, style=_STYLE,
                         tooltip=tooltip)
    w.value = value  # FloatLogSlider clamps on construction before min/max are set
    return _Control(name, w, "log", lo, hi)


def _lin_slider(name: str, value: float, lo: float, hi: float, step: float,
                fmt_: str = ".3g", tooltip: str = "") -> _Control:
    w = W.FloatSlider(value=value, min=lo, max=hi, step=step, description=name,
                      readout_format=fmt_, continuous_update=False, layout=_SLIDER_LAYOUT,
                      style=_STYLE, tooltip=tooltip)
    return _Control(name, w, "float", lo, hi)


def _dropdown(name: str, value: str, options: tuple[str, ...], tooltip: str = "") -> _Control:
    w = W.Dropdown(value=value, options=list(options), description=name,
                   layout={"width": "260px"}, style=_STYLE, tooltip=tooltip)
    return _Control(name, w, "choice", options=options)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


# ----------------------------------------------------------------------------- base class


class Explorer:
    """Controls + figure + readout; subclasses implement ``_compute``.

    ``_compute(values)`` gets the snapped control values, updates the data of the artists in
    ``self._dynamic`` and returns the readout text. Everything else (validation, redraw,
    publishing the PNG to the page) lives here.
    """

    kind = "explorer"

    def __init__(self, controls: list[_Control], figsize: tuple[float, float]) -> None:
        self._controls = {c.name: c for c in controls}
        self.figure = Figure(figsize=figsize, dpi=100, layout="constrained")
        self._canvas = FigureCanvasAgg(self.figure)
        self._dynamic: list[Artist] = []
        self._background: Any = None
        self._holding = False
        self.readout = ""
        self._png = b""
        self._output = W.Output(layout={"min_height": f"{int(figsize[1] * 100) + 4}px"})
        self._output.add_class(FIGURE_CLASS)
        # HTML rather than Label: a Label never wraps, so a long readout would be cut off
        self._label = W.HTML(value="")
        self._label.add_class(READOUT_CLASS)
        box = W.VBox([c.widget for c in controls])
        self.widget = W.VBox([box, self._output, self._label])
        self.widget.add_class(EXPLORER_CLASS)
        self.widget.add_class(f"mathprog-{self.kind}")
        for c in controls:
            c.widget.observe(self._on_change, names="value")

    # -- public API -------------------------------------------------------------------
    @property
    def controls(self) -> dict[str, W.ValueWidget]:
        """The control widgets by name (the names ``update`` accepts)."""
        return {name: c.widget for name, c in self._controls.items()}

    @property
    def values(self) -> dict[str, Any]:
        """The current control values, as used in the last computation."""
        return {name: self._value(c) for name, c in self._controls.items()}

    def update(self, **values: Any) -> None:
        """Set controls by name, recompute and redraw (once, however many values are given).

        Raises
        ------
        ValueError
            An unknown control name, or a value outside the control's range / options.
        TypeError
            A value of the wrong type.
        """
        checked = {}
        for name, value in values.items():
            if name not in self._controls:
                raise ValueError(f"{self.kind} has no control {name!r}; its controls are "
                                 f"{', '.join(self._controls)}")
            checked[name] = self._controls[name].check(value)
        self._holding = True  # validate everything first, then change everything, redraw once
        try:
            for name, value in checked.items():
                self._controls[name].widget.value = value
        finally:
            self._holding = False
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the current control values and redraw."""
        self.readout = self._compute(self.values)
        self._redraw()
        self._label.value = f'<span style="white-space: normal">{html.escape(self.readout)}</span>'
        self._publish()

    def png(self) -> bytes:
        """The figure as currently shown, PNG-encoded."""
        return self._png

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"<{self.kind}({vals}): {self.readout}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # The widget view for frontends with a widget manager; a static PNG and the readout
        # for everything else (nbconvert HTML, GitHub, a terminal).
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        bundle["text/plain"] = f"{self.kind}: {self.readout}"
        return bundle

    # -- machinery --------------------------------------------------------------------
    def _value(self, c: _Control) -> Any:
        v = c.widget.value
        return v if c.kind == "choice" else _snap(v)

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._holding:
            self.refresh()

    def _animate(self, *artists: Artist) -> None:
        """Mark artists as moving: left out of the cached background, redrawn every update."""
        for a in artists:
            a.set_animated(True)
            self._dynamic.append(a)

    def _invalidate(self) -> None:
        self._background = None

    def _redraw(self) -> None:
        canvas = self._canvas
        if self._background is None:
            canvas.draw()  # animated artists are skipped: this is the static layer
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for a in self._dynamic:
            self.figure.draw_artist(a)

    def _publish(self) -> None:
        self._png = _png(np.asarray(self._canvas.buffer_rgba()))
        data = {"image/png": base64.b64encode(self._png).decode("ascii"),
                "text/plain": f"<{self.kind} figure>"}
        self._output.outputs = ({"output_type": "display_data", "data": data,
                                 "metadata": {}},)

    def _compute(self, values: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def rgba(self) -> np.ndarray:
        """The rendered pixels (height, width, 4) as currently shown (a copy)."""
        return np.asarray(self._canvas.buffer_rgba()).copy()


def _png(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 image as an RGB PNG, fast.

    No per-row filter and zlib level 1: 3-7 ms for a plot, against 10-25 ms for Pillow's
    default encoder, and plots (mostly flat colour) still compress about 20x.
    """
    h, w, _ = rgba.shape
    raw = np.zeros((h, 3 * w + 1), dtype=np.uint8)  # each row: filter byte 0, then RGB
    raw[:, 1:] = rgba[:, :, :3].reshape(h, 3 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + chunk(b"IEND", b""))


def _grid_values(f: Callable[[np.ndarray], Any], xs: np.ndarray) -> np.ndarray:
    """f on an array of points: vectorised if f allows it, else point by point."""
    try:
        with np.errstate(all="ignore"):
            ys = np.asarray(f(xs), dtype=float)
        if ys.shape == xs.shape:
            return ys
    except (TypeError, ValueError):
        pass
    with np.errstate(all="ignore"):
        return np.array([float(f(x)) for x in xs])


# ----------------------------------------------------------------------------- tangent


_METHODS = {
    "forward": derivatives.forward_difference,
    "central": derivatives.central_difference,
    "backward": derivatives.backward_difference,
}


class TangentExplorer(Explorer):
    """The tangent at x0 as the limit of secants of width h (see :func:`tangent_explorer`)."""

    kind = "tangent_explorer"

    def __init__(self, f: Callable[[float], float], df: Callable[[float], float] | None,
                 x0: float, h: float, method: str, xlim: tuple[float, float],
                 h_range: tuple[float, float], label: str) -> None:
        self.f, self.df, self.xlim = f, df, xlim
        controls = [
            _log_slider("h", h, *h_range, step=0.05, tooltip="secant width (log scale)"),
            _lin_slider("x0", x0, xlim[0], xlim[1], (xlim[1] - xlim[0]) / 200,
                        tooltip="point of tangency"),
            _dropdown("method", method, tuple(_METHODS), tooltip="finite-difference formula"),
        ]
        super().__init__(controls, figsize=(7.0, 4.2))
        ax = self.ax = self.figure.add_subplot()
        xs = np.linspace(xlim[0], xlim[1], 400)
        ys = _grid_values(f, xs)
        ax.plot(xs, ys, color="C0", lw=2, label=label)
        finite = ys[np.isfinite(ys)]
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.12 * (hi - lo or 1.0)
        ax.set_xlim(*xlim)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        (self._tangent,) = ax.plot([], [], color="C3", lw=1.5, label="tangent (slope f'(x0))")
        (self._secant,) = ax.plot([], [], color="C2", lw=1.5, ls="--", label="secant")
        (self._run_rise,) = ax.plot([], [], color="C2", lw=1, ls=":")
        (self._points,) = ax.plot([], [], "o", color="C2", ms=6)
        (self._point,) = ax.plot([], [], "o", color="C3", ms=7)
        ax.legend(loc="upper left", fontsize="small")
        self._animate(self._tangent, self._secant, self._run_rise, self._points, self._point)

    def _compute(self, values: Mapping[str, Any]) -> str:
        h, x0, method = values["h"], values["x0"], values["method"]
        f = self.f
        y0 = float(f(x0))
        slope = float(self.df(x0)) if self.df is not None else float(
            derivatives.central_difference(f, x0))
        secant = float(_METHODS[method](f, x0, h))
        # the two points the secant goes through
        a, b = {"forward": (x0, x0 + h), "central": (x0 - h, x0 + h),
                "backward": (x0 - h, x0)}[method]
        fa, fb = float(f(a)), float(f(b))
        xs = np.array(self.xlim)
        self._tangent.set_data(xs, y0 + slope * (xs - x0))
        self._secant.set_data(xs, fa + secant * (xs - a))
        self._run_rise.set_data([a, b, b], [fa, fa, fb])
        self._points.set_data([a, b], [fa, fb])
        self._point.set_data([x0], [y0])
        err = abs(secant - slope)
        return (f"x0 = {fmt(x0)}, h = {fmt(h)}, {method}: secant slope = {fmt(secant, 4)}, "
                f"tangent slope = {fmt(slope, 4)}, error = {_efmt(err)}")


def tangent_explorer(
    f: Callable[[float], float] | None = None,
    x0: float = 1.0,
    h: float = 0.5,
    *,
    df: Callable[[float], float] | None = None,
    method: str = "forward",
    xlim: tuple[float, float] | None = None,
    h_range: tuple[float, float] = (1e-3, 2.0),
    label: str | None = None,
) -> TangentExplorer:
    """Explore the secant of width ``h`` approaching the tangent at ``x0``.

    Parameters
    ----------
    f : callable, optional
        A real function of one variable (default ``np.sin``). Vectorised functions draw
        faster, but any ``f(float) -> float`` works.
    x0 : float
        Point of tangency (control ``x0``, a slider over ``xlim``).
    h : float
        Secant width (control ``h``, a log slider over ``h_range``).
    df : callable, optional
        The exact derivative, if known; otherwise the tangent slope is a central difference
        at its optimal step (error about 1e-10).
    method : {"forward", "central", "backward"}
        Difference formula the secant illustrates (control ``method``).
    xlim : (lo, hi), optional
        Interval drawn and range of ``x0``; default ``x0 ± 3``.

    Returns
    -------
    TangentExplorer
        Readout: ``"x0 = 1, h = 0.5, forward: secant slope = 0.3120, tangent slope = 0.5403,
        error = 0.23"``.
    """
    if f is None:
        f, df = np.sin, (np.cos if df is None else df)
        label = label or "sin(x)"
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if df is not None and not callable(df):
        raise TypeError(f"df must be callable or None, got {type(df).__name__}")
    x0 = _number(x0, "x0")
    h = _number(h, "h")
    lo, hi = (x0 - 3.0, x0 + 3.0) if xlim is None else (_number(xlim[0], "xlim[0]"),
                                                        _number(xlim[1], "xlim[1]"))
    if not lo < x0 < hi:
        raise ValueError(f"x0 = {x0:g} must lie inside xlim = ({lo:g}, {hi:g})")
    hlo, hhi = (_number(h_range[0], "h_range[0]"), _number(h_range[1], "h_range[1]"))
    if not 0 < hlo < hhi:
        raise ValueError(f"h_range must satisfy 0 < lo < hi, got {h_range}")
    if not hlo <= h <= hhi:
        raise ValueError(f"h = {h:g} is outside h_range [{hlo:g}, {hhi:g}]")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)}, got {method!r}")
    ex = TangentExplorer(f, df, x0, h, method, (lo, hi), (hlo, hhi), label or "f(x)")
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- learning rate


def _default_quadratic() -> Quadratic:
    """f(x) = 5 x^2: L = 10, so 1/L = 0.1 and the stability limit 2/L = 0.2."""
    return Quadratic([[10.0]], [0.0])


def _oscillates(xs: np.ndarray) -> bool:
    """Do successive steps reverse direction (overshoot) in most of the first few steps?"""
    d = np.diff(xs[:12], axis=0)
    if len(d) < 2:
        return False
    turns = np.einsum("ij,ij->i", d[1:], d[:-1]) < 0
    return bool(turns.mean() > 0.5)


class LrExplorer(Explorer):
    """Gradient descent at one learning rate (see :func:`lr_explorer`)."""

    kind = "lr_explorer"

    def __init__(self, objective: Any, x0: np.ndarray, lr: float, steps: int,
                 lr_range: tuple[float, float], L: float | None, tol: float,
                 xlim: tuple[float, float] | None) -> None:
        self.objective, self.x0, self.steps, self.L, self.tol = objective, x0, steps, L, tol
        self.trajectory: optim.Trajectory | None = None
        self.n = x0.size
        controls = [_log_slider("lr", lr, *lr_range, step=0.02, tooltip="learning rate")]
        one_d = self.n == 1
        super().__init__(controls, figsize=(9.0, 3.8) if one_d else (6.5, 3.8))
        minimum = getattr(objective, "minimum", None)
        self._fstar = float(minimum) if minimum is not None and np.isfinite(minimum) else None
        f0 = float(objective(x0))
        gap0 = f0 - self._fstar if self._fstar is not None else f0
        self._log = gap0 > 0
        if one_d:
            ax_f, ax_l = self.figure.subplots(1, 2, width_ratios=[1.2, 1.0])
            self._draw_function(ax_f, xlim)
        else:
            ax_l = self.figure.add_subplot()
        self.ax_loss = ax_l
        ylabel = "f(x) − f*" if self._fstar is not None else "loss"
        ax_l.set_xlim(0, steps)
        if self._log:
            self._floor = gap0 * 1e-14
            ax_l.set_yscale("log")
            ax_l.set_ylim(self._floor, gap0 * 1e4)
        else:
            self._floor = -math.inf
            ax_l.set_ylim(f0 - abs(f0) - 1, f0 + 10 * abs(f0) + 1)
        ax_l.set_xlabel("step")
        ax_l.set_ylabel(ylabel)
        ax_l.grid(alpha=0.3)
        if L is not None:
            ax_l.set_title(f"stability limit 2/L = {fmt(2 / L)}", fontsize="medium")
        (self._loss_line,) = ax_l.plot([], [], color="C3", lw=1.6, marker=".", ms=3)
        self._animate(self._loss_line)

    def _draw_function(self, ax: Any, xlim: tuple[float, float] | None) -> None:
        obj, x0 = self.objective, float(self.x0[0])
        center = getattr(obj, "minimizer", None)
        c = float(np.asarray(center).reshape(-1)[0]) if center is not None else x0
        if xlim is None:
            r = 1.6 * max(abs(x0 - c), 1e-3)
            xlim = (c - r, c + r)
        self.ax_f = ax
        xs = np.linspace(xlim[0], xlim[1], 300)
        ys = _grid_values(lambda v: obj(np.asarray(v)[None]), xs)
        ax.plot(xs, ys, color="C0", lw=2, label="f(x)")
        finite = ys[np.isfinite(ys)]
        lo, hi = float(finite.min()), float(finite.max())
        ax.set_xlim(*xlim)
        ax.set_ylim(lo - 0.08 * (hi - lo), hi + 0.12 * (hi - lo))
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        ax.plot([x0], [float(obj(self.x0))], "o", color="black", ms=6, label="start")
        (self._path,) = ax.plot([], [], "-", color="C3", lw=1, alpha=0.8)
        (self._iterates,) = ax.plot([], [], "o", color="C3", ms=4, label="iterates")
        ax.legend(loc="upper center", fontsize="small")
        self._animate(self._path, self._iterates)

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr = values["lr"]
        traj = optim.minimize(self.objective, self.objective.grad, self.x0, optim.SGD(lr),
                              steps=self.steps, tol=self.tol)
        self.trajectory = traj
        gap = traj.losses - self._fstar if self._fstar is not None else traj.losses
        if self._log:
            gap = np.maximum(gap, self._floor)  # an exact 0 (lr = 1/L) sits on the floor
        self._loss_line.set_data(np.arange(len(gap)), gap)
        if self.n == 1:
            xs = traj.xs[:, 0]
            self._path.set_data(xs, traj.losses)
            self._iterates.set_data(xs, traj.losses)
        return self._describe(lr, traj)

    def _describe(self, lr: float, traj: optim.Trajectory) -> str:
        head = f"lr = {fmt(lr)}"
        if self.L is not None:
            limit = 2.0 / self.L
            rel = ">" if lr > limit else "<" if lr < limit else "="
            head += f" {rel} 2/L = {fmt(limit)}"
        if traj.diverged:
            return (f"{head}: diverged at step {traj.diverged_at} "
                    f"(loss = {_efmt(traj.diverged_value)})")
        style = "with oscillation (overshoots every step)" if _oscillates(traj.xs) else "smoothly"
        if traj.converged_at is not None:
            k = traj.converged_at
            return f"{head}: converges {style} in {k} step{'s' if k != 1 else ''}"
        first, last = traj.losses[0], traj.losses[-1]
        if self._fstar is not None:
            first, last = first - self._fstar, last - self._fstar
        if abs(last - first) <= 0.01 * abs(first):
            return (f"{head}: does not converge, it bounces back and forth at the same loss "
                    f"for {traj.steps} steps")
        if last > first:
            return (f"{head}: does not converge, the loss grew from {_efmt(first)} to "
                    f"{_efmt(last)} in {traj.steps} steps")
        return (f"{head}: still descending {style} after {traj.steps} steps "
                f"(loss = {_efmt(last)})")


def lr_explorer(
    objective: Any = None,
    x0: Any = None,
    lr: float = 0.05,
    steps: int = 60,
    *,
    lr_range: tuple[float, float] = (1e-3, 1.0),
    L: float | None = None,
    tol: float | None = None,
    xlim: tuple[float, float] | None = None,
) -> LrExplorer:
    """Gradient descent with a log-scale learning-rate slider.

    Parameters
    ----------
    objective : callable with ``.grad``, optional
        ``objective(x) -> float`` and ``objective.grad(x) -> array (n,)`` for x of shape (n,)
        (e.g. :class:`mathprog.functions.Quadratic`, or a least-squares loss). Default: the
        1-D quadratic f(x) = 5 x² (L = 10, stability limit 2/L = 0.2), where the three regimes
        are lr < 0.1 (smooth), 0.1 < lr < 0.2 (oscillating) and lr > 0.2 (diverging).
    x0 : array (n,), optional
        Start; default ``objective.x0`` if it has one, else ones.
    lr : float
        Initial learning rate (control ``lr``, a log slider over ``lr_range``).
    steps : int
        Maximum number of steps.
    L : float, optional
        Largest curvature (Lipschitz constant of the gradient); default ``objective.L`` if it
        has one. When known, the readout compares lr with the stability limit 2/L.
    tol : float, optional
        Gradient-norm tolerance that counts as converged; default 1e-6 × ‖∇f(x0)‖.
    xlim : (lo, hi), optional
        For 1-D objectives, the interval drawn (default centred on the minimiser).

    Figure: for n == 1 the function with the iterates, and f − f* against step (log
    scale); for n > 1 the loss curve only.

    Returns
    -------
    LrExplorer
        ``.trajectory`` is the last :class:`mathprog.optim.Trajectory`. Readouts:
        ``"lr = 0.05 < 2/L = 0.2: converges smoothly in 58 steps"``,
        ``"lr = 0.15 < 2/L = 0.2: converges with oscillation (overshoots every step) in 21 steps"``,
        ``"lr = 0.25 > 2/L = 0.2: diverged at step 51 (loss = 2.1e+07)"``.
    """
    if objective is None:
        objective = _default_quadratic()
        x0 = np.array([2.0]) if x0 is None else x0
    if not callable(objective) or not callable(getattr(objective, "grad", None)):
        raise TypeError("objective must be callable and have a .grad(x) method, got "
                        f"{type(objective).__name__}")
    if x0 is None:
        x0 = getattr(objective, "x0", None)
    if x0 is None:
        dim = getattr(objective, "dim", None)
        if not isinstance(dim, int):
            raise ValueError("x0 is required: the objective has neither .x0 nor .dim")
        x0 = np.ones(dim)
    x0 = np.array(x0, dtype=float).reshape(-1)
    if x0.size == 0 or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite point of shape (n,), got {x0!r}")
    steps = _steps(steps)
    lo, hi = _number(lr_range[0], "lr_range[0]"), _number(lr_range[1], "lr_range[1]")
    if not 0 < lo < hi:
        raise ValueError(f"lr_range must satisfy 0 < lo < hi, got {lr_range}")
    lr = _number(lr, "lr")
    if not lo <= lr <= hi:
        raise ValueError(f"lr = {lr:g} is outside lr_range [{lo:g}, {hi:g}]")
    if L is None:
        L = getattr(objective, "L", None)
    L = None if L is None else _number(L, "L")
    if L is not None and L <= 0:
        raise ValueError(f"L must be positive, got {L}")
    g0 = float(np.linalg.norm(objective.grad(x0)))
    if tol is None:
        tol = 1e-6 * g0 if g0 > 0 else 1e-12
    tol = _number(tol, "tol")
    if tol <= 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if xlim is not None:
        xlim = (_number(xlim[0], "xlim[0]"), _number(xlim[1], "xlim[1]"))
        if not xlim[0] < xlim[1]:
            raise ValueError(f"xlim must satisfy lo < hi, got {xlim}")
    ex = LrExplorer(objective, x0, lr, steps, (lo, hi), L, tol, xlim)
    ex.refresh()
    return ex


# ----------------------------------------------------------------------------- 2-D paths


_USES_BETA = ("momentum", "nesterov", "adam")


class PathExplorer(Explorer):
    """An optimizer's path on a contour plot (see :func:`path_explorer`)."""

    kind = "path_explorer"

    def __init__(self, objective: Any, x0: np.ndarray, lr: float, beta: float, optimizer: str,
                 steps: int, lr_range: tuple[float, float], tol: float,
                 compare: str | None, window: Any) -> None:
        self.objective, self.x0, self.steps, self.tol = objective, x0, steps, tol
        self.compare = compare
        self.trajectory: optim.Trajectory | None = None
        self.reference: optim.Trajectory | None = None
        self._cache: dict[tuple[str, float, float | None], optim.Trajectory] = {}
        controls = [
            _log_slider("lr", lr, *lr_range, step=0.02, tooltip="learning rate"),
            _lin_slider("beta", beta, 0.0, 0.99, 0.01, ".2f",
                        tooltip="momentum (Adam: beta1); ignored by sgd, adagrad, rmsprop"),
            _dropdown("optimizer", optimizer, tuple(optim.OPTIMIZERS)),
        ]
        super().__init__(controls, figsize=(6.4, 5.2))
        from mathprog.plotting import contour  # the static layer, drawn once

        ax = self.ax = self.figure.add_subplot()
        contour(objective, window, ax=ax, levels=25, resolution=160,
                minimizer=getattr(objective, "minimizer", None))
        ax.plot([x0[0]], [x0[1]], "o", color="black", ms=7, label="start")
        name = getattr(objective, "name", None)
        if name:
            ax.set_title(str(name), fontsize="medium")
        (self._ref,) = ax.plot([], [], "-", color="0.45", lw=1.2, alpha=0.9,
                               label=f"{compare} (same lr)" if compare else None)
        (self._path,) = ax.plot([], [], "-o", color="C3", lw=1.5, ms=2.5, label="path")
        (self._end,) = ax.plot([], [], "X", color="C3", mec="black", ms=9)
        ax.legend(loc="lower right", fontsize="small")
        self._animate(self._ref, self._path, self._end)

    def _run(self, name: str, lr: float, beta: float) -> optim.Trajectory:
        b = beta if name in _USES_BETA else None
        key = (name, lr, b)
        traj = self._cache.get(key)
        if traj is None:  # runs are deterministic: remember them (slider back and forth)
            opt = optim.make_optimizer(name, lr, beta=b)
            traj = optim.minimize(self.objective, self.objective.grad, self.x0, opt,
                                  steps=self.steps, tol=self.tol)
            if len(self._cache) >= 256:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = traj
        return traj

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr, beta, name = values["lr"], values["beta"], values["optimizer"]
        traj = self.trajectory = self._run(name, lr, beta)
        self._path.set_data(traj.xs[:, 0], traj.xs[:, 1])
        self._end.set_data(traj.xs[-1:, 0], traj.xs[-1:, 1])
        text = f"{name}, lr = {fmt(lr)}"
        if name in _USES_BETA:
            text += f", beta = {fmt(beta)}"
        text += ": " + self._describe(traj)
        if self.compare and self.compare != name:
            ref = self.reference = self._run(self.compare, lr, beta)
            self._ref.set_data(ref.xs[:, 0], ref.xs[:, 1])
            text += f" | {self.compare}: {self._describe(ref)}"
        else:
            self.reference = None
            self._ref.set_data([], [])
        return text

    def _describe(self, traj: optim.Trajectory) -> str:
        if traj.diverged:
            return (f"diverged at step {traj.diverged_at} "
                    f"(loss = {_efmt(traj.diverged_value)})")
        if traj.converged_at is not None:
            k = traj.converged_at
            return f"converged in {k} step{'s' if k != 1 else ''}"
        dist = float(np.linalg.norm(traj.xs[-1] - self.objective.minimizer)) if hasattr(
            self.objective, "minimizer") else None
        where = f", {_efmt(dist)} from the minimum" if dist is not None else ""
        return (f"not converged after {traj.steps} steps "
                f"(loss = {_efmt(traj.losses[-1])}{where})")


def path_explorer(
    objective: Any = None,
    x0: Any = None,
    lr: float = 0.5,
    beta: float = 0.9,
    optimizer: str = "momentum",
    steps: int = 250,
    *,
    lr_range: tuple[float, float] = (1e-4, 3.0),
    tol: float = 1e-6,
    compare: str | None = "sgd",
    window: Any = None,
) -> PathExplorer:
    """An optimizer's path over the contours of a 2-D objective.

    Parameters
    ----------
    objective : 2-D objective, optional
        Callable on x of shape (2,) with ``.grad``; contours are fastest when it also accepts
        a stacked grid (the objectives in :mod:`mathprog.functions` do). Default:
        ``Ravine(condition_number=50)``, a narrow valley where plain gradient descent zig-zags.
    x0 : array (2,), optional
        Start; default ``objective.x0``.
    lr, beta, optimizer : controls
        Learning rate (log slider over ``lr_range``), momentum β in [0, 0.99] (Adam's beta1;
        ignored by sgd, adagrad and rmsprop) and a name from ``mathprog.optim.OPTIMIZERS``.
    steps : int
        Maximum number of steps.
    tol : float
        Gradient-norm tolerance that counts as converged.
    compare : str or None
        Also draw this optimizer's path at the same lr, in grey (default plain "sgd").
    window : ((xmin, xmax), (ymin, ymax)), optional
        Default ``objective.window``.

    Returns
    -------
    PathExplorer
        ``.trajectory`` (and ``.reference`` for the comparison). Readout:
        ``"momentum, lr = 0.5, beta = 0.9: converged in 201 steps | sgd: not converged after
        250 steps (loss = 4.1e-04, 0.2 from the minimum)"``.
    """
    if objective is None:
        objective = Ravine(condition_number=50.0)
    if not callable(objective) or not callable(getattr(objective, "grad", None)):
        raise TypeError("objective must be callable and have a .grad(x) method, got "
                        f"{type(objective).__name__}")
    if x0 is None:
        x0 = getattr(objective, "x0", None)
        if x0 is None:
            raise ValueError("x0 is required: the objective has no .x0")
    x0 = np.array(x0, dtype=float).reshape(-1)
    if x0.shape != (2,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be a finite point of shape (2,), got {x0!r}")
    steps = _steps(steps)
    lo, hi = _number(lr_range[0], "lr_range[0]"), _number(lr_range[1], "lr_range[1]")
    if not 0 < lo < hi:
        raise ValueError(f"lr_range must satisfy 0 < lo < hi, got {lr_range}")
    lr = _number(lr, "lr")
    if not lo <= lr <= hi:
        raise ValueError(f"lr = {lr:g} is outside lr_range [{lo:g}, {hi:g}]")
    beta = _number(beta, "beta")
    if not 0 <= beta <= 0.99:
        raise ValueError(f"beta must lie in [0, 0.99], got {beta:g}")
    if not isinstance(optimizer, str) or optimizer.lower() not in optim.OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(optim.OPTIMIZERS)}, got {optimizer!r}")
    if compare is not None and compare not in optim.OPTIMIZERS:
        raise ValueError(f"compare must be None or one of {list(optim.OPTIMIZERS)}, "
                         f"got {compare!r}")
    tol = _number(tol, "tol")
    if tol <= 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if window is None:
        window = getattr(objective, "window", None)
    if window is None:
        raise ValueError("window is required: the objective has no .window")
    ex = PathExplorer(objective, x0, lr, beta, optimizer.lower(), steps, (lo, hi), tol,
                      compare, window)
    ex.refresh()
    return ex
