"""Linear regression from scratch: the model, the loss, its gradient, and two ways to fit.

The model predicts ``y_hat = X @ w + b``. The loss is the mean squared error

    L(w, b) = (1/n) sum_i (x_i . w + b - y_i)^2,

and the chain rule (outer function ``r^2``, inner function the residual
``r_i = x_i . w + b - y_i``) gives its gradient

    dL/dw = (2/n) X^T r,        dL/db = (2/n) sum_i r_i.

Setting the gradient to zero gives the normal equations, solved directly by
:func:`fit_closed_form` (``np.linalg.lstsq``); :func:`fit_gd` walks downhill instead, with
full-batch, stochastic (``batch_size=1``) or mini-batch steps. :class:`LeastSquares` wraps
the loss as an objective over ``theta = (w, b)`` for the plotting and widget helpers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["GDResult", "LeastSquares", "fit_closed_form", "fit_gd", "mse", "mse_grad", "predict",
           "standardize", "to_original_units"]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = check.array(X, "X", ndim=2), check.array(y, "y", ndim=1)
    if len(X) != len(y):
        raise ValueError(f"y has {len(y)} values but X has {len(X)} rows")
    return X, y


def _check_wb(w: Any, b: Any, d: int) -> tuple[np.ndarray, float]:
    w = check.array(w, "w", ndim=1)
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match X's {d} features, got {w.shape}")
    return w, float(check.array(b, "b", ndim=0))


def predict(X: Any, w: Any, b: float = 0.0) -> np.ndarray:
    """The linear model's predictions ``X @ w + b``."""
    X = check.array(X, "X", ndim=2)
    w, b = _check_wb(w, b, X.shape[1])
    return X @ w + b


def mse(X: Any, y: Any, w: Any, b: float = 0.0) -> float:
    """Mean squared error of the linear model: ``mean((X @ w + b - y)^2)``."""
    X, y = _check_xy(X, y)
    w, b = _check_wb(w, b, X.shape[1])
    r = X @ w + b - y
    return float(r @ r) / len(y)


def mse_grad(X: Any, y: Any, w: Any, b: float = 0.0) -> tuple[np.ndarray, float]:
    """Gradient of :func:`mse` with respect to ``(w, b)``, by the chain rule.

    Returns
    -------
    grad_w : array (d,)
        ``(2/n) X^T r`` with residuals ``r = X @ w + b - y``.
    grad_b : float
        ``(2/n) sum(r)``.
    """
    X, y = _check_xy(X, y)
    w, b = _check_wb(w, b, X.shape[1])
    r = X @ w + b - y
    n = len(y)
    return (2.0 / n) * (X.T @ r), 2.0 * float(r.sum()) / n


def fit_closed_form(X: Any, y: Any) -> tuple[np.ndarray, float]:
    """Least-squares weights and bias in one solve (``np.linalg.lstsq`` on ``[X, 1]``).

    Returns
    -------
    w : array (d,)
    b : float
    """
    X, y = _check_xy(X, y)
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])


