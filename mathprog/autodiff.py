"""Automatic differentiation (notebook 02), reverse mode (``Value``) and forward (``Dual``).

``Value`` follows micrograd's engine: each op computes its result and, beside it, the local
derivative with respect to each input, stored as numbers (no closures, no reference cycles);
``backward()`` applies the chain rule ``input.grad += local * output.grad`` in reverse
topological order (iterative: no recursion limit). ``Dual`` carries ``f'(x)`` alongside ``f``.
The ops of one input (``-x``, ``x**k``, ``k**x``, ``exp``, ``log``, ``tanh``, ``sigmoid``,
``relu``, ``sin``, ``cos``) are written once, in ``_Unary``, for both engines.
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


class _Unary:
    """The ops of one input, written once for both engines. Each computes ``f(x)`` and,
    beside it, its local derivative ``f'(x)`` at ``x = self.data``; ``self._chain`` makes the
    result: a ``Value`` node that stores ``f'(x)`` for backward, or a ``Dual`` whose
    derivative is ``f'(x)`` times the input's."""

    __slots__ = ()
    __array_ufunc__ = None  # numpy scalars defer to the reflected operators

    def __neg__(self) -> Value | Dual:
        return self._chain(-self.data, -1.0)

    def __pow__(self, k: Any) -> Value | Dual:  # x ** k, slope k x**(k-1)
        x = self.data
        if not _is_number(k):
            raise TypeError(f"the exponent must be a plain number, got {type(k).__name__} "
                            "(for a variable exponent write (k * x.log()).exp())")
        if x < 0 and not float(k).is_integer():
            raise ValueError(f"a negative base ({x}) to a fractional power ({k}) is not real")
        if x == 0 and k < 0:
            raise ValueError(f"0 cannot be raised to a negative power ({k})")
        if k == 0:
            return self._chain(1.0, 0.0)
        if x == 0 and k < 1:
            return self._chain(0.0, math.inf)  # vertical tangent, e.g. sqrt at 0 (as PyTorch)
        try:
            out, slope = x**k, k * x ** (k - 1)
        except OverflowError:
            raise ValueError(f"{x:g} ** {k} overflows a float") from None
        return self._chain(out, slope)

    def __rpow__(self, base: Any) -> Value | Dual:  # base ** x, slope base**x ln(base)
        if not _is_number(base):
            return NotImplemented
        if base <= 0:
            raise ValueError(f"a number raised to a Value or Dual power needs a positive base, "
                             f"got {base}")
        try:
            out = base**self.data
        except OverflowError:
            raise ValueError(f"{base:g} ** {self.data:g} overflows a float") from None
        return self._chain(out, out * math.log(base))

    def exp(self) -> Value | Dual:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp({self.data:g}) overflows a float") from None
        return self._chain(out, out)

    def log(self) -> Value | Dual:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self!r}")
        return self._chain(math.log(self.data), 1.0 / self.data)

    def tanh(self) -> Value | Dual:
        t = math.tanh(self.data)
        return self._chain(t, 1.0 - t * t)

    def sigmoid(self) -> Value | Dual:
        x = self.data
        if x >= 0:  # stable on both sides: exp of a large positive number would overflow
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return self._chain(s, s * (1.0 - s))

    def relu(self) -> Value | Dual:
        if self.data > 0:
            return self._chain(self.data, 1.0)
        return self._chain(0.0, 0.0)

    def sin(self) -> Value | Dual:
        return self._chain(math.sin(self.data), math.cos(self.data))

    def cos(self) -> Value | Dual:
        return self._chain(math.cos(self.data), -math.sin(self.data))


class Value(_Unary):
    """A scalar in a computation graph, with reverse-mode gradients.

    ``backward()`` sets the output's grad to 1, resets the intermediate nodes' grads and
    *accumulates* into the leaves, as PyTorch does: :func:`zero_grad` between steps.
    """

    __slots__ = ("data", "grad", "_prev", "_local")

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

    def _chain(self, out: float, slope: float) -> Value:  # the ops of _Unary
        return Value(out, (self,), (slope,))

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


class Dual(_Unary):
    """A dual number ``value + deriv * e`` with ``e**2 = 0``: forward-mode differentiation.

    Each op applies the chain rule immediately: ``f(a + a' e) = f(a) + f'(a) a' e``.
    """

    __slots__ = ("value", "deriv")

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

    @property
    def data(self) -> float:  # the value under Value's name, read by the ops of _Unary
        return self.value

    def _chain(self, out: float, slope: float) -> Dual:  # the ops of _Unary
        return Dual(out, slope * self.deriv)

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
