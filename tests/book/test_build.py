"""book/build.py's own checks (no browser): every explorer has a registry entry and back,
every notebook an article section, and a kernel-free frame reproduces the explorer's figure."""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "book"))

# Ruff versions disagree on whether `build` is book/build.py (local) or pypa's build.
# isort: off
import build  # noqa: E402  (book/build.py)
import explorers  # noqa: E402
import kernel_free  # noqa: E402
# isort: on


def _explorer_notebook(tmp_path: Path, stem: str, kinds: list[str]) -> Path:
    cells = [{"cell_type": "code", "execution_count": i + 1, "metadata": {},
              "source": f"ex{i} = widgets.{kind}()\nex{i}",
              "outputs": [{"output_type": "execute_result", "execution_count": i + 1,
                           "metadata": {}, "data": {
                               build.WIDGET_VIEW: {"model_id": "x", "version_major": 2,
                                                   "version_minor": 0},
                               "text/plain": f"{kind}: something"}}]}
             for i, kind in enumerate(kinds)]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / f"{stem}.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_an_explorer_without_registry_entry_fails(tmp_path):
    path = _explorer_notebook(tmp_path, "02_chain_rule", ["direction_explorer"])
    with pytest.raises(build.BuildError, match=r"02_chain_rule.*1 explorer.*direction_explorer"):
        build.transform(path, tmp_path / "out.ipynb")


def test_a_registry_entry_without_explorer_fails(tmp_path):
    path = _explorer_notebook(tmp_path, "04_gradient_descent", ["lr_explorer"])
    with pytest.raises(build.BuildError, match=r"registers ordinals \[0, 1\]"):
        build.transform(path, tmp_path / "out.ipynb")


def test_an_unmapped_notebook_fails_the_toc(tmp_path):
    with pytest.raises(build.BuildError, match="11_extra.ipynb"):
        build.toc([tmp_path / "01_derivatives.ipynb", tmp_path / "11_extra.ipynb"])
    assert '"What is Calculus in Programming?"' in build.toc([tmp_path / "10_integrals.ipynb"])


def test_every_stored_explorer_is_registered():
    found = set()
    for path in build.notebooks():
        nb = json.loads(path.read_text())
        for k, (_, _, kind) in enumerate(build.explorer_outputs(nb)):
            found.add((path.stem, k))
            assert explorers.REGISTRY[(path.stem, k)].kind == kind
    assert found == set(explorers.REGISTRY)


def test_positions_stay_on_the_slider_and_include_the_start():
    ex = explorers.REGISTRY[("07_optimizers", 0)].make()
    lr = explorers.positions(ex.controls["lr"], explorers.ALL, 1.0)
    assert len(lr) == explorers.MAX_POSITIONS and 1.0 in lr
    assert 1e-4 <= min(lr) and max(lr) <= 3.0
    beta = explorers.positions(ex.controls["beta"], 10, 0.9)
    assert len(beta) == 10 and 0.9 in beta and 0.0 in beta


def test_overlay_over_base_is_the_explorer_figure():
    from PIL import Image

    entry = explorers.Entry("lr_explorer", explorers.REGISTRY[("04_gradient_descent", 0)].make,
                            {"lr": 5})
    ex = entry.make()
    markup, stats = kernel_free.render(ex, entry, "probe")
    assert stats["positions"] == 5
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', markup)
    base = np.asarray(Image.open(io.BytesIO(base64.b64decode(uris[0]))).convert("RGBA"))
    over = np.asarray(Image.open(io.BytesIO(base64.b64decode(uris[1]))).convert("RGBA"))
    shown = np.where(over[..., 3:] == 255, over, base)[..., :3]
    expected = np.asarray(Image.open(io.BytesIO(ex.png())).convert("RGB"))  # start: lr 0.05
    assert np.array_equal(shown, expected)
    assert ex.readout in markup
