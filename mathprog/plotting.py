"""Reusable figures for the notebooks: pure functions that take data and return Axes.

Every function draws on the ``ax`` it is given, or on a new figure made with
:func:`matplotlib.pyplot.subplots` when ``ax`` is None, and returns the Axes (``ax.figure``
is the Figure). Nothing here computes mathematics beyond evaluating a function on a grid;
the numbers come from the caller (usually :mod:`mathprog.derivatives` or
:mod:`mathprog.optim`).

Figures
-------
function_with_tangent    f, its tangent at x0 and (optionally) a secant of width h
error_vs_h               finite-difference error against step size, log-log, best h marked
contour                  level sets of a 2-D function (log-spaced by default)
contour_with_paths       level sets with one or more labelled optimisation paths
curves / loss_curves     several labelled curves, optionally on a log scale
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

__all__ = ["evaluate_grid", "function_with_tangent", "error_vs_h", "contour", "contour_with_paths",
           "curves", "loss_curves"]

Window = tuple[tuple[float, float], tuple[float, float]]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _interval(xlim: Any, name: str = "xlim") -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in xlim)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair of numbers (lo, hi), got {xlim!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with lo < hi, got ({lo}, {hi})")
    return lo, hi


def _window(window: Any) -> Window:
    try:
        xw, yw = window
    except (TypeError, ValueError):
        raise TypeError(
            f"window must be ((xmin, xmax), (ymin, ymax)), got {window!r}"
        ) from None
    return _interval(xw, "window[0]"), _interval(yw, "window[1]")


def _labelled(data: Any, name: str, ndim: int) -> list[tuple[str | None, np.ndarray]]:
    """Normalise one array, a list of arrays or a mapping label -> array to (label, array)."""
    if isinstance(data, Mapping):
        items: list[tuple[str | None, Any]] = [(str(k), v) for k, v in data.items()]
    else:
        try:
            arr = np.asarray(data, dtype=float)
        except (TypeError, ValueError):  # ragged: a list of arrays of different lengths
            arr = None
        if arr is not None and arr.ndim == ndim:
            items = [(None, arr)]
        elif arr is not None and arr.ndim == ndim + 1:
            items = [(None, a) for a in arr]
        elif isinstance(data, Sequence):
            items = [(None, v) for v in data]
        else:
            raise TypeError(
                f"{name} must be an array, a list of arrays or a dict label -> array, "
                f"got {type(data).__name__}"
            )
    if not items:
        raise ValueError(f"{name} is empty")
    out = []
    for label, v in items:
        arr = np.asarray(v, dtype=float)
        if arr.ndim != ndim:
            where = "" if label is None else f"[{label!r}]"
            raise ValueError(
                f"{name}{where} must have {ndim} dimension(s), got shape {arr.shape}"
            )
        out.append((label, arr))
    return out


def evaluate_grid(f: Callable[[np.ndarray], Any], window: Window,
        resolution: int = 200)-> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a 2-D function on a regular grid.

    Parameters
    ----------
    f : callable
        Takes x of shape (2,) and returns a float. If it also accepts a stacked grid of shape
        (2, ny, nx) and returns shape (ny, nx) (the objectives in :mod:`mathprog.functions`
        do), the grid is evaluated in one call; otherwise point by point.
    window : ((xmin, xmax), (ymin, ymax))
    resolution : int
        Grid points along each axis.

    Returns
    -------
    X, Y, Z : arrays of shape (resolution, resolution)
    """
    (x0, x1), (y0, y1) = _window(window)
    if int(resolution) < 2:
        raise ValueError(f"resolution must be >= 2, got {resolution}")
    n = int(resolution)
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = None
    try:
        with np.errstate(all="ignore"):
            Z = np.asarray(f(np.stack([X, Y])), dtype=float)
    except (TypeError, ValueError, IndexError):
        Z = None
    if Z is None or Z.shape != X.shape:
        with np.errstate(all="ignore"):
            Z = np.array([float(f(np.array([x, y]))) for x, y in zip(X.ravel(), Y.ravel(),
                                                                          strict=True)])
        Z = Z.reshape(X.shape)
    return X, Y, Z


