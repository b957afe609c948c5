"""Backpropagation, the chain rule in action (notebook 06): a small neural-network library.

``forward(x)`` caches what the derivative needs; ``backward(g)`` takes ``g = dL/d(output)``,
overwrites its parameters' gradient arrays in place and returns ``dL/d(input)``. A batch is
``(batch, features)``; losses take the mean (PyTorch's defaults); float32 stays float32. A
layer object holds one cache, so a model may use it once. Training: :mod:`mathprog.training`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mathprog import _checks as check

__all__ = ["Layer", "Linear", "MSELoss", "ReLU", "Residual", "Sequential", "Sigmoid",
           "SoftmaxCrossEntropy", "Tanh", "accuracy", "linear_layers", "mlp", "named_layers",
           "softmax"]


class Layer:
    """Base class: ``params`` are the arrays named in ``_param_names`` (``"W"``; optimizers
    update them in place), then those of its ``named_children()`` (a container's layers, in
    order); ``grads`` their gradients in the same order (``"dW"``)."""

    _param_names: tuple[str, ...] = ()

    def named_children(self) -> list[tuple[Any, Layer]] | None:
        """``(label, layer)`` of the layers a container holds; None for a plain layer."""
        return None

    @property
    def params(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self._param_names] + [
            p for _, kid in self.named_children() or () for p in kid.params]

    @property
    def grads(self) -> list[np.ndarray]:
        return [getattr(self, "d" + n) for n in self._param_names] + [
            g for _, kid in self.named_children() or () for g in kid.grads]

    def astype(self, dtype: Any) -> Layer:
        """A deep copy whose float arrays (parameters, gradients, caches) are in ``dtype``."""
        dt = check.float_dtype(dtype)
        new = copy.deepcopy(self)
        for _, layer in named_layers(new):
            attrs = vars(layer)
            attrs.update({k: v.astype(dt) for k, v in attrs.items()
                          if isinstance(v, np.ndarray) and v.dtype.kind == "f"})
        return new

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _cached(owner: Any, name: str) -> np.ndarray:
    """What the last forward of ``owner`` left in ``name``; RuntimeError if none ran yet."""
    value = getattr(owner, name)
    if value is None:
        raise RuntimeError(f"{type(owner).__name__}.backward called before forward")
    return value


class Linear(Layer):
    """Affine layer ``y = x @ W + b``, ``W`` of shape ``(n_in, n_out)``.

    ``init`` draws ``W`` from N(0, (gain std)²), std = sqrt(2/n_in) ("he"), sqrt(2/(n_in+n_out))
    ("xavier"), 1 ("normal"), or 0 ("zeros"); ``rng`` None, an int or a Generator; ``dtype``
    np.float32 or np.float64. Backward leaves ``dW``, ``db`` and ``grad_input`` (dL/dx).
    """

    _param_names = ("W", "b")
    x: np.ndarray | None = None  # the input of the last forward
    grad_input: np.ndarray | None = None

    def __init__(self, n_in: int, n_out: int, init: str = "he", gain: float = 1.0,
                 rng: None | int | np.random.Generator = None, dtype: Any = np.float64) -> None:
        self.n_in, self.n_out = check.integer(n_in, "n_in", 1), check.integer(n_out, "n_out", 1)
        stds = {"he": math.sqrt(2.0 / n_in), "xavier": math.sqrt(2.0 / (n_in + n_out)),
                "normal": 1.0, "zeros": 0.0}
        self.init = check.choice(init, "init", tuple(stds))
        self.gain = check.number(gain, "gain", lo=0.0)
        dt, gen = check.float_dtype(dtype), check.generator(rng)
        self.W = (np.zeros((n_in, n_out), dtype=dt) if init == "zeros" else
                  (gen.standard_normal((n_in, n_out)) * stds[init] * self.gain).astype(dt))
        self.dW = np.zeros_like(self.W)
        self.b, self.db = np.zeros(n_out, dtype=dt), np.zeros(n_out, dtype=dt)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if getattr(x, "ndim", 0) != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"x must have shape (batch, {self.n_in}) for Linear({self.n_in}, "
                             f"{self.n_out}), got {getattr(x, 'shape', type(x).__name__)}")
        self.x = x
        out = x @ self.W
        out += self.b
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        np.matmul(_cached(self, "x").T, grad_out, out=self.dW)  # dL/dW = x^T g
        np.add.reduce(grad_out, axis=0, out=self.db)  # dL/db = sum of g over the batch
        self.grad_input = grad_out @ self.W.T  # dL/dx = g W^T
        return self.grad_input

    def __repr__(self) -> str:
        return f"Linear({self.n_in}, {self.n_out}, init={self.init!r}, gain={self.gain:g})"


class ReLU(Layer):
    """``relu(x) = max(x, 0)``; local derivative 1 where x > 0, else 0 (the ``mask``)."""

    mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * _cached(self, "mask")  # a bool mask keeps grad_out's dtype


class Tanh(Layer):
    """``tanh(x)``; local derivative ``1 - tanh(x)²`` (reuses the forward output)."""

    out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        out = _cached(self, "out")
        return grad_out * (1 - out * out)


class Sigmoid(Layer):
    """``sigmoid(x) = (1 + tanh(x/2)) / 2`` (no overflow); local derivative ``s (1 - s)``."""

    out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 0.5 * (np.tanh(0.5 * x) + 1)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        out = _cached(self, "out")
        return grad_out * (out * (1 - out))


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse (the chain rule)."""

    def __init__(self, *layers: Layer) -> None:
        for i, layer in enumerate(layers):
            check.has(layer, f"layers[{i}]", "forward", "backward", "params", "grads")
        self.layers = list(layers)
        list(named_layers(self))  # refuses a layer object used twice

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def named_children(self) -> list[tuple[Any, Layer]]:
        return list(enumerate(self.layers))

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __repr__(self) -> str:
        inner = ",\n".join("  " + repr(layer).replace("\n", "\n  ") for layer in self.layers)
        return f"Sequential(\n{inner}\n)"


