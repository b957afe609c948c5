"""Optimizers (update rules, state, dtypes, errors) and minimize (divergence, convergence).

Agreement with torch.optim over 100 steps is in test_fixtures_torch.py; here the rules are
checked by hand on first steps, and every error path is exercised.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mathprog.functions import Quadratic, Ravine, Rosenbrock
from mathprog.optim import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    Optimizer,
    RMSProp,
    Trajectory,
    make_optimizer,
    minimize,
)


def all_optimizers(lr=0.1):
    return [SGD(lr), Momentum(lr), Nesterov(lr), AdaGrad(lr), RMSProp(lr), Adam(lr)]


IDS = list(OPTIMIZERS)


# ---------------------------------------------------------------- update rules, by hand

def test_sgd_step():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    SGD(0.1).step([p], [g])
    np.testing.assert_allclose(p, [0.95, -2.4])


@pytest.mark.parametrize("cls", [Momentum, Nesterov])
def test_momentum_buffer_starts_at_the_gradient(cls):
    p, beta, lr = np.zeros(2), 0.8, 0.1
    g1, g2 = np.array([1.0, -1.0]), np.array([2.0, 3.0])
    opt = cls(lr, beta=beta)
    opt.step([p], [g1])
    first = lr * (g1 + beta * g1) if cls is Nesterov else lr * g1
    np.testing.assert_allclose(p, -first)
    opt.step([p], [g2])
    v = beta * g1 + g2
    second = lr * (g2 + beta * v) if cls is Nesterov else lr * v
    np.testing.assert_allclose(p, -first - second)


def test_adagrad_first_step_is_lr_times_sign():
    p = np.zeros(3)
    AdaGrad(0.5).step([p], [np.array([3.0, -0.01, 200.0])])
    np.testing.assert_allclose(p, [-0.5, 0.5, -0.5], rtol=1e-8)


def test_rmsprop_first_steps():
    p, g, alpha = np.zeros(1), np.array([2.0]), 0.9
    opt = RMSProp(0.01, alpha=alpha, eps=0.0 + 1e-8)
    opt.step([p], [g])
    s = (1 - alpha) * 4.0
    np.testing.assert_allclose(p, [-0.01 * 2.0 / (math.sqrt(s) + 1e-8)])


def test_adam_bias_correction_makes_the_first_step_lr_times_sign():
    p = np.zeros(3)
    Adam(0.01).step([p], [np.array([1e-3, -5.0, 40.0])])
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_second_step_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    g1, g2 = 1.0, -3.0
    p = np.zeros(1)
    opt = Adam(lr, b1, b2, eps)
    opt.step([p], [np.array([g1])])
    opt.step([p], [np.array([g2])])
    m = (1 - b1) * (b1 * g1 + g2)
    v = (1 - b2) * (b2 * g1**2 + g2**2)
    first = lr * g1 / (abs(g1) + eps)
    second = lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    expected = -first - second
    np.testing.assert_allclose(p, [expected], rtol=1e-12)


@given(hnp.arrays(np.float64, (3,), elements=st.floats(-10, 10)),
       hnp.arrays(np.float64, (3,), elements=st.floats(-10, 10)))
def test_momentum_with_beta_zero_is_sgd(g1, g2):
    runs = []
    for opt in (SGD(0.1), Momentum(0.1, beta=0.0), Nesterov(0.1, beta=0.0)):
        p = np.ones(3)
        opt.step([p], [g1])
        opt.step([p], [g2])
        runs.append(p)
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])


# ---------------------------------------------------------------- state, dtype, in place

@pytest.mark.parametrize("opt", all_optimizers(), ids=IDS)
def test_updates_in_place_with_state_per_position(opt):
    a, b = np.ones((2, 3)), np.full(4, 2.0)
    ids = id(a), id(b)
    for _ in range(3):
        opt.step([a, b], [np.full((2, 3), 0.5), np.full(4, -1.0)])
    assert (id(a), id(b)) == ids
    assert np.all(a < 1.0) and np.all(b > 2.0)
    assert opt.t == 3 and len(opt.state) == 2
    for state, p in zip(opt.state, (a, b), strict=True):
        assert all(buf.shape == p.shape for buf in state.values())


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt", all_optimizers(), ids=IDS)
def test_float32_params_stay_float32(opt, grad_dtype):
    opt.reset()  # the same instance serves every parametrisation
    p = np.ones((3, 2), dtype=np.float32)
    q = np.ones(2, dtype=np.float32)
    for _ in range(2):
        opt.step([p, q], [np.full((3, 2), 0.3, grad_dtype), np.full(2, -0.3, grad_dtype)])
    assert p.dtype == np.float32 and q.dtype == np.float32
    assert all(buf.dtype == np.float32 for state in opt.state for buf in state.values())
    assert np.all(p < 1.0) and np.all(q > 1.0)


@pytest.mark.parametrize("opt", all_optimizers(), ids=IDS)
def test_float32_run_follows_float64(opt):
    f = Rosenbrock()
    x32 = minimize(f, f.grad, f.x0.astype(np.float32), opt, steps=30).xs
    x64 = minimize(f, f.grad, f.x0, opt, steps=30).xs
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, x64, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("opt", all_optimizers(), ids=IDS)
def test_reset_forgets_state(opt):
    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-3.0, 1.0])]

    def run():
        p = np.zeros(2)
        for g in grads:
            opt.step([p], [g])
        return p

    first = run()
    opt.reset()
    assert opt.t == 0 and opt.state == []
    np.testing.assert_array_equal(run(), first)


def test_zero_dimensional_params():
    p = np.array(1.0)
    Adam(0.1).step([p], [np.array(2.0)])
    assert p.shape == () and p == pytest.approx(0.9)


@given(st.lists(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), min_size=1, max_size=5),
       st.sampled_from(IDS))
def test_any_list_of_shapes(shapes, name):
    params = [np.ones(s) for s in shapes]
    opt = make_optimizer(name, 0.01)
    for _ in range(2):
        opt.step(params, [np.full(s, 0.5) for s in shapes])
    assert [p.shape for p in params] == shapes
    assert all(np.all(p < 1.0) for p in params)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()), ids=IDS)
def test_bad_lr_is_a_value_error(cls, lr):
    with pytest.raises(ValueError, match=r"^lr\b"):
        cls(lr)


@pytest.mark.parametrize("lr", ["0.1", None, True, [0.1]])
def test_non_number_lr_is_a_type_error(lr):
    with pytest.raises(TypeError, match=r"^lr\b"):
        SGD(lr)


@pytest.mark.parametrize("make, name", [
    (lambda v: Momentum(0.1, beta=v), "beta"),
    (lambda v: Nesterov(0.1, beta=v), "beta"),
    (lambda v: RMSProp(0.1, alpha=v), "alpha"),
    (lambda v: Adam(beta1=v), "beta1"),
    (lambda v: Adam(beta2=v), "beta2"),
])
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, math.nan])
def test_decay_rates_outside_0_1_are_value_errors(make, name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a finite number in \[0, 1\)"):
        make(value)


@pytest.mark.parametrize("make", [lambda e: AdaGrad(0.1, eps=e), lambda e: RMSProp(0.1, eps=e),
                                  lambda e: Adam(eps=e)], ids=["adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("eps", [0.0, -1e-8, math.inf])
def test_bad_eps_is_a_value_error(make, eps):
    with pytest.raises(ValueError, match=r"^eps\b"):
        make(eps)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="same length, got 2 params and 1 grads"):
        SGD(0.1).step([np.zeros(2), np.zeros(3)], [np.zeros(2)])


def test_mismatched_shapes_name_the_position():
    with pytest.raises(ValueError, match=r"^grads\[1\]"):
        Adam().step([np.zeros(2), np.zeros(3)], [np.zeros(2), np.zeros((3, 1))])


def test_non_array_param_is_a_type_error():
    with pytest.raises(TypeError, match=r"^params\[0\]"):
        SGD(0.1).step([[1.0, 2.0]], [np.zeros(2)])


def test_a_bare_array_instead_of_a_list_is_a_type_error():
    with pytest.raises(TypeError, match=r"lists of arrays; for a single array x use step\(\[x\]"):
        SGD(0.1).step(np.zeros(2), np.zeros(2))


def test_integer_params_are_a_type_error():
    with pytest.raises(TypeError, match=r"^params\[0\]"):
        SGD(0.1).step([np.zeros(2, dtype=int)], [np.zeros(2)])


def test_params_that_change_between_steps():
    opt = Momentum(0.1)
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"^params\b"):
        opt.step([np.zeros(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"^params\b"):
        opt.step([np.zeros(2), np.zeros(2)], [np.ones(2), np.ones(2)])
    opt.reset()
    opt.step([np.zeros(3)], [np.ones(3)])  # fine after reset


def test_state_is_not_carried_to_a_new_models_arrays():
    # Two models with the same shapes: the second must not inherit the first's velocity.
    old, new = np.zeros(2), np.zeros(2)
    opt = Momentum(0.1, beta=0.9)
    for _ in range(5):
        opt.step([old], [np.ones(2)])
    with pytest.raises(ValueError, match=r"^params\b"):
        opt.step([new], [np.ones(2)])
    opt.reset()
    opt.step([new], [np.ones(2)])
    np.testing.assert_allclose(new, [-0.1, -0.1])  # a first step: velocity = g


def test_a_refused_first_step_leaves_no_state():
    opt, p, q = Momentum(0.1), np.zeros(2), np.zeros(3)
    with pytest.raises(ValueError, match=r"^grads\[0\]"):
        opt.step([p], [np.ones(3)])
    assert not p.any() and opt.t == 0
    opt.step([q], [np.ones(3)])  # other arrays: fine, no step was taken
    np.testing.assert_allclose(q, [-0.1, -0.1, -0.1])


def test_the_same_array_twice_is_refused():
    p = np.zeros(2)
    with pytest.raises(ValueError, match=r"^params\b"):
        SGD(0.1).step([p, p], [np.ones(2), np.ones(2)])
    assert not p.any()  # refused before any update


def test_grads_may_be_array_likes():
    p = np.zeros(2)
    SGD(1.0).step([p], [[1.0, 2.0]])
    np.testing.assert_array_equal(p, [-1.0, -2.0])


# ---------------------------------------------------------------- registry

def test_registry_and_make_optimizer():
    assert list(OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    for name, cls in OPTIMIZERS.items():
        opt = make_optimizer(name, 0.05)
        assert type(opt) is cls and opt.lr == 0.05
    assert make_optimizer("momentum", 0.1, beta=0.5).beta == 0.5
    assert make_optimizer("nesterov", 0.1, beta=0.7).beta == 0.7
    adam = make_optimizer("adam", 0.1, beta=0.8)
    assert adam.beta1 == 0.8 and adam.beta2 == 0.999
    assert make_optimizer("momentum", 0.1).beta == 0.9


def test_make_optimizer_errors():
    with pytest.raises(ValueError, match=r"^name\b"):
        make_optimizer("lbfgs", 0.1)
    with pytest.raises(TypeError, match=r"^name\b"):
        make_optimizer(SGD, 0.1)
    with pytest.raises(ValueError, match="beta applies only to momentum, nesterov and adam"):
        make_optimizer("sgd", 0.1, beta=0.9)
    with pytest.raises(ValueError, match=r"^beta\b"):
        make_optimizer("momentum", 0.1, beta=1.0)


# ---------------------------------------------------------------- minimize

QUAD = Quadratic([[3.0, 1.0], [1.0, 2.0]], [1.0, 1.0])


class HalfStep:  # x <- x - g / 2: an optimizer written from outside the package
    def reset(self):
        self.calls = 0

    def step(self, params, grads):
        self.calls += 1
        params[0] -= 0.5 * grads[0]


def test_minimize_records_a_finite_path():
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), steps=50)
    assert isinstance(t, Trajectory)
    assert t.xs.shape == (51, 2) and t.losses.shape == (51,) and t.grad_norms.shape == (51,)
    assert t.steps == 50
    assert not t.diverged and t.diverged_at is None and t.diverged_value is None
    assert t.converged_at is None and "stopped after 50 steps" in t.message
    np.testing.assert_array_equal(t.xs[0], QUAD.x0)
    np.testing.assert_allclose(t.losses, [QUAD(x) for x in t.xs])
    np.testing.assert_allclose(t.grad_norms, [np.linalg.norm(QUAD.grad(x)) for x in t.xs])
    assert np.all(np.diff(t.losses) < 0)  # lr < 1/L: monotone descent


def expected_blowup_step(q, lr, factor=1e6):
    """Plain loop: first step whose loss exceeds factor * max(1, |f(x0)|)."""
    x = q.x0.copy()
    limit = factor * max(1.0, abs(q(x)))
    for k in range(1, 10_000):
        x = x - lr * q.grad(x)
        if abs(q(x)) > limit:
            return k
    raise AssertionError("did not blow up")


def test_gradient_descent_past_2_over_L_diverges_within_tens_of_steps():
    lr = 2.2 / QUAD.L
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(lr), steps=1000)
    k = expected_blowup_step(QUAD, lr)
    assert t.diverged and t.diverged_at == k < 100
    assert t.diverged_value == t.losses[-1] > 1e6 * abs(t.losses[0])
    assert t.message.startswith(f"diverged at step {k} (loss = ")
    assert len(t.xs) == k + 1 and np.all(np.isfinite(t.xs))
    assert t.converged_at is None


def test_without_blowup_threshold_it_stops_at_the_first_non_finite_loss():
    lr = 2.2 / QUAD.L
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(lr), steps=100_000, blowup=None)
    assert t.diverged and math.isinf(t.diverged_value)
    assert t.diverged_at == len(t.xs)  # the non-finite step is reported, not recorded
    assert 1000 < t.diverged_at < 5000
    assert np.all(np.isfinite(t.xs)) and np.all(np.isfinite(t.losses))
    assert np.all(np.isfinite(t.grad_norms))
    assert t.message == f"diverged at step {t.diverged_at} (loss = {t.diverged_value})"


def test_a_non_finite_iterate_with_a_finite_loss_is_divergence():
    def flat(x):
        return 0.0

    t = minimize(flat, lambda x: np.full_like(x, 1e308), np.zeros(2), SGD(10.0), steps=5)
    assert t.diverged and t.diverged_at == 1 and len(t.xs) == 1
    assert "iterate became non-finite" in t.message


def test_a_non_finite_gradient_is_divergence():
    def grad(x):
        return np.array([np.inf, 0.0]) if x[0] < 0 else np.ones(2)

    t = minimize(lambda x: float(x @ x), grad, np.array([0.05, 0.0]), SGD(0.1), steps=5)
    assert t.diverged and t.diverged_at == 1 and "gradient became non-finite" in t.message


def test_convergence_with_tol():
    f, tol = Ravine(condition_number=10.0), 1e-6
    t = minimize(f, f.grad, f.x0, Momentum(0.5, beta=0.5), steps=10_000, tol=tol)
    assert t.converged_at is not None and not t.diverged
    assert t.grad_norms[-1] <= tol < t.grad_norms[:-1].min()
    assert len(t.xs) == t.converged_at + 1
    assert t.message.startswith(f"converged at step {t.converged_at} (gradient norm ")
    np.testing.assert_allclose(t.xs[-1], f.minimizer, atol=1e-5)


def test_already_converged_start_and_zero_steps():
    t = minimize(QUAD, QUAD.grad, QUAD.minimizer, SGD(0.1), tol=1e-8)
    assert t.converged_at == 0 and t.xs.shape == (1, 2)
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), steps=0)
    assert t.xs.shape == (1, 2) and t.converged_at is None and not t.diverged


def test_not_reaching_tol_is_said():
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(1e-3), steps=5, tol=1e-9)
    assert t.converged_at is None and "without reaching tol" in t.message


def test_minimize_resets_the_optimizer_and_leaves_x0_alone():
    x0 = QUAD.x0.copy()
    opt = Adam(0.1)
    a = minimize(QUAD, QUAD.grad, x0, opt, steps=20)
    b = minimize(QUAD, QUAD.grad, x0, opt, steps=20)
    np.testing.assert_array_equal(a.xs, b.xs)
    np.testing.assert_array_equal(x0, QUAD.x0)


def test_one_dimensional_start_may_be_a_number():
    q = Quadratic([[2.0]], [4.0])
    t = minimize(q, q.grad, 0.0, SGD(0.25), steps=40, tol=1e-10)
    assert t.xs.shape[1] == 1 and t.xs[-1, 0] == pytest.approx(2.0)


@pytest.mark.parametrize("x0, exc, message", [
    ([np.nan, 1.0], ValueError, "x0 must be finite"),
    ([np.inf, 1.0], ValueError, "x0 must be finite"),
    (np.zeros((2, 2)), ValueError, r"x0 must be a point of shape \(n,\)"),
    (np.zeros(3), ValueError, r"x0 must have shape \(2,\) for quadratic"),
    (["a", "b"], TypeError, r"^x0\b"),
])
def test_bad_x0(x0, exc, message):
    with pytest.raises(exc, match=message):
        minimize(QUAD, QUAD.grad, x0, SGD(0.1))


def test_bad_arguments_to_minimize():
    with pytest.raises(TypeError, match=r"^optimizer\b"):
        minimize(QUAD, QUAD.grad, QUAD.x0, "adam")
    with pytest.raises(ValueError, match=r"^steps\b"):
        minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), steps=-1)
    with pytest.raises(TypeError, match=r"^steps\b"):
        minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), steps=2.5)
    with pytest.raises(ValueError, match=r"^tol\b"):
        minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), tol=0.0)
    with pytest.raises(ValueError, match=r"^blowup\b"):
        minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), blowup=-1.0)
    with pytest.raises(ValueError, match=r"^grad\(x0\) must be real numbers shaped like x0"):
        minimize(QUAD, lambda x: np.zeros(3), QUAD.x0, SGD(0.1))
    for wrong in (np.array(["a", "b"]), np.zeros(2, dtype=complex)):
        with pytest.raises(TypeError, match=r"^grad\(x0\)"):
            minimize(QUAD, lambda x, w=wrong: w, QUAD.x0, SGD(0.1))
    with pytest.raises(ValueError, match="f or grad is not finite at x0"):
        minimize(lambda x: math.inf, QUAD.grad, QUAD.x0, SGD(0.1))


@pytest.mark.parametrize("later, exc", [(np.zeros(3), ValueError),
                                        (np.zeros(2, complex), TypeError)])
def test_a_grad_that_goes_wrong_after_x0_is_refused(later, exc):
    calls = []

    def grad(x):
        calls.append(1)
        return QUAD.grad(x) if len(calls) == 1 else later

    with pytest.raises(exc, match=r"^grad\(x\) must be real numbers shaped like x \(2,\)"):
        minimize(QUAD, grad, QUAD.x0, HalfStep(), steps=3)


@given(st.floats(0.5, 10.0), st.floats(0.05, 1.0), st.floats(-1.0, 1.0),
       st.floats(0.1, 0.95), st.floats(1.05, 3.0))
def test_gradient_descent_on_random_quadratics(l1, ratio, c, below, above):
    """Stable below 2/L (loss never rises past its start), diverges above it."""
    A = np.array([[l1, c * ratio * l1], [c * ratio * l1, l1]]) + np.eye(2) * ratio
    q = Quadratic(A)
    stable = minimize(q, q.grad, q.x0, SGD(below * 2 / q.L), steps=200)
    assert not stable.diverged and stable.losses[-1] <= stable.losses[0]
    unstable = minimize(q, q.grad, q.x0, SGD(above * 2 / q.L), steps=5000)
    assert unstable.diverged and unstable.diverged_at is not None


def test_trajectory_repr():
    t = minimize(QUAD, QUAD.grad, QUAD.x0, SGD(0.1), steps=3)
    assert repr(t).startswith("Trajectory(steps=3, final loss=")


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_row_of_learning_rates_sweeps_columns_in_one_go(name):
    # Notebook 07 tunes its race this way: column j of X runs with learning rate lrs[j].
    lrs = np.array([1e-3, 1e-2, 1e-1])
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=2)
    grads = [rng.normal(size=2) for _ in range(5)]
    swept = make_optimizer(name, 1.0)
    swept.lr = lrs
    X = np.repeat(x0[:, None], lrs.size, axis=1)
    for g in grads:
        swept.step([X], [np.repeat(g[:, None], lrs.size, axis=1)])
    for j, lr in enumerate(lrs):
        single, x = make_optimizer(name, lr), x0.copy()
        for g in grads:
            single.step([x], [g.copy()])
        np.testing.assert_allclose(X[:, j], x, rtol=1e-12, atol=0)


def test_a_subclass_writes_only_its_update_rule_and_gets_the_checks():
    class Sign(Optimizer):  # sign descent, written from outside the package
        def _update(self, p, g, state):
            p -= self.lr * np.sign(g)

    p = np.zeros(2)
    Sign(0.5).step([p], [np.array([3.0, -0.1])])
    np.testing.assert_array_equal(p, [-0.5, 0.5])
    with pytest.raises(ValueError, match=r"^grads\[0\]"):
        Sign(0.5).step([p], [np.zeros(3)])


def test_minimize_takes_any_object_with_reset_and_step():
    opt = HalfStep()
    t = minimize(QUAD, QUAD.grad, QUAD.x0, opt, steps=3)
    x = QUAD.x0.copy()
    for _ in range(3):
        x = x - 0.5 * QUAD.grad(x)
    np.testing.assert_allclose(t.xs[-1], x, rtol=1e-15)
    assert opt.calls == 3