def _plot_function(f: Callable[[np.ndarray], Any], xlim: tuple[float, float], *,
        ax: Axes | None = None, num: int = 400, label: str | None = None, **line_kw: Any)-> Axes:
    """Plot ``f`` on the interval ``xlim`` (f is called on an array, or point by point)."""
    ax = _axes(ax)
    lo, hi = _interval(xlim)
    xs = np.linspace(lo, hi, int(num))
    try:
        ys = np.asarray(f(xs), dtype=float)
        if ys.shape != xs.shape:
            raise ValueError
    except (TypeError, ValueError):
        ys = np.array([float(f(x)) for x in xs])
    line_kw.setdefault("color", "C0")
    ax.plot(xs, ys, label=label, **line_kw)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    return ax


def function_with_tangent(f: Callable[[float], Any], x0: float, slope: float, *,
        xlim: tuple[float, float] | None = None, h: float | None = None, ax: Axes | None = None,
        label: str = "f(x)")-> Axes:
    """Plot f, its tangent line at ``x0`` with the given ``slope``, and a secant.

    Parameters
    ----------
    f : callable
    x0 : float
        Point of tangency.
    slope : float
        f'(x0) (computed by the caller, e.g. with :func:`mathprog.derivatives.complex_step`).
    xlim : (lo, hi), optional
        Interval to draw; default ``x0 ± 2``.
    h : float, optional
        When given, also draw the forward secant through (x0, f(x0)) and (x0 + h, f(x0 + h)).
    """
    x0 = float(x0)
    lo, hi = _interval(xlim if xlim is not None else (x0 - 2.0, x0 + 2.0))
    ax = _plot_function(f, (lo, hi), ax=ax, label=label)
    ymin, ymax = ax.get_ylim()  # the function's range: the straight lines must not widen it
    y0 = float(f(x0))
    xs = np.array([lo, hi])
    ax.plot(xs, y0 + slope * (xs - x0), color="C3", lw=1.5,
            label=f"tangent, slope {slope:.4g}")
    if h is not None:
        x1 = x0 + float(h)
        y1 = float(f(x1))
        s = (y1 - y0) / float(h)
        ax.plot(xs, y0 + s * (xs - x0), color="C2", lw=1.2, ls="--",
                label=f"secant, h = {float(h):.3g}, slope {s:.4g}")
        ax.plot([x1], [y1], "o", color="C2")
    ax.plot([x0], [y0], "o", color="C3")
    ax.set_ylim(ymin, ymax)
    ax.legend(loc="best", fontsize="small")
    return ax


def error_vs_h(hs: ArrayLike, errors: Mapping[str, ArrayLike], *,
        mark_best: bool | Sequence[str] | Mapping[str, float] = True,
        references: Mapping[str, float] | None = None, ax: Axes | None = None, floor: float = 1e-18,
        legend_loc: str = "best")-> Axes:
    """Absolute error of derivative estimates against the step size h, on log-log axes.

    Parameters
    ----------
    hs : array (k,)
        Step sizes.
    errors : dict label -> array (k,)
        Absolute error of each method at each h. Zeros are drawn at ``floor`` (log axes
        cannot show 0).
    mark_best : bool, list of labels, or dict label -> h
        Mark each method's smallest error (its measured optimal h); or only the methods
        listed; or, with a dict, the point of each curve at the given h (e.g. a best step
        found on a smoothed curve).
    references : dict label -> h, optional
        Vertical dotted lines, e.g. the theoretical optimal steps {"√ε": 1.5e-8}.
    """
    ax = _axes(ax, (7.0, 4.5))
    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 1 or np.any(hs <= 0):
        raise ValueError("hs must be a 1-D array of positive step sizes")
    for i, (label, err) in enumerate(_labelled(dict(errors), "errors", 1)):
        if err.shape != hs.shape:
            raise ValueError(f"errors[{label!r}] has shape {err.shape}, hs has {hs.shape}")
        err = np.maximum(np.abs(err), floor)
        color = f"C{i}"
        ax.loglog(hs, err, color=color, label=label, lw=1.4)
        if isinstance(mark_best, Mapping):
            if label not in mark_best:
                continue
            k = int(np.argmin(np.abs(np.log(hs) - np.log(float(mark_best[label])))))
        elif mark_best is True or (not isinstance(mark_best, bool) and label in mark_best):
            k = int(np.argmin(err))
        else:
            continue
        ax.loglog(hs[k], err[k], "o", color=color, ms=7, mec="black", zorder=4)
    for j, (label, h) in enumerate((references or {}).items()):
        ax.axvline(float(h), color="0.4", ls=":", lw=1)
        ax.annotate(label, (float(h), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -12 - 12 * j), textcoords="offset points", fontsize="small",
                    color="0.3")
    ax.set_xlabel("step size h")
    ax.set_ylabel("absolute error")
    ax.grid(alpha=0.3, which="major")
    ax.legend(loc=legend_loc, fontsize="small")
    return ax


