"""Update latency of the explorers in mathprog.widgets (target: < 50 ms per update).

One update is what a slider move costs in the kernel: validate, recompute (pure numpy in
mathprog), redraw the moving artists over the cached background on the Agg canvas, and
encode the PNG that the page shows. Each control is swept across its whole range (>= 20
distinct values; a dropdown cycles through its options several times) and the median is
reported; the compute + redraw part alone (what the target is about) is reported too.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Result  # noqa: E402

from mathprog import widgets as mw  # noqa: E402

TARGET_MS = 50.0
N_VALUES = 24


def _sweep(ex: mw.Explorer, name: str) -> list[object]:
    """Distinct values spanning a control's range, in slider order."""
    c = ex._controls[name]
    if c.kind == "log":
        return [float(v) for v in np.geomspace(c.lo, c.hi, N_VALUES)]
    if c.kind == "float":
        return [float(v) for v in np.linspace(c.lo, c.hi, N_VALUES)]
    reps = -(-N_VALUES // len(c.options))
    return list(c.options) * reps


def _time_updates(ex: mw.Explorer, name: str) -> tuple[float, float]:
    """Median ms of a full update, and of compute + redraw alone, over the sweep."""
    start = ex.values
    full, core = [], []
    for value in _sweep(ex, name):
        gc.collect()
        t0 = time.perf_counter()
        ex.update(**{name: value})
        full.append(time.perf_counter() - t0)
        getattr(ex, "_cache", {}).clear()  # path_explorer remembers runs: recompute for real
        gc.collect()
        t0 = time.perf_counter()  # the same state again: compute + redraw only
        ex._compute(ex.values)
        ex._redraw()
        core.append(time.perf_counter() - t0)
    ex.update(**start)
    return statistics.median(full) * 1e3, statistics.median(core) * 1e3


def run() -> list[Result]:
    results = []
    factories = {
        "tangent_explorer": mw.tangent_explorer,
        "lr_explorer": mw.lr_explorer,
        "path_explorer": mw.path_explorer,
    }
    for label, factory in factories.items():
        t0 = time.perf_counter()
        ex = factory()
        build_ms = (time.perf_counter() - t0) * 1e3
        results.append(Result(f"{label}: build and first draw", build_ms, "ms",
                              note="once per notebook cell; not a slider update"))
        for name in ex.controls:
            full, core = _time_updates(ex, name)
            results.append(Result(
                f"{label}: update via '{name}' (compute + redraw + PNG)", full, "ms",
                target=f"< {TARGET_MS:g} ms", met=full < TARGET_MS,
                note=f"median of {N_VALUES} updates across the range; compute + redraw "
                     f"alone {core:.3g} ms"))
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
