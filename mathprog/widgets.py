"""Interactive explorers, one per lesson: tangent (01), direction (03), learning rate (04, 05),
optimizer paths (04, 07), motion (10), each an :class:`~mathprog.explorer.Explorer` named as a
notebook calls it (``widgets.lr_explorer(...)``): live in JupyterLab, a stored PNG offline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog import derivatives, ode, optim, regression
from mathprog import explorer as xp
from mathprog.explorer import Explorer, fmt
from mathprog.functions import Quadratic, Ravine

__all__ = ["Explorer", "tangent_explorer", "lr_explorer", "path_explorer", "direction_explorer",
           "motion_explorer"]
_SECANTS = {"forward": (0.0, 1.0), "central": (-1.0, 1.0), "backward": (-1.0, 0.0)}
_USES_BETA = ("momentum", "nesterov", "adam")


class tangent_explorer(Explorer):
    """The secant of width ``h`` approaching the tangent at ``x0`` (notebook 01).

    ``f`` real (default sin), ``df`` its derivative if known; controls ``h`` (log, to 1e-13),
    ``x0``, ``method``; right: the error against h.
    """

    def __init__(self, f: Callable[[float], float] | None = None, x0: float = 1.0,
                 h: float = 0.5, *, df: Callable[[float], float] | None = None,
                 method: str = "forward", xlim: tuple[float, float] | None = None,
                 h_range: tuple[float, float] = (1e-13, 2.0), label: str | None = None) -> None:
        if f is None:
            f, df, label = np.sin, df or np.cos, label or "sin(x)"
        self.f, self.df = check.function(f, "f"), check.optional(check.function, df, "df")
        x0 = check.number(x0, "x0")
        xlim = self.xlim = (x0 - 3.0, x0 + 3.0) if xlim is None else check.interval(xlim, "xlim")
        h_range = check.interval(h_range, "h_range", positive=True)
        self._hs = np.geomspace(*h_range, 160)
        super().__init__([xp.Control("h", h, xp.grid(*h_range, per_decade=20)),
                          xp.Control("x0", x0, xp.grid(*xlim, n=201)),
                          xp.Control("method", method, tuple(_SECANTS), "choice")], (10.0, 4.0))
        ax, e = self.figure.subplots(1, 2, width_ratios=[1.25, 1.0])
        ys = xp.on_points(f, xs := np.linspace(*xlim, 400))
        lo, hi, pad = np.nanmin(ys), np.nanmax(ys), 0.12 * (np.nanmax(ys) - np.nanmin(ys) or 1.0)
        ax.plot(xs, ys, color="C0", lw=2, label=label or "f(x)")
        ax.set(xlim=xlim, ylim=(lo - pad, hi + pad), xlabel="x", ylabel="f(x)")
        self._tangent = ax.plot([], [], color="C3", lw=1.5, label="tangent, slope f′(x0)")[0]
        self._secant = ax.plot([], [], color="C2", lw=1.5, ls="--", label="secant")[0]
        self._rise = ax.plot([], [], "o:", color="C2", lw=1, ms=5)[0]
        self._point = ax.plot([], [], "o", color="C3", ms=7)[0]
        ax.legend(loc="upper left", fontsize="small")  # and the error against h:
        e.set(xscale="log", yscale="log", xlim=h_range, ylim=(1e-17, 1e2), xlabel="h",
              ylabel="|secant slope − f′(x0)|", title="error against h (exact 0 at the floor)")
        self._curve, self._dot = e.plot([], [], "0.5")[0], e.plot([], [], "o", color="C2", ms=8)[0]
        ax.grid(alpha=0.3), e.grid(alpha=0.3)
        self._animate(self._tangent, self._secant, self._rise, self._point, self._curve, self._dot)
        self.refresh()

    def _quotient(self, x0: float, h: Any, method: str) -> Any:
        """(f(x0 + b h) - f(x0 + a h)) / ((b - a) h): the difference quotient, by hand."""
        a, b = _SECANTS[method]
        return (xp.on_points(self.f, x0 + b * h) - xp.on_points(self.f, x0 + a * h)) / ((b - a) * h)

    def _compute(self, values: Mapping[str, Any]) -> str:
        h, x0, method = values["h"], values["x0"], values["method"]
        (a, b), y0, xs = _SECANTS[method], float(self.f(x0)), np.array(self.xlim)
        slope = float(self.df(x0)) if self.df else float(
            self._quotient(x0, np.array([1e-5]), "central")[0])
        secant = float(self._quotient(x0, np.array([h]), method)[0])
        (xa, fa), (xb, fb) = ((x, float(self.f(x))) for x in (x0 + a * h, x0 + b * h))
        self._tangent.set_data(xs, y0 + slope * (xs - x0))
        self._secant.set_data(xs, fa + secant * (xs - xa))
        self._rise.set_data([xa, xb, xb], [fa, fa, fb])
        self._point.set_data([x0], [y0])
        err, curve = abs(secant - slope), abs(self._quotient(x0, self._hs, method) - slope)
        self._curve.set_data(self._hs, xp.clip(curve, 1e-17, 1e2))
        self._dot.set_data([h], xp.clip(np.array([err]), 1e-17, 1e2))
        return (f"x0 = {fmt(x0)}, h = {fmt(h)}, {method}: secant slope = {fmt(secant, 4)}, "
                f"tangent slope = {fmt(slope, 4)}, error = {xp.efmt(err)}")


class _Run:
    """One objective as the lr explorer runs it: start, tol, f*, L, loss range, window."""

    def __init__(self, objective: Any, x0: Any) -> None:
        self.obj = check.function(objective, "objective")
        check.function(getattr(objective, "grad", None), "objective.grad")
        if (x0 := getattr(objective, "x0", None) if x0 is None else x0) is None:
            raise ValueError("x0 is required: the objective has no .x0")
        self.x0 = xp.point(x0, "x0")
        self.L = check.optional(check.positive, getattr(objective, "L", None), "objective.L")
        self.tol = 1e-6 * float(np.linalg.norm(objective.grad(self.x0))) or 1e-12
        m = getattr(objective, "minimum", None)
        self.fstar = float(m) if m is not None and np.isfinite(m) else 0.0
        gap0 = float(objective(self.x0)) - self.fstar
        self.log, self.ylim = gap0 > 0, (gap0 * 1e-14, gap0 * 1e6) if gap0 > 0 else (-1e6, 1e6)
        self.base = np.asarray(getattr(objective, "minimizer", self.x0), float).reshape(-1)
        lo, hi = np.minimum(self.base[:2], self.x0[:2]), np.maximum(self.base[:2], self.x0[:2])
        c, r = (lo + hi) / 2, 0.65 * max(float(np.max(hi - lo)), 1e-3)
        self.window = ((c[0] - r, c[0] + r), (c[-1] - r, c[-1] + r))

    def marks(self, suffix: str = "") -> dict[float, str]:
        return {} if self.L is None else {1 / self.L: "1/L" + suffix, 2 / self.L: "2/L" + suffix}

    def describe(self, lr: float, traj: optim.Trajectory) -> str:
        head, e = f"lr = {fmt(lr)}", xp.efmt
        if self.L is not None:
            rel = ">" if lr > 2 / self.L else "<" if lr < 2 / self.L else "="
            head += f" {rel} 2/L = {fmt(2 / self.L)}"
        if traj.diverged:
            return f"{head}: diverged at step {traj.diverged_at} (loss = {e(traj.diverged_value)})"
        d = np.diff(traj.xs[:12], axis=0)  # most early steps reverse direction: overshooting
        turns = len(d) >= 2 and (np.einsum("ij,ij->i", d[1:], d[:-1]) < 0).mean() > 0.5
        style = "with oscillation (overshoots every step)" if turns else "smoothly"
        if (k := traj.converged_at) is not None:
            return f"{head}: converges {style} in {k} step{'s' if k != 1 else ''}"
        first, last, n = traj.losses[0] - self.fstar, traj.losses[-1] - self.fstar, traj.steps
        if abs(last - first) <= 0.01 * abs(first):
            return (f"{head}: does not converge, it bounces back and forth at the same loss "
                    f"for {n} steps")
        if last > first:
            return (f"{head}: does not converge, the loss grew from {e(first)} to {e(last)} in "
                    f"{n} steps")
        return f"{head}: still descending {style} after {n} steps (loss = {e(last)})"


class lr_explorer(Explorer):
    """Gradient descent with an ``lr`` slider marking 1/L and 2/L (notebooks 04, 05).

    ``objective`` has ``.grad`` and ``.L`` (default 5x² from x0 = 2); ``x0`` defaults to its
    ``.x0``; a run has converged once ‖∇f‖ ≤ 1e-6 ‖∇f(x0)‖. ``standardize=True/False`` toggles a
    least-squares objective (``.X``, ``.y``) between raw and standardised features.
    """

    def __init__(self, objective: Any = None, x0: Any = None, lr: float = 0.05, steps: int = 60,
                 *, lr_range: tuple[float, float] = (1e-3, 1.0),
                 standardize: bool | None = None) -> None:
        if objective is None:
            objective, x0 = Quadratic([[10.0]], [0.0]), [2.0] if x0 is None else x0
        lr_range = check.interval(lr_range, "lr_range", positive=True)
        self.steps, self._layers = check.integer(steps, "steps", 1), {}
        if standardize is None:
            self.runs = {None: _Run(objective, x0)}
        elif isinstance(standardize, bool) and hasattr(objective, "X"):
            z = regression.LeastSquares(regression.standardize(objective.X)[0], objective.y,
                                        name=f"{objective.name}, standardized")
            self.runs = {True: _Run(z, x0), False: _Run(objective, x0)}
        else:
            raise TypeError("standardize must be True or False, for an objective with .X and .y")
        marks = {k: v for key, r in self.runs.items() for k, v in r.marks(" raw" * (key is False))
                 .items() if lr_range[0] <= k <= lr_range[1]}  # on the slider, exactly
        grid = xp.grid(*lr_range, per_decade=50) + list(marks)
        controls = [xp.Control("lr", lr, grid, marks=marks)]
        if None not in self.runs:
            controls.append(xp.Control("standardize", standardize, (False, True), "toggle"))
        super().__init__(controls, figsize=(10.0, 4.0))
        self.ax_f, ax = self.figure.subplots(1, 2, width_ratios=[1.2, 1.0])
        run = next(iter(self.runs.values()))
        self.n, self._key = run.x0.size, "unset"
        if self.n == 1:
            self._draw_function(run)
        ax.set(xlim=(0, steps), xlabel="step",
               ylabel="f(x) − f*", yscale="log" * run.log or "linear")
        ax.grid(alpha=0.3)
        self.ax_loss, self._loss = ax, ax.plot([], [], color="C3", lw=1.6, marker=".", ms=3)[0]
        self._info = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top")
        self._path = self.ax_f.plot([], [], "-o", color="C3", lw=1, ms=3.5)[0]  # the iterates
        self._animate(self._loss, self._info, self._path)
        self.refresh()

    def _draw_function(self, run: _Run) -> None:
        ax, x0, c = self.ax_f, float(run.x0[0]), float(run.base[0])
        r = 1.6 * max(abs(x0 - c), 1e-3)
        xs = np.linspace(*(xlim := (c - r, c + r)), 300)
        ys = np.array([float(run.obj(np.array([x]))) for x in xs])
        ax.plot(xs, ys, color="C0", lw=2, label="f(x)")
        ax.plot([x0], [float(run.obj(run.x0))], "o", color="black", ms=6, label="start")
        lo, hi = float(np.min(ys)), float(np.max(ys))
        ax.set(xlim=xlim, ylim=(lo - (hi - lo) / 12, hi + (hi - lo) / 8), xlabel="x", ylabel="f(x)")
        ax.grid(alpha=0.3), ax.legend(loc="upper center", fontsize="small")

    def _use(self, key: Any) -> None:
        """Show one objective's static layer (raw or standardised) and its ranges."""
        run, ax = self.runs[key], self.ax_f
        if self.n > 1 and key not in self._layers:  # contours over (x1, x2), the rest at x*
            w, rest = "w" if hasattr(run.obj, "X") else "x", ", the rest at x*" * (self.n > 2)
            self._layers[key] = [xp.contours(ax, run.obj, run.window, run.base, run.fstar),
                                 *ax.plot(*run.x0[:2], "o", color="black", ms=6),
                                 *ax.plot(*run.base[:2], "*", color="black", ms=11),
                                 ax.set_title(getattr(run.obj, "name", "") + rest)]
            ax.set(xlabel=f"{w}₁", ylabel=f"{w}₂")
        [a.set_visible(k == key) for k, artists in self._layers.items() for a in artists]
        if self.n > 1:
            ax.set(xlim=run.window[0], ylim=run.window[1])
        self.ax_loss.set_ylim(*run.ylim)
        self._key = key

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr, key = values["lr"], values.get("standardize")
        if key != self._key:
            self._use(key)
        run, ax = self.runs[key], self.ax_f
        traj = optim.minimize(run.obj, run.obj.grad, run.x0, optim.SGD(lr), steps=self.steps,
                              tol=run.tol)
        k = np.arange(len(traj.losses))
        self._loss.set_data(*xp.trace(k, traj.losses - run.fstar, (0, self.steps), run.ylim))
        ys = traj.losses if self.n == 1 else traj.xs[:, 1]
        self._path.set_data(*xp.trace(traj.xs[:, 0], ys, ax.get_xlim(), ax.get_ylim()))
        self._info.set_text(", ".join(f"{v} = {fmt(k)}" for k, v in run.marks().items())
                            + (f"\ndiverged at step {traj.diverged_at}" if traj.diverged else ""))
        self._info.set_color("C3" if traj.diverged else "black")
        text = run.describe(lr, traj)
        return text if key is None else f"{'standardized' if key else 'raw'} features, {text}"


