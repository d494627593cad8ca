"""Signing in and tokens over HTTP: a login gives a session token, wrong passwords are throttled, tokens carry
scopes at most the role's, a revoked token is refused; the health checks; unsafe settings refuse to start."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from arrears.api.app import ServerRefused, create_app
from arrears.api.settings import Settings
from arrears.store.db import Database
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
