"""Run every benchmark and write ``benchmarks/RESULTS.md`` (``make bench``).

Each ``benchmarks/bench_*.py`` module is run in its own fresh Python process (its
``run() -> list[Result]``), so one module's threads, imports or garbage never bill another;
a module that fails becomes a row saying so. ``import mathprog`` is timed in fresh
interpreters with ``python -X importtime``. The machine is described at the top (CPU,
cores, Python, numpy and its BLAS, matplotlib, the benchmark-only packages).

Anything below the line ``<!-- notes: kept by run_all.py -->`` in an existing RESULTS.md
(profiles, before/after notes) is carried over to the new file.

Usage::

    python benchmarks/run_all.py              # everything (a few minutes on 2 cores)
    python benchmarks/run_all.py --quick      # 1 repeat of the slow notebook measurements
    python benchmarks/run_all.py --only explorers nn
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from _common import Result  # noqa: E402

RESULTS = HERE / "RESULTS.md"
NOTES_MARKER = "<!-- notes: kept by run_all.py -->"
IMPORT_TARGET_S = 1.0
_JSON_TAG = "@@RESULTS@@"


# ----------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    """The BLAS numpy uses at run time (threadpoolctl) or was built with (show_config)."""
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return "; ".join(
                f"{i.get('internal_api')} {i.get('version')} "
                f"({i.get('architecture', '?')}, {i.get('num_threads')} threads)"
                for i in infos
            )
    except Exception:
        pass
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')} (build configuration)"
    except Exception:
        return "unknown"


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def machine() -> list[tuple[str, str]]:
    import numpy as np

    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    load = ""
    try:
        load = " (load average {:.2f} {:.2f} {:.2f} at start)".format(*os.getloadavg())
    except OSError:
        pass
    return [
        ("CPU", _cpu_model()),
        ("cores", f"{cores} logical, {usable} usable by this process{load}"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("numpy", np.__version__),
        ("BLAS", _blas()),
        ("matplotlib", _version("matplotlib")),
        ("ipywidgets", _version("ipywidgets")),
        ("jupyter: nbclient / nbval / ipykernel",
         f"{_version('nbclient')} / {_version('nbval')} / {_version('ipykernel')}"),
        ("benchmark-only: torch / micrograd", f"{_version('torch')} / {_version('micrograd')}"),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- import time


def import_time(statement: str = "import mathprog", repeats: int = 7) -> Result:
    """Median cumulative import time (``-X importtime``) in fresh interpreters."""
    top = statement.split()[1].split(".")[0]
    leaf = statement.split()[1]
    times = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        cumulative = {}
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\S.*)$", line)
            if m:
                cumulative[m.group(3).strip()] = int(m.group(2))
        # `import a.b` imports a, then a.b: their cumulative times add up
        total = cumulative.get(top, 0) + (cumulative.get(leaf, 0) if leaf != top else 0)
        times.append(total / 1e6)
    median = statistics.median(times)
    return Result(
        f"`{statement}`", median, "s", target=f"< {IMPORT_TARGET_S:g} s" if leaf == top else None,
        met=(median < IMPORT_TARGET_S) if leaf == top else None,
        note=f"fresh interpreter, -X importtime, median of {repeats}",
    )  # fmt: skip


# ----------------------------------------------------------------------------- modules


def bench_modules() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def _child(path: Path, kwargs: dict) -> None:
    """In a fresh process: import one bench module, call run(), print its results as JSON."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    results = module.run(**kwargs)
    payload = [dataclasses.asdict(r) for r in results]
    print(_JSON_TAG + json.dumps(payload, default=float))


def run_module(path: Path, kwargs: dict, timeout: int = 3600) -> tuple[list[Result], float]:
    """Run one bench module in a subprocess; a failure becomes a row that says so."""
    t0 = time.perf_counter()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path),
           "--child-kwargs", json.dumps(kwargs)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [Result(path.stem, float("nan"), "", note=f"FAILED: timed out after {timeout} s",
                       met=False, target="runs")], time.perf_counter() - t0  # fmt: skip
    elapsed = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith(_JSON_TAG):
            rows = json.loads(line[len(_JSON_TAG):])
            return [Result(**row) for row in rows], elapsed
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return [Result(path.stem, float("nan"), "", target="runs", met=False,
                   note=f"FAILED (exit {proc.returncode}): {tail[:300]}")], elapsed  # fmt: skip


