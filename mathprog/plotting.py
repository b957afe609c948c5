"""Reusable figures for the notebooks: each draws on ``ax`` (or a new figure) and
returns the Axes; the mathematics comes from the caller (:mod:`mathprog.derivatives`,
:mod:`mathprog.optim`, ...). pyplot is imported only when a new figure is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from mathprog import _checks as check

__all__ = ["evaluate_grid", "function_with_tangent", "error_vs_h", "contour_with_paths",
           "curves", "loss_curves", "on_points"]

Window = tuple[tuple[float, float], tuple[float, float]]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _labelled(data: Any, name: str, ndim: int) -> list[tuple[str | None, np.ndarray]]:
    """A dict label -> array, a list of arrays or one array, as (label, array) pairs."""
    if isinstance(data, Mapping):
        items: list[tuple[str | None, Any]] = [(str(k), v) for k, v in data.items()]
    elif not isinstance(data, (np.ndarray, Sequence)):
        raise TypeError(f"{name} must be an array, a list of arrays or a dict label -> "
                        f"array, got {type(data).__name__}")
    elif len(data) and np.ndim(data[0]) == ndim:  # a list of arrays (or rows of one)
        items = [(None, v) for v in data]
    else:
        items = [(None, data)]
    if not items:
        raise ValueError(f"{name} is empty")
    return [(label, check.array(v, name if label is None else f"{name}[{label!r}]", ndim=ndim,
                                finite=False, empty=True)) for label, v in items]


def on_points(f: Callable, xs: np.ndarray) -> np.ndarray:
    """``f`` at an array of numbers, or of points stacked along axis 0: in one call if ``f``
    is vectorised, else point by point."""
    shape = xs.shape[1:] if xs.ndim > 2 else xs.shape
    with np.errstate(all="ignore"):
        try:
            if (ys := np.asarray(f(xs), dtype=float)).shape == shape:
                return ys
        except (TypeError, ValueError, IndexError):
            pass
        pts = xs.reshape(len(xs), -1).T if xs.ndim > 2 else xs
        return np.array([float(f(p)) for p in pts]).reshape(shape)


def evaluate_grid(f: Callable[[np.ndarray], Any], window: Window,
        resolution: int = 200)-> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X, Y, Z``, each ``(resolution, resolution)``: a 2-D ``f`` on a grid over ``window``."""
    if not isinstance(window, (Sequence, np.ndarray)) or len(window) != 2:
        raise TypeError(f"window must be ((xmin, xmax), (ymin, ymax)), got {window!r}")
    (x0, x1), (y0, y1) = (check.interval(w, f"window[{i}]") for i, w in enumerate(window))
    n = check.integer(resolution, "resolution", 2)
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return X, Y, on_points(f, np.stack([X, Y]))


def function_with_tangent(f: Callable[[float], Any], x0: float, slope: float, *,
        xlim: tuple[float, float], ax: Axes | None = None, label: str = "f(x)")-> Axes:
    """``f`` on ``xlim`` and its tangent of ``slope`` at ``x0`` (notebooks 01 and 03)."""
    x0 = check.number(x0, "x0")
    lo, hi = check.interval(xlim, "xlim")
    ax = _axes(ax)
    xs = np.linspace(lo, hi, 400)
    ax.plot(xs, on_points(f, xs), color="C0", label=label)
    ax.set(xlim=(lo, hi), xlabel="x")
    ax.grid(alpha=0.3)
    ymin, ymax = ax.get_ylim()  # the function's range: the straight lines must not widen it
    y0 = float(f(x0))
    xs = np.array([lo, hi])
    ax.plot(xs, y0 + slope * (xs - x0), color="C3", lw=1.5, label=f"tangent, slope {slope:.4g}")
    ax.plot([x0], [y0], "o", color="C3")
    ax.set_ylim(ymin, ymax)
    ax.legend(loc="best", fontsize="small")
    return ax


def error_vs_h(hs: ArrayLike, errors: Mapping[str, ArrayLike], *,
        mark_best: bool = True, references: Mapping[str, float] | None = None,
        ax: Axes | None = None)-> Axes:
    """Absolute error of derivative estimates against the step h, log-log.

    Parameters
    ----------
    hs : array (k,) of positive steps
    errors : dict label -> array (k,); zeros are drawn at 1e-18
    mark_best : bool; a dot at each curve's smallest error
    references : dict label -> h, optional; dotted vertical lines, e.g. {"√ε": 1.5e-8}
    """
    if not isinstance(mark_best, (bool, np.bool_)):
        raise TypeError(f"mark_best must be True or False, got {mark_best!r}")
    ax = _axes(ax, (7.0, 4.5))
    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 1 or np.any(hs <= 0):
        raise ValueError("hs must be a 1-D array of positive step sizes")
    for i, (label, err) in enumerate(_labelled(dict(errors), "errors", 1)):
        if err.shape != hs.shape:
            raise ValueError(f"errors[{label!r}] has shape {err.shape}, hs has {hs.shape}")
        err = np.maximum(np.abs(err), 1e-18)
        ax.loglog(hs, err, color=f"C{i}", label=label, lw=1.4)
        if mark_best:
            k = int(np.argmin(err))
            ax.loglog(hs[k], err[k], "o", color=f"C{i}", ms=7, mec="black", zorder=4)
    for j, (label, h) in enumerate((references or {}).items()):
        ax.axvline(float(h), color="0.4", ls=":", lw=1)
        ax.annotate(label, (float(h), 1.0), xycoords=("data", "axes fraction"), color="0.3",
                    xytext=(2, -12 - 12 * j), textcoords="offset points", fontsize="small")
    ax.set(xlabel="step size h", ylabel="absolute error")
    ax.grid(alpha=0.3, which="major")
    ax.legend(loc="best", fontsize="small")
    return ax


