"""Tests for mathprog.plotting: each figure draws the data it is given, and bad input is named."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mathprog import plotting
from mathprog.functions import Quadratic, Rosenbrock


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_evaluate_grid_vectorised_and_pointwise_agree():
    f = Rosenbrock()
    window = ((-2.0, 2.0), (-1.0, 3.0))
    X, Y, Z = plotting.evaluate_grid(f, window, resolution=30)
    assert X.shape == Y.shape == Z.shape == (30, 30)

    def scalar_only(p):  # math functions: only works point by point
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2 + 0 * math.sin(float(p[0]))

    _, _, Z2 = plotting.evaluate_grid(scalar_only, window, resolution=30)
    np.testing.assert_allclose(Z, Z2, rtol=1e-12)
    assert Z[0, 0] == pytest.approx(f(np.array([-2.0, -1.0])))


def test_evaluate_grid_rejects_bad_window():
    with pytest.raises(ValueError, match="window"):
        plotting.evaluate_grid(Rosenbrock(), ((1.0, 0.0), (0.0, 1.0)))
    with pytest.raises(TypeError, match="window"):
        plotting.evaluate_grid(Rosenbrock(), (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="resolution"):
        plotting.evaluate_grid(Rosenbrock(), ((0, 1), (0, 1)), resolution=1)


def test_function_with_tangent_touches_at_x0():
    x0 = 1.0
    ax = plotting.function_with_tangent(np.sin, x0, math.cos(x0), xlim=(-1.0, 3.0))
    tangent = next(line for line in ax.lines if line.get_label().startswith("tangent"))
    tx, ty = tangent.get_data()
    slope = (ty[1] - ty[0]) / (tx[1] - tx[0])
    assert slope == pytest.approx(math.cos(x0))
    assert np.interp(x0, tx, ty) == pytest.approx(math.sin(x0))
    assert ax.get_xlim() == (-1.0, 3.0)


def test_function_with_tangent_rejects_bad_xlim():
    with pytest.raises(ValueError, match=r"^xlim\b"):
        plotting.function_with_tangent(np.sin, 0.0, 1.0, xlim=(1.0, -1.0))
    with pytest.raises(TypeError, match=r"^xlim\b"):
        plotting.function_with_tangent(np.sin, 0.0, 1.0, xlim=5.0)
    with pytest.raises(TypeError, match=r"^xlim\[1\]"):
        plotting.function_with_tangent(np.sin, 0.0, 1.0, xlim=(0.0, "1"))


def test_error_vs_h_marks_each_methods_best_step():
    hs = np.logspace(-12, -1, 12)
    errors = {"forward": hs + 1e-16 / hs, "central": hs**2 + 1e-16 / hs}
    ax = plotting.error_vs_h(hs, errors, references={"√ε": 1.5e-8})
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    best = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(best) == 2
    for (_, err), line in zip(errors.items(), best, strict=True):
        k = int(np.argmin(err))
        assert line.get_xdata()[0] == hs[k]
    assert [t.get_text() for t in ax.texts] == ["√ε"]
    ax = plotting.error_vs_h(hs, errors, mark_best=False)
    assert not any(line.get_marker() == "o" for line in ax.lines)


def test_error_vs_h_rejects_bad_input():
    hs = np.logspace(-3, -1, 3)
    with pytest.raises(ValueError, match="positive"):
        plotting.error_vs_h(-hs, {"a": hs})
    with pytest.raises(ValueError, match="'a'"):
        plotting.error_vs_h(hs, {"a": hs[:2]})
    with pytest.raises(TypeError, match="mark_best"):
        plotting.error_vs_h(hs, {"a": hs}, mark_best={"a": 1e-2})


def test_error_vs_h_draws_zero_error_at_floor():
    hs = np.logspace(-3, -1, 3)
    ax = plotting.error_vs_h(hs, {"exact": np.zeros(3)})
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), 1e-18)


def test_contour_with_paths_labels_and_fixed_window():
    f = Rosenbrock()
    good = np.array([[-1.2, 1.0], [-1.0, 1.0], [0.0, 0.5]])
    wild = np.array([[-1.2, 1.0], [50.0, -80.0]])  # leaves the picture, must not rescale it
    ax = plotting.contour_with_paths(f, {"sgd": good, "diverged": wild})
    assert ax.get_xlim() == f.window[0] and ax.get_ylim() == f.window[1]
    labels = [line.get_label() for line in ax.lines]
    assert "sgd" in labels and "diverged" in labels and "minimum" in labels
    path = next(line for line in ax.lines if line.get_label() == "sgd")
    np.testing.assert_array_equal(np.column_stack(path.get_data()), good)
    assert ax.get_legend() is not None


def test_contour_with_paths_accepts_one_array_or_a_list():
    f = Quadratic(np.diag([1.0, 10.0]))
    p = np.array([[2.0, 1.0], [1.0, 0.5], [0.0, 0.0]])
    ax = plotting.contour_with_paths(f, p)
    assert ax.get_legend() is None  # nothing labelled
    ax = plotting.contour_with_paths(f, [p, p[:2]], window=((-3, 3), (-2, 2)))
    assert ax.get_xlim() == (-3.0, 3.0)


def test_contour_with_paths_needs_a_window():
    def f(x):
        return x[0] ** 2 + x[1] ** 2

    with pytest.raises(ValueError, match="window"):
        plotting.contour_with_paths(f, np.array([[4.0, 4.0], [5.0, 6.0]]))


def test_contour_with_paths_rejects_bad_paths():
    f = Rosenbrock()
    with pytest.raises(ValueError, match="shape"):
        plotting.contour_with_paths(f, {"bad": np.zeros((4, 3))})
    with pytest.raises(TypeError, match="paths"):
        plotting.contour_with_paths(f, 42)


def test_contour_levels_are_geometric_above_the_minimum():
    f = Rosenbrock()
    ax = plotting.contour_with_paths(f, f.x0[None, :], levels=10)
    levels = np.asarray(ax.collections[0].levels)
    gaps = np.diff(levels - levels.min() + (levels[1] - levels[0]))
    assert np.all(gaps > 0)
    ratios = (levels[2:] - levels[0]) / (levels[1:-1] - levels[0])
    assert np.all(ratios > 1.0)
    with pytest.raises(TypeError, match="levels"):
        plotting.contour_with_paths(f, f.x0[None, :], levels=[1.0, 2.0])


def test_curves_log_scale_ragged_and_non_finite():
    ax = plotting.loss_curves({"a": [1.0, 0.1, 0.01], "b": [1.0, 10.0, np.inf, np.nan]})
    assert ax.get_yscale() == "log"
    a, b = ax.lines
    assert a.get_label() == "a" and len(b.get_ydata()) == 4
    assert np.isnan(b.get_ydata()[2])
    ax = plotting.curves([[1.0, 2.0], [3.0, 4.0]], x=[10, 20], xlabel="depth")
    assert len(ax.lines) == 2 and list(ax.lines[0].get_xdata()) == [10, 20]
    assert ax.get_legend() is None
    ax = plotting.curves({"neg": [-1.0, 0.0, 1.0]}, log=True)
    y = ax.lines[0].get_ydata()
    assert np.isnan(y[0]) and np.isnan(y[1]) and y[2] == 1.0


def test_curves_rejects_mismatched_x():
    with pytest.raises(ValueError, match=r"^x\b"):
        plotting.curves({"a": [1.0, 2.0, 3.0]}, x=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"^data\['a'\] must be 1-D"):
        plotting.curves({"a": [[1.0, 2.0]]})
    with pytest.raises(TypeError, match=r"^data\b"):
        plotting.curves(["a", "b"])


