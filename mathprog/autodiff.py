"""Automatic differentiation (notebook 02), reverse mode (``Value``) and forward (``Dual``).

``Value`` follows micrograd's engine: each op computes its result and, beside it, the local
derivative with respect to each input, stored as numbers (no closures, no reference cycles);
``backward()`` applies the chain rule ``input.grad += local * output.grad`` in reverse
topological order (iterative: no recursion limit). ``Dual`` carries ``f'(x)`` alongside ``f``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real
from typing import Any

from mathprog import _checks as check

__all__ = ["Dual", "Value", "derivative", "zero_grad"]


def _is_number(x: Any) -> bool:
    """A finite real (not a bool); NaN and inf raise: they would poison every grad."""
    # Exact types first: other reals (numpy scalars) take the slower isinstance path.
    if type(x) in (int, float) or (isinstance(x, Real) and not isinstance(x, bool)):
        if math.isfinite(x):
            return True
        raise ValueError(f"numbers in a Value or Dual expression must be finite, got {x}")
    return False


def _nonzero(x: float) -> float:
    if x == 0:
        raise ValueError("division by zero in a Value or Dual expression")
    return x


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise ValueError(f"exp({x:g}) overflows a float") from None


def _power(x: float, k: Any) -> tuple[float, float]:
    """``x**k`` and its slope ``k x**(k-1)`` for a plain-number exponent ``k``."""
    if not _is_number(k):
        raise TypeError(f"the exponent must be a plain number, got {type(k).__name__} (for a "
                        "variable exponent write (k * x.log()).exp())")
    if x < 0 and not float(k).is_integer():
        raise ValueError(f"a negative base ({x}) to a fractional power ({k}) is not real")
    if x == 0 and k < 0:
        raise ValueError(f"0 cannot be raised to a negative power ({k})")
    if k == 0:
        return 1.0, 0.0
    if x == 0 and k < 1:
        return 0.0, math.inf  # vertical tangent, e.g. sqrt at 0 (PyTorch also gives inf)
    try:
        return x**k, k * x ** (k - 1)
    except OverflowError:
        raise ValueError(f"{x:g} ** {k} overflows a float") from None


def _exponential(base: Any, x: float) -> tuple[float, float]:
    """``base ** x`` and its slope ``base**x ln(base)`` for a plain-number base > 0."""
    if base <= 0:
        raise ValueError(f"a number raised to a Value or Dual power needs a positive base, "
                         f"got {base}")
    try:
        out = base**x
    except OverflowError:
        raise ValueError(f"{base:g} ** {x:g} overflows a float") from None
    return out, out * math.log(base)


def _sigmoid(x: float) -> float:
    # Stable on both sides: exp of a large positive number would overflow.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Value:
    """A scalar in a computation graph, with reverse-mode gradients.

    ``backward()`` sets the output's grad to 1, resets the intermediate nodes' grads and
    *accumulates* into the leaves, as PyTorch does: :func:`zero_grad` between steps.
    """

    __slots__ = ("data", "grad", "_prev", "_local")
    __array_ufunc__ = None  # numpy scalars defer to Value's reflected operators

    def __init__(self, data: float, _prev: tuple = (), _local: tuple = ()):
        if type(data) is not float or not math.isfinite(data):  # the fast path: a float
            if not _is_number(data):  # ValueError for NaN and inf (e.g. an op that overflowed)
                raise TypeError(f"data must be a real number, got {type(data).__name__}")
            data = float(data)
        self.data = data
        self.grad = 0.0
        self._prev = _prev  # the inputs of the op that made this node, in order
        self._local = _local  # d self / d input, one number per input, computed at op time

    # Each op: forward value, then the local derivatives with respect to its inputs.
    def __add__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data + other.data, (self, other), (1.0, 1.0))
        if _is_number(other):
            return Value(self.data + other, (self,), (1.0,))
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data - other.data, (self, other), (1.0, -1.0))
        if _is_number(other):
            return Value(self.data - other, (self,), (1.0,))
        return NotImplemented

    def __rsub__(self, other: Any) -> Value:
        if _is_number(other):
            return Value(other - self.data, (self,), (-1.0,))
        return NotImplemented

    def __mul__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return Value(self.data * other.data, (self, other), (other.data, self.data))
        if _is_number(other):
            return Value(self.data * other, (self,), (other,))
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Value:
        if isinstance(other, Value):
            q = self.data / _nonzero(other.data)
            return Value(q, (self, other), (1.0 / other.data, -q / other.data))
        if _is_number(other):
            return Value(self.data / _nonzero(other), (self,), (1.0 / other,))
        return NotImplemented

    def __rtruediv__(self, other: Any) -> Value:
        if _is_number(other):
            q = other / _nonzero(self.data)
            return Value(q, (self,), (-q / self.data,))
        return NotImplemented

    def __pow__(self, k: Any) -> Value:
        out, slope = _power(self.data, k)
        return Value(out, (self,), (slope,))

    def __rpow__(self, base: Any) -> Value:  # base ** self
        if not _is_number(base):
            return NotImplemented
        out, slope = _exponential(base, self.data)
        return Value(out, (self,), (slope,))

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), (-1.0,))

    def exp(self) -> Value:
        out = _exp(self.data)
        return Value(out, (self,), (out,))

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self!r}")
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return Value(s, (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        if self.data > 0:
            return Value(self.data, (self,), (1.0,))
        return Value(0.0, (self,), (0.0,))

    def sin(self) -> Value:
        return Value(math.sin(self.data), (self,), (math.cos(self.data),))

    def cos(self) -> Value:
        return Value(math.cos(self.data), (self,), (-math.sin(self.data),))

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on with ``d self / d node``."""
        order = _topological_order(self)
        for node in order:
            if node._prev:  # intermediate nodes start from zero; leaves accumulate
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            g = node.grad
            for child, local in zip(node._prev, node._local, strict=True):
                child.grad += local * g

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"


