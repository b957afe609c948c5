"""Tests for mathprog.derivatives: measured error orders, analytic answers, every error path."""

import math

import numpy as np
import pytest

from mathprog.derivatives import (
    EPS,
    OPTIMAL_STEPS,
    backward_difference,
    central_difference,
    complex_step,
    forward_difference,
    gradient,
    hessian,
    jacobian,
    optimal_step,
    second_derivative,
)


# A smooth test function with every derivative known in closed form: f = exp(sin x).
def f(x):
    return np.exp(np.sin(x))


def df(x):
    return np.cos(x) * f(x)


def d2f(x):
    return (np.cos(x) ** 2 - np.sin(x)) * f(x)


X0 = 0.3  # f'', f''' and f'''' all well away from zero here
HS = np.logspace(-1, -3, 9)  # truncation error dominates rounding over this whole range


def measured_order(method, exact, hs=HS):
    """Slope of a least-squares fit of log(error) against log(h)."""
    errors = [abs(method(f, X0, h=h) - exact) for h in hs]
    slope, _ = np.polyfit(np.log(hs), np.log(errors), 1)
    return slope


@pytest.mark.parametrize(
    ("method", "exact", "order"),
    [
        (forward_difference, df(X0), 1),
        (backward_difference, df(X0), 1),
        (central_difference, df(X0), 2),
        (second_derivative, d2f(X0), 2),
    ],
)
def test_error_order_measured_by_fit(method, exact, order):
    assert measured_order(method, exact) == pytest.approx(order, abs=0.1)


def test_complex_step_is_exact_to_machine_precision_for_any_tiny_h():
    for h in (1e-8, 1e-20, 1e-100):
        assert abs(complex_step(f, X0, h=h) - df(X0)) <= 4 * EPS * abs(df(X0))


def test_default_steps_reach_the_predicted_accuracy():
    # Best errors predicted by balancing truncation and rounding: ~eps^(1/2), eps^(2/3), eps^(1/2).
    assert abs(forward_difference(f, X0) - df(X0)) < 1e-7
    assert abs(backward_difference(f, X0) - df(X0)) < 1e-7
    assert abs(central_difference(f, X0) - df(X0)) < 1e-9
    assert abs(second_derivative(f, X0) - d2f(X0)) < 1e-6
    # ... and are better than steps ten times smaller, where rounding takes over.
    for method, name in ((forward_difference, "forward"), (central_difference, "central")):
        tiny = optimal_step(name, X0) / 1000
        assert abs(method(f, X0) - df(X0)) < abs(method(f, X0, h=tiny) - df(X0))


def test_optimal_step_values_and_scaling():
    assert OPTIMAL_STEPS["forward"] == pytest.approx(math.sqrt(EPS))
    assert OPTIMAL_STEPS["central"] == pytest.approx(EPS ** (1 / 3))
    assert OPTIMAL_STEPS["second"] == pytest.approx(EPS ** (1 / 4))
    assert optimal_step("central") == pytest.approx(EPS ** (1 / 3))
    assert optimal_step("central", -0.5) == pytest.approx(EPS ** (1 / 3))  # max(1, |x|)
    assert optimal_step("forward", -100.0) == pytest.approx(100 * math.sqrt(EPS))
    np.testing.assert_allclose(
        optimal_step("central", [0.0, 10.0]), OPTIMAL_STEPS["central"] * np.array([1, 10])
    )
    with pytest.raises(ValueError, match="method"):
        optimal_step("sideways")


def test_default_step_is_relative_for_large_x():
    # At x = 1e6 an absolute step of 6e-6 would lose most digits to the rounding of x + h.
    x = 1e6
    assert central_difference(np.log, x) == pytest.approx(1 / x, rel=1e-9)


def test_scalar_x_gives_float_and_array_x_works_elementwise():
    assert isinstance(central_difference(f, X0), float)
    assert isinstance(complex_step(f, X0), float)
    xs = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(central_difference(f, xs), df(xs), rtol=1e-9)
    np.testing.assert_allclose(complex_step(f, xs), df(xs), rtol=1e-15)
    np.testing.assert_allclose(second_derivative(f, xs), d2f(xs), atol=1e-6)


