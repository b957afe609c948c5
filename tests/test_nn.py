"""Tests for mathprog.nn: every backward against central differences, losses, train."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathprog import nn, training
from mathprog.derivatives import gradient
from mathprog.optim import SGD, Momentum

TOL = 1e-7


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error, 0 when both are zero."""
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def check_layer(layer: nn.Layer, x: np.ndarray, rng: np.random.Generator) -> None:
    """backward() against central differences for the input and every parameter.

    The scalar checked is ``sum(forward(x) * R)`` for a random R, so ``grad_out = R``.
    """
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)
    grad_x = layer.backward(R)
    grads = [g.copy() for g in layer.grads]

    def f_of_x(xx: np.ndarray) -> float:
        return float(np.sum(layer.forward(xx) * R))

    assert grad_x.shape == x.shape
    assert rel_error(grad_x, gradient(f_of_x, x)) < TOL
    for p, g in zip(layer.params, grads, strict=True):
        num = gradient(lambda _: float(np.sum(layer.forward(x) * R)), p, inplace=True)
        assert rel_error(g, num) < TOL


shapes = st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6))
seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=30)
@given(shapes, seeds, st.sampled_from(["he", "xavier", "normal"]))
def test_linear_backward_matches_central_differences(shape, seed, init):
    batch, n_in, n_out = shape
    rng = np.random.default_rng(seed)
    layer = nn.Linear(n_in, n_out, init=init, rng=rng)
    layer.b[:] = rng.standard_normal(n_out)
    check_layer(layer, rng.standard_normal((batch, n_in)), rng)


@settings(max_examples=30)
@given(shapes, seeds, st.sampled_from([nn.ReLU, nn.Tanh, nn.Sigmoid]))
def test_activation_backward_matches_central_differences(shape, seed, cls):
    batch, width, _ = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, width)) * 3
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences off ReLU's kink
    check_layer(cls(), x, rng)


@settings(max_examples=20)
@given(shapes, seeds)
def test_residual_and_sequential_backward(shape, seed):
    batch, n_in, width = shape
    rng = np.random.default_rng(seed)
    block = nn.Sequential(nn.Linear(width, width, rng=rng), nn.Tanh(),
                          nn.Linear(width, width, init="xavier", rng=rng))
    model = nn.Sequential(nn.Linear(n_in, width, rng=rng), nn.Tanh(), nn.Residual(block),
                          nn.Linear(width, 2, rng=rng))
    for p in model.params:  # nonzero biases so their gradients are exercised
        if p.ndim == 1:
            p[:] = rng.standard_normal(p.shape)
    check_layer(model, rng.standard_normal((batch, n_in)), rng)


@settings(max_examples=30)
@given(st.integers(1, 8), st.integers(2, 6), seeds, st.floats(0.1, 50.0))
def test_softmax_cross_entropy_gradient_and_formula(n, c, seed, scale):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, c)) * scale
    y = rng.integers(0, c, n)
    loss = nn.SoftmaxCrossEntropy()
    value = loss.forward(z, y)
    # torch.nn.functional.cross_entropy: mean_i -log softmax(z_i)[y_i]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert value == pytest.approx(float(np.mean(-np.log(p[np.arange(n), y]))), rel=1e-10)
    grad = loss.backward()
    onehot = np.eye(c)[y]
    np.testing.assert_allclose(grad, (p - onehot) / n, rtol=1e-10, atol=1e-15)
    # Saturated rows make the loss ~1e-5 whose last bits are rounding: an absolute floor.
    num = gradient(lambda zz: nn.SoftmaxCrossEntropy().forward(zz, y), z)
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)


@settings(max_examples=30)
@given(st.integers(1, 8), st.integers(1, 5), seeds)
def test_mse_gradient_and_formula(n, d, seed):
    rng = np.random.default_rng(seed)
    pred, target = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    loss = nn.MSELoss()
    assert loss.forward(pred, target) == pytest.approx(np.mean((pred - target) ** 2), rel=1e-12)
    grad = loss.backward()
    np.testing.assert_allclose(grad, 2 * (pred - target) / pred.size, rtol=1e-12)
    num = gradient(lambda pp: nn.MSELoss().forward(pp, target), pred)
    assert rel_error(grad, num) < TOL