class Residual(Layer):
    """Skip connection ``y = x + block(x)``: ``dL/dx = g + block.backward(g)``."""

    def __init__(self, block: Layer) -> None:
        self.block = check.has(block, "block", "forward", "backward", "params", "grads")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.block.forward(x)
        if out.shape != x.shape:
            raise ValueError(f"block must keep the shape: input {x.shape}, output {out.shape}")
        return x + out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out + self.block.backward(grad_out)

    def named_children(self) -> list[tuple[Any, Layer]]:
        return [("block", self.block)]

    def __repr__(self) -> str:
        return f"Residual({self.block!r})"


def _leaves(layer: Any, label: str) -> Iterator[tuple[str, Any]]:
    kids = layer.named_children() if isinstance(layer, Layer) else None
    if kids is None:
        yield label or "model", layer
    for k, kid in kids or ():
        yield from _leaves(kid, f"{label}.{k}" if label else str(k))


def named_layers(model: Any) -> Iterator[tuple[str, Any]]:
    """``(label, layer)`` in forward order, walking into Sequential and Residual: labels like
    ``"0"``, ``"1.block.0"``. Raises ValueError if one layer object appears twice."""
    seen: dict[int, str] = {}
    for label, layer in _leaves(model, ""):
        if id(layer) in seen:
            raise ValueError(f"layers: {label} ({layer!r}) is the same object as "
                             f"{seen[id(layer)]}; a layer caches one forward pass, so create "
                             "a new one for each position (tied weights are not supported)")
        seen[id(layer)] = label
        yield label, layer


