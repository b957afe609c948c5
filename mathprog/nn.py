"""Backpropagation, chain rule in action: a small neural-network library in numpy.

Each layer is a small class with a ``forward(x)`` that caches what its derivative needs and
a ``backward(grad_out)`` that applies the chain rule: it receives ``dL/d(output)`` and
returns ``dL/d(input)``, storing the gradients of its own parameters on the way. The local
derivative of each layer sits right next to its forward formula.

Conventions (the contract other modules rely on):

- ``layer.params`` and ``layer.grads`` are lists of numpy arrays in matching order. Backward
  *overwrites* the gradient arrays in place, so the arrays (and lists of them taken once)
  stay the same objects for the life of the model; optimizers from :mod:`mathprog.optim`
  update ``params`` in place.
- A batch is a 2-D array ``(batch, features)``; ``Linear`` computes ``x @ W + b`` with
  ``W`` of shape ``(n_in, n_out)``.
- Losses reduce by the mean like PyTorch's defaults: cross-entropy over the batch, MSE over
  all elements. ``forward(pred, target) -> float``, ``backward() -> dL/dpred``.
- float32 and float64 both work; nothing upcasts float32 activations.

:func:`train` and :class:`History` live in :mod:`mathprog.training` (mini-batch training
with gradient clipping and per-layer gradient norms, which :mod:`mathprog.diagnostics` reads)
and are re-exported here, so ``mathprog.nn.train`` works as well.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Layer",
    "Linear",
    "MSELoss",
    "ReLU",
    "Residual",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Tanh",
    "accuracy",
    "linear_layers",
    "mlp",
    "predict",
    "softmax",
]

INITS = ("he", "xavier", "lecun", "normal", "zeros")
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype!r}") from None
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dt}")
    return dt


def _as_generator(rng: None | int | np.random.Generator) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")


def _check_batch(x: Any, name: str = "x") -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (batch, features), got shape {x.shape}")
    return x


# --------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------


class Layer:
    """Base class: a differentiable function of a batch, with optional parameters.

    Subclasses implement ``forward`` and ``backward``; parameterised layers list their
    parameter and gradient attribute names in ``_param_names`` / ``_grad_names``.
    """

    _param_names: tuple[str, ...] = ()
    _grad_names: tuple[str, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    @property
    def params(self) -> list[np.ndarray]:
        """Parameter arrays (updated in place by optimizers)."""
        return [getattr(self, n) for n in self._param_names]

    @property
    def grads(self) -> list[np.ndarray]:
        """Gradient arrays, same order and shapes as ``params``, overwritten by backward."""
        return [getattr(self, n) for n in self._grad_names]

    @property
    def n_params(self) -> int:
        """Number of scalar parameters."""
        return sum(p.size for p in self.params)

    def astype(self, dtype: Any) -> Layer:
        """A converted deep copy whose parameters (and gradients) have ``dtype``."""
        dt = _check_dtype(dtype)
        new = copy.deepcopy(self)
        new._convert(dt)
        return new

    def _convert(self, dt: np.dtype) -> None:
        for n in self._param_names + self._grad_names:
            setattr(self, n, getattr(self, n).astype(dt))
        self._clear_cache()

    def _clear_cache(self) -> None:
        pass

    def zero_grad(self) -> None:
        """Set all gradients to zero (backward overwrites them anyway)."""
        for g in self.grads:
            g.fill(0)


class Linear(Layer):
    """Affine layer ``y = x @ W + b``.

    Local derivatives (for ``g = dL/dy`` of shape (batch, n_out)):
    ``dL/dW = x.T @ g``, ``dL/db = g.sum(axis=0)``, ``dL/dx = g @ W.T``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output features.
    init : {"he", "xavier", "lecun", "normal", "zeros"}, default "he"
        Weights drawn from N(0, std^2) with std = ``gain`` times
        sqrt(2 / n_in) (He, for ReLU), sqrt(2 / (n_in + n_out)) (Xavier/Glorot, for tanh),
        sqrt(1 / n_in) (LeCun), or 1 ("normal": std is exactly ``gain``); "zeros" gives
        zero weights (e.g. an output layer that starts with uniform predictions).
    gain : float, default 1.0
        Multiplies the init's standard deviation.
    rng : None, int or numpy Generator
        Source of the initial weights. Pass one Generator to all layers of a model so they
        differ; None uses fresh OS entropy.
    dtype : np.float32 or np.float64, default np.float64
    bias : bool, default True
        Biases start at zero.

    Attributes
    ----------
    W, b : arrays (n_in, n_out) and (n_out,)
    dW, db : their gradients
    grad_input : array or None
        The gradient ``dL/dx`` the last backward returned (read by the gradient monitor).
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        init: str = "he",
        gain: float = 1.0,
        rng: None | int | np.random.Generator = None,
        dtype: Any = np.float64,
        bias: bool = True,
    ) -> None:
        for name, n in (("n_in", n_in), ("n_out", n_out)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {type(n).__name__}")
            if n < 1:
                raise ValueError(f"{name} must be >= 1, got {n}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if isinstance(gain, bool) or not isinstance(gain, (int, float, np.integer, np.floating)):
            raise TypeError(f"gain must be a number, got {type(gain).__name__}")
        if not (math.isfinite(gain) and gain >= 0):
            raise ValueError(f"gain must be a finite number >= 0, got {gain!r}")
        dt = _check_dtype(dtype)
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.init, self.gain, self.has_bias = init, float(gain), bool(bias)
        gen = _as_generator(rng)
        std = {
            "he": math.sqrt(2.0 / n_in),
            "xavier": math.sqrt(2.0 / (n_in + n_out)),
            "lecun": math.sqrt(1.0 / n_in),
            "normal": 1.0,
            "zeros": 0.0,
        }[init] * self.gain
        if init == "zeros":
            self.W = np.zeros((n_in, n_out), dtype=dt)
        else:
            self.W = (gen.standard_normal((n_in, n_out)) * std).astype(dt)
        self.dW = np.zeros_like(self.W)
        if self.has_bias:
            self.b = np.zeros(n_out, dtype=dt)
            self.db = np.zeros_like(self.b)
            self._param_names, self._grad_names = ("W", "b"), ("dW", "db")
        else:
            self._param_names, self._grad_names = ("W",), ("dW",)
        self.x: np.ndarray | None = None
        self.grad_input: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"Linear({self.n_in}, {self.n_out}) expects input of shape (batch, "
                f"{self.n_in}), got {getattr(x, 'shape', type(x).__name__)}"
            )
        self.x = x
        out = x @ self.W
        if self.has_bias:
            out += self.b
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.x is None:
            raise RuntimeError("Linear.backward called before forward")
        np.matmul(self.x.T, grad_out, out=self.dW)  # dL/dW = x^T g
        if self.has_bias:
            np.add.reduce(grad_out, axis=0, out=self.db)  # dL/db = sum over the batch
        self.grad_input = grad_out @ self.W.T  # dL/dx = g W^T
        return self.grad_input

    def _clear_cache(self) -> None:
        self.x = None
        self.grad_input = None

    def __repr__(self) -> str:
        extra = "" if self.has_bias else ", bias=False"
        return f"Linear({self.n_in}, {self.n_out}, init={self.init!r}, gain={self.gain:g}{extra})"


class ReLU(Layer):
    """``relu(x) = max(x, 0)``; local derivative 1 where x > 0, else 0."""

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.mask is None:
            raise RuntimeError("ReLU.backward called before forward")
        return grad_out * self.mask  # bool mask: keeps grad_out's dtype

    def _clear_cache(self) -> None:
        self.mask = None

    def __repr__(self) -> str:
        return "ReLU()"


class Tanh(Layer):
    """``tanh(x)``; local derivative ``1 - tanh(x)^2`` (reuses the forward output)."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.out is None:
            raise RuntimeError("Tanh.backward called before forward")
        return grad_out * (1 - self.out * self.out)

    def _clear_cache(self) -> None:
        self.out = None

    def __repr__(self) -> str:
        return "Tanh()"


class Sigmoid(Layer):
    """``sigmoid(x) = 1 / (1 + exp(-x))``; local derivative ``s (1 - s)``.

    Computed as ``(1 + tanh(x/2)) / 2``, the same function without overflow in ``exp``.
    """

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 0.5 * (np.tanh(0.5 * x) + 1)
        return self.out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.out is None:
            raise RuntimeError("Sigmoid.backward called before forward")
        s = self.out
        return grad_out * (s * (1 - s))

    def _clear_cache(self) -> None:
        self.out = None

    def __repr__(self) -> str:
        return "Sigmoid()"


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse (the chain rule).

    ``params`` and ``grads`` are the layers' lists concatenated in order. Indexable
    (``model[0]``), iterable, ``len(model)``; ``print(model)`` or ``model.summary()`` shows
    the layers and parameter counts.
    """

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(
                    f"layer {i} ({type(layer).__name__}) has no forward/backward methods"
                )
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    @property
    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads]

    def _convert(self, dt: np.dtype) -> None:
        for layer in self.layers:
            layer._convert(dt)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def summary(self) -> str:
        """A table of layers, output widths and parameter counts."""
        lines = []
        self._summary_lines(lines, indent="")
        total = self.n_params
        width = max(len(text) for text, _ in lines) if lines else 0
        out = [f"{text:<{width}}  {n:>8,}" if n else text for text, n in lines]
        out.append(f"{'total parameters':<{width}}  {total:>8,}")
        return "\n".join(out)

    def _summary_lines(self, lines: list[tuple[str, int]], indent: str) -> None:
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Residual):
                lines.append((f"{indent}({i}) Residual: x + block(x)", 0))
                block = layer.block
                if isinstance(block, Sequential):
                    block._summary_lines(lines, indent + "    ")
                else:
                    lines.append((f"{indent}    {block!r}", getattr(block, "n_params", 0)))
            elif isinstance(layer, Sequential):
                lines.append((f"{indent}({i}) Sequential", 0))
                layer._summary_lines(lines, indent + "    ")
            else:
                lines.append((f"{indent}({i}) {layer!r}", getattr(layer, "n_params", 0)))

    def __repr__(self) -> str:
        inner = ",\n".join("  " + repr(layer).replace("\n", "\n  ") for layer in self.layers)
        return f"Sequential(\n{inner}\n)"


