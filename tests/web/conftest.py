"""An office for the web pages, on SQLite and PostgreSQL: two portfolios, accounts in collections, a user of
every role, two contact plans that prompt (one for a start date, one before deleting the pending work) and one
that queues a letter.

    NORTH  evans, ford, gray, harris (97 days past due on 2026-02-20: in collections, collector BO, Call 1)
           adams (not in collections)
    SOUTH  sloan (in collections, collector LO)

    admin   admin       every portfolio
    mgr     manager     NORTH
    BO      collector   NORTH
    LO      collector   SOUTH
    aud     auditor     every portfolio
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import escape

import httpx
import pytest
from fastapi.testclient import TestClient

from arrears.api.app import create_app
from arrears.api.settings import Settings
from arrears.domain.plans import EventType, Plan, PlanEvent, Timing
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.run import run_day
from arrears.services.security import add_user
from arrears.store.db import Database
from tests.api.conftest import PASSWORD, SAVED, USERS
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, world

DAY = "2026-02-20"
ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
ford Ford NORTH
    2025-11-01 charge 500.00 due 2025-11-15
gray Gray NORTH
    2025-11-01 charge 500.00 due 2025-11-15
harris Harris NORTH
    2025-11-01 charge 500.00 due 2025-11-15
adams Adams NORTH
    2026-01-20 charge 300.00 due 2026-02-10
sloan Sloan SOUTH
    2025-11-01 charge 400.00 due 2025-11-15
"""
PLANS = (
    Plan("START", "A review a week after the start date the user gives", prompt_for_start_date=True, events=(
        PlanEvent(1, EventType.REVIEW, "Start review", timing=Timing.DELAY_DAYS, days=7),
    )),
    Plan("CLEAR", "Clear the pending work and note it", delete_all_pending=True, prompt_before_deleting=True,
         events=(PlanEvent(1, EventType.NOTE, "Pending work cleared"),)),
    Plan("WELCOME", "The first letter, now", events=(PlanEvent(1, EventType.LETTER, "L30"),)),
)  # fmt: skip
WEB_STRATEGY = replace(SAVED, plans=PLANS)


def build_office(db: Database) -> None:
    """The office's portfolios, accounts, configuration, the run of 2026-02-20, and the logins."""
    portfolios(db)
    world(db, ACCOUNTS)
    applied = apply_document(db, dump_strategy(WEB_STRATEGY), actor="admin", confirm=True)
    assert applied.errors == (), applied.errors
    run_day(db, d(DAY), strategy=replace(STRATEGY, plans=PLANS))
    now = datetime.now(UTC)
    for login, (role, scope) in USERS.items():
        add_user(db, login, role, PASSWORD, scope, actor="setup", now=now)


@dataclass
class Site:
    """The pages served to a test client over HTTPS (the session cookie is Secure)."""

    client: TestClient
    db: Database

    def login(self, login: str, password: str = PASSWORD) -> None:
        """Sign in as ``login`` (the client keeps the cookies)."""
        page = self.client.get("/login")
        answer = self.client.post("/login", data={"login": login, "password": password,
                                                  "csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert answer.status_code == 303, answer.text

    def switch(self, login: str, password: str = PASSWORD) -> None:
        """Sign out, then in again as ``login``."""
        self.client.post("/logout", data={"csrf_token": self.csrf("/accounts")})
        self.login(login, password)

    def csrf(self, path: str) -> str:
        """The CSRF token of the forms of the page at ``path``."""
        return csrf_of(self.client.get(path).text)

    def post(self, path: str, form_page: str = "/accounts", **fields: object) -> httpx.Response:
        """Send the form of ``form_page`` whose action is ``path``, as the page gives it (its CSRF token, and its
        one-time token when it has one), with ``fields`` (the answer, not followed)."""
        page = self.client.get(form_page).text
        data = {"csrf_token": csrf_of(page), **form_token_of(page, path), **fields}
        return self.client.post(path, data=data, follow_redirects=False)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    """The office on SQLite, then PostgreSQL."""
    build_office(db)
    app = create_app(Settings(mode="development", allowed_hosts=["testserver"]), database=db)
    with TestClient(app, base_url="https://testserver") as client:
        yield Site(client, db)


@pytest.fixture
def admin(site: Site) -> Site:
    """The office, signed in as the administrator."""
    site.login("admin")
    return site


def option_labels(html: str, select_id: str) -> list[str]:
    """The labels of the options of the select ``select_id``."""
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", _select(html, select_id))]


def option_values(html: str, select_id: str) -> list[str]:
    """The values of the options of the select ``select_id``."""
    return re.findall(r'<option value="([^"]*)"', _select(html, select_id))


def form_token_of(html: str, action: str) -> dict[str, str]:
    """The one-time token of the page's form whose action is ``action`` (none when it has no such form)."""
    start = html.find(f'action="{escape(action)}"')
    if start < 0:
        return {}
    form = html[start:html.index("</form>", start)]
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    return {"form_token": token[1]} if token else {}


def _select(html: str, select_id: str) -> str:
    block = html[html.index(f'id="{select_id}"'):]
    return block[:block.index("</select>")]
