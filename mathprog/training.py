"""Training a :mod:`mathprog.nn` model: the mini-batch loop and what it records.

:func:`train` runs forward, loss, backward, optional clipping and ``optimizer.step`` for
every mini-batch, and records a :class:`History`: losses and accuracies per epoch, and per
step the gradient norms of every Linear layer, both ``||dL/dW||`` and the gradient flowing
into the layer's input ``||dL/dh||`` (where explosion shows in deep ReLU networks). It stops
at the first non-finite loss or gradient and says where. :func:`mathprog.diagnostics.diagnose`
reads the history.

Gradient clipping (:func:`clip_by_norm`, :func:`clip_by_value`, with PyTorch's semantics) and
the per-layer :class:`GradientMonitor` live here too: they are steps of the training loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mathprog.nn import (
    SoftmaxCrossEntropy,
    _forward_batched,
    linear_layers,
)
from mathprog.optim import Optimizer

__all__ = [
    "clip_by_norm",
    "clip_by_value",
    "global_norm",
    "GradientMonitor",
    "History",
    "train",
]

# PyTorch's clip_grad_norm_ divides by (total_norm + 1e-6): the scale never divides by zero
# and a gradient whose norm equals max_norm is left (almost) exactly as it is.
_CLIP_EPS = 1e-6


def _check_grads(grads: Any, name: str = "grads") -> list[np.ndarray]:
    if isinstance(grads, np.ndarray):
        grads = [grads]
    try:
        grads = list(grads)
    except TypeError:
        raise TypeError(
            f"{name} must be a numpy array or a list of numpy arrays, got {type(grads).__name__}"
        ) from None
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray):
            raise TypeError(f"{name}[{i}] must be a numpy array, got {type(g).__name__}")
        if not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"{name}[{i}] must hold floats, got dtype {g.dtype}")
    return grads


def _sum_of_squares(g: np.ndarray) -> float:
    v = g.ravel()
    return float(np.dot(v, v))


def global_norm(grads: Sequence[np.ndarray] | np.ndarray) -> float:
    """Euclidean norm of all gradients taken together: ``sqrt(sum_i ||g_i||^2)``.

    Parameters
    ----------
    grads : list of numpy arrays (or one array)

    Returns
    -------
    float
        ``inf`` if some entry is infinite, ``nan`` if some entry is NaN (as PyTorch). A norm
        that merely overflows the arrays' dtype (float32 squares above 3.4e38) is recomputed
        in float64 with rescaling, so finite gradients always give a finite norm.
    """
    grads = _check_grads(grads)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is handled in _global_norm
        return _global_norm(grads)


def _global_norm(grads: list[np.ndarray]) -> float:
    """:func:`global_norm` without the checks (train calls it every step, under errstate)."""
    sq = 0.0
    for g in grads:
        sq += _sum_of_squares(g)
    if math.isfinite(sq):
        return math.sqrt(sq)
    if math.isnan(sq) or not all(np.isfinite(g).all() for g in grads):
        # Same answer as PyTorch: NaN wins over inf.
        return float("nan") if any(np.isnan(g).any() for g in grads) else float("inf")
    # Finite entries whose squares overflowed: rescale by the largest magnitude, in float64.
    biggest = max(float(np.max(np.abs(g))) for g in grads if g.size)
    total = 0.0
    for g in grads:
        total += _sum_of_squares(g.astype(np.float64) / biggest)
    return biggest * math.sqrt(total)


def clip_by_norm(
    grads: Sequence[np.ndarray] | np.ndarray, max_norm: float, *, in_place: bool = False
) -> tuple[list[np.ndarray], float]:
    """Rescale gradients so that their global norm is at most ``max_norm``.

    PyTorch ``clip_grad_norm_`` semantics: one norm over *all* gradients (their directions
    are kept, only the common length shrinks); when ``total_norm > max_norm`` every gradient
    is multiplied by ``max_norm / (total_norm + 1e-6)``; the returned norm is the one
    *before* clipping.

    Parameters
    ----------
    grads : list of numpy arrays (or one array)
        Float gradients.
    max_norm : float
        Positive threshold.
    in_place : bool, default False
        False: return new arrays, leaving ``grads`` untouched. True: scale the given arrays
        in place and return them (the same objects), as ``train`` does.

    Returns
    -------
    clipped_grads : list of numpy arrays
    total_norm : float
        Global norm before clipping. If it is not finite (a NaN or inf in the gradients)
        nothing is scaled -- unlike PyTorch, which would spread the NaN to every entry -- so
        the caller can see the bad values and stop.
    """
    grads = _check_grads(grads)
    max_norm = _check_pos(max_norm, "max_norm")
    with np.errstate(over="ignore", invalid="ignore"):
        total = _global_norm(grads)
    if in_place:
        _scale_in_place(grads, max_norm, total)
        return grads, total
    scale = max_norm / (total + _CLIP_EPS) if math.isfinite(total) else 1.0
    if scale < 1.0:
        return [g * g.dtype.type(scale) for g in grads], total
    return [g.copy() for g in grads], total


def _scale_in_place(grads: list[np.ndarray], max_norm: float, total: float) -> None:
    """The in-place half of :func:`clip_by_norm`, given the norm already computed."""
    if math.isfinite(total):
        scale = max_norm / (total + _CLIP_EPS)
        if scale < 1.0:
            for g in grads:
                g *= g.dtype.type(scale)


def clip_by_value(
    grads: Sequence[np.ndarray] | np.ndarray, clip_value: float, *, in_place: bool = False
) -> list[np.ndarray]:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    PyTorch ``clip_grad_value_`` semantics. Unlike clipping by norm this changes the
    gradient's direction. NaN entries stay NaN.

    Parameters
    ----------
    grads : list of numpy arrays (or one array)
    clip_value : float
        Positive bound.
    in_place : bool, default False
        True: clamp the given arrays in place and return them.

    Returns
    -------
    list of numpy arrays
    """
    grads = _check_grads(grads)
    clip_value = _check_pos(clip_value, "clip_value")
    if in_place:
        for g in grads:
            np.clip(g, -clip_value, clip_value, out=g)
        return grads
    return [np.clip(g, -clip_value, clip_value) for g in grads]