def test_losses_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((7, 5)) * 20, rng.integers(0, 5, 7)
    tz = torch.tensor(z, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(tz, torch.tensor(y))
    t_loss.backward()
    ce = nn.SoftmaxCrossEntropy()
    assert ce.forward(z, y) == pytest.approx(t_loss.item(), rel=1e-14)
    np.testing.assert_allclose(ce.backward(), tz.grad.numpy(), rtol=1e-12, atol=1e-16)
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    tp = torch.tensor(p, requires_grad=True)
    t_mse = torch.nn.functional.mse_loss(tp, torch.tensor(t))
    t_mse.backward()
    mse = nn.MSELoss()
    assert mse.forward(p, t) == pytest.approx(t_mse.item(), rel=1e-14)
    np.testing.assert_allclose(mse.backward(), tp.grad.numpy(), rtol=1e-14)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 1e4, 0.0]])
    loss = nn.SoftmaxCrossEntropy()
    assert loss.forward(z, np.array([0, 0])) == pytest.approx(1e4 / 2)
    assert np.all(np.isfinite(loss.backward()))
    np.testing.assert_allclose(nn.softmax(z).sum(axis=1), 1.0)


def test_backward_overwrites_same_gradient_arrays():
    rng = np.random.default_rng(0)
    model = nn.mlp([3, 5, 2], rng=0)
    grads = model.grads
    ids = [id(g) for g in grads]
    loss = nn.SoftmaxCrossEntropy()
    x, y = rng.standard_normal((4, 3)), np.array([0, 1, 1, 0])
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    first = [g.copy() for g in grads]
    loss.forward(model.forward(x), y)
    model.backward(loss.backward())
    assert [id(g) for g in model.grads] == ids
    for a, b in zip(first, grads, strict=True):
        np.testing.assert_array_equal(a, b)  # overwritten, not accumulated


def test_sequential_params_concatenated_in_order_and_indexable():
    a, b = nn.Linear(2, 3, rng=0), nn.Linear(3, 1, rng=1)
    model = nn.Sequential(a, nn.ReLU(), nn.Residual(nn.Linear(1, 1, rng=2)), b)
    assert model[0] is a and model[3] is b
    assert [id(p) for p in model.params] == [id(a.W), id(a.b), id(model[2].block.W),
                                             id(model[2].block.b), id(b.W), id(b.b)]
    assert [p.shape for p in model.params] == [g.shape for g in model.grads]
    assert "Linear(2, 3" in repr(model)


def test_init_statistics_and_gain():
    n_in, n_out = 400, 300
    for init, std in [("he", np.sqrt(2 / n_in)), ("xavier", np.sqrt(2 / (n_in + n_out))),
                      ("normal", 1.0)]:
        w = nn.Linear(n_in, n_out, init=init, gain=1.5, rng=0).W
        assert w.std() == pytest.approx(1.5 * std, rel=0.01)
        assert abs(w.mean()) < 0.01 * std
    zero = nn.Linear(4, 3, init="zeros", rng=0)
    assert not zero.W.any() and not zero.b.any()
    # Same int seed, same weights; one shared Generator gives different layers.
    np.testing.assert_array_equal(nn.Linear(3, 3, rng=7).W, nn.Linear(3, 3, rng=7).W)
    gen = np.random.default_rng(7)
    assert not np.array_equal(nn.Linear(3, 3, rng=gen).W, nn.Linear(3, 3, rng=gen).W)


def test_mlp_builder():
    model = nn.mlp([4, 8, 8, 3], activation="tanh", dtype=np.float32)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert model[0].init == model[4].init == "xavier" and nn.mlp([2, 2])[0].init == "he"
    assert all(p.dtype == np.float32 for p in model.params)
    names = [name for name, _ in nn.linear_layers(model)]
    assert names == ["linear1 (4→8)", "linear2 (8→8)", "linear3 (8→3)"]


def test_linear_layers_walks_into_residual_blocks():
    block = nn.Sequential(nn.Linear(4, 4, rng=0), nn.ReLU())
    model = nn.Sequential(nn.Linear(2, 4, rng=0), nn.Residual(block), nn.Linear(4, 1, rng=0))
    assert [layer for _, layer in nn.linear_layers(model)] == [model[0], block[0], model[2]]


def test_containers_list_their_children_and_concatenate_their_params_in_order():
    block = nn.Sequential(nn.Linear(4, 4, rng=1), nn.Tanh())
    res = nn.Residual(block)
    model = nn.Sequential(nn.Linear(2, 4, rng=0), res, nn.Linear(4, 1, rng=2))
    assert model.named_children() == [(0, model[0]), (1, res), (2, model[2])]
    assert res.named_children() == [("block", block)] and nn.ReLU().named_children() is None
    expected = [model[0].W, model[0].b, block[0].W, block[0].b, model[2].W, model[2].b]
    assert [id(p) for p in model.params] == [id(p) for p in expected]
    assert [id(g) for g in model.grads] == [id(getattr(m, "d" + n)) for m, n in zip(
        [model[0], model[0], block[0], block[0], model[2], model[2]], "WbWbWb", strict=True)]
    assert [label for label, _ in nn.named_layers(model)] == ["0", "1.block.0", "1.block.1", "2"]