def test_scalar_functions_receive_python_floats():
    # So f may use the math module.
    assert central_difference(math.sin, 1.0) == pytest.approx(math.cos(1.0), rel=1e-9)
    assert second_derivative(math.exp, 0.0) == pytest.approx(1.0, rel=1e-6)


# --------------------------------------------------------------------------- gradient & co.


def test_gradient_of_a_matrix_argument_has_its_shape():
    W = np.arange(-3.0, 3.0).reshape(2, 3) / 2

    def loss(W):
        return float(np.sum(W**3) / 3 + np.sum(np.sin(W)))

    g = gradient(loss, W)
    assert g.shape == W.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, W**2 + np.cos(W), atol=1e-9)
    np.testing.assert_array_equal(W, np.arange(-3.0, 3.0).reshape(2, 3) / 2)  # untouched


def test_gradient_error_order_is_two():
    a = np.array([0.3, -0.8, 1.1])

    def fn(v):
        return float(np.exp(np.sin(v)).sum())

    exact = df(a)
    errors = [np.abs(gradient(fn, a, h=h) - exact).max() for h in HS]
    slope, _ = np.polyfit(np.log(HS), np.log(errors), 1)
    assert slope == pytest.approx(2, abs=0.1)


def test_gradient_accepts_lists_ints_and_0d():
    np.testing.assert_allclose(gradient(lambda v: v[0] ** 2 + 3 * v[1], [1, 2]), [2, 3], atol=1e-8)
    g = gradient(lambda v: float(v) ** 3, 2.0)
    assert g.shape == () and float(g) == pytest.approx(12.0, rel=1e-9)


def test_gradient_inplace_perturbs_and_restores_the_callers_array():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    before = W.copy()

    def loss(_):  # reads W from the enclosing scope, like a layer's weights
        return float(np.sum(W**2))

    np.testing.assert_allclose(gradient(loss, W, inplace=True), 2 * before, atol=1e-8)
    np.testing.assert_array_equal(W, before)


def test_gradient_inplace_restores_x_when_f_raises():
    W = np.array([1.0, 2.0])
    calls = []

    def bad(v):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError):
        gradient(bad, W, inplace=True)
    np.testing.assert_array_equal(W, [1.0, 2.0])


def test_jacobian_matches_analytic():
    def fn(v):
        x, y = v
        return np.array([x**2 * y, 5 * x + np.sin(y), y * np.exp(x)])

    x, y = 0.4, -1.3
    exact = np.array([[2 * x * y, x**2], [5, np.cos(y)], [y * np.exp(x), np.exp(x)]])
    J = jacobian(fn, [x, y])
    assert J.shape == (3, 2)
    np.testing.assert_allclose(J, exact, atol=1e-9)
    assert jacobian(lambda v: float(v @ v), [1.0, 2.0]).shape == (1, 2)


def test_jacobian_of_a_function_returning_a_view_of_its_input():
    # f(v) = v hands back the very array jacobian perturbs next: its values must be kept.
    np.testing.assert_allclose(jacobian(lambda v: v, [1.0, 2.0]), np.eye(2), atol=1e-9)
    np.testing.assert_allclose(jacobian(lambda v: v[:1], [1.0, 2.0]), [[1.0, 0.0]], atol=1e-9)


def test_hessian_of_rosenbrock_matches_analytic_and_is_symmetric():
    def rosen(v):
        return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2

    x, y = -0.5, 0.8
    exact = np.array([[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200]])
    H = hessian(rosen, [x, y])
    np.testing.assert_allclose(H, exact, rtol=1e-6)
    np.testing.assert_array_equal(H, H.T)


def test_hessian_of_a_quadratic_is_its_matrix():
    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.0], [0.5, 0.0, 2.0]])
    H = hessian(lambda v: 0.5 * v @ A @ v, np.array([0.3, -0.2, 1.0]))
    np.testing.assert_allclose(H, A, atol=1e-7)


