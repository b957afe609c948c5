"""Training a :mod:`mathprog.nn` model: the mini-batch loop, clipping, and what it records.

:func:`train` runs forward, loss, backward, optional clipping and ``optimizer.step`` for every
mini-batch and records a :class:`History`: losses and accuracies per epoch and, per step, the
gradient norms of every Linear layer, both ``||dL/dW||`` and the gradient flowing into the
layer's input ``||dL/dh||`` (where explosion shows first in deep ReLU networks). It stops at
the first non-finite loss or gradient and says where; :func:`mathprog.diagnostics.diagnose`
reads the history. Gradient clipping has PyTorch's semantics (``clip_grad_norm_``,
``clip_grad_value_``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog import _checks as check
from mathprog.nn import MSELoss, SoftmaxCrossEntropy, linear_layers, named_layers

__all__ = ["clip_by_norm", "clip_by_value", "global_norm", "GradientMonitor", "History",
           "train"]


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
    """Euclidean norm of all gradients together, ``sqrt(sum_i ||g_i||²)``.

    ``inf`` if an entry is infinite, ``nan`` if one is NaN (as PyTorch). Squares that overflow
    the dtype (float32 above 3.4e38) are recomputed in float64 after rescaling, so finite
    gradients always give a finite norm.
    """
    grads = _grads(grads)
    with np.errstate(over="ignore", invalid="ignore"):
        sq = sum(_sq(g) for g in grads)
        if math.isfinite(sq):
            return math.sqrt(sq)
        if any(np.isnan(g).any() for g in grads):
            return math.nan
        if not all(np.isfinite(g).all() for g in grads):
            return math.inf
        big = max(float(np.abs(g).max()) for g in grads if g.size)  # squares overflowed
        return big * math.sqrt(sum(_sq(g.astype(np.float64) / big) for g in grads))


def clip_by_norm(grads: Sequence[np.ndarray] | np.ndarray, max_norm: float, *,
                 in_place: bool = False) -> tuple[list[np.ndarray], float]:
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    PyTorch ``clip_grad_norm_``: when the total norm exceeds ``max_norm`` every gradient is
    multiplied by ``max_norm / (total + 1e-6)`` (directions kept). Returns the gradients (new
    arrays, or the given ones scaled in place with ``in_place=True``) and the norm *before*
    clipping. A non-finite norm scales nothing (PyTorch would spread the NaN everywhere), so
    the caller sees the bad values.
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
    """Clamp every entry to ``[-clip_value, clip_value]`` (PyTorch ``clip_grad_value_``).

    Unlike clipping the norm this changes the gradient's direction; NaN stays NaN.
    """
    grads, c = _grads(grads), check.positive(clip_value, "clip_value")
    return [np.clip(g, -c, c, out=g if in_place else None) for g in grads]


class GradientMonitor:
    """Per-step gradient norms of a list of Linear-like layers.

    After each backward pass :meth:`record` appends, for every layer, ``||dL/dW||`` and the
    norm of the gradient that flowed into its input, ``||dL/dh||`` (``layer.grad_input``): in
    an exploding ReLU network the weight gradients can stay flat across depth while
    ``dL/dh`` grows layer after layer. ``names`` label the layers (default "layer1", ...).
    """

    def __init__(self, layers: Sequence[Any], names: Sequence[str] | None = None) -> None:
        self.layers = [check.has(m, f"layers[{i}]", "dW", "grad_input")
                       for i, m in enumerate(layers)]
        self.names = [str(n) for n in names or [f"layer{i + 1}" for i in range(len(layers))]]
        if len(self.names) != len(self.layers):
            raise ValueError(f"names has {len(self.names)} entries for {len(self.layers)} layers")
        self._rows: list[tuple[list[float], list[float]]] = []

    def __len__(self) -> int:
        return len(self._rows)

    def record(self, squares: dict[int, float] | None = None) -> None:
        """Append the current norms (call right after the model's backward pass).

        ``squares`` maps ``id(array)`` to its squared norm when the caller has them already
        (``train`` sums them for the global norm: 3 fewer dot products per step, measured).
        """
        sq = squares or {}
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is recorded as inf
            w = [math.sqrt(sq[id(m.dW)] if id(m.dW) in sq else _sq(m.dW)) for m in self.layers]
            h = [math.nan if m.grad_input is None else math.sqrt(_sq(m.grad_input))
                 for m in self.layers]
        self._rows.append((w, h))

    def skip(self) -> None:
        """Append a row of NaN: a step whose backward pass never ran (non-finite loss)."""
        self._rows.append(([math.nan] * len(self.layers), [math.nan] * len(self.layers)))

    def _column(self, k: int) -> np.ndarray:
        return np.array([r[k] for r in self._rows], dtype=np.float64).reshape(
            len(self._rows), len(self.layers))

    @property
    def weight_grad_norms(self) -> np.ndarray:
        """``||dL/dW||`` per step and layer, shape ``(steps, n_layers)``."""
        return self._column(0)

    @property
    def input_grad_norms(self) -> np.ndarray:
        """``||dL/dh||``, the gradient into each layer's input, ``(steps, n_layers)``."""
        return self._column(1)


@dataclass(repr=False)
class History:
    """What :func:`train` saw, epoch by epoch and step by step.

    Per-step arrays have one row per attempted step; a step whose loss was non-finite has NaN
    gradient norms (its backward never ran).

    Attributes
    ----------
    epoch_loss, epoch_acc : list of float
        Mean training loss and accuracy (classification only) per epoch, over the batches as
        they were seen; the epoch that blew up gets the non-finite loss.
    val_loss, val_acc : list of float
        On ``validation`` after each epoch.
    step_loss, total_grad_norm : ndarray (steps,)
        Loss and global gradient norm (before clipping) per step.
    layer_names : list of str
        The Linear layers from input to output, e.g. ``"linear1 (64→128)"``.
    weight_grad_norms, input_grad_norms : ndarray (steps, n_linear)
        ``||dL/dW||`` and ``||dL/dh||`` per step and Linear layer (NaN without ``monitor``).
    nonfinite_at : (epoch, step) or None
        1-based epoch and 0-based step where the loss or a gradient first went non-finite.
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
            return (f"non-finite {self.nonfinite_kind} at epoch {epoch} (step {step}); "
                    "training stopped")
        return f"trained {self.epochs_run} epochs, final loss {self.final_loss:.4g}"

    @property
    def epoch_of_step(self) -> np.ndarray:
        """The 1-based epoch of every recorded step, shape ``(steps,)``."""
        return np.arange(len(self.step_loss)) // max(self.steps_per_epoch, 1) + 1

    def __repr__(self) -> str:
        clip = "" if self.clip_norm is None else f", clip_norm={self.clip_norm:g}"
        if self.clip_value is not None:
            clip += f", clip_value={self.clip_value:g}"
        return (f"History({self.epochs_run} epochs, {len(self.step_loss)} steps, "
                f"{len(self.layer_names)} linear layers, {self.optimizer}, "
                f"batch_size={self.batch_size}{clip}: {self.message})")

    def log(self) -> str:
        """The epoch log, one line per epoch, like ``Epoch 1: loss = 2.305``."""
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
    """``X`` in the model's dtype and ``y`` checked against the loss, before any step runs."""
    X = check.array(X, f"{name} X", ndim=2, dtype=dt)
    if X.shape[1] != n_in:
        raise ValueError(f"{name} X has {X.shape[1]} features, the training X {n_in}")
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"{name} y has {len(y)} rows but X has {len(X)}")
    if isinstance(loss, SoftmaxCrossEntropy):
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise TypeError(f"{name} y must be a 1-D array of integer labels for "
                            f"SoftmaxCrossEntropy, got dtype {y.dtype} and shape {y.shape}")
        if y.min() < 0 or y.max() >= n_out:
            raise ValueError(f"{name} y labels must be in [0, {n_out}) for a model with {n_out} "
                             f"outputs, got [{y.min()}, {y.max()}]")
    elif y.dtype.kind in "biuf":
        y = check.array(y, f"{name} y", dtype=dt)
        if isinstance(loss, MSELoss) and y.shape != (len(X), n_out):
            raise ValueError(f"{name} y must have the model's output shape ({len(X)}, {n_out}) "
                             f"for MSELoss, got {y.shape}")
    return X, y


