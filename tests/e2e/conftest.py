"""Browser harness: Playwright's Python package driving Debian's Chromium against a live server.

A missing browser is a failure, never a skip: install it with ``apt-get install chromium``
(scripts/test does that when it can), or point ONECLICK_CHROMIUM at another binary.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("ONECLICK_E2E_ARTIFACTS") or Path(tempfile.gettempdir()) / "oneclick-e2e")


def chromium_path() -> str:
    """Return the Chromium binary to drive, or fail the test run loudly."""
    path = os.environ.get("ONECLICK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: run `apt-get install chromium` (scripts/test does this as root).")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The app served by werkzeug on a loopback port in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)

    def outbox(self):
        """Return the messages the app has sent (memory mail backend)."""
        return self.app.extensions.setdefault("oneclick.outbox", [])


@pytest.fixture
def live_server(app):
    # Links and QR codes must point at the live server for the browser to follow them.
    with LiveServer(app) as server:
        app.config["PUBLIC_URL"] = server.url
        yield server


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _new_context(browser, request, name: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot saved: {shot}")
    context.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser page (own cookies) on the live server; a screenshot is saved on failure."""
    yield from _new_context(browser, request, "page")


@pytest.fixture
def other_page(browser, live_server, request):
    """A second, independent browser context (another person)."""
    yield from _new_context(browser, request, "other")


@pytest.fixture
def screenshots():
    """Folder for screenshots a test takes on purpose."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
