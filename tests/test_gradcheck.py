"""Tests for mathprog.gradcheck: correct models pass, planted bugs are caught and localised."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathprog import derivatives, gradcheck, nn, planted
from mathprog.gradcheck import check_gradients, relative_error

# --------------------------------------------------------------------------- fixtures


def make_model(dtype=np.float64, activation="tanh", seed=0):
    # 6 -> 5 -> 5 -> 3: layer 2 is square, so a missing transpose there is shape-compatible.
    return nn.mlp([6, 5, 5, 3], activation=activation, rng=seed, dtype=dtype)


def make_batch(n=4, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6)).astype(dtype)
    y = rng.integers(0, 3, size=n)
    return X, y


def plant(model, index, cls):
    """``model`` with layer ``index`` re-classed to a planted bug of mathprog.planted."""
    model.layers[index].__class__ = cls
    return model


# --------------------------------------------------------------------------- relative_error


def test_relative_error_values():
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(0.0, 0.0) == 0.0  # no nan for two exact zeros
    assert relative_error(2.0, -2.0) == pytest.approx(1.0)  # flipped sign
    assert relative_error(0.0, 3.0) == pytest.approx(1.0)  # a gradient never computed
    assert relative_error(5.0, 1.0) == pytest.approx(4 / 6)  # (N - 1) / (N + 1)
    out = relative_error([1.0, 2.0], [1.0, 2.2])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert isinstance(relative_error(1.0, 2.0), float)


def test_relative_error_floor():
    # 1e-15 against 3e-15 is 50 % apart, but both are noise next to a floor of 1e-9.
    assert relative_error(1e-15, 3e-15) == pytest.approx(0.5)
    assert relative_error(1e-15, 3e-15, floor=1e-9) == pytest.approx(2e-6)


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(1e-3, 1e3),
)
def test_relative_error_symmetric_scale_free_bounded(a, b, c):
    e = relative_error(a, b)
    assert e == relative_error(b, a)
    assert 0.0 <= e <= 1.0  # |a - b| <= |a| + |b|
    if abs(a) + abs(b) > 1e-300:
        assert relative_error(c * a, c * b) == pytest.approx(e, rel=1e-9, abs=1e-12)


def test_relative_error_bad_input():
    with pytest.raises(ValueError, match=r"^a and b\b"):
        relative_error(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="real numbers"):
        relative_error("a", 1.0)
    with pytest.raises(ValueError, match="floor"):
        relative_error(1.0, 2.0, floor=-1.0)


# --------------------------------------------------------------------------- correct models


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_correct_model_passes(activation):
    X, y = make_batch()
    model = make_model(activation=activation)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert report.passed, report
    assert report.failures == []
    assert report.suspect is None
    labels = [c.label for c in report]
    assert labels == ["input.X", "0.W", "0.b", "2.W", "2.b", "4.W", "4.b", "loss.input"]
    for c in report:
        assert c.max_rel_error < 1e-6
        assert c.scale == pytest.approx(1.0, abs=1e-6)
        assert c.threshold == 1e-6  # the documented float64 threshold
    w = report["0.W"]
    assert (w.layer, w.kind, w.name, w.shape) == ("0", "Linear", "W", (6, 5))
    assert w.n_checked == 30
    assert "PASSED" in str(report)


def test_mse_regression_model_passes():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    y = rng.standard_normal((5, 2))
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 2, rng=1))
    report = check_gradients(model, nn.MSELoss(), X, y)
    assert report.passed, report


def test_residual_model_labels_and_passes():
    X, y = make_batch()
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(6, 5, rng=rng),
        nn.Tanh(),
        nn.Residual(nn.Sequential(nn.Linear(5, 5, rng=rng), nn.Tanh())),
        nn.Linear(5, 3, rng=rng),
    )
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert report.passed, report
    assert "2.block.0.W" in [c.label for c in report]


def test_parameters_and_state_restored():
    X, y = make_batch()
    model = make_model()
    before = [p.copy() for p in model.params]
    X_before = X.copy()
    check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(X, X_before)
    # the ReLU/Tanh layers are not left wrapped
    assert all("forward" not in vars(layer) for layer in model.layers)


def test_numeric_gradients_come_from_derivatives(monkeypatch):
    calls = []
    real = derivatives.gradient

    def spy(f, x, h=None, **kw):
        calls.append(np.shape(x))
        return real(f, x, h, **kw)

    monkeypatch.setattr(derivatives, "gradient", spy)
    X, y = make_batch()
    check_gradients(make_model(), nn.SoftmaxCrossEntropy(), X, y)
    assert len(calls) == 8  # one call per checked array


# --------------------------------------------------------------------------- planted bugs


def test_missing_transpose_in_input_gradient_is_localised():
    X, y = make_batch()
    model = plant(make_model(), 2, planted.MissingTranspose)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert not report.passed
    failed = {c.label for c in report.failures}
    # Everything upstream of layer 2's input gradient is wrong; layer 2's own W, b are right.
    assert failed == {"input.X", "0.W", "0.b"}
    assert report["2.W"].passed and report["2.b"].passed and report["loss.input"].passed
    assert report.suspect.label == "0.b"
    d = report.diagnosis
    assert "between 0.b and 2.W" in d and "2 (MissingTranspose)" in d
    assert "not a multiple" in d


@pytest.mark.parametrize("index", [0, 2, 4])
def test_forgotten_bias_gradient_is_localised(index):
    X, y = make_batch()
    model = plant(make_model(), index, planted.ForgottenBias)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert [c.label for c in report.failures] == [f"{index}.b"]
    bad = report.suspect
    assert bad.max_rel_error == pytest.approx(1.0)  # analytic 0 against numeric != 0
    assert bad.analytic == 0.0 and bad.numeric != 0.0
    assert abs(bad.scale) < 1e-12
    assert f"the b gradient of layer {index} (ForgottenBias) itself" in report.diagnosis
    assert "input gradient" not in report.diagnosis  # 2.W passes: the incoming gradient is right
    assert "never computed" in report.diagnosis


def test_wrong_sign_in_softmax_gradient_is_localised():
    X, y = make_batch()
    report = check_gradients(make_model(), planted.WrongSignSoftmax(), X, y)
    assert len(report.failures) == len(report.checks)  # every upstream check inherits it
    assert report.suspect.label == "loss.input"
    for c in report:
        assert c.scale == pytest.approx(-1.0, abs=1e-6)
        assert c.max_rel_error == pytest.approx(1.0)
    assert "loss's own gradient" in report.diagnosis
    assert "flipped sign" in report.diagnosis


def test_missing_one_over_n_is_localised():
    n = 4
    X, y = make_batch(n=n)
    report = check_gradients(make_model(), planted.MissingMean(), X, y)
    assert report.suspect.label == "loss.input"
    for c in report:
        assert not c.passed
        assert c.scale == pytest.approx(n, rel=1e-6)
        assert c.max_rel_error == pytest.approx((n - 1) / (n + 1), rel=1e-6)
    assert "missing division" in report.diagnosis


def test_bug_in_first_layer_input_gradient_is_caught_by_the_input_check():
    X = np.random.default_rng(0).standard_normal((4, 5))
    y = np.array([0, 1, 2, 0])
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(5, 5, rng=rng), nn.Tanh(), nn.Linear(5, 3, rng=rng))
    model = plant(model, 0, planted.MissingTranspose)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert [c.label for c in report.failures] == ["input.X"]


# --------------------------------------------------------------------------- kinks


def relu_model_at_kink(unit=0):
    """A ReLU model with one hidden pre-activation at 0 (to rounding) for sample 0."""
    X, y = make_batch()
    model = make_model(activation="relu")
    first = model.layers[0]
    first.b[unit] = -(X[0] @ first.W[:, unit])  # the unit sits on its kink for sample 0
    return model, X, y


def test_relu_kink_false_alarm_and_how_it_is_avoided():
    model, X, y = relu_model_at_kink()
    loss = nn.SoftmaxCrossEntropy()
    # Not skipping kinks: the central difference straddles the kink and averages two
    # slopes, so a correct backward "fails".
    naive = check_gradients(model, loss, X, y, skip_kinks=False)
    assert not naive.passed
    assert naive["0.b"].n_kinks >= 1 and not naive["0.b"].passed
    assert "may be a false alarm" in naive.diagnosis
    # Default: the entries whose evaluation switched a ReLU are detected and left out.
    report = check_gradients(model, loss, X, y)
    assert report.passed, report
    assert report["0.b"].n_kinks == naive["0.b"].n_kinks
    assert report["0.b"].n_checked == 5 - report["0.b"].n_kinks
    # Moving away from the kink by more than h also avoids it (nothing crosses any more).
    model.layers[0].b[0] += 1e-3
    moved = check_gradients(model, loss, X, y, skip_kinks=False)
    assert moved.passed and all(c.n_kinks == 0 for c in moved)


def test_dead_sample_puts_next_biases_on_kinks():
    # Moving unit 1 onto its kink also switches it off for sample 1, whose other hidden
    # units are already off: that sample's layer-0 output is all zeros, so its layer-2
    # pre-activations equal the (zero-initialised) biases and every entry of 2.b sits
    # exactly on a kink of the next ReLU.
    model, X, y = relu_model_at_kink(unit=1)
    hidden = np.maximum(model.layers[0].forward(X), 0)
    assert not hidden[1].any()
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    check = report["2.b"]
    assert check.n_kinks == 5 and check.n_checked == 0 and check.skipped
    # A check that compared nothing proves nothing: not passed, not a failure either.
    assert not check.passed and math.isnan(check.max_rel_error)
    assert not report.passed and report.failures == [] and report.suspect is None
    assert [c for c in report if c.skipped] == [check]
    assert "INCONCLUSIVE" in report.summary() and "2.b" in report.diagnosis


def test_no_wrapper_is_left_on_the_relus_and_the_model_is_untouched():
    model, X, y = relu_model_at_kink()
    before = [p.copy() for p in model.params]
    for _ in range(2):
        check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    for layer in model.layers:
        assert "forward" not in vars(layer)
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)


def test_skipping_kinks_still_catches_bugs():
    model, X, y = relu_model_at_kink()
    plant(model, 4, planted.ForgottenBias)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert [c.label for c in report.failures] == ["4.b"]


# --------------------------------------------------------------------------- float32


class ScaledCE(nn.SoftmaxCrossEntropy):
    """The gradient 1% too large: a bug float32's own rounding would hide."""

    def backward(self):
        return 1.01 * super().backward()


