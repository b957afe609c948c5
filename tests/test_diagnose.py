"""diagnose(): each finding on a crafted History, then on real short runs of each failure kind."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mathprog import nn, optim
from mathprog.data import load_digits, train_test_split
from mathprog.diagnostics import (
    Diagnosis,
    Finding,
    diagnose,
    growth_per_layer,
)
from mathprog.training import History, train

N_LAYERS = 8
SPE = 10  # steps per epoch of the crafted histories


def make_history(epoch_loss, *, factor=1.0, blowup=None, step_loss=None, worst_factor=None):
    """A History whose per-step gradient profile grows ``factor`` per layer flowing back.

    ``worst_factor`` puts a steeper profile on one step and makes it the largest gradient.
    ``blowup=(epoch, step)`` marks the non-finite step (its row is NaN, as train records).
    """
    epochs = len(epoch_loss)
    steps = epochs * SPE if blowup is None else blowup[1] + 1
    if step_loss is None:
        # each epoch's steps around its mean loss, decreasing gently inside the epoch
        step_loss = np.repeat(np.asarray(epoch_loss, dtype=float), SPE)[:steps]
        step_loss = step_loss * np.tile(np.linspace(1.02, 0.98, SPE), epochs)[:steps]
        step_loss[0] = 2.302585
    step_loss = np.asarray(step_loss, dtype=float)
    depth_from_out = np.arange(N_LAYERS)[::-1]  # layer 0 is furthest from the output
    rng = np.random.default_rng(0)
    g_in = 0.1 * factor**depth_from_out * np.exp(0.05 * rng.standard_normal((steps, N_LAYERS)))
    g_w = np.full((steps, N_LAYERS), 0.5)
    totals = np.full(steps, 1.0)
    if worst_factor is not None:
        k = steps // 2
        g_in[k] = 0.1 * worst_factor**depth_from_out
        totals[k] = 1e6
    if blowup is not None:
        step_loss[blowup[1]] = np.nan
        g_in[blowup[1]] = g_w[blowup[1]] = np.nan
        totals[blowup[1]] = np.nan
    return History(
        epoch_loss=list(epoch_loss),
        step_loss=step_loss,
        layer_names=[f"linear{i + 1}" for i in range(N_LAYERS)],
        weight_grad_norms=g_w,
        input_grad_norms=g_in,
        total_grad_norm=totals,
        nonfinite_at=blowup,
        steps_per_epoch=SPE,
    )


HEALTHY = [2.2, 1.1, 0.6, 0.35, 0.25, 0.2]


# ---------------------------------------------------------------------------------------
# growth_per_layer
# ---------------------------------------------------------------------------------------


def test_growth_per_layer_recovers_a_geometric_growth():
    norms = 0.01 * 1.5 ** np.arange(10)[::-1]  # grows x1.5 per layer flowing back
    assert growth_per_layer(norms) == pytest.approx(1.5)
    assert growth_per_layer(norms[::-1]) == pytest.approx(1 / 1.5)


def test_growth_per_layer_none_when_gradients_are_zero():
    # first step of a net whose output layer starts at zero: every hidden gradient is 0
    assert growth_per_layer([0.0, 0.0, 0.0, 0.0, 1.3]) is None
    assert growth_per_layer([1.0, np.nan]) is None


def test_growth_per_layer_rejects_2d():
    with pytest.raises(ValueError, match="1-D"):
        growth_per_layer(np.ones((3, 3)))
    with pytest.raises(TypeError, match="norms"):
        growth_per_layer(["a", "b", "c"])


# ---------------------------------------------------------------------------------------
# each finding on a crafted history
# ---------------------------------------------------------------------------------------


def test_healthy_run_says_no_problem_found():
    d = diagnose(make_history(HEALTHY))
    assert d.kinds == ["healthy"]
    assert "no problem found" in d[0].message
    assert d[0].evidence["final"] == pytest.approx(0.2)


def test_converged_jitter_is_not_an_oscillation():
    # rises of 20% at a loss of 0.05 are noise around convergence, not a too-high lr
    d = diagnose(make_history([2.2, 0.5, 0.1, 0.05, 0.06, 0.045, 0.055, 0.04]))
    assert d.kinds == ["healthy"]


def test_nonfinite_loss_reports_epoch_and_step():
    h = make_history([2.2, 1.5, 1.3], blowup=(3, 24))
    d = diagnose(h)
    assert d.kinds[0] == "nonfinite"
    f = d[0]
    assert f.evidence["epoch"] == 3
    assert f.evidence["step"] == 24
    assert math.isfinite(f.evidence["last_finite_loss"])
    assert "epoch 3" in f.message and "step 24" in f.message
    assert "lr_too_high" not in d.kinds  # the blow-up epoch itself is not read as a rise


def test_a_hand_made_history_must_say_where_it_blew_up():
    h = make_history([2.2, 1.5, math.inf])
    h.nonfinite_at = None
    with pytest.raises(ValueError, match="nonfinite_at"):
        diagnose(h)


def test_exploding_names_the_start_layer_and_factor():
    h = make_history(HEALTHY, factor=1.0, worst_factor=2.0)
    d = diagnose(h)
    assert "exploding" in d.kinds
    f = d[d.kinds.index("exploding")]
    assert f.evidence["factor"] == pytest.approx(2.0)
    assert f.evidence["ratio"] == pytest.approx(2.0 ** (N_LAYERS - 1))
    assert f.evidence["start"] == N_LAYERS - 1
    assert f.evidence["start_layer"] == f"linear{N_LAYERS}"
    assert f.evidence["median_factor"] == pytest.approx(1.0, abs=0.05)
    assert "x2 per layer" in f.message


def test_exploding_finds_where_growth_starts():
    # flat for the last three layers, then x3 per layer from layer 5 down to layer 0
    h = make_history(HEALTHY)
    h.input_grad_norms[30] = [243, 81, 27, 9, 3, 1, 1.01, 1.02]
    h.total_grad_norm[30] = 1e6
    f = diagnose(h)[0]
    assert f.kind == "exploding" and f.evidence["step"] == 30
    assert f.evidence["start"] == 5 and f.evidence["start_layer"] == "linear6"
    assert f.evidence["factor"] == pytest.approx(3.0)
    assert f.evidence["ratio"] == pytest.approx(243 / 1.02)


def test_exploding_without_global_or_weight_norms():
    h = make_history(HEALTHY, worst_factor=2.0)
    h.total_grad_norm, h.weight_grad_norms = np.zeros(0), np.zeros((0, 0))  # a History by hand
    assert "exploding" in diagnose(h).kinds


def test_mild_growth_is_not_exploding_and_healthy_reports_the_factor():
    # x1.23 per layer over 8 layers is a ratio of 4.3: below the thresholds, but the healthy
    # finding must state the measured growth, never "steady across depth"
    d = diagnose(make_history(HEALTHY, factor=1.23))
    assert d.kinds == ["healthy"]
    assert "x1.23 per layer" in d[0].message
    assert "steady" not in d[0].message


def test_persistent_growth_over_training_is_exploding():
    d = diagnose(make_history(HEALTHY, factor=1.5))  # ratio 17 on every step
    assert "exploding" in d.kinds
    assert d[d.kinds.index("exploding")].evidence["step"] == -1


def test_vanishing_gradients():
    d = diagnose(make_history([2.3026, 2.30, 2.29, 2.27, 2.24], factor=0.4))
    assert "vanishing" in d.kinds
    f = d[d.kinds.index("vanishing")]
    assert f.evidence["factor"] == pytest.approx(0.4, rel=0.05)
    assert f.evidence["ratio"] < 1e-2


def test_rising_loss_means_lr_too_high():
    d = diagnose(make_history([2.2, 1.4, 1.1, 1.5, 1.9]))
    assert d.kinds == ["lr_too_high"]
    ev = d[0].evidence
    assert ev["best_epoch"] == 3 and ev["best"] == pytest.approx(1.1)
    assert "rising" in d[0].message


def test_oscillating_loss_means_lr_too_high():
    d = diagnose(make_history([2.2, 1.5, 1.9, 1.3, 1.8, 1.2, 1.7, 1.1]))
    assert d.kinds == ["lr_too_high"]
    assert d[0].evidence["rises"] == 3
    assert d[0].evidence["changes"] == 7


def test_a_loss_spike_means_lr_too_high():
    h = make_history(HEALTHY)
    h.step_loss[13] = 40.0
    d = diagnose(h)
    assert d.kinds == ["lr_too_high"]
    assert d[0].evidence["spike_step"] == 13
    assert d[0].evidence["spike"] == pytest.approx(40.0)


def test_plateau():
    d = diagnose(make_history([2.3, 1.9, 1.80, 1.801, 1.799, 1.80]))
    assert d.kinds == ["plateau"]
    assert d[0].evidence["loss"] == pytest.approx(1.80)
    assert "stalled" in d[0].message


def test_low_flat_loss_is_not_a_plateau():
    assert diagnose(make_history([2.3, 0.5, 0.2, 0.2, 0.2, 0.2])).kinds == ["healthy"]


def test_several_findings_in_order():
    # stuck at ln 10 with vanishing gradients: both reported
    h = make_history([2.3026, 2.3025, 2.3026, 2.3025], factor=0.3)
    assert diagnose(h).kinds == ["vanishing", "plateau"]


# ---------------------------------------------------------------------------------------
# what the issue found wrong, on crafted histories
# ---------------------------------------------------------------------------------------


def test_without_per_layer_norms_it_does_not_claim_depth():
    h = make_history(HEALTHY)
    h.input_grad_norms = np.full_like(h.input_grad_norms, np.nan)
    d = diagnose(h)
    assert d.kinds == ["healthy"]
    assert "not recorded" in d[0].message and "steady" not in d[0].message
    assert "no validation data" in d[0].message


def test_a_hand_made_history_of_epoch_losses_alone():
    d = diagnose(History(epoch_loss=[2.0, 1.0, 0.5]))
    assert d.kinds == ["healthy"] and d[0].evidence["initial"] == 2.0
    assert "not recorded" in d[0].message


def test_a_steadily_falling_negative_loss_is_healthy():
    losses = [-0.5, -0.8, -1.1, -1.4, -1.7, -2.0]
    steps = np.repeat(losses, SPE) - np.tile(np.linspace(0, 0.2, SPE), 6)
    h = make_history(losses, step_loss=steps)
    d = diagnose(h)
    assert "lr_too_high" not in d.kinds, str(d)
    assert d.kinds == ["healthy"]


def test_an_initial_loss_of_zero_does_not_divide_by_zero():
    losses = [0.0, 0.0, 0.0, 0.0]
    h = make_history(losses, step_loss=np.zeros(4 * SPE))
    d = diagnose(h)  # no ZeroDivisionError, no nan in the text
    assert "nan" not in str(d)
    h = make_history([0.0, 0.5, 1.0, 2.0], step_loss=np.repeat([0.0, 0.5, 1.0, 2.0], SPE))
    assert "lr_too_high" in diagnose(h).kinds


def test_all_zero_gradient_steps_are_dead_units_not_dropped():
    h = make_history([2.3026, 2.3025, 2.3026, 2.3025])
    h.input_grad_norms[1:, :5] = 0.0  # layers 1-5 get exactly nothing after the first step
    h.weight_grad_norms[1:, :5] = 0.0
    d = diagnose(h)
    assert "dead_units" in d.kinds, str(d)
    assert d[d.kinds.index("dead_units")].evidence["zero_layers"] == [0, 1, 2, 3, 4]


def test_chance_and_overfitting_from_validation_data():
    h = make_history([2.3, 5.0, 11.0, 11.3, 11.3])
    h.epoch_acc, h.val_acc = [0.1] * 5, [0.1, 0.09, 0.092, 0.092, 0.092]
    h.layer_names[-1] = "linear8 (64→10)"  # ten classes, read from the output layer
    d = diagnose(h)
    assert "chance" in d.kinds
    assert "9.2%" in str(d)
    h = make_history([2.2, 0.5, 0.05, 0.01, 0.002])
    h.epoch_acc, h.val_acc = [0.5, 0.9, 0.99, 1.0, 1.0], [0.5, 0.75, 0.78, 0.78, 0.78]
    d = diagnose(h)
    assert d.kinds == ["overfitting"], str(d)
    assert "100%" in d[0].message and "78%" in d[0].message


def test_numbers_are_printed_to_three_significant_digits():
    h = make_history(HEALTHY)
    h.step_loss[13] = 123.456789123
    d = diagnose(h)
    assert "123." not in str(d) and "123" in str(d)
    assert _at_most_3_significant_digits(str(d))


# ---------------------------------------------------------------------------------------
# printing
# ---------------------------------------------------------------------------------------


def test_printing_is_numbered_and_readable():
    d = diagnose(make_history([2.2, 1.5, 1.3], blowup=(3, 24)))
    assert isinstance(d, Diagnosis) and isinstance(d[0], Finding)
    text = str(d)
    assert text.startswith("1. nonfinite: the loss or a gradient became inf/nan")
    assert "Next: " in text and len(text.splitlines()) == len(d)


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------


def test_rejects_objects_that_are_not_histories():
    with pytest.raises(TypeError, match="history must be a mathprog.training.History"):
        diagnose({"epoch_loss": [1.0]})


def test_rejects_an_empty_history():
    with pytest.raises(ValueError, match="no epochs"):
        diagnose(History())


def test_rejects_mis_shaped_norms():
    h = make_history(HEALTHY)
    h.input_grad_norms = h.input_grad_norms[:-1]
    with pytest.raises(ValueError, match="input_grad_norms"):
        diagnose(h)


# ---------------------------------------------------------------------------------------
# real short runs, one per failure kind
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, seed=0)
    return X_train[:600], y_train[:600], X_test, y_test


def _plain(depth, init, gain, width=32, seed=0, dtype=np.float64, out="zeros"):
    """``depth`` hidden ReLU layers of ``width`` units; the output layer starts at ``out``."""
    gen = np.random.default_rng(seed)
    layers, n_in = [], 64
    for _ in range(depth):
        layers += [nn.Linear(n_in, width, init, gain, rng=gen, dtype=dtype), nn.ReLU()]
        n_in = width
    layers.append(nn.Linear(n_in, 10, out, rng=gen, dtype=dtype))
    return nn.Sequential(*layers)


def _at_most_3_significant_digits(text):
    decimals = re.findall(r"\d*\.\d+", text)
    return all(len(d.replace(".", "").lstrip("0")) <= 3 for d in decimals)


def _run(digits, model, opt, epochs, n=600, **kw):
    X, y, X_test, y_test = digits
    dt = model.params[0].dtype
    h = train(model, nn.SoftmaxCrossEntropy(), opt, X[:n].astype(dt), y[:n], epochs=epochs,
                 validation=(X_test.astype(dt), y_test), **kw)
    d = diagnose(h)
    for f in d:  # every finding: evidence, a next step, 3 significant digits
        assert re.search(r" Next: \w.*\.$", str(f)), f
        assert _at_most_3_significant_digits(f.message), f.message
    return h, d


def test_real_healthy_run(digits):
    h, d = _run(digits, _plain(2, "he", 1.0), optim.Momentum(0.05, 0.9), 8)
    assert d.kinds == ["healthy"], str(d)
    assert "validation accuracy" in d[0].message and "per layer flowing back" in d[0].message


def test_real_run_without_monitor_says_what_it_did_not_check(digits):
    X, y, _, _ = digits
    h = train(_plain(2, "he", 1.0), nn.SoftmaxCrossEntropy(), optim.Momentum(0.05, 0.9), X,
                 y, epochs=4, monitor=False)
    d = diagnose(h)
    assert d.kinds == ["healthy"]
    assert "not recorded" in d[0].message and "no validation" in d[0].message


def test_real_exploding_run(digits):
    # 10 hidden ReLU layers at twice He's standard deviation: inf within the first epoch
    h, d = _run(digits, _plain(10, "he", 2.0), optim.Momentum(0.01, 0.9), 3)
    assert h.diverged
    assert d.kinds[:2] == ["nonfinite", "exploding"], str(d)
    assert d[1].evidence["factor"] > 1.1


def test_real_float32_vanishing_that_underflows_to_exact_zeros(digits):
    # the textbook 0.01 * randn in 20 float32 layers: the early layers' gradients are exactly 0
    h, d = _run(digits, _plain(20, "normal", 0.01, dtype=np.float32, out="he"), optim.SGD(0.1), 2)
    assert (h.weight_grad_norms[1:, 0] == 0).all()
    assert "vanishing" in d.kinds and "chance" in d.kinds, str(d)
    assert "underflowed" in d[d.kinds.index("vanishing")].message
    assert "dead_units" not in d.kinds


def test_real_vanishing_with_a_plateau(digits):
    # Xavier's init under ReLU, 20 layers: the signal shrinks and the loss stays at ln 10
    h, d = _run(digits, _plain(20, "xavier", 1.0, dtype=np.float32), optim.Momentum(0.01, 0.9), 4)
    assert d.kinds == ["vanishing", "chance", "plateau"], str(d)


def test_real_dead_relus(digits):
    # one huge step (SGD at lr 3) pushes every ReLU below zero for good
    h, d = _run(digits, nn.mlp([64, 32, 32, 10], rng=0), optim.SGD(3.0), 3)
    assert "dead_units" in d.kinds and "chance" in d.kinds, str(d)


def test_real_lr_too_high_without_a_blow_up(digits):
    h, d = _run(digits, _plain(1, "he", 1.0), optim.Momentum(0.5, 0.9), 8)
    assert not h.diverged
    assert "lr_too_high" in d.kinds, str(d)


def test_real_overfitting(digits):
    # 60 training images, 60 epochs: training accuracy 100%, validation far below
    h, d = _run(digits, _plain(1, "he", 1.0, width=128), optim.SGD(0.1), 60, n=60)
    assert h.epoch_acc[-1] > 0.95
    assert "overfitting" in d.kinds, str(d)


def test_real_chance_level(digits):
    # Adam at lr 0.5: the loss jumps to tens, then sits at ~2.3 with validation accuracy ~10%
    h, d = _run(digits, _plain(2, "he", 1.0, width=64), optim.Adam(0.5), 4)
    assert h.val_acc[-1] < 0.15
    assert "chance" in d.kinds, str(d)


class _ShiftedMSE(nn.MSELoss):
    """MSE minus 1: a loss that is negative and falls steadily (like a log-likelihood)."""

    def forward(self, pred, target):
        return super().forward(pred, target) - 1.0


def test_real_negative_falling_loss_is_not_lr_too_high(digits):
    X, y, _, _ = digits
    target = (y[:, None] / 9.0).astype(np.float64)
    h = train(nn.mlp([64, 16, 16, 1], rng=0), _ShiftedMSE(), optim.SGD(0.05), X, target,
                 epochs=6)
    assert h.epoch_loss[-1] < 0 and h.epoch_loss[-1] < h.epoch_loss[0]
    d = diagnose(h)
    assert "lr_too_high" not in d.kinds, str(d)


def test_sharpness_of_a_quadratic_and_of_a_network(digits):
    from mathprog.diagnostics import sharpness

    class Quadratic:  # L = 0.5 * sum(a_i out_i^2) with out = x W + b at x = 1: out_i = W_i + b_i
        def forward(self, out, target):
            self.out = out
            return float(0.5 * np.sum(out**2 * np.array([1.0, 4.0, 9.0])))

        def backward(self):
            return self.out * np.array([1.0, 4.0, 9.0])

    lin = nn.Linear(1, 3, rng=0)  # the Hessian in (W_i, b_i) is a_i [[1, 1], [1, 1]]: 2 a_i, 0
    lam = sharpness(nn.Sequential(lin), Quadratic(), np.ones((1, 1)), None, iters=60)
    assert lam == pytest.approx(18.0, rel=1e-6)
    X, y, _, _ = digits
    model = _plain(3, "he", 1.0, out="he")
    w = [p.copy() for p in model.params]
    lam = sharpness(model, nn.SoftmaxCrossEntropy(), X[:128], y[:128], iters=30)
    assert lam > 0 and all((a == b).all() for a, b in zip(w, model.params, strict=True))


def test_sharpness_rejects_bad_arguments():
    from mathprog.diagnostics import sharpness

    model = nn.mlp([4, 3, 2], rng=0)
    X, y = np.zeros((2, 4)), np.array([0, 1])
    with pytest.raises(ValueError, match="iters"):
        sharpness(model, nn.SoftmaxCrossEntropy(), X, y, iters=0)
    with pytest.raises(ValueError, match="eps"):
        sharpness(model, nn.SoftmaxCrossEntropy(), X, y, eps=-1.0)
    with pytest.raises(TypeError, match="model"):
        sharpness([np.ones(3)], nn.SoftmaxCrossEntropy(), X, y)
