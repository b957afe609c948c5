"""diagnose(): each finding on a crafted History, the healthy case, errors, and real runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mathprog import nn, optim
from mathprog.data import load_digits, train_test_split
from mathprog.diagnostics import (
    DIAGNOSE_THRESHOLDS,
    FINDING_KINDS,
    Diagnosis,
    Finding,
    diagnose,
    gradient_profile,
)

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
    return nn.History(
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
# gradient_profile
# ---------------------------------------------------------------------------------------


def test_gradient_profile_recovers_a_geometric_growth():
    norms = 0.01 * 1.5 ** np.arange(10)[::-1]  # grows x1.5 per layer flowing back
    p = gradient_profile(norms)
    assert p["factor"] == pytest.approx(1.5)
    assert p["start_factor"] == pytest.approx(1.5)
    assert p["ratio"] == pytest.approx(1.5**9)
    assert p["start"] == 9


def test_gradient_profile_finds_where_growth_starts():
    # flat for the last four layers, then x2 per layer from layer 5 down to layer 0
    norms = np.array([32, 16, 8, 4, 2, 1, 1, 1, 1, 1], dtype=float)
    norms[6:] = [1.01, 1.02, 1.03, 1.04]
    p = gradient_profile(norms)
    assert p["start"] == 5
    assert p["start_factor"] == pytest.approx(2.0)


def test_gradient_profile_none_when_gradients_are_zero():
    # first step of a net whose output layer starts at zero: every hidden gradient is 0
    assert gradient_profile([0.0, 0.0, 0.0, 0.0, 1.3]) is None
    assert gradient_profile([1.0, np.nan]) is None


def test_gradient_profile_rejects_2d():
    with pytest.raises(ValueError, match="1-D"):
        gradient_profile(np.ones((3, 3)))


# ---------------------------------------------------------------------------------------
# each finding on a crafted history
# ---------------------------------------------------------------------------------------


def test_healthy_run_says_no_problem_found():
    d = diagnose(make_history(HEALTHY))
    assert d.kinds == ["healthy"]
    assert d.healthy
    assert "no problem found" in d[0].message
    assert d[0].evidence["final_loss"] == pytest.approx(0.2)


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


def test_nonfinite_found_from_epoch_loss_alone():
    h = make_history([2.2, 1.5, math.inf])
    h.nonfinite_at = None
    assert diagnose(h).kinds[0] == "nonfinite"


def test_exploding_names_the_start_layer_and_factor():
    h = make_history(HEALTHY, factor=1.0, worst_factor=2.0)
    d = diagnose(h)
    assert "exploding" in d.kinds
    f = d[d.kinds.index("exploding")]
    assert f.evidence["factor_per_layer"] == pytest.approx(2.0)
    assert f.evidence["ratio_first_to_last"] == pytest.approx(2.0 ** (N_LAYERS - 1))
    assert f.evidence["growth_starts_at"] == N_LAYERS - 1
    assert f.evidence["growth_starts_at_layer"] == f"linear{N_LAYERS}"
    assert f.evidence["median_factor"] == pytest.approx(1.0, abs=0.05)
    assert "x2.00 per layer" in f.message


def test_mild_growth_is_not_exploding():
    # x1.3 per layer over 8 layers is a ratio of 6: below explode_ratio
    assert diagnose(make_history(HEALTHY, factor=1.3)).healthy


def test_thresholds_can_be_tightened():
    d = diagnose(make_history(HEALTHY, worst_factor=1.3), explode_ratio=5.0)
    assert "exploding" in d.kinds


def test_vanishing_gradients():
    d = diagnose(make_history([2.3026, 2.30, 2.29, 2.27, 2.24], factor=0.4))
    assert "vanishing" in d.kinds
    f = d[d.kinds.index("vanishing")]
    assert f.evidence["factor_per_layer"] == pytest.approx(0.4, rel=0.05)
    assert f.evidence["ratio_first_to_last"] < 1e-2


def test_rising_loss_means_lr_too_high():
    d = diagnose(make_history([2.2, 1.4, 1.1, 1.5, 1.9]))
    assert d.kinds == ["lr_too_high"]
    ev = d[0].evidence
    assert ev["best_epoch"] == 3 and ev["best_loss"] == pytest.approx(1.1)
    assert "rising" in d[0].message


def test_oscillating_loss_means_lr_too_high():
    d = diagnose(make_history([2.2, 1.5, 1.9, 1.3, 1.8, 1.2, 1.7, 1.1]))
    assert d.kinds == ["lr_too_high"]
    assert d[0].evidence["rises"] == 3
    assert d[0].evidence["epoch_changes"] == 7


def test_a_loss_spike_means_lr_too_high():
    h = make_history(HEALTHY)
    h.step_loss[13] = 40.0
    d = diagnose(h)
    assert d.kinds == ["lr_too_high"]
    assert d[0].evidence["spike_step"] == 13
    assert d[0].evidence["spike_loss"] == pytest.approx(40.0)


def test_plateau():
    d = diagnose(make_history([2.3, 1.9, 1.80, 1.801, 1.799, 1.80]))
    assert d.kinds == ["plateau"]
    assert d[0].evidence["loss"] == pytest.approx(1.80)
    assert "stalled" in d[0].message


def test_low_flat_loss_is_not_a_plateau():
    assert diagnose(make_history([2.3, 0.5, 0.2, 0.2, 0.2, 0.2])).healthy


def test_several_findings_in_order():
    # stuck at ln 10 with vanishing gradients: both reported
    h = make_history([2.3026, 2.3025, 2.3026, 2.3025], factor=0.3)
    assert diagnose(h).kinds == ["vanishing", "plateau"]


# ---------------------------------------------------------------------------------------
# printing
# ---------------------------------------------------------------------------------------


def test_printing_is_numbered_and_readable():
    d = diagnose(make_history([2.2, 1.5, 1.3], blowup=(3, 24)))
    assert isinstance(d, Diagnosis) and isinstance(d[0], Finding)
    text = str(d)
    assert text.startswith("1. nonfinite: the loss became non-finite")
    assert repr(d) == text
    r = repr(d[0])
    assert r.startswith("Finding(nonfinite:") and "epoch=3" in r and "step=24" in r


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------


def test_rejects_objects_that_are_not_histories():
    with pytest.raises(TypeError, match="history must be a mathprog.nn.History"):
        diagnose({"epoch_loss": [1.0]})


def test_rejects_an_empty_history():
    with pytest.raises(ValueError, match="no epochs"):
        diagnose(nn.History())


def test_rejects_mis_shaped_norms():
    h = make_history(HEALTHY)
    h.input_grad_norms = h.input_grad_norms[:-1]
    with pytest.raises(ValueError, match="input_grad_norms"):
        diagnose(h)


def test_rejects_unknown_and_bad_thresholds():
    h = make_history(HEALTHY)
    with pytest.raises(TypeError, match="unknown threshold 'explode'"):
        diagnose(h, explode=10)
    with pytest.raises(ValueError, match="explode_ratio must be > 1"):
        diagnose(h, explode_ratio=1.0)
    with pytest.raises(ValueError, match="plateau_tol"):
        diagnose(h, plateau_tol=-0.1)
    with pytest.raises(ValueError, match="plateau_epochs"):
        diagnose(h, plateau_epochs=2.5)
    with pytest.raises(TypeError, match="rise_tol"):
        diagnose(h, rise_tol="big")


def test_every_kind_is_a_documented_kind():
    cases = [
        make_history(HEALTHY),
        make_history([2.2, 1.5, 1.3], blowup=(3, 24)),
        make_history(HEALTHY, worst_factor=2.0),
        make_history([2.3026, 2.3025, 2.3026, 2.3025], factor=0.3),
        make_history([2.2, 1.4, 1.1, 1.5, 1.9]),
    ]
    seen = {k for h in cases for k in diagnose(h).kinds}
    assert seen == set(FINDING_KINDS)


def test_thresholds_are_documented_defaults():
    assert DIAGNOSE_THRESHOLDS["explode_ratio"] == 100.0
    assert DIAGNOSE_THRESHOLDS["explode_factor"] == 1.1


# ---------------------------------------------------------------------------------------
# real runs
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, seed=0)
    return X_train[:600], y_train[:600], X_test, y_test


def _plain(depth, init, gain, width=32, seed=0):
    """``depth`` hidden ReLU layers of ``width`` units, output layer starting at zero."""
    gen = np.random.default_rng(seed)
    layers, n_in = [], 64
    for _ in range(depth):
        layers += [nn.Linear(n_in, width, init, gain, rng=gen), nn.ReLU()]
        n_in = width
    layers.append(nn.Linear(n_in, 10, "zeros", rng=gen))
    return nn.Sequential(*layers)


def test_real_healthy_run(digits):
    X, y, X_test, y_test = digits
    model = _plain(2, "he", 1.0)
    h = nn.train(
        model,
        nn.SoftmaxCrossEntropy(),
        optim.Momentum(0.05, 0.9),
        X,
        y,
        epochs=8,
        seed=0,
        validation=(X_test, y_test),
    )
    d = diagnose(h)
    assert d.healthy, str(d)
    assert d[0].evidence["val_acc"] > 0.85


def test_real_exploding_run(digits):
    # 10 hidden ReLU layers at twice He's standard deviation: inf within the first epoch
    X, y, _, _ = digits
    model = _plain(10, "he", 2.0)
    h = nn.train(model, nn.SoftmaxCrossEntropy(), optim.Momentum(0.01, 0.9), X, y, epochs=3)
    d = diagnose(h)
    assert h.diverged
    assert d.kinds[:2] == ["nonfinite", "exploding"], str(d)
    assert d[1].evidence["factor_per_layer"] > 1.1
