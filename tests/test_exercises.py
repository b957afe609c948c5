"""mathprog.exercises: every solution passes, typical mistakes get their diagnosis.

The solutions are the hidden cells of tools/exercises/NN.py (the sections that
tools/add_exercises.py inserts into the notebooks), run here cell by cell as a kernel would.
"""

from __future__ import annotations

import linecache
import math
import re
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest

from mathprog import nn
from mathprog.autodiff import Value
from mathprog.exercises import Result, check, exercises

REPO = Path(__file__).resolve().parents[1]
SECTIONS = REPO / "tools" / "exercises"


# --------------------------------------------------------------------------- sections


def run_section(path: Path) -> list[tuple[str, Result, bool]]:
    """Run a section's code cells in order; (id, result, after_solution) per check cell."""
    ns: dict = {}
    results = []
    after_solution = False
    for i, cell in enumerate(jupytext.read(path).cells):
        if cell.cell_type != "code":
            continue
        name = f"<{path.name} cell {i}>"  # registered like IPython's cells, for getsource
        linecache.cache[name] = (len(cell.source), None, cell.source.splitlines(True), name)
        lines = cell.source.strip().splitlines()
        if lines[-1].startswith("check("):
            exec(compile("\n".join(lines[:-1]), name, "exec"), ns)
            result = eval(compile(lines[-1], name, "eval"), ns)
            results.append((result.exercise, result, after_solution))
            after_solution = False
        else:
            exec(compile(cell.source, name, "exec"), ns)
            after_solution = "solution" in cell.metadata.get("tags", [])
    return results


SECTION_FILES = sorted(SECTIONS.glob("[0-9][0-9].py"))


@pytest.mark.parametrize("path", SECTION_FILES, ids=lambda p: p.stem)
def test_section_stub_says_not_yet_and_solution_passes(path):
    results = run_section(path)
    ids = [r[0] for r in results]
    assert ids, f"{path.name} calls check nowhere"
    for _, result, after_solution in results:
        if after_solution:
            assert result.passed, str(result)
            assert str(result).startswith("✓")
        else:
            assert not result.passed and "not yet" in result.message, str(result)
    # every exercise of this notebook appears in its section: a stub check and a solution
    own = [e for e in exercises() if e.startswith(path.stem + ".")]
    assert sorted(set(ids)) == sorted(own)
    for e in own:
        assert [(i, a) for i, _, a in results if i == e] == [(e, False), (e, True)]


def test_every_notebook_has_three_to_five_exercises():
    ids = exercises()
    assert len(ids) >= 30
    assert all(re.fullmatch(r"(0[1-9]|10)\.[a-z0-9_]+", e) for e in ids)
    assert ids == sorted(ids, key=lambda e: e[:2])  # notebook order
    for n in range(1, 11):
        assert 3 <= sum(e.startswith(f"{n:02d}.") for e in ids) <= 5, n
    assert [p.stem for p in SECTION_FILES] == [f"{n:02d}" for n in range(1, 11)]


def test_sections_import_check_first_and_hide_solutions():
    for path in SECTION_FILES:
        cells = jupytext.read(path).cells
        first_code = next(c for c in cells if c.cell_type == "code")
        assert "from mathprog.exercises import check" in first_code.source
        for c in cells:
            if "solution" in c.metadata.get("tags", []):
                assert c.metadata.get("jupyter", {}).get("source_hidden") is True, path


# --------------------------------------------------------------------------- wrong answers


def _layer(dW=None, db=None, dx=None):
    """A Linear subclass whose backward is right except for the parts given."""

    class Buggy(nn.Linear):
        def backward(self, grad_out):
            self.dW[...] = (dW or (lambda s, g: s.x.T @ g))(self, grad_out)
            new_db = (db or (lambda s, g: g.sum(axis=0)))(self, grad_out)
            if new_db is not None:
                self.db[...] = new_db
            return (dx or (lambda s, g: g @ s.W.T))(self, grad_out)

    return Buggy


