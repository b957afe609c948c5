"""Helpers shared by the benchmark scripts (run on demand, never by the test suite).

Every ``benchmarks/bench_*.py`` exposes ``run() -> list[Result]`` and prints its results
when executed as a script; ``benchmarks/run_all.py`` collects them into RESULTS.md.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """One measured figure."""

    name: str
    value: float
    unit: str
    target: str | None = None  # e.g. "< 50 ms" or ">= 5x"
    met: bool | None = None  # whether the target is met, when there is one
    note: str = ""

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        target = f" (target {self.target}: {verdict})" if self.target else ""
        note = f" - {self.note}" if self.note else ""
        return f"{self.name}: {self.value:.4g} {self.unit}{target}{note}"


def median_time(fn: Callable[[], object], repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds.

    Garbage is collected before every timed call, so cyclic garbage made by one run (or by
    another engine timed in the same process) is never billed to the next.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
