"""mathprog.ode against closed-form solutions, including each method's measured order."""

import numpy as np
import pytest

from mathprog import ode


def decay(t, y):
    return -y


def spring(t, y):  # y = (x, v), x'' = -x
    return np.array([y[1], -y[0]])


def spring_acc(t, x, v):
    return -x


def order(errors, steps):
    """Slope of log(error) against log(step), the measured order of convergence."""
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


def global_error(method, n, t_end=1.0):
    t = np.linspace(0.0, t_end, n + 1)
    ys = method(spring, [1.0, 0.0], t)
    return float(np.max(np.abs(ys[-1] - [np.cos(t_end), -np.sin(t_end)])))


# --- results --------------------------------------------------------------------------------


def test_shapes_and_initial_row():
    t = np.linspace(0.0, 1.0, 7)
    for method in (ode.euler, ode.rk4):
        assert method(decay, 2.0, t).shape == (7, 1)
        ys = method(spring, [1.0, 0.5], t)
        assert ys.shape == (7, 2) and np.array_equal(ys[0], [1.0, 0.5])
        assert method(decay, [3.0], [0.0]).shape == (1, 1)
    xs, vs = ode.symplectic_euler(spring_acc, [1.0, 2.0], [0.0, 0.0], t)
    assert xs.shape == vs.shape == (7, 2)


def test_euler_is_the_recurrence():
    # y' = -y: every step multiplies by (1 - h), exactly.
    t = np.linspace(0.0, 1.0, 11)
    ys = ode.euler(decay, 1.0, t)[:, 0]
    np.testing.assert_allclose(ys, 0.9 ** np.arange(11), rtol=1e-14)


def test_rk4_matches_the_exponential():
    t = np.linspace(0.0, 2.0, 41)
    np.testing.assert_allclose(ode.rk4(decay, 1.0, t)[:, 0], np.exp(-t), rtol=2e-7)


def test_rk4_is_simpson_for_a_pure_quadrature():
    # y' = f(t) alone: RK4 is Simpson's rule, exact for cubics.
    t = np.array([0.0, 0.5, 1.3, 2.0])
    ys = ode.rk4(lambda s, y: 4 * s**3 - 3 * s**2, 0.0, t)[:, 0]
    np.testing.assert_allclose(ys, t**4 - t**3, atol=1e-13)


def test_nonuniform_times():
    t = np.sort(np.random.default_rng(0).uniform(0.0, 1.0, 200))
    t = np.concatenate([[0.0], t])
    ys = ode.rk4(decay, 1.0, t)[:, 0]
    np.testing.assert_allclose(ys, np.exp(-t), rtol=1e-9)


def test_symplectic_euler_kicks_then_drifts():
    t = np.array([0.0, 0.1])
    xs, vs = ode.symplectic_euler(spring_acc, 1.0, 0.0, t)
    assert vs[1, 0] == pytest.approx(-0.1) and xs[1, 0] == pytest.approx(1.0 - 0.01)


def test_velocity_dependent_acceleration():
    # x'' = -v (linear drag), v(t) = v0 exp(-t): symplectic Euler passes v to the callback.
    t = np.linspace(0.0, 1.0, 2001)
    xs, vs = ode.symplectic_euler(lambda s, x, v: -v, 0.0, 1.0, t)
    assert vs[-1, 0] == pytest.approx(np.exp(-1.0), rel=1e-3)
    assert xs[-1, 0] == pytest.approx(1.0 - np.exp(-1.0), rel=1e-3)


# --- measured orders ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "expected"), [(ode.euler, 1.0), (ode.rk4, 4.0)])
def test_measured_order(method, expected):
    ns = np.array([20, 40, 80, 160])
    errors = [global_error(method, n) for n in ns]
    assert order(errors, 1.0 / ns) == pytest.approx(expected, abs=0.1)


