"""A worklist asked again while nothing is committed is answered from what was sent last time, to the same
user only; any commit (a reassignment over HTTP, another program's write, a revoked token) makes it fresh."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from arrears.api.routes import work
from arrears.services.security import create_token
from arrears.store.db import sqlite_path
from tests.api.conftest import Office
from tests.services.run_scenarios import table


def _listed(office: Office, login: str) -> list[tuple[str, str, str]]:
    answer: Any = office.get(login, "/worklist", on="2026-02-20")
    assert answer.status_code == 200, answer.json()
    return [(item["account"], item["action"], item["assignee"]) for item in answer.json()]


def test_the_same_worklist_is_answered_again_until_something_is_committed(
    sqlite_office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    office, computed = sqlite_office, []

    def counted(*args: Any, **kwargs: Any) -> Any:
        computed.append(args[1])
        return real(*args, **kwargs)

    real = work.worklist
    monkeypatch.setattr(work, "worklist", counted)
    for login in ("BO", "LO", "mgr"):  # a token's first use of the minute writes its last use: a commit
        office.get(login, "/me")
    first = office.client.get("/api/v1/worklist", headers=office.headers("BO"), params={"on": "2026-02-20"})
    again = office.client.get("/api/v1/worklist", headers=office.headers("BO"), params={"on": "2026-02-20"})
    assert first.json() == again.json() == [item for item in first.json() if item["account"] == "evans"] != []
    assert len(computed) == 1
    assert first.headers["x-request-id"] != again.headers["x-request-id"]  # each answer is its own request's
    # the same request by another user is theirs, not BO's
    assert _listed(office, "LO") == [] and len(computed) == 2
    # a reassignment over HTTP is a commit: BO's list is computed again, without the call
    call = next(a.id for a in table(office.db, "activity") if a.assignee == "BO" and a.status == "open")
    moved = office.client.patch(f"/api/v1/activities/{call}", headers=office.headers("mgr"), json={"assignee": "AL"})
    assert moved.status_code == 200
    assert _listed(office, "BO") == [] and len(computed) == 3
    assert _listed(office, "BO") == [] and len(computed) == 3
    # so is another program's write to the file: the call is BO's again
    path = sqlite_path(office.db.engine.url.render_as_string(hide_password=False))
    with sqlite3.connect(str(path)) as other:
        other.execute("UPDATE activity SET assignee = 'BO' WHERE id = ?", (call,))
    assert _listed(office, "BO") == [("evans", "Call 1", "BO")] and len(computed) == 4


def test_a_revoked_token_is_refused_though_its_worklist_was_kept(office: Office) -> None:
    assert _listed(office, "BO") == _listed(office, "BO") == [("evans", "Call 1", "BO")]
    mine: Any = office.get("BO", "/tokens")
    revoked = office.client.delete(f"/api/v1/tokens/{mine.json()[0]['id']}", headers=office.headers("BO"))
    assert revoked.status_code == 200
    refused: Any = office.get("BO", "/worklist", on="2026-02-20")
    assert refused.status_code == 401
    assert _listed(office, "mgr") == [("evans", "Call 1", "BO")]


def test_an_expired_token_is_refused_though_nothing_was_committed(sqlite_office: Office) -> None:
    office = sqlite_office
    brief = create_token(office.db, "BO", "brief", None, 1, now=datetime.now(UTC), lifetime=timedelta(seconds=4))
    headers = {"Authorization": f"Bearer {brief.secret}"}
    for _ in range(3):  # the first writes the token's last use; the others are answered from what was kept
        assert office.client.get("/api/v1/worklist", headers=headers, params={"on": "2026-02-20"}).status_code == 200
    time.sleep(max(0.0, (brief.line.expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    assert office.client.get("/api/v1/worklist", headers=headers, params={"on": "2026-02-20"}).status_code == 401