def _levels(Z: np.ndarray, levels: int | ArrayLike, log_levels: bool) -> np.ndarray:
    if not isinstance(levels, (int, np.integer)):
        return np.asarray(levels, dtype=float)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("the function is not finite anywhere in the window")
    zmin, zmax = float(finite.min()), float(np.percentile(finite, 99))
    span = zmax - zmin
    if span <= 0:
        return np.array([zmin])
    if log_levels:
        # Geometric spacing above the minimum: equal room for the valley floor and the walls.
        lo = max(float(np.percentile(finite - zmin, 0.5)), span * 1e-5)
        return zmin + np.geomspace(lo, span, int(levels))
    return np.linspace(zmin, zmax, int(levels) + 2)[1:-1]


def contour(f: Callable[[np.ndarray], Any], window: Window, *, ax: Axes | None = None,
        levels: int | ArrayLike = 20, log_levels: bool = True, resolution: int = 200,
        filled: bool = False, minimizer: ArrayLike | None = None, cmap: str = "viridis")-> Axes:
    """Level sets of a 2-D function ``f`` over ``window``.

    Parameters
    ----------
    levels : int or array
        Number of levels, or the levels themselves.
    log_levels : bool
        With an integer ``levels``, space them geometrically above the minimum (shows both
        the valley and the walls of functions like Rosenbrock).
    filled : bool
        Filled contours instead of lines.
    minimizer : array (2,), optional
        Marked with a star.
    """
    ax = _axes(ax, (6.0, 5.0))
    X, Y, Z = evaluate_grid(f, window, resolution)
    lv = _levels(Z, levels, log_levels)
    if filled:
        ax.contourf(X, Y, Z, levels=np.concatenate([lv, [np.inf]]), cmap=cmap, alpha=0.8)
    else:
        ax.contour(X, Y, Z, levels=lv, cmap=cmap, linewidths=0.8)
    if minimizer is not None:
        m = np.asarray(minimizer, dtype=float)
        ax.plot([m[0]], [m[1]], "*", color="black", ms=12, label="minimum", zorder=5)
    (x0, x1), (y0, y1) = _window(window)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def contour_with_paths(f: Callable[[np.ndarray], Any],
        paths: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        window: Window | None = None, ax: Axes | None = None, levels: int | ArrayLike = 20,
        log_levels: bool = True, resolution: int = 200, minimizer: ArrayLike | None = None,
        markers: bool = True, legend: bool = True)-> Axes:
    """Level sets of ``f`` with optimisation paths drawn on top.

    Parameters
    ----------
    f : callable
        2-D function (see :func:`evaluate_grid`).
    paths : array (k, 2), list of arrays, or dict label -> array (k, 2)
        Iterates, e.g. ``Trajectory.xs``. Points outside the window are clipped, so a
        diverging path leaves the picture instead of rescaling it.
    window : ((xmin, xmax), (ymin, ymax)), optional
        Default: ``f.window`` if f has one, else the paths' bounding box with a margin.
    minimizer : array (2,), optional
        Default: ``f.minimizer`` if f has one.
    markers : bool
        Dots at each iterate (turn off for very long paths).
    """
    items = _labelled(paths, "paths", 2)
    for label, p in items:
        if p.shape[1] != 2:
            raise ValueError(f"each path must have shape (k, 2), got {p.shape}"
                             + ("" if label is None else f" for {label!r}"))
    if window is None:
        window = getattr(f, "window", None)
    if window is None:
        pts = np.concatenate([p[np.all(np.isfinite(p), axis=1)] for _, p in items])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.15 * (hi - lo), 0.5)
        window = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    if minimizer is None:
        minimizer = getattr(f, "minimizer", None)
    ax = contour(f, window, ax=ax, levels=levels, log_levels=log_levels,
                 resolution=resolution, minimizer=minimizer)
    colors = ["C3", "C1", "C0", "C4", "C5", "C6", "C2"]
    for i, (label, p) in enumerate(items):
        color = colors[i % len(colors)]
        ax.plot(p[:, 0], p[:, 1], "-", color=color, lw=1.5, label=label,
                marker="." if markers else None, ms=4)
        ax.plot(p[:1, 0], p[:1, 1], "o", color=color, mec="black", ms=7)
    if legend and any(label is not None for label, _ in items):
        ax.legend(loc="best", fontsize="small")
    return ax


