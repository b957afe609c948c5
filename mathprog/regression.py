"""Linear regression from scratch (notebook 05): ``y_hat = X @ w + b``, the mean squared error
``L = mean(r**2)`` with residuals ``r = X @ w + b - y``, and by the chain rule its gradient
``dL/dw = (2/n) X^T r``, ``dL/db = (2/n) sum(r)``; fitted in one solve or by gradient descent.
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
    """Gradient ``((2/n) X^T r, (2/n) sum(r))`` of :func:`mse` with respect to ``(w, b)``."""
    X, y = _check_xy(X, y)
    w, b = _check_wb(w, b, X.shape[1])
    r = X @ w + b - y
    n = len(y)
    return (2.0 / n) * (X.T @ r), 2.0 * float(r.sum()) / n


def fit_closed_form(X: Any, y: Any) -> tuple[np.ndarray, float]:
    """Least-squares ``(w, b)`` in one solve (``np.linalg.lstsq`` on ``[X, 1]``)."""
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
        The training set's statistics, to scale test data the same way; both or neither.

    Returns
    -------
    X_scaled : array (n, d)
    mean, std : arrays (d,)
        The statistics used; a constant column gets std 1.
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
    """Weights fitted on standardised features, converted back to the raw ones.

    ``w . (x - mean)/std + b = (w/std) . x + (b - sum(w mean/std))``.
    """
    w, mean, std = (check.array(v, k, ndim=1) for v, k in ((w, "w"), (mean, "mean"), (std, "std")))
    if not w.shape == mean.shape == std.shape:
        raise ValueError(f"w, mean and std must have the same shape, got {w.shape}, "
                         f"{mean.shape}, {std.shape}")
    w_raw = w / std
    return w_raw, check.number(b, "b") - float(w_raw @ mean)


@dataclass(repr=False)
class GDResult:
    """What :func:`fit_gd` found; unpacks as ``w, b, losses = fit_gd(...)``.

    Attributes
    ----------
    weights, bias : the fitted model
    losses : full-data MSE at the start and after each epoch
    step_losses : full-data MSE at the start and after every update
    samples_seen : per-sample gradients computed before each entry of ``step_losses``
    batch_size, steps : int
    diverged, diverged_at, diverged_value : whether, at which update and at what loss it stopped
    converged_at : first update after which the gradient norm was ``<= tol``, or None
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
        Learning rate η.
    epochs : int
        Passes over the data.
    batch_size : int, optional
        None: full batch; 1: stochastic; else mini-batches, reshuffled every epoch by ``seed``.
    seed : int
    w0, b0 : optional
        Start (default zeros).
    tol : float, optional
        Stop once the full-data gradient norm is ``<= tol``.
    blowup : float
        Stop (diverged) when the loss is not finite or exceeds ``blowup * max(1, L0)``.

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

    The :mod:`mathprog.functions` protocol (points and stacked grids), plus the constant Hessian
    ``H = (2/n) A^T A`` with ``A = [X, 1]``, its eigenvalues ``L``, ``mu`` and
    ``condition_number = L/mu``: gradient descent is stable for ``lr < 2/L``.
    """

    def __init__(self, X: Any, y: Any, name: str = "least squares") -> None:
        X, y = _check_xy(X, y)
        self.X, self.y = X, y
        self.n, self.dim, self.name = len(X), X.shape[1] + 1, name
        A = np.hstack([X, np.ones((self.n, 1))])
        self.hessian = (2.0 / self.n) * (A.T @ A)
        eig = np.linalg.eigvalsh(self.hessian)
        self.L, self.mu = float(eig[-1]), float(eig[0])
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        w, b = fit_closed_form(X, y)
        self.minimizer = np.append(w, b)
        self.minimum = self(self.minimizer)
        self.x0 = np.zeros(self.dim)

    @property
    def window(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """A plotting window around the minimiser and the start (one feature only)."""
        if self.dim != 2:
            raise AttributeError("window is defined for one feature (theta = (w, b)) only")
        pts = np.array([self.minimizer, self.x0])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.5 * (hi - lo), 1.0)
        return tuple((float(a - p), float(z + p)) for a, z, p in zip(lo, hi, pad, strict=True))

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
        return (f"LeastSquares(n={self.n}, d={self.dim - 1}, L={self.L:.4g}, "
                f"condition_number={self.condition_number:.4g})")
