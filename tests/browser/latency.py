"""Explorers in a live JupyterLab page: a scratch notebook holding every kind, and probes that
time a key press or a drag step to the next figure (shared by test_explorers.py and
benchmarks/bench_browser.py).

Timing is taken inside the page: a capturing ``keydown``/``pointermove`` listener stamps the
input with ``performance.now()`` and a ``MutationObserver`` stamps every change of the
figure's ``<img src>``; the latency of an input is the first image change after it.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import nbformat

# Every explorer kind, made the way the notebooks make them; the later .update() cells are
# what a reverting write-back from the browser would undo (checked by the tests).
SCRATCH_CELLS = [
    "import numpy as np\nfrom mathprog import regression, widgets\n"
    "from mathprog.data import load_diabetes",
    "tangent = widgets.tangent_explorer(lambda x: np.exp(np.sin(x)), x0=1.0, h=0.5,\n"
    "    df=lambda x: np.cos(x) * np.exp(np.sin(x)), xlim=(-2.0, 4.0), label='exp(sin x)')\n"
    "tangent",
    "tangent.update(h=0.1)",
    "rate = widgets.lr_explorer(lr=0.05)\nrate",
    "rate.update(lr=0.15)",
    "X, y = load_diabetes()[:2]\n"
    "raw = regression.LeastSquares(X[:, [2, 8]], y, name='BMI and s5')\n"
    "scaled = widgets.lr_explorer(raw, lr=0.1, steps=100, lr_range=(1e-4, 1.0), standardize=True)\n"
    "scaled",
    "gd = widgets.path_explorer(lr=1.0, optimizer='sgd', steps=300, compare=None)\ngd",
    "paths = widgets.path_explorer(lr=1.0, beta=0.9, optimizer='momentum', steps=600)\n"
    "paths.widget",
    "paths.update(beta=0.5)",
    "direction = widgets.direction_explorer(angle=30.0)\ndirection",
    "motion = widgets.motion_explorer(dt=0.1)\nmotion",
]
# The explorers in page order, and the values the code left them at.
SCRATCH_EXPLORERS = ["tangent", "rate", "scaled", "gd", "paths", "direction", "motion"]
SCRATCH_STATE = {"tangent": {"h": 0.1}, "rate": {"lr": 0.15}, "paths": {"beta": 0.5}}


def write_scratch(folder: Path, name: str = "zz_explorers.ipynb") -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# every explorer")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in SCRATCH_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / name)
    return name


_JS_PROBE = """
(root) => {
  const img = root.querySelector('.mathprog-figure');
  const log = {inputs: [], images: [], ups: []};
  const stamp = (list) => () => list.push(performance.now());
  root.addEventListener('keydown', stamp(log.inputs), true);
  root.addEventListener('pointermove',
    (e) => { if (e.buttons) { log.inputs.push(performance.now()); } }, true);
  document.addEventListener('pointerup', stamp(log.ups), true);
  new MutationObserver(stamp(log.images))
    .observe(img, {attributes: true, attributeFilter: ['src']});
  window.__mathprogProbe = log;
}
"""


def _probe(page, root) -> None:
    root.evaluate(_JS_PROBE)


def _log(page) -> dict:
    return page.evaluate("() => window.__mathprogProbe")


def _latencies(log: dict) -> list[float]:
    """For each input, the first image change after it and before the next input (ms)."""
    inputs, images, out = log["inputs"], log["images"], []
    for i, t in enumerate(inputs):
        nxt = inputs[i + 1] if i + 1 < len(inputs) else float("inf")
        after = [s for s in images if t < s <= nxt]
        if after:
            out.append(after[0] - t)
    return out


def key_latencies(page, root, handle, presses: int = 8, pause_ms: int = 400) -> list[float]:
    """ArrowRight ``presses`` times on a slider handle; ms from keydown to the new image."""
    _probe(page, root)
    handle.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(pause_ms)
    return _latencies(_log(page))


def drag(page, root, handle, steps: int = 10, dx: float = 12.0, pause_ms: int = 250) -> dict:
    """Drag a slider handle by ``steps`` moves of ``dx`` px, holding the button throughout.

    Returns ``latencies`` (ms, move to the next image), ``images_before_release`` and
    ``moves``.
    """
    _probe(page, root)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, steps + 1):
        page.mouse.move(x + k * dx, y)
        page.wait_for_timeout(pause_ms)
    before = len(_log(page)["images"])
    page.mouse.up()
    page.wait_for_timeout(300)
    log = _log(page)
    return {"latencies": _latencies(log), "images_before_release": before,
            "moves": len(log["inputs"])}


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")