def _topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, inputs before the ops that use them."""
    order: list[Value] = []
    visited = {root}  # Value has no __eq__: membership is by identity
    stack = [(root, iter(root._prev))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:  # all inputs done: node can come next
            stack.pop()
            order.append(node)
    return order


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``.grad = 0`` on each ``Value`` (call between training steps)."""
    for v in values:
        v.grad = 0.0


class Dual:
    """A dual number ``value + deriv * e`` with ``e**2 = 0``: forward-mode differentiation.

    Each op applies the chain rule immediately: ``f(a + a' e) = f(a) + f'(a) a' e``.
    """

    __slots__ = ("value", "deriv")
    __array_ufunc__ = None

    def __init__(self, value: float, deriv: float = 0.0):
        if not (_is_number(value) and _is_number(deriv)):
            raise TypeError(f"value and deriv must be real numbers, got {type(value).__name__} "
                            f"and {type(deriv).__name__}")
        self.value = float(value)
        self.deriv = float(deriv)

    # Each op: the dual-number rule, a plain number being the constant c + 0 e.
    def __add__(self, other: Any) -> Dual:
        o = _dual(other)
        return Dual(self.value + o.value, self.deriv + o.deriv)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dual:
        o = _dual(other)
        return Dual(self.value - o.value, self.deriv - o.deriv)

    def __rsub__(self, other: Any) -> Dual:
        return _dual(other) - self

    def __mul__(self, other: Any) -> Dual:
        o = _dual(other)
        return Dual(self.value * o.value, self.deriv * o.value + self.value * o.deriv)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Dual:
        o = _dual(other)
        q = self.value / _nonzero(o.value)
        return Dual(q, (self.deriv - q * o.deriv) / o.value)

    def __rtruediv__(self, other: Any) -> Dual:
        return _dual(other) / self

    def __pow__(self, k: Any) -> Dual:
        out, slope = _power(self.value, k)
        return Dual(out, slope * self.deriv)

    def __rpow__(self, base: Any) -> Dual:
        if not _is_number(base):
            return NotImplemented
        out, slope = _exponential(base, self.value)
        return Dual(out, slope * self.deriv)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.deriv)

    def exp(self) -> Dual:
        out = _exp(self.value)
        return Dual(out, out * self.deriv)

    def log(self) -> Dual:
        if self.value <= 0:
            raise ValueError(f"log needs a positive number, got {self!r}")
        return Dual(math.log(self.value), self.deriv / self.value)

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.deriv)

    def sigmoid(self) -> Dual:
        s = _sigmoid(self.value)
        return Dual(s, s * (1.0 - s) * self.deriv)

    def relu(self) -> Dual:
        return Dual(self.value, self.deriv) if self.value > 0 else Dual(0.0, 0.0)

    def sin(self) -> Dual:
        return Dual(math.sin(self.value), math.cos(self.value) * self.deriv)

    def cos(self) -> Dual:
        return Dual(math.cos(self.value), -math.sin(self.value) * self.deriv)

    def __repr__(self) -> str:
        return f"Dual(value={self.value:.6g}, deriv={self.deriv:.6g})"


def _dual(x: Any) -> Dual:
    """A Dual as it is, a plain number as the constant ``x + 0 e``."""
    if isinstance(x, Dual):
        return x
    if not _is_number(x):
        raise TypeError(f"a Dual combines with Duals and plain numbers, got {type(x).__name__}")
    return Dual(x)


def derivative(f: Callable[[Dual], Any], x: float) -> float:
    """``f'(x)`` by forward mode: ``f(Dual(x, 1.0)).deriv`` (0 if ``f`` returns a number)."""
    out = check.function(f, "f")(Dual(check.number(x, "x"), 1.0))
    if isinstance(out, Dual):
        return out.deriv
    if _is_number(out):
        return 0.0
    raise TypeError(f"f must return a Dual or a number, got {type(out).__name__}")
