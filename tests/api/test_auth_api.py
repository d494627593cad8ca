"""Signing in and tokens over HTTP: a login gives a session token, wrong passwords are throttled, tokens carry
scopes at most the role's, a revoked token is refused; the health checks; unsafe settings refuse to start; how many
requests a server works on at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from anyio.to_thread import current_default_thread_limiter
from fastapi.testclient import TestClient
from pydantic import ValidationError

from arrears.api.app import ServerRefused, create_app
from arrears.api.settings import Settings
from arrears.services.database import open_database
from arrears.store.db import Database, sqlite_url
from tests.api.conftest import PASSWORD, Office
from tests.services.run_scenarios import table


def test_login_gives_a_session_token_and_logout_revokes_it(office: Office) -> None:
    answer = office.client.post("/api/v1/auth/login", json={"login": "BO", "password": PASSWORD})
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert answer.json()["details"]["kind"] == "session"
    headers = {"Authorization": f"Bearer {token}"}
    assert office.client.get("/api/v1/me", headers=headers).json()["login"] == "BO"
    assert office.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert office.client.get("/api/v1/me", headers=headers).status_code == 401


def test_failed_logins_are_throttled(office: Office) -> None:
    for _ in range(5):
        wrong = office.client.post("/api/v1/auth/login", json={"login": "mgr", "password": "not the password"})
        assert (wrong.status_code, wrong.json()["detail"]) == (401, "wrong login or password")
    locked = office.client.post("/api/v1/auth/login", json={"login": "mgr", "password": PASSWORD})
    assert locked.status_code == 429 and "try again after" in locked.json()["detail"]
    assert office.client.post("/api/v1/auth/login", json={"login": "nobody", "password": "x"}).status_code == 401


def test_tokens_carry_scopes_and_a_read_token_cannot_write(office: Office) -> None:
    made = office.post("BO", "/tokens", {"name": "dialer", "scopes": ["read"], "expires_in_days": 7})
    assert made.status_code == 201 and made.json()["details"]["scopes"] == ["read"]
    reader = {"Authorization": f"Bearer {made.json()['token']}"}
    assert office.client.get("/api/v1/accounts", headers=reader).status_code == 200
    note = office.client.post("/api/v1/accounts/evans/notes", headers=reader, json={"text": "hello"})
    assert note.status_code == 403
    too_much = office.post("BO", "/tokens", {"name": "x", "scopes": ["admin"]})
    assert (too_much.status_code, too_much.json()["problems"][0]["rule"]) == (422, "is more than a collector may do")
    others = office.client.delete(f"/api/v1/tokens/{made.json()['details']['id']}", headers=office.headers("LO"))
    assert others.status_code == 404
    tokens = [row for row in table(office.db, "api_token") if row.name == "dialer"]
    assert tokens[0].digest != made.json()["token"] and made.json()["token"] not in tokens[0].digest


def test_health_and_readiness(office: Office) -> None:
    assert office.client.get("/healthz").json() == {"status": "ok", "detail": ""}
    assert office.client.get("/readyz").json() == {"status": "ok", "detail": ""}
    assert office.client.get("/openapi.json").json()["info"]["title"] == "Arrears API"
    assert office.client.get("/docs").status_code == 200
    assert office.client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == "abc-1"
    assert TestClient(office.client.app, base_url="http://evil.example").get("/healthz").status_code == 400


def test_the_default_secret_is_refused_outside_development(sqlite_db: Database) -> None:
    with pytest.raises(ServerRefused, match="ARREARS_SECRET_KEY is the default development secret"):
        create_app(Settings(), database=sqlite_db)
    assert create_app(Settings(secret_key="s" * 32), database=sqlite_db) is not None


def test_a_server_works_on_its_request_threads_at_once_with_a_pooled_connection_each(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "office.db")
    open_database(url, migrate=True).dispose()
    settings = Settings(mode="development", database_url=url, allowed_hosts=["testserver"], request_threads=3)
    app = create_app(settings)
    assert app.state.db.engine.pool.size() == 3
    with TestClient(app) as client:
        assert client.portal.call(lambda: current_default_thread_limiter().total_tokens) == 3
        assert client.get("/readyz").json() == {"status": "ok", "detail": ""}
    assert Settings().request_threads == 4
    with pytest.raises(ValidationError, match="request_threads"):
        Settings(request_threads=0)