def _levels(Z: np.ndarray, n: int) -> np.ndarray:
    """``n`` levels, geometric above the minimum: room for the valley floor and the walls."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("the function is not finite anywhere in the window")
    zmin, zmax = float(finite.min()), float(np.percentile(finite, 99))
    span = zmax - zmin
    if span <= 0:
        return np.array([zmin])
    lo = max(float(np.percentile(finite - zmin, 0.5)), span * 1e-5)
    return zmin + np.geomspace(lo, span, n)


def contour_with_paths(f: Callable[[np.ndarray], Any],
        paths: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        window: Window | None = None, ax: Axes | None = None, levels: int = 20,
        resolution: int = 200)-> Axes:
    """Level sets of a 2-D ``f`` (log-spaced above the minimum) with optimisation paths on top.

    Parameters
    ----------
    f : callable on points (2,), ideally on stacked grids too; ``f.minimizer`` gets a star
    paths : array (k, 2), list of arrays, or dict label -> array (k, 2); clipped to the window
    window : ((xmin, xmax), (ymin, ymax)); default ``f.window``
    levels : int; how many levels
    """
    items = _labelled(paths, "paths", 2)
    if any(p.shape[1] != 2 for _, p in items):
        raise ValueError(f"paths must have shape (k, 2) each, got {[p.shape for _, p in items]}")
    if (window := getattr(f, "window", None) if window is None else window) is None:
        raise ValueError("window is required: f has no .window")
    ax = _axes(ax, (6.0, 5.0))
    X, Y, Z = evaluate_grid(f, window, resolution)
    n = check.integer(levels, "levels", 1)
    ax.contour(X, Y, Z, levels=_levels(Z, n), cmap="viridis", linewidths=0.8)
    if (m := getattr(f, "minimizer", None)) is not None:
        ax.plot([m[0]], [m[1]], "*", color="black", ms=12, label="minimum", zorder=5)
    ax.set(xlim=(X[0, 0], X[0, -1]), ylim=(Y[0, 0], Y[-1, 0]), xlabel="$x_1$", ylabel="$x_2$")
    colors = ["C3", "C1", "C0", "C4", "C5", "C6", "C2"]
    for i, (label, p) in enumerate(items):
        color = colors[i % len(colors)]
        ax.plot(p[:, 0], p[:, 1], ".-", color=color, lw=1.5, label=label, ms=4)
        ax.plot(p[:1, 0], p[:1, 1], "o", color=color, mec="black", ms=7)
    if any(label is not None for label, _ in items):
        ax.legend(loc="best", fontsize="small")
    return ax


def curves(data: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        x: ArrayLike | Mapping[str, ArrayLike] | None = None, log: bool = False,
        ax: Axes | None = None, xlabel: str = "", ylabel: str = "", title: str = "",
        markers: bool = False, styles: Mapping[str, Mapping[str, Any]] | None = None)-> Axes:
    """Several labelled curves on one Axes; they may differ in length.

    Parameters
    ----------
    data : array (k,), list of arrays, or dict label -> array
    x : array or dict label -> array, optional (default 0, 1, 2, ...)
    log : bool; log scale on y (non-positive values are left out)
    styles : dict label -> matplotlib keyword arguments, optional
    """
    ax = _axes(ax)
    for i, (label, y) in enumerate(_labelled(data, "data", 1)):
        if isinstance(x, Mapping):
            xs = np.asarray(x[label], dtype=float)
        else:  # one x for all: a shorter curve (a diverged run) takes its start
            xs = np.arange(len(y)) if x is None else np.asarray(x, dtype=float)[: len(y)]
        if xs.shape != y.shape:
            raise ValueError(f"x has {xs.shape[0]} values but curve {label!r} has {len(y)}")
        kw: dict[str, Any] = {"color": f"C{i}", "lw": 1.5}
        kw.update({"marker": "o", "ms": 4} if markers else {})
        kw.update((styles or {}).get(label, {}))
        y = np.where(np.isfinite(y) & ((y > 0) | (not log)), y, np.nan)
        ax.plot(xs, y, label=label, **kw)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if any(line.get_label() and not line.get_label().startswith("_") for line in ax.lines):
        ax.legend(loc="best", fontsize="small")
    return ax


def loss_curves(losses: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike, *,
        log: bool = True, xlabel: str = "step", ylabel: str = "loss", **kwargs: Any)-> Axes:
    """Loss against step for labelled runs, log scale; a diverged run simply ends. The other
    keyword arguments are those of :func:`curves`."""
    return curves(losses, log=log, xlabel=xlabel, ylabel=ylabel, **kwargs)
