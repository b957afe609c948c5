"""Training a :mod:`mathprog.nn` model (notebooks 06, 07, 09): the mini-batch loop, clipping
with PyTorch's semantics, and the :class:`History` it records (losses, and per step the
gradient norms ``||dL/dW||`` and ``||dL/dh||`` of every Linear layer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog.nn import MSELoss, SoftmaxCrossEntropy, linear_layers, named_layers

__all__ = ["clip_by_norm", "clip_by_value", "global_norm", "History", "train"]


def _grads(grads: Any) -> list[np.ndarray]:
    grads = [grads] if isinstance(grads, np.ndarray) else grads
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be an array or a list of arrays, got {type(grads).__name__}")
    for i, g in enumerate(grads):
        if not (isinstance(g, np.ndarray) and g.dtype.kind == "f"):
            raise TypeError(f"grads[{i}] must be a float numpy array, got {type(g).__name__}")
    return list(grads)


def _sq(g: np.ndarray) -> float:
    v = g.ravel()
    return float(np.dot(v, v))


def global_norm(grads: Sequence[np.ndarray] | np.ndarray) -> float:
    """``sqrt(sum_i ||g_i||²)``: inf or nan as PyTorch, finite for finite gradients."""
    grads = _grads(grads)
    with np.errstate(over="ignore", invalid="ignore"):
        sq = sum(_sq(g) for g in grads)  # in the gradients' dtype, as the step's own norm
        if sq == math.inf and all(np.isfinite(g).all() for g in grads):  # squares overflowed
            big = max(float(np.abs(g).max()) for g in grads if g.size)
            return big * math.sqrt(sum(_sq(g.astype(np.float64) / big) for g in grads))
        return math.sqrt(sq)


def clip_by_norm(grads: Sequence[np.ndarray] | np.ndarray, max_norm: float, *,
                 in_place: bool = False) -> tuple[list[np.ndarray], float]:
    """Scale all gradients by ``max_norm / (total + 1e-6)`` if their global norm exceeds it.

    PyTorch's ``clip_grad_norm_``, except that a non-finite norm scales nothing. Returns the
    gradients (copies, or the same arrays with ``in_place=True``) and the norm before clipping.
    """
    grads, max_norm = _grads(grads), check.positive(max_norm, "max_norm")
    total = global_norm(grads)
    scale = max_norm / (total + 1e-6) if math.isfinite(total) else 1.0
    out = grads if in_place else [g.copy() for g in grads]
    if scale < 1.0:
        for g in out:
            g *= g.dtype.type(scale)
    return out, total


def clip_by_value(grads: Sequence[np.ndarray] | np.ndarray, clip_value: float, *,
                  in_place: bool = False) -> list[np.ndarray]:
    """Clamp every entry to ``[-clip_value, clip_value]`` (PyTorch ``clip_grad_value_``)."""
    grads, c = _grads(grads), check.positive(clip_value, "clip_value")
    return [np.clip(g, -c, c, out=g if in_place else None) for g in grads]


def _layer_norms(layers: list[Any], squares: dict[int, float]) -> list[float]:
    """``||dL/dW||`` then ``||dL/dh||`` (the gradient into the input) of each Linear layer."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is recorded as inf
        w = [math.sqrt(squares[id(m.dW)] if id(m.dW) in squares else _sq(m.dW)) for m in layers]
        return w + [math.sqrt(_sq(m.grad_input)) for m in layers]


@dataclass(repr=False)
class History:
    """What :func:`train` saw, per epoch and per attempted step.

    Attributes
    ----------
    epoch_loss, epoch_acc, val_loss, val_acc : list of float
        Per epoch (accuracy for classification only; the epoch that blew up gets its loss).
    step_loss, total_grad_norm : ndarray (steps,)
        Loss and global gradient norm (before clipping) per step.
    layer_names : list of str
        The Linear layers, e.g. ``"linear1 (64→128)"``.
    weight_grad_norms, input_grad_norms : ndarray (steps, n_linear)
        ``||dL/dW||`` and ``||dL/dh||`` (NaN without ``monitor`` or where backward never ran).
    nonfinite_at, nonfinite_kind : (epoch, step) or None; "loss", "gradient" or None
        Where (1-based epoch, 0-based step) the loss or a gradient first went non-finite.
    lr, batch_size, clip_norm, clip_value, epochs, seed, optimizer, dtype, steps_per_epoch
        The run's configuration.
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
        """Whether training stopped at a non-finite loss or gradient."""
        return self.nonfinite_at is not None

    @property
    def epochs_run(self) -> int:
        return len(self.epoch_loss)

    @property
    def final_loss(self) -> float:
        """Last epoch's training loss (nan if none ran)."""
        return self.epoch_loss[-1] if self.epoch_loss else float("nan")

    @property
    def message(self) -> str:
        if self.nonfinite_at is not None:
            epoch, step = self.nonfinite_at
            return (f"non-finite {self.nonfinite_kind} at epoch {epoch} (step {step}); "
                    "training stopped")
        return f"trained {self.epochs_run} epochs, final loss {self.final_loss:.4g}"

    @property
    def epoch_of_step(self) -> np.ndarray:
        """The 1-based epoch of every step."""
        return np.arange(len(self.step_loss)) // max(self.steps_per_epoch, 1) + 1

    def __repr__(self) -> str:
        clip = "" if self.clip_norm is None else f", clip_norm={self.clip_norm:g}"
        if self.clip_value is not None:
            clip += f", clip_value={self.clip_value:g}"
        return (f"History({self.epochs_run} epochs, {len(self.step_loss)} steps, "
                f"{len(self.layer_names)} linear layers, {self.optimizer}, "
                f"batch_size={self.batch_size}{clip}: {self.message})")

    def log(self) -> str:
        """One line per epoch, like ``Epoch 1: loss = 2.305``."""
        return "\n".join(self._line(i) for i in range(len(self.epoch_loss)))

    def _line(self, i: int) -> str:
        line = f"Epoch {i + 1}: loss = {self.epoch_loss[i]:.3f}"
        if i < len(self.val_loss):
            line += f", val loss = {self.val_loss[i]:.3f}"
            if i < len(self.val_acc):
                line += f", val acc = {self.val_acc[i]:.3f}"
        return line