def _step(model: Any, loss: Any, optimizer: Any, params: list, grads: list, mon: Any,
          clip_norm: float | None, clip_value: float | None, xb: Any,
          yb: Any) -> tuple[float, float, Any]:
    """One mini-batch: returns (loss, global gradient norm before clipping, outputs)."""
    out = model.forward(xb)
    value = loss.forward(out, yb)
    if not math.isfinite(value):
        if mon is not None:
            mon.skip()
        return value, math.nan, out
    model.backward(loss.backward())
    squares = {id(g): _sq(g) for g in grads}
    if mon is not None:
        mon.record(squares)
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
    """One pass over the shuffled data, recorded in ``hist``; True if it blew up."""
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

    Each step: forward, loss, backward, record the gradient norms, clip, ``optimizer.step``.
    The data are shuffled every epoch by one ``np.random.default_rng(seed)``, so a run is
    deterministic. Training stops at the first non-finite loss or gradient and records where
    (overflow warnings are silenced inside the loop because the blow-up is reported instead).
    Every argument, ``validation`` included, is checked before the first step.

    Parameters
    ----------
    model : Layer, e.g. a :class:`mathprog.nn.Sequential`; updated in place.
    loss : SoftmaxCrossEntropy or MSELoss (or any object with forward/backward)
    optimizer : object with ``step(params, grads)``, e.g. ``mathprog.optim.SGD(lr=0.1)``
    X : array (n, features), converted once to the model's dtype
    y : array (n,) of int labels, or float targets shaped like the model's output
    epochs : int
    batch_size : int, default 32 (the last batch of an epoch may be smaller)
    seed : int, default 0, of the shuffling
    clip_norm : float, optional
        Clip the global gradient norm to this value (:func:`clip_by_norm`).
    clip_value : float, optional
        Clamp every gradient entry to ``[-clip_value, clip_value]`` (before ``clip_norm``).
    validation : (X_val, y_val), optional
        Evaluated after each epoch (loss, and accuracy for classification).
    monitor : bool, default True
        Record per-layer gradient norms (the global norm is always recorded).
    verbose : bool or int
        Print the epoch log; an int k prints every k-th epoch.
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
    mon = GradientMonitor([m for _, m in named], [n for n, _ in named]) if monitor else None
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
    nan = np.full((len(steps), len(named)), np.nan)
    hist.weight_grad_norms = mon.weight_grad_norms if mon else nan
    hist.input_grad_norms = mon.input_grad_norms if mon else nan.copy()
    return hist