WRONG = {
    "01.central_difference": [
        (lambda f, x, h: (f(x + h) - f(x)) / h, "falls like h, not h²"),
        (lambda f, x, h: (f(x + h) - f(x - h)) / h, "twice"),
        (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "sign"),
        (lambda f, x, h: f(x + h) - f(x - h), "times 2h"),
    ],
    "01.optimal_h": [(1.5e-8, "√ε"), (1e-15, "too small"), (0.1, "too large"),
                     ("1e-5", "number")],
    "01.complex_step": [
        (lambda f, x, h: f(complex(x, h)).real / h, "real part"),
        (lambda f, x, h: f(complex(x, h)).imag, "times h"),
        (lambda f, x, h: (f(x + 1e-8) - f(x)) / 1e-8, "off by"),
        (lambda f, x, h: f(complex(x, h)) / h, "complex"),
    ],
    "02.chain_rule": [
        (lambda x: math.cos(x**2), "inner derivative"),
        (lambda x: 2 * x * math.cos(x), "inner value"),
        (lambda x: -2 * x * math.cos(x**2), "sign"),
        (lambda x: 2 * math.cos(x**2), "2x, not 2"),
    ],
    "02.mul_local": [
        (lambda a, b: (a, b), "swapped"),
        (lambda a, b: (1.0, 1.0), "a + b"),
        (lambda a, b: a * b, "two numbers"),
    ],
    "02.tanh_from_exp": [
        (lambda v: math.tanh(v.data), "not a Value"),
        (lambda v: Value(math.tanh(v.data)), "cut"),
        (lambda v: (v.exp() - 1) / (v.exp() + 1), "forward value"),
    ],
    "02.depth_product": [(1.14 * 30, "multiplies"), (1.14**29, "30 factors"),
                         (5.2, "linear"), (10.0, "off")],
    "03.partials": [
        (lambda p: np.array([p[0] ** 2 + np.cos(p[1]), 2 * p[0] * p[1]]), "swapped"),
        (lambda p: np.array([2 * p[0] * p[1], p[0] ** 2]), "cos y"),
        (lambda p: np.array([2 * p[0], p[0] ** 2 + np.cos(p[1])]), "2xy"),
        (lambda p: 2 * p[0] * p[1], "shape"),
    ],
    "03.directional_derivative": [
        (lambda g, u: g @ u, "unit vector"),
        (lambda g, u: -g @ u / np.linalg.norm(u), "sign"),
        (lambda g, u: np.linalg.norm(g), "expected"),
    ],
    "03.steepest_descent": [
        (lambda grad, p: grad(p) / np.linalg.norm(grad(p)), "ascent"),
        (lambda grad, p: -grad(p), "length"),
        (lambda grad, p: grad(p), "uphill"),
    ],
    "03.hessian": [
        (lambda p: np.diag([2 * p[1], -np.sin(p[1])]), "mixed partials"),
        (lambda p: np.array([[2 * p[1], 2 * p[0]], [0.0, -np.sin(p[1])]]), "symmetric"),
        (lambda p: np.array([[2 * p[1], 2 * p[0]], [2 * p[0], np.sin(p[1])]]), "−sin y"),
        (lambda p: np.zeros(2), "shape"),
    ],
    "04.gd_step": [
        (lambda x, grad, lr: x + lr * grad(x), "uphill"),
        (lambda x, grad, lr: lr * grad(x), "update"),
        (lambda x, grad, lr: x - grad(x), "learning rate"),
    ],
    "04.stability_limit": [(1 / 25, "1/L"), (2 / 4, "flattest"), (2 / 29, "best fixed step"),
                           (0.3, "not the limit")],
    "04.steps_to_converge": [(9, "1 − ηL"), (62, "start"), (138, "L = f''"), (100, "off")],
    "05.mse": [
        (lambda X, y, w, b: np.sum((X @ w + b - y) ** 2), "sum, not the mean"),
        (lambda X, y, w, b: np.sqrt(np.mean((X @ w + b - y) ** 2)), "RMSE"),
        (lambda X, y, w, b: np.mean((X @ w - y) ** 2), "bias"),
        (lambda X, y, w, b: np.mean(np.abs(X @ w + b - y)), "absolute"),
    ],
    "05.mse_gradient": [
        (lambda X, y, w, b: (2 / len(y) * X.T @ (y - X @ w - b), 0.0), "sign"),
        (lambda X, y, w, b: (2 * X.T @ (X @ w + b - y), 0.0), "missing 1/N"),
        (lambda X, y, w, b: (X.T @ (X @ w + b - y) / len(y), 0.0), "factor 1/2"),
        (lambda X, y, w, b: (2 / len(y) * X.T @ (X @ w + b - y), np.zeros(3)), "one number"),
        (lambda X, y, w, b: (2 / len(y) * X @ (X @ w + b - y), 0.0), "raised"),
        (lambda X, y, w, b: (2 / len(y) * X.T @ (X @ w + b - y), 0.0), "dL/db is zero"),
    ],
    "05.lr_limit_standardized": [(0.5, "1/L"), (2.0, "L = 2"), (0.1, "not the limit")],
    "06.relu_backward": [
        (lambda z, g: (z > 0).astype(float), "incoming grad_out"),
        (lambda z, g: g * (z >= 0), "z = 0"),
        (lambda z, g: g * np.maximum(z, 0), "relu(z)"),
        (lambda z, g: -g * (z > 0), "sign"),
    ],
    "06.softmax_ce_grad": [
        (lambda z, y: _softmax(z) - np.eye(z.shape[1])[y], "missing 1/N"),
        (lambda z, y: (np.eye(z.shape[1])[y] - _softmax(z)) / len(y), "sign"),
        (lambda z, y: _softmax(z) / len(y), "one-hot"),
        (lambda z, y: (_softmax(z) - np.eye(z.shape[1])[y]).mean(axis=0), "shape"),
    ],
    "06.linear_backward": [
        (lambda x, W, b, g: (g.T @ x, g.sum(axis=0), g @ W.T), "dW is transposed"),
        (lambda x, W, b, g: (x.T @ g, g.mean(axis=0), g @ W.T), "db"),
        (lambda x, W, b, g: (x.T @ g, g.sum(axis=0), g @ W), "transpose is missing"),
        (lambda x, W, b, g: (-x.T @ g, g.sum(axis=0), g @ W.T), "dW is off by a factor −1"),
        (lambda x, W, b, g: (x.T @ g, np.zeros(3), g @ W.T), "db is zero"),
        (lambda x, W, b, g: (x.T @ g / len(x), g.sum(axis=0) / len(x), g @ W.T), "1/N"),
    ],
    "07.momentum_step": [
        (lambda p, g, buf, lr, mu: _mom(p, g, buf, lr, mu, damp=True), "(1 − μ)"),
        (lambda p, g, buf, lr, mu: _mom(p, g, buf, lr, mu, double=True), "first-step buffer"),
        (lambda p, g, buf, lr, mu: (p - lr * g, g), "never used"),
        (lambda p, g, buf, lr, mu: (p - lr * g, None), "shapes"),
    ],
    "07.adam_step": [
        (lambda *a: _adam(*a, correct_m=False, correct_v=False), "bias correction"),
        (lambda *a: _adam(*a, correct_v=False), "v's bias correction"),
        (lambda *a: _adam(*a, eps_inside=True), "eps is inside the root"),
        (lambda *a: _adam(*a)[:2], "three arrays"),
    ],
    "07.bias_correction": [(10, "t = 1"), (1 / 0.9**10, "1/β1^t"), (1 - 0.9**10, "reciprocal"),
                           (2, "off")],
    "07.momentum_limit": [(0.2, "plain gradient descent"), (0.02, "1 − μ"), (2.0, "generous")],
    "08.relative_error": [
        (lambda a, b: np.abs(a - b), "absolute error"),
        (lambda a, b: np.abs(a - b) / np.abs(b), "not symmetric"),
        (lambda a, b: np.abs(a - b) / (np.abs(a) + np.abs(b)), "two exact zeros"),
        (lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-300)), "entry by entry"),
    ],
    "08.numerical_gradient": [
        (lambda f, x, h: _numgrad(f, x, h, forward=True), "falls like h, not h²"),
        (lambda f, x, h: _numgrad(f, x, h, restore=False), "restore"),
        (lambda f, x, h: -_numgrad(f, x, h), "sign"),
        (lambda f, x, h: _numgrad(f, x, h).ravel(), "shape"),
    ],
    "08.read_the_diagnosis": [
        ({"A": "mean", "B": "zero", "C": "mean", "D": "transpose"}, "A is not 'mean'"),
        ({"A": "sign", "B": "zero", "C": "sign", "D": "transpose"}, "C is not 'sign'"),
        ({"A": "sign", "B": "zero", "C": "mean"}, "report D has no answer"),
        ({"A": "sign", "B": "bias", "C": "mean", "D": "transpose"}, "not one of"),
        (["sign", "zero"], "dict"),
    ],
    "08.linear_layer": [
        (_layer(dx=lambda s, g: g @ s.W), "transpose is missing"),
        (_layer(db=lambda s, g: None), "gradient of b is zero: never computed"),
        (_layer(dW=lambda s, g: -s.x.T @ g), "gradient of W is off by a factor −1"),
        (_layer(db=lambda s, g: g.mean(axis=0)), "1/N"),
        (_layer(dx=lambda s, g: None), "returned None"),
        (_layer(dx=lambda s, g: 0 * g), "input gradient is zero"),
        (lambda: 0, "subclass of nn.Linear"),
    ],
    "09.he_std": [(2 / 64, "variance"), (1 / 8, "LeCun"), (0.01, "textbook"), (0.5, "off")],
    "09.rms_growth": [(3.0, "square root"), (math.sqrt(6.0), "half"),
                      (6.0, "without the ReLU"), (1.2, "off")],
    "09.clip_global_norm": [
        (lambda grads, m: [g * min(1, m / (np.linalg.norm(g) + 1e-6)) for g in grads],
         "on its own"),
        (lambda grads, m: [g * m / _norm(grads) for g in grads], "scaled up"),
        (lambda grads, m: grads[0], "list of 2"),
        (lambda grads, m: [g * 0.5 for g in grads], "differs"),
    ],
    "10.trapezoid": [
        (lambda f, a, b, n: sum(f(a + k * (b - a) / n) for k in range(n)) * (b - a) / n,
         "falls like h, not h²"),
        (lambda f, a, b, n: 2 * _trap(f, a, b, n), "twice"),
        (lambda f, a, b, n: _trap(f, a, b, n) / 2, "half"),
        (lambda f, a, b, n: 1.7, "does not fall"),
    ],
    "10.simpson": [
        (lambda f, a, b, n: _trap(f, a, b, n) if n % 2 == 0 else _raise(), "h², not h⁴"),
        (lambda f, a, b, n: _simp(f, a, b, n + 1 if n % 2 else n), "raise ValueError"),
        (lambda f, a, b, n: 2 * _simp(f, a, b, n) if n % 2 == 0 else _raise(), "twice"),
        (lambda f, a, b, n: _simp(f, a, b, n) if n % 2 == 0 else 1 / 0, "ZeroDivisionError"),
    ],
    "10.rk4_step": [
        (lambda f, t, y, dt: y + dt * f(t, y), "falls like dt, not dt⁴"),
        (lambda f, t, y, dt: y + dt * f(t + dt / 2, y + dt / 2 * f(t, y)), "dt², not dt⁴"),
        (lambda f, t, y, dt: f(t, y), "slope"),
        (lambda f, t, y, dt: y, "did not move"),
        (lambda f, t, y, dt: None, "None"),
    ],
    "10.symplectic_euler": [
        (lambda q, p, dt: (q + dt * p, p - dt * q), "explicit Euler"),
        (lambda q, p, dt: (q, p), "nothing moved"),
        (lambda q, p, dt: (q + dt * p, p + dt * q), "wrong way"),
        (lambda q, p, dt: _implicit(q, p, dt), "dissipative"),
        (lambda q, p, dt: q, "new (q, p)"),
    ],
}


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mom(p, g, buf, lr, mu, damp=False, double=False):
    if damp:
        buf = mu * (0 if buf is None else buf) + (1 - mu) * g
    elif double:
        buf = mu * (g if buf is None else buf) + g
    return p - lr * buf, buf


