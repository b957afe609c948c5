"""Tests for mathprog.autodiff: every op against calculus, graph mechanics, errors, properties."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mathprog.autodiff import Dual, Value, _topological_order, derivative, zero_grad
from mathprog.derivatives import central_difference, complex_step


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# name, function of a node, its value at x, its derivative at x
OPS = [
    ("add", lambda v: v + v, lambda x: 2 * x, lambda x: 2.0),
    ("radd", lambda v: 2.5 + v, lambda x: 2.5 + x, lambda x: 1.0),
    ("sub", lambda v: v - 3.0, lambda x: x - 3, lambda x: 1.0),
    ("rsub", lambda v: 3.0 - v, lambda x: 3 - x, lambda x: -1.0),
    ("mul", lambda v: v * v * v, lambda x: x**3, lambda x: 3 * x**2),
    ("rmul", lambda v: 4 * v, lambda x: 4 * x, lambda x: 4.0),
    ("div", lambda v: v / (v + 2.0), lambda x: x / (x + 2), lambda x: 2 / (x + 2) ** 2),
    ("rdiv", lambda v: 2.0 / v, lambda x: 2 / x, lambda x: -2 / x**2),
    ("pow", lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2),
    ("pow_frac", lambda v: v**0.5, lambda x: x**0.5, lambda x: 0.5 * x**-0.5),
    ("pow_neg", lambda v: v**-2, lambda x: x**-2, lambda x: -2 * x**-3),
    ("rpow", lambda v: 2.0**v, lambda x: 2**x, lambda x: 2**x * math.log(2)),
    ("neg", lambda v: -v, lambda x: -x, lambda x: -1.0),
    ("exp", lambda v: v.exp(), math.exp, math.exp),
    ("log", lambda v: v.log(), math.log, lambda x: 1 / x),
    ("tanh", lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    ("sigmoid", lambda v: v.sigmoid(), sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ("relu", lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0)),
    ("sin", lambda v: v.sin(), math.sin, math.cos),
    ("cos", lambda v: v.cos(), math.cos, lambda x: -math.sin(x)),
]


@pytest.mark.parametrize(("name", "op", "value", "slope"), OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("x", [0.7, 1.9])
def test_value_op_matches_calculus(name, op, value, slope, x):
    v = Value(x)
    out = op(v)
    out.backward()
    assert out.data == pytest.approx(value(x), rel=1e-15)
    assert v.grad == pytest.approx(slope(x), rel=1e-14)


@pytest.mark.parametrize(("name", "op", "value", "slope"), OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("x", [0.7, 1.9])
def test_dual_op_matches_calculus(name, op, value, slope, x):
    out = op(Dual(x, 1.0))
    assert out.value == pytest.approx(value(x), rel=1e-15)
    assert out.deriv == pytest.approx(slope(x), rel=1e-14)
    assert derivative(op, x) == pytest.approx(slope(x), rel=1e-14)


def test_relu_below_zero_and_at_zero():
    for x in (-1.5, 0.0):
        v = Value(x)
        out = v.relu()
        out.backward()
        assert (out.data, v.grad) == (0.0, 0.0)
        assert derivative(lambda d: d.relu(), x) == 0.0


def test_sigmoid_is_stable_at_extremes():
    for x, expected in ((-1000.0, 0.0), (1000.0, 1.0)):
        v = Value(x)
        out = v.sigmoid()
        out.backward()
        assert out.data == expected and v.grad == 0.0
        assert Dual(x, 1.0).sigmoid().value == expected


def test_reuse_accumulates_x_times_x():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_node_feeding_several_ops_accumulates():
    x = Value(0.5)
    y = x * 3.0  # y feeds four ops below
    z = y * y + y.sin() + y + y.exp()
    z.backward()
    yv = 1.5
    assert x.grad == pytest.approx(3 * (2 * yv + math.cos(yv) + 1 + math.exp(yv)), rel=1e-15)
    assert y.grad == pytest.approx(2 * yv + math.cos(yv) + 1 + math.exp(yv), rel=1e-15)


def test_multivariate_gradient():
    a, b, c = Value(2.0), Value(-3.0), Value(0.5)
    out = (a * b + c).tanh() * a + b / c
    out.backward()
    t = math.tanh(2 * -3 + 0.5)
    assert a.grad == pytest.approx((1 - t**2) * -3 * 2 + t, rel=1e-14)
    assert b.grad == pytest.approx((1 - t**2) * 2 * 2 + 1 / 0.5, rel=1e-14)
    assert c.grad == pytest.approx((1 - t**2) * 2 + 3 / 0.25, rel=1e-14)


def test_backward_twice_accumulates_into_leaves_only():
    x = Value(2.0)
    y = x * x
    z = y * 3.0
    z.backward()
    assert (x.grad, y.grad) == (12.0, 3.0)
    z.backward()
    assert (x.grad, y.grad) == (24.0, 3.0)  # leaf doubled exactly; intermediate recomputed
    zero_grad([x])
    z.backward()
    assert x.grad == 12.0


def test_deep_graph_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + x
    y.backward()
    assert y.data == 100_001.0
    assert x.grad == 100_001.0


def test_graph_order_is_deterministic_and_topological():
    def build():
        a, b = Value(1.0), Value(2.0)
        return ((a * b).exp() + a.sin() * b - (a + b).relu()) / 3.0

    out = build()
    order = _topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node._prev:
            assert position[id(child)] < position[id(node)]
    assert order[-1] is out
    assert [n.data for n in order] == [n.data for n in _topological_order(build())]


def test_constants_make_no_nodes():
    x = Value(2.0)
    for y in (x * 2, 2 * x, x + 1, 1 + x, x - 1, 1 - x, x / 2, 2 / x, x**2, 2**x):
        assert y._prev == (x,)


def test_slots_and_repr():
    x = Value(1.5)
    with pytest.raises(AttributeError):
        x.extra = 1
    with pytest.raises(AttributeError):
        Dual(1.0).extra = 1
    assert repr(x) == "Value(data=1.5, grad=0)"
    assert repr(Dual(2.0, 1.0)) == "Dual(value=2, deriv=1)"


def test_numpy_scalars_work_on_both_sides():
    x = Value(2.0)
    y = np.float64(3.0) * x + np.int64(1)
    assert isinstance(y, Value)
    y.backward()
    assert (y.data, x.grad) == (7.0, 3.0)
    assert isinstance(np.float64(3.0) * Dual(2.0, 1.0), Dual)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls", [Value, Dual])
def test_variable_exponent_is_a_type_error(cls):
    with pytest.raises(TypeError, match="exponent"):
        cls(2.0) ** cls(3.0)
    with pytest.raises(TypeError, match="exponent"):
        cls(2.0) ** "3"


@pytest.mark.parametrize("cls", [Value, Dual])
@pytest.mark.parametrize("x", [0.0, -2.0])
def test_log_of_non_positive_is_a_value_error_naming_the_value(cls, x):
    with pytest.raises(ValueError, match=f"log needs a positive number, got .*{x:g}"):
        cls(x).log()


@pytest.mark.parametrize("cls", [Value, Dual])
def test_negative_base_fractional_power_is_a_value_error(cls):
    with pytest.raises(ValueError, match="negative base"):
        cls(-8.0) ** (1 / 3)
    assert (cls(-2.0) ** 2.0).data == 4.0


def test_powers_at_zero():
    x = Value(0.0)
    y = x**0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)
    x = Value(0.0)
    y = x**0.5
    y.backward()
    assert (y.data, x.grad) == (0.0, math.inf)  # vertical tangent, as in PyTorch
    assert derivative(lambda d: d**2, 0.0) == 0.0
    for cls in (Value, Dual):
        with pytest.raises(ValueError, match="0 cannot be raised to a negative power"):
            cls(0.0) ** -1


@pytest.mark.parametrize("cls", [Value, Dual])
def test_number_to_a_variable_power_needs_a_positive_base(cls):
    with pytest.raises(ValueError, match="positive base"):
        (-2.0) ** cls(1.0)


@pytest.mark.parametrize("cls", [Value, Dual])
def test_non_numbers_are_type_errors(cls):
    with pytest.raises(TypeError):
        cls("1.0")
    with pytest.raises(TypeError):
        cls(1.0) + "a"
    with pytest.raises(TypeError):
        "a" - cls(1.0)
    with pytest.raises(TypeError):
        cls(1.0) * [1]


@pytest.mark.parametrize("cls", [Value, Dual])
def test_an_op_that_overflows_is_a_value_error_not_inf(cls):
    big = cls(1e200)
    for op in (lambda: big * big, lambda: big * 1e200, lambda: 1e300 / cls(1e-300),
               lambda: cls(1.7e308) + 1.7e308, lambda: 10.0 ** cls(400.0)):
        with pytest.raises(ValueError, match="finite|overflows"):
            op()


def test_derivative_errors_and_constant_f():
    assert derivative(lambda x: 3.0, 1.0) == 0.0
    assert derivative(lambda x: x**3, 2.0) == 12.0
    with pytest.raises(TypeError, match=r"^f\b"):
        derivative(3.0, 1.0)
    with pytest.raises(TypeError, match=r"^x\b"):
        derivative(lambda x: x, "1")
    with pytest.raises(ValueError, match=r"^x\b"):
        derivative(lambda x: x, math.nan)
    with pytest.raises(TypeError, match=r"^f\b"):
        derivative(lambda x: "x", 1.0)


# --------------------------------------------------------------------------- micrograd oracle


def test_agrees_with_micrograd():
    micrograd = pytest.importorskip("micrograd.engine")
    results = []
    for V in (micrograd.Value, Value):  # micrograd's own test_more_ops expression
        a, b = V(-4.0), V(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        g.backward()
        results.append((g.data, a.grad, b.grad))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-15)


# --------------------------------------------------------------------------- properties

UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sq", "cube", "sqrt", "inv"]
BINARY = ["add", "sub", "mul", "div"]
WITH_CONST = ["radd", "rsub", "rmul", "rdiv", "rpow"]

# Plain-number versions of the methods, written so they also take complex input (complex step).
NUMERIC = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: z if z.real > 0 else 0 * z,
    "sin": np.sin,
    "cos": np.cos,
}


def call(name, v):
    return getattr(v, name)() if isinstance(v, (Value, Dual)) else NUMERIC[name](v)


def evaluate(tree, x, kinks=None):
    """Evaluate an expression tree; every op is used only where it is smooth and defined."""
    kind = tree[0]
    if kind == "x":
        return x
    if kind in UNARY:
        a = evaluate(tree[1], x, kinks)
        if kind == "neg":
            return -a
        if kind == "exp":
            return call("exp", call("sin", a))  # bounded exponent
        if kind == "log":
            return call("log", a * a + 1.0)
        if kind == "sq":
            return a**2
        if kind == "cube":
            return a**3
        if kind == "sqrt":
            return (a * a + 1.0) ** 0.5
        if kind == "inv":
            return 1.0 / (a * a + 1.0)
        if kind == "relu" and kinks is not None:
            kinks.append(abs(complex(a).real))
        return call(kind, a)
    if kind in BINARY:
        a, b = evaluate(tree[1], x, kinks), evaluate(tree[2], x, kinks)
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "mul":
            return a * b
        return a / (b * b + 1.0)
    c, a = tree[1], evaluate(tree[2], x, kinks)
    if kind == "radd":
        return c + a
    if kind == "rsub":
        return c - a
    if kind == "rmul":
        return c * a
    if kind == "rdiv":
        return c / (a * a + 1.0)
    return (abs(c) + 0.5) ** call("sin", a)  # rpow: positive base, bounded exponent


constants = st.floats(-3, 3, allow_nan=False).map(lambda c: round(c, 3))
trees = st.recursive(
    st.just(("x",)),
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(UNARY), sub),
        st.tuples(st.sampled_from(BINARY), sub, sub),
        st.tuples(st.sampled_from(WITH_CONST), constants, sub),
    ),
    max_leaves=12,
)


@given(tree=trees, x=st.floats(-2, 2, allow_nan=False))
def test_value_dual_and_finite_differences_agree(tree, x):
    kinks = []
    value = evaluate(tree, complex(x), kinks).real
    assume(all(k > 1e-3 for k in kinks))  # keep relu away from its kink
    assume(abs(value) < 1e6)

    v = Value(x)
    evaluate(tree, v).backward()
    grad_reverse = v.grad
    grad_forward = derivative(lambda d: evaluate(tree, d), x)
    exact = complex_step(lambda z: evaluate(tree, z), x)
    numeric = central_difference(lambda t: evaluate(tree, t), x)

    scale = max(1.0, abs(exact))
    assert abs(grad_reverse - grad_forward) <= 1e-12 * scale
    assert abs(grad_reverse - exact) <= 1e-12 * scale
    assert abs(grad_reverse - numeric) <= 1e-5 * max(scale, abs(value))