def test_float32_models_are_checked_in_a_float64_copy():
    X, y = make_batch(dtype=np.float32)
    model = make_model(dtype=np.float32)
    report = check_gradients(model, nn.SoftmaxCrossEntropy(), X, y)
    assert report.passed, report
    assert all(p.dtype == np.float32 for p in model.params)  # the model itself is unchanged
    assert "float64 copy" in report.note


def test_a_one_percent_bug_is_caught_whatever_the_dtype():
    for dtype in (np.float32, np.float64):
        X, y = make_batch(dtype=dtype)
        report = check_gradients(make_model(dtype=dtype), ScaledCE(), X, y)
        assert not report.passed
        assert report.suspect.label == "loss.input"
        assert report.suspect.scale == pytest.approx(1.01, rel=1e-3)


def test_a_model_of_mixed_dtypes_is_checked_in_float64():
    X, y = make_batch()
    model = nn.Sequential(nn.Linear(6, 5, rng=0), nn.Tanh(),
                          nn.Linear(5, 3, rng=1, dtype=np.float32))
    report = check_gradients(model, ScaledCE(), X, y)
    assert "float64 copy" in report.note
    assert report.suspect.label == "loss.input"  # the 1% bug float32 would hide


# --------------------------------------------------------------------------- errors


def test_bad_inputs():
    X, y = make_batch()
    model, loss = make_model(), nn.SoftmaxCrossEntropy()
    with pytest.raises(TypeError, match=r"^model\b"):
        check_gradients(object(), loss, X, y)
    with pytest.raises(TypeError, match=r"^loss\b"):
        check_gradients(model, object(), X, y)
    with pytest.raises(ValueError, match=r"^y\b"):
        check_gradients(model, loss, X, y[:2])
    with pytest.raises(ValueError, match=r"^h\b"):
        check_gradients(model, loss, X, y, h=0.0)
    with pytest.raises(TypeError, match=r"^h\b"):
        check_gradients(model, loss, X, y, h="small")
    with pytest.raises(ValueError, match="threshold"):
        check_gradients(model, loss, X, y, threshold=-1.0)
    with pytest.raises(TypeError, match="threshold"):
        check_gradients(model, loss, X, y, threshold="loose")
    with pytest.raises(ValueError, match=r"^X\b"):
        check_gradients(model, loss, np.full_like(X, np.nan), y)
    with pytest.raises(ValueError, match=r"^X\b"):
        check_gradients(model, loss, np.zeros((0, 6)), y[:0])
    with pytest.raises(ValueError, match="no parameters"):
        check_gradients(nn.Sequential(nn.ReLU()), loss, X, y)




