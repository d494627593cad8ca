"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, installed by ``make install``;
never a browser download) headless against ``arrears serve``'s application on a loopback port. One server and
one browser for the whole session keep the suite fast: the office is built once, on SQLite, and each test works
its own accounts. Every page a test opens may load only from the server (checked after each test), and each
test saves a screenshot of the pages it saw under ``out/screenshots/`` (``ARREARS_ARTIFACTS`` to move it)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from arrears.api.app import create_app
from arrears.api.settings import Settings
from arrears.store.db import Database, make_engine, sqlite_url
from tests.api.conftest import PASSWORD
from tests.web.conftest import build_office

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ARREARS_ARTIFACTS", "out")) / "screenshots"


@dataclass
class Server:
    """The served office: its address and database."""

    url: str
    db: Database


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Server]:
    """The office served on a loopback port for the whole session."""
    path = tmp_path_factory.mktemp("web") / "arrears.db"
    shutil.copy(sqlite_template, path)
    db = Database(make_engine(sqlite_url(path)))
    build_office(db)
    port = _free_port()
    app = create_app(Settings(mode="development", allowed_hosts=["127.0.0.1"]), database=db)
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=served.run, name="web-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", db)
    served.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: make install installs it (scripts/ensure-browser.sh)")
        pytest.skip(f"{CHROMIUM} is missing: run make install (scripts/ensure-browser.sh)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A browser tab on the server, recording every request it makes."""

    page: Page
    server: Server
    name: str
    requests: list[str] = field(default_factory=list)
    shots: int = 0

    def go(self, path: str) -> None:
        """Open ``path`` of the server."""
        self.page.goto(self.server.url + path)

    def login(self, login: str, path: str = "/") -> None:
        """Sign in as ``login`` through the login form (coming from ``path``)."""
        self.go(path)
        self.page.get_by_label("Login").fill(login)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()

    def settled(self) -> None:
        """Wait until htmx has no request in flight and has settled what it swapped in (a form's choices being
        refreshed, a link followed): until then the new content (``htmx-added``) does not answer to events yet."""
        busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
        self.page.wait_for_function(f"() => !document.querySelector('{busy}')")

    def shot(self, what: str) -> None:
        """Save a screenshot of the page as it is now (a test artifact)."""
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{self.name}-{self.shots:02d}-{what}.png",
                             full_page=True)  # fmt: skip


@pytest.fixture
def visit(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """A fresh browser context (no cookies) on the server; after the test, every request it made must have
    stayed on the server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    shown = Visit(page, server, request.node.name.removeprefix("test_"))
    page.on("request", lambda sent: shown.requests.append(sent.url))
    yield shown
    context.close()
    elsewhere = [url for url in shown.requests if not url.startswith(server.url + "/")]
    assert elsewhere == [], f"pages loaded from outside the server: {elsewhere}"