def standardize(X: Any, mean: Any = None,
        std: Any = None)-> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale every column to mean 0 and standard deviation 1.

    Parameters
    ----------
    X : array (n, d)
    mean, std : arrays (d,), optional
        Statistics to use instead of X's own: pass the *training* set's so that test data are
        scaled the same way. Give both or neither.

    Returns
    -------
    X_scaled : array (n, d)
    mean, std : arrays (d,)
        The statistics used. A constant column gets std 1 (it becomes all zeros instead of
        a division by zero).
    """
    X = check.array(X, "X", ndim=2)
    if (mean is None) != (std is None):
        raise ValueError("mean, std: give both (the training statistics) or neither")
    if mean is None:
        mean, std = X.mean(axis=0), X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    mean, std = check.array(mean, "mean", ndim=1), check.array(std, "std", ndim=1)
    if mean.shape != (X.shape[1],) or std.shape != mean.shape:
        raise ValueError(f"mean and std must have shape ({X.shape[1]},) to match X, got "
                         f"{mean.shape} and {std.shape}")
    if not np.all(std > 0):
        raise ValueError("std must be positive in every column")
    return (X - mean) / std, mean, std


def to_original_units(w: Any, b: float, mean: Any, std: Any)-> tuple[np.ndarray, float]:
    """Convert weights fitted on standardised features back to the raw features.

    ``w . (x - mean)/std + b = (w/std) . x + (b - sum(w mean/std))``.
    """
    w, mean, std = (check.array(v, k, ndim=1) for v, k in ((w, "w"), (mean, "mean"), (std, "std")))
    if not (w.shape == mean.shape == std.shape and w.ndim == 1):
        raise ValueError(
            f"w, mean and std must be 1-D with the same shape, got {w.shape}, {mean.shape}, "
            f"{std.shape}"
        )
    w_raw = w / std
    return w_raw, check.number(b, "b") - float(w_raw @ mean)


@dataclass(repr=False)
class GDResult:
    """What :func:`fit_gd` found and how it got there.

    Unpacks as ``w, b, losses = fit_gd(...)``.

    Attributes
    ----------
    weights : array (d,)
    bias : float
    losses : array (epochs_run + 1,)
        Full-data MSE at the start and after each epoch.
    step_losses : array (steps + 1,)
        Full-data MSE at the start and after every update (mini-batch runs take many steps
        per epoch).
    samples_seen : array (steps + 1,)
        Per-sample gradient evaluations made before each entry of ``step_losses`` (the last
        batch of an epoch may be smaller than ``batch_size``).
    batch_size : int
    steps : int
        Updates made (gradient evaluations on ``batch_size`` samples each).
    diverged : bool
    diverged_at : int or None
        The update at which the run was stopped for divergence.
    diverged_value : float or None
    converged_at : int or None
        First update after which the full-data gradient norm was ``<= tol``.
    message : str
    """

    weights: np.ndarray
    bias: float
    losses: np.ndarray
    step_losses: np.ndarray
    samples_seen: np.ndarray
    batch_size: int
    steps: int
    diverged: bool
    diverged_at: int | None
    diverged_value: float | None
    converged_at: int | None
    message: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.weights, self.bias, self.losses))

    def __repr__(self) -> str:
        return f"GDResult(steps={self.steps}, final loss={self.losses[-1]:.6g}: {self.message})"


def fit_gd(X: Any, y: Any, lr: float, epochs: int, batch_size: int | None = None, seed: int = 0, *,
        w0: Any = None, b0: float = 0.0, tol: float | None = None, blowup: float = 1e6)-> GDResult:
    """Fit ``y ~ X @ w + b`` by gradient descent on the mean squared error.

    Parameters
    ----------
    X : array (n, d)
    y : array (n,)
    lr : float
        Learning rate (step size).
    epochs : int
        Passes over the data.
    batch_size : int, optional
        None: full-batch gradient descent (one step per epoch). 1: stochastic gradient
        descent. Otherwise mini-batches; the data are shuffled every epoch by one
        ``np.random.default_rng(seed)``, so runs are reproducible.
    seed : int
    w0, b0 : optional
        Start (default zeros).
    tol : float, optional
        Stop once the full-data gradient norm ``||(dL/dw, dL/db)||`` is ``<= tol``.
    blowup : float
        Divergence: stop when the loss is not finite or exceeds ``blowup * max(1, L0)``
        (as :func:`mathprog.optim.minimize` does).

    Returns
    -------
    GDResult
    """
    X, y = _check_xy(X, y)
    n, d = X.shape
    lr, epochs = check.positive(lr, "lr"), check.integer(epochs, "epochs", 1)
    batch_size = n if batch_size is None else check.integer(batch_size, "batch_size", 1, n)
    tol = check.optional(check.positive, tol, "tol")
    blowup, seed = check.positive(blowup, "blowup"), check.integer(seed, "seed")
    w, b = _check_wb(np.zeros(d) if w0 is None else w0, b0, d)
    w = w.copy()

    def full_loss() -> float:
        r = X @ w + b - y
        return float(r @ r) / n

    def converged() -> bool:
        r = X @ w + b - y
        return tol is not None and math.hypot(
            float(np.linalg.norm((2.0 / n) * (X.T @ r))), 2.0 * float(r.sum()) / n) <= tol

    losses, step_losses, seen = [full_loss()], [full_loss()], [0]
    limit = blowup * max(1.0, losses[0])
    rng = np.random.default_rng(seed)
    stop = ""  # "diverged" or "converged"
    with np.errstate(all="ignore"):  # divergence is detected and reported, not warned
        for _ in range(epochs):
            order = None if batch_size == n else rng.permutation(n)
            for start in range(0, n, batch_size):
                idx = None if order is None else order[start:start + batch_size]
                xb, yb = (X, y) if idx is None else (X[idx], y[idx])
                # Local derivatives: residual r, then dL/dw = 2/m X^T r, dL/db = 2/m sum r.
                r = xb @ w + b - yb
                w -= lr * (2.0 / len(yb)) * (xb.T @ r)
                b -= lr * 2.0 * float(r.sum()) / len(yb)
                step_losses.append(full_loss())
                seen.append(seen[-1] + len(yb))
                loss = step_losses[-1]
                stop = "diverged" if not loss <= limit else "converged" if converged() else ""
                if stop:
                    break
            losses.append(step_losses[-1])
            if stop:
                break
    steps = len(step_losses) - 1
    message = {"diverged": f"diverged at step {steps} (loss = {step_losses[-1]:.3g})",
               "converged": f"converged at step {steps} (gradient norm <= tol {tol or 0:g})",
               "": f"ran {steps} steps ({len(losses) - 1} epochs): loss {losses[-1]:.6g}"}[stop]
    return GDResult(weights=w, bias=float(b), losses=np.array(losses),
                    step_losses=np.array(step_losses), samples_seen=np.array(seen),
                    batch_size=batch_size, steps=steps, diverged=stop == "diverged",
                    diverged_at=steps if stop == "diverged" else None,
                    diverged_value=step_losses[-1] if stop == "diverged" else None,
                    converged_at=steps if stop == "converged" else None, message=message)


class LeastSquares:
    """The MSE of a linear model as an objective over ``theta = (w_1, ..., w_d, b)``.

    Follows the :mod:`mathprog.functions` protocol: ``obj(theta)`` for theta of shape
    ``(d+1,)`` gives a float and for a stacked grid ``(d+1, *grid)`` an array of shape
    ``grid`` (contour plots); ``obj.grad(theta)``; ``minimizer``, ``minimum``, ``x0``,
    ``window`` (2-D only), ``name``; and the curvature the learning rate must respect:
    the Hessian is the constant ``H = (2/n) A^T A`` with ``A = [X, 1]``, ``L`` its largest
    eigenvalue (gradient descent is stable for ``lr < 2/L``), ``mu`` its smallest and
    ``condition_number = L/mu`` (how long and thin the valley is).
    """

    def __init__(self, X: Any, y: Any, name: str = "least squares") -> None:
        X, y = _check_xy(X, y)
        self.X, self.y = X, y
        self.n, d = X.shape
        self.dim = d + 1
        self.name = name
        A = np.hstack([X, np.ones((self.n, 1))])
        self.hessian = (2.0 / self.n) * (A.T @ A)
        eig = np.linalg.eigvalsh(self.hessian)
        self.L = float(eig[-1])
        self.mu = float(eig[0])
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        w, b = fit_closed_form(X, y)
        self.minimizer = np.append(w, b)
        self.minimum = self(self.minimizer)
        self.x0 = np.zeros(self.dim)

    @property
    def window(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """A plotting window around the minimiser that includes the start (2-D only)."""
        if self.dim != 2:
            raise AttributeError("window is defined for one feature (theta = (w, b)) only")
        pts = np.array([self.minimizer, self.x0])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.5 * (hi - lo), 1.0)
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (
            float(lo[1] - pad[1]),
            float(hi[1] + pad[1]),
        )

    def __call__(self, theta: Any) -> Any:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[:1] != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim}, ...), got {theta.shape}")
        if theta.ndim == 1:
            r = self.X @ theta[:-1] + theta[-1] - self.y
            return float(r @ r) / self.n
        # Grid: expand (w - w*)^T H (w - w*) / 2 + L* -- exact for a quadratic, no n x grid.
        delta = theta - self.minimizer.reshape((-1,) + (1,) * (theta.ndim - 1))
        Hd = np.tensordot(self.hessian, delta, axes=1)
        return 0.5 * np.sum(delta * Hd, axis=0) + self.minimum

    def grad(self, theta: Any) -> np.ndarray:
        """``(dL/dw, dL/db)`` at ``theta``, shape ``(d+1,)``."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},), got {theta.shape}")
        r = self.X @ theta[:-1] + theta[-1] - self.y
        return np.append((2.0 / self.n) * (self.X.T @ r), 2.0 * float(r.sum()) / self.n)

    def __repr__(self) -> str:
        return (
            f"LeastSquares(n={self.n}, d={self.dim - 1}, L={self.L:.4g}, "
            f"condition_number={self.condition_number:.4g})"
        )