class Residual(Layer):
    """Skip connection ``y = x + block(x)``.

    Local derivative: ``dL/dx = g + block.backward(g)`` -- the identity path carries the
    gradient past the block unchanged, which is why deep residual networks train.

    Parameters
    ----------
    block : Layer
        Must map (batch, d) to (batch, d).
    """

    def __init__(self, block: Layer) -> None:
        if not (hasattr(block, "forward") and hasattr(block, "backward")):
            raise TypeError(f"block ({type(block).__name__}) has no forward/backward methods")
        self.block = block

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.block.forward(x)
        if out.shape != x.shape:
            raise ValueError(
                f"Residual block must keep the shape: input {x.shape}, block output {out.shape}"
            )
        return x + out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out + self.block.backward(grad_out)

    @property
    def params(self) -> list[np.ndarray]:
        return list(self.block.params)

    @property
    def grads(self) -> list[np.ndarray]:
        return list(self.block.grads)

    def _convert(self, dt: np.dtype) -> None:
        self.block._convert(dt)

    def __repr__(self) -> str:
        return f"Residual({self.block!r})"


def mlp(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    init: str | None = None,
    gain: float = 1.0,
    out_init: str | None = None,
    out_gain: float = 1.0,
    rng: None | int | np.random.Generator = 0,
    dtype: Any = np.float64,
) -> Sequential:
    """A plain multilayer perceptron: Linear, activation, ..., Linear (no final activation).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[64, 128, 64, 10]``.
    activation : {"relu", "tanh", "sigmoid"}
    init : str, optional
        Hidden-layer init (see :class:`Linear`); default "he" for ReLU, "xavier" otherwise.
    gain : float
        Gain of the hidden layers' init.
    out_init, out_gain : optional
        Init of the output layer (default: same as the hidden layers, gain 1).
    rng : None, int or Generator, default 0
        One generator is shared by all layers, so the model is reproducible from an int.
    dtype : np.float32 or np.float64
    """
    acts = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
    if activation not in acts:
        raise ValueError(f"activation must be one of {tuple(acts)}, got {activation!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes}")
    if init is None:
        init = "he" if activation == "relu" else "xavier"
    gen = _as_generator(rng)
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        if last:
            layers.append(Linear(a, b, out_init or init, out_gain, rng=gen, dtype=dtype))
        else:
            layers.append(Linear(a, b, init, gain, rng=gen, dtype=dtype))
            layers.append(acts[activation]())
    return Sequential(*layers)