def test_symplectic_euler_first_order():
    ns = np.array([40, 80, 160, 320])
    errors = []
    for n in ns:
        xs, vs = ode.symplectic_euler(spring_acc, 1.0, 0.0, np.linspace(0.0, 1.0, n + 1))
        errors.append(max(abs(xs[-1, 0] - np.cos(1.0)), abs(vs[-1, 0] + np.sin(1.0))))
    assert order(errors, 1.0 / ns) == pytest.approx(1.0, abs=0.1)


def test_energy_drift_against_symplectic_bound():
    # Explicit Euler multiplies the spring's energy by exactly (1 + h^2) per step;
    # symplectic Euler keeps it within a band of width O(h) for ever.
    h, n = 0.1, 1000
    t = h * np.arange(n + 1)
    ys = ode.euler(spring, [1.0, 0.0], t)
    energy = 0.5 * (ys[:, 0] ** 2 + ys[:, 1] ** 2)
    np.testing.assert_allclose(energy, 0.5 * (1 + h**2) ** np.arange(n + 1), rtol=1e-10)
    xs, vs = ode.symplectic_euler(spring_acc, 1.0, 0.0, t)
    energy = 0.5 * (xs[:, 0] ** 2 + vs[:, 0] ** 2)
    assert np.max(np.abs(energy - 0.5)) < h


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"t": [0.0, 1.0, 1.0]}, ValueError, "t must be strictly increasing"),
        ({"t": [1.0, 0.0]}, ValueError, "t must be strictly increasing"),
        ({"t": [0.0, np.nan]}, ValueError, "t must be finite"),
        ({"t": []}, ValueError, "t is empty"),
        ({"t": [[0.0, 1.0]]}, ValueError, "t must be 1-D"),
        ({"t": ["a", "b"]}, TypeError, "t must hold real numbers"),
        ({"y0": [[1.0]]}, ValueError, "y0 must be a number or a 1-D array"),
        ({"y0": np.inf}, ValueError, "y0 must be finite"),
        ({"y0": "one"}, TypeError, "y0 must hold real numbers"),
        ({"f": 3}, TypeError, "f must be callable"),
        ({"f": lambda t, y: [1.0, 2.0]}, ValueError, r"f must return an array of shape \(1,\)"),
    ],
)
@pytest.mark.parametrize("method", [ode.euler, ode.rk4])
def test_bad_input_names_the_parameter(method, kwargs, error, name):
    args = {"f": decay, "y0": 1.0, "t": [0.0, 0.5, 1.0]} | kwargs
    with pytest.raises(error, match=name):
        method(**args)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"acceleration": None}, TypeError, "acceleration must be callable"),
        ({"x0": [1.0, 2.0]}, ValueError, "x0 and v0 must have the same shape"),
        ({"v0": np.nan}, ValueError, "v0 must be finite"),
        ({"x0": [[1.0]]}, ValueError, "x0 must be a number or a 1-D array"),
        ({"t": [0.0, -1.0]}, ValueError, "t must be strictly increasing"),
        ({"acceleration": lambda t, x, v: [0.0, 0.0]}, ValueError, "acceleration must return"),
    ],
)
def test_symplectic_bad_input(kwargs, error, name):
    args = {"acceleration": spring_acc, "x0": 1.0, "v0": 0.0, "t": [0.0, 1.0]} | kwargs
    with pytest.raises(error, match=name):
        ode.symplectic_euler(**args)


@pytest.mark.parametrize("method", [ode.euler, ode.rk4])
def test_divergence_is_reported_with_its_step(method):
    with pytest.raises(FloatingPointError, match=r"non-finite at step \d+ \(t = "):
        method(lambda t, y: 1e200 * y, 1.0, np.arange(10.0))


def test_callback_cannot_corrupt_the_stored_state():
    def rude(t, y):
        out = -y.copy()
        y[:] = 1e9  # mutating the argument must not change the trajectory
        return out

    t = np.linspace(0.0, 1.0, 5)
    np.testing.assert_array_equal(ode.euler(rude, 1.0, t), ode.euler(decay, 1.0, t))
