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


def test_a_portfolio_maximum_set_from_the_cli_bounds_what_its_imports_take(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    result = runner.invoke(
        app, ["portfolios", "add", "SMALL", "Small Clinic", "--maximum-amount", "5,000.00", "--db", url]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["portfolios", "add", "NORTH", "North Clinic", "--db", url]).exit_code == 0
    result = runner.invoke(app, ["portfolios", "list", "--db", url, "--json"])
    listed = {row["code"]: (row["maximum_amount"], row["maximum_amount_cents"]) for row in json.loads(result.output)}
    assert listed == {
        "ENTERPRISE": ("$10,000,000.00", None),
        "SMALL": ("$5,000.00", 500_000),
        "NORTH": ("$10,000,000.00", None),
    }
    result = runner.invoke(app, ["portfolios", "maximum", "NORTH", "25,000,000.00", "--db", url, "--user", "ann"])
    assert result.exit_code == 0 and "maximum amount of NORTH: $25,000,000.00" in result.output
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("external_id,portfolio,last_name\nA-1,SMALL,Smith\nA-2,NORTH,Jones\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "accounts", str(accounts), "--db", url, "-q"]).exit_code == 0
    lines = tmp_path / "transactions.csv"
    lines.write_text(
        "external_id,account,kind,amount,posted,due\n"
        "T-1,A-1,charge,5000.01,2026-01-05,2026-02-04\n"
        "T-2,A-2,charge,20000000.00,2026-01-05,2026-02-04\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "transactions", str(lines), "--db", url, "--json"])
    assert result.exit_code == 1
    assert [(p["row"], p["rule"]) for p in json.loads(result.output)["problems"]] == [
        (2, "must be at most $5,000.00 (the maximum amount of portfolio SMALL)")
    ]
    for wrong in (["NORTH"], ["NORTH", "5.00", "--inherit"], ["NORTH", "-5.00"], ["NOWHERE", "5.00"]):
        result = runner.invoke(app, ["portfolios", "maximum", *wrong, "--db", url])
        assert result.exit_code != 0 and "Traceback" not in result.output, wrong


def test_a_file_that_sets_a_closed_account_active_says_it_reopened_it(sqlite_db: Database, tmp_path: Path) -> None:
    url = sqlite_url(sqlite_db.engine.url.database or "")
    create_portfolio(sqlite_db, "NORTH", "North Clinic")
    path = tmp_path / "accounts.csv"
    for mode in ("closed", "active"):
        path.write_text(f"external_id,portfolio,last_name,mode\nA-1,NORTH,Smith,{mode}\n", encoding="utf-8")
        result = runner.invoke(app, ["import", "accounts", str(path), "--db", url])
        assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "closed accounts set back to active, reopened as by `arrears accounts reopen`: accounts reopened: 1" in said
