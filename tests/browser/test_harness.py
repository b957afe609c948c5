"""Self-test of the browser harness on a scratch notebook with plain ipywidgets.

It checks the machinery the explorer tests rely on (server, kernel readiness, Run All,
arrow keys on a ``.noUi-handle``, typing into ``.widget-readout``, the figure's ``<img>``)
without mathprog, so a failure here means the harness or the stack broke, not an explorer.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

pytestmark = pytest.mark.browser

SCRATCH = '''\
import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(-3, 3, 200)
a = W.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="a")
lr = W.FloatLogSlider(value=1e-2, base=10, min=-4, max=0, step=0.25, description="lr")
out = W.Output()
readout = W.HTML()
readout.add_class("scratch-readout")


def describe(a, lr):
    return f"a={a:.6g} lr={lr:.6g} f={np.sin(a) * lr:.6f}"


def redraw(*_):
    readout.value = describe(a.value, lr.value)
    with out:
        out.clear_output(wait=True)
        fig, ax = plt.subplots(figsize=(4, 2.5))
        ax.plot(x, np.sin(a.value * x) * lr.value)
        plt.show()


a.observe(redraw, "value")
lr.observe(redraw, "value")
redraw()
W.VBox([a, lr, out, readout])
'''


def describe(a: float, lr: float) -> str:
    """The scratch notebook's readout, computed here (its headless twin)."""
    return f"a={a:.6g} lr={lr:.6g} f={np.sin(a) * lr:.6f}"


@pytest.fixture
def scratch(lab_root) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# scratch"), nbformat.v4.new_code_cell(SCRATCH)]
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }  # fmt: skip
    path = lab_root / "zz_scratch_harness.ipynb"
    nbformat.write(nb, path)
    return path.name


def test_harness_drives_plain_widgets(lab, scratch) -> None:
    lab.open(scratch)
    lab.run_all()
    page = lab.page
    readout = page.locator(".scratch-readout").first
    img = page.locator(".widget-output img").first
    img.wait_for(state="visible", timeout=20_000)
    assert readout.inner_text() == describe(1.0, 1e-2)
    lab.screenshot("before", page.locator(".widget-vbox").first)

    def changed(old_text: str, old_src: str | None) -> None:
        assert lab._wait_for(lambda: readout.inner_text() != old_text, 20_000), "no update"
        assert lab._wait_for(lambda: img.get_attribute("src") != old_src, 20_000), "same plot"

    # One ArrowRight is one step, on a linear and on a log slider.
    steps = [(0, "a", describe(1.1, 1e-2)), (1, "lr", describe(1.1, 10**-1.75))]
    for index, _name, expected in steps:
        before, src = readout.inner_text(), img.get_attribute("src")
        page.locator(".widget-slider .noUi-handle").nth(index).focus()
        page.keyboard.press("ArrowRight")
        changed(before, src)
        assert readout.inner_text() == expected

    # A value typed into the slider's readout box.
    before, src = readout.inner_text(), img.get_attribute("src")
    page.locator(".widget-readout").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2.5")
    page.keyboard.press("Enter")
    changed(before, src)
    assert readout.inner_text() == describe(2.5, 10**-1.75)
    lab.screenshot("after", page.locator(".widget-vbox").first)
    assert not lab.error_outputs()
