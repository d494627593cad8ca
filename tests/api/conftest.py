"""An office served over HTTP, on SQLite and PostgreSQL: two portfolios, an account in collections in each, and
a user of every role with a token.

    NORTH  evans (97 days past due on 2026-02-20: in collections, collector BO, Call 1), adams (not in)
    SOUTH  sloan (in collections, collector LO)

    admin   admin       every portfolio
    mgr     manager     NORTH
    BO      collector   NORTH
    LO      collector   SOUTH
    aud     auditor     every portfolio
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.api.app import create_app
from arrears.api.settings import Settings
from arrears.domain.strategy import User
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.run import run_day
from arrears.services.security import add_user, create_token
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, world

ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
adams Adams NORTH
    2026-01-20 charge 300.00 due 2026-02-10
sloan Sloan SOUTH
    2025-11-01 charge 400.00 due 2025-11-15
"""
PASSWORD = "correct horse battery"
USERS = {"admin": ("admin", []), "mgr": ("manager", ["NORTH"]), "BO": ("collector", ["NORTH"]),
         "LO": ("collector", ["SOUTH"]), "aud": ("auditor", [])}  # fmt: skip
SAVED = replace(
    STRATEGY,
    letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters),
    users=(User("admin", "Administrator", 99), User("mgr", "Manager", 80), User("aud", "Auditor", 0)),
)


@dataclass
class Office:
    """The served office: a client, the database, and a bearer token per login."""

    client: TestClient
    db: Database
    tokens: dict[str, str]

    def headers(self, login: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}", **extra}

    def get(self, login: str, path: str, **params: object) -> object:
        return self.client.get(f"/api/v1{path}", headers=self.headers(login), params=params)

    def post(self, login: str, path: str, body: object, **headers: str) -> object:
        return self.client.post(f"/api/v1{path}", headers=self.headers(login, **headers), json=body)


@pytest.fixture
def office(db: Database, tmp_path: Path) -> Iterator[Office]:
    """The office on SQLite, then PostgreSQL."""
    yield from served(db, tmp_path)


@pytest.fixture
def sqlite_office(sqlite_db: Database, tmp_path: Path) -> Iterator[Office]:
    """The office on SQLite only (for the fuzzing, which needs no second database)."""
    yield from served(sqlite_db, tmp_path)


def served(db: Database, tmp_path: Path) -> Iterator[Office]:
    """The office on ``db``, served to a test client; print batches go to ``tmp_path``."""
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2026-02-20"), strategy=STRATEGY)
    now = datetime.now(UTC)
    tokens = {}
    for login, (role, scope) in USERS.items():
        add_user(db, login, role, PASSWORD, scope, actor="setup", now=now)
        tokens[login] = create_token(db, login, "tests", None, 30, now=now).secret
    app = create_app(Settings(mode="development", allowed_hosts=["testserver"], letters_dir=tmp_path / "letters"),
                     database=db)  # fmt: skip
    with TestClient(app) as client:
        yield Office(client, db, tokens)
    app.state.runs.join()
    app.state.jobs.join()
