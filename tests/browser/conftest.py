"""Browser-test harness: one real JupyterLab server and one headless Chromium per session.

How it works
------------
* ``lab_server`` (session) copies the notebooks into a temporary folder and starts the
  project's own ``jupyter lab`` (``sys.executable -m jupyter lab``) on 127.0.0.1 on a free
  port, with no token, XSRF checks off (so the REST ``DELETE /api/sessions/<id>`` works) and
  isolated config/data/runtime/settings/workspaces/IPython dirs. The isolated
  ``labconfig/page_config.json`` disables the "Jupyter news?" popup and sets
  ``exposeAppInBrowser`` so the tests can ask JupyterLab itself (``window.jupyterapp``)
  whether the notebook's kernel is ready. At the end it shuts the server down through
  ``POST /api/shutdown`` (which also stops the kernels) and, as a fallback, terminates the
  server process and any kernel whose command line names this session's runtime dir.
* ``chromium`` (session) launches Debian's Chromium through Playwright. Where no Chromium
  (or no Playwright) is found the browser tests are skipped with the reason, unless
  ``MATHPROG_REQUIRE_BROWSER`` is set (``.ci/run`` sets it), in which case they fail.
* ``lab`` (function) gives a :class:`LabNotebook` driver on a fresh page; at the end of the
  test it deletes every kernel session, so no kernel state leaks into the next notebook.

The "Run All runs nothing" flake (looks like jupyterlab/jupyterlab#8490)
-----------------------------------------------------------------------
On a fresh kernel, "Run All Cells" issued as soon as the execution indicator first shows
"idle" sometimes executes nothing: the prompts clear to ``[ ]:``. Measured cause (fresh
server each time, scratch notebook): the indicator is rendered with ``data-status='idle'``
*before the notebook's session has a kernel at all* (``sessionContext.isReady`` false,
``session.kernel`` null). Run All in that window clears the cells and has no kernel to send
them to. Clicking at that moment failed 3 of 6 times; waiting for the real signal below
passed 6 of 6 (it costs 1-2 s).
:meth:`LabNotebook.wait_kernel_ready` therefore waits for: the notebook's ``sessionContext``
ready, a kernel whose connection is ``connected``, its ``kernel_info`` reply received
(``kernel.info`` resolved) and its status ``idle``. As a safety net only,
:meth:`LabNotebook.run_all` verifies that execution actually started (the first code cell
gets an execution count within 15 s) and otherwise issues Run All again, at most 3 attempts;
every retry is printed and counted in ``LabNotebook.run_all_attempts``, so a regression is
visible rather than hidden.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The notebooks under test; MATHPROG_BROWSER_NOTEBOOKS points the harness at another folder.
NOTEBOOKS = Path(os.environ.get("MATHPROG_BROWSER_NOTEBOOKS") or REPO / "notebooks")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_ENV = "MATHPROG_REQUIRE_BROWSER"

# Bounds for the Run All retry (see the module docstring).
RUN_ALL_ATTEMPTS = 3
RUN_ALL_START_TIMEOUT_MS = 15_000


def _browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    """Skip (developer machine) or fail (CI: MATHPROG_REQUIRE_BROWSER set)."""
    if _browser_required():
        pytest.fail(f"{reason}, and {REQUIRE_ENV} is set, so browser tests may not skip")
    pytest.skip(reason)


def find_chromium() -> str | None:
    """Path of a Chromium binary: $MATHPROG_CHROMIUM, Debian's chromium, or one on PATH."""
    explicit = os.environ.get("MATHPROG_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(url: str, method: str = "GET", timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (localhost)
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class LabServer:
    """A running ``jupyter lab`` process serving ``root`` on ``url``."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyter-server.log"
        self.runtime_dir = home / "runtime"
        self.proc: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        config = self.home / "config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        page_config = {
            "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True},
            # window.jupyterapp: lets the tests read the kernel's real readiness.
            "exposeAppInBrowser": True,
        }
        (config / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel must use the notebook's inline backend
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            IPYTHONDIR=str(self.home / "ipython"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 90.0) -> None:
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.environment(), stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{self.log_tail()}")
            try:
                status, _ = _http(f"{self.url}/api/status", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def sessions(self) -> list[dict]:
        status, body = _http(f"{self.url}/api/sessions")
        return json.loads(body) if status == 200 else []

    def delete_sessions(self) -> None:
        """Delete every kernel session (stops their kernels): no state leaks between tests."""
        for session in self.sessions():
            _http(f"{self.url}/api/sessions/{session['id']}", method="DELETE", timeout=30)
        for _ in range(40):
            status, body = _http(f"{self.url}/api/kernels")
            if status != 200 or not json.loads(body):
                return
            time.sleep(0.25)

    def _our_kernel_pids(self) -> list[int]:
        """Kernels launched by this server: their command line names our runtime dir."""
        marker = str(self.runtime_dir).encode()
        pids = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                _http(f"{self.url}/api/shutdown", method="POST", timeout=10)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        for pid in self._our_kernel_pids():  # fallback: kernels the shutdown missed
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self._log.close()
        self.proc = None


# JavaScript run inside the page (window.jupyterapp exists thanks to exposeAppInBrowser).
_JS_KERNEL_STATE = """
async () => {
  const app = window.jupyterapp;
  if (!app) { return {error: 'window.jupyterapp missing'}; }
  const panel = app.shell.currentWidget;
  if (!panel || !panel.sessionContext) { return {error: 'no notebook panel'}; }
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel) { return {error: 'no kernel yet'}; }
  const info = await kernel.info;
  return {
    status: kernel.status,
    connection: kernel.connectionStatus,
    implementation: info && info.implementation,
    sessionId: panel.sessionContext.session.id,
  };
}
"""


class LabNotebook:
    """Drives one notebook in JupyterLab through a Playwright page."""

    def __init__(self, page, server: LabServer, artifacts: Path) -> None:
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self.run_all_attempts = 0
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    # -- opening and readiness ------------------------------------------------------------
    def open(self, name: str, timeout_ms: int = 60_000) -> None:
        """Open ``name`` (relative to the server root) with ``?reset`` (no old workspace)."""
        self.name = name
        self.page.goto(f"{self.server.url}/lab/tree/{name}?reset", timeout=timeout_ms)
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(
            state="visible", timeout=timeout_ms
        )
        self.wait_kernel_ready(timeout_ms)

    def wait_kernel_ready(self, timeout_ms: int = 60_000) -> dict:
        """Wait for the kernel's real readiness, not just the first "idle" indicator."""
        self.page.locator(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']"
        ).first.wait_for(state="visible", timeout=timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        state: dict = {}
        while time.monotonic() < deadline:
            state = self.page.evaluate(_JS_KERNEL_STATE)
            if state.get("status") == "idle" and state.get("connection") == "connected":
                return state
            self.page.wait_for_timeout(100)
        raise AssertionError(f"kernel never became ready: {state}")

    # -- execution ------------------------------------------------------------------------
    def code_cells(self):
        return self.page.locator(".jp-Notebook .jp-CodeCell")

    def _prompt(self, index: int) -> str:
        prompt = self.code_cells().nth(index).locator(".jp-InputArea-prompt").first
        return (prompt.text_content() or "").strip()

    def _click_run_all(self) -> None:
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def run_all(self, timeout_ms: int = 120_000) -> None:
        """Run All Cells and wait until every code cell has run and the kernel is idle.

        Bounded retry (see module docstring): if the first code cell has no execution count
        within RUN_ALL_START_TIMEOUT_MS, Run All is issued again, at most RUN_ALL_ATTEMPTS.
        """
        n_code = self.code_cells().count()
        assert n_code > 0, f"{self.name}: no code cells"
        for attempt in range(1, RUN_ALL_ATTEMPTS + 1):
            self.run_all_attempts = attempt
            self._click_run_all()
            started = self._wait_for(
                lambda: self._prompt(0) not in ("", "[ ]:"), RUN_ALL_START_TIMEOUT_MS
            )
            if started:
                break
            print(f"[browser] {self.name}: Run All attempt {attempt} executed nothing "
                  f"(first prompt {self._prompt(0)!r}); retrying")  # fmt: skip
        else:
            raise AssertionError(
                f"{self.name}: Run All executed nothing in {RUN_ALL_ATTEMPTS} tries"
            )
        # Done when the last code cell has a number (not [*]) and the kernel is idle, or
        # when a cell failed (Run All stops there) and the kernel has stayed idle for 2 s.
        last = n_code - 1
        idle = self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        idle_since: list[float] = []

        def finished() -> bool:
            if idle.count() == 0:
                idle_since.clear()
                return False
            if self._prompt(last)[1:-2].strip().isdigit():
                return True
            if not idle_since:
                idle_since.append(time.monotonic())
            return bool(self.error_outputs()) and time.monotonic() - idle_since[0] > 2.0

        if not self._wait_for(finished, timeout_ms):
            raise AssertionError(
                f"{self.name}: Run All did not finish within {timeout_ms / 1000:.0f} s "
                f"(last prompt {self._prompt(last)!r})"
            )

    def _wait_for(self, predicate, timeout_ms: int, poll_ms: int = 100) -> bool:
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.page.wait_for_timeout(poll_ms)
        return predicate()

    def error_outputs(self) -> list[str]:
        """Text of every error or stderr output shown in the notebook."""
        outputs = self.page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        return [outputs.nth(i).inner_text() for i in range(outputs.count())]

    def unexecuted_prompts(self) -> list[int]:
        """Indices of code cells without an execution count."""
        return [
            i for i in range(self.code_cells().count())
            if not self._prompt(i)[1:-2].strip().isdigit()
        ]  # fmt: skip

    # -- evidence ---------------------------------------------------------------------------
    def screenshot(self, label: str, locator=None) -> Path:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{Path(self.name).stem}-{label}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def save_failure_artifacts(self, label: str) -> None:
        """The whole page, the browser console and the server log's tail, for a failure."""
        stem = f"FAILED-{label}".replace("/", "_")
        self.artifacts.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(self.artifacts / f"{stem}.png"), full_page=True)
        except Exception as err:  # a dead page must not hide the test's own failure
            self.console.append(f"(screenshot failed: {err})")
        (self.artifacts / f"{stem}-console.txt").write_text("\n".join(self.console))
        (self.artifacts / f"{stem}-server.log").write_text(self.server.log_tail(200))


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (skip/fail when unavailable)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the 'playwright' Python package is not installed")
    executable = find_chromium()
    if executable is None:
        _unavailable(
            "no Chromium found (looked for $MATHPROG_CHROMIUM, "
            + ", ".join(CHROMIUM_CANDIDATES)
            + "); install Debian's: apt-get install -y chromium"
        )
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
    except Exception as err:  # a broken binary is as unavailable as a missing one
        manager.stop()
        _unavailable(f"Chromium at {executable} did not start: {err}")
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A temporary copy of notebooks/ (JupyterLab marks opened notebooks modified)."""
    root = tmp_path_factory.mktemp("lab-root")
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
    return root


@pytest.fixture(scope="session")
def lab_server(chromium, lab_root, tmp_path_factory) -> Iterator[LabServer]:
    """One JupyterLab server for the whole session (started only if a browser exists)."""
    server = LabServer(lab_root, tmp_path_factory.mktemp("lab-home"))
    server.start()
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so ``lab`` knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@contextmanager
def lab_page(browser, server: LabServer, label: str) -> Iterator[LabNotebook]:
    """A fresh browser context and page on ``server`` (no state shared between notebooks:
    a shared context measured no faster); afterwards every kernel session is deleted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    driver = LabNotebook(page, server, ARTIFACTS)
    driver.name = label
    try:
        yield driver
    finally:
        context.close()
        server.delete_sessions()


@pytest.fixture(scope="session")
def open_lab(chromium, lab_server):
    """``open_lab(label)``: a context manager giving a :class:`LabNotebook` on a new page."""
    return lambda label: lab_page(chromium, lab_server, label)


@pytest.fixture
def lab(request, open_lab) -> Iterator[LabNotebook]:
    """A fresh page driving JupyterLab; every kernel session is deleted afterwards.

    On failure the whole page, the browser console and the server log's tail are saved
    under ``tests/browser/artifacts/`` (git-ignored; CI keeps the folder on failure).
    """
    with open_lab(request.node.name) as driver:
        yield driver
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            driver.save_failure_artifacts(request.node.name)
