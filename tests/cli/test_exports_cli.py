"""The export commands from the command line: letters list/export, referrals, statement holds, runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import app
from arrears.services.run import run_day
from arrears.store.db import Database, sqlite_url
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, world
from tests.services.test_run_credit_reports import reporting

runner = CliRunner()
SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))


def call(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_exports(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "adams Adams NORTH\n    2025-11-01 charge 500.00 due 2025-11-15")
    for day in ("2026-02-20", "2026-03-22", "2026-04-21"):
        run_day(sqlite_db, d(day), strategy=SAVED)
    code, output = call("letters", "list", "--status", "queued", "--db", url)
    assert code == 0 and "L30" in output and "L60" in output
    code, output = call("letters", "export", str(tmp_path / "l.csv"), "--date", "2026-02-20", "--db", url)
    assert code == 0 and "1 queued letters of 2026-02-20 written" in output
    code, output = call("referrals", "export", str(tmp_path / "r.csv"), "--since", "2026-04-01", "--db", url)
    assert code == 0 and "1 referrals since 2026-04-01" in output and "(1 newly sent)" in output
    code, output = call("statement-holds", "export", str(tmp_path / "h.csv"), "--db", url)
    assert code == 0 and "1 on hold, 0 released" in output
    runs = json.loads(runner.invoke(app, ["runs", "list", "--json", "--db", url]).output)
    assert [r["as_of"] for r in runs] == ["2026-04-21", "2026-03-22", "2026-02-20"]
    code, output = call("runs", "show", str(runs[-1]["id"]), "--db", url)
    assert code == 0 and "as of 2026-02-20, completed" in output and "entered" in output
    code, output = call("runs", "show", "999", "--db", url)
    assert code == 1 and "no run 999" in output


def test_credit_reports_export(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    portfolios(sqlite_db)
    world(sqlite_db, "ada Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    strategy = reporting(14)
    for day in ("2026-03-01", "2026-03-15"):
        run_day(sqlite_db, d(day), strategy=strategy)
    file = tmp_path / "bureau.csv"
    code, output = call("credit-reports", "export", str(file), "--date", "2026-03-15", "--db", url)
    assert code == 0 and f"1 credit reports of 2026-03-15 written to {file} (1 newly sent)" in output
    assert file.read_text(encoding="utf-8").splitlines()[1].startswith("ada,NORTH,2026-03-15,93,100.00,100.00,")
    code, output = call("credit-reports", "export", str(file), "--date", "2026-13-01", "--db", url)
    assert code != 0 and "2026-13-01" in output
