"""A live server in a thread and a headless Debian Chromium driven by Playwright.

Browser tests really commit (the server runs in another thread); the root conftest
empties the transactional tables after each. A missing Chromium fails in CI and skips
locally. Never downloads a browser.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(20_000)  # generous: CI machines are busy
    yield page
    context.close()


@pytest.fixture
def committed(app: Flask) -> Iterator[None]:
    """An application context whose writes the live server can see (call commit())."""
    with app.app_context():
        yield
