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
           "standardize"]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = check.array(X, "X", ndim=2), check.array(y, "y", ndim=1)
    if len(X) != len(y):
        raise ValueError(f"y has {len(y)} values but X has {len(X)} rows")
    return X, y


def predict(X: Any, w: Any, b: float = 0.0) -> np.ndarray:
    """The linear model's predictions ``X @ w + b``."""
    X, w = check.array(X, "X", ndim=2), check.array(w, "w", ndim=1)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},) to match X's {X.shape[1]} "
                         f"features, got {w.shape}")
    return X @ w + float(check.array(b, "b", ndim=0))


def mse(X: Any, y: Any, w: Any, b: float = 0.0) -> float:
    """Mean squared error of the linear model: ``mean((X @ w + b - y)^2)``."""
    X, y = _check_xy(X, y)
    r = predict(X, w, b) - y
    return float(r @ r) / len(y)


def mse_grad(X: Any, y: Any, w: Any, b: float = 0.0) -> tuple[np.ndarray, float]:
    """Gradient ``((2/n) X^T r, (2/n) sum(r))`` of :func:`mse` with respect to ``(w, b)``."""
    X, y = _check_xy(X, y)
    r = predict(X, w, b) - y
    return (2.0 / len(y)) * (X.T @ r), 2.0 * float(r.sum()) / len(y)


def fit_closed_form(X: Any, y: Any) -> tuple[np.ndarray, float]:
    """Least-squares ``(w, b)`` in one solve (``np.linalg.lstsq`` on ``[X, 1]``)."""
    X, y = _check_xy(X, y)
    A = np.hstack([X, np.ones((len(X), 1))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])


def standardize(X: Any, mean: Any = None,
        std: Any = None)-> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X - mean) / std, mean, std``: every column scaled to mean 0 and standard deviation 1.

    Pass the training set's ``mean`` and ``std`` (both or neither) to scale test data the same
    way; a constant column gets std 1.
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


@dataclass
class GDResult:
    """What :func:`fit_gd` found; unpacks as ``w, b, losses = fit_gd(...)``.

    Attributes
    ----------
    weights, bias : the fitted model
    losses, step_losses : full-data MSE at the start and after each epoch / each update
    samples_seen : per-sample gradients computed before each entry of ``step_losses``
    steps, diverged, message : updates made, whether the loss blew up, what happened
    converged_at : the update after which the gradient norm was ``<= tol``, or None
    """

    weights: np.ndarray
    bias: float
    losses: np.ndarray
    step_losses: np.ndarray
    samples_seen: np.ndarray
    steps: int
    diverged: bool
    converged_at: int | None
    message: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.weights, self.bias, self.losses))


def fit_gd(X: Any, y: Any, lr: float, epochs: int, batch_size: int | None = None, seed: int = 0,
        *, tol: float | None = None)-> GDResult:
    """Fit ``y ~ X @ w + b`` by gradient descent on the mean squared error, from zeros.

    Parameters
    ----------
    X, y : arrays (n, d) and (n,)
    lr : float; the learning rate η
    epochs : int; passes over the data
    batch_size : None (full batch), 1 (stochastic) or m (mini-batches, reshuffled every epoch)
    seed : int; seeds the reshuffling
    tol : float, optional; stop once the full-data gradient norm is ``<= tol``

    A loss that is not finite or exceeds ``1e6 * max(1, L0)`` stops the run as diverged.
    """
    X, y = _check_xy(X, y)
    n, d = X.shape
    lr, epochs = check.positive(lr, "lr"), check.integer(epochs, "epochs", 1)
    m = n if batch_size is None else check.integer(batch_size, "batch_size", 1, n)
    tol = check.optional(check.positive, tol, "tol")
    rng = np.random.default_rng(check.integer(seed, "seed"))
    w, b = np.zeros(d), 0.0
    r = X @ w + b - y
    loss0 = float(r @ r) / n
    losses, step_losses, seen = [loss0], [loss0], [0]
    limit, stop = 1e6 * max(1.0, loss0), ""  # stop: "diverged" or "converged"
    with np.errstate(all="ignore"):  # divergence is detected and reported, not warned
        for _ in range(epochs):
            batches = [slice(None)] if m == n else np.split(rng.permutation(n), range(m, n, m))
            for idx in batches:
                xb, yb = X[idx], y[idx]
                # Local derivatives: residual r, then dL/dw = 2/m X^T r, dL/db = 2/m sum r.
                r = xb @ w + b - yb
                w -= lr * (2.0 / len(yb)) * (xb.T @ r)
                b -= lr * 2.0 * float(r.sum()) / len(yb)
                r = X @ w + b - y  # the full-data loss and gradient, to record and to stop
                step_losses.append(float(r @ r) / n)
                seen.append(seen[-1] + len(yb))
                if not step_losses[-1] <= limit:
                    stop = "diverged"
                elif tol is not None and math.hypot(float(np.linalg.norm(
                        (2.0 / n) * (X.T @ r))), 2.0 * float(r.sum()) / n) <= tol:
                    stop = "converged"
                if stop:
                    break
            losses.append(step_losses[-1])
            if stop:
                break
    steps = len(step_losses) - 1
    message = {"diverged": f"diverged at step {steps} (loss = {step_losses[-1]:.3g})",
               "converged": f"converged at step {steps} (gradient norm <= tol {tol or 0:g})",
               "": f"ran {steps} steps ({len(losses) - 1} epochs): loss {losses[-1]:.6g}"}[stop]
    return GDResult(w, b, np.array(losses), np.array(step_losses), np.array(seen), steps,
                    stop == "diverged", steps if stop == "converged" else None, message)


class LeastSquares:
    """The MSE of a linear model as an objective over ``theta = (w_1, ..., w_d, b)``.

    The :mod:`mathprog.functions` protocol (points and stacked grids), plus the constant Hessian
    ``H = (2/n) A^T A`` with ``A = [X, 1]``, its eigenvalues ``L``, ``mu`` and
    ``condition_number = L/mu``: gradient descent is stable for ``lr < 2/L``.
    """

    def __init__(self, X: Any, y: Any, name: str = "least squares") -> None:
        self.X, self.y = _check_xy(X, y)
        self.n, self.dim, self.name = len(self.y), self.X.shape[1] + 1, name
        A = np.hstack([self.X, np.ones((self.n, 1))])
        self.hessian = (2.0 / self.n) * (A.T @ A)
        eig = np.linalg.eigvalsh(self.hessian)
        self.L, self.mu = float(eig[-1]), float(eig[0])
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        self.minimizer = np.append(*fit_closed_form(self.X, self.y))
        self.minimum = self(self.minimizer)
        self.x0 = np.zeros(self.dim)

    def __call__(self, theta: Any) -> Any:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape[:1] != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim}, ...), got {theta.shape}")
        if theta.ndim == 1:
            return mse(self.X, self.y, theta[:-1], theta[-1])
        # Grid: expand (w - w*)^T H (w - w*) / 2 + L* -- exact for a quadratic, no n x grid.
        delta = theta - self.minimizer.reshape((-1,) + (1,) * (theta.ndim - 1))
        Hd = np.tensordot(self.hessian, delta, axes=1)
        return 0.5 * np.sum(delta * Hd, axis=0) + self.minimum

    def grad(self, theta: Any) -> np.ndarray:
        """``(dL/dw, dL/db)`` at ``theta``, shape ``(d+1,)``."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},), got {theta.shape}")
        return np.append(*mse_grad(self.X, self.y, theta[:-1], theta[-1]))
