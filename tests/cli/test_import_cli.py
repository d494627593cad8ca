"""``arrears import``: exit 1 with the report for a bad file, 0 and the counts for a good one."""

import json
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import imports  # noqa: F401  (registers ``import`` on the app)
from arrears.cli.app import app
from arrears.services.accounts import create_portfolio
from arrears.store.db import Database, sqlite_url

EXAMPLES = Path(__file__).parents[2] / "examples" / "import"
runner = CliRunner()


def test_a_bad_file_exits_1_with_every_problem_and_a_good_one_imports(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    bad = tmp_path / "accounts.csv"
    bad.write_text("external_id,portfolio,last_name,opened\nA-1,NOWHERE,Smith,2026-02-30\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "accounts", str(bad), "--db", url])
    assert result.exit_code == 1
    assert "NOWHERE" in result.output and "is not a known portfolio" in result.output
    assert "is not a date" in result.output and "2 problem(s)" in result.output

    result = runner.invoke(app, ["import", "accounts", str(bad), "--db", url, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "portfolio"), (2, "opened")]

    for kind in ("accounts", "transactions", "claims", "plans"):
        result = runner.invoke(app, ["import", kind, str(EXAMPLES / f"{kind}.csv"), "--db", url, "--json", "-q"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert (report["ok"], report["inserted"], report["unchanged"]) == (True, report["rows"], 0)

    result = runner.invoke(app, ["import", "transactions", str(EXAMPLES / "transactions.csv"), "--db", url])
    assert result.exit_code == 0
    assert "inserted 0, unchanged 7" in " ".join(result.output.split())


def test_dry_run_and_help(sqlite_db: Database, tmp_path: Path) -> None:
    create_portfolio(sqlite_db, "NORTH", "North Clinic")
    url = sqlite_url(sqlite_db.engine.url.database or "")
    good = tmp_path / "accounts.csv"
    good.write_text("external_id,portfolio,last_name\nA-1,NORTH,Smith\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "accounts", str(good), "--db", url, "--dry-run"])
    assert result.exit_code == 0 and "dry run" in result.output
    result = runner.invoke(app, ["import", "transactions", "--help"])
    assert result.exit_code == 0
    for column in ("external_id", "account", "kind", "amount", "posted", "reverses"):
        assert column in result.output