class GradientMonitor:
    """Per-step gradient norms of a list of layers.

    After each backward pass, :meth:`record` appends one row: for every layer the norm of its
    weight gradient ``||dL/dW||`` and the norm of the gradient that flowed into its input
    ``||dL/dh||``. The second is where an exploding ReLU network shows itself first: the
    weight gradients can stay flat across depth while ``dL/dh`` grows layer after layer.

    Parameters
    ----------
    layers : sequence of layer objects
        Duck-typed: each has ``dW`` (the weight gradient array) and ``grad_input`` (the last
        gradient its ``backward`` returned, or None), as :class:`mathprog.nn.Linear` does.
    names : sequence of str, optional
        One label per layer (default ``"layer1"``, ``"layer2"``, ...).

    Attributes
    ----------
    names : list of str
    """

    def __init__(self, layers: Sequence[Any], names: Sequence[str] | None = None) -> None:
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            if not hasattr(layer, "dW") or not hasattr(layer, "grad_input"):
                raise TypeError(
                    f"layers[{i}] ({type(layer).__name__}) has no dW/grad_input attributes; "
                    "GradientMonitor watches Linear-like layers"
                )
        if names is None:
            names = [f"layer{i + 1}" for i in range(len(self.layers))]
        names = [str(n) for n in names]
        if len(names) != len(self.layers):
            raise ValueError(f"names has {len(names)} entries for {len(self.layers)} layers")
        self.names = names
        self._weight_rows: list[list[float]] = []
        self._input_rows: list[list[float]] = []

    def __len__(self) -> int:
        return len(self._weight_rows)

    def record(self, weight_norms: Sequence[float] | None = None) -> None:
        """Append the current norms (call right after the model's backward pass).

        Parameters
        ----------
        weight_norms : sequence of float, optional
            ``||dL/dW||`` per layer when the caller has already computed them (``train``
            gets them from the squared norms it sums for the global norm); otherwise they
            are computed here.
        """
        h_row = []
        nan = math.nan
        # A norm beyond the dtype's range is recorded as inf: that is the evidence we want.
        with np.errstate(over="ignore", invalid="ignore"):
            if weight_norms is None:
                w_row = [math.sqrt(_sum_of_squares(layer.dW)) for layer in self.layers]
            else:
                w_row = list(weight_norms)
                if len(w_row) != len(self.layers):
                    raise ValueError(
                        f"weight_norms has {len(w_row)} entries for {len(self.layers)} layers"
                    )
            for layer in self.layers:
                gi = layer.grad_input
                h_row.append(nan if gi is None else math.sqrt(_sum_of_squares(gi)))
        self._weight_rows.append(w_row)
        self._input_rows.append(h_row)

    def skip(self) -> None:
        """Append a row of NaN: a step whose backward pass never ran (e.g. non-finite loss)."""
        row = [math.nan] * len(self.layers)
        self._weight_rows.append(row)
        self._input_rows.append(list(row))

    def _as_array(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros((0, len(self.layers)))
        return np.array(rows, dtype=np.float64)

    @property
    def weight_grad_norms(self) -> np.ndarray:
        """``||dL/dW||`` per step and layer, shape ``(steps, n_layers)``."""
        return self._as_array(self._weight_rows)

    @property
    def input_grad_norms(self) -> np.ndarray:
        """``||dL/dh||`` (gradient into each layer's input) per step, ``(steps, n_layers)``."""
        return self._as_array(self._input_rows)


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


def _check_pos(value: Any, name: str) -> float:
    return _check_optional_positive(value, name)  # type: ignore[return-value]


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
        Clip the global gradient norm to this value (:func:`clip_by_norm`).
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