# ----------------------------------------------------------------------------- report


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(r: Result) -> str:
    if r.value != r.value:  # NaN: skipped or failed
        return "—"
    return f"{r.value:.4g} {r.unit}".strip()


def _status(r: Result) -> str:
    if not r.target:
        return ""
    return "met" if r.met else "**MISSED**"


def kept_sections(old: str, rerun: set[str]) -> list[str]:
    """The previous file's result sections that this run did not redo (``--only``), verbatim."""
    body = old.split(NOTES_MARKER, 1)[0]
    parts = body.split("\n## ")[1:]
    return ["## " + p.rstrip("\n") + "\n" for p in parts
            if p.split("\n", 1)[0] not in rerun | {"Machine", "Targets"}]


def render(sections: list[tuple[str, list[Result], float]], info: list[tuple[str, str]],
           started: dt.datetime, total_s: float, argv: list[str], notes: str,
           kept: list[str] | None = None) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`python benchmarks/run_all.py`) on "
        f"{started:%Y-%m-%d %H:%M} UTC in {total_s / 60:.1f} min"
        + (f", options `{' '.join(argv)}`" if argv else "")
        + ". Do not edit the tables by hand: rerun it (the notes after the marker at the end "
        "are kept). Values are medians over repeated runs; each benchmark module runs in its "
        "own fresh process.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in info],
        "",
    ]
    missed = [r for _, rows, _ in sections for r in rows if r.target and not r.met]
    out += ["## Targets", ""]
    if missed:
        out += [f"{len(missed)} target(s) missed:", ""]
        out += [f"- {r.name}: {_value(r)} (target {r.target}) {r.note}".rstrip() for r in missed]
    else:
        n = sum(1 for _, rows, _ in sections for r in rows if r.target)
        out.append(f"All {n} targets met.")
    if kept:
        out.append("The last sections were not rerun (`--only`): kept from the previous file.")
    out.append("")
    for title, rows, elapsed in sections:
        out += [
            f"## {title}",
            "",
            f"<sub>measured in {elapsed:.0f} s</sub>",
            "",
            "| measurement | median | target | | notes |",
            "|---|---:|---|---|---|",
        ]
        out += [
            f"| {_cell(r.name)} | {_value(r)} | {_cell(r.target or '')} | {_status(r)} | "
            f"{_cell(r.note)} |"
            for r in rows
        ]
        out.append("")
    out += kept or []
    out += [NOTES_MARKER, notes.strip("\n"), ""] if notes.strip() else [NOTES_MARKER, ""]
    return "\n".join(out)


_TITLES = {
    "bench_notebooks": "Notebooks (fresh kernel) and the nbval suite",
    "bench_explorers": "Explorer update latency (compute + redraw + PNG)",
    "bench_nn": "mathprog.nn against PyTorch (CPU, 1 thread)",
    "bench_autodiff": "mathprog.autodiff.Value against micrograd",
    "bench_browser": "Explorers in Chromium: key press or drag step to a new image",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark; write RESULTS.md.")
    parser.add_argument("--quick", action="store_true",
                        help="one run per notebook and of the nbval suite (rough figures)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="bench module names to run (e.g. explorers nn); default all")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-kwargs", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, json.loads(args.child_kwargs))
        return 0

    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.perf_counter()
    info = machine()
    sections: list[tuple[str, list[Result], float]] = []

    t0 = time.perf_counter()
    imports = [import_time("import mathprog"), import_time("import mathprog.widgets", 5)]
    print("\n".join(r.line() for r in imports), flush=True)
    sections.append(("Import time", imports, time.perf_counter() - t0))

    for path in bench_modules():
        short = path.stem.removeprefix("bench_")
        if args.only is not None and short not in args.only and path.stem not in args.only:
            continue
        kwargs = {"repeats": 1} if args.quick and path.stem == "bench_notebooks" else {}
        print(f"running {path.name} ...", flush=True)
        rows, elapsed = run_module(path, kwargs)
        print("\n".join(r.line() for r in rows), flush=True)
        sections.append((_TITLES.get(path.stem, path.stem), rows, elapsed))

    notes, kept = "", []
    if args.output.exists():
        old = args.output.read_text()
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1]
        if args.only is not None:
            kept = kept_sections(old, {title for title, _, _ in sections})
    shown_argv = [a for a in (argv if argv is not None else sys.argv[1:])]
    args.output.write_text(render(sections, info, started, time.perf_counter() - t_start,
                                  shown_argv, notes, kept))  # fmt: skip
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
