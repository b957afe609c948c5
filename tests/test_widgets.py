"""Headless tests for the explorers: drive .update(...) and check what changed.

The browser tests (tests/browser) move the same controls in JupyterLab; these check the
logic, the artists' data, the readout text and that the rendered pixels change.
"""

import base64
import io
import math

import ipywidgets as W
import numpy as np
import pytest
from PIL import Image

from mathprog import derivatives, optim
from mathprog import widgets as mw
from mathprog.functions import Quadratic, Rosenbrock


def _decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _check_structure(ex, names):
    assert isinstance(ex.widget, W.VBox)
    assert mw.EXPLORER_CLASS in ex.widget._dom_classes
    assert list(ex.controls) == names
    for name, control in ex.controls.items():
        assert control.description == name  # the browser tests find sliders by description
    readouts = [w for w in ex.widget.children if mw.READOUT_CLASS in w._dom_classes]
    assert len(readouts) == 1
    assert ex.readout and ex.readout.replace("<", "&lt;").replace(">", "&gt;") in readouts[0].value
    outputs = [w for w in ex.widget.children if isinstance(w, W.Output)]
    assert len(outputs) == 1 and mw.FIGURE_CLASS in outputs[0]._dom_classes
    (shown,) = outputs[0].outputs
    png = base64.b64decode(shown["data"]["image/png"])
    assert png == ex.png()
    w, h = ex.figure.canvas.get_width_height()
    assert _decoded(png).shape == (h, w, 3)
    # the PNG is exactly the canvas (the encoder is hand-written, so check it)
    np.testing.assert_array_equal(_decoded(png), ex.rgba()[:, :, :3])


# ----------------------------------------------------------------------------- tangent


def test_tangent_explorer_defaults():
    ex = mw.tangent_explorer()
    _check_structure(ex, ["h", "x0", "method"])
    assert ex.values == {"h": 0.5, "x0": 1.0, "method": "forward"}
    expected = derivatives.forward_difference(np.sin, 1.0, 0.5)
    assert f"secant slope = {expected:.4g}" in ex.readout
    assert f"tangent slope = {math.cos(1.0):.4g}" in ex.readout


def test_tangent_update_moves_the_secant_and_changes_pixels():
    ex = mw.tangent_explorer()
    before_pixels = ex.rgba()
    before_secant = np.array(ex._secant.get_data())
    before_readout = ex.readout
    ex.update(h=0.01)
    assert ex.values["h"] == 0.01
    assert not np.array_equal(before_secant, np.array(ex._secant.get_data()))
    assert ex.readout != before_readout and "h = 0.01" in ex.readout
    assert not np.array_equal(before_pixels, ex.rgba())
    # the secant approaches the tangent: its slope error shrinks with h (forward: ~ h/2 |f''|)
    errors = []
    for h in (1.0, 0.1, 0.01, 0.001):
        ex.update(h=h)
        xs, ys = ex._secant.get_data()
        slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
        errors.append(abs(slope - math.cos(1.0)))
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1e-3


def test_tangent_methods_and_x0():
    ex = mw.tangent_explorer(h=0.1)
    ex.update(method="central", x0=0.5)
    a, b = ex._points.get_data()[0]
    assert (a, b) == pytest.approx((0.4, 0.6))
    expected = derivatives.central_difference(np.sin, 0.5, 0.1)
    assert f"secant slope = {expected:.4g}" in ex.readout
    ex.update(method="backward")
    a, b = ex._points.get_data()[0]
    assert (a, b) == pytest.approx((0.4, 0.5))


def test_tangent_custom_function_without_vectorisation():
    ex = mw.tangent_explorer(lambda x: math.exp(x), x0=0.0, h=0.1, xlim=(-1.0, 1.0),
                             df=math.exp)
    assert "tangent slope = 1," in ex.readout
    ex2 = mw.tangent_explorer(lambda x: x**3, x0=1.0, h=0.1)  # slope by central difference
    assert "tangent slope = 3," in ex2.readout


def test_tangent_bad_arguments():
    with pytest.raises(TypeError, match="f must be callable"):
        mw.tangent_explorer(3.0)
    with pytest.raises(ValueError, match="x0"):
        mw.tangent_explorer(np.sin, x0=5.0, xlim=(0.0, 1.0))
    with pytest.raises(ValueError, match="h = 5"):
        mw.tangent_explorer(h=5.0)
    with pytest.raises(ValueError, match="method"):
        mw.tangent_explorer(method="sideways")


# ----------------------------------------------------------------------------- update errors


@pytest.mark.parametrize("factory", [mw.tangent_explorer, mw.lr_explorer, mw.path_explorer])
def test_unknown_control_is_named(factory):
    ex = factory()
    with pytest.raises(ValueError, match="no control 'nope'"):
        ex.update(nope=1.0)


