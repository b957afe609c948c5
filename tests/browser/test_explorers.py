"""Every explorer kind in a real JupyterLab (headless Chromium), from a scratch notebook that
this test writes (``latency.SCRATCH_CELLS``: the calls the notebooks make, plus the new
explorers), and every notebook in ``notebooks/`` that shows an explorer.

Checked: the cell shows the live explorer and nothing else (no static PNG beside it); the
controls hold what the notebook's later ``.update()`` cells set (a browser write-back once
reverted them); every visible control moves the figure and the page's readout equals the
kernel's; a drag changes the image before the mouse button is released. Latency is measured
by ``benchmarks/bench_browser.py``, not asserted here. The notebooks themselves take about
100 s more: they run only with ``MATHPROG_BROWSER_ALL=1`` (the suite stays under 90 s).
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import latency
import nbformat
import pytest

pytestmark = pytest.mark.browser
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

_JS_USER_EXPRESSION = """
async (expr) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute(
    {code: '', silent: true, store_history: false, user_expressions: {r: expr}});
  const r = (await future.done).content.user_expressions.r;
  return r.status === 'ok' ? {repr: r.data['text/plain']} : {error: r.ename + ': ' + r.evalue};
}
"""
_EXPLORERS = (  # every explorer in the kernel's namespace: name -> {values, readout}
    "__import__('json').dumps({k: {'values': v.values, 'readout': v.readout} for k, v in "
    "list(globals().items()) if not k.startswith('_') and "
    "isinstance(v, __import__('mathprog.widgets', fromlist=['Explorer']).Explorer)})"
)


def kernel_explorers(lab) -> dict[str, dict]:
    answer = lab.page.evaluate(_JS_USER_EXPRESSION, _EXPLORERS)
    assert "error" not in answer, f"kernel query failed: {answer['error']}"
    return json.loads(ast.literal_eval(answer["repr"]))


def _text(locator) -> str:
    return " ".join((locator.first.text_content() or "").split())


def _src(root) -> str | None:
    return root.locator(".mathprog-figure").first.get_attribute("src")


def _explorer_cells(lab) -> list:
    cells = lab.page.locator(".jp-Notebook .jp-CodeCell")
    return [cells.nth(i) for i in range(cells.count())
            if cells.nth(i).locator(".mathprog-explorer").count()]


@pytest.fixture(scope="module")
def scratch(open_lab, lab_root):
    """The scratch notebook, run in JupyterLab; yields the driver and the explorers' roots."""
    name = latency.write_scratch(lab_root)
    with open_lab("scratch") as lab:
        lab.open(name)
        lab.run_all()
        roots = lab.page.locator(".mathprog-explorer")
        lab._wait_for(lambda: roots.count() == len(latency.SCRATCH_EXPLORERS), 20_000)
        yield lab, dict(zip(latency.SCRATCH_EXPLORERS,
                            [roots.nth(i) for i in range(roots.count())], strict=False))


def test_scratch_shows_each_explorer_once_and_live(scratch) -> None:
    lab, roots = scratch
    assert not lab.unexecuted_prompts() and not lab.error_outputs()
    assert list(roots) == latency.SCRATCH_EXPLORERS, f"{len(roots)} explorers on the page"
    for cell in _explorer_cells(lab):
        outputs = cell.locator(".jp-OutputArea-output")
        assert outputs.count() == 1, "an explorer cell shows more than the live explorer"
        assert cell.locator("img:not(.mathprog-figure)").count() == 0, "a static PNG beside it"


def test_controls_hold_what_the_code_set(scratch) -> None:
    lab, roots = scratch
    kernel = kernel_explorers(lab)
    for name, expected in latency.SCRATCH_STATE.items():
        got = {k: kernel[name]["values"][k] for k in expected}
        assert got == expected, f"{name}: the page reverted the notebook's .update(): {got}"
    for name, root in roots.items():
        assert _text(root.locator(".mathprog-readout")) == " ".join(kernel[name]["readout"].split())


def _row(root, control: str):
    label = root.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(control)}$"))
    return root.locator(".widget-inline-hbox", has=label).first


def _act(lab, root, control: str, value) -> None:
    """Move one control on the page: a slider one step, a menu to another option, a box."""
    if isinstance(value, bool):
        root.locator(".widget-checkbox input").first.click()
    elif isinstance(value, str):
        select = _row(root, control).locator("select").first
        options = [o for o in select.locator("option").all_text_contents() if o != value]
        select.select_option(label=options[0])
    else:
        _row(root, control).locator(".noUi-handle").first.focus()
        lab.page.keyboard.press("ArrowRight")


def test_every_control_moves_the_figure(scratch) -> None:
    lab, roots = scratch
    for name, root in roots.items():
        root.scroll_into_view_if_needed()
        lab.screenshot(f"{name}-before", root)
        for control, value in kernel_explorers(lab)[name]["values"].items():
            if not _row(root, control).is_visible() and not isinstance(value, bool):
                continue  # hidden: it does nothing for this optimizer
            src = _src(root)
            _act(lab, root, control, value)
            def moved(n=name, c=control, v=value):
                return kernel_explorers(lab)[n]["values"][c] != v

            assert lab._wait_for(moved, 20_000), f"{name}.{control} did not reach the kernel"
            expected = " ".join(kernel_explorers(lab)[name]["readout"].split())

            def shown(r=root, e=expected):
                return _text(r.locator(".mathprog-readout")) == e

            assert lab._wait_for(shown, 20_000), f"{name}: readout is not the kernel's"
            assert lab._wait_for(lambda r=root, s=src: _src(r) != s, 20_000), f"{name}.{control}"
        lab.screenshot(f"{name}-after", root)


def test_dragging_moves_the_figure_before_release(scratch) -> None:
    lab, roots = scratch
    for name, control in (("tangent", "h"), ("motion", "dt")):
        root = roots[name]
        root.scroll_into_view_if_needed()
        result = latency.drag(lab.page, root, _row(root, control).locator(".noUi-handle").first)
        assert result["images_before_release"] >= 2, f"{name}.{control}: {result}"


def _notebooks_with_explorers() -> list[Path]:
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        sources = [c.source for c in cells if c.cell_type == "code"]
        if any(re.search(r"\bwidgets\.\w+_explorer\(", s) for s in sources):
            found.append(path)
    return found


@pytest.mark.skipif(not os.environ.get("MATHPROG_BROWSER_ALL"),
                    reason="the notebooks themselves (about 100 s): set MATHPROG_BROWSER_ALL=1")
@pytest.mark.parametrize("notebook", _notebooks_with_explorers(), ids=lambda p: p.stem)
def test_notebook_explorers_are_live(open_lab, notebook: Path) -> None:
    """Each notebook with explorers: Run All is clean, each explorer is shown live once, and
    a key press on its first slider changes its figure."""
    with open_lab(notebook.stem) as lab:
        lab.open(notebook.name)
        lab.run_all()
        assert not lab.unexecuted_prompts() and not lab.error_outputs()
        cells = _explorer_cells(lab)
        assert cells, f"{notebook.name}: no live explorer on the page"
        for cell in cells:
            assert cell.locator(".jp-OutputArea-output").count() == 1
            root = cell.locator(".mathprog-explorer").first
            root.scroll_into_view_if_needed()
            src = _src(root)
            root.locator(".noUi-handle").first.focus()
            lab.page.keyboard.press("ArrowRight")
            assert lab._wait_for(lambda r=root, s=src: _src(r) != s, 20_000), "the figure stayed"