def curves(data: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        x: ArrayLike | Mapping[str, ArrayLike] | None = None, log: bool = False, logx: bool = False,
        ax: Axes | None = None, xlabel: str = "", ylabel: str = "", title: str | None = None,
        markers: bool = False, styles: Mapping[str, Mapping[str, Any]] | None = None)-> Axes:
    """Several labelled curves on one Axes.

    Parameters
    ----------
    data : array (k,), list of arrays, or dict label -> array
        The y values. Curves may have different lengths (a run that stopped early).
    x : array or dict label -> array, optional
        Shared x values (default 0, 1, 2, ...), or one per label.
    log, logx : bool
        Log scale on y / x. Non-positive values are left out of a log axis.
    styles : dict label -> matplotlib keyword arguments, optional
    """
    ax = _axes(ax)
    for i, (label, y) in enumerate(_labelled(data, "data", 1)):
        if isinstance(x, Mapping):
            xs = np.asarray(x[label], dtype=float)
        elif x is not None:
            xs = np.asarray(x, dtype=float)[: len(y)]
        else:
            xs = np.arange(len(y))
        if xs.shape != y.shape:
            raise ValueError(f"x has {xs.shape[0]} values but curve {label!r} has {len(y)}")
        kw: dict[str, Any] = {"color": f"C{i}", "lw": 1.5}
        if markers:
            kw["marker"] = "o"
            kw["ms"] = 4
        kw.update((styles or {}).get(label, {}) if label is not None else {})
        y = np.where(np.isfinite(y) & ((y > 0) | (not log)), y, np.nan)
        ax.plot(xs, y, label=label, **kw)
    if log:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if any(line.get_label() and not line.get_label().startswith("_") for line in ax.lines):
        ax.legend(loc="best", fontsize="small")
    return ax


def loss_curves(losses: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        x: ArrayLike | Mapping[str, ArrayLike] | None = None, log: bool = True,
        ax: Axes | None = None, xlabel: str = "step", ylabel: str = "loss",
        title: str | None = None, styles: Mapping[str, Mapping[str, Any]] | None = None)-> Axes:
    """Loss against step (or epoch) for one or more labelled runs, log scale by default.

    A run that diverged simply ends (non-finite values are not drawn); say so in the title
    or the legend label, e.g. ``{"lr = 0.3 (diverged at step 12)": losses}``.
    """
    return curves(losses, x=x, log=log, ax=ax, xlabel=xlabel, ylabel=ylabel, title=title,
                  styles=styles)