class path_explorer(Explorer):
    """An optimizer's path over the contours of a 2-D objective (notebooks 04, 07).

    Controls ``lr`` (1e-4 to 3), ``beta`` (momentum, nesterov, adam) and ``optimizer``, or ``lr``
    alone for ``optimizer="sgd", compare=None``; ``compare``: that optimizer's path at the same
    lr, in grey. Converged: ‖∇f‖ ≤ 1e-6. The objective (default a ravine) has .grad, .x0, .window.
    """

    def __init__(self, objective: Any = None, lr: float = 0.5, beta: float = 0.9,
                 optimizer: str = "momentum", steps: int = 250, *,
                 compare: str | None = "sgd") -> None:
        objective = Ravine(condition_number=50.0) if objective is None else objective
        check.has(check.function(objective, "objective"), "objective", "grad", "x0", "window")
        check.function(objective.grad, "objective.grad")
        names = tuple(optim.OPTIMIZERS)
        self.compare = check.optional(check.choice, compare, "compare", options=names)
        self._fixed = {"optimizer": check.choice(optimizer, "optimizer", names),
                       "beta": check.number(beta, "beta", lo=0.0, hi=0.99)}
        self.objective, self.x0 = objective, xp.point(objective.x0, "objective.x0", 2)
        self.steps = check.integer(steps, "steps", 1)
        controls = [xp.Control("lr", lr, xp.grid(1e-4, 3.0, per_decade=50))]
        if (optimizer, compare) != ("sgd", None):  # else plain gradient descent: lr alone
            controls += [xp.Control("beta", beta, xp.grid(0.0, 0.99, n=100)),
                         xp.Control("optimizer", optimizer, names, "choice")]
        super().__init__(controls, figsize=(6.4, 5.2))
        ax = self.ax = self.figure.add_subplot()
        m = getattr(objective, "minimizer", None)
        xp.contours(ax, objective, objective.window, np.asarray(self.x0 if m is None else m, float),
                    float(getattr(objective, "minimum", 0.0) or 0.0))
        ax.plot(*self.x0, "o", color="black", ms=7, label="start")
        ax.set(xlabel="x₁", ylabel="x₂", title=str(getattr(objective, "name", "")))
        self._ref = ax.plot([], [], "0.45", lw=1.2, label=compare and f"{compare} (same lr)")[0]
        self._path = ax.plot([], [], "-o", color="C3", lw=1.5, ms=2.5, label="path")[0]
        self._end = ax.plot([], [], "X", color="C3", mec="black", ms=9)[0]
        ax.legend(loc="lower right", fontsize="small")
        self._animate(self._ref, self._path, self._end)
        self.refresh()

    def _run(self, name: str, lr: float, beta: float) -> optim.Trajectory:
        opt = optim.make_optimizer(name, lr, beta=beta if name in _USES_BETA else None)
        return optim.minimize(self.objective, self.objective.grad, self.x0, opt,
                              steps=self.steps, tol=1e-6)

    def _compute(self, values: Mapping[str, Any]) -> str:
        lr, beta, name = (v := {**self._fixed, **values})["lr"], v["beta"], v["optimizer"]
        traj = self._run(name, lr, beta)
        ref = self._run(self.compare, lr, beta) if self.compare not in (None, name) else None
        if "beta" in self._controls and (w := self._controls["beta"].widget):
            w.layout.display = None if name in _USES_BETA else "none"  # shown where it acts
        for line, t in ((self._path, traj), (self._ref, ref)):
            xs = np.empty((0, 2)) if t is None else t.xs
            line.set_data(*xp.trace(xs[:, 0], xs[:, 1], self.ax.get_xlim(), self.ax.get_ylim()))
        self._end.set_data(self._path.get_xdata()[-1:], self._path.get_ydata()[-1:])
        text = f"{name}, lr = {fmt(lr)}" + (f", beta = {fmt(beta)}" if name in _USES_BETA else "")
        text += f": {self._describe(traj)}"
        return text + (f" | {self.compare}: {self._describe(ref)}" if ref else "")

    def _describe(self, traj: optim.Trajectory) -> str:
        if traj.diverged:
            return f"diverged at step {traj.diverged_at} (loss = {xp.efmt(traj.diverged_value)})"
        if (k := traj.converged_at) is not None:
            return f"converged in {k} step{'s' if k != 1 else ''}"
        m = getattr(self.objective, "minimizer", None)
        far = "" if m is None else f", {xp.efmt(np.linalg.norm(traj.xs[-1] - m))} from the minimum"
        return f"not converged after {traj.steps} steps (loss = {xp.efmt(traj.losses[-1])}{far})"


