"""Training a :mod:`mathprog.nn` model (notebooks 06, 07, 09): the mini-batch loop, clipping
with PyTorch's semantics, and the :class:`History` it records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog.nn import SoftmaxCrossEntropy, linear_layers

__all__ = ["clip_by_norm", "clip_by_value", "global_norm", "History", "train"]


def _grads(grads: Any) -> list[np.ndarray]:
    grads = [grads] if isinstance(grads, np.ndarray) else grads
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be an array or a list of arrays, got {type(grads).__name__}")
    for i, g in enumerate(grads):
        if not (isinstance(g, np.ndarray) and g.dtype.kind == "f"):
            raise TypeError(f"grads[{i}] must be a float numpy array, got {type(g).__name__}")
    return list(grads)


def global_norm(grads: Sequence[np.ndarray] | np.ndarray) -> float:
    """``sqrt(sum_i ||g_i||²)``: inf or nan as PyTorch, finite for finite gradients."""
    grads = _grads(grads)
    with np.errstate(over="ignore", invalid="ignore"):
        sq = sum(float(np.vdot(g, g)) for g in grads)  # in the gradients' dtype
        if sq == math.inf and all(np.isfinite(g).all() for g in grads):  # squares overflowed
            big = max(float(np.abs(g).max()) for g in grads if g.size)
            return big * global_norm([g.astype(np.float64) / big for g in grads])
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


def clip_by_value(grads: Sequence[np.ndarray] | np.ndarray, clip_value: float) -> list[np.ndarray]:
    """Copies with every entry clamped to ``[-clip_value, clip_value]`` (``clip_grad_value_``)."""
    grads, c = _grads(grads), check.positive(clip_value, "clip_value")
    return [np.clip(g, -c, c) for g in grads]


@dataclass(repr=False)
class History:
    """What :func:`train` saw, per epoch and per attempted step.

    Attributes
    ----------
    epoch_loss, epoch_acc, val_loss, val_acc : list of float, one per epoch
        (accuracy for classification only; the epoch that blew up gets its loss)
    step_loss, total_grad_norm : ndarray (steps,); the global norm is before clipping
    layer_names : list of str; the Linear layers, e.g. ``"linear1 (64→128)"``
    weight_grad_norms, input_grad_norms : ndarray (steps, n_linear)
        ``||dL/dW||`` and ``||dL/dh||`` (NaN without ``monitor`` or where backward never ran)
    nonfinite_at, nonfinite_kind : (1-based epoch, 0-based step) and "loss" or "gradient"
        where the loss or a gradient first went non-finite; None if they never did
    steps_per_epoch : int
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

    def __repr__(self) -> str:
        return f"History({self.epochs_run} epochs, {len(self.step_loss)} steps: {self.message})"

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


def _data(model: Any, loss: Any, X: Any, y: Any, x_name: str, y_name: str) -> tuple[Any, Any]:
    """``X`` (and float ``y``) in the model's dtype, tried on the model and the loss."""
    dt = model.params[0].dtype
    X = check.array(X, x_name, ndim=2, dtype=dt)
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{y_name} has shape {y.shape}, {x_name} has {len(X)} rows")
    if y.dtype.kind == "f":  # labels stay integers (a custom loss may index with them)
        y = check.array(y, y_name, dtype=dt)
    with np.errstate(all="ignore"):  # a blow-up is for training to report
        try:
            out = model.forward(X[:1])
        except ValueError as err:
            raise ValueError(f"{x_name}'s first row does not fit the model: {err}") from None
        try:  # the loss checks every target (shape, labels in range) against that output
            loss.forward(np.repeat(out, len(X), axis=0), y)
        except (TypeError, ValueError) as err:
            kind = TypeError if isinstance(err, TypeError) else ValueError
            raise kind(f"{y_name}: {err}") from None
    return X, y


