"""Tests for the gradient clipping and the gradient norms train records."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathprog import nn, optim, training
from mathprog.training import clip_by_norm, clip_by_value, global_norm


def _grads(seed: int, scale: float = 1.0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((4, 3)) * scale, rng.standard_normal(3) * scale,
            rng.standard_normal((2, 2, 2)) * scale]


@settings(max_examples=50)
@given(st.integers(0, 2**32 - 1), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_clip_by_norm_formula(seed, scale, max_norm):
    grads = _grads(seed, scale)
    originals = [g.copy() for g in grads]
    clipped, total = clip_by_norm(grads, max_norm)
    expected_total = math.sqrt(sum(float(np.sum(g**2)) for g in originals))
    assert total == pytest.approx(expected_total, rel=1e-12)
    coef = max_norm / (expected_total + 1e-6)
    for c, g, o in zip(clipped, grads, originals, strict=True):
        np.testing.assert_array_equal(g, o)  # not in place by default
        np.testing.assert_allclose(c, o * min(coef, 1.0), rtol=1e-12)
        assert c is not g
    assert global_norm(clipped) <= max_norm * (1 + 1e-12) or coef >= 1


def test_clip_by_norm_matches_torch():
    torch = pytest.importorskip("torch")
    for max_norm in (0.1, 1.0, 3.0, 100.0):
        grads = _grads(1)
        params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g)
        t_total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        clipped, total = clip_by_norm(grads, max_norm)
        assert total == pytest.approx(float(t_total), rel=1e-15)
        for c, p in zip(clipped, params, strict=True):
            np.testing.assert_allclose(c, p.grad.numpy(), rtol=1e-15)


def test_clip_by_norm_in_place_scales_the_same_arrays():
    grads = _grads(2, 10.0)
    ids = [id(g) for g in grads]
    out, total = clip_by_norm(grads, 1.0, in_place=True)
    assert [id(g) for g in out] == ids
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-5)
    assert total > 1.0
    small = _grads(3, 1e-3)
    before = [g.copy() for g in small]
    clip_by_norm(small, 1.0, in_place=True)  # below the threshold: untouched
    for g, b in zip(small, before, strict=True):
        np.testing.assert_array_equal(g, b)


def test_clip_by_norm_keeps_float32_and_direction():
    g = np.array([3.0, 4.0], dtype=np.float32)
    (c,), total = clip_by_norm(g, 1.0)
    assert c.dtype == np.float32 and total == pytest.approx(5.0)
    np.testing.assert_allclose(c, [0.6, 0.8], rtol=1e-5)


def test_global_norm_nonfinite_and_overflow():
    assert math.isinf(global_norm([np.array([1.0, np.inf])]))
    assert math.isnan(global_norm([np.array([1.0, np.inf]), np.array([np.nan])]))
    # float32 squares overflow, but the gradients are finite: the norm must be finite too.
    big = np.array([3e30, 4e30], dtype=np.float32)
    assert global_norm([big]) == pytest.approx(5e30, rel=1e-6)
    assert global_norm([]) == 0.0


def test_clip_by_norm_does_not_spread_nan():
    grads = [np.array([1.0, np.nan]), np.array([5.0])]
    clipped, total = clip_by_norm(grads, 1.0)
    assert math.isnan(total)
    assert clipped[1][0] == 5.0  # nothing scaled; the caller sees the NaN and stops


def test_clip_by_value():
    g = [np.array([-3.0, 0.5, 2.0]), np.array([[10.0, -0.1]])]
    out = clip_by_value(g, 1.0)
    np.testing.assert_array_equal(out[0], [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(out[1], [[1.0, -0.1]])
    assert g[0][0] == -3.0 and out[0] is not g[0]


def test_clipping_errors():
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_norm([np.ones(2)], float("nan"))
    with pytest.raises(TypeError, match="max_norm"):
        clip_by_norm([np.ones(2)], "1")
    with pytest.raises(ValueError, match="clip_value"):
        clip_by_value([np.ones(2)], -1.0)
    with pytest.raises(TypeError, match=r"^grads\[1\]"):
        clip_by_norm([np.ones(2), [1.0, 2.0]], 1.0)
    with pytest.raises(TypeError, match=r"^grads\[0\]"):
        clip_by_value([np.ones(2, dtype=int)], 1.0)
    with pytest.raises(TypeError, match=r"^grads\b"):
        global_norm(3.0)


def test_train_records_each_linear_layers_gradient_norms():
    X = np.random.default_rng(0).standard_normal((6, 3))
    y = np.array([0, 1, 0, 1, 1, 0])
    model, loss = nn.mlp([3, 4, 2], rng=0), nn.SoftmaxCrossEntropy()
    loss.forward(model.forward(X), y)  # the full batch's gradients before the one step
    dx = model.backward(loss.backward())
    w = [np.linalg.norm(model[0].dW), np.linalg.norm(model[2].dW)]
    h = [np.linalg.norm(dx), np.linalg.norm(model[2].grad_input)]
    hist = training.train(model, loss, optim.SGD(0.1), X, y, epochs=1, batch_size=6)
    assert hist.weight_grad_norms.shape == hist.input_grad_norms.shape == (1, 2)
    np.testing.assert_allclose(hist.weight_grad_norms[0], w, rtol=1e-12)
    np.testing.assert_allclose(hist.input_grad_norms[0], h, rtol=1e-12)
    off = training.train(model, loss, optim.SGD(0.1), X, y, epochs=1, batch_size=6, monitor=False)
    assert off.weight_grad_norms.shape == (1, 2) and np.isnan(off.weight_grad_norms).all()