def _data(X: Any, y: Any, loss: Any, dt: np.dtype, n_in: int, n_out: int,
          name: str) -> tuple[Any, Any]:
    """``X`` in the model's dtype and ``y`` checked against the loss."""
    X = check.array(X, f"{name} X", ndim=2, dtype=dt)
    if X.shape[1] != n_in:
        raise ValueError(f"{name} X has {X.shape[1]} features, the training X {n_in}")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{name} y has shape {y.shape}, X has {len(X)} rows")
    if isinstance(loss, SoftmaxCrossEntropy):
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise TypeError(f"{name} y must be a 1-D array of integer labels for "
                            f"SoftmaxCrossEntropy, got dtype {y.dtype} and shape {y.shape}")
        if y.min() < 0 or y.max() >= n_out:
            raise ValueError(f"{name} y labels must be in [0, {n_out}) for a model with {n_out} "
                             f"outputs, got [{y.min()}, {y.max()}]")
    elif isinstance(loss, MSELoss) or y.dtype.kind in "bf":  # integer labels of a custom
        y = check.array(y, f"{name} y", dtype=dt)                # loss reach it as integers
        if isinstance(loss, MSELoss) and y.shape != (len(X), n_out):
            raise ValueError(f"{name} y must have the model's output shape ({len(X)}, {n_out}) "
                             f"for MSELoss, got {y.shape}")
    return X, y


def _step(model: Any, loss: Any, optimizer: Any, params: list, grads: list, mon: tuple | None,
          clip_norm: float | None, clip_value: float | None, xb: Any,
          yb: Any) -> tuple[float, float, Any]:
    """One mini-batch: (loss, global gradient norm before clipping, outputs)."""
    out = model.forward(xb)
    value = loss.forward(out, yb)
    if not math.isfinite(value):
        if mon is not None:  # backward never ran: a row of NaN
            mon[1].append([math.nan] * 2 * len(mon[0]))
        return value, math.nan, out
    model.backward(loss.backward())
    squares = {id(g): _sq(g) for g in grads}
    if mon is not None:
        mon[1].append(_layer_norms(mon[0], squares))
    total = math.sqrt(sum(squares.values()))
    if not math.isfinite(total):  # a NaN/inf, or squares that overflowed: the careful norm
        total = global_norm(grads)
        if not math.isfinite(total):
            return value, total, out
    if clip_value is not None:
        clip_by_value(grads, clip_value, in_place=True)
    if clip_norm is not None:
        clip_by_norm(grads, clip_norm, in_place=True)
    optimizer.step(params, grads)
    return value, total, out


def _epoch(run: tuple, Xs: np.ndarray, ys: np.ndarray, hist: History, epoch: int,
           steps: list[tuple[float, float]], classify: bool) -> bool:
    """One pass over the shuffled data; True if it blew up."""
    total_loss, correct, n = 0.0, 0, len(Xs)
    for start in range(0, n, hist.batch_size):
        xb, yb = Xs[start:start + hist.batch_size], ys[start:start + hist.batch_size]
        value, norm, out = _step(*run, xb, yb)
        steps.append((value, norm))
        if not (math.isfinite(value) and math.isfinite(norm)):
            hist.nonfinite_at = (epoch, len(steps) - 1)
            hist.nonfinite_kind = "loss" if not math.isfinite(value) else "gradient"
            # the epoch that blew up gets the non-finite loss (nan for a gradient)
            hist.epoch_loss.append(value if not math.isfinite(value) else math.nan)
            return True
        total_loss += value * len(xb)
        correct += int(np.count_nonzero(out.argmax(axis=1) == yb)) if classify else 0
    hist.epoch_loss.append(total_loss / n)
    if classify:
        hist.epoch_acc.append(correct / n)
    return False


