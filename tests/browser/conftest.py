"""Browser fixtures: the real app on a live port with the demo bank, and headless Chromium.

The live server runs once per test run, on a database of its own (never the shared
per-test database, which other tests empty between them), with CSRF switched on and rate
limits off. Each test gets a fresh browser context, so no cookies leak between tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.databases import TestDatabases, create_postgres_database, drop_postgres_database, migrate

if TYPE_CHECKING:
    from flask import Flask

# Debian's Chromium; Playwright's own browser downloads are never used.
CHROMIUM = os.environ.get("TIMEBANK_TEST_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet: the machine has no network, and without the background-networking
# switches Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 360, "height": 740}
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class LiveServer:
    """The app being served: its base URL, and the app itself for reading the fake SMS."""

    url: str
    app: Flask

    @property
    def sms_sent(self) -> list[Any]:
        """Return every text the fake SMS backend has "sent", oldest first."""
        return self.app.extensions["timebank_sms"].sent


def missing_browser_reason() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[dev]')"
    return None


def session_database(databases: TestDatabases) -> tuple[str, Callable[[], None]]:
    """Return a migrated database for the whole run that no other test touches, and its drop."""
    if databases.engine == "sqlite":
        return databases.fresh(), lambda: None
    url = create_postgres_database("timebank_browser")
    migrate(url)
    return url, lambda: drop_postgres_database(url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Start headless Debian Chromium once per run; skip (or fail on CI) without it."""
    reason = missing_browser_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"Browser tests cannot run: {reason}. CI requires them.", pytrace=False)
        pytest.skip(f"Browser tests skipped: {reason}.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(browser: Any, databases: TestDatabases) -> Iterator[LiveServer]:
    """Serve the app, seeded with the demo bank, from a background thread on 127.0.0.1."""
    from timebank.demo.seed import seed_demo_bank

    with serving(databases, seed_demo_bank) as server:
        yield server


@contextmanager
def serving(databases: TestDatabases, seed: Callable[[Any], Any]) -> Iterator[LiveServer]:
    """Serve the app on a database of its own, first filled by `seed(session)`."""
    from werkzeug.serving import make_server

    from timebank import create_app
    from timebank.extensions import db

    url, drop = session_database(databases)
    overrides = {"DATABASE_URL": url, "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}
    app = create_app("testing", overrides)
    with app.app_context():
        seed(db.session())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        drop()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Return a page in a fresh browser context: a 360 x 740 phone screen on the live server."""
    context = browser.new_context(viewport=PHONE_VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page_without_javascript(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Return a phone-sized page with JavaScript switched off, as on a locked-down phone."""
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, base_url=live_server.url, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
