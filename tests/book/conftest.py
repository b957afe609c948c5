"""Browser-test harness for the static book (``make book`` → ``_build/book/``).

* ``book_site`` (session): the built site; skipped with the reason when it is not built,
  failed instead under ``MATHPROG_REQUIRE_BROWSER`` (CI).
* ``book_server`` (session): a plain local HTTP server (``http.server`` in a thread) on a
  free port of 127.0.0.1, serving ``_build/book/``.
* ``book_browser`` (session): Debian's Chromium through Playwright, found and launched with
  the flags of ``tests/browser/conftest.py`` (imported, not copied).
* ``book_page`` (function): a fresh page whose every request to another host than the local
  server is blocked *and counted* (``.external``), with the console's errors and the page's
  uncaught exceptions collected (``.errors``); on failure a full-page screenshot and the
  console go to ``tests/browser/artifacts/`` (the folder CI keeps).

These tests run only when asked for by path (``make test-book`` = ``pytest tests/book``):
CI's ``make test`` runs before ``make book``, and a missing book must not count as passing
there. ``MATHPROG_BOOK_TESTS=1`` collects them in any run.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BOOK_SITE = Path(os.environ.get("MATHPROG_BOOK_SITE") or REPO / "_build" / "book")


def _load_browser_harness():
    spec = importlib.util.spec_from_file_location(
        "mathprog_browser_harness", REPO / "tests" / "browser" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = _load_browser_harness()
ARTIFACTS = harness.ARTIFACTS


def pytest_ignore_collect(collection_path, config):
    """Collect tests/book only when a command-line argument points into it."""
    if os.environ.get("MATHPROG_BOOK_TESTS", "").strip() in ("1", "true", "yes"):
        return None
    for arg in config.args:
        target = Path(str(arg).split("::")[0]).resolve()
        if target == HERE or HERE in target.parents:
            return None
    return True


@pytest.fixture(scope="session")
def book_site() -> Path:
    if not (BOOK_SITE / "intro.html").is_file():
        harness._unavailable(f"the book is not built ({BOOK_SITE}/intro.html is missing): "
                             "run `make book`")
    return BOOK_SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="session")
def book_server(book_site) -> Iterator[str]:
    port = harness._free_port()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(_QuietHandler, directory=str(book_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def book_browser(book_site) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        harness._unavailable("the 'playwright' Python package is not installed")
    executable = harness.find_chromium()
    if executable is None:
        harness._unavailable("no Chromium found; install Debian's: apt-get install -y chromium")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=executable, headless=True,
                                          args=harness.CHROMIUM_FLAGS)
    except Exception as err:
        manager.stop()
        harness._unavailable(f"Chromium at {executable} did not start: {err}")
    yield browser
    browser.close()
    manager.stop()


class BookPage:
    """One page of the book in a fresh browser context, offline but for the local server."""

    def __init__(self, browser, base: str, color_scheme: str = "light") -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                           color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.external: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        self.page.on("requestfailed", lambda req: self.failed.append(
            f"{req.url}: {req.failure}") if req.url.startswith(self.base) else None)
        self.page.on("response", lambda resp: self.failed.append(
            f"{resp.url}: HTTP {resp.status}") if resp.status >= 400 else None)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/") or url.startswith("data:"):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console.error: {msg.text}")

    def open(self, path: str) -> object:
        self.path = path
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        # MathJax typesets after load; wait until it says it is done
        self.page.evaluate("""async () => {
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await MathJax.startup.promise;
            }
        }""")
        return self.page

    def screenshot(self, name: str, **kwargs) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), **kwargs)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def book_page(request, book_browser, book_server) -> Iterator[BookPage]:
    page = BookPage(book_browser, book_server)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        stem = "FAILED-book-" + request.node.name.replace("/", "_").replace("[", "-").strip("]")
        try:
            page.screenshot(f"{stem}.png", full_page=True)
        except Exception:  # a dead page must not hide the failure itself
            pass
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{stem}-console.txt").write_text(
            "\n".join(page.errors + page.failed + [f"blocked: {u}" for u in page.external]))
    page.close()
