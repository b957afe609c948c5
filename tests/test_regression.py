"""Tests for mathprog.regression."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathprog import regression as R
from mathprog.data import load_diabetes
from mathprog.derivatives import gradient


def _problem(n=50, d=3, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + 0.7 + noise * rng.standard_normal(n)
    return X, y


@settings(max_examples=30)
@given(st.integers(1, 30), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_mse_grad_matches_central_differences(n, d, seed):
    X, y = _problem(n, d, seed)
    rng = np.random.default_rng(seed + 1)
    w, b = rng.standard_normal(d), float(rng.standard_normal())
    gw, gb = R.mse_grad(X, y, w, b)
    theta = np.append(w, b)
    num = gradient(lambda t: R.mse(X, y, t[:-1], t[-1]), theta)
    np.testing.assert_allclose(np.append(gw, gb), num, rtol=1e-7, atol=1e-9)
    assert R.mse(X, y, w, b) == pytest.approx(np.mean((X @ w + b - y) ** 2), rel=1e-12)


def test_closed_form_matches_normal_equations():
    X, y = _problem()
    w, b = R.fit_closed_form(X, y)
    gw, gb = R.mse_grad(X, y, w, b)
    assert np.abs(gw).max() < 1e-10 and abs(gb) < 1e-10
    np.testing.assert_allclose(R.predict(X, w, b), X @ w + b)


@pytest.mark.parametrize("batch_size", [None, 1, 8])
def test_fit_gd_reaches_closed_form(batch_size):
    X, y = _problem()
    w_star, b_star = R.fit_closed_form(X, y)
    obj = R.LeastSquares(X, y)
    if batch_size is None:
        res = R.fit_gd(X, y, lr=1 / obj.L, epochs=2000, tol=1e-10)
        assert res.converged_at is not None
        np.testing.assert_allclose(res.weights, w_star, atol=1e-8)
        assert res.bias == pytest.approx(b_star, abs=1e-8)
    else:  # noisy steps: close, not exact, with a small constant step
        res = R.fit_gd(X, y, lr=0.01, epochs=300, batch_size=batch_size, seed=1)
        np.testing.assert_allclose(res.weights, w_star, atol=0.05)
        assert res.losses[-1] < 1.1 * obj.minimum
    w, b, losses = res  # unpacks as (weights, bias, losses)
    assert w is res.weights and losses is res.losses
    assert len(res.step_losses) == res.steps + 1
    m = batch_size or 50
    assert np.all(np.diff(res.samples_seen)[: 50 // m] == m)
    epochs_done = len(res.losses) - 1
    assert res.samples_seen[-1] == epochs_done * 50


def test_fit_gd_is_deterministic_and_seeded():
    X, y = _problem()
    a = R.fit_gd(X, y, 0.05, 3, batch_size=4, seed=0)
    b = R.fit_gd(X, y, 0.05, 3, batch_size=4, seed=0)
    c = R.fit_gd(X, y, 0.05, 3, batch_size=4, seed=1)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)
    assert a.steps == 3 * 13 and len(a.losses) == 4


def test_fit_gd_reports_divergence():
    X, y = _problem()
    obj = R.LeastSquares(X, y)
    res = R.fit_gd(X, y, lr=2.5 / obj.L, epochs=10_000)
    assert res.diverged and res.converged_at is None and res.steps < 10_000
    assert f"diverged at step {res.steps}" in res.message
    assert res.step_losses[-1] > 1e6 * max(1.0, res.step_losses[0])


def test_least_squares_objective():
    X, y = _problem(d=1)
    obj = R.LeastSquares(X, y)
    assert obj.dim == 2
    theta = np.array([0.3, -0.2])
    assert obj(theta) == pytest.approx(R.mse(X, y, theta[:1], theta[1]))
    gw, gb = R.mse_grad(X, y, theta[:1], theta[1])
    np.testing.assert_allclose(obj.grad(theta), np.append(gw, gb))
    # The grid evaluation (used by contour plots) agrees with the pointwise one.
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(0, 2, 3)))
    values = obj(grid)
    assert values.shape == (3, 4)
    assert values[1, 2] == pytest.approx(obj(grid[:, 1, 2]), rel=1e-10)
    np.testing.assert_allclose(obj.grad(obj.minimizer), 0, atol=1e-12)
    assert obj.mu <= obj.L and obj.condition_number >= 1


def test_standardize_uses_training_statistics():
    X, _ = _problem(d=3)
    Xs, mean, std = R.standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1, rtol=1e-12)
    X2 = X[:5] * 2
    X2s, m2, s2 = R.standardize(X2, mean, std)
    np.testing.assert_allclose(X2s, (X2 - mean) / std)
    assert m2 is not None and np.array_equal(m2, mean) and np.array_equal(s2, std)
    const = np.column_stack([np.ones(4), np.arange(4.0)])
    cs, _, cstd = R.standardize(const)
    assert cstd[0] == 1.0 and np.all(cs[:, 0] == 0)


def test_scaling_makes_the_bowl_round_on_diabetes_bmi():
    X, y = load_diabetes()
    bmi = X[:, [2]]
    raw = R.LeastSquares(bmi, y)
    scaled = R.LeastSquares(R.standardize(bmi)[0], y)
    assert raw.condition_number > 1e4
    assert scaled.condition_number == pytest.approx(1.0)
    # Fitting on standardised features and converting back (notebook 05) gives the raw fit.
    Xs, mean, std = R.standardize(X)
    w, b = R.fit_closed_form(Xs, y)
    w_raw, b_raw = R.fit_closed_form(X, y)
    np.testing.assert_allclose(w / std, w_raw, rtol=1e-8)
    assert b - (w / std) @ mean == pytest.approx(b_raw, rel=1e-8)


def test_errors():
    X, y = _problem()
    with pytest.raises(ValueError, match="2-D"):
        R.fit_closed_form(X[:, 0], y)
    with pytest.raises(ValueError, match="1-D"):
        R.fit_closed_form(X, y[:, None])
    with pytest.raises(ValueError, match=r"^y\b"):
        R.fit_gd(X, y[:49], 0.1, 1)
    with pytest.raises(ValueError, match="empty"):
        R.fit_closed_form(X[:0], y[:0])
    with pytest.raises(ValueError, match="finite"):
        R.mse(np.full((2, 1), np.nan), np.zeros(2), np.zeros(1))
    with pytest.raises(TypeError, match="real numbers"):
        R.fit_closed_form(np.array([["a"]]), np.zeros(1))
    with pytest.raises(ValueError, match=r"^w\b"):
        R.mse(X, y, np.zeros(2))
    with pytest.raises(ValueError, match=r"^b\b"):
        R.mse_grad(X, y, np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="lr"):
        R.fit_gd(X, y, 0.0, 1)
    with pytest.raises(TypeError, match="lr"):
        R.fit_gd(X, y, "0.1", 1)
    with pytest.raises(ValueError, match="epochs"):
        R.fit_gd(X, y, 0.1, 0)
    with pytest.raises(ValueError, match=r"^batch_size\b"):
        R.fit_gd(X, y, 0.1, 1, batch_size=51)
    with pytest.raises(ValueError, match="tol"):
        R.fit_gd(X, y, 0.1, 1, tol=-1.0)
    with pytest.raises(ValueError, match=r"^mean, std\b"):
        R.standardize(X, mean=np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        R.standardize(X, np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="positive"):
        R.standardize(X, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        R.standardize(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="theta"):
        R.LeastSquares(X, y)(np.zeros(3))
