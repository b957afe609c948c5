"""What a reader waits for: each notebook in a fresh kernel, and the whole nbval suite.

* Each ``notebooks/*.ipynb`` is executed top to bottom by nbclient in a fresh kernel (kernel
  start included: that is what ``make notebooks`` and a reader's "Restart and Run All" pay),
  from the notebooks folder, without writing anything back. Target: < 10 s each.
* The whole nbval suite, ``python -m pytest notebooks -q`` in a subprocess (collection and
  every kernel start included). Target: < 60 s on 2 cores.

Medians over ``repeats`` runs. Run on demand (``make bench`` or
``python benchmarks/bench_notebooks.py``), never by pytest.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
NOTEBOOK_TARGET_S = 10.0
SUITE_TARGET_S = 60.0


def execute_notebook(path: Path, timeout: int = 600) -> float:
    """Seconds to execute ``path`` in a fresh kernel (nbclient), outputs discarded."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def nbval_suite(timeout: int = 1800) -> tuple[float, int, str]:
    """Seconds for ``python -m pytest notebooks -q``, its exit code and its summary
    (the last line, preceded by the first FAILED line if any)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "notebooks", "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    summary = lines[-1] if lines else "(no output)"
    failed = [ln for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    if failed:
        summary = f"{failed[0][:200]}; {summary}"
    return elapsed, proc.returncode, summary


def run(repeats: int = 3, suite_repeats: int | None = None) -> list[Result]:
    """Median execution time of every notebook, then of the nbval suite."""
    results = []
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        return [Result("notebooks", float("nan"), "s", note="skipped: no notebooks yet")]
    for path in notebooks:
        try:
            times = [execute_notebook(path) for _ in range(repeats)]
        except Exception as err:  # report it as a row, keep measuring the others
            note = f"FAILED: {type(err).__name__}: {str(err)[:200]}"
            results.append(Result(f"notebook {path.name}", float("nan"), "s",
                                  target=f"< {NOTEBOOK_TARGET_S:g} s", met=False, note=note))
            continue
        median = statistics.median(times)
        results.append(Result(
            f"notebook {path.name}", median, "s", target=f"< {NOTEBOOK_TARGET_S:g} s",
            met=median < NOTEBOOK_TARGET_S,
            note=f"fresh kernel, start included; {repeats} runs, "
                 f"min {min(times):.2f} s, max {max(times):.2f} s",
        ))  # fmt: skip
    suite_repeats = repeats if suite_repeats is None else suite_repeats
    runs = [nbval_suite() for _ in range(suite_repeats)]
    median = statistics.median(r[0] for r in runs)
    results.append(Result(
        "nbval suite (all notebooks)", median, "s", target=f"< {SUITE_TARGET_S:g} s",
        met=median < SUITE_TARGET_S,
        note=f"`python -m pytest notebooks -q`, {len(notebooks)} notebooks; {suite_repeats} "
             f"runs, min {min(r[0] for r in runs):.1f} s, max {max(r[0] for r in runs):.1f} s",
    ))  # fmt: skip
    passed = [r for r in runs if r[1] == 0]
    failed = [r for r in runs if r[1] != 0]
    results.append(Result(
        "nbval suite runs that passed", len(passed), f"of {len(runs)}", target="all",
        met=not failed,
        note=(f"failed: {failed[0][2]}" if failed else runs[-1][2]),
    ))  # fmt: skip
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for result in run(repeats=args.repeats):
        print(result.line())
