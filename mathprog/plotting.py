"""Reusable figures for the notebooks: pure functions that take data and return Axes.

Every function draws on the ``ax`` it is given, or on a new figure made with
:func:`matplotlib.pyplot.subplots` when ``ax`` is None, and returns the Axes (``ax.figure``
is the Figure). Nothing here computes mathematics beyond evaluating a function on a grid;
the numbers come from the caller (usually :mod:`mathprog.derivatives` or
:mod:`mathprog.optim`).

Figures
-------
plot_function            a 1-D function on an interval
function_with_tangent    f, its tangent at x0 and (optionally) a secant of width h
error_vs_h               finite-difference error against step size, log-log, best h marked
contour                  level sets of a 2-D function (log-spaced by default)
contour_with_paths       level sets with one or more labelled optimisation paths
gradient_field           level sets with gradient arrows (perpendicular to them)
curves / loss_curves     several labelled curves, optionally on a log scale
directional_derivative   D_u f as a function of the direction's angle
computational_graph      a small expression graph, layered left to right
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

__all__ = [
    "evaluate_grid",
    "plot_function",
    "function_with_tangent",
    "error_vs_h",
    "contour",
    "contour_with_paths",
    "gradient_field",
    "curves",
    "loss_curves",
    "directional_derivative",
    "computational_graph",
]

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


def evaluate_grid(
    f: Callable[[np.ndarray], Any], window: Window, resolution: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def plot_function(
    f: Callable[[np.ndarray], Any],
    xlim: tuple[float, float],
    *,
    ax: Axes | None = None,
    num: int = 400,
    label: str | None = None,
    **line_kw: Any,
) -> Axes:
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


def function_with_tangent(
    f: Callable[[float], Any],
    x0: float,
    slope: float,
    *,
    xlim: tuple[float, float] | None = None,
    h: float | None = None,
    ax: Axes | None = None,
    label: str = "f(x)",
) -> Axes:
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
    ax = plot_function(f, (lo, hi), ax=ax, label=label)
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


def error_vs_h(
    hs: ArrayLike,
    errors: Mapping[str, ArrayLike],
    *,
    mark_best: bool | Sequence[str] | Mapping[str, float] = True,
    references: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    floor: float = 1e-18,
    legend_loc: str = "best",
) -> Axes:
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


def contour(
    f: Callable[[np.ndarray], Any],
    window: Window,
    *,
    ax: Axes | None = None,
    levels: int | ArrayLike = 20,
    log_levels: bool = True,
    resolution: int = 200,
    filled: bool = False,
    minimizer: ArrayLike | None = None,
    cmap: str = "viridis",
) -> Axes:
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


def contour_with_paths(
    f: Callable[[np.ndarray], Any],
    paths: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike,
    *,
    window: Window | None = None,
    ax: Axes | None = None,
    levels: int | ArrayLike = 20,
    log_levels: bool = True,
    resolution: int = 200,
    minimizer: ArrayLike | None = None,
    markers: bool = True,
    legend: bool = True,
) -> Axes:
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


def gradient_field(
    f: Callable[[np.ndarray], Any],
    grad: Callable[[np.ndarray], Any],
    window: Window,
    *,
    ax: Axes | None = None,
    density: int = 13,
    normalize: bool = True,
    levels: int | ArrayLike = 15,
    log_levels: bool = False,
) -> Axes:
    """Level sets of ``f`` with arrows of ``grad`` on a coarse grid.

    Parameters
    ----------
    grad : callable
        Takes x of shape (2,) and returns the gradient, shape (2,).
    density : int
        Arrows along each axis.
    normalize : bool
        Draw unit arrows (direction only): the gradient's size varies too much to show
        both direction and length legibly. Arrow colour then encodes the magnitude.
    """
    ax = contour(f, window, ax=ax, levels=levels, log_levels=log_levels)
    (x0, x1), (y0, y1) = _window(window)
    n = int(density)
    gx, gy = np.meshgrid(np.linspace(x0, x1, n + 2)[1:-1], np.linspace(y0, y1, n + 2)[1:-1])
    G = np.array([np.asarray(grad(np.array([a, b])), dtype=float)
                  for a, b in zip(gx.ravel(), gy.ravel(), strict=True)])
    mag = np.hypot(G[:, 0], G[:, 1])
    U, V = G[:, 0], G[:, 1]
    if normalize:
        safe = np.where(mag > 0, mag, 1.0)
        U, V = U / safe, V / safe
    q = ax.quiver(gx.ravel(), gy.ravel(), U, V, mag, cmap="magma", angles="xy",
                  pivot="tail", width=0.004, scale=n * 1.3 if normalize else None)
    ax.figure.colorbar(q, ax=ax, label="‖∇f‖", shrink=0.8)
    ax.set_aspect("equal")
    return ax


def curves(
    data: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike,
    *,
    x: ArrayLike | Mapping[str, ArrayLike] | None = None,
    log: bool = False,
    logx: bool = False,
    ax: Axes | None = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    markers: bool = False,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Axes:
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


def loss_curves(
    losses: Mapping[str, ArrayLike] | Sequence[ArrayLike] | ArrayLike,
    *,
    x: ArrayLike | Mapping[str, ArrayLike] | None = None,
    log: bool = True,
    ax: Axes | None = None,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Axes:
    """Loss against step (or epoch) for one or more labelled runs, log scale by default.

    A run that diverged simply ends (non-finite values are not drawn); say so in the title
    or the legend label, e.g. ``{"lr = 0.3 (diverged at step 12)": losses}``.
    """
    return curves(losses, x=x, log=log, ax=ax, xlabel=xlabel, ylabel=ylabel, title=title,
                  styles=styles)


def directional_derivative(
    angles: ArrayLike,
    values: ArrayLike,
    *,
    gradient: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The directional derivative D_u f against the angle of the unit vector u.

    Parameters
    ----------
    angles : array (k,)
        Angles of u in radians.
    values : array (k,)
        D_u f at each angle (computed by the caller).
    gradient : array (2,), optional
        When given, mark its angle (steepest ascent, maximum = ‖∇f‖) and the opposite angle
        (steepest descent, minimum = -‖∇f‖).
    """
    ax = _axes(ax, (7.0, 3.8))
    a = np.asarray(angles, dtype=float)
    v = np.asarray(values, dtype=float)
    if a.shape != v.shape or a.ndim != 1:
        raise ValueError(f"angles and values must be 1-D of equal length, got {a.shape}, {v.shape}")
    ax.plot(np.degrees(a), v, color="C0", lw=1.8, label="$D_u f$ (measured)")
    ax.axhline(0.0, color="0.5", lw=0.8)
    if gradient is not None:
        g = np.asarray(gradient, dtype=float)
        norm = float(np.hypot(g[0], g[1]))
        up = float(np.degrees(np.arctan2(g[1], g[0]))) % 360.0
        down = (up + 180.0) % 360.0
        ax.axvline(up, color="C3", ls="--", lw=1, label=f"direction of ∇f ({up:.1f}°)")
        ax.axvline(down, color="C2", ls="--", lw=1, label=f"direction of −∇f ({down:.1f}°)")
        ax.axhline(norm, color="C3", ls=":", lw=1, label=f"+‖∇f‖ = {norm:.3g}")
        ax.axhline(-norm, color="C2", ls=":", lw=1, label=f"−‖∇f‖ = {-norm:.3g}")
    ax.set_xlabel("angle of u (degrees)")
    ax.set_ylabel("directional derivative")
    ax.set_xticks(np.arange(0, 361, 45))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering from the sources (deterministic, no randomness)."""
    layer = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # relax edges; a DAG settles within len(nodes) passes
        changed = False
        for src, dst in edges:
            if layer[dst] < layer[src] + 1:
                layer[dst] = layer[src] + 1
                changed = True
        if not changed:
            return layer
    raise ValueError("edges contain a cycle: a computational graph must be acyclic")


def computational_graph(
    nodes: Mapping[str, str],
    edges: Sequence[tuple[str, str] | tuple[str, str, str]],
    *,
    ax: Axes | None = None,
    highlight: Sequence[str] = (),
    title: str | None = None,
) -> Axes:
    """Draw a small computational graph left to right with matplotlib only.

    Parameters
    ----------
    nodes : dict id -> label
        Label text for each node (may span lines, e.g. "g = x²\\n= 4.0").
    edges : list of (src, dst) or (src, dst, label)
        Data flows src -> dst; an edge label (e.g. the local derivative) is written on it.
    highlight : node ids to draw in a different colour (e.g. the inputs).

    Layout: each node sits in the column given by its longest path from an input, and
    nodes in a column keep the order of ``nodes``, so the picture is the same every run.
    """
    ids = list(nodes)
    pairs = []
    for e in edges:
        if len(e) not in (2, 3):
            raise ValueError(f"each edge must be (src, dst) or (src, dst, label), got {e!r}")
        for end in e[:2]:
            if end not in nodes:
                raise ValueError(f"edge {e!r} refers to unknown node {end!r}")
        pairs.append((e[0], e[1]))
    layer = _layers(ids, pairs)
    columns: dict[int, list[str]] = {}
    for n in ids:
        columns.setdefault(layer[n], []).append(n)
    depth = max(columns) + 1
    tallest = max(len(c) for c in columns.values())
    dx = 3.6  # column spacing (data units): room for an edge label between two boxes
    pos = {}
    for col, members in columns.items():
        for j, n in enumerate(members):
            pos[n] = (col * dx, (len(members) - 1) / 2.0 - j)  # centred vertically
    ax = _axes(ax, (2.6 * depth + 0.6, 1.25 * tallest + 1.2))
    for e in edges:
        (xa, ya), (xb, yb) = pos[e[0]], pos[e[1]]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya),
                    arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 1.2,
                                "shrinkA": 38, "shrinkB": 38})
        if len(e) == 3 and e[2]:
            ax.text((xa + xb) / 2, (ya + yb) / 2, e[2], ha="center", va="center",
                    fontsize=9, color="C3", zorder=3,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    for n in ids:
        x, y = pos[n]
        face = "#fde9c9" if n in highlight else "#dbe8f6"
        ax.text(x, y, nodes[n], ha="center", va="center", fontsize=10, zorder=4,
                bbox={"boxstyle": "round,pad=0.5", "fc": face, "ec": "0.3"})
    ax.set_xlim(-1.3, (depth - 1) * dx + 1.3)
    ax.set_ylim(-(tallest - 1) / 2.0 - 0.8, (tallest - 1) / 2.0 + 0.8)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