def test_out_of_range_and_wrong_types_are_named_and_change_nothing():
    ex = mw.lr_explorer()
    readout, values = ex.readout, ex.values
    with pytest.raises(ValueError, match=r"lr = 5 is outside the slider's range \[0.001, 1\]"):
        ex.update(lr=5.0)
    with pytest.raises(ValueError, match="lr must be finite"):
        ex.update(lr=float("nan"))
    with pytest.raises(TypeError, match="lr must be a number"):
        ex.update(lr="fast")
    with pytest.raises(TypeError, match="lr must be a number"):
        ex.update(lr=True)
    assert ex.readout == readout and ex.values == values
    px = mw.path_explorer()
    with pytest.raises(ValueError, match="optimizer must be one of"):
        px.update(optimizer="newton")
    with pytest.raises(ValueError, match="beta = 1.5"):
        px.update(lr=0.1, beta=1.5)  # a bad value anywhere: nothing is applied
    assert px.values["lr"] == 0.5


def test_moving_a_slider_widget_updates_like_update():
    """What the browser does: set the widget's value; the observer recomputes."""
    a, b = mw.lr_explorer(), mw.lr_explorer()
    a.controls["lr"].value = 0.15
    b.update(lr=0.15)
    assert a.readout == b.readout
    np.testing.assert_array_equal(a.rgba(), b.rgba())


def test_values_are_snapped_so_browser_and_headless_agree():
    a, b = mw.lr_explorer(), mw.lr_explorer()
    a.update(lr=10 ** -0.8)  # Python's 10**x
    b.update(lr=0.15848931924611143)  # the same slider position computed elsewhere
    assert a.readout == b.readout


# ----------------------------------------------------------------------------- learning rate


def test_lr_explorer_three_regimes_and_the_limit():
    ex = mw.lr_explorer()  # f(x) = 5x², L = 10
    _check_structure(ex, ["lr"])
    assert ex.L == 10.0
    ex.update(lr=0.05)
    assert ex.readout.startswith("lr = 0.05 < 2/L = 0.2: converges smoothly in ")
    ex.update(lr=0.15)
    assert "converges with oscillation" in ex.readout
    xs = ex.trajectory.xs[:, 0]
    assert np.all(np.sign(xs[1:6]) == -np.sign(xs[:5]))  # overshoots every step
    ex.update(lr=0.25)
    traj = ex.trajectory
    assert traj.diverged
    assert ex.readout == (f"lr = 0.25 > 2/L = 0.2: diverged at step {traj.diverged_at} "
                          f"(loss = {traj.diverged_value:.1e})")
    ex.update(lr=0.2)
    assert "bounces back and forth" in ex.readout
    ex.update(lr=0.001)
    assert "still descending smoothly" in ex.readout


def test_lr_explorer_readout_matches_minimize():
    ex = mw.lr_explorer(lr=0.05)
    f = Quadratic([[10.0]])
    traj = optim.minimize(f, f.grad, [2.0], optim.SGD(0.05), steps=60, tol=ex.tol)
    assert ex.readout.endswith(f"in {traj.converged_at} steps")
    x, y = ex._loss_line.get_data()
    assert len(x) == len(traj.losses)
    np.testing.assert_allclose(ex._iterates.get_data()[0], traj.xs[:, 0])


def test_lr_update_changes_artists_and_pixels():
    ex = mw.lr_explorer()
    before = ex.rgba()
    before_line = np.array(ex._loss_line.get_data()[1])
    ex.update(lr=0.02)
    after_line = np.array(ex._loss_line.get_data()[1])
    assert before_line.shape != after_line.shape or not np.allclose(before_line, after_line)
    assert not np.array_equal(before, ex.rgba())
    # lr = 0.05 and 0.15 shrink the error by the same factor |1 - lr L| = 0.5 per step, so
    # their loss curves coincide; the iterates differ (one side vs alternating sides)
    ex.update(lr=0.05)
    smooth = np.array(ex._iterates.get_data()[0])
    ex.update(lr=0.15)
    np.testing.assert_allclose(ex._loss_line.get_data()[1][:10],
                               np.array(before_line)[:10])
    np.testing.assert_allclose(np.array(ex._iterates.get_data()[0])[:10],
                               smooth[:10] * (-1.0) ** np.arange(10))


class _LeastSquares:
    """An n-D objective with only __call__ and grad (no L, no minimum), like notebook 05's."""

    def __init__(self, n=3, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(50, n))
        self.y = self.X @ np.arange(1.0, n + 1) + 0.1 * rng.normal(size=50)

    def __call__(self, w):
        r = self.X @ w - self.y
        return float(r @ r / len(r))

    def grad(self, w):
        return 2.0 * self.X.T @ (self.X @ w - self.y) / len(self.y)


def test_lr_explorer_n_dimensional_custom_objective():
    obj = _LeastSquares()
    ex = mw.lr_explorer(obj, x0=np.zeros(3), lr=0.1, steps=200)
    assert len(ex.figure.axes) == 1
    assert ex.ax_loss.get_yscale() == "log"
    assert ex.readout.startswith("lr = 0.1: ")  # no L known: no 2/L comparison
    assert "converges" in ex.readout
    ex.update(lr=1.0)
    assert "diverged" in ex.readout
    # with L given, the limit is stated
    H = 2.0 * obj.X.T @ obj.X / len(obj.y)
    ex = mw.lr_explorer(obj, x0=np.zeros(3), L=float(np.linalg.eigvalsh(H)[-1]))
    assert "2/L = " in ex.readout


