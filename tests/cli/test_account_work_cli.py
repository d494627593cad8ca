"""Updating, closing and reopening an account from the command line, audited with --user or the environment."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import portfolios, table, world

runner = CliRunner()


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_update_close_and_reopen(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "evans Evans NORTH\n    2025-11-01 charge 500.00 due 2025-11-15")
    code, output = call("accounts", "update", "evans", "--phone", "555-0199", "--do-not-call", "yes",
                        "--user", "maria", "--db", url, "--json")  # fmt: skip
    assert code == 0, output
    assert json.loads(output) == [
        {"field": "phone", "before": "", "after": "555-0199"}, {"field": "do_not_call", "before": False, "after": True},
    ]  # fmt: skip
    code, output = call("accounts", "update", "evans", "--time-zone", "Mars/Base", "--db", url)
    assert code == 1 and "time_zone: must be an IANA time zone" in output

    monkeypatch.setenv("ARREARS_USER", "joe")
    code, output = call("accounts", "close", "evans", "--reason", "moved abroad", "--on", "2026-02-22", "--db", url)
    assert code == 0 and "account evans closed on 2026-02-22: 0 case(s) resolved" in output
    code, output = call("accounts", "close", "evans", "--reason", "again", "--db", url)
    assert code == 1 and "the account is already closed (since 2026-02-22)" in output
    code, output = call("accounts", "reopen", "evans", "--reason", "came back", "--on", "2026-03-01", "--db", url)
    assert code == 0 and "account evans reopened on 2026-03-01" in output
    assert [(row.actor, row.action) for row in table(sqlite_db, "audit") if row.entity == "account"] == [
        ("maria", "updated"), ("maria", "updated"), ("joe", "closed"), ("joe", "reopened"),
    ]  # fmt: skip
    code, output = call("accounts", "close", "nobody", "--reason", "x", "--db", url)
    assert code == 1 and "no account 'nobody'" in output
