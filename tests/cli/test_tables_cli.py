"""Every table of the command line reads at 80 columns: no line is wider, ids and money are never cut (each is
printed whole on one line), and ``--wide`` shows the columns left out.

The tables are those of a demo database (the example strategy, ten daily runs), printed as a terminal of 80
columns prints them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app

runner = CliRunner()
AS_OF = "2026-03-01"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("tables") / "demo.db"
    built = runner.invoke(app, ["demo", "--accounts", "200", "--days", "10", "--as-of", AS_OF, "--out", str(out)])
    assert built.exit_code == 0, built.output
    return f"sqlite:///{out}"


def printed(url: str, *command: str) -> str:
    """The output of ``arrears COMMAND --db URL`` at 80 columns; every line fits."""
    done = runner.invoke(app, [*command, "--db", url], env={"COLUMNS": "80"})
    assert done.exit_code == 0, (command, done.output)
    too_wide = [line for line in done.output.splitlines() if len(line) > 80]
    assert too_wide == [], (command, too_wide)
    return done.output


def data(url: str, *command: str) -> list[dict]:
    return json.loads(runner.invoke(app, [*command, "--json", "--db", url]).output)


def test_the_account_tables_keep_ids_and_money_whole(url: str) -> None:
    accounts = data(url, "accounts", "list", "--as-of", AS_OF)
    listing = printed(url, "accounts", "list", "--as-of", AS_OF)
    lines = listing.splitlines()
    for row in accounts:  # each id and its balance whole, on one line of the table
        assert any(row["external_id"] in line and f"{row['balance_cents'] / 100:,.2f}" in line for line in lines)
    account = accounts[0]["external_id"]
    page = printed(url, "accounts", "show", account, "--as-of", AS_OF)
    assert account in page and "timeline (newest first)" in page
    assert "source" not in page and "source" in runner.invoke(app, ["accounts", "show", account, "--as-of", AS_OF,
                                                                    "--wide", "--db", url]).output  # fmt: skip
    printed(url, "explain", account, "--as-of", AS_OF)
    printed(url, "portfolios", "list")


def test_the_worklist_keeps_ids_whole_and_wide_shows_every_column(url: str) -> None:
    items = data(url, "worklist", "--collector", "ann", "--date", AS_OF)
    assert items
    table = printed(url, "worklist", "--collector", "ann", "--date", AS_OF)
    for item in items:
        assert any(str(item["id"]) in line and item["account"] in line for line in table.splitlines())
    assert "assignee" not in table
    wide = runner.invoke(app, ["worklist", "--collector", "ann", "--date", AS_OF, "--wide", "--db", url]).output
    assert "assignee" in wide and "phone_call" in wide


@pytest.mark.parametrize(
    "command",
    [
        ("letters", "list"),
        ("runs", "list"),
        ("runs", "show", "1"),
        ("config", "show"),
        ("config", "versions"),
        ("config", "portfolios"),
        ("config", "audit"),
        ("plans", "list"),
        ("plans", "show", "NEW"),
        ("schemes", "show", "OUTPT-STAGES"),
        ("compliance", "report", "--from", "2026-02-20", "--to", AS_OF),
        ("outbox", "status"),
    ],
)
def test_every_other_table_fits_80_columns(url: str, command: tuple[str, ...]) -> None:
    assert printed(url, *command).strip()


def test_the_merge_fields_fit_80_columns() -> None:
    done = runner.invoke(app, ["config", "merge-fields"], env={"COLUMNS": "80"})
    assert done.exit_code == 0 and "merge field" in done.output
    assert [line for line in done.output.splitlines() if len(line) > 80] == []


def test_the_letters_list_keeps_ids_and_accounts_whole(url: str) -> None:
    letters = data(url, "letters", "list")
    assert letters
    lines = printed(url, "letters", "list").splitlines()
    for letter in letters:
        assert any(str(letter["id"]) in line and letter["account"] in line for line in lines)


def test_a_rejected_import_lists_its_problems_at_80_columns(url: str, tmp_path: Path) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text("external_id,account,kind,amount,posted\nX-1,NOWHERE-ACCOUNT-000001,charge,ten dollars,2026-13-01\n",
                   encoding="utf-8")  # fmt: skip
    done = runner.invoke(app, ["import", "transactions", str(bad), "--db", url], env={"COLUMNS": "80"})
    assert done.exit_code == 1
    assert [line for line in done.output.splitlines() if len(line) > 80] == []
    assert "column" in done.output and "amount" in done.output
