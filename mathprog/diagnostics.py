"""Diagnosing training: gradient clipping and a gradient monitor.

The article's opening story ends with "I actually looked at the gradients". This module is
that look, made routine:

- :func:`global_norm` -- one norm over all gradients, ``sqrt(sum_i ||g_i||^2)``.
- :func:`clip_by_norm` -- rescale all gradients together so their global norm is at most
  ``max_norm`` (the semantics of PyTorch's ``torch.nn.utils.clip_grad_norm_``).
- :func:`clip_by_value` -- clamp every gradient entry to ``[-clip_value, clip_value]``.
- :class:`GradientMonitor` -- records, step by step, the norm of each layer's weight gradient
  ``||dL/dW||`` and of the gradient flowing into the layer's input ``||dL/dh||``;
  :func:`mathprog.nn.train` uses it to fill a ``History``.

In place or not: by default the clipping functions return new arrays and leave their input
untouched (safe in a notebook). With ``in_place=True`` they scale the given arrays themselves
and return that same list, which is what PyTorch's trailing-underscore functions do and what
``train`` uses (the optimizer then reads the very arrays it always reads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "GradientMonitor",
    "clip_by_norm",
    "clip_by_value",
    "global_norm",
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


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


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
    max_norm = _check_positive(max_norm, "max_norm")
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
    clip_value = _check_positive(clip_value, "clip_value")
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