class direction_explorer(Explorer):
    """A unit direction u = (cos θ, sin θ) turning at ``point``: D_u f against θ (03).

    Default f = x² + 3y² + xy; ``f.grad`` if it has one, else central differences.
    """

    def __init__(self, f: Callable | None = None, point: Any = (1.0, 0.5), angle: float = 0.0,
                 *, window: Any = None) -> None:
        f = (lambda p: p[0] ** 2 + 3 * p[1] ** 2 + p[0] * p[1]) if f is None else check.function(
            f, "f")
        point = xp.point(point, "point", 2)
        window = window or ((point[0] - 2, point[0] + 2), (point[1] - 2, point[1] + 2))
        window = (check.interval(window[0], "window[0]"), check.interval(window[1], "window[1]"))
        g = getattr(f, "grad", None)
        self.g = (np.asarray(g(point), float).reshape(2) if callable(g) else
                  derivatives.gradient(f, point))
        super().__init__([xp.Control("angle", angle, [float(a) for a in range(361)])], (10.0, 4.2))
        ax, ad = self.figure.subplots(1, 2, width_ratios=[1.0, 1.15])
        xp.contours(ax, f, window, point, 0.0)
        r, gn = 0.25 * (window[0][1] - window[0][0]), float(np.linalg.norm(self.g)) or 1.0
        ax.annotate("∇f", point, point + r * self.g / gn, color="0.3",
                    arrowprops={"arrowstyle": "<-", "color": "0.4", "lw": 1.5})
        ax.plot(*point, "o", color="black", ms=6)
        ax.set(xlabel="x", ylabel="y", aspect="equal", title="contours of f and the direction u")
        self._u = ax.quiver(*point, 1, 0, angles="xy", scale_units="xy", scale=1 / r, color="C3",
                            width=0.012)
        th = np.radians(np.arange(361.0))
        ad.plot(np.degrees(th), self.g @ [np.cos(th), np.sin(th)], lw=2, label="D_u f = ∇f · u")
        ad.axhline(0, color="0.5", lw=0.8)
        peak = math.degrees(math.atan2(self.g[1], self.g[0])) % 360
        ad.axvline(peak, color="0.4", ls=":", label=f"along ∇f, θ = {peak:.0f}°: largest")
        ad.set(xlim=(0, 360), xticks=range(0, 361, 45), xlabel="θ (degrees)", ylabel="D_u f")
        ad.grid(alpha=0.3)  # the legend above the axes: inside, the curve or the dot hides it
        ad.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small",
                  frameon=False)
        self._dot = ad.plot([], [], "o", color="C3", ms=8)[0]
        self._animate(self._u, self._dot)
        self.refresh()

    def _compute(self, values: Mapping[str, Any]) -> str:
        u = np.array([math.cos(t := math.radians(values["angle"])), math.sin(t)])
        u[np.abs(u) < 1e-12] = 0.0  # cos 90° is 6e-17 in floating point: print 0
        self._u.set_UVC(*u)
        self._dot.set_data([values["angle"]], [d := float(self.g @ u)])
        return (f"θ = {values['angle']:g}°: u = ({fmt(u[0])}, {fmt(u[1])}), D_u f = ∇f · u = "
                f"{fmt(d, 4)}; largest along ∇f: |∇f| = {fmt(np.linalg.norm(self.g), 4)}")


