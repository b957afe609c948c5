"""The explorers from the user's side: what a notebook cell stores, what each control does to
the readout and the figure, and what bad input says. (tests/browser drives them in JupyterLab.)"""

import base64
import io

import numpy as np
import pytest
from ipywidgets.widgets import widget as ipywidget
from PIL import Image

from mathprog import regression
from mathprog import widgets as mw
from mathprog.data import load_diabetes
from mathprog.functions import Quadratic, Ravine

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _raw_bmi_s5() -> regression.LeastSquares:
    X, y = load_diabetes()[:2]
    return regression.LeastSquares(X[:, [2, 8]], y, name="BMI and s5")


FACTORIES = {
    "tangent": lambda: mw.tangent_explorer(lambda x: np.exp(np.sin(x)), x0=1.0, h=0.5,
                                           df=lambda x: np.cos(x) * np.exp(np.sin(x)),
                                           xlim=(-2.0, 4.0)),
    "lr": lambda: mw.lr_explorer(Quadratic([[10.0]]), x0=[2.0], lr=0.05, steps=60),
    "lr_standardize": lambda: mw.lr_explorer(_raw_bmi_s5(), lr=0.1, steps=100,
                                             lr_range=(1e-4, 1.0), standardize=True),
    "path_gd": lambda: mw.path_explorer(Ravine(condition_number=50.0), lr=1.0, optimizer="sgd",
                                        steps=300, compare=None),
    "path": lambda: mw.path_explorer(lr=1.0, beta=0.9, optimizer="momentum", steps=600),
    "direction": lambda: mw.direction_explorer(angle=30.0),
    "motion": lambda: mw.motion_explorer(dt=0.1),
}


@pytest.fixture(scope="module", params=list(FACTORIES))
def explorer(request):
    return FACTORIES[request.param]()