def _epoch(run: tuple, X: np.ndarray, y: np.ndarray, hist: History,
           rows: list[list[float]]) -> bool:
    """One pass over the shuffled data; True if it blew up. A row per step in ``rows``: the loss,
    the global norm, ``||dL/dW||`` and ``||dL/dh||`` of each of ``linears`` (NaN: no backward)."""
    model, loss, optimizer, params, grads, linears, batch_size, clip_norm, classify = run
    total_loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model.forward(xb)
        value = loss.forward(out, yb)
        row = [value] + [math.nan] * (1 + 2 * len(linears))
        if math.isfinite(value):
            model.backward(loss.backward())
            squares = {id(g): float(np.vdot(g, g)) for g in grads}
            total = math.sqrt(sum(squares.values()))  # not finite: global_norm rescales
            row = [value, total if math.isfinite(total) else global_norm(grads),
                   *(math.sqrt(squares[id(m.dW)]) for m in linears),  # overflow: inf
                   *(math.sqrt(np.vdot(m.grad_input, m.grad_input)) for m in linears)]
        rows.append(row)
        if not (math.isfinite(value) and math.isfinite(row[1])):
            hist.nonfinite_at = (len(hist.epoch_loss) + 1, len(rows) - 1)
            hist.nonfinite_kind = "loss" if not math.isfinite(value) else "gradient"
            hist.epoch_loss.append(value if hist.nonfinite_kind == "loss" else math.nan)
            return True
        if clip_norm is not None:
            clip_by_norm(grads, clip_norm, in_place=True)
        optimizer.step(params, grads)
        total_loss += value * len(xb)
        correct += int(np.count_nonzero(out.argmax(axis=1) == yb)) if classify else 0
    hist.epoch_loss.append(total_loss / len(X))
    if classify:
        hist.epoch_acc.append(correct / len(X))
    return False


def train(model: Any, loss: Any, optimizer: Any, X: Any, y: Any, *, epochs: int,
          batch_size: int = 32, seed: int = 0, clip_norm: float | None = None,
          validation: tuple[Any, Any] | None = None, monitor: bool = True,
          verbose: bool | int = False) -> History:
    """Mini-batch training with gradient monitoring and optional clipping.

    Each step: forward, loss, backward, record the norms, clip, ``optimizer.step``; shuffled by
    ``seed`` every epoch. Stops at the first non-finite loss or gradient and records where. Every
    argument, ``validation`` included, is checked before the first step.

    Parameters
    ----------
    model : a :class:`mathprog.nn.Layer`, e.g. ``Sequential``; updated in place.
    loss : SoftmaxCrossEntropy, MSELoss, or any object with forward/backward.
    optimizer : has ``step(params, grads)``, e.g. ``mathprog.optim.SGD(lr=0.1)``.
    X, y : array (n, features); int labels (n,) or float targets shaped like the output.
    epochs, batch_size, seed : int; batch_size 32 and seed (of the shuffling) 0 by default.
    clip_norm : float, optional; clip the global gradient norm (:func:`clip_by_norm`).
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
    every = check.integer(int(verbose) if isinstance(verbose, bool) else verbose, "verbose")
    if not model.params:
        raise ValueError("model has no parameters to train")
    named = linear_layers(model)  # refuses a layer object used twice
    X, y = _data(model, loss, X, y, "X", "training y")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError("validation must be a pair (X_val, y_val)")
        Xv, yv = _data(model, loss, *validation, "validation X", "validation y")
    classify = isinstance(loss, SoftmaxCrossEntropy)
    linears = [m for _, m in named] if monitor else []
    run = (model, loss, optimizer, model.params, model.grads, linears, batch_size, clip_norm,
           classify)
    hist = History(layer_names=[n for n, _ in named], steps_per_epoch=-(-len(X) // batch_size))
    rows: list[list[float]] = []
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            perm = rng.permutation(len(X))
            stopped = _epoch(run, X[perm], y[perm], hist, rows)
            if validation is not None and not stopped:
                out = model.forward(Xv)
                hist.val_loss.append(loss.forward(out, yv))
                if classify:
                    hist.val_acc.append(float(np.mean(out.argmax(axis=1) == yv)))
            if every and (epoch % every == 0 or stopped or epoch == epochs):
                print(hist._line(epoch - 1))
            if stopped:
                break
    if every and hist.diverged:
        print(hist.message)
    table = np.array(rows, dtype=np.float64).reshape(len(rows), 2 + 2 * len(linears))
    hist.step_loss, hist.total_grad_norm = table[:, 0], table[:, 1]
    norms = table[:, 2:] if monitor else np.full((len(rows), 2 * len(named)), np.nan)
    hist.weight_grad_norms, hist.input_grad_norms = np.split(norms, 2, axis=1)
    return hist
