"""Training a :mod:`mathprog.nn` model: the mini-batch loop and what it records.

:func:`train` runs forward, loss, backward, optional clipping and ``optimizer.step`` for
every mini-batch, and records a :class:`History`: losses and accuracies per epoch, and per
step the gradient norms of every Linear layer, both ``||dL/dW||`` and the gradient flowing
into the layer's input ``||dL/dh||`` (where explosion shows in deep ReLU networks). It stops
at the first non-finite loss or gradient and says where. :func:`mathprog.diagnostics.diagnose`
reads the history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog.diagnostics import GradientMonitor, _global_norm, _scale_in_place, clip_by_value
from mathprog.nn import (
    SoftmaxCrossEntropy,
    _forward_batched,
    linear_layers,
)
from mathprog.optim import Optimizer

__all__ = ["History", "train"]


@dataclass(repr=False)
class History:
    """What :func:`train` saw, epoch by epoch and step by step.

    Per-step arrays all have one row per attempted step (``len(step_loss)``); the row of a
    step whose loss was non-finite holds NaN gradient norms (its backward never ran).

    Attributes
    ----------
    epoch_loss : list of float
        Mean training loss per epoch (over the samples seen; the epoch that blew up gets the
        non-finite value).
    epoch_acc : list of float
        Training accuracy per epoch, from the batches as they were seen (classification
        losses only; empty for MSELoss).
    val_loss, val_acc : list of float
        On ``validation`` after each epoch (empty without validation).
    step_loss : ndarray (steps,)
    layer_names : list of str
        The Linear layers from input to output, e.g. ``"linear1 (64→128)"``.
    weight_grad_norms : ndarray (steps, n_linear)
        ``||dL/dW||`` per step and Linear layer (before clipping).
    input_grad_norms : ndarray (steps, n_linear)
        ``||dL/dh||``: the gradient flowing into each Linear layer's input.
    total_grad_norm : ndarray (steps,)
        Global norm over all parameter gradients, before clipping.
    nonfinite_at : (epoch, step) or None
        1-based epoch and 0-based global step where the loss or a gradient first went
        non-finite; training stopped there.
    nonfinite_kind : "loss", "gradient" or None
    lr, batch_size, clip_norm, clip_value, epochs, seed, optimizer, dtype, steps_per_epoch
        The configuration of the run.
    """

    epoch_loss: list[float] = field(default_factory=list)
    epoch_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    step_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    layer_names: list[str] = field(default_factory=list)
    weight_grad_norms: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    input_grad_norms: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    total_grad_norm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    nonfinite_at: tuple[int, int] | None = None
    nonfinite_kind: str | None = None
    lr: float | None = None
    batch_size: int = 32
    clip_norm: float | None = None
    clip_value: float | None = None
    epochs: int = 0
    seed: int = 0
    optimizer: str = ""
    dtype: str = "float64"
    steps_per_epoch: int = 0

    @property
    def diverged(self) -> bool:
        """True if training stopped at a non-finite loss or gradient."""
        return self.nonfinite_at is not None

    @property
    def epochs_run(self) -> int:
        """Epochs started (the last one may have stopped early)."""
        return len(self.epoch_loss)

    @property
    def final_loss(self) -> float:
        """Last epoch's training loss (nan if no epoch ran)."""
        return self.epoch_loss[-1] if self.epoch_loss else float("nan")

    @property
    def message(self) -> str:
        """One line in plain words."""
        if self.nonfinite_at is not None:
            epoch, step = self.nonfinite_at
            return (
                f"non-finite {self.nonfinite_kind} at epoch {epoch} (step {step}); "
                "training stopped"
            )
        return f"trained {self.epochs_run} epochs, final loss {self.final_loss:.4g}"

    @property
    def epoch_of_step(self) -> np.ndarray:
        """The 1-based epoch of every recorded step, shape ``(steps,)``."""
        return np.arange(len(self.step_loss)) // max(self.steps_per_epoch, 1) + 1

    def __repr__(self) -> str:
        clip = "" if self.clip_norm is None else f", clip_norm={self.clip_norm:g}"
        if self.clip_value is not None:
            clip += f", clip_value={self.clip_value:g}"
        return (
            f"History({self.epochs_run} epochs, {len(self.step_loss)} steps, "
            f"{len(self.layer_names)} linear layers, {self.optimizer}, "
            f"batch_size={self.batch_size}{clip}: {self.message})"
        )

    def log(self) -> str:
        """The epoch log, one line per epoch, like ``Epoch 1: loss = 2.305``."""
        return "\n".join(_epoch_line(self, i) for i in range(len(self.epoch_loss)))


