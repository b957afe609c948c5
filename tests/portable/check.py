"""The portable check (`make test-portable`): nbval over every notebook in several environments.

A stored output is a claim that must hold on every machine, so each notebook is re-run (nbval
starts a fresh kernel per notebook) and compared, failing on any difference, under:

* the `make test` venv (.venv) with OPENBLAS_CORETYPE = Haswell, Sandybridge, Prescott in
  turn (other CPUs run other BLAS kernels), and once with OPENBLAS_NUM_THREADS=1;
* .venv-low: Python 3.10 with the lowest versions pyproject.toml allows, pinned in
  tests/portable/constraints-low.txt (regenerate with `make portable-constraints`);
* .venv-new: the newest Python found (3.13, else 3.12) with the newest releases.

.venv-low and .venv-new are made once and reused while the files they were built from are
unchanged (a stamp holds their hash, like `make test`'s set-up). A missing Python skips its
environment with a reason on a developer's machine and fails when CI=true. Unit tests are
not run here: `make test` runs them once. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOGS = ROOT / "build" / "portable"
CONSTRAINTS_LOW = HERE / "constraints-low.txt"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class Env:
    name: str
    venv: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    pythons: tuple[str, ...] = ()  # wanted minor versions, best first (made venvs only)
    inputs: tuple[Path, ...] = ()  # files the venv is built from (its stamp hashes them)
    pip_args: tuple[str, ...] = ()
    python: str | None = None  # the interpreter the venv was made from
    result: dict = field(default_factory=dict)


def find_python(minor: str) -> str | None:
    """A working interpreter for `minor` ("3.13"): pyenv's versions first (its shims fail)."""
    candidates = []
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    except OSError:
        root = ""
    root = root or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(f"{root}/versions/{minor}.*/bin/python"), reverse=True)
    candidates += [f"/usr/bin/python{minor}", f"/usr/local/bin/python{minor}"]
    if shutil.which(f"python{minor}"):
        candidates.append(shutil.which(f"python{minor}"))
    for exe in candidates:
        try:
            out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == minor:
            return exe
    return None


def stamp_of(env: Env) -> str:
    h = hashlib.sha256()
    h.update(env.python.encode())
    for path in env.inputs:
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_venv(env: Env, log) -> None:
    """Make env.venv from env.python unless its stamp says it is up to date."""
    stamp_file = env.venv / ".portable-stamp"
    want = stamp_of(env)
    if stamp_file.exists() and stamp_file.read_text().strip() == want:
        print(f"[{env.name}] reusing {env.venv.name} (unchanged)", flush=True)
        return
    print(f"[{env.name}] building {env.venv.name} from {env.python} ...", flush=True)
    shutil.rmtree(env.venv, ignore_errors=True)
    py = str(env.venv / "bin" / "python")
    for cmd in ([env.python, "-m", "venv", str(env.venv)],
                [py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                [py, "-m", "pip", "install", "--quiet", *env.pip_args, "-e", ".[dev]"]):
        subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    stamp_file.write_text(want + "\n")


def versions(py: str, extra_env: dict[str, str]) -> str:
    code = ("import sys, numpy, matplotlib, ipywidgets; "
            "print('Python %d.%d.%d' % sys.version_info[:3], 'numpy', numpy.__version__, "
            "'matplotlib', matplotlib.__version__, 'ipywidgets', ipywidgets.__version__)")
    out = subprocess.run([py, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **extra_env})
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def run_env(env: Env, notebooks: list[str]) -> Env:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{env.name}.log"
    xml_path = LOGS / f"{env.name}.xml"
    start = time.monotonic()
    with open(log_path, "w") as log:
        if env.pythons:  # a venv this script makes
            for minor in env.pythons:
                env.python = find_python(minor)
                if env.python:
                    break
            if env.python is None:
                env.result = {"status": "missing",
                              "reason": f"no Python {' or '.join(env.pythons)} found"}
                return env
            try:
                ensure_venv(env, log)
            except subprocess.CalledProcessError as exc:
                env.result = {"status": "setup-failed",
                              "reason": f"{exc.cmd[2:5]} exited {exc.returncode}; see {log_path}"}
                return env
        py = str(env.venv / "bin" / "python")
        env.result["versions"] = versions(py, env.extra_env)
        print(f"[{env.name}] nbval on {len(notebooks)} notebooks ...", flush=True)
        xml_path.unlink(missing_ok=True)
        proc = subprocess.run(
            [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml_path}",
             *notebooks],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **env.extra_env, "PYTHONHASHSEED": "0"})
    env.result.update(parse_junit(xml_path), seconds=time.monotonic() - start,
                      returncode=proc.returncode)
    env.result["status"] = "passed" if proc.returncode == 0 else "failed"
    return env


def parse_junit(path: Path) -> dict:
    if not path.exists():
        return {"passed": 0, "failed": 0, "failures": ["no junit report (pytest crashed?)"]}
    failures, passed = [], 0
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            nb = case.get("classname", "").rsplit(".", 1)[0].split(".")[-1]  # notebooks.05_x.ipynb
            failures.append(f"{nb} {case.get('name')}")
        elif case.find("skipped") is None:
            passed += 1
    return {"passed": passed, "failed": len(failures), "failures": failures}


def environments() -> list[Env]:
    venv = ROOT / ".venv"
    envs = [
        Env("low", ROOT / ".venv-low", pythons=("3.10",),
            inputs=(ROOT / "pyproject.toml", CONSTRAINTS_LOW),
            pip_args=("-c", str(CONSTRAINTS_LOW))),
        Env("new", ROOT / ".venv-new", pythons=("3.13", "3.12"),
            inputs=(ROOT / "pyproject.toml",), pip_args=("--upgrade",)),
    ]
    for core in ("Haswell", "Sandybridge", "Prescott"):
        envs.append(Env(f"coretype-{core}", venv, {"OPENBLAS_CORETYPE": core}))
    envs.append(Env("threads-1", venv, {"OPENBLAS_NUM_THREADS": "1"}))
    return envs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="environments run at once")
    parser.add_argument("--only", action="append", help="run only these environments")
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    envs = [e for e in environments() if not args.only or e.name in args.only]
    if not (ROOT / ".venv" / "bin" / "python").exists():
        print("no .venv: run `make setup` first (make test-portable does)", file=sys.stderr)
        return 2
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda e: run_env(e, notebooks), envs))
    print(f"\nPortable check: {len(notebooks)} notebooks, {time.monotonic() - start:.0f} s")
    print(f"{'environment':<22}{'result':<14}{'cells passed':>13}{'failed':>8}{'time':>7}"
          "  versions")
    bad = False
    for env in done:
        r = env.result
        if r["status"] in ("missing", "setup-failed"):
            fatal = r["status"] == "setup-failed" or IN_CI
            bad |= fatal
            verdict = "FAILED" if fatal else "skipped"
            print(f"{env.name:<22}{verdict:<14}{'-':>13}{'-':>8}{'-':>7}  {r['reason']}"
                  + (" (CI=true: a missing Python is a failure)" if IN_CI and fatal else ""))
            continue
        bad |= r["status"] != "passed"
        print(f"{env.name:<22}{r['status'].upper() if r['status'] != 'passed' else 'passed':<14}"
              f"{r['passed']:>13}{r['failed']:>8}{r['seconds']:>6.0f}s  {r['versions']}"
              + (" " + " ".join(f"{k}={v}" for k, v in env.extra_env.items())))
        for f in r["failures"]:
            print(f"{'':<24}- {f}")
    print(f"Logs: {LOGS.relative_to(ROOT)}/<environment>.log")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
