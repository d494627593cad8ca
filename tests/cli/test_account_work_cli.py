"""Updating, closing and reopening an account from the command line, audited with --user or the environment."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_reimport_lists_its_changes_in_a_dry_run_then_updates(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    first = tmp_path / "mon.csv"
    first.write_text("external_id,portfolio,last_name,phone\nA-1,NORTH,Evans,555-0100\n", encoding="utf-8")
    assert call("import", "accounts", str(first), "--db", url)[0] == 0
    second = tmp_path / "tue.csv"
    second.write_text("external_id,portfolio,last_name,phone\nA-1,NORTH,Evans,555-0199\n", encoding="utf-8")
    code, output = call("import", "accounts", str(second), "--dry-run", "--db", url)
    assert code == 0 and "would insert 0, update 1, leave 0 unchanged" in output
    assert "A-1" in output and "555-0100" in output and "555-0199" in output
    code, output = call("import", "accounts", str(second), "--user", "feed", "--db", url, "--json")
    assert code == 0
    assert json.loads(output)["updates"] == [
        {"row": 2, "external_id": "A-1", "field": "phone", "before": "555-0100", "after": "555-0199"}
    ]
    audited = [(row.actor, row.action) for row in table(sqlite_db, "audit") if row.entity != "portfolio"]
    assert audited == [("feed", "imported")]