def mlp(sizes: Sequence[int], *, activation: str = "relu",
        rng: None | int | np.random.Generator = 0, dtype: Any = np.float64) -> Sequential:
    """Linear, activation, ..., Linear of widths ``sizes``, input to output: ``activation``
    "relu" (He init) or "tanh" (Xavier init); one generator draws every layer."""
    act = {"relu": ReLU, "tanh": Tanh}[check.choice(activation, "activation", ("relu", "tanh"))]
    sizes = [check.integer(s, f"sizes[{i}]", 1) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    init, gen = "he" if activation == "relu" else "xavier", check.generator(rng)
    layers: list[Layer] = []
    for a, b in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [Linear(a, b, init, rng=gen, dtype=dtype), act()]
    layers.append(Linear(sizes[-2], sizes[-1], init, rng=gen, dtype=dtype))
    return Sequential(*layers)


def linear_layers(model: Layer) -> list[tuple[str, Linear]]:
    """The Linear layers from input to output, named like ``"linear1 (64→128)"``."""
    found = [m for _, m in named_layers(model) if isinstance(m, Linear)]
    return [(f"linear{i + 1} ({m.n_in}→{m.n_out})", m) for i, m in enumerate(found)]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so ``exp`` never overflows."""
    logits = check.array(logits, "logits", dtype=None, finite=False)
    if logits.ndim == 0:
        raise ValueError("logits must have at least one axis (the classes are the last)")
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Softmax then cross-entropy against integer labels, mean over the batch.

    ``L = mean_i [logsumexp(z_i) - z_i[y_i]]``; gradient ``(softmax(z) - onehot(y)) / N``.
    Non-finite logits give a non-finite loss (how training sees a blow-up); bad labels raise.
    """

    probs: np.ndarray | None = None
    target: np.ndarray | None = None

    def forward(self, logits: np.ndarray, target: Any) -> float:
        if not isinstance(logits, np.ndarray) or logits.dtype.kind != "f":
            raise TypeError(f"logits must be a float numpy array, got {type(logits).__name__}")
        target = np.asarray(target)
        if target.dtype.kind not in "iu":
            raise TypeError(f"target must hold integer class labels, got dtype {target.dtype}")
        if logits.ndim != 2 or target.shape != logits.shape[:1] or not target.size:
            raise ValueError(f"target must have shape (N,) for logits (N, C), N >= 1; got "
                             f"target {target.shape} and logits {logits.shape}")
        n, c = logits.shape
        if target.min() < 0 or target.max() >= c:
            raise ValueError(f"target labels must be in [0, {c}), got [{target.min()}, "
                             f"{target.max()}]")
        z = logits - logits.max(axis=1, keepdims=True)  # the shift: exp(z) <= 1
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        self.probs, self.target = e / s, target
        return (float(np.log(s).sum()) - float(z[np.arange(n), target].sum())) / n

    def backward(self) -> np.ndarray:
        """``dL/dlogits = (softmax - onehot) / N``."""
        grad = _cached(self, "probs").copy()
        grad[np.arange(len(grad)), self.target] -= 1
        grad *= grad.dtype.type(1.0 / len(grad))
        return grad


class MSELoss:
    """``L = mean((pred - target)²)``, gradient ``2 (pred - target) / size``; no broadcasting."""

    diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: Any) -> float:
        if not isinstance(pred, np.ndarray) or pred.dtype.kind != "f":
            raise TypeError(f"pred must be a float numpy array, got {type(pred).__name__}")
        target = check.array(target, "target", dtype=pred.dtype, empty=True)
        if target.shape != pred.shape or not pred.size:
            raise ValueError(f"target shape {target.shape} must match pred shape {pred.shape} "
                             "(non-empty; MSELoss does not broadcast)")
        self.diff = pred - target
        return float(np.mean(self.diff * self.diff))

    def backward(self) -> np.ndarray:
        diff = _cached(self, "diff")
        return diff * diff.dtype.type(2.0 / diff.size)


def accuracy(model: Any, X: Any, y: Any) -> float:
    """Fraction of rows of ``X`` whose predicted class, the largest of the model's outputs
    (logits), equals the label in ``y``."""
    params = check.has(model, "model", "forward", "params").params
    X = check.array(X, "X", ndim=2, dtype=params[0].dtype if params else np.float64)
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) for X with {len(X)} rows, got {y.shape}")
    return float(np.mean(np.argmax(model.forward(X), axis=1) == y))
