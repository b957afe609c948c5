"""Misuse from the user's side: each input either works correctly or raises a mathprog error
naming the parameter (TypeError for a wrong type, ValueError for a wrong value), never a
silent wrong answer or a bare numpy/Python error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mathprog import (
    autodiff,
    data,
    derivatives,
    functions,
    gradcheck,
    nn,
    optim,
    regression,
    training,
)
from mathprog.autodiff import Dual, Value

NAN, INF = float("nan"), float("inf")


def toy(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.integers(0, 2, n)


# --------------------------------------------------------------- one rule, everywhere


@pytest.mark.parametrize("value, exc", [(1.5, TypeError), ("3", TypeError), (True, TypeError),
                                        (0, ValueError), (-2, ValueError)])
def test_epochs_is_checked_the_same_way_by_train_and_fit_gd(value, exc):
    X, y = toy()
    model = nn.mlp([3, 2], rng=0)
    with pytest.raises(exc, match=r"^epochs\b"):
        training.train(model, nn.SoftmaxCrossEntropy(), optim.SGD(0.1), X, y, epochs=value)
    with pytest.raises(exc, match=r"^epochs\b"):
        regression.fit_gd(X, X[:, 0], lr=0.1, epochs=value)


@pytest.mark.parametrize("name, value, exc", [
    ("tol", "a", TypeError), ("tol", -1.0, ValueError), ("tol", NAN, ValueError),
    ("lr", "0.1", TypeError), ("lr", INF, ValueError),
    ("batch_size", 2.0, TypeError), ("batch_size", 13, ValueError), ("seed", -1, ValueError),
])
def test_fit_gd_checks_every_argument(name, value, exc):
    X, y = toy()
    kwargs = {"lr": 0.1, "epochs": 2, name: value}
    with pytest.raises(exc, match=rf"^{name}\b"):
        regression.fit_gd(X, X[:, 0], **kwargs)


@pytest.mark.parametrize("call", [
    lambda: optim.SGD(lr=NAN), lambda: optim.Momentum(0.1, beta=1.0),
    lambda: optim.Adam(eps=0.0), lambda: nn.Linear(2, 2, gain=-1.0),
    lambda: functions.Ravine(condition_number=INF), lambda: data.make_moons(10, noise=NAN),
    lambda: data.train_test_split(np.zeros((4, 1)), np.zeros(4), test_size=1.0),
    lambda: training.clip_by_norm([np.ones(2)], NAN),
])
def test_nan_and_inf_settings_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [
    lambda: optim.SGD(lr=np.bool_(True)), lambda: nn.Linear(2.0, 2),
    lambda: nn.Linear(2, 2, dtype=np.float16), lambda: nn.Linear(2, 2, dtype="int64"),
    lambda: nn.mlp([3, "4", 2]), lambda: data.make_moons(10, seed=1.5),
    lambda: derivatives.central_difference(np.sin, "0.5"),
    lambda: regression.standardize([["a", "b"]]),
])
def test_wrong_types_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


# --------------------------------------------------------------- NaN and inf in data


@pytest.mark.parametrize("bad", [NAN, INF])
def test_non_finite_data_is_refused_not_propagated(bad):
    X, y = toy()
    Xb = X.copy()
    Xb[0, 0] = bad
    with pytest.raises(ValueError, match=r"^X\b"):
        regression.standardize(Xb)
    with pytest.raises(ValueError, match=r"^X\b"):
        regression.fit_closed_form(Xb, X[:, 1])
    with pytest.raises(ValueError, match=r"^mean\b"):
        regression.standardize(X, mean=np.array([bad, 0, 0]), std=np.ones(3))
    with pytest.raises(ValueError, match=r"^target\b"):
        nn.MSELoss().forward(np.zeros((2, 1)), np.array([[1.0], [bad]]))
    model = nn.mlp([3, 2], rng=0)
    with pytest.raises(ValueError, match=r"^X\b"):
        training.train(model, nn.SoftmaxCrossEntropy(), optim.SGD(0.1), Xb, y, epochs=1)
    with pytest.raises(ValueError, match=r"^X\b"):
        gradcheck.check_gradients(model, nn.SoftmaxCrossEntropy(), Xb[:3], y[:3])


def test_value_and_dual_refuse_non_finite_numbers():
    for bad in (NAN, INF, -INF):
        with pytest.raises(ValueError):
            Value(bad)
        with pytest.raises(ValueError):
            Value(1.0) * bad
        with pytest.raises(ValueError):
            Dual(1.0, bad)
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="division by zero"):
        2.0 / Dual(0.0, 1.0)
    with pytest.raises(ValueError, match="overflows"):
        Value(1000.0).exp()
    with pytest.raises(TypeError):
        Value(True)


def test_non_finite_logits_are_reported_as_divergence_not_hidden():
    # A NaN in the model's output is the blow-up train must see: the loss says so.
    assert math.isnan(nn.SoftmaxCrossEntropy().forward(np.array([[NAN, 0.0]]), np.array([0])))


# --------------------------------------------------------------- a layer used twice


def test_a_shared_activation_is_refused_with_a_clear_error():
    relu = nn.ReLU()
    with pytest.raises(ValueError, match=r"^layers\b.*same object"):
        nn.Sequential(nn.Linear(3, 4, rng=0), relu, nn.Linear(4, 4, rng=1), relu,
                      nn.Linear(4, 2, rng=2))


def test_tied_weights_are_refused_even_inside_a_residual_block():
    lin = nn.Linear(4, 4, rng=0)
    with pytest.raises(ValueError, match="same object"):
        nn.Sequential(lin, lin)
    with pytest.raises(ValueError, match="same object"):
        nn.Sequential(lin, nn.Residual(nn.Sequential(nn.Tanh(), lin)))


def test_a_layer_appended_twice_after_construction_is_refused_by_train():
    X, y = toy()
    model = nn.mlp([3, 3, 2], rng=0)
    model.layers.insert(2, model.layers[1])  # the same ReLU object twice
    with pytest.raises(ValueError, match="same object"):
        training.train(model, nn.SoftmaxCrossEntropy(), optim.SGD(0.1), X, y, epochs=1)


# --------------------------------------------------------------- train


def test_train_checks_validation_before_the_first_step():
    X, y = toy()
    model = nn.mlp([3, 4, 2], rng=0)
    before = [p.copy() for p in model.params]
    bad_labels = (X[:4], np.array([0, 1, 2, 5]))  # the model has 2 outputs
    for validation in (bad_labels, (X[:4, :2], y[:4]), (X[:4], y[:3]), (X[:4], y[:4] * 1.0)):
        with pytest.raises((TypeError, ValueError), match="^validation"):
            training.train(model, nn.SoftmaxCrossEntropy(), optim.SGD(0.1), X, y, epochs=1,
                           validation=validation)
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)  # not one step was taken


class InfGradLoss(nn.MSELoss):
    """A finite loss whose backward overflows once the prediction grows past 1."""

    def backward(self):
        g = super().backward()
        return np.where(np.abs(self.diff) > 1.0, np.inf, g)


def test_train_stops_at_a_non_finite_gradient_and_says_so():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 2))
    y = 3.0 * X[:, :1]  # targets far enough that some |pred - y| > 1 from the start
    model = nn.mlp([2, 1], rng=0)
    before = [p.copy() for p in model.params]
    hist = training.train(model, InfGradLoss(), optim.SGD(0.1), X, y, epochs=3, batch_size=16)
    assert hist.diverged and hist.nonfinite_kind == "gradient"
    assert hist.nonfinite_at == (1, 0)
    assert math.isfinite(hist.step_loss[0]) and not math.isfinite(hist.total_grad_norm[0])
    assert math.isnan(hist.epoch_loss[0])
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)  # the bad step was not applied
    assert "gradient" in hist.message


def test_train_targets_shaped_wrong_are_refused():
    X, _ = toy()
    model = nn.mlp([3, 1], rng=0)
    with pytest.raises(ValueError, match=r"^training y\b"):
        training.train(model, nn.MSELoss(), optim.SGD(0.1), X, X[:, 0], epochs=1)
    with pytest.raises(ValueError, match=r"^validation y\b"):
        training.train(model, nn.MSELoss(), optim.SGD(0.1), X, X[:, :1], epochs=1,
                       validation=(X, X[:, 0]))


# --------------------------------------------------------------- optimizer state


def test_an_optimizer_reused_on_a_new_model_must_be_reset():
    X, y = toy()
    opt = optim.Momentum(0.1)
    loss = nn.SoftmaxCrossEntropy()
    training.train(nn.mlp([3, 2], rng=0), loss, opt, X, y, epochs=1)
    with pytest.raises(ValueError, match=r"^params\b.*reset"):
        training.train(nn.mlp([3, 2], rng=0), loss, opt, X, y, epochs=1)
    opt.reset()
    training.train(nn.mlp([3, 2], rng=0), loss, opt, X, y, epochs=1)


def test_minimize_resets_its_optimizer_so_a_reused_one_is_fine():
    f = functions.Quadratic(np.eye(2))
    opt = optim.Adam(0.1)
    a = optim.minimize(f, f.grad, [1.0, 1.0], opt, steps=5)
    b = optim.minimize(f, f.grad, [1.0, 1.0], opt, steps=5)
    np.testing.assert_array_equal(a.xs, b.xs)


# --------------------------------------------------------------- gradient checks


def test_gradient_check_of_a_float32_model_does_not_cry_wolf_on_raw_pixels():
    # Raw 0..16 pixel values used to give false alarms with float32's fixed step.
    X, y = data.load_digits()
    model = nn.mlp([64, 8, 10], rng=0, dtype=np.float32)
    report = gradcheck.check_gradients(model, nn.SoftmaxCrossEntropy(), X[:3], y[:3])
    assert report.failures == []


def test_autodiff_module_is_really_imported():
    # tests/test_fixtures_torch.py compares Value with torch; it must never be skipped
    # because mathprog.autodiff failed to import.
    assert autodiff.Value(2.0).data == 2.0


def test_imports_are_one_way():
    # Each module imports only modules before it: data, functions, derivatives, autodiff ->
    # optim -> nn -> training -> gradcheck/planted (nn's temporary train alias is lazy).
    import subprocess
    import sys

    order = ["data", "functions", "derivatives", "autodiff", "optim", "nn", "training",
             "gradcheck", "planted"]
    code = ("import sys, importlib; m = importlib.import_module('mathprog.' + sys.argv[1]); "
            "print(' '.join(k for k in sys.modules if k.startswith('mathprog.')))")
    for i, name in enumerate(order):
        out = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True,
                             check=True).stdout.split()
        later = {f"mathprog.{n}" for n in order[i + 1:]}
        assert not later & set(out), (name, sorted(later & set(out)))
    assert "train" not in dir(nn) and "train" in dir(training)


class NaNGradLinear(nn.Linear):
    """A backward that writes NaN into dW: the check must fail it, not crash or pass."""

    def backward(self, grad_out):
        g = super().backward(grad_out)
        self.dW[...] = np.nan
        return g


def test_a_nan_gradient_fails_the_check():
    X, y = toy(4)
    model = nn.mlp([3, 4, 2], rng=0)
    model.layers[0].__class__ = NaNGradLinear
    report = gradcheck.check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert not report.passed and report["0.W"] in report.failures
    assert math.isnan(gradcheck.relative_error(NAN, 1.0))


def test_train_hands_integer_labels_to_a_custom_loss_unchanged():
    # A from-scratch cross-entropy indexes its probabilities with the labels: they must
    # arrive as the integers the user passed, not converted to the model's float dtype.
    from mathprog import nn, optim, training

    seen = []

    class ScratchLoss:
        def forward(self, logits, target):
            seen.append(np.asarray(target).dtype.kind)
            self.inner = nn.SoftmaxCrossEntropy()
            return self.inner.forward(logits, target)

        def backward(self):
            return self.inner.backward()

    X = np.random.default_rng(0).standard_normal((8, 3))
    y = np.arange(8) % 2
    model = nn.Sequential(nn.Linear(3, 2, rng=0))
    training.train(model, ScratchLoss(), optim.SGD(lr=0.1), X, y, epochs=1, batch_size=4)
    assert seen and set(seen) == {"i"}
