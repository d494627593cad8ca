"""``arrears users`` and ``arrears serve`` from the command line: a configured user gets a login and a token, a
refused one says why; the server refuses the default secret, and serves the API (with its scheduler) when started
for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.strategy import User
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import STRATEGY, portfolios, table

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def url(sqlite_db: Database) -> str:
    portfolios(sqlite_db)
    strategy = replace(STRATEGY, letters=(), actions=(), series=(), entry_policy=replace(
        STRATEGY.entry_policy, portfolios=()), users=(User("admin", "Administrator", 99),))  # fmt: skip
    assert apply_document(sqlite_db, dump_strategy(strategy), actor="t", confirm=True).errors == ()
    return sqlite_url(sqlite_db.engine.url.database or "")


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_users_add_passwd_and_tokens(url: str, sqlite_db: Database) -> None:
    code, output = call("users", "add", "admin", "--role", "admin", "--password", PASSWORD, "--db", url)
    assert (code, output.strip()) == (0, "admin may sign in as admin (every portfolio)")
    code, output = call("users", "add", "AL", "--role", "collector", "--portfolio", "NORTH", "--password", "short",
                        "--db", url)  # fmt: skip
    assert code == 1 and "password: must be 12 to 256 characters" in output
    code, output = call("users", "add", "zed", "--role", "manager", "--portfolio", "MARS", "--password", PASSWORD,
                        "--db", url)  # fmt: skip
    assert code == 1 and "portfolios: is not a portfolio (got 'MARS')" in output
    assert "login: is not a configured user or collector" in output
    assert call("users", "add", "AL", "--role", "collector", "--portfolio", "NORTH", "--password", PASSWORD,
                "--db", url)[0] == 0  # fmt: skip
    assert json.loads(call("users", "list", "--json", "--db", url)[1]) == [
        {"login": "AL", "role": "collector", "portfolios": ["NORTH"], "active": True},
        {"login": "admin", "role": "admin", "portfolios": [], "active": True},
    ]
    assert call("users", "passwd", "AL", "--password", "another long password", "--db", url)[0] == 0
    code, output = call("users", "tokens", "create", "AL", "--name", "dialer", "--scope", "read", "--db", url)
    assert code == 0 and output.strip().splitlines()[-1].startswith("arr_")
    token_id = table(sqlite_db, "api_token")[0].id
    assert call("users", "tokens", "revoke", str(token_id), "--db", url)[0] == 0
    assert "revoked" in call("users", "tokens", "list", "AL", "--db", url)[1]
    assert [row.action for row in table(sqlite_db, "audit") if row.entity in ("login", "token")] == [
        "added", "added", "password", "added", "revoked",
    ]  # fmt: skip


def test_users_update_deactivate_and_activate(url: str, sqlite_db: Database) -> None:
    call("users", "add", "admin", "--role", "admin", "--password", PASSWORD, "--db", url)
    call("users", "add", "AL", "--role", "collector", "--portfolio", "NORTH", "--password", PASSWORD, "--db", url)
    code, output = call("users", "update", "AL", "--portfolio", "NORTH", "--portfolio", "SOUTH", "--db", url)
    assert (code, output.strip()) == (0, "AL signs in as collector (NORTH, SOUTH)")
    code, output = call("users", "update", "AL", "--role", "auditor", "--db", url)
    assert code == 1 and "portfolios: an auditor sees every portfolio: name none" in output
    assert call("users", "update", "AL", "--role", "auditor", "--no-portfolios", "--db", url)[1].strip() == (
        "AL signs in as auditor (every portfolio)"
    )
    assert call("users", "tokens", "create", "AL", "--name", "dialer", "--db", url)[0] == 0
    assert call("users", "deactivate", "AL", "--db", url) == (0, "AL deactivated\n")
    assert "revoked" in call("users", "tokens", "list", "AL", "--db", url)[1]
    code, output = call("users", "tokens", "create", "AL", "--name", "dialer", "--db", url)
    assert code == 1 and "login: is deactivated: activate it before making it a token" in output
    code, output = call("users", "deactivate", "admin", "--db", url)
    assert code == 1 and "is the last active administrator" in output
    assert call("users", "deactivate", "nobody", "--db", url)[0] == 1
    assert json.loads(call("users", "list", "--json", "--db", url)[1])[0] == {
        "login": "AL", "role": "auditor", "portfolios": [], "active": False}
    assert call("users", "activate", "AL", "--db", url) == (0, "AL activated\n")
    assert "revoked" in call("users", "tokens", "list", "AL", "--db", url)[1]
    assert [(row.entity, row.action) for row in table(sqlite_db, "audit") if row.entity == "token"
            or (row.entity == "login" and row.entity_key == "AL")] == [
        ("login", "added"), ("login", "updated"), ("login", "updated"), ("token", "added"), ("login", "deactivated"),
        ("token", "revoked"), ("login", "activated"),
    ]  # fmt: skip


def test_serve_refuses_the_default_secret(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARREARS_MODE", raising=False)
    monkeypatch.delenv("ARREARS_SECRET_KEY", raising=False)
    code, output = call("serve", "--db", url)
    assert code == 1 and "ARREARS_SECRET_KEY is the default development secret" in output
    code, output = call("serve", "--threads", "0", "--db", url)
    assert code == 2 and "--threads" in output
    monkeypatch.setenv("ARREARS_MODE", "development")
    monkeypatch.setenv("ARREARS_REQUEST_THREADS", "0")
    code, output = call("serve", "--db", url)
    assert code == 1 and "ARREARS_REQUEST_THREADS: Input should be greater than or equal to 1 (got '0')" in output
    assert "Traceback" not in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http(url: str) -> None:
    port = _free_port()
    env = os.environ | {"ARREARS_SECRET_KEY": "a test secret of some length"}
    server = subprocess.Popen([sys.executable, "-c", "from arrears.cli import main; main()", "serve", "--port",
                               str(port), "--db", url, "--scheduler"], env=env, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                    assert json.load(answer) == {"status": "ok", "detail": ""}
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    line = next(json.loads(text) for text in log.splitlines() if text.startswith("{") and "/readyz" in text)
    assert (line["method"], line["status"]) == ("GET", 200) and len(line["request_id"]) == 32
    assert "scheduled: the daily run at 02:00, the outbox every 5 minutes" in log