def test_astype_returns_converted_copy_and_float32_stays_float32():
    model = nn.mlp([3, 4, 4, 2], activation="tanh", rng=0)
    m32 = model.astype(np.float32)
    assert all(p.dtype == np.float32 for p in m32.params + m32.grads)
    assert all(p.dtype == np.float64 for p in model.params)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    for m in (m32, nn.mlp([3, 4, 2], activation="tanh", dtype=np.float32)):
        out = m.forward(x)
        assert out.dtype == np.float32
        loss = nn.SoftmaxCrossEntropy()
        loss.forward(out, np.array([0, 1, 0, 1, 1]))
        g = loss.backward()
        assert g.dtype == np.float32
        assert m.backward(g).dtype == np.float32
        mse = nn.MSELoss()
        mse.forward(out, np.zeros((5, 2)))
        assert mse.backward().dtype == np.float32
    back = m32.astype(np.float64)
    np.testing.assert_allclose(back.params[0], model.params[0], rtol=1e-6)


def test_accuracy_compares_the_largest_output_with_the_label():
    model = nn.Sequential(nn.Linear(2, 2, init="zeros", rng=0))
    model[0].W[:] = np.eye(2)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]])
    assert nn.accuracy(model, X, np.array([0, 1, 1])) == 1.0
    assert nn.accuracy(model, X, np.array([0, 1, 0])) == pytest.approx(2 / 3)


# ------------------------------------------------------------------ train


def _toy(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def test_train_learns_and_records_history():
    X, y = _toy()
    model = nn.mlp([2, 16, 16, 2], rng=0)
    hist = training.train(model, nn.SoftmaxCrossEntropy(), Momentum(0.1), X, y, epochs=40,
                    batch_size=16, validation=(X, y))
    steps = 40 * 8
    assert hist.steps_per_epoch == 8 and len(hist.step_loss) == steps
    assert hist.weight_grad_norms.shape == hist.input_grad_norms.shape == (steps, 3)
    assert hist.total_grad_norm.shape == (steps,)
    assert len(hist.epoch_loss) == len(hist.epoch_acc) == len(hist.val_loss) == 40
    assert hist.layer_names == ["linear1 (2→16)", "linear2 (16→16)", "linear3 (16→2)"]
    assert hist.epoch_loss[-1] < 0.3 * hist.epoch_loss[0]
    assert hist.val_acc[-1] > 0.9 and not hist.diverged and hist.nonfinite_at is None
    # The total norm is the global norm of the per-parameter gradients, which includes
    # the weight gradients: it is at least as large as each of them.
    assert np.all(hist.total_grad_norm >= hist.weight_grad_norms.max(axis=1) - 1e-12)
    assert "final loss" in hist.message
    assert repr(hist).startswith("History(40 epochs, 320 steps: trained 40 epochs")


def test_train_history_norms_match_a_manual_step():
    X, y = _toy(32)
    model = nn.mlp([2, 5, 2], rng=3)
    ref = model.astype(np.float64)
    hist = training.train(model, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=1, batch_size=32)
    perm = np.random.default_rng(0).permutation(32)
    loss = nn.SoftmaxCrossEntropy()
    assert hist.step_loss[0] == pytest.approx(loss.forward(ref.forward(X[perm]), y[perm]))
    dh = ref.backward(loss.backward())
    expected_w = [np.linalg.norm(ref[0].dW), np.linalg.norm(ref[2].dW)]
    expected_h = [np.linalg.norm(dh), np.linalg.norm(ref[2].grad_input)]
    np.testing.assert_allclose(hist.weight_grad_norms[0], expected_w, rtol=1e-12)
    np.testing.assert_allclose(hist.input_grad_norms[0], expected_h, rtol=1e-12)
    total = np.sqrt(sum(np.sum(g**2) for g in ref.grads))
    assert hist.total_grad_norm[0] == pytest.approx(total, rel=1e-12)


def test_train_is_deterministic_and_seed_matters():
    X, y = _toy()

    def run(seed):
        model = nn.mlp([2, 8, 2], rng=0)
        training.train(model, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=3, seed=seed)
        return model.params[0].copy()

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_train_float32_stays_float32_and_close_to_float64():
    X, y = _toy()
    m64 = nn.mlp([2, 8, 2], rng=0)
    m32 = m64.astype(np.float32)
    h64 = training.train(m64, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=3)
    h32 = training.train(m32, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=3)
    assert all(p.dtype == np.float32 for p in m32.params)
    np.testing.assert_allclose(h32.epoch_loss, h64.epoch_loss, rtol=1e-4)


def test_train_with_mse_regression_targets():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]))[:, None]
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    hist = training.train(model, nn.MSELoss(), SGD(0.1), X, y, epochs=30, batch_size=8)
    assert hist.epoch_acc == [] and hist.epoch_loss[-1] < 1e-6
    np.testing.assert_allclose(model[0].W[:, 0], [1.0, -2.0, 0.5], atol=1e-3)