def _adam(p, g, m, v, t, lr, b1, b2, eps, correct_m=True, correct_v=True, eps_inside=False):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    mh = m / (1 - b1**t) if correct_m else m
    vh = v / (1 - b2**t) if correct_v else v
    return p - lr * mh / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps), m, v


def _numgrad(f, x, h, forward=False, restore=True):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old if forward else old - h
        down = f(x)
        grad[i] = (up - down) / (h if forward else 2 * h)
        if restore:
            x[i] = old
    return grad


def _norm(grads):
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads))


def _trap(f, a, b, n):
    h = (b - a) / n
    ys = [f(a + k * h) for k in range(n + 1)]
    return h * (sum(ys) - (ys[0] + ys[-1]) / 2)


def _simp(f, a, b, n):
    h = (b - a) / n
    ys = [f(a + k * h) for k in range(n + 1)]
    return h / 3 * (ys[0] + ys[-1] + 4 * sum(ys[1:-1:2]) + 2 * sum(ys[2:-1:2]))


def _raise():
    raise ValueError("odd")


def _implicit(q, p, dt):  # backward Euler: energy decays
    d = 1 + dt * dt
    return (q + dt * p) / d, (p - dt * q) / d


CASES = [(e, i, a, k) for e, items in WRONG.items() for i, (a, k) in enumerate(items)]