def test_lr_explorer_n_dimensional_quadratic_plots_suboptimality():
    f = Quadratic(np.diag([1.0, 2.0, 4.0]), [1.0, 1.0, 1.0])
    ex = mw.lr_explorer(f, lr=0.3)
    assert ex.ax_loss.get_ylabel() == "f(x) − f*"
    y = ex._loss_line.get_data()[1]
    assert y[0] == pytest.approx(f(f.x0) - f.minimum)


def test_lr_explorer_bad_arguments():
    with pytest.raises(TypeError, match="grad"):
        mw.lr_explorer(lambda x: x**2)
    with pytest.raises(ValueError, match="lr = 3"):
        mw.lr_explorer(lr=3.0)
    with pytest.raises(ValueError, match="steps"):
        mw.lr_explorer(steps=0)
    with pytest.raises(ValueError, match="lr_range"):
        mw.lr_explorer(lr_range=(1.0, 0.1))
    with pytest.raises(ValueError, match="x0 is required"):
        mw.lr_explorer(_LeastSquares())


# ----------------------------------------------------------------------------- paths


def test_path_explorer_defaults_and_comparison():
    ex = mw.path_explorer()
    _check_structure(ex, ["lr", "beta", "optimizer"])
    assert ex.readout.startswith("momentum, lr = 0.5, beta = 0.9: ")
    assert "| sgd: " in ex.readout
    np.testing.assert_array_equal(np.column_stack(ex._path.get_data()), ex.trajectory.xs)
    np.testing.assert_array_equal(np.column_stack(ex._ref.get_data()), ex.reference.xs)


def test_path_update_each_control():
    ex = mw.path_explorer()
    pixels, path = ex.rgba(), ex.trajectory.xs
    ex.update(beta=0.5)
    assert "beta = 0.5" in ex.readout
    assert not np.array_equal(path, ex.trajectory.xs)
    assert not np.array_equal(pixels, ex.rgba())
    ex.update(optimizer="sgd")
    assert ex.readout.startswith("sgd, lr = 0.5: ")  # sgd has no beta, and no comparison
    assert "|" not in ex.readout and ex.reference is None
    assert len(ex._ref.get_data()[0]) == 0
    ex.update(optimizer="adam", lr=0.05)
    expected = optim.minimize(ex.objective, ex.objective.grad, ex.x0,
                              optim.Adam(0.05, beta1=0.5), steps=ex.steps, tol=ex.tol)
    np.testing.assert_array_equal(ex.trajectory.xs, expected.xs)


def test_path_explorer_reports_divergence():
    ex = mw.path_explorer(optimizer="sgd", lr=2.5)
    assert ex.trajectory.diverged
    assert f"diverged at step {ex.trajectory.diverged_at}" in ex.readout


def test_path_explorer_custom_objective_and_errors():
    ex = mw.path_explorer(Rosenbrock(), lr=1e-3, optimizer="sgd", steps=100, compare=None)
    assert ex.readout.startswith("sgd, lr = 0.001: not converged after 100 steps")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        mw.path_explorer(Quadratic(np.eye(3)))
    with pytest.raises(ValueError, match="beta"):
        mw.path_explorer(beta=1.0)
    with pytest.raises(ValueError, match="optimizer"):
        mw.path_explorer(optimizer="newton")
    with pytest.raises(ValueError, match="compare"):
        mw.path_explorer(compare="newton")


# ----------------------------------------------------------------------------- display


@pytest.mark.parametrize("factory", [mw.tangent_explorer, mw.lr_explorer, mw.path_explorer])
def test_mimebundle_has_widget_view_and_static_png(factory):
    ex = factory()
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == ex.png()
    assert bundle["text/plain"].endswith(ex.readout)
    assert ex.readout in repr(ex)


def test_figure_saves_with_the_moving_artists():
    """savefig (or the inline backend) draws everything, not just the cached background."""
    ex = mw.lr_explorer(lr=0.15)
    buf = io.BytesIO()
    ex.figure.savefig(buf, format="png", dpi=100)
    np.testing.assert_array_equal(_decoded(buf.getvalue()), ex.rgba()[:, :, :3])
    ex.update(lr=0.05)  # and the explorer keeps working after an external draw
    np.testing.assert_array_equal(_decoded(ex.png()), ex.rgba()[:, :, :3])


@pytest.mark.parametrize("factory", [mw.tangent_explorer, mw.lr_explorer, mw.path_explorer])
def test_sliders_send_values_on_release(factory):
    """A slider rendered in the page snaps its value to the step grid; with continuous
    updates it would write that back and undo a notebook's later .update(...) calls."""
    ex = factory()
    for control in ex.controls.values():
        if isinstance(control, (W.FloatSlider, W.FloatLogSlider)):
            assert control.continuous_update is False