def test_train_stops_at_first_nonfinite_loss_and_says_where():
    # Gradient descent on a least-squares problem with a far too large step: the error is
    # multiplied by about |1 - 2 lr lambda| > 1 every step until the loss overflows.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]))[:, None]
    model = nn.Sequential(nn.Linear(3, 1, rng=0))
    out = io.StringIO()
    with redirect_stdout(out):
        hist = training.train(model, nn.MSELoss(), SGD(10.0), X, y, epochs=1000, batch_size=20,
                        verbose=100)
    assert hist.diverged and hist.nonfinite_kind == "loss"
    epoch, step = hist.nonfinite_at
    assert epoch == len(hist.epoch_loss) < 1000 and step == len(hist.step_loss) - 1
    assert step == 2 * (epoch - 1) or step == 2 * (epoch - 1) + 1
    assert not np.isfinite(hist.epoch_loss[-1])
    assert np.all(np.isfinite(hist.step_loss[:-1])) and not np.isfinite(hist.step_loss[-1])
    assert len(hist.weight_grad_norms) == len(hist.total_grad_norm) == len(hist.step_loss)
    assert np.isnan(hist.weight_grad_norms[-1]).all()
    assert np.all(np.diff(np.log(hist.step_loss[10:-1])) > 0)  # growing all along
    text = out.getvalue()
    assert f"Epoch {epoch}: loss = {hist.epoch_loss[-1]:.3f}" in text
    assert f"non-finite loss at epoch {epoch} (step {step})" in text


def test_train_detects_nonfinite_gradient():
    X, y = _toy(20)
    model = nn.mlp([2, 4, 2], rng=0)
    model[0].W[0, 0] = np.inf  # forward gives inf logits at once

    hist = training.train(model, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=2)
    assert hist.diverged and hist.nonfinite_at == (1, 0)
    assert np.isnan(hist.weight_grad_norms[0]).all()  # backward never ran


def test_train_clipping_bounds_the_update():
    X, y = _toy()
    model = nn.mlp([2, 16, 2], rng=0)
    before = [p.copy() for p in model.params]
    hist = training.train(model, nn.SoftmaxCrossEntropy(), SGD(1.0), X, y, epochs=1,
                    batch_size=len(X), clip_norm=0.01)
    step = np.sqrt(sum(np.sum((p - b) ** 2) for p, b in zip(model.params, before, strict=True)))
    assert hist.total_grad_norm[0] > 0.01  # recorded before clipping
    assert step == pytest.approx(0.01, rel=1e-3)


def test_train_verbose_log_format_and_every_k():
    X, y = _toy(40)
    out = io.StringIO()
    with redirect_stdout(out):
        hist = training.train(nn.mlp([2, 4, 2], rng=0), nn.SoftmaxCrossEntropy(), SGD(0.1), X, y,
                        epochs=4, verbose=2)
    lines = out.getvalue().splitlines()
    assert lines == [f"Epoch 2: loss = {hist.epoch_loss[1]:.3f}",
                     f"Epoch 4: loss = {hist.epoch_loss[3]:.3f}"]
    assert hist.log().splitlines()[0] == f"Epoch 1: loss = {hist.epoch_loss[0]:.3f}"


def test_train_without_monitor_still_records_total_norm():
    X, y = _toy(40)
    hist = training.train(nn.mlp([2, 4, 2], rng=0), nn.SoftmaxCrossEntropy(), SGD(0.1), X, y,
                    epochs=1, monitor=False)
    assert np.all(np.isfinite(hist.total_grad_norm))
    assert np.isnan(hist.weight_grad_norms).all() and hist.weight_grad_norms.shape == (2, 2)


# ------------------------------------------------------------------ errors