# --------------------------------------------------------------------------- error paths

SCALAR_METHODS = [
    forward_difference,
    backward_difference,
    central_difference,
    second_derivative,
    complex_step,
]
ALL_METHODS = [*SCALAR_METHODS, gradient, jacobian, hessian]


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("h", [0.0, -1e-3, math.nan, math.inf])
def test_bad_h_is_a_value_error_naming_h(method, h):
    with pytest.raises(ValueError, match=r"^h\b"):
        method(np.sum, np.array([1.0]) if method in (jacobian, hessian) else 1.0, h=h)


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("h", ["0.1", True, [0.1]])
def test_non_number_h_is_a_type_error(method, h):
    with pytest.raises(TypeError, match=r"^h\b"):
        method(np.sum, np.array([1.0]) if method in (jacobian, hessian) else 1.0, h=h)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_non_callable_f_is_a_type_error(method):
    with pytest.raises(TypeError, match=r"^f\b"):
        method(3.0, [1.0])


@pytest.mark.parametrize("method", ALL_METHODS)
def test_non_finite_x_is_a_value_error(method):
    with pytest.raises(ValueError, match=r"^x\b"):
        method(np.sum, [1.0, math.nan])


@pytest.mark.parametrize("method", ALL_METHODS)
def test_non_numeric_x_is_a_type_error(method):
    with pytest.raises(TypeError, match=r"^x\b"):
        method(np.sum, "abc")


@pytest.mark.parametrize("method", ALL_METHODS)
def test_f_returning_non_finite_is_reported(method):
    with pytest.raises(ValueError, match="non-finite"):
        method(lambda v: np.sum(v) * math.inf, np.array([1.0]))


@pytest.mark.parametrize("method", [m for m in ALL_METHODS if m is not complex_step])
def test_f_returning_non_numbers_is_a_type_error(method):
    with pytest.raises(TypeError, match=r"^f\b"):
        method(lambda v: "oops", np.array([1.0]))


def test_complex_step_needs_f_to_accept_complex():
    with pytest.raises(TypeError, match="complex"):
        complex_step(math.sin, 1.0)


def test_gradient_needs_scalar_f():
    with pytest.raises(ValueError, match=r"^gradient\b"):
        gradient(lambda v: v * 2, [1.0, 2.0])


def test_hessian_needs_scalar_f():
    with pytest.raises(ValueError, match=r"^hessian\b"):
        hessian(lambda v: v * 2, [1.0, 2.0])


@pytest.mark.parametrize("method", [jacobian, hessian])
@pytest.mark.parametrize("x", [1.0, np.ones((2, 2)), np.array([])])
def test_jacobian_and_hessian_need_a_vector_x(method, x):
    with pytest.raises(ValueError, match=r"^x\b"):
        method(np.sum, x)


def test_jacobian_needs_vector_output():
    with pytest.raises(ValueError, match=r"^jacobian\b"):
        jacobian(lambda v: np.outer(v, v), [1.0, 2.0])
    with pytest.raises(ValueError, match="different shapes"):  # x_0 - h drops an output
        jacobian(lambda v: v[v >= 1.0], [1.0, 2.0])


def test_gradient_inplace_needs_a_writable_float64_array():
    with pytest.raises(TypeError, match="inplace"):
        gradient(np.sum, np.array([1, 2]), inplace=True)
    with pytest.raises(TypeError, match="inplace"):
        gradient(np.sum, [1.0, 2.0], inplace=True)
    with pytest.raises(ValueError, match="finite"):
        gradient(np.sum, np.array([1.0, math.inf]), inplace=True)


@pytest.mark.parametrize(
    "method", [forward_difference, backward_difference, central_difference, second_derivative]
)
def test_step_that_rounds_to_zero_is_a_clear_error(method):
    # 1 + 1e-17 == 1 in float64: the difference quotient would be 0/0.
    with pytest.raises(ValueError, match="h = 1e-17 is too small"):
        method(math.sin, 1.0, h=1e-17)
