"""Update latency of the explorers in mathprog.widgets, headless (target: < 50 ms per update).

One update is what a slider move costs in the kernel: check, recompute, redraw the moving
artists over the cached background on the Agg canvas, and encode the PNG the page shows
(Pillow, palette, zlib level 1). Each control is swept across its values (24 positions; a
menu or a box cycles) and the median is reported, with the PNG encoding alone beside it.
Runs are cached by the path and motion explorers (a slider dragged back and forth); the
sweep clears those caches, so the figures are for values never seen before.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Result  # noqa: E402

from mathprog import widgets as mw  # noqa: E402

TARGET_MS = 50.0
N_VALUES = 24


def _sweep(ex: mw.Explorer, name: str) -> list[object]:
    grid = ex._controls[name].grid
    step = max(1, len(grid) // N_VALUES)
    return (grid[::step] * N_VALUES)[:N_VALUES] if len(grid) > 2 else grid * (N_VALUES // 2)


def _time_updates(ex: mw.Explorer, name: str) -> tuple[float, float]:
    start, full, encode = ex.values, [], []
    for value in _sweep(ex, name):
        getattr(ex, "_cache", {}).clear()
        gc.collect()
        t0 = time.perf_counter()
        ex.update(**{name: value})
        ex.png()
        full.append(time.perf_counter() - t0)
        ex._png = None
        t0 = time.perf_counter()
        ex.png()
        encode.append(time.perf_counter() - t0)
    ex.update(**start)
    return statistics.median(full) * 1e3, statistics.median(encode) * 1e3


def run() -> list[Result]:
    results = []
    factories = {
        "tangent_explorer": lambda: mw.tangent_explorer(),
        "lr_explorer": lambda: mw.lr_explorer(),
        "path_explorer": lambda: mw.path_explorer(),
        "direction_explorer": lambda: mw.direction_explorer(),
        "motion_explorer": lambda: mw.motion_explorer(),
    }
    for label, factory in factories.items():
        t0 = time.perf_counter()
        ex = factory()
        build_ms = (time.perf_counter() - t0) * 1e3
        results.append(Result(f"{label}: build and first draw", build_ms, "ms",
                              note="once per notebook cell; not a slider update"))
        for name in ex._controls:
            full, encode = _time_updates(ex, name)
            results.append(Result(
                f"{label}: update via '{name}' (compute + redraw + PNG)", full, "ms",
                target=f"< {TARGET_MS:g} ms", met=full < TARGET_MS,
                note=f"median of {N_VALUES} updates across the range, uncached; the PNG "
                     f"encoding alone {encode:.3g} ms"))
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