def test_layer_errors():
    with pytest.raises(ValueError, match="init"):
        nn.Linear(2, 2, init="glorot")
    with pytest.raises(ValueError, match="n_in"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="n_out"):
        nn.Linear(2, 2.5)
    with pytest.raises(TypeError, match="dtype"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ValueError, match="gain"):
        nn.Linear(2, 2, gain=-1.0)
    with pytest.raises(TypeError, match="rng"):
        nn.Linear(2, 2, rng="seed")
    with pytest.raises(ValueError, match=r"^x\b"):
        nn.Linear(3, 2, rng=0).forward(np.zeros((4, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Linear(3, 2, rng=0).backward(np.zeros((4, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.ReLU().backward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"^block\b"):
        nn.Residual(nn.Linear(3, 2, rng=0)).forward(np.zeros((1, 3)))
    with pytest.raises(TypeError, match=r"^layers\[1\]"):
        nn.Sequential(nn.ReLU(), "relu")
    with pytest.raises(ValueError, match="activation"):
        nn.mlp([2, 2], activation="gelu")
    with pytest.raises(ValueError, match="sizes"):
        nn.mlp([2])


def test_loss_errors():
    ce = nn.SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match=r"^target\b"):
        ce.forward(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integer class labels"):
        ce.forward(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        ce.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"^target\b"):
        ce.forward(np.zeros(3), np.array([0]))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.SoftmaxCrossEntropy().backward()
    with pytest.raises(ValueError, match=r"^target\b"):
        nn.MSELoss().forward(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        nn.MSELoss().forward(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="rows"):
        nn.accuracy(nn.mlp([2, 2]), np.zeros((3, 2)), np.zeros(2, dtype=int))


def test_train_errors():
    X, y = _toy(10)
    model, loss, opt = nn.mlp([2, 3, 2], rng=0), nn.SoftmaxCrossEntropy(), SGD(0.1)
    with pytest.raises(ValueError, match="epochs"):
        training.train(model, loss, opt, X, y, epochs=0)
    with pytest.raises(TypeError, match="batch_size"):
        training.train(model, loss, opt, X, y, epochs=1, batch_size=2.0)
    with pytest.raises(ValueError, match="clip_norm"):
        training.train(model, loss, opt, X, y, epochs=1, clip_norm=-1)
    with pytest.raises(ValueError, match="training y"):
        training.train(model, loss, opt, X, y[:9], epochs=1)
    with pytest.raises(ValueError, match="empty"):
        training.train(model, loss, opt, X[:0], y[:0], epochs=1)
    with pytest.raises(TypeError, match="^training y: .*integer class labels"):
        training.train(model, loss, opt, X, y.astype(float), epochs=1)
    with pytest.raises(TypeError, match="optimizer"):
        training.train(model, loss, "sgd", X, y, epochs=1)
    with pytest.raises(TypeError, match="validation"):
        training.train(model, loss, opt, X, y, epochs=1, validation=X)
    with pytest.raises(ValueError, match="2-D"):
        training.train(model, loss, opt, X[:, 0], y, epochs=1)
    with pytest.raises(ValueError, match=r"^X\b.*\(batch, 2\)"):
        training.train(model, loss, opt, X[:, :1], y, epochs=1)
    with pytest.raises(ValueError, match="training y"):
        training.train(model, loss, opt, X, np.where(y == 0, 5, y), epochs=1)


def test_train_works_with_any_optimizer_object():
    class PlainSGD:  # not a mathprog.optim optimizer: train calls its step() every time
        lr = 0.1
        calls = 0

        def step(self, params, grads):
            self.calls += 1
            for p, g in zip(params, grads, strict=True):
                p -= self.lr * g

    X, y = _toy(40)
    a, b = nn.mlp([2, 4, 2], rng=0), nn.mlp([2, 4, 2], rng=0)
    opt = PlainSGD()
    training.train(a, nn.SoftmaxCrossEntropy(), opt, X, y, epochs=2, batch_size=8)
    training.train(b, nn.SoftmaxCrossEntropy(), SGD(0.1), X, y, epochs=2, batch_size=8)
    assert opt.calls == 10
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_sigmoid_values_and_no_overflow_at_large_inputs():
    x = np.array([[-1000.0, -3.0, 0.0, 2.0, 1000.0]])
    with np.errstate(all="raise"):  # the tanh form never computes exp(1000)
        out = nn.Sigmoid().forward(x)
    np.testing.assert_allclose(out[0, 1:4], 1 / (1 + np.exp(-x[0, 1:4])), rtol=1e-15)
    assert out[0, 0] == 0.0 and out[0, 4] == 1.0