def train(model: Any, loss: Any, optimizer: Any, X: Any, y: Any, *, epochs: int,
          batch_size: int = 32, seed: int = 0, clip_norm: float | None = None,
          clip_value: float | None = None, validation: tuple[Any, Any] | None = None,
          monitor: bool = True, verbose: bool | int = False) -> History:
    """Mini-batch training with gradient monitoring and optional clipping.

    Each step: forward, loss, backward, record the norms, clip, ``optimizer.step``; shuffled by
    ``seed`` every epoch. Stops at the first non-finite loss or gradient and records where. Every
    argument, ``validation`` included, is checked before the first step.

    Parameters
    ----------
    model : a :class:`mathprog.nn.Layer`, e.g. ``Sequential``; updated in place.
    loss : SoftmaxCrossEntropy, MSELoss, or any object with forward/backward.
    optimizer : has ``step(params, grads)``, e.g. ``mathprog.optim.SGD(lr=0.1)``.
    X : array (n, features)
    y : int labels (n,), or float targets shaped like the model's output
    epochs : int
    batch_size : int, default 32
    seed : int, default 0 (the shuffling)
    clip_norm : float, optional; clip the global gradient norm (:func:`clip_by_norm`).
    clip_value : float, optional; clamp every entry first (:func:`clip_by_value`).
    validation : (X_val, y_val), optional; evaluated after each epoch.
    monitor : bool, default True; record per-layer gradient norms.
    verbose : bool or int; print the epoch log (an int k: every k-th epoch).

    Returns
    -------
    History
    """
    check.has(model, "model", "forward", "backward", "params", "grads")
    check.has(loss, "loss", "forward", "backward")
    check.has(optimizer, "optimizer", "step")
    epochs = check.integer(epochs, "epochs", 1)
    batch_size = check.integer(batch_size, "batch_size", 1)
    seed = check.integer(seed, "seed")
    clip_norm = check.optional(check.positive, clip_norm, "clip_norm")
    clip_value = check.optional(check.positive, clip_value, "clip_value")
    every = check.integer(int(verbose) if isinstance(verbose, bool) else verbose, "verbose")
    if not model.params:
        raise ValueError("model has no parameters to train")
    list(named_layers(model))  # refuses a layer object used twice
    dt = model.params[0].dtype
    X = check.array(X, "X", ndim=2, dtype=dt)
    n_out = model.forward(X[:1]).shape[1]
    X, y = _data(X, y, loss, dt, X.shape[1], n_out, "training")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError("validation must be a pair (X_val, y_val)")
        Xv, yv = _data(*validation, loss, dt, X.shape[1], n_out, "validation")
    classify = isinstance(loss, SoftmaxCrossEntropy)
    params, grads = model.params, model.grads  # the same arrays for the model's life
    named = linear_layers(model)
    mon = ([m for _, m in named], []) if monitor else None  # the layers and a row per step
    lr = getattr(optimizer, "lr", None)
    lr = float(lr) if isinstance(lr, (int, float)) else None
    hist = History(layer_names=[n for n, _ in named], lr=lr, batch_size=batch_size,
                   clip_norm=clip_norm, clip_value=clip_value,
                   epochs=epochs, seed=seed, optimizer=repr(optimizer), dtype=str(dt),
                   steps_per_epoch=-(-len(X) // batch_size))
    steps: list[tuple[float, float]] = []
    rng = np.random.default_rng(seed)
    run = (model, loss, optimizer, params, grads, mon, clip_norm, clip_value)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            perm = rng.permutation(len(X))
            stopped = _epoch(run, X[perm], y[perm], hist, epoch, steps, classify)
            if validation is not None and not stopped:
                out = model.forward(Xv)
                hist.val_loss.append(loss.forward(out, yv))
                if classify:
                    hist.val_acc.append(float(np.mean(out.argmax(axis=1) == yv)))
            if every and (epoch % every == 0 or stopped or epoch == epochs):
                print(hist._line(epoch - 1))
            if stopped:
                break
    if every and hist.nonfinite_at is not None:
        print(hist.message)
    hist.step_loss = np.array([s[0] for s in steps], dtype=np.float64)
    hist.total_grad_norm = np.array([s[1] for s in steps], dtype=np.float64)
    shape = (len(steps), 2, len(named))
    rows = np.array(mon[1], dtype=np.float64).reshape(shape) if mon else np.full(shape, np.nan)
    hist.weight_grad_norms, hist.input_grad_norms = rows[:, 0].copy(), rows[:, 1].copy()
    return hist