def _other(widget, value):
    """Another value of a control: a slider's option a quarter of the range away, another
    menu entry, the other state of a box."""
    if isinstance(value, bool):
        return not value
    values = [v for _, v in widget.options] if isinstance(widget.options[0], tuple) else list(
        widget.options)
    i = values.index(value)
    return values[(i + max(1, len(values) // 4)) % len(values)]


def test_static_form_is_a_png_with_the_kind_first(explorer, monkeypatch):
    monkeypatch.delenv("MATHPROG_EXPLORERS", raising=False)
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}  # no widget view: offline shows the PNG
    assert bundle["text/plain"] == f"{type(explorer).__name__}: {explorer.readout}"
    img = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert img.size == explorer.figure.canvas.get_width_height()
    assert len(base64.b64decode(bundle["image/png"])) < 60_000  # notebooks stay small


def test_live_form_is_the_widget_alone(explorer, monkeypatch):
    monkeypatch.setenv("MATHPROG_EXPLORERS", "live")
    bundle = explorer._repr_mimebundle_()
    assert "image/png" not in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith(f"{type(explorer).__name__}: ")


def test_no_widget_exists_until_asked_for():
    before = len(ipywidget._instances)
    ex = mw.lr_explorer()
    ex.update(lr=0.15)
    ex._repr_mimebundle_()
    assert len(ipywidget._instances) == before  # nbclient stores no widget state
    assert ex.png().startswith(PNG_MAGIC)


def test_each_control_changes_readout_and_figure(explorer):
    for name, widget in explorer.controls.items():
        before_text, before_png, value = explorer.readout, explorer.png(), explorer.values[name]
        new = _other(widget, value)
        explorer.update(**{name: new})
        assert explorer.values[name] == new and widget.value == new
        where = f"{type(explorer).__name__}.{name}"
        assert explorer.readout != before_text, f"{where}: readout unchanged"
        assert explorer.png() != before_png, f"{where}: figure unchanged"
        explorer.update(**{name: value})
        assert explorer.readout == before_text  # the same state draws the same readout


def test_controls_are_named_and_list_their_values(explorer):
    for name, widget in explorer.controls.items():
        assert widget.description == name
        assert widget.continuous_update if hasattr(widget, "continuous_update") else True
        assert getattr(widget, "options", None) or isinstance(widget.value, bool)


def test_bad_values_name_the_control(explorer):
    name = next(iter(explorer.controls))
    with pytest.raises(TypeError, match=name):
        explorer.update(**{name: "fast"})
    with pytest.raises(ValueError, match=name):
        explorer.update(**{name: 1e9})
    with pytest.raises(ValueError, match="nonsense"):
        explorer.update(nonsense=1.0)
    values = explorer.values
    with pytest.raises(ValueError):  # nothing is changed by a call that fails
        explorer.update(**{name: explorer.values[name]}, nonsense=1.0)
    assert explorer.values == values


def _no_start():
    """A gradient-carrying objective with no .x0 of its own."""
    def f(x):
        return float(x @ x)

    f.grad = lambda x: 2 * x
    return f


@pytest.mark.parametrize("call, error, word", [
    (lambda: mw.tangent_explorer(f=3.0), TypeError, "f"),
    (lambda: mw.tangent_explorer(h=0.0), ValueError, "h"),
    (lambda: mw.tangent_explorer(method="sideways"), ValueError, "method"),
    (lambda: mw.lr_explorer(lr=True), TypeError, "lr"),
    (lambda: mw.lr_explorer(steps=0), ValueError, "steps"),
    (lambda: mw.lr_explorer(lr_range=(1.0, 0.1)), ValueError, "lr_range"),
    (lambda: mw.lr_explorer(Quadratic([[10.0]]), standardize=True), TypeError, "standardize"),
    (lambda: mw.lr_explorer(object()), TypeError, "objective"),
    (lambda: mw.path_explorer(optimizer="sideways"), ValueError, "optimizer"),
    (lambda: mw.path_explorer(beta=1.5), ValueError, "beta"),
    (lambda: mw.path_explorer(compare="sideways"), ValueError, "compare"),
    (lambda: mw.direction_explorer(point=(1.0, 2.0, 3.0)), ValueError, "point"),
    (lambda: mw.direction_explorer(point="ab"), TypeError, "point"),
    (lambda: mw.direction_explorer(point=(1.0, np.nan)), ValueError, "point"),
    (lambda: mw.direction_explorer(angle=400.0), ValueError, "angle"),
    (lambda: mw.motion_explorer(dt=5.0), ValueError, "dt"),
    (lambda: mw.motion_explorer(dt="small"), TypeError, "dt"),
    (lambda: mw.motion_explorer(t_end=0.5), ValueError, "t_end"),
    (lambda: mw.tangent_explorer(df=3.0), TypeError, "df"),
    (lambda: mw.tangent_explorer(xlim=(2.0, 1.0)), ValueError, "xlim"),
    (lambda: mw.lr_explorer(_no_start()), ValueError, "x0"),
    (lambda: mw.path_explorer(object()), TypeError, "objective"),
    (lambda: mw.path_explorer(steps=1.5), TypeError, "steps"),
    (lambda: mw.path_explorer(compare=3), TypeError, "compare"),
])
def test_bad_arguments_name_the_parameter(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_lr_slider_lands_exactly_on_one_and_two_over_L():
    ex = mw.lr_explorer()  # f = 5x^2, L = 10
    labels = dict(ex.controls["lr"].options)
    assert labels["0.1 = 1/L"] == 0.1 and labels["0.2 = 2/L"] == 0.2
    ex.update(lr=0.2)
    assert "lr = 0.2 = 2/L" in ex.readout and "bounces" in ex.readout
    ex.update(lr=0.1)
    assert "converges smoothly in 1 step" in ex.readout


def test_large_rates_diverge_visibly_not_blank():
    ex = mw.lr_explorer()
    for lr in (0.3, 0.5, 1.0):
        ex.update(lr=lr)
        assert "diverged at step" in ex.readout
        assert len(ex._loss.get_xdata()) >= 2 and len(ex._path.get_xdata()) >= 2


def test_a_value_set_from_code_is_kept_exactly():
    ex = mw.lr_explorer()
    ex.update(lr=0.123)
    assert ex.values["lr"] == 0.123 and ex.controls["lr"].value == 0.123
    assert ex.readout.startswith("lr = 0.123 <")


def test_standardize_toggle_switches_the_problem():
    ex = FACTORIES["lr_standardize"]()
    assert ex.readout.startswith("standardized features, lr = 0.1 < 2/L = 0.69")
    ex.update(standardize=False)  # raw features: L is about 500 times larger
    assert ex.readout.startswith("raw features, lr = 0.1 > 2/L = 0.00") and "diverged" in ex.readout
    ex.update(lr=0.001)
    assert "raw features, lr = 0.001 < 2/L" in ex.readout


def test_tangent_error_shows_round_off_at_tiny_h():
    ex = mw.tangent_explorer()  # sin at 1, forward differences
    errors = {}
    for h in (1e-13, 1e-8, 1e-3):
        ex.update(h=h)
        errors[h] = float(ex.readout.rsplit("error = ", 1)[1])
    assert errors[1e-8] < errors[1e-3] and errors[1e-8] < errors[1e-13]  # round-off wins below
    assert ex._dot.get_xdata()[0] == 1e-3  # the error-vs-h panel's point follows h


def test_path_explorer_shows_only_controls_that_act():
    assert list(FACTORIES["path_gd"]().controls) == ["lr"]  # plain gradient descent
    ex = FACTORIES["path"]()
    assert ex.controls["beta"].layout.display is None
    ex.update(optimizer="rmsprop")
    assert ex.controls["beta"].layout.display == "none" and "beta" not in ex.readout
    ex.update(optimizer="adam")
    assert ex.controls["beta"].layout.display is None


def test_direction_derivative_peaks_along_the_gradient():
    ex = mw.direction_explorer(point=(1.0, 0.5))  # f = x^2 + 3y^2 + xy: grad (2.5, 4)

    def slope(angle):
        ex.update(angle=angle)
        return float(ex.readout.split("∇f · u = ")[1].split(";")[0])

    peak = float(round(np.degrees(np.arctan2(4.0, 2.5))))
    assert abs(slope(peak) - np.hypot(2.5, 4.0)) < 1e-3
    assert abs(slope(peak + 90)) < 0.1 and abs(slope(peak + 180) + np.hypot(2.5, 4.0)) < 1e-3


def test_motion_energy_explicit_euler_drifts_symplectic_does_not():
    ex = mw.motion_explorer(dt=0.1)
    parts = dict(p.rsplit(" ", 1) for p in ex.readout.split(": ", 1)[1].split(": ")[1].split(", "))
    assert float(parts["explicit Euler"]) > 10 and abs(float(parts["symplectic Euler"]) - 1) < 0.1
    assert abs(float(parts["RK4"]) - 1) < 0.01


def test_an_executed_notebook_stores_the_picture(tmp_path, monkeypatch):
    """nbclient (what nbconvert --execute and make notebooks use) stores a PNG, no widget."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv("MATHPROG_EXPLORERS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from mathprog import widgets\n"
                                          "ex = widgets.lr_explorer(lr=0.05)\nex"),
                nbformat.v4.new_code_cell("ex.update(lr=0.25)")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (out,) = nb.cells[0].outputs
    assert set(out["data"]) == {"image/png", "text/plain"}
    assert out["data"]["text/plain"].startswith("lr_explorer: lr = 0.05 < 2/L = 0.2")
    assert "widgets" not in nb.metadata  # no widget state to contradict the prose