def test_wrong_answers_cover_every_exercise_three_times():
    assert set(WRONG) == set(exercises())
    assert all(len(items) >= 3 for items in WRONG.values())


@pytest.mark.parametrize("exercise_id, i, answer, keyword", CASES,
                         ids=[f"{e}-{i}" for e, i, _, _ in CASES])
def test_wrong_answer_fails_with_its_diagnosis(exercise_id, i, answer, keyword):
    result = check(exercise_id, answer)
    assert not result.passed
    assert str(result).startswith("✗")
    assert keyword.lower() in result.message.lower(), result.message
    assert "not yet" not in result.message


# --------------------------------------------------------------------------- behaviour


def test_stub_forms_say_not_yet():
    def stub(f, x, h):
        ...

    def documented_stub(f, x, h):
        """Write me."""
        ...

    for answer in (..., stub, documented_stub, (..., 1.0), {"A": ...}):
        result = check("01.central_difference", answer)
        assert not result.passed and result.message.startswith("not yet: fill in the stub")


def test_answers_that_raise_return_none_or_have_the_wrong_type():
    def raises(f, x, h):
        raise ZeroDivisionError("boom")

    result = check("01.central_difference", raises)
    assert not result.passed and "raised ZeroDivisionError: boom" in result.message
    result = check("01.central_difference", lambda f, x, h: None)
    assert not result.passed and "returned None" in result.message
    result = check("01.central_difference", 3.0)
    assert not result.passed and "expected a function" in result.message
    result = check("06.linear_backward", lambda x, W, b, g: (x, x, x))
    assert not result.passed and "shape" in result.message
    result = check("04.stability_limit", float("nan"))
    assert not result.passed and "finite" in result.message
    result = check("04.stability_limit", True)
    assert not result.passed and "number" in result.message


