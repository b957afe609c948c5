"""Explorer latency in a real page: JupyterLab in headless Chromium (target: median < 100 ms).

The browser tests' harness (tests/browser) serves a scratch notebook holding every explorer
kind (tests/browser/latency.py). For each explorer: ArrowRight presses on its first slider,
timed in the page from ``keydown`` to the figure's new ``<img src>``; and drags on three
sliders, timed from each ``pointermove`` (button held) to the next new image, counting the
images that arrived before the button was released. Skips, saying why, without Chromium.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "browser")]
from _common import Result  # noqa: E402

TARGET_MS = 100.0
DRAGS = [("tangent", "h"), ("rate", "lr"), ("motion", "dt")]


def _skip(reason: str) -> list[Result]:
    return [Result("browser latency", float("nan"), "ms", note=f"skipped: {reason}")]


def run() -> list[Result]:
    try:
        import conftest
        import latency
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        return _skip(f"{err}")
    chromium = conftest.find_chromium()
    if chromium is None:
        return _skip("no Chromium (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root, home = Path(tmp) / "root", Path(tmp) / "home"
        root.mkdir()
        home.mkdir()
        name = latency.write_scratch(root)
        server = conftest.LabServer(root, home)
        server.start()
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=conftest.CHROMIUM_FLAGS)
        try:
            return _measure(browser, server, name, latency, conftest)
        finally:
            browser.close()
            server.stop()


def _measure(browser, server, name, latency, conftest) -> list[Result]:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    lab = conftest.LabNotebook(page, server, Path(tempfile.gettempdir()))
    lab.open(name)
    lab.run_all()
    roots = page.locator(".mathprog-explorer")
    lab._wait_for(lambda: roots.count() == len(latency.SCRATCH_EXPLORERS), 20_000)
    time.sleep(2.0)  # let the motion explorer's background solves finish
    by_name = {n: roots.nth(i) for i, n in enumerate(latency.SCRATCH_EXPLORERS)}
    results, keys = [], []
    for label, root in by_name.items():
        root.scroll_into_view_if_needed()
        got = latency.key_latencies(page, root, root.locator(".noUi-handle").first)
        keys += got
        results.append(Result(f"{label}: key press to new image", latency.median(got), "ms",
                              target=f"< {TARGET_MS:g} ms", met=latency.median(got) < TARGET_MS,
                              note=f"median of {len(got)} ArrowRight presses"))
    for label, control in DRAGS:
        root = by_name[label]
        root.scroll_into_view_if_needed()
        label = page.locator(".widget-label", has_text=control)
        row = root.locator(".widget-inline-hbox", has=label)
        got = latency.drag(page, root, row.first.locator(".noUi-handle").first)
        med = latency.median(got["latencies"])
        results.append(Result(
            f"{label}: drag step ('{control}') to new image", med, "ms",
            target=f"< {TARGET_MS:g} ms", met=med < TARGET_MS and got["images_before_release"] > 0,
            note=f"median over {len(got['latencies'])} drag steps; "
                 f"{got['images_before_release']} new images before the button was released"))
    results.insert(0, Result("all explorers: key press to new image", latency.median(keys), "ms",
                             target=f"< {TARGET_MS:g} ms", met=latency.median(keys) < TARGET_MS,
                             note=f"median of {len(keys)} presses over {len(by_name)} explorers"))
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
