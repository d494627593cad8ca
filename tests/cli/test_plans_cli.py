"""``arrears plans`` and ``arrears plan``: list, show, run on one account (with the prompt before deleting and
the start date), run in batch; with the example strategy's plans."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services import config
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.store.db import Database, sqlite_url
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """The example strategy and two accounts of FAMILY: A-1 owing $250.00, A-2 owing $40.00."""
    database_url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(database_url)
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        create_portfolio(db, code, code.title())
    assert config.apply_document(db, example_text(), "strategy.yaml").ok
    for external, cents in (("A-1", 25000), ("A-2", 4000)):
        open_account(db, Account(external, "FAMILY", Party("Ann", f"Smith{external}", "12 Elm St", state="OH")))
        post_transaction(db, external, Posting(Kind.CHARGE, cents, date(2026, 1, 1), due=date(2026, 1, 1)))
    db.dispose()
    return database_url


def run(url: str, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--db", url], input=input)


def said(result) -> str:  # type: ignore[no-untyped-def]
    """What a command printed, on one line (the terminal wraps long lines)."""
    return " ".join(result.output.split())


def test_plans_list_hides_sub_plans_and_plans_outside_the_users_range(url: str) -> None:
    every = json.loads(run(url, "plans", "list", "--json").stdout)
    assert [p["code"] for p in every] == ["NEW", "MONTHLY", "C1", "PROMISE", "CLOSE", "LEGAL", "BROKEN"]
    manager = json.loads(run(url, "plans", "list", "--user", "manager", "--json").stdout)
    assert [p["code"] for p in manager] == ["NEW", "MONTHLY", "C1", "PROMISE", "CLOSE"]
    cho = json.loads(run(url, "plans", "list", "--user", "cho", "--json").stdout)  # a collector of level 60
    assert [p["code"] for p in cho] == ["NEW", "MONTHLY", "C1", "PROMISE"]
    shown = run(url, "plans", "show", "LEGAL")
    assert shown.exit_code == 0 and "switches: sub plan" in shown.stdout
    events = json.loads(run(url, "plans", "show", "LEGAL", "--json").stdout)["events"]
    assert [(e["type"], e.get("timing"), e.get("day_of_month"), e.get("priority")) for e in events] == [
        ("status_change", "immediately", None, 50), ("review", "day_of_month", 15, 80),
    ]  # fmt: skip
    missing = run(url, "plans", "show", "NOPE")
    assert missing.exit_code == 1 and "no contact plan 'NOPE'" in said(missing)


def test_plan_run_prints_each_contact_and_why_it_has_its_date(url: str) -> None:
    result = run(url, "plan", "run", "NEW", "A-1", "--on", "2026-03-10")
    assert result.exit_code == 0, result.output
    assert "plan NEW ran on A-1: 2 contacts, 0 pending deleted" in said(result)
    assert "10 delay days from the run date 2026-03-10 → 2026-03-20" in said(result)


def test_plan_run_asks_before_deleting_and_no_cancels_everything(url: str) -> None:
    assert run(url, "plan", "run", "NEW", "A-1", "--on", "2026-03-10").exit_code == 0
    refused = run(url, "plan", "run", "CLOSE", "A-1", "--user", "clerk", "--on", "2026-03-11")
    assert refused.exit_code == 1 and "no user or collector 'clerk'" in said(refused)
    no_terminal = run(url, "plan", "run", "CLOSE", "A-1", "--user", "manager", "--on", "2026-03-11")
    assert no_terminal.exit_code == 1
    assert "there is no terminal to ask: run again with --yes" in said(no_terminal)
    assert "cancelled plan CLOSE cancelled: the 1 pending contacts were kept" in said(no_terminal)
    done = run(url, "plan", "run", "CLOSE", "A-1", "--user", "manager", "--yes", "--on", "2026-03-11", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["deleted"] == 1


def test_a_plan_that_prompts_for_a_start_date_needs_one(url: str) -> None:
    missing = run(url, "plan", "run", "PROMISE", "A-1", "--on", "2026-03-10")
    assert missing.exit_code == 1 and "prompts for a start date: give --start-date" in said(missing)
    given = run(url, "plan", "run", "PROMISE", "A-1", "--on", "2026-03-10", "--start-date", "2026-03-15",
                "--user", "ann", "--json")  # fmt: skip
    assert given.exit_code == 0, given.output
    promise = json.loads(given.stdout)["contacts"][0]
    assert (promise["kind"], promise["due"], promise["assignee"]) == ("promise", "2026-03-15", "ann")


def test_plan_batch_with_a_condition_or_an_accounts_file(url: str, tmp_path: Path) -> None:
    batch = run(url, "plan", "batch", "NEW", "--where", "balance > 100", "--on", "2026-03-10", "--json")
    assert batch.exit_code == 0, batch.output
    assert (json.loads(batch.stdout)["selected"], json.loads(batch.stdout)["ran"]) == (1, 1)
    listed = tmp_path / "accounts.txt"
    listed.write_text("A-1\nA-2\n")
    both = run(url, "plan", "batch", "NEW", "--accounts", str(listed), "--on", "2026-03-10")
    assert both.exit_code == 0 and "plan NEW ran on 2 of 2 accounts" in both.stdout
    neither = run(url, "plan", "batch", "NEW", "--on", "2026-03-10")
    assert neither.exit_code != 0 and "give --where CONDITION or --accounts FILE" in said(neither)
    bad = run(url, "plan", "batch", "NEW", "--where", "balanse > 1", "--on", "2026-03-10")
    assert bad.exit_code == 1 and "unknown field 'balanse'" in said(bad)


def test_import_accounts_with_a_plan_runs_it_on_the_new_accounts(url: str, tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text("external_id,portfolio,last_name\nA-1,FAMILY,SmithA-1\nB-1,FAMILY,Brown\nB-2,FAMILY,Berg\n")
    imported = run(url, "import", "accounts", str(new), "--plan", "NEW", "--quiet")
    assert imported.exit_code == 0, imported.output
    assert "inserted 2" in said(imported) and "plan NEW ran on 2 new accounts" in said(imported)
    assert "letters_queued: 2" in said(imported)
    shown = json.loads(run(url, "accounts", "show", "B-1", "--json").stdout)
    assert "NEW" in json.dumps(shown["timeline"])
    again = json.loads(run(url, "import", "accounts", str(new), "--plan", "NEW", "--json").stdout)
    assert (again["inserted"], again["plan"]["ran"]) == (0, 0)
    refused = run(url, "import", "accounts", str(new), "--plan", "LEGAL")
    assert refused.exit_code == 1 and "LEGAL is a sub-plan" in said(refused)


def test_import_accounts_with_a_plan_that_prompts_for_a_start_date_takes_start_date(url: str, tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text("external_id,portfolio,last_name\nC-1,FAMILY,Cole\n")
    missing = run(url, "import", "accounts", str(new), "--plan", "PROMISE", "--quiet")
    assert missing.exit_code == 1 and "plan PROMISE prompts for a start date" in said(missing)
    given = run(url, "import", "accounts", str(new), "--plan", "PROMISE", "--start-date", "2026-03-15", "--json")
    assert given.exit_code == 0, given.output
    assert (json.loads(given.stdout)["inserted"], json.loads(given.stdout)["plan"]["ran"]) == (1, 1)
    bad = run(url, "import", "accounts", str(new), "--plan", "PROMISE", "--start-date", "15/03/2026")
    assert bad.exit_code != 0 and "start-date" in said(bad)