def test_unknown_id_lists_close_matches():
    with pytest.raises(ValueError, match="01.central_difference"):
        check("01.central_diference", lambda f, x, h: 0.0)
    with pytest.raises(ValueError, match="exercises()"):
        check("99.nothing", 1)
    with pytest.raises(TypeError, match="exercise_id"):
        check(1, 1)


def test_result_is_one_readable_line():
    ok, bad = check("09.he_std", math.sqrt(2 / 64)), check("09.he_std", 0.5)
    assert ok.passed and bool(ok) and str(ok).startswith("✓ 09.he_std: ")
    assert not bad.passed and str(bad).startswith("✗ 09.he_std: ")
    for r in (ok, bad):
        assert "\n" not in str(r) and repr(r) == str(r)
        assert r._repr_html_().startswith("<div") and "09.he_std" in r._repr_html_()
    assert "&lt;" in Result("x", False, "a<b")._repr_html_()


def test_verdicts_are_the_same_on_a_second_run():
    for path in SECTION_FILES:
        first = [str(r) for _, r, _ in run_section(path)]
        assert first == [str(r) for _, r, _ in run_section(path)]


# --------------------------------------------------------------------------- the tool


def _notebook(tmp_path, name="01_demo.ipynb"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("Next: [02](02_x.ipynb)")]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_add_exercises_inserts_before_the_last_cell_idempotently(tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "tools"))
    try:
        import add_exercises
    finally:
        sys.path.remove(str(REPO / "tools"))
    path = _notebook(tmp_path)
    before = nbformat.read(path, as_version=4)
    add_exercises.main([str(path)])
    once = path.read_text()
    add_exercises.main([str(path)])
    assert path.read_text() == once  # replaced, not added twice
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0] == before.cells[0] and nb.cells[1] == before.cells[1]
    assert nb.cells[-1] == before.cells[-1]  # the link to the next notebook stays last
    section = nb.cells[2:-1]
    assert section[0].source.startswith("## Exercises")
    assert all(add_exercises.is_exercise_cell(c) for c in section)
    solutions = [c for c in section if "solution" in c.metadata.tags]
    assert len(solutions) == 3
    assert all(c.metadata.jupyter.source_hidden is True for c in solutions)
    assert all(c.outputs == [] and c.execution_count is None
               for c in section if c.cell_type == "code")
    assert "skipped" in add_exercises.add_exercises(_notebook(tmp_path, "xx_none.ipynb"))