def _spring(dt: float, t_end: float) -> dict[str, tuple[np.ndarray, ...]]:
    """x'' = -x from x = 1, v = 0 by each solver of mathprog.ode: name -> (t, x, energy)."""
    t = dt * np.arange(round(t_end / dt) + 1)
    f = lambda _t, y: np.array([y[1], -y[0]])  # noqa: E731 (the state y = (x, v))
    x, v = (a.reshape(-1) for a in ode.symplectic_euler(lambda _t, x, _v: -x, 1.0, 0.0, t))
    runs = {"explicit Euler": ode.euler(f, [1.0, 0.0], t).T, "symplectic Euler": (x, v),
            "RK4": ode.rk4(f, [1.0, 0.0], t).T}
    return {k: (t, s[0], (s[0] ** 2 + s[1] ** 2) / 2) for k, s in runs.items()}


class motion_explorer(Explorer):
    """The spring x'' = −x by explicit Euler, symplectic Euler and RK4, slider ``dt`` (10).

    Left x(t) and cos t; right the energy over its start.
    """

    def __init__(self, dt: float = 0.1, t_end: float = 30.0) -> None:
        t_end = self.t_end = check.number(t_end, "t_end", lo=1.0, hi=1e4)
        self._cache, self._lines = {}, {}
        super().__init__([xp.Control("dt", dt, xp.grid(0.01, 1.0, per_decade=20))], (10.0, 4.0))
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
        self.refresh()

    def _compute(self, values: Mapping[str, Any]) -> str:
        dt = values["dt"]  # solved once per dt (at 0.01: 80 ms), kept for a drag back
        runs = self._cache.get(dt) or self._cache.setdefault(dt, _spring(dt, self.t_end))
        for name, (t, x, energy) in runs.items():
            self._lines[name][0].set_data(*xp.trace(t, x, (0, self.t_end), (-2.5, 2.5)))
            self._lines[name][1].set_data(*xp.trace(t, energy / 0.5, (0, self.t_end), (0, 2.5)))
        return f"dt = {fmt(dt)}: energy at t = {fmt(self.t_end)} / starting energy: " + ", ".join(
            f"{k} {xp.efmt(e[-1] / 0.5)}" for k, (_, _, e) in runs.items())
