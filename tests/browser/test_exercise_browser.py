"""An exercise in a real JupyterLab: type a correct answer into a stub, run it, see ✓.

The notebook is a small copy made by tools/add_exercises.py (title, notebook 01's exercise
section, a closing link), so every cell is rendered without scrolling.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

TOOLS = Path(__file__).resolve().parents[2] / "tools"
NAME = "01_exercise_browser.ipynb"
ANSWER = "central = lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h)"


def _make_notebook(folder: Path) -> Path:
    sys.path.insert(0, str(TOOLS))
    try:
        import add_exercises
    finally:
        sys.path.remove(str(TOOLS))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · exercises (browser test)"),
                nbformat.v4.new_markdown_cell("Next: [02](02_chain_rule.ipynb)")]
    path = folder / NAME
    nbformat.write(nb, path)
    add_exercises.add_exercises(path)
    return path


def test_typed_answer_passes_its_check(lab_root, lab):
    nb = nbformat.read(_make_notebook(lab_root), as_version=4)
    sources = [c.source for c in nb.cells]
    stub = next(i for i, s in enumerate(sources) if s.startswith("def central("))
    assert sources[stub + 1].startswith('check("01.central_difference"')
    imports = next(i for i, s in enumerate(sources) if "import check" in s)

    lab.open(NAME)
    page = lab.page
    cells = page.locator(".jp-Notebook .jp-Cell")
    # the solutions are collapsed: JupyterLab shows a placeholder instead of their source
    assert page.locator(".jp-Notebook .jp-InputPlaceholder").count() >= 1
    cells.nth(imports).locator(".jp-InputPrompt").first.click()
    for _ in range(stub - imports):  # run the imports, render the statement: now on the stub
        page.keyboard.press("Shift+Enter")
    page.keyboard.press("Enter")  # edit mode in the stub
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(ANSWER)
    page.keyboard.press("Shift+Enter")  # run the answer
    page.keyboard.press("Shift+Enter")  # run its check
    result = cells.nth(stub + 1).locator(".jp-OutputArea-output")
    result.filter(has_text="01.central_difference").first.wait_for(timeout=30_000)
    text = result.first.inner_text()
    lab.screenshot("exercise-check", cells.nth(stub + 1))
    assert text.startswith("✓ 01.central_difference"), text
    assert "h²" in text
    assert not lab.error_outputs()
    lab.screenshot("notebook")
