"""Test objectives: gradients and Hessians against derivatives, minimisers, grids, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathprog import derivatives
from mathprog.functions import Beale, Himmelblau, Quadratic, Ravine, Rosenbrock

OBJECTIVES = {
    "quadratic": Quadratic([[3.0, 1.0], [1.0, 2.0]], [1.0, -2.0]),
    "quadratic3": Quadratic(np.diag([1.0, 4.0, 9.0]) + 0.5, [1.0, 0.0, -1.0]),
    "quadratic1": Quadratic([[2.5]], [5.0]),
    "ravine": Ravine(),
    "ravine100": Ravine(condition_number=100.0),
    "rosenbrock": Rosenbrock(),
    "rosenbrock_a2": Rosenbrock(a=2.0, b=10.0),
    "himmelblau": Himmelblau(),
    "beale": Beale(),
}
ALL = pytest.mark.parametrize("f", OBJECTIVES.values(), ids=OBJECTIVES.keys())


def complex_step_gradient(f, x):
    """Exact to rounding for these analytic (polynomial) objectives: no subtraction."""
    h = 1e-30
    return np.array([f(x + 1j * h * e).imag / h for e in np.eye(len(x))])


def close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    return np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1.0)


def points(f, n=5, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = np.array(f.window).T
    return [lo + (hi - lo) * rng.random(f.dim) for _ in range(n)]


@ALL
def test_grad_matches_complex_step_and_central_differences(f):
    for x in points(f):
        g = f.grad(x)
        assert g.shape == (f.dim,)
        assert close(g, complex_step_gradient(f, x), 1e-13)
        assert close(g, derivatives.gradient(f, x), 1e-7)


@ALL
def test_hessian_matches_central_differences_of_grad(f):
    for x in points(f, 3):
        H = f.hessian(x)
        assert H.shape == (f.dim, f.dim)
        assert np.array_equal(H, H.T)
        assert close(H, derivatives.jacobian(f.grad, x), 1e-8)


@pytest.mark.parametrize("f, x, H", [
    (Rosenbrock(), [1.0, 1.0], [[802.0, -400.0], [-400.0, 200.0]]),  # 2 - 400 y + 1200 x^2
    (Himmelblau(), [3.0, 2.0], [[74.0, 20.0], [20.0, 34.0]]),  # both squares vanish there
    (Beale(), [3.0, 0.5], [[3.15625, -11.4375], [-11.4375, 46.125]]),  # 2 J^T J at zero residuals
])
def test_hessian_at_the_minimum_by_hand(f, x, H):
    np.testing.assert_allclose(f.hessian(x), H, rtol=1e-14)


@ALL
def test_minimizer_is_a_stationary_point_with_the_stated_minimum(f):
    x = f.minimizer
    assert x.shape == (f.dim,)
    assert np.linalg.norm(f.grad(x)) <= 1e-12 * max(1.0, np.abs(f.hessian(x)).max())
    assert f(x) == pytest.approx(f.minimum, abs=1e-14)
    assert np.all(np.linalg.eigvalsh(f.hessian(x)) > 0)  # a minimum, not a saddle
    for (lo, hi), c in zip(f.window, x, strict=True):
        assert lo < c < hi


@ALL
def test_default_start_is_in_the_window_and_not_stationary(f):
    assert f.x0.shape == (f.dim,)
    assert all(lo <= c <= hi for (lo, hi), c in zip(f.window, f.x0, strict=True))
    assert np.linalg.norm(f.grad(f.x0)) > 1e-3
    assert isinstance(f(f.x0), float)
    assert isinstance(f.name, str) and f.name
    assert type(f).__name__ in repr(f)


@ALL
def test_grid_evaluation_equals_pointwise(f):
    axes = [np.linspace(lo, hi, 7 - k) for k, (lo, hi) in enumerate(f.window)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"))  # (n, *grid), not square
    values, grads = f(grid), f.grad(grid)
    assert values.shape == grid.shape[1:]
    assert grads.shape == grid.shape
    for idx in np.ndindex(*grid.shape[1:]):
        point = grid[(slice(None), *idx)]
        assert values[idx] == pytest.approx(f(point), rel=1e-14, abs=1e-14)
        np.testing.assert_allclose(grads[(slice(None), *idx)], f.grad(point), rtol=1e-14,
                                   atol=1e-14)


@given(st.floats(-4, 4), st.floats(-4, 4))
def test_two_dimensional_gradients_on_random_points(x, y):
    p = np.array([x, y])
    for f in (OBJECTIVES["rosenbrock"], OBJECTIVES["himmelblau"], OBJECTIVES["beale"],
              OBJECTIVES["ravine"]):
        assert close(f.grad(p), complex_step_gradient(f, p), 1e-13)


def test_quadratic_spectrum_minimizer_and_formula():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0])
    q = Quadratic(A, b)
    eig = np.linalg.eigvalsh(A)
    assert q.L == pytest.approx(eig[-1]) and q.mu == pytest.approx(eig[0])
    assert q.condition_number == pytest.approx(eig[-1] / eig[0])
    np.testing.assert_allclose(q.minimizer, np.linalg.solve(A, b))
    x = np.array([0.3, -0.7])
    assert q(x) == pytest.approx(0.5 * x @ A @ x - b @ x)
    np.testing.assert_array_equal(q.hessian(x), A)


def test_quadratic_defaults_b_to_zero_and_copies_its_inputs():
    A = np.eye(2)
    q = Quadratic(A)
    A[0, 0] = -1.0
    assert q.L == 1.0 and np.array_equal(q.minimizer, [0.0, 0.0]) and q.minimum == 0.0


def test_one_dimensional_quadratic_accepts_a_number():
    q = Quadratic([[2.0]], [4.0])
    assert q.dim == 1 and q.L == q.mu == 2.0 and q.condition_number == 1.0
    assert q(3.0) == pytest.approx(0.5 * 2 * 9 - 12)
    assert q(np.array([3.0])) == q(3.0)
    np.testing.assert_allclose(q.grad(3.0), [2.0])
    np.testing.assert_allclose(q.minimizer, [2.0])
    assert len(q.window) == 1
    np.testing.assert_allclose(q(np.linspace(0, 4, 5)[None, :]), [q(v) for v in range(5)])


@pytest.mark.parametrize("A, message", [
    ([[1.0, 2.0], [0.0, 1.0]], "symmetric"),
    ([[1.0, 0.0], [0.0, -1.0]], "positive definite"),
    ([[0.0, 0.0], [0.0, 1.0]], "positive definite"),
    ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "square"),
    ([1.0, 2.0], "2-D"),
    ([[np.nan, 0.0], [0.0, 1.0]], "finite"),
])
def test_quadratic_rejects_a_matrix_that_is_not_spd(A, message):
    with pytest.raises(ValueError, match=f"A must .*{message}"):
        Quadratic(A)


def test_quadratic_rejects_a_mismatched_b():
    with pytest.raises(ValueError, match=r"^b\b"):
        Quadratic(np.eye(2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^b\b"):
        Quadratic(np.eye(2), [1.0, np.inf])


def test_ravine_geometry():
    r = Ravine(condition_number=40.0)
    assert r.L == pytest.approx(1.0) and r.mu == pytest.approx(1.0 / 40.0)
    assert r.condition_number == pytest.approx(40.0)
    np.testing.assert_array_equal(r.minimizer, [0.0, 0.0])
    assert not np.signbit(r.minimizer).any()
    vals, vecs = np.linalg.eigh(r.A)
    floor = vecs[:, 0] * np.sign(vecs[0, 0])  # low-curvature direction = valley floor
    np.testing.assert_allclose(floor, [np.cos(np.pi / 6), np.sin(np.pi / 6)], atol=1e-12)
    assert r.minimum == pytest.approx(r(r.minimizer), abs=1e-12)
    assert "condition_number=40" in repr(r)


@pytest.mark.parametrize("kwargs, exc, message", [
    ({"condition_number": 0.5}, ValueError, r"^condition_number\b.*\[1, inf\)"),
    ({"condition_number": np.inf}, ValueError, "^condition_number"),
    ({"condition_number": "big"}, TypeError, "condition_number must be a real number"),
])
def test_ravine_rejects_bad_parameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        Ravine(**kwargs)


def test_rosenbrock_parameters():
    f = Rosenbrock(a=2.0, b=10.0)
    np.testing.assert_array_equal(f.minimizer, [2.0, 4.0])
    assert f(np.array([0.0, 0.0])) == pytest.approx(4.0)
    with pytest.raises(ValueError, match=r"^b\b"):
        Rosenbrock(b=0.0)
    with pytest.raises(ValueError, match=r"^a\b"):
        Rosenbrock(a=np.nan)
    with pytest.raises(TypeError, match=r"^b\b"):
        Rosenbrock(b=None)


def test_himmelblau_has_four_distinct_minimisers():
    f = Himmelblau()
    found = []
    for x in ([3.0, 2.0], [-2.805, 3.131], [-3.779, -3.283], [3.584, -1.848]):  # the docstring's
        x = np.array(x)
        for _ in range(8):  # Newton's method with f.hessian
            x = x - np.linalg.solve(f.hessian(x), f.grad(x))
        assert f(x) < 1e-25 and np.linalg.norm(f.grad(x)) < 1e-12
        found.append(x)
    distances = np.linalg.norm(np.array(found)[:, None] - np.array(found)[None], axis=-1)
    assert distances[~np.eye(4, dtype=bool)].min() > 1.0
    np.testing.assert_array_equal(f.minimizer, [3.0, 2.0])
    np.testing.assert_allclose(found[0], f.minimizer, atol=1e-15)


def test_beale_known_values():
    f = Beale()
    assert f(np.array([3.0, 0.5])) == 0.0
    assert f(np.array([0.0, 0.0])) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)


@pytest.mark.parametrize("x", [np.zeros(3), np.zeros((3, 4)), 1.0, np.zeros(0)])
def test_wrong_shape_names_x(x):
    with pytest.raises(ValueError, match=r"^x\b"):
        Rosenbrock()(x)
    with pytest.raises(ValueError, match=r"^x\b"):
        Rosenbrock().grad(x)


def test_non_numeric_x_is_a_type_error():
    with pytest.raises(TypeError, match=r"^x\b"):
        Beale()(np.array(["a", "b"]))


def test_hessian_needs_a_single_real_point():
    with pytest.raises(ValueError, match=r"^x\b"):
        Beale().hessian(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"^x\b"):
        Beale().hessian(np.zeros(2) + 1e-20j)
    with pytest.raises(ValueError, match=r"^x\b"):
        Beale().hessian([np.nan, 0.0])
    np.testing.assert_array_equal(Quadratic([[2.0]]).hessian(1.0), [[2.0]])  # a number in 1-D


def test_integer_points_are_accepted():
    assert Rosenbrock()([1, 1]) == 0.0
    np.testing.assert_array_equal(Rosenbrock().grad([1, 1]), [0.0, 0.0])