def linear_layers(model: Layer) -> list[tuple[str, Linear]]:
    """The Linear layers of a model from input to output, walking into Residual blocks.

    Returns ``[(name, layer), ...]`` with names like ``"linear1 (64→128)"``.
    """
    found: list[Linear] = []

    def walk(layer: Any) -> None:
        if isinstance(layer, Linear):
            found.append(layer)
        elif isinstance(layer, Sequential):
            for sub in layer.layers:
                walk(sub)
        elif isinstance(layer, Residual):
            walk(layer.block)

    walk(model)
    return [(f"linear{i + 1} ({m.n_in}→{m.n_out})", m) for i, m in enumerate(found)]


# --------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so ``exp`` never overflows."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy with integer class labels, mean over the batch.

    ``L = mean_i [ logsumexp(z_i) - z_i[y_i] ]`` computed with the log-sum-exp shift (no
    overflow for large logits). Its gradient is the famous ``(softmax(z) - onehot(y)) / N``.
    Same value as ``torch.nn.functional.cross_entropy(z, y)``.
    """

    def __init__(self) -> None:
        self.probs: np.ndarray | None = None
        self.target: np.ndarray | None = None

    def forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        """Mean cross-entropy of ``logits`` (N, C) against labels ``target`` (N,) in [0, C)."""
        _check_batch(logits, "logits")
        target = np.asarray(target)
        n, c = logits.shape
        if target.shape != (n,):
            raise ValueError(
                f"target must have shape ({n},) to match logits {logits.shape}, "
                f"got {target.shape}"
            )
        if target.dtype.kind not in "iu":
            raise TypeError(f"target must hold integer class labels, got dtype {target.dtype}")
        if n == 0:
            raise ValueError("logits is an empty batch")
        if target.min() < 0 or target.max() >= c:
            raise ValueError(
                f"target labels must be in [0, {c}), got range [{target.min()}, {target.max()}]"
            )
        return self._forward(logits, target)

    def _forward(self, logits: np.ndarray, target: np.ndarray) -> float:
        """``forward`` without the argument checks (train validates the labels once)."""
        n = logits.shape[0]
        z = logits - np.maximum.reduce(logits, axis=1, keepdims=True)  # shift: exp <= 1
        e = np.exp(z)
        s = np.add.reduce(e, axis=1, keepdims=True)
        self.probs = e / s
        self.target = target
        # L_i = log(sum_j exp z_ij) - z_i[y_i], averaged over the batch
        return (float(np.log(s).sum()) - float(z[np.arange(n), target].sum())) / n

    def backward(self) -> np.ndarray:
        """``dL/dlogits = (softmax - onehot) / N``."""
        if self.probs is None or self.target is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        grad = self.probs.copy()
        n = grad.shape[0]
        grad[np.arange(n), self.target] -= 1
        grad *= grad.dtype.type(1.0 / n)
        return grad

    def __call__(self, logits: np.ndarray, target: np.ndarray) -> float:
        return self.forward(logits, target)

    def __repr__(self) -> str:
        return "SoftmaxCrossEntropy()"


class MSELoss:
    """Mean squared error over all elements: ``L = mean((pred - target)^2)``.

    Gradient ``dL/dpred = 2 (pred - target) / pred.size``. Same value as
    ``torch.nn.functional.mse_loss``. Shapes must match exactly (no silent broadcasting).
    """

    def __init__(self) -> None:
        self.diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        """Mean of the squared differences."""
        if not isinstance(pred, np.ndarray):
            raise TypeError(f"pred must be a numpy array, got {type(pred).__name__}")
        target = np.asarray(target)
        if target.shape != pred.shape:
            raise ValueError(
                f"target shape {target.shape} does not match pred shape {pred.shape} "
                "(reshape it; MSELoss does not broadcast)"
            )
        if pred.size == 0:
            raise ValueError("pred is empty")
        self.diff = pred - target.astype(pred.dtype, copy=False)
        return float(np.mean(self.diff * self.diff))

    def backward(self) -> np.ndarray:
        """``2 (pred - target) / N`` with N the number of elements."""
        if self.diff is None:
            raise RuntimeError("MSELoss.backward called before forward")
        return self.diff * self.diff.dtype.type(2.0 / self.diff.size)

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def __repr__(self) -> str:
        return "MSELoss()"


# --------------------------------------------------------------------------------------
# Using a model
# --------------------------------------------------------------------------------------


def _model_dtype(model: Any) -> np.dtype:
    params = model.params
    return params[0].dtype if params else np.dtype(np.float64)


def _forward_batched(model: Any, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    X = _check_batch(np.asarray(X), "X").astype(_model_dtype(model), copy=False)
    if len(X) <= batch_size:
        return model.forward(X)
    chunks = [model.forward(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    return np.concatenate(chunks)


def predict(model: Any, X: np.ndarray) -> np.ndarray:
    """Predicted class per row: the argmax of the model's outputs (logits)."""
    return np.argmax(_forward_batched(model, X), axis=1)


def accuracy(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows of ``X`` whose predicted class equals ``y``."""
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    if len(y) == 0:
        raise ValueError("X and y are empty")
    return float(np.mean(predict(model, X) == y))


def __getattr__(name: str) -> Any:
    # train and History live in mathprog.training (which imports this module), so they are
    # looked up on first use: ``nn.train`` and ``from mathprog.nn import train`` both work.
    if name in ("History", "train"):
        from mathprog import training

        return getattr(training, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