# check_function (issue 5): a plain function's claimed gradient against central differences.

def _cubic(x: np.ndarray) -> float:
    return float(np.sum(x**3) + x[0] * x[-1])


def _cubic_grad(x: np.ndarray) -> np.ndarray:
    g = 3 * x**2
    g[0] += x[-1]
    g[-1] += x[0]
    return g


def test_check_function_passes_a_right_gradient_and_catches_a_wrong_one():
    x = np.array([1.0, -2.0, 0.5])
    right = gradcheck.check_function(_cubic, _cubic_grad, x)
    assert right.passed and right.max_rel_error < 1e-8 and right.label == "f.x"

    def forgot_cross_term(z: np.ndarray) -> np.ndarray:
        return 3 * z**2

    wrong = gradcheck.check_function(_cubic, forgot_cross_term, x)
    assert not wrong.passed and wrong.worst_index in {(0,), (2,)}

    def one_percent_off(z: np.ndarray) -> np.ndarray:
        return 1.01 * _cubic_grad(z)

    scaled = gradcheck.check_function(_cubic, one_percent_off, x)
    assert not scaled.passed and abs(scaled.scale - 1.01) < 1e-6


def test_check_function_rejects_bad_input():
    with pytest.raises(TypeError, match="^f"):
        gradcheck.check_function(3, _cubic_grad, [1.0])
    with pytest.raises(TypeError, match="^grad"):
        gradcheck.check_function(_cubic, None, [1.0])
    with pytest.raises(ValueError, match=r"^grad\(x\)"):
        gradcheck.check_function(_cubic, lambda z: z[:1], [1.0, 2.0])
    with pytest.raises(ValueError, match="^x"):
        gradcheck.check_function(_cubic, _cubic_grad, [np.nan, 1.0])
    with pytest.raises(ValueError, match="^threshold"):
        gradcheck.check_function(_cubic, _cubic_grad, [1.0], threshold=0)