def _epoch_line(h: History, i: int) -> str:
    line = f"Epoch {i + 1}: loss = {h.epoch_loss[i]:.3f}"
    if i < len(h.val_loss):
        line += f", val loss = {h.val_loss[i]:.3f}"
        if i < len(h.val_acc):
            line += f", val acc = {h.val_acc[i]:.3f}"
    return line


def _check_count(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_optional_positive(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number or None, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _prepare_xy(
    X: Any, y: Any, loss: Any, dt: np.dtype, name: str
) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{name} X must be 2-D (samples, features), got shape {X.shape}")
    if len(X) == 0:
        raise ValueError(f"{name} X is empty")
    if len(y) != len(X):
        raise ValueError(f"{name} X has {len(X)} rows but y has {len(y)}")
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"{name} X must be numeric, got dtype {X.dtype}")
    X = X.astype(dt, copy=False)  # once, so activations stay in the model's dtype
    if isinstance(loss, SoftmaxCrossEntropy):
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise TypeError(
                f"{name} y must be a 1-D array of integer labels for SoftmaxCrossEntropy, "
                f"got dtype {y.dtype} and shape {y.shape}"
            )
    elif np.issubdtype(y.dtype, np.floating):
        y = y.astype(dt, copy=False)
    return X, y


def train(
    model: Any,
    loss: Any,
    optimizer: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 32,
    seed: int = 0,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    monitor: bool = True,
    verbose: bool | int = False,
) -> History:
    """Mini-batch training with gradient monitoring and optional clipping.

    Each step: forward, loss, backward, record the gradient norms, clip, ``optimizer.step``.
    The data are shuffled every epoch by one ``np.random.default_rng(seed)``, so a run is
    deterministic. Training stops at the first non-finite loss or gradient and records where
    (it never carries on with NaNs); numpy's overflow warnings are silenced inside the loop
    because the blow-up is detected and reported explicitly instead.

    Parameters
    ----------
    model : Layer
        E.g. a :class:`Sequential`; updated in place.
    loss : SoftmaxCrossEntropy or MSELoss (or any object with forward/backward)
    optimizer : object with ``step(params, grads)``
        E.g. ``mathprog.optim.SGD(lr=0.1)``.
    X : array (n, features)
        Converted once to the model's dtype.
    y : array (n,) of int labels, or float targets shaped like the model's output
    epochs : int
    batch_size : int, default 32
        The last batch of an epoch may be smaller.
    seed : int, default 0
        Seed of the shuffling.
    clip_norm : float, optional
        Clip the global gradient norm to this value (:func:`~mathprog.diagnostics.clip_by_norm`).
    clip_value : float, optional
        Clamp every gradient entry to ``[-clip_value, clip_value]`` (applied before
        ``clip_norm`` when both are given).
    validation : (X_val, y_val), optional
        Evaluated after each epoch (loss, and accuracy for classification).
    monitor : bool, default True
        Record per-layer gradient norms (the global norm is always recorded).
    verbose : bool or int
        Print the epoch log (``Epoch 1: loss = 2.305``); an int k prints every k-th epoch.

    Returns
    -------
    History
    """
    if not all(hasattr(model, a) for a in ("forward", "backward", "params", "grads")):
        raise TypeError(
            f"model must have forward, backward, params and grads, got {type(model).__name__}"
        )
    if not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        raise TypeError(f"loss must have forward and backward, got {type(loss).__name__}")
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer must have a step(params, grads) method, got {optimizer!r}")
    epochs = _check_count(epochs, "epochs")
    batch_size = _check_count(batch_size, "batch_size")
    seed = _check_count(seed, "seed", minimum=0)
    clip_norm = _check_optional_positive(clip_norm, "clip_norm")
    clip_value = _check_optional_positive(clip_value, "clip_value")
    every = int(verbose) if not isinstance(verbose, bool) else (1 if verbose else 0)

    params = model.params
    grads = model.grads
    if not params:
        raise ValueError("model has no parameters to train")
    dt = params[0].dtype
    X, y = _prepare_xy(X, y, loss, dt, "training")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError("validation must be a pair (X_val, y_val)")
        Xv, yv = _prepare_xy(validation[0], validation[1], loss, dt, "validation")
    classify = isinstance(loss, SoftmaxCrossEntropy)

    named = linear_layers(model)
    mon = GradientMonitor([m for _, m in named], [n for n, _ in named]) if monitor else None
    n = len(X)
    steps_per_epoch = -(-n // batch_size)
    lr = getattr(optimizer, "lr", None)
    hist = History(
        layer_names=[n_ for n_, _ in named],
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        batch_size=batch_size,
        clip_norm=clip_norm,
        clip_value=clip_value,
        epochs=epochs,
        seed=seed,
        optimizer=repr(optimizer),
        dtype=str(dt),
        steps_per_epoch=steps_per_epoch,
    )
    step_loss: list[float] = []
    totals: list[float] = []
    rng = np.random.default_rng(seed)
    isfinite, sqrt, dot = math.isfinite, math.sqrt, np.dot

    # Per-step fast paths, each checked once up front rather than on every step:
    # the labels' range (then the loss skips its per-call checks), the optimizer's argument
    # checks (a mathprog.optim optimizer, after its first checked step), and the weight
    # gradients' positions in `grads` (their squared norms serve the monitor and the global
    # norm alike).
    if classify:
        n_out = model.forward(X[:1]).shape[1]
        if y.min() < 0 or y.max() >= n_out:
            raise ValueError(
                f"training y labels must be in [0, {n_out}) for a model with {n_out} "
                f"outputs, got range [{y.min()}, {y.max()}]"
            )
        loss_forward = loss._forward
    else:
        loss_forward = loss.forward
    grad_index = {id(g): i for i, g in enumerate(grads)}
    w_pos = [grad_index.get(id(m.dW)) for _, m in named]
    if None in w_pos:  # a Linear whose dW is not among model.grads: let the monitor compute
        w_pos = None
    fast_step = isinstance(optimizer, Optimizer)
    first_step = True

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            perm = rng.permutation(n)
            Xs, ys = X[perm], y[perm]
            loss_sum = 0.0
            correct = 0
            stopped = False
            for start in range(0, n, batch_size):
                xb = Xs[start : start + batch_size]
                yb = ys[start : start + batch_size]
                out = model.forward(xb)
                value = loss_forward(out, yb)
                step_loss.append(value)
                if not isfinite(value):
                    totals.append(math.nan)
                    if mon is not None:
                        mon.skip()
                    hist.nonfinite_at = (epoch, len(step_loss) - 1)
                    hist.nonfinite_kind = "loss"
                    loss_sum = value
                    stopped = True
                    break
                loss_sum += value * len(xb)
                if classify:
                    correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
                model.backward(loss.backward())
                sq = [float(dot(v, v)) for v in (g.ravel() for g in grads)]
                if mon is not None:
                    mon.record(None if w_pos is None else [sqrt(sq[i]) for i in w_pos])
                total = sum(sq)
                # Overflowing squares or a NaN/inf: the careful norm decides which it is.
                total = sqrt(total) if isfinite(total) else _global_norm(grads)
                totals.append(total)
                if not isfinite(total):
                    hist.nonfinite_at = (epoch, len(step_loss) - 1)
                    hist.nonfinite_kind = "gradient"
                    loss_sum = math.nan
                    stopped = True
                    break
                if clip_value is not None:
                    clip_by_value(grads, clip_value, in_place=True)
                if clip_norm is not None:
                    after = total if clip_value is None else _global_norm(grads)
                    _scale_in_place(grads, clip_norm, after)
                if fast_step and not first_step:
                    optimizer._apply(params, grads)  # step() minus the checks it made once
                else:
                    optimizer.step(params, grads)
                    first_step = False
            hist.epoch_loss.append(loss_sum if stopped else loss_sum / n)
            if classify and not stopped:
                hist.epoch_acc.append(correct / n)
            if validation is not None and not stopped:
                out = _forward_batched(model, Xv)
                hist.val_loss.append(loss.forward(out, yv))
                if classify:
                    hist.val_acc.append(float(np.mean(out.argmax(axis=1) == yv)))
            if every and (epoch % every == 0 or stopped or epoch == epochs):
                print(_epoch_line(hist, epoch - 1))
            if stopped:
                break

    if every and hist.nonfinite_at is not None:
        print(hist.message)
    hist.step_loss = np.array(step_loss, dtype=np.float64)
    hist.total_grad_norm = np.array(totals, dtype=np.float64)
    if mon is not None:
        hist.weight_grad_norms = mon.weight_grad_norms
        hist.input_grad_norms = mon.input_grad_norms
    else:
        hist.weight_grad_norms = np.full((len(step_loss), len(named)), np.nan)
        hist.input_grad_norms = np.full((len(step_loss), len(named)), np.nan)
    return hist
